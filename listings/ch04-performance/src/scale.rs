//! Having many units of work alive at once.
//!
//! Each unit counts itself and then waits at a barrier sized for all `n`,
//! which opens only once every unit has reached it: so when these functions
//! return, all `n` units were alive at the same time. Stackful coroutines,
//! which all share the calling thread, need no barrier: each suspends, and
//! none goes on until all `n` have been created and have suspended.

use corosensei::Coroutine;
use corosensei::stack::{DefaultStack, Stack};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

// ANCHOR: threads
/// Starts `n` OS threads, lets them all meet, joins them, and returns how
/// many ran.
pub fn threads(n: usize) -> usize {
    let ran = Arc::new(AtomicUsize::new(0));
    let all_here = Arc::new(std::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (ran, all_here) = (Arc::clone(&ran), Arc::clone(&all_here));
            std::thread::spawn(move || {
                ran.fetch_add(1, Ordering::Relaxed);
                all_here.wait();
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("the thread does not panic");
    }
    ran.load(Ordering::Relaxed)
}
// ANCHOR_END: threads

// ANCHOR: tasks
/// The same with `n` tokio tasks and tokio's barrier, which suspends a task
/// instead of blocking its thread. Must run inside a tokio runtime.
pub async fn tasks(n: usize) -> usize {
    let ran = Arc::new(AtomicUsize::new(0));
    let all_here = Arc::new(tokio::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (ran, all_here) = (Arc::clone(&ran), Arc::clone(&all_here));
            tokio::spawn(async move {
                ran.fetch_add(1, Ordering::Relaxed);
                all_here.wait().await;
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("the task does not panic");
    }
    ran.load(Ordering::Relaxed)
}
// ANCHOR_END: tasks

// ANCHOR: coroutines
/// The same with `n` stackful coroutines on the calling thread, each on its
/// own stack of corosensei's default size: each is created, resumed until it
/// suspends, and kept; once all `n` are suspended, each is resumed to its
/// end. Returns the fewest units any of them saw started when it went on:
/// `n` only if all `n` were alive at once.
pub fn coroutines(n: usize) -> usize {
    let started = Rc::new(Cell::new(0));
    let mut suspended: Vec<Coroutine<(), (), usize>> = (0..n)
        .map(|_| {
            let started = Rc::clone(&started);
            let mut coroutine = Coroutine::new(move |yielder, ()| {
                started.set(started.get() + 1);
                yielder.suspend(()); // its stack is kept until the next resume
                started.get()
            });
            coroutine.resume(());
            coroutine
        })
        .collect();
    let seen = suspended.iter_mut().map(|coroutine| {
        let end = coroutine.resume(()).as_return();
        end.expect("it ends after its one suspend")
    });
    seen.min().unwrap_or(0)
}
// ANCHOR_END: coroutines

// ANCHOR: limit
/// How many memory maps one thread adds: its stack and the guard page below
/// it, and the same pair again for the small stack std gives each thread
/// for its stack-overflow handler (`sigaltstack`).
pub const MAPS_PER_THREAD: usize = 4;

/// The maps glibc's malloc may add, once, as threads start to allocate: up
/// to 8 arenas per CPU (its default arena limit on 64-bit), two maps each.
pub fn malloc_arena_maps() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    2 * 8 * cpus
}

/// One kernel limit that thread creation runs into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub name: &'static str,
    pub limit: usize,
    /// How much of it is already taken.
    pub in_use: usize,
    /// How much of it one more thread (or coroutine) takes.
    pub per_unit: usize,
}

impl Limit {
    /// How many more units fit while a tenth of the limit stays free for
    /// the rest of the machine.
    pub fn room(&self) -> usize {
        (self.limit - self.limit / 10).saturating_sub(self.in_use) / self.per_unit
    }
}
// ANCHOR_END: limit

// ANCHOR: tightest_limit
/// The limit that leaves the least room for new threads here. Every thread
/// takes a process id (`pid_max`), a place in the kernel's thread table
/// (`threads-max`) and in this user's process count (`RLIMIT_NPROC`, of
/// which the machine's whole thread count is an upper bound), and memory
/// maps of this process (`vm.max_map_count`). `None` if /proc cannot be read.
pub fn tightest_limit() -> Option<Limit> {
    let read = |path: &str| std::fs::read_to_string(path).ok()?.trim().parse().ok();
    let loadavg = std::fs::read_to_string("/proc/loadavg").ok()?;
    let threads_now = threads_on_the_machine(&loadavg)?;
    let maps_now = std::fs::read_to_string("/proc/self/maps")
        .ok()?
        .lines()
        .count();
    let limit = |name, limit, in_use, per_unit| Limit {
        name,
        limit,
        in_use,
        per_unit,
    };
    let mut limits = vec![
        limit("pid_max", read("/proc/sys/kernel/pid_max")?, threads_now, 1),
        limit(
            "threads-max",
            read("/proc/sys/kernel/threads-max")?,
            threads_now,
            1,
        ),
        limit(
            "vm.max_map_count",
            read("/proc/sys/vm/max_map_count")?,
            maps_now,
            MAPS_PER_THREAD,
        ),
    ];
    let limits_file = std::fs::read_to_string("/proc/self/limits").ok()?;
    if let Some(processes) = max_processes(&limits_file) {
        limits.push(limit("RLIMIT_NPROC", processes, threads_now, 1));
    }
    tightest(limits)
}

/// Of several limits, the one that leaves the least room.
fn tightest(limits: Vec<Limit>) -> Option<Limit> {
    limits.into_iter().min_by_key(Limit::room)
}
// ANCHOR_END: tightest_limit

// ANCHOR: coroutine_limits
/// How many memory maps one coroutine's `DefaultStack` adds: corosensei maps
/// the stack and its guard page with one `mmap`, then makes all but the guard
/// page writable, which splits the map in two.
pub const MAPS_PER_COROUTINE: usize = 2;

/// Resident memory one suspended coroutine adds at most: the pages of its
/// stack it has touched, and its share of the page tables that map them.
pub const RESIDENT_PER_COROUTINE: usize = 16 * 1024;

/// Address space one `DefaultStack` of `size` bytes reserves, guard included.
pub fn reserved_per_stack(size: usize) -> usize {
    let stack = DefaultStack::new(size).expect("the kernel maps the stack");
    stack.base().get() - stack.limit().get()
}

/// The limit that leaves the least room for coroutines on stacks of `size`
/// bytes: this process's memory maps (`vm.max_map_count`), the machine's
/// memory (`MemTotal`, of which `MemAvailable` is free) for the pages they
/// touch, and, where the kernel enforces them, the memory it may promise
/// (`CommitLimit`, when `vm.overcommit_memory` is 2: each stack's writable
/// part counts in full) and this process's address space (`RLIMIT_AS`).
pub fn tightest_coroutine_limit(size: usize) -> Option<Limit> {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let maps_now = read("/proc/self/maps")?.lines().count();
    let meminfo = read("/proc/meminfo")?;
    let kib = |field| kib_field(&meminfo, field);
    let (total, available) = (kib("MemTotal:")?, kib("MemAvailable:")?);
    let limit = |name, limit, in_use, per_unit| Limit {
        name,
        limit,
        in_use,
        per_unit,
    };
    let mut limits = vec![
        limit(
            "vm.max_map_count",
            read("/proc/sys/vm/max_map_count")?.trim().parse().ok()?,
            maps_now,
            MAPS_PER_COROUTINE,
        ),
        limit("MemTotal", total, total - available, RESIDENT_PER_COROUTINE),
    ];
    if read("/proc/sys/vm/overcommit_memory")?.trim() == "2" {
        let (commit, committed) = (kib("CommitLimit:")?, kib("Committed_AS:")?);
        limits.push(limit("CommitLimit", commit, committed, size));
    }
    if let Some(space) = max_address_space(&read("/proc/self/limits")?) {
        let in_use = kib_field(&read("/proc/self/status")?, "VmSize:")?;
        limits.push(limit("RLIMIT_AS", space, in_use, reserved_per_stack(size)));
    }
    tightest(limits)
}
// ANCHOR_END: coroutine_limits

/// A `Field:   1234 kB` line of /proc/meminfo or /proc/self/status, in bytes.
fn kib_field(text: &str, field: &str) -> Option<usize> {
    let rest = text.lines().find_map(|line| line.strip_prefix(field))?;
    let kib: usize = rest.split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024)
}

/// The soft "Max address space" limit (bytes) from /proc/self/limits, unless
/// unlimited.
fn max_address_space(limits: &str) -> Option<usize> {
    let rest = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max address space"))?;
    rest.split_whitespace().next()?.parse().ok()
}

/// Threads that exist on the whole machine: the number after the slash in
/// `/proc/loadavg` (for example `0.10 0.05 0.01 2/345 6789`).
fn threads_on_the_machine(loadavg: &str) -> Option<usize> {
    let field = loadavg.split_whitespace().nth(3)?;
    field.split_once('/')?.1.parse().ok()
}

/// The soft "Max processes" limit from `/proc/self/limits`, unless unlimited.
fn max_processes(limits: &str) -> Option<usize> {
    let rest = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max processes"))?;
    rest.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_runs_and_all_are_alive_together() {
        // Returning at all proves the barrier of 64 opened: all 64 met.
        assert_eq!(threads(64), 64);
        assert_eq!(threads(1), 1);
    }

    #[test]
    fn every_task_runs_on_one_thread_and_all_are_alive_together() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(runtime.block_on(tasks(10_000)), 10_000);
        assert_eq!(runtime.block_on(tasks(1)), 1);
        assert_eq!(runtime.metrics().num_alive_tasks(), 0);
    }

    #[test]
    fn tasks_also_meet_on_a_multi_thread_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        assert_eq!(runtime.block_on(tasks(1_000)), 1_000);
    }

    fn limit(
        name: &'static str,
        limit: usize,
        in_use: usize,
        per_unit: usize,
    ) -> Limit {
        Limit {
            name,
            limit,
            in_use,
            per_unit,
        }
    }

    #[test]
    fn the_room_for_threads_leaves_a_tenth_of_each_limit_free() {
        // pid_max 32768: 29492 usable, 400 taken.
        assert_eq!(limit("pid_max", 32_768, 400, 1).room(), 29_092);
        // 65530 maps: 58977 usable, 100 taken, four per thread.
        assert_eq!(limit("maps", 65_530, 100, 4).room(), 14_719);
        // Already past nine tenths: no room at all, not an overflow.
        assert_eq!(limit("pid_max", 1_000, 950, 1).room(), 0);
    }

    #[test]
    fn the_tightest_limit_is_the_one_that_leaves_the_least_room() {
        let pids = limit("pid_max", 32_768, 400, 1);
        let maps = limit("vm.max_map_count", 65_530, 100, 4);
        assert_eq!(tightest(vec![pids, maps.clone()]), Some(maps.clone()));
        let few_pids = limit("pid_max", 4_096, 400, 1);
        assert_eq!(tightest(vec![few_pids.clone(), maps]), Some(few_pids));
    }

    #[test]
    fn the_machines_thread_count_is_read_from_loadavg() {
        let loadavg = "0.10 0.05 0.01 2/345 6789\n";
        assert_eq!(threads_on_the_machine(loadavg), Some(345));
        assert_eq!(threads_on_the_machine("0.10 0.05"), None);
    }

    /// How many lines /proc/self/maps gains while `PARKED` threads are
    /// parked. Other tests' threads would change the count, so this runs
    /// alone, in a child process: see the next test.
    #[test]
    #[ignore = "run alone by each_thread_adds_at_most_maps_per_thread_memory_maps"]
    fn maps_added_by_parked_threads() {
        let all_here = std::sync::Arc::new(std::sync::Barrier::new(PARKED + 1));
        let before = maps();
        let handles: Vec<_> = (0..PARKED)
            .map(|_| {
                let all_here = std::sync::Arc::clone(&all_here);
                std::thread::spawn(move || {
                    all_here.wait(); // all started
                    all_here.wait(); // counted
                })
            })
            .collect();
        all_here.wait();
        let added = maps() - before;
        all_here.wait();
        handles.into_iter().for_each(|h| h.join().unwrap());
        println!("maps added: {added}");
    }

    const PARKED: usize = 50;

    /// How many lines /proc/self/maps has: one per memory mapping.
    fn maps() -> usize {
        std::fs::read_to_string("/proc/self/maps")
            .unwrap()
            .lines()
            .count()
    }

    /// Runs the ignored test `probe` of this binary alone in a child process
    /// and returns the figure it printed after `label`.
    fn from_child(probe: &str, label: &str) -> usize {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", probe])
            .args(["--ignored", "--test-threads=1", "--nocapture"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}{stderr}");
        stdout
            .lines()
            .find_map(|line| Some(line.split_once(label)?.1))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no `{label}` in {stdout}{stderr}"))
    }

    /// Each thread adds at most `MAPS_PER_THREAD` maps, beyond the arenas
    /// malloc adds once, so the room the map limit leaves is safe.
    #[test]
    fn each_thread_adds_at_most_maps_per_thread_memory_maps() {
        let added =
            from_child("scale::tests::maps_added_by_parked_threads", "maps added: ");
        assert!(added > PARKED, "{added} maps for {PARKED} threads");
        let most = PARKED * MAPS_PER_THREAD + malloc_arena_maps();
        assert!(added <= most, "{added} maps for {PARKED} threads");
    }

    #[test]
    fn every_coroutine_runs_and_all_are_suspended_together() {
        assert_eq!(coroutines(1_000), 1_000);
        assert_eq!(coroutines(1), 1);
    }

    /// corosensei maps `size` bytes rounded up to whole pages and one guard
    /// page more (`stack/unix.rs`), whatever `size` is asked for.
    #[test]
    fn a_default_stack_reserves_its_size_and_one_guard_page() {
        let page = 4096; // x86_64 and most AArch64 Linux kernels
        assert_eq!(reserved_per_stack(1024 * 1024), 1024 * 1024 + page);
        assert_eq!(reserved_per_stack(16 * 1024), 16 * 1024 + page);
        assert_eq!(reserved_per_stack(16 * 1024 + 1), 20 * 1024 + page);
        // corosensei's minimum stack: one page (`MIN_STACK_SIZE`).
        assert_eq!(reserved_per_stack(1), page + page);
    }

    /// Lines /proc/self/maps gains, and bytes of resident memory and page
    /// tables (`VmRSS` plus `VmPTE`) the process gains, while `SUSPENDED`
    /// coroutines are suspended. Run alone, in a child process.
    #[test]
    #[ignore = "run alone by the tests of each_suspended_coroutine_adds_..."]
    fn maps_and_memory_added_by_suspended_coroutines() {
        let resident = || {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            kib_field(&status, "VmRSS:").unwrap()
                + kib_field(&status, "VmPTE:").unwrap()
        };
        let mut kept = Vec::with_capacity(SUSPENDED);
        let (maps_before, resident_before) = (maps(), resident());
        for _ in 0..SUSPENDED {
            let mut coroutine = Coroutine::new(|yielder, ()| {
                let on_the_stack = [1u8; 64];
                yielder.suspend(());
                std::hint::black_box(on_the_stack);
            });
            coroutine.resume(());
            kept.push(coroutine);
        }
        let (maps_added, resident_added) =
            (maps() - maps_before, resident() - resident_before);
        for coroutine in &mut kept {
            assert!(coroutine.resume(()).as_return().is_some());
        }
        println!("maps added: {maps_added}");
        println!("resident added: {resident_added}");
    }

    const SUSPENDED: usize = 1_000;

    /// The figure the coroutine probe printed after `label`.
    fn from_coroutine_child(label: &str) -> usize {
        from_child(
            "scale::tests::maps_and_memory_added_by_suspended_coroutines",
            label,
        )
    }

    /// Each suspended coroutine adds `MAPS_PER_COROUTINE` maps and no more,
    /// so the room the map limit leaves for coroutines is safe.
    #[test]
    fn each_suspended_coroutine_adds_at_most_maps_per_coroutine_memory_maps() {
        let added = from_coroutine_child("maps added: ");
        assert!(added > SUSPENDED, "{added} maps for {SUSPENDED} coroutines");
        let most = SUSPENDED * MAPS_PER_COROUTINE + malloc_arena_maps();
        assert!(added <= most, "{added} maps for {SUSPENDED} coroutines");
    }

    /// Each suspended coroutine adds at most `RESIDENT_PER_COROUTINE` bytes
    /// of resident memory and page tables, and touches at least one page.
    #[test]
    fn each_suspended_coroutine_adds_at_most_resident_per_coroutine_bytes() {
        let added = from_coroutine_child("resident added: ");
        assert!(
            added >= SUSPENDED * 4096,
            "{added} bytes for {SUSPENDED} coroutines"
        );
        let most = SUSPENDED * RESIDENT_PER_COROUTINE;
        assert!(added <= most, "{added} bytes for {SUSPENDED} coroutines");
    }

    #[test]
    fn memory_fields_are_read_in_bytes() {
        let meminfo = "MemTotal:       24683584 kB\nMemAvailable:   24113584 kB\n";
        assert_eq!(kib_field(meminfo, "MemAvailable:"), Some(24_113_584 * 1024));
        assert_eq!(kib_field(meminfo, "CommitLimit:"), None);
    }

    #[test]
    fn this_machine_allows_some_coroutines() {
        let tightest =
            tightest_coroutine_limit(1024 * 1024).expect("Linux has these files");
        assert!(tightest.room() >= 1_000, "{tightest:?}");
    }

    #[test]
    fn the_user_process_limit_is_read_from_proc_limits() {
        let limits = "\
Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max processes             96365                96365                processes
Max open files            1048576              1048576              files
";
        assert_eq!(max_processes(limits), Some(96_365));
        let unlimited = limits.replace("96365 ", "unlimited");
        assert_eq!(max_processes(&unlimited), None);
        assert_eq!(max_address_space(limits), None);
        let address_space = "Max address space         8589934592           unlimited            bytes\n";
        assert_eq!(max_address_space(address_space), Some(8_589_934_592));
    }

    #[test]
    fn this_machine_allows_some_threads() {
        let tightest = tightest_limit().expect("Linux has these files");
        assert!(tightest.room() >= 64, "{tightest:?}");
    }
}
