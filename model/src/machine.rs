//! The live machine: a [`Topology`] on a running simulation, with per-link FIFO state,
//! cached routes, options, the timeline, faults (`cut_link`) and the memory in use.
//!
//! It holds the state; the packet loop that moves bytes over the links is in `transfer`,
//! buffers in `memory`, reductions in `compute` and PE contexts in `pe_context`. Nothing
//! here knows how a packet is timed, what a buffer holds, or what program runs on a PE.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use kernbench_engine::{Sim, SimTime};
use petgraph::graph::{EdgeIndex, NodeIndex};
use rustc_hash::FxHashMap;

use crate::coords::{Node, PeId, SipId};
use crate::error::ModelError;
use crate::flow::{FlowNet, NetworkModel};
use crate::messages::MessageLog;
use crate::spec::MemoryKind;
use crate::topology::Topology;
use crate::trace::{BusyLog, LinkBusy, TraceRecord, TraceTrack};
use crate::transfer::TransferScratch;
use crate::units::{Bandwidth, Bytes};

/// Every link's counters by edge index, as [`Machine::link_stats`] reads them.
pub type LinkCounters = Vec<(EdgeIndex, LinkStats)>;

/// Per-link counters for utilisation reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Bytes carried.
    pub bytes: u64,
    /// Packets carried.
    pub packets: u64,
    /// Time the link spent serialising packets.
    pub busy: SimTime,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LinkState {
    /// When the link finishes the last packet it has accepted.
    pub(crate) free_at: SimTime,
    pub(crate) stats: LinkStats,
    /// Cut (a fault): packets routed over it are lost, and their transfer never ends.
    pub(crate) cut: bool,
}

/// Routes by (from, to) node index, packed in a `u64`. Looked up on every transfer and
/// never iterated (so no order reaches any output): a multiplicative hash, not SipHash.
type RouteCache = FxHashMap<u64, Rc<[RouteHop]>>;

/// What a transfer needs of one link of its route, copied out of the topology once per route:
/// a transfer then reads its route as one short contiguous array instead of visiting each
/// link's graph entry (on a machine of thousands of SIPs those are cache misses, paid on
/// every message).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RouteHop {
    pub(crate) edge: u32,
    /// Serialisation of a full packet.
    pub(crate) s_full: SimTime,
    pub(crate) latency: SimTime,
    pub(crate) bandwidth: Bandwidth,
}

/// Options of a machine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MachineOptions {
    /// Buffers carry real `f32` data, moved and reduced for real (for verified runs).
    pub data: bool,
    /// Record a timeline: one span per transfer per link, plus what callers add with
    /// [`Machine::trace_span`], and every link's busy intervals
    /// ([`Machine::take_link_busy`]). Off by default: it costs memory per transfer.
    pub trace: bool,
    /// How transfers are timed on the network: packet by packet (exact, the default) or as
    /// max-min fair flows (fast, approximate under contention; see [`NetworkModel`]).
    pub network: NetworkModel,
}

/// A topology brought to life on a simulation. Cheap to clone (shared).
#[derive(Clone, Debug)]
pub struct Machine {
    pub(crate) inner: Rc<MachineInner>,
}

#[derive(Debug)]
pub(crate) struct MachineInner {
    pub(crate) sim: Sim,
    pub(crate) topology: Rc<Topology>,
    pub(crate) options: MachineOptions,
    pub(crate) links: RefCell<Vec<LinkState>>,
    /// Routes by (from, to) node index, computed on first use and shared. Only looked up,
    /// never iterated, so the hash order cannot reach any output.
    routes: RefCell<RouteCache>,
    /// Bytes allocated per (rank, memory) for SRAM and HBM, and per PE for TCM.
    pub(crate) sip_used: RefCell<Vec<[u64; 2]>>,
    pub(crate) tcm_used: RefCell<Vec<u64>>,
    pub(crate) transfers: RefCell<u64>,
    trace: RefCell<Vec<TraceRecord>>,
    /// Every link's busy intervals, when tracing.
    pub(crate) busy: RefCell<BusyLog>,
    /// Spare per-transfer vectors (hop state, pending arrivals), reused.
    pub(crate) scratch: RefCell<Vec<TransferScratch>>,
    /// The message ledger, once [`Machine::record_messages`] asked for one.
    pub(crate) messages: OnceCell<MessageLog>,
    /// Packets lost on cut links, in the order they were lost.
    pub(crate) lost: RefCell<Vec<LostPacket>>,
    /// The flows in flight in the flow model (empty in the packet model).
    pub(crate) flows: RefCell<FlowNet>,
    /// Whether any link has been cut ([`Machine::cut_link`]): until one is, a flow need not
    /// look for cut links on its route.
    pub(crate) any_cut: std::cell::Cell<bool>,
}

/// A packet lost on a cut link ([`Machine::cut_link`]): its transfer never ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LostPacket {
    /// The cut link, `from -> to`.
    pub link: (Node, Node),
    /// The transfer the packet belonged to, from its first node to its last.
    pub transfer: (Node, Node),
    /// When the packet reached the link.
    pub at: SimTime,
}

impl Machine {
    /// Brings `topology` to life on the simulation behind `sim`.
    pub fn new(sim: &Sim, topology: Rc<Topology>, options: MachineOptions) -> Machine {
        let links = vec![LinkState::default(); topology.graph().edge_count()];
        let busy = if options.trace {
            BusyLog::new(links.len())
        } else {
            BusyLog::default()
        };
        let sips = topology.sip_count() as usize;
        let pes = topology.pe_count() as usize;
        Machine {
            inner: Rc::new(MachineInner {
                sim: sim.clone(),
                topology,
                options,
                links: RefCell::new(links),
                routes: RefCell::new(FxHashMap::default()),
                sip_used: RefCell::new(vec![[0, 0]; sips]),
                tcm_used: RefCell::new(vec![0; pes]),
                transfers: RefCell::new(0),
                trace: RefCell::new(Vec::new()),
                busy: RefCell::new(busy),
                scratch: RefCell::new(Vec::new()),
                messages: OnceCell::new(),
                lost: RefCell::new(Vec::new()),
                flows: RefCell::new(FlowNet::default()),
                any_cut: std::cell::Cell::new(false),
            }),
        }
    }

