//! Running a workload: one process per task per rank, compute on a stream per rank,
//! collectives through the process groups, sends and receives through tagged mailboxes.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use kernbench_engine::{Event, Queue, Resource, Sim, SimTime};
use kernbench_model::{
    Bandwidth, Bytes, LinkBusy, MachineOptions, MemoryKind, NetworkModel, Placement, Topology,
};

use crate::error::CollectiveError;
use crate::group::{Groups, ProcessGroup};
use crate::launch::{Rank, launch};
use crate::names::Collective;
use crate::runner::{Limits, Runner};

use super::bundles::{Calibration, calibrate};
use super::report::{Link, Record, WorkloadReport};
use super::stall::{Stalled, collective_calls};
use super::{Compute, Op, Workload};

/// A collective instance: its groups, the first launch rank of the group and its number on
/// that group. Every member's k-th collective on a group has the same key.
pub(crate) type InstanceKey = (Groups, u32, u64);

/// What a collective instance's first member issued, to compare the others against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Issued {
    collective: Collective,
    bytes: Bytes,
    algorithm: String,
    root: u32,
}

impl Issued {
    /// What a member issuing `c` issues: members whose `Issued` differ run different
    /// collectives at the same call.
    pub(crate) fn of(c: &super::CollectiveTask) -> Issued {
        Issued {
            collective: c.collective,
            bytes: c.bytes,
            algorithm: c.algorithm.name().to_string(),
            root: c.root,
        }
    }
}

/// A message that has arrived: who sent it, from which task, when the send began.
#[derive(Debug)]
struct Arrival {
    from_task: usize,
    started: SimTime,
    bytes: Bytes,
}

/// What the ranks of one workload run share.
struct Shared {
    workload: Workload,
    world_size: u32,
    hbm: Bandwidth,
    /// Per rank, per task: when it ran (`None` while it has not finished).
    records: RefCell<Vec<Vec<Option<Record>>>>,
    /// Tagged mailboxes by (from, to, tag); looked up, never iterated.
    mailboxes: RefCell<BTreeMap<(u32, u32, u32), Queue<Arrival>>>,
    /// The first issue of every collective instance, with the task and rank that made it.
    issued: RefCell<BTreeMap<InstanceKey, (Issued, u32, usize)>>,
    /// Per task, the tasks that depend on it, in the order of the graph.
    dependents: Vec<Vec<usize>>,
    /// Per rank, per task, its dependencies on that rank not finished yet: a task is spawned
    /// when its count reaches zero, so a task waiting for its dependencies costs no process.
    unfinished: RefCell<Vec<Vec<u32>>>,
    /// In the flow model, every collective on every group measured alone, to replay.
    calibration: Option<Calibration>,
    /// In the flow model, the instances some but not all members have issued.
    instances: RefCell<BTreeMap<InstanceKey, Instance>>,
}

/// A collective instance in the flow model while its members issue it.
struct Instance {
    /// Members that have not issued it yet.
    left: usize,
    /// Triggered by the last member, with the event its bundle's drain triggers.
    here: Event<Event<()>>,
}

impl Shared {
    /// Rank `r`'s unfinished dependencies of task `i`.
    fn unfinished_of(&self, r: u32, i: usize) -> Option<u32> {
        self.unfinished
            .borrow()
            .get(r as usize)
            .and_then(|u| u.get(i))
            .copied()
    }

    /// The lines the runner adds to a stall report ([`Stalled::notes`]).
    fn stall_notes(&self) -> Vec<String> {
        let finished = self
            .records
            .borrow()
            .iter()
            .map(|rank| rank.iter().map(Option::is_some).collect())
            .collect();
        let unfinished = self.unfinished.borrow();
        Stalled {
            workload: &self.workload,
            world_size: self.world_size,
            finished,
            unfinished: &unfinished,
        }
        .notes()
    }

    fn mailbox(&self, sim: &Sim, from: u32, to: u32, tag: u32) -> Queue<Arrival> {
        self.mailboxes
            .borrow_mut()
            .entry((from, to, tag))
            .or_insert_with(|| Queue::new(sim, "workload mailbox", usize::MAX))
            .clone()
    }

