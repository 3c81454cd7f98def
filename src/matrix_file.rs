//! All-to-allv size matrices: read from a RON file, or generated from a named distribution.

use std::path::Path;
use std::rc::Rc;

use kernbench_algorithms::exchange::SizeMatrix;
use kernbench_model::Bytes;
use serde::Deserialize;

use crate::Failure;
use crate::ron_file::{self, bad};

/// A matrix file as written: one row per sending rank, one size per receiving rank.
///
/// ```ron
/// AllToAllv(sizes: [
///     ["0B",   "4KiB", "1MiB"],
///     ["8KiB", "0B",   "4KiB"],
///     ["4KiB", "4KiB", "0B"],
/// ])
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "AllToAllv")]
struct MatrixFile {
    sizes: Vec<Vec<String>>,
}

/// Reads `file` as an all-to-allv matrix.
pub(crate) fn read(file: &Path) -> Result<Rc<SizeMatrix>, Failure> {
    let spec: MatrixFile = ron_file::read(
        file,
        "all-to-allv matrix",
        "docs/formats.md shows one: AllToAllv(sizes: [[\"0B\", \"4KiB\"], [\"8KiB\", \"0B\"]])",
    )?;
    let mut rows = Vec::with_capacity(spec.sizes.len());
    for (i, row) in spec.sizes.iter().enumerate() {
        let mut parsed = Vec::with_capacity(row.len());
        for (j, text) in row.iter().enumerate() {
            let size = text
                .parse::<Bytes>()
                .map_err(|e| bad(file, &format!("sizes[{i}][{j}]"), e))?;
            parsed.push(size.0);
        }
        rows.push(parsed);
    }
    SizeMatrix::new(&rows)
        .map(Rc::new)
        .map_err(|e| bad(file, "sizes", e))
}

/// A named distribution of each rank's `bytes` over `n` ranks: `uniform`, or `zipf:EXPONENT`
/// (hot experts drawn with `seed`).
pub(crate) fn generate(
    text: &str,
    n: u32,
    bytes: u64,
    seed: u64,
) -> Result<Rc<SizeMatrix>, String> {
    let matrix = match text.split_once(':') {
        None if text == "uniform" => SizeMatrix::uniform(n, bytes),
        Some(("zipf", exponent)) => {
            let exponent: f64 = exponent.trim().parse().map_err(|_| {
                format!("\"{exponent}\" is not a Zipf exponent; write zipf:1.2, for example")
            })?;
            SizeMatrix::zipf(n, bytes, exponent, seed)
        }
        _ => {
            return Err(format!(
                "\"{text}\" is not a distribution; use uniform or zipf:EXPONENT (e.g. zipf:1.2)"
            ));
        }
    };
    matrix.map(Rc::new)
}
