//! How a sweep point is named to a person, in the progress bar and in `kernbench compare`:
//! `ring8 all-reduce ring 256 MiB hbm`, with the settings that are not the defaults after it.

use kernbench_algorithms::{Channels, DEFAULT_CHUNK};
use kernbench_model::Bytes;
use kernbench_reports::RowKey;

/// `ring8 all-reduce ring 256 MiB hbm`, then [`settings_label`].
pub(crate) fn point_label(key: &RowKey) -> String {
    format!("{} {}", key.topology, point_label_without_topology(key))
}

/// [`point_label`] without the topology: `all-reduce ring 256 MiB hbm`, for points matched
/// across machines.
pub(crate) fn point_label_without_topology(key: &RowKey) -> String {
    format!(
        "{} {} {} {}{}",
        key.collective,
        key.algorithm,
        Bytes(key.bytes),
        key.memory,
        settings_label(key)
    )
}

/// The channels, chunk size, groups and network model of a point where they are not the
/// defaults, as most sweeps run: ` 2 ch`, ` chunk 256 KiB`, ` groups of 4 stride 2`,
/// ` flow model`; empty for the defaults.
pub(crate) fn settings_label(key: &RowKey) -> String {
    let mut settings = String::new();
    if key.channels != Channels::Auto.to_string() {
        settings.push_str(&format!(" {} ch", key.channels));
    }
    if key.chunk_bytes != DEFAULT_CHUNK.0 {
        settings.push_str(&format!(" chunk {}", Bytes(key.chunk_bytes)));
    }
    if key.group_size != key.world_size {
        settings.push_str(&format!(" groups of {}", key.group_size));
        if key.group_stride != 1 {
            settings.push_str(&format!(" stride {}", key.group_stride));
        }
    }
    if !key.model.is_empty() && key.model != "packet" {
        settings.push_str(&format!(" {} model", key.model));
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> RowKey {
        RowKey {
            topology: "ring8".into(),
            collective: "all-reduce".into(),
            memory: "hbm".into(),
            algorithm: "ring".into(),
            bytes: 256 << 20,
            world_size: 8,
            channels: "auto".into(),
            chunk_bytes: 1 << 20,
            group_size: 8,
            group_stride: 1,
            model: "packet".into(),
        }
    }

    #[test]
    fn a_point_of_default_settings_reads_topology_collective_algorithm_size_memory() {
        assert_eq!(point_label(&key()), "ring8 all-reduce ring 256 MiB hbm");
    }

    #[test]
    fn settings_other_than_the_defaults_follow_the_point() {
        let key = RowKey {
            channels: "2".into(),
            chunk_bytes: 256 << 10,
            group_size: 4,
            group_stride: 2,
            model: "flow".into(),
            ..key()
        };
        assert_eq!(
            point_label_without_topology(&key),
            "all-reduce ring 256 MiB hbm 2 ch chunk 256 KiB groups of 4 stride 2 flow model"
        );
    }
}
