use std::cell::RefCell;
use std::rc::Rc;

use kernbench_engine::{Outcome, SimTime};
use kernbench_model::{Bytes, KernelConfig, ModelError, Node, ReduceOp, SipId};

use crate::machine;

const S0: SipId = SipId { cube: 0, sip: 0 };

#[test]
fn hello_world_send_and_recv_takes_the_transfer_time() {
    let (mut simulation, m) = machine(true);
    let got = Rc::new(RefCell::new(Vec::new()));
    let g = got.clone();
    m.launch_kernel(
        "hello",
        vec![S0.pe(0), S0.pe(1)],
        KernelConfig::default(),
        move |k| {
            let g = g.clone();
            async move {
                let buf = k.alloc(Bytes(16))?;
                if k.program_id() == 0 {
                    buf.fill_with(|i| [72.0, 105.0, 33.0, 0.0][i]);
                    k.send(1, &buf).await?;
                } else {
                    k.recv(0, &buf).await?;
                    g.borrow_mut()
                        .extend(buf.data().expect("data").iter().copied());
                }
                Ok(())
            }
        },
    );
    let outcome = simulation.run().expect("no failure");
    assert_eq!(*got.borrow(), [72.0, 105.0, 33.0, 0.0]);
    let transfer = m
        .uncongested_time(Node::Tcm(S0.pe(0)), Node::Tcm(S0.pe(1)), Bytes(16))
        .expect("a route");
    assert_eq!(outcome.time(), transfer);
}

#[test]
fn recv_copies_into_the_destination_buffer_and_reduce_adds() {
    // Every PE sends its vector to PE 0, which sums them: 1+2+3+4 per element.
    let (mut simulation, m) = machine(true);
    let result = Rc::new(RefCell::new(Vec::new()));
    let r = result.clone();
    m.launch_on_sip("gather", S0, KernelConfig::default(), move |k| {
        let r = r.clone();
        async move {
            let mine = k.alloc(Bytes(4 * 8))?;
            mine.fill_with(|_| (k.program_id() + 1) as f32);
            if k.program_id() == 0 {
                let incoming = k.alloc(Bytes(4 * 8))?;
                for src in 1..k.num_programs() {
                    k.recv(src, &incoming).await?;
                    k.reduce(&mine, &incoming, ReduceOp::Sum).await?;
                }
                r.borrow_mut()
                    .extend(mine.data().expect("data").iter().copied());
            } else {
                k.send(0, &mine).await?;
            }
            Ok(())
        }
    });
    simulation.run().expect("no failure");
    assert_eq!(*result.borrow(), vec![10.0; 8]);
}

#[test]
fn recv_async_overlaps_two_receives() {
    // PE 1 and PE 2 both send 64 KiB to PE 0 at once. Receiving both with recv_async finishes
    // when the later arrives; the two transfers share PE 0's TCM link but not their sources.
    let run = |overlap: bool| {
        let (mut simulation, m) = machine(false);
        m.launch_kernel(
            "pair",
            vec![S0.pe(0), S0.pe(1), S0.pe(3)],
            KernelConfig::default(),
            move |k| async move {
                let buf = k.alloc(Bytes(64 << 10))?;
                let other = k.alloc(Bytes(64 << 10))?;
                match k.program_id() {
                    0 if overlap => {
                        let a = k.recv_async(1)?;
                        let b = k.recv_async(2)?;
                        k.wait(a, &buf).await?;
                        k.wait(b, &other).await?;
                    }
                    0 => {
                        k.recv(1, &buf).await?;
                        k.recv(2, &other).await?;
                    }
                    _ => k.send(0, &buf).await?,
                }
                Ok::<(), ModelError>(())
            },
        );
        simulation.run().expect("no failure").time()
    };
    // Sends do not wait for the receiver (depth 2), so both orders finish together; what
    // recv_async must give is the same end time with both receives pending at once.
    let overlapped = run(true);
    assert_eq!(overlapped, run(false));
    assert!(overlapped > SimTime::ZERO);
}

