//! Starting one unit of work and waiting for it to finish, and, beside it,
//! handing the same work to a thread that is already running.
//!
//! The third kind of unit is a stackful coroutine from `corosensei`: the
//! caller's thread switches to the coroutine's own stack, runs it there and
//! switches back when it returns.
//!
//! The benchmarks' units add one to their input, so a test can tell that the
//! unit really ran and handed its result back.

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, Yielder};
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
pub async fn task<T: Send + 'static>(
    work: impl Future<Output = T> + Send + 'static,
) -> T {
    tokio::spawn(work).await.expect("the task does not panic")
}
// ANCHOR_END: task

// ANCHOR: coroutine
/// The stack size of the small coroutines: four pages. corosensei accepts
/// any size down to one page (`MIN_STACK_SIZE`) and adds a guard page below.
pub const SMALL_STACK: usize = 16 * 1024;

/// Creates a stackful coroutine on a stack of corosensei's default size,
/// resumes it until `work` returns, and drops it, which unmaps its stack.
pub fn coroutine<T: 'static>(work: impl FnOnce() -> T + 'static) -> T {
    let mut coroutine = Coroutine::new(move |_: &Yielder<(), ()>, ()| work());
    run_to_end(&mut coroutine)
}

/// The same on a freshly mapped stack of `SMALL_STACK` bytes.
pub fn coroutine_small_stack<T: 'static>(work: impl FnOnce() -> T + 'static) -> T {
    let stack = DefaultStack::new(SMALL_STACK).expect("the kernel maps the stack");
    let mut coroutine =
        Coroutine::with_stack(stack, move |_: &Yielder<(), ()>, ()| work());
    run_to_end(&mut coroutine)
}

/// Runs `work` as a coroutine on `stack` and hands the stack back with the
/// result, so that the next coroutine can reuse it without a new mapping.
pub fn coroutine_on<T: 'static>(
    stack: DefaultStack,
    work: impl FnOnce() -> T + 'static,
) -> (T, DefaultStack) {
    let mut coroutine =
        Coroutine::with_stack(stack, move |_: &Yielder<(), ()>, ()| work());
    let result = run_to_end(&mut coroutine);
    (result, coroutine.into_stack())
}

/// One resume, which runs the coroutine to its end: it has no way to suspend.
fn run_to_end<T>(coroutine: &mut Coroutine<(), (), T>) -> T {
    let end = coroutine.resume(()).as_return();
    end.expect("`work` cannot suspend: it never sees the yielder")
}
// ANCHOR_END: coroutine

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
        let thread =
            std::thread::spawn(move || inbox.into_iter().for_each(|job| job()));
        Worker { jobs, thread }
    }

    /// Runs `work` on the worker's thread and waits for its result.
    pub fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T {
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
                    let listed =
                        std::path::Path::new(&format!("/proc/self/task/{id}"))
                            .exists();
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
    fn a_coroutine_runs_its_closure_on_the_callers_thread_and_hands_back_the_result()
    {
        let here = gettid();
        assert_eq!(coroutine(|| 41 + 1), 42);
        assert_eq!(coroutine(gettid), here);
        assert_eq!(coroutine_small_stack(|| 41 + 1), 42);
        assert_eq!(coroutine_small_stack(gettid), here);
    }

    /// The closure runs on the coroutine's stack, not on the caller's: the
    /// address of a local variable inside it lies within the stack's bounds.
    #[test]
    fn a_coroutine_runs_on_the_stack_it_was_given() {
        use corosensei::stack::Stack;
        let stack = DefaultStack::new(SMALL_STACK).unwrap();
        let (low, high) = (stack.limit().get(), stack.base().get());
        let outside = 0u8;
        let outside = std::ptr::addr_of!(outside) as usize;
        let (inside, stack) = coroutine_on(stack, || {
            let local = 0u8;
            std::ptr::addr_of!(local) as usize
        });
        assert!(
            (low..high).contains(&inside),
            "{inside:#x} not in {low:#x}..{high:#x}"
        );
        assert!(
            !(low..high).contains(&outside),
            "the caller ran on the coroutine's stack"
        );
        // The stack came back and serves the next coroutine.
        let (again, _) = coroutine_on(stack, || 1 + 1);
        assert_eq!(again, 2);
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
    /// slot, which wakes no one. As the worker takes the third task in a row
    /// from the slot (`MAX_LIFO_POLLS_PER_TICK` in tokio's `worker.rs`), before
    /// running it, the slot is switched off until the worker finds it empty,
    /// and a task scheduled meanwhile goes to the back of the queue with a
    /// wake-up of the other worker. Here
    /// the caller and each new task take turns in the slot, so that happens
    /// once for every two spawns. `worker_park_count` counts how many times
    /// each worker went to sleep, which it can do again only once woken: so
    /// parks bound the effective wake-ups from below, and the test bounds
    /// parks, not every wake-up (one that finds the worker awake is missed).
    #[test]
    fn a_task_spawned_from_a_worker_parks_the_other_worker_at_most_about_every_other_spawn()
     {
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
        // Seen: one park in two spawns when run alone on an idle machine,
        // fewer when other tests kept the CPUs busy (the other worker is then
        // often still awake when the next wake-up comes), and more parks than
        // spawns when the same loop ran outside the runtime, in `block_on`,
        // where every spawn goes to the shared queue with a wake-up.
        let most = SPAWNS / 2 + SPAWNS / 10;
        assert!(parked <= most, "{parked} parks for {SPAWNS} spawns");
    }
}
