use kernbench_engine::{Event, Simulation};

use crate::{Log, ns};

#[test]
fn every_waiter_gets_the_value_at_the_trigger_time_in_waiting_order() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let event: Event<u32> = Event::new(&sim, "ready");
    let log = Log::default();
    for (i, name) in ["w0", "w1", "w2"].into_iter().enumerate() {
        let (e, s, l) = (event.clone(), sim.clone(), log.clone());
        simulation.spawn(name, async move {
            s.timeout(ns(i as u64)).await;
            let v = e.wait().await;
            l.push(s.now(), format!("{name} {v}"));
        });
    }
    let s = sim.clone();
    simulation.spawn("trigger", async move {
        s.timeout(ns(10)).await;
        event.trigger(7).unwrap();
    });
    simulation.run().unwrap();
    assert_eq!(
        log.entries(),
        [
            (ns(10), "w0 7".to_string()),
            (ns(10), "w1 7".to_string()),
            (ns(10), "w2 7".to_string()),
        ]
    );
}

#[test]
fn waiting_on_a_triggered_event_returns_at_once() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let event: Event<&str> = Event::new(&sim, "done");
    event.trigger("early").unwrap();
    let log = Log::default();
    let l = log.clone();
    simulation.spawn("late", async move {
        sim.timeout(ns(3)).await;
        let v = event.wait().await;
        l.push(sim.now(), v);
    });
    simulation.run().unwrap();
    assert_eq!(log.entries(), [(ns(3), "early".to_string())]);
}

#[test]
fn triggering_twice_is_an_error_that_names_the_event() {
    let simulation = Simulation::new();
    let event: Event<()> = Event::new(&simulation.handle(), "barrier 3");
    assert!(event.trigger(()).is_ok());
    let error = event.trigger(()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "event barrier 3 was already triggered; an event fires once (create a new one per occurrence)"
    );
    assert!(event.is_triggered());
}
