//! The sweep's estimate of the time left, from work rather than from points.
//!
//! Counting points misleads: a sweep's points differ in cost by factors of thousands (a 1 KiB
//! all-reduce is a few hundred events, a 1 GiB one hundreds of millions), so "3 of 10 points in
//! 2 s" says nothing of the other 7. Each point instead gets a *work* estimate before it runs
//! ([`point_work`]); the points that finish measure the seconds one thread spends per unit of
//! work, and the time left is the work left times that rate, shared over the threads.
//!
//! Everything here is a pure function of the times it is given (seconds since the sweep
//! started), so the tests drive it with made-up durations.

use std::collections::BTreeMap;

/// A point's work, in units of one packet moved by one rank: `ranks x (packets per rank +
/// ranks)`.
///
/// The engine's cost is its events, about one per packet per hop, and every rank moves about
/// its buffer in packets (twice for an all-reduce); the `+ ranks` term is the per-step cost
/// that a small message still pays (a ring makes `2(n - 1)` steps however small the buffer),
/// so 1 KiB points are not estimated as free. Only ratios between points matter: the rate
/// that turns work into seconds is measured.
pub(crate) fn point_work(bytes: u64, packet_size: u64, ranks: u32) -> f64 {
    let packets = bytes.div_ceil(packet_size.max(1));
    let ranks = f64::from(ranks.max(1));
    ranks * (packets as f64 + ranks)
}

/// The time left of a sweep whose points run on `threads` threads.
///
/// Points are told apart by an id the caller picks (its index in the run order). A point
/// is *pending* from [`Eta::new`] until [`Eta::start`], *running* until [`Eta::finish`].
#[derive(Debug)]
pub(crate) struct Eta {
    threads: f64,
    /// Work of the points not started.
    pending: f64,
    /// Running points: id -> (work, start time in seconds).
    running: BTreeMap<usize, (f64, f64)>,
    /// Work and thread-seconds of the finished points that measure the rate.
    measured_work: f64,
    measured_seconds: f64,
}

impl Eta {
    /// An estimate for points of `total_work` in all (the sum of their [`point_work`]).
    pub(crate) fn new(total_work: f64, threads: usize) -> Eta {
        Eta {
            threads: threads.max(1) as f64,
            pending: total_work,
            running: BTreeMap::new(),
            measured_work: 0.0,
            measured_seconds: 0.0,
        }
    }

    /// Point `id` of `work` started at `now`.
    pub(crate) fn start(&mut self, id: usize, work: f64, now: f64) {
        self.pending = (self.pending - work).max(0.0);
        self.running.insert(id, (work, now));
    }

    /// Point `id` finished at `now`. `simulated` says whether it ran its collective to the end:
    /// only such a point measures the rate. A point refused up front, or one that failed (a
    /// buffer that does not fit, a deadlock), ends after a fraction of its estimated work, and
    /// counting it would make the large points still to run look cheap.
    pub(crate) fn finish(&mut self, id: usize, now: f64, simulated: bool) {
        if let Some((work, started)) = self.running.remove(&id) {
            if simulated && work > 0.0 {
                self.measured_work += work;
                self.measured_seconds += (now - started).max(0.0);
            }
        }
    }

    /// Seconds of one thread per unit of work, once a point has measured it.
    ///
    /// The ratio of sums, so a point weighs by its work: the large points, whose rate is
    /// the one that matters, set it.
    fn rate(&self) -> Option<f64> {
        (self.measured_work > 0.0).then(|| self.measured_seconds / self.measured_work)
    }

    /// Wall-clock seconds left at `now`, or `None` before any point has finished a run.
    ///
    /// Thread-seconds left are the pending work times the rate plus what each running point
    /// still has to go (its estimate less the time it has run, never below zero); the threads
    /// share them, but the time left is never less than the longest running point's rest,
    /// which one thread must run alone.
    pub(crate) fn remaining(&self, now: f64) -> Option<f64> {
        let rate = self.rate()?;
        let mut longest: f64 = 0.0;
        let mut running = 0.0;
        for &(work, started) in self.running.values() {
            let left = (work * rate - (now - started)).max(0.0);
            longest = longest.max(left);
            running += left;
        }
        Some(((self.pending * rate + running) / self.threads).max(longest))
    }
}

