//! A resource of N identical units, granted first come, first served.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::process::ProcessId;
use crate::sim::Sim;
use crate::time::SimTime;
use crate::wait::{ObjectId, ObjectKind, WaitKind};
use crate::waker::Waiter;

/// A resource with `capacity` units (SimPy's `Resource`): `request().await` returns a guard
/// holding one unit; dropping the guard releases it to the longest waiting request.
///
/// ```
/// use kernbench_engine::{Resource, SimTime, Simulation};
/// let mut simulation = Simulation::new();
/// let sim = simulation.handle();
/// let server = Resource::new(&sim, "server", 1);
/// for name in ["a", "b"] {
///     let (s, server) = (sim.clone(), server.clone());
///     simulation.spawn(name, async move {
///         let _unit = server.request().await;
///         s.timeout(SimTime::from_ns(10)).await;
///     });
/// }
/// // One unit: the two 10 ns jobs run one after the other.
/// assert_eq!(simulation.run()?.time(), SimTime::from_ns(20));
/// # Ok::<(), kernbench_engine::SimError>(())
/// ```
#[derive(Clone)]
pub struct Resource {
    inner: Rc<ResourceInner>,
}

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.state.borrow();
        f.debug_struct("Resource")
            .field("capacity", &self.inner.capacity)
            .field("in_use", &state.in_use)
            .field("waiting", &state.waiting.len())
            .finish()
    }
}

struct ResourceInner {
    sim: Sim,
    id: ObjectId,
    capacity: usize,
    state: RefCell<ResourceState>,
}

impl Drop for ResourceInner {
    fn drop(&mut self) {
        self.sim.unregister(self.id);
    }
}

struct Request {
    waiter: Option<Waiter>,
    pid: Option<ProcessId>,
    granted: bool,
}

struct ResourceState {
    in_use: usize,
    waiting: VecDeque<u32>,
    requests: Vec<Request>,
    free: Vec<u32>,
}

impl Resource {
    /// A resource named `name` with `capacity` units.
    pub fn new(sim: &Sim, name: impl Into<Cow<'static, str>>, capacity: usize) -> Resource {
        let id = sim.register(ObjectKind::Resource, name.into(), None);
        Resource {
            inner: Rc::new(ResourceInner {
                sim: sim.clone(),
                id,
                capacity,
                state: RefCell::new(ResourceState {
                    in_use: 0,
                    waiting: VecDeque::new(),
                    requests: Vec::new(),
                    free: Vec::new(),
                }),
            }),
        }
    }

    /// Units in all.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// Units held now.
    pub fn in_use(&self) -> usize {
        self.inner.state.borrow().in_use
    }

    /// Requests waiting now.
    pub fn queue_len(&self) -> usize {
        self.inner.state.borrow().waiting.len()
    }

    /// Waits for a unit; the returned guard releases it when dropped.
    pub fn request(&self) -> RequestUnit<'_> {
        RequestUnit {
            resource: self,
            parked: None,
        }
    }

    fn note_holder(&self, pid: Option<ProcessId>) {
        if let Some(pid) = pid {
            self.inner
                .sim
                .with_object(self.inner.id, |o| o.producers.push(pid));
        }
    }

    fn release(&self, holder: Option<ProcessId>) {
        if let Some(pid) = holder {
            self.inner.sim.with_object(self.inner.id, |o| {
                if let Some(i) = o.producers.iter().position(|&p| p == pid) {
                    o.producers.remove(i);
                }
            });
        }
        let mut state = self.inner.state.borrow_mut();
        match state.waiting.pop_front() {
            Some(next) => {
                // Hand the unit straight to the oldest request: `in_use` is unchanged.
                let request = &mut state.requests[next as usize];
                request.granted = true;
                let (waiter, pid) = (request.waiter.take(), request.pid);
                drop(state);
                self.note_holder(pid);
                if let Some(w) = waiter {
                    self.inner.sim.wake(w);
                }
            }
            None => state.in_use -= 1,
        }
    }
}

/// A unit of a [`Resource`], released on drop.
#[must_use = "dropping the guard releases the unit at once"]
pub struct ResourceGuard {
    resource: Resource,
    holder: Option<ProcessId>,
}

impl fmt::Debug for ResourceGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceGuard")
            .field("holder", &self.holder)
            .finish()
    }
}

impl Drop for ResourceGuard {
    fn drop(&mut self) {
        self.resource.release(self.holder);
    }
}

impl fmt::Debug for RequestUnit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestUnit")
            .field("parked", &self.parked)
            .finish()
    }
}

/// The future returned by [`Resource::request`].
#[must_use = "a request does nothing unless awaited"]
pub struct RequestUnit<'a> {
    resource: &'a Resource,
    parked: Option<(u32, SimTime)>,
}

impl Future for RequestUnit<'_> {
    type Output = ResourceGuard;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ResourceGuard> {
        let this = self.get_mut();
        let resource = this.resource;
        let inner = &resource.inner;
        let me = inner.sim.current();
        let mut state = inner.state.borrow_mut();
        if let Some((index, since)) = this.parked {
            let request = &mut state.requests[index as usize];
            if request.granted {
                let holder = request.pid;
                request.granted = false;
                request.waiter = None;
                state.free.push(index);
                this.parked = None;
                return Poll::Ready(ResourceGuard {
                    resource: resource.clone(),
                    holder,
                });
            }
            drop(state);
            inner.sim.record_wait(WaitKind::Request(inner.id), since);
            return Poll::Pending;
        }
        if state.in_use < inner.capacity {
            state.in_use += 1;
            drop(state);
            resource.note_holder(me);
            return Poll::Ready(ResourceGuard {
                resource: resource.clone(),
                holder: me,
            });
        }
        let request = Request {
            waiter: Some(inner.sim.waiter(cx)),
            pid: me,
            granted: false,
        };
        let index = match state.free.pop() {
            Some(i) => {
                state.requests[i as usize] = request;
                i
            }
            None => {
                state.requests.push(request);
                (state.requests.len() - 1) as u32
            }
        };
        state.waiting.push_back(index);
        drop(state);
        let now = inner.sim.now();
        this.parked = Some((index, now));
        inner.sim.record_wait(WaitKind::Request(inner.id), now);
        Poll::Pending
    }
}

impl Drop for RequestUnit<'_> {
    fn drop(&mut self) {
        if let Some((index, _)) = self.parked.take() {
            let mut state = self.resource.inner.state.borrow_mut();
            let granted = state.requests[index as usize].granted;
            let holder = state.requests[index as usize].pid;
            state.waiting.retain(|&w| w != index);
            state.requests[index as usize].granted = false;
            state.requests[index as usize].waiter = None;
            state.free.push(index);
            drop(state);
            if granted {
                // Granted but never taken: pass the unit on.
                self.resource.release(holder);
            }
        }
    }
}
