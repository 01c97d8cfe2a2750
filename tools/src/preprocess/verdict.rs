//! `{{#verdict KIND: STATEMENT...}}`: the book's verdict boxes, and the check
//! that ties each box to the statements of `inventory/` it answers.
//!
//! A box is a plain blockquote whose first line is the marker:
//!
//! ```text
//! > {{#verdict holds-in-part: codemia-table-parallelism rehman-chart-parallel-execution}}
//! > The part about threads holds. ... Evidence: {{#test two_threads_run_at_the_same_instant}}.
//! ```
//!
//! KIND is `holds`, `holds-in-part` or `does-not-hold`. The marker becomes the
//! box's title, "Verdict: holds in part", and the blockquote a
//! `<div class="verdict verdict-holds-in-part">` with one anchor per statement,
//! `id="verdict-<statement id>"`, which the ledger and the at-a-glance page
//! link to. Only `introduction.md`, which explains the boxes, may show a box
//! that names no statement.
//!
//! [`check`] (part of [`inventory::check_static`], so both
//! `booktools check-inventory` and the `{{#ledger}}` marker, and with it
//! `mdbook build`, fail): every statement with a verdict is named by exactly
//! one box, in the chapter of its `section`, whose kind is its verdict; no
//! box names an unknown statement or one statement twice.

use std::collections::HashMap;
use std::path::Path;

use regex::Regex;

use crate::inventory::{self, BookIndex, Inventory, Problem, SRC, Verdict};

/// The three kinds a box can have, in the inventory's words.
pub const KINDS: [Verdict; 3] =
    [Verdict::Holds, Verdict::HoldsInPart, Verdict::DoesNotHold];

/// The one page that may show a box naming no statement (its examples).
pub const EXAMPLES_PAGE: &str = "introduction.md";

/// How the rendered box opens; [`close_boxes`] finds the boxes by it.
const OPEN: &str = "<div class=\"verdict verdict-";

/// The title a box of `kind` shows.
pub fn title(kind: Verdict) -> &'static str {
    match kind {
        Verdict::Holds => "Verdict: holds",
        Verdict::HoldsInPart => "Verdict: holds in part",
        Verdict::DoesNotHold => "Verdict: does not hold for Rust",
        Verdict::Pending => "Verdict: pending",
    }
}

/// The anchor of a statement's box: `verdict-<id>`.
pub fn anchor(statement: &str) -> String {
    format!("verdict-{statement}")
}

/// A marker's argument, `KIND: ID ID ...` (or `KIND` alone), parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec<'a> {
    pub kind: Verdict,
    pub ids: Vec<&'a str>,
}

/// Parses `holds: a b`; refuses an unknown kind, a malformed id, or an id
/// named twice.
pub fn parse_spec(argument: &str) -> Result<Spec<'_>, String> {
    let usage = "write `{{#verdict KIND: STATEMENT-ID ...}}`, KIND one of holds, \
                 holds-in-part, does-not-hold";
    let (kind, rest) = argument.split_once(':').unwrap_or((argument, ""));
    let kind = kind.trim();
    let kind = KINDS
        .into_iter()
        .find(|k| k.key() == kind)
        .ok_or_else(|| format!("`{kind}` is not a verdict: {usage}"))?;
    let mut ids: Vec<&str> = Vec::new();
    for id in rest.split_whitespace() {
        let valid = id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid || id.starts_with('-') {
            return Err(format!("`{id}` is not a statement id: {usage}"));
        }
        if ids.contains(&id) {
            return Err(format!(
                "names statement `{id}` twice: name each statement once"
            ));
        }
        ids.push(id);
    }
    Ok(Spec { kind, ids })
}

/// The replacement for the marker on `page`: the box's opening and title,
/// one line. [`close_boxes`] then turns the blockquote into the box.
pub fn render(argument: &str, page: Option<&Path>) -> Result<String, String> {
    let spec = parse_spec(argument)?;
    let examples = page.is_some_and(|p| p == Path::new(EXAMPLES_PAGE));
    if spec.ids.is_empty() && !examples {
        return Err(format!(
            "a verdict box names the statements it answers: write `{{{{#verdict {}: \
             STATEMENT-ID ...}}}}` (only {EXAMPLES_PAGE} may show one that names none)",
            spec.kind.key()
        ));
    }
    let key = spec.kind.key();
    let id = spec
        .ids
        .first()
        .map(|first| format!(" id=\"{}\"", anchor(first)))
        .unwrap_or_default();
    let more: String = spec
        .ids
        .iter()
        .skip(1)
        .map(|id| format!("<span id=\"{}\"></span>", anchor(id)))
        .collect();
    Ok(format!(
        "{OPEN}{key}\"{id}><p class=\"verdict-title\">{more}{}</p>",
        title(spec.kind)
    ))
}

