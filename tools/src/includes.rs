//! `check-includes`: keeps every line of Rust in the book compiled and tested.
//!
//! Chapters never contain Rust code directly: each Rust code block includes a
//! file from `listings/`, where `cargo test` sees it. This module checks that
//! rule, that every include resolves (file, anchor, line range), that anchor
//! markers in listings are well formed, and that no listing file is silently
//! left out of the book.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::files::slashed;
use crate::markdown::{self, Directive, DirectiveKind};

/// Listing files that are deliberately not shown, one `path  # reason` per line.
pub const EXEMPTIONS: &str = "listings/not-shown.txt";

/// The most lines one code block may show on a page: a longer block shows the
/// part that matters (an anchor) and links the file for the rest.
pub const MAX_SHOWN_LINES: usize = 60;

/// Info-string words that make rustdoc and mdBook treat a block as Rust even
/// without `rust` in it.
const RUST_ATTRIBUTES: &[&str] = &[
    "ignore",
    "no_run",
    "should_panic",
    "compile_fail",
    "noplayground",
    "editable",
    "mdbook-runnable",
    "edition2015",
    "edition2018",
    "edition2021",
    "edition2024",
];

/// What is wrong; `Display` gives the message, including how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    NoLanguage,
    RustNotIncluded,
    UnclosedFence(String),
    UnterminatedDirective(&'static str),
    DirectiveWithoutPath(&'static str),
    BadSelection(String),
    MissingFile(PathBuf),
    MissingAnchor {
        file: PathBuf,
        anchor: String,
    },
    BadRange {
        file: PathBuf,
        range: String,
        lines: usize,
    },
    InvalidAnchorName(String),
    DuplicateAnchor {
        name: String,
        first_line: usize,
    },
    UnopenedAnchorEnd(String),
    UnclosedAnchor(String),
    NotShown,
    ExemptionWithoutReason,
    StaleExemption(PathBuf),
    ExemptButShown(PathBuf),
    LongBlock(usize),
    UnusedAnchor(String),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::NoLanguage => write!(
                f,
                "code block has no language: name one such as text, console or toml, \
                 or include Rust code from a listing"
            ),
            Kind::RustNotIncluded => write!(
                f,
                "rust code block is not an include of a listing file: move the code into \
                 listings/ and include it with {{{{#rustdoc_include ...}}}}"
            ),
            Kind::UnclosedFence(fence) => write!(
                f,
                "code block opened with {fence} is never closed: add a matching closing fence \
                 (inside a blockquote, every line of the block needs the `>` prefix)"
            ),
            Kind::UnterminatedDirective(name) => write!(
                f,
                "`{{{{#{name}` is not closed on the same line: end the directive with `}}}}`"
            ),
            Kind::DirectiveWithoutPath(name) => write!(
                f,
                "`{{{{#{name}}}}}` has no path: write {{{{#{name} path/to/file.rs}}}}, \
                 relative to this chapter's directory"
            ),
            Kind::BadSelection(selection) => write!(
                f,
                "`:{selection}` is neither an anchor nor a line range: use FILE:anchor, \
                 FILE:START:END, FILE:START: or FILE::END"
            ),
            Kind::MissingFile(file) => write!(
                f,
                "included file {} does not exist: fix the path, which is relative to \
                 this chapter's directory",
                slashed(file)
            ),
            Kind::MissingAnchor { file, anchor } => write!(
                f,
                "anchor `{anchor}` not found in {}: fix the name, or mark the code with \
                 `// ANCHOR: {anchor}` and `// ANCHOR_END: {anchor}` lines",
                slashed(file)
            ),
            Kind::BadRange { file, range, lines } => write!(
                f,
                "line range `{range}` does not fit {}, which has {lines} lines: fix the \
                 range, or better, mark the code with an ANCHOR and include that",
                slashed(file)
            ),
            Kind::InvalidAnchorName(name) if name.is_empty() => {
                write!(f, "anchor marker has no name: write `// ANCHOR: name`")
            }
            Kind::InvalidAnchorName(name) => write!(
                f,
                "anchor name `{name}` is invalid: use only letters, digits, `_` and `-`"
            ),
            Kind::DuplicateAnchor { name, first_line } => write!(
                f,
                "anchor `{name}` is opened again (first on line {first_line}) and mdBook \
                 only shows the first one: rename one of them"
            ),
            Kind::UnopenedAnchorEnd(name) => write!(
                f,
                "ANCHOR_END `{name}` has no open ANCHOR: add `// ANCHOR: {name}` before it \
                 or remove this line"
            ),
            Kind::UnclosedAnchor(name) => write!(
                f,
                "ANCHOR `{name}` is never closed: add `// ANCHOR_END: {name}` after the \
                 code to show"
            ),
            Kind::NotShown => write!(
                f,
                "listing file is shown nowhere: include it from a chapter, or exempt it \
                 with a reason in {EXEMPTIONS}"
            ),
            Kind::ExemptionWithoutReason => write!(
                f,
                "exemption has no reason: write `path/to/file.rs  # why it is not shown`"
            ),
            Kind::StaleExemption(file) => write!(
                f,
                "stale exemption: {} does not exist: remove it from {EXEMPTIONS}",
                slashed(file)
            ),
            Kind::LongBlock(lines) => write!(
                f,
                "code block shows {lines} lines, more than {MAX_SHOWN_LINES}: show the part \
                 that matters with a smaller ANCHOR, or split the block, and link the file \
                 for the rest"
            ),
            Kind::UnusedAnchor(name) => write!(
                f,
                "anchor `{name}` is included by no chapter: include it, or remove its \
                 `ANCHOR: {name}` and `ANCHOR_END: {name}` lines"
            ),
            Kind::ExemptButShown(file) => write!(
                f,
                "exempt but shown: {} is included by a chapter: remove it from {EXEMPTIONS}",
                slashed(file)
            ),
        }
    }
}

