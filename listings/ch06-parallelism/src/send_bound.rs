//! What parallel tasks ask of their code: `tokio::spawn` accepts only
//! futures that are `Send + 'static`, because any worker thread may poll
//! them, at any time until they finish.
//!
//! The compiler refuses a spawned task that holds an `Rc` across an
//! `.await`. This doctest checks only that the program still fails to
//! compile, with any error. An error code after `compile_fail` would not
//! narrow that down: stable rustdoc ignores it, and rustc reports this one
//! as "future cannot be sent between threads safely", with no code at all.
//! Why it fails (the future is not `Send`) is checked by chapter 7's
//! `does_not_compile` tests, which run rustc on this file and read its
//! message.
//!
//! ```compile_fail
#![doc = include_str!("../compile_fail/rc_across_await.rs")]
//! ```

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use tokio::task::LocalSet;

// ANCHOR: shared
/// Counts in `tasks` spawned tasks. Each may resume on a different worker
/// after its `.await`, so what it holds must be `Send`: an `Arc` around an
/// atomic. Each task owns its clone of the `Arc`, which makes it `'static`.
pub async fn count_in_spawned_tasks(tasks: usize) -> usize {
    let count = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                count.fetch_add(1, Relaxed);
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    count.load(Relaxed)
}
// ANCHOR_END: shared

// ANCHOR: local
/// The same count with an `Rc<Cell<_>>`, which is not `Send`. `spawn_local`
/// accepts such tasks because they never leave the thread that drives the
/// `LocalSet`: they give up parallelism, and need no `Send` in return.
pub async fn count_in_local_tasks(tasks: usize) -> usize {
    let count = Rc::new(Cell::new(0));
    LocalSet::new()
        .run_until(async {
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    let count = Rc::clone(&count);
                    tokio::task::spawn_local(async move {
                        tokio::task::yield_now().await;
                        count.set(count.get() + 1);
                    })
                })
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
        })
        .await;
    count.get()
}
// ANCHOR_END: local

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{current_thread_runtime, multi_thread_runtime};
    use std::collections::HashSet;
    use std::sync::Mutex;
    use std::thread::{self, ThreadId};

    const TASKS: usize = 100;

    #[test]
    fn spawned_tasks_sharing_an_arc_all_count_on_either_runtime() {
        let many = multi_thread_runtime();
        assert_eq!(many.block_on(count_in_spawned_tasks(TASKS)), TASKS);
        let one = current_thread_runtime();
        assert_eq!(one.block_on(count_in_spawned_tasks(TASKS)), TASKS);
    }

    #[test]
    fn local_tasks_sharing_an_rc_all_count_even_on_a_multi_thread_runtime() {
        let many = multi_thread_runtime();
        assert_eq!(many.block_on(count_in_local_tasks(TASKS)), TASKS);
    }

    #[test]
    fn local_tasks_run_only_on_the_thread_that_drives_the_local_set() {
        // On a multi_thread runtime, with idle workers all around.
        let seen = Arc::new(Mutex::new(HashSet::<ThreadId>::new()));
        multi_thread_runtime().block_on(LocalSet::new().run_until({
            let seen = Arc::clone(&seen);
            async move {
                let handles: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let seen = Arc::clone(&seen);
                        tokio::task::spawn_local(async move {
                            seen.lock().unwrap().insert(thread::current().id());
                            tokio::task::yield_now().await;
                            seen.lock().unwrap().insert(thread::current().id());
                        })
                    })
                    .collect();
                for handle in handles {
                    handle.await.unwrap();
                }
            }
        }));
        let seen = seen.lock().unwrap();
        assert_eq!(*seen, HashSet::from([thread::current().id()]));
    }
}
