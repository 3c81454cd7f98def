//! Memory: where a buffer lives ([`Placement`]), [`Buffer`]s of bytes (optionally carrying
//! real `f32` data), allocation against each memory's capacity (given back when the last
//! clone drops), and the movement between memories (`copy`, `move_bytes`,
//! `move_to_placement`), which cuts a buffer range into node-to-node pieces for `transfer`.
//!
//! It must not know how a packet is timed (that is `transfer`) nor what combining values
//! costs (that is `compute`).

use std::cell::{Ref, RefCell, RefMut};
use std::fmt;
use std::rc::Rc;

use kernbench_engine::all_of;

use crate::coords::{Node, PeId, SipId};
use crate::error::ModelError;
use crate::machine::Machine;
use crate::spec::MemoryKind;
use crate::units::Bytes;

/// Where a buffer lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Placement {
    /// In one PE's TCM (a kernel's local buffer).
    Tcm(PeId),
    /// In the TCMs of all PEs of a SIP, spread evenly: PE `i` holds bytes
    /// `[i * share, (i + 1) * share)` with `share = ceil(bytes / PEs)` rounded up to whole `f32`s.
    TcmSpread(SipId),
    /// In a SIP's SRAM.
    Sram(SipId),
    /// In a SIP's HBM.
    Hbm(SipId),
}

impl Placement {
    /// A rank-level placement of a SIP's buffer in memory `kind` (TCM is spread over the PEs).
    pub fn on_sip(sip: SipId, kind: MemoryKind) -> Placement {
        match kind {
            MemoryKind::Tcm => Placement::TcmSpread(sip),
            MemoryKind::Sram => Placement::Sram(sip),
            MemoryKind::Hbm => Placement::Hbm(sip),
        }
    }

    /// The SIP the buffer is on.
    pub fn sip(self) -> SipId {
        match self {
            Placement::Tcm(pe) => pe.sip_id(),
            Placement::TcmSpread(sip) | Placement::Sram(sip) | Placement::Hbm(sip) => sip,
        }
    }

    /// The kind of memory.
    pub fn memory(self) -> MemoryKind {
        match self {
            Placement::Tcm(_) | Placement::TcmSpread(_) => MemoryKind::Tcm,
            Placement::Sram(_) => MemoryKind::Sram,
            Placement::Hbm(_) => MemoryKind::Hbm,
        }
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Placement::Tcm(pe) => write!(f, "tcm of {pe}"),
            Placement::TcmSpread(sip) => write!(f, "tcm of {sip} (spread over its PEs)"),
            Placement::Sram(sip) => write!(f, "sram of {sip}"),
            Placement::Hbm(sip) => write!(f, "hbm of {sip}"),
        }
    }
}

/// A buffer in the machine's memory. Cloning shares it; the memory is freed when the last
/// clone is dropped.
#[derive(Clone)]
pub struct Buffer {
    pub(crate) inner: Rc<BufferInner>,
}

pub(crate) struct BufferInner {
    machine: Machine,
    placement: Placement,
    bytes: Bytes,
    /// Per-PE share for a spread TCM buffer.
    share: u64,
    pub(crate) data: Option<RefCell<Vec<f32>>>,
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Buffer")
            .field("placement", &self.inner.placement)
            .field("bytes", &self.inner.bytes)
            .finish()
    }
}

impl Drop for BufferInner {
    fn drop(&mut self) {
        let machine = &self.machine;
        match self.placement {
            Placement::Tcm(pe) => {
                let i = machine.pe_index(pe);
                machine.inner.tcm_used.borrow_mut()[i] -= self.bytes.0;
            }
            Placement::TcmSpread(sip) => {
                let per = machine.topology().pes_per_sip() as usize;
                let first = machine.sip_index(sip) * per;
                for used in &mut machine.inner.tcm_used.borrow_mut()[first..first + per] {
                    *used -= self.share;
                }
            }
            Placement::Sram(sip) => {
                machine.inner.sip_used.borrow_mut()[machine.sip_index(sip)][0] -= self.bytes.0
            }
            Placement::Hbm(sip) => {
                machine.inner.sip_used.borrow_mut()[machine.sip_index(sip)][1] -= self.bytes.0
            }
        }
    }
}

/// The element type of buffer data.
pub(crate) const ELEMENT: u64 = std::mem::size_of::<f32>() as u64;

