//! A counter that threads share: the lost update and its fix.

use crate::sync::atomic::{AtomicU64, Ordering::SeqCst};

// ANCHOR: counter
/// Counts hits from any number of threads.
pub struct HitCounter {
    hits: AtomicU64,
}

impl HitCounter {
    pub fn new() -> Self {
        HitCounter {
            hits: AtomicU64::new(0),
        }
    }

    /// Reads the count, then stores it plus one. Each step is atomic, but the
    /// pair is not: another thread can store between them, and then one of
    /// the two increments is lost.
    pub fn record_racy(&self) {
        let seen = self.hits.load(SeqCst);
        self.hits.store(seen + 1, SeqCst);
    }

    /// One atomic read-modify-write: no other thread can come in between.
    pub fn record(&self) {
        self.hits.fetch_add(1, SeqCst);
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(SeqCst)
    }
}
// ANCHOR_END: counter

impl Default for HitCounter {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::thread;

    /// The fixed counter on real threads, all started together so that
    /// their increments overlap: every hit is counted. (The racy counter is
    /// not tested here: on real threads it loses hits only sometimes, which
    /// is why the chapter checks it with loom.)
    #[test]
    fn record_counts_every_hit_from_every_thread() {
        const THREADS: u64 = 4;
        const HITS: u64 = 100_000;
        let counter = HitCounter::new();
        let start = Barrier::new(THREADS as usize);
        thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    start.wait();
                    (0..HITS).for_each(|_| counter.record());
                });
            }
        });
        assert_eq!(counter.hits(), THREADS * HITS);
    }
}
