//! # Ring
//!
//! ## Schedule
//! The ranks form a ring along the wiring: a cycle of neighbouring SIPs
//! ([`Topology::sip_cycles`]), or rank order where there is none, each rank sending to the
//! next on the cycle and receiving from the one before. With `C` channels ([`ring_orders`]:
//! `auto` is every cycle found, and each also reversed where its links are full duplex: 2 on
//! a bidirectional ring) the schedule runs `C` such rings at once, ring `c` on piece `c` of
//! every segment, so each direction of each link carries one ring.
//!
//! The buffer is cut into `n` segments. Reduce-scatter takes `n - 1` steps: in step
//! `s` rank `r` receives segment `(r - s - 2) mod n`, reduces it into its own copy and passes
//! the partial sum on, so after step `n - 2` it holds segment `r` fully reduced. All-gather
//! takes `n - 1` more steps passing finished segments around. All-reduce is the two in a row.
//! Each segment moves in chunks of at most the call's chunk size
//! ([`DEFAULT_CHUNK`](crate::DEFAULT_CHUNK) by default); a chunk is forwarded as soon as it
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
//! With `k` chunks of `m = S/(n k)` bytes per segment the chunks pipeline across steps; with
//! `a = t(0)`, `b = t(m) - t(0)` a chunk's time on the link and `c = c(m)`, the time is the
//! larger of two lower bounds, the link's and the last chunk's:
//!
//! ```text
//! all-reduce      T ~ max(2(n-1) k b + a,  (k-1) b + 2(n-1)(a + b) + (n-1) c)
//! ```
//!
//! (within 3% for 1, 4, 8 and 16 chunks on ASTRA-sim's 8-NPU ring at 1 MiB; two chunks are
//! 4.6% above, see `algorithms/tests/collectives/ring.rs`).
//!
//! Each rank sends `2(n-1)/n * S` bytes in an all-reduce: the bandwidth-optimal amount. With
//! `C` channels on links of their own the formulas hold with `S/C` for `S` (each ring carries
//! a `C`-th of the buffer), so busbw approaches `C` links' bandwidth.
//!
//! ## Topologies
//! Any. Along a cycle of neighbours (rings, tori, meshes with an even side, fully connected,
//! cubes of those) every step is one hop; where the search finds no cycle (an odd mesh) it
//! walks rank order and its messages take longer routes. Broadcast and reduce are refused:
//! use tree or direct.

use std::collections::VecDeque;

use std::sync::Arc;

use kernbench_engine::ProcessHandle;
use kernbench_model::cycles::reversed;
use kernbench_model::{ReduceOp, Topology};

use crate::comm::Comm;
use crate::error::CollectiveError;
use crate::group::{Channels, CollectiveCall};
use crate::names::Collective;

/// The ring schedule, a built-in: its module docs give its schedule, cost and
/// topologies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Ring;

crate::schedule::builtin_schedule!(Ring, "ring");

