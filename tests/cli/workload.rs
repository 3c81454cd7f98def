//! End-to-end tests of `kernbench workload` and of workload files in `validate`.

use crate::common::{kernbench, stderr, stdout, temp_file};

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_str(stdout(out).trim()).expect("one JSON object")
}

#[test]
fn workload_a_chain_of_10us_and_5us_takes_15us() {
    let file = temp_file(
        "chain.workload.ron",
        r#"Workload(name: "chain", nodes: [
    (name: "a", op: Compute(time: "10us")),
    (name: "b", op: Compute(time: "5us"), deps: ["a"]),
])"#,
    );
    let out = kernbench(&[
        "workload",
        &file.to_string_lossy(),
        "--topology",
        "ring:4",
        "--json",
    ]);
    let json = json_of(&out);
    assert_eq!(json["step_time_ps"], 15_000_000);
    assert_eq!(json["critical_path"][1]["node"], "b");
    assert_eq!(json["ranks"][3]["compute_ps"], 15_000_000);
}

#[test]
fn workload_collective_alone_takes_the_time_run_prints() {
    let file = temp_file(
        "ar.workload.ron",
        r#"Workload(name: "ar", nodes: [
    (name: "ar", op: Collective(collective: "all-reduce", size: "4MiB", algorithm: "ring")),
])"#,
    );
    let out = kernbench(&[
        "workload",
        &file.to_string_lossy(),
        "--topology",
        "topologies/ring8.ron",
        "--json",
    ]);
    let workload = json_of(&out);
    let run = json_of(&kernbench(&[
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--size",
        "4MiB",
        "--algorithm",
        "ring",
        "--json",
    ]));
    let step_ns = workload["step_time_ps"].as_u64().expect("ps") as f64 / 1000.0;
    assert_eq!(step_ns, run["time_ns"].as_f64().expect("ns"));
    assert_eq!(workload["collectives"][0]["busbw_gbps"], run["busbw_gbps"]);
}

#[test]
fn workload_bundled_examples_run_and_print_the_same_bytes_twice() {
    for (file, topology) in [
        ("tp-layer", "multicube2x4"),
        ("dp-step", "ring8"),
        ("pipeline", "mesh2x2"),
        ("pipeline-1f1b", "mesh2x2"),
        ("moe-layer", "multicube2x4"),
    ] {
        let args = [
            "workload",
            &format!("topologies/workloads/{file}.workload.ron"),
            "--topology",
            &format!("topologies/{topology}.ron"),
        ];
        let a = kernbench(&args);
        assert_eq!(a.status.code(), Some(0), "{file}: {}", stderr(&a));
        assert!(stdout(&a).contains("critical path"), "{}", stdout(&a));
        let b = kernbench(&args);
        assert_eq!(a.stdout, b.stdout, "{file}");
    }
}

/// `kernbench workload FILE --topology ring:4 --model MODEL` and `extra`.
fn on_ring4(file: &std::path::Path, model: &str, extra: &[&str]) -> std::process::Output {
    let file = file.to_string_lossy();
    let mut args = vec!["workload", &file, "--topology", "ring:4", "--model", model];
    args.extend_from_slice(extra);
    kernbench(&args)
}

/// The deadlock report of workload `file` on `ring:4` in `model`, which must exit 3.
fn stall_on_ring4(file: &std::path::Path, model: &str) -> String {
    let out = on_ring4(file, model, &[]);
    assert_eq!(out.status.code(), Some(3), "{model}: {}", stderr(&out));
    stdout(&out)
}

/// `after` waits for `rx` on rank 2 only (the other ranks do not run `rx`), a receive
/// without its send.
const LONELY: &str = r#"Workload(name: "lonely", nodes: [
    (name: "rx", op: Recv(from: "prev", tag: 5, size: "1MiB"), on: [2]),
    (name: "after", op: Compute(time: "1us"), deps: ["rx"]),
])"#;

