//! The launcher: one process per rank, rank = SIP; and what the ranks of a launch share.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::rc::Rc;

use kernbench_engine::{ProcessHandle, ProcessId, Queue};
use kernbench_model::{Buffer, Bytes, Machine, MemoryKind, Placement, SipId};
use rustc_hash::FxHashMap;

use crate::comm::Chunk;
use crate::diagnosis::Faults;
use crate::error::CollectiveError;
use crate::group::ProcessGroup;

/// Mailbox key: (collective instance, channel, sender rank, receiver rank).
pub(crate) type MailboxKey = (u64, u32, u32, u32);

/// What the ranks of one launch share.
pub(crate) struct World {
    pub(crate) machine: Machine,
    pub(crate) sips: Vec<SipId>,
    pub(crate) pids: RefCell<Vec<ProcessId>>,
    /// FIFO message queues between ranks, made on first use. Looked up twice per message and
    /// never iterated, so no output depends on the hash order.
    pub(crate) mailboxes: RefCell<FxHashMap<MailboxKey, Queue<Chunk>>>,
    /// Idle mailboxes kept for the next message (a ring makes one per message): at most as
    /// many as were ever in use at once.
    pub(crate) spare_mailboxes: RefCell<Vec<Queue<Chunk>>>,
    /// Collectives submitted so far, per rank: the k-th call of every rank is one collective.
    pub(crate) calls: RefCell<Vec<u64>>,
    /// Sub-groups by their ranks, numbered from 1 in order of first creation.
    pub(crate) group_ids: RefCell<std::collections::BTreeMap<Vec<u32>, u32>>,
    /// Collectives submitted so far per (sub-group, rank).
    pub(crate) group_calls: RefCell<FxHashMap<(u32, u32), u64>>,
    /// Faults injected on purpose (deadlock diagnosis); none in a normal launch.
    pub(crate) faults: Faults,
    /// Whether a fault changes messages: without one, [`World::route_send`] and
    /// [`World::source`] return at once.
    message_faults: bool,
    /// Sends started so far per rank, counted only for [`SkipsStep`](crate::Faults) faults.
    sends: RefCell<Vec<u32>>,
    /// What each rank did, when a diagnosis asked for it ([`World::record_activity`]).
    activity: RefCell<Option<Vec<Activity>>>,
}

/// What one rank did in a run: how many sends it started, whom it addressed and whom it
/// received from (as the schedule named them, before any fault).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Activity {
    /// Sends started.
    pub(crate) sends: u32,
    /// The ranks it addressed messages to.
    pub(crate) peers: BTreeSet<u32>,
    /// The ranks it received from.
    pub(crate) sources: BTreeSet<u32>,
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World")
            .field("world_size", &self.sips.len())
            .finish()
    }
}

impl World {
    pub(crate) fn world_size(&self) -> u32 {
        self.sips.len() as u32
    }

    /// The rank a message `from` addresses to `to` really goes to: `to` itself, unless an
    /// injected fault sends it elsewhere (a wrong peer, or a peer off by one).
    pub(crate) fn destination(&self, from: u32, to: u32) -> u32 {
        if !self.message_faults {
            return to;
        }
        let faults = &self.faults;
        let wrong = faults
            .wrong_peers
            .iter()
            .find(|w| w.rank == from && w.instead_of.is_none_or(|r| r == to));
        if let Some(wrong) = wrong {
            wrong.sends_to
        } else if faults.peer_off_by_one.contains(&from) {
            (to + 1) % self.world_size()
        } else {
            to
        }
    }

