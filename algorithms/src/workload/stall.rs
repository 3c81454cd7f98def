//! Why a workload stalled: from the tasks that never finished, the ones the others wait
//! behind, named with the reason (a receive no task sends to, a collective call its members
//! do not all make the same, tasks waiting on each other in a cycle).
//!
//! The engine's report lists every blocked process and what it waits on; in a workload most
//! of them only wait behind another task (a collective for a member that has not issued it,
//! a task for its dependency), so the cause is the task at the end of those waits. It is
//! worked out from the graph once the run has stalled, so the run itself pays nothing.

use std::collections::{BTreeMap, BTreeSet};

use crate::group::Groups;

use super::run::{Issued, describe, ranks_text};
use super::{Op, Workload};

/// At most this many causes are written out; a line after says how many more there were.
const NAMED: usize = 4;
/// A cycle of more waits than this is shown by its first ones and its last.
const CYCLE_STEPS: usize = 6;

/// Per group, the collective tasks `rank` runs on it in graph order: a task's place in its
/// list is its call number on the group, and every member's call `k` on a group is the same
/// instance.
pub(crate) fn collective_calls(workload: &Workload, rank: u32) -> BTreeMap<Groups, Vec<usize>> {
    let mut calls: BTreeMap<Groups, Vec<usize>> = BTreeMap::new();
    for (i, task) in workload.tasks.iter().enumerate() {
        if let Op::Collective(c) = &task.op
            && task.runs_on(rank)
        {
            calls.entry(c.groups).or_default().push(i);
        }
    }
    calls
}

/// Why one stuck task waits for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Why {
    /// The other is a dependency that has not finished.
    Dependency,
    /// The other is the collective before this one on the group.
    Previous,
    /// The other is the send this receive takes.
    Send,
    /// The other is a member's part of this collective, not issued yet.
    Member,
}

impl Why {
    fn text(self) -> &'static str {
        match self {
            Why::Dependency => "its dependency",
            Why::Previous => "the collective before it on the group",
            Why::Send => "the send it receives",
            Why::Member => "that member's part of it",
        }
    }
}

/// What a stuck task waits on that is not another stuck task.
#[derive(Clone, Copy, Debug)]
enum Root {
    /// A receive with no unfinished send from `peer` with `tag` left to take.
    NoSend { peer: u32, tag: u32 },
    /// A collective call its members do not all make the same: some make another
    /// collective there, or none.
    Disagree,
    /// Stuck for a reason of its own (its wait in the report says which).
    Stuck,
}

/// The state of the tasks when the run stalled: per rank, per task, whether it finished and
/// how many of its dependencies there had not (more than 0: it never started).
pub(crate) struct Stalled<'a> {
    pub(crate) workload: &'a Workload,
    pub(crate) world_size: u32,
    pub(crate) finished: Vec<Vec<bool>>,
    pub(crate) unfinished: &'a [Vec<u32>],
}

/// The stuck tasks (by `rank * tasks + task`) and what each waits on: other stuck tasks, or
/// a root.
#[derive(Default)]
struct Waits {
    stuck: Vec<usize>,
    on: BTreeMap<usize, Vec<(usize, Why)>>,
    roots: BTreeMap<usize, Root>,
    /// `on` reversed: who waits on a task.
    waiters: BTreeMap<usize, Vec<usize>>,
}

impl Waits {
    /// Adds to `seen` every stuck task that waits, directly or not, on one in `seen`.
    fn spread(&self, seen: &mut BTreeSet<usize>) {
        let mut todo: Vec<usize> = seen.iter().copied().collect();
        while let Some(node) = todo.pop() {
            for &w in self.waiters.get(&node).into_iter().flatten() {
                if seen.insert(w) {
                    todo.push(w);
                }
            }
        }
    }

    /// How many stuck tasks outside `nodes` wait on them, directly or not.
    fn behind(&self, nodes: &[usize]) -> usize {
        let mut seen: BTreeSet<usize> = nodes.iter().copied().collect();
        self.spread(&mut seen);
        seen.len() - nodes.len()
    }

