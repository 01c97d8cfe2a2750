//! Threads that never yield, all pinned to one CPU: does each still get
//! turns?
//!
//!     cargo run -p ch02-scheduling --bin preempted_threads

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
/// How many spinning threads share the one CPU.
const SPINNERS: usize = 4;

/// Starts `SPINNERS` threads pinned to one CPU, which runs one at a time.
/// Once every one has counted, it notes the counts, waits until each has
/// counted again (or `deadline` passes) and returns the noted counts and
/// the last ones. `None` where a thread could not be pinned.
fn progress_on_one_cpu(deadline: Duration) -> Option<(Vec<u64>, Vec<u64>)> {
    let cpu = *core_affinity::get_core_ids()?.first()?;
    let counters: Vec<AtomicU64> =
        (0..SPINNERS).map(|_| AtomicU64::new(0)).collect();
    let (stop, unpinned) = (AtomicBool::new(false), AtomicBool::new(false));
    let counts = || counters.iter().map(|c| c.load(Relaxed)).collect::<Vec<_>>();
    let progress = thread::scope(|scope| {
        for counter in &counters {
            scope.spawn(|| {
                unpinned.fetch_or(!core_affinity::set_for_current(cpu), Relaxed);
                spin(counter, &stop);
            });
        }
        // This thread is not pinned: it only looks, once a millisecond.
        let started = Instant::now();
        let wait_until = |done: &dyn Fn(&[u64]) -> bool| {
            while !done(&counts()) && started.elapsed() < deadline {
                thread::sleep(Duration::from_millis(1));
            }
        };
        wait_until(&|now| now.iter().all(|&n| n > 0));
        let noted = counts();
        wait_until(&|now| now.iter().zip(&noted).all(|(n, m)| n > m));
        stop.store(true, Relaxed);
        (noted, counts())
    });
    (!unpinned.load(Relaxed)).then_some(progress)
}

fn main() {
    println!("spinning threads pinned to one CPU: {SPINNERS}");
    match progress_on_one_cpu(Duration::from_secs(30)) {
        Some((noted, last)) => println!(
            "each counted again while the others spun: {}",
            last.iter().zip(&noted).all(|(n, m)| n > m)
        ),
        None => println!("this system cannot pin threads"),
    }
}
// ANCHOR_END: run

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether this system lets a thread pin itself to one CPU, tried on a
    /// thread of its own. Where it does, the listing must manage it too.
    fn can_pin() -> bool {
        let Some(cpu) =
            core_affinity::get_core_ids().and_then(|ids| ids.first().copied())
        else {
            return false;
        };
        thread::spawn(move || core_affinity::set_for_current(cpu))
            .join()
            .unwrap()
    }

    /// `SPINNERS` threads on one CPU, none of which ever finishes or yields:
    /// after the note, each of them counting again means the CPU was taken
    /// from a spinner that still wanted it and given to another, which only
    /// the kernel can do. Without preemption, the first spinner to run after
    /// the note would keep the CPU, and the others would stay at their noted
    /// counts. The deadline is only a safety net.
    #[test]
    fn more_spinning_threads_than_cores_all_make_progress() {
        let deadline = Duration::from_secs(30);
        let started = Instant::now();
        let progress = progress_on_one_cpu(deadline);
        // The spinners must get their turns long before the safety net runs out.
        assert!(
            started.elapsed() < deadline,
            "no progress before the deadline"
        );
        assert_eq!(
            progress.is_some(),
            can_pin(),
            "pinned, or not, unlike a probe"
        );
        let Some((noted, last)) = progress else {
            book_skip::skip!(
                "more_spinning_threads_than_cores_all_make_progress",
                "this system would not pin a thread to one CPU",
            );
            return;
        };
        assert_eq!((noted.len(), last.len()), (SPINNERS, SPINNERS));
        assert!(
            noted.iter().all(|&n| n > 0),
            "the counts were noted before every spinner had run: {noted:?}"
        );
        assert!(
            last.iter().zip(&noted).all(|(n, m)| n > m),
            "a thread that never yields was never preempted: noted {noted:?}, then {last:?}"
        );
    }
}
