//! The results of a sweep of workloads: one [`WorkloadRow`] per (workload, topology, network
//! model), written as `workloads.csv` and `workloads.jsonl`, and [`workload_table`], the
//! table `kernbench sweep` prints of them.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::order::natural_cmp;
use crate::row::{Record, RowStatus};

/// The result of one point of a workload sweep: one training-step workload on one topology
/// in one network model.
///
/// Times are microseconds of simulated time, exact to the picosecond (`517.84608`); the
/// compute and communication columns are those of one rank, the *slowest* (the first rank
/// whose last node finished at the step time), so that its compute, exposed communication
/// and the rest (waiting, copies) add up to the step time; `max_exposed_comm_us` is the most
/// exposed communication of any rank. Every field is a deterministic function of the inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadRow {
    /// The workload's `name` (a Chakra trace's: its file prefix).
    pub workload: String,
    /// The topology's name.
    pub topology: String,
    /// Ranks (SIPs) of the topology.
    pub world_size: u32,
    /// The network model: `"packet"` or `"flow"`.
    pub model: String,
    /// How the point ended: [`RowStatus::Unsupported`] when the workload does not fit the
    /// topology (another rank count, a group or peer it does not have, an algorithm that
    /// refuses it), [`RowStatus::Failed`] when it ran and failed (a deadlock, a time limit, a
    /// buffer that does not fit).
    pub status: RowStatus,
    /// Why the point is not [`RowStatus::Ok`]; `None` when it is.
    pub error: Option<String>,
    /// From the start to the last node's end on any rank, in microseconds.
    pub step_time_us: Option<f64>,
    /// The rank whose times the next three fields are: the first to finish at the step time.
    pub slowest_rank: Option<u32>,
    /// Time the slowest rank's compute stream was busy, in microseconds.
    pub compute_us: Option<f64>,
    /// The slowest rank's communication that no compute of it overlapped, in microseconds.
    pub exposed_comm_us: Option<f64>,
    /// The slowest rank's communication while it computed, in microseconds.
    pub overlapped_comm_us: Option<f64>,
    /// The most exposed communication of any rank, in microseconds.
    pub max_exposed_comm_us: Option<f64>,
    /// Time the slowest rank spent copying between its own memories (`Copy` nodes), in
    /// microseconds.
    #[serde(default)]
    pub copy_us: Option<f64>,
    /// The directed link busiest during the step (`c0.s0.hub->c0.s1.hub`; of equally busy
    /// ones the first in the topology's link order): the one that bounds the step.
    #[serde(default)]
    pub busiest_link: Option<String>,
    /// Its busy time over the step time, a fraction (`0.567` is 56.7 %).
    #[serde(default)]
    pub busiest_link_utilisation: Option<f64>,
    /// Engine events processed.
    pub events: Option<u64>,
}

impl Record for WorkloadRow {
    const FIELDS: &'static [&'static str] = &[
        "workload",
        "topology",
        "world_size",
        "model",
        "status",
        "error",
        "step_time_us",
        "slowest_rank",
        "compute_us",
        "exposed_comm_us",
        "overlapped_comm_us",
        "max_exposed_comm_us",
        "copy_us",
        "busiest_link",
        "busiest_link_utilisation",
        "events",
    ];
}

/// The identity of a point of a workload sweep. Orders by workload, then topology, names
/// in natural order (`ring8` before `ring64`), then network model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkloadKey {
    /// The workload's name.
    pub workload: String,
    /// The topology's name.
    pub topology: String,
    /// The network model.
    pub model: String,
}

impl PartialOrd for WorkloadKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for WorkloadKey {
    fn cmp(&self, other: &Self) -> Ordering {
        natural_cmp(&self.workload, &other.workload)
            .then_with(|| natural_cmp(&self.topology, &other.topology))
            .then_with(|| self.model.cmp(&other.model))
    }
}

