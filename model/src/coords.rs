//! Coordinates: [`SipId`], [`PeId`], [`SwitchId`] and [`Node`], printing as `c0.s1`,
//! `c0.s1.p3`, `c0.sw`, `rail3.sw`, `c0.s1.p3.tcm`, `c0.s1.hub`, and parsing back from those.

use std::fmt;
use std::str::FromStr;

use crate::error::ModelError;

/// A SIP (one chip, one rank): SIP `sip` of cube `cube`. Prints as `c0.s1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SipId {
    /// The cube, `0..cube_count`.
    pub cube: u32,
    /// The SIP within its cube, `0..sips_per_cube`.
    pub sip: u32,
}

/// A PE: PE `pe` of SIP `sip` of cube `cube`. Prints as `c0.s1.p3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeId {
    /// The cube.
    pub cube: u32,
    /// The SIP within its cube.
    pub sip: u32,
    /// The PE within its SIP, `0..pes_per_sip` (the kernel's `program_id`).
    pub pe: u32,
}

impl PeId {
    /// The SIP this PE belongs to.
    pub const fn sip_id(self) -> SipId {
        SipId {
            cube: self.cube,
            sip: self.sip,
        }
    }
}

impl SipId {
    /// PE `pe` of this SIP.
    pub const fn pe(self, pe: u32) -> PeId {
        PeId {
            cube: self.cube,
            sip: self.sip,
            pe,
        }
    }
}

/// A switch node added by a `Switch` shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SwitchId {
    /// The switch joining the hubs of the SIPs of one cube (SIP-level `Switch`). Prints `c0.sw`.
    Cube(u32),
    /// The switch joining SIP `s` of every cube (cube-level `Switch`, one per rail). Prints
    /// `rail3.sw`.
    Rail(u32),
}

/// A node of the topology graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    /// A processing element.
    Pe(PeId),
    /// A PE's tightly-coupled memory, `c0.s1.p3.tcm`.
    Tcm(PeId),
    /// A SIP's crossbar and off-chip port, `c0.s1.hub`; every path into or out of a SIP
    /// passes through it.
    Hub(SipId),
    /// A SIP's SRAM, `c0.s1.sram`.
    Sram(SipId),
    /// A SIP's HBM, `c0.s1.hbm`.
    Hbm(SipId),
    /// A switch.
    Switch(SwitchId),
}

impl Node {
    /// The SIP the node belongs to; `None` for switches.
    pub const fn sip(self) -> Option<SipId> {
        match self {
            Node::Pe(pe) | Node::Tcm(pe) => Some(pe.sip_id()),
            Node::Hub(sip) | Node::Sram(sip) | Node::Hbm(sip) => Some(sip),
            Node::Switch(_) => None,
        }
    }
}

impl fmt::Display for SipId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}.s{}", self.cube, self.sip)
    }
}

impl fmt::Display for PeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}.s{}.p{}", self.cube, self.sip, self.pe)
    }
}

impl fmt::Display for SwitchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SwitchId::Cube(cube) => write!(f, "c{cube}.sw"),
            SwitchId::Rail(sip) => write!(f, "rail{sip}.sw"),
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Pe(pe) => write!(f, "{pe}"),
            Node::Tcm(pe) => write!(f, "{pe}.tcm"),
            Node::Hub(sip) => write!(f, "{sip}.hub"),
            Node::Sram(sip) => write!(f, "{sip}.sram"),
            Node::Hbm(sip) => write!(f, "{sip}.hbm"),
            Node::Switch(sw) => write!(f, "{sw}"),
        }
    }
}

/// Parses `prefix` followed by a decimal number (no sign, no leading `+`).
fn numbered(part: &str, prefix: &str) -> Option<u32> {
    let digits = part.strip_prefix(prefix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn parse_node(text: &str) -> Option<Node> {
    let parts: Vec<&str> = text.split('.').collect();
    match parts.as_slice() {
        [rail, "sw"] if rail.starts_with("rail") => {
            Some(Node::Switch(SwitchId::Rail(numbered(rail, "rail")?)))
        }
        [cube, "sw"] => Some(Node::Switch(SwitchId::Cube(numbered(cube, "c")?))),
        [cube, sip, rest @ ..] => {
            let sip = SipId {
                cube: numbered(cube, "c")?,
                sip: numbered(sip, "s")?,
            };
            match rest {
                ["hub"] => Some(Node::Hub(sip)),
                ["sram"] => Some(Node::Sram(sip)),
                ["hbm"] => Some(Node::Hbm(sip)),
                [pe] => Some(Node::Pe(sip.pe(numbered(pe, "p")?))),
                [pe, "tcm"] => Some(Node::Tcm(sip.pe(numbered(pe, "p")?))),
                _ => None,
            }
        }
        _ => None,
    }
}

impl FromStr for Node {
    type Err = ModelError;
    fn from_str(text: &str) -> Result<Node, ModelError> {
        parse_node(text).ok_or_else(|| ModelError::BadCoordinate {
            text: text.to_owned(),
        })
    }
}

impl FromStr for PeId {
    type Err = ModelError;
    fn from_str(text: &str) -> Result<PeId, ModelError> {
        match parse_node(text) {
            Some(Node::Pe(pe)) => Ok(pe),
            _ => Err(ModelError::BadCoordinate {
                text: text.to_owned(),
            }),
        }
    }
}

impl FromStr for SipId {
    type Err = ModelError;
    fn from_str(text: &str) -> Result<SipId, ModelError> {
        let bad = || ModelError::BadCoordinate {
            text: text.to_owned(),
        };
        let (cube, sip) = text.split_once('.').ok_or_else(bad)?;
        Ok(SipId {
            cube: numbered(cube, "c").ok_or_else(bad)?,
            sip: numbered(sip, "s").ok_or_else(bad)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_node_kind_round_trips_through_its_printed_form() {
        let sip = SipId { cube: 0, sip: 1 };
        let pe = sip.pe(3);
        let nodes = [
            Node::Pe(pe),
            Node::Tcm(pe),
            Node::Hub(sip),
            Node::Sram(sip),
            Node::Hbm(sip),
            Node::Switch(SwitchId::Cube(2)),
            Node::Switch(SwitchId::Rail(3)),
        ];
        let printed: Vec<String> = nodes.iter().map(Node::to_string).collect();
        assert_eq!(
            printed,
            [
                "c0.s1.p3",
                "c0.s1.p3.tcm",
                "c0.s1.hub",
                "c0.s1.sram",
                "c0.s1.hbm",
                "c2.sw",
                "rail3.sw"
            ]
        );
        for (node, text) in nodes.iter().zip(&printed) {
            assert_eq!(text.parse::<Node>().ok(), Some(*node));
        }
        assert_eq!("c0.s1.p3".parse::<PeId>().ok(), Some(pe));
        assert_eq!("c0.s1".parse::<SipId>().ok(), Some(sip));
    }

    #[test]
    fn malformed_coordinates_are_errors() {
        for bad in [
            "",
            "c0",
            "c0.s1.p",
            "c0.s1.p-1",
            "c0.s1.q3",
            "c0.s1.p3.hbm",
            "x.sw",
            "c+1.s0.hub",
            "c0.s1.p99999999999",
        ] {
            assert!(bad.parse::<Node>().is_err(), "{bad} parsed");
        }
        let Err(e) = "c0.s1.pe3".parse::<Node>() else {
            panic!("parsed")
        };
        assert!(
            e.to_string()
                .starts_with("\"c0.s1.pe3\" is not a node coordinate; write one of c0.s1.p3")
        );
        assert!("c0.s1.hub".parse::<PeId>().is_err());
    }
}
