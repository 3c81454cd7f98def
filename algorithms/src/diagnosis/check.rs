//! # Checking a diagnosis before it runs
//!
//! [`check_diagnosis`] refuses every [`DiagnoseConfig`] that [`diagnose`](crate::diagnose)
//! would refuse, without running it: [`diagnose`](crate::diagnose) calls it first, so a
//! configuration it accepts is one the run accepts too (the run may still deadlock, stall or
//! trip over an injected fault: that is the diagnosis). Every refusal is a
//! [`CollectiveError::InConfig`] naming the [`ConfigPart`] at fault.
//!
//! What it checks, in this order:
//! - the size is a whole number of `f32`s;
//! - every cut link is a link of the topology;
//! - a collective: the algorithm runs it on the topology (the algorithm's own
//!   [`check`](crate::check)); every rank a fault or override names is in the world; no PE
//!   program's faults or parameters (`pes`, a wrong program id); no fault that changes
//!   nothing (a wrong peer that is the right one, a tag off by 0) and no two faults of a rank
//!   that change the same thing; and the faults that name what a rank does (the step it
//!   skips, the peer whose messages go elsewhere, the source it mistakes) name something it
//!   does in a run of the collective without faults, made for the purpose;
//! - a PE program: its PE count is one the SIP has and the kernel runs on; every program a
//!   fault names is in the launch; no collective's faults (a peer off by one, a wrong peer,
//!   source or tag, a skipped step, overrides);
//! - every buffer fits: the run's own allocations, tried on an empty machine with the
//!   model's capacity logic ([`Machine::alloc`]). A collective allocates one buffer per rank;
//!   a PE holds at its peak the buffers [`DiagnoseProgram::tcm_peak`] lists, once for every
//!   program that runs there (a wrong program id makes two programs allocate on one PE).

use std::fmt;
use std::rc::Rc;

use kernbench_engine::Simulation;
use kernbench_model::{Bytes, Machine, MachineOptions, Placement, Topology};

use super::message_faults::check_message_faults;
use super::{DiagnoseConfig, DiagnoseProgram, SIP};
use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::names::Algorithm;

/// A part of a [`DiagnoseConfig`] a refusal is about. Index `i` of a fault is its place in
/// its own list of [`Faults`](crate::Faults) (the `i`-th rank that never joins, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigPart {
    /// [`DiagnoseConfig::program`].
    Program,
    /// [`DiagnoseConfig::bytes`] (also when a buffer of that size does not fit).
    Bytes,
    /// [`DiagnoseConfig::pes`].
    Pes,
    /// `faults.never_joins[i]`.
    NeverJoins(usize),
    /// `faults.peer_off_by_one[i]`.
    PeerOffByOne(usize),
    /// `faults.wrong_peers[i]`.
    WrongPeer(usize),
    /// `faults.wrong_sources[i]`.
    WrongSource(usize),
    /// `faults.wrong_tags[i]`.
    WrongTag(usize),
    /// `faults.skipped_steps[i]`.
    SkipsStep(usize),
    /// `faults.wrong_program_id[i]`.
    WrongProgramId(usize),
    /// `faults.cut_links[i]`.
    CutLink(usize),
    /// `faults.size_overrides[i]` (also when that rank's buffer does not fit).
    SizeOverride(usize),
    /// `faults.memory_overrides[i]` (also when that rank's buffer does not fit).
    MemoryOverride(usize),
}

impl fmt::Display for ConfigPart {
    /// The field's path in a [`DiagnoseConfig`], e.g. `faults.never_joins[0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigPart::Program => f.write_str("program"),
            ConfigPart::Bytes => f.write_str("bytes"),
            ConfigPart::Pes => f.write_str("pes"),
            ConfigPart::NeverJoins(i) => write!(f, "faults.never_joins[{i}]"),
            ConfigPart::PeerOffByOne(i) => write!(f, "faults.peer_off_by_one[{i}]"),
            ConfigPart::WrongPeer(i) => write!(f, "faults.wrong_peers[{i}]"),
            ConfigPart::WrongSource(i) => write!(f, "faults.wrong_sources[{i}]"),
            ConfigPart::WrongTag(i) => write!(f, "faults.wrong_tags[{i}]"),
            ConfigPart::SkipsStep(i) => write!(f, "faults.skipped_steps[{i}]"),
            ConfigPart::WrongProgramId(i) => write!(f, "faults.wrong_program_id[{i}]"),
            ConfigPart::CutLink(i) => write!(f, "faults.cut_links[{i}]"),
            ConfigPart::SizeOverride(i) => write!(f, "faults.size_overrides[{i}]"),
            ConfigPart::MemoryOverride(i) => write!(f, "faults.memory_overrides[{i}]"),
        }
    }
}

