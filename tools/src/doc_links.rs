//! `check-doc-links`: every versioned documentation link in `src/*.md`
//! points at the version the book builds with, so a reader never reads the
//! docs of an API other than the one the listings use.
//!
//! - `https://docs.rs/<crate>/<version>/...` of a crate in `Cargo.lock`
//!   must name a version the lock file has (`latest` counts as unpinned);
//!   crates the workspace does not depend on are not checked.
//! - `https://doc.rust-lang.org/<version>/...` must name the toolchain the
//!   book pins: `rust-toolchain.toml`'s `channel` if there is one, else the
//!   version after `rustup toolchain install` in `.github/workflows/*.yml`. A
//!   pin of `1.95` accepts `1.95` and `1.95.N`; a pin of `1.95.0`, only itself.
//!
//! Unversioned links (`https://doc.rust-lang.org/std/...`) are left alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::inventory::Problem;

/// `https://docs.rs/<crate>/<version>/`.
static DOCS_RS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"https://docs\.rs/([A-Za-z0-9_-]+)/([^/\s)#>]+)/")
        .expect("the docs.rs pattern compiles")
});

/// `https://doc.rust-lang.org/<version>/`.
static STD_DOCS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"https://doc\.rust-lang\.org/([0-9]+\.[0-9]+(?:\.[0-9]+)?)/")
        .expect("the std docs pattern compiles")
});

/// `rustup toolchain install <version>` in a workflow.
static RUSTUP_INSTALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"rustup toolchain install ([0-9]+\.[0-9]+(?:\.[0-9]+)?)\b")
        .expect("the rustup pattern compiles")
});

/// `channel = "<version>"` in rust-toolchain.toml.
static CHANNEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*channel\s*=\s*"([^"]+)""#)
        .expect("the channel pattern compiles")
});

/// The toolchain the book pins, and where (`file:line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub version: String,
    pub at: String,
}

impl Pin {
    /// Whether the docs of `version` are the pinned toolchain's.
    pub fn accepts(&self, version: &str) -> bool {
        version == self.version
            || (self.version.matches('.').count() == 1
                && version
                    .strip_prefix(&self.version)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|patch| {
                        !patch.is_empty()
                            && patch.chars().all(|c| c.is_ascii_digit())
                    }))
    }
}

/// Crate name (with `-`, as docs.rs spells it) to its locked versions.
pub type Locked = BTreeMap<String, BTreeSet<String>>;

/// The versions of every package in a `Cargo.lock` text.
pub fn locked_versions(lock: &str) -> Result<Locked, String> {
    #[derive(serde::Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Package>,
    }
    #[derive(serde::Deserialize)]
    struct Package {
        name: String,
        version: String,
    }
    let lock: Lock =
        toml::from_str(lock).map_err(|e| format!("Cargo.lock: {}", e.message()))?;
    let mut locked = Locked::new();
    for package in lock.package {
        locked
            .entry(package.name.replace('_', "-"))
            .or_default()
            .insert(package.version);
    }
    Ok(locked)
}

/// The toolchain pin under `root`, if any.
pub fn find_pin(root: &Path) -> Result<Option<Pin>, String> {
    for name in ["rust-toolchain.toml", "rust-toolchain"] {
        let path = root.join(name);
        if let Some(text) = crate::files::read_if_present(&path)? {
            for (index, line) in text.lines().enumerate() {
                if let Some(c) = CHANNEL.captures(line) {
                    let at = format!("{name}:{}", index + 1);
                    return Ok(Some(Pin {
                        version: c[1].to_string(),
                        at,
                    }));
                }
            }
        }
    }
    let workflows = root.join(".github/workflows");
    let mut names = crate::files::names_in(&workflows, "yml").unwrap_or_default();
    names.sort();
    for name in names {
        let text = crate::files::read(&workflows.join(&name))?;
        for (index, line) in text.lines().enumerate() {
            if let Some(c) = RUSTUP_INSTALL.captures(line) {
                let at = format!(".github/workflows/{name}:{}", index + 1);
                return Ok(Some(Pin {
                    version: c[1].to_string(),
                    at,
                }));
            }
        }
    }
    Ok(None)
}

fn problem(file: &str, line: usize, message: String) -> Problem {
    Problem {
        file: file.to_string(),
        line,
        id: None,
        message,
    }
}

/// The problems of the links in `text`, the file `file`; the number of
/// links checked is added to `checked`.
pub fn check_text(
    file: &str,
    text: &str,
    locked: &Locked,
    pin: Option<&Pin>,
    checked: &mut usize,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let n = index + 1;
        for c in DOCS_RS.captures_iter(line) {
            let (name, version) = (c[1].replace('_', "-"), &c[2]);
            let Some(versions) = locked.get(&name) else {
                continue;
            };
            *checked += 1;
            if !versions.contains(version) {
                let list: Vec<&str> = versions.iter().map(String::as_str).collect();
                problems.push(problem(
                    file,
                    n,
                    format!(
                        "a docs.rs link to {name} {version}, but Cargo.lock has {name} {}: \
                         link https://docs.rs/{name}/{}/",
                        list.join(", "),
                        list[list.len() - 1]
                    ),
                ));
            }
        }
        for c in STD_DOCS.captures_iter(line) {
            *checked += 1;
            let version = &c[1];
            match pin {
                None => problems.push(problem(
                    file,
                    n,
                    format!(
                        "a link to the docs of Rust {version}, but no toolchain pin was found \
                         (rust-toolchain.toml, or `rustup toolchain install` in \
                         .github/workflows/*.yml)"
                    ),
                )),
                Some(pin) if !pin.accepts(version) => problems.push(problem(
                    file,
                    n,
                    format!(
                        "a link to the docs of Rust {version}, but the book pins Rust {} ({})",
                        pin.version, pin.at
                    ),
                )),
                Some(_) => {}
            }
        }
    }
    problems
}

/// `booktools check-doc-links` from `root`. `Ok(false)` when problems were
/// found.
pub fn run(root: &Path) -> Result<bool, String> {
    let lock = crate::files::read(&root.join("Cargo.lock"))?;
    let locked = locked_versions(&lock)?;
    let pin = find_pin(root)?;
    let src = root.join("src");
    let mut problems = Vec::new();
    let mut checked = 0;
    let names = crate::files::names_in(&src, "md")?;
    for name in &names {
        let text = crate::files::read(&src.join(name))?;
        let file =
            crate::files::slashed(&crate::under(root, &Path::new("src").join(name)));
        problems.extend(check_text(
            &file,
            &text,
            &locked,
            pin.as_ref(),
            &mut checked,
        ));
    }
    crate::inventory::sort(&mut problems);
    for p in &problems {
        eprintln!("{p}");
    }
    if problems.is_empty() {
        let pinned = pin.map_or("no toolchain pin".to_string(), |p| {
            format!("Rust {} ({})", p.version, p.at)
        });
        println!(
            "check-doc-links: {checked} versioned docs link(s) in {} file(s) of src/ match Cargo.lock \
             and {pinned}",
            names.len()
        );
    } else {
        eprintln!(
            "error: check-doc-links: {} problem(s); see above",
            problems.len()
        );
    }
    Ok(problems.is_empty())
}