#[test]
fn workload_receive_without_its_send_exits_3_naming_the_node() {
    let file = temp_file("lonely.workload.ron", LONELY);
    for model in ["packet", "flow"] {
        let report = stall_on_ring4(&file, model);
        assert!(
            report.contains(
                "rank2 rx: recv rank2 <- rank1 tag 5 (1 MiB), no such send has arrived"
            ) && report.contains(
                "\ncause: rank2 rx receives 1 MiB from rank1 with tag 5, but rank1 has no send to rank2 with tag 5 left for it; 1 other stuck task waits behind it\n1 task never started, each waiting for a dependency that did not finish: rank2 after\n"
            ),
            "{model}: {report}"
        );
    }
}

#[test]
fn workload_stall_names_its_cause_in_both_models() {
    // Each stalls for one reason; the report's cause line names it and counts the stuck
    // tasks behind it, whatever else is blocked.
    let cases = [
        (
            "ring-of-waits.workload.ron",
            r#"Workload(name: "w", nodes: [
    (name: "rx", op: Recv(from: "next", tag: 1, size: "1MiB")),
    (name: "tx", op: Send(to: "prev", tag: 1, size: "1MiB"), deps: ["rx"]),
    (name: "ar", op: Collective(collective: "all-reduce", size: "1MiB"), deps: ["tx"]),
])"#,
            "cause: tasks wait on each other in a cycle of 8: rank0 rx waits for rank1 tx (the send it receives), rank1 tx waits for rank1 rx (its dependency), rank1 rx waits for rank2 tx (the send it receives), rank2 tx waits for rank2 rx (its dependency), rank2 rx waits for rank3 tx (the send it receives), ... 2 more ..., rank0 tx waits for rank0 rx (its dependency); 4 other stuck tasks wait behind it\n",
        ),
        (
            "different.workload.ron",
            r#"Workload(name: "w", nodes: [
    (name: "ar", op: Collective(collective: "all-reduce", size: "1MiB"), on: [0, 1]),
    (name: "ag", op: Collective(collective: "all-gather", size: "1MiB"), on: [2, 3]),
    (name: "c", op: Compute(time: "1us"), deps: ["ar", "ag"]),
])"#,
            "cause: call #0 on group world [ranks 0-3] is ar (all-reduce of 1 MiB with ring) on ranks 0, 1, ag (all-gather of 1 MiB with ring) on ranks 2, 3; every member must make the same call; 4 other stuck tasks wait behind it\n",
        ),
        (
            "missing.workload.ron",
            r#"Workload(name: "w", nodes: [
    (name: "ar", op: Collective(collective: "all-reduce", size: "1MiB"), on: [0, 1, 2]),
])"#,
            "cause: call #0 on group world [ranks 0-3] is ar (all-reduce of 1 MiB with ring) on ranks 0-2, no call on rank 3; every member must make the same call\n",
        ),
        (
            "behind.workload.ron",
            r#"Workload(name: "w", nodes: [
    (name: "rx", op: Recv(from: "prev", tag: 5, size: "1MiB"), on: [2]),
    (name: "ar1", op: Collective(collective: "all-reduce", size: "1MiB"), deps: ["rx"]),
    (name: "ar2", op: Collective(collective: "all-reduce", size: "1MiB")),
])"#,
            "cause: rank2 rx receives 1 MiB from rank1 with tag 5, but rank1 has no send to rank2 with tag 5 left for it; 8 other stuck tasks wait behind it\n",
        ),
    ];
    for (name, text, cause) in cases {
        let file = temp_file(name, text);
        for model in ["packet", "flow"] {
            let report = stall_on_ring4(&file, model);
            assert_eq!(
                report.matches("\ncause: ").count(),
                1,
                "{name} {model}: {report}"
            );
            assert!(report.contains(cause), "{name} {model}: {report}");
        }
    }
}

