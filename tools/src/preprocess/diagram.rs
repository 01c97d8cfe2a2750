//! `{{#diagram NAME}}`: a figure drawn at build time by Graphviz's `dot` from
//! the text source `diagrams/NAME.dot`, inlined as SVG in a `<figure>`.
//!
//! Graphviz (Debian's package, `ensure_graphviz` in ci/tools.sh) rather than a
//! JavaScript renderer such as mdbook-mermaid: the SVG exists before the page
//! loads, so it needs no script, prints, and goes into the EPUB as it is.
//!
//! A source opens with three comment lines, `// title: ...`, `// caption: ...`
//! (a sentence saying what to see) and `// alt: ...` (the picture in words,
//! for `aria-label` and `<title>`). Labels may hold `{{#measured ID}}`, filled
//! like the prose's; a figure typed into a label is an error, as in the prose.
//! The SVG is made themeable as the charts are ([`crate::chart`]): black
//! becomes `currentColor`, the white page goes, any other fixed colour is an
//! error (shading comes from classes in theme/diagrams.css); ids and
//! Graphviz's own `<title>`s go, so two diagrams can share a page.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use super::markers::{self, Marker};

/// Where the sources are, relative to the book root.
pub const DIR: &str = "diagrams";
/// How long `dot` may take for one diagram (it takes milliseconds).
pub const DOT_LIMIT: Duration = Duration::from_secs(30);
/// The smallest text a reader meets, in CSS pixels: below the width at which
/// the smallest text would shrink under it, the figure scrolls sideways.
pub const MIN_TEXT_PX: f64 = 9.5;

/// What a diagram's source says besides its graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub title: String,
    pub caption: String,
    pub alt: String,
}

/// The figure for `{{#diagram NAME}}`: reads `ROOT/diagrams/NAME.dot`, fills
/// its markers with `figures` (only `{{#measured}}` is allowed), runs `dot`
/// and returns the `<figure>` HTML. Every error names the source file.
pub fn render(
    root: &Path,
    name: &str,
    figures: impl FnMut(&Marker<'_>) -> Result<String, String>,
) -> Result<String, String> {
    let file = format!("{DIR}/{name}.dot");
    let source = match crate::files::read_if_present(&root.join(&file))? {
        Some(source) => source,
        None => {
            return Err(format!(
                "no diagram source {file}: write it (Graphviz's dot language), or fix the name"
            ));
        }
    };
    let (header, dot) = prepare(&file, &source, figures)?;
    let svg = run_dot(&file, &dot)?;
    let svg = themeable(&file, &svg, &header.alt)?;
    Ok(figure(name, &header, &svg))
}

/// The header and the graph of one source, with its markers filled and its
/// typed figures refused.
pub fn prepare(
    file: &str,
    source: &str,
    mut figures: impl FnMut(&Marker<'_>) -> Result<String, String>,
) -> Result<(Header, String), String> {
    let typed = typed_figures(file, source);
    if !typed.is_empty() {
        return Err(typed.join("; "));
    }
    let expanded = markers::expand(source, |marker| match marker.name {
        "measured" => figures(marker),
        other => Err(format!(
            "a diagram may hold only `{{{{#measured ID}}}}`, not `{{{{#{other}}}}}`"
        )),
    })
    .map_err(|errors| {
        let each: Vec<String> = errors
            .iter()
            .map(|e| format!("{file}:{}: {}: {}", e.line, e.marker, e.message))
            .collect();
        each.join("; ")
    })?;
    let field = |key: &str| -> Result<String, String> {
        let prefix = format!("// {key}:");
        expanded
            .lines()
            .find_map(|l| {
                l.trim().strip_prefix(&prefix).map(|v| v.trim().to_string())
            })
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{file}: no `{prefix} ...` line at the top"))
    };
    let header = Header {
        title: field("title")?,
        caption: field("caption")?,
        alt: field("alt")?,
    };
    Ok((header, expanded))
}

/// Figures typed into the source, each as `FILE:LINE: typed figure ...`,
/// found as `check-figures` finds them in prose: in the header lines and in
/// every line of the graph (its labels); other `//` comments, for whoever
/// edits the source, may cite the code they come from freely.
fn typed_figures(file: &str, source: &str) -> Vec<String> {
    const HEADER: [&str; 3] = ["// title:", "// caption:", "// alt:"];
    let mut problems = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//")
            && !HEADER.iter().any(|h| trimmed.starts_with(h))
        {
            continue;
        }
        // Graphviz's line breaks and HTML-like tags are not words.
        let text = trimmed
            .replace("\\n", " ")
            .replace("\\l", " ")
            .replace("\\r", " ")
            .replace("<BR/>", " ");
        for found in crate::figures::find_in_markdown(file, &text) {
            problems.push(format!(
                "{file}:{}: typed figure `{}`: write `{{{{#measured ID}}}}`",
                index + 1,
                found.figure
            ));
        }
    }
    problems
}

/// `dot -Tsvg` on `dot`, bounded by [`DOT_LIMIT`]: the SVG text, or an error
/// naming `file` with what dot printed.
pub fn run_dot(file: &str, dot: &str) -> Result<String, String> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "{file}: Graphviz's `dot` is not installed: `bash ci/build-book.sh` installs it \
                     (Debian's package graphviz), or `apt-get install graphviz`"
                )
            } else {
                format!("{file}: cannot run dot: {e}")
            }
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // dot reads the whole graph before it writes, and a graph is small.
        stdin
            .write_all(dot.as_bytes())
            .map_err(|e| format!("{file}: cannot write to dot: {e}"))?;
    }
    let finished = crate::process::finish(child, DOT_LIMIT)
        .map_err(|e| format!("{file}: cannot wait for dot: {e}"))?;
    let stderr = String::from_utf8_lossy(&finished.stderr);
    let said = stderr.trim().replace("<stdin>", file);
    match finished.status {
        None => Err(format!(
            "{file}: dot ran past {}s and was stopped",
            DOT_LIMIT.as_secs()
        )),
        Some(status) if !status.success() => {
            Err(format!("{file}: dot failed: {said}"))
        }
        // A warning (an unknown attribute, say) is a fault in the source too.
        Some(_) if !said.is_empty() => Err(format!("{file}: dot warned: {said}")),
        Some(_) => String::from_utf8(finished.stdout)
            .map_err(|_| format!("{file}: dot wrote SVG that is not UTF-8")),
    }
}

