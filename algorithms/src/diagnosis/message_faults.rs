//! The checks of a collective's message faults ([`WrongPeer`](crate::WrongPeer),
//! [`WrongSource`](crate::WrongSource), [`WrongTag`](crate::WrongTag),
//! [`SkipsStep`](crate::SkipsStep), and a peer off by one beside them), part of
//! [`check_diagnosis`](crate::check_diagnosis): none may change nothing, two of one rank may
//! not change the same thing, and those that name what a rank does (a step, a peer, a
//! source) are held to a run of the same collective without faults, made for the purpose
//! only when a scenario has one of them.

use std::collections::BTreeSet;
use std::rc::Rc;

use kernbench_model::Topology;

use super::check::at;
use super::{ConfigPart, DiagnoseConfig, Faults};
use crate::error::CollectiveError;

/// The message faults of `config` (a collective on `topology`), checked as the module docs
/// say.
pub(super) fn check_message_faults(
    topology: &Rc<Topology>,
    config: &DiagnoseConfig,
) -> Result<(), CollectiveError> {
    check_alone(config)?;
    let faults = &config.faults;
    if faults.wrong_peers.is_empty()
        && faults.wrong_sources.is_empty()
        && faults.skipped_steps.is_empty()
    {
        return Ok(());
    }
    check_against_a_healthy_run(topology.clone(), config)
}

/// The message faults that change nothing, or that two of a rank change the same thing.
fn check_alone(config: &DiagnoseConfig) -> Result<(), CollectiveError> {
    let faults = &config.faults;
    let overlap = |a: Option<u32>, b: Option<u32>| a.is_none() || b.is_none() || a == b;
    for (i, w) in faults.wrong_peers.iter().enumerate() {
        let part = at(ConfigPart::WrongPeer(i));
        if w.instead_of == Some(w.sends_to) {
            return Err(part(CollectiveError::NoEffect {
                fault: format!("a wrong peer of rank {}", w.rank),
                why: format!(
                    "its messages for rank {} go to rank {}",
                    w.sends_to, w.sends_to
                ),
            }));
        }
        let conflict = faults.peer_off_by_one.contains(&w.rank)
            || faults.wrong_peers[..i]
                .iter()
                .any(|o| o.rank == w.rank && overlap(o.instead_of, w.instead_of));
        if conflict {
            return Err(part(CollectiveError::FaultConflict {
                rank: w.rank,
                what: "where its messages go",
            }));
        }
    }
    for (i, w) in faults.wrong_sources.iter().enumerate() {
        let part = at(ConfigPart::WrongSource(i));
        if w.instead_of == Some(w.receives_from) {
            return Err(part(CollectiveError::NoEffect {
                fault: format!("a wrong source of rank {}", w.rank),
                why: format!(
                    "its receives from rank {} wait for rank {}",
                    w.receives_from, w.receives_from
                ),
            }));
        }
        let conflict = faults.wrong_sources[..i]
            .iter()
            .any(|o| o.rank == w.rank && overlap(o.instead_of, w.instead_of));
        if conflict {
            return Err(part(CollectiveError::FaultConflict {
                rank: w.rank,
                what: "whom its receives wait for",
            }));
        }
    }
    for (i, w) in faults.wrong_tags.iter().enumerate() {
        let part = at(ConfigPart::WrongTag(i));
        if w.off_by == 0 {
            return Err(part(CollectiveError::NoEffect {
                fault: format!("a wrong tag of rank {}", w.rank),
                why: "a tag off by 0 is the right tag".to_string(),
            }));
        }
        if faults.wrong_tags[..i].iter().any(|o| o.rank == w.rank) {
            return Err(part(CollectiveError::FaultConflict {
                rank: w.rank,
                what: "the tags of its messages",
            }));
        }
    }
    for (i, skip) in faults.skipped_steps.iter().enumerate() {
        if faults.skipped_steps[..i].contains(skip) {
            return Err(at(ConfigPart::SkipsStep(i))(
                CollectiveError::FaultConflict {
                    rank: skip.rank,
                    what: "whether its step is sent (the same step, twice)",
                },
            ));
        }
    }
    Ok(())
}

