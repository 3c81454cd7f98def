//! Sweep files: which topologies, collectives, algorithms, sizes, memories, channels, chunk
//! sizes and groups to run; or, with `workloads`, which workloads on which topologies (the
//! plan of such a sweep is in [`crate::workload_plan`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kernbench_algorithms::{Algorithm, Channels, Collective, DEFAULT_CHUNK, Groups, check_order};
use kernbench_engine::SimTime;
use kernbench_model::{
    Bytes, Generated, MemoryKind, NetworkModel, Topology, TopologySource, TopologySpec, parse_time,
};
use serde::Deserialize;

use crate::Failure;
use crate::ron_file::{self, bad};
use crate::run::parse_chunk;
use crate::workload_plan::WorkloadSweep;

/// A sweep file as written (RON). Every list is crossed with every other.
///
/// ```ron
/// Sweep(
///     name: "default",
///     topologies: ["ring8.ron", "mesh*.ron", "ring:1024"],   // paths or globs, relative to
///                                                           // this file, or generated forms
///     collectives: ["all-reduce"],
///     algorithms: ["ring", "tree"],
///     sizes: Range(from: "1KiB", to: "1GiB", factor: 4),   // or List(["4KiB", "1MiB"])
///     memories: ["tcm", "sram", "hbm"],
///     channels: ["auto", "1", "2"],             // optional, default ["auto"]
///     chunk_sizes: ["1MiB", "256KiB"],          // optional, default ["1MiB"]
///     group_sizes: ["all", "4"],                // optional, default ["all"]: every rank
///     group_strides: ["1", "4"],                // optional, default ["1"]; not with "all"
///     ring_orders: {"ring8": [0, 2, 4, 6, 7, 5, 3, 1]},   // optional: the ring algorithm's
///                                               // order on the topology of that name
///     verify: false,
///     time_limit: "1s",                         // optional: a point still running is failed
///     model: Flow,                              // optional, default Packet: the network
///                                               // model (Flow: max-min fair flows, fast)
/// )
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Sweep")]
pub(crate) struct SweepFile {
    name: String,
    topologies: Vec<String>,
    /// Workload files (`*.workload.ron`) and folders of Chakra traces, or globs of them: a
    /// sweep of workloads (see [`crate::workload_plan`]), which takes none of the collective
    /// fields below (each is `None` when not written, so that writing one can be refused).
    #[serde(default)]
    workloads: Option<Vec<String>>,
    /// A workload sweep's peak compute rate of one SIP, for compute given in FLOP (as
    /// `workload --peak-flops`).
    #[serde(default)]
    peak_flops: Option<String>,
    #[serde(default)]
    collectives: Option<Vec<String>>,
    /// Required in a sweep of collectives (see [`require_collective_fields`]).
    #[serde(default)]
    algorithms: Option<Vec<String>>,
    /// Required in a sweep of collectives.
    #[serde(default)]
    sizes: Option<Sizes>,
    #[serde(default)]
    memories: Option<Vec<String>>,
    /// `RunConfig::channels` of the points: `auto` or a count from 1 to 64.
    #[serde(default)]
    channels: Option<Vec<String>>,
    /// `RunConfig::chunk` of the points: sizes, multiples of 4 bytes.
    #[serde(default)]
    chunk_sizes: Option<Vec<String>>,
    /// Ranks per group (`RunConfig::groups`): `all` (one group of every rank) or a count.
    #[serde(default)]
    group_sizes: Option<Vec<String>>,
    /// The distance between a group's consecutive ranks: counts, crossed with the counts of
    /// `group_sizes` (not with `all`, which has no stride).
    #[serde(default)]
    group_strides: Option<Vec<String>>,
    /// The order the ring algorithm walks, by topology name (`--ring-order` of each point);
    /// topologies not named keep the order along their wiring.
    #[serde(default)]
    ring_orders: Option<BTreeMap<String, Vec<u32>>>,
    /// How all-to-allv points split each rank's size over the ranks: `uniform` or
    /// `zipf:EXPONENT` (as `run --distribution`), hot experts drawn from `seed`.
    #[serde(default)]
    distribution: Option<String>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    verify: Option<bool>,
    #[serde(default)]
    time_limit: Option<String>,
    /// The network model every point runs in (`run --model`): `Packet` (exact) or `Flow`.
    #[serde(default)]
    model: NetworkModel,
}

