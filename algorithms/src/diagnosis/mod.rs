//! # Deadlock diagnosis runs
//!
//! [`diagnose`] runs one collective or one PE kernel, possibly with [`Faults`] injected on
//! purpose, and ends in a [`Diagnosis`]: it completed, or it stalled. A run stalls in one of
//! three ways ([`StallKind`]):
//!
//! - **deadlock**: the engine's calendar emptied while processes still waited;
//! - **time bound**: simulated time passed [`DiagnoseConfig::time_bound`];
//! - **livelock**: events kept firing but nothing moved: for
//!   [`DiagnoseConfig::livelock_events`] events in a row no transfer started and no link
//!   carried a packet (processes polling each other forever). Progress is checked between
//!   slices of [`SLICE_EVENTS`] events, never per event, so the check costs nothing on the
//!   engine's hot path; the bound is therefore met to within one slice.
//!
//! A stall carries its likely [`Cause`] in one sentence ([`cause`](Stall::cause), see
//! `cause.rs` for how it is found), the engine's report of every waiting process (its wait,
//! since when, who could wake it, the wait-for cycles and the processes that finished), the
//! messages sent and never received with the nearest one beside each receive that waits
//! (from the machine's message ledger, see `unmatched.rs`), and the last transfers before the
//! stall, from a timeline recorded for the purpose.
//!
//! The normal runners ([`run_collective`](crate::run_collective),
//! [`run_pe_kernel`](crate::run_pe_kernel)) inject no faults and record no timeline or
//! ledger; the fault hooks are one flag checked once per message.

use std::rc::Rc;

use kernbench_engine::{DeadlockReport, ProcessRef, SimTime};
use kernbench_model::{
    Bytes, LinkBusy, Machine, MachineOptions, MemoryKind, Party, Topology, TraceRecord, TraceTrack,
    UnreceivedMessage,
};
use serde::Serialize;

mod cause;
mod check;
mod faults;
mod message_faults;
mod min_depth;
mod parties;
mod programs;
mod unmatched;

pub use cause::{Cause, DepthAnswer};
pub use check::{ConfigPart, check_diagnosis};
pub use faults::{Faults, SkipsStep, WrongPeer, WrongSource, WrongTag};
pub use min_depth::{GENEROUS_IPCQ_DEPTH, MAX_IPCQ_DEPTH, MinDepth, min_ipcq_depth};
pub use unmatched::{BlockedReceive, Nearest, Relation, message_line};

use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::launch::{Activity, launch_world};
use crate::names::{Algorithm, Collective};
use crate::pe_kernels::PeKernel;
use crate::runner::{Ended, Limits, Runner, StallKind};
use programs::launch_pe_program;

/// The SIP every PE program of a diagnosis runs on (as every PE kernel does).
pub(crate) use crate::pe_kernels::SIP;

/// What a diagnosis runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagnoseProgram {
    /// A collective on every rank (rank = SIP), its buffers in [`DiagnoseConfig::memory`].
    Collective {
        /// The collective.
        collective: Collective,
        /// Its algorithm.
        algorithm: Algorithm,
    },
    /// One of the bundled PE all-reduce kernels on SIP `c0.s0`.
    Kernel(PeKernel),
    /// A ring of PEs in which every PE receives from its left neighbour before it sends to
    /// its right one: deadlocks at any IPCQ depth.
    RecvBeforeSend,
    /// A ring of PEs in which every PE sends to its right neighbour, then receives from its
    /// left one: completes when an IPCQ holds a message (depth >= 1), deadlocks at depth 0.
    SendThenRecv,
    /// Program 0 polls a flag every 50 ns that program 1 sets only after receiving from
    /// program 0, which sends only once the flag is set: a livelock.
    PollFlag,
}

impl DiagnoseProgram {
    /// The program's name: the collective's `all-reduce ring`, the kernel's, or the
    /// diagnostic program's (`recv-before-send`, `send-then-recv`, `poll-flag`).
    pub fn name(self) -> String {
        match self {
            DiagnoseProgram::Collective {
                collective,
                algorithm,
            } => format!("{collective} {algorithm}"),
            DiagnoseProgram::Kernel(kernel) => kernel.name().to_string(),
            DiagnoseProgram::RecvBeforeSend => "recv-before-send".to_string(),
            DiagnoseProgram::SendThenRecv => "send-then-recv".to_string(),
            DiagnoseProgram::PollFlag => "poll-flag".to_string(),
        }
    }

