use std::cell::Cell;
use std::rc::Rc;

use kernbench_engine::SimTime;
use kernbench_model::{Bytes, Node};

use crate::machine;

fn node(text: &str) -> Node {
    text.parse().expect("a valid coordinate")
}

/// Runs one transfer alone on a fresh machine; returns its simulated duration.
fn time_alone(from: &str, to: &str, bytes: u64) -> SimTime {
    let (mut simulation, m) = machine(false);
    let (from, to) = (node(from), node(to));
    let m2 = m.clone();
    simulation.spawn(
        "t",
        async move { m2.transfer(from, to, Bytes(bytes)).await },
    );
    simulation.run().expect("no failure").time()
}

#[test]
fn two_packets_hbm_to_hbm_take_the_hand_computed_time() {
    // default.ron: HBM 3.2 TB/s + 200 ns at each end, SIP link 100 GB/s + 500 ns, 4 KiB packets.
    // Packet 1 leaves HBM at 1.28 ns, the SIP link at 242.24 ns, arrives at 943.52 ns.
    // Packet 2 waits for the SIP link until 242.24, leaves it at 283.2, arrives at 984.48 ns.
    assert_eq!(
        time_alone("c0.s0.hbm", "c0.s1.hbm", 8192),
        SimTime::from_ps(984_480)
    );
}

#[test]
fn simulation_matches_the_closed_form_to_the_picosecond() {
    let (_, m) = machine(false);
    let routes = [
        ("c0.s0.p0", "c0.s0.p0.tcm"),     // 1 hop
        ("c0.s0.p1", "c0.s0.p2"),         // NoC
        ("c0.s0.hbm", "c0.s1.hbm"),       // 3 hops across SIPs
        ("c0.s0.p3.tcm", "c0.s1.p1.tcm"), // 5 hops, slowest in the middle
        ("c0.s1.sram", "c0.s0.p2.tcm"),
    ];
    let sizes = [
        0,
        1,
        100,
        4095,
        4096,
        4097,
        8192,
        12_288 + 7,
        1 << 20,
        (1 << 20) + 3,
    ];
    for (from, to) in routes {
        for bytes in sizes {
            let expected = m
                .uncongested_time(node(from), node(to), Bytes(bytes))
                .expect("a route");
            assert_eq!(
                time_alone(from, to, bytes),
                expected,
                "{bytes} bytes {from} -> {to}"
            );
        }
    }
}

#[test]
fn a_zero_byte_transfer_costs_the_route_latency() {
    // One empty packet: 200 ns + 500 ns + 200 ns.
    assert_eq!(
        time_alone("c0.s0.hbm", "c0.s1.hbm", 0),
        SimTime::from_ns(900)
    );
}

/// Runs two transfers at once; returns when each finished.
fn two_at_once(a: (&str, &str), b: (&str, &str), bytes: u64) -> (SimTime, SimTime) {
    let (mut simulation, m) = machine(false);
    let sim = simulation.handle();
    let ends = Rc::new([Cell::new(SimTime::ZERO), Cell::new(SimTime::ZERO)]);
    for (i, (from, to)) in [a, b].into_iter().enumerate() {
        let (m, sim, ends) = (m.clone(), sim.clone(), ends.clone());
        let (from, to) = (node(from), node(to));
        simulation.spawn(format!("flow{i}"), async move {
            m.transfer(from, to, Bytes(bytes)).await?;
            ends[i].set(sim.now());
            Ok::<(), kernbench_model::ModelError>(())
        });
    }
    simulation.run().expect("no failure");
    (ends[0].get(), ends[1].get())
}

#[test]
fn two_flows_sharing_a_link_each_take_about_twice_as_long() {
    let bytes = 4 << 20;
    let alone = time_alone("c0.s0.hbm", "c0.s1.hbm", bytes);
    // Both cross the SIP link c0.s0.hub -> c0.s1.hub.
    let (a, b) = two_at_once(
        ("c0.s0.hbm", "c0.s1.hbm"),
        ("c0.s0.sram", "c0.s1.sram"),
        bytes,
    );
    for t in [a, b] {
        let ratio = t.as_ps() as f64 / alone.as_ps() as f64;
        assert!(
            (ratio - 2.0).abs() < 0.1,
            "ratio {ratio} (alone {alone}, shared {t})"
        );
    }
}

#[test]
fn flows_on_disjoint_links_do_not_slow_each_other() {
    let bytes = 4 << 20;
    let alone = time_alone("c0.s0.hbm", "c0.s1.hbm", bytes);
    let back = time_alone("c0.s1.hbm", "c0.s0.hbm", bytes);
    let (a, b) = two_at_once(
        ("c0.s0.hbm", "c0.s1.hbm"),
        ("c0.s1.hbm", "c0.s0.hbm"),
        bytes,
    );
    assert_eq!((a, b), (alone, back));
}