impl WorkloadRow {
    /// The row of point `key` on `world_size` ranks before anything is known of it: status
    /// ok and every measurement empty, for the caller to fill in or mark.
    pub fn for_point(key: WorkloadKey, world_size: u32) -> WorkloadRow {
        WorkloadRow {
            workload: key.workload,
            topology: key.topology,
            world_size,
            model: key.model,
            status: RowStatus::Ok,
            error: None,
            step_time_us: None,
            slowest_rank: None,
            compute_us: None,
            exposed_comm_us: None,
            overlapped_comm_us: None,
            max_exposed_comm_us: None,
            copy_us: None,
            busiest_link: None,
            busiest_link_utilisation: None,
            events: None,
        }
    }

    /// The point this row answers, for resuming and merging.
    pub fn key(&self) -> WorkloadKey {
        WorkloadKey {
            workload: self.workload.clone(),
            topology: self.topology.clone(),
            model: self.model.clone(),
        }
    }
}

/// Joins shards of workload rows into one list, one row per point, sorted by
/// [`WorkloadKey`]; of several rows of one point the last (later shard, later row) wins.
pub fn merge_workloads<I>(shards: I) -> Vec<WorkloadRow>
where
    I: IntoIterator,
    I::Item: IntoIterator<Item = WorkloadRow>,
{
    let mut by_key = BTreeMap::new();
    for shard in shards {
        for row in shard {
            by_key.insert(row.key(), row);
        }
    }
    by_key.into_values().collect()
}

/// A time in microseconds as the table prints it: six decimals, every picosecond.
fn us(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.6}"))
}

