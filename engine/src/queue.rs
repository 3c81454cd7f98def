//! A bounded FIFO queue (SimPy's `Store`) with blocking `put` and `get`.

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
use crate::wait::{ObjectId, ObjectKind, WaitKind, add_unique};
use crate::waker::Waiter;

/// A bounded FIFO queue shared by processes.
///
/// `put` waits while the queue holds `capacity` items; `get` waits while it is empty. With
/// capacity 0 the queue is a rendezvous: a `put` completes only when a `get` takes the item.
/// Waiting putters and getters are served strictly in arrival order. Cloning the handle shares
/// the queue.
///
/// For deadlock reports a queue learns its producers and consumers as they use it; declare
/// them up front with [`add_producer`](Queue::add_producer) /
/// [`add_consumer`](Queue::add_consumer) so that a process that blocks before the other side
/// ever ran is still reported as waiting for it.
///
/// ```
/// use kernbench_engine::{Queue, SimTime, Simulation};
/// let mut simulation = Simulation::new();
/// let sim = simulation.handle();
/// let queue = Queue::new(&sim, "q", 1);
/// let (tx, rx) = (queue.clone(), queue);
/// simulation.spawn("producer", async move {
///     for i in 0..3 {
///         tx.put(i).await;
///     }
/// });
/// let s = sim.clone();
/// simulation.spawn("consumer", async move {
///     let mut got = Vec::new();
///     for _ in 0..3 {
///         s.timeout(SimTime::from_ns(1)).await;
///         got.push(rx.get().await);
///     }
///     assert_eq!(got, [0, 1, 2]);
/// });
/// assert_eq!(simulation.run()?.time(), SimTime::from_ns(3));
/// # Ok::<(), kernbench_engine::SimError>(())
/// ```
pub struct Queue<T> {
    inner: Rc<QueueInner<T>>,
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.state.borrow();
        f.debug_struct("Queue")
            .field("capacity", &self.inner.capacity)
            .field("len", &state.items.len())
            .field("getters", &state.getters.len())
            .field("putters", &state.putters.len())
            .finish()
    }
}

struct QueueInner<T> {
    sim: Sim,
    id: ObjectId,
    capacity: usize,
    state: RefCell<QueueState<T>>,
}

impl<T> Drop for QueueInner<T> {
    fn drop(&mut self) {
        self.sim.unregister(self.id);
    }
}

struct Slot<T> {
    waiter: Option<Waiter>,
    item: Option<T>,
    done: bool,
}

struct QueueState<T> {
    items: VecDeque<T>,
    getters: VecDeque<u32>,
    putters: VecDeque<u32>,
    /// Parked operations, reused so that waiting allocates nothing once warmed up.
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    last_producer: Option<ProcessId>,
    last_consumer: Option<ProcessId>,
}

impl<T> QueueState<T> {
    fn park(&mut self, waiter: Waiter, item: Option<T>) -> u32 {
        let slot = Slot {
            waiter: Some(waiter),
            item,
            done: false,
        };
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn release(&mut self, index: u32) {
        let slot = &mut self.slots[index as usize];
        slot.waiter = None;
        slot.item = None;
        slot.done = false;
        self.free.push(index);
    }

    /// Completes parked operation `index`, returning whom to wake.
    fn complete(&mut self, index: u32) -> Option<Waiter> {
        let slot = &mut self.slots[index as usize];
        slot.done = true;
        slot.waiter.take()
    }
}

impl<T: 'static> Queue<T> {
    /// A queue named `name` (used in deadlock reports) holding at most `capacity` items.
    pub fn new(sim: &Sim, name: impl Into<Cow<'static, str>>, capacity: usize) -> Queue<T> {
        Self::build(sim, name.into(), capacity, None)
    }

    /// A queue whose waits are described by the model's own words: `get_label` for a blocked
    /// `get` (e.g. `recv c0.s0.p1 <- c0.s0.p0`), `put_label` for a blocked `put`.
    pub fn with_labels(
        sim: &Sim,
        name: impl Into<Cow<'static, str>>,
        capacity: usize,
        get_label: impl Into<Cow<'static, str>>,
        put_label: impl Into<Cow<'static, str>>,
    ) -> Queue<T> {
        Self::build(
            sim,
            name.into(),
            capacity,
            Some((get_label.into(), put_label.into())),
        )
    }

    fn build(
        sim: &Sim,
        name: Cow<'static, str>,
        capacity: usize,
        labels: Option<(Cow<'static, str>, Cow<'static, str>)>,
    ) -> Queue<T> {
        let id = sim.register(ObjectKind::Queue, name, labels);
        Queue {
            inner: Rc::new(QueueInner {
                sim: sim.clone(),
                id,
                capacity,
                state: RefCell::new(QueueState {
                    items: VecDeque::new(),
                    getters: VecDeque::new(),
                    putters: VecDeque::new(),
                    slots: Vec::new(),
                    free: Vec::new(),
                    last_producer: None,
                    last_consumer: None,
                }),
            }),
        }
    }

