//! Chrome/Perfetto timeline traces of one run: one track per link and one per rank.
//!
//! The output is the Chrome trace event format (`{"traceEvents":[...],"displayTimeUnit":"ns"}`)
//! that ui.perfetto.dev and `chrome://tracing` open. Spans become complete events
//! (`"ph":"X"`); process and thread name metadata events (`"ph":"M"`) give the tracks
//! readable names.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::ReportError;
use crate::atomic::write_file;
use crate::units::ps_as_us;

/// Process id of the "links" group of tracks.
const LINKS_PID: u32 = 1;
/// Process id of the "ranks" group of tracks.
const RANKS_PID: u32 = 2;

/// The timeline a span is drawn on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Track {
    /// A directed link, named as the model prints it, e.g. `"c0.s0.hub->c0.s1.hub"`.
    Link(String),
    /// A rank (one SIP).
    Rank(u32),
}

/// Something that took time on one track: a packet on a link, a reduction on a rank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceSpan {
    /// The track it is drawn on.
    pub track: Track,
    /// What it was, e.g. `"send 64KiB r0->r1"`.
    pub name: String,
    /// Its kind, for filtering in the viewer, e.g. `"transfer"`, `"reduce"`, `"wait"`.
    pub category: String,
    /// Start, in simulated picoseconds.
    pub start_ps: u64,
    /// End, in simulated picoseconds; not before `start_ps`.
    pub end_ps: u64,
    /// Extra key/value pairs shown when the span is selected.
    pub args: BTreeMap<String, String>,
}

/// Collects spans and writes them as a Chrome trace.
///
/// Tracks: process 1 "links" holds one thread per link, numbered from 1 in link-name order;
/// process 2 "ranks" holds one thread per rank, thread id = rank. Timestamps and durations are
/// microseconds written as exact decimals of the integer picoseconds (`1234567` ps ->
/// `1.234567`), so the output is the same bytes for the same spans. Events are written in
/// (start, track, insertion) order. The whole trace is held in memory until written.
#[derive(Debug, Default, Clone)]
pub struct TraceWriter {
    spans: Vec<TraceSpan>,
}

impl TraceWriter {
    /// An empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one span.
    ///
    /// # Errors
    /// [`ReportError::TraceSpanReversed`] when it ends before it starts.
    pub fn push(&mut self, span: TraceSpan) -> Result<(), ReportError> {
        if span.end_ps < span.start_ps {
            return Err(ReportError::TraceSpanReversed {
                name: span.name,
                start_ps: span.start_ps,
                end_ps: span.end_ps,
            });
        }
        self.spans.push(span);
        Ok(())
    }

    /// Number of spans collected.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether no span was collected.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The trace as JSON text.
    pub fn to_json(&self) -> String {
        let links: BTreeSet<&str> = self
            .spans
            .iter()
            .filter_map(|s| match &s.track {
                Track::Link(name) => Some(name.as_str()),
                Track::Rank(_) => None,
            })
            .collect();
        let ranks: BTreeSet<u32> = self
            .spans
            .iter()
            .filter_map(|s| match s.track {
                Track::Rank(rank) => Some(rank),
                Track::Link(_) => None,
            })
            .collect();
        let link_tid: BTreeMap<&str, u32> = links
            .iter()
            .zip(1u32..)
            .map(|(name, tid)| (*name, tid))
            .collect();

        let mut events: Vec<String> = Vec::new();
        let process = |pid: u32, name: &str, sort: u32, events: &mut Vec<String>| {
            events.push(format!(
                r#"{{"ph":"M","name":"process_name","pid":{pid},"tid":0,"args":{{"name":{}}}}}"#,
                json_string(name)
            ));
            events.push(format!(
                r#"{{"ph":"M","name":"process_sort_index","pid":{pid},"tid":0,"args":{{"sort_index":{sort}}}}}"#
            ));
        };
        let thread = |pid: u32, tid: u32, name: &str, events: &mut Vec<String>| {
            events.push(format!(
                r#"{{"ph":"M","name":"thread_name","pid":{pid},"tid":{tid},"args":{{"name":{}}}}}"#,
                json_string(name)
            ));
            events.push(format!(
                r#"{{"ph":"M","name":"thread_sort_index","pid":{pid},"tid":{tid},"args":{{"sort_index":{tid}}}}}"#
            ));
        };
        if !links.is_empty() {
            process(LINKS_PID, "links", LINKS_PID, &mut events);
            for (name, tid) in &link_tid {
                thread(LINKS_PID, *tid, name, &mut events);
            }
        }
        if !ranks.is_empty() {
            process(RANKS_PID, "ranks", RANKS_PID, &mut events);
            for rank in &ranks {
                thread(RANKS_PID, *rank, &format!("rank {rank}"), &mut events);
            }
        }

        let mut order: Vec<usize> = (0..self.spans.len()).collect();
        // Stable: equal (start, track) keep insertion order.
        order.sort_by(|a, b| {
            let (a, b) = (&self.spans[*a], &self.spans[*b]);
            (a.start_ps, &a.track).cmp(&(b.start_ps, &b.track))
        });
        for index in order {
            let span = &self.spans[index];
            let (pid, tid) = match &span.track {
                // ok: every link name was collected into link_tid above.
                Track::Link(name) => (LINKS_PID, link_tid.get(name.as_str()).copied().unwrap_or(0)),
                Track::Rank(rank) => (RANKS_PID, *rank),
            };
            let mut event = format!(
                r#"{{"ph":"X","name":{},"cat":{},"pid":{pid},"tid":{tid},"ts":{},"dur":{}"#,
                json_string(&span.name),
                json_string(&span.category),
                ps_as_us(span.start_ps),
                ps_as_us(span.end_ps - span.start_ps),
            );
            if !span.args.is_empty() {
                event.push_str(r#","args":{"#);
                for (i, (key, value)) in span.args.iter().enumerate() {
                    let comma = if i == 0 { "" } else { "," };
                    let _ = write!(event, "{comma}{}:{}", json_string(key), json_string(value));
                }
                event.push('}');
            }
            event.push('}');
            events.push(event);
        }

        let mut out = String::from("{\"traceEvents\":[\n");
        out.push_str(&events.join(",\n"));
        out.push_str("\n],\"displayTimeUnit\":\"ns\"}\n");
        out
    }

    /// Writes the trace to `path` atomically.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), ReportError> {
        write_file(path.as_ref(), self.to_json().as_bytes())
    }
}

