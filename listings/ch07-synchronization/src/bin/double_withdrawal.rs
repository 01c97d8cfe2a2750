//! Two withdrawals from one account, as tasks on one thread: a check and a
//! debit with an `.await` between them pay out twice; two fixes pay out once.
//!
//!     cargo run -p ch07-synchronization --bin double_withdrawal

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::task::LocalSet;

const OPENING_BALANCE: u64 = 100;
const AMOUNT: u64 = 80;
const APPROVAL_TIME: Duration = Duration::from_millis(10);

/// Stands in for a call to another service (a fraud check, say): an `.await`
/// that really waits, so the task gives up the thread here.
async fn approve(_amount: u64) {
    tokio::time::sleep(APPROVAL_TIME).await;
}

// ANCHOR: racy
/// Checks the balance, awaits the approval, then writes the new balance.
/// No lock, no second thread, and still a race: another withdrawal can run
/// at the `.await`, and both then debit the balance they read before it.
async fn withdraw_racy(balance: Rc<Cell<u64>>, amount: u64) -> bool {
    let seen = balance.get();
    if seen < amount {
        return false;
    }
    approve(amount).await;
    balance.set(seen - amount);
    true
}
// ANCHOR_END: racy

// ANCHOR: fixed
/// Fix 1: await first, then check and debit with no `.await` in between.
/// On one thread, nothing else can run inside that stretch: no lock needed.
async fn withdraw_check_after_await(balance: Rc<Cell<u64>>, amount: u64) -> bool {
    approve(amount).await;
    if balance.get() < amount {
        return false;
    }
    balance.set(balance.get() - amount);
    true
}

/// Fix 2: when the check must come before the `.await`, hold an async lock
/// across it. Another withdrawal waits at `lock().await` until this one ends.
async fn withdraw_locked(balance: Rc<Mutex<u64>>, amount: u64) -> bool {
    let mut balance = balance.lock().await;
    if *balance < amount {
        return false;
    }
    approve(amount).await;
    *balance -= amount;
    true
}
// ANCHOR_END: fixed

// ANCHOR: run
/// Starts two withdrawals of `AMOUNT` as tasks on one thread, and returns
/// which of them paid out.
async fn withdraw_twice<B, F, Fut>(balance: &Rc<B>, withdraw: F) -> [bool; 2]
where
    B: 'static,
    F: Fn(Rc<B>, u64) -> Fut,
    Fut: Future<Output = bool> + 'static,
{
    // `spawn_local` runs !Send futures, such as ones holding an `Rc`, on
    // this thread only.
    let tasks = LocalSet::new();
    let first = tasks.spawn_local(withdraw(balance.clone(), AMOUNT));
    let second = tasks.spawn_local(withdraw(balance.clone(), AMOUNT));
    tasks
        .run_until(async { [first.await.unwrap(), second.await.unwrap()] })
        .await
}

/// What the two withdrawals paid out in all.
fn paid_out(paid: [bool; 2]) -> u64 {
    paid.iter().filter(|&&paid| paid).count() as u64 * AMOUNT
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("opening balance {OPENING_BALANCE}, two withdrawals of {AMOUNT}");

    let balance = Rc::new(Cell::new(OPENING_BALANCE));
    let paid = withdraw_twice(&balance, withdraw_racy).await;
    let left = balance.get();
    println!(
        "racy:        paid out {}, balance left {left}",
        paid_out(paid)
    );

    let balance = Rc::new(Cell::new(OPENING_BALANCE));
    let paid = withdraw_twice(&balance, withdraw_check_after_await).await;
    let left = balance.get();
    println!(
        "check after: paid out {}, balance left {left}",
        paid_out(paid)
    );

    let balance = Rc::new(Mutex::new(OPENING_BALANCE));
    let paid = withdraw_twice(&balance, withdraw_locked).await;
    let left = *balance.lock().await;
    println!(
        "locked:      paid out {}, balance left {left}",
        paid_out(paid)
    );
}
// ANCHOR_END: run

#[cfg(test)]
mod tests {
    use super::*;

    /// Both withdrawals read the opening balance before either writes, so
    /// both pay out, more than the account holds, and one debit is lost.
    /// Paused time makes `APPROVAL_TIME` pass at once, and exactly.
    #[tokio::test(start_paused = true)]
    async fn both_withdrawals_pay_out_when_the_check_is_before_the_await() {
        let balance = Rc::new(Cell::new(OPENING_BALANCE));
        let paid = withdraw_twice(&balance, withdraw_racy).await;
        assert_eq!(paid, [true, true]);
        assert!(paid_out(paid) > OPENING_BALANCE, "paid out more than held");
        assert_eq!(balance.get(), OPENING_BALANCE - AMOUNT, "one debit lost");
    }

    /// One withdrawal alone, with each version: it pays out when the
    /// balance covers the amount exactly, and not when it is one short.
    #[tokio::test(start_paused = true)]
    async fn a_single_withdrawal_pays_out_only_if_the_balance_covers_it() {
        for (opening, pays, left) in
            [(AMOUNT, true, 0), (AMOUNT - 1, false, AMOUNT - 1)]
        {
            let balance = Rc::new(Cell::new(opening));
            assert_eq!(withdraw_racy(balance.clone(), AMOUNT).await, pays);
            assert_eq!(balance.get(), left);
            let balance = Rc::new(Cell::new(opening));
            let paid = withdraw_check_after_await(balance.clone(), AMOUNT).await;
            assert_eq!((paid, balance.get()), (pays, left));
            let balance = Rc::new(Mutex::new(opening));
            let paid = withdraw_locked(balance.clone(), AMOUNT).await;
            assert_eq!((paid, *balance.lock().await), (pays, left));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_await_between_check_and_debit_pays_out_once() {
        let balance = Rc::new(Cell::new(OPENING_BALANCE));
        let paid = withdraw_twice(&balance, withdraw_check_after_await).await;
        assert_eq!(paid_out(paid), AMOUNT, "{paid:?}");
        assert_eq!(balance.get(), OPENING_BALANCE - AMOUNT);
    }

    #[tokio::test(start_paused = true)]
    async fn an_async_lock_held_across_the_await_pays_out_once() {
        let balance = Rc::new(Mutex::new(OPENING_BALANCE));
        let paid = withdraw_twice(&balance, withdraw_locked).await;
        // The first task takes the lock first, so it is the one paid.
        assert_eq!(paid, [true, false]);
        assert_eq!(*balance.lock().await, OPENING_BALANCE - AMOUNT);
    }
}
