//! Passing control from one unit of work to another and back.
//!
//! A round trip sends a number to a partner and waits for its answer, the
//! next number: the sender must wait until the partner has run, so each
//! round trip costs a switch to the partner and one back. Both sides use the
//! same channel, tokio's bounded `mpsc`: threads through its blocking
//! methods, tasks through `.await`.
//!
//! A stackful coroutine needs no channel: the value goes in with `resume`
//! and comes back with `suspend`, and each is one switch of stacks on the
//! caller's own thread.

use corosensei::{Coroutine, CoroutineResult};
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;
use tokio::sync::mpsc;

// ANCHOR: pin
/// The first CPU the calling thread is allowed to run on.
pub fn first_allowed_cpu() -> usize {
    let allowed =
        sched_getaffinity(Pid::from_raw(0)).expect("Linux reports the affinity");
    (0..CpuSet::count())
        .find(|&cpu| allowed.is_set(cpu).unwrap_or(false))
        .expect("a thread may run on at least one CPU")
}

/// Restricts the calling thread to `cpu` (`sched_setaffinity`, pid 0 meaning
/// "this thread").
pub fn pin_to(cpu: usize) {
    let mut only = CpuSet::new();
    only.set(cpu).expect("the CPU number is in range");
    sched_setaffinity(Pid::from_raw(0), &only).expect("the CPU is allowed");
}

/// Runs `work` with the calling thread pinned to `cpu`, then gives the thread
/// back every CPU it had before.
pub fn pinned<T>(cpu: usize, work: impl FnOnce() -> T) -> T {
    let before =
        sched_getaffinity(Pid::from_raw(0)).expect("Linux reports the affinity");
    pin_to(cpu);
    let result = work();
    sched_setaffinity(Pid::from_raw(0), &before)
        .expect("the old CPUs are still allowed");
    result
}
// ANCHOR_END: pin

// ANCHOR: thread_round_trip
/// A caller and a partner thread joined by two channels, one each way.
pub struct ThreadPingPong {
    to_partner: mpsc::Sender<u64>,
    from_partner: mpsc::Receiver<u64>,
    partner: std::thread::JoinHandle<u64>,
}

