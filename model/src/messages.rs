//! The message ledger: what a program sent and nobody received, kept only when asked for
//! ([`Machine::record_messages`], for deadlock diagnosis).
//!
//! A message enters the ledger when its send starts, is marked arrived when its last byte
//! has reached the receiver, and leaves the ledger when it is received. So a stalled run's
//! ledger holds exactly the messages nobody received: some still in flight (a packet lost on
//! a cut link), the others arrived and waiting in a mailbox or an IPCQ (or at the door of a
//! full one). Beside them it holds every receive still waiting, with what it waits for.
//! Collectives record the messages between ranks, PE programs those between PEs; this module
//! knows neither, only the two ends, a scope (which collective) and a tag.
//!
//! Only messages not yet received are kept, indexed by their (sender, receiver, scope), so
//! the ledger's size follows the messages in flight, not the messages of the run.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::rc::Rc;

use kernbench_engine::{ProcessId, SimTime};
use serde::{Serialize, Serializer};

use crate::coords::PeId;
use crate::machine::Machine;
use crate::units::Bytes;

/// One end of a message: a rank (collectives) or a PE (PE programs). Prints as `rank3` or
/// `c0.s0.p1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Party {
    /// A rank of a collective (one SIP).
    Rank(u32),
    /// A PE of a PE program.
    Pe(PeId),
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Party::Rank(rank) => write!(f, "rank{rank}"),
            Party::Pe(pe) => write!(f, "{pe}"),
        }
    }
}

impl Serialize for Party {
    /// As its printed name, `"rank3"` or `"c0.s0.p1"`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What a message belongs to beside its two ends, such as one collective call: `all-reduce#0`.
/// Messages of different scopes never match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    /// What runs, e.g. `all-reduce`.
    pub name: &'static str,
    /// Which call of it, counted from 0.
    pub instance: u64,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.name, self.instance)
    }
}

impl Serialize for Scope {
    /// As its printed name, `"all-reduce#0"`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A message nobody has received (yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UnreceivedMessage {
    /// Its place among all the messages of the run, in the order their sends started.
    pub sequence: u64,
    /// The sender.
    pub from: Party,
    /// Where it went.
    pub to: Party,
    /// The receiver its sender addressed, where that is not where it went (an injected
    /// fault sent it elsewhere, see [`MessageLog::addressed`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addressed_to: Option<Party>,
    /// What it belongs to, if anything.
    pub scope: Option<Scope>,
    /// Its tag: a collective's mailbox channel, a PE message's tag.
    pub tag: u32,
    /// Its size.
    #[serde(serialize_with = "bytes_as_u64")]
    pub bytes: Bytes,
    /// When its send started.
    pub sent: SimTime,
    /// When its last byte reached the receiver; `None` while in flight.
    pub arrived: Option<SimTime>,
}

/// A receive still waiting for its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WaitingReceive {
    /// The process that waits in it, if it runs in one.
    #[serde(skip)]
    pub process: Option<ProcessId>,
    /// The receiver.
    pub at: Party,
    /// The sender it waits for.
    pub from: Party,
    /// The scope it receives in.
    pub scope: Option<Scope>,
    /// The tag it waits for; `None`: any tag (the next message from `from`).
    pub tag: Option<u32>,
    /// Since when it waits.
    pub since: SimTime,
}

/// What the ledger holds at one moment (see [`MessageLog::snapshot`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MessageLedger {
    /// Messages sent and never received, in the order their sends started.
    pub unreceived: Vec<UnreceivedMessage>,
    /// Receives still waiting, in the order they began.
    pub waiting: Vec<WaitingReceive>,
    /// How many messages each (sender, receiver, scope) had delivered, for every pair that
    /// delivered any, in that order.
    #[serde(skip)]
    pub received: Vec<(Conversation, u64)>,
}

fn bytes_as_u64<S: Serializer>(bytes: &Bytes, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(bytes.0)
}

