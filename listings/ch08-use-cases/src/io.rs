//! Many concurrent waits: as tasks on one runtime, and as one OS thread each.
//! Both kinds of waiter exist before the waits begin, so what is measured is
//! waiting, not starting the units that wait (chapter 4 measures that).

use std::collections::HashMap;
use std::fs;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;
use tokio::runtime::{Builder, Runtime};
use tokio::sync::mpsc as task_mpsc;

/// How many waits run at the same time.
pub const WAITERS: usize = 1_000;

/// How long each one waits: long enough that waiting, not handing out the
/// waits, fills most of the wall time.
pub const WAIT: Duration = Duration::from_millis(20);

/// A runtime on the calling thread with a timer. Waiting needs no
/// parallelism, so one thread is enough for all the sleeping tasks.
pub fn one_thread_runtime() -> Runtime {
    Builder::new_current_thread().enable_time().build().unwrap()
}

// ANCHOR: waiting_threads
/// `waiters` OS threads, started once; each sleeps in `recv` until it is told
/// how long to wait, waits, and reports that it woke.
pub struct WaitingThreads {
    orders: Vec<mpsc::Sender<Duration>>,
    woke: mpsc::Receiver<()>,
    threads: Vec<JoinHandle<()>>,
}

impl WaitingThreads {
    pub fn start(waiters: usize) -> Self {
        let (report, woke) = mpsc::channel();
        let (orders, threads) = (0..waiters)
            .map(|_| {
                let (order, orders) = mpsc::channel();
                let report = report.clone();
                let thread = thread::spawn(move || {
                    for wait in orders {
                        thread::sleep(wait);
                        report.send(()).unwrap();
                    }
                });
                (order, thread)
            })
            .unzip();
        Self {
            orders,
            woke,
            threads,
        }
    }

    /// Every thread waits `wait`, all at once. Returns how many woke.
    pub fn wait_all(&self, wait: Duration) -> usize {
        self.orders.iter().for_each(|o| o.send(wait).unwrap());
        self.woke.iter().take(self.orders.len()).count()
    }
}

// ANCHOR_END: waiting_threads

// ANCHOR: waiting_tasks
/// The same waiters as tasks, on the runtime that `start` is called on.
pub struct WaitingTasks {
    orders: Vec<task_mpsc::UnboundedSender<Duration>>,
    woke: task_mpsc::UnboundedReceiver<()>,
}

impl WaitingTasks {
    pub fn start(waiters: usize) -> Self {
        let (report, woke) = task_mpsc::unbounded_channel();
        let orders = (0..waiters)
            .map(|_| {
                let (order, mut orders) = task_mpsc::unbounded_channel();
                let report = report.clone();
                tokio::spawn(async move {
                    while let Some(wait) = orders.recv().await {
                        tokio::time::sleep(wait).await;
                        report.send(()).unwrap();
                    }
                });
                order
            })
            .collect();
        Self { orders, woke }
    }

    pub async fn wait_all(&mut self, wait: Duration) -> usize {
        self.orders.iter().for_each(|o| o.send(wait).unwrap());
        let mut woke = 0;
        while woke < self.orders.len() && self.woke.recv().await.is_some() {
            woke += 1;
        }
        woke
    }
}
// ANCHOR_END: waiting_tasks

