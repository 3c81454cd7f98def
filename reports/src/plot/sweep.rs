//! Latency and bus-bandwidth charts of a sweep: one figure per collective, one panel per
//! (topology, memory), one line per algorithm (per algorithm, channels, chunk size and groups
//! when the rows vary those, see [`crate::series`]); busbw panels show the topology's
//! injection bound as a dashed line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::notes::{Outcome, SAME_WITHIN, coinciding, coinciding_note, dodge, not_run_note, wrap};
use super::style::{
    CAPTION_PX, LABEL_PX, Marker, SeriesLook, TickAxis, TimeAxis, decade_ticks, draw_header,
    draw_legend, font, header_height, linear_ticks, looks, size_tick_label, size_ticks,
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
    /// Whether two plotted values are the same line: within [`SAME_WITHIN`] of each other.
    fn same(self, a: f64, b: f64) -> bool {
        match self {
            // log10 values: a ratio of 1.01 is a difference of log10(1.01).
            Self::Latency => (a - b).abs() <= (1.0 + SAME_WITHIN).log10(),
            Self::Busbw => (a - b).abs() <= SAME_WITHIN * a.abs().max(b.abs()),
        }
    }
}

/// One line of a panel: its label, look and (log2 bytes, value) points by size.
struct Line {
    label: String,
    look: SeriesLook,
    points: Vec<(f64, f64)>,
}

/// One panel: a topology with one memory placement.
struct Panel<'a> {
    topology: &'a str,
    caption: String,
    lines: Vec<Line>,
    /// Points that did not run, drawn in the band at the bottom: the line's look and log2
    /// bytes. Lines refused at every size are named in the notes only.
    not_run: Vec<(SeriesLook, f64)>,
    /// Text under the panel, already wrapped: what did not run, which lines coincide.
    notes: Vec<String>,
    /// The topology's injection bound in GB/s, drawn on busbw panels only.
    bound_gbps: Option<f64>,
}

/// A y axis shared by the panels of one topology (one row of the grid).
#[derive(Debug, Clone, PartialEq)]
struct YAxis {
    /// Bottom and top in plotted units (log10 us, or GB/s).
    range: (f64, f64),
    ticks: Vec<f64>,
    format: YFormat,
    /// Where the band of points that did not run ends, if a panel of the row has any.
    band_top: Option<f64>,
}

/// How a y axis labels its ticks.
#[derive(Debug, Clone, PartialEq)]
enum YFormat {
    /// Log10 microseconds, labelled in one unit.
    Time(TimeAxis),
    /// Linear, with this many decimals.
    Fixed(usize),
}

impl YAxis {
    /// The axis over every plotted value of a row's panels (with each panel's bound on busbw),
    /// with a band below them for points that did not run when `band` is set.
    fn of_row(metric: Metric, panels: &[&Panel<'_>], band: bool) -> YAxis {
        let values = panels.iter().flat_map(|p| {
            p.lines
                .iter()
                .flat_map(|l| l.points.iter().map(|(_, v)| *v))
        });
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        match metric {
            Metric::Latency => {
                let (lo, hi) = if !lo.is_finite() {
                    (0.0, 1.0)
                } else if hi - lo < 0.5 {
                    (lo - 0.5, hi + 0.5)
                } else {
                    (lo, hi)
                };
                let pad = (hi - lo) * 0.06;
                let ticks = decade_ticks(lo - pad, hi + pad);
                let format = YFormat::Time(TimeAxis::for_ticks(&ticks));
                let (bottom, band_top) = with_band(lo - pad, hi + pad, band);
                YAxis {
                    range: (bottom, hi + pad),
                    ticks,
                    format,
                    band_top,
                }
            }
            Metric::Busbw => {
                // Room above the bound too, so its line and label show.
                let bound = panels
                    .iter()
                    .filter_map(|p| p.bound_gbps)
                    .fold(0.0, f64::max);
                let hi = hi.max(bound);
                let top = if hi > 0.0 { hi * 1.08 } else { 1.0 };
                let (ticks, decimals) = linear_ticks(top, 6);
                let (bottom, band_top) = with_band(0.0, top, band);
                YAxis {
                    range: (bottom, top),
                    ticks,
                    format: YFormat::Fixed(decimals),
                    band_top,
                }
            }
        }
    }

    fn label(&self, value: f64) -> String {
        match &self.format {
            YFormat::Time(axis) => axis.label(value),
            YFormat::Fixed(decimals) => format!("{value:.decimals$}"),
        }
    }

    fn name(&self) -> String {
        match &self.format {
            YFormat::Time(axis) => format!("time ({})", axis.unit),
            YFormat::Fixed(_) => "bus bandwidth (GB/s)".to_string(),
        }
    }
}

/// The bottom of an axis over `lo..hi` and the top of its band of points that did not run:
/// the band adds 7.5% of the span below every value.
fn with_band(lo: f64, hi: f64, band: bool) -> (f64, Option<f64>) {
    if band {
        let height = (hi - lo) * 0.075;
        (lo - height, Some(lo))
    } else {
        (lo, None)
    }
}

/// A figure for one collective.
pub(super) struct SweepFigure<'a> {
    title: String,
    subtitle: Option<String>,
    legend: Vec<(String, SeriesLook)>,
    /// Row-major grid; `None` leaves a cell blank.
    panels: Vec<Option<Panel<'a>>>,
    /// The y axis of each topology, shared by its panels.
    y_axes: BTreeMap<&'a str, YAxis>,
    columns: u32,
    /// log2 bytes, shared by all panels so they line up.
    x_range: (f64, f64),
    /// Lines of notes the tallest panel has; every panel leaves room for them.
    note_lines: u32,
}

