//! `booktools measure`: runs the criterion benchmarks and probe binaries the
//! registry names and writes their figures, with provenance, to one file.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::criterion_results::{criterion_dir, read_group, target_dir};
use crate::measurements::{Measurements, ProbeOutput, Value};
use crate::provenance;
use crate::registry::{self, Registry, Source, SourceKind};

/// How long criterion measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Criterion's default settings: the figures the book commits.
    Full,
    /// Short settings for CI (about 3 s per benchmark), and probes' `--quick`.
    Ci,
}

/// Criterion settings in CI mode: enough samples for a median and its
/// interval, unlike `--quick` (which analyses 2 samples).
const CI_CRITERION_ARGS: &[&str] = &[
    "--warm-up-time",
    "1",
    "--measurement-time",
    "2",
    "--sample-size",
    "20",
];

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "full" => Some(Mode::Full),
            "ci" => Some(Mode::Ci),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Ci => "ci",
        }
    }

    /// Where `measure` writes unless told otherwise.
    pub fn default_out(self) -> &'static str {
        match self {
            Mode::Full => crate::measurements::COMMITTED,
            Mode::Ci => "target/measurements/ci.json",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    /// Only these sources (all of the mode's when empty).
    pub sources: Vec<String>,
    pub out: Option<PathBuf>,
}

/// Measures the selected sources of the registry under `root` and writes (or
/// merges into) the output file, whose path it returns.
pub fn run(root: &Path, options: &Options) -> Result<PathBuf, String> {
    let registry = load_registry(root)?;
    let sources = select_sources(&registry, options)?;
    let provenance = provenance::collect(root, options.mode.as_str());
    let mut values = BTreeMap::new();
    for source in &sources {
        let started = Instant::now();
        let measured = measure_source(root, source, options.mode, None)?;
        println!(
            "measure: {} ({}, {} mode) took {:.1} s: {} values",
            source.id,
            kind_name(source.kind),
            options.mode.as_str(),
            started.elapsed().as_secs_f64(),
            measured.len()
        );
        values.extend(measured);
    }
    let out = crate::under(
        root,
        &options
            .out
            .clone()
            .unwrap_or_else(|| options.mode.default_out().into()),
    );
    let measured: BTreeSet<&str> = sources.iter().map(|s| s.id.as_str()).collect();
    // Keep earlier figures only of sources still registered and not measured now.
    let keep = |id: &str| {
        registry
            .source_of(id)
            .is_some_and(|s| !measured.contains(s.id.as_str()))
    };
    let fresh = Measurements { provenance, values };
    let merged = Measurements::merge(load_existing(&out)?, fresh, keep);
    merged.save(&out)?;
    println!(
        "measure: wrote {} values to {}",
        merged.values.len(),
        out.display()
    );
    Ok(out)
}

/// The registry, or every problem in it as one message.
pub fn load_registry(root: &Path) -> Result<Registry, String> {
    Registry::load(root).map_err(|problems| {
        // Callers add their own `error:` prefix.
        let lines: Vec<String> = problems
            .iter()
            .map(|p| p.to_string().trim_start_matches("error: ").to_string())
            .collect();
        lines.join("\n")
    })
}

/// An earlier output file to merge into, if there is one.
pub fn load_existing(path: &Path) -> Result<Option<Measurements>, String> {
    if !path.exists() {
        return Ok(None);
    }
    Measurements::load(path).map(Some).map_err(|e| {
        format!("cannot merge into {e}: delete the file or choose another --out")
    })
}

fn select_sources<'r>(
    registry: &'r Registry,
    options: &Options,
) -> Result<Vec<&'r Source>, String> {
    for id in &options.sources {
        let Some(source) = registry.source(id) else {
            let known: Vec<&str> =
                registry.sources.iter().map(|s| s.id.as_str()).collect();
            return Err(format!(
                "--source {id}: {} defines no such source (it defines: {})",
                registry::PATH,
                known.join(", ")
            ));
        };
        if options.mode == Mode::Ci && !source.in_ci {
            return Err(format!(
                "--source {id}: the source has in_ci = false ({}); measure it with --mode full",
                registry::location(source.line)
            ));
        }
    }
    let selected: Vec<&Source> = registry
        .sources
        .iter()
        .filter(|s| options.mode == Mode::Full || s.in_ci)
        .filter(|s| options.sources.is_empty() || options.sources.contains(&s.id))
        .collect();
    if selected.is_empty() {
        return Err(format!(
            "nothing to measure: {} has no [[source]] for {} mode",
            registry::PATH,
            options.mode.as_str()
        ));
    }
    Ok(selected)
}

fn kind_name(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Criterion => "criterion",
        SourceKind::Probe => "probe",
    }
}

