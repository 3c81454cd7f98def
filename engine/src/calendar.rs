//! The event calendar: timed wake-ups ordered by (time, insertion order).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::process::ProcessId;
use crate::time::SimTime;

/// Something to wake: one of our processes, or a foreign waker parked in the side table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Wake {
    /// A process, by id (wake-ups made now, which check the id).
    Task(ProcessId),
    /// A process, by slot (timed wake-ups, whose packed key has no room for the id).
    Slot(u32),
    /// A parked foreign waker.
    Foreign(u32),
}

/// Bits of a packed key given to the wake target (1 flag bit + the index).
const TARGET_BITS: u32 = 28;
/// Bits given to the insertion sequence number.
const SEQ_BITS: u32 = 64 - TARGET_BITS;
const TARGET_MASK: u64 = (1 << TARGET_BITS) - 1;
const FOREIGN_FLAG: u64 = 1 << (TARGET_BITS - 1);
/// The largest process slot (or parked foreign waker) a packed key can name: 134 million.
pub(crate) const MAX_TARGET_INDEX: u32 = (FOREIGN_FLAG - 1) as u32;

/// A calendar entry packed into one `u128`: `time (64) | seq (36) | target (28)`. Comparing
/// keys compares `(time, seq)`, and `seq` is unique, so the order is total; the target rides
/// along in the low bits. A timed wake-up names a process by slot only: if the slot was reused
/// by the time it fires, the new process gets a spurious poll, which futures tolerate.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Key(u128);

impl Key {
    fn new(time: SimTime, seq: u64, wake: Wake) -> Key {
        let target = match wake {
            Wake::Task(ProcessId { slot, .. }) | Wake::Slot(slot) => slot as u64,
            Wake::Foreign(index) => FOREIGN_FLAG | index as u64,
        };
        Key(((time.as_ps() as u128) << 64) | ((seq << TARGET_BITS) | target) as u128)
    }

    fn time(self) -> SimTime {
        SimTime::from_ps((self.0 >> 64) as u64)
    }

    #[cfg(test)]
    fn seq(self) -> u64 {
        (self.0 as u64) >> TARGET_BITS
    }

    fn with_seq(self, seq: u64) -> Key {
        let low = (seq << TARGET_BITS) | (self.0 as u64 & TARGET_MASK);
        Key((self.0 >> 64 << 64) | low as u128)
    }

    fn wake(self) -> Wake {
        let target = self.0 as u64 & TARGET_MASK;
        if target & FOREIGN_FLAG != 0 {
            Wake::Foreign((target & !FOREIGN_FLAG) as u32)
        } else {
            Wake::Slot(target as u32)
        }
    }
}

/// Future wake-ups in a binary heap, and wake-ups made for the current time in a FIFO.
///
/// Firing order is exactly `(time, insertion order)` without moving entries between the two:
/// a heap entry due now was scheduled before the clock reached now, so it is older than every
/// FIFO entry (those are all made at the current time); hence due heap entries go first, then
/// the FIFO, then the clock advances to the next heap entry.
#[derive(Debug, Default)]
pub(crate) struct Calendar {
    heap: BinaryHeap<Reverse<Key>>,
    now_fifo: VecDeque<Wake>,
    seq: u64,
}

/// What the calendar has next.
pub(crate) enum Next {
    /// A wake-up, at the (possibly advanced) current time.
    Wake(Wake),
    /// Nothing is scheduled at all.
    Empty,
    /// The next wake-up is later than the run's time limit.
    Beyond,
}

impl Calendar {
    /// Schedules `wake` at `time` (> now).
    pub(crate) fn push_later(&mut self, time: SimTime, wake: Wake) {
        if self.seq >> SEQ_BITS != 0 {
            self.renumber();
        }
        let seq = self.seq;
        self.seq += 1;
        self.heap.push(Reverse(Key::new(time, seq, wake)));
    }

