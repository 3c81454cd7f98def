//! All-to-all: direct and pairwise against their alpha-beta formulas, byte conservation on a
//! ring and a torus, verification that catches a misplaced block, and the refusals.

use std::rc::Rc;

use kernbench_algorithms::exchange::{recv_block, send_block, send_bytes};
use kernbench_algorithms::{
    Algorithm, Collective, CollectiveCall, CollectiveError, Comm, LocalBoxFuture, RunConfig,
    Schedule,
};
use kernbench_model::Topology;

use crate::support::{
    self, alpha_beta, assert_within_2_percent, fully_connected, ring, run, sip_link_bytes, torus,
    try_run,
};

fn config(algorithm: Algorithm, bytes: u64) -> RunConfig {
    support::config(algorithm, Collective::AllToAll, bytes)
}

#[test]
fn direct_and_pairwise_match_their_formulas_on_a_fully_connected_machine() {
    // Every pair has a link of its own: direct is one block's time, pairwise n - 1 of them.
    for n in [4u64, 5, 8] {
        let topology = fully_connected(n as u32);
        let (t, _) = alpha_beta(&topology);
        for bytes in [4096 * n, 64 << 20] {
            let block = bytes / n;
            let direct = run(&topology, &config(Algorithm::Direct, bytes));
            assert_within_2_percent(&direct, t(block), &format!("direct n={n} {bytes} B"));
            let pairwise = run(&topology, &config(Algorithm::Pairwise, bytes));
            assert_within_2_percent(
                &pairwise,
                (n - 1) * t(block),
                &format!("pairwise n={n} {bytes} B"),
            );
        }
    }
}

/// The bytes the schedule must move over SIP links: every block times the hops of its route.
fn expected_link_bytes(topology: &Topology, bytes: u64, hops: impl Fn(u32, u32) -> u64) -> u64 {
    let n = topology.sip_count();
    (0..n)
        .flat_map(|r| (0..n).map(move |j| (r, j)))
        .filter(|(r, j)| r != j)
        .map(|(r, j)| send_block(bytes, r, j, n).1 * hops(r, j))
        .sum()
}

#[test]
fn link_counters_hold_exactly_the_bytes_each_block_must_cross() {
    let bytes = 4 * 1001 * 8;
    let ring_hops = |n: u32| {
        move |r: u32, j: u32| {
            let d = r.abs_diff(j);
            d.min(n - d) as u64
        }
    };
    let torus_hops = |rows: u32, cols: u32| {
        move |r: u32, j: u32| {
            let wrap = |a: u32, b: u32, k: u32| {
                let d = a.abs_diff(b);
                d.min(k - d) as u64
            };
            wrap(r / cols, j / cols, rows) + wrap(r % cols, j % cols, cols)
        }
    };
    for algorithm in [Algorithm::Direct, Algorithm::Pairwise] {
        let topology = ring(8);
        let report = run(&topology, &config(algorithm, bytes));
        assert_eq!(
            sip_link_bytes(&topology, &report),
            expected_link_bytes(&topology, bytes, ring_hops(8)),
            "{algorithm} on ring8"
        );
        let topology = torus(4, 4);
        let report = run(&topology, &config(algorithm, bytes));
        assert_eq!(
            sip_link_bytes(&topology, &report),
            expected_link_bytes(&topology, bytes, torus_hops(4, 4)),
            "{algorithm} on torus4x4"
        );
    }
}

#[test]
fn all_to_all_verifies_on_a_ring_and_reports_busbw_with_the_nccl_tests_factor() {
    // Flows share the ring's links; both schedules still deliver every block, and busbw is
    // (n-1)/n of algbw, as nccl-tests' alltoall.
    let topology = ring(8);
    for algorithm in [Algorithm::Direct, Algorithm::Pairwise] {
        let report = run(
            &topology,
            &RunConfig {
                verify: true,
                ..config(algorithm, 4 << 20)
            },
        );
        assert_eq!(report.verified, Some(true));
        assert!(
            (report.busbw_gbps - report.algbw_gbps * 7.0 / 8.0).abs() < 1e-9,
            "{algorithm}"
        );
    }
}

/// An all-to-all that lands every block one place too far: verification must catch it.
#[derive(Debug)]
struct Misplaced;

