//! `check-takeaways`: every chapter of the SUMMARY part "The comparison, row
//! by row" ends with a `## Key takeaways` section, placed just before its
//! `## Exercises`, of three to five bullets, each linking to the heading or
//! verdict box of the same page that backs it, and closed by a paragraph
//! that links the documentation of the APIs the chapter uses.
//!
//! The format, in a chapter:
//!
//! ```text
//! ## Key takeaways
//!
//! - A task keeps its thread until an `.await` that is not ready
//!   ([the verdict](#verdict-codemia-table-scheduling)).
//! - Tokio's budget counts operations, not time ([the budget](#tokios-cooperative-budget)).
//! - ...
//!
//! API documentation: [`tokio::task::yield_now`](https://docs.rs/tokio/1.54.1/tokio/task/fn.yield_now.html), ...
//!
//! ## Exercises
//! ```
//!
//! A bullet is a line that starts with `- ` at the left margin, with the
//! lines after it up to a blank line or the next bullet. A link target
//! `#id` must be a heading id of the chapter (as mdBook renders it,
//! [`markdown::headings`]) or `#verdict-<statement id>` of a statement that
//! one of the chapter's `{{#verdict ...}}` boxes names. Whether the API links
//! are pinned to the locked versions is [`crate::doc_links`]'s job.

use crate::exercises::problem;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::LazyLock;

use mdbook_markdown::pulldown_cmark::HeadingLevel;
use regex::Regex;

use crate::inventory::Problem;
use crate::markdown::{self, Target};

/// The heading text of the section (level 2).
pub const HEADING: &str = "Key takeaways";

/// The section that must follow it.
pub const NEXT: &str = crate::exercises::HEADING;

/// How many bullets the section has, at least and at most.
pub const BULLETS: std::ops::RangeInclusive<usize> = 3..=5;

/// How the paragraph of API links begins.
pub const API_PARAGRAPH: &str = "API documentation";

/// A same-page link, `](#id)`.
static PAGE_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\]\(#([A-Za-z0-9_-]+)\)").expect("the link pattern compiles")
});

/// A link to the documentation of std or of a crate.
static DOCS_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\]\(https://(?:docs\.rs|doc\.rust-lang\.org)/[^)\s]+\)")
        .expect("the docs pattern compiles")
});

/// The link targets a chapter offers: its heading ids and the anchors of its
/// verdict boxes.
fn targets(text: &str) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> =
        markdown::headings(text).into_iter().map(|h| h.id).collect();
    // The boxes as the verdict check reads them (one parser for the marker).
    for found in crate::preprocess::verdict::boxes_in("", text) {
        for id in found.spec.map(|(_, ids)| ids).unwrap_or_default() {
            ids.insert(crate::preprocess::verdict::anchor(&id));
        }
    }
    ids
}

/// The problems of chapter `file` (as messages name it), text `text`.
pub fn check_chapter(file: &str, text: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let h2: Vec<markdown::Heading> = markdown::headings(text)
        .into_iter()
        .filter(|h| h.kind == Target::Heading(HeadingLevel::H2))
        .collect();
    let Some(at) = h2.iter().position(|h| h.text == HEADING) else {
        problems.push(problem(
            file,
            1,
            format!(
                "a chapter of the part \"{}\" has no `## {HEADING}` section: add one \
                 just before `## {NEXT}`",
                crate::exercises::COMPARISON_PART
            ),
        ));
        return problems;
    };
    let heading = h2[at].line;
    let end = h2.get(at + 1).map_or(lines.len() + 1, |h| h.line);
    if h2.get(at + 1).map(|h| h.text.as_str()) != Some(NEXT) {
        problems.push(problem(
            file,
            heading,
            format!("`## {HEADING}` must come just before `## {NEXT}`"),
        ));
    }
    let available = targets(text);
    let text_of = |n: usize| lines.get(n - 1).copied().unwrap_or("");
    // Bullets as (first line, text), and the API paragraph's first line.
    let mut bullets: Vec<(usize, String)> = Vec::new();
    let mut api: Option<(usize, String)> = None;
    let mut in_api = false;
    for n in heading + 1..end {
        let line = text_of(n);
        if line.trim().is_empty() {
            in_api = false;
            if let Some(last) = bullets.last_mut() {
                last.1.push('\n');
            }
            continue;
        }
        if line.starts_with("- ") {
            bullets.push((n, line.to_string()));
        } else if line.starts_with(API_PARAGRAPH) && api.is_none() {
            api = Some((n, line.to_string()));
            in_api = true;
        } else if in_api {
            if let Some(api) = api.as_mut() {
                api.1.push_str(line);
            }
        } else if let Some(last) = bullets.last_mut()
            && !last.1.ends_with('\n')
        {
            last.1.push(' ');
            last.1.push_str(line.trim());
        }
    }
    if !BULLETS.contains(&bullets.len()) {
        problems.push(problem(
            file,
            heading,
            format!(
                "`## {HEADING}` has {} bullet(s): give {} to {}, each a `- ` line",
                bullets.len(),
                BULLETS.start(),
                BULLETS.end()
            ),
        ));
    }
    for (line, bullet) in &bullets {
        let links: Vec<&str> = PAGE_LINK
            .captures_iter(bullet)
            .map(|c| c.get(1).map_or("", |m| m.as_str()))
            .collect();
        if links.is_empty() {
            problems.push(problem(
                file,
                *line,
                "a takeaway without a link: end it with a link to the heading or the \
                 verdict box of this page that backs it, `([...](#id))`",
            ));
        }
        for id in links {
            if !available.contains(id) {
                problems.push(problem(
                    file,
                    *line,
                    format!(
                        "a takeaway links to `#{id}`, which is neither a heading of this page \
                         nor a verdict box on it (`#verdict-<statement id>`)"
                    ),
                ));
            }
        }
    }
    match api {
        None => problems.push(problem(
            file,
            heading,
            format!(
                "`## {HEADING}` has no paragraph beginning \"{API_PARAGRAPH}\" that links \
                 the docs of the APIs the chapter uses"
            ),
        )),
        Some((line, paragraph)) if !DOCS_LINK.is_match(&paragraph) => {
            problems.push(problem(
                file,
                line,
                "the API documentation paragraph links no docs.rs or doc.rust-lang.org page",
            ));
        }
        Some(_) => {}
    }
    problems
}

/// `booktools check-takeaways` from `root`: checks the chapters of the
/// comparison part, prints each problem on stderr and a summary on stdout.
/// `Ok(false)` when problems were found.
pub fn run(root: &Path) -> Result<bool, String> {
    let src = root.join("src");
    let summary = crate::files::read(&src.join("SUMMARY.md"))?;
    let chapters = crate::exercises::comparison_chapters(&summary)?;
    let mut problems = Vec::new();
    for chapter in &chapters {
        let file = crate::files::slashed(&crate::under(
            root,
            &Path::new("src").join(chapter),
        ));
        let text = crate::files::read(&src.join(chapter))?;
        problems.extend(check_chapter(&file, &text));
    }
    crate::inventory::sort(&mut problems);
    for p in &problems {
        eprintln!("{p}");
    }
    if problems.is_empty() {
        println!(
            "check-takeaways: {} chapter(s) of \"{}\" end with {} to {} linked takeaways and \
             their API documentation",
            chapters.len(),
            crate::exercises::COMPARISON_PART,
            BULLETS.start(),
            BULLETS.end()
        );
    } else {
        eprintln!(
            "error: check-takeaways: {} problem(s); see above",
            problems.len()
        );
    }
    Ok(problems.is_empty())
}
