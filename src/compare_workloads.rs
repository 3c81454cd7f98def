//! `kernbench compare A B` of two workload sweeps: each point's step time and exposed
//! communication side by side, with B's over A's.
//!
//! Points are matched as collective points are (see [`crate::compare`]): on the whole key
//! (workload, topology, network model) when any point matches so; otherwise, when each side
//! ran one model and they differ, on workload and topology (a flow-model sweep against the
//! packet sweep of the same steps); otherwise, when each side holds one topology, on
//! workload and model (one machine against another). Anything else has nothing in common.

use std::path::Path;

use kernbench_reports::{
    RowStatus, WorkloadRow, human_time_ns, merge_workloads, read_csv, read_jsonl,
};
use serde::Serialize;

use crate::Failure;
use crate::compare::{print_as, ratio, ratio_cell, unreadable};
use crate::compare_match::{self, Matching};
use crate::workload_sweep::{CSV_FILE, JSONL_FILE};

/// What to give, for every message about a file that is not a workload sweep's rows.
const GIVE: &str = "give a workload sweep's --out folder, or its workloads.jsonl or workloads.csv";

/// Whether `path` names a workload sweep: a folder with `workloads.jsonl` or `workloads.csv`
/// and no results of collectives, or one of those two files.
pub(crate) fn is_workload_sweep(path: &Path) -> bool {
    if path.is_dir() {
        let collectives =
            path.join("results.jsonl").is_file() || path.join("results.csv").is_file();
        !collectives && (path.join(JSONL_FILE).is_file() || path.join(CSV_FILE).is_file())
    } else {
        path.file_name()
            .is_some_and(|name| name == JSONL_FILE || name == CSV_FILE)
    }
}

/// `kernbench compare` of two workload sweeps, printed as a table, `--json` lines or `--csv`.
pub(crate) fn compare(a: &Path, b: &Path, json: bool, csv: bool) -> Result<(), Failure> {
    let (a, b) = (Side::read(a)?, Side::read(b)?);
    let comparison = Comparison::of(&a, &b, "workloads")?;
    print_as(
        (json, csv),
        &comparison.points,
        |p| serde_json::to_string(&p.json()),
        |p, w| w.serialize(p.csv()),
        || {
            let header = [
                "point",
                "step A",
                "step B",
                "step B/A",
                "exposed A",
                "exposed B",
                "exposed B/A",
            ];
            comparison.table(
                (&a, &b),
                "matched on workload, topology and model",
                header,
                Compared::label,
                |point, ra, rb| {
                    [
                        cell(ra, ra.step_time_us),
                        cell(rb, rb.step_time_us),
                        ratio_cell(point.step_ratio()),
                        cell(ra, ra.exposed_comm_us),
                        cell(rb, rb.exposed_comm_us),
                        ratio_cell(point.exposed_ratio()),
                    ]
                },
            )
        },
    )
}

/// The rows of one workload sweep.
type Side = compare_match::Side<WorkloadRow>;

impl Side {
    fn read(path: &Path) -> Result<Side, Failure> {
        let file = if path.is_dir() {
            let (jsonl, csv) = (path.join(JSONL_FILE), path.join(CSV_FILE));
            if jsonl.is_file() { jsonl } else { csv }
        } else {
            path.to_path_buf()
        };
        let rows = if file.to_string_lossy().ends_with(".csv") {
            read_csv::<WorkloadRow>(&file)
        } else {
            read_jsonl::<WorkloadRow>(&file)
        }
        .map_err(|e| {
            let what = (
                "a row of a workload sweep",
                "a workload sweep's workloads.csv",
            );
            unreadable(&file, e, what, GIVE)
        })?;
        if rows.is_empty() {
            return Err(Failure::BadInput(format!(
                "{} holds no rows; {GIVE} of a sweep that ran",
                file.display()
            )));
        }
        Ok(Side {
            file,
            rows: merge_workloads([rows]),
        })
    }
}

/// One point of either side, or of both.
type Compared<'a> = compare_match::Compared<'a, WorkloadRow>;

type Comparison<'a> = compare_match::Comparison<'a, WorkloadRow>;

