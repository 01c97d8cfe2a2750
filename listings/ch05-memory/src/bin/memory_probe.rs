//! Measures what an idle OS thread, a suspended stackful coroutine and a
//! pending tokio task cost in memory, and writes the figures as JSON:
//!
//! `cargo run --release -p ch05-memory --bin memory_probe -- --out FILE [--quick]`

use ch05_memory::kernel::{read_kernel_memory, read_vm_settings};
use ch05_memory::maps::{
    MappingResident, StackMapping, default_thread_stack, mapping_resident,
    stack_mapping,
};
use ch05_memory::probe::{self, ParkedThreads, PendingTasks, SuspendedCoroutines};
use ch05_memory::regression::least_squares;
use ch05_memory::rss::read_status;
use serde::Serialize;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;
use std::collections::BTreeMap;
use std::sync::Arc;

// ANCHOR: allocator
/// Every heap allocation in this program goes through a counter, so the
/// bytes one `tokio::spawn` allocates can be read off directly.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;
// ANCHOR_END: allocator

/// One measured figure, in the shape `booktools` reads.
#[derive(Serialize)]
struct Value {
    unit: &'static str,
    value: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    points: Vec<[f64; 2]>,
}

type Output = BTreeMap<String, Value>;

/// How many times each thread ramp runs; each point is the median.
const ROUNDS: usize = 3;
/// The kernel frees an ended thread's structures a little later, after an
/// RCU grace period: the wait after each round, before the next one.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(250);
/// The stack asked for in the counter-example: threads with small stacks.
const SMALL_STACK: usize = 64 * 1024;
/// The small stack asked for coroutines: corosensei's minimum is one page.
const SMALL_COROUTINE_STACK: usize = 16 * 1024;

fn record(
    out: &mut Output,
    name: &str,
    unit: &'static str,
    value: f64,
    points: Vec<[f64; 2]>,
) {
    println!("memory/{name}: {value:.1} {unit}");
    out.insert(
        format!("memory/{name}"),
        Value {
            unit,
            value,
            points,
        },
    );
}

/// Records the slope of `points` as `name`, if two or more were measured.
fn record_slope(out: &mut Output, name: &str, points: Vec<[f64; 2]>) {
    match least_squares(&points) {
        Some(fit) => {
            println!(
                "  {name}: r^2 = {:.4} over {} points",
                fit.r_squared,
                points.len()
            );
            record(out, name, "bytes", fit.slope, points);
        }
        None => eprintln!(
            "memory/{name}: too few points ({}), not recorded",
            points.len()
        ),
    }
}

// ANCHOR: ramp
/// The figures read at each count of idle units, as `[count, bytes]`.
#[derive(Default)]
struct Ramp {
    /// From `/proc/self/status`: this process's own figures.
    resident: Vec<[f64; 2]>,
    reserved: Vec<[f64; 2]>,
    page_tables: Vec<[f64; 2]>,
    /// From `/proc/meminfo`: the whole machine's.
    kernel_stack: Vec<[f64; 2]>,
    slab: Vec<[f64; 2]>,
}

impl Ramp {
    /// Reads the process's sizes and the kernel's memory with `n` units idle.
    fn sample(&mut self, n: usize) {
        let status = read_status().expect("/proc/self/status");
        let kernel = read_kernel_memory(5).expect("/proc/meminfo");
        let x = n as f64;
        self.resident.push([x, status.resident as f64]);
        self.reserved.push([x, status.virtual_size as f64]);
        self.page_tables.push([x, status.page_tables as f64]);
        self.kernel_stack.push([x, kernel.kernel_stack as f64]);
        self.slab.push([x, kernel.slab_unreclaimable as f64]);
    }
}
// ANCHOR_END: ramp

impl Ramp {
    /// Records the slopes as `<name>_resident` and so on, and their sum of
    /// user and kernel memory as `<name>_total`.
    fn record(self, out: &mut Output, name: &str) {
        let mut total = self.resident.clone();
        for figure in [&self.page_tables, &self.kernel_stack, &self.slab] {
            total.iter_mut().zip(figure).for_each(|(t, p)| t[1] += p[1]);
        }
        let kernel: Vec<[f64; 2]> = total
            .iter()
            .zip(&self.resident)
            .map(|(t, r)| [t[0], t[1] - r[1]])
            .collect();
        record_slope(out, &format!("{name}_resident"), self.resident);
        record_slope(out, &format!("{name}_reserved"), self.reserved);
        record_slope(out, &format!("{name}_page_tables"), self.page_tables);
        record_slope(out, &format!("{name}_kernel_stack"), self.kernel_stack);
        record_slope(out, &format!("{name}_slab"), self.slab);
        record_slope(out, &format!("{name}_kernel"), kernel);
        record_slope(out, &format!("{name}_total"), total);
    }
}

