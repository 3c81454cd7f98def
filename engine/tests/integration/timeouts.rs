use kernbench_engine::{Outcome, SimError, SimTime, Simulation};

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

/// Runs "relayed" (sleeping to 5 ns through stops at 1, 2 and 3 ns, either woken at each or
/// relayed past them) beside three processes that file wake-ups for 5 ns at 0.5, 1.5 and
/// 2.5 ns, and one for 3 ns at 0.5 ns; returns who ran when, in order, and the event count.
fn relayed_among_others(relay: bool) -> (Vec<(SimTime, String)>, u64) {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let log = Log::default();
    let (s, l) = (sim.clone(), log.clone());
    simulation.spawn("relayed", async move {
        let stops = [ns(1), ns(2), ns(3)];
        if relay {
            s.timeout_via(&stops, ns(5)).await;
        } else {
            for stop in stops {
                s.timeout(stop - s.now()).await;
            }
            s.timeout(ns(5) - s.now()).await;
        }
        l.push(s.now(), "relayed");
    });
    for (name, first, then) in [
        ("a", 500, ns(5)),
        ("b", 1_500, ns(5)),
        ("c", 2_500, ns(5)),
        ("d", 500, ns(3)),
    ] {
        let (s, l) = (sim.clone(), log.clone());
        simulation.spawn(name, async move {
            s.timeout(SimTime::from_ps(first)).await;
            s.timeout(then - s.now()).await;
            l.push(s.now(), name);
        });
    }
    let outcome = simulation.run().unwrap();
    (log.entries(), outcome.events())
}

#[test]
fn a_relayed_sleep_keeps_the_order_and_events_of_waking_at_each_stop() {
    let woken = relayed_among_others(false);
    let relayed = relayed_among_others(true);
    assert_eq!(relayed, woken);
    // "relayed" filed its 5 ns wake-up at its last stop (3 ns), after a, b and c did.
    let order: Vec<&str> = woken.0.iter().map(|(_, w)| w.as_str()).collect();
    assert_eq!(order, ["d", "a", "b", "c", "relayed"]);
    // relayed: start, three stops, 5 ns; a to d: start and two wake-ups each.
    assert_eq!(woken.1, 5 + 4 * 3);
}

#[test]
fn a_relayed_sleep_drops_stops_out_of_order_or_out_of_range() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    simulation.spawn("p", async move {
        let stops = [ns(2), ns(1), ns(2), ns(7), ns(3)];
        sim.timeout_via(&stops, ns(4)).await;
        assert_eq!(sim.now(), ns(4));
    });
    let outcome = simulation.run().unwrap();
    // The start, the stops at 2 and 3 ns, the wake-up at 4 ns.
    assert_eq!((outcome.time(), outcome.events()), (ns(4), 4));
}

#[test]
fn a_delay_past_the_end_of_the_clock_ends_the_run_with_an_overflow_not_a_time() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    simulation.spawn("p", async move {
        sim.timeout(SimTime::from_secs(1)).await;
        // 2^64 ps is about 213 days: this saturates at SimTime::MAX.
        sim.timeout(SimTime::from_ps(u64::MAX - 1)).await;
    });
    let error = simulation.run().unwrap_err();
    assert!(
        matches!(error, SimError::TimeOverflow { time, events: 2 } if time == SimTime::from_secs(1)),
        "{error:?}"
    );
    assert!(matches!(simulation.run(), Err(SimError::AlreadyFailed)));
}
