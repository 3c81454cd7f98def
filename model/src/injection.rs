//! The injection bound of a topology ([`Topology::injection_bandwidth`]): how fast the
//! slowest SIP can push bytes into the network, the ceiling of every bus bandwidth figure.

use petgraph::Direction;

use crate::coords::Node;
use crate::link::LinkClass;
use crate::topology::Topology;
use crate::units::Bandwidth;

impl Topology {
    /// The injection bound: the smallest, over the SIPs, of a SIP's total egress bandwidth
    /// towards other SIPs; `None` for a machine of one SIP.
    ///
    /// # Which links count
    /// The directed links that leave a SIP's hub towards another SIP or a switch: SIP links,
    /// cube links and the hub-to-switch links of `Switch` shapes
    /// ([`LinkClass::is_between_sips`](crate::LinkClass::is_between_sips)), each once. Not the
    /// ports to the SIP's own PEs, nor its memories, nor the NoC: bytes that stay inside a SIP
    /// are no collective traffic. A switch's own outgoing links do not count: what leaves a
    /// switch entered it from some SIP's hub, where it was counted.
    ///
    /// # Why it bounds busbw
    /// nccl-tests defines busbw as the bytes each rank of a bandwidth-optimal algorithm must
    /// send, divided by the time: all-reduce `2(n-1)/n x size`, reduce-scatter and all-gather
    /// `(n-1)/n x size`, broadcast and reduce `size`. Every byte a SIP sends leaves through
    /// the links counted here (forwarding through a hub only adds bytes), so no algorithm
    /// in which every rank sends its share can show a busbw above what the slowest SIP can
    /// inject. Switches forward and never reduce, so there is no in-network reduction to
    /// beat it.
    ///
    /// The minimum assumes the ranks carry equal shares, as the busbw factor does. On a
    /// machine whose SIPs differ (a mesh larger than 2x2, explicit links) an algorithm that
    /// loads the better-connected SIPs more could exceed it; the strict bound there is the
    /// mean egress over the SIPs. On every bundled topology all SIPs have the same links, so
    /// the two agree. For every built-in shape a SIP's ingress equals its egress; only
    /// `Explicit` links can make them differ.
    ///
    /// # One SIP
    /// No links leave it, and no collective moves a byte between ranks, so there is no bound:
    /// `None` (a busbw there is 0, or for broadcast and reduce a figure of local copies, with
    /// nothing to compare it to).
    ///
    /// # Complexity
    /// `O(links leaving hubs)`: each hub's outgoing edges once.
    ///
    /// ```
    /// use kernbench_model::Topology;
    /// // 8 SIPs in a bidirectional ring of 100 GB/s links: two links leave each SIP.
    /// let ring8 = Topology::load("../topologies/ring8.ron")?;
    /// assert_eq!(ring8.injection_bandwidth().map(|b| b.to_string()), Some("200 GB/s".into()));
    /// # Ok::<(), kernbench_model::ModelError>(())
    /// ```
    pub fn injection_bandwidth(&self) -> Option<Bandwidth> {
        if self.sip_count() < 2 {
            return None;
        }
        self.least_egress(LinkClass::is_between_sips)
    }

    /// The smallest, over the SIPs, of the bandwidth of the links of the classes `counts`
    /// takes that leave a SIP's hub (`None` without SIPs).
    fn least_egress(&self, counts: impl Fn(LinkClass) -> bool) -> Option<Bandwidth> {
        let graph = self.graph();
        self.sips()
            .filter_map(|sip| self.node_index(Node::Hub(sip)))
            .map(|hub| {
                graph
                    .edges_directed(hub, Direction::Outgoing)
                    .map(|edge| *edge.weight())
                    .filter(|link| counts(link.class))
                    .fold(Bandwidth::default(), |sum, link| {
                        sum.saturating_add(link.bandwidth)
                    })
            })
            .min()
    }
}

/// A SIP's egress bandwidth per level of the machine ([`Topology::level_bandwidths`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelBandwidths {
    /// Towards the SIPs of its own cube (SIP links and the cube's SIP switch).
    pub in_cube: Option<Bandwidth>,
    /// Towards other cubes (cube links and the cube-level switches).
    pub across_cubes: Option<Bandwidth>,
}

