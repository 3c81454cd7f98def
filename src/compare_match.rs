//! How `kernbench compare` matches the points of two sweeps, for either kind of row
//! (collective results, workload steps): on the whole key when any point matches so; else,
//! when each side ran one network model and they differ, on everything but the model; else,
//! when each side holds one topology and they differ, on everything but the machine.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use kernbench_reports::{ResultRow, RowKey, WorkloadKey, WorkloadRow};

use crate::Failure;

/// How the points of the two sides were matched.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Matching {
    /// On every field of the key.
    Whole,
    /// On every field but the network model: one model on each side (a flow-model sweep
    /// against the packet-model sweep of the same points).
    AcrossModels,
    /// On every field but the machine: one topology on each side.
    AcrossMachines,
}

/// A sweep's row as `compare` matches it.
pub(crate) trait Comparable {
    /// What names its point.
    type Key: Ord;
    fn key(&self) -> Self::Key;
    /// `key` without its network model.
    fn without_model(key: Self::Key) -> Self::Key;
    /// `key` without its machine.
    fn without_machine(key: Self::Key) -> Self::Key;
    fn topology(&self) -> &str;
    fn model(&self) -> &str;
    /// The one machine of a side's `rows`, as the matching line names it.
    fn machine(rows: &[Self]) -> String
    where
        Self: Sized;
}

/// One side of a comparison: the rows of one sweep, one per point in key order, and the file
/// they were read from.
pub(crate) struct Side<R> {
    pub(crate) file: PathBuf,
    pub(crate) rows: Vec<R>,
}

impl<R: Comparable> Side<R> {
    /// The topology names of the side's rows, in order.
    pub(crate) fn topologies(&self) -> BTreeSet<&str> {
        self.rows.iter().map(R::topology).collect()
    }

    pub(crate) fn models(&self) -> BTreeSet<&str> {
        self.rows.iter().map(R::model).collect()
    }

    /// `A: out/results.jsonl (12 points on ring8)`.
    pub(crate) fn describe(&self, letter: &str) -> String {
        let topologies: Vec<&str> = self.topologies().into_iter().collect();
        format!(
            "{letter}: {} ({} points on {})",
            self.file.display(),
            self.rows.len(),
            topologies.join(", ")
        )
    }
}

/// One point of either side, or of both, with the key it was matched on.
pub(crate) struct Compared<'a, R: Comparable> {
    pub(crate) key: R::Key,
    pub(crate) a: Option<&'a R>,
    pub(crate) b: Option<&'a R>,
    pub(crate) matching: Matching,
}

/// What a way of matching keeps of a key.
type KeyMap<R> = fn(<R as Comparable>::Key) -> <R as Comparable>::Key;

/// Every point of `a` and `b` matched (see the module docs), in the order of the key it was
/// matched on; `None` when no way of matching finds a point in both.
fn match_rows<'a, R: Comparable>(
    a: &'a [R],
    b: &'a [R],
) -> Option<(Matching, Vec<Compared<'a, R>>)> {
    let one_each_differ = |field: fn(&R) -> &str| {
        let (x, y): (BTreeSet<&str>, BTreeSet<&str>) =
            (a.iter().map(field).collect(), b.iter().map(field).collect());
        x.len() == 1 && y.len() == 1 && x != y
    };
    let ways: [(Matching, KeyMap<R>, bool); 3] = [
        (Matching::Whole, |k| k, true),
        (
            Matching::AcrossModels,
            R::without_model,
            one_each_differ(R::model),
        ),
        (
            Matching::AcrossMachines,
            R::without_machine,
            one_each_differ(R::topology),
        ),
    ];
    for (matching, match_on, tried) in ways {
        if !tried {
            continue;
        }
        let mut pairs: BTreeMap<R::Key, (Option<&R>, Option<&R>)> = BTreeMap::new();
        for row in a {
            pairs.entry(match_on(row.key())).or_default().0 = Some(row);
        }
        for row in b {
            pairs.entry(match_on(row.key())).or_default().1 = Some(row);
        }
        if pairs.values().any(|(a, b)| a.is_some() && b.is_some()) {
            let points = pairs
                .into_iter()
                .map(|(key, (a, b))| Compared {
                    key,
                    a,
                    b,
                    matching,
                })
                .collect();
            return Some((matching, points));
        }
    }
    None
}

/// The points in both, and the labels of those only in A and only in B.
fn split<'p, 'a, R: Comparable>(
    points: &'p [Compared<'a, R>],
    label: impl Fn(&Compared<'a, R>) -> String,
) -> (Vec<&'p Compared<'a, R>>, Vec<String>, Vec<String>) {
    let both = points
        .iter()
        .filter(|p| p.a.is_some() && p.b.is_some())
        .collect();
    let only_a = points
        .iter()
        .filter(|p| p.b.is_none())
        .map(&label)
        .collect();
    let only_b = points
        .iter()
        .filter(|p| p.a.is_none())
        .map(&label)
        .collect();
    (both, only_a, only_b)
}

/// The points of two sides, matched.
pub(crate) struct Comparison<'a, R: Comparable> {
    pub(crate) matching: Matching,
    /// Every point of either side, in the order of the key it was matched on.
    pub(crate) points: Vec<Compared<'a, R>>,
}

