//! [`Topology`]: a validated spec turned into a `petgraph` graph, with routes.
//!
//! Loading goes RON text -> [`TopologySpec`] (serde) -> checks -> graph -> connectivity check.

use std::path::Path;

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use ron::extensions::Extensions;

use crate::coords::{Node, PeId, SipId, SwitchId};
use crate::error::ModelError;
use crate::link::{Link, LinkClass};
use crate::routing::{Route, Router};
use crate::spec::{MemoryKind, MemorySpec, Shape, TopologySpec};
use crate::units::{Bandwidth, Bytes};
use crate::validate::{CUBE_LEVEL, PE_LEVEL, SIP_LEVEL, check_connected, check_spec, level_links};

/// The graph type: nodes are [`Node`]s, edges directed [`Link`]s, `u32` indices.
pub type TopologyGraph = DiGraph<Node, Link, u32>;

/// A validated machine: its spec, its graph and its routes.
///
/// # Layout of the graph
/// Nodes are laid out SIP by SIP in rank order (`rank = cube * sips_per_cube + sip`); inside a
/// SIP: hub, SRAM, HBM, then PE 0, TCM 0, PE 1, TCM 1, ... Then the switches: one per cube
/// (`c0.sw`) if the SIP shape is `Switch`, then one per rail (`rail0.sw`) if the cube shape is
/// `Switch`. Edges are laid out the same way: each SIP's internal links (hub<->SRAM,
/// hub<->HBM, per PE: PE<->TCM and PE<->hub, then the NoC links), then the SIP-level links cube
/// by cube, then the cube-level links rail by rail. So node and edge indices of SIP `r` are
/// those of SIP 0 plus a fixed offset, which routing relies on.
///
/// ```
/// use kernbench_model::{Node, Topology};
/// let topo = Topology::load("../topologies/default.ron")?;
/// assert_eq!((topo.cube_count(), topo.sip_count(), topo.pes_per_sip()), (1, 2, 4));
/// let a = topo.node_index("c0.s0.p0".parse()?).ok_or("no such node")?;
/// let b = topo.node_index("c0.s1.hbm".parse()?).ok_or("no such node")?;
/// let route = topo.route(a, b)?;
/// // p0 -> hub -> other hub -> HBM
/// assert_eq!(route.hops(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Topology {
    spec: TopologySpec,
    graph: TopologyGraph,
    nodes_per_sip: u32,
    router: Router,
    /// Cycles of neighbouring SIPs, found on first use ([`Topology::sip_cycles`]).
    cycles: std::sync::OnceLock<Vec<crate::cycles::SipCycle>>,
    /// A cycle inside a cube, found on first use ([`Topology::cube_cycle`]).
    cube_cycle: std::sync::OnceLock<Option<crate::cycles::SipCycle>>,
}

impl Topology {
    /// Reads, parses and validates a RON topology file.
    ///
    /// # Errors
    /// [`ModelError::Io`] if the file cannot be read, [`ModelError::FileTooLarge`] past
    /// [`crate::limits::MAX_INPUT_FILE`]; otherwise as [`Topology::from_ron_str`], with the path
    /// as origin.
    pub fn load(path: impl AsRef<Path>) -> Result<Topology, ModelError> {
        let path = path.as_ref();
        let text = crate::read_input_file(path)?;
        Topology::from_ron_str(&text, &path.display().to_string())
    }