impl SweepFile {
    /// The fields of a sweep of collectives that `self` writes, by name (in the order of
    /// the struct's fields).
    fn collective_fields(&self) -> Vec<&'static str> {
        [
            ("collectives", self.collectives.is_some()),
            ("algorithms", self.algorithms.is_some()),
            ("sizes", self.sizes.is_some()),
            ("memories", self.memories.is_some()),
            ("channels", self.channels.is_some()),
            ("chunk_sizes", self.chunk_sizes.is_some()),
            ("group_sizes", self.group_sizes.is_some()),
            ("group_strides", self.group_strides.is_some()),
            ("ring_orders", self.ring_orders.is_some()),
            ("distribution", self.distribution.is_some()),
            ("seed", self.seed.is_some()),
            ("verify", self.verify.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, written)| written.then_some(name))
        .collect()
    }
}

/// The fields a sweep of collectives must write. A workload sweep leaves them out, so
/// [`SweepFile`] takes them as optional; a collective sweep without them is refused by
/// parsing its text again into this struct, which gives the very error the required
/// fields always gave (`Unexpected missing field named `algorithms``, at the place RON
/// reports it).
#[derive(Debug, Deserialize)]
#[serde(rename = "Sweep")]
struct CollectiveFields {
    #[allow(dead_code)] // ok: only its presence is checked
    algorithms: serde::de::IgnoredAny,
    #[allow(dead_code)] // ok: only its presence is checked
    sizes: serde::de::IgnoredAny,
}

/// Refuses a sweep of collectives without `algorithms` or `sizes`, as when both were
/// required fields of [`SweepFile`].
fn require_collective_fields(file: &Path, text: &str) -> Result<(), Failure> {
    ron_file::parse::<CollectiveFields>(file, text, "sweep", EXAMPLE).map(|_| ())
}

/// Where a complete sweep file is, for error messages.
const EXAMPLE: &str = "topologies/default.sweep.ron is a complete example";

/// A sweep file, validated: a sweep of collectives, or of workloads.
#[derive(Debug)]
pub(crate) enum Plan {
    /// Topologies x collectives x algorithms x sizes x memories x ...
    Collectives(Sweep),
    /// Workloads x topologies.
    Workloads(WorkloadSweep),
}

impl Plan {
    /// Reads and checks a sweep file, with the topology (and workload) files it names.
    /// A file with `workloads` is a workload sweep and must not write the collective fields;
    /// any other is a sweep of collectives, which must write `algorithms` and `sizes`.
    pub(crate) fn load(file: &Path) -> Result<Plan, Failure> {
        let text = kernbench_model::read_input_file(file)?;
        let spec: SweepFile = ron_file::parse(file, &text, "sweep", EXAMPLE)?;
        match spec.workloads {
            Some(_) => {
                // The first written, so that the line named is the first to fix.
                let first = spec
                    .collective_fields()
                    .into_iter()
                    .min_by_key(|field| ron_file::line_of(&text, field).unwrap_or(usize::MAX));
                if let Some(field) = first {
                    let why = match field {
                        "verify" => "a workload sweep times its steps, without data to verify",
                        "distribution" | "seed" => {
                            "a workload sweep takes its collectives, and how an all-to-allv \
                             splits, from the workload files"
                        }
                        _ => "a workload sweep takes its collectives from the workload files",
                    };
                    return Err(ron_file::bad_at(
                        file,
                        &text,
                        field,
                        format!("{why}; remove `{field}`"),
                    ));
                }
                WorkloadSweep::from_spec(file, &text, WorkloadFields::of(spec)).map(Plan::Workloads)
            }
            None => {
                if spec.peak_flops.is_some() {
                    return Err(ron_file::bad_at(
                        file,
                        &text,
                        "peak_flops",
                        "peak_flops is for the compute of workloads; remove it, or name \
                         workloads to sweep with `workloads: [...]`",
                    ));
                }
                require_collective_fields(file, &text)?;
                Sweep::from_spec(file, spec).map(Plan::Collectives)
            }
        }
    }
}

