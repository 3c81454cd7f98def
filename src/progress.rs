//! The progress of a sweep on standard error: a bar with the points done, the time left and
//! the points running on a terminal, a line per point finished elsewhere; and
//! [`run_points`], which runs a sweep's points on rayon's threads under it and commits
//! their rows one at a time. Collective and workload sweeps share both; they know points
//! only by their labels, estimated work and results.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use kernbench_reports::ReportError;
use rayon::prelude::*;

use crate::eta::{Eta, duration_label};

/// A progress bar on a terminal: points done, the time left estimated from work (see
/// [`crate::eta`]) and the points running, with their sizes. Plain lines otherwise, one per
/// point finished. All of it goes to standard error, so the result files stay the same from
/// run to run.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    tally: Arc<Mutex<Tally>>,
    /// Events simulated by the points run so far.
    events: std::sync::atomic::AtomicU64,
    started: Instant,
}

/// What the progress bar knows, shared with the bar's ETA field (which locks it while the
/// bar is drawn: so nothing calls the bar with it locked).
struct Tally {
    finished: u64,
    total: u64,
    eta: Eta,
    /// The points running: id -> label.
    running: BTreeMap<usize, String>,
}

impl Tally {
    /// The bar's message: the points running, largest first (the run order).
    fn running_label(&self) -> String {
        let running: Vec<&str> = self.running.values().map(String::as_str).collect();
        format!("running {}", running.join(", "))
    }
}

impl Progress {
    /// Progress of `total` points of `work` in all (the sum of their estimates, in any
    /// unit: only ratios matter, see [`crate::eta`]).
    pub(crate) fn new(total: u64, work: f64) -> Progress {
        let started = Instant::now();
        let tally = Arc::new(Mutex::new(Tally {
            finished: 0,
            total,
            eta: Eta::new(work, rayon::current_num_threads()),
            running: BTreeMap::new(),
        }));
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            let shared = tally.clone();
            // Computed when the bar is drawn, so it counts down between points (the bar
            // redraws every second).
            let eta = move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                let left = lock(&shared).eta.remaining(started.elapsed().as_secs_f64());
                // ok: writing into the bar's own buffer does not fail.
                let _ = match left {
                    Some(seconds) => write!(w, "ETA {}", duration_label(seconds)),
                    None => write!(w, "ETA after the first point"),
                };
            };
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:20} {pos}/{len} points, {elapsed} elapsed, {work_eta}; {wide_msg}",
            ) {
                bar.set_style(style.with_key("work_eta", eta));
            }
            bar.enable_steady_tick(std::time::Duration::from_secs(1));
            bar
        });
        Progress {
            bar,
            tally,
            events: std::sync::atomic::AtomicU64::new(0),
            started,
        }
    }

    /// Point `id` (of `work`, named `label`) starts.
    pub(crate) fn started(&self, id: usize, label: String, work: f64) {
        let running = {
            let mut tally = lock(&self.tally);
            tally
                .eta
                .start(id, work, self.started.elapsed().as_secs_f64());
            tally.running.insert(id, label);
            tally.running_label()
        };
        // Never with the tally locked: drawing the bar locks it, for the ETA.
        if let Some(bar) = &self.bar {
            bar.set_message(running);
        }
    }

    /// Point `id` finished (see [`Done`]).
    pub(crate) fn finished(&self, id: usize, done: Done) {
        self.events
            .fetch_add(done.events, std::sync::atomic::Ordering::Relaxed);
        let (finished, total, running) = {
            let mut tally = lock(&self.tally);
            tally
                .eta
                .finish(id, self.started.elapsed().as_secs_f64(), done.ran);
            tally.running.remove(&id);
            tally.finished += 1;
            (tally.finished, tally.total, tally.running_label())
        };
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(running);
            }
            None => note!("[{finished}/{total}] {}: {}", done.label, done.outcome),
        }
    }

    /// Clears the bar and says what the run cost: wall time, events per second, peak memory
    /// (on standard error, so the result files stay the same from run to run).
    pub(crate) fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let events = self.events.load(std::sync::atomic::Ordering::Relaxed);
        let seconds = self.started.elapsed().as_secs_f64();
        note!(
            "simulated {events} events in {seconds:.1} s ({:.1} M events/s), peak memory {}",
            events as f64 / seconds.max(1e-9) / 1e6,
            kernbench::host::peak_memory_label(),
        );
    }
}

