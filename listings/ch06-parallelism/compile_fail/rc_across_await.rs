// ANCHOR: rejected
use std::cell::Cell;
use std::rc::Rc;

#[tokio::main]
async fn main() {
    let count = Rc::new(Cell::new(0));
    let in_task = Rc::clone(&count);
    // Rejected: the task owns an `Rc`, and a task given to `tokio::spawn` may
    // be polled on any worker, at its start or after any `.await`, while
    // `count`, which shares the same unsynchronised reference count, stays
    // on this thread.
    let task = tokio::spawn(async move {
        tokio::task::yield_now().await;
        in_task.set(in_task.get() + 1);
    });
    task.await.unwrap();
    println!("{}", count.get());
}
// ANCHOR_END: rejected
