//! `{{#diagram NAME}}`: the book's own diagrams render themeable, and every way
//! a diagram can fail names the chapter line (and the source file).
//!
//! The tests that run Graphviz need `dot` on the PATH (ci/check.sh installs
//! it before the tests); without it they report themselves skipped.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use booktools::preprocess::{Data, expand_book};
use common::{Repo, stderr};
use mdbook_preprocessor::PreprocessorContext;
use mdbook_preprocessor::book::{Book, BookItem, Chapter};
use mdbook_preprocessor::config::Config;
use regex::Regex;

const GOOD: &str = "// title: Two boxes\n// caption: See `a` point at b.\n// alt: Box a, an arrow, box b.\n\
                    digraph { node [fontsize=14]; a -> b }\n";

/// Whether `dot` runs here; if not, the test reports itself skipped.
fn dot_or_skip(test: &str) -> bool {
    if Command::new("dot").arg("-V").output().is_ok() {
        return true;
    }
    let line = format!(
        "skipped: booktools::diagrams::{test}: Graphviz's dot is not installed"
    );
    println!("{line}");
    if let Some(log) = std::env::var_os("BOOK_SKIP_LOG") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        writeln!(file, "{line}").unwrap();
    }
    false
}

fn book(content: &str) -> Book {
    let mut book = Book::new();
    book.push_item(Chapter::new(
        "Chapter",
        content.to_string(),
        "ch.md",
        Vec::new(),
    ));
    book
}

fn expand(root: &Path, content: &str) -> Result<String, Vec<String>> {
    let data = Data::load_with(root, None);
    let book = expand_book(&data, Path::new("src"), book(content))?;
    match &book.items[0] {
        BookItem::Chapter(chapter) => Ok(chapter.content.clone()),
        other => panic!("not a chapter: {other:?}"),
    }
}

/// The one error about the diagram marker (a fixture without a registry
/// also reports that, first).
fn diagram_error(errors: &[String]) -> &str {
    let mine: Vec<&String> =
        errors.iter().filter(|e| e.contains("{{#diagram")).collect();
    assert_eq!(mine.len(), 1, "{errors:?}");
    mine[0]
}

/// The book root: the repository this crate lives in.
fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

#[test]
fn a_missing_source_fails_naming_the_chapter_line_and_the_file() {
    let repo = Repo::with_measurements();
    let errors = expand(repo.path(), "one\n\n{{#diagram nowhere}}\n").unwrap_err();
    assert!(
        diagram_error(&errors).starts_with(
            "error: src/ch.md:3: {{#diagram nowhere}}: no diagram source diagrams/nowhere.dot"
        ),
        "{errors:?}"
    );
}

#[test]
fn a_dot_syntax_error_fails_naming_the_chapter_line_and_the_source() {
    if !dot_or_skip(
        "a_dot_syntax_error_fails_naming_the_chapter_line_and_the_source",
    ) {
        return;
    }
    let repo =
        Repo::new().file("diagrams/bad.dot", &GOOD.replace("a -> b }", "a -> }"));
    let errors = expand(repo.path(), "{{#diagram bad}}\n").unwrap_err();
    assert!(
        diagram_error(&errors).starts_with(
            "error: src/ch.md:1: {{#diagram bad}}: diagrams/bad.dot: dot failed:"
        ) && diagram_error(&errors).contains("syntax error in line 4"),
        "{errors:?}"
    );
}

#[test]
fn a_fixed_colour_in_the_source_fails_the_build() {
    if !dot_or_skip("a_fixed_colour_in_the_source_fails_the_build") {
        return;
    }
    let repo = Repo::with_measurements().file(
        "diagrams/red.dot",
        &GOOD.replace("a -> b", "a [color=red]; a -> b"),
    );
    let errors = expand(repo.path(), "{{#diagram red}}\n").unwrap_err();
    assert!(
        diagram_error(&errors).starts_with("error: src/ch.md:1: {{#diagram red}}: diagrams/red.dot: draws in the fixed colour stroke=\"red\""),
        "{errors:?}"
    );
}

#[test]
fn a_diagram_is_an_inline_svg_figure_with_its_words_and_caption() {
    if !dot_or_skip("a_diagram_is_an_inline_svg_figure_with_its_words_and_caption") {
        return;
    }
    let repo = Repo::with_measurements().file("diagrams/two.dot", GOOD);
    let html =
        expand(repo.path(), "Before.\n\n{{#diagram two}}\n\nAfter.\n").unwrap();
    assert!(html.starts_with("Before.\n\n<figure class=\"book-diagram\" id=\"diagram-two\">\n<svg class=\"book-diagram\""), "{html}");
    assert!(
        html.contains("role=\"img\" aria-label=\"Box a, an arrow, box b.\""),
        "{html}"
    );
    assert!(
        html.contains("<title>Box a, an arrow, box b.</title>"),
        "{html}"
    );
    assert!(html.contains("<figcaption><strong>Two boxes.</strong> See <code>a</code> point at b.</figcaption>\n</figure>\n\nAfter."), "{html}");
    assert!(
        html.contains(">a</text>") && html.contains(">b</text>"),
        "{html}"
    );
}

/// Without `dot`, the preprocessor fails the build, naming the chapter line
/// and what to install (PATH emptied for the binary alone).
#[test]
fn without_dot_the_build_fails_saying_what_to_install() {
    let repo = Repo::with_measurements().file("diagrams/two.dot", GOOD);
    let ctx = PreprocessorContext::new(
        repo.path().to_path_buf(),
        Config::default(),
        "html".into(),
    );
    let input = serde_json::to_vec(&(&ctx, book("x\n{{#diagram two}}\n"))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_booktools"))
        .arg("preprocess")
        .current_dir(repo.path())
        .env("PATH", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "error: src/ch.md:2: {{#diagram two}}: diagrams/two.dot: Graphviz's `dot` is not installed"
        ),
        "{}",
        stderr(&output)
    );
}

/// Every source in diagrams/, drawn with the committed measurements: no
/// fixed colour, no id (two diagrams may share a page), one `<title>`, and
/// text no smaller than 13 units, so at most the inline min-width keeps it
/// readable on a phone.
#[test]
fn every_diagram_of_the_book_renders_without_fixed_colours_or_ids() {
    if !dot_or_skip("every_diagram_of_the_book_renders_without_fixed_colours_or_ids")
    {
        return;
    }
    let names =
        booktools::files::names_in(&repository().join("diagrams"), "dot").unwrap();
    assert!(names.len() >= 4, "{names:?}");
    let paint = Regex::new(r#"\b(?:fill|stroke)="([^"]*)""#).unwrap();
    let size = Regex::new(r#"font-size="([\d.]+)""#).unwrap();
    for name in names {
        let name = name.trim_end_matches(".dot");
        let html = expand(repository(), &format!("{{{{#diagram {name}}}}}\n"))
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        for colour in paint.captures_iter(&html) {
            assert!(
                ["none", "currentColor", "transparent"].contains(&&colour[1]),
                "{name}: fixed colour {}",
                &colour[0]
            );
        }
        assert_eq!(
            html.matches(" id=").count(),
            1,
            "{name}: only the figure has an id"
        );
        assert_eq!(html.matches("<title>").count(), 1, "{name}");
        assert!(!html.contains("{{#"), "{name}: a marker was left unfilled");
        let smallest = size
            .captures_iter(&html)
            .map(|c| c[1].parse::<f64>().unwrap())
            .fold(f64::INFINITY, f64::min);
        assert!(smallest >= 13.0, "{name}: text of {smallest} units");
    }
}
