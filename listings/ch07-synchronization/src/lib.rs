//! Chapter 7: races and deadlocks on both sides. The modules hold the code
//! that the loom models in `tests/loom_*.rs` check; the tokio listings are the
//! binaries in `src/bin/`.

// ANCHOR: sync
/// The synchronization types this crate uses: loom's instrumented copies when
/// built with `--cfg loom`, so that loom can see every access and try every
/// interleaving, and the standard library's otherwise. Same names, same API.
pub mod sync {
    #[cfg(loom)]
    pub use loom::sync::{Mutex, atomic};
    #[cfg(not(loom))]
    pub use std::sync::{Mutex, atomic};
}
// ANCHOR_END: sync

pub mod counter;
pub mod done;
pub mod transfer;

/// The files in `compile_fail/` must not compile, for the reason the chapter
/// gives. Each test has cargo check one of them, through `trybuild`, and
/// compares the messages with the `.stderr` file beside it (refresh with
/// `TRYBUILD=overwrite cargo test -p ch07-synchronization`, then read the
/// diff); it also checks that the committed messages give the chapter's
/// reason. Where one line is to blame, a control, the same file with that
/// line deleted or changed (written by `build.rs`), must compile: the module
/// `controls` includes it, so the error cannot come from anywhere else. (A
/// `compile_fail` doctest cannot do this: on stable Rust, rustdoc ignores the
/// error code in `compile_fail,E0277` and passes on any error at all.)
/// Why `trybuild`: it builds each file with cargo against this crate's own
/// dependencies and diffs the whole message, normalised for paths.
#[cfg(all(test, feature = "tasks", not(loom)))]
mod does_not_compile {
    const GUARD: &str = include_str!("../compile_fail/guard_across_spawn.rs");
    const CELL_ERROR: &str =
        include_str!("../compile_fail/cell_shared_by_threads.stderr");
    const GUARD_ERROR: &str =
        include_str!("../compile_fail/guard_across_spawn.stderr");
    const WITHOUT_AWAIT: &str =
        include_str!(concat!(env!("OUT_DIR"), "/guard_without_await.rs"));
    const WITH_SPAWN_LOCAL: &str =
        include_str!(concat!(env!("OUT_DIR"), "/guard_with_spawn_local.rs"));

    /// The controls, compiled with this crate's tests: if one did not
    /// compile, neither would the tests. Never run (`spawn_local` would
    /// need a `LocalSet`); only type-checked.
    #[allow(dead_code, clippy::await_holding_lock)]
    mod controls {
        mod guard_without_await {
            include!(concat!(env!("OUT_DIR"), "/guard_without_await.rs"));
        }
        mod guard_with_spawn_local {
            include!(concat!(env!("OUT_DIR"), "/guard_with_spawn_local.rs"));
        }
    }

    /// Has cargo check `file`, which must fail with the messages of the
    /// `.stderr` file beside it; trybuild panics, showing the diff, if not.
    fn refused(file: &str) {
        trybuild::TestCases::new().compile_fail(file);
    }

    #[test]
    fn a_cell_shared_by_two_threads_is_rejected_because_cell_is_not_sync() {
        // Its messages quote std's source when `rust-src` is installed.
        if book_skip::rust_src_installed() {
            book_skip::skip!(
                "a_cell_shared_by_two_threads_is_rejected_because_cell_is_not_sync",
                "rust-src is installed, so rustc quotes std's source, which the committed .stderr lacks"
            );
        } else {
            refused("compile_fail/cell_shared_by_threads.rs");
        }
        let error = CELL_ERROR;
        assert!(error.contains("error[E0277]"), "{error}");
        assert!(
            error.contains("`Cell<i32>` cannot be shared between threads safely"),
            "{error}"
        );
    }

    #[test]
    fn a_std_guard_held_across_await_makes_the_future_not_send() {
        refused("compile_fail/guard_across_spawn.rs");
        let error = GUARD_ERROR;
        assert!(
            error.contains("future cannot be sent between threads safely"),
            "{error}"
        );
        assert!(
            error.contains("MutexGuard<'_, u64>` which is not `Send`"),
            "{error}"
        );
        assert!(
            error.contains("required by a bound in `tokio::spawn`"),
            "{error}"
        );
        // The control, which compiles, lacks only the line with the `.await`.
        let missing: Vec<_> = GUARD
            .lines()
            .filter(|line| !WITHOUT_AWAIT.lines().any(|kept| kept == *line))
            .collect();
        assert_eq!(missing, ["    tokio::task::yield_now().await;"]);
        assert_eq!(GUARD.lines().count(), WITHOUT_AWAIT.lines().count() + 1);
    }

    #[test]
    fn tokio_spawn_demands_send_even_on_a_current_thread_runtime() {
        // The listing runs on the one-thread runtime; the error must come
        // from `tokio::spawn`'s bound, which does not depend on the runtime:
        // with `spawn_local`, which asks for no `Send`, the same future
        // type-checks (the control; to run, it would also need a `LocalSet`).
        assert!(GUARD.contains(r#"#[tokio::main(flavor = "current_thread")]"#));
        assert_eq!(
            WITH_SPAWN_LOCAL,
            GUARD.replacen("tokio::spawn(", "tokio::task::spawn_local(", 1)
        );
        assert_ne!(WITH_SPAWN_LOCAL, GUARD);
        refused("compile_fail/guard_across_spawn.rs");
        let error = GUARD_ERROR;
        assert!(
            error.contains("future cannot be sent between threads safely"),
            "{error}"
        );
        assert!(
            error.contains("required by a bound in `tokio::spawn`"),
            "{error}"
        );
    }
}
