//! [`Simulation`], the single-threaded executor: owns the processes' futures and runs the calendar.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::calendar::{Next, Wake};
use crate::deadlock::DeadlockReport;
use crate::name::Name;
use crate::outcome::{Limit, Outcome, SimError};
use crate::process::{ProcessHandle, ProcessId, ProcessOutput, Runnable};
use crate::sim::{Shared, Sim};
use crate::time::SimTime;
use crate::waker::{RunningGuard, task_waker};

/// A task in the executor's table: the owning reference, and a pointer to its data.
struct TaskRef {
    _rc: Rc<dyn Runnable>,
    ptr: NonNull<dyn Runnable>,
}

/// A simulation: its clock, its calendar and its processes. Build a model by spawning
/// processes, then [`run`](Simulation::run) it.
///
/// Events fire in `(time, insertion order)`: two processes woken for the same picosecond run in
/// the order their wake-ups were scheduled, so two runs of the same model are identical.
///
/// **Events** are counted as process resumptions: each time the calendar hands a process (or a
/// foreign waker) the turn, that is one event. A `timeout` costs one event, a queue hand-off
/// wakes one process and costs one event, starting a process costs one.
pub struct Simulation {
    sim: Sim,
    /// Futures by process slot; the one place they are polled from.
    tasks: Vec<Option<TaskRef>>,
    events: u64,
    failed: bool,
}

impl Default for Simulation {
    fn default() -> Self {
        Simulation::new()
    }
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("now", &self.now())
            .field("events", &self.events)
            .finish()
    }
}

impl Simulation {
    /// An empty simulation at time zero.
    pub fn new() -> Simulation {
        Simulation {
            sim: Sim {
                shared: Rc::new(Shared::new()),
            },
            tasks: Vec::new(),
            events: 0,
            failed: false,
        }
    }

    /// A handle for processes to capture.
    pub fn handle(&self) -> Sim {
        self.sim.clone()
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }

    /// Events processed so far, over all runs of this simulation.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Keeps the name of every process that finishes from now on, so that a
    /// [`DeadlockReport`] can list them ([`DeadlockReport::finished_processes`]). Off by
    /// default: it costs one entry per finished process (never anything per event).
    pub fn record_finished(&mut self) {
        let mut procs = self.sim.shared.procs.borrow_mut();
        if procs.finished_names.is_none() {
            procs.finished_names = Some(Vec::new());
        }
    }

    /// The state of every live process now, as a deadlock report shows it: what each waits
    /// on, since when, who could wake it, and the cycles of the wait-for graph. Useful when a
    /// run stopped at a limit (a livelock, a time bound) rather than on an empty calendar;
    /// processes that are merely sleeping show as `timeout until ...` and wait for nobody.
    pub fn blocked_report(&self) -> DeadlockReport {
        let shared = &self.sim.shared;
        let procs = shared.procs.borrow();
        let registry = shared.registry.borrow();
        DeadlockReport::build(shared.now.get(), self.events, &procs, &registry)
    }

    /// Spawns a process; see [`Sim::spawn`].
    pub fn spawn<F>(
        &self,
        name: impl Into<Name>,
        future: F,
    ) -> ProcessHandle<<F::Output as ProcessOutput>::Value>
    where
        F: Future + 'static,
        F::Output: ProcessOutput,
    {
        self.sim.spawn(name, future)
    }

    /// Runs until every process has finished, or the calendar empties with processes still
    /// waiting (a deadlock).
    pub fn run(&mut self) -> Result<Outcome, SimError> {
        self.run_with(SimTime::MAX, u64::MAX)
    }

    /// Runs as [`run`](Simulation::run), but stops before any event later than `until`; the
    /// clock is then set to `until` and the outcome is [`Outcome::LimitReached`].
    pub fn run_until(&mut self, until: SimTime) -> Result<Outcome, SimError> {
        self.run_with(until, u64::MAX)
    }

    /// Runs as [`run`](Simulation::run), but stops once `max_events` events have been
    /// processed in all (counting earlier runs).
    pub fn run_for_events(&mut self, max_events: u64) -> Result<Outcome, SimError> {
        self.run_with(SimTime::MAX, max_events)
    }

