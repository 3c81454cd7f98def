//! Cycles of neighbouring SIPs: orders in which a ring visits every SIP over direct links.
//!
//! A ring all-reduce is only as fast as the links between consecutive ranks: in rank order on
//! a machine wired otherwise, each step's messages take long routes and share links. This
//! room finds, once per topology, Hamiltonian cycles of the *SIP graph* (SIP `a` is next to
//! `b` when a link runs from `a`'s hub to `b`'s, or both hang on one switch), so that
//! schedules can walk the wiring.
//!
//! # How
//! A depth-first search from rank 0 that tries the neighbour with the fewest onward unvisited
//! neighbours first (Warnsdorff's rule; ties to the lower rank), within a budget of
//! `64 n + 4096` steps, closing the cycle back to rank 0. Rings, tori, meshes with an even
//! side, fully connected machines and cubes of those are found in `n` steps or a few more. A
//! second cycle is searched for without the links of the first (edge-disjoint, so both can
//! carry a channel at once), and so on up to [`MAX_CYCLES`]. Where no cycle is found in the
//! budget, the list is empty and schedules fall back to rank order. Everything is
//! deterministic: the same topology gives the same cycles.
//!
//! A machine whose SIPs meet only through switches has every order as a cycle of two-hop
//! paths; its cycle is rank order.

use std::sync::Arc;

use crate::coords::Node;
use crate::topology::Topology;

/// The most edge-disjoint cycles searched for.
pub const MAX_CYCLES: usize = 3;

/// A cycle through every SIP along the wiring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipCycle {
    /// The ranks in cycle order, starting at rank 0; the cycle closes from the last to the
    /// first.
    pub order: Arc<[u32]>,
    /// The same cycle walked the other way (starting at rank 0).
    pub reversed: Arc<[u32]>,
    /// Whether every step also has a link the other way (full duplex), so the reversed cycle
    /// runs on links of its own.
    pub duplex: bool,
}

/// Who is next to whom: direct hub-to-hub links, and switch memberships.
struct SipGraph {
    /// `out[a]`: ranks with a direct link from `a`'s hub, ascending.
    out: Vec<Vec<u32>>,
    /// `switches[a]`: the switches `a`'s hub links to.
    switches: Vec<Vec<usize>>,
    /// `members[s]`: the ranks on switch `s`, ascending.
    members: Vec<Vec<u32>>,
}

impl SipGraph {
    fn of(topology: &Topology) -> SipGraph {
        let n = topology.sip_count() as usize;
        let graph = topology.graph();
        let rank = |index| match graph[index] {
            Node::Hub(sip) => topology.rank_of(sip),
            _ => None,
        };
        let mut out = vec![Vec::new(); n];
        let mut switch_ids: Vec<petgraph::graph::NodeIndex> = Vec::new();
        let mut pairs: Vec<(u32, usize)> = Vec::new();
        for edge in graph.edge_indices() {
            let Some((a, b)) = graph.edge_endpoints(edge) else {
                continue;
            };
            match (rank(a), rank(b), &graph[b]) {
                (Some(ra), Some(rb), _) => out[ra as usize].push(rb),
                (Some(ra), None, Node::Switch(_)) => {
                    let s = match switch_ids.iter().position(|&x| x == b) {
                        Some(s) => s,
                        None => {
                            switch_ids.push(b);
                            switch_ids.len() - 1
                        }
                    };
                    pairs.push((ra, s));
                }
                _ => {}
            }
        }
        let mut members = vec![Vec::new(); switch_ids.len()];
        let mut switches = vec![Vec::new(); n];
        for (r, s) in pairs {
            members[s].push(r);
            switches[r as usize].push(s);
        }
        for list in out.iter_mut().chain(members.iter_mut()) {
            list.sort_unstable();
            list.dedup();
        }
        SipGraph {
            out,
            switches,
            members,
        }
    }

    fn has_direct(&self, a: u32, b: u32) -> bool {
        self.out[a as usize].binary_search(&b).is_ok()
    }

    /// Whether `a` can hand to `b` in one step: a direct link, or a switch they share.
    fn next_to(&self, a: u32, b: u32, used: &[(u32, u32)]) -> bool {
        (self.has_direct(a, b) && !is_used(used, a, b))
            || self.switches[a as usize]
                .iter()
                .any(|&s| self.members[s].binary_search(&b).is_ok())
    }
}

