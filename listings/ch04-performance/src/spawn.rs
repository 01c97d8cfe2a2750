//! Starting one unit of work and waiting for it to finish.
//!
//! Every unit adds one to its input, so a test can tell that the unit really
//! ran and handed its result back.

// ANCHOR: thread
/// Starts an OS thread, lets it compute `input + 1`, and waits for it to end.
pub fn thread(input: u64) -> u64 {
    std::thread::spawn(move || input + 1)
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
/// Spawns a tokio task that computes `input + 1`, and awaits it. Must run
/// inside a tokio runtime, like every `tokio::spawn`.
pub async fn task(input: u64) -> u64 {
    tokio::spawn(async move { input + 1 })
        .await
        .expect("the task does not panic")
}
// ANCHOR_END: task

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn a_thread_runs_its_closure_and_hands_back_the_result() {
        assert_eq!(thread(41), 42);
    }

    #[test]
    fn each_spawned_thread_is_a_new_os_thread() {
        let here = std::thread::current().id();
        let ids: HashSet<_> = (0..4)
            .map(|_| std::thread::spawn(|| std::thread::current().id()))
            .map(|handle| handle.join().unwrap())
            .collect();
        assert_eq!(ids.len(), 4);
        assert!(!ids.contains(&here));
    }

    #[test]
    fn a_scoped_thread_reads_the_callers_value() {
        let value = 9;
        assert_eq!(scoped_thread(&value), 10);
    }

    #[test]
    fn tasks_run_one_after_another_on_a_current_thread_runtime() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let results = runtime.block_on(async {
            let mut results = Vec::new();
            for input in 0..100 {
                results.push(task(input).await);
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
        let result = runtime.block_on(runtime.spawn(task(7))).unwrap();
        assert_eq!(result, 8);
    }
}
