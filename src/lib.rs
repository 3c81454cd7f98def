//! kernbench: a cycle-approximate simulator of multi-chip AI accelerators.
//!
//! This package is the `kernbench` command line; its library re-exports the crates it is built
//! from, so one dependency reaches them all:
//!
//! - [`engine`]: the SimPy-style process engine and its deadlock detector;
//! - [`model`]: topologies, timed transfers, memories, PE kernels;
//! - [`algorithms`]: the rank = SIP launcher, process groups and collective algorithms;
//! - [`reports`]: tables, plots and traces from result rows;
//! - [`chakra`]: Chakra execution traces (`*.et`) read into workloads;
//! - [`host`]: what the running process itself costs (peak memory), for benchmarks.
//!
//! ```
//! use std::rc::Rc;
//! use kernbench::algorithms::{Algorithm, RunConfig, run_collective};
//! use kernbench::model::Topology;
//!
//! let topology = Rc::new(Topology::load("topologies/default.ron")?);
//! let report = run_collective(topology, &RunConfig::all_reduce(Algorithm::Ring, 1 << 20))?;
//! println!("{} us, busbw {:.1} GB/s", report.time_ns() / 1e3, report.busbw_gbps);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod chakra;
pub mod host;

pub use kernbench_algorithms as algorithms;
pub use kernbench_engine as engine;
pub use kernbench_model as model;
pub use kernbench_reports as reports;