/// dot's SVG made fit for a page in any theme: no prolog, comments, ids or
/// Graphviz titles; black as `currentColor`, no white page; the document
/// as wide as its container up to its own width, never so narrow that its
/// smallest text drops below [`MIN_TEXT_PX`]; `role="img"` with `alt` as its
/// label and `<title>`. `Err` for any other fixed colour.
pub fn themeable(file: &str, svg: &str, alt: &str) -> Result<String, String> {
    static COMMENT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?s)<!--.*?-->|<\?xml.*?\?>|<!DOCTYPE.*?>").expect("compiles")
    });
    static TITLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?s)<title>.*?</title>").expect("compiles"));
    static ID: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#" id="[^"]*""#).expect("compiles"));
    static PAGE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"<polygon fill="white" stroke="(?:transparent|none)"[^>]*/>"#)
            .expect("compiles")
    });
    static OPEN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"(?s)<svg\b[^>]*>"#).expect("compiles"));
    static VIEW: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"viewBox="([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)""#)
            .expect("compiles")
    });
    static PAINT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"\b(fill|stroke)="([^"]*)""#).expect("compiles")
    });
    static SIZE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"font-size="([\d.]+)""#).expect("compiles"));

    let svg = COMMENT.replace_all(svg, "");
    let svg = TITLE.replace_all(&svg, "");
    let svg = ID.replace_all(&svg, "");
    let svg = PAGE.replace_all(&svg, "");
    let svg = svg
        .replace("\"black\"", "\"currentColor\"")
        .replace("\"#000000\"", "\"currentColor\"");
    for paint in PAINT.captures_iter(&svg) {
        let value = &paint[2];
        if !["none", "currentColor", "transparent"].contains(&value) {
            return Err(format!(
                "{file}: draws in the fixed colour {}=\"{value}\", which some themes cannot show: \
                 drop the colour and give the node a class that theme/diagrams.css shades",
                &paint[1]
            ));
        }
    }
    let open = OPEN
        .find(&svg)
        .ok_or_else(|| format!("{file}: dot wrote no <svg> element"))?;
    let view = VIEW
        .captures(open.as_str())
        .ok_or_else(|| format!("{file}: dot's <svg> has no viewBox"))?;
    let width: f64 = view[3].parse().unwrap_or(0.0);
    let smallest = SIZE
        .captures_iter(&svg)
        .filter_map(|c| c[1].parse::<f64>().ok())
        .fold(f64::INFINITY, f64::min);
    let min_width = if smallest.is_finite() && smallest > 0.0 {
        (width * MIN_TEXT_PX / smallest).ceil()
    } else {
        0.0
    };
    let alt = html_escape(alt);
    let opening = format!(
        "<svg class=\"book-diagram\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{} {} {} {}\" \
         width=\"100%\" style=\"max-width: {}px; min-width: {}px; height: auto\" role=\"img\" \
         aria-label=\"{alt}\">\n<title>{alt}</title>",
        &view[1],
        &view[2],
        &view[3],
        &view[4],
        width.ceil(),
        min_width.min(width.ceil()),
    );
    let mut out = String::with_capacity(svg.len());
    out.push_str(&svg[..open.start()]);
    out.push_str(&opening);
    out.push_str(&svg[open.end()..]);
    // A blank line would end the HTML block in Markdown.
    let lines: Vec<&str> = out
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    Ok(lines.join("\n") + "\n")
}

/// The `<figure>`: the SVG, then the caption with the title in bold.
/// `` `code` `` in the caption becomes `<code>`.
fn figure(name: &str, header: &Header, svg: &str) -> String {
    format!(
        "<figure class=\"book-diagram\" id=\"diagram-{}\">\n{svg}<figcaption><strong>{}.</strong> {}</figcaption>\n</figure>",
        html_escape(name),
        with_code(&html_escape(&header.title)),
        with_code(&html_escape(&header.caption)),
    )
}

