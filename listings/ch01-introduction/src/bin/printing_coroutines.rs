//! Two coroutines, `tick` and `tock`, take turns on one thread: each sleeps
//! before every line it prints, and while one sleeps the other can run.
//!
//!     cargo run -p ch01-introduction --bin printing_coroutines

use std::cell::RefCell;
use std::time::Duration;
use tokio::time::sleep;

/// How long `tick` pauses before each of its lines.
const TICK_PAUSE: Duration = Duration::from_millis(400);
/// How long `tock` pauses before each of its lines.
const TOCK_PAUSE: Duration = Duration::from_millis(500);

/// Where the coroutines print: standard output, plus a copy for the tests.
#[derive(Default)]
struct Console {
    lines: RefCell<Vec<String>>,
}

impl Console {
    fn say(&self, line: String) {
        println!("{line}");
        self.lines.borrow_mut().push(line);
    }
}

// ANCHOR: speaker
/// Prints `count` numbered lines, pausing before each one. While the sleep
/// is pending, the `.await` hands the thread to the other coroutine.
async fn speaker(name: &str, pause: Duration, count: u32, console: &Console) {
    for n in 1..=count {
        sleep(pause).await;
        console.say(format!("{name} {n}"));
    }
}
// ANCHOR_END: speaker

// ANCHOR: main
/// Runs two speakers at once, on the one thread that runs this function.
async fn conversation(console: &Console) {
    console.say("start".to_string());
    tokio::join!(
        speaker("tick", TICK_PAUSE, 3, console),
        speaker("tock", TOCK_PAUSE, 2, console),
    );
    console.say("done".to_string());
}

// One thread polls every future, like Python's `asyncio.run`.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    conversation(&Console::default()).await;
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    /// With the clock paused, tokio jumps straight to the next timer, so
    /// the order below is exact and the test takes no real time.
    #[tokio::test(start_paused = true)]
    async fn the_lines_come_in_the_order_the_sleeps_end() {
        let console = Console::default();
        conversation(&console).await;
        assert_eq!(
            console.lines.into_inner(),
            [
                "start", "tick 1", "tock 1", "tick 2", "tock 2", "tick 3", "done"
            ]
        );
    }

    /// The two speakers sleep at the same time: the whole conversation
    /// takes as long as the longer speaker, not as long as both together.
    #[tokio::test(start_paused = true)]
    async fn the_two_coroutines_wait_at_the_same_time() {
        let started = Instant::now();
        conversation(&Console::default()).await;
        let took = started.elapsed();
        assert_eq!(took, 3 * TICK_PAUSE);
        assert!(took < 3 * TICK_PAUSE + 2 * TOCK_PAUSE);
    }

    /// Awaiting the speakers one after the other takes the sum instead.
    #[tokio::test(start_paused = true)]
    async fn one_after_the_other_the_pauses_add_up() {
        let console = Console::default();
        let started = Instant::now();
        speaker("tick", TICK_PAUSE, 3, &console).await;
        speaker("tock", TOCK_PAUSE, 2, &console).await;
        assert_eq!(started.elapsed(), 3 * TICK_PAUSE + 2 * TOCK_PAUSE);
        assert_eq!(
            console.lines.into_inner(),
            ["tick 1", "tick 2", "tick 3", "tock 1", "tock 2"]
        );
    }
}