    /// Parses and validates RON text; `origin` names it in errors (usually the file name).
    ///
    /// `Some(...)` may be left out around optional values (RON's `implicit_some` is on).
    ///
    /// # Errors
    /// [`ModelError::Syntax`] with line and column for malformed RON, unknown or missing fields
    /// and bad unit strings; the semantic variants (with the field path) for everything else.
    pub fn from_ron_str(text: &str, origin: &str) -> Result<Topology, ModelError> {
        let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
        let spec: TopologySpec = options.from_str(text).map_err(|e| ModelError::Syntax {
            origin: origin.to_owned(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })?;
        Topology::from_spec(spec, origin)
    }

    /// Validates a spec and builds the graph and the router.
    ///
    /// # Errors
    /// Zero or absurd values, shapes that do not fit, bad explicit links, a disconnected graph.
    pub fn from_spec(spec: TopologySpec, origin: &str) -> Result<Topology, ModelError> {
        check_spec(&spec, origin)?;
        let pe_links = level_links(&spec.pes.noc.shape, spec.pes.per_sip, PE_LEVEL, origin)?;
        let sip_links = level_links(
            &spec.sips.links.shape,
            spec.sips.per_cube,
            SIP_LEVEL,
            origin,
        )?;
        let cube_links = match &spec.cubes.links {
            Some(links) => level_links(&links.shape, spec.cubes.count, CUBE_LEVEL, origin)?,
            None => Vec::new(),
        };
        let (graph, nodes_per_sip, edges_per_sip) =
            build_graph(&spec, &pe_links, &sip_links, &cube_links);
        check_connected(&graph, origin)?;
        let sip_count = spec.cubes.count as usize * spec.sips.per_cube as usize;
        let router = Router::new(&graph, nodes_per_sip as usize, edges_per_sip, sip_count);
        Ok(Topology {
            spec,
            graph,
            nodes_per_sip,
            router,
            cycles: std::sync::OnceLock::new(),
            cube_cycle: std::sync::OnceLock::new(),
        })
    }

    /// Cycles through every SIP along the wiring, edge-disjoint, found once on first use
    /// (see [`crate::cycles`]): the orders a wiring-aware ring walks. Empty when the search
    /// found none (a ring then walks rank order).
    pub fn sip_cycles(&self) -> &[crate::cycles::SipCycle] {
        self.cycles.get_or_init(|| crate::cycles::find(self))
    }

    /// A cycle through the SIPs of a cube along the links inside it, as SIP indices (every
    /// cube is alike), found once on first use; `None` where there is none (or fewer than 3
    /// SIPs per cube). Hierarchical schedules walk it inside each cube.
    pub fn cube_cycle(&self) -> Option<&crate::cycles::SipCycle> {
        self.cube_cycle
            .get_or_init(|| crate::cycles::find_in_cube(self))
            .as_ref()
    }

    /// The topology's name, from the file.
    pub fn name(&self) -> &str {
        &self.spec.name
    }
    /// The spec it was built from.
    pub fn spec(&self) -> &TopologySpec {
        &self.spec
    }
    /// The graph.
    pub fn graph(&self) -> &TopologyGraph {
        &self.graph
    }
    /// Number of cubes.
    pub fn cube_count(&self) -> u32 {
        self.spec.cubes.count
    }
    /// SIPs in each cube.
    pub fn sips_per_cube(&self) -> u32 {
        self.spec.sips.per_cube
    }
    /// PEs in each SIP.
    pub fn pes_per_sip(&self) -> u32 {
        self.spec.pes.per_sip
    }
    /// SIPs in all, which is the world size (one SIP = one rank).
    pub fn sip_count(&self) -> u32 {
        // ok: validation keeps the product at or below 65,536.
        self.cube_count() * self.sips_per_cube()
    }
    /// PEs in all.
    pub fn pe_count(&self) -> u64 {
        u64::from(self.sip_count()) * u64::from(self.pes_per_sip())
    }
    /// The SIPs in rank order.
    pub fn sips(&self) -> impl Iterator<Item = SipId> + '_ {
        (0..self.sip_count()).filter_map(|rank| self.sip_of_rank(rank))
    }
    /// The PEs of `sip`, by PE index (empty if `sip` is not in this topology).
    pub fn pes(&self, sip: SipId) -> impl Iterator<Item = PeId> + use<> {
        let count = if self.contains_sip(sip) {
            self.pes_per_sip()
        } else {
            0
        };
        (0..count).map(move |pe| sip.pe(pe))
    }
    /// The SIP of rank `rank` (`rank = cube * sips_per_cube + sip`), if there is one.
    pub fn sip_of_rank(&self, rank: u32) -> Option<SipId> {
        (rank < self.sip_count()).then(|| SipId {
            cube: rank / self.sips_per_cube(),
            sip: rank % self.sips_per_cube(),
        })
    }
    /// The rank of `sip` (`cube * sips_per_cube + sip`), if it is in this topology.
    pub fn rank_of(&self, sip: SipId) -> Option<u32> {
        self.contains_sip(sip)
            .then(|| sip.cube * self.sips_per_cube() + sip.sip)
    }
    fn contains_sip(&self, sip: SipId) -> bool {
        sip.cube < self.cube_count() && sip.sip < self.sips_per_cube()
    }

