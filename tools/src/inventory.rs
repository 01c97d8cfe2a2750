//! `check-inventory`: every statement of the two source articles, in
//! `inventory/*.toml`, is answered by a chapter section that exists, with a
//! verdict and evidence (tests that exist and run, claims in the registry).
//!
//! The format is described in `inventory/README.md`. Checking happens in two
//! layers: [`check_static`] reads only files (the inventory, the chapters,
//! `src/SUMMARY.md`, the claims registry) and is shared with the `{{#ledger}}`
//! marker; [`TestCatalog::list`] asks cargo for the workspace's test
//! executables and lists their tests, which only `check-inventory` does.
//! Loom models (`#![cfg(loom)]` targets, empty in a plain build and run by
//! `ci/loom.sh`) have their `#[test]` functions read from their source.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::path::{Component, Path, PathBuf};

use mdbook_summary::SummaryItem;
use serde::Deserialize;
use toml::Spanned;

use crate::markdown::{Heading, headings};
use crate::registry::{self, Registry};
pub use crate::test_catalog::{TestCatalog, TestId, cited_targets};

/// The inventory's directory, relative to the repository root.
pub const DIR: &str = "inventory";

/// The book's source directory, where `section` paths are resolved.
pub const SRC: &str = "src";

/// The two source articles, by the word the inventory uses for them.
pub const SOURCES: &[&str] = &["codemia", "rehman"];

// ------------------------------------------------------------------ model

/// The verdict a statement has been given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Holds,
    HoldsInPart,
    DoesNotHold,
    Pending,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Verdict::Holds,
        Verdict::HoldsInPart,
        Verdict::DoesNotHold,
        Verdict::Pending,
    ];

    /// The word the inventory uses: `holds`, `holds-in-part`, ...
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::HoldsInPart => "holds-in-part",
            Verdict::DoesNotHold => "does-not-hold",
            Verdict::Pending => "pending",
        }
    }

    /// The words the book uses in prose.
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::HoldsInPart => "holds in part",
            Verdict::DoesNotHold => "does not hold for Rust",
            Verdict::Pending => "pending",
        }
    }

    pub fn parse(text: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.key() == text)
    }
}

/// A value and the 1-based line it is written on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub line: usize,
}

/// One `[[statement]]`, as written.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Its inventory file, relative to the root: `inventory/ch02-scheduling.toml`.
    pub file: String,
    pub id: Located<String>,
    pub source: Located<String>,
    pub location: String,
    pub says: String,
    /// `None` when absent or empty.
    pub section: Option<Located<String>>,
    pub verdict: Located<String>,
    pub tests: Vec<Located<String>>,
    pub claims: Vec<Located<String>>,
    /// For a row of an article's comparison table: what is true in Rust
    /// instead, one line (the `{{#at_a_glance}}` page; `preprocess::glance`).
    pub in_rust: Option<Located<String>>,
}

impl Statement {
    /// The verdict, if it is one of the four words.
    pub fn verdict(&self) -> Option<Verdict> {
        Verdict::parse(&self.verdict.value)
    }

    fn has_evidence(&self) -> bool {
        !self.tests.is_empty() || !self.claims.is_empty()
    }
}

/// Every statement of every inventory file, in file-name order, then in
/// the order they are written.
#[derive(Debug, Default)]
pub struct Inventory {
    pub files: Vec<String>,
    pub statements: Vec<Statement>,
}

/// A problem with a statement (or a whole inventory file when `id` is None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub id: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}:{}: ", self.file, self.line)?;
        if let Some(id) = &self.id {
            write!(f, "statement `{id}`: ")?;
        }
        f.write_str(&self.message)
    }
}

pub(crate) fn problem(
    statement: &Statement,
    line: usize,
    message: String,
) -> Problem {
    Problem {
        file: statement.file.clone(),
        line,
        id: Some(statement.id.value.clone()),
        message,
    }
}

// ----------------------------------------------------------------- parsing

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    statement: Vec<StatementToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementToml {
    id: Spanned<String>,
    source: Spanned<String>,
    location: String,
    says: String,
    #[serde(default)]
    section: Option<Spanned<String>>,
    verdict: Spanned<String>,
    #[serde(default)]
    tests: Vec<Spanned<String>>,
    #[serde(default)]
    claims: Vec<Spanned<String>>,
    #[serde(default)]
    in_rust: Option<Spanned<String>>,
}

