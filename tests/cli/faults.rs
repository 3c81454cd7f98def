//! Fault injection through the binary: what a user types or pipes must never crash it,
//! clobber a file or lose a row (closed pipes, special files as outputs, oversized inputs).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{self, kernbench, stderr, temp_file};

/// Runs the binary with standard output and standard error as pipes whose read ends are
/// closed at once, so every write fails with a broken pipe. Returns the exit code.
fn run_with_closed_pipes(args: &[&str]) -> Option<i32> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kernbench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run kernbench: {e}"));
    drop(child.stdout.take());
    drop(child.stderr.take());
    child.wait().expect("wait for kernbench").code()
}

#[test]
fn a_bad_file_exits_2_even_when_stderr_is_a_closed_pipe() {
    let bad = temp_file("closed-pipe-bad.ron", "Topology(");
    let code = run_with_closed_pipes(&["validate", bad.to_str().unwrap()]);
    assert_eq!(code, Some(2), "a closed stderr must not abort (134)");
}

#[test]
fn a_run_exits_0_when_stdout_and_stderr_are_closed_pipes() {
    let code = run_with_closed_pipes(&[
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--size",
        "64KiB",
        "--verify",
    ]);
    assert_eq!(code, Some(0));
}

#[test]
fn a_deadlock_exits_3_when_stdout_and_stderr_are_closed_pipes() {
    let code = run_with_closed_pipes(&[
        "diagnose",
        "topologies/scenarios/ring-peer-off-by-one.scenario.ron",
    ]);
    assert_eq!(code, Some(3));
}

#[test]
fn a_sweep_keeps_every_row_when_its_progress_goes_to_a_closed_pipe() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sweep = dir.path().join("closed.sweep.ron");
    let ring8 = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies/ring8.ron");
    std::fs::write(
        &sweep,
        format!(
            "Sweep(name: \"closed\", topologies: [{:?}], collectives: [\"all-reduce\"], \
             algorithms: [\"ring\", \"tree\"], sizes: List([\"4KiB\", \"64KiB\", \"1MiB\"]), \
             memories: [\"hbm\"], verify: false, time_limit: \"1s\")",
            ring8
        ),
    )
    .expect("write sweep");
    let out = dir.path().join("out");
    let code = run_with_closed_pipes(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0));
    let rows = std::fs::read_to_string(out.join("results.jsonl")).expect("results.jsonl");
    assert_eq!(rows.lines().count(), 6, "{rows}");
    assert!(out.join("summary.md").exists());
}

#[cfg(unix)]
fn make_fifo(path: &Path) -> bool {
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
#[cfg(unix)]
fn a_trace_to_a_fifo_is_written_into_it_and_the_fifo_stays() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("trace.fifo");
    if !make_fifo(&fifo) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(fifo)
                .and_then(|mut f| f.read_to_string(&mut text))
                .map(|_| text)
        })
    };
    let out = kernbench(&[
        "run",
        "--topology",
        "topologies/ring8.ron",
        "--size",
        "64KiB",
        "--trace",
        fifo.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = reader.join().expect("reader").expect("read the fifo");
    let trace: serde_json::Value = serde_json::from_str(&text).expect("a JSON trace");
    assert!(
        trace["traceEvents"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    let meta = std::fs::metadata(&fifo).expect("the fifo is still there");
    assert!(meta.file_type().is_fifo(), "the fifo was replaced");
}

#[test]
#[cfg(unix)]
fn a_dot_file_through_a_symlink_replaces_the_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("waits.dot");
    let link = dir.path().join("link.dot");
    std::fs::write(&target, "old").expect("write target");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let out = kernbench(&[
        "diagnose",
        "topologies/scenarios/ring-peer-off-by-one.scenario.ron",
        "--dot",
        link.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let meta = std::fs::symlink_metadata(&link).expect("link");
    assert!(meta.file_type().is_symlink(), "the symlink was replaced");
    let dot = std::fs::read_to_string(&target).expect("target");
    assert!(dot.contains("digraph \"ring-peer-off-by-one\""), "{dot}");
}

#[test]
#[cfg(target_os = "linux")]
fn an_endless_input_file_is_refused_at_the_size_cap_for_every_kind_of_file() {
    // /dev/zero never ends: read whole, it took 2 GiB in under 2 s.
    for (args, path) in [
        (vec!["validate", "/dev/zero"], "/dev/zero"),
        (vec!["topo", "/dev/zero"], "/dev/zero"),
        (vec!["run", "--topology", "/dev/zero"], "/dev/zero"),
        (
            vec!["sweep", "/dev/zero", "--out", "/nonexistent/x"],
            "/dev/zero",
        ),
        (vec!["diagnose", "/dev/zero"], "/dev/zero"),
    ] {
        let out = kernbench(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!(
                "{path} is larger than 16 MiB, the limit for an input file"
            )),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

/// The largest machine the SIP limit allows is taken by `validate` and `topo`: routes are found
/// per pair as they are used, not kept as a table over every pair of SIPs (which took 16 GiB
/// here, and was refused up front before).
#[test]
fn a_machine_of_65536_sips_is_taken_without_a_table_of_routes() {
    let out = kernbench(&["validate", "ring:65536"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok: ring:65536 (topology ring65536: 1 cube, 65536 SIPs, 262144 PEs)\n"
    );
}

#[test]
fn a_run_whose_time_would_overflow_is_a_limit_error_not_a_saturated_time() {
    let ring8 =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies/ring8.ron"))
            .expect("ring8.ron");
    let slow = temp_file(
        "one-byte-per-second.ron",
        &ring8.replace("bandwidth: \"100GB/s\"", "bandwidth: \"1B/s\""),
    );
    let out = kernbench(&[
        "run",
        "--topology",
        slow.to_str().unwrap(),
        "--size",
        "1GiB",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(common::stdout(&out).is_empty(), "no result is printed");
    assert!(
        stderr(&out).starts_with("error: simulated time overflowed after "),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).ends_with(
            "the run would last more than 2^64 ps (about 213 days); check the link bandwidths \
             and the size\n"
        ),
        "{}",
        stderr(&out)
    );
}
