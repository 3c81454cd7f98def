//! Scenario files (`*.scenario.ron`): a topology, a program and its parameters, and the
//! faults to inject, for `kernbench diagnose`.

use std::path::Path;
use std::rc::Rc;

use kernbench_algorithms::{
    Algorithm, Collective, CollectiveError, ConfigPart, DiagnoseConfig, DiagnoseProgram, Faults,
    PeKernel, SkipsStep, WrongPeer, WrongSource, WrongTag, check_diagnosis,
};
use kernbench_engine::SimTime;
use kernbench_model::{Bytes, MemoryKind, Node, Topology, parse_time};
use serde::Deserialize;

use crate::Failure;
use crate::ron_file;

/// A scenario file as written (RON).
///
/// ```ron
/// Scenario(
///     name: "tree-rank3-never-joins",
///     topology: "../ring8.ron",          // relative to this file
///     program: Collective(collective: "all-reduce", algorithm: "tree"),
///                                        // or Kernel("pe-ring"), RecvBeforeSend,
///                                        // SendThenRecv, PollFlag
///     size: "64KiB",                     // per rank (collective) or per PE (PE program)
///     memory: "hbm",                     // optional, collectives: tcm, sram or hbm
///     pes: 2,                            // optional, PE programs: how many PEs of c0.s0
///     ipcq_depth: 2,                     // optional, PE programs (default 2)
///     time_bound: "10ms",                // optional (default 1s): exit 4 past it
///     livelock_events: 1000000,          // optional: exit 4 after this many idle events
///     overrides: [(rank: 5, size: "32KiB")],   // optional, collectives: per-rank size
///                                        // and/or memory (a count mismatch, say)
///     faults: [NeverJoins(rank: 3)],     // optional; see `FaultSpec`: NeverJoins,
///                                        // PeerOffByOne, WrongPeer, WrongSource,
///                                        // WrongTag, SkipsStep, WrongProgramId,
///                                        // ZeroDepthIpcq, CutLink
/// )
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Scenario")]
struct ScenarioFile {
    name: String,
    topology: String,
    program: ProgramSpec,
    size: String,
    #[serde(default)]
    memory: Option<String>,
    #[serde(default)]
    pes: Option<u32>,
    #[serde(default)]
    ipcq_depth: Option<usize>,
    #[serde(default)]
    time_bound: Option<String>,
    #[serde(default)]
    livelock_events: Option<u64>,
    #[serde(default)]
    overrides: Vec<RankOverride>,
    #[serde(default)]
    faults: Vec<FaultSpec>,
}

/// One rank's parameters where they differ from the scenario's (collectives).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RankOverride {
    rank: u32,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    memory: Option<String>,
}

/// The program of a scenario, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
enum ProgramSpec {
    /// A collective on every rank (rank = SIP).
    Collective {
        collective: String,
        algorithm: String,
        /// The ring's order (ring only), as `run --ring-order`: each rank once.
        #[serde(default)]
        ring_order: Option<Vec<u32>>,
    },
    /// A bundled PE kernel: `pe-ring`, `pe-mesh2x2` or `pe-tree7`.
    Kernel(String),
    /// Every PE of a ring receives from its left before it sends to its right.
    RecvBeforeSend,
    /// Every PE of a ring sends to its right, then receives from its left.
    SendThenRecv,
    /// Program 0 polls a flag that only program 1 sets, after a message program 0 never sends.
    PollFlag,
}

