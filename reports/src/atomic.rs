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

/// Where a whole-file write of a path goes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Destination {
    /// A regular file or a new one: written to a temporary sibling of this path (the target
    /// of a symlink, so the link itself stays a link), then renamed over it.
    Atomic(PathBuf),
    /// Not a regular file (a character device such as `/dev/null`, a FIFO, a socket): opened
    /// and written in place. Renaming over it would replace the device with a file.
    InPlace(PathBuf),
}

/// Decides how `path` is written: in place for special files, atomically for regular ones.
/// A symlink is followed, never replaced.
pub(crate) fn destination(path: &Path) -> Destination {
    match fs::metadata(path) {
        // A directory falls through to the atomic path, whose rename then names the error.
        Ok(meta) if !meta.is_file() && !meta.is_dir() => Destination::InPlace(path.to_owned()),
        Ok(meta) if meta.is_file() => {
            let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            match is_link.then(|| fs::canonicalize(path)) {
                Some(Ok(target)) => Destination::Atomic(target),
                _ => Destination::Atomic(path.to_owned()),
            }
        }
        _ => {
            // A dangling symlink: writing through it creates its target, as a shell does.
            let dangling = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if dangling {
                Destination::InPlace(path.to_owned())
            } else {
                Destination::Atomic(path.to_owned())
            }
        }
    }
}

/// Renames a finished temporary file into place, removing it if the rename fails.
pub(crate) fn commit(tmp: &Path, path: &Path) -> Result<(), ReportError> {
    fs::rename(tmp, path).map_err(|e| {
        let _ = fs::remove_file(tmp);
        ReportError::io("rename into place", path, e)
    })
}

/// Writes `bytes` to `path` so that a reader never sees a partial file as if it were complete.
///
/// A regular file (or a new one) is written to a temporary sibling, synced, then renamed into
/// place: a reader sees the old file or the whole new one, never a prefix. A symlink is
/// followed (its target is replaced, the link stays). A file that is not a regular file
/// (`/dev/null`, `/dev/stdout`, a FIFO) is written in place: a rename would replace it, and
/// `/dev/full` would "succeed" by being replaced instead of failing with "no space left".
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let path = match destination(path) {
        Destination::InPlace(path) => {
            return fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .and_then(|mut file| file.write_all(bytes))
                .map_err(|e| ReportError::io("write", path, e));
        }
        Destination::Atomic(path) => path,
    };
    let tmp = temp_sibling(&path);
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(ReportError::io("write", tmp, e));
    }
    commit(&tmp, &path)
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
    fn write_file_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.md");
        write_file(&path, b"old").unwrap();
        write_file(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert!(!temp_sibling(&path).exists());
    }

    #[test]
    fn write_file_into_a_missing_directory_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("summary.md");
        let err = write_file(&path, b"x").unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }

    #[test]
    #[cfg(unix)]
    fn write_file_writes_a_fifo_in_place_instead_of_replacing_it() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        write_file(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[test]
    #[cfg(unix)]
    fn write_file_follows_a_symlink_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.json");
        let link = dir.path().join("link.json");
        fs::write(&target, b"old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_file(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert!(!temp_sibling(&target).exists());
    }

    #[test]
    #[cfg(unix)]
    fn devices_are_written_in_place_and_new_files_atomically() {
        // Only decides, never writes: a regression must not be able to replace a device.
        for device in ["/dev/null", "/dev/full"] {
            let path = Path::new(device);
            if path.exists() {
                assert_eq!(destination(path), Destination::InPlace(path.to_owned()));
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.json");
        assert_eq!(destination(&new), Destination::Atomic(new.clone()));
    }

    #[test]
    fn file_safe_replaces_separators() {
        assert_eq!(file_safe("ring8/hbm x"), "ring8_hbm_x");
    }
}
