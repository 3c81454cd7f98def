//! Write your own collective: a ring all-reduce in an order you choose, written by hand on
//! [`Comm`], run and verified exactly as a built-in, beside the built-in ring.
//!
//! ```sh
//! cargo run --release --example custom_collective
//! ```
//!
//! `topologies/multicube2x4.ron` is two cubes of 4 fully connected SIPs, joined rail-style: SIP
//! `s` of cube 0 to SIP `s` of cube 1. [`WiredRing`] is one ring along the wiring: across
//! cube 0, over the rail `c0.s3 -> c1.s3`, back across cube 1, and home over
//! `c1.s0 -> c0.s0`; it is bound by the one 50 GB/s rail each way it uses (14 MiB over it:
//! 293 us). The built-in ring walks such cycles too, but with `--channels auto` it runs one
//! ring per direction of every edge-disjoint cycle it finds, so several rails carry data at
//! once: about 3.7x faster here. Write your own to try an order or a schedule the built-ins
//! do not have; the same verification, metrics and link counters come with it.

use std::rc::Rc;

use kernbench::algorithms::{
    Algorithm, Collective, CollectiveCall, CollectiveError, Comm, IntoSchedule, LocalBoxFuture,
    RunConfig, RunReport, Schedule, run_collective,
};
use kernbench::model::{ReduceOp, Topology};

/// The topology, found from any working directory.
const TOPOLOGY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/topologies/multicube2x4.ron");

/// The ring order: cube 0 forward, cube 1 backward (rank = cube * 4 + sip).
const ORDER: [u32; 8] = [0, 1, 2, 3, 7, 6, 5, 4];

/// A ring all-reduce over the ranks in [`ORDER`].
#[derive(Debug)]
struct WiredRing;

impl Schedule for WiredRing {
    fn name(&self) -> &str {
        "wired-ring"
    }

    fn supports(&self, collective: Collective, topology: &Topology) -> Result<(), String> {
        match (collective, topology.sip_count()) {
            (Collective::AllReduce, 8) => Ok(()),
            _ => Err("wired-ring runs all-reduce on 8 SIPs; use the built-in ring".into()),
        }
    }

    fn run<'a>(
        &'a self,
        call: CollectiveCall,
        comm: Comm,
    ) -> LocalBoxFuture<'a, Result<(), CollectiveError>> {
        Box::pin(ring_all_reduce(comm, &ORDER, call.op))
    }
}

/// This rank's part of a ring all-reduce over `order`: `n` segments, `n - 1` reduce-scatter
/// steps, `n - 1` all-gather steps, each step on a channel of its own.
async fn ring_all_reduce(comm: Comm, order: &[u32], op: ReduceOp) -> Result<(), CollectiveError> {
    let n = order.len() as u32;
    // ok: `supports` admits only 8 SIPs, and ORDER lists each of the 8 ranks once.
    let p = order.iter().position(|&r| r == comm.rank()).unwrap() as u32;
    let right = order[((p + 1) % n) as usize];
    let left = order[((p + n - 1) % n) as usize];
    let segment = |k: u32| comm.segment(k % n, n);
    // A send is not awaited before the next step: a step's send then queues on the link
    // behind the last one's packets instead of waiting out its latency (a send reads its
    // values when it starts, so later writes to the buffer do not change what it carries).
    let mut sends = Vec::new();
    // Reduce-scatter: in step s send segment p - s right (reduced by us in step s - 1), and
    // reduce segment p - s - 1 from the left into our buffer. Position p ends owning p + 1.
    for s in 0..n - 1 {
        let (offset, len) = segment(p + n - s);
        sends.push(comm.spawn_send(right, s, offset, len));
        comm.recv_reduce(left, s, op).await?;
    }
    // All-gather: pass the finished segments round, storing what arrives.
    for s in 0..n - 1 {
        let (offset, len) = segment(p + 1 + n - s);
        sends.push(comm.spawn_send(right, n - 1 + s, offset, len));
        comm.recv_store(left, n - 1 + s).await;
    }
    for send in sends {
        send.await;
    }
    Ok(())
}

/// Runs a verified 8 MiB all-reduce (1 MiB segments) with `schedule` on the topology; the
/// report and the bytes that crossed between SIPs.
fn run(schedule: impl IntoSchedule) -> Result<(RunReport, u64), CollectiveError> {
    let topology = Rc::new(Topology::load(TOPOLOGY)?);
    let config = RunConfig {
        verify: true,
        ..RunConfig::all_reduce(schedule, 8 << 20)
    };
    let report = run_collective(topology.clone(), &config)?;
    // The link counters are by edge index, as the topology's graph numbers its links.
    let links = topology.graph().edge_weights().zip(&report.links);
    let between = links
        .filter(|(link, _)| link.class.is_between_sips())
        .map(|(_, stats)| stats.bytes)
        .sum();
    Ok((report, between))
}

fn main() -> Result<(), CollectiveError> {
    println!("all-reduce of 8 MiB per rank on multicube2x4, verified");
    for (r, between) in [run(WiredRing)?, run(Algorithm::Ring)?] {
        let (name, us, mib) = (&r.algorithm, r.time_ns() / 1e3, between >> 20);
        let (algbw, busbw) = (r.algbw_gbps, r.busbw_gbps);
        println!(
            "{name:>10}: {us:7.2} us  algbw {algbw:5.2} GB/s  busbw {busbw:5.2} GB/s  {mib} MiB between SIPs"
        );
    }
    Ok(())
}

#[test]
fn wired_ring_all_reduce_is_verified_and_takes_time() -> Result<(), CollectiveError> {
    let (report, between) = run(WiredRing)?;
    assert_eq!(report.verified, Some(true));
    assert!(report.time.as_ps() > 0);
    // 8 ranks, each sending 2 * 7 segments of 1 MiB over one SIP link.
    assert_eq!(between, (8 * 14) << 20);
    Ok(())
}