/// The faults that name what a rank does, against what each rank does in a run of the same
/// collective without faults: the step a rank skips is one it takes, the peer it sends
/// elsewhere one it sends to, the source it mistakes one it receives from, and a wrong peer
/// or source without `instead_of` changes at least one of its messages or receives.
fn check_against_a_healthy_run(
    topology: Rc<Topology>,
    config: &DiagnoseConfig,
) -> Result<(), CollectiveError> {
    let healthy = DiagnoseConfig {
        faults: Faults {
            size_overrides: config.faults.size_overrides.clone(),
            memory_overrides: config.faults.memory_overrides.clone(),
            ..Faults::default()
        },
        ..config.clone()
    };
    let program = format!("{} on {}", config.program.name(), topology.name());
    let activity = super::run_once(topology, &healthy, true)?
        .activity
        .unwrap_or_default();
    let of = |rank: u32| activity.get(rank as usize).cloned().unwrap_or_default();
    let ranks = |set: &BTreeSet<u32>| {
        let names: Vec<String> = set.iter().map(|r| format!("rank {r}")).collect();
        match names.split_last() {
            None => "none".to_string(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    };
    let faults = &config.faults;
    for (i, w) in faults.wrong_peers.iter().enumerate() {
        let peers = of(w.rank).peers;
        let part = at(ConfigPart::WrongPeer(i));
        match w.instead_of {
            Some(named) if !peers.contains(&named) => {
                return Err(part(CollectiveError::NotAPeer {
                    rank: w.rank,
                    named,
                    verb: "sends to",
                    program: program.clone(),
                    fix: match peers.is_empty() {
                        true => "it sends to no rank; remove the fault".to_string(),
                        false => format!("it sends to {}: name one of those", ranks(&peers)),
                    },
                }));
            }
            None if peers.iter().all(|&p| p == w.sends_to) => {
                return Err(part(CollectiveError::NoEffect {
                    fault: format!("a wrong peer of rank {}", w.rank),
                    why: format!(
                        "rank {} sends only to {} in {program}",
                        w.rank,
                        ranks(&peers)
                    ),
                }));
            }
            _ => {}
        }
    }
    for (i, w) in faults.wrong_sources.iter().enumerate() {
        let sources = of(w.rank).sources;
        let part = at(ConfigPart::WrongSource(i));
        match w.instead_of {
            Some(named) if !sources.contains(&named) => {
                return Err(part(CollectiveError::NotAPeer {
                    rank: w.rank,
                    named,
                    verb: "receives from",
                    program: program.clone(),
                    fix: match sources.is_empty() {
                        true => "it receives from no rank; remove the fault".to_string(),
                        false => format!("it receives from {}: name one of those", ranks(&sources)),
                    },
                }));
            }
            None if sources.iter().all(|&p| p == w.receives_from) => {
                return Err(part(CollectiveError::NoEffect {
                    fault: format!("a wrong source of rank {}", w.rank),
                    why: format!(
                        "rank {} receives only from {} in {program}",
                        w.rank,
                        ranks(&sources)
                    ),
                }));
            }
            _ => {}
        }
    }
    for (i, skip) in faults.skipped_steps.iter().enumerate() {
        let sends = of(skip.rank).sends;
        if skip.step >= sends {
            return Err(at(ConfigPart::SkipsStep(i))(CollectiveError::NoSuchStep {
                rank: skip.rank,
                step: skip.step,
                sends,
                program: program.clone(),
                fix: match sends {
                    0 => "it sends nothing to skip; remove the fault".to_string(),
                    n => format!("use a step below {n}"),
                },
            }));
        }
    }
    Ok(())
}
