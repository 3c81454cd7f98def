//! What a workload run measured: the step time, each rank's compute and communication, the
//! critical path and each collective's time and bus bandwidth.

use std::collections::BTreeMap;

use kernbench_engine::SimTime;
use kernbench_model::{Bytes, Machine, Topology};

use super::run::InstanceKey;
use super::{Op, Workload};

/// What set a task's start besides its own dependencies, for the critical path.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Link {
    /// Nothing but its dependencies (and its stream).
    None,
    /// A collective instance (it finishes with its slowest member), and the collective
    /// before it on its group on this rank.
    Collective(InstanceKey, Option<usize>),
    /// The send a receive took: its rank, task and start.
    Recv {
        rank: u32,
        task: usize,
        started: SimTime,
    },
}

/// When one task ran on one rank.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Record {
    /// It began (the compute stream was free, the collective was issued, ...).
    pub(crate) start: SimTime,
    /// It finished.
    pub(crate) end: SimTime,
    link: Link,
}

impl Record {
    pub(crate) fn new(start: SimTime, end: SimTime, link: Link) -> Record {
        Record { start, end, link }
    }
}

/// The result of [`run_workload`](super::run_workload).
#[derive(Clone, Debug)]
pub struct WorkloadReport {
    /// The workload's name.
    pub name: String,
    /// The topology's name.
    pub topology: String,
    /// Ranks (= SIPs).
    pub world_size: u32,
    /// From the start to the last task's end on any rank (exact, in picoseconds).
    pub step_time: SimTime,
    /// Engine events processed.
    pub events: u64,
    /// Per rank, in rank order.
    pub ranks: Vec<RankTimes>,
    /// The chain of tasks that set the step time, first to last (see [`PathStep`]).
    pub critical_path: Vec<PathStep>,
    /// Per collective task, in the workload's order.
    pub collectives: Vec<CollectiveTiming>,
    /// Every directed link that carried traffic during the step, busiest first (by busy time,
    /// then by edge order): which link bounds the step.
    pub links: Vec<LinkLoad>,
}

/// What one directed link carried during a workload's step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkLoad {
    /// The link, `c0.s0.hub->c0.s1.hub`.
    pub link: String,
    /// Its class: `noc`, `port`, `tcm`, `sram`, `hbm`, `sip-link`, ...
    pub class: String,
    /// Bytes that crossed it.
    pub bytes: u64,
    /// Time it spent serving packets (in the flow model: what the packet model would count).
    pub busy: SimTime,
}

impl LinkLoad {
    /// `busy / step`, a fraction of the step time (0 for an empty step).
    pub fn utilisation(&self, step: SimTime) -> f64 {
        if step == SimTime::ZERO {
            0.0
        } else {
            self.busy.as_ps() as f64 / step.as_ps() as f64
        }
    }
}

/// The links of `machine` that carried traffic, busiest first; ties keep edge order.
pub(crate) fn link_loads(machine: &Machine) -> Vec<LinkLoad> {
    let topology = machine.topology();
    let mut loads: Vec<LinkLoad> = machine
        .link_stats()
        .into_iter()
        .filter(|(_, s)| s.bytes > 0)
        .filter_map(|(edge, s)| {
            let (a, b) = topology.link_ends(edge)?;
            let link = topology.try_link(edge)?;
            Some(LinkLoad {
                link: format!("{}->{}", topology.node(a), topology.node(b)),
                class: link.class.to_string(),
                bytes: s.bytes,
                busy: s.busy,
            })
        })
        .collect();
    // Stable: equal busy times stay in edge order.
    loads.sort_by_key(|l| std::cmp::Reverse(l.busy));
    loads
}

/// Where one rank's time went. Communication is the union of the intervals in which a
/// collective, a send or a receive of this rank was under way (a receive from when it was
/// posted); overlapped is the part of it during compute, exposed the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RankTimes {
    /// The rank.
    pub rank: u32,
    /// When its last task finished.
    pub finish: SimTime,
    /// Time its compute stream was busy.
    pub compute: SimTime,
    /// Time in communication that no compute overlapped.
    pub exposed_comm: SimTime,
    /// Time in communication while it computed.
    pub overlapped_comm: SimTime,
    /// Time moving bytes between its own memories (`Copy` nodes; the union of their
    /// intervals, whatever else ran meanwhile).
    pub copy: SimTime,
}

