//! End-to-end tests of `kernbench run`.

use crate::common::{kernbench, stderr, stdout};

#[test]
fn run_json_has_the_documented_fields_and_busbw_is_algbw_times_the_factor() {
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--collective",
        "all-reduce",
        "--algorithm",
        "ring",
        "--size",
        "1MiB",
        "--memory",
        "hbm",
        "--verify",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    for field in [
        "topology",
        "collective",
        "algorithm",
        "memory",
        "bytes",
        "world_size",
        "time_ns",
        "algbw_gbps",
        "busbw_gbps",
        "bound_gbps",
        "efficiency",
        "verified",
        "events",
    ] {
        assert!(json.get(field).is_some(), "missing {field}: {json}");
    }
    assert_eq!(json["topology"], "ring8");
    assert_eq!(json["collective"], "all-reduce");
    assert_eq!(json["memory"], "hbm");
    assert_eq!(json["bytes"], 1 << 20);
    assert_eq!(json["world_size"], 8);
    assert_eq!(json["verified"], true);
    let time_ns = json["time_ns"].as_f64().expect("a number");
    let algbw = json["algbw_gbps"].as_f64().expect("a number");
    let busbw = json["busbw_gbps"].as_f64().expect("a number");
    assert!((algbw - (1 << 20) as f64 / time_ns).abs() < 1e-9 * algbw);
    assert!((busbw - algbw * 2.0 * 7.0 / 8.0).abs() < 1e-9 * busbw);
    // ring8: two 100 GB/s links leave each SIP.
    assert_eq!(json["bound_gbps"], 200.0);
    assert_eq!(json["efficiency"].as_f64(), Some(busbw / 200.0));
}

#[test]
fn run_json_is_the_sweep_row_plus_time_ps_and_verified_is_null_when_unchecked() {
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--size",
        "64KiB",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    let mut keys: Vec<&str> = json
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    // The sweep row's columns (results.csv's header), then what only a single run has; in the
    // row's order on the line.
    let mut expected = [
        "topology",
        "collective",
        "algorithm",
        "memory",
        "bytes",
        "world_size",
        "channels",
        "chunk_bytes",
        "group_size",
        "group_stride",
        "model",
        "status",
        "error",
        "time_ns",
        "algbw_gbps",
        "busbw_gbps",
        "bound_gbps",
        "efficiency",
        "verified",
        "events",
        "time_ps",
        "ring_order",
    ];
    let line = stdout(&out);
    let positions: Vec<usize> = expected
        .iter()
        .map(|k| line.find(&format!("\"{k}\":")).expect("every field"))
        .collect();
    assert!(positions.is_sorted(), "{line}");
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(
        json["verified"],
        serde_json::Value::Null,
        "not checked: null"
    );
    assert_eq!(json["status"], "ok");
    assert_eq!(json["time_ps"], 13_224_560);
    assert_eq!(
        (&json["group_size"], &json["group_stride"]),
        (&8.into(), &1.into()),
        "unsplit: one group of every rank"
    );
}

#[test]
fn run_json_names_the_channels_and_chunk_size_asked_for() {
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--topology",
            "topologies/ring8.ron",
            "--size",
            "64KiB",
        ];
        args.extend_from_slice(extra);
        args.push("--json");
        let out = kernbench(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let json: serde_json::Value =
            serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
        (json["channels"].clone(), json["chunk_bytes"].clone())
    };
    // auto is printed as asked, not as the count the ring chose.
    assert_eq!(run(&[]), ("auto".into(), (1 << 20).into()));
    assert_eq!(
        run(&["--channels", "1", "--chunk-size", "256KiB"]),
        ("1".into(), (256 << 10).into())
    );
}

#[test]
fn run_prints_a_table_with_units() {
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/default.ron",
        "--size",
        "64KiB",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("# kernbench run: all-reduce ring on default (2 ranks = 2 SIPs), buffers in hbm, verify off, packet model\n"), "{text}");
    assert!(text.contains("(us)") && text.contains("(GB/s)"), "{text}");
    // The bound and the efficiency beside busbw: default has one 100 GB/s link per SIP.
    let header = text.lines().nth(1).unwrap_or_default();
    assert!(header.contains(" busbw      bound    eff "), "{text}");
    let figures = text.lines().nth(3).unwrap_or_default();
    assert!(figures.contains("     100.00 "), "{text}");
}

