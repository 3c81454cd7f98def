//! # Chakra execution traces
//!
//! A Chakra trace (`*.et`, MLCommons) is one file per rank: a length-delimited protobuf
//! stream (a varint length, then the message) of one [`GlobalMetadata`] and then the rank's
//! [`Node`]s. A folder of `PREFIX.N.et` files (rank `N`, as ASTRA-sim names them) is read
//! with [`load_folder`] into the same [`Workload`] a `*.workload.ron` file gives, each task
//! limited to its rank ([`Task::on`]) and named `rN/NAME#ID`:
//!
//! | node | task |
//! |---|---|
//! | `COMP_NODE` | compute: `duration_micros`; if 0, the roofline of the `num_ops` (FLOP) and `tensor_size` (bytes) attributes on `peak_flops`; else 0 |
//! | `COMM_COLL_NODE` | the collective `comm_type` of `comm_size` bytes per rank (as `run --size`) on the group `pg_name` (every rank without one), ring (all-to-all: direct) |
//! | `COMM_SEND_NODE` / `COMM_RECV_NODE` | a send to `comm_dst` / a receive from `comm_src`, tag `comm_tag`, `comm_size` bytes |
//! | `MEM_LOAD_NODE` / `MEM_STORE_NODE` | a copy of `tensor_size` bytes HBM -> SRAM / SRAM -> HBM |
//!
//! `data_deps` and `ctrl_deps` are both dependencies. A process group's members are the
//! ranks whose files use its `pg_name`; they must be a group kernbench can form (ranks
//! `size` at a time, `stride` apart). Nodes of other types (metadata, storage, ...) and
//! collectives kernbench does not have (gather, scatter, barrier, ...) are not run: the
//! nodes after them wait for what they waited for. Those nodes, and every attribute that
//! set nothing, are counted in [`Trace::unused`], which `kernbench workload` prints.

mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use kernbench_algorithms::workload::{
    CollectiveTask, Compute, FlopRate, Flops, MAX_TASKS, MemoryCopy, Message, Op, Peer, Task,
    Workload,
};
use kernbench_algorithms::{Algorithm, Collective, Groups};
use kernbench_engine::SimTime;
use kernbench_model::{Bytes, MemoryKind};
use prost::Message as _;

pub use schema::{
    AttributeProto, CollectiveCommType, GlobalMetadata, IoInfo, Node, NodeType, attribute_proto,
};

/// A trace file larger than this is refused (checked before reading it).
pub const MAX_TRACE_FILE: u64 = 256 << 20;
/// At most this many rank files in one folder.
pub const MAX_TRACE_RANKS: usize = 65_536;

/// Why a trace could not be read; every variant names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ChakraError {
    /// The file or folder could not be read.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong, and what to do.
        reason: String,
    },
    /// The bytes are not a Chakra trace stream.
    #[error("{}: byte {offset}: {reason}", path.display())]
    Stream {
        /// The file.
        path: PathBuf,
        /// Where in it.
        offset: usize,
        /// What is wrong, and what to do.
        reason: String,
    },
    /// A node cannot be run as written.
    #[error("{}: node {id} \"{name}\": {reason}", path.display())]
    Node {
        /// The file.
        path: PathBuf,
        /// The node's id.
        id: u64,
        /// The node's name.
        name: String,
        /// What is wrong, and what to do.
        reason: String,
    },
}

/// What was read from a trace: the workload, and what it did not use.
#[derive(Debug)]
pub struct Trace {
    /// The ranks' graphs as one workload.
    pub workload: Workload,
    /// Nodes not run and attributes that set nothing, by kind (`node METADATA_NODE`,
    /// `attribute is_cpu_op`), with how many: never dropped without saying.
    pub unused: BTreeMap<String, u64>,
    /// The file of each rank, in rank order.
    pub files: Vec<PathBuf>,
}

/// Writes one rank's trace: `metadata`, then `nodes`, each length-delimited (as Chakra's
/// `encodeMessage` and ASTRA-sim's generators do).
pub fn encode(metadata: &GlobalMetadata, nodes: &[Node]) -> Vec<u8> {
    let mut out = Vec::new();
    // ok: writing into a Vec cannot run out of room.
    let _ = metadata.encode_length_delimited(&mut out);
    for node in nodes {
        let _ = node.encode_length_delimited(&mut out);
    }
    out
}

