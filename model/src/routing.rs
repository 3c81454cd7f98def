//! Routing: the deterministic shortest path between any two nodes, without an all-pairs table.
//!
//! # Which path
//! The route from `s` to `t` minimises, in order: the sum of link latencies, then the number of
//! hops; among paths still tied, each node's predecessor is the lowest-indexed node that lies on
//! some best path to it (so a tie is broken by the lower node index, nearest the destination
//! first). This is what Dijkstra's algorithm gives when it relaxes by `(latency, hops)` and keeps
//! the lower predecessor on equal distance; it does not depend on the order of the search.
//!
//! # How it scales
//! All SIPs are identical and meet the rest of the machine only through their hub. So a route
//! is assembled from at most three pieces:
//! 1. inside the source SIP, from the node to its hub;
//! 2. on the *hub graph* (hubs and switches, with the links between them), hub to hub;
//! 3. inside the destination SIP, from its hub to the node.
//!
//! A route inside one SIP never leaves it (leaving and coming back passes the hub twice, a
//! cycle, which never has the fewest hops for the same latency). So pieces 1 and 3 are
//! shortest-path trees of one *template* SIP (SIP 0), shifted to the right SIP: nodes and edges
//! are laid out SIP by SIP in the same order (see [`crate::Topology`]), so the shift keeps index
//! order and therefore the tie-break. Piece 2 never enters a SIP's interior for the same reason.
//! Every global best path is the concatenation of best pieces, and because every distance
//! through a hub is a constant plus the distance from the hub, the predecessor chosen at each
//! node is the same as a Dijkstra on the whole graph would choose. A test holds the assembled
//! routes to a whole-graph Dijkstra on every bundled topology.
//!
//! Shortest-path trees are computed on first use of each source (one template tree per node of a
//! SIP, one hub-graph tree per hub or switch) and kept, so a 1,024-SIP ring never stores the
//! ~10^12 pairs of its nodes. Memory: 4 bytes per node of the piece's graph per tree used.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

use kernbench_engine::SimTime;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};

use crate::coords::Node;
use crate::link::Link;

/// A path through the topology: the directed links from source to destination, in order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Route {
    edges: Vec<EdgeIndex>,
    latency: SimTime,
}

impl Route {
    /// The links from source to destination, in order; empty when source = destination.
    pub fn edges(&self) -> &[EdgeIndex] {
        &self.edges
    }
    /// The number of links.
    pub fn hops(&self) -> usize {
        self.edges.len()
    }
    /// The sum of the links' latencies (saturating).
    pub fn latency(&self) -> SimTime {
        self.latency
    }
}

/// "No predecessor" in a shortest-path tree.
const NONE: u32 = u32::MAX;

/// A graph in compressed rows: the outgoing arcs of local node `i` are
/// `arcs[offsets[i]..offsets[i + 1]]`, in edge-index order.
#[derive(Debug)]
pub(crate) struct Adjacency {
    offsets: Vec<u32>,
    arcs: Vec<Arc>,
}

#[derive(Clone, Copy, Debug)]
struct Arc {
    /// Local index of the target.
    to: u32,
    /// Latency in picoseconds.
    latency: u64,
    /// Global edge index.
    edge: u32,
}

impl Adjacency {
    /// The sub-graph of `graph` on the nodes `local_of` maps to a local index (`NONE` = left
    /// out); `count` is the number of local nodes.
    pub(crate) fn build(
        graph: &DiGraph<Node, Link, u32>,
        local_of: &[u32],
        count: usize,
    ) -> Adjacency {
        let mut rows: Vec<Vec<Arc>> = vec![Vec::new(); count];
        for edge in graph.edge_indices() {
            let Some((a, b)) = graph.edge_endpoints(edge) else {
                continue;
            };
            let (la, lb) = (local_of[a.index()], local_of[b.index()]);
            if la == NONE || lb == NONE {
                continue;
            }
            rows[la as usize].push(Arc {
                to: lb,
                latency: graph[edge].latency.as_ps(),
                edge: edge.index() as u32,
            });
        }
        let mut offsets = Vec::with_capacity(count + 1);
        let mut arcs = Vec::new();
        offsets.push(0);
        for row in rows {
            arcs.extend(row);
            offsets.push(arcs.len() as u32);
        }
        Adjacency { offsets, arcs }
    }

    /// The whole graph, local = global index.
    #[cfg(test)]
    pub(crate) fn whole(graph: &DiGraph<Node, Link, u32>) -> Adjacency {
        let identity: Vec<u32> = (0..graph.node_count() as u32).collect();
        Adjacency::build(graph, &identity, graph.node_count())
    }

    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    fn arcs(&self, node: usize) -> &[Arc] {
        &self.arcs[self.offsets[node] as usize..self.offsets[node + 1] as usize]
    }
}