/// One problem at a line of a file; the path is relative to the checked root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub line: usize,
    pub kind: Kind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error: {}:{}: {}",
            slashed(&self.path),
            self.line,
            self.kind
        )
    }
}

/// The outcome of a check: problems sorted by path and line, plus counts.
#[derive(Debug, Default)]
pub struct Report {
    pub problems: Vec<Problem>,
    pub chapters: usize,
    pub includes: usize,
    pub shown: usize,
    pub exempt: usize,
}

impl Report {
    pub fn summary(&self) -> String {
        format!(
            "check-includes: {} chapter files, {} includes, {} listing files shown, {} exempt",
            self.chapters, self.includes, self.shown, self.exempt
        )
    }
}

/// Checks the book rooted at `root` (the directory holding `src/` and `listings/`).
/// I/O errors (other than missing included files, which are problems) abort the check.
pub fn check(root: &Path) -> Result<Report, String> {
    if !root.join("src").is_dir() {
        return Err(format!(
            "{} has no src/ directory: run from the repository root or pass it as ROOT",
            root.display()
        ));
    }
    let mut checker = Checker {
        root,
        problems: Vec::new(),
        facts: HashMap::new(),
        shown: HashSet::new(),
        used_anchors: HashSet::new(),
        whole_files: HashSet::new(),
        includes: 0,
    };

    let chapters = files_under(root, Path::new("src"), &["md"])?;
    for chapter in &chapters {
        checker.check_chapter(chapter)?;
    }
    let listings =
        files_under(root, Path::new("listings"), &["rs", "toml", "txt", "py"])?;
    for listing in &listings {
        checker.check_anchor_markers(listing)?;
    }
    let exempt = checker.check_exemptions()?;

    let mut shown = 0;
    for listing in listings
        .iter()
        .filter(|path| has_extension(path, &["rs", "py"]))
    {
        if checker.shown.contains(listing) {
            shown += 1;
        } else if !exempt.contains(listing) {
            checker.problem(listing, 1, Kind::NotShown);
        }
    }

    let mut problems = checker.problems;
    // Stable sort: problems on the same line keep the order they were found in.
    problems.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Ok(Report {
        problems,
        chapters: chapters.len(),
        includes: checker.includes,
        shown,
        exempt: exempt.len(),
    })
}

