//! Limits on the size of a topology, so that an absurd file is an error instead of an
//! out-of-memory crash. Each is far above any machine the model is meant for.

use kernbench_engine::SimTime;

use crate::units::{Bandwidth, Bytes};

/// At most this many SIPs in all (`cubes.count * sips.per_cube`): 65,536.
pub const MAX_SIPS: u64 = 65_536;
/// At most this many PEs per SIP (`pes.per_sip`): 4,096.
pub const MAX_PES_PER_SIP: u32 = 4_096;
/// At most this many PEs in all: 1,048,576 (the graph has about two nodes per PE).
pub const MAX_PES: u64 = 1 << 20;
/// At most this many members in a `FullyConnected` shape: 1,024 (about a million links).
pub const MAX_FULLY_CONNECTED: u32 = 1_024;
/// Capacities and the packet size: at most 1 PiB.
pub const MAX_CAPACITY: Bytes = Bytes(1 << 50);
/// The packet size: at most 1 GiB.
pub const MAX_PACKET_SIZE: Bytes = Bytes(1 << 30);
/// Bandwidths: at most 1 PB/s.
pub const MAX_BANDWIDTH: Bandwidth = Bandwidth::from_bytes_per_second(1_000_000_000_000_000);
/// Latencies: at most 1 s.
pub const MAX_LATENCY: SimTime = SimTime::from_secs(1);
/// Input files (topology, sweep, scenario): at most 16 MiB. A real one is a few KiB; past the
/// limit the path is almost surely wrong (`/dev/zero`, a trace, a binary), and reading it whole
/// would take the memory with it.
pub const MAX_INPUT_FILE: Bytes = Bytes(16 << 20);
