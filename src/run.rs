//! `kernbench run`: one collective on one topology.

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use clap::Args;
use kernbench_algorithms::blocks::ring_orders;
use kernbench_algorithms::{
    Algorithm, Collective, CollectiveError, Groups, Pairs, RingInOrder, RunConfig, RunReport,
    run_collective,
};
use kernbench_model::{Bytes, MemoryKind, ModelError, ReduceOp, TopologySource, parse_time};

use crate::trace::write_trace;
use crate::{Failure, print};

/// Flags of `kernbench run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The topology: a RON file, or a generated machine with the bundled default values:
    /// ring:N, mesh:RxC, torus:RxC or cubes:CxS (e.g. ring:1024, cubes:64x16).
    #[arg(
        long,
        value_name = "FILE|FORM",
        default_value = "topologies/default.ron"
    )]
    topology: String,
    /// all-reduce, reduce-scatter, all-gather, broadcast, reduce, all-to-all, all-to-allv or
    /// send-recv.
    #[arg(long, default_value = "all-reduce")]
    collective: String,
    #[arg(long, help = algorithm_help())]
    algorithm: Option<String>,
    /// Send-recv: forward (rank r to r + 1, the last to 0, as nccl-tests' sendrecv) or
    /// backward (r to r - 1).
    #[arg(long, value_name = "forward|backward", default_value = "forward")]
    direction: String,
    /// Send-recv between these pairs only, from:to separated by commas (e.g. 0:5,3:1); each
    /// rank sends at most once and receives at most once.
    #[arg(long, value_name = "PAIRS")]
    pairs: Option<String>,
    /// Split the ranks into groups of this many that all run the collective at once, as
    /// tensor- or data-parallel groups do (sharing the machine's links); the time is the
    /// slowest group's and busbw uses the group's size.
    #[arg(long, value_name = "G")]
    group_size: Option<u32>,
    /// With --group-size: a group's ranks are this far apart (1: consecutive ranks; the SIPs
    /// per cube: one SIP index across the cubes).
    #[arg(long, value_name = "S", default_value_t = 1)]
    group_stride: u32,
    /// All-to-allv: the per-pair sizes from this RON file (`*.a2av.ron`: AllToAllv(sizes:
    /// [["0B", "4KiB"], ...]), a row per sending rank of a group).
    #[arg(long, value_name = "FILE")]
    matrix: Option<PathBuf>,
    /// All-to-allv: split each rank's --size over the ranks as uniform or zipf:EXPONENT
    /// (a few hot experts receive most, drawn with --seed) [default: uniform].
    #[arg(long, value_name = "NAME")]
    distribution: Option<String>,
    /// The seed of --distribution's hot experts.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Buffer size per rank, with a unit: 4KiB, 64MiB, 1GiB (KiB = 1024 B, KB = 1000 B).
    #[arg(long, default_value = "64MiB", allow_hyphen_values = true)]
    size: String,
    /// Where the buffers live: tcm (spread over the SIP's PEs), sram or hbm.
    #[arg(long, default_value = "hbm")]
    memory: String,
    /// Carry real f32 data and check every rank's result.
    #[arg(long)]
    verify: bool,
    /// Print one JSON object instead of the table (a deadlock: its report, as one object).
    #[arg(long)]
    json: bool,
    /// Write a Chrome/Perfetto trace (JSON): each link's busy intervals and busy percentage,
    /// each rank's sends and receives, the ring's order; open it in ui.perfetto.dev. Its size
    /// grows with the bytes: trace a few MiB.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Root rank of broadcast and reduce.
    #[arg(long, default_value_t = 0)]
    root: u32,
    /// The reduction: sum, max or min.
    #[arg(long, default_value = "sum")]
    op: String,
    /// Stop with exit code 4 if the collective has not finished by this simulated time
    /// (e.g. 10ms).
    #[arg(long, value_name = "TIME")]
    time_limit: Option<String>,
    /// The largest message of chunking algorithms (ring, mesh, tree, hierarchical): segments
    /// move in chunks of at most this size, forwarded as they arrive, so steps pipeline.
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "1MiB",
        allow_hyphen_values = true
    )]
    chunk_size: String,
    /// The ring's order, as ranks separated by commas (`0,1,3,2`): every rank once. By
    /// default the ring walks a cycle of neighbouring SIPs (rank order where there is none).
    #[arg(long, value_name = "RANKS")]
    ring_order: Option<String>,
    /// Split the data over this many channels (rings or dimension orders on other links or
    /// directions, run at once), or `auto`: as many as the wiring gives.
    #[arg(long, value_name = "N|auto", default_value = "auto")]
    channels: String,
    /// The network model: packet (every packet timed on every link, exact) or flow (each
    /// transfer of more than 32 packets a max-min fair flow with latency in closed form,
    /// shorter ones packet by packet: approximate under contention, exact alone, faster
    /// where transfers are long).
    #[arg(long, value_name = "packet|flow", default_value = "packet")]
    model: String,
}

