//! Process identity, process outputs and the join handle.

use std::cell::{Cell, RefCell, UnsafeCell};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use serde::Serialize;

use crate::sim::Sim;
use crate::wait::WaitKind;
use crate::waker::Waiter;

/// A process's identity within one simulation.
///
/// Ids are handed out in spawn order (`#0`, `#1`, ...) and never reused within a run, so a
/// report naming `#7` always means the seventh process spawned. The storage slot behind an id
/// may be reused once the process has finished; a stale id then simply refers to nothing.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ProcessId {
    /// Spawn order: unique within a simulation.
    #[serde(rename = "id")]
    pub(crate) serial: u32,
    #[serde(skip)]
    pub(crate) slot: u32,
}

impl ProcessId {
    /// The spawn-order number: 0 for the first process spawned.
    pub fn serial(self) -> u32 {
        self.serial
    }
}

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.serial)
    }
}

impl fmt::Debug for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.serial)
    }
}

/// What a process may return: `()`, or a `Result` whose error ends the run.
///
/// A process returning `Err(e)` ends the whole run with
/// [`SimError::ProcessFailed`](crate::SimError::ProcessFailed), which names the process and
/// keeps `e` as its source (so a caller can downcast it back to its own error type).
pub trait ProcessOutput: 'static {
    /// The value a joiner receives.
    type Value: 'static;
    /// Splits the output into the joined value or the error that ends the run.
    fn into_result(self) -> Result<Self::Value, Box<dyn Error>>;
}

impl ProcessOutput for () {
    type Value = ();
    fn into_result(self) -> Result<(), Box<dyn Error>> {
        Ok(())
    }
}

impl<T: 'static, E: Into<Box<dyn Error>> + 'static> ProcessOutput for Result<T, E> {
    type Value = T;
    fn into_result(self) -> Result<T, Box<dyn Error>> {
        self.map_err(Into::into)
    }
}

/// The type-erased face of a task that the executor polls.
pub(crate) trait Runnable {
    /// Polls the task's future once. `Ready(Err)` carries a process failure.
    fn poll_task(&self, cx: &mut Context<'_>) -> Poll<Result<(), Box<dyn Error>>>;
}

/// One allocation per process: the future, its output and its joiners live together.
pub(crate) struct Task<F: Future>
where
    F::Output: ProcessOutput,
{
    // The future is only ever touched through `poll_task`, which only the executor calls, one
    // task at a time and never re-entrantly (a poll cannot reach the executor's loop), so no
    // two references to it exist at once; the `Rc` never moves its contents, so pinning in
    // place is sound.
    future: UnsafeCell<Option<F>>,
    pub(crate) join: JoinSlot<<F::Output as ProcessOutput>::Value>,
}

pub(crate) struct JoinSlot<T> {
    value: RefCell<Option<T>>,
    done: Cell<bool>,
    waiters: RefCell<Vec<Waiter>>,
}

impl<F> Task<F>
where
    F: Future + 'static,
    F::Output: ProcessOutput,
{
    pub(crate) fn new(future: F) -> Self {
        Task {
            future: UnsafeCell::new(Some(future)),
            join: JoinSlot {
                value: RefCell::new(None),
                done: Cell::new(false),
                waiters: RefCell::new(Vec::new()),
            },
        }
    }
}

impl<F> Runnable for Task<F>
where
    F: Future + 'static,
    F::Output: ProcessOutput,
{
    fn poll_task(&self, cx: &mut Context<'_>) -> Poll<Result<(), Box<dyn Error>>> {
        // SAFETY: see the field: this is the only live reference to the future.
        let slot = unsafe { &mut *self.future.get() };
        let Some(future) = slot.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        // SAFETY: the future lives inside an `Rc` allocation that is never moved out of, and
        // it is dropped in place (set to `None`) below, never moved, once it completes.
        let pinned = unsafe { Pin::new_unchecked(future) };
        match pinned.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(output) => {
                *slot = None;
                match output.into_result() {
                    Ok(value) => {
                        *self.join.value.borrow_mut() = Some(value);
                        self.join.done.set(true);
                        for waiter in self.join.waiters.borrow_mut().drain(..) {
                            waiter.wake();
                        }
                        Poll::Ready(Ok(()))
                    }
                    Err(error) => Poll::Ready(Err(error)),
                }
            }
        }
    }
}

/// A handle to a spawned process; `.await` it to join the process and take its value.
///
/// Dropping the handle detaches the process: it keeps running. Only one joiner can take the
/// value, so the handle is not `Clone`; use an [`Event`](crate::Event) to tell many waiters.
pub struct ProcessHandle<T: 'static> {
    pub(crate) sim: Sim,
    pub(crate) id: ProcessId,
    pub(crate) task: Rc<dyn JoinAccess<T>>,
    pub(crate) since: Option<crate::SimTime>,
}

/// Typed access to the join slot of a type-erased task.
pub(crate) trait JoinAccess<T> {
    fn slot(&self) -> &JoinSlot<T>;
}

impl<F> JoinAccess<<F::Output as ProcessOutput>::Value> for Task<F>
where
    F: Future + 'static,
    F::Output: ProcessOutput,
{
    fn slot(&self) -> &JoinSlot<<F::Output as ProcessOutput>::Value> {
        &self.join
    }
}

impl<T: 'static> ProcessHandle<T> {
    /// The id of the process this handle joins.
    pub fn id(&self) -> ProcessId {
        self.id
    }

    /// Whether the process has finished (successfully).
    pub fn is_finished(&self) -> bool {
        self.task.slot().done.get()
    }
}

impl<T: 'static> fmt::Debug for ProcessHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessHandle")
            .field("id", &self.id)
            .finish()
    }
}

impl<T: 'static> Future for ProcessHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        let slot = this.task.slot();
        if slot.done.get() {
            if let Some(value) = slot.value.borrow_mut().take() {
                return Poll::Ready(value);
            }
            // The value was already taken by an earlier poll that returned Ready; polling a
            // completed future again is a caller bug, and we keep waiting rather than panic.
        }
        let since = match this.since {
            Some(since) => since,
            None => {
                // Register once: a spurious re-poll must not queue a second wake-up.
                slot.waiters.borrow_mut().push(this.sim.waiter(cx));
                *this.since.insert(this.sim.now())
            }
        };
        this.sim.record_wait(WaitKind::Join(this.id), since);
        Poll::Pending
    }
}