/// Whether the ring runs `collective`; the reason if not.
pub(crate) fn supports(collective: Collective, _topology: &Topology) -> Result<(), String> {
    match collective {
        Collective::AllReduce | Collective::ReduceScatter | Collective::AllGather => Ok(()),
        Collective::Broadcast | Collective::Reduce => Err(
            "the ring runs all-reduce, reduce-scatter, all-gather and the all-to-alls; use tree or direct for broadcast and reduce".to_string(),
        ),
        Collective::AllToAll | Collective::AllToAllv => Ok(()),
        Collective::SendRecv => Err(
            "the ring runs all-reduce, reduce-scatter, all-gather and the all-to-alls; use direct for send-recv".to_string(),
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

/// The ring schedule in an order a user gives (`--ring-order 0,2,3,1`): a permutation of the
/// ranks, walked as given (and, with `auto` channels, also in reverse: 2 channels).
#[derive(Clone, Debug)]
pub struct RingInOrder {
    order: Arc<[u32]>,
}

impl RingInOrder {
    /// The ring over `order` (checked against the topology when the run is planned).
    pub fn new(order: Vec<u32>) -> RingInOrder {
        RingInOrder {
            order: order.into(),
        }
    }

    /// The order.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// The rings of `channels` channels: the order, then its reverse, in turn (`auto`: both).
    pub fn orders(&self, channels: Channels) -> Vec<Arc<[u32]>> {
        let both = [self.order.clone(), reversed(&self.order)];
        let count = match channels {
            Channels::Auto => 2,
            Channels::Fixed(k) => k as usize,
        };
        (0..count).map(|c| both[c % 2].clone()).collect()
    }
}

/// Checks that `order` names each of the `n` ranks of topology `name` once: the rule for a
/// ring order a user gives (`--ring-order`, a sweep's `ring_orders`), with the fix in the text.
pub fn check_order(order: &[u32], n: u32, name: &str) -> Result<(), String> {
    let mut seen = vec![false; n as usize];
    for &r in order {
        match seen.get_mut(r as usize) {
            Some(s) if !*s => *s = true,
            Some(_) => {
                return Err(format!(
                    "the ring order names rank {r} twice; name each of the {n} ranks once"
                ));
            }
            None => {
                return Err(format!(
                    "the ring order names rank {r}, but {name} has {n} ranks (0 to {}); name each once",
                    n.saturating_sub(1)
                ));
            }
        }
    }
    if order.len() != n as usize {
        return Err(format!(
            "the ring order names {} ranks, but {name} has {n}; name each rank once",
            order.len()
        ));
    }
    Ok(())
}

impl crate::schedule::Schedule for RingInOrder {
    fn name(&self) -> &str {
        "ring"
    }

    fn supports(&self, collective: Collective, topology: &Topology) -> Result<(), String> {
        supports(collective, topology)?;
        check_order(&self.order, topology.sip_count(), topology.name())
    }

    fn run<'a>(
        &'a self,
        call: CollectiveCall,
        comm: Comm,
    ) -> crate::schedule::LocalBoxFuture<'a, Result<(), CollectiveError>> {
        Box::pin(async move {
            let orders = self.orders(call.channels);
            match call.collective {
                Collective::AllToAll | Collective::AllToAllv => {
                    crate::ring_all_to_all::run(&comm, &orders).await
                }
                _ => run_channels(&comm, &orders, call.collective, call.op).await,
            }
        })
    }
}

/// The directed rings the ring schedule spreads `channels` over on `topology`: each cycle of
/// neighbouring SIPs ([`Topology::sip_cycles`]) and, where its links are full duplex, the
/// same cycle the other way. `auto` takes them all; `N` takes the first `N`, reusing them in
/// turn when `N` is larger. Without a cycle (none found, or a user asks for more than rank
/// order gives), rank order and its reverse.
pub fn ring_orders(topology: &Topology, channels: Channels) -> Vec<Arc<[u32]>> {
    let mut rings: Vec<Arc<[u32]>> = Vec::new();
    for cycle in topology.sip_cycles() {
        rings.push(cycle.order.clone());
        if cycle.duplex {
            rings.push(cycle.reversed.clone());
        }
    }
    if rings.is_empty() {
        let order: Arc<[u32]> = (0..topology.sip_count()).collect();
        let back = reversed(&order);
        rings = vec![order, back];
        // Where the wiring is unknown, one channel unless asked for more.
        if channels == Channels::Auto {
            rings.truncate(1);
        }
    }
    match channels {
        Channels::Auto => rings,
        Channels::Fixed(k) => (0..k as usize)
            .map(|c| rings[c % rings.len()].clone())
            .collect(),
    }
}

/// Runs `call` with the ring schedule over all ranks and the whole buffer: one ring per
/// channel along [`ring_orders`], each on its share of every segment.
pub(crate) async fn run(call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    let orders = ring_orders(comm.machine().topology(), call.channels);
    let orders = match comm.members() {
        Some(members) => group_orders(&orders, members, comm.machine().topology().sip_count()),
        None => orders,
    };
    match call.collective {
        Collective::AllToAll | Collective::AllToAllv => {
            crate::ring_all_to_all::run(&comm, &orders).await
        }
        _ => run_channels(&comm, &orders, call.collective, call.op).await,
    }
}

/// The machine's rings restricted to a group of launch ranks `members` (of `n`), in group
/// ranks: each ring visits the group's ranks in the order the machine's ring passes them, so
/// a group inside a cube walks its part of the cube's cycle.
pub fn group_orders(orders: &[Arc<[u32]>], members: &[u32], n: u32) -> Vec<Arc<[u32]>> {
    let mut position = vec![None; n as usize];
    for (q, &r) in members.iter().enumerate() {
        if let Some(p) = position.get_mut(r as usize) {
            *p = Some(q as u32);
        }
    }
    orders
        .iter()
        .map(|order| {
            order
                .iter()
                .filter_map(|&r| position.get(r as usize).copied().flatten())
                .collect()
        })
        .collect()
}

/// The whole-buffer ring over `orders`, one channel per order, at once: segment `r` (of `n`,
/// owned by rank `r` whatever its place in a ring) is cut into one piece per channel, and
/// channel `c` runs the ring over `orders[c]` on pieces `c`. Channel `c` uses mailbox
/// channels from `c * 2n` on.
pub async fn run_channels(
    comm: &Comm,
    orders: &[Arc<[u32]>],
    collective: Collective,
    op: ReduceOp,
) -> Result<(), CollectiveError> {
    let n = comm.world_size();
    let parts = orders.len().max(1) as u32;
    let bytes = comm.bytes();
    let piece = move |c: u32| {
        move |rank: u32| {
            let (o, l) = crate::comm::segment(bytes, rank, n);
            let (po, pl) = crate::comm::segment(l, c, parts);
            (o + po, pl)
        }
    };
    let orders: Arc<[Arc<[u32]>]> = orders.into();
    comm.in_parts(parts, "ring channel", |comm, c| {
        let orders = orders.clone();
        async move {
            let order = &orders[c as usize];
            // Position `q` of the ring owns rank `order[q]`'s piece.
            let piece = piece(c);
            let segment = |q: u32| piece(order[q as usize]);
            ring_steps(&comm, order, &segment, collective, op, c * 2 * n).await
        }
    })
    .await
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
    let segment = |p: u32| {
        let (o, l) = crate::comm::segment(range.1, p, n);
        (range.0 + o, l)
    };
    ring_steps(comm, ranks, &segment, collective, op, first_channel).await
}

/// The ring's steps over `ranks` (in ring order), where `segment(q)` is the byte range the rank
/// at position `q` ends owning after a reduce-scatter (and starts from in an all-gather).
async fn ring_steps(
    comm: &Comm,
    ranks: &[u32],
    segment: &dyn Fn(u32) -> (u64, u64),
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
