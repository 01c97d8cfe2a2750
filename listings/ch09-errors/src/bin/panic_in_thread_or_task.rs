//! A panic on a thread or a task ends only that thread or task, and whoever
//! joins or awaits it gets the panic back as a value. `unwrap` on that value
//! raises a new panic, `resume_unwind` passes the original on, and a scope
//! raises its own. A std lock held during the panic comes back poisoned; a
//! tokio lock does not.
//!
//!     cargo run -p ch09-errors --bin panic_in_thread_or_task

use std::any::Any;
use std::panic;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

// ANCHOR: work
/// Work that panics on input it was never meant to get.
fn half(n: u32) -> u32 {
    assert!(n.is_multiple_of(2), "half of {n}: not an even number");
    n / 2
}

/// The text a panic was raised with. `panic!` stores a `&'static str` or a
/// `String`, depending on whether the message had anything to format.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(a panic without a message)"
    }
}
// ANCHOR_END: work

// ANCHOR: join
/// Runs `half` on its own thread. A panic there ends that thread only:
/// `join` returns it as an `Err` holding the panic's payload.
fn half_on_a_thread(n: u32) -> Result<u32, String> {
    let handle = thread::spawn(move || half(n));
    handle
        .join()
        .map_err(|payload| panic_message(&*payload).to_owned())
}

/// The same on a tokio task: the runtime catches the panic and hands it to
/// whoever awaits the `JoinHandle`, inside a `JoinError`.
async fn half_on_a_task(n: u32) -> Result<u32, String> {
    let handle = tokio::spawn(async move { half(n) });
    handle.await.map_err(|error| match error.try_into_panic() {
        Ok(payload) => panic_message(&*payload).to_owned(),
        Err(cancelled) => cancelled.to_string(),
    })
}
// ANCHOR_END: join

// ANCHOR: scope
/// `unwrap` on the `Err` from `join` raises a new panic in this thread. Its
/// message is the `Debug` form of the payload, which says nothing but
/// `Any { .. }`: the original message is lost.
fn join_and_unwrap() -> u32 {
    thread::spawn(|| half(7)).join().unwrap()
}

/// `resume_unwind` goes on unwinding this thread with the very payload the
/// other thread panicked with, message and all.
fn join_and_resume() -> u32 {
    let joined = thread::spawn(|| half(7)).join();
    joined.unwrap_or_else(|payload| panic::resume_unwind(payload))
}

/// Scoped threads are joined when the scope ends. If one of them panicked
/// and nobody collected that panic with `join`, the scope raises a panic of
/// its own, in the thread that opened it.
fn scope_with_a_panicking_thread() {
    thread::scope(|scope| {
        scope.spawn(|| half(7));
        scope.spawn(|| half(8));
    });
}
// ANCHOR_END: scope

// ANCHOR: poison
/// A thread that panics while it holds a lock leaves the lock poisoned:
/// whoever locks it next is told that the data may be half-updated. This
/// thread records two halves and panics on the second, with the update half
/// done. Returns what is left in the lock: `Err` if it was poisoned.
fn panic_while_holding_a_lock() -> Result<Vec<u32>, Vec<u32>> {
    let halves = Mutex::new(Vec::new());
    thread::scope(|scope| {
        let handle = scope.spawn(|| {
            let mut halves = halves.lock().unwrap();
            halves.push(half(8));
            halves.push(half(7));
        });
        // Collecting the panic here keeps the scope from raising it again.
        assert!(handle.join().is_err());
    });
    halves.into_inner().map_err(PoisonError::into_inner)
}
// ANCHOR_END: poison

// ANCHOR: tokio_lock
/// The same on a task, with `tokio::sync::Mutex`. Its guard is dropped as
/// the task unwinds, and that simply unlocks it: tokio's mutex has no
/// poisoning. The next `lock().await` succeeds and hands over the half-done
/// update with no warning.
async fn panic_while_holding_a_tokio_lock() -> Vec<u32> {
    let halves = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let task = tokio::spawn({
        let halves = Arc::clone(&halves);
        async move {
            let mut halves = halves.lock().await;
            halves.push(half(8));
            halves.push(half(7));
        }
    });
    assert!(task.await.unwrap_err().is_panic());
    halves.lock().await.clone()
}
// ANCHOR_END: tokio_lock