/// Turns each blockquote that opens with a rendered verdict marker into its
/// box: the opening line without its `> `, the blockquote's other lines
/// without theirs, then `</div>`. Run on a chapter after its markers are
/// replaced.
pub fn close_boxes(content: &str) -> String {
    if !content.contains(OPEN) {
        return content.to_string();
    }
    let mut out = String::with_capacity(content.len() + 64);
    let mut lines = content.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let Some(opening) = line.strip_prefix("> ").filter(|l| l.starts_with(OPEN))
        else {
            out.push_str(line);
            continue;
        };
        out.push_str(opening.trim_end());
        out.push_str("\n\n");
        while let Some(body) = lines.next_if(|l| l.starts_with('>')) {
            let body = &body[1..];
            out.push_str(body.strip_prefix(' ').unwrap_or(body));
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("\n</div>\n\n");
    }
    out
}

// ----------------------------------------------------------------- the check

/// One verdict marker found in a chapter's source.
#[derive(Debug, Clone)]
pub struct FoundBox {
    /// `src/ch02-scheduling.md`, for messages.
    pub file: String,
    /// Relative to src/: `ch02-scheduling.md`.
    pub chapter: String,
    /// 1-based line of the marker.
    pub line: usize,
    /// The kind and ids, or why the marker is malformed.
    pub spec: Result<(Verdict, Vec<String>), String>,
    /// Whether the marker is the whole first line of a blockquote.
    pub opens_blockquote: bool,
    /// The `{{#test NAME}}` markers in the box, with their lines.
    pub tests: Vec<(usize, String)>,
}

fn verdict_marker() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(\\?)\{\{\s*#verdict(?:\s+([^}]*))?\}\}").expect("valid regex")
    })
}

fn test_marker() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(\\?)\{\{\s*#test\s+([^}\s]+)\s*\}\}").expect("valid regex")
    })
}

/// The verdict markers of one chapter's source `text` (escaped ones,
/// `\{{#verdict ...}}`, are text, not boxes).
pub fn boxes_in(chapter: &str, text: &str) -> Vec<FoundBox> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        for caps in verdict_marker().captures_iter(line) {
            if !caps[1].is_empty() {
                continue;
            }
            let argument = caps.get(2).map_or("", |m| m.as_str()).trim();
            let spec = parse_spec(argument).map(|spec| {
                (
                    spec.kind,
                    spec.ids.iter().map(ToString::to_string).collect(),
                )
            });
            let whole = caps.get(0).expect("match").as_str();
            let first = index == 0 || !lines[index - 1].starts_with('>');
            let opens_blockquote = first
                && line.trim_end().strip_prefix("> ").map(str::trim_start)
                    == Some(whole);
            let mut tests = Vec::new();
            for (offset, body) in lines[index + 1..]
                .iter()
                .take_while(|l| l.starts_with('>'))
                .enumerate()
            {
                for caps in test_marker().captures_iter(body) {
                    if caps[1].is_empty() {
                        tests.push((index + 2 + offset, caps[2].to_string()));
                    }
                }
            }
            found.push(FoundBox {
                file: format!("{SRC}/{chapter}"),
                chapter: chapter.to_string(),
                line: index + 1,
                spec,
                opens_blockquote,
                tests,
            });
        }
    }
    found
}

/// Every verdict box of the chapters SUMMARY.md links, in SUMMARY order.
pub fn boxes(root: &Path, book: &mut BookIndex) -> Result<Vec<FoundBox>, String> {
    let chapters: Vec<String> =
        book.summary(root)?.iter().map(|e| e.path.clone()).collect();
    let mut found = Vec::new();
    for chapter in chapters {
        let path = root.join(SRC).join(&chapter);
        // A missing chapter is reported by the section check.
        if let Ok(text) = std::fs::read_to_string(&path) {
            found.extend(boxes_in(&chapter, &text));
        }
    }
    Ok(found)
}

fn book_problem(found: &FoundBox, message: String) -> Problem {
    Problem {
        file: found.file.clone(),
        line: found.line,
        id: None,
        message,
    }
}

