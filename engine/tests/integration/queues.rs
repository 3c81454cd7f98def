use kernbench_engine::{Queue, SimTime, Simulation};

use crate::{Log, ns};

#[test]
fn items_come_out_in_the_order_they_went_in() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q: Queue<u32> = Queue::new(&sim, "q", 3);
    let tx = q.clone();
    simulation.spawn("producer", async move {
        for i in 0..10 {
            tx.put(i).await;
        }
    });
    let got = simulation.spawn("consumer", async move {
        let mut got = Vec::new();
        for _ in 0..10 {
            got.push(q.get().await);
        }
        Ok::<_, String>(got)
    });
    let s = sim.clone();
    let check = simulation.spawn("check", async move {
        let v = got.await;
        Ok::<_, String>((v, s.now()))
    });
    simulation.run().unwrap();
    assert!(check.is_finished());
}

#[test]
fn put_blocks_while_the_queue_is_full() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q: Queue<u32> = Queue::new(&sim, "q", 2);
    let log = Log::default();
    let (tx, s, l) = (q.clone(), sim.clone(), log.clone());
    simulation.spawn("producer", async move {
        for i in 0..4 {
            tx.put(i).await;
            l.push(s.now(), format!("put {i}"));
        }
    });
    let (s, l) = (sim.clone(), log.clone());
    simulation.spawn("consumer", async move {
        s.timeout(ns(10)).await;
        for _ in 0..4 {
            let v = q.get().await;
            l.push(s.now(), format!("got {v}"));
            s.timeout(ns(10)).await;
        }
    });
    simulation.run().unwrap();
    assert_eq!(
        log.entries(),
        [
            (ns(0), "put 0".to_string()),
            (ns(0), "put 1".to_string()),
            (ns(10), "got 0".to_string()),
            (ns(10), "put 2".to_string()),
            (ns(20), "got 1".to_string()),
            (ns(20), "put 3".to_string()),
            (ns(30), "got 2".to_string()),
            (ns(40), "got 3".to_string()),
        ]
    );
}

#[test]
fn capacity_zero_is_a_rendezvous_put_waits_for_the_get() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q: Queue<&str> = Queue::new(&sim, "rendezvous", 0);
    let log = Log::default();
    let (tx, s, l) = (q.clone(), sim.clone(), log.clone());
    simulation.spawn("sender", async move {
        tx.put("hello").await;
        l.push(s.now(), "sent");
    });
    let (s, l) = (sim.clone(), log.clone());
    simulation.spawn("receiver", async move {
        s.timeout(ns(8)).await;
        let v = q.get().await;
        l.push(s.now(), format!("received {v}"));
    });
    simulation.run().unwrap();
    let mut entries = log.entries();
    entries.sort();
    assert_eq!(
        entries,
        [
            (ns(8), "received hello".to_string()),
            (ns(8), "sent".to_string())
        ]
    );
}

#[test]
fn capacity_zero_get_waits_for_the_put() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q: Queue<u8> = Queue::new(&sim, "rendezvous", 0);
    let (rx, s) = (q.clone(), sim.clone());
    let receiver = simulation.spawn("receiver", async move {
        let v = rx.get().await;
        Ok::<_, String>((v, s.now()))
    });
    let s = sim.clone();
    simulation.spawn("sender", async move {
        s.timeout(ns(4)).await;
        q.put(9).await;
    });
    let (s2, log) = (sim.clone(), Log::default());
    let l = log.clone();
    simulation.spawn("joiner", async move {
        let (v, t) = receiver.await;
        l.push(s2.now(), format!("{v} at {t}"));
    });
    simulation.run().unwrap();
    assert_eq!(log.whats(), ["9 at 4 ns"]);
}

#[test]
fn several_waiting_getters_are_served_in_arrival_order() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q: Queue<u32> = Queue::new(&sim, "q", 1);
    let log = Log::default();
    for (i, name) in ["g0", "g1", "g2"].into_iter().enumerate() {
        let (rx, s, l) = (q.clone(), sim.clone(), log.clone());
        simulation.spawn(name, async move {
            s.timeout(SimTime::from_ps(i as u64)).await; // arrive in order g0, g1, g2
            let v = rx.get().await;
            l.push(s.now(), format!("{name} got {v}"));
        });
    }
    let s = sim.clone();
    simulation.spawn("producer", async move {
        s.timeout(ns(1)).await;
        for v in [100, 200, 300] {
            q.put(v).await;
        }
    });
    simulation.run().unwrap();
    assert_eq!(log.whats(), ["g0 got 100", "g1 got 200", "g2 got 300"]);
}

#[test]
fn several_waiting_putters_are_served_in_arrival_order() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q: Queue<&str> = Queue::new(&sim, "q", 0);
    for (i, name) in ["p0", "p1", "p2"].into_iter().enumerate() {
        let (tx, s) = (q.clone(), sim.clone());
        simulation.spawn(name, async move {
            s.timeout(SimTime::from_ps(i as u64)).await;
            tx.put(name).await;
        });
    }
    let s = sim.clone();
    let got = simulation.spawn("consumer", async move {
        s.timeout(ns(1)).await;
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(q.get().await);
        }
        Ok::<_, String>(got)
    });
    let log = Log::default();
    let l = log.clone();
    simulation.spawn("joiner", async move {
        l.push(SimTime::ZERO, got.await.join(","));
    });
    simulation.run().unwrap();
    assert_eq!(log.whats(), ["p0,p1,p2"]);
}

#[test]
fn try_put_and_try_get_never_wait() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q: Queue<u32> = Queue::new(&sim, "q", 1);
    assert_eq!(q.try_get(), None);
    assert_eq!(q.try_put(1), Ok(()));
    assert_eq!(q.try_put(2), Err(2));
    assert_eq!(q.len(), 1);
    assert_eq!(q.try_get(), Some(1));
    assert!(q.is_empty());
    assert!(simulation.run().unwrap().is_completed());
}
