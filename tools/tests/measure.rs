//! `booktools measure`: the criterion results reader, merging, provenance,
//! and whole runs on a fake workspace whose "benchmark" and probe write
//! results the way criterion 0.8 and the book's probes do.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use booktools::criterion_results::read_group;
use booktools::measurements::{Measurements, Unit, Value};
use common::{CLAIMS, Repo, measurements_json, stderr, stdout};

/// `estimates.json` as criterion 0.8 writes it (nanoseconds; `slope` is null
/// in flat sampling).
fn estimates(median: f64, lower: f64, upper: f64) -> String {
    let estimate = |point: f64, low: f64, high: f64| {
        format!(
            r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{low},"upper_bound":{high}}},"point_estimate":{point},"standard_error":12.5}}"#
        )
    };
    format!(
        r#"{{"mean":{},"median":{},"median_abs_dev":{},"slope":null,"std_dev":{}}}"#,
        estimate(median * 1.1, lower * 1.1, upper * 1.1),
        estimate(median, lower, upper),
        estimate(40.0, 30.0, 50.0),
        estimate(90.0, 80.0, 100.0)
    )
}

/// `benchmark.json` as criterion 0.8 writes it.
fn benchmark(group: &str, function: &str, parameter: Option<&str>) -> String {
    let full_id = match parameter {
        Some(p) => format!("{group}/{function}/{p}"),
        None => format!("{group}/{function}"),
    };
    let value_str = parameter.map_or("null".to_string(), |p| format!("\"{p}\""));
    format!(
        r#"{{"group_id":"{group}","function_id":"{function}","value_str":{value_str},"throughput":null,"full_id":"{full_id}","directory_name":"{full_id}","title":"{full_id}"}}"#
    )
}

fn write_result(dir: &Path, estimates: &str, benchmark: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("estimates.json"), estimates).unwrap();
    fs::write(dir.join("benchmark.json"), benchmark).unwrap();
}

#[test]
fn criterion_results_are_keyed_by_full_id_with_the_median_and_its_interval() {
    let criterion = tempfile::tempdir().unwrap();
    let group = criterion.path().join("scale");
    write_result(
        &group.join("tasks/1000/new"),
        &estimates(412_000.0, 401_000.0, 430_500.0),
        &benchmark("scale", "tasks", Some("1000")),
    );
    write_result(
        &group.join("thread/new"),
        &estimates(31_200.0, 30_000.0, 32_000.0),
        &benchmark("scale", "thread", None),
    );
    // An earlier run (`base`) and a comparison (`change`) are never read.
    write_result(
        &group.join("thread/base"),
        &estimates(1.0, 1.0, 1.0),
        &benchmark("scale", "old", None),
    );
    fs::create_dir_all(group.join("thread/change")).unwrap();
    fs::write(group.join("thread/change/estimates.json"), "{}").unwrap();

    let values = read_group(&group).unwrap();
    assert_eq!(
        values.keys().collect::<Vec<_>>(),
        ["scale/tasks/1000", "scale/thread"]
    );
    assert_eq!(
        values["scale/tasks/1000"],
        Value {
            unit: Unit::Ns,
            value: 412_000.0,
            lower: Some(401_000.0),
            upper: Some(430_500.0),
            points: Vec::new(),
        }
    );
    assert_eq!(values["scale/thread"].value, 31_200.0);
}