/// A time of `row` in microseconds as the table shows it (three significant digits), or
/// its status when it did not run.
fn cell(row: &WorkloadRow, us: Option<f64>) -> String {
    match (row.status, us) {
        (RowStatus::Ok, Some(us)) => human_time_ns(us * 1e3),
        (status, _) => status.as_str().to_owned(),
    }
}

/// The row when it is `ok`.
fn ok(row: Option<&WorkloadRow>) -> Option<&WorkloadRow> {
    row.filter(|r| r.status == RowStatus::Ok)
}

impl Compared<'_> {
    /// `dp-step on ring8 (packet)`; without the model when matched across models, without
    /// the topology when matched across machines.
    fn label(&self) -> String {
        let k = &self.key;
        match self.matching {
            Matching::Whole => format!("{} on {} ({})", k.workload, k.topology, k.model),
            Matching::AcrossModels => format!("{} on {}", k.workload, k.topology),
            Matching::AcrossMachines => format!("{} ({})", k.workload, k.model),
        }
    }

    fn step_ratio(&self) -> Option<f64> {
        ratio(ok(self.b)?.step_time_us?, ok(self.a)?.step_time_us?)
    }

    fn exposed_ratio(&self) -> Option<f64> {
        ratio(ok(self.b)?.exposed_comm_us?, ok(self.a)?.exposed_comm_us?)
    }

    fn json(&self) -> PointJson<'_> {
        PointJson {
            point: self.label(),
            workload: &self.key.workload,
            a: self.a.map(SideJson::of),
            b: self.b.map(SideJson::of),
            step_time_ratio: self.step_ratio(),
            exposed_comm_ratio: self.exposed_ratio(),
        }
    }

    fn csv(&self) -> PointCsv<'_> {
        PointCsv {
            point: self.label(),
            workload: &self.key.workload,
            topology_a: self.a.map(|r| r.topology.as_str()),
            model_a: self.a.map(|r| r.model.as_str()),
            status_a: self.a.map(|r| r.status.as_str()),
            step_time_us_a: self.a.and_then(|r| r.step_time_us),
            exposed_comm_us_a: self.a.and_then(|r| r.exposed_comm_us),
            topology_b: self.b.map(|r| r.topology.as_str()),
            model_b: self.b.map(|r| r.model.as_str()),
            status_b: self.b.map(|r| r.status.as_str()),
            step_time_us_b: self.b.and_then(|r| r.step_time_us),
            exposed_comm_us_b: self.b.and_then(|r| r.exposed_comm_us),
            step_time_ratio: self.step_ratio(),
            exposed_comm_ratio: self.exposed_ratio(),
        }
    }
}

/// One point of `compare --json` of workload sweeps.
#[derive(Serialize)]
struct PointJson<'a> {
    point: String,
    workload: &'a str,
    a: Option<SideJson<'a>>,
    b: Option<SideJson<'a>>,
    step_time_ratio: Option<f64>,
    exposed_comm_ratio: Option<f64>,
}

/// One side's row of a point, as `workloads.csv` has it.
#[derive(Serialize)]
struct SideJson<'a> {
    topology: &'a str,
    model: &'a str,
    status: &'a str,
    error: Option<&'a str>,
    step_time_us: Option<f64>,
    exposed_comm_us: Option<f64>,
}

impl<'a> SideJson<'a> {
    fn of(row: &'a WorkloadRow) -> SideJson<'a> {
        SideJson {
            topology: &row.topology,
            model: &row.model,
            status: row.status.as_str(),
            error: row.error.as_deref(),
            step_time_us: row.step_time_us,
            exposed_comm_us: row.exposed_comm_us,
        }
    }
}

/// One row of `compare --csv` of workload sweeps.
#[derive(Serialize)]
struct PointCsv<'a> {
    point: String,
    workload: &'a str,
    topology_a: Option<&'a str>,
    model_a: Option<&'a str>,
    status_a: Option<&'a str>,
    step_time_us_a: Option<f64>,
    exposed_comm_us_a: Option<f64>,
    topology_b: Option<&'a str>,
    model_b: Option<&'a str>,
    status_b: Option<&'a str>,
    step_time_us_b: Option<f64>,
    exposed_comm_us_b: Option<f64>,
    step_time_ratio: Option<f64>,
    exposed_comm_ratio: Option<f64>,
}
