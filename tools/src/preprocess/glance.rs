//! `{{#at_a_glance}}`: the articles' comparison tables reprinted row by row,
//! each row with Rust's verdict (a chip in colour and in words), one line on
//! what is true in Rust instead, and a link to the exact verdict box; then the
//! totals over every statement. Generated from `inventory/*.toml`, like the
//! ledger ([`super::ledger`]), so nothing on the page is typed twice.
//!
//! A statement is a table row when its `location` reads
//! `comparison table, row LABEL` or `comparison chart, row LABEL` (the label
//! as the article prints it), or `comparison chart, last row` for Rehman's
//! last row, which has no label. Rows come in inventory order (files by name,
//! then as written), which is the articles' order, one table per source.
//! Every row must have `in_rust`, and only rows may have it. The link goes to
//! `<chapter of the statement's section>#verdict-<statement id>`, the anchor
//! each verdict box carries.
//!
//! `check-figures` and `check-wording` read an inventory's `says`, not its
//! `in_rust`, so this marker checks `in_rust` itself: no typed figure (figure
//! markers are allowed and filled in here), and, when the articles are at
//! [`wording::DEFAULT_SOURCES`], no run of words shared with them.

use std::path::Path;

use super::markers;
use super::render::{Data, cell};
use crate::inventory::{self, Located, Problem, Statement, Verdict, problem};
use crate::{figures, wording};

/// How an article names its table, by source.
const ARTICLES: &[(&str, &str)] = &[("codemia", "Codemia"), ("rehman", "Rehman")];

/// Column headers; the phone layout in `theme/glance.css` repeats them, in
/// this order, as labels.
const HEADER: &str = "| row | the claim, in our words | verdict | in Rust | verdict box |\n\
                      | --- | --- | --- | --- | --- |\n";

/// Where a statement stands in an article's comparison table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// `table` or `chart`, as the location says.
    pub kind: String,
    /// The row's label; `None` for an unlabelled last row.
    pub label: Option<String>,
}

/// The row a `location` names, `None` when it names no comparison table row;
/// `Err` when it starts like one and goes on in a way this does not read.
pub fn table_row(location: &str) -> Result<Option<TableRow>, String> {
    let Some(rest) = location.strip_prefix("comparison ") else {
        return Ok(None);
    };
    let Some((kind, rest)) = ["table", "chart"]
        .iter()
        .find_map(|k| rest.strip_prefix(k).map(|r| (*k, r)))
    else {
        return Ok(None);
    };
    let row = rest.strip_prefix(", ").map(str::trim);
    let label = match row {
        Some("last row") => None,
        Some(row) => match row.strip_prefix("row ").map(str::trim) {
            Some(label) if !label.is_empty() => Some(label.to_string()),
            _ => return Err(unreadable(location)),
        },
        None => return Err(unreadable(location)),
    };
    Ok(Some(TableRow {
        kind: kind.to_string(),
        label,
    }))
}

fn unreadable(location: &str) -> String {
    format!(
        "location `{location}` names a comparison table but no row: write \
         `comparison table, row LABEL`, `comparison chart, row LABEL` or \
         `comparison chart, last row`"
    )
}