    fn record(&self, rank: u32, task: usize, record: Record) {
        if let Some(slot) = self
            .records
            .borrow_mut()
            .get_mut(rank as usize)
            .and_then(|r| r.get_mut(task))
        {
            *slot = Some(record);
        }
    }
}

/// One rank's state while it runs: the events of its tasks and what they share.
struct RankState {
    rank: Rank,
    shared: Rc<Shared>,
    done: Vec<Event<()>>,
    /// The previous collective task on the same groups, on this rank.
    previous: Vec<Option<usize>>,
    /// The number of each collective task among this rank's collectives on its groups.
    number: Vec<u64>,
    groups: BTreeMap<Groups, ProcessGroup>,
    /// Each group's name with its members (`tp [ranks 0-15]`), for stall labels.
    group_text: BTreeMap<Groups, String>,
    compute: Resource,
}

/// Runs `workload` on `topology` with one rank per SIP and measures it.
///
/// # Errors
/// A workload that does not fit the topology ([`CollectiveError::BadWorkload`], or a
/// schedule that refuses a collective), a buffer that does not fit its memory, or a
/// [`CollectiveError::Deadlock`] whose report names the stuck tasks (`rank1 recv-x`).
pub fn run_workload(
    topology: Rc<Topology>,
    workload: &Workload,
) -> Result<WorkloadReport, CollectiveError> {
    run(topology, workload, WorkloadOptions::default()).map(|(report, _)| report)
}

/// [`run_workload`], recording a timeline: every task's span on its rank and the links'
/// busy intervals (for a Perfetto trace; costs memory in proportion to the traffic).
///
/// # Errors
/// As [`run_workload`].
pub fn run_workload_traced(
    topology: Rc<Topology>,
    workload: &Workload,
) -> Result<(WorkloadReport, WorkloadTrace), CollectiveError> {
    let options = WorkloadOptions {
        trace: true,
        ..WorkloadOptions::default()
    };
    run(topology, workload, options)
}

/// How [`run_workload_on`] runs a workload: the network model, whether to record a
/// timeline, and a simulated-time limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkloadOptions {
    /// The network model timing transfers. In the flow model ([`NetworkModel::Flow`]) each
    /// collective is measured alone once and replayed as a bundle of flows (see the
    /// [module docs](super)); alone it still takes its time alone, in that model.
    pub network: NetworkModel,
    /// Record a timeline ([`WorkloadTrace`]); left empty if not.
    pub trace: bool,
    /// Stop before any event later than this simulated time: the run ends in
    /// [`CollectiveError::TimeLimit`]. `None`: no limit.
    pub time_limit: Option<SimTime>,
}

/// [`run_workload`] with [`WorkloadOptions`]: a network model, a timeline (empty unless
/// `trace`), a time limit.
///
/// # Errors
/// As [`run_workload`], and [`CollectiveError::TimeLimit`] when the step has not finished
/// by `time_limit`.
pub fn run_workload_on(
    topology: Rc<Topology>,
    workload: &Workload,
    options: WorkloadOptions,
) -> Result<(WorkloadReport, WorkloadTrace), CollectiveError> {
    run(topology, workload, options)
}

/// The timeline of a traced workload run.
#[derive(Clone, Debug, Default)]
pub struct WorkloadTrace {
    /// Every task that finished, by rank then task order.
    pub tasks: Vec<TaskSpan>,
    /// The links' busy intervals.
    pub link_busy: Vec<LinkBusy>,
}

/// When one task ran on one rank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskSpan {
    /// The rank.
    pub rank: u32,
    /// The task's name.
    pub task: String,
    /// Its kind (`compute`, `all-reduce`, `send`, `copy`, ...).
    pub kind: &'static str,
    /// When it began.
    pub start: SimTime,
    /// When it finished.
    pub end: SimTime,
}

