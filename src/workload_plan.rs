//! The plan of a workload sweep: a sweep file with `workloads` crosses its workloads (RON
//! files and folders of Chakra traces, as `kernbench workload` takes) with its topologies, in
//! one network model. Everything is loaded and checked before anything runs; a workload that
//! does not fit a topology is not an error here but a point its run refuses.

use std::path::{Path, PathBuf};

use kernbench_algorithms::workload::{FlopRate, Op, Workload};
use kernbench_engine::SimTime;
use kernbench_model::{NetworkModel, TopologySpec, parse_time};

use crate::Failure;
use crate::ron_file::bad_at;
use crate::sweep_spec::{WorkloadFields, expand_topologies, glob_sorted};
use crate::workload_file::load_any;

/// A validated workload sweep: its workloads, topologies and points in a fixed order.
///
/// Only plain data: a point loads its workload again in the thread that runs it (a loaded
/// workload holds its schedules behind `Rc`, which threads do not share), from the same file,
/// so it runs what was checked here.
#[derive(Debug)]
pub(crate) struct WorkloadSweep {
    pub(crate) name: String,
    pub(crate) topologies: Vec<(PathBuf, TopologySpec)>,
    pub(crate) workloads: Vec<SweptWorkload>,
    pub(crate) points: Vec<WorkloadPoint>,
    /// The sweep's `peak_flops`, as written (each load parses it, as `--peak-flops`).
    pub(crate) peak_flops: Option<String>,
    pub(crate) time_limit: Option<SimTime>,
}

/// One workload of a sweep, as loaded once to check it.
#[derive(Debug)]
pub(crate) struct SweptWorkload {
    /// A `*.workload.ron` file, or a folder of Chakra traces.
    pub(crate) path: PathBuf,
    /// Its name (rows are keyed by it).
    pub(crate) name: String,
    /// How much it moves and does, for the progress's estimate.
    pub(crate) work: WorkloadWork,
}

/// One point: a workload on a topology, in a network model.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WorkloadPoint {
    /// Index into [`WorkloadSweep::workloads`].
    pub(crate) workload: usize,
    /// Index into [`WorkloadSweep::topologies`].
    pub(crate) topology: usize,
    pub(crate) world_size: u32,
    pub(crate) model: NetworkModel,
}

impl WorkloadSweep {
    /// `5 workloads x 3 topologies` (`1 workload x 1 topology`).
    pub(crate) fn shape(&self) -> String {
        let count = |n: usize, one: &str, many: &str| match n {
            1 => format!("1 {one}"),
            n => format!("{n} {many}"),
        };
        format!(
            "{} x {}",
            count(self.workloads.len(), "workload", "workloads"),
            count(self.topologies.len(), "topology", "topologies")
        )
    }

    /// Checks a workload sweep (`text` is the file's, for the lines of errors): its topologies
    /// as a sweep of collectives checks them, its workloads as `kernbench workload` loads
    /// them, with every error naming the sweep file, the line and the entry.
    pub(crate) fn from_spec(
        file: &Path,
        text: &str,
        fields: WorkloadFields,
    ) -> Result<WorkloadSweep, Failure> {
        let base = file.parent().unwrap_or(Path::new("."));
        if let Some(p) = &fields.peak_flops {
            p.parse::<FlopRate>()
                .map_err(|e| bad_at(file, text, "peak_flops", e))?;
        }
        let time_limit = fields
            .time_limit
            .as_deref()
            .map(parse_time)
            .transpose()
            .map_err(|e| bad_at(file, text, "time_limit", e))?;
        let topologies = expand_topologies(file, base, &fields.topologies)?;
        let workloads = expand_workloads(
            file,
            text,
            base,
            &fields.workloads,
            fields.peak_flops.as_deref(),
        )?;
        let mut points = Vec::with_capacity(workloads.len() * topologies.len());
        for w in 0..workloads.len() {
            for (t, (_, topology)) in topologies.iter().enumerate() {
                points.push(WorkloadPoint {
                    workload: w,
                    topology: t,
                    world_size: topology.cubes.count.saturating_mul(topology.sips.per_cube),
                    model: fields.model,
                });
            }
        }
        Ok(WorkloadSweep {
            name: fields.name,
            topologies,
            workloads,
            points,
            peak_flops: fields.peak_flops,
            time_limit,
        })
    }
}

