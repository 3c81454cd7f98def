//! Shared looks: fonts, colours and markers per algorithm, the legend strip, and log-axis
//! ticks.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{FAMILY, plot_err};
use crate::order::{ALGORITHMS, LINK_CLASSES};
use crate::units::iec_size_label;

/// Title of a figure.
pub(super) const TITLE_PX: f64 = 26.0;
/// Subtitle under the title.
pub(super) const SUBTITLE_PX: f64 = 16.0;
/// Caption of a panel.
pub(super) const CAPTION_PX: f64 = 18.0;
/// Tick labels, axis names and legend entries.
pub(super) const LABEL_PX: f64 = 15.0;

/// Heights of a figure's title, subtitle and legend strips, in pixels.
const TITLE_H: u32 = 44;
const SUBTITLE_H: u32 = 24;
const LEGEND_H: u32 = 36;

/// A drawing area in pixels.
type Area<DB> = DrawingArea<DB, Shift>;

/// The height of a figure's header: title, subtitle if there is one, legend strip.
pub(super) fn header_height(subtitle: bool) -> u32 {
    TITLE_H + if subtitle { SUBTITLE_H } else { 0 } + LEGEND_H
}

/// Fills a figure white and draws its title and subtitle; returns the legend strip and the
/// body below the header.
pub(super) fn draw_header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: Option<&str>,
) -> Result<(Area<DB>, Area<DB>), String> {
    root.fill(&WHITE).map_err(plot_err)?;
    let (header, body) = root.split_vertically(header_height(subtitle.is_some()));
    let (title_area, rest) = header.split_vertically(TITLE_H);
    title_area.titled(title, font(TITLE_PX)).map_err(plot_err)?;
    let legend = match subtitle {
        Some(subtitle) => {
            let (sub, legend) = rest.split_vertically(SUBTITLE_H);
            sub.titled(subtitle, font(SUBTITLE_PX).color(&RGBColor(80, 80, 80)))
                .map_err(plot_err)?;
            legend
        }
        None => rest,
    };
    Ok((legend, body))
}

/// Text in the embedded font.
pub(super) fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&BLACK)
}

/// Okabe-Ito colours (distinguishable with the common colour-vision deficiencies, yellow
/// left out as unreadable on white), then a few more.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0x8C, 0x56, 0x4B),
    RGBColor(0x7F, 0x7F, 0x7F),
    RGBColor(0xBC, 0xBD, 0x22),
];

/// Marker shapes, so lines stay apart in grey print too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    Circle,
    Square,
    Triangle,
    Cross,
}

/// How one algorithm is drawn: the same in every panel and every figure.
#[derive(Debug, Clone, Copy)]
pub(super) struct SeriesLook {
    pub(super) color: RGBColor,
    pub(super) marker: Marker,
    pub(super) filled: bool,
}

/// The look of `algorithm`. Known algorithms have fixed looks; others (`extra_index` = its
/// position among the unknown ones of the figure) take the next ones.
pub(super) fn look(algorithm: &str, extra_index: usize) -> SeriesLook {
    let index = ALGORITHMS
        .iter()
        .position(|a| *a == algorithm)
        .unwrap_or(ALGORITHMS.len() + extra_index);
    const MARKERS: [Marker; 4] = [
        Marker::Circle,
        Marker::Square,
        Marker::Triangle,
        Marker::Cross,
    ];
    SeriesLook {
        color: PALETTE[index % PALETTE.len()],
        marker: MARKERS[index % MARKERS.len()],
        filled: (index / MARKERS.len()) % 2 == 0,
    }
}

/// Looks for the algorithms of a figure, in display order.
pub(super) fn looks<'a>(algorithms: &[&'a str]) -> Vec<(&'a str, SeriesLook)> {
    let mut extra = 0;
    algorithms
        .iter()
        .map(|algorithm| {
            let known = ALGORITHMS.contains(algorithm);
            let found = look(algorithm, extra);
            if !known {
                extra += 1;
            }
            (*algorithm, found)
        })
        .collect()
}

