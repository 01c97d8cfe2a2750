//! The same CPU-bound job on one thread, on a thread per core, on tasks of a
//! current_thread and of a multi_thread runtime, and on the blocking pool.
//!
//!     cargo bench -p ch06-parallelism --bench cpu

// ANCHOR: bench
use ch06_parallelism::cpu::{self, CHUNKS, ROUNDS};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn cpu(c: &mut Criterion) {
    // Runtimes are built once, outside the measured closures.
    let one = cpu::current_thread_runtime();
    let many = cpu::multi_thread_runtime();
    let mut group = c.benchmark_group("cpu");
    group.bench_function("one_thread", |b| {
        b.iter(|| cpu::one_thread(black_box(CHUNKS), black_box(ROUNDS)))
    });
    group.bench_function("n_threads", |b| {
        b.iter(|| cpu::n_threads(black_box(CHUNKS), black_box(ROUNDS)))
    });
    group.bench_function("current_thread", |b| {
        b.iter(|| cpu::current_thread(&one, black_box(CHUNKS), black_box(ROUNDS)))
    });
    group.bench_function("multi_thread", |b| {
        b.iter(|| cpu::multi_thread(&many, black_box(CHUNKS), black_box(ROUNDS)))
    });
    group.bench_function("spawn_blocking", |b| {
        b.iter(|| cpu::spawn_blocking(&one, black_box(CHUNKS), black_box(ROUNDS)))
    });
    group.finish();
}

criterion_group!(benches, cpu);
criterion_main!(benches);
// ANCHOR_END: bench
