//! `kernbench diagnose`: run a scenario and explain why it hangs, or find the smallest IPCQ
//! depth at which it does not.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use kernbench_algorithms::{
    CollectiveError, Diagnosis, MAX_IPCQ_DEPTH, MinDepth, Stall, StallKind, cycle_summary,
    diagnose_with_trace, message_line, min_ipcq_depth,
};
use kernbench_engine::{DeadlockReport, SimTime};
use kernbench_model::{Party, parse_time};
use kernbench_reports::{TraceSpan, Track};
use serde::Serialize;

use crate::run::failure;
use crate::scenario::Scenario;
use crate::trace::write_trace;
use crate::{Failure, print};

/// Flags of `kernbench diagnose`.
#[derive(Debug, Args)]
pub(crate) struct DiagnoseArgs {
    /// The scenario file (`*.scenario.ron`).
    #[arg(value_name = "SCENARIO")]
    scenario: PathBuf,
    /// Print the outcome as one JSON object instead of the text report.
    #[arg(long)]
    json: bool,
    /// Write the wait-for graph of a stalled run in Graphviz DOT form to FILE.
    #[arg(long, value_name = "FILE")]
    dot: Option<PathBuf>,
    /// Write a Chrome/Perfetto trace (JSON) of the run up to its stall to FILE: transfers per
    /// link, and each blocked wait as a slice open to the end of the run (category
    /// `blocked`); open it in ui.perfetto.dev.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Stop with exit code 4 once simulated time passes TIME (e.g. 10ms); overrides the
    /// scenario's `time_bound`.
    #[arg(long, value_name = "TIME")]
    time_bound: Option<String>,
    /// Stop with exit code 4 (a livelock) after N events in which no transfer started and no
    /// link carried a packet; overrides the scenario's `livelock_events`.
    #[arg(long, value_name = "N")]
    livelock_events: Option<u64>,
    /// Find the smallest IPCQ depth at which the scenario completes (PE programs) and print it
    /// with the run time there and at a generous depth.
    #[arg(long)]
    min_depth: bool,
}

/// `kernbench diagnose`.
pub(crate) fn diagnose(args: &DiagnoseArgs) -> Result<(), Failure> {
    let mut scenario = Scenario::load(&args.scenario)?;
    if let Some(bound) = &args.time_bound {
        scenario.config.time_bound =
            parse_time(bound).map_err(|e| Failure::BadInput(format!("--time-bound: {e}")))?;
    }
    if let Some(events) = args.livelock_events {
        scenario.config.livelock_events = events;
    }
    if args.min_depth {
        return min_depth(&scenario, args);
    }
    let (diagnosis, timeline) = diagnose_with_trace(scenario.topology.clone(), &scenario.config)
        .map_err(|e| refused(&args.scenario, e))?;
    if let Some(path) = &args.dot {
        let stall = match &diagnosis {
            Diagnosis::Stalled(stall) => Some(&**stall),
            Diagnosis::Completed { .. } => None,
        };
        write_file(path, &dot(&scenario.name, stall))?;
    }
    if let Some(path) = &args.trace {
        let blocked = match &diagnosis {
            Diagnosis::Stalled(stall) => blocked_spans(stall),
            Diagnosis::Completed { .. } => Vec::new(),
        };
        write_trace(
            path,
            &scenario.topology,
            crate::trace::Timeline {
                link_busy: &timeline.1,
                records: &timeline.0,
                rings: &[],
                more: blocked,
            },
        )?;
    }
    let text = if args.json {
        json(&JsonReport {
            scenario: &scenario.name,
            topology: scenario.topology.name(),
            program: scenario.config.program.name(),
            ipcq_depth: scenario.config.ipcq_depth,
            diagnosis: &diagnosis,
        })?
    } else {
        report(&scenario, &diagnosis)
    };
    match &diagnosis {
        Diagnosis::Completed { .. } => print(&text),
        Diagnosis::Stalled(stall) if stall.kind == StallKind::Deadlock => {
            Err(Failure::Deadlock(text))
        }
        Diagnosis::Stalled(_) => {
            print(&text)?;
            Err(Failure::Limit(
                "the run stalled before finishing (report above)".to_string(),
            ))
        }
    }
}

/// A run's refusal as a failure; bad input it met names the scenario file, as the loader's
/// refusals do (a message that lands outside a buffer, say, from an injected fault).
fn refused(file: &Path, error: CollectiveError) -> Failure {
    match failure(error) {
        Failure::BadInput(message) => Failure::BadInput(format!("{}: {message}", file.display())),
        other => other,
    }
}