/// A fault, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
enum FaultSpec {
    /// The rank (collective) or program (PE program) never joins.
    NeverJoins { rank: u32 },
    /// The rank sends every message to the rank after the one it means (collectives).
    PeerOffByOne { rank: u32 },
    /// The rank sends to `sends_to` what it addresses to `instead_of` (to anyone if left out)
    /// (collectives).
    WrongPeer {
        rank: u32,
        sends_to: u32,
        #[serde(default)]
        instead_of: Option<u32>,
    },
    /// The rank's receives that name `instead_of` (any, if left out) wait for `receives_from`
    /// (collectives).
    WrongSource {
        rank: u32,
        receives_from: u32,
        #[serde(default)]
        instead_of: Option<u32>,
    },
    /// Every message the rank sends carries its tag plus `off_by` (collectives).
    WrongTag { rank: u32, off_by: u32 },
    /// The rank never makes its send number `step`, counted from 0 (collectives).
    SkipsStep { rank: u32, step: u32 },
    /// The PE launched as program `pe` runs as program `runs_as` (PE programs).
    WrongProgramId { pe: u32, runs_as: u32 },
    /// Every IPCQ has depth 0: each send is a rendezvous (PE programs).
    ZeroDepthIpcq,
    /// The directed link `from -> to` is cut, e.g. `CutLink(from: "c0.s2.hub", to:
    /// "c0.s3.hub")`: routes stay, packets that reach it are lost.
    CutLink { from: String, to: String },
}

/// Default bound on simulated time.
const DEFAULT_TIME_BOUND: SimTime = SimTime::from_secs(1);
/// Default bound on events without progress (see `kernbench_algorithms::diagnose`).
pub(crate) const DEFAULT_LIVELOCK_EVENTS: u64 = 1_000_000;
/// Last transfers listed in a report.
const LAST_TRANSFERS: usize = 5;

/// A checked scenario, ready to run.
#[derive(Clone, Debug)]
pub(crate) struct Scenario {
    /// Its name.
    pub(crate) name: String,
    /// The topology.
    pub(crate) topology: Rc<Topology>,
    /// What and how to run.
    pub(crate) config: DiagnoseConfig,
}

