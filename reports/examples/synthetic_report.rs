//! Writes every report of this crate from *synthetic* alpha-beta rows, to look at them.
//!
//! ```text
//! cargo run -p kernbench-reports --example synthetic_report -- [OUT_DIR]
//! ```
//!
//! The default OUT_DIR is `target/synthetic-report`. The numbers come from a formula, not
//! from a simulation; every figure says so in its subtitle.

use std::path::PathBuf;

use kernbench_reports::synthetic::{synthetic_link_usage, synthetic_rows};
use kernbench_reports::{
    PlotOptions, ReportError, plot_busbw_with, plot_latency_with, plot_link_utilisation, write_csv,
    write_jsonl, write_summary,
};

fn main() -> Result<(), ReportError> {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/synthetic-report"), PathBuf::from);
    std::fs::create_dir_all(&out).map_err(|e| ReportError::Io {
        action: "create directory",
        path: out.clone(),
        source: e,
    })?;
    let rows = synthetic_rows();
    let options = PlotOptions {
        subtitle: Some("synthetic alpha-beta data, not simulation results".into()),
    };
    write_csv(out.join("results.csv"), &rows)?;
    write_jsonl(out.join("results.jsonl"), &rows)?;
    let mut written = vec![write_summary(&rows, &out)?];
    written.extend(plot_latency_with(&rows, &out, &options)?);
    written.extend(plot_busbw_with(&rows, &out, &options)?);
    written.extend(plot_link_utilisation(
        &synthetic_link_usage(),
        8,
        &out,
        &options,
    )?);
    for path in written {
        println!("{}", path.display());
    }
    Ok(())
}
