//! End-to-end tests of `kernbench sweep` and `kernbench merge`.

use std::path::{Path, PathBuf};

use crate::common::{kernbench, kernbench_with_env, stderr, stdout};

/// A fresh folder for one test, holding a small sweep file that names bundled topologies.
fn setup(name: &str, body: &str) -> (PathBuf, PathBuf) {
    let dir = crate::common::scratch(&format!("sweep-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let topologies = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
    let file = dir.join("small.sweep.ron");
    let text = body.replace("TOPOLOGIES", &topologies.display().to_string());
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
    (dir, file)
}

const SMALL: &str = r#"Sweep(
    name: "small",
    topologies: ["TOPOLOGIES/default.ron", "TOPOLOGIES/ring8.ron"],
    algorithms: ["ring", "mesh"],
    sizes: List(["4KiB", "32MiB"]),
    memories: ["tcm", "hbm"],
)"#;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "sweep",
        file.to_str().unwrap_or(""),
        "--out",
        out.to_str().unwrap_or(""),
    ];
    args.extend_from_slice(extra);
    kernbench(&args)
}

#[test]
fn a_small_sweep_writes_every_table_and_plot_and_records_failures() {
    let (dir, file) = setup("writes", SMALL);
    let out = dir.join("out");
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    for name in [
        "results.csv",
        "results.jsonl",
        "summary.md",
        "links.jsonl",
        "latency-all-reduce.svg",
        "latency-all-reduce.png",
        "busbw-all-reduce.svg",
        "busbw-all-reduce.png",
        "links-ring8.svg",
        "links-ring8.png",
    ] {
        let path = out.join(name);
        assert!(
            path.exists() && std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) > 0,
            "{name} missing or empty"
        );
    }
    let csv = read(&out.join("results.csv"));
    // 2 topologies x 2 algorithms x 2 memories x 2 sizes, plus the header.
    assert_eq!(csv.lines().count(), 1 + 16, "{csv}");
    assert!(
        csv.starts_with("topology,collective,algorithm,memory,bytes,world_size,channels,chunk_bytes,group_size,group_stride,model,status,error,"),
        "{csv}"
    );
    // The mesh refuses rings, and 32 MiB does not fit in the default's 4 x 4 MiB of TCM
    // (the reason has a comma, so CSV quotes it).
    assert!(
        csv.contains(
            "ring8,all-reduce,mesh,hbm,4096,8,auto,1048576,8,1,packet,unsupported,\"mesh needs a Mesh2D, Torus2D or Torus3D SIP shape"
        ),
        "{csv}"
    );
    assert!(csv.contains("default,all-reduce,ring,tcm,33554432,2,auto,1048576,2,1,packet,failed,\"a buffer of 32 MiB does not fit in tcm of c0.s0"), "{csv}");
    assert!(
        csv.contains("ring8,all-reduce,ring,hbm,33554432,8,auto,1048576,8,1,packet,ok,"),
        "{csv}"
    );
    let summary = read(&out.join("summary.md"));
    assert!(
        summary.contains("## all-reduce on ring8, hbm (8 ranks)"),
        "{summary}"
    );
    assert!(read(&out.join("latency-all-reduce.svg")).contains("all-reduce"));
    assert!(
        stdout(&run).starts_with("16 points (6 ok, 10 failed or unsupported) in "),
        "{}",
        stdout(&run)
    );
}

#[test]
fn running_a_sweep_again_skips_the_points_already_done_and_writes_the_same_bytes() {
    let (dir, file) = setup("resume", SMALL);
    let out = dir.join("out");
    let first = sweep(&file, &out, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let csv = read(&out.join("results.csv"));
    let second = sweep(&file, &out, &[]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("16 already done"),
        "{}",
        stderr(&second)
    );
    assert!(
        stderr(&second).contains(", 0 to run"),
        "{}",
        stderr(&second)
    );
    assert_eq!(read(&out.join("results.csv")), csv);
}

#[test]
fn an_interrupted_sweep_keeps_its_finished_rows_and_runs_only_the_rest() {
    let (dir, file) = setup("interrupted", SMALL);
    let out = dir.join("out");
    assert_eq!(sweep(&file, &out, &[]).status.code(), Some(0));
    // Keep 5 finished rows and a torn sixth line, as a killed sweep leaves them.
    let jsonl = read(&out.join("results.jsonl"));
    let mut kept: String = jsonl.lines().take(5).map(|l| format!("{l}\n")).collect();
    kept.push_str(&jsonl.lines().nth(5).unwrap_or("")[..10]);
    std::fs::write(out.join("results.jsonl"), kept).unwrap_or_else(|e| panic!("{e}"));
    let resumed = sweep(&file, &out, &[]);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains("5 already done"),
        "{}",
        stderr(&resumed)
    );
    assert!(
        stderr(&resumed).contains(", 11 to run"),
        "{}",
        stderr(&resumed)
    );
    assert_eq!(read(&out.join("results.jsonl")), jsonl);
}

#[test]
fn shards_run_every_nth_point_and_merge_gives_the_whole_sweep() {
    let (dir, file) = setup("shards", SMALL);
    let whole = dir.join("whole");
    assert_eq!(sweep(&file, &whole, &[]).status.code(), Some(0));
    let (a, b) = (dir.join("a"), dir.join("b"));
    let shard_a = sweep(&file, &a, &["--shard", "0/2"]);
    assert_eq!(shard_a.status.code(), Some(0), "{}", stderr(&shard_a));
    assert_eq!(sweep(&file, &b, &["--shard", "1/2"]).status.code(), Some(0));
    assert_eq!(read(&a.join("results.jsonl")).lines().count(), 8);
    let merged = dir.join("merged");
    let merge = kernbench(&[
        "merge",
        a.to_str().unwrap_or(""),
        b.to_str().unwrap_or(""),
        "--out",
        merged.to_str().unwrap_or(""),
    ]);
    assert_eq!(merge.status.code(), Some(0), "{}", stderr(&merge));
    assert_eq!(
        read(&merged.join("results.csv")),
        read(&whole.join("results.csv"))
    );
    assert!(merged.join("summary.md").exists());
}

#[test]
fn a_bad_sweep_file_is_bad_input_with_the_place() {
    let (dir, file) = setup(
        "bad",
        &SMALL.replace("\"ring\", \"mesh\"", "\"ring\", \"rign\""),
    );
    let run = sweep(&file, &dir.join("out"), &[]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("small.sweep.ron: algorithms: unknown algorithm \"rign\""),
        "{}",
        stderr(&run)
    );
    let (dir, file) = setup("typo", &SMALL.replace("memories:", "memoires:"));
    let run = sweep(&file, &dir.join("out"), &[]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("small.sweep.ron:6:"),
        "{}",
        stderr(&run)
    );
    assert!(
        !dir.join("out").exists(),
        "nothing is written for a bad sweep"
    );
    let bad_shard = sweep(&file, &dir.join("out"), &["--shard", "2/2"]);
    assert_eq!(bad_shard.status.code(), Some(2));
}

