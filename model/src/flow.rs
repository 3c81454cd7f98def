//! The flow-level network model ([`NetworkModel::Flow`]): a transfer is one flow on its route
//! that shares every link max-min fairly with the other flows in flight, instead of a train
//! of packets each timed hop by hop. It trades the packet model's exactness under contention
//! for speed: a few events per transfer, not one per packet per hop.
//!
//! # Timing of a flow
//!
//! A transfer of `B` bytes whose closed form on an idle machine is `T`
//! ([`Machine::uncongested_time`]) and whose slowest link takes `D = ceil(B * 1e12 / b_min)`
//! ps for the bytes is charged in three parts:
//!
//! 1. **lead**: it sleeps `L`, the time its first packet takes to reach its slowest link
//!    (the first of them) on an idle machine: the serialisation and latency of every hop
//!    before it, at most `T - D`;
//! 2. **drain**: then the flow carries its `B` bytes at its max-min fair rate, recomputed
//!    whenever a flow starts or ends; alone it runs at `b_min` and takes exactly `D`;
//! 3. **rest**: then it sleeps `T - D - L`, the rest of the route's latency and of the
//!    store-and-forward pipeline of its packets, in closed form (`T >= D` always: the packets
//!    cross the slowest link one after the other).
//!
//! So a flow alone on an idle machine ends at exactly `T`, to the picosecond, like a packet
//! transfer. The lead keeps what the packet model does where flows meet: the one with fewer
//! or faster hops before a shared link gets there first and has it alone until the other
//! arrives (two 4 MiB flows onto one 50 GB/s rail, one after a 500 ns hop: within 0.02% of
//! the packet model, where starting both at once erred by +0.34%).
//!
//! A transfer of at most [`SHORT_TRANSFER`] packets is not a flow: it is timed
//! packet by packet as in the packet model, exact, and cheaper than settling a flow's rate
//! (short transfers and flows do not see each other's use of a link). Rates are max-min
//! fair (progressive filling): every link's capacity is divided equally among its flows, a
//! flow limited elsewhere leaves its unused share to the others.
//!
//! # Events
//!
//! All rate changes at one instant are batched: a start or an end marks its links dirty and
//! schedules one `settle` at the current time (after everything already due now), which
//! recomputes the rates of the flows connected to the dirty links only (the connected
//! component of flows sharing links with them, a breadth-first walk) and moves their finish
//! times. A flow whose rate did not change keeps its finish time, so an unshared flow stays
//! exact. One timer process sleeps to the earliest finish; a new, earlier finish gets a new
//! timer, and a timer that wakes to nothing due just lets the next one stand. A flow's process
//! waits on its own event, triggered when its last byte drains.
//!
//! # Bundles
//!
//! A [`Bundle`] is a whole collective on a group as one flow, for workloads in the flow
//! model: the traffic it put on each link when it ran alone ([`Bundle::between`] two
//! readings of the link counters) and how long it lasted alone, its drain. It shares links
//! like a flow, with a weight per link: it uses link `l` at `busy(l) / drain` of its
//! bandwidth when alone, and a private link of its own holds it to its speed alone. So a
//! bundle alone ends exactly at its drain, and one that meets other flows on a link they
//! saturate is slowed there as a flow would be.
//!
//! # Counters, trace and faults
//!
//! Link counters are what the packet model would count: the bytes, the packets the transfer
//! would be cut into, and busy = the sum of those packets' serialisation times. When tracing,
//! each transfer gets one span per link (its drain), and each link's busy log one interval
//! per transfer, placed first come, first served after the link's previous one (the packet
//! model's intervals, merged per transfer; not where the flow's bytes really interleave). A
//! transfer whose route crosses a cut link is lost when its head would reach that link, as in
//! the packet model: it waits forever on an event named after the link.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;
use std::rc::Rc;
use std::str::FromStr;

use kernbench_engine::{Event, SimTime};
use petgraph::graph::EdgeIndex;
use serde::Deserialize;

use crate::coords::Node;
use crate::error::ModelError;
use crate::machine::{LinkStats, Machine, RouteHop};
use crate::trace::TraceTrack;
use crate::units::{Bandwidth, Bytes};

/// The most packets a transfer may have for the flow model to time it packet by packet, as
/// the packet model does: for so few, settling a flow's rate costs more than simulating its
/// packets, and the packets are exact. Such transfers and the flows do not see each other's
/// use of a link (a short transfer would wait behind at most one packet per flow per hop).
pub(crate) const SHORT_TRANSFER: u64 = 32;

/// How [`Machine::transfer`] times bytes on the network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub enum NetworkModel {
    /// Packet by packet over FIFO links (the `transfer` module): exact, one event per packet
    /// per hop.
    #[default]
    Packet,
    /// One max-min fair flow per transfer with latency and pipelining in closed form (the
    /// `flow` module): an approximation under contention, exact alone, a few events per
    /// transfer.
    Flow,
}

impl NetworkModel {
    /// Every model, in the order they are listed in help and errors.
    pub const ALL: [NetworkModel; 2] = [NetworkModel::Packet, NetworkModel::Flow];

    /// The name used in flags and result files: `packet` or `flow`.
    pub const fn name(self) -> &'static str {
        match self {
            NetworkModel::Packet => "packet",
            NetworkModel::Flow => "flow",
        }
    }
}

impl fmt::Display for NetworkModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NetworkModel {
    type Err = String;

    /// `packet` or `flow` (ASCII case ignored); the error says which names exist.
    fn from_str(text: &str) -> Result<NetworkModel, String> {
        NetworkModel::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                format!("\"{text}\" is not a network model; write packet (exact) or flow (fast)")
            })
    }
}

/// What a piece of traffic (a collective on a group, measured alone) put on the links, to be
/// replayed as one flow by [`Machine::start_bundle`]: the flow model's unit for a collective
/// in a workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// Per link (edge index) that carried any of it, what it added to the link's counters.
    links: Vec<(u32, LinkStats)>,
    /// How long its traffic lasts alone.
    drain: SimTime,
    /// The nodes its link busy intervals are labelled with, when tracing.
    ends: (Node, Node),
}

impl Bundle {
    /// The traffic between two readings of [`Machine::link_stats`] (`before`, `after`, in
    /// edge order), lasting `drain` alone, labelled `ends` in traces.
    pub fn between(
        before: &[(EdgeIndex, LinkStats)],
        after: &[(EdgeIndex, LinkStats)],
        drain: SimTime,
        ends: (Node, Node),
    ) -> Bundle {
        let links = after
            .iter()
            .zip(
                before
                    .iter()
                    .map(|b| b.1)
                    .chain(std::iter::repeat(LinkStats::default())),
            )
            .filter_map(|(&(edge, a), b)| {
                let added = LinkStats {
                    bytes: a.bytes.saturating_sub(b.bytes),
                    packets: a.packets.saturating_sub(b.packets),
                    busy: a.busy.saturating_sub(b.busy),
                };
                (added != LinkStats::default()).then_some((edge.index() as u32, added))
            })
            .collect();
        Bundle { links, drain, ends }
    }

