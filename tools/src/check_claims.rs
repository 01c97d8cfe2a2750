//! `booktools check-claims`: every claim of the registry against a
//! measurements file, re-measuring failing claims a bounded number of times
//! (a short CI run on a shared machine can be unlucky once; a claim that fails
//! on fresh figures again and again does not hold).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::claims::{Verdict, evaluate};
use crate::measure::{Mode, load_existing, load_registry, measure_source};
use crate::measurements::Measurements;
use crate::provenance;
use crate::registry::{Claim, Registry, SourceKind};

#[derive(Debug, Clone)]
pub struct Options {
    /// The measurements file, relative to the root.
    pub path: PathBuf,
    /// How many times to re-measure failing claims.
    pub rerun: usize,
}

/// Prints one line per claim; `Ok(true)` when every claim holds.
pub fn run(root: &Path, options: &Options) -> Result<bool, String> {
    let registry = load_registry(root)?;
    let path = crate::under(root, &options.path);
    if registry.claims.is_empty() {
        println!("check-claims: {} has no claims", crate::registry::PATH);
        return Ok(true);
    }
    let mut measurements = load(&path)?;
    let mut failing =
        report(&registry.claims.iter().collect::<Vec<_>>(), &measurements);
    let mut reruns = 0;
    while reruns < options.rerun && failing.iter().any(|v| v.rerunnable) {
        reruns += 1;
        let claims: Vec<&Claim> = failing
            .iter()
            .filter(|v| v.rerunnable)
            .map(|v| v.claim)
            .collect();
        let ids: Vec<&str> = claims.iter().map(|c| c.id.as_str()).collect();
        println!(
            "check-claims: re-measuring for {} (re-run {reruns} of {}, ci mode)",
            ids.join(", "),
            options.rerun
        );
        remeasure(root, &registry, &claims, &path)?;
        measurements = load(&path)?;
        let unusable = failing.into_iter().filter(|v| !v.rerunnable);
        failing = unusable.chain(report(&claims, &measurements)).collect();
    }
    let total = registry.claims.len();
    let after = match reruns {
        0 => String::new(),
        1 => " after 1 re-measurement".to_string(),
        n => format!(" after {n} re-measurements"),
    };
    let file = options.path.display();
    if failing.is_empty() {
        println!(
            "check-claims: all {total} claims hold in {file}{after} ({} mode, measured {})",
            measurements.provenance.mode, measurements.provenance.date
        );
        Ok(true)
    } else {
        eprintln!(
            "check-claims: {} of {total} claims fail in {file}{after}",
            failing.len()
        );
        Ok(false)
    }
}

fn load(path: &Path) -> Result<Measurements, String> {
    Measurements::load(path).map_err(|e| {
        format!(
            "{e}: measure first (`booktools measure`), or name the file to check"
        )
    })
}

/// A claim that failed, and whether fresh figures could change that.
struct Failing<'a> {
    claim: &'a Claim,
    rerunnable: bool,
}

/// Prints a line per claim (ok to stdout, errors to stderr) and returns the
/// claims that fail.
fn report<'a>(
    claims: &[&'a Claim],
    measurements: &Measurements,
) -> Vec<Failing<'a>> {
    let mut failing = Vec::new();
    for claim in claims {
        let verdict = evaluate(claim, measurements);
        if verdict.holds() {
            println!("{}", verdict.report());
        } else {
            eprintln!("{}", verdict.report());
            failing.push(Failing {
                claim,
                rerunnable: matches!(verdict, Verdict::DoesNotHold(_)),
            });
        }
    }
    failing
}

/// Measures again, in CI mode, only what `claims` compare (a probe runs
/// whole), and merges the figures into `path`.
fn remeasure(
    root: &Path,
    registry: &Registry,
    claims: &[&Claim],
    path: &Path,
) -> Result<(), String> {
    let mut by_source: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for claim in claims {
        for id in [&claim.numerator, &claim.denominator] {
            let source = id.split('/').next().unwrap_or_default();
            let ids = by_source.entry(source).or_default();
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    let mut fresh = Measurements {
        provenance: provenance::collect(root, Mode::Ci.as_str()),
        values: BTreeMap::new(),
    };
    let mut whole_sources = Vec::new();
    for (source_id, ids) in &by_source {
        let source = registry.source(source_id).ok_or_else(|| {
            format!("no [[source]] `{source_id}` in {}", crate::registry::PATH)
        })?;
        let only = (source.kind == SourceKind::Criterion).then_some(ids.as_slice());
        if only.is_none() {
            whole_sources.push(source.id.as_str());
        }
        fresh
            .values
            .extend(measure_source(root, source, Mode::Ci, only)?);
    }
    // A probe re-ran whole: none of its earlier figures stay.
    let keep = |id: &str| {
        !whole_sources.contains(&id.split('/').next().unwrap_or_default())
    };
    Measurements::merge(load_existing(path)?, fresh, keep).save(path)
}
