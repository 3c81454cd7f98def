//! Chrome/Perfetto timelines of a run, as `run --trace` and `diagnose --trace` write them.

use std::collections::BTreeMap;
use std::path::Path;

use kernbench_model::{Topology, TraceRecord, TraceTrack};
use kernbench_reports::{TraceSpan, TraceWriter, Track};
use petgraph::graph::EdgeIndex;

use crate::Failure;

/// Writes a run's timeline as a Chrome/Perfetto trace: a track per link (named by its ends)
/// and a track per rank, from the machine's `records`, then the spans of `more` (a
/// diagnosis's blocked waits).
pub(crate) fn write_trace(
    path: &Path,
    topology: &Topology,
    records: &[TraceRecord],
    more: Vec<TraceSpan>,
) -> Result<(), Failure> {
    let mut writer = TraceWriter::new();
    for record in records {
        let (track, category) = match record.track {
            TraceTrack::Link(edge) => {
                let edge = EdgeIndex::new(edge as usize);
                let name = match topology.link_ends(edge) {
                    Some((a, b)) => format!("{} -> {}", topology.node(a), topology.node(b)),
                    None => format!("link {}", edge.index()),
                };
                (Track::Link(name), "transfer")
            }
            TraceTrack::Rank(rank) => (Track::Rank(rank), "rank"),
        };
        let mut args = BTreeMap::new();
        args.insert("bytes".to_string(), record.bytes.to_string());
        writer
            .push(TraceSpan {
                track,
                name: record.name.to_string(),
                category: category.to_string(),
                start_ps: record.start.as_ps(),
                end_ps: record.end.as_ps(),
                args,
            })
            .map_err(|e| Failure::Internal(e.to_string()))?;
    }
    for span in more {
        writer
            .push(span)
            .map_err(|e| Failure::Internal(e.to_string()))?;
    }
    writer
        .write(path)
        .map_err(|e| Failure::BadInput(format!("--trace: {e}")))
}
