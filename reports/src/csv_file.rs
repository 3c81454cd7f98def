//! CSV results files (`results.csv`): a header line, then one row per line, appended one at a
//! time so a long sweep can be stopped and resumed.

use std::fs::{self, File, OpenOptions};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use crate::ReportError;
use crate::atomic::write_file;
use crate::row::{Record, ResultRow};

/// Appends rows to a CSV file, one at a time, flushing after each.
///
/// Floats are written in Rust's shortest round-trip form, so reading a file back gives the
/// same values bit for bit; `None` is an empty field.
///
/// A final line without its newline is the trace of an interrupted append: [`read_csv`]
/// ignores it and [`CsvWriter::open_append`] cuts it off before appending, so the point it
/// held is simply run again.
#[derive(Debug)]
pub struct CsvWriter<T: Record = ResultRow> {
    path: PathBuf,
    inner: csv::Writer<File>,
    rows: PhantomData<fn(&T)>,
}

impl<T: Record> CsvWriter<T> {
    /// Creates (or truncates) `path` and writes the header.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, ReportError> {
        let path = path.as_ref().to_path_buf();
        let file = File::create(&path).map_err(|e| ReportError::io("create", &path, e))?;
        let mut writer = Self::wrap(path, file);
        writer.write_header()?;
        Ok(writer)
    }

    /// Opens `path` for appending, writing the header only if the file is new or empty.
    ///
    /// # Errors
    /// [`ReportError::HeaderMismatch`] when the file's header is not [`Record::FIELDS`]: the
    /// rows would not line up with the columns.
    pub fn open_append(path: impl AsRef<Path>) -> Result<Self, ReportError> {
        let path = path.as_ref().to_path_buf();
        let existing = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(ReportError::io("read", &path, e)),
        };
        let complete_len = if existing.is_empty() {
            0
        } else {
            let expected = T::FIELDS.join(",");
            let found = existing.split(|b| *b == b'\n').next().unwrap_or_default();
            let found = String::from_utf8_lossy(found)
                .trim_end_matches('\r')
                .to_string();
            if found != expected {
                return Err(ReportError::HeaderMismatch {
                    path,
                    found,
                    expected,
                });
            }
            complete_prefix_len(&existing)
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| ReportError::io("open for appending", &path, e))?;
        if complete_len < existing.len() as u64 {
            file.set_len(complete_len)
                .map_err(|e| ReportError::io("cut the interrupted last line of", &path, e))?;
        }
        let mut writer = Self::wrap(path, file);
        if complete_len == 0 {
            writer.write_header()?;
        }
        Ok(writer)
    }

    fn wrap(path: PathBuf, file: File) -> Self {
        let inner = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(file);
        Self {
            path,
            inner,
            rows: PhantomData,
        }
    }

    fn write_header(&mut self) -> Result<(), ReportError> {
        self.inner
            .write_record(T::FIELDS)
            .map_err(|source| ReportError::Csv {
                path: self.path.clone(),
                source,
            })?;
        self.flush()
    }

    /// Appends one row and flushes it to the file.
    pub fn append(&mut self, row: &T) -> Result<(), ReportError> {
        self.inner
            .serialize(row)
            .map_err(|source| ReportError::Csv {
                path: self.path.clone(),
                source,
            })?;
        self.flush()
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn flush(&mut self) -> Result<(), ReportError> {
        self.inner
            .flush()
            .map_err(|e| ReportError::io("write", &self.path, e))
    }
}

/// Length of the part of `bytes` made of complete records: all of it when it ends in a
/// newline, otherwise up to the start of the last (interrupted) record. Records are found by
/// the CSV parser, so a quoted field holding a newline is not mistaken for a record end.
fn complete_prefix_len(bytes: &[u8]) -> u64 {
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return bytes.len() as u64;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut last_start = 0;
    loop {
        let start = reader.position().byte();
        match reader.read_byte_record(&mut record) {
            Ok(true) => last_start = start,
            Ok(false) => break,
            // An unterminated quote at the end is exactly the interrupted record.
            Err(_) => {
                last_start = start;
                break;
            }
        }
    }
    last_start
}

/// Reads every row of a CSV file written by [`CsvWriter`] or [`write_csv`].
///
/// A final line without its newline (an interrupted append) is ignored.
pub fn read_csv<T: Record>(path: impl AsRef<Path>) -> Result<Vec<T>, ReportError> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|e| ReportError::io("read", path, e))?;
    let complete = complete_prefix_len(&bytes) as usize;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&bytes[..complete]);
    let headers = reader.headers().map_err(|source| ReportError::Csv {
        path: path.to_path_buf(),
        source,
    })?;
    let expected = T::FIELDS.join(",");
    let found = headers.iter().collect::<Vec<_>>().join(",");
    if !bytes.is_empty() && found != expected {
        return Err(ReportError::HeaderMismatch {
            path: path.to_path_buf(),
            found,
            expected,
        });
    }
    reader
        .deserialize()
        .map(|row| {
            let mut row: T = row.map_err(|source| ReportError::Csv {
                path: path.to_path_buf(),
                source,
            })?;
            row.complete();
            Ok(row)
        })
        .collect()
}

