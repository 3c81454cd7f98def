//! The event calendar: timed wake-ups ordered by (time, insertion order).
//!
//! Discrete-event models wake many processes at the *same* time (every rank of a collective
//! steps together; every packet of a pipeline lands on a clock edge). So the calendar appends
//! a wake-up for the same time as the previous one to that one's FIFO bucket in O(1), and
//! keeps a binary heap of buckets ordered by `(time, creation order)`. A bucket only ever
//! grows while it is the newest, so the buckets of one time hold consecutive runs of its
//! wake-ups, in order: draining buckets in heap order fires wake-ups in exactly
//! `(time, insertion order)`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::process::ProcessId;
use crate::time::SimTime;

/// Something to wake: one of our processes, or a foreign waker parked in the side table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Wake {
    /// A process, by id (wake-ups made now, which check the id).
    Task(ProcessId),
    /// A process, by slot (timed wake-ups, stored packed in 32 bits).
    Slot(u32),
    /// A parked foreign waker.
    Foreign(u32),
    /// A stop of a relayed sleep ([`Sim::timeout_via`](crate::Sim::timeout_via)), by its
    /// index in the relay table: re-filed at the next stop, no process polled.
    Relay(u32),
}

const FOREIGN_FLAG: u32 = 1 << 31;
const RELAY_FLAG: u32 = 1 << 30;
/// The largest process slot (or parked foreign waker, or relay) a timed wake-up can name.
pub(crate) const MAX_TARGET_INDEX: u32 = RELAY_FLAG - 1;

/// A timed wake-up packed in 32 bits. A timed wake-up names its process by slot only: if the
/// slot was reused by the time it fires, the new process gets a spurious poll, which futures
/// tolerate.
fn pack(wake: Wake) -> u32 {
    match wake {
        Wake::Task(ProcessId { slot, .. }) | Wake::Slot(slot) => slot,
        Wake::Foreign(index) => FOREIGN_FLAG | index,
        Wake::Relay(index) => RELAY_FLAG | index,
    }
}

fn unpack(bits: u32) -> Wake {
    if bits & FOREIGN_FLAG != 0 {
        Wake::Foreign(bits & !FOREIGN_FLAG)
    } else if bits & RELAY_FLAG != 0 {
        Wake::Relay(bits & !RELAY_FLAG)
    } else {
        Wake::Slot(bits)
    }
}

/// Bits of a heap key given to its payload (a wake-up or a bucket index), and to the creation
/// number.
const PAYLOAD_BITS: u32 = 33;
const SEQ_BITS: u32 = 64 - PAYLOAD_BITS;
/// Marks a payload that is a bucket index rather than a packed wake-up.
const BUCKET_FLAG: u64 = 1 << 32;

/// An entry's place in the heap, packed in one `u128` so that ordering is one comparison:
/// `time (64) | creation number (31) | payload (33)`. Creation numbers are unique, so the
/// payload never decides the order. The payload is a lone wake-up itself (32 bits), or, with
/// [`BUCKET_FLAG`], the index of a bucket of wake-ups for that time.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Key(u128);

impl Key {
    fn new(time: SimTime, seq: u64, payload: u64) -> Key {
        Key(((time.as_ps() as u128) << 64) | ((seq << PAYLOAD_BITS) | payload) as u128)
    }
    fn time(self) -> SimTime {
        SimTime::from_ps((self.0 >> 64) as u64)
    }
    fn payload(self) -> u64 {
        self.0 as u64 & ((1 << PAYLOAD_BITS) - 1)
    }
    fn with_seq(self, seq: u64) -> Key {
        Key::new(self.time(), seq, self.payload())
    }
}

/// The newest heap entry, while it may still take wake-ups for its time.
#[derive(Clone, Copy, Debug)]
enum Newest {
    /// A lone wake-up: a second one for the same time starts a bucket.
    Lone(SimTime),
    /// A bucket still holding wake-ups: more for its time are appended.
    Bucket(SimTime, u32),
}

