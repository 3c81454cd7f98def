//! Workloads: the timing rules a user relies on (a chain adds up, independent work overlaps,
//! a collective in a workload takes exactly its time alone) and the stalls they can write.

use std::rc::Rc;

use kernbench_algorithms::workload::{
    CollectiveTask, Compute, Message, Op, Peer, Split, Task, Workload, WorkloadOptions,
    run_workload, run_workload_on,
};
use kernbench_algorithms::{
    Algorithm, Collective, CollectiveError, Groups, Pairs, RunConfig, run_collective,
};
use kernbench_engine::SimTime;
use kernbench_model::{Bytes, MemoryKind, NetworkModel, Topology};

fn topology(name: &str) -> Rc<Topology> {
    Rc::new(Topology::load(format!("../topologies/{name}.ron")).expect("bundled topology"))
}

fn compute(name: &str, us: u64) -> Task {
    Task::new(name, Op::Compute(Compute::Time(SimTime::from_us(us))))
}

fn collective(
    name: &str,
    collective: Collective,
    algorithm: Algorithm,
    groups: Groups,
    bytes: u64,
) -> Task {
    Task::new(
        name,
        Op::Collective(CollectiveTask {
            collective,
            algorithm: algorithm.into(),
            groups,
            group_name: "g".into(),
            bytes: Bytes(bytes),
            memory: MemoryKind::Hbm,
            root: 0,
            split: None,
        }),
    )
}

/// The report of a run that must end in a deadlock.
fn deadlock_text<T>(result: Result<T, CollectiveError>) -> String {
    match result {
        Err(CollectiveError::Deadlock(report)) => report.to_string(),
        Err(error) => panic!("not a deadlock: {error}"),
        Ok(_) => panic!("ran to the end instead of deadlocking"),
    }
}

fn message(peer: Peer, tag: u32, bytes: u64) -> Message {
    Message {
        peer,
        tag,
        bytes: Bytes(bytes),
        memory: MemoryKind::Hbm,
    }
}

fn alone(
    topology: &Rc<Topology>,
    collective: Collective,
    algorithm: Algorithm,
    groups: Groups,
    bytes: u64,
) -> SimTime {
    let config = RunConfig {
        collective,
        groups,
        ..RunConfig::all_reduce(algorithm, bytes)
    };
    run_collective(topology.clone(), &config)
        .expect("runs alone")
        .time
}

#[test]
fn a_compute_of_10us_then_a_dependent_one_of_5us_takes_15us() {
    let workload = Workload::new("chain", vec![compute("a", 10), compute("b", 5).after([0])]);
    let report = run_workload(topology("ring8"), &workload).expect("runs");
    assert_eq!(report.step_time, SimTime::from_us(15));
    for rank in &report.ranks {
        assert_eq!(rank.compute, SimTime::from_us(15));
        assert_eq!(rank.exposed_comm, SimTime::ZERO);
    }
    let path: Vec<&str> = report
        .critical_path
        .iter()
        .map(|s| s.task.as_str())
        .collect();
    assert_eq!(path, ["a", "b"]);
}

#[test]
fn independent_computes_share_one_compute_stream_per_rank() {
    let workload = Workload::new("two", vec![compute("a", 10), compute("b", 5)]);
    let report = run_workload(topology("ring8"), &workload).expect("runs");
    assert_eq!(report.step_time, SimTime::from_us(15));
}