fn is_used(used: &[(u32, u32)], a: u32, b: u32) -> bool {
    used.binary_search(&(a.min(b), a.max(b))).is_ok()
}

/// Up to [`MAX_CYCLES`] edge-disjoint cycles through every SIP of `topology`, in the order
/// found; empty when there is none within the search budget (or fewer than 3 SIPs, where
/// any order is a ring).
pub(crate) fn find(topology: &Topology) -> Vec<SipCycle> {
    let n = topology.sip_count();
    if n < 3 {
        // One or two SIPs: the ring and its reverse are the same ring, on the same links.
        let order: Arc<[u32]> = (0..n).collect();
        return vec![SipCycle {
            reversed: order.clone(),
            order,
            duplex: false,
        }];
    }
    let graph = SipGraph::of(topology);
    if graph.out.iter().all(Vec::is_empty) {
        // Only switches: every order is a ring of two-hop paths.
        let order: Arc<[u32]> = (0..n).collect();
        let reversed = reversed(&order);
        return vec![SipCycle {
            order,
            reversed,
            duplex: false,
        }];
    }
    let mut used: Vec<(u32, u32)> = Vec::new();
    let mut cycles = Vec::new();
    // A torus's two disjoint cycles by construction; elsewhere the greedy search's first
    // cycle, unless it leaves no second one where the wiring has room for two (then the
    // first pair of disjoint cycles the search finds), or unless it finds none on a mesh
    // that has one (then the one built).
    let given: Vec<Vec<u32>> = match torus_pair(topology, &graph) {
        Some((a, b)) => vec![a, b],
        None => match search(&graph, n, &[]) {
            Some(first) => match search(&graph, n, &edges_of(&first)) {
                Some(second) => vec![first, second],
                None => search_pair(&graph, n).map_or_else(|| vec![first], |(a, b)| vec![a, b]),
            },
            None => mesh_cycle(topology, &graph).into_iter().collect(),
        },
    };
    let mut given = given.into_iter();
    while cycles.len() < MAX_CYCLES {
        let Some(order) = given.next().or_else(|| search(&graph, n, &used)) else {
            break;
        };
        let through_switch = (0..n as usize).any(|i| {
            let (a, b) = (order[i], order[(i + 1) % n as usize]);
            !graph.has_direct(a, b)
        });
        // Through a switch the reversed ring shares the switch ports: no links of its own.
        let duplex = !through_switch
            && (0..n as usize).all(|i| {
                let (a, b) = (order[i], order[(i + 1) % n as usize]);
                graph.next_to(b, a, &[])
            });
        for i in 0..n as usize {
            let (a, b) = (order[i], order[(i + 1) % n as usize]);
            used.push((a.min(b), a.max(b)));
        }
        used.sort_unstable();
        let order: Arc<[u32]> = order.into();
        cycles.push(SipCycle {
            reversed: reversed(&order),
            order,
            duplex,
        });
        if through_switch {
            // Switch hops are shared by every cycle: another would not be disjoint.
            break;
        }
    }
    cycles
}

/// `order` walked the other way, still starting at its first rank (`0 1 2 3` -> `0 3 2 1`).
pub fn reversed(order: &[u32]) -> Arc<[u32]> {
    order[..1.min(order.len())]
        .iter()
        .chain(order.iter().skip(1).rev())
        .copied()
        .collect()
}

/// A cycle through the SIPs of one cube along the wiring inside it (all cubes are alike, so
/// cube 0's), as SIP indices `0..sips_per_cube`; `None` if the search finds none or the cube
/// has fewer than 3 SIPs.
pub(crate) fn find_in_cube(topology: &Topology) -> Option<SipCycle> {
    let s = topology.sips_per_cube();
    if s < 3 {
        return None;
    }
    let mut graph = SipGraph::of(topology);
    graph.out.truncate(s as usize);
    graph.switches.truncate(s as usize);
    for list in &mut graph.out {
        list.retain(|&b| b < s);
    }
    // Only a switch inside the cube joins its SIPs (a rail switch joins other cubes).
    for list in &mut graph.members {
        list.retain(|&b| b < s);
    }
    let order = search(&graph, s, &[])?;
    let duplex = (0..s as usize).all(|i| {
        let (a, b) = (order[i], order[(i + 1) % s as usize]);
        graph.has_direct(a, b) && graph.has_direct(b, a)
    });
    let order: Arc<[u32]> = order.into();
    Some(SipCycle {
        reversed: reversed(&order),
        order,
        duplex,
    })
}

