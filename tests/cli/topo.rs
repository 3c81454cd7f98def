//! End-to-end tests of `kernbench validate` and `kernbench topo`: the binary on the bundled
//! files and on bad files written to a temporary directory.

use std::path::PathBuf;

use crate::common::{kernbench, stderr, stdout, temp_file};

const DEFAULT: &str = include_str!("../../topologies/default.ron");

/// default.ron with the first `old` replaced by `new`, written to a temp file.
fn bad_default(name: &str, old: &str, new: &str) -> PathBuf {
    assert!(DEFAULT.contains(old), "default.ron has no {old:?}");
    temp_file(name, &DEFAULT.replacen(old, new, 1))
}

#[test]
fn validate_accepts_every_bundled_topology() {
    let files = [
        "topologies/default.ron",
        "topologies/ring8.ron",
        "topologies/mesh2x2.ron",
        "topologies/torus4x4.ron",
        "topologies/multicube2x4.ron",
        "topologies/ring64.ron",
    ];
    let output = kernbench(&[&["validate"][..], &files[..]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains("ok: topologies/default.ron (topology default: 1 cube, 2 SIPs, 8 PEs)\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "ok: topologies/multicube2x4.ron (topology multicube2x4: 2 cubes, 8 SIPs, 64 PEs)\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("ok: topologies/ring64.ron (topology ring64: 1 cube, 64 SIPs, 256 PEs)\n"),
        "{out}"
    );
    assert_eq!(out.lines().count(), files.len());
}

#[test]
fn validate_reports_every_bad_file_and_exits_with_2() {
    let shape = bad_default(
        "shape.ron",
        "per_cube: 2, links: (shape: FullyConnected",
        "per_cube: 8, links: (shape: Mesh2D(3, 3)",
    );
    let unit = bad_default(
        "unit.ron",
        r#"latency: "500ns""#,
        r#"latency: "500 parsecs""#,
    );
    let output = kernbench(&[
        "validate",
        shape.to_str().unwrap_or_default(),
        "topologies/default.ron",
        unit.to_str().unwrap_or_default(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stdout(&output),
        "ok: topologies/default.ron (topology default: 1 cube, 2 SIPs, 8 PEs)\n"
    );
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "error: {}: sips.links.shape: Mesh2D(3, 3) needs 9 SIPs but sips.per_cube is 8; \
             change the shape or sips.per_cube\n",
            shape.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("error: {}:16:", unit.display())),
        "{err}"
    );
    assert!(
        err.contains("\"500 parsecs\" is not a valid time: unknown unit \"parsecs\""),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn syntax_errors_and_unknown_fields_give_file_line_and_column() {
    let syntax = temp_file(
        "syntax.ron",
        "Topology(\n    name: \"x\",\n    packet_size: 4KiB,\n)\n",
    );
    let output = kernbench(&["validate", syntax.to_str().unwrap_or_default()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with(&format!("error: {}:3:", syntax.display())),
        "{}",
        stderr(&output)
    );

    let unknown = bad_default("unknown.ron", "reduce_throughput:", "reduce_thruput:");
    let output = kernbench(&["topo", unknown.to_str().unwrap_or_default()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.starts_with(&format!(
            "error: {}:27:5: Unexpected field named `reduce_thruput`",
            unknown.display()
        )),
        "{err}"
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn semantic_errors_name_the_field_and_the_fix() {
    let cases = [
        (
            "zero.ron",
            r#"bandwidth: "100GB/s""#,
            r#"bandwidth: "0GB/s""#,
            "sips.links.bandwidth is 0 B/s; it must be greater than zero",
        ),
        (
            "negative.ron",
            r#"capacity: "4MiB""#,
            r#"capacity: "-4MiB""#,
            "\"-4MiB\" is not a valid size: negative values are not allowed",
        ),
        (
            "range.ron",
            "shape: FullyConnected",
            "shape: Explicit([(0, 1), (1, 5)])",
            "sips.links.shape: link (1, 5) names SIP 5, but sips.per_cube is 2 so the indices are 0 to 1; fix the index",
        ),
        (
            "duplicate.ron",
            "shape: FullyConnected",
            "shape: ExplicitDuplex([(0, 1), (0, 1)])",
            "sips.links.shape: link (0, 1) is listed twice",
        ),
        (
            "self.ron",
            "shape: FullyConnected",
            "shape: Explicit([(0, 0)])",
            "sips.links.shape: link (0, 0) joins 0 to itself; remove it",
        ),
        (
            "disconnected.ron",
            "shape: FullyConnected",
            "shape: Explicit([(0, 1)])",
            "the topology is not connected: there is no path from c0.s1.hub to c0.s0.hub",
        ),
        (
            "huge.ron",
            "per_sip: 4",
            "per_sip: 100000",
            "pes.per_sip is 100000, above the limit of 4096; use a smaller value",
        ),
        (
            "cubes.ron",
            "cubes: (count: 1)",
            "cubes: (count: 4)",
            "cubes.links is missing but cubes.count is 4",
        ),
    ];
    for (name, old, new, expected) in cases {
        let file = bad_default(name, old, new);
        let output = kernbench(&["validate", file.to_str().unwrap_or_default()]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let err = stderr(&output);
        assert!(
            err.starts_with(&format!("error: {}", file.display())),
            "{name}: {err}"
        );
        assert!(err.contains(expected), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn a_missing_file_is_bad_input() {
    let output = kernbench(&["topo", "no/such/file.ron"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("error: cannot read no/such/file.ron: "),
        "{}",
        stderr(&output)
    );
}

#[test]
fn topo_prints_a_summary_with_bisection_bandwidth_and_injection_bound() {
    let output = kernbench(&["topo", "topologies/torus4x4.ron"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.starts_with("topology torus4x4: 1 cube, 16 SIPs, 64 PEs (4 per SIP), 176 nodes, "),
        "{out}"
    );
    assert!(
        out.contains("  sip-link          64  50 GB/s     1 us\n"),
        "{out}"
    );
    assert!(out.contains("bisection bandwidth: 800 GB/s (sum of directed SIP-level links crossing the cut between SIP ranks 0..8 and 8..16"), "{out}");
    // 4 torus links of 50 GB/s leave each SIP.
    assert!(out.contains("\ninjection bound: 200 GB/s ("), "{out}");
}

#[test]
fn topo_dot_is_deterministic_graphviz() {
    let first = kernbench(&["topo", "topologies/default.ron", "--dot"]);
    let second = kernbench(&["topo", "topologies/default.ron", "--dot"]);
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(first.stdout, second.stdout);
    let out = stdout(&first);
    assert!(out.starts_with("digraph \"default\" {\n"), "{out}");
    assert!(
        out.contains(
            "  \"c0.s0.p0\" -> \"c0.s0.p0.tcm\" [label=\"1 TB/s 2 ns\", class=\"tcm\"];\n"
        ),
        "{out}"
    );
    assert_eq!(out.matches(" -> ").count(), 50);
}

#[test]
fn usage_errors_exit_with_2_and_help_has_examples() {
    assert_eq!(kernbench(&["validate"]).status.code(), Some(2));
    assert_eq!(kernbench(&["frobnicate"]).status.code(), Some(2));
    for command in ["validate", "topo"] {
        let output = kernbench(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0));
        assert!(
            stdout(&output).contains(&format!("kernbench {command} topologies/")),
            "{command}"
        );
    }
}

#[test]
fn topo_and_validate_take_the_generated_forms_run_takes() {
    let out = kernbench(&["topo", "torus:4x4"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("topology torus4x4: 1 cube, 16 SIPs"),
        "{}",
        stdout(&out)
    );
    let out = kernbench(&["validate", "ring:8", "cubes:2x4"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "ok: ring:8 (topology ring8: 1 cube, 8 SIPs, 32 PEs)\nok: cubes:2x4 (topology cubes2x4: 2 cubes, 8 SIPs, 32 PEs)\n"
    );
    let out = kernbench(&["topo", "ring:x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: \"ring:x\" is not a generated topology"),
        "{}",
        stderr(&out)
    );
}
