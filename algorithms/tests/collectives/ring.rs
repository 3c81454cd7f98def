//! The ring: timing from first principles, bandwidth, byte conservation, and the launcher's
//! contracts (world size, buffers that do not fit, calls in flight).

use std::cell::RefCell;
use std::rc::Rc;

use kernbench_algorithms::blocks::ring_orders;
use kernbench_algorithms::{
    Algorithm, Channels, Collective, CollectiveError, DEFAULT_CHUNK, RunConfig, initial_value,
    launch, reduced_value,
};
use kernbench_engine::{SimTime, Simulation};
use kernbench_model::{Bytes, Machine, MachineOptions, MemoryKind, ReduceOp};

use crate::support::{alpha_beta, fully_connected, ring, run, try_run};

/// One channel: the schedule's formula for a single ring.
fn one_channel(algorithm: Algorithm, bytes: u64) -> RunConfig {
    RunConfig {
        channels: Channels::Fixed(1),
        ..RunConfig::all_reduce(algorithm, bytes)
    }
}

fn within(actual: SimTime, expected: SimTime, tolerance: f64) -> bool {
    let (a, e) = (actual.as_ps() as f64, expected.as_ps() as f64);
    (a - e).abs() <= tolerance * e
}

#[test]
fn ring_all_reduce_time_matches_its_alpha_beta_formula() {
    // One chunk per segment: T = 2(n-1) t(S/n) + (n-1) c(S/n), on a bidirectional ring where
    // neighbours have links of their own (nothing shared).
    for n in [2, 3, 5, 8] {
        let topology = ring(n);
        let (t, c) = alpha_beta(&topology);
        for bytes in [
            4 * n as u64,
            4096,
            4 * 10_007,
            256 << 10,
            n as u64 * DEFAULT_CHUNK.0,
        ] {
            let report = run(&topology, &one_channel(Algorithm::Ring, bytes));
            let seg = bytes / n as u64; // balanced segments differ by at most one element
            let formula = SimTime::from_ps(2 * (n as u64 - 1) * t(seg) + (n as u64 - 1) * c(seg));
            assert!(
                within(report.time, formula, 0.02),
                "n={n} bytes={bytes}: simulated {} vs formula {formula}",
                report.time
            );
        }
    }
}

#[test]
fn ring_reduce_scatter_and_all_gather_match_their_formulas() {
    let n = 4;
    let topology = ring(n);
    let (t, c) = alpha_beta(&topology);
    let bytes = 512 << 10;
    let seg = bytes / n as u64;
    let rs = run(
        &topology,
        &RunConfig {
            collective: Collective::ReduceScatter,
            ..one_channel(Algorithm::Ring, bytes)
        },
    );
    let rs_formula = SimTime::from_ps((n as u64 - 1) * (t(seg) + c(seg)));
    assert!(
        within(rs.time, rs_formula, 0.02),
        "{} vs {rs_formula}",
        rs.time
    );
    let ag = run(
        &topology,
        &RunConfig {
            collective: Collective::AllGather,
            ..one_channel(Algorithm::Ring, bytes)
        },
    );
    let ag_formula = SimTime::from_ps((n as u64 - 1) * t(seg));
    assert!(
        within(ag.time, ag_formula, 0.02),
        "{} vs {ag_formula}",
        ag.time
    );
}

#[test]
fn ring_all_reduce_busbw_approaches_link_bandwidth_and_never_exceeds_it() {
    // 100 GB/s SIP links are the bottleneck (HBM is 3.2 TB/s).
    let topology = ring(4);
    let report = run(&topology, &one_channel(Algorithm::Ring, 256 << 20));
    assert!(
        report.busbw_gbps <= 100.0,
        "busbw {} exceeds the link",
        report.busbw_gbps
    );
    assert!(
        report.busbw_gbps >= 97.0,
        "busbw {} is not within 3% of 100 GB/s",
        report.busbw_gbps
    );
    // Large messages: T -> 2(n-1)/n * S / beta.
    let asymptote = 2.0 * 3.0 / 4.0 * (256u64 << 20) as f64 / 100e9;
    assert!((report.time.as_secs_f64() - asymptote).abs() / asymptote < 0.03);
}

