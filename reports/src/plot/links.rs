//! Link-utilisation charts: the busiest links of a run at its largest message size, and how
//! the utilisation of all its links is spread (a histogram by class and quantiles).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    CAPTION_PX, LABEL_PX, TickAxis, bar_label, class_color, draw_header, draw_swatches, font,
    header_height, linear_ticks,
};
use super::{Figure, PlotOptions, plot_err, render};
use crate::ReportError;
use crate::order::{LINK_CLASSES, collective_key, memory_key, natural_cmp};
use crate::row::LinkUsage;
use crate::series::{Series, Varies};
use crate::units::iec_size_label;

const PANEL_W: u32 = 640;
const BAR_H: u32 = 26;
/// Room under the bars for the axis, its labels and name.
const AXIS_H: u32 = 70;
/// The histogram of every link's utilisation under the bars, with its caption and axes.
const HISTOGRAM_H: u32 = 200;
/// Bins of the histogram: 0-10%, 10-20%, ..., 90-100% (and above, were there any).
const BINS: usize = 10;

/// One bar: link name, class, utilisation in %.
type Bar<'a> = (&'a str, &'a str, f64);

/// A run within a topology: (collective, memory, algorithm with its channels, chunk size and
/// groups) in display order.
type RunKey<'a> = ((usize, &'a str), (usize, &'a str), Series<'a>);
/// A run's largest message size and its links at that size, by link name.
type Run<'a> = (u64, BTreeMap<&'a str, &'a LinkUsage>);

/// One panel: a (collective, memory, algorithm) run at its largest size.
struct Panel<'a> {
    caption: String,
    bars: Vec<Bar<'a>>,
    /// Links per utilisation bin and class (classes in [`class_order`]).
    histogram: Vec<Vec<(&'a str, usize)>>,
    /// The histogram's caption: the quantiles of every link's utilisation.
    spread: String,
}

struct LinkFigure<'a> {
    title: String,
    subtitle: Option<String>,
    classes: Vec<&'a str>,
    panels: Vec<Panel<'a>>,
    columns: u32,
    /// Bars per panel (the most any panel has), so panels line up.
    slots: usize,
}

/// Writes `links-<topology>.svg` and `.png` into `out_dir`, one figure per topology: for
/// each (collective, memory, algorithm), a panel captioned with all three, of horizontal
/// bars for the `top_n` links with the highest utilisation at the largest message size of
/// that run, busiest at the top, in % of the run time, coloured by link class (each class
/// has one colour in every figure). Ties are broken by link name in natural order
/// (`c0.s2` before `c0.s10`). Under the bars, a histogram of the utilisation of every link
/// of the run in 10% bins, stacked by class, captioned with its quantiles (`192 links: min
/// 12%, p25 .., median .., p75 .., max 100%`), so that a run with many links at 100% shows
/// how many. Where the rows hold several channel counts, chunk sizes or splits
/// into groups, each algorithm's run with its own is a panel, captioned
/// `ring (2 ch, 256 KiB)` or `ring (groups of 4)` (see the `series` module). With no rows nothing is written and the list is empty.
pub fn plot_link_utilisation(
    usage: &[LinkUsage],
    top_n: usize,
    out_dir: &Path,
    options: &PlotOptions,
) -> Result<Vec<PathBuf>, ReportError> {
    // topology -> (collective, memory, series) -> largest bytes -> link -> row (the last
    // row wins). The collective, channels, chunk size and groups are part of the key: the
    // links of an all-gather run must not replace those of the all-reduce run of the same
    // algorithm, memory and size, nor those of a 1-channel run the auto run's.
    let mut runs: BTreeMap<&str, BTreeMap<RunKey<'_>, Run<'_>>> = BTreeMap::new();
    for row in usage.iter().filter(|r| r.utilisation.is_finite()) {
        let run = runs
            .entry(row.topology.as_str())
            .or_default()
            .entry((
                collective_key(&row.collective),
                memory_key(&row.memory),
                Series::of_link(row),
            ))
            .or_insert((row.bytes, BTreeMap::new()));
        if row.bytes > run.0 {
            *run = (row.bytes, BTreeMap::new());
        }
        if row.bytes == run.0 {
            run.1.insert(row.link.as_str(), row);
        }
    }

    let varies = Varies::of_links(usage);
    let mut written = Vec::new();
    for (topology, by_run) in runs {
        let mut classes = BTreeSet::new();
        let panels: Vec<Panel<'_>> = by_run
            .iter()
            .map(|(((_, collective), (_, memory), series), (bytes, links))| {
                let all: Vec<Bar<'_>> = links
                    .values()
                    .map(|r| (r.link.as_str(), r.class.as_str(), r.utilisation * 100.0))
                    .collect();
                let mut bars = all.clone();
                bars.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| natural_cmp(a.0, b.0)));
                let total = bars.len();
                bars.truncate(top_n.max(1));
                classes.extend(all.iter().map(|(_, class, _)| *class));
                let shown = if total > bars.len() {
                    format!("top {} of {total} links", bars.len())
                } else {
                    format!("{total} links")
                };
                let percents: Vec<f64> = all.iter().map(|b| b.2).collect();
                Panel {
                    caption: format!(
                        "{collective}: {}, {memory}, {} per rank ({shown})",
                        series.label(varies),
                        iec_size_label(*bytes)
                    ),
                    bars,
                    histogram: histogram(&all),
                    spread: spread_caption(&percents),
                }
            })
            .collect();
        let slots = panels.iter().map(|p| p.bars.len()).max().unwrap_or(1);
        let figure = LinkFigure {
            title: format!("{topology}: link utilisation at the largest message size"),
            subtitle: options.subtitle.clone(),
            classes: class_order(classes),
            columns: (panels.len() as u32).clamp(1, 3),
            panels,
            slots,
        };
        written.extend(render(&figure, out_dir, &format!("links-{topology}"))?);
    }
    Ok(written)
}

