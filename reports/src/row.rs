//! The plain rows the reports room consumes: one [`ResultRow`] per sweep point and one
//! [`LinkUsage`] per link of a run.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::order::channels_key;

/// How a sweep point ended.
///
/// Serialised in lowercase: `"ok"`, `"failed"`, `"unsupported"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RowStatus {
    /// The collective ran to completion; the timing fields are set.
    Ok,
    /// The point was attempted and failed (bad input, deadlock, limit); `error` says why.
    Failed,
    /// The algorithm refuses this topology or collective (in a workload sweep: the workload
    /// does not fit the topology); `error` says why.
    Unsupported,
}

impl RowStatus {
    /// The lowercase word used in files and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Unsupported => "unsupported",
        }
    }
}

/// The result of one sweep point: one collective, one algorithm, one buffer placement, one
/// message size, on one topology.
///
/// Metrics follow nccl-tests: `algbw = bytes / time`, `busbw = algbw * factor`; beside busbw
/// stand the topology's injection bound and `efficiency = busbw / bound`. Every field is
/// a deterministic function of the inputs, so the same sweep writes the same bytes. `kernbench
/// run --json` prints the same row (plus `time_ps`), with the same digits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    /// Topology name, e.g. `"ring8"`.
    pub topology: String,
    /// Collective: `"all-reduce"`, `"reduce-scatter"`, `"all-gather"`, `"broadcast"`, `"reduce"`.
    pub collective: String,
    /// Algorithm: `"ring"`, `"mesh"`, `"tree"`, `"double-binary-tree"`, `"halving-doubling"`,
    /// `"direct"`, `"hierarchical"`.
    pub algorithm: String,
    /// Where the buffers live: `"tcm"`, `"sram"`, `"hbm"`.
    pub memory: String,
    /// Message size per rank, in bytes.
    pub bytes: u64,
    /// Number of ranks (SIPs).
    pub world_size: u32,
    /// The channels the point asked for: `"auto"` (as many as the wiring gives) or a count,
    /// `"2"`. A row written before this column existed reads as `"auto"`, what it ran.
    #[serde(default = "auto_channels")]
    pub channels: String,
    /// The chunk size the point asked for, in bytes: the largest message of chunking
    /// algorithms. A row written before this column existed reads as 1048576, what it ran.
    #[serde(default = "default_chunk_bytes")]
    pub chunk_bytes: u64,
    /// Ranks per group: the ranks were split into groups of this many that all ran the
    /// collective at once (the sweep's `group_sizes`, `run --group-size`); `world_size` when
    /// every rank is one group. A row written before this column existed reads as its
    /// `world_size`, what it ran: serde leaves it 0 and [`Record::complete`] fills it in.
    #[serde(default)]
    pub group_size: u32,
    /// Distance between a group's consecutive ranks (`group_strides`, `--group-stride`); 1
    /// for consecutive ranks and for the whole world. A row written before this column
    /// existed reads as 1.
    #[serde(default = "one")]
    pub group_stride: u32,
    /// The network model that timed the point: `"packet"` (exact) or `"flow"` (max-min fair
    /// flows, approximate under contention). A row written before this column existed reads
    /// as `"packet"`, the only model then.
    #[serde(default = "packet_model")]
    pub model: String,
    /// How the point ended.
    pub status: RowStatus,
    /// Why the point is not [`RowStatus::Ok`]; `None` when it is.
    pub error: Option<String>,
    /// Simulated time of the collective, in nanoseconds.
    pub time_ns: Option<f64>,
    /// Algorithm bandwidth `bytes / time`, in GB/s (1 GB/s = 1e9 bytes/s).
    pub algbw_gbps: Option<f64>,
    /// Bus bandwidth `algbw * factor` (nccl-tests), in GB/s.
    pub busbw_gbps: Option<f64>,
    /// The topology's injection bound, in GB/s: the least total bandwidth of the links
    /// leaving a SIP, which no busbw can exceed. `None` when the point did not run, or for one
    /// SIP (no links, no bound).
    pub bound_gbps: Option<f64>,
    /// `busbw / bound`, a fraction (`0.93` is 93 % of the bound); `None` without both.
    pub efficiency: Option<f64>,
    /// Whether the result data was checked and correct; `None` when verification was off.
    pub verified: Option<bool>,
    /// Number of simulation events processed.
    pub events: Option<u64>,
}