/// Writes `latency-<collective>.svg` and `.png` into `out_dir`, one figure per collective:
/// simulated time vs message size per rank, log-log, one panel per (topology, memory) laid
/// out with topologies down and memories across, one line per algorithm with markers, a
/// shared legend above the panels. Where the rows hold several channel counts, chunk sizes
/// or splits into groups, a line is an algorithm with its settings, labelled as
/// `ring (2 ch, 256 KiB)` or `ring (groups of 4)`; labels other than a built-in algorithm's name take the looks after
/// the built-ins'.
///
/// Lines are drawn from [`RowStatus::Ok`] rows with a positive time; with none in a
/// collective, its figure is not written (and with none at all the list is empty). The panels
/// of one topology share a y axis (log, one time unit for the axis: `time (ms)`), so a row
/// compares by eye; sizes read `1 KiB ... 1 GiB`. A failed or refused point is a hollow marker
/// in a shaded band at the bottom of its panel (a line refused at every size of the panel has
/// none), and the panel's note says what did not run and why (`not run: all failed at ≥ 32
/// MiB (does not fit tcm); mesh refused`) and which lines are the same within 1% at every size
/// (`within 1%: ring = direct`). Markers that would sit on each other are set side by side,
/// and drawn after every line.
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
/// from 0, shared by a topology's panels) vs message size per rank (log), laid out and
/// annotated as [`plot_latency`]; lines from [`RowStatus::Ok`] rows with a bus bandwidth. Each panel draws its topology's
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
    let mut written = Vec::new();
    for (collective, figure) in figures(metric, rows, options) {
        written.extend(render(
            &figure,
            out_dir,
            &format!("{}-{collective}", metric.stem()),
        )?);
    }
    Ok(written)
}

/// Characters of note text a panel line holds at [`NOTE_PX`] (DejaVu Sans averages a little
/// over half an em per character).
const NOTE_CHARS: usize = (PANEL_W as usize - 24) * 10 / (NOTE_PX as usize * 6);
/// Note text size and line height.
const NOTE_PX: f64 = 13.0;
const NOTE_LINE_H: u32 = 17;

