//! Reading and writing the book's files, with errors that name the path
//! (std only: the messages are the part worth sharing).

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The file's text; `cannot read PATH: why` when it cannot be read.
pub fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Writes `text`, creating the file's directory if needed.
pub fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = dir;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Removes a file left by an earlier run, if there is one.
pub fn remove_stale(path: &Path) -> Result<(), String> {
    if path.exists() {
        std::fs::remove_file(path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(())
}

/// A JSON file read into `T`; `PATH: why` when it does not parse.
pub fn load_json<T: DeserializeOwned>(path: &Path) -> Result<T, String> {
    serde_json::from_str(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// `value` as pretty JSON with a final newline.
pub fn save_json(path: &Path, value: &impl Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).expect("the book's data serializes");
    write(path, &(text + "\n"))
}

/// The 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line a TOML error is about: toml 1.2 spans an unknown key itself,
/// not its table (`src/de/deserializer/table.rs:133-143`).
pub fn toml_error_line(text: &str, error: &toml::de::Error) -> usize {
    error.span().map_or(1, |s| line_of(text, s.start))
}
