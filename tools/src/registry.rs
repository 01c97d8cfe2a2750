//! `measurements/claims.toml`: where every measured figure comes from, and
//! every claim the book makes about those figures.
//!
//! A measurement id is `<source>/<name>[/<parameter>]`: the first part names
//! the [`Source`] that produces it (a criterion bench target, whose single
//! benchmark group has the same name, or a probe binary that prints JSON).

use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;
use toml::Spanned;

/// The registry's path, relative to the repository root.
pub const PATH: &str = "measurements/claims.toml";

/// Claims below this ratio are not allowed: on a noisy two-core machine a
/// smaller factor can flip from run to run.
pub const SMALLEST_RATIO: f64 = 3.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    #[serde(default, rename = "source")]
    pub sources: Vec<Source>,
    #[serde(default, rename = "claim")]
    pub claims: Vec<Claim>,
    #[serde(default, rename = "chart")]
    pub charts: Vec<Chart>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// First part of every measurement id this source produces.
    pub id: String,
    pub kind: SourceKind,
    /// The workspace package that holds it.
    pub package: String,
    /// The bench target (`cargo bench --bench`) or binary (`cargo run --bin`).
    pub target: String,
    /// Whether CI measures it afresh on every run (sources that no claim
    /// needs can feed charts from the committed file only).
    #[serde(default)]
    pub in_ci: bool,
    /// Line of its `id` in the registry, for error messages (0 if unknown).
    #[serde(skip)]
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// `cargo bench`; results read from `target/criterion/<id>/new/estimates.json`.
    Criterion,
    /// `cargo run --release -- --out FILE`; the binary writes [`crate::measurements::Value`]s as JSON.
    Probe,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub id: String,
    /// The sentence the claim backs, as the ledger prints it.
    pub sentence: String,
    /// The measurement expected to be larger (the slower or heavier side).
    pub numerator: String,
    /// The measurement expected to be smaller.
    pub denominator: String,
    /// The claim holds when numerator / denominator >= at_least.
    pub at_least: f64,
    /// Line of its `id` in the registry, for error messages (0 if unknown).
    #[serde(skip)]
    pub line: usize,
    /// Line of its `at_least` (its `id` line if it has none written).
    #[serde(skip)]
    pub at_least_line: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub kind: ChartKind,
    pub y_label: String,
    #[serde(default)]
    pub x_label: Option<String>,
    /// For `lines`: one line per series, one point per parameter of the ids
    /// that start with `prefix` (e.g. `scale/threads/` gives `scale/threads/10`, ...).
    #[serde(default)]
    pub series: Vec<Series>,
    /// For `bars`: one bar per measurement.
    #[serde(default)]
    pub bars: Vec<Bar>,
    /// For `lines`: divide each value by its parameter (cost per unit).
    #[serde(default)]
    pub per_unit: bool,
    /// The sentence under the chart that states its comparison, with fields
    /// filled from the measurements: `{value ID}` (a measured value) and
    /// `{ratio A B}` (A's value over B's). Without one, the sentence names
    /// the largest and the smallest value the chart draws.
    #[serde(default)]
    pub caption: Option<String>,
    /// Line of its `id` in the registry, for error messages (0 if unknown).
    #[serde(skip)]
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Lines,
    Bars,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    pub label: String,
    pub prefix: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bar {
    pub label: String,
    pub measurement: String,
}

/// Where the entries' ids (and claims' thresholds) are written: the tables
/// read again with byte spans, in the same order.
#[derive(Deserialize)]
struct Spans {
    #[serde(default)]
    source: Vec<EntrySpan>,
    #[serde(default)]
    claim: Vec<EntrySpan>,
    #[serde(default)]
    chart: Vec<EntrySpan>,
}

#[derive(Deserialize)]
struct EntrySpan {
    id: Spanned<toml::Value>,
    #[serde(default)]
    at_least: Option<Spanned<toml::Value>>,
}

/// A problem in the registry, with the line it is on when that can be found.
#[derive(Debug, PartialEq)]
pub struct RegistryError {
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "error: {PATH}:{line}: {}", self.message),
            None => write!(f, "error: {PATH}: {}", self.message),
        }
    }
}

