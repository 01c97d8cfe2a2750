//! Where a stackful coroutine runs: a `corosensei` `Coroutine` is not
//! `Send`, so it never leaves the thread that created it, and every resume
//! runs it there. To use several CPUs, a program needs several threads, each
//! with coroutines of its own.
//!
//! The compiler refuses to move a suspended coroutine to another thread
//! (`compile_fail/coroutine_to_another_thread.rs`), and refuses a coroutine
//! that borrows a local of the function that creates it, since the closure
//! must be `'static` (`compile_fail/coroutine_borrowing_a_local.rs`). The
//! tests below have cargo check both files, through `trybuild`, and compare
//! the messages with the `.stderr` files beside them (refresh them with
//! `TRYBUILD=overwrite cargo test -p ch06-parallelism`, then read the diff).

use corosensei::{Coroutine, CoroutineResult, Yielder};
use std::thread::{self, ThreadId};

// ANCHOR: at_home
/// Creates a coroutine on the calling thread and resumes it to the end. The
/// coroutine notes the thread it runs on after each resume (`suspends`
/// times suspended, then once more as it returns); the caller notes its own
/// thread before each resume. Returns both lists.
pub fn where_a_coroutine_runs(suspends: usize) -> (Vec<ThreadId>, Vec<ThreadId>) {
    let mut coroutine =
        Coroutine::new(move |yielder: &Yielder<(), ThreadId>, ()| {
            for _ in 0..suspends {
                yielder.suspend(thread::current().id());
            }
            thread::current().id()
        });
    let (mut caller, mut inside) = (Vec::new(), Vec::new());
    loop {
        caller.push(thread::current().id());
        match coroutine.resume(()) {
            CoroutineResult::Yield(id) => inside.push(id),
            CoroutineResult::Return(id) => {
                inside.push(id);
                return (caller, inside);
            }
        }
    }
}
// ANCHOR_END: at_home

