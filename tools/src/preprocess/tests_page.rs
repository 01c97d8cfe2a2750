//! `{{#test NAME}}` and `{{#test_sources}}`: the tests behind the verdicts,
//! one click away. `{{#test NAME}}` (in a verdict box) links a test to its
//! entry on the appendix page that holds `{{#test_sources}}`, which shows,
//! for every test the inventory or a box cites, its id, the statements that
//! cite it (linked to their boxes) and the function's source, read from its
//! listing file and found by `syn` (so a moved or renamed test fails the
//! build instead of showing stale lines).
//!
//! NAME is a test function's name, or the end of its path
//! (`module::name`), when exactly one test cited by the inventory has it, or
//! a full id `package/target::path::to::test`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::verdict;
use crate::inventory::{self, BookIndex, Inventory, TestId};

/// The page that holds `{{#test_sources}}`, relative to src/.
pub const PAGE: &str = "appendix-tests.md";

/// The most lines of one test the page shows; the rest is named by file.
pub const MAX_LINES: usize = 60;

/// `test-<target>-<path>`, the path without the `tests::` most tests sit in
/// and with `-` for `::`: the anchor of a test on [`PAGE`]. Short enough to
/// stay within the 127 bytes a PDF name may have (Chromium makes every id a
/// named destination of the PDF); the page fails the build if two cited
/// tests ever share one.
pub fn anchor(id: &TestId<'_>) -> String {
    let path = id.path.strip_prefix("tests::").unwrap_or(id.path);
    format!("test-{}-{}", id.target, path.replace("::", "-"))
}

/// The inventory's test ids, each once, in inventory order.
fn cited_ids(inventory: &Inventory) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut ids = Vec::new();
    for s in &inventory.statements {
        for t in &s.tests {
            if seen.insert(t.value.clone()) {
                ids.push(t.value.clone());
            }
        }
    }
    ids
}

