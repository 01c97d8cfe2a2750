// ANCHOR: all
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

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let sums = runtime.block_on(async { (held.await, dropped.await, boxed.await) });
    println!("the three sums: {sums:?}");
}
// ANCHOR_END: sizes
// ANCHOR_END: all

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_held_across_an_await_is_part_of_the_future() {
        let size = size_of_val(&holds_the_buffer_across_the_await());
        assert!(size >= BUFFER, "{size} bytes");
        // The buffer and little else: a discriminant, the inner future.
        assert!(size < BUFFER + 64, "{size} bytes");
    }

    #[test]
    fn a_buffer_dropped_before_the_await_is_not() {
        let size = size_of_val(&drops_the_buffer_before_the_await());
        assert!(size < 64, "{size} bytes");
    }

    #[test]
    fn a_buffer_on_the_heap_costs_the_future_only_its_handle() {
        let size = size_of_val(&boxes_the_buffer_across_the_await());
        assert!(size < 64, "{size} bytes");
    }

    #[test]
    fn all_three_compute_the_same_sum() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let expected = (0..BUFFER).map(|i| u64::from(i as u8)).sum::<u64>();
        let sums = runtime.block_on(async {
            // Spawned, each future moves into a heap allocation of its own.
            let held = tokio::spawn(holds_the_buffer_across_the_await());
            let dropped = tokio::spawn(drops_the_buffer_before_the_await());
            let boxed = tokio::spawn(boxes_the_buffer_across_the_await());
            [held.await, dropped.await, boxed.await].map(Result::unwrap)
        });
        assert_eq!(sums, [expected; 3]);
    }
}