/// The outcome as data (`--json`).
#[derive(Serialize)]
struct JsonReport<'a> {
    scenario: &'a str,
    topology: &'a str,
    program: String,
    ipcq_depth: usize,
    diagnosis: &'a Diagnosis,
}

fn json(value: &impl Serialize) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| Failure::Internal(format!("cannot write JSON: {e}")))
}

/// Writes `text` to `path` (`--dot`) as every output file is written
/// ([`kernbench_reports::write_file`]): atomically for a regular file, in place for a device
/// or FIFO, through a symlink.
fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    kernbench_reports::write_file(path, text.as_bytes())
        .map_err(|e| Failure::BadInput(format!("--dot: {e}")))
}

/// Unmatched messages listed in a text report; `--json` has them all.
const MAX_UNMATCHED_LINES: usize = 32;

/// A wait-for cycle through more processes than this is written short when it can be
/// ([`cycle_summary`]).
const MAX_CYCLE_NAMES: usize = 4;

/// Every wait of a stalled run's blocked processes as a trace slice from when it began to
/// the end of the run, on its rank's track (a PE program's PE: its program's), in category
/// `blocked`, with arguments naming the process, what it waits on, who could wake it and,
/// for a receive, the nearest unmatched message. A process of no rank or PE is left out.
fn blocked_spans(stall: &Stall) -> Vec<TraceSpan> {
    let r = &stall.report;
    let mut spans = Vec::new();
    for b in &r.blocked {
        let Some(party) = Stall::party_of(&b.process) else {
            continue;
        };
        let track = match party {
            Party::Rank(rank) => Track::Rank(rank),
            Party::Pe(pe) => Track::Rank(pe.pe),
        };
        for w in &b.waits {
            let mut args: Vec<(std::borrow::Cow<'static, str>, serde_json::Value)> =
                vec![("process".into(), b.process.to_string().into())];
            let wakers: Vec<String> = w.wakers.iter().map(|p| p.to_string()).collect();
            let waits_for = if wakers.is_empty() {
                "no process is known to wake it".to_string()
            } else {
                wakers.join(", ")
            };
            args.push(("waits_for".into(), waits_for.into()));
            if w.label.starts_with("recv ") {
                if let Some(near) = stall.receive_of(&b.process).and_then(|r| r.nearest_line()) {
                    args.push(("nearest_unmatched".into(), near.into()));
                }
            }
            spans.push(TraceSpan {
                track: track.clone(),
                name: w.label.clone(),
                category: "blocked".into(),
                start_ps: w.since.as_ps(),
                end_ps: r.time.as_ps().max(w.since.as_ps()),
                args,
            });
        }
    }
    spans
}

/// The report a person reads top to bottom.
pub(crate) fn report(scenario: &Scenario, diagnosis: &Diagnosis) -> String {
    let mut out = format!("scenario {}: {}\n", scenario.name, scenario.describe());
    match diagnosis {
        Diagnosis::Completed { time, events } => {
            // ok: writing to a String cannot fail.
            let _ = writeln!(out, "completed at {time} ({events} events): no stall");
        }
        Diagnosis::Stalled(stall) => out.push_str(&stall_text(stall)),
    }
    out
}

/// The sections of a stalled run's report.
fn stall_text(stall: &Stall) -> String {
    let r = &stall.report;
    let waiting = r.blocked.iter().filter(|b| !b.daemon).count();
    let processes = if waiting == 1 { "process" } else { "processes" };
    let mut out = String::new();
    // ok (every `let _ = writeln!` below): writing to a String cannot fail.
    let _ = match stall.kind {
        StallKind::Deadlock => writeln!(
            out,
            "DEADLOCK at {}: {waiting} {processes} blocked and nothing left on the calendar ({} events)",
            r.time, r.events
        ),
        StallKind::TimeBound { bound } => writeln!(
            out,
            "TIME BOUND {bound} passed with {waiting} {processes} still waiting ({} events)",
            r.events
        ),
        StallKind::Livelock {
            events_without_progress,
        } => writeln!(
            out,
            "LIVELOCK at {}: {events_without_progress} events without a transfer or a packet moving; {waiting} {processes} waiting ({} events)",
            r.time, r.events
        ),
    };
    let _ = writeln!(out, "likely cause: {}", stall.cause);
    let mut receives = Vec::new();
    let mut sends = Vec::new();
    let mut others = Vec::new();
    for b in &r.blocked {
        let daemon = if b.daemon { " [daemon]" } else { "" };
        for w in &b.waits {
            let mut line = format!(
                "  {} waiting since {}, in {}{daemon}\n",
                w.label, w.since, b.process
            );
            if w.label.starts_with("recv ") {
                // The unreceived message nearest to it, on a line of its own.
                if let Some(near) = stall.receive_of(&b.process).and_then(|r| r.nearest_line()) {
                    let _ = writeln!(line, "    {near}");
                }
                receives.push(line);
            } else if w.label.starts_with("send ") {
                sends.push(line);
            } else {
                others.push(line);
            }
        }
    }
    section_of(&mut out, "blocked receives", receives.len(), &receives);
    section(&mut out, "blocked sends", &sends);
    section(&mut out, "other waits", &others);
    let mut unmatched: Vec<String> = stall
        .unmatched
        .iter()
        .take(MAX_UNMATCHED_LINES)
        .map(|m| format!("  {}\n", message_line(m)))
        .collect();
    if stall.unmatched.len() > MAX_UNMATCHED_LINES {
        unmatched.push(format!(
            "  (and {} more; --json lists them all)\n",
            stall.unmatched.len() - MAX_UNMATCHED_LINES
        ));
    }
    section_of(
        &mut out,
        "unmatched messages",
        stall.unmatched.len(),
        &unmatched,
    );
    // Shortest first (the diagnosis sorts them); a long one through ranks or PEs in turn
    // is written short, and `--json` keeps every process of it.
    let cycles: Vec<String> = r
        .cycles
        .iter()
        .map(|cycle| match cycle_summary(cycle) {
            Some(short) if cycle.len() > MAX_CYCLE_NAMES => format!("  {short}\n"),
            _ => {
                let mut names: Vec<String> = cycle.iter().map(|p| p.to_string()).collect();
                if let Some(first) = names.first().cloned() {
                    names.push(first);
                }
                format!("  {}\n", names.join(" -> "))
            }
        })
        .collect();
    section(&mut out, "wait-for cycles", &cycles);
    if r.cycles_truncated {
        out.push_str("  (more cycles exist; only the first ones are listed)\n");
    }
    // Processes of one name (a send spawned per chunk) are listed once, with a count, in
    // the order they first finished.
    let mut finished: Vec<(String, usize)> = Vec::new();
    for p in &r.finished_processes {
        let name = p.to_string();
        match finished.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += 1,
            None => finished.push((name, 1)),
        }
    }
    let finished: Vec<String> = finished
        .into_iter()
        .map(|(name, count)| match count {
            1 => format!("  {name}\n"),
            n => format!("  {name} (x{n})\n"),
        })
        .collect();
    section(&mut out, "finished", &finished);
    let transfers: Vec<String> = stall
        .last_transfers
        .iter()
        .map(|t| format!("  {}, {} to {}\n", t.name, t.start, t.end))
        .collect();
    section(&mut out, "last transfers before the stall", &transfers);
    out
}

