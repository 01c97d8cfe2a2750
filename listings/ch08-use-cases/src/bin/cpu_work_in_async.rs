//! CPU-bound work in async code, beside a heartbeat task that should keep
//! beating: run inline it stops the heartbeat; moved to tokio's blocking pool,
//! to a pool of threads of our own, or out of the way with `block_in_place`,
//! it does not. Then what `block_in_place` does not move: the other futures
//! of its own task.
//!
//!     cargo run -p ch08-use-cases --bin cpu_work_in_async

use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::oneshot;

/// How long one piece of CPU work keeps a core busy.
const WORK: Duration = Duration::from_millis(200);

/// The heartbeat's period: `WORK / TICK`, twenty beats, fall due during the
/// work.
const TICK: Duration = Duration::from_millis(10);

/// The heartbeat stops by itself after this many beats (100 s), if nothing
/// has stopped it before.
const MAX_BEATS: usize = 10_000;

// ANCHOR: crunch
/// Stands in for any CPU-bound job (hashing, compressing, parsing): it keeps
/// the calling thread busy for `work`, with no `.await` anywhere, and returns
/// when it started and ended.
fn crunch(work: Duration) -> Range<Instant> {
    let started = Instant::now();
    let mut x = 1_u64;
    while started.elapsed() < work {
        x = std::hint::black_box(
            x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1),
        );
    }
    started..Instant::now()
}

/// The work straight in async code: the task keeps its thread until the
/// work is done.
async fn inline() -> Range<Instant> {
    crunch(WORK)
}
// ANCHOR_END: crunch

// ANCHOR: heartbeat
/// A task that must stay responsive, as a UI or a server's timers must: it
/// beats every `TICK` and notes when. It says so through `running` once it
/// has started.
async fn heartbeat(beats: Arc<Mutex<Vec<Instant>>>, running: oneshot::Sender<()>) {
    let mut interval = tokio::time::interval(TICK);
    let mut running = Some(running);
    for _ in 0..MAX_BEATS {
        interval.tick().await;
        beats.lock().unwrap().push(Instant::now());
        if let Some(running) = running.take() {
            let _ = running.send(());
        }
    }
}

/// Starts the heartbeat, then spawns `work` as a task beside it. Returns
/// how many beats fell while the work was running.
async fn beats_during<W>(work: W) -> usize
where
    W: Future<Output = Range<Instant>> + Send + 'static,
{
    let beats = Arc::new(Mutex::new(Vec::new()));
    let (running, started) = oneshot::channel();
    let heart = tokio::spawn(heartbeat(Arc::clone(&beats), running));
    started.await.expect("the heartbeat started");
    let ran = tokio::spawn(work).await.expect("the work finished");
    heart.abort();
    let beats = beats.lock().unwrap();
    beats.iter().filter(|beat| ran.contains(beat)).count()
}
// ANCHOR_END: heartbeat

// ANCHOR: spawn_blocking
/// The work on tokio's blocking pool, a set of threads apart from the ones
/// that run tasks. The task awaits the result and leaves its thread free.
async fn with_spawn_blocking() -> Range<Instant> {
    tokio::task::spawn_blocking(|| crunch(WORK))
        .await
        .expect("the work panicked")
}
// ANCHOR_END: spawn_blocking

// ANCHOR: pool
type Job = Box<dyn FnOnce() + Send>;

/// OS threads of our own for CPU-bound jobs, fed through a channel.
struct CpuPool {
    jobs: Option<mpsc::Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

/// What each of the pool's threads does, until the pool is dropped.
fn take_jobs(queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // The lock is held to take a job, not to run it.
        let next = queue.lock().unwrap().recv();
        // An error: the pool was dropped and the queue is empty.
        let Ok(job) = next else { break };
        // A job that panics drops its reply sender, which its caller
        // sees; the thread goes on with the next job.
        let _ = panic::catch_unwind(AssertUnwindSafe(job));
    }
}

impl CpuPool {
    /// Runs `job` on one of the pool's threads. The calling task waits for
    /// the answer on a oneshot channel, which leaves its own thread free.
    async fn run<T, F>(&self, job: F) -> T
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(job());
        });
        let jobs = self.jobs.as_ref().expect("open until the pool is dropped");
        jobs.send(job).expect("the pool's threads are running");
        answer.await.expect("the job panicked")
    }
}
// ANCHOR_END: pool

impl CpuPool {
    fn new(threads: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = (0..threads)
            .map(|_| {
                let queue = Arc::clone(&queue);
                thread::spawn(move || take_jobs(&queue))
            })
            .collect();
        Self {
            jobs: Some(jobs),
            threads,
        }
    }
}

