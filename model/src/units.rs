//! Units as types: [`Bytes`], [`Bandwidth`], and parsers for human strings (`"64KiB"`,
//! `"100GB/s"`, `"500ns"`) into them and into [`SimTime`].
//!
//! This file is the one place where a number in a file becomes a quantity. Binary prefixes
//! (`KiB`, `MiB`, `GiB`, `TiB`) are powers of 1024, decimal ones (`KB`, `MB`, `GB`, `TB`) powers
//! of 1000. A decimal fraction is allowed as long as the result is a whole number of bytes,
//! bytes per second or picoseconds: `"1.5KiB"` is 1536 bytes, `"1.5B"` is an error.

use std::fmt;
use std::str::FromStr;

use kernbench_engine::SimTime;
use serde::{Deserialize, Deserializer};

use crate::error::{ModelError, QuantityKind};

/// An amount of data, in bytes.
///
/// Parses from `"64KiB"`, `"4 KiB"`, `"1.5GB"`, `"0B"`; prints in the largest binary unit that
/// shows it exactly with at most three decimals (`"64 KiB"`, `"1.5 MiB"`), else in a decimal
/// unit (`"4 GB"`), else in bytes (`"1000001 B"`).
///
/// ```
/// use kernbench_model::Bytes;
/// let b: Bytes = "1.5MiB".parse()?;
/// assert_eq!(b, Bytes(1_572_864));
/// assert_eq!(b.to_string(), "1.5 MiB");
/// # Ok::<(), kernbench_model::ModelError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub u64);

impl From<u64> for Bytes {
    fn from(bytes: u64) -> Bytes {
        Bytes(bytes)
    }
}

/// A data rate, in whole bytes per second.
///
/// Parses from `"100GB/s"`, `"1.6TB/s"`, `"512 MiB/s"`; prints in the largest decimal unit
/// (`"100 GB/s"`, `"1.6 TB/s"`), with at most three decimals, rounded down.
///
/// ```
/// use kernbench_model::{Bandwidth, Bytes};
/// use kernbench_engine::SimTime;
/// let bw: Bandwidth = "100GB/s".parse()?;
/// assert_eq!(bw.bytes_per_second(), 100_000_000_000);
/// // 4 KiB at 100 GB/s: ceil(4096 * 1e12 / 1e11) ps.
/// assert_eq!(bw.time_for(Bytes(4096)), SimTime::from_ps(40_960));
/// # Ok::<(), kernbench_model::ModelError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bandwidth(u64);

const SIZE_UNITS: &[(&str, u64)] = &[
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];

const BANDWIDTH_UNITS: &[(&str, u64)] = &[
    ("B/s", 1),
    ("KB/s", 1_000),
    ("MB/s", 1_000_000),
    ("GB/s", 1_000_000_000),
    ("TB/s", 1_000_000_000_000),
    ("KiB/s", 1 << 10),
    ("MiB/s", 1 << 20),
    ("GiB/s", 1 << 30),
];

const TIME_UNITS: &[(&str, u64)] = &[
    ("ps", 1),
    ("ns", 1_000),
    ("us", 1_000_000),
    ("ms", 1_000_000_000),
    ("s", 1_000_000_000_000),
];

impl QuantityKind {
    /// The units accepted for this kind of quantity, with their scale in the base unit
    /// (bytes, bytes per second, picoseconds).
    fn units(self) -> &'static [(&'static str, u64)] {
        match self {
            QuantityKind::Size => SIZE_UNITS,
            QuantityKind::Bandwidth => BANDWIDTH_UNITS,
            QuantityKind::Time => TIME_UNITS,
        }
    }

    /// The accepted units as a comma-separated list, for error messages.
    pub(crate) fn accepted_units(self) -> String {
        let names: Vec<&str> = self.units().iter().map(|(name, _)| *name).collect();
        names.join(", ")
    }
}

