//! How a run ends: exactly one [`Outcome`], or a [`SimError`] naming the process at fault.

use std::error::Error;
use std::fmt;

use serde::Serialize;

use crate::deadlock::DeadlockReport;
use crate::process::ProcessId;
use crate::time::SimTime;

/// The one way a run ended (when no process failed).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Every (non-daemon) process finished.
    Completed {
        /// The time of the last event.
        time: SimTime,
        /// Events processed in this run so far (see [`Simulation::events`](crate::Simulation::events)).
        events: u64,
    },
    /// The calendar emptied while processes still waited.
    Deadlock(DeadlockReport),
    /// A limit given to the run was reached first; the simulation can be run further.
    LimitReached {
        /// Which limit.
        limit: Limit,
        /// The clock when the run stopped.
        time: SimTime,
        /// Events processed so far.
        events: u64,
    },
}

/// A limit on a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Simulated time: events after this time were not processed.
    Time(SimTime),
    /// Event budget: this many events were processed in all.
    Events(u64),
}

impl Outcome {
    /// The simulated time at which the run ended.
    pub fn time(&self) -> SimTime {
        match self {
            Outcome::Completed { time, .. } | Outcome::LimitReached { time, .. } => *time,
            Outcome::Deadlock(report) => report.time,
        }
    }

    /// Events processed in all when the run ended.
    pub fn events(&self) -> u64 {
        match self {
            Outcome::Completed { events, .. } | Outcome::LimitReached { events, .. } => *events,
            Outcome::Deadlock(report) => report.events,
        }
    }

    /// Whether every process finished.
    pub fn is_completed(&self) -> bool {
        matches!(self, Outcome::Completed { .. })
    }

    /// The deadlock report, if the run deadlocked.
    pub fn deadlock(&self) -> Option<&DeadlockReport> {
        match self {
            Outcome::Deadlock(report) => Some(report),
            _ => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Completed { time, events } => {
                write!(f, "completed at {time} after {events} events")
            }
            Outcome::Deadlock(report) => write!(f, "{report}"),
            Outcome::LimitReached {
                limit: Limit::Time(limit),
                time,
                events,
            } => write!(
                f,
                "time limit {limit} reached at {time} after {events} events"
            ),
            Outcome::LimitReached {
                limit: Limit::Events(limit),
                time,
                events,
            } => write!(
                f,
                "event limit {limit} reached at {time} after {events} events"
            ),
        }
    }
}

/// A run that could not end in an [`Outcome`]: a process failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A process returned an error; the run stopped at that moment.
    #[error("process {process} ({id}) failed at {time}: {source}")]
    ProcessFailed {
        /// The process's name.
        process: String,
        /// Its id.
        id: ProcessId,
        /// The time of the failure.
        time: SimTime,
        /// The process's error (downcast it to the model's error type).
        source: Box<dyn Error>,
    },
    /// A process panicked; the panic was caught and the run stopped at that moment.
    #[error("process {process} ({id}) panicked at {time}: {message}")]
    ProcessPanicked {
        /// The process's name.
        process: String,
        /// Its id.
        id: ProcessId,
        /// The time of the panic.
        time: SimTime,
        /// The panic message.
        message: String,
    },
    /// An event fell at [`SimTime::MAX`]: time saturates rather than wrapping, so some delay
    /// (a timeout, bytes over a bandwidth) ran past the end of the clock (2^64 ps, about 213
    /// days). The run stopped before that event; its last time is `time`.
    #[error(
        "simulated time overflowed: an event was due past the end of the clock (2^64 ps, about 213 days) after {time} and {events} events; a delay is far too long (check bandwidths, sizes and timeouts)"
    )]
    TimeOverflow {
        /// The time of the last event before the overflow.
        time: SimTime,
        /// Events processed before it.
        events: u64,
    },
    /// `run` was called again on a simulation whose earlier run failed.
    #[error("the simulation cannot run further: an earlier run ended with a failed process")]
    AlreadyFailed,
}
