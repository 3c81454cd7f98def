//! Workload files (`*.workload.ron`): one graph of compute, collectives, sends and receives
//! that every rank runs, with peers relative to the rank and named groups.

use std::collections::BTreeMap;
use std::path::Path;

use kernbench_algorithms::workload::{
    CollectiveTask, Compute, FlopRate, Flops, MAX_TASKS, MemoryCopy, Message, Op, Peer, Split,
    Task, Workload,
};
use kernbench_algorithms::{Algorithm, Collective, CollectiveError, Groups};
use kernbench_model::{Bytes, MemoryKind, parse_time};
use serde::Deserialize;

use crate::Failure;
use crate::ron_file;

/// Where complete examples are, for error messages.
const EXAMPLES: &str = "topologies/workloads/ holds complete examples";

/// A workload file as written (RON).
///
/// ```ron
/// Workload(
///     name: "tp-layer",
///     ranks: 8,                           // optional: the topology must have 8 SIPs
///     peak_flops: "400TFLOP/s",           // optional: per SIP, for nodes given in FLOP
///     groups: {"tp": (size: 4, stride: 1)},   // optional; "world" is every rank
///     nodes: [
///         (name: "attn", op: Compute(time: "40us")),
///         (name: "mlp", op: Compute(flops: "8TFLOP", bytes: "2GiB"), deps: ["attn"]),
///         (name: "ar", op: Collective(collective: "all-reduce", group: "tp",
///                                     size: "16MiB", algorithm: "ring"), deps: ["attn"]),
///         (name: "tx", op: Send(to: "next", tag: 1, size: "4MiB"), on: [0, 1, 2]),
///         (name: "rx", op: Recv(from: "prev", tag: 1, size: "4MiB"), on: [1, 2, 3]),
///         (name: "stage", op: Copy(from: "hbm", to: "sram", size: "1MiB")),
///     ],
/// )
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Workload")]
struct WorkloadFile {
    name: String,
    #[serde(default)]
    ranks: Option<u32>,
    #[serde(default)]
    peak_flops: Option<String>,
    #[serde(default)]
    groups: BTreeMap<String, GroupSpec>,
    nodes: Vec<NodeItem>,
}

/// An entry of `nodes`: a node `(name, op, deps, on)`, or a block of nodes repeated,
/// `(repeat: N, nodes: [...])`: the nodes `N` times, each copy's names suffixed by its index
/// (`attn.0`, `attn.1`, ...). In a copy, a dependency on a node of the block is on the same
/// copy's, `prev:NAME` on the previous copy's (none in copy 0), any other name as is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeItem {
    #[serde(default)]
    repeat: Option<u32>,
    #[serde(default)]
    nodes: Option<Vec<NodeSpec>>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    op: Option<OpSpec>,
    #[serde(default)]
    deps: Vec<String>,
    #[serde(default)]
    on: Option<Vec<u32>>,
}

/// A named group: ranks `size` at a time, `stride` apart (as `run --group-size/--group-stride`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupSpec {
    size: u32,
    #[serde(default = "one")]
    stride: u32,
}

fn one() -> u32 {
    1
}

/// A node as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeSpec {
    name: String,
    op: OpSpec,
    #[serde(default)]
    deps: Vec<String>,
    #[serde(default)]
    on: Option<Vec<u32>>,
}

/// An op as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
enum OpSpec {
    /// A duration, or FLOP and bytes costed as a roofline.
    Compute {
        #[serde(default)]
        time: Option<String>,
        #[serde(default)]
        flops: Option<String>,
        #[serde(default)]
        bytes: Option<String>,
    },
    /// A collective on a group.
    Collective {
        collective: String,
        size: String,
        #[serde(default)]
        group: Option<String>,
        #[serde(default)]
        algorithm: Option<String>,
        #[serde(default)]
        memory: Option<String>,
        #[serde(default)]
        root: Option<u32>,
        /// An all-to-allv's split of `size` over the group: `uniform` or `zipf:EXPONENT`.
        #[serde(default)]
        distribution: Option<String>,
        /// The seed of a `zipf` split's hot experts.
        #[serde(default)]
        seed: Option<u64>,
    },
    /// A send to a peer.
    Send {
        to: String,
        tag: u32,
        size: String,
        #[serde(default)]
        memory: Option<String>,
    },
    /// A receive from a peer.
    Recv {
        from: String,
        tag: u32,
        size: String,
        #[serde(default)]
        memory: Option<String>,
    },
    /// A copy between two memories of the rank's SIP.
    Copy {
        from: String,
        to: String,
        size: String,
    },
}

