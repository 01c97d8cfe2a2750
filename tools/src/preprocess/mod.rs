//! `booktools preprocess`: the mdBook 0.5 preprocessor `measured`, which
//! replaces `{{#measured ...}}`, `{{#chart ...}}` and the other markers of
//! [`markers::MARKERS`] with figures from the measurements.
//!
//! Protocol: `booktools preprocess supports RENDERER` answers by exit code;
//! `booktools preprocess` reads `[context, book]` JSON on stdin and writes
//! the book JSON on stdout. Any marker problem is printed with its
//! `src/<chapter>:<line>` and the exit code is 1, so `mdbook build` fails;
//! unreadable input exits 2.

pub mod constants;
pub mod diagram;
pub mod glance;
pub mod ledger;
pub mod markers;
pub mod render;
pub mod tests_page;
pub mod verdict;

use std::io::Write;
use std::path::Path;

use mdbook_preprocessor::book::Book;
use mdbook_preprocessor::errors::Error;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

pub use render::{Data, MEASUREMENTS_ENV};

/// Renderers whose input is markdown with inline HTML, as markers produce.
pub const SUPPORTED_RENDERERS: &[&str] = &["html", "markdown"];

pub fn supports(renderer: &str) -> bool {
    SUPPORTED_RENDERERS.contains(&renderer)
}

/// The preprocessor `measured`, on mdBook's own trait; the binary only reads
/// mdBook's input, runs it and writes the book ([`run_stdio`]).
pub struct Measured;

impl Preprocessor for Measured {
    fn name(&self) -> &str {
        "measured"
    }

    /// Replaces the markers in every chapter of `book`; an error is a
    /// [`MarkerProblems`].
    fn run(
        &self,
        ctx: &PreprocessorContext,
        book: Book,
    ) -> mdbook_preprocessor::errors::Result<Book> {
        expand_book(&Data::load(&ctx.root), &ctx.config.book.src, book)
            .map_err(|problems| Error::new(MarkerProblems(problems)))
    }

    fn supports_renderer(
        &self,
        renderer: &str,
    ) -> mdbook_preprocessor::errors::Result<bool> {
        Ok(supports(renderer))
    }
}

/// Every problem with the book's markers, each a full `error: ...` line.
#[derive(Debug)]
pub struct MarkerProblems(pub Vec<String>);

impl std::fmt::Display for MarkerProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for MarkerProblems {}

/// Reads the book from stdin, runs [`Measured`] on it, writes the processed
/// book to stdout. `Ok(false)` when markers have problems (each printed as a
/// full `error: ...` line); `Err` when mdBook's input cannot be read or the
/// book written.
pub fn run_stdio() -> Result<bool, String> {
    let (ctx, book) = mdbook_preprocessor::parse_input(std::io::stdin().lock())
        .map_err(|e| format!("cannot read mdBook's input: {e:#}"))?;
    let book = match Measured.run(&ctx, book) {
        Ok(book) => book,
        Err(e) => {
            let problems = e
                .downcast::<MarkerProblems>()
                .map_err(|e| format!("{e:#}"))?;
            for problem in &problems.0 {
                eprintln!("{problem}");
            }
            eprintln!(
                "error: preprocessor `measured`: {} problem(s) with markers; see above",
                problems.0.len()
            );
            return Ok(false);
        }
    };
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &book)
        .map_err(|e| e.to_string())
        .and_then(|()| stdout.flush().map_err(|e| e.to_string()))
        .map_err(|e| format!("cannot write the book: {e}"))?;
    Ok(true)
}

/// Replaces the markers in every chapter of `book` (draft chapters have
/// none) with figures from `data`; `src` is the book's source directory,
/// for messages. Returns every problem, each a full `error: ...` line.
pub fn expand_book(
    data: &Data,
    src: &Path,
    mut book: Book,
) -> Result<Book, Vec<String>> {
    let mut problems = Vec::new();
    book.for_each_chapter_mut(|chapter| {
        let file = match &chapter.source_path {
            Some(path) => crate::files::slashed(&src.join(path)),
            None => format!("chapter \"{}\"", chapter.name),
        };
        let page = chapter.path.clone();
        match markers::expand(&chapter.content, |marker| {
            render_marker(data, src, marker, page.as_deref())
        }) {
            Ok(content) => chapter.content = verdict::close_boxes(&content),
            Err(errors) => problems.extend(errors.into_iter().map(|e| {
                format!("error: {file}:{}: {}: {}", e.line, e.marker, e.message)
            })),
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

/// The replacement text for one marker on the page `page` (relative to the
/// book's source directory `src`), which the ledger's links and the paths of
/// `{{#const}}` are relative to. The one place that knows every family of
/// markers: figures ([`render`]), the ledger ([`ledger`]) and listing
/// constants ([`constants`]), so none imports another's dispatch.
pub fn render_marker(
    data: &Data,
    src: &Path,
    marker: &markers::Marker<'_>,
    page: Option<&Path>,
) -> Result<String, String> {
    match marker.name {
        "ledger" => ledger::render(data, data.root(), page),
        "at_a_glance" => glance::render(data, data.root(), page),
        "verdict" => verdict::render(marker.id.unwrap_or_default(), page),
        "test" => tests_page::link(data.root(), marker.id.unwrap_or_default(), page),
        "test_sources" => tests_page::render(data.root(), page),
        "const" => {
            let Some(page) = page else {
                return Err("`{{#const}}` needs a chapter with a file, to find its path from"
                    .to_string());
            };
            let dir = data
                .root()
                .join(src)
                .join(page.parent().unwrap_or(Path::new("")));
            constants::render(marker.id.unwrap_or_default(), &dir)
        }
        "diagram" => {
            diagram::render(data.root(), marker.id.unwrap_or_default(), |m| {
                data.render(m)
            })
        }
        _ => data.render(marker),
    }
}
