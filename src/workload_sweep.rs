//! `kernbench sweep` of a workload sweep: every (workload, topology) point in parallel, as
//! collective points run, rows streamed to `workloads.csv` and `workloads.jsonl` as points
//! finish (so an interrupted sweep resumes), then the files rewritten in point order and the
//! table printed. `kernbench merge` joins such folders too ([`finish`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use kernbench_algorithms::CollectiveError;
use kernbench_algorithms::workload::{WorkloadOptions, WorkloadReport, run_workload_on};
use kernbench_model::{NetworkModel, Topology};
use kernbench_reports::{
    CsvWriter, JsonlWriter, ReportError, RowStatus, WorkloadKey, WorkloadRow, merge_workloads,
    plot_workloads, read_jsonl, workload_table, write_csv, write_jsonl,
};

use crate::progress::{Done, plan, run_points};
use crate::sweep_folder::{Folder, output_failure, read_failure, write_failure};
use crate::workload_file::load_any;
use crate::workload_plan::{WorkloadPoint, WorkloadSweep};
use crate::{Failure, print};

/// The rows of a workload sweep, one CSV row per point.
pub(crate) const CSV_FILE: &str = "workloads.csv";
/// The same rows, one JSON object per line: the file a resumed sweep reads.
pub(crate) const JSONL_FILE: &str = "workloads.jsonl";

/// The key a point's row will have.
fn key_of(sweep: &WorkloadSweep, point: &WorkloadPoint) -> WorkloadKey {
    WorkloadKey {
        workload: sweep.workloads[point.workload].name.clone(),
        topology: sweep.topologies[point.topology].1.name.clone(),
        model: point.model.to_string(),
    }
}

/// How a point is named in the progress: `dp-step on ring8`, ` (flow model)` after it for
/// the flow model.
fn label_of(key: &WorkloadKey) -> String {
    let model = if key.model == NetworkModel::Packet.to_string() {
        String::new()
    } else {
        format!(" ({} model)", key.model)
    };
    format!("{} on {}{model}", key.workload, key.topology)
}

/// Runs shard `shard` of `shards` of `sweep` into `out` (which exists), skipping the points
/// already in its `workloads.jsonl`.
pub(crate) fn run(
    sweep: &WorkloadSweep,
    out: &Path,
    (shard, shards): (usize, usize),
) -> Result<(), Failure> {
    let results = out.join(JSONL_FILE);
    let done: BTreeSet<WorkloadKey> = if results.exists() {
        read_jsonl::<WorkloadRow>(&results)
            .map_err(|e| read_failure(e, "result", Folder::SweepOut))?
            .iter()
            .map(WorkloadRow::key)
            .collect()
    } else {
        BTreeSet::new()
    };
    let work = |p: &WorkloadPoint| {
        let packet = sweep.topologies[p.topology].1.packet_size.0;
        sweep.workloads[p.workload].work.on(p.world_size, packet)
    };
    let (mine, todo) = plan(
        &format!("{}: {},", sweep.name, sweep.shape()),
        &sweep.points,
        (shard, shards),
        |p| done.contains(&key_of(sweep, p)),
        work,
        out,
    );
    let mut writers = Writers {
        csv: CsvWriter::open_append(out.join(CSV_FILE)).map_err(output_failure)?,
        results: JsonlWriter::open_append(&results).map_err(output_failure)?,
    };
    let (committed, failure) = run_points(
        &todo,
        work,
        |p| label_of(&key_of(sweep, p)),
        |p| run_point(sweep, p),
        done_of,
        |row| writers.commit(row),
    );
    if let Some(e) = failure {
        return Err(write_failure(
            e,
            &results,
            mine.len() - todo.len() + committed,
            mine.len(),
        ));
    }
    drop(writers);
    finish(out, &[out.to_path_buf()], Folder::SweepOut)
}

/// The files a workload sweep appends to. A point is done once its row is in
/// `workloads.jsonl`, written after `workloads.csv`: a crash between the two leaves a CSV
/// row of a point that runs again, and [`finish`] rewrites the CSV from the JSON rows.
struct Writers {
    csv: CsvWriter<WorkloadRow>,
    results: JsonlWriter<WorkloadRow>,
}

impl Writers {
    fn commit(&mut self, row: &WorkloadRow) -> Result<(), ReportError> {
        self.csv.append(row)?;
        self.results.append(row)?;
        Ok(())
    }
}

/// Joins the workload rows of `dirs` into `out`: `workloads.csv` and `workloads.jsonl`
/// rewritten in point order (so the same sweep writes the same bytes however its points were
/// scheduled) and a plot per workload, then the table and what was written, printed.
pub(crate) fn finish(out: &Path, dirs: &[PathBuf], inputs: Folder) -> Result<(), Failure> {
    let mut shards = Vec::new();
    for dir in dirs {
        let rows = read_jsonl::<WorkloadRow>(dir.join(JSONL_FILE))
            .map_err(|e| read_failure(e, "result", inputs))?;
        shards.push(rows);
    }
    let rows = merge_workloads(shards);
    write_jsonl(out.join(JSONL_FILE), &rows).map_err(output_failure)?;
    write_csv(out.join(CSV_FILE), &rows).map_err(output_failure)?;
    let plots = plot_workloads(&rows, out).map_err(output_failure)?;
    let ok = rows.iter().filter(|r| r.status == RowStatus::Ok).count();
    print(&format!(
        "{}\n{} points ({ok} ok, {} failed or unsupported) in {}\n  {}\n  {}\n  {} plots\n",
        workload_table(&rows),
        rows.len(),
        rows.len() - ok,
        out.display(),
        out.join(CSV_FILE).display(),
        out.join(JSONL_FILE).display(),
        plots.len()
    ))
}

