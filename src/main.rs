//! The `kernbench` command line: a thin layer that parses arguments, calls the library crates
//! and turns their errors into exit codes in one place ([`Failure::exit_code`]).
//!
//! Exit codes: 0 done; 2 bad input (a message naming the file, the place and the fix);
//! 3 deadlock (the report is printed); 4 a limit was reached; 1 an internal error (a bug) or
//! a failure of the machine rather than the input (a disk that filled up during a sweep).

/// `eprintln!` that never panics: a closed or full standard error (`kernbench sweep 2>&1 | head
/// -1`) silences messages and progress, and the work goes on to earn its own exit code.
/// (`eprintln!` panics on a failed write, and a panic while reporting a panic aborts.)
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        // ok: nowhere is left to report a failed write to standard error.
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// The `Exit codes:` block of a command's `--help`: the codes given, in that order, as
/// DESIGN.md defines them and [`Failure::exit_code`] returns them.
/// `alone` for a help that has no examples above it.
macro_rules! exit_codes {
    (alone $($code:tt)+) => { concat!("Exit codes:", $(exit_code!($code)),+) };
    ($($code:tt)+) => { concat!("\n\nExit codes:", $(exit_code!($code)),+) };
}

/// One line of [`exit_codes!`].
macro_rules! exit_code {
    (0) => {
        "\n  0  done"
    };
    (1) => {
        "\n  1  an internal error (a bug), or the machine failed under good input (a full disk)"
    };
    (2) => {
        "\n  2  bad input: the message names the file, the place and the fix"
    };
    (3) => {
        "\n  3  deadlock: the report is printed"
    };
    (4) => {
        "\n  4  a limit was reached first (a time limit or bound, a livelock)"
    };
}

mod compare;
mod compare_match;
mod compare_workloads;
mod diagnose;
/// mimalloc rather than the system allocator: a simulation makes and frees small objects at a
/// high rate (processes, mailboxes, messages), where glibc's free lists cost up to a third of
/// the run time at thousands of SIPs; mimalloc took ring all-reduce on 1,024 SIPs from 4.5 s
/// to 3.8 s (examples/scale.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod eta;
mod label;
mod matrix_file;
mod progress;
mod result;
mod ron_file;
mod run;
mod scenario;
mod sweep;
mod sweep_folder;
mod sweep_spec;
mod trace;
mod workload;
mod workload_file;
mod workload_plan;
mod workload_sweep;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use kernbench_model::{ModelError, TopologySource};

