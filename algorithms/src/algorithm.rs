//! Dispatch from a [`CollectiveCall`] to the algorithm that runs it.

use kernbench_model::Topology;

use crate::error::CollectiveError;
use crate::group::{CollectiveCall, Comm};
use crate::names::Algorithm;

/// Whether `call` can run on `topology`; a [`CollectiveError::Unsupported`] with the reason
/// if not.
pub fn check(call: CollectiveCall, topology: &Topology) -> Result<(), CollectiveError> {
    let verdict = match call.algorithm {
        Algorithm::Ring => crate::ring::supports(call.collective, topology),
        other => Err(format!("{other} is not implemented yet; use ring")),
    };
    verdict.map_err(|reason| CollectiveError::Unsupported {
        algorithm: call.algorithm.to_string(),
        collective: call.collective.to_string(),
        topology: topology.name().to_string(),
        reason,
    })
}

/// Runs this rank's part of `call`.
pub(crate) async fn execute(call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    match call.algorithm {
        Algorithm::Ring => crate::ring::run(call.collective, call.op, comm).await,
        _ => Ok(()), // unreachable: `check` refused it at submission
    }
}