/// The figures of `rows`, one per collective with at least one plotted point, with the
/// collective's name.
fn figures<'a>(
    metric: Metric,
    rows: &'a [ResultRow],
    options: &PlotOptions,
) -> Vec<(&'a str, SweepFigure<'a>)> {
    // collective -> (topology, memory) -> series -> bytes -> outcome; the last row wins.
    type Points<'a> = BTreeMap<Series<'a>, BTreeMap<u64, Outcome<'a>>>;
    type Panels<'a> = BTreeMap<(&'a str, (usize, &'a str)), Points<'a>>;
    let mut by_collective: BTreeMap<(usize, &str), Panels<'_>> = BTreeMap::new();
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
        let error = row.error.as_deref().unwrap_or("no reason given");
        let outcome = match row.status {
            // An ok row without a plottable value (no time, no busbw) is left out.
            RowStatus::Ok => match metric.value(row) {
                Some(value) => Outcome::Ran(value),
                None => continue,
            },
            RowStatus::Failed => Outcome::Failed(error),
            RowStatus::Unsupported => Outcome::Refused(error),
        };
        by_collective
            .entry(collective_key(&row.collective))
            .or_default()
            .entry((row.topology.as_str(), memory_key(&row.memory)))
            .or_default()
            .entry(Series::of_row(row))
            .or_default()
            .insert(row.bytes, outcome);
        ranks
            .entry((&row.topology, &row.memory))
            .or_default()
            .insert(row.world_size);
    }

    let varies = Varies::of_rows(rows);
    let mut figures = Vec::new();
    for ((_, collective), panels) in by_collective {
        let ran = |points: &BTreeMap<u64, Outcome<'_>>| {
            points.values().any(|o| matches!(o, Outcome::Ran(_)))
        };
        if !panels.values().flat_map(|p| p.values()).any(ran) {
            continue;
        }
        let labels: BTreeMap<Series<'_>, String> = panels
            .values()
            .flat_map(|by_series| by_series.keys())
            .map(|series| (*series, series.label(varies)))
            .collect();
        // The legend names every line that ran or failed somewhere in the figure; a line
        // refused everywhere has nothing to draw and is named in the notes.
        let drawn: BTreeSet<Series<'_>> = panels
            .values()
            .flat_map(|by_series| by_series.iter())
            .filter(|(_, points)| points.values().any(|o| !matches!(o, Outcome::Refused(_))))
            .map(|(series, _)| *series)
            .collect();
        // Series of different topologies may share a label (`ring` runs groups of 8 on
        // ring8 and of 64 on ring64): one legend entry each.
        let mut names: Vec<&str> = Vec::new();
        for label in drawn
            .iter()
            .filter_map(|series| labels.get(series).map(String::as_str))
        {
            if !names.contains(&label) {
                names.push(label);
            }
        }
        let legend: Vec<(String, SeriesLook)> = looks(&names)
            .into_iter()
            .map(|(name, look)| (name.to_string(), look))
            .collect();
        let look_of = |label: &str| legend.iter().find(|(a, _)| a == label).map(|(_, l)| *l);

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
        let log2 = |bytes: u64| (bytes.max(1) as f64).log2();

        let panels: Vec<Option<Panel<'_>>> = cells
            .into_iter()
            .map(|cell| {
                let key = cell?;
                let by_series = panels.get(&key)?;
                let (topology, (_, memory)) = key;
                let world = ranks
                    .get(&(topology, memory))
                    .map(|r| r.iter().map(u32::to_string).collect::<Vec<_>>().join("/"))
                    .unwrap_or_default();
                // In `Series` order, as the legend.
                let mut lines = Vec::new();
                let mut not_run = Vec::new();
                let mut outcomes = Vec::new();
                for (series, points) in by_series {
                    let Some(label) = labels.get(series).map(String::as_str) else {
                        continue;
                    };
                    outcomes.push((label, points));
                    let Some(look) = look_of(label) else {
                        continue;
                    };
                    // A line refused at every size of the panel is only named in its notes.
                    let refused_here = points.values().all(|o| matches!(o, Outcome::Refused(_)));
                    let mut ran = Vec::new();
                    for (bytes, outcome) in points {
                        match outcome {
                            Outcome::Ran(value) => ran.push((log2(*bytes), *value)),
                            Outcome::Failed(_) | Outcome::Refused(_) if !refused_here => {
                                not_run.push((look, log2(*bytes)));
                            }
                            Outcome::Failed(_) | Outcome::Refused(_) => {}
                        }
                    }
                    if !ran.is_empty() {
                        lines.push(Line {
                            label: label.to_string(),
                            look,
                            points: ran,
                        });
                    }
                }
                let same = |a: f64, b: f64| metric.same(a, b);
                let drawn: Vec<(&str, &[(f64, f64)])> = lines
                    .iter()
                    .map(|l| (l.label.as_str(), l.points.as_slice()))
                    .collect();
                let notes: Vec<String> = [
                    not_run_note(&outcomes, memory),
                    coinciding_note(&coinciding(&drawn, same)),
                ]
                .into_iter()
                .flatten()
                .flat_map(|note| wrap(&note, NOTE_CHARS))
                .collect();
                Some(Panel {
                    topology,
                    caption: format!("{topology}, {memory} ({world} ranks)"),
                    lines,
                    not_run,
                    notes,
                    bound_gbps: match metric {
                        Metric::Busbw => bounds.get(topology).copied(),
                        Metric::Latency => None,
                    },
                })
            })
            .collect();

        let y_axes = topologies
            .iter()
            .map(|topology| {
                let row: Vec<&Panel<'_>> = panels
                    .iter()
                    .flatten()
                    .filter(|p| p.topology == *topology)
                    .collect();
                let band = row.iter().any(|p| !p.not_run.is_empty());
                (*topology, YAxis::of_row(metric, &row, band))
            })
            .collect();
        let note_lines = panels
            .iter()
            .flatten()
            .map(|p| p.notes.len() as u32)
            .max()
            .unwrap_or(0);
        figures.push((
            collective,
            SweepFigure {
                title: format!("{collective}: {}", metric.title()),
                subtitle: options.subtitle.clone(),
                legend,
                panels,
                y_axes,
                columns,
                x_range,
                note_lines,
            },
        ));
    }
    figures
}

