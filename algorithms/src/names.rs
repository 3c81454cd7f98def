//! The vocabulary of files and flags: collectives, the built-in algorithms (the registry of
//! built-in schedules), and the nccl-tests bus factor.

use std::fmt;
use std::rc::Rc;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::CollectiveError;
use crate::schedule::Schedule;

/// A collective operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Collective {
    /// Every rank ends with the reduction of all ranks' buffers.
    AllReduce,
    /// Rank `r` ends with segment `r` of the reduction.
    ReduceScatter,
    /// Every rank ends with every rank's segment.
    AllGather,
    /// Every rank ends with the root's buffer.
    Broadcast,
    /// The root ends with the reduction.
    Reduce,
    /// Rank `r` sends block `j` of its buffer to rank `j` (see [`crate::exchange`]).
    AllToAll,
    /// Each rank sends its buffer to one peer and receives one into it (see [`crate::Pairs`]).
    SendRecv,
    /// All-to-all with per-pair sizes ([`crate::exchange::SizeMatrix`]).
    AllToAllv,
}

impl Collective {
    /// Every collective, in a stable order.
    pub const ALL: [Collective; 8] = [
        Collective::AllReduce,
        Collective::ReduceScatter,
        Collective::AllGather,
        Collective::Broadcast,
        Collective::Reduce,
        Collective::AllToAll,
        Collective::SendRecv,
        Collective::AllToAllv,
    ];

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Collective::AllReduce => "all-reduce",
            Collective::ReduceScatter => "reduce-scatter",
            Collective::AllGather => "all-gather",
            Collective::Broadcast => "broadcast",
            Collective::Reduce => "reduce",
            Collective::AllToAll => "all-to-all",
            Collective::SendRecv => "send-recv",
            Collective::AllToAllv => "all-to-allv",
        }
    }

    /// What a refusal suggests instead: built-ins that run this collective on any topology.
    pub fn alternatives(self) -> &'static str {
        match self {
            Collective::AllReduce => "use ring",
            Collective::ReduceScatter | Collective::AllGather => {
                "use ring, halving-doubling or direct"
            }
            Collective::Broadcast | Collective::Reduce => "use tree or direct",
            Collective::AllToAll | Collective::AllToAllv => "use ring, pairwise or direct",
            Collective::SendRecv => "use direct",
        }
    }

    /// nccl-tests' bus bandwidth factor: `busbw = algbw * factor` makes the figure comparable
    /// to a link's bandwidth whatever the rank count (nccl-tests, doc/PERFORMANCE.md).
    pub fn busbw_factor(self, world_size: u32) -> f64 {
        let n = world_size.max(1) as f64;
        match self {
            Collective::AllReduce => 2.0 * (n - 1.0) / n,
            Collective::ReduceScatter | Collective::AllGather | Collective::AllToAll => {
                (n - 1.0) / n
            }
            // Measured on the bytes that crossed (see `RunReport`), not by a factor.
            Collective::AllToAllv => 1.0,
            Collective::Broadcast | Collective::Reduce | Collective::SendRecv => 1.0,
        }
    }
}

impl fmt::Display for Collective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Collective {
    type Err = CollectiveError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Collective::ALL
            .into_iter()
            .find(|c| c.name() == text)
            .ok_or_else(|| CollectiveError::UnknownName {
                what: "collective",
                text: text.to_string(),
                known: Collective::ALL.map(Collective::name).join(", "),
            })
    }
}

/// Declares [`Algorithm`], the built-in schedules by name: one line per built-in, its
/// variant and the unit struct in its file that implements [`Schedule`]. Everything else
/// (the list, the names in files and flags, parsing, the schedule itself) follows from it.
macro_rules! builtins {
    ($($(#[$doc:meta])* $variant:ident => $schedule:path,)*) => {
        /// A built-in algorithm: the vocabulary of files and flags for the built-in
        /// [`Schedule`]s (a library user passes their own `Rc<dyn Schedule>` instead).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Algorithm {
            $($(#[$doc])* $variant,)*
        }

        impl Algorithm {
            /// Every built-in, in a stable order (legends and tables follow it).
            pub const ALL: &'static [Algorithm] = &[$(Algorithm::$variant,)*];

            /// The built-in schedule this name stands for.
            pub fn schedule(self) -> &'static dyn Schedule {
                match self {
                    $(Algorithm::$variant => &$schedule,)*
                }
            }

            /// The same schedule as a shared handle, as runners and process groups take it.
            pub fn shared(self) -> Rc<dyn Schedule> {
                match self {
                    $(Algorithm::$variant => Rc::new($schedule),)*
                }
            }
        }
    };
}

builtins! {
    /// Ring: reduce-scatter then all-gather around a logical ring of ranks.
    Ring => crate::ring::Ring,
    /// 2D mesh / torus: along rows, then along columns.
    Mesh => crate::mesh::Mesh,
    /// Binary tree: reduce up, broadcast down, pipelined in chunks.
    Tree => crate::tree::BinaryTree,
    /// Two complementary binary trees, each carrying half the data.
    DoubleBinaryTree => crate::double_binary_tree::DoubleBinaryTree,
    /// Recursive halving (reduce-scatter) then doubling (all-gather).
    HalvingDoubling => crate::halving_doubling::HalvingDoubling,
    /// One shot: every rank sends each slice straight to its owner.
    Direct => crate::direct::Direct,
    /// Inside each cube, across cubes, inside again.
    Hierarchical => crate::hierarchical::Hierarchical,
    /// All-to-all in `n - 1` rounds, one partner each.
    Pairwise => crate::pairwise::Pairwise,
}

impl Algorithm {
    /// The name used in files and on the command line (the schedule's name).
    pub fn name(self) -> &'static str {
        self.schedule().name()
    }
}

impl From<Algorithm> for Rc<dyn Schedule> {
    fn from(algorithm: Algorithm) -> Rc<dyn Schedule> {
        algorithm.shared()
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = CollectiveError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .iter()
            .copied()
            .find(|a| a.name() == text)
            .ok_or_else(|| CollectiveError::UnknownName {
                what: "algorithm",
                text: text.to_string(),
                known: Algorithm::ALL
                    .iter()
                    .map(|a| a.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Collective::ALL {
            assert_eq!(c.name().parse::<Collective>().unwrap(), c);
        }
        for &a in Algorithm::ALL {
            assert_eq!(a.name().parse::<Algorithm>().unwrap(), a);
        }
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        assert_eq!(
            "rign".parse::<Algorithm>().unwrap_err().to_string(),
            "unknown algorithm \"rign\"; use one of: ring, mesh, tree, double-binary-tree, halving-doubling, direct, hierarchical, pairwise"
        );
    }

    #[test]
    fn bus_factors_follow_nccl_tests() {
        assert_eq!(Collective::AllReduce.busbw_factor(8), 1.75);
        assert_eq!(Collective::AllGather.busbw_factor(4), 0.75);
        assert_eq!(Collective::Broadcast.busbw_factor(16), 1.0);
    }
}