    /// Whether it runs on PEs over IPCQs (so the IPCQ depth matters).
    pub fn uses_ipcqs(self) -> bool {
        !matches!(self, DiagnoseProgram::Collective { .. })
    }

    /// The TCM buffers, in bytes, that one PE of a PE program holds at once at its peak, on
    /// a `bytes` buffer over `pes` PEs: what [`run_pe`] allocates (none for a collective,
    /// whose buffers are per rank).
    pub(crate) fn tcm_peak(self, bytes: u64, pes: u32) -> Vec<u64> {
        match self {
            DiagnoseProgram::Kernel(kernel) => kernel.tcm_peak(bytes, pes),
            DiagnoseProgram::RecvBeforeSend | DiagnoseProgram::PollFlag => vec![bytes],
            DiagnoseProgram::SendThenRecv => vec![bytes, bytes],
            DiagnoseProgram::Collective { .. } => Vec::new(),
        }
    }
}

/// How to run a diagnosis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiagnoseConfig {
    /// What to run.
    pub program: DiagnoseProgram,
    /// The buffer per rank (collective) or per PE (PE program), in bytes (a multiple of 4).
    pub bytes: u64,
    /// Where a collective's buffers live (PE programs use TCM).
    pub memory: MemoryKind,
    /// PEs a PE program runs on (the first ones of `c0.s0`); `None`: the kernel's own count,
    /// or all the SIP's PEs.
    pub pes: Option<u32>,
    /// Messages an IPCQ holds before a send blocks (PE programs).
    pub ipcq_depth: usize,
    /// Stop as [`StallKind::TimeBound`] once simulated time passes this.
    pub time_bound: SimTime,
    /// Stop as [`StallKind::Livelock`] after this many events without progress.
    pub livelock_events: u64,
    /// Faults to inject.
    pub faults: Faults,
    /// How many of the last transfers before a stall to keep.
    pub last_transfers: usize,
    /// The order the ring algorithm walks (a collective with `ring` only): each rank once.
    /// `None`: along the wiring, as `run` does.
    pub ring_order: Option<Vec<u32>>,
}

/// How a diagnosis ended.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Diagnosis {
    /// Every process finished.
    Completed {
        /// When the last one finished.
        time: SimTime,
        /// Engine events processed.
        events: u64,
    },
    /// The run stopped making progress.
    Stalled(Box<Stall>),
}

/// A stalled run: why, its likely cause, the state of every waiting process, the messages
/// nobody received, and what moved last.
#[derive(Clone, Debug, Serialize)]
pub struct Stall {
    /// Why it stalled.
    pub kind: StallKind,
    /// Its likely cause, found from what follows (never from the faults injected).
    pub cause: Cause,
    /// Every waiting process with its waits and wakers, the wait-for cycles (shortest first)
    /// and the finished processes (for a time bound or livelock: the state when the run was
    /// stopped).
    pub report: DeadlockReport,
    /// Messages sent and never received (in flight, or arrived and waiting in a mailbox or
    /// IPCQ), in the order their sends started; where an injected fault sent one elsewhere,
    /// the rank its sender addressed (the cause does not read it).
    pub unmatched: Vec<UnreceivedMessage>,
    /// The receives that wait, in the order they began, each with the unreceived message
    /// nearest to it.
    pub receives: Vec<BlockedReceive>,
    /// The last transfers before the stall, oldest first (by end time).
    pub last_transfers: Vec<TransferSpan>,
}

impl Stall {
    /// The rank or PE `process` belongs to, by its name (every process of a diagnosis starts
    /// with its party's: `rank3 all-reduce#0 ring`, `c0.s0.p1:pe-ring`).
    pub fn party_of(process: &ProcessRef) -> Option<Party> {
        parties::party_of(process.name.as_deref()?)
    }

    /// The receive `process` waits in, if it waits in one.
    pub fn receive_of(&self, process: &ProcessRef) -> Option<&BlockedReceive> {
        let name = process.name.as_deref()?;
        self.receives
            .iter()
            .find(|r| r.process.as_deref() == Some(name))
    }
}

/// A wait-for cycle written short when it runs through many processes of ranks or PEs one
/// after another, `ranks 7..0, each waiting on the next: 8-cycle (16 processes)`; `None` for
/// a cycle better read in full.
pub fn cycle_summary(cycle: &[ProcessRef]) -> Option<String> {
    parties::cycle_summary(cycle)
}

/// One transfer on the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransferSpan {
    /// What moved, e.g. `4 KiB c0.s0.p0.tcm -> c0.s0.p1.tcm`.
    pub name: String,
    /// When its first packet started on its first link.
    pub start: SimTime,
    /// When its last packet left its last link.
    pub end: SimTime,
}

