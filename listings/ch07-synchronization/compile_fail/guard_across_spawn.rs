// This file must NOT compile: tests in `src/lib.rs` have cargo check it and
// compare its error with the `.stderr` file beside it (through trybuild).
use std::sync::{Arc, Mutex};

// ANCHOR: spawn
async fn add_one(total: Arc<Mutex<u64>>) {
    let mut guard = total.lock().unwrap();
    // The guard is alive across this `.await`, so it is part of the future.
    tokio::task::yield_now().await;
    *guard += 1;
}

// One thread runs every task of this runtime, and still:
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let total = Arc::new(Mutex::new(0));
    // `tokio::spawn` needs a `Send` future, and a `MutexGuard` is not `Send`.
    tokio::spawn(add_one(total.clone())).await.unwrap();
    println!("{}", total.lock().unwrap());
}
// ANCHOR_END: spawn
