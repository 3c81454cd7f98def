//! Scale benchmark (issue 7): whole all-reduce runs on thousands of SIPs, timing only (no
//! data), printing wall time, simulated time, events, events per second and peak memory.
//!
//! ```sh
//! cargo build --release --example scale
//! ./target/release/examples/scale                 # every case, each in a process of its own
//! ./target/release/examples/scale ring1024        # one case
//! ```
//!
//! Cases (256 MiB per rank in HBM, packets of 64 KiB as in `topologies/ring64.ron` or the
//! bundled 4 KiB, the other values the bundled default's, see `kernbench_model::Generated`):
//!
//! | case | machine | algorithm | packets | target |
//! | --- | --- | --- | --- | --- |
//! | `ring1024` | `ring:1024` | ring | 64 KiB | < 10 s, < 2 GiB |
//! | `ring4096` | `ring:4096` | ring | 64 KiB | < 60 s, < 8 GiB |
//! | `cubes64x16` | `cubes:64x16` | hierarchical | 64 KiB | < 10 s |
//! | `ring1024-4k` | `ring:1024` | ring | 4 KiB | issue 18: 10x faster than 57 s |
//! | `ring4096-4k` | `ring:4096` | ring | 4 KiB | issue 18: < 60 s |
//! | `ring16384-flow` | `ring:16384` | ring | 64 KiB, flow model | issue 18: < 60 s, < 4 GiB |
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
use kernbench::model::{Bytes, Generated, NetworkModel, Topology};

/// Packet sizes: `topologies/ring64.ron`'s, and the bundled default's.
const BIG: Bytes = Bytes(64 << 10);
const SMALL: Bytes = Bytes(4 << 10);

/// `(case name, generated form, algorithm, packet size, network model)`.
type Case = (&'static str, &'static str, Algorithm, Bytes, NetworkModel);
const CASES: [Case; 6] = [
    (
        "ring1024",
        "ring:1024",
        Algorithm::Ring,
        BIG,
        NetworkModel::Packet,
    ),
    (
        "ring4096",
        "ring:4096",
        Algorithm::Ring,
        BIG,
        NetworkModel::Packet,
    ),
    (
        "cubes64x16",
        "cubes:64x16",
        Algorithm::Hierarchical,
        BIG,
        NetworkModel::Packet,
    ),
    (
        "ring1024-4k",
        "ring:1024",
        Algorithm::Ring,
        SMALL,
        NetworkModel::Packet,
    ),
    (
        "ring4096-4k",
        "ring:4096",
        Algorithm::Ring,
        SMALL,
        NetworkModel::Packet,
    ),
    (
        "ring16384-flow",
        "ring:16384",
        Algorithm::Ring,
        BIG,
        NetworkModel::Flow,
    ),
];

/// Bytes per rank.
const BYTES: u64 = 256 << 20;

fn main() -> ExitCode {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--no-header")
        .collect();
    if wanted.is_empty() {
        return run_each_in_its_own_process();
    }
    for name in &wanted {
        let Some(&(case, form, algorithm, packet, network)) = CASES.iter().find(|c| c.0 == name)
        else {
            let known: Vec<&str> = CASES.iter().map(|c| c.0).collect();
            eprintln!("unknown case {name}; use one of {}", known.join(", "));
            return ExitCode::from(2);
        };
        if let Err(e) = run_case(case, form, algorithm, packet, network) {
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
    for (case, ..) in CASES {
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
        "{:<12} {:>6} {:>10} {:>10} {:>18} {:>12} {:>12} {:>10}",
        "case", "SIPs", "build (s)", "run (s)", "sim time (ps)", "events", "events/s", "peak RSS"
    );
}

fn run_case(
    case: &str,
    form: &str,
    algorithm: Algorithm,
    packet: Bytes,
    network: NetworkModel,
) -> Result<(), String> {
    if !std::env::args().any(|a| a == "--no-header") {
        print_header();
    }
    let started = Instant::now();
    let mut spec = Generated::parse(form)
        .and_then(Generated::spec)
        .map_err(|e| e.to_string())?;
    spec.packet_size = packet;
    let topology = Rc::new(Topology::from_spec(spec, form).map_err(|e| e.to_string())?);
    let built = started.elapsed();
    let started = Instant::now();
    let config = RunConfig {
        network,
        ..RunConfig::all_reduce(algorithm, BYTES)
    };
    let report = run_collective(topology.clone(), &config).map_err(|e| e.to_string())?;
    let ran = started.elapsed();
    println!(
        "{:<12} {:>6} {:>10.3} {:>10.3} {:>18} {:>12} {:>12.3e} {:>10}",
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
