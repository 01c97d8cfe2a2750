//! `booktools check-wording`: the book says things in its own words. A run of
//! [`RUN`] or more words that also stands in one of the source articles, in a
//! chapter's prose or an inventory statement's `says`, is an error unless it
//! is quoted ("…" or “…”): a statement under examination may be quoted, with
//! its source, where its exact wording is what the verdict judges. Code spans,
//! code blocks, markers and HTML are not prose and are not compared.
//!
//! The articles are not part of the repository (they are someone else's
//! text); the check reads them from a directory of `.txt` files, by default
//! [`DEFAULT_SOURCES`], and says plainly that it compared nothing when that
//! directory is missing.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::figures::{BookText, Document, Problem};
use crate::markdown::{GAP, line_of, prose};

/// Where CI finds the articles, relative to the repository root.
pub const DEFAULT_SOURCES: &str = "../shared/sources";

/// How many words in a row make a shared run.
pub const RUN: usize = 6;

/// Quoted text, which may repeat an article word for word.
static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""[^"]*"|“[^”]*”"#).expect("the quotation pattern compiles")
});

/// A word: letters, digits and apostrophes, plain or typographic.
static WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[a-z0-9'\u{2019}]+").expect("the word pattern compiles")
});

/// The words of `text` (lower-cased already), each with its byte offset in
/// `text`, typographic apostrophes made plain.
fn words(text: &str) -> Vec<(usize, String)> {
    WORD.find_iter(text)
        .map(|m| {
            let word = m.as_str().replace('\u{2019}', "'");
            (m.start(), word.trim_matches('\'').to_string())
        })
        .filter(|(_, w)| !w.is_empty())
        .collect()
}

/// ASCII lower case keeps every byte offset, so lines can still be found.
fn normalise(text: &str) -> String {
    text.to_ascii_lowercase()
}

/// Every run of [`RUN`] words in the articles, with the article's file name.
pub struct Articles {
    runs: BTreeMap<Vec<String>, String>,
    names: Vec<String>,
}

impl Articles {
    /// Reads every `.txt` file of `dir`. `Ok(None)` when `dir` does not exist.
    pub fn read(dir: &Path) -> Result<Option<Articles>, String> {
        if !dir.exists() {
            return Ok(None);
        }
        let mut articles = Articles {
            runs: BTreeMap::new(),
            names: Vec::new(),
        };
        for name in crate::files::names_in(dir, "txt")? {
            articles.add(&name, &crate::files::read(&dir.join(&name))?);
        }
        if articles.names.is_empty() {
            return Err(format!("{} holds no .txt article", dir.display()));
        }
        Ok(Some(articles))
    }

    /// Adds one article's text under `name`.
    pub fn add(&mut self, name: &str, text: &str) {
        let text = normalise(text);
        let words: Vec<String> = words(&text).into_iter().map(|(_, w)| w).collect();
        for window in words.windows(RUN) {
            self.runs
                .entry(window.to_vec())
                .or_insert_with(|| name.to_string());
        }
        self.names.push(name.to_string());
    }

    /// Articles made from texts, for tests.
    pub fn from_texts(texts: &[(&str, &str)]) -> Articles {
        let mut articles = Articles {
            runs: BTreeMap::new(),
            names: Vec::new(),
        };
        for (name, text) in texts {
            articles.add(name, text);
        }
        articles
    }
}

/// A run of words a document shares with an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    pub file: String,
    pub line: usize,
    pub words: String,
    pub article: String,
}