/// The page's markdown, with links relative to `page` (relative to src/).
pub fn render(
    data: &Data,
    root: &Path,
    page: Option<&Path>,
) -> Result<String, String> {
    let (inventory, mut problems, mut book) = super::ledger::load_checked(root)?;
    let articles = wording::Articles::read(&root.join(wording::DEFAULT_SOURCES))?;
    let mut rows: Vec<(&Statement, TableRow, String)> = Vec::new();
    for statement in &inventory.statements {
        let row = match table_row(&statement.location) {
            Ok(row) => row,
            Err(message) => {
                problems.push(problem(statement, statement.id.line, message));
                continue;
            }
        };
        match (row, &statement.in_rust) {
            (Some(row), Some(in_rust)) => {
                match in_rust_text(data, statement, in_rust, articles.as_ref()) {
                    Ok(text) => rows.push((statement, row, text)),
                    Err(mut found) => problems.append(&mut found),
                }
            }
            (Some(row), None) => problems.push(problem(
                statement,
                statement.id.line,
                format!(
                    "is a row of {}'s comparison {} but has no `in_rust`: add one line on \
                     what is true in Rust instead (inventory/README.md)",
                    statement.source.value, row.kind
                ),
            )),
            (None, Some(in_rust)) => problems.push(problem(
                statement,
                in_rust.line,
                "has `in_rust` but is no row of a comparison table: `in_rust` is for \
                 table rows only (inventory/README.md)"
                    .to_string(),
            )),
            (None, None) => {}
        }
    }
    super::ledger::refuse_unsound("the page needs a sound inventory", "", problems)?;
    let prefix = super::ledger::relative_prefix(page);
    let summary = book.summary(root)?.to_vec();

    let mut out = String::new();
    for (source, name) in ARTICLES {
        let of_source: Vec<_> = rows
            .iter()
            .filter(|(s, _, _)| s.source.value == *source)
            .collect();
        let Some((_, first, _)) = of_source.first() else {
            continue;
        };
        out.push_str(&format!(
            "**{name}'s comparison {}**, {} rows in its order:\n\n\
             <div class=\"glance\">\n\n{HEADER}",
            first.kind,
            of_source.len()
        ));
        for (statement, row, in_rust) in of_source {
            let link = box_link(&summary, &prefix, statement)?;
            let label = match &row.label {
                Some(label) => cell(label),
                None => "*(last row, no label)*".to_string(),
            };
            out.push_str(&format!(
                "| {label} | {} | {} | {in_rust} | {link} |\n",
                cell(&statement.says),
                chip(statement.verdict())
            ));
        }
        out.push_str("\n</div>\n\n");
    }
    out.push_str(&totals(
        "All",
        &inventory.statements.iter().collect::<Vec<_>>(),
        "statements of the two articles",
    ));
    out.push_str(&totals(
        "The",
        &rows.iter().map(|(s, _, _)| *s).collect::<Vec<_>>(),
        "table rows above",
    ));
    Ok(out)
}

/// `<span class="verdict-chip verdict-holds-in-part">holds in part</span>`:
/// the colour comes from the class, the verdict is in the words.
pub fn chip(verdict: Option<Verdict>) -> String {
    let verdict = verdict.unwrap_or(Verdict::Pending);
    format!(
        "<span class=\"verdict-chip verdict-{}\">{}</span>",
        verdict.key(),
        verdict.words()
    )
}

/// `All 70 statements of the two articles: holds 7, ...` as a paragraph.
fn totals(lead: &str, statements: &[&Statement], what: &str) -> String {
    let count =
        |v: Verdict| statements.iter().filter(|s| s.verdict() == Some(v)).count();
    let mut parts: Vec<String> =
        [Verdict::Holds, Verdict::HoldsInPart, Verdict::DoesNotHold]
            .iter()
            .map(|v| format!("{} {}", chip(Some(*v)), count(*v)))
            .collect();
    if count(Verdict::Pending) > 0 {
        parts.push(format!(
            "{} {}",
            chip(Some(Verdict::Pending)),
            count(Verdict::Pending)
        ));
    }
    format!(
        "{lead} {} {what}: {}.\n\n",
        statements.len(),
        parts.join(", ")
    )
}