struct Checker<'a> {
    root: &'a Path,
    problems: Vec<Problem>,
    /// Included files by normalised path; `None` when the file does not exist.
    facts: HashMap<PathBuf, Option<FileFacts>>,
    /// Every file some directive points at, normalised and relative to the root.
    shown: HashSet<PathBuf>,
    /// Every (file, anchor) some directive selects.
    used_anchors: HashSet<(PathBuf, String)>,
    /// Every file some directive includes whole.
    whole_files: HashSet<PathBuf>,
    includes: usize,
}

impl Checker<'_> {
    fn problem(&mut self, path: &Path, line: usize, kind: Kind) {
        let path = path.to_path_buf();
        self.problems.push(Problem { path, line, kind });
    }

    fn check_chapter(&mut self, chapter: &Path) -> Result<(), String> {
        let text = read(&self.root.join(chapter))?;
        let dir = chapter.parent().unwrap_or(Path::new(""));
        for block in markdown::code_blocks(&text) {
            if block.info.as_deref().is_none_or(str::is_empty) {
                self.problem(chapter, block.line, Kind::NoLanguage);
            }
            if !block.closed {
                self.problem(chapter, block.line, Kind::UnclosedFence(block.fence));
                continue;
            }
            let rust = block.info.as_deref().is_some_and(is_rust_info);
            let body: Vec<&str> = block.body.lines().collect();
            if rust
                && !body
                    .iter()
                    .all(|l| l.trim().is_empty() || is_include_line(l))
            {
                self.problem(chapter, block.line, Kind::RustNotIncluded);
            }
            let shown = self.shown_lines(dir, &body, rust);
            if shown > MAX_SHOWN_LINES {
                self.problem(chapter, block.line, Kind::LongBlock(shown));
            }
        }
        for directive in markdown::directives(&text) {
            self.includes += 1;
            if let Err(kind) = self.check_directive(dir, &directive) {
                self.problem(chapter, directive.line, kind);
            }
        }
        Ok(())
    }

    /// How many lines a code block shows once its includes are expanded: lines
    /// outside a `rustdoc_include`'s selection and rustdoc's `# ` lines are
    /// hidden in Rust blocks, and anchor markers are never shown. An include
    /// that does not resolve counts nothing (it is reported on its own).
    /// What an included file (normalised, relative to the root) offers,
    /// read on first use; `None` when it does not exist.
    fn facts(&mut self, file: &Path) -> Option<&FileFacts> {
        let root = self.root;
        let read = || FileFacts::read(&root.join(file));
        self.facts
            .entry(file.to_path_buf())
            .or_insert_with(read)
            .as_ref()
    }

    fn shown_lines(&mut self, dir: &Path, body: &[&str], rust: bool) -> usize {
        let mut shown = 0;
        for line in body {
            let found =
                is_include_line(line).then(|| markdown::directives(line.trim()));
            let target =
                found.and_then(|d| d.first().and_then(|d| parse_directive(d).ok()));
            let Some(target) = target else {
                shown += usize::from(!(rust && is_hidden_rust_line(line)));
                continue;
            };
            if let Some(facts) = self.facts(&normalize(&dir.join(target.file))) {
                shown += facts.shown(&target.selection, rust);
            }
        }
        shown
    }

    fn check_directive(
        &mut self,
        dir: &Path,
        directive: &Directive,
    ) -> Result<(), Kind> {
        let target = parse_directive(directive)?;
        // mdBook resolves include paths against the chapter's own directory.
        let file = normalize(&dir.join(target.file));
        self.shown.insert(file.clone());
        match target.selection {
            Selection::Anchor(anchor) => {
                self.used_anchors.insert((file.clone(), anchor.to_string()));
            }
            // A whole file is shown, and every anchor's code with it.
            Selection::Whole => {
                self.whole_files.insert(file.clone());
            }
            Selection::Lines { .. } => {}
        }
        let Some(facts) = self.facts(&file) else {
            return Err(Kind::MissingFile(file));
        };
        match target.selection {
            Selection::Whole => Ok(()),
            Selection::Anchor(anchor) if facts.anchors.contains(anchor) => Ok(()),
            Selection::Anchor(anchor) => Err(Kind::MissingAnchor {
                file,
                anchor: anchor.to_string(),
            }),
            Selection::Lines { start, end } => {
                let (start, end) = (start.unwrap_or(1), end.unwrap_or(facts.lines));
                if 1 <= start && start <= end && end <= facts.lines {
                    Ok(())
                } else {
                    Err(Kind::BadRange {
                        file,
                        range: target.written.to_string(),
                        lines: facts.lines,
                    })
                }
            }
        }
    }

    fn check_anchor_markers(&mut self, listing: &Path) -> Result<(), String> {
        let text = read(&self.root.join(listing))?;
        let mut first_opened: HashMap<&str, usize> = HashMap::new();
        let mut open: BTreeMap<&str, usize> = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            let Some(marker) = anchor_marker(line) else {
                continue;
            };
            let (number, name) = (index + 1, marker.name);
            if !is_anchor_name(name) {
                self.problem(
                    listing,
                    number,
                    Kind::InvalidAnchorName(name.to_string()),
                );
            } else if marker.is_end {
                if open.remove(name).is_none() {
                    self.problem(
                        listing,
                        number,
                        Kind::UnopenedAnchorEnd(name.to_string()),
                    );
                }
            } else {
                if let Some(&first_line) = first_opened.get(name) {
                    let name = name.to_string();
                    self.problem(
                        listing,
                        number,
                        Kind::DuplicateAnchor { name, first_line },
                    );
                }
                first_opened.entry(name).or_insert(number);
                open.insert(name, number);
            }
        }
        for (name, line) in &open {
            self.problem(listing, *line, Kind::UnclosedAnchor(name.to_string()));
        }
        // An anchor nothing selects is clutter that drifts: report it, unless
        // its file is included whole (then its code is shown anyway).
        let whole = self.whole_files.contains(listing);
        for (name, line) in first_opened {
            let key = (listing.to_path_buf(), name.to_string());
            let closed = !open.contains_key(name);
            if is_anchor_name(name)
                && closed
                && !whole
                && !self.used_anchors.contains(&key)
            {
                self.problem(listing, line, Kind::UnusedAnchor(name.to_string()));
            }
        }
        Ok(())
    }

    /// Checks `listings/not-shown.txt` and returns the files it validly exempts.
    fn check_exemptions(&mut self) -> Result<HashSet<PathBuf>, String> {
        let mut exempt = HashSet::new();
        let list = Path::new(EXEMPTIONS);
        if !self.root.join(list).exists() {
            return Ok(exempt);
        }
        let text = read(&self.root.join(list))?;
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (file, reason) = line.split_once('#').unwrap_or((line, ""));
            let file = normalize(Path::new(file.trim()));
            if reason.trim().is_empty() {
                self.problem(list, index + 1, Kind::ExemptionWithoutReason);
            }
            if !self.root.join(&file).is_file() {
                self.problem(list, index + 1, Kind::StaleExemption(file));
            } else if self.shown.contains(&file) {
                self.problem(list, index + 1, Kind::ExemptButShown(file));
            } else {
                exempt.insert(file);
            }
        }
        Ok(exempt)
    }
}

