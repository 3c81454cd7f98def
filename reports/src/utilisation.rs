//! Busy percentages over fixed windows: the counter tracks of a trace, from the intervals in
//! which something was busy.

/// At most this many windows span a trace, so a counter track has at most this many samples
/// (plus its final zero) however long the run.
pub(crate) const MAX_WINDOWS: u64 = 100;

/// The window width for a trace that ends at `end_ps`: the smallest 1, 2 or 5 times a power
/// of ten picoseconds that cuts `0..end_ps` into at most [`MAX_WINDOWS`] windows (so a
/// window reads as 200 ns, not 173.9 ns). At least 1 ps.
pub(crate) fn window_width(end_ps: u64) -> u64 {
    let least = end_ps.div_ceil(MAX_WINDOWS).max(1);
    let mut scale = 1u64;
    loop {
        for step in [1, 2, 5] {
            let width = scale.saturating_mul(step);
            if width >= least {
                return width;
            }
        }
        if scale > u64::MAX / 10 {
            return u64::MAX;
        }
        scale *= 10;
    }
}

/// The percentage (0 to 100, rounded half up) of each window `[k w, (k + 1) w)` of
/// `0..end_ps` covered by `intervals` (`(start, end)` pairs, in any order, possibly
/// overlapping: their union counts); the last window stops at `end_ps`. Every window up to
/// `end_ps` is there, idle ones as 0.
///
/// # Complexity
/// `O(n log n + windows)` for `n` intervals.
pub(crate) fn busy_percent(intervals: &[(u64, u64)], end_ps: u64, width: u64) -> Vec<u64> {
    let width = width.max(1);
    let count = end_ps.div_ceil(width) as usize;
    let mut covered = vec![0u64; count];
    let mut sorted: Vec<(u64, u64)> = intervals
        .iter()
        .map(|&(s, e)| (s.min(end_ps), e.min(end_ps)))
        .filter(|(s, e)| s < e)
        .collect();
    sorted.sort_unstable();
    // The union, interval by interval: `reach` is where the part already counted ends.
    let mut reach = 0u64;
    for (start, end) in sorted {
        let mut at = start.max(reach);
        while at < end {
            let window = (at / width) as usize;
            let window_end = (at / width + 1).saturating_mul(width).min(end);
            covered[window] += window_end - at;
            at = window_end;
        }
        reach = reach.max(end);
    }
    covered
        .iter()
        .enumerate()
        .map(|(k, &busy)| {
            let start = k as u64 * width;
            let len = u128::from(width.min(end_ps - start));
            ((u128::from(busy) * 200 + len) / (2 * len)) as u64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_round_and_at_most_a_hundred() {
        assert_eq!(window_width(0), 1);
        assert_eq!(window_width(100), 1);
        assert_eq!(window_width(101), 2);
        assert_eq!(window_width(12_547_000), 200_000);
        assert_eq!(window_width(135_838_000), 2_000_000);
        assert_eq!(window_width(50_000_000), 500_000);
        assert_eq!(window_width(u64::MAX), 200_000_000_000_000_000);
        for end in [1u64, 7, 999, 1_000_001, 123_456_789_012] {
            assert!(end.div_ceil(window_width(end)) <= MAX_WINDOWS, "{end}");
        }
    }

    #[test]
    fn each_window_gets_the_share_of_it_that_was_busy() {
        // Windows of 10 over 0..35: [0,10) [10,20) [20,30) [30,35).
        let busy = [(5, 12), (12, 15), (14, 16), (30, 33), (40, 50)];
        assert_eq!(busy_percent(&busy, 35, 10), [50, 60, 0, 60]);
        // Rounded half up: 1 of 8 is 12.5%.
        assert_eq!(busy_percent(&[(0, 1)], 8, 8), [13]);
        assert_eq!(busy_percent(&[(0, 100)], 100, 10), [100; 10]);
        assert!(busy_percent(&[], 0, 1).is_empty());
    }
}
