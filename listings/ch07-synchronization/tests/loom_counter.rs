//! The lost update: two threads increment one counter.
//!
//! Run by `bash ci/loom.sh`, which also compares the failing models' reports
//! with `reports/`; on its own:
//!
//!     CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg loom" \
//!         cargo test --release -p ch07-synchronization --no-default-features \
//!         --test loom_counter
#![cfg(loom)]

mod support;

use ch07_synchronization::counter::HitCounter;
use loom::sync::Arc;
use loom::thread;

// ANCHOR: model
/// Two threads each record one hit with `record`. Loom runs this closure
/// once per interleaving it explores; in every one, two hits must be counted.
fn two_threads_record(record: fn(&HitCounter)) {
    support::check(move || {
        let counter = Arc::new(HitCounter::new());
        let other = {
            let counter = counter.clone();
            thread::spawn(move || record(&counter))
        };
        record(&counter);
        other.join().unwrap();
        assert_eq!(counter.hits(), 2, "a hit was lost");
    });
}

#[test]
fn fetch_add_never_loses_a_hit() {
    two_threads_record(HitCounter::record);
}

#[test]
#[ignore = "fails by design: `loom_finds_the_lost_update` runs it"]
fn lost_update() {
    two_threads_record(HitCounter::record_racy);
}
// ANCHOR_END: model

#[test]
fn loom_finds_the_lost_update() {
    let report = support::failure_report("lost_update");
    assert!(report.contains("a hit was lost"), "{report}");
    // Exactly one of the two hits counted (not a count that merely starts
    // with a 1).
    assert!(report.contains("  left: 1\n right: 2\n"), "{report}");
}