fn bad<E: std::fmt::Display>(flag: &str) -> impl FnOnce(E) -> Failure + '_ {
    move |e| Failure::BadInput(format!("--{flag}: {e}"))
}

fn parse_op(text: &str) -> Result<ReduceOp, Failure> {
    match text {
        "sum" => Ok(ReduceOp::Sum),
        "max" => Ok(ReduceOp::Max),
        "min" => Ok(ReduceOp::Min),
        other => Err(Failure::BadInput(format!(
            "--op: unknown reduction \"{other}\"; use sum, max or min"
        ))),
    }
}

/// A chunk size: a size of at least 4 bytes (one `f32`), a whole number of them.
pub(crate) fn parse_chunk(text: &str) -> Result<Bytes, String> {
    let chunk = text.parse::<Bytes>().map_err(|e| e.to_string())?;
    if chunk.0 < 4 || chunk.0 % 4 != 0 {
        return Err(format!(
            "{chunk} is not a chunk size; use a multiple of 4 bytes (one f32), at least 4B, e.g. 256KiB"
        ));
    }
    Ok(chunk)
}

impl RunArgs {
    fn config(&self) -> Result<RunConfig, Failure> {
        let collective = self
            .collective
            .parse::<Collective>()
            .map_err(bad("collective"))?;
        let algorithm = match &self.algorithm {
            Some(name) => name.parse::<Algorithm>().map_err(bad("algorithm"))?,
            None => default_algorithm(collective),
        };
        let pairs = match (&self.pairs, self.direction.as_str()) {
            _ if collective != Collective::SendRecv
                && (self.pairs.is_some() || self.direction != "forward") =>
            {
                return Err(Failure::BadInput(format!(
                    "--pairs and --direction are for --collective send-recv, not {collective}"
                )));
            }
            (Some(_), "backward") => {
                return Err(Failure::BadInput(
                    "--pairs names each pair's direction itself; leave out --direction".to_string(),
                ));
            }
            (Some(text), _) => Pairs::parse(text).map_err(bad("pairs"))?,
            (None, "forward") => Pairs::Forward,
            (None, "backward") => Pairs::Backward,
            (None, other) => {
                return Err(Failure::BadInput(format!(
                    "--direction: \"{other}\" is not a direction; use forward or backward"
                )));
            }
        };
        let groups = match self.group_size {
            Some(size) => Groups::Split {
                size,
                stride: self.group_stride,
            },
            None if self.group_stride != 1 => {
                return Err(Failure::BadInput(
                    "--group-stride needs --group-size: the ranks per group".to_string(),
                ));
            }
            None => Groups::World,
        };
        Ok(RunConfig {
            collective,
            algorithm: algorithm.into(),
            pairs,
            groups,
            sizes: None,
            bytes: self.size.parse::<Bytes>().map_err(bad("size"))?,
            memory: self.memory.parse::<MemoryKind>().map_err(bad("memory"))?,
            verify: self.verify,
            op: parse_op(&self.op)?,
            root: self.root,
            chunk: parse_chunk(&self.chunk_size).map_err(bad("chunk-size"))?,
            channels: self.channels.parse().map_err(bad("channels"))?,
            time_limit: self
                .time_limit
                .as_deref()
                .map(parse_time)
                .transpose()
                .map_err(bad("time-limit"))?,
            trace: self.trace.is_some(),
            network: self.model.parse().map_err(bad("model"))?,
        })
    }
}

/// [`failure`], with a deadlock's report as JSON when the command was asked for `--json`
/// (a script reading the output gets an object either way; the exit code says which).
pub(crate) fn failure_as(error: CollectiveError, json: bool) -> Failure {
    match error {
        CollectiveError::Deadlock(report) if json => {
            Failure::Deadlock(format!("{}\n", report.to_json()))
        }
        other => failure(other),
    }
}

