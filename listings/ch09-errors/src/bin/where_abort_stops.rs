//! What `JoinHandle::abort` cannot reach. A `spawn_blocking` job that has
//! started runs to its end whatever its handle is told, and a runtime that is
//! dropped waits for it; `shutdown_timeout` stops waiting, but leaves the job
//! running. An async task that is busy between two `.await`s is not stopped
//! there: it stops at the next `.await` that gives its thread back.
//!
//!     cargo run -p ch09-errors --bin where_abort_stops

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::oneshot;
use tokio::task::{JoinError, JoinHandle};

/// The steps a task reached, in order.
type Log = Arc<Mutex<Vec<&'static str>>>;

fn note(log: &Log, step: &'static str) {
    log.lock().unwrap().push(step);
}

/// Only a safety net so that a broken run ends instead of hanging; a correct
/// run never waits anywhere near this long.
const WATCHDOG: Duration = Duration::from_secs(30);

// ANCHOR: blocking
/// A blocking job, seen from outside: it blocks its thread until `release`
/// lets it go, then sends on `finished` just before it returns.
struct BlockingJob {
    handle: JoinHandle<()>,
    release: mpsc::Sender<()>,
    finished: mpsc::Receiver<()>,
}

/// Starts the job on tokio's blocking pool and returns once it is running.
async fn start_blocking_job() -> BlockingJob {
    let (started_tx, started) = oneshot::channel();
    let (release, released) = mpsc::channel::<()>();
    let (finished_tx, finished) = mpsc::channel();
    let handle = tokio::task::spawn_blocking(move || {
        started_tx.send(()).unwrap();
        let _ = released.recv_timeout(WATCHDOG); // like a long read or sum
        finished_tx.send(()).unwrap();
    });
    started.await.unwrap();
    BlockingJob {
        handle,
        release,
        finished,
    }
}

/// Aborts the job while it runs, then releases it. Returns what its handle
/// reported, and whether the job reached its end.
async fn abort_a_blocking_job() -> (Result<(), JoinError>, bool) {
    let job = start_blocking_job().await;
    job.handle.abort(); // the closure is already running: no effect
    job.release.send(()).unwrap();
    let joined = job.handle.await;
    (joined, job.finished.try_recv().is_ok())
}
// ANCHOR_END: blocking

/// How long another thread waits before it releases the job that a runtime
/// is being dropped with.
const HOLD: Duration = Duration::from_millis(200);

/// How long `shutdown_timeout` may wait for the runtime's work to stop.
const GRACE: Duration = Duration::from_millis(20);

/// How many rounds of work the busy task does after the abort request.
const ROUNDS: u32 = 1000;

fn runtime() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

// ANCHOR: shutdown
/// Drops a runtime while its blocking job runs; another thread releases the
/// job after `HOLD`. Returns whether the job had finished when the drop
/// returned, and how long the drop took.
fn drop_the_runtime() -> (bool, Duration) {
    let runtime = runtime();
    let job = runtime.block_on(start_blocking_job());
    let start = Instant::now();
    let release = job.release;
    thread::spawn(move || {
        thread::sleep(HOLD);
        release.send(()).unwrap();
    });
    drop(runtime); // waits until the blocking job returns
    (job.finished.try_recv().is_ok(), start.elapsed())
}

/// Shuts the runtime down with a short grace period, and only then releases
/// the job. Returns whether the job had finished when the shutdown returned,
/// and whether it still finished afterwards.
fn shut_down_with_a_timeout() -> (bool, bool) {
    let runtime = runtime();
    let job = runtime.block_on(start_blocking_job());
    runtime.shutdown_timeout(GRACE); // gives up waiting, kills nothing
    let finished_at_shutdown = job.finished.try_recv().is_ok();
    let _ = job.release.send(()); // the job is still blocked, waiting for it
    let finished_later = job.finished.recv_timeout(WATCHDOG).is_ok();
    (finished_at_shutdown, finished_later)
}
// ANCHOR_END: shutdown

// ANCHOR: busy
/// Spins, with no `.await`, until the caller has requested the abort, then
/// works on, still with no `.await`; then meets an `.await` that is ready at
/// once, and then one that gives the thread back.
async fn busy_task(log: Log, busy: oneshot::Sender<()>, requested: Arc<AtomicBool>) {
    note(&log, "loop started");
    busy.send(()).unwrap();
    while !requested.load(SeqCst) {
        thread::yield_now(); // lets the OS run other threads; not an .await
    }
    for round in 0..ROUNDS {
        std::hint::black_box(round); // more work after the abort request
    }
    note(&log, "loop finished");
    std::future::ready(()).await; // an .await that does not wait
    note(&log, "past a ready .await");
    tokio::task::yield_now().await; // an .await that yields
    note(&log, "past a yielding .await");
}

