//! End-to-end tests of generated topologies (`ring:N`, `mesh:RxC`, `torus:RxC`, `cubes:CxS`)
//! on the command line and in sweep files.

use crate::common::{kernbench, stderr, stdout, temp_file};

fn run_json(topology: &str) -> serde_json::Value {
    let out = kernbench(&[
        "run",
        "--topology",
        topology,
        "--size",
        "1MiB",
        "--verify",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{topology}: {}", stderr(&out));
    serde_json::from_str(stdout(&out).trim())
        .unwrap_or_else(|e| panic!("{topology}: not one JSON object: {e}"))
}

#[test]
fn run_on_a_generated_ring_matches_the_same_machine_written_as_a_file() {
    let json = run_json("ring:16");
    assert_eq!(json["topology"], "ring16");
    assert_eq!(json["world_size"], 16);
    assert_eq!(json["verified"], true);
    // The same machine by hand: default.ron's values, 16 SIPs in a bidirectional ring.
    let default = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/topologies/default.ron"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let text = default
        .replace("name: \"default\"", "name: \"ring16\"")
        .replace("per_cube: 2", "per_cube: 16")
        .replace("shape: FullyConnected", "shape: BidirectionalRing");
    let file = temp_file("ring16.ron", &text);
    let by_hand = run_json(file.to_str().unwrap_or(""));
    assert_eq!(json["time_ns"], by_hand["time_ns"]);
    assert_eq!(json["events"], by_hand["events"]);
}

#[test]
fn every_generated_form_runs() {
    for (form, name, ranks) in [
        ("mesh:2x3", "mesh2x3", 6),
        ("torus:3x3", "torus3x3", 9),
        ("cubes:2x4", "cubes2x4", 8),
    ] {
        let json = run_json(form);
        assert_eq!(json["topology"], name);
        assert_eq!(json["world_size"], ranks);
    }
}

#[test]
fn bad_generated_forms_are_bad_input_with_the_fix() {
    for (form, problem) in [
        ("ring:0", "it must be at least 1"),
        ("mesh:8x", "is not a whole number"),
        ("torus:0x4", "the row count is 0; it must be at least 1"),
        ("ring:100000", "above the limit of 65536"),
    ] {
        let out = kernbench(&["run", "--topology", form]);
        assert_eq!(out.status.code(), Some(2), "{form}");
        let message = stderr(&out);
        assert!(message.contains(form), "{form}: {message}");
        assert!(message.contains(problem), "{form}: {message}");
        assert!(!message.contains("panicked"), "{message}");
    }
}

#[test]
fn sweep_files_take_generated_forms() {
    let file = temp_file(
        "generated.sweep.ron",
        r#"Sweep(
            name: "generated",
            topologies: ["ring:4", "cubes:2x2", "ring:4"],
            algorithms: ["ring", "hierarchical"],
            sizes: List(["64KiB"]),
            memories: ["hbm"],
        )"#,
    );
    let out_dir = crate::common::scratch("generated-out");
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = kernbench(&[
        "sweep",
        file.to_str().unwrap_or(""),
        "--out",
        out_dir.to_str().unwrap_or(""),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results =
        std::fs::read_to_string(out_dir.join("results.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    // ring:4 once (repeats are dropped) x 2 algorithms, cubes:2x2 x 2 algorithms.
    assert_eq!(results.lines().count(), 4, "{results}");
    assert!(results.contains("\"ring4\"") && results.contains("\"cubes2x2\""));

    let bad = temp_file(
        "bad-generated.sweep.ron",
        r#"Sweep(name: "bad", topologies: ["torus:4x"], algorithms: ["ring"], sizes: List(["4KiB"]))"#,
    );
    let out = kernbench(&[
        "sweep",
        bad.to_str().unwrap_or(""),
        "--out",
        out_dir.to_str().unwrap_or(""),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("topologies[0]: \"torus:4x\" is not a generated topology"),
        "{}",
        stderr(&out)
    );
}
