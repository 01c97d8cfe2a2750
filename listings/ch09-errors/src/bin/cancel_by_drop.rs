//! Cancelling a future by dropping it: under a timeout, in `select!`, and by
//! aborting a task. The code after the `.await` never runs; destructors do.
//! A future that blocks its thread cannot be cut short by a timeout, and
//! dropping a `JoinHandle` leaves its task running.
//!
//!     cargo run -p ch09-errors --bin cancel_by_drop

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinError;
use tokio::time::{error::Elapsed, sleep, timeout};

/// The steps the jobs reached, in order, shared with whoever watches them.
type Log = Arc<Mutex<Vec<&'static str>>>;

fn note(log: &Log, step: &'static str) {
    log.lock().unwrap().push(step);
}

// ANCHOR: job
/// How long the job waits in its middle, as if for a slow server.
const JOB_TIME: Duration = Duration::from_secs(1);

/// Notes each step it reaches. Its `Cleanup` guard notes "cleaned up" when
/// the future is dropped, whether the job finished or not.
async fn slow_job(log: Log) -> &'static str {
    let _cleanup = Cleanup(log.clone());
    note(&log, "started");
    sleep(JOB_TIME).await;
    note(&log, "finished"); // only if the future is polled past the sleep
    "result"
}

struct Cleanup(Log);

impl Drop for Cleanup {
    fn drop(&mut self) {
        note(&self.0, "cleaned up");
    }
}
// ANCHOR_END: job

// ANCHOR: timeout
/// Less time than the job needs.
const DEADLINE: Duration = Duration::from_millis(100);

/// `timeout` polls the job until the deadline, then returns `Err`; the job
/// is dropped with the `Timeout`, at the end of this `.await`.
async fn job_with_deadline(log: Log) -> Result<&'static str, Elapsed> {
    timeout(DEADLINE, slow_job(log)).await
}

/// `timeout` takes any future, including one made of other futures: here
/// the deadline covers two jobs running side by side.
async fn two_jobs_with_deadline(
    log: Log,
) -> Result<(&'static str, &'static str), Elapsed> {
    let both = async { tokio::join!(slow_job(log.clone()), slow_job(log.clone())) };
    timeout(DEADLINE, both).await
}
// ANCHOR_END: timeout

// ANCHOR: blocked
/// How long the blocking job holds its thread: longer than `DEADLINE`.
const BLOCK_TIME: Duration = Duration::from_millis(300);

/// Like `slow_job`, but it waits with `std::thread::sleep`, which blocks the
/// thread, instead of awaiting. Its first poll returns only when it is done.
async fn blocking_job(log: Log) -> &'static str {
    note(&log, "started");
    std::thread::sleep(BLOCK_TIME);
    note(&log, "finished");
    "result"
}

/// `timeout` looks at its deadline only when it is polled, after it has
/// polled the job, and this job's poll does not come back until the end.
async fn blocking_job_with_deadline(log: Log) -> Result<&'static str, Elapsed> {
    timeout(DEADLINE, blocking_job(log)).await
}
// ANCHOR_END: blocked

// ANCHOR: select
/// Runs the job until it finishes or a shutdown signal arrives. `select!`
/// drops every branch but the one that completed first.
async fn job_until_shutdown(
    log: Log,
    shutdown: oneshot::Receiver<()>,
) -> Option<&'static str> {
    tokio::select! {
        result = slow_job(log) => Some(result),
        _ = shutdown => None,
    }
}
// ANCHOR_END: select

// ANCHOR: abort
/// A spawned job belongs to the runtime, not to the caller, so it is
/// stopped with `abort`; awaiting its handle then reports the cancellation.
async fn abort_a_spawned_job(log: Log) -> JoinError {
    let handle = tokio::spawn(slow_job(log));
    sleep(DEADLINE).await; // give it time to start
    handle.abort();
    handle.await.unwrap_err()
}

