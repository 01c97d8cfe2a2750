//! Two copies of one job, as tokio tasks on one thread and as OS threads on
//! one CPU: who waits for whom.
//!
//!     cargo run -p ch02-scheduling --bin starving_task

use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The order in which the steps began, shared by both copies of the job.
type Log = Arc<Mutex<Vec<String>>>;

// ANCHOR: tasks
/// How many steps the job has.
const STEPS: u32 = 3;

/// How long one step keeps the CPU busy: long enough that Linux, sharing one
/// CPU between two such threads, cuts in during the steps (the threads'
/// test shows that it does).
const STEP: Duration = Duration::from_millis(10);

/// One step: note it, then compute for `STEP`, measured by the clock. It
/// never waits for anything.
fn step(name: &str, number: u32, log: &Log) {
    log.lock().unwrap().push(format!("{name}{number}"));
    let started = Instant::now();
    while started.elapsed() < STEP {
        std::hint::spin_loop();
    }
}

/// Does its steps without ever reaching an `.await`, so once it starts it
/// keeps the thread until it returns.
async fn greedy(name: &'static str, log: Log) {
    for number in 0..STEPS {
        step(name, number, &log);
    }
}

/// The same steps, but after each one it offers the thread to other tasks.
async fn polite(name: &'static str, log: Log) {
    for number in 0..STEPS {
        step(name, number, &log);
        tokio::task::yield_now().await;
    }
}
// ANCHOR_END: tasks

// ANCHOR: run
/// Spawns two tasks, `a` and `b`, running `job` on a runtime that owns
/// exactly one thread, and returns the order in which their steps began.
fn run_two_tasks<F, Fut>(job: F) -> Vec<String>
where
    F: Fn(&'static str, Log) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let log = Log::default();
    runtime.block_on(async {
        let a = tokio::spawn(job("a", log.clone()));
        let b = tokio::spawn(job("b", log.clone()));
        a.await.unwrap();
        b.await.unwrap();
    });
    log.lock().unwrap().clone()
}
// ANCHOR_END: run

// ANCHOR: threads
/// The greedy job as two OS threads, `a` and `b`, both pinned to one CPU so
/// that they share it as the two tasks share their thread. `None` where the
/// system does not let a thread be pinned.
fn run_two_threads_on_one_cpu() -> Option<Vec<String>> {
    let cpu = *core_affinity::get_core_ids()?.first()?;
    let (log, both_pinned) = (Log::default(), Barrier::new(2));
    let run = |name| {
        let pinned = core_affinity::set_for_current(cpu);
        both_pinned.wait(); // Neither starts before both are on `cpu`.
        (0..STEPS).for_each(|number| step(name, number, &log));
        pinned
    };
    let pinned = thread::scope(|scope| {
        let a = scope.spawn(move || run("a"));
        let b = scope.spawn(move || run("b"));
        a.join().unwrap() & b.join().unwrap()
    });
    let order = log.lock().unwrap().clone();
    pinned.then_some(order)
}

/// Whether each of `a` and `b` began a step before the other began its last.
fn interleaved(order: &[String]) -> bool {
    let at = |step: &str| order.iter().position(|s| s == step);
    let last = STEPS - 1;
    at("a0") < at(&format!("b{last}")) && at("b0") < at(&format!("a{last}"))
}

fn main() {
    println!("tasks, greedy:  {}", run_two_tasks(greedy).join(" "));
    println!("tasks, polite:  {}", run_two_tasks(polite).join(" "));
    match run_two_threads_on_one_cpu() {
        Some(order) => println!(
            "threads, greedy, one CPU: interleaved = {}",
            interleaved(&order)
        ),
        None => println!("threads, greedy, one CPU: this system cannot pin threads"),
    }
}
// ANCHOR_END: threads

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether this system lets a thread pin itself to one CPU, tried on a
    /// thread of its own. Where it does, the listing must manage it too.
    fn can_pin() -> bool {
        let Some(cpu) =
            core_affinity::get_core_ids().and_then(|ids| ids.first().copied())
        else {
            return false;
        };
        thread::spawn(move || core_affinity::set_for_current(cpu))
            .join()
            .unwrap()
    }

    /// Each step computes for `STEP`, long enough for a preemptive scheduler
    /// to switch (the next test shows that it does), yet `b` begins only
    /// once `a` has returned.
    #[test]
    fn a_task_that_never_awaits_finishes_before_the_other_starts() {
        let order = run_two_tasks(greedy);
        assert_eq!(order, ["a0", "a1", "a2", "b0", "b1", "b2"]);
        assert!(!interleaved(&order));
    }

    /// The control: the same greedy steps on two OS threads that share one
    /// CPU. Neither yields, yet the kernel switches between them.
    #[test]
    fn the_same_greedy_job_on_two_threads_sharing_one_cpu_is_interleaved() {
        let order = run_two_threads_on_one_cpu();
        assert_eq!(order.is_some(), can_pin(), "pinned, or not, unlike a probe");
        let Some(order) = order else {
            book_skip::skip!(
                "the_same_greedy_job_on_two_threads_sharing_one_cpu_is_interleaved",
                "this system would not pin a thread to one CPU",
            );
            return;
        };
        assert_eq!(order.len(), 2 * STEPS as usize, "{order:?}");
        assert!(
            interleaved(&order),
            "one thread waited for the other: {order:?}"
        );
    }

    #[test]
    fn interleaved_tells_the_two_orders_apart() {
        let order = |steps: &str| -> Vec<String> {
            steps.split(' ').map(String::from).collect()
        };
        assert!(!interleaved(&order("a0 a1 a2 b0 b1 b2")));
        assert!(!interleaved(&order("b0 b1 b2 a0 a1 a2")));
        assert!(interleaved(&order("a0 b0 a1 b1 a2 b2")));
        assert!(interleaved(&order("b0 a0 a1 a2 b1 b2")));
    }

    /// `yield_now` lets the other task in, but tokio does not promise which
    /// ready task runs next, so this checks only that `b` starts before `a`
    /// takes its second step, and `a` is back before `b` is done.
    #[test]
    fn yielding_after_each_step_lets_the_other_task_in() {
        let order = run_two_tasks(polite);
        let at = |step: &str| order.iter().position(|s| s == step).unwrap();
        assert!(at("b0") < at("a1"), "b waited for a: {order:?}");
        assert!(at("a1") < at("b2"), "a waited for b: {order:?}");
    }
}