/// The rows as a plain-text table with aligned columns, one line per row in the given
/// order, headed by the column names of `workloads.csv`: workload, topology, world size,
/// model, status, the step time and the slowest rank's compute, exposed and overlapped
/// communication (microseconds with six decimals, the picoseconds exact), the most exposed
/// communication of any rank, the slowest rank's copies, the busiest link and its
/// utilisation (in %, one decimal),
/// events, and last the reason of a row that is not ok (`-` in
/// the columns it has no value for).
pub fn workload_table(rows: &[WorkloadRow]) -> String {
    // The columns of workloads.csv, the reason moved last (it is the long one).
    let header: Vec<&str> = <WorkloadRow as Record>::FIELDS
        .iter()
        .copied()
        .filter(|f| *f != "error")
        .chain(["error"])
        .collect();
    // Names, the model, the status and the busiest link are text (left-aligned), the rest
    // numbers.
    const TEXT: [&str; 5] = ["workload", "topology", "model", "status", "busiest_link"];
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for row in rows {
        let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
        lines.push(vec![
            row.workload.clone(),
            row.topology.clone(),
            row.world_size.to_string(),
            row.model.clone(),
            row.status.as_str().to_string(),
            us(row.step_time_us),
            or_dash(row.slowest_rank.map(|r| r.to_string())),
            us(row.compute_us),
            us(row.exposed_comm_us),
            us(row.overlapped_comm_us),
            us(row.max_exposed_comm_us),
            us(row.copy_us),
            or_dash(row.busiest_link.clone()),
            or_dash(
                row.busiest_link_utilisation
                    .map(|u| format!("{:.1}%", 100.0 * u)),
            ),
            or_dash(row.events.map(|e| e.to_string())),
            row.error
                .as_deref()
                .unwrap_or("")
                .replace(['\r', '\n'], " "),
        ]);
    }
    let columns = header.len();
    debug_assert!(lines.iter().all(|l| l.len() == columns));
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in &lines {
        let mut text = String::new();
        for (c, cell) in line.iter().enumerate() {
            let width = widths[c];
            // ok: writing to a String cannot fail.
            let _ = match c {
                _ if c == columns - 1 => write!(text, "{cell}"),
                _ if TEXT.contains(&header[c]) => write!(text, "{cell:<width$}  "),
                _ => write!(text, "{cell:>width$}  "),
            };
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A row that ran: `step` us, the slowest rank computing `compute` us of it.
    pub(crate) fn ok_workload(
        workload: &str,
        topology: &str,
        step: f64,
        compute: f64,
    ) -> WorkloadRow {
        WorkloadRow {
            step_time_us: Some(step),
            slowest_rank: Some(0),
            compute_us: Some(compute),
            exposed_comm_us: Some(step - compute),
            overlapped_comm_us: Some(1.5),
            max_exposed_comm_us: Some(step - compute),
            busiest_link: Some("c0.s0.hub->c0.s1.hub".into()),
            busiest_link_utilisation: Some(0.5669),
            events: Some(1234),
            ..WorkloadRow::for_point(
                WorkloadKey {
                    workload: workload.into(),
                    topology: topology.into(),
                    model: "packet".into(),
                },
                8,
            )
        }
    }

    /// A row of a workload that does not fit its topology.
    pub(crate) fn refused_workload(workload: &str, topology: &str) -> WorkloadRow {
        WorkloadRow {
            status: RowStatus::Unsupported,
            error: Some("ranks: the workload is written for 8 ranks, but the topology has 4 SIPs (rank = SIP); use a topology of 8 SIPs".into()),
            world_size: 4,
            ..WorkloadRow::for_point(
                WorkloadKey {
                    workload: workload.into(),
                    topology: topology.into(),
                    model: "packet".into(),
                },
                4,
            )
        }
    }

    #[test]
    fn fields_match_what_serde_writes() {
        let mut w = csv::Writer::from_writer(vec![]);
        w.serialize(ok_workload("dp-step", "ring8", 517.84608, 430.0))
            .unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), WorkloadRow::FIELDS.join(","));
    }

    #[test]
    fn rows_round_trip_through_csv_and_jsonl_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![
            ok_workload("dp-step", "ring8", 517.84608, 0.1 + 0.2),
            refused_workload("dp-step", "mesh2x2"),
        ];
        let (csv, jsonl) = (dir.path().join("w.csv"), dir.path().join("w.jsonl"));
        crate::write_csv(&csv, &rows).unwrap();
        crate::write_jsonl(&jsonl, &rows).unwrap();
        assert_eq!(crate::read_csv::<WorkloadRow>(&csv).unwrap(), rows);
        assert_eq!(crate::read_jsonl::<WorkloadRow>(&jsonl).unwrap(), rows);
        let text = std::fs::read_to_string(&csv).unwrap();
        assert!(text.contains(",ok,,517.84608,0,"), "{text}");
    }

    #[test]
    fn rows_merge_in_natural_order_of_workload_then_topology_the_last_winning() {
        let a = vec![
            ok_workload("step10", "ring64", 1.0, 0.5),
            ok_workload("step2", "ring8", 1.0, 0.5),
            ok_workload("step2", "ring64", 1.0, 0.5),
        ];
        let b = vec![ok_workload("step2", "ring8", 2.0, 0.5)];
        let merged = merge_workloads([a, b]);
        let order: Vec<(&str, &str)> = merged
            .iter()
            .map(|r| (r.workload.as_str(), r.topology.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("step2", "ring8"),
                ("step2", "ring64"),
                ("step10", "ring64")
            ]
        );
        assert_eq!(merged[0].step_time_us, Some(2.0));
    }

    #[test]
    fn the_table_aligns_its_columns_and_puts_the_reason_last() {
        let rows = [
            ok_workload("dp-step", "ring8", 517.84608, 430.0),
            refused_workload("dp-step", "mesh2x2"),
        ];
        let table = workload_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(
            lines[0].starts_with("workload  topology  world_size  model   status "),
            "{table}"
        );
        assert!(lines[0].ends_with("  events  error"), "{table}");
        assert!(
            lines[1].contains("  517.846080  ") && lines[1].contains("  430.000000  "),
            "{table}"
        );
        assert!(
            lines[2].contains(" unsupported ")
                && lines[2].ends_with("  -  ranks: the workload is written for 8 ranks, but the topology has 4 SIPs (rank = SIP); use a topology of 8 SIPs"),
            "{table}"
        );
        // Every line's step time ends at the same column.
        let end = |line: &str, cell: &str| line.find(cell).map(|i| i + cell.len());
        assert_eq!(end(lines[0], "step_time_us"), end(lines[1], "517.846080"));
        assert_eq!(end(lines[0], "step_time_us"), end(lines[2], " -"));
        // The busiest link is text, left-aligned under its header; its utilisation in %.
        let start = |line: &str, cell: &str| line.find(cell);
        assert_eq!(
            start(lines[0], "busiest_link "),
            start(lines[1], "c0.s0.hub->c0.s1.hub")
        );
        assert!(lines[1].contains("  56.7%  "), "{table}");
    }
}
