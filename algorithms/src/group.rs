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
    pub(crate) rank: u32,
}

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
        let world_size = self.world.world_size();
        if call.root >= world_size {
            return Err(CollectiveError::BadRoot {
                root: call.root,
                world_size,
            });
        }
        for peer in [call.send_to, call.recv_from].into_iter().flatten() {
            if peer >= world_size || peer == self.rank {
                return Err(CollectiveError::BadPairs {
                    reason: format!(
                        "rank {} names peer {peer}; a peer is another rank of 0..{world_size}",
                        self.rank
                    ),
                });
            }
        }
        if buffer.bytes().0 % 4 != 0 {
            return Err(CollectiveError::Misaligned {
                bytes: buffer.bytes().0,
            });
        }
        crate::schedule::check(&**schedule, call.collective, self.world.machine.topology())?;
        let instance = {
            let mut calls = self.world.calls.borrow_mut();
            let counter = &mut calls[self.rank as usize];
            let instance = *counter;
            *counter += 1;
            instance
        };
        let comm = Comm::new(
            self.world.clone(),
            self.rank,
            instance,
            buffer.clone(),
            call,
        );
        let name = format!(
            "rank{} {}#{instance} {}",
            self.rank,
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
