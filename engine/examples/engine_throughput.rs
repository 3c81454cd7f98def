//! Engine throughput benchmark: prints wall time and events per second for a workload.
//!
//! ```text
//! cargo run --release -p kernbench-engine --example engine_throughput -- timeouts
//! cargo run --release -p kernbench-engine --example engine_throughput -- queues
//! cargo run --release -p kernbench-engine --example engine_throughput -- mm1
//! ```
//!
//! - `timeouts`: 1,000 processes, each doing 1,000 timeouts of 1 ns.
//! - `queues`: 100 producer/consumer pairs passing 2,000 messages each through capacity-1
//!   queues; the consumer does a 1 ns timeout per message.
//! - `mm1`: an M/M/1 queue (arrival process, unbounded queue, server process) serving
//!   1,000,000 customers; mean inter-arrival 1 us, mean service 0.9 us, seeded.
//!
//! `engine_throughput_simpy.py` beside this file runs the same workloads on SimPy.

use std::process::ExitCode;
use std::time::Instant;

use kernbench_engine::{Queue, SimTime, Simulation};

fn timeouts(simulation: &mut Simulation) {
    let sim = simulation.handle();
    for p in 0..1_000 {
        let sim = sim.clone();
        simulation.spawn(format!("sleeper{p}"), async move {
            for _ in 0..1_000 {
                sim.timeout(SimTime::from_ns(1)).await;
            }
        });
    }
}

fn queues(simulation: &mut Simulation) {
    let sim = simulation.handle();
    for p in 0..100 {
        let queue: Queue<u32> = Queue::new(&sim, format!("q{p}"), 1);
        let tx = queue.clone();
        simulation.spawn(format!("producer{p}"), async move {
            for i in 0..2_000 {
                tx.put(i).await;
            }
        });
        let s = sim.clone();
        simulation.spawn(format!("consumer{p}"), async move {
            for _ in 0..2_000 {
                queue.get().await;
                s.timeout(SimTime::from_ns(1)).await;
            }
        });
    }
}

/// xorshift64*: a small seeded generator, enough for exponential variates in a benchmark.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        // 53 random bits in (0, 1].
        ((x >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    fn exponential(&mut self, mean_ps: f64) -> SimTime {
        SimTime::from_ps((-self.next_f64().ln() * mean_ps) as u64)
    }
}

fn mm1(simulation: &mut Simulation) {
    const CUSTOMERS: u32 = 1_000_000;
    let sim = simulation.handle();
    let line: Queue<SimTime> = Queue::new(&sim, "line", usize::MAX);
    let (s, tx) = (sim.clone(), line.clone());
    simulation.spawn("arrivals", async move {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..CUSTOMERS {
            s.timeout(rng.exponential(1e6)).await;
            tx.put(s.now()).await;
        }
    });
    simulation.spawn("server", async move {
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        for _ in 0..CUSTOMERS {
            line.get().await;
            sim.timeout(rng.exponential(0.9e6)).await;
        }
    });
}

fn main() -> ExitCode {
    let workload = std::env::args().nth(1).unwrap_or_default();
    let build: fn(&mut Simulation) = match workload.as_str() {
        "timeouts" => timeouts,
        "queues" => queues,
        "mm1" => mm1,
        _ => {
            eprintln!("usage: engine_throughput timeouts|queues|mm1");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    let mut simulation = Simulation::new();
    build(&mut simulation);
    let outcome = match simulation.run() {
        Ok(outcome) => outcome,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let wall = start.elapsed().as_secs_f64();
    println!(
        "{workload}: {outcome}; wall {wall:.4} s; {:.1} M events/s",
        outcome.events() as f64 / wall / 1e6
    );
    if outcome.is_completed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
