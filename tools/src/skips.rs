//! Tests that could not observe their property on this machine, as they
//! report themselves: each prints `skipped: <crate>::<test path>: <reason>` on
//! stderr and, when `BOOK_SKIP_LOG` names a file, appends that line to it.
//! `ci/check.sh` collects that file; `check-inventory --skipped FILE` names
//! the statements whose cited tests were among them.

use std::path::Path;

use crate::inventory::TestId;

/// The environment variable that names the skip log.
pub const LOG_VARIABLE: &str = "BOOK_SKIP_LOG";

/// One skip: the test as the test named itself, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub test: String,
    pub reason: String,
}

/// The `skipped: TEST: REASON` lines of `text`, each once, in order.
pub fn parse(text: &str) -> Vec<Skip> {
    let mut skips: Vec<Skip> = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim_end().strip_prefix("skipped: ") else {
            continue;
        };
        let (test, reason) = rest.split_once(": ").unwrap_or((rest, ""));
        let skip = Skip {
            test: test.trim().to_string(),
            reason: reason.trim().to_string(),
        };
        if !skips.contains(&skip) {
            skips.push(skip);
        }
    }
    skips
}

/// Reads a skip log; a missing file is an empty log (no test skipped).
pub fn load(path: &Path) -> Result<Vec<Skip>, String> {
    Ok(crate::files::read_if_present(path)?
        .map_or_else(Vec::new, |text| parse(&text)))
}

/// Whether `skip` is the cited test `id`. A test names itself by its crate
/// and its path (`module_path!()` and the function), so any of
/// `package::target::path`, `package::path` and `target::path` is accepted,
/// with `-` and `_` alike (`ch06-parallelism` is the crate `ch06_parallelism`).
pub fn is(skip: &Skip, id: &TestId) -> bool {
    let normal = |s: &str| s.replace('-', "_");
    let named = normal(&skip.test);
    let (package, target, path) = (normal(id.package), normal(id.target), id.path);
    [
        format!("{package}::{target}::{path}"),
        format!("{package}::{path}"),
        format!("{target}::{path}"),
    ]
    .contains(&named)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_lines_are_read_once_each_with_their_reason() {
        let log = "noise\nskipped: ch06-parallelism::seen_in_parallel::tests::a: one CPU: \
                   nothing runs in parallel\nskipped: ch06-parallelism::seen_in_parallel::tests::a: \
                   one CPU: nothing runs in parallel\nskipped: x::y\n";
        assert_eq!(
            parse(log),
            [
                Skip {
                    test: "ch06-parallelism::seen_in_parallel::tests::a".into(),
                    reason: "one CPU: nothing runs in parallel".into()
                },
                Skip {
                    test: "x::y".into(),
                    reason: String::new()
                },
            ]
        );
    }

    #[test]
    fn a_skip_matches_the_cited_test_however_the_crate_is_spelled() {
        let id =
            TestId::parse("ch06-parallelism/seen_in_parallel::tests::two_threads")
                .unwrap();
        let lib =
            TestId::parse("ch06-parallelism/ch06_parallelism::workers::tests::w")
                .unwrap();
        let skip = |test: &str| Skip {
            test: test.into(),
            reason: String::new(),
        };
        for named in [
            "ch06-parallelism::seen_in_parallel::tests::two_threads",
            "ch06_parallelism::tests::two_threads",
            "seen_in_parallel::tests::two_threads",
        ] {
            assert!(is(&skip(named), &id), "{named}");
        }
        assert!(is(&skip("ch06_parallelism::workers::tests::w"), &lib));
        assert!(is(&skip("ch06-parallelism::workers::tests::w"), &lib));
        for other in [
            "ch06-parallelism::seen_in_parallel::tests::two_threads_x",
            "ch05-memory::seen_in_parallel::tests::two_threads",
            "two_threads",
        ] {
            assert!(!is(&skip(other), &id), "{other}");
        }
    }
}
