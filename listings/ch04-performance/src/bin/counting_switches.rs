//! How often the kernel takes the calling thread off its core during round
//! trips with a partner thread, free and then pinned to one CPU, beside the
//! same round trips between two tokio tasks on one thread, and how often the
//! calling task is polled meanwhile.
//!
//!     cargo run -p ch04-performance --bin counting_switches

use ch04_performance::switch::{self, TaskPingPong, ThreadPingPong};
use std::pin::Pin;
use std::task::{Context, Poll};

/// How many round trips each side makes.
const ROUND_TRIPS: u64 = 1_000;

// ANCHOR: os_switches
/// How many times the kernel has taken the calling thread off its core so
/// far, as Linux counts them in `/proc/thread-self/status`: because the
/// thread went to sleep (`voluntary_ctxt_switches`), and because the
/// scheduler preempted it (`nonvoluntary_ctxt_switches`).
fn os_switches_so_far() -> Switches {
    let status =
        std::fs::read_to_string("/proc/thread-self/status").expect("Linux /proc");
    let count = |field: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|count| count.trim().parse().ok())
            .expect("the kernel reports the count")
    };
    Switches {
        slept: count("voluntary_ctxt_switches:"),
        preempted: count("nonvoluntary_ctxt_switches:"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Switches {
    slept: u64,
    preempted: u64,
}

impl std::ops::Sub for Switches {
    type Output = Switches;
    fn sub(self, earlier: Switches) -> Switches {
        Switches {
            slept: self.slept - earlier.slept,
            preempted: self.preempted - earlier.preempted,
        }
    }
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
/// pair the `switch` benchmark times; with `Some(cpu)`, both threads are
/// pinned to that CPU. Returns how often the kernel switched this thread
/// out meanwhile.
fn thread_side(cpu: Option<usize>) -> Switches {
    let round_trips = || {
        let mut pair = ThreadPingPong::start(cpu);
        let before = os_switches_so_far();
        for message in 0..ROUND_TRIPS {
            assert_eq!(pair.round_trip(message), message + 1);
        }
        let os_switches = os_switches_so_far() - before;
        assert_eq!(pair.finish(), ROUND_TRIPS);
        os_switches
    };
    match cpu {
        Some(cpu) => switch::pinned(cpu, round_trips),
        None => round_trips(),
    }
}

/// The same between two tasks on a runtime whose only thread is this one.
/// As in the benchmark, the caller is a spawned task, polled from the run
/// queue like its partner. Returns the kernel's count for this thread, and
/// how many times the calling task was polled.
fn task_side() -> (Switches, u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut pair = runtime.block_on(async { TaskPingPong::start() });
    let before = os_switches_so_far();
    let caller = runtime.spawn(count_polls(async move {
        for message in 0..ROUND_TRIPS {
            assert_eq!(pair.round_trip(message).await, message + 1);
        }
        pair
    }));
    let (pair, polls) = runtime.block_on(caller).expect("the caller does not panic");
    let os_switches = os_switches_so_far() - before;
    assert_eq!(runtime.block_on(pair.finish()), ROUND_TRIPS);
    (os_switches, polls)
}

fn main() {
    println!("{ROUND_TRIPS} round trips; the kernel switched the caller out:");
    let Switches { slept, preempted } = thread_side(None);
    println!("  threads:          slept {slept} times, preempted {preempted} times");
    let one_cpu = switch::first_allowed_cpu();
    let Switches { slept, preempted } = thread_side(Some(one_cpu));
    println!("  threads, one CPU: slept {slept} times, preempted {preempted} times");
    let (Switches { slept, preempted }, polls) = task_side();
    println!("  tasks:            slept {slept} times, preempted {preempted} times");
    println!("  and the calling task was polled {polls} times");
}
// ANCHOR_END: sides

#[cfg(test)]
mod tests {
    use super::*;

    /// Unpinned, the partner may run on the other CPU. The caller's
    /// `blocking_recv` usually finds no answer yet and sleeps; but when
    /// both threads happen to be awake at once, an answer can arrive before
    /// the caller gets to sleep, so the bound is half the round trips.
    /// Preemption by other work only adds to the count.
    #[test]
    fn a_round_trip_between_threads_takes_the_caller_off_its_core() {
        let os_switches = thread_side(None);
        assert!(
            os_switches.slept + os_switches.preempted >= ROUND_TRIPS / 2,
            "{os_switches:?} in {ROUND_TRIPS} round trips"
        );
    }

    /// Pinned to one CPU, the partner can only run once the caller is off
    /// it: the kernel switches the caller out at least once per round trip,
    /// as often as the calling task is switched out on the task side.
    #[test]
    fn on_one_cpu_every_round_trip_between_threads_switches_the_caller_out() {
        let os_switches = thread_side(Some(switch::first_allowed_cpu()));
        assert!(
            os_switches.slept + os_switches.preempted >= ROUND_TRIPS,
            "{os_switches:?} in {ROUND_TRIPS} round trips"
        );
    }

    /// Pinned to one CPU, the caller is switched out once per round trip,
    /// asleep or preempted by its own partner, and hardly ever more: the
    /// bound leaves a tenth more for preemptions by other programs.
    #[test]
    fn on_one_cpu_a_round_trip_between_threads_switches_the_caller_out_about_once() {
        let os_switches = thread_side(Some(switch::first_allowed_cpu()));
        assert!(
            os_switches.slept + os_switches.preempted
                <= ROUND_TRIPS + ROUND_TRIPS / 10,
            "{os_switches:?} in {ROUND_TRIPS} round trips"
        );
    }

    /// The runtime's one thread always has a ready task, so it never sleeps
    /// during the round trips; the bound leaves room for the start and end.
    #[test]
    fn a_round_trip_between_tasks_hardly_ever_puts_the_thread_to_sleep() {
        let (os_switches, _) = task_side();
        assert!(
            os_switches.slept <= ROUND_TRIPS / 20,
            "{os_switches:?} in {ROUND_TRIPS} round trips"
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
    fn switches_subtract_field_by_field() {
        let later = Switches {
            slept: 10,
            preempted: 7,
        };
        let earlier = Switches {
            slept: 4,
            preempted: 3,
        };
        let expected = Switches {
            slept: 6,
            preempted: 4,
        };
        assert_eq!(later - earlier, expected);
    }

    /// A thread that sleeps five times is switched out, asleep, five times
    /// (give or take a preemption): the count is a difference, measured on a
    /// thread that had already slept before.
    #[test]
    fn the_kernel_counts_each_sleep_of_a_thread() {
        let counted = std::thread::spawn(|| {
            let nap = || std::thread::sleep(std::time::Duration::from_millis(1));
            (0..20).for_each(|_| nap());
            let before = os_switches_so_far();
            (0..5).for_each(|_| nap());
            os_switches_so_far() - before
        });
        let counted = counted.join().unwrap();
        assert!((5..=7).contains(&counted.slept), "{counted:?}");
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