/// Reads and checks a workload file (its structure; the ranks, peers and groups against a
/// topology too if it says `ranks`). Every refusal names the file, the line and the field.
/// For a file that says its `ranks`, the sends and receives are matched by pair and tag too
/// ([`Workload::check_matching`]), which a run leaves to its deadlock report.
pub(crate) fn load_matched(file: &Path) -> Result<Workload, Failure> {
    let (workload, places, text) = load_placed(file)?;
    if let Some(n) = workload.ranks {
        if let Err(e) = workload.check_matching(n) {
            return Err(located(file, &text, &places, e));
        }
    }
    Ok(workload)
}

/// The nodes with `Repeat` blocks expanded, each with its place in the file
/// (`nodes[3]`, `nodes[4].nodes[1]`).
fn expand(
    items: Vec<NodeItem>,
    bad: &dyn Fn(&str, &dyn std::fmt::Display) -> Failure,
) -> Result<(Vec<NodeSpec>, Vec<String>), Failure> {
    let too_many = |n: u64| {
        bad(
            "nodes",
            &format!(
                "{n} nodes (with repeats) is more than the limit of {MAX_TASKS}; split the workload"
            ),
        )
    };
    let total: u64 = items
        .iter()
        .map(|item| match (&item.repeat, &item.nodes) {
            (Some(times), Some(nodes)) => u64::from(*times) * nodes.len() as u64,
            _ => 1,
        })
        .sum();
    if total > MAX_TASKS as u64 {
        return Err(too_many(total));
    }
    let (mut nodes, mut places) = (Vec::new(), Vec::new());
    for (b, item) in items.into_iter().enumerate() {
        let place = format!("nodes[{b}]");
        match item {
            NodeItem {
                repeat: None,
                nodes: None,
                name: Some(name),
                op: Some(op),
                deps,
                on,
            } => {
                nodes.push(NodeSpec { name, op, deps, on });
                places.push(place);
            }
            NodeItem {
                repeat: Some(times),
                nodes: Some(block),
                name: None,
                op: None,
                deps,
                on: None,
            } if deps.is_empty() => {
                if times == 0 || block.is_empty() {
                    return Err(bad(
                        &place,
                        &"a repeat needs `repeat` of at least 1 and at least one node",
                    ));
                }
                let inner: std::collections::BTreeSet<&str> =
                    block.iter().map(|n| n.name.as_str()).collect();
                for (k, node) in block.iter().enumerate() {
                    for (d, dep) in node.deps.iter().enumerate() {
                        if let Some(name) = dep.strip_prefix("prev:") {
                            if !inner.contains(name) {
                                return Err(bad(
                                    &format!("nodes[{b}].nodes[{k}].deps[{d}]"),
                                    &format!(
                                        "\"{dep}\": prev: names a node of the same Repeat block; \"{name}\" is not one"
                                    ),
                                ));
                            }
                        }
                    }
                }
                for i in 0..times {
                    for (k, node) in block.iter().enumerate() {
                        let mut copy = node.clone();
                        copy.name = format!("{}.{i}", node.name);
                        copy.deps = node
                            .deps
                            .iter()
                            .filter_map(|dep| match dep.strip_prefix("prev:") {
                                Some(name) => i.checked_sub(1).map(|p| format!("{name}.{p}")),
                                None if inner.contains(dep.as_str()) => Some(format!("{dep}.{i}")),
                                None => Some(dep.clone()),
                            })
                            .collect();
                        nodes.push(copy);
                        places.push(format!("nodes[{b}].nodes[{k}]"));
                    }
                }
            }
            _ => {
                return Err(bad(
                    &place,
                    &"write a node as (name: ..., op: ..., deps: [...], on: [...]), or a repeated block as (repeat: N, nodes: [...])",
                ));
            }
        }
    }
    Ok((nodes, places))
}

