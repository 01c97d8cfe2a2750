//! `booktools check-claims` on fixture repositories.

mod common;

use common::{CLAIMS, Repo, SPAWN_COST_LINE, measurements_json, stderr, stdout};

#[test]
fn claims_that_hold_pass_with_a_summary() {
    let repo = Repo::with_measurements();
    let output = repo.booktools(&["check-claims"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "ok    spawn-cost: 84x >= 20x\n\
         ok    memory-cost: 20.5x >= 10x\n\
         check-claims: all 2 claims hold in measurements/measurements.json \
         (full mode, measured 2026-11-23T18:10:05Z)\n"
    );
}

#[test]
fn a_threshold_above_the_measured_ratio_fails_naming_claim_ratio_and_threshold() {
    let raised = CLAIMS.replace("at_least = 20", "at_least = 90");
    let repo = Repo::with_measurements().file("measurements/claims.toml", &raised);
    let output = repo.booktools(&["check-claims"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    let expected = format!(
        "error: claim `spawn-cost` does not hold: measured ratio 84x is below its threshold 90x \
         (spawn/thread = 31.2 µs, spawn/task = 372 ns) [measurements/claims.toml:{SPAWN_COST_LINE}]"
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(
        stderr.contains("check-claims: 1 of 2 claims fail"),
        "{stderr}"
    );
    assert!(stdout(&output).contains("ok    memory-cost"));
}

#[test]
fn a_slower_thread_side_is_checked_on_its_own_figures() {
    // The same registry, measurements where threads got cheap: 12.3x < 20x.
    let repo = Repo::with_measurements()
        .file("runs/slow.json", &measurements_json(372.0 * 12.3));
    let output = repo.booktools(&["check-claims", "runs/slow.json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("measured ratio 12.3x is below its threshold 20x")
    );
}

#[test]
fn a_missing_measurement_names_the_claim_and_the_id() {
    let json =
        measurements_json(31_234.0).replace("\"memory/task\"", "\"memory/other\"");
    let repo =
        Repo::with_measurements().file("measurements/measurements.json", &json);
    let output = repo.booktools(&["check-claims", "--rerun", "2"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(
        stderr.contains(
            "error: claim `memory-cost` has no measurement `memory/task`: measure its source \
             (`booktools measure --source memory`) [measurements/claims.toml:30]"
        ),
        "{stderr}"
    );
    // A missing figure is not noise: nothing is re-measured for it.
    assert!(!stdout(&output).contains("re-measuring"));
}

#[test]
fn a_missing_measurements_file_says_how_to_make_one() {
    let repo = Repo::new().file("measurements/claims.toml", CLAIMS);
    let output = repo.booktools(&["check-claims"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr(&output);
    assert!(
        stderr.contains("cannot read measurements/measurements.json"),
        "{stderr}"
    );
    assert!(stderr.contains("booktools measure"), "{stderr}");
}

#[test]
fn bad_arguments_are_usage_errors() {
    let repo = Repo::with_measurements();
    for args in [
        &["check-claims", "--rerun", "two"][..],
        &["check-claims", "a.json", "b.json"],
        &["check-claims", "--frobnicate"],
    ] {
        assert_eq!(repo.booktools(args).status.code(), Some(2), "{args:?}");
    }
}
