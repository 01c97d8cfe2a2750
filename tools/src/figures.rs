//! `booktools check-figures`: no measured-looking figure is typed into the
//! book. A number followed by a unit of time, size or ratio (`30 µs`, `2 KiB`,
//! `84x`, `10 times`, `5%`) in a chapter's prose or in an inventory
//! statement's `says` is an error unless the one exceptions file,
//! [`EXCEPTIONS`], excuses it with a reason. Figures the book measures come
//! from markers (`{{#measured ID}}`, `{{#ratio A B}}`, `{{#claim ID}}`), which
//! are not prose, and neither are code spans, code blocks and included listings.
//!
//! Prose is read by `markdown::prose`, on mdBook's own parser.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::markdown::{GAP, line_of, prose};

/// The one file of excused figures, relative to the repository root.
pub const EXCEPTIONS: &str = "measurements/typed-figures.toml";

/// A number, an optional space, a unit, and no letter after it.
static FIGURE: LazyLock<Regex> = LazyLock::new(|| {
    let number = r"\d(?:[\d,_\u{2009}\u{202f}]*\d)?(?:\.\d+)?";
    let space = r"[ \u{a0}\u{2009}\u{202f}]?";
    let words = "(?i:nanoseconds?|microseconds?|milliseconds?|seconds?|secs?|minutes?|mins?\
                 |hours?|bytes?|kilobytes?|megabytes?|gigabytes?|times|percent|per cent)";
    let symbols = "ns|µs|μs|us|ms|s|KiB|MiB|GiB|TiB|KB|kB|MB|GB|TB|B|x|×|%";
    Regex::new(&format!(
        r"(?P<figure>{number}{space}(?:{words}|{symbols}))(?:[^\w]|$)"
    ))
    .expect("the figure pattern compiles")
});

/// A typed figure: where it is, what it is, and the prose around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub file: String,
    pub line: usize,
    pub figure: String,
    pub context: String,
}

/// A problem `check-figures` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}:{}: {}", self.file, self.line, self.message)
    }
}

/// One entry of the exceptions file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exception {
    file: Spanned<String>,
    /// The prose as typed (without markup), containing the figure.
    text: String,
    /// Why this figure may be typed: whose figure it is, or why it is no measurement.
    reason: String,
    /// Where the figure comes from, for a published one.
    #[serde(default)]
    #[allow(dead_code)] // read by people, required by nobody
    source: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionsFile {
    #[serde(default)]
    figure: Vec<Exception>,
}

/// A typed figure inside one run of prose: its byte range in the run's text.
struct Hit {
    start: usize,
    end: usize,
}

fn hits(text: &str) -> Vec<Hit> {
    FIGURE
        .captures_iter(text)
        .filter_map(|c| c.name("figure"))
        .filter(|m| {
            // A number glued to a word or a version (`ch04`, `x86`, `1.2.3`) is no figure.
            !text[..m.start()]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        })
        .map(|m| Hit {
            start: m.start(),
            end: m.end(),
        })
        .collect()
}

/// A few words either side of the hit, markers and code shown as `…`.
fn context(text: &str, hit: &Hit) -> String {
    const WORDS: usize = 5;
    let collapse = |s: &str| {
        let mut out = String::new();
        for c in s.chars() {
            if c != GAP {
                out.push(c);
            } else if !out.ends_with('…') {
                out.push('…');
            }
        }
        out
    };
    let before = collapse(&text[..hit.start]);
    let after = collapse(&text[hit.end..]);
    let before: Vec<&str> = before.split(' ').collect();
    let before = before[before.len().saturating_sub(WORDS + 1)..].join(" ");
    let after: Vec<&str> = after.split(' ').take(WORDS + 1).collect();
    let shown = format!("{before}{}{}", &text[hit.start..hit.end], after.join(" "));
    shown.trim().to_string()
}

/// A document to scan: a chapter, or one `says` of an inventory file.
pub(crate) struct Document<'a> {
    pub(crate) file: &'a str,
    pub(crate) markdown: &'a str,
    /// Added to every line found in `markdown` (0 for a whole file).
    pub(crate) first_line: usize,
}

