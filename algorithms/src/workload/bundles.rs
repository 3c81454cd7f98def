//! A workload's collectives in the flow model: each distinct collective on each group is run
//! once alone, transfer by transfer, in a calibration run before the step; the step then
//! replays every instance of it as one [`Bundle`] of flows that shares the links with
//! whatever else is in flight. A collective that nothing overlaps takes exactly its
//! calibrated time, which is its time alone in the flow model; one that shares links is
//! slowed where it shares them. It costs a few events per collective instead of a few per
//! message, and it gives up what happens inside a collective under contention (which of its
//! messages wait) and the start of members that arrive early: an instance starts when its
//! last member has issued it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use kernbench_engine::{Event, SimTime};
use kernbench_model::{
    Buffer, Bundle, Bytes, LinkCounters, MachineOptions, NetworkModel, Node, Topology,
};

use crate::error::CollectiveError;
use crate::exchange::SizeMatrix;
use crate::group::{CollectiveCall, Groups, ProcessGroup, Work};
use crate::launch::{Rank, launch};
use crate::names::Collective;
use crate::runner::{Limits, Runner};

use super::{CollectiveTask, Op, Task, Workload};

/// One collective on one group, as the calibration ran it alone.
#[derive(Clone, Debug)]
pub(crate) struct Case {
    /// When each member (in group order) finished, after the start.
    pub(crate) finish: Vec<SimTime>,
    /// Its traffic, lasting until the first member finished.
    pub(crate) bundle: Bundle,
}

/// Every collective of a workload on every group it runs on, measured alone.
#[derive(Debug, Default)]
pub(crate) struct Calibration {
    /// By (the first task of the same traffic, the group's first member).
    cases: BTreeMap<(usize, u32), Case>,
    /// Per task, the first task whose collective moves the same traffic (itself if none
    /// before it does).
    same_as: Vec<usize>,
    /// Events the calibration run took.
    pub(crate) events: u64,
}

impl Calibration {
    /// The case of task `task` on the group whose first member is `first` (calibrated for
    /// every group a rank runs the task on).
    pub(crate) fn case(&self, task: usize, first: u32) -> Option<&Case> {
        let same = *self.same_as.get(task)?;
        self.cases.get(&(same, first))
    }
}

/// Whether two collective tasks move the same bytes the same way on the same groups.
fn same_traffic(a: &CollectiveTask, b: &CollectiveTask) -> bool {
    a.collective == b.collective
        && a.algorithm.name() == b.algorithm.name()
        && a.groups == b.groups
        && a.bytes == b.bytes
        && a.memory == b.memory
        && a.root == b.root
        && a.split == b.split
}

/// What the calibration's ranks share while it runs.
struct Plan {
    workload: Workload,
    /// The cases in the order they run: (task, members).
    cases: Vec<(usize, Vec<u32>)>,
    /// Per rank, its cases in order with its place in each group.
    of_rank: Vec<Vec<(usize, usize)>>,
    /// Per case: members still running it, and the event its last member triggers.
    left: RefCell<Vec<usize>>,
    ended: Vec<Event<()>>,
    /// Per case: its members' finishes, and the link counters when it ended.
    finish: RefCell<Vec<Vec<SimTime>>>,
    counters: RefCell<Vec<LinkCounters>>,
}

