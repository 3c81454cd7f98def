//! Keeps docs/formats.md honest: every example in it validates, and every field of the file
//! formats is named in it.

use std::path::Path;
use std::process::Command;

use crate::common::{stderr, stdout};

fn doc() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/formats.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The ```ron blocks whose first line is `// file: NAME`, as (NAME, whole block).
fn examples(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() != "```ron" {
            continue;
        }
        let block: Vec<&str> = lines
            .by_ref()
            .take_while(|l| l.trim_end() != "```")
            .collect();
        let name = block
            .first()
            .and_then(|first| first.trim().strip_prefix("// file:"))
            .map(str::trim);
        if let Some(name) = name {
            out.push((name.to_string(), block.join("\n") + "\n"));
        }
    }
    out
}

#[test]
fn every_example_in_the_doc_validates() {
    let doc = doc();
    let examples = examples(&doc);
    for kind in [".scenario.ron", ".sweep.ron"] {
        assert!(
            examples.iter().any(|(name, _)| name.ends_with(kind)),
            "docs/formats.md has no `// file: *{kind}` example"
        );
    }
    assert!(
        examples
            .iter()
            .any(|(name, _)| !name.ends_with(".sweep.ron") && !name.ends_with(".scenario.ron")),
        "docs/formats.md has no topology example"
    );
    // All examples side by side, so that sweeps and scenarios find the topologies they name.
    let dir = tempfile::tempdir().expect("a temp dir");
    for (name, text) in &examples {
        assert!(
            !name.contains('/') && name.ends_with(".ron"),
            "example name {name:?} must be a plain file name ending in .ron"
        );
        std::fs::write(dir.path().join(name), text).expect("write an example");
    }
    for (name, _) in &examples {
        let output = Command::new(env!("CARGO_BIN_EXE_kernbench"))
            .arg("validate")
            .arg(name)
            .current_dir(dir.path())
            .output()
            .expect("run kernbench");
        assert_eq!(
            output.status.code(),
            Some(0),
            "the example {name} in docs/formats.md does not validate:\n{}{}",
            stdout(&output),
            stderr(&output)
        );
    }
}

/// Every field and variant of the three formats, as the doc must write it (in backticks).
const NAMED: &[&str] = &[
    // Topology (model/src/spec.rs).
    "`name`",
    "`packet_size`",
    "`cubes.count`",
    "`cubes.links`",
    "`sips.per_cube`",
    "`sips.links`",
    "`pes.per_sip`",
    "`pes.noc`",
    "`pes.port.bandwidth`",
    "`pes.port.latency`",
    "`memory.tcm`",
    "`memory.sram`",
    "`memory.hbm`",
    "`reduce_throughput`",
    "`shape`",
    "`bandwidth`",
    "`latency`",
    "`capacity`",
    // Shapes.
    "`Ring`",
    "`BidirectionalRing`",
    "`Mesh2D(",
    "`Torus2D(",
    "`Torus3D(",
    "`FullyConnected`",
    "`Switch`",
    "`Explicit(",
    "`ExplicitDuplex(",
    // Sweep (src/sweep_spec.rs).
    "`topologies`",
    "`collectives`",
    "`algorithms`",
    "`sizes`",
    "`memories`",
    "`channels`",
    "`chunk_sizes`",
    "`group_sizes`",
    "`group_strides`",
    "`verify`",
    "`time_limit`",
    "`List(",
    "`Range(",
    // Scenario (src/scenario.rs).
    "`topology`",
    "`program`",
    "`size`",
    "`memory`",
    "`pes`",
    "`ipcq_depth`",
    "`time_bound`",
    "`livelock_events`",
    "`overrides`",
    "`faults`",
    "`Collective(",
    "`Kernel(\"pe-ring\")`",
    "`Kernel(\"pe-mesh2x2\")`",
    "`Kernel(\"pe-tree7\")`",
    "`RecvBeforeSend`",
    "`SendThenRecv`",
    "`PollFlag`",
    "`NeverJoins(",
    "`PeerOffByOne(",
    "`WrongPeer(",
    "`WrongSource(",
    "`WrongTag(",
    "`SkipsStep(",
    "`WrongProgramId(",
    "`ZeroDepthIpcq`",
    "`CutLink(",
];

#[test]
fn every_field_is_named_in_the_doc() {
    let doc = doc();
    let missing: Vec<&str> = NAMED
        .iter()
        .copied()
        .filter(|name| !doc.contains(name))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/formats.md does not mention {missing:?}"
    );
}

/// The first-column names of the Markdown table that follows `heading` in the doc.
fn table_after(doc: &str, heading: &str) -> Vec<String> {
    let Some(start) = doc.find(heading) else {
        panic!("docs/formats.md has no {heading:?}")
    };
    doc[start..]
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2) // the header and the `| --- |` line
        .filter_map(|line| line.split('|').nth(1))
        .map(|cell| cell.trim().trim_matches('`').to_string())
        .collect()
}

#[test]
fn the_results_columns_are_documented_in_file_order() {
    use kernbench::reports::{Record, ResultRow};
    let documented = table_after(&doc(), "Columns of `results.csv`");
    assert_eq!(documented, ResultRow::FIELDS);
}
