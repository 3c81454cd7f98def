//! `kernbench workload FOLDER` on Chakra execution traces: written here with prost as
//! ASTRA-sim's microbenchmark generators write them, run to the picosecond, and refused with
//! the file, the node and the fix when malformed.

use std::path::{Path, PathBuf};

use kernbench::chakra::{AttributeProto, CollectiveCommType, GlobalMetadata, Node, NodeType};

use crate::common::{kernbench, stderr, stdout};

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_str(stdout(out).trim()).expect("one JSON object")
}

fn metadata() -> GlobalMetadata {
    GlobalMetadata {
        version: "0.0.4".into(),
        attr: Vec::new(),
    }
}

fn node(id: u64, name: &str, kind: NodeType, attr: Vec<AttributeProto>) -> Node {
    Node {
        id,
        name: name.into(),
        r#type: kind as i32,
        attr,
        ..Node::default()
    }
}

/// Writes `NAME.N.et` for each rank's nodes into a fresh folder.
fn write_trace(dir: &Path, name: &str, ranks: &[Vec<Node>]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("a folder");
    for (r, nodes) in ranks.iter().enumerate() {
        let bytes = kernbench::chakra::encode(&metadata(), nodes);
        std::fs::write(dir.join(format!("{name}.{r}.et")), bytes).expect("write a trace");
    }
    dir.to_owned()
}

/// ASTRA-sim's `generator_scripts/all_reduce.py`: per NPU one COMM_COLL_NODE, id = NPU.
fn all_reduce_microbenchmark(dir: &Path, npus: u32, bytes: i64) -> PathBuf {
    let ranks: Vec<Vec<Node>> = (0..npus)
        .map(|npu| {
            vec![node(
                u64::from(npu),
                &format!("all_reduce_{npus}npus_1MB"),
                NodeType::CommCollNode,
                vec![
                    AttributeProto::bool("is_cpu_op", false),
                    AttributeProto::int64("comm_type", CollectiveCommType::AllReduce as i64),
                    AttributeProto::int64("comm_size", bytes),
                ],
            )]
        })
        .collect();
    write_trace(dir, "all_reduce", &ranks)
}

#[test]
fn chakra_all_reduce_microbenchmark_takes_what_run_takes_to_the_picosecond() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let folder = all_reduce_microbenchmark(dir.path(), 8, 1 << 20);
    let trace = json_of(&kernbench(&[
        "workload",
        &folder.to_string_lossy(),
        "--topology",
        "topologies/ring8.ron",
        "--json",
    ]));
    let run = json_of(&kernbench(&[
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--size",
        "1MiB",
        "--algorithm",
        "ring",
        "--json",
    ]));
    let run_ps = (run["time_ns"].as_f64().expect("ns") * 1000.0).round() as u64;
    assert_eq!(trace["step_time_ps"].as_u64(), Some(run_ps));
    assert_eq!(trace["world_size"], 8);
    // One all-reduce, not one per rank file.
    assert_eq!(trace["collectives"].as_array().map(Vec::len), Some(1));
    assert_eq!(trace["collectives"][0]["busbw_gbps"], run["busbw_gbps"]);
    // The attribute that set nothing is counted, not dropped.
    assert_eq!(
        trace["unused"],
        serde_json::json!({"attribute is_cpu_op": 8})
    );
}

