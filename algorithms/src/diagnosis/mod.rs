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
//! A stall carries the engine's report of every waiting process (its wait, since when, who
//! could wake it, the wait-for cycles and the processes that finished) and the last transfers
//! before the stall, from a timeline recorded for the purpose.
//!
//! The normal runners ([`run_collective`](crate::run_collective),
//! [`run_pe_kernel`](crate::run_pe_kernel)) inject no faults and record no timeline; the
//! fault hooks are a rank list checked once per message.

use std::rc::Rc;

use kernbench_engine::{DeadlockReport, SimTime};
use kernbench_model::{Bytes, Machine, MachineOptions, MemoryKind, Topology, TraceTrack};
use serde::Serialize;

mod check;
mod faults;
mod min_depth;
mod programs;

pub use check::{ConfigPart, check_diagnosis};
pub use faults::Faults;
pub use min_depth::{GENEROUS_IPCQ_DEPTH, MAX_IPCQ_DEPTH, MinDepth, min_ipcq_depth};

use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::launch::launch_with_faults;
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

/// A stalled run: why, the state of every waiting process, and what moved last.
#[derive(Clone, Debug, Serialize)]
pub struct Stall {
    /// Why it stalled.
    pub kind: StallKind,
    /// Every waiting process with its waits and wakers, the wait-for cycles and the finished
    /// processes (for a time bound or livelock: the state when the run was stopped).
    pub report: DeadlockReport,
    /// The last transfers before the stall, oldest first (by end time).
    pub last_transfers: Vec<TransferSpan>,
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
    check_diagnosis(&topology, config)?;
    let options = MachineOptions {
        data: false,
        trace: true,
    };
    let mut runner = Runner::new(topology, options, config.bytes)?;
    runner.simulation.record_finished();
    let machine = runner.machine.clone();
    for &(from, to) in &config.faults.cut_links {
        machine.cut_link(from, to)?;
    }
    match config.program {
        DiagnoseProgram::Collective {
            collective,
            algorithm,
        } => launch_collective(&machine, collective, algorithm, config)?,
        program => launch_pe_program(&machine, program, config)?,
    }
    let limits = Limits {
        time: Some(config.time_bound),
        livelock_events: Some(config.livelock_events),
    };
    Ok(match runner.run(limits)? {
        Ended::Completed { time, events } => Diagnosis::Completed { time, events },
        Ended::Stalled { kind, report, .. } => Diagnosis::Stalled(Box::new(Stall {
            kind,
            report,
            last_transfers: last_transfers(&machine, config.last_transfers),
        })),
    })
}

/// The last `count` transfers of the machine's timeline, oldest first. A transfer records one
/// span per link of its route, all at once when it ends, so a run of consecutive link spans
/// with one name is one transfer.
fn last_transfers(machine: &Machine, count: usize) -> Vec<TransferSpan> {
    let mut transfers: Vec<TransferSpan> = Vec::new();
    let mut previous_hop_end: Option<SimTime> = None;
    for record in machine.take_trace() {
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

/// Starts the collective on every rank, with the faults (checked by [`check_diagnosis`]).
fn launch_collective(
    machine: &Machine,
    collective: Collective,
    algorithm: Algorithm,
    config: &DiagnoseConfig,
) -> Result<(), CollectiveError> {
    let call = CollectiveCall::new(collective);
    let schedule = algorithm.shared();
    let world_size = machine.topology().sip_count();
    let faults = &config.faults;
    let (bytes, memory) = (config.bytes, config.memory);
    let sizes = Rc::new(faults.size_overrides.clone());
    let memories = Rc::new(faults.memory_overrides.clone());
    launch_with_faults(machine, world_size, config.faults.clone(), move |rank| {
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
    Ok(())
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
