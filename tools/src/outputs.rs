//! `booktools outputs`: the program outputs the book shows are what the
//! programs print today.
//!
//! Every binary of every package under `listings/` has its standard output
//! committed as `listings/<crate>/output/<bin>.txt`, which chapters include
//! after the listing. This module builds the binaries, runs each one, and
//! compares what it prints with that file (or, with `--refresh`, rewrites the
//! file). The one place a binary may be left out, or have its output
//! normalised first, is [`CONFIG`], each entry with its reason.
//!
//! The Python listings, `listings/python/*.py` (not a cargo package: the
//! workspace excludes the directory), are checked the same way: each is run
//! with `python3` (or `$BOOK_PYTHON`) as package `python`, its output
//! committed as `listings/python/output/<name>.txt`. A script whose output
//! begins with `skipped: ` could not observe its property here (one CPU, or
//! an interpreter without the GIL): it is counted as skipped and its line
//! shown, not compared.
//!
//! `similar` computes the diff a mismatch prints: a maintained unified diff
//! with context lines, where a hand-written one would be ours to get right.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::files::line_of;

/// Binaries excluded from the check, or normalised before it; relative to
/// the repository root.
pub const CONFIG: &str = "listings/outputs.toml";

/// How long one binary may run before it counts as hung.
pub const TIME_LIMIT: Duration = Duration::from_secs(120);

/// What a `*` in a `mask` pattern is replaced with.
pub const MASKED: &str = "...";

/// The Python listings' directory, relative to the repository root.
pub const PYTHON_DIR: &str = "listings/python";

/// The package name that `listings/outputs.toml` and messages give them.
pub const PYTHON_PACKAGE: &str = "python";

/// How a listing that cannot observe its property here begins its output.
pub const SKIPPED: &str = "skipped: ";

/// Lines of unchanged text around each change in a diff.
const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Rewrite every output file instead of comparing with it.
    pub refresh: bool,
}

/// One binary target of a listing package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Binary {
    pub package: String,
    pub bin: String,
    /// The package's directory, relative to the repository root.
    pub dir: PathBuf,
    /// A Python script, `dir/<bin>.py`, run by the interpreter, not built.
    pub script: bool,
}

impl Binary {
    /// Where its output is committed, relative to the repository root.
    pub fn output_file(&self) -> PathBuf {
        self.dir.join("output").join(format!("{}.txt", self.bin))
    }

    /// The command a reader types to see the same output.
    pub fn command(&self) -> String {
        if self.script {
            format!("python3 {}", self.script_file().display())
        } else {
            format!("cargo run -p {} --bin {}", self.package, self.bin)
        }
    }

    /// A script's file, relative to the repository root.
    pub fn script_file(&self) -> PathBuf {
        self.dir.join(format!("{}.py", self.bin))
    }
}

/// The outcome of a run: problems (each a complete message, possibly several
/// lines long) and counts for the summary.
#[derive(Debug, Default)]
pub struct Report {
    pub problems: Vec<String>,
    pub checked: usize,
    pub skipped: usize,
    /// Files `--refresh` created or changed, relative to the root.
    pub written: Vec<PathBuf>,
    /// The `skipped: ` lines of the listings that could not observe their
    /// property on this machine (neither compared nor written).
    pub not_observed: Vec<String>,
}

impl Report {
    pub fn summary(&self, refresh: bool) -> String {
        let binaries =
            |n: usize| format!("{n} {}", if n == 1 { "binary" } else { "binaries" });
        let not_observed = match self.not_observed.len() {
            0 => String::new(),
            n => format!(", {n} not observed on this machine"),
        };
        if refresh {
            format!(
                "outputs: refreshed the output files of {} ({} changed), {} skipped in \
                 {CONFIG}{not_observed}",
                binaries(self.checked),
                self.written.len(),
                self.skipped
            )
        } else {
            format!(
                "outputs: {} print what their output files say, {} skipped in \
                 {CONFIG}{not_observed}",
                binaries(self.checked),
                self.skipped
            )
        }
    }
}

// ---- listings/outputs.toml -------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default, rename = "skip")]
    pub skips: Vec<Skip>,
    #[serde(default, rename = "normalise")]
    pub rules: Vec<Normalise>,
}

/// A binary whose output is not checked at all.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skip {
    pub package: toml::Spanned<String>,
    pub bin: String,
    pub reason: String,
}