impl Inventory {
    /// Reads every `inventory/*.toml` under `root`. Problems in a file (bad
    /// TOML, unknown keys, missing fields) are returned with its line; the
    /// other files are still read. `Err` only when the directory is unreadable.
    pub fn load(root: &Path) -> Result<(Inventory, Vec<Problem>), String> {
        let dir = root.join(DIR);
        let names = crate::files::names_in(&dir, "toml")
            .map_err(|e| format!("{e}: run from the repository root"))?;
        let mut inventory = Inventory::default();
        let mut problems = Vec::new();
        for name in names {
            let file = format!("{DIR}/{name}");
            let text = fs::read_to_string(dir.join(&name))
                .map_err(|e| format!("cannot read {file}: {e}"))?;
            match Inventory::parse(&file, &text) {
                Ok(statements) => inventory.statements.extend(statements),
                Err(p) => problems.push(p),
            }
            inventory.files.push(file);
        }
        Ok((inventory, problems))
    }

    /// The statements of one file, `file` naming it in messages.
    pub fn parse(file: &str, text: &str) -> Result<Vec<Statement>, Problem> {
        let parsed: FileToml = toml::from_str(text).map_err(|e| Problem {
            file: file.to_string(),
            line: crate::files::toml_error_line(text, &e),
            id: None,
            message: e.message().trim_end().to_string(),
        })?;
        let located = |s: Spanned<String>| Located {
            line: crate::files::line_of(text, s.span().start),
            value: s.into_inner(),
        };
        let statements = parsed
            .statement
            .into_iter()
            .map(|s| Statement {
                file: file.to_string(),
                id: located(s.id),
                source: located(s.source),
                location: s.location,
                says: s.says,
                section: s
                    .section
                    .map(located)
                    .filter(|s| !s.value.trim().is_empty()),
                verdict: located(s.verdict),
                tests: s.tests.into_iter().map(located).collect(),
                claims: s.claims.into_iter().map(located).collect(),
                in_rust: s.in_rust.map(located),
            })
            .collect();
        Ok(statements)
    }

    pub fn count(&self, verdict: Verdict) -> usize {
        let with = self
            .statements
            .iter()
            .filter(|s| s.verdict() == Some(verdict));
        with.count()
    }

    /// `70 statements in 11 files: holds 7, ...; codemia 28, rehman 42`.
    pub fn summary(&self) -> String {
        let verdicts: Vec<String> = Verdict::ALL
            .iter()
            .map(|v| format!("{} {}", v.key(), self.count(*v)))
            .collect();
        let mut sources: BTreeMap<&str, usize> =
            SOURCES.iter().map(|s| (*s, 0)).collect();
        for statement in &self.statements {
            *sources.entry(statement.source.value.as_str()).or_default() += 1;
        }
        let sources: Vec<String> =
            sources.iter().map(|(s, n)| format!("{s} {n}")).collect();
        format!(
            "{} statements in {} files: {}; {}",
            self.statements.len(),
            self.files.len(),
            verdicts.join(", "),
            sources.join(", ")
        )
    }
}

// ------------------------------------------------------------ static checks

