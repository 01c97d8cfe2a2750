//! Two stackful coroutines from the `corosensei` crate on one thread, taken
//! in turns by a loop of a few lines: a coroutine keeps the thread until it
//! suspends, from whatever depth, and nothing takes it away sooner.
//!
//!     cargo run -p ch02-scheduling --bin stackful_turns

use corosensei::{Coroutine, Yielder};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The order in which the steps began, shared by the coroutines.
type Log = Rc<RefCell<Vec<String>>>;

/// A coroutine that takes nothing in, hands nothing out and returns nothing.
type Job = Coroutine<(), (), ()>;

// ANCHOR: jobs
/// As in Listing 2-1: three steps, each computing for `STEP`, long enough
/// for Linux to cut in between two threads sharing a CPU.
const STEPS: u32 = 3;
const STEP: Duration = Duration::from_millis(10);

/// One step: note it, then compute. Plain code, with no way to suspend.
fn step(name: &str, number: u32, log: &Log) {
    log.borrow_mut().push(format!("{name}{number}"));
    let started = Instant::now();
    while started.elapsed() < STEP {
        std::hint::spin_loop();
    }
}

/// Does its steps and never suspends.
fn greedy(name: &'static str, log: Log) -> Job {
    Coroutine::new(move |_yielder, ()| {
        for number in 0..STEPS {
            step(name, number, &log);
        }
    })
}

/// After each step it calls `pause`, an ordinary function that suspends
/// the whole coroutine from one call down.
fn polite(name: &'static str, log: Log) -> Job {
    Coroutine::new(move |yielder, ()| {
        for number in 0..STEPS {
            step(name, number, &log);
            pause(yielder);
        }
    })
}

fn pause(yielder: &Yielder<(), ()>) {
    yielder.suspend(());
}
// ANCHOR_END: jobs

// ANCHOR: turns
/// The whole scheduler: resume each unfinished coroutine in turn, round and
/// round. A resume returns only when the coroutine suspends or finishes.
fn round_robin(mut jobs: Vec<Job>) {
    while !jobs.is_empty() {
        jobs.retain_mut(|job| job.resume(()).as_yield().is_some());
    }
}

/// Runs two copies of a job, `a` and `b`, and returns the order of steps.
fn two_jobs(job: fn(&'static str, Log) -> Job) -> Vec<String> {
    let log = Log::default();
    round_robin(vec![job("a", log.clone()), job("b", log.clone())]);
    log.take()
}
// ANCHOR_END: turns

fn main() {
    println!("greedy: {}", two_jobs(greedy).join(" "));
    println!("polite: {}", two_jobs(polite).join(" "));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_coroutine_that_never_suspends_finishes_before_the_other_starts() {
        assert_eq!(two_jobs(greedy), ["a0", "a1", "a2", "b0", "b1", "b2"]);
    }

    #[test]
    fn coroutines_that_suspend_after_each_step_take_strict_turns() {
        assert_eq!(two_jobs(polite), ["a0", "b0", "a1", "b1", "a2", "b2"]);
    }
}
