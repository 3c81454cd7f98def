//! Reading an input file (topology, sweep, scenario) as text, with a size cap.

use std::io::Read;
use std::path::Path;

use crate::error::ModelError;
use crate::limits::MAX_INPUT_FILE;

/// Reads `path` as UTF-8 text, at most [`MAX_INPUT_FILE`] bytes of it.
///
/// Reads no more than one byte past the limit, so `/dev/zero` or a FIFO that never ends is
/// refused at once instead of filling the memory.
///
/// # Errors
/// [`ModelError::Io`] if it cannot be read (or is not UTF-8), [`ModelError::FileTooLarge`] past the
/// limit.
pub fn read_input_file(path: &Path) -> Result<String, ModelError> {
    let io = |source| ModelError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_FILE.0 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_INPUT_FILE.0 {
        return Err(ModelError::FileTooLarge {
            path: path.to_owned(),
            limit: MAX_INPUT_FILE,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it is not UTF-8 text ({e})"),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_past_the_limit_is_refused_naming_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.ron");
        std::fs::write(&path, vec![b' '; MAX_INPUT_FILE.0 as usize + 1]).unwrap();
        let err = read_input_file(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{} is larger than 16 MiB, the limit for an input file (a topology, sweep or \
                 scenario file is a few KiB); check the path",
                path.display()
            )
        );
    }

    #[test]
    fn a_file_at_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.ron");
        std::fs::write(&path, vec![b' '; MAX_INPUT_FILE.0 as usize]).unwrap();
        assert_eq!(
            read_input_file(&path).unwrap().len(),
            MAX_INPUT_FILE.0 as usize
        );
    }
}