#[test]
fn validate_checks_sweep_files_too() {
    let (_dir, file) = setup("validate", SMALL);
    let run = kernbench(&["validate", file.to_str().unwrap_or("")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(
        stdout(&run).contains("(sweep small: 16 points, 2 topologies)"),
        "{}",
        stdout(&run)
    );
    for (name, edit, expected) in [
        ("badsize", ("\"32MiB\"", "\"32MiB/s\""), "sizes: "),
        ("badglob", ("ring8.ron", "ring9*.ron"), "topologies[1]: \""),
        (
            "badrange",
            (
                "List([\"4KiB\", \"32MiB\"])",
                "Range(from: \"1KiB\", to: \"1MiB\", factor: 1)",
            ),
            "sizes.factor: 1 must be at least 2",
        ),
    ] {
        let (_dir, file) = setup(name, &SMALL.replace(edit.0, edit.1));
        let run = kernbench(&["validate", file.to_str().unwrap_or("")]);
        assert_eq!(run.status.code(), Some(2), "{name}: {}", stdout(&run));
        assert!(stderr(&run).contains(expected), "{name}: {}", stderr(&run));
        assert!(
            stderr(&run).contains("small.sweep.ron"),
            "{name}: the message names the file"
        );
    }
}

/// The rows of a results.jsonl whose `name` field is `value` (as written, quotes included).
fn rows_with<'a>(jsonl: &'a str, name: &str, value: &str) -> Vec<&'a str> {
    jsonl
        .lines()
        .filter(|l| json_field(l, name) == value)
        .collect()
}

/// The busbw of the one row at `bytes` among `rows`.
fn busbw_at(rows: &[&str], bytes: u64) -> f64 {
    let at: Vec<&&str> = rows
        .iter()
        .filter(|l| json_field(l, "bytes") == bytes.to_string())
        .collect();
    assert_eq!(at.len(), 1, "one row at {bytes} B: {rows:?}");
    json_field(at[0], "busbw_gbps")
        .parse()
        .unwrap_or_else(|e| panic!("busbw of {}: {e}", at[0]))
}

