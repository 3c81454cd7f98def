//! Write your own PE kernel: the PEs of one SIP all-reduce a vector by passing a token round
//! a ring over IPCQs, with `PeContext::send` / `recv` / `reduce`; run and verified by
//! `run_pe_program`, beside the bundled `pe-ring` kernel.
//!
//! ```sh
//! cargo run --release --example pe_kernel
//! ```
//!
//! On `topologies/ring8.ron` a SIP has 4 PEs on a bidirectional-ring NoC, so PE `p` and
//! `p + 1` are neighbours. The token makes two laps: on the first, PE `p` adds its vector to
//! the running sum and passes it on, so PE `n - 1` ends with the total; on the second the
//! total goes round once more and every PE keeps a copy. That is `2(n - 1)` hops of the whole
//! vector one after the other, where `pe-ring` moves `2(n - 1)` segments of `1/n` of it, all
//! PEs at once: the token is simpler and slower.

use std::rc::Rc;

use kernbench::algorithms::{
    CollectiveError, PeKernel, PeKernelReport, PeRunConfig, initial_value, run_pe_kernel,
    run_pe_program,
};
use kernbench::model::{Bytes, KernelConfig, ModelError, PeContext, ReduceOp, Topology};

/// The topology, found from any working directory.
const TOPOLOGY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/topologies/ring8.ron");

/// One PE's part of the token-ring all-reduce of a `bytes` vector: its final vector (`None`
/// on a machine without data).
async fn token_ring(k: PeContext, bytes: u64) -> Result<Option<Vec<f32>>, ModelError> {
    let (n, p) = (k.num_programs(), k.program_id());
    let (left, right) = ((p + n - 1) % n, (p + 1) % n);
    let mine = k.alloc(Bytes(bytes))?;
    mine.fill_with(|i| initial_value(p, i));
    // Lap 1: take the running sum of PEs 0..p from the left and add this PE's vector.
    if p > 0 {
        let token = k.alloc(Bytes(bytes))?;
        k.recv(left, &token).await?;
        k.reduce(&mine, &token, ReduceOp::Sum).await?;
    }
    // Pass it on; from PE n - 1 this is the total, starting lap 2 at PE 0.
    k.send(right, &mine).await?;
    // Lap 2: the total arrives (IPCQs are FIFO: after the lap-1 message) and goes on, up to
    // PE n - 2, whose right neighbour made it.
    if p < n - 1 {
        k.recv(left, &mine).await?;
        if p < n - 2 {
            k.send(right, &mine).await?;
        }
    }
    Ok(mine.data().map(|d| d.clone()))
}

/// Runs the token ring on all PEs of SIP `c0.s0`, and the bundled `pe-ring`, verified.
fn run(bytes: u64) -> Result<[PeKernelReport; 2], CollectiveError> {
    let topology = Rc::new(Topology::load(TOPOLOGY)?);
    let pes = topology.pes_per_sip();
    let config = PeRunConfig {
        bytes,
        ipcq: KernelConfig::default(),
        verify: true,
    };
    let token = run_pe_program(topology.clone(), "token-ring", pes, &config, move |k| {
        token_ring(k, bytes)
    })?;
    let ring = run_pe_kernel(topology, PeKernel::Ring, &config)?;
    Ok([token, ring])
}

fn main() -> Result<(), CollectiveError> {
    println!("all-reduce of 64 KiB per PE over the PEs of c0.s0 on ring8, verified");
    for report in run(64 << 10)? {
        let (name, pes, us) = (&report.kernel, report.pes, report.time.as_ns_f64() / 1e3);
        println!("{name:>10}: {pes} PEs, {us:6.3} us");
    }
    Ok(())
}

#[test]
fn token_ring_all_reduce_is_verified_and_slower_than_pe_ring() -> Result<(), CollectiveError> {
    let [token, ring] = run(64 << 10)?;
    assert_eq!(token.verified, Some(true));
    assert!(token.time.as_ps() > 0);
    assert!(token.time > ring.time);
    Ok(())
}
