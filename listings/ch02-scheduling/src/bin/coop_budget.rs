//! How far a task gets through a full channel before its neighbour runs:
//! tokio's cooperative budget at work.
//!
//!     cargo run -p ch02-scheduling --bin coop_budget

use futures::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// How many messages wait in each consumer's channel before it starts.
const MESSAGES: usize = 1_000;

// ANCHOR: consumers
/// Drains a full tokio channel: every `recv().await` is ready at once.
async fn drain_tokio_channel(taken: Arc<AtomicUsize>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    (0..MESSAGES).for_each(|m| tx.send(m).unwrap());
    drop(tx);
    while rx.recv().await.is_some() {
        taken.fetch_add(1, SeqCst);
    }
}

/// The same loop over a channel from `futures`, which knows nothing of
/// tokio's budget.
async fn drain_futures_channel(taken: Arc<AtomicUsize>) {
    let (tx, mut rx) = futures::channel::mpsc::unbounded();
    (0..MESSAGES).for_each(|m| tx.unbounded_send(m).unwrap());
    drop(tx);
    while rx.next().await.is_some() {
        taken.fetch_add(1, SeqCst);
    }
}

/// The `futures` loop again, now spending one unit of budget per message.
async fn drain_futures_channel_with_budget(taken: Arc<AtomicUsize>) {
    let (tx, mut rx) = futures::channel::mpsc::unbounded();
    (0..MESSAGES).for_each(|m| tx.unbounded_send(m).unwrap());
    drop(tx);
    while rx.next().await.is_some() {
        taken.fetch_add(1, SeqCst);
        tokio::task::coop::consume_budget().await;
    }
}
// ANCHOR_END: consumers

// ANCHOR: neighbour
/// Spawns `consumer` on a one-thread runtime, then a neighbour task that
/// reads how many messages had been taken when it first got the thread.
fn taken_when_neighbour_ran<F, Fut>(consumer: F) -> usize
where
    F: FnOnce(Arc<AtomicUsize>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let taken = Arc::new(AtomicUsize::new(0));
    runtime.block_on(async {
        let consumer = tokio::spawn(consumer(taken.clone()));
        let neighbour = tokio::spawn(async move { taken.load(SeqCst) });
        consumer.await.unwrap();
        neighbour.await.unwrap()
    })
}

fn main() {
    let report = |label, taken| {
        println!("{label}: {taken} of {MESSAGES} taken when the neighbour ran")
    };
    report(
        "tokio channel",
        taken_when_neighbour_ran(drain_tokio_channel),
    );
    report(
        "futures channel",
        taken_when_neighbour_ran(drain_futures_channel),
    );
    report(
        "futures channel + consume_budget",
        taken_when_neighbour_ran(drain_futures_channel_with_budget),
    );
}
// ANCHOR_END: neighbour

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// The budget a task gets each time tokio polls it:
    /// `Budget::initial()` in `tokio/src/task/coop/mod.rs` of the locked
    /// tokio (1.54.1) is `Budget(Some(128))`.
    const BUDGET: usize = 128;

    /// A tokio channel checks the budget before it hands out a message, so
    /// the consumer takes exactly `BUDGET` and the rest are still waiting.
    #[test]
    fn a_tokio_channel_makes_a_busy_consumer_yield_before_it_is_done() {
        let taken = taken_when_neighbour_ran(drain_tokio_channel);
        assert_eq!(taken, BUDGET);
        assert!(
            MESSAGES - taken > MESSAGES / 2,
            "most messages still waiting"
        );
    }

    #[test]
    fn a_channel_outside_tokio_never_runs_out_of_budget() {
        assert_eq!(taken_when_neighbour_ran(drain_futures_channel), MESSAGES);
    }

    /// `consume_budget` is called *after* each message is taken: the first
    /// `BUDGET` calls pass, and the one after message `BUDGET + 1` yields.
    #[test]
    fn consume_budget_gives_plain_code_the_same_yield_points() {
        let taken = taken_when_neighbour_ran(drain_futures_channel_with_budget);
        assert_eq!(taken, BUDGET + 1);
    }

    #[test]
    fn unconstrained_switches_the_budget_off() {
        let unbudgeted =
            |taken| tokio::task::coop::unconstrained(drain_tokio_channel(taken));
        assert_eq!(taken_when_neighbour_ran(unbudgeted), MESSAGES);
    }

    /// How long each message keeps the slow consumer busy.
    const WORK: Duration = Duration::from_micros(200);

    /// The tokio consumer again, computing for `WORK` after each message.
    async fn drain_tokio_channel_slowly(taken: Arc<AtomicUsize>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        (0..MESSAGES).for_each(|m| tx.send(m).unwrap());
        drop(tx);
        while rx.recv().await.is_some() {
            taken.fetch_add(1, SeqCst);
            let started = Instant::now();
            while started.elapsed() < WORK {
                std::hint::spin_loop();
            }
        }
    }

    /// The slow consumer's messages each take `WORK` longer than the fast
    /// one's; a time slice would let the slow one take fewer. The neighbour
    /// sees `BUDGET` taken in every run, from either consumer.
    #[test]
    fn the_budget_is_a_count_not_a_time_slice() {
        for _ in 0..5 {
            assert_eq!(taken_when_neighbour_ran(drain_tokio_channel), BUDGET);
            assert_eq!(taken_when_neighbour_ran(drain_tokio_channel_slowly), BUDGET);
        }
    }

    /// Since the budget counts operations, not time, slow operations hold
    /// the thread for `BUDGET` times their cost before the neighbour runs.
    #[test]
    fn slow_budgeted_operations_hold_the_thread_for_the_whole_budget() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let waited = runtime.block_on(async {
            let consumer = tokio::spawn(drain_tokio_channel_slowly(Arc::default()));
            let spawned = Instant::now();
            let neighbour = tokio::spawn(async move { spawned.elapsed() });
            consumer.await.unwrap();
            neighbour.await.unwrap()
        });
        let budget_of_work = WORK * BUDGET as u32;
        assert!(waited >= budget_of_work, "waited {waited:?}");
    }
}
