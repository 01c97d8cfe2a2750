//! What a future's size is made of: a local kept across an `.await` (a buffer,
//! a guard, an argument) is part of it, one dropped before is not, and one in
//! a `Vec` costs only its handle; and how many heap allocations `tokio::spawn`
//! makes for each future.
//!
//!     cargo run -p ch05-memory --bin future_size

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;
use std::hint::black_box;
use std::mem::size_of_val;

/// Bytes of working data each version handles.
const BUFFER: usize = 16 * 1024;

fn fill(buffer: &mut [u8]) {
    for (i, byte) in buffer.iter_mut().enumerate() {
        *byte = i as u8;
    }
}

fn checksum(buffer: &[u8]) -> u64 {
    buffer.iter().map(|&byte| u64::from(byte)).sum()
}

// ANCHOR: futures
/// Fills a buffer, waits, then reads the buffer again: the buffer must
/// survive the `.await`, so the compiler stores it inside the future.
async fn holds_the_buffer_across_the_await() -> u64 {
    let mut buffer = [0u8; BUFFER];
    fill(&mut buffer);
    tokio::task::yield_now().await;
    checksum(&buffer)
}

/// Uses the buffer and lets it go before waiting: only the sum survives.
async fn drops_the_buffer_before_the_await() -> u64 {
    let sum = {
        let mut buffer = [0u8; BUFFER];
        fill(&mut buffer);
        checksum(&buffer)
    };
    tokio::task::yield_now().await;
    sum
}

/// Keeps the buffer on the heap: the future holds only the `Vec`'s
/// pointer, length and capacity.
async fn boxes_the_buffer_across_the_await() -> u64 {
    let mut buffer = vec![0u8; BUFFER];
    fill(&mut buffer);
    tokio::task::yield_now().await;
    checksum(&buffer)
}
// ANCHOR_END: futures

// ANCHOR: not_exact
/// A value with a destructor: dropping it runs code, so it counts as used
/// until it is dropped.
struct Guard([u8; 1024]);

impl Drop for Guard {
    fn drop(&mut self) {
        black_box(&self.0);
    }
}

/// Reads the guard once, before the `.await`, and never again; but its
/// destructor runs at the end of the scope, after the `.await`.
async fn keeps_a_guard_to_the_end_of_its_scope() -> u8 {
    let guard = Guard([7; 1024]);
    let first = guard.0[0];
    tokio::task::yield_now().await;
    first
}

/// The same, with the guard dropped before the `.await`.
async fn drops_the_guard_before_the_await() -> u8 {
    let guard = Guard([7; 1024]);
    let first = guard.0[0];
    drop(guard);
    tokio::task::yield_now().await;
    first
}

/// An argument used after the `.await`.
async fn uses_its_argument_after_the_await(buffer: [u8; 1024]) -> u8 {
    tokio::task::yield_now().await;
    buffer[0]
}
// ANCHOR_END: not_exact

// ANCHOR: spawn_allocations
/// Every heap allocation in this program goes through a counter.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// How many heap allocations `tokio::spawn` makes for a future built by
/// `make`: the fewest seen over a few spawns, since another thread of the
/// program may allocate meanwhile, which only ever adds to the count.
fn allocations_to_spawn<F>(make: impl Fn() -> F) -> usize
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _inside = runtime.enter();
    let counts = (0..5).map(|_| {
        let future = make();
        let before = GLOBAL.stats().allocations;
        let task = tokio::spawn(future);
        let after = GLOBAL.stats().allocations;
        task.abort();
        after - before
    });
    counts.min().expect("five spawns")
}
// ANCHOR_END: spawn_allocations

