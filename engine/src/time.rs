//! Simulated time: integer picoseconds.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

use serde::{Deserialize, Serialize};

/// A point in, or a span of, simulated time, in integer picoseconds.
///
/// The engine's clock never uses floating point, so two runs of the same model agree to the
/// picosecond. `u64` picoseconds cover about 213 days of simulated time; arithmetic that would
/// overflow saturates at [`SimTime::MAX`] rather than wrapping.
///
/// It prints in the largest unit that keeps the value at or above 1: `750 ps`, `1.25 ns`, `3 us`,
/// `2.5 ms`, `1.2 s` (at most three decimals, trailing zeros dropped; the exact value is always
/// available from [`SimTime::as_ps`]).
///
/// ```
/// use kernbench_engine::SimTime;
/// assert_eq!(SimTime::from_ns(3) + SimTime::from_ps(250), SimTime::from_ps(3_250));
/// assert_eq!(SimTime::from_ps(3_250).to_string(), "3.25 ns");
/// assert_eq!(SimTime::from_us(2).to_string(), "2 us");
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SimTime(u64);

impl SimTime {
    /// Time zero, the start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable time.
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// `ps` picoseconds.
    pub const fn from_ps(ps: u64) -> SimTime {
        SimTime(ps)
    }
    /// `ns` nanoseconds (saturating).
    pub const fn from_ns(ns: u64) -> SimTime {
        SimTime(ns.saturating_mul(1_000))
    }
    /// `us` microseconds (saturating).
    pub const fn from_us(us: u64) -> SimTime {
        SimTime(us.saturating_mul(1_000_000))
    }
    /// `ms` milliseconds (saturating).
    pub const fn from_ms(ms: u64) -> SimTime {
        SimTime(ms.saturating_mul(1_000_000_000))
    }
    /// `s` seconds (saturating).
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s.saturating_mul(1_000_000_000_000))
    }
    /// The value in picoseconds.
    pub const fn as_ps(self) -> u64 {
        self.0
    }
    /// The value in nanoseconds, as a float for reports (not for the clock).
    pub fn as_ns_f64(self) -> f64 {
        self.0 as f64 / 1e3
    }
    /// The value in seconds, as a float for reports (not for the clock).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e12
    }
    /// `self + rhs`, saturating at [`SimTime::MAX`].
    pub const fn saturating_add(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
    /// `self - rhs`, or zero when `rhs` is later.
    pub const fn saturating_sub(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(rhs.0))
    }
    /// `self - rhs`, or `None` when `rhs` is later.
    pub const fn checked_sub(self, rhs: SimTime) -> Option<SimTime> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Some(SimTime(v)),
            None => None,
        }
    }
}

impl Add for SimTime {
    type Output = SimTime;
    /// Saturating addition: the clock never wraps.
    fn add(self, rhs: SimTime) -> SimTime {
        self.saturating_add(rhs)
    }
}

impl AddAssign for SimTime {
    fn add_assign(&mut self, rhs: SimTime) {
        *self = *self + rhs;
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    /// Saturating subtraction: an earlier minus a later time is zero.
    fn sub(self, rhs: SimTime) -> SimTime {
        self.saturating_sub(rhs)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 5] = [
            (1_000_000_000_000, "s"),
            (1_000_000_000, "ms"),
            (1_000_000, "us"),
            (1_000, "ns"),
            (1, "ps"),
        ];
        let ps = self.0;
        let (scale, unit) = UNITS
            .iter()
            .copied()
            .find(|&(scale, _)| ps >= scale)
            .unwrap_or((1, "ps"));
        let whole = ps / scale;
        // Three decimals, rounded down so the printed value never exceeds the exact one.
        let frac = (ps % scale) * 1000 / scale;
        if frac == 0 {
            write!(f, "{whole} {unit}")
        } else {
            let digits = format!("{frac:03}");
            write!(f, "{whole}.{} {unit}", digits.trim_end_matches('0'))
        }
    }
}

impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ps", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_scale_to_picoseconds() {
        assert_eq!(SimTime::from_ns(1).as_ps(), 1_000);
        assert_eq!(SimTime::from_us(1).as_ps(), 1_000_000);
        assert_eq!(SimTime::from_ms(1).as_ps(), 1_000_000_000);
        assert_eq!(SimTime::from_secs(1).as_ps(), 1_000_000_000_000);
    }

    #[test]
    fn display_picks_the_largest_unit_and_trims_zeros() {
        assert_eq!(SimTime::ZERO.to_string(), "0 ps");
        assert_eq!(SimTime::from_ps(750).to_string(), "750 ps");
        assert_eq!(SimTime::from_ps(1_250).to_string(), "1.25 ns");
        assert_eq!(SimTime::from_ps(1_250_000).to_string(), "1.25 us");
        assert_eq!(SimTime::from_ms(3).to_string(), "3 ms");
        assert_eq!(SimTime::from_ps(2_500_000_000_000).to_string(), "2.5 s");
        // Rounded down, never up: 1.9999 ns prints as 1.999 ns.
        assert_eq!(SimTime::from_ps(1_999).to_string(), "1.999 ns");
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(SimTime::MAX + SimTime::from_ps(1), SimTime::MAX);
        assert_eq!(SimTime::from_ps(1) - SimTime::from_ps(2), SimTime::ZERO);
        assert_eq!(SimTime::from_ps(1).checked_sub(SimTime::from_ps(2)), None);
    }
}
