// ANCHOR: all
use std::sync::{Arc, Mutex};

/// The order in which the tasks' steps happened, shared by both tasks.
type Log = Arc<Mutex<Vec<String>>>;

// ANCHOR: tasks
/// Does its steps without ever reaching an `.await`, so once it starts it
/// keeps the thread until it returns.
async fn greedy(name: &'static str, steps: u32, log: Log) {
    for step in 0..steps {
        log.lock().unwrap().push(format!("{name}{step}"));
    }
}

/// The same steps, but after each one it offers the thread to other tasks.
async fn polite(name: &'static str, steps: u32, log: Log) {
    for step in 0..steps {
        log.lock().unwrap().push(format!("{name}{step}"));
        tokio::task::yield_now().await;
    }
}
// ANCHOR_END: tasks

// ANCHOR: run
/// Spawns two tasks running `job` on a runtime that owns exactly one
/// thread, and returns the order in which their steps ran.
fn run_two_tasks<F, Fut>(job: F) -> Vec<String>
where
    F: Fn(&'static str, u32, Log) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let log = Log::default();
    runtime.block_on(async {
        let a = tokio::spawn(job("a", 3, log.clone()));
        let b = tokio::spawn(job("b", 3, log.clone()));
        a.await.unwrap();
        b.await.unwrap();
    });
    log.lock().unwrap().clone()
}

fn main() {
    println!("greedy: {}", run_two_tasks(greedy).join(" "));
    println!("polite: {}", run_two_tasks(polite).join(" "));
}
// ANCHOR_END: run
// ANCHOR_END: all

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_that_never_awaits_finishes_before_the_other_starts() {
        let order = run_two_tasks(greedy);
        assert_eq!(order, ["a0", "a1", "a2", "b0", "b1", "b2"]);
    }

    /// `yield_now` lets the other task in, but tokio does not promise which
    /// ready task runs next, so this checks only that `b` starts before `a`
    /// takes its second step, not a strict alternation.
    #[test]
    fn yielding_after_each_step_lets_the_other_task_in() {
        let order = run_two_tasks(polite);
        let at = |step: &str| order.iter().position(|s| s == step).unwrap();
        assert!(at("b0") < at("a1"), "b waited for a: {order:?}");
        assert!(at("a0") < at("b1"), "a waited for b: {order:?}");
    }
}