/// One Hamiltonian cycle from rank 0 avoiding the `used` links, if found within the budget.
fn search(graph: &SipGraph, n: u32, used: &[(u32, u32)]) -> Option<Vec<u32>> {
    Walk::new(graph, n, used).next_cycle(graph, used)
}

/// A depth-first search for Hamiltonian cycles from rank 0 that can be resumed: each
/// [`next_cycle`](Walk::next_cycle) returns the next cycle in search order, within one budget
/// of steps for all of them ([`budget`]).
struct Walk {
    n: usize,
    visited: Vec<bool>,
    path: Vec<u32>,
    /// For each node on the path, the candidates still to try (last = next to try).
    stack: Vec<Vec<u32>>,
    budget: u64,
}

impl Walk {
    fn new(graph: &SipGraph, n: u32, used: &[(u32, u32)]) -> Walk {
        Walk::with_budget(graph, n, used, budget(n))
    }

    fn with_budget(graph: &SipGraph, n: u32, used: &[(u32, u32)], budget: u64) -> Walk {
        let mut visited = vec![false; n as usize];
        visited[0] = true;
        Walk {
            n: n as usize,
            stack: vec![candidates(graph, 0, &visited, used)],
            visited,
            path: vec![0],
            budget,
        }
    }

    /// Takes the last node off the path; false once the path is empty (the search is over).
    fn back(&mut self) -> bool {
        self.stack.pop();
        if let Some(back) = self.path.pop() {
            self.visited[back as usize] = false;
        }
        !self.path.is_empty()
    }

    /// The next cycle avoiding `used`, if there is one within what is left of the budget.
    fn next_cycle(&mut self, graph: &SipGraph, used: &[(u32, u32)]) -> Option<Vec<u32>> {
        if self.path.len() == self.n && !self.back() {
            // The last call returned a cycle: go on from the node before its end.
            return None;
        }
        while let Some(options) = self.stack.last_mut() {
            if self.path.len() == self.n {
                let last = *self.path.last()?;
                if graph.next_to(last, 0, used) {
                    return Some(self.path.clone());
                }
            }
            self.budget = self.budget.checked_sub(1)?;
            match options.pop() {
                Some(next) if self.path.len() < self.n => {
                    self.visited[next as usize] = true;
                    self.path.push(next);
                    let more = candidates(graph, next, &self.visited, used);
                    self.stack.push(more);
                }
                _ => {
                    if !self.back() {
                        return None;
                    }
                }
            }
        }
        None
    }
}

/// Two edge-disjoint Hamiltonian cycles of a torus of SIPs (one cube whose SIP links are a
/// `Torus2D(R, C)`, both sides at least 3, one side dividing the other), built rather than
/// searched: row by row, each row walked along `C - 1` of its links from the column where
/// the row before ended, then one link down, so each row starts one column to the left of
/// the one above and the walk closes after `R` rows when `C` divides `R` (columns for rows
/// when `R` divides `C`). What it leaves is two links per SIP; it is the second cycle when
/// they join into one (on a square torus they do: each column's path leads into the next
/// column's). Both are checked against the wiring; `None` if anything does not hold.
fn torus_pair(topology: &Topology, graph: &SipGraph) -> Option<(Vec<u32>, Vec<u32>)> {
    let spec = topology.spec();
    let crate::spec::Shape::Torus2D(rows, cols) = spec.sips.links.shape else {
        return None;
    };
    if topology.cube_count() != 1 || rows < 3 || cols < 3 {
        return None;
    }
    let (r, c) = (rows as usize, cols as usize);
    // Rank of (row, column): row-major, as the grid generator numbers them.
    let first: Vec<u32> = if r % c == 0 {
        snake(r, c, |i, j| (i * c + j) as u32)
    } else if c % r == 0 {
        snake(c, r, |i, j| (j * c + i) as u32)
    } else {
        return None;
    };
    let n = first.len();
    let steps_ok = |order: &[u32]| {
        let mut seen = vec![false; n];
        order.len() == n
            && order.iter().all(|&v| {
                let fresh = !seen[v as usize];
                seen[v as usize] = true;
                fresh
            })
            && (0..n).all(|i| graph.has_direct(order[i], order[(i + 1) % n]))
    };
    if !steps_ok(&first) {
        return None;
    }
    let used = edges_of(&first);
    // The links left: exactly two per SIP, followed from rank 0.
    let left = |v: u32| -> Vec<u32> {
        graph.out[v as usize]
            .iter()
            .copied()
            .filter(|&w| !is_used(&used, v, w))
            .collect()
    };
    let mut second = vec![0u32];
    let (mut previous, mut at) = (u32::MAX, 0u32);
    loop {
        let next = left(at);
        if next.len() != 2 {
            return None;
        }
        let step = if next[0] == previous {
            next[1]
        } else {
            next[0]
        };
        if step == 0 {
            break;
        }
        if second.len() == n {
            return None;
        }
        second.push(step);
        (previous, at) = (at, step);
    }
    let disjoint = edges_of(&second)
        .iter()
        .all(|&(a, b)| !is_used(&used, a, b));
    (steps_ok(&second) && disjoint).then_some((first, second))
}