/// `error`, as a refusal of `part`.
pub(super) fn at(part: ConfigPart) -> impl Fn(CollectiveError) -> CollectiveError {
    move |error| CollectiveError::InConfig {
        part,
        error: Box::new(error),
    }
}

/// Whether [`diagnose`](crate::diagnose) accepts `config` on `topology`; see the module docs
/// for what is checked.
///
/// # Errors
/// [`CollectiveError::InConfig`] naming the part refused and why: an
/// [`Unsupported`](CollectiveError::Unsupported) program or PE count, a
/// [`NoSuchRank`](CollectiveError::NoSuchRank) or
/// [`NoSuchProgramId`](CollectiveError::NoSuchProgramId), a fault that
/// [`DoesNotApply`](CollectiveError::DoesNotApply), has [`NoEffect`](CollectiveError::NoEffect),
/// is in [`FaultConflict`](CollectiveError::FaultConflict) with another or names a
/// [`NoSuchStep`](CollectiveError::NoSuchStep) or [`NotAPeer`](CollectiveError::NotAPeer), a
/// [`Misaligned`](CollectiveError::Misaligned)
/// size, or the model's [`NoSuchLink`](kernbench_model::ModelError::NoSuchLink),
/// [`NoSuchNode`](kernbench_model::ModelError::NoSuchNode) or
/// [`DoesNotFit`](kernbench_model::ModelError::DoesNotFit).
pub fn check_diagnosis(
    topology: &Rc<Topology>,
    config: &DiagnoseConfig,
) -> Result<(), CollectiveError> {
    if config.bytes % 4 != 0 {
        return Err(at(ConfigPart::Bytes)(CollectiveError::Misaligned {
            bytes: config.bytes,
        }));
    }
    // A scratch machine, never run: its links take the cuts and its memories the buffers.
    let simulation = Simulation::new();
    let machine = Machine::new(
        &simulation.handle(),
        topology.clone(),
        MachineOptions {
            data: false,
            trace: false,
            ..MachineOptions::default()
        },
    );
    for (i, &(from, to)) in config.faults.cut_links.iter().enumerate() {
        machine
            .cut_link(from, to)
            .map_err(|e| at(ConfigPart::CutLink(i))(e.into()))?;
    }
    match config.program {
        DiagnoseProgram::Collective {
            collective,
            algorithm,
        } => check_collective(
            topology,
            &machine,
            algorithm,
            CollectiveCall::new(collective),
            config,
        ),
        program => check_pe_program(&machine, program, config),
    }
}

