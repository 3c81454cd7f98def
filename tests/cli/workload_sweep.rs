//! End-to-end tests of sweeps of workloads (`workloads: [...]` in a sweep file): the rows
//! give what `kernbench workload` gives, pairings that do not fit and stalls are rows with
//! their reason, bad files are exit 2 at their line, and the output is the same every time.

use std::path::{Path, PathBuf};

use crate::common::{kernbench, stderr, stdout};

/// A fresh folder for one test, holding the sweep file `body` (with `TOPOLOGIES` the bundled
/// topologies' folder) and the workload files `workloads` beside it.
fn setup(name: &str, body: &str, workloads: &[(&str, &str)]) -> (PathBuf, PathBuf) {
    let dir = crate::common::scratch(&format!("wsweep-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let topologies = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
    for (file, text) in workloads {
        write(&dir.join(file), text);
    }
    let file = dir.join("w.sweep.ron");
    write(
        &file,
        &body.replace("TOPOLOGIES", &topologies.display().to_string()),
    );
    (dir, file)
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn sweep(file: &Path, out: &Path) -> std::process::Output {
    kernbench(&[
        "sweep",
        &file.display().to_string(),
        "--out",
        &out.display().to_string(),
    ])
}

/// The bundled workload sweep, run once into a scratch folder for the tests that read it
/// (docs_formats.rs reads it too): its folder and what it printed.
pub(crate) fn bundled() -> &'static (PathBuf, String) {
    static OUT: std::sync::OnceLock<(PathBuf, String)> = std::sync::OnceLock::new();
    OUT.get_or_init(|| {
        let out = crate::common::scratch("wsweep-bundled");
        let _ = std::fs::remove_dir_all(&out);
        let run = sweep(Path::new("topologies/workloads/steps.sweep.ron"), &out);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        (out, stdout(&run))
    })
}

/// The fields of a JSON Lines file, one object per line.
fn rows(path: &Path) -> Vec<serde_json::Value> {
    read(path)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A time in microseconds as `kernbench workload` prints it: every picosecond.
fn us(ps: u64) -> String {
    format!("{}.{:06}", ps / 1_000_000, ps % 1_000_000)
}

#[test]
fn a_workload_sweep_row_gives_the_step_time_workload_gives_to_the_picosecond() {
    let (out, printed) = bundled();
    let mut compared = 0;
    for row in rows(&out.join("workloads.jsonl")) {
        if row["status"] != "ok" {
            continue;
        }
        let (workload, topology) = (
            row["workload"].as_str().unwrap_or_default(),
            row["topology"].as_str().unwrap_or_default(),
        );
        let single = kernbench(&[
            "workload",
            &format!("topologies/workloads/{workload}.workload.ron"),
            "--topology",
            &format!("topologies/{topology}.ron"),
            "--json",
        ]);
        assert_eq!(single.status.code(), Some(0), "{}", stderr(&single));
        let json: serde_json::Value =
            serde_json::from_str(stdout(&single).trim()).unwrap_or_else(|e| panic!("{e}"));
        let step_ps = json["step_time_ps"].as_u64().unwrap_or_default();
        assert_eq!(
            row["step_time_us"].as_f64(),
            Some(step_ps as f64 / 1e6),
            "{workload} on {topology}"
        );
        let rank = &json["ranks"][row["slowest_rank"].as_u64().unwrap_or_default() as usize];
        assert_eq!(
            rank["finish_ps"].as_u64(),
            Some(step_ps),
            "the slowest rank"
        );
        for (column, field) in [
            ("compute_us", "compute_ps"),
            ("exposed_comm_us", "exposed_comm_ps"),
            ("overlapped_comm_us", "overlapped_comm_ps"),
        ] {
            let ps = rank[field].as_u64().unwrap_or_default();
            assert_eq!(row[column].as_f64(), Some(ps as f64 / 1e6), "{column}");
        }
        assert_eq!(row["events"], json["events"]);
        // The busiest link is the first `kernbench workload --json` lists, as busy.
        assert_eq!(row["busiest_link"], json["links"][0]["link"]);
        assert_eq!(
            row["busiest_link_utilisation"],
            json["links"][0]["utilisation"]
        );
        // The printed table carries the digits `kernbench workload` prints.
        let line = printed
            .lines()
            .find(|l| {
                l.starts_with(&format!("{workload} ")) && l.contains(&format!(" {topology} "))
            })
            .unwrap_or_else(|| panic!("no line for {workload} on {topology}:\n{printed}"));
        assert!(line.contains(&format!(" {} ", us(step_ps))), "{line}");
        compared += 1;
    }
    // tp-layer, dp-step, moe-layer on ring8 and multicube2x4; the pipelines on mesh2x2.
    assert_eq!(compared, 8, "{printed}");
    assert!(
        printed.contains("15 points (8 ok, 7 failed or unsupported) in "),
        "{printed}"
    );
}

#[test]
fn a_workload_written_for_other_ranks_is_an_unsupported_row_with_the_reason() {
    let (out, _) = bundled();
    let csv = read(&out.join("workloads.csv"));
    assert_eq!(
        csv.lines().next(),
        Some(
            "workload,topology,world_size,model,status,error,step_time_us,slowest_rank,\
             compute_us,exposed_comm_us,overlapped_comm_us,max_exposed_comm_us,copy_us,\
             busiest_link,busiest_link_utilisation,events"
        )
    );
    assert!(
        csv.contains(
            "\npipeline,ring8,8,packet,unsupported,\"ranks: the workload is written for 4 ranks, \
             but the topology has 8 SIPs (rank = SIP); use a topology of 4 SIPs\",,,,,,,,,,\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("\ndp-step,ring8,8,packet,ok,,517.84608,0,430.0,87.84608,263.53824,87.84608,"),
        "{csv}"
    );
}

/// Rows in natural order of workload, then topology; the same rows and table on a second
/// run into another folder.
#[test]
fn a_workload_sweep_writes_the_same_bytes_every_time() {
    let (out, printed) = bundled();
    let again = crate::common::scratch("wsweep-bundled-again");
    let _ = std::fs::remove_dir_all(&again);
    let run = sweep(Path::new("topologies/workloads/steps.sweep.ron"), &again);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    for name in ["workloads.csv", "workloads.jsonl"] {
        assert_eq!(read(&out.join(name)), read(&again.join(name)), "{name}");
    }
    let table = |text: &str| text.split("\n\n").next().unwrap_or_default().to_string();
    assert_eq!(table(printed), table(&stdout(&run)));
    let order: Vec<String> = rows(&out.join("workloads.jsonl"))
        .iter()
        .map(|r| format!("{} {}", r["workload"], r["topology"]).replace('"', ""))
        .collect();
    assert_eq!(
        order[..3],
        ["dp-step mesh2x2", "dp-step multicube2x4", "dp-step ring8"]
    );
    assert_eq!(order.last().map(String::as_str), Some("tp-layer ring8"));
}

const LONELY: &str = r#"Workload(name: "lonely", nodes: [
    (name: "fwd", op: Compute(time: "1us")),
    (name: "rx", op: Recv(from: "prev", tag: 5, size: "1MiB"), on: [2], deps: ["fwd"]),
])"#;

const CHAIN: &str = r#"Workload(name: "chain", nodes: [
    (name: "a", op: Compute(time: "10us")),
    (name: "ar", op: Collective(collective: "all-reduce", size: "1MiB"), deps: ["a"]),
])"#;