#[test]
fn a_sweep_over_channel_counts_writes_a_row_per_count_and_auto_is_faster_at_4_mib() {
    let (dir, file) = setup(
        "channels",
        r#"Sweep(
    name: "channels",
    topologies: ["TOPOLOGIES/ring8.ron"],
    algorithms: ["ring"],
    sizes: List(["64KiB", "4MiB"]),
    memories: ["hbm"],
    channels: ["1", "auto"],
)"#,
    );
    let out = dir.join("out");
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let jsonl = read(&out.join("results.jsonl"));
    assert_eq!(jsonl.lines().count(), 4, "{jsonl}");
    let one = rows_with(&jsonl, "channels", "\"1\"");
    let auto = rows_with(&jsonl, "channels", "\"auto\"");
    assert_eq!((one.len(), auto.len()), (2, 2), "{jsonl}");
    assert!(
        jsonl
            .lines()
            .all(|l| json_field(l, "status") == "\"ok\""
                && json_field(l, "chunk_bytes") == "1048576"),
        "{jsonl}"
    );
    // ring8's links are full duplex: auto runs a ring each way, twice one ring's bandwidth
    // once the message is large enough for bandwidth to count.
    let (one_busbw, auto_busbw) = (busbw_at(&one, 4 << 20), busbw_at(&auto, 4 << 20));
    assert!(auto_busbw > 1.5 * one_busbw, "{auto_busbw} vs {one_busbw}");
    let summary = read(&out.join("summary.md"));
    assert!(
        summary.contains("| size | ring (1 ch) | ring (auto ch) | best |"),
        "{summary}"
    );
    let links = read(&out.join("links.jsonl"));
    for channels in ["\"1\"", "\"auto\""] {
        assert!(
            !rows_with(&links, "channels", channels).is_empty(),
            "link rows of {channels}: {links}"
        );
    }
    // A second run finds every point done, each channel count by its own key.
    let again = sweep(&file, &out, &[]);
    assert!(
        stderr(&again).contains("4 already done") && stderr(&again).contains(", 0 to run"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_sweep_over_chunk_sizes_writes_both_and_the_chunk_reaches_the_schedule() {
    let (dir, file) = setup(
        "chunks",
        r#"Sweep(
    name: "chunks",
    topologies: ["TOPOLOGIES/ring8.ron"],
    algorithms: ["ring"],
    sizes: List(["64KiB", "4MiB"]),
    memories: ["hbm"],
    channels: ["1"],
    chunk_sizes: ["1MiB", "256KiB"],
)"#,
    );
    let out = dir.join("out");
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let jsonl = read(&out.join("results.jsonl"));
    assert_eq!(jsonl.lines().count(), 4, "{jsonl}");
    let large = rows_with(&jsonl, "chunk_bytes", "1048576");
    let small = rows_with(&jsonl, "chunk_bytes", "262144");
    assert_eq!((large.len(), small.len()), (2, 2), "{jsonl}");
    // One ring moves 4 MiB / 8 = 512 KiB segments: 256 KiB chunks pipeline them, 1 MiB ones
    // cannot, so the two points are two runs and not one copied.
    assert_ne!(
        busbw_at(&large, 4 << 20),
        busbw_at(&small, 4 << 20),
        "{jsonl}"
    );
    assert!(
        read(&out.join("summary.md")).contains("| size | ring (256 KiB) | ring (1 MiB) | best |"),
        "{}",
        read(&out.join("summary.md"))
    );
}

#[test]
fn a_ring_order_in_the_sweep_file_reaches_the_ring_points_of_that_topology() {
    let body = |orders: &str| {
        format!(
            r#"Sweep(
    name: "orders",
    topologies: ["TOPOLOGIES/ring8.ron", "TOPOLOGIES/default.ron"],
    algorithms: ["ring", "tree"],
    sizes: List(["4MiB"]),
    memories: ["hbm"],
    channels: ["1"],
    {orders}
)"#
        )
    };
    let (dir, wired) = setup("orders-wired", &body(""));
    let (_, skipping) = setup(
        "orders-skipping",
        &body(r#"ring_orders: {"ring8": [0, 2, 4, 6, 1, 3, 5, 7]},"#),
    );
    let rows = |file: &Path, name: &str| {
        let out = dir.join(name);
        let run = sweep(file, &out, &[]);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        read(&out.join("results.jsonl"))
    };
    let (wired, skipping) = (rows(&wired, "wired"), rows(&skipping, "skipping"));
    let point = |jsonl: &str, topology: &str, algorithm: &str| {
        let rows: Vec<&str> = rows_with(jsonl, "topology", &format!("\"{topology}\""))
            .into_iter()
            .filter(|l| json_field(l, "algorithm") == format!("\"{algorithm}\""))
            .collect();
        busbw_at(&rows, 4 << 20)
    };
    // Every hop of 0,2,4,6,1,3,5,7 skips a SIP, so each message crosses two links and two
    // hops share each link: half the busbw of the ring along the wiring.
    let (along, given) = (
        point(&wired, "ring8", "ring"),
        point(&skipping, "ring8", "ring"),
    );
    assert!(given < 0.55 * along, "{given} vs {along}");
    // The tree on ring8 and the ring on the other topology keep their own order.
    assert_eq!(
        point(&wired, "ring8", "tree"),
        point(&skipping, "ring8", "tree")
    );
    assert_eq!(
        point(&wired, "default", "ring"),
        point(&skipping, "default", "ring")
    );
}

#[test]
fn a_bad_ring_order_in_a_sweep_is_bad_input_naming_the_entry() {
    for (name, edit, message) in [
        (
            "order-unknown",
            r#"ring_orders: {"ring9": [0, 1]},"#,
            r#"ring_orders["ring9"]: no topology of this sweep is named "ring9"; its topologies are ring8"#,
        ),
        (
            "order-twice",
            r#"ring_orders: {"ring8": [0, 1, 2, 3, 4, 5, 6, 6]},"#,
            r#"ring_orders["ring8"]: the ring order names rank 6 twice; name each of the 8 ranks once"#,
        ),
        (
            "order-short",
            r#"ring_orders: {"ring8": [0, 1, 2]},"#,
            r#"ring_orders["ring8"]: the ring order names 3 ranks, but ring8 has 8; name each rank once"#,
        ),
        (
            "order-no-ring",
            r#"ring_orders: {"ring8": [0, 1, 2, 3, 4, 5, 6, 7]}, algorithms: ["tree"],"#,
            r#"ring_orders: only the ring algorithm has a ring order; add "ring" to algorithms or remove ring_orders"#,
        ),
    ] {
        let text = TINY.replace("memories:", &format!("{edit}\n    memories:"));
        let text = if name == "order-no-ring" {
            text.replace("    algorithms: [\"ring\"],\n", "")
        } else {
            text
        };
        let (dir, file) = setup(name, &text);
        let out = dir.join("out");
        for run in [
            sweep(&file, &out, &[]),
            kernbench(&["validate", file.to_str().unwrap_or("")]),
        ] {
            assert_eq!(run.status.code(), Some(2), "{name}: {}", stderr(&run));
            assert_eq!(
                stderr(&run).trim_end(),
                format!("error: {}: {message}", file.display()),
                "{name}"
            );
        }
    }
}

#[test]
fn a_bad_channel_count_or_chunk_size_is_bad_input_naming_the_file_and_entry() {
    for (name, edit, message) in [
        (
            "badchannels",
            r#"channels: ["auto", "0"],"#,
            r#"channels[1]: "0" is not a channel count; write auto or a number from 1 to 64"#,
        ),
        (
            "badchunk",
            r#"chunk_sizes: ["1MiB", "6B"],"#,
            "chunk_sizes[1]: 6 B is not a chunk size; use a multiple of 4 bytes (one f32), at \
             least 4B, e.g. 256KiB",
        ),
    ] {
        let (dir, file) = setup(
            name,
            &TINY.replace("memories:", &format!("{edit}\n    memories:")),
        );
        let out = dir.join("out");
        for run in [
            sweep(&file, &out, &[]),
            kernbench(&["validate", file.to_str().unwrap_or("")]),
        ] {
            assert_eq!(run.status.code(), Some(2), "{name}: {}", stderr(&run));
            assert_eq!(
                stderr(&run).trim_end(),
                format!("error: {}: {message}", file.display()),
                "{name}"
            );
        }
        assert!(!out.exists(), "{name}: nothing is written for a bad sweep");
    }
}

/// The rows of a results.jsonl with these group columns.
fn rows_in_groups(jsonl: &str, size: u32, stride: u32) -> Vec<&str> {
    jsonl
        .lines()
        .filter(|l| {
            json_field(l, "group_size") == size.to_string()
                && json_field(l, "group_stride") == stride.to_string()
        })
        .collect()
}

#[test]
fn a_sweep_over_group_sizes_writes_a_row_per_split_as_run_does_and_resumes() {
    let (dir, file) = setup(
        "groups",
        r#"Sweep(
    name: "groups",
    topologies: ["TOPOLOGIES/multicube2x4.ron"],
    algorithms: ["ring"],
    sizes: List(["1MiB", "16MiB"]),
    memories: ["hbm"],
    group_sizes: ["all", "4"],
)"#,
    );
    let out = dir.join("out");
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let jsonl = read(&out.join("results.jsonl"));
    assert_eq!(jsonl.lines().count(), 4, "{jsonl}");
    // all is one group of the 8 SIPs; "4" two groups of 4 consecutive ranks, one per cube.
    let (world, fours) = (rows_in_groups(&jsonl, 8, 1), rows_in_groups(&jsonl, 4, 1));
    assert_eq!((world.len(), fours.len()), (2, 2), "{jsonl}");
    assert!(
        jsonl.lines().all(|l| json_field(l, "status") == "\"ok\""),
        "{jsonl}"
    );
    // Each cube's ring stays on its fast SIP links: faster than the ring over both cubes.
    let time = |rows: &[&str]| -> f64 {
        let at: Vec<&&str> = rows
            .iter()
            .filter(|l| json_field(l, "bytes") == (16u64 << 20).to_string())
            .collect();
        assert_eq!(at.len(), 1, "{rows:?}");
        json_field(at[0], "time_ns")
            .parse()
            .unwrap_or_else(|e| panic!("time of {}: {e}", at[0]))
    };
    assert!(time(&fours) < time(&world), "{jsonl}");
    // The row of a split is the run of that split, to the digit.
    let single = kernbench(&[
        "run",
        "--topology",
        "topologies/multicube2x4.ron",
        "--size",
        "16MiB",
        "--group-size",
        "4",
        "--json",
    ]);
    assert_eq!(single.status.code(), Some(0), "{}", stderr(&single));
    let row = fours
        .iter()
        .find(|l| json_field(l, "bytes") == (16u64 << 20).to_string())
        .copied()
        .unwrap_or("");
    for name in ["time_ns", "busbw_gbps", "group_size", "group_stride"] {
        assert_eq!(
            json_field(row, name),
            json_field(&stdout(&single), name),
            "{name}"
        );
    }
    let csv = read(&out.join("results.csv"));
    assert!(
        csv.contains("\nmulticube2x4,all-reduce,ring,hbm,1048576,8,auto,1048576,4,1,packet,ok,")
            && csv.contains(
                "\nmulticube2x4,all-reduce,ring,hbm,1048576,8,auto,1048576,8,1,packet,ok,"
            ),
        "{csv}"
    );
    let summary = read(&out.join("summary.md"));
    assert!(
        summary.contains("| size | ring (groups of 4) | ring (groups of 8) | best |"),
        "{summary}"
    );
    let links = read(&out.join("links.jsonl"));
    assert!(
        !rows_in_groups(&links, 4, 1).is_empty() && !rows_in_groups(&links, 8, 1).is_empty(),
        "link rows of both splits: {links}"
    );
    assert!(
        read(&out.join("links-multicube2x4.svg")).contains("ring (groups of 4)"),
        "the link panels name their groups"
    );
    // A second run finds every point done, each split by its own key, and writes the same.
    let again = sweep(&file, &out, &[]);
    assert!(
        stderr(&again).contains("4 already done") && stderr(&again).contains(", 0 to run"),
        "{}",
        stderr(&again)
    );
    assert_eq!(read(&out.join("results.jsonl")), jsonl);
    assert_eq!(read(&out.join("links.jsonl")), links);
}