    /// How long its traffic lasts alone.
    pub fn drain(&self) -> SimTime {
        self.drain
    }
}

/// The flows in flight on a machine and the state of their rate allocation.
#[derive(Debug, Default)]
pub(crate) struct FlowNet {
    /// Flows by slot; free slots are reused (`free`).
    flows: Vec<Flow>,
    free: Vec<u32>,
    /// The flows on each link, by edge index: (flow slot, index of the link in its route).
    on_link: Vec<Vec<(u32, u32)>>,
    /// Links whose set of flows changed since the last settle.
    dirty: Vec<u32>,
    /// When the settle that will handle `dirty` runs, if one is scheduled.
    settle_at: Option<SimTime>,
    /// Finish times: (finish, slot, epoch), earliest first; an entry whose epoch is not the
    /// flow's any more is stale and skipped.
    deadlines: BinaryHeap<Reverse<(SimTime, u32, u32)>>,
    /// Timers sleeping, by the time they wake, with how many wake then.
    armed: BTreeMap<SimTime, u32>,
    /// Scratch of a settle, by edge index (capacity left, flows not yet fixed) and a stamp
    /// per link and per flow marking what the current walk has seen.
    cap: Vec<f64>,
    unfixed: Vec<u32>,
    /// The summed weights of a link's flows not yet fixed (their count, unless a bundle is
    /// among them).
    weight: Vec<f64>,
    /// Bandwidth of each link in bytes per second (filled as flows first cross it).
    bw: Vec<f64>,
    /// What the flows on each link use of it at their current rates, in bytes per second:
    /// kept up to date as rates change, so a link's saturation is read, not summed.
    load: Vec<f64>,
    link_seen: Vec<u32>,
    /// The stamp of the walk that went through the link's flows (not just reached it).
    expanded: Vec<u32>,
    stamp: u32,
    component_links: Vec<u32>,
    component_flows: Vec<u32>,
    heap: BinaryHeap<Reverse<(Share, u32)>>,
    /// The links of the machine; indices from here on are bundles' private links.
    real_links: usize,
    /// Private links of bundles gone, to reuse.
    free_private: Vec<u32>,
}

/// One flow in flight.
#[derive(Debug, Default)]
struct Flow {
    route: Option<Rc<[RouteHop]>>,
    /// Where this flow sits in `on_link` of each link of its route.
    pos: Vec<u32>,
    /// What one byte per second of this flow uses of each link of its route, in bytes per
    /// second; empty for a transfer (1 on every link). A bundle's weights are below 1.
    weights: Vec<f64>,
    bytes: u64,
    /// Bytes per second now; 0 until the first settle gives it one.
    rate: f64,
    /// The rate it has alone (its slowest link) and the drain time at that rate.
    solo_rate: f64,
    solo_drain: SimTime,
    /// When its last byte drains at the current rate.
    finish: SimTime,
    /// Bumped on every change of `finish` (and on reuse of the slot), to spot stale deadlines.
    epoch: u32,
    /// The stamp of the last walk that reached it; `fixed` marks it fixed in that walk.
    seen: u32,
    fixed: bool,
    done: Option<Event<()>>,
}

/// What a flow of `weights` (empty: a transfer) uses of the `i`-th link of its route per
/// byte per second of its rate.
fn weight_on(weights: &[f64], i: usize) -> f64 {
    weights.get(i).copied().unwrap_or(1.0)
}

/// A water level in bytes per second, ordered totally (never NaN: capacities are finite and
/// divided by counts of at least one).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Share(f64);

impl Eq for Share {}

