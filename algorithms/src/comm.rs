//! [`Comm`]: one rank's point-to-point view of one collective, the layer every schedule is
//! written in; and [`segment`], the balanced split of a buffer into whole `f32` parts.

use std::fmt;
use std::rc::Rc;

use kernbench_engine::{Name, ProcessHandle, Sim};
use kernbench_model::{
    Buffer, Bytes, Machine, Party, Placement, ReduceOp, Scope, TraceTrack, WaitingReceive,
};

use crate::error::CollectiveError;
use crate::group::CollectiveCall;
use crate::launch::World;

/// A message between ranks: which bytes of the collective's buffer it carries, and their
/// values on a machine with data.
#[derive(Debug)]
pub struct Chunk {
    /// Byte offset in the buffer.
    pub offset: u64,
    /// Byte length.
    pub len: u64,
    /// The values, on a machine with data.
    pub values: Option<Vec<f32>>,
}

/// One rank's point-to-point view of one collective: what schedules are written in.
///
/// Time and data travel apart. A send times its bytes over the network, but writes nothing
/// on the peer: the values, read from this rank's buffer when the send starts, ride in a
/// [`Chunk`] in a mailbox and land in the peer's buffer only when the peer receives them.
/// What each call costs in simulated time:
///
/// - [`send`](Comm::send), [`put`](Comm::put): a transfer of the bytes from this rank's buffer
///   over the route to the same offset of the peer's memory of the same kind (HBM to HBM, ...),
///   packet by packet through FIFO links shared with every other transfer. Returns when the
///   last packet has arrived; the message is then in the mailbox.
/// - [`spawn_send`](Comm::spawn_send): the same in a process of its own; returns at once with
///   a handle to await, so a rank can send while it receives.
/// - [`recv`](Comm::recv): no time of its own; waits until the message is in the mailbox.
/// - [`recv_reduce`](Comm::recv_reduce): `recv`, then the reduction into this rank's buffer,
///   by this SIP's PEs in parallel: `ceil(len / PEs)` bytes each at the `reduce_throughput`.
/// - [`recv_store`](Comm::recv_store): `recv`, then the values are written, at no cost: the
///   send already timed their arrival.
/// - [`segment`](Comm::segment): no time; the balanced split of the buffer.
///
/// Mailboxes are unbounded FIFOs, one per (collective instance, channel, from, to): posting
/// never waits, and a receive takes messages in the order their sends finished. Give steps
/// whose sends may be in flight at once channels of their own (the built-in ring uses one per
/// step). A receive that no send matches (a wrong peer, channel or count) waits forever: the
/// run ends in a [`CollectiveError::Deadlock`] whose report names it, as `recv rank1 <- rank0
/// (all-reduce#0, channel 0)`; a message nobody receives is dropped at the end (a diagnosis
/// lists it, from the machine's message ledger).
///
/// Cloning shares it, so a schedule can send from a spawned process while it receives.
#[derive(Clone)]
pub struct Comm {
    inner: Rc<CommInner>,
}

struct CommInner {
    world: Rc<World>,
    /// This rank in the launch (its SIP's rank).
    launch_rank: u32,
    /// The group's ranks in the launch, in group order; `None`: every rank of the launch.
    members: Option<Rc<[u32]>>,
    /// This rank in the group (`rank` without a group).
    index: u32,
    instance: u64,
    buffer: Buffer,
    call: CollectiveCall,
    /// An all-to-allv's sizes.
    sizes: Option<Rc<crate::exchange::SizeMatrix>>,
}

impl fmt::Debug for Comm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Comm")
            .field("rank", &self.inner.launch_rank)
            .field("instance", &self.inner.instance)
            .finish()
    }
}

impl Comm {
    /// The view of `rank` on call number `instance` of a launch, over `buffer`.
    pub(crate) fn new(
        world: Rc<World>,
        (rank, index, members): (u32, u32, Option<Rc<[u32]>>),
        instance: u64,
        (buffer, sizes): (Buffer, Option<Rc<crate::exchange::SizeMatrix>>),
        call: CollectiveCall,
    ) -> Comm {
        Comm {
            inner: Rc::new(CommInner {
                world,
                launch_rank: rank,
                members,
                index,
                instance,
                buffer,
                call,
                sizes,
            }),
        }
    }

