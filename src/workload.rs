//! `kernbench workload`: a training step's graph on one topology, measured.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

use clap::Args;
use kernbench_algorithms::CollectiveError;
use kernbench_algorithms::workload::{
    RankTimes, WorkloadOptions, WorkloadReport, WorkloadTrace, run_workload_on,
};
use kernbench_engine::SimTime;
use kernbench_model::{NetworkModel, TopologySource};
use kernbench_reports::{TraceSpan, Track};

use crate::{Failure, print};

/// Ranks listed one by one up to this many; above, min/median/max and the slowest rank.
const RANKS_LISTED: usize = 16;
/// Links listed in the text report, busiest first (`--json` has every one that carried
/// traffic).
const LINKS_LISTED: usize = 8;

/// Flags of `kernbench workload`.
#[derive(Debug, Args)]
pub(crate) struct WorkloadArgs {
    /// The workload: a file (`*.workload.ron`), or a folder of Chakra execution traces
    /// (`PREFIX.N.et`, one per rank N).
    #[arg(value_name = "FILE|FOLDER")]
    file: PathBuf,
    /// The topology: a RON file, or a generated form as `run` takes (ring:8, cubes:2x4).
    #[arg(long, value_name = "FILE|FORM")]
    topology: String,
    /// Print one JSON object instead of the tables (times in picoseconds, exact; a stall:
    /// its deadlock report, as one object).
    #[arg(long)]
    json: bool,
    /// The peak compute rate of one SIP for compute given in FLOP (a trace's num_ops);
    /// replaces the file's peak_flops.
    #[arg(long, value_name = "RATE")]
    peak_flops: Option<String>,
    /// Write a Chrome/Perfetto trace (JSON): per rank its compute, communication and copy
    /// nodes (overlapping ones in lanes), and each link's busy intervals as `run --trace`.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// The network model: packet (exact) or flow (each collective measured alone once, in
    /// the flow model, then replayed as one bundle of max-min fair flows: approximate under
    /// contention, much faster on big machines).
    #[arg(long, value_name = "packet|flow", default_value = "packet")]
    model: String,
}

/// `kernbench workload`.
pub(crate) fn workload(args: &WorkloadArgs) -> Result<(), Failure> {
    let loaded = crate::workload_file::load_any(&args.file, args.peak_flops.as_deref())?;
    let topology = Rc::new(TopologySource::parse(&args.topology)?.load()?);
    let network: NetworkModel = args
        .model
        .parse()
        .map_err(|e| Failure::BadInput(format!("--model: {e}")))?;
    let options = WorkloadOptions {
        network,
        trace: args.trace.is_some(),
        time_limit: None,
    };
    let (report, timeline) =
        run_workload_on(topology.clone(), &loaded.workload, options).map_err(|e| match e {
            CollectiveError::Deadlock(_) => crate::run::failure_as(e, args.json),
            other => loaded.located(other),
        })?;
    if let Some(path) = &args.trace {
        write_trace(path, &topology, &timeline)?;
    }
    if args.json {
        print(&format!("{}\n", json(&report, &loaded.unused, network)))
    } else {
        print(&text(&report, &loaded.unused, network))
    }
}

/// Writes the timeline: a track per rank (compute, communication and copies, category
/// `compute`, `comm` or `copy`), and the links' busy intervals as `run --trace` draws them.
fn write_trace(
    path: &std::path::Path,
    topology: &kernbench_model::Topology,
    timeline: &WorkloadTrace,
) -> Result<(), Failure> {
    let spans = timeline
        .tasks
        .iter()
        .map(|t| TraceSpan {
            track: Track::Rank(t.rank),
            name: t.task.clone(),
            category: match t.kind {
                "compute" => "compute",
                "copy" => "copy",
                _ => "comm",
            }
            .into(),
            start_ps: t.start.as_ps(),
            end_ps: t.end.as_ps(),
            args: vec![("kind".into(), serde_json::json!(t.kind))],
        })
        .collect();
    crate::trace::write_trace(
        path,
        topology,
        crate::trace::Timeline {
            link_busy: &timeline.link_busy,
            records: &[],
            rings: &[],
            more: spans,
        },
    )
}

/// A time in microseconds with every picosecond: `12.345678`.
fn us(time: SimTime) -> String {
    let ps = time.as_ps();
    format!("{}.{:06}", ps / 1_000_000, ps % 1_000_000)
}