/// A JSON string literal, escaped by serde_json.
fn json_string(text: &str) -> String {
    // ok: serialising a &str to JSON cannot fail.
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn span(track: Track, name: &str, start_ps: u64, end_ps: u64) -> TraceSpan {
        TraceSpan {
            track,
            name: name.into(),
            category: "transfer".into(),
            start_ps,
            end_ps,
            args: BTreeMap::new(),
        }
    }

    fn sample() -> TraceWriter {
        let mut trace = TraceWriter::new();
        let mut send = span(
            Track::Link("c0.s1.hub->c0.s0.hub".into()),
            "pkt 1",
            2_000_000,
            3_500_001,
        );
        send.args.insert("bytes".into(), "4096".into());
        send.args.insert("flow".into(), "r1->r0 \"x\"".into());
        trace.push(send).unwrap();
        trace
            .push(span(
                Track::Link("c0.s0.hub->c0.s1.hub".into()),
                "pkt 0",
                1_000_000,
                2_000_000,
            ))
            .unwrap();
        trace
            .push(span(Track::Rank(3), "reduce", 0, 1_234_567))
            .unwrap();
        trace
    }

    #[test]
    fn trace_parses_as_json_with_named_tracks_and_microsecond_times() {
        let json: Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(json["displayTimeUnit"], "ns");
        let events = json["traceEvents"].as_array().unwrap();

        let names: Vec<(&str, u64, u64, &str)> = events
            .iter()
            .filter(|e| {
                e["ph"] == "M" && (e["name"] == "thread_name" || e["name"] == "process_name")
            })
            .map(|e| {
                (
                    e["name"].as_str().unwrap(),
                    e["pid"].as_u64().unwrap(),
                    e["tid"].as_u64().unwrap(),
                    e["args"]["name"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("process_name", 1, 0, "links"),
                ("thread_name", 1, 1, "c0.s0.hub->c0.s1.hub"),
                ("thread_name", 1, 2, "c0.s1.hub->c0.s0.hub"),
                ("process_name", 2, 0, "ranks"),
                ("thread_name", 2, 3, "rank 3"),
            ]
        );

        let complete: Vec<&Value> = events.iter().filter(|e| e["ph"] == "X").collect();
        assert_eq!(complete.len(), 3);
        assert_eq!(complete[0]["name"], "reduce");
        assert_eq!(
            (complete[0]["pid"].as_u64(), complete[0]["tid"].as_u64()),
            (Some(2), Some(3))
        );
        assert_eq!(complete[0]["ts"].as_f64(), Some(0.0));
        assert_eq!(complete[0]["dur"].as_f64(), Some(1.234567));
        assert_eq!(complete[1]["name"], "pkt 0");
        assert_eq!(complete[1]["tid"].as_u64(), Some(1));
        assert_eq!(complete[2]["cat"], "transfer");
        assert_eq!(complete[2]["args"]["flow"], "r1->r0 \"x\"");
    }

    #[test]
    fn timestamps_are_exact_decimals_of_picoseconds() {
        let text = sample().to_json();
        assert!(text.contains(r#""ts":2,"dur":1.500001"#), "{text}");
        assert!(text.contains(r#""ts":0,"dur":1.234567"#), "{text}");
    }

    #[test]
    fn a_reversed_span_is_refused() {
        let mut trace = TraceWriter::new();
        let err = trace.push(span(Track::Rank(0), "bad", 10, 5)).unwrap_err();
        assert!(err.to_string().contains("end >= start"), "{err}");
        assert!(trace.is_empty());
    }

    #[test]
    fn the_same_spans_give_the_same_bytes_and_a_written_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.json");
        sample().write(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), sample().to_json());
    }

    #[test]
    fn an_empty_trace_is_still_valid_json() {
        let json: Value = serde_json::from_str(&TraceWriter::new().to_json()).unwrap();
        assert_eq!(json["traceEvents"].as_array().unwrap().len(), 0);
    }
}