/// `title (n):` and the lines, or `title: none`.
fn section(out: &mut String, title: &str, lines: &[String]) {
    section_of(out, title, lines.len(), lines);
}

/// [`section`] of `count` items, whose text is `lines` (an item may take two lines, or
/// items may be left out with a note).
fn section_of(out: &mut String, title: &str, count: usize, lines: &[String]) {
    if count == 0 {
        let _ = writeln!(out, "{title}: none");
    } else {
        let _ = writeln!(out, "{title} ({count}):");
        out.extend(lines.iter().map(String::as_str));
    }
}

/// The wait-for graph in Graphviz DOT form: one node per waiting process (labelled with its
/// waits), an edge to each process that could wake it; edges on a cycle are red.
pub(crate) fn dot(name: &str, stall: Option<&Stall>) -> String {
    let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = format!(
        "// kernbench diagnose: wait-for graph of {name}\ndigraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
        quote(name)
    );
    if let Some(stall) = stall {
        let r: &DeadlockReport = &stall.report;
        let on_cycle = |a: &str, b: &str| {
            r.cycles.iter().any(|c| {
                let names: Vec<String> = c.iter().map(|p| p.to_string()).collect();
                (0..names.len()).any(|i| names[i] == a && names[(i + 1) % names.len()] == b)
            })
        };
        for b in &r.blocked {
            let waits: Vec<String> = b
                .waits
                .iter()
                .map(|w| format!("{} since {}", w.label, w.since))
                .collect();
            let _ = writeln!(
                out,
                "  \"{}\" [label=\"{}\\n{}\"];",
                quote(&b.process.to_string()),
                quote(&b.process.to_string()),
                quote(&waits.join("\\n"))
            );
        }
        for b in &r.blocked {
            let from = b.process.to_string();
            let mut wakers: Vec<String> = b
                .waits
                .iter()
                .flat_map(|w| w.wakers.iter().map(|p| p.to_string()))
                .collect();
            wakers.dedup();
            for to in wakers {
                let style = if on_cycle(&from, &to) {
                    " [color=red]"
                } else {
                    ""
                };
                let _ = writeln!(out, "  \"{}\" -> \"{}\"{style};", quote(&from), quote(&to));
            }
        }
    }
    out.push_str("}\n");
    out
}

