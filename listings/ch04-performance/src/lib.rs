//! The workloads behind chapter 4's benchmarks: what it costs to start a
//! unit of work, to pass control between two units, and to have many alive
//! at once, for OS threads and for tokio tasks side by side.
//!
//! Each function does the smallest real piece of work it names and returns
//! something the tests can check; the criterion targets in `benches/` only
//! time them.

pub mod relay;
pub mod scale;
pub mod spawn;
pub mod switch;

/// The book's skip convention: a test that needs `wanted` CPUs and cannot
/// have them says so on stderr (`skipped: <crate>::<test>: <reason>`), and
/// in the file `BOOK_SKIP_LOG` names if it is set, and returns `true`.
/// `BOOK_CPUS` overrides the CPU count, to exercise this path.
#[cfg(test)]
pub(crate) fn skip_unless_cpus(wanted: usize, test: &str) -> bool {
    let cpus = std::env::var("BOOK_CPUS")
        .ok()
        .and_then(|cpus| cpus.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if cpus >= wanted {
        return false;
    }
    let line = format!("skipped: ch04-performance::{test}: needs {wanted} CPUs, has {cpus}");
    eprintln!("{line}");
    if let Ok(path) = std::env::var("BOOK_SKIP_LOG") {
        use std::io::Write;
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path);
        let written = log.as_mut().map(|log| writeln!(log, "{line}"));
        written
            .expect("the skip log can be written")
            .expect("the skip log can be written");
    }
    true
}