/// Runs every distinct collective of `workload` on every group alone, one after the other
/// on an idle machine of `topology` in the flow model, and keeps what each did.
///
/// # Errors
/// What the collectives' runs give: a buffer that does not fit, a schedule that refuses a
/// group, a deadlock (a cut link).
pub(crate) fn calibrate(
    topology: Rc<Topology>,
    workload: &Workload,
) -> Result<Calibration, CollectiveError> {
    let n = topology.sip_count();
    let mut same_as = Vec::with_capacity(workload.tasks.len());
    let mut firsts: Vec<usize> = Vec::new();
    for (i, task) in workload.tasks.iter().enumerate() {
        let Op::Collective(c) = &task.op else {
            same_as.push(i);
            continue;
        };
        let same = firsts
            .iter()
            .copied()
            .find(|&f| match &workload.tasks[f].op {
                Op::Collective(other) => same_traffic(c, other),
                _ => false,
            });
        same_as.push(same.unwrap_or(i));
        if same.is_none() {
            firsts.push(i);
        }
    }
    // Every group a rank runs a collective of the class on (Chakra traces give each rank
    // tasks of its own, so the members of one instance may run different tasks of a class).
    let mut cases: BTreeMap<(usize, u32), Vec<u32>> = BTreeMap::new();
    for &f in &firsts {
        let Op::Collective(c) = &workload.tasks[f].op else {
            continue;
        };
        // The ranks that run a task of the class, in time linear in the tasks' rank lists.
        let mut runs = vec![false; n as usize];
        for (task, _) in workload
            .tasks
            .iter()
            .zip(&same_as)
            .filter(|&(_, &s)| s == f)
        {
            match &task.on {
                None => runs.fill(true),
                Some(on) => on.iter().for_each(|&r| {
                    if let Some(x) = runs.get_mut(r as usize) {
                        *x = true;
                    }
                }),
            }
        }
        let mut done = vec![false; n as usize];
        for r in 0..n {
            if done[r as usize] || !runs[r as usize] {
                continue;
            }
            let members = c.groups.members_of(r, n);
            for &m in &members {
                if let Some(d) = done.get_mut(m as usize) {
                    *d = true;
                }
            }
            if let Some(&first) = members.first() {
                cases.entry((f, first)).or_insert(members);
            }
        }
    }
    let keys: Vec<(usize, u32)> = cases.keys().copied().collect();
    let cases: Vec<(usize, Vec<u32>)> = cases
        .into_iter()
        .map(|((task, _), members)| (task, members))
        .collect();
    let mut of_rank = vec![Vec::new(); n as usize];
    for (k, (_, members)) in cases.iter().enumerate() {
        for (place, &m) in members.iter().enumerate() {
            if let Some(list) = of_rank.get_mut(m as usize) {
                list.push((k, place));
            }
        }
    }
    let options = MachineOptions {
        data: false,
        trace: false,
        network: NetworkModel::Flow,
    };
    let mut runner = Runner::new(topology, options, 0)?;
    let machine = runner.machine.clone();
    let sim = machine.sim().clone();
    let plan = Rc::new(Plan {
        workload: workload.clone(),
        left: RefCell::new(cases.iter().map(|(_, m)| m.len()).collect()),
        ended: cases
            .iter()
            .map(|_| Event::new(&sim, "a calibrated collective ended"))
            .collect(),
        finish: RefCell::new(
            cases
                .iter()
                .map(|(_, m)| vec![SimTime::ZERO; m.len()])
                .collect(),
        ),
        counters: RefCell::new(vec![machine.link_stats()]),
        cases,
        of_rank,
    });
    let launched = plan.clone();
    launch(&machine, n, move |rank| {
        calibrate_rank(rank, launched.clone())
    })?;
    let (_, events) = runner.run(Limits::default())?.completed()?;
    let plan = Rc::try_unwrap(plan).map_err(|_| {
        CollectiveError::Internal("the calibration's plan is still shared".to_string())
    })?;
    let counters = plan.counters.into_inner();
    let finish = plan.finish.into_inner();
    let mut calibrated = BTreeMap::new();
    for (k, key) in keys.into_iter().enumerate() {
        let (Some(before), Some(after), Some(finish)) =
            (counters.get(k), counters.get(k + 1), finish.get(k))
        else {
            return Err(CollectiveError::Internal(format!(
                "calibration case {k} did not end"
            )));
        };
        let members = &plan.cases[k].1;
        let hub = |rank: Option<&u32>| {
            rank.and_then(|&r| machine.topology().sip_of_rank(r))
                .map(Node::Hub)
                .ok_or_else(|| CollectiveError::Internal(format!("no SIP for case {k}")))
        };
        let drain = finish.iter().copied().min().unwrap_or(SimTime::ZERO);
        let ends = (hub(members.first())?, hub(members.last())?);
        let bundle = Bundle::between(before, after, drain, ends);
        calibrated.insert(
            key,
            Case {
                finish: finish.clone(),
                bundle,
            },
        );
    }
    Ok(Calibration {
        cases: calibrated,
        same_as,
        events,
    })
}

