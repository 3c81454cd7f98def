//! `timeout`: sleep for a span of simulated time.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::sim::Sim;
use crate::time::SimTime;

/// The future returned by [`Sim::timeout`]. Resolves when the clock reaches its deadline.
#[derive(Debug)]
#[must_use = "a timeout does nothing unless awaited"]
pub struct Timeout<'a> {
    sim: &'a Sim,
    delay: SimTime,
    /// The deadline, fixed at the first poll (a timeout created early but awaited later
    /// sleeps from when it is awaited, as in SimPy).
    armed: Option<SimTime>,
}

impl<'a> Timeout<'a> {
    pub(crate) fn new(sim: &'a Sim, delay: SimTime) -> Self {
        Timeout {
            sim,
            delay,
            armed: None,
        }
    }
}

impl Future for Timeout<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let now = this.sim.now();
        match this.armed {
            Some(deadline) if now >= deadline => Poll::Ready(()),
            // A sleeping process is never blocked (its wake-up is on the calendar), so its
            // wait is not recorded: that keeps the commonest event free of book-keeping.
            Some(_) => Poll::Pending,
            None => {
                // Always suspend once, even for a zero delay: a zero timeout yields to
                // everything else due at this time, like SimPy's `timeout(0)`.
                let deadline = now + this.delay;
                this.armed = Some(deadline);
                this.sim.schedule_waker(deadline, cx.waker());
                Poll::Pending
            }
        }
    }
}

/// The future returned by [`Sim::timeout_via`]. Resolves when the clock reaches `until`.
#[derive(Debug)]
#[must_use = "a timeout does nothing unless awaited"]
pub struct TimeoutVia<'a> {
    sim: &'a Sim,
    stops: &'a [SimTime],
    until: SimTime,
    armed: bool,
}

impl<'a> TimeoutVia<'a> {
    pub(crate) fn new(sim: &'a Sim, stops: &'a [SimTime], until: SimTime) -> Self {
        TimeoutVia {
            sim,
            stops,
            until,
            armed: false,
        }
    }
}

impl Future for TimeoutVia<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.armed {
            return if this.sim.now() >= this.until {
                Poll::Ready(())
            } else {
                Poll::Pending
            };
        }
        this.armed = true;
        this.sim
            .schedule_waker_via(this.stops, this.until, cx.waker());
        Poll::Pending
    }
}
