//! Plots as SVG and PNG, drawn with plotters and an embedded font.
//!
//! Every figure is drawn twice from the same code, once into an SVG and once into a PNG, and
//! both are written atomically. Text is laid out with the bundled DejaVu Sans
//! (`assets/DejaVuSans.ttf`, licence beside it) registered through plotters' `ab_glyph`
//! feature, so no system font or fontconfig is needed and the PNGs are the same on every
//! machine. An SVG names its font (`DejaVu Sans`, then look-alikes, then `sans-serif`); a
//! viewer without DejaVu Sans substitutes a similar face, so only the PNG is pixel-exact.

mod links;
mod notes;
mod style;
mod sweep;
mod workloads;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::ReportError;
use crate::atomic::{
    Destination, commit, destination, ensure_dir, file_safe, temp_sibling, write_file,
};

pub use links::plot_link_utilisation;
pub use sweep::{plot_busbw, plot_busbw_with, plot_latency, plot_latency_with};
pub use workloads::plot_workloads;

/// The family name the embedded font is registered under.
pub(crate) const FAMILY: &str = "DejaVu Sans";
/// What SVG files ask for: the embedded face first, then faces with close metrics.
const SVG_FAMILIES: &str = "DejaVu Sans, Bitstream Vera Sans, Verdana, sans-serif";
/// DejaVu Sans 2.37 (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Options shared by the plot functions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlotOptions {
    /// A line under each figure's title, e.g. where the numbers come from
    /// (`"synthetic alpha-beta data, not measured"`).
    pub subtitle: Option<String>,
}

/// Registers the embedded font with plotters, once per process. plotters keeps its fonts in
/// a process-wide table; registering the same bytes again is harmless.
fn register_font() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        // "sans-serif" too, for any text plotters styles by default.
        [FAMILY, "sans-serif"]
            .iter()
            .all(|name| plotters::style::register_font(name, FontStyle::Normal, FONT).is_ok())
    });
    if ok {
        Ok(())
    } else {
        Err(ReportError::Font { name: FAMILY })
    }
}

