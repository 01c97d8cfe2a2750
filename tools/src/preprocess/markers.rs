//! Finding and replacing `{{#name ARG}}` markers in a chapter.
//!
//! A marker opens with `{{#` (spaces may follow `{{`, as in mdBook) and
//! closes with `}}` on the same line. `\{{#...}}` is an escape: it stays as
//! literal text, without the backslash. mdBook's own markers (`include`,
//! `rustdoc_include`, `playground`, `playpen`, `title`) are left untouched,
//! escaped or not, for mdBook's `links` preprocessor.

/// The markers this preprocessor replaces, with the argument each takes.
pub const MARKERS: &[(&str, Argument)] = &[
    ("measured", Argument::Id("measurement")),
    ("ratio", Argument::Id("claim")),
    ("threshold", Argument::Id("claim")),
    ("claim", Argument::Id("claim")),
    ("chart", Argument::Id("chart")),
    ("provenance", Argument::None),
    ("claims", Argument::None),
    ("noise", Argument::None),
    ("ledger", Argument::None),
    ("at_a_glance", Argument::None),
    ("const", Argument::Id("path:name")),
    ("diagram", Argument::Id("diagram")),
    ("verdict", Argument::Words("kind: statement...")),
    ("test", Argument::Id("test")),
    ("test_sources", Argument::None),
];

