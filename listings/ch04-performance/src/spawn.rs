//! Starting one unit of work and waiting for it to finish, and, beside it,
//! handing the same work to a thread that is already running.
//!
//! The benchmarks' units add one to their input, so a test can tell that the
//! unit really ran and handed its result back.

use std::sync::mpsc;

// ANCHOR: thread
/// Starts an OS thread to run `work`, and waits for it to end.
pub fn thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(work)
        .join()
        .expect("the thread does not panic")
}
// ANCHOR_END: thread

// ANCHOR: scoped_thread
/// The same with a scoped thread, which may borrow from the caller: the
/// scope joins it before returning.
pub fn scoped_thread(input: &u64) -> u64 {
    std::thread::scope(|scope| {
        scope
            .spawn(|| *input + 1)
            .join()
            .expect("the thread does not panic")
    })
}
// ANCHOR_END: scoped_thread

// ANCHOR: task
/// Spawns a tokio task to run `work`, and awaits it. Must run inside a tokio
/// runtime, like every `tokio::spawn`.
pub async fn task<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> T {
    tokio::spawn(work).await.expect("the task does not panic")
}
// ANCHOR_END: task

// ANCHOR: worker
type Job = Box<dyn FnOnce() + Send>;

/// One thread, started once, that runs every job handed to it: the smallest
/// thread pool. Handing it work costs a message there and one back.
pub struct Worker {
    jobs: mpsc::Sender<Job>,
    thread: std::thread::JoinHandle<()>,
}

impl Worker {
    pub fn start() -> Self {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let thread = std::thread::spawn(move || inbox.into_iter().for_each(|job| job()));
        Worker { jobs, thread }
    }

    /// Runs `work` on the worker's thread and waits for its result.
    pub fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        let (reply, result) = mpsc::sync_channel(1);
        let job = Box::new(move || reply.send(work()).expect("the caller waits"));
        self.jobs.send(job).expect("the worker is alive");
        result.recv().expect("the worker runs the job")
    }

    /// Hangs up and waits for the worker's thread to end.
    pub fn finish(self) {
        drop(self.jobs);
        self.thread.join().expect("the worker does not panic");
    }
}
// ANCHOR_END: worker

#[cfg(test)]
mod tests {
    use super::*;
    use nix::unistd::gettid;

    #[test]
    fn a_thread_runs_its_closure_and_hands_back_the_result() {
        assert_eq!(thread(|| 41 + 1), 42);
    }

    /// The kernel's thread id (`gettid`), not std's `ThreadId`, which std
    /// never reuses and which would differ even for threads the kernel never
    /// saw. While a thread runs, no other thread on the machine has its id.
    #[test]
    fn each_spawned_thread_is_a_new_os_thread() {
        let here = gettid();
        let (ids, listed): (Vec<_>, Vec<_>) = (0..4)
            .map(|_| {
                thread(|| {
                    let id = gettid();
                    // The kernel lists the thread among this process's tasks.
                    let listed = std::path::Path::new(&format!("/proc/self/task/{id}")).exists();
                    (id, listed)
                })
            })
            .unzip();
        assert!(listed.iter().all(|&listed| listed), "{ids:?}");
        assert!(!ids.contains(&here), "a unit ran on the caller's thread");
        // Linux hands out thread ids in a cycle, so ids are not reused
        // until the count wraps around at pid_max.
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), 4, "{ids:?}");
    }

    #[test]
    fn a_scoped_thread_reads_the_callers_value() {
        let value = 9;
        assert_eq!(scoped_thread(&value), 10);
    }

    #[test]
    fn a_worker_runs_every_job_on_its_one_thread() {
        let here = gettid();
        let worker = Worker::start();
        let ids: Vec<_> = (0..4).map(|_| worker.run(gettid)).collect();
        assert_ne!(ids[0], here, "the job ran on the caller's thread");
        assert!(ids.iter().all(|&id| id == ids[0]), "{ids:?}");
        assert_eq!(worker.run(|| 41 + 1), 42);
        worker.finish();
        // `finish` waited for the worker's thread to end.
        let task = format!("/proc/self/task/{}", ids[0]);
        assert!(!std::path::Path::new(&task).exists(), "{task} still runs");
    }

    #[test]
    fn tasks_run_one_after_another_on_a_current_thread_runtime() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let results = runtime.block_on(async {
            let mut results = Vec::new();
            for input in 0..100u64 {
                results.push(task(async move { input + 1 }).await);
            }
            results
        });
        assert_eq!(results, (1..=100).collect::<Vec<u64>>());
        // Every task ran and finished, and none is left behind.
        assert_eq!(runtime.metrics().num_alive_tasks(), 0);
    }

    #[test]
    fn a_task_runs_on_a_multi_thread_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let result = runtime.block_on(runtime.spawn(task(async { 7 + 1 })));
        assert_eq!(result.unwrap(), 8);
    }

    /// A task spawned from a worker goes into that worker's own next-task
    /// slot, and the other worker is woken only if the slot was taken (or
    /// after a few tasks in a row came from the slot): so spawning and
    /// awaiting one task at a time seldom wakes (and so parks again) the
    /// idle worker. `worker_park_count` counts how many times each worker
    /// went to sleep.
    #[test]
    fn a_task_spawned_from_a_worker_rarely_wakes_the_other_worker() {
        const SPAWNS: u64 = 10_000;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let metrics = runtime.metrics();
        let parks = || (0..2).map(|w| metrics.worker_park_count(w)).sum::<u64>();
        let before = parks();
        let sum = runtime.block_on(runtime.spawn(async {
            let mut sum = 0;
            for i in 0..SPAWNS {
                sum += task(async move { i }).await;
            }
            sum
        }));
        let parked = parks() - before;
        assert_eq!(sum.unwrap(), SPAWNS * (SPAWNS - 1) / 2);
        // Seen: under one park in a hundred spawns on an idle machine, up to
        // one in eight while other builds kept both CPUs busy, and seven in
        // ten when every spawn was made to wake the other worker.
        assert!(parked < SPAWNS / 3, "{parked} parks for {SPAWNS} spawns");
    }
}