/// Collectives that take, alone in a workload, exactly their time alone: (topology,
/// collective, algorithm, groups, bytes).
const ALONE: [(&str, Collective, Algorithm, Groups, u64); 9] = [
    (
        "ring8",
        Collective::AllReduce,
        Algorithm::Ring,
        Groups::World,
        4 << 20,
    ),
    (
        "ring8",
        Collective::AllReduce,
        Algorithm::Ring,
        Groups::World,
        64 << 10,
    ),
    (
        "ring8",
        Collective::AllGather,
        Algorithm::Ring,
        Groups::World,
        1 << 20,
    ),
    (
        "ring8",
        Collective::ReduceScatter,
        Algorithm::HalvingDoubling,
        Groups::World,
        1 << 20,
    ),
    (
        "ring8",
        Collective::Broadcast,
        Algorithm::Tree,
        Groups::World,
        256 << 10,
    ),
    (
        "ring8",
        Collective::AllToAll,
        Algorithm::Pairwise,
        Groups::World,
        1 << 20,
    ),
    (
        "multicube2x4",
        Collective::AllReduce,
        Algorithm::Ring,
        Groups::Split { size: 4, stride: 1 },
        2 << 20,
    ),
    (
        "multicube2x4",
        Collective::AllReduce,
        Algorithm::Hierarchical,
        Groups::World,
        2 << 20,
    ),
    (
        "torus4x4",
        Collective::AllReduce,
        Algorithm::Ring,
        Groups::World,
        16 << 20,
    ),
];

/// Every [`ALONE`] case in a workload of that one collective in `network` against
/// `run_collective` in the same model.
fn check_alone(network: NetworkModel) {
    for (name, c, algorithm, groups, bytes) in ALONE {
        let topology = topology(name);
        let config = RunConfig {
            collective: c,
            groups,
            network,
            ..RunConfig::all_reduce(algorithm, bytes)
        };
        let expected = run_collective(topology.clone(), &config)
            .expect("runs alone")
            .time;
        let workload = Workload::new("one", vec![collective("c", c, algorithm, groups, bytes)]);
        let options = WorkloadOptions {
            network,
            ..WorkloadOptions::default()
        };
        let (report, _) = run_workload_on(topology, &workload, options).expect("runs");
        let case = format!("{name} {c} {algorithm} {bytes} B, {network} model");
        assert_eq!(report.step_time, expected, "{case}");
        assert_eq!(report.collectives[0].time, expected, "{case}");
        for rank in &report.ranks {
            assert_eq!(rank.compute, SimTime::ZERO, "{case}");
            assert_eq!(rank.overlapped_comm, SimTime::ZERO, "{case}");
        }
    }
}

#[test]
fn a_collective_in_a_workload_takes_exactly_its_time_alone() {
    check_alone(NetworkModel::Packet);
}

/// In the flow model a workload's collective is measured alone once and replayed as one
/// bundle of flows: alone in the step it takes exactly `run_collective`'s flow-model time.
#[test]
fn in_the_flow_model_a_collective_in_a_workload_takes_exactly_its_flow_time_alone() {
    check_alone(NetworkModel::Flow);
}

#[test]
fn a_collective_beside_independent_compute_takes_the_longer_of_the_two() {
    let topology = topology("ring8");
    let bytes = 8 << 20;
    let ar = alone(
        &topology,
        Collective::AllReduce,
        Algorithm::Ring,
        Groups::World,
        bytes,
    );
    for us in [1, ar.as_ps() / 1_000_000 + 50] {
        let workload = Workload::new(
            "overlap",
            vec![
                compute("mlp", us),
                collective(
                    "ar",
                    Collective::AllReduce,
                    Algorithm::Ring,
                    Groups::World,
                    bytes,
                ),
            ],
        );
        let report = run_workload(topology.clone(), &workload).expect("runs");
        let compute = SimTime::from_us(us);
        assert_eq!(report.step_time, compute.max(ar), "compute {us} us");
        let rank = report.ranks[0];
        assert_eq!(rank.overlapped_comm, compute.min(ar));
        assert_eq!(rank.exposed_comm, ar.saturating_sub(compute));
    }
}

