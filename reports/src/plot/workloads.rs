//! Workload charts: per workload, its step time on each topology as a bar split into the
//! slowest rank's compute, its exposed communication and the rest (waiting, copies).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{
    LABEL_PX, TickAxis, bar_label, draw_header, draw_swatches, font, header_height, linear_ticks,
};
use super::{Figure, plot_err, render};
use crate::ReportError;
use crate::order::natural_cmp;
use crate::row::RowStatus;
use crate::workloads::WorkloadRow;

const WIDTH: u32 = 900;
const BAR_H: u32 = 34;
/// Room under the bars for the axis, its labels and name.
const AXIS_H: u32 = 64;
/// The line under the chart naming the points that did not run.
const NOTE_H: u32 = 30;

/// The three parts of a bar, in the order they are stacked, with their colours (the
/// palette's blue and vermilion, and a grey for what is neither).
const PARTS: [(&str, RGBColor); 3] = [
    ("compute", RGBColor(0x00, 0x72, 0xB2)),
    ("exposed communication", RGBColor(0xD5, 0x5E, 0x00)),
    ("waiting, copies", RGBColor(0xC8, 0xC8, 0xC8)),
];

/// One bar: its label and the step time split into [`PARTS`], in microseconds.
struct Bar {
    label: String,
    step: f64,
    parts: [f64; 3],
}

struct WorkloadFigure {
    title: String,
    bars: Vec<Bar>,
    /// The points that did not run: `mesh2x2 (unsupported), ring4 (failed)`.
    not_run: Option<String>,
}

/// Writes `workload-<workload>.svg` and `.png` into `out_dir`, one figure per workload with
/// an `ok` row: a horizontal bar per topology it ran on (in natural order of topology, then
/// network model; the model named only where the workload's rows hold more than one), the
/// step time split into the slowest rank's compute, its exposed communication and the rest of
/// the step (waiting for others, copies), with the step time at the bar's end; under the
/// chart, the topologies it did not run on and how they ended (`workloads.csv` has the
/// reasons). A workload without an `ok` row gets no figure.
pub fn plot_workloads(rows: &[WorkloadRow], out_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut by_workload: BTreeMap<&str, Vec<&WorkloadRow>> = BTreeMap::new();
    for row in rows {
        by_workload
            .entry(row.workload.as_str())
            .or_default()
            .push(row);
    }
    let mut written = Vec::new();
    for (workload, mut rows) in by_workload {
        rows.sort_by_key(|r| r.key());
        let models: BTreeSet<&str> = rows.iter().map(|r| r.model.as_str()).collect();
        let label = |r: &WorkloadRow| {
            let model = if models.len() > 1 {
                format!(", {}", r.model)
            } else {
                String::new()
            };
            format!("{} ({} ranks{model})", r.topology, r.world_size)
        };
        let bars: Vec<Bar> = rows
            .iter()
            .filter(|r| r.status == RowStatus::Ok)
            .filter_map(|r| {
                let step = r.step_time_us.filter(|s| s.is_finite())?;
                let compute = r.compute_us.unwrap_or(0.0).clamp(0.0, step);
                let exposed = r.exposed_comm_us.unwrap_or(0.0).clamp(0.0, step - compute);
                Some(Bar {
                    label: label(r),
                    step,
                    parts: [compute, exposed, step - compute - exposed],
                })
            })
            .collect();
        if bars.is_empty() {
            continue;
        }
        let mut not_run: Vec<&WorkloadRow> = rows
            .iter()
            .copied()
            .filter(|r| r.status != RowStatus::Ok)
            .collect();
        not_run.sort_by(|a, b| natural_cmp(&a.topology, &b.topology));
        let not_run = (!not_run.is_empty()).then(|| {
            let names: Vec<String> = not_run
                .iter()
                .map(|r| format!("{} ({})", r.topology, r.status.as_str()))
                .collect();
            format!("not run: {}", names.join(", "))
        });
        let figure = WorkloadFigure {
            title: format!("{workload}: step time per topology, split for the slowest rank"),
            bars,
            not_run,
        };
        written.extend(render(&figure, out_dir, &format!("workload-{workload}"))?);
    }
    Ok(written)
}

