//! Fixture repositories for the measurement, claim and preprocessor tests:
//! a registry, a measurements file and chapters in a temporary directory.

#![allow(dead_code)] // each test binary uses a different part

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A registry with a criterion source, a probe, two claims and two charts.
/// The claim `spawn-cost` has its id on line 23.
pub const CLAIMS: &str = r#"# fixture registry
[[source]]
id = "spawn"
kind = "criterion"
package = "fake"
target = "spawn"
in_ci = true

[[source]]
id = "memory"
kind = "probe"
package = "fake"
target = "memory_probe"
in_ci = true

[[source]]
id = "scale"
kind = "criterion"
package = "fake"
target = "scale"

[[claim]]
id = "spawn-cost"
sentence = "A task is much cheaper to spawn than a thread."
numerator = "spawn/thread"
denominator = "spawn/task"
at_least = 20

[[claim]]
id = "memory-cost"
sentence = "A parked task needs far less memory than a parked thread."
numerator = "memory/thread"
denominator = "memory/task"
at_least = 10

[[chart]]
id = "scale-cost"
title = "Spawn cost per unit"
kind = "lines"
y_label = "time per unit"
x_label = "units"
per_unit = true
series = [
  { label = "threads", prefix = "scale/threads/" },
  { label = "tasks", prefix = "scale/tasks/" },
]

[[chart]]
id = "spawn-bars"
title = "Spawn & join"
kind = "bars"
y_label = "median time"
bars = [
  { label = "thread", measurement = "spawn/thread" },
  { label = "task", measurement = "spawn/task" },
]
"#;

pub const SPAWN_COST_LINE: usize = 23;

/// A measurements file: 31.2 µs against 372 ns (ratio 84), 9.6 KiB against
/// 480 B (ratio 20.5), and a scale series.
pub fn measurements_json(thread_ns: f64) -> String {
    let mut values = vec![
        format!(
            r#""spawn/thread": {{"unit": "ns", "value": {thread_ns}, "lower": 30000.0, "upper": 32500.0}}"#
        ),
        r#""spawn/task": {"unit": "ns", "value": 372.0}"#.to_string(),
        r#""memory/thread": {"unit": "bytes", "value": 9830.4}"#.to_string(),
        r#""memory/task": {"unit": "bytes", "value": 480.0}"#.to_string(),
    ];
    for n in [1, 10, 100, 1000] {
        let total = f64::from(n) * 30_000.0;
        values.push(format!(
            r#""scale/threads/{n}": {{"unit": "ns", "value": {total}}}"#
        ));
    }
    for n in [1, 10, 100, 1000, 10_000, 100_000] {
        let total = f64::from(n) * 400.0 + 2000.0;
        values.push(format!(
            r#""scale/tasks/{n}": {{"unit": "ns", "value": {total}}}"#
        ));
    }
    format!(
        r#"{{
  "provenance": {{
    "date": "2026-11-23T18:10:05Z",
    "mode": "full",
    "cpu": "Fixture CPU @ 2.0GHz",
    "cores": 2,
    "kernel": "6.1.0-fixture",
    "rustc": "rustc 1.95.0 (fixture)",
    "crates": {{"tokio": "1.54.1", "criterion": "0.8.2"}},
    "commit": "abc1234"
  }},
  "values": {{
    {}
  }}
}}
"#,
        values.join(",\n    ")
    )
}

/// A repository root in a temporary directory.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Repo {
        Repo {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The fixture registry and measurements (spawn/thread = 31.2 µs).
    pub fn with_measurements() -> Repo {
        Repo::new().file("measurements/claims.toml", CLAIMS).file(
            "measurements/measurements.json",
            &measurements_json(31_234.0),
        )
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn file(self, relative: &str, text: &str) -> Repo {
        let path = self.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    pub fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.join(relative)).unwrap()
    }

    /// Runs `booktools ARGS` with the repository as working directory.
    pub fn booktools(&self, args: &[&str]) -> Output {
        booktools(self.path(), args)
    }
}

pub fn booktools(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_booktools"))
        .args(args)
        .current_dir(dir)
        .env_remove("BOOK_MEASUREMENTS")
        .output()
        .unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}
