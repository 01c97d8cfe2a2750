//! Deep recursion four ways on a small stack: plain, through boxed futures,
//! a task per level, and plain again inside a stackful coroutine with a
//! small stack of its own; which of them overflow, and how each ends.
//!
//!     cargo run -p ch05-memory --bin deep_recursion [plain|boxed|tasks|coroutine]

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, Yielder};
use std::hint::black_box;
use std::pin::Pin;

/// Bytes of state each level keeps while it waits for the level below.
const STATE: usize = 1024;
/// How deep each recursion goes.
const DEPTH: u64 = 20_000;
/// The stack of the thread each recursion runs on: room for a hundred or so
/// levels of `STATE` bytes, far from `DEPTH`.
const SMALL_STACK: usize = 128 * 1024;

// ANCHOR: plain
/// Plain recursion: each level's `state` sits in its stack frame, and every
/// frame stays on the stack until the levels below it have returned.
fn on_the_stack(depth: u64) -> u64 {
    let mut state = [0u8; STATE];
    state[0] = 1;
    black_box(&mut state); // keeps the optimizer from shrinking the frame
    if depth == 0 {
        return u64::from(state[0]);
    }
    on_the_stack(depth - 1) + u64::from(state[0])
}
// ANCHOR_END: plain

// ANCHOR: boxed
/// The same recursion in a future. A future cannot contain itself, so the
/// level below must be boxed: its state, `state` included, goes to the heap.
/// But awaiting it polls it from inside this level's `poll`, so while the
/// recursion runs, the `poll` calls nest on the thread's stack.
async fn boxed(depth: u64) -> u64 {
    let mut state = [0u8; STATE];
    state[0] = 1;
    black_box(&mut state);
    if depth == 0 {
        return u64::from(state[0]);
    }
    Box::pin(boxed(depth - 1)).await + u64::from(state[0])
}
// ANCHOR_END: boxed

// ANCHOR: tasks
/// Each level a task of its own. The executor polls every task from its own
/// loop, never from inside another task's `poll`, so the stack stays flat
/// and only the heap grows with the depth. (Written as a function returning
/// a boxed future because the compiler cannot prove that a recursive
/// `async fn` is `Send`, which `tokio::spawn` requires.)
fn in_tasks(depth: u64) -> Pin<Box<dyn Future<Output = u64> + Send>> {
    Box::pin(async move {
        let mut state = [0u8; STATE];
        state[0] = 1;
        black_box(&mut state);
        if depth == 0 {
            return u64::from(state[0]);
        }
        let below = tokio::spawn(in_tasks(depth - 1));
        below.await.expect("the level below does not panic") + u64::from(state[0])
    })
}
// ANCHOR_END: tasks

// ANCHOR: coroutine
/// Plain recursion again, inside a stackful coroutine with a stack of its
/// own of `stack` bytes, below which corosensei maps one inaccessible guard
/// page. The frames go on that stack, not on the thread's.
fn in_a_coroutine(depth: u64, stack: usize) -> u64 {
    let stack = DefaultStack::new(stack).expect("the kernel maps the stack");
    let recurse = move |_: &Yielder<(), ()>, ()| on_the_stack(depth);
    let mut coroutine = Coroutine::with_stack(stack, recurse);
    let levels = coroutine.resume(()).as_return();
    levels.expect("it never suspends, so the first resume returns")
}
// ANCHOR_END: coroutine

// ANCHOR: run
#[derive(Debug, Clone, Copy)]
enum Recursion {
    Plain,
    Boxed,
    Tasks,
    /// On a coroutine stack of `SMALL_STACK` bytes.
    Coroutine,
}

/// Runs one recursion `depth` levels deep on a new thread that has only
/// `SMALL_STACK` bytes of stack; the async ones on a runtime that lives on
/// that thread, the coroutine's on its own stack of the same size. Returns
/// the number of levels, counted on the way back up.
fn on_a_small_stack(recursion: Recursion, depth: u64) -> u64 {
    let job = move || {
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
        };
        match recursion {
            Recursion::Plain => on_the_stack(depth),
            Recursion::Boxed => runtime().block_on(boxed(depth)),
            Recursion::Tasks => runtime().block_on(in_tasks(depth)),
            Recursion::Coroutine => in_a_coroutine(depth, SMALL_STACK),
        }
    };
    std::thread::Builder::new()
        .name("small-stack".into())
        .stack_size(SMALL_STACK)
        .spawn(job)
        .expect("a thread")
        .join()
        .expect("the recursion does not panic")
}

fn main() {
    let recursion = match std::env::args().nth(1).as_deref() {
        Some("plain") => Recursion::Plain,
        Some("boxed") => Recursion::Boxed,
        Some("tasks") | None => Recursion::Tasks,
        Some("coroutine") => Recursion::Coroutine,
        Some(other) => {
            panic!("expected plain, boxed, tasks or coroutine, not {other}")
        }
    };
    let levels = on_a_small_stack(recursion, DEPTH);
    println!("{recursion:?}: {levels} levels on a stack of {SMALL_STACK} bytes");
}
// ANCHOR_END: run

