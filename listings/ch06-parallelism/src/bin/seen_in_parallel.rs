//! Two units that can only see each other work if they run at the same
//! instant on different logical CPUs: one keeps bumping a counter, the other
//! keeps looking at it. Run as OS threads, as tasks on a multi_thread runtime
//! and as tasks on a current_thread runtime.
//!
//!     cargo run -p ch06-parallelism --bin seen_in_parallel

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Runtime};

// ANCHOR: watch
/// How many changes of the counter the watcher wants to see. Two units
/// taking turns on one CPU could show it one change per thread switch, and
/// a kernel preempts a thread that never yields at its scheduler ticks: on
/// the order of a thousand times a second at most.
const ENOUGH: u64 = 10_000;

/// How long either unit keeps at it, at most.
const PATIENCE: Duration = Duration::from_secs(1);

/// What the two units share.
#[derive(Default)]
struct Shared {
    count: AtomicU64,
    stop: AtomicBool,
}

/// Bumps the count until told to stop or `patience` has passed. It never
/// awaits and never yields: it gives up its CPU only if it is taken away.
fn keep_counting(shared: &Shared, patience: Duration) {
    let deadline = Instant::now() + patience;
    while !shared.stop.load(Relaxed) && Instant::now() < deadline {
        shared.count.fetch_add(1, Relaxed);
    }
}

/// Looks at the count until it has seen it change `ENOUGH` times or
/// `patience` has passed, then tells the counter to stop. Never awaits,
/// never yields. Returns how many changes it saw.
fn watch_count(shared: &Shared, patience: Duration) -> u64 {
    let deadline = Instant::now() + patience;
    let (mut last, mut changes) = (shared.count.load(Relaxed), 0);
    while changes < ENOUGH && Instant::now() < deadline {
        let now = shared.count.load(Relaxed);
        if now != last {
            (last, changes) = (now, changes + 1);
        }
    }
    shared.stop.store(true, Relaxed);
    changes
}
// ANCHOR_END: watch

// ANCHOR: units
/// The pair as two OS threads. Returns the changes the watcher saw.
fn as_threads(patience: Duration) -> u64 {
    let shared = Shared::default();
    thread::scope(|scope| {
        scope.spawn(|| keep_counting(&shared, patience));
        scope
            .spawn(|| watch_count(&shared, patience))
            .join()
            .unwrap()
    })
}

/// The pair as two tasks spawned on `runtime`. `tokio::spawn` wants tasks
/// that own what they use, so they share through an `Arc`.
fn as_tasks(runtime: &Runtime, patience: Duration) -> u64 {
    let shared = Arc::new(Shared::default());
    let for_counter = Arc::clone(&shared);
    runtime.block_on(async move {
        let counter =
            tokio::spawn(async move { keep_counting(&for_counter, patience) });
        let watcher = tokio::spawn(async move { watch_count(&shared, patience) });
        counter.await.unwrap();
        watcher.await.unwrap()
    })
}
// ANCHOR_END: units

/// The number of logical CPUs the process may use, as std reports it.
fn cores() -> usize {
    thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Tokio's work-stealing runtime, with one worker thread per logical CPU.
fn multi_thread_runtime() -> Runtime {
    Builder::new_multi_thread().build().unwrap()
}

/// A runtime whose tasks all run on the thread that calls `block_on`.
fn current_thread_runtime() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

/// A machine busy with other work may give the pair no common moment in
/// one try; one try that shows it is enough.
const TRIES: usize = 20;

/// The most changes seen in up to `TRIES` tries, stopping at the first try
/// that sees `ENOUGH`.
fn best_of(mut try_once: impl FnMut() -> u64) -> u64 {
    let mut best = 0;
    for _ in 0..TRIES {
        best = best.max(try_once());
        if best >= ENOUGH {
            break;
        }
    }
    best
}

fn main() {
    println!(
        "{} CPUs; changes the watcher saw, of {ENOUGH} wanted:",
        cores()
    );
    println!(
        "  OS threads:                    {}",
        best_of(|| as_threads(PATIENCE))
    );
    let many = multi_thread_runtime();
    println!(
        "  tasks, multi_thread runtime:   {}",
        best_of(|| as_tasks(&many, PATIENCE))
    );
    let one = current_thread_runtime();
    println!(
        "  tasks, current_thread runtime: {}",
        as_tasks(&one, PATIENCE)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Mutex, MutexGuard, PoisonError};

    /// Every test keeps CPUs busy, and the harness runs tests in parallel:
    /// they take turns, so that they do not crowd each other out.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    fn one_at_a_time() -> MutexGuard<'static, ()> {
        ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether two CPUs are there for `test`; if not, it is reported skipped.
    fn two_cpus(test: &str) -> bool {
        book_skip::has_cpus!(test, 2)
    }

    #[test]
    fn two_threads_run_at_the_same_instant() {
        let _turn = one_at_a_time();
        if !two_cpus("two_threads_run_at_the_same_instant") {
            return;
        }
        let changes = best_of(|| as_threads(PATIENCE));
        assert_eq!(changes, ENOUGH, "the threads never ran side by side");
    }

    #[test]
    fn two_tasks_on_a_multi_thread_runtime_run_at_the_same_instant() {
        let _turn = one_at_a_time();
        if !two_cpus("two_tasks_on_a_multi_thread_runtime_run_at_the_same_instant") {
            return;
        }
        let runtime = multi_thread_runtime();
        let changes = best_of(|| as_tasks(&runtime, PATIENCE));
        assert_eq!(changes, ENOUGH, "the tasks never ran side by side");
    }

    #[test]
    fn two_tasks_on_a_current_thread_runtime_never_see_each_other_work() {
        let _turn = one_at_a_time();
        // Whichever task runs first keeps the only thread for its whole
        // patience; the other starts after it has stopped for good.
        let runtime = current_thread_runtime();
        let patience = Duration::from_millis(50);
        for _ in 0..3 {
            assert_eq!(as_tasks(&runtime, patience), 0);
        }
    }
}
