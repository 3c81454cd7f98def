//! The RON topology file as plain serde structs: what the user wrote, before validation.
//!
//! Every unit is a string (`"64KiB"`, `"100GB/s"`, `"500ns"`) parsed by [`crate::units`]; every
//! field is required except `cubes.links`, which may be left out when `cubes.count` is 1.
//! Unknown fields are errors. [`crate::Topology::from_spec`] validates a spec and builds the
//! graph.
//!
//! ```ron
//! Topology(
//!     name: "default",
//!     packet_size: "4KiB",
//!     cubes: (count: 1),
//!     sips: (per_cube: 2, links: (shape: FullyConnected, bandwidth: "100GB/s", latency: "500ns")),
//!     pes: (per_sip: 4, noc: (shape: Ring, bandwidth: "256GB/s", latency: "5ns"),
//!           port: (bandwidth: "256GB/s", latency: "10ns")),
//!     memory: (
//!         tcm:  (capacity: "256KiB", bandwidth: "512GB/s", latency: "2ns"),
//!         sram: (capacity: "64MiB",  bandwidth: "2TB/s",   latency: "20ns"),
//!         hbm:  (capacity: "32GiB",  bandwidth: "1.6TB/s", latency: "200ns"),
//!     ),
//!     reduce_throughput: "256GB/s",
//! )
//! ```

use std::fmt;
use std::str::FromStr;

use kernbench_engine::SimTime;
use serde::Deserialize;

use crate::error::ModelError;
use crate::units::{Bandwidth, Bytes, deserialize_time};

/// A whole topology file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Topology")]
pub struct TopologySpec {
    /// A name for reports and errors.
    pub name: String,
    /// Transfers are cut into packets of this size; each link serves packets FIFO.
    pub packet_size: Bytes,
    /// How many cubes and how they are joined.
    pub cubes: CubeLevel,
    /// How many SIPs per cube and how they are joined inside a cube.
    pub sips: SipLevel,
    /// How many PEs per SIP and how they are joined inside a SIP.
    pub pes: PeLevel,
    /// The three memories.
    pub memory: MemoriesSpec,
    /// Per PE: bytes of input reduced per second.
    pub reduce_throughput: Bandwidth,
}

/// The cube level: `(count: 2, links: (shape: Ring, bandwidth: "50GB/s", latency: "1us"))`.
///
/// Cube links are rail-style: SIP `s` of cube `a` is joined to SIP `s` of cube `b` when the
/// shape joins cubes `a` and `b`, so every SIP index has its own rail of cube links.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CubeLevel {
    /// Number of cubes.
    pub count: u32,
    /// How cubes are joined; may be left out when `count` is 1.
    #[serde(default)]
    pub links: Option<LinkSpec>,
}

/// The SIP level: `(per_cube: 4, links: (shape: Ring, ...))`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipLevel {
    /// Number of SIPs in each cube.
    pub per_cube: u32,
    /// How the SIPs of one cube are joined (hub to hub).
    pub links: LinkSpec,
}

/// The PE level: `(per_sip: 4, noc: (shape: Ring, ...), port: (bandwidth: ..., latency: ...))`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeLevel {
    /// Number of PEs in each SIP.
    pub per_sip: u32,
    /// How PEs are joined to each other; `Switch` means no direct PE links, only the hub.
    pub noc: LinkSpec,
    /// The link between each PE and its SIP's hub (one each way).
    pub port: PortSpec,
}

/// A set of links laid out by a shape; every link gets this bandwidth and latency.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// How the members of the level are joined.
    pub shape: Shape,
    /// Bandwidth of each directed link.
    pub bandwidth: Bandwidth,
    /// Latency of each directed link (per hop: through a switch a packet takes two).
    #[serde(deserialize_with = "deserialize_time")]
    pub latency: SimTime,
}

/// One point-to-point connection, full duplex: two links with this bandwidth and latency.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortSpec {
    /// Bandwidth of each direction.
    pub bandwidth: Bandwidth,
    /// Latency of each direction.
    #[serde(deserialize_with = "deserialize_time")]
    pub latency: SimTime,
}

/// The memories of the machine.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoriesSpec {
    /// Tightly-coupled memory, one per PE.
    pub tcm: MemorySpec,
    /// On-chip shared memory, one per SIP.
    pub sram: MemorySpec,
    /// High-bandwidth DRAM, one per SIP.
    pub hbm: MemorySpec,
}

/// One memory: capacity, and the bandwidth and latency of its port (each direction).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemorySpec {
    /// How much it holds.
    pub capacity: Bytes,
    /// Bandwidth of its port, each direction.
    pub bandwidth: Bandwidth,
    /// Latency of its port, each direction.
    #[serde(deserialize_with = "deserialize_time")]
    pub latency: SimTime,
}

