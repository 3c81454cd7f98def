//! Latency and bus-bandwidth charts of a sweep: one figure per collective, one panel per
//! (topology, memory), one line per algorithm (per algorithm, channels, chunk size and groups
//! when the rows vary those, see [`crate::series`]); busbw panels show the topology's
//! injection bound as a dashed line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{
    CAPTION_PX, LABEL_PX, Marker, SeriesLook, TickAxis, decade_tick_label, decade_ticks,
    draw_header, draw_legend, font, header_height, looks, size_tick_label, size_ticks,
};
use super::{Figure, PlotOptions, plot_err, render};
use crate::ReportError;
use crate::order::{collective_key, memory_key};
use crate::row::{ResultRow, RowStatus};
use crate::series::{Series, Varies};

const PANEL_W: u32 = 560;
const PANEL_H: u32 = 400;

/// What a sweep figure shows on its y axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    /// Simulated time in microseconds, log scale.
    Latency,
    /// Bus bandwidth in GB/s, linear scale from 0.
    Busbw,
}

impl Metric {
    fn value(self, row: &ResultRow) -> Option<f64> {
        if row.status != RowStatus::Ok {
            return None;
        }
        match self {
            // Plotted as log10(us): only positive finite times.
            Self::Latency => row
                .time_ns
                .map(|t| t / 1e3)
                .filter(|t| t.is_finite() && *t > 0.0)
                .map(f64::log10),
            Self::Busbw => row.busbw_gbps.filter(|b| b.is_finite() && *b >= 0.0),
        }
    }
    fn stem(self) -> &'static str {
        match self {
            Self::Latency => "latency",
            Self::Busbw => "busbw",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Self::Latency => "time vs message size",
            Self::Busbw => "bus bandwidth vs message size",
        }
    }
    fn axis(self) -> &'static str {
        match self {
            Self::Latency => "time (us)",
            Self::Busbw => "bus bandwidth (GB/s)",
        }
    }
}

/// One line: its label, look and (log2 bytes, value) points by size.
type Line<'a> = (&'a str, SeriesLook, Vec<(f64, f64)>);

/// One panel: a topology with one memory placement.
struct Panel<'a> {
    caption: String,
    series: Vec<Line<'a>>,
    /// The topology's injection bound in GB/s, drawn on busbw panels only.
    bound_gbps: Option<f64>,
}

/// A figure for one collective.
struct SweepFigure<'a> {
    metric: Metric,
    title: String,
    subtitle: Option<String>,
    legend: Vec<(&'a str, SeriesLook)>,
    /// Row-major grid; `None` leaves a cell blank.
    panels: Vec<Option<Panel<'a>>>,
    columns: u32,
    /// log2 bytes, shared by all panels so they line up.
    x_range: (f64, f64),
}

/// Writes `latency-<collective>.svg` and `.png` into `out_dir`, one figure per collective:
/// simulated time vs message size per rank, log-log, one panel per (topology, memory) laid
/// out with topologies down and memories across, one line per algorithm with markers, a
/// shared legend above the panels. Where the rows hold several channel counts, chunk sizes
/// or splits into groups, a line is an algorithm with its settings, labelled as
/// `ring (2 ch, 256 KiB)` or `ring (groups of 4)`; labels other than a built-in algorithm's name take the looks after
/// the built-ins'. Only [`RowStatus::Ok`] rows with a positive time are
/// plotted; with none, nothing is written and the list is empty.
pub fn plot_latency(rows: &[ResultRow], out_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    plot_latency_with(rows, out_dir, &PlotOptions::default())
}

/// [`plot_latency`] with options (e.g. a subtitle).
pub fn plot_latency_with(
    rows: &[ResultRow],
    out_dir: &Path,
    options: &PlotOptions,
) -> Result<Vec<PathBuf>, ReportError> {
    plot_metric(Metric::Latency, rows, out_dir, options)
}