/// The full id `name` stands for (see the module comment).
pub fn resolve(inventory: &Inventory, name: &str) -> Result<String, String> {
    if name.contains('/') {
        return TestId::parse(name)
            .map(|_| name.to_string())
            .ok_or_else(|| {
                format!("`{name}` is not a test id: write `package/target::path::to::test`")
            });
    }
    let ids = cited_ids(inventory);
    let matching: Vec<&String> = ids
        .iter()
        .filter(|id| {
            id.split_once("::").is_some_and(|(_, path)| {
                path == name || path.ends_with(&format!("::{name}"))
            })
        })
        .collect();
    match matching.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!(
            "`{name}` is not a test that {}/*.toml cites: cite it there, or write its full id \
             `package/target::path::to::{name}`",
            inventory::DIR
        )),
        many => Err(format!(
            "`{name}` names {} tests ({}): write the full id of the one meant",
            many.len(),
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn load_inventory(root: &Path) -> Result<Inventory, String> {
    let (inventory, problems) = Inventory::load(root)?;
    if let Some(first) = problems.first() {
        return Err(format!("the inventory does not load: {first}"));
    }
    Ok(inventory)
}

/// `[`name`](appendix-tests.md#test-...)`, relative to `page`.
pub fn link(root: &Path, name: &str, page: Option<&Path>) -> Result<String, String> {
    let inventory = load_inventory(root)?;
    let full = resolve(&inventory, name)?;
    let id = TestId::parse(&full).expect("resolved ids parse");
    locate(root, &id)?;
    let short = id.path.rsplit("::").next().unwrap_or(id.path);
    Ok(format!(
        "[`{short}`]({}{PAGE}#{})",
        prefix(page),
        anchor(&id)
    ))
}

/// `../` for each directory `page` is in.
fn prefix(page: Option<&Path>) -> String {
    let depth = page
        .and_then(Path::parent)
        .map_or(0, |p| p.components().count());
    "../".repeat(depth)
}

/// A test function found in its listing file.
#[derive(Debug, Clone)]
pub struct TestSource {
    /// Relative to the root: `listings/ch02-scheduling/src/bin/x.rs`.
    pub file: String,
    /// 1-based, the first attribute or doc comment to the closing brace.
    pub first_line: usize,
    pub last_line: usize,
    pub text: String,
}

/// The listing directory of `package`: `listings/<dir>` whose Cargo.toml
/// names it.
fn package_dir(root: &Path, package: &str) -> Result<PathBuf, String> {
    let listings = root.join("listings");
    let entries = std::fs::read_dir(&listings)
        .map_err(|e| format!("cannot read {}: {e}", listings.display()))?;
    for entry in entries.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let name = text
            .parse::<toml::Table>()
            .ok()
            .and_then(|t| t.get("package")?.get("name")?.as_str().map(String::from));
        if name.as_deref() == Some(package) {
            return Ok(entry.path());
        }
    }
    Err(format!("no package `{package}` under listings/"))
}

/// Finds the function of test `id` in its listing's source.
pub fn locate(root: &Path, id: &TestId<'_>) -> Result<TestSource, String> {
    let dir = package_dir(root, id.package)?;
    let target = id.target;
    let mut candidates = vec![
        dir.join(format!("src/bin/{target}.rs")),
        dir.join(format!("src/bin/{target}/main.rs")),
        dir.join(format!("tests/{target}.rs")),
        dir.join(format!("tests/{target}/main.rs")),
    ];
    if target == id.package.replace('-', "_") {
        candidates.insert(0, dir.join("src/lib.rs"));
    }
    if target == id.package {
        candidates.insert(0, dir.join("src/main.rs"));
    }
    let Some(file) = candidates.into_iter().find(|f| f.is_file()) else {
        return Err(format!(
            "test `{}`: no source file for target `{target}` in {}",
            id_text(id),
            crate::files::slashed(&dir)
        ));
    };
    let segments: Vec<&str> = id.path.split("::").collect();
    let found = match find_in_file(&file, &segments, true)? {
        Some(found) => Some(found),
        None => in_a_macro(&file, segments.last().copied().unwrap_or_default())?,
    };
    Ok(found).and_then(|found| {
        found.ok_or_else(|| {
            format!(
                "test `{}`: no function `{}` in {} (read by syn, following `mod` items \
                 and looking inside `macro_rules!`)",
                id_text(id),
                id.path,
                relative(root, &file)
            )
        })
    })
    .map(|mut found| {
        found.file = relative(root, Path::new(&found.file));
        found
    })
}

fn id_text(id: &TestId<'_>) -> String {
    format!("{}/{}::{}", id.package, id.target, id.path)
}

fn relative(root: &Path, file: &Path) -> String {
    crate::files::slashed(file.strip_prefix(root).unwrap_or(file))
}

/// The function at `segments` (modules, then the function) in `file`;
/// `mod_rs` when `file` is a crate root or a `mod.rs` (its out-of-line
/// modules sit beside it, not in a directory named after it).
fn find_in_file(
    file: &Path,
    segments: &[&str],
    mod_rs: bool,
) -> Result<Option<TestSource>, String> {
    let source = crate::files::read(file)?;
    let parsed = syn::parse_file(&source)
        .map_err(|e| format!("cannot parse {}: {e}", file.display()))?;
    let dir = if mod_rs {
        file.parent().map(Path::to_path_buf)
    } else {
        file.parent().zip(file.file_stem()).map(|(p, s)| p.join(s))
    };
    find_in_items(&parsed.items, segments, &source, file, dir.as_deref())
}

fn find_in_items(
    items: &[syn::Item],
    segments: &[&str],
    source: &str,
    file: &Path,
    dir: Option<&Path>,
) -> Result<Option<TestSource>, String> {
    let [first, rest @ ..] = segments else {
        return Ok(None);
    };
    for item in items {
        match item {
            syn::Item::Fn(function)
                if rest.is_empty() && function.sig.ident == first =>
            {
                let starts = function
                    .attrs
                    .iter()
                    .map(|a| a.pound_token.span.start().line)
                    .chain([function.sig.fn_token.span.start().line]);
                let first_line = starts.min().unwrap_or(1);
                let last_line = function.block.brace_token.span.close().end().line;
                let text: Vec<&str> = source
                    .lines()
                    .skip(first_line - 1)
                    .take(last_line + 1 - first_line)
                    .collect();
                return Ok(Some(TestSource {
                    file: crate::files::slashed(file),
                    first_line,
                    last_line,
                    text: dedent(&text),
                }));
            }
            syn::Item::Mod(module) if !rest.is_empty() && module.ident == first => {
                if let Some((_, items)) = &module.content {
                    let inner = dir.map(|d| d.join(first));
                    return find_in_items(
                        items,
                        rest,
                        source,
                        file,
                        inner.as_deref(),
                    );
                }
                let Some(dir) = dir else { return Ok(None) };
                let flat = dir.join(format!("{first}.rs"));
                let nested = dir.join(first).join("mod.rs");
                if flat.is_file() {
                    return find_in_file(&flat, rest, false);
                }
                if nested.is_file() {
                    return find_in_file(&nested, rest, true);
                }
                return Ok(None);
            }
            _ => {}
        }
    }
    Ok(None)
}

/// A test written once inside a `macro_rules!` of `file` (which stamps it
/// into several modules): the one function `name` among the macros' tokens,
/// with the attribute and comment lines just above it. `None` when no macro,
/// or more than one place, defines it.
fn in_a_macro(file: &Path, name: &str) -> Result<Option<TestSource>, String> {
    use proc_macro2::{Delimiter, TokenStream, TokenTree};
    /// (line of `fn`, line of the closing brace) of each `fn name` in `tokens`.
    fn find(tokens: TokenStream, name: &str, out: &mut Vec<(usize, usize)>) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, tree) in trees.iter().enumerate() {
            match tree {
                TokenTree::Ident(ident) if ident == "fn" => {
                    let named = matches!(trees.get(i + 1), Some(TokenTree::Ident(n)) if n == name);
                    let body = trees[i + 1..].iter().find_map(|t| match t {
                        TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                            Some(g)
                        }
                        _ => None,
                    });
                    if let (true, Some(body)) = (named, body) {
                        out.push((
                            ident.span().start().line,
                            body.span_close().end().line,
                        ));
                    }
                }
                TokenTree::Group(group) => find(group.stream(), name, out),
                _ => {}
            }
        }
    }
    let source = crate::files::read(file)?;
    let parsed = syn::parse_file(&source)
        .map_err(|e| format!("cannot parse {}: {e}", file.display()))?;
    let mut spans = Vec::new();
    for item in &parsed.items {
        if let syn::Item::Macro(item) = item {
            find(item.mac.tokens.clone(), name, &mut spans);
        }
    }
    let [(fn_line, last_line)] = spans.as_slice() else {
        return Ok(None);
    };
    let lines: Vec<&str> = source.lines().collect();
    let mut first_line = *fn_line;
    while first_line > 1 {
        let above = lines[first_line - 2].trim_start();
        if above.starts_with("#[") || above.starts_with("//") {
            first_line -= 1;
        } else {
            break;
        }
    }
    Ok(Some(TestSource {
        file: crate::files::slashed(file),
        first_line,
        last_line: *last_line,
        text: dedent(&lines[first_line - 1..*last_line]),
    }))
}

