//! `kernbench sweep` and `kernbench merge`: run a sweep's points in parallel, stream their
//! rows to disk, and write the tables and plots.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use clap::Args;
use kernbench_algorithms::{
    Collective, CollectiveError, Groups, Pairs, RingInOrder, RunConfig, RunReport, run_collective,
};
use kernbench_model::{Bytes, ReduceOp, Topology};
use kernbench_reports::{
    CsvWriter, JsonlWriter, LinkUsage, PlotOptions, ReportError, ResultRow, RowKey, RowStatus,
    complete_link_groups, merge, plot_busbw, plot_latency, plot_link_utilisation, read_jsonl,
    write_csv, write_jsonl, write_summary,
};
use petgraph::graph::EdgeIndex;

use crate::eta::point_work;
use crate::label::point_label;
use crate::progress::{Done, plan, run_points};
use crate::result::group_stride;
use crate::sweep_folder::{Folder, output_failure, read_failure, write_failure};
use crate::sweep_spec::{Plan, Point, Sweep};
use crate::{Failure, print};

/// The bundled sweep, run when no file is given.
const DEFAULT_SWEEP: &str = "topologies/default.sweep.ron";

/// Flags of `kernbench sweep`.
#[derive(Debug, Args)]
pub(crate) struct SweepArgs {
    /// The sweep file (RON); the bundled topologies/default.sweep.ron if left out.
    #[arg(value_name = "SWEEP.ron")]
    file: Option<PathBuf>,
    /// Where results, tables and plots go. Points already in its results.jsonl (a workload
    /// sweep's: workloads.jsonl) are skipped.
    #[arg(long, value_name = "DIR", default_value = "kernbench-out")]
    out: PathBuf,
    /// Run only every N-th point starting at K (0-based), e.g. 2/8 for the third of 8
    /// shards; join the shards' folders with `kernbench merge`.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
}

/// Flags of `kernbench merge`.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// Output folders of sweep shards.
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Where the merged results, tables and plots go.
    #[arg(long, value_name = "DIR", default_value = "kernbench-merged")]
    out: PathBuf,
}

fn parse_shard(text: &str) -> Result<(usize, usize), Failure> {
    let bad = || {
        Failure::BadInput(format!(
            "--shard: \"{text}\" is not K/N with 0 <= K < N, e.g. 0/4"
        ))
    };
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || k >= n {
        return Err(bad());
    }
    Ok((k, n))
}

/// The key a point's row will have.
fn key_of(point: &Point) -> RowKey {
    RowKey {
        topology: point.topology_name.clone(),
        collective: point.collective.to_string(),
        memory: point.memory.to_string(),
        algorithm: point.algorithm.to_string(),
        bytes: point.bytes,
        world_size: point.world_size,
        channels: point.channels.to_string(),
        chunk_bytes: point.chunk.0,
        group_size: point.groups.size(point.world_size),
        group_stride: group_stride(point.groups),
        model: point.model.to_string(),
    }
}

/// `kernbench sweep`: a sweep of collectives, or of workloads (a file with `workloads`).
pub(crate) fn sweep(args: &SweepArgs) -> Result<(), Failure> {
    let file = args
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SWEEP));
    let plan = Plan::load(&file)?;
    let shard = match &args.shard {
        Some(text) => parse_shard(text)?,
        None => (0, 1),
    };
    std::fs::create_dir_all(&args.out).map_err(|e| {
        Failure::BadInput(format!(
            "cannot create {}: {e}; choose another --out",
            args.out.display()
        ))
    })?;
    match plan {
        Plan::Collectives(sweep) => sweep_collectives(&sweep, &args.out, shard),
        Plan::Workloads(sweep) => crate::workload_sweep::run(&sweep, &args.out, shard),
    }
}