fn text(report: &WorkloadReport, unused: &BTreeMap<String, u64>, network: NetworkModel) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    // ok: writing to a String cannot fail.
    let _ = writeln!(
        out,
        "workload {} on {} ({} ranks): step time {} us ({} events){}",
        report.name,
        report.topology,
        report.world_size,
        us(report.step_time),
        report.events,
        match network {
            NetworkModel::Packet => "",
            NetworkModel::Flow => ", flow model",
        }
    );
    if !unused.is_empty() {
        let list: Vec<String> = unused.iter().map(|(k, n)| format!("{k} x{n}")).collect();
        let _ = writeln!(out, "not run or not used: {}", list.join(", "));
    }
    let _ = writeln!(out);
    // Copies between a rank's memories get a column where the workload makes any.
    let copies = report.ranks.iter().any(|r| r.copy > SimTime::ZERO);
    let header = if copies {
        "rank      finish_us     compute_us  exposed_comm_us  overlapped_comm_us        copy_us"
    } else {
        "rank      finish_us     compute_us  exposed_comm_us  overlapped_comm_us"
    };
    let row = |label: &str, r: &RankTimes| {
        let copy = if copies {
            format!(" {:>14}", us(r.copy))
        } else {
            String::new()
        };
        format!(
            "{label:<8} {:>10} {:>14} {:>16} {:>19}{copy}\n",
            us(r.finish),
            us(r.compute),
            us(r.exposed_comm),
            us(r.overlapped_comm)
        )
    };
    let _ = writeln!(out, "{header}");
    if report.ranks.len() <= RANKS_LISTED {
        for r in &report.ranks {
            out.push_str(&row(&r.rank.to_string(), r));
        }
    } else {
        // Each column's own min, median and max (so a row need not be one rank's).
        let pick = |at: fn(usize) -> usize| {
            let n = report.ranks.len();
            let column = |f: fn(&RankTimes) -> SimTime| {
                let mut v: Vec<SimTime> = report.ranks.iter().map(f).collect();
                v.sort();
                v[at(n)]
            };
            RankTimes {
                rank: 0,
                finish: column(|r| r.finish),
                compute: column(|r| r.compute),
                exposed_comm: column(|r| r.exposed_comm),
                overlapped_comm: column(|r| r.overlapped_comm),
                copy: column(|r| r.copy),
            }
        };
        out.push_str(&row("min", &pick(|_| 0)));
        out.push_str(&row("median", &pick(|n| (n - 1) / 2)));
        out.push_str(&row("max", &pick(|n| n - 1)));
        // The first rank to finish last.
        if let Some(slowest) = report.ranks.iter().rev().max_by_key(|r| r.finish) {
            out.push_str(&row(&format!("slowest {}", slowest.rank), slowest));
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "critical path ({} nodes):", report.critical_path.len());
    for step in &report.critical_path {
        let _ = writeln!(
            out,
            "  rank{:<4} {:<20} {:<15} {:>12} -> {:>12} us",
            step.rank,
            step.task,
            step.kind,
            us(step.start),
            us(step.end)
        );
    }
    if !report.collectives.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "collective           kind            algorithm           group      ranks         size        time_us  busbw_gbps"
        );
        for c in &report.collectives {
            let _ = writeln!(
                out,
                "{:<20} {:<15} {:<19} {:<10} {:>5} {:>12} {:>14} {:>11.3}",
                c.task,
                c.collective,
                c.algorithm,
                c.group,
                c.group_size,
                c.bytes.to_string(),
                us(c.time),
                c.busbw_gbps
            );
        }
    }
    if !report.links.is_empty() {
        let listed = &report.links[..report.links.len().min(LINKS_LISTED)];
        let width = listed
            .iter()
            .map(|l| l.link.len())
            .max()
            .unwrap_or(0)
            .max(4);
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "busiest links ({} of {} that carried traffic; utilisation = busy / step time):",
            listed.len(),
            report.links.len()
        );
        let _ = writeln!(
            out,
            "{:<width$}  {:<11} {:>14} {:>14} {:>11}",
            "link", "class", "bytes", "busy_us", "utilisation"
        );
        for l in listed {
            let _ = writeln!(
                out,
                "{:<width$}  {:<11} {:>14} {:>14} {:>10.1}%",
                l.link,
                l.class,
                l.bytes,
                us(l.busy),
                100.0 * l.utilisation(report.step_time)
            );
        }
    }
    out
}

fn json(report: &WorkloadReport, unused: &BTreeMap<String, u64>, network: NetworkModel) -> String {
    use serde_json::json;
    let ranks: Vec<_> = report
        .ranks
        .iter()
        .map(|r| {
            json!({
                "rank": r.rank,
                "finish_ps": r.finish.as_ps(),
                "compute_ps": r.compute.as_ps(),
                "exposed_comm_ps": r.exposed_comm.as_ps(),
                "overlapped_comm_ps": r.overlapped_comm.as_ps(),
                "copy_ps": r.copy.as_ps(),
            })
        })
        .collect();
    let path: Vec<_> = report
        .critical_path
        .iter()
        .map(|s| {
            json!({
                "rank": s.rank,
                "node": s.task,
                "kind": s.kind,
                "start_ps": s.start.as_ps(),
                "end_ps": s.end.as_ps(),
            })
        })
        .collect();
    let collectives: Vec<_> = report
        .collectives
        .iter()
        .map(|c| {
            json!({
                "node": c.task,
                "collective": c.collective,
                "algorithm": c.algorithm,
                "group": c.group,
                "group_size": c.group_size,
                "bytes": c.bytes.0,
                "time_ps": c.time.as_ps(),
                "busbw_gbps": c.busbw_gbps,
            })
        })
        .collect();
    let links: Vec<_> = report
        .links
        .iter()
        .map(|l| {
            json!({
                "link": l.link,
                "class": l.class,
                "bytes": l.bytes,
                "busy_ps": l.busy.as_ps(),
                "utilisation": l.utilisation(report.step_time),
            })
        })
        .collect();
    json!({
        "workload": report.name,
        "topology": report.topology,
        "world_size": report.world_size,
        "model": network.to_string(),
        "step_time_ps": report.step_time.as_ps(),
        "events": report.events,
        "ranks": ranks,
        "critical_path": path,
        "collectives": collectives,
        "links": links,
        "unused": unused,
    })
    .to_string()
}