    /// The cycle reached from `start` by following the first wait not in `resolved`, if
    /// the walk ends in one.
    fn cycle_from(&self, start: usize, resolved: &BTreeSet<usize>) -> Option<Vec<usize>> {
        let mut path = vec![start];
        let mut seen = BTreeSet::from([start]);
        let mut at = start;
        loop {
            let &(next, _) = self
                .on
                .get(&at)?
                .iter()
                .find(|(b, _)| !resolved.contains(b))?;
            if !seen.insert(next) {
                let from = path.iter().position(|&p| p == next)?;
                return Some(path.split_off(from));
            }
            path.push(next);
            at = next;
        }
    }

    fn why(&self, node: usize, next: usize) -> &'static str {
        self.on
            .get(&node)
            .and_then(|w| w.iter().find(|(b, _)| *b == next))
            .map_or("", |(_, why)| why.text())
    }
}

impl Stalled<'_> {
    /// The lines a stall report gets from the workload: its causes, then the tasks that
    /// never started.
    pub(crate) fn notes(&self) -> Vec<String> {
        let mut notes = self.causes();
        notes.extend(self.never_started());
        notes
    }

    /// A line naming the tasks that never started because a dependency never finished (the
    /// first [`NAMED`], then how many more), if there are any.
    fn never_started(&self) -> Option<String> {
        let mut count = 0usize;
        let mut named = Vec::new();
        for (r, counts) in self.unfinished.iter().enumerate() {
            for (i, &left) in counts.iter().enumerate() {
                let task = &self.workload.tasks[i];
                if left > 0 && task.runs_on(r as u32) {
                    count += 1;
                    if named.len() < NAMED {
                        named.push(format!("rank{r} {}", task.name));
                    }
                }
            }
        }
        (count > 0).then(|| {
            let more = count - named.len();
            let rest = if more > 0 {
                format!(", and {more} more")
            } else {
                String::new()
            };
            format!(
                "{count} task{} never started, each waiting for a dependency that did not finish: {}{rest}",
                if count == 1 { "" } else { "s" },
                named.join(", ")
            )
        })
    }

    /// The report's lines naming the causes, each with how many stuck tasks wait behind it
    /// (the first [`NAMED`], then how many more); none if no task was stuck.
    fn causes(&self) -> Vec<String> {
        let calls: Vec<BTreeMap<Groups, Vec<usize>>> = (0..self.world_size)
            .map(|r| collective_calls(self.workload, r))
            .collect();
        let waits = self.waits(&calls);
        if waits.stuck.is_empty() {
            return Vec::new();
        }
        let mut lines = Vec::new();
        let mut explained = BTreeSet::new();
        // The members stuck at one call they disagree on are one cause, however many.
        let mut disagreements: BTreeMap<(Groups, u32, usize), Vec<usize>> = BTreeMap::new();
        for (&node, &root) in &waits.roots {
            let what = match root {
                Root::NoSend { peer, tag } => self.no_send(node, peer, tag),
                Root::Disagree => {
                    let (r, i) = self.split(node);
                    if let Op::Collective(c) = &self.workload.tasks[i].op
                        && let Some(k) = place(&calls, r, i, c.groups).map(|(k, _)| k)
                    {
                        let members = c.groups.members_of(r, self.world_size);
                        let first = members.first().copied().unwrap_or(r);
                        disagreements
                            .entry((c.groups, first, k))
                            .or_default()
                            .push(node);
                        continue;
                    }
                    self.stuck_alone(node)
                }
                Root::Stuck => self.stuck_alone(node),
            };
            lines.push((what, waits.behind(&[node])));
            explained.insert(node);
        }
        for (&(groups, first, k), nodes) in &disagreements {
            lines.push((
                self.disagreement(&calls, groups, first, k, nodes),
                waits.behind(nodes),
            ));
            explained.extend(nodes.iter().copied());
        }
        // What waits behind none of those waits on itself: the cycles.
        let mut resolved = explained;
        waits.spread(&mut resolved);
        for &start in &waits.stuck {
            if resolved.contains(&start) {
                continue;
            }
            let Some(cycle) = waits.cycle_from(start, &resolved) else {
                resolved.insert(start);
                continue;
            };
            lines.push((self.cycle_text(&waits, &cycle), waits.behind(&cycle)));
            resolved.extend(cycle.iter().copied());
            waits.spread(&mut resolved);
        }
        let total = lines.len();
        let mut out: Vec<String> = lines
            .into_iter()
            .take(NAMED)
            .map(|(what, behind)| match behind {
                0 => format!("cause: {what}"),
                1 => format!("cause: {what}; 1 other stuck task waits behind it"),
                b => format!("cause: {what}; {b} other stuck tasks wait behind it"),
            })
            .collect();
        if total > NAMED {
            out.push(format!("and {} more causes", total - NAMED));
        }
        out
    }

    /// Every stuck task and what it waits on.
    fn waits(&self, calls: &[BTreeMap<Groups, Vec<usize>>]) -> Waits {
        let n = self.world_size;
        let tasks = &self.workload.tasks;
        let id = |r: u32, i: usize| r as usize * tasks.len() + i;
        let finished = |r: u32, i: usize| self.finished[r as usize][i];
        let started = |r: u32, i: usize| self.unfinished[r as usize][i] == 0;
        // Issued: started, and not waiting for the collective before it on the group.
        let issued = |r: u32, i: usize, groups: Groups| {
            started(r, i)
                && place(calls, r, i, groups)
                    .is_some_and(|(_, prev)| prev.is_none_or(|p| finished(r, p)))
        };
        // The sends by (from, to, tag), in graph order: a receive takes them in that order.
        let mut sends: BTreeMap<(u32, u32, u32), Vec<usize>> = BTreeMap::new();
        for (j, task) in tasks.iter().enumerate() {
            if let Op::Send(m) = &task.op {
                for r in (0..n).filter(|&r| task.runs_on(r)) {
                    if let Some(to) = m.peer.of(r, n) {
                        sends.entry((r, to, m.tag)).or_default().push(j);
                    }
                }
            }
        }
        let mut out = Waits::default();
        for r in 0..n {
            for (i, task) in tasks.iter().enumerate() {
                if !task.runs_on(r) || finished(r, i) {
                    continue;
                }
                out.stuck.push(id(r, i));
                let mut on = Vec::new();
                let mut root = None;
                if !started(r, i) {
                    for &d in &task.deps {
                        if tasks[d].runs_on(r) && !finished(r, d) {
                            on.push((id(r, d), Why::Dependency));
                        }
                    }
                } else if let Op::Collective(c) = &task.op {
                    match place(calls, r, i, c.groups) {
                        Some((_, Some(p))) if !finished(r, p) => on.push((id(r, p), Why::Previous)),
                        Some((k, _)) => {
                            for m in c.groups.members_of(r, n).into_iter().filter(|&m| m != r) {
                                match calls[m as usize].get(&c.groups).and_then(|l| l.get(k)) {
                                    None => root = Some(Root::Disagree),
                                    Some(&j) if finished(m, j) => {}
                                    Some(&j) if !issued(m, j, c.groups) => {
                                        on.push((id(m, j), Why::Member));
                                    }
                                    Some(&j) if !same_collective(&task.op, &tasks[j].op) => {
                                        root = Some(Root::Disagree);
                                    }
                                    Some(_) => {}
                                }
                            }
                        }
                        None => {}
                    }
                } else if let Op::Recv(m) = &task.op {
                    let peer = m.peer.of(r, n).unwrap_or(r);
                    let send = sends
                        .get(&(peer, r, m.tag))
                        .and_then(|list| list.iter().find(|&&j| !finished(peer, j)));
                    match send {
                        Some(&j) => on.push((id(peer, j), Why::Send)),
                        None => root = Some(Root::NoSend { peer, tag: m.tag }),
                    }
                }
                match root {
                    Some(root) => {
                        out.roots.insert(id(r, i), root);
                    }
                    None if on.is_empty() => {
                        out.roots.insert(id(r, i), Root::Stuck);
                    }
                    None => {
                        out.on.insert(id(r, i), on);
                    }
                }
            }
        }
        for (&node, on) in &out.on {
            for &(b, _) in on {
                out.waiters.entry(b).or_default().push(node);
            }
        }
        out
    }

    /// `(rank, task)` of a node.
    fn split(&self, node: usize) -> (u32, usize) {
        let tasks = self.workload.tasks.len();
        ((node / tasks) as u32, node % tasks)
    }

    fn name(&self, node: usize) -> String {
        let (r, i) = self.split(node);
        format!("rank{r} {}", self.workload.tasks[i].name)
    }

    fn no_send(&self, node: usize, peer: u32, tag: u32) -> String {
        let (r, i) = self.split(node);
        let bytes = match &self.workload.tasks[i].op {
            Op::Recv(m) => format!(" {}", m.bytes),
            _ => String::new(),
        };
        format!(
            "{} receives{bytes} from rank{peer} with tag {tag}, but rank{peer} has no send to rank{r} with tag {tag} left for it",
            self.name(node)
        )
    }

    fn stuck_alone(&self, node: usize) -> String {
        let (_, i) = self.split(node);
        format!(
            "{} is stuck in its {} (its wait is above)",
            self.name(node),
            self.workload.tasks[i].op.kind()
        )
    }

    /// Call `k` on `groups` (the group of rank `first`), which the members stuck at it
    /// (`nodes`) do not all make the same: what each member's call `k` there is.
    fn disagreement(
        &self,
        calls: &[BTreeMap<Groups, Vec<usize>>],
        groups: Groups,
        first: u32,
        k: usize,
        nodes: &[usize],
    ) -> String {
        let tasks = &self.workload.tasks;
        let members = groups.members_of(first, self.world_size);
        // The members by what their call k on the group is (`None`: they make no such call).
        let mut by_call: Vec<(Option<usize>, Vec<u32>)> = Vec::new();
        for &m in &members {
            let call = calls[m as usize]
                .get(&groups)
                .and_then(|l| l.get(k))
                .copied();
            let alike = |other: &Option<usize>| match (*other, call) {
                (Some(a), Some(b)) => same_collective(&tasks[a].op, &tasks[b].op),
                (None, None) => true,
                _ => false,
            };
            match by_call.iter_mut().find(|(c, _)| alike(c)) {
                Some((_, ranks)) => ranks.push(m),
                None => by_call.push((call, vec![m])),
            }
        }
        let parts: Vec<String> = by_call
            .iter()
            .map(|(call, ranks)| match call {
                Some(j) => format!(
                    "{} ({}) on {}",
                    tasks[*j].name,
                    describe(&tasks[*j].op),
                    ranks_text(ranks)
                ),
                None => format!("no call on {}", ranks_text(ranks)),
            })
            .collect();
        let group = nodes
            .first()
            .and_then(|&node| match &tasks[self.split(node).1].op {
                Op::Collective(c) => Some(c.group_name.as_str()),
                _ => None,
            })
            .unwrap_or("");
        format!(
            "call #{k} on group {group} [{}] is {}; every member must make the same call",
            ranks_text(&members),
            parts.join(", ")
        )
    }

    /// A cycle of waits, each with its reason; a long one (a ring of ranks) by its first
    /// waits and its last.
    fn cycle_text(&self, waits: &Waits, cycle: &[usize]) -> String {
        let len = cycle.len();
        let step = |k: usize| {
            let (node, next) = (cycle[k], cycle[(k + 1) % len]);
            format!(
                "{} waits for {} ({})",
                self.name(node),
                self.name(next),
                waits.why(node, next)
            )
        };
        let steps: Vec<String> = if len <= CYCLE_STEPS {
            (0..len).map(step).collect()
        } else {
            let mut shown: Vec<String> = (0..CYCLE_STEPS - 1).map(step).collect();
            shown.push(format!("... {} more ...", len - CYCLE_STEPS));
            shown.push(step(len - 1));
            shown
        };
        format!(
            "tasks wait on each other in a cycle of {len}: {}",
            steps.join(", ")
        )
    }
}

/// A collective task's call number on its group on rank `r`, and the task before it there.
fn place(
    calls: &[BTreeMap<Groups, Vec<usize>>],
    r: u32,
    i: usize,
    groups: Groups,
) -> Option<(usize, Option<usize>)> {
    let list = calls.get(r as usize)?.get(&groups)?;
    let k = list.iter().position(|&t| t == i)?;
    Some((k, k.checked_sub(1).map(|p| list[p])))
}

/// Whether two collective tasks issue the same collective, as the run compares them.
fn same_collective(a: &Op, b: &Op) -> bool {
    match (a, b) {
        (Op::Collective(a), Op::Collective(b)) => Issued::of(a) == Issued::of(b),
        _ => false,
    }
}