#[test]
fn a_collective_after_compute_starts_when_the_compute_ends() {
    let topology = topology("ring8");
    let bytes = 1 << 20;
    let ar = alone(
        &topology,
        Collective::AllReduce,
        Algorithm::Ring,
        Groups::World,
        bytes,
    );
    let workload = Workload::new(
        "then",
        vec![
            compute("attn", 10),
            collective(
                "ar",
                Collective::AllReduce,
                Algorithm::Ring,
                Groups::World,
                bytes,
            )
            .after([0]),
        ],
    );
    let report = run_workload(topology, &workload).expect("runs");
    assert_eq!(report.step_time, SimTime::from_us(10) + ar);
    assert_eq!(report.ranks[3].exposed_comm, ar);
    let path: Vec<&str> = report
        .critical_path
        .iter()
        .map(|s| s.task.as_str())
        .collect();
    assert_eq!(path, ["attn", "ar"]);
}

#[test]
fn a_send_and_its_receive_take_the_time_of_a_send_recv_alone() {
    let topology = topology("ring8");
    let bytes = 1 << 20;
    let config = RunConfig {
        collective: Collective::SendRecv,
        pairs: Pairs::Given(vec![(0, 1)].into()),
        ..RunConfig::all_reduce(Algorithm::Direct, bytes)
    };
    let expected = run_collective(topology.clone(), &config)
        .expect("runs")
        .time;
    let workload = Workload::new(
        "p2p",
        vec![
            Task::new("tx", Op::Send(message(Peer::Next, 7, bytes))).on([0]),
            Task::new("rx", Op::Recv(message(Peer::Prev, 7, bytes))).on([1]),
        ],
    );
    let report = run_workload(topology, &workload).expect("runs");
    assert_eq!(report.step_time, expected);
    // The receive was posted at 0 and waited: exposed communication on rank 1.
    assert_eq!(report.ranks[1].exposed_comm, expected);
}

#[test]
fn a_receive_without_its_send_is_a_deadlock_naming_the_receive() {
    let workload = Workload::new(
        "lonely",
        vec![Task::new("rx", Op::Recv(message(Peer::Prev, 3, 4096))).on([1])],
    );
    let text = deadlock_text(run_workload(topology("ring8"), &workload));
    assert!(
        text.contains("rank1 rx: recv rank1 <- rank0 tag 3 (4 KiB), no such send has arrived"),
        "{text}"
    );
}

#[test]
fn ranks_in_different_collectives_on_one_group_deadlock_naming_both_nodes() {
    let bytes = 64 << 10;
    let workload = Workload::new(
        "mismatch",
        vec![
            collective(
                "ar",
                Collective::AllReduce,
                Algorithm::Ring,
                Groups::World,
                bytes,
            )
            .on([0, 1, 2, 3]),
            collective(
                "ag",
                Collective::AllGather,
                Algorithm::Ring,
                Groups::World,
                bytes,
            )
            .on([4, 5, 6, 7]),
        ],
    );
    // The same in the flow model, where the members that did issue theirs wait for the
    // others before the collective starts.
    for network in NetworkModel::ALL {
        let options = WorkloadOptions {
            network,
            ..WorkloadOptions::default()
        };
        let text = deadlock_text(run_workload_on(topology("ring8"), &workload, options));
        assert!(
            text.contains("rank4 ag (all-gather of 64 KiB with ring) is call #0 on group g [ranks 0-7], where rank0 issued ar (all-reduce of 64 KiB with ring): the members run different collectives; make them the same"),
            "{network}: {text}"
        );
        assert!(
            text.contains("rank0 ar waits for its all-reduce on group g [ranks 0-7]"),
            "{network}: {text}"
        );
    }
}

#[test]
fn a_time_limit_stops_a_step_that_runs_past_it_and_leaves_one_within_it_alone() {
    let workload = Workload::new("chain", vec![compute("a", 10), compute("b", 5).after([0])]);
    let limited = |us: u64| WorkloadOptions {
        time_limit: Some(SimTime::from_us(us)),
        ..WorkloadOptions::default()
    };
    let error = run_workload_on(topology("ring8"), &workload, limited(12)).expect_err("limit");
    assert!(
        matches!(error, CollectiveError::TimeLimit { limit, .. } if limit == SimTime::from_us(12)),
        "{error}"
    );
    let (report, _) =
        run_workload_on(topology("ring8"), &workload, limited(15)).expect("within the limit");
    assert_eq!(report.step_time, SimTime::from_us(15));
}

