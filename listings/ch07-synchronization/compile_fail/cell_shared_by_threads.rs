// This file must NOT compile: tests in `src/lib.rs` have cargo check it and
// compare its error with the `.stderr` file beside it (through trybuild).
use std::cell::Cell;
use std::thread;

// ANCHOR: cell
fn main() {
    let hits = Cell::new(0);
    thread::scope(|scope| {
        // `Cell` is not `Sync`: two threads may not both hold a `&Cell`.
        scope.spawn(|| hits.set(hits.get() + 1));
        scope.spawn(|| hits.set(hits.get() + 1));
    });
    println!("{}", hits.get());
}
// ANCHOR_END: cell
