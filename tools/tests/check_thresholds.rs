//! `booktools check-thresholds`: each claim's `at_least` lies between half the
//! smallest ratio the soak saw and that ratio.

mod common;

use common::{CLAIMS, Repo, stderr, stdout};

/// The fixture claims' `at_least` lines (their ids are on 23 and 30).
const SPAWN_AT_LEAST_LINE: usize = 27;
const MEMORY_AT_LEAST_LINE: usize = 34;

/// A soak in which spawn-cost's smallest ratio is `spawn_min` and
/// memory-cost's is 20 (memory-cost left out when `memory` is false).
fn noise_json(spawn_min: f64, memory: bool) -> String {
    let claim = |id: &str, min: f64, at_least: f64| {
        format!(
            r#""{id}": {{"runs": 10, "min": {min}, "median": {}, "max": {}, "at_least": {at_least}, "below": 0}}"#,
            min * 1.1,
            min * 1.3
        )
    };
    let mut claims = vec![claim("spawn-cost", spawn_min, 20.0)];
    if memory {
        claims.push(claim("memory-cost", 20.0, 10.0));
    }
    format!(
        r#"{{"mode": "ci", "cpu": "Fixture CPU", "cores": 2, "first": "2026-11-23T18:35:01Z",
  "last": "2026-11-23T18:42:52Z", "claims": {{ {} }} }}"#,
        claims.join(", ")
    )
}

/// The fixture registry with spawn-cost's threshold set to `at_least`
/// (memory-cost keeps 10, within 10..20).
fn repo(at_least: f64, noise: Option<String>) -> Repo {
    let claims = CLAIMS.replace("at_least = 20", &format!("at_least = {at_least}"));
    let repo = Repo::new().file("measurements/claims.toml", &claims);
    match noise {
        Some(noise) => repo.file("measurements/noise.json", &noise),
        None => repo,
    }
}

#[test]
fn a_threshold_at_a_tenth_of_the_soak_minimum_fails_naming_claim_threshold_minimum_and_line()
 {
    let output =
        repo(20.0, Some(noise_json(200.0, true))).booktools(&["check-thresholds"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let stderr = stderr(&output);
    assert!(
        stderr.contains(&format!(
            "error: measurements/claims.toml:{SPAWN_AT_LEAST_LINE}: claim `spawn-cost`: \
             threshold 20x is below half the soak's smallest ratio 200x (10 runs, \
             measurements/noise.json)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("set at_least between 100 and 200"),
        "{stderr}"
    );
    assert!(!stderr.contains("memory-cost"), "{stderr}");
    assert!(
        stderr.contains("1 of 2 thresholds break the rule"),
        "{stderr}"
    );
}

#[test]
fn a_threshold_at_six_tenths_of_the_soak_minimum_passes() {
    let output =
        repo(120.0, Some(noise_json(200.0, true))).booktools(&["check-thresholds"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "check-thresholds: all 2 thresholds lie between half the soak's smallest ratio and \
         that ratio (measurements/noise.json)\n"
    );
}

#[test]
fn the_ends_of_the_range_pass_and_just_outside_them_fails() {
    for (at_least, code) in [(100.0, 0), (200.0, 0), (99.5, 1), (200.5, 1)] {
        let output = repo(at_least, Some(noise_json(200.0, true)))
            .booktools(&["check-thresholds"]);
        assert_eq!(output.status.code(), Some(code), "at_least {at_least}");
    }
}

#[test]
fn a_threshold_above_the_soak_minimum_fails_as_one_ci_would_trip_on() {
    let output =
        repo(250.0, Some(noise_json(200.0, true))).booktools(&["check-thresholds"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(
        stderr.contains(&format!(
            "error: measurements/claims.toml:{SPAWN_AT_LEAST_LINE}: claim `spawn-cost`: \
             threshold 250x is above the soak's smallest ratio 200x"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("an ordinary run can fail it"), "{stderr}");
}

#[test]
fn a_claim_the_soak_has_no_ratios_for_fails_and_says_how_to_soak() {
    let output =
        repo(120.0, Some(noise_json(200.0, false))).booktools(&["check-thresholds"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(
        stderr.contains(&format!(
            "error: measurements/claims.toml:{MEMORY_AT_LEAST_LINE}: claim `memory-cost`: \
             threshold 10x was never checked against a soak (measurements/noise.json has no \
             ratios for it): run `cargo run -p booktools -- soak 10`"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("`spawn-cost`"), "{stderr}");
}

#[test]
fn without_a_soak_file_every_claim_fails() {
    let output = repo(120.0, None).booktools(&["check-thresholds"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert_eq!(
        stderr
            .matches("there is no measurements/noise.json")
            .count(),
        2,
        "{stderr}"
    );
    assert!(stderr.contains("soak 10"), "{stderr}");
}

#[test]
fn another_soak_file_can_be_named() {
    let repo = repo(120.0, None).file("runs/noise.json", &noise_json(200.0, true));
    let output = repo.booktools(&["check-thresholds", "runs/noise.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("(runs/noise.json)"));
    assert_eq!(
        repo.booktools(&["check-thresholds", "a", "b"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn the_range_offered_is_rounded_inwards_so_both_ends_obey_the_rule() {
    // Half of 202.9 is 101.45: 101 would break the rule, 102 does not.
    let output =
        repo(20.0, Some(noise_json(202.9, true))).booktools(&["check-thresholds"]);
    assert!(
        stderr(&output).contains("set at_least between 102 and 202"),
        "{}",
        stderr(&output)
    );
    for (at_least, code) in [(102.0, 0), (202.0, 0), (101.0, 1)] {
        let output = repo(at_least, Some(noise_json(202.9, true)))
            .booktools(&["check-thresholds"]);
        assert_eq!(output.status.code(), Some(code), "at_least {at_least}");
    }
}
