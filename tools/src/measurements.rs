//! `measurements/measurements.json`: every figure the book prints, with where
//! and how it was measured.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The committed file, relative to the repository root: what `mdbook serve`
/// shows until a reader re-measures on their own machine.
pub const COMMITTED: &str = "measurements/measurements.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measurements {
    pub provenance: Provenance,
    /// Keyed by measurement id, `<source>/<name>[/<parameter>]`.
    pub values: BTreeMap<String, Value>,
}

/// Where and how a set of measurements was taken.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// UTC, ISO 8601.
    pub date: String,
    /// `full` (criterion's default settings) or `ci` (short settings).
    pub mode: String,
    pub cpu: String,
    pub cores: usize,
    pub kernel: String,
    pub rustc: String,
    /// Versions of the crates being measured, from Cargo.lock.
    pub crates: BTreeMap<String, String>,
    #[serde(default)]
    pub commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Value {
    pub unit: Unit,
    /// The figure the book prints: criterion's median, or a probe's estimate.
    pub value: f64,
    /// Confidence interval of `value`, when the source gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
    /// Raw (x, y) points behind a fitted value, for charts: e.g. resident
    /// bytes (y) against the number of parked threads (x).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Nanoseconds.
    Ns,
    Bytes,
    /// A plain count or factor, printed without a unit.
    Count,
    /// A rate: a count per second (requests per second).
    PerSecond,
}

impl Measurements {
    pub fn load(path: &Path) -> Result<Measurements, String> {
        crate::files::load_json(path)
    }

    /// Writes the file, creating its directory if needed.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        crate::files::save_json(path, self)
    }

    /// Adds `fresh` values to an earlier file's, keeping the earlier values
    /// whose id `keep` accepts and replacing the rest. The provenance is the
    /// fresh one; when the two were taken in different modes, the mode says
    /// so (`ci+full`), so a mixed file never passes for a pure one.
    pub fn merge(
        earlier: Option<Measurements>,
        fresh: Measurements,
        keep: impl Fn(&str) -> bool,
    ) -> Measurements {
        let Some(earlier) = earlier else {
            return fresh;
        };
        let mut values: BTreeMap<String, Value> = earlier
            .values
            .into_iter()
            .filter(|(id, _)| keep(id) && !fresh.values.contains_key(id))
            .collect();
        let kept_any = !values.is_empty();
        values.extend(fresh.values);
        let mut provenance = fresh.provenance;
        if kept_any {
            provenance.mode =
                merged_mode(&earlier.provenance.mode, &provenance.mode);
        }
        Measurements { provenance, values }
    }
}

/// `ci` and `full` give `ci+full`; equal modes stay as they are.
fn merged_mode(earlier: &str, fresh: &str) -> String {
    let mut modes: Vec<&str> = earlier.split('+').chain(fresh.split('+')).collect();
    modes.sort_unstable();
    modes.dedup();
    modes.join("+")
}

/// What a probe binary writes to its `--out` file: measurement id -> value.
pub type ProbeOutput = BTreeMap<String, Value>;
