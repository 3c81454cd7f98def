//! The shared state of one simulation and the `Sim` handle processes use to reach it.
//!
//! The parts `Shared` holds have rooms of their own: the process table in `process_table.rs`,
//! the `timeout_via` relay slab in `timeout.rs`, `Waiter` and the foreign-waker slab in
//! `waker.rs`; the executor that owns the futures is [`Simulation`](crate::Simulation), in
//! `simulation.rs`.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Waker};

use crate::calendar::{Calendar, Wake};
use crate::name::Name;
use crate::process::{ProcessHandle, ProcessId, ProcessOutput, Runnable, Task};
use crate::process_table::ProcTable;
use crate::time::SimTime;
use crate::timeout::{Relays, Timeout, TimeoutVia};
use crate::wait::{ObjectId, ObjectKind, Registry, WaitKind, WaitRecord};
use crate::waker::{self, ForeignWakers, Waiter};

/// Everything processes share. Owned through `Rc` by the [`Simulation`](crate::Simulation)
/// and every [`Sim`] handle; the tasks' futures live outside it, in the executor, so no
/// reference cycle keeps a finished simulation alive.
pub(crate) struct Shared {
    pub(crate) now: Cell<SimTime>,
    pub(crate) current: Cell<Option<ProcessId>>,
    pub(crate) calendar: RefCell<Calendar>,
    pub(crate) procs: RefCell<ProcTable>,
    pub(crate) spawned: RefCell<Vec<(ProcessId, Rc<dyn Runnable>)>>,
    /// `spawned` is not empty: checked after every poll, so a flag rather than a borrow.
    pub(crate) has_spawned: Cell<bool>,
    pub(crate) foreign: RefCell<ForeignWakers>,
    pub(crate) relays: RefCell<Relays>,
    pub(crate) registry: RefCell<Registry>,
}

impl Shared {
    pub(crate) fn new() -> Shared {
        Shared {
            now: Cell::new(SimTime::ZERO),
            current: Cell::new(None),
            calendar: RefCell::new(Calendar::default()),
            procs: RefCell::new(ProcTable::default()),
            spawned: RefCell::new(Vec::new()),
            has_spawned: Cell::new(false),
            foreign: RefCell::new(ForeignWakers::default()),
            relays: RefCell::new(Relays::default()),
            registry: RefCell::new(Registry::default()),
        }
    }

    /// Queues process `pid` to run at the current time (once, however often it is woken).
    pub(crate) fn wake_task(&self, pid: ProcessId) {
        let mut procs = self.procs.borrow_mut();
        if procs.is_live(pid) && !procs.hot[pid.slot as usize].queued {
            procs.hot[pid.slot as usize].queued = true;
            drop(procs);
            self.calendar.borrow_mut().push_now(Wake::Task(pid));
        }
    }

    fn wake(&self, waiter: Waiter) {
        match waiter {
            Waiter::Task(pid) => self.wake_task(pid),
            Waiter::Foreign(w) => w.wake(),
        }
    }

    fn schedule(&self, at: SimTime, waiter: Waiter) {
        if at <= self.now.get() {
            return self.wake(waiter);
        }
        let wake = match waiter {
            Waiter::Task(pid) => Wake::Slot(pid.slot),
            Waiter::Foreign(w) => Wake::Foreign(self.foreign.borrow_mut().park(w)),
        };
        self.calendar.borrow_mut().push_later(at, wake);
    }
}

/// A handle to a running simulation: what a process uses to read the clock, sleep, spawn and
/// create queues, events and resources.
///
/// Cheap to clone (one reference count). Processes usually capture a clone:
///
/// ```
/// use kernbench_engine::{Simulation, SimTime};
/// let mut simulation = Simulation::new();
/// let sim = simulation.handle();
/// simulation.spawn("sleeper", async move {
///     sim.timeout(SimTime::from_ns(5)).await;
///     assert_eq!(sim.now(), SimTime::from_ns(5));
/// });
/// let outcome = simulation.run()?;
/// assert_eq!(outcome.time(), SimTime::from_ns(5));
/// # Ok::<(), kernbench_engine::SimError>(())
/// ```
#[derive(Clone)]
pub struct Sim {
    pub(crate) shared: Rc<Shared>,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim").field("now", &self.now()).finish()
    }
}

