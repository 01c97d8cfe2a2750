//! `booktools`: the book's maintenance commands. See `USAGE`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use booktools::{check_claims, includes, measure, measurements, noise, outputs, preprocess};

const USAGE: &str = "\
usage: booktools <command> [args]

commands:
  check-includes [ROOT]  check that chapters show Rust code only by including
                         listing files, that every include resolves and that
                         every listing file is shown (ROOT defaults to .)
  check-inventory [--complete] [--skipped LOG]
                         check inventory/*.toml: ids, verdicts, that each
                         section is a heading of a linked chapter, that each
                         claim is registered and each test exists and is not
                         ignored (builds the tests with cargo test --no-run);
                         --complete also fails on pending statements;
                         --skipped lists the cited tests that skipped
                         themselves, as LOG (BOOK_SKIP_LOG) recorded; run
                         from the repository root
  check-figures [ROOT]   fail on a measured-looking figure (a number with a
                         unit of time, size or ratio) typed into src/*.md or
                         an inventory `says`, unless measurements/typed-figures.toml
                         excuses it; an exception that excuses nothing fails too
  check-wording [SOURCES]
                         fail on a run of six or more words that src/*.md or
                         an inventory `says` shares with a source article
                         (the .txt files in SOURCES, default ../shared/sources),
                         outside quotation marks; says it compared nothing
                         when SOURCES does not exist
  measure [--mode full|ci] [--source ID]... [--out PATH]
                         run the sources of measurements/claims.toml (in ci
                         mode only those with in_ci = true) and write their
                         figures to PATH (default: measurements/measurements.json,
                         in ci mode target/measurements/ci.json), merging
                         into an existing file
  check-claims [PATH] [--rerun N]
                         check every claim against PATH (default
                         measurements/measurements.json); --rerun N re-measures
                         the failing claims' figures in ci mode, up to N times
  check-thresholds [NOISE]
                         check that every claim's at_least lies between half the
                         smallest ratio the soak saw (NOISE, default
                         measurements/noise.json) and that ratio
  noise RUNS... [--out PATH]
                         min/median/max of each claim's ratio over several
                         measurement files (default out: measurements/noise.json)
  soak N [--out PATH]    measure in ci mode N times (target/measurements/soak-K.json),
                         check the claims on each, then write their noise
  outputs [--refresh]    run every binary of the listing crates and compare what
                         it prints with listings/<crate>/output/<bin>.txt
                         (--refresh rewrites those files); exclusions and
                         normalisations live in listings/outputs.toml
  preprocess [supports RENDERER]
                         the mdBook preprocessor `measured` (book.toml runs it)

measure, check-claims, check-thresholds, noise, soak and outputs run from the
repository root.";

/// Exit code for usage and I/O errors, as opposed to 1 for problems found.
const USAGE_OR_IO_ERROR: u8 = 2;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        return usage_error("no command given");
    };
    match command.as_str() {
        "check-includes" => check_includes(rest),
        "check-inventory" => check_inventory_command(rest),
        "check-figures" => check_figures_command(rest),
        "check-wording" => check_wording_command(rest),
        "check-thresholds" => check_thresholds_command(rest),
        "measure" => measure_command(rest),
        "check-claims" => check_claims_command(rest),
        "noise" => noise_command(rest),
        "soak" => soak_command(rest),
        "outputs" => outputs_command(rest),
        "preprocess" => preprocess_command(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => usage_error(&format!("unknown command `{command}`")),
    }
}

fn check_includes(args: &[String]) -> ExitCode {
    let root = match args {
        [] => ".",
        [root] => root.as_str(),
        _ => return usage_error("check-includes takes at most one argument, ROOT"),
    };
    match includes::check(Path::new(root)) {
        Ok(report) if report.problems.is_empty() => {
            println!("{}", report.summary());
            ExitCode::SUCCESS
        }
        Ok(report) => {
            for problem in &report.problems {
                eprintln!("{problem}");
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: check-includes: {error}");
            ExitCode::from(USAGE_OR_IO_ERROR)
        }
    }
}

fn check_inventory_command(args: &[String]) -> ExitCode {
    // `--complete` is a flag without a value; Args reads `--skipped LOG`.
    let complete = args.iter().any(|a| a == "--complete");
    let rest: Vec<String> = args
        .iter()
        .filter(|a| *a != "--complete")
        .cloned()
        .collect();
    let parsed = match Args::parse(&rest, &["--skipped"]) {
        Ok(parsed) if parsed.positional.is_empty() => parsed,
        Ok(_) => return usage_error("check-inventory takes `--complete` and `--skipped LOG` only"),
        Err(message) => return usage_error(&format!("check-inventory: {message}")),
    };
    let options = booktools::inventory::Options {
        complete,
        skipped: parsed.last("--skipped").map(PathBuf::from),
    };
    outcome(
        "check-inventory",
        booktools::inventory::run(Path::new("."), &options),
    )
}

fn check_figures_command(args: &[String]) -> ExitCode {
    let root = match args {
        [] => ".",
        [root] if !root.starts_with("--") => root.as_str(),
        _ => return usage_error("check-figures takes at most one argument, ROOT"),
    };
    outcome("check-figures", booktools::figures::run(Path::new(root)))
}

fn check_wording_command(args: &[String]) -> ExitCode {
    let sources = match args {
        [] => booktools::wording::DEFAULT_SOURCES,
        [sources] if !sources.starts_with("--") => sources.as_str(),
        _ => return usage_error("check-wording takes at most one argument, SOURCES"),
    };
    outcome(
        "check-wording",
        booktools::wording::run(Path::new("."), Path::new(sources)),
    )
}

fn check_thresholds_command(args: &[String]) -> ExitCode {
    let noise = match args {
        [] => None,
        [path] if !path.starts_with("--") => Some(Path::new(path)),
        _ => return usage_error("check-thresholds takes at most one argument, NOISE"),
    };
    outcome(
        "check-thresholds",
        booktools::thresholds::run(Path::new("."), noise),
    )
}

fn measure_command(args: &[String]) -> ExitCode {
    let parsed = match Args::parse(args, &["--mode", "--source", "--out"]) {
        Ok(parsed) if parsed.positional.is_empty() => parsed,
        Ok(parsed) => {
            return usage_error(&format!("measure: unexpected `{}`", parsed.positional[0]));
        }
        Err(message) => return usage_error(&format!("measure: {message}")),
    };
    let text = parsed.last("--mode").unwrap_or("full");
    let Some(mode) = measure::Mode::parse(text) else {
        return usage_error(&format!("measure: --mode is full or ci, not `{text}`"));
    };
    let options = measure::Options {
        mode,
        sources: parsed.all("--source"),
        out: parsed.last("--out").map(PathBuf::from),
    };
    outcome(
        "measure",
        measure::run(Path::new("."), &options).map(|_| true),
    )
}

fn check_claims_command(args: &[String]) -> ExitCode {
    let parsed = match Args::parse(args, &["--rerun"]) {
        Ok(parsed) if parsed.positional.len() <= 1 => parsed,
        Ok(_) => return usage_error("check-claims takes at most one PATH"),
        Err(message) => return usage_error(&format!("check-claims: {message}")),
    };
    let rerun = match parsed.last("--rerun").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return usage_error("check-claims: --rerun takes a whole number"),
    };
    let path = parsed
        .positional
        .first()
        .map_or_else(|| PathBuf::from(measurements::COMMITTED), PathBuf::from);
    let options = check_claims::Options { path, rerun };
    outcome("check-claims", check_claims::run(Path::new("."), &options))
}

fn noise_command(args: &[String]) -> ExitCode {
    let parsed = match Args::parse(args, &["--out"]) {
        Ok(parsed) if !parsed.positional.is_empty() => parsed,
        Ok(_) => return usage_error("noise: name the measurement files of the runs"),
        Err(message) => return usage_error(&format!("noise: {message}")),
    };
    let runs: Vec<PathBuf> = parsed.positional.iter().map(PathBuf::from).collect();
    let out = PathBuf::from(parsed.last("--out").unwrap_or(noise::PATH));
    outcome(
        "noise",
        noise::run_noise(Path::new("."), &runs, &out).map(|()| true),
    )
}

fn soak_command(args: &[String]) -> ExitCode {
    let parsed = match Args::parse(args, &["--out"]) {
        Ok(parsed) => parsed,
        Err(message) => return usage_error(&format!("soak: {message}")),
    };
    let count = match parsed.positional.as_slice() {
        [n] => match n.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => return usage_error("soak: N is the number of runs, 1 or more"),
        },
        _ => return usage_error("soak takes one argument, N"),
    };
    let out = PathBuf::from(parsed.last("--out").unwrap_or(noise::PATH));
    // Runs with a failing claim are reported, not fatal: the noise is the point.
    outcome(
        "soak",
        noise::run_soak(Path::new("."), count, &out).map(|_| true),
    )
}

fn outputs_command(args: &[String]) -> ExitCode {
    let refresh = match args {
        [] => false,
        [flag] if flag == "--refresh" => true,
        _ => return usage_error("outputs takes no arguments, or `--refresh`"),
    };
    match outputs::run(Path::new("."), outputs::Options { refresh }) {
        Ok(report) => {
            for path in &report.written {
                println!("outputs: wrote {}", path.display());
            }
            for problem in &report.problems {
                eprintln!("{problem}");
            }
            if report.problems.is_empty() {
                println!("{}", report.summary(refresh));
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "error: outputs: {} problem(s); see above",
                    report.problems.len()
                );
                ExitCode::FAILURE
            }
        }
        Err(message) => {
            eprintln!("error: outputs: {message}");
            ExitCode::FAILURE
        }
    }
}

fn preprocess_command(args: &[String]) -> ExitCode {
    match args {
        [supports, renderer] if supports == "supports" => {
            if preprocess::supports(renderer) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        [] => match preprocess::run_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(problems) => {
                for problem in &problems {
                    eprintln!("{problem}");
                }
                eprintln!(
                    "error: preprocessor `measured`: {} problem(s) with markers; see above",
                    problems.len()
                );
                ExitCode::FAILURE
            }
        },
        _ => usage_error("preprocess takes no arguments, or `supports RENDERER`"),
    }
}

/// Exit 0 on `Ok(true)`, 1 on `Ok(false)` (problems already printed), and 1
/// with the message on `Err`.
fn outcome(command: &str, result: Result<bool, String>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {command}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{USAGE}");
    ExitCode::from(USAGE_OR_IO_ERROR)
}

/// Positional arguments and `--flag VALUE` (or `--flag=VALUE`) options.
struct Args {
    positional: Vec<String>,
    options: Vec<(String, String)>,
}

impl Args {
    fn parse(args: &[String], flags: &[&str]) -> Result<Args, String> {
        let mut parsed = Args {
            positional: Vec::new(),
            options: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if !arg.starts_with("--") {
                parsed.positional.push(arg.clone());
                continue;
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag, Some(value.to_string())),
                None => (arg.as_str(), None),
            };
            if !flags.contains(&flag) {
                return Err(format!("unknown option `{flag}`"));
            }
            let value = match inline {
                Some(value) => value,
                None => args
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("`{flag}` needs a value"))?,
            };
            parsed.options.push((flag.to_string(), value));
        }
        Ok(parsed)
    }

    fn last(&self, flag: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(f, _)| f == flag)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, flag: &str) -> Vec<String> {
        self.options
            .iter()
            .filter(|(f, _)| f == flag)
            .map(|(_, v)| v.clone())
            .collect()
    }
}
