//! # Recursive halving-doubling
//!
//! ## Schedule
//! Rabenseifner's algorithm (Thakur, Rabenseifner and Gropp, "Optimization of collective
//! communication operations in MPICH", 2005). Let `p` be the largest power of two `<= n` and
//! `q = n - p`.
//!
//! 1. **Fold** (only if `q > 0`): of the first `2q` ranks, each even rank `2i` sends its buffer
//!    to rank `2i + 1`, which reduces it (all-gather: sends only its own segment, stored).
//!    The odd ranks of those pairs and ranks `2q..n` are the `p` *participants*, numbered
//!    `j = 0..p` in rank order.
//! 2. **Recursive halving** (reduce-scatter; all-reduce): the buffer is cut into `p` blocks.
//!    In `log2 p` steps of distance `d = p/2, p/4, ..., 1`, participant `j` exchanges with
//!    `j xor d`: it sends the half of its current block range that the partner keeps and
//!    reduces the half it keeps. Participant `j` ends with block `j` fully reduced.
//! 3. **Recursive doubling** (all-gather; all-reduce): in steps of distance `d = 1, 2, ...,
//!    p/2` participant `j` sends its range to `j xor d` and stores the partner's, doubling
//!    the range until it is the whole buffer.
//! 4. **Unfold** (only if `q > 0`): rank `2i + 1` sends rank `2i` its result: the whole
//!    buffer (all-reduce, all-gather) or segment `2i` (reduce-scatter).
//!
//! For all-reduce the blocks are the `p` balanced segments of the buffer. For reduce-scatter
//! and all-gather, whose contract is that rank `r` owns `segment(r, n)`, participant `j`'s
//! block is the segments of the ranks it stands for: segments `2j, 2j + 1` for `j < q`,
//! segment `j + q` otherwise, so after the halving every rank holds (or, folded, is sent) its
//! own segment with no permutation step.
//!
//! ## Cost
//! With `t(m)` the time to move `m` bytes between two ranks (latency `alpha` plus `m` over
//! the bottleneck bandwidth `beta`), `c(m)` the time for a SIP to reduce `m` bytes and
//! `L = log2 p`:
//!
//! ```text
//! all-reduce      T = [t(S) + c(S)] + sum_{k=1..L} [t(S/2^k) + c(S/2^k)]
//!                                   + sum_{k=1..L} t(S/2^k) + [t(S)]
//! reduce-scatter  T = [t(S) + c(S)] + sum_{k=1..L} [t(S/2^k) + c(S/2^k)] + [t(S/n)]
//! all-gather      T = [t(S/n)] + sum_{k=1..L} t(S/2^k) + [t(S)]
//! ```
//!
//! The bracketed terms are the fold and unfold, present only when `n` is not a power of two.
//! With `p = n` this is `2 log2(n) * alpha + 2(n-1)/n * S/beta` for the all-reduce: the
//! bandwidth of the ring at the latency of a tree. The formulas assume the partners of a
//! step have links of their own (fully connected machines) and, for reduce-scatter and
//! all-gather with a fold, take the larger (two-segment) blocks as `S/2^k`, so they are exact
//! when `p = n` or `S` is a multiple of `4n` bytes; exchanges are not chunked, so a step's
//! reduction does not overlap its transfer. The participants move `2(p-1) * S` bytes over the
//! network in an all-reduce, plus `2q * S` for the fold.
//!
//! The all-reduce on a machine with a cycle of neighbouring SIPs (rings, tori, ...) runs the
//! steps nearest first (distance doubling with vector halving): participant `j` takes the
//! part of `bitrev(j)`, so the largest exchange is with `j xor 1`, the next with `j xor 2`,
//! and the farthest partner gets the smallest block. Same bytes, fewer of them far away.
//!
//! ## Topologies
//! Any: the schedule is logical. Partners at distance `d` are best neighbours, as on a
//! hypercube or a fully connected machine; on a ring the far steps cross many links (which
//! is why the all-reduce sends its largest blocks to the nearest partners there).
//! Broadcast and reduce are refused: halving-doubling spreads the result over all ranks; use
//! tree or direct.

use kernbench_model::Topology;

use crate::comm::Comm;
use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::names::Collective;

/// Mailbox channel of the fold (even rank to odd neighbour).
const FOLD: u32 = 0;
/// Mailbox channel of the unfold (odd rank back to even neighbour).
const UNFOLD: u32 = 1;
/// First channel of the halving and doubling steps (one channel per step).
const STEPS: u32 = 2;

/// The recursive halving-doubling schedule, a built-in: its module docs give its schedule, cost and
/// topologies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct HalvingDoubling;

crate::schedule::builtin_schedule!(HalvingDoubling, "halving-doubling");

/// Whether halving-doubling runs `collective`; the reason if not.
pub(crate) fn supports(collective: Collective, _topology: &Topology) -> Result<(), String> {
    match collective {
        Collective::AllReduce | Collective::ReduceScatter | Collective::AllGather => Ok(()),
        Collective::Broadcast | Collective::Reduce => Err(
            "halving-doubling runs all-reduce, reduce-scatter and all-gather; use tree or direct for broadcast and reduce".to_string(),
        ),
        Collective::AllToAll | Collective::AllToAllv => Err(
            "halving-doubling runs all-reduce, reduce-scatter and all-gather; use ring, pairwise or direct for all-to-all and all-to-allv".to_string(),
        ),
        Collective::SendRecv => Err(
            "halving-doubling runs all-reduce, reduce-scatter and all-gather; use direct for send-recv".to_string(),
        ),
    }
}