/// Runs one point; never fails: an error becomes a failed or unsupported row with its
/// reason. A workload that does not fit the topology ([`Workload::check_on`]) is
/// unsupported; one that runs and fails (a deadlock, the time limit, a buffer that does not
/// fit) is failed.
///
/// [`Workload::check_on`]: kernbench_algorithms::workload::Workload::check_on
fn run_point(sweep: &WorkloadSweep, point: &WorkloadPoint) -> WorkloadRow {
    let mut row = WorkloadRow::for_point(key_of(sweep, point), point.world_size);
    let not_ok = |status: RowStatus, reason: String| WorkloadRow {
        status,
        error: Some(reason),
        ..row.clone()
    };
    // Loaded in this thread (see `WorkloadSweep`); the file was checked when the sweep was.
    let loaded = match load_any(
        &sweep.workloads[point.workload].path,
        sweep.peak_flops.as_deref(),
    ) {
        Ok(loaded) => loaded,
        Err(e) => return not_ok(RowStatus::Failed, failure_text(e)),
    };
    let (path, spec) = &sweep.topologies[point.topology];
    let topology = match Topology::from_spec(spec.clone(), &path.display().to_string()) {
        Ok(topology) => Rc::new(topology),
        Err(e) => return not_ok(RowStatus::Failed, e.to_string()),
    };
    // As a collective an algorithm refuses: a sweep crosses every workload with every
    // topology, so a pairing that does not fit is a row, not an error.
    if let Err(e) = loaded.workload.check_on(&topology) {
        return not_ok(RowStatus::Unsupported, e.to_string());
    }
    let options = WorkloadOptions {
        network: point.model,
        trace: false,
        time_limit: sweep.time_limit,
    };
    match run_workload_on(topology, &loaded.workload, options) {
        Ok((report, _)) => {
            fill(&mut row, &report);
            row
        }
        Err(e) => WorkloadRow {
            status: RowStatus::Failed,
            error: Some(reason_of(e)),
            ..row
        },
    }
}

/// Fills `row`'s measurements from a run that completed.
fn fill(row: &mut WorkloadRow, report: &WorkloadReport) {
    let us = |t: kernbench_engine::SimTime| t.as_ps() as f64 / 1e6;
    row.step_time_us = Some(us(report.step_time));
    // The first rank to finish last, as `kernbench workload` names the slowest.
    if let Some(slowest) = report.ranks.iter().rev().max_by_key(|r| r.finish) {
        row.slowest_rank = Some(slowest.rank);
        row.compute_us = Some(us(slowest.compute));
        row.exposed_comm_us = Some(us(slowest.exposed_comm));
        row.overlapped_comm_us = Some(us(slowest.overlapped_comm));
        row.copy_us = Some(us(slowest.copy));
    }
    row.max_exposed_comm_us = report
        .ranks
        .iter()
        .map(|r| us(r.exposed_comm))
        .reduce(f64::max);
    if let Some(busiest) = report.links.first() {
        row.busiest_link = Some(busiest.link.clone());
        row.busiest_link_utilisation = Some(busiest.utilisation(report.step_time));
    }
    row.events = Some(report.events);
}

/// Why a run failed, in a line: a stall briefly (when, how many blocked, its first cause or
/// else the first wait), since the whole report is what `kernbench workload` prints.
fn reason_of(error: CollectiveError) -> String {
    match error {
        CollectiveError::Deadlock(report) => {
            let blocked: Vec<_> = report.blocked.iter().filter(|b| !b.daemon).collect();
            let cause = report.notes.iter().find(|n| n.starts_with("cause: "));
            let first = match cause {
                Some(cause) => format!("; {cause}"),
                None => blocked
                    .first()
                    .and_then(|b| b.waits.first())
                    .map(|w| format!(", the first: {}", w.label))
                    .unwrap_or_default(),
            };
            format!(
                "deadlock at {}: {} process{} blocked{first}; `kernbench workload` prints the \
                 whole report",
                report.time,
                blocked.len(),
                if blocked.len() == 1 { "" } else { "es" },
            )
        }
        CollectiveError::TimeLimit { limit, events } => format!(
            "had not finished by the time limit {limit} ({events} events); raise time_limit"
        ),
        other => {
            let message = other.to_string();
            message.lines().take(2).collect::<Vec<_>>().join(" ")
        }
    }
}

/// The message of a failure, for a row.
fn failure_text(failure: Failure) -> String {
    match failure {
        Failure::BadInput(m)
        | Failure::Deadlock(m)
        | Failure::Limit(m)
        | Failure::Internal(m)
        | Failure::Environment(m) => m,
        Failure::BadInputReported => "bad input".to_string(),
    }
}

/// How the progress shows a finished point.
fn done_of(row: &WorkloadRow) -> Done {
    let outcome = match (row.status, row.step_time_us) {
        (RowStatus::Ok, Some(step)) => format!("step {step:.3} us"),
        (status, _) => format!(
            "{} ({})",
            status.as_str(),
            row.error.as_deref().unwrap_or("")
        ),
    };
    Done {
        label: label_of(&row.key()),
        ran: row.status == RowStatus::Ok,
        events: row.events.unwrap_or(0),
        outcome,
    }
}
