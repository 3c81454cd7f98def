//! What the running process costs the machine, for benchmarks that report it.

/// The process's peak resident memory in bytes (`VmHWM` in `/proc/self/status`), or `None`
/// where there is no such file (not Linux) or it cannot be read.
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kb * 1024)
}

/// [`peak_memory`] in MiB for a table (`"41 MiB"`), or `"n/a"`.
pub fn peak_memory_label() -> String {
    peak_memory().map_or_else(
        || "n/a".to_owned(),
        |bytes| format!("{:.0} MiB", bytes as f64 / (1 << 20) as f64),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn linux_reports_a_peak_of_at_least_the_memory_this_test_touched() {
        let block = std::hint::black_box(vec![1u8; 8 << 20]);
        let peak = super::peak_memory().unwrap_or(0);
        assert!(peak >= block.len() as u64, "peak {peak} B");
        assert!(super::peak_memory_label().ends_with(" MiB"));
    }
}
