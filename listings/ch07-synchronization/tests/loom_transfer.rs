//! The lock-order deadlock: two opposite transfers between two accounts.
//!
//! Run by `bash ci/loom.sh`, which also compares the failing models' reports
//! with `reports/`; on its own:
//!
//!     CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg loom" \
//!         cargo test --release -p ch07-synchronization --no-default-features \
//!         --test loom_transfer
#![cfg(loom)]

mod support;

use ch07_synchronization::transfer::{self, Account};
use loom::sync::Arc;
use loom::thread;

// ANCHOR: model
/// Moves money from `a` to `b` on one thread and from `b` to `a` on another,
/// using `transfer`. Loom fails the model if every thread is blocked.
fn opposite_transfers(transfer: fn(&Account, &Account, i64)) {
    support::check(move || {
        let a = Arc::new(Account::new(1, 100));
        let b = Arc::new(Account::new(2, 100));
        let other = {
            let (a, b) = (a.clone(), b.clone());
            thread::spawn(move || transfer(&b, &a, 30))
        };
        transfer(&a, &b, 10);
        other.join().unwrap();
        assert_eq!((a.balance(), b.balance()), (120, 80));
    });
}

#[test]
fn a_fixed_lock_order_never_deadlocks() {
    opposite_transfers(transfer::transfer);
}

#[test]
#[ignore = "fails by design: `loom_finds_the_deadlock` runs it"]
fn lock_order_deadlock() {
    opposite_transfers(transfer::transfer_in_argument_order);
}
// ANCHOR_END: model

#[test]
fn loom_finds_the_deadlock() {
    let report = support::failure_report("lock_order_deadlock");
    assert!(report.contains("deadlock; threads = ["), "{report}");
    // Both threads are stuck in a `lock()` call in `transfer.rs`.
    assert_eq!(report.matches("Blocked(").count(), 2, "{report}");
    assert_eq!(report.matches(r#"src/transfer.rs""#).count(), 2, "{report}");
}
