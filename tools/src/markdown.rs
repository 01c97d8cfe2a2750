//! The one place booktools reads Markdown: mdBook 0.5.4's own parser and
//! options (`mdbook_markdown::new_cmark_parser`, pulldown-cmark underneath),
//! chosen so that every check sees a chapter exactly as `mdbook build` does.
//!
//! It gives, each with its 1-based source line: [`headings`] with the ids
//! mdBook's HTML renderer gives them, [`code_blocks`], the include-like
//! [`directives`], and the runs of `prose` the figure and wording checks read.
//!
//! The options are mdBook's defaults (`MarkdownOptions::default()`: smart
//! punctuation, definition lists, admonitions), which `mdbook-html` 0.5.4
//! takes from `[output.html]` (`src/html/mod.rs:53-55`); book.toml keeps them.
//!
//! Heading ids follow `mdbook-html` 0.5.4, where they are private:
//! `add_header_links` (`src/html/tree.rs:941-979`) gives every `h1`-`h6` and
//! `dt` that was not raw HTML the id written as `{#id}`, or else
//! `id_from_content` (`src/utils.rs:76-100`) of the element's text nodes
//! (`text_in_node`, `src/html/tree.rs:1111-1122`: text and code, not image
//! alt text), made unique within the chapter by `unique_id`
//! (`src/utils.rs:58-73`); explicit ids are not counted as used.
//!
//! Directives are found as mdBook's `links` preprocessor finds them
//! (`mdbook-driver` 0.5.4, `src/builtin_preprocessors/links.rs:412-425`): in
//! the raw chapter text, before Markdown is parsed, inside code blocks too.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use mdbook_markdown::pulldown_cmark::{
    CodeBlockKind, Event, HeadingLevel, Tag, TagEnd,
};
use mdbook_markdown::{MarkdownOptions, new_cmark_parser};
use regex::Regex;

/// Line numbers of byte offsets, computed once per text.
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let breaks = text.match_indices('\n').map(|(at, _)| at + 1);
        Lines {
            starts: std::iter::once(0).chain(breaks).collect(),
        }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|start| *start <= offset)
    }
}

pub(crate) use crate::files::line_of;

// ---------------------------------------------------------------- headings

/// A heading, a definition-list term (mdBook gives both an id), or an
/// `id="..."` attribute of raw HTML (a link target too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub kind: Target,
    /// The id mdBook gives it.
    pub id: String,
    /// Its text without markup, as a reader sees it.
    pub text: String,
    pub line: usize,
}

/// What gave a [`Heading`] its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An ATX (`## x`) or setext heading, with its level.
    Heading(HeadingLevel),
    /// A definition-list term, which mdBook renders as `dt` with an id.
    Term,
    /// An `id` attribute written in raw HTML.
    HtmlId,
}

/// mdBook's id for a heading: the explicit `{#id}` if there is one, else
/// `id_from_content` of its text made unique among `used` with `-1`, `-2`...
pub fn heading_id(
    text: &str,
    explicit: Option<&str>,
    used: &mut HashSet<String>,
) -> String {
    if let Some(id) = explicit {
        return id.to_string();
    }
    let id: String = text
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c),
            c if c.is_whitespace() => Some('-'),
            _ => None,
        })
        .collect();
    let mut candidate = id.clone();
    let mut n = 0;
    while !used.insert(candidate.clone()) {
        n += 1;
        candidate = format!("{id}-{n}");
    }
    candidate
}

/// `id="..."` attributes in raw HTML.
static HTML_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|\s)id=(?:"([^"]*)"|'([^']*)')"#)
        .expect("the id pattern compiles")
});

