//! Topologies and runs shared by the collective tests.

use std::rc::Rc;

use kernbench_algorithms::{
    Algorithm, Collective, CollectiveError, RunConfig, RunReport, run_collective,
};
use kernbench_engine::{SimTime, Simulation};
use kernbench_model::{Bytes, LinkClass, Machine, MachineOptions, Node, SipId, Topology};

/// A topology of `cubes` cubes of `sips` SIPs with the given SIP-level and cube-level shapes
/// (RON shape syntax), 4 PEs per SIP, the bundled default's link and memory values.
pub fn topology(
    name: &str,
    cubes: u32,
    sips: u32,
    sip_shape: &str,
    cube_shape: &str,
) -> Rc<Topology> {
    let cube_links = if cubes > 1 {
        format!(", links: (shape: {cube_shape}, bandwidth: \"50GB/s\", latency: \"2us\")")
    } else {
        String::new()
    };
    let text = format!(
        r#"Topology(
            name: "{name}",
            packet_size: "4KiB",
            cubes: (count: {cubes}{cube_links}),
            sips: (per_cube: {sips}, links: (shape: {sip_shape}, bandwidth: "100GB/s", latency: "500ns")),
            pes: (per_sip: 4, noc: (shape: Ring, bandwidth: "1TB/s", latency: "5ns"),
                  port: (bandwidth: "1TB/s", latency: "10ns")),
            memory: (
                tcm:  (capacity: "4MiB",  bandwidth: "1TB/s",   latency: "2ns"),
                sram: (capacity: "64MiB", bandwidth: "5TB/s",   latency: "20ns"),
                hbm:  (capacity: "64GiB", bandwidth: "3.2TB/s", latency: "200ns"),
            ),
            reduce_throughput: "512GB/s",
        )"#
    );
    match Topology::from_ron_str(&text, name) {
        Ok(t) => Rc::new(t),
        Err(e) => panic!("test topology {name}: {e}"),
    }
}

/// `n` SIPs in one cube, every pair directly linked (a 1-SIP machine for `n = 1`).
pub fn fully_connected(n: u32) -> Rc<Topology> {
    topology(&format!("fc{n}"), 1, n, "FullyConnected", "Ring")
}

/// `n` SIPs in a bidirectional ring.
pub fn ring(n: u32) -> Rc<Topology> {
    topology(&format!("ring{n}"), 1, n, "BidirectionalRing", "Ring")
}

/// A `rows x cols` 2D torus of SIPs.
pub fn torus(rows: u32, cols: u32) -> Rc<Topology> {
    topology(
        &format!("torus{rows}x{cols}"),
        1,
        rows * cols,
        &format!("Torus2D({rows}, {cols})"),
        "Ring",
    )
}

/// `cubes` cubes of `sips` fully connected SIPs, cubes joined rail by rail in a ring.
pub fn cubes(cubes: u32, sips: u32) -> Rc<Topology> {
    topology(
        &format!("cubes{cubes}x{sips}"),
        cubes,
        sips,
        "FullyConnected",
        "BidirectionalRing",
    )
}

/// A run of `collective` with `algorithm` on `bytes` in HBM, unverified.
pub fn config(algorithm: Algorithm, collective: Collective, bytes: u64) -> RunConfig {
    RunConfig {
        collective,
        ..RunConfig::all_reduce(algorithm, bytes)
    }
}

/// Runs `config` on `topology`, panicking with the error's text on failure.
pub fn run(topology: &Rc<Topology>, config: &RunConfig) -> RunReport {
    match run_collective(topology.clone(), config) {
        Ok(report) => report,
        Err(e) => panic!("{} on {}: {e}", config.algorithm.name(), topology.name()),
    }
}

/// Runs `config`, giving back the error.
pub fn try_run(topology: &Rc<Topology>, config: &RunConfig) -> Result<RunReport, CollectiveError> {
    run_collective(topology.clone(), config)
}

/// `(t, c)` in picoseconds: `t(m)` HBM of SIP 0 to HBM of SIP 1 alone, `c(m)` a SIP reducing
/// `m` bytes.
pub fn alpha_beta(topology: &Rc<Topology>) -> (impl Fn(u64) -> u64, impl Fn(u64) -> u64) {
    let sim = Simulation::new();
    let machine = Machine::new(&sim.handle(), topology.clone(), MachineOptions::default());
    let m2 = machine.clone();
    let sip = |s| Node::Hbm(SipId { cube: 0, sip: s });
    let t = move |m: u64| match machine.uncongested_time(sip(0), sip(1), Bytes(m)) {
        Ok(time) => time.as_ps(),
        Err(e) => panic!("no route between SIPs 0 and 1: {e}"),
    };
    let c = move |m: u64| m2.reduce_time_on_sip(m).as_ps();
    (t, c)
}

pub fn assert_within_2_percent(report: &RunReport, formula_ps: u64, what: &str) {
    let (got, want) = (report.time.as_ps() as f64, formula_ps as f64);
    assert!(
        (got - want).abs() <= 0.02 * want,
        "{what}: simulated {} vs formula {}",
        report.time,
        SimTime::from_ps(formula_ps)
    );
}

pub fn sip_link_bytes(topology: &Topology, report: &RunReport) -> u64 {
    topology
        .graph()
        .edge_weights()
        .zip(&report.links)
        .filter(|(link, _)| link.class == LinkClass::SipLink)
        .map(|(_, stats)| stats.bytes)
        .sum()
}
