// ANCHOR: all
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: spin
/// Counts until told to stop. Nothing in the loop sleeps, blocks or yields:
/// the thread never offers its CPU to anyone.
fn spin(counter: &AtomicU64, stop: &AtomicBool) {
    while !stop.load(Relaxed) {
        counter.fetch_add(1, Relaxed);
    }
}
// ANCHOR_END: spin

// ANCHOR: run
/// Starts `spinners` threads and waits until each has counted at least once
/// (or `deadline` passes), then stops them and returns their counts.
fn run_spinners(spinners: usize, deadline: Duration) -> Vec<u64> {
    let counters: Vec<AtomicU64> = (0..spinners).map(|_| AtomicU64::new(0)).collect();
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        for counter in &counters {
            scope.spawn(|| spin(counter, &stop));
        }
        // This thread needs CPU time too, while every core is busy spinning.
        let started = Instant::now();
        while counters.iter().any(|c| c.load(Relaxed) == 0) && started.elapsed() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        stop.store(true, Relaxed);
    });
    counters.iter().map(|c| c.load(Relaxed)).collect()
}

fn main() {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let counts = run_spinners(4 * cores, Duration::from_secs(30));
    let progressed = counts.iter().filter(|&&n| n > 0).count();
    println!("spinning threads: 4 per core");
    println!(
        "threads that made progress: all = {}",
        progressed == counts.len()
    );
}
// ANCHOR_END: run
// ANCHOR_END: all

#[cfg(test)]
mod tests {
    use super::*;

    /// Four spinners per core: at most one per core can run at a time, and
    /// none ever finishes or yields, so every count above zero is CPU time
    /// the kernel took away from another spinner. The deadline is generous;
    /// on an idle machine the loop ends within milliseconds.
    #[test]
    fn more_spinning_threads_than_cores_all_make_progress() {
        let cores = thread::available_parallelism().unwrap().get();
        let counts = run_spinners(4 * cores, Duration::from_secs(30));
        assert_eq!(counts.len(), 4 * cores);
        assert!(
            counts.iter().all(|&n| n > 0),
            "a thread that never yields was never preempted: {counts:?}"
        );
    }
}
