//! Running one collective on one topology, end to end: launch, submit on every rank, run,
//! verify, and measure as nccl-tests does.

use std::cell::RefCell;
use std::rc::Rc;

use kernbench_engine::SimTime;
use kernbench_model::{
    Bytes, LinkBusy, LinkStats, MachineOptions, MemoryKind, NetworkModel, ReduceOp, Topology,
    TraceRecord,
};

use crate::error::CollectiveError;
use crate::exchange::SizeMatrix;
use crate::group::{Channels, CollectiveCall, Groups};
use crate::launch::launch;
use crate::names::Collective;
use crate::p2p::Pairs;
use crate::runner::{Limits, Runner};
use crate::schedule::{IntoSchedule, Schedule};
use crate::verify;

/// What to run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The collective.
    pub collective: Collective,
    /// The schedule that runs it: a built-in (`Algorithm::Ring.into()`) or a user's own.
    pub algorithm: Rc<dyn Schedule>,
    /// The buffer size per rank (a multiple of 4 bytes).
    pub bytes: Bytes,
    /// Where every rank's buffer lives.
    pub memory: MemoryKind,
    /// Carry real `f32` data and check every rank's result.
    pub verify: bool,
    /// The reduction.
    pub op: ReduceOp,
    /// The root of broadcast and reduce.
    pub root: u32,
    /// The largest message of chunking schedules ([`DEFAULT_CHUNK`](crate::DEFAULT_CHUNK)).
    pub chunk: Bytes,
    /// How many channels to split the data over ([`Channels::Auto`]: as the wiring allows).
    pub channels: Channels,
    /// Stop (as an error) if the collective has not finished by this simulated time.
    pub time_limit: Option<SimTime>,
    /// Record a timeline of transfers per link and phases per rank ([`RunReport::trace`]) and
    /// the links' busy intervals ([`RunReport::link_busy`]).
    pub trace: bool,
    /// Who sends to whom in a send-recv ([`Pairs::Forward`] by default; other collectives
    /// ignore it), within each group.
    pub pairs: Pairs,
    /// Whether the ranks run the collective as one group or as several at once.
    pub groups: Groups,
    /// An all-to-allv's per-pair sizes, one row and column per rank of a group (`bytes` is
    /// then not used); without them an all-to-allv splits each rank's `bytes` evenly
    /// ([`SizeMatrix::uniform`]). Other collectives ignore it.
    pub sizes: Option<Rc<SizeMatrix>>,
    /// How the network times transfers: packet by packet (exact, the default) or as max-min
    /// fair flows (fast; see [`NetworkModel`]).
    pub network: NetworkModel,
}

impl RunConfig {
    /// A sum all-reduce of `bytes` in HBM with `algorithm` (an
    /// [`Algorithm`](crate::Algorithm) or any `Rc<dyn Schedule>`), unverified.
    pub fn all_reduce(algorithm: impl IntoSchedule, bytes: impl Into<Bytes>) -> RunConfig {
        RunConfig {
            collective: Collective::AllReduce,
            algorithm: algorithm.into_schedule(),
            bytes: bytes.into(),
            memory: MemoryKind::Hbm,
            verify: false,
            op: ReduceOp::Sum,
            root: 0,
            chunk: crate::group::DEFAULT_CHUNK,
            channels: Channels::Auto,
            time_limit: None,
            trace: false,
            pairs: Pairs::Forward,
            groups: Groups::World,
            sizes: None,
            network: NetworkModel::Packet,
        }
    }
}

