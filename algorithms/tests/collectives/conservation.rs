//! Byte conservation: what an all-reduce must move over the network, and no more.

use kernbench_algorithms::{Algorithm, Collective};

use crate::support::{config, fully_connected, run, sip_link_bytes};

#[test]
fn every_flat_all_reduce_moves_2_n_minus_1_buffers_over_sip_links() {
    // n ranks each send 2(n-1)/n of the buffer: ring (every segment crosses 2(n-1) links),
    // tree and double tree (each edge carries S up and S down, n - 1 edges), halving-doubling
    // ((p-1) S each way plus q S to fold and unfold), direct (S - seg(r) out, then (n-1) seg(r)).
    // Ragged sizes, fewer elements than ranks, and a fold (6, 12 ranks) included.
    let cases = [
        (4, 4 * 1000),
        (5, 4 * 1001),
        (5, 3 << 20),
        (6, 4 * 4099),
        (8, 3 << 20),
        (8, 32),
        (12, 12),
        (16, 4 * 4099),
    ];
    for algorithm in [
        Algorithm::Ring,
        Algorithm::Tree,
        Algorithm::DoubleBinaryTree,
        Algorithm::HalvingDoubling,
        Algorithm::Direct,
    ] {
        for (n, bytes) in cases {
            let topology = fully_connected(n);
            let report = run(&topology, &config(algorithm, Collective::AllReduce, bytes));
            assert_eq!(
                sip_link_bytes(&topology, &report),
                2 * (n as u64 - 1) * bytes,
                "{algorithm}, n = {n}, {bytes} bytes"
            );
        }
    }
}
