//! Measures what an idle OS thread and a pending tokio task cost in memory,
//! and writes the figures as JSON:
//!
//! `cargo run --release -p ch05-memory --bin memory_probe -- --out FILE [--quick]`

use ch05_memory::maps::default_thread_stack;
use ch05_memory::probe::{self, ParkedThreads, PendingTasks};
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

fn record(out: &mut Output, name: &str, unit: &'static str, value: f64, points: Vec<[f64; 2]>) {
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

// ANCHOR: threads
/// Parks more and more threads, reading resident and virtual size at each
/// count: the slopes are the cost of one more idle thread.
fn measure_threads(out: &mut Output, counts: &[usize]) {
    let safe = probe::safe_thread_count().unwrap_or(1_000);
    // Thread stacks and per-thread malloc arenas are set up on first use:
    // start and end a few threads first, so every point below includes them.
    ParkedThreads::new().park_more(32).expect("32 threads");
    let (mut resident, mut reserved) = (Vec::new(), Vec::new());
    let mut threads = ParkedThreads::new();
    for &n in counts {
        if n > safe {
            println!("  threads: stopping below {n}, over {safe} (a quarter of the limits)");
            break;
        }
        if let Err(error) = threads.park_more(n - threads.len()) {
            println!("  threads: stopping at {}: {error}", threads.len());
            break;
        }
        let status = read_status().expect("/proc/self/status");
        resident.push([n as f64, status.resident as f64]);
        reserved.push([n as f64, status.virtual_size as f64]);
    }
    threads.release();
    record_slope(out, "thread_resident", resident);
    record_slope(out, "thread_reserved", reserved);
}
// ANCHOR_END: threads

// ANCHOR: tasks
/// The same with pending tasks on one current_thread runtime.
fn measure_tasks(out: &mut Output, counts: &[usize]) {
    let mut tasks = PendingTasks::new().expect("a runtime");
    let mut resident = Vec::new();
    for &n in counts {
        tasks.add(n - tasks.len());
        let status = read_status().expect("/proc/self/status");
        resident.push([n as f64, status.resident as f64]);
    }
    record_slope(out, "task_resident", resident);

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
    let bytes = (after.bytes_allocated - before.bytes_allocated) as f64 / spawns as f64;
    let count = (after.allocations - before.allocations) as f64 / spawns as f64;
    record(out, "task_heap", "bytes", bytes, Vec::new());
    record(out, "task_allocations", "count", count, Vec::new());
}
// ANCHOR_END: tasks

fn measure_default_stack(out: &mut Output) {
    match default_thread_stack(8) {
        Ok(Some(stack)) => {
            record(out, "default_stack", "bytes", stack.size as f64, Vec::new());
            record(out, "thread_guard", "bytes", stack.guard as f64, Vec::new());
        }
        Ok(None) => eprintln!("memory/default_stack: no mapping holds the stack"),
        Err(error) => eprintln!("memory/default_stack: cannot read /proc/self/maps: {error}"),
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

    let (thread_counts, task_counts, spawns): (&[usize], &[usize], usize) = if quick {
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
    let mut out = Output::new();
    measure_default_stack(&mut out);
    measure_threads(&mut out, thread_counts);
    measure_tasks(&mut out, task_counts);
    measure_task_heap(&mut out, spawns);

    let json = serde_json::to_string_pretty(&out).expect("figures serialize");
    if let Err(error) = std::fs::write(out_path, json + "\n") {
        eprintln!("cannot write {out_path}: {error}");
        std::process::exit(1);
    }
}
