//! # PE kernels: all-reduce over the PEs of one SIP
//!
//! SPMD programs on [`PeContext`]s (`program_id` = PE index in the launch) that all-reduce (sum)
//! one `f32` vector held in every PE's TCM, talking only through IPCQs. Every exchange posts
//! its receive with [`PeContext::recv_async`] before it sends, so the kernels also run with
//! `ipcq_depth: 0`, where every send is a rendezvous.
//!
//! ## Schedule
//! - [`PeKernel::Ring`]: the buffer is cut into `n` balanced segments. Reduce-scatter takes
//!   `n - 1` steps: in step `s` PE `p` sends segment `p - s` to `p + 1`, receives segment
//!   `p - s - 1` from `p - 1` and adds it to its own, so it ends owning segment `p + 1`
//!   (mod `n`). All-gather passes the owned segments round in `n - 1` more steps.
//! - [`PeKernel::Mesh2x2`]: PE `p = 2 * row + col`. The row partners (`p ^ 1`) exchange the
//!   half the other owns (half `col`) and add; the column partners (`p ^ 2`, same `col`)
//!   exchange their half and add, so both hold half `col` summed over all four; the row
//!   partners exchange their halves.
//! - [`PeKernel::Tree7`]: a binary heap: PE `p` has children `2p + 1`, `2p + 2` and parent
//!   `(p - 1) / 2`. Each PE receives from both children at once, adds them in, and sends the
//!   sum to its parent; PE 0 then holds the total and it flows back down, each PE sending to
//!   its children one after the other.
//!
//! ## Cost
//! With `t(m)` the time to move `m` bytes from one PE's TCM to a neighbour's (see
//! [`Machine::uncongested_time`]) and `c(m) = m / reduce_throughput` one PE reducing `m`
//! bytes, `S` the buffer:
//!
//! ```text
//! ring      T = 2(n-1) * t(S/n) + (n-1) * c(S/n)     every step's sends on distinct links
//! mesh 2x2  T = 3 * t(S/2) + 2 * c(S/2)
//! tree 7    T ~ 2 * (t2(S) + 2 c(S)) + 4 * t(S)       t2(S): two S transfers into one TCM
//! ```
//!
//! The ring sends `2(n-1)/n * S` bytes per PE (bandwidth-optimal); the tree moves `S` per
//! edge each way and serialises the two children, so it is for small vectors.
//!
//! ## Topologies
//! Any SIP: the ring runs on all its PEs (any count, best on a `Ring` or
//! `BidirectionalRing` NoC); the 2x2 mesh on PEs 0 to 3 (a SIP with at least 4 PEs, best on a
//! `Mesh2D(2, 2)` NoC); the tree on PEs 0 to 6 (a SIP with at least 7 PEs). Launches always
//! go to SIP `c0.s0`; a SIP with too few PEs is refused with
//! [`CollectiveError::Unsupported`].

use std::fmt;

use kernbench_model::{Buffer, Bytes, ModelError, PeContext, ReduceOp, SipId};

use crate::comm::segment;
use crate::verify::initial_value;

/// The SIP every PE kernel runs on.
pub(crate) const SIP: SipId = SipId { cube: 0, sip: 0 };

/// One PE's final vector, `None` on a machine without data.
pub(crate) type PeResult = Option<Vec<f32>>;

/// A PE-level all-reduce kernel; see the module docs for schedules and costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeKernel {
    /// A ring over all the PEs of the SIP.
    Ring,
    /// Rows then columns on a 2x2 grid of PEs 0 to 3.
    Mesh2x2,
    /// Reduce up a binary tree of PEs 0 to 6 to PE 0, then broadcast back down.
    Tree7,
}

impl PeKernel {
    /// Every PE kernel.
    pub const ALL: [PeKernel; 3] = [PeKernel::Ring, PeKernel::Mesh2x2, PeKernel::Tree7];

    /// The kernel's name, as its processes are called (`c0.s0.p1:pe-ring`).
    pub fn name(self) -> &'static str {
        match self {
            PeKernel::Ring => "pe-ring",
            PeKernel::Mesh2x2 => "pe-mesh2x2",
            PeKernel::Tree7 => "pe-tree7",
        }
    }

    /// How many PEs the kernel runs on in a SIP of `pes_per_sip` PEs (the first ones), or why
    /// it cannot run there.
    pub fn pes_on(self, pes_per_sip: u32) -> Result<u32, String> {
        let needed = match self {
            PeKernel::Ring => return Ok(pes_per_sip),
            PeKernel::Mesh2x2 => 4,
            PeKernel::Tree7 => 7,
        };
        if pes_per_sip < needed {
            return Err(format!(
                "the {self} kernel needs a SIP with at least {needed} PEs; {SIP} has {pes_per_sip}: use the pe-ring kernel"
            ));
        }
        Ok(needed)
    }
}

impl PeKernel {
    /// The TCM buffers, in bytes, that one PE of the kernel holds at once at its peak, on a
    /// `bytes` vector over `pes` PEs: what [`pe_all_reduce`] allocates (its input parts plus
    /// the one incoming buffer of the step with the largest), so a check can try them on an
    /// empty machine before the run.
    pub(crate) fn tcm_peak(self, bytes: u64, pes: u32) -> Vec<u64> {
        let parts = |n: u32| -> Vec<u64> { (0..n).map(|i| segment(bytes, i, n).1).collect() };
        match self {
            // The parts, and in reduce-scatter one incoming part at a time (none on one PE).
            PeKernel::Ring => {
                let mut held = parts(pes);
                if pes >= 2 {
                    held.push(held.iter().copied().max().unwrap_or(0));
                }
                held
            }
            // The two halves and an incoming copy of this PE's half (the larger, on some PE).
            PeKernel::Mesh2x2 => {
                let mut held = parts(2);
                held.push(held.iter().copied().max().unwrap_or(0));
                held
            }
            // The input and the running sum; then the sum and one child's incoming sum.
            PeKernel::Tree7 => vec![bytes, bytes],
        }
    }
}