#[test]
fn run_on_one_sip_has_no_bound() {
    let out = kernbench(&["run", "--topology", "ring:1", "--size", "64KiB"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let figures = stdout(&out).lines().nth(3).unwrap_or_default().to_owned();
    let columns: Vec<&str> = figures.split_whitespace().collect();
    // size count type redop time algbw busbw bound eff verified events
    assert_eq!(columns.get(7..9), Some(&["-", "-"][..]), "{figures}");
    let out = kernbench(&["run", "--topology", "ring:1", "--size", "64KiB", "--json"]);
    let json: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    assert_eq!(json["bound_gbps"], serde_json::Value::Null);
    assert_eq!(json["efficiency"], serde_json::Value::Null);
}

#[test]
fn an_unknown_algorithm_is_bad_input_naming_the_choices() {
    let out = kernbench(&["run", "--algorithm", "rign"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: --algorithm: unknown algorithm \"rign\"; use one of: ring, mesh, tree, double-binary-tree, halving-doubling, direct, hierarchical, pairwise\n"
    );
}

#[test]
fn a_bad_size_unit_is_bad_input() {
    let out = kernbench(&["run", "--size", "64MB/s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: --size: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_buffer_that_does_not_fit_is_bad_input() {
    let out = kernbench(&["run", "--memory", "tcm", "--size", "1GiB"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("does not fit in tcm of c0.s0"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));
    // The topology file sets the capacity, so the message names it.
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--memory",
        "tcm",
        "--size",
        "1GiB",
    ]);
    assert_eq!(
        stderr(&out),
        "error: topologies/ring8.ron: a buffer of 1 GiB does not fit in tcm of c0.s0 (4 PEs x \
         4 MiB in all, 0 B in use); use a smaller size or place it in a larger memory (tcm < \
         sram < hbm)\n"
    );
}

#[test]
fn an_unsupported_algorithm_for_the_topology_is_bad_input_with_the_reason() {
    let out = kernbench(&[
        "run",
        "--algorithm",
        "mesh",
        "--topology",
        "topologies/ring8.ron",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: mesh all-reduce does not run on topology ring8: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_time_limit_reached_exits_with_4() {
    let out = kernbench(&["run", "--size", "64MiB", "--time-limit", "1us"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("time limit 1 us"), "{}", stderr(&out));
}

#[test]
fn a_missing_topology_file_is_bad_input() {
    let out = kernbench(&["run", "--topology", "topologies/nope.ron"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: cannot read topologies/nope.ron: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_large_all_reduce_on_two_sips_comes_within_2_percent_of_the_bound() {
    // default: one 100 GB/s link each way; 16 MiB takes 168 us on the link alone (of 170 us).
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/default.ron",
        "--size",
        "16MiB",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    assert_eq!(json["bound_gbps"], 100.0);
    let busbw = json["busbw_gbps"].as_f64().expect("a number");
    let efficiency = json["efficiency"].as_f64().expect("a number");
    assert_eq!(efficiency, busbw / 100.0);
    // 16 MiB / 169,802.56 ns = 98.80 GB/s; the factor 2(n-1)/n is 1 for two ranks.
    assert!((0.98..=1.0).contains(&efficiency), "{json}");
}

#[test]
fn run_shows_the_ring_order_along_the_wiring_and_takes_one_given() {
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/torus4x4.ron",
        "--size",
        "1MiB",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Each step is one hop of the 4x4 torus (rows wrap: 3 -> 7 -> 4 are neighbours); the
    // second cycle runs on the links the first leaves.
    assert!(
        stdout(&out).contains(
            "\n# ring order (along the wiring): 0 1 2 3 7 4 5 6 10 11 8 9 13 14 15 12\n\
             # ring order 2 (links of its own): 0 3 15 11 7 6 2 14 10 9 5 1 13 12 8 4\n"
        ),
        "{}",
        stdout(&out)
    );
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--size",
        "1MiB",
        "--ring-order",
        "0,2,4,6,7,5,3,1",
        "--verify",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("JSON");
    assert_eq!(
        json["ring_order"],
        serde_json::json!([0, 2, 4, 6, 7, 5, 3, 1])
    );
    assert_eq!(json["verified"], true);
}

#[test]
fn a_ring_order_that_is_not_a_permutation_is_bad_input() {
    for (order, message) in [
        (
            "0,2,4",
            "error: ring all-reduce does not run on topology ring8: the ring order names 3 ranks, but ring8 has 8; name each rank once\n",
        ),
        (
            "0,1,2,3,4,5,6,6",
            "error: ring all-reduce does not run on topology ring8: the ring order names rank 6 twice; name each of the 8 ranks once\n",
        ),
        (
            "0,x",
            "error: --ring-order: \"x\" is not a rank; write ranks separated by commas, e.g. 0,1,3,2\n",
        ),
    ] {
        let out = kernbench(&[
            "run",
            "--topology",
            "topologies/ring8.ron",
            "--ring-order",
            order,
        ]);
        assert_eq!(out.status.code(), Some(2), "{order}");
        assert_eq!(stderr(&out), message, "{order}");
    }
}

#[test]
fn an_all_to_all_runs_verified_with_the_nccl_tests_bus_factor_and_refuses_the_tree() {
    for algorithm in ["direct", "pairwise", "ring"] {
        let out = kernbench(&[
            "run",
            "--topology",
            "topologies/torus4x4.ron",
            "--collective",
            "all-to-all",
            "--algorithm",
            algorithm,
            "--size",
            "4004B",
            "--verify",
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let json: serde_json::Value =
            serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
        assert_eq!(json["collective"], "all-to-all");
        assert_eq!(json["verified"], true);
        let (algbw, busbw) = (
            json["algbw_gbps"].as_f64().unwrap_or(0.0),
            json["busbw_gbps"].as_f64().unwrap_or(0.0),
        );
        assert!(
            algbw > 0.0 && (busbw - algbw * 15.0 / 16.0).abs() < 1e-9,
            "{json}"
        );
    }
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--collective",
        "all-to-all",
        "--algorithm",
        "tree",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: tree all-to-all does not run on topology ring8: the tree runs all-reduce, \
         broadcast and reduce; use ring, pairwise or direct for all-to-all and all-to-allv\n"
    );
}

#[test]
fn send_recv_runs_forward_backward_or_given_pairs_and_refuses_bad_ones() {
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--topology",
            "topologies/ring8.ron",
            "--collective",
            "send-recv",
            "--size",
            "1MiB",
            "--verify",
            "--json",
        ];
        args.extend_from_slice(extra);
        kernbench(&args)
    };
    for extra in [
        &[][..],
        &["--direction", "backward"],
        &["--pairs", "0:4,3:1"],
    ] {
        let out = run(extra);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {}", stderr(&out));
        let json: serde_json::Value =
            serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
        assert_eq!(
            (&json["algorithm"], &json["verified"]),
            (&"direct".into(), &true.into()),
            "{extra:?}: the default algorithm of send-recv is direct"
        );
        assert_eq!(json["algbw_gbps"], json["busbw_gbps"], "{extra:?}");
    }
    for (extra, message) in [
        (
            &["--pairs", "0:4,0:1"][..],
            "error: send-recv pairs: rank 0 sends twice; each rank sends its buffer to one peer at most\n",
        ),
        (
            &["--pairs", "0-4"],
            "error: --pairs: \"0-4\" is not a pair; write from:to ranks separated by commas, e.g. 0:5,3:1\n",
        ),
        (
            &["--direction", "sideways"],
            "error: --direction: \"sideways\" is not a direction; use forward or backward\n",
        ),
        (
            &["--pairs", "0:1", "--direction", "backward"],
            "error: --pairs names each pair's direction itself; leave out --direction\n",
        ),
    ] {
        let out = run(extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert_eq!(stderr(&out), message, "{extra:?}");
    }
    let out = kernbench(&["run", "--pairs", "0:1"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: --pairs and --direction are for --collective send-recv, not all-reduce\n"
    );
}

#[test]
fn group_flags_split_the_ranks_and_the_report_says_so() {
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/multicube2x4.ron",
        "--size",
        "16MiB",
        "--group-size",
        "2",
        "--group-stride",
        "4",
        "--verify",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(
            "# groups: 4 groups of 2 ranks 4 apart, run at once; time is the slowest group's, busbw uses 2 ranks\n"
        ),
        "{}",
        stdout(&out)
    );
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/multicube2x4.ron",
        "--size",
        "16MiB",
        "--group-size",
        "4",
        "--json",
    ]);
    let json: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    assert_eq!(
        (&json["group_size"], &json["group_stride"]),
        (&4.into(), &1.into())
    );
    for (args, message) in [
        (
            &["--group-size", "3"][..],
            "error: process group: groups of 3 ranks 1 apart need a multiple of 3 ranks; the topology has 8\n",
        ),
        (
            &["--group-stride", "4"],
            "error: --group-stride needs --group-size: the ranks per group\n",
        ),
        (
            &["--group-size", "4", "--ring-order", "0,1,2,3,4,5,6,7"],
            "error: --ring-order names every rank of the machine, so it runs without --group-size\n",
        ),
    ] {
        let mut all = vec!["run", "--topology", "topologies/multicube2x4.ron"];
        all.extend_from_slice(args);
        let out = kernbench(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&out), message, "{args:?}");
    }
}

#[test]
fn an_all_to_allv_takes_a_matrix_file_or_a_distribution_and_states_its_bytes() {
    let file = crate::common::temp_file(
        "a2av.ron",
        r#"AllToAllv(sizes: [
    ["0B", "4KiB", "1MiB", "0B"],
    ["8KiB", "0B", "4KiB", "0B"],
    ["4KiB", "4KiB", "0B", "0B"],
    ["0B", "0B", "0B", "0B"],
])"#,
    );
    let path = file.to_str().unwrap_or("");
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/mesh2x2.ron",
        "--collective",
        "all-to-allv",
        "--matrix",
        path,
        "--verify",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(
            "# all-to-allv: 1073152 B in all per group (1073152 B between ranks), largest pair 0 -> 2: 1 MiB; size is the mean per rank, busbw the bytes between ranks\n"
        ),
        "{}",
        stdout(&out)
    );
    // The mean per rank is the size column: 1073152 / 4.
    assert!(stdout(&out).contains("       268288 "), "{}", stdout(&out));
    let json = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--topology",
            "topologies/ring8.ron",
            "--collective",
            "all-to-allv",
            "--size",
            "1MiB",
            "--json",
        ];
        args.extend_from_slice(extra);
        let out = kernbench(&args);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {}", stderr(&out));
        let value: serde_json::Value =
            serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
        value["time_ps"].as_u64().unwrap_or(0)
    };
    let uniform = json(&[]);
    let all_to_all = [
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--collective",
        "all-to-all",
        "--size",
        "1MiB",
        "--json",
    ];
    let out = kernbench(&all_to_all);
    let value: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("JSON");
    assert_eq!(Some(uniform), value["time_ps"].as_u64());
    assert!(json(&["--distribution", "zipf:1.2", "--seed", "3"]) > uniform);
    for (args, message) in [
        (
            vec!["--topology", "topologies/ring8.ron", "--matrix", path],
            "error: all-to-allv sizes: the sizes are for 4 ranks, but a group has 8; give one row and column per rank\n".to_string(),
        ),
        (
            vec!["--distribution", "zipf"],
            "error: --distribution: \"zipf\" is not a distribution; use uniform or zipf:EXPONENT (e.g. zipf:1.2)\n".to_string(),
        ),
        (
            vec!["--matrix", path, "--distribution", "uniform"],
            "error: --matrix gives every size itself; leave out --distribution\n".to_string(),
        ),
    ] {
        let mut all = vec!["run", "--collective", "all-to-allv"];
        all.extend_from_slice(&args);
        let out = kernbench(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&out), message, "{args:?}");
    }
    let bad = crate::common::temp_file(
        "a2av-bad.ron",
        r#"AllToAllv(sizes: [["0B", "4KB"], ["3B", "0B"]])"#,
    );
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/default.ron",
        "--collective",
        "all-to-allv",
        "--matrix",
        bad.to_str().unwrap_or(""),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: {}: sizes: the size from rank 1 to rank 0, 3 B, is not a whole number of 4-byte f32s\n",
            bad.display()
        )
    );
}

