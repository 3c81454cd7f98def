//! Chrome/Perfetto timeline traces of one run: when each link was busy, what each rank was
//! doing, and each link's busy percentage as a counter.
//!
//! The output is the Chrome trace event format (`{"traceEvents":[...],"displayTimeUnit":"ns"}`)
//! that ui.perfetto.dev and `chrome://tracing` open. Spans become complete events
//! (`"ph":"X"`) on tracks whose slices never partly overlap (viewers draw only nested or
//! disjoint slices on one track): a track's spans that overlap are spread over lanes, one
//! thread each. Counter events (`"ph":"C"`) give each link's busy percentage per window;
//! metadata events (`"ph":"M"`) name and order the tracks, and say the ring's order.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::ReportError;
use crate::atomic::write_file;
use crate::lanes::lanes;
use crate::units::ps_as_us;
use crate::utilisation::{busy_percent, window_width};

/// Process id of the "links" group of tracks.
const LINKS_PID: u32 = 1;
/// Process id of the "ranks" group of tracks.
const RANKS_PID: u32 = 2;
/// Process id of the "link utilisation" group of counter tracks.
const UTILISATION_PID: u32 = 3;

/// The timeline a span is drawn on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Track {
    /// A directed link, named as the model prints it, e.g. `"c0.s0.hub -> c0.s1.hub"`.
    Link(String),
    /// A rank (one SIP).
    Rank(u32),
}

impl Track {
    /// The track's name in the viewer: the link's name, or `rank 3`.
    fn label(&self) -> String {
        match self {
            Track::Link(name) => name.clone(),
            Track::Rank(rank) => format!("rank {rank}"),
        }
    }
}

/// Something that took time on one track: a link's busy interval, a rank's send.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSpan {
    /// The track it is drawn on.
    pub track: Track,
    /// What it was, e.g. `"send 64KiB r0->r1"`.
    pub name: String,
    /// Its kind, for filtering in the viewer, e.g. `"link"`, `"rank"`.
    pub category: Cow<'static, str>,
    /// Start, in simulated picoseconds.
    pub start_ps: u64,
    /// End, in simulated picoseconds; not before `start_ps`.
    pub end_ps: u64,
    /// Extra key/value pairs shown when the span is selected, written in this order (a key
    /// should appear once).
    pub args: Vec<(Cow<'static, str>, serde_json::Value)>,
}

/// Collects spans and writes them as a Chrome trace.
///
/// Tracks, one thread each:
/// - process 1 "links": one thread per link, in link-name order;
/// - process 2 "ranks": one thread per rank, in the order of the first ring
///   ([`set_ring_orders`](TraceWriter::set_ring_orders)) and then by rank;
/// - process 3 "link utilisation": one counter per link (`busy_pct`), the percentage of each
///   window the link's spans cover, windows of 1, 2 or 5 times a power of ten picoseconds,
///   at most 100 over the trace; a sample where the value changes, and 0 at the end.
///
/// A track whose spans overlap gets more threads, its lanes (`rank 3`, `rank 3 lane 1`, ...):
/// each span goes to the lowest lane free at its start, so no two spans of a thread overlap.
/// Thread ids count from 1 in each process in display order, and `thread_sort_index` is the
/// thread id. Timestamps and durations are microseconds written as exact decimals of the
/// integer picoseconds (`1234567` ps -> `1.234567`), so the output is the same bytes for the
/// same spans. Metadata comes first, then every timed event in (time, process, thread,
/// insertion) order, so times never go back on a track. The whole trace is held in memory
/// until written.
#[derive(Debug, Default, Clone)]
pub struct TraceWriter {
    spans: Vec<TraceSpan>,
    ring_orders: Vec<Vec<u32>>,
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

