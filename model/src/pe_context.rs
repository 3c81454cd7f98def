//! The context of one PE inside a running kernel launch ([`PeContext`]): its `program_id`,
//! its TCM, and IPCQ `send` / `recv` to the other PEs of the launch.
//!
//! The kernels themselves are the caller's async bodies (the bundled ones are `PeKernel` in
//! the algorithms crate); this module must not know what they compute, nor how a packet is
//! timed (its sends are `transfer`s).
//!
//! [`Machine::launch_kernel`] starts one process per PE, each running the same async body with
//! its own [`PeContext`] (`program_id` = the PE's index in the launch). PEs exchange
//! buffers through IPCQs: one bounded FIFO per ordered (sender, receiver) pair, `depth`
//! messages deep. A `send` moves the data over the network to the receiver's TCM (timed as any
//! transfer), then puts the message in the queue, waiting while the queue is full; a `recv`
//! waits while it is empty, then copies the message into the destination buffer.
//!
//! Blocked receives are reported by the engine's deadlock detector in the machine's words:
//! `recv c0.s0.p1 <- c0.s0.p0`, with the time the wait began and the sender as the process
//! that could end it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::rc::Rc;

use kernbench_engine::{Name, ProcessHandle, ProcessId, Queue};

use crate::compute::{ReduceOp, reduce_data};
use crate::coords::{Node, PeId, SipId};
use crate::error::ModelError;
use crate::machine::Machine;
use crate::memory::{Buffer, Placement};
use crate::messages::{Party, WaitingReceive};
use crate::units::Bytes;

/// Launch parameters of a kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelConfig {
    /// Messages an IPCQ holds before `send` blocks; 0 makes every send a rendezvous.
    pub ipcq_depth: usize,
}

impl Default for KernelConfig {
    fn default() -> Self {
        KernelConfig { ipcq_depth: 2 }
    }
}

/// A message in an IPCQ.
#[derive(Debug)]
struct Message {
    bytes: Bytes,
    tag: u32,
    data: Option<Vec<f32>>,
}

/// What the PEs of one launch share.
#[derive(Debug)]
struct Group {
    name: String,
    pes: Vec<PeId>,
    pids: RefCell<Vec<ProcessId>>,
    /// IPCQs by (sender, receiver) program id, made on first use. A BTreeMap so that nothing
    /// depends on hash order.
    queues: RefCell<BTreeMap<(u32, u32), Queue<Message>>>,
    depth: usize,
}

/// One PE's view of a running kernel.
#[derive(Clone)]
pub struct PeContext {
    machine: Machine,
    group: Rc<Group>,
    program_id: u32,
}

impl fmt::Debug for PeContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeContext")
            .field("name", &self.group.name)
            .field("pe", &self.pe())
            .field("program_id", &self.program_id)
            .finish()
    }
}

/// A receive started by [`PeContext::recv_async`]; finish it with [`PeContext::wait`].
#[derive(Debug)]
pub struct RecvHandle {
    src: u32,
    handle: ProcessHandle<Message>,
}

impl Machine {
    /// Starts kernel `name` on `pes` (program id = position in `pes`), one process per PE,
    /// each named `{pe}:{name}` (for example `c0.s0.p1:ring`). Returns their handles in
    /// program order.
    pub fn launch_kernel<F, Fut>(
        &self,
        name: &str,
        pes: Vec<PeId>,
        config: KernelConfig,
        body: F,
    ) -> Vec<ProcessHandle<()>>
    where
        F: Fn(PeContext) -> Fut,
        Fut: Future<Output = Result<(), ModelError>> + 'static,
    {
        let group = Rc::new(Group {
            name: name.to_string(),
            pes,
            pids: RefCell::new(Vec::new()),
            queues: RefCell::new(BTreeMap::new()),
            depth: config.ipcq_depth,
        });
        let handles: Vec<_> = (0..group.pes.len() as u32)
            .map(|program_id| {
                let context = PeContext {
                    machine: self.clone(),
                    group: group.clone(),
                    program_id,
                };
                let process = format!("{}:{name}", context.pe());
                self.sim().spawn(process, body(context))
            })
            .collect();
        *group.pids.borrow_mut() = handles.iter().map(ProcessHandle::id).collect();
        handles
    }

    /// Starts kernel `name` on every PE of `sip`; see [`launch_kernel`](Machine::launch_kernel).
    pub fn launch_on_sip<F, Fut>(
        &self,
        name: &str,
        sip: SipId,
        config: KernelConfig,
        body: F,
    ) -> Vec<ProcessHandle<()>>
    where
        F: Fn(PeContext) -> Fut,
        Fut: Future<Output = Result<(), ModelError>> + 'static,
    {
        let pes = self.topology().pes(sip).collect();
        self.launch_kernel(name, pes, config, body)
    }
}

impl PeContext {
    /// This PE's index in the launch.
    pub fn program_id(&self) -> u32 {
        self.program_id
    }

    /// The number of PEs in the launch.
    pub fn num_programs(&self) -> u32 {
        self.group.pes.len() as u32
    }

