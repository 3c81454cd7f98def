//! Checking a workload before it runs: names, dependencies, cycles, ranks, peers and groups.

use kernbench_model::Topology;

use crate::error::CollectiveError;
use crate::names::Collective;

use super::{Compute, Op, Workload};

/// At most this many tasks in one workload (as topologies are bounded in `model::limits`).
pub const MAX_TASKS: usize = 100_000;
/// At most this many dependencies of one task.
pub const MAX_DEPS: usize = 1_024;

fn bad(workload: &Workload, index: usize, field: &'static str, reason: String) -> CollectiveError {
    CollectiveError::BadWorkload {
        task: workload.tasks.get(index).map(|t| t.name.clone()),
        index: Some(index),
        field,
        reason,
    }
}

impl Workload {
    /// Checks the graph: unique names, dependencies that exist and form no cycle, a peak
    /// compute rate for roofline tasks, workload collectives with whole `f32` buffers; and,
    /// with `world` ranks (else [`Workload::ranks`] if given), ranks, peers and groups that
    /// exist.
    ///
    /// # Errors
    /// [`CollectiveError::BadWorkload`] naming the task, its field and the fix.
    pub fn check(&self, world: Option<u32>) -> Result<(), CollectiveError> {
        let whole = |reason: String| CollectiveError::BadWorkload {
            task: None,
            index: None,
            field: "nodes",
            reason,
        };
        if self.tasks.is_empty() {
            return Err(whole(
                "the workload has no nodes; give it at least one".into(),
            ));
        }
        if self.tasks.len() > MAX_TASKS {
            return Err(whole(format!(
                "{} nodes is more than the limit of {MAX_TASKS}; split the workload",
                self.tasks.len()
            )));
        }
        if let (Some(asked), Some(n)) = (self.ranks, world) {
            if asked != n {
                return Err(CollectiveError::BadWorkload {
                    task: None,
                    index: None,
                    field: "ranks",
                    reason: format!(
                        "the workload is written for {asked} ranks, but the topology has {n} SIPs (rank = SIP); use a topology of {asked} SIPs"
                    ),
                });
            }
        }
        let world = world.or(self.ranks);
        let mut names = std::collections::BTreeMap::new();
        for (i, task) in self.tasks.iter().enumerate() {
            if task.name.is_empty() {
                return Err(bad(self, i, "name", "a node needs a name".into()));
            }
            if let Some(first) = names.insert(task.name.as_str(), i) {
                return Err(bad(
                    self,
                    i,
                    "name",
                    format!(
                        "\"{}\" is also the name of node {first}; give each node its own name",
                        task.name
                    ),
                ));
            }
        }
        for (i, task) in self.tasks.iter().enumerate() {
            self.check_task(i, world)?;
            if task.deps.len() > MAX_DEPS {
                return Err(bad(
                    self,
                    i,
                    "deps",
                    format!("more than {MAX_DEPS} dependencies; chain them through a node"),
                ));
            }
            let mut seen = std::collections::BTreeSet::new();
            for &d in &task.deps {
                let Some(dep) = self.tasks.get(d) else {
                    return Err(bad(
                        self,
                        i,
                        "deps",
                        format!("dependency {d} is not a node"),
                    ));
                };
                if !seen.insert(d) {
                    return Err(bad(
                        self,
                        i,
                        "deps",
                        format!("\"{}\" is named twice; name each dependency once", dep.name),
                    ));
                }
            }
        }
        if let Some(cycle) = self.cycle() {
            let names: Vec<&str> = cycle.iter().map(|&i| self.tasks[i].name.as_str()).collect();
            return Err(bad(
                self,
                cycle[0],
                "deps",
                format!(
                    "the dependencies form a cycle, {}; a node cannot wait for itself, so remove one of them",
                    names.join(" -> ")
                ),
            ));
        }
        Ok(())
    }

    /// Checks that the workload runs on `topology` before anything runs: [`Workload::check`]
    /// with its SIP count (ranks, peers, groups), and every collective's schedule against the
    /// topology (an algorithm that refuses it names the node). Whatever this refuses is the
    /// pairing's fault, not the run's: a sweep records such a point as unsupported.
    ///
    /// # Errors
    /// [`CollectiveError::BadWorkload`] naming the field (`ranks`) or the node and the fix.
    pub fn check_on(&self, topology: &Topology) -> Result<(), CollectiveError> {
        self.check(Some(topology.sip_count()))?;
        for (i, task) in self.tasks.iter().enumerate() {
            if let Op::Collective(c) = &task.op {
                crate::schedule::check(&*c.algorithm, c.collective, topology).map_err(|e| {
                    CollectiveError::BadWorkload {
                        task: Some(task.name.clone()),
                        index: Some(i),
                        field: "op",
                        reason: e.to_string(),
                    }
                })?;
            }
        }
        Ok(())
    }