impl PartialOrd for Share {
    fn partial_cmp(&self, other: &Share) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Share {
    fn cmp(&self, other: &Share) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The closed form of one transfer on an idle machine (see the `transfer` module) in O(hops):
/// `(total time, time of the bytes at the slowest link)`.
pub(crate) fn closed_form(route: &[RouteHop], bytes: Bytes, packet: Bytes) -> (SimTime, SimTime) {
    let p = packet.0.max(1);
    let n = bytes.0.div_ceil(p).max(1);
    let last = Bytes(bytes.0 - (n - 1) * p);
    let latency = route.iter().fold(SimTime::ZERO, |t, h| t + h.latency);
    let slowest = route
        .iter()
        .map(|h| h.bandwidth)
        .min_by_key(|b| b.bytes_per_second());
    let drain = slowest.map_or(SimTime::ZERO, |b| b.time_for(bytes));
    let s_last = |h: &RouteHop| {
        if last.0 == p {
            h.s_full
        } else {
            h.bandwidth.time_for(last)
        }
    };
    let tail_total = route.iter().fold(SimTime::ZERO, |t, h| t + s_last(h));
    if n == 1 {
        return (latency + tail_total, drain);
    }
    // max over c of head(c) + (n - 2) * slowest(..=c) + tail(c..), in one forward pass.
    let (mut head, mut slowest_full, mut tail, mut best) =
        (SimTime::ZERO, SimTime::ZERO, tail_total, SimTime::ZERO);
    for h in route {
        head += h.s_full;
        slowest_full = slowest_full.max(h.s_full);
        let repeat = SimTime::from_ps(slowest_full.as_ps().saturating_mul(n - 2));
        best = best.max(head + repeat + tail);
        tail = tail.saturating_sub(s_last(h));
    }
    (latency + best, drain)
}

/// When the first packet of `bytes` reaches the route's slowest link (the first of the
/// slowest: `min_by_key` keeps the first) on an idle machine.
fn lead_time(route: &[RouteHop], bytes: Bytes, packet: Bytes) -> SimTime {
    let slowest = route
        .iter()
        .enumerate()
        .min_by_key(|(_, h)| h.bandwidth.bytes_per_second())
        .map_or(0, |(i, _)| i);
    head_time(&route[..slowest], bytes, packet)
}

/// The time the first packet of `bytes` takes over `hops` on an idle machine: each hop's
/// serialisation of it and latency.
fn head_time(hops: &[RouteHop], bytes: Bytes, packet: Bytes) -> SimTime {
    let (_, full, _) = packets(bytes, packet);
    let first = Bytes(full.0.min(bytes.0));
    hops.iter().fold(SimTime::ZERO, |t, h| {
        t + h.bandwidth.time_for(first) + h.latency
    })
}

/// The fair share of a link's `capacity` left among flows of summed `weight`: the capacity
/// over the weight, or no bound at all when rounding has left the weight of flows that
/// barely use the link at zero (a transfer's weight is 1, so this only guards bundles).
fn fair_share(capacity: f64, weight: f64) -> f64 {
    if weight > 0.0 {
        capacity / weight
    } else {
        f64::INFINITY
    }
}

/// `(packets, full packet, last packet)` of `bytes`, as the packet model cuts them.
fn packets(bytes: Bytes, packet: Bytes) -> (u64, Bytes, Bytes) {
    let p = packet.0.max(1);
    let n = bytes.0.div_ceil(p).max(1);
    (n, Bytes(p), Bytes(bytes.0 - (n - 1) * p))
}

/// `ps` picoseconds, rounded to the nearest, as a time (saturating; negative is zero).
fn ps(value: f64) -> SimTime {
    SimTime::from_ps(value.round().max(0.0) as u64)
}

impl Machine {
    /// [`transfer`](Machine::transfer) in the flow model (see the `flow` module docs).
    pub(crate) async fn flow_transfer(
        &self,
        from: Node,
        to: Node,
        bytes: Bytes,
    ) -> Result<(), ModelError> {
        let route = self.route(from, to)?;
        *self.inner.transfers.borrow_mut() += 1;
        if route.is_empty() {
            return Ok(());
        }
        let sim = self.sim();
        let packet = self.inner.topology.packet_size();
        if let Some(cut) = self.first_cut(&route) {
            // Lost where its head would reach the cut link on an idle machine.
            let head = head_time(&route[..cut], bytes, packet);
            if head > SimTime::ZERO {
                sim.timeout(head).await;
            }
            return Box::pin(self.lose_packet(EdgeIndex::new(route[cut].edge as usize), from, to))
                .await;
        }
        let (total, drain) = closed_form(&route, bytes, packet);
        self.count_flow(&route, from, to, bytes, packet);
        if drain == SimTime::ZERO {
            // Nothing to share (an empty notification): latency only.
            if total > SimTime::ZERO {
                sim.timeout(total).await;
            }
            return Ok(());
        }
        // The flow's bytes start sharing links when its first packet reaches its slowest
        // link, as in the packet model, where a flow with fewer or faster hops before a
        // shared link gets there first; the rest of the fixed time comes after the drain.
        let fixed = total.saturating_sub(drain);
        let lead = lead_time(&route, bytes, packet).min(fixed);
        if lead > SimTime::ZERO {
            sim.timeout(lead).await;
        }
        let start = sim.now();
        let done = self.join_flow(route.clone(), bytes, drain);
        done.wait().await;
        if self.inner.options.trace {
            let name = format!("{bytes} {from} -> {to}");
            for hop in route.iter() {
                self.trace_span(
                    TraceTrack::Link(hop.edge),
                    name.clone(),
                    start,
                    sim.now(),
                    bytes.0,
                );
            }
        }
        let rest = fixed.saturating_sub(lead);
        if rest > SimTime::ZERO {
            sim.timeout(rest).await;
        }
        Ok(())
    }

    /// The index in `route` of its first cut link, if any.
    fn first_cut(&self, route: &[RouteHop]) -> Option<usize> {
        if !self.inner.any_cut.get() {
            return None;
        }
        let links = self.inner.links.borrow();
        route
            .iter()
            .position(|h| links.get(h.edge as usize).is_some_and(|l| l.cut))
    }

    /// Adds to every link of `route` what the packet model would count for the transfer, and,
    /// when tracing, one busy interval per link placed first come, first served.
    fn count_flow(&self, route: &[RouteHop], from: Node, to: Node, bytes: Bytes, packet: Bytes) {
        let (n, full, last) = packets(bytes, packet);
        let now = self.sim().now();
        let mut links = self.inner.links.borrow_mut();
        for hop in route {
            let s_full = if full == packet {
                hop.s_full
            } else {
                hop.bandwidth.time_for(full)
            };
            let busy = SimTime::from_ps(s_full.as_ps().saturating_mul(n - 1))
                + hop.bandwidth.time_for(last);
            let Some(link) = links.get_mut(hop.edge as usize) else {
                continue;
            };
            link.stats.bytes += bytes.0;
            link.stats.packets += n;
            link.stats.busy += busy;
            if self.inner.options.trace {
                let start = link.free_at.max(now);
                link.free_at = start + busy;
                self.inner
                    .busy
                    .borrow_mut()
                    .train(hop.edge, start, busy, bytes.0, n, (from, to));
            }
        }
    }

    /// Puts a flow of `bytes` on `route` (alone it drains in `solo_drain`); returns the event
    /// its last byte triggers.
    fn join_flow(&self, route: Rc<[RouteHop]>, bytes: Bytes, solo_drain: SimTime) -> Event<()> {
        let done: Event<()> = Event::new(self.sim(), "the last byte of a flow");
        let edges = self.inner.links.borrow().len();
        let mut net = self.inner.flows.borrow_mut();
        let net = &mut *net;
        net.grow(edges);
        let solo_rate = route
            .iter()
            .map(|h| h.bandwidth.bytes_per_second())
            .min()
            .unwrap_or(1) as f64;
        for hop in route.iter() {
            net.bw[hop.edge as usize] = hop.bandwidth.bytes_per_second() as f64;
        }
        let solo = (bytes.0, solo_rate, solo_drain);
        net.insert(route, Vec::new(), solo, done.clone());
        self.schedule_settle(net);
        done
    }

    /// Starts `bundle` on the links: adds its counters to theirs (and, when tracing, one busy
    /// interval per link, first come, first served) and puts it on them as one flow. Returns
    /// the event its drain triggers: alone, exactly [`Bundle::drain`] from now; slower where
    /// it shares a link the others saturate.
    ///
    /// Its rate is counted in bytes per second of the link it uses most; alone it uses each
    /// link `l` at `busy(l) / drain` of the link's bandwidth (its measured use, capped just
    /// below the whole link), and it never runs faster than alone (a private link of that
    /// capacity).
    pub fn start_bundle(&self, bundle: &Bundle) -> Event<()> {
        let sim = self.sim();
        let done: Event<()> = Event::new(sim, "the last byte of a collective's flows");
        let now = sim.now();
        let topology = &self.inner.topology;
        let mut uses = Vec::with_capacity(bundle.links.len());
        {
            let mut links = self.inner.links.borrow_mut();
            for &(edge, stats) in &bundle.links {
                let Some(link) = links.get_mut(edge as usize) else {
                    continue;
                };
                link.stats.bytes += stats.bytes;
                link.stats.packets += stats.packets;
                link.stats.busy += stats.busy;
                if self.inner.options.trace {
                    let start = link.free_at.max(now);
                    link.free_at = start + stats.busy;
                    self.inner.busy.borrow_mut().train(
                        edge,
                        start,
                        stats.busy,
                        stats.bytes,
                        stats.packets,
                        bundle.ends,
                    );
                }
                let Some(spec) = topology.try_link(EdgeIndex::new(edge as usize)) else {
                    continue;
                };
                if bundle.drain > SimTime::ZERO && stats.busy > SimTime::ZERO {
                    let bw = spec.bandwidth.bytes_per_second() as f64;
                    let share = stats.busy.as_ps() as f64 / bundle.drain.as_ps() as f64;
                    uses.push((edge, spec.bandwidth, bw * share.min(1.0 - 1e-9)));
                }
            }
        }
        let Some(solo_rate) = uses.iter().map(|u| u.2).max_by(f64::total_cmp) else {
            // Nothing on any link: it takes its drain, shared with nobody.
            let timer = done.clone();
            let drain = bundle.drain;
            let clock = sim.clone();
            sim.spawn_daemon("a collective's flows", async move {
                clock.timeout(drain).await;
                // ok to ignore: this timer is the event's only triggerer.
                let _ = timer.trigger(());
            });
            return done;
        };
        let edges = self.inner.links.borrow().len();
        let mut net = self.inner.flows.borrow_mut();
        let net = &mut *net;
        net.grow(edges);
        let private = net.private_link(solo_rate);
        let hop = |edge: u32, bandwidth: Bandwidth| RouteHop {
            edge,
            s_full: SimTime::ZERO,
            latency: SimTime::ZERO,
            bandwidth,
        };
        let mut route: Vec<RouteHop> = Vec::with_capacity(uses.len() + 1);
        let mut weights = Vec::with_capacity(uses.len() + 1);
        for &(edge, bandwidth, used) in &uses {
            net.bw[edge as usize] = bandwidth.bytes_per_second() as f64;
            route.push(hop(edge, bandwidth));
            weights.push(used / solo_rate);
        }
        route.push(hop(
            private,
            Bandwidth::from_bytes_per_second(solo_rate as u64),
        ));
        weights.push(1.0);
        let bytes = (solo_rate * bundle.drain.as_ps() as f64 / 1e12)
            .round()
            .max(1.0) as u64;
        let solo = (bytes, solo_rate, bundle.drain);
        net.insert(route.into(), weights, solo, done.clone());
        self.schedule_settle(net);
        done
    }

    /// Makes sure a settle runs at the current time, after everything already due now.
    fn schedule_settle(&self, net: &mut FlowNet) {
        let now = self.sim().now();
        if net.settle_at == Some(now) {
            return;
        }
        net.settle_at = Some(now);
        let machine = self.clone();
        self.sim().spawn_daemon("flow rates", async move {
            machine.sim().timeout(SimTime::ZERO).await;
            machine.settle();
        });
    }

    /// Recomputes the rates of the flows connected to the dirty links and arms a timer for
    /// the earliest finish.
    fn settle(&self) {
        let now = self.sim().now();
        let mut net = self.inner.flows.borrow_mut();
        let net = &mut *net;
        if net.settle_at == Some(now) {
            net.settle_at = None;
        }
        net.recompute(now);
        self.arm(net);
    }

    /// Starts a timer for the earliest finish unless one already wakes no later.
    fn arm(&self, net: &mut FlowNet) {
        let Some(next) = net.next_finish() else {
            return;
        };
        if net.armed.first_key_value().is_some_and(|(&t, _)| t <= next) {
            return;
        }
        *net.armed.entry(next).or_insert(0) += 1;
        let machine = self.clone();
        let delay = next.saturating_sub(self.sim().now());
        self.sim().spawn_daemon("flow timer", async move {
            machine.sim().timeout(delay).await;
            machine.finish_due(next);
        });
    }

    /// A timer armed for `at` woke: ends every flow due by now, then lets the next timer
    /// stand or arms one.
    fn finish_due(&self, at: SimTime) {
        let now = self.sim().now();
        let mut net = self.inner.flows.borrow_mut();
        let net = &mut *net;
        if let Some(count) = net.armed.get_mut(&at) {
            *count -= 1;
            if *count == 0 {
                net.armed.remove(&at);
            }
        }
        let mut ended = false;
        while let Some(&Reverse((finish, slot, epoch))) = net.deadlines.peek() {
            if finish > now {
                break;
            }
            net.deadlines.pop();
            if net.is_current(slot, epoch) {
                if let Some(done) = net.remove(slot) {
                    // ok to ignore: a flow's event is triggered once, here, at its removal.
                    let _ = done.trigger(());
                }
                ended = true;
            }
        }
        if ended {
            self.schedule_settle(net);
        } else if net.settle_at.is_none() {
            self.arm(net);
        }
    }
}

impl FlowNet {
    /// Makes room for a machine of `edges` links (once: bundles' private links come after).
    fn grow(&mut self, edges: usize) {
        if self.on_link.len() < edges {
            self.real_links = edges;
            self.resize(edges);
        }
    }

    fn resize(&mut self, len: usize) {
        self.on_link.resize_with(len, Vec::new);
        self.cap.resize(len, 0.0);
        self.unfixed.resize(len, 0);
        self.weight.resize(len, 0.0);
        self.bw.resize(len, 0.0);
        self.load.resize(len, 0.0);
        self.link_seen.resize(len, 0);
        self.expanded.resize(len, 0);
    }

    /// A link of its own for a bundle, of `capacity` bytes per second: what holds it to its
    /// speed alone.
    fn private_link(&mut self, capacity: f64) -> u32 {
        let edge = match self.free_private.pop() {
            Some(edge) => edge,
            None => {
                let edge = self.on_link.len();
                self.resize(edge + 1);
                edge as u32
            }
        };
        let e = edge as usize;
        self.bw[e] = capacity;
        self.load[e] = 0.0;
        edge
    }

    /// Puts a flow on `route` with `weights` (empty: 1 on every link) and `(bytes, rate
    /// alone, drain alone)`, marks its links dirty, and gives it `done`.
    fn insert(
        &mut self,
        route: Rc<[RouteHop]>,
        weights: Vec<f64>,
        (bytes, solo_rate, solo_drain): (u64, f64, SimTime),
        done: Event<()>,
    ) {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.flows.push(Flow::default());
                (self.flows.len() - 1) as u32
            }
        };
        let flow = &mut self.flows[slot as usize];
        flow.pos.clear();
        for (i, hop) in route.iter().enumerate() {
            let list = &mut self.on_link[hop.edge as usize];
            flow.pos.push(list.len() as u32);
            list.push((slot, i as u32));
            self.dirty.push(hop.edge);
        }
        flow.route = Some(route);
        flow.weights = weights;
        flow.bytes = bytes;
        flow.rate = 0.0;
        flow.solo_rate = solo_rate;
        flow.solo_drain = solo_drain;
        flow.finish = SimTime::MAX;
        flow.epoch = flow.epoch.wrapping_add(1);
        flow.fixed = false;
        flow.done = Some(done);
    }

