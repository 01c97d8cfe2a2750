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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::registry::{self, Registry};

/// The inventory's directory, relative to the repository root.
pub const DIR: &str = "inventory";

/// The book's source directory, where `section` paths are resolved.
pub const SRC: &str = "src";

/// The two source articles, by the word the inventory uses for them.
pub const SOURCES: &[&str] = &["codemia", "rehman"];

/// The longest a test executable may take to list its tests.
const LIST_TIMEOUT: Duration = Duration::from_secs(60);

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

fn problem(statement: &Statement, line: usize, message: String) -> Problem {
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
}

impl Inventory {
    /// Reads every `inventory/*.toml` under `root`. Problems in a file (bad
    /// TOML, unknown keys, missing fields) are returned with its line; the
    /// other files are still read. `Err` only when the directory is unreadable.
    pub fn load(root: &Path) -> Result<(Inventory, Vec<Problem>), String> {
        let dir = root.join(DIR);
        let entries = fs::read_dir(&dir).map_err(|e| {
            format!(
                "cannot read {}: {e}: run from the repository root",
                dir.display()
            )
        })?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".toml") && entry.path().is_file() {
                names.push(name);
            }
        }
        names.sort();
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
            line: toml_error_line(text, &e),
            id: None,
            message: e.message().trim_end().to_string(),
        })?;
        let line = |offset: usize| line_of(text, offset);
        let located = |s: Spanned<String>| Located {
            line: line(s.span().start),
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
        let mut sources: BTreeMap<&str, usize> = SOURCES.iter().map(|s| (*s, 0)).collect();
        for statement in &self.statements {
            *sources.entry(statement.source.value.as_str()).or_default() += 1;
        }
        let sources: Vec<String> = sources.iter().map(|(s, n)| format!("{s} {n}")).collect();
        format!(
            "{} statements in {} files: {}; {}",
            self.statements.len(),
            self.files.len(),
            verdicts.join(", "),
            sources.join(", ")
        )
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line a TOML error is about: for an unknown or missing key, toml
/// points at the table, so look for the key itself inside it.
fn toml_error_line(text: &str, error: &toml::de::Error) -> usize {
    let start = error.span().map_or(0, |s| s.start.min(text.len()));
    let line = line_of(text, start);
    let message = error.message();
    if message.starts_with("unknown field")
        && let Some(key) = message.split('`').nth(1)
    {
        let table = &text[start..];
        let found = table.lines().position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        });
        if let Some(offset) = found {
            return line + offset;
        }
    }
    line
}

// ------------------------------------------------------------ static checks

