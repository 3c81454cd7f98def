//! Semantic checks of a [`TopologySpec`] that serde cannot make: zero and absurd values,
//! shapes that do not fit their level, and (after the graph is built) connectivity.
//!
//! Each error names the field path, the value and the fix. Limits are in [`crate::limits`].

use kernbench_engine::SimTime;
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, Reversed};

use crate::coords::Node;
use crate::error::ModelError;
use crate::generators::{ShapeError, directed_links};
use crate::limits::{
    MAX_BANDWIDTH, MAX_CAPACITY, MAX_FULLY_CONNECTED, MAX_LATENCY, MAX_PACKET_SIZE, MAX_PES,
    MAX_PES_PER_SIP, MAX_SIPS,
};
use crate::link::Link;
use crate::spec::{LinkSpec, MemoryKind, Shape, TopologySpec};
use crate::units::{Bandwidth, Bytes};

/// One level of the hierarchy, for error messages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Level {
    /// The shape's field path, such as `sips.links.shape`.
    pub(crate) field: &'static str,
    /// Plural member name: `PEs`, `SIPs`, `cubes`.
    pub(crate) members: &'static str,
    /// Singular member name.
    pub(crate) member: &'static str,
    /// The count's field path.
    pub(crate) count_field: &'static str,
}

pub(crate) const PE_LEVEL: Level = Level {
    field: "pes.noc.shape",
    members: "PEs",
    member: "PE",
    count_field: "pes.per_sip",
};
pub(crate) const SIP_LEVEL: Level = Level {
    field: "sips.links.shape",
    members: "SIPs",
    member: "SIP",
    count_field: "sips.per_cube",
};
pub(crate) const CUBE_LEVEL: Level = Level {
    field: "cubes.links.shape",
    members: "cubes",
    member: "cube",
    count_field: "cubes.count",
};

/// Checks every value of `spec` that the graph builder relies on.
pub(crate) fn check_spec(spec: &TopologySpec, origin: &str) -> Result<(), ModelError> {
    let c = Checker { origin };
    c.count("cubes.count", spec.cubes.count)?;
    c.count("sips.per_cube", spec.sips.per_cube)?;
    c.count("pes.per_sip", spec.pes.per_sip)?;
    let sips = u64::from(spec.cubes.count) * u64::from(spec.sips.per_cube);
    if sips > MAX_SIPS {
        return Err(c.too_large("cubes.count * sips.per_cube (SIPs in all)", sips, MAX_SIPS));
    }
    if spec.pes.per_sip > MAX_PES_PER_SIP {
        return Err(c.too_large("pes.per_sip", spec.pes.per_sip, MAX_PES_PER_SIP));
    }
    let pes = sips * u64::from(spec.pes.per_sip);
    if pes > MAX_PES {
        return Err(c.too_large("PEs in all (SIPs in all * pes.per_sip)", pes, MAX_PES));
    }
    c.bytes("packet_size", spec.packet_size, MAX_PACKET_SIZE)?;
    c.bandwidth("reduce_throughput", spec.reduce_throughput)?;
    c.bandwidth("pes.port.bandwidth", spec.pes.port.bandwidth)?;
    c.latency("pes.port.latency", spec.pes.port.latency)?;
    c.link_spec("pes.noc", &spec.pes.noc)?;
    c.link_spec("sips.links", &spec.sips.links)?;
    match &spec.cubes.links {
        Some(links) => c.link_spec("cubes.links", links)?,
        None if spec.cubes.count > 1 => {
            return Err(ModelError::MissingLinks {
                origin: origin.to_owned(),
                field: "cubes.links",
                count_field: "cubes.count",
                count: spec.cubes.count,
            });
        }
        None => {}
    }
    for kind in MemoryKind::ALL {
        let memory = spec.memory.get(kind);
        c.bytes(
            &format!("memory.{kind}.capacity"),
            memory.capacity,
            MAX_CAPACITY,
        )?;
        c.bandwidth(&format!("memory.{kind}.bandwidth"), memory.bandwidth)?;
        c.latency(&format!("memory.{kind}.latency"), memory.latency)?;
    }
    Ok(())
}