// ANCHOR: sizes
fn main() {
    // Calling an `async fn` only builds its future: nothing in it runs
    // until it is polled, so the sizes can be read first.
    let held = holds_the_buffer_across_the_await();
    let dropped = drops_the_buffer_before_the_await();
    let boxed = boxes_the_buffer_across_the_await();
    println!("held across the await: {} bytes", size_of_val(&held));
    println!("dropped before it:     {} bytes", size_of_val(&dropped));
    println!("in a Vec across it:    {} bytes", size_of_val(&boxed));
    let kept = keeps_a_guard_to_the_end_of_its_scope();
    let early = drops_the_guard_before_the_await();
    let argument = uses_its_argument_after_the_await([0; 1024]);
    println!("a guard kept to the end: {} bytes", size_of_val(&kept));
    println!("the guard dropped first: {} bytes", size_of_val(&early));
    println!("argument used after it:  {} bytes", size_of_val(&argument));
    let spawned = [
        allocations_to_spawn(holds_the_buffer_across_the_await),
        allocations_to_spawn(drops_the_buffer_before_the_await),
        allocations_to_spawn(boxes_the_buffer_across_the_await),
    ];
    println!("allocations to spawn each: {spawned:?}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let sums = runtime.block_on(async { (held.await, dropped.await, boxed.await) });
    println!("the three sums: {sums:?}");
}
// ANCHOR_END: sizes

#[cfg(test)]
mod tests {
    use super::*;

    /// The allocation counter counts every thread, and tests run side by
    /// side: each test here holds this lock, so that none allocates while
    /// another counts.
    fn alone() -> std::sync::MutexGuard<'static, ()> {
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    #[test]
    fn a_buffer_held_across_an_await_is_part_of_the_future() {
        let _alone = alone();
        let size = size_of_val(&holds_the_buffer_across_the_await());
        assert!(size >= BUFFER, "{size} bytes");
        // The buffer and little else: a discriminant, the inner future.
        assert!(size < BUFFER + 64, "{size} bytes");
    }

    #[test]
    fn a_buffer_dropped_before_the_await_is_not() {
        let _alone = alone();
        let size = size_of_val(&drops_the_buffer_before_the_await());
        assert!(size < 64, "{size} bytes");
    }

    #[test]
    fn a_buffer_on_the_heap_costs_the_future_only_its_handle() {
        let _alone = alone();
        let mut future = Box::pin(boxes_the_buffer_across_the_await());
        assert!(
            size_of_val(&*future) < 64,
            "{} bytes",
            size_of_val(&*future)
        );
        // Run it to its `.await`: the buffer it fills there is an allocation
        // of its own, at least `BUFFER` bytes, made by that first poll.
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        let before = GLOBAL.stats();
        assert!(future.as_mut().poll(&mut context).is_pending());
        let after = GLOBAL.stats();
        assert!(after.allocations > before.allocations);
        let bytes = after.bytes_allocated - before.bytes_allocated;
        assert!(bytes >= BUFFER, "{bytes} bytes allocated by the first poll");
    }

    #[test]
    fn a_small_future_is_spawned_in_one_allocation() {
        let _alone = alone();
        assert_eq!(allocations_to_spawn(drops_the_buffer_before_the_await), 1);
        assert_eq!(allocations_to_spawn(boxes_the_buffer_across_the_await), 1);
    }

    #[test]
    fn the_future_holding_the_buffer_is_boxed_before_it_is_spawned() {
        let _alone = alone();
        assert!(
            size_of_val(&holds_the_buffer_across_the_await()) > TOKIO_BOX_THRESHOLD
        );
        // The box that holds the future, then the task with a pointer to it.
        assert_eq!(allocations_to_spawn(holds_the_buffer_across_the_await), 2);
    }

    /// tokio 1.54's `BOX_FUTURE_THRESHOLD` (`src/runtime/mod.rs`): a spawned
    /// future larger than this many bytes is boxed first. It is smaller in
    /// debug builds, where stack frames are larger.
    const TOKIO_BOX_THRESHOLD: usize =
        if cfg!(debug_assertions) { 2048 } else { 16384 };

    /// A future of about `N` bytes: an array it reads after the `.await`.
    async fn holds<const N: usize>() -> u8 {
        let bytes = [1u8; N];
        tokio::task::yield_now().await;
        black_box(&bytes)[0]
    }

    #[test]
    fn tokio_boxes_a_future_just_above_its_threshold_and_not_just_below() {
        let _alone = alone();
        const BELOW: usize = TOKIO_BOX_THRESHOLD - 64;
        const ABOVE: usize = TOKIO_BOX_THRESHOLD + 1;
        let (below, above) = (
            size_of_val(&holds::<BELOW>()),
            size_of_val(&holds::<ABOVE>()),
        );
        assert!(
            below <= TOKIO_BOX_THRESHOLD && above > TOKIO_BOX_THRESHOLD,
            "{below}, {above}"
        );
        assert_eq!(allocations_to_spawn(holds::<BELOW>), 1, "{below} bytes");
        assert_eq!(allocations_to_spawn(holds::<ABOVE>), 2, "{above} bytes");
    }

    #[test]
    fn a_local_with_a_destructor_stays_in_the_future_until_its_scope_ends() {
        let _alone = alone();
        let kept = size_of_val(&keeps_a_guard_to_the_end_of_its_scope());
        let dropped = size_of_val(&drops_the_guard_before_the_await());
        assert!(kept >= size_of::<Guard>(), "{kept} bytes");
        assert!(dropped < 64, "{dropped} bytes");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let both = async {
            let kept = keeps_a_guard_to_the_end_of_its_scope().await;
            (kept, drops_the_guard_before_the_await().await)
        };
        assert_eq!(runtime.block_on(both), (7, 7));
    }

    #[test]
    fn an_argument_used_after_an_await_can_be_stored_twice() {
        let _alone = alone();
        // rust-lang/rust#62958: the future keeps the argument as it was
        // passed and again as the local the body uses. If this fails, the
        // compiler has learnt to overlap them: the prose must say so.
        let size = size_of_val(&uses_its_argument_after_the_await([0; 1024]));
        assert!(size >= 2 * 1024, "{size} bytes");
    }

    #[test]
    fn two_tasks_share_one_vec_without_a_message() {
        let _alone = alone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let shared = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        runtime.block_on(async {
            let tasks = ["first", "second"].map(|name| {
                let shared = std::sync::Arc::clone(&shared);
                tokio::spawn(async move {
                    tokio::task::yield_now().await;
                    shared.lock().unwrap().push(name);
                })
            });
            for task in tasks {
                task.await.unwrap();
            }
        });
        // No channel: both wrote into the same memory, which main reads.
        let mut written = shared.lock().unwrap().clone();
        written.sort_unstable();
        assert_eq!(written, ["first", "second"]);
    }

    /// Borrows its own buffer across the `.await`: once polled, the future
    /// holds the buffer and a pointer into that same buffer.
    async fn borrows_its_own_buffer_across_the_await() -> u64 {
        let mut buffer = [0u8; 1024];
        fill(&mut buffer);
        let part = &buffer[..512];
        tokio::task::yield_now().await;
        checksum(part)
    }

    /// The same job without the borrow across the `.await`.
    async fn reads_its_own_buffer_after_the_await() -> u64 {
        let mut buffer = [0u8; 1024];
        fill(&mut buffer);
        tokio::task::yield_now().await;
        checksum(&buffer[..512])
    }

    #[test]
    fn a_future_that_borrows_its_own_local_across_an_await_stores_a_pointer_into_itself()
     {
        let _alone = alone();
        let borrowing = size_of_val(&borrows_its_own_buffer_across_the_await());
        let reading = size_of_val(&reads_its_own_buffer_after_the_await());
        // The slice reference, a pointer and a length, is kept beside the
        // buffer it points into.
        assert!(reading >= 1024, "{reading} bytes");
        assert!(
            borrowing >= reading + size_of::<&[u8]>(),
            "{borrowing} bytes borrowing, {reading} bytes not"
        );
    }

    /// Tells whether a value's type is `Unpin` without asking the compiler
    /// to prove it: the inherent method exists only for `Unpin` types and
    /// wins over the trait's when it does.
    struct UnpinProbe<T>(std::marker::PhantomData<T>);
    trait NotUnpin {
        fn is_unpin(&self) -> bool {
            false
        }
    }
    impl<T> NotUnpin for UnpinProbe<T> {}
    impl<T: Unpin> UnpinProbe<T> {
        fn is_unpin(&self) -> bool {
            true
        }
    }
    fn probe<T>(_: &T) -> UnpinProbe<T> {
        UnpinProbe(std::marker::PhantomData)
    }

    #[test]
    fn every_async_future_is_not_unpin_even_one_that_borrows_nothing() {
        let _alone = alone();
        // The probe can say yes: a future written by hand may be `Unpin`.
        assert!(probe(&std::future::ready(1)).is_unpin());
        assert!(!probe(&borrows_its_own_buffer_across_the_await()).is_unpin());
        assert!(!probe(&reads_its_own_buffer_after_the_await()).is_unpin());
        assert!(!probe(&async {}).is_unpin());
    }

    #[test]
    fn a_pinned_future_that_borrows_itself_is_polled_through_pin_and_resumes() {
        let _alone = alone();
        use std::pin::pin;
        use std::task::{Context, Poll, Waker};
        let mut future = pin!(borrows_its_own_buffer_across_the_await());
        let mut context = Context::from_waker(Waker::noop());
        assert_eq!(future.as_mut().poll(&mut context), Poll::Pending);
        let expected = (0..512).map(|i| u64::from(i as u8)).sum::<u64>();
        assert_eq!(future.as_mut().poll(&mut context), Poll::Ready(expected));
    }

    #[test]
    fn all_three_compute_the_same_sum() {
        let _alone = alone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let expected = (0..BUFFER).map(|i| u64::from(i as u8)).sum::<u64>();
        let sums = runtime.block_on(async {
            // Spawned, each future moves to the heap: into its task, or,
            // the first one, into a box of its own that the task points to.
            let held = tokio::spawn(holds_the_buffer_across_the_await());
            let dropped = tokio::spawn(drops_the_buffer_before_the_await());
            let boxed = tokio::spawn(boxes_the_buffer_across_the_await());
            [held.await, dropped.await, boxed.await].map(Result::unwrap)
        });
        assert_eq!(sums, [expected; 3]);
    }
}
