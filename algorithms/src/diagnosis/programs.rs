//! The diagnostic PE programs (`recv-before-send`, `send-then-recv`, `poll-flag`) and the
//! launch of any PE program of a diagnosis, faults included.

use std::cell::Cell;
use std::rc::Rc;

use kernbench_engine::SimTime;
use kernbench_model::{Bytes, KernelConfig, Machine, ModelError, PeContext, ReduceOp};

use super::check::pe_count;
use super::{DiagnoseConfig, DiagnoseProgram, SIP};
use crate::error::CollectiveError;
use crate::pe_kernels::{PeResult, pe_all_reduce};

/// How often the polling program looks at its flag.
const POLL_INTERVAL: SimTime = SimTime::from_ns(50);

/// Starts a PE program on the first PEs of `c0.s0`, with the faults (checked by
/// [`check_diagnosis`]).
pub(super) fn launch_pe_program(
    machine: &Machine,
    program: DiagnoseProgram,
    config: &DiagnoseConfig,
) -> Result<(), CollectiveError> {
    let pes = pe_count(machine.topology(), program, config)?;
    let faults = Rc::new(config.faults.clone());
    let bytes = config.bytes;
    let flag = Rc::new(Cell::new(false));
    let launch: Vec<_> = (0..pes).map(|p| SIP.pe(p)).collect();
    let depth = KernelConfig {
        ipcq_depth: config.ipcq_depth,
    };
    machine.launch_kernel(&program.name(), launch, depth, move |k| {
        let faults = faults.clone();
        let flag = flag.clone();
        async move {
            let launched = k.program_id();
            if faults.never_joins.contains(&launched) {
                return Ok(());
            }
            let k = match faults.wrong_program_id.iter().find(|(p, _)| *p == launched) {
                Some(&(_, runs_as)) => k.as_program(runs_as)?,
                None => k,
            };
            run_pe(program, k, bytes, flag).await.map(|_| ())
        }
    });
    Ok(())
}

/// One PE's part of a PE program.
async fn run_pe(
    program: DiagnoseProgram,
    k: PeContext,
    bytes: u64,
    flag: Rc<Cell<bool>>,
) -> Result<PeResult, ModelError> {
    let (n, p) = (k.num_programs(), k.program_id());
    let (left, right) = ((p + n - 1) % n, (p + 1) % n);
    match program {
        DiagnoseProgram::Kernel(kernel) => pe_all_reduce(kernel, k, bytes, ReduceOp::Sum).await,
        DiagnoseProgram::RecvBeforeSend => {
            let buffer = k.alloc(Bytes(bytes))?;
            k.recv(left, &buffer).await?;
            k.send(right, &buffer).await?;
            Ok(None)
        }
        DiagnoseProgram::SendThenRecv => {
            let (out, into) = (k.alloc(Bytes(bytes))?, k.alloc(Bytes(bytes))?);
            k.send(right, &out).await?;
            k.recv(left, &into).await?;
            Ok(None)
        }
        DiagnoseProgram::PollFlag => {
            let buffer = k.alloc(Bytes(bytes))?;
            match p {
                0 => {
                    let sim = k.machine().sim().clone();
                    let label = format!("poll {} for a flag set by {}", k.pe(), SIP.pe(1));
                    while !flag.get() {
                        sim.labelled(label.clone(), sim.timeout(POLL_INTERVAL))
                            .await;
                    }
                    k.send(1, &buffer).await?;
                }
                1 => {
                    k.recv(0, &buffer).await?;
                    flag.set(true);
                }
                _ => {}
            }
            Ok(None)
        }
        // Launched by `launch_collective`, never here.
        DiagnoseProgram::Collective { .. } => Ok(None),
    }
}
