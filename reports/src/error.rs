//! The one error type of the reports room.

use std::path::PathBuf;

/// Everything that can go wrong while writing or reading reports.
///
/// Every variant that touches a file carries its path; every message ends with what to do
/// about it.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or directory could not be created, written, read or renamed.
    #[error(
        "could not {action} {path}: {source}; check that the directory exists, is writable and \
         that the disk is not full"
    )]
    Io {
        /// What was being done, e.g. "write", "rename", "read".
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A CSV file could not be written or parsed.
    #[error(
        "malformed CSV in {path}: {source}; repair or delete the file (a sweep rewrites missing \
         points)"
    )]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// The underlying error, with its position.
        source: csv::Error,
    },
    /// A line of a JSON Lines file could not be parsed or a row could not be encoded.
    #[error(
        "malformed JSON at {path}:{line}: {source}; repair or delete that line (a sweep rewrites \
         missing points)"
    )]
    Json {
        /// The JSON Lines file.
        path: PathBuf,
        /// 1-based line number (0 when encoding, not reading).
        line: usize,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// An existing results file has a header other than the one this version writes.
    #[error(
        "{path} has the header `{found}` but this version writes `{expected}`; write to a new \
         file or move the old one away"
    )]
    HeaderMismatch {
        /// The file being appended to.
        path: PathBuf,
        /// The header line found in the file.
        found: String,
        /// The header line this version writes.
        expected: String,
    },
    /// plotters failed while drawing or encoding a chart.
    #[error("could not draw the chart {path}: {message}; check that the directory is writable")]
    Plot {
        /// The image file being drawn.
        path: PathBuf,
        /// plotters' description of the failure.
        message: String,
    },
    /// The embedded font could not be registered with plotters.
    #[error(
        "the embedded font {name} could not be loaded; the crate's assets/ folder is damaged, \
         rebuild from a clean checkout"
    )]
    Font {
        /// The font's family name.
        name: &'static str,
    },
    /// A trace span ends before it starts.
    #[error(
        "trace span `{name}` ends at {end_ps} ps, before it starts at {start_ps} ps; emit spans \
         with end >= start"
    )]
    TraceSpanReversed {
        /// The span's name.
        name: String,
        /// Start time in picoseconds.
        start_ps: u64,
        /// End time in picoseconds.
        end_ps: u64,
    },
}

impl ReportError {
    /// Wraps an I/O error with what was being done and to which path.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_names_the_path_and_a_fix() {
        let err = ReportError::io(
            "write",
            "/nowhere/results.csv",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        let text = err.to_string();
        assert!(text.contains("/nowhere/results.csv"), "{text}");
        assert!(text.contains("check that the directory exists"), "{text}");
    }
}