    /// The most items the queue holds.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// Items in the queue now (not counting items of blocked putters).
    pub fn len(&self) -> usize {
        self.inner.state.borrow().items.len()
    }

    /// Whether the queue holds no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the queue holds no items and no process waits on it (no blocked `get` or
    /// `put`): a fresh queue of the same capacity would behave the same from now on, so an
    /// owner may drop it and make a new one when it is next needed.
    pub fn is_idle(&self) -> bool {
        let state = self.inner.state.borrow();
        state.items.is_empty() && state.getters.is_empty() && state.putters.is_empty()
    }

    /// Forgets the producers and consumers declared or learned so far, as if the queue were
    /// new: for an owner that keeps idle queues ([`is_idle`](Queue::is_idle)) to reuse them
    /// between other processes instead of making new ones.
    pub fn forget_peers(&self) {
        {
            let mut state = self.inner.state.borrow_mut();
            state.last_producer = None;
            state.last_consumer = None;
        }
        self.inner.sim.with_object(self.inner.id, |o| {
            o.producers.clear();
            o.consumers.clear();
        });
    }

    /// Declares `pid` as a producer, so that a blocked `get` is reported as waiting for it.
    pub fn add_producer(&self, pid: ProcessId) {
        self.inner
            .sim
            .with_object(self.inner.id, |o| add_unique(&mut o.producers, pid));
    }

    /// Declares `pid` as a consumer, so that a blocked `put` is reported as waiting for it.
    pub fn add_consumer(&self, pid: ProcessId) {
        self.inner
            .sim
            .with_object(self.inner.id, |o| add_unique(&mut o.consumers, pid));
    }

    /// Puts `item`, waiting while the queue is full.
    pub fn put(&self, item: T) -> Put<'_, T> {
        Put {
            queue: self,
            item: Some(item),
            parked: None,
        }
    }

    /// Takes the oldest item, waiting while the queue is empty.
    pub fn get(&self) -> Get<'_, T> {
        Get {
            queue: self,
            parked: None,
        }
    }

    /// Puts `item` if that needs no wait; otherwise gives it back.
    pub fn try_put(&self, item: T) -> Result<(), T> {
        self.learn_producer();
        let mut state = self.inner.state.borrow_mut();
        self.offer(&mut state, item)
    }

    /// Takes the oldest item if there is one (or a parked putter's, at capacity 0).
    pub fn try_get(&self) -> Option<T> {
        self.learn_consumer();
        let mut state = self.inner.state.borrow_mut();
        self.take(&mut state)
    }

    /// Hands `item` to a waiting getter or stores it; gives it back if the queue is full.
    fn offer(&self, state: &mut QueueState<T>, item: T) -> Result<(), T> {
        if let Some(getter) = state.getters.pop_front() {
            state.slots[getter as usize].item = Some(item);
            if let Some(w) = state.complete(getter) {
                self.inner.sim.wake(w);
            }
            Ok(())
        } else if state.items.len() < self.inner.capacity {
            state.items.push_back(item);
            Ok(())
        } else {
            Err(item)
        }
    }

    /// Takes the oldest item, refilling from the first parked putter.
    fn take(&self, state: &mut QueueState<T>) -> Option<T> {
        let item = match state.items.pop_front() {
            Some(item) => {
                if let Some(putter) = state.putters.pop_front() {
                    if let Some(moved) = state.slots[putter as usize].item.take() {
                        state.items.push_back(moved);
                    }
                    if let Some(w) = state.complete(putter) {
                        self.inner.sim.wake(w);
                    }
                }
                item
            }
            None => {
                // Capacity 0 (or a putter parked by a queue that was full): take straight from
                // the oldest putter.
                let putter = state.putters.pop_front()?;
                let item = state.slots[putter as usize].item.take();
                if let Some(w) = state.complete(putter) {
                    self.inner.sim.wake(w);
                }
                item?
            }
        };
        Some(item)
    }

    fn learn_producer(&self) {
        let Some(me) = self.inner.sim.current() else {
            return;
        };
        let mut state = self.inner.state.borrow_mut();
        if state.last_producer != Some(me) {
            state.last_producer = Some(me);
            drop(state);
            self.add_producer(me);
        }
    }

    fn learn_consumer(&self) {
        let Some(me) = self.inner.sim.current() else {
            return;
        };
        let mut state = self.inner.state.borrow_mut();
        if state.last_consumer != Some(me) {
            state.last_consumer = Some(me);
            drop(state);
            self.add_consumer(me);
        }
    }
}

