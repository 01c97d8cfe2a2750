//! An event loop that must handle an input every tick while a long,
//! CPU-bound job runs: on a background thread, on tokio's blocking pool, in
//! a plain task, and in a task that yields between slices.
//!
//!     cargo run -p ch10-real-world --bin responsive_loop

use std::hint::black_box;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

/// When the long job started and ended.
#[derive(Debug, Clone, Copy)]
struct Span {
    started: Instant,
    ended: Instant,
}

/// What the event loop did: when it started, when it handled each input,
/// and when each progress report reached it.
#[derive(Debug)]
struct Seen {
    started: Instant,
    inputs: Vec<Instant>,
    progress: Vec<(u32, Instant)>,
}

impl Seen {
    fn start() -> Self {
        Seen {
            started: Instant::now(),
            inputs: Vec::new(),
            progress: Vec::new(),
        }
    }

    fn handle_input(&mut self) {
        self.inputs.push(Instant::now());
    }

    fn show_progress(&mut self, step: u32) {
        self.progress.push((step, Instant::now()));
    }

    /// Inputs handled strictly while the job was running.
    fn inputs_during(&self, job: Span) -> usize {
        let during = |&&at: &&Instant| job.started < at && at < job.ended;
        self.inputs.iter().filter(during).count()
    }

    /// Progress reports that reached the loop before the job had ended.
    fn progress_during(&self, job: Span) -> usize {
        self.progress
            .iter()
            .filter(|(_, at)| *at < job.ended)
            .count()
    }

    /// The longest stretch, from the loop's start, without a handled input.
    fn longest_gap(&self) -> Duration {
        let times: Vec<_> = std::iter::once(self.started)
            .chain(self.inputs.iter().copied())
            .collect();
        let gaps = times.windows(2).map(|pair| pair[1] - pair[0]);
        gaps.max().unwrap_or_default()
    }
}

// ANCHOR: job
/// How often an input arrives that the loop must handle.
const TICK: Duration = Duration::from_millis(5);

/// The long job is `STEPS` slices of `SLICE` each.
const STEPS: u32 = 20;
const SLICE: Duration = Duration::from_millis(10);

/// One slice of the long job: `SLICE` of busy computation. It never blocks
/// and never yields, so it keeps its thread, and a CPU, busy throughout.
fn work_slice() {
    let started = Instant::now();
    let mut x = 1_u64;
    while started.elapsed() < SLICE {
        x = black_box(x.wrapping_mul(31).wrapping_add(7));
    }
}

/// The long job: all its slices, reporting progress after each one.
fn long_job(report: impl Fn(u32)) -> Span {
    let started = Instant::now();
    for step in 1..=STEPS {
        work_slice();
        report(step);
    }
    Span {
        started,
        ended: Instant::now(),
    }
}
// ANCHOR_END: job

// ANCHOR: thread_loop
/// (a) A plain loop on this thread and the job on a background OS thread,
/// which reports progress over a channel.
fn loop_with_worker_thread() -> (Seen, Span) {
    let mut seen = Seen::start();
    let (progress, reports) = mpsc::channel();
    let worker =
        thread::spawn(move || long_job(|step| progress.send(step).unwrap()));
    // Bounded by the job: the loop ends when the worker has.
    while !worker.is_finished() {
        seen.handle_input();
        reports.try_iter().for_each(|step| seen.show_progress(step));
        thread::sleep(TICK);
    }
    let job = worker.join().unwrap();
    reports.try_iter().for_each(|step| seen.show_progress(step));
    (seen, job)
}
// ANCHOR_END: thread_loop