/// Aborts the task while it spins on a worker thread, then tells it so.
/// Needs a multi-thread runtime: the caller runs while the task spins.
async fn abort_a_busy_task(log: Log) -> JoinError {
    let (busy, is_busy) = oneshot::channel();
    let requested = Arc::new(AtomicBool::new(false));
    let task = tokio::spawn(busy_task(log.clone(), busy, requested.clone()));
    is_busy.await.unwrap();
    task.abort();
    note(&log, "abort requested");
    requested.store(true, SeqCst);
    task.await.unwrap_err()
}
// ANCHOR_END: busy

fn main() {
    let (joined, finished) = runtime().block_on(abort_a_blocking_job());
    println!(
        "aborted blocking job: handle gave {joined:?}, job finished {finished}"
    );

    let (finished, took) = drop_the_runtime();
    let waited = took >= HOLD;
    println!("runtime dropped: job finished {finished}, drop waited {waited}");

    let (at_shutdown, later) = shut_down_with_a_timeout();
    println!(
        "shutdown_timeout: job finished {at_shutdown} at return, {later} later"
    );

    let multi_thread = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let log = Log::default();
    let error = multi_thread.block_on(abort_a_busy_task(log.clone()));
    let cancelled = error.is_cancelled();
    println!("aborted busy task: cancelled {cancelled}");
    for step in log.lock().unwrap().iter() {
        println!("  {step}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Notes "guard dropped" when it is dropped: the task's locals are
    /// dropped, as at a cancellation, only if the runtime drops the task.
    struct Guard(Log);

    impl Drop for Guard {
        fn drop(&mut self) {
            note(&self.0, "guard dropped");
        }
    }

    /// Spawns a task that waits on a future that is never ready, lets it
    /// reach that wait, then drops the runtime. Returns the steps noted.
    fn drop_a_runtime_while_a_task_waits() -> Vec<&'static str> {
        let log = Log::default();
        let runtime = runtime();
        let (waiting_tx, waiting) = oneshot::channel();
        let task_log = log.clone();
        runtime.spawn(async move {
            let _guard = Guard(task_log.clone());
            note(&task_log, "waiting");
            waiting_tx.send(()).unwrap();
            std::future::pending::<()>().await; // never ready
            note(&task_log, "past the .await");
        });
        runtime.block_on(waiting).unwrap();
        drop(runtime);
        log.lock().unwrap().clone()
    }

    #[test]
    fn dropping_a_runtime_drops_a_task_where_it_waits() {
        assert_eq!(
            drop_a_runtime_while_a_task_waits(),
            ["waiting", "guard dropped"],
            "the task stopped at its .await and its locals were dropped"
        );
    }

    #[tokio::test]
    async fn abort_does_not_stop_a_spawn_blocking_job_that_has_started() {
        let (joined, finished) = abort_a_blocking_job().await;
        assert!(
            joined.is_ok(),
            "the handle reports a normal end: {joined:?}"
        );
        assert!(finished, "the job ran to its last line");
    }

    #[test]
    fn dropping_a_runtime_waits_for_its_blocking_jobs() {
        let (finished, took) = drop_the_runtime();
        assert!(finished, "the drop returned only after the job did");
        // Cannot be shorter: the job is released `HOLD` after `start`.
        assert!(took >= HOLD, "the drop took {took:?}");
    }

    #[test]
    fn shutdown_timeout_returns_while_a_blocking_job_runs_on() {
        let start = Instant::now();
        let (at_shutdown, later) = shut_down_with_a_timeout();
        assert!(!at_shutdown, "the job cannot end before it is released");
        assert!(later, "the job was not cancelled; it ran once released");
        // Generous: `GRACE` plus the time to start a runtime and a thread.
        assert!(start.elapsed() < WATCHDOG, "took {:?}", start.elapsed());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn abort_stops_a_busy_task_only_at_its_next_yielding_await() {
        let log = Log::default();
        let error = abort_a_busy_task(log.clone()).await;
        assert!(error.is_cancelled());
        assert_eq!(
            *log.lock().unwrap(),
            [
                "loop started",
                "abort requested",
                "loop finished",
                "past a ready .await",
            ]
        );
    }
}
