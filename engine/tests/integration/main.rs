//! Behaviour of the engine that models rely on, one file per behaviour.

mod combinators;
mod deadlock;
mod determinism;
mod events;
mod limits;
mod processes;
mod queues;
mod resources;
mod timeouts;

use std::cell::RefCell;
use std::rc::Rc;

use kernbench_engine::SimTime;

/// A shared log of `(time, what)` lines that processes append to.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<(SimTime, String)>>>);

impl Log {
    pub fn push(&self, time: SimTime, what: impl Into<String>) {
        self.0.borrow_mut().push((time, what.into()));
    }

    pub fn entries(&self) -> Vec<(SimTime, String)> {
        self.0.borrow().clone()
    }

    pub fn whats(&self) -> Vec<String> {
        self.0.borrow().iter().map(|(_, w)| w.clone()).collect()
    }
}

pub fn ns(n: u64) -> SimTime {
    SimTime::from_ns(n)
}