    /// Where each block of this all-to-all (or all-to-allv) is in the ranks' buffers.
    pub fn blocks(&self) -> crate::exchange::Blocks {
        match &self.inner.sizes {
            Some(sizes) => crate::exchange::Blocks::Sizes(sizes.clone()),
            None => crate::exchange::Blocks::Even {
                bytes: crate::exchange::send_bytes(self.bytes()),
                n: self.world_size(),
            },
        }
    }

    /// The launch rank of group rank `q`, if the group has one.
    fn global(&self, q: u32) -> Option<u32> {
        match &self.inner.members {
            Some(members) => members.get(q as usize).copied(),
            None => (q < self.inner.world.world_size()).then_some(q),
        }
    }

    /// The group's ranks in the launch, in group order (every rank without a group).
    pub fn members(&self) -> Option<&[u32]> {
        self.inner.members.as_deref()
    }

    /// This rank's number in the launch (its SIP's), whatever group it runs in.
    pub fn launch_rank(&self) -> u32 {
        self.inner.launch_rank
    }

    /// Runs `part(comm, c)` for `c` in `0..count` at once, part 0 in this process and each
    /// other in a process of its own (`rank3 LABEL part 1`), and returns when all have; the
    /// result is part 0's (another part's error ends the run as that process's failure).
    /// Channels are built with it: each part on its own piece and mailbox channels.
    pub async fn in_parts<F, Fut>(
        &self,
        count: u32,
        label: &str,
        part: F,
    ) -> Result<(), CollectiveError>
    where
        F: Fn(Comm, u32) -> Fut,
        Fut: std::future::Future<Output = Result<(), CollectiveError>> + 'static,
    {
        let others: Vec<ProcessHandle<()>> = (1..count)
            .map(|c| {
                let name = format!("rank{} {label} part {c}", self.rank());
                self.sim().spawn(name, part(self.clone(), c))
            })
            .collect();
        let result = part(self.clone(), 0).await;
        for other in others {
            other.await;
        }
        result
    }

    /// What this rank's messages belong to in the message ledger: this collective call.
    fn scope(&self) -> Option<Scope> {
        Some(Scope {
            name: self.inner.call.collective.name(),
            instance: self.inner.instance,
        })
    }

    /// The rank a message this rank addresses to `to` goes to (another one only under an
    /// injected fault), for naming the process that sends it.
    pub(crate) fn destination(&self, to: u32) -> u32 {
        self.inner.world.destination(self.inner.launch_rank, to)
    }

    /// The call this rank is running: collective, op, root, chunk size, channels.
    pub fn call(&self) -> CollectiveCall {
        self.inner.call
    }

    /// The largest message a chunking schedule sends, in bytes ([`CollectiveCall::chunk`]).
    pub fn chunk_bytes(&self) -> u64 {
        self.inner.call.chunk.0
    }

    /// This rank, in the group the collective runs on (`0..world_size()`).
    pub fn rank(&self) -> u32 {
        self.inner.index
    }

    /// The number of ranks of the group the collective runs on (all of the launch without a
    /// group).
    pub fn world_size(&self) -> u32 {
        match &self.inner.members {
            Some(members) => members.len() as u32,
            None => self.inner.world.world_size(),
        }
    }

    /// This rank's buffer for the collective.
    pub fn buffer(&self) -> &Buffer {
        &self.inner.buffer
    }

    /// The buffer's size in bytes.
    pub fn bytes(&self) -> u64 {
        self.inner.buffer.bytes().0
    }

    /// The machine.
    pub fn machine(&self) -> &Machine {
        &self.inner.world.machine
    }

    /// The simulation.
    pub fn sim(&self) -> &Sim {
        self.inner.world.machine.sim()
    }

    /// The SIP-level cube count and SIPs per cube of the topology.
    pub fn cube_shape(&self) -> (u32, u32) {
        let t = self.machine().topology();
        (t.cube_count(), t.sips_per_cube())
    }

    /// Segment `i` of `parts` equal parts of the buffer, in whole `f32` elements:
    /// `(offset, len)` in bytes. Elements `[i * E / parts, (i + 1) * E / parts)` for `E`
    /// elements, so sizes that do not divide evenly differ by at most one element.
    pub fn segment(&self, i: u32, parts: u32) -> (u64, u64) {
        segment(self.bytes(), i, parts)
    }