#[test]
fn workload_stall_with_json_prints_the_report_as_one_object_with_its_cause() {
    let file = temp_file("lonely-json.workload.ron", LONELY);
    let out = on_ring4(&file, "packet", &["--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(report["time"], 1_000_000, "{report}");
    assert_eq!(report["blocked"][0]["process"]["name"], "rank2 rx");
    assert_eq!(
        report["notes"],
        serde_json::json!([
            "cause: rank2 rx receives 1 MiB from rank1 with tag 5, but rank1 has no send to rank2 with tag 5 left for it; 1 other stuck task waits behind it",
            "1 task never started, each waiting for a dependency that did not finish: rank2 after",
        ])
    );
}

#[test]
fn workload_bad_files_exit_2_with_the_place_and_the_fix() {
    let cases = [
        (
            "cycle.workload.ron",
            r#"Workload(name: "c", nodes: [
    (name: "a", op: Compute(time: "1us"), deps: ["b"]),
    (name: "b", op: Compute(time: "1us"), deps: ["a"]),
])"#,
            ":2: nodes[0].deps: node \"a\": the dependencies form a cycle, a -> b -> a; a node cannot wait for itself, so remove one of them",
        ),
        (
            "group.workload.ron",
            r#"Workload(name: "g", nodes: [
    (name: "ar", op: Collective(collective: "all-reduce", size: "1MiB", group: "tp")),
])"#,
            ":2: nodes[0].op: group \"tp\" is not declared; declare it in groups, or use one of: world",
        ),
        (
            "syntax.workload.ron",
            "Workload(name: \"s\", nodes: [\n    (name: \"a\", op: Compute(tme: \"1us\")),\n])",
            ":2:",
        ),
        (
            "flops.workload.ron",
            r#"Workload(name: "f", nodes: [
    (name: "mlp", op: Compute(flops: "2TFLOP")),
])"#,
            ":2: nodes[0].op: node \"mlp\": a compute node given in FLOP needs the workload's peak_flops (e.g. peak_flops: \"400TFLOP/s\"); add it or give the node a time",
        ),
    ];
    for (name, text, message) in cases {
        let file = temp_file(name, text);
        for command in [vec!["validate"], vec!["workload", "--topology", "ring:4"]] {
            let mut args = command.clone();
            let path = file.to_string_lossy().into_owned();
            args.push(&path);
            let out = kernbench(&args);
            assert_eq!(out.status.code(), Some(2), "{name} {command:?}");
            assert!(stderr(&out).contains(message), "{name}: {}", stderr(&out));
            assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        }
    }
}

#[test]
fn workload_peer_outside_the_topology_exits_2_naming_the_node_line() {
    let file = temp_file(
        "edge.workload.ron",
        r#"Workload(name: "e", nodes: [
    (name: "first", op: Compute(time: "1us")),
    (name: "tx", op: Send(to: "rank+1", tag: 0, size: "4KiB")),
])"#,
    );
    let out = kernbench(&["workload", &file.to_string_lossy(), "--topology", "ring:4"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(":3: nodes[1].op: node \"tx\": on rank 3, peer rank+1 is not a rank of 0..4; limit the node to the ranks that have that peer with `on`"),
        "{}",
        stderr(&out)
    );
}

/// In both network models (in the flow model the all-reduce is a bundle replayed from its
/// calibration), the trace draws each rank's nodes and the links, with the bytes the links
/// carried, the same twice.
#[test]
fn workload_trace_draws_each_rank_s_nodes_and_the_links_the_same_twice() {
    let file = temp_file(
        "traced.workload.ron",
        r#"Workload(name: "traced", nodes: [
    (name: "fwd", op: Compute(time: "10us")),
    (name: "ar", op: Collective(collective: "all-reduce", size: "256KiB"), deps: ["fwd"]),
])"#,
    );
    let mut link_bytes = Vec::new();
    for model in ["packet", "flow"] {
        let trace = crate::common::scratch(&format!("traced-{model}.trace.json"));
        let trace_arg = trace.to_string_lossy();
        let args = ["--trace", &trace_arg];
        let out = on_ring4(&file, model, &args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let first = std::fs::read(&trace).expect("the trace");
        let json: serde_json::Value = serde_json::from_slice(&first).expect("JSON");
        let events = json["traceEvents"].as_array().expect("events");
        let fwd: Vec<_> = events
            .iter()
            .filter(|e| e["name"] == "fwd" && e["cat"] == "compute")
            .collect();
        assert_eq!(fwd.len(), 4, "{model}: one compute span per rank");
        assert!(
            fwd.iter().all(|e| e["ts"] == 0.0 && e["dur"] == 10.0),
            "{model}: {fwd:?}"
        );
        let ar = events
            .iter()
            .filter(|e| e["name"] == "ar" && e["cat"] == "comm");
        assert_eq!(ar.count(), 4, "{model}");
        let bytes: u64 = events
            .iter()
            .filter(|e| e["cat"] == "link" && e["ph"] == "X")
            .filter_map(|e| e["args"]["bytes"].as_u64())
            .sum();
        assert!(bytes > 0, "{model}: no link slice carried bytes");
        link_bytes.push(bytes);
        assert_eq!(on_ring4(&file, model, &args).status.code(), Some(0));
        assert_eq!(std::fs::read(&trace).expect("the trace"), first, "{model}");
    }
    assert_eq!(
        link_bytes[0], link_bytes[1],
        "packet and flow links carry the same bytes"
    );
}