/// Checks everything that needs no build: ids, sources, verdicts, evidence
/// rules, test id syntax, sections (file, heading, linked from SUMMARY.md)
/// and claim ids. The claims registry is read only if a statement cites a claim.
pub fn check_static(
    root: &Path,
    inventory: &Inventory,
    book: &mut BookIndex,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut first: HashMap<&str, (&str, usize)> = HashMap::new();
    for s in &inventory.statements {
        let mut report =
            |line, message: String| problems.push(problem(s, line, message));
        let id = s.id.value.as_str();
        match first.get(id) {
            Some((file, line)) => report(
                s.id.line,
                format!(
                    "the id is used twice (first at {file}:{line}): give each statement its own"
                ),
            ),
            None => {
                first.insert(id, (&s.file, s.id.line));
            }
        }
        if !SOURCES.contains(&s.source.value.as_str()) {
            let sources = SOURCES.join(", ");
            report(
                s.source.line,
                format!("source `{}` is not one of {sources}", s.source.value),
            );
        }
        match s.verdict() {
            None => report(
                s.verdict.line,
                format!(
                    "verdict `{}` is not one of holds, holds-in-part, does-not-hold, pending",
                    s.verdict.value
                ),
            ),
            Some(Verdict::Pending) if s.has_evidence() => {
                let line = s.tests.iter().chain(&s.claims).map(|e| e.line).min();
                report(
                    line.unwrap_or(s.verdict.line),
                    "is pending but lists evidence: give it a verdict, or empty `tests` and \
                     `claims`"
                        .to_string(),
                );
            }
            Some(Verdict::Pending) => {}
            Some(verdict) => {
                let key = verdict.key();
                if s.section.is_none() {
                    report(
                        s.verdict.line,
                        format!(
                            "has verdict `{key}` but no section: name the one that answers it, \
                             `chNN-topic.md#heading-id`"
                        ),
                    );
                }
                if !s.has_evidence() {
                    report(
                        s.verdict.line,
                        format!(
                            "has verdict `{key}` but no evidence: list the `tests` or `claims` \
                             that back it"
                        ),
                    );
                }
            }
        }
        if let Some(section) = &s.section
            && let Err(message) = book.check_section(root, &section.value)
        {
            report(
                section.line,
                format!("section `{}`: {message}", section.value),
            );
        }
        for test in s.tests.iter().filter(|t| TestId::parse(&t.value).is_none()) {
            report(
                test.line,
                format!(
                    "`{}` is not a test id: write `package/target::path::to::test`",
                    test.value
                ),
            );
        }
    }
    problems.extend(check_claim_ids(root, inventory));
    problems.extend(crate::preprocess::verdict::check(root, inventory, book));
    problems
}