impl Machine {
    /// Allocates `bytes` at `placement`, zero-filled when the machine carries data.
    ///
    /// # Errors
    /// [`ModelError::DoesNotFit`] when the memory there has too little room left, before any
    /// simulated time passes; [`ModelError::NoSuchNode`] for a place not in the topology.
    pub fn alloc(&self, placement: Placement, bytes: Bytes) -> Result<Buffer, ModelError> {
        let topo = self.topology();
        let sip = placement.sip();
        if topo.rank_of(sip).is_none()
            || matches!(placement, Placement::Tcm(pe) if pe.pe >= topo.pes_per_sip())
        {
            return Err(ModelError::NoSuchNode {
                node: match placement {
                    Placement::Tcm(pe) => pe.to_string(),
                    _ => sip.to_string(),
                },
                topology: topo.name().to_string(),
            });
        }
        let kind = placement.memory();
        let capacity = self.memory_capacity(kind).0;
        let does_not_fit = |place: String, total: String, in_use: u64| ModelError::DoesNotFit {
            bytes: Bytes(bytes.0).to_string(),
            memory: kind.to_string(),
            place,
            capacity: total,
            in_use: Bytes(in_use).to_string(),
        };
        let pes = topo.pes_per_sip() as u64;
        let mut share = 0;
        match placement {
            Placement::Tcm(pe) => {
                let i = self.pe_index(pe);
                let mut used = self.inner.tcm_used.borrow_mut();
                if bytes.0 > capacity - used[i] {
                    return Err(does_not_fit(
                        pe.to_string(),
                        Bytes(capacity).to_string(),
                        used[i],
                    ));
                }
                used[i] += bytes.0;
            }
            Placement::TcmSpread(sip) => {
                share = spread_share(bytes.0, pes);
                let first = self.sip_index(sip) * pes as usize;
                let mut used = self.inner.tcm_used.borrow_mut();
                let slice = &mut used[first..first + pes as usize];
                let most = slice.iter().copied().max().unwrap_or(0);
                if share > capacity - most {
                    let total = format!("{} PEs x {}", pes, Bytes(capacity));
                    let in_use: u64 = slice.iter().sum();
                    return Err(does_not_fit(sip.to_string(), total, in_use));
                }
                for u in slice {
                    *u += share;
                }
            }
            Placement::Sram(sip) | Placement::Hbm(sip) => {
                let which = usize::from(kind == MemoryKind::Hbm);
                let i = self.sip_index(sip);
                let mut used = self.inner.sip_used.borrow_mut();
                if bytes.0 > capacity - used[i][which] {
                    return Err(does_not_fit(
                        sip.to_string(),
                        Bytes(capacity).to_string(),
                        used[i][which],
                    ));
                }
                used[i][which] += bytes.0;
            }
        }
        let data = self
            .has_data()
            .then(|| RefCell::new(vec![0.0; bytes.0.div_ceil(ELEMENT) as usize]));
        Ok(Buffer {
            inner: Rc::new(BufferInner {
                machine: self.clone(),
                placement,
                bytes,
                share,
                data,
            }),
        })
    }

    /// Copies `len` bytes from `src` at `src_offset` to `dst` at `dst_offset`: the timing of
    /// [`move_bytes`](Machine::move_bytes), then the data (if any).
    pub async fn copy(
        &self,
        src: &Buffer,
        src_offset: u64,
        dst: &Buffer,
        dst_offset: u64,
        len: u64,
    ) -> Result<(), ModelError> {
        self.move_bytes(src, src_offset, dst, dst_offset, len)
            .await?;
        if let (Some(s), Some(d)) = (&src.inner.data, &dst.inner.data) {
            let (s0, d0, n) = (
                (src_offset / ELEMENT) as usize,
                (dst_offset / ELEMENT) as usize,
                (len / ELEMENT) as usize,
            );
            if Rc::ptr_eq(&src.inner, &dst.inner) {
                s.borrow_mut().copy_within(s0..s0 + n, d0);
            } else {
                d.borrow_mut()[d0..d0 + n].copy_from_slice(&s.borrow()[s0..s0 + n]);
            }
        }
        Ok(())
    }