#[test]
fn a_split_the_topology_or_algorithm_cannot_take_is_an_unsupported_row_with_the_reason() {
    let (dir, file) = setup(
        "badsplit",
        r#"Sweep(
    name: "badsplit",
    topologies: ["TOPOLOGIES/multicube2x4.ron"],
    algorithms: ["ring", "hierarchical"],
    sizes: List(["64KiB"]),
    memories: ["hbm"],
    group_sizes: ["all", "3", "2"],
    group_strides: ["1", "4"],
)"#,
    );
    let out = dir.join("out");
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let jsonl = read(&out.join("results.jsonl"));
    // all once (a stride with all is left out), 3 and 2 with each stride: 5 per algorithm.
    assert_eq!(jsonl.lines().count(), 10, "{jsonl}");
    let outcome = |algorithm: &str, size: u32, stride: u32| {
        let rows: Vec<&str> = rows_in_groups(&jsonl, size, stride)
            .into_iter()
            .filter(|l| json_field(l, "algorithm") == format!("\"{algorithm}\""))
            .collect();
        assert_eq!(rows.len(), 1, "{algorithm} {size}/{stride}: {jsonl}");
        let error: Option<String> = serde_json::from_str::<serde_json::Value>(rows[0])
            .ok()
            .and_then(|v| v["error"].as_str().map(String::from));
        (
            json_field(rows[0], "status").trim_matches('"').to_string(),
            error,
        )
    };
    let ok = || ("ok".to_string(), None);
    let unsupported = |why: &str| ("unsupported".to_string(), Some(why.to_string()));
    assert_eq!(outcome("ring", 8, 1), ok());
    assert_eq!(outcome("ring", 2, 1), ok());
    assert_eq!(outcome("ring", 2, 4), ok());
    assert_eq!(
        outcome("ring", 3, 1),
        unsupported("groups of 3 ranks 1 apart need a multiple of 3 ranks; the topology has 8")
    );
    assert_eq!(
        outcome("ring", 3, 4),
        unsupported("groups of 3 ranks 4 apart need a multiple of 12 ranks; the topology has 8")
    );
    assert_eq!(outcome("hierarchical", 8, 1), ok());
    assert_eq!(
        outcome("hierarchical", 2, 4),
        unsupported(
            "hierarchical takes its shape from the whole machine and runs on all of its ranks, \
             not on a group of 2; use ring or another logical algorithm"
        )
    );
    let summary = read(&out.join("summary.md"));
    assert!(
        summary.contains(
            "1. ring (groups of 3), hierarchical (groups of 3) at all sizes: groups of 3 ranks 1 \
             apart need a multiple of 3 ranks; the topology has 8\n"
        ),
        "{summary}"
    );
}

#[test]
fn a_ring_order_in_a_sweep_runs_only_on_one_group_of_every_rank() {
    let (dir, file) = setup(
        "ordergroups",
        r#"Sweep(
    name: "ordergroups",
    topologies: ["TOPOLOGIES/multicube2x4.ron"],
    algorithms: ["ring"],
    sizes: List(["64KiB"]),
    memories: ["hbm"],
    ring_orders: {"multicube2x4": [0, 1, 2, 3, 7, 6, 5, 4]},
    group_sizes: ["all", "4"],
)"#,
    );
    let out = dir.join("out");
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let jsonl = read(&out.join("results.jsonl"));
    let world = rows_in_groups(&jsonl, 8, 1);
    assert_eq!(world.len(), 1, "{jsonl}");
    assert_eq!(json_field(world[0], "status"), "\"ok\"", "{jsonl}");
    let fours = rows_in_groups(&jsonl, 4, 1);
    assert_eq!(fours.len(), 1, "{jsonl}");
    let row: serde_json::Value =
        serde_json::from_str(fours[0]).unwrap_or_else(|e| panic!("{e}: {jsonl}"));
    assert_eq!(
        (&row["status"], &row["error"]),
        (
            &"unsupported".into(),
            &"the sweep's ring order of multicube2x4 names every rank of the machine, so it \
              runs only with group size all"
                .into()
        ),
        "{jsonl}"
    );
}

#[test]
fn a_bad_group_size_or_stride_is_bad_input_naming_the_file_and_entry() {
    for (name, edit, message) in [
        (
            "badgroupzero",
            r#"group_sizes: ["all", "0"],"#,
            r#"group_sizes[1]: "0" is not a group size; write all or a number of ranks, at least 1"#,
        ),
        (
            "badgroupword",
            r#"group_sizes: ["x"],"#,
            r#"group_sizes[0]: "x" is not a group size; write all or a number of ranks, at least 1"#,
        ),
        (
            "badstride",
            r#"group_sizes: ["2"], group_strides: ["1", "0"],"#,
            r#"group_strides[1]: "0" is not a group stride; write a number of ranks, at least 1"#,
        ),
        (
            "emptygroups",
            r#"group_sizes: [],"#,
            "group_sizes: the list is empty; name at least one",
        ),
        (
            "strideofall",
            r#"group_strides: ["4"],"#,
            r#"group_strides: a stride spaces the ranks of groups, and group_sizes is only "all" here, so no point is left; add a group size such as "4", or "1" to group_strides"#,
        ),
    ] {
        let (dir, file) = setup(
            name,
            &TINY.replace("memories:", &format!("{edit}\n    memories:")),
        );
        let out = dir.join("out");
        for run in [
            sweep(&file, &out, &[]),
            kernbench(&["validate", file.to_str().unwrap_or("")]),
        ] {
            assert_eq!(run.status.code(), Some(2), "{name}: {}", stderr(&run));
            assert_eq!(
                stderr(&run).trim_end(),
                format!("error: {}: {message}", file.display()),
                "{name}"
            );
        }
        assert!(!out.exists(), "{name}: nothing is written for a bad sweep");
    }
}