/// `in_rust` as a table cell, figure markers filled in; every problem with
/// it, each naming its line, when it has typed figures, shares a run of words
/// with an article, or has a marker that cannot be filled.
fn in_rust_text(
    data: &Data,
    statement: &Statement,
    in_rust: &Located<String>,
    articles: Option<&wording::Articles>,
) -> Result<String, Vec<Problem>> {
    let mut problems = Vec::new();
    let text = in_rust.value.trim();
    if text.is_empty() {
        problems.push(problem(
            statement,
            in_rust.line,
            "`in_rust` is empty: say in one line what is true in Rust".to_string(),
        ));
    }
    for found in figures::find_in_markdown(&statement.file, text) {
        problems.push(problem(
            statement,
            in_rust.line + found.line - 1,
            format!(
                "`in_rust` types the figure `{}` (\"{}\"): show measured figures with a \
                 marker, such as `{{{{#ratio CLAIM}}}}`",
                found.figure, found.context
            ),
        ));
    }
    if let Some(articles) = articles {
        for shared in wording::find_in_markdown(&statement.file, text, articles) {
            problems.push(problem(
                statement,
                in_rust.line + shared.line - 1,
                format!(
                    "`in_rust`: \"{}\" stands word for word in the source article {}: say \
                     it in the book's own words",
                    shared.words, shared.article
                ),
            ));
        }
    }
    let expanded = markers::expand(text, |marker| match marker.name {
        "measured" | "ratio" | "threshold" | "claim" => data.render(marker),
        other => Err(format!(
            "`{{{{#{other}}}}}` cannot stand in `in_rust`: only figure markers \
             (measured, ratio, threshold, claim) can"
        )),
    });
    match expanded {
        Ok(expanded) if problems.is_empty() => Ok(cell(&expanded)),
        Ok(_) => Err(problems),
        Err(errors) => {
            problems.extend(errors.into_iter().map(|e| {
                problem(
                    statement,
                    in_rust.line + e.line - 1,
                    format!("`in_rust`: {}: {}", e.marker, e.message),
                )
            }));
            Err(problems)
        }
    }
}

/// `[Scheduling](../ch02-scheduling.md#verdict-codemia-table-scheduling)`:
/// the chapter's title up to its colon, linking to the statement's box.
fn box_link(
    summary: &[inventory::SummaryEntry],
    prefix: &str,
    statement: &Statement,
) -> Result<String, String> {
    let Some(section) = &statement.section else {
        return Ok(String::new());
    };
    let (chapter, _) = inventory::split_section(&section.value)?;
    let title = summary
        .iter()
        .find(|e| e.path == chapter)
        .map_or(chapter, |e| e.title.as_str());
    let short = title.split(':').next().unwrap_or(title).trim();
    let text = cell(short).replace('[', "\\[").replace(']', "\\]");
    let anchor = super::verdict::anchor(&statement.id.value);
    Ok(format!("[{text}]({prefix}{chapter}#{anchor})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_name_rows_with_their_labels() {
        let row = |kind: &str, label: Option<&str>| {
            Some(TableRow {
                kind: kind.to_string(),
                label: label.map(str::to_string),
            })
        };
        assert_eq!(
            table_row("comparison table, row Scheduling").unwrap(),
            row("table", Some("Scheduling"))
        );
        assert_eq!(
            table_row("comparison chart, row Multitasking Type").unwrap(),
            row("chart", Some("Multitasking Type"))
        );
        assert_eq!(
            table_row("comparison chart, last row").unwrap(),
            row("chart", None)
        );
        assert_eq!(table_row("FAQ: \"What are Threads?\"").unwrap(), None);
        assert_eq!(table_row("characteristics of threads").unwrap(), None);
        for bad in [
            "comparison table",
            "comparison table, row ",
            "comparison chart, third",
        ] {
            assert!(
                table_row(bad)
                    .unwrap_err()
                    .contains("names a comparison table but no row"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_chip_carries_its_verdict_in_words_and_in_its_class() {
        assert_eq!(
            chip(Some(Verdict::HoldsInPart)),
            "<span class=\"verdict-chip verdict-holds-in-part\">holds in part</span>"
        );
        assert_eq!(
            chip(Some(Verdict::DoesNotHold)),
            "<span class=\"verdict-chip verdict-does-not-hold\">does not hold for Rust</span>"
        );
        assert_eq!(
            chip(Some(Verdict::Holds)),
            "<span class=\"verdict-chip verdict-holds\">holds</span>"
        );
    }
}
