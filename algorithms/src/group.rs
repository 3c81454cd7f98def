//! The process group: collectives submitted per rank, run as processes, awaited later.

use std::rc::Rc;

use kernbench_engine::ProcessHandle;
use kernbench_model::{Buffer, Bytes, ReduceOp};

use crate::comm::Comm;
use crate::error::CollectiveError;
use crate::launch::World;
use crate::names::Collective;
use crate::schedule::{IntoSchedule, Schedule};

/// One rank's handle on the group of all ranks of a launch.
///
/// Each call submits the collective and returns a [`Work`] at once; the collective runs as its
/// own process (`rank3 all-reduce#0 ring`) and `work.wait().await` joins it. Several may be in
/// flight: the k-th call of every rank forms one collective, and its messages travel in
/// mailboxes of their own, so they never mix with another call's.
#[derive(Clone, Debug)]
pub struct ProcessGroup {
    pub(crate) world: Rc<World>,
    /// This rank in the launch.
    pub(crate) launch_rank: u32,
    /// The group's ranks in the launch, in group order; `None`: every rank.
    pub(crate) members: Option<Rc<[u32]>>,
    /// This rank in the group (`rank` without a group).
    pub(crate) index: u32,
    /// The group's number in the launch: 0 for every rank, then in order of first creation.
    pub(crate) id: u32,
}

/// Mailbox instances of a sub-group's calls start at its id times this, so no two groups'
/// calls share a mailbox (a rank makes fewer than 2^40 calls on one group).
pub(crate) const GROUP_INSTANCES: u64 = 1 << 40;

/// A submitted collective; wait on it with [`Work::wait`].
#[derive(Debug)]
pub struct Work {
    handle: ProcessHandle<()>,
}

impl Work {
    /// Waits for this rank's part of the collective to finish.
    pub async fn wait(self) {
        self.handle.await
    }

    /// Whether this rank's part has finished.
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

/// What to compute (the collective and its parameters) and how finely the schedule may cut
/// and spread it; the schedule that computes it is given beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollectiveCall {
    /// Which collective.
    pub collective: Collective,
    /// The reduction (ignored by all-gather and broadcast).
    pub op: ReduceOp,
    /// The root rank of broadcast and reduce.
    pub root: u32,
    /// The largest message a chunking schedule sends: segments are cut into chunks of at most
    /// this size and forwarded chunk by chunk, so steps pipeline ([`DEFAULT_CHUNK`]).
    pub chunk: Bytes,
    /// Into how many independent parts (rings, trees, dimension orders) the data is split,
    /// each on other links or directions, run at once.
    pub channels: Channels,
    /// The rank this rank sends its buffer to in a send-recv (none: it sends nothing).
    pub send_to: Option<u32>,
    /// The rank whose buffer this rank receives in a send-recv (none: it receives nothing).
    pub recv_from: Option<u32>,
}

/// How a run splits its ranks into groups that all run the collective at once (tensor
/// parallelism inside a cube and data parallelism across cubes, for example).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Groups {
    /// One group of every rank.
    #[default]
    World,
    /// Groups of `size` ranks `stride` apart: with `block = size * stride`, rank
    /// `a * block + k * stride + c` (`k < size`, `c < stride`) is rank `k` of group `(a, c)`.
    /// Stride 1 is consecutive ranks (`0..size`, `size..2 size`, ...); stride `s` on cubes of
    /// `s` SIPs is the ranks of one SIP index across cubes.
    Split {
        /// Ranks per group, at least 1.
        size: u32,
        /// Distance between a group's consecutive ranks, at least 1.
        stride: u32,
    },
}

impl Groups {
    /// Checks the split against `n` ranks: whole groups, and no rank left over.
    ///
    /// # Errors
    /// The rule broken and the fix.
    pub fn check(self, n: u32) -> Result<(), String> {
        let Groups::Split { size, stride } = self else {
            return Ok(());
        };
        if size == 0 || stride == 0 {
            return Err("group size and stride are at least 1".to_string());
        }
        let block = u64::from(size) * u64::from(stride);
        if block > u64::from(n) || u64::from(n) % block != 0 {
            return Err(format!(
                "groups of {size} ranks {stride} apart need a multiple of {block} ranks; the topology has {n}"
            ));
        }
        Ok(())
    }

    /// The ranks in the group of launch rank `rank` of `n`, in group order.
    pub fn members_of(self, rank: u32, n: u32) -> Vec<u32> {
        match self {
            Groups::World => (0..n).collect(),
            Groups::Split { size, stride } => {
                let block = size * stride;
                let (a, c) = (rank / block, rank % stride);
                (0..size).map(|k| a * block + k * stride + c).collect()
            }
        }
    }

