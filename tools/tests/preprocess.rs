//! The mdBook preprocessor `measured`: each marker, its errors, and the
//! mdBook 0.5 protocol through the built binary.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use booktools::preprocess::{Data, expand_book};
use common::{CLAIMS, Repo, measurements_json, stderr};
use mdbook_preprocessor::PreprocessorContext;
use mdbook_preprocessor::book::{Book, BookItem, Chapter};
use mdbook_preprocessor::config::Config;

const NOISE: &str = r#"{
  "mode": "ci",
  "cpu": "Fixture CPU @ 2.0GHz",
  "cores": 2,
  "first": "2026-11-20T10:00:00Z",
  "last": "2026-11-21T10:00:00Z",
  "claims": {
    "spawn-cost": {"runs": 10, "min": 61.2, "median": 84.4, "max": 113.1, "at_least": 20.0, "below": 0}
  }
}
"#;

fn book(chapters: &[(&str, &str)]) -> Book {
    let mut book = Book::new();
    for (path, content) in chapters {
        book.push_item(Chapter::new(
            "Chapter",
            content.to_string(),
            *path,
            Vec::new(),
        ));
    }
    book
}

fn content(book: &Book, index: usize) -> &str {
    match &book.items[index] {
        BookItem::Chapter(chapter) => &chapter.content,
        other => panic!("not a chapter: {other:?}"),
    }
}

/// Expands one chapter `src/ch.md` of the fixture repository.
fn expand(repo: &Repo, chapter: &str) -> Result<String, Vec<String>> {
    let data = Data::load_with(repo.path(), None);
    let book = expand_book(&data, Path::new("src"), book(&[("ch.md", chapter)]))?;
    Ok(content(&book, 0).to_string())
}

fn expand_one(chapter: &str) -> Result<String, Vec<String>> {
    expand(
        &Repo::with_measurements().file("measurements/noise.json", NOISE),
        chapter,
    )
}

#[test]
fn measured_values_print_with_scaled_units() {
    let text = "Thread {{#measured spawn/thread}}, task {{#measured spawn/task}}, \
                stack {{#measured memory/thread}}.";
    assert_eq!(
        expand_one(text).unwrap(),
        "Thread 31.2 µs, task 372 ns, stack 9.6 KiB."
    );
}

#[test]
fn ratio_threshold_and_claim_markers() {
    let text = "{{#ratio spawn-cost}} | {{#threshold spawn-cost}} | {{#claim spawn-cost}}\n\
                {{#ratio memory-cost}}";
    assert_eq!(
        expand_one(text).unwrap(),
        "84× | 20× | claimed at least 20×, measured 84×: holds\n20×"
    );
}

#[test]
fn a_chart_is_an_inline_svg_figure_with_alt_text_and_caption() {
    let html = expand_one("before\n\n{{#chart spawn-bars}}\n\nafter\n").unwrap();
    let figure = html
        .strip_prefix("before\n\n")
        .unwrap()
        .strip_suffix("\n\nafter\n")
        .unwrap();
    assert!(
        figure.starts_with(
            "<figure class=\"measured-chart\" id=\"chart-spawn-bars\">\n<svg role=\"img\" \
             aria-label=\"Bar chart of median time, log scale. thread: 31.2 µs; task: 372 ns.\" "
        ),
        "{figure}"
    );
    assert!(figure.contains("Spawn &amp; join"), "{figure}");
    assert!(figure.ends_with(
        "<figcaption><strong>Spawn &amp; join.</strong> Largest: “thread”, 31.2 µs, which is 84× \
         the smallest, “task”, 372 ns. Measured 2026-11-23 on Fixture CPU @ 2.0GHz, 2 cores \
         (full mode).</figcaption>\n</figure>"
    ));
    // A blank line would end the HTML block in the middle of the figure.
    assert!(!figure.contains("\n\n"));
}