#[test]
fn two_channels_run_the_ring_both_ways_at_the_formula_of_half_the_buffer() {
    // auto on a bidirectional ring: the cycle and its reverse, each on links of its own, each
    // carrying half of every segment: T(S) = 2(n-1) t(S/2n) + (n-1) c(S/2n).
    for n in [3, 5, 8] {
        let topology = ring(n);
        assert_eq!(ring_orders(&topology, Channels::Auto).len(), 2, "n={n}");
        let (t, c) = alpha_beta(&topology);
        for bytes in [4096 * n as u64, 256 << 10, 2 * n as u64 * DEFAULT_CHUNK.0] {
            let report = run(&topology, &RunConfig::all_reduce(Algorithm::Ring, bytes));
            let seg = bytes / (2 * n as u64);
            let formula = SimTime::from_ps(2 * (n as u64 - 1) * t(seg) + (n as u64 - 1) * c(seg));
            assert!(
                within(report.time, formula, 0.02),
                "n={n} bytes={bytes}: simulated {} vs formula {formula}",
                report.time
            );
        }
    }
    // Large messages: both directions of every link, busbw -> twice the link.
    let report = run(&ring(4), &RunConfig::all_reduce(Algorithm::Ring, 256 << 20));
    assert!(
        (194.0..=200.0).contains(&report.busbw_gbps),
        "busbw {}",
        report.busbw_gbps
    );
}

#[test]
fn tiny_ring_all_reduce_is_dominated_by_2_n_minus_1_latencies() {
    let n = 8;
    let topology = ring(n);
    let report = run(&topology, &one_channel(Algorithm::Ring, 4 * 8));
    // Each step's message crosses HBM (200 ns), a SIP link (500 ns) and HBM (200 ns).
    let latencies = SimTime::from_ns(2 * (n as u64 - 1) * 900);
    assert!(report.time >= latencies);
    assert!(
        within(report.time, latencies, 0.01),
        "{} vs {latencies}",
        report.time
    );
}

#[test]
fn asking_for_another_world_size_is_an_error_naming_the_topology() {
    let topology = ring(8);
    let simulation = Simulation::new();
    let machine = Machine::new(&simulation.handle(), topology, MachineOptions::default());
    let error = launch(&machine, 16, |_rank| async { Ok(()) }).unwrap_err();
    assert_eq!(
        error.to_string(),
        "world_size 16 != 8 SIPs in topology ring8; rank = SIP, so use world_size 8 or another topology"
    );
}

#[test]
fn a_buffer_that_does_not_fit_fails_before_any_time_passes() {
    let topology = ring(2);
    let config = RunConfig {
        memory: MemoryKind::Tcm,
        ..RunConfig::all_reduce(Algorithm::Ring, 64 << 20)
    };
    let error = try_run(&topology, &config).unwrap_err();
    assert!(matches!(error, CollectiveError::Model(_)), "{error}");
    assert_eq!(
        error.to_string(),
        "a buffer of 64 MiB does not fit in tcm of c0.s0 (4 PEs x 4 MiB in all, 0 B in use); use a smaller size or place it in a larger memory (tcm < sram < hbm)"
    );
}

#[test]
fn the_ring_refuses_broadcast_and_says_what_to_use() {
    let error = try_run(
        &ring(4),
        &RunConfig {
            collective: Collective::Broadcast,
            ..RunConfig::all_reduce(Algorithm::Ring, 1024)
        },
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "ring broadcast does not run on topology ring4: the ring runs all-reduce, reduce-scatter, all-gather and the all-to-alls; use tree or direct for broadcast and reduce"
    );
}

#[test]
fn two_collectives_in_flight_do_not_mix_their_messages() {
    // Every rank submits two all-reduces (sum on one buffer, max on another) before waiting on
    // either; both results must be exact.
    let n = 4;
    let topology = fully_connected(n);
    let mut simulation = Simulation::new();
    let machine = Machine::new(
        &simulation.handle(),
        topology,
        MachineOptions {
            data: true,
            trace: false,
            ..MachineOptions::default()
        },
    );
    let results = Rc::new(RefCell::new(Vec::new()));
    let sink = results.clone();
    let elements = 1000usize;
    launch(&machine, n, move |rank| {
        let sink = sink.clone();
        async move {
            let a = rank.alloc(MemoryKind::Hbm, Bytes(4 * elements as u64))?;
            let b = rank.alloc(MemoryKind::Sram, Bytes(4 * elements as u64))?;
            let r = rank.rank();
            a.fill_with(|i| initial_value(r, i));
            b.fill_with(|i| initial_value(r, i));
            let group = rank.process_group();
            let first = group.all_reduce(&a, ReduceOp::Sum, Algorithm::Ring)?;
            let second = group.all_reduce(&b, ReduceOp::Max, Algorithm::Ring)?;
            second.wait().await;
            first.wait().await;
            let (a, b) = (a.read(0, a.bytes().0), b.read(0, b.bytes().0));
            sink.borrow_mut().push((a, b));
            Ok::<(), CollectiveError>(())
        }
    })
    .expect("world size matches");
    assert!(simulation.run().expect("no failure").is_completed());
    let results = results.borrow();
    assert_eq!(results.len(), n as usize);
    for (a, b) in results.iter() {
        let (a, b) = (a.as_ref().expect("data"), b.as_ref().expect("data"));
        for i in 0..elements {
            assert_eq!(a[i], reduced_value(ReduceOp::Sum, n, i));
            assert_eq!(b[i], reduced_value(ReduceOp::Max, n, i));
        }
    }
}

