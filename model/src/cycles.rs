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
    while cycles.len() < MAX_CYCLES {
        let Some(order) = search(&graph, n, &used) else {
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
    let mut visited = vec![false; n as usize];
    let mut path: Vec<u32> = vec![0];
    visited[0] = true;
    // For each node on the path, the candidates still to try (last = next to try).
    let mut stack: Vec<Vec<u32>> = vec![candidates(graph, 0, &visited, used)];
    let mut budget: u64 = 64 * u64::from(n) + 4096;
    while let Some(options) = stack.last_mut() {
        if path.len() == n as usize {
            let last = *path.last()?;
            if graph.next_to(last, 0, used) {
                return Some(path);
            }
        }
        budget = budget.checked_sub(1)?;
        match options.pop() {
            Some(next) if path.len() < n as usize => {
                visited[next as usize] = true;
                path.push(next);
                let more = candidates(graph, next, &visited, used);
                stack.push(more);
            }
            _ => {
                stack.pop();
                if let Some(back) = path.pop() {
                    visited[back as usize] = false;
                }
                if path.is_empty() {
                    return None;
                }
            }
        }
    }
    None
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
