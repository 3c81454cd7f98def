//! The likely cause of a stall, in one sentence: what a report says first.
//!
//! [`classify`] reads the evidence of a stalled run (the engine's report of who waits for
//! what, the unreceived messages and the receives that wait, packets lost on cut links) and
//! names one [`Cause`], trying in this order and taking the first that fits:
//!
//! 1. a livelock, or a run stopped at its time bound (the stall's own kind);
//! 2. a cut link that lost packets;
//! 3. a rank (or PE) that finished while others wait to receive from it;
//! 4. a receive whose nearest unreceived message is its sender's to it on another tag (a
//!    wrong tag, or a skipped send when the two had exchanged messages before), then its
//!    sender's with its tag to another receiver (a send to the wrong peer), then one to it
//!    with its tag from another sender (a receive from the wrong peer);
//! 5. a PE program whose waiting PEs are all blocked in IPCQ sends (send-first on a zero-depth
//!    queue, or on full queues);
//! 6. a wait-for cycle: of receives before sends, or of waits in general;
//! 7. otherwise none found.
//!
//! Only what the run shows is used, never the faults that were injected: a report of a real
//! bug reads the same.

use std::fmt;

use kernbench_engine::{DeadlockReport, SimTime};
use kernbench_model::{
    LostPacket, MessageLedger, Node, Party, Topology, UnreceivedMessage, WaitingReceive,
};
use serde::Serialize;

use super::parties::{cycle_parties, list, names, party_of, rotate_for_runs};
use super::unmatched::{BlockedReceive, Relation, relation, tag_text};
use crate::runner::StallKind;

/// The smallest IPCQ depth at which a PE program completes, as a cause reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum DepthAnswer {
    /// It completes from `depth` on.
    Completes {
        /// The smallest depth.
        depth: usize,
    },
    /// It stalls at every depth up to `max`.
    NoneUpTo {
        /// The deepest depth tried.
        max: usize,
    },
}

/// The likely cause of a stall; its [`Display`](fmt::Display) is the sentence a report opens
/// with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum Cause {
    /// Events kept firing, nothing moved.
    Livelock {
        /// Events run without progress.
        events_without_progress: u64,
        /// A process that kept waking, and what it waited on last.
        active: Option<(String, String)>,
    },
    /// The run passed its time bound still moving.
    TimeBound {
        /// The bound.
        bound: SimTime,
    },
    /// A cut link lost packets.
    CutLink {
        /// The link, `from -> to`.
        link: String,
        /// Packets it lost.
        lost: usize,
        /// When it lost the first.
        first: SimTime,
        /// The sender and receiver of the first lost packet's transfer, if they are parties
        /// of the program.
        between: Option<(Party, Party)>,
        /// Whether that receiver waits to receive from that sender.
        awaited: bool,
    },
    /// A party others wait to receive from had finished.
    FinishedEarly {
        /// The party that finished.
        party: Party,
        /// The parties waiting to receive from it.
        waiting: Vec<Party>,
        /// How many messages it sent to others before it finished: none when it never
        /// joined, some when it left out the waiting parties (a skipped peer).
        sent_elsewhere: u64,
    },
    /// A sender's message went to another receiver than the one waiting for it.
    WrongPeer {
        /// The sender.
        sender: Party,
        /// The tag.
        tag: u32,
        /// Where the message went.
        went_to: Party,
        /// Who waits for it.
        waiting: Party,
        /// Other receives that wait for a message their sender sent elsewhere.
        more: usize,
        /// Another reading of the same message, if it tells one.
        #[serde(skip_serializing_if = "Option::is_none")]
        also: Option<Box<Cause>>,
    },
    /// A receive waits for one sender while another's message for it is unreceived.
    WrongSource {
        /// The receiver.
        receiver: Party,
        /// The sender it waits for.
        waits_for: Party,
        /// The tag.
        tag: u32,
        /// The sender whose message it did not take.
        sender: Party,
        /// Another reading of the same message, if it tells one.
        #[serde(skip_serializing_if = "Option::is_none")]
        also: Option<Box<Cause>>,
    },
    /// The sender's message to the receiver came with another tag than the one awaited.
    WrongTag {
        /// The sender.
        sender: Party,
        /// The receiver.
        receiver: Party,
        /// The tag awaited.
        awaited: u32,
        /// The tag the message carries.
        carried: u32,
        /// Another reading of the same message, if it tells one.
        #[serde(skip_serializing_if = "Option::is_none")]
        also: Option<Box<Cause>>,
    },
    /// The sender never sent the message awaited, though it had sent the receiver others
    /// before and a later one came.
    SkippedSend {
        /// The sender.
        sender: Party,
        /// The receiver.
        receiver: Party,
        /// The tag awaited.
        awaited: u32,
        /// The tag of the message that came.
        carried: u32,
        /// Another reading of the same message, if it tells one.
        #[serde(skip_serializing_if = "Option::is_none")]
        also: Option<Box<Cause>>,
    },
    /// Every waiting PE is blocked in a send on a full IPCQ (at depth 0: every send).
    FullQueues {
        /// The IPCQ depth of the run.
        depth: usize,
        /// The smallest depth that completes, if it was searched for.
        completes: Option<DepthAnswer>,
    },
    /// A wait-for cycle in which every process waits to receive (or for one that does).
    ReceiveCycle {
        /// The cycle's parties, each waiting for the next (or its processes' names).
        cycle: Vec<String>,
        /// Written short, e.g. `ranks 7..0`.
        text: String,
    },
    /// A wait-for cycle with sends or other waits on it.
    WaitCycle {
        /// The cycle's parties, each waiting for the next (or its processes' names).
        cycle: Vec<String>,
        /// Written short.
        text: String,
    },
    /// None of the above.
    Unknown {
        /// Processes waiting.
        waiting: usize,
    },
}

