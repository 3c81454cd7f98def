//! # kernbench-algorithms
//!
//! Collectives as processes that emit timed transfers and reductions. The launcher starts one
//! process per rank, rank = SIP; each rank's [`ProcessGroup`] submits collectives that run as
//! processes of their own and are awaited through a [`Work`]. Algorithms are written against
//! [`Comm`], a point-to-point layer of timed sends over FIFO mailboxes (the data lands in the
//! peer's buffer when the peer receives it), and each file documents its schedule, its
//! alpha-beta cost and the topologies it accepts.
//!
//! This crate knows collectives, not file formats or reports.
//!
//! ```
//! use std::rc::Rc;
//! use kernbench_algorithms::{Algorithm, RunConfig, run_collective};
//! use kernbench_model::Topology;
//!
//! let topology = Rc::new(Topology::load("../topologies/ring8.ron")?);
//! let config = RunConfig { verify: true, ..RunConfig::all_reduce(Algorithm::Ring, 1 << 20) };
//! let report = run_collective(topology, &config)?;
//! assert_eq!(report.verified, Some(true));
//! assert!(report.busbw_gbps > 0.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub mod blocks;
mod collective_run;
mod comm;
mod diagnosis;
mod direct;
mod double_binary_tree;
mod error;
pub mod exchange;
mod group;
mod halving_doubling;
mod hierarchical;
mod launch;
mod mesh;
mod names;
mod p2p;
mod pairwise;
mod pe_kernels;
mod pe_run;
mod ring;
mod ring_all_to_all;
mod runner;
mod schedule;
mod tree;
mod verify;
pub mod workload;

pub use collective_run::{RunConfig, RunReport, run_collective};
pub use comm::{Chunk, Comm, segment};
pub use diagnosis::{
    BlockedReceive, Cause, ConfigPart, DepthAnswer, DiagnoseConfig, DiagnoseProgram, Diagnosis,
    Faults, GENEROUS_IPCQ_DEPTH, MAX_IPCQ_DEPTH, MinDepth, Nearest, Relation, SkipsStep, Stall,
    Timeline, TransferSpan, WrongPeer, WrongSource, WrongTag, check_diagnosis, cycle_summary,
    diagnose, diagnose_with_trace, message_line, min_ipcq_depth,
};
pub use error::CollectiveError;
pub use group::{Channels, CollectiveCall, DEFAULT_CHUNK, Groups, ProcessGroup, Work};
pub use launch::{Rank, launch};
pub use names::{Algorithm, Collective};
pub use p2p::Pairs;
pub use pe_kernels::PeKernel;
pub use pe_run::{PeKernelReport, PeRunConfig, run_pe_kernel, run_pe_program};
pub use ring::{RingInOrder, check_order};
pub use runner::{SLICE_EVENTS, StallKind};
pub use schedule::{IntoSchedule, LocalBoxFuture, Schedule, check};
pub use verify::{initial_value, reduced_value};