impl Drop for WaitingThreads {
    /// Closing the order channels ends every thread's loop.
    fn drop(&mut self) {
        self.orders.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

// ANCHOR: cpu_time
/// Runs `work` and returns, beside its result, the CPU time that every
/// thread of this process spent meanwhile (user and kernel), from Linux's
/// per-thread `/proc/self/task/*/schedstat`, whose first field counts the
/// nanoseconds each thread has been on a CPU.
pub fn cpu_time_of<R>(work: impl FnOnce() -> R) -> (R, Duration) {
    // The kernel brings a thread's count up to date when the thread leaves the
    // CPU, so the calling thread sleeps briefly before reading its own. It
    // reads the others (all asleep) outside that span, so that the reading
    // itself is not counted.
    let others_before = other_threads_cpu();
    let own_before = own_cpu();
    let result = work();
    let own_after = own_cpu();
    let others_after = other_threads_cpu();
    let others: u64 = others_after
        .iter()
        .map(|(tid, &after)| {
            after.saturating_sub(*others_before.get(tid).unwrap_or(&0))
        })
        .sum();
    let own = own_after.saturating_sub(own_before);
    (result, Duration::from_nanos(own + others))
}
// ANCHOR_END: cpu_time

fn schedstat_ns(path: &str) -> Option<u64> {
    fs::read_to_string(path)
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn own_tid() -> String {
    let link =
        fs::read_link("/proc/thread-self").expect("Linux's /proc/thread-self");
    link.file_name().unwrap().to_string_lossy().into_owned()
}

fn own_cpu() -> u64 {
    thread::sleep(Duration::from_micros(1));
    schedstat_ns("/proc/thread-self/schedstat")
        .expect("Linux's per-thread schedstat")
}

/// CPU nanoseconds of every thread of the process except the caller, by id.
fn other_threads_cpu() -> HashMap<String, u64> {
    let own = own_tid();
    fs::read_dir("/proc/self/task")
        .expect("Linux's /proc/self/task")
        .filter_map(|entry| {
            let tid = entry.ok()?.file_name().to_string_lossy().into_owned();
            let ns = schedstat_ns(&format!("/proc/self/task/{tid}/schedstat"))?;
            (tid != own).then_some((tid, ns))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Long waits, so that doing them one after another (100 x 50 ms = 5 s)
    /// could not pass for doing them at once.
    const LONG_WAIT: Duration = Duration::from_millis(50);
    const FEW: usize = 100;
    const ONE_BY_ONE: Duration = LONG_WAIT.saturating_mul(FEW as u32);

    /// `round`, failing instead of hanging if it never ends.
    async fn bounded(round: impl Future<Output = usize>) -> usize {
        let limit = Duration::from_secs(30);
        tokio::time::timeout(limit, round)
            .await
            .expect("the round never ended")
    }

    /// A round like `wait_all`, done by hand so that each report is timed:
    /// returns how long after the orders went out the first report arrived.
    /// A waiter reports only after it woke, so a report that arrives sooner
    /// than `wait` comes from a waiter that woke early.
    fn first_report_of_threads(
        threads: &WaitingThreads,
        wait: Duration,
    ) -> Duration {
        let sent = Instant::now();
        threads.orders.iter().for_each(|o| o.send(wait).unwrap());
        let reports = threads.woke.iter().take(threads.orders.len());
        let arrivals: Vec<Duration> = reports.map(|()| sent.elapsed()).collect();
        assert_eq!(arrivals.len(), threads.orders.len(), "a waiter never woke");
        arrivals.into_iter().min().unwrap()
    }

    /// The same for tasks.
    async fn first_report_of_tasks(
        tasks: &mut WaitingTasks,
        wait: Duration,
    ) -> Duration {
        let sent = Instant::now();
        tasks.orders.iter().for_each(|o| o.send(wait).unwrap());
        let mut arrivals = Vec::new();
        while arrivals.len() < tasks.orders.len()
            && tasks.woke.recv().await.is_some()
        {
            arrivals.push(sent.elapsed());
        }
        assert_eq!(arrivals.len(), tasks.orders.len(), "a waiter never woke");
        arrivals.into_iter().min().unwrap()
    }

    #[test]
    fn every_sleeping_task_wakes_and_they_wait_at_the_same_time() {
        let runtime = one_thread_runtime();
        let mut tasks = runtime.block_on(async { WaitingTasks::start(FEW) });
        // Twice: the same tasks wait again.
        for _ in 0..2 {
            let started = Instant::now();
            let woke = runtime.block_on(bounded(tasks.wait_all(LONG_WAIT)));
            let took = started.elapsed();
            assert_eq!(woke, FEW);
            assert!(took >= LONG_WAIT, "the round ended early: {took:?}");
            assert!(took < ONE_BY_ONE / 2, "waited one by one: {took:?}");
        }
        // The round's length shows only that the last waiter waited; timing
        // every report shows that none of them woke early.
        let first = runtime.block_on(async {
            let limit = Duration::from_secs(30);
            let round = first_report_of_tasks(&mut tasks, LONG_WAIT);
            tokio::time::timeout(limit, round)
                .await
                .expect("never ended")
        });
        assert!(first >= LONG_WAIT, "a task woke early: {first:?}");
    }

    #[test]
    fn every_sleeping_thread_wakes_and_they_wait_at_the_same_time() {
        let threads = WaitingThreads::start(FEW);
        for _ in 0..2 {
            let started = Instant::now();
            let woke = threads.wait_all(LONG_WAIT);
            let took = started.elapsed();
            assert_eq!(woke, FEW);
            assert!(took >= LONG_WAIT, "the round ended early: {took:?}");
            assert!(took < ONE_BY_ONE / 2, "waited one by one: {took:?}");
        }
        let first = first_report_of_threads(&threads, LONG_WAIT);
        assert!(first >= LONG_WAIT, "a thread woke early: {first:?}");
    }

    #[test]
    fn the_benchmarked_waits_all_complete() {
        let runtime = one_thread_runtime();
        let mut tasks = runtime.block_on(async { WaitingTasks::start(WAITERS) });
        assert_eq!(runtime.block_on(bounded(tasks.wait_all(WAIT))), WAITERS);
        assert_eq!(WaitingThreads::start(WAITERS).wait_all(WAIT), WAITERS);
    }

    const ROUNDS_OF_WORK: usize = 20_000_000;

    fn work() -> u64 {
        work_for(ROUNDS_OF_WORK)
    }

    /// A fixed amount of CPU work: the same CPU time on any thread, however
    /// loaded the machine is (only its wall time varies).
    fn work_for(rounds: usize) -> u64 {
        let mut x = 1_u64;
        for _ in 0..rounds {
            x = std::hint::black_box(
                x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1),
            );
        }
        x
    }

    /// Runs the ignored test `name` of this test binary in a process of its
    /// own, with nothing beside it: `cpu_time_of` counts every thread of the
    /// process, and the harness runs other tests in parallel threads.
    fn alone(name: &str) {
        let exe = std::env::current_exe().unwrap();
        let run = std::process::Command::new(exe)
            .args([name, "--exact", "--ignored", "--test-threads=1"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success() && stdout.contains("1 passed"),
            "{stdout}{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }

    #[test]
    fn cpu_time_counts_work_on_the_calling_thread_and_on_other_live_threads() {
        alone("io::tests::counts_work_on_both_threads");
    }

    #[test]
    fn cpu_time_leaves_out_its_own_reading_of_a_thousand_threads() {
        alone("io::tests::leaves_out_its_own_reading");
    }

    #[test]
    #[ignore = "run alone, by cpu_time_counts_work_on_the_calling_thread_and_on_other_live_threads"]
    fn counts_work_on_both_threads() {
        let (_, own) = cpu_time_of(work);
        // A thread that stays alive does the same work while the caller sleeps
        // in `recv`. (A thread that has ended is gone from /proc and cannot be
        // counted: the benchmarks measure only threads that stay.)
        let (go, start) = mpsc::channel::<()>();
        let (report, done) = mpsc::channel();
        let helper = thread::spawn(move || {
            for () in start {
                report.send(work()).unwrap();
            }
        });
        let (_, other) = cpu_time_of(|| {
            go.send(()).unwrap();
            done.recv().unwrap()
        });
        drop(go);
        helper.join().unwrap();
        let (_, slept) = cpu_time_of(|| thread::sleep(own));
        assert!(
            other > own / 2 && other < own * 2,
            "the same work: {own:?} here, {other:?} on another thread"
        );
        assert!(slept < own / 4, "sleeping for {own:?} counted as {slept:?}");
        // Work a hundred times shorter is counted as well, each time: the
        // kernel's count for a running thread lags by up to a scheduler tick,
        // unless the thread leaves the CPU before reading it.
        let short: Vec<_> = (0..10)
            .map(|_| cpu_time_of(|| work_for(ROUNDS_OF_WORK / 100)).1)
            .collect();
        let expected = own / 100;
        for &one in &short {
            assert!(
                one > expected / 2 && one < expected * 2,
                "expected about {expected:?}, counted {short:?}"
            );
        }
    }

    #[test]
    #[ignore = "run alone, by cpu_time_leaves_out_its_own_reading_of_a_thousand_threads"]
    fn leaves_out_its_own_reading() {
        let threads = WaitingThreads::start(WAITERS);
        // A new thread runs for a while before it first sleeps in `recv`: one
        // round, then a pause, so that every thread is asleep when measured.
        assert_eq!(threads.wait_all(Duration::ZERO), WAITERS);
        thread::sleep(Duration::from_millis(50));
        // One scan of every thread's file, done inside the span, is counted...
        let (_, one_scan) = cpu_time_of(other_threads_cpu);
        // ...but the scans that `cpu_time_of` itself makes are not.
        let (_, nothing) = cpu_time_of(|| ());
        assert!(
            nothing < one_scan / 4,
            "an empty span cost {nothing:?}, one scan {one_scan:?}"
        );
        drop(threads);
    }
}