/// What an included file offers: its line count, its complete anchors and
/// its text (to count what an include of it shows).
struct FileFacts {
    lines: usize,
    anchors: HashSet<String>,
    text: Vec<String>,
}

impl FileFacts {
    fn read(path: &Path) -> Option<FileFacts> {
        let text = read(path).ok()?;
        let (mut opened, mut closed) = (HashSet::new(), HashSet::new());
        for marker in text.lines().filter_map(anchor_marker) {
            let names = if marker.is_end {
                &mut closed
            } else {
                &mut opened
            };
            names.insert(marker.name.to_string());
        }
        Some(FileFacts {
            lines: text.lines().count(),
            anchors: opened.intersection(&closed).cloned().collect(),
            text: text.lines().map(str::to_string).collect(),
        })
    }

    /// Lines an include with this selection shows: marker lines never, and in a
    /// Rust block not rustdoc's hidden `# ` lines. A missing anchor or a bad
    /// range shows nothing here (the directive check reports it).
    fn shown(&self, selection: &Selection, rust: bool) -> usize {
        let selected: &[String] = match *selection {
            Selection::Whole => &self.text,
            Selection::Anchor(anchor) => {
                let start = self.text.iter().position(|line| {
                    anchor_marker(line)
                        .is_some_and(|m| !m.is_end && m.name == anchor)
                });
                let Some(start) = start else { return 0 };
                let end = self.text[start..].iter().position(|line| {
                    anchor_marker(line).is_some_and(|m| m.is_end && m.name == anchor)
                });
                let Some(end) = end else { return 0 };
                &self.text[start + 1..start + end]
            }
            Selection::Lines { start, end } => {
                let start = start.unwrap_or(1).max(1) - 1;
                let end = end.unwrap_or(self.lines).min(self.lines);
                self.text.get(start..end).unwrap_or(&[])
            }
        };
        selected
            .iter()
            .filter(|line| anchor_marker(line).is_none())
            .filter(|line| !(rust && is_hidden_rust_line(line)))
            .count()
    }
}