impl fmt::Display for PeKernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// This PE's part of `kernel` on a `bytes` vector: its final vector.
pub(crate) async fn pe_all_reduce(
    kernel: PeKernel,
    k: PeContext,
    bytes: u64,
    op: ReduceOp,
) -> Result<PeResult, ModelError> {
    match kernel {
        PeKernel::Ring => ring(&k, bytes, op).await,
        PeKernel::Mesh2x2 => mesh2x2(&k, bytes, op).await,
        PeKernel::Tree7 => tree(&k, bytes, op).await,
    }
}

/// The `n` balanced parts of this PE's starting vector, each a TCM buffer of its own (an
/// IPCQ message is a whole buffer).
#[expect(
    clippy::result_large_err,
    reason = "kernel bodies return the model's ModelError as the PeContext API does"
)]
fn input_parts(k: &PeContext, bytes: u64, n: u32) -> Result<Vec<Buffer>, ModelError> {
    let mut parts = Vec::with_capacity(n as usize);
    for i in 0..n {
        let (offset, len) = segment(bytes, i, n);
        let buffer = k.alloc(Bytes(len))?;
        let (p, first) = (k.program_id(), (offset / 4) as usize);
        buffer.fill_with(|j| initial_value(p, first + j));
        parts.push(buffer);
    }
    Ok(parts)
}

/// The parts' values end to end; `None` without data.
fn joined(parts: &[Buffer]) -> PeResult {
    let mut all = Vec::new();
    for part in parts {
        all.extend_from_slice(&part.data()?);
    }
    Some(all)
}

/// Sends `out` to `to` while receiving the next message from `from` into `into`; the receive
/// is posted first so a rendezvous IPCQ (depth 0) cannot deadlock the exchange.
async fn exchange(
    k: &PeContext,
    to: u32,
    out: &Buffer,
    from: u32,
    into: &Buffer,
) -> Result<(), ModelError> {
    let pending = k.recv_async(from)?;
    k.send(to, out).await?;
    k.wait(pending, into).await?;
    Ok(())
}

/// The ring kernel; see the module docs.
async fn ring(k: &PeContext, bytes: u64, op: ReduceOp) -> Result<PeResult, ModelError> {
    let (n, p) = (k.num_programs(), k.program_id());
    let parts = input_parts(k, bytes, n)?;
    let (left, right) = ((p + n - 1) % n, (p + 1) % n);
    let at = |s: i64| (p as i64 + s).rem_euclid(n as i64) as usize;
    for s in 0..n.saturating_sub(1) as i64 {
        let (out, into) = (&parts[at(-s)], &parts[at(-s - 1)]);
        let incoming = k.alloc(into.bytes())?;
        exchange(k, right, out, left, &incoming).await?;
        k.reduce(into, &incoming, op).await?;
    }
    // PE p now owns part p + 1.
    for s in 0..n.saturating_sub(1) as i64 {
        exchange(k, right, &parts[at(1 - s)], left, &parts[at(-s)]).await?;
    }
    Ok(joined(&parts))
}

/// The 2x2 mesh kernel; see the module docs.
async fn mesh2x2(k: &PeContext, bytes: u64, op: ReduceOp) -> Result<PeResult, ModelError> {
    let p = k.program_id();
    let halves = input_parts(k, bytes, 2)?;
    let (row_partner, column_partner) = (p ^ 1, p ^ 2);
    let (mine, other) = if p % 2 == 0 {
        (&halves[0], &halves[1])
    } else {
        (&halves[1], &halves[0])
    };
    let incoming = k.alloc(mine.bytes())?;
    exchange(k, row_partner, other, row_partner, &incoming).await?;
    k.reduce(mine, &incoming, op).await?;
    exchange(k, column_partner, mine, column_partner, &incoming).await?;
    k.reduce(mine, &incoming, op).await?;
    exchange(k, row_partner, mine, row_partner, other).await?;
    Ok(joined(&halves))
}

/// The binary-tree kernel; see the module docs.
async fn tree(k: &PeContext, bytes: u64, op: ReduceOp) -> Result<PeResult, ModelError> {
    let (n, p) = (k.num_programs(), k.program_id());
    let parts = input_parts(k, bytes, 1)?;
    let mine = k.alloc(Bytes(bytes))?;
    for part in &parts {
        if let (Some(mut to), Some(from)) = (mine.data_mut(), part.data()) {
            to.copy_from_slice(&from);
        }
    }
    drop(parts);
    let children: Vec<u32> = [2 * p + 1, 2 * p + 2]
        .into_iter()
        .filter(|&c| c < n)
        .collect();
    // Both children's sums travel at once.
    let mut pending = Vec::with_capacity(children.len());
    for &child in &children {
        pending.push(k.recv_async(child)?);
    }
    for receive in pending {
        let incoming = k.alloc(Bytes(bytes))?;
        k.wait(receive, &incoming).await?;
        k.reduce(&mine, &incoming, op).await?;
    }
    if p > 0 {
        let parent = (p - 1) / 2;
        k.send(parent, &mine).await?;
        k.recv(parent, &mine).await?;
    }
    for &child in &children {
        k.send(child, &mine).await?;
    }
    Ok(mine.data().map(|d| d.clone()))
}
