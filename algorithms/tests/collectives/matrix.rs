//! Every algorithm x every collective it runs x every memory x world sizes 1 to 16 x sizes
//! that do not divide by the world size, verified on real data.

use kernbench_algorithms::exchange::SizeMatrix;
use kernbench_algorithms::{Algorithm, Collective, CollectiveError, RunConfig, check};
use kernbench_model::{MemoryKind, NetworkModel, ReduceOp};

use crate::support::{cubes, fully_connected, run, torus};

/// Sizes in bytes: zero, one element, fewer elements than ranks, ragged, and a few packets.
const SIZES: [u64; 6] = [0, 4, 12, 4 * 1001, 4 * 4099, 64 << 10];

fn verify_all(
    topology: &std::rc::Rc<kernbench_model::Topology>,
    algorithms: &[Algorithm],
) -> usize {
    verify_all_in(topology, algorithms, NetworkModel::Packet)
}

fn verify_all_in(
    topology: &std::rc::Rc<kernbench_model::Topology>,
    algorithms: &[Algorithm],
    network: NetworkModel,
) -> usize {
    let mut runs = 0;
    for &algorithm in algorithms {
        for collective in Collective::ALL {
            for memory in [MemoryKind::Tcm, MemoryKind::Sram, MemoryKind::Hbm] {
                for bytes in SIZES {
                    let config = RunConfig {
                        collective,
                        algorithm: algorithm.into(),
                        bytes: bytes.into(),
                        memory,
                        verify: true,
                        op: ReduceOp::Sum,
                        root: topology.sip_count() / 2,
                        chunk: kernbench_algorithms::DEFAULT_CHUNK,
                        channels: kernbench_algorithms::Channels::Auto,
                        time_limit: None,
                        trace: false,
                        pairs: kernbench_algorithms::Pairs::Forward,
                        groups: kernbench_algorithms::Groups::World,
                        // Uneven all-to-allv blocks, zero-byte pairs included at small sizes.
                        sizes: (collective == Collective::AllToAllv).then(|| {
                            let n = topology.sip_count();
                            match SizeMatrix::zipf(n, bytes, 1.0, u64::from(n)) {
                                Ok(sizes) => std::rc::Rc::new(sizes),
                                Err(e) => panic!("{e}"),
                            }
                        }),
                        network,
                    };
                    match check(algorithm.schedule(), collective, topology) {
                        Ok(()) => {
                            let report = run(topology, &config);
                            assert_eq!(report.verified, Some(true));
                            runs += 1;
                        }
                        Err(CollectiveError::Unsupported { reason, .. }) => {
                            assert!(!reason.is_empty(), "a refusal says why");
                        }
                        Err(other) => panic!("{algorithm} {collective}: {other}"),
                    }
                }
            }
        }
    }
    runs
}

#[test]
fn every_algorithm_is_verified_on_world_sizes_1_to_16() {
    let mut runs = 0;
    for n in 1..=16 {
        runs += verify_all(&fully_connected(n), Algorithm::ALL);
    }
    // Ring alone runs 3 collectives x 3 memories x 6 sizes on 16 world sizes.
    assert!(runs >= 3 * 3 * 6 * 16, "only {runs} verified runs");
}

#[test]
fn every_algorithm_is_verified_in_the_flow_model() {
    // The network only times the bytes; callers move the data, so results are the same.
    let mut runs = 0;
    for n in [1, 2, 3, 5, 8] {
        runs += verify_all_in(&fully_connected(n), Algorithm::ALL, NetworkModel::Flow);
    }
    runs += verify_all_in(&torus(3, 3), &[Algorithm::Mesh], NetworkModel::Flow);
    runs += verify_all_in(&cubes(2, 4), &[Algorithm::Hierarchical], NetworkModel::Flow);
    assert!(runs >= 3 * 3 * 6 * 5, "only {runs} verified runs");
}

#[test]
fn mesh_is_verified_on_tori() {
    for (rows, cols) in [(2, 2), (2, 3), (3, 3), (4, 4)] {
        assert!(
            verify_all(&torus(rows, cols), &[Algorithm::Mesh]) > 0,
            "{rows}x{cols}"
        );
    }
}

#[test]
fn hierarchical_is_verified_on_multi_cube_machines() {
    for (c, s) in [(2, 2), (2, 4), (3, 3), (4, 2)] {
        assert!(
            verify_all(&cubes(c, s), &[Algorithm::Hierarchical]) > 0,
            "{c}x{s}"
        );
    }
}

#[test]
fn max_and_min_reductions_are_verified() {
    let topology = fully_connected(5);
    for &algorithm in Algorithm::ALL {
        for op in [ReduceOp::Max, ReduceOp::Min] {
            let config = RunConfig {
                op,
                verify: true,
                ..RunConfig::all_reduce(algorithm, 4 * 1003)
            };
            if check(algorithm.schedule(), Collective::AllReduce, &topology).is_ok() {
                assert_eq!(run(&topology, &config).verified, Some(true));
            }
        }
    }
}