/// The collective's part of [`check_diagnosis`].
fn check_collective(
    shared: &Rc<Topology>,
    machine: &Machine,
    algorithm: Algorithm,
    call: CollectiveCall,
    config: &DiagnoseConfig,
) -> Result<(), CollectiveError> {
    let topology = machine.topology();
    crate::schedule::check(algorithm.schedule(), call.collective, topology)
        .map_err(at(ConfigPart::Program))?;
    if let Some(order) = &config.ring_order {
        let refuse = |reason: String| {
            at(ConfigPart::Program)(CollectiveError::Unsupported {
                algorithm: algorithm.name().to_string(),
                collective: call.collective.to_string(),
                topology: topology.name().to_string(),
                reason,
            })
        };
        if algorithm != Algorithm::Ring {
            return Err(refuse(
                "only the ring algorithm has a ring order; use algorithm \"ring\" or remove ring_order"
                    .to_string(),
            ));
        }
        crate::ring::check_order(order, topology.sip_count(), topology.name()).map_err(refuse)?;
    }
    let program = format!("the collective {}", config.program.name());
    let not_here = |what| CollectiveError::DoesNotApply {
        what,
        applies_to: "PE programs",
        program: program.clone(),
    };
    let faults = &config.faults;
    if config.pes.is_some() {
        return Err(at(ConfigPart::Pes)(not_here(
            "a PE count (a collective runs one rank per SIP)",
        )));
    }
    if !faults.wrong_program_id.is_empty() {
        return Err(at(ConfigPart::WrongProgramId(0))(not_here(
            "a wrong program id",
        )));
    }
    let world_size = topology.sip_count();
    // Every rank each fault names, by the fault's part, in the order of `Faults`.
    let mut named: Vec<(ConfigPart, Vec<u32>)> = Vec::new();
    let mut add = |part: fn(usize) -> ConfigPart, lists: Vec<Vec<u32>>| {
        named.extend(lists.into_iter().enumerate().map(|(i, r)| (part(i), r)));
    };
    let one = |rank: &u32| vec![*rank];
    add(
        ConfigPart::NeverJoins,
        faults.never_joins.iter().map(one).collect(),
    );
    add(
        ConfigPart::PeerOffByOne,
        faults.peer_off_by_one.iter().map(one).collect(),
    );
    add(
        ConfigPart::WrongPeer,
        faults
            .wrong_peers
            .iter()
            .map(|w| {
                [w.rank, w.sends_to]
                    .into_iter()
                    .chain(w.instead_of)
                    .collect()
            })
            .collect(),
    );
    add(
        ConfigPart::WrongSource,
        faults
            .wrong_sources
            .iter()
            .map(|w| {
                [w.rank, w.receives_from]
                    .into_iter()
                    .chain(w.instead_of)
                    .collect()
            })
            .collect(),
    );
    add(
        ConfigPart::WrongTag,
        faults.wrong_tags.iter().map(|w| vec![w.rank]).collect(),
    );
    add(
        ConfigPart::SkipsStep,
        faults.skipped_steps.iter().map(|s| vec![s.rank]).collect(),
    );
    add(
        ConfigPart::SizeOverride,
        faults.size_overrides.iter().map(|o| vec![o.0]).collect(),
    );
    add(
        ConfigPart::MemoryOverride,
        faults.memory_overrides.iter().map(|o| vec![o.0]).collect(),
    );
    for (part, ranks) in &named {
        if let Some(&rank) = ranks.iter().find(|r| **r >= world_size) {
            return Err(at(*part)(CollectiveError::NoSuchRank { rank, world_size }));
        }
    }
    check_message_faults(shared, config)?;
    // Every rank allocates one buffer on its own SIP (see `launch_collective`).
    for (rank, sip) in (0..world_size).zip(topology.sips()) {
        let size = faults.size_overrides.iter().position(|o| o.0 == rank);
        let memory = faults.memory_overrides.iter().position(|o| o.0 == rank);
        let bytes = size.map_or(config.bytes, |i| faults.size_overrides[i].1);
        let kind = memory.map_or(config.memory, |i| faults.memory_overrides[i].1);
        let part = match (memory, size) {
            (Some(i), _) => ConfigPart::MemoryOverride(i),
            (None, Some(i)) => ConfigPart::SizeOverride(i),
            (None, None) => ConfigPart::Bytes,
        };
        machine
            .alloc(Placement::on_sip(sip, kind), Bytes(bytes))
            .map_err(|e| at(part)(e.into()))?;
    }
    Ok(())
}

