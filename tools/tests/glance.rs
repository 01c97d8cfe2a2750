//! The `{{#at_a_glance}}` marker on fixture books: the articles' table rows
//! in inventory order with a chip and a link each, the totals, and the
//! problems that fail the build (a row without `in_rust`, `in_rust` on no
//! row, an unreadable row, a typed figure or an article's words in `in_rust`).

mod common;

use std::path::Path;

use booktools::preprocess::{Data, expand_book};
use common::{CLAIMS, Repo, measurements_json};
use mdbook_preprocessor::book::{Book, BookItem, Chapter};

const SUMMARY: &str = "# Summary\n\n- [Introduction](introduction.md)\n  \
                       - [Verdicts at a glance](at-a-glance.md)\n\n# The rows\n\n\
                       - [Demo: one answer](ch01-demo.md)\n- [Second](ch02-second.md)\n";

/// Boxes for every statement with a verdict, in the chapter of its section.
const DEMO: &str = "# Demo: one answer\n\n## The verdict\n\n\
                    > {{#verdict holds: codemia-table-zeta}}\n> Yes.\n\n\
                    > {{#verdict holds-in-part: codemia-table-alpha rehman-chart-last}}\n> Partly.\n\n\
                    > {{#verdict holds: rehman-faq-other}}\n> Yes.\n";

const SECOND: &str = "# Second\n\n## The verdict\n\n\
                      > {{#verdict does-not-hold: codemia-table-middle}}\n> No.\n";

/// Rows written out of alphabetical order (Zeta before Alpha), Rehman's
/// unlabelled last row between them, and a statement that is no row. The
/// `in_rust` of `codemia-table-zeta` is on line 9.
const FIRST_FILE: &str = r#"[[statement]]
id = "codemia-table-zeta"
source = "codemia"
location = "comparison table, row Zeta"
says = "Zeta | says."
section = "ch01-demo.md#the-verdict"
verdict = "holds"
claims = ["spawn-cost"]
in_rust = "True: a task is {{#ratio spawn-cost}} cheaper."

[[statement]]
id = "rehman-chart-last"
source = "rehman"
location = "comparison chart, last row"
says = "Last says."
section = "ch01-demo.md#the-verdict"
verdict = "holds-in-part"
claims = ["spawn-cost"]
in_rust = "Last in Rust."

[[statement]]
id = "codemia-table-alpha"
source = "codemia"
location = "comparison table, row Alpha"
says = "Alpha says."
section = "ch01-demo.md#the-verdict"
verdict = "holds-in-part"
claims = ["spawn-cost"]
in_rust = "Alpha in Rust."

[[statement]]
id = "rehman-faq-other"
source = "rehman"
location = "FAQ: \"Is this a row?\""
says = "Not a row."
section = "ch01-demo.md#the-verdict"
verdict = "holds"
claims = ["spawn-cost"]
"#;

/// A row in the second file, so in inventory order after all of the first.
const SECOND_FILE: &str = r#"[[statement]]
id = "codemia-table-middle"
source = "codemia"
location = "comparison table, row Middle"
says = "Middle says."
section = "ch02-second.md#the-verdict"
verdict = "does-not-hold"
claims = ["spawn-cost"]
in_rust = "Middle in Rust."
"#;

const FIRST_PATH: &str = "book/inventory/ch01-a.toml";

/// The book lives in `book/` so that `../shared/sources`, where the marker
/// looks for the articles, is inside the temporary directory.
fn fixture() -> Repo {
    Repo::new()
        .file("book/src/SUMMARY.md", SUMMARY)
        .file("book/src/introduction.md", "# Introduction\n")
        .file("book/src/ch01-demo.md", DEMO)
        .file("book/src/ch02-second.md", SECOND)
        .file("book/measurements/claims.toml", CLAIMS)
        .file(
            "book/measurements/measurements.json",
            &measurements_json(31_234.0),
        )
        .file(FIRST_PATH, FIRST_FILE)
        .file("book/inventory/ch02-b.toml", SECOND_FILE)
}

fn with_first(edit: impl Fn(&str) -> String) -> Repo {
    fixture().file(FIRST_PATH, &edit(FIRST_FILE))
}

/// Expands `{{#at_a_glance}}` on the page `src/<page>` of the fixture.
fn glance(repo: &Repo, page: &str) -> Result<String, Vec<String>> {
    let mut book = Book::new();
    book.push_item(Chapter::new(
        "Verdicts at a glance",
        "# At a glance\n\n{{#at_a_glance}}\n".to_string(),
        page,
        Vec::new(),
    ));
    let data = Data::load_with(&repo.join("book"), None);
    let book = expand_book(&data, Path::new("src"), book)?;
    match &book.items[0] {
        BookItem::Chapter(chapter) => Ok(chapter.content.clone()),
        other => panic!("not a chapter: {other:?}"),
    }
}

fn chip(key: &str, words: &str) -> String {
    format!("<span class=\"verdict-chip verdict-{key}\">{words}</span>")
}