impl SweepFigure<'_> {
    fn grid_rows(&self) -> u32 {
        (self.panels.len() as u32).div_ceil(self.columns.max(1))
    }

    fn notes_height(&self) -> u32 {
        if self.note_lines > 0 {
            self.note_lines * NOTE_LINE_H + 8
        } else {
            0
        }
    }
}

impl Figure for SweepFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (
            self.columns.max(1) * PANEL_W,
            header_height(self.subtitle.is_some())
                + self.grid_rows().max(1) * (PANEL_H + self.notes_height()),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (legend_area, body) = draw_header(root, &self.title, self.subtitle.as_deref())?;
        let legend: Vec<(&str, SeriesLook)> =
            self.legend.iter().map(|(n, l)| (n.as_str(), *l)).collect();
        draw_legend(&legend_area, &legend)?;

        let cells = body.split_evenly((self.grid_rows() as usize, self.columns as usize));
        for (area, panel) in cells.iter().zip(&self.panels) {
            if let Some(panel) = panel {
                let (chart, notes) = area.split_vertically(PANEL_H);
                self.draw_panel(&chart, panel)?;
                let style = font(NOTE_PX).color(&RGBColor(70, 70, 70));
                for (i, line) in panel.notes.iter().enumerate() {
                    notes
                        .draw_text(line, &style, (16, i as i32 * NOTE_LINE_H as i32))
                        .map_err(plot_err)?;
                }
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
        let Some(y) = self.y_axes.get(panel.topology) else {
            return Ok(());
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
                TickAxis::new(y.range.0, y.range.1, y.ticks.clone(), Vec::new()),
            )
            .map_err(plot_err)?;
        let y_label = |v: &f64| y.label(*v);
        chart
            .configure_mesh()
            .x_label_formatter(&|v| size_tick_label(*v))
            .y_label_formatter(&y_label)
            .x_desc("message size per rank")
            .y_desc(y.name())
            .label_style(font(LABEL_PX))
            .axis_desc_style(font(LABEL_PX))
            .bold_line_style(RGBColor(215, 215, 215))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()
            .map_err(plot_err)?;

        if let Some(band_top) = y.band_top {
            // The band under every value where points that did not run are marked.
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(self.x_range.0, y.range.0), (self.x_range.1, band_top)],
                    RGBColor(244, 236, 236).filled(),
                )))
                .map_err(plot_err)?;
            let band_y = (y.range.0 + band_top) / 2.0;
            let at: Vec<(f64, f64)> = panel.not_run.iter().map(|(_, x)| (*x, band_y)).collect();
            // Every point of one size that did not run shares the band's height: spread them.
            let singles: Vec<&[(f64, f64)]> = at.iter().map(std::slice::from_ref).collect();
            let shifts = dodge(&singles, |_, _| true);
            for (((look, _), point), shift) in panel.not_run.iter().zip(&at).zip(shifts) {
                let hollow = SeriesLook {
                    filled: false,
                    ..*look
                };
                draw_markers(&mut chart, hollow, &[*point], &shift)?;
            }
        }

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
        // Markers closer than about a marker's size on the axis would hide each other.
        let span = y.range.1 - y.range.0;
        let near = |a: f64, b: f64| (a - b).abs() < span * 0.02;
        let points: Vec<&[(f64, f64)]> = panel.lines.iter().map(|l| l.points.as_slice()).collect();
        let shifts = dodge(&points, near);
        for line in &panel.lines {
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().copied(),
                    line.look.color.stroke_width(2),
                ))
                .map_err(plot_err)?;
        }
        // Markers after every line, so no line is drawn over another's markers.
        for (line, shift) in panel.lines.iter().zip(&shifts) {
            draw_markers(&mut chart, line.look, &line.points, shift)?;
        }
        Ok(())
    }
}

