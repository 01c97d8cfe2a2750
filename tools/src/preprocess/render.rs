//! What each marker becomes, from the registry, the measurements in use and
//! the noise file.

use std::path::{Path, PathBuf};

use super::markers::Marker;
use crate::chart;
use crate::claims::{Verdict, evaluate};
use crate::measure::load_registry;
use crate::measurements::{self, Measurements};
use crate::noise::{self, Noise};
use crate::registry::{self, Claim, Registry};
use crate::units::{format_ratio, format_threshold, format_value};

/// Names the measurements file the book prints instead of the committed one
/// (e.g. CI's fresh figures); relative paths are taken from the book root.
pub const MEASUREMENTS_ENV: &str = "BOOK_MEASUREMENTS";

/// Everything markers draw on. Files are read once; a missing or broken one
/// is an error only for the markers that need it, so a book without markers
/// builds without any of them.
pub struct Data {
    /// The book root, where `{{#ledger}}` reads the inventory and chapters.
    root: PathBuf,
    registry: Result<Registry, String>,
    measurements: Result<Measurements, String>,
    /// The measurements file as the book names it.
    measurements_file: String,
    noise: Result<Noise, String>,
}

impl Data {
    /// The data for the book at `root`, with the measurements file named by
    /// `$BOOK_MEASUREMENTS` or else the committed one.
    pub fn load(root: &Path) -> Data {
        Data::load_with(root, std::env::var_os(MEASUREMENTS_ENV).map(PathBuf::from))
    }

    /// The data for the book at `root`, with `measurements` (relative to
    /// `root`) instead of the committed file when given.
    pub fn load_with(root: &Path, measurements: Option<PathBuf>) -> Data {
        let how_to_fix = match measurements {
            Some(_) => format!("fix or unset {MEASUREMENTS_ENV}"),
            None => "measure first: `booktools measure`".to_string(),
        };
        let relative =
            measurements.unwrap_or_else(|| PathBuf::from(measurements::COMMITTED));
        let noise_path = root.join(noise::PATH);
        Data {
            root: root.to_path_buf(),
            registry: load_registry(root),
            measurements: Measurements::load(&root.join(&relative))
                .map_err(|e| format!("{e}: {how_to_fix}")),
            measurements_file: relative.display().to_string(),
            noise: if noise_path.exists() {
                Noise::load(&noise_path)
            } else {
                Err(format!(
                    "{} is missing: write it with `booktools soak 10` (or `booktools noise RUNS...`)",
                    noise::PATH
                ))
            },
        }
    }

    /// The book root, where `{{#ledger}}` reads the inventory and chapters.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The replacement text for one marker of the figures family (every
    /// marker but `{{#ledger}}`, which [`super::render_marker`] sends to
    /// [`super::ledger`]).
    pub fn render(&self, marker: &Marker<'_>) -> Result<String, String> {
        let id = marker.id.unwrap_or_default();
        match marker.name {
            "measured" => self.measured(id),
            "ratio" => Ok(format_ratio(self.holding(id)?.1)),
            "threshold" => Ok(format_threshold(self.holding(id)?.0.at_least)),
            "claim" => self.claim_text(id),
            "chart" => self.chart(id),
            "provenance" => self.provenance(),
            "claims" => self.claims_table(),
            "noise" => self.noise_table(),
            other => Err(format!("no rendering for `{other}`")),
        }
    }

    /// What is wrong with the registry, if it could not be loaded: reported
    /// once by [`super::expand_book`], not once per marker.
    pub fn registry_problems(&self) -> Option<&str> {
        self.registry.as_ref().err().map(String::as_str)
    }

    fn registry(&self) -> Result<&Registry, String> {
        self.registry.as_ref().map_err(|_| {
            format!(
                "needs {}, which has the problems listed first",
                registry::PATH
            )
        })
    }

    fn measurements(&self) -> Result<&Measurements, String> {
        self.measurements.as_ref().map_err(Clone::clone)
    }