/// A point that finished, as the progress shows it.
pub(crate) struct Done {
    /// The point's name (`ring8 all-reduce ring 4 KiB hbm`).
    pub(crate) label: String,
    /// Whether it ran its simulation to the end: only such a point measures the rate of the
    /// estimate ([`Eta::finish`]).
    pub(crate) ran: bool,
    /// Engine events it simulated.
    pub(crate) events: u64,
    /// Its outcome in a few words, for the line printed off a terminal (`12.639 us, busbw
    /// 0.57 GB/s`, or the status and reason).
    pub(crate) outcome: String,
}

/// The value behind `mutex`, also after a thread panicked holding it: the progress counts
/// stay usable, and a panic is reported by the hook in `main`.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Runs the points `todo` on rayon's threads in that order (callers put the largest first),
/// each shown in a [`Progress`] while it runs, and hands each result to `commit` as it
/// finishes, one at a time. After a failed commit no point starts, since its rows could not
/// be kept. Returns how many results were committed and the first failure.
pub(crate) fn run_points<P, R>(
    todo: &[&P],
    work: impl Fn(&P) -> f64 + Sync,
    label: impl Fn(&P) -> String + Sync,
    run: impl Fn(&P) -> R + Sync,
    done: impl Fn(&R) -> Done + Sync,
    commit: impl FnMut(&R) -> Result<(), ReportError> + Send,
) -> (usize, Option<ReportError>)
where
    P: Sync,
    R: Send,
{
    let progress = Progress::new(todo.len() as u64, todo.iter().map(|p| work(p)).sum());
    let committer = Mutex::new((commit, 0usize, None));
    let stopped = AtomicBool::new(false);
    todo.par_iter()
        .enumerate()
        .with_max_len(1)
        .for_each(|(id, point)| {
            if stopped.load(Ordering::Relaxed) {
                return;
            }
            progress.started(id, label(point), work(point));
            let result = run(point);
            progress.finished(id, done(&result));
            let mut guard = lock(&committer);
            let (commit, committed, failure) = &mut *guard;
            if failure.is_none() {
                match commit(&result) {
                    Ok(()) => *committed += 1,
                    Err(e) => {
                        *failure = Some(e);
                        stopped.store(true, Ordering::Relaxed);
                    }
                }
            }
        });
    progress.done();
    let (_, committed, failure) = committer
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    (committed, failure)
}

/// Which points of a sweep this run takes: those of shard `shard` of `shards` (every
/// `shards`-th, from the `shard`-th), and of them the ones not `done`, largest `work` first,
/// so that the long points do not all land at the end with a core idle (the files are
/// rewritten in point order at the end). Prints what it will do to standard error, after
/// `title` (`default:`).
pub(crate) fn plan<'a, P>(
    title: &str,
    points: &'a [P],
    (shard, shards): (usize, usize),
    done: impl Fn(&P) -> bool,
    work: impl Fn(&P) -> f64,
    out: &std::path::Path,
) -> (Vec<&'a P>, Vec<&'a P>) {
    let mine: Vec<&P> = points
        .iter()
        .enumerate()
        .filter(|(i, _)| i % shards == shard)
        .map(|(_, p)| p)
        .collect();
    let mut todo: Vec<&P> = mine.iter().copied().filter(|p| !done(p)).collect();
    todo.sort_by(|a, b| work(b).total_cmp(&work(a)));
    note!(
        "sweep {title} {} points{}, {} already done in {}, {} to run on {} threads",
        mine.len(),
        if shards > 1 {
            format!(" in shard {shard}/{shards} (of {})", points.len())
        } else {
            String::new()
        },
        mine.len() - todo.len(),
        out.display(),
        todo.len(),
        rayon::current_num_threads(),
    );
    (mine, todo)
}