    /// Where a send `from` starts to `to` on `channel` goes and on which channel, or `None`
    /// if an injected fault skips it; counts the send and records it in the activity.
    pub(crate) fn route_send(&self, from: u32, to: u32, channel: u32) -> Option<(u32, u32)> {
        if let Some(activity) = self.activity.borrow_mut().as_mut() {
            if let Some(a) = activity.get_mut(from as usize) {
                a.sends += 1;
                a.peers.insert(to);
            }
        }
        if !self.message_faults {
            return Some((to, channel));
        }
        let faults = &self.faults;
        if faults.skipped_steps.iter().any(|s| s.rank == from) {
            let mut sends = self.sends.borrow_mut();
            let step = sends.get(from as usize).copied().unwrap_or(0);
            if let Some(count) = sends.get_mut(from as usize) {
                *count += 1;
            }
            if faults
                .skipped_steps
                .iter()
                .any(|s| s.rank == from && s.step == step)
            {
                return None;
            }
        }
        let channel = match faults.wrong_tags.iter().find(|w| w.rank == from) {
            Some(wrong) => channel.wrapping_add(wrong.off_by),
            None => channel,
        };
        Some((self.destination(from, to), channel))
    }

    /// The rank a receive of `at` that names `from` really waits for: `from`, unless an
    /// injected fault makes it wait for another; recorded in the activity.
    pub(crate) fn source(&self, at: u32, from: u32) -> u32 {
        if let Some(activity) = self.activity.borrow_mut().as_mut() {
            if let Some(a) = activity.get_mut(at as usize) {
                a.sources.insert(from);
            }
        }
        if !self.message_faults {
            return from;
        }
        let wrong = self
            .faults
            .wrong_sources
            .iter()
            .find(|w| w.rank == at && w.instead_of.is_none_or(|r| r == from));
        wrong.map_or(from, |w| w.receives_from)
    }

    /// Starts recording what each rank does ([`Activity`]).
    pub(crate) fn record_activity(&self) {
        *self.activity.borrow_mut() = Some(vec![Activity::default(); self.sips.len()]);
    }

    /// What each rank did so far, by rank, if [`record_activity`](World::record_activity)
    /// was called.
    pub(crate) fn activity(&self) -> Option<Vec<Activity>> {
        self.activity.borrow().clone()
    }

    /// Retires the mailbox from `from` to `to` for a collective instance and channel, if there
    /// is one. Only for an idle mailbox ([`Queue::is_idle`]): it is kept for reuse, and the next
    /// message between the two on that channel gets a mailbox as good as new.
    pub(crate) fn forget_mailbox(&self, instance: u64, channel: u32, from: u32, to: u32) {
        let retired = self
            .mailboxes
            .borrow_mut()
            .remove(&(instance, channel, from, to));
        if let Some(queue) = retired {
            self.spare_mailboxes.borrow_mut().push(queue);
        }
    }

    /// The mailbox from `from` to `to` for a collective instance and channel.
    pub(crate) fn mailbox(&self, instance: u64, channel: u32, from: u32, to: u32) -> Queue<Chunk> {
        let mut boxes = self.mailboxes.borrow_mut();
        boxes
            .entry((instance, channel, from, to))
            .or_insert_with(|| {
                // Mailboxes come and go with every message of a long run, so they are reused
                // and made without formatting anything: a receive that waits labels its wait
                // itself (see `Comm::recv`), and a put never waits (the mailbox is unbounded).
                let queue = match self.spare_mailboxes.borrow_mut().pop() {
                    Some(queue) => {
                        queue.forget_peers();
                        queue
                    }
                    None => Queue::new(self.machine.sim(), "mailbox", usize::MAX),
                };
                let pids = self.pids.borrow();
                if let Some(&p) = pids.get(from as usize) {
                    queue.add_producer(p);
                }
                if let Some(&p) = pids.get(to as usize) {
                    queue.add_consumer(p);
                }
                queue
            })
            .clone()
    }
}

/// One rank's view of a launch: its number, the world size, its device (its SIP).
#[derive(Clone, Debug)]
pub struct Rank {
    pub(crate) world: Rc<World>,
    pub(crate) rank: u32,
}

impl Rank {
    /// This rank's number, `0..world_size`.
    pub fn rank(&self) -> u32 {
        self.rank
    }

    /// The number of ranks (= SIPs).
    pub fn world_size(&self) -> u32 {
        self.world.world_size()
    }

    /// This rank's device.
    pub fn sip(&self) -> SipId {
        self.world.sips[self.rank as usize]
    }