impl Scenario {
    /// Reads and checks a scenario file; its topology is loaded (and so validated) too. The
    /// check is the one `diagnose` runs ([`check_diagnosis`]), so a scenario that loads is
    /// one the run accepts; every refusal names the file and the place in it.
    pub(crate) fn load(file: &Path) -> Result<Scenario, Failure> {
        let text = kernbench_model::read_input_file(file)?;
        let spec: ScenarioFile = ron_file::parse(
            file,
            &text,
            "scenario",
            "topologies/scenarios/ holds complete examples",
        )?;
        // Every refusal below names the place, and its line when it can be found.
        let bad = |place: &str, message: &dyn std::fmt::Display| {
            ron_file::bad_at(file, &text, place, message)
        };
        let base = file.parent().unwrap_or(Path::new("."));
        let topology_path = base.join(&spec.topology);
        let topology = Rc::new(Topology::load(&topology_path).map_err(|e| bad("topology", &e))?);
        let program = match &spec.program {
            ProgramSpec::Collective {
                collective,
                algorithm,
                ..
            } => DiagnoseProgram::Collective {
                collective: collective
                    .parse::<Collective>()
                    .map_err(|e| bad("program", &e))?,
                algorithm: algorithm
                    .parse::<Algorithm>()
                    .map_err(|e| bad("program", &e))?,
            },
            ProgramSpec::Kernel(name) => DiagnoseProgram::Kernel(
                PeKernel::ALL
                    .into_iter()
                    .find(|k| k.name() == name)
                    .ok_or_else(|| {
                        let known: Vec<&str> = PeKernel::ALL.iter().map(|k| k.name()).collect();
                        bad(
                            "program",
                            &format!(
                                "unknown PE kernel \"{name}\"; use one of: {}",
                                known.join(", ")
                            ),
                        )
                    })?,
            ),
            ProgramSpec::RecvBeforeSend => DiagnoseProgram::RecvBeforeSend,
            ProgramSpec::SendThenRecv => DiagnoseProgram::SendThenRecv,
            ProgramSpec::PollFlag => DiagnoseProgram::PollFlag,
        };
        let bytes = spec.size.parse::<Bytes>().map_err(|e| bad("size", &e))?.0;
        let memory = match &spec.memory {
            Some(m) => m.parse::<MemoryKind>().map_err(|e| bad("memory", &e))?,
            None => MemoryKind::Hbm,
        };
        let time_bound = match &spec.time_bound {
            Some(t) => parse_time(t).map_err(|e| bad("time_bound", &e))?,
            None => DEFAULT_TIME_BOUND,
        };
        let mut faults = Faults::default();
        let mut ipcq_depth = spec.ipcq_depth.unwrap_or(2);
        for (i, fault) in spec.faults.iter().enumerate() {
            let place = format!("faults[{i}]");
            match fault {
                FaultSpec::NeverJoins { rank } => faults.never_joins.push(*rank),
                FaultSpec::PeerOffByOne { rank } => faults.peer_off_by_one.push(*rank),
                &FaultSpec::WrongPeer {
                    rank,
                    sends_to,
                    instead_of,
                } => faults.wrong_peers.push(WrongPeer {
                    rank,
                    sends_to,
                    instead_of,
                }),
                &FaultSpec::WrongSource {
                    rank,
                    receives_from,
                    instead_of,
                } => faults.wrong_sources.push(WrongSource {
                    rank,
                    receives_from,
                    instead_of,
                }),
                &FaultSpec::WrongTag { rank, off_by } => {
                    faults.wrong_tags.push(WrongTag { rank, off_by })
                }
                &FaultSpec::SkipsStep { rank, step } => {
                    faults.skipped_steps.push(SkipsStep { rank, step })
                }
                FaultSpec::WrongProgramId { pe, runs_as } => {
                    faults.wrong_program_id.push((*pe, *runs_as))
                }
                FaultSpec::ZeroDepthIpcq if !program.uses_ipcqs() => {
                    return Err(bad(
                        &place,
                        &format!(
                            "ZeroDepthIpcq is for PE programs, not for the collective {} (ranks talk through mailboxes, not IPCQs); remove it",
                            program.name()
                        ),
                    ));
                }
                FaultSpec::ZeroDepthIpcq => ipcq_depth = 0,
                FaultSpec::CutLink { from, to } => {
                    let node = |name: &str| name.parse::<Node>().map_err(|e| bad(&place, &e));
                    faults.cut_links.push((node(from)?, node(to)?));
                }
            }
        }
        for (i, o) in spec.overrides.iter().enumerate() {
            let place = format!("overrides[{i}]");
            if o.size.is_none() && o.memory.is_none() {
                return Err(bad(
                    &place,
                    &format!(
                        "the override of rank {} changes nothing; give it a size or a memory, or remove it",
                        o.rank
                    ),
                ));
            }
            if let Some(size) = &o.size {
                let size = size
                    .parse::<Bytes>()
                    .map_err(|e| bad(&format!("{place}.size"), &e))?;
                faults.size_overrides.push((o.rank, size.0));
            }
            if let Some(memory) = &o.memory {
                let memory = memory
                    .parse::<MemoryKind>()
                    .map_err(|e| bad(&format!("{place}.memory"), &e))?;
                faults.memory_overrides.push((o.rank, memory));
            }
        }
        // Fields the program would ignore (the faults are the check's, below).
        let ignored = if program.uses_ipcqs() {
            spec.memory
                .is_some()
                .then_some(("memory", "a PE program's buffers are in TCM"))
        } else {
            spec.ipcq_depth
                .is_some()
                .then_some(("ipcq_depth", "ranks talk through mailboxes, not IPCQs"))
        };
        if let Some((field, why)) = ignored {
            return Err(bad(
                field,
                &format!("{} ignores it: {why}; remove it", program.name()),
            ));
        }
        let config = DiagnoseConfig {
            program,
            bytes,
            memory,
            pes: spec.pes,
            ipcq_depth,
            time_bound,
            livelock_events: spec.livelock_events.unwrap_or(DEFAULT_LIVELOCK_EVENTS),
            faults,
            last_transfers: LAST_TRANSFERS,
            ring_order: match &spec.program {
                ProgramSpec::Collective { ring_order, .. } => ring_order.clone(),
                _ => None,
            },
        };
        check_diagnosis(&topology, &config).map_err(|e| match e {
            CollectiveError::InConfig { part, error } => bad(&place(&spec, part), &error),
            other => bad("scenario", &other),
        })?;
        Ok(Scenario {
            name: spec.name,
            topology,
            config,
        })
    }