/// Writes `busbw-<collective>.svg` and `.png` into `out_dir`: bus bandwidth (GB/s, linear
/// from 0) vs message size per rank (log), laid out as [`plot_latency`]. Only
/// [`RowStatus::Ok`] rows with a bus bandwidth are plotted. Each panel draws its topology's
/// injection bound ([`ResultRow::bound_gbps`] of the topology's first ok row with one; every
/// row of a topology carries the same) as a dashed grey line labelled `injection bound 200
/// GB/s`, and its y axis reaches above the bound.
pub fn plot_busbw(rows: &[ResultRow], out_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    plot_busbw_with(rows, out_dir, &PlotOptions::default())
}

/// [`plot_busbw`] with options (e.g. a subtitle).
pub fn plot_busbw_with(
    rows: &[ResultRow],
    out_dir: &Path,
    options: &PlotOptions,
) -> Result<Vec<PathBuf>, ReportError> {
    plot_metric(Metric::Busbw, rows, out_dir, options)
}

fn plot_metric(
    metric: Metric,
    rows: &[ResultRow],
    out_dir: &Path,
    options: &PlotOptions,
) -> Result<Vec<PathBuf>, ReportError> {
    // collective -> (topology, memory) -> series -> bytes -> value; the last row wins.
    type Points<'a> = BTreeMap<Series<'a>, BTreeMap<u64, f64>>;
    type Panels<'a> = BTreeMap<(&'a str, (usize, &'a str)), Points<'a>>;
    let mut figures: BTreeMap<(usize, &str), Panels<'_>> = BTreeMap::new();
    let mut ranks: BTreeMap<(&str, &str), BTreeSet<u32>> = BTreeMap::new();
    // topology -> bound: from the first ok row that has one.
    let mut bounds: BTreeMap<&str, f64> = BTreeMap::new();
    for row in rows {
        if let Some(bound) = row
            .bound_gbps
            .filter(|b| row.status == RowStatus::Ok && b.is_finite() && *b > 0.0)
        {
            bounds.entry(row.topology.as_str()).or_insert(bound);
        }
        if let Some(value) = metric.value(row) {
            figures
                .entry(collective_key(&row.collective))
                .or_default()
                .entry((row.topology.as_str(), memory_key(&row.memory)))
                .or_default()
                .entry(Series::of_row(row))
                .or_default()
                .insert(row.bytes, value);
            ranks
                .entry((&row.topology, &row.memory))
                .or_default()
                .insert(row.world_size);
        }
    }

    let varies = Varies::of_rows(rows);
    let labels: BTreeMap<Series<'_>, String> = figures
        .values()
        .flat_map(|panels| panels.values().flat_map(|by_series| by_series.keys()))
        .map(|series| (*series, series.label(varies)))
        .collect();

    let mut written = Vec::new();
    for ((_, collective), panels) in figures {
        let in_figure: BTreeSet<Series<'_>> = panels
            .values()
            .flat_map(|by_series| by_series.keys().copied())
            .collect();
        let names: Vec<&str> = in_figure
            .iter()
            .filter_map(|series| labels.get(series).map(String::as_str))
            .collect();
        let legend = looks(&names);
        let look_of = |algorithm: &str| {
            legend
                .iter()
                .find(|(a, _)| *a == algorithm)
                .map(|(_, l)| *l)
        };

        let panels = &panels;
        let topologies: BTreeSet<&str> = panels.keys().map(|(t, _)| *t).collect();
        let memories: BTreeSet<(usize, &str)> = panels.keys().map(|(_, m)| *m).collect();
        // Topologies down, memories across; a single memory flows into up to three columns.
        let cells: Vec<Option<(&str, (usize, &str))>> = if memories.len() > 1 {
            topologies
                .iter()
                .flat_map(|t| {
                    memories
                        .iter()
                        .map(move |m| panels.contains_key(&(*t, *m)).then_some((*t, *m)))
                })
                .collect()
        } else {
            panels.keys().map(|k| Some(*k)).collect()
        };
        let columns = if memories.len() > 1 {
            memories.len()
        } else {
            panels.len().min(3)
        } as u32;

        let sizes = panels
            .values()
            .flat_map(|a| a.values().flat_map(|p| p.keys().copied()));
        let (lo, hi) = sizes.fold((u64::MAX, 0), |(lo, hi), b| (lo.min(b), hi.max(b)));
        let (lo, hi) = ((lo.max(1) as f64).log2(), (hi.max(1) as f64).log2());
        let x_range = (lo - 0.4, hi.max(lo + 1.0) + 0.4);

        let panels: Vec<Option<Panel<'_>>> = cells
            .into_iter()
            .map(|cell| {
                cell.and_then(|key| panels.get(&key).map(|by_algorithm| (key, by_algorithm)))
                    .map(|((topology, (_, memory)), by_algorithm)| {
                        let world = ranks
                            .get(&(topology, memory))
                            .map(|r| r.iter().map(u32::to_string).collect::<Vec<_>>().join("/"))
                            .unwrap_or_default();
                        // In `Series` order, as the legend.
                        let series = by_algorithm
                            .iter()
                            .filter_map(|(series, points)| {
                                let label = labels.get(series)?.as_str();
                                let points = points
                                    .iter()
                                    .map(|(b, v)| ((*b.max(&1) as f64).log2(), *v))
                                    .collect();
                                Some((label, look_of(label)?, points))
                            })
                            .collect();
                        Panel {
                            caption: format!("{topology}, {memory} ({world} ranks)"),
                            series,
                            bound_gbps: match metric {
                                Metric::Busbw => bounds.get(topology).copied(),
                                Metric::Latency => None,
                            },
                        }
                    })
            })
            .collect();

        let figure = SweepFigure {
            metric,
            title: format!("{collective}: {}", metric.title()),
            subtitle: options.subtitle.clone(),
            legend,
            panels,
            columns,
            x_range,
        };
        written.extend(render(
            &figure,
            out_dir,
            &format!("{}-{collective}", metric.stem()),
        )?);
    }
    Ok(written)
}

impl SweepFigure<'_> {
    fn grid_rows(&self) -> u32 {
        (self.panels.len() as u32).div_ceil(self.columns.max(1))
    }
}

