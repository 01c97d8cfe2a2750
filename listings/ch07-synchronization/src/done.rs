//! A thread tells a future that its work is done: the lost wake-up and its fix.

use crate::sync::{
    Mutex,
    atomic::{AtomicBool, Ordering::SeqCst},
};
use std::future::{Future, poll_fn};
use std::task::{Poll, Waker};

// ANCHOR: done
/// A one-shot "done" signal, set by a thread and awaited by a future.
pub struct Done {
    done: AtomicBool,
    /// The waker of the future waiting for `done`, if it has registered.
    waiter: Mutex<Option<Waker>>,
}

impl Done {
    pub fn new() -> Self {
        Done {
            done: AtomicBool::new(false),
            waiter: Mutex::new(None),
        }
    }

    /// The thread's side: raise the flag, then wake the waiter, if any.
    pub fn set(&self) {
        self.done.store(true, SeqCst);
        if let Some(waker) = self.waiter.lock().unwrap().take() {
            waker.wake();
        }
    }

    /// Checks the flag, then registers. If `set` runs between the two, it
    /// finds no waker to wake, and the future then waits for a wake-up that
    /// has already come and gone.
    pub fn wait_racy(&self) -> impl Future<Output = ()> + '_ {
        poll_fn(|cx| {
            if self.done.load(SeqCst) {
                return Poll::Ready(());
            }
            *self.waiter.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        })
    }

    /// Registers, then checks. A `set` that comes before the registration is
    /// seen by the check; one that comes after it finds the waker.
    pub fn wait(&self) -> impl Future<Output = ()> + '_ {
        poll_fn(|cx| {
            *self.waiter.lock().unwrap() = Some(cx.waker().clone());
            if self.done.load(SeqCst) {
                return Poll::Ready(());
            }
            Poll::Pending
        })
    }
}
// ANCHOR_END: done

impl Default for Done {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(all(test, feature = "tasks", not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// The fixed signal between a real thread and a tokio task, many times
    /// over: every wait ends (the timeout turns a lost wake-up into a failure).
    #[tokio::test]
    async fn a_task_waiting_on_a_thread_is_always_woken() {
        const ROUNDS: usize = 1_000;
        for round in 0..ROUNDS {
            let done = Arc::new(Done::new());
            let setter = {
                let done = done.clone();
                std::thread::spawn(move || done.set())
            };
            tokio::time::timeout(Duration::from_secs(30), done.wait())
                .await
                .unwrap_or_else(|_| panic!("round {round}: the wake-up was lost"));
            setter.join().unwrap();
        }
    }
}
