//! Generated topologies: `ring:1024`, `mesh:8x8`, `torus:32x32`, `cubes:64x16` build a whole
//! machine from one short form, with the bundled default link and memory values, so a large
//! machine needs no file.
//!
//! | form | machine |
//! | --- | --- |
//! | `ring:N` | one cube of `N` SIPs in a `BidirectionalRing` |
//! | `mesh:RxC` | one cube of `R * C` SIPs in a `Mesh2D(R, C)` |
//! | `torus:RxC` | one cube of `R * C` SIPs in a `Torus2D(R, C)` |
//! | `cubes:CxS` | `C` cubes of `S` SIPs; SIPs of a cube `FullyConnected`, cubes joined rail-style in a `BidirectionalRing` |
//!
//! Everything else — packet size, PEs and their NoC, ports, memories, reduce throughput, the
//! SIP links' bandwidth and latency — is `topologies/default.ron`'s; cube links (which
//! default.ron, a single cube, has none of) are `topologies/multicube2x4.ron`'s. The name is the
//! form without the colon (`ring1024`, `cubes64x16`). [`TopologySource`] tells a generated form
//! from a file path: a text that starts with `ring:`, `mesh:`, `torus:` or `cubes:` is a
//! generated form (and an error if it is malformed); anything else is a path.
//!
//! ```
//! use kernbench_model::Topology;
//! let topo = Topology::generated("cubes:4x2")?;
//! assert_eq!((topo.cube_count(), topo.sips_per_cube(), topo.name()), (4, 2, "cubes4x2"));
//! assert!(Topology::generated("torus:0x4").is_err());
//! # Ok::<(), kernbench_model::ModelError>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use kernbench_engine::SimTime;
use ron::extensions::Extensions;

use crate::error::ModelError;
use crate::limits::MAX_SIPS;
use crate::spec::{LinkSpec, Shape, TopologySpec};
use crate::topology::Topology;
use crate::units::Bandwidth;

/// The bundled default machine whose values every generated topology takes.
const DEFAULT_RON: &str = include_str!("../../topologies/default.ron");
/// Cube links of generated multi-cube machines: `topologies/multicube2x4.ron`'s values.
const CUBE_LINK_BANDWIDTH: Bandwidth = Bandwidth::from_bytes_per_second(50_000_000_000);
const CUBE_LINK_LATENCY: SimTime = SimTime::from_ns(2_000);

/// A generated machine's shape, parsed from `ring:N`, `mesh:RxC`, `torus:RxC` or `cubes:CxS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generated {
    /// `ring:N`: one cube of `N` SIPs in a bidirectional ring.
    Ring(u32),
    /// `mesh:RxC`: one cube of `R x C` SIPs in a 2D mesh.
    Mesh(u32, u32),
    /// `torus:RxC`: one cube of `R x C` SIPs in a 2D torus.
    Torus(u32, u32),
    /// `cubes:CxS`: `C` cubes of `S` fully connected SIPs, cubes in a bidirectional ring.
    Cubes(u32, u32),
}

/// The prefixes that make a text a generated form rather than a path.
const PREFIXES: [&str; 4] = ["ring:", "mesh:", "torus:", "cubes:"];

impl Generated {
    /// Whether `text` is meant as a generated form (starts with one of the four prefixes),
    /// well formed or not.
    pub fn is_generated_form(text: &str) -> bool {
        PREFIXES.iter().any(|p| text.starts_with(p))
    }