#[test]
fn the_bundled_sweep_still_validates_with_the_same_points() {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies/default.sweep.ron");
    let run = kernbench(&["validate", bundled.to_str().unwrap_or("")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    // 6 topologies x 7 algorithms x 10 sizes (1 KiB .. 256 MiB by 4) x 3 memories, one
    // channels and chunk size each: 10 points per line (issue 17).
    assert!(
        stdout(&run).contains("(sweep default: 1260 points, 6 topologies)"),
        "{}",
        stdout(&run)
    );
}

#[test]
fn two_topology_files_with_one_name_are_refused_naming_both_files() {
    let (dir, file) = setup(
        "dupname",
        r#"Sweep(
    name: "dup",
    topologies: ["TOPOLOGIES/ring8.ron", "copy/ring8.ron"],
    algorithms: ["ring"],
    sizes: List(["4KiB"]),
    memories: ["hbm"],
)"#,
    );
    let topologies = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
    let copy = dir.join("copy");
    std::fs::create_dir_all(&copy).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(topologies.join("ring8.ron"), copy.join("ring8.ron"))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("out");
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    let message = stderr(&run);
    assert!(
        message.contains("small.sweep.ron: topologies[1]: ")
            && message.contains(&topologies.join("ring8.ron").display().to_string())
            && message.contains(&copy.join("ring8.ron").display().to_string())
            && message.contains("both name their topology \"ring8\""),
        "{message}"
    );
    assert!(!out.exists(), "nothing runs when two files share a name");
    // A generated form is named like the bundled file it mirrors: the same collision.
    let (_dir, file) = setup(
        "dupgenerated",
        &SMALL.replace("TOPOLOGIES/default.ron", "ring:8"),
    );
    let run = kernbench(&["validate", file.to_str().unwrap_or("")]);
    assert_eq!(run.status.code(), Some(2), "{}", stdout(&run));
    assert!(
        stderr(&run).contains("ring:8 and ")
            && stderr(&run).contains("both name their topology \"ring8\""),
        "{}",
        stderr(&run)
    );
}

#[test]
fn every_error_about_a_topology_entry_names_the_sweep_file_and_the_entry() {
    let (dir, _) = setup("entries", SMALL);
    let broken = dir.join("broken.ron");
    std::fs::write(&broken, "Topology(name: \"broken\",").unwrap_or_else(|e| panic!("{e}"));
    for (name, entry, expected) in [
        ("empty", "", "the entry is empty; name a topology file"),
        (
            "scenario",
            "TOPOLOGIES/scenarios/recv-before-send.scenario.ron",
            "recv-before-send.scenario.ron is a diagnosis scenario, not a topology",
        ),
        (
            "folder",
            "TOPOLOGIES/scenarios",
            "scenarios is a folder, not a topology file",
        ),
        (
            "sweepfile",
            "TOPOLOGIES/default.sweep.ron",
            "is a sweep file, not a topology",
        ),
        ("broken", broken.to_str().unwrap_or(""), "broken.ron:1:"),
        ("badform", "ring:0", "ring:0"),
    ] {
        let (_dir, file) = setup(name, &SMALL.replace("TOPOLOGIES/ring8.ron", entry));
        let run = kernbench(&["validate", file.to_str().unwrap_or("")]);
        assert_eq!(run.status.code(), Some(2), "{name}: {}", stdout(&run));
        let message = stderr(&run);
        assert!(
            message.contains("small.sweep.ron: topologies[1]: ") && message.contains(expected),
            "{name}: {message}"
        );
        let out = file.with_file_name("out");
        let swept = sweep(&file, &out, &[]);
        assert_eq!(swept.status.code(), Some(2), "{name}: {}", stderr(&swept));
        assert!(
            stderr(&swept).contains("small.sweep.ron: topologies[1]: "),
            "{name}: {}",
            stderr(&swept)
        );
    }
}

/// The text of field `name` in a one-line JSON object, as written (`"name":TEXT,`).
fn json_field<'a>(line: &'a str, name: &str) -> &'a str {
    let key = format!("\"{name}\":");
    let start = line
        .find(&key)
        .map(|i| i + key.len())
        .unwrap_or_else(|| panic!("no {name} in {line}"));
    let rest = &line[start..];
    &rest[..rest.find([',', '}']).unwrap_or(rest.len())]
}

#[test]
fn a_sweep_row_prints_the_same_digits_as_run_json_for_the_same_point() {
    let (dir, file) = setup(
        "digits",
        r#"Sweep(
    name: "digits",
    topologies: ["TOPOLOGIES/ring8.ron", "TOPOLOGIES/default.ron"],
    algorithms: ["ring", "tree"],
    sizes: List(["4KiB", "12KiB", "100KiB"]),
    memories: ["hbm", "sram"],
)"#,
    );
    let out = dir.join("out");
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let jsonl = read(&out.join("results.jsonl"));
    let csv = read(&out.join("results.csv"));
    let header: Vec<&str> = csv.lines().next().unwrap_or("").split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no {name} column in {csv}"))
    };
    let csv_rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let mut compared = 0;
    for (line, csv_row) in jsonl.lines().zip(&csv_rows) {
        if json_field(line, "status") != "\"ok\"" {
            continue;
        }
        let unquote = |name: &str| json_field(line, name).trim_matches('"').to_string();
        let topology = match unquote("topology").as_str() {
            "ring8" => "topologies/ring8.ron",
            _ => "topologies/default.ron",
        };
        let bytes = unquote("bytes");
        let single = kernbench(&[
            "run",
            "--topology",
            topology,
            "--collective",
            &unquote("collective"),
            "--algorithm",
            &unquote("algorithm"),
            "--size",
            &format!("{bytes}B"),
            "--memory",
            &unquote("memory"),
            "--json",
        ]);
        assert_eq!(single.status.code(), Some(0), "{}", stderr(&single));
        let printed = stdout(&single);
        for name in ["time_ns", "algbw_gbps", "busbw_gbps"] {
            assert_eq!(
                json_field(line, name),
                json_field(&printed, name),
                "{name} in results.jsonl vs run --json: {line}"
            );
            assert_eq!(
                csv_row[column(name)],
                json_field(&printed, name),
                "{name} in results.csv vs run --json: {csv_row:?}"
            );
        }
        compared += 1;
    }
    assert_eq!(compared, 24, "every point ran: {jsonl}");
}