impl ResultRow {
    /// The row of sweep point `key` before anything is known of it: status ok and every
    /// measurement empty, for the caller to fill in (or to mark failed) from its run.
    pub fn for_point(key: RowKey) -> ResultRow {
        let RowKey {
            topology,
            collective,
            memory,
            algorithm,
            bytes,
            world_size,
            channels,
            chunk_bytes,
            group_size,
            group_stride,
            model,
        } = key;
        ResultRow {
            topology,
            collective,
            algorithm,
            memory,
            bytes,
            world_size,
            channels,
            chunk_bytes,
            group_size,
            group_stride,
            model,
            status: RowStatus::Ok,
            error: None,
            time_ns: None,
            algbw_gbps: None,
            busbw_gbps: None,
            bound_gbps: None,
            efficiency: None,
            verified: None,
            events: None,
        }
    }

    /// The identity of the sweep point this row answers, for resuming and merging.
    pub fn key(&self) -> RowKey {
        RowKey {
            topology: self.topology.clone(),
            collective: self.collective.clone(),
            memory: self.memory.clone(),
            algorithm: self.algorithm.clone(),
            bytes: self.bytes,
            world_size: self.world_size,
            channels: self.channels.clone(),
            chunk_bytes: self.chunk_bytes,
            group_size: self.group_size,
            group_stride: self.group_stride,
            model: self.model.clone(),
        }
    }

    /// The simulated time in nanoseconds when the row is [`RowStatus::Ok`] and has one.
    pub(crate) fn ok_time_ns(&self) -> Option<f64> {
        if self.status == RowStatus::Ok {
            self.time_ns.filter(|t| t.is_finite())
        } else {
            None
        }
    }
}

/// The `channels` of rows written before the column existed: those versions ran `auto`.
fn auto_channels() -> String {
    "auto".to_string()
}

/// The `chunk_bytes` of rows written before the column existed: those versions ran 1 MiB.
fn default_chunk_bytes() -> u64 {
    1 << 20
}

/// The `group_stride` of rows written before the column existed: they ran one group.
fn one() -> u32 {
    1
}

/// The `model` of rows written before the column existed: they ran the packet model.
fn packet_model() -> String {
    "packet".to_string()
}

/// The identity of a sweep point. Orders by topology, collective, memory, algorithm, size,
/// world size, channels (counts by value, then `auto`), chunk size, group size, group
/// stride, network model, which is the order [`merge`] returns rows in (the whole world, group size =
/// world size, after its groups).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RowKey {
    /// Topology name.
    pub topology: String,
    /// Collective name.
    pub collective: String,
    /// Memory placement.
    pub memory: String,
    /// Algorithm name.
    pub algorithm: String,
    /// Message size per rank, in bytes.
    pub bytes: u64,
    /// Number of ranks.
    pub world_size: u32,
    /// Channels asked for: `"auto"` or a count.
    pub channels: String,
    /// Chunk size asked for, in bytes.
    pub chunk_bytes: u64,
    /// Ranks per group; the world size for one group of every rank.
    pub group_size: u32,
    /// Distance between a group's consecutive ranks; 1 for the whole world.
    pub group_stride: u32,
    /// The network model: `"packet"` or `"flow"`.
    pub model: String,
}

/// How a point ran, in [`RowKey`]'s sort order: channels (by
/// [`channels_key`](crate::order::channels_key), so that 2 comes before 16), chunk size,
/// group size and stride, network model.
type RunSettings<'a> = ((u32, &'a str), u64, u32, u32, &'a str);

impl RowKey {
    /// The fields in sort order: what ran where, then how.
    fn order(&self) -> (&str, &str, &str, &str, u64, u32, RunSettings<'_>) {
        (
            &self.topology,
            &self.collective,
            &self.memory,
            &self.algorithm,
            self.bytes,
            self.world_size,
            (
                channels_key(&self.channels),
                self.chunk_bytes,
                self.group_size,
                self.group_stride,
                &self.model,
            ),
        )
    }
}

impl PartialOrd for RowKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RowKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order().cmp(&other.order())
    }
}

