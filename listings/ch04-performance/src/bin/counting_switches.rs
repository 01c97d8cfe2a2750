// ANCHOR: all
use ch04_performance::switch::{TaskPingPong, ThreadPingPong};
use std::pin::Pin;
use std::task::{Context, Poll};

/// How many round trips each side makes.
const ROUND_TRIPS: u64 = 1_000;

// ANCHOR: os_switches
/// How many times the kernel has taken the calling thread off its core so
/// far because the thread went to sleep, as Linux counts them in
/// `/proc/thread-self/status` (`voluntary_ctxt_switches`). Linux also counts
/// preemptions (`nonvoluntary_ctxt_switches`), but those depend on whatever
/// else the machine is running, not on how two units hand over control.
fn os_switches_so_far() -> u64 {
    let status = std::fs::read_to_string("/proc/thread-self/status").expect("Linux /proc");
    let count = |field: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|count| count.trim().parse().ok())
            .expect("the kernel reports the count")
    };
    count("voluntary_ctxt_switches:")
}
// ANCHOR_END: os_switches

// ANCHOR: count_polls
/// Wraps a future and counts how often the executor calls its `poll`. Every
/// call after the first resumes a task that had been switched out.
struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: u64,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = (F::Output, u64);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.polls += 1;
        match self.inner.as_mut().poll(cx) {
            Poll::Ready(output) => Poll::Ready((output, self.polls)),
            Poll::Pending => Poll::Pending,
        }
    }
}

fn count_polls<F: Future>(future: F) -> CountPolls<F> {
    CountPolls {
        inner: Box::pin(future),
        polls: 0,
    }
}
// ANCHOR_END: count_polls

// ANCHOR: sides
/// `ROUND_TRIPS` round trips between this thread and a partner thread, the
/// pair the `switch` benchmark times. Returns how many times the kernel took
/// this thread off its core meanwhile.
fn thread_side() -> u64 {
    let mut pair = ThreadPingPong::start();
    let before = os_switches_so_far();
    for message in 0..ROUND_TRIPS {
        assert_eq!(pair.round_trip(message), message + 1);
    }
    let os_switches = os_switches_so_far() - before;
    assert_eq!(pair.finish(), ROUND_TRIPS);
    os_switches
}

/// The same between two tasks on a runtime whose only thread is this one.
/// Returns the kernel's count for this thread, and how many times the
/// calling task was polled.
fn task_side() -> (u64, u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut pair = TaskPingPong::start();
        let before = os_switches_so_far();
        let ((), polls) = count_polls(async {
            for message in 0..ROUND_TRIPS {
                assert_eq!(pair.round_trip(message).await, message + 1);
            }
        })
        .await;
        let os_switches = os_switches_so_far() - before;
        assert_eq!(pair.finish().await, ROUND_TRIPS);
        (os_switches, polls)
    })
}

fn main() {
    println!("{ROUND_TRIPS} round trips");
    let os_switches = thread_side();
    println!("  threads: the kernel put the caller's thread to sleep {os_switches} times");
    let (os_switches, polls) = task_side();
    println!("  tasks:   the kernel put the runtime's thread to sleep {os_switches} times");
    println!("           the calling task was polled {polls} times");
}
// ANCHOR_END: sides
// ANCHOR_END: all

#[cfg(test)]
mod tests {
    use super::*;

    /// The caller's `recv` usually finds no answer yet, and the thread
    /// leaves its core until the partner has run. Seen here: about once per
    /// round trip. std's channel spins for a moment before it sleeps, so a
    /// quick partner can now and then answer first: the bound is a fifth,
    /// still four times the task side's.
    /// Preemption by other work only adds to the count.
    #[test]
    fn a_round_trip_between_threads_takes_the_caller_off_its_core() {
        let os_switches = thread_side();
        assert!(
            os_switches >= ROUND_TRIPS / 5,
            "{os_switches} switches in {ROUND_TRIPS} round trips"
        );
    }

    /// The runtime's one thread always has a ready task, so it never sleeps
    /// during the round trips; the bound leaves room for the start and end.
    #[test]
    fn a_round_trip_between_tasks_keeps_the_thread_on_its_core() {
        let (os_switches, _) = task_side();
        assert!(
            os_switches <= ROUND_TRIPS / 20,
            "{os_switches} switches in {ROUND_TRIPS} round trips"
        );
    }

    /// The caller is switched out at each `recv` and back in when the answer
    /// has arrived: one poll per round trip, plus the poll that starts it.
    #[test]
    fn each_round_trip_between_tasks_switches_the_caller_out_and_in_once() {
        let (_, polls) = task_side();
        assert_eq!(polls, ROUND_TRIPS + 1);
    }

    #[test]
    fn a_future_that_is_ready_at_once_is_polled_once() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (value, polls) = runtime.block_on(count_polls(async { 7 }));
        assert_eq!((value, polls), (7, 1));
    }
}