/// Dropping the handle is not the same: a timeout around a `JoinHandle`
/// stops the waiting, and the task runs on to its end.
async fn stop_waiting_for_a_spawned_job(log: Log) -> Result<&'static str, Elapsed> {
    let handle = tokio::spawn(slow_job(log));
    let waited = timeout(DEADLINE, handle).await;
    waited.map(|joined| joined.unwrap())
}
// ANCHOR_END: abort

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let log = Log::default();
        let result = job_with_deadline(log.clone()).await;
        println!("timeout: {result:?}, steps {:?}", log.lock().unwrap());

        let log = Log::default();
        let result = two_jobs_with_deadline(log.clone()).await;
        println!("two jobs: {result:?}, steps {:?}", log.lock().unwrap());

        let log = Log::default();
        let result = blocking_job_with_deadline(log.clone()).await;
        println!("blocking: {result:?}, steps {:?}", log.lock().unwrap());

        let log = Log::default();
        let (stop, shutdown) = oneshot::channel();
        let job = tokio::spawn(job_until_shutdown(log.clone(), shutdown));
        sleep(DEADLINE).await;
        stop.send(()).unwrap();
        let result = job.await.unwrap();
        println!("select: {result:?}, steps {:?}", log.lock().unwrap());

        let log = Log::default();
        let error = abort_a_spawned_job(log.clone()).await;
        let cancelled = error.is_cancelled();
        println!(
            "abort: cancelled {cancelled}, steps {:?}",
            log.lock().unwrap()
        );

        let log = Log::default();
        let result = stop_waiting_for_a_spawned_job(log.clone()).await;
        sleep(JOB_TIME).await; // meanwhile, the task goes on
        println!(
            "handle dropped: {result:?}, steps {:?}",
            log.lock().unwrap()
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(log: &Log) -> Vec<&'static str> {
        log.lock().unwrap().clone()
    }

    // Every test but one runs on a paused clock: tokio jumps straight to the
    // next timer whenever all tasks are waiting, so those tests do not depend
    // on how fast the machine is, and none of them takes real time. The
    // exception is the blocking job, whose `std::thread::sleep` the paused
    // clock cannot see; its result does not depend on timing either.

    #[tokio::test(start_paused = true)]
    async fn a_job_given_enough_time_runs_to_its_end() {
        let log = Log::default();
        assert_eq!(
            timeout(2 * JOB_TIME, slow_job(log.clone())).await,
            Ok("result")
        );
        assert_eq!(steps(&log), ["started", "finished", "cleaned up"]);
    }

    /// The code after the `.await` never runs, not even later: nothing is
    /// left that could poll it. The destructor does run.
    #[tokio::test(start_paused = true)]
    async fn a_timeout_drops_the_job_before_its_code_after_the_await() {
        let log = Log::default();
        assert!(job_with_deadline(log.clone()).await.is_err());
        assert_eq!(steps(&log), ["started", "cleaned up"]);
        sleep(2 * JOB_TIME).await;
        assert_eq!(steps(&log), ["started", "cleaned up"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_composes_with_any_future() {
        let log = Log::default();
        assert!(two_jobs_with_deadline(log.clone()).await.is_err());
        assert_eq!(
            steps(&log),
            ["started", "started", "cleaned up", "cleaned up"]
        );

        // Timeouts nest: the inner, shorter one is the one that fires.
        let log = Log::default();
        let nested = timeout(JOB_TIME * 2, job_with_deadline(log.clone())).await;
        assert!(matches!(nested, Ok(Err(_))), "{nested:?}");
        assert_eq!(steps(&log), ["started", "cleaned up"]);
    }

    /// On the real clock, on the test's current_thread runtime: the job
    /// blocks for three times the deadline, and still the timeout returns
    /// `Ok`, after the whole block, because the deadline was never checked
    /// while the job held the thread.
    #[tokio::test]
    async fn a_timeout_cannot_fire_while_the_future_blocks_its_thread() {
        let log = Log::default();
        let began = std::time::Instant::now();
        assert_eq!(blocking_job_with_deadline(log.clone()).await, Ok("result"));
        assert!(began.elapsed() >= BLOCK_TIME);
        assert_eq!(steps(&log), ["started", "finished"]);
    }

    /// The control for the test above: the same job and the same deadline,
    /// but the job waits with `tokio::time::sleep(BLOCK_TIME).await`, so it
    /// gives the thread back and the timeout fires. On the paused clock, so
    /// no timing is involved.
    #[tokio::test(start_paused = true)]
    async fn the_same_timeout_fires_when_the_job_awaits_instead_of_blocking() {
        let log = Log::default();
        let awaiting_job = async {
            note(&log, "started");
            sleep(BLOCK_TIME).await;
            note(&log, "finished");
            "result"
        };
        assert!(timeout(DEADLINE, awaiting_job).await.is_err());
        assert_eq!(steps(&log), ["started"]);
    }

    #[tokio::test(start_paused = true)]
    async fn select_drops_the_branch_that_loses() {
        let log = Log::default();
        let (stop, shutdown) = oneshot::channel();
        let job = tokio::spawn(job_until_shutdown(log.clone(), shutdown));
        sleep(DEADLINE).await;
        stop.send(()).unwrap();
        assert_eq!(job.await.unwrap(), None);
        assert_eq!(steps(&log), ["started", "cleaned up"]);

        // Without a shutdown signal the job wins the race.
        let log = Log::default();
        let (_stop, shutdown) = oneshot::channel::<()>();
        assert_eq!(
            job_until_shutdown(log.clone(), shutdown).await,
            Some("result")
        );
        assert_eq!(steps(&log), ["started", "finished", "cleaned up"]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_aborted_task_reports_is_cancelled() {
        let log = Log::default();
        let error = abort_a_spawned_job(log.clone()).await;
        assert!(error.is_cancelled());
        assert!(!error.is_panic());
        sleep(2 * JOB_TIME).await;
        assert_eq!(steps(&log), ["started", "cleaned up"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_around_a_join_handle_leaves_the_task_running() {
        let log = Log::default();
        assert!(stop_waiting_for_a_spawned_job(log.clone()).await.is_err());
        assert_eq!(steps(&log), ["started"]);
        sleep(2 * JOB_TIME).await;
        assert_eq!(steps(&log), ["started", "finished", "cleaned up"]);
    }
}