/// A folder of traces is a workload of a sweep: it runs as `workload FOLDER` runs it, and is
/// refused on a topology of another rank count.
#[test]
fn chakra_folder_in_a_workload_sweep_runs_as_workload_folder_does() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let folder = all_reduce_microbenchmark(&dir.path().join("traces/ar4"), 4, 1 << 20);
    let file = dir.path().join("traces.sweep.ron");
    std::fs::write(
        &file,
        r#"Sweep(name: "traces", topologies: ["ring:4", "ring:8"], workloads: ["traces/*"])"#,
    )
    .expect("write the sweep");
    let out = dir.path().join("out");
    let run = kernbench(&[
        "sweep",
        &file.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let trace = json_of(&kernbench(&[
        "workload",
        &folder.to_string_lossy(),
        "--topology",
        "ring:4",
        "--json",
    ]));
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(out.join("workloads.jsonl"))
        .expect("workloads.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a row"))
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (&rows[0]["workload"], &rows[0]["topology"]),
        (&"all_reduce".into(), &"ring4".into())
    );
    let step_ps = trace["step_time_ps"].as_u64().expect("ps");
    assert_eq!(rows[0]["step_time_us"].as_f64(), Some(step_ps as f64 / 1e6));
    assert_eq!(rows[1]["status"], "unsupported");
    assert_eq!(
        rows[1]["error"],
        "ranks: the workload is written for 4 ranks, but the topology has 8 SIPs (rank = SIP); use a topology of 4 SIPs"
    );
}

#[test]
fn chakra_compute_send_recv_and_deps_time_as_the_same_ron_workload() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let us = |id, name: &str, t| Node {
        duration_micros: t,
        ..node(id, name, NodeType::CompNode, vec![])
    };
    let p2p = |id, kind, peer: &str, n: i64| {
        node(
            id,
            "p2p",
            kind,
            vec![
                AttributeProto::int64(peer, n),
                AttributeProto::int64("comm_tag", 3),
                AttributeProto::int64("comm_size", 1 << 20),
            ],
        )
    };
    let rank0 = vec![
        node(0, "meta", NodeType::MetadataNode, vec![]),
        Node {
            ctrl_deps: vec![0],
            ..us(1, "fwd", 10)
        },
        Node {
            data_deps: vec![1],
            ..p2p(2, NodeType::CommSendNode, "comm_dst", 1)
        },
    ];
    let rank1 = vec![
        p2p(5, NodeType::CommRecvNode, "comm_src", 0),
        Node {
            data_deps: vec![5],
            ..us(6, "bwd", 5)
        },
    ];
    let folder = write_trace(dir.path(), "p2p", &[rank0, rank1]);
    let trace = json_of(&kernbench(&[
        "workload",
        &folder.to_string_lossy(),
        "--topology",
        "ring:2",
        "--json",
    ]));
    let ron = dir.path().join("same.workload.ron");
    std::fs::write(
        &ron,
        r#"Workload(name: "same", nodes: [
    (name: "fwd", op: Compute(time: "10us"), on: [0]),
    (name: "tx", op: Send(to: "1", tag: 3, size: "1MiB"), deps: ["fwd"], on: [0]),
    (name: "rx", op: Recv(from: "0", tag: 3, size: "1MiB"), on: [1]),
    (name: "bwd", op: Compute(time: "5us"), deps: ["rx"], on: [1]),
])"#,
    )
    .expect("write");
    let same = json_of(&kernbench(&[
        "workload",
        &ron.to_string_lossy(),
        "--topology",
        "ring:2",
        "--json",
    ]));
    assert_eq!(trace["step_time_ps"], same["step_time_ps"]);
    assert_eq!(trace["ranks"], same["ranks"]);
    assert_eq!(trace["ranks"][1]["compute_ps"], 5_000_000);
    assert!(trace["step_time_ps"].as_u64().expect("ps") > 15_000_000);
    let path: Vec<&str> = trace["critical_path"]
        .as_array()
        .expect("a path")
        .iter()
        .filter_map(|s| s["node"].as_str())
        .collect();
    assert_eq!(path, ["r0/fwd#1", "r0/p2p#2", "r1/p2p#5", "r1/bwd#6"]);
    assert_eq!(
        trace["unused"],
        serde_json::json!({"node METADATA_NODE": 1})
    );
    let text = stdout(&kernbench(&[
        "workload",
        &folder.to_string_lossy(),
        "--topology",
        "ring:2",
    ]));
    assert!(
        text.contains("not run or not used: node METADATA_NODE x1\n"),
        "{text}"
    );
}

