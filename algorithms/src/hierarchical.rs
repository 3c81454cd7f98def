//! # Hierarchical (inside each cube, across cubes, inside again)
//!
//! ## Schedule
//! Rank `cube * s + sip` for `c` cubes of `s` SIPs. All-reduce runs three rings, each with
//! the [ring](crate::ring) schedule:
//! 1. reduce-scatter inside each cube over the whole buffer: SIP `sip` ends with segment
//!    `sip` (of `s` balanced parts) summed over its cube;
//! 2. all-reduce across cubes among the SIPs with the same index (the rail of cube links
//!    SIP `sip` sits on), on segment `sip` only;
//! 3. all-gather inside each cube.
//!
//! This is the [mesh](crate::mesh) schedule with cubes as rows and SIPs as columns, and runs
//! through the same code: only a `1/s` share of the buffer crosses the slow cube links, and
//! every rail carries its share at once.
//!
//! ## Cost
//! With `t_in(m)` the time to move `m` bytes between SIPs of a cube, `t_x(m)` between the
//! same SIP index of neighbouring cubes (one cube link), `c(m)` the time for a SIP's PEs to
//! reduce `m` bytes, `S` the buffer, one chunk per segment (`S/s <= chunk`):
//!
//! ```text
//! all-reduce  T = 2(s-1) * t_in(S/s) + (s-1) * c(S/s)           inside: reduce-scatter + all-gather
//!               + 2(c-1) * t_x(S/(sc)) + (c-1) * c(S/(sc))      across: all-reduce on the rail
//!             T ~ 2(s-1) * (alpha_in + (S/s)/beta_in)
//!               + 2(c-1) * (alpha_x + (S/(sc))/beta_x)          many chunks: reductions hide
//! ```
//!
//! With several chunks per segment (`S/s > chunk`) each of the three rings pipelines its
//! chunks across its steps as the ring does (its `max(link, last chunk)` formula in
//! `ring.rs`, with `n = s`, then `n = c` on `S/s`), and a fast cube's next phase starts on
//! the chunks it already has.
//!
//! Each cube link carries `2(c-1)/(sc) * S` bytes per direction, a factor `s` less than a
//! flat ring that crosses it with the whole buffer.
//!
//! ## Topologies
//! Several cubes (any SIP shape inside a cube: the inner ring walks a cycle of the cube's
//! links where there is one ([`Topology::cube_cycle`]), SIP order elsewhere; cube links are
//! rail-style by construction). With `auto` channels it runs two parts at once, the inner
//! and outer rings of one walked forward and of the other backward, where the cube's cycle
//! has full-duplex links: the formulas then hold with `S/2` for `S`. A single cube is
//! refused (use ring or mesh). All-reduce only: reduce-scatter and all-gather would leave
//! segments in cube-major order of pieces rather than rank order (use ring); broadcast and
//! reduce are refused (use tree or direct).

use kernbench_model::Topology;

use crate::comm::Comm;
use crate::error::CollectiveError;
use crate::group::{Channels, CollectiveCall};
use crate::names::Collective;

/// The hierarchical schedule, a built-in: its module docs give its schedule, cost and
/// topologies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Hierarchical;

crate::schedule::builtin_schedule!(Hierarchical, "hierarchical", whole_machine);

/// Whether hierarchical runs `collective` on `topology`; the reason if not.
pub(crate) fn supports(collective: Collective, topology: &Topology) -> Result<(), String> {
    let cubes = topology.cube_count();
    if cubes < 2 {
        return Err(format!(
            "hierarchical needs several cubes; {} has {cubes}: use ring",
            topology.name()
        ));
    }
    match collective {
        Collective::AllReduce => Ok(()),
        other => Err(format!(
            "hierarchical runs all-reduce only, not {other}; use ring for reduce-scatter and all-gather, tree or direct for broadcast and reduce"
        )),
    }
}

/// Runs this rank's part of the hierarchical schedule.
pub(crate) async fn run(call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    let (cubes, sips) = comm.cube_shape();
    let topology = comm.machine().topology();
    // Inside a cube, the ring walks the cube's wiring (SIP order where no cycle is found);
    // `auto` runs it both ways at once where those links are full duplex.
    let cycle = topology.cube_cycle();
    let order: Option<std::sync::Arc<[u32]>> = cycle.map(|c| c.order.clone());
    let channels = match call.channels {
        Channels::Auto if cycle.is_some_and(|c| c.duplex) => 2,
        Channels::Auto => 1,
        Channels::Fixed(k) => k,
    };
    let bytes = comm.bytes();
    comm.in_parts(channels, "hierarchical channel", |comm, c| {
        let order = order.clone();
        async move {
            let range = crate::comm::segment(bytes, c, channels);
            let backward = c % 2 == 1;
            crate::mesh::grid_all_reduce(
                &comm,
                cubes,
                sips,
                order.as_deref(),
                range,
                (false, backward),
                call.op,
                c,
            )
            .await
        }
    })
    .await
}