    /// Re-issues sequence numbers from zero, in the current order, once they run out (after
    /// 2^36 timed wake-ups). Order is preserved, so the run is unaffected.
    #[cold]
    fn renumber(&mut self) {
        let mut keys: Vec<Key> = std::mem::take(&mut self.heap)
            .into_iter()
            .map(|Reverse(k)| k)
            .collect();
        keys.sort_unstable();
        self.seq = keys.len() as u64;
        self.heap = keys
            .into_iter()
            .enumerate()
            .map(|(i, k)| Reverse(k.with_seq(i as u64)))
            .collect();
    }

    /// Schedules `wake` at the current time, behind everything already due now.
    pub(crate) fn push_now(&mut self, wake: Wake) {
        self.now_fifo.push_back(wake);
    }

    /// Whether nothing at all is scheduled.
    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.now_fifo.is_empty()
    }

    /// Pops the next wake-up in `(time, seq)` order, advancing `now` when the current time
    /// has nothing left; never past `until`.
    #[inline]
    pub(crate) fn pop_next(&mut self, now: &mut SimTime, until: SimTime) -> Next {
        if let Some(Reverse(top)) = self.heap.peek()
            && top.time() <= *now
        {
            return self.pop_heap();
        }
        if let Some(wake) = self.now_fifo.pop_front() {
            return Next::Wake(wake);
        }
        match self.heap.peek() {
            None => Next::Empty,
            Some(Reverse(top)) if top.time() > until => Next::Beyond,
            Some(Reverse(top)) => {
                *now = top.time();
                self.pop_heap()
            }
        }
    }

    fn pop_heap(&mut self) -> Next {
        match self.heap.pop() {
            Some(Reverse(key)) => Next::Wake(key.wake()),
            None => Next::Empty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(calendar: &mut Calendar) -> Vec<(SimTime, Wake)> {
        let mut now = SimTime::ZERO;
        let mut out = Vec::new();
        while let Next::Wake(w) = calendar.pop_next(&mut now, SimTime::MAX) {
            out.push((now, w));
        }
        out
    }

    #[test]
    fn same_time_wakes_fire_in_insertion_order() {
        let mut calendar = Calendar::default();
        for slot in [5, 3, 9, 1] {
            calendar.push_later(SimTime::from_ns(2), Wake::Slot(slot));
        }
        calendar.push_later(SimTime::from_ns(1), Wake::Foreign(7));
        let order: Vec<Wake> = drain(&mut calendar).into_iter().map(|(_, w)| w).collect();
        assert_eq!(
            order,
            [
                Wake::Foreign(7),
                Wake::Slot(5),
                Wake::Slot(3),
                Wake::Slot(9),
                Wake::Slot(1)
            ]
        );
    }

    #[test]
    fn renumbering_sequence_numbers_keeps_the_order() {
        let mut calendar = Calendar::default();
        calendar.push_later(SimTime::from_ns(1), Wake::Slot(2));
        calendar.push_later(SimTime::from_ns(1), Wake::Slot(1));
        calendar.seq = 1 << SEQ_BITS; // as if 2^36 wake-ups had been scheduled
        calendar.push_later(SimTime::from_ns(1), Wake::Slot(0));
        assert_eq!(calendar.seq, 3);
        let order: Vec<Wake> = drain(&mut calendar).into_iter().map(|(_, w)| w).collect();
        assert_eq!(order, [Wake::Slot(2), Wake::Slot(1), Wake::Slot(0)]);
    }

    #[test]
    fn keys_round_trip_time_and_target() {
        let key = Key::new(
            SimTime::from_ps(u64::MAX),
            12345,
            Wake::Foreign(MAX_TARGET_INDEX),
        );
        assert_eq!(key.time(), SimTime::from_ps(u64::MAX));
        assert_eq!(key.seq(), 12345);
        assert_eq!(key.wake(), Wake::Foreign(MAX_TARGET_INDEX));
    }
}
