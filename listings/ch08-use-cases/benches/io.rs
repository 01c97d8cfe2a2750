//! Many waits and many connections, as tasks and as OS threads.
//!
//!     cargo bench -p ch08-use-cases --bench io

// ANCHOR: bench_waits
use ch08_use_cases::echo::{self, CLIENTS, MESSAGE_LEN, ROUNDS};
use ch08_use_cases::echo::{
    ClientThreads, PooledEchoServer, TaskEchoServer, ThreadEchoServer,
};
use ch08_use_cases::io::{
    self, WAIT, WAITERS, WaitingTasks, WaitingThreads, cpu_time_of,
};
use criterion::{Criterion, criterion_group, criterion_main};

fn io(c: &mut Criterion) {
    // Every waiter, server and client thread is started here, once, outside
    // the measured closures. Waiting needs no second thread; the echo server
    // gets one worker per core, as a real one would.
    let one = io::one_thread_runtime();
    let mut tasks = one.block_on(async { WaitingTasks::start(WAITERS) });
    let threads = WaitingThreads::start(WAITERS);
    let mut group = c.benchmark_group("io");
    // Wall time of one round: every waiter waits WAIT, all at once.
    group.bench_function("wait_threads", |b| b.iter(|| threads.wait_all(WAIT)));
    group.bench_function("wait_tasks", |b| {
        b.iter(|| one.block_on(tasks.wait_all(WAIT)))
    });
    // The same rounds, timed in CPU time (all threads of the process).
    group.bench_function("wait_threads_cpu", |b| {
        b.iter_custom(|iters| {
            let rounds = || {
                for _ in 0..iters {
                    threads.wait_all(WAIT);
                }
            };
            cpu_time_of(rounds).1
        })
    });
    group.bench_function("wait_tasks_cpu", |b| {
        b.iter_custom(|iters| {
            let rounds = || {
                one.block_on(async {
                    for _ in 0..iters {
                        tasks.wait_all(WAIT).await;
                    }
                })
            };
            cpu_time_of(rounds).1
        })
    });
    // The waiting threads are not needed for the echo servers.
    drop(threads);
    // ANCHOR_END: bench_waits

    // ANCHOR: bench_echo
    let many = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let task_server = many.block_on(TaskEchoServer::start()).unwrap();
    let thread_server = ThreadEchoServer::start().unwrap();
    let pooled_server = PooledEchoServer::start(CLIENTS).unwrap();
    let client_threads = ClientThreads::start(CLIENTS);
    // Each iteration: CLIENTS connections at once, ROUNDS round trips on
    // each, every connection closed on both ends before the next iteration.
    group.bench_function("echo_tasks", |b| {
        let addr = task_server.addr();
        b.iter(|| {
            many.block_on(echo::echo_tasks(addr, CLIENTS, ROUNDS, MESSAGE_LEN))
                .unwrap()
        })
    });
    // A new thread for every client and every connection.
    group.bench_function("echo_threads", |b| {
        let addr = thread_server.addr();
        b.iter(|| echo::echo_threads(addr, CLIENTS, ROUNDS, MESSAGE_LEN).unwrap())
    });
    // The same exchanges on threads that already exist.
    group.bench_function("echo_pooled_threads", |b| {
        let addr = pooled_server.addr();
        b.iter(|| client_threads.echo(addr, ROUNDS, MESSAGE_LEN).unwrap())
    });
    group.finish();
}

criterion_group!(benches, io);
criterion_main!(benches);
// ANCHOR_END: bench_echo
