//! Reading the binary's own RON files (sweeps, scenarios) with errors that name the place.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::Failure;

/// Reads `file` as RON into `T`. A syntax error, an unknown or missing field names the file,
/// line and column, and points to `example` (a complete file of the same kind).
pub(crate) fn read<T: DeserializeOwned>(
    file: &Path,
    what: &str,
    example: &str,
) -> Result<T, Failure> {
    let text = kernbench_model::read_input_file(file)?;
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(&text)
        .map_err(|e| {
            Failure::BadInput(format!(
                "{}:{}:{}: {}; fix the {what} file at that place ({example})",
                file.display(),
                e.span.start.line,
                e.span.start.col,
                e.code
            ))
        })
}

/// A semantic error in `file`: the field and what is wrong with it.
pub(crate) fn bad(file: &Path, field: &str, message: impl std::fmt::Display) -> Failure {
    Failure::BadInput(format!("{}: {field}: {message}", file.display()))
}