    /// The machine.
    pub fn machine(&self) -> &Machine {
        &self.world.machine
    }

    /// Allocates a buffer of `bytes` on this rank's SIP in memory `kind` (TCM is spread over
    /// its PEs).
    pub fn alloc(&self, kind: MemoryKind, bytes: Bytes) -> Result<Buffer, CollectiveError> {
        Ok(self
            .world
            .machine
            .alloc(Placement::on_sip(self.sip(), kind), bytes)?)
    }

    /// This rank's handle on the process group of all ranks.
    pub fn process_group(&self) -> ProcessGroup {
        ProcessGroup {
            world: self.world.clone(),
            launch_rank: self.rank,
            members: None,
            index: self.rank,
            id: 0,
        }
    }
}

/// Starts one process per rank (named `rank0`, `rank1`, ...), each running `body` with its
/// [`Rank`]. Rank `r` is the SIP of rank `r` in the topology (cube-major order).
///
/// # Errors
/// [`CollectiveError::WorldSize`] unless `world_size` is the topology's SIP count.
pub fn launch<F, Fut>(
    machine: &Machine,
    world_size: u32,
    body: F,
) -> Result<Vec<ProcessHandle<()>>, CollectiveError>
where
    F: Fn(Rank) -> Fut,
    Fut: Future<Output = Result<(), CollectiveError>> + 'static,
{
    launch_with_faults(machine, world_size, Faults::default(), body)
}

/// [`launch`] with faults injected on purpose (see [`Faults`]): a rank that never joins runs
/// nothing and finishes at once; a rank whose peer is off by one sends to the wrong rank.
pub(crate) fn launch_with_faults<F, Fut>(
    machine: &Machine,
    world_size: u32,
    faults: Faults,
    body: F,
) -> Result<Vec<ProcessHandle<()>>, CollectiveError>
where
    F: Fn(Rank) -> Fut,
    Fut: Future<Output = Result<(), CollectiveError>> + 'static,
{
    launch_world(machine, world_size, faults, body).map(|(handles, _)| handles)
}

/// [`launch_with_faults`], returning the world the ranks share too, for a diagnosis that
/// reads it after the run ([`World::activity`]).
pub(crate) fn launch_world<F, Fut>(
    machine: &Machine,
    world_size: u32,
    faults: Faults,
    body: F,
) -> Result<(Vec<ProcessHandle<()>>, Rc<World>), CollectiveError>
where
    F: Fn(Rank) -> Fut,
    Fut: Future<Output = Result<(), CollectiveError>> + 'static,
{
    let topology = machine.topology();
    if world_size != topology.sip_count() {
        return Err(CollectiveError::WorldSize {
            asked: world_size,
            sips: topology.sip_count(),
            topology: topology.name().to_string(),
        });
    }
    let world = Rc::new(World {
        machine: machine.clone(),
        sips: topology.sips().collect(),
        pids: RefCell::new(Vec::new()),
        mailboxes: RefCell::new(FxHashMap::default()),
        spare_mailboxes: RefCell::new(Vec::new()),
        calls: RefCell::new(vec![0; world_size as usize]),
        group_ids: RefCell::new(std::collections::BTreeMap::new()),
        group_calls: RefCell::new(FxHashMap::default()),
        message_faults: faults.touches_messages(),
        faults,
        sends: RefCell::new(vec![0; world_size as usize]),
        activity: RefCell::new(None),
    });
    let handles: Vec<_> = (0..world_size)
        .map(|rank| {
            let ctx = Rank {
                world: world.clone(),
                rank,
            };
            let name = format!("rank{rank}");
            if world.faults.never_joins.contains(&rank) {
                machine
                    .sim()
                    .spawn(name, async { Ok::<(), CollectiveError>(()) })
            } else {
                machine.sim().spawn(name, body(ctx))
            }
        })
        .collect();
    *world.pids.borrow_mut() = handles.iter().map(ProcessHandle::id).collect();
    Ok((handles, world))
}
