//! How late a 1 ms nap ends when another task on the same one-thread runtime
//! blocks for 20 ms, directly or through `spawn_blocking`.
//!
//!     cargo bench -p ch08-use-cases --bench blocking

// ANCHOR: bench
use ch08_use_cases::blocking::{
    self, block_in_async, block_in_spawn_blocking, neighbour_trial,
};
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;
use tokio::runtime::Runtime;

/// Runs `iters` trials and returns the sum of the neighbour's nap times,
/// which is what criterion records instead of the wall time.
fn summed_naps<W: Future<Output = ()> + Send + 'static>(
    runtime: &Runtime,
    iters: u64,
    work: fn() -> W,
) -> Duration {
    runtime.block_on(async {
        let mut naps = Duration::ZERO;
        let mut pending = Vec::new();
        for _ in 0..iters {
            let (nap, work) = neighbour_trial(work()).await;
            naps += nap;
            pending.push(work);
        }
        // Pooled 20 ms blocks still running are awaited once per sample, not
        // per trial: otherwise each ~1 ms trial would cost 20 ms of wall time.
        for work in pending {
            work.await.unwrap();
        }
        naps
    })
}

fn neighbour(c: &mut Criterion) {
    let runtime = blocking::one_thread_runtime();
    let mut group = c.benchmark_group("blocking");
    group.bench_function("neighbour_blocked", |b| {
        b.iter_custom(|iters| summed_naps(&runtime, iters, block_in_async))
    });
    group.bench_function("neighbour_spawn_blocking", |b| {
        b.iter_custom(|iters| summed_naps(&runtime, iters, block_in_spawn_blocking))
    });
    group.finish();
}

criterion_group!(benches, neighbour);
criterion_main!(benches);
// ANCHOR_END: bench