impl Figure for SweepFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (
            self.columns.max(1) * PANEL_W,
            header_height(self.subtitle.is_some()) + self.grid_rows().max(1) * PANEL_H,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (legend_area, body) = draw_header(root, &self.title, self.subtitle.as_deref())?;
        draw_legend(&legend_area, &self.legend)?;

        let cells = body.split_evenly((self.grid_rows() as usize, self.columns as usize));
        for (area, panel) in cells.iter().zip(&self.panels) {
            if let Some(panel) = panel {
                self.draw_panel(area, panel)?;
            }
        }
        Ok(())
    }
}

impl SweepFigure<'_> {
    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel<'_>,
    ) -> Result<(), String> {
        let values = panel
            .series
            .iter()
            .flat_map(|(_, _, p)| p.iter().map(|(_, v)| *v));
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let (y_range, y_ticks, y_decimals) = match self.metric {
            Metric::Latency => {
                let (lo, hi) = if hi - lo < 0.5 {
                    (lo - 0.5, hi + 0.5)
                } else {
                    (lo, hi)
                };
                let pad = (hi - lo) * 0.06;
                let range = (lo - pad, hi + pad);
                (range, decade_ticks(range.0, range.1), 0)
            }
            Metric::Busbw => {
                // Room above the bound too, so its line and label show.
                let hi = hi.max(panel.bound_gbps.unwrap_or(0.0));
                let top = if hi > 0.0 { hi * 1.08 } else { 1.0 };
                let (ticks, decimals) = linear_ticks(top, 6);
                ((0.0, top), ticks, decimals)
            }
        };
        let x_ticks = size_ticks(self.x_range.0, self.x_range.1, 7);
        let x_light: Vec<f64> = ((self.x_range.0.ceil() as i64)..=(self.x_range.1.floor() as i64))
            .map(|k| k as f64)
            .collect();

        let mut chart = ChartBuilder::on(area)
            .caption(&panel.caption, font(CAPTION_PX))
            .margin_top(6)
            .margin_left(8)
            .margin_right(22)
            .margin_bottom(6)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(
                TickAxis::new(self.x_range.0, self.x_range.1, x_ticks, x_light),
                TickAxis::new(y_range.0, y_range.1, y_ticks, Vec::new()),
            )
            .map_err(plot_err)?;
        let metric = self.metric;
        let y_label = move |v: &f64| match metric {
            Metric::Latency => decade_tick_label(*v),
            Metric::Busbw => format!("{v:.y_decimals$}"),
        };
        chart
            .configure_mesh()
            .x_label_formatter(&|v| size_tick_label(*v))
            .y_label_formatter(&y_label)
            .x_desc("message size per rank")
            .y_desc(self.metric.axis())
            .label_style(font(LABEL_PX))
            .axis_desc_style(font(LABEL_PX))
            .bold_line_style(RGBColor(215, 215, 215))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()
            .map_err(plot_err)?;

        if let Some(bound) = panel.bound_gbps {
            let grey = RGBColor(110, 110, 110);
            chart
                .draw_series(DashedLineSeries::new(
                    [(self.x_range.0, bound), (self.x_range.1, bound)],
                    8,
                    5,
                    grey.stroke_width(2),
                ))
                .map_err(plot_err)?;
            // Above the line at the left, where busbw is lowest and the label covers no point.
            let label = format!("injection bound {}", bound_label(bound));
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((self.x_range.0, bound))
                        + Text::new(
                            label,
                            (6, -(LABEL_PX as i32) - 4),
                            font(LABEL_PX).color(&grey),
                        ),
                ))
                .map_err(plot_err)?;
        }
        for (_, look, points) in &panel.series {
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    look.color.stroke_width(2),
                ))
                .map_err(plot_err)?;
            let style = if look.filled {
                look.color.filled()
            } else {
                look.color.stroke_width(2)
            };
            let at = points.iter().copied();
            match look.marker {
                Marker::Circle => chart
                    .draw_series(at.map(|p| EmptyElement::at(p) + Circle::new((0, 0), 4, style)))
                    .map(|_| ()),
                Marker::Square => chart
                    .draw_series(
                        at.map(|p| EmptyElement::at(p) + Rectangle::new([(-4, -4), (4, 4)], style)),
                    )
                    .map(|_| ()),
                Marker::Triangle => chart
                    .draw_series(
                        at.map(|p| EmptyElement::at(p) + TriangleMarker::new((0, 0), 5, style)),
                    )
                    .map(|_| ()),
                Marker::Cross => chart
                    .draw_series(at.map(|p| {
                        EmptyElement::at(p) + Cross::new((0, 0), 4, look.color.stroke_width(2))
                    }))
                    .map(|_| ()),
            }
            .map_err(plot_err)?;
        }
        Ok(())
    }
}

