//! One-shot events carrying a value.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::process::ProcessId;
use crate::sim::Sim;
use crate::time::SimTime;
use crate::wait::{ObjectId, ObjectKind, WaitKind, add_unique};
use crate::waker::Waiter;

/// A one-shot event: triggered once with a value, awaited by any number of processes.
///
/// Waiters are woken in the order they started waiting, at the time of the trigger. Waiting on
/// an event that has already been triggered returns its value at once. Cloning shares it.
///
/// ```
/// use kernbench_engine::{Event, SimTime, Simulation};
/// let mut simulation = Simulation::new();
/// let sim = simulation.handle();
/// let done: Event<u32> = Event::new(&sim, "done");
/// let d = done.clone();
/// let s = sim.clone();
/// simulation.spawn("waiter", async move {
///     assert_eq!(d.wait().await, 42);
///     assert_eq!(s.now(), SimTime::from_ns(3));
/// });
/// let s = sim.clone();
/// simulation.spawn("trigger", async move {
///     s.timeout(SimTime::from_ns(3)).await;
///     done.trigger(42) // a process may return a Result: an error would end the run
/// });
/// assert_eq!(simulation.run()?.time(), SimTime::from_ns(3));
/// # Ok::<(), kernbench_engine::SimError>(())
/// ```
pub struct Event<T> {
    inner: Rc<EventInner<T>>,
}

impl<T> Clone for Event<T> {
    fn clone(&self) -> Self {
        Event {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Event<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("triggered", &self.inner.value.borrow().is_some())
            .finish()
    }
}

struct EventInner<T> {
    sim: Sim,
    id: ObjectId,
    name: Cow<'static, str>,
    value: RefCell<Option<T>>,
    waiters: RefCell<Waiters>,
}

/// The processes waiting on an event, in the order they began: most events have one waiter
/// (a transfer's end, a task's completion), kept inline so that waiting allocates nothing.
#[derive(Default)]
enum Waiters {
    #[default]
    None,
    One(Waiter),
    Many(Vec<Waiter>),
}

impl Waiters {
    fn push(&mut self, waiter: Waiter) {
        *self = match std::mem::take(self) {
            Waiters::None => Waiters::One(waiter),
            Waiters::One(first) => Waiters::Many(vec![first, waiter]),
            Waiters::Many(mut all) => {
                all.push(waiter);
                Waiters::Many(all)
            }
        };
    }
}

impl<T> Drop for EventInner<T> {
    fn drop(&mut self) {
        self.sim.unregister(self.id);
    }
}

/// Triggering an event a second time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "event {name} was already triggered; an event fires once (create a new one per occurrence)"
)]
pub struct AlreadyTriggered {
    /// The event's name.
    pub name: String,
}

impl<T: Clone + 'static> Event<T> {
    /// An untriggered event named `name` (used in deadlock reports).
    pub fn new(sim: &Sim, name: impl Into<Cow<'static, str>>) -> Event<T> {
        let name = name.into();
        let id = sim.register(ObjectKind::Event, name.clone(), None);
        Event {
            inner: Rc::new(EventInner {
                sim: sim.clone(),
                id,
                name,
                value: RefCell::new(None),
                waiters: RefCell::new(Waiters::None),
            }),
        }
    }

    /// Declares `pid` as the process that will trigger this event, so that waiters blocked on
    /// it are reported as waiting for `pid`.
    pub fn add_triggerer(&self, pid: ProcessId) {
        self.inner
            .sim
            .with_object(self.inner.id, |o| add_unique(&mut o.producers, pid));
    }

    /// Triggers the event with `value`, waking every waiter at the current time.
    pub fn trigger(&self, value: T) -> Result<(), AlreadyTriggered> {
        {
            let mut slot = self.inner.value.borrow_mut();
            if slot.is_some() {
                return Err(AlreadyTriggered {
                    name: self.inner.name.to_string(),
                });
            }
            *slot = Some(value);
        }
        let waiters = std::mem::take(&mut *self.inner.waiters.borrow_mut());
        match waiters {
            Waiters::None => {}
            Waiters::One(w) => self.inner.sim.wake(w),
            Waiters::Many(all) => {
                for w in all {
                    self.inner.sim.wake(w);
                }
            }
        }
        Ok(())
    }

    /// Whether the event has been triggered.
    pub fn is_triggered(&self) -> bool {
        self.inner.value.borrow().is_some()
    }

    /// The value, if triggered.
    pub fn value(&self) -> Option<T> {
        self.inner.value.borrow().clone()
    }

    /// Waits for the trigger and returns (a clone of) the value.
    pub fn wait(&self) -> EventWait<'_, T> {
        EventWait {
            event: self,
            since: None,
        }
    }
}

impl<T> fmt::Debug for EventWait<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("since", &self.since)
            .finish()
    }
}

/// The future returned by [`Event::wait`].
#[must_use = "waiting does nothing unless awaited"]
pub struct EventWait<'a, T> {
    event: &'a Event<T>,
    since: Option<SimTime>,
}

impl<T: Clone + 'static> Future for EventWait<'_, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        let inner = &this.event.inner;
        if let Some(value) = inner.value.borrow().as_ref() {
            return Poll::Ready(value.clone());
        }
        let since = match this.since {
            Some(since) => since,
            None => {
                inner.waiters.borrow_mut().push(inner.sim.waiter(cx));
                *this.since.insert(inner.sim.now())
            }
        };
        inner.sim.record_wait(WaitKind::Event(inner.id), since);
        Poll::Pending
    }
}
