//! PE-level all-reduce kernels on the PEs of one SIP: verified on real data, timed against
//! their formulas, refused where the SIP is too small, and a broken kernel's deadlock report.

use std::rc::Rc;

use kernbench_algorithms::{
    CollectiveError, PeKernel, PeRunConfig, initial_value, run_pe_kernel, run_pe_program,
};
use kernbench_engine::{SimTime, Simulation};
use kernbench_model::{Bytes, KernelConfig, Machine, MachineOptions, Node, PeId, Topology};

fn bundled(name: &str) -> Rc<Topology> {
    let path = format!("{}/../topologies/{name}.ron", env!("CARGO_MANIFEST_DIR"));
    match Topology::load(&path) {
        Ok(t) => Rc::new(t),
        Err(e) => panic!("{path}: {e}"),
    }
}

/// One SIP of `pes` PEs on a NoC of `noc` shape.
fn sip_with(pes: u32, noc: &str) -> Rc<Topology> {
    let name = format!("pes{pes}");
    let text = format!(
        r#"Topology(
            name: "{name}",
            packet_size: "4KiB",
            cubes: (count: 1),
            sips: (per_cube: 1, links: (shape: FullyConnected, bandwidth: "100GB/s", latency: "500ns")),
            pes: (per_sip: {pes}, noc: (shape: {noc}, bandwidth: "1TB/s", latency: "5ns"),
                  port: (bandwidth: "1TB/s", latency: "10ns")),
            memory: (
                tcm:  (capacity: "4MiB",  bandwidth: "1TB/s",   latency: "2ns"),
                sram: (capacity: "64MiB", bandwidth: "5TB/s",   latency: "20ns"),
                hbm:  (capacity: "64GiB", bandwidth: "3.2TB/s", latency: "200ns"),
            ),
            reduce_throughput: "512GB/s",
        )"#
    );
    match Topology::from_ron_str(&text, &name) {
        Ok(t) => Rc::new(t),
        Err(e) => panic!("{name}: {e}"),
    }
}

fn config(bytes: u64, depth: usize, verify: bool) -> PeRunConfig {
    PeRunConfig {
        bytes,
        ipcq: KernelConfig { ipcq_depth: depth },
        verify,
    }
}

fn run(
    topology: &Rc<Topology>,
    kernel: PeKernel,
    config: &PeRunConfig,
) -> kernbench_algorithms::PeKernelReport {
    match run_pe_kernel(topology.clone(), kernel, config) {
        Ok(report) => report,
        Err(e) => panic!("{kernel} on {}: {e}", topology.name()),
    }
}

fn pe(p: u32) -> PeId {
    PeId {
        cube: 0,
        sip: 0,
        pe: p,
    }
}

fn within(actual: SimTime, expected: SimTime, tolerance: f64) -> bool {
    let (a, e) = (actual.as_ps() as f64, expected.as_ps() as f64);
    (a - e).abs() <= tolerance * e
}

/// Every kernel, on every size (empty, fewer elements than PEs, ragged, several packets) and
/// IPCQ depth (rendezvous and buffered), ends with the sum on every PE.
fn verified_everywhere(topology: &Rc<Topology>, kernel: PeKernel, pes: u32) {
    for bytes in [0, 4, 12, 4 * 1001, 64 << 10] {
        for depth in [0, 2] {
            let report = run(topology, kernel, &config(bytes, depth, true));
            assert_eq!(report.verified, Some(true));
            assert_eq!(report.pes, pes);
            assert_eq!(report.results.len(), pes as usize);
            for values in &report.results {
                assert_eq!(values.as_ref().map(Vec::len), Some((bytes / 4) as usize));
            }
        }
    }
}

#[test]
fn the_ring_kernel_sums_real_data_over_the_four_pes_of_the_default_sip() {
    verified_everywhere(&bundled("default"), PeKernel::Ring, 4);
}

#[test]
fn the_ring_kernel_sums_real_data_over_eight_pes() {
    verified_everywhere(&sip_with(8, "BidirectionalRing"), PeKernel::Ring, 8);
    verified_everywhere(&bundled("multicube2x4"), PeKernel::Ring, 8);
}

#[test]
fn the_2x2_mesh_kernel_sums_real_data() {
    verified_everywhere(&bundled("mesh2x2"), PeKernel::Mesh2x2, 4);
    verified_everywhere(&sip_with(8, "Mesh2D(2, 4)"), PeKernel::Mesh2x2, 4);
}

#[test]
fn the_7_pe_tree_kernel_sums_real_data() {
    verified_everywhere(&sip_with(8, "BidirectionalRing"), PeKernel::Tree7, 7);
    verified_everywhere(&sip_with(7, "Switch"), PeKernel::Tree7, 7);
}