fn run(
    topology: Rc<Topology>,
    workload: &Workload,
    options: WorkloadOptions,
) -> Result<(WorkloadReport, WorkloadTrace), CollectiveError> {
    let WorkloadOptions {
        network,
        trace,
        time_limit,
    } = options;
    let n = topology.sip_count();
    workload.check_on(&topology)?;
    let options = MachineOptions {
        data: false,
        trace,
        network,
    };
    let has_collectives = workload
        .tasks
        .iter()
        .any(|t| matches!(t.op, Op::Collective(_)));
    let calibration = match network {
        NetworkModel::Flow if has_collectives => Some(calibrate(topology.clone(), workload)?),
        _ => None,
    };
    let calibration_events = calibration.as_ref().map_or(0, |c| c.events);
    let mut runner = Runner::new(topology.clone(), options, 0)?;
    let machine = runner.machine.clone();
    let shared = Rc::new(Shared {
        workload: workload.clone(),
        world_size: n,
        hbm: topology.memory(MemoryKind::Hbm).bandwidth,
        records: RefCell::new(vec![vec![None; workload.tasks.len()]; n as usize]),
        mailboxes: RefCell::new(BTreeMap::new()),
        issued: RefCell::new(BTreeMap::new()),
        dependents: dependents(workload),
        // A dependency a rank does not run is no dependency there (a pipeline's first stage
        // receives nothing before its forward).
        unfinished: RefCell::new(
            (0..n)
                .map(|r| {
                    let runs = |d: usize| workload.tasks[d].runs_on(r);
                    workload
                        .tasks
                        .iter()
                        .map(|t| t.deps.iter().filter(|&&d| runs(d)).count() as u32)
                        .collect()
                })
                .collect(),
        ),
        calibration,
        instances: RefCell::new(BTreeMap::new()),
    });
    let launched = shared.clone();
    launch(&machine, n, move |rank| start_rank(rank, launched.clone()))?;
    let limits = Limits {
        time: time_limit,
        ..Limits::default()
    };
    let (time, events) = match runner.run(limits)?.completed() {
        Err(CollectiveError::Deadlock(mut report)) => {
            report.notes.extend(shared.stall_notes());
            return Err(CollectiveError::Deadlock(report));
        }
        ended => ended?,
    };
    let records = shared.records.take();
    let mut timeline = WorkloadTrace::default();
    if trace {
        for (r, rank) in records.iter().enumerate() {
            for (i, record) in rank.iter().enumerate() {
                if let Some(record) = record {
                    let task = &workload.tasks[i];
                    timeline.tasks.push(TaskSpan {
                        rank: r as u32,
                        task: task.name.clone(),
                        kind: task.op.kind(),
                        start: record.start,
                        end: record.end,
                    });
                }
            }
        }
        timeline.link_busy = machine.take_link_busy();
    }
    let links = super::report::link_loads(&machine);
    let events = events + calibration_events;
    let report = WorkloadReport::new(workload, &topology, records, (time, events), links);
    Ok((report, timeline))
}

/// Per task, the tasks that list it as a dependency (once per listing), in graph order.
fn dependents(workload: &Workload) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); workload.tasks.len()];
    for (j, task) in workload.tasks.iter().enumerate() {
        for &d in &task.deps {
            if let Some(list) = out.get_mut(d) {
                list.push(j);
            }
        }
    }
    out
}

/// The body of rank `rank`: makes its groups, then a process for each task it runs, started
/// when the task's dependencies on this rank have finished.
async fn start_rank(rank: Rank, shared: Rc<Shared>) -> Result<(), CollectiveError> {
    let r = rank.rank();
    let sim = rank.machine().sim().clone();
    let tasks = &shared.workload.tasks;
    let mut groups = BTreeMap::new();
    let mut group_text = BTreeMap::new();
    let mut previous = vec![None; tasks.len()];
    let mut number = vec![0; tasks.len()];
    for list in collective_calls(&shared.workload, r).values() {
        for (k, &i) in list.iter().enumerate() {
            previous[i] = k.checked_sub(1).map(|p| list[p]);
            number[i] = k as u64;
        }
    }
    for task in tasks {
        let Op::Collective(c) = &task.op else {
            continue;
        };
        if !task.runs_on(r) {
            continue;
        }
        if let std::collections::btree_map::Entry::Vacant(slot) = groups.entry(c.groups) {
            let group = match c.groups {
                Groups::World => rank.process_group(),
                Groups::Split { .. } => rank
                    .process_group()
                    .new_group(&c.groups.members_of(r, shared.world_size))?,
            };
            slot.insert(group);
            let members = c.groups.members_of(r, shared.world_size);
            group_text.insert(
                c.groups,
                format!("{} [{}]", c.group_name, ranks_text(&members)),
            );
        }
    }
    let state = Rc::new(RankState {
        done: tasks
            .iter()
            .map(|_| Event::new(&sim, "task done"))
            .collect(),
        previous,
        number,
        groups,
        group_text,
        compute: Resource::new(&sim, format!("rank{r} compute stream"), 1),
        rank,
        shared: shared.clone(),
    });
    for (i, task) in tasks.iter().enumerate() {
        if task.runs_on(r) && shared.unfinished_of(r, i) == Some(0) {
            spawn_task(&state, i);
        }
    }
    Ok(())
}

