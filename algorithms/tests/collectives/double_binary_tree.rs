//! The double binary tree: timing against its pipelined alpha-beta formula, byte
//! conservation and its refusal of everything but all-reduce.

use kernbench_algorithms::{Algorithm, Collective, DEFAULT_CHUNK, RunConfig};

use crate::support::{self, alpha_beta, assert_within_2_percent, fully_connected, run, try_run};

fn config(collective: Collective, bytes: u64) -> RunConfig {
    support::config(Algorithm::DoubleBinaryTree, collective, bytes)
}

#[test]
fn double_binary_tree_all_reduce_matches_the_formula_of_two_half_trees() {
    // n = 7: both trees complete (D = 2) and, on a fully connected machine, sharing no link;
    // each carries S/2 in K chunks: T = (K - 1 + 2D) t(C) + 2D c(C).
    let topology = fully_connected(7);
    let (t, c) = alpha_beta(&topology);
    let d = 2;
    for bytes in [4u64 << 10, 64 << 20] {
        let half = bytes / 2;
        let k = half.div_ceil(DEFAULT_CHUNK.0);
        let chunk = half / k;
        let formula = (k - 1 + 2 * d) * t(chunk) + 2 * d * c(chunk);
        let report = run(&topology, &config(Collective::AllReduce, bytes));
        assert_within_2_percent(&report, formula, &format!("all-reduce of {bytes} bytes"));
    }
}

#[test]
fn double_binary_tree_is_about_twice_as_fast_as_one_tree_on_a_large_buffer() {
    let topology = fully_connected(7);
    let bytes = 64 << 20;
    let double = run(&topology, &config(Collective::AllReduce, bytes));
    let single = run(&topology, &RunConfig::all_reduce(Algorithm::Tree, bytes));
    let ratio = single.time.as_ps() as f64 / double.time.as_ps() as f64;
    assert!((1.8..2.1).contains(&ratio), "single / double = {ratio}");
}

#[test]
fn double_binary_tree_refuses_broadcast_and_names_the_alternatives() {
    let topology = fully_connected(4);
    let Err(error) = try_run(&topology, &config(Collective::Broadcast, 4096)) else {
        panic!("the double binary tree ran a broadcast");
    };
    assert_eq!(
        error.to_string(),
        "double-binary-tree broadcast does not run on topology fc4: the double binary tree runs \
         all-reduce only; use tree for broadcast and reduce, and ring, halving-doubling or \
         direct for reduce-scatter and all-gather"
    );
}