/// Future wake-ups on a heap, and wake-ups made for the current time in a FIFO.
///
/// A wake-up for a time nobody else wakes at goes on the heap alone; the second one made in a
/// row for the same time opens a bucket (a heap entry created after the lone one, so it still
/// fires after it), and the rest of that burst is appended to the bucket in O(1).
///
/// A bucket due now was filled before the clock reached now, so its entries are older than
/// every FIFO entry (those are all made at the current time); hence the due bucket drains
/// first, then the FIFO, then the clock advances to the next bucket.
#[derive(Default)]
pub(crate) struct Calendar {
    /// Lone wake-ups and non-empty buckets, earliest (then oldest) on top.
    times: BinaryHeap<Reverse<Key>>,
    buckets: Vec<Bucket>,
    seq: u64,
    /// Emptied buckets, kept with their capacity so that steady state allocates nothing.
    spare: Vec<u32>,
    /// The newest heap entry, while it can take more wake-ups for its time: the common case
    /// of many wake-ups for one time appends to its bucket.
    last: Option<Newest>,
    now_fifo: VecDeque<Wake>,
}

impl std::fmt::Debug for Calendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Calendar")
            .field("times", &self.times.len())
            .field("now", &self.now_fifo.len())
            .finish()
    }
}

/// The wake-ups of one bucket, drained front to back. A bucket only takes wake-ups for a
/// time later than now and is only drained once the clock reaches its time, so it never grows
/// while it drains: a vector and a read cursor do, cheaper than a ring buffer.
#[derive(Default)]
struct Bucket {
    items: Vec<u32>,
    next: usize,
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
    #[inline(always)]
    pub(crate) fn push_later(&mut self, time: SimTime, wake: Wake) {
        match self.last {
            Some(Newest::Bucket(t, b)) if t == time => {
                self.buckets[b as usize].items.push(pack(wake));
            }
            Some(Newest::Lone(t)) if t == time => self.start_bucket(time, wake),
            _ => {
                self.push_key(time, u64::from(pack(wake)));
                self.last = Some(Newest::Lone(time));
            }
        }
    }

    /// A second wake-up in a row for `time`: opens a bucket for it and the rest of the burst.
    /// Out of line (once per burst), so that the common paths stay small where inlined.
    #[inline(never)]
    fn start_bucket(&mut self, time: SimTime, wake: Wake) {
        let bucket = self.open_bucket();
        self.buckets[bucket as usize].items.push(pack(wake));
        self.push_key(time, BUCKET_FLAG | u64::from(bucket));
        self.last = Some(Newest::Bucket(time, bucket));
    }

    fn open_bucket(&mut self) -> u32 {
        match self.spare.pop() {
            Some(b) => b,
            None => {
                // Pending buckets stay far below 2^32: each holds at least one wake-up.
                self.buckets.push(Bucket::default());
                (self.buckets.len() - 1) as u32
            }
        }
    }

    #[inline]
    fn push_key(&mut self, time: SimTime, payload: u64) {
        if self.seq >> SEQ_BITS != 0 {
            self.renumber();
        }
        let seq = self.seq;
        self.seq += 1;
        self.times.push(Reverse(Key::new(time, seq, payload)));
    }

    /// Re-issues creation numbers from zero, in the current order, once they run out (after
    /// 2^31 heap entries). The order is kept, so the run is unaffected.
    #[cold]
    fn renumber(&mut self) {
        let mut keys: Vec<Key> = std::mem::take(&mut self.times)
            .into_iter()
            .map(|Reverse(k)| k)
            .collect();
        keys.sort_unstable();
        self.seq = keys.len() as u64;
        self.times = keys
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
        self.times.is_empty() && self.now_fifo.is_empty()
    }

    /// Pops the next wake-up in `(time, insertion)` order, advancing `now` when the current
    /// time has nothing left; never past `until`.
    #[inline]
    pub(crate) fn pop_next(&mut self, now: &mut SimTime, until: SimTime) -> Next {
        if let Some(&Reverse(top)) = self.times.peek()
            && top.time() <= *now
        {
            return self.pop_entry(top);
        }
        if let Some(wake) = self.now_fifo.pop_front() {
            return Next::Wake(wake);
        }
        match self.times.peek() {
            None => Next::Empty,
            Some(&Reverse(top)) if top.time() > until => Next::Beyond,
            Some(&Reverse(top)) => {
                *now = top.time();
                self.pop_entry(top)
            }
        }
    }