impl LinkFigure<'_> {
    fn bars_height(&self) -> u32 {
        40 + AXIS_H + BAR_H * self.slots as u32
    }
    fn panel_height(&self) -> u32 {
        self.bars_height() + HISTOGRAM_H
    }
    fn grid_rows(&self) -> u32 {
        (self.panels.len() as u32).div_ceil(self.columns)
    }
}

impl Figure for LinkFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (
            self.columns * PANEL_W,
            header_height(self.subtitle.is_some()) + self.grid_rows().max(1) * self.panel_height(),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (legend_area, body) = draw_header(root, &self.title, self.subtitle.as_deref())?;
        let swatches: Vec<(&str, RGBColor)> =
            self.classes.iter().map(|c| (*c, class_color(c))).collect();
        draw_swatches(&legend_area, &swatches)?;

        let cells = body.split_evenly((self.grid_rows() as usize, self.columns as usize));
        for (area, panel) in cells.iter().zip(&self.panels) {
            let (bars, spread) = area.split_vertically(self.bars_height());
            self.draw_panel(&bars, panel)?;
            draw_histogram(&spread, panel)?;
        }
        Ok(())
    }
}

impl LinkFigure<'_> {
    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel<'_>,
    ) -> Result<(), String> {
        let label_style = font(LABEL_PX);
        let widest = panel
            .bars
            .iter()
            .map(|(link, _, _)| area.estimate_text_size(link, &label_style).map(|(w, _)| w))
            .collect::<Result<Vec<u32>, _>>()
            .map_err(plot_err)?
            .into_iter()
            .max()
            .unwrap_or(40);
        let slots = self.slots as f64;
        // Bar i (0 = busiest) is centred at y = slots - i - 0.5, so the busiest is on top.
        let centre = |i: usize| slots - i as f64 - 0.5;
        let y_ticks: Vec<f64> = (0..panel.bars.len()).map(centre).collect();
        let top = panel.bars.iter().map(|b| b.2).fold(100.0, f64::max);
        // Room right of 100% for the value labels.
        let x_max = top * 1.16;
        let x_ticks: Vec<f64> = (0..=((top / 20.0).floor() as i32))
            .map(|k| f64::from(k) * 20.0)
            .collect();

        let mut chart = ChartBuilder::on(area)
            .caption(&panel.caption, font(CAPTION_PX - 2.0))
            .margin(8)
            .margin_right(16)
            .x_label_area_size(44)
            .y_label_area_size(widest.min(PANEL_W / 2) + 14)
            .build_cartesian_2d(
                TickAxis::new(0.0, x_max, x_ticks, Vec::new()),
                TickAxis::new(0.0, slots, y_ticks, Vec::new()),
            )
            .map_err(plot_err)?;
        let link_at = bar_label(slots, |i| panel.bars.get(i).map(|b| b.0.to_string()));
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_label_formatter(&|v| format!("{v:.0}%"))
            .y_label_formatter(&link_at)
            .x_desc("link utilisation (% of run time)")
            .label_style(label_style.clone())
            .axis_desc_style(font(LABEL_PX))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(plot_err)?;

        chart
            .draw_series(panel.bars.iter().enumerate().map(|(i, (_, class, pct))| {
                let c = centre(i);
                Rectangle::new(
                    [(0.0, c - 0.36), (*pct, c + 0.36)],
                    class_color(class).filled(),
                )
            }))
            .map_err(plot_err)?;
        let value_style = font(LABEL_PX - 1.0).pos(Pos::new(HPos::Left, VPos::Center));
        chart
            .draw_series(panel.bars.iter().enumerate().map(|(i, (_, _, pct))| {
                Text::new(
                    format!("{pct:.1}%"),
                    (*pct + x_max * 0.01, centre(i)),
                    value_style.clone(),
                )
            }))
            .map_err(plot_err)?;
        Ok(())
    }
}

/// Classes in the order legends and stacks show them: the known ones ([`LINK_CLASSES`]) in
/// theirs, then any other by name.
fn class_order(classes: BTreeSet<&str>) -> Vec<&str> {
    let mut classes: Vec<&str> = classes.into_iter().collect();
    classes.sort_by_key(|c| {
        (
            LINK_CLASSES
                .iter()
                .position(|k| k == c)
                .unwrap_or(LINK_CLASSES.len()),
            *c,
        )
    });
    classes
}