impl<'a, R: Comparable> Comparison<'a, R> {
    /// The points of `a` and `b` matched; bad input when they have none in common, saying to
    /// compare two sweeps of the same `what` (`workloads`).
    pub(crate) fn of(a: &'a Side<R>, b: &'a Side<R>, what: &str) -> Result<Self, Failure> {
        if let Some((matching, points)) = match_rows(&a.rows, &b.rows) {
            return Ok(Comparison { matching, points });
        }
        let names = |t: BTreeSet<&str>| t.into_iter().collect::<Vec<_>>().join(", ");
        Err(Failure::BadInput(format!(
            "{} ({}) and {} ({}) have no point in common; compare two sweeps of the same \
             {what}, on the same topology names or on one topology each",
            a.file.display(),
            names(a.topologies()),
            b.file.display(),
            names(b.topologies()),
        )))
    }

    /// The text report: the two sides, how they were matched (`whole`: the words for a
    /// match on the whole key), a table of the points in both under `header` (each line the
    /// point's `label` and the six cells `cells` gives it), then the points of one side only.
    pub(crate) fn table(
        &self,
        (a, b): (&Side<R>, &Side<R>),
        whole: &str,
        header: [&str; 7],
        label: impl Fn(&Compared<'a, R>) -> String,
        cells: impl Fn(&Compared<'a, R>, &R, &R) -> [String; 6],
    ) -> String {
        let mut out = format!("{}\n{}\n", a.describe("A"), b.describe("B"));
        let (both, only_a, only_b) = split(&self.points, &label);
        let one = |set: BTreeSet<&str>| set.into_iter().collect::<Vec<_>>().join("");
        let how = match self.matching {
            Matching::Whole => whole.to_owned(),
            Matching::AcrossModels => format!(
                "matched on everything but the network model (A: {}, B: {})",
                one(a.models()),
                one(b.models())
            ),
            Matching::AcrossMachines => format!(
                "matched on everything but the machine (A: {}, B: {})",
                R::machine(&a.rows),
                R::machine(&b.rows)
            ),
        };
        out.push_str(&format!(
            "{how}: {} in both, {} only in A, {} only in B\n",
            both.len(),
            only_a.len(),
            only_b.len()
        ));
        let mut lines: Vec<[String; 7]> = vec![header.map(str::to_owned)];
        for point in &both {
            let (Some(ra), Some(rb)) = (point.a, point.b) else {
                continue;
            };
            let [c1, c2, c3, c4, c5, c6] = cells(point, ra, rb);
            lines.push([label(point), c1, c2, c3, c4, c5, c6]);
        }
        out.push_str(&layout(&lines, &only_a, &only_b));
        out
    }
}

/// A comparison's table: `lines` (the header first) in columns, the first left-aligned and
/// the others right-aligned, then the points found on one side only.
fn layout(lines: &[[String; 7]], only_a: &[String], only_b: &[String]) -> String {
    let mut widths = [0; 7];
    for line in lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in lines {
        let mut text = format!("{:<w$}", line[0], w = widths[0]);
        for (cell, width) in line.iter().zip(widths).skip(1) {
            text.push_str(&format!("  {cell:>width$}"));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    for (letter, points) in [("A", only_a), ("B", only_b)] {
        if !points.is_empty() {
            out.push_str(&format!("only in {letter} ({}):\n", points.len()));
            for point in points {
                out.push_str(&format!("  {point}\n"));
            }
        }
    }
    out
}

impl Comparable for ResultRow {
    type Key = RowKey;

    fn key(&self) -> RowKey {
        ResultRow::key(self)
    }

    fn without_model(key: RowKey) -> RowKey {
        RowKey {
            model: String::new(),
            ..key
        }
    }

    /// No topology, no world size, and a group of every rank as group size 0, so that one
    /// group of 8 ranks on one machine matches one group of 16 on another. A split into
    /// groups keeps its size.
    fn without_machine(key: RowKey) -> RowKey {
        RowKey {
            topology: String::new(),
            world_size: 0,
            group_size: if key.group_size == key.world_size {
                0
            } else {
                key.group_size
            },
            ..key
        }
    }

    fn topology(&self) -> &str {
        &self.topology
    }

    fn model(&self) -> &str {
        &self.model
    }

    /// `ring8 (8 ranks)`.
    fn machine(rows: &[ResultRow]) -> String {
        rows.first()
            .map(|r| format!("{} ({} ranks)", r.topology, r.world_size))
            .unwrap_or_default()
    }
}

impl Comparable for WorkloadRow {
    type Key = WorkloadKey;

    fn key(&self) -> WorkloadKey {
        WorkloadRow::key(self)
    }

    fn without_model(key: WorkloadKey) -> WorkloadKey {
        WorkloadKey {
            model: String::new(),
            ..key
        }
    }

    fn without_machine(key: WorkloadKey) -> WorkloadKey {
        WorkloadKey {
            topology: String::new(),
            ..key
        }
    }

    fn topology(&self) -> &str {
        &self.topology
    }

    fn model(&self) -> &str {
        &self.model
    }

    /// The topology's name.
    fn machine(rows: &[WorkloadRow]) -> String {
        rows.first().map(|r| r.topology.clone()).unwrap_or_default()
    }
}
