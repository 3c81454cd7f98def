//! Link-utilisation bar charts: the busiest links of a run at its largest message size.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    CAPTION_PX, LABEL_PX, TickAxis, color, draw_header, draw_swatches, font, header_height,
};
use super::{Figure, PlotOptions, plot_err, render};
use crate::ReportError;
use crate::order::{collective_key, memory_key};
use crate::row::LinkUsage;
use crate::series::{Series, Varies};
use crate::units::size_label;

const PANEL_W: u32 = 640;
const BAR_H: u32 = 26;
/// Room under the bars for the axis, its labels and name.
const AXIS_H: u32 = 70;

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
/// that run, busiest at the top, in % of the run time, coloured by link class. Ties are
/// broken by link name. Where the rows hold several channel counts, chunk sizes or splits
/// into groups, each algorithm's run with its own is a panel, captioned
/// `ring (2 ch, 256 KiB)` or `ring (groups of 4)` (see [`crate::series`]). With no rows nothing is written and the list is empty.
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
                let mut bars: Vec<Bar<'_>> = links
                    .values()
                    .map(|r| (r.link.as_str(), r.class.as_str(), r.utilisation * 100.0))
                    .collect();
                // Busiest first; the sort is stable and links were in name order.
                bars.sort_by(|a, b| b.2.total_cmp(&a.2));
                let total = bars.len();
                bars.truncate(top_n.max(1));
                classes.extend(bars.iter().map(|(_, class, _)| *class));
                let shown = if total > bars.len() {
                    format!("top {} of {total} links", bars.len())
                } else {
                    format!("{total} links")
                };
                Panel {
                    caption: format!(
                        "{collective}: {}, {memory}, {} per rank ({shown})",
                        series.label(varies),
                        size_label(*bytes)
                    ),
                    bars,
                }
            })
            .collect();
        let slots = panels.iter().map(|p| p.bars.len()).max().unwrap_or(1);
        let figure = LinkFigure {
            title: format!("{topology}: link utilisation at the largest message size"),
            subtitle: options.subtitle.clone(),
            classes: classes.into_iter().collect(),
            columns: (panels.len() as u32).clamp(1, 3),
            panels,
            slots,
        };
        written.extend(render(&figure, out_dir, &format!("links-{topology}"))?);
    }
    Ok(written)
}

impl LinkFigure<'_> {
    fn panel_height(&self) -> u32 {
        40 + AXIS_H + BAR_H * self.slots as u32
    }
    fn grid_rows(&self) -> u32 {
        (self.panels.len() as u32).div_ceil(self.columns)
    }
    fn class_color(&self, class: &str) -> RGBColor {
        color(self.classes.iter().position(|c| *c == class).unwrap_or(0))
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
        let swatches: Vec<(&str, RGBColor)> = self
            .classes
            .iter()
            .map(|c| (*c, self.class_color(c)))
            .collect();
        draw_swatches(&legend_area, &swatches)?;

        let cells = body.split_evenly((self.grid_rows() as usize, self.columns as usize));
        for (area, panel) in cells.iter().zip(&self.panels) {
            self.draw_panel(area, panel)?;
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
        let bars = &panel.bars;
        let link_at = move |y: &f64| {
            let index = (slots - 0.5 - y).round();
            if index >= 0.0 {
                bars.get(index as usize)
                    .map(|b| b.0.to_string())
                    .unwrap_or_default()
            } else {
                String::new()
            }
        };
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
                    self.class_color(class).filled(),
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