#[cfg(test)]
mod tests {
    use super::*;
    use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Output, Stdio};
    use std::time::Duration;

    /// Every heap allocation of the tests goes through a counter.
    #[global_allocator]
    static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

    /// Every test but `child` holds this lock, so that none allocates while
    /// another counts allocations.
    fn alone() -> std::sync::MutexGuard<'static, ()> {
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Heap allocations made while `recursion` runs `depth` levels deep on
    /// a runtime built beforehand: the fewest over five runs, since the test
    /// harness may allocate meanwhile, which only adds to a count.
    fn allocations(recursion: Recursion, depth: u64) -> usize {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let runs = (0..5).map(|_| {
            let before = GLOBAL.stats().allocations;
            let levels = match recursion {
                Recursion::Plain => on_the_stack(depth),
                Recursion::Boxed => runtime.block_on(boxed(depth)),
                Recursion::Tasks => runtime.block_on(in_tasks(depth)),
                // As deep as the test thread's stack allows the others.
                Recursion::Coroutine => in_a_coroutine(depth, 2 * 1024 * 1024),
            };
            assert_eq!(levels, depth + 1);
            GLOBAL.stats().allocations - before
        });
        runs.min().expect("five runs")
    }

    #[test]
    fn each_level_costs_one_allocation_boxed_and_two_as_a_task() {
        let _alone = alone();
        let per_level = |recursion| {
            let (shallow, deep) =
                (allocations(recursion, 100), allocations(recursion, 300));
            assert_eq!(
                (deep - shallow) % 200,
                0,
                "{recursion:?}: {shallow}, {deep}"
            );
            (deep - shallow) / 200
        };
        assert_eq!(per_level(Recursion::Plain), 0);
        // The `Box::pin` of the level below.
        assert_eq!(per_level(Recursion::Boxed), 1);
        // The `Box::pin` that `in_tasks` returns, and the task it is spawned as.
        assert_eq!(per_level(Recursion::Tasks), 2);
        // No heap allocation per level: the frames go on the coroutine's
        // stack, which is mapped with `mmap`, past this allocator.
        assert_eq!(per_level(Recursion::Coroutine), 0);
    }

    /// The signals that end the children, as numbered on Linux.
    const SIGABRT: i32 = 6;
    const SIGSEGV: i32 = 11;

    /// Tells `child` which recursion to run; unset, `child` does nothing.
    const CHILD: &str = "DEEP_RECURSION_CHILD";

    /// A stack overflow aborts the whole process, which no test can catch:
    /// this test is the part that runs in a child process, started by the
    /// tests below with `CHILD` set.
    #[test]
    #[ignore = "started in a child process by the overflow tests"]
    fn child() {
        let recursion = match std::env::var(CHILD).as_deref() {
            Ok("plain") => Recursion::Plain,
            Ok("boxed") => Recursion::Boxed,
            Ok("coroutine") => Recursion::Coroutine,
            _ => return,
        };
        on_a_small_stack(recursion, DEPTH);
    }

    /// Runs this test binary again with only `child`, and collects its
    /// exit status and output. Kills it if it has not ended within a minute.
    fn run_child(recursion: &str) -> Output {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "tests::child", "--nocapture"])
            .env(CHILD, recursion)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        for _ in 0..600 {
            if child.try_wait().unwrap().is_some() {
                return child.wait_with_output().unwrap();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        child.kill().unwrap();
        panic!("the child running {recursion} did not end within a minute");
    }

    fn assert_overflowed(output: &Output) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        // Ended by a signal, the abort that std's handler raises, not by an
        // exit code.
        assert_eq!(output.status.signal(), Some(SIGABRT), "{stderr}");
        assert!(
            stderr.contains("thread 'small-stack'")
                && stderr.contains("has overflowed its stack"),
            "{stderr}"
        );
    }

    #[test]
    fn plain_recursion_overflows_a_small_stack() {
        let _alone = alone();
        assert_overflowed(&run_child("plain"));
    }

    #[test]
    fn boxed_async_recursion_overflows_it_too_because_the_polls_nest() {
        let _alone = alone();
        assert_overflowed(&run_child("boxed"));
    }

    #[test]
    fn a_coroutine_on_a_small_stack_overflows_into_its_guard_page_and_dies_of_sigsegv()
     {
        let _alone = alone();
        let output = run_child("coroutine");
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The fault is in corosensei's guard page, not the thread's: std's
        // handler does not recognise it, puts back the default action and
        // returns, and the fault, repeated, kills the process.
        assert_eq!(output.status.signal(), Some(SIGSEGV), "{stderr}");
        assert!(!stderr.contains("has overflowed its stack"), "{stderr}");
    }

    #[test]
    fn a_coroutine_whose_stack_is_big_enough_goes_as_deep() {
        let _alone = alone();
        // Address space only: the pages are backed as the recursion touches
        // them, a few kilobytes per level at most, even in a debug build.
        let stack = 64 * 1024 * 1024;
        assert_eq!(in_a_coroutine(DEPTH, stack), DEPTH + 1);
    }

    #[test]
    fn a_task_per_level_goes_as_deep_on_the_same_stack() {
        let _alone = alone();
        assert_eq!(on_a_small_stack(Recursion::Tasks, DEPTH), DEPTH + 1);
    }

    #[test]
    fn shallow_recursion_fits_on_the_small_stack_every_way() {
        let _alone = alone();
        let all = [
            Recursion::Plain,
            Recursion::Boxed,
            Recursion::Tasks,
            Recursion::Coroutine,
        ];
        for recursion in all {
            assert_eq!(on_a_small_stack(recursion, 10), 11, "{recursion:?}");
        }
    }

    #[test]
    fn a_boxed_level_holds_its_own_state_and_only_a_pointer_to_the_next() {
        let size = std::mem::size_of_val(&boxed(DEPTH));
        assert!((STATE..STATE + 64).contains(&size), "{size} bytes");
    }
}