/// A binary whose output varies only in documented ways: it is normalised
/// (masks first, then sorting) before it is compared or written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Normalise {
    pub package: toml::Spanned<String>,
    pub bin: String,
    pub reason: String,
    /// Sort the lines (for output whose line order is up to the scheduler).
    #[serde(default)]
    pub sort_lines: bool,
    /// Patterns in which each `*` stands for text that varies; on every line
    /// that matches, each `*` part is replaced by [`MASKED`].
    #[serde(default)]
    pub mask: Vec<String>,
}

impl Normalise {
    /// `text` as it is compared and committed.
    pub fn apply(&self, text: &str) -> String {
        normalise(text, &self.mask, self.sort_lines)
    }
}

impl Config {
    /// Reads [`CONFIG`] under `root`; a missing file is an empty config.
    pub fn load(root: &Path) -> Result<(Config, String), String> {
        let path = crate::under(root, Path::new(CONFIG));
        if !path.exists() {
            return Ok((Config::default(), String::new()));
        }
        let text = crate::files::read(&path)?;
        let config = toml::from_str(&text).map_err(|e| {
            let line = crate::files::toml_error_line(&text, &e);
            format!("{CONFIG}:{line}: {}", e.message())
        })?;
        Ok((config, text))
    }
}

/// Checks the entries of the config against the binaries that exist, and
/// returns the skipped binaries and the normalisation rules by (package, bin).
/// A binary as (package, bin).
type Key = (String, String);

fn check_config<'c>(
    config: &'c Config,
    text: &str,
    binaries: &[Binary],
    problems: &mut Vec<String>,
) -> (BTreeSet<Key>, BTreeMap<Key, &'c Normalise>) {
    let exists: BTreeSet<(&str, &str)> = binaries
        .iter()
        .map(|b| (b.package.as_str(), b.bin.as_str()))
        .collect();
    let mut seen: BTreeMap<Key, usize> = BTreeMap::new();
    let mut entry = |package: &toml::Spanned<String>,
                     bin: &str,
                     reason: &str,
                     problems: &mut Vec<String>|
     -> bool {
        let line = line_of(text, package.span().start);
        let at = format!("{CONFIG}:{line}");
        let key = (package.get_ref().clone(), bin.to_string());
        let mut ok = true;
        if reason.trim().is_empty() {
            problems.push(format!(
                "error: {at}: the entry for {}/{bin} has no reason: say why its output \
                 cannot be checked as it is",
                key.0
            ));
            ok = false;
        }
        if !exists.contains(&(key.0.as_str(), bin)) {
            problems.push(format!(
                "error: {at}: stale entry: package `{}` under listings/ has no binary `{bin}`: \
                 remove the entry",
                key.0
            ));
            ok = false;
        }
        if let Some(first) = seen.insert(key.clone(), line) {
            problems.push(format!(
                "error: {at}: {}/{bin} already has an entry on line {first}: keep one",
                key.0
            ));
            ok = false;
        }
        ok
    };

    let mut skipped = BTreeSet::new();
    for skip in &config.skips {
        if entry(&skip.package, &skip.bin, &skip.reason, problems) {
            skipped.insert((skip.package.get_ref().clone(), skip.bin.clone()));
        }
    }
    let mut rules = BTreeMap::new();
    for rule in &config.rules {
        let mut ok = entry(&rule.package, &rule.bin, &rule.reason, problems);
        let at = format!("{CONFIG}:{}", line_of(text, rule.package.span().start));
        if !rule.sort_lines && rule.mask.is_empty() {
            problems.push(format!(
                "error: {at}: the [[normalise]] entry for {}/{} changes nothing: give it \
                 `sort-lines = true` or a `mask`",
                rule.package.get_ref(),
                rule.bin
            ));
            ok = false;
        }
        for pattern in rule.mask.iter().filter(|p| !p.contains('*')) {
            problems.push(format!(
                "error: {at}: mask `{pattern}` has no `*`: mark the part that varies with `*`"
            ));
            ok = false;
        }
        if ok {
            rules.insert((rule.package.get_ref().clone(), rule.bin.clone()), rule);
        }
    }
    (skipped, rules)
}

// ---- normalising -----------------------------------------------------------

