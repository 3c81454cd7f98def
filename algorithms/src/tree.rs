//! # Binary tree
//!
//! ## Schedule
//! The ranks form a binary tree laid out as a heap over an order of the ranks: the rank at
//! position `v` has the ranks at positions `2v + 1` and `2v + 2` as children, so the tree is
//! found by re-numbering the ranks relative to the root (`v = (rank - root) mod n`). The root
//! is `call.root` for broadcast and reduce and rank 0 for all-reduce. The buffer moves in
//! chunks of at most the call's chunk size ([`DEFAULT_CHUNK`](crate::DEFAULT_CHUNK) by
//! default):
//!
//! - **reduce**: a rank reduces chunk `k` from each of its children in turn, then sends it up
//!   to its parent;
//! - **broadcast**: a rank sends chunk `k` to each child as soon as it has it;
//! - **all-reduce**: reduce to the root, then broadcast from it, the two pipelined: the root
//!   starts chunk `k` down as soon as it has reduced it, while later chunks still come up.
//!
//! The chunks a rank sends to one peer go one after another (each waits for the previous one
//! to arrive), so chunk `k` is not slowed down by sharing a link with chunk `k + 1`; sends to
//! different peers, and reductions, overlap freely.
//!
//! ## Cost
//! With `t(m)` the time to move `m` bytes between two ranks (latency `alpha` plus `m` over the
//! bottleneck bandwidth `beta` of the route, memories included), `c(m)` the time for a SIP's
//! PEs to reduce `m` bytes, `D` the depth of the tree (`floor(log2 n)`), and the buffer of
//! `S` bytes cut into `K` equal chunks of `C` bytes:
//!
//! ```text
//! all-reduce  T = (K - 1 + 2D) * t(C) + 2D * c(C)
//! reduce      T = (K - 1 + D)  * t(C) + 2D * c(C)
//! broadcast   T = (K - 1 + D)  * t(C)
//! ```
//!
//! The formulas are exact (up to the packets of different flows meeting in a memory) for a
//! complete tree (`n = 2^(D+1) - 1`) on a machine where every tree edge has its own link, and
//! while `t(C) >= 2c(C)` (the links, not the reductions, set the pace). For other `n` the
//! deepest leaf may hang under a rank with one child, which saves up to `D` reductions.
//! For large buffers `T ~ S / beta`: every link carries the buffer once up and once down,
//! each direction once, so the tree moves `2(n-1) * S` bytes in an all-reduce in all (the same
//! as the ring) but its latency term grows with `log2 n`, not `n`.
//!
//! ## Topologies
//! Any: the tree is logical. It is at its best where a rank and its children are neighbours
//! (fully connected machines, switches). Reduce-scatter and all-gather are refused: a tree
//! funnels the whole buffer through the root, which those collectives do not need; use ring,
//! halving-doubling or direct.

use std::rc::Rc;

use kernbench_engine::ProcessHandle;
use kernbench_model::{ReduceOp, Topology};

use crate::comm::Comm;
use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::names::Collective;
use crate::ring::chunks;

/// Mailbox channel of chunks going up (child to parent); chunks going down use the next one.
const UP: u32 = 0;

/// The binary-tree schedule, a built-in: its module docs give its schedule, cost and
/// topologies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BinaryTree;

crate::schedule::builtin_schedule!(BinaryTree, "tree");

/// Whether the tree runs `collective`; the reason if not.
pub(crate) fn supports(collective: Collective, _topology: &Topology) -> Result<(), String> {
    match collective {
        Collective::AllReduce | Collective::Broadcast | Collective::Reduce => Ok(()),
        Collective::ReduceScatter | Collective::AllGather => Err(
            "the tree runs all-reduce, broadcast and reduce; it would funnel every segment through the root, so use ring, halving-doubling or direct for reduce-scatter and all-gather".to_string(),
        ),
        Collective::AllToAll | Collective::AllToAllv => Err(
            "the tree runs all-reduce, broadcast and reduce; use ring, pairwise or direct for all-to-all and all-to-allv".to_string(),
        ),
        Collective::SendRecv => Err(
            "the tree runs all-reduce, broadcast and reduce; use direct for send-recv".to_string(),
        ),
    }
}

