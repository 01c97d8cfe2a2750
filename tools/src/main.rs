//! `booktools`: the book's maintenance commands (`booktools --help` lists
//! them, `booktools COMMAND --help` explains one).
//!
//! One exit-code rule for every command: 0 nothing found, 1 problems found
//! (each printed as `error: FILE:LINE: ...`), 2 a usage or I/O error: a bad
//! argument, or a file the command needs is missing, unreadable or malformed
//! (it could not check). `preprocess supports RENDERER` answers mdBook
//! by its exit code: 0 supported, 1 not.
//!
//! clap (derive): subcommands, per-command `--help`, and usage errors that
//! name the bad argument and exit 2 (clap_builder 4.6.7 `src/util/mod.rs:32`).

use std::path::PathBuf;
use std::process::ExitCode;

use booktools::{
    check_claims, includes, measure, measurements, noise, outputs, preprocess,
};
use clap::{Parser, Subcommand};

/// The rule, shown at the end of `booktools --help`.
const EXIT_CODES: &str = "\
Exit codes, the same for every command:
  0  nothing found
  1  problems found (each printed as `error: FILE:LINE: ...`)
  2  usage or I/O error: a bad argument, or a file the command needs is
     missing, unreadable or malformed (it could not check)

measure, check-claims, check-thresholds, noise, soak, outputs,
check-inventory and check-exercises run from the repository root.";

/// Exit code 1: problems found (already printed).
const PROBLEMS_FOUND: u8 = 1;

/// Exit code 2: a usage or I/O error; clap exits with the same code.
const USAGE_OR_IO_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "booktools",
    about = "Checks and preprocessors that keep the book honest",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check that chapters show Rust code only by including listing files
    ///
    /// Also that every include resolves and that every listing file is
    /// shown (or exempt in listings/not-shown.txt).
    CheckIncludes {
        /// The book's root
        #[arg(default_value = ".")]
        root: PathBuf,
    },
    /// Check inventory/*.toml against the chapters, the claims and the tests
    ///
    /// Ids, verdicts, that each section is a heading of a linked chapter,
    /// that each claim is registered and each test exists and is not ignored
    /// (builds the tests with `cargo test --no-run`).
    CheckInventory {
        /// Also fail on pending statements
        #[arg(long)]
        complete: bool,
        /// List the cited tests that skipped themselves, as LOG (BOOK_SKIP_LOG) recorded
        #[arg(long, value_name = "LOG")]
        skipped: Option<PathBuf>,
    },
    /// Check that each `## Exercises` section asks 2 to 4 questions whose
    /// answers cite evidence
    ///
    /// Each answer, in `<details><summary>Answer</summary>`, includes a
    /// listing's output file, names a test (`package/target::path`) that
    /// exists and is not ignored (builds the tests with `cargo test
    /// --no-run`), or shows a `{{#measured}}`/`{{#claim}}` figure.
    CheckExercises,
    /// Check that each comparison chapter ends with 3 to 5 linked key takeaways
    ///
    /// `## Key takeaways`, just before `## Exercises`: bullets that each link
    /// a heading or verdict box of the same page, then a paragraph beginning
    /// "API documentation" that links docs.rs or doc.rust-lang.org.
    CheckTakeaways,
    /// Check that versioned docs links match Cargo.lock and the toolchain pin
    ///
    /// `docs.rs/<crate>/<version>/` of a locked crate must name its locked
    /// version; `doc.rust-lang.org/<version>/` the toolchain of
    /// rust-toolchain.toml, else of `rustup toolchain install` in
    /// .github/workflows/*.yml.
    CheckDocLinks,
    /// Fail on a measured-looking figure typed into the prose
    ///
    /// A number with a unit of time, size or ratio in src/*.md or an
    /// inventory `says`, unless measurements/typed-figures.toml excuses it;
    /// an exception that excuses nothing fails too.
    CheckFigures {
        /// The book's root
        #[arg(default_value = ".")]
        root: PathBuf,
    },
    /// Fail on a run of six or more words shared with a source article
    ///
    /// Compares src/*.md and every inventory `says` with the .txt files in
    /// SOURCES, outside quotation marks; says it compared nothing when
    /// SOURCES does not exist.
    CheckWording {
        /// The directory of the source articles
        #[arg(default_value = booktools::wording::DEFAULT_SOURCES)]
        sources: PathBuf,
    },
    /// Run the sources of measurements/claims.toml and write their figures
    ///
    /// In ci mode only the sources with in_ci = true run; the figures are
    /// merged into an existing file.
    Measure {
        /// criterion's full settings, or its short CI mode
        #[arg(long, default_value = "full", value_parser = ["full", "ci"])]
        mode: String,
        /// Run only this source (repeatable)
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
        /// Where to write [default: measurements/measurements.json, in ci
        /// mode target/measurements/ci.json]
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
    /// Check every claim against a measurements file
    CheckClaims {
        /// The measurements to check
        #[arg(default_value = measurements::COMMITTED)]
        path: PathBuf,
        /// Re-measure the failing claims' figures in ci mode, up to N times
        #[arg(long, value_name = "N", default_value_t = 0)]
        rerun: usize,
    },
    /// Check that every claim's threshold lies within the soak's noise
    ///
    /// Each at_least must lie between half the smallest ratio the soak saw
    /// and that ratio.
    CheckThresholds {
        /// The soak's noise [default: measurements/noise.json]
        noise: Option<PathBuf>,
    },
    /// Min, median and max of each claim's ratio over several measurement files
    Noise {
        /// The measurement files of the runs
        #[arg(required = true, value_name = "RUNS")]
        runs: Vec<PathBuf>,
        /// Where to write the noise
        #[arg(long, value_name = "PATH", default_value = noise::PATH)]
        out: PathBuf,
    },
    /// Measure in ci mode N times, check the claims on each, write their noise
    ///
    /// Run K is written to target/measurements/soak-K.json. A run with a
    /// failing claim is reported, not fatal: the noise is the point.
    Soak {
        /// How many runs
        #[arg(value_parser = clap::value_parser!(u32).range(1..))]
        n: u32,
        /// Where to write the noise
        #[arg(long, value_name = "PATH", default_value = noise::PATH)]
        out: PathBuf,
    },
    /// Run every listing binary and compare what it prints with its output file
    ///
    /// The file is listings/<crate>/output/<bin>.txt; exclusions and
    /// normalisations live in listings/outputs.toml.
    Outputs {
        /// Rewrite the output files instead
        #[arg(long)]
        refresh: bool,
    },
    /// The mdBook preprocessor `measured` (book.toml runs it)
    ///
    /// Without a subcommand: reads mdBook's `[context, book]` JSON on stdin
    /// and writes the book JSON on stdout.
    Preprocess {
        #[command(subcommand)]
        supports: Option<Supports>,
    },
}

