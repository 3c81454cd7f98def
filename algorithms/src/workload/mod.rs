//! # Workloads: a training step as a graph of compute and communication
//!
//! A [`Workload`] is one graph of [`Task`]s that every rank runs (SPMD, as a training step is
//! written): compute, collectives on a group, and sends and receives to peers named relative
//! to the rank. A task may be limited to some ranks ([`Task::on`]), so pipeline stages differ.
//! [`run_workload`] launches it with one rank per SIP and measures it: the step time, per rank
//! the time in compute and in exposed and overlapped communication, the critical path and
//! each collective's time and bus bandwidth ([`WorkloadReport`]).
//!
//! ## Semantics
//!
//! - A task starts when all its dependencies have finished on its rank; a dependency that
//!   does not run on that rank ([`Task::on`]) is no dependency there. Its process is only
//!   spawned then (tasks released by one finish in the order of the graph), so a big
//!   workload's waiting tasks cost memory for their counters only, and a stall report names
//!   the tasks that are stuck, then, in one line, how many never started behind them (the
//!   first few by name).
//! - Compute runs on one compute stream per rank: ready compute tasks take turns in the
//!   order they became ready (ties: the order of the graph). A duration costs itself; a
//!   roofline costs `max(flops / peak_flops, bytes / hbm_bandwidth)`.
//! - Collectives run through the rank's [`ProcessGroup`](crate::ProcessGroup), exactly as
//!   [`run_collective`](crate::run_collective) runs them, so a collective that nothing
//!   overlaps takes exactly the time it takes alone. Collectives on one group run one at a
//!   time in the graph's order (as on one NCCL communicator's stream), whatever order they
//!   become ready in, so the k-th collective of every member is the same one; collectives on
//!   different groups run at once and share the links. A rank whose k-th collective on a
//!   group differs from another member's (another collective, size or algorithm) never
//!   issues it: it waits forever with a label naming both tasks, and the run ends in a
//!   deadlock whose report says so.
//! - A send moves its bytes from this rank's memory to the peer's (the same timing as a
//!   collective's messages) and finishes when they have arrived; a receive finishes when the
//!   send with its peer and tag has arrived (messages of one peer and tag match in order).
//!   A receive without its send waits forever, and the deadlock report names it.
//! - A copy moves its bytes between two memories of the rank's SIP (TCM, SRAM, HBM) as a
//!   transfer of the model, so its time is the memories' and the on-chip network's; it is
//!   not on the compute stream and counts as neither compute nor communication.
//! - Communication overlaps compute and other communication wherever the graph allows.
//! - In the flow model ([`WorkloadOptions::network`]) a collective is not run message by
//!   message: a calibration run first runs each distinct collective on each of its groups
//!   alone, transfer by transfer in the flow model, and the step then replays every
//!   instance as one [`Bundle`](kernbench_model::Bundle) of flows. An instance starts when
//!   its last member issues it, shares each link with the flows and bundles in flight, and
//!   each member finishes when it did alone after the first one did. Alone it takes exactly
//!   its calibrated time, which is its time alone in the flow model; under contention it is
//!   an approximation at the level of whole collectives. Sends, receives and copies stay
//!   transfers.
//!
//! ```
//! use std::rc::Rc;
//! use kernbench_algorithms::workload::{Op, Task, Workload, run_workload};
//! use kernbench_engine::SimTime;
//! use kernbench_model::Topology;
//!
//! let topology = Rc::new(Topology::load("../topologies/ring8.ron")?);
//! let workload = Workload::new("two steps", vec![
//!     Task::new("forward", Op::Compute(SimTime::from_us(10).into())),
//!     Task::new("backward", Op::Compute(SimTime::from_us(5).into())).after([0]),
//! ]);
//! let report = run_workload(topology, &workload)?;
//! assert_eq!(report.step_time, SimTime::from_us(15));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bundles;
mod check;
mod flops;
mod report;
mod run;
mod stall;

use std::fmt;
use std::rc::Rc;

use kernbench_engine::SimTime;
use kernbench_model::{Bytes, MemoryKind};

use crate::group::Groups;
use crate::names::Collective;
use crate::schedule::Schedule;