fn with_code(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "// title: T\n// caption: See `x`.\n// alt: A box.\ndigraph { a [label=\"a\"] }\n";

    /// What dot 2.43 writes, in short.
    const DOT_SVG: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
 "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<!-- Generated by graphviz version 2.43.0 (0)
 -->
<!-- Title: %3 Pages: 1 -->
<svg width="62pt" height="44pt"
 viewBox="0.00 0.00 62.00 44.00" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<g id="graph0" class="graph" transform="scale(1 1) rotate(0) translate(4 40)">
<title>%3</title>
<polygon fill="white" stroke="transparent" points="-4,4 -4,-40 58,-40 58,4 -4,4"/>
<!-- a -->
<g id="node1" class="node">
<title>a</title>
<ellipse fill="none" stroke="black" cx="27" cy="-18" rx="27" ry="18"/>
<text text-anchor="middle" x="27" y="-14.3" font-family="sans-serif" font-size="14.00">a</text>
</g>
</g>
</svg>
"#;

    #[test]
    fn the_svg_keeps_no_fixed_colour_no_id_and_no_graphviz_title() {
        let svg = themeable("diagrams/x.dot", DOT_SVG, "A box & a line").unwrap();
        assert!(!svg.contains("black") && !svg.contains("white"), "{svg}");
        assert!(
            !svg.contains(" id=") && !svg.contains("<?xml") && !svg.contains("<!"),
            "{svg}"
        );
        assert_eq!(svg.matches("<title>").count(), 1, "{svg}");
        assert!(svg.contains("<title>A box &amp; a line</title>"), "{svg}");
        assert!(
            svg.contains("role=\"img\" aria-label=\"A box &amp; a line\""),
            "{svg}"
        );
        assert!(svg.contains("stroke=\"currentColor\""), "{svg}");
        // 62 wide with 14-unit text: never narrower than 62 * 9.5 / 14.
        assert!(svg.contains("max-width: 62px; min-width: 43px"), "{svg}");
        assert!(!svg.contains("\n\n"));
    }

    #[test]
    fn a_fixed_colour_is_refused_naming_the_file() {
        for paint in ["fill=\"lightgrey\"", "stroke=\"#ff0000\"", "fill=\"white\""] {
            let planted = DOT_SVG.replace("fill=\"none\"", paint);
            let err = themeable("diagrams/x.dot", &planted, "alt").unwrap_err();
            assert!(
                err.starts_with("diagrams/x.dot: draws in the fixed colour"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_header_is_read_and_markers_are_filled() {
        let source = HEADER.replace("label=\"a\"", "label=\"{{#measured m/x}}\"");
        let (header, dot) = prepare("d.dot", &source, |m| {
            Ok(format!("<{}>", m.id.unwrap_or_default()))
        })
        .unwrap();
        assert_eq!(
            header,
            Header {
                title: "T".into(),
                caption: "See `x`.".into(),
                alt: "A box.".into()
            }
        );
        assert!(dot.contains("label=\"<m/x>\""), "{dot}");
    }

    #[test]
    fn other_markers_a_missing_header_and_typed_figures_are_refused() {
        let never = |_: &Marker<'_>| -> Result<String, String> { Ok(String::new()) };
        let err =
            prepare("d.dot", &HEADER.replace("\"a\"", "\"{{#claim c}}\""), never)
                .unwrap_err();
        assert!(
            err.starts_with("d.dot:4: {{#claim c}}: a diagram may hold only"),
            "{err}"
        );
        let err = prepare("d.dot", &HEADER.replace("// alt: A box.\n", ""), never)
            .unwrap_err();
        assert_eq!(err, "d.dot: no `// alt: ...` line at the top");
        let err =
            prepare("d.dot", &HEADER.replace("\"a\"", "\"stack: 2 MiB\""), never)
                .unwrap_err();
        assert!(err.starts_with("d.dot:4: typed figure `2 MiB`"), "{err}");
        let err = prepare("d.dot", &HEADER.replace("See", "See 8 KiB of"), never)
            .unwrap_err();
        assert!(err.starts_with("d.dot:2: typed figure `8 KiB`"), "{err}");
    }

    #[test]
    fn a_missing_source_names_the_file_it_looked_for() {
        let dir = tempfile::tempdir().unwrap();
        let err =
            render(dir.path(), "nothing-here", |_| Ok(String::new())).unwrap_err();
        assert!(
            err.starts_with("no diagram source diagrams/nothing-here.dot"),
            "{err}"
        );
    }

    #[test]
    fn the_caption_shows_code_and_escapes_the_rest() {
        let header = Header {
            title: "A <b>".into(),
            caption: "Run `poll` & see.".into(),
            alt: "x".into(),
        };
        let html = figure("n", &header, "<svg/>\n");
        assert!(
            html.contains(
                "<strong>A &lt;b&gt;.</strong> Run <code>poll</code> &amp; see."
            ),
            "{html}"
        );
        assert!(
            html.starts_with("<figure class=\"book-diagram\" id=\"diagram-n\">"),
            "{html}"
        );
    }
}
