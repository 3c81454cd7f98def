//! What a sweep panel says beside its lines: the points that did not run and why, the lines
//! that lie on each other, and how far to shift markers that would hide each other.

use std::collections::{BTreeMap, BTreeSet};

use crate::units::iec_size_label;

/// How one point of a line ended, as a panel knows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Outcome<'a> {
    /// It ran; the plotted value.
    Ran(f64),
    /// It was attempted and failed; the row's error.
    Failed(&'a str),
    /// The algorithm refused it; the row's error.
    Refused(&'a str),
}

/// One line of a panel as the notes see it: its label and its points by message size.
pub(super) type LineOutcomes<'a, 'b> = (&'b str, &'b BTreeMap<u64, Outcome<'a>>);

/// Sizes that failed, and the lines they failed on.
type SizesOf<'b> = (Vec<u64>, Vec<&'b str>);

/// The note of a panel's points that did not run, or `None` when every point ran:
/// `not run: all failed at ≥ 256 MiB (does not fit tcm); mesh, hierarchical refused`.
///
/// A line refused at every size is named once among the refused; one refused at some sizes
/// is named with them. Failures are grouped by their short reason ([`short_reason`]), then by
/// the sizes they hit; `all` stands for every line that was not refused everywhere (when
/// there are several). Sizes read as `≥ 256 MiB` when they are the panel's largest, `≤ 4 KiB`
/// when its smallest, `every size`, or a list. Lines come in the order given.
pub(super) fn not_run_note(lines: &[LineOutcomes<'_, '_>], memory: &str) -> Option<String> {
    let panel_sizes: BTreeSet<u64> = lines.iter().flat_map(|(_, p)| p.keys().copied()).collect();
    let mut refused_everywhere = Vec::new();
    let mut refused_some = Vec::new();
    let mut attempted = Vec::new();
    // reason -> (sizes -> labels), both in order of first appearance.
    let mut failed: Vec<(String, Vec<SizesOf<'_>>)> = Vec::new();
    for (label, points) in lines {
        let refused: Vec<u64> = points
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Refused(_)))
            .map(|(b, _)| *b)
            .collect();
        if !refused.is_empty() && refused.len() == points.len() {
            refused_everywhere.push(*label);
            continue;
        }
        attempted.push(*label);
        if !refused.is_empty() {
            refused_some.push(format!(
                "{label} refused at {}",
                sizes_text(&refused, &panel_sizes)
            ));
        }
        let mut by_reason: Vec<(String, Vec<u64>)> = Vec::new();
        for (bytes, outcome) in points.iter() {
            if let Outcome::Failed(error) = outcome {
                let reason = short_reason(error, memory);
                match by_reason.iter_mut().find(|(r, _)| *r == reason) {
                    Some((_, sizes)) => sizes.push(*bytes),
                    None => by_reason.push((reason, vec![*bytes])),
                }
            }
        }
        for (reason, sizes) in by_reason {
            let groups = match failed.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, groups)) => groups,
                None => {
                    failed.push((reason, Vec::new()));
                    let last = failed.len() - 1;
                    &mut failed[last].1
                }
            };
            match groups.iter_mut().find(|(s, _)| *s == sizes) {
                Some((_, labels)) => labels.push(*label),
                None => groups.push((sizes, vec![*label])),
            }
        }
    }

    let who = |labels: &[&str]| {
        if attempted.len() > 1 && labels.len() == attempted.len() {
            "all".to_string()
        } else {
            labels.join(", ")
        }
    };
    let mut phrases = Vec::new();
    for (reason, groups) in &failed {
        phrases.push(match groups.as_slice() {
            [(sizes, labels)] => format!(
                "{} failed at {} ({reason})",
                who(labels),
                sizes_text(sizes, &panel_sizes)
            ),
            _ => {
                let parts: Vec<String> = groups
                    .iter()
                    .map(|(sizes, labels)| {
                        format!("{} at {}", who(labels), sizes_text(sizes, &panel_sizes))
                    })
                    .collect();
                format!("failed ({reason}): {}", parts.join(", "))
            }
        });
    }
    if !refused_everywhere.is_empty() {
        phrases.push(format!("{} refused", refused_everywhere.join(", ")));
    }
    phrases.extend(refused_some);
    (!phrases.is_empty()).then(|| format!("not run: {}", phrases.join("; ")))
}