/// The PE program's part of [`check_diagnosis`].
fn check_pe_program(
    machine: &Machine,
    program: DiagnoseProgram,
    config: &DiagnoseConfig,
) -> Result<(), CollectiveError> {
    let faults = &config.faults;
    let not_here = |what| CollectiveError::DoesNotApply {
        what,
        applies_to: "collectives",
        program: format!("the PE program {}", program.name()),
    };
    if !faults.peer_off_by_one.is_empty() {
        return Err(at(ConfigPart::PeerOffByOne(0))(not_here(
            "a peer off by one",
        )));
    }
    if !faults.wrong_peers.is_empty() {
        return Err(at(ConfigPart::WrongPeer(0))(not_here("a wrong peer")));
    }
    if !faults.wrong_sources.is_empty() {
        return Err(at(ConfigPart::WrongSource(0))(not_here("a wrong source")));
    }
    if !faults.wrong_tags.is_empty() {
        return Err(at(ConfigPart::WrongTag(0))(not_here("a wrong tag")));
    }
    if !faults.skipped_steps.is_empty() {
        return Err(at(ConfigPart::SkipsStep(0))(not_here("a skipped step")));
    }
    if !faults.size_overrides.is_empty() {
        return Err(at(ConfigPart::SizeOverride(0))(not_here(
            "a per-rank size (a PE program has one size for all PEs)",
        )));
    }
    if !faults.memory_overrides.is_empty() {
        return Err(at(ConfigPart::MemoryOverride(0))(not_here(
            "a per-rank memory (a PE program's buffers are in TCM)",
        )));
    }
    let pes = pe_count(machine.topology(), program, config)?;
    let no_such = |program_id| CollectiveError::NoSuchProgramId {
        program: program_id,
        name: program.name(),
        programs: pes,
    };
    for (i, &p) in faults.never_joins.iter().enumerate() {
        if p >= pes {
            return Err(at(ConfigPart::NeverJoins(i))(no_such(p)));
        }
    }
    for (i, &(from, to)) in faults.wrong_program_id.iter().enumerate() {
        if let Some(bad) = [from, to].into_iter().find(|&p| p >= pes) {
            return Err(at(ConfigPart::WrongProgramId(i))(no_such(bad)));
        }
    }
    // As in `launch_pe_program`: a program that never joins allocates nothing; one run as
    // another program allocates in that program's TCM.
    let peak = program.tcm_peak(config.bytes, pes);
    let mut held = Vec::new();
    for launched in (0..pes).filter(|p| !faults.never_joins.contains(p)) {
        let runs_as = faults
            .wrong_program_id
            .iter()
            .find(|(p, _)| *p == launched)
            .map_or(launched, |&(_, runs_as)| runs_as);
        for &bytes in &peak {
            let buffer = machine
                .alloc(Placement::Tcm(SIP.pe(runs_as)), Bytes(bytes))
                .map_err(|e| at(ConfigPart::Bytes)(e.into()))?;
            held.push(buffer);
        }
    }
    Ok(())
}

/// How many PEs a PE program runs on: [`DiagnoseConfig::pes`], else the kernel's own count,
/// else every PE of the SIP; refused as [`ConfigPart::Pes`] unless the SIP has that many and
/// the program runs on them, as [`ConfigPart::Program`] for a kernel the SIP is too small for.
pub(crate) fn pe_count(
    topology: &Topology,
    program: DiagnoseProgram,
    config: &DiagnoseConfig,
) -> Result<u32, CollectiveError> {
    let available = topology.pes_per_sip();
    let unsupported = |part: ConfigPart| {
        move |reason: String| {
            at(part)(CollectiveError::Unsupported {
                algorithm: program.name(),
                collective: "PE program".to_string(),
                topology: topology.name().to_string(),
                reason,
            })
        }
    };
    // A kernel the SIP is too small for is the program's fault, whatever the count.
    let kernel_pes = match program {
        DiagnoseProgram::Kernel(kernel) => Some(
            kernel
                .pes_on(available)
                .map_err(unsupported(ConfigPart::Program))?,
        ),
        _ => None,
    };
    let Some(pes) = config.pes else {
        // The kernel's own count, or every PE; the polling pair needs two.
        let pes = kernel_pes.unwrap_or(available);
        if program == DiagnoseProgram::PollFlag && pes < 2 {
            return Err(unsupported(ConfigPart::Program)(format!(
                "it needs 2 PEs; {SIP} has {pes}: use a topology with at least 2 PEs per SIP"
            )));
        }
        return Ok(pes);
    };
    let refuse = unsupported(ConfigPart::Pes);
    let least = if program == DiagnoseProgram::PollFlag {
        2
    } else {
        1
    };
    if pes < least || pes > available {
        return Err(refuse(format!(
            "it asks for {pes} PEs; {SIP} has {available}: use {least} to {available}"
        )));
    }
    if let DiagnoseProgram::Kernel(kernel) = program {
        // The ring runs on any count (`pes_on` gives it back); the others on exactly theirs.
        if kernel.pes_on(pes) != Ok(pes) {
            let needed = kernel_pes.unwrap_or(available);
            return Err(refuse(format!(
                "the {kernel} kernel runs on exactly {needed} PEs; use pes: {needed}"
            )));
        }
    }
    Ok(pes)
}

