//! End-to-end tests of `kernbench diagnose` on the bundled scenarios.

mod common;

use common::{kernbench, stderr, stdout, temp_file};

const DIR: &str = "topologies/scenarios";

fn diagnose(scenario: &str, extra: &[&str]) -> std::process::Output {
    let path = format!("{DIR}/{scenario}.scenario.ron");
    let mut args = vec!["diagnose", path.as_str()];
    args.extend_from_slice(extra);
    kernbench(&args)
}

#[test]
fn recv_before_send_on_two_pes_reports_both_blocked_receives_and_the_cycle() {
    let out = diagnose("recv-before-send", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "scenario recv-before-send: recv-before-send of 4 KiB on 2 PEs of ring8 c0.s0, IPCQ depth 2\n\
         DEADLOCK at 0 ps: 2 processes blocked and nothing left on the calendar (2 events)\n\
         blocked receives (2):\n\
         \x20 recv c0.s0.p0 <- c0.s0.p1 (4 KiB) waiting since 0 ps, in c0.s0.p0:recv-before-send\n\
         \x20 recv c0.s0.p1 <- c0.s0.p0 (4 KiB) waiting since 0 ps, in c0.s0.p1:recv-before-send\n\
         blocked sends: none\n\
         other waits: none\n\
         wait-for cycles (1):\n\
         \x20 c0.s0.p0:recv-before-send -> c0.s0.p1:recv-before-send -> c0.s0.p0:recv-before-send\n\
         finished: none\n\
         last transfers before the stall: none\n"
    );
    assert_eq!(stderr(&out), "error: the run deadlocked (report above)\n");
}

