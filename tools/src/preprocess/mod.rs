//! `booktools preprocess`: the mdBook 0.5 preprocessor `measured`, which
//! replaces `{{#measured ...}}`, `{{#chart ...}}` and the other markers of
//! [`markers::MARKERS`] with figures from the measurements.
//!
//! Protocol: `booktools preprocess supports RENDERER` answers by exit code;
//! `booktools preprocess` reads `[context, book]` JSON on stdin and writes
//! the book JSON on stdout. Any marker problem is printed with its
//! `src/<chapter>:<line>` and the exit code is 1, so `mdbook build` fails.

pub mod ledger;
pub mod markers;
pub mod render;

use std::io::Write;
use std::path::Path;

use mdbook_preprocessor::PreprocessorContext;
use mdbook_preprocessor::book::Book;

pub use render::{Data, MEASUREMENTS_ENV};

/// Renderers whose input is markdown with inline HTML, as markers produce.
pub const SUPPORTED_RENDERERS: &[&str] = &["html", "markdown"];

pub fn supports(renderer: &str) -> bool {
    SUPPORTED_RENDERERS.contains(&renderer)
}

/// Reads the book from stdin, writes the processed book to stdout. Returns
/// the problems found, each a full `error: ...` line.
pub fn run_stdio() -> Result<(), Vec<String>> {
    let (ctx, book) = mdbook_preprocessor::parse_input(std::io::stdin().lock()).map_err(|e| {
        vec![format!(
            "error: preprocess: cannot read mdBook's input: {e:#}"
        )]
    })?;
    let book = process(&ctx, book)?;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &book)
        .map_err(|e| e.to_string())
        .and_then(|()| stdout.flush().map_err(|e| e.to_string()))
        .map_err(|e| vec![format!("error: preprocess: cannot write the book: {e}")])
}

/// Replaces the markers in every chapter of `book`, as mdBook asks.
pub fn process(ctx: &PreprocessorContext, book: Book) -> Result<Book, Vec<String>> {
    expand_book(&Data::load(&ctx.root), &ctx.config.book.src, book)
}

/// Replaces the markers in every chapter of `book` (draft chapters have
/// none) with figures from `data`; `src` is the book's source directory,
/// for messages. Returns every problem, each a full `error: ...` line.
pub fn expand_book(data: &Data, src: &Path, mut book: Book) -> Result<Book, Vec<String>> {
    let mut problems = Vec::new();
    book.for_each_chapter_mut(|chapter| {
        let file = match &chapter.source_path {
            Some(path) => display_path(&src.join(path)),
            None => format!("chapter \"{}\"", chapter.name),
        };
        let page = chapter.path.clone();
        match markers::expand(&chapter.content, |marker| {
            data.render_on(marker, page.as_deref())
        }) {
            Ok(content) => chapter.content = content,
            Err(errors) => problems.extend(
                errors
                    .into_iter()
                    .map(|e| format!("error: {file}:{}: {}: {}", e.line, e.marker, e.message)),
            ),
        }
    });
    if problems.is_empty() {
        return Ok(book);
    }
    if let Some(registry) = data.registry_problems() {
        let registry = registry.lines().map(|line| format!("error: {line}"));
        problems.splice(0..0, registry);
    }
    Err(problems)
}

/// `src/ch04.md`, with forward slashes on every platform.
fn display_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}