/// Turns a collective's error into the command's failure (and so its exit code).
pub(crate) fn failure(error: CollectiveError) -> Failure {
    match error {
        CollectiveError::Deadlock(report) => Failure::Deadlock(report.to_string()),
        CollectiveError::TimeLimit { .. } | CollectiveError::TimeOverflow { .. } => {
            Failure::Limit(error.to_string())
        }
        CollectiveError::Internal(message) => Failure::Internal(message),
        other => Failure::BadInput(other.to_string()),
    }
}

/// The `--algorithm` help, from the registry of built-ins (so a new one is listed by itself).
fn algorithm_help() -> String {
    let names: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
    format!(
        "The algorithm: one of {} [default: ring; direct for all-to-all, all-to-allv and send-recv].",
        names.join(", ")
    )
}

/// The algorithm of a run that names none: the ring for the reduction family, direct for the
/// collectives the ring does not run.
fn default_algorithm(collective: Collective) -> Algorithm {
    match collective {
        Collective::AllToAll | Collective::AllToAllv | Collective::SendRecv => Algorithm::Direct,
        _ => Algorithm::Ring,
    }
}

/// `kernbench run`.
pub(crate) fn run(args: &RunArgs) -> Result<(), Failure> {
    let mut config = args.config()?;
    let topology = Rc::new(TopologySource::parse(&args.topology)?.load()?);
    config.sizes = match (config.collective, &args.matrix, &args.distribution) {
        (Collective::AllToAllv, Some(_), Some(_)) => {
            return Err(Failure::BadInput(
                "--matrix gives every size itself; leave out --distribution".to_string(),
            ));
        }
        (Collective::AllToAllv, Some(file), None) => Some(crate::matrix_file::read(file)?),
        (Collective::AllToAllv, None, distribution) => {
            let n = config.groups.size(topology.sip_count());
            Some(
                crate::matrix_file::generate(
                    distribution.as_deref().unwrap_or("uniform"),
                    n,
                    config.bytes.0,
                    args.seed,
                )
                .map_err(bad("distribution"))?,
            )
        }
        (other, Some(_), _) | (other, None, Some(_)) => {
            return Err(Failure::BadInput(format!(
                "--matrix and --distribution are for --collective all-to-allv, not {other}"
            )));
        }
        _ => None,
    };
    // The ring's order of each channel (for the ring algorithm), and how it was chosen.
    let rings: Option<(Vec<Arc<[u32]>>, &str)> = match &args.ring_order {
        Some(text) => {
            if config.algorithm.name() != Algorithm::Ring.name() {
                return Err(Failure::BadInput(format!(
                    "--ring-order: the {} algorithm has no ring order; use it with --algorithm ring",
                    config.algorithm.name()
                )));
            }
            if config.groups != Groups::World {
                return Err(Failure::BadInput(
                    "--ring-order names every rank of the machine, so it runs without --group-size"
                        .to_string(),
                ));
            }
            let ring = RingInOrder::new(parse_ranks(text).map_err(bad("ring-order"))?);
            let orders = ring.orders(config.channels);
            config.algorithm = Rc::new(ring);
            Some((orders, "as given"))
        }
        None if config.algorithm.name() == Algorithm::Ring.name() => {
            let wired = !topology.sip_cycles().is_empty();
            let how = match (wired, config.groups) {
                (true, Groups::World) => "along the wiring",
                (false, Groups::World) => "rank order",
                (true, _) => "along the wiring; each group visits its ranks in this order",
                (false, _) => "rank order; each group visits its ranks in this order",
            };
            Some((ring_orders(&topology, config.channels), how))
        }
        None => None,
    };
    let ring_order = rings
        .as_ref()
        .and_then(|(orders, how)| orders.first().map(|o| (o.to_vec(), *how)));
    let report = run_collective(topology.clone(), &config).map_err(|e| match e {
        // The topology file sets the capacity: name it, as every other value error does.
        CollectiveError::Model(model) if matches!(*model, ModelError::DoesNotFit { .. }) => {
            Failure::BadInput(format!("{}: {model}", args.topology))
        }
        other => failure_as(other, args.json),
    })?;
    if let Some(path) = &args.trace {
        let orders = rings
            .as_ref()
            .map_or(&[][..], |(orders, _)| orders.as_slice());
        write_trace(
            path,
            &topology,
            crate::trace::Timeline {
                link_busy: &report.link_busy,
                records: &report.trace,
                rings: orders,
                more: Vec::new(),
            },
        )?;
    }
    if args.json {
        let mut record = crate::result::RunJson::of(&report);
        record.ring_order = ring_order.map(|(order, _)| order);
        let json = serde_json::to_string(&record)
            .map_err(|e| Failure::Internal(format!("cannot write JSON: {e}")))?;
        print(&format!("{json}\n"))
    } else {
        let mut text = table(&report, &config);
        if let Some((order, how)) = &ring_order {
            text.push_str(&format!("# ring order ({how}): {}\n", order_text(order)));
            // The other cycles of neighbours the channels run on, each on links of its own.
            let used = rings
                .as_ref()
                .map_or(&[][..], |(orders, _)| orders.as_slice());
            let others = topology.sip_cycles().iter().skip(1);
            for (i, cycle) in others.enumerate() {
                if used.contains(&cycle.order) {
                    text.push_str(&format!(
                        "# ring order {} (links of its own): {}\n",
                        i + 2,
                        order_text(&cycle.order)
                    ));
                }
            }
        }
        print(&text)
    }
}