/// Draws one marker centred at pixel `at`.
pub(super) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    look: SeriesLook,
) -> Result<(), String> {
    let style = if look.filled {
        look.color.filled()
    } else {
        look.color.stroke_width(2)
    };
    let (x, y) = at;
    match look.marker {
        Marker::Circle => area.draw(&Circle::new(at, 4, style)),
        Marker::Square => area.draw(&Rectangle::new([(x - 4, y - 4), (x + 4, y + 4)], style)),
        Marker::Triangle => area.draw(&TriangleMarker::new(at, 5, style)),
        Marker::Cross => area.draw(&Cross::new(at, 4, look.color.stroke_width(2))),
    }
    .map_err(plot_err)
}

/// A row of legend entries (line, marker, name), centred in `area`.
pub(super) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(&str, SeriesLook)],
) -> Result<(), String> {
    legend_row(area, entries, true)
}

/// Legend entries with (`with_line`) or without a line through the marker.
fn legend_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(&str, SeriesLook)],
    with_line: bool,
) -> Result<(), String> {
    const SWATCH: i32 = 34;
    const GAP: i32 = 28;
    let style = font(LABEL_PX + 1.0).pos(Pos::new(HPos::Left, VPos::Center));
    let widths: Vec<i32> = entries
        .iter()
        .map(|(name, _)| {
            area.estimate_text_size(name, &style)
                .map(|(w, _)| w as i32 + SWATCH + 6)
        })
        .collect::<Result<_, _>>()
        .map_err(plot_err)?;
    let total: i32 = widths.iter().sum::<i32>() + GAP * (entries.len() as i32 - 1).max(0);
    let (width, height) = area.dim_in_pixel();
    let y = height as i32 / 2;
    let mut x = (width as i32 - total).max(0) / 2;
    for ((name, look), w) in entries.iter().zip(widths) {
        if with_line {
            area.draw(&PathElement::new(
                vec![(x, y), (x + SWATCH, y)],
                look.color.stroke_width(2),
            ))
            .map_err(plot_err)?;
            draw_marker(area, (x + SWATCH / 2, y), *look)?;
        } else {
            let (left, right) = (x + SWATCH / 2 - 8, x + SWATCH / 2 + 8);
            area.draw(&Rectangle::new(
                [(left, y - 8), (right, y + 8)],
                look.color.filled(),
            ))
            .map_err(plot_err)?;
        }
        area.draw_text(name, &style, (x + SWATCH + 6, y))
            .map_err(plot_err)?;
        x += w + GAP;
    }
    Ok(())
}

/// A row of coloured squares with names, centred in `area` (for bar classes).
pub(super) fn draw_swatches<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(&str, RGBColor)],
) -> Result<(), String> {
    let entries: Vec<(&str, SeriesLook)> = entries
        .iter()
        .map(|(name, color)| {
            (
                *name,
                SeriesLook {
                    color: *color,
                    marker: Marker::Square,
                    filled: true,
                },
            )
        })
        .collect();
    legend_row(area, &entries, false)
}

/// The colour of a link class, the same in every figure: the known classes
/// ([`LINK_CLASSES`]) one palette colour each, in their order; any other name one of the
/// palette by a hash of its bytes (FNV-1a), so it too keeps its colour from figure to figure.
pub(super) fn class_color(class: &str) -> RGBColor {
    let index = LINK_CLASSES
        .iter()
        .position(|c| *c == class)
        .unwrap_or_else(|| {
            let hash = class.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
            (hash % PALETTE.len() as u64) as usize
        });
    PALETTE[index % PALETTE.len()]
}

/// Ticks for a log2 size axis spanning `lo..=hi` (both log2 of bytes): multiples of the
/// smallest step in 1, 2, 5, 10 powers of two that gives at most `max_ticks` labels.
pub(super) fn size_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<f64> {
    let (lo, hi) = (lo.ceil() as i64, hi.floor() as i64);
    for step in [1, 2, 5, 10, 20] {
        let ticks: Vec<f64> = (lo..=hi)
            .filter(|k| k.rem_euclid(step) == 0)
            .map(|k| k as f64)
            .collect();
        if ticks.len() <= max_ticks && !ticks.is_empty() {
            return ticks;
        }
    }
    vec![lo as f64]
}

