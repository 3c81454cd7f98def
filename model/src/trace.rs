//! Optional timeline recording: what each link carried when, and what each rank was doing.

use std::borrow::Cow;

use kernbench_engine::SimTime;

/// Where a span belongs on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TraceTrack {
    /// A directed link, by edge index.
    Link(u32),
    /// A rank (collectives) or program (kernels).
    Rank(u32),
}

/// One span of a timeline: on `track`, `name` from `start` to `end`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRecord {
    /// Which timeline.
    pub track: TraceTrack,
    /// What happened, e.g. `64 KiB c0.s0.hbm -> c0.s1.hbm`.
    pub name: Cow<'static, str>,
    /// When it began.
    pub start: SimTime,
    /// When it ended.
    pub end: SimTime,
    /// Bytes involved (0 where that means nothing).
    pub bytes: u64,
}