/// Runs `call` with the binary-tree schedule.
pub(crate) async fn run(call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    let n = comm.world_size();
    if n == 1 {
        return Ok(());
    }
    let (root, up, down) = match call.collective {
        Collective::AllReduce => (0, true, true),
        Collective::Reduce => (call.root, true, false),
        Collective::Broadcast => (call.root, false, true),
        // Refused by `supports`; nothing to do if reached anyway.
        Collective::ReduceScatter
        | Collective::AllGather
        | Collective::AllToAll
        | Collective::SendRecv
        | Collective::AllToAllv => return Ok(()),
    };
    let tree = Rc::new(Tree::rooted_at(n, root));
    let bytes = comm.bytes();
    let phases = Phases {
        up,
        down,
        op: call.op,
    };
    pipelined(comm, tree, 0, bytes, phases, UP).await
}

/// A binary tree laid out as a heap over an order of the ranks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    /// The rank at each heap position; position 0 is the root.
    order: Vec<u32>,
    /// The heap position of each rank.
    position: Vec<u32>,
}

impl Tree {
    /// The tree of `n` ranks rooted at `root`: position `v` holds rank `(root + v) mod n`.
    pub fn rooted_at(n: u32, root: u32) -> Tree {
        Tree::from_order((0..n).map(|v| (root + v) % n).collect())
    }

    /// The tree whose heap position `v` holds rank `order[v]`; `order` is a permutation of
    /// `0..order.len()`.
    pub fn from_order(order: Vec<u32>) -> Tree {
        let mut position = vec![0; order.len()];
        for (v, &rank) in order.iter().enumerate() {
            if let Some(p) = position.get_mut(rank as usize) {
                *p = v as u32;
            }
        }
        Tree { order, position }
    }

    /// The rank at heap position `v`, if there is one.
    fn rank_at(&self, v: u32) -> Option<u32> {
        self.order.get(v as usize).copied()
    }

    /// The parent of `rank`; `None` for the root.
    pub fn parent(&self, rank: u32) -> Option<u32> {
        let v = *self.position.get(rank as usize)?;
        if v == 0 {
            None
        } else {
            self.rank_at((v - 1) / 2)
        }
    }

    /// The children of `rank`, left first (none, one or two).
    pub fn children(&self, rank: u32) -> Vec<u32> {
        let Some(&v) = self.position.get(rank as usize) else {
            return Vec::new();
        };
        [2 * v + 1, 2 * v + 2]
            .into_iter()
            .filter_map(|c| self.rank_at(c))
            .collect()
    }

    /// Whether `rank` has children.
    #[cfg(test)]
    pub(crate) fn is_interior(&self, rank: u32) -> bool {
        !self.children(rank).is_empty()
    }

    /// The unordered edges `{child, parent}`, as `(min, max)` pairs.
    pub fn edges(&self) -> Vec<(u32, u32)> {
        self.order
            .iter()
            .filter_map(|&r| self.parent(r).map(|p| (r.min(p), r.max(p))))
            .collect()
    }
}

/// Which halves of the tree schedule to run.
#[derive(Clone, Copy, Debug)]
pub struct Phases {
    /// Reduce up to the root.
    pub up: bool,
    /// Broadcast down from the root.
    pub down: bool,
    /// The reduction.
    pub op: ReduceOp,
}

/// Sends to one peer, one chunk after another: each send starts once the previous one has
/// arrived, so the chunks of one stream do not share a link with each other.
struct SendChain {
    comm: Comm,
    to: u32,
    channel: u32,
    last: Option<ProcessHandle<()>>,
}

