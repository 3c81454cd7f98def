//! The building blocks the built-in schedules are made of, public so that a user's
//! [`Schedule`](crate::Schedule) can be written from them.
//!
//! - [`ring`]: the ring schedule over any list of ranks (in ring order) and any byte range
//!   of the buffer, for all-reduce, reduce-scatter or all-gather; the built-in ring, mesh and
//!   hierarchical schedules are this block over different rank lists.
//! - [`tree`]: the pipelined binary tree over a [`Tree`] of ranks, reduce up and/or
//!   broadcast down ([`Phases`]), in chunks of at most the call's chunk size
//!   ([`DEFAULT_CHUNK`] unless the call sets another).
//! - [`mesh`]: all-reduce over a `rows x cols` grid of ranks (rows, then columns, then rows).
//! - [`segment`], [`chunks`], [`chunk_count`]: how a buffer is cut into balanced whole-`f32`
//!   segments and those into chunks.
//!
//! Each block is a per-rank `async fn` on a [`Comm`](crate::Comm): call it from the body of
//! [`Schedule::run`](crate::Schedule::run). Blocks that run at once on one collective must use
//! mailbox channels that do not overlap (each block's docs say which it uses).

pub use crate::comm::segment;
pub use crate::group::DEFAULT_CHUNK;
pub use crate::mesh::rows_then_columns as mesh;
pub use crate::ring::{
    chunk_count, chunks, group_orders, ring_orders, run_channels as ring_channels, run_over as ring,
};
pub use crate::tree::{Phases, Tree, pipelined as tree};