/// The measured result of one run, with nccl-tests' metrics, in unit types.
///
/// The command line and the sweep print it as one row (`kernbench::result_row`), so a
/// single run and a sweep point print the same fields with the same digits.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The topology's name.
    pub topology: String,
    /// The collective.
    pub collective: Collective,
    /// The schedule's name (`ring`, or a user schedule's own).
    pub algorithm: String,
    /// The memory of the buffers.
    pub memory: MemoryKind,
    /// Buffer size per rank.
    pub bytes: Bytes,
    /// Ranks (= SIPs).
    pub world_size: u32,
    /// How the ranks were split ([`RunConfig::groups`]); busbw uses the ranks of one group,
    /// and the time is the slowest group's.
    pub groups: Groups,
    /// An all-to-allv's sizes: `bytes` is then their total over the ranks of a group, algbw
    /// that over the time, and busbw the bytes that crossed between ranks
    /// ([`SizeMatrix::moved`]) per rank over the time.
    pub sizes: Option<Rc<SizeMatrix>>,
    /// The channels asked for ([`RunConfig::channels`]): `auto` stays `auto`, not the count
    /// the schedule chose, so the report names the point as it was requested.
    pub channels: Channels,
    /// The largest message asked for ([`RunConfig::chunk`]).
    pub chunk: Bytes,
    /// The network model that timed the transfers ([`RunConfig::network`]).
    pub network: NetworkModel,
    /// Simulated time from the start to the last rank's finish (exact, in picoseconds).
    pub time: SimTime,
    /// `bytes / time`, in GB/s (1e9 bytes per second).
    pub algbw_gbps: f64,
    /// `algbw * factor` (see [`Collective::busbw_factor`]), in GB/s.
    pub busbw_gbps: f64,
    /// The topology's injection bound ([`Topology::injection_bandwidth`]), in GB/s: the
    /// ceiling of `busbw_gbps`. `None` for one SIP, which has no links to inject into.
    pub bound_gbps: Option<f64>,
    /// `Some(true)` when the data was checked and found right (a wrong result is an error,
    /// not a report); `None` when it was not checked.
    pub verified: Option<bool>,
    /// Engine events processed.
    pub events: u64,
    /// Per-link counters (bytes, packets, busy time), by edge index.
    pub links: Vec<LinkStats>,
    /// The timeline, when [`RunConfig::trace`] asked for one.
    pub trace: Vec<TraceRecord>,
    /// Every link's busy intervals, by edge index and then by time, when
    /// [`RunConfig::trace`] asked for a timeline (see [`LinkBusy`]): a link's add up to its
    /// [`LinkStats::busy`] in [`links`](RunReport::links).
    pub link_busy: Vec<LinkBusy>,
}

impl RunReport {
    /// The simulated time in nanoseconds, as the tables print it.
    pub fn time_ns(&self) -> f64 {
        self.time.as_ns_f64()
    }

    /// `busbw / bound`: the fraction of the injection bound the run reached, in `0..=1` for
    /// a correct model. `None` without a bound (one SIP).
    pub fn efficiency(&self) -> Option<f64> {
        self.bound_gbps
            .filter(|bound| *bound > 0.0)
            .map(|bound| self.busbw_gbps / bound)
    }
}

