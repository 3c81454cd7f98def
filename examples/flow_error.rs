//! The flow model against the packet model (issue 18, item 2): runs every point of a sweep
//! file in both network models, one after the other on one thread, and prints the relative
//! error of the flow model's time per class of point (>= 1 MiB per rank, below), its
//! quantiles, the worst points, and each model's wall time for the whole sweep.
//!
//! ```sh
//! cargo build --release --example flow_error
//! ./target/release/examples/flow_error                     # topologies/default.sweep.ron
//! ./target/release/examples/flow_error my.sweep.ron
//! ```
//!
//! Targets: |error| within 5 % at 1 MiB per rank and more, within 15 % below; the flow
//! model at least 50x faster on the whole sweep. A point either model fails or refuses (an
//! algorithm that does not fit the topology, a buffer that does not fit its memory, the time
//! limit) is counted and left out of the errors.

/// The binary's allocator (see src/main.rs), so the figures are the command line's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use kernbench::algorithms::{Algorithm, Collective, RunConfig, run_collective};
use kernbench::engine::SimTime;
use kernbench::model::{Bytes, MemoryKind, NetworkModel, Topology, TopologySource, parse_time};
use serde::Deserialize;

/// The fields of a sweep file this benchmark crosses (the others keep their defaults).
#[derive(Debug, Deserialize)]
#[serde(rename = "Sweep")]
struct SweepFile {
    topologies: Vec<String>,
    #[serde(default = "all_reduce")]
    collectives: Vec<String>,
    algorithms: Vec<String>,
    sizes: Sizes,
    #[serde(default = "all_memories")]
    memories: Vec<String>,
    #[serde(default)]
    time_limit: Option<String>,
}

#[derive(Debug, Deserialize)]
enum Sizes {
    List(Vec<String>),
    Range {
        from: String,
        to: String,
        factor: u64,
    },
}

fn all_reduce() -> Vec<String> {
    vec!["all-reduce".into()]
}

fn all_memories() -> Vec<String> {
    ["tcm", "sram", "hbm"].map(String::from).to_vec()
}

/// One point: its name and its configuration.
struct Point {
    name: String,
    topology: Rc<Topology>,
    config: RunConfig,
}

fn points(file: &Path) -> Result<Vec<Point>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let spec: SweepFile = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(&text)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let sizes: Vec<u64> = match &spec.sizes {
        Sizes::List(list) => list
            .iter()
            .map(|s| s.parse::<Bytes>().map(|b| b.0).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?,
        Sizes::Range { from, to, factor } => {
            let (from, to) = (
                from.parse::<Bytes>().map_err(|e| e.to_string())?.0,
                to.parse::<Bytes>().map_err(|e| e.to_string())?.0,
            );
            let mut sizes = vec![from];
            while let Some(next) = sizes.last().and_then(|s| s.checked_mul(*factor)) {
                if next > to || *factor < 2 {
                    break;
                }
                sizes.push(next);
            }
            sizes
        }
    };
    let time_limit = spec
        .time_limit
        .as_deref()
        .map(parse_time)
        .transpose()
        .map_err(|e| e.to_string())?;
    let mut points = Vec::new();
    for entry in &spec.topologies {
        let source = if entry.contains(':') {
            entry.clone()
        } else {
            base.join(entry).display().to_string()
        };
        let loaded = match TopologySource::parse(&source) {
            Ok(source) => source.load(),
            Err(e) => Err(e),
        };
        let topology = Rc::new(loaded.map_err(|e| format!("{entry}: {e}"))?);
        for collective in &spec.collectives {
            let collective: Collective = collective.parse().map_err(|e| format!("{e}"))?;
            for algorithm in &spec.algorithms {
                let algorithm: Algorithm = algorithm.parse().map_err(|e| format!("{e}"))?;
                for memory in &spec.memories {
                    let memory: MemoryKind = memory.parse().map_err(|e| format!("{e}"))?;
                    for &bytes in &sizes {
                        points.push(Point {
                            name: format!(
                                "{} {collective} {algorithm} {memory} {}",
                                topology.name(),
                                Bytes(bytes)
                            ),
                            topology: topology.clone(),
                            config: RunConfig {
                                collective,
                                memory,
                                time_limit,
                                ..RunConfig::all_reduce(algorithm, bytes)
                            },
                        });
                    }
                }
            }
        }
    }
    Ok(points)
}

/// Runs `point` in `network`: its simulated time (`None` if it failed) and the wall time.
fn run(point: &Point, network: NetworkModel) -> (Option<SimTime>, Duration) {
    let config = RunConfig {
        network,
        ..point.config.clone()
    };
    let start = Instant::now();
    let time = run_collective(point.topology.clone(), &config)
        .ok()
        .map(|r| r.time);
    (time, start.elapsed())
}