/// A line that mdBook hides in a Rust code block: `#` alone or `# ` first,
/// after indentation (`#[attr]` and `#!` stay shown).
fn is_hidden_rust_line(line: &str) -> bool {
    let line = line.trim_start();
    line == "#" || line.starts_with("# ")
}

// ---- Code blocks and directives -------------------------------------------

fn is_rust_info(info: &str) -> bool {
    let mut words = info
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|word| !word.is_empty());
    let Some(first) = words.next() else {
        return false;
    };
    RUST_ATTRIBUTES.contains(&first)
        || first.starts_with("hidelines=")
        || first == "rust"
        || words.any(|word| word == "rust")
}

/// Whether a code block line is exactly one `{{#include}}` or `{{#rustdoc_include}}`.
fn is_include_line(line: &str) -> bool {
    let line = line.trim();
    matches!(
        markdown::directives(line).as_slice(),
        [d] if d.span == (0..line.len()) && d.kind != DirectiveKind::Playground
    )
}

enum Selection<'a> {
    Whole,
    Anchor(&'a str),
    /// 1-based inclusive lines; a missing bound means the start or end of file.
    Lines {
        start: Option<usize>,
        end: Option<usize>,
    },
}

struct Target<'a> {
    file: &'a str,
    selection: Selection<'a>,
    /// The selection as written after the first `:`, for messages.
    written: &'a str,
}

/// The file and selection a directive names.
fn parse_directive<'a>(directive: &Directive<'a>) -> Result<Target<'a>, Kind> {
    let name = directive.kind.name();
    let args = directive.args.ok_or(Kind::UnterminatedDirective(name))?;
    let path = args
        .split_whitespace()
        .next()
        .ok_or(Kind::DirectiveWithoutPath(name))?;
    let (file, written) = match directive.kind {
        // Playground takes no anchor or range.
        DirectiveKind::Playground => (path, ""),
        _ => path.split_once(':').unwrap_or((path, "")),
    };
    if file.is_empty() {
        return Err(Kind::DirectiveWithoutPath(name));
    }
    let selection = parse_selection(written)?;
    Ok(Target {
        file,
        selection,
        written,
    })
}

/// Parses what follows `FILE:` the way mdBook does: `anchor`, `N`, `START:END`,
/// `START:` or `:END`.
fn parse_selection(written: &str) -> Result<Selection<'_>, Kind> {
    let number = |s: &str| match s {
        "" => Ok(None),
        _ => s
            .parse()
            .map(Some)
            .map_err(|_| Kind::BadSelection(written.to_string())),
    };
    match written.split(':').collect::<Vec<_>>().as_slice() {
        [""] => Ok(Selection::Whole),
        [single] => match single.parse() {
            Ok(line) => Ok(Selection::Lines {
                start: Some(line),
                end: Some(line),
            }),
            Err(_) => Ok(Selection::Anchor(single)),
        },
        [start, end] => Ok(Selection::Lines {
            start: number(start)?,
            end: number(end)?,
        }),
        _ => Err(Kind::BadSelection(written.to_string())),
    }
}

