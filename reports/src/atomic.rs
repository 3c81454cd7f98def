//! Whole-file writes that never leave a partial file behind as if it were complete.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::ReportError;

/// The temporary sibling a whole-file write goes to before it is renamed into place.
///
/// `dir/name.ext` becomes `dir/name.tmp.ext`: the extension is kept so that encoders that pick
/// a format from it (the PNG encoder does) still work.
pub(crate) fn temp_sibling(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.tmp.{}", ext.to_string_lossy()),
        None => format!("{stem}.tmp"),
    };
    path.with_file_name(name)
}

/// Renames a finished temporary file into place, removing it if the rename fails.
pub(crate) fn commit(tmp: &Path, path: &Path) -> Result<(), ReportError> {
    fs::rename(tmp, path).map_err(|e| {
        let _ = fs::remove_file(tmp);
        ReportError::io("rename into place", path, e)
    })
}

/// Writes `bytes` to `path` atomically: to a temporary sibling first, synced, then renamed.
///
/// A reader sees either the old file or the complete new one, never a prefix.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tmp = temp_sibling(path);
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(ReportError::io("write", tmp, e));
    }
    commit(&tmp, path)
}

/// Creates `dir` and its parents if missing.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), ReportError> {
    fs::create_dir_all(dir).map_err(|e| ReportError::io("create directory", dir, e))
}

/// Reduces a name to characters safe in a file name on every platform: `[A-Za-z0-9._-]`,
/// anything else becomes `_`.
pub(crate) fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_sibling_keeps_the_extension_last() {
        assert_eq!(
            temp_sibling(Path::new("out/a.png")),
            Path::new("out/a.tmp.png")
        );
        assert_eq!(temp_sibling(Path::new("summary")), Path::new("summary.tmp"));
    }

    #[test]
    fn write_atomic_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.md");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert!(!temp_sibling(&path).exists());
    }

    #[test]
    fn write_atomic_into_a_missing_directory_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("summary.md");
        let err = write_atomic(&path, b"x").unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }

    #[test]
    fn file_safe_replaces_separators() {
        assert_eq!(file_safe("ring8/hbm x"), "ring8_hbm_x");
    }
}
