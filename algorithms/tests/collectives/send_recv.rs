//! Send-recv: forward, backward and given pairs, against `t(S)`, byte conservation, verified
//! data (ranks outside the pairs keep their own), and bad pairs refused.

use kernbench_algorithms::{Algorithm, Collective, CollectiveError, Pairs, RunConfig};

use crate::support::{
    self, alpha_beta, assert_within_2_percent, ring, run, sip_link_bytes, try_run,
};

fn config(bytes: u64, pairs: Pairs) -> RunConfig {
    RunConfig {
        pairs,
        verify: true,
        ..support::config(Algorithm::Direct, Collective::SendRecv, bytes)
    }
}

#[test]
fn neighbours_on_a_ring_take_one_transfer_time_each_way() {
    // Forward and backward on a bidirectional ring: every pair is one hop on a link of its
    // own, so the whole send-recv takes one transfer of the buffer.
    let topology = ring(8);
    let (t, _) = alpha_beta(&topology);
    for pairs in [Pairs::Forward, Pairs::Backward] {
        for bytes in [4096u64, 64 << 20] {
            let report = run(&topology, &config(bytes, pairs.clone()));
            assert_eq!(report.verified, Some(true));
            assert_within_2_percent(&report, t(bytes), &format!("{pairs} {bytes} B"));
            assert_eq!(sip_link_bytes(&topology, &report), 8 * bytes, "{pairs}");
            // algbw = busbw = bytes / time.
            assert_eq!(report.algbw_gbps, report.busbw_gbps);
        }
    }
}

#[test]
fn given_pairs_move_only_their_buffers_and_other_ranks_keep_theirs() {
    let topology = ring(8);
    let bytes = 4 * 1001;
    let pairs = Pairs::parse("0:2,5:4").unwrap_or_else(|e| panic!("{e}"));
    let report = run(&topology, &config(bytes, pairs));
    assert_eq!(report.verified, Some(true));
    // 0 -> 2 crosses two links, 5 -> 4 one.
    assert_eq!(sip_link_bytes(&topology, &report), 3 * bytes);
}

#[test]
fn pairs_outside_the_world_or_twice_are_refused() {
    let topology = ring(4);
    for (text, reason) in [
        (
            "0:4",
            "pair 0:4 names a rank outside 0..4; use ranks of the topology",
        ),
        (
            "1:2,3:2",
            "rank 2 receives twice; each rank receives one buffer at most",
        ),
    ] {
        let pairs = Pairs::parse(text).unwrap_or_else(|e| panic!("{e}"));
        match try_run(&topology, &config(64, pairs)) {
            Err(e @ CollectiveError::BadPairs { .. }) => {
                assert_eq!(
                    e.to_string(),
                    format!("send-recv pairs: {reason}"),
                    "{text}"
                );
            }
            other => panic!("{text}: expected bad pairs, got {other:?}"),
        }
    }
}
