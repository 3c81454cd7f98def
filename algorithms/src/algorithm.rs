//! Dispatch from a [`CollectiveCall`] to the algorithm that runs it.
//!
//! Every algorithm file has the same two entry points: `supports(collective, topology)`,
//! which says why it refuses a topology or collective, and `run(call, comm)`, this rank's
//! part of the schedule.

use kernbench_model::Topology;

use crate::error::CollectiveError;
use crate::group::{CollectiveCall, Comm};
use crate::names::Algorithm;

/// Whether `call` can run on `topology`; a [`CollectiveError::Unsupported`] with the reason
/// if not.
pub fn check(call: CollectiveCall, topology: &Topology) -> Result<(), CollectiveError> {
    let c = call.collective;
    let verdict = match call.algorithm {
        Algorithm::Ring => crate::ring::supports(c, topology),
        Algorithm::Mesh => crate::mesh::supports(c, topology),
        Algorithm::Tree => crate::tree::supports(c, topology),
        Algorithm::DoubleBinaryTree => crate::double_binary_tree::supports(c, topology),
        Algorithm::HalvingDoubling => crate::halving_doubling::supports(c, topology),
        Algorithm::Direct => crate::direct::supports(c, topology),
        Algorithm::Hierarchical => crate::hierarchical::supports(c, topology),
    };
    verdict.map_err(|reason| CollectiveError::Unsupported {
        algorithm: call.algorithm.to_string(),
        collective: call.collective.to_string(),
        topology: topology.name().to_string(),
        reason,
    })
}

/// Runs this rank's part of `call` (already accepted by [`check`]).
pub(crate) async fn execute(call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    match call.algorithm {
        Algorithm::Ring => crate::ring::run(call.collective, call.op, comm).await,
        Algorithm::Mesh => crate::mesh::run(call, comm).await,
        Algorithm::Tree => crate::tree::run(call, comm).await,
        Algorithm::DoubleBinaryTree => crate::double_binary_tree::run(call, comm).await,
        Algorithm::HalvingDoubling => crate::halving_doubling::run(call, comm).await,
        Algorithm::Direct => crate::direct::run(call, comm).await,
        Algorithm::Hierarchical => crate::hierarchical::run(call, comm).await,
    }
}
