//! How much each claim's ratio moves from run to run: min, median and max
//! over several measurement files (`booktools noise`, `booktools soak`).
//! The appendix prints it, so readers see how much margin each threshold has.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::claims::{Verdict, evaluate};
use crate::measure::{self, Mode, load_registry};
use crate::measurements::Measurements;
use crate::registry::Registry;
use crate::units::{format_ratio, format_threshold};

/// The committed file, relative to the repository root.
pub const PATH: &str = "measurements/noise.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Noise {
    /// The runs' measurement mode (`ci`), CPU and core count.
    pub mode: String,
    pub cpu: String,
    pub cores: usize,
    /// Dates of the first and last run.
    pub first: String,
    pub last: String,
    /// Keyed by claim id.
    pub claims: BTreeMap<String, ClaimNoise>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimNoise {
    /// Runs that had both of the claim's figures.
    pub runs: usize,
    pub min: f64,
    pub median: f64,
    pub max: f64,
    /// The threshold when the runs were checked, and how many runs fell below it.
    pub at_least: f64,
    pub below: usize,
}

impl Noise {
    pub fn load(path: &Path) -> Result<Noise, String> {
        crate::files::load_json(path)
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        crate::files::save_json(path, self)
    }
}

/// The spread of every claim's ratio over `runs`.
pub fn compute(registry: &Registry, runs: &[Measurements]) -> Result<Noise, String> {
    let first = runs.first().ok_or("no runs given")?;
    let last = runs.last().unwrap_or(first);
    let mut claims = BTreeMap::new();
    for claim in &registry.claims {
        let mut ratios: Vec<f64> = runs
            .iter()
            .filter_map(|run| match evaluate(claim, run) {
                Verdict::Holds(e) | Verdict::DoesNotHold(e) => Some(e.ratio),
                Verdict::Unusable { .. } => None,
            })
            .collect();
        if ratios.is_empty() {
            continue;
        }
        ratios.sort_by(f64::total_cmp);
        let middle = ratios.len() / 2;
        let median = if ratios.len() % 2 == 1 {
            ratios[middle]
        } else {
            (ratios[middle - 1] + ratios[middle]) / 2.0
        };
        let noise = ClaimNoise {
            runs: ratios.len(),
            min: ratios[0],
            median,
            max: ratios[ratios.len() - 1],
            at_least: claim.at_least,
            below: ratios.iter().filter(|r| **r < claim.at_least).count(),
        };
        claims.insert(claim.id.clone(), noise);
    }
    Ok(Noise {
        mode: first.provenance.mode.clone(),
        cpu: first.provenance.cpu.clone(),
        cores: first.provenance.cores,
        first: first.provenance.date.clone(),
        last: last.provenance.date.clone(),
        claims,
    })
}

/// A table for the terminal, one row per claim in registry order.
pub fn text_table(registry: &Registry, noise: &Noise) -> String {
    let mut rows = vec![[
        "claim".to_string(),
        "threshold".into(),
        "min".into(),
        "median".into(),
        "max".into(),
        "runs".into(),
        "below".into(),
    ]];
    for claim in &registry.claims {
        let Some(n) = noise.claims.get(&claim.id) else {
            continue;
        };
        rows.push([
            claim.id.clone(),
            format_threshold(claim.at_least),
            format_ratio(n.min),
            format_ratio(n.median),
            format_ratio(n.max),
            n.runs.to_string(),
            n.below.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|col| {
            rows.iter()
                .map(|r| r[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

/// `booktools noise RUNS... --out PATH`.
pub fn run_noise(root: &Path, runs: &[PathBuf], out: &Path) -> Result<(), String> {
    let registry = load_registry(root)?;
    let loaded = runs
        .iter()
        .map(|path| Measurements::load(&crate::under(root, path)))
        .collect::<Result<Vec<_>, _>>()?;
    let noise = compute(&registry, &loaded)?;
    noise.save(&crate::under(root, out))?;
    print!("{}", text_table(&registry, &noise));
    println!("noise: {} runs, written to {}", loaded.len(), out.display());
    Ok(())
}

/// `booktools soak N`: N CI-mode measurements, each checked, then the noise
/// over all of them. Returns the number of runs in which some claim failed.
pub fn run_soak(root: &Path, count: usize, out: &Path) -> Result<usize, String> {
    let registry = load_registry(root)?;
    let mut runs = Vec::new();
    let mut failed_runs = 0;
    for k in 1..=count {
        let file = PathBuf::from(format!("target/measurements/soak-{k}.json"));
        let path = crate::under(root, &file);
        // Each run starts from an empty file, so nothing carries over.
        crate::files::remove_stale(&path)?;
        println!("soak: run {k} of {count}");
        let options = measure::Options {
            mode: Mode::Ci,
            sources: Vec::new(),
            out: Some(file),
        };
        measure::run(root, &options)?;
        let measurements = Measurements::load(&path)?;
        let mut all_hold = true;
        for claim in &registry.claims {
            let verdict = evaluate(claim, &measurements);
            all_hold &= verdict.holds();
            println!("{}", verdict.report());
        }
        failed_runs += usize::from(!all_hold);
        runs.push(measurements);
    }
    let noise = compute(&registry, &runs)?;
    noise.save(&crate::under(root, out))?;
    print!("{}", text_table(&registry, &noise));
    println!(
        "soak: {count} runs, {failed_runs} with a failing claim; noise written to {}",
        out.display()
    );
    Ok(failed_runs)
}
