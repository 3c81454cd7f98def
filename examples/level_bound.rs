//! Multi-cube all-reduce against the bound of each level (issue 14): on 4 cubes of 8 SIPs
//! with a 2x4 torus inside each cube (`examples/cubes4x8torus.ron`), the ring and
//! hierarchical all-reduce's busbw beside a SIP's egress inside its cube, across cubes, the
//! slower of the two, and the injection bound (both levels at once).
//!
//! ```sh
//! cargo run --release --example level_bound
//! ```

/// The binary's allocator (see src/main.rs), so the figures are the command line's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use kernbench::algorithms::{Algorithm, RunConfig, run_collective};
use kernbench::model::{Bandwidth, Topology};

const MACHINE: &str = include_str!("cubes4x8torus.ron");

fn gbps(b: Option<Bandwidth>) -> f64 {
    b.map_or(f64::NAN, |b| b.bytes_per_second() as f64 / 1e9)
}

fn main() -> ExitCode {
    let topology = match Topology::from_ron_str(MACHINE, "examples/cubes4x8torus.ron") {
        Ok(t) => Rc::new(t),
        Err(e) => {
            eprintln!("level_bound: {e}");
            return ExitCode::FAILURE;
        }
    };
    let levels = topology.level_bandwidths();
    let (inside, across, slowest) = (
        gbps(levels.in_cube),
        gbps(levels.across_cubes),
        gbps(levels.slowest()),
    );
    let injection = gbps(topology.injection_bandwidth());
    println!(
        "a SIP's egress: {inside:.0} GB/s in its cube, {across:.0} GB/s across cubes (slowest level {slowest:.0}); injection bound {injection:.0} GB/s"
    );
    println!(
        "{:<14} {:>8} {:>12} {:>12} {:>16} {:>14} {:>9}",
        "algorithm",
        "size",
        "time (us)",
        "busbw GB/s",
        "of slowest (%)",
        "of inject (%)",
        "wall (s)"
    );
    for algorithm in [Algorithm::Ring, Algorithm::Hierarchical] {
        for (label, bytes) in [("256 MiB", 256u64 << 20), ("1 GiB", 1 << 30)] {
            let started = Instant::now();
            match run_collective(topology.clone(), &RunConfig::all_reduce(algorithm, bytes)) {
                Ok(report) => println!(
                    "{:<14} {:>8} {:>12.3} {:>12.2} {:>16.1} {:>14.1} {:>9.2}",
                    algorithm.name(),
                    label,
                    report.time_ns() / 1e3,
                    report.busbw_gbps,
                    100.0 * report.busbw_gbps / slowest,
                    100.0 * report.busbw_gbps / injection,
                    started.elapsed().as_secs_f64()
                ),
                Err(e) => {
                    eprintln!("{algorithm}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    ExitCode::SUCCESS
}
