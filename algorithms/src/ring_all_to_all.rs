//! The ring's all-to-all (and all-to-allv): store and forward around the rings of
//! [`ring_orders`](crate::ring::ring_orders).
//!
//! ## Schedule
//! On a ring of `n` positions each rank sends every block to the next position; a rank keeps
//! the block meant for it and forwards the others as they arrive. In step `k` (`1..n`) a rank
//! sends `n - k` blocks and receives `n - k` (the first of which is its own), so a block to
//! the rank `d` positions on crosses `d` links, one hop at a time. With `C` channels (the ring
//! and its reverse on a full-duplex ring) every block is cut into `C` parts, part `c` going
//! around ring `c`: on a bidirectional ring each link then carries half of what one
//! direction would. The block for itself is copied at no cost.
//!
//! ## Cost
//! With `t(m)` the time to move `m` bytes between neighbours and `B = S/n` a block, one
//! channel: every link carries `n(n-1)/2` blocks, so for large blocks
//! `T ~ n(n-1)/2 * B / beta` (forwarding pipelines the steps); `C` channels on links of
//! their own divide that by `C`. Against direct on the same ring, the bytes per link are the
//! same as routing each block the ring's way; what the ring adds is that no flow waits at a
//! switch or memory for another, and that it runs where routes would cross.
//!
//! ## Topologies
//! Any: the ring follows the wiring where it has a cycle (see the ring's docs).

use std::sync::Arc;

use kernbench_engine::ProcessHandle;

use crate::comm::{Comm, segment};
use crate::error::CollectiveError;

/// Runs this rank's part of an all-to-all (even or uneven, per [`Comm::blocks`]) around
/// `orders`, one ring per channel.
pub(crate) async fn run(comm: &Comm, orders: &[Arc<[u32]>]) -> Result<(), CollectiveError> {
    let (n, me, blocks) = (comm.world_size(), comm.rank(), comm.blocks());
    let (o, l) = blocks.send_block(me, me);
    comm.copy_local(o, l, blocks.recv_block(me, me).0);
    if n < 2 {
        return Ok(());
    }
    let parts = orders.len().max(1) as u32;
    let orders: Arc<[Arc<[u32]>]> = orders.into();
    comm.in_parts(parts, "ring all-to-all channel", |comm, c| {
        let orders = orders.clone();
        let blocks = blocks.clone();
        async move {
            let order = &orders[c as usize];
            let Some(p) = order.iter().position(|&r| r == me) else {
                return Ok(());
            };
            let at = |q: usize| order[q % n as usize];
            let (next, prev) = (at(p + 1), at(p + n as usize - 1));
            // Step k's message for the rank `dist` positions past the receiver: a mailbox of
            // its own, so blocks of different sizes may arrive in any order.
            let channel = |k: u32, dist: u32| (c * n + k) * n + dist;
            // Part `c` of the block `from -> to`: (offset in the sender, length, offset at
            // the receiver).
            let part = |from: u32, to: u32| {
                let (offset, len) = blocks.send_block(from, to);
                let (at, _) = blocks.recv_block(from, to);
                let (po, pl) = segment(len, c, parts);
                (offset + po, pl, at + po)
            };
            let mut sends: Vec<ProcessHandle<()>> = Vec::new();
            // Step 1: this rank's own blocks, nearest destination first.
            for d in 1..n {
                let (offset, len, land) = part(me, at(p + d as usize));
                sends.push(comm.spawn_send_to(next, channel(1, d - 1), offset, len, land));
            }
            // Step k: n - k blocks from the rank k positions back, one for this rank and the
            // others passed on one position nearer their destination.
            for k in 1..n {
                comm.recv_store(prev, channel(k, 0)).await;
                for dist in 1..(n - k) {
                    let chunk = comm.recv(prev, channel(k, dist)).await;
                    sends.push(comm.spawn_forward(next, channel(k + 1, dist - 1), chunk));
                }
            }
            for send in sends {
                send.await;
            }
            Ok(())
        }
    })
    .await
}