    /// Whether `(slot, epoch)` names the flow now in `slot`.
    fn is_current(&self, slot: u32, epoch: u32) -> bool {
        self.flows
            .get(slot as usize)
            .is_some_and(|f| f.route.is_some() && f.epoch == epoch)
    }

    /// The earliest finish of a flow in flight, dropping stale deadlines on the way.
    fn next_finish(&mut self) -> Option<SimTime> {
        while let Some(&Reverse((finish, slot, epoch))) = self.deadlines.peek() {
            if self.is_current(slot, epoch) {
                return Some(finish);
            }
            self.deadlines.pop();
        }
        None
    }

    /// Takes flow `slot` off its links (marking them dirty) and frees the slot; returns its
    /// event.
    fn remove(&mut self, slot: u32) -> Option<Event<()>> {
        let flow = self.flows.get_mut(slot as usize)?;
        let route = flow.route.take()?;
        let pos = std::mem::take(&mut flow.pos);
        let done = flow.done.take();
        flow.epoch = flow.epoch.wrapping_add(1);
        let rate = flow.rate;
        let weights = std::mem::take(&mut flow.weights);
        for (j, (hop, &at)) in route.iter().zip(&pos).enumerate() {
            // Capacity freed on a link that held nobody back changes no rate.
            if self.saturated(hop.edge) {
                self.dirty.push(hop.edge);
            }
            let e = hop.edge as usize;
            let list = &mut self.on_link[e];
            list.swap_remove(at as usize);
            // An empty link uses nothing: reset, so rounding cannot build up over a run.
            self.load[e] = if list.is_empty() {
                0.0
            } else {
                self.load[e] - rate * weight_on(&weights, j)
            };
            if e >= self.real_links {
                // A bundle's private link goes with it.
                self.free_private.push(hop.edge);
            }
            if let Some(&(moved, index)) = list.get(at as usize) {
                self.flows[moved as usize].pos[index as usize] = at;
            }
        }
        let flow = &mut self.flows[slot as usize];
        flow.pos = pos;
        flow.weights = weights;
        flow.weights.clear();
        self.free.push(slot);
        done
    }