/// Runs shard `shard` of `shards` of a sweep of collectives into `out` (which exists),
/// skipping the points already in its results.jsonl.
fn sweep_collectives(
    sweep: &Sweep,
    out: &Path,
    (shard, shards): (usize, usize),
) -> Result<(), Failure> {
    let results = out.join("results.jsonl");
    let done_rows: Vec<ResultRow> = if results.exists() {
        read_jsonl::<ResultRow>(&results)
            .map_err(|e| read_failure(e, "result", Folder::SweepOut))?
    } else {
        Vec::new()
    };
    upgrade_csv_without_model(&out.join("results.csv"), &done_rows)?;
    let done: BTreeSet<RowKey> = done_rows.iter().map(ResultRow::key).collect();
    // Read now, so that a corrupt links.jsonl is refused before the points run, not after.
    let link_file = out.join("links.jsonl");
    if link_file.exists() {
        read_jsonl::<LinkUsage>(&link_file)
            .map_err(|e| read_failure(e, "link", Folder::SweepOut))?;
    }
    let work = |p: &Point| {
        let packet = sweep.topologies[p.topology].1.packet_size.0;
        point_work(p.bytes, packet, p.world_size)
    };
    let (mine, todo) = plan(
        &format!("{}:", sweep.name),
        &sweep.points,
        (shard, shards),
        |p| done.contains(&key_of(p)),
        work,
        out,
    );
    let crash_after = crash_after_link_rows()?;
    let mut writers = Writers {
        links: JsonlWriter::open_append(&link_file).map_err(output_failure)?,
        csv: CsvWriter::open_append(out.join("results.csv")).map_err(output_failure)?,
        results: JsonlWriter::open_append(&results).map_err(output_failure)?,
        with_links: 0,
        crash_after,
    };
    let largest = sweep.points.iter().map(|p| p.bytes).max().unwrap_or(0);
    let (committed, failure) = run_points(
        &todo,
        work,
        |p| point_label(&key_of(p)),
        |p| run_point(sweep, p, largest),
        |(row, _)| done_of(row),
        |(row, links)| writers.commit(row, links),
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

/// Rewrites a results.csv written before the `model` column existed (its header is today's
/// without `model`) from the committed rows of results.jsonl, which read as the packet model
/// they ran: such a folder resumes, as the only column added since needs no guess. Other
/// headers are left for [`CsvWriter::open_append`] to refuse.
fn upgrade_csv_without_model(csv: &Path, rows: &[ResultRow]) -> Result<(), Failure> {
    let Ok(text) = std::fs::read_to_string(csv) else {
        return Ok(());
    };
    let header = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    let before_model: Vec<&str> = <ResultRow as kernbench_reports::Record>::FIELDS
        .iter()
        .copied()
        .filter(|f| *f != "model")
        .collect();
    if header == before_model.join(",") {
        write_csv(csv, rows).map_err(output_failure)?;
    }
    Ok(())
}

/// The files a sweep appends to, and what it has committed to them.
///
/// A point is done when its row is in results.jsonl, which a resumed sweep reads; so that
/// "done" means "everything it produces is on disk", a point's rows are written links first,
/// then results.csv, then results.jsonl last, as the commit marker. A crash or a failed write
/// in between leaves link rows (and perhaps a CSV row) of a point that is not done: it runs
/// again, and [`finish`] keeps only the link rows of points with a result row, once each.
struct Writers {
    links: JsonlWriter<LinkUsage>,
    csv: CsvWriter<ResultRow>,
    results: JsonlWriter<ResultRow>,
    /// Points of this run whose link rows are written.
    with_links: usize,
    /// The test hook of [`crash_after_link_rows`].
    crash_after: Option<usize>,
}

impl Writers {
    /// Writes one point's rows in commit order (see [`Writers`]).
    fn commit(&mut self, row: &ResultRow, links: &[LinkUsage]) -> Result<(), ReportError> {
        if !links.is_empty() {
            links.iter().try_for_each(|l| self.links.append(l))?;
            // On disk before the row that marks the point done, even across a power loss.
            self.links.sync()?;
            self.with_links += 1;
            if self.crash_after == Some(self.with_links) {
                std::process::abort();
            }
        }
        self.csv.append(row)?;
        self.results.append(row)?;
        Ok(())
    }
}

/// The name of the test hook below.
const CRASH_AFTER_LINK_ROWS: &str = "KERNBENCH_TEST_CRASH_AFTER_LINK_ROWS";

/// A test hook, and the only place it is read: with `KERNBENCH_TEST_CRASH_AFTER_LINK_ROWS=N`
/// in the environment, `kernbench sweep` aborts the process (`std::process::abort`, as a
/// kill would stop it) right after the N-th point of this run with link rows has written
/// them, before its result row: the crash that tests of resuming need. Unset, it does nothing.
fn crash_after_link_rows() -> Result<Option<usize>, Failure> {
    match std::env::var(CRASH_AFTER_LINK_ROWS) {
        Err(_) => Ok(None),
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(Failure::BadInput(format!(
                "{CRASH_AFTER_LINK_ROWS}: \"{text}\" is not a count of points (1 or more); \
                 unset it, it is a test hook"
            ))),
        },
    }
}

/// `kernbench merge`: the collective rows (`results.jsonl`) of the folders that have them,
/// and the workload rows (`workloads.jsonl`) of those that have them.
pub(crate) fn merge_dirs(args: &MergeArgs) -> Result<(), Failure> {
    let has = |dir: &PathBuf, name: &str| dir.join(name).exists();
    for dir in &args.dirs {
        if !has(dir, "results.jsonl") && !has(dir, crate::workload_sweep::JSONL_FILE) {
            return Err(Failure::BadInput(format!(
                "{} has no results.jsonl or {}; give the --out folders of sweep shards",
                dir.display(),
                crate::workload_sweep::JSONL_FILE
            )));
        }
    }
    std::fs::create_dir_all(&args.out).map_err(|e| {
        Failure::BadInput(format!(
            "cannot create {}: {e}; choose another --out",
            args.out.display()
        ))
    })?;
    let of = |name: &str| -> Vec<PathBuf> {
        args.dirs.iter().filter(|d| has(d, name)).cloned().collect()
    };
    let (collectives, workloads) = (of("results.jsonl"), of(crate::workload_sweep::JSONL_FILE));
    if !collectives.is_empty() {
        finish(&args.out, &collectives, Folder::Shard)?;
    }
    if !workloads.is_empty() {
        crate::workload_sweep::finish(&args.out, &workloads, Folder::Shard)?;
    }
    Ok(())
}

/// Joins the rows of `dirs` (one row per point) into `out`: results.csv and results.jsonl
/// rewritten in point order (so the same sweep gives the same bytes however its points were
/// scheduled), links.jsonl, summary.md and the plots.
fn finish(out: &Path, dirs: &[PathBuf], inputs: Folder) -> Result<(), Failure> {
    let mut shards = Vec::new();
    let mut links: Vec<LinkUsage> = Vec::new();
    for dir in dirs {
        let rows = read_jsonl::<ResultRow>(dir.join("results.jsonl"))
            .map_err(|e| read_failure(e, "result", inputs))?;
        let link_file = dir.join("links.jsonl");
        if link_file.exists() {
            // Link rows count only for points that are done in the same folder: the others
            // are left by a crash or a failed write before their result row (see `Writers`).
            let done: BTreeSet<LinkPoint<'_>> = rows
                .iter()
                .map(|r| {
                    (
                        r.topology.as_str(),
                        r.collective.as_str(),
                        r.memory.as_str(),
                        r.algorithm.as_str(),
                        r.bytes,
                        r.channels.as_str(),
                        r.chunk_bytes,
                        r.group_size,
                        r.group_stride,
                        r.model.as_str(),
                    )
                })
                .collect();
            let mut read =
                read_jsonl::<LinkUsage>(link_file).map_err(|e| read_failure(e, "link", inputs))?;
            complete_link_groups(&mut read, &rows);
            links.extend(read.into_iter().filter(|l| done.contains(&link_key(l).0)));
        }
        shards.push(rows);
    }
    let rows = merge(shards);
    // One row per link of a point, the last written (a re-run's) winning, as with results:
    // reversed, a stable sort keeps the last first among equals, and dedup keeps the first.
    links.reverse();
    links.sort_by(|a, b| link_key(a).cmp(&link_key(b)));
    links.dedup_by(|a, b| link_key(a) == link_key(b));
    write_jsonl(out.join("results.jsonl"), &rows).map_err(output_failure)?;
    write_csv(out.join("results.csv"), &rows).map_err(output_failure)?;
    write_jsonl(out.join("links.jsonl"), &links).map_err(output_failure)?;
    let summary = write_summary(&rows, out).map_err(output_failure)?;
    let options = PlotOptions::default();
    let mut plots = plot_latency(&rows, out).map_err(output_failure)?;
    plots.extend(plot_busbw(&rows, out).map_err(output_failure)?);
    plots.extend(plot_link_utilisation(&links, 12, out, &options).map_err(output_failure)?);
    let (ok, other) = rows.iter().fold((0, 0), |(ok, other), r| {
        if r.status == RowStatus::Ok {
            (ok + 1, other)
        } else {
            (ok, other + 1)
        }
    });
    print(&format!(
        "{} points ({ok} ok, {other} failed or unsupported) in {}\n  {}\n  {}\n  {}\n  {} plots\n",
        rows.len(),
        out.display(),
        out.join("results.csv").display(),
        out.join("results.jsonl").display(),
        summary.display(),
        plots.len()
    ))
}

/// The point a link row belongs to: topology, collective, memory, algorithm, size,
/// channels, chunk size, group size, stride and network model (a topology name fixes the world size).
/// Channels sort as text here: this key only finds and deduplicates, the link file's order
/// is by it but no reader depends on that order.
type LinkPoint<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    u64,
    &'a str,
    u64,
    u32,
    u32,
    &'a str,
);

