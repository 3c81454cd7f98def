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

fn links_as_strings<S: serde::Serializer>(links: &[(Node, Node)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(links.iter().map(|(a, b)| format!("{a} -> {b}")))
}

fn memories_as_strings<S: serde::Serializer>(
    overrides: &[(u32, MemoryKind)],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(overrides.iter().map(|(r, m)| (r, m.to_string())))
}