#[test]
fn link_rows_of_two_collectives_are_all_kept_and_the_same_from_run_to_run() {
    let body = r#"Sweep(
    name: "two",
    topologies: ["TOPOLOGIES/ring8.ron"],
    collectives: ["all-reduce", "all-gather"],
    algorithms: ["ring"],
    sizes: List(["4KiB", "64KiB", "256KiB"]),
    memories: ["hbm"],
)"#;
    let (dir, file) = setup("twocollectives", body);
    let (a, b) = (dir.join("a"), dir.join("b"));
    for out in [&a, &b] {
        let run = sweep(&file, out, &[]);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    }
    let links = read(&a.join("links.jsonl"));
    assert_eq!(links, read(&b.join("links.jsonl")), "links.jsonl differs");
    let count = |collective: &str| {
        links
            .lines()
            .filter(|l| l.contains(&format!("\"collective\":\"{collective}\"")))
            .count()
    };
    // A ring on ring8 uses all 8 SIP links one way at least, for each collective.
    assert!(count("all-reduce") >= 8, "{links}");
    assert!(count("all-gather") >= 8, "{links}");
    assert_eq!(
        count("all-reduce") + count("all-gather"),
        links.lines().count()
    );
    let svg = read(&a.join("links-ring8.svg"));
    assert!(
        svg.contains("all-reduce: ring, hbm, 256 KiB per rank")
            && svg.contains("all-gather: ring, hbm, 256 KiB per rank"),
        "each panel names its collective"
    );
}

/// A sweep with link rows at several points: those of 2 topologies x 2 collectives x 2
/// algorithms at the largest size that run (smaller sizes have none).
const WITH_LINKS: &str = r#"Sweep(
    name: "links",
    topologies: ["TOPOLOGIES/ring8.ron", "TOPOLOGIES/default.ron"],
    collectives: ["all-reduce", "all-gather"],
    algorithms: ["ring", "tree"],
    sizes: List(["4KiB", "64KiB"]),
    memories: ["hbm"],
)"#;

/// The points (topology, collective, algorithm, bytes) that have rows in a JSON Lines file.
fn points_in(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .map(|l| {
            ["topology", "collective", "memory", "algorithm", "bytes"]
                .map(|f| json_field(l, f))
                .join(" ")
        })
        .collect()
}

#[test]
fn a_sweep_killed_between_link_rows_and_result_row_resumes_to_the_same_bytes() {
    let (dir, file) = setup("crash", WITH_LINKS);
    let whole = dir.join("whole");
    let run = sweep(&file, &whole, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let points_with_links = points_in(&read(&whole.join("links.jsonl"))).len();
    assert!(
        points_with_links >= 4,
        "{}",
        read(&whole.join("links.jsonl"))
    );
    for crash_after in ["1", "3"] {
        let out = dir.join(format!("crashed{crash_after}"));
        let args = [
            "sweep",
            file.to_str().unwrap_or(""),
            "--out",
            out.to_str().unwrap_or(""),
        ];
        let crashed = kernbench_with_env(
            &args,
            &[("KERNBENCH_TEST_CRASH_AFTER_LINK_ROWS", crash_after)],
        );
        assert!(!crashed.status.success(), "the hook aborts the sweep");
        assert_eq!(
            crashed.status.code(),
            None,
            "killed by SIGABRT, not an exit"
        );
        // The crash came where it should: a point has its link rows and no result row.
        let linked = points_in(&read(&out.join("links.jsonl")));
        let done = points_in(&read(&out.join("results.jsonl")));
        assert!(
            linked.iter().any(|p| !done.contains(p)),
            "crash after {crash_after}: links of {linked:?}, results of {done:?}"
        );
        let resumed = sweep(&file, &out, &[]);
        assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
        for name in ["results.jsonl", "links.jsonl", "results.csv", "summary.md"] {
            assert_eq!(
                read(&out.join(name)),
                read(&whole.join(name)),
                "crash after {crash_after}: {name} differs from the uninterrupted sweep"
            );
        }
    }
}

#[test]
fn a_write_that_fails_stops_the_sweep_says_what_is_safe_and_a_resume_completes_it() {
    let full = Path::new("/dev/full");
    if !full.exists() || !cfg!(unix) {
        println!("skipped: no /dev/full to stand in for a full disk on this system");
        return;
    }
    let (dir, file) = setup("diskfull", WITH_LINKS);
    let whole = dir.join("whole");
    assert_eq!(sweep(&file, &whole, &[]).status.code(), Some(0));
    // links.jsonl is the file that fills the disk: every write to /dev/full fails with
    // "No space left on device", as on a full disk, while the result files still take rows.
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("{e}"));
    #[cfg(unix)]
    std::os::unix::fs::symlink(full, out.join("links.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let message = stderr(&run);
    let safe = read(&out.join("results.jsonl")).lines().count();
    assert!(
        message.contains(&format!(
            "error: could not write {}: No space left on device",
            out.join("links.jsonl").display()
        )) && message.contains(&format!(
            "The sweep stopped: {safe} of 16 points are safe in {}",
            out.join("results.jsonl").display()
        )),
        "{message}"
    );
    assert!(!message.contains("internal error"), "{message}");
    // Largest first: the first point with links fails, and nothing computed after it is kept.
    assert!(safe < 16, "the sweep stopped early");
    assert!(
        !out.join("summary.md").exists(),
        "no tables from a stopped sweep"
    );
    // Space again: the same command runs the rest, and the folder ends as if never stopped.
    std::fs::remove_file(out.join("links.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    let resumed = sweep(&file, &out, &[]);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains(&format!("{safe} already done")),
        "{}",
        stderr(&resumed)
    );
    for name in ["results.jsonl", "links.jsonl", "results.csv"] {
        assert_eq!(read(&out.join(name)), read(&whole.join(name)), "{name}");
    }
}

const TINY: &str = r#"Sweep(
    name: "tiny",
    topologies: ["TOPOLOGIES/ring8.ron"],
    algorithms: ["ring"],
    sizes: List(["4KiB", "8KiB", "16KiB"]),
    memories: ["hbm"],
)"#;

#[test]
fn a_corrupt_or_foreign_output_folder_is_bad_input_with_the_fix() {
    let (dir, file) = setup("corrupt", TINY);
    let good = dir.join("good");
    assert_eq!(sweep(&file, &good, &[]).status.code(), Some(0));
    let copy_of_good = |name: &str| {
        let out = dir.join(name);
        std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("{e}"));
        for f in ["results.jsonl", "results.csv", "links.jsonl"] {
            std::fs::copy(good.join(f), out.join(f)).unwrap_or_else(|e| panic!("{e}"));
        }
        out
    };
    let spoil = |path: &Path, line: usize, text: &str| {
        let mut lines: Vec<String> = read(path).lines().map(String::from).collect();
        lines[line - 1] = text.to_string();
        std::fs::write(path, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    };

    let out = copy_of_good("badresults");
    spoil(&out.join("results.jsonl"), 3, "{\"topology\":\"ring8\"");
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains(&format!(
            "error: {}:3: not a result row (",
            out.join("results.jsonl").display()
        )) && stderr(&run).contains("delete that line (the sweep runs its point again), or move the folder away or choose another --out"),
        "{}",
        stderr(&run)
    );
    assert!(!stderr(&run).contains("to run"), "nothing runs");

    let out = copy_of_good("badlinks");
    spoil(
        &out.join("links.jsonl"),
        1,
        "{\"topology\":\"ring8\",\"memory\":\"hbm\"}",
    );
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains(&format!(
            "{}:1: not a link row (missing field",
            out.join("links.jsonl").display()
        )),
        "{}",
        stderr(&run)
    );

    let out = copy_of_good("badheader");
    spoil(&out.join("results.csv"), 1, "topology,algorithm,bytes");
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains(&format!(
            "{}: the header is `topology,algorithm,bytes`, not the `topology,collective,",
            out.join("results.csv").display()
        )) && stderr(&run).contains("move the folder away or choose another --out"),
        "{}",
        stderr(&run)
    );

    let shard = copy_of_good("badshard");
    spoil(&shard.join("results.jsonl"), 2, "not json");
    let merged = dir.join("merged");
    let merge = kernbench(&[
        "merge",
        good.to_str().unwrap_or(""),
        shard.to_str().unwrap_or(""),
        "--out",
        merged.to_str().unwrap_or(""),
    ]);
    assert_eq!(merge.status.code(), Some(2), "{}", stderr(&merge));
    assert!(
        stderr(&merge).contains(&format!(
            "{}:2: not a result row (",
            shard.join("results.jsonl").display()
        )) && stderr(&merge).contains("or leave the folder out"),
        "{}",
        stderr(&merge)
    );
}