    /// Launch rank `rank`'s place in its group: `k` of `a * block + k * stride + c`.
    pub fn index_of(self, rank: u32) -> u32 {
        match self {
            Groups::World => rank,
            Groups::Split { size, stride } => (rank % (size * stride)) / stride,
        }
    }

    /// Ranks per group (`n` for the world).
    pub fn size(self, n: u32) -> u32 {
        match self {
            Groups::World => n,
            Groups::Split { size, .. } => size,
        }
    }
}

/// The chunk size of a call that does not choose one: 1 MiB.
pub const DEFAULT_CHUNK: Bytes = Bytes(1 << 20);

/// How many channels a call asks for: as many as the wiring gives (`auto`), or a number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channels {
    /// As many as the schedule finds disjoint paths for on this topology (a full-duplex
    /// ring: 2, one per direction; a 2D torus: 4).
    #[default]
    Auto,
    /// Exactly this many (at least 1); a schedule that cannot use that many says so.
    Fixed(u32),
}

impl std::fmt::Display for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Channels::Auto => f.write_str("auto"),
            Channels::Fixed(n) => write!(f, "{n}"),
        }
    }
}

impl std::str::FromStr for Channels {
    type Err = String;
    fn from_str(text: &str) -> Result<Channels, String> {
        match text {
            "auto" => Ok(Channels::Auto),
            _ => match text.parse::<u32>() {
                Ok(n) if (1..=64).contains(&n) => Ok(Channels::Fixed(n)),
                _ => Err(format!(
                    "\"{text}\" is not a channel count; write auto or a number from 1 to 64"
                )),
            },
        }
    }
}

impl CollectiveCall {
    /// `collective` with a sum, root 0, [`DEFAULT_CHUNK`] and `auto` channels.
    pub fn new(collective: Collective) -> CollectiveCall {
        CollectiveCall {
            collective,
            op: ReduceOp::Sum,
            root: 0,
            chunk: DEFAULT_CHUNK,
            channels: Channels::Auto,
            send_to: None,
            recv_from: None,
        }
    }
}

impl ProcessGroup {
    /// This rank in the group (`0..size()`).
    pub fn rank(&self) -> u32 {
        self.index
    }

    /// The number of ranks in the group.
    pub fn size(&self) -> u32 {
        match &self.members {
            Some(members) => members.len() as u32,
            None => self.world.world_size(),
        }
    }

    /// The group of launch ranks `ranks` (in that order: group rank `i` is `ranks[i]`), which
    /// this rank must be one of, as `torch.distributed.new_group`: every member that calls it
    /// with the same ranks gets the same group, and the k-th collective each member submits on
    /// it forms one collective of the group, in mailboxes of its own. Collectives on different
    /// groups run at once and share the machine's links.
    ///
    /// # Errors
    /// [`CollectiveError::BadGroup`]: no ranks, a rank outside the launch or named twice, or
    /// this rank not among them.
    pub fn new_group(&self, ranks: &[u32]) -> Result<ProcessGroup, CollectiveError> {
        let n = self.world.world_size();
        let bad = |reason: String| CollectiveError::BadGroup { reason };
        if ranks.is_empty() {
            return Err(bad("a group needs at least one rank".to_string()));
        }
        let mut seen = vec![false; n as usize];
        for &r in ranks {
            match seen.get_mut(r as usize) {
                Some(s) if !*s => *s = true,
                Some(_) => return Err(bad(format!("rank {r} is named twice; name each once"))),
                None => {
                    return Err(bad(format!(
                        "rank {r} is not in the launch of {n} ranks (0 to {})",
                        n.saturating_sub(1)
                    )));
                }
            }
        }
        let Some(index) = ranks.iter().position(|&r| r == self.launch_rank) else {
            return Err(bad(format!(
                "rank {} makes a group it is not in; each rank makes the groups it belongs to",
                self.launch_rank
            )));
        };
        let id = {
            let mut ids = self.world.group_ids.borrow_mut();
            let next = ids.len() as u32 + 1;
            *ids.entry(ranks.to_vec()).or_insert(next)
        };
        Ok(ProcessGroup {
            world: self.world.clone(),
            launch_rank: self.launch_rank,
            members: Some(ranks.into()),
            index: index as u32,
            id,
        })
    }