/// The `q` quantile (0..=1) of sorted `values`, nearest rank.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn main() -> ExitCode {
    let file = std::env::args().nth(1).map_or_else(
        || PathBuf::from("topologies/default.sweep.ron"),
        PathBuf::from,
    );
    // An optional second argument keeps only the points whose name contains it.
    let only = std::env::args().nth(2).unwrap_or_default();
    let points = match points(&file) {
        Ok(points) => points
            .into_iter()
            .filter(|p| p.name.contains(&only))
            .collect::<Vec<_>>(),
        Err(e) => {
            eprintln!("flow_error: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "# flow model vs packet model on {}: {} points",
        file.display(),
        points.len()
    );
    let (mut packet_wall, mut flow_wall) = (Duration::ZERO, Duration::ZERO);
    // (packet wall, flow wall) per class of size, as for the errors.
    let mut class_wall = [(Duration::ZERO, Duration::ZERO); 2];
    // (relative error, point) per class: [>= 1 MiB per rank, below].
    let mut errors: [Vec<(f64, String)>; 2] = [Vec::new(), Vec::new()];
    let mut skipped = 0;
    // (flow wall, packet wall, point), to name the slowest points of the flow model.
    let mut slowest: Vec<(Duration, Duration, String)> = Vec::new();
    for point in &points {
        let (packet, wall_p) = run(point, NetworkModel::Packet);
        let (flow, wall_f) = run(point, NetworkModel::Flow);
        packet_wall += wall_p;
        flow_wall += wall_f;
        let class = usize::from(point.config.bytes.0 < 1 << 20);
        class_wall[class].0 += wall_p;
        class_wall[class].1 += wall_f;
        slowest.push((wall_f, wall_p, point.name.clone()));
        match (packet, flow) {
            (Some(p), Some(f)) if p > SimTime::ZERO => {
                let error = (f.as_ps() as f64 - p.as_ps() as f64) / p.as_ps() as f64;
                let class = usize::from(point.config.bytes.0 < 1 << 20);
                errors[class].push((error, point.name.clone()));
            }
            _ => skipped += 1,
        }
    }
    println!("# {skipped} points left out: refused or failed in either model (or 0 time)");
    let mut met = true;
    for (class, (label, target)) in [(">= 1 MiB per rank", 0.05), ("< 1 MiB per rank", 0.15)]
        .into_iter()
        .enumerate()
    {
        let list = &mut errors[class];
        list.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
        let mut abs: Vec<f64> = list.iter().map(|(e, _)| e.abs()).collect();
        abs.sort_by(f64::total_cmp);
        let within = abs.iter().filter(|e| **e <= target).count();
        let mean = list.iter().map(|(e, _)| e).sum::<f64>() / list.len().max(1) as f64;
        println!(
            "{label:>18}: {} points, |error| median {:.2}%  p90 {:.2}%  p99 {:.2}%  max {:.2}%; \
             mean signed {:+.2}%; {within} within {:.0}%",
            list.len(),
            100.0 * quantile(&abs, 0.5),
            100.0 * quantile(&abs, 0.9),
            100.0 * quantile(&abs, 0.99),
            100.0 * quantile(&abs, 1.0),
            100.0 * mean,
            100.0 * target,
        );
        met &= within == list.len();
        for (error, name) in list.iter().take(8).filter(|(e, _)| e.abs() > target) {
            println!("{:>18}  {:+7.2}%  {name}", "", 100.0 * error);
        }
    }
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    println!("slowest points in the flow model (flow wall, packet wall):");
    for (f, p, name) in slowest.iter().take(5) {
        println!(
            "{:>18}  {:8.3} s {:8.3} s  {name}",
            "",
            f.as_secs_f64(),
            p.as_secs_f64()
        );
    }
    for (class, label) in [">= 1 MiB per rank", "< 1 MiB per rank"].iter().enumerate() {
        let (p, f) = class_wall[class];
        println!(
            "{label:>18}: wall packet {:.2} s, flow {:.2} s",
            p.as_secs_f64(),
            f.as_secs_f64()
        );
    }
    let top: Duration = slowest.iter().take(20).map(|s| s.0).sum();
    println!(
        "{:>18}  the 20 slowest points take {:.2} s of the flow model's {:.2} s",
        "",
        top.as_secs_f64(),
        flow_wall.as_secs_f64()
    );
    let ratio = packet_wall.as_secs_f64() / flow_wall.as_secs_f64().max(1e-9);
    println!(
        "wall time (one thread, simulation only): packet {:.2} s, flow {:.3} s, {ratio:.1}x faster",
        packet_wall.as_secs_f64(),
        flow_wall.as_secs_f64()
    );
    met &= ratio >= 50.0;
    println!(
        "targets (5% / 15% / 50x): {}",
        if met { "met" } else { "missed" }
    );
    ExitCode::SUCCESS
}