/// Label of a log2 size tick, with its unit: `20.0` -> `"1 MiB"`.
pub(super) fn size_tick_label(log2_bytes: f64) -> String {
    let exponent = log2_bytes.round();
    if (0.0..64.0).contains(&exponent) {
        iec_size_label(1u64 << exponent as u32)
    } else {
        String::new()
    }
}

/// Ticks for a log10 axis spanning `lo..=hi`: every decade, plus 2x and 5x when the axis
/// spans fewer than three decades.
pub(super) fn decade_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    let multiples: &[f64] = if hi - lo < 3.0 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    for decade in (lo.floor() as i32)..=(hi.ceil() as i32) {
        for m in multiples {
            let t = decade as f64 + m.log10();
            if t >= lo - 1e-9 && t <= hi + 1e-9 {
                ticks.push(t);
            }
        }
    }
    ticks
}

/// The unit of a time axis and the labels of its ticks.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TimeAxis {
    /// `ns`, `us`, `ms` or `s`, for the axis name: `time (ms)`.
    pub(super) unit: &'static str,
    /// log10 of microseconds per unit (`ms` is 3).
    shift: i32,
}

impl TimeAxis {
    /// The unit for ticks at `ticks` (log10 of microseconds) whose longest label is the
    /// shortest, the smaller unit on a tie: 1 us .. 1 s reads `0.001 .. 1000 ms`, not
    /// `1 .. 1000000 us`. Every label of the axis is then a plain decimal in that unit.
    pub(super) fn for_ticks(ticks: &[f64]) -> TimeAxis {
        const UNITS: [(&str, i32); 4] = [("ns", -3), ("us", 0), ("ms", 3), ("s", 6)];
        let longest = |shift: i32| {
            ticks
                .iter()
                .map(|t| decimal_label(t - f64::from(shift)).len())
                .max()
                .unwrap_or(0)
        };
        let (unit, shift) = UNITS
            .iter()
            .copied()
            .min_by_key(|(_, shift)| longest(*shift))
            .unwrap_or(("us", 0)); // ok: UNITS is not empty
        TimeAxis { unit, shift }
    }

    /// The label of a tick at `log10_us` in this axis's unit: `3.0` on an `ms` axis is `"1"`.
    pub(super) fn label(&self, log10_us: f64) -> String {
        decimal_label(log10_us - f64::from(self.shift))
    }
}

/// A tick on a log10 axis as a plain decimal, never in exponent form: `2.0` -> `"100"`,
/// `-1.0` -> `"0.1"`, `6.0` -> `"1000000"`, `log10(0.002)` -> `"0.002"`.
fn decimal_label(log10_value: f64) -> String {
    let exponent = log10_value.floor() as i32;
    let mantissa = 10f64.powf(log10_value - f64::from(exponent)).round();
    // A mantissa that rounds up to 10 moves to the next decade.
    let (mantissa, exponent) = if mantissa >= 10.0 {
        (1.0, exponent + 1)
    } else {
        (mantissa, exponent)
    };
    let decimals = (-exponent).max(0) as usize;
    format!("{:.*}", decimals, mantissa * 10f64.powi(exponent))
}

