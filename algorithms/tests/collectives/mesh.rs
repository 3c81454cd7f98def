//! Mesh (rows, then columns): timing against its alpha-beta formula and its refusals. Results
//! on real data are checked on tori in `matrix.rs`.

use std::rc::Rc;

use kernbench_algorithms::{
    Algorithm, Channels, Collective, CollectiveError, DEFAULT_CHUNK, RunConfig,
};
use kernbench_engine::{SimTime, Simulation};
use kernbench_model::{Bytes, Machine, MachineOptions, Node, SipId, Topology};

use crate::support::{ring, run, topology, torus, try_run};

fn sip(n: u32) -> SipId {
    SipId { cube: 0, sip: n }
}

fn within(actual: SimTime, expected: SimTime, tolerance: f64) -> bool {
    let (a, e) = (actual.as_ps() as f64, expected.as_ps() as f64);
    (a - e).abs() <= tolerance * e
}

/// The module docs' formula: `2(C-1) t(S/C) + (C-1) c(S/C) + 2(R-1) t(S/RC) + (R-1) c(S/RC)`,
/// with `t` HBM to HBM between grid neighbours and `c` a SIP's PEs reducing.
fn formula(topology: &Rc<Topology>, rows: u64, cols: u64, bytes: u64) -> SimTime {
    let machine = Machine::new(
        &Simulation::new().handle(),
        topology.clone(),
        MachineOptions::default(),
    );
    let t = |m: u64| {
        machine
            .uncongested_time(Node::Hbm(sip(0)), Node::Hbm(sip(1)), Bytes(m))
            .expect("a route")
            .as_ps()
    };
    let c = |m: u64| machine.reduce_time_on_sip(m).as_ps();
    let (row, piece) = (bytes / cols, bytes / (rows * cols));
    SimTime::from_ps(
        2 * (cols - 1) * t(row)
            + (cols - 1) * c(row)
            + 2 * (rows - 1) * t(piece)
            + (rows - 1) * c(piece),
    )
}

#[test]
fn mesh_all_reduce_time_matches_its_alpha_beta_formula_on_tori() {
    // On a torus every ring step is one hop on a link of its own: nothing is shared.
    for (rows, cols) in [(2u32, 3u32), (3, 3), (4, 4)] {
        let topology = torus(rows, cols);
        for bytes in [4096, 4 * 10_007, 256 << 10, cols as u64 * DEFAULT_CHUNK.0] {
            let one = RunConfig {
                channels: Channels::Fixed(1),
                ..RunConfig::all_reduce(Algorithm::Mesh, bytes)
            };
            let report = run(&topology, &one);
            let expected = formula(&topology, rows as u64, cols as u64, bytes);
            assert!(
                within(report.time, expected, 0.02),
                "{rows}x{cols}, {bytes} bytes: simulated {} vs formula {expected}",
                report.time
            );
        }
    }
}

#[test]
fn four_channels_load_both_directions_of_both_dimensions_of_a_torus() {
    // auto = 4: rows first and columns first, forward and backward. Each channel alone is the
    // formula on a quarter of the buffer; they overlap only in the small middle phase, so
    // large buffers approach all four links of a SIP: 4 x 100 GB/s here.
    let topology = torus(4, 4);
    let bytes = 256 << 20;
    let report = run(&topology, &RunConfig::all_reduce(Algorithm::Mesh, bytes));
    // The formula counts every reduction; with many chunks they partly hide (up to 3%).
    let quarter = formula(&topology, 4, 4, bytes / 4);
    assert!(
        within(report.time, quarter, 0.03),
        "simulated {} vs a quarter's formula {quarter}",
        report.time
    );
    assert!(
        (390.0..=400.0).contains(&report.busbw_gbps),
        "busbw {}",
        report.busbw_gbps
    );
}

#[test]
fn mesh_beats_a_flat_ring_on_a_torus_for_small_messages() {
    // 2(R + C - 2) = 12 latencies instead of 2(RC - 1) = 30 for the ring.
    let topology = torus(4, 4);
    let mesh = run(&topology, &RunConfig::all_reduce(Algorithm::Mesh, 4096));
    let ring = run(&topology, &RunConfig::all_reduce(Algorithm::Ring, 4096));
    assert!(
        mesh.time < ring.time,
        "mesh {} vs ring {}",
        mesh.time,
        ring.time
    );
}

