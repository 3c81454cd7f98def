//! The binary tree: timing against its pipelined alpha-beta formula, byte conservation and
//! its refusal of reduce-scatter.

use kernbench_algorithms::{Algorithm, Collective, DEFAULT_CHUNK, RunConfig};

use crate::support::{self, alpha_beta, assert_within_2_percent, fully_connected, run, try_run};

fn config(collective: Collective, bytes: u64) -> RunConfig {
    support::config(Algorithm::Tree, collective, bytes)
}

#[test]
fn tree_times_match_the_pipelined_formula_on_a_complete_tree() {
    // n = 7 is a complete tree of depth D = 2, every edge with its own links.
    let topology = fully_connected(7);
    let (t, c) = alpha_beta(&topology);
    let d = 2;
    for bytes in [4u64 << 10, 64 << 20] {
        let k = bytes.div_ceil(DEFAULT_CHUNK.0);
        let chunk = bytes / k;
        let all_reduce = (k - 1 + 2 * d) * t(chunk) + 2 * d * c(chunk);
        let reduce = (k - 1 + d) * t(chunk) + 2 * d * c(chunk);
        let broadcast = (k - 1 + d) * t(chunk);
        for (collective, formula) in [
            (Collective::AllReduce, all_reduce),
            (Collective::Reduce, reduce),
            (Collective::Broadcast, broadcast),
        ] {
            let report = run(&topology, &config(collective, bytes));
            assert_within_2_percent(&report, formula, &format!("{collective} of {bytes} bytes"));
        }
    }
}

#[test]
fn tree_refuses_reduce_scatter_and_names_the_alternatives() {
    let topology = fully_connected(4);
    let Err(error) = try_run(&topology, &config(Collective::ReduceScatter, 4096)) else {
        panic!("the tree ran a reduce-scatter");
    };
    assert_eq!(
        error.to_string(),
        "tree reduce-scatter does not run on topology fc4: the tree runs all-reduce, broadcast \
         and reduce; it would funnel every segment through the root, so use ring, \
         halving-doubling or direct for reduce-scatter and all-gather"
    );
}
