//! A thread cannot be stopped from outside, only asked: a worker checks a
//! stop flag between jobs. A read that blocks it is ended by `shutdown` on
//! the socket, not by dropping another handle to it.
//!
//!     cargo run -p ch09-errors --bin asking_a_thread_to_stop

use std::io::{self, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

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

/// A thread blocked in `read` on a socket whose peer never writes, and
/// what is needed to end it.
struct BlockedRead {
    /// Where the reader sends what its `read` returned.
    result: Receiver<io::Result<usize>>,
    /// Kept only to clean up: shut down after `wait`, so that no test leaves
    /// a reader behind, whatever its outcome.
    spare: TcpStream,
    /// The other end of the connection, kept open and silent.
    _peer: TcpStream,
}

/// Connects a socket to a silent peer, starts a thread that reads from it,
/// and returns once that thread is asleep inside the `read`, together with
/// a second handle to the socket (made with `try_clone`, a new file
/// descriptor for the same socket).
fn start_a_blocked_read() -> io::Result<(BlockedRead, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let peer = TcpStream::connect(listener.local_addr()?)?;
    let (socket, _) = listener.accept()?;
    let other_handle = socket.try_clone()?;
    let spare = socket.try_clone()?;
    let (tid_tx, tid) = mpsc::channel();
    let (result_tx, result) = mpsc::channel();
    thread::spawn(move || {
        // This thread's id, as Linux knows it: `/proc/thread-self` links to
        // `<pid>/task/<tid>`.
        let _ = tid_tx.send(std::fs::read_link("/proc/thread-self"));
        let _ = result_tx.send((&socket).read(&mut [0; 64]));
    });
    let tid = tid.recv_timeout(WATCHDOG).map_err(io::Error::other)??;
    wait_until_asleep(&tid)?;
    let blocked = BlockedRead {
        result,
        spare,
        _peer: peer,
    };
    Ok((blocked, other_handle))
}

/// Waits until the kernel reports the thread `tid` as sleeping (state `S`
/// in `/proc/<pid>/task/<tid>/stat`). After sending its id, the reader has
/// nothing left to do but `read`, so once it sleeps it is inside the read.
fn wait_until_asleep(tid: &std::path::Path) -> io::Result<()> {
    let stat = std::path::Path::new("/proc").join(tid).join("stat");
    let began = Instant::now();
    while began.elapsed() < WATCHDOG {
        let text = std::fs::read_to_string(&stat)?;
        // The state follows the command name, which is in parentheses.
        let state = text
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next());
        if state == Some('S') {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(1));
    }
    Err(io::Error::other("the reader never blocked"))
}

impl BlockedRead {
    /// What the reader's `read` returned, or `None` if it was still blocked
    /// after `bound`. Either way the reader is then ended, through `spare`.
    fn wait(self, bound: Duration) -> Option<io::Result<usize>> {
        let outcome = self.result.recv_timeout(bound).ok();
        let _ = self.spare.shutdown(Shutdown::Both);
        if outcome.is_none() {
            let _ = self.result.recv_timeout(WATCHDOG);
        }
        outcome
    }
}

/// A generous bound for a read that has been woken: it returns at once, so
/// only a machine stalled for this long could miss it.
const WAKE_BOUND: Duration = Duration::from_secs(10);

/// How long a read that was not woken is watched before it counts as still
/// blocked.
const STILL_BLOCKED_AFTER: Duration = Duration::from_millis(300);

// ANCHOR: shutdown
/// A flag cannot reach a thread blocked in `read`, but the socket can:
/// `shutdown` through another handle to it wakes the read, which returns
/// `Ok(0)`, end of stream.
fn shut_down_under_a_blocked_read() -> io::Result<Option<io::Result<usize>>> {
    let (blocked, other_handle) = start_a_blocked_read()?;
    other_handle.shutdown(Shutdown::Both)?;
    Ok(blocked.wait(WAKE_BOUND))
}

/// Dropping the other handle closes only its own file descriptor. The
/// socket stays open for the reader, whose read goes on waiting.
fn drop_under_a_blocked_read() -> io::Result<Option<io::Result<usize>>> {
    let (blocked, other_handle) = start_a_blocked_read()?;
    drop(other_handle);
    Ok(blocked.wait(STILL_BLOCKED_AFTER))
}
// ANCHOR_END: shutdown

fn main() {
    let (steps, finished) = stop_during_a_job();
    println!("steps: {steps:?}");
    println!("jobs the worker finished: {finished}");
    let shown = |outcome: Option<io::Result<usize>>| match outcome {
        Some(returned) => format!("read returned {returned:?}"),
        None => "read still blocked".to_owned(),
    };
    let shut_down = shut_down_under_a_blocked_read().unwrap();
    println!("shutdown from another handle: {}", shown(shut_down));
    let dropped = drop_under_a_blocked_read().unwrap();
    println!("another handle dropped:       {}", shown(dropped));
}

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

    /// Run in a loop of ten, so that a wake-up that only sometimes happens
    /// would show.
    #[test]
    fn shutdown_from_another_handle_wakes_a_thread_blocked_in_read() {
        for _ in 0..10 {
            let outcome = shut_down_under_a_blocked_read().unwrap();
            assert!(matches!(outcome, Some(Ok(0))), "{outcome:?}");
        }
    }

    #[test]
    fn dropping_another_handle_leaves_a_thread_blocked_in_read() {
        let outcome = drop_under_a_blocked_read().unwrap();
        assert!(outcome.is_none(), "{outcome:?}");
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
