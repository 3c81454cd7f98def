use kernbench_engine::{SimError, SimTime, Simulation};

use crate::{Log, ns};

#[test]
fn joining_a_process_returns_its_value_when_it_finishes() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let s = sim.clone();
    let worker = simulation.spawn("worker", async move {
        s.timeout(ns(7)).await;
        Ok::<u64, String>(42)
    });
    let log = Log::default();
    let l = log.clone();
    simulation.spawn("parent", async move {
        let value = worker.await;
        l.push(sim.now(), format!("joined {value}"));
    });
    simulation.run().unwrap();
    assert_eq!(log.entries(), [(ns(7), "joined 42".to_string())]);
}

#[test]
fn joining_a_process_that_already_finished_returns_at_once() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let quick = simulation.spawn("quick", async { Ok::<&str, String>("done") });
    let s = sim.clone();
    let parent = simulation.spawn("parent", async move {
        s.timeout(ns(5)).await;
        let v = quick.await;
        Ok::<_, String>((v, s.now()))
    });
    simulation.run().unwrap();
    assert!(parent.is_finished());
}

#[test]
fn processes_spawned_from_a_process_start_at_the_current_time() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let log = Log::default();
    let l = log.clone();
    simulation.spawn("parent", async move {
        sim.timeout(ns(3)).await;
        let mut children = Vec::new();
        for i in 0..3u64 {
            let (s, l) = (sim.clone(), l.clone());
            children.push(sim.spawn(format!("child{i}"), async move {
                l.push(s.now(), format!("child{i} start"));
                s.timeout(ns(i)).await;
                Ok::<u64, String>(i * 10)
            }));
        }
        let mut sum = 0;
        for child in children {
            sum += child.await;
        }
        l.push(sim.now(), format!("sum {sum}"));
    });
    simulation.run().unwrap();
    assert_eq!(
        log.entries(),
        [
            (ns(3), "child0 start".to_string()),
            (ns(3), "child1 start".to_string()),
            (ns(3), "child2 start".to_string()),
            (ns(5), "sum 30".to_string()),
        ]
    );
}

#[test]
fn a_process_error_ends_the_run_naming_the_process() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    simulation.spawn("ok", async {});
    simulation.spawn("faulty link c0.s1", async move {
        sim.timeout(ns(2)).await;
        Err::<(), _>("buffer of 8 MiB does not fit in tcm (256 KiB)")
    });
    let error = simulation.run().unwrap_err();
    assert_eq!(
        error.to_string(),
        "process faulty link c0.s1 (#1) failed at 2 ns: buffer of 8 MiB does not fit in tcm (256 KiB)"
    );
    assert!(matches!(error, SimError::ProcessFailed { .. }));
    // The simulation refuses to go on after a failure rather than run a broken model.
    assert!(matches!(simulation.run(), Err(SimError::AlreadyFailed)));
}

#[test]
fn a_panicking_process_ends_the_run_with_an_error_not_an_abort() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    simulation.spawn("bad", async move {
        sim.timeout(SimTime::from_ps(5)).await;
        let v: Vec<u32> = Vec::new();
        let _ = v[3];
    });
    let error = simulation.run().unwrap_err();
    match error {
        SimError::ProcessPanicked {
            process,
            time,
            message,
            ..
        } => {
            assert_eq!(process, "bad");
            assert_eq!(time, SimTime::from_ps(5));
            assert!(message.contains("index out of bounds"), "{message}");
        }
        other => panic!("expected a panic error, got {other}"),
    }
}