/// The entries of `workloads` (paths or globs relative to the sweep file's folder, or
/// absolute) to loaded workloads, in the order given, each glob's matches sorted, without
/// repeats. A match is a `*.workload.ron` file or a folder of Chakra traces; anything else is
/// refused, as are an empty list or entry, a glob that matches nothing and two workloads of
/// one name.
fn expand_workloads(
    file: &Path,
    text: &str,
    base: &Path,
    patterns: &[String],
    peak_flops: Option<&str>,
) -> Result<Vec<SweptWorkload>, Failure> {
    if patterns.is_empty() {
        return Err(bad_at(
            file,
            text,
            "workloads",
            "the list is empty; name at least one workload file (*.workload.ron) or folder of \
             Chakra traces",
        ));
    }
    // (entry index, path), in the order they are run.
    let mut entries: Vec<(usize, PathBuf)> = Vec::new();
    for (index, pattern) in patterns.iter().enumerate() {
        let field = format!("workloads[{index}]");
        if pattern.trim().is_empty() {
            return Err(bad_at(
                file,
                text,
                &field,
                "the entry is empty; name a workload file (*.workload.ron) or a folder of \
                 Chakra traces, or a glob of them, relative to this sweep file",
            ));
        }
        let matched = glob_sorted(base, pattern, "file or folder")
            .map_err(|e| bad_at(file, text, &field, e))?;
        for path in matched {
            if let Some(problem) = not_a_workload(&path) {
                return Err(bad_at(file, text, &field, problem));
            }
            if !entries.iter().any(|(_, p)| *p == path) {
                entries.push((index, path));
            }
        }
    }
    let mut workloads: Vec<SweptWorkload> = Vec::with_capacity(entries.len());
    for (index, path) in entries {
        let field = format!("workloads[{index}]");
        let loaded = load_any(&path, peak_flops).map_err(|e| match e {
            Failure::BadInput(message) => bad_at(file, text, &field, message),
            other => other,
        })?;
        let name = loaded.workload.name.clone();
        if let Some(first) = workloads.iter().find(|w| w.name == name) {
            return Err(bad_at(
                file,
                text,
                &field,
                format!(
                    "{} and {} both name their workload \"{name}\"; rows are keyed by workload \
                     name, so give one of them another `name` (a Chakra trace is named by its \
                     files' PREFIX) or leave one out",
                    first.path.display(),
                    path.display()
                ),
            ));
        }
        workloads.push(SweptWorkload {
            work: WorkloadWork::of(&loaded.workload),
            path,
            name,
        });
    }
    Ok(workloads)
}

/// Why `path` cannot be a workload of a sweep, told by its kind and name as `kernbench
/// validate` tells files apart; `None` when it may be one (loading it says more).
fn not_a_workload(path: &Path) -> Option<String> {
    let name = path.to_string_lossy();
    if path.is_dir() || name.ends_with(".workload.ron") {
        None
    } else if name.ends_with(".et") {
        Some(format!(
            "{} is one rank's file of a Chakra trace; name the folder that holds its \
             PREFIX.N.et files",
            path.display()
        ))
    } else {
        Some(format!(
            "{} is not a workload; name workload files (*.workload.ron) or folders of Chakra \
             traces, e.g. \"workloads/*.workload.ron\"",
            path.display()
        ))
    }
}

/// What a workload moves and does, summed over its nodes, for the progress's estimate of a
/// point's work ([`crate::eta`]): the unit is one packet moved by one rank, as
/// [`crate::eta::point_work`]'s, plus one per node a rank runs (a node costs events however
/// small).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WorkloadWork {
    /// Bytes sent or moved by the nodes every rank runs (collectives count their buffer).
    every_rank_bytes: u64,
    /// Nodes every rank runs.
    every_rank_nodes: u64,
    /// The same for nodes limited to some ranks, each counted once per rank that runs it.
    limited_bytes: u64,
    limited_nodes: u64,
}

impl WorkloadWork {
    fn of(workload: &Workload) -> WorkloadWork {
        let mut work = WorkloadWork::default();
        for task in &workload.tasks {
            let bytes = match &task.op {
                Op::Collective(c) => c.bytes.0,
                Op::Send(m) => m.bytes.0,
                Op::Copy(c) => c.bytes.0,
                Op::Compute(_) | Op::Recv(_) => 0,
            };
            match &task.on {
                None => {
                    work.every_rank_bytes = work.every_rank_bytes.saturating_add(bytes);
                    work.every_rank_nodes += 1;
                }
                Some(on) => {
                    let ranks = on.len() as u64;
                    work.limited_bytes = work
                        .limited_bytes
                        .saturating_add(bytes.saturating_mul(ranks));
                    work.limited_nodes += ranks;
                }
            }
        }
        work
    }

    /// The work of a point on `ranks` ranks with packets of `packet_size` bytes.
    pub(crate) fn on(&self, ranks: u32, packet_size: u64) -> f64 {
        let packet = packet_size.max(1);
        let every = self.every_rank_bytes.div_ceil(packet) + self.every_rank_nodes;
        let limited = self.limited_bytes.div_ceil(packet) + self.limited_nodes;
        f64::from(ranks) * every as f64 + limited as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernbench_algorithms::workload::{Compute, MemoryCopy, Task};
    use kernbench_model::{Bytes, MemoryKind};

    #[test]
    fn work_counts_packets_and_nodes_per_rank_that_runs_them() {
        let workload = Workload::new(
            "w",
            vec![
                Task::new("c", Op::Compute(Compute::Time(SimTime::from_us(1)))),
                Task::new(
                    "copy",
                    Op::Copy(MemoryCopy {
                        from: MemoryKind::Hbm,
                        to: MemoryKind::Sram,
                        bytes: Bytes(8192),
                    }),
                )
                .on([0, 1]),
            ],
        );
        let work = WorkloadWork::of(&workload);
        // Every rank: one node, no bytes; two ranks: 8 KiB (2 packets of 4 KiB) and a node.
        assert_eq!(work.on(8, 4096), 8.0 * 1.0 + (2.0 * 2.0 + 2.0));
    }

    #[test]
    fn only_workload_files_and_folders_are_workloads() {
        let dir = tempfile::tempdir().expect("a temp dir");
        assert_eq!(not_a_workload(dir.path()), None);
        assert_eq!(not_a_workload(Path::new("a/x.workload.ron")), None);
        let et = not_a_workload(Path::new("t/llm.0.et")).unwrap_or_default();
        assert!(
            et.contains("name the folder that holds its PREFIX.N.et files"),
            "{et}"
        );
        let ron = not_a_workload(Path::new("ring8.ron")).unwrap_or_default();
        assert!(
            ron.contains("is not a workload; name workload files"),
            "{ron}"
        );
    }
}
