// ANCHOR: all
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

/// A unit of work the worker runs from start to end.
type Job<'a> = Box<dyn FnOnce() + Send + 'a>;

// ANCHOR: worker
/// Runs jobs until it is asked to stop. It looks at `stop` only between two
/// jobs: whatever a job is doing, nothing interrupts it.
fn worker(jobs: Receiver<Job<'_>>, stop: &AtomicBool) -> usize {
    let mut finished = 0;
    while !stop.load(Ordering::Acquire) {
        let Ok(job) = jobs.recv() else {
            break; // no job will ever come: the sender is gone
        };
        job();
        finished += 1;
    }
    finished
}
// ANCHOR_END: worker

/// Only a safety net so that a broken run ends instead of hanging; a
/// correct run never waits anywhere near this long.
const WATCHDOG: Duration = Duration::from_secs(30);

// ANCHOR: run
/// Queues two jobs, asks the worker to stop while the first one is still
/// running, and returns what happened, in order, and how many jobs the
/// worker finished.
fn stop_during_a_job() -> (Vec<&'static str>, usize) {
    let log = Mutex::new(Vec::new());
    let note = |step| log.lock().unwrap().push(step);
    let stop = AtomicBool::new(false);
    let (started_tx, started) = mpsc::channel();
    let (may_finish_tx, may_finish) = mpsc::channel();
    let (jobs_tx, jobs) = mpsc::channel::<Job>();

    let finished = thread::scope(|scope| {
        let worker = scope.spawn(|| worker(jobs, &stop));
        jobs_tx
            .send(Box::new(move || {
                note("job 1 started");
                started_tx.send(()).unwrap();
                // A long step: it ends when the other thread says so.
                let _ = may_finish.recv_timeout(WATCHDOG);
                note("job 1 finished");
            }))
            .unwrap();
        jobs_tx.send(Box::new(move || note("job 2 ran"))).unwrap();
        drop(jobs_tx); // no more jobs after these two

        started.recv_timeout(WATCHDOG).unwrap();
        note("stop requested");
        stop.store(true, Ordering::Release);
        may_finish_tx.send(()).unwrap(); // only now can job 1 end
        worker.join().unwrap()
    });
    (log.into_inner().unwrap(), finished)
}
// ANCHOR_END: run

fn main() {
    let (steps, finished) = stop_during_a_job();
    println!("steps: {steps:?}");
    println!("jobs the worker finished: {finished}");
}
// ANCHOR_END: all

#[cfg(test)]
mod tests {
    use super::*;

    /// The request lands while job 1 runs, yet job 1 still finishes: the
    /// worker sees the flag only at its next check, and then stops before
    /// taking job 2.
    #[test]
    fn a_thread_keeps_running_until_it_checks_the_stop_flag() {
        let (steps, finished) = stop_during_a_job();
        assert_eq!(steps, ["job 1 started", "stop requested", "job 1 finished"]);
        assert_eq!(finished, 1);
    }

    /// A `std::thread::JoinHandle` has no `abort`, and dropping it does not
    /// stop the thread either: the thread is detached and runs on.
    #[test]
    fn dropping_a_join_handle_leaves_the_thread_running() {
        let (go_tx, go) = mpsc::channel::<()>();
        let (done_tx, done) = mpsc::channel();
        let handle = thread::spawn(move || {
            go.recv_timeout(WATCHDOG).unwrap();
            done_tx.send("still ran").unwrap();
        });
        drop(handle);
        go_tx.send(()).unwrap();
        assert_eq!(done.recv_timeout(WATCHDOG), Ok("still ran"));
    }

    /// Without a request the worker runs every job and ends only when the
    /// channel closes.
    #[test]
    fn without_a_stop_request_the_worker_runs_every_job() {
        let stop = AtomicBool::new(false);
        let count = Mutex::new(0);
        let (jobs_tx, jobs) = mpsc::channel::<Job>();
        for _ in 0..3 {
            jobs_tx
                .send(Box::new(|| *count.lock().unwrap() += 1))
                .unwrap();
        }
        drop(jobs_tx);
        assert_eq!(worker(jobs, &stop), 3);
        assert_eq!(*count.lock().unwrap(), 3);
    }
}
