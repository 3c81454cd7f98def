//! The messages a stalled run sent and nobody received, and beside each receive that waits
//! the unreceived message nearest to it: the usual trace of a wrong peer, source or tag.
//!
//! Both come from the machine's message ledger ([`MessageLog`](kernbench_model::MessageLog)).
//! How near a message is to a receive that waits for sender `S` to send to `R` with tag `t`
//! ([`Relation`], nearest first): the message itself still in flight; `S`'s message to `R`
//! with another tag (a wrong tag); `S`'s message with tag `t` to another receiver (a wrong
//! peer); a message to `R` with tag `t` from another sender (a wrong source); then any message
//! of `S`, then any message to `R`. A message between the very two parties comes before the
//! others because schedules reuse tags (a tree's up and down channels), so a message of the
//! same tag between other parties may be one of another step, met by coincidence. Among
//! equals, one of the receive's own scope (collective call) first, then the one sent first.

use kernbench_model::{Party, UnreceivedMessage, WaitingReceive};
use serde::Serialize;

/// How an unreceived message relates to a receive that waits, nearest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The message the receive waits for, still in flight.
    InFlight,
    /// From its sender to it, but with another tag.
    WrongTag,
    /// From the sender it waits for, with its tag, but to another receiver.
    WrongPeer,
    /// To it, with its tag, but from another sender.
    WrongSource,
    /// From its sender, to another receiver, with another tag.
    SameSender,
    /// To it, from another sender, with another tag.
    SameReceiver,
}

/// The unreceived message nearest to a receive that waits, and how it relates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Nearest {
    /// How it relates.
    pub relation: Relation,
    /// The message.
    pub message: UnreceivedMessage,
}

/// A receive that waits, in the process that waits in it, with the nearest unreceived
/// message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockedReceive {
    /// The process that waits in it, by name, if it is among the blocked processes.
    pub process: Option<String>,
    /// What it waits for, and since when.
    pub receive: WaitingReceive,
    /// The nearest unreceived message, if any is from its sender or to its receiver.
    pub nearest: Option<Nearest>,
}

/// The unreceived message nearest to `receive` (see the module docs), if any is related.
pub(crate) fn nearest(
    receive: &WaitingReceive,
    unreceived: &[UnreceivedMessage],
) -> Option<Nearest> {
    unreceived
        .iter()
        .filter_map(|m| {
            let relation = relation(receive, m)?;
            let other_scope = m.scope != receive.scope;
            Some(((relation, other_scope, m.sequence), m))
        })
        .min_by_key(|(key, _)| *key)
        .map(|((relation, _, _), m)| Nearest {
            relation,
            message: *m,
        })
}

/// How `m` relates to the waiting receive `r`, if at all (see the module docs).
pub(crate) fn relation(r: &WaitingReceive, m: &UnreceivedMessage) -> Option<Relation> {
    let same_tag = r.tag.is_none_or(|t| t == m.tag);
    let (same_from, same_to) = (m.from == r.from, m.to == r.at);
    Some(match (same_from, same_to, same_tag) {
        (true, true, true) if m.arrived.is_none() => Relation::InFlight,
        // Arrived and still unreceived: another scope's (this one would have been taken).
        (true, true, true) => Relation::SameSender,
        (true, false, true) => Relation::WrongPeer,
        (false, true, true) => Relation::WrongSource,
        (true, true, false) => Relation::WrongTag,
        (true, false, false) => Relation::SameSender,
        (false, true, false) => Relation::SameReceiver,
        (false, false, _) => return None,
    })
}

/// How a tag reads between these parties: a collective's is its mailbox `channel 7`, a PE
/// message's `tag 7`.
pub(crate) fn tag_text(party: Party, tag: u32) -> String {
    match party {
        Party::Rank(_) => format!("channel {tag}"),
        Party::Pe(_) => format!("tag {tag}"),
    }
}

/// The tag a receive waits for: `channel 0`, `tag 7`, or `any tag`.
pub(crate) fn wanted_tag(receive: &WaitingReceive) -> String {
    match receive.tag {
        Some(tag) => tag_text(receive.at, tag),
        None => "any tag".to_string(),
    }
}

/// Where a message got to: `arrived 1.285 us, never received` or `sent 0 ps, never arrived`.
pub(crate) fn fate(m: &UnreceivedMessage) -> String {
    match m.arrived {
        Some(at) => format!("arrived {at}, never received"),
        None => format!("sent {}, never arrived", m.sent),
    }
}

