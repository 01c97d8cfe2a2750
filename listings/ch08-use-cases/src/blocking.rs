//! One blocking call among tasks: a neighbour that wants to wake after 1 ms
//! shares a one-thread runtime with a task that blocks for 20 ms, either on
//! the runtime's thread or on tokio's blocking pool.

use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long the neighbour means to sleep.
pub const NAP: Duration = Duration::from_millis(1);

/// How long the other task's blocking call takes.
pub const BLOCK: Duration = Duration::from_millis(20);

/// One thread runs every task, so a task that blocks it blocks them all.
pub fn one_thread_runtime() -> Runtime {
    Builder::new_current_thread().enable_time().build().unwrap()
}

// ANCHOR: work
/// A blocking call made directly in async code: the runtime's thread sleeps.
pub async fn block_in_async() {
    std::thread::sleep(BLOCK);
}

/// The same call handed to the blocking pool; the task awaits its end, and
/// the runtime's thread is free meanwhile.
pub async fn block_in_spawn_blocking() {
    tokio::task::spawn_blocking(|| std::thread::sleep(BLOCK))
        .await
        .unwrap();
}
// ANCHOR_END: work

// ANCHOR: neighbour
/// Starts a neighbour task's `NAP`, then spawns `work` beside it. Returns
/// as soon as the neighbour is awake: how long its nap really took, and
/// `work`'s task, which may still be running.
pub async fn neighbour_trial<W>(work: W) -> (Duration, JoinHandle<()>)
where
    W: Future<Output = ()> + Send + 'static,
{
    let (napping, started) = oneshot::channel();
    let neighbour = tokio::spawn(async move {
        let start = Instant::now();
        let nap = tokio::time::sleep(NAP);
        napping.send(()).unwrap();
        nap.await;
        start.elapsed()
    });
    // The work starts only once the neighbour's nap has begun.
    let work = tokio::spawn(async move {
        started.await.unwrap();
        work.await;
    });
    (neighbour.await.unwrap(), work)
}

/// One trial, waiting for the work to end too: how long the nap took.
pub async fn neighbour_delay<W>(work: W) -> Duration
where
    W: Future<Output = ()> + Send + 'static,
{
    let (delay, work) = neighbour_trial(work).await;
    work.await.unwrap();
    delay
}
// ANCHOR_END: neighbour

#[cfg(test)]
mod tests {
    use super::*;

    /// Generous: the nap is 1 ms and the block 20 ms.
    const BOUND: Duration = Duration::from_millis(15);

    #[test]
    fn a_blocking_call_in_async_code_makes_the_neighbour_late_by_the_block() {
        let runtime = one_thread_runtime();
        for _ in 0..3 {
            let delay = runtime.block_on(neighbour_delay(block_in_async()));
            assert!(delay - NAP >= BOUND, "only {delay:?} late");
            assert!(delay >= BLOCK, "the nap ended during the block: {delay:?}");
        }
    }

    #[test]
    fn with_spawn_blocking_the_neighbour_wakes_during_the_block() {
        let runtime = one_thread_runtime();
        // The median of five, so one stall of a loaded machine cannot fail it.
        let mut delays: Vec<_> = (0..5)
            .map(|_| runtime.block_on(neighbour_delay(block_in_spawn_blocking())))
            .collect();
        delays.sort();
        assert!(delays.iter().all(|&d| d >= NAP), "woke early: {delays:?}");
        assert!(delays[2] - NAP < BOUND, "late: {delays:?}");
    }

    #[test]
    fn a_trial_returns_while_the_pooled_work_is_still_running() {
        let runtime = one_thread_runtime();
        // A loaded machine may hold the runtime's thread back for a whole
        // `BLOCK`: then this try shows nothing, and another is made.
        let returned_during_the_block = (0..3).any(|_| {
            runtime.block_on(async {
                let before = Instant::now();
                let (delay, work) = neighbour_trial(block_in_spawn_blocking()).await;
                let returned = before.elapsed();
                // The work began after `before` and blocks for `BLOCK`: a
                // trial that returned sooner returned while it was running.
                let early = returned < BLOCK;
                assert!(
                    !early || !work.is_finished(),
                    "finished after {returned:?}"
                );
                assert!(delay <= returned);
                work.await.unwrap();
                assert!(before.elapsed() >= BLOCK, "the block was cut short");
                early
            })
        });
        assert!(
            returned_during_the_block,
            "every trial waited for the block"
        );
    }
}