/// Runs `config.program` on `topology` and says whether it completes, and if not, why.
///
/// # Errors
/// A configuration [`check_diagnosis`] refuses (it runs first:
/// [`CollectiveError::InConfig`]); bad input the run meets, as the normal runners report it
/// ([`CollectiveError::Model`] for a message that lands outside a buffer, ...); or
/// [`CollectiveError::Internal`] for a panic. A deadlock or a limit is not an error here: it
/// is the [`Diagnosis`].
pub fn diagnose(
    topology: Rc<Topology>,
    config: &DiagnoseConfig,
) -> Result<Diagnosis, CollectiveError> {
    diagnose_with_trace(topology, config).map(|(diagnosis, _)| diagnosis)
}

/// A diagnosis run's timeline: the machine's records (ranks' sends and receives) and the
/// links' busy intervals.
pub type Timeline = (Vec<TraceRecord>, Vec<LinkBusy>);

/// [`diagnose`], with the run's timeline up to its end or stall, as
/// [`run_collective`](crate::run_collective) records it with `trace: true`.
///
/// # Errors
/// As [`diagnose`].
pub fn diagnose_with_trace(
    topology: Rc<Topology>,
    config: &DiagnoseConfig,
) -> Result<(Diagnosis, Timeline), CollectiveError> {
    check_diagnosis(&topology, config)?;
    let run = run_once(topology.clone(), config, false)?;
    let mut diagnosis = run.diagnosis;
    // Send-first on full queues: the search says which depth would do.
    if let Diagnosis::Stalled(stall) = &mut diagnosis {
        if let Cause::FullQueues { completes, .. } = &mut stall.cause {
            *completes = Some(match min_depth::search(&topology, config)? {
                MinDepth::Found { depth, .. } => DepthAnswer::Completes { depth },
                MinDepth::NotFound(_) => DepthAnswer::NoneUpTo {
                    max: MAX_IPCQ_DEPTH,
                },
            });
        }
    }
    Ok((diagnosis, (run.trace, run.link_busy)))
}

/// One diagnosis run and what its callers need beside the diagnosis.
pub(crate) struct Run {
    pub(crate) diagnosis: Diagnosis,
    /// The timeline.
    pub(crate) trace: Vec<TraceRecord>,
    /// The links' busy intervals.
    pub(crate) link_busy: Vec<LinkBusy>,
    /// What each rank did, if asked for (collectives).
    pub(crate) activity: Option<Vec<Activity>>,
}

/// Runs `config` once, unchecked (the callers check it, or run a configuration made from a
/// checked one), recording the timeline and the message ledger, and each rank's
/// [`Activity`] if `activity` (collectives). A stall's cause is classified, without a depth
/// search.
pub(crate) fn run_once(
    topology: Rc<Topology>,
    config: &DiagnoseConfig,
    activity: bool,
) -> Result<Run, CollectiveError> {
    let options = MachineOptions {
        data: false,
        trace: true,
        ..MachineOptions::default()
    };
    let mut runner = Runner::new(topology, options, config.bytes)?;
    runner.simulation.record_finished();
    let machine = runner.machine.clone();
    machine.record_messages();
    for &(from, to) in &config.faults.cut_links {
        machine.cut_link(from, to)?;
    }
    let world = match config.program {
        DiagnoseProgram::Collective {
            collective,
            algorithm,
        } => Some(launch_collective(&machine, collective, algorithm, config)?),
        program => {
            launch_pe_program(&machine, program, config)?;
            None
        }
    };
    if activity {
        if let Some(world) = &world {
            world.record_activity();
        }
    }
    let limits = Limits {
        time: Some(config.time_bound),
        livelock_events: Some(config.livelock_events),
    };
    let ended = runner.run(limits)?;
    let trace = machine.take_trace();
    let link_busy = machine.take_link_busy();
    let diagnosis = match ended {
        Ended::Completed { time, events } => Diagnosis::Completed { time, events },
        Ended::Stalled { kind, report, .. } => {
            Diagnosis::Stalled(Box::new(stall(&machine, config, kind, report, &trace)))
        }
    };
    Ok(Run {
        diagnosis,
        trace,
        link_busy,
        activity: world.and_then(|w| w.activity()),
    })
}

