//! `booktools::markdown` on the edges where a parser of mdBook's differs
//! from a line scanner: containers, indented code, inline markup, setext
//! headings, HTML blocks, and ids as mdBook 0.5.4 renders them.

use std::collections::HashSet;

use booktools::markdown::{
    DirectiveKind, Target, code_blocks, directives, heading_id, headings,
};
use mdbook_markdown::pulldown_cmark::HeadingLevel;

fn ids(markdown: &str) -> Vec<String> {
    headings(markdown).into_iter().map(|h| h.id).collect()
}

fn id_from_content(text: &str) -> String {
    heading_id(text, None, &mut HashSet::new())
}

#[test]
fn ids_follow_mdbook_id_from_content() {
    // The cases of mdbook-html 0.5.4's own test.
    assert_eq!(
        id_from_content("`--passes`: add more rustdoc passes"),
        "--passes-add-more-rustdoc-passes"
    );
    assert_eq!(
        id_from_content("Method-call 🐙 expressions \u{1f47c}"),
        "method-call--expressions-"
    );
    assert_eq!(id_from_content("_-_12345"), "_-_12345");
    assert_eq!(id_from_content("中文標題 CJK title"), "中文標題-cjk-title");
    assert_eq!(id_from_content("Über"), "über");
}

#[test]
fn headings_get_unique_ids_from_their_rendered_text() {
    let chapter = "# Scheduling: cooperative versus preemptive\n\n## The claim\n\n\
                   ### A task that never reaches an `.await`\n\n### tokio's budget ##\n\n\
                   ## The claim\n\nSetext *heading*\n---\n\n## Explicit {#own-id .c}\n\n\
                   ## [Linked](x.md) and ![img](i.png) <em>html</em> &amp; `a  b`\n\n\
                   ## snake_case and _emphasis_ -- dash \\_x\n";
    assert_eq!(
        ids(chapter),
        [
            "scheduling-cooperative-versus-preemptive",
            "the-claim",
            "a-task-that-never-reaches-an-await",
            "tokios-budget",
            "the-claim-1",
            "setext-heading",
            "own-id",
            "linked-and--html--a--b",
            "snake_case-and-emphasis--dash-_x",
        ]
    );
    assert_eq!(headings(chapter)[5].line, 11);
    assert_eq!(
        headings(chapter)[2].text,
        "A task that never reaches an .await"
    );
}

/// Each id below was read from the HTML `mdbook build` 0.5.4 wrote for
/// this chapter.
#[test]
fn ids_match_what_mdbook_0_5_4_renders() {
    let chapter = "# Scheduling: cooperative versus preemptive\n\n## The claim\n\n\
        ### A task that never reaches an `.await`\n\n### tokio's cooperative budget ##\n\n\
        ## The claim\n\nSetext *heading* with \"quotes\"\n---\n\n## Explicit {#own-id .c}\n\n\
        ## [Linked](x.md) and ![img](i.png) <em>html</em> &amp; `a  b`\n\n\
        ## snake_case and _emphasis_ -- dash \\_x --- em... done\n\n\
        ## `spawn_blocking` to the rescue?\n\n## Über 中文 &nbsp; nbsp\n\n\
        > [!TIP]\n> ## Quoted heading\n\nTerm one\n: its definition\n\n## Term one\n\n\
        ```rust\n# not a heading\n```\n\n<div id=\"raw-div\">\ntext\n</div>\n\n\
        ## What about *`code`* and __strong__ and **bold**\n\n\
        ## a _ b __init__ x_y_z _a_b_\n\n## Tabs\tand  double  spaces \n\n#no-space\n\n## \n";
    assert_eq!(
        ids(chapter),
        [
            "scheduling-cooperative-versus-preemptive",
            "the-claim",
            "a-task-that-never-reaches-an-await",
            "tokios-cooperative-budget",
            "the-claim-1",
            "setext-heading-with-quotes",
            "own-id",
            "linked-and--html--a--b",
            "snake_case-and-emphasis--dash-_x--em-done",
            "spawn_blocking-to-the-rescue",
            "über-中文---nbsp",
            "quoted-heading",
            "term-one",
            "term-one-1",
            "raw-div",
            "what-about-code-and-strong-and-bold",
            "a-_-b-init-x_y_z-a_b",
            "tabs-and--double--spaces",
            "",
        ]
    );
    let texts: Vec<String> = headings(chapter).into_iter().map(|h| h.text).collect();
    assert_eq!(texts[7], "Linked and  html & a  b");
    assert_eq!(texts[15], "What about code and strong and bold");
}

#[test]
fn code_comments_html_and_quotes_are_handled() {
    let chapter = "```rust\n# not a heading\n```\n\n~~~~\n## nor this\n~~~~\n\n\
                   <!--\n# hidden\n-->\n\n<div id=\"raw\">\n\n    # indented code\n\n\
                   > [!TIP]\n> ## Quoted\n\nTerm\n: its definition\n\n- item\n---\n";
    assert_eq!(ids(chapter), ["raw", "quoted", "term"]);
}

#[test]
fn ids_are_made_unique_with_a_counter_but_explicit_ids_are_not_counted() {
    let mut used = HashSet::new();
    let made: Vec<String> = ["Über", "Über", "Über", "Über-1", ""]
        .iter()
        .map(|t| heading_id(t, None, &mut used))
        .collect();
    assert_eq!(made, ["über", "über-1", "über-2", "über-1-1", ""]);
    // mdBook gives an explicit id as written and does not reserve it.
    assert_eq!(ids("## A {#a}\n\n## A\n\n## A\n"), ["a", "a", "a-1"]);
}