/// A cycle-approximate simulator of multi-chip AI accelerators.
#[derive(Debug, Parser)]
#[command(name = "kernbench", version, about, long_about = None, after_help = exit_codes!(alone 0 2 3 4 1))]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check topology, sweep and scenario files: syntax, units, shapes, links and connectivity.
    ///
    /// A file named `*.sweep.ron` is checked as a sweep (with the topologies and workloads it
    /// names),
    /// `*.scenario.ron` as a diagnosis scenario (with its topology), `*.a2av.ron` as an
    /// all-to-allv matrix, `*.workload.ron` as a workload (its graph: names, dependencies,
    /// cycles, groups, peers), a folder as Chakra traces (`PREFIX.N.et`, one per rank), any
    /// other as a topology. Prints `ok: FILE (...)` for each good file and an error naming the
    /// file and the line and column, or the field, for each bad one. Exits with 2 if any file
    /// is bad.
    #[command(
        after_help = concat!("Example:\n  kernbench validate topologies/default.ron topologies/ring8.ron", exit_codes!(0 2 1))
    )]
    Validate {
        /// The files to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Summarise a topology (counts, link classes, bisection bandwidth, injection bound), or print
    /// it as Graphviz.
    #[command(after_help = concat!("Examples:\n  kernbench topo topologies/torus4x4.ron\n  \
                            kernbench topo topologies/default.ron --dot | dot -Tsvg -o default.svg", exit_codes!(0 2 1)))]
    Topo {
        /// The topology: a RON file, or a generated form as `run` takes (ring:8, torus:4x4).
        #[arg(value_name = "FILE|FORM")]
        file: String,
        /// Print the graph in Graphviz DOT form instead of the summary.
        #[arg(long)]
        dot: bool,
    },
    /// Run one collective on one topology, one rank per SIP, and print its time and bandwidth
    /// as nccl-tests does.
    ///
    /// algbw = size / time; busbw = algbw x 2(n-1)/n for all-reduce, (n-1)/n for reduce-scatter,
    /// all-gather and all-to-all, 1 for broadcast and reduce. With --verify, buffers carry real f32 data
    /// and every rank's result is checked. A deadlock prints its report and exits with 3.
    #[command(
        after_help = concat!("Examples:\n  kernbench run --topology topologies/ring8.ron --collective all-reduce --algorithm ring --size 64MiB --memory hbm\n  \
                            kernbench run --topology topologies/default.ron --size 1MiB --verify --json\n  \
                            kernbench run --topology topologies/ring8.ron --size 4MiB --trace ring8.json   # open at ui.perfetto.dev", exit_codes!(0 2 3 4 1))
    )]
    Run(Box<run::RunArgs>),
    /// Run a sweep: topologies x collectives x algorithms x sizes x memories, or workloads x
    /// topologies, in parallel.
    ///
    /// Rows stream to DIR/results.csv and DIR/results.jsonl as points finish, so an
    /// interrupted sweep loses nothing finished, and running it again into the same folder
    /// skips the points already there. A point that fails or does not fit is recorded with its
    /// reason and the sweep goes on. At the end: summary.md (best algorithm per topology and
    /// size) and plots (latency and bus bandwidth vs size, link utilisation) as SVG and PNG.
    /// A sweep file with `workloads` runs each workload on each topology as `kernbench
    /// workload` does, into DIR/workloads.csv and DIR/workloads.jsonl, prints their table
    /// and plots each workload's step time per topology.
    #[command(
        after_help = concat!("Examples:\n  kernbench sweep                                  # the bundled topologies/default.sweep.ron\n  \
                            kernbench sweep my.sweep.ron --out results/\n  \
                            kernbench sweep my.sweep.ron --out shard3 --shard 3/8   # one of 8 machines\n  \
                            kernbench sweep topologies/workloads/steps.sweep.ron --out steps/   # workloads x topologies", exit_codes!(0 2 1))
    )]
    Sweep(sweep::SweepArgs),
    /// Run a deadlock-diagnosis scenario and explain why it hangs, if it does.
    ///
    /// A scenario file (`*.scenario.ron`) names a topology, a program (a collective or a PE
    /// program), its parameters and faults to inject. On a deadlock the report opens with the
    /// likely cause in one sentence, then lists the time it stalled, every blocked receive
    /// (with the unreceived message nearest to it) and send with the time it began waiting,
    /// the messages sent and never received, the wait-for cycles (shortest first), the
    /// processes that finished and the last transfers, and the exit code is 3.
    /// A run that passes its time bound, or fires events without moving anything (a livelock),
    /// stops with the same report and exit code 4. A healthy run prints its completion time.
    /// --trace writes the timeline up to the stall, each blocked wait an open slice.
    /// --min-depth finds the smallest IPCQ depth at which a PE program completes.
    #[command(
        after_help = concat!("Examples:\n  kernbench diagnose topologies/scenarios/recv-before-send.scenario.ron\n  \
                            kernbench diagnose topologies/scenarios/tree-rank3-never-joins.scenario.ron --json --dot waits.dot\n  \
                            kernbench diagnose topologies/scenarios/ring-peer-off-by-one.scenario.ron --trace stall.json   # open in ui.perfetto.dev\n  \
                            kernbench diagnose topologies/scenarios/ring-send-first-depth0.scenario.ron --min-depth", exit_codes!(0 2 3 4 1))
    )]
    Diagnose(diagnose::DiagnoseArgs),
    /// Run a workload (`*.workload.ron`): a training step as a graph of compute, collectives,
    /// sends and receives that every rank runs, one rank per SIP.
    ///
    /// Prints the step time; per rank the time in compute, in exposed communication and in
    /// communication overlapped by compute (min/median/max and the slowest rank above 16
    /// ranks); the critical path (the chain of nodes that set the step time); and per
    /// collective its time and busbw. A collective that nothing overlaps takes exactly its
    /// time alone (`kernbench run`). A receive without its send, or members of a group in
    /// different collectives, prints the deadlock report naming the nodes and exits with 3.
    #[command(
        after_help = concat!("Examples:\n  kernbench workload topologies/workloads/tp-layer.workload.ron --topology topologies/ring8.ron\n  \
                            kernbench workload topologies/workloads/pipeline.workload.ron --topology topologies/mesh2x2.ron --json", exit_codes!(0 2 3 1))
    )]
    Workload(workload::WorkloadArgs),
    /// Join the output folders of sweep shards into one, with tables and plots (the rows of
    /// collectives, results.jsonl, and of workloads, workloads.jsonl, each on its own).
    #[command(after_help = concat!("Example:\n  kernbench merge shard0 shard1 shard2 shard3 --out all", exit_codes!(0 2 1)))]
    Merge(sweep::MergeArgs),
    /// Compare two sweeps point by point: the time and bus bandwidth of each, and B's over A's.
    ///
    /// A and B are sweep outputs: --out folders, or their results.jsonl or results.csv. Points
    /// are matched on every field (topology, collective, algorithm, size, memory, channels,
    /// chunk size, groups) when any point matches so; otherwise, when each side holds one
    /// topology, on everything but the machine (one board against another), or, when each
    /// side ran one network model, on everything but the model. Points of one side
    /// only are listed after the table. A time ratio B/A below 1 means B is faster. Two
    /// workload sweeps (folders with workloads.jsonl, or those files) compare the same way,
    /// by workload, topology and model: step time and exposed communication.
    #[command(after_help = concat!("Examples:\n  kernbench compare old/ new/\n  \
                            kernbench compare ring8-out/results.csv torus-out/results.csv --csv > ratios.csv", exit_codes!(0 2 1)))]
    Compare(compare::CompareArgs),
    /// Print a shell completion script to standard output.
    #[command(
        after_help = concat!("Examples:\n  kernbench completions bash > ~/.local/share/bash-completion/completions/kernbench\n  \
                            kernbench completions zsh > ~/.zfunc/_kernbench   # with fpath+=~/.zfunc before compinit\n  \
                            kernbench completions fish > ~/.config/fish/completions/kernbench.fish", exit_codes!(0 2))
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
}

