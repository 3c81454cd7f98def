//! The task waker: a `Waker` whose data word *is* the process id, so cloning it costs nothing.
//!
//! Our own primitives recognise this waker (by its vtable) and record the process id directly,
//! never touching the waker again. A combinator that hands in its own waker (for example
//! `futures::join!`) gets that waker stored and woken instead; when it in turn wakes ours, the
//! wake reaches the running simulation through a thread-local pointer set for the duration of
//! [`Simulation::run`](crate::Simulation::run).
//!
//! Also here: [`Waiter`], whom a primitive wakes when a wait ends (one of our processes by id,
//! or a foreign waker), and [`ForeignWakers`], the slab where foreign wakers wait for a timed
//! wake-up, so the calendar holds only their index.

use std::cell::Cell;
use std::ptr;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::process::ProcessId;
use crate::sim::Shared;

const _: () = assert!(
    usize::BITS >= 64,
    "the engine packs a process id into a waker's data word and needs 64-bit pointers"
);

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

thread_local! {
    /// The simulation whose `run` is executing on this thread, or null.
    static RUNNING: Cell<*const Shared> = const { Cell::new(ptr::null()) };
}

fn pack(pid: ProcessId) -> *const () {
    (((pid.serial as u64) << 32) | pid.slot as u64) as usize as *const ()
}

fn unpack(data: *const ()) -> ProcessId {
    let bits = data as usize as u64;
    ProcessId {
        serial: (bits >> 32) as u32,
        slot: bits as u32,
    }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: forwarded with the same data word.
    unsafe { wake_by_ref(data) }
}

unsafe fn wake_by_ref(data: *const ()) {
    let pid = unpack(data);
    RUNNING.with(|running| {
        let shared = running.get();
        if !shared.is_null() {
            // SAFETY: `RUNNING` is non-null only inside `Simulation::run`, which holds an `Rc`
            // to this `Shared` for the whole time the pointer is set (see `RunningGuard`).
            unsafe { (*shared).wake_task(pid) }
        }
    });
}

unsafe fn drop_waker(_: *const ()) {}

/// The waker for process `pid`. Creating it allocates nothing.
pub(crate) fn task_waker(pid: ProcessId) -> Waker {
    // SAFETY: the vtable functions uphold the RawWaker contract: the data word is a plain
    // integer, so clone copies it and drop does nothing.
    unsafe { Waker::from_raw(RawWaker::new(pack(pid), &VTABLE)) }
}

/// The process id behind `waker`, if it is one of ours.
pub(crate) fn task_of(waker: &Waker) -> Option<ProcessId> {
    ptr::eq(waker.vtable(), &VTABLE).then(|| unpack(waker.data()))
}

/// Sets `RUNNING` for the lifetime of the guard and restores the previous value after (so a
/// simulation run from inside another's process still routes wakes correctly).
pub(crate) struct RunningGuard {
    previous: *const Shared,
}

impl RunningGuard {
    pub(crate) fn enter(shared: &Shared) -> RunningGuard {
        let previous = RUNNING.with(|r| r.replace(shared as *const Shared));
        RunningGuard { previous }
    }
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        RUNNING.with(|r| r.set(self.previous));
    }
}

/// Who to wake when a wait ends: one of our processes (by id), or a foreign waker handed in by
/// a combinator.
#[derive(Clone, Debug)]
pub(crate) enum Waiter {
    Task(ProcessId),
    Foreign(Waker),
}

impl Waiter {
    /// Wakes through the running simulation (used where no `Sim` is at hand).
    pub(crate) fn wake(self) {
        match self {
            Waiter::Task(pid) => task_waker(pid).wake(),
            Waiter::Foreign(w) => w.wake(),
        }
    }
}

/// Foreign wakers parked for timed wake-ups, in a slab.
#[derive(Debug, Default)]
pub(crate) struct ForeignWakers {
    slots: Vec<Option<Waker>>,
    free: Vec<u32>,
}

impl ForeignWakers {
    pub(crate) fn park(&mut self, waker: Waker) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(waker);
                i
            }
            None => {
                self.slots.push(Some(waker));
                (self.slots.len() - 1) as u32
            }
        }
    }

    pub(crate) fn take(&mut self, index: u32) -> Option<Waker> {
        let waker = self.slots.get_mut(index as usize)?.take();
        if waker.is_some() {
            self.free.push(index);
        }
        waker
    }
}
