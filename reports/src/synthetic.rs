//! Synthetic rows from an alpha-beta cost model, for examples, tests and looking at plots.
//!
//! These numbers are made up from a formula; they are not simulation results and must never
//! be shown as measured.

use crate::order::ALGORITHMS;
use crate::row::{LinkUsage, ResultRow, RowKey, RowStatus};

/// A made-up topology: name, ranks, link bandwidth (GB/s), link latency (ns), 2D or not.
const TOPOLOGIES: [(&str, u32, f64, f64, bool); 3] = [
    ("ring8", 8, 100.0, 500.0, false),
    ("mesh4x4", 16, 50.0, 300.0, true),
    ("cubes2x4", 8, 200.0, 800.0, false),
];
/// A made-up memory: name, bandwidth (GB/s), latency (ns), capacity per rank (bytes).
const MEMORIES: [(&str, f64, f64, u64); 3] = [
    ("tcm", 2000.0, 5.0, 8 << 20),
    ("sram", 800.0, 20.0, 256 << 20),
    ("hbm", 300.0, 120.0, 1 << 40),
];

/// All-reduce rows for 3 topologies x 3 memories x the 7 algorithms x sizes 1 KiB..1 GiB by 4x,
/// with times `steps * alpha + factor * bytes / min(link, memory bandwidth)` and the link
/// bandwidth as the bound (every byte of those times crosses one link). Includes
/// unsupported points (mesh on non-2D topologies, hierarchical on flat ones) and failed ones
/// (buffers over the TCM capacity).
pub fn synthetic_rows() -> Vec<ResultRow> {
    let mut rows = Vec::new();
    for (topology, n, link_gbps, link_ns, is_2d) in TOPOLOGIES {
        for (memory, mem_gbps, mem_ns, capacity) in MEMORIES {
            for algorithm in ALGORITHMS {
                for bytes in (0..=10).map(|k| 1024u64 << (2 * k)) {
                    let nf = f64::from(n);
                    let log_n = nf.log2();
                    let (steps, factor) = match *algorithm {
                        "ring" => (2.0 * (nf - 1.0), 2.0 * (nf - 1.0) / nf),
                        "mesh" => (4.0 * (nf.sqrt() - 1.0), 2.0 * (nf - 1.0) / nf * 1.05),
                        "tree" => (2.0 * log_n, 2.0),
                        "double-binary-tree" => (2.0 * log_n + 1.0, 1.0 + 1.0 / nf),
                        "halving-doubling" => (2.0 * log_n, 2.0 * (nf - 1.0) / nf * 1.2),
                        "direct" => (2.0, (nf - 1.0) / 2.0),
                        _ => (2.0 * log_n + 2.0, 2.0 * (nf - 1.0) / nf * 1.1),
                    };
                    let mut row = ResultRow::for_point(RowKey {
                        topology: topology.into(),
                        collective: "all-reduce".into(),
                        memory: memory.into(),
                        algorithm: (*algorithm).into(),
                        bytes,
                        world_size: n,
                        channels: "auto".into(),
                        chunk_bytes: 1 << 20,
                        group_size: n,
                        group_stride: 1,
                        model: "packet".into(),
                    });
                    let refusal = match *algorithm {
                        "mesh" if !is_2d => Some(format!(
                            "mesh needs a 2D mesh or torus; {topology} is not one"
                        )),
                        "hierarchical" if !topology.starts_with("cubes") => Some(format!(
                            "hierarchical needs more than one cube; {topology} has one"
                        )),
                        _ => None,
                    };
                    if let Some(why) = refusal {
                        row.status = RowStatus::Unsupported;
                        row.error = Some(why);
                    } else if bytes * 2 > capacity {
                        row.status = RowStatus::Failed;
                        row.error = Some(format!(
                            "buffers of 2 x {bytes} bytes do not fit {memory} ({capacity} bytes per rank)"
                        ));
                    } else {
                        let time_ns = steps * (link_ns + mem_ns)
                            + factor * bytes as f64 / link_gbps.min(mem_gbps);
                        let algbw = bytes as f64 / time_ns;
                        row.time_ns = Some(time_ns);
                        row.algbw_gbps = Some(algbw);
                        let busbw = algbw * 2.0 * (nf - 1.0) / nf;
                        row.busbw_gbps = Some(busbw);
                        row.bound_gbps = Some(link_gbps);
                        row.efficiency = Some(busbw / link_gbps);
                        row.verified = Some(true);
                        row.events = Some((steps as u64 + 1) * (bytes / 4096 + 1));
                    }
                    rows.push(row);
                }
            }
        }
    }
    rows
}

/// Link-utilisation rows for the ring and tree runs of the largest size of every synthetic
/// topology and memory: made-up, bidirectional SIP links plus a few NoC links.
pub fn synthetic_link_usage() -> Vec<LinkUsage> {
    let mut usage = Vec::new();
    for (topology, n, _, _, _) in TOPOLOGIES {
        for (memory, ..) in MEMORIES.iter().skip(2) {
            for algorithm in ["ring", "tree"] {
                for s in 0..n {
                    for (dir, to) in [("fwd", (s + 1) % n), ("bwd", (s + n - 1) % n)] {
                        let busy = match (algorithm, dir) {
                            ("ring", "fwd") => 0.97 - 0.01 * f64::from(s),
                            ("ring", _) => 0.02,
                            (_, "fwd") => 0.6 / f64::from(s.trailing_zeros() + 1),
                            _ => 0.3 / f64::from(s % 3 + 1),
                        };
                        usage.push(LinkUsage {
                            topology: topology.into(),
                            collective: "all-reduce".into(),
                            memory: (*memory).into(),
                            algorithm: algorithm.into(),
                            bytes: 1 << 30,
                            channels: "auto".into(),
                            chunk_bytes: 1 << 20,
                            group_size: n,
                            group_stride: 1,
                            model: "packet".into(),
                            link: format!("c0.s{s}.hub->c0.s{to}.hub"),
                            class: "sip".into(),
                            bytes_carried: (busy * 1e9) as u64,
                            busy_ns: busy * 1e7,
                            utilisation: busy,
                        });
                    }
                    usage.push(LinkUsage {
                        topology: topology.into(),
                        collective: "all-reduce".into(),
                        memory: (*memory).into(),
                        algorithm: algorithm.into(),
                        bytes: 1 << 30,
                        channels: "auto".into(),
                        chunk_bytes: 1 << 20,
                        group_size: n,
                        group_stride: 1,
                        model: "packet".into(),
                        link: format!("c0.s{s}.p0->c0.s{s}.hub"),
                        class: "noc".into(),
                        bytes_carried: 1 << 28,
                        busy_ns: 4e6,
                        utilisation: 0.4 + 0.05 * f64::from(s % 4),
                    });
                }
            }
        }
    }
    usage
}
