// A corosensei coroutine's closure must be 'static: one that borrows a local
// of the function that creates it is refused, because the coroutine may be
// kept suspended for longer than that function runs.
use corosensei::{Coroutine, Yielder};

fn main() {
    let greeting = String::from("hello");
    // ANCHOR: borrow
    let mut coroutine = Coroutine::new(|_: &Yielder<(), ()>, ()| {
        println!("{greeting}"); // borrows `greeting`, which the caller owns
    });
    // ANCHOR_END: borrow
    coroutine.resume(());
}
