//! `check-takeaways` and `check-doc-links`: a chapter's closing takeaways
//! read from text, the version pins of docs links, and both commands on a
//! fixture repository.

mod common;

use booktools::doc_links::{self, Locked, Pin};
use booktools::takeaways::check_chapter;
use common::{Repo, stderr, stdout};

/// A chapter whose takeaways pass: three bullets, one of two lines, linking a
/// heading and a verdict box, then the API paragraph.
const GOOD: &str = "# Demo\n\n## The evidence\n\n### A task that never awaits\n\nText.\n\n\
## The verdict\n\n> {{#verdict holds: demo-statement}}\n> It holds.\n\n\
## Key takeaways\n\n\
- A task keeps its thread ([the evidence](#a-task-that-never-awaits)).\n\
- It holds, and this bullet runs\n  over two lines ([the verdict](#verdict-demo-statement)).\n\
- Threads differ ([the verdict](#the-verdict)).\n\n\
API documentation: [`tokio::spawn`](https://docs.rs/tokio/1.54.1/tokio/task/fn.spawn.html).\n\n\
## Exercises\n\nQuestions.\n";

/// The line of the first bullet in [`GOOD`].
const FIRST_BULLET: usize = 16;

fn problems(text: &str) -> Vec<String> {
    check_chapter("src/demo.md", text)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn assert_one(problems: &[String], expected_start: &str) {
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with(expected_start),
        "expected {expected_start:?}\n   found {:?}",
        problems[0]
    );
}

#[test]
fn three_linked_takeaways_before_the_exercises_pass() {
    assert_eq!(problems(GOOD), Vec::<String>::new());
}

#[test]
fn a_chapter_without_takeaways_fails_at_its_first_line() {
    let start = GOOD.find("## Key takeaways").unwrap();
    let end = GOOD.find("## Exercises").unwrap();
    let without = format!("{}{}", &GOOD[..start], &GOOD[end..]);
    assert_one(
        &problems(&without),
        "error: src/demo.md:1: a chapter of the part \"The comparison, row by row\" has no \
         `## Key takeaways` section",
    );
}

#[test]
fn a_takeaway_without_a_link_fails_at_its_line() {
    let text = GOOD.replace(" ([the evidence](#a-task-that-never-awaits))", "");
    assert_one(
        &problems(&text),
        &format!("error: src/demo.md:{FIRST_BULLET}: a takeaway without a link"),
    );
}

#[test]
fn a_link_to_no_heading_or_verdict_of_the_page_fails() {
    let text = GOOD.replace("#verdict-demo-statement", "#verdict-other-statement");
    assert_one(
        &problems(&text),
        &format!(
            "error: src/demo.md:{}: a takeaway links to `#verdict-other-statement`",
            FIRST_BULLET + 1
        ),
    );
}

#[test]
fn two_or_six_takeaways_fail_at_the_heading() {
    let heading = GOOD.lines().position(|l| l == "## Key takeaways").unwrap() + 1;
    let two = GOOD.replace("- Threads differ ([the verdict](#the-verdict)).\n", "");
    assert_one(
        &problems(&two),
        &format!("error: src/demo.md:{heading}: `## Key takeaways` has 2 bullet(s)"),
    );
    let extra = "- Threads differ ([the verdict](#the-verdict)).\n".repeat(4);
    let six =
        GOOD.replace("- Threads differ ([the verdict](#the-verdict)).\n", &extra);
    assert_one(
        &problems(&six),
        &format!("error: src/demo.md:{heading}: `## Key takeaways` has 6 bullet(s)"),
    );
}

#[test]
fn takeaways_elsewhere_than_just_before_the_exercises_fail() {
    let text = GOOD.replace(
        "\n## Exercises\n",
        "\n## Try it\n\nRun it.\n\n## Exercises\n",
    );
    assert_one(
        &problems(&text),
        "error: src/demo.md:14: `## Key takeaways` must come just before `## Exercises`",
    );
}

#[test]
fn takeaways_without_api_documentation_fail() {
    let text = GOOD.replace(
        "API documentation: [`tokio::spawn`](https://docs.rs/tokio/1.54.1/tokio/task/fn.spawn.html).\n\n",
        "",
    );
    assert_one(
        &problems(&text),
        "error: src/demo.md:14: `## Key takeaways` has no paragraph beginning \"API documentation\"",
    );
    let text = GOOD.replace(
        "https://docs.rs/tokio/1.54.1/tokio/task/fn.spawn.html",
        "#the-verdict",
    );
    assert_one(
        &problems(&text),
        "error: src/demo.md:21: the API documentation paragraph links no docs.rs",
    );
}

// ------------------------------------------------------------ doc links

