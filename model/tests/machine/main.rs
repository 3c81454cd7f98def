//! The live machine: timed transfers, buffers and PE kernels, through the public API.

mod buffers;
mod kernels;
mod transfers;

use std::rc::Rc;

use kernbench_engine::Simulation;
use kernbench_model::{Machine, MachineOptions, Topology};

/// The bundled default topology (1 cube, 2 SIPs, 4 PEs each).
pub fn default_topology() -> Rc<Topology> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../topologies/default.ron");
    Rc::new(Topology::load(path).expect("the bundled default topology loads"))
}

/// A fresh simulation with a machine on the default topology.
pub fn machine(data: bool) -> (Simulation, Machine) {
    let simulation = Simulation::new();
    let machine = Machine::new(
        &simulation.handle(),
        default_topology(),
        MachineOptions {
            data,
            ..MachineOptions::default()
        },
    );
    (simulation, machine)
}