/// The workload of `file`, with each task's place in the file and the file's text (for
/// errors found later).
fn load_placed(file: &Path) -> Result<(Workload, Vec<String>, String), Failure> {
    let text = kernbench_model::read_input_file(file)?;
    let spec: WorkloadFile = ron_file::parse(file, &text, "workload", EXAMPLES)?;
    let bad = |place: &str, message: &dyn std::fmt::Display| {
        ron_file::bad_at(file, &text, place, message)
    };
    let (nodes, places) = expand(spec.nodes, &bad)?;
    let peak_flops = match &spec.peak_flops {
        Some(p) => Some(p.parse::<FlopRate>().map_err(|e| bad("peak_flops", &e))?),
        None => None,
    };
    let mut groups: BTreeMap<&str, Groups> = BTreeMap::new();
    groups.insert("world", Groups::World);
    for (name, g) in &spec.groups {
        if name == "world" {
            return Err(bad(
                "groups",
                &"\"world\" is every rank already; give the group another name",
            ));
        }
        if g.size == 0 || g.stride == 0 {
            return Err(bad(
                "groups",
                &format!("group \"{name}\": size and stride are at least 1"),
            ));
        }
        groups.insert(
            name,
            Groups::Split {
                size: g.size,
                stride: g.stride,
            },
        );
    }
    let index: BTreeMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.as_str(), i))
        .rev()
        .collect();
    let mut tasks = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let place = |field: &str| format!("{}.{field}", places[i]);
        let at_op = |e: &dyn std::fmt::Display| bad(&place("op"), e);
        let size = |text: &str| text.parse::<Bytes>().map_err(|e| at_op(&e));
        let memory = |m: &Option<String>| match m {
            Some(m) => m.parse::<MemoryKind>().map_err(|e| at_op(&e)),
            None => Ok(MemoryKind::Hbm),
        };
        let op = match &node.op {
            OpSpec::Compute { time, flops, bytes } => match (time, flops) {
                (Some(t), None) if bytes.is_none() => {
                    Op::Compute(Compute::Time(parse_time(t).map_err(|e| at_op(&e))?))
                }
                (None, Some(f)) => Op::Compute(Compute::Roofline {
                    flops: f.parse::<Flops>().map_err(|e| at_op(&e))?,
                    bytes: match bytes {
                        Some(b) => size(b)?,
                        None => Bytes(0),
                    },
                }),
                _ => {
                    return Err(at_op(
                        &"give a Compute either a time (time: \"10us\") or flops and optionally bytes (flops: \"2TFLOP\", bytes: \"1GiB\"), not both",
                    ));
                }
            },
            OpSpec::Collective {
                collective,
                size: bytes,
                group,
                algorithm,
                memory: m,
                root,
                distribution,
                seed,
            } => {
                let collective = collective.parse::<Collective>().map_err(|e| at_op(&e))?;
                let split = match (collective, distribution.as_deref()) {
                    (Collective::AllToAllv, Some(text)) => {
                        Some(split_of(text, seed.unwrap_or(0)).map_err(|e| at_op(&e))?)
                    }
                    (Collective::AllToAllv, None) => Some(Split::Uniform),
                    (_, Some(_)) => {
                        return Err(at_op(
                            &"a distribution is for all-to-allv only; drop it or make the collective all-to-allv",
                        ));
                    }
                    (_, None) => None,
                };
                let algorithm = match algorithm {
                    Some(a) => a.parse::<Algorithm>().map_err(|e| at_op(&e))?,
                    None if matches!(collective, Collective::AllToAll | Collective::AllToAllv) => {
                        Algorithm::Direct
                    }
                    None => Algorithm::Ring,
                };
                let group_name = group.clone().unwrap_or_else(|| "world".to_string());
                let Some(&groups) = groups.get(group_name.as_str()) else {
                    let known: Vec<&str> = groups.keys().copied().collect();
                    return Err(at_op(&format!(
                        "group \"{group_name}\" is not declared; declare it in groups, or use one of: {}",
                        known.join(", ")
                    )));
                };
                Op::Collective(CollectiveTask {
                    collective,
                    algorithm: algorithm.into(),
                    groups,
                    group_name,
                    bytes: size(bytes)?,
                    memory: memory(m)?,
                    root: root.unwrap_or(0),
                    split,
                })
            }
            OpSpec::Send {
                to,
                tag,
                size: bytes,
                memory: m,
            } => Op::Send(Message {
                peer: to.parse::<Peer>().map_err(|e| at_op(&e))?,
                tag: *tag,
                bytes: size(bytes)?,
                memory: memory(m)?,
            }),
            OpSpec::Recv {
                from,
                tag,
                size: bytes,
                memory: m,
            } => Op::Recv(Message {
                peer: from.parse::<Peer>().map_err(|e| at_op(&e))?,
                tag: *tag,
                bytes: size(bytes)?,
                memory: memory(m)?,
            }),
            OpSpec::Copy {
                from,
                to,
                size: bytes,
            } => Op::Copy(MemoryCopy {
                from: memory(&Some(from.clone()))?,
                to: memory(&Some(to.clone()))?,
                bytes: size(bytes)?,
            }),
        };
        let mut deps = Vec::with_capacity(node.deps.len());
        for (k, dep) in node.deps.iter().enumerate() {
            let Some(&d) = index.get(dep.as_str()) else {
                let known: Vec<&str> = nodes.iter().take(8).map(|n| n.name.as_str()).collect();
                let more = if nodes.len() > 8 { ", ..." } else { "" };
                return Err(bad(
                    &place(&format!("deps[{k}]")),
                    &format!(
                        "\"{dep}\" is not a node; name a node of this file ({}{more})",
                        known.join(", ")
                    ),
                ));
            };
            deps.push(d);
        }
        tasks.push(Task {
            name: node.name.clone(),
            deps,
            op,
            on: node.on.clone(),
        });
    }
    let workload = Workload {
        name: spec.name.clone(),
        tasks,
        ranks: spec.ranks,
        peak_flops,
    };
    workload
        .check(None)
        .map_err(|e| located(file, &text, &places, e))?;
    Ok((workload, places, text))
}