/// Links per 10% bin of utilisation and per class: bin `i` holds `10i% <= u < 10(i+1)%`, the
/// last bin everything from 90% up (100% included).
fn histogram<'a>(links: &[Bar<'a>]) -> Vec<Vec<(&'a str, usize)>> {
    let mut bins: Vec<BTreeMap<&str, usize>> = vec![BTreeMap::new(); BINS];
    for (_, class, percent) in links {
        let bin = ((percent / (100.0 / BINS as f64)).floor().max(0.0) as usize).min(BINS - 1);
        *bins[bin].entry(*class).or_default() += 1;
    }
    bins.into_iter()
        .map(|bin| {
            let order = class_order(bin.keys().copied().collect());
            order.into_iter().map(|c| (c, bin[c])).collect()
        })
        .collect()
}

/// Nearest-rank quantiles of `percents` at 0, 25, 50, 75 and 100% (min, quartiles, max), or
/// `None` for no values.
fn quantiles(percents: &[f64]) -> Option<[f64; 5]> {
    let mut sorted = percents.to_vec();
    sorted.sort_by(f64::total_cmp);
    let last = sorted.len().checked_sub(1)?;
    Some([0.0, 0.25, 0.5, 0.75, 1.0].map(|q| sorted[(q * last as f64).round() as usize]))
}

/// The histogram's caption: `192 links: min 12%, p25 40%, median 80%, p75 100%, max 100%`.
fn spread_caption(percents: &[f64]) -> String {
    match quantiles(percents) {
        Some([min, p25, median, p75, max]) => format!(
            "{} links: min {min:.0}%, p25 {p25:.0}%, median {median:.0}%, p75 {p75:.0}%, max {max:.0}%",
            percents.len()
        ),
        None => "no links".to_string(),
    }
}

/// The histogram of a panel's links under its bars.
fn draw_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel<'_>,
) -> Result<(), String> {
    let most = panel
        .histogram
        .iter()
        .map(|bin| bin.iter().map(|(_, n)| n).sum::<usize>())
        .max()
        .unwrap_or(0);
    let top = (most.max(1) as f64) * 1.1;
    let (y_ticks, _) = linear_ticks(top, 4);
    // Counts are whole: a step below 1 would repeat labels.
    let y_ticks: Vec<f64> = y_ticks.into_iter().filter(|t| t.fract() == 0.0).collect();
    let x_ticks: Vec<f64> = (0..=5).map(|k| f64::from(k) * 20.0).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.spread, font(LABEL_PX))
        .margin(8)
        .margin_right(16)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(
            TickAxis::new(0.0, 100.0, x_ticks, Vec::new()),
            TickAxis::new(0.0, top, y_ticks, Vec::new()),
        )
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_label_formatter(&|v| format!("{v:.0}%"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_desc("utilisation of every link (10% bins)")
        .y_desc("links")
        .label_style(font(LABEL_PX))
        .axis_desc_style(font(LABEL_PX))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(plot_err)?;
    let width = 100.0 / BINS as f64;
    for (i, bin) in panel.histogram.iter().enumerate() {
        let left = i as f64 * width;
        let mut base = 0.0;
        for (class, count) in bin {
            let height = *count as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [
                        (left + width * 0.08, base),
                        (left + width * 0.92, base + height),
                    ],
                    class_color(class).filled(),
                )))
                .map_err(plot_err)?;
            base += height;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_counts_every_link_once_by_class() {
        let links: Vec<Bar<'_>> = vec![
            ("a", "sip-link", 100.0),
            ("b", "sip-link", 99.5),
            ("c", "noc", 5.0),
            ("d", "sip-link", 10.0),
            ("e", "noc", 100.0),
        ];
        let bins = histogram(&links);
        assert_eq!(bins.len(), 10);
        assert_eq!(bins[0], [("noc", 1)]);
        assert_eq!(bins[1], [("sip-link", 1)]);
        assert_eq!(bins[9], [("noc", 1), ("sip-link", 2)]);
        let counted: usize = bins.iter().flatten().map(|(_, n)| n).sum();
        assert_eq!(counted, links.len());
    }

    #[test]
    fn quantiles_are_nearest_rank_and_the_caption_names_them() {
        assert_eq!(quantiles(&[]), None);
        assert_eq!(quantiles(&[7.0]), Some([7.0; 5]));
        let percents = [100.0, 0.0, 50.0, 25.0, 75.0];
        assert_eq!(quantiles(&percents), Some([0.0, 25.0, 50.0, 75.0, 100.0]));
        assert_eq!(
            spread_caption(&percents),
            "5 links: min 0%, p25 25%, median 50%, p75 75%, max 100%"
        );
    }

    #[test]
    fn classes_show_in_the_model_order_then_by_name() {
        let classes: BTreeSet<&str> = ["zeta", "sip-link", "noc", "alpha"].into_iter().collect();
        assert_eq!(class_order(classes), ["noc", "sip-link", "alpha", "zeta"]);
    }
}
