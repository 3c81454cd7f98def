//! End-to-end tests of `kernbench run --trace`: on every bundled topology the trace is one
//! Perfetto draws right (every event complete, times in order on each track, no two slices
//! of a track partly overlapping), each link's busy time in it is the link's busy counter,
//! and it names the ring's order and sorts the rank tracks along it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{kernbench, stderr, stdout};

/// Every bundled topology file (`topologies/*.ron`, not sweeps), by path from the root.
fn bundled_topologies() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".ron") && !name.ends_with(".sweep.ron"))
        .map(|name| format!("topologies/{name}"))
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    names
}

/// A path for trace test file `name` under target/tmp (see `common::scratch`).
fn temp_path(name: &str) -> PathBuf {
    crate::common::scratch(&format!("trace-{name}"))
}

/// Runs `kernbench run --json --trace` with `args`; returns the JSON record, the trace text
/// and its events.
fn traced_run(name: &str, args: &[&str]) -> (Value, String, Vec<Value>) {
    let path = temp_path(&format!("{name}.json"));
    let mut all = vec!["run", "--json", "--trace", path.to_str().unwrap_or("")];
    all.extend_from_slice(args);
    let out = kernbench(&all);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    let record: Value = serde_json::from_str(stdout(&out).trim()).expect("run --json is JSON");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("no trace: {e}"));
    let _ = std::fs::remove_file(&path);
    let json: Value = serde_json::from_str(&text).expect("the trace is JSON");
    assert_eq!(json["displayTimeUnit"], "ns");
    let events = json["traceEvents"].as_array().expect("traceEvents").clone();
    (record, text, events)
}

/// Microseconds as written in the trace (exact decimals of picoseconds) back to picoseconds.
fn ps(us: &Value) -> u64 {
    let us = us
        .as_f64()
        .unwrap_or_else(|| panic!("{us} is not a number"));
    (us * 1e6).round() as u64
}

/// The names of the threads of process `pid`, by thread id.
fn thread_names(events: &[Value], pid: u64) -> BTreeMap<u64, String> {
    events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name" && e["pid"] == pid)
        .map(|e| {
            let tid = e["tid"].as_u64().expect("a thread id");
            let name = e["args"]["name"].as_str().expect("a thread name");
            (tid, name.to_string())
        })
        .collect()
}

/// Checks what Perfetto needs of every event and every track; returns each track's
/// `(start, end)` slices in picoseconds, by (pid, tid).
fn check_drawable(topology: &str, events: &[Value]) -> BTreeMap<(u64, u64), Vec<(u64, u64)>> {
    let mut last_ts: BTreeMap<(u64, u64, String), u64> = BTreeMap::new();
    let mut slices: BTreeMap<(u64, u64), Vec<(u64, u64)>> = BTreeMap::new();
    for event in events {
        for field in ["name", "ph", "ts", "pid", "tid"] {
            assert!(
                !event[field].is_null(),
                "{topology}: {event} has no {field}"
            );
        }
        let ph = event["ph"].as_str().expect("ph is a string");
        assert!(["M", "X", "C", "i"].contains(&ph), "{topology}: {event}");
        let (pid, tid) = (
            event["pid"].as_u64().expect("pid"),
            event["tid"].as_u64().expect("tid"),
        );
        let ts = ps(&event["ts"]);
        // A counter track is a (process, name) pair; other tracks are threads.
        let track = match ph {
            "C" => (pid, tid, event["name"].as_str().unwrap_or("").to_string()),
            _ => (pid, tid, String::new()),
        };
        let previous = last_ts.insert(track, ts).unwrap_or(0);
        assert!(ts >= previous, "{topology}: {event} goes back in time");
        if ph == "X" {
            assert!(event["dur"].is_number(), "{topology}: {event} has no dur");
            slices
                .entry((pid, tid))
                .or_default()
                .push((ts, ts + ps(&event["dur"])));
        }
    }
    // Slices of a track nest or are disjoint; never does one end inside another it began in.
    for ((pid, tid), spans) in &slices {
        let mut sorted = spans.clone();
        sorted.sort_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
        let mut open: Vec<u64> = Vec::new();
        for (start, end) in sorted {
            while open.last().is_some_and(|&e| e <= start) {
                open.pop();
            }
            if let Some(&outer) = open.last() {
                assert!(
                    end <= outer,
                    "{topology}: on pid {pid} tid {tid}, [{start}, {end}) ps partly overlaps a slice ending at {outer} ps"
                );
            }
            open.push(end);
        }
    }
    slices
}

