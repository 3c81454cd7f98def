//! The packet-transfer engine: [`Machine::transfer`] moves bytes from one node to another
//! packet by packet over the links of their route, claiming each link first come, first
//! served, and [`Machine::uncongested_time`] is the closed form it matches when idle.
//!
//! It knows nodes, routes and links, and nothing of buffers, placements, data, PEs or the
//! programs that ask for a transfer: those callers cut their bytes into node-to-node pieces.
//!
//! # Timing of a transfer
//!
//! A transfer of `B` bytes from one node to another follows the topology's route, links
//! `1..=h`. It is cut into `n = max(1, ceil(B / P))` packets of the topology's packet size `P`
//! (the last one holds `r = B - (n - 1) P` bytes; a 0-byte transfer is one empty packet, a
//! notification). Each link serves packets first come, first served: a packet that reaches
//! link `j` at time `a` starts when the link is free, holds it for its serialisation time
//! `s_j(p) = ceil(p * 1e12 / bandwidth_j)` picoseconds, and reaches the next node `L_j`
//! (the link's latency) after it leaves. A transfer keeps at most one packet waiting at each
//! link (a credit of one packet per hop): packet `k + 1` joins link `j`'s queue only once packet
//! `k` has left it, and the source injects packet `k + 1` when packet `k` has left the first
//! link. So flows sharing a link interleave packet by packet and each gets about half of it,
//! whatever rate their upstream links could feed it at; an idle pipeline's timing is the same
//! as with unbounded queues, since packet `k + 1` could not have started on link `j` before
//! packet `k` left it anyway. Memories are nodes whose links carry the memory's bandwidth and latency,
//! so they act as FIFO servers at both ends of a route.
//!
//! With no other traffic this is a pipeline of deterministic servers, and the transfer ends at
//!
//! ```text
//! n = 1:  T = sum_j (s_j(r) + L_j)
//! n >= 2: T = sum_j L_j + max over c in 1..=h of
//!             [ sum_{j<=c} s_j(P) + (n - 2) * max_{j<=c} s_j(P) + sum_{j>=c} s_j(r) ]
//! ```
//!
//! (the longest path through the grid of packets x links: the first `n - 1` packets are alike,
//! so the path spends all its "next packet" steps at the slowest link before column `c`, where
//! it drops to the last packet). [`Machine::uncongested_time`] computes it, and a test holds
//! the simulation to it to the picosecond.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use kernbench_engine::{Event, SimTime};
use petgraph::graph::EdgeIndex;

use crate::coords::Node;
use crate::error::ModelError;
use crate::machine::{LostPacket, Machine, RouteHop};
use crate::trace::TraceTrack;
use crate::units::Bytes;

/// A transfer's working vectors: hop state, pending packet events, and the times of events
/// that needed no link (see the packet loop).
pub(crate) type TransferScratch = (Vec<Hop>, Pending, Vec<SimTime>);

/// A transfer's pending packet events, earliest first, in `(time, packet, hop)` order:
/// each packed in one `u128` (time in the high 64 bits, then the packet, then the hop), so
/// that the heap, touched on every packet event, compares one integer instead of a tuple.
#[derive(Debug, Default)]
pub(crate) struct Pending(BinaryHeap<Reverse<u128>>);

/// Bits of a pending event's key given to the hop; the packet takes the other 42.
const HOP_BITS: u32 = 22;
/// The most packets a transfer may have (4.4 trillion: days of events at any packet size),
/// and the most hops its route may have, for its events to pack ([`Pending`]).
const MAX_TRANSFER_PACKETS: u64 = 1 << (64 - HOP_BITS);
const MAX_ROUTE_HOPS: usize = 1 << HOP_BITS;

impl Pending {
    fn push(&mut self, at: SimTime, packet: u64, hop: usize) {
        let key = (u128::from(at.as_ps()) << 64) | u128::from(packet << HOP_BITS | hop as u64);
        self.0.push(Reverse(key));
    }