impl Figure for WorkloadFigure {
    fn size(&self) -> (u32, u32) {
        (
            WIDTH,
            header_height(false) + 24 + AXIS_H + BAR_H * self.bars.len() as u32 + NOTE_H,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (legend, body) = draw_header(root, &self.title, None)?;
        let swatches: Vec<(&str, RGBColor)> = PARTS.to_vec();
        draw_swatches(&legend, &swatches)?;
        let (_, height) = body.dim_in_pixel();
        let (chart_area, note_area) = body.split_vertically(height.saturating_sub(NOTE_H));
        self.draw_bars(&chart_area)?;
        if let Some(note) = &self.not_run {
            let style = font(LABEL_PX).pos(Pos::new(HPos::Center, VPos::Center));
            let (w, h) = note_area.dim_in_pixel();
            note_area
                .draw_text(note, &style, (w as i32 / 2, h as i32 / 2))
                .map_err(plot_err)?;
        }
        Ok(())
    }
}

impl WorkloadFigure {
    fn draw_bars<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let label_style = font(LABEL_PX);
        let widest = self
            .bars
            .iter()
            .map(|b| {
                area.estimate_text_size(&b.label, &label_style)
                    .map(|(w, _)| w)
            })
            .collect::<Result<Vec<u32>, _>>()
            .map_err(plot_err)?
            .into_iter()
            .max()
            .unwrap_or(40);
        let slots = self.bars.len() as f64;
        // Bar i is centred at y = slots - i - 0.5, so the first is on top.
        let centre = |i: usize| slots - i as f64 - 0.5;
        let longest = self.bars.iter().map(|b| b.step).fold(0.0, f64::max);
        let top = if longest > 0.0 { longest } else { 1.0 };
        let (x_ticks, decimals) = linear_ticks(top, 6);
        // Room right of the longest bar for its label.
        let x_max = top * 1.22;
        let y_ticks: Vec<f64> = (0..self.bars.len()).map(centre).collect();
        let mut chart = ChartBuilder::on(area)
            .margin(8)
            .margin_right(16)
            .x_label_area_size(44)
            .y_label_area_size(widest.min(WIDTH / 2) + 14)
            .build_cartesian_2d(
                TickAxis::new(0.0, x_max, x_ticks, Vec::new()),
                TickAxis::new(0.0, slots, y_ticks, Vec::new()),
            )
            .map_err(plot_err)?;
        let label_at = bar_label(slots, |i| self.bars.get(i).map(|b| b.label.clone()));
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_label_formatter(&|v| format!("{v:.decimals$}"))
            .y_label_formatter(&label_at)
            .x_desc("simulated time (us)")
            .label_style(label_style.clone())
            .axis_desc_style(font(LABEL_PX))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(plot_err)?;
        for (i, bar) in self.bars.iter().enumerate() {
            let c = centre(i);
            let mut left = 0.0;
            for (width, (_, color)) in bar.parts.iter().zip(PARTS) {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(left, c - 0.34), (left + width, c + 0.34)],
                        color.filled(),
                    )))
                    .map_err(plot_err)?;
                left += width;
            }
        }
        let value_style = font(LABEL_PX - 1.0).pos(Pos::new(HPos::Left, VPos::Center));
        chart
            .draw_series(self.bars.iter().enumerate().map(|(i, bar)| {
                Text::new(
                    format!("{:.3} us", bar.step),
                    (bar.step + x_max * 0.01, centre(i)),
                    value_style.clone(),
                )
            }))
            .map_err(plot_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::tests::{ok_workload, refused_workload};

    #[test]
    fn a_figure_per_workload_that_ran_with_a_bar_per_topology_and_the_rest_named() {
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![
            ok_workload("dp-step", "ring8", 517.84608, 430.0),
            ok_workload("dp-step", "multicube2x4", 512.74416, 430.0),
            refused_workload("dp-step", "mesh2x2"),
            refused_workload("pipeline", "ring8"),
        ];
        let written = plot_workloads(&rows, dir.path()).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["workload-dp-step.svg", "workload-dp-step.png"]);
        let svg = std::fs::read_to_string(&written[0]).unwrap();
        for text in [
            "dp-step: step time per topology, split for the slowest rank",
            "multicube2x4 (8 ranks)",
            "ring8 (8 ranks)",
            "517.846 us",
            "exposed communication",
            "not run: mesh2x2 (unsupported)",
        ] {
            assert!(svg.contains(text), "{text}: {svg}");
        }
        assert!(std::fs::read(&written[1]).unwrap().starts_with(b"\x89PNG"));
        // The same rows in another order give the same bytes.
        let again = tempfile::tempdir().unwrap();
        let mut reversed = rows.clone();
        reversed.reverse();
        let second = plot_workloads(&reversed, again.path()).unwrap();
        for (a, b) in written.iter().zip(&second) {
            assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
        }
    }
}