#[test]
fn recv_async_lets_a_pe_compute_while_receiving() {
    let (mut simulation, m) = machine(false);
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    m.launch_kernel(
        "overlap",
        vec![S0.pe(0), S0.pe(1)],
        KernelConfig::default(),
        move |k| {
            let l = l.clone();
            async move {
                let buf = k.alloc(Bytes(1 << 20))?;
                if k.program_id() == 1 {
                    return k.send(0, &buf).await;
                }
                let sim = k.machine().sim().clone();
                let pending = k.recv_async(1)?;
                sim.timeout(SimTime::from_us(1)).await; // compute while the data moves
                l.borrow_mut().push(sim.now());
                k.wait(pending, &buf).await?;
                l.borrow_mut().push(sim.now());
                Ok(())
            }
        },
    );
    simulation.run().expect("no failure");
    let times = log.borrow();
    let transfer = m
        .uncongested_time(Node::Tcm(S0.pe(1)), Node::Tcm(S0.pe(0)), Bytes(1 << 20))
        .expect("route");
    assert_eq!(times[0], SimTime::from_us(1));
    assert_eq!(times[1], transfer.max(SimTime::from_us(1)));
}

#[test]
fn every_pe_receiving_before_sending_is_a_deadlock_naming_each_receive() {
    let (mut simulation, m) = machine(false);
    let sim = simulation.handle();
    m.launch_on_sip("ring", S0, KernelConfig::default(), move |k| {
        let sim = sim.clone();
        async move {
            let buf = k.alloc(Bytes(4096))?;
            let n = k.num_programs();
            let (left, right) = ((k.program_id() + n - 1) % n, (k.program_id() + 1) % n);
            sim.timeout(SimTime::from_ns(k.program_id() as u64)).await;
            k.recv(left, &buf).await?; // everybody waits for the left neighbour first
            k.send(right, &buf).await
        }
    });
    let outcome = simulation.run().expect("no failure");
    let Outcome::Deadlock(report) = outcome else {
        panic!("expected a deadlock, got {outcome}");
    };
    let lines: Vec<String> = report
        .blocked
        .iter()
        .map(|b| {
            format!(
                "{}: {} since {}",
                b.process, b.waits[0].label, b.waits[0].since
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "c0.s0.p0:ring: recv c0.s0.p0 <- c0.s0.p3 (4 KiB) since 0 ps",
            "c0.s0.p1:ring: recv c0.s0.p1 <- c0.s0.p0 (4 KiB) since 1 ns",
            "c0.s0.p2:ring: recv c0.s0.p2 <- c0.s0.p1 (4 KiB) since 2 ns",
            "c0.s0.p3:ring: recv c0.s0.p3 <- c0.s0.p2 (4 KiB) since 3 ns",
        ]
    );
    let cycles: Vec<Vec<String>> = report
        .cycles
        .iter()
        .map(|c| c.iter().map(|p| p.to_string()).collect())
        .collect();
    assert_eq!(
        cycles,
        [[
            "c0.s0.p0:ring",
            "c0.s0.p3:ring",
            "c0.s0.p2:ring",
            "c0.s0.p1:ring"
        ]]
    );
}

#[test]
fn a_blocked_tagged_receive_is_reported_with_its_size_and_tag() {
    let (mut simulation, m) = machine(false);
    m.launch_kernel(
        "tagged",
        vec![S0.pe(1), S0.pe(2)],
        KernelConfig::default(),
        move |k| async move {
            let buf = k.alloc(Bytes(4096))?;
            // Both wait for the other's tag-7 message first.
            k.recv_tagged(1 - k.program_id(), &buf, 7).await?;
            k.send_tagged(1 - k.program_id(), &buf, 7).await
        },
    );
    let outcome = simulation.run().expect("no failure");
    let report = outcome.deadlock().expect("a deadlock");
    let labels: Vec<&str> = report
        .blocked
        .iter()
        .map(|b| b.waits[0].label.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "recv c0.s0.p1 <- c0.s0.p2 (4 KiB, tag 7)",
            "recv c0.s0.p2 <- c0.s0.p1 (4 KiB, tag 7)"
        ]
    );
}

#[test]
fn a_message_with_another_tag_is_an_error_naming_both_tags() {
    let (mut simulation, m) = machine(false);
    m.launch_kernel(
        "tags",
        vec![S0.pe(0), S0.pe(1)],
        KernelConfig::default(),
        move |k| async move {
            let buf = k.alloc(Bytes(64))?;
            if k.program_id() == 0 {
                k.send_tagged(1, &buf, 3).await
            } else {
                k.recv_tagged(0, &buf, 4).await
            }
        },
    );
    let error = simulation.run().unwrap_err();
    assert!(
        error.to_string().ends_with(
            "recv c0.s0.p1 <- c0.s0.p0: got a message with tag 3 but expected tag 4; IPCQs are FIFO, so send in the order the receiver expects"
        ),
        "{error}"
    );
}
