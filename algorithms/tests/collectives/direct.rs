//! Direct (one shot): timing of all five collectives against their alpha-beta formulas, byte
//! conservation, and that it accepts every collective on any topology.

use kernbench_algorithms::{Algorithm, Collective, RunConfig};

use crate::support::{
    self, alpha_beta, assert_within_2_percent, fully_connected, run, sip_link_bytes, try_run,
};

fn config(collective: Collective, bytes: u64) -> RunConfig {
    support::config(Algorithm::Direct, collective, bytes)
}

#[test]
fn direct_collectives_match_their_one_shot_formulas() {
    let n = 8u64;
    let topology = fully_connected(n as u32);
    let (t, c) = alpha_beta(&topology);
    for bytes in [4u64 << 10, 64 << 20] {
        let seg = bytes / n;
        for (collective, formula) in [
            (Collective::AllReduce, 2 * t(seg) + (n - 1) * c(seg)),
            (Collective::ReduceScatter, t(seg) + (n - 1) * c(seg)),
            (Collective::AllGather, t(seg)),
            (Collective::Broadcast, t(bytes)),
            (Collective::Reduce, t(bytes) + (n - 1) * c(bytes)),
        ] {
            let report = run(&topology, &config(collective, bytes));
            assert_within_2_percent(&report, formula, &format!("{collective} of {bytes} bytes"));
        }
    }
}

#[test]
fn direct_broadcast_and_reduce_move_the_buffer_once_per_non_root() {
    let (n, bytes) = (6u32, 4 * 1001);
    let topology = fully_connected(n);
    for collective in [Collective::Broadcast, Collective::Reduce] {
        let report = run(
            &topology,
            &RunConfig {
                root: 4,
                ..config(collective, bytes)
            },
        );
        assert_eq!(
            sip_link_bytes(&topology, &report),
            (n as u64 - 1) * bytes,
            "{collective}"
        );
    }
}

#[test]
fn direct_runs_every_collective_even_where_links_are_shared() {
    // Nothing to refuse: on a ring its flows share links and only take longer.
    let topology = crate::support::ring(5);
    for collective in Collective::ALL {
        let config = RunConfig {
            verify: true,
            root: 3,
            ..config(collective, 4 * 1001)
        };
        assert!(
            try_run(&topology, &config).is_ok_and(|r| r.verified == Some(true)),
            "{collective}"
        );
    }
}