#[test]
fn chakra_bad_traces_exit_2_naming_the_file_the_node_and_the_fix() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let coll = |id| {
        node(
            id,
            "ar",
            NodeType::CommCollNode,
            vec![
                AttributeProto::int64("comm_type", 0),
                AttributeProto::int64("comm_size", 1024),
            ],
        )
    };
    let good = kernbench::chakra::encode(&metadata(), &[coll(0)]);
    type Make<'a> = Box<dyn Fn(&Path) + 'a>;
    let cases: Vec<(&str, Make<'_>, String)> = vec![
        (
            "truncated",
            Box::new(|d: &Path| {
                std::fs::write(d.join("t.0.et"), &good[..good.len() - 1]).expect("write");
            }),
            {
                use prost::Message as _;
                // A one-byte length prefix, the metadata, then the node's prefix.
                let at = 1 + metadata().encoded_len();
                let len = coll(0).encoded_len();
                format!(
                    "t.0.et: byte {at}: node message 0 says it has {len} bytes but only {} remain: the file is truncated, or is it a Chakra execution trace",
                    len - 1
                )
            },
        ),
        (
            "not-protobuf",
            Box::new(|d: &Path| std::fs::write(d.join("t.0.et"), [2u8, 0xff, 0xff]).expect("write")),
            "t.0.et: byte 1: the GlobalMetadata does not decode".to_string(),
        ),
        (
            "too-large",
            Box::new(|d: &Path| {
                let f = std::fs::File::create(d.join("t.0.et")).expect("create");
                f.set_len(kernbench::chakra::MAX_TRACE_FILE + 1).expect("a sparse file");
            }),
            format!(
                "t.0.et: {} bytes is more than the limit of {} bytes per trace file; trim the trace",
                kernbench::chakra::MAX_TRACE_FILE + 1,
                kernbench::chakra::MAX_TRACE_FILE
            ),
        ),
        (
            "unknown-dep",
            Box::new(|d: &Path| {
                let n = Node {
                    data_deps: vec![99],
                    ..coll(4)
                };
                write_trace(d, "t", &[vec![n]]);
            }),
            "t.0.et: node 4 \"ar\": data_deps names node 99, which is not in this file; remove it or add that node".to_string(),
        ),
        (
            "missing-rank",
            Box::new(|d: &Path| {
                write_trace(d, "t", &[vec![coll(0)], vec![coll(0)], vec![coll(0)]]);
                std::fs::remove_file(d.join("t.1.et")).expect("remove");
            }),
            "has 2 trace files but none for rank 1; ranks are 0 to 1, one file each".to_string(),
        ),
        (
            "no-comm-size",
            Box::new(|d: &Path| {
                let n = node(3, "ar", NodeType::CommCollNode, vec![AttributeProto::int64("comm_type", 0)]);
                write_trace(d, "t", &[vec![n]]);
            }),
            "t.0.et: node 3 \"ar\": a COMM_COLL_NODE needs the attribute comm_size; add it".to_string(),
        ),
        (
            "num-ops-without-peak",
            Box::new(|d: &Path| {
                let n = node(1, "mm", NodeType::CompNode, vec![AttributeProto::int64("num_ops", 1_000_000)]);
                write_trace(d, "t", &[vec![n]]);
            }),
            "t.0.et: node 1 \"mm\": a compute node given as num_ops, without duration_micros, needs a peak rate; give --peak-flops (e.g. --peak-flops 400TFLOP/s)".to_string(),
        ),
    ];
    for (name, make, message) in &cases {
        let folder = dir.path().join(name);
        std::fs::create_dir_all(&folder).expect("a folder");
        make(&folder);
        for command in ["validate", "workload"] {
            let path = folder.to_string_lossy().into_owned();
            let mut args = vec![command, &path];
            if command == "workload" {
                args.extend(["--topology", "ring:1"]);
            }
            let out = kernbench(&args);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{name} {command}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains(message.as_str()),
                "{name} {command}: {}",
                stderr(&out)
            );
            assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        }
    }
}