    /// Sums (or `op`s) `buffer` over all ranks into every rank's `buffer`.
    pub fn all_reduce(
        &self,
        buffer: &Buffer,
        op: ReduceOp,
        schedule: impl IntoSchedule,
    ) -> Result<Work, CollectiveError> {
        self.submit(
            buffer,
            CollectiveCall {
                op,
                root: 0,
                ..CollectiveCall::new(Collective::AllReduce)
            },
            &schedule.into_schedule(),
        )
    }

    /// Reduces `buffer` over all ranks; rank `r` ends with segment `r` of the result in place.
    pub fn reduce_scatter(
        &self,
        buffer: &Buffer,
        op: ReduceOp,
        schedule: impl IntoSchedule,
    ) -> Result<Work, CollectiveError> {
        self.submit(
            buffer,
            CollectiveCall {
                op,
                root: 0,
                ..CollectiveCall::new(Collective::ReduceScatter)
            },
            &schedule.into_schedule(),
        )
    }

    /// Every rank contributes segment `rank` of `buffer` and ends with all segments.
    pub fn all_gather(
        &self,
        buffer: &Buffer,
        schedule: impl IntoSchedule,
    ) -> Result<Work, CollectiveError> {
        self.submit(
            buffer,
            CollectiveCall {
                op: ReduceOp::Sum,
                root: 0,
                ..CollectiveCall::new(Collective::AllGather)
            },
            &schedule.into_schedule(),
        )
    }

    /// Every rank ends with `root`'s `buffer`.
    pub fn broadcast(
        &self,
        buffer: &Buffer,
        root: u32,
        schedule: impl IntoSchedule,
    ) -> Result<Work, CollectiveError> {
        self.submit(
            buffer,
            CollectiveCall {
                op: ReduceOp::Sum,
                root,
                ..CollectiveCall::new(Collective::Broadcast)
            },
            &schedule.into_schedule(),
        )
    }

    /// `root` ends with the reduction of every rank's `buffer`.
    pub fn reduce(
        &self,
        buffer: &Buffer,
        root: u32,
        op: ReduceOp,
        schedule: impl IntoSchedule,
    ) -> Result<Work, CollectiveError> {
        self.submit(
            buffer,
            CollectiveCall {
                op,
                root,
                ..CollectiveCall::new(Collective::Reduce)
            },
            &schedule.into_schedule(),
        )
    }

    /// Sends block `j` of the first half of `buffer` to rank `j`; the second half receives the
    /// block from each rank in rank order (the layout in [`crate::exchange`]: `buffer` is
    /// [`exchange::buffer_bytes`](crate::exchange::buffer_bytes) of the bytes each rank sends).
    pub fn all_to_all(
        &self,
        buffer: &Buffer,
        schedule: impl IntoSchedule,
    ) -> Result<Work, CollectiveError> {
        self.submit(
            buffer,
            CollectiveCall::new(Collective::AllToAll),
            &schedule.into_schedule(),
        )
    }

    /// Sends `buffer` to rank `to` and receives rank `from`'s buffer into it (either may be
    /// `None`): this rank's part of a send-recv, whose other ranks name their own peers.
    pub fn send_recv(
        &self,
        buffer: &Buffer,
        to: Option<u32>,
        from: Option<u32>,
        schedule: impl IntoSchedule,
    ) -> Result<Work, CollectiveError> {
        self.submit(
            buffer,
            CollectiveCall {
                send_to: to,
                recv_from: from,
                ..CollectiveCall::new(Collective::SendRecv)
            },
            &schedule.into_schedule(),
        )
    }

    /// Submits `call` on `buffer` with `schedule`: checks it can run, then starts this
    /// rank's part as a process (`rank3 all-reduce#0 ring`).
    ///
    /// # Errors
    /// A root outside the world, a buffer that is not whole `f32`s, or a schedule that refuses
    /// the collective on this topology ([`CollectiveError::Unsupported`]).
    pub fn submit(
        &self,
        buffer: &Buffer,
        call: CollectiveCall,
        schedule: &Rc<dyn Schedule>,
    ) -> Result<Work, CollectiveError> {
        self.submit_with(buffer, call, schedule, None)
    }