/// The directed links of `shape` over `n` members, with errors naming `level`'s fields.
pub(crate) fn level_links(
    shape: &Shape,
    n: u32,
    level: Level,
    origin: &str,
) -> Result<Vec<(u32, u32)>, ModelError> {
    if *shape == Shape::FullyConnected && n > MAX_FULLY_CONNECTED {
        return Err(ModelError::TooLarge {
            origin: origin.to_owned(),
            field: format!(
                "{} (FullyConnected over {})",
                level.field, level.count_field
            ),
            value: format!("{n} {}", level.members),
            limit: format!("{MAX_FULLY_CONNECTED} {}", level.members),
        });
    }
    directed_links(shape, n).map_err(|e| {
        let origin = origin.to_owned();
        let field = level.field.to_owned();
        match e {
            ShapeError::DoesNotFit { needs } => ModelError::ShapeDoesNotFit {
                origin,
                field,
                shape: shape.to_string(),
                needs,
                members: level.members,
                count_field: level.count_field,
                count: n,
            },
            ShapeError::OutOfRange { from, to, index } => ModelError::LinkOutOfRange {
                origin,
                field,
                from,
                to,
                index,
                member: level.member,
                count_field: level.count_field,
                count: n,
            },
            ShapeError::Duplicate { from, to } => ModelError::DuplicateLink {
                origin,
                field,
                from,
                to,
            },
            ShapeError::SelfLink { index } => ModelError::SelfLink {
                origin,
                field,
                index,
            },
        }
    })
}

/// Checks that every node can reach every other node (the graph is strongly connected).
///
/// Searches forward and backward from node 0 and names the first node (in index order) that is
/// missed, so the message is the same on every run.
pub(crate) fn check_connected(
    graph: &DiGraph<Node, Link, u32>,
    origin: &str,
) -> Result<(), ModelError> {
    let Some(start) = graph.node_indices().next() else {
        return Ok(());
    };
    let forward = reached(graph, start, Direction::Outgoing);
    let backward = reached(graph, start, Direction::Incoming);
    for (index, node) in graph.node_indices().zip(graph.node_weights()) {
        let i = index.index();
        if !forward[i] {
            return Err(disconnected(origin, graph[start], *node));
        }
        if !backward[i] {
            return Err(disconnected(origin, *node, graph[start]));
        }
    }
    Ok(())
}

fn reached(graph: &DiGraph<Node, Link, u32>, start: NodeIndex, direction: Direction) -> Vec<bool> {
    let mut seen = vec![false; graph.node_count()];
    match direction {
        Direction::Outgoing => {
            let mut bfs = Bfs::new(graph, start);
            while let Some(n) = bfs.next(graph) {
                seen[n.index()] = true;
            }
        }
        Direction::Incoming => {
            let reversed = Reversed(graph);
            let mut bfs = Bfs::new(reversed, start);
            while let Some(n) = bfs.next(reversed) {
                seen[n.index()] = true;
            }
        }
    }
    seen
}

fn disconnected(origin: &str, from: Node, to: Node) -> ModelError {
    ModelError::Disconnected {
        origin: origin.to_owned(),
        from: from.to_string(),
        to: to.to_string(),
    }
}

struct Checker<'a> {
    origin: &'a str,
}

impl Checker<'_> {
    fn zero(&self, field: &str, value: String) -> ModelError {
        ModelError::Zero {
            origin: self.origin.to_owned(),
            field: field.to_owned(),
            value,
        }
    }

    fn too_large(&self, field: &str, value: impl ToString, limit: impl ToString) -> ModelError {
        ModelError::TooLarge {
            origin: self.origin.to_owned(),
            field: field.to_owned(),
            value: value.to_string(),
            limit: limit.to_string(),
        }
    }

    fn count(&self, field: &str, value: u32) -> Result<(), ModelError> {
        if value == 0 {
            return Err(self.zero(field, "0".to_owned()));
        }
        Ok(())
    }

    fn bytes(&self, field: &str, value: Bytes, limit: Bytes) -> Result<(), ModelError> {
        if value.0 == 0 {
            return Err(self.zero(field, value.to_string()));
        }
        if value > limit {
            return Err(self.too_large(field, value, limit));
        }
        Ok(())
    }

    fn bandwidth(&self, field: &str, value: Bandwidth) -> Result<(), ModelError> {
        if value.bytes_per_second() == 0 {
            return Err(self.zero(field, value.to_string()));
        }
        if value > MAX_BANDWIDTH {
            return Err(self.too_large(field, value, MAX_BANDWIDTH));
        }
        Ok(())
    }

    fn latency(&self, field: &str, value: SimTime) -> Result<(), ModelError> {
        if value > MAX_LATENCY {
            return Err(self.too_large(field, value, MAX_LATENCY));
        }
        Ok(())
    }

    fn link_spec(&self, field: &str, links: &LinkSpec) -> Result<(), ModelError> {
        self.bandwidth(&format!("{field}.bandwidth"), links.bandwidth)?;
        self.latency(&format!("{field}.latency"), links.latency)
    }
}

