//! A future and an executor written by hand: a `Countdown` future that is
//! not ready a set number of times, a run queue fed by wakers, and an
//! `async fn` with two suspension points beside one with none.
//!
//!     cargo run -p ch03-concurrency-model --bin poll_by_hand

use futures::future::BoxFuture;
use futures::task::{ArcWake, waker_ref};
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// What the tasks did, in order, shared by all of them.
type Log = Arc<Mutex<Vec<String>>>;

fn record(log: &Log, what: String) {
    log.lock().unwrap().push(what);
}

// ANCHOR: countdown
/// A future that answers "not ready" the first `remaining` times it is
/// polled, and "ready" after that. No timer, no thread: just a counter.
struct Countdown {
    remaining: u32,
}

impl Future for Countdown {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.remaining == 0 {
            return Poll::Ready(());
        }
        self.remaining -= 1;
        // Before saying "not yet", arrange to be polled again. A future that
        // returns `Pending` without anyone holding on to its waker is never
        // polled again.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
// ANCHOR_END: countdown

// ANCHOR: executor
/// A spawned future, and the run queue it goes back to when woken.
struct Task {
    future: Mutex<Option<BoxFuture<'static, ()>>>,
    queue: Arc<Mutex<VecDeque<Arc<Task>>>>,
}

impl ArcWake for Task {
    /// Waking a task is nothing more than putting it back in the queue.
    fn wake_by_ref(task: &Arc<Self>) {
        task.queue.lock().unwrap().push_back(task.clone());
    }
}

/// A run queue and a loop: the whole executor.
#[derive(Default)]
struct Executor {
    queue: Arc<Mutex<VecDeque<Arc<Task>>>>,
}

impl Executor {
    fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        let task = Arc::new(Task {
            future: Mutex::new(Some(Box::pin(future))),
            queue: self.queue.clone(),
        });
        self.queue.lock().unwrap().push_back(task);
    }

    /// Polls woken tasks, oldest first, until none is waiting to be polled,
    /// and returns how many polls that took. It never blocks: a task that
    /// nobody wakes simply stays out of the queue.
    fn run_until_idle(&self) -> usize {
        let mut polls = 0;
        loop {
            let Some(task) = self.queue.lock().unwrap().pop_front() else {
                return polls;
            };
            let mut slot = task.future.lock().unwrap();
            // A task woken twice may be queued twice; once finished, its
            // slot is empty and the extra turn is skipped.
            if let Some(future) = slot.as_mut() {
                let waker = waker_ref(&task);
                polls += 1;
                if future
                    .as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_ready()
                {
                    *slot = None;
                }
            }
        }
    }
}
// ANCHOR_END: executor

// ANCHOR: stops
/// An ordinary-looking async fn with two suspension points. Each `.await`
/// on a future that is not ready makes `poll` return; the next `poll`
/// carries on right after that `.await`, with `total` still in place.
async fn two_stops(name: &'static str, log: Log) {
    let mut total = 1;
    record(&log, format!("{name} starts"));
    Countdown { remaining: 1 }.await;
    total += 10;
    record(&log, format!("{name} resumes after stop 1"));
    Countdown { remaining: 1 }.await;
    total += 100;
    record(&log, format!("{name} resumes after stop 2 with {total}"));
}

/// A subroutine is the special case with no suspension point: it runs
/// from start to end in a single poll.
async fn no_stops(name: &'static str, log: Log) {
    record(&log, format!("{name} runs to the end"));
}
// ANCHOR_END: stops

