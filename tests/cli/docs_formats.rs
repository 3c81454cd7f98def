//! Keeps docs/formats.md honest: every example in it validates, every field of the file
//! formats is named in it, and so is every column, field and file the commands write (read
//! from their real output, so a new one fails here until it is documented).

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
    // Sweep fields that are not in the example sweep (src/sweep_spec.rs).
    "`model`",
    // Workload sweeps (src/sweep_spec.rs, src/workload_plan.rs).
    "`workloads`",
    "`peak_flops`",
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

/// The names in the first column of the table after `heading`, a cell of several names
/// (`` `algbw`, `busbw` ``) giving each.
fn documented(doc: &str, heading: &str) -> Vec<String> {
    table_after(doc, heading)
        .iter()
        .flat_map(|cell| cell.split(", "))
        .map(|name| name.trim().trim_matches('`').to_string())
        .collect()
}

/// The fields of a JSON object, and of the objects in it as `outer.inner`.
fn json_fields(value: &serde_json::Value) -> Vec<String> {
    let mut fields = Vec::new();
    if let Some(object) = value.as_object() {
        for (key, inner) in object {
            fields.push(key.clone());
            if let Some(inner) = inner.as_object() {
                fields.extend(inner.keys().map(|k| format!("{key}.{k}")));
            }
        }
    }
    fields
}

/// The fields of `fields` that are not in `documented`, for the message of a failed test.
fn undocumented(fields: &[String], documented: &[String]) -> Vec<String> {
    fields
        .iter()
        .filter(|f| !documented.contains(f))
        .cloned()
        .collect()
}

#[test]
fn the_workload_columns_are_documented_in_file_order() {
    use kernbench::reports::{Record, WorkloadRow};
    let documented = table_after(&doc(), "Columns of `workloads.csv`");
    assert_eq!(documented, WorkloadRow::FIELDS);
}

/// The table a workload sweep prints has the columns of `workloads.csv`, every one of them.
#[test]
fn the_table_a_workload_sweep_prints_has_the_documented_columns() {
    use kernbench::reports::{Record, WorkloadRow};
    let (_, printed) = crate::workload_sweep::bundled();
    let mut columns: Vec<&str> = printed
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    columns.sort_unstable();
    let mut fields = WorkloadRow::FIELDS.to_vec();
    fields.sort_unstable();
    assert_eq!(columns, fields, "{printed}");
}

#[test]
fn the_link_fields_are_documented_in_file_order() {
    use kernbench::reports::{LinkUsage, Record};
    let documented = table_after(&doc(), "Fields of `links.jsonl`");
    assert_eq!(documented, LinkUsage::FIELDS);
}