#[derive(Debug, Subcommand)]
enum Supports {
    /// Exit 0 if the preprocessor supports RENDERER, 1 if not
    Supports { renderer: String },
}

fn main() -> ExitCode {
    // `exit` prints clap's error or help and exits 2 or 0.
    let cli = Cli::try_parse().unwrap_or_else(|error| error.exit());
    match cli.command {
        Command::CheckIncludes { root } => {
            outcome("check-includes", check_includes(&root))
        }
        Command::CheckInventory { complete, skipped } => {
            let options = booktools::inventory::Options { complete, skipped };
            outcome(
                "check-inventory",
                booktools::inventory::run(".".as_ref(), &options),
            )
        }
        Command::CheckExercises => {
            outcome("check-exercises", booktools::exercises::run(".".as_ref()))
        }
        Command::CheckTakeaways => {
            outcome("check-takeaways", booktools::takeaways::run(".".as_ref()))
        }
        Command::CheckDocLinks => {
            outcome("check-doc-links", booktools::doc_links::run(".".as_ref()))
        }
        Command::CheckFigures { root } => {
            outcome("check-figures", booktools::figures::run(&root))
        }
        Command::CheckWording { sources } => outcome(
            "check-wording",
            booktools::wording::run(".".as_ref(), &sources),
        ),
        Command::CheckThresholds { noise } => outcome(
            "check-thresholds",
            booktools::thresholds::run(".".as_ref(), noise.as_deref()),
        ),
        Command::Measure { mode, sources, out } => {
            let mode =
                measure::Mode::parse(&mode).expect("clap allows only full and ci");
            let options = measure::Options { mode, sources, out };
            outcome(
                "measure",
                measure::run(".".as_ref(), &options).map(|_| true),
            )
        }
        Command::CheckClaims { path, rerun } => {
            let options = check_claims::Options { path, rerun };
            outcome("check-claims", check_claims::run(".".as_ref(), &options))
        }
        Command::Noise { runs, out } => outcome(
            "noise",
            noise::run_noise(".".as_ref(), &runs, &out).map(|()| true),
        ),
        Command::Soak { n, out } => outcome(
            "soak",
            noise::run_soak(".".as_ref(), n as usize, &out).map(|_| true),
        ),
        Command::Outputs { refresh } => outcome("outputs", outputs_command(refresh)),
        Command::Preprocess { supports } => preprocess_command(supports),
    }
}

fn check_includes(root: &std::path::Path) -> Result<bool, String> {
    let report = includes::check(root)?;
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    if report.problems.is_empty() {
        println!("{}", report.summary());
    }
    Ok(report.problems.is_empty())
}

fn outputs_command(refresh: bool) -> Result<bool, String> {
    let report = outputs::run(".".as_ref(), outputs::Options { refresh })?;
    for path in &report.written {
        println!("outputs: wrote {}", path.display());
    }
    for line in &report.not_observed {
        println!("outputs: not observed on this machine: {line}");
    }
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    if report.problems.is_empty() {
        println!("{}", report.summary(refresh));
    } else {
        let n = report.problems.len();
        eprintln!("error: outputs: {n} problem(s); see above");
    }
    Ok(report.problems.is_empty())
}

fn preprocess_command(supports: Option<Supports>) -> ExitCode {
    match supports {
        Some(Supports::Supports { renderer }) if preprocess::supports(&renderer) => {
            ExitCode::SUCCESS
        }
        Some(Supports::Supports { .. }) => ExitCode::from(PROBLEMS_FOUND),
        None => outcome("preprocess", preprocess::run_stdio()),
    }
}

/// The rule for a command's result: `Ok(true)` exits 0, `Ok(false)` 1
/// (problems already printed), `Err` prints the message and exits 2.
fn outcome(command: &str, result: Result<bool, String>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(PROBLEMS_FOUND),
        Err(message) => {
            eprintln!("error: {command}: {message}");
            ExitCode::from(USAGE_OR_IO_ERROR)
        }
    }
}