    fn measured(&self, id: &str) -> Result<String, String> {
        let measurements = self.measurements()?;
        let Some(value) = measurements.values.get(id) else {
            let source = id.split('/').next().unwrap_or_default();
            let of_source = |k: &&String| k.split('/').next() == Some(source);
            let siblings: Vec<&str> = measurements
                .values
                .keys()
                .filter(of_source)
                .map(String::as_str)
                .collect();
            // The same name at other parameters first: a source may have
            // hundreds of ids, and a list that long hides the near miss.
            let name: String = id.split('/').take(2).collect::<Vec<_>>().join("/");
            let same_name: Vec<&str> = siblings
                .iter()
                .copied()
                .filter(|k| k.starts_with(&format!("{name}/")))
                .collect();
            let shown = if same_name.is_empty() {
                &siblings
            } else {
                &same_name
            };
            const MOST: usize = 12;
            let more = match shown.len().saturating_sub(MOST) {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            let hint = if siblings.is_empty() {
                format!(
                    "measure source `{source}` (`booktools measure --source {source}`)"
                )
            } else {
                let listed = shown[..shown.len().min(MOST)].join(", ");
                format!("its source has: {listed}{more}")
            };
            return Err(format!(
                "no measurement `{id}` in {}: {hint}",
                self.measurements_file
            ));
        };
        Ok(format_value(value.value, value.unit))
    }

    fn claim(&self, id: &str) -> Result<&Claim, String> {
        let registry = self.registry()?;
        registry.claim(id).ok_or_else(|| {
            let known: Vec<&str> =
                registry.claims.iter().map(|c| c.id.as_str()).collect();
            format!(
                "no claim `{id}` in {} (its claims: {})",
                registry::PATH,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })
    }

    /// A claim the prose relies on, and its ratio; an error if the
    /// measurements in use contradict it, since the book must never print a
    /// claim its own data refutes.
    fn holding(&self, id: &str) -> Result<(&Claim, f64), String> {
        let claim = self.claim(id)?;
        match evaluate(claim, self.measurements()?) {
            Verdict::Holds(evidence) => Ok((claim, evidence.ratio)),
            Verdict::DoesNotHold(evidence) => Err(format!(
                "{} in {}: re-measure, or revise the claim and the prose",
                evidence.failure(),
                self.measurements_file
            )),
            unusable => Err(format!(
                "{} in {}",
                unusable.problem(),
                self.measurements_file
            )),
        }
    }

    /// What `{{#claim ID}}` prints: threshold, measured ratio, "holds".
    pub(super) fn claim_text(&self, id: &str) -> Result<String, String> {
        let (claim, ratio) = self.holding(id)?;
        Ok(format!(
            "claimed at least {}, measured {}: holds",
            format_threshold(claim.at_least),
            format_ratio(ratio)
        ))
    }

    fn chart(&self, id: &str) -> Result<String, String> {
        let registry = self.registry()?;
        let chart = registry.chart(id).ok_or_else(|| {
            let known: Vec<&str> =
                registry.charts.iter().map(|c| c.id.as_str()).collect();
            format!(
                "no chart `{id}` in {} (its charts: {})",
                registry::PATH,
                known.join(", ")
            )
        })?;
        let measurements = self.measurements()?;
        let svg = chart::render(chart, measurements)?;
        let alt = chart::alt(chart, measurements)?;
        let sentence = chart::caption(chart, measurements)?;
        let p = &measurements.provenance;
        let measured = format!(
            "Measured {} on {}, {} cores ({} mode).",
            p.date.get(..10).unwrap_or(&p.date),
            p.cpu,
            p.cores,
            p.mode
        );
        // Inline, not an <img>: the page's CSS colours its text for the theme
        // (theme/charts.css) and the browser check can measure its marks.
        let svg = svg.replacen(
            "<svg ",
            &format!("<svg role=\"img\" aria-label=\"{}\" ", html_escape(&alt)),
            1,
        );
        Ok(format!(
            "<figure class=\"measured-chart\" id=\"chart-{}\">\n{}<figcaption><strong>{}.</strong> {} {}</figcaption>\n</figure>",
            html_escape(&chart.id),
            svg,
            html_escape(&chart.title),
            html_escape(&sentence),
            html_escape(&measured)
        ))
    }

    fn provenance(&self) -> Result<String, String> {
        let m = self.measurements()?;
        let p = &m.provenance;
        let crates: Vec<String> =
            p.crates.iter().map(|(n, v)| format!("{n} {v}")).collect();
        let mode = match p.mode.as_str() {
            "full" => "full (criterion's default settings)".to_string(),
            "ci" => "ci (short criterion settings, quick probes)".to_string(),
            other => other.to_string(),
        };
        let rows = [
            ("measured", p.date.clone()),
            ("mode", mode),
            ("CPU", format!("{} ({} cores)", p.cpu, p.cores)),
            ("kernel", p.kernel.clone()),
            ("compiler", p.rustc.clone()),
            ("crates", crates.join(", ")),
            (
                "commit",
                p.commit.clone().unwrap_or_else(|| "unknown".into()),
            ),
            (
                "values",
                format!("{} in `{}`", m.values.len(), self.measurements_file),
            ),
        ];
        let mut table = String::from("| | |\n| --- | --- |\n");
        for (what, value) in rows {
            table.push_str(&format!("| {what} | {} |\n", cell(&value)));
        }
        Ok(table)
    }

    fn claims_table(&self) -> Result<String, String> {
        let registry = self.registry()?;
        let measurements = self.measurements()?;
        let mut table = String::from(
            "| claim | statement | threshold | measured | status |\n| --- | --- | --- | --- | --- |\n",
        );
        let mut problems = Vec::new();
        for claim in &registry.claims {
            match evaluate(claim, measurements) {
                Verdict::Holds(e) => table.push_str(&format!(
                    "| `{}` | {} | {} | {} | holds |\n",
                    claim.id,
                    cell(&claim.sentence),
                    format_threshold(claim.at_least),
                    format_ratio(e.ratio)
                )),
                other => problems.push(other.problem()),
            }
        }
        if problems.is_empty() {
            Ok(table)
        } else {
            Err(format!(
                "the ledger would print claims that {} contradicts:\n  {}",
                self.measurements_file,
                problems.join("\n  ")
            ))
        }
    }

    fn noise_table(&self) -> Result<String, String> {
        let registry = self.registry()?;
        let noise = self.noise.as_ref().map_err(Clone::clone)?;
        let runs = noise.claims.values().map(|c| c.runs).max().unwrap_or(0);
        let mut text = format!(
            "Ratios over {runs} runs in {} mode on {} ({} cores), {} to {}.\n\n\
             | claim | threshold | min | median | max | runs | below threshold |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n",
            noise.mode,
            cell(&noise.cpu),
            noise.cores,
            noise.first.get(..10).unwrap_or(&noise.first),
            noise.last.get(..10).unwrap_or(&noise.last)
        );
        for claim in &registry.claims {
            let threshold = format_threshold(claim.at_least);
            let row = match noise.claims.get(&claim.id) {
                Some(n) => format!(
                    "| `{}` | {threshold} | {} | {} | {} | {} | {} |\n",
                    claim.id,
                    format_ratio(n.min),
                    format_ratio(n.median),
                    format_ratio(n.max),
                    n.runs,
                    n.below
                ),
                None => format!("| `{}` | {threshold} | | | | 0 | |\n", claim.id),
            };
            text.push_str(&row);
        }
        Ok(text)
    }
}

/// Text safe inside a markdown table cell.
pub(super) fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