    /// The graph index of `node`, or `None` if this topology has no such node. Computed from the
    /// layout, no lookup table.
    pub fn node_index(&self, node: Node) -> Option<NodeIndex> {
        let per_sip = self.nodes_per_sip as usize;
        let in_sip = |sip: SipId, offset: usize| {
            self.rank_of(sip)
                .map(|rank| rank as usize * per_sip + offset)
        };
        let pe_offset = |pe: PeId, extra: usize| {
            (pe.pe < self.pes_per_sip()).then(|| 3 + 2 * pe.pe as usize + extra)
        };
        let index = match node {
            Node::Hub(sip) => in_sip(sip, 0),
            Node::Sram(sip) => in_sip(sip, 1),
            Node::Hbm(sip) => in_sip(sip, 2),
            Node::Pe(pe) => pe_offset(pe, 0).and_then(|o| in_sip(pe.sip_id(), o)),
            Node::Tcm(pe) => pe_offset(pe, 1).and_then(|o| in_sip(pe.sip_id(), o)),
            Node::Switch(_) => {
                let base = self.sip_count() as usize * per_sip;
                (base..self.graph.node_count()).find(|&i| self.graph[NodeIndex::new(i)] == node)
            }
        }?;
        // The layout formula and the graph agree by construction; check anyway.
        let index = NodeIndex::new(index);
        (self.graph.node_weight(index) == Some(&node)).then_some(index)
    }

    /// The node at `index`.
    ///
    /// # Panics
    /// If `index` is not from this topology; see [`Topology::try_node`].
    pub fn node(&self, index: NodeIndex) -> Node {
        self.graph[index]
    }
    /// The node at `index`, or `None` if there is none.
    pub fn try_node(&self, index: NodeIndex) -> Option<Node> {
        self.graph.node_weight(index).copied()
    }
    /// The link at `index`.
    ///
    /// # Panics
    /// If `index` is not from this topology; see [`Topology::try_link`].
    pub fn link(&self, index: EdgeIndex) -> &Link {
        &self.graph[index]
    }
    /// The link at `index`, or `None` if there is none.
    pub fn try_link(&self, index: EdgeIndex) -> Option<&Link> {
        self.graph.edge_weight(index)
    }
    /// The two ends of link `index`, or `None` if there is none.
    pub fn link_ends(&self, index: EdgeIndex) -> Option<(NodeIndex, NodeIndex)> {
        self.graph.edge_endpoints(index)
    }

    /// This topology with its router searching every route between hubs one by one, as it
    /// does on machines too large to keep a tree per source.
    #[cfg(test)]
    pub(crate) fn searching_routes(mut self) -> Topology {
        self.router.drop_trees();
        self
    }

    /// Whether the router keeps a shortest-path tree per hub (see [`crate::routing`]).
    #[cfg(test)]
    pub(crate) fn keeps_route_trees(&self) -> bool {
        self.router.keeps_trees()
    }

    /// The deterministic shortest route from `from` to `to` (see [`crate::routing`] for the
    /// choice among tied paths). Allocates the returned list: route once per transfer, not per
    /// packet.
    ///
    /// # Errors
    /// [`ModelError::NoSuchNode`] if either index is not in this topology.
    pub fn route(&self, from: NodeIndex, to: NodeIndex) -> Result<Route, ModelError> {
        for index in [from, to] {
            if index.index() >= self.graph.node_count() {
                return Err(ModelError::NoSuchNode {
                    node: format!("index {}", index.index()),
                    topology: self.name().to_owned(),
                });
            }
        }
        // Validation proved every node reaches every other, so `None` cannot happen.
        self.router
            .route(&self.graph, from, to)
            .ok_or_else(|| ModelError::Disconnected {
                origin: self.name().to_owned(),
                from: self.node(from).to_string(),
                to: self.node(to).to_string(),
            })
    }

    /// The route between two nodes given as coordinates.
    ///
    /// # Errors
    /// [`ModelError::NoSuchNode`] if either node is not in this topology.
    pub fn route_between(&self, from: Node, to: Node) -> Result<Route, ModelError> {
        let index = |node: Node| {
            self.node_index(node).ok_or_else(|| ModelError::NoSuchNode {
                node: node.to_string(),
                topology: self.name().to_owned(),
            })
        };
        self.route(index(from)?, index(to)?)
    }