/// A Hamiltonian cycle of a mesh of SIPs (one cube whose SIP links are a `Mesh2D(R, C)`, one
/// side even, both at least 2), built for where the search runs out of budget (`mesh:8x8`):
/// along the first row, then back and forth along the others leaving out the first column,
/// and up the first column home; with `R` even the last row ends beside it (columns for rows
/// when only `C` is even). Checked against the wiring; `None` if anything does not hold.
fn mesh_cycle(topology: &Topology, graph: &SipGraph) -> Option<Vec<u32>> {
    let crate::spec::Shape::Mesh2D(rows, cols) = topology.spec().sips.links.shape else {
        return None;
    };
    if topology.cube_count() != 1 || rows < 2 || cols < 2 {
        return None;
    }
    let (r, c) = (rows as usize, cols as usize);
    let order: Vec<u32> = if r % 2 == 0 {
        serpent(r, c, |i, j| (i * c + j) as u32)
    } else if c % 2 == 0 {
        serpent(c, r, |i, j| (j * c + i) as u32)
    } else {
        return None;
    };
    let n = order.len();
    let mut seen = vec![false; n];
    let fresh = order
        .iter()
        .all(|&v| !std::mem::replace(&mut seen[v as usize], true));
    let wired = (0..n).all(|i| graph.has_direct(order[i], order[(i + 1) % n]));
    (fresh && wired).then_some(order)
}

/// The walk of [`mesh_cycle`] over `rows x cols` (`rows` even), as ranks by `rank(row,
/// column)`.
fn serpent(rows: usize, cols: usize, rank: impl Fn(usize, usize) -> u32) -> Vec<u32> {
    let mut order: Vec<u32> = (0..cols).map(|j| rank(0, j)).collect();
    for i in 1..rows {
        if i % 2 == 1 {
            order.extend((1..cols).rev().map(|j| rank(i, j)));
        } else {
            order.extend((1..cols).map(|j| rank(i, j)));
        }
    }
    order.extend((1..rows).rev().map(|i| rank(i, 0)));
    order
}

/// The row-by-row walk of [`torus_pair`] over `rows x cols` (with `cols` dividing `rows`),
/// from (0, 0), as ranks by `rank(row, column)`.
fn snake(rows: usize, cols: usize, rank: impl Fn(usize, usize) -> u32) -> Vec<u32> {
    let mut order = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        // Row i starts i columns to the left of row 0 (mod cols).
        let start = (cols - i % cols) % cols;
        for k in 0..cols {
            order.push(rank(i, (start + k) % cols));
        }
    }
    order
}

/// The steps one search for a cycle through `n` SIPs may take: `64 n + 4096`.
fn budget(n: u32) -> u64 {
    64 * u64::from(n) + 4096
}