    /// The ring orders of the run, one per channel (ranks in ring order): rank tracks are
    /// sorted along the first, and all are named in the trace (the "ranks" process's
    /// `process_labels`, and a `ring order` instant event at 0 with an `orders` argument).
    pub fn set_ring_orders(&mut self, orders: Vec<Vec<u32>>) {
        self.ring_orders = orders;
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
        let layout = Layout::of(&self.spans, self.ring_orders.first().map(Vec::as_slice));
        let mut meta: Vec<String> = Vec::new();
        let process = |pid: u32, name: &str, sort: u32, meta: &mut Vec<String>| {
            meta.push(format!(
                r#"{{"ph":"M","name":"process_name","pid":{pid},"tid":0,"ts":0,"args":{{"name":{}}}}}"#,
                json_string(name)
            ));
            meta.push(format!(
                r#"{{"ph":"M","name":"process_sort_index","pid":{pid},"tid":0,"ts":0,"args":{{"sort_index":{sort}}}}}"#
            ));
        };
        let labels = |pid: u32, text: &str, meta: &mut Vec<String>| {
            meta.push(format!(
                r#"{{"ph":"M","name":"process_labels","pid":{pid},"tid":0,"ts":0,"args":{{"labels":{}}}}}"#,
                json_string(text)
            ));
        };
        let threads = |pid: u32, meta: &mut Vec<String>| {
            for thread in layout.threads.iter().filter(|t| t.pid == pid) {
                let tid = thread.tid;
                meta.push(format!(
                    r#"{{"ph":"M","name":"thread_name","pid":{pid},"tid":{tid},"ts":0,"args":{{"name":{}}}}}"#,
                    json_string(&thread.name)
                ));
                meta.push(format!(
                    r#"{{"ph":"M","name":"thread_sort_index","pid":{pid},"tid":{tid},"ts":0,"args":{{"sort_index":{tid}}}}}"#
                ));
            }
        };
        // Shown top to bottom: what the ranks did, how busy the links were, each link's
        // intervals (the most tracks).
        let has = |pid: u32| layout.threads.iter().any(|t| t.pid == pid);
        if has(RANKS_PID) || !self.ring_orders.is_empty() {
            process(RANKS_PID, "ranks", 1, &mut meta);
            if !self.ring_orders.is_empty() {
                let text: Vec<String> = self
                    .ring_orders
                    .iter()
                    .enumerate()
                    .map(|(c, order)| format!("ring order, channel {c}: {}", ranks_text(order)))
                    .collect();
                labels(RANKS_PID, &text.join("; "), &mut meta);
            }
            threads(RANKS_PID, &mut meta);
        }
        let window = window_width(layout.end_ps);
        if has(LINKS_PID) {
            process(UTILISATION_PID, "link utilisation", 2, &mut meta);
            let text = format!(
                "busy_pct: percent of each {} us window a link was busy",
                ps_as_us(window)
            );
            labels(UTILISATION_PID, &text, &mut meta);
            process(LINKS_PID, "links", 3, &mut meta);
            threads(LINKS_PID, &mut meta);
        }

        // Timed events, sorted stably by (time, pid, tid) so that equal keys keep insertion
        // order; spans are written straight from their index (a trace can hold millions).
        let mut timed: Vec<(u64, u32, u32, Timed)> = Vec::new();
        if !self.ring_orders.is_empty() {
            let orders: Vec<String> = self.ring_orders.iter().map(|o| ranks_text(o)).collect();
            timed.push((
                0,
                RANKS_PID,
                0,
                Timed::Text(format!(
                    r#"{{"ph":"i","s":"p","name":"ring order","cat":"ring","pid":{RANKS_PID},"tid":0,"ts":0,"args":{{"channels":{},"orders":{}}}}}"#,
                    orders.len(),
                    json_text(&orders)
                )),
            ));
        }
        for (index, (span, &tid)) in self.spans.iter().zip(&layout.tid_of).enumerate() {
            timed.push((span.start_ps, pid_of(&span.track), tid, Timed::Span(index)));
        }
        for (name, intervals) in &layout.link_intervals {
            let percent = busy_percent(intervals, layout.end_ps, window);
            let sample = |ts: u64, value: u64| {
                let event = format!(
                    r#"{{"ph":"C","name":{},"pid":{UTILISATION_PID},"tid":0,"ts":{},"args":{{"busy_pct":{value}}}}}"#,
                    json_string(name),
                    ps_as_us(ts)
                );
                (ts, UTILISATION_PID, 0, Timed::Text(event))
            };
            let mut last: Option<u64> = None;
            for (k, &value) in percent.iter().enumerate() {
                if last != Some(value) {
                    timed.push(sample(k as u64 * window, value));
                    last = Some(value);
                }
            }
            if last.is_some_and(|v| v != 0) {
                timed.push(sample(layout.end_ps, 0));
            }
        }
        timed.sort_by_key(|(ts, pid, tid, _)| (*ts, *pid, *tid));

        let mut out = String::from("{\"traceEvents\":[\n");
        let mut first = true;
        let mut separate = |out: &mut String| {
            if !first {
                out.push_str(",\n");
            }
            first = false;
        };
        for event in &meta {
            separate(&mut out);
            out.push_str(event);
        }
        for (_, pid, tid, item) in &timed {
            separate(&mut out);
            match item {
                Timed::Text(event) => out.push_str(event),
                Timed::Span(index) => write_span(&mut out, &self.spans[*index], *pid, *tid),
            }
        }
        out.push_str("\n],\"displayTimeUnit\":\"ns\"}\n");
        out
    }

