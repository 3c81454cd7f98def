//! End-to-end tests of `kernbench diagnose` on the bundled scenarios.

use crate::common::{kernbench, stderr, stdout, temp_file};

const DIR: &str = "topologies/scenarios";

fn diagnose(scenario: &str, extra: &[&str]) -> std::process::Output {
    let path = format!("{DIR}/{scenario}.scenario.ron");
    let mut args = vec!["diagnose", path.as_str()];
    args.extend_from_slice(extra);
    kernbench(&args)
}

/// The likely cause a stalled run's report gives, which must be its third line: after the
/// scenario and the kind of stall, before any detail.
fn cause(text: &str) -> &str {
    let line = text.lines().nth(2).unwrap_or("");
    line.strip_prefix("likely cause: ")
        .unwrap_or_else(|| panic!("the third line is not the likely cause:\n{text}"))
}

#[test]
fn recv_before_send_on_two_pes_reports_both_blocked_receives_and_the_cycle() {
    let out = diagnose("recv-before-send", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "scenario recv-before-send: recv-before-send of 4 KiB on 2 PEs of ring8 c0.s0, IPCQ depth 2\n\
         DEADLOCK at 0 ps: 2 processes blocked and nothing left on the calendar (2 events)\n\
         likely cause: a cycle of receives before sends: c0.s0.p0 and c0.s0.p1 each wait to receive from the next before they send (2-cycle).\n\
         blocked receives (2):\n\
         \x20 recv c0.s0.p0 <- c0.s0.p1 (4 KiB) waiting since 0 ps, in c0.s0.p0:recv-before-send\n\
         \x20 recv c0.s0.p1 <- c0.s0.p0 (4 KiB) waiting since 0 ps, in c0.s0.p1:recv-before-send\n\
         blocked sends: none\n\
         other waits: none\n\
         unmatched messages: none\n\
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
    // Four processes: short enough to read in full.
    assert!(
        text.contains(
            "wait-for cycles (1):\n  c0.s0.p0:recv-before-send -> c0.s0.p3:recv-before-send -> \
             c0.s0.p2:recv-before-send -> c0.s0.p1:recv-before-send -> c0.s0.p0:recv-before-send\n"
        ),
        "{text}"
    );
    assert_eq!(
        cause(&text),
        "a cycle of receives before sends: PEs c0.s0.p3..p0 each wait to receive from the next before they send (4-cycle)."
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
    // Each message arrived, and waits with its blocked send for a receiver.
    assert!(
        text.contains("unmatched messages (4):\n  c0.s0.p0 -> c0.s0.p1 (tag 0, 4 KiB), sent 0 ps, arrived 21.288 ns, never received\n"),
        "{text}"
    );
    // The cause, with the depth `--min-depth` finds.
    assert_eq!(
        cause(&text),
        "send-first on a zero-depth IPCQ: every waiting PE sends before it receives, and at depth 0 each send waits for a receiver that is itself sending; the smallest IPCQ depth that completes is 1."
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
fn min_depth_of_the_send_first_ring_is_one_as_the_report_of_depth_zero_says() {
    let out = diagnose("ring-send-first-depth0", &["--min-depth"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "scenario ring-send-first-depth0: send-then-recv of 4 KiB on the PEs of ring8 c0.s0, IPCQ depth 0 in the file\n\
         smallest IPCQ depth that completes: 1 (run time 21.288 ns)\n\
         at a generous depth of 64: run time 21.288 ns\n"
    );
    // The report of the file's depth gives the depth the search found.
    let report = stdout(&diagnose("ring-send-first-depth0", &[]));
    assert!(
        cause(&report).ends_with("; the smallest IPCQ depth that completes is 1."),
        "{report}"
    );
    // At that depth it completes, and one less (the file's) it stalls.
    let depth1 = stdout(&diagnose("ring-send-first-depth1", &[]));
    assert!(
        depth1.contains("IPCQ depth 1\ncompleted at 21.288 ns"),
        "{depth1}"
    );
    let out = diagnose("ring-send-first-depth0", &["--min-depth", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["min_depth"], 1);
    assert_eq!(json["time_ps"], 21_288);
    assert_eq!(json["generous_depth"], 64);
}

#[test]
fn min_depth_that_finds_no_depth_shows_the_report_of_the_depth_it_names() {
    let out = diagnose("recv-before-send", &["--min-depth"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    // The report under "at depth 1024" is headed by depth 1024, not the file's depth 2.
    assert!(
        text.starts_with(
            "no IPCQ depth up to 1024 lets recv-before-send complete; at depth 1024:\n\
             scenario recv-before-send: recv-before-send of 4 KiB on 2 PEs of ring8 c0.s0, IPCQ depth 1024\n\
             DEADLOCK at 0 ps: 2 processes blocked"
        ),
        "{text}"
    );
    assert!(!text.contains("IPCQ depth 2"), "{text}");
    // As data: the depth of the diagnosis is the one tried last, and none completes.
    let out = diagnose("recv-before-send", &["--min-depth", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["min_depth"], serde_json::Value::Null);
    assert_eq!(json["ipcq_depth"], 1024);
    assert_eq!(json["diagnosis"]["cause"]["class"], "receive_cycle");
    // The cause beneath is the one of depth 1024: no depth helps a cycle of receives.
    assert_eq!(
        text.lines().nth(3),
        Some(
            "likely cause: a cycle of receives before sends: c0.s0.p0 and c0.s0.p1 each wait to receive from the next before they send (2-cycle)."
        ),
        "{text}"
    );
    // A livelock at every depth is a stall (exit 4), reported the same way.
    let out = diagnose(
        "poll-livelock",
        &["--min-depth", "--livelock-events", "20000"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "no IPCQ depth up to 1024 lets poll-livelock complete; at depth 1024:\n\
             scenario poll-livelock: poll-flag of 4 KiB on 2 PEs of ring8 c0.s0, IPCQ depth 1024\n\
             LIVELOCK at "
        ),
        "{text}"
    );
    assert_eq!(
        stderr(&out),
        "error: the run stalled at every IPCQ depth up to 1024 (report of depth 1024 above)\n"
    );
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
        text.contains("DEADLOCK at 8.103 us: 24 processes blocked"),
        "{text}"
    );
    assert!(
        text.contains("  recv rank3 <- rank2 (all-reduce#0, channel 0) waiting since 0 ps, in rank3 all-reduce#0 ring\n"),
        "{text}"
    );
    // Both channels' rings (one per direction of ring8's links) wait.
    assert_eq!(text.matches("  recv rank").count(), 16, "{text}");
    // One cycle round the whole ring, through each rank and its collective process, written
    // short.
    assert!(
        text.contains(
            "wait-for cycles (1):\n  ranks 7..0, each waiting on the next: 8-cycle (16 processes)\n"
        ),
        "{text}"
    );
    // Rank 2's messages went to rank 4, and the report says so everywhere.
    assert!(text.contains("KiB c0.s2.hbm -> c0.s4.hbm"), "{text}");
    assert!(
        text.contains("  rank2 send all-reduce#0 -> rank4 (x8)\n"),
        "{text}"
    );
    assert!(!text.contains("rank2 send all-reduce#0 -> rank3"), "{text}");
    // The cause first; beside rank 3's receive, the message it waits for, gone to rank 4.
    assert_eq!(
        cause(&text),
        "a send to the wrong peer: rank2's message on channel 0 went to rank4, while rank3 waits for it (1 more receive waits for a message sent elsewhere)."
    );
    assert!(
        text.contains(
            "  recv rank3 <- rank2 (all-reduce#0, channel 0) waiting since 0 ps, in rank3 all-reduce#0 ring\n\
             \x20   rank3 waits for rank2 (channel 0); rank2's message went to rank4 (channel 0, 4 KiB, arrived 1.484 us, never received)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "unmatched messages (16):\n  rank2 -> rank4 (all-reduce#0, channel 0, 4 KiB, addressed to rank3), sent 0 ps, arrived 1.484 us, never received\n"
        ),
        "{text}"
    );
}

#[test]
fn a_wait_for_cycle_round_32_ranks_reads_as_one_short_line() {
    // ring8 with 32 SIPs, and rank 2's peer off by one: one cycle through 64 processes,
    // which used to print as one line of 1,203 characters.
    let ring8 = std::fs::read_to_string(format!(
        "{}/topologies/ring8.ron",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_default();
    let ring32 = temp_file("ring32.ron", &ring8.replace("per_cube: 8", "per_cube: 32"));
    let scenario = temp_file(
        "ring32-off-by-one.scenario.ron",
        &format!(
            r#"Scenario(name: "ring32", topology: "{}", {RING}, faults: [PeerOffByOne(rank: 2)])"#,
            ring32.display()
        ),
    );
    let out = kernbench(&["diagnose", scenario.to_str().unwrap_or("")]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "wait-for cycles (1):\n  ranks 31..0, each waiting on the next: 32-cycle (64 processes)\n"
        ),
        "{text}"
    );
    assert!(
        text.lines().all(|l| l.chars().count() < 200),
        "a line of 200 characters or more:\n{text}"
    );
    // The JSON keeps all 64.
    let out = kernbench(&["diagnose", scenario.to_str().unwrap_or(""), "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(
        json["diagnosis"]["report"]["cycles"][0]
            .as_array()
            .map(Vec::len),
        Some(64)
    );
    let _ = std::fs::remove_file(&scenario);
    let _ = std::fs::remove_file(&ring32);
}

#[test]
fn json_keeps_every_process_of_a_cycle_the_text_writes_short() {
    let out = diagnose("ring-peer-off-by-one", &["--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let diagnosis = &json["diagnosis"];
    let cycle: Vec<&str> = diagnosis["report"]["cycles"][0]
        .as_array()
        .expect("a cycle")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(cycle.len(), 16);
    assert_eq!(cycle[..3], ["rank0", "rank0 all-reduce#0 ring", "rank7"]);
    assert_eq!(diagnosis["cause"]["class"], "wrong_peer");
    assert_eq!(diagnosis["cause"]["sender"], "rank2");
    assert_eq!(diagnosis["unmatched"].as_array().map(Vec::len), Some(16));
    let first = &diagnosis["unmatched"][0];
    assert_eq!(first["addressed_to"], "rank3");
    assert_eq!(
        (
            &first["from"],
            &first["to"],
            &first["tag"],
            &first["arrived"]
        ),
        (
            &serde_json::json!("rank2"),
            &serde_json::json!("rank4"),
            &serde_json::json!(0),
            &serde_json::json!(1_484_480)
        )
    );
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
    assert_eq!(
        cause(&text),
        "a rank that finished early: rank3 had finished (it never joined, or returned early) while rank1 and rank7 wait to receive from it."
    );
    // Rank 7's partial sum reached rank 3, which never took it.
    assert!(
        text.contains("  rank7 -> rank3 (all-reduce#0, channel 0, 64 KiB), sent 0 ps, arrived 3.18 us, never received\n"),
        "{text}"
    );
}

/// Runs a bundled scenario that must deadlock and returns its likely cause.
fn deadlock_cause(scenario: &str) -> String {
    let out = diagnose(scenario, &[]);
    assert_eq!(out.status.code(), Some(3), "{scenario}: {}", stderr(&out));
    cause(&stdout(&out)).to_string()
}

#[test]
fn a_wrong_peer_is_named_as_the_cause_with_where_the_message_went() {
    assert_eq!(
        deadlock_cause("ring-wrong-peer"),
        "a send to the wrong peer: rank2's message on channel 0 went to rank5, while rank3 waits for it."
    );
}

#[test]
fn a_wrong_source_is_named_as_the_cause_with_the_message_left_unreceived() {
    assert_eq!(
        deadlock_cause("ring-wrong-source"),
        "a receive from the wrong peer: rank3 waits for rank5 on channel 0, while rank2's message to it on channel 0 was never received."
    );
}

#[test]
fn a_wrong_tag_is_named_as_the_cause_with_both_tags() {
    assert_eq!(
        deadlock_cause("ring-wrong-tag"),
        "a message with the wrong tag: rank3 waits for rank2 on channel 0, but rank2's message to it came on channel 1."
    );
}

#[test]
fn a_skipped_step_is_named_as_the_cause_with_the_message_that_came_after_it() {
    let out = diagnose("ring-skips-step", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        cause(&text),
        "a skipped send: rank3 waits for rank2 on channel 2, which rank2 never sent, though its message on channel 3 came."
    );
    // Channels 0 and 1 went through; channel 2 was never sent, so nothing of it is listed.
    assert!(
        text.contains(
            "unmatched messages (7):\n  rank2 -> rank3 (all-reduce#0, channel 3, 4 KiB), "
        ),
        "{text}"
    );
}

#[test]
fn an_all_to_all_that_skips_a_peer_names_the_missing_message_and_the_ones_waiting() {
    let out = diagnose("all-to-all-skips-peer", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        cause(&text),
        "a skipped peer: rank2 finished after sending 6 messages to others but none to rank4, which waits to receive from it."
    );
    assert!(
        text.contains(
            "  recv rank4 <- rank2 (all-to-all#0, channel 0) waiting since 2.57 us, in rank4 all-to-all#0 direct\n    rank4 waits for rank2 (channel 0); rank3's message to it is there (channel 0, 4 KiB, arrived 947.36 ns, never received)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("unmatched messages (4):\n  rank3 -> rank4 (all-to-all#0, channel 0, 4 KiB), sent 0 ps, arrived 947.36 ns, never received\n"),
        "{text}"
    );
}

#[test]
fn a_message_that_reads_two_ways_where_tags_repeat_gives_both_readings() {
    // A tree sends every message up on channel 0 and down on channel 1: rank 2's message up
    // on channel 1 is a wrong tag to rank 0, and to rank 5 (its child, waiting for channel 1)
    // a message sent to the wrong peer.
    let path = temp_file(
        "tree-wrong-tag.scenario.ron",
        &format!(
            r#"Scenario(name: "tree-wrong-tag", topology: "{}/topologies/ring8.ron", program: Collective(collective: "all-reduce", algorithm: "tree"), size: "64KiB", faults: [WrongTag(rank: 2, off_by: 1)])"#,
            env!("CARGO_MANIFEST_DIR")
        ),
    );
    let out = kernbench(&["diagnose", path.to_str().unwrap_or("")]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        cause(&stdout(&out)),
        "a message with the wrong tag: rank0 waits for rank2 on channel 0, but rank2's message to it came on channel 1; or else a send to the wrong peer: rank2's message on channel 1 went to rank0, while rank5 waits for it."
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
fn every_class_of_cause_has_a_bundled_scenario() {
    // (scenario, exit code, how its cause begins)
    let classes = [
        ("tree-rank3-never-joins", 3, "a rank that finished early: "),
        ("ring-peer-off-by-one", 3, "a send to the wrong peer: "),
        ("ring-wrong-peer", 3, "a send to the wrong peer: "),
        ("ring-wrong-source", 3, "a receive from the wrong peer: "),
        ("ring-wrong-tag", 3, "a message with the wrong tag: "),
        ("ring-skips-step", 3, "a skipped send: "),
        ("all-to-all-skips-peer", 3, "a skipped peer: "),
        (
            "ring-send-first-depth0",
            3,
            "send-first on a zero-depth IPCQ: ",
        ),
        ("ring-cut-link", 3, "a cut link: "),
        ("recv-before-send", 3, "a cycle of receives before sends: "),
        (
            "ring-recv-before-send",
            3,
            "a cycle of receives before sends: ",
        ),
        ("poll-livelock", 4, "a livelock: "),
    ];
    for (scenario, code, class) in classes {
        let out = diagnose(scenario, &[]);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{scenario}: {}",
            stderr(&out)
        );
        let text = stdout(&out);
        assert!(cause(&text).starts_with(class), "{scenario}:\n{text}");
    }
}

#[test]
fn a_healthy_run_prints_its_completion_time_and_exits_zero() {
    let out = diagnose("healthy-ring-all-reduce", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "scenario healthy-ring-all-reduce: all-reduce ring of 1 MiB in hbm on ring8 (8 ranks)\n\
         completed at 22.052 us (14712 events): no stall\n"
    );
}

#[test]
fn a_time_bound_on_the_command_line_stops_a_healthy_run_with_exit_four() {
    let out = diagnose("healthy-ring-all-reduce", &["--time-bound", "10us"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("TIME BOUND 10 us passed with "), "{text}");
    assert_eq!(
        cause(&text),
        "none yet: the run was still moving when it passed its time bound of 10 us; raise time_bound (or --time-bound) if it is only slow."
    );
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
    assert_eq!(
        cause(&text),
        "a livelock: for 100000 events nothing moved while c0.s0.p0 kept waking (poll c0.s0.p0 for a flag set by c0.s0.p1)."
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

/// The complete events (`"ph": "X"`) of a Chrome trace file.
fn trace_events(path: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).expect("the trace file");
    let json: serde_json::Value = serde_json::from_str(&text).expect("the trace is JSON");
    json["traceEvents"]
        .as_array()
        .expect("traceEvents")
        .iter()
        .filter(|e| e["ph"] == "X")
        .cloned()
        .collect()
}

#[test]
fn trace_draws_the_run_up_to_the_stall_and_every_blocked_wait_open_to_its_end() {
    let trace = temp_file("stalled.trace.json", "");
    let trace_arg = trace.to_string_lossy().into_owned();
    let out = diagnose("ring-peer-off-by-one", &["--trace", &trace_arg]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let events = trace_events(&trace);
    let end =
        |e: &serde_json::Value| e["ts"].as_f64().unwrap_or(0.0) + e["dur"].as_f64().unwrap_or(0.0);
    // The stall is at 8.10312 us: every blocked wait runs to it, nothing else past it.
    let (blocked, moved): (Vec<_>, Vec<_>) = events.iter().partition(|e| e["cat"] == "blocked");
    assert_eq!(blocked.len(), 24);
    assert!(blocked.iter().all(|e| (end(e) - 8.10312).abs() < 1e-9));
    assert!(moved.iter().all(|e| end(e) <= 8.10312 + 1e-9));
    assert!(
        moved
            .iter()
            .any(|e| e["cat"] == "link" && e["name"] == "c0.s2.hbm -> c0.s4.hbm")
    );
    // Rank 3's receive, on rank 3's track, from the start, naming what it waits for.
    let rank3 = blocked
        .iter()
        .find(|e| e["name"] == "recv rank3 <- rank2 (all-reduce#0, channel 0)")
        .expect("rank 3's blocked receive");
    assert_eq!((&rank3["pid"], &rank3["ts"]), (&2.into(), &0.into()));
    // Its thread is one of rank 3's: the rank's own track or one of its lanes.
    let text = std::fs::read_to_string(&trace).expect("the trace file");
    let all: serde_json::Value = serde_json::from_str(&text).expect("the trace is JSON");
    let thread = all["traceEvents"]
        .as_array()
        .expect("traceEvents")
        .iter()
        .find(|e| {
            e["ph"] == "M"
                && e["name"] == "thread_name"
                && e["pid"] == 2
                && e["tid"] == rank3["tid"]
        })
        .and_then(|e| e["args"]["name"].as_str())
        .unwrap_or("");
    assert!(
        thread == "rank 3" || thread.starts_with("rank 3 lane"),
        "{thread}"
    );
    assert_eq!(rank3["args"]["waits_for"], "rank2");
    assert_eq!(rank3["args"]["process"], "rank3 all-reduce#0 ring");
    assert_eq!(
        rank3["args"]["nearest_unmatched"],
        "rank3 waits for rank2 (channel 0); rank2's message went to rank4 (channel 0, 4 KiB, arrived 1.484 us, never received)"
    );
    // A run that completes draws its timeline and no blocked wait.
    let out = diagnose("healthy-ring-all-reduce", &["--trace", &trace_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = trace_events(&trace);
    assert!(events.iter().any(|e| e["cat"] == "link"));
    assert!(!events.iter().any(|e| e["cat"] == "blocked"));
    let _ = std::fs::remove_file(&trace);
}

#[test]
fn a_trace_file_that_cannot_be_written_is_bad_input() {
    let out = diagnose(
        "recv-before-send",
        &["--trace", "/nonexistent-dir/trace.json"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).starts_with("error: --trace: "),
        "{}",
        stderr(&out)
    );
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
    assert_eq!(
        cause(&text),
        "a cut link: c0.s2.hub -> c0.s3.hub lost 8 packets from 201.28 ns on, so rank2's messages to rank3 never arrive, and rank3 waits for them."
    );
    assert!(
        text.contains("    rank3 waits for rank2 (channel 0); rank2's message is still in flight (channel 0, 4 KiB, sent 0 ps, never arrived)\n"),
        "{text}"
    );
    assert!(
        text.contains("unmatched messages (8):\n  rank2 -> rank3 (all-reduce#0, channel 0, 4 KiB), sent 0 ps, never arrived (in flight)\n"),
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
    // The run's refusal names the scenario file, as the loader's do.
    let file = temp_file("half.scenario.ron", &scenario(r#"(rank: 5, size: "2MiB")"#));
    assert!(
        stderr(&half).starts_with(&format!("error: {}: ", file.display())),
        "{}",
        stderr(&half)
    );
    let bad = run("badrank.scenario.ron", r#"(rank: 9, size: "2MiB")"#);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad)
            .contains("a fault or override names rank 9, but the world has 8 ranks; use 0..8"),
        "{}",
        stderr(&bad)
    );
}

/// Writes a scenario on ring8 whose fields after `topology` are `fields` (all on line 1), and
/// checks that `validate` and `diagnose` both refuse it with exit 2 and exactly
/// `error: FILE:1: {message}`.
fn refused_by_validate_and_diagnose(name: &str, fields: &str, message: &str) {
    let text = format!(
        "Scenario(name: \"{name}\", topology: \"{}/topologies/ring8.ron\", {fields})",
        env!("CARGO_MANIFEST_DIR")
    );
    let path = temp_file(&format!("{name}.scenario.ron"), &text);
    let file = path.to_string_lossy().into_owned();
    for command in ["validate", "diagnose"] {
        let out = kernbench(&[command, &file]);
        assert_eq!(out.status.code(), Some(2), "{command}: {}", stdout(&out));
        assert_eq!(
            stderr(&out),
            format!("error: {file}:1: {message}\n"),
            "{command}"
        );
        assert_eq!(stdout(&out), "", "{command}");
    }
    let _ = std::fs::remove_file(&path);
}

const RING: &str =
    r#"program: Collective(collective: "all-reduce", algorithm: "ring"), size: "64KiB""#;

#[test]
fn an_override_of_a_rank_outside_the_world_is_refused_at_its_place() {
    refused_by_validate_and_diagnose(
        "override-rank8",
        &format!(r#"{RING}, overrides: [(rank: 1, size: "32KiB"), (rank: 8, size: "2MiB")]"#),
        "overrides[1]: a fault or override names rank 8, but the world has 8 ranks; use 0..8",
    );
}

#[test]
fn zero_pes_are_refused_with_the_range_to_use() {
    refused_by_validate_and_diagnose(
        "pes0",
        r#"program: RecvBeforeSend, size: "4KiB", pes: 0"#,
        "pes: recv-before-send PE program does not run on topology ring8: it asks for 0 PEs; c0.s0 has 4: use 1 to 4",
    );
}

#[test]
fn more_pes_than_the_sip_has_are_refused_with_the_range_to_use() {
    refused_by_validate_and_diagnose(
        "pes99",
        r#"program: RecvBeforeSend, size: "4KiB", pes: 99"#,
        "pes: recv-before-send PE program does not run on topology ring8: it asks for 99 PEs; c0.s0 has 4: use 1 to 4",
    );
    refused_by_validate_and_diagnose(
        "poll-one-pe",
        r#"program: PollFlag, size: "4KiB", pes: 1"#,
        "pes: poll-flag PE program does not run on topology ring8: it asks for 1 PEs; c0.s0 has 4: use 2 to 4",
    );
}

#[test]
fn cutting_a_link_or_a_node_the_topology_lacks_names_the_fault() {
    refused_by_validate_and_diagnose(
        "cut-no-link",
        &format!(
            r#"{RING}, faults: [NeverJoins(rank: 1), CutLink(from: "c0.s2.hub", to: "c0.s5.hub")]"#
        ),
        "faults[1]: topology ring8 has no link c0.s2.hub -> c0.s5.hub; name two nodes joined by a link (`kernbench topo FILE --dot` lists them)",
    );
    refused_by_validate_and_diagnose(
        "cut-no-node",
        &format!(r#"{RING}, faults: [CutLink(from: "c0.s2.hub", to: "c0.s9.hub")]"#),
        "faults[0]: node c0.s9.hub is not in topology \"ring8\"; use a node of this topology (`kernbench topo` lists the counts)",
    );
}

#[test]
fn a_buffer_too_large_for_its_memory_is_refused_before_the_run() {
    // Send-then-recv holds two buffers per PE: the second of 3 MiB finds 1 MiB of TCM left.
    refused_by_validate_and_diagnose(
        "tcm-too-small",
        r#"program: SendThenRecv, size: "3MiB""#,
        "size: a buffer of 3 MiB does not fit in tcm of c0.s0.p0 (4 MiB in all, 3 MiB in use); use a smaller size or place it in a larger memory (tcm < sram < hbm)",
    );
    refused_by_validate_and_diagnose(
        "sram-override-too-small",
        &format!(r#"{RING}, overrides: [(rank: 2, memory: "sram", size: "128MiB")]"#),
        "overrides[0]: a buffer of 128 MiB does not fit in sram of c0.s2 (64 MiB in all, 0 B in use); use a smaller size or place it in a larger memory (tcm < sram < hbm)",
    );
}

#[test]
fn mesh_on_a_ring_is_refused_with_the_algorithms_own_reason() {
    refused_by_validate_and_diagnose(
        "mesh-on-ring",
        r#"program: Collective(collective: "all-reduce", algorithm: "mesh"), size: "64KiB""#,
        "program: mesh all-reduce does not run on topology ring8: mesh needs a Mesh2D, Torus2D or Torus3D SIP shape; ring8 is a BidirectionalRing: use ring",
    );
}

#[test]
fn a_kernel_on_a_pe_count_it_does_not_run_on_is_refused() {
    refused_by_validate_and_diagnose(
        "mesh2x2-on-2",
        r#"program: Kernel("pe-mesh2x2"), size: "4KiB", pes: 2"#,
        "pes: pe-mesh2x2 PE program does not run on topology ring8: the pe-mesh2x2 kernel runs on exactly 4 PEs; use pes: 4",
    );
    refused_by_validate_and_diagnose(
        "tree7-on-4",
        r#"program: Kernel("pe-tree7"), size: "4KiB""#,
        "program: pe-tree7 PE program does not run on topology ring8: the pe-tree7 kernel needs a SIP with at least 7 PEs; c0.s0 has 4: use the pe-ring kernel",
    );
}

#[test]
fn a_program_that_never_joins_outside_a_four_pe_launch_is_refused_not_ignored() {
    refused_by_validate_and_diagnose(
        "never-joins-99",
        r#"program: RecvBeforeSend, size: "4KiB", faults: [NeverJoins(rank: 99)]"#,
        "faults[0]: a fault names program 99, but recv-before-send runs 4 programs (one per PE); use 0..4",
    );
    refused_by_validate_and_diagnose(
        "wrong-program-7",
        r#"program: RecvBeforeSend, size: "4KiB", faults: [ZeroDepthIpcq, WrongProgramId(pe: 1, runs_as: 7)]"#,
        "faults[1]: a fault names program 7, but recv-before-send runs 4 programs (one per PE); use 0..4",
    );
}

#[test]
fn faults_and_fields_for_the_other_kind_of_program_are_refused_not_ignored() {
    refused_by_validate_and_diagnose(
        "peer-on-pes",
        r#"program: SendThenRecv, size: "4KiB", faults: [PeerOffByOne(rank: 1)]"#,
        "faults[0]: a peer off by one is for collectives, not for the PE program send-then-recv; remove it",
    );
    refused_by_validate_and_diagnose(
        "zero-depth-on-ring",
        &format!("{RING}, faults: [ZeroDepthIpcq]"),
        "faults[0]: ZeroDepthIpcq is for PE programs, not for the collective all-reduce ring (ranks talk through mailboxes, not IPCQs); remove it",
    );
    refused_by_validate_and_diagnose(
        "pes-on-ring",
        &format!("{RING}, pes: 2"),
        "pes: a PE count (a collective runs one rank per SIP) is for PE programs, not for the collective all-reduce ring; remove it",
    );
    refused_by_validate_and_diagnose(
        "memory-on-pes",
        r#"program: RecvBeforeSend, size: "4KiB", memory: "hbm""#,
        "memory: recv-before-send ignores it: a PE program's buffers are in TCM; remove it",
    );
    refused_by_validate_and_diagnose(
        "override-nothing",
        &format!("{RING}, overrides: [(rank: 1)]"),
        "overrides[0]: the override of rank 1 changes nothing; give it a size or a memory, or remove it",
    );
}

#[test]
fn a_refusal_names_the_line_of_the_fault_it_is_about() {
    let path = temp_file(
        "fault-line.scenario.ron",
        &format!(
            "Scenario(\n    name: \"lines\",\n    topology: \"{}/topologies/ring8.ron\",\n    {RING},\n    faults: [\n        NeverJoins(rank: 1),\n        // a comment, faults: [ NeverJoins(rank: 9) ]\n        NeverJoins(rank: 9),\n    ],\n)\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    );
    let file = path.to_string_lossy().into_owned();
    let out = kernbench(&["validate", &file]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: {file}:8: faults[1]: a fault or override names rank 9, but the world has 8 ranks; use 0..8\n"
        )
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_step_a_rank_never_takes_is_refused_at_its_line_with_the_steps_it_does() {
    let path = temp_file(
        "skip-line.scenario.ron",
        &format!(
            "Scenario(\n    name: \"skip\",\n    topology: \"{}/topologies/ring8.ron\",\n    {RING},\n    faults: [\n        WrongTag(rank: 1, off_by: 2),\n        SkipsStep(rank: 2, step: 28),\n    ],\n)\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    );
    let file = path.to_string_lossy().into_owned();
    for command in ["validate", "diagnose"] {
        let out = kernbench(&[command, &file]);
        assert_eq!(out.status.code(), Some(2), "{command}: {}", stdout(&out));
        assert_eq!(
            stderr(&out),
            format!(
                "error: {file}:7: faults[1]: rank 2 starts 28 sends in all-reduce ring on ring8 without faults (steps 0..28), so it has no step 28; use a step below 28\n"
            ),
            "{command}"
        );
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_wrong_peer_or_source_must_name_ranks_the_rank_really_uses() {
    refused_by_validate_and_diagnose(
        "wrong-peer-9",
        &format!("{RING}, faults: [WrongPeer(rank: 2, sends_to: 9)]"),
        "faults[0]: a fault or override names rank 9, but the world has 8 ranks; use 0..8",
    );
    refused_by_validate_and_diagnose(
        "wrong-peer-instead-of-6",
        &format!("{RING}, faults: [WrongPeer(rank: 2, sends_to: 5, instead_of: 6)]"),
        "faults[0]: rank 2 never sends to rank 6 in all-reduce ring on ring8 without faults; it sends to rank 1 and rank 3: name one of those",
    );
    refused_by_validate_and_diagnose(
        "wrong-source-instead-of-6",
        &format!("{RING}, faults: [WrongSource(rank: 2, receives_from: 5, instead_of: 6)]"),
        "faults[0]: rank 2 never receives from rank 6 in all-reduce ring on ring8 without faults; it receives from rank 1 and rank 3: name one of those",
    );
}

#[test]
fn a_fault_that_changes_nothing_or_twice_the_same_thing_is_refused() {
    refused_by_validate_and_diagnose(
        "wrong-peer-itself",
        &format!("{RING}, faults: [WrongPeer(rank: 2, sends_to: 3, instead_of: 3)]"),
        "faults[0]: a wrong peer of rank 2 changes nothing: its messages for rank 3 go to rank 3; change it or remove it",
    );
    refused_by_validate_and_diagnose(
        "wrong-source-itself",
        &format!("{RING}, faults: [WrongSource(rank: 2, receives_from: 1, instead_of: 1)]"),
        "faults[0]: a wrong source of rank 2 changes nothing: its receives from rank 1 wait for rank 1; change it or remove it",
    );
    refused_by_validate_and_diagnose(
        "wrong-tag-0",
        &format!("{RING}, faults: [WrongTag(rank: 2, off_by: 0)]"),
        "faults[0]: a wrong tag of rank 2 changes nothing: a tag off by 0 is the right tag; change it or remove it",
    );
    refused_by_validate_and_diagnose(
        "two-peer-faults",
        &format!(
            "{RING}, faults: [PeerOffByOne(rank: 2), NeverJoins(rank: 1), WrongPeer(rank: 2, sends_to: 5)]"
        ),
        "faults[2]: rank 2 has two faults that change where its messages go; keep one",
    );
    refused_by_validate_and_diagnose(
        "wrong-peer-on-pes",
        r#"program: SendThenRecv, size: "4KiB", faults: [WrongPeer(rank: 1, sends_to: 2)]"#,
        "faults[0]: a wrong peer is for collectives, not for the PE program send-then-recv; remove it",
    );
    refused_by_validate_and_diagnose(
        "skips-step-on-pes",
        r#"program: SendThenRecv, size: "4KiB", faults: [SkipsStep(rank: 1, step: 0)]"#,
        "faults[0]: a skipped step is for collectives, not for the PE program send-then-recv; remove it",
    );
}

#[test]
fn validate_and_diagnose_give_the_same_message_for_the_same_bad_file() {
    let path = temp_file(
        "same-message.scenario.ron",
        &format!(
            r#"Scenario(name: "same", topology: "{}/topologies/ring8.ron", {RING}, faults: [PeerOffByOne(rank: 8)])"#,
            env!("CARGO_MANIFEST_DIR")
        ),
    );
    let file = path.to_string_lossy().into_owned();
    let validate = kernbench(&["validate", &file]);
    let diagnose = kernbench(&["diagnose", &file]);
    assert_eq!(validate.status.code(), Some(2));
    assert_eq!(diagnose.status.code(), Some(2));
    assert_eq!(stderr(&validate), stderr(&diagnose));
    assert_eq!(
        stderr(&diagnose),
        format!(
            "error: {file}:1: faults[0]: a fault or override names rank 8, but the world has 8 ranks; use 0..8\n"
        )
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_scenario_gives_the_ring_its_order_and_a_bad_order_is_refused_at_its_line() {
    let scenario = |order: &str, algorithm: &str| {
        format!(
            r#"Scenario(
    name: "ordered",
    topology: "{}/topologies/ring8.ron",
    program: Collective(collective: "all-reduce", algorithm: "{algorithm}", ring_order: {order}),
    size: "64KiB",
)"#,
            env!("CARGO_MANIFEST_DIR")
        )
    };
    let completes = |name: &str, order: &str| {
        let path = temp_file(name, &scenario(order, "ring"));
        let out = kernbench(&["diagnose", path.to_str().unwrap_or("")]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    // Along the wiring and skipping every other SIP: both complete, the skipping ring later
    // (each hop is two links, shared by two hops).
    let along = completes("ordered-along.scenario.ron", "[0, 1, 2, 3, 4, 5, 6, 7]");
    let skipping = completes("ordered-skipping.scenario.ron", "[0, 2, 4, 6, 1, 3, 5, 7]");
    let time = |text: &str| {
        text.split("completed at ")
            .nth(1)
            .and_then(|rest| rest.split(" us").next())
            .and_then(|t| t.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    assert!(time(&skipping) > time(&along), "{along}\n{skipping}");
    for (name, order, algorithm, message) in [
        (
            "ordered-twice.scenario.ron",
            "[0, 1, 2, 3, 4, 5, 6, 6]",
            "ring",
            "program: ring all-reduce does not run on topology ring8: the ring order names rank 6 twice; name each of the 8 ranks once",
        ),
        (
            "ordered-tree.scenario.ron",
            "[0, 1, 2, 3, 4, 5, 6, 7]",
            "tree",
            "program: tree all-reduce does not run on topology ring8: only the ring algorithm has a ring order; use algorithm \"ring\" or remove ring_order",
        ),
    ] {
        let path = temp_file(name, &scenario(order, algorithm));
        let out = kernbench(&["validate", path.to_str().unwrap_or("")]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert_eq!(
            stderr(&out),
            format!("error: {}:4: {message}\n", path.display()),
            "{name}"
        );
    }
}
