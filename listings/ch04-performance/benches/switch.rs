//! `switch/*`: hand control to another unit and get it back, thread versus task.

use ch04_performance::switch::{self, TaskPingPong, ThreadPingPong};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Instant;
use tokio::runtime::Builder;

// ANCHOR: bench
fn bench(c: &mut Criterion) {
    // One runtime thread for both tasks, built once.
    let runtime = Builder::new_current_thread().build().unwrap();
    let mut group = c.benchmark_group("switch");

    // The partner thread is started once; an iteration is one round trip.
    let mut threads = ThreadPingPong::start();
    group.bench_function("thread_round_trip", |b| {
        b.iter(|| threads.round_trip(black_box(1)))
    });

    // The partner task is spawned once. The caller is a task too, so it moves
    // into a spawned batch of `iters` round trips and back out afterwards.
    let mut tasks = Some(runtime.block_on(async { TaskPingPong::start() }));
    group.bench_function("task_round_trip", |b| {
        b.iter_custom(|iters| {
            let mut pair = tasks.take().expect("the pair is back");
            let batch = runtime.spawn(async move {
                let start = Instant::now();
                for i in 0..iters {
                    black_box(pair.round_trip(black_box(i)).await);
                }
                (pair, start.elapsed())
            });
            let (pair, elapsed) = runtime.block_on(batch).unwrap();
            tasks = Some(pair);
            elapsed
        })
    });

    group.bench_function("thread_yield", |b| {
        b.iter(|| switch::yield_thread(black_box(1)))
    });
    group.bench_function("task_yield", |b| {
        b.iter_custom(|iters| {
            let batch = runtime.spawn(async move {
                let start = Instant::now();
                black_box(switch::yield_task(black_box(iters)).await);
                start.elapsed()
            });
            runtime.block_on(batch).unwrap()
        })
    });
    group.finish();
}
// ANCHOR_END: bench

criterion_group!(benches, bench);
criterion_main!(benches);
