//! The deadlock report: who is blocked, on what, since when, who could wake them, and the
//! cycles of the wait-for graph.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::name::Name;
use crate::process::ProcessId;
use crate::process_table::ProcTable;
use crate::time::SimTime;
use crate::wait::{ObjectKind, Registry, WaitKind};

/// At most this many cycles are listed; the report says when there were more.
const MAX_CYCLES: usize = 64;
/// Bound on the cycle search's work, so a dense wait-for graph cannot stall the report.
const MAX_SEARCH_STEPS: usize = 1_000_000;

/// The state of the world when the calendar emptied with processes still waiting.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlockReport {
    /// When the last event fired.
    pub time: SimTime,
    /// Events processed before the stall.
    pub events: u64,
    /// Every process that was still waiting, in spawn order (daemons included).
    pub blocked: Vec<BlockedProcess>,
    /// Elementary cycles of the wait-for graph, each starting at its lowest process id, in
    /// order; a process waits for another when the other could wake it.
    pub cycles: Vec<Vec<ProcessRef>>,
    /// Whether more cycles existed than were listed.
    pub cycles_truncated: bool,
    /// Processes that had finished by then.
    pub finished: u64,
    /// The finished processes by name, in the order they finished, if the simulation was
    /// asked to keep them ([`Simulation::record_finished`](crate::Simulation::record_finished));
    /// empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finished_processes: Vec<ProcessRef>,
    /// What the model that ran adds about the stall (work it never started, say), a line
    /// each, printed after the cycles; empty from the engine.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A process, named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessRef {
    /// Its id (spawn order).
    pub id: ProcessId,
    /// Its name, or `None` if it had already finished and its entry was reused.
    pub name: Option<String>,
}

impl fmt::Display for ProcessRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name}"),
            None => write!(f, "{} (finished)", self.id),
        }
    }
}

/// One blocked process.
#[derive(Debug, Clone, Serialize)]
pub struct BlockedProcess {
    /// Who.
    pub process: ProcessRef,
    /// A daemon (service process) is reported but does not by itself make a deadlock.
    pub daemon: bool,
    /// What it waits on (one entry per primitive it is suspended on; `any_of` gives several).
    pub waits: Vec<BlockedWait>,
}

/// One wait of a blocked process.
#[derive(Debug, Clone, Serialize)]
pub struct BlockedWait {
    /// What it waits on, e.g. `get on queue ipcq c0.s0.p1->c0.s0.p2`.
    pub label: String,
    /// Since when.
    pub since: SimTime,
    /// Processes that could end this wait, where the primitive knows them: a queue's producers
    /// (for a get) or consumers (for a put), an event's declared triggerers, a resource's
    /// holders, a joined process.
    pub wakers: Vec<ProcessRef>,
}