/// Why a command did not finish; decides the exit code.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad input; the message goes to stderr.
    BadInput(String),
    /// Bad input whose messages were already printed (one per file).
    BadInputReported,
    /// The simulation deadlocked; the report goes to stdout.
    Deadlock(String),
    /// A limit was reached before the run finished.
    Limit(String),
    /// A bug; reported as an internal error.
    Internal(String),
    /// The machine failed under a good input (e.g. the disk filled up during a sweep); the
    /// message says what is safe and what to do. Exit code 1, like [`Failure::Internal`],
    /// but not reported as a bug.
    Environment(String),
}

impl Failure {
    fn exit_code(&self) -> ExitCode {
        match self {
            Failure::BadInput(_) | Failure::BadInputReported => ExitCode::from(2),
            Failure::Deadlock(_) => ExitCode::from(3),
            Failure::Limit(_) => ExitCode::from(4),
            Failure::Internal(_) | Failure::Environment(_) => ExitCode::from(1),
        }
    }
}

impl From<ModelError> for Failure {
    fn from(error: ModelError) -> Failure {
        // Every model error is about input a user can fix.
        Failure::BadInput(error.to_string())
    }
}

fn main() -> ExitCode {
    // A panic is a bug: report it as an internal error (exit 1), without the default
    // "panicked at" text aimed at developers.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_owned());
        let place = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        note!("kernbench: internal error{place}: {message}; this is a bug, please report it");
    }));

    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // ok: printing clap's message can only fail if stderr is closed; nothing to do then.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = std::panic::catch_unwind(|| run(cli))
        .unwrap_or_else(|_| Err(Failure::Internal("the command panicked".to_owned())));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            match &failure {
                Failure::BadInput(message) => note!("error: {message}"),
                Failure::Deadlock(report) => {
                    let _ = print(report);
                    note!("error: the run deadlocked (report above)");
                }
                Failure::Limit(message) => note!("error: {message}"),
                Failure::Internal(message) => note!("kernbench: internal error: {message}"),
                Failure::Environment(message) => note!("error: {message}"),
                Failure::BadInputReported => {}
            }
            failure.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Validate { files } => validate(&files),
        Command::Topo { file, dot } => topo(&file, dot),
        Command::Run(args) => run::run(&args),
        Command::Diagnose(args) => diagnose::diagnose(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Merge(args) => sweep::merge_dirs(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::Completions { shell } => completions(shell),
        Command::Workload(args) => workload::workload(&args),
    }
}

