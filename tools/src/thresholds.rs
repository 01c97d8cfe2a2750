//! `booktools check-thresholds`: each claim's threshold must be able to catch
//! a regression without making CI flap.
//!
//! The rule, against the soak (`booktools soak N`, which writes
//! `measurements/noise.json`): a claim's `at_least` lies between half the
//! smallest ratio the soak saw for it and that smallest ratio. Below half, a
//! figure could lose more than half its advantage and the claim would still
//! pass; above the minimum, an ordinary run could fail it. A claim the soak
//! has no figures for fails too: its threshold was never checked against noise.

use std::path::{Path, PathBuf};

use crate::measure::load_registry;
use crate::noise::{self, Noise};
use crate::registry::{self, Registry};
use crate::units::{format_ratio_ascii, format_threshold_ascii};

/// The command that produces the soak data.
pub const SOAK_COMMAND: &str = "cargo run -p booktools -- soak 10";

/// One threshold that breaks the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub claim: String,
    /// Line of the claim's `at_least` (or of its `id`) in the registry.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "error: {}: claim `{}`: {}",
            registry::location(self.line),
            self.claim,
            self.message
        )
    }
}

/// Checks every claim of `registry` against the soak in `noise` (`None`:
/// there is no soak file, named `noise_path` in messages).
pub fn check(
    registry: &Registry,
    noise: Option<&Noise>,
    noise_path: &str,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for claim in &registry.claims {
        let line = claim.at_least_line;
        let threshold = format_threshold_ascii(claim.at_least);
        let Some(seen) = noise.and_then(|n| n.claims.get(&claim.id)) else {
            let why = if noise.is_some() {
                format!("{noise_path} has no ratios for it")
            } else {
                format!("there is no {noise_path}")
            };
            problems.push(Problem {
                claim: claim.id.clone(),
                line,
                message: format!(
                    "threshold {threshold} was never checked against a soak ({why}): \
                     run `{SOAK_COMMAND}`, then set at_least between half the smallest \
                     ratio it reports and that ratio"
                ),
            });
            continue;
        };
        let min = format_ratio_ascii(seen.min);
        // The range to pick from, rounded inwards so that both ends obey the rule.
        let (low, high) = (bound(seen.min / 2.0, true), bound(seen.min, false));
        let runs = seen.runs;
        let message = if claim.at_least < seen.min / 2.0 {
            Some(format!(
                "threshold {threshold} is below half the soak's smallest ratio {min} \
                 ({runs} runs, {noise_path}), so the claim would still pass with under half of \
                 that ratio: set at_least between {low} and {high}"
            ))
        } else if claim.at_least > seen.min {
            Some(format!(
                "threshold {threshold} is above the soak's smallest ratio {min} \
                 ({runs} runs, {noise_path}), so an ordinary run can fail it: set at_least \
                 between {low} and {high}"
            ))
        } else {
            None
        };
        if let Some(message) = message {
            problems.push(Problem {
                claim: claim.id.clone(),
                line,
                message,
            });
        }
    }
    problems
}

/// `value` to 3 significant digits, rounded up or down (never to nearest),
/// as a threshold is written: `102`, `8.93`.
fn bound(value: f64, up: bool) -> String {
    if value <= 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let magnitude = value.log10().floor() as i32;
    let decimals = (2 - magnitude).max(0);
    let factor = 10f64.powi(decimals);
    let scaled = value * factor;
    // A product like 124.99999999 is 125 written by hand: do not step past it.
    let nearest = scaled.round();
    let rounded = if (scaled - nearest).abs() < 1e-6 {
        nearest
    } else if up {
        scaled.ceil()
    } else {
        scaled.floor()
    };
    format!("{}", rounded / factor)
}

/// `booktools check-thresholds [NOISE]` from `root`. `Ok(false)` when a
/// threshold breaks the rule (each problem printed on stderr).
pub fn run(root: &Path, noise_path: Option<&Path>) -> Result<bool, String> {
    let registry = load_registry(root)?;
    let relative =
        noise_path.map_or_else(|| PathBuf::from(noise::PATH), Path::to_path_buf);
    let path = crate::under(root, &relative);
    let noise = if path.exists() {
        Some(Noise::load(&path)?)
    } else {
        None
    };
    let shown = relative.display().to_string();
    let problems = check(&registry, noise.as_ref(), &shown);
    for problem in &problems {
        eprintln!("{problem}");
    }
    let total = registry.claims.len();
    if problems.is_empty() {
        println!(
            "check-thresholds: all {total} thresholds lie between half the soak's smallest \
             ratio and that ratio ({shown})"
        );
        Ok(true)
    } else {
        eprintln!(
            "check-thresholds: {} of {total} thresholds break the rule (between half the \
             soak's smallest ratio and that ratio); raise or lower at_least after a soak",
            problems.len()
        );
        Ok(false)
    }
}