#[test]
fn check_on_refuses_another_rank_count_and_an_algorithm_the_topology_does_not_take() {
    let mut workload = Workload::new("eight", vec![compute("a", 1)]);
    workload.ranks = Some(8);
    assert!(workload.check_on(&topology("ring8")).is_ok());
    assert_eq!(
        workload
            .check_on(&topology("mesh2x2"))
            .expect_err("4 SIPs")
            .to_string(),
        "ranks: the workload is written for 8 ranks, but the topology has 4 SIPs (rank = SIP); use a topology of 8 SIPs"
    );
    let mesh = Workload::new(
        "mesh",
        vec![collective(
            "ar",
            Collective::AllReduce,
            Algorithm::Mesh,
            Groups::World,
            4096,
        )],
    );
    assert!(mesh.check_on(&topology("mesh2x2")).is_ok());
    let error = mesh.check_on(&topology("ring8")).expect_err("not a mesh");
    assert!(
        error
            .to_string()
            .starts_with("node \"ar\": op: mesh all-reduce does not run on topology ring8: "),
        "{error}"
    );
}

#[test]
fn a_cycle_of_dependencies_is_refused_naming_it() {
    let workload = Workload::new(
        "cycle",
        vec![
            compute("a", 1).after([2]),
            compute("b", 1).after([0]),
            compute("c", 1).after([1]),
        ],
    );
    let error = workload.check(None).expect_err("a cycle");
    assert_eq!(
        error.to_string(),
        "node \"a\": deps: the dependencies form a cycle, a -> b -> c -> a; a node cannot wait for itself, so remove one of them"
    );
}

#[test]
fn a_peer_outside_the_world_is_refused_with_the_fix() {
    let workload = Workload::new(
        "edge",
        vec![Task::new("tx", Op::Send(message(Peer::Offset(1), 0, 4096)))],
    );
    let error = run_workload(topology("ring8"), &workload).expect_err("refused");
    assert_eq!(
        error.to_string(),
        "node \"tx\": op: on rank 7, peer rank+1 is not a rank of 0..8; limit the node to the ranks that have that peer with `on`"
    );
}

#[test]
fn a_workload_runs_the_same_twice() {
    let workload = Workload::new(
        "twice",
        vec![
            compute("f", 3),
            collective(
                "ar",
                Collective::AllReduce,
                Algorithm::Ring,
                Groups::World,
                1 << 20,
            )
            .after([0]),
            compute("g", 2).after([0]),
            Task::new("tx", Op::Send(message(Peer::Next, 0, 1 << 16))).after([2]),
            Task::new("rx", Op::Recv(message(Peer::Prev, 0, 1 << 16))),
        ],
    );
    let a = run_workload(topology("ring8"), &workload).expect("runs");
    let b = run_workload(topology("ring8"), &workload).expect("runs");
    assert_eq!(a.step_time, b.step_time);
    assert_eq!(a.events, b.events);
    assert_eq!(a.ranks, b.ranks);
    assert_eq!(a.critical_path, b.critical_path);
}

