use kernbench_engine::{Resource, Simulation};

use crate::{Log, ns};

#[test]
fn a_resource_serves_requests_first_come_first_served() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let link = Resource::new(&sim, "link", 2);
    let log = Log::default();
    for (i, name) in ["a", "b", "c", "d"].into_iter().enumerate() {
        let (r, s, l) = (link.clone(), sim.clone(), log.clone());
        simulation.spawn(name, async move {
            s.timeout(ns(i as u64)).await;
            let _unit = r.request().await;
            l.push(s.now(), format!("{name} start"));
            s.timeout(ns(10)).await;
        });
    }
    let outcome = simulation.run().unwrap();
    // Two units: a and b start at once; c waits for a (10 ns), d for b (11 ns).
    assert_eq!(
        log.entries(),
        [
            (ns(0), "a start".to_string()),
            (ns(1), "b start".to_string()),
            (ns(10), "c start".to_string()),
            (ns(11), "d start".to_string()),
        ]
    );
    assert_eq!(outcome.time(), ns(21));
    assert_eq!(link.in_use(), 0);
}

#[test]
fn dropping_the_guard_releases_the_unit_to_the_next_waiter() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let r = Resource::new(&sim, "r", 1);
    let log = Log::default();
    let (r1, s, l) = (r.clone(), sim.clone(), log.clone());
    simulation.spawn("holder", async move {
        let unit = r1.request().await;
        s.timeout(ns(5)).await;
        drop(unit);
        l.push(s.now(), "released");
        s.timeout(ns(5)).await;
    });
    let (s, l) = (sim.clone(), log.clone());
    simulation.spawn("waiter", async move {
        let _unit = r.request().await;
        l.push(s.now(), "acquired");
    });
    simulation.run().unwrap();
    assert_eq!(
        log.entries(),
        [
            (ns(5), "released".to_string()),
            (ns(5), "acquired".to_string())
        ]
    );
}
