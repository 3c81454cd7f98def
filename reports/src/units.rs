//! Human labels for sizes, times and bandwidths, shared by tables and plots.
//!
//! All formatting here is plain Rust `format!` over integers and `f64`, so it is the same on
//! every machine.

/// A message size as a short binary label: `1024` -> `"1K"`, `1 << 20` -> `"1M"`,
/// `3 << 20` -> `"3M"`, `1 << 30` -> `"1G"`.
///
/// The largest of K (1024), M, G, T that divides the size exactly is used; a size no unit
/// divides is printed in bytes (`1000` -> `"1000"`, `1536` -> `"1536"`), so a label never
/// rounds.
///
/// ```
/// assert_eq!(kernbench_reports::size_label(3 << 20), "3M");
/// assert_eq!(kernbench_reports::size_label(1000), "1000");
/// ```
pub fn size_label(bytes: u64) -> String {
    const UNITS: [(u32, &str); 4] = [(40, "T"), (30, "G"), (20, "M"), (10, "K")];
    if bytes == 0 {
        return "0".to_string();
    }
    for (shift, unit) in UNITS {
        let size = 1u64 << shift;
        if bytes % size == 0 {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    bytes.to_string()
}

/// A size with its IEC unit, for axes and captions where a bare `1K` could be anything:
/// `1024` -> `"1 KiB"`, `64 << 20` -> `"64 MiB"`, `1 << 30` -> `"1 GiB"`, `1000` ->
/// `"1000 B"`. The largest of KiB, MiB, GiB, TiB that divides the size exactly is used, so a
/// label never rounds.
pub(crate) fn iec_size_label(bytes: u64) -> String {
    const UNITS: [(u32, &str); 4] = [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")];
    UNITS
        .iter()
        .find(|(shift, _)| bytes > 0 && bytes % (1u64 << shift) == 0)
        .map_or_else(
            || format!("{bytes} B"),
            |(shift, unit)| format!("{} {unit}", bytes >> shift),
        )
}

/// Three significant digits with a unit chosen from a ladder of (scale, name), smallest first.
fn three_digits(value: f64, ladder: &[(f64, &str)]) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    // Pick the largest unit the value reaches; the loop below moves up one unit when rounding
    // to three digits reaches 1000 (999.96 ns is "1.00 us", not "1000 ns").
    let mut index = ladder
        .iter()
        .rposition(|(scale, _)| value.abs() >= *scale)
        .unwrap_or(0);
    loop {
        let (scale, name) = ladder[index];
        let scaled = value / scale;
        let text = match scaled.abs() {
            a if a >= 99.95 => format!("{scaled:.0}"),
            a if a >= 9.995 => format!("{scaled:.1}"),
            _ => format!("{scaled:.2}"),
        };
        let reaches_next = text.trim_start_matches('-').len() >= 4 && !text.contains('.');
        if reaches_next && index + 1 < ladder.len() {
            index += 1;
            continue;
        }
        return format!("{text} {name}");
    }
}

/// A duration given in nanoseconds, to three significant digits with a unit:
/// `12345.0` -> `"12.3 us"`, `850.0` -> `"850 ns"`, `0.5` -> `"500 ps"`.
///
/// ```
/// assert_eq!(kernbench_reports::human_time_ns(12_345.0), "12.3 us");
/// ```
pub fn human_time_ns(time_ns: f64) -> String {
    three_digits(
        time_ns,
        &[
            (1e-3, "ps"),
            (1.0, "ns"),
            (1e3, "us"),
            (1e6, "ms"),
            (1e9, "s"),
        ],
    )
}

/// A bandwidth given in GB/s (1e9 bytes/s), to three significant digits: `45.67` ->
/// `"45.7 GB/s"`, `1234.0` -> `"1.23 TB/s"`, `0.5` -> `"500 MB/s"`.
pub fn human_bandwidth_gbps(gbps: f64) -> String {
    three_digits(
        gbps,
        &[(1e-6, "KB/s"), (1e-3, "MB/s"), (1.0, "GB/s"), (1e3, "TB/s")],
    )
}

/// Exact decimal microseconds from integer picoseconds, trailing zeros trimmed:
/// `1_234_567` -> `"1.234567"`, `2_000_000` -> `"2"`. No floating point is involved, so the
/// text is exact and the same everywhere.
pub(crate) fn ps_as_us(ps: u64) -> String {
    let whole = ps / 1_000_000;
    let frac = ps % 1_000_000;
    if frac == 0 {
        whole.to_string()
    } else {
        let digits = format!("{frac:06}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_labels_use_the_largest_exact_binary_unit() {
        assert_eq!(size_label(1024), "1K");
        assert_eq!(size_label(1 << 20), "1M");
        assert_eq!(size_label(3 << 20), "3M");
        assert_eq!(size_label(1000), "1000");
        assert_eq!(size_label(1536), "1536");
        assert_eq!(size_label(1536 << 10), "1536K");
        assert_eq!(size_label(1 << 30), "1G");
        assert_eq!(size_label(4 << 40), "4T");
        assert_eq!(size_label(0), "0");
        assert_eq!(size_label(1), "1");
    }

    #[test]
    fn iec_size_labels_name_their_unit() {
        assert_eq!(iec_size_label(1024), "1 KiB");
        assert_eq!(iec_size_label(64 << 20), "64 MiB");
        assert_eq!(iec_size_label(1 << 30), "1 GiB");
        assert_eq!(iec_size_label(3 << 40), "3 TiB");
        assert_eq!(iec_size_label(1536), "1536 B");
        assert_eq!(iec_size_label(0), "0 B");
    }

    #[test]
    fn times_have_three_significant_digits_and_a_unit() {
        assert_eq!(human_time_ns(12_345.0), "12.3 us");
        assert_eq!(human_time_ns(850.0), "850 ns");
        assert_eq!(human_time_ns(1.5), "1.50 ns");
        assert_eq!(human_time_ns(0.5), "500 ps");
        assert_eq!(human_time_ns(999.96), "1.00 us");
        assert_eq!(human_time_ns(2.5e9), "2.50 s");
        assert_eq!(human_time_ns(5e12), "5000 s");
        assert_eq!(human_time_ns(f64::NAN), "n/a");
    }

    #[test]
    fn bandwidths_have_three_significant_digits_and_a_unit() {
        assert_eq!(human_bandwidth_gbps(45.67), "45.7 GB/s");
        assert_eq!(human_bandwidth_gbps(1234.0), "1.23 TB/s");
        assert_eq!(human_bandwidth_gbps(0.5), "500 MB/s");
    }

    #[test]
    fn picoseconds_become_exact_decimal_microseconds() {
        assert_eq!(ps_as_us(0), "0");
        assert_eq!(ps_as_us(1), "0.000001");
        assert_eq!(ps_as_us(1_234_567), "1.234567");
        assert_eq!(ps_as_us(2_000_000), "2");
        assert_eq!(ps_as_us(2_500_000), "2.5");
        assert_eq!(ps_as_us(u64::MAX), "18446744073709.551615");
    }
}