#[test]
fn mesh_refuses_a_ring_topology_and_says_to_use_ring() {
    let Err(e) = try_run(&ring(8), &RunConfig::all_reduce(Algorithm::Mesh, 4096)) else {
        panic!("mesh ran on a ring");
    };
    assert!(matches!(e, CollectiveError::Unsupported { .. }));
    assert_eq!(
        e.to_string(),
        "mesh all-reduce does not run on topology ring8: mesh needs a Mesh2D, Torus2D or Torus3D SIP shape; ring8 is a BidirectionalRing: use ring"
    );
}

#[test]
fn mesh_refuses_several_cubes_and_collectives_other_than_all_reduce() {
    let two_cubes = topology("tori2", 2, 4, "Torus2D(2, 2)", "BidirectionalRing");
    let Err(e) = try_run(&two_cubes, &RunConfig::all_reduce(Algorithm::Mesh, 4096)) else {
        panic!("mesh ran on two cubes");
    };
    assert_eq!(
        e.to_string(),
        "mesh all-reduce does not run on topology tori2: mesh runs inside one cube; tori2 has 2: use hierarchical"
    );
    let config = RunConfig {
        collective: Collective::ReduceScatter,
        ..RunConfig::all_reduce(Algorithm::Mesh, 4096)
    };
    let Err(e) = try_run(&torus(2, 2), &config) else {
        panic!("mesh ran a reduce-scatter");
    };
    assert_eq!(
        e.to_string(),
        "mesh reduce-scatter does not run on topology torus2x2: mesh runs all-reduce only, not reduce-scatter; use ring, halving-doubling or direct"
    );
}

/// A 3D torus `x x y x z` of the support's link values (100 GB/s, 500 ns).
fn torus3d(x: u32, y: u32, z: u32) -> std::rc::Rc<kernbench_model::Topology> {
    crate::support::topology(
        &format!("torus{x}x{y}x{z}"),
        1,
        x * y * z,
        &format!("Torus3D({x}, {y}, {z})"),
        "Ring",
    )
}

#[test]
fn a_3d_torus_runs_the_three_dimensions_in_turn_verified_at_one_channel_per_directed_link() {
    for (x, y, z) in [(2, 2, 2), (2, 3, 4), (3, 3, 3)] {
        let topology = torus3d(x, y, z);
        for bytes in [0u64, 12, 4 * 1001, 256 << 10] {
            for channels in [Channels::Fixed(1), Channels::Auto] {
                let report = run(
                    &topology,
                    &RunConfig {
                        verify: true,
                        channels,
                        ..RunConfig::all_reduce(Algorithm::Mesh, bytes)
                    },
                );
                assert_eq!(report.verified, Some(true), "{x}x{y}x{z} {bytes} B");
            }
        }
    }
    // 3x3x3: six links of 100 GB/s per SIP; auto's 6 channels each start on a directed link
    // class of its own, so busbw nears the 600 GB/s bound, where the ring's channels (two
    // edge-disjoint cycles, both ways) load four of the six links (measured at 32 MiB: 537.2
    // and 303.9 GB/s; at 256 MiB on 50 GB/s links, 98.9% of the bound for mesh).
    let topology = torus3d(3, 3, 3);
    let bytes = 32 << 20;
    let mesh = run(&topology, &RunConfig::all_reduce(Algorithm::Mesh, bytes));
    let ring = run(&topology, &RunConfig::all_reduce(Algorithm::Ring, bytes));
    let bound = mesh.bound_gbps.unwrap_or(f64::NAN);
    assert_eq!(bound, 600.0);
    println!(
        "mesh {} GB/s, ring {} GB/s",
        mesh.busbw_gbps, ring.busbw_gbps
    );
    assert!(
        mesh.busbw_gbps >= 0.85 * bound,
        "mesh {} GB/s",
        mesh.busbw_gbps
    );
    assert!(
        ring.busbw_gbps < 4.0 / 6.0 * bound && ring.busbw_gbps < mesh.busbw_gbps,
        "ring {} GB/s",
        ring.busbw_gbps
    );
}
