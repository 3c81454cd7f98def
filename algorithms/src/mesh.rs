//! # Mesh (2D mesh or torus: rows, then columns)
//!
//! ## Schedule
//! The ranks form a `rows x cols` grid, rank `row * cols + col` (the SIP shape's numbering).
//! All-reduce runs three rings, each with the [ring](crate::ring) schedule:
//! 1. reduce-scatter along each row over the whole buffer: the rank in column `col` ends with
//!    row-segment `col` (of `cols` balanced parts) summed over its row;
//! 2. all-reduce along each column on that row-segment only: every rank of column `col` ends
//!    with row-segment `col` summed over the whole grid;
//! 3. all-gather along each row: every rank ends with every row-segment.
//!
//! The phases use disjoint channel ranges, so a fast neighbour's next phase never mixes with
//! the current one. [`rows_then_columns`] is shared with [hierarchical](crate::hierarchical),
//! which is the same schedule with cubes as rows.
//!
//! ## Cost
//! With `t(m)` the time to move `m` bytes between grid neighbours and `c(m)` the time for a
//! SIP's PEs to reduce `m` bytes, `S` the buffer, `R = rows`, `C = cols`, one chunk per
//! segment (`S/C <= chunk`):
//!
//! ```text
//! all-reduce  T = 2(C-1) * t(S/C) + (C-1) * c(S/C)            row reduce-scatter + all-gather
//!               + 2(R-1) * t(S/(RC)) + (R-1) * c(S/(RC))      column all-reduce
//!             T ~ 2(C-1) * (alpha + (S/C)/beta)
//!               + 2(R-1) * (alpha + (S/(RC))/beta)             many chunks: reductions hide
//! ```
//!
//! Against a ring over all `RC` ranks it pays `2(R + C - 2)` latencies instead of
//! `2(RC - 1)`, for `2(C-1)/C * S + 2(R-1)/(RC) * S` bytes sent per rank (slightly more than
//! the ring's `2(RC-1)/(RC) * S`).
//!
//! ## Topologies
//! One cube whose SIP shape is `Mesh2D(rows, cols)` or `Torus2D(rows, cols)`: on a torus every
//! ring step is one hop; on a mesh the wrap-around step of each row and column crosses the
//! row (or column). Other shapes and several cubes are refused (use ring, or hierarchical for
//! several cubes). All-reduce only: its reduce-scatter would leave segments in grid order,
//! not rank order, so reduce-scatter and all-gather are refused (use ring), as are broadcast
//! and reduce (use tree or direct).

use kernbench_model::{ReduceOp, Shape, Topology};

use crate::comm::Comm;
use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::names::Collective;

/// First channel of each phase: phases of one collective must not share a mailbox. A ring
/// over `n` ranks uses `2(n - 1)` channels, far fewer than this stride.
const PHASE_CHANNELS: u32 = 1 << 20;

/// The mesh schedule (rows, then columns): see the module docs for its schedule, cost and topologies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Mesh;

crate::schedule::builtin_schedule!(Mesh, "mesh");

/// Whether the mesh runs `collective` on `topology`; the reason if not.
pub(crate) fn supports(collective: Collective, topology: &Topology) -> Result<(), String> {
    grid(topology)?;
    match collective {
        Collective::AllReduce => Ok(()),
        other => Err(format!(
            "mesh runs all-reduce only, not {other}; use ring for reduce-scatter and all-gather, tree or direct for broadcast and reduce"
        )),
    }
}

/// `(rows, cols)` of the SIP grid, or why the topology has none.
fn grid(topology: &Topology) -> Result<(u32, u32), String> {
    let name = topology.name();
    let shape = &topology.spec().sips.links.shape;
    let (rows, cols) = match *shape {
        Shape::Mesh2D(r, c) | Shape::Torus2D(r, c) => (r, c),
        ref other => {
            return Err(format!(
                "mesh needs a Mesh2D or Torus2D SIP shape; {name} is a {other}: use ring"
            ));
        }
    };
    let cubes = topology.cube_count();
    if cubes != 1 {
        return Err(format!(
            "mesh runs inside one cube; {name} has {cubes}: use hierarchical"
        ));
    }
    Ok((rows, cols))
}

/// Runs this rank's part of the mesh schedule.
pub(crate) async fn run(call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    let (rows, cols) =
        grid(comm.machine().topology()).map_err(|reason| CollectiveError::Unsupported {
            algorithm: "mesh".to_string(),
            collective: call.collective.to_string(),
            topology: comm.machine().topology().name().to_string(),
            reason,
        })?;
    rows_then_columns(&comm, rows, cols, call.op).await
}

/// All-reduce over a `rows x cols` grid of ranks (rank `row * cols + col`): reduce-scatter
/// along the row, all-reduce along the column on the piece this rank owns, all-gather along
/// the row. See the module docs for the schedule and its cost.
pub async fn rows_then_columns(
    comm: &Comm,
    rows: u32,
    cols: u32,
    op: ReduceOp,
) -> Result<(), CollectiveError> {
    let cols = cols.max(1);
    let (row, col) = (comm.rank() / cols, comm.rank() % cols);
    let row_ranks: Vec<u32> = (0..cols).map(|j| row * cols + j).collect();
    let col_ranks: Vec<u32> = (0..rows).map(|i| i * cols + col).collect();
    let whole = (0, comm.bytes());
    let ring = crate::ring::run_over;
    ring(comm, &row_ranks, whole, Collective::ReduceScatter, op, 0).await?;
    // The ring's reduce-scatter leaves segment `col` of the row at position `col`.
    let mine = comm.segment(col, cols);
    ring(
        comm,
        &col_ranks,
        mine,
        Collective::AllReduce,
        op,
        PHASE_CHANNELS,
    )
    .await?;
    ring(
        comm,
        &row_ranks,
        whole,
        Collective::AllGather,
        op,
        2 * PHASE_CHANNELS,
    )
    .await
}
