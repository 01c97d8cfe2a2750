//! Reads the results criterion 0.8 leaves on disk:
//! `<criterion dir>/<group>/<function>[/<parameter>]/new/{estimates,benchmark}.json`.
//!
//! The figure kept is the median (robust to the outliers a busy machine
//! produces), with the bounds of its confidence interval.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::measurements::{Unit, Value};

/// Where criterion writes its results, as criterion itself decides it:
/// `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else `target/criterion`
/// (relative paths are taken from `root`).
pub fn criterion_dir(root: &Path) -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return crate::under(root, Path::new(&home));
    }
    target_dir(root).join("criterion")
}

/// Cargo's target directory: `$CARGO_TARGET_DIR`, else `target` under `root`.
pub fn target_dir(root: &Path) -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| "target".into(), PathBuf::from);
    crate::under(root, &dir)
}

#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
    confidence_interval: ConfidenceInterval,
}

#[derive(Deserialize)]
struct ConfidenceInterval {
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct Benchmark {
    full_id: String,
}

/// Every benchmark under `group_dir` (e.g. `target/criterion/spawn`), keyed by
/// criterion's `full_id` (`spawn/thread`, `scale/tasks/1000`), in nanoseconds.
pub fn read_group(group_dir: &Path) -> Result<BTreeMap<String, Value>, String> {
    let mut new_dirs = Vec::new();
    find_new_dirs(group_dir, &mut new_dirs)?;
    let mut values = BTreeMap::new();
    for dir in new_dirs {
        let estimates: Estimates = read_json(&dir.join("estimates.json"))?;
        let benchmark: Benchmark = read_json(&dir.join("benchmark.json"))?;
        let median = estimates.median;
        let value = Value {
            unit: Unit::Ns,
            value: median.point_estimate,
            lower: Some(median.confidence_interval.lower_bound),
            upper: Some(median.confidence_interval.upper_bound),
            points: Vec::new(),
        };
        values.insert(benchmark.full_id, value);
    }
    Ok(values)
}

/// Collects, in a stable order, every `new` directory holding an
/// `estimates.json` (criterion's `base` and `change` directories are older
/// runs and comparisons, never read).
fn find_new_dirs(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut subdirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    subdirs.sort();
    for subdir in subdirs {
        if subdir.file_name().is_some_and(|name| name == "new") {
            if subdir.join("estimates.json").is_file() {
                found.push(subdir);
            }
        } else {
            find_new_dirs(&subdir, found)?;
        }
    }
    Ok(())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    let text = crate::files::read(path)?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: {e}: not a criterion 0.8 result; delete the directory and measure again",
            path.display()
        )
    })
}