#[test]
fn provenance_claims_and_noise_tables() {
    let text = expand_one("{{#provenance}}\n{{#claims}}\n{{#noise}}").unwrap();
    for row in [
        "| | |\n| --- | --- |\n| measured | 2026-11-23T18:10:05Z |\n",
        "| CPU | Fixture CPU @ 2.0GHz (2 cores) |\n",
        "| crates | criterion 0.8.2, tokio 1.54.1 |\n",
        "| commit | abc1234 |\n",
        "| values | 14 in `measurements/measurements.json` |\n",
        "| claim | statement | threshold | measured | status |\n",
        "| `spawn-cost` | A task is much cheaper to spawn than a thread. | 20× | 84× | holds |\n",
        "| `memory-cost` | A parked task needs far less memory than a parked thread. | 10× | 20× | holds |\n",
        "Ratios over 10 runs in ci mode on Fixture CPU @ 2.0GHz (2 cores), 2026-11-20 to 2026-11-21.\n",
        "| `spawn-cost` | 20× | 61× | 84× | 113× | 10 | 0 |\n",
        "| `memory-cost` | 10× | | | | 0 | |\n",
    ] {
        assert!(text.contains(row), "missing {row:?} in\n{text}");
    }
}

#[test]
fn escaped_markers_stay_literal_without_the_backslash() {
    let text = "Write \\{{#measured spawn/thread}} or \\{{#nonsense x}}; {{#measured spawn/task}}";
    assert_eq!(
        expand_one(text).unwrap(),
        "Write {{#measured spawn/thread}} or {{#nonsense x}}; 372 ns"
    );
}

#[test]
fn unknown_ids_name_the_chapter_line_and_marker() {
    let errors = expand_one("# Title\n\nIt takes {{#measured spawn/thred}}.\n{{#ratio no-such-claim}}\n{{#chart nope}}\n")
        .unwrap_err();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "error: src/ch.md:3: {{#measured spawn/thred}}: no measurement `spawn/thred` in \
             measurements/measurements.json: its source has: spawn/task, spawn/thread"
        ),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with(
            "error: src/ch.md:4: {{#ratio no-such-claim}}: no claim `no-such-claim`"
        ),
        "{errors:?}"
    );
    assert!(
        errors[2]
            .starts_with("error: src/ch.md:5: {{#chart nope}}: no chart `nope`")
    );
}

#[test]
fn unknown_and_malformed_markers_name_the_chapter_line() {
    let errors = expand_one(
        "a\n{{#measure spawn/thread}}\n{{#measured}}\n{{#claims all}}\n{{#ratio spawn-cost\n",
    )
    .unwrap_err();
    let lines: Vec<&str> = errors
        .iter()
        .map(|e| e.split(": ").nth(1).unwrap())
        .collect();
    assert_eq!(
        lines,
        ["src/ch.md:2", "src/ch.md:3", "src/ch.md:4", "src/ch.md:5"]
    );
    assert!(errors[0].contains(
        "unknown marker `measure`: the markers are `{{#measured MEASUREMENT}}`"
    ));
    assert!(
        errors[1].contains("malformed marker: write `{{#measured MEASUREMENT}}`")
    );
    assert!(errors[2].contains("malformed marker: write `{{#claims}}`"));
    assert!(errors[3].contains("{{#ratio spawn-cost: the marker is not closed"));
}

#[test]
fn a_claim_the_measurements_contradict_fails_the_build() {
    let repo = Repo::with_measurements().file(
        "measurements/claims.toml",
        &CLAIMS.replace("at_least = 20", "at_least = 100"),
    );
    for marker in [
        "{{#claim spawn-cost}}",
        "{{#ratio spawn-cost}}",
        "{{#claims}}",
    ] {
        let errors = expand(&repo, &format!("x\n{marker}\n")).unwrap_err();
        assert!(
            errors[0].starts_with(&format!("error: src/ch.md:2: {marker}: ")),
            "{errors:?}"
        );
        assert!(
            errors[0].contains(
                "claim `spawn-cost` does not hold: measured ratio 84x is below its threshold 100x"
            ),
            "{errors:?}"
        );
    }
}

