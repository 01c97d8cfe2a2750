//! Starvation measured in time: a short timer on the same thread as a task
//! that never awaits, on a current_thread runtime and on a multi_thread
//! runtime with one worker. Its tests also show that a task in a worker's
//! LIFO slot waits for a greedy task on that worker, even with another
//! worker idle.
//!
//!     cargo run -p ch02-scheduling --bin late_timer

use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Runtime};

// ANCHOR: hogs
/// How long the hog computes.
const HOG: Duration = Duration::from_millis(100);

/// How long the sleeper asks to sleep: a small fraction of `HOG`.
const NAP: Duration = Duration::from_millis(1);

/// Computes for `HOG`, measured by the clock, without an `.await`; returns
/// the moment it finished.
async fn greedy_hog() -> Instant {
    let started = Instant::now();
    while started.elapsed() < HOG {
        std::hint::spin_loop();
    }
    Instant::now()
}

/// The same work, with a `yield_now().await` after every `NAP` of it.
async fn polite_hog() -> Instant {
    let started = Instant::now();
    while started.elapsed() < HOG {
        let slice = Instant::now();
        while slice.elapsed() < NAP {
            std::hint::spin_loop();
        }
        tokio::task::yield_now().await;
    }
    Instant::now()
}
// ANCHOR_END: hogs

// ANCHOR: nap
/// How a nap next to a hog went.
struct Nap {
    /// From asking for the nap to running again after it.
    slept: Duration,
    /// Whether the sleeper ran again only after the hog had returned.
    after_the_hog: bool,
}

/// A task on `runtime` sets a `NAP` timer, spawns `hog`, which waits on the
/// same thread as the sleeper, and then awaits its timer.
fn nap_next_to<Fut>(runtime: &Runtime, hog: fn() -> Fut) -> Nap
where
    Fut: Future<Output = Instant> + Send + 'static,
{
    runtime.block_on(async move {
        let sleeper = tokio::spawn(async move {
            let asked = Instant::now();
            let nap = tokio::time::sleep(NAP);
            let hog = tokio::spawn(hog());
            nap.await;
            let woke = Instant::now();
            let hog_returned = hog.await.unwrap();
            Nap {
                slept: woke - asked,
                after_the_hog: woke >= hog_returned,
            }
        });
        sleeper.await.unwrap()
    })
}
// ANCHOR_END: nap

