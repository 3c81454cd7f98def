//! [`Link`]: one directed edge of the topology graph, and its [`LinkClass`].

use std::fmt;

use kernbench_engine::SimTime;

use crate::units::Bandwidth;

/// What a link joins; decides which spec field it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkClass {
    /// PE to PE inside a SIP (`pes.noc`).
    Noc,
    /// PE to its SIP's hub and back (`pes.port`).
    Port,
    /// PE to its TCM and back (`memory.tcm`).
    Tcm,
    /// Hub to the SIP's SRAM and back (`memory.sram`).
    Sram,
    /// Hub to the SIP's HBM and back (`memory.hbm`).
    Hbm,
    /// Hub to hub inside a cube (`sips.links`).
    SipLink,
    /// Hub to a cube's SIP switch and back (`sips.links` with shape `Switch`).
    SipSwitch,
    /// Hub to the hub of the same SIP index in another cube (`cubes.links`).
    CubeLink,
    /// Hub to its rail's cube-level switch and back (`cubes.links` with shape `Switch`).
    CubeSwitch,
}

impl LinkClass {
    /// Whether the link is between SIPs (SIP, cube or switch links), i.e. leaves a SIP.
    pub const fn is_between_sips(self) -> bool {
        matches!(
            self,
            LinkClass::SipLink | LinkClass::SipSwitch | LinkClass::CubeLink | LinkClass::CubeSwitch
        )
    }
}

impl fmt::Display for LinkClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkClass::Noc => "noc",
            LinkClass::Port => "port",
            LinkClass::Tcm => "tcm",
            LinkClass::Sram => "sram",
            LinkClass::Hbm => "hbm",
            LinkClass::SipLink => "sip-link",
            LinkClass::SipSwitch => "sip-switch",
            LinkClass::CubeLink => "cube-link",
            LinkClass::CubeSwitch => "cube-switch",
        })
    }
}

/// One directed link: a packet holds it for `bytes / bandwidth` and arrives `latency` later.
/// A full-duplex connection is two links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// Bytes per second in this direction.
    pub bandwidth: Bandwidth,
    /// Time from leaving one end to arriving at the other.
    pub latency: SimTime,
    /// What it joins.
    pub class: LinkClass,
}
