//! The lost wake-up: a thread signals a future, driven by loom's `block_on`.
//!
//! Run by `bash ci/loom.sh`, which also compares the failing models' reports
//! with `reports/`; on its own:
//!
//!     CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg loom" \
//!         cargo test --release -p ch07-synchronization --no-default-features \
//!         --test loom_done
#![cfg(loom)]

mod support;

use ch07_synchronization::done::Done;
use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;

// ANCHOR: model
/// Another thread calls `set` while this one runs `wait`. Should the future
/// miss its wake-up, `block_on` sleeps for ever; no thread is left to wake
/// it, and loom reports a deadlock.
fn thread_signals_future(wait: fn(&Done)) {
    support::check(move || {
        let done = Arc::new(Done::new());
        let setter = {
            let done = done.clone();
            thread::spawn(move || done.set())
        };
        wait(&done);
        setter.join().unwrap();
    });
}

#[test]
fn registering_before_checking_never_misses_the_wake_up() {
    thread_signals_future(|done| block_on(done.wait()));
}

#[test]
#[ignore = "fails by design: `loom_finds_the_lost_wake_up` runs it"]
fn lost_wake_up() {
    thread_signals_future(|done| block_on(done.wait_racy()));
}
// ANCHOR_END: model

#[test]
fn loom_finds_the_lost_wake_up() {
    let report = support::failure_report("lost_wake_up");
    // The setter has finished; the waiter sleeps with nobody left to wake it.
    assert!(
        report.contains("deadlock; threads = [(Id(0), Blocked("),
        "{report}"
    );
    assert!(report.contains("(Id(1), Terminated)]"), "{report}");
}