#[test]
fn missing_files_fail_only_the_markers_that_need_them() {
    let repo = Repo::new().file("measurements/claims.toml", CLAIMS);
    assert_eq!(
        expand(&repo, "no markers {{ here }}").unwrap(),
        "no markers {{ here }}"
    );
    let errors = expand(&repo, "{{#measured spawn/thread}}").unwrap_err();
    assert!(errors[0].contains("cannot read "), "{errors:?}");
    assert!(
        errors[0].contains("/measurements/measurements.json: "),
        "{errors:?}"
    );
    assert!(errors[0].contains("booktools measure"), "{errors:?}");
    let errors = expand(&Repo::with_measurements(), "{{#noise}}").unwrap_err();
    assert!(
        errors[0].contains("measurements/noise.json is missing"),
        "{errors:?}"
    );
}

#[test]
fn nested_chapters_are_named_by_their_source_path_and_drafts_are_skipped() {
    let repo = Repo::with_measurements();
    let mut book = Book::new();
    let mut part = Chapter::new(
        "Part",
        "{{#measured spawn/task}}".into(),
        "part/index.md",
        vec![],
    );
    part.sub_items.push(BookItem::Chapter(Chapter::new(
        "Sub",
        "ok\n{{#measured nope/x}}".into(),
        "part/sub.md",
        vec!["Part".into()],
    )));
    book.push_item(part);
    book.push_item(Chapter::new_draft("Draft", vec![]));
    let errors =
        expand_book(&Data::load_with(repo.path(), None), Path::new("src"), book)
            .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("error: src/part/sub.md:2: {{#measured nope/x}}: "),
        "{errors:?}"
    );
}

// ------------------------------------------------------------ the protocol

/// Runs `booktools preprocess` as mdBook does: `[context, book]` JSON on stdin.
fn run_preprocessor(repo: &Repo, book: &Book, env: Option<(&str, &str)>) -> Output {
    let ctx = PreprocessorContext::new(
        repo.path().to_path_buf(),
        Config::default(),
        "html".into(),
    );
    let input = serde_json::to_vec(&(&ctx, book)).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_booktools"));
    command
        .arg("preprocess")
        .current_dir(repo.path())
        .env_remove("BOOK_MEASUREMENTS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some((key, value)) = env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_binary_speaks_the_mdbook_0_5_protocol() {
    let repo = Repo::with_measurements();
    let input = book(&[
        ("intro.md", "# Intro\n"),
        (
            "ch.md",
            "Spawning takes {{#measured spawn/thread}}.\n{{#include ../x.rs}}\n",
        ),
    ]);
    let output = run_preprocessor(&repo, &input, None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // mdBook 0.5 reads `items`, not 0.4's `sections`.
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        json.get("items").is_some() && json.get("sections").is_none(),
        "{json}"
    );
    let book: Book = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(content(&book, 0), "# Intro\n");
    assert_eq!(
        content(&book, 1),
        "Spawning takes 31.2 µs.\n{{#include ../x.rs}}\n"
    );
}

#[test]
fn book_measurements_names_the_file_in_use() {
    let repo = Repo::with_measurements()
        .file("target/ci.json", &measurements_json(50_000.0));
    let input = book(&[("ch.md", "{{#measured spawn/thread}}")]);
    let output = run_preprocessor(
        &repo,
        &input,
        Some(("BOOK_MEASUREMENTS", "target/ci.json")),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let book: Book = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(content(&book, 0), "50 µs");

    let output = run_preprocessor(
        &repo,
        &input,
        Some(("BOOK_MEASUREMENTS", "target/none.json")),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("/target/none.json: "),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("fix or unset BOOK_MEASUREMENTS"));
}

#[test]
fn the_binary_fails_with_every_problem_and_prints_no_book() {
    let repo = Repo::with_measurements();
    let input = book(&[("a.md", "{{#measured x/y}}"), ("b.md", "\n{{#frob}}")]);
    let output = run_preprocessor(&repo, &input, None);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = stderr(&output);
    assert!(
        stderr
            .contains("error: src/a.md:1: {{#measured x/y}}: no measurement `x/y`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: src/b.md:2: {{#frob}}: unknown marker `frob`"),
        "{stderr}"
    );
    assert!(stderr.contains("2 problem(s) with markers"), "{stderr}");
}

#[test]
fn supports_answers_by_exit_code_for_html_and_markdown() {
    let repo = Repo::new();
    let supports = |renderer: &str| {
        repo.booktools(&["preprocess", "supports", renderer])
            .status
            .code()
    };
    assert_eq!(supports("html"), Some(0));
    assert_eq!(supports("markdown"), Some(0));
    assert_eq!(supports("linkcheck2"), Some(1));
}

/// The trait mdBook's own preprocessors implement, under the name book.toml
/// configures (`[preprocessor.measured]`).
#[test]
fn measured_is_an_mdbook_preprocessor_named_as_book_toml_names_it() {
    use booktools::preprocess::Measured;
    use mdbook_preprocessor::Preprocessor;
    let book_toml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../book.toml"
    ))
    .unwrap();
    assert!(
        book_toml.contains(&format!("[preprocessor.{}]", Measured.name())),
        "{book_toml}"
    );
    assert!(Measured.supports_renderer("html").unwrap());
    assert!(!Measured.supports_renderer("linkcheck2").unwrap());
}

