//! Compute: reductions. [`ReduceOp`], and the PEs of a SIP combining a buffer range with
//! another buffer's or with values that came in a message, at the topology's reduce
//! throughput.
//!
//! It must not move bytes: a reduction works where its destination lives, and its callers
//! bring the operands there first (with `memory`'s movement or a message).

use std::fmt;

use kernbench_engine::SimTime;

use crate::error::ModelError;
use crate::machine::Machine;
use crate::memory::{Buffer, ELEMENT};
use crate::units::Bytes;

/// A reduction operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReduceOp {
    /// Sum.
    #[default]
    Sum,
    /// Maximum.
    Max,
    /// Minimum.
    Min,
}

impl ReduceOp {
    /// Combines two values.
    pub fn apply(self, a: f32, b: f32) -> f32 {
        match self {
            ReduceOp::Sum => a + b,
            ReduceOp::Max => a.max(b),
            ReduceOp::Min => a.min(b),
        }
    }
}

impl fmt::Display for ReduceOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
        })
    }
}

impl Machine {
    /// The time the PEs of a SIP take to reduce `len` bytes with all of them working in
    /// parallel (`ceil(len / PEs)` bytes each at the topology's reduce throughput).
    pub fn reduce_time_on_sip(&self, len: u64) -> SimTime {
        let pes = self.topology().pes_per_sip() as u64;
        self.topology()
            .reduce_throughput()
            .time_for(Bytes(len.div_ceil(pes)))
    }

    /// `dst[range] = op(dst[range], src[range])`, done by the PEs of `dst`'s SIP in parallel;
    /// costs [`reduce_time_on_sip`](Machine::reduce_time_on_sip).
    pub async fn reduce(
        &self,
        dst: &Buffer,
        dst_offset: u64,
        src: &Buffer,
        src_offset: u64,
        len: u64,
        op: ReduceOp,
    ) -> Result<(), ModelError> {
        src.check_range("reduce from", src_offset, len)?;
        dst.check_range("reduce into", dst_offset, len)?;
        let time = self.reduce_time_on_sip(len);
        self.sim().timeout(time).await;
        reduce_data(dst, dst_offset, src, src_offset, len, op);
        Ok(())
    }

    /// `dst[range] = op(dst[range], values)` by the PEs of `dst`'s SIP in parallel, for values
    /// that arrived in a message rather than sit in a buffer; costs
    /// [`reduce_time_on_sip`](Machine::reduce_time_on_sip) for `len` bytes. `values` is `None`
    /// on a machine without data.
    pub async fn reduce_values(
        &self,
        dst: &Buffer,
        dst_offset: u64,
        len: u64,
        values: Option<&[f32]>,
        op: ReduceOp,
    ) -> Result<(), ModelError> {
        dst.check_range("reduce into", dst_offset, len)?;
        let time = self.reduce_time_on_sip(len);
        self.sim().timeout(time).await;
        if let (Some(values), Some(mut data)) = (values, dst.data_mut()) {
            let d0 = (dst_offset / ELEMENT) as usize;
            let n = ((len / ELEMENT) as usize).min(values.len());
            for (t, v) in data[d0..d0 + n].iter_mut().zip(values) {
                *t = op.apply(*t, *v);
            }
        }
        Ok(())
    }
}

/// Applies `op` to the data of two buffers (no time passes).
pub(crate) fn reduce_data(
    dst: &Buffer,
    dst_offset: u64,
    src: &Buffer,
    src_offset: u64,
    len: u64,
    op: ReduceOp,
) {
    if let (Some(s), Some(d)) = (&src.inner.data, &dst.inner.data) {
        let (s0, d0, n) = (
            (src_offset / ELEMENT) as usize,
            (dst_offset / ELEMENT) as usize,
            (len / ELEMENT) as usize,
        );
        let source: Vec<f32> = s.borrow()[s0..s0 + n].to_vec();
        let mut target = d.borrow_mut();
        for (t, v) in target[d0..d0 + n].iter_mut().zip(source) {
            *t = op.apply(*t, v);
        }
    }
}