    /// Sends bytes `[offset, offset + len)` of this rank's buffer to rank `to` on `channel`:
    /// reads their values now, times their transfer to the same offset of `to`'s memory (see
    /// [`Comm`]), then posts them; returns when they have arrived. `to`'s buffer changes only
    /// when it receives them.
    ///
    /// # Errors
    /// [`CollectiveError::PeerOutOfRange`] if `to` is not a rank (`>= world_size`); a model
    /// error if the range is outside the buffer.
    pub async fn send(
        &self,
        to: u32,
        channel: u32,
        offset: u64,
        len: u64,
    ) -> Result<(), CollectiveError> {
        let values = self.inner.buffer.read(offset, len);
        // Straight to `put_at`, not through `put`: one future less per message.
        self.put_at(to, channel, offset, len, offset, values).await
    }

    /// Sends bytes `[offset, offset + len)` of this rank's buffer to bytes `[at, at + len)` of
    /// `to`'s buffer (of the same size): as [`send`](Comm::send), but landing elsewhere, as an
    /// all-to-all's blocks do.
    ///
    /// # Errors
    /// As [`send`](Comm::send).
    pub async fn send_to(
        &self,
        to: u32,
        channel: u32,
        offset: u64,
        len: u64,
        at: u64,
    ) -> Result<(), CollectiveError> {
        let values = self.inner.buffer.read(offset, len);
        self.put_at(to, channel, offset, len, at, values).await
    }

    /// [`send_to`](Comm::send_to) in a process of its own, as [`spawn_send`](Comm::spawn_send).
    pub fn spawn_send_to(
        &self,
        to: u32,
        channel: u32,
        offset: u64,
        len: u64,
        at: u64,
    ) -> ProcessHandle<()> {
        let comm = self.clone();
        let name = self.send_name(to);
        self.sim().spawn(name, async move {
            comm.send_to(to, channel, offset, len, at).await
        })
    }

    /// Sends on a message this rank received (`recv`) but that is meant for another: the
    /// same bytes and values, to land at the same place, timed as a send of that many bytes
    /// from this rank's buffer. In a process of its own; store-and-forward schedules (the
    /// ring's all-to-all) are built with it.
    pub fn spawn_forward(&self, to: u32, channel: u32, chunk: Chunk) -> ProcessHandle<()> {
        let comm = self.clone();
        let name = self.send_name(to);
        self.sim().spawn(name, async move {
            // Timed from the same place in this rank's buffer (every rank's is the same size).
            comm.put_at(
                to,
                channel,
                chunk.offset,
                chunk.len,
                chunk.offset,
                chunk.values,
            )
            .await
        })
    }

    /// Copies bytes `[offset, offset + len)` of this rank's buffer to `[at, at + len)` of the
    /// same buffer, at no cost: a rank's block for itself in an all-to-all (the model times
    /// network transfers, not copies inside one memory).
    pub fn copy_local(&self, offset: u64, len: u64, at: u64) {
        if let Some(values) = self.inner.buffer.read(offset, len) {
            self.inner.buffer.write(at, &values);
        }
    }

    /// Sends `values` (already computed, for example a partial reduction held in a message)
    /// as bytes `[offset, offset + len)`: timed as [`send`](Comm::send) times those bytes of
    /// this rank's buffer, whatever they hold; `values` is what the receiver gets.
    ///
    /// # Errors
    /// As [`send`](Comm::send).
    pub async fn put(
        &self,
        to: u32,
        channel: u32,
        offset: u64,
        len: u64,
        values: Option<Vec<f32>>,
    ) -> Result<(), CollectiveError> {
        self.put_at(to, channel, offset, len, offset, values).await
    }

