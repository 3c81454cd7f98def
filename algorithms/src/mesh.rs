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
//! the current one. With channels (`auto` = 4) the buffer is split in parts that run at once:
//! rows first and columns first, each forward and backward along every line, so the four
//! directed link classes of a torus each carry one part; the formula below then holds with
//! `S/4` for `S`, and busbw approaches four links' bandwidth. [`rows_then_columns`] is shared with [hierarchical](crate::hierarchical),
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
//! With `P` channels each grid all-reduce carries `S/P`: the formulas hold with `S/P` for
//! `S` where the channels' links are their own (the four of a torus's `auto`: each directed
//! link class carries one). With several chunks per segment each row and column ring
//! pipelines as the ring does (`ring.rs`'s `max(link, last chunk)` formula).
//!
//! Against a ring over all `RC` ranks it pays `2(R + C - 2)` latencies instead of
//! `2(RC - 1)`, for `2(C-1)/C * S + 2(R-1)/(RC) * S` bytes sent per rank (slightly more than
//! the ring's `2(RC-1)/(RC) * S`).
//!
//! On a 3D torus (`Torus3D(x, y, z)`, rank `(i y + j) z + k`) the same nests one level
//! deeper: reduce-scatter along the first dimension, then the second on that piece,
//! all-reduce along the third, then all-gather back out; `auto` runs 6 channels, the
//! dimension order rotated three ways, each forward and backward, so each channel's largest
//! phase has one of the six directed link classes to itself (measured 98.9% of the injection
//! bound at 256 MiB on a 3x3x3 torus).
//!
//! ## Topologies
//! One cube whose SIP shape is `Mesh2D(rows, cols)`, `Torus2D(rows, cols)` or
//! `Torus3D(x, y, z)`: on a torus every
//! ring step is one hop; on a mesh the wrap-around step of each row and column crosses the
//! row (or column). Other shapes and several cubes are refused (use ring, or hierarchical for
//! several cubes). All-reduce only: its reduce-scatter would leave segments in grid order,
//! not rank order, so reduce-scatter and all-gather are refused (use ring), as are broadcast
//! and reduce (use tree or direct).

use kernbench_model::{ReduceOp, Shape, Topology};

use crate::comm::Comm;
use crate::error::CollectiveError;
use crate::group::{Channels, CollectiveCall};
use crate::names::Collective;

/// First channel of each phase: phases of one collective must not share a mailbox. A ring
/// over `n` ranks uses `2(n - 1)` channels, far fewer than this stride.
const PHASE_CHANNELS: u32 = 1 << 20;

/// The mesh schedule, a built-in: its module docs give its schedule, cost and
/// topologies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Mesh;

crate::schedule::builtin_schedule!(Mesh, "mesh", whole_machine);

/// Whether the mesh runs `collective` on `topology`; the reason if not.
pub(crate) fn supports(collective: Collective, topology: &Topology) -> Result<(), String> {
    // The collective first: a hint about the machine would name algorithms that do not run
    // this collective either (hierarchical for a reduce-scatter).
    match collective {
        Collective::AllReduce => grid(topology).map(|_| ()),
        other => Err(format!(
            "mesh runs all-reduce only, not {other}; {}",
            other.alternatives()
        )),
    }
}

/// The SIP grid: `rows x cols`, or a 3D torus `x x y x z`.
#[derive(Clone, Copy, Debug)]
enum Grid {
    Two(u32, u32),
    Three([u32; 3]),
}

/// The SIP grid of `topology`, or why it has none.
fn grid(topology: &Topology) -> Result<Grid, String> {
    let name = topology.name();
    let shape = &topology.spec().sips.links.shape;
    let grid = match *shape {
        Shape::Mesh2D(r, c) | Shape::Torus2D(r, c) => Grid::Two(r, c),
        Shape::Torus3D(x, y, z) => Grid::Three([x, y, z]),
        ref other => {
            return Err(format!(
                "mesh needs a Mesh2D, Torus2D or Torus3D SIP shape; {name} is a {other}: use ring"
            ));
        }
    };
    let cubes = topology.cube_count();
    if cubes != 1 {
        return Err(format!(
            "mesh runs inside one cube; {name} has {cubes}: use hierarchical"
        ));
    }
    Ok(grid)
}

/// Runs this rank's part of the mesh schedule: one grid all-reduce per channel, each on its
/// part of the buffer, channel `c` taking the dimensions in order `c mod 2` (rows first, or
/// columns first) and the direction `c / 2 mod 2` (forward, or backward along both), so that
/// at once the four channels load the four directed link classes of the grid. `auto` is 4
/// (1 on a grid with a single row or column, where there is one dimension).
pub(crate) async fn run(call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    let grid = grid(comm.machine().topology()).map_err(|reason| CollectiveError::Unsupported {
        algorithm: "mesh".to_string(),
        collective: call.collective.to_string(),
        topology: comm.machine().topology().name().to_string(),
        reason,
    })?;
    let (rows, cols) = match grid {
        Grid::Two(rows, cols) => (rows, cols),
        Grid::Three(dims) => return run_3d(call, comm, dims).await,
    };
    let channels = match call.channels {
        Channels::Auto if rows > 1 && cols > 1 => 4,
        Channels::Auto => 1,
        Channels::Fixed(k) => k,
    };
    let bytes = comm.bytes();
    comm.in_parts(channels, "mesh channel", |comm, c| async move {
        let range = crate::comm::segment(bytes, c, channels);
        grid_all_reduce(&comm, rows, cols, None, range, orientation(c), call.op, c).await
    })
    .await
}

