//! # Direct (one shot)
//!
//! ## Schedule
//! Every transfer goes straight to the rank that needs it, all at once (each send in a
//! process of its own); the buffer is cut into the `n` segments of the collective's contract.
//!
//! - **reduce-scatter**: rank `r` sends segment `q` to every rank `q != r` and reduces the
//!   `n - 1` copies of segment `r` it receives, one after another, in rank order;
//! - **all-gather**: rank `r` sends segment `r` to every other rank and stores theirs;
//! - **all-reduce**: the direct reduce-scatter, then the direct all-gather;
//! - **broadcast**: the root sends the whole buffer to every other rank;
//! - **reduce**: every other rank sends the whole buffer to the root, which reduces the
//!   copies one after another, in rank order;
//! - **all-to-all**: rank `r` sends block `j` to every rank `j != r` at once and stores the
//!   blocks it receives (blocks as in [`crate::exchange`]; its own is copied at no cost);
//! - **send-recv**: each rank sends its buffer to its peer while it receives its own
//!   ([`crate::Pairs`]).
//!
//! ## Cost
//! With `t(m)` the time to move `m` bytes between two ranks (latency `alpha` plus `m` over
//! the bottleneck bandwidth `beta` of the route) and `c(m)` the time for a SIP to reduce `m`
//! bytes:
//!
//! ```text
//! all-reduce      T = 2 t(S/n) + (n-1) c(S/n)
//! reduce-scatter  T = t(S/n) + (n-1) c(S/n)
//! all-gather      T = t(S/n)
//! broadcast       T = t(S)
//! reduce          T = t(S) + (n-1) c(S)
//! all-to-all      T = t(S/n)
//! send-recv       T = t(S)                        (pairs on routes of their own)
//! ```
//!
//! These hold where every pair of ranks has a link of its own and the memories at both ends
//! keep up with `n - 1` links at once (on a fully connected machine, for example); `S/n` is
//! the largest segment. The transfers of one step all arrive together, so the reductions are
//! not overlapped with them. An all-reduce moves `2(n-1)/n * S` bytes per rank, the
//! bandwidth-optimal amount, in one latency per step: the best algorithm for small buffers on
//! a well-connected machine.
//!
//! ## Topologies
//! Any: every transfer follows the machine's route. Where pairs share links (a ring, a
//! torus, cubes joined by few links) the `n - 1` concurrent flows contend and the formulas
//! above are a lower bound.

use kernbench_engine::ProcessHandle;
use kernbench_model::{ReduceOp, Topology};

use crate::comm::Comm;
use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::names::Collective;

/// Mailbox channel of the reduce-scatter step (and of broadcast and reduce).
const SCATTER: u32 = 0;
/// Mailbox channel of the all-gather step.
const GATHER: u32 = 1;

/// The one-shot direct schedule, a built-in: its module docs give its schedule, cost and
/// topologies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Direct;

crate::schedule::builtin_schedule!(Direct, "direct");

/// Whether direct runs `collective`: it runs all of them.
pub(crate) fn supports(_collective: Collective, _topology: &Topology) -> Result<(), String> {
    Ok(())
}

/// Runs `call` with the one-shot schedule.
pub(crate) async fn run(call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    if comm.world_size() == 1
        && !matches!(
            call.collective,
            Collective::AllToAll | Collective::AllToAllv
        )
    {
        return Ok(());
    }
    match call.collective {
        Collective::AllReduce => {
            reduce_scatter(&comm, call.op).await?;
            all_gather(&comm).await;
        }
        Collective::ReduceScatter => reduce_scatter(&comm, call.op).await?,
        Collective::AllGather => all_gather(&comm).await,
        Collective::Broadcast => broadcast(&comm, call.root).await,
        Collective::Reduce => reduce(&comm, call.root, call.op).await?,
        Collective::AllToAll | Collective::AllToAllv => all_to_all(&comm).await,
        Collective::SendRecv => send_recv(&comm, call.send_to, call.recv_from).await,
    }
    Ok(())
}

/// The other ranks, in rank order.
fn peers(comm: &Comm) -> impl Iterator<Item = u32> + use<> {
    let me = comm.rank();
    (0..comm.world_size()).filter(move |&q| q != me)
}

/// Waits for every send to arrive.
async fn join(sends: Vec<ProcessHandle<()>>) {
    for send in sends {
        send.await;
    }
}

async fn reduce_scatter(comm: &Comm, op: ReduceOp) -> Result<(), CollectiveError> {
    let n = comm.world_size();
    let sends: Vec<_> = peers(comm)
        .map(|q| {
            let (o, l) = comm.segment(q, n);
            comm.spawn_send(q, SCATTER, o, l)
        })
        .collect();
    for q in peers(comm) {
        comm.recv_reduce(q, SCATTER, op).await?;
    }
    join(sends).await;
    Ok(())
}

async fn all_gather(comm: &Comm) {
    let (o, l) = comm.segment(comm.rank(), comm.world_size());
    let sends: Vec<_> = peers(comm)
        .map(|q| comm.spawn_send(q, GATHER, o, l))
        .collect();
    for q in peers(comm) {
        comm.recv_store(q, GATHER).await;
    }
    join(sends).await;
}

async fn all_to_all(comm: &Comm) {
    let (me, blocks) = (comm.rank(), comm.blocks());
    let (o, l) = blocks.send_block(me, me);
    comm.copy_local(o, l, blocks.recv_block(me, me).0);
    let sends: Vec<_> = peers(comm)
        .map(|q| {
            let (o, l) = blocks.send_block(me, q);
            let (at, _) = blocks.recv_block(me, q);
            comm.spawn_send_to(q, SCATTER, o, l, at)
        })
        .collect();
    for q in peers(comm) {
        comm.recv_store(q, SCATTER).await;
    }
    join(sends).await;
}

async fn send_recv(comm: &Comm, to: Option<u32>, from: Option<u32>) {
    let send = to.map(|to| comm.spawn_send(to, SCATTER, 0, comm.bytes()));
    if let Some(from) = from {
        comm.recv_store(from, SCATTER).await;
    }
    if let Some(send) = send {
        send.await;
    }
}

async fn broadcast(comm: &Comm, root: u32) {
    if comm.rank() == root {
        let bytes = comm.bytes();
        let sends: Vec<_> = peers(comm)
            .map(|q| comm.spawn_send(q, SCATTER, 0, bytes))
            .collect();
        join(sends).await;
    } else {
        comm.recv_store(root, SCATTER).await;
    }
}

async fn reduce(comm: &Comm, root: u32, op: ReduceOp) -> Result<(), CollectiveError> {
    if comm.rank() == root {
        for q in peers(comm) {
            comm.recv_reduce(q, SCATTER, op).await?;
        }
        Ok(())
    } else {
        comm.send(root, SCATTER, 0, comm.bytes()).await
    }
}
