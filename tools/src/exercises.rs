//! `check-exercises`: every `## Exercises` section asks two to four
//! questions, and every answer cites evidence that CI re-checks, so that an
//! answer cannot drift from the code.
//!
//! The format, in a chapter (`src/*.md`):
//!
//! ```text
//! ## Exercises
//!
//! **1.** What does `starving_task` print first?
//!
//! <details><summary>Answer</summary>
//!
//! An answer that cites at least one piece of evidence.
//!
//! </details>
//! ```
//!
//! A question is any text before its answer; the answer is plain HTML
//! `<details>` (no script), with a blank line after the `<summary>` line and
//! before `</details>`: mdBook renders the Markdown between them only then
//! (an HTML block runs to the next blank line). Evidence is one of:
//!
//! - an `{{#include ../listings/CRATE/output/BIN.txt}}` of a listing's
//!   output (which `booktools outputs` checks), inside a code block;
//! - a test id in backticks, `` `package/target::path::to::test` ``, that the
//!   test catalog lists and does not ignore (the lookup `check-inventory`
//!   uses, [`TestCatalog::find`]);
//! - a figure marker, `{{#measured ID}}`, `{{#claim ID}}` or `{{#ratio ID}}`,
//!   rendered as the preprocessor renders it (so an unknown id fails here too).

use std::collections::BTreeSet;
use std::path::Path;

use crate::inventory::Problem;
use crate::markdown::{self, DirectiveKind, Target};
use crate::preprocess::Data;
use crate::preprocess::markers;
use crate::test_catalog::{TestCatalog, TestId};
use mdbook_markdown::pulldown_cmark::HeadingLevel;

/// The heading text of an exercises section (level 2).
pub const HEADING: &str = "Exercises";

/// How many questions an exercises section asks, at least and at most.
pub const QUESTIONS: std::ops::RangeInclusive<usize> = 2..=4;

/// The line that opens an answer, alone on its line.
pub const OPEN: &str = "<details><summary>Answer</summary>";

/// The line that closes an answer.
pub const CLOSE: &str = "</details>";

/// The figure markers that count as evidence.
const FIGURE_MARKERS: &[&str] = &["measured", "claim", "ratio"];

/// A test an answer cites, with its line in the chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitedTest {
    pub file: String,
    pub line: usize,
    pub id: String,
}

/// What the exercises of some chapters hold, and what is wrong with them.
#[derive(Debug, Default)]
pub struct Report {
    pub sections: usize,
    /// The chapters (as messages name them) that have an exercises section.
    pub with_exercises: std::collections::BTreeSet<String>,
    pub questions: usize,
    pub outputs: usize,
    pub figures: usize,
    /// Checked against a test catalog by [`check_tests`].
    pub tests: Vec<CitedTest>,
    pub problems: Vec<Problem>,
}

/// A problem at `file:line` of a chapter (the takeaways check uses it too).
pub(crate) fn problem(
    file: &str,
    line: usize,
    message: impl Into<String>,
) -> Problem {
    Problem {
        file: file.to_string(),
        line,
        id: None,
        message: message.into(),
    }
}

/// Reads the exercises sections of one chapter, `file` (as messages name
/// it) with text `markdown`, into `report`. `chapter_dir` is where its
/// includes are relative to; `data` renders its figure markers.
pub fn read_chapter(
    file: &str,
    markdown: &str,
    chapter_dir: &Path,
    data: &Data,
    report: &mut Report,
) {
    let lines: Vec<&str> = markdown.lines().collect();
    let headings = markdown::headings(markdown);
    let is_top = |kind: Target| {
        matches!(kind, Target::Heading(HeadingLevel::H1 | HeadingLevel::H2))
    };
    for (i, heading) in headings.iter().enumerate() {
        if heading.kind != Target::Heading(HeadingLevel::H2)
            || heading.text != HEADING
        {
            continue;
        }
        let end = headings[i + 1..]
            .iter()
            .find(|h| is_top(h.kind))
            .map_or(lines.len() + 1, |h| h.line);
        report.sections += 1;
        report.with_exercises.insert(file.to_string());
        let before = report.questions;
        read_section(file, &lines, heading.line, end, chapter_dir, data, report);
        let asked = report.questions - before;
        if !QUESTIONS.contains(&asked) {
            report.problems.push(problem(
                file,
                heading.line,
                format!(
                    "`## {HEADING}` has {asked} question(s) with an answer: ask {} to {}",
                    QUESTIONS.start(),
                    QUESTIONS.end()
                ),
            ));
        }
    }
}