/// The lines without the indentation they all share.
fn dedent(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for line in lines {
        out.push_str(line.get(indent..).unwrap_or("").trim_end());
        out.push('\n');
    }
    out
}

/// Who cites a test: statements of the inventory, and boxes.
#[derive(Debug, Default)]
struct Citations {
    /// (statement id, chapter of its box or section)
    statements: BTreeSet<(String, String)>,
}

/// One test on the page: its full id, where it is, who cites it.
type Entry<'a> = (String, TestSource, &'a Citations);

/// The `{{#test_sources}}` page body, links relative to `page`.
pub fn render(root: &Path, page: Option<&Path>) -> Result<String, String> {
    let inventory = load_inventory(root)?;
    let mut book = BookIndex::new();
    let boxes = verdict::boxes(root, &mut book)?;
    // statement → the chapter of the box naming it
    let mut box_of: BTreeMap<String, String> = BTreeMap::new();
    let mut cited: BTreeMap<String, Citations> = BTreeMap::new();
    let mut problems = Vec::new();
    for b in &boxes {
        let Ok((_, ids)) = &b.spec else { continue };
        for id in ids {
            box_of.insert(id.clone(), b.chapter.clone());
        }
        for (line, name) in &b.tests {
            match resolve(&inventory, name) {
                Ok(full) => {
                    let entry = cited.entry(full).or_default();
                    for id in ids {
                        entry.statements.insert((id.clone(), b.chapter.clone()));
                    }
                }
                Err(e) => problems.push(format!("{}:{line}: {e}", b.file)),
            }
        }
    }
    for s in &inventory.statements {
        let chapter = box_of.get(&s.id.value).cloned().or_else(|| {
            let section = s.section.as_ref()?;
            inventory::split_section(&section.value)
                .ok()
                .map(|(c, _)| c.to_string())
        });
        for t in &s.tests {
            let entry = cited.entry(t.value.clone()).or_default();
            if let Some(chapter) = &chapter {
                entry
                    .statements
                    .insert((s.id.value.clone(), chapter.clone()));
            }
        }
    }
    let prefix = prefix(page);
    // package → file → tests, in id order
    let mut by_file: BTreeMap<(String, String), Vec<Entry<'_>>> = BTreeMap::new();
    let mut anchors = BTreeSet::new();
    for (full, citations) in &cited {
        let Some(id) = TestId::parse(full) else {
            problems.push(format!("`{full}` is not a test id"));
            continue;
        };
        if !anchors.insert(anchor(&id)) {
            problems.push(format!("two tests share the anchor `{}`", anchor(&id)));
        }
        match locate(root, &id) {
            Ok(source) => by_file
                .entry((id.package.to_string(), source.file.clone()))
                .or_default()
                .push((full.clone(), source, citations)),
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n  "));
    }
    let mut out = format!(
        "{} tests, in {} listing files.\n",
        cited.len(),
        by_file.len()
    );
    let mut package = String::new();
    for ((pkg, file), tests) in &mut by_file {
        if *pkg != package {
            package = pkg.clone();
            let _ = write!(out, "\n## `{pkg}`\n");
        }
        let _ = write!(
            out,
            "\n### `{}`\n",
            file.strip_prefix("listings/").unwrap_or(file)
        );
        tests.sort_by_key(|(_, source, _)| source.first_line);
        for (full, source, citations) in tests.iter() {
            let id = TestId::parse(full).expect("parsed above");
            let cites: Vec<String> = citations
                .statements
                .iter()
                .map(|(statement, chapter)| {
                    format!(
                        "[{statement}]({prefix}{chapter}#{})",
                        verdict::anchor(statement)
                    )
                })
                .collect();
            // The caption names the file as every listing's does, so the
            // browser check and theme/caption-links.js treat it alike; the
            // wrapper lets long lines of hidden test code wrap.
            let _ = write!(
                out,
                "\n<p class=\"test-source\" id=\"{}\"><code>{}</code></p>\n\n\
                 Cited by {}.\n\n<div class=\"test-code\">\n\n\
                 <span class=\"caption\">`{}`, lines {}–{}</span>\n\n",
                anchor(&id),
                html_escape(full),
                if cites.is_empty() {
                    "no statement".to_string()
                } else {
                    cites.join(", ")
                },
                source.file,
                source.first_line,
                source.last_line,
            );
            out.push_str(&code_block(&source.text, &source.file, source.first_line));
            out.push_str("\n</div>\n");
        }
    }
    Ok(out)
}

/// A `rust,noplayground` block of at most [`MAX_LINES`] lines, then where
/// the rest is.
fn code_block(text: &str, file: &str, first_line: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let fence = if text.contains("```") { "````" } else { "```" };
    let shown = lines.len().min(MAX_LINES);
    let mut out = format!("{fence}rust,noplayground\n");
    for line in &lines[..shown] {
        // mdBook hides a Rust line that starts with `# `; keep every line shown.
        let body = line.trim_start();
        if body.starts_with("# ") || body == "#" {
            // `##` shows as `#`.
            out.push_str(&line[..line.len() - body.len()]);
            out.push('#');
            out.push_str(body);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}");
    if shown < lines.len() {
        let _ = writeln!(
            out,
            "\nThe function continues in `{file}` from line {}.",
            first_line + shown
        );
    }
    out
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_unique_per_id_and_valid_xml_ids() {
        let id = TestId::parse("ch02-x/bin_a::tests::it_works").unwrap();
        assert_eq!(anchor(&id), "test-bin_a-it_works");
        let id =
            TestId::parse("ch10/servers::tokio_multi_thread::it_serves").unwrap();
        assert_eq!(anchor(&id), "test-servers-tokio_multi_thread-it_serves");
    }

    #[test]
    fn long_tests_are_cut_at_the_limit_with_where_they_continue() {
        let text: String = (1..=70).map(|i| format!("line {i}\n")).collect();
        let block = code_block(&text, "listings/x.rs", 10);
        assert_eq!(
            block.lines().filter(|l| l.starts_with("line ")).count(),
            MAX_LINES
        );
        assert!(
            block.ends_with("continues in `listings/x.rs` from line 70.\n"),
            "{block}"
        );
        assert!(!code_block("a\n", "f", 1).contains("continues"));
        assert!(code_block("    # x\n", "f", 1).contains("    ## x"));
    }

    #[test]
    fn shared_indentation_is_removed() {
        assert_eq!(
            dedent(&["    #[test]", "    fn a() {", "", "        x", "    }"]),
            "#[test]\nfn a() {\n\n    x\n}\n"
        );
    }
}