/// What [`classify`] reads.
pub(crate) struct Evidence<'a> {
    pub(crate) kind: StallKind,
    pub(crate) report: &'a DeadlockReport,
    pub(crate) ledger: &'a MessageLedger,
    pub(crate) receives: &'a [BlockedReceive],
    pub(crate) lost: &'a [LostPacket],
    pub(crate) topology: &'a Topology,
    /// Whether the program is a PE program (talking over IPCQs).
    pub(crate) pe_program: bool,
    pub(crate) ipcq_depth: usize,
}

/// The likely cause of the stall `evidence` describes (see the module docs for the order).
pub(crate) fn classify(evidence: &Evidence) -> Cause {
    let report = evidence.report;
    match evidence.kind {
        StallKind::Livelock {
            events_without_progress,
        } => {
            let active = report
                .blocked
                .iter()
                .filter(|b| !b.daemon)
                .flat_map(|b| b.waits.iter().map(move |w| (b, w)))
                .find(|(_, w)| w.since == report.time && !is_message_wait(&w.label))
                .map(|(b, w)| {
                    let name = b.process.name.clone().unwrap_or_default();
                    let who = party_of(&name).map_or(name, |p| p.to_string());
                    (who, w.label.clone())
                });
            return Cause::Livelock {
                events_without_progress,
                active,
            };
        }
        StallKind::TimeBound { bound } => return Cause::TimeBound { bound },
        StallKind::Deadlock => {}
    }
    if let Some(cause) = cut_link(evidence) {
        return cause;
    }
    if let Some(cause) = finished_early(evidence) {
        return cause;
    }
    if let Some(cause) = mismatch(evidence) {
        return cause;
    }
    let waiting: Vec<_> = report.blocked.iter().filter(|b| !b.daemon).collect();
    let all_send = waiting
        .iter()
        .all(|b| b.waits.iter().all(|w| w.label.starts_with("send ")));
    if evidence.pe_program && !waiting.is_empty() && all_send {
        return Cause::FullQueues {
            depth: evidence.ipcq_depth,
            completes: None,
        };
    }
    if let Some(cycle) = report.cycles.first() {
        let sends = cycle.iter().any(|p| {
            report.blocked.iter().any(|b| {
                b.process.id == p.id && b.waits.iter().any(|w| w.label.starts_with("send "))
            })
        });
        let (cycle, text) = match cycle_parties(cycle) {
            Some(parties) => {
                let parties = rotate_for_runs(&parties);
                let text = list(&parties);
                (parties.iter().map(Party::to_string).collect(), text)
            }
            None => {
                let names: Vec<String> = cycle.iter().map(|p| p.to_string()).collect();
                let text = names.join(", ");
                (names, text)
            }
        };
        return if sends {
            Cause::WaitCycle { cycle, text }
        } else {
            Cause::ReceiveCycle { cycle, text }
        };
    }
    Cause::Unknown {
        waiting: waiting.len(),
    }
}