impl BlockedProcess {
    /// Every process that could wake this one, over all its waits, without repeats.
    pub fn wakers(&self) -> Vec<ProcessId> {
        let mut ids: Vec<ProcessId> = self
            .waits
            .iter()
            .flat_map(|w| w.wakers.iter().map(|r| r.id))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

impl DeadlockReport {
    pub(crate) fn build(
        time: SimTime,
        events: u64,
        procs: &ProcTable,
        registry: &Registry,
    ) -> DeadlockReport {
        let name_of = |pid: ProcessId| ProcessRef {
            id: pid,
            name: procs.get(pid).map(|e| e.name.to_string()),
        };
        let mut blocked: Vec<BlockedProcess> = procs
            .entries
            .iter()
            .zip(&procs.hot)
            .enumerate()
            .filter(|(_, (_, hot))| hot.live)
            .map(|(slot, (entry, hot))| {
                let pid = ProcessId {
                    serial: hot.serial,
                    slot: slot as u32,
                };
                let waits = entry
                    .waits
                    .iter()
                    .map(|record| {
                        let (label, mut wakers) = describe(record.kind, registry, procs);
                        wakers.retain(|w| *w != pid);
                        let label = match &entry.label {
                            Some(custom) => custom.to_string(),
                            None => label,
                        };
                        BlockedWait {
                            label,
                            since: record.since,
                            wakers: wakers.into_iter().map(name_of).collect(),
                        }
                    })
                    .collect::<Vec<_>>();
                let waits = if waits.is_empty() {
                    vec![BlockedWait {
                        label: entry.label.as_ref().map_or_else(
                            || "a future the engine does not track".to_string(),
                            Name::to_string,
                        ),
                        since: time,
                        wakers: Vec::new(),
                    }]
                } else {
                    waits
                };
                BlockedProcess {
                    process: name_of(pid),
                    daemon: entry.daemon,
                    waits,
                }
            })
            .collect();
        blocked.sort_by_key(|b| b.process.id);
        let (cycles, cycles_truncated) = find_cycles(&blocked);
        let cycles = cycles
            .into_iter()
            .map(|cycle| cycle.into_iter().map(name_of).collect())
            .collect();
        DeadlockReport {
            time,
            events,
            blocked,
            cycles,
            cycles_truncated,
            finished: procs.finished,
            finished_processes: procs
                .finished_names
                .iter()
                .flatten()
                .map(|(id, name)| ProcessRef {
                    id: *id,
                    name: Some(name.to_string()),
                })
                .collect(),
            notes: Vec::new(),
        }
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // ok: the report holds only strings, integers and vectors, which always serialise.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The blocked process with this name, if any.
    pub fn blocked_process(&self, name: &str) -> Option<&BlockedProcess> {
        self.blocked
            .iter()
            .find(|b| b.process.name.as_deref() == Some(name))
    }
}

/// A wait's label and the processes that could end it.
fn describe(kind: WaitKind, registry: &Registry, procs: &ProcTable) -> (String, Vec<ProcessId>) {
    let object = |id| registry.get(id);
    match kind {
        WaitKind::Timeout(at) => (format!("timeout until {at}"), Vec::new()),
        WaitKind::Join(pid) => {
            let name = procs
                .get(pid)
                .map(|e| e.name.to_string())
                .unwrap_or_else(|| pid.to_string());
            (format!("join process {name}"), vec![pid])
        }
        WaitKind::Get(id) | WaitKind::Put(id) | WaitKind::Event(id) | WaitKind::Request(id) => {
            let Some(info) = object(id) else {
                return ("a dropped wait object".to_string(), Vec::new());
            };
            let get = matches!(kind, WaitKind::Get(_));
            let label = match (&info.labels, info.kind) {
                (Some((get_label, _)), _) if get => get_label.to_string(),
                (Some((_, put_label)), _) => put_label.to_string(),
                (None, ObjectKind::Queue) if get => format!("get on queue {}", info.name),
                (None, ObjectKind::Queue) => format!("put on queue {}", info.name),
                (None, ObjectKind::Event) => format!("wait on event {}", info.name),
                (None, ObjectKind::Resource) => format!("request resource {}", info.name),
            };
            let wakers = match kind {
                WaitKind::Put(_) => info.consumers.clone(),
                _ => info.producers.clone(),
            };
            (label, wakers)
        }
    }
}

/// Elementary cycles among blocked processes (edges: process -> a blocked process that could
/// wake it), each rotated to start at its lowest id, listed in order. A depth-first search from
/// each start node that only visits higher ids finds every elementary cycle exactly once.
fn find_cycles(blocked: &[BlockedProcess]) -> (Vec<Vec<ProcessId>>, bool) {
    let index: BTreeMap<ProcessId, usize> = blocked
        .iter()
        .enumerate()
        .map(|(i, b)| (b.process.id, i))
        .collect();
    let edges: Vec<Vec<usize>> = blocked
        .iter()
        .map(|b| {
            b.wakers()
                .into_iter()
                .filter_map(|w| index.get(&w).copied())
                .collect()
        })
        .collect();
    let mut cycles = Vec::new();
    let mut steps = 0usize;
    let mut truncated = false;
    for start in 0..blocked.len() {
        let mut path = vec![start];
        let mut on_path = vec![false; blocked.len()];
        on_path[start] = true;
        // Explicit stack of (node, next edge to try).
        let mut stack = vec![(start, 0usize)];
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            steps += 1;
            if steps > MAX_SEARCH_STEPS || cycles.len() >= MAX_CYCLES {
                truncated = true;
                break;
            }
            if let Some(&succ) = edges[node].get(*next) {
                *next += 1;
                if succ == start {
                    cycles.push(path.iter().map(|&i| blocked[i].process.id).collect());
                } else if succ > start && !on_path[succ] {
                    on_path[succ] = true;
                    path.push(succ);
                    stack.push((succ, 0));
                }
            } else {
                on_path[node] = false;
                path.pop();
                stack.pop();
            }
        }
        if truncated {
            break;
        }
    }
    (cycles, truncated)
}

impl fmt::Display for DeadlockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let workers = self.blocked.iter().filter(|b| !b.daemon).count();
        writeln!(
            f,
            "deadlock at {}: {} process{} blocked and nothing left on the calendar ({} events, {} finished)",
            self.time,
            workers,
            if workers == 1 { "" } else { "es" },
            self.events,
            self.finished,
        )?;
        for b in &self.blocked {
            let daemon = if b.daemon { " [daemon]" } else { "" };
            for w in &b.waits {
                write!(
                    f,
                    "  {} {}{}: {}, waiting since {}",
                    b.process.id, b.process, daemon, w.label, w.since
                )?;
                if w.wakers.is_empty() {
                    writeln!(f, "; no process is known to wake it")?;
                } else {
                    let names: Vec<String> = w.wakers.iter().map(|r| r.to_string()).collect();
                    writeln!(f, "; could be woken by {}", names.join(", "))?;
                }
            }
        }
        if self.cycles.is_empty() {
            writeln!(f, "wait-for cycles: none")?;
        } else {
            writeln!(f, "wait-for cycles ({}):", self.cycles.len())?;
            for cycle in &self.cycles {
                let mut names: Vec<String> = cycle.iter().map(|r| r.to_string()).collect();
                if let Some(first) = names.first().cloned() {
                    names.push(first);
                }
                writeln!(f, "  {}", names.join(" -> "))?;
            }
            if self.cycles_truncated {
                writeln!(
                    f,
                    "  (more cycles exist; only the first {MAX_CYCLES} are listed)"
                )?;
            }
        }
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        Ok(())
    }
}
