//! A transfer cancelled at its `.await` can leave half its change done. The
//! fixes: make the change whole between two `.await`s, or make it safe to
//! repeat, with an id the ledger applies at most once.
//!
//!     cargo run -p ch09-errors --bin half_done_transfer

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::{sleep, timeout};

// ANCHOR: accounts
/// Two balances. A transfer moves money from one to the other, so whatever
/// happens, their sum should never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Accounts {
    from: u64,
    to: u64,
}

/// How long the approval service takes to answer.
const APPROVAL_TIME: Duration = Duration::from_secs(1);

/// Stands for a call to another service that must approve every transfer
/// (this one always does). It changes nothing here, so it can be repeated.
async fn approval(_amount: u64) {
    sleep(APPROVAL_TIME).await;
}
// ANCHOR_END: accounts

// ANCHOR: transfers
/// Takes the money out, waits for approval, then puts it in. Dropped while
/// it waits, it has done the first half and will never do the second.
async fn transfer_split(accounts: &Mutex<Accounts>, amount: u64) {
    accounts.lock().unwrap().from -= amount;
    approval(amount).await;
    accounts.lock().unwrap().to += amount;
}

/// Waits for approval first, then changes both balances with no `.await`
/// in between. Dropped at any point, it has done all of the change or none
/// of it, and its caller can tell which: a timeout that fired means none.
/// It is not safe to repeat, though: two calls move the money twice.
async fn transfer_whole(accounts: &Mutex<Accounts>, amount: u64) {
    approval(amount).await;
    let mut accounts = accounts.lock().unwrap();
    accounts.from -= amount;
    accounts.to += amount;
}
// ANCHOR_END: transfers

// ANCHOR: with_id
/// Balances kept by another service, which remembers the id of every
/// transfer it has applied.
#[derive(Debug)]
struct Ledger {
    accounts: Accounts,
    applied: HashSet<u64>,
}

impl Ledger {
    fn new(accounts: Accounts) -> Self {
        let applied = HashSet::new();
        Ledger { accounts, applied }
    }

    /// Applies transfer `id` at most once: a repeat changes nothing.
    fn apply(&mut self, id: u64, amount: u64) {
        if self.applied.insert(id) {
            self.accounts.from -= amount;
            self.accounts.to += amount;
        }
    }
}

/// The service applies the transfer as soon as the request reaches it; its
/// reply then takes `APPROVAL_TIME` to come back. Dropped while it waits for
/// the reply, this leaves its caller unsure whether the money moved, so the
/// caller runs it again with the same id.
async fn transfer_with_id(ledger: &Mutex<Ledger>, id: u64, amount: u64) {
    ledger.lock().unwrap().apply(id, amount);
    approval(amount).await; // the reply
}
// ANCHOR_END: with_id

/// How much each transfer in `main` and in the tests moves.
const AMOUNT: u64 = 30;

/// Less time than an approval takes.
const DEADLINE: Duration = Duration::from_millis(100);

