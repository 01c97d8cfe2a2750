//! Having many units of work alive at once.
//!
//! Each unit counts itself and then waits at a barrier sized for all `n`,
//! which opens only once every unit has reached it: so when these functions
//! return, all `n` units were alive at the same time.

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
    /// How much of it one more thread takes.
    pub per_thread: usize,
}

impl Limit {
    /// How many more threads fit while a tenth of the limit stays free for
    /// the rest of the machine.
    pub fn room(&self) -> usize {
        (self.limit - self.limit / 10).saturating_sub(self.in_use) / self.per_thread
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
    let limit = |name, limit, in_use, per_thread| Limit {
        name,
        limit,
        in_use,
        per_thread,
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

    fn limit(name: &'static str, limit: usize, in_use: usize, per_thread: usize) -> Limit {
        Limit {
            name,
            limit,
            in_use,
            per_thread,
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
        let maps = || {
            std::fs::read_to_string("/proc/self/maps")
                .unwrap()
                .lines()
                .count()
        };
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

    /// Each thread adds at most `MAPS_PER_THREAD` maps, beyond the arenas
    /// malloc adds once, so the room the map limit leaves is safe.
    #[test]
    fn each_thread_adds_at_most_maps_per_thread_memory_maps() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "scale::tests::maps_added_by_parked_threads"])
            .args(["--ignored", "--test-threads=1", "--nocapture"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}{stderr}");
        let added: usize = stdout
            .lines()
            .find_map(|line| Some(line.split_once("maps added: ")?.1))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no count in {stdout}{stderr}"));
        assert!(added > PARKED, "{added} maps for {PARKED} threads");
        let most = PARKED * MAPS_PER_THREAD + malloc_arena_maps();
        assert!(added <= most, "{added} maps for {PARKED} threads");
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
    }

    #[test]
    fn this_machine_allows_some_threads() {
        let tightest = tightest_limit().expect("Linux has these files");
        assert!(tightest.room() >= 64, "{tightest:?}");
    }
}
