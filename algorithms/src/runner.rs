//! The one runner: every program (a collective on every rank, a PE program, a diagnosis
//! run with faults) runs on a fresh [`Simulation`] and [`Machine`] to completion, a stall or
//! a limit, through [`Runner`]. The callers ([`run_collective`](crate::run_collective),
//! [`run_pe_program`](crate::run_pe_program), [`diagnose`](crate::diagnose)) launch their
//! processes on [`Runner::machine`] and turn [`Ended`] into their own report.
//!
//! A livelock watchdog is an option of the run ([`Limits::livelock_events`]): progress (link
//! packets plus transfers started) is read between slices of [`SLICE_EVENTS`] events, never
//! per event, so it costs nothing on the engine's hot path and the bound is met to within
//! one slice.

use std::rc::Rc;

use kernbench_engine::{DeadlockReport, Limit, Outcome, SimError, SimTime, Simulation};
use kernbench_model::{Machine, MachineOptions, ModelError, Topology};
use serde::Serialize;

use crate::error::CollectiveError;

/// Events run between two progress checks of the livelock watchdog.
pub const SLICE_EVENTS: u64 = 10_000;

/// Why a run stalled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StallKind {
    /// The calendar emptied while processes still waited.
    Deadlock,
    /// Simulated time passed the bound.
    TimeBound {
        /// The bound.
        bound: SimTime,
    },
    /// Events kept firing without any transfer or packet moving.
    Livelock {
        /// Events run since the last progress.
        events_without_progress: u64,
    },
}

/// How a run may end besides completing.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Limits {
    /// Stop before any event later than this simulated time.
    pub(crate) time: Option<SimTime>,
    /// Stop after this many events in a row in which nothing moved (a livelock).
    pub(crate) livelock_events: Option<u64>,
}

/// How a run ended.
#[derive(Debug)]
pub(crate) enum Ended {
    /// Every process finished.
    Completed {
        /// The time of the last event.
        time: SimTime,
        /// Events processed.
        events: u64,
    },
    /// It stopped without finishing.
    Stalled {
        /// Why.
        kind: StallKind,
        /// Every waiting process, the cycles and the finished processes.
        report: DeadlockReport,
        /// Events processed.
        events: u64,
    },
}

impl Ended {
    /// The end of a run that must complete: a stall is the error (a deadlock with its report,
    /// a time limit).
    pub(crate) fn completed(self) -> Result<(SimTime, u64), CollectiveError> {
        match self {
            Ended::Completed { time, events } => Ok((time, events)),
            Ended::Stalled {
                kind: StallKind::Deadlock,
                report,
                ..
            } => Err(CollectiveError::Deadlock(Box::new(report))),
            Ended::Stalled {
                kind: StallKind::TimeBound { bound },
                events,
                ..
            } => Err(CollectiveError::TimeLimit {
                limit: bound,
                events,
            }),
            Ended::Stalled {
                kind: StallKind::Livelock { .. },
                events,
                report,
            } => Err(CollectiveError::TimeLimit {
                limit: report.time,
                events,
            }),
        }
    }
}

/// A fresh simulation and machine for one program.
#[derive(Debug)]
pub(crate) struct Runner {
    /// The simulation the program's processes run in.
    pub(crate) simulation: Simulation,
    /// The machine they run on.
    pub(crate) machine: Machine,
}

impl Runner {
    /// A runner for `topology` with `options`, for buffers of `bytes` (checked to be whole
    /// `f32` elements: the one place that rule is checked).
    pub(crate) fn new(
        topology: Rc<Topology>,
        options: MachineOptions,
        bytes: u64,
    ) -> Result<Runner, CollectiveError> {
        if bytes % 4 != 0 {
            return Err(CollectiveError::Misaligned { bytes });
        }
        let simulation = Simulation::new();
        let machine = Machine::new(&simulation.handle(), topology, options);
        Ok(Runner {
            simulation,
            machine,
        })
    }

    /// Runs what was launched until it completes, deadlocks or reaches a limit.
    pub(crate) fn run(&mut self, limits: Limits) -> Result<Ended, CollectiveError> {
        let Some(idle_limit) = limits.livelock_events else {
            let outcome = match limits.time {
                Some(limit) => self.simulation.run_until(limit),
                None => self.simulation.run(),
            };
            return Ok(match outcome.map_err(from_sim_error)? {
                Outcome::Completed { time, events } => Ended::Completed { time, events },
                Outcome::Deadlock(report) => Ended::Stalled {
                    kind: StallKind::Deadlock,
                    events: report.events,
                    report,
                },
                Outcome::LimitReached { time, events, .. } => Ended::Stalled {
                    kind: StallKind::TimeBound { bound: time },
                    report: self.simulation.blocked_report(),
                    events,
                },
            });
        };
        let until = limits.time.unwrap_or(SimTime::MAX);
        let mut progress = progress_of(&self.machine);
        let mut progress_at = self.simulation.events();
        loop {
            let target = self.simulation.events().saturating_add(SLICE_EVENTS);
            let outcome = self
                .simulation
                .run_with(until, target)
                .map_err(from_sim_error)?;
            let events = self.simulation.events();
            let (kind, report) = match outcome {
                Outcome::Completed { time, events } => {
                    return Ok(Ended::Completed { time, events });
                }
                Outcome::Deadlock(report) => (StallKind::Deadlock, report),
                Outcome::LimitReached {
                    limit: Limit::Time(bound),
                    ..
                } => (
                    StallKind::TimeBound { bound },
                    self.simulation.blocked_report(),
                ),
                Outcome::LimitReached { .. } => {
                    let now = progress_of(&self.machine);
                    let idle = events - progress_at;
                    if now != progress {
                        (progress, progress_at) = (now, events);
                        continue;
                    }
                    if idle < idle_limit {
                        continue;
                    }
                    let kind = StallKind::Livelock {
                        events_without_progress: idle,
                    };
                    (kind, self.simulation.blocked_report())
                }
            };
            return Ok(Ended::Stalled {
                kind,
                report,
                events,
            });
        }
    }
}

/// Transfers started plus packets carried by all links: grows whenever anything moves.
fn progress_of(machine: &Machine) -> u64 {
    let packets: u64 = machine
        .link_stats()
        .iter()
        .map(|(_, s)| s.packets)
        .fold(0, u64::wrapping_add);
    packets.wrapping_add(machine.transfer_count())
}

/// A process failure back to the error that caused it: the collective's or the model's own
/// error where a process returned one, an internal error for a panic.
pub(crate) fn from_sim_error(error: SimError) -> CollectiveError {
    match error {
        SimError::ProcessFailed { source, .. } => match source.downcast::<CollectiveError>() {
            Ok(e) => *e,
            Err(source) => match source.downcast::<ModelError>() {
                Ok(e) => CollectiveError::Model(e),
                Err(other) => CollectiveError::Internal(other.to_string()),
            },
        },
        SimError::TimeOverflow { time, events } => CollectiveError::TimeOverflow { time, events },
        other => CollectiveError::Internal(other.to_string()),
    }
}
