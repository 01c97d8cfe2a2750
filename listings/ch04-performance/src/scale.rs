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

// ANCHOR: limits
/// The most threads worth starting here: a quarter of the smallest limit
/// the kernel puts on them (total threads, process ids, this user's
/// processes, and memory maps, of which each thread needs about two: its
/// stack and its guard page). `None` when the limits cannot be read.
pub fn safe_thread_count() -> Option<usize> {
    let read = |path: &str| std::fs::read_to_string(path).ok()?.trim().parse().ok();
    let user_processes = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| max_processes(&limits));
    Some(quarter_of_smallest(
        read("/proc/sys/kernel/threads-max")?,
        read("/proc/sys/kernel/pid_max")?,
        read("/proc/sys/vm/max_map_count")?,
        user_processes,
    ))
}

fn quarter_of_smallest(
    threads_max: usize,
    pid_max: usize,
    max_map_count: usize,
    user_processes: Option<usize>,
) -> usize {
    let smallest = threads_max
        .min(pid_max)
        .min(max_map_count / 2)
        .min(user_processes.unwrap_or(usize::MAX));
    smallest / 4
}

/// The soft "Max processes" limit from `/proc/self/limits`, unless unlimited.
fn max_processes(limits: &str) -> Option<usize> {
    let rest = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max processes"))?;
    rest.split_whitespace().next()?.parse().ok()
}
// ANCHOR_END: limits

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

    #[test]
    fn the_safe_count_is_a_quarter_of_the_tightest_limit() {
        // The memory maps allow 65530 / 2 = 32765 threads, below pid_max.
        assert_eq!(quarter_of_smallest(192_731, 32_768, 65_530, None), 8_191);
        assert_eq!(quarter_of_smallest(192_731, 20_000, 65_530, None), 5_000);
        assert_eq!(quarter_of_smallest(10_000, 32_768, 65_530, None), 2_500);
        assert_eq!(quarter_of_smallest(192_731, 32_768, 65_530, Some(400)), 100);
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
        let count = safe_thread_count().expect("Linux has these files");
        assert!(count >= 64, "only {count} threads allowed");
    }
}
