//! How many tasks of one runtime can be *running* at the same instant: a
//! rendezvous that only tasks on different threads can reach together.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// What a rendezvous saw.
#[derive(Debug)]
pub struct Rendezvous {
    /// The most tasks that were inside the rendezvous at the same time.
    pub together: usize,
    /// The threads the tasks ran on.
    pub threads: HashSet<ThreadId>,
}

// ANCHOR: rendezvous
/// Spawns `tasks` tasks on `runtime`. Each one arrives, then busy-waits
/// (never awaiting, so it keeps its thread) until all have arrived or
/// `patience` has passed. Only tasks running on different threads at once
/// can all be inside together; on one thread, each gives up in turn.
pub fn rendezvous(
    runtime: &Runtime,
    tasks: usize,
    patience: Duration,
) -> Rendezvous {
    let arrived = Arc::new(AtomicUsize::new(0));
    let inside = Arc::new(AtomicUsize::new(0));
    let together = Arc::new(AtomicUsize::new(0));
    let threads = Arc::new(Mutex::new(HashSet::new()));
    runtime.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (arrived, inside) = (arrived.clone(), inside.clone());
                let (together, threads) = (together.clone(), threads.clone());
                tokio::spawn(async move {
                    threads.lock().unwrap().insert(thread::current().id());
                    together.fetch_max(inside.fetch_add(1, SeqCst) + 1, SeqCst);
                    arrived.fetch_add(1, SeqCst);
                    let deadline = Instant::now() + patience;
                    while arrived.load(SeqCst) < tasks && Instant::now() < deadline {
                        std::hint::spin_loop();
                    }
                    inside.fetch_sub(1, SeqCst);
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    Rendezvous {
        together: together.load(SeqCst),
        threads: threads.lock().unwrap().clone(),
    }
}
// ANCHOR_END: rendezvous

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{current_thread_runtime, multi_thread_runtime};

    /// Long enough for a loaded machine to schedule the second worker; the
    /// multi_thread test returns as soon as both tasks meet.
    const PATIENCE: Duration = Duration::from_secs(10);

    #[test]
    fn tasks_on_a_multi_thread_runtime_run_on_two_threads_at_once() {
        let test = "tasks_on_a_multi_thread_runtime_run_on_two_threads_at_once";
        if !book_skip::has_cpus!(test, 2) {
            return;
        }
        let started = Instant::now();
        let seen = rendezvous(&multi_thread_runtime(), 2, PATIENCE);
        // They met: neither waited for its patience to run out.
        assert!(started.elapsed() < PATIENCE, "the tasks waited in vain");
        assert_eq!(seen.together, 2, "the tasks never ran at the same time");
        assert_eq!(seen.threads.len(), 2, "{seen:?}");
    }

    #[test]
    fn a_current_thread_runtime_runs_every_task_on_the_calling_thread() {
        let patience = Duration::from_millis(50);
        let started = Instant::now();
        let seen = rendezvous(&current_thread_runtime(), 2, patience);
        // The first task waited in vain: the second could start only once
        // it had given up.
        assert!(started.elapsed() >= patience);
        assert_eq!(seen.together, 1);
        assert_eq!(seen.threads, HashSet::from([thread::current().id()]));
    }
}