/// The few words of an error a panel note has room for: `does not fit tcm`, `time limit`,
/// `deadlock`, else its first clause, cut at 40 characters.
pub(super) fn short_reason(error: &str, memory: &str) -> String {
    let lower = error.to_lowercase();
    if lower.contains("does not fit") {
        format!("does not fit {memory}")
    } else if lower.contains("time limit") {
        "time limit".to_string()
    } else if lower.contains("deadlock") {
        "deadlock".to_string()
    } else {
        let clause = error.split([';', ':', '\n']).next().unwrap_or(error).trim();
        let mut cut: String = clause.chars().take(40).collect();
        if clause.chars().count() > 40 {
            cut.push_str("...");
        }
        cut
    }
}

/// `sizes` (sorted) as few words: `1 GiB`, `≥ 256 MiB` (the panel's largest), `≤ 4 KiB` (its
/// smallest), `every size`, or a list.
fn sizes_text(sizes: &[u64], panel: &BTreeSet<u64>) -> String {
    let list = || {
        sizes
            .iter()
            .map(|b| iec_size_label(*b))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (sizes.first(), sizes.last()) {
        (Some(_), _) if sizes.len() == panel.len() && panel.len() > 1 => "every size".to_string(),
        (Some(first), Some(_)) if sizes.len() == 1 => iec_size_label(*first),
        (Some(first), Some(last)) => {
            if panel.range(first..).count() == sizes.len() {
                format!("≥ {}", iec_size_label(*first))
            } else if panel.range(..=last).count() == sizes.len() {
                format!("≤ {}", iec_size_label(*last))
            } else {
                list()
            }
        }
        _ => String::new(),
    }
}

/// The groups of lines that lie on each other: the same sizes, and values `same` at every
/// one. Each group (of two or more) lists its labels in the order given; groups come in the
/// order of their first line.
pub(super) fn coinciding<'b>(
    lines: &[(&'b str, &[(f64, f64)])],
    same: impl Fn(f64, f64) -> bool,
) -> Vec<Vec<&'b str>> {
    let equal = |a: &[(f64, f64)], b: &[(f64, f64)]| {
        a.len() == b.len()
            && !a.is_empty()
            && a.iter().zip(b).all(|(p, q)| p.0 == q.0 && same(p.1, q.1))
    };
    let mut groups: Vec<(usize, Vec<&str>)> = Vec::new();
    for (i, (label, points)) in lines.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|(first, _)| equal(lines[*first].1, points))
        {
            Some((_, labels)) => labels.push(label),
            None => groups.push((i, vec![label])),
        }
    }
    groups
        .into_iter()
        .map(|(_, labels)| labels)
        .filter(|labels| labels.len() > 1)
        .collect()
}

/// How close two values must be for their lines to count as one: a ratio of 1.01.
pub(super) const SAME_WITHIN: f64 = 0.01;

/// The note of coinciding lines (the same within [`SAME_WITHIN`] at every size), `within 1%:
/// ring = tree = direct; mesh = hierarchical`, or `None`.
pub(super) fn coinciding_note(groups: &[Vec<&str>]) -> Option<String> {
    (!groups.is_empty()).then(|| {
        let groups: Vec<String> = groups.iter().map(|g| g.join(" = ")).collect();
        format!("within {}%: {}", SAME_WITHIN * 100.0, groups.join("; "))
    })
}

/// A point placed for dodging: its line, its index on the line, its value.
type Placed = (usize, usize, f64);

/// Horizontal marker shifts in pixels, per line and point, so that markers which would sit
/// on each other stand side by side: at each size, the points whose values are `same` as the
/// first of a group share it, and a group of `g` is spread `STEP` pixels apart around the
/// true x, in line order. A point alone keeps shift 0.
pub(super) fn dodge(lines: &[&[(f64, f64)]], same: impl Fn(f64, f64) -> bool) -> Vec<Vec<i32>> {
    const STEP: i32 = 7;
    let mut shifts: Vec<Vec<i32>> = lines.iter().map(|p| vec![0; p.len()]).collect();
    // x (as bits: sizes are exact powers or integers, so equal sizes are equal bits) ->
    // groups of (line, point index, value).
    let mut at: BTreeMap<u64, Vec<Vec<Placed>>> = BTreeMap::new();
    for (line, points) in lines.iter().enumerate() {
        for (index, (x, y)) in points.iter().enumerate() {
            let groups = at.entry(x.to_bits()).or_default();
            match groups.iter_mut().find(|g| same(g[0].2, *y)) {
                Some(group) => group.push((line, index, *y)),
                None => groups.push(vec![(line, index, *y)]),
            }
        }
    }
    for group in at.values().flatten() {
        let g = group.len() as i32;
        for (k, (line, index, _)) in group.iter().enumerate() {
            shifts[*line][*index] = (2 * k as i32 - (g - 1)) * STEP / 2;
        }
    }
    shifts
}

