//! `booktools check-figures`: no measured-looking figure typed into a chapter
//! or an inventory `says`, except those the exceptions file excuses.

mod common;

use common::{Repo, stderr, stdout};

const CLEAN: &str = "# Chapter 4\n\nSpawning costs {{#measured spawn/thread}}: \
                     {{#claim spawn-cost}}. tokio's budget is 128 polls.\n\n\
                     ```console\n$ cargo bench  # 30 µs\n```\n";

/// Line 3 types a figure; line 5 is a quote of Go's documentation.
const TYPED: &str = "# Chapter 4\n\nA thread costs about 30 µs to spawn.\n\n\
                     Go starts each goroutine with a 2 KiB stack.\n";

const INVENTORY: &str = "[[statement]]\nid = \"a\"\nsource = \"codemia\"\n\
                         says = \"Threads are 10x slower to create.\"\n";

fn book(chapter: &str) -> Repo {
    Repo::new()
        .file("src/ch04-performance.md", chapter)
        .file(
            "src/SUMMARY.md",
            "# Summary\n\n- [Four](ch04-performance.md)\n",
        )
        .file("inventory/ch04-performance.toml", "# none\n")
}

#[test]
fn a_book_with_figures_only_in_markers_and_code_passes() {
    let output = book(CLEAN).booktools(&["check-figures"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "check-figures: no typed figure in 2 chapters and 0 inventory statements \
         (0 excused in measurements/typed-figures.toml, each still in use)\n"
    );
}

#[test]
fn a_figure_typed_into_a_chapter_fails_with_file_line_and_figure() {
    let output = book(TYPED).booktools(&["check-figures"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(
        stderr.contains(
            "error: src/ch04-performance.md:3: typed figure `30 µs` in \
             \"A thread costs about 30 µs to spawn.\""
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: src/ch04-performance.md:5: typed figure `2 KiB`"),
        "{stderr}"
    );
    assert!(stderr.contains("check-figures: 2 problem(s)"), "{stderr}");
}

#[test]
fn a_figure_typed_into_an_inventory_says_fails_with_its_line() {
    let repo = book(CLEAN).file("inventory/ch04-performance.toml", INVENTORY);
    let output = repo.booktools(&["check-figures", repo.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "error: inventory/ch04-performance.toml:4: typed figure `10x`"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_exception_with_its_reason_excuses_that_figure_only() {
    let exceptions = "[[figure]]\nfile = \"src/ch04-performance.md\"\n\
                      text = \"Go starts each goroutine with a 2 KiB stack\"\n\
                      reason = \"Go's documented minimum stack, not our measurement\"\n\
                      source = \"https://go.dev/doc/go1.4#runtime\"\n";
    let repo = book(TYPED).file("measurements/typed-figures.toml", exceptions);
    let output = repo.booktools(&["check-figures"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(
        stderr.contains("ch04-performance.md:3: typed figure `30 µs`"),
        "{stderr}"
    );
    assert!(!stderr.contains("2 KiB`"), "{stderr}");
    assert!(stderr.contains("1 problem(s)"), "{stderr}");

    // The same text in another file is not excused.
    let other = exceptions.replace("src/ch04-performance.md", "src/SUMMARY.md");
    let repo = book(TYPED).file("measurements/typed-figures.toml", &other);
    let stderr = common::stderr(&repo.booktools(&["check-figures"]));
    assert!(stderr.contains("typed figure `2 KiB`"), "{stderr}");
}

#[test]
fn an_exception_that_excuses_nothing_any_more_fails() {
    let exceptions = "# header\n\n[[figure]]\nfile = \"src/ch04-performance.md\"\n\
                      text = \"a 2 KiB stack\"\nreason = \"Go's documented minimum stack\"\n";
    let repo = book(CLEAN).file("measurements/typed-figures.toml", exceptions);
    let output = repo.booktools(&["check-figures"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "error: measurements/typed-figures.toml:4: the exception for \"a 2 KiB stack\" \
             in src/ch04-performance.md excuses no typed figure there any more"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_exception_needs_a_reason_and_known_keys() {
    let blank = "[[figure]]\nfile = \"src/ch04-performance.md\"\n\
                 text = \"a 2 KiB stack\"\nreason = \" \"\n";
    let repo = book(TYPED).file("measurements/typed-figures.toml", blank);
    let stderr = common::stderr(&repo.booktools(&["check-figures"]));
    assert!(stderr.contains("gives no reason"), "{stderr}");

    let unknown =
        "[[figure]]\nfile = \"x\"\ntext = \"y\"\nreason = \"z\"\nwhy = \"w\"\n";
    let repo = book(TYPED).file("measurements/typed-figures.toml", unknown);
    let output = repo.booktools(&["check-figures"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        common::stderr(&output)
            .contains("measurements/typed-figures.toml:5: unknown field"),
        "{}",
        common::stderr(&output)
    );
}