/// A message in the ledger: what [`MessageLog::sent`] returns, for
/// [`MessageLog::arrived`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentTicket {
    key: Key,
    sequence: u64,
}

/// A waiting receive in the ledger: what [`MessageLog::waiting`] returns, for
/// [`MessageLog::done_waiting`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitTicket(u64);

/// The messages between two parties in one scope: (sender, receiver, scope).
pub type Conversation = (Party, Party, Option<Scope>);

/// The ledger's index: the messages of one conversation are received in the order they
/// arrived.
type Key = Conversation;

#[derive(Debug, Default)]
struct Ledger {
    next: u64,
    unreceived: BTreeMap<Key, VecDeque<UnreceivedMessage>>,
    waiting: BTreeMap<u64, WaitingReceive>,
    received: BTreeMap<Key, u64>,
}

/// The machine's message ledger, when it keeps one ([`Machine::message_log`]). Cheap to
/// clone (shared).
#[derive(Clone, Debug, Default)]
pub struct MessageLog {
    inner: Rc<RefCell<Ledger>>,
}

impl MessageLog {
    /// A message's send starts at `now`: it enters the ledger, in flight.
    pub fn sent(
        &self,
        from: Party,
        to: Party,
        scope: Option<Scope>,
        tag: u32,
        bytes: Bytes,
        now: SimTime,
    ) -> SentTicket {
        let mut ledger = self.inner.borrow_mut();
        let sequence = ledger.next;
        ledger.next += 1;
        let key = (from, to, scope);
        ledger
            .unreceived
            .entry(key)
            .or_default()
            .push_back(UnreceivedMessage {
                sequence,
                from,
                to,
                addressed_to: None,
                scope,
                tag,
                bytes,
                sent: now,
                arrived: None,
            });
        SentTicket { key, sequence }
    }

    /// The message's sender addressed it to `party`, not where it went: a fault injected
    /// between the program and the network (see [`UnreceivedMessage::addressed_to`]).
    pub fn addressed(&self, ticket: SentTicket, party: Party) {
        self.update(ticket, |m| m.addressed_to = Some(party));
    }

    /// Changes the message of `ticket`, if it is still in the ledger.
    fn update(&self, ticket: SentTicket, change: impl FnOnce(&mut UnreceivedMessage)) {
        let mut ledger = self.inner.borrow_mut();
        let found = ledger
            .unreceived
            .get_mut(&ticket.key)
            .and_then(|q| q.iter_mut().find(|m| m.sequence == ticket.sequence));
        if let Some(message) = found {
            change(message);
        }
    }

    /// The message's last byte reached its receiver at `now`.
    pub fn arrived(&self, ticket: SentTicket, now: SimTime) {
        self.update(ticket, |m| m.arrived = Some(now));
    }

    /// `to` received a message from `from` in `scope` with `tag` (`None`: whatever its tag):
    /// the one of them that arrived first leaves the ledger.
    pub fn received(&self, from: Party, to: Party, scope: Option<Scope>, tag: Option<u32>) {
        let mut ledger = self.inner.borrow_mut();
        let key = (from, to, scope);
        *ledger.received.entry(key).or_default() += 1;
        let Some(queue) = ledger.unreceived.get_mut(&key) else {
            return;
        };
        let first = queue
            .iter()
            .enumerate()
            .filter(|(_, m)| tag.is_none_or(|t| t == m.tag))
            .filter_map(|(i, m)| m.arrived.map(|at| (at, m.sequence, i)))
            .min();
        if let Some((_, _, i)) = first {
            queue.remove(i);
        }
        if queue.is_empty() {
            ledger.unreceived.remove(&key);
        }
    }

    /// A receive begins to wait.
    pub fn waiting(&self, receive: WaitingReceive) -> WaitTicket {
        let mut ledger = self.inner.borrow_mut();
        let sequence = ledger.next;
        ledger.next += 1;
        ledger.waiting.insert(sequence, receive);
        WaitTicket(sequence)
    }