/// Checks everything that needs no build: ids, sources, verdicts, evidence
/// rules, test id syntax, sections (file, heading, linked from SUMMARY.md)
/// and claim ids. The claims registry is read only if a statement cites a claim.
pub fn check_static(root: &Path, inventory: &Inventory, book: &mut BookIndex) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut first: HashMap<&str, (&str, usize)> = HashMap::new();
    for s in &inventory.statements {
        let id = s.id.value.as_str();
        match first.get(id) {
            Some((file, line)) => problems.push(problem(
                s,
                s.id.line,
                format!(
                    "the id is used twice (first at {file}:{line}): give each statement its own"
                ),
            )),
            None => {
                first.insert(id, (&s.file, s.id.line));
            }
        }
        if !SOURCES.contains(&s.source.value.as_str()) {
            problems.push(problem(
                s,
                s.source.line,
                format!(
                    "source `{}` is not one of {}",
                    s.source.value,
                    SOURCES.join(", ")
                ),
            ));
        }
        match s.verdict() {
            None => problems.push(problem(
                s,
                s.verdict.line,
                format!(
                    "verdict `{}` is not one of holds, holds-in-part, does-not-hold, pending",
                    s.verdict.value
                ),
            )),
            Some(Verdict::Pending) if s.has_evidence() => {
                let line = s.tests.iter().chain(&s.claims).map(|e| e.line).min();
                problems.push(problem(
                    s,
                    line.unwrap_or(s.verdict.line),
                    "is pending but lists evidence: give it a verdict, or empty `tests` and \
                     `claims`"
                        .to_string(),
                ));
            }
            Some(Verdict::Pending) => {}
            Some(verdict) => {
                if s.section.is_none() {
                    problems.push(problem(
                        s,
                        s.verdict.line,
                        format!(
                            "has verdict `{}` but no section: name the one that answers it, \
                             `chNN-topic.md#heading-id`",
                            verdict.key()
                        ),
                    ));
                }
                if !s.has_evidence() {
                    problems.push(problem(
                        s,
                        s.verdict.line,
                        format!(
                            "has verdict `{}` but no evidence: list the `tests` or `claims` \
                             that back it",
                            verdict.key()
                        ),
                    ));
                }
            }
        }
        if let Some(section) = &s.section
            && let Err(message) = book.check_section(root, &section.value)
        {
            problems.push(problem(
                s,
                section.line,
                format!("section `{}`: {message}", section.value),
            ));
        }
        for test in &s.tests {
            if TestId::parse(&test.value).is_none() {
                problems.push(problem(
                    s,
                    test.line,
                    format!(
                        "`{}` is not a test id: write `package/target::path::to::test`",
                        test.value
                    ),
                ));
            }
        }
    }
    problems.extend(check_claim_ids(root, inventory));
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
                .map(|text| summary_entries(&text))
                .map_err(|e| format!("cannot read {SRC}/SUMMARY.md: {e}"))
        });
        summary.as_deref().map_err(Clone::clone)
    }

    /// The headings of `src/<chapter>`, in order.
    pub fn headings(&mut self, root: &Path, chapter: &str) -> Result<&[Heading], String> {
        let headings = self.headings.entry(chapter.to_string()).or_insert_with(|| {
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
    pub fn check_section(&mut self, root: &Path, section: &str) -> Result<(), String> {
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
    let malformed =
        || "write it as `chNN-topic.md#heading-id`, the file relative to src/".to_string();
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

/// The chapters `SUMMARY.md` links to (draft entries `[Title]()` have no
/// link and are left out).
pub fn summary_entries(text: &str) -> Vec<SummaryEntry> {
    let mut entries = Vec::new();
    for line in text.lines() {
        let mut rest = line;
        while let Some(open) = rest.find('[') {
            let after = &rest[open + 1..];
            let Some(close) = after.find("](") else { break };
            let target_start = &after[close + 2..];
            let Some(end) = target_start.find(')') else {
                break;
            };
            let title = after[..close].trim().to_string();
            let target = target_start[..end].trim();
            let target = target.split_whitespace().next().unwrap_or_default();
            let target = target.strip_prefix("./").unwrap_or(target);
            if !target.is_empty() {
                entries.push(SummaryEntry {
                    title,
                    path: target.replace("%20", " "),
                });
            }
            rest = &target_start[end + 1..];
        }
    }
    entries
}

// ---------------------------------------------------------------- headings

/// A heading (or a definition-list term, which mdBook also gives an id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// The id mdBook gives it: `{#explicit}`, or derived from its text and
    /// made unique within the chapter with `-1`, `-2`, ...
    pub id: String,
    /// Its text without markup, as a reader sees it.
    pub text: String,
    pub line: usize,
}

/// mdBook 0.5's id for a heading text (`mdbook-html`'s `id_from_content`):
/// lowercased; letters, digits, `_` and `-` kept; whitespace becomes `-`;
/// everything else is dropped.
pub fn id_from_content(content: &str) -> String {
    content
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c)
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// mdBook's `unique_id`: the id, or the first free `id-N`.
fn unique_id(id: &str, used: &mut HashSet<String>) -> String {
    if used.insert(id.to_string()) {
        return id.to_string();
    }
    (1u32..)
        .map(|n| format!("{id}-{n}"))
        .find(|candidate| used.insert(candidate.clone()))
        .unwrap_or_default()
}

/// The headings of a chapter with the ids mdBook 0.5's HTML renderer gives
/// them (with its default smart punctuation and definition lists). ATX and
/// setext headings, `{#id}` attributes, headings in block quotes, and
/// definition terms are seen; fenced and indented code, HTML blocks and
/// comments are skipped. Raw HTML `id="..."` attributes count as targets.
pub fn headings(markdown: &str) -> Vec<Heading> {
    let mut scanner = Scanner::default();
    for (index, line) in markdown.lines().enumerate() {
        scanner.line(index + 1, line);
    }
    scanner.found
}

#[derive(Default)]
struct Scanner {
    found: Vec<Heading>,
    used: HashSet<String>,
    /// An open code fence: its character and length.
    fence: Option<(char, usize)>,
    in_comment: bool,
    in_html_block: bool,
    /// Lines of the open paragraph, with the line number of the first.
    paragraph: Vec<String>,
    paragraph_line: usize,
    /// Inside a definition (`: ...`) until a blank line.
    in_definition: bool,
    quote_depth: usize,
}

impl Scanner {
    fn line(&mut self, number: usize, raw: &str) {
        let (depth, line) = strip_quotes(raw);
        if let Some((ch, len)) = self.fence {
            let t = line.trim();
            if t.len() >= len && t.chars().all(|c| c == ch) {
                self.fence = None;
            }
            return;
        }
        if self.in_comment {
            self.in_comment = !line.contains("-->");
            self.html_ids(number, line);
            return;
        }
        if depth != self.quote_depth {
            self.end_paragraph();
            self.quote_depth = depth;
        }
        let blank = line.trim().is_empty();
        if self.in_html_block {
            if blank {
                self.in_html_block = false;
            } else {
                self.html_ids(number, line);
            }
            return;
        }
        if blank {
            self.end_paragraph();
            self.in_definition = false;
            return;
        }
        let indent = indentation(line);
        if indent >= 4 {
            // Indented code, or the continuation of a paragraph or item.
            if !self.paragraph.is_empty() {
                self.paragraph.push(line.trim().to_string());
            }
            return;
        }
        let t = line.trim_start();
        if let Some((marker, len, _)) = crate::includes::opening_fence(t) {
            let fence = (marker, len);
            self.end_paragraph();
            self.fence = Some(fence);
            return;
        }
        if let Some(comment) = t.strip_prefix("<!--") {
            self.end_paragraph();
            self.in_comment = !comment.contains("-->");
            self.html_ids(number, t);
            return;
        }
        if html_block_start(t) {
            self.end_paragraph();
            self.in_html_block = true;
            self.html_ids(number, t);
            return;
        }
        if let Some(content) = atx_heading(t) {
            self.end_paragraph();
            self.push(number, content);
            return;
        }
        if !self.paragraph.is_empty() && !self.in_definition && setext_underline(t) {
            let text = self.paragraph.join("\n");
            let line = self.paragraph_line;
            self.paragraph.clear();
            self.push(line, &text);
            return;
        }
        if let Some(rest) = t.strip_prefix(':')
            && (rest.starts_with([' ', '\t']) || rest.is_empty())
            && !self.paragraph.is_empty()
            && !self.in_definition
        {
            // A definition list: the paragraph above is the term.
            let text = self.paragraph.join("\n");
            let line = self.paragraph_line;
            self.paragraph.clear();
            self.push_term(line, &text);
            self.in_definition = true;
            return;
        }
        if self.in_definition {
            return;
        }
        if starts_list_item(t) || t.starts_with('|') || is_thematic_break(t) {
            // Not a paragraph that a setext underline could turn into a heading.
            self.end_paragraph();
            return;
        }
        if self.paragraph.is_empty() {
            self.paragraph_line = number;
        }
        self.paragraph.push(t.trim_end().to_string());
    }

    fn end_paragraph(&mut self) {
        self.paragraph.clear();
    }

    fn push(&mut self, line: usize, content: &str) {
        let (content, explicit) = heading_attributes(content);
        let id = match explicit {
            Some(id) => id,
            None => unique_id(&id_from_content(&inline_text(content)), &mut self.used),
        };
        self.found.push(Heading {
            id,
            text: display_text(content).trim().to_string(),
            line,
        });
    }

    fn push_term(&mut self, line: usize, content: &str) {
        let id = unique_id(&id_from_content(&inline_text(content)), &mut self.used);
        self.found.push(Heading {
            id,
            text: display_text(content).trim().to_string(),
            line,
        });
    }

    /// `id="..."` attributes in raw HTML: link targets too.
    fn html_ids(&mut self, line: usize, html: &str) {
        let mut rest = html;
        while let Some(at) = rest.find("id=") {
            let before = rest[..at].chars().next_back();
            let after = &rest[at + 3..];
            rest = after;
            if before.is_some_and(|c| !c.is_whitespace()) {
                continue;
            }
            let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            if let Some(end) = after[1..].find(quote) {
                let id = &after[1..1 + end];
                self.found.push(Heading {
                    id: id.to_string(),
                    text: id.to_string(),
                    line,
                });
                rest = &after[1 + end..];
            }
        }
    }
}

/// Block-quote depth, and the line without its `>` markers.
fn strip_quotes(line: &str) -> (usize, &str) {
    let mut depth = 0;
    let mut rest = line;
    loop {
        let trimmed = rest.trim_start_matches(' ');
        if rest.len() - trimmed.len() > 3 {
            return (depth, rest);
        }
        let Some(inner) = trimmed.strip_prefix('>') else {
            return (depth, rest);
        };
        depth += 1;
        rest = inner.strip_prefix(' ').unwrap_or(inner);
    }
}

fn indentation(line: &str) -> usize {
    let mut width = 0;
    for c in line.chars() {
        match c {
            ' ' => width += 1,
            '\t' => width += 4 - width % 4,
            _ => break,
        }
    }
    width
}

/// The start of a CommonMark HTML block that ends at a blank line (types 1
/// and 6 and a tag alone on its line); inline tags start paragraphs.
fn html_block_start(t: &str) -> bool {
    const BLOCK_TAGS: &str = "address article aside blockquote body center details dialog dd \
        div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr iframe li \
        main nav ol p pre script section style summary table tbody td tfoot th thead tr ul";
    let Some(rest) = t.strip_prefix('<') else {
        return false;
    };
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let after = &rest[name.len()..];
    let name = name.to_ascii_lowercase();
    let tag_ends =
        after.is_empty() || after.starts_with([' ', '\t', '>']) || after.starts_with("/>");
    (BLOCK_TAGS.split_whitespace().any(|tag| tag == name) && tag_ends)
        || (!name.is_empty() && t.ends_with('>') && !t[1..].contains('<'))
}

/// The content of an ATX heading line (`## Text ##`), if it is one.
fn atx_heading(t: &str) -> Option<&str> {
    let level = t.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &t[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let content = rest.trim();
    // A closing run of `#` after a space (or alone) is not content.
    let without = content.trim_end_matches('#');
    if without.is_empty() {
        return Some("");
    }
    if without.len() < content.len() && without.ends_with([' ', '\t']) {
        return Some(without.trim_end());
    }
    Some(content)
}

fn setext_underline(t: &str) -> bool {
    let t = t.trim_end();
    !t.is_empty() && (t.chars().all(|c| c == '=') || t.chars().all(|c| c == '-'))
}

fn is_thematic_break(t: &str) -> bool {
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3
        && ["*", "_", "-"]
            .iter()
            .any(|m| compact.chars().all(|c| c.to_string() == *m))
}

fn starts_list_item(t: &str) -> bool {
    if let Some(rest) = t.strip_prefix(['-', '*', '+']) {
        return rest.is_empty() || rest.starts_with([' ', '\t']);
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    (1..=9).contains(&digits)
        && t[digits..]
            .strip_prefix(['.', ')'])
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// Splits a trailing `{#id .class key=value}` block off a heading, as
/// pulldown-cmark does with heading attributes on; the last `#id` wins.
fn heading_attributes(content: &str) -> (&str, Option<String>) {
    let trimmed = content.trim_end();
    let Some(inner_end) = trimmed.strip_suffix('}') else {
        return (content, None);
    };
    let Some(open) = inner_end.rfind(['{', '}', '<', '>', '\\', '\n']) else {
        return (content, None);
    };
    if !inner_end[open..].starts_with('{') {
        return (content, None);
    }
    let inside = &inner_end[open + 1..];
    let id = inside
        .split_ascii_whitespace()
        .filter(|a| a.len() > 1)
        .filter_map(|a| a.strip_prefix('#'))
        .next_back()
        .map(str::to_string);
    (inner_end[..open].trim_end(), id)
}

/// The text mdBook derives a heading's id from: the text nodes of the
/// rendered heading, delimiters and all that are not markup.
pub fn inline_text(markdown: &str) -> String {
    inline_chars(markdown).into_iter().map(|(c, _)| c).collect()
}

/// The heading as a reader sees it, without emphasis and link brackets.
pub fn display_text(markdown: &str) -> String {
    let chars = inline_chars(markdown).into_iter();
    let shown = chars.filter(|(c, literal)| *literal || !matches!(c, '*' | '[' | ']' | '~'));
    shown.map(|(c, _)| c).collect()
}

/// The characters of a heading's inline markdown, each marked literal or
/// not: code spans keep their content; `_` emphasis delimiters, link
/// targets, images, HTML tags and escapes go (`*`, `[` and `]` stay, as
/// `id_from_content` drops them anyway); entities and smart punctuation
/// become the characters mdBook renders (only their whitespace-ness
/// matters for ids).
fn inline_chars(markdown: &str) -> Vec<(char, bool)> {
    let chars: Vec<char> = markdown.chars().collect();
    // (char, literal): literal characters are never emphasis delimiters.
    let mut out: Vec<(char, bool)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() => {
                out.push((chars[i + 1], true));
                i += 2;
            }
            '`' => {
                let run = count_run(&chars, i, '`');
                match find_closing_backticks(&chars, i + run, run) {
                    Some(close) => {
                        let code: String = chars[i + run..close]
                            .iter()
                            .map(|c| if *c == '\n' { ' ' } else { *c })
                            .collect();
                        let stripped = if code.len() >= 2
                            && code.starts_with(' ')
                            && code.ends_with(' ')
                            && !code.trim().is_empty()
                        {
                            &code[1..code.len() - 1]
                        } else {
                            &code[..]
                        };
                        out.extend(stripped.chars().map(|c| (c, true)));
                        i = close + run;
                    }
                    None => {
                        out.extend(std::iter::repeat_n(('`', true), run));
                        i += run;
                    }
                }
            }
            '!' if chars.get(i + 1) == Some(&'[') => {
                // An image renders as an element with no text.
                match skip_link(&chars, i + 1) {
                    Some(end) => i = end,
                    None => {
                        out.push(('!', true));
                        i += 1;
                    }
                }
            }
            ']' if chars.get(i + 1) == Some(&'(') => {
                i = matching(&chars, i + 1, '(', ')').map_or(i + 1, |end| end + 1);
            }
            '<' => match chars[i + 1..].iter().position(|c| *c == '>') {
                Some(len) => {
                    let inner: String = chars[i + 1..i + 1 + len].iter().collect();
                    if inner.contains(':') && !inner.contains(' ') {
                        // An autolink shows its address.
                        out.extend(inner.chars().map(|c| (c, true)));
                    }
                    i += len + 2;
                }
                None => {
                    out.push(('<', true));
                    i += 1;
                }
            },
            '&' => {
                let end = chars[i + 1..]
                    .iter()
                    .take(32)
                    .position(|c| *c == ';')
                    .map(|p| i + 1 + p);
                match end {
                    Some(end) => {
                        let name: String = chars[i + 1..end].iter().collect();
                        out.push((entity(&name), true));
                        i = end + 1;
                    }
                    None => {
                        out.push(('&', true));
                        i += 1;
                    }
                }
            }
            '-' => {
                let run = count_run(&chars, i, '-');
                if run == 1 {
                    out.push(('-', true));
                } else {
                    // Smart punctuation: `--` and `---` become dashes.
                    out.push(('\u{2013}', true));
                }
                i += run;
            }
            '\n' => {
                out.push((' ', true));
                i += 1;
            }
            _ => {
                out.push((c, false));
                i += 1;
            }
        }
    }
    remove_underscore_emphasis(&out)
}

fn count_run(chars: &[char], from: usize, ch: char) -> usize {
    chars[from..].iter().take_while(|c| **c == ch).count()
}

fn find_closing_backticks(chars: &[char], from: usize, run: usize) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == '`' {
            let len = count_run(chars, i, '`');
            if len == run {
                return Some(i);
            }
            i += len;
        } else {
            i += 1;
        }
    }
    None
}

/// The index of the `close` matching the `open` at `from`.
fn matching(chars: &[char], from: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 0;
    for (offset, c) in chars[from..].iter().enumerate() {
        if *c == open {
            depth += 1;
        } else if *c == close {
            depth -= 1;
            if depth == 0 {
                return Some(from + offset);
            }
        }
    }
    None
}

/// Past the end of `[text](target)` starting at `from` (the `[`).
fn skip_link(chars: &[char], from: usize) -> Option<usize> {
    let close = matching(chars, from, '[', ']')?;
    if chars.get(close + 1) == Some(&'(') {
        return matching(chars, close + 1, '(', ')').map(|end| end + 1);
    }
    Some(close + 1)
}

fn entity(name: &str) -> char {
    if let Some(number) = name.strip_prefix('#') {
        let value = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => number.parse().ok(),
        };
        return value.and_then(char::from_u32).unwrap_or('&');
    }
    match name {
        "nbsp" | "ensp" | "emsp" | "thinsp" => '\u{a0}',
        // Every other named entity is punctuation or a symbol: dropped from ids.
        _ => '&',
    }
}

/// Removes `_` runs that pair up as emphasis delimiters; unpaired or
/// intraword ones stay, as in CommonMark (`snake_case` keeps its `_`).
fn remove_underscore_emphasis(chars: &[(char, bool)]) -> Vec<(char, bool)> {
    let mut runs: Vec<(usize, usize, bool, bool)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ('_', false) {
            let start = i;
            while i < chars.len() && chars[i] == ('_', false) {
                i += 1;
            }
            let before = start.checked_sub(1).map(|b| chars[b].0);
            let after = chars.get(i).map(|a| a.0);
            let space_or_punct =
                |c: Option<char>| c.is_none_or(|c| c.is_whitespace() || c.is_ascii_punctuation());
            let not_space = |c: Option<char>| c.is_some_and(|c| !c.is_whitespace());
            let can_open = not_space(after) && space_or_punct(before);
            let can_close = not_space(before) && space_or_punct(after);
            runs.push((start, i, can_open, can_close));
        } else {
            i += 1;
        }
    }
    let mut removed = vec![false; chars.len()];
    let mut openers: Vec<(usize, usize)> = Vec::new();
    for (start, end, can_open, can_close) in runs {
        if can_close && let Some((open_start, open_end)) = openers.pop() {
            removed[open_start..open_end].fill(true);
            removed[start..end].fill(true);
            continue;
        }
        if can_open {
            openers.push((start, end));
        }
    }
    chars
        .iter()
        .zip(removed)
        .filter(|(_, removed)| !removed)
        .map(|(c, _)| *c)
        .collect()
}