/// The balances both accounts start from in `main` and in the tests.
const START: Accounts = Accounts { from: 100, to: 0 };

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let accounts = Mutex::new(START);
        let result = timeout(DEADLINE, transfer_split(&accounts, AMOUNT)).await;
        println!(
            "split, cut short: {result:?}, {:?}",
            accounts.lock().unwrap()
        );

        let accounts = Mutex::new(START);
        let result = timeout(DEADLINE, transfer_whole(&accounts, AMOUNT)).await;
        println!(
            "whole, cut short: {result:?}, {:?}",
            accounts.lock().unwrap()
        );
        transfer_whole(&accounts, AMOUNT).await;
        println!("whole, retried:   {:?}", accounts.lock().unwrap());

        let ledger = Mutex::new(Ledger::new(START));
        let result = timeout(DEADLINE, transfer_with_id(&ledger, 1, AMOUNT)).await;
        let accounts = ledger.lock().unwrap().accounts;
        println!("by id, cut short: {result:?}, {accounts:?}");
        transfer_with_id(&ledger, 1, AMOUNT).await;
        let accounts = ledger.lock().unwrap().accounts;
        println!("by id, retried:   {accounts:?}");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(accounts: &Mutex<Accounts>) -> u64 {
        let accounts = accounts.lock().unwrap();
        accounts.from + accounts.to
    }

    #[tokio::test(start_paused = true)]
    async fn both_transfers_are_right_when_nothing_cancels_them() {
        let done = Accounts { from: 70, to: 30 };
        let accounts = Mutex::new(START);
        transfer_split(&accounts, AMOUNT).await;
        assert_eq!(*accounts.lock().unwrap(), done);
        let accounts = Mutex::new(START);
        transfer_whole(&accounts, AMOUNT).await;
        assert_eq!(*accounts.lock().unwrap(), done);
    }

    /// The first half ran, the second never will: the money is gone, even
    /// after the approval would have come.
    #[tokio::test(start_paused = true)]
    async fn cancelling_the_split_transfer_applies_only_its_first_half() {
        let accounts = Mutex::new(START);
        assert!(
            timeout(DEADLINE, transfer_split(&accounts, AMOUNT))
                .await
                .is_err()
        );
        assert_eq!(*accounts.lock().unwrap(), Accounts { from: 70, to: 0 });
        sleep(2 * APPROVAL_TIME).await;
        assert_eq!(*accounts.lock().unwrap(), Accounts { from: 70, to: 0 });
        assert_eq!(total(&accounts), START.from - AMOUNT);
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_the_whole_transfer_changes_nothing_and_a_retry_applies_it_once()
     {
        let accounts = Mutex::new(START);
        assert!(
            timeout(DEADLINE, transfer_whole(&accounts, AMOUNT))
                .await
                .is_err()
        );
        assert_eq!(*accounts.lock().unwrap(), START);
        transfer_whole(&accounts, AMOUNT).await;
        assert_eq!(*accounts.lock().unwrap(), Accounts { from: 70, to: 30 });
    }

    /// Run to its end twice, `transfer_whole` moves the money twice: being
    /// all-or-nothing does not make it safe to repeat.
    #[tokio::test(start_paused = true)]
    async fn the_whole_transfer_run_twice_moves_the_money_twice() {
        let accounts = Mutex::new(START);
        transfer_whole(&accounts, AMOUNT).await;
        transfer_whole(&accounts, AMOUNT).await;
        assert_eq!(*accounts.lock().unwrap(), Accounts { from: 40, to: 60 });
    }

    /// Cut short after the ledger applied it, retried, run twice more: the
    /// money moves once. A new id is a new transfer, and moves it again.
    #[tokio::test(start_paused = true)]
    async fn a_transfer_with_an_id_moves_the_money_once_however_often_it_is_run() {
        let moved_once = Accounts { from: 70, to: 30 };
        let ledger = Mutex::new(Ledger::new(START));
        let cut = timeout(DEADLINE, transfer_with_id(&ledger, 1, AMOUNT)).await;
        assert!(cut.is_err());
        assert_eq!(ledger.lock().unwrap().accounts, moved_once);
        for _ in 0..3 {
            transfer_with_id(&ledger, 1, AMOUNT).await;
            assert_eq!(ledger.lock().unwrap().accounts, moved_once);
        }
        transfer_with_id(&ledger, 2, AMOUNT).await;
        assert_eq!(
            ledger.lock().unwrap().accounts,
            Accounts { from: 40, to: 60 }
        );
    }

    /// Cancels each transfer at a range of moments, from zero (`timeout`
    /// still polls the transfer once, up to its first await) to well after
    /// the approval: the whole transfer keeps the total every time; the
    /// split one loses money whenever it is cut before its end.
    #[tokio::test(start_paused = true)]
    async fn only_the_whole_transfer_keeps_the_total_wherever_it_is_cut() {
        let step = APPROVAL_TIME / 10;
        let mut split_lost_money = 0;
        for cut in 0..=20 {
            let deadline = step * cut;
            let accounts = Mutex::new(START);
            let _ = timeout(deadline, transfer_whole(&accounts, AMOUNT)).await;
            assert_eq!(total(&accounts), START.from, "whole, cut at {deadline:?}");

            let accounts = Mutex::new(START);
            let finished =
                timeout(deadline, transfer_split(&accounts, AMOUNT)).await;
            if finished.is_err() {
                assert_eq!(
                    total(&accounts),
                    START.from - AMOUNT,
                    "split, cut at {deadline:?}"
                );
                split_lost_money += 1;
            } else {
                assert_eq!(
                    total(&accounts),
                    START.from,
                    "split, cut at {deadline:?}"
                );
            }
        }
        assert!(split_lost_money > 0);
    }
}
