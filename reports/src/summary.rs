//! Markdown tables: `summary.md` (one table per collective, topology and memory) and a flat
//! table of any rows.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::ReportError;
use crate::atomic::{ensure_dir, write_file};
use crate::order::{collective_key, memory_key};
use crate::row::{ResultRow, RowStatus};
use crate::series::{Series, Varies};
use crate::units::{human_bandwidth_gbps, human_time_ns, size_label};

/// The file name [`write_summary`] writes.
pub const SUMMARY_FILE: &str = "summary.md";

/// One table of the summary: a collective on a topology with one memory placement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey<'a> {
    collective: (usize, &'a str),
    topology: &'a str,
    memory: (usize, &'a str),
}

/// The cells of one table by (size, column).
type Cells<'a> = BTreeMap<(u64, Series<'a>), &'a ResultRow>;

/// Groups rows into summary tables; within a table, the last row for a (size, series) wins.
fn groups(rows: &[ResultRow]) -> BTreeMap<GroupKey<'_>, Cells<'_>> {
    let mut groups: BTreeMap<GroupKey<'_>, Cells<'_>> = BTreeMap::new();
    for row in rows {
        let key = GroupKey {
            collective: collective_key(&row.collective),
            topology: &row.topology,
            memory: memory_key(&row.memory),
        };
        groups
            .entry(key)
            .or_default()
            .insert((row.bytes, Series::of_row(row)), row);
    }
    groups
}

/// Makes text safe inside a Markdown table cell: no pipes, no line breaks.
fn cell_text(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// The summary of a sweep as Markdown.
///
/// One table per (collective, topology, memory), in the usual order of collectives and
/// memories and by topology name. Rows are message sizes (labelled `1K`, `4M`, ...), columns
/// are algorithms (`ring (2 ch, 256 KiB)` when the rows hold several channel counts or chunk
/// sizes, `ring (groups of 4)` when a topology's rows hold several splits into groups, see
/// the `series` module); a cell is the simulated time with the bus bandwidth in brackets. The
/// **best** column names the fastest algorithm at that size (ties go to the column further
/// left). Failed and unsupported points show as such with a numbered note; each table is
/// followed by its notes, one per distinct reason. A point with no row shows `-`.
///
/// The text depends only on the set of rows, not their order (when two rows share a point,
/// the later one is shown), so the same sweep gives the same bytes.
pub fn summary_markdown(rows: &[ResultRow]) -> String {
    let mut out = String::from("# kernbench summary\n\n");
    if rows.is_empty() {
        out.push_str("No results.\n");
        return out;
    }
    out.push_str(
        "Simulated time per collective, with bus bandwidth (nccl-tests definition) in brackets, \
         by message size per rank. **best** is the fastest algorithm at that size.\n",
    );
    let varies = Varies::of_rows(rows);
    for (key, cells) in groups(rows) {
        let columns: BTreeSet<Series<'_>> = cells.keys().map(|(_, series)| *series).collect();
        let columns: Vec<(Series<'_>, String)> = columns
            .into_iter()
            .map(|series| (series, series.label(varies)))
            .collect();
        let sizes: BTreeSet<u64> = cells.keys().map(|(bytes, _)| *bytes).collect();
        let ranks: BTreeSet<u32> = cells.values().map(|row| row.world_size).collect();
        let ranks = ranks
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join("/");

        // ok: writing to a String cannot fail.
        let _ = write!(
            out,
            "\n## {} on {}, {} ({ranks} ranks)\n\n| size |",
            key.collective.1, key.topology, key.memory.1
        );
        for (_, label) in &columns {
            let _ = write!(out, " {} |", cell_text(label));
        }
        out.push_str(" best |\n| ---: |");
        out.push_str(&" --- |".repeat(columns.len()));
        out.push_str(" --- |\n");

        // Distinct reasons in order of first appearance, with the points that gave them.
        let mut notes: Vec<(String, Vec<(String, u64)>)> = Vec::new();
        let mut note_number = |reason: String, algorithm: &'_ str, bytes: u64| {
            let index = match notes.iter().position(|(r, _)| *r == reason) {
                Some(index) => index,
                None => {
                    notes.push((reason, Vec::new()));
                    notes.len() - 1
                }
            };
            notes[index].1.push((algorithm.to_string(), bytes));
            index + 1
        };

        for bytes in &sizes {
            let label = size_label(*bytes);
            let _ = write!(out, "| {label} |");
            let mut best: Option<(f64, &str)> = None;
            for (series, algorithm) in &columns {
                let text = match cells.get(&(*bytes, *series)) {
                    None => "-".to_string(),
                    Some(row) => match (row.status, row.ok_time_ns()) {
                        (RowStatus::Ok, Some(time_ns)) => {
                            if best.is_none_or(|(t, _)| time_ns < t) {
                                best = Some((time_ns, algorithm.as_str()));
                            }
                            let mut text = human_time_ns(time_ns);
                            if let Some(busbw) = row.busbw_gbps {
                                let _ = write!(text, " ({})", human_bandwidth_gbps(busbw));
                            }
                            if row.verified == Some(false) {
                                let n = note_number(
                                    "result data did not verify".into(),
                                    algorithm,
                                    *bytes,
                                );
                                let _ = write!(text, " wrong [{n}]");
                            }
                            text
                        }
                        (status, _) => {
                            let reason = row.error.clone().unwrap_or_else(|| match status {
                                RowStatus::Ok => "no time recorded".to_string(),
                                _ => "no reason recorded".to_string(),
                            });
                            let n = note_number(reason, algorithm, *bytes);
                            let word = if status == RowStatus::Ok {
                                "no time"
                            } else {
                                status.as_str()
                            };
                            format!("{word} [{n}]")
                        }
                    },
                };
                let _ = write!(out, " {} |", cell_text(&text));
            }
            let best = best.map_or("-".to_string(), |(_, algorithm)| cell_text(algorithm));
            let _ = writeln!(out, " {best} |");
        }

        if !notes.is_empty() {
            out.push('\n');
            for (number, (reason, points)) in notes.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{}. {}: {}",
                    number + 1,
                    describe_points(points, &sizes),
                    cell_text(reason)
                );
            }
        }
    }
    out
}