/// The lines after the heading on `heading` up to (not including) `end`,
/// all 1-based.
fn read_section(
    file: &str,
    lines: &[&str],
    heading: usize,
    end: usize,
    chapter_dir: &Path,
    data: &Data,
    report: &mut Report,
) {
    let text = |n: usize| lines.get(n - 1).map_or("", |l| l.trim());
    // The line of the question waiting for its answer, and the open answer.
    let mut question: Option<usize> = None;
    let mut open: Option<usize> = None;
    for n in heading + 1..end {
        let line = text(n);
        if line.starts_with("<details") {
            if let Some(first) = open {
                report.problems.push(problem(
                    file,
                    n,
                    format!(
                        "a `<details>` inside the answer opened on line {first}"
                    ),
                ));
                continue;
            }
            if line != OPEN {
                report.problems.push(problem(
                    file,
                    n,
                    format!("open an answer with `{OPEN}` alone on its line"),
                ));
            }
            if question.take().is_none() {
                report.problems.push(problem(
                    file,
                    n,
                    "an answer with no question before it",
                ));
            }
            if !text(n + 1).is_empty() {
                report.problems.push(problem(
                    file,
                    n,
                    "leave a blank line after the `<summary>` line: mdBook renders \
                     Markdown inside `<details>` only after one",
                ));
            }
            open = Some(n);
        } else if line.starts_with("</details") {
            let Some(first) = open.take() else {
                report.problems.push(problem(
                    file,
                    n,
                    "`</details>` with no answer open",
                ));
                continue;
            };
            if !text(n - 1).is_empty() {
                report.problems.push(problem(
                    file,
                    n,
                    "leave a blank line before `</details>`: mdBook renders \
                     Markdown inside `<details>` only with one",
                ));
            }
            report.questions += 1;
            let body = lines[first..n - 1].join("\n");
            read_answer(file, first + 1, &body, chapter_dir, data, report);
        } else if !line.is_empty() && open.is_none() && question.is_none() {
            question = Some(n);
        }
    }
    if let Some(first) = open {
        report.problems.push(problem(
            file,
            first,
            format!("the answer is not closed: end it with `{CLOSE}`"),
        ));
    }
    if let Some(line) = question {
        report.problems.push(problem(
            file,
            line,
            format!("a question with no answer after it: answer it in `{OPEN}`"),
        ));
    }
}

/// One answer's `body`, whose first line is line `first` of the chapter.
fn read_answer(
    file: &str,
    first: usize,
    body: &str,
    chapter_dir: &Path,
    data: &Data,
    report: &mut Report,
) {
    let at = |line: usize| first + line - 1;
    let mut evidence = 0;
    let blocks = markdown::code_blocks(body);
    for directive in markdown::directives(body) {
        if directive.kind != DirectiveKind::Include {
            continue;
        }
        let Some(args) = directive.args else { continue };
        let path = args.trim().split(':').next().unwrap_or_default();
        let normal = path.trim_start_matches("../");
        let parts: Vec<&str> = normal.split('/').collect();
        let is_output = matches!(parts.as_slice(), ["listings", _, "output", name] if name.ends_with(".txt"));
        if !is_output {
            continue;
        }
        let line = at(directive.line);
        if !chapter_dir.join(path).is_file() {
            report.problems.push(problem(
                file,
                line,
                format!("the answer includes `{path}`, which does not exist"),
            ));
            continue;
        }
        let in_block = blocks.iter().any(|b| {
            b.closed
                && directive.line >= b.body_line
                && directive.line < b.body_line + b.body.lines().count()
        });
        if !in_block {
            report.problems.push(problem(
                file,
                line,
                "include the output inside a ```text code block, or it renders as one paragraph",
            ));
        }
        evidence += 1;
        report.outputs += 1;
    }
    // Counted as cited even when a marker fails: its problem fails the check.
    let mut figures = 0;
    let rendered = markers::expand(body, |marker| {
        if FIGURE_MARKERS.contains(&marker.name) {
            figures += 1;
            data.render(marker)
        } else {
            Ok(String::new())
        }
    });
    for e in rendered.err().unwrap_or_default() {
        report.problems.push(problem(
            file,
            at(e.line),
            format!("{}: {}", e.marker, e.message),
        ));
    }
    evidence += figures;
    report.figures += figures;
    for (code, line) in markdown::code_spans(body) {
        if TestId::parse(&code).is_some() {
            evidence += 1;
            report.tests.push(CitedTest {
                file: file.to_string(),
                line: at(line),
                id: code,
            });
        }
    }
    if evidence == 0 {
        report.problems.push(problem(
            file,
            first - 1,
            "the answer cites no evidence: include a listing's output \
             (`{{#include ../listings/CRATE/output/BIN.txt}}`), name a test \
             (`package/target::path::to::test`) or a figure (`{{#measured ID}}`, `{{#claim ID}}`)",
        ));
    }
}