    /// Moves `len` bytes from `src` at `src_offset` to `dst` at `dst_offset` over the network
    /// without touching their data: the pieces travel concurrently (a spread TCM buffer moves
    /// PE slice by PE slice, each to the PE slice of `dst` that holds those bytes). Returns
    /// when every piece has arrived.
    pub async fn move_bytes(
        &self,
        src: &Buffer,
        src_offset: u64,
        dst: &Buffer,
        dst_offset: u64,
        len: u64,
    ) -> Result<(), ModelError> {
        src.check_range("copy from", src_offset, len)?;
        dst.check_range("copy to", dst_offset, len)?;
        let pieces = pair_pieces(
            &src.segments(src_offset, len),
            &dst.segments(dst_offset, len),
        );
        self.transfer_pieces(&pieces).await
    }

    /// Runs `(from, to, bytes)` transfers concurrently; returns when all have arrived.
    pub(crate) async fn transfer_pieces(
        &self,
        pieces: &[(Node, Node, u64)],
    ) -> Result<(), ModelError> {
        if let [(from, to, bytes)] = pieces[..] {
            return self.transfer(from, to, Bytes(bytes)).await;
        }
        let transfers: Vec<_> = pieces
            .iter()
            .map(|&(from, to, bytes)| Box::pin(self.transfer(from, to, Bytes(bytes))))
            .collect();
        for result in all_of(transfers).await {
            result?;
        }
        Ok(())
    }
}

impl Buffer {
    /// Where it lives.
    pub fn placement(&self) -> Placement {
        self.inner.placement
    }

    /// Its size.
    pub fn bytes(&self) -> Bytes {
        self.inner.bytes
    }

    /// Its data, when the machine carries data.
    pub fn data(&self) -> Option<Ref<'_, Vec<f32>>> {
        self.inner.data.as_ref().map(RefCell::borrow)
    }

    /// Its data, mutably, when the machine carries data.
    pub fn data_mut(&self) -> Option<RefMut<'_, Vec<f32>>> {
        self.inner.data.as_ref().map(RefCell::borrow_mut)
    }

    /// Fills the data (if any) with `f(element index)`.
    pub fn fill_with(&self, mut f: impl FnMut(usize) -> f32) {
        if let Some(mut data) = self.data_mut() {
            for (i, v) in data.iter_mut().enumerate() {
                *v = f(i);
            }
        }
    }

    /// A copy of the values in bytes `[offset, offset + len)`, when the machine carries data.
    pub fn read(&self, offset: u64, len: u64) -> Option<Vec<f32>> {
        let data = self.data()?;
        let (a, n) = ((offset / ELEMENT) as usize, (len / ELEMENT) as usize);
        data.get(a..a + n).map(<[f32]>::to_vec)
    }

    /// Writes `values` at byte `offset` (no time passes; a transfer's data landing). Values
    /// past the end of the buffer are ignored.
    pub fn write(&self, offset: u64, values: &[f32]) {
        if let Some(mut data) = self.data_mut() {
            let a = ((offset / ELEMENT) as usize).min(data.len());
            let n = values.len().min(data.len() - a);
            data[a..a + n].copy_from_slice(&values[..n]);
        }
    }

    pub(crate) fn check_range(&self, what: &str, offset: u64, len: u64) -> Result<(), ModelError> {
        let size = self.inner.bytes.0;
        let aligned = self.inner.data.is_none() || (offset % ELEMENT == 0 && len % ELEMENT == 0);
        if offset.checked_add(len).is_none_or(|end| end > size) || !aligned {
            return Err(ModelError::BadRange {
                what: format!("{what} {}", self.inner.placement),
                offset,
                len,
                size,
            });
        }
        Ok(())
    }

    /// The memory nodes holding `[offset, offset + len)`, as `(node, bytes)` runs in order.
    pub(crate) fn segments(&self, offset: u64, len: u64) -> Vec<(Node, u64)> {
        let pes = self.inner.machine.topology().pes_per_sip();
        segments(self.inner.placement, self.inner.share, pes, offset, len)
    }
}

/// The per-PE share of a `bytes` buffer spread over `pes` TCMs: whole `f32`s, rounded up.
fn spread_share(bytes: u64, pes: u64) -> u64 {
    bytes.div_ceil(pes.max(1)).div_ceil(ELEMENT) * ELEMENT
}

