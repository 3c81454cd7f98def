//! One result record: the row a sweep writes for a point and `kernbench run --json` prints,
//! built from a [`RunReport`] in one place so that both carry the same fields and digits.

use kernbench_algorithms::{Groups, RunReport};
use kernbench_reports::{ResultRow, RowKey};
use serde::Serialize;

/// The identity of the point `report` answers.
pub(crate) fn key_of_report(report: &RunReport) -> RowKey {
    RowKey {
        topology: report.topology.clone(),
        collective: report.collective.to_string(),
        memory: report.memory.to_string(),
        algorithm: report.algorithm.clone(),
        bytes: report.bytes.0,
        world_size: report.world_size,
        channels: report.channels.to_string(),
        chunk_bytes: report.chunk.0,
        group_size: report.groups.size(report.world_size),
        group_stride: group_stride(report.groups),
        model: report.network.to_string(),
    }
}

/// The `group_stride` column of a split: 1 for the whole world, as for consecutive ranks.
pub(crate) fn group_stride(groups: Groups) -> u32 {
    match groups {
        Groups::Split { stride, .. } => stride,
        Groups::World => 1,
    }
}

/// Fills `row`'s measurements from a run that completed.
pub(crate) fn fill(row: &mut ResultRow, report: &RunReport) {
    row.time_ns = Some(report.time_ns());
    row.algbw_gbps = Some(report.algbw_gbps);
    row.busbw_gbps = Some(report.busbw_gbps);
    row.bound_gbps = report.bound_gbps;
    row.efficiency = report.efficiency();
    // `None` when not checked: "false" would read as "checked and wrong".
    row.verified = report.verified;
    row.events = Some(report.events);
}

/// What `run --json` prints: the sweep's row (its `group_size` and `group_stride` say how
/// the ranks were split), plus what only a single run has.
#[derive(Serialize)]
pub(crate) struct RunJson {
    #[serde(flatten)]
    row: ResultRow,
    /// The exact simulated time, in picoseconds.
    time_ps: u64,
    /// The ring's order (ranks), for the ring algorithm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ring_order: Option<Vec<u32>>,
}

impl RunJson {
    /// The record of a run that completed.
    pub(crate) fn of(report: &RunReport) -> RunJson {
        let mut row = ResultRow::for_point(key_of_report(report));
        fill(&mut row, report);
        RunJson {
            row,
            time_ps: report.time.as_ps(),
            ring_order: None,
        }
    }
}