/// Applies `masks` to every line, then sorts the lines if asked. The final
/// newline, if any, is kept.
pub fn normalise(text: &str, masks: &[String], sort_lines: bool) -> String {
    let mut lines: Vec<String> = text
        .lines()
        .map(|line| {
            masks
                .iter()
                .fold(line.to_string(), |line, pattern| mask_line(&line, pattern))
        })
        .collect();
    if sort_lines {
        lines.sort();
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Where `pattern` first matches `line`, each `*` part replaced by [`MASKED`];
/// the line unchanged if it does not match. A `*` matches the shortest text
/// after which the rest of the pattern follows, or, at the end of the
/// pattern, the rest of the line.
pub fn mask_line(line: &str, pattern: &str) -> String {
    let pieces: Vec<&str> = pattern.split('*').collect();
    let Some(start) = line.find(pieces[0]) else {
        return line.to_string();
    };
    let mut out = line[..start].to_string();
    out.push_str(pieces[0]);
    let mut at = start + pieces[0].len();
    for (index, piece) in pieces.iter().enumerate().skip(1) {
        out.push_str(MASKED);
        if index == pieces.len() - 1 && piece.is_empty() {
            at = line.len();
            break;
        }
        let Some(offset) = line[at..].find(piece) else {
            return line.to_string();
        };
        out.push_str(piece);
        at += offset + piece.len();
    }
    out.push_str(&line[at..]);
    out
}

// ---- diffs -----------------------------------------------------------------

/// A unified diff from `old` to `new` (by `similar`, Myers' algorithm), with
/// `CONTEXT` lines around each change and GNU diff's `\ No newline at end
/// of file` where one side lacks its final newline; empty when the two texts
/// are equal.
pub fn unified_diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(CONTEXT)
        .missing_newline_hint(true)
        .header(old_name, new_name)
        .to_string()
}

// ---- cargo -----------------------------------------------------------------

#[derive(Deserialize)]
struct Metadata {
    workspace_root: PathBuf,
    packages: Vec<MetaPackage>,
}

#[derive(Deserialize)]
struct MetaPackage {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<MetaTarget>,
}

#[derive(Deserialize)]
struct MetaTarget {
    name: String,
    kind: Vec<String>,
}

/// Every binary target of every workspace package under `listings/`, sorted.
pub fn listing_binaries(root: &Path) -> Result<Vec<Binary>, String> {
    let output = Command::new(crate::process::cargo())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run `cargo metadata`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo metadata` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        ));
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cannot read the output of `cargo metadata`: {e}"))?;
    let mut binaries = Vec::new();
    for package in metadata.packages {
        let Some(dir) = package
            .manifest_path
            .parent()
            .and_then(|d| d.strip_prefix(&metadata.workspace_root).ok())
        else {
            continue;
        };
        if !dir.starts_with("listings") {
            continue;
        }
        for target in &package.targets {
            if target.kind.iter().any(|k| k == "bin") {
                binaries.push(Binary {
                    package: package.name.clone(),
                    bin: target.name.clone(),
                    dir: dir.to_path_buf(),
                    script: false,
                });
            }
        }
    }
    binaries.sort();
    Ok(binaries)
}

/// Every `*.py` file directly in [`PYTHON_DIR`], as binaries of package
/// [`PYTHON_PACKAGE`], sorted; none when the directory does not exist.
pub fn python_scripts(root: &Path) -> Result<Vec<Binary>, String> {
    let dir = Path::new(PYTHON_DIR);
    let Ok(entries) = fs::read_dir(root.join(dir)) else {
        return Ok(Vec::new());
    };
    let mut scripts = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {PYTHON_DIR}: {e}"))?;
        let path = entry.path();
        let stem = path.file_stem().and_then(|s| s.to_str());
        match stem {
            Some(stem) if path.extension().is_some_and(|e| e == "py") => {
                scripts.push(Binary {
                    package: PYTHON_PACKAGE.to_string(),
                    bin: stem.to_string(),
                    dir: dir.to_path_buf(),
                    script: true,
                });
            }
            _ => {}
        }
    }
    scripts.sort();
    Ok(scripts)
}

/// The interpreter the Python listings run with: `$BOOK_PYTHON`, else
/// `python3` on `PATH`.
pub fn python() -> OsString {
    std::env::var_os("BOOK_PYTHON").unwrap_or_else(|| "python3".into())
}

/// Builds the binaries of one package and returns their executables by name.
fn build(
    root: &Path,
    package: &str,
    bins: &[&Binary],
) -> Result<BTreeMap<String, PathBuf>, String> {
    let mut args = vec![
        "build".to_string(),
        "--quiet".into(),
        "--locked".into(),
        "--message-format=json-render-diagnostics".into(),
        "-p".into(),
        package.to_string(),
    ];
    for binary in bins {
        args.extend(["--bin".to_string(), binary.bin.clone()]);
    }
    let shown = format!("cargo {}", args.join(" "));
    // Diagnostics and progress go to the terminal; artifacts come as JSON.
    let output = Command::new(crate::process::cargo())
        .args(&args)
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{shown}` failed ({}); its output is above",
            output.status
        ));
    }
    let artifacts = crate::process::executables(&output.stdout).into_iter();
    let executables = artifacts
        .filter(|artifact| artifact.target.kind.iter().any(|k| k == "bin"))
        .map(|artifact| (artifact.target.name, artifact.executable))
        .collect();
    Ok(executables)
}

