//! `{{#ledger}}`: the claims ledger, generated from `inventory/*.toml`. One
//! table per chapter that answers statements, in SUMMARY.md order and, inside
//! a chapter, in the order of its sections; then the statements not answered
//! yet. Each row: the source, our paraphrase, the verdict and its evidence
//! (a link to the statement's verdict box, the tests, each linked to its
//! code on the tests page, the claims with their measured ratio).
//!
//! The inventory must pass the checks that need no build
//! ([`inventory::check_static`]); whether the tests exist is
//! `booktools check-inventory`'s job, which CI runs.

use std::path::{Component, Path};

use super::render::{Data, cell};
use super::{tests_page, verdict};
use crate::inventory::{
    self, BookIndex, Inventory, Problem, Statement, TestId, Verdict,
};

/// The ledger's markdown, with links relative to `page` (the page holding
/// the marker, relative to src/).
pub fn render(
    data: &Data,
    root: &Path,
    page: Option<&Path>,
) -> Result<String, String> {
    let (inventory, problems, mut book) = load_checked(root)?;
    refuse_unsound(
        "the ledger needs a sound inventory",
        " (`booktools check-inventory` lists them too)",
        problems,
    )?;
    let prefix = relative_prefix(page);

    // (chapter position in SUMMARY.md, heading position, inventory order)
    let mut answered: Vec<(usize, usize, usize, &Statement)> = Vec::new();
    let mut pending: Vec<&Statement> = Vec::new();
    for (order, statement) in inventory.statements.iter().enumerate() {
        let section = statement.section.as_ref();
        match (statement.verdict(), section) {
            (Some(Verdict::Pending), _) | (None, _) | (_, None) => {
                pending.push(statement)
            }
            (Some(_), Some(section)) => {
                let (chapter, id) = inventory::split_section(&section.value)?;
                let position =
                    book.summary(root)?.iter().position(|e| e.path == chapter);
                let heading = book
                    .headings(root, chapter)?
                    .iter()
                    .position(|h| h.id == id);
                answered.push((
                    position.unwrap_or(usize::MAX),
                    heading.unwrap_or(usize::MAX),
                    order,
                    statement,
                ));
            }
        }
    }
    answered
        .sort_by_key(|(chapter, heading, order, _)| (*chapter, *heading, *order));

    let mut out = totals(&inventory);
    let mut current: Option<usize> = None;
    for (chapter, _, _, statement) in &answered {
        if current != Some(*chapter) {
            current = Some(*chapter);
            let entry = &book.summary(root)?[*chapter];
            out.push_str(&format!(
                "\n**[{}]({prefix}{})**\n\n{HEADER}",
                link_text(&entry.title),
                entry.path
            ));
        }
        let evidence = evidence(data, root, &mut book, &prefix, statement)?;
        out.push_str(&row(statement, &evidence));
    }
    if !pending.is_empty() {
        out.push_str(&format!("\n**Not answered yet**\n\n{HEADER}"));
        for statement in pending {
            let evidence = match &statement.section {
                Some(_) => section_link(root, &mut book, &prefix, statement)?,
                None => String::new(),
            };
            out.push_str(&row(statement, &evidence));
        }
    }
    Ok(out)
}

const HEADER: &str =
    "| source | statement | verdict | evidence |\n| --- | --- | --- | --- |\n";

/// `70 statements: holds 7, holds in part 1, does not hold for Rust 0, pending 62.`
fn totals(inventory: &Inventory) -> String {
    format!(
        "{} statements: holds {}, holds in part {}, does not hold for Rust {}, pending {}.\n",
        inventory.statements.len(),
        inventory.count(Verdict::Holds),
        inventory.count(Verdict::HoldsInPart),
        inventory.count(Verdict::DoesNotHold),
        inventory.count(Verdict::Pending)
    )
}

fn row(statement: &Statement, evidence: &str) -> String {
    // The same chip as the at-a-glance page: the verdict in words and colour.
    let verdict = super::glance::chip(statement.verdict());
    format!(
        "| {} | {} | {verdict} | {evidence} |\n",
        cell(&statement.source.value),
        cell(&statement.says)
    )
}

