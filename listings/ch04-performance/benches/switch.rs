//! `switch/*`: hand control to another unit and get it back, thread versus
//! task: message round trips and bare yields; and a stackful coroutine
//! resumed until it suspends again.
//!
//!     cargo bench -p ch04-performance --bench switch

use ch04_performance::switch::{
    self, CoroutinePingPong, TaskPingPong, ThreadPingPong,
};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Runtime};

type Group<'a> = BenchmarkGroup<'a, WallTime>;

// ANCHOR: round_trips
/// Message round trips over the same tokio channel on every side. Partners
/// and runtimes are started once, outside the measurements; one iteration
/// is one round trip.
fn round_trips(group: &mut Group<'_>, cpu: usize) {
    let mut threads = ThreadPingPong::start(None);
    group.bench_function("thread_round_trip", |b| {
        b.iter(|| threads.round_trip(black_box(1)))
    });
    // The caller and the partner both pinned to one CPU.
    switch::pinned(cpu, || {
        let mut pinned = ThreadPingPong::start(Some(cpu));
        group.bench_function("thread_round_trip_pinned", |b| {
            b.iter(|| pinned.round_trip(black_box(1)))
        });
        pinned.finish();
    });
    for (name, runtime) in [
        ("task_round_trip", Builder::new_current_thread().build()),
        (
            "task_round_trip_multi_thread",
            Builder::new_multi_thread().worker_threads(2).build(),
        ),
    ] {
        let runtime = runtime.unwrap();
        let mut pair = Some(runtime.block_on(async { TaskPingPong::start() }));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| time_task_round_trips(&runtime, &mut pair, iters))
        });
    }
}

/// Times `iters` task round trips from inside a task on `runtime`: the
/// caller is a task too, so it moves into a spawned batch and back out.
fn time_task_round_trips(
    runtime: &Runtime,
    pair: &mut Option<TaskPingPong>,
    iters: u64,
) -> Duration {
    let mut moved = pair.take().expect("the pair is back");
    let batch = runtime.spawn(async move {
        let start = Instant::now();
        for i in 0..iters {
            black_box(moved.round_trip(black_box(i)).await);
        }
        (moved, start.elapsed())
    });
    let (moved, elapsed) =
        runtime.block_on(batch).expect("the batch does not panic");
    *pair = Some(moved);
    elapsed
}
// ANCHOR_END: round_trips

// ANCHOR: coroutine_switches
/// One resume of a suspended coroutine, which runs until its next
/// `suspend`: there and back, on the caller's thread. Created once.
fn coroutine_switches(group: &mut Group<'_>) {
    let mut partner = CoroutinePingPong::start();
    group.bench_function("coroutine_resume_suspend", |b| {
        b.iter(|| partner.resume(black_box(1)))
    });
    partner.finish();
}
// ANCHOR_END: coroutine_switches

// ANCHOR: yields
/// Bare yields with nothing else ready to run: on a thread, in a task on a
/// runtime without drivers, and in a task on one with `enable_all()`.
fn yields(group: &mut Group<'_>) {
    group.bench_function("thread_yield", |b| {
        b.iter(|| switch::yield_thread(black_box(1)))
    });
    for (name, runtime) in [
        ("task_yield", Builder::new_current_thread().build()),
        (
            "task_yield_io_driver",
            Builder::new_current_thread().enable_all().build(),
        ),
    ] {
        let runtime = runtime.unwrap();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let batch = runtime.spawn(async move {
                    let start = Instant::now();
                    black_box(switch::yield_task(black_box(iters)).await);
                    start.elapsed()
                });
                runtime.block_on(batch).unwrap()
            })
        });
    }
}
// ANCHOR_END: yields

fn bench(c: &mut Criterion) {
    let cpu = switch::first_allowed_cpu();
    let mut group = c.benchmark_group("switch");
    round_trips(&mut group, cpu);
    coroutine_switches(&mut group);
    yields(&mut group);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