    /// Runs with both a time and an event limit; whichever is reached first ends the run.
    pub fn run_with(&mut self, until: SimTime, max_events: u64) -> Result<Outcome, SimError> {
        if self.failed {
            return Err(SimError::AlreadyFailed);
        }
        let shared = self.sim.shared.clone();
        let _running = RunningGuard::enter(&shared);
        self.adopt_spawned();
        loop {
            if self.events >= max_events && !shared.calendar.borrow().is_empty() {
                return Ok(self.limit(Limit::Events(max_events)));
            }
            let mut now = shared.now.get();
            let next = shared.calendar.borrow_mut().pop_next(&mut now, until);
            let wake = match next {
                Next::Wake(wake) => wake,
                Next::Empty => break,
                Next::Beyond => {
                    shared.now.set(until);
                    return Ok(self.limit(Limit::Time(until)));
                }
            };
            if now == SimTime::MAX {
                // Nothing real is due at the saturated end of the clock: a delay overflowed.
                self.failed = true;
                return Err(SimError::TimeOverflow {
                    time: shared.now.get(),
                    events: self.events,
                });
            }
            shared.now.set(now);
            self.events += 1;
            match wake {
                Wake::Task(pid) => self.poll_process(&shared, pid.slot, Some(pid.serial))?,
                Wake::Slot(slot) => self.poll_process(&shared, slot, None)?,
                Wake::Relay(index) => shared.relay_stop(index),
                Wake::Foreign(index) => {
                    let waker = shared.foreign.borrow_mut().take(index);
                    if let Some(waker) = waker {
                        waker.wake();
                    }
                }
            }
        }
        let procs = shared.procs.borrow();
        if procs.live_workers == 0 {
            Ok(Outcome::Completed {
                time: shared.now.get(),
                events: self.events,
            })
        } else {
            let registry = shared.registry.borrow();
            Ok(Outcome::Deadlock(DeadlockReport::build(
                shared.now.get(),
                self.events,
                &procs,
                &registry,
            )))
        }
    }

    fn limit(&self, limit: Limit) -> Outcome {
        Outcome::LimitReached {
            limit,
            time: self.now(),
            events: self.events,
        }
    }

    /// Moves futures spawned since the last poll into the task table.
    fn adopt_spawned(&mut self) {
        self.sim.shared.has_spawned.set(false);
        let mut spawned = self.sim.shared.spawned.borrow_mut();
        for (pid, task) in spawned.drain(..) {
            let slot = pid.slot as usize;
            if slot >= self.tasks.len() {
                self.tasks.resize_with(slot + 1, || None);
            }
            let ptr = NonNull::from(&*task);
            self.tasks[slot] = Some(TaskRef { _rc: task, ptr });
        }
    }

    /// Polls the live process in `slot` (if `serial` is given, only if it is still that one:
    /// it may have finished since it was woken). Inlined into the run loop, its only caller:
    /// the call's register saves and restores cost 15 instructions on every event.
    #[inline(always)]
    fn poll_process(
        &mut self,
        shared: &Shared,
        slot: u32,
        serial: Option<u32>,
    ) -> Result<(), SimError> {
        let pid = {
            let mut procs = shared.procs.borrow_mut();
            let Some(hot) = procs.hot.get_mut(slot as usize) else {
                return Ok(());
            };
            if !hot.live || serial.is_some_and(|s| s != hot.serial) {
                return Ok(());
            }
            hot.queued = false;
            let pid = ProcessId {
                serial: hot.serial,
                slot,
            };
            if hot.noted {
                // Waits and labels describe the last suspension only: clear them.
                hot.noted = false;
                let entry = &mut procs.entries[slot as usize];
                entry.waits.clear();
                entry.label = None;
            }
            pid
        };
        let Some(task) = self.tasks.get(pid.slot as usize).and_then(Option::as_ref) else {
            return Ok(());
        };
        shared.current.set(Some(pid));
        // Our waker's drop does nothing, so it is not dropped: that saves an indirect call.
        let waker = ManuallyDrop::new(task_waker(pid));
        let mut cx = Context::from_waker(&waker);
        // SAFETY: `task.ptr` points into the allocation that `task.rc` keeps alive, and polling
        // never touches `self.tasks` (spawns go to `shared.spawned`), so it stays valid for the
        // call. Going through the cached pointer skips `Rc<dyn _>`'s per-deref offset sum.
        let runnable = unsafe { task.ptr.as_ref() };
        let result = catch_unwind(AssertUnwindSafe(|| runnable.poll_task(&mut cx)));
        shared.current.set(None);
        if shared.has_spawned.get() {
            self.adopt_spawned();
        }
        match result {
            Ok(Poll::Pending) => Ok(()),
            Ok(Poll::Ready(Ok(()))) => {
                self.tasks[pid.slot as usize] = None;
                shared.procs.borrow_mut().finish(pid);
                Ok(())
            }
            Ok(Poll::Ready(Err(source))) => {
                self.failed = true;
                Err(SimError::ProcessFailed {
                    process: self.name_of(pid),
                    id: pid,
                    time: shared.now.get(),
                    source,
                })
            }
            Err(payload) => {
                self.failed = true;
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic with a non-string payload".to_string());
                Err(SimError::ProcessPanicked {
                    process: self.name_of(pid),
                    id: pid,
                    time: shared.now.get(),
                    message,
                })
            }
        }
    }

    fn name_of(&self, pid: ProcessId) -> String {
        self.sim
            .process_name(pid)
            .unwrap_or_else(|| pid.to_string())
    }
}