    /// [`put`](Comm::put) landing at `at` in the peer's buffer rather than at `offset`.
    async fn put_at(
        &self,
        to: u32,
        channel: u32,
        offset: u64,
        len: u64,
        at: u64,
        values: Option<Vec<f32>>,
    ) -> Result<(), CollectiveError> {
        let world = &self.inner.world;
        let Some(to) = self.global(to) else {
            return Err(CollectiveError::PeerOutOfRange {
                rank: self.rank(),
                peer: to,
                world_size: self.world_size(),
            });
        };
        let addressed = to;
        // An injected fault may send it elsewhere, on another channel, or not at all.
        let Some((to, channel)) = world.route_send(self.inner.launch_rank, to, channel) else {
            return Ok(());
        };
        let started = self.sim().now();
        let Some(&peer) = world.sips.get(to as usize) else {
            return Err(CollectiveError::PeerOutOfRange {
                rank: self.rank(),
                peer: to,
                world_size: world.world_size(),
            });
        };
        let kind = self.inner.buffer.placement().memory();
        let log = world.machine.message_log();
        let (me, peer_party) = (Party::Rank(self.inner.launch_rank), Party::Rank(to));
        let ticket = log.map(|log| {
            let ticket = log.sent(me, peer_party, self.scope(), channel, Bytes(len), started);
            if addressed != to {
                log.addressed(ticket, Party::Rank(addressed));
            }
            ticket
        });
        world
            .machine
            .move_to_placement(
                &self.inner.buffer,
                offset,
                Placement::on_sip(peer, kind),
                self.inner.buffer.bytes(),
                at,
                len,
            )
            .await?;
        if let (Some(log), Some(ticket)) = (log, ticket) {
            log.arrived(ticket, self.sim().now());
        }
        let mailbox = world.mailbox(self.inner.instance, channel, self.inner.launch_rank, to);
        mailbox
            .put(Chunk {
                offset: at,
                len,
                values,
            })
            .await;
        if world.machine.is_tracing() {
            self.trace(format!("send {len} B to rank{to}"), started, len);
        }
        Ok(())
    }

    /// The name of the process that sends to group rank `to`: `rank3 send all-reduce#0 ->
    /// rank4`, naming the launch rank the data really goes to; formatted only if a report
    /// shows it (a process per message).
    fn send_name(&self, to: u32) -> Name {
        Name::lazy(SendName {
            rank: self.inner.launch_rank,
            what: self.inner.call.collective.name(),
            instance: self.inner.instance,
            to: self.destination(self.global(to).unwrap_or(to)),
        })
    }

    /// Starts [`send`](Comm::send) in a process of its own and returns its handle at once, so
    /// the caller can receive (or send elsewhere) meanwhile; awaiting the handle returns when
    /// the bytes have arrived. The values are read when the process starts: now, but only
    /// once the caller next blocks, so the caller must not change those bytes before then.
    pub fn spawn_send(&self, to: u32, channel: u32, offset: u64, len: u64) -> ProcessHandle<()> {
        self.spawn_send_to(to, channel, offset, len, offset)
    }

    /// The next message from rank `from` on `channel`, waiting until there is one (no time of
    /// its own). Its values are not written anywhere: [`recv_store`](Comm::recv_store) and
    /// [`recv_reduce`](Comm::recv_reduce) do that.
    pub async fn recv(&self, from: u32, channel: u32) -> Chunk {
        // A rank outside the group: no message will come, and the wait says from whom.
        let from = self.global(from).unwrap_or(u32::MAX);
        // An injected fault may make it wait for another rank.
        let from = self.inner.world.source(self.inner.launch_rank, from);
        let mailbox =
            self.inner
                .world
                .mailbox(self.inner.instance, channel, from, self.inner.launch_rank);
        let log = self.machine().message_log();
        let (me, sender) = (Party::Rank(self.inner.launch_rank), Party::Rank(from));
        let chunk = match mailbox.try_get() {
            Some(chunk) => chunk,
            None => {
                let wait = log.map(|log| {
                    log.waiting(WaitingReceive {
                        process: self.sim().current(),
                        at: me,
                        from: sender,
                        scope: self.scope(),
                        tag: Some(channel),
                        since: self.sim().now(),
                    })
                });
                // About to wait: say for what, in the words of the deadlock report (formatted
                // only if one is made).
                let label = Name::lazy(RecvLabel {
                    rank: self.inner.launch_rank,
                    from,
                    what: self.inner.call.collective.name(),
                    instance: self.inner.instance,
                    channel,
                });
                let chunk = self.sim().labelled(label, mailbox.get()).await;
                if let (Some(log), Some(wait)) = (log, wait) {
                    log.done_waiting(wait);
                }
                chunk
            }
        };
        if let Some(log) = log {
            log.received(sender, me, self.scope(), Some(channel));
        }
        // A mailbox is used for a few messages and then never again: forget it once it is
        // idle so that memory does not grow with the messages of a long run (a fresh one is
        // made, identical, if another message comes).
        if mailbox.is_idle() {
            self.inner.world.forget_mailbox(
                self.inner.instance,
                channel,
                from,
                self.inner.launch_rank,
            );
        }
        chunk
    }