#[test]
fn folders_from_before_the_channels_and_group_columns_merge_but_are_not_resumed() {
    let (dir, file) = setup("oldfolder", TINY);
    let new = dir.join("new");
    assert_eq!(sweep(&file, &new, &[]).status.code(), Some(0));
    // The folders older versions wrote: the same rows without the group columns, and
    // without the channels and chunk columns too. (json, csv header, csv row) edits each.
    let model = [
        (r#""model":"packet","#, ""),
        (",group_stride,model,", ",group_stride,"),
        (",1048576,8,1,packet,", ",1048576,8,1,"),
    ];
    let groups = [
        (r#""group_size":8,"group_stride":1,"#, ""),
        (",group_size,group_stride,", ","),
        (",1048576,8,1,", ",1048576,"),
    ];
    let channels = [
        (r#""channels":"auto","chunk_bytes":1048576,"#, ""),
        (",channels,chunk_bytes,", ","),
        (",auto,1048576,", ","),
    ];
    let generations = [
        (
            "nogroups",
            &[model, groups].concat()[..],
            "world_size,channels,chunk_bytes,status,",
        ),
        (
            "nochannels",
            &[model.to_vec(), groups.to_vec(), channels.to_vec()].concat()[..],
            "world_size,status,",
        ),
    ];
    for (name, edits, header) in generations {
        let old = dir.join(name);
        std::fs::create_dir_all(&old).unwrap_or_else(|e| panic!("{e}"));
        for file in ["results.jsonl", "results.csv", "links.jsonl"] {
            let text = edits
                .iter()
                .fold(read(&new.join(file)), |text, (from, to)| {
                    text.replace(from, to)
                });
            assert!(!text.contains("group_"), "{name} {file}: {text}");
            std::fs::write(old.join(file), text).unwrap_or_else(|e| panic!("{e}"));
        }
        let before = read(&old.join("results.jsonl"));
        let run = sweep(&file, &old, &[]);
        assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
        assert!(
            stderr(&run).contains(&format!(
                "{}: the header is `topology,collective,algorithm,memory,bytes,{header}",
                old.join("results.csv").display()
            )) && stderr(&run).contains(
                "world_size,channels,chunk_bytes,group_size,group_stride,model,status,error,time_ns,\
                 algbw_gbps,busbw_gbps,bound_gbps,efficiency,verified,events` this version \
                 writes; move the folder away or choose another --out"
            ),
            "{name}: {}",
            stderr(&run)
        );
        assert_eq!(
            read(&old.join("results.jsonl")),
            before,
            "{name}: nothing is written"
        );
        // Its rows read as what that version ran, auto, 1 MiB and one group of all 8 ranks:
        // merging gives today's files.
        let merged = dir.join(format!("{name}-merged"));
        let merge = kernbench(&[
            "merge",
            old.to_str().unwrap_or(""),
            "--out",
            merged.to_str().unwrap_or(""),
        ]);
        assert_eq!(merge.status.code(), Some(0), "{}", stderr(&merge));
        for file in ["results.jsonl", "results.csv", "links.jsonl", "summary.md"] {
            assert_eq!(
                read(&merged.join(file)),
                read(&new.join(file)),
                "{name}: {file}"
            );
        }
    }
}

/// A folder this process cannot write to: a fresh one made read-only, or, where that does not
/// stop us (root ignores permissions), /sys, which even root cannot create files in.
fn read_only_folder(dir: &Path) -> Option<PathBuf> {
    let fresh = dir.join("readonly");
    std::fs::create_dir_all(&fresh).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o555)).ok()?;
    }
    [fresh, PathBuf::from("/sys")]
        .into_iter()
        .find(|candidate| {
            let probe = candidate.join("kernbench-probe");
            let writable = std::fs::write(&probe, b"").is_ok();
            let _ = std::fs::remove_file(&probe);
            candidate.is_dir() && !writable
        })
}