fn check_claim_ids(root: &Path, inventory: &Inventory) -> Vec<Problem> {
    let cited = inventory.statements.iter().any(|s| !s.claims.is_empty());
    if !cited {
        return Vec::new();
    }
    let registry = match Registry::load(root) {
        Ok(registry) => registry,
        Err(errors) => {
            return errors
                .into_iter()
                .map(|e| Problem {
                    file: registry::PATH.to_string(),
                    line: e.line.unwrap_or(1),
                    id: None,
                    message: format!(
                        "{} (statements cite claims, so the registry must load)",
                        e.message
                    ),
                })
                .collect();
        }
    };
    let known: Vec<&str> = registry.claims.iter().map(|c| c.id.as_str()).collect();
    let mut problems = Vec::new();
    for s in &inventory.statements {
        for claim in &s.claims {
            if registry.claim(&claim.value).is_none() {
                problems.push(problem(
                    s,
                    claim.line,
                    format!(
                        "claim `{}` is not in {} (its claims: {})",
                        claim.value,
                        registry::PATH,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
    }
    problems
}

/// With `--complete`: every pending statement is a problem.
pub fn check_complete(inventory: &Inventory) -> Vec<Problem> {
    let pending = inventory
        .statements
        .iter()
        .filter(|s| s.verdict() == Some(Verdict::Pending));
    pending
        .map(|s| {
            problem(
                s,
                s.verdict.line,
                "is still pending: answer it in a chapter (--complete allows no pending \
                 statement)"
                    .to_string(),
            )
        })
        .collect()
}

/// Problems in file and line order (stable: same-line problems keep theirs).
pub fn sort(problems: &mut [Problem]) {
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
}

// ------------------------------------------------------------ the book side

/// A chapter entry of `src/SUMMARY.md` that links to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryEntry {
    pub title: String,
    /// Relative to `src/`, without a leading `./`.
    pub path: String,
}

/// What the book offers as sections: the chapters SUMMARY.md links, and
/// the heading ids of each chapter file, read once each.
#[derive(Debug, Default)]
pub struct BookIndex {
    summary: Option<Result<Vec<SummaryEntry>, String>>,
    headings: HashMap<String, Result<Vec<Heading>, String>>,
}

impl BookIndex {
    pub fn new() -> BookIndex {
        BookIndex::default()
    }

    /// The linked chapters of `src/SUMMARY.md`, in order.
    pub fn summary(&mut self, root: &Path) -> Result<&[SummaryEntry], String> {
        let summary = self.summary.get_or_insert_with(|| {
            let path = root.join(SRC).join("SUMMARY.md");
            fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {SRC}/SUMMARY.md: {e}"))
                .and_then(|text| summary_entries(&text))
        });
        summary.as_deref().map_err(Clone::clone)
    }

    /// The headings of `src/<chapter>`, in order.
    pub fn headings(
        &mut self,
        root: &Path,
        chapter: &str,
    ) -> Result<&[Heading], String> {
        let headings =
            self.headings.entry(chapter.to_string()).or_insert_with(|| {
                let path = root.join(SRC).join(chapter);
                match fs::read_to_string(&path) {
                    Ok(text) => Ok(headings(&text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Err(format!("{SRC}/{chapter} does not exist"))
                    }
                    Err(e) => Err(format!("cannot read {SRC}/{chapter}: {e}")),
                }
            });
        headings.as_deref().map_err(Clone::clone)
    }

    /// `Ok` if `section` (`file.md#id`) names a heading of a chapter that
    /// SUMMARY.md links; otherwise what is wrong and how to fix it.
    pub fn check_section(
        &mut self,
        root: &Path,
        section: &str,
    ) -> Result<(), String> {
        let (chapter, id) = split_section(section)?;
        let headings = self.headings(root, chapter)?;
        if !headings.iter().any(|h| h.id == id) {
            let ids: Vec<&str> = headings.iter().map(|h| h.id.as_str()).collect();
            return Err(format!(
                "{SRC}/{chapter} has no heading with id `{id}` (its ids: {})",
                if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.join(", ")
                }
            ));
        }
        let linked = self.summary(root)?.iter().any(|e| e.path == chapter);
        if !linked {
            return Err(format!(
                "{SRC}/{chapter} is not linked from {SRC}/SUMMARY.md, and a draft chapter \
                 cannot answer a statement: link its entry, `[Title]({chapter})`"
            ));
        }
        Ok(())
    }
}

/// `("ch02-scheduling.md", "the-verdict")` from `ch02-scheduling.md#the-verdict`.
pub fn split_section(section: &str) -> Result<(&str, &str), String> {
    let malformed = || {
        "write it as `chNN-topic.md#heading-id`, the file relative to src/"
            .to_string()
    };
    let (chapter, id) = section.split_once('#').ok_or_else(malformed)?;
    let chapter = chapter.strip_prefix("./").unwrap_or(chapter);
    let escapes = Path::new(chapter)
        .components()
        .any(|c| !matches!(c, Component::Normal(_)));
    if chapter.is_empty() || id.is_empty() || !chapter.ends_with(".md") || escapes {
        return Err(malformed());
    }
    Ok((chapter, id))
}

/// The chapters `SUMMARY.md` links to, read by mdBook's own summary parser
/// (draft entries `[Title]()` have no link and are left out).
pub fn summary_entries(text: &str) -> Result<Vec<SummaryEntry>, String> {
    fn walk(items: &[SummaryItem], entries: &mut Vec<SummaryEntry>) {
        for item in items {
            if let SummaryItem::Link(link) = item {
                if let Some(location) = &link.location {
                    let path: PathBuf = location
                        .components()
                        .filter(|c| *c != Component::CurDir)
                        .collect();
                    entries.push(SummaryEntry {
                        title: link.name.clone(),
                        path: path.to_string_lossy().replace('\\', "/"),
                    });
                }
                walk(&link.nested_items, entries);
            }
        }
    }
    let summary = mdbook_summary::parse_summary(text)
        .map_err(|e| format!("cannot parse {SRC}/SUMMARY.md: {e:#}"))?;
    let mut entries = Vec::new();
    for items in [
        &summary.prefix_chapters,
        &summary.numbered_chapters,
        &summary.suffix_chapters,
    ] {
        walk(items, &mut entries);
    }
    Ok(entries)
}

// --------------------------------------------------------------- the command

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Fail on pending statements too.
    pub complete: bool,
    /// A skip log (`BOOK_SKIP_LOG`): list the statements whose cited tests
    /// could not observe their property on this machine.
    pub skipped: Option<PathBuf>,
}

/// `booktools check-inventory [--complete]` from `root`: prints each problem
/// on stderr and a summary on stdout. `Ok(false)` when problems were found.
pub fn run(root: &Path, options: &Options) -> Result<bool, String> {
    let (inventory, mut problems) = Inventory::load(root)?;
    let mut book = BookIndex::new();
    problems.extend(check_static(root, &inventory, &mut book));
    if options.complete {
        problems.extend(check_complete(&inventory));
    }
    let wanted = cited_targets(&inventory);
    let tests_cited = inventory
        .statements
        .iter()
        .map(|s| s.tests.len())
        .sum::<usize>();
    // The file problems are printed even when the tests cannot be listed.
    let mut listing_failed = None;
    if !wanted.is_empty() {
        match TestCatalog::list(root, &wanted) {
            Ok(catalog) => problems.extend(catalog.check(&inventory)),
            Err(message) => listing_failed = Some(message),
        }
    }
    sort(&mut problems);
    for p in &problems {
        eprintln!("{p}");
    }
    if let Some(message) = listing_failed {
        return Err(message);
    }
    let claims_cited = inventory
        .statements
        .iter()
        .map(|s| s.claims.len())
        .sum::<usize>();
    println!(
        "check-inventory: {}; {tests_cited} test and {claims_cited} claim citations{}",
        inventory.summary(),
        if options.complete {
            " (complete mode)"
        } else {
            ""
        }
    );
    if let Some(log) = &options.skipped {
        let skips = crate::skips::load(&crate::under(root, log))?;
        print!("{}", not_observed(&inventory, &skips));
    }
    if !problems.is_empty() {
        eprintln!(
            "error: check-inventory: {} problem(s); see above",
            problems.len()
        );
    }
    Ok(problems.is_empty())
}

/// The cited tests that skipped themselves, one line each under a heading,
/// and the statements left with no observed evidence; empty when none did.
pub fn not_observed(inventory: &Inventory, skips: &[crate::skips::Skip]) -> String {
    let mut lines = Vec::new();
    let mut unobserved = Vec::new();
    for s in &inventory.statements {
        let mut skipped_here = 0;
        for test in &s.tests {
            let Some(id) = TestId::parse(&test.value) else {
                continue;
            };
            if let Some(skip) = skips.iter().find(|skip| crate::skips::is(skip, &id))
            {
                skipped_here += 1;
                lines.push(format!(
                    "  {}:{}: statement `{}` cites `{}`: skipped: {}",
                    s.file, test.line, s.id.value, test.value, skip.reason
                ));
            }
        }
        if skipped_here > 0 && skipped_here == s.tests.len() && s.claims.is_empty() {
            unobserved.push(format!(
                "  {}:{}: statement `{}`: every test it cites skipped itself",
                s.file, s.id.line, s.id.value
            ));
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    let mut text = format!(
        "check-inventory: {} cited test(s) not observed on this machine (skipped themselves):\n",
        lines.len()
    );
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    if !unobserved.is_empty() {
        text.push_str("check-inventory: statements with no evidence observed on this machine:\n");
        for line in unobserved {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_split_into_file_and_id() {
        assert_eq!(
            split_section("ch02-x.md#the-verdict"),
            Ok(("ch02-x.md", "the-verdict"))
        );
        assert!(split_section("ch02-x.md").is_err());
        assert!(split_section("../x.md#a").is_err());
        assert!(split_section("x.html#a").is_err());
    }

    #[test]
    fn summary_links_exclude_drafts() {
        let summary = "# Summary\n\n[Intro](introduction.md)\n\n- [Ch](./ch02.md)\n  - [Draft]()\n";
        let paths: Vec<String> = summary_entries(summary)
            .unwrap()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["introduction.md", "ch02.md"]);
    }

    #[test]
    fn unknown_keys_name_their_own_line() {
        let text = "[[statement]]\nid = \"a\"\nsource = \"codemia\"\nlocation = \"l\"\n\
                    says = \"s\"\nverdict = \"pending\"\nsection_ = \"\"\n";
        let problem = Inventory::parse("inventory/x.toml", text).unwrap_err();
        assert_eq!(problem.line, 7, "{problem}");
        assert!(
            problem.message.contains("unknown field `section_`"),
            "{problem}"
        );
    }
}
