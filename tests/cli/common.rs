//! Helpers shared by the end-to-end tests of the binary.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Mutex;

/// Runs the binary from the workspace root.
pub fn kernbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kernbench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run kernbench: {e}"))
}

/// Runs the binary from the workspace root with extra environment variables.
pub fn kernbench_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kernbench"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run kernbench: {e}"))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `text` to a file in the temp dir unique to this test process and name.
///
/// All the test files share one process, and their tests run on parallel threads, so two
/// tests that pick the same `name` would overwrite each other's file: the first test to use
/// a name owns it, and another test that uses it panics (a test may reuse its own names).
pub fn temp_file(name: &str, text: &str) -> PathBuf {
    static OWNERS: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());
    // libtest runs each test on a thread named after it.
    let test = std::thread::current().name().unwrap_or("?").to_owned();
    let mut owners = OWNERS.lock().unwrap_or_else(|e| e.into_inner());
    let owner = owners
        .entry(name.to_owned())
        .or_insert_with(|| test.clone());
    assert_eq!(
        *owner, test,
        "temp_file({name:?}) is already used by another test"
    );
    drop(owners);
    let path = scratch(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// A path for test file `name` in Cargo's scratch folder for integration tests
/// (`target/tmp`): the same path on every run, so runs overwrite rather than pile up in the
/// system's temp folder, and two checkouts never share one.
pub fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("kernbench-cli-{name}"))
}