/// mdBook's own markers, expanded by its `links` preprocessor.
const MDBOOK_MARKERS: &[&str] = &[
    "include",
    "rustdoc_include",
    "playground",
    "playpen",
    "title",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argument {
    /// No argument: `{{#provenance}}`.
    None,
    /// One id, of the kind named: `{{#measured spawn/thread}}`.
    Id(&'static str),
    /// Everything after the name, one or more words, passed whole as the
    /// id: `{{#verdict holds: a-statement another}}`.
    Words(&'static str),
}

/// A well-formed marker of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker<'a> {
    pub name: &'a str,
    pub id: Option<&'a str>,
    /// The marker as written, for messages.
    pub text: &'a str,
}

/// A marker that could not be replaced, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerError {
    /// 1-based line in the chapter.
    pub line: usize,
    pub marker: String,
    pub message: String,
}

/// Replaces every marker of ours in `content` with what `replace` returns
/// for it. Returns every problem found, not just the first.
pub fn expand(
    content: &str,
    mut replace: impl FnMut(&Marker<'_>) -> Result<String, String>,
) -> Result<String, Vec<MarkerError>> {
    let mut out = String::with_capacity(content.len());
    let mut errors = Vec::new();
    // `content[copied..]` is not yet in `out`; the scan resumes at `next`.
    let (mut copied, mut next) = (0, 0);
    while let Some(offset) = content[next..].find("{{") {
        let start = next + offset;
        let after_braces = content[start + 2..].trim_start_matches([' ', '\t']);
        if !after_braces.starts_with('#') {
            next = start + 2;
            continue;
        }
        let line_end = content[start..]
            .find('\n')
            .map_or(content.len(), |o| start + o);
        let end = content[start..line_end].find("}}").map(|o| start + o + 2);
        let name = marker_name(&after_braces[1..]);
        next = end.unwrap_or(start + 2);
        if MDBOOK_MARKERS.contains(&name) {
            continue;
        }
        let escaped = content[..start].ends_with('\\');
        if escaped {
            // Keep the text, drop the backslash.
            out.push_str(&content[copied..start - 1]);
            copied = start;
            continue;
        }
        let line = content[..start].matches('\n').count() + 1;
        let Some(end) = end else {
            let text = content[start..line_end].trim_end();
            errors.push(MarkerError {
                line,
                marker: text.to_string(),
                message:
                    "the marker is not closed: end it with `}}` on the same line, \
                          or escape it as `\\{{#...`"
                        .to_string(),
            });
            continue;
        };
        let text = &content[start..end];
        let result = parse(text).and_then(|marker| replace(&marker));
        match result {
            Ok(replacement) => {
                out.push_str(&content[copied..start]);
                out.push_str(&replacement);
                copied = end;
            }
            Err(message) => errors.push(MarkerError {
                line,
                marker: text.to_string(),
                message,
            }),
        }
    }
    if errors.is_empty() {
        out.push_str(&content[copied..]);
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The word after `#`, as far as it goes.
fn marker_name(after_hash: &str) -> &str {
    let end = after_hash
        .find(|c: char| c.is_whitespace() || c == '}')
        .unwrap_or(after_hash.len());
    &after_hash[..end]
}

/// Parses a closed marker, `{{#name}}` or `{{#name ID}}`.
fn parse(text: &str) -> Result<Marker<'_>, String> {
    let inner = text[2..text.len() - 2].trim();
    let inner = inner.strip_prefix('#').unwrap_or(inner);
    let mut words = inner.split_whitespace();
    let name = words.next().unwrap_or_default();
    let args: Vec<&str> = words.collect();
    let Some((name, argument)) = MARKERS.iter().find(|(known, _)| *known == name)
    else {
        let known: Vec<String> = MARKERS.iter().map(|(n, a)| usage(n, *a)).collect();
        return Err(format!(
            "unknown marker `{}`: the markers are {}",
            if name.is_empty() { "{{#}}" } else { name },
            known.join(", ")
        ));
    };
    let id = match (argument, args.as_slice()) {
        (Argument::None, []) => None,
        (Argument::Id(_), [id]) if is_id(id) => Some(*id),
        (Argument::Words(_), [_, ..]) => Some(inner[name.len()..].trim()),
        (Argument::Id(_), [id]) => {
            return Err(format!(
                "`{id}` is not an id (ids use letters, digits and `_ - . / :`): write {}",
                usage(name, *argument)
            ));
        }
        _ => {
            return Err(format!(
                "malformed marker: write {}",
                usage(name, *argument)
            ));
        }
    };
    Ok(Marker { name, id, text })
}

fn is_id(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-./:".contains(c))
}

/// `{{#measured MEASUREMENT}}`, how a marker is written.
fn usage(name: &str, argument: Argument) -> String {
    match argument {
        Argument::None => format!("`{{{{#{name}}}}}`"),
        Argument::Id(kind) | Argument::Words(kind) => {
            format!("`{{{{#{name} {}}}}}`", kind.to_uppercase())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replaces each marker with `<name:id>`.
    fn echo(content: &str) -> Result<String, Vec<MarkerError>> {
        expand(content, |m| {
            Ok(format!("<{}:{}>", m.name, m.id.unwrap_or("-")))
        })
    }

    #[test]
    fn markers_are_replaced_in_place() {
        let text =
            "a {{#measured spawn/thread}} b {{ #ratio x-y }}\n{{#provenance}}\n";
        assert_eq!(
            echo(text).unwrap(),
            "a <measured:spawn/thread> b <ratio:x-y>\n<provenance:->\n"
        );
    }

    #[test]
    fn escaped_markers_lose_only_the_backslash() {
        let text = "write \\{{#measured ID}} to show a value, or \\{{#nonsense\n";
        assert_eq!(
            echo(text).unwrap(),
            "write {{#measured ID}} to show a value, or {{#nonsense\n"
        );
    }

    #[test]
    fn mdbook_markers_and_plain_braces_are_left_alone() {
        let text = "{{#include ../a.rs:anchor}} \\{{#include b.rs}} {{#title T}} `{{` {{x}}\n";
        assert_eq!(echo(text).unwrap(), text);
    }

    #[test]
    fn problems_name_their_line_and_marker() {
        let text = "one\n{{#measured}}\nthree {{#frobnicate x}}\n{{#chart a b}}\n{{#ratio x\n";
        let errors = echo(text).unwrap_err();
        let found: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.line, e.marker.as_str())).collect();
        assert_eq!(
            found,
            [
                (2, "{{#measured}}"),
                (3, "{{#frobnicate x}}"),
                (4, "{{#chart a b}}"),
                (5, "{{#ratio x"),
            ]
        );
        assert!(
            errors[0]
                .message
                .contains("write `{{#measured MEASUREMENT}}`")
        );
        assert!(errors[1].message.starts_with("unknown marker `frobnicate`"));
        assert!(errors[3].message.contains("not closed"));
    }

    #[test]
    fn ids_with_odd_characters_are_refused() {
        let errors = echo("{{#measured a<b}}").unwrap_err();
        assert!(errors[0].message.contains("is not an id"), "{errors:?}");
    }

    #[test]
    fn a_failed_replacement_is_reported() {
        let errors = expand("x\n\n{{#claim c}}", |_| Err("no".into())).unwrap_err();
        assert_eq!(
            errors,
            [MarkerError {
                line: 3,
                marker: "{{#claim c}}".into(),
                message: "no".into()
            }]
        );
    }
}
