//! Where and how measurements are taken: the machine, the toolchain and the
//! versions of the crates being compared, recorded beside every figure.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::measurements::Provenance;

/// The crates whose versions decide the figures; read from Cargo.lock.
pub const MEASURED_CRATES: &[&str] =
    &["tokio", "futures", "criterion", "loom", "corosensei"];

/// Programs outside Cargo.lock whose versions decide figures: the load
/// generator the `load` source drives the servers with.
pub const MEASURED_TOOLS: &[&str] = &["wrk"];

/// Describes this machine and the repository at `root` now.
pub fn collect(root: &Path, mode: &str) -> Provenance {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    Provenance {
        date: utc_iso8601(SystemTime::now()),
        mode: mode.to_string(),
        cpu: cpu_model(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        kernel: read_trimmed("/proc/sys/kernel/osrelease")
            .unwrap_or_else(|| "unknown".into()),
        rustc: command_output(root, "rustc", &["--version"])
            .unwrap_or_else(|| "unknown".into()),
        crates: crate_versions(&lock, MEASURED_CRATES)
            .into_iter()
            .chain(tool_versions(root, MEASURED_TOOLS))
            .collect(),
        commit: command_output(root, "git", &["rev-parse", "--short", "HEAD"]),
    }
}

/// `2026-11-23T18:10:05Z`.
pub fn utc_iso8601(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    let (hour, minute, second) = (rest / 3600, rest % 3600 / 60, rest % 60);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`), so no date crate is needed.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524
        - day_of_era / 146_096)
        / 365;
    let day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn cpu_model() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    cpuinfo
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == "model name").then(|| value.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The versions of `names` in a Cargo.lock; a crate locked at two versions
/// lists both (`1.52.3, 1.54.1`).
pub fn crate_versions(lock: &str, names: &[&str]) -> BTreeMap<String, String> {
    // One reader of Cargo.lock for the book's tools (doc_links checks pinned
    // docs links against it too); an unreadable lock leaves the table empty.
    let locked = crate::doc_links::locked_versions(lock).unwrap_or_default();
    names
        .iter()
        .filter_map(|name| {
            let versions = locked.get(*name)?;
            let list: Vec<&str> = versions.iter().map(String::as_str).collect();
            Some((name.to_string(), list.join(", ")))
        })
        .collect()
}

/// The versions of the installed `tools` that answer `-v`, beside the
/// crates' (the provenance table lists both); a missing tool is left out.
/// `wrk -v` prints its version and usage and exits with 1, so the status
/// is not asked.
pub fn tool_versions(dir: &Path, tools: &[&str]) -> BTreeMap<String, String> {
    tools
        .iter()
        .filter_map(|tool| {
            let output = Command::new(tool)
                .arg("-v")
                .current_dir(dir)
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&output.stdout);
            let version = tool_version(tool, text.lines().next()?)?;
            Some((tool.to_string(), version))
        })
        .collect()
}

/// The version in a first line such as `wrk debian/4.1.0-3+b2 [epoll] ...`.
fn tool_version(tool: &str, line: &str) -> Option<String> {
    let mut words = line.split_whitespace();
    (words.next()? == tool).then_some(())?;
    let version = words.next()?;
    version
        .chars()
        .any(|c| c.is_ascii_digit())
        .then(|| version.to_string())
}

fn read_trimmed(path: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// The first line a successful command prints, if it runs at all.
fn command_output(dir: &Path, program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let line = text.lines().next()?.trim().to_string();
    (output.status.success() && !line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_utc_iso_8601() {
        let at = |secs| utc_iso8601(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(at(1_798_761_599), "2026-12-31T23:59:59Z");
    }

    #[test]
    fn crate_versions_come_from_the_lock_file() {
        let lock = r#"
version = 4

[[package]]
name = "tokio"
version = "1.52.3"

[[package]]
name = "serde"
version = "1.0.229"

[[package]]
name = "tokio"
version = "1.54.1"

[[package]]
name = "loom"
version = "0.7.3"
"#;
        let versions = crate_versions(lock, MEASURED_CRATES);
        assert_eq!(versions["tokio"], "1.52.3, 1.54.1");
        assert_eq!(versions["loom"], "0.7.3");
        assert!(!versions.contains_key("serde"));
        assert!(!versions.contains_key("criterion"));
    }

    #[test]
    fn a_tool_version_is_the_word_after_its_name() {
        let line = "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer";
        assert_eq!(
            tool_version("wrk", line).as_deref(),
            Some("debian/4.1.0-3+b2")
        );
        assert_eq!(tool_version("wrk", "Usage: wrk <options> <url>"), None);
        assert_eq!(tool_version("wrk", "wrk: command not found"), None);
        assert_eq!(tool_version("wrk", "wrk"), None);
        assert_eq!(tool_version("wrk", "wrk version unknown"), None);
        assert_eq!(
            tool_version("wrk", "curl 8.1.2 (x86_64-pc-linux-gnu)"),
            None
        );
    }

    #[test]
    fn every_provenance_field_is_filled() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let provenance = collect(&root, "ci");
        assert_eq!(provenance.mode, "ci");
        assert!(provenance.date.ends_with('Z') && provenance.date.len() == 20);
        assert!(provenance.cores >= 1);
        for field in [&provenance.cpu, &provenance.kernel, &provenance.rustc] {
            assert!(!field.is_empty());
        }
        assert!(
            provenance.rustc.starts_with("rustc "),
            "{}",
            provenance.rustc
        );
        assert!(
            provenance.crates.contains_key("tokio"),
            "{:?}",
            provenance.crates
        );
    }
}
