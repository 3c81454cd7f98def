//! What `kernbench topo` prints: counts, link classes, bisection bandwidth and the injection
//! bound ([`TopologySummary`]), or the graph in Graphviz form ([`Topology::to_dot`]).

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use kernbench_engine::SimTime;

use crate::coords::Node;
use crate::link::LinkClass;
use crate::spec::{MemoryKind, MemorySpec};
use crate::topology::Topology;
use crate::units::{Bandwidth, Bytes};

/// A topology in numbers. Display prints it as a short report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopologySummary {
    /// The topology's name.
    pub name: String,
    /// Number of cubes.
    pub cubes: u32,
    /// SIPs in all.
    pub sips: u32,
    /// PEs per SIP.
    pub pes_per_sip: u32,
    /// PEs in all.
    pub pes: u64,
    /// Graph nodes (PEs, TCMs, hubs, SRAMs, HBMs, switches).
    pub nodes: usize,
    /// Directed links.
    pub links: usize,
    /// Packet size.
    pub packet_size: Bytes,
    /// Reduce throughput per PE.
    pub reduce_throughput: Bandwidth,
    /// The memories, in the order tcm, sram, hbm.
    pub memories: Vec<(MemoryKind, MemorySpec)>,
    /// Links grouped by class, bandwidth and latency, in that order.
    pub classes: Vec<LinkClassSummary>,
    /// Sum of the bandwidth of the directed SIP-level links (SIP, cube and switch links) that
    /// cross the cut between SIP ranks `0..n/2` and `n/2..n`; a switch counts as in the first
    /// half. Zero for one SIP.
    pub bisection: Bandwidth,
    /// The injection bound ([`Topology::injection_bandwidth`]): the least total bandwidth of
    /// the links leaving a SIP; `None` for one SIP.
    pub injection: Option<Bandwidth>,
}

/// The links of one class with one bandwidth and latency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkClassSummary {
    /// What the links join.
    pub class: LinkClass,
    /// How many directed links.
    pub count: usize,
    /// Bandwidth of each.
    pub bandwidth: Bandwidth,
    /// Latency of each.
    pub latency: SimTime,
}

impl Topology {
    /// Counts, link classes, bisection bandwidth and the injection bound.
    pub fn summary(&self) -> TopologySummary {
        let graph = self.graph();
        let mut classes: BTreeMap<(LinkClass, Bandwidth, SimTime), usize> = BTreeMap::new();
        for link in graph.edge_weights() {
            *classes
                .entry((link.class, link.bandwidth, link.latency))
                .or_default() += 1;
        }
        let half = self.sip_count() / 2;
        let first_half = |node: Node| match node.sip() {
            Some(sip) => self.rank_of(sip).is_some_and(|rank| rank < half),
            None => true,
        };
        let mut bisection = Bandwidth::default();
        if self.sip_count() > 1 {
            for edge in graph.edge_indices() {
                let link = graph[edge];
                let Some((a, b)) = graph.edge_endpoints(edge) else {
                    continue;
                };
                if link.class.is_between_sips() && first_half(graph[a]) != first_half(graph[b]) {
                    bisection = bisection.saturating_add(link.bandwidth);
                }
            }
        }
        TopologySummary {
            name: self.name().to_owned(),
            cubes: self.cube_count(),
            sips: self.sip_count(),
            pes_per_sip: self.pes_per_sip(),
            pes: self.pe_count(),
            nodes: graph.node_count(),
            links: graph.edge_count(),
            packet_size: self.packet_size(),
            reduce_throughput: self.reduce_throughput(),
            memories: MemoryKind::ALL
                .iter()
                .map(|&kind| (kind, self.memory(kind).clone()))
                .collect(),
            classes: classes
                .into_iter()
                .map(|((class, bandwidth, latency), count)| LinkClassSummary {
                    class,
                    count,
                    bandwidth,
                    latency,
                })
                .collect(),
            bisection,
            injection: self.injection_bandwidth(),
        }
    }

    /// The graph in Graphviz DOT form, deterministic (nodes and edges in index order).
    ///
    /// Each directed link is one edge labelled with its bandwidth and latency; PEs are boxes,
    /// memories cylinders, hubs and switches diamonds.
    pub fn to_dot(&self) -> String {
        let graph = self.graph();
        let mut out = String::new();
        // ok: writing to a String cannot fail.
        let _ = writeln!(out, "digraph {} {{", quote(self.name()));
        let _ = writeln!(
            out,
            "  // {} cubes, {} SIPs, {} PEs; one edge per directed link",
            self.cube_count(),
            self.sip_count(),
            self.pe_count()
        );
        for node in graph.node_weights() {
            let shape = match node {
                Node::Pe(_) => "box",
                Node::Tcm(_) | Node::Sram(_) | Node::Hbm(_) => "cylinder",
                Node::Hub(_) | Node::Switch(_) => "diamond",
            };
            let _ = writeln!(out, "  {} [shape={shape}];", quote(&node.to_string()));
        }
        for edge in graph.edge_indices() {
            let Some((a, b)) = graph.edge_endpoints(edge) else {
                continue;
            };
            let link = graph[edge];
            let _ = writeln!(
                out,
                "  {} -> {} [label={}, class={}];",
                quote(&graph[a].to_string()),
                quote(&graph[b].to_string()),
                quote(&format!("{} {}", link.bandwidth, link.latency)),
                quote(&link.class.to_string()),
            );
        }
        out.push_str("}\n");
        out
    }
}

