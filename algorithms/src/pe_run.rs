//! Running a PE program (a bundled [`PeKernel`] or a user's SPMD body) on the PEs of SIP
//! `c0.s0`, verified and measured.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use kernbench_engine::SimTime;
use kernbench_model::{KernelConfig, MachineOptions, ModelError, PeContext, ReduceOp, Topology};

use crate::error::CollectiveError;
use crate::pe_kernels::{PeKernel, PeResult, SIP, pe_all_reduce};
use crate::runner::{Limits, Runner};
use crate::verify::reduced_value;

/// How to run a PE kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeRunConfig {
    /// The vector each PE holds and all-reduces, in bytes (a multiple of 4), in its TCM.
    pub bytes: u64,
    /// The IPCQ depth of the launch.
    pub ipcq: KernelConfig,
    /// Carry real `f32` data (PE `p` starts with
    /// [`initial_value`](crate::initial_value)`(p, i)`) and check that every PE ends with the
    /// sum.
    pub verify: bool,
}

/// The measured result of one PE kernel run.
#[derive(Clone, Debug)]
pub struct PeKernelReport {
    /// The kernel's name.
    pub kernel: String,
    /// The topology's name.
    pub topology: String,
    /// PEs in the launch.
    pub pes: u32,
    /// The vector per PE, in bytes.
    pub bytes: u64,
    /// Simulated time from launch to the last PE's finish (exact, in picoseconds).
    pub time: SimTime,
    /// `Some(true)` when the data was checked and found right; `None` when not checked.
    pub verified: Option<bool>,
    /// Engine events processed.
    pub events: u64,
    /// Every PE's final vector by program id; `None` without data.
    pub results: Vec<PeResult>,
}

/// Runs `kernel` on SIP `c0.s0` of `topology`: all-reduce of `config.bytes` per PE.
///
/// # Errors
/// [`CollectiveError::Unsupported`] for a SIP with too few PEs, [`CollectiveError::Misaligned`]
/// for a size that is not whole `f32`s, [`CollectiveError::Model`] for a vector that does not
/// fit in TCM, and whatever [`run_pe_program`] reports.
pub fn run_pe_kernel(
    topology: Rc<Topology>,
    kernel: PeKernel,
    config: &PeRunConfig,
) -> Result<PeKernelReport, CollectiveError> {
    let pes =
        kernel
            .pes_on(topology.pes_per_sip())
            .map_err(|reason| CollectiveError::Unsupported {
                algorithm: kernel.to_string(),
                collective: "all-reduce".to_string(),
                topology: topology.name().to_string(),
                reason,
            })?;
    let bytes = config.bytes;
    run_pe_program(topology, kernel.name(), pes, config, move |k| {
        pe_all_reduce(kernel, k, bytes, ReduceOp::Sum)
    })
}

/// Runs the SPMD `body` on PEs `0..pes` of SIP `c0.s0` as kernel `name` and, with
/// `config.verify`, checks that every PE's returned vector is the sum over the PEs of
/// [`initial_value`](crate::initial_value). `body` gets each PE's [`PeContext`] and returns its
/// final vector (`None` on a machine without data); the machine carries data exactly when
/// `config.verify` is set.
///
/// # Errors
/// [`CollectiveError::Unsupported`] if the SIP has fewer than `pes` PEs (or `pes` is 0),
/// [`CollectiveError::Misaligned`], [`CollectiveError::Deadlock`] naming every blocked
/// `recv c0.s0.pX <- c0.s0.pY`, [`CollectiveError::Model`] for an error a PE returned, or
/// [`CollectiveError::Verification`] naming the first wrong element (`rank` = program id).
pub fn run_pe_program<F, Fut>(
    topology: Rc<Topology>,
    name: &str,
    pes: u32,
    config: &PeRunConfig,
    body: F,
) -> Result<PeKernelReport, CollectiveError>
where
    F: Fn(PeContext) -> Fut,
    Fut: Future<Output = Result<PeResult, ModelError>> + 'static,
{
    let available = topology.pes_per_sip();
    if pes == 0 || pes > available {
        return Err(CollectiveError::Unsupported {
            algorithm: name.to_string(),
            collective: "all-reduce".to_string(),
            topology: topology.name().to_string(),
            reason: format!("it asks for {pes} PEs; {SIP} has {available}: use 1 to {available}"),
        });
    }
    let options = MachineOptions {
        data: config.verify,
        trace: false,
        ..MachineOptions::default()
    };
    let mut runner = Runner::new(topology.clone(), options, config.bytes)?;
    let machine = &runner.machine;
    let results: Rc<RefCell<Vec<PeResult>>> = Rc::new(RefCell::new(vec![None; pes as usize]));
    let sink = results.clone();
    let launch: Vec<_> = (0..pes).map(|p| SIP.pe(p)).collect();
    machine.launch_kernel(name, launch, config.ipcq, move |k| {
        let sink = sink.clone();
        let id = k.program_id() as usize;
        let run = body(k);
        async move {
            let values = run.await?;
            if let Some(slot) = sink.borrow_mut().get_mut(id) {
                *slot = values;
            }
            Ok(())
        }
    });
    let (time, events) = runner.run(Limits::default())?.completed()?;
    let results = results.take();
    if config.verify {
        check(name, pes, &results)?;
    }
    Ok(PeKernelReport {
        kernel: name.to_string(),
        topology: topology.name().to_string(),
        pes,
        bytes: config.bytes,
        time,
        verified: config.verify.then_some(true),
        events,
        results,
    })
}

/// Every PE must hold the sum over `pes` PEs; the first wrong element is the error.
fn check(name: &str, pes: u32, results: &[PeResult]) -> Result<(), CollectiveError> {
    for (program, data) in results.iter().enumerate() {
        let Some(data) = data else { continue };
        for (i, &got) in data.iter().enumerate() {
            let want = reduced_value(ReduceOp::Sum, pes, i);
            if (got - want).abs() > 1e-4 * want.abs().max(1.0) {
                return Err(CollectiveError::Verification {
                    algorithm: name.to_string(),
                    collective: "all-reduce".to_string(),
                    rank: program as u32,
                    index: i,
                    got,
                    expected: want,
                });
            }
        }
    }
    Ok(())
}
