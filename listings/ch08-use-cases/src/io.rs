//! Many concurrent waits: as tasks on one runtime, and as one OS thread each.

use std::thread;
use std::time::Duration;
use tokio::runtime::{Builder, Runtime};

/// How many waits run at the same time.
pub const WAITERS: usize = 1_000;

/// How long each one waits.
pub const WAIT: Duration = Duration::from_millis(1);

/// A runtime on the calling thread with a timer. Waiting needs no
/// parallelism, so one thread is enough for all the sleeping tasks.
pub fn one_thread_runtime() -> Runtime {
    Builder::new_current_thread().enable_time().build().unwrap()
}

// ANCHOR: waits
/// `waiters` tasks that each sleep for `wait`, all awaited. Returns how many
/// woke up. Run it on a runtime with a timer.
pub async fn sleep_tasks(waiters: usize, wait: Duration) -> usize {
    let tasks: Vec<_> = (0..waiters)
        .map(|_| tokio::spawn(tokio::time::sleep(wait)))
        .collect();
    let mut woke = 0;
    for task in tasks {
        task.await.unwrap();
        woke += 1;
    }
    woke
}

/// The same waits, each on its own OS thread, all joined.
pub fn sleep_threads(waiters: usize, wait: Duration) -> usize {
    thread::scope(|scope| {
        let threads: Vec<_> = (0..waiters)
            .map(|_| scope.spawn(move || thread::sleep(wait)))
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).count()
    })
}
// ANCHOR_END: waits

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Long waits, so that doing them one after another (100 x 50 ms = 5 s)
    /// could not pass for doing them at once.
    const LONG_WAIT: Duration = Duration::from_millis(50);
    const FEW: usize = 100;
    const ONE_BY_ONE: Duration = LONG_WAIT.saturating_mul(FEW as u32);

    #[test]
    fn every_sleeping_task_wakes_and_they_wait_at_the_same_time() {
        let started = Instant::now();
        let woke = one_thread_runtime().block_on(sleep_tasks(FEW, LONG_WAIT));
        let took = started.elapsed();
        assert_eq!(woke, FEW);
        assert!(took >= LONG_WAIT, "woke early: {took:?}");
        assert!(took < ONE_BY_ONE / 2, "waited one by one: {took:?}");
    }

    #[test]
    fn every_sleeping_thread_wakes_and_they_wait_at_the_same_time() {
        let started = Instant::now();
        let woke = sleep_threads(FEW, LONG_WAIT);
        let took = started.elapsed();
        assert_eq!(woke, FEW);
        assert!(took >= LONG_WAIT, "woke early: {took:?}");
        assert!(took < ONE_BY_ONE / 2, "waited one by one: {took:?}");
    }

    #[test]
    fn the_benchmarked_waits_all_complete() {
        assert_eq!(
            one_thread_runtime().block_on(sleep_tasks(WAITERS, WAIT)),
            WAITERS
        );
        assert_eq!(sleep_threads(WAITERS, WAIT), WAITERS);
    }
}