    fn pop(&mut self) -> Option<(SimTime, u64, usize)> {
        let Reverse(key) = self.0.pop()?;
        let low = key as u64;
        let hop = (low & ((1 << HOP_BITS) - 1)) as usize;
        Some((SimTime::from_ps((key >> 64) as u64), low >> HOP_BITS, hop))
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

impl Machine {
    /// The closed-form time of one `bytes` transfer from `from` to `to` on an otherwise idle
    /// machine (see the module docs); the simulation matches it to the picosecond.
    pub fn uncongested_time(
        &self,
        from: Node,
        to: Node,
        bytes: Bytes,
    ) -> Result<SimTime, ModelError> {
        let links = self.route(from, to)?;
        let (n, full, last) = packets(bytes, self.topology().packet_size());
        let latency = links.iter().fold(SimTime::ZERO, |t, l| t + l.latency);
        if links.is_empty() {
            return Ok(SimTime::ZERO);
        }
        let s_full: Vec<SimTime> = links.iter().map(|l| l.bandwidth.time_for(full)).collect();
        let s_last: Vec<SimTime> = links.iter().map(|l| l.bandwidth.time_for(last)).collect();
        if n == 1 {
            return Ok(latency + s_last.iter().fold(SimTime::ZERO, |t, &s| t + s));
        }
        let mut best = SimTime::ZERO;
        for c in 0..links.len() {
            let head = s_full[..=c].iter().fold(SimTime::ZERO, |t, &s| t + s);
            let slowest = s_full[..=c].iter().copied().max().unwrap_or(SimTime::ZERO);
            let tail = s_last[c..].iter().fold(SimTime::ZERO, |t, &s| t + s);
            let repeat = SimTime::from_ps(slowest.as_ps().saturating_mul(n - 2));
            best = best.max(head + repeat + tail);
        }
        Ok(latency + best)
    }

    /// Moves `bytes` from node `from` to node `to` with the timing in the module docs; returns
    /// when the last packet has arrived. A transfer from a node to itself takes no time.
    pub async fn transfer(&self, from: Node, to: Node, bytes: Bytes) -> Result<(), ModelError> {
        if self.inner.options.network == crate::NetworkModel::Flow
            && packets(bytes, self.inner.topology.packet_size()).0 > crate::flow::SHORT_TRANSFER
        {
            return Box::pin(self.flow_transfer(from, to, bytes)).await;
        }
        let route = self.route(from, to)?;
        *self.inner.transfers.borrow_mut() += 1;
        if route.is_empty() {
            return Ok(());
        }
        let sim = &self.inner.sim;
        let (n, full, last) = packets(bytes, self.inner.topology.packet_size());
        if n == 1 && !self.inner.options.trace {
            return self.transfer_one_packet(&route, from, to, full, last).await;
        }
        if n >= MAX_TRANSFER_PACKETS || route.len() >= MAX_ROUTE_HOPS {
            let (field, value, limit) = if n >= MAX_TRANSFER_PACKETS {
                ("packets", n, MAX_TRANSFER_PACKETS - 1)
            } else {
                ("hops", route.len() as u64, MAX_ROUTE_HOPS as u64 - 1)
            };
            return Err(ModelError::TooLarge {
                origin: format!("a transfer of {bytes} from {from} to {to}"),
                field: field.to_owned(),
                value: value.to_string(),
                limit: limit.to_string(),
            });
        }
        // Everything the packet loop needs about each hop, in one array: many transfers are
        // in flight at once and this is touched on every event, so it is kept compact.
        let (mut hops, mut pending, mut stops) =
            self.inner.scratch.borrow_mut().pop().unwrap_or_default();
        hops.extend(route.iter().map(|r| Hop {
            edge: r.edge,
            s_full: r.s_full,
            s_last: if last == full {
                r.s_full
            } else {
                r.bandwidth.time_for(last)
            },
            latency: r.latency,
            left: SimTime::ZERO,
            next_up: NONE,
            waiting_from: 0,
            waiting: 0,
            first_start: SimTime::MAX,
        }));
        // This transfer's own pending packet arrivals: (time, packet, hop), earliest first.
        // Processing them in global time order (sleeping to each) makes every link serve
        // packets in the order they reach it, whoever sent them.
        //
        // A packet that reaches a hop while the one ahead of it still holds the hop's credit
        // only queues: an event that touches no link, so nothing outside this transfer can
        // change what it does. It is done at once, and its time kept as a stop of the next
        // sleep (`timeout_via`): the run keeps the same events in the same order as if the
        // process woke there, without polling it (a third of the events of a congested run).
        pending.push(sim.now(), 0, 0);
        let mut done = sim.now();
        let last_hop = hops.len() - 1;
        while let Some((at, packet, index)) = pending.pop() {
            let hop = &mut hops[index];
            let turn = hop.next_up == packet;
            if !turn && (hop.next_up != NONE || hop.waiting > 0 || hop.left > at) {
                if at > stops.last().copied().unwrap_or(sim.now()) {
                    stops.push(at);
                }
                if hop.next_up != NONE || hop.waiting > 0 {
                    // Packets reach a hop in order, so the waiting ones are a run of numbers.
                    if hop.waiting == 0 {
                        hop.waiting_from = packet;
                    }
                    hop.waiting += 1;
                } else {
                    hop.next_up = packet;
                    pending.push(hop.left, packet, index);
                }
                continue;
            }
            if at > sim.now() {
                if stops.is_empty() {
                    sim.timeout(at - sim.now()).await;
                } else {
                    sim.timeout_via(&stops, at).await;
                    stops.clear();
                }
            }
            let hop = &mut hops[index];
            if turn {
                hop.next_up = NONE;
            }
            let is_last = packet + 1 == n;
            let (serialise, size) = if is_last {
                (hop.s_last, last)
            } else {
                (hop.s_full, full)
            };
            let Some(start) = self.claim(hop.edge, at, serialise, size, (from, to)) else {
                let edge = EdgeIndex::new(hop.edge as usize);
                return Box::pin(self.lose_packet(edge, from, to)).await;
            };
            hop.first_start = hop.first_start.min(start);
            let depart = start + serialise;
            hop.left = depart;
            if hop.waiting > 0 {
                let next = hop.waiting_from;
                hop.waiting_from += 1;
                hop.waiting -= 1;
                hop.next_up = next;
                pending.push(depart, next, index);
            }
            let arrive = depart + hop.latency;
            if index == 0 && !is_last {
                pending.push(depart, packet + 1, 0);
            }
            if index < last_hop {
                pending.push(arrive, packet, index + 1);
            } else {
                done = done.max(arrive);
            }
        }
        if self.inner.options.trace {
            let name: Cow<'static, str> = format!("{bytes} {from} -> {to}").into();
            for hop in &hops {
                self.trace_span(
                    TraceTrack::Link(hop.edge),
                    name.clone(),
                    hop.first_start,
                    hop.left,
                    bytes.0,
                );
            }
        }
        // The vectors go back for the next transfer: no allocation per transfer once warm.
        hops.clear();
        pending.clear();
        // A transfer's last event is a packet leaving its last hop, never a queueing one, so
        // no stops are left; were there any, the final sleep would still pass them.
        if stops.is_empty() {
            self.inner.scratch.borrow_mut().push((hops, pending, stops));
            if done > sim.now() {
                sim.timeout(done - sim.now()).await;
            }
        } else {
            if done > sim.now() {
                sim.timeout_via(&stops, done).await;
            }
            stops.clear();
            self.inner.scratch.borrow_mut().push((hops, pending, stops));
        }
        Ok(())
    }

    /// [`transfer`](Machine::transfer) of a single packet of `size` bytes (`full` is the
    /// topology's packet size), untraced: the
    /// packet loop without its bookkeeping, since no packet of the same transfer can be ahead
    /// or behind. It sleeps to the same times and claims each link at the same moment, so
    /// the timing and the event count are the loop's (a test compares the two paths).
    async fn transfer_one_packet(
        &self,
        route: &[RouteHop],
        from: Node,
        to: Node,
        full: Bytes,
        size: Bytes,
    ) -> Result<(), ModelError> {
        let sim = &self.inner.sim;
        let mut at = sim.now();
        for hop in route {
            if at > sim.now() {
                sim.timeout(at - sim.now()).await;
            }
            let serialise = if size == full {
                hop.s_full
            } else {
                hop.bandwidth.time_for(size)
            };
            let Some(start) = self.claim(hop.edge, at, serialise, size, (from, to)) else {
                let edge = EdgeIndex::new(hop.edge as usize);
                return Box::pin(self.lose_packet(edge, from, to)).await;
            };
            at = start + serialise + hop.latency;
        }
        if at > sim.now() {
            sim.timeout(at - sim.now()).await;
        }
        Ok(())
    }

    /// A packet of `size` bytes of the transfer `flow` (from, to) reaching link `edge` at `at`
    /// takes it first come, first served, for `serialise`: returns when it starts, or `None`
    /// if the link is cut. When tracing, the link's busy log records it.
    fn claim(
        &self,
        edge: u32,
        at: SimTime,
        serialise: SimTime,
        size: Bytes,
        flow: (Node, Node),
    ) -> Option<SimTime> {
        let mut links = self.inner.links.borrow_mut();
        let link = &mut links[edge as usize];
        if link.cut {
            return None;
        }
        let start = link.free_at.max(at);
        link.free_at = start + serialise;
        link.stats.bytes += size.0;
        link.stats.packets += 1;
        link.stats.busy += serialise;
        if self.inner.options.trace {
            self.inner
                .busy
                .borrow_mut()
                .packet(edge, start, serialise, size.0, flow);
        }
        Some(start)
    }

    /// Waits forever on an event named after the cut link: the transfer's packet is lost (in
    /// the flow model too, with the same record and wait).
    pub(crate) async fn lose_packet(
        &self,
        edge: EdgeIndex,
        from: Node,
        to: Node,
    ) -> Result<(), ModelError> {
        let topo = self.topology();
        let link = match topo.link_ends(edge) {
            Some((a, b)) => {
                self.inner.lost.borrow_mut().push(LostPacket {
                    link: (topo.node(a), topo.node(b)),
                    transfer: (from, to),
                    at: self.sim().now(),
                });
                format!("{} -> {}", topo.node(a), topo.node(b))
            }
            None => format!("link {}", edge.index()),
        };
        let lost: Event<()> = Event::new(
            self.sim(),
            format!("a packet of {from} -> {to} lost on cut link {link}"),
        );
        lost.wait().await;
        Ok(())
    }
}
/// "No packet" in [`Hop::next_up`].
const NONE: u64 = u64::MAX;

/// A transfer's state at one hop of its route.
#[derive(Debug)]
pub(crate) struct Hop {
    /// The link, by edge index.
    edge: u32,
    /// Serialisation of a full packet, and of the last packet.
    s_full: SimTime,
    s_last: SimTime,
    latency: SimTime,
    /// When the transfer's previous packet leaves this hop.
    left: SimTime,
    /// The packet scheduled for its turn here (at its predecessor's departure), or `NONE`.
    next_up: u64,
    /// Packets that reached this hop while their predecessor still held its one credit: a
    /// run `waiting_from..waiting_from + waiting`. Each is released (scheduled) exactly once,
    /// when its predecessor is given the link, so a deep queue costs O(1) per packet.
    waiting_from: u64,
    waiting: u64,
    /// When the first packet started on this link (for the timeline).
    first_start: SimTime,
}

/// `(packet count, full packet size, last packet size)` for `bytes` in packets of `packet`.
fn packets(bytes: Bytes, packet: Bytes) -> (u64, Bytes, Bytes) {
    let p = packet.0.max(1);
    let n = bytes.0.div_ceil(p).max(1);
    let last = bytes.0 - (n - 1) * p;
    (n, Bytes(p), Bytes(last))
}
