//! The M/M/1 model of `engine_throughput mm1` on a bare stackless executor, as a yardstick:
//! one allocation per process, none per event, a waker whose data word is the task index, a
//! calendar of packed `u128` (time, seq, task) keys — and nothing else (no names, no wait
//! records, no deadlock detection, no join values). Same seeded variates, same result.
//!
//! ```text
//! cargo run --release -p kernbench-engine --example bare_executor
//! ```

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Instant;

/// The executor's shared state: clock, calendar, ready list.
#[derive(Default)]
struct Core {
    now: Cell<u64>,
    seq: Cell<u64>,
    calendar: RefCell<BinaryHeap<Reverse<u128>>>,
    ready: RefCell<VecDeque<usize>>,
    current: Cell<usize>,
}

impl Core {
    fn at(&self, time: u64, task: usize) {
        let seq = self.seq.get();
        self.seq.set(seq + 1);
        let key = ((time as u128) << 64) | ((seq as u128) << 20) | task as u128;
        self.calendar.borrow_mut().push(Reverse(key));
    }
}

struct Sleep<'a> {
    core: &'a Core,
    until: u64,
    armed: bool,
}

impl Future for Sleep<'_> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.armed {
            return Poll::Ready(());
        }
        self.armed = true;
        self.core.at(self.until, self.core.current.get());
        Poll::Pending
    }
}

fn sleep(core: &Core, dt: u64) -> Sleep<'_> {
    Sleep {
        core,
        until: core.now.get() + dt,
        armed: false,
    }
}

/// An unbounded queue with one waiting getter at most (enough for M/M/1).
struct Line {
    core: Rc<Core>,
    items: RefCell<VecDeque<u64>>,
    waiting: Cell<Option<usize>>,
}

struct Get<'a>(&'a Line);

impl Future for Get<'_> {
    type Output = u64;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u64> {
        match self.0.items.borrow_mut().pop_front() {
            Some(v) => Poll::Ready(v),
            None => {
                self.0.waiting.set(Some(self.0.core.current.get()));
                Poll::Pending
            }
        }
    }
}

impl Line {
    fn put(&self, v: u64) {
        self.items.borrow_mut().push_back(v);
        if let Some(task) = self.waiting.take() {
            self.core.ready.borrow_mut().push_back(task);
        }
    }
}

struct Rng(u64);
impl Rng {
    fn exponential(&mut self, mean: f64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let u = ((x >> 11) + 1) as f64 / (1u64 << 53) as f64;
        (-u.ln() * mean) as u64
    }
}

static VTABLE: RawWakerVTable =
    RawWakerVTable::new(|p| RawWaker::new(p, &VTABLE), |_| {}, |_| {}, |_| {});

fn main() {
    const CUSTOMERS: u32 = 1_000_000;
    let start = Instant::now();
    let core = Rc::new(Core::default());
    let line = Rc::new(Line {
        core: core.clone(),
        items: RefCell::new(VecDeque::new()),
        waiting: Cell::new(None),
    });
    let (c1, l1) = (core.clone(), line.clone());
    let arrivals = async move {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..CUSTOMERS {
            sleep(&c1, rng.exponential(1e6)).await;
            l1.put(c1.now.get());
        }
    };
    let (c2, l2) = (core.clone(), line.clone());
    let server = async move {
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        for _ in 0..CUSTOMERS {
            Get(&l2).await;
            sleep(&c2, rng.exponential(0.9e6)).await;
        }
    };
    let mut tasks: Vec<Option<Pin<Box<dyn Future<Output = ()>>>>> =
        vec![Some(Box::pin(arrivals)), Some(Box::pin(server))];
    core.ready.borrow_mut().extend([0, 1]);
    // SAFETY: every vtable function ignores the (null) data pointer.
    let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) };
    let mut cx = Context::from_waker(&waker);
    let mut events = 0u64;
    loop {
        let next = core.ready.borrow_mut().pop_front();
        let task = match next {
            Some(task) => task,
            None => match core.calendar.borrow_mut().pop() {
                Some(Reverse(key)) => {
                    core.now.set((key >> 64) as u64);
                    (key as usize) & 0xF_FFFF
                }
                None => break,
            },
        };
        events += 1;
        core.current.set(task);
        if let Some(fut) = tasks[task].as_mut()
            && fut.as_mut().poll(&mut cx).is_ready()
        {
            tasks[task] = None;
        }
    }
    let wall = start.elapsed().as_secs_f64();
    println!(
        "mm1 on a bare executor: completed at {} ps after {events} events; wall {wall:.4} s; {:.1} M events/s",
        core.now.get(),
        events as f64 / wall / 1e6
    );
}