    fn check_task(&self, i: usize, world: Option<u32>) -> Result<(), CollectiveError> {
        let task = &self.tasks[i];
        if let Some(on) = &task.on {
            if on.is_empty() {
                return Err(bad(
                    self,
                    i,
                    "on",
                    "no ranks; name the ranks that run it, or leave `on` out for all".into(),
                ));
            }
            let mut seen = std::collections::BTreeSet::new();
            for &r in on {
                if !seen.insert(r) {
                    return Err(bad(self, i, "on", format!("rank {r} is named twice")));
                }
                if let Some(n) = world.filter(|&n| r >= n) {
                    return Err(bad(
                        self,
                        i,
                        "on",
                        format!(
                            "rank {r} is not a rank of {n} (0 to {}); name ranks that exist",
                            n - 1
                        ),
                    ));
                }
            }
        }
        match &task.op {
            Op::Compute(Compute::Roofline { .. }) if self.peak_flops.is_none() => Err(bad(
                self,
                i,
                "op",
                "a compute node given in FLOP needs the workload's peak_flops (e.g. peak_flops: \"400TFLOP/s\"); add it or give the node a time".into(),
            )),
            Op::Compute(_) => Ok(()),
            Op::Copy(c) if c.bytes.0 == 0 => Err(bad(
                self,
                i,
                "op",
                "a copy of 0 bytes; give it a size of at least 1 byte".into(),
            )),
            Op::Copy(_) => Ok(()),
            Op::Collective(c) => {
                if c.collective == Collective::SendRecv {
                    return Err(bad(
                        self,
                        i,
                        "op",
                        format!(
                            "{} is not a workload collective; use Send and Recv nodes for point-to-point",
                            c.collective
                        ),
                    ));
                }
                if (c.collective == Collective::AllToAllv) != c.split.is_some() {
                    return Err(bad(
                        self,
                        i,
                        "op",
                        format!(
                            "a split (distribution) is for all-to-allv only, and all-to-allv needs one; {}",
                            if c.split.is_some() {
                                "drop the distribution or make the collective all-to-allv"
                            } else {
                                "give it a distribution (uniform or zipf:1.2)"
                            }
                        ),
                    ));
                }
                if c.bytes.0 == 0 || c.bytes.0 % 4 != 0 {
                    return Err(bad(
                        self,
                        i,
                        "op",
                        format!(
                            "size {} B is not a positive whole number of 4-byte f32 elements; use a multiple of 4 bytes",
                            c.bytes.0
                        ),
                    ));
                }
                if let Some(n) = world {
                    c.groups.check(n).map_err(|reason| {
                        bad(self, i, "op", format!("group {}: {reason}", c.group_name))
                    })?;
                    let size = c.groups.size(n);
                    if c.root >= size {
                        return Err(bad(
                            self,
                            i,
                            "op",
                            format!(
                                "root {} is not a rank of group {} of {size} ranks; use 0..{size}",
                                c.root, c.group_name
                            ),
                        ));
                    }
                }
                Ok(())
            }
            Op::Send(m) | Op::Recv(m) => {
                let Some(n) = world else { return Ok(()) };
                for r in (0..n).filter(|&r| task.runs_on(r)) {
                    match m.peer.of(r, n) {
                        Some(p) if p != r => {}
                        Some(_) => {
                            return Err(bad(
                                self,
                                i,
                                "op",
                                format!(
                                    "on rank {r}, peer {} is the rank itself; name another rank",
                                    m.peer
                                ),
                            ));
                        }
                        None => {
                            return Err(bad(
                                self,
                                i,
                                "op",
                                format!(
                                    "on rank {r}, peer {} is not a rank of 0..{n}; limit the node to the ranks that have that peer with `on`",
                                    m.peer
                                ),
                            ));
                        }
                    }
                }
                Ok(())
            }
        }
    }