/// Writes a whole CSV file at once, atomically (a temporary sibling, then a rename).
pub fn write_csv<T: Record>(path: impl AsRef<Path>, rows: &[T]) -> Result<(), ReportError> {
    let path = path.as_ref();
    let csv_error = |source| ReportError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    writer.write_record(T::FIELDS).map_err(csv_error)?;
    for row in rows {
        writer.serialize(row).map_err(csv_error)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ReportError::io("encode", path, e.into_error()))?;
    write_file(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::tests::{not_ok_row, ok_row};
    use crate::row::{LinkUsage, RowStatus};

    fn sample() -> Vec<ResultRow> {
        vec![
            ok_row("ring8", "ring", "hbm", 1024, 1234.5678),
            not_ok_row(
                "ring8",
                "mesh",
                "hbm",
                1024,
                RowStatus::Unsupported,
                "mesh needs a 2D topology, \"ring8\" is 1D,\nsee docs",
            ),
            ok_row("ring8", "tree", "sram", 1 << 30, 0.1 + 0.2),
        ]
    }

    #[test]
    fn csv_round_trips_rows_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.csv");
        let mut writer = CsvWriter::create(&path).unwrap();
        for row in sample() {
            writer.append(&row).unwrap();
        }
        drop(writer);
        let back: Vec<ResultRow> = read_csv(&path).unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn append_to_an_existing_file_does_not_repeat_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.csv");
        let rows = sample();
        CsvWriter::open_append(&path)
            .unwrap()
            .append(&rows[0])
            .unwrap();
        let mut writer = CsvWriter::open_append(&path).unwrap();
        writer.append(&rows[1]).unwrap();
        writer.append(&rows[2]).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches("topology,collective").count(), 1, "{text}");
        assert!(
            text.starts_with("topology,collective,algorithm,memory,bytes,world_size,channels,chunk_bytes,group_size,group_stride,model,status,error,"),
            "{text}"
        );
        assert_eq!(read_csv::<ResultRow>(&path).unwrap(), rows);
    }

    #[test]
    fn an_interrupted_last_line_is_ignored_and_then_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.csv");
        let rows = sample();
        write_csv(&path, &rows[..1]).unwrap();
        let mut bytes = fs::read(&path).unwrap();
        bytes.extend_from_slice(b"ring8,all-reduce,tr");
        fs::write(&path, &bytes).unwrap();
        assert_eq!(read_csv::<ResultRow>(&path).unwrap(), rows[..1]);
        CsvWriter::open_append(&path)
            .unwrap()
            .append(&rows[2])
            .unwrap();
        assert_eq!(
            read_csv::<ResultRow>(&path).unwrap(),
            vec![rows[0].clone(), rows[2].clone()]
        );
    }

    #[test]
    fn appending_to_a_file_with_another_header_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.csv");
        fs::write(&path, "a,b\n1,2\n").unwrap();
        let err = CsvWriter::<ResultRow>::open_append(&path).unwrap_err();
        assert!(matches!(err, ReportError::HeaderMismatch { .. }), "{err}");
        assert!(err.to_string().contains("move the old one away"));
    }

    #[test]
    fn link_usage_rows_round_trip_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("links.csv");
        let usage = vec![LinkUsage {
            topology: "ring8".into(),
            collective: "all-gather".into(),
            memory: "hbm".into(),
            algorithm: "ring".into(),
            bytes: 1 << 20,
            channels: "auto".into(),
            chunk_bytes: 1 << 20,
            group_size: 8,
            group_stride: 1,
            model: "packet".into(),
            link: "c0.s0.hub->c0.s1.hub".into(),
            class: "sip".into(),
            bytes_carried: 917_504,
            busy_ns: 9175.04,
            utilisation: 0.8125,
        }];
        write_csv(&path, &usage).unwrap();
        assert_eq!(read_csv::<LinkUsage>(&path).unwrap(), usage);
    }

    #[test]
    fn reading_a_malformed_row_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.csv");
        fs::write(
            &path,
            format!(
                "{}\nring8,all-reduce,ring,hbm,notanumber,8,ok,,,,,,,\n",
                ResultRow::FIELDS.join(",")
            ),
        )
        .unwrap();
        let err = read_csv::<ResultRow>(&path).unwrap_err();
        assert!(matches!(err, ReportError::Csv { .. }));
        assert!(err.to_string().contains("results.csv"), "{err}");
    }
}
