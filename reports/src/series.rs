//! What a column of a summary table, a line of a plot or a link panel stands for: an
//! algorithm, with the channels, chunk size, groups and network model it ran with when the
//! rows vary them.
//!
//! The rule: a label is the algorithm's name alone (`ring`) unless the rows given to the
//! table or plot hold more than one channel count, more than one chunk size, or more than
//! one split into groups on one topology, or more than one network model; then the varying
//! settings follow in brackets, `ring (2 ch)`, `ring (256 KiB)`, `ring (groups of 4)`,
//! `ring (flow)`, `ring (2 ch, 256 KiB, groups of 2, stride 4)`, so that two such points are
//! two columns or lines, never one cell that the later row overwrites (a packet and a flow
//! sweep merged into one folder draw each algorithm twice). A sweep that varies none keeps
//! its plain labels.
//!
//! Groups are compared within a topology because a row says the whole world as `group_size`
//! = its world size: a sweep over ring8 and ring16 without groups has group sizes 8 and 16,
//! yet it does not vary them. Where they vary, the whole world is `groups of 8` on 8 ranks (a
//! link row does not know its world size, so no other label could be the same in every
//! table and plot); the stride is named where it is not 1.

use std::collections::BTreeMap;

use crate::order::{algorithm_key, channels_key, model_key};
use crate::row::{LinkUsage, ResultRow};
use crate::units::iec_size_label;

/// The settings of one point that a label may name, as [`Varies`] compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings<'a> {
    /// The topology the point ran on (group splits are compared within one).
    pub(crate) topology: &'a str,
    /// Channels asked for.
    pub(crate) channels: &'a str,
    /// Chunk size asked for, in bytes.
    pub(crate) chunk_bytes: u64,
    /// Ranks per group and their stride.
    pub(crate) groups: (u32, u32),
    /// The network model, `packet` or `flow`.
    pub(crate) model: &'a str,
}

impl<'a> Settings<'a> {
    /// The settings of a result row.
    pub(crate) fn of_row(row: &'a ResultRow) -> Settings<'a> {
        Settings {
            topology: &row.topology,
            channels: &row.channels,
            chunk_bytes: row.chunk_bytes,
            groups: (row.group_size, row.group_stride),
            model: &row.model,
        }
    }

    /// The settings of a link row.
    pub(crate) fn of_link(row: &'a LinkUsage) -> Settings<'a> {
        Settings {
            topology: &row.topology,
            channels: &row.channels,
            chunk_bytes: row.chunk_bytes,
            groups: (row.group_size, row.group_stride),
            model: &row.model,
        }
    }
}

/// Which settings beyond the algorithm take more than one value in a set of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Varies {
    channels: bool,
    chunk: bool,
    groups: bool,
    model: bool,
}

impl Varies {
    /// What varies among these points: channels or chunk size anywhere, groups within a
    /// topology.
    pub(crate) fn of<'a>(points: impl IntoIterator<Item = Settings<'a>>) -> Varies {
        let mut points = points.into_iter();
        let mut varies = Varies::default();
        let Some(first) = points.next() else {
            return varies;
        };
        let mut groups: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
        groups.insert(first.topology, first.groups);
        for point in points {
            varies.channels |= point.channels != first.channels;
            varies.chunk |= point.chunk_bytes != first.chunk_bytes;
            varies.model |= point.model != first.model;
            varies.groups |= *groups.entry(point.topology).or_insert(point.groups) != point.groups;
        }
        varies
    }

    /// What varies among `rows`.
    pub(crate) fn of_rows(rows: &[ResultRow]) -> Varies {
        Varies::of(rows.iter().map(Settings::of_row))
    }

    /// What varies among link rows.
    pub(crate) fn of_links(rows: &[LinkUsage]) -> Varies {
        Varies::of(rows.iter().map(Settings::of_link))
    }
}