/// `text` broken at spaces into lines of at most `width` characters (a longer word stands
/// alone on its line).
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIT: &str = "a buffer of 1 GiB does not fit in tcm of c0.s0.p0 (4 MiB in all, 0 B in use); \
                       use a smaller size or place it in a larger memory (tcm < sram < hbm)";

    fn line(outcomes: &[(u64, Outcome<'static>)]) -> BTreeMap<u64, Outcome<'static>> {
        outcomes.iter().copied().collect()
    }

    #[test]
    fn a_panel_says_which_points_failed_and_which_lines_were_refused() {
        let ran = Outcome::Ran(1.0);
        let fail = Outcome::Failed(FIT);
        let refused = Outcome::Refused("mesh needs a 2D mesh or torus");
        let ring = line(&[(1 << 10, ran), (1 << 20, ran), (1 << 30, fail)]);
        let tree = line(&[(1 << 10, ran), (1 << 20, ran), (1 << 30, fail)]);
        let mesh = line(&[(1 << 10, refused), (1 << 20, refused), (1 << 30, refused)]);
        let note = not_run_note(&[("ring", &ring), ("tree", &tree), ("mesh", &mesh)], "tcm");
        assert_eq!(
            note.as_deref(),
            Some("not run: all failed at 1 GiB (does not fit tcm); mesh refused")
        );

        let direct = line(&[(1 << 10, ran), (1 << 20, fail), (1 << 30, fail)]);
        let note = not_run_note(&[("ring", &ring), ("direct", &direct)], "tcm");
        assert_eq!(
            note.as_deref(),
            Some("not run: failed (does not fit tcm): ring at 1 GiB, direct at ≥ 1 MiB")
        );
    }

    #[test]
    fn a_panel_where_everything_ran_has_no_note() {
        let ring = line(&[(1 << 10, Outcome::Ran(2.0))]);
        assert_eq!(not_run_note(&[("ring", &ring)], "hbm"), None);
    }

    #[test]
    fn reasons_are_cut_to_a_few_words() {
        assert_eq!(short_reason(FIT, "tcm"), "does not fit tcm");
        assert_eq!(
            short_reason(
                "the collective had not finished by the time limit 10 s",
                "hbm"
            ),
            "time limit"
        );
        assert_eq!(
            short_reason("bad group: 3 does not divide 8", "hbm"),
            "bad group"
        );
    }

    #[test]
    fn sizes_read_as_a_bound_when_they_are_the_largest_or_smallest() {
        let panel: BTreeSet<u64> = [1, 2, 3, 4].into_iter().map(|k| 1u64 << (10 * k)).collect();
        assert_eq!(sizes_text(&[1 << 30, 1 << 40], &panel), "≥ 1 GiB");
        assert_eq!(sizes_text(&[1 << 10, 1 << 20], &panel), "≤ 1 MiB");
        assert_eq!(sizes_text(&[1 << 10, 1 << 30], &panel), "1 KiB, 1 GiB");
        let all: Vec<u64> = panel.iter().copied().collect();
        assert_eq!(sizes_text(&all, &panel), "every size");
    }

    #[test]
    fn lines_with_the_same_values_are_named_together() {
        let a = [(10.0, 1.0), (20.0, 2.0)];
        let b = [(10.0, 1.0), (20.0, 2.000_001)];
        let c = [(10.0, 1.0), (20.0, 3.0)];
        let same = |x: f64, y: f64| (x - y).abs() <= 0.01 * x.abs().max(y.abs());
        let groups = coinciding(
            &[("ring", &a), ("tree", &c), ("direct", &b), ("mesh", &c)],
            same,
        );
        assert_eq!(groups, [vec!["ring", "direct"], vec!["tree", "mesh"]]);
        assert_eq!(
            coinciding_note(&groups).as_deref(),
            Some("within 1%: ring = direct; tree = mesh")
        );
        assert_eq!(coinciding_note(&[]), None);
    }

    #[test]
    fn markers_on_each_other_are_spread_apart_and_others_stay() {
        let a = [(10.0, 1.0), (20.0, 5.0)];
        let b = [(10.0, 1.0), (20.0, 9.0)];
        let c = [(10.0, 1.0)];
        let shifts = dodge(&[&a, &b, &c], |x, y| (x - y).abs() < 0.1);
        assert_eq!(shifts, [vec![-7, 0], vec![0, 0], vec![7]]);
        let shifts = dodge(&[&a, &b], |x, y| (x - y).abs() < 0.1);
        assert_eq!(shifts, [vec![-3, 0], vec![3, 0]]);
    }

    #[test]
    fn notes_wrap_at_spaces() {
        assert_eq!(wrap("aa bb cc dd", 5), ["aa bb", "cc dd"]);
        assert_eq!(wrap("abcdefgh ij", 5), ["abcdefgh", "ij"]);
    }
}
