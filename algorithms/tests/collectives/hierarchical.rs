//! Hierarchical (inside cubes, across, inside again): timing against its alpha-beta formula
//! and its refusals. Results on real data are checked on multi-cube machines in `matrix.rs`.

use kernbench_algorithms::{Algorithm, Channels, CollectiveError, RunConfig};
use kernbench_engine::{SimTime, Simulation};
use kernbench_model::{Bytes, Machine, MachineOptions, Node, SipId};

use crate::support::{cubes, fully_connected, run, try_run};

fn within(actual: SimTime, expected: SimTime, tolerance: f64) -> bool {
    let (a, e) = (actual.as_ps() as f64, expected.as_ps() as f64);
    (a - e).abs() <= tolerance * e
}

#[test]
fn hierarchical_all_reduce_time_matches_its_alpha_beta_formula() {
    // T = 2(s-1) t_in(S/s) + (s-1) c(S/s) + 2(c-1) t_x(S/sc) + (c-1) c(S/sc), one chunk per
    // segment; fully connected SIPs and one cube link per rail step share nothing.
    for (c, s) in [(2u64, 4u64), (3, 3), (4, 2)] {
        let topology = cubes(c as u32, s as u32);
        let machine = Machine::new(
            &Simulation::new().handle(),
            topology.clone(),
            MachineOptions::default(),
        );
        let (a, b, x) = (
            SipId { cube: 0, sip: 0 },
            SipId { cube: 0, sip: 1 },
            SipId { cube: 1, sip: 0 },
        );
        let t_in = |m: u64| {
            machine
                .uncongested_time(Node::Hbm(a), Node::Hbm(b), Bytes(m))
                .expect("route")
                .as_ps()
        };
        let t_x = |m: u64| {
            machine
                .uncongested_time(Node::Hbm(a), Node::Hbm(x), Bytes(m))
                .expect("route")
                .as_ps()
        };
        let red = |m: u64| machine.reduce_time_on_sip(m).as_ps();
        for bytes in [4096u64, 4 * 10_007, 1 << 20] {
            let one = RunConfig {
                channels: Channels::Fixed(1),
                ..RunConfig::all_reduce(Algorithm::Hierarchical, bytes)
            };
            let report = run(&topology, &one);
            let (inner, rail) = (bytes / s, bytes / (s * c));
            let expected = SimTime::from_ps(
                2 * (s - 1) * t_in(inner)
                    + (s - 1) * red(inner)
                    + 2 * (c - 1) * t_x(rail)
                    + (c - 1) * red(rail),
            );
            assert!(
                within(report.time, expected, 0.02),
                "{c}x{s}, {bytes} bytes: simulated {} vs formula {expected}",
                report.time
            );
        }
    }
}

#[test]
fn two_channels_walk_the_cubes_both_ways_and_are_faster_than_one() {
    // Fully connected cubes of 4: the cube's cycle is full duplex, so auto runs 2 channels.
    let topology = cubes(2, 4);
    let bytes = 8 << 20;
    let auto = run(
        &topology,
        &RunConfig::all_reduce(Algorithm::Hierarchical, bytes),
    );
    let one = run(
        &topology,
        &RunConfig {
            channels: Channels::Fixed(1),
            ..RunConfig::all_reduce(Algorithm::Hierarchical, bytes)
        },
    );
    assert!(
        auto.time.as_ps() * 10 < one.time.as_ps() * 7,
        "auto {} vs one channel {}",
        auto.time,
        one.time
    );
}

#[test]
fn hierarchical_beats_a_flat_ring_across_slow_cube_links() {
    // The flat ring crosses a 50 GB/s cube link with 2(n-1)/n of the buffer; hierarchical
    // sends only a 1/s share across.
    let topology = cubes(2, 4);
    let bytes = 8 << 20;
    let h = run(
        &topology,
        &RunConfig::all_reduce(Algorithm::Hierarchical, bytes),
    );
    // One ring over the wiring: with every channel (`auto`) the flat ring uses all the cube
    // links at once and is faster still.
    let one_ring = RunConfig {
        channels: kernbench_algorithms::Channels::Fixed(1),
        ..RunConfig::all_reduce(Algorithm::Ring, bytes)
    };
    let r = run(&topology, &one_ring);
    assert!(
        h.time < r.time,
        "hierarchical {} vs ring {}",
        h.time,
        r.time
    );
}

#[test]
fn hierarchical_refuses_a_single_cube_and_says_to_use_ring() {
    let Err(e) = try_run(
        &fully_connected(4),
        &RunConfig::all_reduce(Algorithm::Hierarchical, 4096),
    ) else {
        panic!("hierarchical ran on one cube");
    };
    assert!(matches!(e, CollectiveError::Unsupported { .. }));
    assert_eq!(
        e.to_string(),
        "hierarchical all-reduce does not run on topology fc4: hierarchical needs several cubes; fc4 has 1: use ring"
    );
}
