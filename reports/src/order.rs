//! The order in which names appear in tables, legends and colours: the domain's usual order
//! first (DESIGN.md), anything else after it alphabetically. Independent of row order.

/// Collectives in their usual order.
const COLLECTIVES: &[&str] = &[
    "all-reduce",
    "reduce-scatter",
    "all-gather",
    "broadcast",
    "reduce",
];
/// Algorithms in their usual order.
pub(crate) const ALGORITHMS: &[&str] = &[
    "ring",
    "mesh",
    "tree",
    "double-binary-tree",
    "halving-doubling",
    "direct",
    "hierarchical",
];
/// Memories from nearest to the PE to farthest.
const MEMORIES: &[&str] = &["tcm", "sram", "hbm"];

/// A sort key: position in `known`, then the name itself.
fn key<'a>(known: &[&str], name: &'a str) -> (usize, &'a str) {
    (
        known.iter().position(|k| *k == name).unwrap_or(known.len()),
        name,
    )
}

/// Sort key of a collective name.
pub(crate) fn collective_key(name: &str) -> (usize, &str) {
    key(COLLECTIVES, name)
}

/// Sort key of an algorithm name.
pub(crate) fn algorithm_key(name: &str) -> (usize, &str) {
    key(ALGORITHMS, name)
}

/// Sort key of a memory name.
pub(crate) fn memory_key(name: &str) -> (usize, &str) {
    key(MEMORIES, name)
}

/// Sort key of a channels value: counts by value (`2` before `16`), then `auto` (as many as
/// the wiring gives, so at least any count) and anything else, by name.
pub(crate) fn channels_key(channels: &str) -> (u32, &str) {
    (channels.parse::<u32>().unwrap_or(u32::MAX), channels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_come_first_in_domain_order_then_others_alphabetically() {
        let mut names = ["zeta", "tree", "ring", "alpha"];
        names.sort_by_key(|name| algorithm_key(name));
        assert_eq!(names, ["ring", "tree", "alpha", "zeta"]);
        assert!(memory_key("tcm") < memory_key("hbm"));
        assert!(collective_key("all-reduce") < collective_key("all-gather"));
    }

    #[test]
    fn channel_counts_sort_by_value_and_auto_after_them() {
        let mut channels = ["auto", "16", "2", "1"];
        channels.sort_by_key(|c| channels_key(c));
        assert_eq!(channels, ["1", "2", "16", "auto"]);
    }
}