/// Starts task `i` on this rank: its dependencies here have finished.
fn spawn_task(state: &Rc<RankState>, i: usize) {
    let task = &state.shared.workload.tasks[i];
    let sim = state.rank.machine().sim();
    let name = format!("rank{} {}", state.rank.rank(), task.name);
    let handle = sim.spawn(name, run_task(state.clone(), i));
    state.done[i].add_triggerer(handle.id());
}

/// Task `i` finished on this rank: starts each task it was the last dependency of, in the
/// order of the graph.
fn release_dependents(state: &Rc<RankState>, i: usize) {
    let shared = &state.shared;
    let r = state.rank.rank();
    for &j in &shared.dependents[i] {
        if !shared.workload.tasks[j].runs_on(r) {
            continue;
        }
        let ready = {
            let mut unfinished = shared.unfinished.borrow_mut();
            match unfinished.get_mut(r as usize).and_then(|u| u.get_mut(j)) {
                Some(count) => {
                    *count = count.saturating_sub(1);
                    *count == 0
                }
                None => false,
            }
        };
        if ready {
            spawn_task(state, j);
        }
    }
}

/// One task on one rank, spawned once its dependencies here have finished: does it, records
/// when, and starts the tasks that waited for it.
async fn run_task(state: Rc<RankState>, i: usize) -> Result<(), CollectiveError> {
    let shared = &state.shared;
    let task = &shared.workload.tasks[i];
    let r = state.rank.rank();
    let sim = state.rank.machine().sim().clone();
    let record = match &task.op {
        Op::Compute(compute) => {
            let cost = match *compute {
                Compute::Time(t) => t,
                Compute::Roofline { flops, bytes } => {
                    let peak = shared.workload.peak_flops.map(|p| p.time_for(flops));
                    peak.unwrap_or(SimTime::ZERO)
                        .max(shared.hbm.time_for(bytes))
                }
            };
            let label = format!("rank{r} {} waits for the compute stream", task.name);
            let _stream = sim.labelled(label, state.compute.request()).await;
            let start = sim.now();
            sim.timeout(cost).await;
            Record::new(start, sim.now(), Link::None)
        }
        // Communication and copies run in a future of their own: a compute task (waiting
        // for the compute stream, or computing) holds only this small one, not the size of
        // the largest arm's (808 bytes against 168).
        _ => match Box::pin(communicate(&state, i)).await? {
            Some(record) => record,
            None => return Ok(()),
        },
    };
    shared.record(r, i, record);
    let _ = state.done[i].trigger(());
    release_dependents(&state, i);
    Ok(())
}