fn main() {
    let log = Log::default();
    let executor = Executor::default();
    executor.spawn(two_stops("a", log.clone()));
    executor.spawn(two_stops("b", log.clone()));
    executor.spawn(no_stops("c", log.clone()));
    let polls = executor.run_until_idle();
    for line in log.lock().unwrap().iter() {
        println!("{line}");
    }
    println!("{polls} polls in all, on the calling thread");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::thread;

    /// A waker that only counts how often it was woken.
    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl ArcWake for CountingWaker {
        fn wake_by_ref(waker: &Arc<Self>) {
            waker.0.fetch_add(1, SeqCst);
        }
    }

    fn log_of(log: &Log) -> Vec<String> {
        log.lock().unwrap().clone()
    }

    #[test]
    fn a_countdown_is_pending_n_times_then_ready_and_wakes_itself_each_time() {
        let counter = Arc::new(CountingWaker::default());
        let waker = waker_ref(&counter);
        let mut cx = Context::from_waker(&waker);
        let mut countdown = Countdown { remaining: 3 };
        let polls: Vec<_> = (0..4)
            .map(|_| Pin::new(&mut countdown).poll(&mut cx))
            .collect();
        use Poll::{Pending, Ready};
        assert_eq!(polls, [Pending, Pending, Pending, Ready(())]);
        // One wake per `Pending`, none for `Ready`.
        assert_eq!(counter.0.load(SeqCst), 3);
    }

    #[test]
    fn the_executor_polls_a_countdown_once_more_than_its_count() {
        let executor = Executor::default();
        executor.spawn(Countdown { remaining: 3 });
        assert_eq!(executor.run_until_idle(), 4);
        // Finished: nothing is left to poll.
        assert_eq!(executor.run_until_idle(), 0);
    }

    #[test]
    fn a_future_that_is_never_woken_is_polled_once_and_then_left_alone() {
        let executor = Executor::default();
        executor.spawn(futures::future::pending::<()>());
        assert_eq!(executor.run_until_idle(), 1);
        assert_eq!(executor.run_until_idle(), 0);
    }

    /// The wake → re-poll cycle with a waker held by someone else: the task
    /// waits on a channel, and the sender, on another OS thread, wakes it.
    #[test]
    fn a_wake_from_another_thread_puts_the_task_back_in_the_queue() {
        let log = Log::default();
        let executor = Executor::default();
        let (sender, receiver) = futures::channel::oneshot::channel();
        let task_log = log.clone();
        executor.spawn(async move {
            let value: u32 = receiver.await.unwrap();
            record(&task_log, format!("got {value}"));
        });
        // Polled once: the channel is empty, the receiver keeps the waker.
        assert_eq!(executor.run_until_idle(), 1);
        // Not woken, so not polled, however often the executor runs.
        assert_eq!(executor.run_until_idle(), 0);
        assert!(log_of(&log).is_empty());
        thread::spawn(move || sender.send(42).unwrap())
            .join()
            .unwrap();
        // The send woke the task: one more poll, and it finishes.
        assert_eq!(executor.run_until_idle(), 1);
        assert_eq!(log_of(&log), ["got 42"]);
    }

    #[test]
    fn an_async_fn_resumes_after_each_suspension_point() {
        let log = Log::default();
        let executor = Executor::default();
        executor.spawn(two_stops("a", log.clone()));
        executor.spawn(two_stops("b", log.clone()));
        // Three polls each: start to stop 1, stop 1 to stop 2, stop 2 to end.
        assert_eq!(executor.run_until_idle(), 6);
        // The queue is first in, first out, so the two take turns, and
        // each picks up where it stopped, its local `total` intact.
        assert_eq!(
            log_of(&log),
            [
                "a starts",
                "b starts",
                "a resumes after stop 1",
                "b resumes after stop 1",
                "a resumes after stop 2 with 111",
                "b resumes after stop 2 with 111",
            ]
        );
    }

    #[test]
    fn an_async_fn_without_suspension_points_finishes_in_one_poll() {
        let log = Log::default();
        let executor = Executor::default();
        executor.spawn(no_stops("c", log.clone()));
        assert_eq!(executor.run_until_idle(), 1);
        assert_eq!(log_of(&log), ["c runs to the end"]);
    }

    #[test]
    fn the_executor_runs_every_future_on_the_calling_thread() {
        let threads = Arc::new(Mutex::new(Vec::new()));
        let executor = Executor::default();
        for _ in 0..3 {
            let threads = threads.clone();
            executor.spawn(async move {
                threads.lock().unwrap().push(thread::current().id());
                Countdown { remaining: 2 }.await;
                threads.lock().unwrap().push(thread::current().id());
            });
        }
        assert_eq!(executor.run_until_idle(), 9);
        let threads = threads.lock().unwrap();
        assert_eq!(threads.len(), 6);
        assert!(threads.iter().all(|&id| id == thread::current().id()));
    }

    /// How many times the kernel has put the calling thread to sleep so far
    /// (`voluntary_ctxt_switches` in `/proc/thread-self/status`), if Linux
    /// says.
    fn times_this_thread_slept() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
        let line = status
            .lines()
            .find_map(|line| line.strip_prefix("voluntary_ctxt_switches:"))?;
        line.trim().parse().ok()
    }

    /// The count is per thread, so the tests running beside this one on
    /// threads of their own do not change it.
    #[test]
    fn the_executor_never_puts_its_thread_to_sleep() {
        const NAME: &str = "the_executor_never_puts_its_thread_to_sleep";
        let Some(before) = times_this_thread_slept() else {
            book_skip::skip!(NAME, "no /proc/thread-self/status to count sleeps in");
            return;
        };
        let executor = Executor::default();
        for _ in 0..3 {
            executor.spawn(async {
                Countdown { remaining: 2 }.await;
            });
        }
        assert_eq!(executor.run_until_idle(), 9);
        assert_eq!(times_this_thread_slept(), Some(before));
    }

    /// This process's threads, and what each of its open file descriptors
    /// refers to, as Linux lists them under `/proc/self`.
    fn threads_and_descriptors() -> Option<(usize, Vec<std::path::PathBuf>)> {
        let threads = std::fs::read_dir("/proc/self/task").ok()?.count();
        let fds = std::fs::read_dir("/proc/self/fd").ok()?;
        let mut targets: Vec<_> = fds
            .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
            .collect();
        targets.sort();
        Some((threads, targets))
    }

    /// Set in the copy of this test binary that runs the next test alone.
    const ALONE: &str = "CH03_POLL_BY_HAND_ALONE";

    /// The harness runs other tests beside this one, on threads of their
    /// own, and some of them start threads. So the test runs itself again
    /// in a process of its own, with nothing beside it, and counts there:
    /// before the executor runs, inside every poll, and after.
    #[test]
    fn the_executor_starts_no_thread_and_opens_no_descriptor() {
        const NAME: &str = "the_executor_starts_no_thread_and_opens_no_descriptor";
        if std::env::var_os(ALONE).is_none() {
            let run = std::process::Command::new(std::env::current_exe().unwrap())
                .args([&format!("tests::{NAME}"), "--exact", "--test-threads=1"])
                .env(ALONE, "1")
                .output()
                .unwrap();
            let (out, err) = (
                String::from_utf8_lossy(&run.stdout),
                String::from_utf8_lossy(&run.stderr),
            );
            // Pass the child's skip line, if any, on to this test's stderr.
            eprint!("{err}");
            assert!(run.status.success(), "{out}{err}");
            assert!(out.contains("1 passed"), "{out}");
            return;
        }
        let Some(before) = threads_and_descriptors() else {
            book_skip::skip!(
                NAME,
                "no /proc/self to count threads and descriptors in"
            );
            return;
        };
        let seen = Arc::new(Mutex::new(Vec::new()));
        let executor = Executor::default();
        for _ in 0..3 {
            let seen = seen.clone();
            executor.spawn(async move {
                seen.lock().unwrap().push(threads_and_descriptors());
                Countdown { remaining: 2 }.await;
                seen.lock().unwrap().push(threads_and_descriptors());
            });
        }
        assert_eq!(executor.run_until_idle(), 9);
        let after = threads_and_descriptors().unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 6);
        for during in seen.iter() {
            assert_eq!(during.as_ref(), Some(&before), "during a poll");
        }
        assert_eq!(after, before, "after the run");
    }
}