/// With mdBook on the PATH (CI installs it before the tests), a real
/// `mdbook build` runs the binary as configured in a book.toml.
#[test]
fn mdbook_build_runs_the_preprocessor() {
    if Command::new("mdbook").arg("--version").output().is_err() {
        eprintln!("mdbook is not installed: skipping the real build");
        return;
    }
    let command = format!("{} preprocess", env!("CARGO_BIN_EXE_booktools"));
    let book_toml = format!(
        "[book]\ntitle = \"Fixture\"\n\n[preprocessor.measured]\ncommand = {command:?}\nbefore = [\"links\"]\n"
    );
    let repo = Repo::with_measurements()
        .file("book.toml", &book_toml)
        .file("src/SUMMARY.md", "# Summary\n\n- [Chapter](ch.md)\n")
        .file(
            "src/ch.md",
            "# Chapter\n\nIt takes {{#measured spawn/thread}}, not \\{{#measured spawn/thread}}.\n",
        );
    let build = |repo: &Repo| {
        Command::new("mdbook")
            .arg("build")
            .current_dir(repo.path())
            .env_remove("BOOK_MEASUREMENTS")
            .output()
            .unwrap()
    };
    let output = build(&repo);
    assert!(output.status.success(), "{}", stderr(&output));
    let html = repo.read("book/ch.html");
    assert!(
        html.contains("It takes 31.2 µs, not {{#measured spawn/thread}}."),
        "{html}"
    );

    let repo = repo.file("src/ch.md", "# Chapter\n\n{{#measured spawn/nothing}}\n");
    let output = build(&repo);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("error: src/ch.md:3: {{#measured spawn/nothing}}")
    );
}

#[test]
fn registry_problems_are_reported_once_before_the_markers_they_break() {
    let repo = Repo::with_measurements().file(
        "measurements/claims.toml",
        &CLAIMS.replace("at_least = 20", "at_least = 2"),
    );
    let errors = expand(
        &repo,
        "{{#ratio spawn-cost}} {{#claim spawn-cost}}\n{{#measured spawn/task}}",
    )
    .unwrap_err();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "error: measurements/claims.toml:23: claim `spawn-cost` has at_least = 2"
        ),
        "{errors:?}"
    );
    assert_eq!(
        errors[1],
        "error: src/ch.md:1: {{#ratio spawn-cost}}: needs measurements/claims.toml, which has the problems listed first"
    );
}

#[test]
fn a_missing_parameter_lists_the_same_name_at_its_other_parameters_first() {
    let errors = expand_one("{{#measured scale/tasks/7}}\n").unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].ends_with(
            "its source has: scale/tasks/1, scale/tasks/10, scale/tasks/100, \
             scale/tasks/1000, scale/tasks/10000, scale/tasks/100000"
        ),
        "{errors:?}"
    );
}