    /// Checks, for a world of `n` ranks, that every send has a receive and every receive a
    /// send, with the same sizes: for each pair of ranks and tag, the sends one makes to the
    /// other and the receives the other makes from it are as many and of the same bytes.
    /// What it finds would otherwise show only when the workload runs (a receive that waits
    /// forever, exit 3). It does not prove the workload finishes: dependencies can still
    /// order a send after the receive it feeds.
    ///
    /// # Errors
    /// [`CollectiveError::BadWorkload`] naming the first unmatched node, its rank and the fix.
    pub fn check_matching(&self, n: u32) -> Result<(), CollectiveError> {
        use std::collections::BTreeMap;
        // (from, to, tag) -> the (task, bytes) of the sends, and of the receives, in order.
        type Ends = BTreeMap<(u32, u32, u32), Vec<(usize, u64)>>;
        let (mut sends, mut recvs): (Ends, Ends) = (BTreeMap::new(), BTreeMap::new());
        for (i, task) in self.tasks.iter().enumerate() {
            let (m, send) = match &task.op {
                Op::Send(m) => (m, true),
                Op::Recv(m) => (m, false),
                _ => continue,
            };
            for r in (0..n).filter(|&r| task.runs_on(r)) {
                let Some(p) = m.peer.of(r, n) else { continue };
                let (key, ends) = if send {
                    ((r, p, m.tag), &mut sends)
                } else {
                    ((p, r, m.tag), &mut recvs)
                };
                ends.entry(key).or_default().push((i, m.bytes.0));
            }
        }
        let empty = Vec::new();
        for (&(from, to, tag), list) in &sends {
            let matched = recvs.get(&(from, to, tag)).unwrap_or(&empty);
            if list.len() > matched.len() {
                let (i, _) = list[matched.len()];
                return Err(bad(
                    self,
                    i,
                    "op",
                    format!(
                        "on rank {from}, it sends to rank {to} with tag {tag}, but rank {to} has no receive from rank {from} with tag {tag} left for it ({} sends, {} receives); add a Recv on rank {to} or fix the peer or tag",
                        list.len(),
                        matched.len()
                    ),
                ));
            }
        }
        for (&(from, to, tag), list) in &recvs {
            let matched = sends.get(&(from, to, tag)).unwrap_or(&empty);
            if list.len() > matched.len() {
                let (i, _) = list[matched.len()];
                return Err(bad(
                    self,
                    i,
                    "op",
                    format!(
                        "on rank {to}, it receives from rank {from} with tag {tag}, but rank {from} sends rank {to} nothing more with tag {tag} ({} receives, {} sends); add a Send on rank {from} or fix the peer or tag",
                        list.len(),
                        matched.len()
                    ),
                ));
            }
            let mut want: Vec<u64> = list.iter().map(|&(_, b)| b).collect();
            let mut have: Vec<u64> = matched.iter().map(|&(_, b)| b).collect();
            want.sort_unstable();
            have.sort_unstable();
            if let Some(k) = (0..want.len()).find(|&k| want[k] != have[k]) {
                let Some(&(i, _)) = list.iter().find(|&&(_, b)| b == want[k]) else {
                    continue;
                };
                return Err(bad(
                    self,
                    i,
                    "op",
                    format!(
                        "on rank {to}, the receives from rank {from} with tag {tag} expect {} B where its sends give {} B; make the sizes the same",
                        want[k], have[k]
                    ),
                ));
            }
        }
        Ok(())
    }

    /// One cycle of the dependency graph, as task indices from a task back to itself, if
    /// there is one (iterative depth-first search: no recursion for deep graphs).
    fn cycle(&self) -> Option<Vec<usize>> {
        // 0: unseen, 1: on the current path, 2: done.
        let mut state = vec![0u8; self.tasks.len()];
        for start in 0..self.tasks.len() {
            if state[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let deps = &self.tasks[node].deps;
                if let Some(&d) = deps.get(*next) {
                    *next += 1;
                    match state.get(d) {
                        Some(0) => {
                            state[d] = 1;
                            stack.push((d, 0));
                        }
                        Some(1) => {
                            // `d` is on the path: the cycle is the path from `d`. The path
                            // follows dependencies, so reverse it to read in run order.
                            let from = stack.iter().position(|&(n, _)| n == d).unwrap_or(0);
                            let mut cycle: Vec<usize> =
                                stack[from..].iter().map(|&(n, _)| n).collect();
                            cycle.reverse();
                            // From its first node in the file, so the message is stable.
                            let low = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
                            cycle.rotate_left(low);
                            cycle.push(cycle[0]);
                            return Some(cycle);
                        }
                        _ => {}
                    }
                } else {
                    state[node] = 2;
                    stack.pop();
                }
            }
        }
        None
    }
}