#[test]
fn a_kernel_returning_wrong_data_fails_verification_naming_the_pe() {
    let topology = bundled("default");
    let result = run_pe_program(topology, "no-op", 4, &config(16, 2, true), |k| async move {
        let b = k.alloc(Bytes(16))?;
        b.fill_with(|i| initial_value(k.program_id(), i));
        Ok(b.data().map(|d| d.clone()))
    });
    let Err(CollectiveError::Verification { rank, index, .. }) = result else {
        panic!("a kernel that adds nothing was verified");
    };
    assert_eq!((rank, index), (0, 0));
}

#[test]
fn the_ring_kernel_time_matches_its_alpha_beta_formula() {
    // T = 2(n-1) t(S/n) + (n-1) c(S/n): every step's sends go to the right neighbour on a
    // bidirectional NoC ring, on links of their own.
    let n = 8u64;
    let topology = sip_with(n as u32, "BidirectionalRing");
    let machine = Machine::new(
        &Simulation::new().handle(),
        topology.clone(),
        MachineOptions::default(),
    );
    for bytes in [4096u64, 4 * 10_007, 1 << 20] {
        let seg = bytes / n;
        let t = machine
            .uncongested_time(Node::Tcm(pe(0)), Node::Tcm(pe(1)), Bytes(seg))
            .expect("route");
        let c = topology.reduce_throughput().time_for(Bytes(seg));
        let expected = SimTime::from_ps(2 * (n - 1) * t.as_ps() + (n - 1) * c.as_ps());
        let report = run(&topology, PeKernel::Ring, &config(bytes, 2, false));
        assert!(
            within(report.time, expected, 0.02),
            "{bytes} bytes: simulated {} vs formula {expected}",
            report.time
        );
    }
}

#[test]
fn the_2x2_mesh_kernel_time_matches_its_alpha_beta_formula() {
    // T = 3 t(S/2) + 2 c(S/2) on a Mesh2D(2, 2) NoC, where both partners are one hop away.
    let topology = bundled("mesh2x2");
    let machine = Machine::new(
        &Simulation::new().handle(),
        topology.clone(),
        MachineOptions::default(),
    );
    for bytes in [4096u64, 1 << 20] {
        let half = bytes / 2;
        let t = machine
            .uncongested_time(Node::Tcm(pe(0)), Node::Tcm(pe(1)), Bytes(half))
            .expect("route");
        let c = topology.reduce_throughput().time_for(Bytes(half));
        let expected = SimTime::from_ps(3 * t.as_ps() + 2 * c.as_ps());
        let report = run(&topology, PeKernel::Mesh2x2, &config(bytes, 2, false));
        assert!(
            within(report.time, expected, 0.02),
            "{bytes} bytes: simulated {} vs formula {expected}",
            report.time
        );
    }
}

#[test]
fn the_tree_kernel_refuses_a_sip_with_four_pes_and_says_to_use_the_ring() {
    let Err(e) = run_pe_kernel(bundled("default"), PeKernel::Tree7, &config(4096, 2, true)) else {
        panic!("the 7-PE tree ran on 4 PEs");
    };
    assert!(matches!(e, CollectiveError::Unsupported { .. }));
    assert_eq!(
        e.to_string(),
        "pe-tree7 all-reduce does not run on topology default: the pe-tree7 kernel needs a SIP with at least 7 PEs; c0.s0 has 4: use the pe-ring kernel"
    );
}

#[test]
fn a_kernel_where_every_pe_receives_before_it_sends_reports_each_blocked_receive() {
    let result = run_pe_program(
        bundled("default"),
        "broken-ring",
        4,
        &config(4096, 2, false),
        |k| async move {
            let buffer = k.alloc(Bytes(4096))?;
            let n = k.num_programs();
            let (left, right) = ((k.program_id() + n - 1) % n, (k.program_id() + 1) % n);
            k.recv(left, &buffer).await?; // everybody waits for the left neighbour first
            k.send(right, &buffer).await?;
            Ok(None)
        },
    );
    let Err(CollectiveError::Deadlock(report)) = result else {
        panic!("a receive-first ring finished");
    };
    let waits: Vec<String> = report
        .blocked
        .iter()
        .map(|b| format!("{}: {}", b.process, b.waits[0].label))
        .collect();
    assert_eq!(
        waits,
        [
            "c0.s0.p0:broken-ring: recv c0.s0.p0 <- c0.s0.p3 (4 KiB)",
            "c0.s0.p1:broken-ring: recv c0.s0.p1 <- c0.s0.p0 (4 KiB)",
            "c0.s0.p2:broken-ring: recv c0.s0.p2 <- c0.s0.p1 (4 KiB)",
            "c0.s0.p3:broken-ring: recv c0.s0.p3 <- c0.s0.p2 (4 KiB)",
        ]
    );
    assert_eq!(
        report.cycles.len(),
        1,
        "one wait-for cycle through all four PEs"
    );
    assert_eq!(report.cycles[0].len(), 4);
    let text = CollectiveError::Deadlock(report).to_string();
    assert!(text.contains("recv c0.s0.p1 <- c0.s0.p0"), "{text}");
}
