//! Which rank or PE a process belongs to, and lists of them written short: `ranks 7..0`,
//! `PEs c0.s0.p3..p0`.
//!
//! A process belongs to the party its name starts with. That is a convention every process
//! of a diagnosis keeps: the launcher names a rank's process `rank3`, and everything a rank
//! spawns starts with its own name (`rank3 all-reduce#0 ring`, `rank3 send all-reduce#0 ->
//! rank4`, `rank3 ring channel part 1`, `rank3 tree down`); a PE program's processes are
//! `c0.s0.p1:pe-ring`, and a background receive `recv c0.s0.p1 <- c0.s0.p0`.

use kernbench_engine::ProcessRef;
use kernbench_model::{Party, PeId};

/// The rank or PE the process named `name` belongs to (see the module docs), if any.
pub(crate) fn party_of(name: &str) -> Option<Party> {
    if let Some(rest) = name.strip_prefix("rank") {
        let digits = rest.split(' ').next().unwrap_or("");
        return digits.parse().ok().map(Party::Rank);
    }
    let pe = match name.strip_prefix("recv ") {
        Some(rest) => rest.split(' ').next().unwrap_or(""),
        None => name.split(':').next().unwrap_or(""),
    };
    pe.parse::<PeId>().ok().map(Party::Pe)
}

/// The parties a wait-for cycle passes through, in its order: each process's party, with
/// consecutive processes of one party (a rank waiting on its own collective) counted once.
/// `None` unless every process has a party and no party comes back after another.
pub(crate) fn cycle_parties(cycle: &[ProcessRef]) -> Option<Vec<Party>> {
    let mut parties: Vec<Party> = Vec::new();
    for process in cycle {
        let party = party_of(process.name.as_deref()?)?;
        if parties.last() != Some(&party) {
            parties.push(party);
        }
    }
    // The cycle closes: its last process may belong to the first one's party.
    if parties.len() > 1 && parties.first() == parties.last() {
        parties.pop();
    }
    let mut sorted = parties.clone();
    sorted.sort();
    sorted.dedup();
    (sorted.len() == parties.len()).then_some(parties)
}

/// A list of parties, short: runs of consecutive ranks (or PEs of one SIP) in either
/// direction become `a..b`, so `[7, 6, 5, 4]` is `ranks 7..4` and PEs 3 to 0 of `c0.s0` are
/// `PEs c0.s0.p3..p0`. Two parties are `rank0 and rank1`; other mixes are their names.
pub(crate) fn list(parties: &[Party]) -> String {
    let ranks: Option<Vec<u32>> = parties
        .iter()
        .map(|p| match p {
            Party::Rank(r) => Some(*r),
            Party::Pe(_) => None,
        })
        .collect();
    let pes: Option<Vec<PeId>> = parties
        .iter()
        .map(|p| match p {
            Party::Pe(pe) => Some(*pe),
            Party::Rank(_) => None,
        })
        .collect();
    if parties.len() > 2 {
        if let Some(ranks) = ranks {
            return format!("ranks {}", runs(&ranks, &|r| r.to_string()));
        }
        if let Some(pes) = pes {
            let sip = pes[0].sip_id();
            if pes.iter().all(|p| p.sip_id() == sip) {
                let index: Vec<u32> = pes.iter().map(|p| p.pe).collect();
                let first = pes[0];
                // The first PE in full, the others by index: `c0.s0.p3..p0, p5`.
                let text = runs(&index, &|i| {
                    if i == first.pe {
                        first.to_string()
                    } else {
                        format!("p{i}")
                    }
                });
                return format!("PEs {text}");
            }
        }
    }
    names(parties)
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn names(parties: &[Party]) -> String {
    let names: Vec<String> = parties.iter().map(Party::to_string).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Numbers in runs of neighbours (`3..0`, `5, 6`, `9`), joined by commas.
fn runs(values: &[u32], show: &dyn Fn(u32) -> String) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i + 1;
        let step = values
            .get(j)
            .map(|&v| v as i64 - values[i] as i64)
            .filter(|d| d.abs() == 1);
        if let Some(step) = step {
            while j < values.len() && values[j] as i64 - values[j - 1] as i64 == step {
                j += 1;
            }
        }
        let run = &values[i..j];
        out.push(match run {
            [one] => show(*one),
            [a, b] => format!("{}, {}", show(*a), show(*b)),
            _ => format!("{}..{}", show(run[0]), short(run[run.len() - 1], show)),
        });
        i = j;
    }
    out.join(", ")
}