impl<T> fmt::Debug for Put<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put").field("parked", &self.parked).finish()
    }
}

impl<T> fmt::Debug for Get<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get").field("parked", &self.parked).finish()
    }
}

/// The future returned by [`Queue::put`].
#[must_use = "a put does nothing unless awaited"]
pub struct Put<'a, T: 'static> {
    queue: &'a Queue<T>,
    item: Option<T>,
    parked: Option<(u32, SimTime)>,
}

// The item is moved around by value and never pinned, so `Put` is `Unpin` whatever `T` is.
impl<T: 'static> Unpin for Put<'_, T> {}

impl<T: 'static> Future for Put<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let queue = this.queue;
        let sim = &queue.inner.sim;
        if let Some((index, since)) = this.parked {
            let mut state = queue.inner.state.borrow_mut();
            if state.slots[index as usize].done {
                state.release(index);
                this.parked = None;
                return Poll::Ready(());
            }
            drop(state);
            sim.record_wait(WaitKind::Put(queue.inner.id), since);
            return Poll::Pending;
        }
        let Some(item) = this.item.take() else {
            return Poll::Ready(()); // polled again after completing
        };
        let mut state = queue.inner.state.borrow_mut();
        if let Some(me) = sim.current()
            && state.last_producer != Some(me)
        {
            state.last_producer = Some(me);
            queue.add_producer(me);
        }
        match queue.offer(&mut state, item) {
            Ok(()) => Poll::Ready(()),
            Err(item) => {
                let index = state.park(sim.waiter(cx), Some(item));
                state.putters.push_back(index);
                drop(state);
                let now = sim.now();
                this.parked = Some((index, now));
                sim.record_wait(WaitKind::Put(queue.inner.id), now);
                Poll::Pending
            }
        }
    }
}

impl<T: 'static> Drop for Put<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if let Some((index, _)) = self.parked.take() {
            self.cancel(index);
        }
    }
}

impl<T: 'static> Put<'_, T> {
    /// Cancelled while waiting: withdraws the offer (the item is dropped). Out of line, so
    /// that dropping a finished put (every put) costs a test.
    #[cold]
    #[inline(never)]
    fn cancel(&mut self, index: u32) {
        let mut state = self.queue.inner.state.borrow_mut();
        state.putters.retain(|&p| p != index);
        state.release(index);
    }
}

/// The future returned by [`Queue::get`].
#[must_use = "a get does nothing unless awaited"]
pub struct Get<'a, T: 'static> {
    queue: &'a Queue<T>,
    parked: Option<(u32, SimTime)>,
}

impl<T: 'static> Future for Get<'_, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        let queue = this.queue;
        let sim = &queue.inner.sim;
        if let Some((index, since)) = this.parked {
            let mut state = queue.inner.state.borrow_mut();
            let slot = &mut state.slots[index as usize];
            if slot.done
                && let Some(item) = slot.item.take()
            {
                state.release(index);
                this.parked = None;
                return Poll::Ready(item);
            }
            drop(state);
            sim.record_wait(WaitKind::Get(queue.inner.id), since);
            return Poll::Pending;
        }
        let mut state = queue.inner.state.borrow_mut();
        if let Some(me) = sim.current()
            && state.last_consumer != Some(me)
        {
            state.last_consumer = Some(me);
            queue.add_consumer(me);
        }
        if let Some(item) = queue.take(&mut state) {
            return Poll::Ready(item);
        }
        let index = state.park(sim.waiter(cx), None);
        state.getters.push_back(index);
        drop(state);
        let now = sim.now();
        this.parked = Some((index, now));
        sim.record_wait(WaitKind::Get(queue.inner.id), now);
        Poll::Pending
    }
}

impl<T: 'static> Drop for Get<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if let Some((index, _)) = self.parked.take() {
            self.cancel(index);
        }
    }
}

impl<T: 'static> Get<'_, T> {
    /// Cancelled while waiting. Out of line, so that dropping a finished get costs a test.
    #[cold]
    #[inline(never)]
    fn cancel(&mut self, index: u32) {
        let mut state = self.queue.inner.state.borrow_mut();
        // Cancelled: if an item was already handed over, it goes back to the head of the
        // queue so nothing is lost; otherwise leave the line.
        state.getters.retain(|&g| g != index);
        let returned = state.slots[index as usize].item.take();
        state.release(index);
        if let Some(item) = returned {
            match state.getters.pop_front() {
                Some(next) => {
                    state.slots[next as usize].item = Some(item);
                    if let Some(w) = state.complete(next) {
                        self.queue.inner.sim.wake(w);
                    }
                }
                None => state.items.push_front(item),
            }
        }
    }
}
