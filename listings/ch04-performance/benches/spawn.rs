//! `spawn/*`: start one unit of work and wait for it, thread versus task
//! versus stackful coroutine, and beside them, hand the same work to a thread
//! that already runs.
//!
//!     cargo bench -p ch04-performance --bench spawn

use ch04_performance::spawn::{self, Worker};
use corosensei::stack::DefaultStack;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Runtime};

// ANCHOR: bench
/// Times `iters` spawn-and-await pairs, one after another, from inside a task
/// on `runtime`. One `block_on` per batch rather than per spawn, so the cost
/// of entering the runtime from outside stays out of the figure: async code
/// spawns from inside the runtime.
fn time_tasks(runtime: &Runtime, iters: u64) -> Duration {
    let batch = runtime.spawn(async move {
        let start = Instant::now();
        for i in 0..iters {
            let input = black_box(i);
            black_box(spawn::task(async move { input + 1 }).await);
        }
        start.elapsed()
    });
    runtime.block_on(batch).expect("the batch does not panic")
}

fn bench(c: &mut Criterion) {
    // Runtimes and the worker are built once, outside every measurement.
    let current_thread = Builder::new_current_thread().build().unwrap();
    let multi_thread = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let worker = Worker::start();

    let mut group = c.benchmark_group("spawn");
    group.bench_function("thread", |b| {
        b.iter(|| {
            let input = black_box(1u64);
            spawn::thread(move || input + 1)
        })
    });
    group.bench_function("scoped_thread", |b| {
        b.iter(|| spawn::scoped_thread(black_box(&1)))
    });
    group.bench_function("worker", |b| {
        b.iter(|| {
            let input = black_box(1u64);
            worker.run(move || input + 1)
        })
    });
    group.bench_function("task_current_thread", |b| {
        b.iter_custom(|iters| time_tasks(&current_thread, iters))
    });
    group.bench_function("task_multi_thread", |b| {
        b.iter_custom(|iters| time_tasks(&multi_thread, iters))
    });
    coroutines(&mut group);
    group.finish();
    worker.finish();
}
// ANCHOR_END: bench

// ANCHOR: coroutine_bench
/// Create a coroutine, resume it until it returns, drop it: on a stack of
/// corosensei's default size and on a small one, each mapped and unmapped
/// every time, and on one stack mapped once and reused.
fn coroutines(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.bench_function("coroutine", |b| {
        b.iter(|| {
            let input = black_box(1u64);
            spawn::coroutine(move || input + 1)
        })
    });
    group.bench_function("coroutine_small_stack", |b| {
        b.iter(|| {
            let input = black_box(1u64);
            spawn::coroutine_small_stack(move || input + 1)
        })
    });
    let mut stack = Some(DefaultStack::default());
    group.bench_function("coroutine_reused_stack", |b| {
        b.iter(|| {
            let input = black_box(1u64);
            let reused = stack.take().expect("the stack is back");
            let (result, reused) = spawn::coroutine_on(reused, move || input + 1);
            stack = Some(reused);
            result
        })
    });
}
// ANCHOR_END: coroutine_bench

criterion_group!(benches, bench);
criterion_main!(benches);
