// ANCHOR: all
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
    let report =
        |label, taken| println!("{label}: {taken} of {MESSAGES} taken when the neighbour ran");
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
// ANCHOR_END: all

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tokio_channel_makes_a_busy_consumer_yield_before_it_is_done() {
        let taken = taken_when_neighbour_ran(drain_tokio_channel);
        assert!(taken > 0 && taken < MESSAGES, "taken = {taken}");
    }

    #[test]
    fn a_channel_outside_tokio_never_runs_out_of_budget() {
        assert_eq!(taken_when_neighbour_ran(drain_futures_channel), MESSAGES);
    }

    #[test]
    fn consume_budget_gives_plain_code_the_same_yield_points() {
        let taken = taken_when_neighbour_ran(drain_futures_channel_with_budget);
        assert!(taken > 0 && taken < MESSAGES, "taken = {taken}");
    }

    #[test]
    fn unconstrained_switches_the_budget_off() {
        let unbudgeted = |taken| tokio::task::coop::unconstrained(drain_tokio_channel(taken));
        assert_eq!(taken_when_neighbour_ran(unbudgeted), MESSAGES);
    }

    /// The budget is a count of operations per turn, the same every time:
    /// it is not a timer, so the neighbour always sees the same number.
    #[test]
    fn the_budget_is_a_count_not_a_time_slice() {
        let first = taken_when_neighbour_ran(drain_tokio_channel);
        for _ in 0..20 {
            assert_eq!(taken_when_neighbour_ran(drain_tokio_channel), first);
        }
    }
}