// ---- Anchor markers -------------------------------------------------------

struct Marker<'a> {
    is_end: bool,
    name: &'a str,
}

/// Finds an `ANCHOR: name` or `ANCHOR_END: name` marker anywhere in a line,
/// which is how mdBook finds them (usually written as `// ANCHOR: name`).
fn anchor_marker(line: &str) -> Option<Marker<'_>> {
    let (is_end, after) = match line.split_once("ANCHOR_END:") {
        Some((_, after)) => (true, after),
        None => (false, line.split_once("ANCHOR:")?.1),
    };
    let name = after.split_whitespace().next().unwrap_or("");
    Some(Marker { is_end, name })
}

fn is_anchor_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

// ---- Files and paths ------------------------------------------------------

/// Files under `root/dir` with one of `extensions`, relative to `root`, in a
/// stable order. Skips `target/` build directories; a missing `dir` is empty.
fn files_under(
    root: &Path,
    dir: &Path,
    extensions: &[&str],
) -> Result<Vec<PathBuf>, String> {
    let full = root.join(dir);
    if !full.is_dir() {
        return Ok(Vec::new());
    }
    let error = |e: io::Error| format!("{}: {e}", full.display());
    let mut entries = fs::read_dir(&full)
        .and_then(|entries| entries.collect::<io::Result<Vec<_>>>())
        .map_err(error)?;
    entries.sort_by_key(|entry| entry.file_name());
    let mut files = Vec::new();
    for entry in entries {
        let path = dir.join(entry.file_name());
        if entry.file_type().map_err(error)?.is_dir() {
            if entry.file_name() != "target" {
                files.extend(files_under(root, &path, extensions)?);
            }
        } else if has_extension(&path, extensions) {
            files.push(path);
        }
    }
    Ok(files)
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .is_some_and(|ext| extensions.iter().any(|wanted| ext == *wanted))
}

/// The file's text, bytes that are not UTF-8 replaced (it is still checked).
fn read(path: &Path) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Resolves `.` and `..` lexically, so `src/../listings/a.rs` is `listings/a.rs`.
fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(
                    normal.components().next_back(),
                    Some(Component::Normal(_))
                ) {
                    normal.pop();
                } else {
                    normal.push("..");
                }
            }
            other => normal.push(other),
        }
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chapter_that_cannot_be_read_stops_the_check_naming_it() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("src")).unwrap();
        let chapter = root.path().join("src/gone.md");
        std::os::unix::fs::symlink(root.path().join("nowhere"), &chapter).unwrap();
        let error = check(root.path()).unwrap_err();
        assert!(
            error.starts_with(&format!("{}: ", chapter.display())),
            "{error}"
        );
    }

    #[test]
    fn normalize_resolves_parent_components() {
        let cases = [
            ("src/sub/../../listings/a.rs", "listings/a.rs"),
            ("src/./ch.md", "src/ch.md"),
            ("src/../../outside.rs", "../outside.rs"),
        ];
        for (path, expected) in cases {
            assert_eq!(normalize(Path::new(path)), Path::new(expected), "{path}");
        }
    }

    #[test]
    fn rust_info_strings() {
        for info in [
            "rust",
            "rust,noplayground",
            "ignore",
            "edition2021",
            "hidelines=#",
        ] {
            assert!(is_rust_info(info), "{info}");
        }
        for info in ["", "text", "console", "toml", "rusty", "sh,ignore"] {
            assert!(!is_rust_info(info), "{info}");
        }
        assert!(is_rust_info("no_run, rust"));
    }

    #[test]
    fn include_lines() {
        assert!(is_include_line("  {{#include ../a.rs:x}}  "));
        assert!(is_include_line("{{#rustdoc_include ../a.rs}}"));
        assert!(!is_include_line("{{#include ../a.rs}} // trailing"));
        assert!(!is_include_line("{{#include a.rs}}{{#include b.rs}}"));
        assert!(!is_include_line("{{#playground a.rs}}"));
        assert!(!is_include_line("fn main() {}"));
    }
}