/// The shortest-path tree from `source`: for each local node, the global edge index of the last
/// hop of its route (`NONE` for the source and unreachable nodes). See the module docs for the
/// tie-break.
pub(crate) fn shortest_path_tree(adjacency: &Adjacency, source: usize) -> Vec<u32> {
    let n = adjacency.len();
    let mut dist = vec![(u128::MAX, u32::MAX); n];
    let mut pred_node = vec![NONE; n];
    let mut pred_edge = vec![NONE; n];
    let mut done = vec![false; n];
    let mut heap = BinaryHeap::new();
    dist[source] = (0, 0);
    heap.push(Reverse((0u128, 0u32, source)));
    while let Some(Reverse((latency, hops, node))) = heap.pop() {
        if done[node] {
            continue;
        }
        done[node] = true;
        for arc in adjacency.arcs(node) {
            let to = arc.to as usize;
            let candidate = (latency + u128::from(arc.latency), hops + 1);
            // Equal distance: keep the lower predecessor. Every predecessor on a best path is
            // settled before `to` (it is strictly closer: one hop fewer), so this sees them all.
            let better =
                candidate < dist[to] || (candidate == dist[to] && (node as u32) < pred_node[to]);
            if better && !done[to] {
                if candidate < dist[to] {
                    heap.push(Reverse((candidate.0, candidate.1, to)));
                }
                dist[to] = candidate;
                pred_node[to] = node as u32;
                pred_edge[to] = arc.edge;
            }
        }
    }
    pred_edge
}

/// Routes of one topology; see the module docs.
#[derive(Debug)]
pub(crate) struct Router {
    /// Nodes per SIP; SIP `r`'s nodes are `r * nodes_per_sip ..`, its hub first.
    nodes_per_sip: usize,
    /// Intra-SIP edges per SIP; SIP `r`'s are `r * edges_per_sip ..`.
    edges_per_sip: usize,
    /// Number of SIPs; the switches follow the SIPs' nodes.
    sip_count: usize,
    template: Adjacency,
    template_trees: Vec<OnceLock<Vec<u32>>>,
    hubs: Adjacency,
    hub_trees: Vec<OnceLock<Vec<u32>>>,
}