// ------------------------------------------------------------------- tests

/// `package/target::path::to::test`, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestId<'a> {
    pub package: &'a str,
    pub target: &'a str,
    /// The test's path inside its executable: `tests::it_works`.
    pub path: &'a str,
}

impl<'a> TestId<'a> {
    pub fn parse(text: &'a str) -> Option<TestId<'a>> {
        let (package, rest) = text.split_once('/')?;
        let (target, path) = rest.split_once("::")?;
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        };
        let path_ok = path.split("::").all(valid);
        (valid(package) && valid(target) && path_ok).then_some(TestId {
            package,
            target,
            path,
        })
    }
}

/// The tests of each test executable, by package and target name.
#[derive(Debug, Default)]
pub struct TestCatalog {
    /// (package, target) → the executable's tests.
    /// Targets that were not asked for are present with no tests.
    pub targets: BTreeMap<(String, String), TargetTests>,
}

#[derive(Debug, Default, Clone)]
pub struct TargetTests {
    /// Every test, ignored ones included (as libtest's `--list` shows them).
    pub tests: BTreeSet<String>,
    pub ignored: BTreeSet<String>,
    /// Read from the source: a `#![cfg(loom)]` target, empty in a plain build.
    pub from_loom_source: bool,
}

impl TestCatalog {
    /// Builds the workspace's tests (`cargo test --workspace --locked
    /// --no-run`, a no-op after `cargo test`) and lists the tests of the
    /// executables whose (package, target) is in `wanted`, in parallel.
    pub fn list(root: &Path, wanted: &BTreeSet<(String, String)>) -> Result<TestCatalog, String> {
        let executables = test_executables(root)?;
        let mut catalog = TestCatalog::default();
        let selected: Vec<&Executable> = executables
            .iter()
            .filter(|e| wanted.contains(&e.key))
            .collect();
        let listed: Vec<Result<TargetTests, String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = selected
                .iter()
                .map(|exe| scope.spawn(|| list_executable(root, exe)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("listing its tests panicked".to_string()))
                })
                .collect()
        });
        for (exe, tests) in selected.into_iter().zip(listed) {
            let tests = tests.map_err(|e| format!("{}: {e}", exe.path.display()))?;
            catalog.targets.insert(exe.key.clone(), tests);
        }
        // Targets not listed are still known to exist, with no tests read.
        for exe in executables {
            catalog.targets.entry(exe.key).or_default();
        }
        Ok(catalog)
    }

    /// Problems with the test ids statements cite.
    pub fn check(&self, inventory: &Inventory) -> Vec<Problem> {
        let mut problems = Vec::new();
        for s in &inventory.statements {
            for test in &s.tests {
                let Some(id) = TestId::parse(&test.value) else {
                    continue; // reported by check_static
                };
                if let Err(message) = self.find(&id) {
                    problems.push(problem(
                        s,
                        test.line,
                        format!("test `{}` {message}", test.value),
                    ));
                }
            }
        }
        problems
    }

    fn find(&self, id: &TestId<'_>) -> Result<(), String> {
        let key = (id.package.to_string(), id.target.to_string());
        let Some(target) = self.targets.get(&key) else {
            let in_package: Vec<&str> = self
                .targets
                .keys()
                .filter(|(p, _)| p == id.package)
                .map(|(_, t)| t.as_str())
                .collect();
            return Err(if in_package.is_empty() {
                format!(
                    "does not exist: the workspace has no package `{}` with tests",
                    id.package
                )
            } else {
                format!(
                    "does not exist: package `{}` has no test target `{}` (its test targets: {})",
                    id.package,
                    id.target,
                    in_package.join(", ")
                )
            });
        };
        if target.ignored.contains(id.path) {
            return Err("is #[ignore]d, so CI never runs it: cite a test that runs".to_string());
        }
        if target.tests.contains(id.path) {
            return Ok(());
        }
        let module = id.path.rsplit_once("::").map_or("", |(m, _)| m);
        let siblings: Vec<&str> = target
            .tests
            .iter()
            .filter(|t| t.rsplit_once("::").map_or("", |(m, _)| m) == module)
            .map(String::as_str)
            .take(8)
            .collect();
        let mut hint = if siblings.is_empty() {
            format!("{} has {} tests", id.target, target.tests.len())
        } else {
            format!("tests beside it: {}", siblings.join(", "))
        };
        if target.from_loom_source {
            hint.push_str(" (a `#![cfg(loom)]` target: tests read from its source)");
        }
        Err(format!(
            "does not exist (renamed or removed?): {}/{} has no test `{}`; {hint}",
            id.package, id.target, id.path
        ))
    }
}