#[test]
fn a_broken_criterion_result_names_its_file() {
    let criterion = tempfile::tempdir().unwrap();
    let dir = criterion.path().join("spawn/thread/new");
    write_result(&dir, r#"{"mean": {}}"#, &benchmark("spawn", "thread", None));
    let error = read_group(&criterion.path().join("spawn")).unwrap_err();
    assert!(error.contains("spawn/thread/new/estimates.json"), "{error}");
    assert!(error.contains("median"), "{error}");
}

#[test]
fn merging_replaces_fresh_ids_keeps_the_accepted_rest_and_marks_mixed_modes() {
    let earlier: Measurements =
        serde_json::from_str(&measurements_json(31_234.0)).unwrap();
    let mut fresh = earlier.clone();
    fresh.provenance.mode = "ci".into();
    fresh.provenance.date = "2026-12-01T00:00:00Z".into();
    fresh.values.clear();
    let value = |v| Value {
        unit: Unit::Ns,
        value: v,
        lower: None,
        upper: None,
        points: Vec::new(),
    };
    fresh.values.insert("spawn/thread".into(), value(1.0));
    fresh.values.insert("spawn/new".into(), value(2.0));

    // As `measure --source spawn` does: drop what is left of the measured source.
    let merged = Measurements::merge(Some(earlier.clone()), fresh.clone(), |id| {
        !id.starts_with("spawn/")
    });
    assert_eq!(merged.values["spawn/thread"].value, 1.0);
    assert_eq!(merged.values["spawn/new"].value, 2.0);
    assert!(!merged.values.contains_key("spawn/task"));
    assert_eq!(merged.values["memory/task"], earlier.values["memory/task"]);
    assert_eq!(merged.provenance.mode, "ci+full");
    assert_eq!(merged.provenance.date, "2026-12-01T00:00:00Z");

    // Nothing kept: the file is the fresh one.
    let replaced = Measurements::merge(Some(earlier), fresh, |_| false);
    assert_eq!(replaced.values.len(), 2);
    assert_eq!(replaced.provenance.mode, "ci");
}

// ---------------------------------------------------------------- whole runs

/// A "bench target" that writes criterion-shaped results to `$CRITERION_HOME`
/// without criterion. Odd runs measure threads at 15x the task, even runs at
/// 50x, so a claim of 20x fails and then holds. It writes only the ids its
/// filter (a `^(...)$` argument) names, and records its arguments.
const FAKE_BENCH: &str = r#"
use std::fs;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let home = PathBuf::from(std::env::var("CRITERION_HOME").unwrap());
    let state = PathBuf::from(std::env::var("FAKE_STATE").unwrap());
    let runs = fs::read_to_string(state.join("runs")).map_or(0, |t| t.trim().parse().unwrap()) + 1;
    fs::write(state.join("runs"), runs.to_string()).unwrap();
    fs::write(state.join(format!("bench-args-{runs}")), args.join(" ")).unwrap();
    let filter = args.iter().find(|a| a.starts_with('^'));
    let thread = if runs % 2 == 1 { 1500.0 } else { 5000.0 };
    for (name, value) in [("thread", thread), ("task", 100.0), ("other", 7.0)] {
        let id = format!("spawn/{name}");
        if filter.is_some_and(|f| !f.contains(&format!("{id}|")) && !f.contains(&format!("{id})"))) {
            continue;
        }
        let dir = home.join("spawn").join(name).join("new");
        fs::create_dir_all(&dir).unwrap();
        let estimate = format!(
            "{{\"confidence_interval\":{{\"confidence_level\":0.95,\"lower_bound\":{},\"upper_bound\":{}}},\"point_estimate\":{value},\"standard_error\":1.0}}",
            value * 0.9,
            value * 1.1
        );
        let estimates = format!(
            "{{\"mean\":{estimate},\"median\":{estimate},\"median_abs_dev\":{estimate},\"slope\":null,\"std_dev\":{estimate}}}"
        );
        fs::write(dir.join("estimates.json"), estimates).unwrap();
        let benchmark = format!(
            "{{\"group_id\":\"spawn\",\"function_id\":\"{name}\",\"value_str\":null,\"throughput\":null,\"full_id\":\"{id}\",\"directory_name\":\"{id}\",\"title\":\"{id}\"}}"
        );
        fs::write(dir.join("benchmark.json"), benchmark).unwrap();
    }
}
"#;

