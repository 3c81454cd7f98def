use kernbench_engine::{Outcome, SimTime, Simulation};

use crate::{Log, ns};

#[test]
fn timeout_advances_the_clock_by_exactly_its_delay() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let log = Log::default();
    let l = log.clone();
    simulation.spawn("p", async move {
        sim.timeout(SimTime::from_ps(1_250)).await;
        l.push(sim.now(), "a");
        sim.timeout(ns(3)).await;
        l.push(sim.now(), "b");
    });
    let outcome = simulation.run().unwrap();
    assert_eq!(
        log.entries(),
        [
            (SimTime::from_ps(1_250), "a".to_string()),
            (SimTime::from_ps(4_250), "b".to_string())
        ]
    );
    assert!(matches!(outcome, Outcome::Completed { time, .. } if time == SimTime::from_ps(4_250)));
}

#[test]
fn same_time_wakeups_run_in_the_order_they_were_scheduled() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let log = Log::default();
    // Spawned in the order c, a, b, all waking at 5 ns: they must resume c, a, b.
    for name in ["c", "a", "b"] {
        let (sim, log) = (sim.clone(), log.clone());
        simulation.spawn(name, async move {
            sim.timeout(ns(5)).await;
            log.push(sim.now(), name);
        });
    }
    simulation.run().unwrap();
    assert_eq!(log.whats(), ["c", "a", "b"]);
}

#[test]
fn an_earlier_scheduled_wakeup_runs_before_one_made_at_the_same_time() {
    // `first` and `second` both wake at 10 ns (scheduled at 0). When `first` runs it wakes
    // `third` for 10 ns too; `second` was scheduled earlier, so it runs before `third`.
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let log = Log::default();
    let (s, l) = (sim.clone(), log.clone());
    simulation.spawn("first", async move {
        s.timeout(ns(10)).await;
        l.push(s.now(), "first");
        let (s2, l2) = (s.clone(), l.clone());
        s.spawn("third", async move {
            l2.push(s2.now(), "third");
        });
    });
    let (s, l) = (sim.clone(), log.clone());
    simulation.spawn("second", async move {
        s.timeout(ns(10)).await;
        l.push(s.now(), "second");
    });
    simulation.run().unwrap();
    assert_eq!(log.whats(), ["first", "second", "third"]);
}

#[test]
fn zero_timeout_yields_to_processes_due_at_the_same_time() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let log = Log::default();
    let (s, l) = (sim.clone(), log.clone());
    simulation.spawn("yielder", async move {
        l.push(s.now(), "yielder before");
        s.timeout(SimTime::ZERO).await;
        l.push(s.now(), "yielder after");
    });
    let (s, l) = (sim.clone(), log.clone());
    simulation.spawn("other", async move {
        l.push(s.now(), "other");
    });
    simulation.run().unwrap();
    assert_eq!(log.whats(), ["yielder before", "other", "yielder after"]);
    assert!(log.entries().iter().all(|(t, _)| *t == SimTime::ZERO));
}

#[test]
fn a_run_with_no_processes_completes_at_time_zero() {
    let mut simulation = Simulation::new();
    let outcome = simulation.run().unwrap();
    assert!(matches!(
        outcome,
        Outcome::Completed {
            time: SimTime::ZERO,
            events: 0
        }
    ));
}