/// Runs `config` on `topology` with one rank per SIP.
///
/// # Errors
/// Bad input ([`CollectiveError::Unsupported`], [`CollectiveError::Model`] for a buffer that
/// does not fit, ...), a [`CollectiveError::Deadlock`] or [`CollectiveError::TimeLimit`], or a
/// [`CollectiveError::Verification`] naming the first wrong element.
pub fn run_collective(
    topology: Rc<Topology>,
    config: &RunConfig,
) -> Result<RunReport, CollectiveError> {
    let call = CollectiveCall {
        collective: config.collective,
        op: config.op,
        root: config.root,
        chunk: config.chunk,
        channels: config.channels,
        send_to: None,
        recv_from: None,
    };
    let schedule = config.algorithm.clone();
    crate::schedule::check(&*schedule, call.collective, &topology)?;
    let world_size = topology.sip_count();
    let groups = config.groups;
    groups
        .check(world_size)
        .map_err(|reason| CollectiveError::BadGroup { reason })?;
    let group_size = groups.size(world_size);
    if call.collective == Collective::SendRecv {
        config
            .pairs
            .check(group_size)
            .map_err(|reason| CollectiveError::BadPairs { reason })?;
    }
    let sizes = match (call.collective, &config.sizes) {
        // No sizes: each rank's `bytes` split evenly, as `run --distribution uniform`.
        (Collective::AllToAllv, None) => Some(Rc::new(
            SizeMatrix::uniform(group_size, config.bytes.0)
                .map_err(|reason| CollectiveError::BadSizes { reason })?,
        )),
        (Collective::AllToAllv, Some(sizes)) if sizes.ranks() != group_size => {
            return Err(CollectiveError::BadSizes {
                reason: format!(
                    "the sizes are for {} ranks, but a group has {group_size}; give one row and column per rank",
                    sizes.ranks()
                ),
            });
        }
        (Collective::AllToAllv, Some(sizes)) => Some(sizes.clone()),
        _ => None,
    };
    let pairs = config.pairs.clone();
    let options = MachineOptions {
        data: config.verify,
        trace: config.trace,
        network: config.network,
    };
    let mut runner = Runner::new(topology.clone(), options, config.bytes.0)?;
    let machine = runner.machine.clone();
    let results: Rc<RefCell<Vec<Option<Vec<f32>>>>> =
        Rc::new(RefCell::new(vec![None; world_size as usize]));
    let (bytes, memory, verify) = (config.bytes.0, config.memory, config.verify);
    // An all-to-all sends from one half of its buffer and receives into the other.
    let buffer_bytes = match (config.collective, &sizes) {
        (Collective::AllToAll, _) => crate::exchange::buffer_bytes(bytes),
        (Collective::AllToAllv, Some(sizes)) => sizes.buffer_bytes(),
        _ => bytes,
    };
    let bytes = match &sizes {
        // Per rank of a group, on average, whole f32s.
        Some(sizes) => sizes.total() / u64::from(group_size.max(1)) / 4 * 4,
        None => bytes,
    };
    let launch_sizes = sizes.clone();
    let sink = results.clone();
    let launch_pairs = pairs.clone();
    launch(&machine, world_size, move |rank| {
        let sink = sink.clone();
        let schedule = schedule.clone();
        let members = groups.members_of(rank.rank(), world_size);
        let index = groups.index_of(rank.rank());
        let sizes = launch_sizes.clone();
        let call = match call.collective {
            Collective::SendRecv => {
                let (send_to, recv_from) = launch_pairs.peers(index, group_size);
                CollectiveCall {
                    send_to,
                    recv_from,
                    ..call
                }
            }
            _ => call,
        };
        async move {
            let buffer = rank.alloc(memory, Bytes(buffer_bytes))?;
            if verify {
                let r = rank.rank();
                buffer.fill_with(|i| verify::initial_value(r, i));
            }
            let group = match groups {
                Groups::World => rank.process_group(),
                Groups::Split { .. } => rank.process_group().new_group(&members)?,
            };
            let work = match sizes {
                Some(sizes) => group.all_to_allv(&buffer, sizes, schedule)?,
                None => group.submit(&buffer, call, &schedule)?,
            };
            work.wait().await;
            sink.borrow_mut()[rank.rank() as usize] = buffer.data().map(|d| d.clone());
            Ok(())
        }
    })?;
    let limits = Limits {
        time: config.time_limit,
        livelock_events: None,
    };
    let (time, events) = runner.run(limits)?.completed()?;
    if verify {
        verify::check(
            call,
            (&pairs, groups, sizes.as_ref()),
            config.algorithm.name(),
            world_size,
            bytes,
            &results.borrow(),
        )?;
    }
    let seconds = time.as_secs_f64();
    let algbw = if seconds > 0.0 {
        bytes as f64 / seconds / 1e9
    } else {
        0.0
    };
    Ok(RunReport {
        topology: topology.name().to_string(),
        collective: config.collective,
        algorithm: config.algorithm.name().to_string(),
        memory,
        bytes: Bytes(bytes),
        world_size,
        groups,
        sizes: sizes.clone(),
        channels: config.channels,
        chunk: config.chunk,
        network: config.network,
        time,
        algbw_gbps: algbw,
        busbw_gbps: match &sizes {
            Some(sizes) if seconds > 0.0 => {
                sizes.moved() as f64 / f64::from(group_size.max(1)) / seconds / 1e9
            }
            _ => algbw * config.collective.busbw_factor(group_size),
        },
        bound_gbps: topology
            .injection_bandwidth()
            .map(|bound| bound.bytes_per_second() as f64 / 1e9),
        verified: verify.then_some(true),
        events,
        links: machine.link_stats().into_iter().map(|(_, s)| s).collect(),
        trace: machine.take_trace(),
        link_busy: machine.take_link_busy(),
    })
}
