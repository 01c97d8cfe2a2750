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
/// gives. Each test runs rustc on one of them (type checking only) and checks
/// the error. Where one line is to blame, it also deletes that line and checks
/// that the rest compiles, so the error cannot come from anywhere else. (A
/// `compile_fail` doctest cannot do this: on stable Rust, rustdoc ignores the
/// error code in `compile_fail,E0277` and passes on any error at all.)
#[cfg(all(test, feature = "tasks", not(loom)))]
mod does_not_compile {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    const CELL: &str = include_str!("../compile_fail/cell_shared_by_threads.rs");
    const GUARD: &str = include_str!("../compile_fail/guard_across_spawn.rs");
    /// Chapter 6's refused task; its doctest there cannot check why it fails.
    const RC: &str = include_str!("../../ch06-parallelism/compile_fail/rc_across_await.rs");

    /// Type-checks `source` as a binary crate; `Err` holds rustc's messages.
    fn rustc(name: &str, source: &str, tokio: Option<&Path>) -> Result<(), String> {
        // One directory per call: tests run at once, and two may type-check
        // a program of the same name (each its own control).
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ch07-{}-{call}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("main.rs");
        std::fs::write(&file, source).unwrap();
        let mut rustc = Command::new(std::env::var("RUSTC").unwrap_or("rustc".into()));
        rustc.args(["--edition=2024", "--crate-type=bin", "--emit=metadata"]);
        rustc.args(["--color=never", "--crate-name", name, "--out-dir"]);
        rustc.arg(&dir).arg(&file);
        if let Some(tokio) = tokio {
            rustc
                .arg("-L")
                .arg(format!("dependency={}", deps_dir().display()));
            rustc
                .arg("--extern")
                .arg(format!("tokio={}", tokio.display()));
        }
        let output = rustc.output().expect("cannot run rustc");
        std::fs::remove_dir_all(&dir).unwrap();
        match output.status.success() {
            true => Ok(()),
            false => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
        }
    }

    /// Where cargo put this test binary and the libraries it was built with.
    fn deps_dir() -> PathBuf {
        std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .to_path_buf()
    }

    /// The tokio library built for this crate: the newest one with which
    /// `control`, a program that must compile, does compile. (Other members
    /// of the workspace may have left tokio builds with other features.)
    fn tokio_that_compiles(control: &str) -> PathBuf {
        let mut candidates: Vec<_> = std::fs::read_dir(deps_dir())
            .unwrap()
            .map(|entry| entry.unwrap())
            .filter(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.starts_with("libtokio-") && name.ends_with(".rlib")
            })
            .map(|entry| (entry.metadata().unwrap().modified().unwrap(), entry.path()))
            .collect();
        candidates.sort();
        let mut errors = String::new();
        for (_, tokio) in candidates.into_iter().rev() {
            match rustc("control", control, Some(&tokio)) {
                Ok(()) => return tokio,
                Err(error) => errors += &error,
            }
        }
        panic!("the control program does not compile with any tokio build:\n{errors}");
    }

    #[test]
    fn a_cell_shared_by_two_threads_is_rejected_because_cell_is_not_sync() {
        let error = rustc("cell", CELL, None).expect_err("it compiled");
        assert!(error.contains("error[E0277]"), "{error}");
        assert!(
            error.contains("`Cell<i32>` cannot be shared between threads safely"),
            "{error}"
        );
    }

    #[test]
    fn a_std_guard_held_across_await_makes_the_future_not_send() {
        // Without the `.await`, the guard no longer lives across one.
        let control: String = GUARD
            .lines()
            .filter(|line| !line.contains(".await;"))
            .map(|line| format!("{line}\n"))
            .collect();
        assert_eq!(GUARD.lines().count(), control.lines().count() + 1);
        let tokio = tokio_that_compiles(&control);
        let error = rustc("guard", GUARD, Some(&tokio)).expect_err("it compiled");
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
    }

    #[test]
    fn tokio_spawn_demands_send_even_on_a_current_thread_runtime() {
        // The listing runs on the one-thread runtime; the error must come
        // from `tokio::spawn`'s bound, which does not depend on the runtime:
        // with `spawn_local`, which asks for no `Send`, the same future
        // type-checks (to run, it would also need a `LocalSet`).
        assert!(GUARD.contains(r#"#[tokio::main(flavor = "current_thread")]"#));
        let control = GUARD.replacen("tokio::spawn(", "tokio::task::spawn_local(", 1);
        assert_ne!(control, GUARD);
        let tokio = tokio_that_compiles(&control);
        let error = rustc("guard_local", GUARD, Some(&tokio)).expect_err("it compiled");
        assert!(
            error.contains("future cannot be sent between threads safely"),
            "{error}"
        );
        assert!(
            error.contains("required by a bound in `tokio::spawn`"),
            "{error}"
        );
    }

    #[test]
    fn an_rc_owned_by_a_spawned_task_makes_its_future_not_send() {
        // With `spawn_local`, which asks for no `Send`, the same program
        // type-checks: the error comes from `tokio::spawn`'s bound alone.
        let control = RC.replacen("tokio::spawn(", "tokio::task::spawn_local(", 1);
        assert_ne!(control, RC);
        let tokio = tokio_that_compiles(&control);
        let error = rustc("rc", RC, Some(&tokio)).expect_err("it compiled");
        assert!(
            error.contains("future cannot be sent between threads safely"),
            "{error}"
        );
        assert!(error.contains("Rc<Cell<i32>>"), "{error}");
        assert!(
            error.contains("required by a bound in `tokio::spawn`"),
            "{error}"
        );
    }
}