#[test]
fn a_stalled_workload_is_a_failed_row_naming_the_stall_and_the_sweep_goes_on() {
    let (dir, file) = setup(
        "stall",
        r#"Sweep(
    name: "stall",
    topologies: ["ring:4"],
    workloads: ["*.workload.ron"],
)"#,
        &[
            ("lonely.workload.ron", LONELY),
            ("chain.workload.ron", CHAIN),
        ],
    );
    let run = sweep(&file, &dir.join("out"));
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let csv = read(&dir.join("out/workloads.csv"));
    assert!(
        csv.contains(
            "\nlonely,ring4,4,packet,failed,\"deadlock at 1 us: 1 process blocked; cause: rank2 \
             rx receives 1 MiB from rank1 with tag 5, but rank1 has no send to rank2 with tag 5 \
             left for it; `kernbench workload` prints the whole report\",,,,,,,,,,\n"
        ),
        "{csv}"
    );
    assert!(csv.contains("\nchain,ring4,4,packet,ok,,"), "{csv}");
    // `kernbench workload` of the same pair prints the whole report and exits 3.
    let single = kernbench(&[
        "workload",
        &dir.join("lonely.workload.ron").display().to_string(),
        "--topology",
        "ring:4",
    ]);
    assert_eq!(single.status.code(), Some(3));
    assert!(stdout(&single).starts_with("deadlock at 1 us: 1 process blocked"));
}