impl SendChain {
    fn new(comm: &Comm, to: u32, channel: u32) -> SendChain {
        SendChain {
            comm: comm.clone(),
            to,
            channel,
            last: None,
        }
    }

    /// Queues bytes `[offset, offset + len)` of the buffer behind the chunks pushed before.
    /// They are read when their send starts.
    fn push(&mut self, offset: u64, len: u64) {
        let previous = self.last.take();
        let comm = self.comm.clone();
        let (to, channel) = (self.to, self.channel);
        let name = format!(
            "rank{} tree send -> rank{}",
            comm.rank(),
            comm.destination(to)
        );
        self.last = Some(self.comm.sim().spawn(name, async move {
            if let Some(previous) = previous {
                previous.await;
            }
            comm.send(to, channel, offset, len).await
        }));
    }

    /// Waits for every queued chunk to arrive.
    async fn finish(self) {
        if let Some(last) = self.last {
            last.await;
        }
    }
}

/// This rank's part of the pipelined tree schedule on bytes `[offset, offset + len)`, using
/// mailbox channels `channel` (up) and `channel + 1` (down).
pub async fn pipelined(
    comm: Comm,
    tree: Rc<Tree>,
    offset: u64,
    len: u64,
    phases: Phases,
    channel: u32,
) -> Result<(), CollectiveError> {
    let me = comm.rank();
    let parent = tree.parent(me);
    let children = tree.children(me);
    let pieces = chunks(offset, len, comm.chunk_bytes());
    let down_channel = channel + 1;
    // A non-root rank forwards chunks down as they come, in a process of its own so that it
    // keeps reducing later chunks on their way up meanwhile.
    let down_process = match (phases.down, parent) {
        (true, Some(parent)) => {
            let comm = comm.clone();
            let children = children.clone();
            let pieces = pieces.clone();
            let name = format!("rank{me} tree down");
            let sim = comm.sim().clone();
            Some(sim.spawn(name, async move {
                let mut chains: Vec<SendChain> = children
                    .iter()
                    .map(|&c| SendChain::new(&comm, c, down_channel))
                    .collect();
                for &(o, l) in &pieces {
                    comm.recv_store(parent, down_channel).await;
                    for chain in &mut chains {
                        chain.push(o, l);
                    }
                }
                for chain in chains {
                    chain.finish().await;
                }
                Ok::<(), CollectiveError>(())
            }))
        }
        _ => None,
    };
    // The root's chains down; the root starts them when a chunk is reduced (or at once for a
    // broadcast).
    let mut root_chains: Vec<SendChain> = match (phases.down, parent) {
        (true, None) => children
            .iter()
            .map(|&c| SendChain::new(&comm, c, down_channel))
            .collect(),
        _ => Vec::new(),
    };
    let mut up_chain = parent.map(|p| SendChain::new(&comm, p, channel));
    if phases.up {
        for &(o, l) in &pieces {
            for &child in &children {
                comm.recv_reduce(child, channel, phases.op).await?;
            }
            if let Some(chain) = &mut up_chain {
                chain.push(o, l);
            }
            for chain in &mut root_chains {
                chain.push(o, l);
            }
        }
    } else {
        for &(o, l) in &pieces {
            for chain in &mut root_chains {
                chain.push(o, l);
            }
        }
    }
    if let Some(chain) = up_chain {
        chain.finish().await;
    }
    for chain in root_chains {
        chain.finish().await;
    }
    if let Some(process) = down_process {
        process.await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Tree;

    #[test]
    fn a_tree_rooted_at_two_renumbers_ranks_relative_to_the_root() {
        let tree = Tree::rooted_at(5, 2);
        assert_eq!(tree.parent(2), None);
        assert_eq!(tree.children(2), [3, 4]);
        assert_eq!(tree.children(3), [0, 1]);
        assert_eq!(tree.parent(1), Some(3));
        assert!(tree.children(4).is_empty());
        assert_eq!(tree.edges().len(), 4);
    }
}