/// Reads one rank's stream: the metadata and the nodes.
///
/// # Errors
/// [`ChakraError::Stream`] at the first message that is truncated or not protobuf.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<(GlobalMetadata, Vec<Node>), ChakraError> {
    let bad = |offset: usize, reason: String| ChakraError::Stream {
        path: path.to_owned(),
        offset,
        reason,
    };
    let fix = "is it a Chakra execution trace (.et: length-delimited protobuf, a GlobalMetadata then Nodes)? regenerate it with Chakra's converter or a generator";
    if bytes.is_empty() {
        return Err(bad(
            0,
            format!("the file is empty, with no GlobalMetadata; {fix}"),
        ));
    }
    let mut at = 0;
    let mut metadata = None;
    let mut nodes = Vec::new();
    while at < bytes.len() {
        let what = if metadata.is_none() {
            "the GlobalMetadata".to_string()
        } else {
            format!("node message {}", nodes.len())
        };
        let mut rest = &bytes[at..];
        let len = prost::decode_length_delimiter(&mut rest).map_err(|e| {
            bad(
                at,
                format!("the length of {what} is not a varint ({e}); {fix}"),
            )
        })?;
        let start = bytes.len() - rest.len();
        if len > rest.len() {
            return Err(bad(
                at,
                format!(
                    "{what} says it has {len} bytes but only {} remain: the file is truncated, or {fix}",
                    rest.len()
                ),
            ));
        }
        let body = &rest[..len];
        if metadata.is_none() {
            let m = GlobalMetadata::decode(body)
                .map_err(|e| bad(start, format!("{what} does not decode ({e}); {fix}")))?;
            metadata = Some(m);
        } else {
            if nodes.len() >= MAX_TASKS {
                return Err(bad(
                    at,
                    format!("more than {MAX_TASKS} nodes in one file, the limit; trim the trace"),
                ));
            }
            let node = Node::decode(body)
                .map_err(|e| bad(start, format!("{what} does not decode ({e}); {fix}")))?;
            nodes.push(node);
        }
        at = start + len;
    }
    // ok: the loop ran at least once (the file is not empty) and set it first.
    Ok((metadata.unwrap_or_default(), nodes))
}

/// The rank of a `PREFIX.N.et` file name, or `None` for a name of another form.
fn rank_of(name: &str) -> Option<(String, u32)> {
    let stem = name.strip_suffix(".et")?;
    let (prefix, n) = stem.rsplit_once('.')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || (n.len() > 1 && n.starts_with('0'))
    {
        return None;
    }
    Some((prefix.to_string(), n.parse().ok()?))
}

