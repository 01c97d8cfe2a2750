//! The units whose memory the probe measures: OS threads parked on a gate,
//! and tokio tasks pending on a timer, both kept alive while `/proc` is read.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

// ANCHOR: parked_threads
/// Idle OS threads: each is blocked on a condition variable until released.
pub struct ParkedThreads {
    gate: Arc<Gate>,
    handles: Vec<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    /// Signalled by each thread as it parks.
    parked: Condvar,
    /// Signalled once, when the gate opens.
    opened: Condvar,
}

#[derive(Default)]
struct GateState {
    parked: usize,
    open: bool,
}

impl ParkedThreads {
    pub fn new() -> Self {
        ParkedThreads {
            gate: Arc::default(),
            handles: Vec::new(),
        }
    }

    /// Starts `more` threads with Rust's default settings and returns once
    /// every thread started so far is parked. If the system refuses a
    /// thread, returns that error; the threads already started stay parked.
    pub fn park_more(&mut self, more: usize) -> std::io::Result<()> {
        let mut refused = None;
        for _ in 0..more {
            let gate = Arc::clone(&self.gate);
            match std::thread::Builder::new().spawn(move || gate.park()) {
                Ok(handle) => self.handles.push(handle),
                Err(error) => {
                    refused = Some(error);
                    break;
                }
            }
        }
        self.gate.wait_for(self.handles.len())?;
        refused.map_or(Ok(()), Err)
    }

    /// How many threads are parked.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Opens the gate, joins every thread, and returns how many ended.
    pub fn release(mut self) -> usize {
        self.release_all()
    }

    fn release_all(&mut self) -> usize {
        self.gate.state.lock().unwrap().open = true;
        self.gate.opened.notify_all();
        let handles = std::mem::take(&mut self.handles);
        let ended = handles.len();
        for handle in handles {
            handle.join().expect("a parked thread does not panic");
        }
        ended
    }
}

impl Gate {
    /// What each thread runs: check in, then sleep until the gate opens.
    fn park(&self) {
        let mut state = self.state.lock().unwrap();
        state.parked += 1;
        self.parked.notify_one();
        let _open = self.opened.wait_while(state, |s| !s.open).unwrap();
    }

    /// Waits until `count` threads have checked in, a minute at most.
    fn wait_for(&self, count: usize) -> std::io::Result<()> {
        let state = self.state.lock().unwrap();
        let limit = Duration::from_secs(60);
        let (_state, waited) = self
            .parked
            .wait_timeout_while(state, limit, |s| s.parked < count)
            .unwrap();
        if waited.timed_out() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        Ok(())
    }
}
// ANCHOR_END: parked_threads

impl Default for ParkedThreads {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ParkedThreads {
    fn drop(&mut self) {
        self.release_all();
    }
}

// ANCHOR: pending_tasks
// ANCHOR: sleeper
/// What each pending task runs: note that it has started, then wait on a
/// timer set a day ahead, far past the end of any probe.
pub async fn sleeper(started: Arc<AtomicUsize>) {
    started.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(24 * 60 * 60)).await;
}
// ANCHOR_END: sleeper

/// Pending tokio tasks, all on one current_thread runtime.
pub struct PendingTasks {
    runtime: tokio::runtime::Runtime,
    started: Arc<AtomicUsize>,
}

impl PendingTasks {
    pub fn new() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        let started = Arc::default();
        Ok(PendingTasks { runtime, started })
    }

    /// Spawns `more` sleepers and runs the runtime until each has been polled
    /// once and is waiting on its timer. Returns how many have started.
    pub fn add(&mut self, more: usize) -> usize {
        let target = self.started.load(Ordering::Relaxed) + more;
        let started = &self.started;
        self.runtime.block_on(async {
            for _ in 0..more {
                // Dropping the handle detaches the task; it stays pending.
                drop(tokio::spawn(sleeper(Arc::clone(started))));
            }
            // Each yield lets the runtime poll at least one queued task.
            for _ in 0..=more {
                if started.load(Ordering::Relaxed) >= target {
                    break;
                }
                tokio::task::yield_now().await;
            }
        });
        self.started.load(Ordering::Relaxed)
    }

    /// How many tasks the runtime holds.
    pub fn len(&self) -> usize {
        self.runtime.metrics().num_alive_tasks()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
// ANCHOR_END: pending_tasks

// ANCHOR: limits
/// The most threads worth parking here: a quarter of the smallest limit the
/// kernel puts on them (total threads, process ids, this user's processes,
/// and memory maps, two per thread: stack and guard). `None` if unreadable.
pub fn safe_thread_count() -> Option<usize> {
    let read = |path: &str| std::fs::read_to_string(path).ok()?.trim().parse().ok();
    let user_processes = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            let rest = limits
                .lines()
                .find_map(|line| line.strip_prefix("Max processes"))?;
            rest.split_whitespace().next()?.parse().ok()
        });
    let smallest = [
        read("/proc/sys/kernel/threads-max")?,
        read("/proc/sys/kernel/pid_max")?,
        read("/proc/sys/vm/max_map_count")? / 2,
        user_processes.unwrap_or(usize::MAX),
    ]
    .into_iter()
    .min()?;
    Some(smallest / 4)
}
// ANCHOR_END: limits

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::default_thread_stack;
    use crate::rss::read_status;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn parked_threads_stay_alive_until_released() {
        let mut threads = ParkedThreads::new();
        threads.park_more(10).unwrap();
        threads.park_more(6).unwrap();
        assert_eq!(threads.len(), 16);
        assert_eq!(threads.gate.state.lock().unwrap().parked, 16);
        assert_eq!(threads.release(), 16);
    }

    #[test]
    fn each_parked_thread_reserves_at_least_a_mebibyte_of_address_space() {
        // Other tests run alongside and may free a few stacks meanwhile,
        // hence half of the 2 MiB default as the bound.
        let before = read_status().unwrap();
        let mut threads = ParkedThreads::new();
        threads.park_more(64).unwrap();
        let after = read_status().unwrap();
        let grown = after.virtual_size.saturating_sub(before.virtual_size);
        assert!(grown >= 64 * MIB, "64 threads added only {grown} bytes");
        assert_eq!(threads.release(), 64);
    }

    #[test]
    fn every_added_task_starts_and_stays_pending() {
        let mut tasks = PendingTasks::new().unwrap();
        assert!(tasks.is_empty());
        assert_eq!(tasks.add(1_000), 1_000);
        assert_eq!(tasks.add(500), 1_500);
        assert_eq!(tasks.len(), 1_500);
    }

    #[test]
    fn a_pending_tasks_future_is_far_smaller_than_a_threads_stack() {
        let future = sleeper(Arc::default());
        let future_size = std::mem::size_of_val(&future) as u64;
        let stack = default_thread_stack(2).unwrap().expect("stack found");
        assert!(
            future_size * 1_000 < stack.size,
            "future {future_size} B, stack {} B",
            stack.size
        );
    }

    #[test]
    fn this_machine_allows_a_few_hundred_threads() {
        let count = safe_thread_count().expect("Linux has these files");
        assert!(count >= 250, "only {count} threads allowed");
    }
}