    /// Writes the trace to `path` atomically.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), ReportError> {
        write_file(path.as_ref(), self.to_json().as_bytes())
    }
}

/// A timed event to write: a span, by index, or one already written out.
#[derive(Debug)]
enum Timed {
    Span(usize),
    Text(String),
}

/// Appends `span` as a complete event on thread `tid` of process `pid`.
fn write_span(out: &mut String, span: &TraceSpan, pid: u32, tid: u32) {
    // ok: writing to a String cannot fail.
    let _ = write!(
        out,
        r#"{{"ph":"X","name":{},"cat":{},"pid":{pid},"tid":{tid},"ts":{},"dur":{}"#,
        json_string(&span.name),
        json_string(&span.category),
        ps_as_us(span.start_ps),
        ps_as_us(span.end_ps - span.start_ps),
    );
    if !span.args.is_empty() {
        out.push_str(r#","args":{"#);
        for (i, (key, value)) in span.args.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&json_string(key));
            out.push(':');
            out.push_str(&json_text(value));
        }
        out.push('}');
    }
    out.push('}');
}

/// One thread of the trace: a lane of a track.
#[derive(Debug)]
struct Thread {
    pid: u32,
    tid: u32,
    name: String,
}

/// Where everything goes: each span's thread, the threads in display order, each link's
/// intervals (for its counter) and when the trace ends.
#[derive(Debug)]
struct Layout<'a> {
    /// Thread id of each span, by index.
    tid_of: Vec<u32>,
    threads: Vec<Thread>,
    link_intervals: BTreeMap<&'a str, Vec<(u64, u64)>>,
    end_ps: u64,
}

impl<'a> Layout<'a> {
    fn of(spans: &'a [TraceSpan], ring: Option<&[u32]>) -> Layout<'a> {
        let mut by_track: BTreeMap<&Track, Vec<usize>> = BTreeMap::new();
        for (i, span) in spans.iter().enumerate() {
            by_track.entry(&span.track).or_default().push(i);
        }
        // Each track's spans over its lanes.
        let mut lane_of = vec![0u32; spans.len()];
        let mut lane_count: BTreeMap<&Track, u32> = BTreeMap::new();
        for (track, indices) in &by_track {
            let times: Vec<(u64, u64)> = indices
                .iter()
                .map(|&i| (spans[i].start_ps, spans[i].end_ps))
                .collect();
            let (lanes, count) = lanes(&times);
            for (&i, lane) in indices.iter().zip(lanes) {
                lane_of[i] = lane;
            }
            lane_count.insert(*track, count);
        }
        // Display order: links by name (the BTreeMap's), ranks along the ring, then by rank.
        let position: BTreeMap<u32, usize> = ring
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(p, &r)| (r, p))
            .collect();
        let mut tracks: Vec<&Track> = lane_count.keys().copied().collect();
        tracks.sort_by_key(|track| match track {
            Track::Link(_) => (0, 0, 0),
            Track::Rank(rank) => (1, position.get(rank).copied().unwrap_or(usize::MAX), *rank),
        });
        let mut threads = Vec::new();
        let mut first_tid: BTreeMap<&Track, u32> = BTreeMap::new();
        let mut next = BTreeMap::from([(LINKS_PID, 1u32), (RANKS_PID, 1u32)]);
        for track in tracks {
            let pid = pid_of(track);
            let tid = next.entry(pid).or_insert(1);
            first_tid.insert(track, *tid);
            let label = track.label();
            for lane in 0..lane_count.get(track).copied().unwrap_or(0) {
                let name = if lane == 0 {
                    label.clone()
                } else {
                    format!("{label} lane {lane}")
                };
                threads.push(Thread {
                    pid,
                    tid: *tid,
                    name,
                });
                *tid += 1;
            }
        }
        let tid_of = spans
            .iter()
            .zip(&lane_of)
            // ok: every span's track was given its first thread above.
            .map(|(s, lane)| first_tid.get(&s.track).copied().unwrap_or(0) + lane)
            .collect();
        let mut link_intervals: BTreeMap<&str, Vec<(u64, u64)>> = BTreeMap::new();
        for span in spans {
            if let Track::Link(name) = &span.track {
                link_intervals
                    .entry(name.as_str())
                    .or_default()
                    .push((span.start_ps, span.end_ps));
            }
        }
        Layout {
            tid_of,
            threads,
            link_intervals,
            end_ps: spans.iter().map(|s| s.end_ps).max().unwrap_or(0),
        }
    }
}

