//! # Pairwise (all-to-all)
//!
//! ## Schedule
//! `n - 1` rounds, one partner per round. With `n` a power of two, round `k` exchanges with
//! rank `r xor k` (both send to each other); otherwise rank `r` sends to `r + k` and receives
//! from `r - k` (mod `n`). A rank finishes a round (its block sent and its partner's received)
//! before it starts the next, so each round's `n` flows go at once and no more. The block for
//! itself is copied in place at no cost. Blocks as in [`crate::exchange`].
//!
//! ## Cost
//! With `t(m)` the time to move `m` bytes between the round's partners (alone on their route):
//!
//! ```text
//! all-to-all  T = sum over rounds k of t_k(S/n)    (= (n-1) t(S/n) where pairs are alike)
//! ```
//!
//! On a fully connected machine every round is one hop per pair on links of its own, so the
//! formula holds exactly (up to the latency of starting a round); on a ring or torus a round's
//! `n` flows of distance `k` share links (each link carries `min(k, n - k)` of them in the
//! direction of its route) and the rounds take longer than `t(S/n)` by that factor. Against
//! [`direct`](crate::direct), which starts all `n (n - 1)` flows at once, pairwise pays
//! `n - 1` latencies but keeps the flows of a round from piling up on the same links.
//!
//! ## Topologies
//! Any: the rounds are logical. All-to-all and all-to-allv only.

use kernbench_model::Topology;

use crate::comm::Comm;
use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::names::Collective;

/// The pairwise all-to-all, a built-in: its module docs give its schedule, cost and
/// topologies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Pairwise;

crate::schedule::builtin_schedule!(Pairwise, "pairwise");

/// Whether pairwise runs `collective`: all-to-all only.
pub(crate) fn supports(collective: Collective, _topology: &Topology) -> Result<(), String> {
    match collective {
        Collective::AllToAll | Collective::AllToAllv => Ok(()),
        other => Err(format!(
            "pairwise runs all-to-all and all-to-allv only, not {other}; use direct, or another algorithm that runs {other}"
        )),
    }
}

/// The partners of rank `r` in round `k` of `n`: `(sends to, receives from)`.
pub(crate) fn partners(r: u32, k: u32, n: u32) -> (u32, u32) {
    if n.is_power_of_two() {
        (r ^ k, r ^ k)
    } else {
        ((r + k) % n, (r + n - k) % n)
    }
}

/// Runs `call` (an all-to-all) round by round.
pub(crate) async fn run(_call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    let (n, me, blocks) = (comm.world_size(), comm.rank(), comm.blocks());
    let (o, l) = blocks.send_block(me, me);
    comm.copy_local(o, l, blocks.recv_block(me, me).0);
    for k in 1..n {
        let (to, from) = partners(me, k, n);
        let (o, l) = blocks.send_block(me, to);
        let (at, _) = blocks.recv_block(me, to);
        let send = comm.spawn_send_to(to, k, o, l, at);
        comm.recv_store(from, k).await;
        send.await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::partners;

    #[test]
    fn every_rank_meets_every_other_once_and_each_round_is_a_permutation() {
        for n in [2u32, 3, 4, 5, 8, 12, 16] {
            for r in 0..n {
                let mut sent: Vec<u32> = (1..n).map(|k| partners(r, k, n).0).collect();
                sent.sort_unstable();
                assert_eq!(
                    sent,
                    (0..n).filter(|&q| q != r).collect::<Vec<_>>(),
                    "n={n}"
                );
            }
            for k in 1..n {
                // What r sends in round k, its partner receives from r in round k.
                for r in 0..n {
                    let (to, _) = partners(r, k, n);
                    assert_eq!(partners(to, k, n).1, r, "n={n} k={k} r={r}");
                }
            }
        }
    }
}