/// One rank of the calibration: its cases in order, each after the one before has ended
/// everywhere, so each runs on an idle machine.
async fn calibrate_rank(rank: Rank, plan: Rc<Plan>) -> Result<(), CollectiveError> {
    let r = rank.rank();
    let sim = rank.machine().sim().clone();
    let mut groups: BTreeMap<Groups, ProcessGroup> = BTreeMap::new();
    let mine = plan.of_rank.get(r as usize).cloned().unwrap_or_default();
    for (k, place) in mine {
        if let Some(before) = k.checked_sub(1).and_then(|b| plan.ended.get(b)) {
            if !before.is_triggered() {
                before.wait().await;
            }
        }
        let (task_index, members) = &plan.cases[k];
        let task = &plan.workload.tasks[*task_index];
        let Op::Collective(c) = &task.op else {
            continue;
        };
        let group = match groups.entry(c.groups) {
            std::collections::btree_map::Entry::Occupied(slot) => slot.into_mut(),
            std::collections::btree_map::Entry::Vacant(slot) => slot.insert(match c.groups {
                Groups::World => rank.process_group(),
                Groups::Split { .. } => rank.process_group().new_group(members)?,
            }),
        };
        let start = sim.now();
        let (work, _buffer) = issue(&rank, group, task, *task_index, c)?;
        if !work.is_finished() {
            let label = format!(
                "rank{r} {} waits for its {} alone on group {} (the flow model's calibration)",
                task.name, c.collective, c.group_name
            );
            sim.labelled(label, work.wait()).await;
        }
        let end = sim.now();
        if let Some(f) = plan
            .finish
            .borrow_mut()
            .get_mut(k)
            .and_then(|f| f.get_mut(place))
        {
            *f = end - start;
        }
        let last = {
            let mut left = plan.left.borrow_mut();
            let Some(count) = left.get_mut(k) else {
                continue;
            };
            *count -= 1;
            *count == 0
        };
        if last {
            plan.counters.borrow_mut().push(rank.machine().link_stats());
            if let Some(ended) = plan.ended.get(k) {
                // ok to ignore: the last member of a case triggers its event, once.
                let _ = ended.trigger(());
            }
        }
    }
    Ok(())
}

/// Allocates task `i`'s buffer for collective `c` on `group` from `rank`, with an
/// all-to-allv's matrix made from its split (every member makes the same one).
///
/// # Errors
/// A buffer that does not fit, a split that cannot be made.
pub(crate) fn buffer_for(
    rank: &Rank,
    group: &ProcessGroup,
    task: &Task,
    i: usize,
    c: &CollectiveTask,
) -> Result<(Buffer, Option<Rc<SizeMatrix>>), CollectiveError> {
    let sizes = match c.split {
        Some(split) if c.collective == Collective::AllToAllv => {
            Some(Rc::new(split.matrix(group.size(), c.bytes.0).map_err(
                |reason| CollectiveError::BadWorkload {
                    task: Some(task.name.clone()),
                    index: Some(i),
                    field: "op",
                    reason,
                },
            )?))
        }
        _ => None,
    };
    let bytes = match (c.collective, &sizes) {
        (_, Some(sizes)) => sizes.buffer_bytes(),
        (Collective::AllToAll, None) => crate::exchange::buffer_bytes(c.bytes.0),
        _ => c.bytes.0,
    };
    Ok((rank.alloc(c.memory, Bytes(bytes))?, sizes))
}

/// Issues task `i`'s collective `c` on `group` from `rank`: its buffer ([`buffer_for`],
/// kept alive with the work) and the submitted work.
///
/// # Errors
/// As [`buffer_for`], and a schedule that refuses the group.
pub(crate) fn issue(
    rank: &Rank,
    group: &ProcessGroup,
    task: &Task,
    i: usize,
    c: &CollectiveTask,
) -> Result<(Work, Buffer), CollectiveError> {
    let (buffer, sizes) = buffer_for(rank, group, task, i, c)?;
    let work = match sizes {
        Some(sizes) => group.all_to_allv(&buffer, sizes, c.algorithm.clone())?,
        None => {
            let call = CollectiveCall {
                root: c.root,
                ..CollectiveCall::new(c.collective)
            };
            group.submit(&buffer, call, &c.algorithm)?
        }
    };
    Ok((work, buffer))
}
