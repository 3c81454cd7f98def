//! Recursive halving-doubling: timing against its alpha-beta formula with and without the
//! fold, byte conservation and its refusal of reduce.

use kernbench_algorithms::{Algorithm, Collective, RunConfig};

use crate::support::{self, alpha_beta, assert_within_2_percent, fully_connected, run, try_run};

fn config(collective: Collective, bytes: u64) -> RunConfig {
    support::config(Algorithm::HalvingDoubling, collective, bytes)
}

#[test]
fn halving_doubling_all_reduce_matches_its_formula_with_and_without_a_fold() {
    // p = 8 (no fold) and n = 6 (p = 4, two folded pairs); sizes divide evenly.
    for n in [8u64, 6] {
        let topology = fully_connected(n as u32);
        let (t, c) = alpha_beta(&topology);
        let p = if n == 8 { 8 } else { 4 };
        for bytes in [4u64 << 10, 64 << 20] {
            let steps = (1..).map(|k| bytes >> k).take_while(|&m| m >= bytes / p);
            let halving: u64 = steps.clone().map(|m| t(m) + c(m)).sum();
            let doubling: u64 = steps.map(&t).sum();
            let fold = if n == p {
                0
            } else {
                t(bytes) + c(bytes) + t(bytes)
            };
            let formula = fold + halving + doubling;
            let report = run(&topology, &config(Collective::AllReduce, bytes));
            assert_within_2_percent(&report, formula, &format!("n = {n}, {bytes} bytes"));
        }
    }
}

#[test]
fn halving_doubling_reduce_scatter_and_all_gather_match_their_formulas() {
    let n = 8u64;
    let topology = fully_connected(n as u32);
    let (t, c) = alpha_beta(&topology);
    for bytes in [4u64 << 10, 64 << 20] {
        let steps = (1..).map(|k| bytes >> k).take_while(|&m| m >= bytes / n);
        let rs: u64 = steps.clone().map(|m| t(m) + c(m)).sum();
        let ag: u64 = steps.map(&t).sum();
        let report = run(&topology, &config(Collective::ReduceScatter, bytes));
        assert_within_2_percent(&report, rs, &format!("reduce-scatter of {bytes} bytes"));
        let report = run(&topology, &config(Collective::AllGather, bytes));
        assert_within_2_percent(&report, ag, &format!("all-gather of {bytes} bytes"));
    }
}

#[test]
fn halving_doubling_refuses_reduce_and_names_the_alternatives() {
    let topology = fully_connected(4);
    let Err(error) = try_run(&topology, &config(Collective::Reduce, 4096)) else {
        panic!("halving-doubling ran a reduce");
    };
    assert_eq!(
        error.to_string(),
        "halving-doubling reduce does not run on topology fc4: halving-doubling runs \
         all-reduce, reduce-scatter and all-gather; use tree or direct for broadcast and reduce"
    );
}