/// The mesh schedule on a 3D torus `dims` (rank = `(i * y + j) * z + k`): one all-reduce
/// over the three dimensions per channel, channel `c` taking them in the order rotated by
/// `c mod 3` (x y z, y z x, z x y) and walking every line backward when `c / 3` is odd, so
/// that `auto`'s 6 channels start their largest phase on the six directed link classes.
async fn run_3d(call: CollectiveCall, comm: Comm, dims: [u32; 3]) -> Result<(), CollectiveError> {
    let lines = dims.iter().filter(|&&d| d > 1).count() as u32;
    let channels = match call.channels {
        Channels::Auto => (2 * lines).max(1),
        Channels::Fixed(k) => k,
    };
    let bytes = comm.bytes();
    comm.in_parts(channels, "mesh channel", |comm, c| async move {
        let range = crate::comm::segment(bytes, c, channels);
        let r = (c % 3) as usize;
        let order = [r, (r + 1) % 3, (r + 2) % 3];
        lines_all_reduce(&comm, dims, order, (c / 3) % 2 == 1, range, call.op, c).await
    })
    .await
}

/// All-reduce over a 3D grid `dims` on bytes `range`: reduce-scatter along the line of
/// dimension `order[0]` through this rank, then along `order[1]` on the piece it owns,
/// all-reduce along `order[2]` on that piece, then all-gather back out; every line walked
/// backward when `backward`, on mailbox channels of channel `channel`'s own range.
async fn lines_all_reduce(
    comm: &Comm,
    dims: [u32; 3],
    order: [usize; 3],
    backward: bool,
    range: (u64, u64),
    op: ReduceOp,
    channel: u32,
) -> Result<(), CollectiveError> {
    let me = comm.rank();
    let strides = [dims[1] * dims[2], dims[2], 1];
    // The ranks on the line of dimension `d` through this rank, in walking order.
    let line = |d: usize| -> Vec<u32> {
        let (len, stride) = (dims[d], strides[d]);
        let base = me - ((me / stride) % len) * stride;
        (0..len)
            .map(|k| if backward { (len - k) % len } else { k })
            .map(|k| base + k * stride)
            .collect()
    };
    let base = channel * 5 * PHASE_CHANNELS;
    let ring = crate::ring::run_over;
    let mut ranges = vec![range];
    for (phase, &d) in order[..2].iter().enumerate() {
        let ranks = line(d);
        let current = ranges[phase];
        ring(
            comm,
            &ranks,
            current,
            Collective::ReduceScatter,
            op,
            base + phase as u32 * PHASE_CHANNELS,
        )
        .await?;
        let position = ranks.iter().position(|&r| r == me).unwrap_or(0) as u32;
        let (o, l) = crate::comm::segment(current.1, position, ranks.len() as u32);
        ranges.push((current.0 + o, l));
    }
    ring(
        comm,
        &line(order[2]),
        ranges[2],
        Collective::AllReduce,
        op,
        base + 2 * PHASE_CHANNELS,
    )
    .await?;
    for (phase, &d) in order[..2].iter().enumerate().rev() {
        ring(
            comm,
            &line(d),
            ranges[phase],
            Collective::AllGather,
            op,
            base + (3 + phase as u32) * PHASE_CHANNELS,
        )
        .await?;
    }
    Ok(())
}

/// Channel `c`'s dimension order and direction: `(columns first, backward)`.
fn orientation(c: u32) -> (bool, bool) {
    (c % 2 == 1, (c / 2) % 2 == 1)
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
    grid_all_reduce(
        comm,
        rows,
        cols,
        None,
        (0, comm.bytes()),
        (false, false),
        op,
        0,
    )
    .await
}

/// The grid all-reduce on bytes `range`, the first dimension rows (or columns when
/// `columns_first`), every line walked forward (or backward), on mailbox channels of channel
/// `channel`'s own range. A row is walked in `row_order` (column indices, e.g. a cycle of
/// neighbours inside a cube) where given, else in column order.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn grid_all_reduce(
    comm: &Comm,
    rows: u32,
    cols: u32,
    row_order: Option<&[u32]>,
    range: (u64, u64),
    (columns_first, backward): (bool, bool),
    op: ReduceOp,
    channel: u32,
) -> Result<(), CollectiveError> {
    let cols = cols.max(1);
    let (row, col) = (comm.rank() / cols, comm.rank() % cols);
    let walk = |k: u32, len: u32| if backward { (len - k) % len } else { k };
    let column = |j: u32| row_order.map_or(j, |order| order[j as usize]);
    let row_ranks: Vec<u32> = (0..cols)
        .map(|j| row * cols + column(walk(j, cols)))
        .collect();
    let col_ranks: Vec<u32> = (0..rows).map(|i| walk(i, rows) * cols + col).collect();
    let (first, second) = if columns_first {
        (col_ranks, row_ranks)
    } else {
        (row_ranks, col_ranks)
    };
    let base = channel * 3 * PHASE_CHANNELS;
    let ring = crate::ring::run_over;
    ring(comm, &first, range, Collective::ReduceScatter, op, base).await?;
    // The ring's reduce-scatter leaves segment `q` of the line at position `q`.
    let position = first.iter().position(|&r| r == comm.rank()).unwrap_or(0) as u32;
    let (o, l) = crate::comm::segment(range.1, position, first.len() as u32);
    let mine = (range.0 + o, l);
    ring(
        comm,
        &second,
        mine,
        Collective::AllReduce,
        op,
        base + PHASE_CHANNELS,
    )
    .await?;
    ring(
        comm,
        &first,
        range,
        Collective::AllGather,
        op,
        base + 2 * PHASE_CHANNELS,
    )
    .await
}
