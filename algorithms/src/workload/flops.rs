//! Floating-point work and rates, as units: `"2TFLOP"`, `"400TFLOP/s"` (decimal prefixes
//! k, M, G, T, P, E = 10^3 ... 10^18).

use std::fmt;
use std::str::FromStr;

use kernbench_engine::SimTime;

/// A count of floating-point operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Flops(pub u64);

/// A compute rate in floating-point operations per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlopRate(pub u64);

impl FlopRate {
    /// The time to do `flops` at this rate: `ceil(flops * 10^12 / rate)` picoseconds, exact
    /// in `u128`; [`SimTime::MAX`] for a zero rate.
    pub fn time_for(self, flops: Flops) -> SimTime {
        if flops.0 == 0 {
            return SimTime::ZERO;
        }
        if self.0 == 0 {
            return SimTime::MAX;
        }
        let ps = (u128::from(flops.0) * 1_000_000_000_000).div_ceil(u128::from(self.0));
        SimTime::from_ps(u64::try_from(ps).unwrap_or(u64::MAX))
    }
}

/// `"2.5T"` -> 2.5e12, as a whole number; the error names the text and the fix.
fn parse_scaled(text: &str, unit: &str, example: &str) -> Result<u64, String> {
    let bad = || format!("\"{text}\" is not a number of {unit}; write it like \"{example}\"");
    let t = text.trim();
    let number = t.strip_suffix(unit).ok_or_else(bad)?.trim_end();
    let (digits, scale) = match number.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let scale = match c {
                'k' | 'K' => 1e3,
                'M' => 1e6,
                'G' => 1e9,
                'T' => 1e12,
                'P' => 1e15,
                'E' => 1e18,
                _ => return Err(bad()),
            };
            (&number[..i], scale)
        }
        _ => (number, 1.0),
    };
    let value: f64 = digits.trim().parse().map_err(|_| bad())?;
    let scaled = (value * scale).round();
    if !scaled.is_finite() || scaled < 0.0 || scaled > u64::MAX as f64 {
        return Err(format!(
            "\"{text}\" is out of range; write a non-negative amount below 1.8e19 {unit}"
        ));
    }
    Ok(scaled as u64)
}

impl FromStr for Flops {
    type Err = String;
    fn from_str(text: &str) -> Result<Flops, String> {
        parse_scaled(text, "FLOP", "2TFLOP").map(Flops)
    }
}

impl FromStr for FlopRate {
    type Err = String;
    fn from_str(text: &str) -> Result<FlopRate, String> {
        match parse_scaled(text, "FLOP/s", "400TFLOP/s")? {
            0 => Err(format!(
                "\"{text}\" is no compute at all; give a rate above zero, like \"400TFLOP/s\""
            )),
            rate => Ok(FlopRate(rate)),
        }
    }
}

impl fmt::Display for Flops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} FLOP", self.0)
    }
}

impl fmt::Display for FlopRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} FLOP/s", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flops_and_rates_parse_with_decimal_prefixes() {
        assert_eq!("2TFLOP".parse(), Ok(Flops(2_000_000_000_000)));
        assert_eq!("1.5 GFLOP".parse(), Ok(Flops(1_500_000_000)));
        assert_eq!("400TFLOP/s".parse(), Ok(FlopRate(400_000_000_000_000)));
        assert!("2TB".parse::<Flops>().is_err());
        assert!("0FLOP/s".parse::<FlopRate>().is_err());
        assert!("-1FLOP".parse::<Flops>().is_err());
    }

    #[test]
    fn one_tflop_at_one_pflops_takes_one_millisecond() {
        let time = FlopRate(1_000_000_000_000_000).time_for(Flops(1_000_000_000_000));
        assert_eq!(time, SimTime::from_ms(1));
    }
}