/// Two edge-disjoint Hamiltonian cycles of direct links, where every SIP has at least four
/// direct neighbours (two per cycle): the search's cycles in turn, each with a search for a
/// second cycle on the links it leaves, up to [`PAIR_TRIES`] first cycles and, for all the
/// second searches together, four searches' budget. On a torus the links a cycle leaves
/// make two links per SIP, so the second search only follows them; on the tori whose sides
/// do not divide each other that the tests try (`torus:3x5`, `torus:4x6`) it finds a pair.
fn search_pair(graph: &SipGraph, n: u32) -> Option<(Vec<u32>, Vec<u32>)> {
    if graph.out.iter().any(|o| o.len() < 4) {
        return None;
    }
    let mut walk = Walk::new(graph, n, &[]);
    let mut left = 4 * budget(n);
    for _ in 0..PAIR_TRIES {
        let first = walk.next_cycle(graph, &[])?;
        if (0..n as usize).any(|i| !graph.has_direct(first[i], first[(i + 1) % n as usize])) {
            continue;
        }
        let used = edges_of(&first);
        let mut second = Walk::with_budget(graph, n, &used, left);
        let found = second.next_cycle(graph, &used);
        left = second.budget;
        if let Some(second) = found {
            return Some((first, second));
        }
        if left == 0 {
            return None;
        }
    }
    None
}

/// The first cycles [`search_pair`] tries.
const PAIR_TRIES: usize = 64;

/// The undirected links of the cycle `order`, as sorted `(low, high)` pairs.
fn edges_of(order: &[u32]) -> Vec<(u32, u32)> {
    let n = order.len();
    let mut edges: Vec<(u32, u32)> = (0..n)
        .map(|i| {
            let (a, b) = (order[i], order[(i + 1) % n]);
            (a.min(b), a.max(b))
        })
        .collect();
    edges.sort_unstable();
    edges
}