#[test]
fn a_workload_past_the_time_limit_is_a_failed_row() {
    let (dir, file) = setup(
        "limit",
        r#"Sweep(
    name: "limit",
    topologies: ["ring:4"],
    workloads: ["chain.workload.ron"],
    time_limit: "5us",
)"#,
        &[("chain.workload.ron", CHAIN)],
    );
    let run = sweep(&file, &dir.join("out"));
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let csv = read(&dir.join("out/workloads.csv"));
    assert!(
        csv.contains("\nchain,ring4,4,packet,failed,had not finished by the time limit 5 us ("),
        "{csv}"
    );
    assert!(
        csv.contains(" events); raise time_limit,,,,,,,,,,\n"),
        "{csv}"
    );
}

/// Each field of a sweep of collectives, written in a workload sweep, is exit 2 at its line
/// with the fix, from `validate` and `sweep`, and nothing is written.
#[test]
fn a_collective_field_in_a_workload_sweep_is_bad_input_at_its_line() {
    let why = "a workload sweep takes its collectives from the workload files";
    for (field, value, reason) in [
        ("collectives", r#"["all-reduce"]"#, why),
        ("algorithms", r#"["ring"]"#, why),
        ("sizes", r#"List(["4KiB"])"#, why),
        ("memories", r#"["hbm"]"#, why),
        ("channels", r#"["auto"]"#, why),
        ("chunk_sizes", r#"["1MiB"]"#, why),
        ("group_sizes", r#"["all"]"#, why),
        ("group_strides", r#"["1"]"#, why),
        ("ring_orders", r#"{"ring4": [0, 1, 2, 3]}"#, why),
        (
            "distribution",
            r#""uniform""#,
            "a workload sweep takes its collectives, and how an all-to-allv splits, from the \
             workload files",
        ),
        (
            "seed",
            "3",
            "a workload sweep takes its collectives, and how an all-to-allv splits, from the \
             workload files",
        ),
        (
            "verify",
            "false",
            "a workload sweep times its steps, without data to verify",
        ),
    ] {
        let body = format!(
            "Sweep(\n    name: \"bad\",\n    topologies: [\"ring:4\"],\n    workloads: \
             [\"chain.workload.ron\"],\n    {field}: {value},\n)"
        );
        let (dir, file) = setup(
            &format!("field-{field}"),
            &body,
            &[("chain.workload.ron", CHAIN)],
        );
        let expected = format!(
            "error: {}:5: {field}: {reason}; remove `{field}`\n",
            file.display()
        );
        let out = dir.join("out");
        for args in [
            vec!["validate"],
            vec!["sweep", "--out", out.to_str().unwrap_or("")],
        ] {
            let mut args = args.clone();
            let path = file.display().to_string();
            args.push(&path);
            let run = kernbench(&args);
            assert_eq!(run.status.code(), Some(2), "{field}: {}", stderr(&run));
            assert_eq!(stderr(&run), expected, "{field}");
        }
        assert!(!out.exists(), "{field}: nothing is written for a bad sweep");
    }
}

#[test]
fn a_missing_workload_file_an_empty_glob_and_an_empty_list_are_bad_input_naming_the_entry() {
    for (name, entries, line, message) in [
        (
            "missing",
            r#"["chain.workload.ron", "nowhere.workload.ron"]"#,
            "4: workloads[1]",
            "\"nowhere.workload.ron\" matches no file or folder (looked in DIR)",
        ),
        (
            "glob",
            "[\n        \"chain.workload.ron\",\n        \"steps/*.workload.ron\",\n    ]",
            "6: workloads[1]",
            "\"steps/*.workload.ron\" matches no file or folder (looked in DIR)",
        ),
        (
            "empty",
            "[]",
            "4: workloads",
            "the list is empty; name at least one workload file (*.workload.ron) or folder of \
             Chakra traces",
        ),
        (
            "topology",
            r#"["TOPOLOGIES/ring8.ron"]"#,
            "4: workloads[0]",
            "TOPOLOGIES/ring8.ron is not a workload; name workload files (*.workload.ron) or \
             folders of Chakra traces, e.g. \"workloads/*.workload.ron\"",
        ),
    ] {
        let body = format!(
            "Sweep(\n    name: \"bad\",\n    topologies: [\"ring:4\"],\n    workloads: {entries},\n)"
        );
        let (dir, file) = setup(
            &format!("entry-{name}"),
            &body,
            &[("chain.workload.ron", CHAIN)],
        );
        let topologies = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
        let message = message
            .replace("DIR", &dir.display().to_string())
            .replace("TOPOLOGIES", &topologies.display().to_string());
        let run = kernbench(&["validate", &file.display().to_string()]);
        assert_eq!(run.status.code(), Some(2), "{name}: {}", stderr(&run));
        assert_eq!(
            stderr(&run),
            format!("error: {}:{line}: {message}\n", file.display()),
            "{name}"
        );
    }
}

#[test]
fn a_bad_workload_file_is_refused_naming_the_sweep_entry_and_the_workload_line() {
    let (_dir, file) = setup(
        "badfile",
        r#"Sweep(
    name: "badfile",
    topologies: ["ring:4"],
    workloads: ["cycle.workload.ron"],
)"#,
        &[(
            "cycle.workload.ron",
            r#"Workload(name: "c", nodes: [
    (name: "a", op: Compute(time: "1us"), deps: ["b"]),
    (name: "b", op: Compute(time: "1us"), deps: ["a"]),
])"#,
        )],
    );
    let run = kernbench(&["validate", &file.display().to_string()]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    let workload = file.with_file_name("cycle.workload.ron");
    assert_eq!(
        stderr(&run),
        format!(
            "error: {}:4: workloads[0]: {}:2: nodes[0].deps: node \"a\": the dependencies form a \
             cycle, a -> b -> a; a node cannot wait for itself, so remove one of them\n",
            file.display(),
            workload.display()
        )
    );
}

#[test]
fn two_workloads_of_one_name_are_refused_naming_both_files() {
    let (dir, file) = setup(
        "dupname",
        r#"Sweep(
    name: "dup",
    topologies: ["ring:4"],
    workloads: ["*.workload.ron"],
)"#,
        &[("a.workload.ron", CHAIN), ("b.workload.ron", CHAIN)],
    );
    let run = kernbench(&["validate", &file.display().to_string()]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert_eq!(
        stderr(&run),
        format!(
            "error: {}:4: workloads[0]: {} and {} both name their workload \"chain\"; rows are \
             keyed by workload name, so give one of them another `name` (a Chakra trace is named \
             by its files' PREFIX) or leave one out\n",
            file.display(),
            dir.join("a.workload.ron").display(),
            dir.join("b.workload.ron").display()
        )
    );
}

/// The fields of a sweep of collectives that a workload sweep leaves out stay required in
/// a sweep of collectives, with the error they always gave.
#[test]
fn a_sweep_of_collectives_without_algorithms_or_sizes_gives_the_error_it_always_gave() {
    for (field, body) in [
        (
            "algorithms",
            "Sweep(\n    name: \"x\",\n    topologies: [\"ring:4\"],\n    sizes: List([\"4KiB\"]),\n)",
        ),
        (
            "sizes",
            "Sweep(\n    name: \"x\",\n    topologies: [\"ring:4\"],\n    algorithms: [\"ring\"],\n)",
        ),
    ] {
        let (_dir, file) = setup(&format!("without-{field}"), body, &[]);
        let run = kernbench(&["validate", &file.display().to_string()]);
        assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
        assert_eq!(
            stderr(&run),
            format!(
                "error: {}:5:1: Unexpected missing field named `{field}` in `Sweep`; fix the \
                 sweep file at that place (topologies/default.sweep.ron is a complete example)\n",
                file.display()
            )
        );
    }
    let (_dir, file) = setup(
        "peak",
        "Sweep(\n    name: \"x\",\n    topologies: [\"ring:4\"],\n    algorithms: [\"ring\"],\n    \
         sizes: List([\"4KiB\"]),\n    peak_flops: \"1TFLOP/s\",\n)",
        &[],
    );
    let run = kernbench(&["validate", &file.display().to_string()]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).ends_with(
            ":6: peak_flops: peak_flops is for the compute of workloads; remove it, or name \
             workloads to sweep with `workloads: [...]`\n"
        ),
        "{}",
        stderr(&run)
    );
}

#[test]
fn validate_counts_the_points_of_a_workload_sweep() {
    let run = kernbench(&["validate", "topologies/workloads/steps.sweep.ron"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(
        stdout(&run),
        "ok: topologies/workloads/steps.sweep.ron (workload sweep steps: 15 points, 5 workloads \
         x 3 topologies)\n"
    );
}

/// Shards of a workload sweep merge into what the whole sweep writes, and a sweep run again
/// into its folder runs nothing.
#[test]
fn workload_shards_merge_into_the_whole_sweep_and_a_rerun_skips_what_is_done() {
    let (dir, file) = setup(
        "shards",
        r#"Sweep(
    name: "shards",
    topologies: ["ring:4", "ring:8", "TOPOLOGIES/mesh2x2.ron"],
    workloads: ["*.workload.ron"],
    model: Flow,
)"#,
        &[
            ("chain.workload.ron", CHAIN),
            ("lonely.workload.ron", LONELY),
        ],
    );
    let whole = dir.join("whole");
    assert_eq!(sweep(&file, &whole).status.code(), Some(0));
    let again = sweep(&file, &whole);
    assert!(
        stderr(&again).contains("6 points, 6 already done in ")
            && stderr(&again).contains(", 0 to run"),
        "{}",
        stderr(&again)
    );
    let mut shards = Vec::new();
    for k in 0..2 {
        let out = dir.join(format!("shard{k}"));
        let run = kernbench(&[
            "sweep",
            &file.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--shard",
            &format!("{k}/2"),
        ]);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        assert_eq!(read(&out.join("workloads.jsonl")).lines().count(), 3);
        shards.push(out.display().to_string());
    }
    let merged = dir.join("merged");
    let merged_text = merged.display().to_string();
    let run = kernbench(&["merge", &shards[0], &shards[1], "--out", &merged_text]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(stdout(&run).contains("6 points (3 ok, 3 failed or unsupported) in "));
    for name in ["workloads.csv", "workloads.jsonl"] {
        assert_eq!(read(&merged.join(name)), read(&whole.join(name)), "{name}");
    }
    assert!(read(&whole.join("workloads.csv")).contains("\nchain,mesh2x2,4,flow,ok,"));
}

/// `kernbench compare` reads sweeps of collectives only: a workload sweep's folder is bad
/// input that says so, and its files are not taken for results.
#[test]
fn compare_refuses_a_workload_sweep_against_one_of_collectives_saying_which_is_which() {
    let (out, _) = bundled();
    let a = crate::compare::sweeps().a.display().to_string();
    let folder = out.display().to_string();
    let run = kernbench(&["compare", &a, &folder]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert_eq!(
        stderr(&run),
        format!(
            "error: {folder} holds a workload sweep and {a} does not; compare two sweeps of \
             collectives or two workload sweeps\n"
        )
    );
    for name in ["workloads.csv", "workloads.jsonl"] {
        let file = out.join(name).display().to_string();
        let run = kernbench(&["compare", &file, &a]);
        assert_eq!(run.status.code(), Some(2), "{name}: {}", stderr(&run));
        assert!(
            stderr(&run).contains("holds a workload sweep"),
            "{}",
            stderr(&run)
        );
    }
}

/// Two workload sweeps of dp-step and tp-layer: on `topology`, in the packet model unless
/// `flow`; their folder.
fn steps_on(name: &str, topology: &str, flow: bool) -> PathBuf {
    let workloads = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies/workloads");
    let body = format!(
        r#"Sweep(
    name: "{name}",
    topologies: ["TOPOLOGIES/{topology}.ron"],
    workloads: ["{w}/dp-step.workload.ron", "{w}/tp-layer.workload.ron"],
    {model}
)"#,
        w = workloads.display(),
        model = if flow { "model: Flow," } else { "" },
    );
    let (dir, file) = setup(name, &body, &[]);
    let out = dir.join("out");
    let run = sweep(&file, &out);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    out
}

#[test]
fn compare_sets_two_workload_sweeps_side_by_side_across_models_and_machines() {
    let packet = steps_on("cmp-packet", "ring8", false);
    let flow = steps_on("cmp-flow", "ring8", true);
    let cube = steps_on("cmp-cube", "multicube2x4", false);
    let (p, f, c) = (
        packet.display().to_string(),
        flow.display().to_string(),
        cube.display().to_string(),
    );
    let run = kernbench(&["compare", &p, &f]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(
        stdout(&run),
        format!(
            "\
A: {p}/workloads.jsonl (2 points on ring8)
B: {f}/workloads.jsonl (2 points on ring8)
matched on everything but the network model (A: packet, B: flow): 2 in both, 0 only in A, 0 only in B
point              step A  step B  step B/A  exposed A  exposed B  exposed B/A
dp-step on ring8   518 us  518 us     1.000    87.8 us    87.8 us        1.000
tp-layer on ring8  573 us  590 us     1.030     293 us     310 us        1.060
"
        )
    );
    // One machine against another: the topology leaves the point's name.
    let run = kernbench(&["compare", &p, &c, "--csv"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let csv = stdout(&run);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "point,workload,topology_a,model_a,status_a,step_time_us_a,exposed_comm_us_a,\
         topology_b,model_b,status_b,step_time_us_b,exposed_comm_us_b,step_time_ratio,\
         exposed_comm_ratio"
    );
    assert!(
        lines[1].starts_with(
            "dp-step (packet),dp-step,ring8,packet,ok,517.84608,87.84608,multicube2x4,packet,ok,\
             512.74416,82.74416,"
        ),
        "{csv}"
    );
    let run = kernbench(&["compare", &p, &c, "--json"]);
    let first: serde_json::Value = serde_json::from_str(stdout(&run).lines().next().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}: {}", stdout(&run)));
    assert_eq!(first["point"], "dp-step (packet)");
    assert_eq!(first["a"]["step_time_us"], 517.84608);
    assert_eq!(first["b"]["topology"], "multicube2x4");
    assert_eq!(
        first["step_time_ratio"].as_f64(),
        Some(512.74416 / 517.84608)
    );
}