/// The y-axis label formatter of a horizontal bar chart of `slots` rows, the first bar at
/// the top: the label of the bar whose row holds tick `y` (`label(index)`), empty between.
pub(super) fn bar_label(
    slots: f64,
    label: impl Fn(usize) -> Option<String>,
) -> impl Fn(&f64) -> String {
    move |y: &f64| {
        let index = (slots - 0.5 - y).round();
        if index >= 0.0 {
            label(index as usize).unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// Round ticks from 0 to `top`: a step of 1, 2, 2.5 or 5 times a power of ten giving at most
/// `max_ticks` ticks past zero, and the decimals its labels need.
pub(super) fn linear_ticks(top: f64, max_ticks: usize) -> (Vec<f64>, usize) {
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

/// A linear f64 axis whose ticks (bold grid lines, labelled) and light grid lines are given,
/// not computed by plotters. (plotters' own `with_key_points` over an f64 range cannot take a
/// label formatter in 0.3.7.)
#[derive(Debug, Clone)]
pub(super) struct TickAxis {
    lo: f64,
    hi: f64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl TickAxis {
    /// An axis over `lo..hi` with labelled ticks `bold` and unlabelled grid lines `light`.
    pub(super) fn new(lo: f64, hi: f64, bold: Vec<f64>, light: Vec<f64>) -> Self {
        Self {
            lo,
            hi,
            bold,
            light,
        }
    }
}

impl Ranged for TickAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        if self.hi == self.lo {
            return (limit.0 + limit.1) / 2;
        }
        let fraction = (value - self.lo) / (self.hi - self.lo);
        limit.0 + (f64::from(limit.1 - limit.0) * fraction).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_ticks_land_on_round_binary_sizes_and_name_their_unit() {
        let labels: Vec<String> = size_ticks(9.7, 30.3, 7)
            .into_iter()
            .map(size_tick_label)
            .collect();
        assert_eq!(labels, ["1 KiB", "32 KiB", "1 MiB", "32 MiB", "1 GiB"]);
        let labels: Vec<String> = size_ticks(10.0, 14.0, 7)
            .into_iter()
            .map(size_tick_label)
            .collect();
        assert_eq!(labels, ["1 KiB", "2 KiB", "4 KiB", "8 KiB", "16 KiB"]);
        assert_eq!(size_tick_label(26.0), "64 MiB");
    }

    #[test]
    fn a_time_axis_takes_the_unit_with_the_shortest_labels_and_plain_decimals() {
        // 1 us .. 1 s: in us the top label would be 1000000.
        let ticks = decade_ticks(-0.1, 6.1);
        let axis = TimeAxis::for_ticks(&ticks);
        assert_eq!(axis.unit, "ms");
        let labels: Vec<String> = ticks.iter().map(|t| axis.label(*t)).collect();
        assert_eq!(labels, ["0.001", "0.01", "0.1", "1", "10", "100", "1000"]);
        // 1 us .. 100 us stays in us.
        let ticks = decade_ticks(0.0, 2.0);
        let axis = TimeAxis::for_ticks(&ticks);
        assert_eq!(axis.unit, "us");
        let labels: Vec<String> = ticks.iter().map(|t| axis.label(*t)).collect();
        assert_eq!(labels, ["1", "2", "5", "10", "20", "50", "100"]);
        // Sub-microsecond times read in ns.
        let axis = TimeAxis::for_ticks(&decade_ticks(-2.0, -0.5));
        assert_eq!(axis.unit, "ns");
        assert_eq!(axis.label(-2.0), "10");
        // No label of any axis is in exponent form.
        for (lo, hi) in [(-3.0, 9.0), (2.0, 8.0), (-5.0, 0.0)] {
            let ticks = decade_ticks(lo, hi);
            let axis = TimeAxis::for_ticks(&ticks);
            assert!(
                ticks.iter().all(|t| !axis.label(*t).contains('e')),
                "{lo}..{hi}"
            );
        }
    }

    #[test]
    fn a_link_class_has_one_colour_whatever_else_is_in_the_figure() {
        assert_eq!(class_color("sip-link"), PALETTE[5]);
        assert_eq!(class_color("noc"), PALETTE[0]);
        let known: Vec<RGBColor> = LINK_CLASSES.iter().map(|c| class_color(c)).collect();
        for (i, a) in known.iter().enumerate() {
            assert!(
                !known[i + 1..].contains(a),
                "{} shares a colour",
                LINK_CLASSES[i]
            );
        }
        assert_eq!(class_color("optical"), class_color("optical"));
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

    #[test]
    fn known_algorithms_keep_their_look_whatever_else_is_plotted() {
        let a = looks(&["ring", "tree"]);
        let b = looks(&["tree", "zzz"]);
        assert_eq!(a[1].1.color, b[0].1.color);
        assert_eq!(a[1].1.marker, b[0].1.marker);
    }
}