    /// This PE.
    pub fn pe(&self) -> PeId {
        self.group.pes[self.program_id as usize]
    }

    /// The machine.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// This context as if it were program `program_id`: a fault injected on purpose, for
    /// deadlock diagnosis (a PE whose `program_id` is mapped wrongly). The process keeps its
    /// name, but sends, receives and allocations act as the other program's would.
    ///
    /// # Errors
    /// [`ModelError::NoSuchProgram`] if `program_id` is not in the launch.
    pub fn as_program(&self, program_id: u32) -> Result<PeContext, ModelError> {
        self.pe_of(program_id)?;
        Ok(PeContext {
            program_id,
            ..self.clone()
        })
    }

    /// A buffer of `bytes` in this PE's TCM.
    pub fn alloc(&self, bytes: Bytes) -> Result<Buffer, ModelError> {
        self.machine.alloc(Placement::Tcm(self.pe()), bytes)
    }

    /// How a blocked receive from `src` into `buffer` reads in a deadlock report, with the
    /// size it expects and its tag: `recv c0.s1.p2 <- c0.s1.p1 (4 KiB, tag 7)`. Formatted only
    /// if a report shows it.
    fn recv_label(&self, src: u32, buffer: &Buffer, tag: Option<u32>) -> Result<Name, ModelError> {
        Ok(Name::lazy(RecvLabel {
            pe: self.pe(),
            from: self.pe_of(src)?,
            bytes: buffer.bytes(),
            tag,
        }))
    }

    fn pe_of(&self, program: u32) -> Result<PeId, ModelError> {
        self.group
            .pes
            .get(program as usize)
            .copied()
            .ok_or_else(|| ModelError::NoSuchProgram {
                pe: self.pe().to_string(),
                program,
                programs: self.num_programs(),
            })
    }

    /// The IPCQ from program `from` to program `to`, made on first use with both ends
    /// declared, so a receive that blocks before the sender ever ran still names it.
    fn queue(&self, from: u32, to: u32) -> Result<Queue<Message>, ModelError> {
        let (src, dst) = (self.pe_of(from)?, self.pe_of(to)?);
        let mut queues = self.group.queues.borrow_mut();
        let queue = queues.entry((from, to)).or_insert_with(|| {
            let queue = Queue::with_labels(
                self.machine.sim(),
                format!("ipcq {src}->{dst}"),
                self.group.depth,
                format!("recv {dst} <- {src}"),
                format!("send {src} -> {dst}"),
            );
            let pids = self.group.pids.borrow();
            if let Some(&p) = pids.get(from as usize) {
                queue.add_producer(p);
            }
            if let Some(&p) = pids.get(to as usize) {
                queue.add_consumer(p);
            }
            queue
        });
        Ok(queue.clone())
    }

    /// Sends `buffer` to program `dst` with tag 0; see [`send_tagged`](PeContext::send_tagged).
    pub async fn send(&self, dst: u32, buffer: &Buffer) -> Result<(), ModelError> {
        self.send_tagged(dst, buffer, 0).await
    }

    /// Sends `buffer` to program `dst`: moves its bytes to `dst`'s TCM over the network, then
    /// enqueues the message, waiting while the IPCQ is full.
    pub async fn send_tagged(&self, dst: u32, buffer: &Buffer, tag: u32) -> Result<(), ModelError> {
        let queue = self.queue(self.program_id, dst)?;
        let dst_pe = self.pe_of(dst)?;
        let to = Node::Tcm(dst_pe);
        let len = buffer.bytes().0;
        let pieces: Vec<_> = buffer
            .segments(0, len)
            .into_iter()
            .map(|(from, bytes)| (from, to, bytes))
            .collect();
        let sim = self.machine.sim();
        let ticket = self.machine.message_log().map(|log| {
            let (from, to) = (Party::Pe(self.pe()), Party::Pe(dst_pe));
            log.sent(from, to, None, tag, buffer.bytes(), sim.now())
        });
        self.machine.transfer_pieces(&pieces).await?;
        if let (Some(log), Some(ticket)) = (self.machine.message_log(), ticket) {
            log.arrived(ticket, sim.now());
        }
        let data = buffer.data().map(|d| d.clone());
        // Described with its size and tag, for deadlock reports.
        let label = format!(
            "send {} -> {} ({}, tag {tag})",
            self.pe(),
            dst_pe,
            buffer.bytes()
        );
        let put = queue.put(Message {
            bytes: buffer.bytes(),
            tag,
            data,
        });
        self.machine.sim().labelled(label, put).await;
        Ok(())
    }

    /// Receives the next message from program `src` into `buffer`, waiting while the IPCQ is
    /// empty. Returns the message's tag.
    ///
    /// # Errors
    /// [`ModelError::SizeMismatch`] if the message is not the buffer's size.
    pub async fn recv(&self, src: u32, buffer: &Buffer) -> Result<u32, ModelError> {
        let queue = self.queue(src, self.program_id)?;
        let label = self.recv_label(src, buffer, None)?;
        let get = take(
            self.machine.clone(),
            queue,
            self.pe(),
            self.pe_of(src)?,
            None,
        );
        let message = self.machine.sim().labelled(label, get).await;
        self.deliver(src, message, buffer)
    }