/// One task on the critical path.
///
/// The path is found backwards from the task that finished last: a task's predecessor is
/// the member of its collective that issued it last, when that member issued it later than
/// this rank did; the send of a receive, when the send began after the receive was posted;
/// otherwise, of its dependencies and the task before it on its stream (the compute stream,
/// or its group's collectives), the one that finished last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathStep {
    /// The rank it ran on.
    pub rank: u32,
    /// The task's name.
    pub task: String,
    /// Its kind (`compute`, `all-reduce`, `send`, ...).
    pub kind: &'static str,
    /// When it began.
    pub start: SimTime,
    /// When it finished.
    pub end: SimTime,
}

/// One collective task over all its groups.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectiveTiming {
    /// The task's name.
    pub task: String,
    /// The collective.
    pub collective: &'static str,
    /// The schedule's name.
    pub algorithm: String,
    /// The group's name.
    pub group: String,
    /// Ranks per group.
    pub group_size: u32,
    /// The buffer per rank.
    pub bytes: Bytes,
    /// The slowest group's time, from its first member's issue to its last member's finish.
    pub time: SimTime,
    /// `bytes / time * factor`, nccl-tests' bus bandwidth over that time, in GB/s.
    pub busbw_gbps: f64,
}

/// The length of the union of `intervals`.
fn union(mut intervals: Vec<(SimTime, SimTime)>) -> Vec<(SimTime, SimTime)> {
    intervals.sort();
    let mut out: Vec<(SimTime, SimTime)> = Vec::new();
    for (s, e) in intervals {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn total(intervals: &[(SimTime, SimTime)]) -> u64 {
    intervals.iter().map(|(s, e)| e.as_ps() - s.as_ps()).sum()
}

/// The length of the intersection of two sorted, disjoint interval lists.
fn overlap(a: &[(SimTime, SimTime)], b: &[(SimTime, SimTime)]) -> u64 {
    let (mut i, mut j, mut sum) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let s = a[i].0.max(b[j].0);
        let e = a[i].1.min(b[j].1);
        if s < e {
            sum += e.as_ps() - s.as_ps();
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    sum
}

impl WorkloadReport {
    pub(crate) fn new(
        workload: &Workload,
        topology: &Topology,
        records: Vec<Vec<Option<Record>>>,
        (time, events): (SimTime, u64),
        links: Vec<LinkLoad>,
    ) -> WorkloadReport {
        let n = topology.sip_count();
        let mut ranks = Vec::with_capacity(records.len());
        for (r, rank) in records.iter().enumerate() {
            let (mut compute, mut comm, mut copies) = (Vec::new(), Vec::new(), Vec::new());
            let mut finish = SimTime::ZERO;
            for (i, record) in rank.iter().enumerate() {
                let Some(record) = record else { continue };
                finish = finish.max(record.end);
                match workload.tasks[i].op {
                    Op::Compute(_) => compute.push((record.start, record.end)),
                    Op::Copy(_) => copies.push((record.start, record.end)),
                    _ => comm.push((record.start, record.end)),
                }
            }
            let (compute, comm) = (union(compute), union(comm));
            let overlapped = overlap(&compute, &comm);
            ranks.push(RankTimes {
                rank: r as u32,
                finish,
                compute: SimTime::from_ps(total(&compute)),
                exposed_comm: SimTime::from_ps(total(&comm) - overlapped),
                overlapped_comm: SimTime::from_ps(overlapped),
                copy: SimTime::from_ps(total(&union(copies))),
            });
        }
        let step_time = ranks.iter().map(|r| r.finish).max().unwrap_or(time);
        let critical_path = critical_path(workload, &records);
        // Collective instances: the members of each, by key.
        let mut instances: BTreeMap<InstanceKey, Vec<(usize, Record)>> = BTreeMap::new();
        for rank in &records {
            for (i, record) in rank.iter().enumerate() {
                if let Some(
                    record @ Record {
                        link: Link::Collective(key, _),
                        ..
                    },
                ) = record
                {
                    instances.entry(*key).or_default().push((i, *record));
                }
            }
        }
        let mut slowest: BTreeMap<usize, SimTime> = BTreeMap::new();
        // Tasks that ran only as another task's instance (a trace's per-rank copies of one
        // collective): the first member's task stands for them.
        let mut covered = std::collections::BTreeSet::new();
        for members in instances.values() {
            covered.extend(members.iter().skip(1).map(|(t, _)| *t));
            let start = members.iter().map(|(_, r)| r.start).min();
            let end = members.iter().map(|(_, r)| r.end).max();
            if let (Some(start), Some(end), Some((task, _))) = (start, end, members.first()) {
                let t = slowest.entry(*task).or_insert(SimTime::ZERO);
                *t = (*t).max(end.saturating_sub(start));
            }
        }
        let collectives = workload
            .tasks
            .iter()
            .enumerate()
            .filter_map(|(i, task)| {
                let Op::Collective(c) = &task.op else {
                    return None;
                };
                if !slowest.contains_key(&i) && covered.contains(&i) {
                    return None;
                }
                let time = slowest.get(&i).copied().unwrap_or(SimTime::ZERO);
                let size = c.groups.size(n);
                let seconds = time.as_secs_f64();
                let algbw = if seconds > 0.0 {
                    c.bytes.0 as f64 / seconds / 1e9
                } else {
                    0.0
                };
                // An all-to-allv's busbw counts the bytes that cross between ranks, per rank,
                // as `kernbench run` does (its factor is 1).
                let algbw = match c.split.map(|split| split.matrix(size, c.bytes.0)) {
                    Some(Ok(sizes)) if seconds > 0.0 && size > 0 => {
                        sizes.moved() as f64 / f64::from(size) / seconds / 1e9
                    }
                    _ => algbw,
                };
                Some(CollectiveTiming {
                    task: task.name.clone(),
                    collective: c.collective.name(),
                    algorithm: c.algorithm.name().to_string(),
                    group: c.group_name.clone(),
                    group_size: size,
                    bytes: c.bytes,
                    time,
                    busbw_gbps: algbw * c.collective.busbw_factor(size),
                })
            })
            .collect();
        WorkloadReport {
            name: workload.name.clone(),
            topology: topology.name().to_string(),
            world_size: n,
            step_time,
            events,
            ranks,
            critical_path,
            collectives,
            links,
        }
    }
}

/// The chain of tasks that set the step time (see [`PathStep`]).
fn critical_path(workload: &Workload, records: &[Vec<Option<Record>>]) -> Vec<PathStep> {
    let get = |r: u32, t: usize| records.get(r as usize)?.get(t).copied().flatten();
    // The task that finished last; ties go to the lowest rank, then the first task.
    let mut at: Option<(u32, usize)> = None;
    let mut latest = SimTime::ZERO;
    for (r, rank) in records.iter().enumerate() {
        for (t, record) in rank.iter().enumerate() {
            if let Some(record) = record {
                if at.is_none() || record.end > latest {
                    at = Some((r as u32, t));
                    latest = record.end;
                }
            }
        }
    }
    let mut path = Vec::new();
    // Bounded: every step moves to an earlier start or a dependency.
    let bound = records.iter().map(Vec::len).sum::<usize>() + 1;
    while let Some((r, t)) = at {
        let Some(record) = get(r, t) else { break };
        if path.len() > bound {
            break;
        }
        let task = &workload.tasks[t];
        path.push(PathStep {
            rank: r,
            task: task.name.clone(),
            kind: task.op.kind(),
            start: record.start,
            end: record.end,
        });
        let remote = match record.link {
            Link::Collective(key, _) => {
                // The member that issued it last, if later than this rank.
                // A task on every rank is the same task on the others; a rank-limited one
                // (a trace's) may be any task there.
                let mut last: Option<(u32, usize, SimTime)> = None;
                for (other, rank) in records.iter().enumerate() {
                    let candidates = match task.on {
                        None => t..t + 1,
                        Some(_) => 0..rank.len(),
                    };
                    for c in candidates {
                        if let Some(Some(o)) = rank.get(c) {
                            if matches!(o.link, Link::Collective(k, _) if k == key)
                                && o.start > record.start
                                && last.is_none_or(|(_, _, s)| o.start > s)
                            {
                                last = Some((other as u32, c, o.start));
                            }
                        }
                    }
                }
                last.map(|(other, c, _)| (other, c))
            }
            Link::Recv {
                rank,
                task,
                started,
            } if started > record.start => Some((rank, task)),
            _ => None,
        };
        at = remote.or_else(|| {
            // The dependency that finished last (the first of equals).
            // The dependency, or the task before it on its stream, that finished last (the
            // first of equals).
            let stream = match (&task.op, record.link) {
                (_, Link::Collective(_, previous)) => previous,
                (Op::Compute(_), _) => records[r as usize]
                    .iter()
                    .enumerate()
                    .filter(|(i, o)| {
                        matches!(workload.tasks[*i].op, Op::Compute(_))
                            && o.is_some_and(|o| o.end <= record.start && *i != t)
                    })
                    .max_by_key(|(i, o)| (o.map(|o| o.end), std::cmp::Reverse(*i)))
                    .map(|(i, _)| i),
                _ => None,
            };
            let mut best: Option<(usize, SimTime)> = None;
            for &d in task.deps.iter().chain(stream.iter()) {
                if let Some(dep) = get(r, d) {
                    if best.is_none_or(|(_, e)| dep.end > e) {
                        best = Some((d, dep.end));
                    }
                }
            }
            best.map(|(d, _)| (r, d))
        });
    }
    path.reverse();
    path
}