/// The ranks taking part in the power-of-two stage, and the blocks they end with.
struct Plan {
    /// The number of participants (the largest power of two `<= n`).
    p: u32,
    /// The number of folded pairs, `n - p`.
    q: u32,
    /// `log2 p`.
    steps: u32,
    /// Byte `(offset, len)` of each participant's block.
    blocks: Vec<(u64, u64)>,
}

impl Plan {
    fn new(comm: &Comm, collective: Collective) -> Plan {
        let n = comm.world_size();
        let p = 1u32 << (31 - n.leading_zeros());
        let q = n - p;
        let blocks = (0..p)
            .map(|j| match collective {
                Collective::AllReduce => comm.segment(j, p),
                _ if j < q => {
                    let (o, a) = comm.segment(2 * j, n);
                    let (_, b) = comm.segment(2 * j + 1, n);
                    (o, a + b)
                }
                _ => comm.segment(j + q, n),
            })
            .collect();
        Plan {
            p,
            q,
            steps: p.trailing_zeros(),
            blocks,
        }
    }

    /// The participant number of `rank`, or `None` for an even rank folded into its neighbour.
    fn participant(&self, rank: u32) -> Option<u32> {
        if rank < 2 * self.q {
            (rank % 2 == 1).then_some(rank / 2)
        } else {
            Some(rank - self.q)
        }
    }

    /// The rank of participant `j`.
    fn rank_of(&self, j: u32) -> u32 {
        if j < self.q { 2 * j + 1 } else { j + self.q }
    }

    /// Byte `(offset, len)` of blocks `lo..hi` (contiguous, in order).
    fn range(&self, lo: u32, hi: u32) -> (u64, u64) {
        let start = self.blocks.get(lo as usize).map_or(0, |b| b.0);
        let end = hi
            .checked_sub(1)
            .and_then(|last| self.blocks.get(last as usize))
            .map_or(start, |b| b.0 + b.1);
        (start, end.saturating_sub(start))
    }
}

/// Runs `call` with the halving-doubling schedule.
pub(crate) async fn run(call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    let n = comm.world_size();
    let r = comm.rank();
    if n == 1 {
        return Ok(());
    }
    let (reduce, gather) = match call.collective {
        Collective::AllReduce => (true, true),
        Collective::ReduceScatter => (true, false),
        Collective::AllGather => (false, true),
        // Refused by `supports`.
        Collective::Broadcast
        | Collective::Reduce
        | Collective::AllToAll
        | Collective::SendRecv
        | Collective::AllToAllv => return Ok(()),
    };
    let plan = Plan::new(&comm, call.collective);
    let Some(j) = plan.participant(r) else {
        // An even rank of a folded pair: hand over, then take back the result.
        let (o, l) = if reduce {
            (0, comm.bytes())
        } else {
            comm.segment(r, n)
        };
        comm.send(r + 1, FOLD, o, l).await?;
        comm.recv_store(r + 1, UNFOLD).await;
        return Ok(());
    };
    if r < 2 * plan.q {
        if reduce {
            comm.recv_reduce(r - 1, FOLD, call.op).await?;
        } else {
            comm.recv_store(r - 1, FOLD).await;
        }
    }
    // All-reduce on a wired machine runs nearest first: participant `j` plays the part of
    // `bitrev(j)`, so the first (largest) exchange, at distance p/2 in the roles, is with
    // `j xor 1`, a neighbour. Reduce-scatter and all-gather keep their roles: rank r must own
    // segment r.
    let nearest_first = call.collective == Collective::AllReduce
        && !comm.machine().topology().sip_cycles().is_empty();
    let role = |j: u32| {
        if nearest_first && plan.steps > 0 {
            j.reverse_bits() >> (32 - plan.steps)
        } else {
            j
        }
    };
    let partner_of = |d: u32| plan.rank_of(role(role(j) ^ d));
    let j = role(j);
    let (mut lo, mut hi) = if reduce { (0, plan.p) } else { (j, j + 1) };
    let mut channel = STEPS;
    if reduce {
        let mut d = plan.p / 2;
        while d >= 1 {
            let mid = lo + (hi - lo) / 2;
            let (keep, give) = if j & d == 0 {
                ((lo, mid), (mid, hi))
            } else {
                ((mid, hi), (lo, mid))
            };
            let partner = partner_of(d);
            let (o, l) = plan.range(give.0, give.1);
            let send = comm.spawn_send(partner, channel, o, l);
            comm.recv_reduce(partner, channel, call.op).await?;
            send.await;
            (lo, hi) = keep;
            d /= 2;
            channel += 1;
        }
    } else {
        channel += plan.steps;
    }
    if gather {
        let mut d = 1;
        while d < plan.p {
            let partner = partner_of(d);
            let (o, l) = plan.range(lo, hi);
            let send = comm.spawn_send(partner, channel, o, l);
            comm.recv_store(partner, channel).await;
            send.await;
            let size = hi - lo;
            (lo, hi) = if j & d == 0 {
                (lo, hi + size)
            } else {
                (lo - size, hi)
            };
            d *= 2;
            channel += 1;
        }
    }
    if r < 2 * plan.q {
        let (o, l) = if gather {
            (0, comm.bytes())
        } else {
            comm.segment(r - 1, n)
        };
        comm.send(r - 1, UNFOLD, o, l).await?;
    }
    Ok(())
}
