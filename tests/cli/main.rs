//! End-to-end tests of the `kernbench` binary, one file per command (plus fault injection,
//! loader mutations, traces, `--help` and completions, and the docs/formats.md check). Each
//! test runs the debug binary that cargo built for this test target (`CARGO_BIN_EXE_kernbench`)
//! as a child process from the workspace root, through the helpers in `common`, and checks its
//! exit code and output.
//! They are one test binary so cargo links once; run them with `cargo test --test cli`.

mod chakra;
mod common;
mod compare;
mod diagnose;
mod docs_formats;
mod faults;
mod generated;
mod help;
mod mutations;
mod run;
mod sweep;
mod topo;
mod trace;
mod workload;
mod workload_sweep;