/// A bound in GB/s as its label prints it: `200 GB/s`, `12.5 GB/s`.
fn bound_label(gbps: f64) -> String {
    let text = format!("{gbps:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} GB/s")
}

/// Round ticks from 0 to `top`: a step of 1, 2, 2.5 or 5 times a power of ten giving at most
/// `max_ticks` ticks past zero, and the decimals its labels need.
fn linear_ticks(top: f64, max_ticks: usize) -> (Vec<f64>, usize) {
    let raw = top / max_ticks as f64;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| top / s <= max_ticks as f64)
        .unwrap_or(10.0 * power);
    let count = (top / step).floor() as usize;
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
            + usize::from(step * 10f64.powf(-step.log10().floor()) % 1.0 != 0.0)
    };
    ((0..=count).map(|i| i as f64 * step).collect(), decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_labels_drop_trailing_zeros() {
        assert_eq!(bound_label(200.0), "200 GB/s");
        assert_eq!(bound_label(12.5), "12.5 GB/s");
        assert_eq!(bound_label(0.126), "0.13 GB/s");
    }

    #[test]
    fn linear_ticks_are_round() {
        let (ticks, decimals) = linear_ticks(216.0, 6);
        assert_eq!(ticks, [0.0, 50.0, 100.0, 150.0, 200.0]);
        assert_eq!(decimals, 0);
        let (ticks, decimals) = linear_ticks(1.08, 6);
        assert_eq!(ticks.len(), 6);
        assert_eq!(decimals, 1);
    }
}
