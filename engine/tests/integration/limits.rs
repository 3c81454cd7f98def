use kernbench_engine::{Limit, Outcome, SimTime, Simulation};

use crate::ns;

fn ticker(simulation: &Simulation, ticks: u64) {
    let sim = simulation.handle();
    simulation.spawn("ticker", async move {
        for _ in 0..ticks {
            sim.timeout(ns(1)).await;
        }
    });
}

#[test]
fn run_until_stops_before_later_events_and_can_resume() {
    let mut simulation = Simulation::new();
    ticker(&simulation, 10);
    let outcome = simulation.run_until(ns(4)).unwrap();
    assert!(matches!(
        outcome,
        Outcome::LimitReached { limit: Limit::Time(t), time, .. } if t == ns(4) && time == ns(4)
    ));
    let outcome = simulation.run().unwrap();
    assert!(matches!(outcome, Outcome::Completed { time, .. } if time == ns(10)));
}

#[test]
fn run_until_a_time_after_the_last_event_completes() {
    let mut simulation = Simulation::new();
    ticker(&simulation, 3);
    let outcome = simulation.run_until(ns(100)).unwrap();
    assert!(matches!(outcome, Outcome::Completed { time, .. } if time == ns(3)));
}

#[test]
fn an_event_budget_stops_the_run_and_a_later_run_resumes_exactly() {
    let mut simulation = Simulation::new();
    ticker(&simulation, 10);
    // One event to start the process, then one per timeout: 11 in all.
    let outcome = simulation.run_for_events(5).unwrap();
    assert!(matches!(
        outcome,
        Outcome::LimitReached { limit: Limit::Events(5), events: 5, time, .. } if time == ns(4)
    ));
    let outcome = simulation.run().unwrap();
    assert!(matches!(outcome, Outcome::Completed { events: 11, time, .. } if time == ns(10)));
}

#[test]
fn outcome_prints_as_a_sentence() {
    let mut simulation = Simulation::new();
    ticker(&simulation, 2);
    assert_eq!(
        simulation
            .run_until(SimTime::from_ps(1_500))
            .unwrap()
            .to_string(),
        "time limit 1.5 ns reached at 1.5 ns after 2 events"
    );
}
