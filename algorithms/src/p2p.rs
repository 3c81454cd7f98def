//! Point-to-point: who sends to whom in a `send-recv`.
//!
//! Every rank of a send-recv sends its whole buffer to at most one peer and receives at most
//! one peer's buffer into its own (in place: the values sent are read when the send starts).
//! [`Pairs::Forward`] is nccl-tests' sendrecv, rank `r` to `r + 1` (the last to rank 0), as
//! pipeline stages pass activations on; [`Pairs::Backward`] the reverse, as gradients flow
//! back; [`Pairs::Given`] only the pairs listed.

use std::fmt;
use std::rc::Rc;

/// The pairs of a send-recv.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Pairs {
    /// Rank `r` sends to `(r + 1) mod n`.
    #[default]
    Forward,
    /// Rank `r` sends to `(r - 1) mod n`.
    Backward,
    /// `(from, to)`: each rank sends at most once and receives at most once.
    Given(Rc<[(u32, u32)]>),
}

impl Pairs {
    /// Parses `from:to` pairs separated by commas, e.g. `0:5,3:1`.
    ///
    /// # Errors
    /// A pair that is not two ranks separated by a colon, with the fix.
    pub fn parse(text: &str) -> Result<Pairs, String> {
        let pairs: Result<Vec<(u32, u32)>, String> = text
            .split(',')
            .map(|pair| {
                let pair = pair.trim();
                pair.split_once(':')
                    .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                    .ok_or_else(|| {
                        format!(
                            "\"{pair}\" is not a pair; write from:to ranks separated by commas, e.g. 0:5,3:1"
                        )
                    })
            })
            .collect();
        Ok(Pairs::Given(pairs?.into()))
    }

    /// Checks the pairs against `n` ranks: ranks in range, no rank sending to itself, none
    /// sending or receiving twice.
    ///
    /// # Errors
    /// The first pair that breaks a rule, with the fix.
    pub fn check(&self, n: u32) -> Result<(), String> {
        let Pairs::Given(pairs) = self else {
            return Ok(());
        };
        if pairs.is_empty() {
            return Err("no pairs given; write from:to ranks, e.g. 0:1".to_string());
        }
        let mut sends = vec![false; n as usize];
        let mut recvs = vec![false; n as usize];
        for &(from, to) in pairs.iter() {
            if from >= n || to >= n {
                return Err(format!(
                    "pair {from}:{to} names a rank outside 0..{n}; use ranks of the topology"
                ));
            }
            if from == to {
                return Err(format!(
                    "pair {from}:{to} sends a rank's buffer to itself; pair different ranks"
                ));
            }
            if std::mem::replace(&mut sends[from as usize], true) {
                return Err(format!(
                    "rank {from} sends twice; each rank sends its buffer to one peer at most"
                ));
            }
            if std::mem::replace(&mut recvs[to as usize], true) {
                return Err(format!(
                    "rank {to} receives twice; each rank receives one buffer at most"
                ));
            }
        }
        Ok(())
    }

    /// `(sends to, receives from)` of `rank` among `n` ranks (none on a single rank).
    pub fn peers(&self, rank: u32, n: u32) -> (Option<u32>, Option<u32>) {
        if n < 2 {
            return (None, None);
        }
        match self {
            Pairs::Forward => (Some((rank + 1) % n), Some((rank + n - 1) % n)),
            Pairs::Backward => (Some((rank + n - 1) % n), Some((rank + 1) % n)),
            Pairs::Given(pairs) => (
                pairs.iter().find(|p| p.0 == rank).map(|p| p.1),
                pairs.iter().find(|p| p.1 == rank).map(|p| p.0),
            ),
        }
    }

    /// How many buffers move: `n` forward or backward, else the pairs listed.
    pub fn count(&self, n: u32) -> u64 {
        match self {
            _ if n < 2 => 0,
            Pairs::Forward | Pairs::Backward => n as u64,
            Pairs::Given(pairs) => pairs.len() as u64,
        }
    }
}

impl fmt::Display for Pairs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pairs::Forward => f.write_str("forward"),
            Pairs::Backward => f.write_str("backward"),
            Pairs::Given(pairs) => {
                let text: Vec<String> = pairs.iter().map(|(a, b)| format!("{a}:{b}")).collect();
                f.write_str(&text.join(","))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_parse_check_and_give_each_rank_its_peers() {
        let pairs = Pairs::parse("0:5, 3:1").unwrap();
        assert_eq!(pairs.check(8), Ok(()));
        assert_eq!(pairs.peers(0, 8), (Some(5), None));
        assert_eq!(pairs.peers(1, 8), (None, Some(3)));
        assert_eq!(pairs.peers(2, 8), (None, None));
        assert_eq!(pairs.to_string(), "0:5,3:1");
        assert_eq!(Pairs::Forward.peers(7, 8), (Some(0), Some(6)));
        assert_eq!(Pairs::Backward.peers(0, 8), (Some(7), Some(1)));
    }

    #[test]
    fn bad_pairs_are_refused_with_the_fix() {
        assert_eq!(
            Pairs::parse("0-1").unwrap_err(),
            "\"0-1\" is not a pair; write from:to ranks separated by commas, e.g. 0:5,3:1"
        );
        for (text, message) in [
            (
                "0:8",
                "pair 0:8 names a rank outside 0..8; use ranks of the topology",
            ),
            (
                "2:2",
                "pair 2:2 sends a rank's buffer to itself; pair different ranks",
            ),
            (
                "0:1,0:2",
                "rank 0 sends twice; each rank sends its buffer to one peer at most",
            ),
            (
                "0:1,2:1",
                "rank 1 receives twice; each rank receives one buffer at most",
            ),
        ] {
            assert_eq!(
                Pairs::parse(text).unwrap().check(8).unwrap_err(),
                message,
                "{text}"
            );
        }
    }
}
