//! Checks and preprocessors that keep the book honest.

pub mod chart;
pub mod check_claims;
pub mod claims;
pub mod criterion_results;
pub mod files;
pub mod figures;
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
