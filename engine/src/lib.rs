//! # kernbench-engine
//!
//! A SimPy-style discrete-event process engine on stable Rust. Processes are `async` blocks;
//! a single-threaded executor runs them over *simulated* time, an integer number of
//! picoseconds ([`SimTime`]). The engine knows nothing of hardware: the model crate builds
//! links, memories and PEs out of these primitives.
//!
//! - [`Simulation`] owns the clock, the calendar and the processes; [`Sim`] is the handle a
//!   process captures to sleep ([`Sim::timeout`]), spawn ([`Sim::spawn`]) and read the clock.
//! - Primitives: one-shot [`Event`]s with a value, process join ([`ProcessHandle`]), bounded
//!   [`Queue`]s (capacity 0 is a rendezvous), [`Resource`]s of N units, [`all_of`] and
//!   [`any_of`].
//! - Process names and wait labels are [`Name`]s: text, or parts formatted only when a report
//!   shows them ([`Name::lazy`]), for models that start a process per message.
//! - Deterministic: events fire by (time, insertion order); the same model gives the same run.
//! - Every run ends in one [`Outcome`]: completed, [`Outcome::Deadlock`] with a
//!   [`DeadlockReport`] naming every blocked process, what it waits on, since when, who could
//!   wake it and the cycles of the wait-for graph; or a [`Limit`] reached. A process that fails
//!   or panics ends the run with a [`SimError`] naming it.
//!
//! ```
//! use kernbench_engine::{Queue, SimTime, Simulation};
//!
//! let mut simulation = Simulation::new();
//! let sim = simulation.handle();
//! let ab: Queue<u32> = Queue::new(&sim, "a->b", 0);
//! let ba: Queue<u32> = Queue::new(&sim, "b->a", 0);
//! // Each process receives before it sends: a textbook deadlock.
//! let (rx, tx) = (ba.clone(), ab.clone());
//! let a = simulation.spawn("a", async move { rx.get().await; tx.put(1).await; });
//! let (rx, tx) = (ab.clone(), ba.clone());
//! let b = simulation.spawn("b", async move { rx.get().await; tx.put(2).await; });
//! ab.add_producer(a.id());
//! ba.add_producer(b.id());
//!
//! let outcome = simulation.run()?;
//! let report = outcome.deadlock().ok_or("the run should deadlock")?;
//! assert_eq!(report.blocked.len(), 2);
//! assert_eq!(report.cycles.len(), 1);
//! println!("{report}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod calendar;
mod combinators;
mod deadlock;
mod event;
mod labelled;
mod name;
mod outcome;
mod process;
mod process_table;
mod queue;
mod resource;
mod sim;
mod simulation;
mod time;
mod timeout;
mod wait;
mod waker;

pub use combinators::{AllOf, AnyOf, all_of, any_of};
pub use deadlock::{BlockedProcess, BlockedWait, DeadlockReport, ProcessRef};
pub use event::{AlreadyTriggered, Event, EventWait};
pub use labelled::Labelled;
pub use name::Name;
pub use outcome::{Limit, Outcome, SimError};
pub use process::{ProcessHandle, ProcessId, ProcessOutput};
pub use queue::{Get, Put, Queue};
pub use resource::{RequestUnit, Resource, ResourceGuard};
pub use sim::Sim;
pub use simulation::Simulation;
pub use time::SimTime;
pub use timeout::{Timeout, TimeoutVia};