/// Joins shards of results into one list, one row per sweep point, sorted by [`RowKey`].
///
/// When several shards hold the same point, the one that comes last (later shard, later row)
/// wins: a re-run replaces an earlier attempt.
pub fn merge<I>(shards: I) -> Vec<ResultRow>
where
    I: IntoIterator,
    I::Item: IntoIterator<Item = ResultRow>,
{
    let mut by_key = BTreeMap::new();
    for shard in shards {
        for row in shard {
            by_key.insert(row.key(), row);
        }
    }
    by_key.into_values().collect()
}

/// How busy one directed link was during one run, for link-utilisation charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkUsage {
    /// Topology name.
    pub topology: String,
    /// Collective of the run, e.g. `"all-reduce"`: a sweep over several collectives has
    /// link rows for each.
    pub collective: String,
    /// Memory placement of the run.
    pub memory: String,
    /// Algorithm of the run.
    pub algorithm: String,
    /// Message size per rank of the run, in bytes.
    pub bytes: u64,
    /// Channels of the run, as [`ResultRow::channels`] (and read the same way when missing).
    #[serde(default = "auto_channels")]
    pub channels: String,
    /// Chunk size of the run in bytes, as [`ResultRow::chunk_bytes`].
    #[serde(default = "default_chunk_bytes")]
    pub chunk_bytes: u64,
    /// Ranks per group of the run, as [`ResultRow::group_size`]. A row written before this
    /// column existed reads as 0, which [`complete_link_groups`] turns into its topology's
    /// world size (a link row does not hold it).
    #[serde(default)]
    pub group_size: u32,
    /// Distance between a group's consecutive ranks, as [`ResultRow::group_stride`] (and 1
    /// when missing).
    #[serde(default = "one")]
    pub group_stride: u32,
    /// The network model of the run, as [`ResultRow::model`]: a row written before this
    /// column existed reads as `"packet"`, the only model then.
    #[serde(default = "packet_model")]
    pub model: String,
    /// The directed link, e.g. `"c0.s0.hub->c0.s1.hub"`.
    pub link: String,
    /// The link's class, e.g. `"noc"`, `"sip"`, `"cube"`.
    pub class: String,
    /// Bytes that crossed the link.
    pub bytes_carried: u64,
    /// Time the link spent serving packets, in nanoseconds.
    pub busy_ns: f64,
    /// `busy_ns / run time`, a fraction in `0..=1` (charts show it in %).
    pub utilisation: f64,
}

/// Gives link rows written before `group_size` existed (read as 0) the world size of their
/// topology, from the result rows of the same sweep: those versions ran every rank as one
/// group, which a row now says as `group_size` = world size. A link row whose topology has
/// no result row keeps 0 (it belongs to no point that is done).
pub fn complete_link_groups(links: &mut [LinkUsage], rows: &[ResultRow]) {
    // A topology's name fixes its world size (a sweep refuses two topologies of one name).
    let world: BTreeMap<&str, u32> = rows
        .iter()
        .map(|r| (r.topology.as_str(), r.world_size))
        .collect();
    for link in links.iter_mut().filter(|l| l.group_size == 0) {
        if let Some(&n) = world.get(link.topology.as_str()) {
            link.group_size = n;
        }
    }
}

/// A row type the CSV and JSON Lines writers know: its field names in file order.
pub trait Record: Serialize + serde::de::DeserializeOwned {
    /// Field names in the order serde writes them; the CSV header.
    const FIELDS: &'static [&'static str];

    /// Fills in what a row written before one of its columns existed cannot default by
    /// itself, because the value depends on another field; [`read_jsonl`](crate::read_jsonl)
    /// and [`read_csv`](crate::read_csv) call it on every row they read. Nothing by default.
    fn complete(&mut self) {}
}

impl Record for ResultRow {
    const FIELDS: &'static [&'static str] = &[
        "topology",
        "collective",
        "algorithm",
        "memory",
        "bytes",
        "world_size",
        "channels",
        "chunk_bytes",
        "group_size",
        "group_stride",
        "model",
        "status",
        "error",
        "time_ns",
        "algbw_gbps",
        "busbw_gbps",
        "bound_gbps",
        "efficiency",
        "verified",
        "events",
    ];

    /// `group_size` 0 (the column missing) is the whole world, what older versions ran.
    fn complete(&mut self) {
        if self.group_size == 0 {
            self.group_size = self.world_size;
        }
    }
}