impl ThreadPingPong {
    /// Starts the partner thread once; every round trip reuses it. With
    /// `Some(cpu)`, the partner pins itself to that CPU.
    pub fn start(cpu: Option<usize>) -> Self {
        let (to_partner, mut inbox) = mpsc::channel(1);
        let (outbox, from_partner) = mpsc::channel(1);
        let partner = std::thread::spawn(move || {
            if let Some(cpu) = cpu {
                pin_to(cpu);
            }
            let mut answered = 0;
            // Ends when the caller hangs up: `inbox` then yields `None`.
            while let Some(message) = inbox.blocking_recv() {
                if outbox.blocking_send(message + 1).is_err() {
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
        let sent = self.to_partner.blocking_send(message);
        sent.expect("the partner is alive");
        self.from_partner
            .blocking_recv()
            .expect("the partner answers")
    }

    /// Hangs up and returns how many messages the partner answered.
    pub fn finish(self) -> u64 {
        drop(self.to_partner);
        self.partner.join().expect("the partner does not panic")
    }
}
// ANCHOR_END: thread_round_trip

// ANCHOR: task_round_trip
/// The same with a partner task, which shares the caller's runtime thread
/// when the runtime is a current_thread one.
pub struct TaskPingPong {
    to_partner: mpsc::Sender<u64>,
    from_partner: mpsc::Receiver<u64>,
    partner: tokio::task::JoinHandle<u64>,
}

impl TaskPingPong {
    /// Spawns the partner task; call it inside the runtime.
    pub fn start() -> Self {
        let (to_partner, mut inbox) = mpsc::channel(1);
        let (outbox, from_partner) = mpsc::channel(1);
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
        let sent = self.to_partner.send(message).await;
        sent.expect("the partner is alive");
        self.from_partner.recv().await.expect("the partner answers")
    }

    /// Hangs up and returns how many messages the partner answered.
    pub async fn finish(self) -> u64 {
        drop(self.to_partner);
        self.partner.await.expect("the partner does not panic")
    }
}
// ANCHOR_END: task_round_trip

// ANCHOR: coroutine_switch
/// A stackful coroutine, created once, that answers each value it is
/// resumed with by suspending with the next one; `None` ends it.
pub struct CoroutinePingPong {
    partner: Coroutine<Option<u64>, u64, u64>,
}

impl CoroutinePingPong {
    /// Creates the coroutine. Nothing runs until the first `resume`.
    pub fn start() -> Self {
        let partner = Coroutine::new(|yielder, mut message: Option<u64>| {
            let mut answered = 0;
            while let Some(value) = message {
                answered += 1;
                // Switches back to the caller's stack; returns at the next resume.
                message = yielder.suspend(value + 1);
            }
            answered
        });
        CoroutinePingPong { partner }
    }

    /// Switches to the coroutine's stack with `message`, and returns when the
    /// coroutine suspends with its answer: two stack switches, in user space.
    pub fn resume(&mut self, message: u64) -> u64 {
        match self.partner.resume(Some(message)) {
            CoroutineResult::Yield(answer) => answer,
            CoroutineResult::Return(_) => unreachable!("it returns only on `None`"),
        }
    }

    /// Ends the coroutine and returns how many values it answered.
    pub fn finish(mut self) -> u64 {
        let end = self.partner.resume(None).as_return();
        end.expect("`None` ends the coroutine")
    }
}
// ANCHOR_END: coroutine_switch

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

    /// The CPUs the calling thread may use, as a list.
    fn allowed_cpus() -> Vec<usize> {
        let set = sched_getaffinity(Pid::from_raw(0)).unwrap();
        (0..CpuSet::count())
            .filter(|&cpu| set.is_set(cpu).unwrap())
            .collect()
    }

    /// Pinned to the first and then to the second allowed CPU, the thread
    /// finds that CPU first. Needs two CPUs to tell "first allowed" from
    /// "CPU 0".
    #[test]
    fn the_first_allowed_cpu_follows_the_threads_affinity() {
        // The book's skip convention: below two CPUs, say so, do not pass.
        if !book_skip::has_cpus!(
            "the_first_allowed_cpu_follows_the_threads_affinity",
            2
        ) {
            return;
        }
        let cpus = allowed_cpus();
        for cpu in [cpus[0], cpus[1]] {
            let found = std::thread::spawn(move || pinned(cpu, first_allowed_cpu));
            assert_eq!(found.join().unwrap(), cpu);
        }
    }

    #[test]
    fn the_partner_thread_answers_each_message_and_counts_them() {
        let mut pair = ThreadPingPong::start(None);
        for message in 0..1_000 {
            assert_eq!(pair.round_trip(message), message + 1);
        }
        assert_eq!(pair.finish(), 1_000);
    }

    #[test]
    fn a_pinned_pair_answers_too_and_the_caller_gets_its_cpus_back() {
        let before = allowed_cpus();
        let cpu = first_allowed_cpu();
        assert_eq!(cpu, before[0]);
        let answered = pinned(cpu, || {
            assert_eq!(allowed_cpus(), vec![cpu]);
            let mut pair = ThreadPingPong::start(Some(cpu));
            for message in 0..100 {
                assert_eq!(pair.round_trip(message), message + 1);
            }
            pair.finish()
        });
        assert_eq!(answered, 100);
        assert_eq!(allowed_cpus(), before);
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
    fn the_task_pair_also_answers_on_a_multi_thread_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let answered = runtime.block_on(async {
            let batch = tokio::spawn(async {
                let mut pair = TaskPingPong::start();
                for message in 0..1_000 {
                    assert_eq!(pair.round_trip(message).await, message + 1);
                }
                pair.finish().await
            });
            batch.await.unwrap()
        });
        assert_eq!(answered, 1_000);
    }

    #[test]
    fn the_partner_coroutine_answers_each_message_and_counts_them() {
        let mut pair = CoroutinePingPong::start();
        for message in 0..1_000 {
            assert_eq!(pair.resume(message), message + 1);
        }
        assert_eq!(pair.finish(), 1_000);
    }

    /// How many times the kernel has put the calling thread to sleep.
    fn times_slept() -> u64 {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        let field = status
            .lines()
            .find_map(|line| line.strip_prefix("voluntary_ctxt_switches:"));
        field.unwrap().trim().parse().unwrap()
    }

    /// A resume and the suspend that answers it switch stacks on the
    /// caller's thread: the thread never waits, so the kernel never has to
    /// put it to sleep. (Being preempted by other programs is not counted.)
    /// The bound leaves room for a rare page fault that has to wait.
    #[test]
    fn resuming_a_coroutine_never_puts_the_thread_to_sleep() {
        const RESUMES: u64 = 10_000;
        let mut pair = CoroutinePingPong::start();
        let before = times_slept();
        for message in 0..RESUMES {
            assert_eq!(pair.resume(message), message + 1);
        }
        let slept = times_slept() - before;
        assert_eq!(pair.finish(), RESUMES);
        assert!(
            slept <= RESUMES / 1_000,
            "slept {slept} times in {RESUMES} resumes"
        );
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
            let handle =
                tokio::spawn(async move { other.store(true, Ordering::SeqCst) });
            // One runtime thread, and it is busy here: the other waits.
            assert!(!ran.load(Ordering::SeqCst));
            assert_eq!(yield_task(1).await, 1);
            assert!(ran.load(Ordering::SeqCst));
            handle.await.unwrap();
        });
    }
}