// ANCHOR: per_thread
/// Several CPUs need several threads. Each thread started here creates its
/// own coroutine, so the coroutine is born where it will run, and reports
/// its own id beside the ids its coroutine noted.
pub fn coroutines_on_each_thread(
    threads: usize,
    suspends: usize,
) -> Vec<(ThreadId, Vec<ThreadId>)> {
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            thread::spawn(move || {
                let (_, inside) = where_a_coroutine_runs(suspends);
                (thread::current().id(), inside)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}
// ANCHOR_END: per_thread

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::marker::PhantomData;
    use std::path::PathBuf;
    use std::rc::Rc;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::time::{Duration, Instant};

    /// Tells, as a value a test can assert, whether the compiler finds a type
    /// `Send`: method lookup tries `SendProbe` first, and it applies only to
    /// `Send` types; the fallback, one reference further, applies to all.
    struct Probe<T>(PhantomData<T>);
    trait SendProbe {
        fn is_send(&self) -> bool {
            true
        }
    }
    impl<T: Send> SendProbe for Probe<T> {}
    trait FallbackProbe {
        fn is_send(&self) -> bool {
            false
        }
    }
    impl<T> FallbackProbe for &Probe<T> {}
    macro_rules! is_send {
        ($t:ty) => {
            (&Probe::<$t>(PhantomData)).is_send()
        };
    }

    #[test]
    fn a_corosensei_coroutine_is_not_send() {
        // The probe tells the two kinds apart.
        assert!(is_send!(Arc<u32>));
        assert!(!is_send!(Rc<u32>));
        // A coroutine is not `Send`, whatever it takes, yields and returns,
        // though its stack, on its own, is.
        assert!(!is_send!(Coroutine<(), u32, u32>));
        assert!(is_send!(corosensei::stack::DefaultStack));
    }

    #[test]
    fn a_coroutine_runs_only_on_the_thread_that_created_it() {
        let (caller, inside) = where_a_coroutine_runs(3);
        let here = thread::current().id();
        assert_eq!(caller, [here; 4]);
        assert_eq!(inside, [here; 4]);
    }

    #[test]
    fn each_thread_drives_coroutines_of_its_own() {
        let runs = coroutines_on_each_thread(2, 3);
        for (thread, inside) in &runs {
            assert_eq!(inside, &[*thread; 4]);
        }
        let threads: HashSet<_> = runs.iter().map(|(thread, _)| *thread).collect();
        assert_eq!(threads.len(), 2);
        assert!(!threads.contains(&thread::current().id()));
    }

    /// Two threads, each resuming a coroutine of its own. Inside its first
    /// resume, each coroutine arrives, then busy-waits (never suspending, so
    /// its thread stays inside `resume`) until both have arrived or
    /// `patience` has passed; then it suspends once and returns. Returns the
    /// most coroutines that were inside a resume at the same time.
    fn coroutines_meet_on_two_threads(patience: Duration) -> usize {
        // Counts of coroutines: arrived, inside a resume now, most inside at once.
        let counts = Arc::new([0, 0, 0].map(AtomicUsize::new));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let counts = counts.clone();
                thread::spawn(move || {
                    let mut coroutine =
                        Coroutine::new(move |yielder: &Yielder<(), ()>, ()| {
                            let [arrived, inside, together] = &*counts;
                            together
                                .fetch_max(inside.fetch_add(1, SeqCst) + 1, SeqCst);
                            arrived.fetch_add(1, SeqCst);
                            let deadline = Instant::now() + patience;
                            while arrived.load(SeqCst) < 2
                                && Instant::now() < deadline
                            {
                                std::hint::spin_loop();
                            }
                            inside.fetch_sub(1, SeqCst);
                            yielder.suspend(());
                        });
                    assert!(matches!(
                        coroutine.resume(()),
                        CoroutineResult::Yield(())
                    ));
                    assert!(matches!(
                        coroutine.resume(()),
                        CoroutineResult::Return(())
                    ));
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        counts[2].load(SeqCst)
    }

    #[test]
    fn coroutines_of_two_threads_run_at_the_same_instant() {
        let test = "coroutines_of_two_threads_run_at_the_same_instant";
        if !book_skip::has_cpus!(test, 2) {
            return;
        }
        // Long enough for a loaded machine to schedule the second thread;
        // the test returns as soon as both coroutines meet.
        let patience = Duration::from_secs(10);
        let started = Instant::now();
        let together = coroutines_meet_on_two_threads(patience);
        assert!(
            started.elapsed() < patience,
            "the coroutines waited in vain"
        );
        assert_eq!(together, 2, "the coroutines never ran at the same time");
    }

    /// The process's threads, and the kernel's task for the calling one, as
    /// Linux lists them under `/proc`.
    fn threads_and_this_task() -> Option<(usize, PathBuf)> {
        let threads = std::fs::read_dir("/proc/self/task").ok()?.count();
        Some((threads, std::fs::read_link("/proc/thread-self").ok()?))
    }

    /// Set in the copy of this test binary that runs the next test alone.
    const ALONE: &str = "CH06_STACKFUL_ALONE";

    /// Other tests run beside this one on threads of their own, so it runs
    /// itself again in a process of its own and counts there: before the
    /// coroutine is created, inside it after each resume, and after it ends.
    #[test]
    fn resuming_a_coroutine_starts_no_thread() {
        const NAME: &str = "resuming_a_coroutine_starts_no_thread";
        if std::env::var_os(ALONE).is_none() {
            let run = std::process::Command::new(std::env::current_exe().unwrap())
                .args([&format!("stackful::tests::{NAME}"), "--exact"])
                .args(["--test-threads=1"])
                .env(ALONE, "1")
                .output()
                .unwrap();
            let out = String::from_utf8_lossy(&run.stdout);
            let err = String::from_utf8_lossy(&run.stderr);
            // Pass the child's skip line, if any, on to this test's stderr.
            eprint!("{err}");
            assert!(run.status.success(), "{out}{err}");
            assert!(out.contains("1 passed"), "{out}");
            return;
        }
        let Some(before) = threads_and_this_task() else {
            book_skip::skip!(NAME, "no /proc to count threads in");
            return;
        };
        let mut coroutine = Coroutine::new(|yielder: &Yielder<(), _>, ()| {
            for _ in 0..3 {
                yielder.suspend(threads_and_this_task());
            }
            threads_and_this_task()
        });
        let mut seen = Vec::new();
        loop {
            match coroutine.resume(()) {
                CoroutineResult::Yield(inside) => seen.push(inside),
                CoroutineResult::Return(inside) => break seen.push(inside),
            }
        }
        drop(coroutine);
        seen.push(threads_and_this_task());
        // Same number of threads, same kernel task, at every step.
        assert_eq!(seen, vec![Some(before); 5]);
    }

    /// The control for the compile-fail listing on borrowing: the same
    /// coroutine, with the string moved into its closure, compiles and runs.
    #[test]
    fn a_coroutine_that_owns_what_it_uses_compiles_and_runs() {
        let greeting = String::from("hello");
        let mut coroutine =
            Coroutine::new(move |_: &Yielder<(), ()>, ()| greeting.len());
        assert!(matches!(coroutine.resume(()), CoroutineResult::Return(5)));
    }

    const BORROWING: &str =
        include_str!("../compile_fail/coroutine_borrowing_a_local.rs");
    const OWNING: &str =
        include_str!(concat!(env!("OUT_DIR"), "/coroutine_owning_the_local.rs"));

    /// The control written by `build.rs`, compiled with these tests (never
    /// run): the borrowing listing with `move` added, and nothing else.
    #[allow(dead_code)]
    mod coroutine_owning_the_local {
        include!(concat!(env!("OUT_DIR"), "/coroutine_owning_the_local.rs"));
    }

    #[test]
    fn a_coroutine_moved_to_another_thread_is_refused_because_it_is_not_send() {
        // Its messages quote std's source when `rust-src` is installed.
        if book_skip::rust_src_installed() {
            book_skip::skip!(
                "a_coroutine_moved_to_another_thread_is_refused_because_it_is_not_send",
                "rust-src is installed, so rustc quotes std's source, which the committed .stderr lacks"
            );
        } else {
            trybuild::TestCases::new()
                .compile_fail("compile_fail/coroutine_to_another_thread.rs");
        }
        let error =
            include_str!("../compile_fail/coroutine_to_another_thread.stderr");
        assert!(
            error.contains(
                "error[E0277]: `*mut ()` cannot be sent between threads safely"
            ),
            "{error}"
        );
        assert!(
            error.contains(
                "required because it appears within the type `corosensei::Coroutine<"
            ),
            "{error}"
        );
    }

    #[test]
    fn a_coroutine_borrowing_a_local_of_its_creator_is_refused() {
        trybuild::TestCases::new()
            .compile_fail("compile_fail/coroutine_borrowing_a_local.rs");
        let error =
            include_str!("../compile_fail/coroutine_borrowing_a_local.stderr");
        assert!(
            error.contains("error[E0373]: closure may outlive the current function"),
            "{error}"
        );
        // The control, which compiles, differs only by that `move`.
        assert_eq!(
            OWNING,
            BORROWING.replacen("Coroutine::new(|", "Coroutine::new(move |", 1)
        );
        assert_ne!(OWNING, BORROWING);
    }
}
