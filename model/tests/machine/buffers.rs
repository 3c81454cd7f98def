use kernbench_engine::SimTime;
use kernbench_model::{Bytes, MemoryKind, Placement, ReduceOp, SipId};

use crate::machine;

const S0: SipId = SipId { cube: 0, sip: 0 };
const S1: SipId = SipId { cube: 0, sip: 1 };

#[test]
fn a_buffer_that_does_not_fit_is_an_error_naming_sizes_and_memory() {
    let (_, m) = machine(false);
    // default.ron: 4 MiB TCM per PE, 4 PEs.
    let error = m
        .alloc(Placement::on_sip(S1, MemoryKind::Tcm), Bytes(32 << 20))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "a buffer of 32 MiB does not fit in tcm of c0.s1 (4 PEs x 4 MiB in all, 0 B in use); use a smaller size or place it in a larger memory (tcm < sram < hbm)"
    );
    let _held = m.alloc(Placement::Sram(S0), Bytes(48 << 20)).expect("fits");
    let error = m.alloc(Placement::Sram(S0), Bytes(32 << 20)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "a buffer of 32 MiB does not fit in sram of c0.s0 (64 MiB in all, 48 MiB in use); use a smaller size or place it in a larger memory (tcm < sram < hbm)"
    );
}

#[test]
fn dropping_a_buffer_frees_its_memory() {
    let (_, m) = machine(false);
    let big = m.alloc(Placement::Hbm(S0), Bytes(60 << 30)).expect("fits");
    assert!(m.alloc(Placement::Hbm(S0), Bytes(8 << 30)).is_err());
    drop(big);
    assert!(m.alloc(Placement::Hbm(S0), Bytes(8 << 30)).is_ok());
}

#[test]
fn copy_moves_data_between_spread_tcm_and_hbm() {
    let (mut simulation, m) = machine(true);
    let n = 1001; // not a multiple of the 4 PEs
    let src = m
        .alloc(Placement::on_sip(S0, MemoryKind::Tcm), Bytes(4 * n))
        .expect("fits");
    src.fill_with(|i| i as f32 * 0.5);
    let dst = m.alloc(Placement::Hbm(S1), Bytes(4 * n)).expect("fits");
    let (m2, s, d) = (m.clone(), src.clone(), dst.clone());
    simulation.spawn("copy", async move {
        // Two ranges: everything but the first 8 elements, then those.
        m2.copy(&s, 32, &d, 32, 4 * (n - 8)).await?;
        m2.copy(&s, 0, &d, 0, 32).await
    });
    let outcome = simulation.run().expect("no failure");
    assert!(outcome.time() > SimTime::ZERO);
    let expected: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
    assert_eq!(*dst.data().expect("data"), expected);
}

#[test]
fn reduce_combines_data_and_costs_time_on_the_sips_pes() {
    let (mut simulation, m) = machine(true);
    let a = m.alloc(Placement::Sram(S0), Bytes(4096)).expect("fits");
    let b = m.alloc(Placement::Sram(S0), Bytes(4096)).expect("fits");
    a.fill_with(|i| i as f32);
    b.fill_with(|i| 1000.0 - i as f32);
    let (m2, a2, b2) = (m.clone(), a.clone(), b.clone());
    simulation.spawn("reduce", async move {
        m2.reduce(&a2, 0, &b2, 0, 4096, ReduceOp::Max).await
    });
    let outcome = simulation.run().expect("no failure");
    // 4096 bytes over 4 PEs = 1024 bytes each at 512 GB/s = 2 ns.
    assert_eq!(outcome.time(), SimTime::from_ns(2));
    let data = a.data().expect("data");
    assert_eq!(data[0], 1000.0);
    assert_eq!(data[1023], 1023.0);
}

#[test]
fn a_range_outside_the_buffer_is_an_error() {
    let (mut simulation, m) = machine(true);
    let a = m.alloc(Placement::Hbm(S0), Bytes(64)).expect("fits");
    let b = m.alloc(Placement::Hbm(S1), Bytes(64)).expect("fits");
    let m2 = m.clone();
    simulation.spawn("bad copy", async move { m2.copy(&a, 32, &b, 0, 64).await });
    let error = simulation.run().unwrap_err();
    assert_eq!(
        error.to_string(),
        "process bad copy (#0) failed at 0 ps: copy from hbm of c0.s0: range 32+64 bytes is outside a buffer of 64 bytes or not a whole number of f32 elements; keep offset + len within the buffer and both multiples of 4"
    );
}
