//! The interface every collective schedule implements: the built-ins and a user's own.
//!
//! A schedule is what an algorithm *is* to the runner: a name for reports, a verdict on
//! whether it runs a collective on a topology (and why not), and the per-rank body that runs
//! on a [`Comm`]. [`run_collective`](crate::run_collective) and
//! [`ProcessGroup::submit`](crate::ProcessGroup::submit) take any `Rc<dyn Schedule>`; the
//! built-ins are named by [`Algorithm`](crate::Algorithm) in files and flags.
//!
//! ```
//! use std::rc::Rc;
//! use kernbench_algorithms::{
//!     Collective, CollectiveCall, CollectiveError, Comm, LocalBoxFuture, RunConfig, Schedule,
//!     blocks, run_collective,
//! };
//! use kernbench_model::Topology;
//!
//! /// A ring all-reduce that visits the ranks in reverse order.
//! #[derive(Debug)]
//! struct ReverseRing;
//!
//! impl Schedule for ReverseRing {
//!     fn name(&self) -> &str {
//!         "reverse-ring"
//!     }
//!     fn supports(&self, collective: Collective, _: &Topology) -> Result<(), String> {
//!         match collective {
//!             Collective::AllReduce => Ok(()),
//!             _ => Err("reverse-ring runs all-reduce only".into()),
//!         }
//!     }
//!     fn run<'a>(
//!         &'a self,
//!         call: CollectiveCall,
//!         comm: Comm,
//!     ) -> LocalBoxFuture<'a, Result<(), CollectiveError>> {
//!         Box::pin(async move {
//!             let ranks: Vec<u32> = (0..comm.world_size()).rev().collect();
//!             let range = (0, comm.bytes());
//!             blocks::ring(&comm, &ranks, range, call.collective, call.op, 0).await
//!         })
//!     }
//! }
//!
//! let topology = Rc::new(Topology::load("../topologies/ring8.ron")?);
//! let config = RunConfig { verify: true, ..RunConfig::all_reduce(ReverseRing, 1 << 20) };
//! let report = run_collective(topology, &config)?;
//! assert_eq!(report.algorithm, "reverse-ring");
//! assert_eq!(report.verified, Some(true));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use kernbench_model::Topology;

use crate::comm::Comm;
use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::names::Collective;

/// A future that is neither `Send` nor `'static`: what [`Schedule::run`] returns (the
/// simulation is single-threaded, and the body may borrow the schedule).
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A collective schedule: the per-rank program of one algorithm.
///
/// Every rank runs [`run`](Schedule::run) at once, each with its own [`Comm`]; the schedule
/// is done when every rank's body has returned. The runner checks
/// [`supports`](Schedule::supports) once, before anything runs, and verifies the data
/// afterwards when asked, exactly as for a built-in.
pub trait Schedule: fmt::Debug {
    /// The name in reports, traces and process names (`ring`, `my-ring`).
    fn name(&self) -> &str;

    /// `Ok` if this schedule runs `collective` on `topology`; otherwise the reason, as a
    /// sentence with the fix (`"the ring runs all-reduce, ...; use tree for broadcast"`).
    fn supports(&self, collective: Collective, topology: &Topology) -> Result<(), String>;

    /// This rank's part of `call`, on `comm` (the rank, its buffer, the messages).
    fn run<'a>(
        &'a self,
        call: CollectiveCall,
        comm: Comm,
    ) -> LocalBoxFuture<'a, Result<(), CollectiveError>>;

    /// Whether the schedule takes its shape from the whole machine (a grid's rows and
    /// columns, the cubes), so that it runs on every rank of a launch and never on a
    /// sub-group ([`ProcessGroup::new_group`](crate::ProcessGroup::new_group)). `false`
    /// unless a schedule says so: logical schedules run on any group.
    fn whole_machine(&self) -> bool {
        false
    }
}

/// Anything that names a schedule: a built-in [`Algorithm`](crate::Algorithm), a user's
/// [`Schedule`] value, or a shared `Rc<dyn Schedule>`.
pub trait IntoSchedule {
    /// The schedule as the shared handle runners and process groups keep.
    fn into_schedule(self) -> Rc<dyn Schedule>;
}

impl<S: Schedule + 'static> IntoSchedule for S {
    fn into_schedule(self) -> Rc<dyn Schedule> {
        Rc::new(self)
    }
}

impl IntoSchedule for Rc<dyn Schedule> {
    fn into_schedule(self) -> Rc<dyn Schedule> {
        self
    }
}

impl IntoSchedule for crate::names::Algorithm {
    fn into_schedule(self) -> Rc<dyn Schedule> {
        self.shared()
    }
}

/// Whether `schedule` runs `collective` on `topology`: a [`CollectiveError::Unsupported`]
/// with its reason if not.
pub fn check(
    schedule: &dyn Schedule,
    collective: Collective,
    topology: &Topology,
) -> Result<(), CollectiveError> {
    schedule
        .supports(collective, topology)
        .map_err(|reason| CollectiveError::Unsupported {
            algorithm: schedule.name().to_string(),
            collective: collective.to_string(),
            topology: topology.name().to_string(),
            reason,
        })
}

/// Implements [`Schedule`] for a built-in's unit struct from its file's `supports` and `run`.
macro_rules! builtin_schedule {
    ($ty:ident, $name:literal, whole_machine) => {
        $crate::schedule::builtin_schedule!(@impl $ty, $name, true);
    };
    ($ty:ident, $name:literal) => {
        $crate::schedule::builtin_schedule!(@impl $ty, $name, false);
    };
    (@impl $ty:ident, $name:literal, $whole:literal) => {
        impl $crate::schedule::Schedule for $ty {
            fn name(&self) -> &str {
                $name
            }
            fn supports(
                &self,
                collective: $crate::names::Collective,
                topology: &kernbench_model::Topology,
            ) -> Result<(), String> {
                supports(collective, topology)
            }
            fn run<'a>(
                &'a self,
                call: $crate::group::CollectiveCall,
                comm: $crate::comm::Comm,
            ) -> $crate::schedule::LocalBoxFuture<'a, Result<(), $crate::error::CollectiveError>>
            {
                Box::pin(run(call, comm))
            }
            fn whole_machine(&self) -> bool {
                $whole
            }
        }
    };
}
pub(crate) use builtin_schedule;