/// The two runtimes: one thread for everything, and a multi_thread runtime
/// with a single worker, which stands for one whose every worker is busy.
fn runtimes() -> [(&'static str, Runtime); 2] {
    let one_thread = Builder::new_current_thread().enable_time().build();
    let one_worker = Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build();
    [
        ("current_thread", one_thread.unwrap()),
        ("multi_thread, one worker", one_worker.unwrap()),
    ]
}

fn main() {
    for (name, runtime) in runtimes() {
        println!("{name}:");
        for (hog, nap) in [
            ("greedy", nap_next_to(&runtime, greedy_hog)),
            ("polite", nap_next_to(&runtime, polite_hog)),
        ] {
            let (after, long) = (nap.after_the_hog, nap.slept >= HOG);
            println!(
                "  next to the {hog} hog: woke after it = {after}, slept HOG or more = {long}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nap is due long before the hog is done, but the only thread that
    /// could fire it is busy in the hog until the hog returns.
    #[test]
    fn a_timer_next_to_a_greedy_task_fires_only_after_the_task_returns() {
        for (name, runtime) in runtimes() {
            let nap = nap_next_to(&runtime, greedy_hog);
            assert!(nap.after_the_hog, "{name}: the timer fired during the hog");
            assert!(nap.slept >= HOG, "{name}: slept {:?}", nap.slept);
        }
    }

    /// With a second worker, idle, the timer fires on time next to the same
    /// greedy hog: not because the hog was interrupted, but because another
    /// thread was free to fire it.
    #[test]
    fn a_second_idle_worker_fires_the_timer_while_the_greedy_task_runs() {
        let two_workers = Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        let nap = nap_next_to(&two_workers, greedy_hog);
        assert!(!nap.after_the_hog, "the timer waited for the hog");
    }

    /// Where two tasks spawned by a greedy task on a two-worker runtime ran: did
    /// each start while the greedy task was still computing?
    #[derive(Debug, PartialEq)]
    struct Spawned {
        first_during_the_hog: bool,
        last_during_the_hog: bool,
    }

    /// How long the greedy task below computes at most, waiting for the other
    /// worker to steal its first child: generous, for a busy machine. A free
    /// worker steals within far less.
    const STEAL_DEADLINE: Duration = Duration::from_secs(10);

    /// How long the greedy task goes on computing once its first child has
    /// started: time for the worker that ran that child, awake and looking for
    /// more work, to steal anything else it may steal.
    const AFTER_THE_STEAL: Duration = Duration::from_millis(100);

    /// A task on a multi_thread runtime with two workers spawns two children
    /// and then computes, without an `.await`, until `AFTER_THE_STEAL` after the
    /// first child has started (or `STEAL_DEADLINE` has passed). A task spawned
    /// from a worker goes into that worker's LIFO slot; the second spawn pushes
    /// the first child out of the slot into the worker's queue, from which the
    /// other worker may steal it, and takes the slot itself, from which no other
    /// worker may take it.
    fn two_children_of_a_greedy_task() -> Spawned {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
        let runtime = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        runtime.block_on(async {
            tokio::spawn(async {
                let hog_done = Arc::new(AtomicBool::new(false));
                let first_started = Arc::new(AtomicBool::new(false));
                let child = |started: Option<Arc<AtomicBool>>| {
                    let hog_done = Arc::clone(&hog_done);
                    async move {
                        let during = !hog_done.load(SeqCst);
                        if let Some(started) = started {
                            started.store(true, SeqCst);
                        }
                        during
                    }
                };
                let first = tokio::spawn(child(Some(Arc::clone(&first_started))));
                let last = tokio::spawn(child(None));
                let hog = Instant::now();
                while !first_started.load(SeqCst) && hog.elapsed() < STEAL_DEADLINE {
                    std::hint::spin_loop();
                }
                let stolen = Instant::now();
                while stolen.elapsed() < AFTER_THE_STEAL {
                    std::hint::spin_loop();
                }
                hog_done.store(true, SeqCst);
                Spawned {
                    first_during_the_hog: first.await.unwrap(),
                    last_during_the_hog: last.await.unwrap(),
                }
            })
            .await
            .unwrap()
        })
    }

    /// An idle worker does not always help: the task spawned last by a greedy
    /// task sits in its worker's LIFO slot, which the other worker cannot
    /// steal, and waits for the greedy task to return, while the child pushed
    /// out of the slot is stolen and runs during the hog.
    #[test]
    fn a_task_in_the_lifo_slot_waits_for_its_greedy_spawner_though_a_worker_is_idle()
    {
        for _ in 0..3 {
            let spawned = two_children_of_a_greedy_task();
            assert!(spawned.first_during_the_hog, "no worker stole {spawned:?}");
            assert!(!spawned.last_during_the_hog, "the LIFO slot was stolen");
        }
    }

    /// The polite hog computes for at least `NAP` between two yields, so it
    /// yields no more than `HOG / NAP` times, and at least once.
    #[test]
    fn the_polite_hog_yields_once_per_nap_of_work() {
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        let mut hog = Box::pin(polite_hog());
        let mut yields = 0;
        while hog.as_mut().poll(&mut cx).is_pending() {
            yields += 1;
        }
        let most = HOG.as_nanos() / NAP.as_nanos();
        assert!((1..=most).contains(&yields), "{yields} yields");
    }

    /// The control: the same work with a yield point after every `NAP` of
    /// it, so the runtime fires the timer while the hog is still at work.
    #[test]
    fn a_timer_next_to_a_task_that_yields_fires_while_the_task_runs() {
        for (name, runtime) in runtimes() {
            let nap = nap_next_to(&runtime, polite_hog);
            assert!(!nap.after_the_hog, "{name}: the timer waited for the hog");
            assert!(nap.slept < HOG, "{name}: slept {:?}", nap.slept);
        }
    }
}