/// Task `i` on this rank, when it is a collective, a send, a receive or a copy: does it and
/// returns when it ran (`None`: it never runs, and waits forever).
async fn communicate(state: &RankState, i: usize) -> Result<Option<Record>, CollectiveError> {
    let shared = &state.shared;
    let task = &shared.workload.tasks[i];
    let r = state.rank.rank();
    let sim = state.rank.machine().sim().clone();
    Ok(Some(match &task.op {
        Op::Compute(_) => {
            return Err(CollectiveError::Internal(format!(
                "{} is compute, not communication",
                task.name
            )));
        }
        Op::Collective(c) => {
            if let Some(p) = state.previous[i] {
                let done = &state.done[p];
                if !done.is_triggered() {
                    let label = format!(
                        "rank{r} {} waits for {} to finish on group {}",
                        task.name,
                        shared.workload.tasks[p].name,
                        state.group(c)
                    );
                    sim.labelled(label, done.wait()).await;
                }
            }
            let Some(group) = state.groups.get(&c.groups) else {
                return Err(CollectiveError::Internal(format!(
                    "rank{r} has no group for {}",
                    task.name
                )));
            };
            let first = c.groups.members_of(r, shared.world_size)[0];
            let key = (c.groups, first, state.number[i]);
            let issue = Issued::of(c);
            let clash = {
                let mut issued = shared.issued.borrow_mut();
                let entry = issued.entry(key).or_insert_with(|| (issue.clone(), r, i));
                (entry.0 != issue).then_some((entry.1, entry.2))
            };
            if let Some((other_rank, other_task)) = clash {
                // Issuing it would mix two collectives' messages: wait forever instead, and
                // let the deadlock report say why.
                let other = &shared.workload.tasks[other_task];
                let label = format!(
                    "rank{r} {} ({} of {} with {}) is call #{} on group {}, where rank{other_rank} issued {} ({}): the members run different collectives; make them the same",
                    task.name,
                    c.collective,
                    c.bytes,
                    issue.algorithm,
                    state.number[i],
                    state.group(c),
                    other.name,
                    describe(&other.op),
                );
                let never: Event<()> = Event::new(&sim, "never");
                sim.labelled(label, never.wait()).await;
                return Ok(None);
            }
            let start = sim.now();
            let waits = || {
                format!(
                    "rank{r} {} waits for its {} on group {}",
                    task.name,
                    c.collective,
                    state.group(c)
                )
            };
            if let Some(calibration) = &shared.calibration {
                let _buffer = super::bundles::buffer_for(&state.rank, group, task, i, c)?;
                replay(state, calibration, i, key, waits).await?;
            } else {
                let (work, _buffer) = super::bundles::issue(&state.rank, group, task, i, c)?;
                if !work.is_finished() {
                    sim.labelled(waits(), work.wait()).await;
                }
            }
            Record::new(start, sim.now(), Link::Collective(key, state.previous[i]))
        }
        Op::Send(m) => {
            let peer = peer_of(task, i, m.peer, r, shared.world_size)?;
            let buffer = state.rank.alloc(m.memory, m.bytes)?;
            let start = sim.now();
            let machine = state.rank.machine();
            let Some(sip) = machine.topology().sip_of_rank(peer) else {
                return Err(CollectiveError::Internal(format!("no SIP for rank {peer}")));
            };
            machine
                .move_to_placement(
                    &buffer,
                    0,
                    Placement::on_sip(sip, m.memory),
                    m.bytes,
                    0,
                    m.bytes.0,
                )
                .await?;
            let arrival = Arrival {
                from_task: i,
                started: start,
                bytes: m.bytes,
            };
            shared.mailbox(&sim, r, peer, m.tag).put(arrival).await;
            Record::new(start, sim.now(), Link::None)
        }
        Op::Recv(m) => {
            let peer = peer_of(task, i, m.peer, r, shared.world_size)?;
            let _buffer = state.rank.alloc(m.memory, m.bytes)?;
            let start = sim.now();
            let mailbox = shared.mailbox(&sim, peer, r, m.tag);
            let arrival = match mailbox.try_get() {
                Some(arrival) => arrival,
                None => {
                    let label = format!(
                        "rank{r} {}: recv rank{r} <- rank{peer} tag {} ({}), no such send has arrived",
                        task.name, m.tag, m.bytes
                    );
                    sim.labelled(label, mailbox.get()).await
                }
            };
            if arrival.bytes != m.bytes {
                let sender = &shared.workload.tasks[arrival.from_task];
                return Err(CollectiveError::BadWorkload {
                    task: Some(task.name.clone()),
                    index: Some(i),
                    field: "op",
                    reason: format!(
                        "on rank {r} it receives {} from rank {peer} tag {}, but that rank's \"{}\" sends {}; make the sizes the same",
                        m.bytes, m.tag, sender.name, arrival.bytes
                    ),
                });
            }
            let link = Link::Recv {
                rank: peer,
                task: arrival.from_task,
                started: arrival.started,
            };
            Record::new(start, sim.now(), link)
        }
        Op::Copy(c) => {
            let buffer = state.rank.alloc(c.from, c.bytes)?;
            let machine = state.rank.machine();
            let Some(sip) = machine.topology().sip_of_rank(r) else {
                return Err(CollectiveError::Internal(format!("no SIP for rank {r}")));
            };
            let start = sim.now();
            machine
                .move_to_placement(
                    &buffer,
                    0,
                    Placement::on_sip(sip, c.to),
                    c.bytes,
                    0,
                    c.bytes.0,
                )
                .await?;
            Record::new(start, sim.now(), Link::None)
        }
    }))
}

