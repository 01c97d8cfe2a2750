//! The book's skip convention, shared by the tests of every listing crate.
//!
//! A test that cannot observe its property on the machine at hand (it needs
//! two CPUs and has one, say) must not pass silently. It calls [`skip!`] (or
//! asks [`has_cpus!`] first), which prints
//! `skipped: <package>::<module>::<test>: <reason>` on stderr and appends the
//! same line to the file that `BOOK_SKIP_LOG` names, if set; then the test
//! returns. `ci/check.sh` lists and counts those lines as skipped, and
//! `booktools check-inventory --skipped` names the statements that cite them.
//! `BOOK_CPUS` overrides the CPU count, so the skip path can be tried on any
//! machine.

use std::io::Write;
use std::path::Path;

/// The CPUs this process may use: `BOOK_CPUS` if it is set, else what std
/// reports (which honours affinity masks and cgroup quotas).
pub fn cpus() -> usize {
    let std_count = std::thread::available_parallelism().map_or(1, |n| n.get());
    cpus_from(std::env::var("BOOK_CPUS").ok().as_deref(), std_count)
}

/// Whether `available` CPUs (see [`cpus`]) reach `needed`; if not, reports
/// `test` (its full path) as skipped, with the counts as the reason.
pub fn has_cpus(package: &str, test: &str, needed: usize) -> bool {
    let available = cpus();
    if available >= needed {
        return true;
    }
    skip(
        package,
        test,
        &format!("needs {needed} CPUs, has {available}"),
    );
    false
}

/// Reports `test` (its full path inside `package`) as skipped for `reason`:
/// on stderr, and in the file `BOOK_SKIP_LOG` names, if set.
pub fn skip(package: &str, test: &str, reason: &str) {
    let line = skip_line(package, test, reason);
    eprintln!("{line}");
    if let Some(path) = std::env::var_os("BOOK_SKIP_LOG") {
        append_line(Path::new(&path), &line);
    }
}

/// Reports the calling test skipped: `skip!("its_name", "why")`. The package
/// and the module path are the caller's.
#[macro_export]
macro_rules! skip {
    ($test:expr, $reason:expr $(,)?) => {
        $crate::skip(
            env!("CARGO_PKG_NAME"),
            &format!("{}::{}", module_path!(), $test),
            $reason,
        )
    };
}

/// `has_cpus!("its_name", 2)`: whether the machine has 2 CPUs; if not, the
/// calling test is reported skipped (package and module path are the caller's).
#[macro_export]
macro_rules! has_cpus {
    ($test:expr, $needed:expr $(,)?) => {
        $crate::has_cpus(
            env!("CARGO_PKG_NAME"),
            &format!("{}::{}", module_path!(), $test),
            $needed,
        )
    };
}

/// The line a skip writes: `skipped: <package>::<test>: <reason>`.
pub fn skip_line(package: &str, test: &str, reason: &str) -> String {
    format!("skipped: {package}::{test}: {reason}")
}

/// The CPU count given an override (`BOOK_CPUS`) and std's count. An override
/// that is not a number is a mistake worth stopping for, not a silent default.
pub fn cpus_from(book_cpus: Option<&str>, std_count: usize) -> usize {
    match book_cpus {
        Some(n) => n.trim().parse().unwrap_or_else(|_| {
            panic!("BOOK_CPUS must be a number of CPUs, not {n:?}")
        }),
        None => std_count,
    }
}

/// Whether the toolchain that runs the tests has the `rust-src` component.
/// With it, rustc quotes the standard library's source under each note that
/// points into std, so its messages differ from those of a toolchain without
/// it (trybuild's documentation, "Troubleshooting"). The committed `.stderr`
/// files of the compile-fail tests come from a toolchain without it.
pub fn rust_src_installed() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(output) = std::process::Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
    else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&output.stdout);
    Path::new(sysroot.trim())
        .join("lib/rustlib/src/rust/library")
        .is_dir()
}

/// Appends `line` and a newline to the log at `path`. A log that cannot be
/// written would hide a skip, so that is a panic, not a shrug.
pub fn append_line(path: &Path, line: &str) {
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("BOOK_SKIP_LOG {}: {e}", path.display()));
    writeln!(log, "{line}")
        .unwrap_or_else(|e| panic!("BOOK_SKIP_LOG {}: {e}", path.display()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_package_test_and_reason() {
        assert_eq!(
            skip_line(
                "ch06-parallelism",
                "ch06_parallelism::tests::probe",
                "needs 2 CPUs, has 1"
            ),
            "skipped: ch06-parallelism::ch06_parallelism::tests::probe: needs 2 CPUs, has 1"
        );
    }

    #[test]
    fn the_override_wins_over_std_and_std_counts_otherwise() {
        assert_eq!(cpus_from(Some("1"), 8), 1);
        assert_eq!(cpus_from(Some(" 4\n"), 2), 4);
        assert_eq!(cpus_from(None, 3), 3);
    }

    #[test]
    #[should_panic(expected = "BOOK_CPUS must be a number")]
    fn an_override_that_is_not_a_number_stops_the_test() {
        cpus_from(Some("two"), 2);
    }

    #[test]
    fn lines_are_appended_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("skips");
        append_line(&log, "skipped: a::b: one");
        append_line(&log, "skipped: a::c: two");
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(text, "skipped: a::b: one\nskipped: a::c: two\n");
    }

    #[test]
    fn the_macros_use_the_callers_package_and_module() {
        // Without BOOK_CPUS set, any machine has the one CPU asked for.
        if std::env::var_os("BOOK_CPUS").is_none() {
            assert!(has_cpus!(
                "the_macros_use_the_callers_package_and_module",
                1
            ));
        }
        let line = skip_line(
            env!("CARGO_PKG_NAME"),
            &format!("{}::{}", module_path!(), "t"),
            "r",
        );
        assert_eq!(line, "skipped: book-skip::book_skip::tests::t: r");
    }
}
