use kernbench_engine::{Event, Queue, SimTime, Simulation, all_of, any_of};

use crate::{Log, ns};

#[test]
fn all_of_waits_for_the_last_and_keeps_the_given_order() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let a: Event<u32> = Event::new(&sim, "a");
    let b: Event<u32> = Event::new(&sim, "b");
    let log = Log::default();
    let (ea, eb, s, l) = (a.clone(), b.clone(), sim.clone(), log.clone());
    simulation.spawn("waiter", async move {
        let values = all_of(vec![ea.wait(), eb.wait()]).await;
        l.push(s.now(), format!("{values:?}"));
    });
    let s = sim.clone();
    simulation.spawn("trigger", async move {
        s.timeout(ns(2)).await;
        b.trigger(2).unwrap();
        s.timeout(ns(3)).await;
        a.trigger(1).unwrap();
    });
    simulation.run().unwrap();
    assert_eq!(log.entries(), [(ns(5), "[1, 2]".to_string())]);
}

#[test]
fn any_of_returns_the_first_to_finish_and_cancels_the_rest() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q: Queue<u32> = Queue::new(&sim, "q", 1);
    let log = Log::default();
    let (rx, s, l) = (q.clone(), sim.clone(), log.clone());
    simulation.spawn("waiter", async move {
        let (which, v) = any_of(vec![
            Box::pin(async {
                s.timeout(ns(9)).await;
                0u32
            }) as std::pin::Pin<Box<dyn std::future::Future<Output = u32>>>,
            Box::pin(async { rx.get().await }),
        ])
        .await;
        l.push(s.now(), format!("{which} {v}"));
    });
    let s = sim.clone();
    let tx = q.clone();
    simulation.spawn("producer", async move {
        s.timeout(ns(4)).await;
        tx.put(77).await;
    });
    simulation.run().unwrap();
    assert_eq!(log.entries(), [(ns(4), "1 77".to_string())]);
    assert!(q.is_empty());
}

#[test]
fn any_of_of_timeouts_resolves_at_the_earliest() {
    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let p = simulation.spawn("p", async move {
        let (i, ()) = any_of(vec![sim.timeout(ns(7)), sim.timeout(ns(3))]).await;
        Ok::<_, String>((i, sim.now()))
    });
    let log = Log::default();
    let l = log.clone();
    simulation.spawn("j", async move {
        let (i, t) = p.await;
        l.push(t, format!("{i}"));
    });
    let outcome = simulation.run().unwrap();
    assert_eq!(log.entries(), [(ns(3), "1".to_string())]);
    // The losing timeout still fires later (a spurious wake, harmless), so the run ends at 7 ns.
    assert_eq!(outcome.time(), ns(7));
    let _ = SimTime::ZERO;
}

#[test]
fn a_foreign_combinators_waker_is_honoured() {
    // A hand-written join whose children get a waker of its own (not the task's): the engine
    // must wake that waker, which in turn wakes the task.
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Poll, Wake, Waker};

    struct Flag {
        woken: AtomicBool,
        parent: Waker,
    }
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.store(true, Ordering::SeqCst);
            self.parent.wake_by_ref();
        }
    }
    struct OwnWaker<F>(Pin<Box<F>>, Option<Arc<Flag>>);
    impl<F: Future> Future for OwnWaker<F> {
        type Output = (F::Output, bool);
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let flag = Arc::new(Flag {
                woken: AtomicBool::new(false),
                parent: cx.waker().clone(),
            });
            let previous = self.1.replace(flag.clone());
            let waker = Waker::from(flag);
            let mut inner = Context::from_waker(&waker);
            match self.0.as_mut().poll(&mut inner) {
                Poll::Ready(v) => {
                    let woken = previous.is_some_and(|f| f.woken.load(Ordering::SeqCst));
                    Poll::Ready((v, woken))
                }
                Poll::Pending => Poll::Pending,
            }
        }
    }

    let mut simulation = Simulation::new();
    let sim = simulation.handle();
    let q: Queue<u32> = Queue::new(&sim, "q", 1);
    let log = Log::default();
    let (rx, s, l) = (q.clone(), sim.clone(), log.clone());
    simulation.spawn("waiter", async move {
        let s2 = s.clone();
        let ((v, ()), woken) = OwnWaker(
            Box::pin(async move {
                let v = rx.get().await;
                s2.timeout(ns(2)).await;
                (v, ())
            }),
            None,
        )
        .await;
        l.push(s.now(), format!("{v} woken-through-own-waker={woken}"));
    });
    let s = sim.clone();
    simulation.spawn("producer", async move {
        s.timeout(ns(3)).await;
        q.put(5).await;
    });
    simulation.run().unwrap();
    assert_eq!(
        log.entries(),
        [(ns(5), "5 woken-through-own-waker=true".to_string())]
    );
}