    /// The topology.
    pub fn topology(&self) -> &Topology {
        &self.inner.topology
    }

    /// The simulation handle.
    pub fn sim(&self) -> &Sim {
        &self.inner.sim
    }

    /// Whether buffers carry real data.
    pub fn has_data(&self) -> bool {
        self.inner.options.data
    }

    /// Counters of every link, by edge index.
    pub fn link_stats(&self) -> LinkCounters {
        self.inner
            .links
            .borrow()
            .iter()
            .enumerate()
            .map(|(i, l)| (EdgeIndex::new(i), l.stats))
            .collect()
    }

    /// The network model timing transfers.
    pub fn network_model(&self) -> NetworkModel {
        self.inner.options.network
    }

    /// Whether a timeline is being recorded.
    pub fn is_tracing(&self) -> bool {
        self.inner.options.trace
    }

    /// Adds a span to the timeline (when tracing; otherwise nothing happens).
    pub fn trace_span(
        &self,
        track: TraceTrack,
        name: impl Into<Cow<'static, str>>,
        start: SimTime,
        end: SimTime,
        bytes: u64,
    ) {
        if self.inner.options.trace {
            self.inner.trace.borrow_mut().push(TraceRecord {
                track,
                name: name.into(),
                start,
                end,
                bytes,
            });
        }
    }

    /// Takes the recorded timeline, in the order spans were recorded.
    pub fn take_trace(&self) -> Vec<TraceRecord> {
        std::mem::take(&mut *self.inner.trace.borrow_mut())
    }

    /// Takes every link's busy intervals so far, by edge index and then by time (empty unless
    /// tracing). A link's intervals add up to its [`LinkStats::busy`]; one still growing is
    /// taken as it is.
    pub fn take_link_busy(&self) -> Vec<LinkBusy> {
        self.inner.busy.borrow_mut().take()
    }

    /// Cuts the directed link `from -> to` (a fault for diagnosis): routes stay as they were
    /// (they are static, as in hardware), so a packet that reaches the link is lost and its
    /// transfer waits forever, on an event named after the link, until the run ends in a
    /// deadlock report.
    ///
    /// # Errors
    /// [`ModelError::NoSuchLink`] unless the topology has that link.
    pub fn cut_link(&self, from: Node, to: Node) -> Result<(), ModelError> {
        let (a, b) = (self.index_of(from)?, self.index_of(to)?);
        let edge =
            self.topology()
                .graph()
                .find_edge(a, b)
                .ok_or_else(|| ModelError::NoSuchLink {
                    from: from.to_string(),
                    to: to.to_string(),
                    topology: self.topology().name().to_string(),
                })?;
        self.inner.links.borrow_mut()[edge.index()].cut = true;
        self.inner.any_cut.set(true);
        Ok(())
    }

    /// The packets lost on cut links so far, in the order they were lost (one per transfer:
    /// a transfer whose packet is lost sends no more).
    pub fn lost_packets(&self) -> Vec<LostPacket> {
        self.inner.lost.borrow().clone()
    }

    /// Transfers made so far.
    pub fn transfer_count(&self) -> u64 {
        *self.inner.transfers.borrow()
    }

    /// The index of `node`, or an error naming it.
    pub fn index_of(&self, node: Node) -> Result<NodeIndex, ModelError> {
        self.topology()
            .node_index(node)
            .ok_or_else(|| ModelError::NoSuchNode {
                node: node.to_string(),
                topology: self.topology().name().to_string(),
            })
    }

    /// The route from `from` to `to` with what a transfer needs of each link, computed once
    /// and shared.
    pub(crate) fn route(&self, from: Node, to: Node) -> Result<Rc<[RouteHop]>, ModelError> {
        let (a, b) = (self.index_of(from)?, self.index_of(to)?);
        let key = ((a.index() as u64) << 32) | b.index() as u64;
        if let Some(route) = self.inner.routes.borrow().get(&key) {
            return Ok(route.clone());
        }
        let topo = self.topology();
        // A full packet's time on each link is computed here, once per route, rather than
        // per transfer (a u128 division per hop).
        let packet = topo.packet_size().max(Bytes(1));
        let route: Rc<[RouteHop]> = topo
            .route(a, b)?
            .edges()
            .iter()
            .map(|&e| {
                let link = topo.link(e);
                RouteHop {
                    edge: e.index() as u32,
                    s_full: link.bandwidth.time_for(packet),
                    latency: link.latency,
                    bandwidth: link.bandwidth,
                }
            })
            .collect();
        self.inner.routes.borrow_mut().insert(key, route.clone());
        Ok(route)
    }

    /// Rank of a SIP, as an index into per-SIP tables.
    pub(crate) fn sip_index(&self, sip: SipId) -> usize {
        self.topology().rank_of(sip).unwrap_or(0) as usize
    }

    /// Index of a PE into per-PE tables.
    pub(crate) fn pe_index(&self, pe: PeId) -> usize {
        self.sip_index(pe.sip_id()) * self.topology().pes_per_sip() as usize + pe.pe as usize
    }

    /// The memory spec of a kind.
    pub(crate) fn memory_capacity(&self, kind: MemoryKind) -> Bytes {
        self.topology().memory(kind).capacity
    }
}
