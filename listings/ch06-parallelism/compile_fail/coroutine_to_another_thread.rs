// ANCHOR: rejected
use corosensei::{Coroutine, Yielder};
use std::thread;

fn main() {
    let mut coroutine = Coroutine::new(|yielder: &Yielder<(), u32>, ()| {
        yielder.suspend(1);
        2
    });
    coroutine.resume(());
    // Rejected: `Coroutine` is not `Send`, so the suspended coroutine, and
    // the stack it is suspended on, cannot move to the thread that would
    // resume it next.
    let rest = thread::spawn(move || coroutine.resume(()));
    println!("{:?}", rest.join().unwrap());
}
// ANCHOR_END: rejected