// ANCHOR: threads
/// Parks more and more threads, reading at each count the process's sizes
/// and the kernel's memory; the slopes are the cost of one more idle
/// thread. The ramp runs `ROUNDS` times. The process's own figures come
/// from the first round: later ones reuse stacks the C library kept from
/// the one before, already resident. The kernel's come from the median of
/// the rounds, since other processes move them too.
fn measure_threads(
    out: &mut Output,
    name: &str,
    stack: Option<usize>,
    counts: &[usize],
) {
    let safe = probe::safe_thread_count().unwrap_or(1_000);
    let counts: Vec<usize> = counts.iter().copied().filter(|&n| n <= safe).collect();
    let new_threads =
        || stack.map_or_else(ParkedThreads::new, ParkedThreads::with_stack_size);
    // Thread stacks and per-thread malloc arenas are set up on first use:
    // start and end a few threads first, so every point below includes them.
    new_threads().park_more(32).expect("32 threads");
    std::thread::sleep(SETTLE);
    let (mut rounds, mut stacks) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (mut ramp, mut threads) = (Ramp::default(), new_threads());
        for &n in &counts {
            if let Err(error) = threads.park_more(n - threads.len()) {
                println!("  {name}: stopping at {}: {error}", threads.len());
                break;
            }
            ramp.sample(n);
        }
        if stacks.is_empty() {
            stacks = stacks_in_ram(&threads.stacks());
        }
        threads.release();
        std::thread::sleep(SETTLE); // the kernel frees a thread after a grace period
        rounds.push(ramp);
    }
    combine(&rounds).record(out, name);
    record_stacks(out, name, &stacks);
}
// ANCHOR_END: threads

// ANCHOR: coroutines
/// The same with stackful coroutines, all suspended on this thread, each on
/// a stack of its own. Rounds as for threads: the process's figures from
/// the first, the kernel's from the median. A coroutine's stack is freed
/// when it ends, with nothing kept for the next round.
fn measure_coroutines(
    out: &mut Output,
    name: &str,
    stack: Option<usize>,
    counts: &[usize],
) {
    let safe = probe::safe_coroutine_count().unwrap_or(4_000);
    let counts: Vec<usize> = counts.iter().copied().filter(|&n| n <= safe).collect();
    let new_coroutines = || {
        stack.map_or_else(
            SuspendedCoroutines::new,
            SuspendedCoroutines::with_stack_size,
        )
    };
    let (mut rounds, mut stacks) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (mut ramp, mut coroutines) = (Ramp::default(), new_coroutines());
        for &n in &counts {
            if let Err(error) = coroutines.suspend_more(n - coroutines.len()) {
                println!("  {name}: stopping at {}: {error}", coroutines.len());
                break;
            }
            ramp.sample(n);
        }
        if stacks.is_empty() {
            stacks = stacks_in_ram(&coroutines.stacks());
        }
        coroutines.release();
        rounds.push(ramp);
    }
    combine(&rounds).record(out, name);
    record_stacks(out, name, &stacks);
}
// ANCHOR_END: coroutines

/// One ramp from several rounds: the process's own figures (resident,
/// reserved, page tables) from the first round, the machine-wide kernel
/// figures (kernel stack, slab) as the median of each point over all rounds.
fn combine(rounds: &[Ramp]) -> Ramp {
    let median = |pick: fn(&Ramp) -> &Vec<[f64; 2]>| median_points(rounds, pick);
    let first = &rounds[0];
    Ramp {
        resident: first.resident.clone(),
        reserved: first.reserved.clone(),
        page_tables: first.page_tables.clone(),
        kernel_stack: median(|r| &r.kernel_stack),
        slab: median(|r| &r.slab),
    }
}

/// Records what the stack mappings themselves hold, from /proc/self/smaps:
/// the smallest mapping, and what each holds resident and in huge pages.
fn record_stacks(
    out: &mut Output,
    name: &str,
    stacks: &[(StackMapping, MappingResident)],
) {
    let count = stacks.len().max(1) as f64;
    let smallest = stacks.iter().map(|(mapping, _)| mapping.size).min();
    let resident: u64 = stacks.iter().map(|(_, in_ram)| in_ram.resident).sum();
    let huge: u64 = stacks.iter().map(|(_, in_ram)| in_ram.huge).sum();
    for (figure, bytes) in [
        ("stack", smallest.unwrap_or(0) as f64),
        ("stack_resident", resident as f64 / count),
        ("stack_huge", huge as f64 / count),
    ] {
        record(out, &format!("{name}_{figure}"), "bytes", bytes, Vec::new());
    }
}

/// What `/proc/self/smaps` says is resident in the stack mapping holding
/// each of `addresses`.
fn stacks_in_ram(addresses: &[u64]) -> Vec<(StackMapping, MappingResident)> {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
    let smaps =
        std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps");
    addresses
        .iter()
        .filter_map(|&address| stack_mapping(&maps, address))
        .filter_map(|stack| Some((stack, mapping_resident(&smaps, stack.start)?)))
        .collect()
}