/// Whether a wait label is a message's: a receive or a send.
fn is_message_wait(label: &str) -> bool {
    label.starts_with("recv ") || label.starts_with("send ")
}

/// The first cut link that lost a packet, with the parties of that packet's transfer.
fn cut_link(evidence: &Evidence) -> Option<Cause> {
    let first = evidence.lost.first()?;
    let lost = evidence
        .lost
        .iter()
        .filter(|p| p.link == first.link)
        .count();
    let party = |node: Node| party_at(node, evidence);
    let between = party(first.transfer.0).zip(party(first.transfer.1));
    let awaited = between.is_some_and(|(from, to)| {
        evidence
            .receives
            .iter()
            .any(|r| r.receive.from == from && r.receive.at == to)
    });
    Some(Cause::CutLink {
        link: format!("{} -> {}", first.link.0, first.link.1),
        lost,
        first: first.at,
        between,
        awaited,
    })
}

/// The party a transfer's end belongs to: a PE program's PE, a collective's rank.
fn party_at(node: Node, evidence: &Evidence) -> Option<Party> {
    if evidence.pe_program {
        match node {
            Node::Pe(pe) | Node::Tcm(pe) => Some(Party::Pe(pe)),
            _ => None,
        }
    } else {
        let sip = node.sip()?;
        evidence.topology.rank_of(sip).map(Party::Rank)
    }
}

/// The first party (in the order the waits began) that others wait to receive from and that
/// has no process left, though one of its processes finished.
fn finished_early(evidence: &Evidence) -> Option<Cause> {
    let report = evidence.report;
    let alive = |party: Party| {
        report
            .blocked
            .iter()
            .any(|b| b.process.name.as_deref().and_then(party_of) == Some(party))
    };
    let finished = |party: Party| {
        report
            .finished_processes
            .iter()
            .any(|p| p.name.as_deref().and_then(party_of) == Some(party))
    };
    let party = evidence
        .receives
        .iter()
        .map(|r| r.receive.from)
        .find(|&p| !alive(p) && finished(p))?;
    let mut waiting: Vec<Party> = evidence
        .receives
        .iter()
        .filter(|r| r.receive.from == party)
        .map(|r| r.receive.at)
        .collect();
    waiting.sort();
    waiting.dedup();
    let ledger = evidence.ledger;
    let sent_elsewhere = ledger
        .received
        .iter()
        .filter(|((from, to, _), _)| *from == party && !waiting.contains(to))
        .map(|(_, count)| *count)
        .sum::<u64>()
        + ledger
            .unreceived
            .iter()
            .filter(|m| m.from == party && !waiting.contains(&m.to))
            .count() as u64;
    Some(Cause::FinishedEarly {
        party,
        waiting,
        sent_elsewhere,
    })
}