/// The parts of a [`SweepFile`] a workload sweep takes (every other field is absent).
#[derive(Debug)]
pub(crate) struct WorkloadFields {
    pub(crate) name: String,
    pub(crate) topologies: Vec<String>,
    pub(crate) workloads: Vec<String>,
    pub(crate) peak_flops: Option<String>,
    pub(crate) time_limit: Option<String>,
    pub(crate) model: NetworkModel,
}

impl WorkloadFields {
    fn of(spec: SweepFile) -> WorkloadFields {
        WorkloadFields {
            name: spec.name,
            topologies: spec.topologies,
            workloads: spec.workloads.unwrap_or_default(),
            peak_flops: spec.peak_flops,
            time_limit: spec.time_limit,
            model: spec.model,
        }
    }
}

fn uniform() -> String {
    "uniform".to_string()
}

fn all_reduce() -> Vec<String> {
    vec!["all-reduce".to_string()]
}

fn all_memories() -> Vec<String> {
    ["tcm", "sram", "hbm"].map(String::from).to_vec()
}

fn auto_channels() -> Vec<String> {
    vec![Channels::Auto.to_string()]
}

fn default_chunk() -> Vec<String> {
    vec![DEFAULT_CHUNK.to_string()]
}

fn all_ranks() -> Vec<String> {
    vec!["all".to_string()]
}

fn stride_one() -> Vec<String> {
    vec!["1".to_string()]
}

/// An entry of `group_sizes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GroupSize {
    /// One group of every rank.
    All,
    /// Groups of this many ranks (at least 1).
    Ranks(u32),
}

fn parse_group_size(text: &str) -> Result<GroupSize, String> {
    match text {
        "all" => Ok(GroupSize::All),
        _ => match text.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(GroupSize::Ranks(n)),
            _ => Err(format!(
                "\"{text}\" is not a group size; write all or a number of ranks, at least 1"
            )),
        },
    }
}

fn parse_group_stride(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "\"{text}\" is not a group stride; write a number of ranks, at least 1"
        )),
    }
}

/// The splits `group_sizes` x `group_strides` ask for, sizes outer: a count with every
/// stride, `all` once (a stride other than 1 with `all` means nothing, so that pair is left
/// out, not crossed). Empty when only `all` meets only strides other than 1.
fn group_splits(sizes: &[GroupSize], strides: &[u32]) -> Vec<(GroupSize, u32)> {
    sizes
        .iter()
        .flat_map(|&size| strides.iter().map(move |&stride| (size, stride)))
        .filter(|&(size, stride)| size != GroupSize::All || stride == 1)
        .collect()
}

/// The groups of a split on a topology of `world_size` ranks. A count of every rank, with
/// stride 1, is the whole world, as `all`: the two are one point (one row key), so they run
/// as one. A split that does not fit the topology is kept: its run refuses it, an
/// `unsupported` row.
fn groups_on(split: (GroupSize, u32), world_size: u32) -> Groups {
    match split {
        (GroupSize::All, _) => Groups::World,
        (GroupSize::Ranks(size), 1) if size == world_size => Groups::World,
        (GroupSize::Ranks(size), stride) => Groups::Split { size, stride },
    }
}

/// Message sizes per rank.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
enum Sizes {
    /// These sizes.
    List(Vec<String>),
    /// `from`, `from * factor`, ... up to and including `to`.
    Range {
        from: String,
        to: String,
        factor: u64,
    },
}

/// A validated sweep: its points in a fixed order.
#[derive(Debug)]
pub(crate) struct Sweep {
    pub(crate) name: String,
    pub(crate) topologies: Vec<(PathBuf, TopologySpec)>,
    pub(crate) points: Vec<Point>,
    pub(crate) verify: bool,
    pub(crate) time_limit: Option<SimTime>,
    /// All-to-allv points' distribution and its seed (`run --distribution`, `--seed`).
    pub(crate) distribution: (String, u64),
}

/// One run of a sweep.
#[derive(Clone, Debug)]
pub(crate) struct Point {
    /// Index into [`Sweep::topologies`].
    pub(crate) topology: usize,
    pub(crate) topology_name: String,
    pub(crate) world_size: u32,
    pub(crate) collective: Collective,
    pub(crate) algorithm: Algorithm,
    pub(crate) memory: MemoryKind,
    pub(crate) bytes: u64,
    /// The channels asked for (`RunConfig::channels`).
    pub(crate) channels: Channels,
    /// The largest message of chunking algorithms (`RunConfig::chunk`).
    pub(crate) chunk: Bytes,
    /// How the ranks split into groups (`RunConfig::groups`); `World` for `all`.
    pub(crate) groups: Groups,
    /// The ring's order where the sweep gives one (ring points only).
    pub(crate) ring_order: Option<Arc<[u32]>>,
    /// The network model timing the point (`RunConfig::network`).
    pub(crate) model: NetworkModel,
}

