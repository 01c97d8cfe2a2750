//! Checks and preprocessors that keep the book honest.
//!
//! A map, one module per command or marker family (`booktools --help` lists
//! the commands), over a few shared ones:
//!
//! | command or marker | module |
//! | --- | --- |
//! | `check-includes` | [`includes`] |
//! | `check-inventory` | [`inventory`], with [`test_catalog`] and [`skips`] |
//! | `check-exercises` | [`exercises`], with [`test_catalog`] |
//! | `check-takeaways`, `check-doc-links` | [`takeaways`], [`doc_links`] |
//! | `check-figures`, `check-wording` | [`figures`], [`wording`] |
//! | `measure` | [`measure`], with [`criterion_results`] and [`provenance`] |
//! | `check-claims`, `check-thresholds` | [`check_claims`], [`thresholds`] |
//! | `noise`, `soak` | [`noise`] |
//! | `outputs` | [`outputs`] |
//! | `preprocess`: `{{#measured}}`, `{{#chart}}`, ... | [`preprocess`], [`chart`] |
//! | `{{#verdict}}` boxes (checked by `check-inventory` too), `{{#test}}`, `{{#test_sources}}` | [`preprocess::verdict`], [`preprocess::tests_page`] |
//! | `{{#at_a_glance}}`: the articles' tables with Rust's verdicts | [`preprocess::glance`] |
//! | `{{#diagram NAME}}`: `diagrams/NAME.dot` drawn by Graphviz | [`preprocess::diagram`] |
//!
//! Shared: [`markdown`] (chapters read by mdBook's parser), [`registry`]
//! (`measurements/claims.toml`), [`measurements`] (the figures file),
//! [`claims`] (whether a claim holds), [`units`] (how figures print),
//! [`files`] (reading and writing with the path in every error) and
//! [`process`] (cargo and child processes, bounded in time).

pub mod chart;
pub mod check_claims;
pub mod claims;
pub mod criterion_results;
pub mod doc_links;
pub mod exercises;
pub mod figures;
pub mod files;
pub mod includes;
pub mod inventory;
pub mod markdown;
pub mod measure;
pub mod measurements;
pub mod noise;
pub mod outputs;
pub mod preprocess;
pub mod process;
pub mod provenance;
pub mod registry;
pub mod skips;
pub mod takeaways;
pub mod test_catalog;
pub mod thresholds;
pub mod units;
pub mod wording;

use std::path::{Component, Path, PathBuf};

/// `relative` under `root`, without a leading `./`, so messages show the
/// path as the user would type it (`measurements/x.json`, not `./measurements/x.json`).
pub fn under(root: &Path, relative: &Path) -> PathBuf {
    root.join(relative)
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect()
}
