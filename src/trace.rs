//! Chrome/Perfetto timelines of a run, as `run --trace` and `diagnose --trace` write them.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use kernbench_engine::SimTime;
use kernbench_model::{LinkBusy, Topology, TraceRecord, TraceTrack};
use kernbench_reports::{TraceSpan, TraceWriter, Track};
use petgraph::graph::EdgeIndex;

use crate::Failure;

/// What a timeline is drawn from: the links' busy intervals, the machine's records (of which
/// the ranks' are drawn), the ring's order of each channel (empty for other algorithms), and
/// more spans (a diagnosis's blocked waits).
pub(crate) struct Timeline<'a> {
    pub(crate) link_busy: &'a [LinkBusy],
    pub(crate) records: &'a [TraceRecord],
    pub(crate) rings: &'a [Arc<[u32]>],
    pub(crate) more: Vec<TraceSpan>,
}

/// Writes `timeline` as a Chrome/Perfetto trace: each link's busy intervals (named by the
/// flow they carried, or how many), each rank's sends and receives, the rings' orders, and
/// the extra spans.
pub(crate) fn write_trace(
    path: &Path,
    topology: &Topology,
    timeline: Timeline<'_>,
) -> Result<(), Failure> {
    let mut writer = TraceWriter::new();
    for busy in timeline.link_busy {
        let edge = EdgeIndex::new(busy.edge as usize);
        let link = match topology.link_ends(edge) {
            Some((a, b)) => format!("{} -> {}", topology.node(a), topology.node(b)),
            None => format!("link {}", edge.index()),
        };
        let name = match busy.flows.as_slice() {
            [one] => format!("{} -> {}", one.from, one.to),
            many => format!("{} flows", many.len()),
        };
        let flows: Vec<String> = busy
            .flows
            .iter()
            .map(|f| {
                let packets = if f.packets == 1 { "packet" } else { "packets" };
                format!(
                    "{} -> {}: {} B in {} {packets}",
                    f.from, f.to, f.bytes, f.packets
                )
            })
            .collect();
        let args = vec![
            ("bytes".into(), serde_json::json!(busy.bytes)),
            ("packets".into(), serde_json::json!(busy.packets)),
            ("flows".into(), serde_json::json!(flows)),
        ];
        push(
            &mut writer,
            Track::Link(link),
            name,
            "link",
            (busy.start, busy.end),
            args,
        )?;
    }
    // The per-transfer link records are a transfer's whole time on a link, not the link's
    // busy time: the link tracks above show that.
    for record in timeline.records {
        if let TraceTrack::Rank(rank) = record.track {
            let args = vec![("bytes".into(), serde_json::json!(record.bytes))];
            push(
                &mut writer,
                Track::Rank(rank),
                record.name.to_string(),
                "rank",
                (record.start, record.end),
                args,
            )?;
        }
    }
    for span in timeline.more {
        writer
            .push(span)
            .map_err(|e| Failure::Internal(e.to_string()))?;
    }
    writer.set_ring_orders(timeline.rings.iter().map(|o| o.to_vec()).collect());
    writer
        .write(path)
        .map_err(|e| Failure::BadInput(format!("--trace: {e}")))
}

/// Adds one span to `writer`; a span that ends before it starts is a bug in the model.
fn push(
    writer: &mut TraceWriter,
    track: Track,
    name: String,
    category: &'static str,
    (start, end): (SimTime, SimTime),
    args: Vec<(Cow<'static, str>, serde_json::Value)>,
) -> Result<(), Failure> {
    writer
        .push(TraceSpan {
            track,
            name,
            category: category.into(),
            start_ps: start.as_ps(),
            end_ps: end.as_ps(),
            args,
        })
        .map_err(|e| Failure::Internal(e.to_string()))
}