    /// Parses `ring:N`, `mesh:RxC`, `torus:RxC` or `cubes:CxS`.
    ///
    /// # Errors
    /// [`ModelError::BadGeneratedTopology`] for an unknown form, a missing or non-numeric
    /// count, a zero count; [`ModelError::TooLarge`] above [`MAX_SIPS`] SIPs in all.
    pub fn parse(text: &str) -> Result<Generated, ModelError> {
        let bad = |problem: &str| ModelError::BadGeneratedTopology {
            text: text.to_owned(),
            problem: problem.to_owned(),
        };
        let (kind, counts) = text
            .split_once(':')
            .ok_or_else(|| bad("there is no `:` between the shape and its size"))?;
        let count = |s: &str, what: &str| -> Result<u32, ModelError> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(&format!("the {what} \"{s}\" is not a whole number")));
            }
            let n: u64 = s
                .parse()
                .map_err(|_| bad(&format!("the {what} is too large")))?;
            if n == 0 {
                return Err(bad(&format!("the {what} is 0; it must be at least 1")));
            }
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        };
        let pair = |what: (&str, &str), form: &str| -> Result<(u32, u32), ModelError> {
            let (a, b) = counts.split_once('x').ok_or_else(|| {
                bad(&format!(
                    "write the size as {kind}:{form}, two numbers joined by `x` (the {} and the {})",
                    what.0, what.1
                ))
            })?;
            Ok((count(a, what.0)?, count(b, what.1)?))
        };
        let generated = match kind {
            "ring" => Generated::Ring(count(counts, "SIP count")?),
            "mesh" => {
                let (r, c) = pair(("row count", "column count"), "RxC")?;
                Generated::Mesh(r, c)
            }
            "torus" => {
                let (r, c) = pair(("row count", "column count"), "RxC")?;
                Generated::Torus(r, c)
            }
            "cubes" => {
                let (c, s) = pair(("cube count", "SIP count per cube"), "CxS")?;
                Generated::Cubes(c, s)
            }
            _ => return Err(bad(&format!("\"{kind}\" is not a generated shape"))),
        };
        let sips = generated.sip_count();
        if sips > MAX_SIPS {
            return Err(ModelError::TooLarge {
                origin: text.to_owned(),
                field: "SIPs in all".to_owned(),
                value: sips.to_string(),
                limit: MAX_SIPS.to_string(),
            });
        }
        Ok(generated)
    }

    /// SIPs in all.
    pub fn sip_count(self) -> u64 {
        match self {
            Generated::Ring(n) => u64::from(n),
            Generated::Mesh(a, b) | Generated::Torus(a, b) | Generated::Cubes(a, b) => {
                u64::from(a) * u64::from(b)
            }
        }
    }

    /// The spec of this machine: `topologies/default.ron` with this shape (see the module
    /// docs). Not yet validated: [`Topology::from_spec`] does that.
    ///
    /// # Errors
    /// Only if the bundled default file did not parse, which a test rules out.
    pub fn spec(self) -> Result<TopologySpec, ModelError> {
        let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
        let mut spec: TopologySpec =
            options
                .from_str(DEFAULT_RON)
                .map_err(|e| ModelError::Syntax {
                    origin: "topologies/default.ron (bundled)".to_owned(),
                    line: e.span.start.line,
                    column: e.span.start.col,
                    message: e.code.to_string(),
                })?;
        spec.name = self.to_string().replace(':', "");
        let (cubes, per_cube, shape) = match self {
            Generated::Ring(n) => (1, n, Shape::BidirectionalRing),
            Generated::Mesh(r, c) => (1, r.saturating_mul(c), Shape::Mesh2D(r, c)),
            Generated::Torus(r, c) => (1, r.saturating_mul(c), Shape::Torus2D(r, c)),
            Generated::Cubes(c, s) => (c, s, Shape::FullyConnected),
        };
        spec.cubes.count = cubes;
        spec.cubes.links = (cubes > 1).then_some(LinkSpec {
            shape: Shape::BidirectionalRing,
            bandwidth: CUBE_LINK_BANDWIDTH,
            latency: CUBE_LINK_LATENCY,
        });
        spec.sips.per_cube = per_cube;
        spec.sips.links.shape = shape;
        Ok(spec)
    }
}