/// For each count, the median over the rounds of the figure `pick` reads.
fn median_points(
    rounds: &[Ramp],
    pick: fn(&Ramp) -> &Vec<[f64; 2]>,
) -> Vec<[f64; 2]> {
    let shortest = rounds.iter().map(|r| pick(r).len()).min().unwrap_or(0);
    (0..shortest)
        .map(|i| {
            let mut ys: Vec<f64> = rounds.iter().map(|r| pick(r)[i][1]).collect();
            ys.sort_by(f64::total_cmp);
            [pick(&rounds[0])[i][0], ys[ys.len() / 2]]
        })
        .collect()
}

// ANCHOR: tasks
/// The same with pending tasks on one current_thread runtime, in one
/// round: a second would reuse the heap the first one freed.
fn measure_tasks(out: &mut Output, counts: &[usize]) {
    let mut tasks = PendingTasks::new().expect("a runtime");
    let mut ramp = Ramp::default();
    for &n in counts {
        tasks.add(n - tasks.len());
        ramp.sample(n);
    }
    ramp.record(out, "task");

    let future = probe::sleeper(Arc::default());
    let size = std::mem::size_of_val(&future) as f64;
    record(out, "task_future_size", "bytes", size, Vec::new());
}

/// Heap bytes and allocations per spawned sleeper, counted by the allocator.
/// A first batch warms up the runtime's lazily built parts.
fn measure_task_heap(out: &mut Output, spawns: usize) {
    let mut tasks = PendingTasks::new().expect("a runtime");
    tasks.add(spawns);
    let before = GLOBAL.stats();
    tasks.add(spawns);
    let after = GLOBAL.stats();
    let bytes =
        (after.bytes_allocated - before.bytes_allocated) as f64 / spawns as f64;
    let count = (after.allocations - before.allocations) as f64 / spawns as f64;
    record(out, "task_heap", "bytes", bytes, Vec::new());
    record(out, "task_allocations", "count", count, Vec::new());
}
// ANCHOR_END: tasks

fn measure_settings(out: &mut Output) {
    match read_vm_settings() {
        Some(settings) => {
            let mode = f64::from(settings.huge_pages);
            record(out, "huge_page_mode", "count", mode, Vec::new());
            let overcommit = f64::from(settings.overcommit);
            record(out, "overcommit_mode", "count", overcommit, Vec::new());
        }
        None => {
            eprintln!("memory/huge_page_mode: cannot read the kernel's settings")
        }
    }
}

fn measure_default_stack(out: &mut Output) {
    match default_thread_stack(8) {
        Ok(Some(stack)) => {
            record(out, "default_stack", "bytes", stack.size as f64, Vec::new());
            record(out, "thread_guard", "bytes", stack.guard as f64, Vec::new());
        }
        Ok(None) => eprintln!("memory/default_stack: no mapping holds the stack"),
        Err(error) => {
            eprintln!("memory/default_stack: cannot read /proc/self/maps: {error}")
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|arg| arg == "--quick");
    let out_path = args
        .iter()
        .position(|arg| arg == "--out")
        .and_then(|at| args.get(at + 1));
    let Some(out_path) = out_path else {
        eprintln!("usage: memory_probe --out FILE [--quick]");
        std::process::exit(2);
    };

    let (thread_counts, task_counts, spawns): (&[usize], &[usize], usize) = if quick
    {
        (
            &[100, 200, 400, 800],
            &[5_000, 10_000, 20_000, 40_000],
            10_000,
        )
    } else {
        (
            &[250, 500, 1_000, 2_000],
            &[10_000, 25_000, 50_000, 100_000, 200_000],
            100_000,
        )
    };
    let coroutine_counts: &[usize] = if quick {
        &[500, 1_000, 2_000, 4_000]
    } else {
        &[1_000, 2_000, 4_000, 8_000]
    };
    let mut out = Output::new();
    measure_settings(&mut out);
    measure_default_stack(&mut out);
    measure_threads(&mut out, "thread", None, thread_counts);
    measure_threads(&mut out, "small_thread", Some(SMALL_STACK), thread_counts);
    measure_coroutines(&mut out, "coroutine", None, coroutine_counts);
    let small = Some(SMALL_COROUTINE_STACK);
    measure_coroutines(&mut out, "small_coroutine", small, coroutine_counts);
    measure_tasks(&mut out, task_counts);
    measure_task_heap(&mut out, spawns);

    let json = serde_json::to_string_pretty(&out).expect("figures serialize");
    if let Err(error) = std::fs::write(out_path, json + "\n") {
        eprintln!("cannot write {out_path}: {error}");
        std::process::exit(1);
    }
}