/// A probe in the book's shape: `--out FILE [--quick]`, JSON id -> value.
const FAKE_PROBE: &str = r##"
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let state = std::path::PathBuf::from(std::env::var("FAKE_STATE").unwrap());
    std::fs::write(state.join("probe-args"), args.join(" ")).unwrap();
    let out = &args[args.iter().position(|a| a == "--out").unwrap() + 1];
    let json = r#"{"memory/thread": {"unit": "bytes", "value": 9830.4},
                   "memory/task": {"unit": "bytes", "value": 480.0, "points": [[1.0, 480.0], [2.0, 960.0]]}}"#;
    std::fs::write(out, json).unwrap();
}
"##;

/// A workspace with the fake bench and probe as package `fake`, the fixture
/// registry, and its own target directory and state directory.
fn fake_workspace() -> Repo {
    let repo = Repo::new()
        .file("measurements/claims.toml", CLAIMS)
        .file(
            "Cargo.toml",
            "[workspace]\nresolver = \"3\"\nmembers = [\"fake\"]\n",
        )
        .file(
            "Cargo.lock",
            "# This file is automatically @generated by Cargo.\n\
             # It is not intended for manual editing.\n\
             version = 4\n\n[[package]]\nname = \"fake\"\nversion = \"0.1.0\"\n",
        )
        .file(
            "fake/Cargo.toml",
            "[package]\nname = \"fake\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [[bench]]\nname = \"spawn\"\nharness = false\n",
        )
        .file("fake/benches/spawn.rs", FAKE_BENCH)
        .file("fake/src/bin/memory_probe.rs", FAKE_PROBE);
    fs::create_dir_all(repo.join("state")).unwrap();
    repo
}

fn run_in(repo: &Repo, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_booktools"))
        .args(args)
        .current_dir(repo.path())
        .env("CARGO_TARGET_DIR", repo.join("target"))
        .env("FAKE_STATE", repo.join("state"))
        .env_remove("CRITERION_HOME")
        .output()
        .unwrap()
}