/// Per-link counters of one sweep point per topology (1 MiB ring all-reduce in HBM), from
/// the sweep's `links.jsonl`: `(busy_ns, bytes_carried)` by topology name and link.
fn link_usage_from_a_sweep(topologies: &[String]) -> BTreeMap<(String, String), (f64, u64)> {
    let dir = temp_path("sweep");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let list: Vec<String> = topologies
        .iter()
        .map(|t| format!("{:?}", root.join(t).display().to_string()))
        .collect();
    let file = dir.join("trace.sweep.ron");
    let text = format!(
        "Sweep(name: \"trace\", topologies: [{}], algorithms: [\"ring\"], sizes: List([\"1MiB\"]), memories: [\"hbm\"])",
        list.join(", ")
    );
    std::fs::write(&file, text).expect("write the sweep");
    let out_dir = dir.join("out");
    let out = kernbench(&[
        "sweep",
        file.to_str().unwrap_or(""),
        "--out",
        out_dir.to_str().unwrap_or(""),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let jsonl = std::fs::read_to_string(out_dir.join("links.jsonl")).expect("links.jsonl");
    let _ = std::fs::remove_dir_all(&dir);
    jsonl
        .lines()
        .map(|line| {
            let row: Value = serde_json::from_str(line).expect("a JSON line");
            let key = (
                row["topology"].as_str().expect("topology").to_string(),
                row["link"].as_str().expect("link").to_string(),
            );
            let busy = row["busy_ns"].as_f64().expect("busy_ns");
            (key, (busy, row["bytes_carried"].as_u64().expect("bytes")))
        })
        .collect()
}

#[test]
fn every_bundled_topology_gives_a_trace_whose_link_tracks_are_the_links_busy_time() {
    let topologies = bundled_topologies();
    let usage = link_usage_from_a_sweep(&topologies);
    for topology in &topologies {
        let (record, _, events) = traced_run(
            topology.trim_start_matches("topologies/"),
            &["--topology", topology, "--size", "1MiB"],
        );
        let slices = check_drawable(topology, &events);
        let name = record["topology"].as_str().expect("a topology name");
        // Link tracks (process 1, one lane each): busy time and bytes, link by link.
        let mut traced: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (tid, link) in thread_names(&events, 1) {
            assert!(
                !link.contains(" lane "),
                "{topology}: link {link} has a second lane"
            );
            let busy: u64 = slices[&(1, tid)].iter().map(|(s, e)| e - s).sum();
            let bytes: u64 = events
                .iter()
                .filter(|e| e["ph"] == "X" && e["pid"] == 1 && e["tid"] == tid)
                .map(|e| e["args"]["bytes"].as_u64().expect("bytes"))
                .sum();
            // `FROM -> TO` in traces, `FROM->TO` in links.jsonl.
            traced.insert(link.replace(" -> ", "->"), (busy, bytes));
        }
        let counted: BTreeMap<String, (f64, u64)> = usage
            .iter()
            .filter(|((t, _), _)| t == name)
            .map(|((_, link), figures)| (link.clone(), *figures))
            .collect();
        assert_eq!(
            traced.keys().collect::<Vec<_>>(),
            counted.keys().collect::<Vec<_>>(),
            "{topology}: the traced links are the links that carried bytes"
        );
        for (link, (busy_ps, bytes)) in &traced {
            let (busy_ns, carried) = counted[link];
            // The counter is printed as `ps / 1e3`: the same division gives the same float
            // exactly when the picoseconds agree.
            assert_eq!(
                *busy_ps as f64 / 1e3,
                busy_ns,
                "{topology}: busy time on {link}"
            );
            assert_eq!(*bytes, carried, "{topology}: bytes on {link}");
        }
    }
}

#[test]
fn each_link_has_a_busy_percent_counter_sampled_only_where_it_changes() {
    let (record, _, events) = traced_run(
        "counters",
        &["--topology", "topologies/ring8.ron", "--size", "1MiB"],
    );
    let end = record["time_ps"].as_u64().expect("time_ps");
    let links: Vec<String> = thread_names(&events, 1).into_values().collect();
    let mut samples: BTreeMap<&str, Vec<(u64, u64)>> = BTreeMap::new();
    for e in events.iter().filter(|e| e["ph"] == "C") {
        assert_eq!(e["pid"], 3, "{e}");
        let value = e["args"]["busy_pct"].as_u64().expect("busy_pct");
        assert!(value <= 100, "{e}");
        samples
            .entry(e["name"].as_str().expect("a name"))
            .or_default()
            .push((ps(&e["ts"]), value));
    }
    assert_eq!(
        samples.keys().copied().collect::<Vec<_>>(),
        links.iter().map(String::as_str).collect::<Vec<_>>(),
        "one counter per link track"
    );
    // 1 MiB on ring8 runs 22.0528 us: windows of 0.5 us, 45 of them.
    assert_eq!(end, 22_052_800, "{record}");
    let label = events
        .iter()
        .find(|e| e["ph"] == "M" && e["name"] == "process_labels" && e["pid"] == 3)
        .expect("the counters' label");
    assert_eq!(
        label["args"]["labels"],
        "busy_pct: percent of each 0.5 us window a link was busy"
    );
    for (link, series) in &samples {
        assert_eq!(series[0].0, 0, "{link} starts at 0");
        assert!(series.len() <= 46, "{link}: {} samples", series.len());
        for pair in series.windows(2) {
            assert_ne!(
                pair[0].1, pair[1].1,
                "{link}: a sample that changes nothing"
            );
        }
        let (last_ts, last) = series[series.len() - 1];
        assert_eq!(last, 0, "{link} ends idle");
        assert!(last_ts <= end && (last_ts % 500_000 == 0 || last_ts == end));
    }
    // The SIP links carry a ring each way all run long: busy most of the early windows.
    let busiest = samples["c0.s0.hub -> c0.s1.hub"]
        .iter()
        .map(|(_, v)| *v)
        .max();
    assert_eq!(busiest, Some(100));
}

#[test]
fn the_trace_names_the_ring_order_of_each_channel_and_sorts_ranks_along_it() {
    for (args, orders) in [
        (
            // The torus's two cycles along the wiring, on links of their own, each both ways
            // (four channels).
            vec!["--topology", "topologies/torus4x4.ron", "--size", "256KiB"],
            vec![
                "0 1 2 3 7 4 5 6 10 11 8 9 13 14 15 12",
                "0 12 15 14 13 9 8 11 10 6 5 4 7 3 2 1",
                "0 3 15 11 7 6 2 14 10 9 5 1 13 12 8 4",
                "0 4 8 12 13 1 5 9 10 14 2 6 7 11 15 3",
            ],
        ),
        (
            vec![
                "--topology",
                "topologies/ring8.ron",
                "--size",
                "256KiB",
                "--ring-order",
                "0,2,4,6,7,5,3,1",
                "--channels",
                "1",
            ],
            vec!["0 2 4 6 7 5 3 1"],
        ),
    ] {
        let (record, _, events) = traced_run("ring-order", &args);
        let first: Vec<u64> = orders[0]
            .split(' ')
            .map(|r| r.parse().expect("a rank"))
            .collect();
        assert_eq!(record["ring_order"], serde_json::json!(first), "{args:?}");
        let instant: Vec<&Value> = events.iter().filter(|e| e["ph"] == "i").collect();
        assert_eq!(instant.len(), 1, "{args:?}");
        assert_eq!(
            (
                &instant[0]["name"],
                &instant[0]["pid"],
                ps(&instant[0]["ts"])
            ),
            (&serde_json::json!("ring order"), &serde_json::json!(2), 0)
        );
        assert_eq!(
            instant[0]["args"],
            serde_json::json!({"channels": orders.len(), "orders": orders})
        );
        let label: Vec<String> = orders
            .iter()
            .enumerate()
            .map(|(c, o)| format!("ring order, channel {c}: {o}"))
            .collect();
        let labels = events
            .iter()
            .find(|e| e["ph"] == "M" && e["name"] == "process_labels" && e["pid"] == 2)
            .expect("the ranks' labels");
        assert_eq!(labels["args"]["labels"], label.join("; "), "{args:?}");
        // Rank tracks (lane 0 of each) in ring order, by thread id and by sort index.
        let sort: BTreeMap<u64, u64> = events
            .iter()
            .filter(|e| e["ph"] == "M" && e["name"] == "thread_sort_index" && e["pid"] == 2)
            .map(|e| {
                let tid = e["tid"].as_u64().expect("tid");
                (tid, e["args"]["sort_index"].as_u64().expect("sort index"))
            })
            .collect();
        let mut ranks: Vec<(u64, u64)> = thread_names(&events, 2)
            .into_iter()
            .filter_map(|(tid, name)| {
                let rank = name.strip_prefix("rank ")?.parse().ok()?;
                Some((sort[&tid], rank))
            })
            .collect();
        ranks.sort();
        let ranks: Vec<u64> = ranks.into_iter().map(|(_, rank)| rank).collect();
        assert_eq!(ranks, first, "{args:?}");
        assert!(sort.iter().all(|(tid, index)| tid == index));
    }
}

#[test]
fn a_ranks_overlapping_sends_and_receives_go_on_lanes_of_its_own() {
    let (_, _, events) = traced_run(
        "lanes",
        &["--topology", "topologies/ring8.ron", "--size", "1MiB"],
    );
    let names = thread_names(&events, 2);
    // Each rank sends on both rings while it receives on both: four at once at the start.
    let lanes: Vec<&str> = names
        .values()
        .filter(|n| n.starts_with("rank 0"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        lanes,
        ["rank 0", "rank 0 lane 1", "rank 0 lane 2", "rank 0 lane 3"]
    );
    let at_zero: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["pid"] == 2 && ps(&e["ts"]) == 0)
        .filter(|e| names[&e["tid"].as_u64().unwrap_or(0)].starts_with("rank 0"))
        .map(|e| {
            (
                names[&e["tid"].as_u64().unwrap_or(0)].as_str(),
                e["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        at_zero,
        [
            ("rank 0", "send 65536 B to rank1"),
            ("rank 0 lane 1", "send 65536 B to rank7"),
            ("rank 0 lane 2", "recv+reduce 65536 B from rank7"),
            ("rank 0 lane 3", "recv+reduce 65536 B from rank1"),
        ]
    );
    let link = events
        .iter()
        .find(|e| e["ph"] == "X" && e["pid"] == 1)
        .expect("a link slice");
    assert_eq!(link["cat"], "link");
    assert_eq!(
        link["args"],
        serde_json::json!({
            "bytes": 131072,
            "packets": 32,
            "flows": [
                "c0.s0.hbm -> c0.s1.hbm: 65536 B in 16 packets",
                "c0.s0.hbm -> c0.s7.hbm: 65536 B in 16 packets"
            ]
        })
    );
    assert_eq!(link["name"], "2 flows");
}

#[test]
fn the_same_run_writes_the_same_trace_bytes() {
    let args = ["--topology", "topologies/mesh2x2.ron", "--size", "64KiB"];
    let (_, first, _) = traced_run("same-a", &args);
    let (_, second, _) = traced_run("same-b", &args);
    assert!(first == second, "two runs wrote different traces");
}