/// The headings of a chapter, in order, with the ids mdBook 0.5.4 renders.
pub fn headings(markdown: &str) -> Vec<Heading> {
    let lines = Lines::new(markdown);
    let mut found = Vec::new();
    let mut used = HashSet::new();
    // The heading being read: level, explicit id, line, id text, shown text.
    let mut open: Option<(Target, Option<String>, usize, String)> = None;
    let mut in_image = 0usize;
    for (event, range) in parser(markdown, true).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                let id = id.map(|id| id.to_string());
                let line = lines.line(range.start);
                open = Some((Target::Heading(level), id, line, String::new()));
            }
            Event::Start(Tag::DefinitionListTitle) => {
                open = Some((
                    Target::Term,
                    None,
                    lines.line(range.start),
                    String::new(),
                ));
            }
            Event::End(TagEnd::Heading(_) | TagEnd::DefinitionListTitle) => {
                if let Some((kind, explicit, line, text)) = open.take() {
                    found.push(Heading {
                        kind,
                        id: heading_id(&text, explicit.as_deref(), &mut used),
                        text: text.trim().to_string(),
                        line,
                    });
                }
            }
            Event::Start(Tag::Image { .. }) => in_image += 1,
            Event::End(TagEnd::Image) => in_image -= 1,
            Event::Text(text) | Event::Code(text) if in_image == 0 => {
                if let Some((.., shown)) = &mut open {
                    shown.push_str(&text);
                }
            }
            Event::SoftBreak if in_image == 0 => {
                if let Some((.., shown)) = &mut open {
                    shown.push(' ');
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                for id in HTML_ID.captures_iter(&html) {
                    let id = id.get(1).or(id.get(2)).map_or("", |m| m.as_str());
                    found.push(Heading {
                        kind: Target::HtmlId,
                        id: id.to_string(),
                        text: id.to_string(),
                        line: lines.line(range.start),
                    });
                }
            }
            _ => {}
        }
    }
    found
}

fn parser(
    markdown: &str,
    smart_punctuation: bool,
) -> mdbook_markdown::pulldown_cmark::Parser<'_> {
    let mut options = MarkdownOptions::default();
    options.smart_punctuation = smart_punctuation;
    new_cmark_parser(markdown, &options)
}

// ------------------------------------------------------------- code blocks

/// A code block as mdBook's parser sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// The info string of a fenced block (maybe empty); `None` when indented.
    pub info: Option<String>,
    /// The line of the opening fence (of the first line when indented).
    pub line: usize,
    /// The opening fence, as written: `` ``` ``, `~~~~`; empty when indented.
    pub fence: String,
    /// Whether a closing fence ends it (an indented block always is closed).
    pub closed: bool,
    /// The body, container prefixes (`>`, list indentation) removed.
    pub body: String,
    /// The line of the body's first line.
    pub body_line: usize,
}

/// The code blocks of `markdown`, in order.
pub fn code_blocks(markdown: &str) -> Vec<CodeBlock> {
    let lines = Lines::new(markdown);
    let mut blocks = Vec::new();
    let mut open: Option<CodeBlock> = None;
    for (event, range) in parser(markdown, false).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let (info, fence) = match kind {
                    CodeBlockKind::Fenced(info) => {
                        let opening = markdown[range.start..].trim_start();
                        let marker = opening.chars().next().unwrap_or('`');
                        let len =
                            opening.len() - opening.trim_start_matches(marker).len();
                        (
                            Some(info.trim().to_string()),
                            marker.to_string().repeat(len),
                        )
                    }
                    CodeBlockKind::Indented => (None, String::new()),
                };
                let line = lines.line(range.start);
                let block = CodeBlock {
                    closed: info.is_none() || closes(markdown, &range, &fence),
                    info,
                    line,
                    fence,
                    body: String::new(),
                    body_line: line + 1,
                };
                open = Some(block);
            }
            Event::Text(text) => {
                if let Some(block) = &mut open {
                    if block.body.is_empty() {
                        block.body_line = lines.line(range.start);
                    }
                    block.body.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                blocks.extend(open.take());
            }
            _ => {}
        }
    }
    blocks
}