fn locked() -> Locked {
    doc_links::locked_versions(
        "version = 4\n\n[[package]]\nname = \"tokio\"\nversion = \"1.54.1\"\n\n\
         [[package]]\nname = \"tokio-util\"\nversion = \"0.7.20\"\n",
    )
    .unwrap()
}

fn pin(version: &str) -> Pin {
    Pin {
        version: version.to_string(),
        at: ".github/workflows/book.yml:35".to_string(),
    }
}

fn link_problems(text: &str, pin: Option<&Pin>) -> (Vec<String>, usize) {
    let mut checked = 0;
    let found =
        doc_links::check_text("src/demo.md", text, &locked(), pin, &mut checked);
    (found.iter().map(ToString::to_string).collect(), checked)
}

#[test]
fn links_pinned_to_the_locked_versions_pass_and_others_are_left_alone() {
    let text = "[a](https://docs.rs/tokio/1.54.1/tokio/task/fn.spawn.html)\n\
                [b](https://docs.rs/tokio-util/0.7.20/tokio_util/)\n\
                [c](https://doc.rust-lang.org/1.95.0/std/thread/fn.spawn.html)\n\
                [d](https://doc.rust-lang.org/std/thread/fn.spawn.html)\n\
                [e](https://docs.rs/may/latest/may/)\n";
    let (found, checked) = link_problems(text, Some(&pin("1.95")));
    assert_eq!(found, Vec::<String>::new());
    assert_eq!(checked, 3);
}

#[test]
fn a_docs_rs_link_to_another_version_of_a_locked_crate_fails_at_its_line() {
    let text = "Intro.\n[a](https://docs.rs/tokio/1.47.0/tokio/fn.spawn.html)\n\
                [b](https://docs.rs/tokio/latest/tokio/)\n";
    let (found, _) = link_problems(text, Some(&pin("1.95")));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].starts_with(
            "error: src/demo.md:2: a docs.rs link to tokio 1.47.0, but Cargo.lock has tokio 1.54.1"
        ),
        "{found:#?}"
    );
    assert!(
        found[1].starts_with("error: src/demo.md:3: a docs.rs link to tokio latest")
    );
}

#[test]
fn a_std_link_to_another_toolchain_fails_naming_the_pin() {
    let text = "[c](https://doc.rust-lang.org/1.94.0/std/thread/fn.spawn.html)\n";
    let (found, _) = link_problems(text, Some(&pin("1.95")));
    assert_eq!(
        found,
        [
            "error: src/demo.md:1: a link to the docs of Rust 1.94.0, but the book pins Rust 1.95 \
          (.github/workflows/book.yml:35)"
        ]
    );
    let (found, _) = link_problems(text, None);
    assert!(
        found[0].contains("no toolchain pin was found"),
        "{found:#?}"
    );
    // A pin to the patch release accepts only that release.
    assert!(pin("1.95").accepts("1.95.0") && pin("1.95").accepts("1.95"));
    assert!(!pin("1.95.0").accepts("1.95.1") && !pin("1.95").accepts("1.950.0"));
}

// ------------------------------------------------------------ the commands

const SUMMARY: &str =
    "# Summary\n\n# The comparison, row by row\n\n- [Demo](demo.md)\n";

const LOCK: &str =
    "version = 4\n\n[[package]]\nname = \"tokio\"\nversion = \"1.54.1\"\n";

const WORKFLOW: &str = "jobs:\n  check:\n    steps:\n      - run: |\n          rustup toolchain install 1.95 --profile minimal\n";

fn fixture(chapter: &str) -> Repo {
    Repo::new()
        .file("src/SUMMARY.md", SUMMARY)
        .file("src/demo.md", chapter)
        .file("Cargo.lock", LOCK)
        .file(".github/workflows/book.yml", WORKFLOW)
}

#[test]
fn the_commands_pass_a_good_chapter_and_fail_a_bad_one_with_exit_1() {
    let repo = fixture(GOOD);
    let output = repo.booktools(&["check-takeaways"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("check-takeaways: 1 chapter(s)"));
    let output = repo.booktools(&["check-doc-links"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "check-doc-links: 1 versioned docs link(s) in 2 file(s) of src/ match Cargo.lock and \
         Rust 1.95 (.github/workflows/book.yml:5)\n"
    );

    let repo = fixture(
        &GOOD
            .replace("1.54.1", "1.53.0")
            .replace("(#the-verdict)", ""),
    );
    let output = repo.booktools(&["check-takeaways"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("error: src/demo.md:19: a takeaway without a link"),
        "{}",
        stderr(&output)
    );
    let output = repo.booktools(&["check-doc-links"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output)
            .contains("error: src/demo.md:21: a docs.rs link to tokio 1.53.0"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_missing_cargo_lock_is_an_io_error() {
    let repo = Repo::new()
        .file("src/SUMMARY.md", SUMMARY)
        .file("src/demo.md", GOOD);
    let output = repo.booktools(&["check-doc-links"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}