/// A wrong tag, peer or source, from the receive whose nearest message relates best (ties:
/// the receive that has waited longest, then the lowest tag). The same message may tell
/// another story to another receive (rank 0 waits for rank 2 on channel 0 while rank 2's
/// message to it came on channel 1, and rank 5 waits for rank 2 on channel 1): schedules
/// reuse tags, so the first other story is given as [`also`](Cause::WrongTag::also).
fn mismatch(evidence: &Evidence) -> Option<Cause> {
    let is_mismatch = |relation: Relation| {
        matches!(
            relation,
            Relation::WrongPeer | Relation::WrongSource | Relation::WrongTag
        )
    };
    let (nearest, receive) = evidence
        .receives
        .iter()
        .filter_map(|r| r.nearest.map(|n| (n, r)))
        .filter(|(n, _)| is_mismatch(n.relation))
        .min_by_key(|(n, r)| (n.relation, r.receive.since, r.receive.tag, r.receive.at))?;
    let m = &nearest.message;
    let also = evidence.receives.iter().find_map(|other| {
        let relation = relation(&other.receive, m).filter(|&r| is_mismatch(r))?;
        (relation != nearest.relation).then(|| story(relation, &other.receive, m, 0, evidence))
    });
    let more = match nearest.relation {
        Relation::WrongPeer => evidence
            .receives
            .iter()
            .filter(|o| o.nearest.is_some_and(|n| n.relation == Relation::WrongPeer))
            .count()
            .saturating_sub(1),
        _ => 0,
    };
    let mut cause = story(nearest.relation, &receive.receive, m, more, evidence);
    if let Some(other) = also {
        cause.set_also(other);
    }
    Some(cause)
}

/// The cause a mismatch between the waiting receive `r` and the message `m` tells.
fn story(
    relation: Relation,
    r: &WaitingReceive,
    m: &UnreceivedMessage,
    more: usize,
    evidence: &Evidence,
) -> Cause {
    match relation {
        Relation::WrongPeer => Cause::WrongPeer {
            sender: m.from,
            tag: m.tag,
            went_to: m.to,
            waiting: r.at,
            more,
            also: None,
        },
        Relation::WrongSource => Cause::WrongSource {
            receiver: r.at,
            waits_for: r.from,
            tag: m.tag,
            sender: m.from,
            also: None,
        },
        _ => {
            let awaited = r.tag.unwrap_or(m.tag);
            let delivered_before = evidence
                .ledger
                .received
                .iter()
                .any(|((from, to, scope), n)| {
                    *from == r.from && *to == r.at && *scope == r.scope && *n > 0
                });
            if delivered_before {
                Cause::SkippedSend {
                    sender: m.from,
                    receiver: r.at,
                    awaited,
                    carried: m.tag,
                    also: None,
                }
            } else {
                Cause::WrongTag {
                    sender: m.from,
                    receiver: r.at,
                    awaited,
                    carried: m.tag,
                    also: None,
                }
            }
        }
    }
}

impl Cause {
    /// Gives a mismatch cause another reading of the same message.
    fn set_also(&mut self, other: Cause) {
        match self {
            Cause::WrongPeer { also, .. }
            | Cause::WrongSource { also, .. }
            | Cause::WrongTag { also, .. }
            | Cause::SkippedSend { also, .. } => *also = Some(Box::new(other)),
            _ => {}
        }
    }

