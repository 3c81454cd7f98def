//! JSON Lines results files (`results.jsonl`): one JSON object per line, appended one at a time.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use crate::ReportError;
use crate::atomic::write_file;
use crate::row::{Record, ResultRow};

/// Appends rows to a JSON Lines file, one object per line, flushing after each.
///
/// Fields appear in [`Record::FIELDS`] order and floats in shortest round-trip form, so the
/// same rows give the same bytes. A final line without its newline is the trace of an
/// interrupted append: [`read_jsonl`] ignores it and [`JsonlWriter::open_append`] cuts it off.
#[derive(Debug)]
pub struct JsonlWriter<T: Record = ResultRow> {
    path: PathBuf,
    file: File,
    rows: PhantomData<fn(&T)>,
}

impl<T: Record> JsonlWriter<T> {
    /// Creates (or truncates) `path`.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, ReportError> {
        let path = path.as_ref().to_path_buf();
        let file = File::create(&path).map_err(|e| ReportError::io("create", &path, e))?;
        Ok(Self {
            path,
            file,
            rows: PhantomData,
        })
    }

    /// Opens `path` for appending, creating it if missing and cutting off an interrupted last
    /// line.
    ///
    /// Only the file's tail is read, back to its last newline, and no further than the length
    /// the file has when opened: a long file is not read whole to append to it, and a path
    /// that is not a regular file (`/dev/full` in tests, length 0) is not read at all.
    pub fn open_append(path: impl AsRef<Path>) -> Result<Self, ReportError> {
        let path = path.as_ref().to_path_buf();
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| ReportError::io("open for appending", &path, e))?;
        let len = file
            .metadata()
            .map_err(|e| ReportError::io("read", &path, e))?
            .len();
        let complete_len = complete_len_from_tail(&mut file, len)
            .map_err(|e| ReportError::io("read", &path, e))?;
        if complete_len < len {
            file.set_len(complete_len)
                .map_err(|e| ReportError::io("cut the interrupted last line of", &path, e))?;
        }
        Ok(Self {
            path,
            file,
            rows: PhantomData,
        })
    }

    /// Forces the rows appended so far onto the disk (`fsync`), so that a row written after
    /// this call cannot survive a power loss that these rows do not.
    pub fn sync(&mut self) -> Result<(), ReportError> {
        self.file
            .sync_data()
            .map_err(|e| ReportError::io("sync", &self.path, e))
    }

    /// Appends one row as one line and flushes it.
    pub fn append(&mut self, row: &T) -> Result<(), ReportError> {
        let mut line = serde_json::to_vec(row).map_err(|source| ReportError::Json {
            path: self.path.clone(),
            line: 0,
            source,
        })?;
        line.push(b'\n');
        // One write per line: a crash leaves at most one partial line, without its newline.
        self.file
            .write_all(&line)
            .map_err(|e| ReportError::io("write", &self.path, e))?;
        self.file
            .flush()
            .map_err(|e| ReportError::io("write", &self.path, e))
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Length of the complete lines of the first `len` bytes of `file`, read backwards from
/// `len` in blocks until a newline is found.
fn complete_len_from_tail(file: &mut File, len: u64) -> std::io::Result<u64> {
    const BLOCK: u64 = 64 * 1024;
    let mut end = len;
    let mut block = Vec::new();
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        block.resize((end - start) as usize, 0);
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block)?;
        if let Some(last_newline) = block.iter().rposition(|b| *b == b'\n') {
            return Ok(start + last_newline as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Length of the complete lines of `bytes`.
fn complete_prefix_len(bytes: &[u8]) -> u64 {
    match bytes.iter().rposition(|b| *b == b'\n') {
        Some(last_newline) => last_newline as u64 + 1,
        None => 0,
    }
}

/// Reads every row of a JSON Lines file. Blank lines are skipped; a final line without its
/// newline (an interrupted append) is ignored. A row written before one of its columns
/// existed reads as what it ran ([`Record::complete`]).
///
/// The file is read up to the length it has when opened, so a path that is not a regular
/// file (length 0, such as `/dev/full`) reads as empty rather than forever.
///
/// # Errors
/// [`ReportError::Json`] with the 1-based line number of the first line that does not parse.
pub fn read_jsonl<T: Record>(path: impl AsRef<Path>) -> Result<Vec<T>, ReportError> {
    let path = path.as_ref();
    let bytes = (|| {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut bytes = Vec::new();
        file.take(len).read_to_end(&mut bytes)?;
        Ok(bytes)
    })()
    .map_err(|e| ReportError::io("read", path, e))?;
    let complete = &bytes[..complete_prefix_len(&bytes) as usize];
    let mut rows = Vec::new();
    for (index, line) in complete.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut row: T = serde_json::from_slice(line).map_err(|source| ReportError::Json {
            path: path.to_path_buf(),
            line: index + 1,
            source,
        })?;
        row.complete();
        rows.push(row);
    }
    Ok(rows)
}

/// Writes a whole JSON Lines file at once, atomically (a temporary sibling, then a rename).
pub fn write_jsonl<T: Record>(path: impl AsRef<Path>, rows: &[T]) -> Result<(), ReportError> {
    let path = path.as_ref();
    let mut bytes = Vec::new();
    for row in rows {
        serde_json::to_writer(&mut bytes, row).map_err(|source| ReportError::Json {
            path: path.to_path_buf(),
            line: 0,
            source,
        })?;
        bytes.push(b'\n');
    }
    write_file(path, &bytes)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::row::RowStatus;
    use crate::row::tests::{not_ok_row, ok_row};

    fn sample() -> Vec<ResultRow> {
        vec![
            ok_row("ring8", "ring", "hbm", 1024, 1234.5678),
            not_ok_row(
                "ring8",
                "mesh",
                "hbm",
                1024,
                RowStatus::Failed,
                "deadlock: \"p0\" waits\nfor p1",
            ),
        ]
    }

    #[test]
    fn jsonl_round_trips_rows_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        let mut writer = JsonlWriter::create(&path).unwrap();
        for row in sample() {
            writer.append(&row).unwrap();
        }
        assert_eq!(read_jsonl::<ResultRow>(&path).unwrap(), sample());
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(
            text.starts_with(r#"{"topology":"ring8","collective":"all-reduce","algorithm":"ring""#),
            "{text}"
        );
        assert!(text.contains(r#""status":"failed""#), "{text}");
    }

    #[test]
    fn append_continues_the_file_and_drops_an_interrupted_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        let rows = sample();
        write_jsonl(&path, &rows[..1]).unwrap();
        let mut bytes = fs::read(&path).unwrap();
        bytes.extend_from_slice(br#"{"topology":"ri"#);
        fs::write(&path, &bytes).unwrap();
        assert_eq!(read_jsonl::<ResultRow>(&path).unwrap(), rows[..1]);
        JsonlWriter::open_append(&path)
            .unwrap()
            .append(&rows[1])
            .unwrap();
        assert_eq!(read_jsonl::<ResultRow>(&path).unwrap(), rows);
    }

    #[test]
    fn an_interrupted_line_longer_than_a_block_is_cut_back_to_the_last_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        let rows = sample();
        write_jsonl(&path, &rows[..1]).unwrap();
        let mut bytes = fs::read(&path).unwrap();
        let complete = bytes.len();
        bytes.extend(std::iter::repeat_n(b'x', 150_000));
        fs::write(&path, &bytes).unwrap();
        JsonlWriter::<ResultRow>::open_append(&path).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().len(), complete as u64);
        fs::write(&path, vec![b'y'; 70_000]).unwrap();
        JsonlWriter::open_append(&path)
            .unwrap()
            .append(&rows[1])
            .unwrap();
        assert_eq!(read_jsonl::<ResultRow>(&path).unwrap(), rows[1..]);
    }

    #[test]
    fn a_line_written_before_the_group_columns_reads_as_one_group_of_every_rank() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        write_jsonl(&path, &sample()).unwrap();
        let old = fs::read_to_string(&path)
            .unwrap()
            .replace(r#""group_size":8,"group_stride":1,"#, "");
        assert!(!old.contains("group_"), "{old}");
        fs::write(&path, old).unwrap();
        assert_eq!(read_jsonl::<ResultRow>(&path).unwrap(), sample());
    }

    #[test]
    fn a_bad_line_is_reported_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        write_jsonl(&path, &sample()).unwrap();
        let mut text = fs::read_to_string(&path).unwrap();
        text.push_str("{not json}\n");
        fs::write(&path, text).unwrap();
        let err = read_jsonl::<ResultRow>(&path).unwrap_err();
        assert!(matches!(err, ReportError::Json { line: 3, .. }), "{err}");
        assert!(err.to_string().contains("results.jsonl:3"), "{err}");
    }
}
