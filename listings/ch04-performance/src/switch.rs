//! Passing control from one unit of work to another and back.
//!
//! A round trip sends a number to a partner and waits for its answer, the
//! next number: the sender must sleep until the partner has run, so each
//! round trip costs two switches between the units.

use std::sync::mpsc;

// ANCHOR: thread_round_trip
/// A caller and a partner thread joined by two channels, one each way.
pub struct ThreadPingPong {
    to_partner: mpsc::Sender<u64>,
    from_partner: mpsc::Receiver<u64>,
    partner: std::thread::JoinHandle<u64>,
}

impl ThreadPingPong {
    /// Starts the partner thread once; every round trip reuses it.
    pub fn start() -> Self {
        let (to_partner, inbox) = mpsc::channel();
        let (outbox, from_partner) = mpsc::channel();
        let partner = std::thread::spawn(move || {
            let mut answered = 0;
            // Ends when the caller hangs up: `inbox` then yields `None`.
            for message in inbox {
                if outbox.send(message + 1).is_err() {
                    break; // the caller is gone
                }
                answered += 1;
            }
            answered
        });
        ThreadPingPong {
            to_partner,
            from_partner,
            partner,
        }
    }

    /// Sends `message` and blocks until the partner answers.
    pub fn round_trip(&mut self, message: u64) -> u64 {
        self.to_partner.send(message).expect("the partner is alive");
        self.from_partner.recv().expect("the partner answers")
    }

    /// Hangs up and returns how many messages the partner answered.
    pub fn finish(self) -> u64 {
        drop(self.to_partner);
        self.partner.join().expect("the partner does not panic")
    }
}
// ANCHOR_END: thread_round_trip

// ANCHOR: task_round_trip
/// The same with tokio's channels and a partner task, which shares the
/// caller's runtime thread when the runtime is a current_thread one.
pub struct TaskPingPong {
    to_partner: tokio::sync::mpsc::Sender<u64>,
    from_partner: tokio::sync::mpsc::Receiver<u64>,
    partner: tokio::task::JoinHandle<u64>,
}

impl TaskPingPong {
    /// Spawns the partner task; call it inside the runtime.
    pub fn start() -> Self {
        let (to_partner, mut inbox) = tokio::sync::mpsc::channel(1);
        let (outbox, from_partner) = tokio::sync::mpsc::channel(1);
        let partner = tokio::spawn(async move {
            let mut answered = 0;
            while let Some(message) = inbox.recv().await {
                if outbox.send(message + 1).await.is_err() {
                    break; // the caller is gone
                }
                answered += 1;
            }
            answered
        });
        TaskPingPong {
            to_partner,
            from_partner,
            partner,
        }
    }

    /// Sends `message` and waits, without blocking the thread, for the answer.
    pub async fn round_trip(&mut self, message: u64) -> u64 {
        self.to_partner
            .send(message)
            .await
            .expect("the partner is alive");
        self.from_partner.recv().await.expect("the partner answers")
    }

    /// Hangs up and returns how many messages the partner answered.
    pub async fn finish(self) -> u64 {
        drop(self.to_partner);
        self.partner.await.expect("the partner does not panic")
    }
}
// ANCHOR_END: task_round_trip

// ANCHOR: yield
/// Offers the CPU to the kernel's scheduler `times` times.
pub fn yield_thread(times: u64) -> u64 {
    for _ in 0..times {
        std::thread::yield_now();
    }
    times
}

/// Offers the runtime thread to the other ready tasks `times` times.
pub async fn yield_task(times: u64) -> u64 {
    for _ in 0..times {
        tokio::task::yield_now().await;
    }
    times
}
// ANCHOR_END: yield

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn current_thread_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }

    #[test]
    fn the_partner_thread_answers_each_message_and_counts_them() {
        let mut pair = ThreadPingPong::start();
        for message in 0..1_000 {
            assert_eq!(pair.round_trip(message), message + 1);
        }
        assert_eq!(pair.finish(), 1_000);
    }

    #[test]
    fn the_partner_task_answers_each_message_and_counts_them() {
        let runtime = current_thread_runtime();
        let answered = runtime.block_on(async {
            let mut pair = TaskPingPong::start();
            for message in 0..1_000 {
                assert_eq!(pair.round_trip(message).await, message + 1);
            }
            pair.finish().await
        });
        assert_eq!(answered, 1_000);
    }

    #[test]
    fn yielding_a_thread_returns_to_it() {
        assert_eq!(yield_thread(10), 10);
    }

    #[test]
    fn a_yielding_task_lets_another_ready_task_run_first() {
        let runtime = current_thread_runtime();
        runtime.block_on(async {
            let ran = Arc::new(AtomicBool::new(false));
            let other = Arc::clone(&ran);
            let handle = tokio::spawn(async move { other.store(true, Ordering::SeqCst) });
            // One runtime thread, and it is busy here: the other waits.
            assert!(!ran.load(Ordering::SeqCst));
            assert_eq!(yield_task(1).await, 1);
            assert!(ran.load(Ordering::SeqCst));
            handle.await.unwrap();
        });
    }
}