#[test]
fn workload_repeat_block_times_as_the_same_nodes_written_out() {
    let repeated = temp_file(
        "repeat.workload.ron",
        r#"Workload(name: "rep", groups: {"tp": (size: 2, stride: 1)}, nodes: [
    (name: "embed", op: Compute(time: "1us")),
    (repeat: 3, nodes: [
        (name: "attn", op: Compute(time: "10us"), deps: ["embed", "prev:ar"]),
        (name: "ar", op: Collective(collective: "all-reduce", group: "tp", size: "64KiB"), deps: ["attn"]),
    ]),
    (name: "head", op: Compute(time: "2us"), deps: ["ar.2"]),
])"#,
    );
    let written = temp_file(
        "unrolled.workload.ron",
        r#"Workload(name: "rep", groups: {"tp": (size: 2, stride: 1)}, nodes: [
    (name: "embed", op: Compute(time: "1us")),
    (name: "attn.0", op: Compute(time: "10us"), deps: ["embed"]),
    (name: "ar.0", op: Collective(collective: "all-reduce", group: "tp", size: "64KiB"), deps: ["attn.0"]),
    (name: "attn.1", op: Compute(time: "10us"), deps: ["embed", "ar.0"]),
    (name: "ar.1", op: Collective(collective: "all-reduce", group: "tp", size: "64KiB"), deps: ["attn.1"]),
    (name: "attn.2", op: Compute(time: "10us"), deps: ["embed", "ar.1"]),
    (name: "ar.2", op: Collective(collective: "all-reduce", group: "tp", size: "64KiB"), deps: ["attn.2"]),
    (name: "head", op: Compute(time: "2us"), deps: ["ar.2"]),
])"#,
    );
    let run = |file: &std::path::Path| {
        kernbench(&[
            "workload",
            &file.to_string_lossy(),
            "--topology",
            "ring:4",
            "--json",
        ])
    };
    let (a, b) = (run(&repeated), run(&written));
    assert_eq!(a.stdout, b.stdout, "{}", stderr(&a));
    let json = json_of(&a);
    assert_eq!(json["critical_path"].as_array().map(Vec::len), Some(8));
    assert_eq!(json["critical_path"][7]["node"], "head");
}

#[test]
fn workload_bad_repeat_exits_2_at_its_place() {
    let file = temp_file(
        "badrepeat.workload.ron",
        r#"Workload(name: "b", nodes: [
    (name: "a", op: Compute(time: "1us")),
    (repeat: 2, nodes: [
        (name: "x", op: Compute(time: "1us"), deps: ["prev:a"]),
    ]),
])"#,
    );
    let out = kernbench(&["validate", &file.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(":4: nodes[1].nodes[0].deps[0]: \"prev:a\": prev: names a node of the same Repeat block; \"a\" is not one"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn workload_stall_report_names_the_group_with_its_member_ranks() {
    let file = temp_file(
        "mixed.workload.ron",
        r#"Workload(name: "mix", groups: {"dp": (size: 2, stride: 2)}, nodes: [
    (name: "c", op: Collective(collective: "all-reduce", group: "dp", size: "8KiB"), on: [2]),
    (name: "d", op: Collective(collective: "all-reduce", group: "dp", size: "4KiB"), on: [0]),
])"#,
    );
    let out = kernbench(&["workload", &file.to_string_lossy(), "--topology", "ring:4"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(
        report.contains("is call #0 on group dp [ranks 0, 2], where rank")
            && report.contains("the members run different collectives; make them the same"),
        "{report}"
    );
}

#[test]
fn workload_distribution_on_a_collective_other_than_all_to_allv_is_exit_2_at_its_place() {
    let file = temp_file(
        "ar-split.workload.ron",
        r#"Workload(name: "ar-split", nodes: [
    (name: "ar", op: Collective(collective: "all-reduce", size: "1MiB", distribution: "zipf:1.2")),
])"#,
    );
    for command in ["validate", "workload"] {
        let mut args = vec![command, file.to_str().unwrap_or_default()];
        if command == "workload" {
            args.extend(["--topology", "ring:4"]);
        }
        let out = kernbench(&args);
        assert_eq!(out.status.code(), Some(2), "{command}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(
                "a distribution is for all-to-allv only; drop it or make the collective all-to-allv"
            ),
            "{command}: {}",
            stderr(&out)
        );
    }
}