/// The shared runs of one document; overlapping windows make one run.
fn shared_in(document: &Document, articles: &Articles) -> Vec<Shared> {
    let mut found = Vec::new();
    for run in prose(document.markdown) {
        let mut text = normalise(&run.text);
        // Quoted text is cut out, so no run can start before a quotation and end after it.
        let quoted: Vec<(usize, usize)> = QUOTED
            .find_iter(&text)
            .map(|m| (m.start(), m.end()))
            .collect();
        for (start, end) in quoted {
            text.replace_range(start..end, &GAP.to_string().repeat(end - start));
        }
        // Code spans and markers (GAP) break a run as well.
        let mut segment_start = 0;
        for segment in text.split(GAP) {
            let words = words(segment);
            let mut window = 0;
            while window + RUN <= words.len() {
                let key: Vec<String> = words[window..window + RUN]
                    .iter()
                    .map(|(_, w)| w.clone())
                    .collect();
                let Some(article) = articles.runs.get(&key) else {
                    window += 1;
                    continue;
                };
                // Extend over every following window that is shared too.
                let mut last = window + RUN;
                while last < words.len() {
                    let next: Vec<String> = words[last + 1 - RUN..=last]
                        .iter()
                        .map(|(_, w)| w.clone())
                        .collect();
                    if !articles.runs.contains_key(&next) {
                        break;
                    }
                    last += 1;
                }
                let offset = run.source_offset(segment_start + words[window].0);
                found.push(Shared {
                    file: document.file.to_string(),
                    line: document.first_line + line_of(document.markdown, offset),
                    words: words[window..last]
                        .iter()
                        .map(|(_, w)| w.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    article: article.clone(),
                });
                window = last;
            }
            segment_start += segment.len() + GAP.len_utf8();
        }
    }
    found
}

/// The shared runs in one Markdown text (for tests).
pub fn find_in_markdown(
    file: &str,
    markdown: &str,
    articles: &Articles,
) -> Vec<Shared> {
    let document = Document {
        file,
        markdown,
        first_line: 0,
    };
    shared_in(&document, articles)
}

/// What `check-wording` found.
#[derive(Debug, Default)]
pub struct Report {
    pub problems: Vec<Problem>,
    pub chapters: usize,
    pub statements: usize,
    /// `None` when the articles were not found (nothing compared).
    pub articles: Option<Vec<String>>,
}

/// Compares the book under `root` with the articles in `sources`.
pub fn check(root: &Path, sources: &Path) -> Result<Report, String> {
    let book = BookText::read(root)?;
    let Some(articles) = Articles::read(sources)? else {
        return Ok(Report {
            chapters: book.chapters(),
            statements: book.statements(),
            ..Report::default()
        });
    };
    let mut seen = HashSet::new();
    let problems = book
        .documents()
        .iter()
        .flat_map(|d| shared_in(d, &articles))
        .filter(|s| seen.insert((s.file.clone(), s.line, s.words.clone())))
        .map(|s| Problem {
            file: s.file,
            line: s.line,
            message: format!(
                "\"{}\" stands word for word in the source article {}: say it in the \
                 book's own words, or quote it briefly (in quotation marks) with its source",
                s.words, s.article
            ),
        })
        .collect();
    Ok(Report {
        problems,
        chapters: book.chapters(),
        statements: book.statements(),
        articles: Some(articles.names),
    })
}

/// `booktools check-wording [SOURCES]`: prints each problem on stderr and a
/// summary on stdout. `Ok(false)` when problems were found.
pub fn run(root: &Path, sources: &Path) -> Result<bool, String> {
    let report = check(root, sources)?;
    let Some(names) = &report.articles else {
        println!(
            "check-wording: skipped: no source articles at {} (CI has them there), so the \
             wording was not compared",
            sources.display()
        );
        return Ok(true);
    };
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    if report.problems.is_empty() {
        println!(
            "check-wording: no run of {RUN} words shared with {} in {} chapters and {} \
             inventory statements",
            names.join(", "),
            report.chapters,
            report.statements
        );
        Ok(true)
    } else {
        eprintln!(
            "error: check-wording: {} run(s) of {RUN} or more words shared with the articles; see above",
            report.problems.len()
        );
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const ARTICLE: &str = "Coroutines voluntarily yield control to each other, making them \
                           less resource-intensive compared to threads.";

    fn shared(markdown: &str) -> Vec<(usize, String)> {
        let articles = Articles::from_texts(&[("a.txt", ARTICLE)]);
        find_in_markdown("x.md", markdown, &articles)
            .into_iter()
            .map(|s| (s.line, s.words))
            .collect()
    }

    #[test]
    fn six_words_in_a_row_from_an_article_are_found_with_their_line() {
        let found = shared(
            "# Title\n\nHere coroutines voluntarily yield control to each other.\n",
        );
        assert_eq!(
            found,
            [(
                3,
                "coroutines voluntarily yield control to each other".to_string()
            )]
        );
    }

    #[test]
    fn five_words_in_a_row_are_not_a_run() {
        assert!(
            shared("Coroutines voluntarily yield control to nobody.\n").is_empty()
        );
    }

    #[test]
    fn a_run_is_found_across_a_line_break_and_regardless_of_case() {
        let found =
            shared("Text.\nCOROUTINES voluntarily yield\ncontrol to each.\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 2);
    }

    #[test]
    fn a_quoted_run_is_allowed_in_either_kind_of_quotation_marks() {
        assert!(
            shared("The article says \"coroutines voluntarily yield control to each other\".\n")
                .is_empty()
        );
        assert!(
            shared(
                "It says “coroutines voluntarily yield control to each other”.\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_quotation_cannot_be_the_middle_of_a_run() {
        // Words before and after a quotation do not join into one run.
        assert!(
            shared("coroutines voluntarily \"x\" yield control to each other\n")
                .is_empty()
        );
    }

    #[test]
    fn code_and_markers_are_not_prose() {
        assert!(
            shared("`coroutines voluntarily yield control to each other`\n")
                .is_empty()
        );
        assert!(
            shared(
                "```text\ncoroutines voluntarily yield control to each other\n```\n"
            )
            .is_empty()
        );
        assert!(
            shared("coroutines voluntarily yield {{#measured a/b}} control to each other\n")
                .is_empty()
        );
    }

    #[test]
    fn typographic_apostrophes_match_plain_ones() {
        let articles = Articles::from_texts(&[(
            "a.txt",
            "they don't require their own stack memory",
        )]);
        let found = find_in_markdown(
            "x.md",
            "They don\u{2019}t require their own stack memory.",
            &articles,
        );
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn a_missing_sources_directory_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            Articles::read(&dir.path().join("absent"))
                .unwrap()
                .is_none()
        );
        assert!(
            Articles::read(dir.path()).is_err(),
            "an empty directory is an error"
        );
    }

    #[test]
    fn the_check_reads_chapters_and_inventory_statements() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("src")).unwrap();
        fs::create_dir_all(root.path().join("inventory")).unwrap();
        fs::write(root.path().join("src/ch.md"), "# T\n\nOwn words only.\n")
            .unwrap();
        fs::write(
            root.path().join("inventory/ch.toml"),
            "[[statement]]\nid = \"x\"\n\nsays = \"Coroutines voluntarily yield control to each other.\"\n",
        )
        .unwrap();
        let sources = root.path().join("sources");
        fs::create_dir_all(&sources).unwrap();
        fs::write(sources.join("a.txt"), ARTICLE).unwrap();
        let report = check(root.path(), &sources).unwrap();
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert_eq!(report.problems[0].file, "inventory/ch.toml");
        assert_eq!(report.problems[0].line, 4);
        fs::write(
            root.path().join("inventory/ch.toml"),
            "[[statement]]\nid = \"x\"\nsays = \"Coroutines hand over the thread by choice.\"\n",
        )
        .unwrap();
        assert!(check(root.path(), &sources).unwrap().problems.is_empty());
    }
}