    /// Pops the next wake-up of `top`, the heap's top: the lone wake-up itself, or the front
    /// of its bucket, retiring the bucket when empty.
    #[inline(always)]
    fn pop_entry(&mut self, top: Key) -> Next {
        let payload = top.payload();
        if payload & BUCKET_FLAG == 0 {
            // `last` may still say `Lone` for this time: harmless, since nothing can be
            // pushed for a time the clock has reached (`push_later` takes times after now).
            self.times.pop();
            return Next::Wake(unpack(payload as u32));
        }
        let bucket = (payload & !BUCKET_FLAG) as u32;
        let queue = &mut self.buckets[bucket as usize];
        let Some(&bits) = queue.items.get(queue.next) else {
            return Next::Empty; // unreachable: buckets in the heap are never empty
        };
        queue.next += 1;
        if queue.next == queue.items.len() {
            queue.items.clear();
            queue.next = 0;
            self.times.pop();
            self.spare.push(bucket);
            if matches!(self.last, Some(Newest::Bucket(_, b)) if b == bucket) {
                self.last = None;
            }
        }
        Next::Wake(unpack(bits))
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
        // Back to a time that already has a bucket: it joins the end of that bucket.
        calendar.push_later(SimTime::from_ns(2), Wake::Slot(4));
        let order: Vec<(SimTime, Wake)> = drain(&mut calendar);
        assert_eq!(
            order,
            [
                (SimTime::from_ns(1), Wake::Foreign(7)),
                (SimTime::from_ns(2), Wake::Slot(5)),
                (SimTime::from_ns(2), Wake::Slot(3)),
                (SimTime::from_ns(2), Wake::Slot(9)),
                (SimTime::from_ns(2), Wake::Slot(1)),
                (SimTime::from_ns(2), Wake::Slot(4)),
            ]
        );
        assert!(calendar.is_empty());
    }

    #[test]
    fn due_bucket_runs_before_wakes_made_now_and_the_limit_holds() {
        let mut calendar = Calendar::default();
        calendar.push_later(SimTime::from_ns(3), Wake::Slot(1));
        calendar.push_later(SimTime::from_ns(3), Wake::Slot(2));
        calendar.push_later(SimTime::from_ns(9), Wake::Slot(3));
        let mut now = SimTime::ZERO;
        assert!(matches!(
            calendar.pop_next(&mut now, SimTime::MAX),
            Next::Wake(Wake::Slot(1))
        ));
        assert_eq!(now, SimTime::from_ns(3));
        calendar.push_now(Wake::Slot(7));
        assert!(matches!(
            calendar.pop_next(&mut now, SimTime::MAX),
            Next::Wake(Wake::Slot(2))
        ));
        assert!(matches!(
            calendar.pop_next(&mut now, SimTime::MAX),
            Next::Wake(Wake::Slot(7))
        ));
        assert!(matches!(
            calendar.pop_next(&mut now, SimTime::from_ns(5)),
            Next::Beyond
        ));
        assert_eq!(now, SimTime::from_ns(3));
    }

    #[test]
    fn buckets_are_reused_without_growing() {
        let mut calendar = Calendar::default();
        let mut now = SimTime::ZERO;
        for round in 1..100u64 {
            for slot in 0..10 {
                calendar.push_later(SimTime::from_ns(round), Wake::Slot(slot));
            }
            for _ in 0..10 {
                assert!(matches!(
                    calendar.pop_next(&mut now, SimTime::MAX),
                    Next::Wake(_)
                ));
            }
        }
        assert_eq!(calendar.buckets.len(), 1);
    }

    #[test]
    fn renumbering_creation_numbers_keeps_the_order() {
        let mut calendar = Calendar::default();
        calendar.push_later(SimTime::from_ns(1), Wake::Slot(2));
        calendar.push_later(SimTime::from_ns(2), Wake::Slot(9));
        calendar.push_later(SimTime::from_ns(1), Wake::Slot(1));
        calendar.seq = 1 << SEQ_BITS; // as if 2^31 heap entries had been made
        calendar.push_later(SimTime::from_ns(2), Wake::Slot(0));
        assert_eq!(calendar.seq, 4);
        let order: Vec<Wake> = drain(&mut calendar).into_iter().map(|(_, w)| w).collect();
        assert_eq!(
            order,
            [Wake::Slot(2), Wake::Slot(1), Wake::Slot(9), Wake::Slot(0)]
        );
    }

    #[test]
    fn packing_round_trips_the_largest_indices() {
        assert_eq!(
            unpack(pack(Wake::Foreign(MAX_TARGET_INDEX))),
            Wake::Foreign(MAX_TARGET_INDEX)
        );
        assert_eq!(
            unpack(pack(Wake::Slot(MAX_TARGET_INDEX))),
            Wake::Slot(MAX_TARGET_INDEX)
        );
        assert_eq!(
            unpack(pack(Wake::Relay(MAX_TARGET_INDEX))),
            Wake::Relay(MAX_TARGET_INDEX)
        );
    }
}