    /// Transfers are cut into packets of this size.
    pub fn packet_size(&self) -> Bytes {
        self.spec.packet_size
    }
    /// The spec of one kind of memory (TCM is per PE, SRAM and HBM per SIP).
    pub fn memory(&self, kind: MemoryKind) -> &MemorySpec {
        self.spec.memory.get(kind)
    }
    /// Per PE: bytes of input reduced per second.
    pub fn reduce_throughput(&self) -> Bandwidth {
        self.spec.reduce_throughput
    }
}

/// Builds the graph in the layout documented on [`Topology`]; returns it with the number of
/// nodes and of edges per SIP.
fn build_graph(
    spec: &TopologySpec,
    pe_links: &[(u32, u32)],
    sip_links: &[(u32, u32)],
    cube_links: &[(u32, u32)],
) -> (TopologyGraph, u32, usize) {
    let cubes = spec.cubes.count;
    let per_cube = spec.sips.per_cube;
    let per_sip = spec.pes.per_sip;
    let nodes_per_sip = 3 + 2 * per_sip;
    let sip_count = cubes as usize * per_cube as usize;
    let mut graph = TopologyGraph::with_capacity(sip_count * nodes_per_sip as usize, 0);
    let memory = |kind: MemoryKind, class: LinkClass| {
        let m = spec.memory.get(kind);
        Link {
            bandwidth: m.bandwidth,
            latency: m.latency,
            class,
        }
    };
    let tcm = memory(MemoryKind::Tcm, LinkClass::Tcm);
    let sram = memory(MemoryKind::Sram, LinkClass::Sram);
    let hbm = memory(MemoryKind::Hbm, LinkClass::Hbm);
    let port = Link {
        bandwidth: spec.pes.port.bandwidth,
        latency: spec.pes.port.latency,
        class: LinkClass::Port,
    };
    let noc = link_of(&spec.pes.noc, LinkClass::Noc);
    let duplex = |graph: &mut TopologyGraph, a: NodeIndex, b: NodeIndex, link: Link| {
        graph.add_edge(a, b, link);
        graph.add_edge(b, a, link);
    };

    let mut hubs = Vec::with_capacity(sip_count);
    let mut edges_per_sip = 0;
    for cube in 0..cubes {
        for sip in 0..per_cube {
            let id = SipId { cube, sip };
            let edges_before = graph.edge_count();
            let hub = graph.add_node(Node::Hub(id));
            let sram_node = graph.add_node(Node::Sram(id));
            let hbm_node = graph.add_node(Node::Hbm(id));
            let mut pes = Vec::with_capacity(per_sip as usize);
            for pe in 0..per_sip {
                let pe_node = graph.add_node(Node::Pe(id.pe(pe)));
                let tcm_node = graph.add_node(Node::Tcm(id.pe(pe)));
                pes.push((pe_node, tcm_node));
            }
            duplex(&mut graph, hub, sram_node, sram);
            duplex(&mut graph, hub, hbm_node, hbm);
            for &(pe_node, tcm_node) in &pes {
                duplex(&mut graph, pe_node, tcm_node, tcm);
                duplex(&mut graph, pe_node, hub, port);
            }
            for &(a, b) in pe_links {
                graph.add_edge(pes[a as usize].0, pes[b as usize].0, noc);
            }
            edges_per_sip = graph.edge_count() - edges_before;
            hubs.push(hub);
        }
    }
    let hub = |cube: u32, sip: u32| hubs[(cube * per_cube + sip) as usize];

    // SIP level, cube by cube.
    let sip_link = link_of(&spec.sips.links, LinkClass::SipLink);
    if spec.sips.links.shape == Shape::Switch {
        let switch_link = Link {
            class: LinkClass::SipSwitch,
            ..sip_link
        };
        for cube in 0..cubes {
            let switch = graph.add_node(Node::Switch(SwitchId::Cube(cube)));
            for sip in 0..per_cube {
                duplex(&mut graph, hub(cube, sip), switch, switch_link);
            }
        }
    } else {
        for cube in 0..cubes {
            for &(a, b) in sip_links {
                graph.add_edge(hub(cube, a), hub(cube, b), sip_link);
            }
        }
    }

    // Cube level, rail by rail: SIP `s` of every cube.
    if let Some(links) = &spec.cubes.links {
        let cube_link = link_of(links, LinkClass::CubeLink);
        if links.shape == Shape::Switch {
            let switch_link = Link {
                class: LinkClass::CubeSwitch,
                ..cube_link
            };
            for sip in 0..per_cube {
                let switch = graph.add_node(Node::Switch(SwitchId::Rail(sip)));
                for cube in 0..cubes {
                    duplex(&mut graph, hub(cube, sip), switch, switch_link);
                }
            }
        } else {
            for sip in 0..per_cube {
                for &(a, b) in cube_links {
                    graph.add_edge(hub(a, sip), hub(b, sip), cube_link);
                }
            }
        }
    }
    (graph, nodes_per_sip, edges_per_sip)
}

