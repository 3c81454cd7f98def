//! The order in which names appear in tables, legends and colours: the domain's usual order
//! first (DESIGN.md), anything else after it alphabetically. Independent of row order.

use std::cmp::Ordering;

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
/// Link classes (the model's `LinkClass` names), from inside a SIP outwards: their position
/// here fixes their colour in every link figure.
pub(crate) const LINK_CLASSES: &[&str] = &[
    "noc",
    "port",
    "tcm",
    "sram",
    "hbm",
    "sip-link",
    "sip-switch",
    "cube-link",
    "cube-switch",
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

/// Sort key of a network model: `packet` (exact) before `flow`, anything else after both,
/// by name.
pub(crate) fn model_key(model: &str) -> (usize, &str) {
    let rank = ["packet", "flow"]
        .iter()
        .position(|m| *m == model)
        .unwrap_or(usize::MAX);
    (rank, model)
}

/// Compares names as a person reads them: runs of digits by their value, everything else
/// character by character, so `c0.s2` sorts before `c0.s10` and `c1.s0` after both. Names
/// that differ only in leading zeros (`s01`, `s1`) fall back to plain string order, so the
/// order is total and the same on every machine.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let (m, rest_x) = split_digits(x);
                let (n, rest_y) = split_digits(y);
                // Without leading zeros, a longer run is a larger number.
                let (m, n) = (trim_zeros(m), trim_zeros(n));
                let by_value = m.len().cmp(&n.len()).then_with(|| m.cmp(n));
                if by_value != Ordering::Equal {
                    return by_value;
                }
                (x, y) = (rest_x, rest_y);
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                (x, y) = (&x[1..], &y[1..]);
            }
        }
    }
}

/// The leading run of ASCII digits of `s`, and the rest.
fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

/// `digits` without leading zeros (`"007"` -> `"7"`, `"0"` -> `""`).
fn trim_zeros(digits: &[u8]) -> &[u8] {
    let start = digits
        .iter()
        .position(|c| *c != b'0')
        .unwrap_or(digits.len());
    &digits[start..]
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

    #[test]
    fn link_names_sort_by_the_numbers_in_them() {
        let mut links = [
            "c0.s10.hub->c0.s11.hub",
            "c1.s0.hub->c0.s0.hub",
            "c0.s2.hub->c0.s3.hub",
            "c0.s1.hub->c0.s2.hub",
            "c0.s1.hub->c0.s10.hub",
            "c0.s11.hub->c0.s1.hub",
        ];
        links.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            links,
            [
                "c0.s1.hub->c0.s2.hub",
                "c0.s1.hub->c0.s10.hub",
                "c0.s2.hub->c0.s3.hub",
                "c0.s10.hub->c0.s11.hub",
                "c0.s11.hub->c0.s1.hub",
                "c1.s0.hub->c0.s0.hub",
            ]
        );
    }

    #[test]
    fn natural_order_is_total_over_leading_zeros_and_prefixes() {
        assert_eq!(natural_cmp("s01", "s1"), "s01".cmp("s1"));
        assert_ne!(natural_cmp("s01", "s1"), Ordering::Equal);
        assert_eq!(natural_cmp("s1", "s1"), Ordering::Equal);
        assert_eq!(natural_cmp("s1", "s1.p0"), Ordering::Less);
        assert_eq!(natural_cmp("s9", "s10"), Ordering::Less);
        assert_eq!(natural_cmp("a", "b9"), Ordering::Less);
    }
}