/// The problems between the boxes and the inventory; see the module comment.
pub fn check(
    root: &Path,
    inventory: &Inventory,
    book: &mut BookIndex,
) -> Vec<Problem> {
    let found = match boxes(root, book) {
        Ok(found) => found,
        // SUMMARY.md problems are reported by the section check.
        Err(_) => return Vec::new(),
    };
    // An id used twice is reported by check_static; the first one counts.
    let mut statements: HashMap<&str, &inventory::Statement> = HashMap::new();
    for s in &inventory.statements {
        statements.entry(s.id.value.as_str()).or_insert(s);
    }
    let mut problems = Vec::new();
    // statement id → the box (file, line) that names it first
    let mut named: HashMap<String, (String, usize)> = HashMap::new();
    for b in &found {
        let (kind, ids) = match &b.spec {
            Ok(spec) => spec,
            Err(message) => {
                problems
                    .push(book_problem(b, format!("{{{{#verdict}}}}: {message}")));
                continue;
            }
        };
        if !b.opens_blockquote {
            problems.push(book_problem(
                b,
                "a `{{#verdict ...}}` marker is the whole first line of a blockquote: \
                 `> {{#verdict KIND: ID ...}}`, the box's text on the `> ` lines below"
                    .to_string(),
            ));
        }
        if ids.is_empty() && b.chapter != EXAMPLES_PAGE {
            problems.push(book_problem(
                b,
                format!(
                    "the verdict box names no statement: list the ids of the statements it \
                     answers (only {EXAMPLES_PAGE} may show one that names none)"
                ),
            ));
        }
        for id in ids {
            let Some(statement) = statements.get(id.as_str()) else {
                problems.push(book_problem(
                    b,
                    format!(
                        "the verdict box names `{id}`, which no statement of {}/*.toml has",
                        inventory::DIR
                    ),
                ));
                continue;
            };
            if let Some((file, line)) = named.get(id) {
                problems.push(book_problem(
                    b,
                    format!(
                        "statement `{id}` is named by two verdict boxes, this one and \
                         {file}:{line}: a statement has one box"
                    ),
                ));
                continue;
            }
            named.insert(id.clone(), (b.file.clone(), b.line));
            if let Some(section) = &statement.section
                && book.check_section(root, &section.value).is_ok()
                && let Ok((chapter, _)) = inventory::split_section(&section.value)
                && chapter != b.chapter
            {
                problems.push(Problem {
                    file: statement.file.clone(),
                    line: section.line,
                    id: Some(id.clone()),
                    message: format!(
                        "section `{}` is in {SRC}/{chapter}, but its verdict box is at \
                         {}:{}: the box is in the chapter of the section",
                        section.value, b.file, b.line
                    ),
                });
            }
            if statement.verdict().is_some() && statement.verdict() != Some(*kind) {
                problems.push(Problem {
                    file: statement.file.clone(),
                    line: statement.verdict.line,
                    id: Some(id.clone()),
                    message: format!(
                        "verdict `{}`, but its verdict box at {}:{} says `{}`: make them agree",
                        statement.verdict.value,
                        b.file,
                        b.line,
                        kind.key()
                    ),
                });
            }
        }
    }
    for s in &inventory.statements {
        let answered = matches!(s.verdict(), Some(v) if v != Verdict::Pending);
        if answered && !named.contains_key(&s.id.value) {
            let chapter = s
                .section
                .as_ref()
                .and_then(|sec| inventory::split_section(&sec.value).ok())
                .map_or("its chapter", |(chapter, _)| chapter);
            problems.push(Problem {
                file: s.file.clone(),
                line: s.id.line,
                id: Some(s.id.value.clone()),
                message: format!(
                    "has verdict `{}` but no verdict box names it: add `{}` to the \
                     `{{{{#verdict ...}}}}` of the box in {chapter} that answers it",
                    s.verdict.value, s.id.value
                ),
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_refuse_what_is_wrong() {
        assert_eq!(
            parse_spec("holds-in-part: a-b c").unwrap(),
            Spec {
                kind: Verdict::HoldsInPart,
                ids: vec!["a-b", "c"]
            }
        );
        assert_eq!(parse_spec("holds").unwrap().ids, Vec::<&str>::new());
        assert!(
            parse_spec("pending: a")
                .unwrap_err()
                .contains("not a verdict")
        );
        assert!(parse_spec("holds: a a").unwrap_err().contains("twice"));
        assert!(
            parse_spec("holds: A_b")
                .unwrap_err()
                .contains("not a statement id")
        );
    }

    #[test]
    fn a_box_gets_a_title_a_class_and_one_anchor_per_statement() {
        let opening = render("does-not-hold: a b", None).unwrap();
        assert_eq!(
            opening,
            "<div class=\"verdict verdict-does-not-hold\" id=\"verdict-a\">\
             <p class=\"verdict-title\"><span id=\"verdict-b\"></span>\
             Verdict: does not hold for Rust</p>"
        );
        let text =
            format!("x\n\n> {opening}\n> One *two*.\n>\n> - three\n\nafter\n");
        assert_eq!(
            close_boxes(&text),
            format!(
                "x\n\n{opening}\n\nOne *two*.\n\n- three\n\n</div>\n\n\nafter\n"
            )
        );
    }

    #[test]
    fn only_the_introduction_may_name_no_statement() {
        assert!(render("holds", Some(Path::new("introduction.md"))).is_ok());
        let error = render("holds", Some(Path::new("ch02.md"))).unwrap_err();
        assert!(error.contains("names the statements it answers"), "{error}");
    }

    #[test]
    fn boxes_are_found_with_their_tests_and_escapes_are_not() {
        let text = "# T\n\n> {{#verdict holds: a}}\n> Evidence: {{#test t_one}}, \
                    \\{{#test no}}.\n\nText \\{{#verdict holds: b}}.\n\n\
                    Not a box {{#verdict holds: c}}\n";
        let found = boxes_in("ch.md", text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].line, 3);
        assert!(found[0].opens_blockquote);
        assert_eq!(found[0].tests, [(4, "t_one".to_string())]);
        assert_eq!(found[1].line, 8);
        assert!(!found[1].opens_blockquote);
    }
}