    /// A receive stopped waiting (its message came).
    pub fn done_waiting(&self, ticket: WaitTicket) {
        self.inner.borrow_mut().waiting.remove(&ticket.0);
    }

    /// What the ledger holds now.
    pub fn snapshot(&self) -> MessageLedger {
        let ledger = self.inner.borrow();
        let mut unreceived: Vec<UnreceivedMessage> =
            ledger.unreceived.values().flatten().copied().collect();
        unreceived.sort_by_key(|m| m.sequence);
        MessageLedger {
            unreceived,
            waiting: ledger.waiting.values().copied().collect(),
            received: ledger.received.iter().map(|(k, n)| (*k, *n)).collect(),
        }
    }
}

impl Machine {
    /// Starts keeping a message ledger (see [`MessageLog`]); the senders and receivers of
    /// the programs run on this machine record into it. Calling it again changes nothing.
    pub fn record_messages(&self) {
        let _ = self.inner.messages.get_or_init(MessageLog::default);
    }

    /// The message ledger, if [`record_messages`](Machine::record_messages) started one.
    pub fn message_log(&self) -> Option<&MessageLog> {
        self.inner.messages.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> MessageLog {
        MessageLog::default()
    }

    #[test]
    fn a_received_message_leaves_the_ledger_and_the_others_stay_in_send_order() {
        let log = log();
        let (a, b, c) = (Party::Rank(0), Party::Rank(1), Party::Rank(2));
        let t = |ps| SimTime::from_ps(ps);
        let first = log.sent(a, b, None, 7, Bytes(4), t(0));
        let lost = log.sent(a, c, None, 7, Bytes(4), t(1));
        let second = log.sent(a, b, None, 8, Bytes(4), t(2));
        log.arrived(second, t(5));
        log.arrived(first, t(6));
        // The receive of tag 7 takes tag 7 even though tag 8 arrived first.
        log.received(a, b, None, Some(7));
        let ledger = log.snapshot();
        let left: Vec<(u32, Option<SimTime>)> = ledger
            .unreceived
            .iter()
            .map(|m| (m.tag, m.arrived))
            .collect();
        assert_eq!(left, [(7, None), (8, Some(t(5)))]);
        assert_eq!(ledger.unreceived[0].to, c);
        let _ = lost;
        assert_eq!(ledger.received, [((a, b, None), 1)]);
    }

    #[test]
    fn a_receive_of_any_tag_takes_the_first_to_arrive_and_waits_are_listed_until_done() {
        let log = log();
        let (a, b) = (Party::Rank(0), Party::Rank(1));
        let t = |ps| SimTime::from_ps(ps);
        let early = log.sent(a, b, None, 1, Bytes(4), t(0));
        let late = log.sent(a, b, None, 2, Bytes(4), t(0));
        log.arrived(late, t(3));
        log.arrived(early, t(4));
        let wait = log.waiting(WaitingReceive {
            process: None,
            at: b,
            from: a,
            scope: None,
            tag: None,
            since: t(1),
        });
        assert_eq!(log.snapshot().waiting.len(), 1);
        log.received(a, b, None, None);
        log.done_waiting(wait);
        let ledger = log.snapshot();
        assert!(ledger.waiting.is_empty());
        assert_eq!(ledger.unreceived.len(), 1);
        assert_eq!(ledger.unreceived[0].tag, 1);
    }

    #[test]
    fn parties_and_scopes_print_as_reports_name_them() {
        let pe = PeId {
            cube: 0,
            sip: 0,
            pe: 3,
        };
        assert_eq!(Party::Rank(3).to_string(), "rank3");
        assert_eq!(Party::Pe(pe).to_string(), "c0.s0.p3");
        let scope = Scope {
            name: "all-reduce",
            instance: 0,
        };
        assert_eq!(scope.to_string(), "all-reduce#0");
    }
}