impl fmt::Display for Generated {
    /// The form as written: `ring:1024`, `torus:32x32`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Generated::Ring(n) => write!(f, "ring:{n}"),
            Generated::Mesh(r, c) => write!(f, "mesh:{r}x{c}"),
            Generated::Torus(r, c) => write!(f, "torus:{r}x{c}"),
            Generated::Cubes(c, s) => write!(f, "cubes:{c}x{s}"),
        }
    }
}

/// Where a topology comes from: a RON file, or a generated form (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopologySource {
    /// A RON topology file.
    File(PathBuf),
    /// A generated machine.
    Generated(Generated),
}

impl TopologySource {
    /// A generated form if `text` starts with `ring:`, `mesh:`, `torus:` or `cubes:`, else a
    /// path.
    ///
    /// # Errors
    /// As [`Generated::parse`], for a malformed generated form.
    pub fn parse(text: &str) -> Result<TopologySource, ModelError> {
        if Generated::is_generated_form(text) {
            Generated::parse(text).map(TopologySource::Generated)
        } else {
            Ok(TopologySource::File(PathBuf::from(text)))
        }
    }

    /// The same source with a relative file path taken relative to `base` (a generated form
    /// is unchanged).
    pub fn relative_to(self, base: &Path) -> TopologySource {
        match self {
            TopologySource::File(path) => TopologySource::File(base.join(path)),
            generated => generated,
        }
    }

    /// Loads the file, or builds the generated machine, and validates it.
    ///
    /// # Errors
    /// As [`Topology::load`] or [`Topology::from_spec`].
    pub fn load(&self) -> Result<Topology, ModelError> {
        match self {
            TopologySource::File(path) => Topology::load(path),
            TopologySource::Generated(g) => Topology::from_spec(g.spec()?, &g.to_string()),
        }
    }
}

impl fmt::Display for TopologySource {
    /// The path, or the generated form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopologySource::File(path) => write!(f, "{}", path.display()),
            TopologySource::Generated(g) => g.fmt(f),
        }
    }
}