/// `kernbench validate`: every file is checked even after a bad one.
fn validate(files: &[PathBuf]) -> Result<(), Failure> {
    let mut bad = 0;
    for file in files {
        // Files are told apart by name: `*.sweep.ron` is a sweep, `*.scenario.ron` a scenario,
        // `*.a2av.ron` an all-to-allv matrix, anything else a topology.
        let is_sweep = file.to_string_lossy().ends_with(".sweep.ron");
        let is_scenario = file.to_string_lossy().ends_with(".scenario.ron");
        let is_matrix = file.to_string_lossy().ends_with(".a2av.ron");
        let is_workload = file.to_string_lossy().ends_with(".workload.ron");
        let checked = if file.is_dir() {
            // A folder of Chakra traces, as `workload` takes.
            workload_file::load_any(file, None).map(|w| {
                format!(
                    "Chakra trace, {} ranks: {}",
                    w.workload.ranks.unwrap_or(0),
                    workload_file::describe(&w.workload)
                )
            })
        } else if is_workload {
            workload_file::load_matched(file).map(|w| workload_file::describe(&w))
        } else if is_matrix {
            matrix_file::read(file).map(|m| {
                format!(
                    "all-to-allv matrix: {} ranks, {} in all",
                    m.ranks(),
                    kernbench_model::Bytes(m.total())
                )
            })
        } else if is_scenario {
            scenario::Scenario::load(file).map(|s| format!("scenario {}: {}", s.name, s.describe()))
        } else if is_sweep {
            sweep_spec::Plan::load(file).map(|plan| match plan {
                sweep_spec::Plan::Collectives(s) => format!(
                    "sweep {}: {} points, {} topologies",
                    s.name,
                    s.points.len(),
                    s.topologies.len()
                ),
                sweep_spec::Plan::Workloads(s) => format!(
                    "workload sweep {}: {} points, {}",
                    s.name,
                    s.points.len(),
                    s.shape()
                ),
            })
        } else {
            // A file, or a generated form (`ring:8`), as `run --topology` takes.
            let loaded = match TopologySource::parse(&file.to_string_lossy()) {
                Ok(source) => source.load(),
                Err(e) => Err(e),
            };
            loaded
                .map(|t| format!("topology {}: {}", t.name(), t.summary().counts()))
                .map_err(Failure::from)
        };
        match checked {
            Ok(what) => print(&format!("ok: {} ({what})\n", file.display()))?,
            Err(Failure::BadInput(message)) => {
                bad += 1;
                note!("error: {message}");
            }
            Err(other) => return Err(other),
        }
    }
    if bad > 0 {
        return Err(Failure::BadInputReported);
    }
    Ok(())
}

/// `kernbench topo`.
fn topo(file: &str, dot: bool) -> Result<(), Failure> {
    let topo = TopologySource::parse(file)?.load()?;
    if dot {
        print(&topo.to_dot())
    } else {
        print(&topo.summary().to_string())
    }
}

/// `kernbench completions SHELL`: written to memory first, so that a closed pipe is handled
/// as everywhere else ([`print`]) rather than by the generator.
fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kernbench", &mut script);
    print(&String::from_utf8_lossy(&script))
}

/// Writes to stdout; a closed pipe (`kernbench topo X --dot | head`) is not an error.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    match io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Internal(format!("cannot write to stdout: {e}"))),
    }
}
