//! Permits: a `Semaphore` that lets at most `PERMITS` of `TASKS` tasks work
//! at once, and two signals from a thread to a task that are kept when they
//! come before the task waits for them: `Notify::notify_one` and `oneshot`.
//! It runs on tokio's paused clock, so the output does not depend on timing.
//!
//!     cargo run -p ch07-synchronization --bin permits

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, oneshot};
use tokio::time::timeout;

// ANCHOR: semaphore
const TASKS: usize = 10;
const PERMITS: usize = 3;
const WORK: Duration = Duration::from_millis(10);

/// How many tasks hold a permit now, and the most that ever did at once.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    most: AtomicUsize,
}

/// Waits for a permit, then works with it; dropping `_permit` at the end
/// hands it to the next task in the semaphore's queue.
async fn work(permits: Arc<Semaphore>, gauge: Arc<Gauge>) {
    let _permit = permits.acquire().await.unwrap();
    let holders = gauge.now.fetch_add(1, SeqCst) + 1;
    gauge.most.fetch_max(holders, SeqCst);
    tokio::time::sleep(WORK).await; // a download, say
    gauge.now.fetch_sub(1, SeqCst);
}

/// Runs `TASKS` tasks that share `permits`; returns how many finished and
/// the most that held a permit at the same time.
async fn share(permits: usize) -> (usize, usize) {
    let (permits, gauge) = (Arc::new(Semaphore::new(permits)), Arc::default());
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| tokio::spawn(work(permits.clone(), Arc::clone(&gauge))))
        .collect();
    let mut finished = 0;
    for task in tasks {
        task.await.unwrap();
        finished += 1;
    }
    (finished, gauge.most.load(SeqCst))
}
// ANCHOR_END: semaphore

/// How long a task waits for a signal before it gives up.
const PATIENCE: Duration = Duration::from_secs(1);

// ANCHOR: signals
/// A thread does its work and signals with `signal`, and only then does the
/// task begin to wait. Returns whether the task saw the signal in time.
async fn signal_then_wait(signal: fn(&Notify)) -> bool {
    let done = Arc::new(Notify::new());
    let thread_done = Arc::clone(&done);
    thread::spawn(move || signal(&thread_done)).join().unwrap();
    timeout(PATIENCE, done.notified()).await.is_ok()
}

/// The same with a value: the channel keeps it until the task receives it.
async fn send_then_receive() -> Option<u64> {
    let (sender, receiver) = oneshot::channel();
    thread::spawn(move || sender.send(42).unwrap())
        .join()
        .unwrap();
    timeout(PATIENCE, receiver).await.ok()?.ok()
}
// ANCHOR_END: signals

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let (finished, most) = share(PERMITS).await;
        println!(
            "Semaphore, {PERMITS} permits: {finished} of {TASKS} tasks finished"
        );
        println!("  most tasks holding a permit at once: {most}");
        let woken = signal_then_wait(Notify::notify_one).await;
        println!("notify_one, then notified().await:     woken: {woken}");
        let woken = signal_then_wait(Notify::notify_waiters).await;
        println!("notify_waiters, then notified().await: woken: {woken}");
        println!(
            "oneshot send, then receive: {:?}",
            send_then_receive().await
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The clock is paused: every sleep and timeout ends as soon as nothing
    /// else can run, so the tests never wait on real time, and a lost signal
    /// shows as a timeout at once, not a hang.
    #[tokio::test(start_paused = true)]
    async fn all_tasks_finish_and_no_more_than_the_permits_work_at_once() {
        let (finished, most) = share(PERMITS).await;
        assert_eq!(finished, TASKS);
        assert!(most <= PERMITS, "{most} tasks held a permit at once");
        // Each permit holder sleeps, so the first `PERMITS` tasks all get in.
        assert_eq!(most, PERMITS);
    }

    /// The control for the test above: with one permit more, one task
    /// more holds a permit at once.
    #[tokio::test(start_paused = true)]
    async fn one_permit_more_lets_one_task_more_work_at_once() {
        let (finished, most) = share(PERMITS + 1).await;
        assert_eq!(finished, TASKS);
        assert_eq!(most, PERMITS + 1);
    }

    #[tokio::test(start_paused = true)]
    async fn notify_one_before_anyone_waits_stores_a_permit_for_the_waiter() {
        assert!(
            signal_then_wait(Notify::notify_one).await,
            "the signal was lost"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn notify_waiters_before_anyone_waits_is_lost() {
        assert!(!signal_then_wait(Notify::notify_waiters).await);
    }

    /// What `notify_waiters` does reach: a `Notified` future that exists
    /// when it is called, even one never polled. Creating it registers it.
    #[tokio::test(start_paused = true)]
    async fn notify_waiters_reaches_a_notified_future_made_before_it_even_unpolled()
    {
        let done = Arc::new(Notify::new());
        let waiting = done.notified(); // made, not polled
        let thread_done = Arc::clone(&done);
        thread::spawn(move || thread_done.notify_waiters())
            .join()
            .unwrap();
        assert!(
            timeout(PATIENCE, waiting).await.is_ok(),
            "the signal was lost"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_oneshot_value_sent_before_the_receiver_waits_is_kept() {
        assert_eq!(send_then_receive().await, Some(42));
    }
}
