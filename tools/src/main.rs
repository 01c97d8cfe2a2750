//! `booktools`: the book's maintenance commands. See `USAGE`.

use std::env;
use std::path::Path;
use std::process::ExitCode;

use booktools::includes;

const USAGE: &str = "\
usage: booktools <command> [args]

commands:
  check-includes [ROOT]  check that chapters show Rust code only by including
                         listing files, that every include resolves and that
                         every listing file is shown (ROOT defaults to .)";

/// Exit code for usage and I/O errors, as opposed to 1 for problems found.
const USAGE_OR_IO_ERROR: u8 = 2;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match args.split_first() {
        Some((command, rest)) if command == "check-includes" => check_includes(rest),
        Some((flag, _)) if matches!(flag.as_str(), "-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some((command, _)) => usage_error(&format!("unknown command `{command}`")),
        None => usage_error("no command given"),
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

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{USAGE}");
    ExitCode::from(USAGE_OR_IO_ERROR)
}
