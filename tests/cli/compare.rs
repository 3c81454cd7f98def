//! End-to-end tests of `kernbench compare`: three tiny sweeps, run once for all the tests,
//! compared on the same topology name (ring8 and a ring8 with links twice as fast) and across
//! machines (ring8 against torus4x4).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::common::{kernbench, scratch, stderr, stdout};

/// The `--out` folders of the three sweeps: `a` on ring8 (ring, mesh, tree), `b` on a ring8
/// with 200 GB/s links (ring, mesh, direct), `c` on torus4x4 (ring, mesh, tree); each at
/// 4 KiB and 1 MiB in HBM.
pub(crate) struct Sweeps {
    pub(crate) a: PathBuf,
    pub(crate) b: PathBuf,
    pub(crate) c: PathBuf,
}

/// The three sweeps, run by the first test that asks (docs_formats.rs reads them too).
pub(crate) fn sweeps() -> &'static Sweeps {
    static SWEEPS: OnceLock<Sweeps> = OnceLock::new();
    SWEEPS.get_or_init(|| {
        let dir = scratch("compare");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let topologies = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
        let ring8 = std::fs::read_to_string(topologies.join("ring8.ron"))
            .unwrap_or_else(|e| panic!("cannot read ring8.ron: {e}"));
        let fast = ring8.replace(
            "bandwidth: \"100GB/s\", latency: \"500ns\"",
            "bandwidth: \"200GB/s\", latency: \"500ns\"",
        );
        assert_ne!(
            fast, ring8,
            "ring8.ron's SIP links are no longer 100GB/s, 500ns"
        );
        write(&dir.join("ring8fast.ron"), &fast);
        let run = |name: &str, topology: &str, algorithms: &str| {
            let file = dir.join(format!("{name}.sweep.ron"));
            write(
                &file,
                &format!(
                    "Sweep(name: \"{name}\", topologies: [\"{topology}\"], algorithms: \
                     [{algorithms}], sizes: List([\"4KiB\", \"1MiB\"]), memories: [\"hbm\"])"
                ),
            );
            let out = dir.join(name);
            let output = kernbench(&[
                "sweep",
                &file.display().to_string(),
                "--out",
                &out.display().to_string(),
            ]);
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            out
        };
        let ring8 = topologies.join("ring8.ron").display().to_string();
        let torus = topologies.join("torus4x4.ron").display().to_string();
        Sweeps {
            a: run("a", &ring8, r#""ring", "mesh", "tree""#),
            b: run("b", "ring8fast.ron", r#""ring", "mesh", "direct""#),
            c: run("c", &torus, r#""ring", "mesh", "tree""#),
        }
    })
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

pub(crate) fn compare(a: &Path, b: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["compare".to_owned(), a.display().to_string()];
    args.push(b.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    kernbench(&args)
}

#[test]
fn two_sweeps_of_one_topology_name_compare_point_by_point_and_list_the_rest() {
    let s = sweeps();
    let output = compare(&s.a, &s.b, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let expected = format!(
        "\
A: {a}/results.jsonl (6 points on ring8)
B: {b}/results.jsonl (6 points on ring8)
matched on every field of the point: 4 in both, 2 only in A, 2 only in B
point                                 time A       time B  time B/A    busbw A   busbw B  busbw B/A
ring8 all-reduce mesh 4 KiB hbm  unsupported  unsupported         -          -         -          -
ring8 all-reduce mesh 1 MiB hbm  unsupported  unsupported         -          -         -          -
ring8 all-reduce ring 4 KiB hbm      12.6 us      12.6 us     0.999   567 MB/s  568 MB/s      1.001
ring8 all-reduce ring 1 MiB hbm      22.1 us      17.5 us     0.792  83.2 GB/s  105 GB/s      1.263
only in A (2):
  ring8 all-reduce tree 4 KiB hbm
  ring8 all-reduce tree 1 MiB hbm
only in B (2):
  ring8 all-reduce direct 4 KiB hbm
  ring8 all-reduce direct 1 MiB hbm
",
        a = s.a.display(),
        b = s.b.display()
    );
    assert_eq!(stdout(&output), expected);
}

#[test]
fn two_machines_compare_on_everything_but_the_topology() {
    let s = sweeps();
    let output = compare(&s.a, &s.c, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let expected = format!(
        "\
A: {a}/results.jsonl (6 points on ring8)
B: {c}/results.jsonl (6 points on torus4x4)
matched on everything but the machine (A: ring8 (8 ranks), B: torus4x4 (16 ranks)): 6 in both, 0 only in A, 0 only in B
point                           time A   time B  time B/A    busbw A    busbw B  busbw B/A
all-reduce mesh 4 KiB hbm  unsupported  16.8 us         -          -   456 MB/s          -
all-reduce mesh 1 MiB hbm  unsupported  26.9 us         -          -  73.1 GB/s          -
all-reduce ring 4 KiB hbm      12.6 us  42.0 us     3.326   567 MB/s   183 MB/s      0.322
all-reduce ring 1 MiB hbm      22.1 us  52.2 us     2.367  83.2 GB/s  37.7 GB/s      0.453
all-reduce tree 4 KiB hbm      10.0 us  17.8 us     1.777   717 MB/s   432 MB/s      0.603
all-reduce tree 1 MiB hbm       134 us   227 us     1.694  13.7 GB/s  8.65 GB/s      0.632
",
        a = s.a.display(),
        c = s.c.display()
    );
    assert_eq!(stdout(&output), expected);
}

#[test]
fn results_csv_files_compare_as_their_folders_do() {
    let s = sweeps();
    let folders = stdout(&compare(&s.a, &s.c, &[]));
    let output = compare(&s.a.join("results.csv"), &s.c.join("results.csv"), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let files = stdout(&output);
    assert!(
        files.starts_with(&format!(
            "A: {}/results.csv (6 points on ring8)\n",
            s.a.display()
        )),
        "{files}"
    );
    // Past the two lines naming the files, the same report.
    let body = |text: &str| text.lines().skip(2).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&files), body(&folders));
}

#[test]
fn compare_json_prints_one_object_per_point_with_both_sides_and_the_ratios() {
    let s = sweeps();
    let output = compare(&s.a, &s.b, &["--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    // 4 in both, 2 only in A, 2 only in B, in key order (direct, mesh, ring, tree).
    let points: Vec<&str> = lines.iter().filter_map(|l| l["point"].as_str()).collect();
    assert_eq!(
        points,
        [
            "ring8 all-reduce direct 4 KiB hbm",
            "ring8 all-reduce direct 1 MiB hbm",
            "ring8 all-reduce mesh 4 KiB hbm",
            "ring8 all-reduce mesh 1 MiB hbm",
            "ring8 all-reduce ring 4 KiB hbm",
            "ring8 all-reduce ring 1 MiB hbm",
            "ring8 all-reduce tree 4 KiB hbm",
            "ring8 all-reduce tree 1 MiB hbm",
        ]
    );
    let ring = &lines[5];
    assert_eq!(ring["a"]["status"], "ok");
    assert_eq!(ring["b"]["topology"], "ring8");
    let ratio = |side: &str, field: &str| -> f64 { ring[side][field].as_f64().unwrap_or(f64::NAN) };
    assert_eq!(
        ring["time_ratio"].as_f64(),
        Some(ratio("b", "time_ns") / ratio("a", "time_ns"))
    );
    assert_eq!(
        ring["busbw_ratio"].as_f64(),
        Some(ratio("b", "busbw_gbps") / ratio("a", "busbw_gbps"))
    );
    // A point of one side has no other side and no ratios; a refused one no ratios.
    assert!(lines[0]["a"].is_null() && lines[0]["time_ratio"].is_null());
    assert_eq!(lines[2]["b"]["status"], "unsupported");
    assert!(lines[2]["busbw_ratio"].is_null());
}

#[test]
fn compare_csv_prints_a_header_and_a_row_per_point_empty_where_a_side_has_none() {
    let s = sweeps();
    let output = compare(&s.a, &s.b, &["--csv"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 8, "{text}");
    assert_eq!(
        lines[0],
        "point,collective,algorithm,memory,bytes,channels,chunk_bytes,group_stride,\
         topology_a,status_a,time_ns_a,busbw_gbps_a,topology_b,status_b,time_ns_b,busbw_gbps_b,\
         time_ratio,busbw_ratio"
    );
    // Only in B: A's columns and the ratios are empty.
    assert_eq!(
        lines[1],
        "ring8 all-reduce direct 4 KiB hbm,all-reduce,direct,hbm,4096,auto,1048576,1,,,,,\
         ring8,ok,4837.96,1.481616218406105,,"
    );
    assert_eq!(
        lines[3],
        "ring8 all-reduce mesh 4 KiB hbm,all-reduce,mesh,hbm,4096,auto,1048576,1,\
         ring8,unsupported,,,ring8,unsupported,,,,"
    );
    assert_eq!(
        lines[6],
        "ring8 all-reduce ring 1 MiB hbm,all-reduce,ring,hbm,1048576,auto,1048576,1,\
         ring8,ok,22052.8,83.20975114271204,ring8,ok,17465.28,105.06605104527384,\
         0.7919756221432199,1.2626651276131848"
    );
    let both = compare(&s.a, &s.b, &["--csv", "--json"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(
        stderr(&both).starts_with("error: the argument '--csv' cannot be used with '--json'"),
        "{}",
        stderr(&both)
    );
}

/// The fix every message about a file that is not a sweep's results names.
const GIVE: &str = "give a sweep's --out folder, or its results.jsonl or results.csv";

fn refused(a: &Path, b: &Path) -> String {
    let output = compare(a, b, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "bad input prints no report");
    stderr(&output)
}

#[test]
fn a_missing_file_or_a_folder_without_results_is_bad_input_naming_it() {
    let s = sweeps();
    let missing = s.a.with_file_name("nowhere");
    assert_eq!(
        refused(&s.a, &missing),
        format!(
            "error: {}: no such file or folder; {GIVE}\n",
            missing.display()
        )
    );
    let empty = scratch("compare-empty-folder");
    std::fs::create_dir_all(&empty).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        refused(&empty, &s.a),
        format!(
            "error: {} has no results.jsonl or results.csv; {GIVE}\n",
            empty.display()
        )
    );
}

#[test]
fn a_file_that_is_not_a_sweeps_results_is_bad_input_naming_it() {
    let s = sweeps();
    let topology = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies/ring8.ron");
    assert_eq!(
        refused(&s.a, &topology),
        format!(
            "error: {}: not a results file (its name ends in neither .jsonl nor .csv); {GIVE}\n",
            topology.display()
        )
    );
    let links = s.a.join("links.jsonl");
    let message = refused(&links, &s.b);
    assert!(
        message.starts_with(&format!(
            "error: {}:1: not a result row of a sweep (missing field `world_size`",
            links.display()
        )) && message.ends_with(&format!("; {GIVE}\n")),
        "{message}"
    );
    let csv = scratch("compare-not-results.csv");
    write(&csv, "name,value\nx,1\n");
    assert_eq!(
        refused(&s.a, &csv),
        format!(
            "error: {}: not a sweep's results.csv, its header is `name,value`; {GIVE}\n",
            csv.display()
        )
    );
    let empty = scratch("compare-empty.jsonl");
    write(&empty, "");
    assert_eq!(
        refused(&empty, &s.a),
        format!(
            "error: {} holds no results; {GIVE} of a sweep that ran\n",
            empty.display()
        )
    );
}

#[test]
fn two_sweeps_with_no_point_in_common_are_bad_input_naming_both() {
    let s = sweeps();
    // b holds ring8 at 4 KiB and 1 MiB; this file the same topology name at 64 KiB only.
    let other = scratch("compare-other-size.jsonl");
    let row = std::fs::read_to_string(s.b.join("results.jsonl"))
        .unwrap_or_else(|e| panic!("{e}"))
        .lines()
        .next()
        .unwrap_or_default()
        .replace("\"bytes\":4096", "\"bytes\":65536");
    assert!(row.contains("\"bytes\":65536"), "{row}");
    write(&other, &format!("{row}\n"));
    assert_eq!(
        refused(&s.a, &other),
        format!(
            "error: {}/results.jsonl (ring8) and {} (ring8) have no point in common; compare \
             two sweeps of the same collectives, algorithms, sizes and memories, on the same \
             topology names or on one topology each\n",
            s.a.display(),
            other.display()
        )
    );
}

/// A flow-model sweep against the packet-model sweep of the same points is matched on every
/// field but the model: "what does the fast model give away here?".
#[test]
fn a_flow_sweep_is_matched_with_the_packet_sweep_of_the_same_points() {
    let dir = scratch("compare-models");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let ring8 = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("topologies/ring8.ron")
        .display()
        .to_string();
    let mut outs = Vec::new();
    for model in ["Packet", "Flow"] {
        let file = dir.join(format!("{model}.sweep.ron"));
        write(
            &file,
            &format!(
                "Sweep(name: \"{model}\", topologies: [\"{ring8}\"], algorithms: [\"ring\", \
                 \"direct\"], sizes: List([\"4KiB\", \"1MiB\"]), memories: [\"hbm\"], model: \
                 {model})"
            ),
        );
        let out = dir.join(model);
        let output = kernbench(&[
            "sweep",
            &file.display().to_string(),
            "--out",
            &out.display().to_string(),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        outs.push(out);
    }
    let output = compare(&outs[0], &outs[1], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[2],
        "matched on everything but the network model (A: packet, B: flow): 4 in both, 0 only \
         in A, 0 only in B",
        "{text}"
    );
    let points: Vec<&str> = lines[4..]
        .iter()
        .filter_map(|l| l.split("  ").next())
        .collect();
    assert_eq!(
        points,
        [
            "ring8 all-reduce direct 4 KiB hbm",
            "ring8 all-reduce direct 1 MiB hbm",
            "ring8 all-reduce ring 4 KiB hbm",
            "ring8 all-reduce ring 1 MiB hbm"
        ],
        "{text}"
    );
}
