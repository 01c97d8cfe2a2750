//! Shared by the loom models in `tests/loom_*.rs`.

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: check
/// Every model explores the interleavings with at most this many
/// preemptions: enough for each bug here, and it keeps each model well under
/// a second.
pub const PREEMPTION_BOUND: usize = 2;

/// Runs `model` under loom: every interleaving of its threads within the
/// preemption bound, until one fails or all have passed. Every setting is
/// fixed here, so `LOOM_*` variables in the environment cannot change what
/// is explored or what a report looks like.
pub fn check(model: impl Fn() + Send + Sync + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(PREEMPTION_BOUND);
    builder.max_branches = 1_000;
    builder.max_permutations = None;
    builder.max_duration = None;
    builder.checkpoint_file = None;
    builder.log = false;
    // Record where each access happens, so that a report names the lines.
    builder.location = true;
    builder.check(model);
}
// ANCHOR_END: check

// ANCHOR: child
/// How long a failing model may take in its child process before we kill it.
const CHILD_DEADLINE: Duration = Duration::from_secs(120);

/// Runs the `#[ignore]`d test `model` of this same test binary in a child
/// process and returns what it printed to stderr, asserting that it failed.
/// A deadlock found while loom's `Arc` or `block_on` is alive aborts the
/// whole process, which `#[should_panic]` could not catch; a child process
/// can abort without taking the test run down with it.
pub fn failure_report(model: &str) -> String {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            model,
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RUST_BACKTRACE", "0") // the report, not a backtrace
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = thread::spawn(move || {
        let mut report = String::new();
        stderr.read_to_string(&mut report).unwrap();
        report
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CHILD_DEADLINE {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("model {model} still running after {CHILD_DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let report = reader.join().unwrap();
    assert!(!status.success(), "model {model} passed:\n{report}");
    save(model, &report);
    report
}
// ANCHOR_END: child

/// `ci/loom.sh` sets `CH07_LOOM_REPORTS` to a directory, and turns the raw
/// reports saved there into `reports/<model>.txt`.
fn save(model: &str, report: &str) {
    if let Some(dir) = std::env::var_os("CH07_LOOM_REPORTS") {
        std::fs::write(
            std::path::Path::new(&dir).join(format!("{model}.txt")),
            report,
        )
        .unwrap();
    }
}