#[test]
fn a_read_only_out_folder_is_bad_input_with_the_fix() {
    let (dir, file) = setup("readonly", TINY);
    let Some(out) = read_only_folder(&dir) else {
        println!("skipped: no folder here is read-only to this user (root ignores permissions)");
        return;
    };
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains(&format!(
            "error: cannot open for appending {}/",
            out.display()
        )) && stderr(&run).contains("choose a writable --out"),
        "{}",
        stderr(&run)
    );
    let good = dir.join("good");
    assert_eq!(sweep(&file, &good, &[]).status.code(), Some(0));
    let merge = kernbench(&[
        "merge",
        good.to_str().unwrap_or(""),
        "--out",
        out.to_str().unwrap_or(""),
    ]);
    assert_eq!(merge.status.code(), Some(2), "{}", stderr(&merge));
    assert!(
        stderr(&merge).contains("choose a writable --out"),
        "{}",
        stderr(&merge)
    );
}

#[test]
fn all_to_allv_points_take_the_sweeps_distribution_as_run_does() {
    let (dir, file) = setup(
        "allv",
        r#"Sweep(
    name: "allv",
    topologies: ["TOPOLOGIES/ring8.ron"],
    collectives: ["all-to-allv"],
    algorithms: ["direct"],
    sizes: List(["1MiB"]),
    memories: ["hbm"],
    distribution: "zipf:1.2",
    seed: 3,
)"#,
    );
    let out = dir.join("out");
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let jsonl = read(&out.join("results.jsonl"));
    let single = kernbench(&[
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--collective",
        "all-to-allv",
        "--algorithm",
        "direct",
        "--size",
        "1MiB",
        "--distribution",
        "zipf:1.2",
        "--seed",
        "3",
        "--json",
    ]);
    let row = stdout(&single);
    assert_eq!(
        json_field(jsonl.trim(), "time_ns"),
        json_field(row.trim(), "time_ns")
    );
    // Another seed draws other hot experts, so another time.
    let other = kernbench(&[
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--collective",
        "all-to-allv",
        "--size",
        "1MiB",
        "--distribution",
        "zipf:1.2",
        "--seed",
        "4",
        "--json",
    ]);
    assert_ne!(
        json_field(jsonl.trim(), "time_ns"),
        json_field(stdout(&other).trim(), "time_ns")
    );
    let (_, bad) = setup(
        "allv-bad",
        &TINY.replace("memories:", "distribution: \"pareto\",\n    memories:"),
    );
    let out = kernbench(&["validate", bad.to_str().unwrap_or("")]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: {}: distribution: \"pareto\" is not a distribution; use uniform or zipf:EXPONENT (e.g. zipf:1.2)\n",
            bad.display()
        )
    );
}

#[test]
fn a_sweep_with_model_flow_writes_rows_of_the_flow_model() {
    let (dir, file) = setup(
        "flowmodel",
        &TINY.replace("memories:", "model: Flow,\n    memories:"),
    );
    let out = dir.join("out");
    let run = sweep(&file, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let jsonl = read(&out.join("results.jsonl"));
    assert_eq!(jsonl.lines().count(), 3, "{jsonl}");
    assert!(
        jsonl
            .lines()
            .all(|l| l.contains(r#""model":"flow""#) && l.contains(r#""status":"ok""#)),
        "{jsonl}"
    );
    let csv = read(&out.join("results.csv"));
    assert!(
        csv.lines().skip(1).all(|l| l.contains(",1,flow,ok,")),
        "{csv}"
    );
}

#[test]
fn a_folder_from_before_the_model_column_resumes_as_the_packet_model() {
    let (dir, file) = setup("oldmodel", TINY);
    let new = dir.join("new");
    assert_eq!(sweep(&file, &new, &[]).status.code(), Some(0));
    // What the version before the column wrote, with its last point not yet run.
    let old = dir.join("old");
    std::fs::create_dir_all(&old).unwrap_or_else(|e| panic!("{e}"));
    let strip = |text: String| {
        text.replace(r#""model":"packet","#, "")
            .replace(",group_stride,model,", ",group_stride,")
            .replace(",1048576,8,1,packet,", ",1048576,8,1,")
    };
    for file in ["results.jsonl", "results.csv"] {
        let text = strip(read(&new.join(file)));
        let kept: Vec<&str> = text.lines().take(text.lines().count() - 1).collect();
        std::fs::write(old.join(file), kept.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(
        old.join("links.jsonl"),
        strip(read(&new.join("links.jsonl"))),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let run = sweep(&file, &old, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(stderr(&run).contains("1 to run"), "{}", stderr(&run));
    for file in ["results.jsonl", "results.csv", "links.jsonl"] {
        assert_eq!(read(&old.join(file)), read(&new.join(file)), "{file}");
    }
}

#[test]
fn a_packet_and_a_flow_sweep_merged_keep_each_models_rows_columns_and_links() {
    let (dir, packet_file) = setup("bothmodels", TINY);
    let flow_file = dir.join("flow.sweep.ron");
    std::fs::write(
        &flow_file,
        read(&packet_file).replace("memories:", "model: Flow,\n    memories:"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (packet, flow, merged) = (dir.join("packet"), dir.join("flow"), dir.join("merged"));
    for (file, out) in [(&packet_file, &packet), (&flow_file, &flow)] {
        let run = sweep(file, out, &[]);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    }
    let merge = kernbench(&[
        "merge",
        packet.to_str().unwrap_or(""),
        flow.to_str().unwrap_or(""),
        "--out",
        merged.to_str().unwrap_or(""),
    ]);
    assert_eq!(merge.status.code(), Some(0), "{}", stderr(&merge));
    let rows = read(&merged.join("results.jsonl"));
    for model in ["packet", "flow"] {
        let tag = format!(r#""model":"{model}""#);
        assert_eq!(
            rows.lines().filter(|l| l.contains(&tag)).count(),
            3,
            "{rows}"
        );
    }
    // Each model is a column of its own, not one cell the later row overwrote.
    let summary = read(&merged.join("summary.md"));
    let header = summary
        .lines()
        .find(|l| l.contains("ring (packet)"))
        .unwrap_or_else(|| panic!("no ring (packet) column:\n{summary}"));
    assert!(header.contains("ring (flow)"), "{header}");
    // Every link the packet run used has a row in each model with the same counters (the
    // flow model counts what the packet model would); utilisation divides by each model's
    // own time.
    let links = read(&merged.join("links.jsonl"));
    let of = |model: &str| -> Vec<String> {
        let tag = format!(r#""model":"{model}","#);
        links
            .lines()
            .filter(|l| l.contains(&tag))
            .map(|l| {
                let counters = l.split(r#","utilisation""#).next().unwrap_or("");
                counters.replace(&tag, "")
            })
            .collect()
    };
    assert!(!of("packet").is_empty(), "{links}");
    assert_eq!(of("packet"), of("flow"));
}