/// Whether the last line of a fenced block's source `range` is a closing
/// fence: at least as long as `fence`, after its container's `>` markers.
fn closes(markdown: &str, range: &Range<usize>, fence: &str) -> bool {
    let source = markdown[range.clone()].trim_end_matches(['\n', '\r']);
    let Some((_, last)) = source.rsplit_once('\n') else {
        return false;
    };
    let last = last.trim_start_matches([' ', '\t', '>']).trim_end();
    let marker = fence.chars().next().unwrap_or('`');
    last.len() >= fence.len() && last.chars().all(|c| c == marker)
}

// -------------------------------------------------------------- directives

/// An include-like directive mdBook's `links` preprocessor expands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectiveKind {
    Include,
    RustdocInclude,
    Playground,
}

impl DirectiveKind {
    pub fn name(self) -> &'static str {
        match self {
            DirectiveKind::Include => "include",
            DirectiveKind::RustdocInclude => "rustdoc_include",
            DirectiveKind::Playground => "playground",
        }
    }
}

/// A directive as written: `{{#kind args}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive<'a> {
    pub kind: DirectiveKind,
    /// Text between the name and `}}`; `None` when mdBook would not close it
    /// on the line it opens (it would swallow text up to a later `}}`).
    pub args: Option<&'a str>,
    /// Byte range of the whole directive in the text.
    pub span: Range<usize>,
    pub line: usize,
}

/// mdBook's link pattern, `links.rs:413-424`, word for word.
static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\\\{\{\#.*\}\}|\{\{\s*\#([a-zA-Z0-9_]+)\s+([^}]+)\}\}")
        .expect("the link pattern compiles")
});

/// Where a directive opens, escaped or not.
static OPENING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\\?\{\{\s*\#(include|rustdoc_include|playground)\b")
        .expect("the opening pattern compiles")
});

/// The include-like directives of `text`, in order. Escaped ones
/// (`\{{#...}}`, to the line's last `}}`) are left out, as mdBook leaves them.
pub fn directives(text: &str) -> Vec<Directive<'_>> {
    let lines = Lines::new(text);
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(opening) = OPENING.captures_at(text, pos) {
        let whole = opening.get(0).expect("a match");
        let mut start = whole.start();
        pos = whole.end();
        if text[start..].starts_with('\\') {
            match LINK.find_at(text, start) {
                Some(escaped) if escaped.start() == start => {
                    pos = escaped.end();
                    continue;
                }
                _ => start += 1,
            }
        }
        let kind = match &opening[1] {
            "include" => DirectiveKind::Include,
            "rustdoc_include" => DirectiveKind::RustdocInclude,
            _ => DirectiveKind::Playground,
        };
        let line_end = text[start..].find('\n').map_or(text.len(), |n| start + n);
        let (args, end) = match LINK.captures_at(text, start) {
            Some(link) if link.get(0).is_some_and(|m| m.start() == start) => {
                let m = link.get(0).expect("a match");
                if m.end() <= line_end {
                    (link.get(2).map(|a| a.as_str()), m.end())
                } else {
                    (None, line_end)
                }
            }
            // No path at all (`{{#include}}`), or no `}}` on the line.
            _ => match text[pos..line_end].find("}}") {
                Some(close) => (Some(&text[pos..pos + close]), pos + close + 2),
                None => (None, line_end),
            },
        };
        found.push(Directive {
            kind,
            args,
            span: start..end,
            line: lines.line(start),
        });
        pos = end.max(pos);
    }
    found
}

// -------------------------------------------------------------- code spans

/// The inline code spans of `markdown` (`` `x` ``, outside code blocks), each
/// with its 1-based line.
pub fn code_spans(markdown: &str) -> Vec<(String, usize)> {
    let lines = Lines::new(markdown);
    parser(markdown, false)
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Code(code) => Some((code.to_string(), lines.line(range.start))),
            _ => None,
        })
        .collect()
}

// ------------------------------------------------------------------- prose