/// Runs `executable` from `root` with no input, and returns its standard
/// output, or a message saying how it failed.
fn run_binary(
    root: &Path,
    executable: &Path,
    binary: &Binary,
) -> Result<String, String> {
    let mut command = if binary.script {
        let mut command = Command::new(python());
        command.arg(binary.script_file());
        command
    } else {
        Command::new(executable)
    };
    let child = command
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            let hint = if binary.script {
                " (install python3, as ci/tools.sh does, or name an interpreter in BOOK_PYTHON)"
            } else {
                ""
            };
            format!("cannot run {}: {e}{hint}", executable.display())
        })?;
    let finished = crate::process::finish(child, TIME_LIMIT)
        .map_err(|e| format!("cannot wait for {}: {e}", binary.command()))?;
    let stderr = String::from_utf8_lossy(&finished.stderr);
    let stderr = if stderr.trim().is_empty() {
        String::new()
    } else {
        format!("; its standard error:\n{}", stderr.trim_end())
    };
    match finished.status {
        None => Err(format!(
            "`{}` did not finish within {} s and was stopped{stderr}",
            binary.command(),
            TIME_LIMIT.as_secs()
        )),
        Some(status) if !status.success() => Err(format!(
            "`{}` failed ({status}): a listing shown with its output must run without \
             arguments and succeed, or be skipped in {CONFIG} with a reason{stderr}",
            binary.command()
        )),
        Some(_) => String::from_utf8(finished.stdout).map_err(|_| {
            format!(
                "`{}` printed bytes that are not UTF-8, which the book cannot show",
                binary.command()
            )
        }),
    }
}

// ---- the command -----------------------------------------------------------

/// Output files under `output/` of listing packages that belong to no
/// checked binary.
fn stray_output_files(
    root: &Path,
    binaries: &[Binary],
    checked: &BTreeSet<PathBuf>,
) -> Result<Vec<PathBuf>, String> {
    let dirs: BTreeSet<PathBuf> =
        binaries.iter().map(|b| b.dir.join("output")).collect();
    let mut stray = Vec::new();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(root.join(&dir)) else {
            continue;
        };
        for entry in entries {
            let entry =
                entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            let file = dir.join(entry.file_name());
            if !checked.contains(&file) {
                stray.push(file);
            }
        }
    }
    stray.sort();
    Ok(stray)
}

/// Checks (or with `refresh`, rewrites) the output file of every listing
/// binary of the workspace at `root`. `Err` is for failures that stop the
/// run (cargo cannot list or build the packages, files cannot be written).
pub fn run(root: &Path, options: Options) -> Result<Report, String> {
    let mut binaries = listing_binaries(root)?;
    binaries.extend(python_scripts(root)?);
    let (config, text) = Config::load(root)?;
    let mut report = Report::default();
    let (skipped, rules) =
        check_config(&config, &text, &binaries, &mut report.problems);
    let key = |b: &Binary| (b.package.clone(), b.bin.clone());
    let (checked, skips): (Vec<&Binary>, Vec<&Binary>) =
        binaries.iter().partition(|b| !skipped.contains(&key(b)));
    report.skipped = skips.len();

    let files: BTreeSet<PathBuf> = checked.iter().map(|b| b.output_file()).collect();
    for file in stray_output_files(root, &binaries, &files)? {
        let name = file.display();
        report.problems.push(format!(
            "error: {name}: output file of no checked binary (the binary is gone, renamed, \
             or skipped in {CONFIG}): delete it"
        ));
    }

    let mut by_package: BTreeMap<&str, Vec<&Binary>> = BTreeMap::new();
    for binary in &checked {
        by_package.entry(&binary.package).or_default().push(binary);
    }
    for (package, bins) in by_package {
        let executables = if package == PYTHON_PACKAGE {
            let interpreter = PathBuf::from(python());
            bins.iter()
                .map(|b| (b.bin.clone(), interpreter.clone()))
                .collect()
        } else {
            build(root, package, &bins)?
        };
        for binary in bins {
            let Some(executable) = executables.get(&binary.bin) else {
                return Err(format!(
                    "cargo built no executable for {}: is it a binary target?",
                    binary.command()
                ));
            };
            let printed = match run_binary(root, executable, binary) {
                Ok(printed) => printed,
                Err(message) => {
                    report.problems.push(format!("error: {message}"));
                    continue;
                }
            };
            if binary.script && printed.starts_with(SKIPPED) {
                let line = printed.lines().next().unwrap_or_default();
                report.not_observed.push(line.to_string());
                continue;
            }
            let printed = match rules.get(&key(binary)) {
                Some(rule) => rule.apply(&printed),
                None => printed,
            };
            report.checked += 1;
            compare_or_write(root, binary, &printed, options, &mut report)?;
        }
    }
    Ok(report)
}