/// The end of a run as `show` writes it, without a PE's SIP prefix (`c0.s0.p3..p0`).
fn short(value: u32, show: &dyn Fn(u32) -> String) -> String {
    let text = show(value);
    match text.rsplit_once('.') {
        Some((_, tail)) => tail.to_string(),
        None => text,
    }
}

/// A cycle of parties rotated so that it reads in as few runs as it can: the ring
/// `0, 7, 6, ..., 1` starts at 7 and reads `7..0`.
pub(crate) fn rotate_for_runs(parties: &[Party]) -> Vec<Party> {
    let count = |p: &[Party]| list(p).matches(',').count();
    let mut best = parties.to_vec();
    let mut best_count = count(&best);
    for start in 1..parties.len() {
        let mut rotated = parties[start..].to_vec();
        rotated.extend_from_slice(&parties[..start]);
        let c = count(&rotated);
        if c < best_count {
            (best, best_count) = (rotated, c);
        }
    }
    best
}

/// A wait-for cycle written short, when its processes map to parties one after another:
/// `ranks 7..0, each waiting on the next: 8-cycle (16 processes)`; `None` otherwise.
pub(crate) fn cycle_summary(cycle: &[ProcessRef]) -> Option<String> {
    let parties = rotate_for_runs(&cycle_parties(cycle)?);
    let processes = if parties.len() == cycle.len() {
        String::new()
    } else {
        format!(" ({} processes)", cycle.len())
    };
    Some(format!(
        "{}, each waiting on the next: {}-cycle{processes}",
        list(&parties),
        parties.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernbench_engine::Simulation;

    fn pe(p: u32) -> Party {
        Party::Pe(PeId {
            cube: 0,
            sip: 0,
            pe: p,
        })
    }

    #[test]
    fn every_process_name_of_a_diagnosis_has_its_party() {
        for (name, party) in [
            ("rank3", Party::Rank(3)),
            ("rank3 all-reduce#0 ring", Party::Rank(3)),
            ("rank12 send all-reduce#0 -> rank4", Party::Rank(12)),
            ("rank0 ring channel part 1", Party::Rank(0)),
            ("c0.s0.p1:pe-ring", pe(1)),
            ("recv c0.s0.p2 <- c0.s0.p1", pe(2)),
        ] {
            assert_eq!(party_of(name), Some(party), "{name}");
        }
        assert_eq!(party_of("ranking"), None);
        assert_eq!(party_of("link server"), None);
    }

    #[test]
    fn runs_read_both_ways_and_rings_rotate_into_one_run() {
        let ranks = |r: &[u32]| r.iter().map(|&r| Party::Rank(r)).collect::<Vec<_>>();
        assert_eq!(list(&ranks(&[0, 1, 2, 3])), "ranks 0..3");
        assert_eq!(list(&ranks(&[7, 6, 5, 1, 3])), "ranks 7..5, 1, 3");
        assert_eq!(list(&ranks(&[2, 3, 9])), "ranks 2, 3, 9");
        assert_eq!(list(&ranks(&[4, 2])), "rank4 and rank2");
        let ring = ranks(&[0, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(list(&rotate_for_runs(&ring)), "ranks 7..0");
        assert_eq!(
            list(&rotate_for_runs(&[pe(0), pe(3), pe(2), pe(1)])),
            "PEs c0.s0.p3..p0"
        );
    }

    #[test]
    fn a_cycle_through_each_rank_and_its_collective_counts_each_rank_once() {
        let simulation = Simulation::new();
        let mut named = |name: &str| ProcessRef {
            id: simulation.spawn(name.to_string(), async {}).id(),
            name: Some(name.to_string()),
        };
        let mut cycle = Vec::new();
        for r in [0, 3, 2, 1] {
            cycle.push(named(&format!("rank{r}")));
            cycle.push(named(&format!("rank{r} all-reduce#0 ring")));
        }
        assert_eq!(
            cycle_summary(&cycle).as_deref(),
            Some("ranks 3..0, each waiting on the next: 4-cycle (8 processes)")
        );
        // A party that comes back is not a simple ring of parties.
        let back = ["rank0", "rank1", "rank0 x", "rank2"].map(&mut named);
        assert_eq!(cycle_summary(&back), None);
    }
}
