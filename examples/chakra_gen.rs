//! Writes Chakra execution traces of collective microbenchmarks, one `NAME.N.et` file per
//! rank, as ASTRA-sim's `examples/workload/microbenchmarks/generator_scripts/*.py` do (a
//! GlobalMetadata of version 0.0.4, then one COMM_COLL_NODE with the attributes
//! `is_cpu_op`, `comm_type` and `comm_size`), so `kernbench workload FOLDER` can run them.
//!
//! ```text
//! cargo run --example chakra_gen -- all_reduce 8 1 /tmp/mb
//! kernbench workload /tmp/mb/all_reduce/8npus_1MB --topology topologies/ring8.ron
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kernbench::chakra::{AttributeProto, CollectiveCommType, GlobalMetadata, Node, NodeType};

/// Writes the microbenchmark `collective` for `npus` ranks of `size_mib` MiB under `out`, and
/// returns its folder: `out/COLLECTIVE/{npus}npus_{size}MB`.
fn generate(collective: &str, npus: u32, size_mib: u64, out: &Path) -> Result<PathBuf, String> {
    let comm_type = match collective {
        "all_reduce" => CollectiveCommType::AllReduce,
        "all_gather" => CollectiveCommType::AllGather,
        "reduce_scatter" => CollectiveCommType::ReduceScatter,
        "all_to_all" => CollectiveCommType::AllToAll,
        other => {
            return Err(format!(
                "{other} is not a microbenchmark; use all_reduce, all_gather, reduce_scatter or all_to_all"
            ));
        }
    };
    let folder = out
        .join(collective)
        .join(format!("{npus}npus_{size_mib}MB"));
    std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let metadata = GlobalMetadata {
        version: "0.0.4".into(),
        attr: Vec::new(),
    };
    for npu in 0..npus {
        // As the scripts do: one node per file, its id counting up across the files.
        let node = Node {
            id: u64::from(npu),
            name: format!("{collective}_{npus}npus_{size_mib}MB"),
            r#type: NodeType::CommCollNode as i32,
            attr: vec![
                AttributeProto::bool("is_cpu_op", false),
                AttributeProto::int64("comm_type", comm_type as i64),
                AttributeProto::int64("comm_size", (size_mib * 1024 * 1024) as i64),
            ],
            ..Node::default()
        };
        let file = folder.join(format!("{collective}.{npu}.et"));
        std::fs::write(&file, kernbench::chakra::encode(&metadata, &[node]))
            .map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(folder)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [collective, npus, size, out] = args.as_slice() else {
        eprintln!("usage: chakra_gen COLLECTIVE NPUS SIZE_MIB OUT_FOLDER");
        return ExitCode::from(2);
    };
    let (Ok(npus), Ok(size)) = (npus.parse::<u32>(), size.parse::<u64>()) else {
        eprintln!("NPUS and SIZE_MIB are whole numbers");
        return ExitCode::from(2);
    };
    match generate(collective, npus, size, Path::new(out)) {
        Ok(folder) => {
            println!("{}", folder.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_all_reduce_reads_back_as_one_all_reduce_per_rank() {
        let dir = tempfile::tempdir().unwrap();
        let folder = generate("all_reduce", 4, 1, dir.path()).unwrap();
        let trace = kernbench::chakra::load_folder(&folder, None).unwrap();
        assert_eq!(trace.workload.ranks, Some(4));
        assert_eq!(trace.workload.tasks.len(), 4);
        assert_eq!(trace.workload.tasks[2].name, "r2/all_reduce_4npus_1MB#2");
        assert_eq!(trace.unused.get("attribute is_cpu_op"), Some(&4));
    }
}
