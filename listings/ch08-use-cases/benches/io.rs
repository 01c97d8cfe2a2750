//! Many waits and many connections, as tasks and as OS threads.

// ANCHOR: bench
use ch08_use_cases::echo::{self, CLIENTS, MESSAGE_LEN, ROUNDS, TaskEchoServer, ThreadEchoServer};
use ch08_use_cases::io::{self, WAIT, WAITERS};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn io(c: &mut Criterion) {
    // Set up once, outside the measured closures. Sleeping needs no second
    // thread; the echo server gets one worker per core, as a real one would.
    let one = io::one_thread_runtime();
    let many = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let task_server = many.block_on(TaskEchoServer::start()).unwrap();
    let thread_server = ThreadEchoServer::start().unwrap();

    let mut group = c.benchmark_group("io");
    group.bench_function("sleep_tasks", |b| {
        b.iter(|| one.block_on(io::sleep_tasks(black_box(WAITERS), WAIT)))
    });
    group.bench_function("sleep_threads", |b| {
        b.iter(|| io::sleep_threads(black_box(WAITERS), WAIT))
    });
    // Each iteration opens CLIENTS connections, does ROUNDS round trips on
    // each and closes them all; every client thread is joined.
    group.bench_function("echo_tasks", |b| {
        let addr = task_server.addr();
        b.iter(|| {
            many.block_on(echo::echo_tasks(addr, CLIENTS, ROUNDS, MESSAGE_LEN))
                .unwrap()
        })
    });
    group.bench_function("echo_threads", |b| {
        let addr = thread_server.addr();
        b.iter(|| echo::echo_threads(addr, CLIENTS, ROUNDS, MESSAGE_LEN).unwrap())
    });
    group.finish();
}

criterion_group!(benches, io);
criterion_main!(benches);
// ANCHOR_END: bench
