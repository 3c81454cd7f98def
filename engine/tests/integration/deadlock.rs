use kernbench_engine::{DeadlockReport, Event, Outcome, Queue, SimTime, Simulation};

use crate::ns;

#[test]
fn recv_before_send_reports_both_blocked_receives_and_the_cycle() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let ab: Queue<u32> = Queue::new(&sim, "ipcq c0.s0.p0->c0.s0.p1", 1);
    let ba: Queue<u32> = Queue::new(&sim, "ipcq c0.s0.p1->c0.s0.p0", 1);
    let (rx, tx, s) = (ba.clone(), ab.clone(), sim.clone());
    let a = simulation.spawn("pe0", async move {
        s.timeout(ns(2)).await;
        rx.get().await;
        tx.put(1).await;
    });
    let (rx, tx, s) = (ab.clone(), ba.clone(), sim.clone());
    let b = simulation.spawn("pe1", async move {
        s.timeout(ns(3)).await;
        rx.get().await;
        tx.put(2).await;
    });
    ab.add_producer(a.id());
    ba.add_producer(b.id());
    ab.add_consumer(b.id());
    ba.add_consumer(a.id());

    let outcome = simulation.run().unwrap();
    let Outcome::Deadlock(report) = outcome else {
        panic!("expected a deadlock, got {outcome}");
    };
    assert_eq!(report.time, ns(3));
    let pe0 = report.blocked_process("pe0").unwrap();
    assert_eq!(pe0.waits.len(), 1);
    assert_eq!(pe0.waits[0].label, "get on queue ipcq c0.s0.p1->c0.s0.p0");
    assert_eq!(pe0.waits[0].since, ns(2));
    assert_eq!(pe0.wakers(), vec![b.id()]);
    let pe1 = report.blocked_process("pe1").unwrap();
    assert_eq!(pe1.waits[0].label, "get on queue ipcq c0.s0.p0->c0.s0.p1");
    assert_eq!(pe1.waits[0].since, ns(3));
    assert_eq!(pe1.wakers(), vec![a.id()]);

    let cycles: Vec<Vec<String>> = report
        .cycles
        .iter()
        .map(|c| c.iter().map(|p| p.to_string()).collect())
        .collect();
    assert_eq!(cycles, [["pe0", "pe1"]]);
    assert_eq!(
        report.to_string(),
        "deadlock at 3 ns: 2 processes blocked and nothing left on the calendar (4 events, 0 finished)\n\
         \x20 #0 pe0: get on queue ipcq c0.s0.p1->c0.s0.p0, waiting since 2 ns; could be woken by pe1\n\
         \x20 #1 pe1: get on queue ipcq c0.s0.p0->c0.s0.p1, waiting since 3 ns; could be woken by pe0\n\
         wait-for cycles (1):\n\
         \x20 pe0 -> pe1 -> pe0\n"
    );
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["blocked"][0]["process"]["name"], "pe0");
    assert_eq!(json["blocked"][0]["waits"][0]["since"], 2_000);
    assert_eq!(json["cycles"][0][1]["name"], "pe1");
}

#[test]
fn a_three_process_ring_reports_one_cycle_through_all_three() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let queues: Vec<Queue<u32>> = (0..3)
        .map(|i| {
            Queue::with_labels(
                &sim,
                format!("q{i}"),
                0,
                format!("recv p{} <- p{i}", (i + 1) % 3),
                format!("send p{i} -> p{}", (i + 1) % 3),
            )
        })
        .collect();
    let mut ids = Vec::new();
    for i in 0..3usize {
        // Each waits for its left neighbour before passing on: nobody starts.
        let rx = queues[(i + 2) % 3].clone();
        let tx = queues[i].clone();
        ids.push(
            simulation
                .spawn(format!("p{i}"), async move {
                    let v = rx.get().await;
                    tx.put(v + 1).await;
                })
                .id(),
        );
    }
    for i in 0..3 {
        queues[i].add_producer(ids[i]);
    }
    let outcome = simulation.run().unwrap();
    let report = outcome.deadlock().expect("a deadlock");
    assert_eq!(report.blocked.len(), 3);
    assert_eq!(
        report.blocked_process("p1").unwrap().waits[0].label,
        "recv p1 <- p0"
    );
    let cycles: Vec<Vec<String>> = report
        .cycles
        .iter()
        .map(|c| c.iter().map(|p| p.to_string()).collect())
        .collect();
    assert_eq!(cycles, [["p0", "p2", "p1"]]);
    assert!(
        report.to_string().contains("  p0 -> p2 -> p1 -> p0\n"),
        "{report}"
    );
}

#[test]
fn waiting_on_an_event_nobody_triggers_is_reported_without_a_cycle() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let go: Event<()> = Event::new(&sim, "go");
    let s = sim.clone();
    simulation.spawn("finisher", async move {
        s.timeout(ns(1)).await;
    });
    let s = sim.clone();
    simulation.spawn("waiter", async move {
        s.timeout(SimTime::from_ps(500)).await;
        go.wait().await;
    });
    let outcome = simulation.run().unwrap();
    let report = outcome.deadlock().expect("a deadlock");
    assert_eq!(report.time, ns(1));
    assert_eq!(report.finished, 1);
    assert_eq!(report.blocked.len(), 1);
    let waiter = &report.blocked[0];
    assert_eq!(waiter.process.name.as_deref(), Some("waiter"));
    assert_eq!(waiter.waits[0].label, "wait on event go");
    assert_eq!(waiter.waits[0].since, SimTime::from_ps(500));
    assert!(waiter.waits[0].wakers.is_empty());
    assert!(report.cycles.is_empty());
    assert!(report.to_string().contains(
        "#1 waiter: wait on event go, waiting since 500 ps; no process is known to wake it\nwait-for cycles: none\n"
    ), "{report}");
}