#[test]
fn measure_runs_each_source_fresh_and_merges_partial_runs() {
    let repo = fake_workspace();
    // A stale result from an earlier run must not be read.
    write_result(
        &repo.join("target/criterion/spawn/stale/new"),
        &estimates(1.0, 1.0, 1.0),
        &benchmark("spawn", "stale", None),
    );
    let output = run_in(&repo, &["measure", "--mode", "ci"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let stdout = stdout(&output);
    assert!(
        stdout.contains("measure: spawn (criterion, ci mode) took "),
        "{stdout}"
    );
    assert!(
        stdout.contains("measure: memory (probe, ci mode) took "),
        "{stdout}"
    );
    assert!(
        stdout.contains("wrote 5 values to target/measurements/ci.json"),
        "{stdout}"
    );

    let bench_args = repo.read("state/bench-args-1");
    assert!(
        bench_args.contains(
            "--noplot --warm-up-time 1 --measurement-time 2 --sample-size 20"
        ),
        "{bench_args}"
    );
    assert!(repo.read("state/probe-args").ends_with("--quick"));

    let ci = Measurements::load(&repo.join("target/measurements/ci.json")).unwrap();
    let ids: Vec<&str> = ci.values.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "memory/task",
            "memory/thread",
            "spawn/other",
            "spawn/task",
            "spawn/thread"
        ]
    );
    assert_eq!(ci.values["spawn/thread"].value, 1500.0);
    assert_eq!(ci.values["spawn/thread"].lower, Some(1350.0));
    assert_eq!(
        ci.values["memory/task"].points,
        [[1.0, 480.0], [2.0, 960.0]]
    );
    let p = &ci.provenance;
    assert_eq!(p.mode, "ci");
    assert!(p.date.ends_with('Z') && !p.cpu.is_empty() && p.cores >= 1);
    assert!(p.rustc.starts_with("rustc ") && !p.kernel.is_empty());

    // Only the probe again: the bench's figures stay, the bench does not run.
    let output = run_in(&repo, &["measure", "--mode", "ci", "--source", "memory"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(repo.read("state/runs"), "1");
    let merged =
        Measurements::load(&repo.join("target/measurements/ci.json")).unwrap();
    assert_eq!(merged.values, ci.values);

    // A source CI does not measure cannot be measured in ci mode.
    let output = run_in(&repo, &["measure", "--mode", "ci", "--source", "scale"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--source scale: the source has in_ci = false")
    );
}

/// The fixture measurements with spawn/thread at 10x spawn/task (failing
/// 20x) and an extra benchmark that no claim needs.
fn failing_measurements(repo: Repo) -> Repo {
    let json = measurements_json(3720.0).replace(
        r#""spawn/task": {"unit": "ns", "value": 372.0}"#,
        r#""spawn/task": {"unit": "ns", "value": 372.0}, "spawn/other": {"unit": "ns", "value": 1.0}"#,
    );
    repo.file("measurements/measurements.json", &json)
}

#[test]
fn rerun_remeasures_only_the_failing_claims_benchmarks_until_they_hold() {
    let repo = failing_measurements(fake_workspace());
    let output = run_in(&repo, &["check-claims", "--rerun", "2"]);
    let (stdout, stderr) = (stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    // 10x at first, 15x on the first re-run, 50x on the second.
    assert!(
        stderr.contains("measured ratio 10x is below its threshold 20x"),
        "{stderr}"
    );
    assert!(
        stderr.contains("measured ratio 15x is below its threshold 20x"),
        "{stderr}"
    );
    assert!(stdout.contains("ok    spawn-cost: 50x >= 20x"), "{stdout}");
    assert!(
        stdout.contains("check-claims: all 2 claims hold in measurements/measurements.json after 2 re-measurements (ci+full mode"),
        "{stdout}"
    );
    let bench_args = repo.read("state/bench-args-1");
    assert!(
        bench_args.contains(" ^(spawn/thread|spawn/task)$ "),
        "{bench_args}"
    );
    assert!(bench_args.contains("--sample-size 20"), "{bench_args}");
    let merged =
        Measurements::load(&repo.join("measurements/measurements.json")).unwrap();
    assert_eq!(merged.values["spawn/thread"].value, 5000.0);
    // Not re-measured, so kept as it was.
    assert_eq!(merged.values["spawn/other"].value, 1.0);
    assert_eq!(merged.values["memory/thread"].value, 9830.4);
}

#[test]
fn rerun_gives_up_after_n_attempts() {
    let repo = failing_measurements(fake_workspace());
    let output = run_in(&repo, &["check-claims", "--rerun", "1"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(
        stderr.contains("measured ratio 15x is below its threshold 20x"),
        "{stderr}"
    );
    assert!(
        stderr.contains("check-claims: 1 of 2 claims fail in measurements/measurements.json after 1 re-measurement"),
        "{stderr}"
    );
}

#[test]
fn soak_measures_n_times_checks_each_run_and_writes_the_noise() {
    let repo = fake_workspace();
    let output = run_in(&repo, &["soak", "2", "--out", "target/noise.json"]);
    let stdout = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        stderr(&output)
    );
    assert!(
        stdout.contains("soak: run 1 of 2") && stdout.contains("soak: run 2 of 2")
    );
    assert!(
        stdout
            .contains("error: claim `spawn-cost` does not hold: measured ratio 15x")
    );
    assert!(stdout.contains("ok    spawn-cost: 50x >= 20x"), "{stdout}");
    assert!(
        stdout.contains("soak: 2 runs, 1 with a failing claim"),
        "{stdout}"
    );
    for k in [1, 2] {
        let run = Measurements::load(
            &repo.join(&format!("target/measurements/soak-{k}.json")),
        );
        assert_eq!(run.unwrap().provenance.mode, "ci");
    }
    let noise =
        booktools::noise::Noise::load(&repo.join("target/noise.json")).unwrap();
    let spawn = &noise.claims["spawn-cost"];
    assert_eq!(
        (spawn.runs, spawn.min, spawn.max, spawn.below),
        (2, 15.0, 50.0, 1)
    );
}
