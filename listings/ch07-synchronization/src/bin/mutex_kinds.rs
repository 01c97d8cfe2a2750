//! tokio's `Mutex` beside std's. tokio's guard may be held across an
//! `.await` in a task that `tokio::spawn` runs on any worker; std's is fine
//! in async code as long as no `.await` comes while it is held. And a guard
//! that no variable names can still be held across an `.await`.
//!
//!     cargo run -p ch07-synchronization --bin mutex_kinds

use std::cell::Cell;
use std::sync::{Arc, Mutex};

/// How many tasks add one to the shared total.
const TASKS: u64 = 100;

// ANCHOR: kinds
/// Reads the total, awaits, writes it back: one critical section with an
/// `.await` inside, under tokio's mutex. Its guard is `Send`, so the future
/// is too, and `tokio::spawn` accepts it.
async fn add_one_across_await(total: Arc<tokio::sync::Mutex<u64>>) {
    let mut total = total.lock().await;
    let seen = *total;
    tokio::task::yield_now().await; // other tasks run; the lock stays taken
    *total = seen + 1;
}

/// With std's mutex, each critical section sits between two `.await`s:
/// the guard is dropped at the end of the statement that took it.
async fn add_one_between_awaits(total: Arc<Mutex<u64>>) {
    tokio::task::yield_now().await;
    *total.lock().unwrap() += 1;
    tokio::task::yield_now().await;
}

/// Spawns `TASKS` tasks made by `task` on a runtime with two worker threads,
/// so that a task can resume on another thread after each `.await`.
fn spawn_on_two_workers<F>(task: impl Fn() -> F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..TASKS).map(|_| tokio::spawn(task())).collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}
// ANCHOR_END: kinds

// ANCHOR: temporaries
/// Stands for any `.await` that waits: a write to a socket, say.
async fn send(_count: usize) {
    tokio::task::yield_now().await;
}

/// No variable names the guard, but it is a temporary of this statement,
/// and temporaries live until the statement's end: past the `.await`.
#[expect(clippy::await_holding_lock, reason = "the listing shows the bug")]
async fn send_count_in_one_statement(names: &Mutex<Vec<String>>) {
    send(names.lock().unwrap().len()).await;
}

/// A `match` keeps its scrutinee's temporaries alive through every arm,
/// although `n` is a plain copy of the length.
#[expect(clippy::await_holding_lock, reason = "the listing shows the bug")]
async fn send_count_in_a_match(names: &Mutex<Vec<String>>) {
    match names.lock().unwrap().len() {
        0 => {}
        n => send(n).await,
    }
}

/// The fix: bind the value first. That statement ends, and the guard with it.
async fn send_count_bound_first(names: &Mutex<Vec<String>>) {
    let count = names.lock().unwrap().len();
    send(count).await;
}
// ANCHOR_END: temporaries

// ANCHOR: check
/// Polls `task` until it first waits, asks whether `names` is unlocked at
/// that moment, then lets `task` finish.
async fn lock_is_free_while_parked(
    names: &Mutex<Vec<String>>,
    task: impl Future<Output = ()>,
) -> bool {
    let finished = Cell::new(false);
    let task = async {
        task.await;
        finished.set(true);
    };
    let check = async {
        assert!(!finished.get(), "the task never waited");
        names.try_lock().is_ok()
    };
    // `biased`: poll `task` first, then `check`, on this one thread.
    let ((), free) = tokio::join!(biased; task, check);
    free
}
// ANCHOR_END: check

