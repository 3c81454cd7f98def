//! Scale benchmark (issue 7): whole all-reduce runs on thousands of SIPs, timing only (no
//! data), printing wall time, simulated time, events, events per second and peak memory.
//!
//! ```sh
//! cargo build --release --example scale
//! ./target/release/examples/scale                 # every case, each in a process of its own
//! ./target/release/examples/scale ring1024        # one case
//! ```
//!
//! Cases (256 MiB per rank in HBM, packets of 64 KiB as in `topologies/ring64.ron`, the other
//! values the bundled default's, see `kernbench_model::Generated`):
//!
//! | case | machine | algorithm | target |
//! | --- | --- | --- | --- |
//! | `ring1024` | `ring:1024` | ring | < 10 s, < 2 GiB |
//! | `ring4096` | `ring:4096` | ring | < 60 s, < 8 GiB |
//! | `cubes64x16` | `cubes:64x16` | hierarchical | < 10 s |
//!
//! The fourth target, the bundled default sweep, is `kernbench sweep` (timed with hyperfine).
//! Peak memory is the process's high-water mark (`VmHWM` in `/proc/self/status`, Linux only;
//! "n/a" elsewhere), which is why each case runs in a fresh process.

/// The binary's allocator (see src/main.rs), so the figures are the command line's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::{Command, ExitCode};
use std::rc::Rc;
use std::time::Instant;

use kernbench::algorithms::{Algorithm, RunConfig, run_collective};
use kernbench::model::{Bytes, Generated, Topology};

/// `(case name, generated form, algorithm)`.
const CASES: [(&str, &str, Algorithm); 3] = [
    ("ring1024", "ring:1024", Algorithm::Ring),
    ("ring4096", "ring:4096", Algorithm::Ring),
    ("cubes64x16", "cubes:64x16", Algorithm::Hierarchical),
];

/// Bytes per rank.
const BYTES: u64 = 256 << 20;
/// Packet size: `topologies/ring64.ron`'s.
const PACKET: Bytes = Bytes(64 << 10);

fn main() -> ExitCode {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--no-header")
        .collect();
    if wanted.is_empty() {
        return run_each_in_its_own_process();
    }
    for name in &wanted {
        let Some(&(case, form, algorithm)) = CASES.iter().find(|(c, _, _)| c == name) else {
            let known: Vec<&str> = CASES.iter().map(|c| c.0).collect();
            eprintln!("unknown case {name}; use one of {}", known.join(", "));
            return ExitCode::from(2);
        };
        if let Err(e) = run_case(case, form, algorithm) {
            eprintln!("{case}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn run_each_in_its_own_process() -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("cannot find this program to re-run it: {e}");
            return ExitCode::FAILURE;
        }
    };
    print_header();
    for (case, _, _) in CASES {
        let status = Command::new(&exe).arg(case).arg("--no-header").status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("{case} failed: {status:?}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn print_header() {
    println!(
        "{:<12} {:>6} {:>10} {:>10} {:>16} {:>12} {:>12} {:>10}",
        "case", "SIPs", "build (s)", "run (s)", "sim time (ps)", "events", "events/s", "peak RSS"
    );
}

fn run_case(case: &str, form: &str, algorithm: Algorithm) -> Result<(), String> {
    if !std::env::args().any(|a| a == "--no-header") {
        print_header();
    }
    let started = Instant::now();
    let mut spec = Generated::parse(form)
        .and_then(Generated::spec)
        .map_err(|e| e.to_string())?;
    spec.packet_size = PACKET;
    let topology = Rc::new(Topology::from_spec(spec, form).map_err(|e| e.to_string())?);
    let built = started.elapsed();
    let started = Instant::now();
    let report = run_collective(topology.clone(), &RunConfig::all_reduce(algorithm, BYTES))
        .map_err(|e| e.to_string())?;
    let ran = started.elapsed();
    println!(
        "{:<12} {:>6} {:>10.3} {:>10.3} {:>16} {:>12} {:>12.3e} {:>10}",
        case,
        topology.sip_count(),
        built.as_secs_f64(),
        ran.as_secs_f64(),
        report.time.as_ps(),
        report.events,
        report.events as f64 / ran.as_secs_f64().max(1e-9),
        kernbench::host::peak_memory_label(),
    );
    Ok(())
}