// ANCHOR: task_loop
/// The same loop as a task: an input every `TICK`, progress reports as they
/// come, until the job's task ends. `start` decides where the job runs.
/// `biased` checks the branches in order, so inputs that are due are
/// handled before the loop notices the job has ended.
async fn event_loop<S>(start: S) -> (Seen, Span)
where
    S: FnOnce(UnboundedSender<u32>) -> JoinHandle<Span>,
{
    let mut seen = Seen::start();
    let (progress, mut reports) = unbounded_channel();
    let mut job = start(progress);
    let mut ticks = tokio::time::interval(TICK);
    let span = loop {
        tokio::select! {
            biased;
            _ = ticks.tick() => seen.handle_input(),
            Some(step) = reports.recv() => seen.show_progress(step),
            span = &mut job => break span.unwrap(),
        }
    };
    while let Ok(step) = reports.try_recv() {
        seen.show_progress(step);
    }
    (seen, span)
}
// ANCHOR_END: task_loop

// ANCHOR: placements
/// (b) The job on tokio's blocking pool: another OS thread does it.
fn job_in_spawn_blocking(progress: UnboundedSender<u32>) -> JoinHandle<Span> {
    tokio::task::spawn_blocking(move || {
        long_job(|step| progress.send(step).unwrap())
    })
}

/// (c) The job in an ordinary task: it runs on the loop's own thread.
fn job_in_a_task(progress: UnboundedSender<u32>) -> JoinHandle<Span> {
    tokio::spawn(async move { long_job(|step| progress.send(step).unwrap()) })
}

/// (d) The job in a task that awaits between slices, handing the thread
/// back to the loop each time.
fn job_in_a_task_that_yields(progress: UnboundedSender<u32>) -> JoinHandle<Span> {
    tokio::spawn(async move {
        let started = Instant::now();
        for step in 1..=STEPS {
            work_slice();
            progress.send(step).unwrap();
            tokio::task::yield_now().await;
        }
        Span {
            started,
            ended: Instant::now(),
        }
    })
}

/// Runs the event loop, and the job placed by `start`, on a runtime with
/// one thread: the single-threaded event loop of a UI or of Node.js.
fn on_one_thread<S>(start: S) -> (Seen, Span)
where
    S: FnOnce(UnboundedSender<u32>) -> JoinHandle<Span>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(event_loop(start))
}
// ANCHOR_END: placements