#[test]
fn links_count_the_bytes_and_busy_time_they_carry() {
    let (mut simulation, m) = machine(false);
    let m2 = m.clone();
    simulation.spawn("t", async move {
        m2.transfer(node("c0.s0.hbm"), node("c0.s1.hbm"), Bytes(10_000))
            .await
    });
    simulation.run().expect("no failure");
    let topo = m.topology();
    let hub0 = topo.node_index(node("c0.s0.hub")).expect("hub");
    let hub1 = topo.node_index(node("c0.s1.hub")).expect("hub");
    let sip_link = topo.graph().find_edge(hub0, hub1).expect("a SIP link");
    let stats = m
        .link_stats()
        .into_iter()
        .find(|(e, _)| *e == sip_link)
        .expect("stats")
        .1;
    assert_eq!(stats.bytes, 10_000);
    assert_eq!(stats.packets, 3);
    // 4096 + 4096 + 1808 bytes at 100 GB/s.
    assert_eq!(stats.busy, SimTime::from_ps(40_960 + 40_960 + 18_080));
    let carried: u64 = m.link_stats().iter().map(|(_, s)| s.bytes).sum();
    assert_eq!(
        carried,
        3 * 10_000,
        "three links on the route, nothing elsewhere"
    );
}

/// Runs crossing flows `(from, to, bytes, start in ns)` at once, with or without a timeline;
/// returns each flow's end, every link's counters and the event count.
fn crossing_flows(
    flows: &[(&str, &str, u64, u64)],
    trace: bool,
) -> (Vec<SimTime>, Vec<kernbench_model::LinkStats>, u64) {
    let (ends, m, events) = run_crossing_flows(flows, trace);
    let stats = m.link_stats().into_iter().map(|(_, s)| s).collect();
    (ends, stats, events)
}

/// [`crossing_flows`], returning the machine itself after the run.
fn run_crossing_flows(
    flows: &[(&str, &str, u64, u64)],
    trace: bool,
) -> (Vec<SimTime>, kernbench_model::Machine, u64) {
    let mut simulation = kernbench_engine::Simulation::new();
    let m = kernbench_model::Machine::new(
        &simulation.handle(),
        crate::default_topology(),
        kernbench_model::MachineOptions {
            trace,
            ..Default::default()
        },
    );
    let sim = simulation.handle();
    let ends = Rc::new(vec![Cell::new(SimTime::ZERO); flows.len()]);
    for (i, &(from, to, bytes, start)) in flows.iter().enumerate() {
        let (m, sim, ends) = (m.clone(), sim.clone(), ends.clone());
        let (from, to) = (node(from), node(to));
        simulation.spawn(format!("flow{i}"), async move {
            sim.timeout(SimTime::from_ns(start)).await;
            m.transfer(from, to, Bytes(bytes)).await?;
            ends[i].set(sim.now());
            Ok::<(), kernbench_model::ModelError>(())
        });
    }
    simulation.run().expect("no failure");
    let ends = ends.iter().map(Cell::get).collect();
    (ends, m, simulation.events())
}

/// Single packets (0, 1, 100 and 4096 bytes) queueing behind each other and behind
/// multi-packet flows on the shared SIP link and HBMs, starting together and staggered.
const CROSSING: [(&str, &str, u64, u64); 12] = [
    ("c0.s0.hbm", "c0.s1.hbm", 4096, 0),
    ("c0.s0.sram", "c0.s1.sram", 20_000, 0),
    ("c0.s0.hbm", "c0.s1.hbm", 100, 0),
    ("c0.s0.p0.tcm", "c0.s1.p3.tcm", 1, 0),
    ("c0.s0.hbm", "c0.s1.sram", 0, 0),
    ("c0.s1.hbm", "c0.s0.hbm", 4096, 0),
    ("c0.s0.hbm", "c0.s1.hbm", 4000, 1),
    ("c0.s0.p2.tcm", "c0.s1.hbm", 3000, 40),
    ("c0.s0.sram", "c0.s1.p0.tcm", 4096, 41),
    ("c0.s0.hbm", "c0.s0.sram", 4096, 300),
    ("c0.s0.hbm", "c0.s1.hbm", 9000, 300),
    ("c0.s0.p1", "c0.s0.p2", 64, 301),
];