#[test]
fn a_fence_in_a_block_quote_in_a_list_item_is_code() {
    let chapter =
        "- item\n\n  > ```text\n  > # not a heading\n  > ```\n\n## After\n";
    assert_eq!(ids(chapter), ["after"]);
    let blocks = code_blocks(chapter);
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    let block = &blocks[0];
    assert_eq!(block.info.as_deref(), Some("text"));
    assert_eq!((block.line, block.body_line), (3, 4));
    assert_eq!((block.fence.as_str(), block.closed), ("```", true));
    assert_eq!(block.body, "# not a heading\n");
}

#[test]
fn an_indented_code_block_has_no_info_and_no_headings() {
    let chapter = "Para.\n\n    # not a heading\n    ```rust\n\n## Real\n";
    assert_eq!(ids(chapter), ["real"]);
    let blocks = code_blocks(chapter);
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert_eq!(blocks[0].info, None);
    assert_eq!((blocks[0].line, blocks[0].body_line), (3, 3));
    assert_eq!(blocks[0].body, "# not a heading\n```rust\n");
    assert!(blocks[0].closed);
}

#[test]
fn a_heading_with_inline_code_and_emphasis() {
    let found = headings("\n## The `spawn_blocking` *escape* **hatch** _x_ ~~y~~\n");
    assert_eq!(found[0].id, "the-spawn_blocking-escape-hatch-x-y");
    assert_eq!(found[0].text, "The spawn_blocking escape hatch x y");
    assert_eq!(found[0].line, 2);
    assert_eq!(found[0].kind, Target::Heading(HeadingLevel::H2));
}

#[test]
fn a_setext_heading_spans_its_lines() {
    let found =
        headings("Intro.\n\nTwo line\nsetext *heading*\n===\n\nNot\n- a heading\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, "two-line-setext-heading");
    assert_eq!(found[0].text, "Two line setext heading");
    assert_eq!(
        (found[0].line, found[0].kind),
        (3, Target::Heading(HeadingLevel::H1))
    );
}

#[test]
fn an_html_block_hides_markdown_until_a_blank_line() {
    let chapter = "<div>\n\n## Inside\n\n</div>\n\n<div>\n# not markdown\n</div>\n";
    assert_eq!(ids(chapter), ["inside"]);
    assert!(code_blocks("<pre>\n```rust\n</pre>\n").is_empty());
}

#[test]
fn an_include_in_a_fence_in_a_block_quote_is_found_in_the_raw_text() {
    let chapter = "> Note\n>\n> ```rust\n> {{#include a.rs:x}}\n> ```\n";
    let found = directives(chapter);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].kind, found[0].args, found[0].line),
        (DirectiveKind::Include, Some("a.rs:x"), 4)
    );
    assert_eq!(&chapter[found[0].span.clone()], "{{#include a.rs:x}}");
    let blocks = code_blocks(chapter);
    assert_eq!((blocks[0].line, blocks[0].body_line), (3, 4));
    assert_eq!(blocks[0].body, "{{#include a.rs:x}}\n");
}

#[test]
fn directives_follow_mdbook_links_pattern() {
    let text = "{{#include a.rs}} {{ #rustdoc_include b.rs:x }}\n\\{{#include c.rs}} x }}\n\
                {{#include}}\n{{#playground d.rs editable}}\n{{#title T}}\n{{#include e.rs\nf}}\n";
    let found: Vec<(&str, Option<&str>, usize)> = directives(text)
        .iter()
        .map(|d| (d.kind.name(), d.args, d.line))
        .collect();
    assert_eq!(
        found,
        [
            ("include", Some("a.rs"), 1),
            ("rustdoc_include", Some("b.rs:x "), 1),
            ("include", Some(""), 3),
            ("playground", Some("d.rs editable"), 4),
            // mdBook's `[^}]+` would run on to the next line's `}}`.
            ("include", None, 6),
        ]
    );
}

#[test]
fn an_unclosed_fence_runs_to_the_end_of_its_container() {
    let blocks = code_blocks("> ```text\n> a\n\nafter\n\n~~~~\n~~~\n");
    let found: Vec<(usize, &str, bool)> = blocks
        .iter()
        .map(|b| (b.line, b.fence.as_str(), b.closed))
        .collect();
    assert_eq!(found, [(1, "```", false), (6, "~~~~", false)]);
    assert!(code_blocks("```text\na\n````\n")[0].closed);
}

#[test]
fn fences_need_three_markers_and_at_most_three_spaces() {
    let infos = |text: &str| -> Vec<Option<String>> {
        code_blocks(text).into_iter().map(|b| b.info).collect()
    };
    assert_eq!(infos("```rust\nx\n```\n"), [Some("rust".to_string())]);
    assert_eq!(infos("   ~~~~ text\nx\n~~~~\n"), [Some("text".to_string())]);
    assert!(infos("``rust\nx\n``\n").is_empty());
    assert_eq!(infos("    ```rust\n"), [None]);
    assert!(infos("```a`b\nx\n```\n").len() <= 1);
    assert!(infos("```a`b\n").is_empty());
}