/// The chart a panel draws on.
type Chart<'b, DB> = ChartContext<'b, DB, Cartesian2d<TickAxis, TickAxis>>;

/// Draws `look`'s marker at each of `points`, shifted right by `shifts` pixels.
fn draw_markers<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    look: SeriesLook,
    points: &[(f64, f64)],
    shifts: &[i32],
) -> Result<(), String> {
    let style = if look.filled {
        look.color.filled()
    } else {
        look.color.stroke_width(2)
    };
    let at = points.iter().copied().zip(shifts.iter().copied());
    match look.marker {
        Marker::Circle => chart
            .draw_series(at.map(|(p, dx)| EmptyElement::at(p) + Circle::new((dx, 0), 4, style)))
            .map(|_| ()),
        Marker::Square => chart
            .draw_series(at.map(|(p, dx)| {
                EmptyElement::at(p) + Rectangle::new([(dx - 4, -4), (dx + 4, 4)], style)
            }))
            .map(|_| ()),
        Marker::Triangle => chart
            .draw_series(
                at.map(|(p, dx)| EmptyElement::at(p) + TriangleMarker::new((dx, 0), 5, style)),
            )
            .map(|_| ()),
        Marker::Cross => chart
            .draw_series(at.map(|(p, dx)| {
                EmptyElement::at(p) + Cross::new((dx, 0), 4, look.color.stroke_width(2))
            }))
            .map(|_| ()),
    }
    .map_err(plot_err)
}

/// A bound in GB/s as its label prints it: `200 GB/s`, `12.5 GB/s`.
fn bound_label(gbps: f64) -> String {
    let text = format!("{gbps:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} GB/s")
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The latency figures of `rows`.
    pub(in crate::plot) fn figures_of_latency(rows: &[ResultRow]) -> Vec<SweepFigure<'_>> {
        figures(Metric::Latency, rows, &PlotOptions::default())
            .into_iter()
            .map(|(_, f)| f)
            .collect()
    }

    /// The busbw figures of `rows`.
    pub(in crate::plot) fn figures_of_busbw(rows: &[ResultRow]) -> Vec<SweepFigure<'_>> {
        figures(Metric::Busbw, rows, &PlotOptions::default())
            .into_iter()
            .map(|(_, f)| f)
            .collect()
    }

    impl SweepFigure<'_> {
        /// The panels of `topology`: caption and number of points marked as not run.
        pub(in crate::plot) fn panels_of(&self, topology: &str) -> Vec<(String, usize)> {
            self.panels
                .iter()
                .flatten()
                .filter(|p| p.topology == topology)
                .map(|p| (p.caption.clone(), p.not_run.len()))
                .collect()
        }

        /// Per topology: its y range and every value its panels plot.
        pub(in crate::plot) fn rows(&self) -> Vec<(&str, (f64, f64), Vec<f64>)> {
            self.y_axes
                .iter()
                .map(|(topology, axis)| {
                    let values = self
                        .panels
                        .iter()
                        .flatten()
                        .filter(|p| p.topology == *topology)
                        .flat_map(|p| p.lines.iter().flat_map(|l| l.points.iter().map(|q| q.1)))
                        .collect();
                    (*topology, axis.range, values)
                })
                .collect()
        }
    }

    #[test]
    fn bound_labels_drop_trailing_zeros() {
        assert_eq!(bound_label(200.0), "200 GB/s");
        assert_eq!(bound_label(12.5), "12.5 GB/s");
        assert_eq!(bound_label(0.126), "0.13 GB/s");
    }
}