impl Router {
    /// A router for `graph`, laid out as [`crate::Topology`] documents.
    pub(crate) fn new(
        graph: &DiGraph<Node, Link, u32>,
        nodes_per_sip: usize,
        edges_per_sip: usize,
        sip_count: usize,
    ) -> Router {
        let node_count = graph.node_count();
        let base = nodes_per_sip * sip_count;
        let mut template_local = vec![NONE; node_count];
        for (i, local) in template_local.iter_mut().enumerate().take(nodes_per_sip) {
            *local = i as u32;
        }
        let mut hub_local = vec![NONE; node_count];
        for r in 0..sip_count {
            hub_local[r * nodes_per_sip] = r as u32;
        }
        for (g, local) in hub_local.iter_mut().enumerate().skip(base) {
            *local = (sip_count + g - base) as u32;
        }
        let hub_count = sip_count + node_count - base;
        Router {
            nodes_per_sip,
            edges_per_sip,
            sip_count,
            template: Adjacency::build(graph, &template_local, nodes_per_sip),
            template_trees: (0..nodes_per_sip).map(|_| OnceLock::new()).collect(),
            hubs: Adjacency::build(graph, &hub_local, hub_count),
            hub_trees: (0..hub_count).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The SIP rank of global node `g`, or `None` for a switch.
    fn sip_of(&self, g: usize) -> Option<usize> {
        (g < self.sip_count * self.nodes_per_sip).then(|| g / self.nodes_per_sip)
    }

    /// Hub-graph local index of global node `g` (a hub or a switch).
    fn hub_local(&self, g: usize) -> usize {
        match self.sip_of(g) {
            Some(rank) => rank,
            None => self.sip_count + g - self.sip_count * self.nodes_per_sip,
        }
    }

    /// Appends the template path `from -> to` (local to a SIP) shifted to SIP `rank`.
    fn push_template(
        &self,
        graph: &DiGraph<Node, Link, u32>,
        rank: usize,
        from: usize,
        to: usize,
        out: &mut Vec<EdgeIndex>,
    ) -> bool {
        let tree =
            self.template_trees[from].get_or_init(|| shortest_path_tree(&self.template, from));
        let shift = rank * self.edges_per_sip;
        // Template edges are SIP 0's, whose global indices are local ones.
        walk(
            graph,
            tree,
            from,
            to,
            |g| g,
            out,
            |e| EdgeIndex::new(e + shift),
        )
    }

    fn push_hubs(
        &self,
        graph: &DiGraph<Node, Link, u32>,
        from: usize,
        to: usize,
        out: &mut Vec<EdgeIndex>,
    ) -> bool {
        let tree = self.hub_trees[from].get_or_init(|| shortest_path_tree(&self.hubs, from));
        walk(
            graph,
            tree,
            from,
            to,
            |g| self.hub_local(g),
            out,
            EdgeIndex::new,
        )
    }

    /// The route between two global nodes (both < node count), or `None` if unreachable.
    pub(crate) fn route(
        &self,
        graph: &DiGraph<Node, Link, u32>,
        from: NodeIndex,
        to: NodeIndex,
    ) -> Option<Route> {
        let (a, b) = (from.index(), to.index());
        let mut edges = Vec::new();
        let nps = self.nodes_per_sip;
        let found = match (self.sip_of(a), self.sip_of(b)) {
            _ if a == b => true,
            (Some(x), Some(y)) if x == y => {
                self.push_template(graph, x, a - x * nps, b - x * nps, &mut edges)
            }
            (sa, sb) => {
                let mut ok = true;
                if let Some(x) = sa {
                    ok &= self.push_template(graph, x, a - x * nps, 0, &mut edges);
                }
                let hub_a = sa.map_or(self.hub_local(a), |x| x);
                let hub_b = sb.map_or(self.hub_local(b), |y| y);
                ok &= self.push_hubs(graph, hub_a, hub_b, &mut edges);
                if let Some(y) = sb {
                    ok &= self.push_template(graph, y, 0, b - y * nps, &mut edges);
                }
                ok
            }
        };
        found.then(|| {
            let latency = edges
                .iter()
                .fold(SimTime::ZERO, |sum, &e| sum + graph[e].latency);
            Route { edges, latency }
        })
    }
}

/// Appends the tree path `from -> to` to `out`. `local` maps a global node to the tree's local
/// index; `global_edge` maps the tree's (template) edge to the edge to append. Returns false if
/// `to` is unreachable.
fn walk(
    graph: &DiGraph<Node, Link, u32>,
    tree: &[u32],
    from: usize,
    to: usize,
    local: impl Fn(usize) -> usize,
    out: &mut Vec<EdgeIndex>,
    global_edge: impl Fn(usize) -> EdgeIndex,
) -> bool {
    let start = out.len();
    let mut node = to;
    while node != from {
        let edge = tree[node];
        if edge == NONE {
            out.truncate(start);
            return false;
        }
        out.push(global_edge(edge as usize));
        let Some((source, _)) = graph.edge_endpoints(EdgeIndex::new(edge as usize)) else {
            out.truncate(start);
            return false;
        };
        node = local(source.index());
    }
    out[start..].reverse();
    true
}

/// The route by a shortest-path tree of the whole graph: the reference the router is tested
/// against.
#[cfg(test)]
pub(crate) fn whole_graph_route(
    graph: &DiGraph<Node, Link, u32>,
    tree: &[u32],
    from: NodeIndex,
    to: NodeIndex,
) -> Option<Vec<EdgeIndex>> {
    let mut out = Vec::new();
    walk(
        graph,
        tree,
        from.index(),
        to.index(),
        |g| g,
        &mut out,
        EdgeIndex::new,
    )
    .then_some(out)
}

#[cfg(test)]
mod tests {
    use kernbench_engine::SimTime;
    use petgraph::graph::NodeIndex;

    use super::*;
    use crate::test_support::{BUNDLED, bundled, default_with};
    use crate::{ModelError, Topology};

    fn route(topo: &Topology, from: &str, to: &str) -> Route {
        let (Ok(from), Ok(to)) = (from.parse(), to.parse()) else {
            panic!("bad coordinate")
        };
        topo.route_between(from, to)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The nodes a route visits after its source, printed.
    fn visits(topo: &Topology, route: &Route) -> Vec<String> {
        route
            .edges()
            .iter()
            .filter_map(|&e| topo.link_ends(e))
            .map(|(_, b)| topo.node(b).to_string())
            .collect()
    }

    /// default.ron with SIP-level and cube-level switches (2 cubes of 2 SIPs).
    fn switched() -> Topology {
        let text = default_with("shape: FullyConnected", "shape: Switch").replace(
            "cubes: (count: 1)",
            r#"cubes: (count: 2, links: (shape: Switch, bandwidth: "50GB/s", latency: "1us"))"#,
        );
        Topology::from_ron_str(&text, "switched.ron").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_pe_reaches_its_tcm_in_one_hop() {
        let topo = bundled("default.ron");
        let r = route(&topo, "c0.s0.p0", "c0.s0.p0.tcm");
        assert_eq!(r.hops(), 1);
        assert_eq!(r.latency(), SimTime::from_ns(2));
        assert_eq!(route(&topo, "c0.s1.p2", "c0.s1.p2").hops(), 0);
    }

    #[test]
    fn the_noc_is_preferred_when_it_is_faster_than_the_hub() {
        let topo = bundled("default.ron");
        // Unidirectional PE ring, 5 ns per hop, against 2 x 10 ns through the hub.
        let r = route(&topo, "c0.s0.p0", "c0.s0.p2");
        assert_eq!(visits(&topo, &r), ["c0.s0.p1", "c0.s0.p2"]);
        // Backwards the ring takes 3 x 5 ns = 15 ns, the hub 20 ns.
        assert_eq!(
            visits(&topo, &route(&topo, "c0.s0.p1", "c0.s0.p0")),
            ["c0.s0.p2", "c0.s0.p3", "c0.s0.p0"]
        );
    }

    #[test]
    fn a_unidirectional_ring_goes_the_long_way_round() {
        let topo = bundled("ring64.ron");
        let r = route(&topo, "c0.s1.p0", "c0.s0.hbm");
        // port, 63 ring links, HBM port.
        assert_eq!(r.hops(), 65);
        assert_eq!(r.latency(), SimTime::from_ns(10 + 63 * 500 + 200));
        assert_eq!(visits(&topo, &r)[1], "c0.s2.hub");
    }

    #[test]
    fn ties_go_through_the_lower_numbered_node() {
        let topo = bundled("torus4x4.ron");
        // s0 -> s5 is (0,0) -> (1,1): via s1 or via s4, equal latency and hops.
        let r = route(&topo, "c0.s0.hub", "c0.s5.hub");
        assert_eq!(visits(&topo, &r), ["c0.s1.hub", "c0.s5.hub"]);
        assert_eq!(r, route(&topo, "c0.s0.hub", "c0.s5.hub"));
        // PEs of a switched NoC meet at the hub.
        assert_eq!(
            visits(&topo, &route(&topo, "c0.s3.p0", "c0.s3.p3")),
            ["c0.s3.hub", "c0.s3.p3"]
        );
    }

    #[test]
    fn switches_are_routed_through() {
        let topo = switched();
        let r = route(&topo, "c0.s0.p0", "c1.s1.p0");
        // Two equal paths: switch first or rail first. The last hop comes from the lower node:
        // c1.sw (cube switches are numbered before rail switches).
        assert_eq!(
            visits(&topo, &r),
            [
                "c0.s0.hub",
                "rail0.sw",
                "c1.s0.hub",
                "c1.sw",
                "c1.s1.hub",
                "c1.s1.p0"
            ]
        );
        assert_eq!(
            visits(&topo, &route(&topo, "rail0.sw", "c0.sw")),
            ["c0.s0.hub", "c0.sw"]
        );
    }

    #[test]
    fn routes_to_unknown_nodes_are_errors() {
        let topo = bundled("default.ron");
        let e = topo.route(NodeIndex::new(0), NodeIndex::new(10_000));
        assert!(matches!(e, Err(ModelError::NoSuchNode { .. })));
        let Err(e) = topo.route_between(
            "c0.s0.p0".parse().unwrap_or_else(|e| panic!("{e}")),
            "c0.s9.p0".parse().unwrap_or_else(|e| panic!("{e}")),
        ) else {
            panic!("routed")
        };
        assert_eq!(
            e.to_string(),
            "node c0.s9.p0 is not in topology \"default\"; use a node of this topology (`kernbench topo` lists the counts)"
        );
    }

    #[test]
    fn assembled_routes_equal_a_dijkstra_on_the_whole_graph() {
        let mut topologies: Vec<Topology> = BUNDLED.iter().map(|(name, _)| bundled(name)).collect();
        topologies.push(switched());
        for topo in &topologies {
            let graph = topo.graph();
            let whole = Adjacency::whole(graph);
            let n = graph.node_count();
            // Every source on small graphs; a spread of sources on ring64 to keep the test fast.
            let step = if n > 300 { 13 } else { 1 };
            for source in (0..n).step_by(step).map(NodeIndex::new) {
                let tree = shortest_path_tree(&whole, source.index());
                // An independent check of the distances: petgraph's Dijkstra on latency alone.
                let reference =
                    petgraph::algo::dijkstra(graph, source, None, |e| e.weight().latency.as_ps());
                for target in graph.node_indices() {
                    let expected = whole_graph_route(graph, &tree, source, target)
                        .unwrap_or_else(|| panic!("{}: no path", topo.name()));
                    let got = topo.route(source, target).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(
                        got.edges(),
                        expected.as_slice(),
                        "{}: {} -> {}",
                        topo.name(),
                        topo.node(source),
                        topo.node(target)
                    );
                    assert_eq!(Some(&got.latency().as_ps()), reference.get(&target));
                }
            }
        }
    }
}
