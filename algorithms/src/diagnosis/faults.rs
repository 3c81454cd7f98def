//! Faults injected on purpose to reproduce a hang: what the launcher and the PE launch read.
//!
//! This room knows only the faults; the launcher ([`crate::launch`]) reads them, the
//! diagnosis run sets them, and nothing here imports either.

use kernbench_model::{MemoryKind, Node};
use serde::Serialize;

/// Faults injected on purpose to reproduce a hang. Rank numbers are ranks (SIPs) for a
/// collective and program ids for a PE program.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Faults {
    /// Ranks that never join: their process finishes at once without taking part.
    pub never_joins: Vec<u32>,
    /// Ranks whose peer is off by one (collectives): every message they address to rank `r`
    /// goes to rank `r + 1 mod n` instead.
    pub peer_off_by_one: Vec<u32>,
    /// Ranks that send to another rank than the one they address (collectives).
    pub wrong_peers: Vec<WrongPeer>,
    /// Ranks that receive from another rank than the one they name (collectives).
    pub wrong_sources: Vec<WrongSource>,
    /// Ranks whose messages carry another tag (mailbox channel) than the one they give
    /// (collectives).
    pub wrong_tags: Vec<WrongTag>,
    /// Sends that are never made (collectives).
    pub skipped_steps: Vec<SkipsStep>,
    /// PEs whose `program_id` is mapped wrongly (PE programs): `(program, runs_as)`, the PE
    /// launched as `program` acts as program `runs_as` (see
    /// [`PeContext::as_program`](kernbench_model::PeContext::as_program)).
    pub wrong_program_id: Vec<(u32, u32)>,
    /// Directed links that are cut: routes do not change, packets that reach them are lost
    /// (see [`Machine::cut_link`](kernbench_model::Machine::cut_link)).
    #[serde(serialize_with = "links_as_strings")]
    pub cut_links: Vec<(Node, Node)>,
    /// Ranks whose buffer has another size than the scenario's (collectives): a count
    /// mismatch, as when one rank passes the wrong length.
    pub size_overrides: Vec<(u32, u64)>,
    /// Ranks whose buffer lives in another memory than the scenario's (collectives).
    #[serde(serialize_with = "memories_as_strings")]
    pub memory_overrides: Vec<(u32, MemoryKind)>,
}

/// Rank `rank` sends to `sends_to` every message it addresses to `instead_of` (to any rank,
/// if `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WrongPeer {
    /// The sender at fault.
    pub rank: u32,
    /// Where its messages go.
    pub sends_to: u32,
    /// The rank it addresses them to; `None`: whichever.
    pub instead_of: Option<u32>,
}

/// Rank `rank` waits for `receives_from` in every receive that names `instead_of` (any rank,
/// if `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WrongSource {
    /// The receiver at fault.
    pub rank: u32,
    /// The rank it waits for.
    pub receives_from: u32,
    /// The rank it names; `None`: whichever.
    pub instead_of: Option<u32>,
}

/// Every message rank `rank` sends carries its tag plus `off_by` (a collective's tag is its
/// mailbox channel).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WrongTag {
    /// The sender at fault.
    pub rank: u32,
    /// What it adds to every tag (not 0).
    pub off_by: u32,
}

/// Rank `rank` never makes its send number `step` (counted from 0, in the order its sends
/// start): the send returns at once and nothing moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SkipsStep {
    /// The sender at fault.
    pub rank: u32,
    /// Which of its sends it skips.
    pub step: u32,
}

impl Faults {
    /// Whether any fault changes what a rank's messages do (where they go, their tag, whether
    /// they are sent) or what its receives wait for: the launcher's fast path is for runs
    /// without.
    pub(crate) fn touches_messages(&self) -> bool {
        !(self.peer_off_by_one.is_empty()
            && self.wrong_peers.is_empty()
            && self.wrong_sources.is_empty()
            && self.wrong_tags.is_empty()
            && self.skipped_steps.is_empty())
    }
}

fn links_as_strings<S: serde::Serializer>(links: &[(Node, Node)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(links.iter().map(|(a, b)| format!("{a} -> {b}")))
}

fn memories_as_strings<S: serde::Serializer>(
    overrides: &[(u32, MemoryKind)],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(overrides.iter().map(|(r, m)| (r, m.to_string())))
}