#[cfg(test)]
mod tests {
    use kernbench_engine::SimTime;
    use kernbench_model::{KernelConfig, MemoryKind, ModelError};

    use super::*;
    use crate::diagnosis::Faults;
    use crate::pe_kernels::PeKernel;
    use crate::pe_run::{PeRunConfig, run_pe_kernel};

    /// ring8 with `pes` PEs per SIP and a TCM of `tcm` bytes per PE.
    fn topology(pes: u32, tcm: u64) -> Rc<Topology> {
        let text = std::fs::read_to_string("../topologies/ring8.ron")
            .unwrap() // ok: a bundled file, checked by its own tests.
            .replace("per_sip: 4", &format!("per_sip: {pes}"))
            .replace(r#"capacity: "4MiB""#, &format!(r#"capacity: "{tcm}B""#));
        Rc::new(Topology::from_ron_str(&text, "test").unwrap()) // ok: a valid edit of it.
    }

    fn config(program: DiagnoseProgram, bytes: u64) -> DiagnoseConfig {
        DiagnoseConfig {
            program,
            bytes,
            memory: MemoryKind::Hbm,
            pes: None,
            ipcq_depth: 2,
            time_bound: SimTime::from_ms(10),
            livelock_events: 100_000,
            faults: Faults::default(),
            last_transfers: 3,
            ring_order: None,
        }
    }

    fn refusal(result: Result<(), CollectiveError>) -> (ConfigPart, CollectiveError) {
        match result {
            Err(CollectiveError::InConfig { part, error }) => (part, *error),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn the_tcm_peak_of_every_kernel_is_what_its_run_needs_to_the_byte() {
        // 4100 bytes: segments of unequal size, so the largest one counts.
        let bytes = 4100;
        for (kernel, pes) in [
            (PeKernel::Ring, 4),
            (PeKernel::Ring, 1),
            (PeKernel::Mesh2x2, 4),
            (PeKernel::Tree7, 7),
        ] {
            let peak: u64 = kernel.tcm_peak(bytes, pes).iter().sum();
            let run = PeRunConfig {
                bytes,
                ipcq: KernelConfig { ipcq_depth: 2 },
                verify: false,
            };
            let config = config(DiagnoseProgram::Kernel(kernel), bytes);
            let fits = topology(pes, peak);
            assert!(
                run_pe_kernel(fits.clone(), kernel, &run).is_ok(),
                "{kernel}"
            );
            assert!(check_diagnosis(&fits, &config).is_ok(), "{kernel}");
            let tight = topology(pes, peak - 4);
            let ran = run_pe_kernel(tight.clone(), kernel, &run);
            assert!(
                matches!(&ran, Err(CollectiveError::Model(e)) if matches!(**e, ModelError::DoesNotFit { .. })),
                "{kernel} on {pes} PEs ran in {} bytes of TCM: {ran:?}",
                peak - 4
            );
            let (part, error) = refusal(check_diagnosis(&tight, &config));
            assert_eq!(part, ConfigPart::Bytes, "{kernel}");
            assert!(
                matches!(error, CollectiveError::Model(e) if matches!(*e, ModelError::DoesNotFit { .. })),
                "{kernel}"
            );
        }
    }

    #[test]
    fn a_program_that_never_joins_outside_the_launch_is_refused_by_the_run_too() {
        let mut config = config(DiagnoseProgram::RecvBeforeSend, 4096);
        config.faults.never_joins = vec![1, 99];
        let ring8 = topology(4, 4 << 20);
        let (part, error) = refusal(crate::diagnose(ring8, &config).map(|_| ()));
        assert_eq!(part, ConfigPart::NeverJoins(1));
        assert_eq!(
            error.to_string(),
            "a fault names program 99, but recv-before-send runs 4 programs (one per PE); use 0..4"
        );
    }

    #[test]
    fn a_refusal_prints_the_part_of_the_config_it_is_about() {
        let mut config = config(DiagnoseProgram::SendThenRecv, 4096);
        config.faults.peer_off_by_one = vec![2];
        let error = check_diagnosis(&topology(4, 4 << 20), &config).unwrap_err();
        assert_eq!(
            error.to_string(),
            "faults.peer_off_by_one[0]: a peer off by one is for collectives, not for the PE program send-then-recv; remove it"
        );
    }
}