/// A figure that can draw itself on any plotters backend.
pub(crate) trait Figure {
    /// Size in pixels (SVG user units).
    fn size(&self) -> (u32, u32);
    /// Draws the whole figure on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Turns any plotters error into text for [`ReportError::Plot`].
pub(crate) fn plot_err<E: std::fmt::Display>(error: E) -> String {
    error.to_string()
}

/// Draws `figure` into `out_dir/stem.svg` and `out_dir/stem.png` and returns both paths.
pub(crate) fn render<F: Figure>(
    figure: &F,
    out_dir: &Path,
    stem: &str,
) -> Result<Vec<PathBuf>, ReportError> {
    register_font()?;
    ensure_dir(out_dir)?;
    let stem = file_safe(stem);
    let size = figure.size();

    let svg_path = out_dir.join(format!("{stem}.svg"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        figure
            .draw(&root)
            .and_then(|()| root.present().map_err(plot_err))
            .map_err(|message| ReportError::Plot {
                path: svg_path.clone(),
                message,
            })?;
    }
    let svg = svg.replace(
        &format!("font-family=\"{FAMILY}\""),
        &format!("font-family=\"{SVG_FAMILIES}\""),
    );
    write_file(&svg_path, svg.as_bytes())?;

    let png_path = out_dir.join(format!("{stem}.png"));
    let target = match destination(&png_path) {
        Destination::Atomic(target) | Destination::InPlace(target) => target,
    };
    // The PNG encoder picks the format from the extension, so the temporary is name.tmp.png.
    let tmp = temp_sibling(&target);
    let drawn = {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        figure
            .draw(&root)
            .and_then(|()| root.present().map_err(plot_err))
    };
    if let Err(message) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(ReportError::Plot {
            path: png_path,
            message,
        });
    }
    if let Destination::InPlace(_) = destination(&png_path) {
        // A special file is written in place, not renamed over.
        let bytes = std::fs::read(&tmp).map_err(|e| ReportError::io("read", tmp.clone(), e));
        let _ = std::fs::remove_file(&tmp);
        write_file(&png_path, &bytes?)?;
    } else {
        commit(&tmp, &target)?;
    }
    Ok(vec![svg_path, png_path])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::tests::{not_ok_row, ok_row};
    use crate::row::{LinkUsage, ResultRow, RowStatus};

    /// A small sweep: 2 topologies x 2 memories x 3 algorithms x 1K..1M by 4x, alpha-beta times.
    fn small_sweep() -> Vec<ResultRow> {
        let mut rows = Vec::new();
        for (topology, alpha) in [("ring8", 500.0), ("mesh4x4", 300.0)] {
            for memory in ["sram", "hbm"] {
                for (algorithm, steps, beta) in [
                    ("ring", 14.0, 0.02),
                    ("tree", 6.0, 0.04),
                    ("direct", 2.0, 0.07),
                ] {
                    for k in 0..6 {
                        let bytes = 1024u64 << (2 * k);
                        rows.push(ok_row(
                            topology,
                            algorithm,
                            memory,
                            bytes,
                            steps * alpha + beta * bytes as f64,
                        ));
                    }
                }
                rows.push(not_ok_row(
                    topology,
                    "mesh",
                    memory,
                    1024,
                    RowStatus::Unsupported,
                    "needs 2D",
                ));
            }
        }
        rows
    }

    fn usage() -> Vec<LinkUsage> {
        (0..12)
            .map(|i| LinkUsage {
                topology: "ring8".into(),
                collective: "all-reduce".into(),
                memory: "hbm".into(),
                algorithm: "ring".into(),
                bytes: 1 << 20,
                channels: "auto".into(),
                chunk_bytes: 1 << 20,
                group_size: 8,
                group_stride: 1,
                model: "packet".into(),
                link: format!("c0.s{i}.hub->c0.s{}.hub", (i + 1) % 12),
                class: if i % 3 == 0 {
                    "noc".into()
                } else {
                    "sip".into()
                },
                bytes_carried: 1000,
                busy_ns: 10.0,
                utilisation: 0.9 - 0.05 * f64::from(i),
            })
            .collect()
    }

    fn assert_written(paths: &[PathBuf], title: &str) {
        assert_eq!(paths.len(), 2, "{paths:?}");
        for path in paths {
            let bytes = std::fs::read(path).unwrap();
            assert!(bytes.len() > 1000, "{} is nearly empty", path.display());
            assert!(!temp_sibling(path).exists());
        }
        let svg = std::fs::read_to_string(&paths[0]).unwrap();
        assert!(svg.contains(title), "the SVG has no title `{title}`");
        assert!(svg.contains("message size per rank") || svg.contains("utilisation"));
        assert!(std::fs::read(&paths[1]).unwrap().starts_with(b"\x89PNG"));
    }

    #[test]
    fn latency_busbw_and_link_plots_are_written_as_svg_and_png() {
        let dir = tempfile::tempdir().unwrap();
        let latency = plot_latency(&small_sweep(), dir.path()).unwrap();
        assert_eq!(latency[0].file_name().unwrap(), "latency-all-reduce.svg");
        assert_written(&latency, "all-reduce: time vs message size");
        let svg = std::fs::read_to_string(&latency[0]).unwrap();
        assert!(
            svg.contains("time (us)")
                && svg.contains("\n1 MiB\n")
                && svg.contains("ring8, hbm (8 ranks)")
        );
        // Only Ok rows are plotted: "mesh" failed everywhere, so it is not in the legend.
        assert!(!svg.contains("\nmesh\n"));

        assert!(!svg.contains("injection bound"), "busbw plots only");

        let busbw = plot_busbw(&small_sweep(), dir.path()).unwrap();
        assert_written(&busbw, "all-reduce: bus bandwidth vs message size");
        let svg = std::fs::read_to_string(&busbw[0]).unwrap();
        assert!(svg.contains("bus bandwidth (GB/s)"));
        // The rows' bound, once per panel: 2 topologies x 2 memories.
        assert_eq!(
            svg.matches(">\ninjection bound 200 GB/s\n<").count(),
            4,
            "{svg}"
        );

        let options = PlotOptions {
            subtitle: Some("made-up numbers".into()),
        };
        let links = plot_link_utilisation(&usage(), 5, dir.path(), &options).unwrap();
        assert_written(
            &links,
            "ring8: link utilisation at the largest message size",
        );
        let svg = std::fs::read_to_string(&links[0]).unwrap();
        assert!(
            svg.contains("made-up numbers")
                && svg.contains("top 5 of 12 links")
                && svg.contains("90.0%")
        );
        // The spread of every link, not only the top 5: 0.9 - 0.05 i for i in 0..12.
        assert!(
            svg.contains("12 links: min 35%, p25 50%, median 65%, p75 75%, max 90%"),
            "{svg}"
        );
        assert!(
            !svg.contains("c0.s11.hub"),
            "only the top 5 links are drawn"
        );
    }

    #[test]
    fn link_panels_of_two_collectives_are_kept_apart_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = usage();
        rows.extend(usage().into_iter().map(|r| LinkUsage {
            collective: "all-gather".into(),
            utilisation: r.utilisation / 2.0,
            ..r
        }));
        let links = plot_link_utilisation(&rows, 5, dir.path(), &PlotOptions::default()).unwrap();
        let svg = std::fs::read_to_string(&links[0]).unwrap();
        assert!(
            svg.contains("all-reduce: ring, hbm, 1 MiB per rank")
                && svg.contains("all-gather: ring, hbm, 1 MiB per rank"),
            "each panel names its collective"
        );
        // all-reduce's busiest link is 90%, all-gather's 45%: neither replaced the other.
        assert!(svg.contains("90.0%") && svg.contains("45.0%"));
    }