impl Sim {
    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.shared.now.get()
    }

    /// The process being run, or `None` outside any process.
    pub fn current(&self) -> Option<ProcessId> {
        self.shared.current.get()
    }

    /// The name of a live process.
    pub fn process_name(&self, pid: ProcessId) -> Option<String> {
        self.shared
            .procs
            .borrow()
            .get(pid)
            .map(|e| e.name.to_string())
    }

    /// Spawns a named process that starts at the current time, after everything already due
    /// now. Returns a handle to join it.
    ///
    /// The run is complete when every process spawned this way has finished.
    pub fn spawn<F>(
        &self,
        name: impl Into<Name>,
        future: F,
    ) -> ProcessHandle<<F::Output as ProcessOutput>::Value>
    where
        F: Future + 'static,
        F::Output: ProcessOutput,
    {
        self.spawn_inner(name.into(), future, false)
    }

    /// Spawns a daemon: a service process (a link server, a polling loop) that may still be
    /// waiting when the run ends without that being a deadlock.
    pub fn spawn_daemon<F>(
        &self,
        name: impl Into<Name>,
        future: F,
    ) -> ProcessHandle<<F::Output as ProcessOutput>::Value>
    where
        F: Future + 'static,
        F::Output: ProcessOutput,
    {
        self.spawn_inner(name.into(), future, true)
    }

    fn spawn_inner<F>(
        &self,
        name: Name,
        future: F,
        daemon: bool,
    ) -> ProcessHandle<<F::Output as ProcessOutput>::Value>
    where
        F: Future + 'static,
        F::Output: ProcessOutput,
    {
        let pid = self.shared.procs.borrow_mut().insert(name, daemon);
        // Built in its allocation: `Rc::new(Task::new(future))` copies the future twice
        // (into a `Task` on the stack, then into the heap), and a spawned future is often
        // hundreds of bytes.
        let mut task = Rc::<Task<F>>::new_uninit();
        match Rc::get_mut(&mut task) {
            Some(slot) => {
                slot.write(Task::new(future));
            }
            None => unreachable!("a new Rc has no other owner"),
        }
        // SAFETY: the slot was written just above.
        let task = unsafe { task.assume_init() };
        self.shared
            .spawned
            .borrow_mut()
            .push((pid, task.clone() as Rc<dyn Runnable>));
        self.shared.has_spawned.set(true);
        self.shared.wake_task(pid);
        ProcessHandle {
            sim: self.clone(),
            id: pid,
            task,
            since: None,
        }
    }

    /// Sleeps for `delay` of simulated time. `timeout(SimTime::ZERO)` yields: everything
    /// already due at the current time runs first.
    pub fn timeout(&self, delay: SimTime) -> Timeout<'_> {
        Timeout::new(self, delay)
    }

    /// Sleeps until `until` exactly as a process that woke at each of `stops` and went
    /// straight back to sleep would, without being polled there.
    ///
    /// Each stop is an event of the run, counted and ordered on the calendar like a
    /// wake-up, and the final wake-up is filed at the last stop, so the process keeps the
    /// place among wake-ups due at `until` that the longer way would give it. It is for a
    /// process that knows it has nothing to do at those times but must not change the
    /// order of the run by skipping them: the machine model's packet loop, whose packets
    /// often reach a hop only to queue behind the one ahead. Stops not strictly between now
    /// and `until`, or not later than the stop before, are left out. Like
    /// [`timeout`](Sim::timeout), it always suspends once.
    ///
    /// ```
    /// use kernbench_engine::{SimTime, Simulation};
    /// let mut simulation = Simulation::new();
    /// let sim = simulation.handle();
    /// let stops = [SimTime::from_ns(1), SimTime::from_ns(2)];
    /// simulation.spawn("p", async move {
    ///     sim.timeout_via(&stops, SimTime::from_ns(5)).await;
    ///     assert_eq!(sim.now(), SimTime::from_ns(5));
    /// });
    /// let outcome = simulation.run()?;
    /// // The start, two stops and the wake-up at 5 ns.
    /// assert_eq!((outcome.time(), outcome.events()), (SimTime::from_ns(5), 4));
    /// # Ok::<(), kernbench_engine::SimError>(())
    /// ```
    pub fn timeout_via<'a>(&'a self, stops: &'a [SimTime], until: SimTime) -> TimeoutVia<'a> {
        TimeoutVia::new(self, stops, until)
    }

    /// Runs `future` with `label` as the description of whatever it waits on, for deadlock
    /// reports (for example `recv c0.s1.p2 <- c0.s1.p1 (4 KiB, tag 7)`). The waits inside keep
    /// their own wakers; only their description is replaced.
    pub fn labelled<F: Future>(
        &self,
        label: impl Into<Name>,
        future: F,
    ) -> crate::labelled::Labelled<'_, F> {
        crate::labelled::Labelled::new(self, label.into(), future)
    }

    // ---- crate-internal plumbing used by the primitives ----

    /// Whom to wake for the task polled with `cx`.
    pub(crate) fn waiter(&self, cx: &Context<'_>) -> Waiter {
        match waker::task_of(cx.waker()) {
            Some(pid) => Waiter::Task(pid),
            None => Waiter::Foreign(cx.waker().clone()),
        }
    }

    pub(crate) fn wake(&self, waiter: Waiter) {
        self.shared.wake(waiter);
    }

    /// [`schedule_waker`](Sim::schedule_waker) at `until` through `stops` (see
    /// [`Sim::timeout_via`]).
    pub(crate) fn schedule_waker_via(&self, stops: &[SimTime], until: SimTime, waker: &Waker) {
        if until <= self.now() || stops.is_empty() {
            return self.schedule_waker(until, waker);
        }
        let target = match waker::task_of(waker) {
            Some(pid) => Wake::Slot(pid.slot),
            None => Wake::Foreign(self.shared.foreign.borrow_mut().park(waker.clone())),
        };
        self.shared.relay(stops, until, target);
    }

    /// Wakes the task behind `waker` at `at`. Our own tasks go on the calendar by slot, with
    /// no `Waker` clone; a foreign waker is cloned and parked.
    #[inline]
    pub(crate) fn schedule_waker(&self, at: SimTime, waker: &Waker) {
        match waker::task_of(waker) {
            Some(pid) if at > self.now() => self
                .shared
                .calendar
                .borrow_mut()
                .push_later(at, Wake::Slot(pid.slot)),
            Some(pid) => self.shared.wake_task(pid),
            None => self.shared.schedule(at, Waiter::Foreign(waker.clone())),
        }
    }

    /// Records that the current process waits on `kind` since `since`.
    pub(crate) fn record_wait(&self, kind: WaitKind, since: SimTime) {
        if let Some(pid) = self.shared.current.get()
            && let Some(entry) = self.shared.procs.borrow_mut().note_mut(pid)
        {
            entry.waits.push(WaitRecord { kind, since });
        }
    }

    pub(crate) fn set_label(&self, label: Name) {
        if let Some(pid) = self.shared.current.get()
            && let Some(entry) = self.shared.procs.borrow_mut().note_mut(pid)
        {
            entry.label = Some(label);
        }
    }

    pub(crate) fn register(
        &self,
        kind: ObjectKind,
        name: Cow<'static, str>,
        labels: Option<(Cow<'static, str>, Cow<'static, str>)>,
    ) -> ObjectId {
        self.shared.registry.borrow_mut().insert(kind, name, labels)
    }

    pub(crate) fn unregister(&self, id: ObjectId) {
        self.shared.registry.borrow_mut().remove(id);
    }

    /// Runs `f` on a registered object's book-keeping.
    pub(crate) fn with_object<R>(
        &self,
        id: ObjectId,
        f: impl FnOnce(&mut crate::wait::ObjectInfo) -> R,
    ) -> Option<R> {
        self.shared.registry.borrow_mut().get_mut(id).map(f)
    }
}