impl Registry {
    /// Reads and validates the registry under `root`.
    pub fn load(root: &Path) -> Result<Registry, Vec<RegistryError>> {
        let text = std::fs::read_to_string(root.join(PATH)).map_err(|e| {
            vec![RegistryError {
                line: None,
                message: format!("cannot read it: {e}"),
            }]
        })?;
        Registry::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Registry, Vec<RegistryError>> {
        let error = |e: toml::de::Error| {
            vec![RegistryError {
                line: Some(crate::files::toml_error_line(text, &e)),
                message: e.message().to_string(),
            }]
        };
        let mut registry: Registry = toml::from_str(text).map_err(error)?;
        // The same tables again, for where each entry's id and threshold are written.
        let spans: Spans = toml::from_str(text).map_err(error)?;
        let line = |start: usize| crate::files::line_of(text, start);
        for (source, span) in registry.sources.iter_mut().zip(&spans.source) {
            source.line = line(span.id.span().start);
        }
        for (claim, span) in registry.claims.iter_mut().zip(&spans.claim) {
            claim.line = line(span.id.span().start);
            claim.at_least_line = span
                .at_least
                .as_ref()
                .map_or(claim.line, |s| line(s.span().start));
        }
        for (chart, span) in registry.charts.iter_mut().zip(&spans.chart) {
            chart.line = line(span.id.span().start);
        }
        let problems = registry.validate();
        if problems.is_empty() {
            Ok(registry)
        } else {
            Err(problems)
        }
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    pub fn claim(&self, id: &str) -> Option<&Claim> {
        self.claims.iter().find(|c| c.id == id)
    }

    pub fn chart(&self, id: &str) -> Option<&Chart> {
        self.charts.iter().find(|c| c.id == id)
    }

    /// The source a measurement id belongs to (its first path component).
    pub fn source_of(&self, measurement: &str) -> Option<&Source> {
        self.source(measurement.split('/').next().unwrap_or(""))
    }

    fn validate(&self) -> Vec<RegistryError> {
        let mut problems = Vec::new();
        let mut problem = |line: usize, message: String| {
            problems.push(RegistryError {
                line: Some(line),
                message,
            })
        };
        let mut seen = HashSet::new();
        let ids = self.sources.iter().map(|s| (&s.id, s.line));
        let ids = ids.chain(self.claims.iter().map(|c| (&c.id, c.line)));
        for (id, line) in ids.chain(self.charts.iter().map(|c| (&c.id, c.line))) {
            if !seen.insert(id.as_str()) {
                problem(line, format!("the id `{id}` is used twice"));
            }
        }
        for claim in &self.claims {
            for side in [&claim.numerator, &claim.denominator] {
                match self.source_of(side) {
                    None => problem(
                        claim.line,
                        format!(
                            "claim `{}` names `{side}`, but no [[source]] produces `{}/...`",
                            claim.id,
                            side.split('/').next().unwrap_or("")
                        ),
                    ),
                    Some(source) if !source.in_ci => problem(
                        claim.line,
                        format!(
                            "claim `{}` needs source `{}`, which has in_ci = false: CI could not re-check it",
                            claim.id, source.id
                        ),
                    ),
                    Some(_) => {}
                }
            }
            if claim.at_least < SMALLEST_RATIO {
                problem(
                    claim.line,
                    format!(
                        "claim `{}` has at_least = {}: ratios under {SMALLEST_RATIO} are too close to noise to claim",
                        claim.id, claim.at_least
                    ),
                );
            }
        }
        for chart in &self.charts {
            let empty = match chart.kind {
                ChartKind::Lines => chart.series.is_empty(),
                ChartKind::Bars => chart.bars.is_empty(),
            };
            if empty {
                problem(
                    chart.line,
                    format!("chart `{}` has nothing to draw", chart.id),
                );
            }
        }
        problems
    }
}

/// `measurements/claims.toml:LINE`, where an entry is defined.
pub fn location(line: usize) -> String {
    if line == 0 {
        PATH.to_string()
    } else {
        format!("{PATH}:{line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[source]]
id = "spawn"
kind = "criterion"
package = "ch04-performance"
target = "spawn"
in_ci = true

[[claim]]
id = "spawn-cost"
sentence = "Tasks are cheaper to spawn."
numerator = "spawn/thread"
denominator = "spawn/task"
at_least = 20
"#;

    #[test]
    fn a_valid_registry_parses() {
        let registry = Registry::parse(GOOD).unwrap();
        assert_eq!(registry.claim("spawn-cost").unwrap().at_least, 20.0);
        assert_eq!(
            registry.source_of("spawn/thread").unwrap().package,
            "ch04-performance"
        );
        assert_eq!(registry.claim("spawn-cost").unwrap().line, 10);
        assert_eq!(
            location(registry.source("spawn").unwrap().line),
            "measurements/claims.toml:3"
        );
    }

    #[test]
    fn a_claim_on_an_unknown_source_names_its_line() {
        let text = GOOD.replace("spawn/task", "nowhere/task");
        let errors = Registry::parse(&text).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, Some(10));
        assert!(
            errors[0]
                .message
                .contains("no [[source]] produces `nowhere/...`")
        );
    }

    #[test]
    fn a_ratio_too_small_to_claim_is_refused() {
        let errors =
            Registry::parse(&GOOD.replace("at_least = 20", "at_least = 1.5"))
                .unwrap_err();
        assert!(
            errors[0].message.contains("too close to noise"),
            "{errors:?}"
        );
    }

    #[test]
    fn an_id_used_twice_names_the_line_of_its_second_use() {
        let text = format!(
            "{GOOD}\n[[chart]]\nid = \"spawn\"\ntitle = \"t\"\nkind = \"bars\"\ny_label = \"y\"\n"
        );
        let errors = Registry::parse(&text).unwrap_err();
        let twice: Vec<_> = errors
            .iter()
            .filter(|e| e.message.contains("used twice"))
            .collect();
        assert_eq!(twice.len(), 1, "{errors:?}");
        assert_eq!(twice[0].line, Some(17));
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let errors =
            Registry::parse(&GOOD.replace("at_least", "at_most")).unwrap_err();
        assert_eq!(errors[0].line, Some(14));
    }
}
