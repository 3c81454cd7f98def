//! What a blocked process waits on: compact records on the hot path, labels only in reports.

use std::borrow::Cow;

use crate::process::ProcessId;
use crate::time::SimTime;

/// Identifies a named wait object (queue, event, resource) in the simulation's registry.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct ObjectId {
    pub(crate) index: u32,
    pub(crate) generation: u32,
}

/// What one wait is on. Small and `Copy`, so recording a wait never allocates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum WaitKind {
    /// Sleeping until the given time.
    #[allow(dead_code)] // kept for reports of sleeping processes (limit reports)
    Timeout(SimTime),
    /// Waiting for room in a queue (put).
    Put(ObjectId),
    /// Waiting for an item in a queue (get).
    Get(ObjectId),
    /// Waiting for an event to be triggered.
    Event(ObjectId),
    /// Waiting for a unit of a resource.
    Request(ObjectId),
    /// Waiting for a process to finish.
    Join(ProcessId),
}

/// One recorded wait of a process: what, and since when.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WaitRecord {
    pub(crate) kind: WaitKind,
    pub(crate) since: SimTime,
}

/// The kinds of named wait objects.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ObjectKind {
    Queue,
    Event,
    Resource,
}

/// A wait object's entry in the registry: its name and the processes that could wake its
/// waiters (a queue's producers and consumers, an event's triggerers, a resource's holders).
#[derive(Debug)]
pub(crate) struct ObjectInfo {
    pub(crate) kind: ObjectKind,
    pub(crate) name: Cow<'static, str>,
    /// Custom labels for the two directions of a queue (`get`, `put`), if given.
    pub(crate) labels: Option<(Cow<'static, str>, Cow<'static, str>)>,
    /// Queue: processes that put; event: declared triggerers; resource: current holders.
    pub(crate) producers: Vec<ProcessId>,
    /// Queue: processes that get.
    pub(crate) consumers: Vec<ProcessId>,
    pub(crate) generation: u32,
    pub(crate) live: bool,
}

/// The registry of wait objects: a slab, so dropped objects free their entry and memory stays
/// bounded by the objects alive at once.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    entries: Vec<ObjectInfo>,
    free: Vec<u32>,
}

impl Registry {
    pub(crate) fn insert(
        &mut self,
        kind: ObjectKind,
        name: Cow<'static, str>,
        labels: Option<(Cow<'static, str>, Cow<'static, str>)>,
    ) -> ObjectId {
        if let Some(index) = self.free.pop() {
            let entry = &mut self.entries[index as usize];
            entry.generation = entry.generation.wrapping_add(1);
            entry.kind = kind;
            entry.name = name;
            entry.labels = labels;
            entry.producers.clear();
            entry.consumers.clear();
            entry.live = true;
            ObjectId {
                index,
                generation: entry.generation,
            }
        } else {
            let index = self.entries.len() as u32;
            self.entries.push(ObjectInfo {
                kind,
                name,
                labels,
                producers: Vec::new(),
                consumers: Vec::new(),
                generation: 0,
                live: true,
            });
            ObjectId {
                index,
                generation: 0,
            }
        }
    }

    pub(crate) fn remove(&mut self, id: ObjectId) {
        if let Some(entry) = self.entries.get_mut(id.index as usize)
            && entry.live
            && entry.generation == id.generation
        {
            entry.live = false;
            entry.name = Cow::Borrowed("");
            entry.labels = None;
            self.free.push(id.index);
        }
    }

    pub(crate) fn get(&self, id: ObjectId) -> Option<&ObjectInfo> {
        self.entries
            .get(id.index as usize)
            .filter(|e| e.live && e.generation == id.generation)
    }

    pub(crate) fn get_mut(&mut self, id: ObjectId) -> Option<&mut ObjectInfo> {
        self.entries
            .get_mut(id.index as usize)
            .filter(|e| e.live && e.generation == id.generation)
    }
}

/// Adds `pid` to `list` unless present. Lists are short (a queue has a producer or two).
pub(crate) fn add_unique(list: &mut Vec<ProcessId>, pid: ProcessId) {
    if !list.contains(&pid) {
        list.push(pid);
    }
}