/// The most points one sweep may hold; a typo such as factor 1 is caught before anything runs.
const MAX_POINTS: usize = 1_000_000;

impl Sweep {
    /// Checks a sweep of collectives (its `algorithms` and `sizes` are written); topology
    /// files are loaded (and so validated) too.
    fn from_spec(file: &Path, spec: SweepFile) -> Result<Sweep, Failure> {
        let collectives = spec.collectives.unwrap_or_else(all_reduce);
        let algorithms = spec.algorithms.unwrap_or_default();
        let sizes = spec.sizes.unwrap_or(Sizes::List(Vec::new()));
        let memories = spec.memories.unwrap_or_else(all_memories);
        let channels = spec.channels.unwrap_or_else(auto_channels);
        let chunk_sizes = spec.chunk_sizes.unwrap_or_else(default_chunk);
        let group_sizes = spec.group_sizes.unwrap_or_else(all_ranks);
        let group_strides = spec.group_strides.unwrap_or_else(stride_one);
        let ring_orders = spec.ring_orders.unwrap_or_default();
        let distribution = spec.distribution.unwrap_or_else(uniform);
        let seed = spec.seed.unwrap_or(0);
        let base = file.parent().unwrap_or(Path::new("."));
        let topologies = expand_topologies(file, base, &spec.topologies)?;
        let collectives = parse_all(file, "collectives", &collectives)?;
        let algorithms: Vec<Algorithm> = parse_all(file, "algorithms", &algorithms)?;
        let memories: Vec<MemoryKind> = parse_all(file, "memories", &memories)?;
        let sizes = expand_sizes(file, &sizes)?;
        let channels = parse_entries(file, "channels", &channels, |text| text.parse::<Channels>())?;
        let chunks = parse_entries(file, "chunk_sizes", &chunk_sizes, parse_chunk)?;
        let group_sizes = parse_entries(file, "group_sizes", &group_sizes, parse_group_size)?;
        let group_strides =
            parse_entries(file, "group_strides", &group_strides, parse_group_stride)?;
        let splits = group_splits(&group_sizes, &group_strides);
        if splits.is_empty() {
            return Err(bad(
                file,
                "group_strides",
                "a stride spaces the ranks of groups, and group_sizes is only \"all\" here, so \
                 no point is left; add a group size such as \"4\", or \"1\" to group_strides",
            ));
        }
        let time_limit = spec
            .time_limit
            .as_deref()
            .map(parse_time)
            .transpose()
            .map_err(|e| bad(file, "time_limit", e))?;
        let count = [
            topologies.len(),
            collectives.len(),
            algorithms.len(),
            memories.len(),
            sizes.len(),
            channels.len(),
            chunks.len(),
            splits.len(),
        ]
        .iter()
        .fold(1usize, |count, n| count.saturating_mul(*n));
        if count > MAX_POINTS {
            return Err(bad(
                file,
                "sizes",
                format!("{count} points is more than {MAX_POINTS}; narrow the lists"),
            ));
        }
        let ring_orders = check_ring_orders(file, &ring_orders, &topologies, &algorithms)?;
        let mut points = Vec::with_capacity(count);
        for (t, (_, topology)) in topologies.iter().enumerate() {
            let world_size = topology.cubes.count * topology.sips.per_cube;
            for &collective in &collectives {
                for &algorithm in &algorithms {
                    let ring_order = match algorithm {
                        Algorithm::Ring => ring_orders.get(&topology.name).cloned(),
                        _ => None,
                    };
                    for &memory in &memories {
                        for &bytes in &sizes {
                            for &channels in &channels {
                                for &chunk in &chunks {
                                    for &split in &splits {
                                        points.push(Point {
                                            topology: t,
                                            topology_name: topology.name.clone(),
                                            world_size,
                                            collective,
                                            algorithm,
                                            memory,
                                            bytes,
                                            channels,
                                            chunk,
                                            groups: groups_on(split, world_size),
                                            ring_order: ring_order.clone(),
                                            model: spec.model,
                                        });
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Checked now, on one rank: a bad name fails before anything runs.
        crate::matrix_file::generate(&distribution, 1, 0, seed)
            .map_err(|e| bad(file, "distribution", e))?;
        Ok(Sweep {
            name: spec.name,
            topologies,
            points,
            verify: spec.verify.unwrap_or(false),
            time_limit,
            distribution: (distribution, seed),
        })
    }
}

/// Checks a sweep's `ring_orders`: each names a topology of the sweep and each of its ranks
/// once, and the sweep runs the ring algorithm.
fn check_ring_orders(
    file: &Path,
    orders: &BTreeMap<String, Vec<u32>>,
    topologies: &[(PathBuf, TopologySpec)],
    algorithms: &[Algorithm],
) -> Result<BTreeMap<String, Arc<[u32]>>, Failure> {
    if !orders.is_empty() && !algorithms.contains(&Algorithm::Ring) {
        return Err(bad(
            file,
            "ring_orders",
            "only the ring algorithm has a ring order; add \"ring\" to algorithms or remove \
             ring_orders",
        ));
    }
    let mut checked = BTreeMap::new();
    for (name, order) in orders {
        let field = format!("ring_orders[\"{name}\"]");
        let Some((_, topology)) = topologies.iter().find(|(_, t)| &t.name == name) else {
            let names: Vec<&str> = topologies.iter().map(|(_, t)| t.name.as_str()).collect();
            return Err(bad(
                file,
                &field,
                format!(
                    "no topology of this sweep is named \"{name}\"; its topologies are {}",
                    names.join(", ")
                ),
            ));
        };
        let world_size = topology.cubes.count.saturating_mul(topology.sips.per_cube);
        check_order(order, world_size, name).map_err(|e| bad(file, &field, e))?;
        checked.insert(name.clone(), Arc::from(order.as_slice()));
    }
    Ok(checked)
}

fn parse_all<T: std::str::FromStr>(
    file: &Path,
    field: &str,
    names: &[String],
) -> Result<Vec<T>, Failure>
where
    T::Err: std::fmt::Display,
{
    if names.is_empty() {
        return Err(bad(file, field, "the list is empty; name at least one"));
    }
    names
        .iter()
        .map(|n| n.parse::<T>().map_err(|e| bad(file, field, e)))
        .collect()
}

/// Parses every entry of list `field` with `parse`; an error names the entry, `field[i]`
/// (0-based), and an empty list is refused.
fn parse_entries<T, E: std::fmt::Display>(
    file: &Path,
    field: &str,
    entries: &[String],
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<T>, Failure> {
    if entries.is_empty() {
        return Err(bad(file, field, "the list is empty; name at least one"));
    }
    entries
        .iter()
        .enumerate()
        .map(|(i, text)| parse(text).map_err(|e| bad(file, &format!("{field}[{i}]"), e)))
        .collect()
}

/// Paths and globs (relative to the sweep file) and generated forms (`ring:1024`, see
/// [`TopologySource`]) to loaded topology specs, in the order given, each glob's matches
/// sorted, without repeats. A generated form's "path" is the form itself.
///
/// Every error names the sweep file and the entry, `topologies[i]` (0-based), even when it
/// comes from the topology file itself.
pub(crate) fn expand_topologies(
    file: &Path,
    base: &Path,
    patterns: &[String],
) -> Result<Vec<(PathBuf, TopologySpec)>, Failure> {
    if patterns.is_empty() {
        return Err(bad(
            file,
            "topologies",
            "the list is empty; name at least one topology file",
        ));
    }
    // (entry index, path, generated form if it is one), in the order they are run.
    let mut entries: Vec<(usize, PathBuf, Option<Generated>)> = Vec::new();
    for (index, pattern) in patterns.iter().enumerate() {
        let field = format!("topologies[{index}]");
        if pattern.trim().is_empty() {
            return Err(bad(
                file,
                &field,
                "the entry is empty; name a topology file or glob (relative to this sweep \
                 file) or a generated form such as ring:8",
            ));
        }
        if Generated::is_generated_form(pattern) {
            let form = Generated::parse(pattern).map_err(|e| bad(file, &field, e))?;
            let path = PathBuf::from(form.to_string());
            if !entries.iter().any(|(_, p, _)| *p == path) {
                entries.push((index, path, Some(form)));
            }
            continue;
        }
        let matched = glob_sorted(base, pattern, "file").map_err(|e| bad(file, &field, e))?;
        for path in matched {
            if let Some(problem) = not_a_topology_file(&path) {
                return Err(bad(file, &field, problem));
            }
            if !entries.iter().any(|(_, p, _)| *p == path) {
                entries.push((index, path, None));
            }
        }
    }
    let loaded: Vec<(usize, PathBuf, TopologySpec)> = entries
        .into_iter()
        .map(|(index, path, form)| {
            let topology = match form {
                Some(form) => TopologySource::Generated(form).load(),
                None => Topology::load(&path),
            }
            .map_err(|e| bad(file, &format!("topologies[{index}]"), e))?;
            Ok((index, path, topology.spec().clone()))
        })
        .collect::<Result<_, Failure>>()?;
    refuse_duplicate_names(file, &loaded)?;
    Ok(loaded
        .into_iter()
        .map(|(_, path, spec)| (path, spec))
        .collect())
}

/// The paths `pattern` (a glob relative to `base`) matches, sorted; an error for a bad glob
/// or for one that matches nothing (`"x*.ron" matches no file (looked in topologies)`,
/// naming `what` it looked for).
pub(crate) fn glob_sorted(base: &Path, pattern: &str, what: &str) -> Result<Vec<PathBuf>, String> {
    let full = base.join(pattern);
    let mut matched: Vec<PathBuf> = glob::glob(&full.to_string_lossy())
        .map_err(|e| format!("\"{pattern}\" is not a valid glob: {e}"))?
        .filter_map(Result::ok)
        .collect();
    matched.sort();
    if matched.is_empty() {
        return Err(format!(
            "\"{pattern}\" matches no {what} (looked in {})",
            folder_name(base)
        ));
    }
    Ok(matched)
}

/// A folder as a message names it: `.` for the empty path (the folder of a sweep file named
/// without one, `small.sweep.ron`).
fn folder_name(folder: &Path) -> String {
    if folder.as_os_str().is_empty() {
        ".".to_string()
    } else {
        folder.display().to_string()
    }
}

/// Why `path` cannot be a topology file, told by its kind and name as `kernbench validate`
/// tells files apart; `None` when it may be one (loading it says more).
fn not_a_topology_file(path: &Path) -> Option<String> {
    let name = path.to_string_lossy();
    if path.is_dir() {
        Some(format!(
            "{} is a folder, not a topology file; name the files in it, e.g. \"{}/*.ron\"",
            path.display(),
            name.trim_end_matches('/')
        ))
    } else if name.ends_with(".scenario.ron") {
        Some(format!(
            "{} is a diagnosis scenario, not a topology; name the topology file the scenario \
             uses (its `topology` field)",
            path.display()
        ))
    } else if name.ends_with(".sweep.ron") {
        Some(format!(
            "{} is a sweep file, not a topology; sweeps do not nest, list its topologies here",
            path.display()
        ))
    } else {
        None
    }
}

/// Rows are keyed by topology name (a resumed sweep, `merge` and the plots find a point by
/// it), so two files with one `name` would run both and keep one row per point: refused.
fn refuse_duplicate_names(
    file: &Path,
    loaded: &[(usize, PathBuf, TopologySpec)],
) -> Result<(), Failure> {
    for (i, (index, path, spec)) in loaded.iter().enumerate() {
        if let Some((_, first, _)) = loaded[..i].iter().find(|(_, _, s)| s.name == spec.name) {
            return Err(bad(
                file,
                &format!("topologies[{index}]"),
                format!(
                    "{} and {} both name their topology \"{}\"; rows are keyed by topology \
                     name, so give one of them another `name` or leave one out",
                    first.display(),
                    path.display(),
                    spec.name
                ),
            ));
        }
    }
    Ok(())
}

fn expand_sizes(file: &Path, sizes: &Sizes) -> Result<Vec<u64>, Failure> {
    let parse = |text: &str| {
        text.parse::<Bytes>()
            .map(|b| b.0)
            .map_err(|e| bad(file, "sizes", e))
    };
    let sizes = match sizes {
        Sizes::List(list) => list
            .iter()
            .map(|s| parse(s))
            .collect::<Result<Vec<_>, _>>()?,
        Sizes::Range { from, to, factor } => {
            let (from, to) = (parse(from)?, parse(to)?);
            if *factor < 2 {
                return Err(bad(
                    file,
                    "sizes.factor",
                    format!("{factor} must be at least 2"),
                ));
            }
            if from == 0 || from > to {
                return Err(bad(
                    file,
                    "sizes",
                    format!("from ({from} B) must be at least 1 byte and at most to ({to} B)"),
                ));
            }
            let mut out = Vec::new();
            let mut size = from;
            while size <= to {
                out.push(size);
                match size.checked_mul(*factor) {
                    Some(next) => size = next,
                    None => break,
                }
            }
            out
        }
    };
    if sizes.is_empty() {
        return Err(bad(file, "sizes", "no sizes; give at least one"));
    }
    if let Some(bad_size) = sizes.iter().find(|&&s| s % 4 != 0) {
        return Err(bad(
            file,
            "sizes",
            format!("{bad_size} bytes is not a multiple of 4 (f32 elements)"),
        ));
    }
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` as a sweep file.
    fn sweep_file(text: &str) -> SweepFile {
        ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str(text)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_collective_fields_a_file_writes_are_known_whatever_their_defaults() {
        let spec = sweep_file(
            r#"Sweep(name: "w", topologies: ["ring:4"], workloads: ["a.workload.ron"],
                     verify: false, memories: ["hbm"], seed: 0)"#,
        );
        assert_eq!(spec.collective_fields(), ["memories", "seed", "verify"]);
        let spec = sweep_file(r#"Sweep(name: "w", topologies: ["ring:4"], workloads: [])"#);
        assert!(spec.collective_fields().is_empty());
        assert_eq!(spec.workloads, Some(Vec::new()));
    }

    #[test]
    fn a_workload_sweep_names_the_first_collective_field_written_at_its_line() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let file = dir.path().join("w.sweep.ron");
        std::fs::write(
            &file,
            "Sweep(\n    name: \"w\",\n    topologies: [\"ring:4\"],\n    workloads: [\"a.workload.ron\"],\n    \
             sizes: List([\"4KiB\"]),\n    algorithms: [\"ring\"],\n)",
        )
        .expect("write");
        let Err(Failure::BadInput(message)) = Plan::load(&file) else {
            panic!("not refused");
        };
        assert_eq!(
            message,
            format!(
                "{}:5: sizes: a workload sweep takes its collectives from the workload files; \
                 remove `sizes`",
                file.display()
            )
        );
    }

    #[test]
    fn all_takes_no_stride_and_a_count_takes_every_one() {
        let sizes = [GroupSize::All, GroupSize::Ranks(2)];
        assert_eq!(
            group_splits(&sizes, &[1, 4]),
            [
                (GroupSize::All, 1),
                (GroupSize::Ranks(2), 1),
                (GroupSize::Ranks(2), 4)
            ]
        );
        assert_eq!(group_splits(&[GroupSize::All], &[4]), []);
    }

    #[test]
    fn a_group_of_every_rank_is_the_world_and_a_split_that_does_not_fit_is_kept() {
        assert_eq!(groups_on((GroupSize::Ranks(8), 1), 8), Groups::World);
        assert_eq!(groups_on((GroupSize::All, 1), 8), Groups::World);
        assert_eq!(
            groups_on((GroupSize::Ranks(3), 1), 8),
            Groups::Split { size: 3, stride: 1 }
        );
        assert_eq!(
            groups_on((GroupSize::Ranks(8), 2), 8),
            Groups::Split { size: 8, stride: 2 }
        );
    }

    #[test]
    fn group_entries_parse_all_and_counts_of_at_least_one() {
        assert_eq!(parse_group_size("all"), Ok(GroupSize::All));
        assert_eq!(parse_group_size("4"), Ok(GroupSize::Ranks(4)));
        assert!(parse_group_size("0").is_err() && parse_group_size("-1").is_err());
        assert_eq!(parse_group_stride("4"), Ok(4));
        assert!(parse_group_stride("all").is_err());
    }
}