/// The unvisited neighbours of `v`, the one to try first last: fewest onward unvisited
/// neighbours first, then the lower rank (direct neighbours before switch co-members).
fn candidates(graph: &SipGraph, v: u32, visited: &[bool], used: &[(u32, u32)]) -> Vec<u32> {
    let free = |w: u32| !visited[w as usize];
    let mut direct: Vec<(usize, u32)> = graph.out[v as usize]
        .iter()
        .copied()
        .filter(|&w| free(w) && !is_used(used, v, w))
        .map(|w| {
            let onward = graph.out[w as usize]
                .iter()
                .filter(|&&x| free(x) && x != w && !is_used(used, w, x))
                .count();
            (onward, w)
        })
        .collect();
    direct.sort_unstable();
    let mut list: Vec<u32> = Vec::new();
    // Switch co-members after the direct neighbours (tried last), in rank order.
    for &s in &graph.switches[v as usize] {
        for &w in graph.members[s].iter().rev() {
            if free(w) && w != v && !list.contains(&w) {
                list.push(w);
                if list.len() >= 4 {
                    break;
                }
            }
        }
    }
    list.extend(direct.into_iter().rev().map(|(_, w)| w));
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::TopologySource;

    fn cycles_of(form: &str) -> Vec<SipCycle> {
        let topology = TopologySource::parse(form).unwrap().load().unwrap();
        find(&topology)
    }

    fn is_cycle_of_neighbours(topology: &Topology, order: &[u32]) -> bool {
        let graph = SipGraph::of(topology);
        let n = order.len();
        let mut seen = order.to_vec();
        seen.sort_unstable();
        seen == (0..n as u32).collect::<Vec<_>>()
            && (0..n).all(|i| graph.next_to(order[i], order[(i + 1) % n], &[]))
    }

    #[test]
    fn a_bidirectional_ring_is_walked_in_rank_order_both_ways() {
        let cycles = cycles_of("ring:8");
        assert_eq!(cycles.len(), 1, "a ring has one cycle");
        assert_eq!(&*cycles[0].order, &[0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(&*cycles[0].reversed, &[0, 7, 6, 5, 4, 3, 2, 1]);
        assert!(cycles[0].duplex);
    }

    #[test]
    fn a_torus_and_an_even_mesh_have_a_cycle_of_neighbours() {
        for form in [
            "torus:4x4",
            "mesh:4x4",
            "torus:8x8",
            "mesh:2x6",
            "torus:3x5",
        ] {
            let topology = TopologySource::parse(form).unwrap().load().unwrap();
            let cycles = find(&topology);
            assert!(!cycles.is_empty(), "{form}: no cycle");
            for c in &cycles {
                assert!(
                    is_cycle_of_neighbours(&topology, &c.order),
                    "{form}: {:?}",
                    c.order
                );
                assert!(is_cycle_of_neighbours(&topology, &c.reversed), "{form}");
            }
        }
    }

    #[test]
    fn a_torus_has_two_cycles_of_neighbours_on_links_of_their_own() {
        // Built where one side divides the other, searched elsewhere (3x5, 4x6).
        for form in [
            "torus:4x4",
            "torus:8x8",
            "torus:16x16",
            "torus:3x6",
            "torus:6x3",
            "torus:4x8",
            "torus:3x5",
            "torus:4x6",
        ] {
            let topology = TopologySource::parse(form).unwrap().load().unwrap();
            let cycles = find(&topology);
            assert!(cycles.len() >= 2, "{form}: {} cycles", cycles.len());
            for c in &cycles {
                assert!(is_cycle_of_neighbours(&topology, &c.order), "{form}");
                assert!(c.duplex, "{form}");
            }
            let (a, b) = (edges_of(&cycles[0].order), edges_of(&cycles[1].order));
            assert!(
                a.iter().all(|e| b.binary_search(e).is_err()),
                "{form}: shared links"
            );
        }
        // The 4x4 torus's pair, row by row and what it leaves.
        let cycles = cycles_of("torus:4x4");
        assert_eq!(
            &*cycles[0].order,
            &[0, 1, 2, 3, 7, 4, 5, 6, 10, 11, 8, 9, 13, 14, 15, 12]
        );
        assert_eq!(
            &*cycles[1].order,
            &[0, 3, 15, 11, 7, 6, 2, 14, 10, 9, 5, 1, 13, 12, 8, 4]
        );
    }

    #[test]
    fn a_large_even_mesh_has_the_built_cycle_where_the_search_runs_out() {
        for form in ["mesh:8x8", "mesh:16x16", "mesh:64x64", "mesh:9x16"] {
            let topology = TopologySource::parse(form).unwrap().load().unwrap();
            let cycles = find(&topology);
            assert_eq!(cycles.len(), 1, "{form}");
            assert!(
                is_cycle_of_neighbours(&topology, &cycles[0].order),
                "{form}"
            );
            assert!(cycles[0].duplex, "{form}");
        }
        // Along row 0, back and forth over columns 1..8, up column 0.
        let order = cycles_of("mesh:8x8")[0].order.to_vec();
        assert_eq!(
            &order[..16],
            &[0, 1, 2, 3, 4, 5, 6, 7, 15, 14, 13, 12, 11, 10, 9, 17]
        );
        assert_eq!(&order[57..], &[56, 48, 40, 32, 24, 16, 8]);
    }

    #[test]
    fn an_odd_mesh_has_no_cycle_and_falls_back() {
        // A 3x3 grid is bipartite with 5 + 4 nodes: no Hamiltonian cycle exists.
        assert!(cycles_of("mesh:3x3").is_empty());
    }

    #[test]
    fn cubes_joined_by_cube_links_are_walked_along_the_wiring() {
        let topology = TopologySource::parse("cubes:4x8").unwrap().load().unwrap();
        let cycles = find(&topology);
        assert!(!cycles.is_empty());
        assert!(is_cycle_of_neighbours(&topology, &cycles[0].order));
    }

    #[test]
    fn a_cube_of_a_2x4_torus_is_walked_along_its_links() {
        let text = std::fs::read_to_string("../topologies/multicube2x4.ron").unwrap();
        let text = text.replace(
            "per_cube: 4, links: (shape: FullyConnected",
            "per_cube: 8, links: (shape: Torus2D(2, 4)",
        );
        let topology = Topology::from_ron_str(&text, "torus cubes").unwrap();
        let cycle = find_in_cube(&topology).expect("a cycle inside the cube");
        let graph = SipGraph::of(&topology);
        let order = &cycle.order;
        assert_eq!(order.len(), 4 * 2);
        assert!(
            (0..8).all(|i| graph.has_direct(order[i], order[(i + 1) % 8])),
            "{order:?}"
        );
        assert!(cycle.duplex);
    }

    #[test]
    fn a_large_ring_is_found_in_linear_time() {
        let cycles = cycles_of("ring:16384");
        assert_eq!(cycles[0].order.len(), 16384);
        assert!(cycles[0].order.windows(2).all(|w| w[1] == w[0] + 1));
    }
}
