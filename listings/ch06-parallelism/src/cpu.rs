//! One CPU-bound job, cut into independent chunks, run five ways. Every
//! variant returns the same checksum, so the benchmarks compare only *where*
//! the chunks ran.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::thread;
use tokio::runtime::{Builder, Runtime, RuntimeFlavor};

/// How many independent chunks the job is cut into.
pub const CHUNKS: usize = 16;

/// Rounds of xorshift per chunk. The `cpu` benchmark measures how long the
/// whole job takes on each variant; no figure is written here.
pub const ROUNDS: u32 = 1_000_000;

// ANCHOR: chunk
/// Pure integer work: `rounds` steps of the xorshift64 generator, seeded by
/// the chunk's number. Each step needs the previous one, so it cannot be
/// skipped or vectorised; `inline(never)` makes every variant below run this
/// very same machine code.
#[inline(never)]
pub fn chunk(index: usize, rounds: u32) -> u64 {
    let mut x = index as u64 + 1;
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// Folds the chunks' results; addition does not care in which order the
/// chunks finished.
fn combine(results: impl IntoIterator<Item = u64>) -> u64 {
    results.into_iter().fold(0, u64::wrapping_add)
}
// ANCHOR_END: chunk

/// The number of logical CPUs the process may use, as std reports it
/// (`available_parallelism`: it honours affinity masks and cgroup quotas).
pub fn cores() -> usize {
    thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// A runtime whose tasks all run on the thread that calls `block_on`.
pub fn current_thread_runtime() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

/// A work-stealing runtime with one worker thread per core.
pub fn multi_thread_runtime() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(cores())
        .build()
        .unwrap()
}

// ANCHOR: threads
/// Every chunk in turn, on the calling thread.
pub fn one_thread(chunks: usize, rounds: u32) -> u64 {
    combine((0..chunks).map(|i| chunk(i, rounds)))
}

/// The chunks shared out over one scoped OS thread per core. Each thread
/// takes the next chunk when it is done with one, so a thread that the OS
/// runs less often takes fewer, as a work-stealing runtime would arrange.
pub fn n_threads(chunks: usize, rounds: u32) -> u64 {
    let next = AtomicUsize::new(0);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..cores())
            .map(|_| {
                scope.spawn(|| {
                    // At most `chunks` claims, and each index is claimed once.
                    combine((0..chunks).map_while(|_| {
                        let i = next.fetch_add(1, Relaxed);
                        (i < chunks).then(|| chunk(i, rounds))
                    }))
                })
            })
            .collect();
        combine(handles.into_iter().map(|h| h.join().unwrap()))
    })
}
// ANCHOR_END: threads

// ANCHOR: tasks
/// One task per chunk on `runtime`: on a current_thread runtime they take
/// turns on one thread, on a multi_thread runtime the workers share them.
async fn chunk_tasks(chunks: usize, rounds: u32) -> u64 {
    let tasks: Vec<_> = (0..chunks)
        .map(|i| tokio::spawn(async move { chunk(i, rounds) }))
        .collect();
    let mut results = Vec::with_capacity(chunks);
    for task in tasks {
        results.push(task.await.unwrap());
    }
    combine(results)
}

/// The chunks as tasks on a one-thread runtime: concurrent, not parallel.
pub fn current_thread(runtime: &Runtime, chunks: usize, rounds: u32) -> u64 {
    debug_assert_eq!(
        runtime.handle().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
    runtime.block_on(chunk_tasks(chunks, rounds))
}

/// The chunks as tasks on a multi_thread runtime: one worker per core.
pub fn multi_thread(runtime: &Runtime, chunks: usize, rounds: u32) -> u64 {
    debug_assert_eq!(
        runtime.handle().runtime_flavor(),
        RuntimeFlavor::MultiThread
    );
    runtime.block_on(chunk_tasks(chunks, rounds))
}

/// The chunks on tokio's blocking pool, which has its own threads: run from
/// a current_thread runtime, so any speed-up comes from the pool alone.
pub fn spawn_blocking(runtime: &Runtime, chunks: usize, rounds: u32) -> u64 {
    runtime.block_on(async {
        let jobs: Vec<_> = (0..chunks)
            .map(|i| tokio::task::spawn_blocking(move || chunk(i, rounds)))
            .collect();
        let mut results = Vec::with_capacity(chunks);
        for job in jobs {
            results.push(job.await.unwrap());
        }
        combine(results)
    })
}
// ANCHOR_END: tasks

#[cfg(test)]
mod tests {
    use super::*;

    /// Few rounds: the tests check results, not speed.
    const TEST_ROUNDS: u32 = 10_000;

    #[test]
    fn a_chunk_is_the_xorshift64_generator() {
        // Marsaglia's xorshift64 (13, 7, 17) from seed 1, worked by hand.
        assert_eq!(chunk(0, 1), 0x4082_2041);
        assert_eq!(chunk(0, 0), 1);
        // A second round, where `|=` in place of `^=` would give another value.
        assert_eq!(chunk(0, 2), 0x1000_4106_0c01_1441);
        assert_ne!(chunk(0, TEST_ROUNDS), chunk(1, TEST_ROUNDS));
    }

    #[test]
    fn the_checksum_adds_the_chunks_results() {
        assert_eq!(one_thread(2, 1), chunk(0, 1).wrapping_add(chunk(1, 1)));
    }

    #[test]
    fn every_variant_computes_the_same_checksum() {
        let expected = one_thread(CHUNKS, TEST_ROUNDS);
        assert_ne!(expected, 0);
        let one = current_thread_runtime();
        let many = multi_thread_runtime();
        assert_eq!(n_threads(CHUNKS, TEST_ROUNDS), expected);
        assert_eq!(current_thread(&one, CHUNKS, TEST_ROUNDS), expected);
        assert_eq!(multi_thread(&many, CHUNKS, TEST_ROUNDS), expected);
        assert_eq!(spawn_blocking(&one, CHUNKS, TEST_ROUNDS), expected);
    }

    #[test]
    fn threads_compute_each_chunk_exactly_once_whatever_the_count() {
        for chunks in [0, 1, 3, 7, 17] {
            let expected = one_thread(chunks, TEST_ROUNDS);
            assert_eq!(n_threads(chunks, TEST_ROUNDS), expected, "{chunks} chunks");
        }
    }

    #[test]
    fn the_full_job_gives_the_same_checksum_everywhere() {
        // The size the benchmark runs, once, so the benchmark's job is known
        // to be correct too.
        let many = multi_thread_runtime();
        assert_eq!(
            n_threads(CHUNKS, ROUNDS),
            multi_thread(&many, CHUNKS, ROUNDS)
        );
    }
}