impl Record for LinkUsage {
    const FIELDS: &'static [&'static str] = &[
        "topology",
        "collective",
        "memory",
        "algorithm",
        "bytes",
        "channels",
        "chunk_bytes",
        "group_size",
        "group_stride",
        "model",
        "link",
        "class",
        "bytes_carried",
        "busy_ns",
        "utilisation",
    ];
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small Ok row for tests.
    pub(crate) fn ok_row(
        topology: &str,
        algorithm: &str,
        memory: &str,
        bytes: u64,
        time_ns: f64,
    ) -> ResultRow {
        let algbw = bytes as f64 / time_ns;
        ResultRow {
            topology: topology.into(),
            collective: "all-reduce".into(),
            algorithm: algorithm.into(),
            memory: memory.into(),
            bytes,
            world_size: 8,
            channels: "auto".into(),
            chunk_bytes: 1 << 20,
            group_size: 8,
            group_stride: 1,
            model: "packet".into(),
            status: RowStatus::Ok,
            error: None,
            time_ns: Some(time_ns),
            algbw_gbps: Some(algbw),
            busbw_gbps: Some(algbw * 2.0 * 7.0 / 8.0),
            bound_gbps: Some(200.0),
            efficiency: Some(algbw * 2.0 * 7.0 / 8.0 / 200.0),
            verified: Some(true),
            events: Some(1234),
        }
    }

    /// A row that did not run, with a reason.
    pub(crate) fn not_ok_row(
        topology: &str,
        algorithm: &str,
        memory: &str,
        bytes: u64,
        status: RowStatus,
        why: &str,
    ) -> ResultRow {
        ResultRow {
            status,
            error: Some(why.into()),
            time_ns: None,
            algbw_gbps: None,
            busbw_gbps: None,
            bound_gbps: None,
            efficiency: None,
            verified: None,
            events: None,
            ..ok_row(topology, algorithm, memory, bytes, 1.0)
        }
    }

    fn csv_header_of<T: Serialize>(row: &T) -> String {
        let mut w = csv::Writer::from_writer(vec![]);
        w.serialize(row).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        text.lines().next().unwrap().to_string()
    }

    #[test]
    fn fields_match_what_serde_writes() {
        let row = ok_row("ring8", "ring", "hbm", 1024, 10.0);
        assert_eq!(csv_header_of(&row), ResultRow::FIELDS.join(","));
        let usage = LinkUsage {
            topology: "ring8".into(),
            collective: "all-reduce".into(),
            memory: "hbm".into(),
            algorithm: "ring".into(),
            bytes: 1024,
            channels: "2".into(),
            chunk_bytes: 1 << 18,
            group_size: 4,
            group_stride: 2,
            model: "packet".into(),
            link: "a->b".into(),
            class: "sip".into(),
            bytes_carried: 10,
            busy_ns: 1.0,
            utilisation: 0.5,
        };
        assert_eq!(csv_header_of(&usage), LinkUsage::FIELDS.join(","));
    }

    #[test]
    fn the_bound_and_efficiency_stand_right_after_busbw_in_the_csv_header() {
        assert_eq!(
            ResultRow::FIELDS.join(","),
            "topology,collective,algorithm,memory,bytes,world_size,channels,chunk_bytes,\
             group_size,group_stride,model,status,error,time_ns,algbw_gbps,busbw_gbps,bound_gbps,\
             efficiency,verified,events"
        );
    }

    #[test]
    fn a_row_written_before_channels_and_chunk_existed_reads_as_what_it_ran() {
        let mut line = serde_json::to_value(ok_row("ring8", "ring", "hbm", 1024, 10.0)).unwrap();
        let object = line.as_object_mut().unwrap();
        object.remove("channels");
        object.remove("chunk_bytes");
        let row: ResultRow = serde_json::from_value(line).unwrap();
        assert_eq!((row.channels.as_str(), row.chunk_bytes), ("auto", 1 << 20));
    }

    #[test]
    fn a_row_written_before_the_model_column_reads_as_the_packet_model() {
        let mut line = serde_json::to_value(ok_row("ring8", "ring", "hbm", 1024, 10.0)).unwrap();
        line.as_object_mut().unwrap().remove("model");
        let row: ResultRow = serde_json::from_value(line).unwrap();
        assert_eq!(row, ok_row("ring8", "ring", "hbm", 1024, 10.0));
    }

    #[test]
    fn a_row_written_before_the_group_columns_reads_as_one_group_of_every_rank() {
        let mut line = serde_json::to_value(ok_row("ring8", "ring", "hbm", 1024, 10.0)).unwrap();
        let object = line.as_object_mut().unwrap();
        object.remove("group_size");
        object.remove("group_stride");
        let mut row: ResultRow = serde_json::from_value(line).unwrap();
        assert_eq!((row.group_size, row.group_stride), (0, 1));
        row.complete();
        assert_eq!((row.group_size, row.group_stride), (8, 1));
        assert_eq!(row, ok_row("ring8", "ring", "hbm", 1024, 10.0));
    }

    #[test]
    fn old_link_rows_take_the_world_size_of_their_topology_from_the_result_rows() {
        let link = |topology: &str, group_size: u32| LinkUsage {
            topology: topology.into(),
            collective: "all-reduce".into(),
            memory: "hbm".into(),
            algorithm: "ring".into(),
            bytes: 1024,
            channels: "auto".into(),
            chunk_bytes: 1 << 20,
            group_size,
            group_stride: 1,
            model: "packet".into(),
            link: "a->b".into(),
            class: "sip-link".into(),
            bytes_carried: 10,
            busy_ns: 1.0,
            utilisation: 0.5,
        };
        let mut links = [link("ring8", 0), link("ring8", 4), link("gone", 0)];
        complete_link_groups(&mut links, &[ok_row("ring8", "ring", "hbm", 1024, 10.0)]);
        let sizes: Vec<u32> = links.iter().map(|l| l.group_size).collect();
        assert_eq!(sizes, [8, 4, 0]);
    }

    #[test]
    fn keys_order_group_sizes_by_value_then_strides_after_the_chunk_size() {
        let key = |chunk_bytes: u64, group_size: u32, group_stride: u32| RowKey {
            chunk_bytes,
            group_size,
            group_stride,
            ..ok_row("ring8", "ring", "hbm", 1024, 10.0).key()
        };
        let mut keys = [key(8, 8, 1), key(4, 8, 1), key(8, 2, 4), key(8, 2, 1)];
        keys.sort();
        let order: Vec<(u64, u32, u32)> = keys
            .iter()
            .map(|k| (k.chunk_bytes, k.group_size, k.group_stride))
            .collect();
        assert_eq!(order, [(4, 8, 1), (8, 2, 1), (8, 2, 4), (8, 8, 1)]);
    }

    #[test]
    fn keys_order_channel_counts_by_value_then_auto_then_chunk_sizes() {
        let key = |channels: &str, chunk_bytes: u64| RowKey {
            channels: channels.into(),
            chunk_bytes,
            ..ok_row("ring8", "ring", "hbm", 1024, 10.0).key()
        };
        let mut keys = [key("auto", 1), key("16", 1), key("2", 8), key("2", 4)];
        keys.sort();
        let order: Vec<(&str, u64)> = keys
            .iter()
            .map(|k| (k.channels.as_str(), k.chunk_bytes))
            .collect();
        assert_eq!(order, [("2", 4), ("2", 8), ("16", 1), ("auto", 1)]);
    }

    #[test]
    fn status_serialises_lowercase() {
        assert_eq!(
            serde_json::to_string(&RowStatus::Unsupported).unwrap(),
            "\"unsupported\""
        );
        assert_eq!(RowStatus::Failed.as_str(), "failed");
    }

    #[test]
    fn merge_keeps_the_last_row_per_point_in_key_order() {
        let a = vec![
            ok_row("ring8", "ring", "hbm", 4096, 10.0),
            ok_row("ring8", "ring", "hbm", 1024, 5.0),
        ];
        let b = vec![ok_row("ring8", "ring", "hbm", 4096, 20.0)];
        let merged = merge([a, b]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].bytes, 1024);
        assert_eq!(merged[1].time_ns, Some(20.0));
    }
}