/// A DOT string literal.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `1 cube`, `2 cubes`.
fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

impl TopologySummary {
    /// The machine's size in words: `1 cube, 2 SIPs, 8 PEs`.
    pub fn counts(&self) -> String {
        format!(
            "{}, {}, {}",
            count(self.cubes, "cube", "cubes"),
            count(self.sips, "SIP", "SIPs"),
            count(self.pes, "PE", "PEs")
        )
    }
}

impl fmt::Display for TopologySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "topology {}: {} ({} per SIP), {} nodes, {} links",
            self.name,
            self.counts(),
            self.pes_per_sip,
            self.nodes,
            self.links
        )?;
        writeln!(
            f,
            "packet size {}; reduce throughput {} per PE",
            self.packet_size, self.reduce_throughput
        )?;
        writeln!(f, "memory:")?;
        for (kind, memory) in &self.memories {
            let per = if *kind == MemoryKind::Tcm {
                "PE"
            } else {
                "SIP"
            };
            writeln!(
                f,
                "  {:<5} {} per {per}, {}, {}",
                kind.to_string(),
                memory.capacity,
                memory.bandwidth,
                memory.latency
            )?;
        }
        writeln!(f, "links (directed; a full-duplex connection is two):")?;
        writeln!(
            f,
            "  {:<12} {:>7}  {:<11} latency",
            "class", "count", "bandwidth"
        )?;
        for c in &self.classes {
            writeln!(
                f,
                "  {:<12} {:>7}  {:<11} {}",
                c.class.to_string(),
                c.count,
                c.bandwidth.to_string(),
                c.latency
            )?;
        }
        if self.sips > 1 {
            let half = self.sips / 2;
            writeln!(
                f,
                "bisection bandwidth: {} (sum of directed SIP-level links crossing the cut between \
                 SIP ranks 0..{half} and {half}..{}; switches count in the first half)",
                self.bisection, self.sips
            )?;
        } else {
            writeln!(f, "bisection bandwidth: none (one SIP)")?;
        }
        match self.injection {
            Some(bound) => writeln!(
                f,
                "injection bound: {bound} (least sum, over the SIPs, of the directed SIP-level \
                 links leaving a SIP; no busbw can exceed it)"
            ),
            None => writeln!(f, "injection bound: none (one SIP)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::bundled;

    #[test]
    fn bisection_sums_the_links_across_the_middle_of_the_ranks() {
        // default: 2 SIPs, one 100 GB/s link each way.
        assert_eq!(
            bundled("default.ron").summary().bisection.to_string(),
            "200 GB/s"
        );
        // ring8: links 3<->4 and 7<->0 cross, both ways.
        assert_eq!(
            bundled("ring8.ron").summary().bisection.to_string(),
            "400 GB/s"
        );
        // torus4x4: rows 0-1 against rows 2-3; 4 columns x 2 cuts (middle and wrap) x 2 ways.
        assert_eq!(
            bundled("torus4x4.ron").summary().bisection.to_string(),
            "800 GB/s"
        );
        // multicube2x4: the halves are the cubes; 4 rails x 2 ways x 50 GB/s.
        assert_eq!(
            bundled("multicube2x4.ron").summary().bisection.to_string(),
            "400 GB/s"
        );
    }

    #[test]
    fn the_summary_lists_counts_and_link_classes() {
        let text = bundled("default.ron").summary().to_string();
        assert!(
            text.starts_with(
                "topology default: 1 cube, 2 SIPs, 8 PEs (4 per SIP), 22 nodes, 50 links\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("\n  hbm   64 GiB per SIP, 3.2 TB/s, 200 ns\n"),
            "{text}"
        );
        assert!(
            text.contains("\n  sip-link           2  100 GB/s    500 ns\n"),
            "{text}"
        );
        assert!(text.contains("bisection bandwidth: 200 GB/s (sum of directed SIP-level links crossing the cut between SIP ranks 0..1 and 1..2"), "{text}");
        assert!(
            text.ends_with(
                "\ninjection bound: 100 GB/s (least sum, over the SIPs, of the directed SIP-level \
                 links leaving a SIP; no busbw can exceed it)\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn dot_output_is_deterministic_and_lists_every_link() {
        let topo = bundled("mesh2x2.ron");
        let dot = topo.to_dot();
        assert_eq!(dot, bundled("mesh2x2.ron").to_dot());
        assert!(dot.starts_with("digraph \"mesh2x2\" {\n"));
        assert!(dot.contains("  \"c0.s0.hub\" -> \"c0.s1.hub\" [label=\"100 GB/s 500 ns\", class=\"sip-link\"];\n"), "{dot}");
        assert_eq!(dot.matches(" -> ").count(), topo.graph().edge_count());
        assert!(dot.ends_with("}\n"));
    }
}