    /// Receives the next message from `from` and reduces it into this rank's buffer at its
    /// offset, costing the reduction of `len` bytes by this SIP's PEs (`ceil(len / PEs)` bytes
    /// each at the topology's `reduce_throughput`). Returns the message's `(offset, len)`.
    pub async fn recv_reduce(
        &self,
        from: u32,
        channel: u32,
        op: ReduceOp,
    ) -> Result<(u64, u64), CollectiveError> {
        let started = self.sim().now();
        let chunk = self.recv(from, channel).await;
        self.machine()
            .reduce_values(
                &self.inner.buffer,
                chunk.offset,
                chunk.len,
                chunk.values.as_deref(),
                op,
            )
            .await?;
        if self.machine().is_tracing() {
            let from = self.global(from).unwrap_or(from);
            let name = format!("recv+reduce {} B from rank{from}", chunk.len);
            self.trace(name, started, chunk.len);
        }
        Ok((chunk.offset, chunk.len))
    }

    /// Adds a span from `started` to now on this rank's timeline.
    fn trace(&self, name: String, started: kernbench_engine::SimTime, bytes: u64) {
        let (rank, now) = (self.inner.launch_rank, self.sim().now());
        self.machine()
            .trace_span(TraceTrack::Rank(rank), name, started, now, bytes);
    }

    /// Receives the next message from `from` and writes its values into this rank's buffer at
    /// its offset, at no cost (the send timed their arrival). Returns the message's
    /// `(offset, len)`.
    pub async fn recv_store(&self, from: u32, channel: u32) -> (u64, u64) {
        let started = self.sim().now();
        let chunk = self.recv(from, channel).await;
        if let Some(values) = &chunk.values {
            self.inner.buffer.write(chunk.offset, values);
        }
        if self.machine().is_tracing() {
            self.trace(
                format!(
                    "recv {} B from rank{}",
                    chunk.len,
                    self.global(from).unwrap_or(from)
                ),
                started,
                chunk.len,
            );
        }
        (chunk.offset, chunk.len)
    }
}

/// The name of a send process: `rank3 send all-reduce#0 -> rank4`.
struct SendName {
    rank: u32,
    what: &'static str,
    instance: u64,
    to: u32,
}

impl fmt::Display for SendName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let SendName {
            rank,
            what,
            instance,
            to,
        } = self;
        write!(
            f,
            "rank{rank} send {what}#{} -> rank{to}",
            Instance(*instance)
        )
    }
}

/// The label of a waiting receive: `recv rank4 <- rank3 (all-reduce#0, channel 7)`.
struct RecvLabel {
    rank: u32,
    from: u32,
    what: &'static str,
    instance: u64,
    channel: u32,
}

impl fmt::Display for RecvLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let RecvLabel {
            rank,
            from,
            what,
            instance,
            channel,
        } = self;
        write!(
            f,
            "recv rank{rank} <- rank{from} ({what}#{}, channel {channel})",
            Instance(*instance)
        )
    }
}

/// A collective instance as reports print it: the call's number, and its group's if it ran
/// on a sub-group (`3`, `0 of group 2`).
struct Instance(u64);

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (group, number) = (
            self.0 / crate::group::GROUP_INSTANCES,
            self.0 % crate::group::GROUP_INSTANCES,
        );
        match group {
            0 => write!(f, "{number}"),
            _ => write!(f, "{number} of group {group}"),
        }
    }
}

/// Segment `i` of `parts` of a `bytes` buffer in whole `f32` elements; see [`Comm::segment`].
pub fn segment(bytes: u64, i: u32, parts: u32) -> (u64, u64) {
    let elements = bytes / 4;
    let parts = parts.max(1) as u64;
    let i = (i as u64).min(parts);
    let start = i * elements / parts;
    let end = (i + 1).min(parts) * elements / parts;
    (start * 4, (end - start) * 4)
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn segments_cover_the_buffer_and_differ_by_at_most_one_element() {
        let bytes = 4 * 10;
        let parts: Vec<(u64, u64)> = (0..3).map(|i| segment(bytes, i, 3)).collect();
        assert_eq!(parts, [(0, 12), (12, 12), (24, 16)]);
        assert_eq!(segment(0, 1, 4), (0, 0));
        assert_eq!(segment(8, 3, 4), (4, 4));
    }
}
