//! What parallel tasks ask of their code: `tokio::spawn` accepts only
//! futures that are `Send + 'static`, because any worker thread may poll
//! them, at any time until they finish.
//!
//! The compiler refuses a spawned task that holds an `Rc` across an
//! `.await` (`compile_fail/rc_across_await.rs`). The test
//! `an_rc_owned_by_a_spawned_task_makes_its_future_not_send` has cargo check
//! that file, through `trybuild`, and compares the messages with the
//! `.stderr` file beside it: rustc reports "future cannot be sent between
//! threads safely", with no error code, which a `compile_fail` doctest could
//! not tell from any other error. (Why `trybuild`: it builds the file with
//! cargo against this crate's dependencies and diffs the whole message.)

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

    const RC: &str = include_str!("../compile_fail/rc_across_await.rs");
    const WITH_SPAWN_LOCAL: &str =
        include_str!(concat!(env!("OUT_DIR"), "/rc_with_spawn_local.rs"));

    /// The control written by `build.rs`, compiled with these tests (never
    /// run: `spawn_local` would need a `LocalSet`): the refused listing
    /// with `tokio::task::spawn_local`, which asks for no `Send`.
    #[allow(dead_code)]
    mod rc_with_spawn_local {
        include!(concat!(env!("OUT_DIR"), "/rc_with_spawn_local.rs"));
    }

    #[test]
    fn an_rc_owned_by_a_spawned_task_makes_its_future_not_send() {
        trybuild::TestCases::new().compile_fail("compile_fail/rc_across_await.rs");
        let error = include_str!("../compile_fail/rc_across_await.stderr");
        assert!(
            error.contains("future cannot be sent between threads safely"),
            "{error}"
        );
        assert!(error.contains("Rc<Cell<i32>>"), "{error}");
        assert!(
            error.contains("required by a bound in `tokio::spawn`"),
            "{error}"
        );
        // The control, which compiles, differs only by the spawn function:
        // the error comes from `tokio::spawn`'s bound alone.
        assert_eq!(
            WITH_SPAWN_LOCAL,
            RC.replacen("tokio::spawn(", "tokio::task::spawn_local(", 1)
        );
        assert_ne!(WITH_SPAWN_LOCAL, RC);
    }
}