/// The stall of a run on `machine` that ended with `report`: its unmatched messages, its
/// waiting receives and their nearest messages, and its likely cause.
fn stall(
    machine: &Machine,
    config: &DiagnoseConfig,
    kind: StallKind,
    mut report: DeadlockReport,
    trace: &[TraceRecord],
) -> Stall {
    let ledger = machine
        .message_log()
        .map(|log| log.snapshot())
        .unwrap_or_default();
    // The shortest cycles first: the most direct explanation.
    report.cycles.sort_by_key(Vec::len);
    let receives: Vec<BlockedReceive> = ledger
        .waiting
        .iter()
        .map(|receive| BlockedReceive {
            process: receive.process.and_then(|pid| {
                report
                    .blocked
                    .iter()
                    .find(|b| b.process.id == pid)
                    .and_then(|b| b.process.name.clone())
            }),
            receive: *receive,
            nearest: unmatched::nearest(receive, &ledger.unreceived),
        })
        .collect();
    let lost = machine.lost_packets();
    let cause = cause::classify(&cause::Evidence {
        kind,
        report: &report,
        ledger: &ledger,
        receives: &receives,
        lost: &lost,
        topology: machine.topology(),
        pe_program: config.program.uses_ipcqs(),
        ipcq_depth: config.ipcq_depth,
    });
    Stall {
        kind,
        cause,
        unmatched: ledger.unreceived.clone(),
        receives,
        last_transfers: last_transfers(trace, config.last_transfers),
        report,
    }
}

/// The last `count` transfers of a timeline, oldest first. A transfer records one span per
/// link of its route, all at once when it ends, so a run of consecutive link spans with one
/// name is one transfer.
fn last_transfers(trace: &[TraceRecord], count: usize) -> Vec<TransferSpan> {
    let mut transfers: Vec<TransferSpan> = Vec::new();
    let mut previous_hop_end: Option<SimTime> = None;
    for record in trace {
        if !matches!(record.track, TraceTrack::Link(_)) {
            continue;
        }
        match transfers.last_mut() {
            // The next hop of the same transfer: it ends no earlier than the hop before.
            Some(last)
                if last.name == record.name
                    && previous_hop_end.is_some_and(|end| record.end >= end) =>
            {
                last.start = last.start.min(record.start);
                last.end = last.end.max(record.end);
            }
            _ => transfers.push(TransferSpan {
                name: record.name.to_string(),
                start: record.start,
                end: record.end,
            }),
        }
        previous_hop_end = Some(record.end);
    }
    // Stable: transfers that end together stay in the order they were recorded.
    transfers.sort_by_key(|t| t.end);
    let skip = transfers.len().saturating_sub(count);
    transfers.split_off(skip)
}