/// The section link, then the tests, then the claims, one per line of the cell.
fn evidence(
    data: &Data,
    root: &Path,
    book: &mut BookIndex,
    prefix: &str,
    statement: &Statement,
) -> Result<String, String> {
    let mut parts = vec![box_link(root, book, prefix, statement)?];
    if !statement.tests.is_empty() {
        let tests: Vec<String> = statement
            .tests
            .iter()
            .map(|t| test_link(prefix, &t.value))
            .collect();
        parts.push(format!("tests: {}", tests.join(", ")));
    }
    for claim in &statement.claims {
        let text = data.claim_text(&claim.value).map_err(|e| {
            format!(
                "{}:{}: statement `{}`: {e}",
                statement.file, claim.line, statement.id.value
            )
        })?;
        parts.push(format!("claim `{}`: {}", claim.value, cell(&text)));
    }
    Ok(parts.join("<br>"))
}

/// `[Heading text](../ch02-x.md#id)`: a markdown link, which mdBook turns
/// into a link to the chapter's HTML page.
fn section_link(
    root: &Path,
    book: &mut BookIndex,
    prefix: &str,
    statement: &Statement,
) -> Result<String, String> {
    let Some(section) = &statement.section else {
        return Ok(String::new());
    };
    let (chapter, id) = inventory::split_section(&section.value)?;
    let headings = book.headings(root, chapter)?;
    let text = headings
        .iter()
        .find(|h| h.id == id)
        .map(|h| h.text.as_str())
        .filter(|t| !t.is_empty())
        .unwrap_or(id);
    Ok(format!("[{}]({prefix}{chapter}#{id})", link_text(text)))
}

/// The section's heading as the text, linked to the statement's verdict box
/// (`#verdict-<id>`, [`verdict::anchor`]), which the check guarantees is in
/// that chapter.
fn box_link(
    root: &Path,
    book: &mut BookIndex,
    prefix: &str,
    statement: &Statement,
) -> Result<String, String> {
    let link = section_link(root, book, prefix, statement)?;
    let Some((text, _)) = link.rsplit_once('#') else {
        return Ok(link);
    };
    Ok(format!("{text}#{})", verdict::anchor(&statement.id.value)))
}

/// A test as a short name (its path without the `tests::` most tests sit
/// in), linked to its entry on the tests page; a `<wbr>` after each `_` so
/// that a long name breaks between words, never inside one.
fn test_link(prefix: &str, test: &str) -> String {
    let Some(id) = TestId::parse(test) else {
        return format!("`{test}`");
    };
    let short = id.path.strip_prefix("tests::").unwrap_or(id.path);
    format!(
        "[<code>{}</code>]({prefix}{}#{})",
        short.replace('_', "_<wbr>"),
        tests_page::PAGE,
        tests_page::anchor(&id)
    )
}

/// Text safe as a link's text inside a table cell.
fn link_text(text: &str) -> String {
    cell(text).replace('[', "\\[").replace(']', "\\]")
}

/// The inventory with the problems of the checks that need no build, and
/// the book index those checks filled: where the ledger and the
/// at-a-glance page both start.
pub(super) fn load_checked(
    root: &Path,
) -> Result<(Inventory, Vec<Problem>, BookIndex), String> {
    let (inventory, mut problems) = Inventory::load(root)?;
    let mut book = BookIndex::new();
    problems.extend(inventory::check_static(root, &inventory, &mut book));
    Ok((inventory, problems, book))
}

/// `Err` listing `problems` in order, under `what` and `hint`, unless there
/// are none.
pub(super) fn refuse_unsound(
    what: &str,
    hint: &str,
    mut problems: Vec<Problem>,
) -> Result<(), String> {
    if problems.is_empty() {
        return Ok(());
    }
    inventory::sort(&mut problems);
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    Err(format!(
        "{what}, and it has {} problem(s){hint}:\n  {}",
        problems.len(),
        lines.join("\n  ")
    ))
}

/// `../` for each directory `page` is in, so links from it reach src/
/// (the at-a-glance page uses it too).
pub(super) fn relative_prefix(page: Option<&Path>) -> String {
    let Some(parent) = page.and_then(Path::parent) else {
        return String::new();
    };
    let depth = parent
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    "../".repeat(depth)
}