/// One line of the unmatched messages: `rank2 -> rank4 (all-reduce#0, channel 0, 4 KiB,
/// addressed to rank3), sent 4.727 us, arrived 6.012 us, never received` (`addressed to`
/// only where a fault sent it elsewhere).
pub fn message_line(m: &UnreceivedMessage) -> String {
    let scope = m.scope.map(|s| format!("{s}, ")).unwrap_or_default();
    let addressed = m
        .addressed_to
        .map(|p| format!(", addressed to {p}"))
        .unwrap_or_default();
    let when = match m.arrived {
        Some(at) => format!("sent {}, arrived {at}, never received", m.sent),
        None => format!("sent {}, never arrived (in flight)", m.sent),
    };
    format!(
        "{} -> {} ({scope}{}, {}{addressed}), {when}",
        m.from,
        m.to,
        tag_text(m.from, m.tag),
        m.bytes
    )
}

impl BlockedReceive {
    /// The receive and its nearest unreceived message in one line, or `None` without one:
    /// `rank3 waits for rank2 (channel 0); rank2's message went to rank4 (channel 0, 4 KiB,
    /// arrived 1.285 us, never received)`.
    pub fn nearest_line(&self) -> Option<String> {
        let r = &self.receive;
        let Nearest { relation, message } = self.nearest?;
        let m = &message;
        let (tag, bytes, fate) = (tag_text(m.from, m.tag), m.bytes, fate(m));
        let what = match relation {
            Relation::InFlight => format!(
                "{}'s message is still in flight ({tag}, {bytes}, {fate})",
                m.from
            ),
            Relation::WrongPeer => {
                format!(
                    "{}'s message went to {} ({tag}, {bytes}, {fate})",
                    m.from, m.to
                )
            }
            Relation::WrongSource => {
                format!(
                    "{}'s message to it is there ({tag}, {bytes}, {fate})",
                    m.from
                )
            }
            Relation::WrongTag => {
                format!("{}'s message to it came on {tag} ({bytes}, {fate})", m.from)
            }
            Relation::SameSender => format!(
                "{}'s nearest unreceived message went to {} on {tag} ({bytes}, {fate})",
                m.from, m.to
            ),
            Relation::SameReceiver => format!(
                "the nearest unreceived message to {} is {}'s on {tag} ({bytes}, {fate})",
                m.to, m.from
            ),
        };
        Some(format!(
            "{} waits for {} ({}); {what}",
            r.at,
            r.from,
            wanted_tag(r)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernbench_engine::SimTime;
    use kernbench_model::{Bytes, Scope};

    const SCOPE: Option<Scope> = Some(Scope {
        name: "all-reduce",
        instance: 0,
    });

    fn message(sequence: u64, from: u32, to: u32, tag: u32, arrived: bool) -> UnreceivedMessage {
        UnreceivedMessage {
            sequence,
            from: Party::Rank(from),
            to: Party::Rank(to),
            addressed_to: None,
            scope: SCOPE,
            tag,
            bytes: Bytes(4096),
            sent: SimTime::ZERO,
            arrived: arrived.then_some(SimTime::from_ns(1)),
        }
    }

    fn waiting(at: u32, from: u32, tag: u32) -> WaitingReceive {
        WaitingReceive {
            process: None,
            at: Party::Rank(at),
            from: Party::Rank(from),
            scope: SCOPE,
            tag: Some(tag),
            since: SimTime::ZERO,
        }
    }

    #[test]
    fn the_nearest_message_is_the_wrong_tag_before_the_wrong_peer_before_the_wrong_source() {
        let r = waiting(3, 2, 0);
        let all = [
            message(0, 5, 3, 0, true), // wrong source
            message(1, 2, 4, 0, true), // wrong peer
            message(2, 2, 3, 1, true), // wrong tag
            message(3, 6, 7, 0, true), // unrelated
        ];
        let relation = |ms: &[UnreceivedMessage]| nearest(&r, ms).map(|n| n.relation);
        assert_eq!(relation(&all), Some(Relation::WrongTag));
        assert_eq!(relation(&all[..2]), Some(Relation::WrongPeer));
        assert_eq!(relation(&all[..1]), Some(Relation::WrongSource));
        assert_eq!(relation(&all[3..]), None);
        assert_eq!(
            relation(&[message(4, 2, 3, 0, false)]),
            Some(Relation::InFlight)
        );
    }

    #[test]
    fn a_receive_and_its_nearest_message_read_as_one_line() {
        let b = BlockedReceive {
            process: None,
            receive: waiting(3, 2, 0),
            nearest: nearest(&waiting(3, 2, 0), &[message(0, 2, 4, 0, true)]),
        };
        assert_eq!(
            b.nearest_line().as_deref(),
            Some(
                "rank3 waits for rank2 (channel 0); rank2's message went to rank4 (channel 0, 4 KiB, arrived 1 ns, never received)"
            )
        );
        assert_eq!(
            message_line(&message(0, 2, 4, 0, false)),
            "rank2 -> rank4 (all-reduce#0, channel 0, 4 KiB), sent 0 ps, never arrived (in flight)"
        );
    }
}