/// Task `i`'s collective instance `key` in the flow model: waits until every member has
/// issued it (the last one starts its bundle), then for the bundle to drain, then for this
/// member's own end after the first member's, as calibrated.
async fn replay(
    state: &RankState,
    calibration: &Calibration,
    i: usize,
    key: InstanceKey,
    waits: impl Fn() -> String,
) -> Result<(), CollectiveError> {
    let shared = &state.shared;
    let r = state.rank.rank();
    let sim = state.rank.machine().sim().clone();
    let (groups, first, _) = key;
    let members = groups.members_of(r, shared.world_size);
    let missing = || CollectiveError::Internal(format!("no calibration of task {i} on rank {r}"));
    let place = members.iter().position(|&m| m == r).ok_or_else(missing)?;
    let here = {
        let mut instances = shared.instances.borrow_mut();
        let instance = instances.entry(key).or_insert_with(|| Instance {
            left: members.len(),
            here: Event::new(&sim, "every member issued the collective"),
        });
        instance.left = instance.left.saturating_sub(1);
        let here = instance.here.clone();
        if instance.left == 0 {
            instances.remove(&key);
            let case = calibration.case(i, first).ok_or_else(missing)?;
            let drained = state.rank.machine().start_bundle(&case.bundle);
            // ok to ignore: only the last member to issue the instance triggers it.
            let _ = here.trigger(drained);
        }
        here
    };
    let drained = match here.value() {
        Some(drained) => drained,
        None => sim.labelled(waits(), here.wait()).await,
    };
    if !drained.is_triggered() {
        sim.labelled(waits(), drained.wait()).await;
    }
    let case = calibration.case(i, first).ok_or_else(missing)?;
    let finish = case.finish.get(place).copied().ok_or_else(missing)?;
    let tail = finish.saturating_sub(case.bundle.drain());
    if tail > SimTime::ZERO {
        sim.timeout(tail).await;
    }
    Ok(())
}

impl RankState {
    /// The group of `c` with its members, for labels.
    fn group<'a>(&'a self, c: &'a super::CollectiveTask) -> &'a str {
        self.group_text
            .get(&c.groups)
            .map_or(c.group_name.as_str(), String::as_str)
    }
}

/// Ranks as `ranks 0-15` (consecutive), `ranks 3, 19, ..., 1011 (every 16th)` (evenly
/// spaced), or listed.
pub(crate) fn ranks_text(members: &[u32]) -> String {
    match members {
        [] => "no ranks".to_string(),
        [one] => format!("rank {one}"),
        [a, b] => format!("ranks {a}, {b}"),
        [first, second, .., last] => {
            let step = second - first;
            let even = members.windows(2).all(|w| w[1] - w[0] == step);
            if even && step == 1 {
                format!("ranks {first}-{last}")
            } else if even {
                format!("ranks {first}, {second}, ..., {last} (every {step}th)")
            } else {
                let list: Vec<String> = members.iter().map(u32::to_string).collect();
                format!("ranks {}", list.join(", "))
            }
        }
    }
}

/// A task's op in a few words, for a mismatch's label.
pub(crate) fn describe(op: &Op) -> String {
    match op {
        Op::Collective(c) => format!(
            "{} of {} with {}",
            c.collective,
            c.bytes,
            c.algorithm.name()
        ),
        other => other.kind().to_string(),
    }
}

/// The rank `peer` names from `rank`; checked before the run, so an error here is a bug.
fn peer_of(
    task: &super::Task,
    i: usize,
    peer: super::Peer,
    rank: u32,
    n: u32,
) -> Result<u32, CollectiveError> {
    peer.of(rank, n)
        .ok_or_else(|| CollectiveError::BadWorkload {
            task: Some(task.name.clone()),
            index: Some(i),
            field: "op",
            reason: format!("on rank {rank}, peer {peer} is not a rank of 0..{n}"),
        })
}
