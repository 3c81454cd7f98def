//! `timeout`: sleep for a span of simulated time; `timeout_via`: sleep as if woken at each of
//! a list of stops on the way, and the relay slab that files those stops one by one on the
//! calendar.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::calendar::Wake;
use crate::sim::{Shared, Sim};
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

/// Relayed sleeps in flight ([`Sim::timeout_via`]), in a slab whose stop lists keep their
/// capacity, so a relay allocates nothing once warm.
#[derive(Debug, Default)]
pub(crate) struct Relays {
    entries: Vec<Relay>,
    free: Vec<u32>,
}

#[derive(Debug, Default)]
struct Relay {
    /// The stops, then the final time.
    times: Vec<SimTime>,
    /// The index in `times` of the entry now on the calendar.
    at: usize,
    /// Whom the final time wakes.
    target: Option<Wake>,
}

impl Shared {
    /// Files `target` to wake at `until`, through `stops`: the first stop goes on the calendar
    /// now, and each stop, when it comes, files the next (see [`Sim::timeout_via`]).
    pub(crate) fn relay(&self, stops: &[SimTime], until: SimTime, target: Wake) {
        let now = self.now.get();
        let mut relays = self.relays.borrow_mut();
        let index = relays.free.pop().unwrap_or_else(|| {
            relays.entries.push(Relay::default());
            (relays.entries.len() - 1) as u32
        });
        let relay = &mut relays.entries[index as usize];
        relay.times.clear();
        // Only stops strictly between now and `until`, each later than the one before.
        let mut last = now;
        for &stop in stops {
            if stop > last && stop < until {
                relay.times.push(stop);
                last = stop;
            }
        }
        relay.times.push(until);
        relay.at = 0;
        relay.target = Some(target);
        let first = relay.times[0];
        let wake = if relay.times.len() == 1 {
            relay.target = None;
            relays.free.push(index);
            target
        } else {
            Wake::Relay(index)
        };
        drop(relays);
        self.calendar.borrow_mut().push_later(first, wake);
    }

    /// A stop of relay `index` has come: files the next one, or the final wake-up.
    pub(crate) fn relay_stop(&self, index: u32) {
        let mut relays = self.relays.borrow_mut();
        let Some(relay) = relays.entries.get_mut(index as usize) else {
            return;
        };
        relay.at += 1;
        let Some(&next) = relay.times.get(relay.at) else {
            return;
        };
        let wake = if relay.at + 1 == relay.times.len() {
            let target = relay.target.take();
            relays.free.push(index);
            match target {
                Some(target) => target,
                None => return,
            }
        } else {
            Wake::Relay(index)
        };
        drop(relays);
        self.calendar.borrow_mut().push_later(next, wake);
    }
}