/// The identity of a link row: its point and the link. The collective is in it so that the
/// all-gather rows of a point do not replace the all-reduce rows of the same algorithm,
/// memory and size.
fn link_key(l: &LinkUsage) -> (LinkPoint<'_>, &str) {
    (
        (
            &l.topology,
            &l.collective,
            &l.memory,
            &l.algorithm,
            l.bytes,
            &l.channels,
            l.chunk_bytes,
            l.group_size,
            l.group_stride,
            &l.model,
        ),
        &l.link,
    )
}

/// Runs one point; never fails: an error becomes a failed or unsupported row with its reason.
fn run_point(sweep: &Sweep, point: &Point, largest: u64) -> (ResultRow, Vec<LinkUsage>) {
    let (path, spec) = &sweep.topologies[point.topology];
    let config = RunConfig {
        collective: point.collective,
        algorithm: match &point.ring_order {
            Some(order) => Rc::new(RingInOrder::new(order.to_vec())),
            None => point.algorithm.into(),
        },
        bytes: Bytes(point.bytes),
        memory: point.memory,
        verify: sweep.verify,
        op: ReduceOp::Sum,
        root: 0,
        chunk: point.chunk,
        channels: point.channels,
        time_limit: sweep.time_limit,
        trace: false,
        pairs: Pairs::Forward,
        groups: point.groups,
        sizes: None,
        network: point.model,
    };
    let mut config = config;
    if point.collective == Collective::AllToAllv {
        let (distribution, seed) = &sweep.distribution;
        let n = point.groups.size(point.world_size);
        match crate::matrix_file::generate(distribution, n, point.bytes, *seed) {
            Ok(sizes) => config.sizes = Some(sizes),
            Err(e) => {
                let mut row = ResultRow::for_point(key_of(point));
                row.status = RowStatus::Unsupported;
                row.error = Some(e);
                return (row, Vec::new());
            }
        }
    }
    // Wall time stays out of the row so that the same sweep writes the same bytes.
    let mut row = ResultRow::for_point(key_of(point));
    if point.ring_order.is_some() && point.groups != Groups::World {
        // As `run --ring-order` with `--group-size`: the order is of the machine's ranks.
        row.status = RowStatus::Unsupported;
        row.error = Some(format!(
            "the sweep's ring order of {} names every rank of the machine, so it runs only \
             with group size all",
            point.topology_name
        ));
        return (row, Vec::new());
    }
    let topology = Topology::from_spec(spec.clone(), &path.display().to_string()).map(Rc::new);
    let result = match topology {
        Ok(topology) => run_collective(topology.clone(), &config).map(|r| (r, topology)),
        Err(e) => Err(CollectiveError::from(e)),
    };
    match result {
        Ok((report, topology)) => {
            crate::result::fill(&mut row, &report);
            let links = if point.bytes == largest {
                link_usage(&topology, point, &report)
            } else {
                Vec::new()
            };
            (row, links)
        }
        // A split into groups that does not fit the topology is refused like an algorithm
        // that does not fit it: a sweep crosses its group sizes with every topology.
        Err(CollectiveError::Unsupported { reason, .. } | CollectiveError::BadGroup { reason }) => {
            row.status = RowStatus::Unsupported;
            row.error = Some(reason);
            (row, Vec::new())
        }
        Err(error) => {
            row.status = RowStatus::Failed;
            // A deadlock report is long: the row keeps its first line.
            let message = error.to_string();
            row.error = Some(message.lines().take(2).collect::<Vec<_>>().join(" "));
            (row, Vec::new())
        }
    }
}

