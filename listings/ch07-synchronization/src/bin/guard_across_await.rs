//! Two tasks on one thread share a lock held across an `.await`: with
//! `std::sync::Mutex` the thread blocks and the runtime hangs (on Linux); with
//! `tokio::sync::Mutex` both tasks finish.
//!
//!     cargo run -p ch07-synchronization --bin guard_across_await

use std::rc::Rc;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;
use tokio::task::LocalSet;

/// What the tasks did so far, readable from outside their thread.
type Log = Arc<std::sync::Mutex<Vec<String>>>;

fn note(log: &Log, task: &str, event: &str) {
    log.lock().unwrap().push(format!("{task} {event}"));
}

/// How long `main` waits before it calls a run stuck.
const PATIENCE: Duration = Duration::from_secs(1);

// ANCHOR: std_lock
/// Holds a `std::sync::Mutex` guard across an `.await`. Clippy rejects this
/// (the workspace makes `await_holding_lock` an error); `expect` lets this one
/// function through, and clippy warns if it ever stops flagging it (CI's
/// `cargo clippy -- -D warnings` makes that warning an error).
#[expect(
    clippy::await_holding_lock,
    reason = "this listing shows what the lint prevents"
)]
async fn add_one_std(
    total: Rc<std::sync::Mutex<u64>>,
    log: Log,
    task: &'static str,
) {
    note(&log, task, "locking");
    let mut total = total.lock().unwrap(); // blocks the thread if taken
    note(&log, task, "locked");
    tokio::task::yield_now().await; // the guard is still alive here
    *total += 1;
    note(&log, task, &format!("done, total {total}"));
}
// ANCHOR_END: std_lock

// ANCHOR: tokio_lock
/// The same with tokio's mutex: a task that finds it taken waits at
/// `lock().await`, which gives the thread back, so the holder can finish.
async fn add_one_tokio(
    total: Rc<tokio::sync::Mutex<u64>>,
    log: Log,
    task: &'static str,
) {
    note(&log, task, "locking");
    let mut total = total.lock().await;
    note(&log, task, "locked");
    tokio::task::yield_now().await;
    *total += 1;
    note(&log, task, &format!("done, total {total}"));
}
// ANCHOR_END: tokio_lock

// ANCHOR: run
/// Runs tasks `a` and `b`, each calling `add_one`, on a one-thread runtime.
/// The runtime gets a thread of its own, so that if it hangs, the caller
/// does not: the returned channel then never receives anything.
fn two_tasks_on_one_thread<M, F, Fut>(
    new_lock: fn() -> M,
    add_one: F,
    log: Log,
) -> mpsc::Receiver<()>
where
    M: 'static,
    F: Fn(Rc<M>, Log, &'static str) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let (finished, result) = mpsc::channel();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // `spawn_local` accepts futures that are not `Send`, like these.
        let tasks = LocalSet::new();
        let lock = Rc::new(new_lock());
        let a = tasks.spawn_local(add_one(lock.clone(), log.clone(), "a"));
        let b = tasks.spawn_local(add_one(lock, log, "b"));
        tasks.block_on(&runtime, async {
            a.await.unwrap();
            b.await.unwrap();
        });
        let _ = finished.send(());
    });
    result
}

/// Waits up to `PATIENCE` for a run, then prints how far its tasks got.
fn report(name: &str, run: mpsc::Receiver<()>, log: &Log) {
    let outcome = match run.recv_timeout(PATIENCE) {
        Ok(()) => "finished",
        Err(mpsc::RecvTimeoutError::Timeout) => "stuck",
        Err(mpsc::RecvTimeoutError::Disconnected) => "panicked",
    };
    println!("{name}: {outcome}; {:?}", log.lock().unwrap());
}

fn main() {
    let log = Log::default();
    let run = two_tasks_on_one_thread(
        || tokio::sync::Mutex::new(0),
        add_one_tokio,
        log.clone(),
    );
    report("tokio::sync::Mutex", run, &log);

    let log = Log::default();
    let run = two_tasks_on_one_thread(
        || std::sync::Mutex::new(0),
        add_one_std,
        log.clone(),
    );
    report("std::sync::Mutex", run, &log);
}
// ANCHOR_END: run

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Generous: a run that works finishes in well under a millisecond.
    const DEADLINE: Duration = Duration::from_secs(30);

    fn events(log: &Log) -> Vec<String> {
        log.lock().unwrap().clone()
    }

    #[test]
    fn with_tokio_mutex_the_waiting_task_lets_the_holder_finish() {
        let log = Log::default();
        let run = two_tasks_on_one_thread(
            || tokio::sync::Mutex::new(0),
            add_one_tokio,
            log.clone(),
        );
        run.recv_timeout(DEADLINE)
            .expect("the tokio-mutex run hung");
        assert_eq!(
            events(&log),
            [
                "a locking",
                "a locked",
                "b locking",
                "a done, total 1",
                "b locked",
                "b done, total 2"
            ]
        );
    }

    /// `b` blocks the only thread in `lock()` while `a`, which holds the
    /// guard, waits to be polled again on that same thread: neither can
    /// move. The watchdog waits until `b` is inside `lock()`, then gives the
    /// run a grace period in which a working run would have finished many
    /// times over, and checks that nothing moved. The stuck thread is left
    /// behind; it blocks in the kernel and uses no CPU. std promises only that
    /// locking a mutex on the thread that holds it does not return ("might
    /// panic or deadlock"); this checks what it does on Linux, where its
    /// futex mutex, which records no owner, sleeps for ever.
    #[test]
    fn with_std_mutex_held_across_await_the_runtime_hangs() {
        let log = Log::default();
        let run = two_tasks_on_one_thread(
            || std::sync::Mutex::new(0),
            add_one_std,
            log.clone(),
        );
        let started = Instant::now();
        while !events(&log).contains(&"b locking".to_string()) {
            assert!(
                started.elapsed() < DEADLINE,
                "b never tried to lock: {:?}",
                events(&log)
            );
            thread::sleep(Duration::from_millis(1));
        }
        let grace = Duration::from_millis(200);
        // Timeout, not Disconnected: the runtime thread is still there,
        // stuck, rather than gone because a task panicked.
        assert_eq!(
            run.recv_timeout(grace),
            Err(mpsc::RecvTimeoutError::Timeout),
            "the run ended: {:?}",
            events(&log)
        );
        assert_eq!(events(&log), ["a locking", "a locked", "b locking"]);
    }

    /// tokio's mutex cures the hang above, not deadlock as such: two tasks
    /// that take two of them in opposite orders wait for each other for
    /// ever. With the clock paused, the timeout fires as soon as nothing else
    /// can run, so the deadlock is seen at once.
    #[tokio::test(start_paused = true)]
    async fn tokio_mutexes_taken_in_opposite_orders_still_deadlock() {
        use tokio::sync::Mutex;
        let (x, y) = (Rc::new(Mutex::new(())), Rc::new(Mutex::new(())));
        let lock_both = |first: Rc<Mutex<()>>, second: Rc<Mutex<()>>| async move {
            let _first = first.lock().await;
            tokio::task::yield_now().await;
            let _second = second.lock().await;
        };
        let tasks = LocalSet::new();
        let a = tasks.spawn_local(lock_both(x.clone(), y.clone()));
        let b = tasks.spawn_local(lock_both(y, x));
        let both = tasks.run_until(async { (a.await.unwrap(), b.await.unwrap()) });
        let outcome = tokio::time::timeout(Duration::from_secs(60), both).await;
        assert!(outcome.is_err(), "both tasks finished");
    }
}