/// Parses `text` as a number followed by one of `kind`'s units, into the base unit.
///
/// Exact: the number is read as a decimal fraction `m / 10^k`, and the result
/// `m * scale / 10^k` must be a whole number that fits in a `u64`.
fn parse_quantity(text: &str, kind: QuantityKind) -> Result<u64, ModelError> {
    let fail = |problem: String| ModelError::BadQuantity {
        text: text.to_owned(),
        kind,
        problem,
    };
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(fail("negative values are not allowed".to_owned()));
    }
    let number_len = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(number_len);
    let unit = unit.trim_start();
    if number.is_empty() {
        return Err(fail("it does not start with a number".to_owned()));
    }
    if unit.is_empty() {
        return Err(fail("the unit is missing".to_owned()));
    }
    let Some(&(_, scale)) = kind.units().iter().find(|(name, _)| *name == unit) else {
        return Err(fail(format!("unknown unit \"{unit}\"")));
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || fraction.contains('.') || (number.contains('.') && fraction.is_empty()) {
        return Err(fail(format!("\"{number}\" is not a number")));
    }
    let overflow = || fail("it is too large (the limit is 2^64 - 1 in the base unit)".to_owned());
    // Mantissa m and exponent k with value = m / 10^k; all digits, so parsing only fails on size.
    let digits = format!("{whole}{fraction}");
    let mantissa: u128 = digits.parse().map_err(|_| overflow())?;
    let exponent = u32::try_from(fraction.len()).map_err(|_| overflow())?;
    let divisor = 10u128.checked_pow(exponent).ok_or_else(overflow)?;
    let scaled = mantissa
        .checked_mul(u128::from(scale))
        .ok_or_else(overflow)?;
    if scaled % divisor != 0 {
        let base = match kind {
            QuantityKind::Size => "bytes",
            QuantityKind::Bandwidth => "bytes per second",
            QuantityKind::Time => "picoseconds",
        };
        return Err(fail(format!("it is not a whole number of {base}")));
    }
    u64::try_from(scaled / divisor).map_err(|_| overflow())
}

/// Parses a latency or duration such as `"500ns"`, `"1.5ns"`, `"2us"`, `"250ps"`.
///
/// Units: `ps`, `ns`, `us`, `ms`, `s`; the result must be a whole number of picoseconds.
pub fn parse_time(text: &str) -> Result<SimTime, ModelError> {
    parse_quantity(text, QuantityKind::Time).map(SimTime::from_ps)
}

/// Serde helper: deserializes a [`SimTime`] from a string such as `"500ns"` (see [`parse_time`]).
///
/// [`SimTime`]'s own `Deserialize` reads raw picoseconds; spec files use this one instead through
/// `#[serde(deserialize_with = "...")]`.
pub fn deserialize_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SimTime, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_time(&text).map_err(serde::de::Error::custom)
}

impl FromStr for Bytes {
    type Err = ModelError;
    fn from_str(text: &str) -> Result<Bytes, ModelError> {
        parse_quantity(text, QuantityKind::Size).map(Bytes)
    }
}