/// The (package, target) pairs the answers cite tests in.
pub fn cited_targets(tests: &[CitedTest]) -> BTreeSet<(String, String)> {
    tests
        .iter()
        .filter_map(|t| TestId::parse(&t.id))
        .map(|id| (id.package.to_string(), id.target.to_string()))
        .collect()
}

/// A problem for each cited test the catalog does not have or ignores.
pub fn check_tests(tests: &[CitedTest], catalog: &TestCatalog) -> Vec<Problem> {
    let mut problems = Vec::new();
    for test in tests {
        let Some(id) = TestId::parse(&test.id) else {
            continue;
        };
        if let Err(message) = catalog.find(&id) {
            problems.push(problem(
                &test.file,
                test.line,
                format!("the answer cites test `{}`, which {message}", test.id),
            ));
        }
    }
    problems
}

/// The part of SUMMARY.md whose chapters must each end with exercises.
pub const COMPARISON_PART: &str = "The comparison, row by row";

/// The chapter files (relative to `src/`) of the SUMMARY part
/// [`COMPARISON_PART`]; an error if SUMMARY.md has no such part, so that
/// renaming the part cannot switch the rule off.
pub fn comparison_chapters(summary: &str) -> Result<Vec<String>, String> {
    use mdbook_summary::SummaryItem;
    let parsed = mdbook_summary::parse_summary(summary)
        .map_err(|e| format!("cannot parse src/SUMMARY.md: {e:#}"))?;
    let mut in_part = false;
    let mut found = false;
    let mut files = Vec::new();
    for item in &parsed.numbered_chapters {
        match item {
            SummaryItem::PartTitle(title) => {
                in_part = title == COMPARISON_PART;
                found |= in_part;
            }
            SummaryItem::Link(link) if in_part => {
                if let Some(location) = &link.location {
                    files.push(location.to_string_lossy().replace('\\', "/"));
                }
            }
            _ => {}
        }
    }
    if !found {
        return Err(format!(
            "src/SUMMARY.md has no part \"# {COMPARISON_PART}\", whose chapters must have exercises"
        ));
    }
    Ok(files)
}

/// `booktools check-exercises` from `root`: reads `src/*.md`, lists the
/// cited tests (building them) and prints each problem on stderr and a
/// summary on stdout. `Ok(false)` when problems were found.
pub fn run(root: &Path) -> Result<bool, String> {
    let src = root.join("src");
    let data = Data::load(root);
    let mut report = Report::default();
    let names = crate::files::names_in(&src, "md")?;
    for name in &names {
        let path = src.join(name);
        let text = crate::files::read(&path)?;
        let file =
            crate::files::slashed(&crate::under(root, &Path::new("src").join(name)));
        read_chapter(&file, &text, &src, &data, &mut report);
    }
    // A SUMMARY.md without parts (or none: a test fixture) has no part to check.
    let summary = crate::files::read_if_present(&src.join("SUMMARY.md"))?;
    let required = match &summary {
        Some(text)
            if text
                .lines()
                .any(|l| l.starts_with("# ") && l != "# Summary") =>
        {
            comparison_chapters(text)?
        }
        _ => Vec::new(),
    };
    for file in required {
        let named = crate::files::slashed(&crate::under(
            root,
            &Path::new("src").join(&file),
        ));
        if names.contains(&file) && !report.with_exercises.contains(&named) {
            report.problems.push(problem(
                &named,
                1,
                format!(
                    "a chapter of the part \"{COMPARISON_PART}\" has no `## {HEADING}` section"
                ),
            ));
        }
    }
    let wanted = cited_targets(&report.tests);
    if !wanted.is_empty() {
        let catalog = TestCatalog::list(root, &wanted)?;
        let found = check_tests(&report.tests, &catalog);
        report.problems.extend(found);
    }
    crate::inventory::sort(&mut report.problems);
    for p in &report.problems {
        eprintln!("{p}");
    }
    println!(
        "check-exercises: {} section(s) in {} chapter(s), {} question(s); the answers cite \
         {} test(s), {} output(s) and {} figure(s)",
        report.sections,
        names.len(),
        report.questions,
        report.tests.len(),
        report.outputs,
        report.figures
    );
    if !report.problems.is_empty() {
        eprintln!(
            "error: check-exercises: {} problem(s); see above",
            report.problems.len()
        );
    }
    Ok(report.problems.is_empty())
}