fn compare_or_write(
    root: &Path,
    binary: &Binary,
    printed: &str,
    options: Options,
    report: &mut Report,
) -> Result<(), String> {
    let relative = binary.output_file();
    let path = root.join(&relative);
    let committed = fs::read_to_string(&path).ok();
    if options.refresh {
        if committed.as_deref() != Some(printed) {
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            fs::write(&path, printed)
                .map_err(|e| format!("cannot write {}: {e}", relative.display()))?;
            report.written.push(relative);
        }
        return Ok(());
    }
    let name = relative.display();
    match committed {
        None => report.problems.push(format!(
            "error: {name}: missing: `{}` has no committed output; write it with \
             `cargo run -p booktools -- outputs --refresh` and include it in the chapter",
            binary.command()
        )),
        Some(committed) if committed != printed => {
            let diff = unified_diff(
                &committed,
                printed,
                &format!("{name} (committed)"),
                &format!("{} (printed now)", binary.command()),
            );
            // A `\r` the diff shows as nothing: say what differs.
            let diff = if committed.lines().eq(printed.lines()) {
                format!(
                    "{diff}(the lines are the same; the line endings or the final newline differ)\n"
                )
            } else {
                diff
            };
            report.problems.push(format!(
                "error: {name}: `{}` no longer prints what this file says; if the change is \
                 intended, run `cargo run -p booktools -- outputs --refresh` and check the \
                 chapter's prose still matches\n{}",
                binary.command(),
                diff.trim_end()
            ));
        }
        Some(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_replace_each_star_and_leave_other_lines_alone() {
        let masks = ["took * ms".to_string(), "pid *".to_string()];
        let text = "start\ntook 12.5 ms in all\nrunning as pid 4711\n";
        assert_eq!(
            normalise(text, &masks, false),
            "start\ntook ... ms in all\nrunning as pid ...\n"
        );
        assert_eq!(mask_line("a=1, b=2", "a=*, b=*"), "a=..., b=...");
        assert_eq!(mask_line("no match here", "took * ms"), "no match here");
        assert_eq!(mask_line("took 3", "took * ms"), "took 3");
    }

    #[test]
    fn sorting_lines_keeps_the_final_newline_as_it_was() {
        assert_eq!(normalise("b\na\nc\n", &[], true), "a\nb\nc\n");
        assert_eq!(normalise("b\na", &[], true), "a\nb");
    }

    #[test]
    fn a_diff_shows_the_changed_lines_with_context_and_positions() {
        let old = "1\n2\n3\n4\nold\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n";
        let new = "1\n2\n3\n4\nnew\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\nadded\n";
        let diff = unified_diff(old, new, "a.txt", "b");
        assert_eq!(
            diff,
            "--- a.txt\n+++ b\n\
             @@ -2,7 +2,7 @@\n 2\n 3\n 4\n-old\n+new\n 6\n 7\n 8\n\
             @@ -13,3 +13,4 @@\n 13\n 14\n 15\n+added\n"
        );
    }

    #[test]
    fn a_diff_into_or_out_of_an_empty_file_numbers_the_empty_side_zero() {
        // A range of one line has no count, as in GNU diff.
        assert_eq!(
            unified_diff("", "x\n", "a", "b"),
            "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"
        );
        assert_eq!(
            unified_diff("x\ny\n", "", "a", "b"),
            "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n"
        );
        assert_eq!(unified_diff("same\n", "same\n", "a", "b"), "");
    }

    #[test]
    fn a_diff_names_a_missing_final_newline() {
        assert_eq!(
            unified_diff("same\n", "same", "a", "b"),
            "--- a\n+++ b\n@@ -1 +1 @@\n-same\n+same\n\\ No newline at end of file\n"
        );
    }

    #[test]
    fn a_diff_pairs_moved_lines_by_their_longest_common_run() {
        let diff = unified_diff("a\nb\nc\n", "b\nc\na\n", "x", "y");
        assert_eq!(diff, "--- x\n+++ y\n@@ -1,3 +1,3 @@\n-a\n b\n c\n+a\n");
    }
}