fn pid_of(track: &Track) -> u32 {
    match track {
        Track::Link(_) => LINKS_PID,
        Track::Rank(_) => RANKS_PID,
    }
}

/// Ranks separated by spaces: `0 1 3 2`.
fn ranks_text(order: &[u32]) -> String {
    order
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A JSON string literal, escaped by serde_json.
fn json_string(text: &str) -> String {
    // ok: serialising a &str to JSON cannot fail.
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

/// A value as compact JSON text.
fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> String {
    // ok: what is written here (string lists, JSON values) has string keys only, so
    // serialising it cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn span(track: Track, name: &str, start_ps: u64, end_ps: u64) -> TraceSpan {
        TraceSpan {
            track,
            name: name.into(),
            category: "link".into(),
            start_ps,
            end_ps,
            args: Vec::new(),
        }
    }

    fn link(name: &str) -> Track {
        Track::Link(name.into())
    }

    /// Two links, busy 1-2 us and 2-3.5 us; rank 3 reducing from 0; rank 1 sending twice at
    /// once; the ring 3 -> 1 (and back).
    fn sample() -> TraceWriter {
        let mut trace = TraceWriter::new();
        let mut send = span(
            link("c0.s1.hub -> c0.s0.hub"),
            "pkt 1",
            2_000_000,
            3_500_001,
        );
        send.args.push(("bytes".into(), json!(4096)));
        send.args.push(("flows".into(), json!(["r1->r0 \"x\""])));
        trace.push(send).unwrap();
        trace
            .push(span(
                link("c0.s0.hub -> c0.s1.hub"),
                "pkt 0",
                1_000_000,
                2_000_000,
            ))
            .unwrap();
        trace
            .push(span(Track::Rank(3), "reduce", 0, 1_234_567))
            .unwrap();
        trace
            .push(span(Track::Rank(1), "send a", 100, 900))
            .unwrap();
        trace
            .push(span(Track::Rank(1), "send b", 500, 1_500))
            .unwrap();
        trace.set_ring_orders(vec![vec![3, 1], vec![1, 3]]);
        trace
    }

    fn events(trace: &TraceWriter) -> Vec<Value> {
        let json: Value = serde_json::from_str(&trace.to_json()).unwrap();
        assert_eq!(json["displayTimeUnit"], "ns");
        json["traceEvents"].as_array().unwrap().clone()
    }

    #[test]
    fn tracks_are_named_and_sorted_ranks_along_the_ring_then_links() {
        let events = events(&sample());
        let meta: Vec<(String, u64, u64, String)> = events
            .iter()
            .filter(|e| e["ph"] == "M")
            .map(|e| {
                let value = e["args"]
                    .as_object()
                    .and_then(|a| a.values().next())
                    .unwrap();
                (
                    e["name"].as_str().unwrap().to_string(),
                    e["pid"].as_u64().unwrap(),
                    e["tid"].as_u64().unwrap(),
                    value.to_string().trim_matches('"').to_string(),
                )
            })
            .collect();
        let meta: Vec<(&str, u64, u64, &str)> = meta
            .iter()
            .map(|(a, b, c, d)| (a.as_str(), *b, *c, d.as_str()))
            .collect();
        assert_eq!(
            meta,
            [
                ("process_name", 2, 0, "ranks"),
                ("process_sort_index", 2, 0, "1"),
                (
                    "process_labels",
                    2,
                    0,
                    "ring order, channel 0: 3 1; ring order, channel 1: 1 3"
                ),
                // Rank 3 first: it comes first on the ring.
                ("thread_name", 2, 1, "rank 3"),
                ("thread_sort_index", 2, 1, "1"),
                ("thread_name", 2, 2, "rank 1"),
                ("thread_sort_index", 2, 2, "2"),
                ("thread_name", 2, 3, "rank 1 lane 1"),
                ("thread_sort_index", 2, 3, "3"),
                ("process_name", 3, 0, "link utilisation"),
                ("process_sort_index", 3, 0, "2"),
                (
                    "process_labels",
                    3,
                    0,
                    "busy_pct: percent of each 0.05 us window a link was busy"
                ),
                ("process_name", 1, 0, "links"),
                ("process_sort_index", 1, 0, "3"),
                ("thread_name", 1, 1, "c0.s0.hub -> c0.s1.hub"),
                ("thread_sort_index", 1, 1, "1"),
                ("thread_name", 1, 2, "c0.s1.hub -> c0.s0.hub"),
                ("thread_sort_index", 1, 2, "2"),
            ]
        );
        let ring: Vec<&Value> = events.iter().filter(|e| e["ph"] == "i").collect();
        assert_eq!(ring.len(), 1);
        assert_eq!(ring[0]["name"], "ring order");
        assert_eq!(ring[0]["s"], "p");
        assert_eq!(
            ring[0]["args"],
            json!({"channels": 2, "orders": ["3 1", "1 3"]})
        );
    }

    #[test]
    fn spans_become_complete_events_in_time_order_with_their_args() {
        let events = events(&sample());
        let complete: Vec<(&str, u64, u64, f64, f64)> = events
            .iter()
            .filter(|e| e["ph"] == "X")
            .map(|e| {
                (
                    e["name"].as_str().unwrap(),
                    e["pid"].as_u64().unwrap(),
                    e["tid"].as_u64().unwrap(),
                    e["ts"].as_f64().unwrap(),
                    e["dur"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            complete,
            [
                ("reduce", 2, 1, 0.0, 1.234567),
                ("send a", 2, 2, 0.0001, 0.0008),
                // It starts while "send a" runs: the next lane.
                ("send b", 2, 3, 0.0005, 0.001),
                ("pkt 0", 1, 1, 1.0, 1.0),
                ("pkt 1", 1, 2, 2.0, 1.500001),
            ]
        );
        let pkt1 = events.iter().find(|e| e["name"] == "pkt 1").unwrap();
        assert_eq!(pkt1["cat"], "link");
        assert_eq!(
            pkt1["args"],
            json!({"bytes": 4096, "flows": ["r1->r0 \"x\""]})
        );
    }

    #[test]
    fn each_link_has_a_counter_of_its_busy_percent_per_window_sampled_where_it_changes() {
        // The trace ends at 3.500001 us: 71 windows of 0.05 us. Link 0 is busy from 1 to
        // 2 us (windows 20 to 39), link 1 from 2 to 3.500001 us (windows 40 to 70; the last
        // one is [3.5, 3.500001) and busy all of it).
        let events = events(&sample());
        let counters: Vec<(&str, f64, u64)> = events
            .iter()
            .filter(|e| e["ph"] == "C")
            .map(|e| {
                assert_eq!((e["pid"].as_u64(), e["tid"].as_u64()), (Some(3), Some(0)));
                (
                    e["name"].as_str().unwrap(),
                    e["ts"].as_f64().unwrap(),
                    e["args"]["busy_pct"].as_u64().unwrap(),
                )
            })
            .collect();
        let (a, b) = ("c0.s0.hub -> c0.s1.hub", "c0.s1.hub -> c0.s0.hub");
        assert_eq!(
            counters,
            [
                (a, 0.0, 0),
                (b, 0.0, 0),
                (a, 1.0, 100),
                (a, 2.0, 0),
                (b, 2.0, 100),
                (b, 3.500001, 0),
            ]
        );
    }

    #[test]
    fn no_two_spans_of_a_thread_overlap_and_times_never_go_back() {
        let mut trace = TraceWriter::new();
        for (i, (start, end)) in [(0, 10), (2, 4), (3, 8), (4, 6), (9, 12), (10, 11)]
            .into_iter()
            .enumerate()
        {
            let s = span(Track::Rank(0), &format!("s{i}"), start * 1000, end * 1000);
            trace.push(s).unwrap();
        }
        let events = events(&trace);
        let mut last: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        for e in events.iter().filter(|e| e["ph"] == "X") {
            let (tid, ts, dur) = (
                e["tid"].as_u64().unwrap(),
                e["ts"].as_f64().unwrap(),
                e["dur"].as_f64().unwrap(),
            );
            if let Some((previous, end)) = last.get(&tid) {
                assert!(
                    ts >= *previous && ts >= *end,
                    "{e} overlaps on thread {tid}"
                );
            }
            last.insert(tid, (ts, ts + dur));
        }
        assert_eq!(last.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
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
        assert!(events(&TraceWriter::new()).is_empty());
    }
}
