//! `scale/*`: start n units, all alive at once, and wait for them all:
//! threads, tasks, and stackful coroutines on stacks of the default size.
//! Not run in CI: the largest sizes take seconds per sample.
//!
//!     cargo bench -p ch04-performance --bench scale

use ch04_performance::scale::{self, Limit};
use criterion::{
    BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main,
};
use std::hint::black_box;
use std::time::Instant;
use tokio::runtime::Builder;

// ANCHOR: bench
const THREAD_COUNTS: [usize; 5] = [1, 10, 100, 1_000, 10_000];
const TASK_COUNTS: [usize; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
const COROUTINE_COUNTS: [usize; 6] = [1, 10, 100, 1_000, 10_000, 100_000];

/// Whether `n` more units fit in `tightest`; if not, says so and which limit.
fn fits(series: &str, n: usize, tightest: &Limit) -> bool {
    let (name, limit, in_use) = (tightest.name, tightest.limit, tightest.in_use);
    let fits = n <= tightest.room();
    if !fits {
        println!("scale/{series}/{n}: skipped: {name} is {limit}, {in_use} in use");
    }
    fits
}

fn bench(c: &mut Criterion) {
    // A count the kernel's limits do not allow is skipped, and says why.
    let tightest = scale::tightest_limit().expect("Linux /proc");
    let for_coroutines =
        scale::tightest_coroutine_limit(1024 * 1024).expect("Linux /proc");
    let runtime = Builder::new_current_thread().build().unwrap();

    let mut group = c.benchmark_group("scale");
    // One iteration is already n units: few samples of one size each.
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for n in THREAD_COUNTS
        .into_iter()
        .filter(|&n| fits("threads", n, &tightest))
    {
        group.bench_with_input(BenchmarkId::new("threads", n), &n, |b, &n| {
            b.iter(|| scale::threads(black_box(n)))
        });
    }
    for n in TASK_COUNTS {
        group.bench_with_input(BenchmarkId::new("tasks", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                let batch = runtime.spawn(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(scale::tasks(black_box(n)).await);
                    }
                    start.elapsed()
                });
                runtime.block_on(batch).unwrap()
            })
        });
    }
    let coroutine_counts = COROUTINE_COUNTS.into_iter();
    for n in coroutine_counts.filter(|&n| fits("coroutines", n, &for_coroutines)) {
        group.bench_with_input(BenchmarkId::new("coroutines", n), &n, |b, &n| {
            b.iter(|| scale::coroutines(black_box(n)))
        });
    }
    group.finish();
}
// ANCHOR_END: bench

criterion_group!(benches, bench);
criterion_main!(benches);