// ANCHOR: main
fn main() {
    // Every panic below is deliberate. The default panic hook would print a
    // report of each one to stderr; this one prints nothing, so the output
    // is only what `main` says about them. (The tests keep the default.)
    panic::set_hook(Box::new(|_| {}));

    println!("thread, half of 8: {:?}", half_on_a_thread(8));
    println!("thread, half of 7: {:?}", half_on_a_thread(7));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let task = runtime.block_on(half_on_a_task(7));
    println!("task, half of 7:   {task:?}");

    let caught = |f: fn() -> u32| {
        let result = panic::catch_unwind(f);
        result.map_err(|payload| panic_message(&*payload).to_owned())
    };
    println!("join, unwrap:      {:?}", caught(join_and_unwrap));
    println!("join, resume:      {:?}", caught(join_and_resume));
    let scope = panic::catch_unwind(scope_with_a_panicking_thread);
    let scope = scope.map_err(|payload| panic_message(&*payload).to_owned());
    println!("scope:             {scope:?}");

    let left = panic_while_holding_a_lock();
    println!(
        "lock poisoned:     {}, holding {:?}",
        left.is_err(),
        left.unwrap_or_else(|v| v)
    );
    let left = runtime.block_on(panic_while_holding_a_tokio_lock());
    println!("tokio lock:        locked again, holding {left:?}");
    println!("main is still running");
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_returns_normally_joins_with_its_value() {
        assert_eq!(half_on_a_thread(8), Ok(4));
    }

    /// The panic stays in the spawned thread: this test's thread goes on,
    /// and receives the exact message the panic was raised with.
    #[test]
    fn a_panicking_thread_joins_with_err_carrying_its_message() {
        assert_eq!(
            half_on_a_thread(7),
            Err("half of 7: not an even number".to_owned())
        );
    }

    #[tokio::test]
    async fn a_panicking_task_surfaces_as_a_join_error_with_its_message() {
        let error = tokio::spawn(async { half(7) }).await.unwrap_err();
        assert!(error.is_panic());
        assert!(!error.is_cancelled());
        assert_eq!(
            panic_message(&*error.into_panic()),
            "half of 7: not an even number"
        );
        // And through the listing's own function:
        assert_eq!(
            half_on_a_task(7).await,
            Err("half of 7: not an even number".to_owned())
        );
        assert_eq!(half_on_a_task(8).await, Ok(4));
    }

    /// Checked in this process with `catch_unwind`: the scope's panic is an
    /// ordinary unwinding panic in the calling thread, so it can be caught.
    #[test]
    fn a_scope_raises_a_panic_nobody_joined_when_it_ends() {
        let payload =
            panic::catch_unwind(scope_with_a_panicking_thread).unwrap_err();
        assert_eq!(panic_message(&*payload), "a scoped thread panicked");
    }

    /// `unwrap` raises a panic of its own, whose payload is a new message;
    /// `resume_unwind` raises the original payload again.
    #[test]
    fn unwrap_raises_a_new_panic_and_resume_unwind_passes_the_original_on() {
        let unwrapped = panic::catch_unwind(join_and_unwrap).unwrap_err();
        assert_eq!(
            panic_message(&*unwrapped),
            "called `Result::unwrap()` on an `Err` value: Any { .. }"
        );
        let resumed = panic::catch_unwind(join_and_resume).unwrap_err();
        assert_eq!(panic_message(&*resumed), "half of 7: not an even number");
    }

    #[test]
    fn a_panic_while_holding_a_lock_poisons_it() {
        // Poisoned, and holding the first half of the update only.
        assert_eq!(panic_while_holding_a_lock(), Err(vec![4]));
    }

    /// The std lock above comes back poisoned; tokio's comes back as if
    /// nothing had happened, holding the same half-done update.
    #[tokio::test]
    async fn a_panic_while_holding_a_tokio_lock_leaves_it_unpoisoned_and_half_updated()
     {
        assert_eq!(panic_while_holding_a_tokio_lock().await, [4]);
    }

    /// The control for the test above: the same half-done update on a task,
    /// under a `std::sync::Mutex` instead. The std lock is poisoned whether
    /// the panicking code runs on a thread or on a task.
    #[tokio::test]
    async fn the_same_panic_on_a_task_under_a_std_lock_poisons_it() {
        let halves = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let halves = Arc::clone(&halves);
            async move {
                let mut halves = halves.lock().unwrap();
                halves.push(half(8));
                halves.push(half(7));
            }
        });
        assert!(task.await.unwrap_err().is_panic());
        let poisoned = halves.lock().unwrap_err();
        assert_eq!(*poisoned.into_inner(), [4]);
    }
}