fn main() {
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!(
        "                    inputs during the job   progress during the job   frozen for the whole job"
    );
    let report = |label: &str, (seen, job): (Seen, Span)| {
        println!(
            "{label:<19} {:<23} {:<25} {}",
            yes(seen.inputs_during(job) > 0),
            yes(seen.progress_during(job) > 0),
            yes(seen.longest_gap() >= job.ended - job.started),
        );
    };
    report("(a) worker thread", loop_with_worker_thread());
    report("(b) spawn_blocking", on_one_thread(job_in_spawn_blocking));
    report("(c) plain task", on_one_thread(job_in_a_task));
    report(
        "(d) yielding task",
        on_one_thread(job_in_a_task_that_yields),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ideally about one input per `TICK` during the job's `STEPS * SLICE`.
    /// These lower bounds ask for a small fraction of that, so a loaded
    /// machine cannot fail them.
    const SOME_INPUTS: usize = 5;
    const SOME_PROGRESS: usize = 1;

    fn all_steps() -> Vec<u32> {
        (1..=STEPS).collect()
    }

    impl Seen {
        fn steps(&self) -> Vec<u32> {
            self.progress.iter().map(|&(step, _)| step).collect()
        }
    }

    fn assert_responsive((seen, job): (Seen, Span)) {
        assert_eq!(seen.steps(), all_steps());
        let inputs = seen.inputs_during(job);
        assert!(inputs >= SOME_INPUTS, "only {inputs} inputs during the job");
        let progress = seen.progress_during(job);
        assert!(
            progress >= SOME_PROGRESS,
            "no progress shown during the job"
        );
    }

    /// The bookkeeping the other tests rely on, on made-up times: only
    /// inputs strictly inside the job count as during it, progress counts
    /// if it arrived before the job ended, and the longest gap is measured
    /// from the loop's start.
    #[test]
    fn the_loop_counts_only_what_happened_during_the_job() {
        let t0 = Instant::now();
        let at = |slices: u32| t0 + SLICE * slices;
        let job = Span {
            started: at(3),
            ended: at(5),
        };
        let seen = Seen {
            started: t0,
            inputs: vec![at(3), at(4), at(5), at(6)],
            progress: vec![(1, at(4)), (2, at(5))],
        };
        assert_eq!(seen.inputs_during(job), 1);
        assert_eq!(seen.progress_during(job), 1);
        assert_eq!(seen.longest_gap(), SLICE * 3);
    }

    #[test]
    fn a_worker_thread_leaves_the_loop_free_to_handle_inputs() {
        assert_responsive(loop_with_worker_thread());
    }

    #[test]
    fn spawn_blocking_leaves_the_loop_free_to_handle_inputs() {
        assert_responsive(on_one_thread(job_in_spawn_blocking));
    }

    #[test]
    fn a_task_that_yields_between_slices_keeps_the_loop_responsive() {
        assert_responsive(on_one_thread(job_in_a_task_that_yields));
    }

    /// These checks hold exactly, on any machine: the loop and the job
    /// share one thread, so nothing the loop does can fall inside the job,
    /// and the loop's first input after its start waits for the whole job.
    #[test]
    fn a_blocking_job_in_a_plain_task_freezes_the_loop() {
        let (seen, job) = on_one_thread(job_in_a_task);
        assert_eq!(seen.steps(), all_steps());
        assert_eq!(seen.inputs_during(job), 0);
        assert_eq!(seen.progress_during(job), 0);
        // The loop went at least the whole job without handling an input.
        assert!(seen.longest_gap() >= job.ended - job.started);
        assert!(seen.longest_gap() >= SLICE * STEPS);
    }

    /// Set in the child process that the test below starts pinned.
    const PINNED: &str = "CH10_PINNED_TO_ONE_CPU";

    /// The first CPU this process may run on, from `Cpus_allowed_list`.
    fn first_allowed_cpu() -> String {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let list = status
            .lines()
            .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
            .expect("Cpus_allowed_list in /proc/self/status");
        list.trim()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect()
    }

    /// The loop and a busy worker thread forced onto one CPU: the test runs
    /// itself again in a child process under `taskset`. The job never
    /// blocks or yields, so the loop can run during it only because the
    /// kernel takes the CPU away from the worker thread. Controls, in the
    /// child: the process really has one CPU, and on that same CPU the same
    /// job in a plain task, where nothing preempts it, freezes the loop.
    #[test]
    fn on_one_cpu_the_kernel_preempts_a_busy_worker_thread_for_the_loop() {
        let test =
            "on_one_cpu_the_kernel_preempts_a_busy_worker_thread_for_the_loop";
        if std::env::var_os(PINNED).is_none() {
            let child = std::process::Command::new("taskset")
                .args(["-c", &first_allowed_cpu()])
                .arg(std::env::current_exe().unwrap())
                .args(["--exact", &format!("tests::{test}"), "--nocapture"])
                .env(PINNED, "1")
                .output();
            let child = match child {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return book_skip::skip!(
                        test,
                        "taskset (util-linux) is not installed"
                    );
                }
                other => other.unwrap(),
            };
            let out = String::from_utf8_lossy(&child.stdout);
            let err = String::from_utf8_lossy(&child.stderr);
            assert!(child.status.success(), "pinned run failed:\n{out}\n{err}");
            assert!(
                out.contains("1 passed"),
                "the pinned run ran no test:\n{out}"
            );
            return;
        }
        assert_eq!(thread::available_parallelism().unwrap().get(), 1);
        assert_responsive(loop_with_worker_thread());
        let (seen, job) = on_one_thread(job_in_a_task);
        assert_eq!(seen.inputs_during(job), 0);
    }

    /// With yields, the loop still waits while a slice runs: responsive to
    /// the grain of a slice, not of a tick. Its longest gap is at least
    /// one slice (exact lower bound; no upper bound is asserted).
    #[test]
    fn a_yielding_task_still_holds_the_thread_for_a_whole_slice() {
        let (seen, _) = on_one_thread(job_in_a_task_that_yields);
        assert!(seen.longest_gap() >= SLICE);
    }
}