#[test]
fn each_articles_rows_come_in_inventory_order_with_a_chip_and_a_box_link_then_the_totals()
 {
    let text = glance(&fixture(), "at-a-glance.md").unwrap();
    let header = "| row | the claim, in our words | verdict | in Rust | verdict box |\n\
                  | --- | --- | --- | --- | --- |\n";
    let expected = format!(
        "# At a glance\n\n\
         **Codemia's comparison table**, 3 rows in its order:\n\n<div class=\"glance\">\n\n\
         {header}\
         | Zeta | Zeta \\| says. | {holds} | True: a task is 84× cheaper. | \
         [Demo](ch01-demo.md#verdict-codemia-table-zeta) |\n\
         | Alpha | Alpha says. | {part} | Alpha in Rust. | \
         [Demo](ch01-demo.md#verdict-codemia-table-alpha) |\n\
         | Middle | Middle says. | {not} | Middle in Rust. | \
         [Second](ch02-second.md#verdict-codemia-table-middle) |\n\
         \n</div>\n\n\
         **Rehman's comparison chart**, 1 rows in its order:\n\n<div class=\"glance\">\n\n\
         {header}\
         | *(last row, no label)* | Last says. | {part} | Last in Rust. | \
         [Demo](ch01-demo.md#verdict-rehman-chart-last) |\n\
         \n</div>\n\n\
         All 5 statements of the two articles: {holds} 2, {part} 2, {not} 1.\n\n\
         The 4 table rows above: {holds} 1, {part} 2, {not} 1.\n\n\n",
        holds = chip("holds", "holds"),
        part = chip("holds-in-part", "holds in part"),
        not = chip("does-not-hold", "does not hold for Rust"),
    );
    assert_eq!(text, expected);
}

#[test]
fn the_box_links_are_relative_to_the_page() {
    let text = glance(&fixture(), "guide/at-a-glance.md").unwrap();
    assert!(
        text.contains("[Demo](../ch01-demo.md#verdict-codemia-table-zeta)"),
        "{text}"
    );
    assert_eq!(text.matches("](../").count(), 4, "one link per row: {text}");
}

#[test]
fn a_table_row_without_in_rust_fails_the_page_naming_its_line() {
    let repo = with_first(|text| {
        text.replace(
            "in_rust = \"True: a task is {{#ratio spawn-cost}} cheaper.\"\n",
            "",
        )
    });
    let errors = glance(&repo, "at-a-glance.md").unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(
            "error: src/at-a-glance.md:3: {{#at_a_glance}}: the page needs a sound inventory, \
             and it has 1 problem(s):\n  \
             error: inventory/ch01-a.toml:2: statement `codemia-table-zeta`: is a row of \
             codemia's comparison table but has no `in_rust`"
        ),
        "{errors:#?}"
    );
}

#[test]
fn in_rust_on_a_statement_that_is_no_row_fails() {
    let repo = with_first(|text| {
        text.replace(
            "says = \"Not a row.\"\n",
            "says = \"Not a row.\"\nin_rust = \"Anything.\"\n",
        )
    });
    let errors = glance(&repo, "at-a-glance.md").unwrap_err();
    assert!(
        errors[0].contains(
            "error: inventory/ch01-a.toml:36: statement `rehman-faq-other`: has `in_rust` but \
             is no row of a comparison table"
        ),
        "{errors:#?}"
    );
}

#[test]
fn a_location_that_starts_like_a_row_but_names_none_fails() {
    let repo = with_first(|text| {
        text.replace("comparison table, row Alpha", "comparison table, Alpha")
    });
    let errors = glance(&repo, "at-a-glance.md").unwrap_err();
    assert!(
        errors[0].contains(
            "error: inventory/ch01-a.toml:22: statement `codemia-table-alpha`: location \
             `comparison table, Alpha` names a comparison table but no row"
        ),
        "{errors:#?}"
    );
}

#[test]
fn a_typed_figure_in_in_rust_fails_where_a_marker_would_not() {
    let repo = with_first(|text| text.replace("{{#ratio spawn-cost}}", "84x"));
    let errors = glance(&repo, "at-a-glance.md").unwrap_err();
    assert!(
        errors[0].contains(
            "error: inventory/ch01-a.toml:9: statement `codemia-table-zeta`: `in_rust` types \
             the figure `84x`"
        ),
        "{errors:#?}"
    );
}

#[test]
fn a_marker_that_is_no_figure_cannot_stand_in_in_rust() {
    let repo =
        with_first(|text| text.replace("{{#ratio spawn-cost}}", "{{#ledger}}"));
    let errors = glance(&repo, "at-a-glance.md").unwrap_err();
    assert!(
        errors[0].contains(
            "error: inventory/ch01-a.toml:9: statement `codemia-table-zeta`: `in_rust`: \
             {{#ledger}}: `{{#ledger}}` cannot stand in `in_rust`"
        ),
        "{errors:#?}"
    );
}

#[test]
fn six_words_of_an_article_in_in_rust_fail_when_the_articles_are_there() {
    let article =
        "The article: coroutines voluntarily yield control to each other, always.\n";
    let repo = with_first(|text| {
        text.replace(
            "Alpha in Rust.",
            "Coroutines voluntarily yield control to each other.",
        )
    });
    // Without the articles, nothing is compared.
    glance(&repo, "at-a-glance.md").unwrap();
    let repo = repo.file("shared/sources/article.txt", article);
    let errors = glance(&repo, "at-a-glance.md").unwrap_err();
    assert!(
        errors[0].contains(
            "error: inventory/ch01-a.toml:29: statement `codemia-table-alpha`: `in_rust`: \
             \"coroutines voluntarily yield control to each other\" stands word for word in \
             the source article article.txt"
        ),
        "{errors:#?}"
    );
}
