//! Two accounts, each behind its own mutex: the lock-order deadlock and its fix.

use crate::sync::Mutex;

// ANCHOR: account
/// A bank account; `id` gives the accounts an order to lock them in.
pub struct Account {
    id: u32,
    balance: Mutex<i64>,
}

impl Account {
    pub fn new(id: u32, balance: i64) -> Self {
        Account {
            id,
            balance: Mutex::new(balance),
        }
    }

    pub fn balance(&self) -> i64 {
        *self.balance.lock().unwrap()
    }
}
// ANCHOR_END: account

// ANCHOR: transfer
/// Locks the account money leaves, then the one it goes to. Two opposite
/// transfers can each take their first lock and then wait for ever for the
/// other's.
pub fn transfer_in_argument_order(from: &Account, to: &Account, amount: i64) {
    let mut from_balance = from.balance.lock().unwrap();
    let mut to_balance = to.balance.lock().unwrap();
    *from_balance -= amount;
    *to_balance += amount;
}

/// Locks the account with the smaller id first, whichever way the money
/// goes: no thread can hold the second lock while waiting for the first.
pub fn transfer(from: &Account, to: &Account, amount: i64) {
    assert_ne!(from.id, to.id, "a transfer needs two different accounts");
    let mut from_balance;
    let mut to_balance;
    if from.id < to.id {
        from_balance = from.balance.lock().unwrap();
        to_balance = to.balance.lock().unwrap();
    } else {
        to_balance = to.balance.lock().unwrap();
        from_balance = from.balance.lock().unwrap();
    }
    *from_balance -= amount;
    *to_balance += amount;
}
// ANCHOR_END: transfer

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::{Barrier, mpsc};
    use std::thread;
    use std::time::Duration;

    /// Opposite transfers on real threads, started together and repeated many
    /// times, under a watchdog: they all finish, and no money is created or
    /// lost. (The unordered version does not deadlock in every run; loom
    /// finds the interleaving that does.)
    #[test]
    fn opposite_transfers_in_a_fixed_lock_order_all_finish() {
        const ROUNDS: i64 = 200_000;
        let (finished, watchdog) = mpsc::channel();
        // The work runs on a thread of its own, so a deadlock fails the test
        // instead of hanging it.
        thread::spawn(move || {
            let (a, b) = (Account::new(1, 0), Account::new(2, 0));
            let start = Barrier::new(2);
            thread::scope(|scope| {
                scope.spawn(|| {
                    start.wait();
                    (0..ROUNDS).for_each(|_| transfer(&a, &b, 1));
                });
                scope.spawn(|| {
                    start.wait();
                    (0..ROUNDS).for_each(|_| transfer(&b, &a, 2));
                });
            });
            finished.send((a.balance(), b.balance())).unwrap();
        });
        let balances = watchdog
            .recv_timeout(Duration::from_secs(60))
            .expect("the transfers did not finish: deadlock?");
        assert_eq!(balances, (ROUNDS, -ROUNDS));
    }
}