/// The three kinds of memory. Parses from and prints as `tcm`, `sram`, `hbm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemoryKind {
    /// Per PE.
    Tcm,
    /// Per SIP, on chip.
    Sram,
    /// Per SIP, DRAM.
    Hbm,
}

impl MemoryKind {
    /// All kinds, in the order tcm, sram, hbm.
    pub const ALL: [MemoryKind; 3] = [MemoryKind::Tcm, MemoryKind::Sram, MemoryKind::Hbm];
}

impl fmt::Display for MemoryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemoryKind::Tcm => "tcm",
            MemoryKind::Sram => "sram",
            MemoryKind::Hbm => "hbm",
        })
    }
}

impl FromStr for MemoryKind {
    type Err = ModelError;
    fn from_str(text: &str) -> Result<MemoryKind, ModelError> {
        match text {
            "tcm" => Ok(MemoryKind::Tcm),
            "sram" => Ok(MemoryKind::Sram),
            "hbm" => Ok(MemoryKind::Hbm),
            _ => Err(ModelError::UnknownMemoryKind {
                text: text.to_owned(),
            }),
        }
    }
}

impl MemoriesSpec {
    /// The spec of one kind of memory.
    pub fn get(&self, kind: MemoryKind) -> &MemorySpec {
        match kind {
            MemoryKind::Tcm => &self.tcm,
            MemoryKind::Sram => &self.sram,
            MemoryKind::Hbm => &self.hbm,
        }
    }
}

/// How the members of one level (PEs of a SIP, SIPs of a cube, cubes) are joined.
///
/// Members are numbered `0..n`. Every generated connection except in `Ring` and `Explicit` is
/// full duplex (two directed links). Sizes must match the count at the level exactly.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub enum Shape {
    /// Unidirectional ring: `i -> i+1 mod n` (n links; none for n = 1).
    Ring,
    /// Ring in both directions (2n links; a ring of 2 is one full-duplex pair).
    BidirectionalRing,
    /// `rows x cols` grid, member `r * cols + c`, joined to its grid neighbours.
    Mesh2D(u32, u32),
    /// A `Mesh2D` with wrap-around in both dimensions (no wrap for a dimension of 1 or 2
    /// beyond the mesh link).
    Torus2D(u32, u32),
    /// `x * y * z` torus, member `(i * y + j) * z + k`, wrap-around in all three dimensions.
    Torus3D(u32, u32, u32),
    /// Every member joined to every other (n(n-1) links).
    FullyConnected,
    /// A switch node joined to every member (full duplex); at PE level, no switch node: PEs
    /// reach each other only through the SIP's hub.
    Switch,
    /// Exactly these directed links `(from, to)`.
    Explicit(Vec<(u32, u32)>),
    /// These full-duplex connections: each `(a, b)` is the two links `a -> b` and `b -> a`.
    ExplicitDuplex(Vec<(u32, u32)>),
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Ring => f.write_str("Ring"),
            Shape::BidirectionalRing => f.write_str("BidirectionalRing"),
            Shape::Mesh2D(r, c) => write!(f, "Mesh2D({r}, {c})"),
            Shape::Torus2D(r, c) => write!(f, "Torus2D({r}, {c})"),
            Shape::Torus3D(x, y, z) => write!(f, "Torus3D({x}, {y}, {z})"),
            Shape::FullyConnected => f.write_str("FullyConnected"),
            Shape::Switch => f.write_str("Switch"),
            Shape::Explicit(links) => write!(f, "Explicit({} links)", links.len()),
            Shape::ExplicitDuplex(links) => write!(f, "ExplicitDuplex({} pairs)", links.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_kinds_round_trip_through_their_names() {
        for kind in MemoryKind::ALL {
            assert_eq!(kind.to_string().parse::<MemoryKind>().ok(), Some(kind));
        }
        let Err(e) = "dram".parse::<MemoryKind>() else {
            panic!("parsed")
        };
        assert_eq!(
            e.to_string(),
            "\"dram\" is not a memory kind; write tcm, sram or hbm"
        );
    }

    #[test]
    fn shapes_print_as_written() {
        assert_eq!(Shape::Mesh2D(3, 3).to_string(), "Mesh2D(3, 3)");
        assert_eq!(Shape::Torus3D(2, 2, 4).to_string(), "Torus3D(2, 2, 4)");
        assert_eq!(
            Shape::Explicit(vec![(0, 1)]).to_string(),
            "Explicit(1 links)"
        );
    }
}