impl FromStr for Bandwidth {
    type Err = ModelError;
    fn from_str(text: &str) -> Result<Bandwidth, ModelError> {
        parse_quantity(text, QuantityKind::Bandwidth).map(Bandwidth)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Bandwidth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Bandwidth, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Bytes {
    /// The number of bytes.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl Bandwidth {
    /// A bandwidth of `bytes_per_second` bytes per second.
    pub const fn from_bytes_per_second(bytes_per_second: u64) -> Bandwidth {
        Bandwidth(bytes_per_second)
    }

    /// The bandwidth in bytes per second.
    pub const fn bytes_per_second(self) -> u64 {
        self.0
    }

    /// The time to push `bytes` through this bandwidth:
    /// `ceil(bytes * 10^12 / bytes_per_second)` picoseconds.
    ///
    /// Computed exactly in `u128` (the product cannot overflow: both factors are below 2^64
    /// and 2^40), rounded up so that a transfer never takes less than its bandwidth allows.
    /// Saturates at [`SimTime::MAX`]; a zero bandwidth (rejected by validation) gives
    /// [`SimTime::MAX`] for any non-zero size.
    pub fn time_for(self, bytes: Bytes) -> SimTime {
        if bytes.0 == 0 {
            return SimTime::ZERO;
        }
        if self.0 == 0 {
            return SimTime::MAX;
        }
        let ps = (u128::from(bytes.0) * 1_000_000_000_000).div_ceil(u128::from(self.0));
        SimTime::from_ps(u64::try_from(ps).unwrap_or(u64::MAX))
    }

    /// `self + rhs`, saturating.
    pub const fn saturating_add(self, rhs: Bandwidth) -> Bandwidth {
        Bandwidth(self.0.saturating_add(rhs.0))
    }
}

/// Writes `value / scale` with at most three decimals (rounded down, zeros trimmed).
fn write_scaled(f: &mut fmt::Formatter<'_>, value: u64, scale: u64, unit: &str) -> fmt::Result {
    let whole = value / scale;
    let frac = u128::from(value % scale) * 1000 / u128::from(scale);
    if frac == 0 {
        write!(f, "{whole} {unit}")
    } else {
        let digits = format!("{frac:03}");
        write!(f, "{whole}.{} {unit}", digits.trim_end_matches('0'))
    }
}

/// Whether `value / scale` is exact with at most three decimals.
fn exact_in(value: u64, scale: u64) -> bool {
    (u128::from(value) * 1000) % u128::from(scale) == 0
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const BINARY: [(u64, &str); 4] = [
            (1 << 40, "TiB"),
            (1 << 30, "GiB"),
            (1 << 20, "MiB"),
            (1 << 10, "KiB"),
        ];
        const DECIMAL: [(u64, &str); 4] = [
            (1_000_000_000_000, "TB"),
            (1_000_000_000, "GB"),
            (1_000_000, "MB"),
            (1_000, "KB"),
        ];
        for table in [BINARY, DECIMAL] {
            if let Some(&(scale, unit)) = table.iter().find(|&&(scale, _)| self.0 >= scale) {
                if exact_in(self.0, scale) {
                    return write_scaled(f, self.0, scale, unit);
                }
            }
        }
        write!(f, "{} B", self.0)
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DECIMAL: [(u64, &str); 5] = [
            (1_000_000_000_000, "TB/s"),
            (1_000_000_000, "GB/s"),
            (1_000_000, "MB/s"),
            (1_000, "KB/s"),
            (1, "B/s"),
        ];
        let (scale, unit) = DECIMAL
            .iter()
            .copied()
            .find(|&(scale, _)| self.0 >= scale)
            .unwrap_or((1, "B/s"));
        write_scaled(f, self.0, scale, unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(text: &str) -> u64 {
        text.parse::<Bytes>()
            .map(|b| b.0)
            .unwrap_or_else(|e| panic!("{e}"))
    }
    fn bw(text: &str) -> u64 {
        text.parse::<Bandwidth>()
            .map(|b| b.0)
            .unwrap_or_else(|e| panic!("{e}"))
    }
    fn ps(text: &str) -> u64 {
        parse_time(text)
            .map(SimTime::as_ps)
            .unwrap_or_else(|e| panic!("{e}"))
    }
    fn size_error(text: &str) -> String {
        match text.parse::<Bytes>() {
            Ok(b) => panic!("{text} parsed as {b:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn sizes_parse_with_binary_and_decimal_prefixes() {
        assert_eq!(bytes("64KiB"), 65_536);
        assert_eq!(bytes("4 KiB"), 4_096);
        assert_eq!(bytes("1.5GB"), 1_500_000_000);
        assert_eq!(bytes("0B"), 0);
        assert_eq!(bytes("32GiB"), 32 << 30);
        assert_eq!(bytes("1.5KiB"), 1_536);
        assert_eq!(bytes("2TiB"), 2 << 40);
    }

    #[test]
    fn bandwidths_parse_in_bytes_per_second() {
        assert_eq!(bw("1.5GB/s"), 1_500_000_000);
        assert_eq!(bw("100GB/s"), 100_000_000_000);
        assert_eq!(bw("1.6TB/s"), 1_600_000_000_000);
        assert_eq!(bw("1MiB/s"), 1 << 20);
        assert_eq!(bw("7 B/s"), 7);
    }

    #[test]
    fn times_parse_to_picoseconds() {
        assert_eq!(ps("500ns"), 500_000);
        assert_eq!(ps("2us"), 2_000_000);
        assert_eq!(ps("1.5ns"), 1_500);
        assert_eq!(ps("250ps"), 250);
        assert_eq!(ps("1ms"), 1_000_000_000);
        assert_eq!(ps("1s"), 1_000_000_000_000);
    }

    #[test]
    fn bad_sizes_name_the_string_the_problem_and_the_units() {
        let units = "B, KB, MB, GB, TB, KiB, MiB, GiB, TiB";
        assert_eq!(
            size_error("5 furlongs"),
            format!(
                "\"5 furlongs\" is not a valid size: unknown unit \"furlongs\"; \
                 write a number followed by one of {units} (for example \"64KiB\")"
            )
        );
        assert!(size_error("64").contains(": the unit is missing;"));
        assert!(size_error("-4KiB").contains(": negative values are not allowed;"));
        assert!(size_error("1.5B").contains(": it is not a whole number of bytes;"));
        assert!(size_error("99999999999TiB").contains(": it is too large"));
        assert!(size_error("KiB").contains(": it does not start with a number;"));
        assert!(size_error("1..5KiB").contains("\"1..5\" is not a number"));
        assert!(size_error("64GB/s").contains("unknown unit \"GB/s\""));
    }

    #[test]
    fn bad_bandwidths_and_times_list_their_own_units() {
        let Err(e) = "5 GB".parse::<Bandwidth>() else {
            panic!("parsed")
        };
        assert_eq!(
            e.to_string(),
            "\"5 GB\" is not a valid bandwidth: unknown unit \"GB\"; write a number followed by \
             one of B/s, KB/s, MB/s, GB/s, TB/s, KiB/s, MiB/s, GiB/s (for example \"100GB/s\")"
        );
        let Err(e) = parse_time("0.5ps") else {
            panic!("parsed")
        };
        assert_eq!(
            e.to_string(),
            "\"0.5ps\" is not a valid time: it is not a whole number of picoseconds; write a \
             number followed by one of ps, ns, us, ms, s (for example \"500ns\")"
        );
        assert!(parse_time("1 hour").is_err());
        assert!(parse_time("20000000s").is_err(), "2e19 ps overflows u64");
    }

    #[test]
    fn time_for_rounds_up_exactly() {
        let bw = Bandwidth::from_bytes_per_second(3);
        // 1 byte at 3 B/s = 333_333_333_333.33 ps, rounded up.
        assert_eq!(bw.time_for(Bytes(1)), SimTime::from_ps(333_333_333_334));
        assert_eq!(bw.time_for(Bytes(0)), SimTime::ZERO);
        assert_eq!(Bandwidth::default().time_for(Bytes(1)), SimTime::MAX);
        let slow = Bandwidth::from_bytes_per_second(1);
        assert_eq!(slow.time_for(Bytes(u64::MAX)), SimTime::MAX);
    }

    #[test]
    fn display_prints_round_units() {
        assert_eq!(Bytes(65_536).to_string(), "64 KiB");
        assert_eq!(Bytes(1_572_864).to_string(), "1.5 MiB");
        assert_eq!(Bytes(4_000_000_000).to_string(), "4 GB");
        assert_eq!(Bytes(1_000_001).to_string(), "1000001 B");
        assert_eq!(Bytes(0).to_string(), "0 B");
        assert_eq!(Bandwidth(100_000_000_000).to_string(), "100 GB/s");
        assert_eq!(Bandwidth(1_600_000_000_000).to_string(), "1.6 TB/s");
        assert_eq!(Bandwidth(0).to_string(), "0 B/s");
    }
}
