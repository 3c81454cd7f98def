//! Routing: the deterministic shortest path between any two nodes, without an all-pairs table.
//!
//! # Which path
//! The route from `s` to `t` minimises, in order: the sum of link latencies, then the number of
//! hops. Paths still tied are spread deterministically: the route is walked back from `t`, and
//! at each node `v` it takes one of the *best last hops* into `v` (the links `u -> v` that end
//! some best path from `s` to `v`). When there are `k > 1` of them it takes number
//! `(s + t + v) mod k` (global node indices) in *tie order*: by the index of `u` counted upward
//! from `v` and wrapping round, i.e. first the `u > v`, lowest first, then the `u < v`, lowest
//! first (parallel links from the same `u` by edge index). So a route with no tie on it is the
//! unique best path, and the rule depends on the distances only, not on the order of a search.
//!
//! Starting the tie order just above `v` makes it the same at every member of a ring, the
//! wrap-around link included (on a 2D torus, everywhere but where a row wraps), so the choice
//! follows the parity of the indices rather than where a member sits. On a bidirectional ring of even length `n` (members numbered
//! round it) the flow `s -> s + n/2` has two best paths, and at the far end the tie order is
//! (from `t + 1`, from `t - 1`); `(s + 2t) mod 2` is the parity of `s`'s index: from an even
//! index the route goes down the ring (`s, s - 1, ...`), from an odd one up. A SIP's node
//! indices are its rank times an odd number plus a fixed offset (see [`crate::Topology`]), so
//! between nodes of one kind (hub to hub, HBM to HBM) the direction alternates with the rank:
//! when `n/2` is even the `n` flows `i -> i + n/2` load every directed ring link `n/4` times,
//! the least possible (with lowest-index ties some links of an 8-ring carried 3), and the
//! opposite flows `i -> i + n/2` and `i + n/2 -> i` go round the same way, sharing no link;
//! when `n/2` is odd they go opposite ways. Routes with more ties (a torus, a 2D mesh) mix
//! dimension orders by the parities of the nodes they pass.
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
//! order and therefore the tie order. Piece 2 never enters a SIP's interior for the same reason,
//! and the hub graph numbers its nodes in global order, which keeps the tie order too. Every
//! global best path is the concatenation of best pieces, and because every distance through a
//! hub is a constant plus the distance from the hub, the best last hops into each node are the
//! same as on the whole graph. Each piece is walked back with the route's own `s` and `t` and
//! the global index of each node, so it makes the choices the whole-graph rule makes. A test
//! holds the assembled routes to the rule applied to a whole-graph Dijkstra on every bundled
//! topology.
//!
//! A tree keeps every best last hop, so one tree per source serves every destination and its
//! ties. Trees are computed on first use of each source (one template tree per node of a SIP,
//! one hub-graph tree per hub or switch) and kept, so a 1,024-SIP ring never stores the ~10^12
//! pairs of its nodes. Memory: 4 bytes per node of the piece's graph per tree used, a bit mask
//! over the node's incoming links in tie order (kept once per piece's graph); only a node with
//! more than 32 incoming links and a tie among them adds a short list.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

use kernbench_engine::SimTime;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use rustc_hash::FxHashMap;

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

/// "None": a node left out of a piece's graph, or no best last hop (see [`Tree`]).
const NONE: u32 = u32::MAX;

/// A graph in compressed rows: the outgoing arcs of local node `i` are
/// `arcs[offsets[i]..offsets[i + 1]]`, in edge-index order (for the search), and its incoming
/// arcs `in_arcs[in_offsets[i]..in_offsets[i + 1]]`, in tie order (for walking back).
#[derive(Debug)]
pub(crate) struct Adjacency {
    offsets: Vec<u32>,
    arcs: Vec<Arc>,
    in_offsets: Vec<u32>,
    in_arcs: Vec<Arc>,
}

/// A directed link of a piece's graph.
#[derive(Clone, Copy, Debug)]
struct Arc {
    /// Local index of the other end: the target of an outgoing arc, the source of an incoming.
    end: u32,
    /// Latency in picoseconds.
    latency: u64,
    /// Global edge index.
    edge: u32,
}

