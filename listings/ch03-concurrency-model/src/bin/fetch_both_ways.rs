//! One job written both ways: ask two slow sources for a number each and
//! add the answers, once with blocking calls on two threads, once with
//! `async` and `tokio::join!` on one thread, and once awaiting one source
//! after the other.
//!
//!     cargo run -p ch03-concurrency-model --bin fetch_both_ways

use std::collections::HashSet;
use std::sync::Mutex;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

/// What happened, in order, and on which thread.
#[derive(Default)]
struct Log(Mutex<Vec<(String, ThreadId)>>);

impl Log {
    fn record(&self, what: String) {
        self.0.lock().unwrap().push((what, thread::current().id()));
    }

    fn events(&self) -> Vec<String> {
        let events = self.0.lock().unwrap();
        events.iter().map(|(what, _)| what.clone()).collect()
    }

    fn threads(&self) -> HashSet<ThreadId> {
        self.0.lock().unwrap().iter().map(|&(_, id)| id).collect()
    }
}

/// A duration in milliseconds, rounded down to a multiple of 100, so that
/// the printed output is the same from run to run.
fn about(elapsed: Duration) -> u128 {
    elapsed.as_millis() / 100 * 100
}

// ANCHOR: sources
/// A slow source of one number: it answers `value` after `delay`.
#[derive(Clone, Copy)]
struct Source {
    name: &'static str,
    delay: Duration,
    value: u32,
}

/// The slower source is asked first, so its answer comes last.
const FIRST: Source = Source {
    name: "first",
    delay: Duration::from_millis(300),
    value: 12,
};
const SECOND: Source = Source {
    name: "second",
    delay: Duration::from_millis(200),
    value: 30,
};
// ANCHOR_END: sources

// ANCHOR: blocking
/// Blocking: the calling thread sleeps inside this call until the answer
/// is there. Nothing else can run on that thread meanwhile.
fn ask_blocking(source: Source, log: &Log) -> u32 {
    log.record(format!("{} asks", source.name));
    thread::sleep(source.delay);
    log.record(format!("{} answers", source.name));
    source.value
}

/// Waiting for two sources at once takes two threads, each blocked in its
/// own call; joining them collects the answers.
fn total_with_threads(log: &Log) -> u32 {
    thread::scope(|scope| {
        let first = scope.spawn(|| ask_blocking(FIRST, log));
        let second = scope.spawn(|| ask_blocking(SECOND, log));
        first.join().unwrap() + second.join().unwrap()
    })
}
// ANCHOR_END: blocking

// ANCHOR: non_blocking
/// Non-blocking: the same three steps, read top to bottom. The `.await`
/// returns the thread to the executor until the timer has fired.
async fn ask(source: Source, log: &Log) -> u32 {
    log.record(format!("{} asks", source.name));
    tokio::time::sleep(source.delay).await;
    log.record(format!("{} answers", source.name));
    source.value
}

/// Two sources at once on one thread: `join!` polls both futures, so both
/// timers run while this one task waits.
async fn total_with_join(log: &Log) -> u32 {
    let (first, second) = tokio::join!(ask(FIRST, log), ask(SECOND, log));
    first + second
}

/// Also non-blocking, but it asks the second source only once the first
/// has answered: `.await` waits, it does not start anything else.
async fn total_one_after_the_other(log: &Log) -> u32 {
    ask(FIRST, log).await + ask(SECOND, log).await
}
// ANCHOR_END: non_blocking

fn main() {
    let log = Log::default();
    let start = Instant::now();
    let total = total_with_threads(&log);
    let (elapsed, threads) = (about(start.elapsed()), log.threads().len());
    println!("two threads: {total} after about {elapsed} ms, on {threads} threads");

    // One thread for every task, so nothing can run in parallel.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let log = Log::default();
        let start = Instant::now();
        let total = total_with_join(&log).await;
        let (elapsed, threads) = (about(start.elapsed()), log.threads().len());
        println!(
            "join!:       {total} after about {elapsed} ms, on {threads} thread"
        );
        println!("             {}", log.events().join(", "));

        let log = Log::default();
        let start = Instant::now();
        let total = total_one_after_the_other(&log).await;
        let (elapsed, threads) = (about(start.elapsed()), log.threads().len());
        println!(
            "in series:   {total} after about {elapsed} ms, on {threads} thread"
        );
        println!("             {}", log.events().join(", "));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOTAL: u32 = FIRST.value + SECOND.value;

    #[test]
    fn the_threads_wait_on_two_threads_other_than_the_callers() {
        let log = Log::default();
        let started = Instant::now();
        assert_eq!(total_with_threads(&log), TOTAL);
        let elapsed = started.elapsed();
        let threads = log.threads();
        assert_eq!(threads.len(), 2);
        assert!(!threads.contains(&thread::current().id()));
        // The waits overlapped: both sources were asked before either
        // answered ...
        let events = log.events();
        let at = |event: &str| events.iter().position(|e| e == event).unwrap();
        let last_question = at("first asks").max(at("second asks"));
        let first_answer = at("first answers").min(at("second answers"));
        assert!(last_question < first_answer, "{events:?}");
        // ... and the whole took the slower wait, well short of the two
        // waits one after the other (half the shorter one to spare).
        assert!(elapsed >= FIRST.delay, "{elapsed:?}");
        let margin = SECOND.delay / 2;
        assert!(
            elapsed + margin < FIRST.delay + SECOND.delay,
            "{elapsed:?}: the waits did not overlap"
        );
    }

    /// The test runtime is a `current_thread` one with its clock paused:
    /// time jumps to the next timer whenever every task is waiting, so the
    /// elapsed time is exact and the test takes no real time.
    #[tokio::test(start_paused = true)]
    async fn join_waits_for_both_sources_at_once_on_one_thread() {
        let log = Log::default();
        let started = tokio::time::Instant::now();
        assert_eq!(total_with_join(&log).await, TOTAL);
        // The two waits overlapped: the slower one alone, not their sum.
        assert_eq!(started.elapsed(), FIRST.delay);
        assert_eq!(
            log.events(),
            [
                "first asks",
                "second asks",
                "second answers",
                "first answers"
            ]
        );
        assert_eq!(log.threads(), HashSet::from([thread::current().id()]));
    }

    #[tokio::test(start_paused = true)]
    async fn awaiting_one_after_the_other_adds_the_waits() {
        let log = Log::default();
        let started = tokio::time::Instant::now();
        assert_eq!(total_one_after_the_other(&log).await, TOTAL);
        assert_eq!(started.elapsed(), FIRST.delay + SECOND.delay);
        assert_eq!(
            log.events(),
            [
                "first asks",
                "first answers",
                "second asks",
                "second answers"
            ]
        );
    }
}
