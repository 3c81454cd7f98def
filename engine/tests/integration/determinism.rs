use kernbench_engine::{Queue, SimTime, Simulation};

use crate::Log;

/// A model with many same-time wake-ups, queues and spawns; returns its full trace.
fn busy_model() -> Vec<(SimTime, String)> {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let log = Log::default();
    let queues: Vec<Queue<u64>> = (0..8)
        .map(|i| Queue::new(&sim, format!("q{i}"), i % 3))
        .collect();
    for p in 0..8u64 {
        let (s, l) = (sim.clone(), log.clone());
        let tx = queues[p as usize].clone();
        let rx = queues[((p + 1) % 8) as usize].clone();
        simulation.spawn(format!("p{p}"), async move {
            for i in 0..50u64 {
                s.timeout(SimTime::from_ps((p * 7 + i * 13) % 5)).await;
                tx.put(p * 1000 + i).await;
                let v = rx.get().await;
                l.push(s.now(), format!("p{p} got {v}"));
            }
        });
    }
    simulation.run().unwrap();
    log.entries()
}

#[test]
fn two_runs_of_the_same_model_give_the_same_trace() {
    let first = busy_model();
    assert_eq!(first.len(), 400);
    assert_eq!(first, busy_model());
}