/// An MoE dispatch: an all-to-allv skewed by a Zipf law takes, alone in a workload, exactly
/// the time of `run_collective` with the same matrix, and its busbw counts the bytes that
/// cross between ranks, as `kernbench run` does.
#[test]
fn an_all_to_allv_in_a_workload_takes_exactly_its_time_alone() {
    let topology = topology("multicube2x4");
    let split = Split::Zipf {
        exponent: 1.2,
        seed: 7,
    };
    let bytes = 1 << 20;
    let mut task = collective(
        "dispatch",
        Collective::AllToAllv,
        Algorithm::Direct,
        Groups::World,
        bytes,
    );
    if let Op::Collective(c) = &mut task.op {
        c.split = Some(split);
    }
    let report = run_workload(topology.clone(), &Workload::new("moe", vec![task])).expect("runs");
    let sizes = Rc::new(split.matrix(8, bytes).expect("a matrix"));
    let config = RunConfig {
        collective: Collective::AllToAllv,
        sizes: Some(sizes.clone()),
        ..RunConfig::all_reduce(Algorithm::Direct, bytes)
    };
    let alone = run_collective(topology, &config).expect("runs alone");
    assert_eq!(report.step_time, alone.time);
    let busbw = sizes.moved() as f64 / 8.0 / alone.time.as_secs_f64() / 1e9;
    assert_eq!(report.collectives[0].busbw_gbps, busbw);
    assert_eq!(report.collectives[0].busbw_gbps, alone.busbw_gbps);
}

#[test]
fn an_all_to_allv_without_a_split_is_refused_naming_the_fix() {
    let task = collective(
        "dispatch",
        Collective::AllToAllv,
        Algorithm::Direct,
        Groups::World,
        1 << 20,
    );
    let error =
        run_workload(topology("ring8"), &Workload::new("moe", vec![task])).expect_err("refused");
    assert!(
        error.to_string().contains(
            "a split (distribution) is for all-to-allv only, and all-to-allv needs one; give it a distribution (uniform or zipf:1.2)"
        ),
        "{error}"
    );
}

fn flow() -> WorkloadOptions {
    WorkloadOptions {
        network: NetworkModel::Flow,
        ..WorkloadOptions::default()
    }
}

/// Two collectives on groups that share links slow each other in the flow model's bundles,
/// as their transfers do: together they take longer than either alone, and no longer than
/// one after the other.
#[test]
fn in_the_flow_model_collectives_sharing_links_slow_each_other() {
    let topology = topology("ring8");
    let bytes = 8 << 20;
    let halves = Groups::Split { size: 4, stride: 1 };
    let alone = |groups: Groups| {
        let workload = Workload::new(
            "one",
            vec![collective(
                "c",
                Collective::AllReduce,
                Algorithm::Ring,
                groups,
                bytes,
            )],
        );
        run_workload_on(topology.clone(), &workload, flow())
            .expect("runs")
            .0
            .step_time
    };
    let (world, half) = (alone(Groups::World), alone(halves));
    let both = Workload::new(
        "both",
        vec![
            collective(
                "w",
                Collective::AllReduce,
                Algorithm::Ring,
                Groups::World,
                bytes,
            ),
            collective("h", Collective::AllReduce, Algorithm::Ring, halves, bytes),
        ],
    );
    let (report, _) = run_workload_on(topology.clone(), &both, flow()).expect("runs");
    assert!(
        report.step_time > world.max(half),
        "{} vs {world} and {half}",
        report.step_time
    );
    assert!(
        report.step_time <= world + half,
        "{} vs {world} + {half}",
        report.step_time
    );
}

/// A Chakra trace gives each rank a task of its own: in the flow model the members of one
/// collective then run different tasks of the same collective, and it still takes its time
/// alone.
#[test]
fn in_the_flow_model_a_collective_written_once_per_rank_takes_its_flow_time_alone() {
    let topology = topology("ring8");
    let bytes = 1 << 20;
    let tasks: Vec<Task> = (0..8)
        .map(|r| {
            collective(
                &format!("ar.{r}"),
                Collective::AllReduce,
                Algorithm::Ring,
                Groups::World,
                bytes,
            )
            .on([r])
        })
        .collect();
    let config = RunConfig {
        network: NetworkModel::Flow,
        ..RunConfig::all_reduce(Algorithm::Ring, bytes)
    };
    let expected = run_collective(topology.clone(), &config).expect("runs alone");
    let (report, _) =
        run_workload_on(topology, &Workload::new("per-rank", tasks), flow()).expect("runs");
    assert_eq!(report.step_time, expected.time);
}