impl Schedule for Misplaced {
    fn name(&self) -> &str {
        "misplaced"
    }
    fn supports(&self, collective: Collective, _topology: &Topology) -> Result<(), String> {
        (collective == Collective::AllToAll)
            .then_some(())
            .ok_or_else(|| "all-to-all only".to_string())
    }
    fn run<'a>(
        &'a self,
        _call: CollectiveCall,
        comm: Comm,
    ) -> LocalBoxFuture<'a, Result<(), CollectiveError>> {
        Box::pin(async move {
            let (n, me) = (comm.world_size(), comm.rank());
            let bytes = send_bytes(comm.bytes());
            for q in (0..n).filter(|&q| q != me) {
                let (o, l) = send_block(bytes, me, q, n);
                // The slot of the sender after `me`, not `me`'s own.
                let (at, _) = recv_block(bytes, (me + 1) % n, q, n);
                comm.send_to(q, 0, o, l, at).await?;
            }
            for q in (0..n).filter(|&q| q != me) {
                comm.recv_store(q, 0).await;
            }
            Ok(())
        })
    }
}

#[test]
fn verification_catches_a_block_in_the_wrong_place() {
    let topology = fully_connected(4);
    let config = RunConfig {
        verify: true,
        algorithm: Rc::new(Misplaced),
        ..config(Algorithm::Direct, 64)
    };
    match try_run(&topology, &config) {
        Err(CollectiveError::Verification {
            collective, rank, ..
        }) => {
            assert_eq!((collective.as_str(), rank), ("all-to-all", 0));
        }
        other => panic!("expected a verification error, got {other:?}"),
    }
}

