//! ASTRA-sim comparison (issue 14): all-reduce on ASTRA-sim 2.x's `Ring_8npus` example machine
//! (8 NPUs in a bidirectional ring, 50 GiB/s per direction, 500 ns per link; memory made
//! ideal, see `examples/astra/ring8_50GiBps.ron`), printing simulated times beside ASTRA-sim's
//! and beside the issue's targets.
//!
//! ```sh
//! cargo run --release --example astra_ring
//! ```
//!
//! | case | reference |
//! | --- | --- |
//! | ring, 1 GiB, one channel | ASTRA-sim 2.x analytical backend: 35,000,520 ns |
//! | halving-doubling, 1 GiB | ASTRA-sim 2.0 congestion-aware backend: 60.8 ms; target <= 62 ms |
//! | ring, 1 MiB, one channel, 4 chunks per step | the pipelined alpha-beta time (`ring.rs`); target within 3% |
//!
//! The ASTRA-sim figures are the ones quoted in issue 14 (not re-run here: ASTRA-sim is not on
//! this machine).

/// The binary's allocator (see src/main.rs), so the figures are the command line's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use kernbench::algorithms::{Algorithm, Channels, RunConfig, RunReport, run_collective};
use kernbench::engine::{SimTime, Simulation};
use kernbench::model::{Bytes, Machine, MachineOptions, Node, SipId, Topology};

const MACHINE: &str = include_str!("astra/ring8_50GiBps.ron");

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("astra_ring: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let topology = Rc::new(
        Topology::from_ron_str(MACHINE, "examples/astra/ring8_50GiBps.ron")
            .map_err(|e| e.to_string())?,
    );
    let gib = 1u64 << 30;
    let mib = 1u64 << 20;
    let one = Channels::Fixed(1);
    println!(
        "{:<44} {:>18} {:>18} {:>8} {:>10} {:>8}",
        "case", "kernbench (ns)", "reference (ns)", "ratio", "events", "wall (s)"
    );

    let ring = case(&topology, Algorithm::Ring, gib, one, None)?;
    line(
        "ring, 1 GiB, 1 channel (ASTRA-sim)",
        &ring,
        SimTime::from_ns(35_000_520),
    );
    let both = case(&topology, Algorithm::Ring, gib, Channels::Auto, None)?;
    line(
        "ring, 1 GiB, auto channels (1-channel ASTRA)",
        &both,
        SimTime::from_ns(35_000_520),
    );
    let hd = case(&topology, Algorithm::HalvingDoubling, gib, one, None)?;
    line(
        "halving-doubling, 1 GiB (ASTRA-sim 2.0 CA)",
        &hd,
        SimTime::from_us(60_800),
    );

    // 4 chunks per step: a segment of 1 MiB / 8 in chunks of a quarter of it.
    let (n, k) = (8u64, 4u64);
    let m = mib / n / k;
    let chunked = case(&topology, Algorithm::Ring, mib, one, Some(Bytes(m)))?;
    let (t, c) = alpha_beta(&topology, m)?;
    let (a, b) = (t.0, t.1 - t.0);
    let link = 2 * (n - 1) * k * b + a;
    let last_chunk = (k - 1) * b + 2 * (n - 1) * (a + b) + (n - 1) * c;
    line(
        "ring, 1 MiB, 1 channel, 4 chunks (pipelined)",
        &chunked,
        SimTime::from_ps(link.max(last_chunk)),
    );
    Ok(())
}

/// One run and its wall time.
fn case(
    topology: &Rc<Topology>,
    algorithm: Algorithm,
    bytes: u64,
    channels: Channels,
    chunk: Option<Bytes>,
) -> Result<(RunReport, f64), String> {
    let mut config = RunConfig {
        channels,
        ..RunConfig::all_reduce(algorithm, bytes)
    };
    if let Some(chunk) = chunk {
        config.chunk = chunk;
    }
    let started = Instant::now();
    let report = run_collective(topology.clone(), &config).map_err(|e| e.to_string())?;
    Ok((report, started.elapsed().as_secs_f64()))
}

fn line(what: &str, (report, wall): &(RunReport, f64), reference: SimTime) {
    println!(
        "{:<44} {:>18.3} {:>18.3} {:>8.4} {:>10} {:>8.2}",
        what,
        report.time.as_ps() as f64 / 1e3,
        reference.as_ps() as f64 / 1e3,
        report.time.as_ps() as f64 / reference.as_ps() as f64,
        report.events,
        wall
    );
}

/// `((t(0), t(m)), c(m))` in picoseconds: HBM of SIP 0 to HBM of SIP 1 alone, and a SIP
/// reducing `m` bytes.
fn alpha_beta(topology: &Rc<Topology>, m: u64) -> Result<((u64, u64), u64), String> {
    let sim = Simulation::new();
    let machine = Machine::new(&sim.handle(), topology.clone(), MachineOptions::default());
    let sip = |s| Node::Hbm(SipId { cube: 0, sip: s });
    let t = |bytes| {
        machine
            .uncongested_time(sip(0), sip(1), Bytes(bytes))
            .map(|t| t.as_ps())
            .map_err(|e| e.to_string())
    };
    Ok(((t(0)?, t(m)?), machine.reduce_time_on_sip(m).as_ps()))
}