    #[test]
    fn runs_with_other_channels_are_lines_and_link_panels_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let auto = small_sweep();
        let mut rows = auto.clone();
        rows.extend(auto.into_iter().map(|r| ResultRow {
            channels: "1".into(),
            time_ns: r.time_ns.map(|t| t * 2.0),
            busbw_gbps: r.busbw_gbps.map(|b| b / 2.0),
            ..r
        }));
        let written = plot_busbw(&rows, dir.path()).unwrap();
        let svg = std::fs::read_to_string(&written[0]).unwrap();
        assert!(
            svg.contains("ring (1 ch)") && svg.contains("ring (auto ch)"),
            "both channel counts are in the legend"
        );
        assert!(
            !svg.contains(">ring<"),
            "no line is labelled by its algorithm alone"
        );

        let mut links = usage();
        links.extend(usage().into_iter().map(|r| LinkUsage {
            channels: "1".into(),
            utilisation: r.utilisation / 2.0,
            ..r
        }));
        let written =
            plot_link_utilisation(&links, 5, dir.path(), &PlotOptions::default()).unwrap();
        let svg = std::fs::read_to_string(&written[0]).unwrap();
        assert!(
            svg.contains("all-reduce: ring (1 ch), hbm, 1 MiB per rank")
                && svg.contains("all-reduce: ring (auto ch), hbm, 1 MiB per rank"),
            "each panel names its channels"
        );
        assert!(svg.contains("90.0%") && svg.contains("45.0%"));
    }

    #[test]
    fn the_same_rows_give_the_same_bytes() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let rows = small_sweep();
        let first = plot_latency(&rows[..20], a.path()).unwrap();
        let mut reversed = rows[..20].to_vec();
        reversed.reverse();
        let second = plot_latency(&reversed, b.path()).unwrap();
        for (x, y) in first.iter().zip(&second) {
            assert_eq!(
                std::fs::read(x).unwrap(),
                std::fs::read(y).unwrap(),
                "{}",
                x.display()
            );
        }
    }

    #[test]
    fn no_ok_rows_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![not_ok_row(
            "ring8",
            "mesh",
            "hbm",
            1024,
            RowStatus::Unsupported,
            "needs 2D",
        )];
        assert!(plot_latency(&rows, dir.path()).unwrap().is_empty());
        assert!(
            plot_link_utilisation(&[], 5, dir.path(), &PlotOptions::default())
                .unwrap()
                .is_empty()
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// Rows of one topology where tcm fails from 1 MiB, mesh is refused, and tree and direct
    /// take the same time as ring.
    fn with_failures() -> Vec<ResultRow> {
        let mut rows = Vec::new();
        for memory in ["tcm", "hbm"] {
            for algorithm in ["ring", "tree", "direct", "halving-doubling"] {
                for k in 0..6 {
                    let bytes = 1024u64 << (2 * k);
                    let beta = if algorithm == "halving-doubling" {
                        0.05
                    } else {
                        0.02
                    };
                    let slower = if memory == "tcm" { 1.0 } else { 10.0 };
                    rows.push(if memory == "tcm" && bytes >= 1 << 16 {
                        not_ok_row(
                            "ring8",
                            algorithm,
                            memory,
                            bytes,
                            RowStatus::Failed,
                            "a buffer of 64 KiB does not fit in tcm of c0.s0.p0 (32 KiB in all)",
                        )
                    } else {
                        ok_row(
                            "ring8",
                            algorithm,
                            memory,
                            bytes,
                            slower * (7000.0 + beta * bytes as f64),
                        )
                    });
                }
            }
            rows.push(not_ok_row(
                "ring8",
                "mesh",
                memory,
                1024,
                RowStatus::Unsupported,
                "mesh needs a 2D mesh or torus",
            ));
        }
        rows
    }

    #[test]
    fn points_that_did_not_run_are_marked_and_named_under_their_panel() {
        let rows = with_failures();
        let figures = sweep::tests::figures_of_latency(&rows);
        let tcm = &figures[0].panels_of("ring8")[0];
        assert_eq!(tcm.0, "ring8, tcm (8 ranks)");
        // Four lines x three sizes from 1 MiB failed, each a marker in the band.
        assert_eq!(tcm.1, 12);
        let svg_dir = tempfile::tempdir().unwrap();
        let written = plot_latency(&rows, svg_dir.path()).unwrap();
        let svg = std::fs::read_to_string(&written[0]).unwrap();
        assert!(
            svg.contains("not run: all failed at ≥ 64 KiB (does not fit tcm); mesh refused"),
            "{svg}"
        );
        assert!(
            svg.contains("\nnot run: mesh refused\n"),
            "the hbm panel: {svg}"
        );
        // The band under the lines where the failed points sit.
        assert!(svg.contains("#F4ECEC"), "{svg}");
    }

    #[test]
    fn lines_with_the_same_values_are_named_together_under_their_panel() {
        let dir = tempfile::tempdir().unwrap();
        let written = plot_busbw(&with_failures(), dir.path()).unwrap();
        let svg = std::fs::read_to_string(&written[0]).unwrap();
        assert!(svg.contains("within 1%: ring = tree = direct"), "{svg}");
        assert!(!svg.contains("= halving-doubling"), "{svg}");
    }

    #[test]
    fn the_panels_of_one_topology_share_a_y_axis_that_covers_them_all() {
        for figures in [
            sweep::tests::figures_of_latency(&with_failures()),
            sweep::tests::figures_of_busbw(&small_sweep()),
        ] {
            for figure in &figures {
                for (topology, (lo, hi), values) in figure.rows() {
                    assert!(
                        figure.panels_of(topology).len() > 1,
                        "{topology}: a row of panels"
                    );
                    for v in values {
                        assert!(lo <= v && v <= hi, "{topology}: {v} outside {lo}..{hi}");
                    }
                }
            }
        }
    }

    #[test]
    fn links_at_the_same_utilisation_are_listed_in_natural_order() {
        let dir = tempfile::tempdir().unwrap();
        let all_busy: Vec<LinkUsage> = usage()
            .into_iter()
            .map(|r| LinkUsage {
                utilisation: 1.0,
                ..r
            })
            .collect();
        let written =
            plot_link_utilisation(&all_busy, 4, dir.path(), &PlotOptions::default()).unwrap();
        let svg = std::fs::read_to_string(&written[0]).unwrap();
        for shown in 0..4 {
            assert!(
                svg.contains(&format!("\nc0.s{shown}.hub-&gt;")),
                "c0.s{shown}: {svg}"
            );
        }
        assert!(
            !svg.contains("c0.s10.hub-&gt;"),
            "c0.s10 sorts after c0.s9: {svg}"
        );
        assert!(svg.contains("12 links: min 100%"), "{svg}");
    }
}