/// Stands in for what is not prose (code spans, markers, inline HTML), so a
/// figure or a run of words can neither start nor end inside it.
pub(crate) const GAP: char = '\u{1}';

/// A run of prose between two block boundaries, with where each part of it
/// came from.
#[derive(Debug, Default)]
pub(crate) struct Prose {
    pub(crate) text: String,
    /// (offset in `text`, offset in the source) where each event's text
    /// starts. An event's text never spans a line break (a soft break is an
    /// event of its own), so its start gives the line of anything inside it.
    pieces: Vec<(usize, usize)>,
}

impl Prose {
    fn push(&mut self, text: &str, source_offset: usize) {
        self.pieces.push((self.text.len(), source_offset));
        self.text.push_str(text);
    }

    /// The source offset of the event that holds `offset` in `text`.
    pub(crate) fn source_offset(&self, offset: usize) -> usize {
        let index = self.pieces.partition_point(|p| p.0 <= offset);
        self.pieces[index.saturating_sub(1)].1
    }
}

/// The runs of prose in `markdown`: text outside code, HTML and markers,
/// split at block boundaries, read with smart punctuation off so that prose
/// is matched as it is typed.
pub(crate) fn prose(markdown: &str) -> Vec<Prose> {
    let mut runs = Vec::new();
    let mut current = Prose::default();
    let mut in_code_block = false;
    let flush = |current: &mut Prose, runs: &mut Vec<Prose>| {
        if !current.text.is_empty() {
            runs.push(std::mem::take(current));
        }
    };
    for (event, range) in parser(markdown, false).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_)) => {
                flush(&mut current, &mut runs);
                in_code_block = true;
            }
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            _ if in_code_block => {}
            Event::Text(text) => current.push(&text, range.start),
            Event::SoftBreak | Event::HardBreak => current.push(" ", range.start),
            Event::Code(_)
            | Event::InlineHtml(_)
            | Event::FootnoteReference(_)
            | Event::InlineMath(_) => current.push(&GAP.to_string(), range.start),
            Event::Start(
                Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Superscript
                | Tag::Subscript
                | Tag::Link { .. }
                | Tag::Image { .. },
            )
            | Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link
                | TagEnd::Image,
            ) => {}
            _ => flush(&mut current, &mut runs),
        }
    }
    flush(&mut current, &mut runs);
    for run in &mut runs {
        run.text = blank_markers(&run.text);
    }
    runs
}

/// `text` with every `{{#...}}` marker overwritten by [`GAP`]s of the same
/// byte length, so offsets still map to the source.
fn blank_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{#") {
        let Some(len) = rest[start..].find("}}").map(|end| end + 2) else {
            break;
        };
        out.push_str(&rest[..start]);
        out.extend(std::iter::repeat_n(GAP, len));
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_skips_code_and_keeps_source_offsets() {
        let chapter = "Some *text* and `code`\nhere.\n\n```text\nnot prose\n```\n\n- item {{#measured a}}\n";
        let runs = prose(chapter);
        let texts: Vec<String> =
            runs.iter().map(|r| r.text.replace(GAP, "~")).collect();
        assert_eq!(texts, ["Some text and ~ here.", "item ~~~~~~~~~~~~~~~"]);
        assert_eq!(line_of(chapter, runs[0].source_offset(16)), 2);
        let lines = Lines::new("a\nb\n\nc");
        let found: Vec<usize> =
            [0, 1, 2, 4, 5, 99].iter().map(|o| lines.line(*o)).collect();
        assert_eq!(found, [1, 1, 2, 3, 4, 4]);
    }

    #[test]
    fn code_spans_have_their_lines_and_leave_code_blocks_out() {
        let chapter = "A `one`\nand\n`two` here.\n\n```text\n`not a span`\n```\n";
        let spans = code_spans(chapter);
        assert_eq!(spans, [("one".to_string(), 1), ("two".to_string(), 3)]);
    }
}