/// Ranks as written on the command line: `0,1,3,2`.
fn parse_ranks(text: &str) -> Result<Vec<u32>, String> {
    text.split(',')
        .map(|r| {
            r.trim().parse::<u32>().map_err(|_| {
                format!(
                    "\"{}\" is not a rank; write ranks separated by commas, e.g. 0,1,3,2",
                    r.trim()
                )
            })
        })
        .collect()
}

/// An order for a table line: every rank up to 32, else the first 16 and the last 4.
fn order_text(order: &[u32]) -> String {
    let show = |ranks: &[u32]| {
        ranks
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    if order.len() <= 32 {
        show(order)
    } else {
        format!(
            "{} ... {} ({} ranks)",
            show(&order[..16]),
            show(&order[order.len() - 4..]),
            order.len()
        )
    }
}

/// The nccl-tests-style report: a header naming everything, then one line of figures.
fn table(report: &RunReport, config: &RunConfig) -> String {
    let mut out = format!(
        "# kernbench run: {} {} on {} ({} ranks = {} SIPs), buffers in {}, verify {}, {} model\n",
        report.collective,
        report.algorithm,
        report.topology,
        report.world_size,
        report.world_size,
        report.memory,
        if report.verified.is_some() {
            "on: every rank's result checked"
        } else {
            "off"
        },
        report.network,
    );
    // The bound and the efficiency beside busbw, so a figure is read against its ceiling;
    // `-` for one SIP, which has no bound.
    let bound = report
        .bound_gbps
        .map_or_else(|| "-".to_owned(), |b| format!("{b:.2}"));
    let efficiency = report
        .efficiency()
        .map_or_else(|| "-".to_owned(), |e| format!("{:.1}", e * 100.0));
    out.push_str(&format!(
        "#{:>12} {:>12} {:>6} {:>6} {:>14} {:>10} {:>10} {:>10} {:>6} {:>9} {:>10}\n",
        "size",
        "count",
        "type",
        "redop",
        "time",
        "algbw",
        "busbw",
        "bound",
        "eff",
        "verified",
        "events"
    ));
    out.push_str(&format!(
        "#{:>12} {:>12} {:>6} {:>6} {:>14} {:>10} {:>10} {:>10} {:>6} {:>9} {:>10}\n",
        "(B)", "(elements)", "", "", "(us)", "(GB/s)", "(GB/s)", "(GB/s)", "(%)", "", ""
    ));
    out.push_str(&format!(
        " {:>12} {:>12} {:>6} {:>6} {:>14.3} {:>10.2} {:>10.2} {:>10} {:>6} {:>9} {:>10}\n",
        report.bytes.0,
        report.bytes.0 / 4,
        "float",
        config.op.to_string(),
        report.time_ns() / 1e3,
        report.algbw_gbps,
        report.busbw_gbps,
        bound,
        efficiency,
        if report.verified.is_some() {
            "yes"
        } else {
            "n/a"
        },
        report.events,
    ));
    if let Some(sizes) = &report.sizes {
        let (from, to, largest) = sizes.largest();
        out.push_str(&format!(
            "# all-to-allv: {} in all per group ({} between ranks), largest pair {from} -> {to}: {}; size is the mean per rank, busbw the bytes between ranks\n",
            Bytes(sizes.total()),
            Bytes(sizes.moved()),
            Bytes(largest)
        ));
    }
    if let Groups::Split { size, stride } = report.groups {
        out.push_str(&format!(
            "# groups: {} groups of {size} ranks {stride} apart, run at once; time is the slowest group's, busbw uses {size} ranks\n",
            report.world_size / size.max(1)
        ));
    }
    out
}
