//! # Ring
//!
//! ## Schedule
//! The ranks form a logical ring, rank `r` sending to `r + 1` and receiving from `r - 1`
//! (mod `n`). The buffer is cut into `n` segments. Reduce-scatter takes `n - 1` steps: in step
//! `s` rank `r` receives segment `(r - s - 2) mod n`, reduces it into its own copy and passes
//! the partial sum on, so after step `n - 2` it holds segment `r` fully reduced. All-gather
//! takes `n - 1` more steps passing finished segments around. All-reduce is the two in a row.
//! Each segment moves in chunks of at most the call's chunk size ([`DEFAULT_CHUNK`](crate::DEFAULT_CHUNK) by default); a chunk is forwarded as soon as it
//! has been reduced, so reductions overlap the transfers of later chunks, and the packets of a
//! chunk pipeline across the hops of its route. The same schedule runs over any list of ranks
//! on any byte range of the buffer (`run_over`): mesh and hierarchical are built from it.
//!
//! ## Cost
//! With `t(m)` the time to move `m` bytes between neighbours (latency `alpha` plus `m` over
//! the bottleneck bandwidth `beta` of the route, memories included) and `c(m)` the time for a
//! SIP's PEs to reduce `m` bytes:
//!
//! ```text
//! all-reduce      T = 2(n-1) * t(S/n) + (n-1) * c(S/n)    one chunk per segment (S/n <= CHUNK)
//!                 T ~ 2(n-1) * (alpha + (S/n)/beta)       many chunks: reductions hide
//! reduce-scatter  T = (n-1) * (t(S/n) + c(S/n))           (one chunk per segment)
//! all-gather      T = (n-1) * t(S/n)
//! ```
//!
//! Each rank sends `2(n-1)/n * S` bytes in an all-reduce: the bandwidth-optimal amount.
//!
//! ## Topologies
//! Any: the ring is logical, mapped in rank order. It is at its best where rank `r` and
//! `r + 1` are neighbours (ring and torus topologies); elsewhere its messages take longer
//! routes. Broadcast and reduce are refused: use tree or direct.

use std::collections::VecDeque;

use kernbench_engine::ProcessHandle;
use kernbench_model::{ReduceOp, Topology};

use crate::comm::Comm;
use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::names::Collective;

/// The ring schedule: see the module docs for its schedule, cost and topologies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Ring;

crate::schedule::builtin_schedule!(Ring, "ring");

/// Whether the ring runs `collective`; the reason if not.
pub(crate) fn supports(collective: Collective, _topology: &Topology) -> Result<(), String> {
    match collective {
        Collective::AllReduce | Collective::ReduceScatter | Collective::AllGather => Ok(()),
        Collective::Broadcast | Collective::Reduce => Err(
            "the ring runs all-reduce, reduce-scatter and all-gather; use tree or direct for broadcast and reduce".to_string(),
        ),
    }
}

/// How many chunks [`chunks`] cuts `len` bytes into, with chunks of at most `chunk` bytes.
pub fn chunk_count(len: u64, chunk: u64) -> u64 {
    len.div_ceil(chunk.max(4)).max(1)
}

/// `(offset, len)` chunks of at most `chunk` bytes covering a segment, in whole `f32`s. An
/// empty segment is one empty chunk, so every step still exchanges a message.
pub fn chunks(offset: u64, len: u64, chunk: u64) -> Vec<(u64, u64)> {
    let count = chunk_count(len, chunk);
    (0..count)
        .map(|i| {
            let (o, l) = crate::comm::segment(len, i as u32, count as u32);
            (offset + o, l)
        })
        .collect()
}

/// Runs `call` with the ring schedule over all ranks and the whole buffer.
pub(crate) async fn run(call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    let ranks: Vec<u32> = (0..comm.world_size()).collect();
    let range = (0, comm.bytes());
    run_over(&comm, &ranks, range, call.collective, call.op, 0).await
}

/// Runs `collective` with the ring schedule over `ranks` (in ring order; this rank must be
/// one of them) on bytes `range = (offset, len)` of the buffer, with the steps on channels
/// `first_channel..first_channel + 2(n-1)`.
///
/// The `n` segments are the balanced whole-`f32` parts of `range`, segment `p` belonging to
/// the rank at position `p` of `ranks`: after a reduce-scatter that rank holds segment `p`
/// reduced, and an all-gather starts from it. Two rings that share a pair of ranks in the
/// same collective must use channel ranges that do not overlap. A rank not in `ranks` does
/// nothing.
pub async fn run_over(
    comm: &Comm,
    ranks: &[u32],
    range: (u64, u64),
    collective: Collective,
    op: ReduceOp,
    first_channel: u32,
) -> Result<(), CollectiveError> {
    let n = ranks.len() as u32;
    let Some(p) = ranks.iter().position(|&x| x == comm.rank()) else {
        return Ok(());
    };
    let r = p as u32;
    if n <= 1 {
        return Ok(());
    }
    let seg = |k: i64| k.rem_euclid(n as i64) as u32;
    // Step s receives segment `received(s)`, reduced while `s < reduce_steps`, stored after:
    // computed per step rather than listed, so a rank of a 4,096-rank ring holds no table.
    let r64 = r as i64;
    let (first, steps, reduce_steps, shift) = match collective {
        Collective::AllReduce => (seg(r64 - 1), 2 * (n - 1), n - 1, 2),
        Collective::ReduceScatter => (seg(r64 - 1), n - 1, n - 1, 2),
        _ => (r, n - 1, 0, 1),
    };
    let received = |s: u32| seg(r64 - s as i64 - shift);
    let right = ranks[(p + 1) % n as usize];
    let left = ranks[(p + n as usize - 1) % n as usize];
    let segment = |i: u32| {
        let (o, l) = crate::comm::segment(range.1, i, n);
        (range.0 + o, l)
    };
    // Sends in flight, oldest first. A finished send is dropped as soon as it reaches the
    // front (joining it would return at once), so a long ring holds a few handles, not one
    // per step: each handle keeps its finished process's memory.
    let mut sends: VecDeque<ProcessHandle<()>> = VecDeque::new();
    let keep = |sends: &mut VecDeque<ProcessHandle<()>>, send| {
        while sends.front().is_some_and(ProcessHandle::is_finished) {
            sends.pop_front();
        }
        sends.push_back(send);
    };
    let (offset, len) = segment(first);
    for (o, l) in chunks(offset, len, comm.chunk_bytes()) {
        keep(&mut sends, comm.spawn_send(right, first_channel, o, l));
    }
    for step in 0..steps {
        let channel = first_channel + step;
        let (_, len) = segment(received(step));
        for _ in 0..chunk_count(len, comm.chunk_bytes()) {
            let (o, l) = if step < reduce_steps {
                comm.recv_reduce(left, channel, op).await?
            } else {
                comm.recv_store(left, channel).await
            };
            if step + 1 < steps {
                keep(&mut sends, comm.spawn_send(right, channel + 1, o, l));
            }
        }
    }
    for send in sends {
        send.await;
    }
    Ok(())
}