#[test]
fn a_negative_size_is_a_size_error_and_refusals_name_algorithms_that_run_the_collective() {
    let out = kernbench(&["run", "--size", "-5"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: --size: \"-5\" is not a valid size: negative values are not allowed; write a number followed by one of B, KB, MB, GB, TB, KiB, MiB, GiB, TiB (for example \"64KiB\")\n"
    );
    // Mesh on several cubes for a reduce-scatter: hierarchical does not run it, so the hint
    // is not hierarchical.
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/multicube2x4.ron",
        "--collective",
        "reduce-scatter",
        "--algorithm",
        "mesh",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: mesh reduce-scatter does not run on topology multicube2x4: mesh runs all-reduce only, not reduce-scatter; use ring, halving-doubling or direct\n"
    );
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--collective",
        "broadcast",
        "--algorithm",
        "hierarchical",
    ]);
    assert_eq!(
        stderr(&out),
        "error: hierarchical broadcast does not run on topology ring8: hierarchical runs all-reduce and the all-to-alls only, not broadcast; use tree or direct\n"
    );
}

#[test]
fn run_names_its_network_model_and_refuses_an_unknown_one() {
    let out = kernbench(&["run", "--size", "1MiB", "--model", "flow"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out)
            .lines()
            .next()
            .unwrap_or_default()
            .ends_with(", flow model"),
        "{}",
        stdout(&out)
    );
    let json = kernbench(&["run", "--size", "1MiB", "--model", "flow", "--json"]);
    assert!(
        stdout(&json).contains(r#""model":"flow""#),
        "{}",
        stdout(&json)
    );
    let packet = kernbench(&["run", "--size", "1MiB", "--json"]);
    assert!(
        stdout(&packet).contains(r#""model":"packet""#),
        "{}",
        stdout(&packet)
    );
    let bad = kernbench(&["run", "--model", "bogus"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains(
            "--model: \"bogus\" is not a network model; write packet (exact) or flow (fast)"
        ),
        "{}",
        stderr(&bad)
    );
    assert!(!stderr(&bad).contains("panicked"), "{}", stderr(&bad));
}
