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
//! refused (use ring or mesh). All-to-all and all-to-allv run in two steps: inside its cube
//! every rank sends each block to the SIP of its destination's index, which passes the
//! blocks for other cubes on over its rail (see `all_to_all`); with `t_in`, `t_x` as above
//! and `B` a block, on two cubes `T <= t_in(c B) + t_x(s B)` (the steps overlap). Other
//! collectives: reduce-scatter and all-gather would leave
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
    // The collective first, so that the hint names algorithms that run it.
    match collective {
        Collective::AllReduce | Collective::AllToAll | Collective::AllToAllv => {}
        other => {
            return Err(format!(
                "hierarchical runs all-reduce and the all-to-alls only, not {other}; {}",
                other.alternatives()
            ));
        }
    }
    let cubes = topology.cube_count();
    if cubes < 2 {
        return Err(format!(
            "hierarchical needs several cubes; {} has {cubes}: {}",
            topology.name(),
            collective.alternatives()
        ));
    }
    Ok(())
}

/// Mailbox channels of the all-to-all's first step (one per destination cube) and second
/// (one per original sender's SIP index), far from the all-reduce's.
const TO_RAIL: u32 = 1 << 24;
const ACROSS: u32 = 1 << 25;

/// The hierarchical all-to-all (even or uneven, per [`Comm::blocks`]) on `cubes` cubes of
/// `sips` SIPs, rank `cube * sips + sip`: first, inside its cube, every rank sends each block
/// to the SIP of its destination's index (the destination itself when in the same cube);
/// then, on each rail, that SIP passes the blocks on to their cubes over the cube links. A
/// block crosses at most one in-cube hop and one rail, and the cube links carry only blocks
/// that change cube.
async fn all_to_all(comm: &Comm, cubes: u32, sips: u32) -> Result<(), CollectiveError> {
    let (me, blocks) = (comm.rank(), comm.blocks());
    let (a, j) = (me / sips, me % sips);
    let (o, l) = blocks.send_block(me, me);
    comm.copy_local(o, l, blocks.recv_block(me, me).0);
    let rank = |cube: u32, sip: u32| cube * sips + sip;
    let mut sends = Vec::new();
    // This rank's blocks: to its own rail's other cubes straight away, the others to the SIP
    // of their index in this cube.
    for b in 0..cubes {
        for t in 0..sips {
            let to = rank(b, t);
            if to == me {
                continue;
            }
            let (offset, len) = blocks.send_block(me, to);
            let (land, _) = blocks.recv_block(me, to);
            let (via, channel) = if t == j {
                (to, ACROSS + j)
            } else {
                (rank(a, t), TO_RAIL + b)
            };
            sends.push(comm.spawn_send_to(via, channel, offset, len, land));
        }
    }
    // From each other SIP of this cube: the blocks for this rank (kept) and for this rail in
    // the other cubes (passed on, marked with the sender's SIP index).
    for i in (0..sips).filter(|&i| i != j) {
        let from = rank(a, i);
        for b in 0..cubes {
            if b == a {
                comm.recv_store(from, TO_RAIL + b).await;
            } else {
                let chunk = comm.recv(from, TO_RAIL + b).await;
                sends.push(comm.spawn_forward(rank(b, j), ACROSS + i, chunk));
            }
        }
    }
    // From the same SIP of each other cube: the blocks of all of that cube's SIPs.
    for b in (0..cubes).filter(|&b| b != a) {
        for i in 0..sips {
            comm.recv_store(rank(b, j), ACROSS + i).await;
        }
    }
    for send in sends {
        send.await;
    }
    Ok(())
}

/// Runs this rank's part of the hierarchical schedule.
pub(crate) async fn run(call: CollectiveCall, comm: Comm) -> Result<(), CollectiveError> {
    let (cubes, sips) = comm.cube_shape();
    if matches!(
        call.collective,
        Collective::AllToAll | Collective::AllToAllv
    ) {
        return all_to_all(&comm, cubes, sips).await;
    }
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