/// Per-link utilisation of a run, for the links that carried anything.
fn link_usage(topology: &Topology, point: &Point, report: &RunReport) -> Vec<LinkUsage> {
    let time_ns = report.time_ns().max(f64::MIN_POSITIVE);
    report
        .links
        .iter()
        .enumerate()
        .filter(|(_, s)| s.bytes > 0)
        .filter_map(|(i, s)| {
            let edge = EdgeIndex::new(i);
            let (a, b) = topology.link_ends(edge)?;
            let link = topology.try_link(edge)?;
            let busy_ns = s.busy.as_ns_f64();
            Some(LinkUsage {
                topology: point.topology_name.clone(),
                collective: point.collective.to_string(),
                memory: point.memory.to_string(),
                algorithm: point.algorithm.to_string(),
                bytes: point.bytes,
                channels: point.channels.to_string(),
                chunk_bytes: point.chunk.0,
                group_size: point.groups.size(point.world_size),
                group_stride: group_stride(point.groups),
                model: point.model.to_string(),
                link: format!("{}->{}", topology.node(a), topology.node(b)),
                class: link.class.to_string(),
                bytes_carried: s.bytes,
                busy_ns,
                utilisation: busy_ns / time_ns,
            })
        })
        .collect()
}

/// How the progress shows a finished point.
fn done_of(row: &ResultRow) -> Done {
    let outcome = match (&row.status, row.time_ns, row.busbw_gbps) {
        (RowStatus::Ok, Some(t), Some(b)) => format!("{:.3} us, busbw {b:.2} GB/s", t / 1e3),
        (status, _, _) => format!(
            "{} ({})",
            status.as_str(),
            row.error.as_deref().unwrap_or("")
        ),
    };
    Done {
        label: point_label(&row.key()),
        ran: row.status == RowStatus::Ok,
        events: row.events.unwrap_or(0),
        outcome,
    }
}
