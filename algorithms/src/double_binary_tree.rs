//! # Double binary tree
//!
//! ## Schedule
//! NCCL's double binary tree (Sanders, Speck and Träff, "Two-tree algorithms for full
//! bandwidth broadcast, reduction and scan", 2009): two binary trees over the same ranks, each
//! running the pipelined [tree](crate::tree) all-reduce on its half of the buffer, both at
//! once. Tree 1 is the heap over ranks `0..n` rooted at rank 0, whose interior ranks are
//! `0..n/2` and leaves `n/2..n`. Tree 2 is the heap over the order "tree-1 leaves, then
//! tree-1 interior ranks", so every interior rank of one tree is a leaf of the other and each
//! rank forwards (and reduces) for at most one tree. Within that order the leaves may be
//! reversed and the interior ranks rotated: the first arrangement whose edges share no pair of
//! ranks with tree 1 is taken (none exists for `n` = 2, 3, 5; then the plain order is used),
//! so on a machine with a link per pair the two trees never share a link.
//!
//! ## Cost
//! With `t(m)`, `c(m)` as in the tree (time to move `m` bytes between two ranks, time for a
//! SIP to reduce `m` bytes), `D = floor(log2 n)` and each half of `S/2` bytes cut into `K`
//! equal chunks of `C` bytes, the trees run side by side:
//!
//! ```text
//! all-reduce  T = (K - 1 + 2D) * t(C) + 2D * c(C)        K = ceil((S/2) / chunk)
//! ```
//!
//! exact (up to packets meeting in a memory) for complete trees (`n = 2^(D+1) - 1`) whose
//! edges have links of their own and while `t(C) >= 2c(C)`. For large buffers this is about
//! half the single tree's time: every rank sends its half up one tree and, as an interior
//! rank, down the other, so the links out of leaves are busy too. The bytes moved are the
//! tree's: `2(n-1) * S` in all.
//!
//! ## Topologies
//! Any: the trees are logical; they are at their best where every pair of ranks has its own
//! link. Only all-reduce runs: the two trees have different roots, so a broadcast or reduce
//! from one root is the single tree's job, and reduce-scatter and all-gather do not need a
//! tree at all.

use std::rc::Rc;

use kernbench_model::Topology;

use crate::comm::Comm;
use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::names::Collective;
use crate::tree::{Phases, Tree, pipelined};

/// The double-binary-tree schedule, a built-in: its module docs give its schedule, cost and
/// topologies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DoubleBinaryTree;

crate::schedule::builtin_schedule!(DoubleBinaryTree, "double-binary-tree");

/// Whether the double binary tree runs `collective`; the reason if not.
pub(crate) fn supports(collective: Collective, _topology: &Topology) -> Result<(), String> {
    match collective {
        Collective::AllReduce => Ok(()),
        _ => Err(
            "the double binary tree runs all-reduce only; use tree for broadcast and reduce, and ring, halving-doubling or direct for reduce-scatter and all-gather".to_string(),
        ),
    }
}

/// Runs `call` (an all-reduce) over the two trees.
pub(crate) async fn run(call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    let n = comm.world_size();
    if n == 1 || call.collective != Collective::AllReduce {
        return Ok(());
    }
    let (first, second) = trees(n);
    let phases = Phases {
        up: true,
        down: true,
        op: call.op,
    };
    let (o1, l1) = comm.segment(0, 2);
    let (o2, l2) = comm.segment(1, 2);
    let name = format!("rank{} tree 2", comm.rank());
    let other = comm.sim().clone().spawn(
        name,
        pipelined(comm.clone(), Rc::new(second), o2, l2, phases, 2),
    );
    pipelined(comm, Rc::new(first), o1, l1, phases, 0).await?;
    other.await;
    Ok(())
}

/// The two trees of `n` ranks (see the module docs).
pub(crate) fn trees(n: u32) -> (Tree, Tree) {
    let first = Tree::rooted_at(n, 0);
    let h = n / 2;
    let leaves: Vec<u32> = (h..n).collect();
    let interior: Vec<u32> = (0..h).collect();
    let arrange = |reversed: bool, rotation: u32| {
        let mut order: Vec<u32> = if reversed {
            leaves.iter().rev().copied().collect()
        } else {
            leaves.clone()
        };
        order.extend((0..h).map(|i| interior[((i + rotation) % h) as usize]));
        Tree::from_order(order)
    };
    let first_edges = first.edges();
    let candidates = [false, true]
        .into_iter()
        .flat_map(|reversed| (0..h.max(1)).map(move |rotation| (reversed, rotation)));
    let mut second = None;
    for (reversed, rotation) in candidates {
        let tree = arrange(reversed, rotation);
        if !tree.edges().iter().any(|e| first_edges.contains(e)) {
            second = Some(tree);
            break;
        }
    }
    let second = second.unwrap_or_else(|| arrange(false, 0));
    (first, second)
}

#[cfg(test)]
mod tests {
    use super::trees;

    #[test]
    fn interior_ranks_of_one_tree_are_leaves_of_the_other() {
        for n in 2..=16 {
            let (a, b) = trees(n);
            for r in 0..n {
                assert!(!(a.is_interior(r) && b.is_interior(r)), "n = {n}, rank {r}");
            }
        }
    }

    #[test]
    fn the_two_trees_share_no_edge_except_for_two_three_and_five_ranks() {
        for n in 2..=16 {
            let (a, b) = trees(n);
            let shared = b.edges().iter().filter(|e| a.edges().contains(e)).count();
            assert_eq!(shared == 0, ![2, 3, 5].contains(&n), "n = {n}");
        }
    }
}