impl Drop for CpuPool {
    /// Closing the channel ends every thread's loop once the queue is empty.
    fn drop(&mut self) {
        drop(self.jobs.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// The work on the pool.
async fn with_pool(pool: Arc<CpuPool>) -> Range<Instant> {
    pool.run(|| crunch(WORK)).await
}

// ANCHOR: block_in_place
/// The work stays on the task's own worker thread, but first that worker
/// hands its other tasks over to a new thread. Only a multi_thread runtime
/// can do that; on a current_thread runtime the call panics.
async fn with_block_in_place() -> Range<Instant> {
    let work = WORK;
    // The closure borrows `work` from the task: it runs before
    // `block_in_place` returns, so unlike a `spawn_blocking` closure it need
    // not own what it uses.
    tokio::task::block_in_place(|| crunch(work))
}
// ANCHOR_END: block_in_place

// ANCHOR: same_task
/// One task that joins two futures: a ticker, and a branch that waits for
/// the first tick and then blocks in `block_in_place`. Returns how many
/// ticks fell during the block.
async fn ticks_beside_block_in_place_in_one_task() -> usize {
    let ticks = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let ticker = async {
        while !done.load(SeqCst) {
            tokio::time::sleep(TICK).await;
            ticks.fetch_add(1, SeqCst);
        }
    };
    let blocker = async {
        while ticks.load(SeqCst) == 0 {
            tokio::time::sleep(TICK).await;
        }
        let before = ticks.load(SeqCst);
        tokio::task::block_in_place(|| thread::sleep(WORK));
        let during = ticks.load(SeqCst) - before;
        done.store(true, SeqCst);
        during
    };
    tokio::join!(ticker, blocker).1
}
// ANCHOR_END: same_task

/// The same, with the ticker spawned as a task of its own.
async fn ticks_beside_block_in_place_in_another_task() -> usize {
    let ticks = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let ticker = tokio::spawn({
        let (ticks, done) = (Arc::clone(&ticks), Arc::clone(&done));
        async move {
            while !done.load(SeqCst) {
                tokio::time::sleep(TICK).await;
                ticks.fetch_add(1, SeqCst);
            }
        }
    });
    while ticks.load(SeqCst) == 0 {
        tokio::time::sleep(TICK).await;
    }
    let before = ticks.load(SeqCst);
    tokio::task::block_in_place(|| thread::sleep(WORK));
    let during = ticks.load(SeqCst) - before;
    done.store(true, SeqCst);
    ticker.await.expect("the ticker finished");
    during
}

/// Every task on the calling thread.
fn current_thread_runtime() -> Runtime {
    Builder::new_current_thread().enable_time().build().unwrap()
}

/// A multi_thread runtime with a single worker, so that an inline job
/// stops it as surely as it stops a current_thread runtime.
fn one_worker_runtime() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap()
}

fn main() {
    let beats_due = WORK.as_millis() / TICK.as_millis();
    println!("heartbeats during {WORK:?} of CPU work ({beats_due} due):");
    let one = current_thread_runtime();
    println!(
        "  inline:                 {}",
        one.block_on(beats_during(inline()))
    );
    let blocking_pool = one.block_on(beats_during(with_spawn_blocking()));
    println!("  spawn_blocking:         {blocking_pool}");
    let pool = Arc::new(CpuPool::new(1));
    let own_pool = one.block_on(beats_during(with_pool(pool)));
    println!("  a pool of our own:      {own_pool}");
    let one_worker = one_worker_runtime();
    let inline_on_worker = one_worker.block_on(beats_during(inline()));
    println!("  inline, one worker:     {inline_on_worker}");
    let in_place = one_worker.block_on(beats_during(with_block_in_place()));
    println!("  block_in_place:         {in_place}");
    println!("ticks during {WORK:?} in block_in_place ({beats_due} due):");
    let same_task = one_worker.block_on(async {
        tokio::spawn(ticks_beside_block_in_place_in_one_task())
            .await
            .expect("the task finished")
    });
    println!("  ticker joined in the same task: {same_task}");
    let other_task = one_worker.block_on(async {
        tokio::spawn(ticks_beside_block_in_place_in_another_task())
            .await
            .expect("the task finished")
    });
    println!("  ticker in a task of its own:    {other_task}");
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::{MutexGuard, PoisonError};

    /// Of the twenty beats due during the work: generous, so that a loaded
    /// machine that runs the heartbeat late still passes.
    const MIN_BEATS: usize = 3;

    /// A machine busy with other work may run the heartbeat's thread too
    /// seldom in one try; a single try with `MIN_BEATS` settles the question.
    const TRIES: usize = 3;

    /// The most beats seen in up to `TRIES` tries, stopping at `MIN_BEATS`.
    fn best_of(mut try_once: impl FnMut() -> usize) -> usize {
        let mut best = 0;
        for _ in 0..TRIES {
            best = best.max(try_once());
            if best >= MIN_BEATS {
                break;
            }
        }
        best
    }

    /// Each test keeps a core busy with `crunch`, and the harness runs tests
    /// in parallel: they take turns, so they do not starve each other's
    /// heartbeat of CPU time.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    fn one_at_a_time() -> MutexGuard<'static, ()> {
        ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The text a panic was raised with.
    fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    /// A multi_thread runtime with two workers.
    fn two_worker_runtime() -> Runtime {
        Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap()
    }

    /// Starts the heartbeat, then `jobs` inline jobs at once. Returns how
    /// many beats fell while every job was running, and for how long they
    /// all ran at the same time.
    async fn beats_while_all_run(jobs: usize) -> (usize, Duration) {
        let beats = Arc::new(Mutex::new(Vec::new()));
        let (running, started) = oneshot::channel();
        let heart = tokio::spawn(heartbeat(Arc::clone(&beats), running));
        started.await.expect("the heartbeat started");
        let working: Vec<_> = (0..jobs).map(|_| tokio::spawn(inline())).collect();
        let mut all = None::<Range<Instant>>;
        for job in working {
            let ran = job.await.expect("the work finished");
            all = Some(match all {
                None => ran,
                Some(all) => all.start.max(ran.start)..all.end.min(ran.end),
            });
        }
        heart.abort();
        let all = all.unwrap();
        let overlap = all.end.saturating_duration_since(all.start);
        let beats = beats.lock().unwrap();
        (beats.iter().filter(|b| all.contains(b)).count(), overlap)
    }

    #[test]
    fn once_every_worker_runs_inline_work_the_heartbeat_stops() {
        let _turn = one_at_a_time();
        let runtime = two_worker_runtime();
        // One job: the other worker still polls the heartbeat.
        let beats = best_of(|| runtime.block_on(beats_while_all_run(1)).0);
        assert!(beats >= MIN_BEATS, "only {beats} beats beside one job");
        // Two jobs: both workers are inside `crunch`, and no beat falls while
        // both run. They run together for most of `WORK` (each worker is an
        // OS thread: even one core time-slices them), else the check is void.
        let (beats, together) = runtime.block_on(beats_while_all_run(2));
        assert!(
            together >= WORK / 2,
            "the jobs ran together for {together:?}"
        );
        assert_eq!(beats, 0, "beats while both workers were busy");
    }

    #[test]
    fn the_work_keeps_its_thread_busy_for_the_whole_of_work() {
        let _turn = one_at_a_time();
        let ran = crunch(WORK);
        assert!(ran.end - ran.start >= WORK);
    }

    #[test]
    fn cpu_work_in_async_code_stops_the_heartbeat() {
        let _turn = one_at_a_time();
        // Exactly none: the only thread is in `crunch` the whole time.
        let runtime = current_thread_runtime();
        assert_eq!(runtime.block_on(beats_during(inline())), 0);
    }

    #[test]
    fn spawn_blocking_keeps_the_heartbeat_beating() {
        let _turn = one_at_a_time();
        let runtime = current_thread_runtime();
        let beats =
            best_of(|| runtime.block_on(beats_during(with_spawn_blocking())));
        assert!(beats >= MIN_BEATS, "only {beats} beats");
    }

    #[test]
    fn a_pool_of_our_own_keeps_the_heartbeat_beating() {
        let _turn = one_at_a_time();
        let runtime = current_thread_runtime();
        let pool = Arc::new(CpuPool::new(1));
        let beats =
            best_of(|| runtime.block_on(beats_during(with_pool(Arc::clone(&pool)))));
        assert!(beats >= MIN_BEATS, "only {beats} beats");
    }

    #[test]
    fn block_in_place_keeps_the_heartbeat_beating_where_inline_work_stops_it() {
        let _turn = one_at_a_time();
        let runtime = one_worker_runtime();
        // The single worker is in `crunch`, and nothing else runs tasks.
        assert_eq!(runtime.block_on(beats_during(inline())), 0);
        // The worker's tasks moved to a new thread before the work began.
        let beats =
            best_of(|| runtime.block_on(beats_during(with_block_in_place())));
        assert!(beats >= MIN_BEATS, "only {beats} beats");
    }

    /// The same task as in `same_task`, with the block moved to tokio's
    /// blocking pool: the branch awaits the closure, so the task keeps polling
    /// the ticker meanwhile.
    async fn ticks_beside_spawn_blocking_in_one_task() -> usize {
        let ticks = AtomicUsize::new(0);
        let done = AtomicBool::new(false);
        let ticker = async {
            while !done.load(SeqCst) {
                tokio::time::sleep(TICK).await;
                ticks.fetch_add(1, SeqCst);
            }
        };
        let blocker = async {
            while ticks.load(SeqCst) == 0 {
                tokio::time::sleep(TICK).await;
            }
            let before = ticks.load(SeqCst);
            tokio::task::spawn_blocking(|| thread::sleep(WORK))
                .await
                .expect("the job finished");
            let during = ticks.load(SeqCst) - before;
            done.store(true, SeqCst);
            during
        };
        tokio::join!(ticker, blocker).1
    }

    /// Runs `ticks` as a spawned task, so on one of the runtime's workers.
    fn on_a_worker(
        runtime: &Runtime,
        ticks: impl Future<Output = usize> + Send + 'static,
    ) -> usize {
        runtime.block_on(async {
            tokio::spawn(ticks).await.expect("the task finished")
        })
    }

    #[test]
    fn block_in_place_also_stops_the_other_futures_of_its_task() {
        let _turn = one_at_a_time();
        let runtime = one_worker_runtime();
        // Exactly none: the ticker can only tick when its task is polled,
        // and the task is inside `block_in_place` the whole time.
        assert_eq!(
            on_a_worker(&runtime, ticks_beside_block_in_place_in_one_task()),
            0
        );
    }

    #[test]
    fn spawn_blocking_lets_the_other_futures_of_its_task_go_on() {
        let _turn = one_at_a_time();
        let runtime = one_worker_runtime();
        let ticks = best_of(|| {
            on_a_worker(&runtime, ticks_beside_spawn_blocking_in_one_task())
        });
        assert!(ticks >= MIN_BEATS, "only {ticks} ticks");
    }

    #[test]
    fn a_ticker_in_a_task_of_its_own_ticks_through_block_in_place() {
        let _turn = one_at_a_time();
        let runtime = one_worker_runtime();
        let ticks = best_of(|| {
            on_a_worker(&runtime, ticks_beside_block_in_place_in_another_task())
        });
        assert!(ticks >= MIN_BEATS, "only {ticks} ticks");
    }

    #[test]
    fn block_in_place_refuses_a_current_thread_runtime() {
        let _turn = one_at_a_time();
        let runtime = current_thread_runtime();
        let failed = runtime
            .block_on(async { tokio::spawn(with_block_in_place()).await })
            .unwrap_err();
        let message = panic_message(failed.into_panic());
        assert!(
            message.contains("only when running on the multi-threaded runtime"),
            "{message}"
        );
    }

    #[test]
    fn every_answer_from_the_pool_returns_to_the_task_that_asked() {
        let _turn = one_at_a_time();
        let runtime = current_thread_runtime();
        let pool = Arc::new(CpuPool::new(2));
        let answers = runtime.block_on(async {
            let asking: Vec<_> = (0..50_u64)
                .map(|n| {
                    let pool = Arc::clone(&pool);
                    tokio::spawn(async move { (n, pool.run(move || n * n).await) })
                })
                .collect();
            let mut answers = Vec::new();
            for task in asking {
                answers.push(task.await.unwrap());
            }
            answers
        });
        assert!(answers.iter().all(|&(n, square)| square == n * n));
        assert_eq!(answers.len(), 50);
    }

    #[test]
    fn dropping_the_pool_waits_for_the_jobs_already_queued() {
        let _turn = one_at_a_time();
        let pool = CpuPool::new(1);
        let done = Arc::new(Mutex::new(Vec::new()));
        for n in 0..3 {
            let done = Arc::clone(&done);
            let job: Job = Box::new(move || {
                thread::sleep(TICK);
                done.lock().unwrap().push(n);
            });
            pool.jobs.as_ref().unwrap().send(job).unwrap();
        }
        drop(pool);
        assert_eq!(*done.lock().unwrap(), [0, 1, 2]);
    }

    #[test]
    fn a_job_that_panics_fails_its_caller_and_the_pool_goes_on() {
        let _turn = one_at_a_time();
        let runtime = current_thread_runtime();
        let pool = Arc::new(CpuPool::new(1));
        runtime.block_on(async {
            let doomed = Arc::clone(&pool);
            let failed = tokio::spawn(async move {
                doomed.run(|| -> u32 { panic!("the job failed") }).await
            })
            .await
            .unwrap_err();
            // The panic the caller sees is the dropped reply's, raised in
            // `run`: the job's own panic stayed on the pool's thread.
            let message = panic_message(failed.into_panic());
            assert_eq!(message, "the job panicked: RecvError(())");
            // The pool's only thread survived and takes the next job.
            assert_eq!(pool.run(|| 6 * 7).await, 42);
        });
    }
}
