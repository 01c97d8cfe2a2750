//! The units whose memory the probe measures: OS threads parked on a gate,
//! tokio tasks pending on a timer, and stackful coroutines suspended on
//! stacks of their own, all kept alive while `/proc` is read.

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Idle OS threads: each is blocked on a condition variable until released.
pub struct ParkedThreads {
    gate: Arc<Gate>,
    handles: Vec<std::thread::JoinHandle<()>>,
    /// `None` for Rust's default stack size.
    stack_size: Option<usize>,
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
    /// The address of a local of each parked thread: a place on its stack.
    stacks: Vec<u64>,
}

impl ParkedThreads {
    pub fn new() -> Self {
        ParkedThreads {
            gate: Arc::default(),
            handles: Vec::new(),
            stack_size: None,
        }
    }

    /// Threads started from now on get stacks of `bytes` (rounded up to
    /// what the platform allows) instead of Rust's default.
    pub fn with_stack_size(bytes: usize) -> Self {
        let mut threads = Self::new();
        threads.stack_size = Some(bytes);
        threads
    }

    // ANCHOR: park_more
    /// Starts `more` threads and returns once every thread started so far
    /// is parked. If the system refuses a thread, returns that error; the
    /// threads already started stay parked.
    pub fn park_more(&mut self, more: usize) -> std::io::Result<()> {
        let mut refused = None;
        for _ in 0..more {
            let gate = Arc::clone(&self.gate);
            let mut builder = std::thread::Builder::new();
            if let Some(bytes) = self.stack_size {
                builder = builder.stack_size(bytes);
            }
            match builder.spawn(move || gate.park()) {
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
    // ANCHOR_END: park_more

    /// How many threads are parked.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// An address on the stack of each parked thread.
    pub fn stacks(&self) -> Vec<u64> {
        self.gate.state.lock().unwrap().stacks.clone()
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
    // ANCHOR: park
    /// What each thread runs: check in, with an address on its own stack,
    /// then sleep until the gate opens.
    fn park(&self) {
        let on_the_stack = 0u8;
        let mut state = self.state.lock().unwrap();
        state.parked += 1;
        state.stacks.push((&raw const on_the_stack).addr() as u64);
        self.parked.notify_one();
        let _open = self.opened.wait_while(state, |s| !s.open).unwrap();
    }
    // ANCHOR_END: park

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

    // ANCHOR: pending_tasks
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
    // ANCHOR_END: pending_tasks

    /// How many tasks the runtime holds.
    pub fn len(&self) -> usize {
        self.runtime.metrics().num_alive_tasks()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// ANCHOR: coroutines
/// Stackful coroutines, each suspended on a stack of its own, all on the
/// thread that made them (a `Coroutine` is not `Send`).
pub struct SuspendedCoroutines {
    suspended: Vec<Coroutine<(), u64, (), DefaultStack>>,
    /// The address of a local of each suspended coroutine: a place on its
    /// stack.
    stacks: Vec<u64>,
    /// `None` for corosensei's default stack (`DefaultStack::default`).
    stack_size: Option<usize>,
}

impl SuspendedCoroutines {
    /// Creates `more` coroutines and resumes each once: it notes where its
    /// stack is and suspends, keeping that stack until it is resumed again.
    /// If the system refuses a stack, returns that error; the coroutines
    /// already made stay suspended.
    pub fn suspend_more(&mut self, more: usize) -> std::io::Result<()> {
        for _ in 0..more {
            let stack = match self.stack_size {
                Some(bytes) => DefaultStack::new(bytes)?,
                None => DefaultStack::default(),
            };
            let mut coroutine = Coroutine::with_stack(stack, |yielder, ()| {
                let on_the_stack = 0u8;
                yielder.suspend((&raw const on_the_stack).addr() as u64);
            });
            let CoroutineResult::Yield(address) = coroutine.resume(()) else {
                unreachable!("it suspends before it can return");
            };
            self.stacks.push(address);
            self.suspended.push(coroutine);
        }
        Ok(())
    }
}
// ANCHOR_END: coroutines

impl SuspendedCoroutines {
    pub fn new() -> Self {
        SuspendedCoroutines {
            suspended: Vec::new(),
            stacks: Vec::new(),
            stack_size: None,
        }
    }

    /// Coroutines made from now on get stacks of `bytes` (rounded up to
    /// whole pages, one guard page added) instead of corosensei's default.
    pub fn with_stack_size(bytes: usize) -> Self {
        let mut coroutines = Self::new();
        coroutines.stack_size = Some(bytes);
        coroutines
    }

    /// How many coroutines are suspended.
    pub fn len(&self) -> usize {
        self.suspended.len()
    }

    pub fn is_empty(&self) -> bool {
        self.suspended.is_empty()
    }

    /// An address on the stack of each suspended coroutine.
    pub fn stacks(&self) -> Vec<u64> {
        self.stacks.clone()
    }

    /// Resumes every coroutine to its end, frees its stack, and returns how
    /// many ended.
    pub fn release(self) -> usize {
        let mut ended = 0;
        for mut coroutine in self.suspended {
            if coroutine.resume(()).as_return().is_some() {
                ended += 1;
            }
        }
        ended
    }
}

impl Default for SuspendedCoroutines {
    fn default() -> Self {
        Self::new()
    }
}

/// The most coroutines worth suspending here: a quarter of what the
/// kernel's limit on memory maps allows at two maps per coroutine, its
/// stack and its guard page. `None` if unreadable.
pub fn safe_coroutine_count() -> Option<usize> {
    let maps: usize = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(maps / 2 / 4)
}

// ANCHOR: limits
/// The most threads worth parking here: a quarter of the smallest limit the
/// kernel puts on them (total threads, process ids, this user's processes,
/// and memory maps, four per thread: its stack and guard, and the small
/// stack std sets up for its stack-overflow handler, with a guard of its
/// own). `None` if unreadable.
pub fn safe_thread_count() -> Option<usize> {
    let read = |path: &str| std::fs::read_to_string(path).ok()?.trim().parse().ok();
    let user_processes =
        std::fs::read_to_string("/proc/self/limits")
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
        read("/proc/sys/vm/max_map_count")? / 4,
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
    use crate::alone;
    use crate::kernel::read_kernel_memory;
    use crate::maps::{StackMapping, mapping_resident, stack_mapping};
    use crate::rss::read_status;

    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;

    #[test]
    fn parked_threads_stay_alive_until_released() {
        let _alone = alone();
        let mut threads = ParkedThreads::new();
        assert!(threads.is_empty());
        threads.park_more(10).unwrap();
        assert!(!threads.is_empty());
        threads.park_more(6).unwrap();
        assert_eq!(threads.len(), 16);
        assert_eq!(threads.gate.state.lock().unwrap().parked, 16);
        assert_eq!(threads.stacks().len(), 16);
        assert_eq!(threads.release(), 16);
    }

    /// The mapping that holds each parked thread's stack.
    fn stack_mappings(threads: &ParkedThreads) -> Vec<StackMapping> {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let found = threads
            .stacks()
            .into_iter()
            .map(|a| stack_mapping(&maps, a));
        found
            .map(|mapping| mapping.expect("a mapping holds the stack"))
            .collect()
    }

    #[test]
    fn every_parked_thread_has_a_guarded_stack_mapping_of_its_own_of_the_default_size()
     {
        let _alone = alone();
        let mut threads = ParkedThreads::new();
        threads.park_more(32).unwrap();
        let stacks = stack_mappings(&threads);
        let mut starts: Vec<u64> = stacks.iter().map(|s| s.start).collect();
        starts.sort_unstable();
        starts.dedup();
        assert_eq!(starts.len(), 32, "{stacks:?}");
        // Rust's documented default, unless RUST_MIN_STACK asks for another.
        // A mapping merged with a neighbour would only look bigger.
        if std::env::var_os("RUST_MIN_STACK").is_none() {
            let smallest = stacks.iter().map(|s| s.size).min().unwrap();
            assert_eq!(smallest, 2 * MIB, "{stacks:?}");
        }
        assert!(stacks.iter().all(|s| s.guard >= 4 * KIB), "{stacks:?}");
        assert_eq!(threads.release(), 32);
    }

    #[test]
    fn a_thread_asked_for_a_small_stack_maps_only_that_much() {
        let _alone = alone();
        let mut threads = ParkedThreads::with_stack_size(64 * 1024);
        threads.park_more(32).unwrap();
        for stack in stack_mappings(&threads) {
            assert!((64 * KIB..128 * KIB).contains(&stack.size), "{stack:?}");
        }
        assert_eq!(threads.release(), 32);
    }

    #[test]
    fn every_added_task_starts_and_stays_pending() {
        let _alone = alone();
        let mut tasks = PendingTasks::new().unwrap();
        assert!(tasks.is_empty());
        assert_eq!(tasks.add(1_000), 1_000);
        assert_eq!(tasks.add(500), 1_500);
        assert_eq!(tasks.len(), 1_500);
        assert!(!tasks.is_empty());
    }

    /// Resident bytes each of `n` more threads adds, after a first round of
    /// threads has set up what the C library keeps for threads.
    fn resident_per_thread(n: usize) -> u64 {
        ParkedThreads::new().park_more(32).unwrap();
        let mut threads = ParkedThreads::new();
        let before = read_status().unwrap().resident;
        threads.park_more(n).unwrap();
        let after = read_status().unwrap().resident;
        threads.release();
        after.saturating_sub(before) / n as u64
    }

    /// The same for pending tasks, after a first batch.
    fn resident_per_task(n: usize) -> u64 {
        let mut tasks = PendingTasks::new().unwrap();
        tasks.add(n / 10);
        let before = read_status().unwrap().resident;
        tasks.add(n);
        let after = read_status().unwrap().resident;
        after.saturating_sub(before) / n as u64
    }

    #[test]
    fn a_pending_task_keeps_far_less_resident_memory_than_a_parked_thread() {
        let _alone = alone();
        let thread = resident_per_thread(256);
        let task = resident_per_task(4_096);
        // A thread keeps at least the pages of its stack it has touched.
        assert!(thread >= 4 * KIB, "thread {thread} B");
        assert!(thread >= 8 * task, "thread {thread} B, task {task} B");
    }

    #[test]
    fn each_parked_thread_adds_kernel_memory_that_its_resident_size_leaves_out() {
        let _alone = alone();
        let n = 256;
        let (status, kernel) =
            (read_status().unwrap(), read_kernel_memory(5).unwrap());
        let mut threads = ParkedThreads::new();
        threads.park_more(n).unwrap();
        let (status_after, kernel_after) =
            (read_status().unwrap(), read_kernel_memory(5).unwrap());
        threads.release();
        let per_thread =
            |before: u64, after: u64| after.saturating_sub(before) / n as u64;
        // x86_64 and AArch64 kernels give each thread a 16 KiB stack of their
        // own; the bound leaves room for other processes ending threads.
        let kernel_stack =
            per_thread(kernel.kernel_stack, kernel_after.kernel_stack);
        assert!(kernel_stack >= 8 * KIB, "{kernel_stack} B per thread");
        // Each default stack sits in its own 2 MiB region, which needs a
        // page table of its own once touched: 4 KiB on x86_64.
        let page_tables = per_thread(status.page_tables, status_after.page_tables);
        assert!(page_tables >= 2 * KIB, "{page_tables} B per thread");
    }

    /// What each of `n` parked threads added, per thread, all read as the
    /// change over the same interval, for the same threads.
    #[derive(Debug)]
    struct Added {
        /// Newly resident bytes in the threads' own stack mappings (a stack
        /// reused from the C library's cache counts only what it newly
        /// touched), where the C library also keeps its record of a thread.
        user_stack: u64,
        /// The kernel's stack for the thread.
        kernel_stack: u64,
        /// The process's resident size, the user stack included.
        resident: u64,
        page_tables: u64,
        /// The kernel's unreclaimable slab (`task_struct` and more).
        slab: u64,
    }

    impl Added {
        /// Everything else the threads added: other resident pages, page
        /// tables and slab.
        fn rest(&self) -> u64 {
            self.resident.saturating_sub(self.user_stack)
                + self.page_tables
                + self.slab
        }
    }

    fn added_by_parked_threads(n: usize) -> Added {
        // As in `resident_per_thread`: let the C library set up first.
        ParkedThreads::new().park_more(32).unwrap();
        let smaps_before = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let (status, kernel) =
            (read_status().unwrap(), read_kernel_memory(5).unwrap());
        let mut threads = ParkedThreads::new();
        threads.park_more(n).unwrap();
        let (status_after, kernel_after) =
            (read_status().unwrap(), read_kernel_memory(5).unwrap());
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut starts: Vec<u64> =
            stack_mappings(&threads).iter().map(|s| s.start).collect();
        starts.sort_unstable();
        starts.dedup();
        let newly_resident: u64 = starts
            .iter()
            .map(|&start| {
                let after =
                    mapping_resident(&smaps, start).expect("in smaps").resident;
                let before =
                    mapping_resident(&smaps_before, start).map_or(0, |m| m.resident);
                after.saturating_sub(before)
            })
            .sum();
        threads.release();
        let n = n as u64;
        let per_thread = |before: u64, after: u64| after.saturating_sub(before) / n;
        Added {
            user_stack: newly_resident / n,
            kernel_stack: per_thread(kernel.kernel_stack, kernel_after.kernel_stack),
            resident: per_thread(status.resident, status_after.resident),
            page_tables: per_thread(status.page_tables, status_after.page_tables),
            slab: per_thread(
                kernel.slab_unreclaimable,
                kernel_after.slab_unreclaimable,
            ),
        }
    }

    #[test]
    fn most_of_what_a_parked_thread_adds_is_its_two_stacks() {
        let _alone = alone();
        let added = added_by_parked_threads(256);
        // Each half on its own: a parked thread has touched at least one
        // page of its own stack (its frames and the C library's record),
        // and the kernel has given it a stack (16 KiB on x86_64 and
        // AArch64; the bound leaves room for other processes' threads).
        assert!(added.user_stack >= 4 * KIB, "{added:?}");
        assert!(added.kernel_stack >= 8 * KIB, "{added:?}");
        assert!(added.user_stack <= added.resident, "{added:?}");
        let rest = added.rest();
        assert!(
            added.user_stack + added.kernel_stack > rest,
            "rest {rest} B, {added:?}"
        );
    }

    #[test]
    fn a_parked_threads_kernel_stack_outweighs_what_it_touched_of_its_own() {
        let _alone = alone();
        let added = added_by_parked_threads(256);
        assert!(added.user_stack >= 4 * KIB, "{added:?}");
        assert!(added.kernel_stack > added.user_stack, "{added:?}");
    }

    /// The mapping that holds each suspended coroutine's stack, found from
    /// the address of a local on it.
    fn coroutine_stacks(coroutines: &SuspendedCoroutines) -> Vec<StackMapping> {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let found = coroutines
            .stacks()
            .into_iter()
            .map(|a| stack_mapping(&maps, a));
        found
            .map(|mapping| mapping.expect("a mapping holds the stack"))
            .collect()
    }

    const PAGE: u64 = 4 * KIB; // x86_64 and most AArch64 Linux kernels

    #[test]
    fn every_suspended_coroutine_has_a_stack_mapping_of_its_own_of_the_size_asked_and_one_guard_page()
     {
        let _alone = alone();
        for (mut coroutines, size) in [
            (SuspendedCoroutines::new(), MIB),
            (SuspendedCoroutines::with_stack_size(16 * 1024), 16 * KIB),
        ] {
            assert!(coroutines.is_empty());
            coroutines.suspend_more(32).unwrap();
            assert_eq!(coroutines.len(), 32);
            let stacks = coroutine_stacks(&coroutines);
            let mut starts: Vec<u64> = stacks.iter().map(|s| s.start).collect();
            starts.sort_unstable();
            starts.dedup();
            assert_eq!(starts.len(), 32, "{stacks:?}");
            // A mapping merged with a neighbour would only look bigger, and
            // a guard page merged with an inaccessible neighbour too.
            assert_eq!(
                stacks.iter().map(|s| s.size).min(),
                Some(size),
                "{stacks:?}"
            );
            assert_eq!(
                stacks.iter().map(|s| s.guard).min(),
                Some(PAGE),
                "{stacks:?}"
            );
            assert_eq!(coroutines.release(), 32);
        }
    }

    #[test]
    fn a_suspended_coroutine_keeps_resident_a_small_part_of_the_stack_it_reserves() {
        let _alone = alone();
        let n = 1_000;
        let mut coroutines = SuspendedCoroutines::new();
        let before = read_status().unwrap();
        coroutines.suspend_more(n).unwrap();
        let after = read_status().unwrap();
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let in_own_stacks: Vec<u64> = coroutine_stacks(&coroutines)
            .into_iter()
            .map(|stack| {
                mapping_resident(&smaps, stack.start)
                    .expect("in smaps")
                    .resident
            })
            .collect();
        coroutines.release();
        let per = |before: u64, after: u64| after.saturating_sub(before) / n as u64;
        let reserved = per(before.virtual_size, after.virtual_size);
        let resident = per(before.resident, after.resident);
        // Each has touched at least a page of its own stack, read from its
        // own mapping, and reserved about the whole of it: the process's
        // figures also move with what the test harness maps and frees
        // meanwhile, hence the eighth left for that.
        let touched = in_own_stacks.iter().min().unwrap();
        assert!(*touched >= PAGE, "{touched} B in its own stack");
        assert!(reserved >= MIB - MIB / 8, "{reserved} B reserved");
        // In its own stack and in the whole process, each keeps resident a
        // small part of that: a few pages (it touches about one), under
        // what a parked thread costs with its kernel stack. The process's
        // figure also holds the coroutine's handle and the harness's own
        // allocations, which the few pages leave room for.
        let in_own_stack = in_own_stacks.iter().sum::<u64>() / n as u64;
        assert!(
            in_own_stack <= 16 * KIB,
            "{in_own_stack} B in its own stack"
        );
        assert!(resident <= 16 * KIB, "{resident} B resident per coroutine");
    }

    #[test]
    fn suspended_coroutines_add_no_kernel_stack() {
        let _alone = alone();
        let n = 2_000;
        let before = read_kernel_memory(5).unwrap();
        let mut coroutines = SuspendedCoroutines::new();
        coroutines.suspend_more(n).unwrap();
        let after = read_kernel_memory(5).unwrap();
        assert_eq!(coroutines.release(), n);
        // A thread gets a 16 KiB kernel stack; the bound leaves room for
        // other processes starting threads meanwhile (about 250 of them).
        let per_coroutine =
            after.kernel_stack.saturating_sub(before.kernel_stack) / n as u64;
        assert!(per_coroutine < 2 * KIB, "{per_coroutine} B per coroutine");
    }

    #[test]
    fn this_machine_allows_a_few_thousand_coroutines() {
        let count = safe_coroutine_count().expect("Linux has this file");
        assert!(count >= 4_000, "only {count} coroutines allowed");
    }

    #[test]
    fn this_machine_allows_a_few_hundred_threads() {
        let count = safe_thread_count().expect("Linux has these files");
        assert!(count >= 250, "only {count} threads allowed");
    }
}
