//! Optional timeline recording: what each transfer and each rank was doing when, and when each
//! link was busy.
//!
//! Two kinds of record, for two questions. A [`TraceRecord`] is a span of a transfer or of a
//! rank's work: spans of one track may overlap (a rank sends while it receives; several
//! transfers share a link). A [`LinkBusy`] is an interval in which a link was serialising
//! packets, with what it carried: the intervals of one link never overlap, packets served
//! back to back are one interval, and their lengths add up to the link's
//! [`LinkStats::busy`](crate::LinkStats::busy) exactly.

use std::borrow::Cow;

use kernbench_engine::SimTime;

use crate::coords::Node;

/// Where a span belongs on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TraceTrack {
    /// A directed link, by edge index: the span is one transfer's time on it, from its first
    /// packet's start to its last packet's departure, idle gaps and other flows' packets
    /// included (the link's busy time is in [`LinkBusy`]).
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

/// An interval in which one link was busy serialising packets, back-to-back packets merged.
///
/// The link is busy from `start` to `end` without a gap; just before `start` and just after
/// `end` it is idle. A packet of `p` bytes holds it for its serialisation time (see the
/// `transfer` module), so the lengths of a link's intervals add up to its
/// [`LinkStats::busy`](crate::LinkStats::busy) to the picosecond. Packets that take no time
/// (empty notifications) only count where they touch an interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkBusy {
    /// The link, by edge index.
    pub edge: u32,
    /// When the first packet of the interval started.
    pub start: SimTime,
    /// When the last packet of the interval left; after `start`.
    pub end: SimTime,
    /// Bytes serialised in the interval.
    pub bytes: u64,
    /// Packets serialised in the interval.
    pub packets: u64,
    /// The flows the packets belonged to, in the order their first packet came.
    pub flows: Vec<LinkFlow>,
}

/// What one flow (a transfer's source and destination node) put on a link in one
/// [`LinkBusy`] interval; a flow's several transfers in one interval add up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkFlow {
    /// Where the transfer began.
    pub from: Node,
    /// Where the transfer ends.
    pub to: Node,
    /// Bytes of the flow's packets in the interval.
    pub bytes: u64,
    /// Its packets in the interval.
    pub packets: u64,
}

/// The busy intervals of every link while a run is traced: the one each link is in now,
/// still growing, and those that ended.
#[derive(Debug, Default)]
pub(crate) struct BusyLog {
    /// By edge index; empty unless tracing.
    open: Vec<Option<LinkBusy>>,
    closed: Vec<LinkBusy>,
}

impl BusyLog {
    /// A log for `links` links.
    pub(crate) fn new(links: usize) -> BusyLog {
        BusyLog {
            open: vec![None; links],
            closed: Vec::new(),
        }
    }

    /// Records a packet of `bytes` of the flow `from -> to` holding link `edge` from `start`
    /// for `serialise`. Packets on one link come in the order they start, each no earlier
    /// than the one before ends (the link is first come, first served).
    pub(crate) fn packet(
        &mut self,
        edge: u32,
        start: SimTime,
        serialise: SimTime,
        bytes: u64,
        flow: (Node, Node),
    ) {
        self.train(edge, start, serialise, bytes, 1, flow);
    }

    /// Records `packets` packets of `bytes` in all of the flow `from -> to` holding link
    /// `edge` back to back from `start` for `serialise` in all (the flow model's record of a
    /// whole transfer), in the order of [`packet`](BusyLog::packet).
    pub(crate) fn train(
        &mut self,
        edge: u32,
        start: SimTime,
        serialise: SimTime,
        bytes: u64,
        packets: u64,
        (from, to): (Node, Node),
    ) {
        let Some(slot) = self.open.get_mut(edge as usize) else {
            return;
        };
        let end = start + serialise;
        let interval = match slot {
            // Back to back with the interval the link is in: it grows.
            Some(open) if open.end == start => open,
            _ => {
                if serialise == SimTime::ZERO {
                    return;
                }
                if let Some(done) = slot.take() {
                    self.closed.push(done);
                }
                slot.insert(LinkBusy {
                    edge,
                    start,
                    end: start,
                    bytes: 0,
                    packets: 0,
                    flows: Vec::with_capacity(1),
                })
            }
        };
        interval.end = end;
        interval.bytes += bytes;
        interval.packets += packets;
        match interval
            .flows
            .iter_mut()
            .find(|f| f.from == from && f.to == to)
        {
            Some(flow) => {
                flow.bytes += bytes;
                flow.packets += packets;
            }
            None => interval.flows.push(LinkFlow {
                from,
                to,
                bytes,
                packets,
            }),
        }
    }

    /// Every interval recorded, by link and then by time; the log is left empty.
    pub(crate) fn take(&mut self) -> Vec<LinkBusy> {
        let mut all = std::mem::take(&mut self.closed);
        all.extend(self.open.iter_mut().filter_map(Option::take));
        // Stable, and (edge, start) is unique: one order whatever the order of closing.
        all.sort_by_key(|b| (b.edge, b.start));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(text: &str) -> (Node, Node) {
        let (from, to) = text.split_once("->").unwrap();
        (from.parse().unwrap(), to.parse().unwrap())
    }

    fn ps(t: u64) -> SimTime {
        SimTime::from_ps(t)
    }

    #[test]
    fn back_to_back_packets_merge_and_a_gap_starts_a_new_interval() {
        let mut log = BusyLog::new(2);
        let a = flow("c0.s0.hbm->c0.s1.hbm");
        let b = flow("c0.s1.hbm->c0.s0.hbm");
        log.packet(1, ps(100), ps(40), 4096, a);
        log.packet(1, ps(140), ps(40), 4096, b);
        log.packet(1, ps(180), ps(10), 1000, a);
        log.packet(0, ps(0), ps(5), 8, b);
        log.packet(1, ps(300), ps(40), 4096, b);
        let busy = log.take();
        assert_eq!(
            busy.iter()
                .map(|b| (b.edge, b.start.as_ps(), b.end.as_ps(), b.bytes, b.packets))
                .collect::<Vec<_>>(),
            [
                (0, 0, 5, 8, 1),
                (1, 100, 190, 9192, 3),
                (1, 300, 340, 4096, 1)
            ]
        );
        assert_eq!(
            busy[1].flows,
            [
                LinkFlow {
                    from: a.0,
                    to: a.1,
                    bytes: 5096,
                    packets: 2
                },
                LinkFlow {
                    from: b.0,
                    to: b.1,
                    bytes: 4096,
                    packets: 1
                },
            ]
        );
        assert!(log.take().is_empty());
    }

    #[test]
    fn an_empty_packet_counts_only_where_it_touches_an_interval() {
        let mut log = BusyLog::new(1);
        let a = flow("c0.s0.hbm->c0.s1.hbm");
        log.packet(0, ps(10), ps(0), 0, a);
        log.packet(0, ps(20), ps(30), 64, a);
        log.packet(0, ps(50), ps(0), 0, a);
        log.packet(0, ps(90), ps(0), 0, a);
        let busy = log.take();
        assert_eq!(busy.len(), 1);
        assert_eq!(
            (busy[0].start, busy[0].end, busy[0].packets),
            (ps(20), ps(50), 2)
        );
    }
}