impl LevelBandwidths {
    /// The slower level's bandwidth: what an algorithm that must cross both levels with a
    /// SIP's whole share cannot beat per level (`None` for one SIP).
    pub fn slowest(self) -> Option<Bandwidth> {
        match (self.in_cube, self.across_cubes) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl Topology {
    /// The smallest, over the SIPs, of a SIP's egress inside its cube and across cubes, each
    /// counted as [`injection_bandwidth`](Topology::injection_bandwidth) counts them; `None`
    /// for a level with no links (one SIP per cube, one cube).
    pub fn level_bandwidths(&self) -> LevelBandwidths {
        let across =
            |class: LinkClass| matches!(class, LinkClass::CubeLink | LinkClass::CubeSwitch);
        let level = |cubes: bool| {
            self.least_egress(|class| class.is_between_sips() && across(class) == cubes)
                .filter(|b| *b != Bandwidth::default())
        };
        LevelBandwidths {
            in_cube: level(false),
            across_cubes: level(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{BUNDLED, bundled, default_with};
    use crate::topology::Topology;

    fn bound(topo: &Topology) -> Option<String> {
        topo.injection_bandwidth().map(|b| b.to_string())
    }

    #[test]
    fn each_level_counts_its_own_links_and_the_slowest_is_the_smaller() {
        let multicube = bundled("multicube2x4.ron");
        let levels = multicube.level_bandwidths();
        // Fully connected cubes of 4 (3 x 100 GB/s); one 50 GB/s rail to the other cube.
        assert_eq!(
            (
                levels.in_cube.map(|b| b.to_string()),
                levels.across_cubes.map(|b| b.to_string()),
                levels.slowest().map(|b| b.to_string())
            ),
            (
                Some("300 GB/s".to_string()),
                Some("50 GB/s".to_string()),
                Some("50 GB/s".to_string())
            )
        );
        let ring8 = bundled("ring8.ron").level_bandwidths();
        assert_eq!(ring8.across_cubes, None);
        assert_eq!(ring8.slowest(), ring8.in_cube);
    }

    #[test]
    fn the_bound_of_each_bundled_topology_sums_the_links_leaving_a_sip() {
        let expected = [
            // 2 SIPs fully connected: one 100 GB/s link to the other.
            ("default.ron", "100 GB/s"),
            // Bidirectional ring: a link to each neighbour, 2 x 100 GB/s.
            ("ring8.ron", "200 GB/s"),
            // 2x2 mesh: every SIP is a corner with 2 neighbours, 2 x 100 GB/s.
            ("mesh2x2.ron", "200 GB/s"),
            // 4x4 torus: 4 neighbours at 50 GB/s.
            ("torus4x4.ron", "200 GB/s"),
            // Fully connected cube of 4 (3 x 100 GB/s) plus one 50 GB/s cube link (a ring of
            // 2 cubes is one full-duplex pair).
            ("multicube2x4.ron", "350 GB/s"),
            // Unidirectional ring: one link out.
            ("ring64.ron", "100 GB/s"),
        ];
        assert_eq!(expected.len(), BUNDLED.len());
        for (name, want) in expected {
            assert_eq!(bound(&bundled(name)).as_deref(), Some(want), "{name}");
        }
    }

    #[test]
    fn switch_links_count_once_and_switch_egress_not_at_all() {
        // 3 SIPs on a switch at 100 GB/s, 2 cubes on rail switches at 50 GB/s: each hub has
        // one link to its cube's switch and one to its rail's.
        let text = default_with("shape: FullyConnected", "shape: Switch")
            .replace("per_cube: 2", "per_cube: 3")
            .replace(
                "cubes: (count: 1)",
                r#"cubes: (count: 2, links: (shape: Switch, bandwidth: "50GB/s", latency: "1us"))"#,
            );
        let topo = Topology::from_ron_str(&text, "t.ron").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bound(&topo).as_deref(), Some("150 GB/s"));
    }

    #[test]
    fn the_bound_is_the_least_connected_sip() {
        // A 3-SIP line 0 - 1 - 2: the ends have one link, the middle two.
        let text = default_with("shape: FullyConnected", "shape: Mesh2D(1, 3)")
            .replace("per_cube: 2", "per_cube: 3");
        let topo = Topology::from_ron_str(&text, "t.ron").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bound(&topo).as_deref(), Some("100 GB/s"));
    }

    #[test]
    fn one_sip_has_no_bound() {
        let text = default_with("per_cube: 2", "per_cube: 1");
        let topo = Topology::from_ron_str(&text, "t.ron").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(topo.injection_bandwidth(), None);
    }
}