    /// Sends `sizes.get(me, j)` bytes to each rank `j` and receives `sizes.get(i, me)` from
    /// each rank `i`: an all-to-allv on a buffer of
    /// [`sizes.buffer_bytes()`](crate::exchange::SizeMatrix::buffer_bytes), laid out as in
    /// [`crate::exchange`]. Every member passes the same sizes, one row and column per rank.
    pub fn all_to_allv(
        &self,
        buffer: &Buffer,
        sizes: Rc<crate::exchange::SizeMatrix>,
        schedule: impl IntoSchedule,
    ) -> Result<Work, CollectiveError> {
        if sizes.ranks() != self.size() {
            return Err(CollectiveError::BadSizes {
                reason: format!(
                    "the sizes are for {} ranks, but the group has {}; give one row and column per rank",
                    sizes.ranks(),
                    self.size()
                ),
            });
        }
        if buffer.bytes().0 < sizes.buffer_bytes() {
            return Err(CollectiveError::BadSizes {
                reason: format!(
                    "the buffer of {} B is smaller than the {} B the sizes need",
                    buffer.bytes().0,
                    sizes.buffer_bytes()
                ),
            });
        }
        self.submit_with(
            buffer,
            CollectiveCall::new(Collective::AllToAllv),
            &schedule.into_schedule(),
            Some(sizes),
        )
    }

    fn submit_with(
        &self,
        buffer: &Buffer,
        call: CollectiveCall,
        schedule: &Rc<dyn Schedule>,
        sizes: Option<Rc<crate::exchange::SizeMatrix>>,
    ) -> Result<Work, CollectiveError> {
        let world_size = self.size();
        if call.collective == Collective::AllToAllv && sizes.is_none() {
            return Err(CollectiveError::BadSizes {
                reason: "an all-to-allv needs its per-pair sizes; submit it with all_to_allv"
                    .to_string(),
            });
        }
        if call.root >= world_size {
            return Err(CollectiveError::BadRoot {
                root: call.root,
                world_size,
            });
        }
        for peer in [call.send_to, call.recv_from].into_iter().flatten() {
            if peer >= world_size || peer == self.rank() {
                return Err(CollectiveError::BadPairs {
                    reason: format!(
                        "rank {} names peer {peer}; a peer is another rank of 0..{world_size}",
                        self.rank()
                    ),
                });
            }
        }
        if buffer.bytes().0 % 4 != 0 {
            return Err(CollectiveError::Misaligned {
                bytes: buffer.bytes().0,
            });
        }
        let topology = self.world.machine.topology();
        crate::schedule::check(&**schedule, call.collective, topology)?;
        if self.members.is_some()
            && world_size < self.world.world_size()
            && schedule.whole_machine()
        {
            return Err(CollectiveError::Unsupported {
                algorithm: schedule.name().to_string(),
                collective: call.collective.to_string(),
                topology: topology.name().to_string(),
                reason: format!(
                    "{} takes its shape from the whole machine and runs on all of its ranks, not on a group of {world_size}; use ring or another logical algorithm",
                    schedule.name()
                ),
            });
        }
        let (instance, number) = if self.id == 0 {
            let mut calls = self.world.calls.borrow_mut();
            let counter = &mut calls[self.launch_rank as usize];
            let instance = *counter;
            *counter += 1;
            (instance, instance)
        } else {
            let mut calls = self.world.group_calls.borrow_mut();
            let counter = calls.entry((self.id, self.launch_rank)).or_insert(0);
            let number = *counter;
            *counter += 1;
            (u64::from(self.id) * GROUP_INSTANCES + number, number)
        };
        let comm = Comm::new(
            self.world.clone(),
            (self.launch_rank, self.index, self.members.clone()),
            instance,
            (buffer.clone(), sizes),
            call,
        );
        let group = match self.id {
            0 => String::new(),
            id => format!(" (group {id})"),
        };
        let name = format!(
            "rank{} {}#{number} {}{group}",
            self.launch_rank,
            call.collective,
            schedule.name()
        );
        let schedule = schedule.clone();
        let handle = self
            .world
            .machine
            .sim()
            .spawn(name, async move { schedule.run(call, comm).await });
        Ok(Work { handle })
    }
}

#[cfg(test)]
mod tests {
    use super::Groups;

    #[test]
    fn a_ranks_index_is_its_place_among_its_groups_members() {
        for groups in [
            Groups::World,
            Groups::Split { size: 4, stride: 1 },
            Groups::Split { size: 2, stride: 4 },
            Groups::Split { size: 2, stride: 2 },
        ] {
            for rank in 0..16 {
                let members = groups.members_of(rank, 16);
                let place = members.iter().position(|&r| r == rank);
                assert_eq!(
                    place,
                    Some(groups.index_of(rank) as usize),
                    "{groups:?} {rank}"
                );
            }
        }
    }
}