impl Adjacency {
    /// The sub-graph of `graph` on the nodes `local_of` maps to a local index (`NONE` = left
    /// out); `count` is the number of local nodes. `local_of` must keep the global order, so
    /// that tie order (module docs) is the same on local indices.
    pub(crate) fn build(
        graph: &DiGraph<Node, Link, u32>,
        local_of: &[u32],
        count: usize,
    ) -> Adjacency {
        let mut rows: Vec<Vec<Arc>> = vec![Vec::new(); count];
        let mut in_rows: Vec<Vec<Arc>> = vec![Vec::new(); count];
        for edge in graph.edge_indices() {
            let Some((a, b)) = graph.edge_endpoints(edge) else {
                continue;
            };
            let (la, lb) = (local_of[a.index()], local_of[b.index()]);
            if la == NONE || lb == NONE {
                continue;
            }
            let (latency, edge) = (graph[edge].latency.as_ps(), edge.index() as u32);
            rows[la as usize].push(Arc {
                end: lb,
                latency,
                edge,
            });
            in_rows[lb as usize].push(Arc {
                end: la,
                latency,
                edge,
            });
        }
        // Tie order: sources above the node first, then those below, each lowest first, then
        // by edge index (the rows are in edge order and the sort is stable).
        for (node, row) in in_rows.iter_mut().enumerate() {
            row.sort_by_key(|arc| (arc.end < node as u32, arc.end));
        }
        let (offsets, arcs) = compress(rows);
        let (in_offsets, in_arcs) = compress(in_rows);
        Adjacency {
            offsets,
            arcs,
            in_offsets,
            in_arcs,
        }
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

    fn in_arcs(&self, node: usize) -> &[Arc] {
        &self.in_arcs[self.in_offsets[node] as usize..self.in_offsets[node + 1] as usize]
    }
}

/// Rows laid end to end, with their offsets.
fn compress(rows: Vec<Vec<Arc>>) -> (Vec<u32>, Vec<Arc>) {
    let mut offsets = Vec::with_capacity(rows.len() + 1);
    let mut arcs = Vec::new();
    offsets.push(0);
    for row in rows {
        arcs.extend(row);
        offsets.push(arcs.len() as u32);
    }
    (offsets, arcs)
}

/// Nodes with at most this many incoming arcs keep their best last hops as a bit mask.
const MASK_BITS: usize = 32;
/// Marks a list in [`Tree::many`].
const MANY: u32 = 1 << 31;

/// The shortest-path tree from one source with every tie kept: for each local node, which of
/// its incoming arcs are *best last hops* (end some best route from the source).
#[derive(Debug)]
pub(crate) struct Tree {
    /// Per local node with at most [`MASK_BITS`] incoming arcs: bit `i` set when its `i`-th
    /// incoming arc (tie order) is a best last hop (0 for the source and unreachable nodes).
    /// With more: the position of its only best last hop, `MANY | offset` of its list in
    /// `many`, or `NONE`.
    last: Vec<u32>,
    /// Lists of positions of the tied nodes with more than [`MASK_BITS`] incoming arcs, each
    /// its length and then the positions in tie order; empty on most machines.
    many: Vec<u32>,
    /// [`MASK_BITS`], or less in a test of the lists.
    mask_bits: usize,
}

/// Which of a node's incoming arcs end a best route from the source: kept for every node
/// ([`Tree`]) or found from the distances of a search that stopped at the target ([`Ball`]).
trait LastHops {
    /// The best last hop into `node` a route takes: `choose(k)` (< k) picks among `k > 1`
    /// tied ones, in tie order. `None` for the source and unreachable nodes.
    fn last_hop(
        &self,
        adjacency: &Adjacency,
        node: usize,
        choose: impl FnOnce(usize) -> usize,
    ) -> Option<Arc>;
}

impl LastHops for Tree {
    fn last_hop(
        &self,
        adjacency: &Adjacency,
        node: usize,
        choose: impl FnOnce(usize) -> usize,
    ) -> Option<Arc> {
        let arcs = adjacency.in_arcs(node);
        let value = self.last[node];
        let position = if arcs.len() <= self.mask_bits {
            match value.count_ones() {
                0 => return None,
                1 => value.trailing_zeros(),
                k => {
                    let mut mask = value;
                    for _ in 0..choose(k as usize) {
                        mask &= mask - 1;
                    }
                    mask.trailing_zeros()
                }
            }
        } else if value == NONE {
            return None;
        } else if value & MANY == 0 {
            value
        } else {
            let at = (value & !MANY) as usize;
            let k = self.many[at] as usize;
            self.many[at + 1 + choose(k)]
        };
        arcs.get(position as usize).copied()
    }
}

impl Tree {
    /// The number of best last hops into `node`.
    #[cfg(test)]
    fn count(&self, adjacency: &Adjacency, node: usize) -> usize {
        let value = self.last[node];
        if adjacency.in_arcs(node).len() <= self.mask_bits {
            value.count_ones() as usize
        } else if value == NONE {
            0
        } else if value & MANY == 0 {
            1
        } else {
            self.many[(value & !MANY) as usize] as usize
        }
    }
}

/// The shortest-path tree from `source` by `(latency, hops)`, keeping every best last hop.
pub(crate) fn shortest_path_tree(adjacency: &Adjacency, source: usize) -> Tree {
    tree_with_masks_up_to(adjacency, source, MASK_BITS)
}

/// [`shortest_path_tree`], with masks for nodes of at most `mask_bits` (<= [`MASK_BITS`])
/// incoming arcs.
fn tree_with_masks_up_to(adjacency: &Adjacency, source: usize, mask_bits: usize) -> Tree {
    let n = adjacency.len();
    let mut dist = vec![(u128::MAX, u32::MAX); n];
    let mut heap = BinaryHeap::new();
    dist[source] = (0, 0);
    heap.push(Reverse((0u128, 0u32, source)));
    while let Some(Reverse((latency, hops, node))) = heap.pop() {
        // A node is pushed only when its distance drops, so an entry that is not the node's
        // distance is stale.
        if (latency, hops) != dist[node] {
            continue;
        }
        for arc in adjacency.arcs(node) {
            let to = arc.end as usize;
            let candidate = (latency + u128::from(arc.latency), hops + 1);
            if candidate < dist[to] {
                dist[to] = candidate;
                heap.push(Reverse((candidate.0, candidate.1, to)));
            }
        }
    }
    // A best last hop extends a best route to its source into one to its target. It gains a
    // hop, so walking back along them always ends at the source, and which arcs they are
    // depends on the distances only, not on the order of the search.
    let mut last = vec![0u32; n];
    let mut many = Vec::new();
    for (node, value) in last.iter_mut().enumerate() {
        let arcs = adjacency.in_arcs(node);
        let best = arcs.iter().enumerate().filter(|(_, arc)| {
            let (latency, hops) = dist[arc.end as usize];
            latency != u128::MAX && (latency + u128::from(arc.latency), hops + 1) == dist[node]
        });
        if arcs.len() <= mask_bits {
            *value = best.fold(0, |mask, (i, _)| mask | 1 << i);
            continue;
        }
        // Positions and list offsets stay below `MANY` (2^31): a node has at most a few
        // thousand incoming links (`FullyConnected` joins at most 1,024 members), and the
        // lists of one tree hold fewer entries than its graph has nodes and links.
        let positions: Vec<u32> = best.map(|(i, _)| i as u32).collect();
        *value = match positions.as_slice() {
            [] => NONE,
            &[only] => only,
            _ => {
                let at = many.len() as u32 | MANY;
                many.push(positions.len() as u32);
                many.extend(&positions);
                at
            }
        };
    }
    Tree {
        last,
        many,
        mask_bits,
    }
}

/// The distances a search from one source settled before it reached its target: every node
/// nearer than the target, the target, and (tentatively) the frontier.
///
/// A best last hop `u -> v` into a node `v` of a best route has `dist(u) < dist(v)` (a hop
/// adds latency and always one hop), so `u` was settled before the target and has its final
/// distance here; a node left on the frontier has a tentative distance no less than the
/// target's and so never looks like a best last hop into a node of the route. Walking back
/// from the target therefore makes exactly the choices a whole [`Tree`] would.
#[derive(Debug, Default)]
struct Ball {
    dist: FxHashMap<u32, (u128, u32)>,
}

impl Ball {
    fn distance(&self, node: u32) -> (u128, u32) {
        self.dist
            .get(&node)
            .copied()
            .unwrap_or((u128::MAX, u32::MAX))
    }
}

impl LastHops for Ball {
    fn last_hop(
        &self,
        adjacency: &Adjacency,
        node: usize,
        choose: impl FnOnce(usize) -> usize,
    ) -> Option<Arc> {
        let here = self.distance(node as u32);
        if here.0 == u128::MAX {
            return None;
        }
        let arcs = adjacency.in_arcs(node);
        let best = |arc: &&Arc| {
            let (latency, hops) = self.distance(arc.end);
            latency != u128::MAX && (latency + u128::from(arc.latency), hops + 1) == here
        };
        match arcs.iter().filter(best).count() {
            0 => None,
            1 => arcs.iter().find(best).copied(),
            k => arcs.iter().filter(best).nth(choose(k)).copied(),
        }
    }
}

/// A search by `(latency, hops)` from `source` that stops once `target` is settled: what a
/// route needs on a machine too large to keep a tree per source (see [`Router`]). It visits
/// the nodes nearer than the target, so a route to a neighbour costs a few nodes.
fn search_to(adjacency: &Adjacency, source: usize, target: usize) -> Ball {
    let mut ball = Ball::default();
    let mut heap = BinaryHeap::new();
    ball.dist.insert(source as u32, (0, 0));
    heap.push(Reverse((0u128, 0u32, source as u32)));
    while let Some(Reverse((latency, hops, node))) = heap.pop() {
        if (latency, hops) != ball.distance(node) {
            continue;
        }
        if node as usize == target {
            break;
        }
        for arc in adjacency.arcs(node as usize) {
            let candidate = (latency + u128::from(arc.latency), hops + 1);
            if candidate < ball.distance(arc.end) {
                ball.dist.insert(arc.end, candidate);
                heap.push(Reverse((candidate.0, candidate.1, arc.end)));
            }
        }
    }
    ball
}

/// Hub graphs of at most this many nodes (SIPs and switches) keep one shortest-path tree per
/// source hub, at most 4 bytes x 4,096^2 = 64 MiB; larger ones search per route instead, so
/// memory grows with the routes used, not with the pairs of SIPs.
const MAX_TREE_HUBS: usize = 4096;

/// Which of `count` (> 0) tied last hops into `node` the route `source -> destination` takes:
/// number `(source + destination + node) mod count` in tie order, all three global node
/// indices (see the module docs).
fn pick(source: usize, destination: usize, node: usize, count: usize) -> usize {
    source.wrapping_add(destination).wrapping_add(node) % count
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
    template_trees: Vec<OnceLock<Tree>>,
    hubs: Adjacency,
    /// One tree per hub-graph source, computed on first use; empty on a hub graph of more
    /// than [`MAX_TREE_HUBS`] nodes, whose routes are searched one by one ([`search_to`]).
    hub_trees: Vec<OnceLock<Tree>>,
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
            hub_trees: if hub_count <= MAX_TREE_HUBS {
                (0..hub_count).map(|_| OnceLock::new()).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Forgets the hub trees, so every hub-graph piece is searched ([`search_to`]).
    #[cfg(test)]
    pub(crate) fn drop_trees(&mut self) {
        self.hub_trees.clear();
    }

    /// Whether hub-graph pieces come from per-source trees.
    #[cfg(test)]
    pub(crate) fn keeps_trees(&self) -> bool {
        !self.hub_trees.is_empty()
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

    /// Global index of hub-graph local node `local`.
    fn hub_global(&self, local: usize) -> usize {
        if local < self.sip_count {
            local * self.nodes_per_sip
        } else {
            self.sip_count * self.nodes_per_sip + local - self.sip_count
        }
    }

    /// Appends the template path `from -> to` (local to a SIP) shifted to SIP `rank`, as a
    /// piece of the route between `ends`, destination first.
    fn push_template(
        &self,
        ends: Ends,
        rank: usize,
        (from, to): (usize, usize),
        out: &mut Vec<EdgeIndex>,
    ) -> bool {
        let tree =
            self.template_trees[from].get_or_init(|| shortest_path_tree(&self.template, from));
        let (node_shift, edge_shift) = (rank * self.nodes_per_sip, rank * self.edges_per_sip);
        // Template edges and nodes are SIP 0's, whose global indices are local ones.
        let piece = Piece {
            tree,
            adjacency: &self.template,
            global: |l| l + node_shift,
            edge: |e| EdgeIndex::new(e + edge_shift),
        };
        piece.walk(ends, from, to, out)
    }

    /// Appends the hub-graph path `from -> to` (hub-graph local indices) as a piece of the
    /// route between `ends`, destination first.
    fn push_hubs(&self, ends: Ends, (from, to): (usize, usize), out: &mut Vec<EdgeIndex>) -> bool {
        let global = |l| self.hub_global(l);
        match self.hub_trees.get(from) {
            Some(tree) => Piece {
                tree: tree.get_or_init(|| shortest_path_tree(&self.hubs, from)),
                adjacency: &self.hubs,
                global,
                edge: EdgeIndex::new,
            }
            .walk(ends, from, to, out),
            None => Piece {
                tree: &search_to(&self.hubs, from, to),
                adjacency: &self.hubs,
                global,
                edge: EdgeIndex::new,
            }
            .walk(ends, from, to, out),
        }
    }

    /// The route between two global nodes (both < node count), or `None` if unreachable.
    pub(crate) fn route(
        &self,
        graph: &DiGraph<Node, Link, u32>,
        from: NodeIndex,
        to: NodeIndex,
    ) -> Option<Route> {
        let (a, b) = (from.index(), to.index());
        let ends = Ends {
            source: a,
            destination: b,
        };
        let mut edges = Vec::new();
        let nps = self.nodes_per_sip;
        let found = match (self.sip_of(a), self.sip_of(b)) {
            _ if a == b => true,
            (Some(x), Some(y)) if x == y => {
                self.push_template(ends, x, (a - x * nps, b - x * nps), &mut edges)
            }
            (sa, sb) => {
                // Walked destination first, as the whole-graph rule walks back from it; each
                // piece is appended reversed and the whole reversed at the end.
                let mut ok = true;
                if let Some(y) = sb {
                    ok &= self.push_template(ends, y, (0, b - y * nps), &mut edges);
                }
                let hub_a = sa.map_or(self.hub_local(a), |x| x);
                let hub_b = sb.map_or(self.hub_local(b), |y| y);
                ok &= self.push_hubs(ends, (hub_a, hub_b), &mut edges);
                if let Some(x) = sa {
                    ok &= self.push_template(ends, x, (a - x * nps, 0), &mut edges);
                }
                ok
            }
        };
        edges.reverse();
        found.then(|| {
            let latency = edges
                .iter()
                .fold(SimTime::ZERO, |sum, &e| sum + graph[e].latency);
            Route { edges, latency }
        })
    }
}

/// The two ends of a route, global node indices: a tie is chosen by them (see [`pick`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ends {
    source: usize,
    destination: usize,
}

/// A shortest-path tree of one piece's graph, that graph, and its index maps: `global` from
/// the graph's node to the real global node, `edge` from the graph's edge (SIP 0's for the
/// template) to the edge to append.
struct Piece<'a, T, G, E> {
    tree: &'a T,
    adjacency: &'a Adjacency,
    global: G,
    edge: E,
}

impl<T, G, E> Piece<'_, T, G, E>
where
    T: LastHops,
    G: Fn(usize) -> usize,
    E: Fn(usize) -> EdgeIndex,
{
    /// Appends the path `from -> to` to `out` *destination first*, choosing each tie by
    /// [`pick`] for `ends`. Returns false (and appends nothing) if `to` is unreachable.
    fn walk(&self, ends: Ends, from: usize, to: usize, out: &mut Vec<EdgeIndex>) -> bool {
        let start = out.len();
        let mut node = to;
        while node != from {
            let choose = |k| pick(ends.source, ends.destination, (self.global)(node), k);
            let Some(arc) = self.tree.last_hop(self.adjacency, node, choose) else {
                out.truncate(start);
                return false;
            };
            out.push((self.edge)(arc.edge as usize));
            node = arc.end as usize;
        }
        true
    }
}

/// The route by a shortest-path tree of the whole graph (`tree` from `from`) with the same tie
/// rule: the reference the router is tested against.
#[cfg(test)]
pub(crate) fn whole_graph_route(
    adjacency: &Adjacency,
    tree: &Tree,
    from: NodeIndex,
    to: NodeIndex,
) -> Option<Vec<EdgeIndex>> {
    let piece = Piece {
        tree,
        adjacency,
        global: |g| g,
        edge: EdgeIndex::new,
    };
    let ends = Ends {
        source: from.index(),
        destination: to.index(),
    };
    let mut out = Vec::new();
    piece
        .walk(ends, from.index(), to.index(), &mut out)
        .then(|| {
            out.reverse();
            out
        })
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

    /// The hub of SIP `rank` of cube 0.
    fn hub(rank: usize) -> String {
        format!("c0.s{rank}.hub")
    }

    /// The directed ring links (between hubs) a route crosses, as `(from rank, to rank)`.
    fn ring_links(topo: &Topology, route: &Route) -> Vec<(u32, u32)> {
        let rank = |n: NodeIndex| match topo.node(n) {
            crate::Node::Hub(sip) => Some(sip.sip),
            _ => None,
        };
        route
            .edges()
            .iter()
            .filter_map(|&e| topo.link_ends(e))
            .filter_map(|(a, b)| Some((rank(a)?, rank(b)?)))
            .collect()
    }

    #[test]
    fn antipodal_ring_flows_alternate_direction_with_the_source_parity() {
        let topo = bundled("ring8.ron");
        // Hub indices are 11 * rank, so their parity is the rank's: even ranks go down the
        // ring (through rank - 1), odd ranks up (through rank + 1).
        let second = |i: usize| visits(&topo, &route(&topo, &hub(i), &hub((i + 4) % 8)))[0].clone();
        assert_eq!(
            (0..4).map(second).collect::<Vec<_>>(),
            [hub(7), hub(2), hub(1), hub(4)]
        );
        // All 8 flows i -> i + 4: each of the 16 directed ring links carries exactly 2.
        let mut load: std::collections::BTreeMap<(u32, u32), u32> = Default::default();
        for i in 0..8 {
            for link in ring_links(&topo, &route(&topo, &hub(i), &hub((i + 4) % 8))) {
                *load.entry(link).or_default() += 1;
            }
        }
        assert_eq!(load.len(), 16);
        assert!(load.values().all(|&n| n == 2), "{load:?}");
    }

    #[test]
    fn opposite_flows_over_a_ring_tie_go_round_the_same_way_when_half_the_ring_is_even() {
        let Some((_, text)) = BUNDLED.iter().find(|(f, _)| *f == "ring8.ron") else {
            panic!("ring8.ron is bundled")
        };
        for (n, same_way) in [(8, true), (6, false)] {
            let text = text.replace("per_cube: 8", &format!("per_cube: {n}"));
            let topo = Topology::from_ron_str(&text, "t.ron").unwrap_or_else(|e| panic!("{e}"));
            for i in 0..n / 2 {
                let there = ring_links(&topo, &route(&topo, &hub(i), &hub(i + n / 2)));
                let back = ring_links(&topo, &route(&topo, &hub(i + n / 2), &hub(i)));
                let up = |links: &[(u32, u32)]| links[0].1 == (links[0].0 + 1) % n as u32;
                // Round the same way is "up" both times or "down" both times: then the two
                // halves of the ring, no link shared; opposite ways cross the same cables.
                assert_eq!(up(&there) == up(&back), same_way, "ring of {n}, {i}");
                if same_way {
                    assert!(there.iter().all(|l| !back.contains(l)));
                } else {
                    assert!(there.iter().all(|&(a, b)| back.contains(&(b, a))));
                }
            }
        }
    }

    #[test]
    fn torus_ties_mix_dimension_orders() {
        let topo = bundled("torus4x4.ron");
        // s0 -> s5 is (0,0) -> (1,1): via s1 (along the row first) or via s4 (along the column).
        assert_eq!(
            visits(&topo, &route(&topo, &hub(0), &hub(5))),
            [hub(1), hub(5)]
        );
        assert_eq!(
            visits(&topo, &route(&topo, &hub(1), &hub(6))),
            [hub(5), hub(6)]
        );
        // From every SIP to its diagonal neighbour (r + 1, c + 1): both orders. The tie order
        // is (from the row above, from the left) at most SIPs, so even columns go along the
        // row first and odd ones along the column; where a row wraps (into column 0, from
        // column 3, which is above it) the order turns round, so 12 go along the row first.
        let row_first = (0..16)
            .filter(|&s| {
                let (r, c) = (s / 4, s % 4);
                let t = (r + 1) % 4 * 4 + (c + 1) % 4;
                let first = visits(&topo, &route(&topo, &hub(s), &hub(t)))[0].clone();
                first == hub(r * 4 + (c + 1) % 4)
            })
            .count();
        assert_eq!(row_first, 12);
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
        // Two equal paths: switch first or rail first, tied at c1.s1.hub. Its tie order is
        // (c1.sw, rail1.sw): both above it, cube switches numbered first; (s + t + v) is even,
        // so the first.
        let index = |n: &str| {
            let node = n.parse().unwrap_or_else(|e| panic!("{e}"));
            topo.node_index(node).map_or(usize::MAX, |i| i.index())
        };
        assert_eq!(
            (index("c0.s0.p0") + index("c1.s1.p0") + index("c1.s1.hub")) % 2,
            0
        );
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
    fn routes_searched_one_by_one_equal_the_routes_of_the_trees() {
        let mut pairs: Vec<(Topology, Topology)> = BUNDLED
            .iter()
            .map(|&(file, _)| (bundled(file), bundled(file).searching_routes()))
            .collect();
        pairs.push((switched(), switched().searching_routes()));
        for text in ["torus:4x4", "cubes:3x4", "mesh:3x4", "ring:9"] {
            let generated = || Topology::generated(text).unwrap_or_else(|e| panic!("{e}"));
            pairs.push((generated(), generated().searching_routes()));
        }
        for (trees, searched) in &pairs {
            assert!(trees.keeps_route_trees() && !searched.keeps_route_trees());
            let n = trees.graph().node_count();
            let step = if n > 300 { 29 } else { 1 };
            for source in (0..n).step_by(step).map(NodeIndex::new) {
                for target in trees.graph().node_indices() {
                    let (Ok(a), Ok(b)) =
                        (trees.route(source, target), searched.route(source, target))
                    else {
                        panic!("{}: no route", trees.name());
                    };
                    assert_eq!(a, b, "{}: {source:?} -> {target:?}", trees.name());
                }
            }
        }
    }

    #[test]
    fn a_machine_too_large_for_a_tree_per_sip_routes_by_search() {
        let topo = Topology::generated("ring:65536").unwrap_or_else(|e| panic!("{e}"));
        assert!(!topo.keeps_route_trees());
        assert_eq!(route(&topo, &hub(0), &hub(1)).hops(), 1);
        assert_eq!(route(&topo, &hub(0), &hub(65535)).hops(), 1);
        assert_eq!(route(&topo, &hub(5), &hub(105)).hops(), 100);
        // Antipodal: either way round is 32,768 hops.
        assert_eq!(route(&topo, &hub(0), &hub(32768)).hops(), 32768);
        let small = Topology::generated("ring:4096").unwrap_or_else(|e| panic!("{e}"));
        assert!(small.keeps_route_trees());
    }

    #[test]
    fn assembled_routes_equal_a_dijkstra_on_the_whole_graph() {
        let mut topologies: Vec<(&str, Topology)> = BUNDLED
            .iter()
            .map(|&(file, _)| (file, bundled(file)))
            .collect();
        topologies.push(("switched", switched()));
        for (file, topo) in &topologies {
            let graph = topo.graph();
            let whole = Adjacency::whole(graph);
            let n = graph.node_count();
            // Every source on small graphs; a spread of sources on ring64 to keep the test fast.
            let step = if n > 300 { 13 } else { 1 };
            let mut tied = 0;
            for source in (0..n).step_by(step).map(NodeIndex::new) {
                let tree = shortest_path_tree(&whole, source.index());
                let lists = tree_with_masks_up_to(&whole, source.index(), 0);
                // An independent check of the distances: petgraph's Dijkstra on latency alone.
                let reference =
                    petgraph::algo::dijkstra(graph, source, None, |e| e.weight().latency.as_ps());
                for target in graph.node_indices() {
                    let expected = whole_graph_route(&whole, &tree, source, target)
                        .unwrap_or_else(|| panic!("{}: no path", topo.name()));
                    // The lists of tied hops for nodes of many links give the same routes.
                    assert_eq!(
                        whole_graph_route(&whole, &lists, source, target).as_ref(),
                        Some(&expected)
                    );
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
                    let heads = got.edges().iter().filter_map(|&e| topo.link_ends(e));
                    tied += usize::from(
                        heads
                            .into_iter()
                            .any(|(_, b)| tree.count(&whole, b.index()) > 1),
                    );
                }
            }
            // The comparison covers the choice among ties: every topology here has some but
            // default.ron (a one-way PE ring, two SIPs joined directly).
            assert_eq!(
                tied > 0,
                *file != "default.ron",
                "{file}: {tied} tied routes"
            );
        }
    }
}