impl Topology {
    /// Builds a generated machine from `ring:N`, `mesh:RxC`, `torus:RxC` or `cubes:CxS`: the
    /// bundled default values with that shape (see [`Generated`] and [`Generated::spec`]).
    ///
    /// # Errors
    /// As [`Generated::parse`], or a validation error (a `cubes:CxS` with more than 1,024 SIPs
    /// per cube is too large to be fully connected).
    pub fn generated(text: &str) -> Result<Topology, ModelError> {
        TopologySource::Generated(Generated::parse(text)?).load()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LinkClass;
    use crate::test_support::bundled;

    fn error(text: &str) -> String {
        match Topology::generated(text) {
            Ok(_) => panic!("{text} built"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn forms_parse_into_shapes_and_print_back() {
        for (text, shape) in [
            ("ring:1024", Generated::Ring(1024)),
            ("mesh:8x8", Generated::Mesh(8, 8)),
            ("torus:32x32", Generated::Torus(32, 32)),
            ("cubes:64x16", Generated::Cubes(64, 16)),
        ] {
            assert_eq!(Generated::parse(text).ok(), Some(shape));
            assert_eq!(shape.to_string(), text);
        }
        assert_eq!(Generated::Cubes(64, 16).sip_count(), 1024);
    }

    #[test]
    fn bad_forms_say_what_is_wrong() {
        let cases = [
            ("ring:0", "the SIP count is 0; it must be at least 1"),
            ("ring:", "the SIP count \"\" is not a whole number;"),
            ("ring:-4", "the SIP count \"-4\" is not a whole number;"),
            ("mesh:8x", "the column count \"\" is not a whole number;"),
            (
                "mesh:8",
                "write the size as mesh:RxC, two numbers joined by `x` (the row count and the column count)",
            ),
            ("torus:0x4", "the row count is 0; it must be at least 1"),
            (
                "cubes:4x0",
                "the SIP count per cube is 0; it must be at least 1",
            ),
            ("ring:99999999999999999999", "the SIP count is too large"),
            (
                "mesh:1000x1000",
                "SIPs in all is 1000000, above the limit of 65536",
            ),
        ];
        for (text, expected) in cases {
            let message = error(text);
            assert!(message.contains(expected), "{text}: {message}");
            assert!(message.starts_with(&format!("\"{text}\"")) || message.starts_with(text));
        }
        assert!(error("cubes:2x2000").contains("FullyConnected"));
    }

    #[test]
    fn sources_tell_generated_forms_from_paths() {
        assert_eq!(
            TopologySource::parse("torus:4x4").ok(),
            Some(TopologySource::Generated(Generated::Torus(4, 4)))
        );
        assert_eq!(
            TopologySource::parse("topologies/ring8.ron").ok(),
            Some(TopologySource::File("topologies/ring8.ron".into()))
        );
        assert!(TopologySource::parse("ring:x").is_err());
        let relative = TopologySource::parse("ring8.ron")
            .map(|s| s.relative_to(Path::new("topologies")).to_string());
        assert_eq!(relative.ok().as_deref(), Some("topologies/ring8.ron"));
        let generated =
            TopologySource::parse("ring:8").map(|s| s.relative_to(Path::new("x")).to_string());
        assert_eq!(generated.ok().as_deref(), Some("ring:8"));
    }

    #[test]
    fn generated_machines_have_the_shape_and_the_default_values() {
        let default = bundled("default.ron");
        let ring = Topology::generated("ring:16").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((ring.name(), ring.sip_count()), ("ring16", 16));
        assert_eq!(ring.spec().sips.links.shape, Shape::BidirectionalRing);
        assert_eq!(ring.packet_size(), default.packet_size());
        assert_eq!(ring.pes_per_sip(), default.pes_per_sip());
        assert_eq!(ring.spec().memory.hbm, default.spec().memory.hbm);
        assert_eq!(ring.reduce_throughput(), default.reduce_throughput());
        let sip_links = |t: &Topology, class: LinkClass| {
            t.graph()
                .edge_weights()
                .filter(|l| l.class == class)
                .count()
        };
        assert_eq!(sip_links(&ring, LinkClass::SipLink), 32);
        let mesh = Topology::generated("mesh:8x8").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mesh.spec().sips.links.shape, Shape::Mesh2D(8, 8));
        assert_eq!(sip_links(&mesh, LinkClass::SipLink), 2 * 2 * 8 * 7);
        let torus = Topology::generated("torus:4x8").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sip_links(&torus, LinkClass::SipLink), 4 * 32);
        let cubes = Topology::generated("cubes:4x2").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((cubes.cube_count(), cubes.sips_per_cube()), (4, 2));
        assert_eq!(sip_links(&cubes, LinkClass::SipLink), 4 * 2);
        // Rail-style bidirectional ring of 4 cubes on each of 2 rails.
        assert_eq!(sip_links(&cubes, LinkClass::CubeLink), 2 * 8);
        let cube_link = cubes
            .graph()
            .edge_weights()
            .find(|l| l.class == LinkClass::CubeLink)
            .map(|l| (l.bandwidth.to_string(), l.latency));
        assert_eq!(
            cube_link,
            Some(("50 GB/s".to_owned(), SimTime::from_ns(2_000)))
        );
        let one = Topology::generated("ring:1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(one.sip_count(), 1);
    }

    #[test]
    fn large_rings_and_tori_build_with_links_linear_in_the_sips() {
        let ring = Topology::generated("ring:4096").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ring.sip_count(), 4096);
        let between = ring
            .graph()
            .edge_weights()
            .filter(|l| l.class.is_between_sips())
            .count();
        assert_eq!(between, 2 * 4096);
        let torus = Topology::generated("torus:32x32").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(torus.sip_count(), 1024);
    }
}
