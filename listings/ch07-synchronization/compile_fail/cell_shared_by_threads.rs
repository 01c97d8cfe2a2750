// This file must NOT compile: tests in `src/lib.rs` run rustc on it and
// check that it fails with the error the chapter describes.
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