#[test]
fn single_packet_transfers_take_the_same_time_as_through_the_packet_loop() {
    // Untraced single-packet transfers skip the packet loop's bookkeeping; a timeline sends
    // every transfer through the loop. Both must agree to the picosecond.
    let fast = crossing_flows(&CROSSING, false);
    let looped = crossing_flows(&CROSSING, true);
    assert_eq!(fast, looped);
    // The flows did queue: the first 4 KiB packet alone would be done at 943.52 ns.
    assert!(fast.0[2] > SimTime::from_ps(943_520), "{:?}", fast.0);
}

#[test]
fn a_links_busy_intervals_are_disjoint_and_add_up_to_its_busy_counter() {
    let (_, m, _) = run_crossing_flows(&CROSSING, true);
    let busy = m.take_link_busy();
    let stats = m.link_stats();
    for (edge, stats) in &stats {
        let mine: Vec<_> = busy
            .iter()
            .filter(|b| b.edge as usize == edge.index())
            .collect();
        let total = mine
            .iter()
            .fold(SimTime::ZERO, |t, b| t + (b.end - b.start));
        assert_eq!(total, stats.busy, "link {}", edge.index());
        assert_eq!(mine.iter().map(|b| b.bytes).sum::<u64>(), stats.bytes);
        for pair in mine.windows(2) {
            // Disjoint and not back to back: those would have merged.
            assert!(pair[0].end < pair[1].start, "{pair:?}");
        }
        for b in &mine {
            assert!(b.start < b.end);
            assert_eq!(b.flows.iter().map(|f| f.bytes).sum::<u64>(), b.bytes);
            assert_eq!(b.flows.iter().map(|f| f.packets).sum::<u64>(), b.packets);
        }
    }
    // The shared SIP link c0.s0.hub -> c0.s1.hub (100 GB/s: 10 ps a byte): the 1-byte TCM
    // packet crosses it alone; from 20.82 ns on the SRAM flow's packets keep it busy while
    // the flows that come meanwhile queue, 35,292 bytes back to back; the 9,000-byte flow
    // sent at 300 ns comes after it has gone idle.
    let topo = m.topology();
    let hub0 = topo.node_index(node("c0.s0.hub")).expect("hub");
    let hub1 = topo.node_index(node("c0.s1.hub")).expect("hub");
    let sip_link = topo.graph().find_edge(hub0, hub1).expect("a SIP link");
    let on_sip_link: Vec<_> = busy
        .iter()
        .filter(|b| b.edge as usize == sip_link.index())
        .collect();
    assert_eq!(
        on_sip_link
            .iter()
            .map(|b| (b.start.as_ps(), b.end.as_ps(), b.bytes, b.packets))
            .collect::<Vec<_>>(),
        [
            (12_002, 12_012, 1, 1),
            (20_820, 373_740, 35_292, 11),
            (502_560, 592_560, 9000, 3)
        ]
    );
    let flows: Vec<String> = on_sip_link[1]
        .flows
        .iter()
        .map(|f| format!("{} -> {}: {} B in {}", f.from, f.to, f.bytes, f.packets))
        .collect();
    assert_eq!(
        flows,
        [
            "c0.s0.sram -> c0.s1.sram: 20000 B in 5",
            "c0.s0.p2.tcm -> c0.s1.hbm: 3000 B in 1",
            "c0.s0.sram -> c0.s1.p0.tcm: 4096 B in 1",
            "c0.s0.hbm -> c0.s1.hbm: 8196 B in 3",
            "c0.s0.hbm -> c0.s1.sram: 0 B in 1",
        ]
    );
    // Untraced, nothing is recorded.
    let (_, untraced, _) = run_crossing_flows(&CROSSING, false);
    assert!(untraced.take_link_busy().is_empty());
}

/// A transfer of more packets than its events can be numbered with (2^42, days of events)
/// is refused with the limit, instead of running for ever.
#[test]
fn a_transfer_of_too_many_packets_is_refused_naming_the_limit() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../topologies/default.ron");
    let text = std::fs::read_to_string(path).expect("the bundled default topology");
    let text = text.replacen("packet_size: \"4KiB\"", "packet_size: \"1B\"", 1);
    let topology = Rc::new(kernbench_model::Topology::from_ron_str(&text, "t.ron").expect("loads"));
    let mut simulation = kernbench_engine::Simulation::new();
    let m = kernbench_model::Machine::new(
        &simulation.handle(),
        topology,
        kernbench_model::MachineOptions::default(),
    );
    let (from, to) = (node("c0.s0.hbm"), node("c0.s1.hbm"));
    simulation.spawn(
        "t",
        async move { m.transfer(from, to, Bytes(1 << 42)).await },
    );
    let error = simulation.run().expect_err("refused").to_string();
    assert!(
        error.contains(
            "a transfer of 4 TiB from c0.s0.hbm to c0.s1.hbm: packets is 4398046511104, above the limit of 4398046511103"
        ),
        "{error}"
    );
}
