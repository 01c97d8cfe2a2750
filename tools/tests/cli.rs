//! Runs the built `booktools` binary on fake books.

use std::fs;
use std::process::{Command, Output};

fn run_check(files: &[(&str, &str)]) -> Output {
    let book = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = book.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    Command::new(env!("CARGO_BIN_EXE_booktools"))
        .arg("check-includes")
        .arg(book.path())
        .output()
        .unwrap()
}

#[test]
fn broken_book_fails_and_names_the_line() {
    let output = run_check(&[
        ("src/ch.md", "# Chapter\n\n```rust\nfn main() {}\n```\n"),
        ("listings/ch/src/main.rs", "fn main() {}\n"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            "error: listings/ch/src/main.rs:1: listing file is shown nowhere: include it from \
             a chapter, or exempt it with a reason in listings/not-shown.txt",
            "error: src/ch.md:3: rust code block is not an include of a listing file: move the \
             code into listings/ and include it with {{#rustdoc_include ...}}",
        ]
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn good_book_passes_with_a_summary() {
    let output = run_check(&[
        (
            "src/ch.md",
            "```rust\n{{#rustdoc_include ../listings/ch/src/main.rs}}\n```\n",
        ),
        ("listings/ch/src/main.rs", "fn main() {}\n"),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "check-includes: 1 chapter files, 1 includes, 1 listing files shown, 0 exempt\n"
    );
}

#[test]
fn missing_src_directory_is_a_usage_error() {
    let output = run_check(&[]);
    assert_eq!(output.status.code(), Some(2));
}
