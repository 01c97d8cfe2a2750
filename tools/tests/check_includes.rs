//! Builds small fake books in temporary directories and checks the exact
//! problems `check-includes` reports for them.

use std::fs;
use std::path::{Path, PathBuf};

use booktools::includes::{Kind, Report, check};

/// A five-line listing with one anchor, `answer`, around lines 2-4.
const LIB: &str = "\
// ANCHOR: answer
pub fn answer() -> u32 {
    42
}
// ANCHOR_END: answer
";
const LIB_PATH: &str = "listings/ch01/src/lib.rs";

struct Book(tempfile::TempDir);

impl Book {
    /// An empty book: just `src/`.
    fn new() -> Book {
        let book = Book(tempfile::tempdir().unwrap());
        fs::create_dir(book.0.path().join("src")).unwrap();
        book
    }

    /// A book with the listing `LIB` and a chapter `src/ch.md` holding `chapter`.
    fn with_chapter(chapter: &str) -> Book {
        Book::new().file(LIB_PATH, LIB).file("src/ch.md", chapter)
    }

    fn file(self, path: &str, text: &str) -> Book {
        let path = self.0.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    fn report(&self) -> Report {
        check(self.0.path()).unwrap()
    }

    fn problems(&self) -> Vec<(String, usize, Kind)> {
        let problems = self.report().problems.into_iter();
        problems
            .map(|p| (slashed(&p.path), p.line, p.kind))
            .collect()
    }
}

fn slashed(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn at(path: &str, line: usize, kind: Kind) -> (String, usize, Kind) {
    (path.to_string(), line, kind)
}

fn lib() -> PathBuf {
    PathBuf::from(LIB_PATH)
}

#[test]
fn bare_rust_block_is_rejected() {
    let book = Book::with_chapter(
        "# Chapter\n\n{{#include ../listings/ch01/src/lib.rs}}\n\n```rust\nfn main() {}\n```\n",
    );
    assert_eq!(book.problems(), [at("src/ch.md", 5, Kind::RustNotIncluded)]);
}

#[test]
fn rust_attribute_without_rust_word_is_a_rust_block() {
    let book = Book::with_chapter(
        "{{#include ../listings/ch01/src/lib.rs}}\n```no_run\nfn main() {}\n```\n",
    );
    assert_eq!(book.problems(), [at("src/ch.md", 2, Kind::RustNotIncluded)]);
}

#[test]
fn block_without_language_is_rejected() {
    let book = Book::with_chapter(
        "{{#include ../listings/ch01/src/lib.rs}}\n\n```\n$ cargo run\n```\n",
    );
    assert_eq!(book.problems(), [at("src/ch.md", 3, Kind::NoLanguage)]);
}

#[test]
fn non_rust_blocks_may_hold_anything() {
    let book = Book::with_chapter(
        "{{#include ../listings/ch01/src/lib.rs}}\n~~~console\n$ cargo run\n~~~\n````toml\n[x]\n```\n````\n",
    );
    assert_eq!(book.problems(), []);
}

#[test]
fn rust_noplayground_include_passes() {
    let book = Book::with_chapter(
        "# Chapter\n\n```rust,noplayground\n{{#rustdoc_include ../listings/ch01/src/lib.rs:answer}}\n```\n",
    );
    assert_eq!(book.problems(), []);
    assert_eq!(
        book.report().summary(),
        "check-includes: 1 chapter files, 1 includes, 1 listing files shown, 0 exempt"
    );
}

#[test]
fn unclosed_fence_is_reported_at_its_opening() {
    let book = Book::with_chapter(
        "{{#include ../listings/ch01/src/lib.rs}}\n\n```rust\n{{#include ../listings/ch01/src/lib.rs}}\n",
    );
    let fence = Kind::UnclosedFence("```".to_string());
    assert_eq!(book.problems(), [at("src/ch.md", 3, fence)]);
}

#[test]
fn missing_included_file_is_reported() {
    let book = Book::with_chapter(
        "```rust\n{{#include ../listings/ch01/src/lib.rs}}\n{{#include ../listings/ch01/src/gone.rs}}\n```\n",
    );
    let missing = Kind::MissingFile(PathBuf::from("listings/ch01/src/gone.rs"));
    assert_eq!(book.problems(), [at("src/ch.md", 3, missing)]);
}

#[test]
fn missing_anchor_is_reported() {
    let book = Book::with_chapter(
        "```rust\n{{#include ../listings/ch01/src/lib.rs:nope}}\n```\n",
    );
    let missing = Kind::MissingAnchor {
        file: lib(),
        anchor: "nope".to_string(),
    };
    // Nothing selects `answer` now, so it is reported as unused too.
    let unused = Kind::UnusedAnchor("answer".to_string());
    assert_eq!(
        book.problems(),
        [at(LIB_PATH, 1, unused), at("src/ch.md", 2, missing)]
    );
}

#[test]
fn deleted_anchor_end_is_reported_in_listing_and_chapter() {
    let book = Book::with_chapter(
        "```rust\n{{#include ../listings/ch01/src/lib.rs:answer}}\n```\n",
    )
    .file(LIB_PATH, &LIB.replace("// ANCHOR_END: answer\n", ""));
    let missing = Kind::MissingAnchor {
        file: lib(),
        anchor: "answer".to_string(),
    };
    assert_eq!(
        book.problems(),
        [
            at(LIB_PATH, 1, Kind::UnclosedAnchor("answer".to_string())),
            at("src/ch.md", 2, missing),
        ]
    );
}

#[test]
fn anchor_end_without_anchor_is_reported() {
    let book = Book::with_chapter("{{#include ../listings/ch01/src/lib.rs}}\n")
        .file(LIB_PATH, &LIB.replace("// ANCHOR: answer\n", ""));
    let unopened = Kind::UnopenedAnchorEnd("answer".to_string());
    assert_eq!(book.problems(), [at(LIB_PATH, 4, unopened)]);
}

#[test]
fn duplicate_anchor_is_reported() {
    let book =
        Book::with_chapter("{{#include ../listings/ch01/src/lib.rs:answer}}\n")
            .file(LIB_PATH, &format!("{LIB}{LIB}"));
    let duplicate = Kind::DuplicateAnchor {
        name: "answer".to_string(),
        first_line: 1,
    };
    assert_eq!(book.problems(), [at(LIB_PATH, 6, duplicate)]);
}

#[test]
fn invalid_anchor_names_are_reported() {
    let listing = "// ANCHOR:\n// ANCHOR: a.b\n// ANCHOR_END: a.b\nfn f() {}\n";
    let book = Book::with_chapter("{{#include ../listings/ch01/src/lib.rs}}\n")
        .file(LIB_PATH, listing);
    assert_eq!(
        book.problems(),
        [
            at(LIB_PATH, 1, Kind::InvalidAnchorName(String::new())),
            at(LIB_PATH, 2, Kind::InvalidAnchorName("a.b".to_string())),
            at(LIB_PATH, 3, Kind::InvalidAnchorName("a.b".to_string())),
        ]
    );
}

#[test]
fn anchors_in_toml_listings_are_checked() {
    let book = Book::with_chapter("{{#include ../listings/ch01/src/lib.rs}}\n")
        .file(
            "listings/ch01/Cargo.toml",
            "# ANCHOR: deps\n[dependencies]\n",
        );
    let unclosed = Kind::UnclosedAnchor("deps".to_string());
    assert_eq!(
        book.problems(),
        [at("listings/ch01/Cargo.toml", 1, unclosed)]
    );
}

#[test]
fn line_ranges_must_fit_the_file() {
    let chapter = "\
{{#include ../listings/ch01/src/lib.rs:2:4}}
{{#include ../listings/ch01/src/lib.rs:2:}}
{{#include ../listings/ch01/src/lib.rs::5}}
{{#include ../listings/ch01/src/lib.rs:3}}
{{#include ../listings/ch01/src/lib.rs:3:99}}
{{#include ../listings/ch01/src/lib.rs:4:2}}
{{#include ../listings/ch01/src/lib.rs:0:2}}
{{#include ../listings/ch01/src/lib.rs:6}}
";
    let bad = |range: &str| Kind::BadRange {
        file: lib(),
        range: range.to_string(),
        lines: 5,
    };
    assert_eq!(
        Book::with_chapter(chapter).problems(),
        [
            at(LIB_PATH, 1, Kind::UnusedAnchor("answer".to_string())),
            at("src/ch.md", 5, bad("3:99")),
            at("src/ch.md", 6, bad("4:2")),
            at("src/ch.md", 7, bad("0:2")),
            at("src/ch.md", 8, bad("6")),
        ]
    );
}

#[test]
fn malformed_directives_are_reported() {
    let chapter = "\
{{#include ../listings/ch01/src/lib.rs}}
{{#include}}
{{#rustdoc_include ../listings/ch01/src/lib.rs
{{#include ../listings/ch01/src/lib.rs:a:b}}
{{#include :answer}}
";
    assert_eq!(
        Book::with_chapter(chapter).problems(),
        [
            at("src/ch.md", 2, Kind::DirectiveWithoutPath("include")),
            at(
                "src/ch.md",
                3,
                Kind::UnterminatedDirective("rustdoc_include")
            ),
            at("src/ch.md", 4, Kind::BadSelection("a:b".to_string())),
            at("src/ch.md", 5, Kind::DirectiveWithoutPath("include")),
        ]
    );
}

#[test]
fn escaped_directive_is_ignored() {
    let book = Book::with_chapter(
        "{{#include ../listings/ch01/src/lib.rs}}\n\nWrite `\\{{#include missing.rs:nope}}` to include.\n",
    );
    assert_eq!(book.problems(), []);
    assert_eq!(book.report().includes, 1);
}

#[test]
fn include_inside_admonition_passes() {
    let book = Book::with_chapter(
        "> [!NOTE]\n> An aside:\n>\n> ```rust\n> {{#include ../listings/ch01/src/lib.rs:answer}}\n> ```\n",
    );
    assert_eq!(book.problems(), []);
}

#[test]
fn problems_inside_admonition_are_reported() {
    let book = Book::with_chapter(
        "{{#include ../listings/ch01/src/lib.rs}}\n> [!TIP]\n> ```rust\n> fn main() {}\n> ```\n>\n> ```rust\n> {{#include ../listings/ch01/src/gone.rs}}\n> ```\n",
    );
    let missing = Kind::MissingFile(PathBuf::from("listings/ch01/src/gone.rs"));
    assert_eq!(
        book.problems(),
        [
            at("src/ch.md", 3, Kind::RustNotIncluded),
            at("src/ch.md", 8, missing),
        ]
    );
}

#[test]
fn fence_left_open_by_end_of_blockquote_is_reported() {
    // The blank line ends the blockquote, so the block never sees its `> ````.
    let book = Book::with_chapter(
        "{{#include ../listings/ch01/src/lib.rs}}\n> ```text\n> a\n\n> ```\n",
    );
    let fence = Kind::UnclosedFence("```".to_string());
    assert_eq!(
        book.problems(),
        [
            at("src/ch.md", 2, fence.clone()),
            at("src/ch.md", 5, Kind::NoLanguage),
            at("src/ch.md", 5, fence),
        ]
    );
}

#[test]
fn unshown_listing_file_is_reported() {
    let book = Book::with_chapter("{{#include ../listings/ch01/src/lib.rs}}\n")
        .file("listings/ch01/src/extra.rs", "fn extra() {}\n")
        .file("listings/ch01/target/debug/build.rs", "// build output\n");
    assert_eq!(
        book.problems(),
        [at("listings/ch01/src/extra.rs", 1, Kind::NotShown)]
    );
}

#[test]
fn playground_counts_as_shown() {
    let book =
        Book::with_chapter("{{#playground ../listings/ch01/src/lib.rs editable}}\n");
    assert_eq!(book.problems(), []);
}

#[test]
fn valid_exemption_passes() {
    let book = Book::with_chapter("{{#include ../listings/ch01/src/lib.rs}}\n")
        .file("listings/ch01/src/extra.rs", "fn extra() {}\n")
        .file(
            "listings/not-shown.txt",
            "# Files the book does not show.\n\nlistings/ch01/src/extra.rs  # test helper\n",
        );
    assert_eq!(book.problems(), []);
    assert_eq!(book.report().exempt, 1);
}

#[test]
fn exemption_without_reason_is_reported() {
    let book = Book::with_chapter("{{#include ../listings/ch01/src/lib.rs}}\n")
        .file("listings/ch01/src/extra.rs", "fn extra() {}\n")
        .file("listings/not-shown.txt", "listings/ch01/src/extra.rs #\n");
    assert_eq!(
        book.problems(),
        [at(
            "listings/not-shown.txt",
            1,
            Kind::ExemptionWithoutReason
        )]
    );
}

#[test]
fn stale_exemption_is_reported() {
    let book = Book::with_chapter("{{#include ../listings/ch01/src/lib.rs}}\n")
        .file(
            "listings/not-shown.txt",
            "\nlistings/ch01/src/gone.rs # removed\n",
        );
    let stale = Kind::StaleExemption(PathBuf::from("listings/ch01/src/gone.rs"));
    assert_eq!(book.problems(), [at("listings/not-shown.txt", 2, stale)]);
}

#[test]
fn exempt_but_shown_is_reported() {
    let book = Book::with_chapter("{{#include ../listings/ch01/src/lib.rs}}\n")
        .file(
            "listings/not-shown.txt",
            "./listings/ch01/src/lib.rs # helper\n",
        );
    let shown = Kind::ExemptButShown(lib());
    assert_eq!(book.problems(), [at("listings/not-shown.txt", 1, shown)]);
}

#[test]
fn includes_resolve_relative_to_chapter_subdirectory() {
    let book = Book::new()
        .file(LIB_PATH, LIB)
        .file(
            "src/sub/x.md",
            "```rust\n{{#rustdoc_include ../../listings/ch01/src/lib.rs:answer}}\n```\n",
        )
        .file("src/sub/y.md", "{{#include ../listings/ch01/src/lib.rs}}\n");
    let missing = Kind::MissingFile(PathBuf::from("src/listings/ch01/src/lib.rs"));
    assert_eq!(book.problems(), [at("src/sub/y.md", 1, missing)]);
}

#[test]
fn problems_are_sorted_by_path_and_line() {
    let book = Book::new()
        .file("src/b.md", "```\n```\n")
        .file("src/a.md", "text\n```rust\nlet x = 1;\n```\n```\n```\n")
        .file("listings/c/src/main.rs", "fn main() {}\n");
    let places: Vec<_> = book
        .problems()
        .into_iter()
        .map(|(path, line, _)| (path, line))
        .collect();
    let expected = [
        ("listings/c/src/main.rs", 1),
        ("src/a.md", 2),
        ("src/a.md", 5),
        ("src/b.md", 1),
    ];
    assert_eq!(
        places,
        expected.map(|(path, line)| (path.to_string(), line))
    );
}

/// A listing whose anchor `long` holds `shown` lines of code and `hidden`
/// rustdoc `# ` lines, with code outside it too.
fn long_listing(shown: usize, hidden: usize) -> String {
    let mut text = String::from("fn outside() {}\n// ANCHOR: long\n");
    for i in 0..shown {
        text.push_str(&format!("let x{i} = {i};\n"));
    }
    for i in 0..hidden {
        text.push_str(&format!("# let h{i} = {i};\n"));
    }
    text.push_str("// ANCHOR_END: long\nfn after() {}\n");
    text
}

fn book_with_long_listing(shown: usize, hidden: usize, directive: &str) -> Book {
    let chapter = format!("# Chapter\n\n```rust\n{{{{#{directive}}}}}\n```\n");
    Book::new()
        .file("listings/ch01/src/long.rs", &long_listing(shown, hidden))
        .file("src/ch.md", &chapter)
}

#[test]
fn a_block_of_sixty_shown_lines_passes() {
    let book = book_with_long_listing(
        60,
        5,
        "rustdoc_include ../listings/ch01/src/long.rs:long",
    );
    assert_eq!(book.problems(), []);
}

#[test]
fn a_block_of_sixty_one_shown_lines_is_too_long() {
    let book = book_with_long_listing(
        61,
        0,
        "rustdoc_include ../listings/ch01/src/long.rs:long",
    );
    assert_eq!(book.problems(), [at("src/ch.md", 3, Kind::LongBlock(61))]);
}

#[test]
fn a_whole_file_include_counts_every_line_but_the_markers() {
    // 58 code lines + 2 lines outside the anchor = 60: passes; one more fails.
    let fits = book_with_long_listing(58, 0, "include ../listings/ch01/src/long.rs");
    assert_eq!(fits.problems(), []);
    let over = book_with_long_listing(59, 0, "include ../listings/ch01/src/long.rs");
    assert_eq!(over.problems(), [at("src/ch.md", 3, Kind::LongBlock(61))]);
}

#[test]
fn includes_in_one_block_add_up_and_typed_lines_count_too() {
    let listing = long_listing(30, 0);
    let chapter = "```rust\n{{#include ../listings/ch01/src/long.rs:long}}\n\n\
                   {{#include ../listings/ch01/src/long.rs:long}}\n```\n\n\
                   ```text\none\ntwo\n```\n";
    let book = Book::new()
        .file("listings/ch01/src/long.rs", &listing)
        .file("src/ch.md", chapter);
    assert_eq!(book.problems(), [at("src/ch.md", 1, Kind::LongBlock(61))]);
}

#[test]
fn a_long_block_in_a_blockquote_is_counted() {
    let mut chapter = String::from("> ```text\n");
    for i in 0..61 {
        chapter.push_str(&format!("> line {i}\n"));
    }
    chapter.push_str("> ```\n");
    let book = Book::new().file("src/ch.md", &chapter);
    assert_eq!(book.problems(), [at("src/ch.md", 1, Kind::LongBlock(61))]);
}

#[test]
fn an_anchor_no_chapter_selects_is_reported_at_its_line() {
    let listing = "// ANCHOR: all\n// ANCHOR: shown\nfn a() {}\n// ANCHOR_END: shown\n\
                   // ANCHOR_END: all\n";
    let book = Book::new().file("listings/ch01/src/a.rs", listing).file(
        "src/ch.md",
        "```rust\n{{#include ../listings/ch01/src/a.rs:shown}}\n```\n",
    );
    let unused = Kind::UnusedAnchor("all".to_string());
    assert_eq!(book.problems(), [at("listings/ch01/src/a.rs", 1, unused)]);
}

#[test]
fn a_file_included_whole_has_no_unused_anchors() {
    let book = Book::with_chapter(
        "```rust\n{{#include ../listings/ch01/src/lib.rs}}\n```\n",
    );
    assert_eq!(book.problems(), []);
}

/// A fence indented under a list item is still a fence (a line scanner that
/// allows three spaces of indentation misses it), so its Rust is checked.
#[test]
fn a_bare_rust_block_indented_in_a_list_item_is_rejected() {
    let book = Book::with_chapter(
        "{{#include ../listings/ch01/src/lib.rs}}\n\n- Step one:\n\n    ```rust\n    fn main() {}\n    ```\n",
    );
    assert_eq!(book.problems(), [at("src/ch.md", 5, Kind::RustNotIncluded)]);
}

/// An indented code block cannot name a language, so it cannot be shown as
/// Rust from a listing either: it is reported as a block without one.
#[test]
fn an_indented_code_block_has_no_language() {
    let book = Book::with_chapter(
        "{{#include ../listings/ch01/src/lib.rs}}\n\nText.\n\n    fn main() {}\n",
    );
    assert_eq!(book.problems(), [at("src/ch.md", 5, Kind::NoLanguage)]);
}

/// mdBook expands an include inside a code block inside a block quote inside
/// a list item; its problems name the directive's own line.
#[test]
fn an_include_nested_in_containers_is_checked_at_its_line() {
    let book = Book::with_chapter(
        "- Item\n\n  > ```rust\n  > {{#include ../listings/ch01/src/lib.rs:answer}}\n  > {{#include ../listings/ch01/src/gone.rs}}\n  > ```\n",
    );
    let missing = Kind::MissingFile(PathBuf::from("listings/ch01/src/gone.rs"));
    assert_eq!(book.problems(), [at("src/ch.md", 5, missing)]);
}

#[test]
fn a_python_listing_is_held_to_the_same_rules_as_a_rust_one() {
    const PY: &str = "# ANCHOR: job\ndef job():\n    return 42\n# ANCHOR_END: job\n";
    const PY_PATH: &str = "listings/python/job.py";
    let shown = "```rust\n{{#rustdoc_include ../listings/ch01/src/lib.rs:answer}}\n```\n\n\
                 ```python\n{{#include ../listings/python/job.py:job}}\n```\n";
    let book = Book::with_chapter(shown).file(PY_PATH, PY);
    assert_eq!(book.problems(), vec![]);
    // Shown nowhere, and with a broken anchor: both reported, as for a .rs file.
    let hidden =
        "```rust\n{{#rustdoc_include ../listings/ch01/src/lib.rs:answer}}\n```\n";
    let book =
        Book::with_chapter(hidden).file(PY_PATH, "# ANCHOR: job\ndef job(): pass\n");
    assert_eq!(
        book.problems(),
        vec![
            at(PY_PATH, 1, Kind::UnclosedAnchor("job".into())),
            at(PY_PATH, 1, Kind::NotShown),
        ]
    );
}
