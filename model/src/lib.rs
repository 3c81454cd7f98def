//! The hardware model of kernbench: a RON topology file becomes a validated [`Topology`] — a
//! `petgraph` graph of PEs, memories, hubs and switches joined by directed [`Link`]s — with
//! deterministic shortest-path routes. A [`Machine`] brings a topology to life on a
//! simulation: [`Machine::transfer`] moves packets through FIFO links (its timing, and the
//! closed form an idle transfer matches to the picosecond, are in the `transfer` module's
//! docs), [`Buffer`]s live in TCM, SRAM or HBM with their capacity enforced, and
//! [`Machine::launch_kernel`] runs an SPMD kernel over PEs, each with its own [`PeContext`],
//! that talk through IPCQs.
//!
//! This crate knows the machine, not the collectives run on it: nothing here knows what an
//! all-reduce is. Time is [`SimTime`](kernbench_engine::SimTime) (integer picoseconds); sizes and
//! rates are [`Bytes`] and [`Bandwidth`], parsed from strings such as `"64KiB"` and `"100GB/s"`.
//!
//! ```
//! use kernbench_model::{MemoryKind, Node, Topology};
//!
//! let topo = Topology::from_ron_str(r#"Topology(
//!     name: "tiny",
//!     packet_size: "4KiB",
//!     cubes: (count: 1),
//!     sips: (per_cube: 2, links: (shape: FullyConnected, bandwidth: "100GB/s", latency: "500ns")),
//!     pes: (per_sip: 2, noc: (shape: BidirectionalRing, bandwidth: "256GB/s", latency: "5ns"),
//!           port: (bandwidth: "256GB/s", latency: "10ns")),
//!     memory: (
//!         tcm:  (capacity: "256KiB", bandwidth: "512GB/s", latency: "2ns"),
//!         sram: (capacity: "64MiB",  bandwidth: "2TB/s",   latency: "20ns"),
//!         hbm:  (capacity: "32GiB",  bandwidth: "1.6TB/s", latency: "200ns"),
//!     ),
//!     reduce_throughput: "256GB/s",
//! )"#, "tiny.ron")?;
//!
//! assert_eq!(topo.sip_count(), 2);
//! assert_eq!(topo.memory(MemoryKind::Hbm).capacity.to_string(), "32 GiB");
//! let from = topo.node_index("c0.s0.p1".parse()?).ok_or("no such node")?;
//! let to = topo.node_index("c0.s1.p0".parse()?).ok_or("no such node")?;
//! let route = topo.route(from, to)?;
//! // port 10 ns + SIP link 500 ns + port 10 ns
//! assert_eq!(route.latency().to_string(), "520 ns");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod compute;
mod coords;
pub mod cycles;
mod error;
mod flow;
pub use flow::{Bundle, NetworkModel};
mod generated;
mod generators;
mod injection;
pub use injection::LevelBandwidths;
pub mod limits;
mod link;
mod machine;
mod memory;
mod messages;
mod pe_context;
pub mod routing;
mod spec;
mod summary;
mod topology;
mod trace;
mod transfer;
pub mod units;
mod validate;

mod input;
pub use compute::ReduceOp;
pub use coords::{Node, PeId, SipId, SwitchId};
pub use error::{ModelError, QuantityKind};
pub use generated::{Generated, TopologySource};
pub use input::read_input_file;
pub use link::{Link, LinkClass};
pub use machine::{LinkCounters, LinkStats, LostPacket, Machine, MachineOptions};
pub use memory::{Buffer, Placement};
pub use messages::{
    Conversation, MessageLedger, MessageLog, Party, Scope, SentTicket, UnreceivedMessage,
    WaitTicket, WaitingReceive,
};
pub use pe_context::{KernelConfig, PeContext, RecvHandle};
pub use routing::Route;
pub use spec::{
    CubeLevel, LinkSpec, MemoriesSpec, MemoryKind, MemorySpec, PeLevel, PortSpec, Shape, SipLevel,
    TopologySpec,
};
pub use summary::{LinkClassSummary, TopologySummary};
pub use topology::{Topology, TopologyGraph};
pub use trace::{LinkBusy, LinkFlow, TraceRecord, TraceTrack};
pub use units::{Bandwidth, Bytes, parse_time};

#[cfg(test)]
mod test_support;