pub use check::{MAX_DEPS, MAX_TASKS};
pub use flops::{FlopRate, Flops};
pub use report::{CollectiveTiming, LinkLoad, PathStep, RankTimes, WorkloadReport};
pub use run::{
    TaskSpan, WorkloadOptions, WorkloadTrace, run_workload, run_workload_on, run_workload_traced,
};

/// One graph of tasks that every rank of a launch runs (see the [module docs](self)).
#[derive(Clone, Debug)]
pub struct Workload {
    /// Its name, for reports.
    pub name: String,
    /// The tasks, in the order they were written; dependencies point at indices in it.
    pub tasks: Vec<Task>,
    /// The number of ranks it is written for, if it says (then a topology with another SIP
    /// count is refused).
    pub ranks: Option<u32>,
    /// The peak compute rate of one SIP, for roofline compute tasks.
    pub peak_flops: Option<FlopRate>,
}

impl Workload {
    /// A workload of `tasks` for any number of ranks, without a peak compute rate.
    pub fn new(name: impl Into<String>, tasks: Vec<Task>) -> Workload {
        Workload {
            name: name.into(),
            tasks,
            ranks: None,
            peak_flops: None,
        }
    }
}

/// One node of the graph.
#[derive(Clone, Debug)]
pub struct Task {
    /// Its name, unique in the workload (reports and deadlock reports use it).
    pub name: String,
    /// The tasks (indices in [`Workload::tasks`]) that must finish before it starts.
    pub deps: Vec<usize>,
    /// What it does.
    pub op: Op,
    /// The ranks that run it; `None`: every rank.
    pub on: Option<Vec<u32>>,
}

impl Task {
    /// A task on every rank, without dependencies.
    pub fn new(name: impl Into<String>, op: Op) -> Task {
        Task {
            name: name.into(),
            deps: Vec::new(),
            op,
            on: None,
        }
    }

    /// The task, after the tasks at `deps`.
    pub fn after(mut self, deps: impl IntoIterator<Item = usize>) -> Task {
        self.deps.extend(deps);
        self
    }

    /// The task, on the ranks `ranks` only.
    pub fn on(mut self, ranks: impl IntoIterator<Item = u32>) -> Task {
        self.on = Some(ranks.into_iter().collect());
        self
    }

    /// Whether `rank` runs it.
    pub fn runs_on(&self, rank: u32) -> bool {
        self.on.as_ref().is_none_or(|on| on.contains(&rank))
    }
}

/// What a task does.
#[derive(Clone, Debug)]
pub enum Op {
    /// Compute on the rank's compute stream.
    Compute(Compute),
    /// A collective on a group of ranks.
    Collective(CollectiveTask),
    /// Sends `bytes` to a peer.
    Send(Message),
    /// Receives `bytes` from a peer.
    Recv(Message),
    /// Copies bytes between two memories of the rank's SIP (a DMA: not on the compute
    /// stream, costed by the model's memories and the SIP's network as any transfer).
    Copy(MemoryCopy),
}

/// A copy between the memories of one SIP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryCopy {
    /// Where the bytes are.
    pub from: MemoryKind,
    /// Where they go.
    pub to: MemoryKind,
    /// How many.
    pub bytes: Bytes,
}

impl Op {
    /// A word for the kind of task: `compute`, `all-reduce`, `send`, `recv`, `copy`.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Compute(_) => "compute",
            Op::Collective(c) => c.collective.name(),
            Op::Send(_) => "send",
            Op::Recv(_) => "recv",
            Op::Copy(_) => "copy",
        }
    }
}

/// The cost of a compute task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compute {
    /// A fixed duration.
    Time(SimTime),
    /// A roofline: `max(flops / peak_flops, bytes / hbm_bandwidth)`, with the workload's
    /// [`peak_flops`](Workload::peak_flops) and the topology's HBM bandwidth; each term
    /// rounded up to a whole picosecond.
    Roofline {
        /// Floating-point operations.
        flops: Flops,
        /// Bytes read and written in HBM.
        bytes: Bytes,
    },
}

impl From<SimTime> for Compute {
    fn from(time: SimTime) -> Compute {
        Compute::Time(time)
    }
}

