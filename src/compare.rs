//! `kernbench compare A B`: two sweeps' results side by side, point by point, for "what does
//! the new board buy us?".
//!
//! Points are matched on their whole key (topology, collective, algorithm, memory, size,
//! channels, chunk size, groups) when any point matches so: two sweeps of the same
//! topology names, one of them edited. When none does and each side holds one topology, they
//! are matched on everything but the machine (topology, world size, and a group of every rank
//! matching a group of every rank): one machine against another. Two sweeps of one network
//! model each, different (a flow-model sweep and the packet sweep of the same points), are
//! tried first on everything but the model. Anything else has nothing
//! in common and is bad input. Points of one side only are listed after the table. Two
//! workload sweeps are compared by [`crate::compare_workloads`].

use std::path::{Path, PathBuf};

use clap::Args;
use kernbench_reports::{
    ReportError, ResultRow, RowStatus, human_bandwidth_gbps, human_time_ns, merge, read_csv,
    read_jsonl,
};
use serde::Serialize;

use crate::compare_match::{self, Matching};
use crate::label::{point_label, point_label_without_topology};
use crate::{Failure, print};

/// Flags of `kernbench compare`.
#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// The baseline: a sweep's --out folder, or its results.jsonl or results.csv (a
    /// workload sweep's: its workloads.jsonl or workloads.csv).
    #[arg(value_name = "A")]
    a: PathBuf,
    /// The configuration compared with it, given the same way.
    #[arg(value_name = "B")]
    b: PathBuf,
    /// Print one JSON object per point (JSON Lines) instead of the table.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV instead of the table: a header, then one row per point.
    #[arg(long)]
    csv: bool,
}

/// What to give instead, for every message about a file that is not a sweep's results.
const GIVE: &str = "give a sweep's --out folder, or its results.jsonl or results.csv";

/// `kernbench compare`.
pub(crate) fn compare(args: &CompareArgs) -> Result<(), Failure> {
    use crate::compare_workloads::{self, is_workload_sweep};
    match (is_workload_sweep(&args.a), is_workload_sweep(&args.b)) {
        (true, true) => return compare_workloads::compare(&args.a, &args.b, args.json, args.csv),
        (true, false) | (false, true) => {
            let (work, other) = if is_workload_sweep(&args.a) {
                (&args.a, &args.b)
            } else {
                (&args.b, &args.a)
            };
            return Err(Failure::BadInput(format!(
                "{} holds a workload sweep and {} does not; compare two sweeps of collectives \
                 or two workload sweeps",
                work.display(),
                other.display()
            )));
        }
        (false, false) => {}
    }
    let a = Side::read(&args.a)?;
    let b = Side::read(&args.b)?;
    let what = "collectives, algorithms, sizes and memories";
    let comparison = Comparison::of(&a, &b, what)?;
    print_as(
        (args.json, args.csv),
        &comparison.points,
        |p| serde_json::to_string(&p.json()),
        |p, w| w.serialize(p.csv()),
        || {
            let header = [
                "point",
                "time A",
                "time B",
                "time B/A",
                "busbw A",
                "busbw B",
                "busbw B/A",
            ];
            comparison.table(
                (&a, &b),
                "matched on every field of the point",
                header,
                Compared::label,
                |point, ra, rb| {
                    [
                        time_cell(ra),
                        time_cell(rb),
                        ratio_cell(point.time_ratio()),
                        busbw_cell(ra),
                        busbw_cell(rb),
                        ratio_cell(point.busbw_ratio()),
                    ]
                },
            )
        },
    )
}

/// Prints compared `points` as JSON lines (`json`), CSV (`csv`, a header then a row per
/// point) or else the text `table`.
pub(crate) fn print_as<P>(
    (json, csv): (bool, bool),
    points: &[P],
    json_line: impl Fn(&P) -> serde_json::Result<String>,
    csv_row: impl Fn(&P, &mut csv::Writer<Vec<u8>>) -> csv::Result<()>,
    table: impl FnOnce() -> String,
) -> Result<(), Failure> {
    if json {
        let mut out = String::new();
        for point in points {
            let line = json_line(point)
                .map_err(|e| Failure::Internal(format!("cannot encode a compared point: {e}")))?;
            out.push_str(&line);
            out.push('\n');
        }
        print(&out)
    } else if csv {
        let internal = |e: csv::Error| Failure::Internal(format!("cannot write CSV: {e}"));
        let mut writer = csv::Writer::from_writer(Vec::new());
        for point in points {
            csv_row(point, &mut writer).map_err(internal)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| Failure::Internal(format!("cannot write CSV: {e}")))?;
        print(&String::from_utf8_lossy(&bytes))
    } else {
        print(&table())
    }
}