    /// Receives the next message from program `src` into `buffer`, which must carry `tag`;
    /// a blocked receive is reported as `recv c0.s1.p2 <- c0.s1.p1 (4 KiB, tag 7)`.
    ///
    /// # Errors
    /// [`ModelError::TagMismatch`] if the message carries another tag (IPCQs are FIFO: a
    /// receive cannot skip ahead to a later message), [`ModelError::SizeMismatch`] as `recv`.
    pub async fn recv_tagged(&self, src: u32, buffer: &Buffer, tag: u32) -> Result<(), ModelError> {
        let queue = self.queue(src, self.program_id)?;
        let label = self.recv_label(src, buffer, Some(tag))?;
        let get = take(
            self.machine.clone(),
            queue,
            self.pe(),
            self.pe_of(src)?,
            Some(tag),
        );
        let message = self.machine.sim().labelled(label, get).await;
        if message.tag != tag {
            return Err(ModelError::TagMismatch {
                receiver: self.pe().to_string(),
                sender: self.pe_of(src)?.to_string(),
                got: message.tag,
                expected: tag,
            });
        }
        self.deliver(src, message, buffer).map(|_| ())
    }

    /// Starts receiving from program `src` without waiting; the receive proceeds in the
    /// background (as its own process, `recv {me} <- {src}`) and [`wait`](PeContext::wait)
    /// finishes it. Two `recv_async`s overlap.
    pub fn recv_async(&self, src: u32) -> Result<RecvHandle, ModelError> {
        let queue = self.queue(src, self.program_id)?;
        let from = self.pe_of(src)?;
        let name = format!("recv {} <- {from}", self.pe());
        let get = take(self.machine.clone(), queue, self.pe(), from, None);
        let handle = self
            .machine
            .sim()
            .spawn(name, async move { Ok::<Message, ModelError>(get.await) });
        Ok(RecvHandle { src, handle })
    }

    /// Waits for a receive started with [`recv_async`](PeContext::recv_async) and copies the
    /// message into `buffer`. Returns the message's tag.
    pub async fn wait(&self, receive: RecvHandle, buffer: &Buffer) -> Result<u32, ModelError> {
        let message = receive.handle.await;
        self.deliver(receive.src, message, buffer)
    }

    fn deliver(&self, src: u32, message: Message, buffer: &Buffer) -> Result<u32, ModelError> {
        if message.bytes != buffer.bytes() {
            return Err(ModelError::SizeMismatch {
                receiver: self.pe().to_string(),
                sender: self.pe_of(src)?.to_string(),
                got: message.bytes.to_string(),
                expected: buffer.bytes().to_string(),
            });
        }
        if let (Some(data), Some(mut target)) = (message.data, buffer.data_mut()) {
            target.copy_from_slice(&data);
        }
        Ok(message.tag)
    }

    /// `dst = op(dst, src)` element-wise on this PE, costing `bytes / reduce throughput`.
    pub async fn reduce(&self, dst: &Buffer, src: &Buffer, op: ReduceOp) -> Result<(), ModelError> {
        let len = dst.bytes().0;
        if src.bytes() != dst.bytes() {
            return Err(ModelError::BadRange {
                what: format!("reduce on {}", self.pe()),
                offset: 0,
                len: src.bytes().0,
                size: len,
            });
        }
        let time = self
            .machine
            .topology()
            .reduce_throughput()
            .time_for(Bytes(len));
        self.machine.sim().timeout(time).await;
        reduce_data(dst, 0, src, 0, len, op);
        Ok(())
    }
}

/// The next message of `queue`, from `from` to `at`, waiting while there is none; recorded in
/// the machine's message ledger if it keeps one (as a receive that waits for `tag`, `None`
/// for any, and then as the message received).
async fn take(
    machine: Machine,
    queue: Queue<Message>,
    at: PeId,
    from: PeId,
    tag: Option<u32>,
) -> Message {
    let Some(log) = machine.message_log().cloned() else {
        return queue.get().await;
    };
    let (at, from) = (Party::Pe(at), Party::Pe(from));
    let sim = machine.sim();
    let wait = log.waiting(WaitingReceive {
        process: sim.current(),
        at,
        from,
        scope: None,
        tag,
        since: sim.now(),
    });
    let message = queue.get().await;
    log.done_waiting(wait);
    // An IPCQ is FIFO whatever the tags: the message taken is the first that arrived.
    log.received(from, at, None, None);
    message
}

/// A kernel's blocked receive, for [`Name::lazy`].
struct RecvLabel {
    pe: PeId,
    from: PeId,
    bytes: Bytes,
    tag: Option<u32>,
}

impl fmt::Display for RecvLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "recv {} <- {} ({}", self.pe, self.from, self.bytes)?;
        if let Some(tag) = self.tag {
            write!(f, ", tag {tag}")?;
        }
        f.write_str(")")
    }
}