/// The (package, target) pairs the inventory cites tests in.
pub fn cited_targets(inventory: &Inventory) -> BTreeSet<(String, String)> {
    let tests = inventory.statements.iter().flat_map(|s| &s.tests);
    tests
        .filter_map(|t| TestId::parse(&t.value))
        .map(|id| (id.package.to_string(), id.target.to_string()))
        .collect()
}

/// A test executable cargo built.
#[derive(Debug)]
struct Executable {
    /// (package, target name)
    key: (String, String),
    path: PathBuf,
    /// The target's root source file.
    source: PathBuf,
}

/// Runs `cargo test --workspace --locked --no-run --message-format=json`
/// in `root` and returns each test executable.
fn test_executables(root: &Path) -> Result<Vec<Executable>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "test",
            "--workspace",
            "--locked",
            "--no-run",
            "--message-format=json",
        ])
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "`cargo test --workspace --locked --no-run` failed, so the tests cannot be listed:\n{}",
            tail.join("\n")
        ));
    }
    let mut executables = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" || message["profile"]["test"] != true {
            continue;
        }
        let (Some(exe), Some(target), Some(package)) = (
            message["executable"].as_str(),
            message["target"]["name"].as_str(),
            message["package_id"].as_str().and_then(package_name),
        ) else {
            continue;
        };
        executables.push(Executable {
            key: (package, target.to_string()),
            path: PathBuf::from(exe),
            source: PathBuf::from(message["target"]["src_path"].as_str().unwrap_or_default()),
        });
    }
    Ok(executables)
}