    /// Whether link `edge` is saturated at the current rates: its flows use all of it (to a
    /// relative 1e-9). Only a saturated link couples its flows: a change of one flow's rate
    /// moves the others' only through links where they are held back.
    fn saturated(&self, edge: u32) -> bool {
        let e = edge as usize;
        self.load[e] >= self.bw[e] * (1.0 - 1e-9)
    }

    /// Starts a new walk: forgets the last one's component.
    fn new_walk(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            // The stamps wrapped: forget every old mark.
            self.link_seen.fill(0);
            self.expanded.fill(0);
            self.flows.iter_mut().for_each(|f| f.seen = 0);
            self.stamp = 1;
        }
        self.component_links.clear();
        self.component_flows.clear();
    }

    /// Grows the component (`component_links`, `component_flows`) from the links `starts`:
    /// every flow on a link walked joins it, and the walk goes on through the links of those
    /// flows that are saturated. An unsaturated link reached is kept as a boundary: its other
    /// flows keep their rates, and what they use comes off its capacity in [`fill`].
    ///
    /// [`fill`]: FlowNet::fill
    fn walk(&mut self, starts: &mut Vec<u32>) {
        let stamp = self.stamp;
        while let Some(edge) = starts.pop() {
            let e = edge as usize;
            self.record(edge);
            if self.expanded[e] == stamp {
                continue;
            }
            self.expanded[e] = stamp;
            let FlowNet {
                flows,
                on_link,
                link_seen,
                component_links,
                component_flows,
                load,
                bw,
                ..
            } = self;
            for &(slot, _) in &on_link[e] {
                let flow = &mut flows[slot as usize];
                if flow.seen == stamp {
                    continue;
                }
                flow.seen = stamp;
                component_flows.push(slot);
                let Some(route) = flow.route.as_deref() else {
                    continue;
                };
                for hop in route {
                    let x = hop.edge as usize;
                    if link_seen[x] != stamp {
                        link_seen[x] = stamp;
                        component_links.push(hop.edge);
                        if load[x] >= bw[x] * (1.0 - 1e-9) {
                            starts.push(hop.edge);
                        }
                    }
                }
            }
        }
    }

    /// Adds link `edge` to the component once.
    fn record(&mut self, edge: u32) {
        let e = edge as usize;
        if self.link_seen[e] != self.stamp {
            self.link_seen[e] = self.stamp;
            self.component_links.push(edge);
        }
    }

    /// Recomputes the rates of the flows reached from the dirty links: walks the component,
    /// fills it, and where the result would hold a flow inside below one outside on a link
    /// they now saturate together, takes that link in too and fills again.
    fn recompute(&mut self, now: SimTime) {
        self.new_walk();
        let mut starts = std::mem::take(&mut self.dirty);
        loop {
            self.walk(&mut starts);
            for &slot in &self.component_flows {
                self.flows[slot as usize].fixed = false;
            }
            self.fill(now);
            self.unfair_boundaries(&mut starts);
            if starts.is_empty() {
                break;
            }
        }
        self.dirty = starts;
        // Stale deadlines are skipped when they come up; drop them in bulk before they
        // outnumber the flows, so the heap stays the size of what is in flight.
        let live = self.flows.len() - self.free.len();
        if self.deadlines.len() > 4 * live + 1024 {
            let flows = &self.flows;
            self.deadlines.retain(|&Reverse((_, slot, epoch))| {
                flows
                    .get(slot as usize)
                    .is_some_and(|f| f.route.is_some() && f.epoch == epoch)
            });
        }
    }

    /// The boundary links of the component that the fill saturated while a flow outside gets
    /// more of them than a flow inside: max-min fairness needs them walked too.
    fn unfair_boundaries(&self, out: &mut Vec<u32>) {
        let stamp = self.stamp;
        for &edge in &self.component_links {
            let e = edge as usize;
            if self.expanded[e] == stamp || self.cap[e] > self.bw[e] * 1e-9 {
                continue;
            }
            let (mut inside, mut outside) = (f64::INFINITY, 0.0f64);
            for &(slot, _) in &self.on_link[e] {
                let flow = &self.flows[slot as usize];
                if flow.seen == stamp {
                    inside = inside.min(flow.rate);
                } else {
                    outside = outside.max(flow.rate);
                }
            }
            if outside > inside * (1.0 + 1e-9) {
                out.push(edge);
            }
        }
    }

    /// Max-min fair rates for the component (progressive filling): the link with the lowest
    /// fair share (capacity left / flows not yet fixed) fixes its flows at that share, which
    /// comes off the capacity of their other links; repeat. The level only rises, so a link's
    /// stale share in the heap is refreshed when it comes up. Flows outside the component
    /// keep their rates, taken off the capacity of the boundary links first. Then every flow
    /// whose rate changed gets a new finish time.
    fn fill(&mut self, now: SimTime) {
        let stamp = self.stamp;
        self.heap.clear();
        for &edge in &self.component_links {
            let e = edge as usize;
            let (mut cap, mut count, mut weight) = (self.bw[e], 0u32, 0.0f64);
            for &(slot, i) in &self.on_link[e] {
                let flow = &self.flows[slot as usize];
                let w = weight_on(&flow.weights, i as usize);
                if flow.seen == stamp {
                    count += 1;
                    weight += w;
                } else {
                    cap -= flow.rate * w;
                }
            }
            self.cap[e] = cap.max(0.0);
            self.unfixed[e] = count;
            self.weight[e] = weight;
            if count > 0 {
                self.heap
                    .push(Reverse((Share(fair_share(self.cap[e], weight)), edge)));
            }
        }
        let mut level = 0.0f64;
        while let Some(Reverse((Share(share), edge))) = self.heap.pop() {
            let e = edge as usize;
            if self.unfixed[e] == 0 {
                continue;
            }
            let now_share = fair_share(self.cap[e].max(0.0), self.weight[e]);
            if now_share > share {
                self.heap.push(Reverse((Share(now_share), edge)));
                continue;
            }
            level = level.max(now_share);
            let rate = level;
            let FlowNet {
                flows,
                on_link,
                cap,
                unfixed,
                weight,
                load,
                deadlines,
                ..
            } = &mut *self;
            for &(slot, _) in &on_link[e] {
                let flow = &mut flows[slot as usize];
                if flow.fixed || flow.seen != stamp {
                    continue;
                }
                flow.fixed = true;
                let Some(route) = flow.route.as_deref() else {
                    continue;
                };
                let change = rate - flow.rate;
                for (j, hop) in route.iter().enumerate() {
                    let m = hop.edge as usize;
                    let w = weight_on(&flow.weights, j);
                    cap[m] -= rate * w;
                    unfixed[m] = unfixed[m].saturating_sub(1);
                    weight[m] -= w;
                    load[m] += change * w;
                }
                let finish = if flow.rate == 0.0 {
                    if rate == flow.solo_rate {
                        now + flow.solo_drain
                    } else {
                        now + ps(flow.bytes as f64 * 1e12 / rate)
                    }
                } else if rate != flow.rate {
                    let left = flow.finish.saturating_sub(now).as_ps() as f64;
                    now + ps(left * flow.rate / rate)
                } else {
                    flow.finish
                };
                flow.rate = rate;
                if finish != flow.finish {
                    flow.finish = finish;
                    flow.epoch = flow.epoch.wrapping_add(1);
                    deadlines.push(Reverse((finish, slot, flow.epoch)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use kernbench_engine::{SimTime, Simulation};

    use super::NetworkModel;
    use crate::test_support::{bundled, default_with};
    use crate::{Bytes, LinkStats, Machine, MachineOptions, Node, Topology};

    fn node(text: &str) -> Node {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn options(network: NetworkModel) -> MachineOptions {
        MachineOptions {
            network,
            ..MachineOptions::default()
        }
    }

    /// Runs `flows` (from, to, bytes, start in ps) at once on `topology`; returns when each
    /// ended, every link's counters and the machine.
    fn run(
        topology: &Rc<Topology>,
        network: NetworkModel,
        flows: &[(&str, &str, u64, u64)],
    ) -> (Vec<SimTime>, Vec<LinkStats>, Machine) {
        let mut simulation = Simulation::new();
        let sim = simulation.handle();
        let m = Machine::new(&sim, topology.clone(), options(network));
        let ends = Rc::new(vec![Cell::new(SimTime::MAX); flows.len()]);
        for (i, &(from, to, bytes, start)) in flows.iter().enumerate() {
            let (m, sim, ends) = (m.clone(), sim.clone(), ends.clone());
            let (from, to) = (node(from), node(to));
            simulation.spawn(format!("flow{i}"), async move {
                sim.timeout(SimTime::from_ps(start)).await;
                m.transfer(from, to, Bytes(bytes)).await?;
                ends[i].set(sim.now());
                Ok::<(), crate::ModelError>(())
            });
        }
        simulation.run().unwrap_or_else(|e| panic!("{e}"));
        let stats = m.link_stats().into_iter().map(|(_, s)| s).collect();
        (ends.iter().map(Cell::get).collect(), stats, m)
    }

    fn uncongested(topology: &Rc<Topology>, from: &str, to: &str, bytes: u64) -> SimTime {
        let sim = Simulation::new();
        let m = Machine::new(
            &sim.handle(),
            topology.clone(),
            options(NetworkModel::Packet),
        );
        m.uncongested_time(node(from), node(to), Bytes(bytes))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    const ROUTES: [(&str, &str); 5] = [
        ("c0.s0.p0", "c0.s0.p0.tcm"),
        ("c0.s0.p1", "c0.s0.p2"),
        ("c0.s0.hbm", "c0.s1.hbm"),
        ("c0.s0.p3.tcm", "c0.s1.p1.tcm"),
        ("c0.s1.sram", "c0.s0.p2.tcm"),
    ];
    const SIZES: [u64; 9] = [
        1,
        100,
        4095,
        4096,
        4097,
        12_288 + 7,
        1 << 20,
        (1 << 20) + 3,
        256 << 20,
    ];

    #[test]
    fn a_flow_alone_takes_the_closed_form_to_the_picosecond() {
        let topology = Rc::new(bundled("default.ron"));
        for (from, to) in ROUTES {
            for bytes in [0].into_iter().chain(SIZES) {
                let (ends, _, _) = run(&topology, NetworkModel::Flow, &[(from, to, bytes, 0)]);
                assert_eq!(
                    ends[0],
                    uncongested(&topology, from, to, bytes),
                    "{bytes} bytes {from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn the_linear_closed_form_is_the_transfer_modules() {
        for file in ["default.ron", "ring8.ron", "multicube2x4.ron"] {
            let topology = Rc::new(bundled(file));
            let sim = Simulation::new();
            let m = Machine::new(&sim.handle(), topology.clone(), MachineOptions::default());
            for (from, to) in [("c0.s0.hbm", "c0.s1.p1.tcm"), ("c0.s1.p0", "c0.s0.sram")] {
                let route = m
                    .route(node(from), node(to))
                    .unwrap_or_else(|e| panic!("{e}"));
                for bytes in SIZES {
                    let (total, _) =
                        super::closed_form(&route, Bytes(bytes), topology.packet_size());
                    assert_eq!(
                        total,
                        uncongested(&topology, from, to, bytes),
                        "{file} {bytes}"
                    );
                }
            }
        }
    }

    /// What a 1 MiB flow of `route` spends outside its drain at 100 GB/s on default.ron.
    fn fixed_part(topology: &Rc<Topology>, from: &str, to: &str) -> u64 {
        let alone = uncongested(topology, from, to, 1 << 20).as_ps();
        // 1 MiB at 100 GB/s: 1_048_576e12 / 1e11 = 10_485_760 ps.
        alone - 10_485_760
    }

    #[test]
    fn two_flows_on_one_link_get_half_of_it_each() {
        // p0 -> p0 and p1 -> p1 across the SIPs share only the SIP link s0 -> s1 (100 GB/s;
        // their ports run at 1 TB/s): each drains 1 MiB at 50 GB/s, in 20_971_520 ps.
        let topology = Rc::new(bundled("default.ron"));
        let flows = [
            ("c0.s0.p0", "c0.s1.p0", 1 << 20, 0),
            ("c0.s0.p1", "c0.s1.p1", 1 << 20, 0),
        ];
        let (ends, _, _) = run(&topology, NetworkModel::Flow, &flows);
        for (i, (from, to, _, _)) in flows.iter().enumerate() {
            let expected = 20_971_520 + fixed_part(&topology, from, to);
            assert_eq!(ends[i], SimTime::from_ps(expected), "flow {i}");
        }
    }

    #[test]
    fn a_flow_that_reaches_a_shared_link_first_has_it_alone_until_the_other_arrives() {
        // Both cross the rail c1.s1 -> c0.s1 (50 GB/s), its slowest link for each: the first
        // straight from its HBM, the second after the hop c1.s0 -> c1.s1 (500 ns), so in the
        // packet model the first has the rail to itself for that long. Starting each flow on
        // every link at once gave both 170.716 us against the packet model's 170.142 and
        // 170.175 us (+0.34%).
        let topology = Rc::new(bundled("multicube2x4.ron"));
        let flows = [
            ("c1.s1.hbm", "c0.s2.hbm", 4 << 20, 0),
            ("c1.s0.hbm", "c0.s1.hbm", 4 << 20, 0),
        ];
        let (packet, _, _) = run(&topology, NetworkModel::Packet, &flows);
        let (flow, _, _) = run(&topology, NetworkModel::Flow, &flows);
        for i in 0..flows.len() {
            let error = flow[i].as_ps() as f64 / packet[i].as_ps() as f64 - 1.0;
            assert!(
                error.abs() < 0.0005,
                "flow {i}: {} against the packet model's {} ({:+.3}%)",
                flow[i],
                packet[i],
                100.0 * error
            );
        }
        assert!(flow[0] <= flow[1], "the first to reach the rail ends first");
    }

    #[test]
    fn a_flow_limited_elsewhere_leaves_the_rest_of_a_link_to_the_other() {
        // Ports at 25 GB/s: p0 -> p0 is held to 25 GB/s by its ports, so HBM -> HBM gets the
        // other 75 GB/s of the SIP link: 1 MiB in 1_048_576e12 / 75e9 = 13_981_013.3 ps
        // (rounded to 13_981_013), while p0 -> p0 runs as if alone.
        let text = default_with(
            "port: (bandwidth: \"1TB/s\"",
            "port: (bandwidth: \"25GB/s\"",
        );
        let topology =
            Rc::new(Topology::from_ron_str(&text, "t.ron").unwrap_or_else(|e| panic!("{e}")));
        let flows = [
            ("c0.s0.p0", "c0.s1.p0", 1 << 20, 0),
            ("c0.s0.hbm", "c0.s1.hbm", 1 << 20, 0),
        ];
        let (ends, _, _) = run(&topology, NetworkModel::Flow, &flows);
        assert_eq!(
            ends[0],
            uncongested(&topology, "c0.s0.p0", "c0.s1.p0", 1 << 20)
        );
        let hbm_fixed = fixed_part(&topology, "c0.s0.hbm", "c0.s1.hbm");
        assert_eq!(ends[1], SimTime::from_ps(13_981_013 + hbm_fixed));
    }

    #[test]
    fn a_flow_starting_and_ending_midway_changes_rates_then() {
        // A (1 MiB) alone from 0 at 100 GB/s drains 500_000 bytes by 5 us, when B (1 MiB)
        // joins: both at 50 GB/s, A's other 548_576 bytes take 10_971_520 ps, so A drains at
        // 15_971_520 ps; B has 500_000 bytes left then, alone again at 100 GB/s: 5 us more,
        // draining at 20_971_520 ps.
        let topology = Rc::new(bundled("default.ron"));
        let flows = [
            ("c0.s0.p0", "c0.s1.p0", 1 << 20, 0),
            ("c0.s0.p1", "c0.s1.p1", 1 << 20, 5_000_000),
        ];
        let (ends, _, _) = run(&topology, NetworkModel::Flow, &flows);
        let fixed = fixed_part(&topology, "c0.s0.p0", "c0.s1.p0");
        assert_eq!(ends[0], SimTime::from_ps(15_971_520 + fixed));
        assert_eq!(ends[1], SimTime::from_ps(20_971_520 + fixed));
    }

    #[test]
    fn a_transfer_of_up_to_32_packets_is_timed_packet_by_packet_and_a_longer_one_as_a_flow() {
        // Two transfers that share only the SIP link s0 -> s1 (100 GB/s), at once.
        let topology = Rc::new(bundled("default.ron"));
        let pair = |bytes: u64| {
            [
                ("c0.s0.p0", "c0.s1.p0", bytes, 0),
                ("c0.s0.p1", "c0.s1.p1", bytes, 0),
            ]
        };
        assert_eq!(super::SHORT_TRANSFER, 32);
        // 32 packets of 4 KiB: the packet model's times exactly, contention and all.
        let short = pair(32 * 4096);
        let (flow, _, _) = run(&topology, NetworkModel::Flow, &short);
        let (packet, _, _) = run(&topology, NetworkModel::Packet, &short);
        assert_eq!(flow, packet);
        // 33 packets: two flows at 50 GB/s each, so each drains its 135,168 bytes in
        // 2,703,360 ps instead of 1,351,680 alone, then its fixed part.
        let long = pair(33 * 4096);
        let (flow, _, _) = run(&topology, NetworkModel::Flow, &long);
        for (i, (from, to, bytes, _)) in long.iter().enumerate() {
            let alone = uncongested(&topology, from, to, *bytes).as_ps();
            assert_eq!(flow[i], SimTime::from_ps(alone + 1_351_680), "flow {i}");
        }
    }

    #[test]
    fn link_counters_are_the_packet_models() {
        let topology = Rc::new(bundled("default.ron"));
        let flows = [
            ("c0.s0.p0", "c0.s1.p0", (1 << 20) + 3, 0),
            ("c0.s0.hbm", "c0.s1.hbm", 100_000, 1_000),
            ("c0.s1.sram", "c0.s0.p2.tcm", 4097, 7_000),
            ("c0.s0.p1", "c0.s0.p2", 0, 0),
        ];
        let (_, packet, _) = run(&topology, NetworkModel::Packet, &flows);
        let (_, flow, _) = run(&topology, NetworkModel::Flow, &flows);
        assert_eq!(packet, flow);
    }

    #[test]
    fn a_flow_over_a_cut_link_is_lost_where_its_packet_would_be() {
        let topology = Rc::new(bundled("default.ron"));
        let lost = |network| {
            let mut simulation = Simulation::new();
            let m = Machine::new(&simulation.handle(), topology.clone(), options(network));
            m.cut_link(node("c0.s0.hub"), node("c0.s1.hub"))
                .unwrap_or_else(|e| panic!("{e}"));
            let m2 = m.clone();
            simulation.spawn("t", async move {
                m2.transfer(node("c0.s0.hbm"), node("c0.s1.hbm"), Bytes(1 << 20))
                    .await
            });
            let outcome = simulation.run().unwrap_or_else(|e| panic!("{e}"));
            let report = outcome.deadlock().map(|r| r.to_string());
            (m.lost_packets(), report)
        };
        let (packet, packet_report) = lost(NetworkModel::Packet);
        let (flow, flow_report) = lost(NetworkModel::Flow);
        assert_eq!(packet.len(), 1);
        assert_eq!(flow, packet);
        assert!(flow_report.is_some_and(|r| r.contains("lost on cut link")));
        assert!(packet_report.is_some());
    }

    /// Replays `copies` bundles of what one 1 MiB transfer from `c0.s0.hbm` to `c0.s1.hbm`
    /// put on the links, all at once, with its drain alone; returns when each drained.
    fn bundles(copies: usize) -> (super::Bundle, Vec<SimTime>) {
        let topology = Rc::new(bundled("default.ron"));
        let (from, to, bytes) = ("c0.s0.hbm", "c0.s1.hbm", 1u64 << 20);
        let (_, _, m) = run(&topology, NetworkModel::Flow, &[(from, to, bytes, 0)]);
        let after = m.link_stats();
        let before: Vec<_> = after
            .iter()
            .map(|&(e, _)| (e, LinkStats::default()))
            .collect();
        let route = m
            .route(node(from), node(to))
            .unwrap_or_else(|e| panic!("{e}"));
        let packet = topology.packet_size();
        let (_, drain) = super::closed_form(&route, Bytes(bytes), packet);
        let bundle = super::Bundle::between(&before, &after, drain, (node(from), node(to)));
        let mut simulation = Simulation::new();
        let sim = simulation.handle();
        let m = Machine::new(&sim, topology.clone(), options(NetworkModel::Flow));
        let ends = Rc::new(vec![Cell::new(SimTime::MAX); copies]);
        for i in 0..copies {
            let (m, sim, ends, bundle) = (m.clone(), sim.clone(), ends.clone(), bundle.clone());
            simulation.spawn(format!("bundle{i}"), async move {
                m.start_bundle(&bundle).wait().await;
                ends[i].set(sim.now());
                Ok::<(), crate::ModelError>(())
            });
        }
        simulation.run().unwrap_or_else(|e| panic!("{e}"));
        let stats: Vec<LinkStats> = m.link_stats().into_iter().map(|(_, s)| s).collect();
        let once: Vec<LinkStats> = after.into_iter().map(|(_, s)| s).collect();
        for (replayed, alone) in stats.iter().zip(&once) {
            assert_eq!(replayed.bytes, alone.bytes * copies as u64);
            assert_eq!(replayed.busy.as_ps(), alone.busy.as_ps() * copies as u64);
        }
        (bundle, ends.iter().map(Cell::get).collect())
    }

    #[test]
    fn a_bundle_alone_drains_in_its_drain_to_the_picosecond_and_counts_its_traffic() {
        let (bundle, ends) = bundles(1);
        assert!(bundle.drain() > SimTime::ZERO);
        assert_eq!(ends, [bundle.drain()]);
    }

    #[test]
    fn two_bundles_that_each_fill_a_link_share_it_and_take_twice_as_long() {
        let (bundle, ends) = bundles(2);
        let twice = 2.0 * bundle.drain().as_ps() as f64;
        for end in ends {
            let error = (end.as_ps() as f64 - twice).abs() / twice;
            assert!(error < 1e-6, "{end} against {twice} ps");
        }
    }

    #[test]
    fn the_same_flows_give_the_same_run() {
        let topology = Rc::new(bundled("ring8.ron"));
        let flows: Vec<(String, String, u64, u64)> = (0..8)
            .flat_map(|a| (0..8).filter(move |&b| b != a).map(move |b| (a, b)))
            .map(|(a, b)| {
                (
                    format!("c0.s{a}.hbm"),
                    format!("c0.s{b}.hbm"),
                    1000 * (a + 3 * b) + 77,
                    50 * a,
                )
            })
            .collect();
        let flows: Vec<(&str, &str, u64, u64)> = flows
            .iter()
            .map(|(a, b, n, t)| (a.as_str(), b.as_str(), *n, *t))
            .collect();
        let first = run(&topology, NetworkModel::Flow, &flows);
        let second = run(&topology, NetworkModel::Flow, &flows);
        assert_eq!((first.0, first.1), (second.0, second.1));
    }
}