#[test]
fn every_field_and_column_run_prints_is_documented() {
    let doc = doc();
    // The ring prints its order too.
    let args = ["run", "--topology", "ring:4", "--size", "4KiB", "--verify"];
    let output = crate::common::kernbench(&[&args[..], &["--json"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: serde_json::Value =
        serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}"));
    let fields = json_fields(&value);
    assert!(fields.contains(&"ring_order".to_string()), "{fields:?}");
    let missing = undocumented(
        &fields,
        &documented(&doc, "With `--json`, one JSON object on one line"),
    );
    assert!(
        missing.is_empty(),
        "run --json fields not in docs/formats.md: {missing:?}"
    );
    // The table's column names: its second line, `#        size        count   type ...`.
    let output = crate::common::kernbench(&args);
    let table = stdout(&output);
    let header = table.lines().nth(1).unwrap_or_default();
    let columns: Vec<String> = header
        .trim_start_matches('#')
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert!(columns.contains(&"busbw".to_string()), "{table}");
    let missing = undocumented(
        &columns,
        &documented(&doc, "Without flags, an nccl-tests-style table"),
    );
    assert!(
        missing.is_empty(),
        "run columns not in docs/formats.md: {missing:?}"
    );
}

#[test]
fn every_field_diagnose_prints_is_documented() {
    let doc = doc();
    let documented = documented(&doc, "With `--json`, one pretty-printed JSON object");
    // A deadlock, a completed run and a livelock: between them every field of the object.
    for (scenario, code) in [
        ("ring-peer-off-by-one", 3),
        ("healthy-ring-all-reduce", 0),
        ("poll-livelock", 4),
    ] {
        let file = format!("topologies/scenarios/{scenario}.scenario.ron");
        let output = crate::common::kernbench(&["diagnose", &file, "--json"]);
        assert_eq!(output.status.code(), Some(code), "{}", stderr(&output));
        let value: serde_json::Value =
            serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}"));
        let missing = undocumented(&json_fields(&value), &documented);
        assert!(
            missing.is_empty(),
            "diagnose --json fields of {scenario} not in docs/formats.md: {missing:?}"
        );
    }
    let file = "topologies/scenarios/ring-send-first-depth0.scenario.ron";
    let output = crate::common::kernbench(&["diagnose", file, "--min-depth", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: serde_json::Value =
        serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}"));
    let fields = json_fields(&value);
    assert!(
        fields.contains(&"generous_time_ps".to_string()),
        "{fields:?}"
    );
    for field in fields {
        assert!(
            doc.contains(&format!("`{field}`")),
            "diagnose --min-depth --json field {field} not in docs/formats.md"
        );
    }
}

#[test]
fn every_field_compare_prints_is_documented() {
    let doc = doc();
    let documented = documented(&doc, "With `--json`, one object per line, for every point");
    let sweeps = crate::compare::sweeps();
    let output = crate::compare::compare(&sweeps.a, &sweeps.b, &["--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut fields = Vec::new();
    for line in stdout(&output).lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        fields.extend(json_fields(&value));
    }
    // `b.*` is documented as "the same fields in `b`".
    let fields: Vec<String> = fields
        .into_iter()
        .map(|f| match f.strip_prefix("b.") {
            Some(rest) => format!("a.{rest}"),
            None => f,
        })
        .collect();
    assert!(fields.contains(&"a.busbw_gbps".to_string()), "{fields:?}");
    let missing = undocumented(&fields, &documented);
    assert!(
        missing.is_empty(),
        "compare --json fields not in docs/formats.md: {missing:?}"
    );
    let output = crate::compare::compare(&sweeps.a, &sweeps.b, &["--csv"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let header: Vec<String> = stdout(&output)
        .lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    assert_eq!(header, table_after(&doc, "With `--csv`, the same points"));
}

#[test]
fn every_file_a_sweep_writes_is_documented() {
    let doc = doc();
    let sweeps = crate::compare::sweeps();
    files_are_documented(&doc, "| file | contents |", &sweeps.a, "links-ring8.svg");
    let (workloads, _) = crate::workload_sweep::bundled();
    files_are_documented(
        &doc,
        "| workload sweep file | contents |",
        workloads,
        "workload-dp-step.svg",
    );
}

/// Every file in the output folder `dir` (which holds `sample`) is named in the table that
/// `heading` opens.
fn files_are_documented(doc: &str, heading: &str, dir: &Path, sample: &str) {
    let documented = table_after(doc, heading);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.contains(&sample.to_string()), "{names:?}");
    for name in names {
        // A plot is documented by its pattern: `latency-<collective>.svg`, `.png`.
        let (stem, extension) = name.rsplit_once('.').unwrap_or((&name, ""));
        let pattern = match stem.split_once('-') {
            Some((kind, _)) if extension == "svg" || extension == "png" => {
                let pattern = documented
                    .iter()
                    .find(|cell| cell.starts_with(&format!("{kind}-<")));
                pattern.filter(|cell| cell.contains(&format!(".{extension}")))
            }
            _ => documented.iter().find(|cell| **cell == name),
        };
        assert!(
            pattern.is_some(),
            "the sweep writes {name}, which docs/formats.md's table of files does not name"
        );
    }
}