/// The package name in a cargo package id: `path+file:///a/b#0.1.0` is
/// `b`, `path+file:///a/b#name@0.1.0` is `name`, and the old format
/// `name 0.1.0 (path+file:///a/b)` is `name`.
pub fn package_name(package_id: &str) -> Option<String> {
    let Some((url, fragment)) = package_id.split_once('#') else {
        return package_id.split_whitespace().next().map(str::to_string);
    };
    if let Some((name, _version)) = fragment.split_once('@') {
        return Some(name.to_string());
    }
    let path = url.split(['?']).next().unwrap_or(url);
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// Lists one test executable's tests, and separately its ignored ones. A
/// target that a plain build leaves empty because its source says
/// `#![cfg(loom)]` (loom models, which `ci/loom.sh` runs with `--cfg loom`)
/// is listed from that source instead.
fn list_executable(root: &Path, exe: &Executable) -> Result<TargetTests, String> {
    let parse = |text: String| -> BTreeSet<String> {
        text.lines()
            .filter_map(|l| l.strip_suffix(": test"))
            .map(str::to_string)
            .collect()
    };
    let tests = parse(run_bounded(
        root,
        &exe.path,
        &["--list", "--format", "terse"],
    )?);
    if tests.is_empty()
        && let Ok(source) = fs::read_to_string(&exe.source)
        && source.contains("#![cfg(loom)]")
    {
        return Ok(tests_in_source(&source));
    }
    let ignored = parse(run_bounded(
        root,
        &exe.path,
        &["--list", "--format", "terse", "--ignored"],
    )?);
    Ok(TargetTests {
        tests,
        ignored,
        from_loom_source: false,
    })
}

/// The `#[test]` functions of one source file, by module path (inline
/// `mod name { ... }` blocks only), and which of them are `#[ignore]`d.
pub fn tests_in_source(source: &str) -> TargetTests {
    let mut found = TargetTests {
        from_loom_source: true,
        ..TargetTests::default()
    };
    // Open inline modules, each with the brace depth it was opened at.
    let mut modules: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let (mut test, mut ignore) = (false, false);
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or_default().trim();
        if code.starts_with("#[test]") {
            test = true;
        } else if code.starts_with("#[ignore") {
            ignore = true;
        } else if let Some(name) = item_name(code, "fn") {
            if test {
                let mut path: Vec<&str> = modules.iter().map(|(m, _)| m.as_str()).collect();
                path.push(name);
                let path = path.join("::");
                if ignore {
                    found.ignored.insert(path.clone());
                }
                found.tests.insert(path);
            }
            (test, ignore) = (false, false);
        } else if let Some(name) = item_name(code, "mod")
            && code.ends_with('{')
        {
            modules.push((name.to_string(), depth));
        }
        for c in code.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if modules.last().is_some_and(|(_, d)| *d == depth) {
                        modules.pop();
                    }
                }
                _ => {}
            }
        }
    }
    found
}