/// The `--min-depth` answer as data.
#[derive(Serialize)]
struct MinDepthJson<'a> {
    scenario: &'a str,
    min_depth: usize,
    time_ps: u64,
    generous_depth: usize,
    generous_time_ps: u64,
}

/// The `--min-depth` answer as data when no depth completes: the diagnosis of the deepest
/// depth tried, as `--json` gives a diagnosis, named by that depth.
#[derive(Serialize)]
struct NoDepthJson<'a> {
    scenario: &'a str,
    topology: &'a str,
    program: String,
    /// Always `null`: no depth completes.
    min_depth: Option<usize>,
    /// The depth of the diagnosis: the deepest tried.
    ipcq_depth: usize,
    diagnosis: &'a Diagnosis,
}

/// `--min-depth`: the library's search ([`min_ipcq_depth`]) as text or JSON.
fn min_depth(scenario: &Scenario, args: &DiagnoseArgs) -> Result<(), Failure> {
    if !scenario.config.program.uses_ipcqs() {
        return Err(Failure::BadInput(format!(
            "{}: --min-depth searches the IPCQ depth of a PE program; {} talks through mailboxes, not IPCQs",
            args.scenario.display(),
            scenario.config.program.name()
        )));
    }
    let found = min_ipcq_depth(&scenario.topology, &scenario.config)
        .map_err(|e| refused(&args.scenario, e))?;
    let (best, best_time, generous, generous_time) = match found {
        MinDepth::Found {
            depth,
            time,
            generous_depth,
            generous_time,
        } => (depth, time, generous_depth, generous_time),
        MinDepth::NotFound(diagnosis) => {
            // The report of the depth tried last, headed by that depth, not the file's.
            let text = if args.json {
                json(&NoDepthJson {
                    scenario: &scenario.name,
                    topology: scenario.topology.name(),
                    program: scenario.config.program.name(),
                    min_depth: None,
                    ipcq_depth: MAX_IPCQ_DEPTH,
                    diagnosis: &diagnosis,
                })?
            } else {
                format!(
                    "no IPCQ depth up to {MAX_IPCQ_DEPTH} lets {} complete; at depth {MAX_IPCQ_DEPTH}:\n{}",
                    scenario.name,
                    report(&scenario.at_depth(MAX_IPCQ_DEPTH), &diagnosis)
                )
            };
            return match &*diagnosis {
                Diagnosis::Stalled(stall) if stall.kind != StallKind::Deadlock => {
                    print(&text)?;
                    Err(Failure::Limit(format!(
                        "the run stalled at every IPCQ depth up to {MAX_IPCQ_DEPTH} (report of depth {MAX_IPCQ_DEPTH} above)"
                    )))
                }
                _ => Err(Failure::Deadlock(text)),
            };
        }
    };
    if args.json {
        return print(&json(&MinDepthJson {
            scenario: &scenario.name,
            min_depth: best,
            time_ps: best_time.as_ps(),
            generous_depth: generous,
            generous_time_ps: generous_time.as_ps(),
        })?);
    }
    print(&min_depth_text(
        scenario,
        best,
        best_time,
        generous,
        generous_time,
    ))
}

/// The `--min-depth` answer as text: the scenario as written (its own depth said to be the
/// file's), then each depth the search names with its run time.
fn min_depth_text(
    scenario: &Scenario,
    best: usize,
    best_time: SimTime,
    generous: usize,
    generous_time: SimTime,
) -> String {
    format!(
        "scenario {}: {} in the file\nsmallest IPCQ depth that completes: {best} (run time {best_time})\nat a generous depth of {generous}: run time {generous_time}\n",
        scenario.name,
        scenario.describe()
    )
}
