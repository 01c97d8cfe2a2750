//! A data race: a value handed from one thread to another through a flag.
//! This is the one file of the chapter with `unsafe` code, because in safe
//! Rust the race below does not compile.
//!
//! Run by `bash ci/loom.sh`, which also compares the failing models' reports
//! with `reports/`; on its own:
//!
//!     CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg loom" \
//!         cargo test --release -p ch07-synchronization --no-default-features \
//!         --test loom_unsafe_cell
#![cfg(loom)]
#![allow(unsafe_code)]

mod support;

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

// ANCHOR: mailbox
/// One slot, written once by one thread and read by another once `full`
/// says so. `UnsafeCell` is loom's checked copy of the standard one: it
/// records every access and fails the model on two that race.
struct Mailbox {
    letter: UnsafeCell<u64>,
    full: AtomicBool,
    /// The orderings of the flag's store and load.
    publish: Ordering,
    check: Ordering,
}

// SAFETY: this is the promise loom checks. A single thread calls `post`,
// once, and `collect` reads the letter only after `full` says it was
// written. Whether the flag's orderings keep that promise is for loom to say.
unsafe impl Sync for Mailbox {}

impl Mailbox {
    fn post(&self, letter: u64) {
        // SAFETY: see `impl Sync`; loom fails the model on a racing access.
        self.letter.with_mut(|slot| unsafe { *slot = letter });
        self.full.store(true, self.publish);
    }

    fn collect(&self) -> Option<u64> {
        if !self.full.load(self.check) {
            return None;
        }
        // SAFETY: as in `post`.
        Some(self.letter.with(|slot| unsafe { *slot }))
    }
}
// ANCHOR_END: mailbox

// ANCHOR: model
/// One thread posts a letter while another tries to collect it.
fn post_and_collect(publish: Ordering, check: Ordering) {
    support::check(move || {
        let mailbox = Arc::new(Mailbox {
            letter: UnsafeCell::new(0),
            full: AtomicBool::new(false),
            publish,
            check,
        });
        let postman = {
            let mailbox = mailbox.clone();
            thread::spawn(move || mailbox.post(42))
        };
        let collected = mailbox.collect();
        assert!(matches!(collected, None | Some(42)), "{collected:?}");
        postman.join().unwrap();
    });
}

#[test]
fn release_then_acquire_hands_the_letter_over_safely() {
    post_and_collect(Ordering::Release, Ordering::Acquire);
}

#[test]
#[ignore = "fails by design: `loom_finds_the_data_race` runs it"]
fn relaxed_handoff() {
    post_and_collect(Ordering::Relaxed, Ordering::Relaxed);
}
// ANCHOR_END: model

#[test]
fn loom_finds_the_data_race() {
    let report = support::failure_report("relaxed_handoff");
    assert!(
        report.contains("Causality violation: Concurrent read and write accesses."),
        "{report}"
    );
}
