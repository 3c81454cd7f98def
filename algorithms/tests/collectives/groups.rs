//! Sub-groups: collectives on groups of ranks, several at once, verified, with the time of
//! groups that share no link equal to one alone and of groups that share links longer by
//! what the shared links' bandwidth says.

use std::rc::Rc;

use kernbench_algorithms::exchange::SizeMatrix;
use kernbench_algorithms::{Algorithm, Collective, CollectiveError, Groups, RunConfig, launch};
use kernbench_engine::{SimTime, Simulation};
use kernbench_model::{Bytes, Machine, MachineOptions, MemoryKind, ReduceOp, Topology};

use crate::support::{self, cubes, fully_connected, ring, run, torus, try_run};

/// Runs a ring all-reduce of `bytes` on each group of `groups` at once (launch ranks; ranks
/// in no group idle) and returns when the last finished.
fn all_reduce_on(topology: &Rc<Topology>, groups: &[Vec<u32>], bytes: u64) -> SimTime {
    let mut simulation = Simulation::new();
    let machine = Machine::new(
        &simulation.handle(),
        topology.clone(),
        MachineOptions::default(),
    );
    let groups: Rc<Vec<Vec<u32>>> = Rc::new(groups.to_vec());
    launch(&machine, topology.sip_count(), move |rank| {
        let groups = groups.clone();
        async move {
            let Some(members) = groups.iter().find(|g| g.contains(&rank.rank())) else {
                return Ok::<(), CollectiveError>(());
            };
            let buffer = rank.alloc(MemoryKind::Hbm, Bytes(bytes))?;
            let group = rank.process_group().new_group(members)?;
            group
                .all_reduce(&buffer, ReduceOp::Sum, Algorithm::Ring)?
                .wait()
                .await;
            Ok(())
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let outcome = simulation.run().unwrap_or_else(|e| panic!("{e}"));
    assert!(outcome.is_completed(), "{outcome:?}");
    simulation.now()
}

#[test]
fn groups_that_share_no_link_take_exactly_the_time_of_one_alone() {
    // Two cubes of 4 fully connected SIPs: a group per cube uses only its cube's links.
    let topology = cubes(2, 4);
    let (a, b) = (vec![0, 1, 2, 3], vec![4, 5, 6, 7]);
    for bytes in [64 << 10, 16 << 20] {
        let alone = all_reduce_on(&topology, std::slice::from_ref(&a), bytes);
        let both = all_reduce_on(&topology, &[a.clone(), b.clone()], bytes);
        assert_eq!(both, alone, "{bytes} B");
    }
}

#[test]
fn groups_that_share_every_link_take_twice_as_long_as_the_links_allow() {
    // On an 8-ring, the even ranks' ring and the odd ranks' ring each cross every link (each
    // hop is two links), so two at once share every link's bandwidth: twice the time of one
    // alone at a size where bandwidth, not latency, sets it.
    let topology = ring(8);
    let (even, odd) = (vec![0, 2, 4, 6], vec![1, 3, 5, 7]);
    let bytes = 64 << 20;
    let alone = all_reduce_on(&topology, std::slice::from_ref(&even), bytes);
    let both = all_reduce_on(&topology, &[even, odd], bytes);
    let ratio = both.as_ps() as f64 / alone.as_ps() as f64;
    assert!(
        (1.95..=2.02).contains(&ratio),
        "both {both} vs alone {alone}: x{ratio:.3}, the shared links allow x2"
    );
}

#[test]
fn every_collective_runs_verified_on_groups_of_consecutive_or_strided_ranks() {
    let sizes = [0u64, 12, 4 * 1001];
    for (topology, groups) in [
        (fully_connected(8), Groups::Split { size: 4, stride: 1 }),
        (fully_connected(8), Groups::Split { size: 2, stride: 4 }),
        (torus(4, 4), Groups::Split { size: 4, stride: 4 }),
        (cubes(2, 4), Groups::Split { size: 2, stride: 2 }),
        (ring(6), Groups::Split { size: 3, stride: 1 }),
    ] {
        for algorithm in [
            Algorithm::Ring,
            Algorithm::Tree,
            Algorithm::DoubleBinaryTree,
            Algorithm::HalvingDoubling,
            Algorithm::Direct,
            Algorithm::Pairwise,
        ] {
            for collective in Collective::ALL {
                if algorithm
                    .schedule()
                    .supports(collective, &topology)
                    .is_err()
                {
                    continue;
                }
                for bytes in sizes {
                    let sizes = (collective == Collective::AllToAllv).then(|| {
                        let n = groups.size(topology.sip_count());
                        Rc::new(
                            SizeMatrix::zipf(n, bytes, 1.5, 1).unwrap_or_else(|e| panic!("{e}")),
                        )
                    });
                    let config = RunConfig {
                        verify: true,
                        groups,
                        root: 1,
                        sizes,
                        ..support::config(algorithm, collective, bytes)
                    };
                    let report = run(&topology, &config);
                    assert_eq!(report.verified, Some(true), "{algorithm} {collective}");
                    assert_eq!(report.groups, groups);
                }
            }
        }
    }
}

#[test]
fn busbw_uses_the_group_size_and_the_time_is_the_slowest_groups() {
    let topology = fully_connected(8);
    let config = RunConfig {
        groups: Groups::Split { size: 4, stride: 1 },
        ..support::config(Algorithm::Ring, Collective::AllReduce, 1 << 20)
    };
    let report = run(&topology, &config);
    assert!((report.busbw_gbps - report.algbw_gbps * 2.0 * 3.0 / 4.0).abs() < 1e-9);
    // The two groups share no link (every pair has its own), so the run takes as long as the
    // slower of the two alone. They are not alike: each walks its part of the machine's
    // cycles, and those parts differ (measured: 11.517 us and 10.528 us).
    let first = all_reduce_on(&topology, &[vec![0, 1, 2, 3]], 1 << 20);
    let second = all_reduce_on(&topology, &[vec![4, 5, 6, 7]], 1 << 20);
    assert_ne!(first, second);
    assert_eq!(report.time, first.max(second));
}

#[test]
fn bad_splits_and_whole_machine_schedules_on_groups_are_refused() {
    let topology = torus(4, 4);
    for (groups, message) in [
        (
            Groups::Split { size: 3, stride: 1 },
            "process group: groups of 3 ranks 1 apart need a multiple of 3 ranks; the topology has 16",
        ),
        (
            Groups::Split { size: 4, stride: 8 },
            "process group: groups of 4 ranks 8 apart need a multiple of 32 ranks; the topology has 16",
        ),
        (
            Groups::Split { size: 0, stride: 1 },
            "process group: group size and stride are at least 1",
        ),
    ] {
        let config = RunConfig {
            groups,
            ..support::config(Algorithm::Ring, Collective::AllReduce, 64)
        };
        match try_run(&topology, &config) {
            Err(e) => assert_eq!(e.to_string(), message),
            Ok(_) => panic!("{groups:?} ran"),
        }
    }
    let config = RunConfig {
        groups: Groups::Split { size: 4, stride: 1 },
        ..support::config(Algorithm::Mesh, Collective::AllReduce, 64)
    };
    match try_run(&topology, &config) {
        Err(CollectiveError::Unsupported { reason, .. }) => assert_eq!(
            reason,
            "mesh takes its shape from the whole machine and runs on all of its ranks, not on a group of 4; use ring or another logical algorithm"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A rank may only make groups it belongs to.
    let simulation = Simulation::new();
    let machine = Machine::new(&simulation.handle(), topology, MachineOptions::default());
    let made = Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = made.clone();
    launch(&machine, 16, move |rank| {
        let sink = sink.clone();
        async move {
            if rank.rank() == 0 {
                let error = rank.process_group().new_group(&[1, 2]).unwrap_err();
                sink.borrow_mut().push(error.to_string());
                let error = rank.process_group().new_group(&[0, 0]).unwrap_err();
                sink.borrow_mut().push(error.to_string());
            }
            Ok(())
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let mut simulation = simulation;
    simulation.run().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        *made.borrow(),
        [
            "process group: rank 0 makes a group it is not in; each rank makes the groups it belongs to",
            "process group: rank 0 is named twice; name each once",
        ]
    );
}
