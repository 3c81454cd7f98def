//! The IPCQ depth search: the smallest queue depth at which a PE program completes.

use std::rc::Rc;

use kernbench_engine::SimTime;
use kernbench_model::Topology;

use super::{Cause, DepthAnswer, DiagnoseConfig, Diagnosis, check_diagnosis, run_once};
use crate::error::CollectiveError;

/// The deepest IPCQ the search tries.
pub const MAX_IPCQ_DEPTH: usize = 1024;

/// A depth at which queues rarely fill, run beside the smallest one for comparison.
pub const GENEROUS_IPCQ_DEPTH: usize = 64;

/// What [`min_ipcq_depth`] found.
#[derive(Clone, Debug)]
pub enum MinDepth {
    /// The program completes from `depth` on.
    Found {
        /// The smallest depth at which it completes.
        depth: usize,
        /// Its run time there.
        time: SimTime,
        /// [`GENEROUS_IPCQ_DEPTH`], or `depth` if that is larger.
        generous_depth: usize,
        /// The run time at the generous depth.
        generous_time: SimTime,
    },
    /// It stalls at every depth up to [`MAX_IPCQ_DEPTH`]; the diagnosis of that depth.
    NotFound(Box<Diagnosis>),
}

/// The smallest IPCQ depth in `0..=MAX_IPCQ_DEPTH` at which `config`'s PE program completes:
/// depths 0, 1, 2, 4, ... until one completes, then a bisection between it and the last
/// that stalled. Completion is assumed monotone in the depth (a deeper queue never blocks a
/// send that a shallower one let through); a violation of that is reported as an error.
///
/// # Errors
/// What [`diagnose`](super::diagnose) refuses (a collective, which has no IPCQs, is refused by the caller),
/// and [`CollectiveError::Internal`] if the program completes at the smallest depth found
/// but not at the generous one.
pub fn min_ipcq_depth(
    topology: &Rc<Topology>,
    config: &DiagnoseConfig,
) -> Result<MinDepth, CollectiveError> {
    check_diagnosis(topology, config)?;
    search(topology, config)
}

/// [`min_ipcq_depth`] of a configuration already checked: the depth only changes how deep
/// the queues are, never whether the configuration is accepted. The diagnoses it returns
/// were not searched again (a stall's [`FullQueues`](super::Cause::FullQueues) cause says
/// nothing of the depth that completes).
pub(crate) fn search(
    topology: &Rc<Topology>,
    config: &DiagnoseConfig,
) -> Result<MinDepth, CollectiveError> {
    let at = |depth: usize| {
        let config = DiagnoseConfig {
            ipcq_depth: depth,
            ..config.clone()
        };
        run_once(topology.clone(), &config, false).map(|run| run.diagnosis)
    };
    let completed = |d: &Diagnosis| match d {
        Diagnosis::Completed { time, .. } => Some(*time),
        Diagnosis::Stalled(_) => None,
    };
    // The last stalled depth below the first completing one.
    let mut stalled: Option<usize> = None;
    let mut probe = 0;
    let (mut best, mut best_time) = loop {
        let diagnosis = at(probe)?;
        if let Some(time) = completed(&diagnosis) {
            break (probe, time);
        }
        if probe >= MAX_IPCQ_DEPTH {
            let mut diagnosis = diagnosis;
            // What the search found is the answer a full-queue cause gives.
            if let Diagnosis::Stalled(stall) = &mut diagnosis {
                if let Cause::FullQueues { completes, .. } = &mut stall.cause {
                    *completes = Some(DepthAnswer::NoneUpTo {
                        max: MAX_IPCQ_DEPTH,
                    });
                }
            }
            return Ok(MinDepth::NotFound(Box::new(diagnosis)));
        }
        stalled = Some(probe);
        probe = if probe == 0 {
            1
        } else {
            (probe * 2).min(MAX_IPCQ_DEPTH)
        };
    };
    if let Some(mut low) = stalled {
        while best - low > 1 {
            let mid = low + (best - low) / 2;
            match completed(&at(mid)?) {
                Some(time) => (best, best_time) = (mid, time),
                None => low = mid,
            }
        }
    }
    let generous_depth = GENEROUS_IPCQ_DEPTH.max(best);
    let generous_time = if generous_depth == best {
        best_time
    } else {
        completed(&at(generous_depth)?).ok_or_else(|| {
            CollectiveError::Internal(format!(
                "{} completes at IPCQ depth {best} but not at {generous_depth}",
                config.program.name()
            ))
        })?
    };
    Ok(MinDepth::Found {
        depth: best,
        time: best_time,
        generous_depth,
        generous_time,
    })
}
