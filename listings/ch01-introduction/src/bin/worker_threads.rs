//! A few OS threads each compute a small sum; `main` joins them and prints
//! their reports in a fixed order.
//!
//!     cargo run -p ch01-introduction --bin worker_threads

use std::thread;

/// How many threads `main` starts.
const WORKERS: u64 = 4;

// ANCHOR: worker
/// The job each thread runs: a small sum. It returns its report instead of
/// printing it, so that `main`, not the kernel, decides the order of lines.
fn worker(id: u64) -> Vec<String> {
    let me = thread::current();
    let name = me.name().unwrap_or("unnamed");
    let last = id * 1_000;
    let sum: u64 = (1..=last).sum();
    vec![
        format!("worker {id} ran on thread `{name}`"),
        format!("worker {id}: 1 + 2 + ... + {last} = {sum}"),
    ]
}
// ANCHOR_END: worker

// ANCHOR: run
/// Starts one named OS thread per worker, then waits for each in turn.
fn run_workers(count: u64) -> Vec<Vec<String>> {
    let handles: Vec<_> = (1..=count)
        .map(|id| {
            thread::Builder::new()
                .name(format!("worker-{id}"))
                .spawn(move || worker(id))
                .expect("the OS refused to start a thread")
        })
        .collect();
    // Joining in the order of starting fixes the order of the reports,
    // whatever order the threads actually ran in.
    handles
        .into_iter()
        .map(|handle| handle.join().expect("a worker panicked"))
        .collect()
}

fn main() {
    for report in run_workers(WORKERS) {
        for line in report {
            println!("{line}");
        }
    }
    println!("all {WORKERS} workers finished");
}
// ANCHOR_END: run

#[cfg(test)]
mod tests {
    use super::*;

    /// One report per worker, in worker order, each naming the thread
    /// started for that worker (not `main`'s) and holding that worker's sum.
    #[test]
    fn each_report_names_the_thread_started_for_it_and_comes_back_in_order() {
        let reports = run_workers(WORKERS);
        assert_eq!(reports.len(), 4);
        for (id, report) in (1..=WORKERS).zip(&reports) {
            let last = id * 1_000;
            let sum = last * (last + 1) / 2;
            assert_eq!(
                report,
                &[
                    format!("worker {id} ran on thread `worker-{id}`"),
                    format!("worker {id}: 1 + 2 + ... + {last} = {sum}"),
                ]
            );
        }
        assert_eq!(reports[2][1], "worker 3: 1 + 2 + ... + 3000 = 4501500");
    }

    /// The report names whichever thread runs the function.
    #[test]
    fn the_report_names_the_thread_that_ran_the_worker() {
        let report = thread::Builder::new()
            .name("elsewhere".into())
            .spawn(|| worker(1))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(report[0], "worker 1 ran on thread `elsewhere`");
    }
}