#[test]
fn the_same_run_twice_gives_the_same_report() {
    let topology = ring(6);
    let config = RunConfig {
        verify: true,
        ..RunConfig::all_reduce(Algorithm::Ring, 3 << 20)
    };
    let (a, b) = (run(&topology, &config), run(&topology, &config));
    assert_eq!((a.time.as_ps(), a.events), (b.time.as_ps(), b.events));
}

/// A user schedule whose rank 0 sends to a rank past the end of the world.
#[derive(Debug)]
struct SendsPastTheEnd;

impl kernbench_algorithms::Schedule for SendsPastTheEnd {
    fn name(&self) -> &str {
        "past-the-end"
    }
    fn supports(&self, _: Collective, _: &kernbench_model::Topology) -> Result<(), String> {
        Ok(())
    }
    fn run<'a>(
        &'a self,
        _call: kernbench_algorithms::CollectiveCall,
        comm: kernbench_algorithms::Comm,
    ) -> kernbench_algorithms::LocalBoxFuture<'a, Result<(), CollectiveError>> {
        Box::pin(async move {
            if comm.rank() == 0 {
                comm.send(comm.world_size(), 0, 0, 4).await?;
            }
            Ok(())
        })
    }
}

#[test]
fn a_user_schedule_sending_to_a_rank_that_does_not_exist_is_an_error_not_a_panic() {
    let error = try_run(&ring(4), &RunConfig::all_reduce(SendsPastTheEnd, 64)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "rank 0 sent to rank 4, but the world has 4 ranks (0..4); fix the schedule's peer"
    );
}

/// The pipelined alpha-beta time of a one-channel ring all-reduce of `bytes` on `n` ranks
/// whose segments move in `k` chunks of `m = S/(n k)` bytes (issue 14), in picoseconds, with
/// `a = t(0)` the latency, `b = t(m) - t(0)` a chunk's time on the link, `c = c(m)` its
/// reduction. Two lower bounds, and the time is the larger:
/// - the link: every link carries `2(n-1) k` chunks back to back, the last arriving `a` later:
///   `2(n-1) k b + a`;
/// - the last chunk: it leaves rank 0 after the `k - 1` before it, then takes `2(n-1)` hops of
///   `a + b` and `n - 1` reductions: `(k-1) b + 2(n-1)(a + b) + (n-1) c`.
fn pipelined_ring_ps(n: u64, k: u64, a: u64, b: u64, c: u64) -> u64 {
    let link = 2 * (n - 1) * k * b + a;
    let last_chunk = (k - 1) * b + 2 * (n - 1) * (a + b) + (n - 1) * c;
    link.max(last_chunk)
}

#[test]
fn a_chunked_ring_pipelines_its_chunks_across_steps_at_the_pipelined_formula() {
    // ASTRA-sim's 8-NPU ring (50 GiB/s, 500 ns), ideal memory, one channel, 1 MiB: a
    // segment is 128 KiB; with k chunks per step the ring is within 3% of the pipelined
    // alpha-beta time, from one chunk (latency and bandwidth in series) to 16 (link bound).
    // Two chunks are the exception, 4.6% above: both chunks of the first step start at once
    // and share the link packet by packet, so neither arrives until both have crossed, and the
    // next step's first chunk waits for that (measured: 36.269 us against 34.679 us).
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/astra/ring8_50GiBps.ron"
    ))
    .unwrap_or_else(|e| panic!("the ASTRA-sim ring: {e}"));
    let topology = Rc::new(
        kernbench_model::Topology::from_ron_str(&text, "astra").unwrap_or_else(|e| panic!("{e}")),
    );
    let (t, c) = alpha_beta(&topology);
    let (n, bytes) = (8u64, 1u64 << 20);
    for (k, tolerance) in [(1, 0.03), (2, 0.05), (4, 0.03), (8, 0.03), (16, 0.03)] {
        let m = bytes / n / k;
        let config = RunConfig {
            chunk: Bytes(m),
            ..one_channel(Algorithm::Ring, bytes)
        };
        let report = run(&topology, &config);
        let formula = SimTime::from_ps(pipelined_ring_ps(n, k, t(0), t(m) - t(0), c(m)));
        println!(
            "k={k}: simulated {} vs pipelined formula {formula}",
            report.time
        );
        assert!(
            within(report.time, formula, tolerance),
            "k={k} chunks of {m} B: simulated {} vs pipelined formula {formula}",
            report.time
        );
    }
}