/// A workload error as a bad input naming the file, the line of the node's field and the fix.
pub(crate) fn located(
    file: &Path,
    text: &str,
    places: &[String],
    error: CollectiveError,
) -> Failure {
    match error {
        CollectiveError::BadWorkload {
            task,
            index,
            field,
            reason,
        } => {
            let place = match index {
                Some(i) => match places.get(i) {
                    Some(p) => format!("{p}.{field}"),
                    None => format!("nodes[{i}].{field}"),
                },
                None => field.to_string(),
            };
            let message = match task {
                Some(task) => format!("node \"{task}\": {reason}"),
                None => reason,
            };
            ron_file::bad_at(file, text, &place, message)
        }
        other => crate::run::failure(other),
    }
}

/// One line for `validate`: `workload NAME: N nodes (C compute, K collectives, P send/recv)`.
pub(crate) fn describe(workload: &Workload) -> String {
    let count = |f: fn(&Op) -> bool| workload.tasks.iter().filter(|t| f(&t.op)).count();
    format!(
        "workload {}: {} nodes ({} compute, {} collectives, {} send/recv, {} copies)",
        workload.name,
        workload.tasks.len(),
        count(|op| matches!(op, Op::Compute(_))),
        count(|op| matches!(op, Op::Collective(_))),
        count(|op| matches!(op, Op::Send(_) | Op::Recv(_))),
        count(|op| matches!(op, Op::Copy(_))),
    )
}