/// A collective in a workload.
#[derive(Clone, Debug)]
pub struct CollectiveTask {
    /// Which collective (send-recv is not a workload collective: use [`Op::Send`] and
    /// [`Op::Recv`]).
    pub collective: Collective,
    /// The schedule that runs it.
    pub algorithm: Rc<dyn Schedule>,
    /// The groups it runs on: every rank runs it in its own group of this split.
    pub groups: Groups,
    /// The name of the group, for reports (`world`, `tp`, ...).
    pub group_name: String,
    /// The buffer per rank (an all-to-all's bytes each rank sends, as `run --size`).
    pub bytes: Bytes,
    /// Where the buffer lives.
    pub memory: MemoryKind,
    /// The root of broadcast and reduce, as a rank of the group.
    pub root: u32,
    /// How an all-to-allv splits each rank's `bytes` over the members of its group (the
    /// matrix is made when the group's size is known); `None` for every other collective.
    pub split: Option<Split>,
}

/// How an all-to-allv splits each rank's bytes over its group: evenly, or over hot experts
/// drawn from a Zipf law (as `kernbench run --distribution`; see
/// [`SizeMatrix`](crate::exchange::SizeMatrix)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Split {
    /// The same bytes to every member.
    Uniform,
    /// Skewed towards a few members, the hot experts, drawn with `seed`.
    Zipf {
        /// The law's exponent (0 is uniform; 1.2 is a typical skew).
        exponent: f64,
        /// The seed of the draw.
        seed: u64,
    },
}

impl Split {
    /// The matrix of an all-to-allv of `bytes` per rank over `ranks` members.
    pub fn matrix(self, ranks: u32, bytes: u64) -> Result<crate::exchange::SizeMatrix, String> {
        match self {
            Split::Uniform => crate::exchange::SizeMatrix::uniform(ranks, bytes),
            Split::Zipf { exponent, seed } => {
                crate::exchange::SizeMatrix::zipf(ranks, bytes, exponent, seed)
            }
        }
    }
}

/// A send's or receive's peer, tag and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    /// The other rank.
    pub peer: Peer,
    /// The tag: a receive takes the sends of its peer with the same tag, in order.
    pub tag: u32,
    /// The bytes sent (a receive expects the same).
    pub bytes: Bytes,
    /// Where the bytes live on both ranks.
    pub memory: MemoryKind,
}

/// A peer named relative to the rank that runs the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// `rank + 1`, the last rank's is rank 0 (a ring).
    Next,
    /// `rank - 1`, rank 0's is the last rank (a ring).
    Prev,
    /// `rank + offset`, which must be a rank (no wrap-around).
    Offset(i64),
    /// This rank.
    Rank(u32),
}

impl Peer {
    /// The peer of `rank` in a world of `n` ranks, or `None` if it is not a rank of it.
    pub fn of(self, rank: u32, n: u32) -> Option<u32> {
        let (rank, n) = (i64::from(rank), i64::from(n));
        let peer = match self {
            Peer::Next => (rank + 1).rem_euclid(n.max(1)),
            Peer::Prev => (rank - 1).rem_euclid(n.max(1)),
            Peer::Offset(k) => rank.checked_add(k)?,
            Peer::Rank(r) => i64::from(r),
        };
        (0..n).contains(&peer).then_some(peer as u32)
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Next => f.write_str("next"),
            Peer::Prev => f.write_str("prev"),
            Peer::Offset(k) if *k >= 0 => write!(f, "rank+{k}"),
            Peer::Offset(k) => write!(f, "rank{k}"),
            Peer::Rank(r) => write!(f, "{r}"),
        }
    }
}

impl std::str::FromStr for Peer {
    type Err = String;
    fn from_str(text: &str) -> Result<Peer, String> {
        let bad = || {
            format!("\"{text}\" is not a peer; write next, prev, rank+K, rank-K or a rank number")
        };
        let t = text.trim();
        match t {
            "next" => return Ok(Peer::Next),
            "prev" => return Ok(Peer::Prev),
            _ => {}
        }
        if let Some(rest) = t.strip_prefix("rank") {
            let rest = rest.trim();
            let (sign, digits) = match rest.split_at_checked(1) {
                Some(("+", d)) => (1, d),
                Some(("-", d)) => (-1, d),
                _ => return Err(bad()),
            };
            let k: i64 = digits.trim().parse().map_err(|_| bad())?;
            return Ok(Peer::Offset(sign * k));
        }
        t.parse::<u32>().map(Peer::Rank).map_err(|_| bad())
    }
}