/// Reads a folder of `PREFIX.N.et` files, one per rank `0..N`, into one workload.
/// `peak_flops` costs compute nodes given as `num_ops`.
///
/// # Errors
/// A [`ChakraError`] naming the file (and node) and the fix: a folder without traces, ranks
/// missing or twice, a file too large, truncated or not protobuf, a node that cannot run
/// (an unknown dependency, a missing attribute, a group kernbench cannot form).
pub fn load_folder(folder: &Path, peak_flops: Option<FlopRate>) -> Result<Trace, ChakraError> {
    let io = |path: &Path, reason: String| ChakraError::Io {
        path: path.to_owned(),
        reason,
    };
    let entries = std::fs::read_dir(folder).map_err(|e| io(folder, e.to_string()))?;
    let mut by_rank: BTreeMap<u32, PathBuf> = BTreeMap::new();
    let mut prefixes = BTreeSet::new();
    for entry in entries {
        let entry = entry.map_err(|e| io(folder, e.to_string()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((prefix, rank)) = rank_of(&name) else {
            continue;
        };
        prefixes.insert(prefix);
        if by_rank.len() >= MAX_TRACE_RANKS {
            return Err(io(
                folder,
                format!("more than {MAX_TRACE_RANKS} trace files, the limit"),
            ));
        }
        if let Some(other) = by_rank.insert(rank, entry.path()) {
            return Err(io(
                folder,
                format!(
                    "rank {rank} has two files, {} and {name}; keep one trace per rank in the folder",
                    other.display()
                ),
            ));
        }
    }
    if by_rank.is_empty() {
        return Err(io(
            folder,
            "holds no Chakra trace files; give a folder of PREFIX.N.et files, one per rank N (as ASTRA-sim's examples/workload/microbenchmarks)".into(),
        ));
    }
    if prefixes.len() > 1 {
        let p: Vec<&str> = prefixes.iter().map(String::as_str).collect();
        return Err(io(
            folder,
            format!(
                "holds traces of {} workloads ({}); keep one workload's files in a folder",
                p.len(),
                p.join(", ")
            ),
        ));
    }
    let n = by_rank.len() as u32;
    if let Some(missing) = (0..n).find(|r| !by_rank.contains_key(r)) {
        return Err(io(
            folder,
            format!(
                "has {n} trace files but none for rank {missing}; ranks are 0 to {}, one file each",
                n - 1
            ),
        ));
    }
    let files: Vec<PathBuf> = by_rank.into_values().collect();
    let mut ranks = Vec::with_capacity(files.len());
    let mut total = 0usize;
    for file in &files {
        let bytes = read_file(file)?;
        let (_metadata, nodes) = decode(file, &bytes)?;
        total += nodes.len();
        if total > MAX_TASKS {
            return Err(io(
                file,
                format!("the traces have more than {MAX_TASKS} nodes in all, the limit; trim them"),
            ));
        }
        ranks.push(nodes);
    }
    let name = prefixes.into_iter().next().unwrap_or_default();
    build(name, &files, &ranks, peak_flops)
}

/// Reads a file of at most [`MAX_TRACE_FILE`] bytes.
fn read_file(path: &Path) -> Result<Vec<u8>, ChakraError> {
    let io = |reason: String| ChakraError::Io {
        path: path.to_owned(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| io(e.to_string()))?;
    let len = file.metadata().map_err(|e| io(e.to_string()))?.len();
    if len > MAX_TRACE_FILE {
        return Err(io(format!(
            "{len} bytes is more than the limit of {MAX_TRACE_FILE} bytes per trace file; trim the trace"
        )));
    }
    let mut bytes = Vec::new();
    file.take(MAX_TRACE_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io(e.to_string()))?;
    Ok(bytes)
}

/// The attributes of one node, as they are used up.
struct Attrs<'a> {
    node: &'a Node,
    path: &'a Path,
    used: BTreeSet<&'a str>,
}

impl<'a> Attrs<'a> {
    fn new(node: &'a Node, path: &'a Path) -> Attrs<'a> {
        Attrs {
            node,
            path,
            used: BTreeSet::new(),
        }
    }

    fn bad(&self, reason: String) -> ChakraError {
        ChakraError::Node {
            path: self.path.to_owned(),
            id: self.node.id,
            name: self.node.name.clone(),
            reason,
        }
    }

    fn get(&mut self, name: &'a str) -> Option<&'a AttributeProto> {
        let a = self.node.attr.iter().find(|a| a.name == name)?;
        self.used.insert(name);
        Some(a)
    }

    /// A whole-number attribute in `0..=max`, if present.
    fn int(&mut self, name: &'a str, max: u64) -> Result<Option<u64>, ChakraError> {
        let Some(a) = self.get(name) else {
            return Ok(None);
        };
        match a.integer() {
            Some(v) if (0..=i128::from(max)).contains(&v) => Ok(Some(v as u64)),
            Some(v) => Err(self.bad(format!(
                "attribute {name} is {v}, outside 0..={max}; write a value in range"
            ))),
            None => Err(self.bad(format!(
                "attribute {name} is not a whole number; write it as an int64 (int64_val)"
            ))),
        }
    }

    fn required(&mut self, name: &'a str, max: u64) -> Result<u64, ChakraError> {
        let kind = NodeType::name_of(self.node.r#type);
        self.int(name, max)?
            .ok_or_else(|| self.bad(format!("a {kind} needs the attribute {name}; add it")))
    }
}

/// A node as kernbench runs it, before dependencies are resolved.
enum Mapped {
    Run(Op),
    /// Not run: counted under this kind.
    Skip(String),
}

fn map_node(
    attrs: &mut Attrs<'_>,
    rank: u32,
    peak_flops: Option<FlopRate>,
    groups: &BTreeMap<String, Groups>,
) -> Result<Mapped, ChakraError> {
    let node = attrs.node;
    let size_limit = u64::MAX / 2;
    let kind = NodeType::try_from(node.r#type);
    Ok(Mapped::Run(match kind {
        Ok(NodeType::CompNode) => {
            let flops = attrs.int("num_ops", u64::MAX)?;
            let bytes = attrs.int("tensor_size", size_limit)?;
            if node.duration_micros > 0 {
                let us = node.duration_micros.min(SimTime::MAX.as_ps() / 1_000_000);
                Op::Compute(Compute::Time(SimTime::from_us(us)))
            } else if let Some(flops) = flops.filter(|&f| f > 0) {
                if peak_flops.is_none() {
                    return Err(attrs.bad(
                        "a compute node given as num_ops, without duration_micros, needs a peak rate; give --peak-flops (e.g. --peak-flops 400TFLOP/s)".into(),
                    ));
                }
                Op::Compute(Compute::Roofline {
                    flops: Flops(flops),
                    bytes: Bytes(bytes.unwrap_or(0)),
                })
            } else {
                Op::Compute(Compute::Time(SimTime::ZERO))
            }
        }
        Ok(NodeType::CommCollNode) => {
            let comm = attrs.required("comm_type", i32::MAX as u64)?;
            let collective = match CollectiveCommType::try_from(comm as i32) {
                Ok(CollectiveCommType::AllReduce) => Collective::AllReduce,
                Ok(CollectiveCommType::Reduce) => Collective::Reduce,
                Ok(CollectiveCommType::AllGather) => Collective::AllGather,
                Ok(CollectiveCommType::Broadcast) => Collective::Broadcast,
                Ok(CollectiveCommType::AllToAll) => Collective::AllToAll,
                Ok(CollectiveCommType::ReduceScatter) => Collective::ReduceScatter,
                Ok(other) => {
                    return Ok(Mapped::Skip(format!(
                        "node COMM_COLL_NODE {} (no kernbench collective)",
                        other.as_str_name()
                    )));
                }
                Err(_) => {
                    return Ok(Mapped::Skip(format!(
                        "node COMM_COLL_NODE comm_type {comm} (not in the schema)"
                    )));
                }
            };
            let bytes = attrs.required("comm_size", size_limit)?;
            let pg = attrs.get("pg_name").map(|a| {
                a.text()
                    .map(str::to_string)
                    .or_else(|| a.integer().map(|v| v.to_string()))
                    .unwrap_or_default()
            });
            let (group_name, groups) = match pg {
                Some(pg) => {
                    let g = groups.get(&pg).copied().unwrap_or(Groups::World);
                    (pg, g)
                }
                None => ("world".to_string(), Groups::World),
            };
            let algorithm = match collective {
                Collective::AllToAll => Algorithm::Direct,
                _ => Algorithm::Ring,
            };
            if bytes == 0 || bytes % 4 != 0 {
                return Err(attrs.bad(format!(
                    "comm_size {bytes} is not a positive whole number of 4-byte f32 elements; use a multiple of 4"
                )));
            }
            Op::Collective(CollectiveTask {
                collective,
                algorithm: algorithm.into(),
                groups,
                group_name,
                bytes: Bytes(bytes),
                memory: MemoryKind::Hbm,
                root: 0,
                split: None,
            })
        }
        Ok(t @ (NodeType::CommSendNode | NodeType::CommRecvNode)) => {
            let send = t == NodeType::CommSendNode;
            let peer = if send {
                attrs.int("comm_src", u64::from(u32::MAX))?;
                attrs.required("comm_dst", u64::from(u32::MAX))?
            } else {
                attrs.int("comm_dst", u64::from(u32::MAX))?;
                attrs.required("comm_src", u64::from(u32::MAX))?
            } as u32;
            let tag = attrs.int("comm_tag", u64::from(u32::MAX))?.unwrap_or(0) as u32;
            let bytes = attrs.required("comm_size", size_limit)?;
            if peer == rank {
                let field = if send { "comm_dst" } else { "comm_src" };
                return Err(attrs.bad(format!(
                    "{field} {peer} is this file's own rank; name another rank"
                )));
            }
            let message = Message {
                peer: Peer::Rank(peer),
                tag,
                bytes: Bytes(bytes),
                memory: MemoryKind::Hbm,
            };
            if send {
                Op::Send(message)
            } else {
                Op::Recv(message)
            }
        }
        Ok(t @ (NodeType::MemLoadNode | NodeType::MemStoreNode)) => {
            let bytes = attrs.required("tensor_size", size_limit)?;
            let (from, to) = if t == NodeType::MemLoadNode {
                (MemoryKind::Hbm, MemoryKind::Sram)
            } else {
                (MemoryKind::Sram, MemoryKind::Hbm)
            };
            if bytes == 0 {
                return Ok(Mapped::Skip(format!("node {} of 0 bytes", t.as_str_name())));
            }
            Op::Copy(MemoryCopy {
                from,
                to,
                bytes: Bytes(bytes),
            })
        }
        Ok(_) | Err(_) => {
            return Ok(Mapped::Skip(format!(
                "node {}",
                NodeType::name_of(node.r#type)
            )));
        }
    }))
}

/// The process groups: each `pg_name`'s members are the ranks that use it.
fn groups_of(
    files: &[PathBuf],
    ranks: &[Vec<Node>],
) -> Result<BTreeMap<String, Groups>, ChakraError> {
    let n = ranks.len() as u32;
    let mut members: BTreeMap<String, (BTreeSet<u32>, usize, u64, String)> = BTreeMap::new();
    for (r, nodes) in ranks.iter().enumerate() {
        for node in nodes {
            if node.r#type != NodeType::CommCollNode as i32 {
                continue;
            }
            let Some(a) = node.attr.iter().find(|a| a.name == "pg_name") else {
                continue;
            };
            let pg = a
                .text()
                .map(str::to_string)
                .or_else(|| a.integer().map(|v| v.to_string()))
                .unwrap_or_default();
            members
                .entry(pg)
                .or_insert_with(|| (BTreeSet::new(), r, node.id, node.name.clone()))
                .0
                .insert(r as u32);
        }
    }
    let mut groups = BTreeMap::new();
    for (pg, (set, r, id, name)) in members {
        let list: Vec<u32> = set.iter().copied().collect();
        let size = list.len() as u32;
        let stride = match list.as_slice() {
            [a, b, ..] => b - a,
            _ => 1,
        };
        let g = if size == n {
            Groups::World
        } else {
            Groups::Split { size, stride }
        };
        let fits = g.check(n).is_ok() && g.members_of(list[0], n) == list;
        if !fits {
            let shown: Vec<String> = list.iter().take(16).map(u32::to_string).collect();
            let more = if list.len() > 16 { ", ..." } else { "" };
            return Err(ChakraError::Node {
                path: files[r].clone(),
                id,
                name,
                reason: format!(
                    "pg_name \"{pg}\" is used by ranks {}{more}, which is not a group kernbench forms (ranks `size` at a time, `stride` apart, tiling all {n} ranks); give each such group its own pg_name with evenly spaced ranks",
                    shown.join(", ")
                ),
            });
        }
        groups.insert(pg, g);
    }
    Ok(groups)
}

/// The ranks' node lists as one workload.
fn build(
    name: String,
    files: &[PathBuf],
    ranks: &[Vec<Node>],
    peak_flops: Option<FlopRate>,
) -> Result<Trace, ChakraError> {
    let groups = groups_of(files, ranks)?;
    let n = ranks.len() as u32;
    let mut unused: BTreeMap<String, u64> = BTreeMap::new();
    let mut tasks: Vec<Task> = Vec::new();
    for (r, nodes) in ranks.iter().enumerate() {
        let path = &files[r];
        let rank = r as u32;
        let mut index: BTreeMap<u64, usize> = BTreeMap::new();
        for (k, node) in nodes.iter().enumerate() {
            if index.insert(node.id, k).is_some() {
                return Err(ChakraError::Node {
                    path: path.clone(),
                    id: node.id,
                    name: node.name.clone(),
                    reason: "another node of this file has the same id; give each node its own id"
                        .into(),
                });
            }
        }
        // Per node: its task index, or None if it is not run.
        let mut task_of: Vec<Option<usize>> = Vec::with_capacity(nodes.len());
        let mut ops = Vec::with_capacity(nodes.len());
        for node in nodes {
            let mut attrs = Attrs::new(node, path);
            let mapped = map_node(&mut attrs, rank, peak_flops, &groups)?;
            if let Mapped::Run(Op::Send(m) | Op::Recv(m)) = &mapped {
                if let Peer::Rank(p) = m.peer {
                    if p >= n {
                        return Err(attrs.bad(format!(
                            "peer rank {p} has no trace file (ranks 0 to {}); name a rank of the folder",
                            n - 1
                        )));
                    }
                }
            }
            for a in &node.attr {
                if !attrs.used.contains(a.name.as_str()) {
                    *unused.entry(format!("attribute {}", a.name)).or_insert(0) += 1;
                }
            }
            match mapped {
                Mapped::Run(op) => {
                    task_of.push(Some(tasks.len() + ops.len()));
                    ops.push((node, op));
                }
                Mapped::Skip(kind) => {
                    *unused.entry(kind).or_insert(0) += 1;
                    task_of.push(None);
                }
            }
        }
        let deps = resolve_deps(path, nodes, &index, &task_of)?;
        for (node, op) in ops {
            let Some(&i) = index.get(&node.id) else {
                continue;
            };
            let label = if node.name.is_empty() {
                NodeType::name_of(node.r#type)
            } else {
                node.name.clone()
            };
            tasks.push(Task {
                name: format!("r{rank}/{label}#{}", node.id),
                deps: deps[i].clone(),
                op,
                on: Some(vec![rank]),
            });
        }
    }
    if tasks.is_empty() {
        return Err(ChakraError::Io {
            path: files.first().cloned().unwrap_or_default(),
            reason: "no node of the traces is one kernbench runs (compute, collective, send, receive, memory); check the traces".into(),
        });
    }
    Ok(Trace {
        workload: Workload {
            name,
            tasks,
            ranks: Some(n),
            peak_flops,
        },
        unused,
        files: files.to_vec(),
    })
}

/// Each node's dependencies as task indices: a dependency that is not run stands for its
/// own dependencies (found without recursion, so deep chains cannot overflow the stack).
fn resolve_deps(
    path: &Path,
    nodes: &[Node],
    index: &BTreeMap<u64, usize>,
    task_of: &[Option<usize>],
) -> Result<Vec<Vec<usize>>, ChakraError> {
    let direct = |k: usize| -> Result<Vec<usize>, ChakraError> {
        let node = &nodes[k];
        let mut out = Vec::new();
        for (field, list) in [
            ("data_deps", &node.data_deps),
            ("ctrl_deps", &node.ctrl_deps),
        ] {
            for d in list {
                let Some(&j) = index.get(d) else {
                    return Err(ChakraError::Node {
                        path: path.to_owned(),
                        id: node.id,
                        name: node.name.clone(),
                        reason: format!(
                            "{field} names node {d}, which is not in this file; remove it or add that node"
                        ),
                    });
                };
                out.push(j);
            }
        }
        Ok(out)
    };
    // For a node not run: the task indices it stands for (memoised).
    let mut through: Vec<Option<BTreeSet<usize>>> = vec![None; nodes.len()];
    let mut out = vec![Vec::new(); nodes.len()];
    for (k, slot) in out.iter_mut().enumerate() {
        let mut set = BTreeSet::new();
        for j in direct(k)? {
            match task_of[j] {
                Some(t) => {
                    set.insert(t);
                }
                None => {
                    // Resolve j's stand-ins with an explicit stack.
                    let mut stack = vec![(j, false)];
                    let mut on_path = BTreeSet::new();
                    while let Some((x, expanded)) = stack.pop() {
                        if through[x].is_some() {
                            continue;
                        }
                        let deps = direct(x)?;
                        if expanded {
                            let mut s = BTreeSet::new();
                            for y in deps {
                                match task_of[y] {
                                    Some(t) => {
                                        s.insert(t);
                                    }
                                    None => s.extend(through[y].iter().flatten().copied()),
                                }
                            }
                            through[x] = Some(s);
                            on_path.remove(&x);
                            continue;
                        }
                        if !on_path.insert(x) {
                            let node = &nodes[x];
                            return Err(ChakraError::Node {
                                path: path.to_owned(),
                                id: node.id,
                                name: node.name.clone(),
                                reason: "its dependencies lead back to itself (a cycle); remove one of them".into(),
                            });
                        }
                        stack.push((x, true));
                        for y in deps {
                            if task_of[y].is_none() && through[y].is_none() {
                                stack.push((y, false));
                            }
                        }
                    }
                    set.extend(through[j].iter().flatten().copied());
                }
            }
        }
        *slot = set.into_iter().collect();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_file_names_are_prefix_dot_rank_dot_et() {
        assert_eq!(rank_of("all_reduce.3.et"), Some(("all_reduce".into(), 3)));
        assert_eq!(rank_of("a.b.12.et"), Some(("a.b".into(), 12)));
        assert_eq!(rank_of("all_reduce.et"), None);
        assert_eq!(rank_of("x.03.et"), None);
        assert_eq!(rank_of("x.3.json"), None);
    }

    #[test]
    fn a_stream_round_trips_through_encode_and_decode() {
        let meta = GlobalMetadata {
            version: "0.0.4".into(),
            attr: vec![],
        };
        let node = Node {
            id: 7,
            name: "ar".into(),
            r#type: NodeType::CommCollNode as i32,
            attr: vec![AttributeProto::int64("comm_size", 1 << 20)],
            ..Node::default()
        };
        let bytes = encode(&meta, std::slice::from_ref(&node));
        let (m, nodes) = decode(Path::new("x.0.et"), &bytes).unwrap();
        assert_eq!(m, meta);
        assert_eq!(nodes, vec![node]);
    }
}