fn link_of(spec: &crate::spec::LinkSpec, class: LinkClass) -> Link {
    Link {
        bandwidth: spec.bandwidth,
        latency: spec.latency,
        class,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{BUNDLED, bundled, default_with};

    fn edge_between(topo: &Topology, a: &str, b: &str) -> Option<Link> {
        let (Ok(a), Ok(b)) = (a.parse(), b.parse()) else {
            panic!("bad coordinate")
        };
        let (a, b) = (topo.node_index(a)?, topo.node_index(b)?);
        topo.graph().find_edge(a, b).map(|e| *topo.link(e))
    }

    #[test]
    fn every_bundled_file_loads_with_its_counts() {
        let expected = [
            ("default.ron", 1, 2, 4),
            ("ring8.ron", 1, 8, 4),
            ("mesh2x2.ron", 1, 4, 4),
            ("torus4x4.ron", 1, 16, 4),
            ("multicube2x4.ron", 2, 8, 8),
            ("ring64.ron", 1, 64, 4),
        ];
        assert_eq!(expected.len(), BUNDLED.len());
        for (name, cubes, sips, pes) in expected {
            let topo = bundled(name);
            assert_eq!(
                (topo.cube_count(), topo.sip_count(), topo.pes_per_sip()),
                (cubes, sips, pes),
                "{name}"
            );
        }
        let topo = Topology::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../topologies/default.ron"
        ));
        assert!(topo.is_ok());
    }

    #[test]
    fn the_default_graph_has_the_documented_nodes_and_links() {
        let topo = bundled("default.ron");
        // Per SIP: hub, SRAM, HBM, 4 x (PE, TCM).
        assert_eq!(topo.graph().node_count(), 2 * 11);
        // Per SIP: 2 SRAM + 2 HBM + 4 x (2 TCM + 2 port) + 4 NoC; plus 2 SIP links.
        assert_eq!(topo.graph().edge_count(), 2 * 24 + 2);
        let port = edge_between(&topo, "c0.s1.p3", "c0.s1.hub");
        assert_eq!(
            port.map(|l| (l.class, l.latency)),
            Some((LinkClass::Port, SimTime::from_ns(10)))
        );
        let hbm = edge_between(&topo, "c0.s0.hbm", "c0.s0.hub");
        assert_eq!(
            hbm.map(|l| l.bandwidth.to_string()),
            Some("3.2 TB/s".to_owned())
        );
        assert_eq!(
            edge_between(&topo, "c0.s0.p3", "c0.s0.p0").map(|l| l.class),
            Some(LinkClass::Noc)
        );
        assert_eq!(
            edge_between(&topo, "c0.s0.p0", "c0.s0.p3"),
            None,
            "the NoC ring is one-way"
        );
        assert_eq!(
            edge_between(&topo, "c0.s0.hub", "c0.s1.hub").map(|l| l.class),
            Some(LinkClass::SipLink)
        );
    }

    use kernbench_engine::SimTime;

    #[test]
    fn cube_links_join_the_same_sip_index_across_cubes() {
        let topo = bundled("multicube2x4.ron");
        let link = edge_between(&topo, "c0.s3.hub", "c1.s3.hub");
        assert_eq!(link.map(|l| l.class), Some(LinkClass::CubeLink));
        assert!(edge_between(&topo, "c1.s3.hub", "c0.s3.hub").is_some());
        assert_eq!(edge_between(&topo, "c0.s3.hub", "c1.s2.hub"), None);
        // 4 rails x 2 directions of cube links; 2 cubes x 12 SIP links.
        let count = |class| {
            topo.graph()
                .edge_weights()
                .filter(|l| l.class == class)
                .count()
        };
        assert_eq!(count(LinkClass::CubeLink), 8);
        assert_eq!(count(LinkClass::SipLink), 24);
    }

    #[test]
    fn switch_shapes_add_switch_nodes() {
        let text = default_with("shape: FullyConnected", "shape: Switch")
            .replace("per_cube: 2", "per_cube: 3")
            .replace(
                "cubes: (count: 1)",
                r#"cubes: (count: 2, links: (shape: Switch, bandwidth: "50GB/s", latency: "1us"))"#,
            );
        let topo = Topology::from_ron_str(&text, "t.ron").unwrap_or_else(|e| panic!("{e}"));
        let count = |class| {
            topo.graph()
                .edge_weights()
                .filter(|l| l.class == class)
                .count()
        };
        assert_eq!(count(LinkClass::SipSwitch), 2 * 3 * 2);
        assert_eq!(count(LinkClass::CubeSwitch), 3 * 2 * 2);
        assert_eq!(count(LinkClass::SipLink) + count(LinkClass::CubeLink), 0);
        assert!(edge_between(&topo, "c1.s2.hub", "c1.sw").is_some());
        assert!(edge_between(&topo, "rail2.sw", "c0.s2.hub").is_some());
        assert_eq!(edge_between(&topo, "rail2.sw", "c0.s1.hub"), None);
    }

    #[test]
    fn node_indices_round_trip_and_ranks_follow_cubes() {
        for (name, _) in BUNDLED {
            let topo = bundled(name);
            for index in topo.graph().node_indices() {
                assert_eq!(topo.node_index(topo.node(index)), Some(index), "{name}");
            }
        }
        let topo = bundled("multicube2x4.ron");
        let sips: Vec<String> = topo.sips().map(|s| s.to_string()).collect();
        assert_eq!(sips[3..6], ["c0.s3", "c1.s0", "c1.s1"]);
        assert_eq!(topo.sip_of_rank(5), Some(SipId { cube: 1, sip: 1 }));
        assert_eq!(topo.rank_of(SipId { cube: 1, sip: 1 }), Some(5));
        assert_eq!(topo.sip_of_rank(8), None);
        assert_eq!(topo.rank_of(SipId { cube: 2, sip: 0 }), None);
        assert_eq!(topo.pes(SipId { cube: 1, sip: 0 }).count(), 8);
        assert_eq!(topo.pes(SipId { cube: 1, sip: 9 }).count(), 0);
        assert_eq!(
            topo.node_index(Node::Pe(PeId {
                cube: 0,
                sip: 0,
                pe: 8
            })),
            None
        );
        assert_eq!(topo.node_index(Node::Switch(SwitchId::Cube(0))), None);
        assert_eq!(topo.memory(MemoryKind::Tcm).capacity, Bytes(2 << 20));
        assert_eq!(topo.packet_size(), Bytes(4096));
        assert_eq!(topo.reduce_throughput().to_string(), "512 GB/s");
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_it() {
        let Err(e) = Topology::load("/nonexistent/x.ron") else {
            panic!("loaded")
        };
        assert!(
            e.to_string()
                .starts_with("cannot read /nonexistent/x.ron: "),
            "{e}"
        );
        assert!(
            e.to_string()
                .ends_with("; check that the file exists and is readable"),
            "{e}"
        );
    }

    #[test]
    fn no_prefix_of_a_valid_file_panics() {
        // Up to (not including) the closing parenthesis.
        let text = BUNDLED[0].1.trim_end().trim_end_matches(')');
        for (end, _) in text.char_indices() {
            // Every truncation is an error, never a panic.
            assert!(Topology::from_ron_str(&text[..end], "t.ron").is_err());
        }
    }

    #[test]
    fn a_ring_of_1024_sips_routes_without_an_all_pairs_table() {
        let text = default_with("per_cube: 2", "per_cube: 1024").replace("FullyConnected", "Ring");
        let topo = Topology::from_ron_str(&text, "t.ron").unwrap_or_else(|e| panic!("{e}"));
        let (Ok(from), Ok(to)) = ("c0.s1.p0".parse(), "c0.s0.p0".parse()) else {
            panic!()
        };
        let route = topo
            .route_between(from, to)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(route.hops(), 1023 + 2);
        assert_eq!(route.latency(), SimTime::from_ns(1023 * 500 + 20));
    }
}
