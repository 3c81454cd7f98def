//! The process table: one slot per process, live or free for reuse, with what the executor,
//! the primitives and the deadlock report need to know about it (its name, whether it is a
//! daemon, what it waits on). Slots are reused, and a [`ProcessId`] carries the slot's serial,
//! so an id of a finished process never reaches its successor.

use crate::name::Name;
use crate::process::ProcessId;
use crate::wait::WaitRecord;

/// The per-event part of a process slot's book-keeping, packed small: the executor reads it
/// on every event, and 8 bytes a process keep thousands of them in cache.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Hot {
    pub(crate) serial: u32,
    pub(crate) live: bool,
    /// In the now-FIFO already: a second wake before it runs is a no-op.
    pub(crate) queued: bool,
    /// Its [`ProcEntry`] holds waits or a label to clear before the next poll.
    pub(crate) noted: bool,
}

/// The rest of a process slot's book-keeping, read when a wait is recorded or reported.
#[derive(Debug)]
pub(crate) struct ProcEntry {
    pub(crate) name: Name,
    pub(crate) daemon: bool,
    /// What the process waits on since its last poll.
    pub(crate) waits: Vec<WaitRecord>,
    /// A label set by [`Sim::labelled`](crate::Sim::labelled) that describes the current wait
    /// as a whole.
    pub(crate) label: Option<Name>,
}

#[derive(Debug, Default)]
pub(crate) struct ProcTable {
    pub(crate) hot: Vec<Hot>,
    pub(crate) entries: Vec<ProcEntry>,
    free: Vec<u32>,
    next_serial: u32,
    /// Live processes that are not daemons: the run is complete when this reaches zero.
    pub(crate) live_workers: usize,
    pub(crate) finished: u64,
    /// The ids and names of finished processes, in the order they finished, when asked for
    /// with [`Simulation::record_finished`](crate::Simulation::record_finished); `None` (the
    /// default) keeps nothing, so a long run's memory does not grow with its process count.
    pub(crate) finished_names: Option<Vec<(ProcessId, Name)>>,
}

impl ProcTable {
    /// Whether `pid` is alive (its slot holds it, not a successor).
    pub(crate) fn is_live(&self, pid: ProcessId) -> bool {
        self.hot
            .get(pid.slot as usize)
            .is_some_and(|h| h.live && h.serial == pid.serial)
    }

    pub(crate) fn get(&self, pid: ProcessId) -> Option<&ProcEntry> {
        if self.is_live(pid) {
            self.entries.get(pid.slot as usize)
        } else {
            None
        }
    }

    /// The entry of a live `pid`, marked as holding notes to clear at its next poll.
    pub(crate) fn note_mut(&mut self, pid: ProcessId) -> Option<&mut ProcEntry> {
        if self.is_live(pid) {
            self.hot[pid.slot as usize].noted = true;
            self.entries.get_mut(pid.slot as usize)
        } else {
            None
        }
    }

    pub(crate) fn insert(&mut self, name: Name, daemon: bool) -> ProcessId {
        let serial = self.next_serial;
        self.next_serial = self.next_serial.wrapping_add(1);
        if !daemon {
            self.live_workers += 1;
        }
        let hot = Hot {
            serial,
            live: true,
            queued: false,
            noted: false,
        };
        let entry = ProcEntry {
            name,
            daemon,
            waits: Vec::new(),
            label: None,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                let old = &mut self.entries[slot as usize];
                // Keep the old entry's `waits` allocation for reuse.
                let mut waits = std::mem::take(&mut old.waits);
                waits.clear();
                *old = ProcEntry { waits, ..entry };
                self.hot[slot as usize] = hot;
                slot
            }
            None => {
                self.hot.push(hot);
                self.entries.push(entry);
                (self.entries.len() - 1) as u32
            }
        };
        // A timed wake-up names its process by slot in 31 bits; two billion processes alive
        // at once would need far more memory than any machine before this could trip.
        debug_assert!(slot <= crate::calendar::MAX_TARGET_INDEX);
        ProcessId { serial, slot }
    }

    pub(crate) fn finish(&mut self, pid: ProcessId) {
        if self.is_live(pid) {
            self.hot[pid.slot as usize].live = false;
            let entry = &mut self.entries[pid.slot as usize];
            entry.waits.clear();
            entry.label = None;
            let daemon = entry.daemon;
            if !daemon {
                self.live_workers -= 1;
            }
            self.finished += 1;
            if let Some(names) = &mut self.finished_names {
                // The entry is dead and is overwritten when its slot is reused: move the
                // name out rather than copy it.
                names.push((pid, entry.name.take()));
            }
            self.free.push(pid.slot);
        }
    }
}