#[test]
fn the_reduction_algorithms_refuse_all_to_all_naming_the_ones_that_run_it() {
    let topology = ring(4);
    for algorithm in [Algorithm::Tree, Algorithm::HalvingDoubling] {
        match try_run(&topology, &config(algorithm, 64)) {
            Err(CollectiveError::Unsupported { reason, .. }) => {
                assert!(
                    reason.contains("use ring, pairwise or direct for all-to-all and all-to-allv"),
                    "{reason}"
                );
            }
            other => panic!("{algorithm}: expected a refusal, got {other:?}"),
        }
    }
    match try_run(
        &topology,
        &support::config(Algorithm::Pairwise, Collective::AllReduce, 64),
    ) {
        Err(CollectiveError::Unsupported { reason, .. }) => assert_eq!(
            reason,
            "pairwise runs all-to-all and all-to-allv only, not all-reduce; use direct, or another algorithm that runs all-reduce"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn an_even_all_to_allv_is_the_all_to_all_to_the_picosecond_and_a_skewed_one_is_slower() {
    use kernbench_algorithms::exchange::SizeMatrix;
    for topology in [ring(8), torus(4, 4)] {
        let n = topology.sip_count();
        for algorithm in [Algorithm::Direct, Algorithm::Pairwise] {
            let bytes = 4 << 20;
            let even = run(&topology, &config(algorithm, bytes));
            let sizes = Rc::new(SizeMatrix::uniform(n, bytes).unwrap_or_else(|e| panic!("{e}")));
            let v = run(
                &topology,
                &RunConfig {
                    collective: Collective::AllToAllv,
                    sizes: Some(sizes.clone()),
                    verify: true,
                    ..config(algorithm, bytes)
                },
            );
            assert_eq!(v.time, even.time, "{algorithm} on {}", topology.name());
            assert_eq!(v.bytes.0, bytes);
            // busbw: the bytes between ranks per rank, over the time.
            let moved = sizes.moved() as f64 / f64::from(n) / v.time.as_secs_f64() / 1e9;
            assert!((v.busbw_gbps - moved).abs() < 1e-9);
            // A hot expert receives from everyone: its links into it set the pace.
            let skewed = run(
                &topology,
                &RunConfig {
                    collective: Collective::AllToAllv,
                    sizes: Some(Rc::new(
                        SizeMatrix::zipf(n, bytes, 1.2, 5).unwrap_or_else(|e| panic!("{e}")),
                    )),
                    verify: true,
                    ..config(algorithm, bytes)
                },
            );
            assert!(
                skewed.time > even.time,
                "{algorithm}: {} vs {}",
                skewed.time,
                even.time
            );
        }
    }
}

#[test]
fn link_counters_of_an_all_to_allv_hold_each_pairs_bytes_times_its_hops() {
    use kernbench_algorithms::exchange::SizeMatrix;
    let topology = ring(6);
    let sizes = Rc::new(
        SizeMatrix::new(&[
            vec![0, 4096, 0, 40, 8, 0],
            vec![12, 0, 0, 0, 0, 1 << 20],
            vec![0, 0, 0, 0, 0, 0],
            vec![4, 4, 4, 4, 4, 4],
            vec![0, 0, 65536, 0, 0, 0],
            vec![0, 0, 0, 0, 400, 0],
        ])
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let report = run(
        &topology,
        &RunConfig {
            collective: Collective::AllToAllv,
            sizes: Some(sizes.clone()),
            verify: true,
            ..config(Algorithm::Direct, 0)
        },
    );
    let hops = |r: u32, j: u32| {
        let d = r.abs_diff(j);
        u64::from(d.min(6 - d))
    };
    let expected: u64 = (0..6)
        .flat_map(|r| (0..6).map(move |j| (r, j)))
        .map(|(r, j)| sizes.get(r, j) * hops(r, j))
        .sum();
    assert_eq!(sip_link_bytes(&topology, &report), expected);
    // Without sizes an all-to-allv splits each rank's bytes evenly: the all-to-all.
    let plain = run(&topology, &config(Algorithm::Direct, 4 * 1001 * 6));
    let even = run(
        &topology,
        &RunConfig {
            collective: Collective::AllToAllv,
            verify: true,
            ..config(Algorithm::Direct, 4 * 1001 * 6)
        },
    );
    assert_eq!(even.time, plain.time);
}

#[test]
fn the_ring_all_to_all_forwards_each_block_around_both_rings_and_pays_its_hops() {
    // ring8, auto channels: the cycle and its reverse, each block cut in two halves, one
    // going d hops forward and the other 8 - d backward.
    let topology = ring(8);
    let bytes = 4u64 << 20;
    let report = run(
        &topology,
        &RunConfig {
            verify: true,
            ..config(Algorithm::Ring, bytes)
        },
    );
    assert_eq!(report.verified, Some(true));
    let half = bytes / 8 / 2;
    let expected: u64 = (1..8u64).map(|d| 8 * half * (d + (8 - d))).sum();
    assert_eq!(sip_link_bytes(&topology, &report), expected);
    // Every directed link carries n(n-1)/2 half blocks: that at 100 GB/s is the floor; the
    // hops of the last blocks add the rest (measured 78.793 us against 73.400 us).
    let floor = 28.0 * half as f64 / 100e9;
    let seconds = report.time.as_secs_f64();
    assert!(
        seconds >= floor && seconds <= 1.1 * floor,
        "{seconds} s vs the links' {floor} s"
    );
}

#[test]
fn the_hierarchical_all_to_all_crosses_one_cube_hop_and_one_rail_at_most() {
    use kernbench_model::LinkClass;
    // Two cubes of 4 fully connected SIPs, rails between SIP i of each: a block changes SIP
    // index inside its cube (one SIP link) and cube on its rail (one cube link), no more.
    let topology = crate::support::cubes(2, 4);
    let bytes = 4 * 1001 * 8;
    let report = run(
        &topology,
        &RunConfig {
            verify: true,
            ..config(Algorithm::Hierarchical, bytes)
        },
    );
    assert_eq!(report.verified, Some(true));
    let class_bytes = |class: LinkClass| -> u64 {
        topology
            .graph()
            .edge_weights()
            .zip(&report.links)
            .filter(|(link, _)| link.class == class)
            .map(|(_, stats)| stats.bytes)
            .sum()
    };
    let pairs = || (0..8u32).flat_map(|r| (0..8u32).map(move |t| (r, t)));
    let block = |r, t| send_block(bytes, r, t, 8).1;
    let in_cube: u64 = pairs()
        .filter(|&(r, t)| r % 4 != t % 4)
        .map(|(r, t)| block(r, t))
        .sum();
    let across: u64 = pairs()
        .filter(|&(r, t)| r / 4 != t / 4)
        .map(|(r, t)| block(r, t))
        .sum();
    assert_eq!(class_bytes(LinkClass::SipLink), in_cube);
    assert_eq!(class_bytes(LinkClass::CubeLink), across);
}