/// Names the points a note is about, compactly: algorithms that share the same sizes are
/// listed together, and a size list covering the whole table reads "all sizes":
/// `mesh at all sizes; ring, tree at 16M, 64M`.
fn describe_points(points: &[(String, u64)], all_sizes: &BTreeSet<u64>) -> String {
    let mut by_algorithm: Vec<(&str, Vec<u64>)> = Vec::new();
    for (algorithm, bytes) in points {
        match by_algorithm.iter_mut().find(|(a, _)| a == algorithm) {
            Some((_, sizes)) => sizes.push(*bytes),
            None => by_algorithm.push((algorithm.as_str(), vec![*bytes])),
        }
    }
    let mut by_sizes: Vec<(Vec<u64>, Vec<&str>)> = Vec::new();
    for (algorithm, sizes) in by_algorithm {
        match by_sizes.iter_mut().find(|(s, _)| *s == sizes) {
            Some((_, algorithms)) => algorithms.push(algorithm),
            None => by_sizes.push((sizes, vec![algorithm])),
        }
    }
    by_sizes
        .into_iter()
        .map(|(sizes, algorithms)| {
            let at = if sizes.len() == all_sizes.len() {
                "all sizes".to_string()
            } else {
                sizes
                    .iter()
                    .map(|b| size_label(*b))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("{} at {at}", algorithms.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Writes [`summary_markdown`] to `out_dir/summary.md` atomically and returns its path.
pub fn write_summary(rows: &[ResultRow], out_dir: &Path) -> Result<PathBuf, ReportError> {
    ensure_dir(out_dir)?;
    let path = out_dir.join(SUMMARY_FILE);
    write_file(&path, summary_markdown(rows).as_bytes())?;
    Ok(path)
}

/// A flat Markdown table of `rows`, one line per row in the given order: topology,
/// collective, algorithm, memory, size, ranks, status (with the reason when not ok), time,
/// algbw, busbw, verified. Suits a single `run` or a short list.
pub fn markdown_table(rows: &[ResultRow]) -> String {
    let mut out = String::from(
        "| topology | collective | algorithm | memory | size | ranks | status | time | algbw | busbw | verified |\n\
         | --- | --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- |\n",
    );
    for row in rows {
        let status = match &row.error {
            Some(reason) if row.status != RowStatus::Ok => {
                format!("{}: {reason}", row.status.as_str())
            }
            _ => row.status.as_str().to_string(),
        };
        let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".to_string());
        let verified = match row.verified {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell_text(&row.topology),
            cell_text(&row.collective),
            cell_text(&row.algorithm),
            cell_text(&row.memory),
            size_label(row.bytes),
            row.world_size,
            cell_text(&status),
            or_dash(row.time_ns.map(human_time_ns)),
            or_dash(row.algbw_gbps.map(human_bandwidth_gbps)),
            or_dash(row.busbw_gbps.map(human_bandwidth_gbps)),
            verified,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::tests::{not_ok_row, ok_row};

    fn fixed_rows() -> Vec<ResultRow> {
        let mut rows = vec![
            ok_row("ring8", "tree", "hbm", 1024, 2_000.0),
            ok_row("ring8", "ring", "hbm", 1024, 3_500.0),
            ok_row("ring8", "ring", "hbm", 1 << 20, 12_345.0),
            ok_row("ring8", "tree", "hbm", 1 << 20, 20_000.0),
            not_ok_row(
                "ring8",
                "mesh",
                "hbm",
                1024,
                RowStatus::Unsupported,
                "mesh needs a 2D topology | ring8 is 1D",
            ),
            not_ok_row(
                "ring8",
                "mesh",
                "hbm",
                1 << 20,
                RowStatus::Unsupported,
                "mesh needs a 2D topology | ring8 is 1D",
            ),
            not_ok_row(
                "ring8",
                "ring",
                "tcm",
                1 << 20,
                RowStatus::Failed,
                "buffer of 1M does not fit\n8 x 64K TCM",
            ),
            ok_row("ring8", "ring", "tcm", 1024, 1_000.0),
        ];
        rows[2].busbw_gbps = Some(148.6);
        rows
    }

    #[test]
    fn summary_of_a_small_fixed_set_is_exactly_this() {
        let expected = "\
# kernbench summary

Simulated time per collective, with bus bandwidth (nccl-tests definition) in brackets, by message size per rank. **best** is the fastest algorithm at that size.

## all-reduce on ring8, tcm (8 ranks)

| size | ring | best |
| ---: | --- | --- |
| 1K | 1.00 us (1.79 GB/s) | ring |
| 1M | failed [1] | - |

1. ring at 1M: buffer of 1M does not fit 8 x 64K TCM

## all-reduce on ring8, hbm (8 ranks)

| size | ring | mesh | tree | best |
| ---: | --- | --- | --- | --- |
| 1K | 3.50 us (512 MB/s) | unsupported [1] | 2.00 us (896 MB/s) | tree |
| 1M | 12.3 us (149 GB/s) | unsupported [1] | 20.0 us (91.8 GB/s) | ring |

1. mesh at all sizes: mesh needs a 2D topology \\| ring8 is 1D
";
        assert_eq!(summary_markdown(&fixed_rows()), expected);
    }

    #[test]
    fn points_that_differ_in_channels_or_chunk_size_are_columns_of_their_own() {
        let mut one = ok_row("ring8", "ring", "hbm", 1 << 20, 20_000.0);
        one.channels = "1".into();
        let auto = ok_row("ring8", "ring", "hbm", 1 << 20, 12_000.0);
        let mut small = ok_row("ring8", "ring", "hbm", 1 << 20, 15_000.0);
        small.chunk_bytes = 256 << 10;
        let text = summary_markdown(&[one, auto, small]);
        assert!(
            text.contains(
                "| size | ring (1 ch, 1 MiB) | ring (auto ch, 256 KiB) | ring (auto ch, 1 MiB) \
                 | best |\n"
            ),
            "{text}"
        );
        assert!(text.contains(" | ring (auto ch, 1 MiB) |\n"), "{text}");
    }

    #[test]
    fn points_in_groups_are_columns_of_their_own_and_the_world_comes_last() {
        let world = ok_row("ring8", "ring", "hbm", 1 << 20, 20_000.0);
        let mut fours = ok_row("ring8", "ring", "hbm", 1 << 20, 12_000.0);
        fours.group_size = 4;
        let mut strided = ok_row("ring8", "ring", "hbm", 1 << 20, 15_000.0);
        (strided.group_size, strided.group_stride) = (2, 4);
        let text = summary_markdown(&[world, fours, strided]);
        assert!(
            text.contains(
                "| size | ring (groups of 2, stride 4) | ring (groups of 4) | ring (groups of 8) \
                 | best |\n"
            ),
            "{text}"
        );
        assert!(text.contains(" | ring (groups of 4) |\n"), "{text}");
    }

    #[test]
    fn summary_does_not_depend_on_row_order() {
        let rows = fixed_rows();
        let reversed: Vec<ResultRow> = rows.iter().rev().cloned().collect();
        assert_eq!(summary_markdown(&rows), summary_markdown(&reversed));
    }

    #[test]
    fn empty_summary_says_so() {
        assert_eq!(
            summary_markdown(&[]),
            "# kernbench summary\n\nNo results.\n"
        );
    }

    #[test]
    fn write_summary_writes_summary_md() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_summary(&fixed_rows(), &dir.path().join("out")).unwrap();
        assert_eq!(path.file_name().unwrap(), SUMMARY_FILE);
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            summary_markdown(&fixed_rows())
        );
    }

    #[test]
    fn flat_table_has_one_line_per_row_and_reasons() {
        let rows = fixed_rows();
        let table = markdown_table(&rows[4..7]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(
            lines[4],
            "| ring8 | all-reduce | ring | tcm | 1M | 8 | failed: buffer of 1M does not fit 8 x 64K TCM | - | - | - | - |"
        );
        assert!(lines[2].contains("unsupported: mesh needs a 2D topology \\| ring8 is 1D"));
    }
}