/// In the flow model too, a collective alone in a workload takes what `run` prints in that
/// model, and the output says which model made it.
#[test]
fn workload_in_the_flow_model_takes_the_time_run_prints_in_it() {
    let file = temp_file(
        "ar-flow.workload.ron",
        r#"Workload(name: "ar", nodes: [
    (name: "ar", op: Collective(collective: "all-reduce", size: "4MiB", algorithm: "ring")),
])"#,
    );
    let args = |json: bool| {
        let mut a = vec![
            "workload".to_owned(),
            file.to_string_lossy().into_owned(),
            "--topology".to_owned(),
            "topologies/torus4x4.ron".to_owned(),
            "--model".to_owned(),
            "flow".to_owned(),
        ];
        if json {
            a.push("--json".to_owned());
        }
        a
    };
    let json_args = args(true);
    let workload = json_of(&kernbench(
        &json_args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert_eq!(workload["model"], "flow");
    let run = json_of(&kernbench(&[
        "run",
        "--topology",
        "topologies/torus4x4.ron",
        "--size",
        "4MiB",
        "--algorithm",
        "ring",
        "--model",
        "flow",
        "--json",
    ]));
    let step_ns = workload["step_time_ps"].as_u64().expect("ps") as f64 / 1000.0;
    assert_eq!(step_ns, run["time_ns"].as_f64().expect("ns"));
    let text_args = args(false);
    let out = kernbench(&text_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let first = stdout(&out).lines().next().unwrap_or_default().to_owned();
    assert!(first.ends_with(" events), flow model"), "{first}");
}

/// `validate` matches sends and receives by pair and tag when the file says its `ranks`; a
/// run of the same file still reaches the receive and reports the stall (exit 3).
#[test]
fn validate_finds_a_receive_without_its_send_before_the_run() {
    let file = temp_file(
        "lonely-ranks.workload.ron",
        r#"Workload(name: "lonely", ranks: 4, nodes: [
    (name: "tx", op: Send(to: "next", tag: 1, size: "1MiB"), on: [0]),
    (name: "rx", op: Recv(from: "prev", tag: 1, size: "1MiB"), on: [1, 2]),
])"#,
    );
    let path = file.to_string_lossy().into_owned();
    let out = kernbench(&["validate", &path]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "error: {path}:3: nodes[1].op: node \"rx\": on rank 2, it receives from rank 1 with tag 1, but rank 1 sends rank 2 nothing more with tag 1 (1 receives, 0 sends); add a Send on rank 1 or fix the peer or tag\n"
        )
    );
    let out = kernbench(&["workload", &path, "--topology", "ring:4"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    let sizes = temp_file(
        "sizes.workload.ron",
        r#"Workload(name: "sizes", ranks: 2, nodes: [
    (name: "tx", op: Send(to: "next", tag: 0, size: "2MiB"), on: [0]),
    (name: "rx", op: Recv(from: "prev", tag: 0, size: "1MiB"), on: [1]),
])"#,
    );
    let out = kernbench(&["validate", &sizes.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            ":3: nodes[1].op: node \"rx\": on rank 1, the receives from rank 0 with tag 0 expect 1048576 B where its sends give 2097152 B; make the sizes the same"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn workload_names_the_busiest_links_with_their_bytes_busy_time_and_utilisation() {
    // dp-step on ring8: four 8 MiB ring all-reduces, 2 channels. Each channel's ring sends
    // 2 x 7 / 8 of 4 MiB over each of its links per all-reduce: 4 x 7,340,032 = 29,360,128
    // bytes, 293.601280 us at 100 GB/s, 56.7% of the 517.846080 us step, on all 16 SIP links.
    let topology = "topologies/ring8.ron";
    let file = "topologies/workloads/dp-step.workload.ron";
    let text = kernbench(&["workload", file, "--topology", topology]);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let printed = stdout(&text);
    let table: Vec<&str> = printed
        .lines()
        .skip_while(|l| !l.starts_with("busiest links"))
        .collect();
    assert_eq!(
        table.first().copied(),
        Some("busiest links (8 of 32 that carried traffic; utilisation = busy / step time):"),
        "{printed}"
    );
    assert_eq!(table.len(), 10, "{printed}");
    assert_eq!(
        table[2],
        "c0.s0.hub->c0.s1.hub  sip-link          29360128     293.601280       56.7%"
    );
    let json = json_of(&kernbench(&[
        "workload",
        file,
        "--topology",
        topology,
        "--json",
    ]));
    let links = json["links"].as_array().cloned().unwrap_or_default();
    assert_eq!(links.len(), 32);
    assert_eq!(links[0]["link"], "c0.s0.hub->c0.s1.hub");
    assert_eq!(links[0]["class"], "sip-link");
    assert_eq!(links[0]["bytes"], 29_360_128);
    assert_eq!(links[0]["busy_ps"], 293_601_280);
    assert_eq!(
        links[0]["utilisation"].as_f64(),
        Some(293_601_280.0 / 517_846_080.0)
    );
    // Busiest first: no link is busier than the one before it.
    let busy: Vec<u64> = links.iter().filter_map(|l| l["busy_ps"].as_u64()).collect();
    assert_eq!(busy.len(), 32);
    assert!(busy.windows(2).all(|w| w[0] >= w[1]), "{busy:?}");
    // The SIP links first (16 of them, equally busy), then the HBM ports.
    assert!(links[..16].iter().all(|l| l["class"] == "sip-link"));
    assert!(links[16..].iter().all(|l| l["class"] == "hbm"));
}

#[test]
fn workload_counts_a_rank_s_copies_in_a_column_of_their_own() {
    let file = temp_file(
        "copy.workload.ron",
        r#"Workload(name: "copy", nodes: [
    (name: "a", op: Compute(time: "10us")),
    (name: "stage", op: Copy(from: "hbm", to: "sram", size: "1MiB"), deps: ["a"]),
])"#,
    );
    let file = file.to_string_lossy().into_owned();
    let json = json_of(&kernbench(&[
        "workload",
        &file,
        "--topology",
        "ring:4",
        "--json",
    ]));
    // The copy is the second half of the step: its time is the step's less the compute's.
    let step = json["step_time_ps"].as_u64().unwrap_or_default();
    let stage = &json["critical_path"][1];
    assert_eq!(stage["node"], "stage");
    let copy = stage["end_ps"].as_u64().unwrap_or_default()
        - stage["start_ps"].as_u64().unwrap_or_default();
    assert!(copy > 0);
    assert_eq!(step, 10_000_000 + copy);
    for rank in json["ranks"].as_array().cloned().unwrap_or_default() {
        assert_eq!(rank["copy_ps"].as_u64(), Some(copy), "{rank}");
        assert_eq!(rank["compute_ps"], 10_000_000);
        assert_eq!(rank["exposed_comm_ps"], 0);
    }
    let text = kernbench(&["workload", &file, "--topology", "ring:4"]);
    let printed = stdout(&text);
    assert!(
        printed.contains("overlapped_comm_us        copy_us\n"),
        "{printed}"
    );
    let us = format!("{}.{:06}", copy / 1_000_000, copy % 1_000_000);
    assert!(printed.contains(&format!(" {us}\n")), "{us}: {printed}");
}