#[cfg(test)]
mod tests {
    use crate::ModelError;
    use crate::test_support::{default_with, load_error};

    const SIPS: &str = r#"sips: (per_cube: 2, links: (shape: FullyConnected, bandwidth: "100GB/s", latency: "500ns"))"#;

    fn message(old: &str, new: &str) -> String {
        load_error(&default_with(old, new)).to_string()
    }

    fn sips(per_cube: u32, shape: &str) -> String {
        message(
            SIPS,
            &format!(
                r#"sips: (per_cube: {per_cube}, links: (shape: {shape}, bandwidth: "100GB/s", latency: "500ns"))"#
            ),
        )
    }

    #[test]
    fn zero_bandwidth_names_the_field() {
        assert_eq!(
            message(r#"bandwidth: "100GB/s""#, r#"bandwidth: "0GB/s""#),
            "t.ron: sips.links.bandwidth is 0 B/s; it must be greater than zero"
        );
        assert_eq!(
            message(
                r#"reduce_throughput: "512GB/s""#,
                r#"reduce_throughput: "0B/s""#
            ),
            "t.ron: reduce_throughput is 0 B/s; it must be greater than zero"
        );
    }

    #[test]
    fn zero_capacity_packet_size_and_counts_are_rejected() {
        assert_eq!(
            message(r#"capacity: "4MiB""#, r#"capacity: "0KiB""#),
            "t.ron: memory.tcm.capacity is 0 B; it must be greater than zero"
        );
        assert_eq!(
            message(r#"packet_size: "4KiB""#, r#"packet_size: "0B""#),
            "t.ron: packet_size is 0 B; it must be greater than zero"
        );
        assert_eq!(
            message("per_sip: 4", "per_sip: 0"),
            "t.ron: pes.per_sip is 0; it must be greater than zero"
        );
        assert_eq!(
            message("count: 1", "count: 0"),
            "t.ron: cubes.count is 0; it must be greater than zero"
        );
    }

    #[test]
    fn negative_numbers_and_bad_units_give_line_and_column() {
        let e = load_error(&default_with(
            r#"bandwidth: "100GB/s""#,
            r#"bandwidth: "-5GB/s""#,
        ));
        let ModelError::Syntax { line, .. } = e else {
            panic!("{e}")
        };
        assert_eq!(line, 16);
        assert!(
            e.to_string()
                .contains("\"-5GB/s\" is not a valid bandwidth: negative values are not allowed"),
            "{e}"
        );
        let e = load_error(&default_with("per_cube: 2", "per_cube: -2"));
        assert!(matches!(e, ModelError::Syntax { line: 16, .. }), "{e}");
        let e = message(r#"latency: "500ns""#, r#"latency: "500 fortnights""#);
        assert!(e.starts_with("t.ron:16:"), "{e}");
        assert!(
            e.contains(
                "unknown unit \"fortnights\"; write a number followed by one of ps, ns, us, ms, s"
            ),
            "{e}"
        );
    }

    #[test]
    fn unknown_missing_and_malformed_fields_give_line_and_column() {
        let e = message("packet_size:", "packet_sise:");
        assert!(
            e.starts_with("t.ron:14:5: Unexpected field named `packet_sise`"),
            "{e}"
        );
        assert!(e.contains("packet_sise"), "{e}");
        let e = message(r#"    reduce_throughput: "512GB/s","#, "");
        assert!(e.contains("reduce_throughput"), "{e}");
        assert!(e.starts_with("t.ron:"), "{e}");
        let e = message("cubes: (count: 1),", "cubes: (count: 1,");
        assert!(e.starts_with("t.ron:"), "{e}");
        assert!(e.contains("fix the file at that place"), "{e}");
    }

    #[test]
    fn a_shape_that_does_not_fit_the_count_says_what_it_needs() {
        assert_eq!(
            sips(8, "Mesh2D(3, 3)"),
            "t.ron: sips.links.shape: Mesh2D(3, 3) needs 9 SIPs but sips.per_cube is 8; \
             change the shape or sips.per_cube"
        );
        let e = message(
            "shape: Ring, bandwidth: \"1TB/s\"",
            "shape: Torus3D(2, 2, 2), bandwidth: \"1TB/s\"",
        );
        assert_eq!(
            e,
            "t.ron: pes.noc.shape: Torus3D(2, 2, 2) needs 8 PEs but pes.per_sip is 4; \
             change the shape or pes.per_sip"
        );
    }

    #[test]
    fn explicit_links_are_checked_for_range_duplicates_and_self_links() {
        assert_eq!(
            sips(2, "Explicit([(0, 1), (1, 2)])"),
            "t.ron: sips.links.shape: link (1, 2) names SIP 2, but sips.per_cube is 2 so the \
             indices are 0 to 1; fix the index"
        );
        assert_eq!(
            sips(2, "Explicit([(0, 1), (1, 0), (0, 1)])"),
            "t.ron: sips.links.shape: link (0, 1) is listed twice; remove one (each pair is one \
             directed link; ExplicitDuplex pairs are two)"
        );
        assert_eq!(
            sips(2, "ExplicitDuplex([(1, 1)])"),
            "t.ron: sips.links.shape: link (1, 1) joins 1 to itself; remove it"
        );
    }

    #[test]
    fn a_disconnected_graph_names_an_unreachable_pair() {
        assert_eq!(
            sips(2, "Explicit([(0, 1)])"),
            "t.ron: the topology is not connected: there is no path from c0.s1.hub to c0.s0.hub; \
             add links so that every node can reach every other (directed links count one way only)"
        );
        assert!(
            sips(3, "ExplicitDuplex([(0, 1)])").contains("no path from c0.s0.hub to c0.s2.hub")
        );
    }

    #[test]
    fn cube_links_are_required_for_more_than_one_cube() {
        assert_eq!(
            message("cubes: (count: 1)", "cubes: (count: 2)"),
            "t.ron: cubes.links is missing but cubes.count is 2; add cubes.links: (shape: Ring, \
             bandwidth: \"50GB/s\", latency: \"1us\") or similar"
        );
        // A single cube may still give links.
        let text = default_with(
            "cubes: (count: 1)",
            r#"cubes: (count: 1, links: (shape: Ring, bandwidth: "50GB/s", latency: "1us"))"#,
        );
        assert!(crate::Topology::from_ron_str(&text, "t.ron").is_ok());
    }

    #[test]
    fn absurd_sizes_are_rejected_with_the_limit() {
        assert_eq!(
            message("per_sip: 4", "per_sip: 5000"),
            "t.ron: pes.per_sip is 5000, above the limit of 4096; use a smaller value"
        );
        let text = default_with(
            "cubes: (count: 1)",
            r#"cubes: (count: 1000, links: (shape: Ring, bandwidth: "50GB/s", latency: "1us"))"#,
        )
        .replace("per_cube: 2", "per_cube: 100");
        assert_eq!(
            load_error(&text).to_string(),
            "t.ron: cubes.count * sips.per_cube (SIPs in all) is 100000, above the limit of \
             65536; use a smaller value"
        );
        assert_eq!(
            message(r#"capacity: "64GiB""#, r#"capacity: "2048TiB""#),
            "t.ron: memory.hbm.capacity is 2048 TiB, above the limit of 1024 TiB; use a smaller value"
        );
        assert!(sips(2000, "FullyConnected").starts_with(
            "t.ron: sips.links.shape (FullyConnected over sips.per_cube) is 2000 SIPs, above the limit of 1024 SIPs"
        ));
        assert!(
            message(r#"latency: "500ns""#, r#"latency: "2s""#)
                .contains("sips.links.latency is 2 s, above the limit of 1 s")
        );
    }
}