#[test]
fn a_queue_learns_its_producers_from_use() {
    // b puts once, then waits to get from a: a has never put, so only b is learned as a
    // producer of q_ba; a blocks on q_ba after draining it and is reported waiting for b.
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q_ba: Queue<u32> = Queue::new(&sim, "b->a", 4);
    let q_ab: Queue<u32> = Queue::new(&sim, "a->b", 4);
    let (rx, s) = (q_ba.clone(), sim.clone());
    simulation.spawn("a", async move {
        rx.get().await;
        s.timeout(ns(1)).await;
        rx.get().await;
    });
    let (tx, rx) = (q_ba.clone(), q_ab.clone());
    simulation.spawn("b", async move {
        tx.put(1).await;
        rx.get().await;
    });
    let report = run_to_deadlock(&mut simulation);
    let a = report.blocked_process("a").unwrap();
    let names: Vec<String> = a.waits[0].wakers.iter().map(|w| w.to_string()).collect();
    assert_eq!(names, ["b"]);
    let b = report.blocked_process("b").unwrap();
    assert!(b.waits[0].wakers.is_empty(), "nobody ever put to a->b");
    assert!(report.cycles.is_empty());
}

#[test]
fn a_queue_reused_after_forget_peers_names_only_its_new_peers() {
    // "old" puts and "first" takes: both are learned. The queue is then handed to "new"
    // (declared producer) and "late" (consumer), and "new" never puts: late's blocked get
    // must name "new" only, not the processes of the queue's first use.
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q: Queue<u32> = Queue::new(&sim, "mailbox", 4);
    let tx = q.clone();
    simulation.spawn("old", async move { tx.put(1).await });
    let rx = q.clone();
    simulation.spawn("first", async move {
        rx.get().await;
    });
    simulation.run().unwrap();
    assert!(q.is_idle());
    q.forget_peers();
    let idle = simulation.spawn("new", async {});
    q.add_producer(idle.id());
    let (rx, s) = (q.clone(), sim.clone());
    simulation.spawn("late", async move {
        s.timeout(ns(1)).await;
        rx.get().await;
    });
    let report = run_to_deadlock(&mut simulation);
    let late = report.blocked_process("late").unwrap();
    let wakers: Vec<_> = late.waits[0].wakers.iter().map(|w| w.id).collect();
    assert_eq!(wakers, [idle.id()]);
}

#[test]
fn a_daemon_left_waiting_does_not_make_a_deadlock() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let requests: Queue<u32> = Queue::new(&sim, "requests", 4);
    let rx = requests.clone();
    simulation.handle().spawn_daemon("server", async move {
        for _ in 0.. {
            rx.get().await;
        }
    });
    let s = sim.clone();
    simulation.spawn("client", async move {
        s.timeout(ns(2)).await;
        requests.put(1).await;
    });
    let outcome = simulation.run().unwrap();
    assert!(matches!(outcome, Outcome::Completed { time, .. } if time == ns(2)));
}

#[test]
fn a_labelled_wait_is_reported_in_the_models_words() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q: Queue<u32> = Queue::new(&sim, "ipcq", 1);
    let s = sim.clone();
    simulation.spawn("c0.s1.p2", async move {
        s.labelled("recv c0.s1.p2 <- c0.s1.p1 (4 KiB, tag 7)", q.get())
            .await;
    });
    let report = run_to_deadlock(&mut simulation);
    assert_eq!(
        report.blocked[0].waits[0].label,
        "recv c0.s1.p2 <- c0.s1.p1 (4 KiB, tag 7)"
    );
}

#[test]
fn recorded_finished_processes_are_listed_by_name_in_the_order_they_finished() {
    let mut simulation = Simulation::new();
    simulation.record_finished();
    let sim = simulation.handle();
    let q: Queue<u32> = Queue::new(&sim, "never", 1);
    let s = sim.clone();
    simulation.spawn("late", async move { s.timeout(ns(5)).await });
    simulation.spawn("early", async {});
    let rx = q.clone();
    simulation.spawn("stuck", async move {
        rx.get().await;
    });
    let report = run_to_deadlock(&mut simulation);
    let names: Vec<String> = report
        .finished_processes
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(names, ["early", "late"]);
    assert_eq!(report.finished, 2);
}

#[test]
fn a_blocked_report_describes_a_run_stopped_at_a_limit() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q: Queue<u32> = Queue::with_labels(&sim, "q", 1, "recv b <- a", "send a -> b");
    let rx = q.clone();
    simulation.spawn("b", async move {
        rx.get().await;
    });
    let s = sim.clone();
    simulation.spawn("poller", async move {
        while s.now() < ns(1_000) {
            s.timeout(ns(10)).await;
        }
    });
    let outcome = simulation.run_until(ns(100)).unwrap();
    assert!(matches!(outcome, Outcome::LimitReached { .. }), "{outcome}");
    let report = simulation.blocked_report();
    assert_eq!(report.time, ns(100));
    assert_eq!(
        report.blocked_process("b").unwrap().waits[0].label,
        "recv b <- a"
    );
    assert!(report.blocked_process("poller").is_some());
    assert!(
        report.finished_processes.is_empty(),
        "not recorded unless asked"
    );
}

/// Runs `simulation`, which must end in a deadlock, and returns the report.
fn run_to_deadlock(simulation: &mut Simulation) -> DeadlockReport {
    let outcome = simulation.run().expect("the run does not fail");
    outcome.deadlock().cloned().expect("a deadlock")
}
