//! Verified runs: every rank starts with values derived from its rank; the result is checked
//! against the exact answer.

use kernbench_model::ReduceOp;

use crate::error::CollectiveError;
use crate::exchange::{Blocks, SizeMatrix};
use crate::group::{CollectiveCall, Groups};
use crate::names::Collective;
use crate::p2p::Pairs;
use std::rc::Rc;

/// Rank `rank`'s starting value at element `index`: a small integer in `-5..=5`, so sums over
/// thousands of ranks stay exact in `f32` whatever order an algorithm adds them in.
pub fn initial_value(rank: u32, index: usize) -> f32 {
    ((rank as usize * 7 + index * 3) % 11) as f32 - 5.0
}

/// The exact reduction of element `index` over `world_size` ranks.
pub fn reduced_value(op: ReduceOp, world_size: u32, index: usize) -> f32 {
    (1..world_size).fold(initial_value(0, index), |acc, r| {
        op.apply(acc, initial_value(r, index))
    })
}

/// The exact reduction of element `index` over the ranks `members` (launch ranks).
fn reduced_over(op: ReduceOp, members: &[u32], index: usize) -> f32 {
    let mut values = members.iter().map(|&r| initial_value(r, index));
    let first = values.next().unwrap_or(0.0);
    values.fold(first, |acc, v| op.apply(acc, v))
}

/// The exact value of element `index` on group rank `rank` after `call` on the group of
/// launch ranks `members`, or `None` where the collective leaves it unspecified (other
/// ranks' segments after a reduce-scatter, non-roots of reduce).
fn expected(
    call: CollectiveCall,
    members: &[u32],
    bytes: u64,
    rank: u32,
    index: usize,
) -> Option<f32> {
    // The segment holding element i: the last one starting at or before it. Segment s starts
    // at floor(s * E / n), which is <= i exactly when s <= ((i + 1) n - 1) / E.
    let elements = (bytes / 4).max(1);
    let n = members.len().max(1) as u64;
    let owner = |i: usize| (((i as u64 + 1) * n - 1) / elements).min(n - 1) as usize;
    let start = |q: usize| initial_value(members[q], index);
    match call.collective {
        Collective::AllReduce => Some(reduced_over(call.op, members, index)),
        Collective::ReduceScatter => {
            (owner(index) == rank as usize).then(|| reduced_over(call.op, members, index))
        }
        Collective::AllGather => Some(start(owner(index))),
        Collective::Broadcast => Some(start(call.root as usize)),
        Collective::Reduce => (rank == call.root).then(|| reduced_over(call.op, members, index)),
        // Checked whole by `check` (`all_to_all_buffer`).
        Collective::AllToAll | Collective::AllToAllv => None,
        // The sender's buffer, or this rank's own where nobody sends to it.
        Collective::SendRecv => Some(start(call.recv_from.unwrap_or(rank) as usize)),
    }
}

/// Group rank `rank`'s whole buffer of `len` elements after an all-to-all or all-to-allv on
/// the group of launch ranks `members`, blocks where `blocks` says (see [`crate::exchange`]):
/// its own starting values everywhere but where a block landed, which holds the sender's.
fn all_to_all_buffer(members: &[u32], blocks: &Blocks, rank: u32, len: usize) -> Vec<f32> {
    let me = members[rank as usize];
    let mut out: Vec<f32> = (0..len).map(|i| initial_value(me, i)).collect();
    for (from, &sender) in members.iter().enumerate() {
        let (offset, bytes) = blocks.send_block(from as u32, rank);
        let (at, _) = blocks.recv_block(from as u32, rank);
        let (first, at, count) = (
            (offset / 4) as usize,
            (at / 4) as usize,
            (bytes / 4) as usize,
        );
        for e in 0..count {
            if let Some(slot) = out.get_mut(at + e) {
                *slot = initial_value(sender, first + e);
            }
        }
    }
    out
}

/// Checks every rank's final buffer for `call`; the first wrong element is the error.
pub(crate) fn check(
    call: CollectiveCall,
    (pairs, groups, sizes): (&Pairs, Groups, Option<&Rc<SizeMatrix>>),
    algorithm: &str,
    world_size: u32,
    bytes: u64,
    results: &[Option<Vec<f32>>],
) -> Result<(), CollectiveError> {
    for (launch_rank, data) in results.iter().enumerate() {
        let launch_rank = launch_rank as u32;
        let Some(data) = data else { continue };
        let members = groups.members_of(launch_rank, world_size);
        let rank = groups.index_of(launch_rank);
        let (send_to, recv_from) = pairs.peers(rank, members.len() as u32);
        let call = CollectiveCall {
            send_to,
            recv_from,
            ..call
        };
        let blocks = match sizes {
            Some(sizes) => Blocks::Sizes(sizes.clone()),
            None => Blocks::Even {
                bytes,
                n: members.len() as u32,
            },
        };
        let exchanged = matches!(
            call.collective,
            Collective::AllToAll | Collective::AllToAllv
        )
        .then(|| all_to_all_buffer(&members, &blocks, rank, data.len()));
        for (i, &got) in data.iter().enumerate() {
            let want = match &exchanged {
                Some(buffer) => buffer.get(i).copied(),
                None => expected(call, &members, bytes, rank, i),
            };
            let Some(want) = want else {
                continue;
            };
            // Values are small integers, exact in f32 for any summation order; the tolerance
            // only absorbs what a future non-integer workload might round.
            if !approx::relative_eq!(got, want, epsilon = 1e-5, max_relative = 1e-5) {
                return Err(CollectiveError::Verification {
                    algorithm: algorithm.to_string(),
                    collective: call.collective.to_string(),
                    rank: launch_rank,
                    index: i,
                    got,
                    expected: want,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comm::segment;

    #[test]
    fn the_owner_formula_matches_the_segments() {
        for (bytes, n) in [(40u64, 3u32), (4, 4), (4 * 1001, 7), (4 * 16, 16), (0, 5)] {
            let call = CollectiveCall::new(Collective::AllGather);
            let members: Vec<u32> = (0..n).collect();
            for s in 0..n {
                let (offset, len) = segment(bytes, s, n);
                for i in (offset / 4)..((offset + len) / 4) {
                    assert_eq!(
                        expected(call, &members, bytes, 0, i as usize),
                        Some(initial_value(s, i as usize)),
                        "{bytes} bytes, {n} ranks, element {i}"
                    );
                }
            }
        }
    }
}