    /// The same scenario with IPCQs `depth` messages deep.
    pub(crate) fn at_depth(&self, depth: usize) -> Scenario {
        let mut scenario = self.clone();
        scenario.config.ipcq_depth = depth;
        scenario
    }

    /// One line saying what runs where, e.g. `recv-before-send on 2 PEs of ring8, IPCQ depth 2`.
    pub(crate) fn describe(&self) -> String {
        let c = &self.config;
        let topology = self.topology.name();
        if c.program.uses_ipcqs() {
            let pes = match c.pes {
                Some(pes) => format!("{pes} PEs"),
                None => "the PEs".to_string(),
            };
            format!(
                "{} of {} on {pes} of {topology} c0.s0, IPCQ depth {}",
                c.program.name(),
                Bytes(c.bytes),
                c.ipcq_depth
            )
        } else {
            format!(
                "{} of {} in {} on {topology} ({} ranks)",
                c.program.name(),
                Bytes(c.bytes),
                c.memory,
                self.topology.sip_count()
            )
        }
    }
}

/// Where in the scenario file a refused part of its configuration was written: `program`,
/// `size`, `pes`, `faults[2]` (the fault of that kind at that place) or `overrides[0]`.
fn place(spec: &ScenarioFile, part: ConfigPart) -> String {
    let fault = |is: fn(&FaultSpec) -> bool, n: usize| {
        let at = spec.faults.iter().enumerate().filter(|(_, f)| is(f)).nth(n);
        at.map_or("faults".to_string(), |(i, _)| format!("faults[{i}]"))
    };
    let rank_override = |has: fn(&RankOverride) -> bool, n: usize| {
        let at = spec
            .overrides
            .iter()
            .enumerate()
            .filter(|(_, o)| has(o))
            .nth(n);
        at.map_or("overrides".to_string(), |(i, _)| format!("overrides[{i}]"))
    };
    match part {
        ConfigPart::Program => "program".to_string(),
        ConfigPart::Bytes => "size".to_string(),
        ConfigPart::Pes => "pes".to_string(),
        ConfigPart::NeverJoins(n) => fault(|f| matches!(f, FaultSpec::NeverJoins { .. }), n),
        ConfigPart::PeerOffByOne(n) => fault(|f| matches!(f, FaultSpec::PeerOffByOne { .. }), n),
        ConfigPart::WrongPeer(n) => fault(|f| matches!(f, FaultSpec::WrongPeer { .. }), n),
        ConfigPart::WrongSource(n) => fault(|f| matches!(f, FaultSpec::WrongSource { .. }), n),
        ConfigPart::WrongTag(n) => fault(|f| matches!(f, FaultSpec::WrongTag { .. }), n),
        ConfigPart::SkipsStep(n) => fault(|f| matches!(f, FaultSpec::SkipsStep { .. }), n),
        ConfigPart::WrongProgramId(n) => {
            fault(|f| matches!(f, FaultSpec::WrongProgramId { .. }), n)
        }
        ConfigPart::CutLink(n) => fault(|f| matches!(f, FaultSpec::CutLink { .. }), n),
        ConfigPart::SizeOverride(n) => rank_override(|o| o.size.is_some(), n),
        ConfigPart::MemoryOverride(n) => rank_override(|o| o.memory.is_some(), n),
    }
}