/// One side of the comparison: the rows of one sweep.
type Side = compare_match::Side<ResultRow>;

impl Side {
    /// Reads a sweep's `--out` folder (its results.jsonl, else its results.csv), or one of
    /// those files.
    fn read(path: &Path) -> Result<Side, Failure> {
        let file = if path.is_dir() {
            let jsonl = path.join("results.jsonl");
            let csv = path.join("results.csv");
            if jsonl.is_file() {
                jsonl
            } else if csv.is_file() {
                csv
            } else {
                return Err(Failure::BadInput(format!(
                    "{} has no results.jsonl or results.csv; {GIVE}",
                    path.display()
                )));
            }
        } else if path.exists() {
            path.to_path_buf()
        } else {
            return Err(Failure::BadInput(format!(
                "{}: no such file or folder; {GIVE}",
                path.display()
            )));
        };
        let name = file.to_string_lossy();
        let rows = if name.ends_with(".csv") {
            read_csv::<ResultRow>(&file)
        } else if name.ends_with(".jsonl") {
            read_jsonl::<ResultRow>(&file)
        } else {
            return Err(Failure::BadInput(format!(
                "{}: not a results file (its name ends in neither .jsonl nor .csv); {GIVE}",
                file.display()
            )));
        }
        .map_err(|e| not_results(&file, e))?;
        if rows.is_empty() {
            return Err(Failure::BadInput(format!(
                "{} holds no results; {GIVE} of a sweep that ran",
                file.display()
            )));
        }
        // A results.jsonl that a sweep is still appending to may hold a point twice (a re-run
        // after a failed write): the last row wins, as when the sweep finishes.
        Ok(Side {
            file,
            rows: merge([rows]),
        })
    }
}

/// A file of `file` that does not read as a sweep's results.
fn not_results(file: &Path, error: ReportError) -> Failure {
    unreadable(
        file,
        error,
        ("a result row of a sweep", "a sweep's results.csv"),
        GIVE,
    )
}

/// A file that does not read as the rows it should hold: `row` names one of them (`a result
/// row of a sweep`), `csv` the CSV file (`a sweep's results.csv`), `give` what to give.
pub(crate) fn unreadable(
    file: &Path,
    error: ReportError,
    (row, csv): (&str, &str),
    give: &str,
) -> Failure {
    Failure::BadInput(match error {
        ReportError::Json { line, source, .. } => {
            format!("{}:{line}: not {row} ({source}); {give}", file.display())
        }
        ReportError::HeaderMismatch { found, .. } => format!(
            "{}: not {csv}, its header is `{found}`; {give}",
            file.display()
        ),
        ReportError::Csv { source, .. } => {
            format!("{}: not {csv} ({source}); {give}", file.display())
        }
        ReportError::Io { source, .. } => {
            format!("cannot read {}: {source}; {give}", file.display())
        }
        other => other.to_string(),
    })
}

/// One point of either side, or of both.
type Compared<'a> = compare_match::Compared<'a, ResultRow>;

/// The points of two sides, matched.
type Comparison<'a> = compare_match::Comparison<'a, ResultRow>;

impl Compared<'_> {
    /// The point as the table names it (without the topology when matched across machines).
    fn label(&self) -> String {
        match self.matching {
            Matching::Whole => point_label(&self.key),
            Matching::AcrossMachines => point_label_without_topology(&self.key),
            Matching::AcrossModels => point_label(&self.key),
        }
    }

    /// B's time over A's, when both ran.
    fn time_ratio(&self) -> Option<f64> {
        ratio(ok(self.b)?.time_ns?, ok(self.a)?.time_ns?)
    }

    /// B's busbw over A's, when both ran.
    fn busbw_ratio(&self) -> Option<f64> {
        ratio(ok(self.b)?.busbw_gbps?, ok(self.a)?.busbw_gbps?)
    }

    fn json(&self) -> PointJson<'_> {
        PointJson {
            point: self.label(),
            collective: &self.key.collective,
            algorithm: &self.key.algorithm,
            memory: &self.key.memory,
            bytes: self.key.bytes,
            channels: &self.key.channels,
            chunk_bytes: self.key.chunk_bytes,
            group_stride: self.key.group_stride,
            a: self.a.map(SideJson::of),
            b: self.b.map(SideJson::of),
            time_ratio: self.time_ratio(),
            busbw_ratio: self.busbw_ratio(),
        }
    }
}

