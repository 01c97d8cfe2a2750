//! Reading and writing the book's files, with errors that name the path
//! (std only: the messages are the part worth sharing).

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The file's text; `cannot read PATH: why` when it cannot be read.
pub fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The file's text, or `None` when there is no such file.
pub fn read_if_present(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// The names of the files in `dir` that end in `.EXTENSION`, sorted.
pub fn names_in(dir: &Path, extension: &str) -> Result<Vec<String>, String> {
    let error = |e: std::io::Error| format!("cannot read {}: {e}", dir.display());
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(error)? {
        let entry = entry.map_err(error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(&format!(".{extension}")) && entry.path().is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Writes `text`, creating the file's directory if needed.
pub fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Removes a file left by an earlier run, if there is one.
pub fn remove_stale(path: &Path) -> Result<(), String> {
    if path.exists() {
        std::fs::remove_file(path)
            .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(())
}

/// A JSON file read into `T`; `PATH: why` when it does not parse.
pub fn load_json<T: DeserializeOwned>(path: &Path) -> Result<T, String> {
    serde_json::from_str(&read(path)?)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `value` as pretty JSON with a final newline.
pub fn save_json(path: &Path, value: &impl Serialize) -> Result<(), String> {
    let text =
        serde_json::to_string_pretty(value).expect("the book's data serializes");
    write(path, &(text + "\n"))
}

/// A path with `/` separators on every platform, for stable messages.
pub fn slashed(path: &Path) -> String {
    let parts: Vec<_> = path.iter().map(|part| part.to_string_lossy()).collect();
    parts.join("/")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_saved_with_a_final_newline_in_a_new_directory_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/dir/values.json");
        save_json(&path, &vec![1, 2]).unwrap();
        assert!(read(&path).unwrap().ends_with("]\n"));
        assert_eq!(load_json::<Vec<i32>>(&path).unwrap(), [1, 2]);
    }

    #[test]
    fn a_stale_file_is_removed_and_a_missing_one_is_no_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stale.json");
        write(&path, "{}").unwrap();
        remove_stale(&path).unwrap();
        assert!(!path.exists());
        remove_stale(&path).unwrap();
    }

    #[test]
    fn names_in_lists_the_files_with_the_extension_in_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.md", "a.md", "c.txt", "d.md.bak"] {
            write(&dir.path().join(name), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("e.md")).unwrap();
        assert_eq!(names_in(dir.path(), "md").unwrap(), ["a.md", "b.md"]);
        assert_eq!(read_if_present(&dir.path().join("none.md")).unwrap(), None);
    }

    #[test]
    fn errors_name_the_file_and_the_line() {
        let missing = Path::new("no/such/file.toml");
        assert!(
            read(missing)
                .unwrap_err()
                .starts_with("cannot read no/such/file.toml: ")
        );
        let text = "a = 1\n\nb = \"open\n";
        let error = toml::from_str::<toml::Table>(text).unwrap_err();
        assert_eq!(toml_error_line(text, &error), 3);
    }
}
