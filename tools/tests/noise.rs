//! `booktools noise`: the spread of each claim's ratio over several runs.

mod common;

use booktools::noise::Noise;
use common::{Repo, measurements_json, stderr, stdout};

#[test]
fn noise_gives_min_median_max_and_runs_per_claim() {
    let mut repo = Repo::with_measurements();
    // spawn-cost ratios 30x, 60x, 15x, 45x; the last run lacks memory figures.
    for (k, ratio) in [30.0, 60.0, 15.0, 45.0].into_iter().enumerate() {
        let mut json = measurements_json(372.0 * ratio);
        if k == 3 {
            json = json.replace("\"memory/", "\"gone/");
        }
        repo = repo.file(&format!("runs/{k}.json"), &json);
    }
    let runs = ["runs/0.json", "runs/1.json", "runs/2.json", "runs/3.json"];
    let output = repo
        .booktools(&[&["noise"][..], &runs, &["--out", "out/noise.json"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let noise = Noise::load(&repo.join("out/noise.json")).unwrap();
    let spawn = &noise.claims["spawn-cost"];
    assert_eq!((spawn.runs, spawn.below, spawn.at_least), (4, 1, 20.0));
    assert!((spawn.min - 15.0).abs() < 1e-9 && (spawn.max - 60.0).abs() < 1e-9);
    assert!((spawn.median - 37.5).abs() < 1e-9, "{}", spawn.median);
    assert_eq!(noise.claims["memory-cost"].runs, 3);
    assert_eq!((noise.mode.as_str(), noise.cores), ("full", 2));

    assert_eq!(
        stdout(&output),
        "claim        threshold  min  median  max  runs  below\n\
         spawn-cost   20×        15×  38×     60×  4     1\n\
         memory-cost  10×        20×  20×     20×  3     0\n\
         noise: 4 runs, written to out/noise.json\n"
    );
}

#[test]
fn noise_needs_runs_and_readable_files() {
    let repo = Repo::with_measurements();
    assert_eq!(repo.booktools(&["noise"]).status.code(), Some(2));
    let output = repo.booktools(&["noise", "runs/none.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot read runs/none.json"),
        "{}",
        stderr(&output)
    );
}