/// `name` in `pub async fn name(` (for `keyword` = `fn`) or `mod name {`.
fn item_name<'a>(code: &'a str, keyword: &str) -> Option<&'a str> {
    let mut words = code.split_whitespace().peekable();
    while let Some(word) = words.peek() {
        if word.starts_with("pub") || matches!(*word, "async" | "unsafe" | "const") {
            words.next();
        } else {
            break;
        }
    }
    if words.next()? != keyword {
        return None;
    }
    let rest = words.next()?;
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// Runs `exe ARGS`, killing it after [`LIST_TIMEOUT`]; its stdout.
fn run_bounded(root: &Path, exe: &Path, args: &[&str]) -> Result<String, String> {
    let mut child = Command::new(exe)
        .args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run it: {e}"))?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < LIST_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{}` did not finish within {} s (a test target without the libtest harness?)",
                    args.join(" "),
                    LIST_TIMEOUT.as_secs()
                ));
            }
            Err(e) => return Err(format!("cannot wait for it: {e}")),
        }
    };
    let text = reader
        .join()
        .map_err(|_| "reading its output panicked".to_string())?
        .map_err(|e| format!("cannot read its output: {e}"))?;
    if !status.success() {
        return Err(format!("`{}` exited with {status}", args.join(" ")));
    }
    Ok(text)
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
            if let Some(skip) = skips.iter().find(|skip| crate::skips::is(skip, &id)) {
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

    fn ids(markdown: &str) -> Vec<String> {
        headings(markdown).into_iter().map(|h| h.id).collect()
    }

    #[test]
    fn ids_follow_mdbook_id_from_content() {
        // The cases of mdbook-html 0.5.4's own test.
        assert_eq!(
            id_from_content("`--passes`: add more rustdoc passes"),
            "--passes-add-more-rustdoc-passes"
        );
        assert_eq!(
            id_from_content("Method-call 🐙 expressions \u{1f47c}"),
            "method-call--expressions-"
        );
        assert_eq!(id_from_content("_-_12345"), "_-_12345");
        assert_eq!(id_from_content("中文標題 CJK title"), "中文標題-cjk-title");
        assert_eq!(id_from_content("Über"), "über");
    }

    #[test]
    fn headings_get_unique_ids_from_their_rendered_text() {
        let chapter = "# Scheduling: cooperative versus preemptive\n\n## The claim\n\n\
                       ### A task that never reaches an `.await`\n\n### tokio's budget ##\n\n\
                       ## The claim\n\nSetext *heading*\n---\n\n## Explicit {#own-id .c}\n\n\
                       ## [Linked](x.md) and ![img](i.png) <em>html</em> &amp; `a  b`\n\n\
                       ## snake_case and _emphasis_ -- dash \\_x\n";
        assert_eq!(
            ids(chapter),
            [
                "scheduling-cooperative-versus-preemptive",
                "the-claim",
                "a-task-that-never-reaches-an-await",
                "tokios-budget",
                "the-claim-1",
                "setext-heading",
                "own-id",
                "linked-and--html--a--b",
                "snake_case-and-emphasis--dash-_x",
            ]
        );
        assert_eq!(headings(chapter)[5].line, 11);
        assert_eq!(
            headings(chapter)[2].text,
            "A task that never reaches an .await"
        );
    }

    /// Each id below was read from the HTML `mdbook build` 0.5.4 wrote for
    /// this chapter.
    #[test]
    fn ids_match_what_mdbook_0_5_4_renders() {
        let chapter = "# Scheduling: cooperative versus preemptive\n\n## The claim\n\n\
            ### A task that never reaches an `.await`\n\n### tokio's cooperative budget ##\n\n\
            ## The claim\n\nSetext *heading* with \"quotes\"\n---\n\n## Explicit {#own-id .c}\n\n\
            ## [Linked](x.md) and ![img](i.png) <em>html</em> &amp; `a  b`\n\n\
            ## snake_case and _emphasis_ -- dash \\_x --- em... done\n\n\
            ## `spawn_blocking` to the rescue?\n\n## Über 中文 &nbsp; nbsp\n\n\
            > [!TIP]\n> ## Quoted heading\n\nTerm one\n: its definition\n\n## Term one\n\n\
            ```rust\n# not a heading\n```\n\n<div id=\"raw-div\">\ntext\n</div>\n\n\
            ## What about *`code`* and __strong__ and **bold**\n\n\
            ## a _ b __init__ x_y_z _a_b_\n\n## Tabs\tand  double  spaces \n\n#no-space\n\n## \n";
        assert_eq!(
            ids(chapter),
            [
                "scheduling-cooperative-versus-preemptive",
                "the-claim",
                "a-task-that-never-reaches-an-await",
                "tokios-cooperative-budget",
                "the-claim-1",
                "setext-heading-with-quotes",
                "own-id",
                "linked-and--html--a--b",
                "snake_case-and-emphasis--dash-_x--em-done",
                "spawn_blocking-to-the-rescue",
                "über-中文---nbsp",
                "quoted-heading",
                "term-one",
                "term-one-1",
                "raw-div",
                "what-about-code-and-strong-and-bold",
                "a-_-b-init-x_y_z-a_b",
                "tabs-and--double--spaces",
                "",
            ]
        );
        let texts: Vec<String> = headings(chapter).into_iter().map(|h| h.text).collect();
        assert_eq!(texts[7], "Linked and  html & a  b");
        assert_eq!(texts[15], "What about code and strong and bold");
    }

    #[test]
    fn code_comments_html_and_quotes_are_handled() {
        let chapter = "```rust\n# not a heading\n```\n\n~~~~\n## nor this\n~~~~\n\n\
                       <!--\n# hidden\n-->\n\n<div id=\"raw\">\n\n    # indented code\n\n\
                       > [!TIP]\n> ## Quoted\n\nTerm\n: its definition\n\n- item\n---\n";
        assert_eq!(ids(chapter), ["raw", "quoted", "term"]);
    }

    #[test]
    fn test_functions_are_found_in_source_with_their_module_path() {
        let source = "#![cfg(loom)]\nmod support;\n\nfn helper() {}\n\n#[test]\nfn top() {}\n\n\
                      #[test]\n#[ignore = \"x\"]\n// fn commented() {}\npub fn skipped() {\n    if true {}\n}\n\n\
                      mod inner {\n    #[test]\n    #[should_panic]\n    fn deep() {}\n}\n\n#[test]\nasync fn after() {}\n";
        let found = tests_in_source(source);
        let tests: Vec<&str> = found.tests.iter().map(String::as_str).collect();
        assert_eq!(tests, ["after", "inner::deep", "skipped", "top"]);
        let ignored: Vec<&str> = found.ignored.iter().map(String::as_str).collect();
        assert_eq!(ignored, ["skipped"]);
    }

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
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["introduction.md", "ch02.md"]);
    }

    #[test]
    fn test_ids_and_package_ids_parse() {
        let id = TestId::parse("ch02-scheduling/starving_task::tests::a_b").unwrap();
        assert_eq!(
            (id.package, id.target, id.path),
            ("ch02-scheduling", "starving_task", "tests::a_b")
        );
        assert!(TestId::parse("no-target::x").is_none());
        assert!(TestId::parse("p/t").is_none());
        assert!(TestId::parse("p/t::a b").is_none());
        assert_eq!(
            package_name("path+file:///w/listings/ch02-scheduling#0.1.0").as_deref(),
            Some("ch02-scheduling")
        );
        assert_eq!(
            package_name("path+file:///w/tools#booktools@0.1.0").as_deref(),
            Some("booktools")
        );
        assert_eq!(
            package_name("booktools 0.1.0 (path+file:///w/tools)").as_deref(),
            Some("booktools")
        );
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