/// A workload read from a `*.workload.ron` file or a folder of Chakra traces, with what it
/// needs to place errors found later (while it runs).
pub(crate) struct Loaded {
    pub(crate) workload: Workload,
    /// What a trace did not use (empty for a RON file).
    pub(crate) unused: BTreeMap<String, u64>,
    source: Source,
}

enum Source {
    Ron {
        file: std::path::PathBuf,
        text: String,
        places: Vec<String>,
    },
    Chakra {
        files: Vec<std::path::PathBuf>,
    },
}

/// Reads `path`: a folder is a Chakra trace (one `PREFIX.N.et` per rank), a file a
/// `*.workload.ron`. `peak_flops` (`--peak-flops`) replaces the file's.
pub(crate) fn load_any(path: &Path, peak_flops: Option<&str>) -> Result<Loaded, Failure> {
    let peak = match peak_flops {
        Some(p) => Some(
            p.parse::<FlopRate>()
                .map_err(|e| Failure::BadInput(format!("--peak-flops: {e}")))?,
        ),
        None => None,
    };
    if path.is_dir() {
        let trace = kernbench::chakra::load_folder(path, peak)
            .map_err(|e| Failure::BadInput(e.to_string()))?;
        let loaded = Loaded {
            workload: trace.workload,
            unused: trace.unused,
            source: Source::Chakra { files: trace.files },
        };
        loaded.workload.check(None).map_err(|e| loaded.located(e))?;
        return Ok(loaded);
    }
    if path.to_string_lossy().ends_with(".et") {
        return Err(Failure::BadInput(format!(
            "{}: a Chakra trace is one file per rank; give the folder that holds its PREFIX.N.et files",
            path.display()
        )));
    }
    let (mut workload, places, text) = load_placed(path)?;
    if peak.is_some() {
        workload.peak_flops = peak;
    }
    Ok(Loaded {
        workload,
        unused: BTreeMap::new(),
        source: Source::Ron {
            file: path.to_owned(),
            text,
            places,
        },
    })
}

impl Loaded {
    /// An error of the workload (checking or running it) as a bad input naming the file
    /// and the node.
    pub(crate) fn located(&self, error: CollectiveError) -> Failure {
        match &self.source {
            Source::Ron { file, text, places } => located(file, text, places, error),
            Source::Chakra { files } => match error {
                CollectiveError::BadWorkload {
                    task,
                    index,
                    reason,
                    ..
                } => {
                    let rank = index
                        .and_then(|i| self.workload.tasks.get(i))
                        .and_then(|t| t.on.as_ref()?.first().copied());
                    let file = rank
                        .and_then(|r| files.get(r as usize))
                        .or(files.first())
                        .map(|f| f.display().to_string())
                        .unwrap_or_default();
                    match task {
                        Some(task) => Failure::BadInput(format!("{file}: node {task}: {reason}")),
                        None => Failure::BadInput(format!("{file}: {reason}")),
                    }
                }
                other => crate::run::failure(other),
            },
        }
    }
}

/// An all-to-allv's `distribution` as written: `uniform` or `zipf:EXPONENT`.
fn split_of(text: &str, seed: u64) -> Result<Split, String> {
    match text.split_once(':') {
        None if text == "uniform" => Ok(Split::Uniform),
        Some(("zipf", exponent)) => match exponent.trim().parse::<f64>() {
            Ok(exponent) if exponent.is_finite() && exponent >= 0.0 => {
                Ok(Split::Zipf { exponent, seed })
            }
            _ => Err(format!(
                "\"{exponent}\" is not a Zipf exponent (a number >= 0); write zipf:1.2, for example"
            )),
        },
        _ => Err(format!(
            "\"{text}\" is not a distribution; use uniform or zipf:EXPONENT (e.g. zipf:1.2)"
        )),
    }
}
