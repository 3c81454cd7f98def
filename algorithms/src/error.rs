//! The one error type of the algorithms crate.

use kernbench_engine::{DeadlockReport, SimTime};
use kernbench_model::ModelError;

use crate::diagnosis::ConfigPart;
use thiserror::Error;

/// What can go wrong launching or running a collective.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CollectiveError {
    /// A workload that cannot run: a task's field, what is wrong and the fix.
    #[error("{}{field}: {reason}", task.as_ref().map(|t| format!("node \"{t}\": ")).unwrap_or_default())]
    BadWorkload {
        /// The task's name, when one task is at fault.
        task: Option<String>,
        /// The task's index in the workload.
        index: Option<usize>,
        /// The field at fault (`deps`, `op`, `on`, ...).
        field: &'static str,
        /// What is wrong, and the fix.
        reason: String,
    },

    /// A name that is not a collective, algorithm or memory.
    #[error("unknown {what} \"{text}\"; use one of: {known}")]
    UnknownName {
        /// What kind of name.
        what: &'static str,
        /// The name as written.
        text: String,
        /// The accepted names.
        known: String,
    },

    /// The launch asked for a world size other than the topology's SIP count.
    #[error(
        "world_size {asked} != {sips} SIPs in topology {topology}; rank = SIP, so use world_size {sips} or another topology"
    )]
    WorldSize {
        /// The world size asked for.
        asked: u32,
        /// The topology's SIP count.
        sips: u32,
        /// The topology's name.
        topology: String,
    },

    /// The algorithm cannot run this collective on this topology.
    #[error("{algorithm} {collective} does not run on topology {topology}: {reason}")]
    Unsupported {
        /// The algorithm.
        algorithm: String,
        /// The collective.
        collective: String,
        /// The topology's name.
        topology: String,
        /// Why, and what to use instead.
        reason: String,
    },

    /// A size that is not a whole number of `f32` elements.
    #[error(
        "size {bytes} bytes is not a whole number of 4-byte f32 elements; use a multiple of 4 bytes"
    )]
    Misaligned {
        /// The size asked for.
        bytes: u64,
    },

    /// A process group that names no rank, a rank outside the launch or twice, or is made by
    /// a rank not in it.
    #[error("process group: {reason}")]
    BadGroup {
        /// What is wrong and the fix.
        reason: String,
    },

    /// All-to-allv sizes that are missing or do not fit the group or buffer.
    #[error("all-to-allv sizes: {reason}")]
    BadSizes {
        /// What is wrong and the fix.
        reason: String,
    },

    /// Send-recv pairs that name ranks outside the world, or a rank twice.
    #[error("send-recv pairs: {reason}")]
    BadPairs {
        /// What is wrong and the fix.
        reason: String,
    },

    /// A root rank outside the world.
    #[error("root rank {root} is not in a world of {world_size} ranks; use 0..{world_size}")]
    BadRoot {
        /// The root asked for.
        root: u32,
        /// The world size.
        world_size: u32,
    },

    /// A schedule addressed a message to a rank that does not exist.
    #[error(
        "rank {rank} sent to rank {peer}, but the world has {world_size} ranks (0..{world_size}); fix the schedule's peer"
    )]
    PeerOutOfRange {
        /// The sender.
        rank: u32,
        /// The rank it named.
        peer: u32,
        /// The world size.
        world_size: u32,
    },

    /// A fault or override names a rank outside the world.
    #[error(
        "a fault or override names rank {rank}, but the world has {world_size} ranks; use 0..{world_size}"
    )]
    NoSuchRank {
        /// The rank named.
        rank: u32,
        /// The world size.
        world_size: u32,
    },

    /// A fault names a program id outside a PE program's launch.
    #[error(
        "a fault names program {program}, but {name} runs {programs} programs (one per PE); use 0..{programs}"
    )]
    NoSuchProgramId {
        /// The program id named.
        program: u32,
        /// The PE program.
        name: String,
        /// Programs in the launch.
        programs: u32,
    },

    /// A fault names a send a rank never starts.
    #[error(
        "rank {rank} starts {sends} sends in {program} without faults (steps 0..{sends}), so it has no step {step}; {fix}"
    )]
    NoSuchStep {
        /// The rank.
        rank: u32,
        /// The step named.
        step: u32,
        /// The sends it starts.
        sends: u32,
        /// What runs, e.g. `all-reduce ring on ring8`.
        program: String,
        /// What to do instead.
        fix: String,
    },

    /// A fault names a peer a rank never sends to, or a source it never receives from.
    #[error("rank {rank} never {verb} rank {named} in {program} without faults; {fix}")]
    NotAPeer {
        /// The rank.
        rank: u32,
        /// The rank named.
        named: u32,
        /// `sends to` or `receives from`.
        verb: &'static str,
        /// What runs, e.g. `all-reduce ring on ring8`.
        program: String,
        /// What to do instead, naming the ranks it does use.
        fix: String,
    },

    /// A fault that would leave the run as it is.
    #[error("{fault} changes nothing: {why}; change it or remove it")]
    NoEffect {
        /// The fault, e.g. `WrongTag(rank: 2, off_by: 0)`.
        fault: String,
        /// Why it changes nothing.
        why: String,
    },

    /// Two faults of one rank that change the same thing.
    #[error("rank {rank} has two faults that change {what}; keep one")]
    FaultConflict {
        /// The rank.
        rank: u32,
        /// What both change, e.g. `where its messages go`.
        what: &'static str,
    },

    /// A fault or parameter that the program would ignore.
    #[error("{what} is for {applies_to}, not for {program}; remove it")]
    DoesNotApply {
        /// The fault or parameter, e.g. `a peer off by one`.
        what: &'static str,
        /// The programs it is for, e.g. `collectives`.
        applies_to: &'static str,
        /// The program it was given to, e.g. `the PE program send-then-recv`.
        program: String,
    },

    /// One part of a [`DiagnoseConfig`](crate::DiagnoseConfig) was refused, for the reason
    /// `error`; `part` says which, so a caller that read the configuration from a file can
    /// name the place in it.
    #[error("{part}: {error}")]
    InConfig {
        /// The part refused.
        part: ConfigPart,
        /// Why.
        error: Box<CollectiveError>,
    },

    /// A verified run whose result was wrong.
    #[error(
        "verification failed: rank {rank}, element {index}: got {got}, expected {expected} ({algorithm} {collective})"
    )]
    Verification {
        /// The algorithm.
        algorithm: String,
        /// The collective.
        collective: String,
        /// The rank whose result was wrong.
        rank: u32,
        /// The first wrong element.
        index: usize,
        /// Its value.
        got: f32,
        /// The exact value.
        expected: f32,
    },

    /// The run stopped making progress: the engine's report names every blocked receive.
    #[error("the collective deadlocked\n{0}")]
    Deadlock(Box<DeadlockReport>),

    /// The run passed its simulated-time limit before finishing.
    #[error(
        "the collective had not finished by the time limit {limit} ({events} events); raise the limit or look for a livelock"
    )]
    TimeLimit {
        /// The limit.
        limit: SimTime,
        /// Events processed.
        events: u64,
    },

    /// Simulated time ran past the end of the clock (2^64 ps): a delay was far too long.
    #[error(
        "simulated time overflowed after {time} ({events} events): the run would last more than 2^64 ps (about 213 days); check the link bandwidths and the size"
    )]
    TimeOverflow {
        /// The last time before the overflow.
        time: SimTime,
        /// Events processed.
        events: u64,
    },

    /// A process of the simulation panicked: a bug in kernbench, not in the input.
    #[error("internal error: {0}")]
    Internal(String),

    /// The machine refused (a buffer that does not fit, a bad range, ...).
    #[error(transparent)]
    Model(Box<ModelError>),
}

impl From<ModelError> for CollectiveError {
    fn from(error: ModelError) -> Self {
        CollectiveError::Model(Box::new(error))
    }
}