/// Scans `documents`, excusing the figures `exceptions` cover; returns the
/// typed figures left and, for each exception, whether it excused any.
fn scan(
    documents: &[Document],
    exceptions: &[Exception],
) -> (Vec<Found>, Vec<bool>) {
    let mut found = Vec::new();
    let mut used = vec![false; exceptions.len()];
    for document in documents {
        for run in prose(document.markdown) {
            // Where this run's text contains an exception of this file.
            let mut excused: Vec<(usize, usize, usize)> = Vec::new();
            for (index, exception) in exceptions.iter().enumerate() {
                if exception.file.get_ref() != document.file
                    || exception.text.is_empty()
                {
                    continue;
                }
                for (at, _) in run.text.match_indices(exception.text.as_str()) {
                    excused.push((at, at + exception.text.len(), index));
                }
            }
            for hit in hits(&run.text) {
                let cover = excused
                    .iter()
                    .find(|(start, end, _)| *start <= hit.start && hit.end <= *end);
                if let Some((_, _, index)) = cover {
                    used[*index] = true;
                    continue;
                }
                let offset = run.source_offset(hit.start);
                found.push(Found {
                    file: document.file.to_string(),
                    line: document.first_line + line_of(document.markdown, offset),
                    figure: run.text[hit.start..hit.end].to_string(),
                    context: context(&run.text, &hit),
                });
            }
        }
    }
    (found, used)
}

/// The typed figures in one Markdown text, none excused (for tests and tools).
pub fn find_in_markdown(file: &str, markdown: &str) -> Vec<Found> {
    let documents = [Document {
        file,
        markdown,
        first_line: 0,
    }];
    scan(&documents, &[]).0
}

#[derive(Deserialize)]
struct InventoryFile {
    #[serde(default)]
    statement: Vec<InventoryStatement>,
}

#[derive(Deserialize)]
struct InventoryStatement {
    says: Spanned<String>,
}

/// What `check-figures` found: problems, and how much it read.
#[derive(Debug, Default)]
pub struct Report {
    pub problems: Vec<Problem>,
    pub chapters: usize,
    pub statements: usize,
    pub exceptions: usize,
}

/// The prose the checks read: every chapter (`src/*.md`, by path relative
/// to the root) and every `says` of `inventory/*.toml`.
pub(crate) struct BookText {
    pub(crate) texts: BTreeMap<String, String>,
    says: Vec<(String, Spanned<String>)>,
}

impl BookText {
    /// Reads the book under `root`. `Err` for files that cannot be read or parsed.
    pub(crate) fn read(root: &Path) -> Result<BookText, String> {
        let mut texts: BTreeMap<String, String> = BTreeMap::new();
        for (dir, extension) in [
            (crate::inventory::SRC, "md"),
            (crate::inventory::DIR, "toml"),
        ] {
            for name in crate::files::names_in(&root.join(dir), extension)? {
                let file = format!("{dir}/{name}");
                let text = fs::read_to_string(root.join(&file))
                    .map_err(|e| format!("cannot read {file}: {e}"))?;
                texts.insert(file, text);
            }
        }
        let mut says: Vec<(String, Spanned<String>)> = Vec::new();
        for (file, text) in &texts {
            if file.ends_with(".toml") {
                let parsed: InventoryFile = toml::from_str(text)
                    .map_err(|e| format!("{file}: {}", e.message().trim_end()))?;
                says.extend(
                    parsed.statement.into_iter().map(|s| (file.clone(), s.says)),
                );
            }
        }
        Ok(BookText { texts, says })
    }

    /// The chapters first, then one document per `says`.
    pub(crate) fn documents(&self) -> Vec<Document<'_>> {
        let mut documents: Vec<Document> = self
            .texts
            .iter()
            .filter(|(file, _)| file.ends_with(".md"))
            .map(|(file, text)| Document {
                file,
                markdown: text,
                first_line: 0,
            })
            .collect();
        for (file, value) in &self.says {
            let line = line_of(&self.texts[file], value.span().start);
            documents.push(Document {
                file,
                markdown: value.get_ref(),
                first_line: line - 1,
            });
        }
        documents
    }

    pub(crate) fn chapters(&self) -> usize {
        self.texts.keys().filter(|f| f.ends_with(".md")).count()
    }

    pub(crate) fn statements(&self) -> usize {
        self.says.len()
    }
}

/// Checks `src/*.md` and the `says` of `inventory/*.toml` under `root`.
/// `Err` for files that cannot be read or parsed.
pub fn check(root: &Path) -> Result<Report, String> {
    let book = BookText::read(root)?;
    let documents = book.documents();

    let exceptions_path = crate::under(root, Path::new(EXCEPTIONS));
    let exceptions_text =
        crate::files::read_if_present(&exceptions_path)?.unwrap_or_default();
    let exceptions = toml::from_str::<ExceptionsFile>(&exceptions_text)
        .map_err(|e| {
            let line = crate::files::toml_error_line(&exceptions_text, &e);
            format!("{EXCEPTIONS}:{line}: {}", e.message().trim_end())
        })?
        .figure;

    let (found, used) = scan(&documents, &exceptions);
    let mut problems: Vec<Problem> = found
        .into_iter()
        .map(|f| Problem {
            file: f.file,
            line: f.line,
            message: format!(
                "typed figure `{}` in \"{}\": show a measured figure with a marker \
                 ({{{{#measured ID}}}}, {{{{#ratio A B}}}}, {{{{#claim ID}}}}), reword it, or \
                 excuse it with its reason in {EXCEPTIONS}",
                f.figure, f.context
            ),
        })
        .collect();
    for (exception, used) in exceptions.iter().zip(used) {
        let line = line_of(&exceptions_text, exception.file.span().start);
        let mut complain = |message: String| {
            problems.push(Problem {
                file: EXCEPTIONS.to_string(),
                line,
                message,
            })
        };
        if exception.reason.trim().is_empty() {
            complain(format!(
                "the exception for \"{}\" gives no reason",
                exception.text
            ));
        }
        if !used {
            complain(format!(
                "the exception for \"{}\" in {} excuses no typed figure there any more: \
                 remove it (or fix its text: prose as typed, without markup)",
                exception.text,
                exception.file.get_ref()
            ));
        }
    }
    Ok(Report {
        problems,
        chapters: book.chapters(),
        statements: book.statements(),
        exceptions: exceptions.len(),
    })
}

