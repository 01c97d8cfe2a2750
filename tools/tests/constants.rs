//! `{{#const PATH:NAME}}`: a listing constant's value, read from the code,
//! and every way a marker can fail, with the chapter line it names.

mod common;

use std::path::Path;

use booktools::preprocess::{Data, expand_book};
use common::Repo;
use mdbook_preprocessor::book::{Book, BookItem, Chapter};

const LISTING: &str = r#"
use std::time::Duration;

pub const WAITERS: usize = 1_000;
pub const WAIT: Duration = Duration::from_millis(20);
const TWICE: Duration = WAIT * 2;
static STACK: usize = 16 * 1024;
const SHIFTED: u64 = 1 << 20;
const LONG: Duration = std::time::Duration::from_secs(10);
const ODD: Duration = Duration::from_micros(1_234_567);
const COUNTS: [usize; 3] = [1, 1_000, 1_000_000];
const FRACTION: f64 = 0.25;
const SUM: usize = WAITERS + 24;
const NOT_A_NUMBER: &str = "text";
const CALLED: usize = compute();
const LOOP_A: usize = LOOP_B;
const LOOP_B: usize = LOOP_A;
const ONE: usize = 1;

const fn compute() -> usize {
    3
}

fn main() {
    const INSIDE_MAIN: usize = 7;
}

mod tests {
    const ONE: usize = 2;
    const NESTED: u64 = 5;
    const TWIN: u64 = 1;

    #[test]
    fn a_test() {
        const TWIN: u64 = 2;
    }
}
"#;

/// Expands `src/part/ch.md`, whose listing is `listings/demo/src/lib.rs`.
fn expand(chapter: &str) -> Result<String, Vec<String>> {
    // The chapter's directory must exist for `..` to leave it, as in a book.
    let repo = Repo::with_measurements()
        .file("listings/demo/src/lib.rs", LISTING)
        .file("src/part/ch.md", chapter);
    let data = Data::load_with(repo.path(), None);
    let mut book = Book::new();
    book.push_item(Chapter::new(
        "Chapter",
        chapter.to_string(),
        "part/ch.md",
        Vec::new(),
    ));
    let book = expand_book(&data, Path::new("src"), book)?;
    match &book.items[0] {
        BookItem::Chapter(chapter) => Ok(chapter.content.clone()),
        other => panic!("not a chapter: {other:?}"),
    }
}

/// The value of `NAME` in the fixture listing, as a chapter shows it.
fn value(name: &str) -> Result<String, String> {
    expand(&format!(
        "{{{{#const ../../listings/demo/src/lib.rs:{name}}}}}"
    ))
    .map_err(|problems| problems.join("\n"))
}

#[test]
fn a_constant_shows_its_value_in_place() {
    let shown = expand(
        "It waits {{#const ../../listings/demo/src/lib.rs:WAITERS}} times (`WAITERS`)\n\
         for {{#const ../../listings/demo/src/lib.rs:WAIT}}.\n",
    )
    .unwrap();
    assert_eq!(shown, "It waits 1\u{a0}000 times (`WAITERS`)\nfor 20 ms.\n");
}

#[test]
fn integers_are_grouped_as_the_book_writes_them() {
    assert_eq!(value("WAITERS").unwrap(), "1\u{a0}000");
    assert_eq!(
        value("STACK").unwrap(),
        "16\u{a0}384",
        "a static, a product"
    );
    assert_eq!(value("SHIFTED").unwrap(), "1\u{a0}048\u{a0}576");
    assert_eq!(value("SUM").unwrap(), "1\u{a0}024", "another constant");
    assert_eq!(value("FRACTION").unwrap(), "0.25");
    assert_eq!(
        value("COUNTS").unwrap(),
        "1, 1\u{a0}000 and 1\u{a0}000\u{a0}000"
    );
}

#[test]
fn durations_are_printed_like_measured_figures_but_exactly() {
    assert_eq!(value("WAIT").unwrap(), "20 ms");
    assert_eq!(
        value("TWICE").unwrap(),
        "40 ms",
        "a constant times a number"
    );
    assert_eq!(value("LONG").unwrap(), "10 s", "a full path");
    assert_eq!(value("ODD").unwrap(), "1.234567 s", "not rounded to 1.23 s");
}

#[test]
fn nested_constants_are_found_when_unique_and_the_top_level_wins() {
    assert_eq!(value("INSIDE_MAIN").unwrap(), "7", "in a function body");
    assert_eq!(value("NESTED").unwrap(), "5", "in a module");
    assert_eq!(value("ONE").unwrap(), "1", "top level over `tests::ONE`");
    let twin = value("TWIN").unwrap_err();
    assert!(
        twin.contains("more than one nested constant")
            && twin.contains("tests::TWIN")
            && twin.contains("tests::a_test()::TWIN"),
        "{twin}"
    );
}

#[test]
fn problems_name_the_chapter_line_and_say_what_is_wrong() {
    let chapter = "intro\n\
                   {{#const ../../listings/demo/src/missing.rs:WAIT}}\n\
                   {{#const ../../listings/demo/src/lib.rs:NOWHERE}}\n\
                   {{#const ../../listings/demo/src/lib.rs:NOT_A_NUMBER}}\n\
                   {{#const ../../listings/demo/src/lib.rs:CALLED}}\n\
                   {{#const ../../listings/demo/src/lib.rs:LOOP_A}}\n\
                   {{#const ../../listings/demo/src/lib.rs}}\n\
                   {{#const a b}}\n";
    let problems = expand(chapter).unwrap_err();
    let expected: [(usize, &str); 7] = [
        (2, "cannot read `../../listings/demo/src/missing.rs`"),
        (
            3,
            "`NOWHERE` in `../../listings/demo/src/lib.rs`: no `const` or `static`",
        ),
        (4, "only number literals have a value to show"),
        (
            5,
            "cannot evaluate `compute(..)`: of calls, only `Duration::from_secs`",
        ),
        (6, "cycle"),
        (7, "names no constant: write `{{#const PATH:NAME}}`"),
        (8, "malformed marker: write `{{#const PATH:NAME}}`"),
    ];
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (problem, (line, says)) in problems.iter().zip(expected) {
        assert!(
            problem
                .starts_with(&format!("error: src/part/ch.md:{line}: {{{{#const")),
            "line {line}: {problem}"
        );
        assert!(
            problem.contains(says),
            "line {line} should say {says:?}: {problem}"
        );
    }
    assert!(
        problems[1].contains("the file has: WAITERS, WAIT,"),
        "lists what there is: {}",
        problems[1]
    );
}

#[test]
fn the_path_is_relative_to_the_chapter_not_the_book() {
    let problem = value("WAITERS")
        .and_then(|_| {
            expand("{{#const ../listings/demo/src/lib.rs:WAITERS}}\n")
                .map_err(|p| p.join("\n"))
        })
        .unwrap_err();
    assert!(problem.contains("cannot read"), "{problem}");
}

#[test]
fn an_escaped_marker_stays_as_written() {
    assert_eq!(
        expand("write \\{{#const PATH:NAME}} to show a value\n").unwrap(),
        "write {{#const PATH:NAME}} to show a value\n"
    );
}