fn main() {
    let total = Arc::new(tokio::sync::Mutex::new(0));
    spawn_on_two_workers(|| add_one_across_await(total.clone()));
    let total = *total.try_lock().unwrap();
    println!("tokio::sync::Mutex held across .await: total {total} of {TASKS}");

    let total = Arc::new(Mutex::new(0));
    spawn_on_two_workers(|| add_one_between_awaits(total.clone()));
    let total = *total.lock().unwrap();
    println!("std::sync::Mutex between .awaits:      total {total} of {TASKS}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let names = Mutex::new(vec!["Ada".to_string(), "Grace".to_string()]);
    runtime.block_on(async {
        let free =
            lock_is_free_while_parked(&names, send_count_in_one_statement(&names));
        println!(
            "guard in one statement: lock free at the .await: {}",
            free.await
        );
        let free = lock_is_free_while_parked(&names, send_count_in_a_match(&names));
        println!(
            "guard in a match:       lock free at the .await: {}",
            free.await
        );
        let free = lock_is_free_while_parked(&names, send_count_bound_first(&names));
        println!(
            "value bound first:      lock free at the .await: {}",
            free.await
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tells whether the type of the value it wraps is `Send`, at compile
    /// time: the inherent `is_send` exists only for `T: Send`, and method
    /// lookup falls back to the trait's `false` when that bound fails.
    struct Probe<T>(std::marker::PhantomData<T>);
    trait NotSend {
        fn is_send(&self) -> bool {
            false
        }
    }
    impl<T> NotSend for Probe<T> {}
    impl<T: Send> Probe<T> {
        fn is_send(&self) -> bool {
            true
        }
    }
    fn probe<T>(_: &T) -> Probe<T> {
        Probe(std::marker::PhantomData)
    }

    fn names() -> Mutex<Vec<String>> {
        Mutex::new(vec!["Ada".to_string(), "Grace".to_string()])
    }

    #[test]
    fn tokio_guards_held_across_await_in_spawned_tasks_lose_no_update() {
        for _ in 0..10 {
            let total = Arc::new(tokio::sync::Mutex::new(0));
            spawn_on_two_workers(|| add_one_across_await(total.clone()));
            assert_eq!(*total.try_lock().unwrap(), TASKS);
        }
    }

    /// The control for the test above: the same steps with tokio's lock
    /// given up before the `.await` and taken again after it, so the
    /// read and the write are two critical sections. On one thread the
    /// outcome is fixed: every task reads the total before any writes it.
    #[tokio::test(flavor = "current_thread")]
    async fn splitting_the_section_at_the_await_loses_updates() {
        let total = Arc::new(tokio::sync::Mutex::new(0));
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let total = Arc::clone(&total);
                tokio::spawn(async move {
                    let seen = *total.lock().await;
                    tokio::task::yield_now().await;
                    *total.lock().await = seen + 1;
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert!(*total.lock().await < TASKS);
    }

    #[test]
    fn a_std_mutex_locked_only_between_awaits_loses_no_update() {
        for _ in 0..10 {
            let total = Arc::new(Mutex::new(0));
            spawn_on_two_workers(|| add_one_between_awaits(total.clone()));
            assert_eq!(*total.lock().unwrap(), TASKS);
        }
    }

    #[tokio::test]
    async fn a_guard_in_a_statements_temporary_is_held_across_its_await() {
        let names = names();
        let free =
            lock_is_free_while_parked(&names, send_count_in_one_statement(&names));
        assert!(!free.await, "the lock was free while the task waited");
    }

    #[tokio::test]
    async fn a_guard_in_a_match_scrutinee_is_held_across_an_await_in_an_arm() {
        let names = names();
        let free = lock_is_free_while_parked(&names, send_count_in_a_match(&names));
        assert!(!free.await, "the lock was free while the task waited");
    }

    #[tokio::test]
    async fn a_value_bound_before_the_await_leaves_the_lock_free() {
        let names = names();
        let free = lock_is_free_while_parked(&names, send_count_bound_first(&names));
        assert!(free.await, "the lock was held while the task waited");
    }

    /// `tokio::spawn` asks for `Send`; a future that holds a std guard across
    /// an `.await`, named or not, is not `Send`, so spawn would refuse it.
    #[test]
    fn a_guard_held_in_a_temporary_makes_the_future_not_send() {
        let names = names();
        assert!(!probe(&send_count_in_one_statement(&names)).is_send());
        assert!(!probe(&send_count_in_a_match(&names)).is_send());
        assert!(probe(&send_count_bound_first(&names)).is_send());
        // The probe itself: the spawned futures of Listing 7-21 are `Send`.
        let total = Arc::new(Mutex::new(0));
        assert!(probe(&add_one_between_awaits(total)).is_send());
    }
}