/// `booktools check-figures [ROOT]`: prints each problem on stderr and a
/// summary on stdout. `Ok(false)` when problems were found.
pub fn run(root: &Path) -> Result<bool, String> {
    let report = check(root)?;
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    if report.problems.is_empty() {
        println!(
            "check-figures: no typed figure in {} chapters and {} inventory statements \
             ({} excused in {EXCEPTIONS}, each still in use)",
            report.chapters, report.statements, report.exceptions
        );
        Ok(true)
    } else {
        eprintln!(
            "error: check-figures: {} problem(s); see above",
            report.problems.len()
        );
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(markdown: &str) -> Vec<(usize, String)> {
        find_in_markdown("x.md", markdown)
            .into_iter()
            .map(|f| (f.line, f.figure))
            .collect()
    }

    #[test]
    fn numbers_with_units_of_time_size_and_ratio_are_found() {
        let text = "A spawn took 30 µs, a task 0.4us and 372 ns.\n\
                    It used 9.6 KiB, 480 B, 2 MB and 1,024 bytes.\n\
                    That is 84x, 20× or 10 times cheaper; 5% of 3 seconds and 2 minutes.\n\
                    Also 1.5&nbsp;ms here.";
        assert_eq!(
            figures(text),
            [
                (1, "30 µs"),
                (1, "0.4us"),
                (1, "372 ns"),
                (2, "9.6 KiB"),
                (2, "480 B"),
                (2, "2 MB"),
                (2, "1,024 bytes"),
                (3, "84x"),
                (3, "20×"),
                (3, "10 times"),
                (3, "5%"),
                (3, "3 seconds"),
                (3, "2 minutes"),
                (4, "1.5\u{a0}ms"),
            ]
            .map(|(l, f)| (l, f.to_string()))
        );
    }

    #[test]
    fn counts_versions_words_code_and_markers_are_not_figures() {
        let text = "# Chapter 4\n\n\
                    tokio's budget is 128 polls; 3 sources, 2 threads, x86_64, ch04, \
                    Rust 1.95, 0x1f, v1.2.3 s, 64-bit.\n\n\
                    The code `sleep(10 ms)` and {{#measured spawn/thread}} and \
                    {{#ratio a b}} times and {{#claim c}}.\n\n\
                    ```console\n$ took 30 µs\n```\n\n\
                    ```rust,noplayground\n{{#rustdoc_include ../listings/a.rs:x}}\n```\n\n\
                    <div>no 5 ms in raw HTML</div>\n\n\
                    [link](https://example.com/10ms) and a sentence ending in 3.\n";
        assert_eq!(figures(text), []);
    }

    #[test]
    fn a_figure_split_by_emphasis_or_a_line_break_is_still_found() {
        assert_eq!(
            figures("The *30* µs\nand 2\nKiB and a **5 s** nap."),
            [(1, "30 µs"), (2, "2 KiB"), (3, "5 s")]
                .map(|(l, f)| (l, f.to_string()))
        );
    }

    #[test]
    fn a_figure_cannot_be_made_of_prose_and_code_together() {
        assert_eq!(figures("Repeat it 2`*n` times, or 3<sup>k</sup> ms."), []);
    }

    #[test]
    fn tables_headings_and_lists_are_prose() {
        let text =
            "## At 5 ms\n\n| a | b |\n|---|---|\n| 3 s | x |\n\n- one 2 KiB\n";
        assert_eq!(
            figures(text),
            [(1, "5 ms"), (5, "3 s"), (7, "2 KiB")].map(|(l, f)| (l, f.to_string()))
        );
    }

    #[test]
    fn the_context_shows_the_prose_around_the_figure() {
        let found = find_in_markdown(
            "x.md",
            "Spawning costs {{#measured a}} or about 30 µs.",
        );
        assert_eq!(found[0].context, "Spawning costs … or about 30 µs.");
    }
}