/// Starts the collective on every rank, with the faults (checked by [`check_diagnosis`]);
/// returns the world the ranks share.
fn launch_collective(
    machine: &Machine,
    collective: Collective,
    algorithm: Algorithm,
    config: &DiagnoseConfig,
) -> Result<Rc<crate::launch::World>, CollectiveError> {
    let call = CollectiveCall::new(collective);
    let schedule: Rc<dyn crate::schedule::Schedule> = match &config.ring_order {
        Some(order) => Rc::new(crate::ring::RingInOrder::new(order.clone())),
        None => algorithm.shared(),
    };
    let world_size = machine.topology().sip_count();
    let faults = &config.faults;
    let (bytes, memory) = (config.bytes, config.memory);
    let sizes = Rc::new(faults.size_overrides.clone());
    let memories = Rc::new(faults.memory_overrides.clone());
    let (_, world) = launch_world(machine, world_size, config.faults.clone(), move |rank| {
        let r = rank.rank();
        let bytes = sizes.iter().find(|o| o.0 == r).map_or(bytes, |o| o.1);
        let memory = memories.iter().find(|o| o.0 == r).map_or(memory, |o| o.1);
        let schedule = schedule.clone();
        async move {
            let buffer = rank.alloc(memory, Bytes(bytes))?;
            rank.process_group()
                .submit(&buffer, call, &schedule)?
                .wait()
                .await;
            Ok(())
        }
    })?;
    Ok(world)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::SLICE_EVENTS;

    fn ring8() -> Rc<Topology> {
        // ok: a bundled file, checked by its own tests.
        Rc::new(Topology::load("../topologies/ring8.ron").unwrap())
    }

    fn config(program: DiagnoseProgram) -> DiagnoseConfig {
        DiagnoseConfig {
            program,
            bytes: 4096,
            memory: MemoryKind::Hbm,
            pes: None,
            ipcq_depth: 2,
            time_bound: SimTime::from_ms(10),
            livelock_events: 100_000,
            faults: Faults::default(),
            last_transfers: 3,
            ring_order: None,
        }
    }

    #[test]
    fn a_polling_pair_is_a_livelock_not_a_time_bound() {
        let diagnosis = diagnose(ring8(), &config(DiagnoseProgram::PollFlag)).unwrap();
        let Diagnosis::Stalled(stall) = diagnosis else {
            panic!("the polling pair completed");
        };
        let StallKind::Livelock {
            events_without_progress,
        } = stall.kind
        else {
            panic!("expected a livelock, got {:?}", stall.kind);
        };
        assert!((100_000..100_000 + SLICE_EVENTS).contains(&events_without_progress));
        let p1 = stall.report.blocked_process("c0.s0.p1:poll-flag").unwrap();
        assert_eq!(p1.waits[0].label, "recv c0.s0.p1 <- c0.s0.p0 (4 KiB)");
    }

    #[test]
    fn a_pe_run_as_the_wrong_program_leaves_its_neighbour_waiting() {
        let mut config = config(DiagnoseProgram::Kernel(PeKernel::Ring));
        config.faults.wrong_program_id = vec![(2, 3)];
        let Diagnosis::Stalled(stall) = diagnose(ring8(), &config).unwrap() else {
            panic!("a ring with two programs 3 completed");
        };
        assert_eq!(stall.kind, StallKind::Deadlock);
        assert!(
            stall
                .report
                .blocked
                .iter()
                .any(|b| b.waits[0].label.starts_with("recv c0.s0.p3 <- c0.s0.p2")),
            "{}",
            stall.report
        );
    }

    fn ring_all_reduce(faults: Faults) -> DiagnoseConfig {
        DiagnoseConfig {
            faults,
            ..config(DiagnoseProgram::Collective {
                collective: Collective::AllReduce,
                algorithm: Algorithm::Ring,
            })
        }
    }

    #[test]
    fn a_wrong_peer_leaves_its_message_unmatched_beside_the_receive_that_waits_for_it() {
        let faults = Faults {
            wrong_peers: vec![WrongPeer {
                rank: 2,
                sends_to: 5,
                instead_of: Some(3),
            }],
            ..Faults::default()
        };
        let Diagnosis::Stalled(stall) = diagnose(ring8(), &ring_all_reduce(faults)).unwrap() else {
            panic!("a ring with a wrong peer completed");
        };
        let Cause::WrongPeer {
            sender,
            went_to,
            waiting,
            ..
        } = stall.cause
        else {
            panic!("expected a wrong peer, got {}", stall.cause);
        };
        assert_eq!(
            (sender, went_to, waiting),
            (Party::Rank(2), Party::Rank(5), Party::Rank(3))
        );
        let rank3 = stall
            .receives
            .iter()
            .find(|r| r.receive.at == Party::Rank(3) && r.receive.from == Party::Rank(2))
            .unwrap();
        let nearest = rank3.nearest.unwrap();
        assert_eq!(nearest.relation, Relation::WrongPeer);
        assert!(stall.unmatched.contains(&nearest.message));
    }

    #[test]
    fn a_step_a_rank_never_takes_is_refused_with_the_steps_it_does() {
        let faults = Faults {
            skipped_steps: vec![SkipsStep { rank: 2, step: 99 }],
            ..Faults::default()
        };
        let Err(CollectiveError::InConfig { part, error }) =
            check_diagnosis(&ring8(), &ring_all_reduce(faults))
        else {
            panic!("a step past the sends of rank 2 was accepted");
        };
        assert_eq!(part, ConfigPart::SkipsStep(0));
        assert_eq!(
            error.to_string(),
            "rank 2 starts 28 sends in all-reduce ring on ring8 without faults (steps 0..28), so it has no step 99; use a step below 28"
        );
    }

    #[test]
    fn a_healthy_kernel_completes_and_a_tight_time_bound_stops_it() {
        let healthy = config(DiagnoseProgram::Kernel(PeKernel::Ring));
        let Diagnosis::Completed { time, .. } = diagnose(ring8(), &healthy).unwrap() else {
            panic!("the healthy ring stalled");
        };
        let bound = SimTime::from_ps(time.as_ps() / 2);
        let tight = DiagnoseConfig {
            time_bound: bound,
            ..healthy
        };
        let Diagnosis::Stalled(stall) = diagnose(ring8(), &tight).unwrap() else {
            panic!("the ring finished within half its time");
        };
        assert_eq!(stall.kind, StallKind::TimeBound { bound });
        assert_eq!(stall.report.time, bound);
    }
}