/// A duration for the progress bar: `42s`, `3m 05s`, `1h 02m`.
pub(crate) fn duration_label(seconds: f64) -> String {
    // ok: rounding a finite, clamped f64 to whole seconds; u64 holds any sweep's length.
    let s = seconds.clamp(0.0, 1e12).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `works` one after another on one thread, each taking `seconds_per_work` x its
    /// work, and returns the estimate at the end.
    fn run_in_turn(eta: &mut Eta, works: &[f64], seconds_per_work: f64) -> f64 {
        let mut now = 0.0;
        for (id, &work) in works.iter().enumerate() {
            eta.start(id, work, now);
            now += work * seconds_per_work;
            eta.finish(id, now, true);
        }
        now
    }

    #[test]
    fn a_large_point_is_estimated_as_far_more_work_than_a_small_one() {
        // ring8, 4 KiB packets: 1 KiB is one packet per rank, 256 MiB is 65,536.
        let small = point_work(1 << 10, 4 << 10, 8);
        let large = point_work(256 << 20, 4 << 10, 8);
        assert_eq!(small, 8.0 * (1.0 + 8.0));
        assert_eq!(large, 8.0 * (65_536.0 + 8.0));
        // More ranks cost more even for one packet each.
        assert!(point_work(1 << 10, 4 << 10, 64) > 8.0 * small);
    }

    #[test]
    fn after_the_small_points_the_estimate_is_dominated_by_the_large_one_left() {
        // Nine small points of work 1 done at 0.1 s each; one point of work 1000 left. A count
        // of points would say 0.1 s more (one point at the mean); the work says 100 s.
        let small = [1.0; 9];
        let mut eta = Eta::new(9.0 + 1000.0, 1);
        let now = run_in_turn(&mut eta, &small, 0.1);
        let left = eta.remaining(now).unwrap_or(f64::NAN);
        assert!((left - 100.0).abs() < 1e-9, "{left}");
    }

    #[test]
    fn the_rate_is_weighted_by_work_so_large_points_set_it() {
        // A small point ran slowly for its size (fixed costs), a large one at 1 ms per unit:
        // the rate is the ratio of sums, close to the large point's.
        let mut eta = Eta::new(1.0 + 1000.0 + 1000.0, 1);
        eta.start(0, 1.0, 0.0);
        eta.finish(0, 0.1, true);
        eta.start(1, 1000.0, 0.1);
        eta.finish(1, 1.1, true);
        let left = eta.remaining(1.1).unwrap_or(f64::NAN);
        assert!((left - 1000.0 * 1.1 / 1001.0).abs() < 1e-9, "{left}");
    }

    #[test]
    fn nothing_is_estimated_before_a_point_has_run() {
        let mut eta = Eta::new(100.0, 2);
        assert_eq!(eta.remaining(0.0), None);
        eta.start(0, 50.0, 0.0);
        assert_eq!(eta.remaining(5.0), None);
        // A refused point says nothing of the rate either.
        eta.finish(0, 0.001, false);
        assert_eq!(eta.remaining(5.0), None);
    }

    #[test]
    fn a_refused_point_leaves_the_work_left_without_measuring_the_rate() {
        // A 1000-unit point refused at once: its work is gone, and the rate stays the one the
        // simulated point measured (1 s per unit), not 1000 units in no time.
        let mut eta = Eta::new(1000.0 + 10.0 + 10.0, 1);
        eta.start(0, 1000.0, 0.0);
        eta.finish(0, 0.0, false);
        eta.start(1, 10.0, 0.0);
        eta.finish(1, 10.0, true);
        assert_eq!(eta.remaining(10.0), Some(10.0));
    }

    #[test]
    fn a_running_point_counts_what_it_has_left_and_never_less_than_zero() {
        let mut eta = Eta::new(10.0 + 100.0, 1);
        eta.start(0, 10.0, 0.0);
        eta.finish(0, 10.0, true); // 1 s per unit
        eta.start(1, 100.0, 10.0);
        assert_eq!(eta.remaining(40.0), Some(70.0));
        // Running longer than estimated: done "any moment", not negative.
        assert_eq!(eta.remaining(200.0), Some(0.0));
    }

    #[test]
    fn threads_share_the_work_but_not_one_long_point() {
        let mut eta = Eta::new(10.0 + 100.0 + 10.0 + 10.0, 2);
        eta.start(0, 10.0, 0.0);
        eta.finish(0, 10.0, true); // 1 s per unit
        // Pending 20 units and a running point with 100 left: 120 thread-seconds over two
        // threads is 60 s, but the long point alone takes 100 s.
        eta.start(1, 100.0, 10.0);
        assert_eq!(eta.remaining(10.0), Some(100.0));
        // Once it is nearly done, the pending work over two threads decides.
        assert_eq!(eta.remaining(105.0), Some((20.0 + 5.0) / 2.0));
    }

    #[test]
    fn durations_read_in_seconds_minutes_and_hours() {
        assert_eq!(duration_label(0.4), "0s");
        assert_eq!(duration_label(42.0), "42s");
        assert_eq!(duration_label(185.0), "3m 05s");
        assert_eq!(duration_label(3720.0), "1h 02m");
        assert_eq!(duration_label(-3.0), "0s");
        assert_eq!(duration_label(f64::NAN), "0s");
    }
}