/// The memory nodes holding bytes `[offset, offset + len)` of a buffer at `placement` (with
/// per-PE `share` when spread over `pes` TCMs), as `(node, bytes)` runs in order.
fn segments(placement: Placement, share: u64, pes: u32, offset: u64, len: u64) -> Vec<(Node, u64)> {
    match placement {
        Placement::Tcm(pe) => vec![(Node::Tcm(pe), len)],
        Placement::Sram(sip) => vec![(Node::Sram(sip), len)],
        Placement::Hbm(sip) => vec![(Node::Hbm(sip), len)],
        Placement::TcmSpread(sip) => {
            let share = share.max(1);
            let last_pe = pes.saturating_sub(1) as u64;
            let mut out = Vec::new();
            let (mut at, end) = (offset, offset + len);
            while at < end {
                let pe = (at / share).min(last_pe);
                let stop = if pe == last_pe {
                    end
                } else {
                    ((pe + 1) * share).min(end)
                };
                out.push((Node::Tcm(sip.pe(pe as u32)), stop - at));
                at = stop;
            }
            if out.is_empty() {
                // A 0-byte copy still sends its (empty) packet from the PE at the offset.
                out.push((Node::Tcm(sip.pe((offset / share).min(last_pe) as u32)), 0));
            }
            out
        }
    }
}

impl Machine {
    /// Moves `len` bytes from `src` at `src_offset` to where bytes `[dst_offset, dst_offset +
    /// len)` of a `dst_bytes` buffer at `dst` would live, without touching data: the timing of
    /// a one-sided put into a peer's buffer that this process does not hold.
    pub async fn move_to_placement(
        &self,
        src: &Buffer,
        src_offset: u64,
        dst: Placement,
        dst_bytes: Bytes,
        dst_offset: u64,
        len: u64,
    ) -> Result<(), ModelError> {
        src.check_range("copy from", src_offset, len)?;
        if dst_offset
            .checked_add(len)
            .is_none_or(|end| end > dst_bytes.0)
        {
            return Err(ModelError::BadRange {
                what: format!("copy to {dst}"),
                offset: dst_offset,
                len,
                size: dst_bytes.0,
            });
        }
        // One memory at each end (not a spread TCM buffer): one transfer, nothing to pair.
        if let (Some(from), Some(to)) = (single_node(src.placement()), single_node(dst)) {
            return self.transfer(from, to, Bytes(len)).await;
        }
        let pes = self.topology().pes_per_sip();
        let share = spread_share(dst_bytes.0, pes as u64);
        let pieces = pair_pieces(
            &src.segments(src_offset, len),
            &segments(dst, share, pes, dst_offset, len),
        );
        Box::pin(self.transfer_pieces(&pieces)).await
    }
}

/// The one memory node holding all of a buffer at `placement`, unless it is spread.
fn single_node(placement: Placement) -> Option<Node> {
    match placement {
        Placement::Tcm(pe) => Some(Node::Tcm(pe)),
        Placement::Sram(sip) => Some(Node::Sram(sip)),
        Placement::Hbm(sip) => Some(Node::Hbm(sip)),
        Placement::TcmSpread(_) => None,
    }
}

/// Pairs two runs of segments covering the same number of bytes into `(from, to, bytes)`
/// pieces. Zero bytes in all gives one empty piece between the first segments.
fn pair_pieces(src: &[(Node, u64)], dst: &[(Node, u64)]) -> Vec<(Node, Node, u64)> {
    let total: u64 = src.iter().map(|s| s.1).sum();
    if total == 0 {
        return match (src.first(), dst.first()) {
            (Some(s), Some(d)) => vec![(s.0, d.0, 0)],
            _ => Vec::new(),
        };
    }
    let mut out = Vec::new();
    let mut src = src.iter().copied().filter(|s| s.1 > 0);
    let mut dst = dst.iter().copied().filter(|d| d.1 > 0);
    let (mut s, mut d) = (src.next(), dst.next());
    while let (Some((from, left_s)), Some((to, left_d))) = (s, d) {
        let n = left_s.min(left_d);
        out.push((from, to, n));
        s = if left_s == n {
            src.next()
        } else {
            Some((from, left_s - n))
        };
        d = if left_d == n {
            dst.next()
        } else {
            Some((to, left_d - n))
        };
    }
    out
}
