//! Verified runs: every rank starts with values derived from its rank; the result is checked
//! against the exact answer.

use kernbench_model::ReduceOp;

use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::names::Collective;
use crate::p2p::Pairs;

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

/// The exact value of element `index` on `rank` after `call`, or `None` where the collective
/// leaves it unspecified (other ranks' segments after a reduce-scatter, non-roots of reduce).
fn expected(
    call: CollectiveCall,
    world_size: u32,
    bytes: u64,
    rank: u32,
    index: usize,
) -> Option<f32> {
    // The segment holding element i: the last one starting at or before it. Segment s starts
    // at floor(s * E / n), which is <= i exactly when s <= ((i + 1) n - 1) / E.
    let elements = (bytes / 4).max(1);
    let n = world_size as u64;
    let owner = |i: usize| (((i as u64 + 1) * n - 1) / elements).min(n - 1) as u32;
    match call.collective {
        Collective::AllReduce => Some(reduced_value(call.op, world_size, index)),
        Collective::ReduceScatter => {
            (owner(index) == rank).then(|| reduced_value(call.op, world_size, index))
        }
        Collective::AllGather => Some(initial_value(owner(index), index)),
        Collective::Broadcast => Some(initial_value(call.root, index)),
        Collective::Reduce => {
            (rank == call.root).then(|| reduced_value(call.op, world_size, index))
        }
        // Checked whole by `check` (`all_to_all_buffer`).
        Collective::AllToAll => None,
        // The sender's buffer, or this rank's own where nobody sends to it.
        Collective::SendRecv => Some(initial_value(call.recv_from.unwrap_or(rank), index)),
    }
}

/// `rank`'s whole all-to-all buffer after the exchange (the send half and then the receive
/// half, see [`crate::exchange`]): the send half unchanged, the receive half the senders'
/// blocks in rank order. Built block by block: linear in the buffer.
fn all_to_all_buffer(n: u32, bytes: u64, rank: u32) -> Vec<f32> {
    let elements = (bytes / 4) as usize;
    let mut out: Vec<f32> = (0..elements).map(|i| initial_value(rank, i)).collect();
    for from in 0..n {
        let (offset, len) = crate::exchange::send_block(bytes, from, rank, n);
        let first = (offset / 4) as usize;
        out.extend((first..first + (len / 4) as usize).map(|i| initial_value(from, i)));
    }
    out
}

/// Checks every rank's final buffer for `call`; the first wrong element is the error.
pub(crate) fn check(
    call: CollectiveCall,
    pairs: &Pairs,
    algorithm: &str,
    world_size: u32,
    bytes: u64,
    results: &[Option<Vec<f32>>],
) -> Result<(), CollectiveError> {
    for (rank, data) in results.iter().enumerate() {
        let rank = rank as u32;
        let Some(data) = data else { continue };
        let (send_to, recv_from) = pairs.peers(rank, world_size);
        let call = CollectiveCall {
            send_to,
            recv_from,
            ..call
        };
        let exchanged = (call.collective == Collective::AllToAll)
            .then(|| all_to_all_buffer(world_size, bytes, rank));
        for (i, &got) in data.iter().enumerate() {
            let want = match &exchanged {
                Some(buffer) => buffer.get(i).copied(),
                None => expected(call, world_size, bytes, rank, i),
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
                    rank,
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
            for s in 0..n {
                let (offset, len) = segment(bytes, s, n);
                for i in (offset / 4)..((offset + len) / 4) {
                    assert_eq!(
                        expected(call, n, bytes, 0, i as usize),
                        Some(initial_value(s, i as usize)),
                        "{bytes} bytes, {n} ranks, element {i}"
                    );
                }
            }
        }
    }
}
