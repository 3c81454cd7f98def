//! # kernbench-reports
//!
//! The reports room: it turns plain result rows into files a person reads. It never runs a
//! simulation and knows nothing of engines, topologies or algorithms; the `kernbench` binary
//! hands it [`ResultRow`]s, [`LinkUsage`]s and [`TraceSpan`]s.
//!
//! - Tables: [`CsvWriter`] and [`JsonlWriter`] append one row at a time (a resumed sweep
//!   appends to the same file), [`read_csv`] / [`read_jsonl`] read them back, [`merge`] joins
//!   shards; [`summary_markdown`] / [`write_summary`] give `summary.md`, [`markdown_table`] a
//!   flat table.
//! - Plots: [`plot_latency`], [`plot_busbw`] and [`plot_link_utilisation`] write SVG and PNG
//!   drawn with an embedded DejaVu Sans font (`assets/`, licence beside it), so the PNGs are
//!   the same on every machine; an SVG names the font and a viewer without it substitutes a
//!   similar face. [`PlotOptions`] adds a subtitle, e.g. where the numbers come from.
//! - Traces: [`TraceWriter`] writes the Chrome trace event format that ui.perfetto.dev and
//!   `chrome://tracing` open: tracks per link and per rank (spread over lanes where spans
//!   overlap) and a busy-percentage counter per link.
//! - Workload sweeps: [`WorkloadRow`]s (one per workload, topology and network model) go
//!   through the same writers and readers; [`merge_workloads`] joins them,
//!   [`workload_table`] prints them and [`plot_workloads`] draws each workload's step time
//!   on each topology.
//! - [`synthetic`]: made-up alpha-beta rows for examples and tests, never results; see
//!   `cargo run -p kernbench-reports --example synthetic_report -- OUT_DIR`.
//!
//! Output is deterministic: the same rows give the same bytes. Whole files are written to a temporary sibling and
//! renamed, so no partial file is left behind as if it were complete.
//!
//! ```
//! use kernbench_reports::{read_jsonl, summary_markdown, JsonlWriter, ResultRow, RowStatus};
//!
//! let dir = tempfile::tempdir()?;
//! let row = ResultRow {
//!     topology: "ring8".into(),
//!     collective: "all-reduce".into(),
//!     algorithm: "ring".into(),
//!     memory: "hbm".into(),
//!     bytes: 1 << 20,
//!     world_size: 8,
//!     channels: "auto".into(),
//!     chunk_bytes: 1 << 20,
//!     group_size: 8,
//!     group_stride: 1,
//!     model: "packet".into(),
//!     status: RowStatus::Ok,
//!     error: None,
//!     time_ns: Some(12_345.0),
//!     algbw_gbps: Some(84.9),
//!     busbw_gbps: Some(148.6),
//!     bound_gbps: Some(200.0),
//!     efficiency: Some(0.743),
//!     verified: Some(true),
//!     events: Some(4_096),
//! };
//! let path = dir.path().join("results.jsonl");
//! JsonlWriter::open_append(&path)?.append(&row)?;
//! let rows: Vec<ResultRow> = read_jsonl(&path)?;
//! assert_eq!(rows, [row]);
//! assert!(summary_markdown(&rows).contains("| 1M | 12.3 us (149 GB/s) | ring |"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod atomic;
mod csv_file;
mod error;
mod jsonl;
mod lanes;
mod order;
mod plot;
mod row;
mod series;
mod summary;
pub mod synthetic;
mod trace;
mod units;
mod utilisation;
mod workloads;

pub use atomic::write_file;
pub use csv_file::{CsvWriter, read_csv, write_csv};
pub use error::ReportError;
pub use jsonl::{JsonlWriter, read_jsonl, write_jsonl};
pub use plot::{
    PlotOptions, plot_busbw, plot_busbw_with, plot_latency, plot_latency_with,
    plot_link_utilisation, plot_workloads,
};
pub use row::{LinkUsage, Record, ResultRow, RowKey, RowStatus, complete_link_groups, merge};
pub use summary::{SUMMARY_FILE, markdown_table, summary_markdown, write_summary};
pub use trace::{TraceSpan, TraceWriter, Track};
pub use units::{human_bandwidth_gbps, human_time_ns, size_label};
pub use workloads::{WorkloadKey, WorkloadRow, merge_workloads, workload_table};
