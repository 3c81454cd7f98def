//! What a column of a summary table, a line of a plot or a link panel stands for: an
//! algorithm, with the channels and chunk size it ran with when the rows vary them.
//!
//! The rule: a label is the algorithm's name alone (`ring`) unless the rows given to the
//! table or plot hold more than one channel count or more than one chunk size; then the
//! varying settings follow in brackets, `ring (2 ch)`, `ring (256 KiB)` or
//! `ring (2 ch, 256 KiB)`, so that two such points are two columns or lines, never one cell
//! that the later row overwrites. A sweep that varies neither keeps its plain labels.

use crate::order::{algorithm_key, channels_key};
use crate::row::{LinkUsage, ResultRow};

/// Which settings beyond the algorithm take more than one value in a set of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Varies {
    channels: bool,
    chunk: bool,
}

impl Varies {
    /// What varies among these (channels, chunk bytes) pairs.
    pub(crate) fn of<'a>(points: impl IntoIterator<Item = (&'a str, u64)>) -> Varies {
        let mut points = points.into_iter();
        let mut varies = Varies::default();
        if let Some((channels, chunk)) = points.next() {
            for (c, k) in points {
                varies.channels |= c != channels;
                varies.chunk |= k != chunk;
            }
        }
        varies
    }

    /// What varies among `rows`.
    pub(crate) fn of_rows(rows: &[ResultRow]) -> Varies {
        Varies::of(rows.iter().map(|r| (r.channels.as_str(), r.chunk_bytes)))
    }

    /// What varies among link rows.
    pub(crate) fn of_links(rows: &[LinkUsage]) -> Varies {
        Varies::of(rows.iter().map(|r| (r.channels.as_str(), r.chunk_bytes)))
    }
}

/// One series: an algorithm with its channels and chunk size. Orders as tables and legends
/// show them: algorithms in their usual order, then channel counts by value with `auto`
/// after them, then chunk sizes from small to large.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Series<'a> {
    algorithm: (usize, &'a str),
    channels: (u32, &'a str),
    chunk_bytes: u64,
}

impl<'a> Series<'a> {
    /// The series of a result row.
    pub(crate) fn of_row(row: &'a ResultRow) -> Series<'a> {
        Series::new(&row.algorithm, &row.channels, row.chunk_bytes)
    }

    /// The series of a link row.
    pub(crate) fn of_link(row: &'a LinkUsage) -> Series<'a> {
        Series::new(&row.algorithm, &row.channels, row.chunk_bytes)
    }

    fn new(algorithm: &'a str, channels: &'a str, chunk_bytes: u64) -> Series<'a> {
        Series {
            algorithm: algorithm_key(algorithm),
            channels: channels_key(channels),
            chunk_bytes,
        }
    }

    /// The algorithm's name.
    pub(crate) fn algorithm(&self) -> &'a str {
        self.algorithm.1
    }

    /// The label under the module's rule: the algorithm, then what `varies`.
    pub(crate) fn label(&self, varies: Varies) -> String {
        let mut parts = Vec::new();
        if varies.channels {
            parts.push(format!("{} ch", self.channels.1));
        }
        if varies.chunk {
            parts.push(chunk_label(self.chunk_bytes));
        }
        if parts.is_empty() {
            self.algorithm().to_string()
        } else {
            format!("{} ({})", self.algorithm(), parts.join(", "))
        }
    }
}

/// A chunk size as the command line writes it: `256 KiB`, `1 MiB`, `1000 B` (the largest
/// binary unit that divides it exactly, so a label never rounds).
fn chunk_label(bytes: u64) -> String {
    const UNITS: [(u32, &str); 3] = [(30, "GiB"), (20, "MiB"), (10, "KiB")];
    UNITS
        .iter()
        .find(|(shift, _)| bytes > 0 && bytes % (1u64 << shift) == 0)
        .map_or_else(
            || format!("{bytes} B"),
            |(shift, unit)| format!("{} {unit}", bytes >> shift),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(channels: &'static str, chunk_bytes: u64) -> Series<'static> {
        Series::new("ring", channels, chunk_bytes)
    }

    #[test]
    fn labels_name_only_what_varies() {
        let plain = Varies::of([("auto", 1 << 20), ("auto", 1 << 20)]);
        assert_eq!(series("auto", 1 << 20).label(plain), "ring");
        let channels = Varies::of([("auto", 1 << 20), ("2", 1 << 20)]);
        assert_eq!(series("2", 1 << 20).label(channels), "ring (2 ch)");
        let both = Varies::of([("auto", 1 << 20), ("2", 1 << 18)]);
        assert_eq!(series("2", 1 << 18).label(both), "ring (2 ch, 256 KiB)");
        let chunk = Varies::of([("1", 1 << 20), ("1", 1000)]);
        assert_eq!(series("1", 1000).label(chunk), "ring (1000 B)");
    }

    #[test]
    fn series_order_by_algorithm_then_channel_count_then_chunk_size() {
        let mut all = [
            Series::new("tree", "1", 4),
            series("auto", 4),
            series("16", 4),
            series("2", 8),
            series("2", 4),
        ];
        all.sort();
        let varies = Varies::of([("1", 4), ("2", 8)]);
        let labels: Vec<String> = all.iter().map(|s| s.label(varies)).collect();
        assert_eq!(
            labels,
            [
                "ring (2 ch, 4 B)",
                "ring (2 ch, 8 B)",
                "ring (16 ch, 4 B)",
                "ring (auto ch, 4 B)",
                "tree (1 ch, 4 B)"
            ]
        );
    }
}