/// Runs one source and returns its figures. With `only`, a criterion source
/// runs just those benchmarks (a probe always runs whole).
pub fn measure_source(
    root: &Path,
    source: &Source,
    mode: Mode,
    only: Option<&[String]>,
) -> Result<BTreeMap<String, Value>, String> {
    let values = match source.kind {
        SourceKind::Criterion => run_criterion(root, source, mode, only)?,
        SourceKind::Probe => run_probe(root, source, mode)?,
    };
    let at = registry::location(source.line);
    let prefix = format!("{}/", source.id);
    if let Some(stray) = values.keys().find(|id| !id.starts_with(&prefix)) {
        return Err(format!(
            "source `{}` ({at}) produced `{stray}`: every id it produces must start with `{prefix}` \
             (name the benchmark group, or the probe's ids, after the source)",
            source.id
        ));
    }
    if values.is_empty() {
        return Err(format!(
            "source `{}` ({at}) produced no measurements",
            source.id
        ));
    }
    for id in only.unwrap_or_default() {
        if !values.contains_key(id) {
            return Err(format!(
                "source `{}` ({at}) did not produce `{id}`: check that its benchmark has that id",
                source.id
            ));
        }
    }
    Ok(values)
}

fn run_criterion(
    root: &Path,
    source: &Source,
    mode: Mode,
    only: Option<&[String]>,
) -> Result<BTreeMap<String, Value>, String> {
    let results = absolute(&criterion_dir(root))?;
    // Stale results from an earlier run must never be read as fresh ones.
    let group = results.join(&source.id);
    if group.exists() {
        std::fs::remove_dir_all(&group)
            .map_err(|e| format!("cannot remove {}: {e}", group.display()))?;
    }
    let mut args: Vec<OsString> = ["bench", "--locked", "-p", &source.package]
        .into_iter()
        .chain(["--bench", &source.target, "--", "--noplot"])
        .map(OsString::from)
        .collect();
    if mode == Mode::Ci {
        args.extend(CI_CRITERION_ARGS.iter().map(OsString::from));
    }
    if let Some(ids) = only {
        args.push(criterion_filter(ids).into());
    }
    // Criterion runs in the package's directory; an absolute CRITERION_HOME
    // makes it write exactly where the results are read from.
    run_cargo(
        root,
        source,
        &args,
        &[("CRITERION_HOME", results.as_os_str())],
    )?;
    if !group.is_dir() {
        return Err(format!(
            "source `{}` ({}): cargo bench wrote nothing to {}: name the bench target's \
             benchmark group `{}`",
            source.id,
            registry::location(source.line),
            group.display(),
            source.id
        ));
    }
    read_group(&group)
}

/// A criterion filter that matches exactly these benchmark ids (criterion
/// reads it as a regex, so each id is escaped by the regex crate's own rules).
pub fn criterion_filter(ids: &[String]) -> String {
    let escaped: Vec<String> = ids.iter().map(|id| regex::escape(id)).collect();
    format!("^({})$", escaped.join("|"))
}

fn run_probe(
    root: &Path,
    source: &Source,
    mode: Mode,
) -> Result<BTreeMap<String, Value>, String> {
    let dir = absolute(&target_dir(root).join("measurements"))?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let out = dir.join(format!("probe-{}.json", source.id));
    crate::files::remove_stale(&out)?;
    let mut args: Vec<OsString> =
        ["run", "--release", "--locked", "-q", "-p", &source.package]
            .into_iter()
            .chain(["--bin", &source.target, "--", "--out"])
            .map(OsString::from)
            .collect();
    args.push(out.clone().into());
    if mode == Mode::Ci {
        args.push("--quick".into());
    }
    run_cargo(root, source, &args, &[])?;
    let text = std::fs::read_to_string(&out).map_err(|e| {
        format!(
            "source `{}` ({}): the probe wrote no {}: {e}",
            source.id,
            registry::location(source.line),
            out.display()
        )
    })?;
    serde_json::from_str::<ProbeOutput>(&text).map_err(|e| {
        format!(
            "{}: {e}: a probe must write a JSON map from measurement id to \
             {{\"unit\": \"ns\"|\"bytes\"|\"count\", \"value\": ...}}",
            out.display()
        )
    })
}

fn run_cargo(
    root: &Path,
    source: &Source,
    args: &[OsString],
    envs: &[(&str, &std::ffi::OsStr)],
) -> Result<(), String> {
    let shown: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let shown = format!("cargo {}", shown.join(" "));
    let status = Command::new(crate::process::cargo())
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "source `{}` ({}): `{shown}` failed ({status}); its output is above",
            source.id,
            registry::location(source.line)
        ))
    }
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    std::path::absolute(path)
        .map_err(|e| format!("cannot resolve {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_matches_exactly_the_ids() {
        let ids = ["spawn/thread".to_string(), "scale/tasks/1.5".to_string()];
        assert_eq!(criterion_filter(&ids), r"^(spawn/thread|scale/tasks/1\.5)$");
    }
}