    /// The other reading of a mismatch cause's message, if it has one.
    fn also(&self) -> Option<&Cause> {
        match self {
            Cause::WrongPeer { also, .. }
            | Cause::WrongSource { also, .. }
            | Cause::WrongTag { also, .. }
            | Cause::SkippedSend { also, .. } => also.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for Cause {
    /// One sentence; a mismatch with another reading gives it after a semicolon: `...came on
    /// channel 1; or else a send to the wrong peer: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.clause(f)?;
        if let Some(other) = self.also() {
            f.write_str("; or else ")?;
            other.clause(f)?;
        }
        f.write_str(".")
    }
}

impl Cause {
    /// The sentence without its full stop (and without [`also`](Cause::also)).
    fn clause(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Livelock {
                events_without_progress,
                active,
            } => {
                write!(
                    f,
                    "a livelock: for {events_without_progress} events nothing moved"
                )?;
                if let Some((who, label)) = active {
                    write!(f, " while {who} kept waking ({label})")?;
                }
                Ok(())
            }
            Cause::TimeBound { bound } => write!(
                f,
                "none yet: the run was still moving when it passed its time bound of {bound}; raise time_bound (or --time-bound) if it is only slow"
            ),
            Cause::CutLink {
                link,
                lost,
                first,
                between,
                awaited,
            } => {
                let packets = if *lost == 1 { "packet" } else { "packets" };
                write!(
                    f,
                    "a cut link: {link} lost {lost} {packets} from {first} on, so "
                )?;
                match between {
                    Some((from, to)) => {
                        write!(f, "{from}'s messages to {to} never arrive")?;
                        if *awaited {
                            write!(f, ", and {to} waits for them")?;
                        }
                    }
                    None => f.write_str("the transfers routed over it never end")?,
                }
                Ok(())
            }
            Cause::FinishedEarly {
                party,
                waiting,
                sent_elsewhere,
            } => {
                let kind = match party {
                    Party::Rank(_) => "rank",
                    Party::Pe(_) => "PE",
                };
                let verb = if waiting.len() == 1 { "waits" } else { "wait" };
                if *sent_elsewhere > 0 {
                    let messages = if *sent_elsewhere == 1 {
                        "message"
                    } else {
                        "messages"
                    };
                    write!(
                        f,
                        "a skipped peer: {party} finished after sending {sent_elsewhere} {messages} to others but none to {}, which {verb} to receive from it",
                        names(waiting)
                    )
                } else {
                    write!(
                        f,
                        "a {kind} that finished early: {party} had finished (it never joined, or returned early) while {} {verb} to receive from it",
                        names(waiting)
                    )
                }
            }
            Cause::WrongPeer {
                sender,
                tag,
                went_to,
                waiting,
                more,
                ..
            } => {
                write!(
                    f,
                    "a send to the wrong peer: {sender}'s message on {} went to {went_to}, while {waiting} waits for it",
                    tag_text(*sender, *tag)
                )?;
                match more {
                    0 => Ok(()),
                    1 => f.write_str(" (1 more receive waits for a message sent elsewhere)"),
                    n => write!(f, " ({n} more receives wait for messages sent elsewhere)"),
                }
            }
            Cause::WrongSource {
                receiver,
                waits_for,
                tag,
                sender,
                ..
            } => {
                let tag = tag_text(*receiver, *tag);
                write!(
                    f,
                    "a receive from the wrong peer: {receiver} waits for {waits_for} on {tag}, while {sender}'s message to it on {tag} was never received"
                )
            }
            Cause::WrongTag {
                sender,
                receiver,
                awaited,
                carried,
                ..
            } => write!(
                f,
                "a message with the wrong tag: {receiver} waits for {sender} on {}, but {sender}'s message to it came on {}",
                tag_text(*sender, *awaited),
                tag_text(*sender, *carried)
            ),
            Cause::SkippedSend {
                sender,
                receiver,
                awaited,
                carried,
                ..
            } => write!(
                f,
                "a skipped send: {receiver} waits for {sender} on {}, which {sender} never sent, though its message on {} came",
                tag_text(*sender, *awaited),
                tag_text(*sender, *carried)
            ),
            Cause::FullQueues { depth, completes } => {
                if *depth == 0 {
                    f.write_str("send-first on a zero-depth IPCQ: every waiting PE sends before it receives, and at depth 0 each send waits for a receiver that is itself sending")?;
                } else {
                    write!(
                        f,
                        "sends on full IPCQs: every waiting PE is blocked in a send on an IPCQ of depth {depth} whose receiver is itself sending"
                    )?;
                }
                match completes {
                    Some(DepthAnswer::Completes { depth }) => {
                        write!(f, "; the smallest IPCQ depth that completes is {depth}")
                    }
                    Some(DepthAnswer::NoneUpTo { max }) => {
                        write!(f, "; no IPCQ depth up to {max} completes")
                    }
                    None => Ok(()),
                }
            }
            Cause::ReceiveCycle { cycle, text } => write!(
                f,
                "a cycle of receives before sends: {text} each wait to receive from the next before they send ({}-cycle)",
                cycle.len()
            ),
            Cause::WaitCycle { cycle, text } => write!(
                f,
                "a cycle of waits: {text} each wait for the next ({}-cycle)",
                cycle.len()
            ),
            Cause::Unknown { waiting } => write!(
                f,
                "not found: {waiting} processes wait with no unmatched message, finished peer, cut link or wait-for cycle to point at; read the waits below"
            ),
        }
    }
}
