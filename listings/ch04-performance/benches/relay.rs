//! `relay/*`: a byte passed along a chain of units over Unix sockets, where
//! IO readiness drives every hand-over. Not run in CI: it backs no claim.
//!
//!     cargo bench -p ch04-performance --bench relay

use ch04_performance::relay::{STAGES, TaskRelay, ThreadRelay};
use ch04_performance::switch;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tokio::runtime::Builder;

// ANCHOR: relay
/// The relay: one iteration passes a byte through all `STAGES`, and the time
/// is divided by `STAGES`, so the figure is one hop from stage to stage.
fn bench(c: &mut Criterion) {
    let cpu = switch::first_allowed_cpu();
    let mut group = c.benchmark_group("relay");
    let per_hop = |elapsed: Duration| elapsed / STAGES as u32;
    let mut threads = ThreadRelay::start(STAGES, None);
    group.bench_function("hop_threads", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            (0..iters).for_each(|_| _ = black_box(threads.pass(black_box(1))));
            per_hop(start.elapsed())
        })
    });
    switch::pinned(cpu, || {
        let mut pinned = ThreadRelay::start(STAGES, Some(cpu));
        group.bench_function("hop_threads_pinned", |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                (0..iters).for_each(|_| _ = black_box(pinned.pass(black_box(1))));
                per_hop(start.elapsed())
            })
        });
        pinned.finish();
    });
    let with_io = Builder::new_current_thread().enable_all().build().unwrap();
    let mut tasks = Some(with_io.block_on(async { TaskRelay::start(STAGES) }));
    group.bench_function("hop_tasks", |b| {
        b.iter_custom(|iters| {
            let mut moved = tasks.take().expect("the relay is back");
            let batch = with_io.spawn(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(moved.pass(black_box(1)).await);
                }
                (moved, start.elapsed())
            });
            let (moved, elapsed) = with_io.block_on(batch).unwrap();
            tasks = Some(moved);
            per_hop(elapsed)
        })
    });
    group.finish();
}
// ANCHOR_END: relay

criterion_group!(benches, bench);
criterion_main!(benches);