#[test]
fn recv_before_send_on_a_ring_reports_four_receives_and_one_cycle_through_all() {
    let out = diagnose("ring-recv-before-send", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    let receives: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("blocked receives"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(
        receives,
        [
            "  recv c0.s0.p0 <- c0.s0.p3 (4 KiB) waiting since 0 ps, in c0.s0.p0:recv-before-send",
            "  recv c0.s0.p1 <- c0.s0.p0 (4 KiB) waiting since 0 ps, in c0.s0.p1:recv-before-send",
            "  recv c0.s0.p2 <- c0.s0.p1 (4 KiB) waiting since 0 ps, in c0.s0.p2:recv-before-send",
            "  recv c0.s0.p3 <- c0.s0.p2 (4 KiB) waiting since 0 ps, in c0.s0.p3:recv-before-send",
        ]
    );
    assert!(
        text.contains(
            "wait-for cycles (1):\n  c0.s0.p0:recv-before-send -> c0.s0.p3:recv-before-send -> \
             c0.s0.p2:recv-before-send -> c0.s0.p1:recv-before-send -> c0.s0.p0:recv-before-send\n"
        ),
        "{text}"
    );
}

#[test]
fn a_send_first_ring_deadlocks_at_depth_zero_in_its_sends() {
    let out = diagnose("ring-send-first-depth0", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("DEADLOCK at 21.288 ns: 4 processes blocked"),
        "{text}"
    );
    assert!(
        text.contains("blocked receives: none\nblocked sends (4):\n"),
        "{text}"
    );
    assert!(
        text.contains("  send c0.s0.p0 -> c0.s0.p1 (4 KiB, tag 0) waiting since 21.288 ns, in c0.s0.p0:send-then-recv\n"),
        "{text}"
    );
    assert!(
        text.contains("  c0.s0.p0:send-then-recv -> c0.s0.p1:send-then-recv -> c0.s0.p2:send-then-recv -> c0.s0.p3:send-then-recv -> c0.s0.p0:send-then-recv\n"),
        "{text}"
    );
    // The transfers before the stall: each PE's data reached its neighbour's TCM.
    assert!(
        text.contains("last transfers before the stall (4):\n  4 KiB c0.s0.p0.tcm -> c0.s0.p1.tcm, 0 ps to 19.288 ns\n"),
        "{text}"
    );
}

#[test]
fn the_same_ring_at_depth_one_completes_and_exits_zero() {
    let out = diagnose("ring-send-first-depth1", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "scenario ring-send-first-depth1: send-then-recv of 4 KiB on the PEs of ring8 c0.s0, IPCQ depth 1\n\
         completed at 21.288 ns (17 events): no stall\n"
    );
}

#[test]
fn min_depth_of_the_send_first_ring_is_one() {
    let out = diagnose("ring-send-first-depth0", &["--min-depth"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "scenario ring-send-first-depth0: send-then-recv of 4 KiB on the PEs of ring8 c0.s0, IPCQ depth 0\n\
         smallest IPCQ depth that completes: 1 (run time 21.288 ns)\n\
         at a generous depth of 64: run time 21.288 ns\n"
    );
    let out = diagnose("ring-send-first-depth0", &["--min-depth", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["min_depth"], 1);
    assert_eq!(json["time_ps"], 21_288);
    assert_eq!(json["generous_depth"], 64);
}

#[test]
fn min_depth_refuses_a_collective() {
    let out = diagnose("healthy-ring-all-reduce", &["--min-depth"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--min-depth searches the IPCQ depth of a PE program"));
}

#[test]
fn a_ring_all_reduce_with_a_peer_off_by_one_leaves_rank3_waiting_for_rank2_from_the_start() {
    let out = diagnose("ring-peer-off-by-one", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("DEADLOCK at 8.444 us: 16 processes blocked"),
        "{text}"
    );
    assert!(
        text.contains("  recv rank3 <- rank2 (all-reduce#0, channel 0) waiting since 0 ps, in rank3 all-reduce#0 ring\n"),
        "{text}"
    );
    assert_eq!(text.matches("  recv rank").count(), 8, "{text}");
    // One cycle round the whole ring, through each rank and its collective process.
    assert!(
        text.contains("wait-for cycles (1):\n  rank0 -> rank0 all-reduce#0 ring -> rank7 -> "),
        "{text}"
    );
    // Rank 2's messages went to rank 4.
    assert!(text.contains("KiB c0.s2.hbm -> c0.s4.hbm"), "{text}");
}

#[test]
fn a_tree_whose_rank3_never_joins_shows_rank3_finished_and_its_parent_waiting() {
    let out = diagnose("tree-rank3-never-joins", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("  recv rank1 <- rank3 (all-reduce#0, channel 0) waiting since 0 ps, in rank1 all-reduce#0 tree\n"),
        "{text}"
    );
    assert!(
        text.contains("  recv rank7 <- rank3 (all-reduce#0, channel 1) waiting since 0 ps, in rank7 tree down\n"),
        "{text}"
    );
    assert!(text.contains("finished (6):\n  rank3\n"), "{text}");
    // Everybody waits, directly or not, on a process that has finished: a chain, no cycle.
    assert!(text.contains("wait-for cycles: none\n"), "{text}");
}

#[test]
fn a_healthy_run_prints_its_completion_time_and_exits_zero() {
    let out = diagnose("healthy-ring-all-reduce", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "scenario healthy-ring-all-reduce: all-reduce ring of 1 MiB in hbm on ring8 (8 ranks)\n\
         completed at 31.433 us (14528 events): no stall\n"
    );
}

#[test]
fn a_time_bound_on_the_command_line_stops_a_healthy_run_with_exit_four() {
    let out = diagnose("healthy-ring-all-reduce", &["--time-bound", "10us"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("TIME BOUND 10 us passed with "), "{text}");
    assert!(text.contains("blocked receives ("), "{text}");
    assert_eq!(
        stderr(&out),
        "error: the run stalled before finishing (report above)\n"
    );
}

#[test]
fn a_polling_livelock_stops_with_exit_four_and_names_the_poller() {
    let out = diagnose("poll-livelock", &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("LIVELOCK at 4.999 ms: 100000 events without a transfer or a packet moving"),
        "{text}"
    );
    assert!(
        text.contains(
            "  recv c0.s0.p1 <- c0.s0.p0 (4 KiB) waiting since 0 ps, in c0.s0.p1:poll-flag\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "other waits (1):\n  poll c0.s0.p0 for a flag set by c0.s0.p1 waiting since 4.999 ms"
        ),
        "{text}"
    );
}

#[test]
fn json_gives_the_same_report_as_data_and_dot_writes_the_wait_for_graph() {
    let dot = temp_file("waits.dot", "");
    let dot_arg = dot.to_string_lossy().into_owned();
    let out = diagnose("recv-before-send", &["--json", "--dot", &dot_arg]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["scenario"], "recv-before-send");
    let diagnosis = &json["diagnosis"];
    assert_eq!(diagnosis["outcome"], "stalled");
    assert_eq!(diagnosis["kind"]["kind"], "deadlock");
    let waits = &diagnosis["report"]["blocked"][0]["waits"][0];
    assert_eq!(waits["label"], "recv c0.s0.p0 <- c0.s0.p1 (4 KiB)");
    assert_eq!(waits["since"], 0);
    assert_eq!(
        diagnosis["report"]["cycles"][0][1]["name"],
        "c0.s0.p1:recv-before-send"
    );
    let graph = std::fs::read_to_string(&dot).expect("the dot file");
    assert!(graph.contains("digraph \"recv-before-send\" {"), "{graph}");
    assert!(
        graph.contains(
            "  \"c0.s0.p0:recv-before-send\" -> \"c0.s0.p1:recv-before-send\" [color=red];"
        ),
        "{graph}"
    );
    let _ = std::fs::remove_file(&dot);
}

#[test]
fn validate_accepts_every_bundled_scenario_and_names_a_bad_field() {
    let files: Vec<String> = std::fs::read_dir(DIR)
        .expect("the scenarios folder")
        .map(|e| e.expect("an entry").path().to_string_lossy().into_owned())
        .collect();
    assert!(files.len() >= 7);
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let out = kernbench(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).matches("ok: ").count(), files.len());

    let bad = temp_file(
        "bad.scenario.ron",
        "Scenario(name: \"x\", topology: \"../nope.ron\", program: PollFlag, size: \"4KiB\", colour: 1)",
    );
    let out = kernbench(&["validate", &bad.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("colour"), "{}", stderr(&out));
    let _ = std::fs::remove_file(&bad);
}

#[test]
fn a_cut_link_leaves_the_sender_waiting_on_the_lost_packet_and_names_the_link() {
    let out = diagnose("ring-cut-link", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("  recv rank3 <- rank2 (all-reduce#0, channel 0) waiting since 0 ps, in rank3 all-reduce#0 ring\n"),
        "{text}"
    );
    assert!(
        text.contains("  wait on event a packet of c0.s2.hbm -> c0.s3.hbm lost on cut link c0.s2.hub -> c0.s3.hub waiting since 201.28 ns, in rank2 send all-reduce#0 -> rank3\n"),
        "{text}"
    );
}

#[test]
fn cutting_a_link_that_does_not_exist_is_bad_input() {
    let path = temp_file(
        "nolink.scenario.ron",
        &std::fs::read_to_string(format!("{DIR}/ring-cut-link.scenario.ron"))
            .unwrap_or_default()
            .replace(
                "../ring8.ron",
                &format!("{}/topologies/ring8.ron", env!("CARGO_MANIFEST_DIR")),
            )
            .replace("c0.s3.hub", "c0.s5.hub"),
    );
    let out = kernbench(&["diagnose", path.to_str().unwrap_or("")]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("topology ring8 has no link c0.s2.hub -> c0.s5.hub"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn per_rank_overrides_change_one_ranks_buffer() {
    let scenario = |overrides: &str| {
        format!(
            r#"Scenario(
                name: "override",
                topology: "{}/topologies/ring8.ron",
                program: Collective(collective: "all-reduce", algorithm: "ring"),
                size: "4MiB",
                memory: "hbm",
                overrides: [{overrides}],
            )"#,
            env!("CARGO_MANIFEST_DIR")
        )
    };
    let run = |name: &str, overrides: &str| {
        let path = temp_file(name, &scenario(overrides));
        kernbench(&["diagnose", path.to_str().unwrap_or("")])
    };
    // Rank 5's buffer in TCM instead of HBM: a different memory at one end of two links,
    // so the run completes at another time.
    let same = run("same.scenario.ron", "");
    let tcm = run("tcm.scenario.ron", r#"(rank: 5, memory: "tcm")"#);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    assert_eq!(tcm.status.code(), Some(0), "{}", stderr(&tcm));
    assert_ne!(stdout(&same), stdout(&tcm));
    // Rank 5 with half the buffer: its messages name bytes its peers' buffers do not have
    // where they land, so the run stops with the range error rather than hang.
    let half = run("half.scenario.ron", r#"(rank: 5, size: "2MiB")"#);
    assert_eq!(half.status.code(), Some(2), "{}", stdout(&half));
    assert!(stderr(&half).contains("c0.s5"), "{}", stderr(&half));
    let bad = run("badrank.scenario.ron", r#"(rank: 9, size: "2MiB")"#);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad)
            .contains("a fault or override names rank 9, but the world has 8 ranks; use 0..8"),
        "{}",
        stderr(&bad)
    );
}