impl Compared<'_> {
    fn csv(&self) -> PointCsv<'_> {
        PointCsv {
            point: self.label(),
            collective: &self.key.collective,
            algorithm: &self.key.algorithm,
            memory: &self.key.memory,
            bytes: self.key.bytes,
            channels: &self.key.channels,
            chunk_bytes: self.key.chunk_bytes,
            group_stride: self.key.group_stride,
            topology_a: self.a.map(|r| r.topology.as_str()),
            status_a: self.a.map(|r| r.status.as_str()),
            time_ns_a: self.a.and_then(|r| r.time_ns),
            busbw_gbps_a: self.a.and_then(|r| r.busbw_gbps),
            topology_b: self.b.map(|r| r.topology.as_str()),
            status_b: self.b.map(|r| r.status.as_str()),
            time_ns_b: self.b.and_then(|r| r.time_ns),
            busbw_gbps_b: self.b.and_then(|r| r.busbw_gbps),
            time_ratio: self.time_ratio(),
            busbw_ratio: self.busbw_ratio(),
        }
    }
}

/// `row` if it ran to the end.
fn ok(row: Option<&ResultRow>) -> Option<&ResultRow> {
    row.filter(|r| r.status == RowStatus::Ok)
}

/// `numerator / denominator` when both are finite and the denominator is positive.
pub(crate) fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0 && numerator.is_finite() && denominator.is_finite())
        .then(|| numerator / denominator)
}

/// The time of a point that ran, or how it ended.
fn time_cell(row: &ResultRow) -> String {
    match (row.status, row.time_ns) {
        (RowStatus::Ok, Some(t)) => human_time_ns(t),
        (status, _) => status.as_str().to_owned(),
    }
}

fn busbw_cell(row: &ResultRow) -> String {
    match (row.status, row.busbw_gbps) {
        (RowStatus::Ok, Some(b)) => human_bandwidth_gbps(b),
        _ => "-".to_owned(),
    }
}

/// A ratio to three decimals, `-` for none.
pub(crate) fn ratio_cell(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "-".to_owned(), |r| format!("{r:.3}"))
}

/// A line of `compare --json` (docs/formats.md lists the fields).
#[derive(Serialize)]
struct PointJson<'a> {
    point: String,
    collective: &'a str,
    algorithm: &'a str,
    memory: &'a str,
    bytes: u64,
    channels: &'a str,
    chunk_bytes: u64,
    group_stride: u32,
    a: Option<SideJson<'a>>,
    b: Option<SideJson<'a>>,
    time_ratio: Option<f64>,
    busbw_ratio: Option<f64>,
}

/// One side's part of a point in `compare --json`.
#[derive(Serialize)]
struct SideJson<'a> {
    topology: &'a str,
    world_size: u32,
    group_size: u32,
    status: &'static str,
    error: Option<&'a str>,
    time_ns: Option<f64>,
    busbw_gbps: Option<f64>,
}

impl<'a> SideJson<'a> {
    fn of(row: &'a ResultRow) -> SideJson<'a> {
        SideJson {
            topology: &row.topology,
            world_size: row.world_size,
            group_size: row.group_size,
            status: row.status.as_str(),
            error: row.error.as_deref(),
            time_ns: row.time_ns,
            busbw_gbps: row.busbw_gbps,
        }
    }
}

/// A row of `compare --csv` (docs/formats.md lists the columns): the point, each side's
/// topology, status, time and busbw (empty where that side does not have the point), and the
/// ratios (empty unless both ran).
#[derive(Serialize)]
struct PointCsv<'a> {
    point: String,
    collective: &'a str,
    algorithm: &'a str,
    memory: &'a str,
    bytes: u64,
    channels: &'a str,
    chunk_bytes: u64,
    group_stride: u32,
    topology_a: Option<&'a str>,
    status_a: Option<&'static str>,
    time_ns_a: Option<f64>,
    busbw_gbps_a: Option<f64>,
    topology_b: Option<&'a str>,
    status_b: Option<&'static str>,
    time_ns_b: Option<f64>,
    busbw_gbps_b: Option<f64>,
    time_ratio: Option<f64>,
    busbw_ratio: Option<f64>,
}