/// One series: an algorithm with its channels, chunk size, groups and network model. Orders
/// as tables and legends show them: algorithms in their usual order, then channel counts by
/// value with `auto` after them, then chunk sizes from small to large, then group sizes from
/// small to large (so the whole world last), then strides, then packet before flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Series<'a> {
    algorithm: (usize, &'a str),
    channels: (u32, &'a str),
    chunk_bytes: u64,
    groups: (u32, u32),
    model: (usize, &'a str),
}

impl<'a> Series<'a> {
    /// The series of a result row.
    pub(crate) fn of_row(row: &'a ResultRow) -> Series<'a> {
        Series::new(&row.algorithm, Settings::of_row(row))
    }

    /// The series of a link row.
    pub(crate) fn of_link(row: &'a LinkUsage) -> Series<'a> {
        Series::new(&row.algorithm, Settings::of_link(row))
    }

    fn new(algorithm: &'a str, settings: Settings<'a>) -> Series<'a> {
        Series {
            algorithm: algorithm_key(algorithm),
            channels: channels_key(settings.channels),
            chunk_bytes: settings.chunk_bytes,
            groups: settings.groups,
            model: model_key(settings.model),
        }
    }

    /// The algorithm's name.
    pub(crate) fn algorithm(&self) -> &'a str {
        self.algorithm.1
    }

    /// The label under the module's rule: the algorithm, then what `varies`.
    pub(crate) fn label(&self, varies: Varies) -> String {
        let mut parts = Vec::new();
        if varies.channels {
            parts.push(format!("{} ch", self.channels.1));
        }
        if varies.chunk {
            parts.push(iec_size_label(self.chunk_bytes));
        }
        if varies.groups {
            parts.push(match self.groups {
                (size, 1) => format!("groups of {size}"),
                (size, stride) => format!("groups of {size}, stride {stride}"),
            });
        }
        if varies.model {
            parts.push(self.model.1.to_string());
        }
        if parts.is_empty() {
            self.algorithm().to_string()
        } else {
            format!("{} ({})", self.algorithm(), parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings of a point on ring8 in one group of every rank.
    fn on_ring8(channels: &'static str, chunk_bytes: u64) -> Settings<'static> {
        Settings {
            topology: "ring8",
            channels,
            chunk_bytes,
            groups: (8, 1),
            model: "packet",
        }
    }

    fn series(channels: &'static str, chunk_bytes: u64) -> Series<'static> {
        Series::new("ring", on_ring8(channels, chunk_bytes))
    }

    fn grouped(size: u32, stride: u32) -> Series<'static> {
        Series::new(
            "ring",
            Settings {
                groups: (size, stride),
                ..on_ring8("auto", 1 << 20)
            },
        )
    }

    #[test]
    fn labels_name_only_what_varies() {
        let plain = Varies::of([on_ring8("auto", 1 << 20), on_ring8("auto", 1 << 20)]);
        assert_eq!(series("auto", 1 << 20).label(plain), "ring");
        let channels = Varies::of([on_ring8("auto", 1 << 20), on_ring8("2", 1 << 20)]);
        assert_eq!(series("2", 1 << 20).label(channels), "ring (2 ch)");
        let both = Varies::of([on_ring8("auto", 1 << 20), on_ring8("2", 1 << 18)]);
        assert_eq!(series("2", 1 << 18).label(both), "ring (2 ch, 256 KiB)");
        let chunk = Varies::of([on_ring8("1", 1 << 20), on_ring8("1", 1000)]);
        assert_eq!(series("1", 1000).label(chunk), "ring (1000 B)");
    }

    #[test]
    fn labels_name_groups_where_one_topology_runs_more_than_one_split() {
        let split = Settings {
            groups: (2, 4),
            ..on_ring8("auto", 1 << 20)
        };
        let varies = Varies::of([on_ring8("auto", 1 << 20), split]);
        assert_eq!(grouped(4, 1).label(varies), "ring (groups of 4)");
        assert_eq!(grouped(2, 4).label(varies), "ring (groups of 2, stride 4)");
        assert_eq!(grouped(8, 1).label(varies), "ring (groups of 8)");
        // Two topologies of their own world sizes, each in one group: nothing varies.
        let ring16 = Settings {
            topology: "ring16",
            groups: (16, 1),
            ..on_ring8("auto", 1 << 20)
        };
        let plain = Varies::of([on_ring8("auto", 1 << 20), ring16]);
        assert_eq!(grouped(16, 1).label(plain), "ring");
    }

    #[test]
    fn labels_name_the_network_model_where_rows_hold_both_and_packet_comes_first() {
        let flow = Settings {
            model: "flow",
            ..on_ring8("auto", 1 << 20)
        };
        let varies = Varies::of([on_ring8("auto", 1 << 20), flow]);
        let (packet, flow) = (
            Series::new("ring", on_ring8("auto", 1 << 20)),
            Series::new("ring", flow),
        );
        assert_eq!(packet.label(varies), "ring (packet)");
        assert_eq!(flow.label(varies), "ring (flow)");
        assert!(packet < flow);
        // One model throughout: the plain name.
        let one = Varies::of([on_ring8("auto", 1 << 20), on_ring8("auto", 1 << 20)]);
        assert_eq!(packet.label(one), "ring");
    }

    #[test]
    fn series_order_by_algorithm_then_channel_count_then_chunk_size_then_groups() {
        let mut all = [
            Series::new("tree", on_ring8("1", 4)),
            series("auto", 4),
            series("16", 4),
            series("2", 8),
            series("2", 4),
        ];
        all.sort();
        let varies = Varies::of([on_ring8("1", 4), on_ring8("2", 8)]);
        let labels: Vec<String> = all.iter().map(|s| s.label(varies)).collect();
        assert_eq!(
            labels,
            [
                "ring (2 ch, 4 B)",
                "ring (2 ch, 8 B)",
                "ring (16 ch, 4 B)",
                "ring (auto ch, 4 B)",
                "tree (1 ch, 4 B)"
            ]
        );
        let mut splits = [grouped(8, 1), grouped(2, 4), grouped(4, 1), grouped(2, 1)];
        splits.sort();
        let groups: Vec<(u32, u32)> = splits.iter().map(|s| s.groups).collect();
        assert_eq!(groups, [(2, 1), (2, 4), (4, 1), (8, 1)]);
    }
}
