//! The distribution of interactive latency per policy: end to end and felt TTFT.

use plotters::coord::combinators::{IntoLogRange, LogCoord};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::*;
use crate::engine::results::{LatencyCdf, Percentiles, PolicyResult, RunResults};
use crate::report::format::count;
use crate::scenario::Targets;

const WIDTH: u32 = 1000;
/// The height of a panel's curves with its title, pixels.
const CDF_H: i32 = 360;
/// The height of a row of the percentile strip under each panel, pixels.
const STRIP_ROW: i32 = 14;
/// The room for the x axis under the strip, pixels.
const X_AREA: i32 = 50;
/// A table line, pixels.
const LINE: i32 = 17;
/// Two curves closer than this everywhere, pixels, look like one.
const SAME_CURVE_PX: f64 = 1.5;

/// The percentiles marked, with their markers.
const MARKS: [(f64, &str, Shape); 3] = [
    (0.50, "p50", Shape::Circle),
    (0.95, "p95", Shape::Triangle),
    (0.99, "p99", Shape::Square),
];

/// A policy with interactive traffic.
struct Shown<'a> {
    /// Its index among the run's policies (its color).
    i: usize,
    p: &'a PolicyResult,
    cdf: &'a LatencyCdf,
    e2e: &'a Percentiles,
    ttft: &'a Percentiles,
}

/// One of the two panels: what it plots and how.
struct Panel {
    title: &'static str,
    x_desc: &'static str,
    /// "" for end to end, "TTFT " for the TTFT panel: how a note names it.
    short: &'static str,
    /// The pooled curve.
    curve: fn(&Shown) -> Vec<f64>,
    /// The table's p50, p95, p99.
    marks: fn(&Shown) -> [f64; 3],
    /// A p95 target drawn on the panel.
    target: Option<f64>,
}

/// The x axis of a panel: its range, ticks and plot width, pixels.
struct XAxis {
    a: f64,
    b: f64,
    ticks: Vec<f64>,
    plot_w: i32,
}

impl XAxis {
    /// The pixel offset of `v` from the plot's left edge.
    fn px(&self, v: f64) -> f64 {
        self.plot_w as f64 * (v.clamp(self.a, self.b) / self.a).ln() / (self.b / self.a).ln()
    }
}

/// The cumulative distribution of end-to-end latency (left) and of the time to
/// first token the user feels (right), one curve per policy with interactive
/// traffic, pooled over every replication, x on a log scale. Above the panels, a
/// table of each policy's p50, p95 and p99 as the results table gives them (the
/// mean over replications ± its CI); under each panel, the same figures as
/// markers, a row per policy, so that close values do not pile up. A policy
/// whose curve lies under another's is named so in the table, and the curve on
/// top is dashed so that both show. The p95 target, if any, is a red line on
/// the end-to-end panel.
pub fn latency(r: &RunResults, targets: &Targets) -> Result<String, ChartError> {
    let s = &r.scenario;
    let shown: Vec<Shown> = r
        .policies
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            Some(Shown {
                i,
                p,
                cdf: p.latency_cdf.as_ref()?,
                e2e: p.e2e_latency_ms.as_ref()?,
                ttft: p.ttft_ms.as_ref()?,
            })
        })
        .collect();
    let skipped: Vec<&str> = r
        .policies
        .iter()
        .filter(|p| !shown.iter().any(|sh| std::ptr::eq(sh.p, *p)))
        .map(|p| p.name.as_str())
        .collect();
    let mut subtitles = vec![
        format!(
            "Share of interactive requests answered within a given time; each curve pools all {} replications of {} requests (batch requests are not included).",
            s.replications,
            count(s.requests as f64)
        ),
        format!(
            "The table and the markers under each panel give p50, p95 and p99 as the results table does: the mean over the replications of each one's percentile, ± its {}; the pooled curves can cross the guides slightly off them.",
            r.inputs.interval_name()
        ),
    ];
    if !skipped.is_empty() && !shown.is_empty() {
        subtitles.push(format!(
            "Not shown (no interactive traffic): {}.",
            skipped.join(", ")
        ));
    }
    let header = Header::new(
        WIDTH,
        format!("Latency of interactive requests: {}", s.name),
        &subtitles,
    )?;
    if shown.is_empty() {
        return render((WIDTH, (header.height() + 60) as u32), |root| {
            header.draw(root)?;
            root.draw_text(
                "No policy has interactive traffic, so there is no latency to show.",
                &anchored(text(AXIS_PX, MUTED), HPos::Left, VPos::Top),
                (PAD, header.height() + 10),
            )?;
            Ok(())
        });
    }

    let panels = [
        Panel {
            title: "End-to-end latency",
            x_desc: "End-to-end latency (ms, log scale)",
            short: "",
            curve: |s| s.cdf.e2e_ms.clone(),
            marks: |s| [s.e2e.p50.mean, s.e2e.p95.mean, s.e2e.p99.mean],
            target: targets.p95_latency_ms,
        },
        Panel {
            title: "Felt time to first token",
            x_desc: "Time to first token (ms, log scale)",
            short: "TTFT ",
            curve: |s| s.cdf.ttft_ms.clone(),
            marks: |s| [s.ttft.p50.mean, s.ttft.p95.mean, s.ttft.p99.mean],
            target: None,
        },
    ];
    let y_labels: Vec<String> = Ticks::new(0.0, 1.0, 5)
        .values
        .iter()
        .map(|v| pct_tick(*v, 0))
        .collect();
    let y_area = y_label_width(&y_labels)?;
    let mut axes = Vec::new();
    let mut under = Vec::new();
    for panel in &panels {
        let axis = x_axis(
            &shown,
            panel,
            WIDTH as i32 / 2 - MARGIN_L - MARGIN_R - y_area,
        )?;
        under.push(hidden(&shown, panel, &axis));
        axes.push(axis);
    }

    let table = Table::new(r, &shown, &panels, &under)?;
    let mut items: Vec<(Swatch, String)> = MARKS
        .iter()
        .map(|&(q, label, shape)| {
            (
                Swatch::Marker(shape, MUTED, true),
                format!("{label}: {}% of requests at or below", q * 100.0),
            )
        })
        .collect();
    if let Some(t) = targets.p95_latency_ms {
        items.push((
            Swatch::Dashed(TARGET),
            format!("p95 target ≤ {} (end to end)", ms(t)),
        ));
    }
    let marks = Legend { items };
    let legend_w = WIDTH as i32 - 2 * PAD;
    let strip_h = shown.len() as i32 * STRIP_ROW + 8;
    let panel_h = CDF_H + strip_h + X_AREA;
    let height = header.height() + table.height() + 8 + marks.height(legend_w)? + 14 + panel_h + 20;
    render((WIDTH, height as u32), |root| {
        header.draw(root)?;
        let mut top = header.height();
        table.draw(root, top)?;
        top += table.height() + 8;
        marks.draw(root, (PAD, top), legend_w)?;
        top += marks.height(legend_w)? + 14;
        let area = root.margin(top, 0, 0, 0);
        let area = area.shrink((0, 0), (WIDTH, panel_h as u32));
        let (left, right) = area.split_horizontally(WIDTH / 2);
        for (k, half) in [left, right].iter().enumerate() {
            draw_panel(
                root, half, &shown, &panels[k], &axes[k], &under[k], y_area, strip_h,
            )?;
        }
        Ok(())
    })
}

const MARGIN_L: i32 = PAD - 12;
const MARGIN_R: i32 = 38;

/// Log-scale ticks at 1, 2 and 5 × 10ⁿ, or fewer where their labels would not
/// fit in `width` pixels, and the range widened to the ticks just outside the
/// data.
fn log_ticks(lo: f64, hi: f64, width: i32) -> Result<(f64, f64, Vec<f64>), ChartError> {
    let lo = lo.max(1.0);
    let hi = hi.max(lo * 1.5);
    let style = text(TICK_PX, MUTED);
    let sets: [&[f64]; 3] = [&[1.0, 2.0, 5.0], &[1.0, 3.0], &[1.0]];
    let mut fallback = (lo, hi, vec![]);
    for (k, mantissas) in sets.into_iter().enumerate() {
        let candidates: Vec<f64> = (-1..9)
            .flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e)))
            .collect();
        let a = candidates.iter().copied().rfind(|v| *v <= lo).unwrap_or(lo);
        let b = candidates.iter().copied().find(|v| *v >= hi).unwrap_or(hi);
        let ticks: Vec<f64> = candidates
            .into_iter()
            .filter(|v| *v >= a && *v <= b)
            .collect();
        // Each pair of neighbours needs room for half of each label and a gap.
        let px = |v: f64| width as f64 * (v / a).ln() / (b / a).ln();
        let mut fits = true;
        for w in ticks.windows(2) {
            let half =
                (measure(&number(w[0], 0), &style)?.0 + measure(&number(w[1], 0), &style)?.0) / 2;
            if px(w[1]) - px(w[0]) < (half + 12) as f64 {
                fits = false;
            }
        }
        if k == 0 {
            fallback = (a, b, ticks.clone());
        }
        if fits {
            return Ok((a, b, ticks));
        }
    }
    Ok(fallback)
}

/// A panel's x axis: the curves, the marked figures and the target, on a plot
/// `plot_w` pixels wide.
fn x_axis(shown: &[Shown], panel: &Panel, plot_w: i32) -> Result<XAxis, ChartError> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for s in shown {
        for v in (panel.curve)(s).into_iter().chain((panel.marks)(s)) {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    if let Some(t) = panel.target {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    let (a, b, ticks) = log_ticks(lo, hi, plot_w)?;
    Ok(XAxis {
        a,
        b,
        ticks,
        plot_w,
    })
}

/// For each shown policy, the one drawn last whose curve covers its own on this
/// panel (everywhere within [`SAME_CURVE_PX`]): curves are drawn in order, so a
/// later one hides an earlier one.
fn hidden(shown: &[Shown], panel: &Panel, axis: &XAxis) -> Vec<Option<usize>> {
    let px: Vec<Vec<f64>> = shown
        .iter()
        .map(|s| (panel.curve)(s).iter().map(|v| axis.px(*v)).collect())
        .collect();
    (0..shown.len())
        .map(|k| {
            (k + 1..shown.len()).rev().find(|&j| {
                px[k].len() == px[j].len()
                    && px[k]
                        .iter()
                        .zip(&px[j])
                        .all(|(a, b)| (a - b).abs() <= SAME_CURVE_PX)
            })
        })
        .collect()
}

/// The table above the panels: a row per policy, its name (on two lines if
/// need be, and what hides its curve) and its six percentiles.
struct Table {
    heads: Vec<String>,
    /// The right edge of each value column, pixels.
    col_x: Vec<i32>,
    rows: Vec<Row>,
}

struct Row {
    color: RGBColor,
    name: Vec<String>,
    notes: Vec<String>,
    cells: Vec<String>,
}

impl Row {
    fn height(&self) -> i32 {
        ((self.name.len() + self.notes.len()) as i32 * LINE + 5).max(LEGEND_ROW)
    }
}

impl Table {
    fn new(
        r: &RunResults,
        shown: &[Shown],
        panels: &[Panel; 2],
        under: &[Vec<Option<usize>>],
    ) -> Result<Table, ChartError> {
        let style = text(LEGEND_PX, INK);
        let heads: Vec<String> = ["e2e", "TTFT"]
            .iter()
            .flat_map(|what| {
                MARKS
                    .iter()
                    .map(move |(_, p, _)| format!("{what} {p} (ms)"))
            })
            .collect();
        let cells: Vec<Vec<String>> = shown
            .iter()
            .map(|s| {
                [s.e2e, s.ttft]
                    .iter()
                    .flat_map(|l| [&l.p50, &l.p95, &l.p99])
                    .map(crate::report::format::ms)
                    .collect()
            })
            .collect();
        let mut widths = Vec::new();
        for (k, head) in heads.iter().enumerate() {
            let mut w = measure(head, &style)?.0;
            for row in &cells {
                w = w.max(measure(&row[k], &style)?.0);
            }
            widths.push(if k == MARKS.len() { 36 } else { 18 } + w);
        }
        let columns_w: i32 = widths.iter().sum();
        let room = (WIDTH as i32 - 2 * PAD - SWATCH_W - 8 - columns_w).max(120);
        let note_style = text(NOTE_PX, MUTED);
        let mut rows = Vec::new();
        let mut name_w = 0;
        for (k, (s, cells)) in shown.iter().zip(cells).enumerate() {
            let name = wrap_name(&s.p.name, &style, room, 2)?;
            // What hides this policy's curve, on one panel or both.
            let over: Vec<Option<usize>> = under.iter().map(|u| u[k]).collect();
            let note = match over[..] {
                [Some(a), Some(b)] if a == b => Some(format!(
                    "(under {}: the same curves)",
                    r.policies[shown[a].i].name
                )),
                _ => {
                    let parts: Vec<String> = over
                        .iter()
                        .zip(panels)
                        .filter_map(|(o, panel)| {
                            o.map(|j| {
                                format!("{}under {}", panel.short, r.policies[shown[j].i].name)
                            })
                        })
                        .collect();
                    (!parts.is_empty()).then(|| format!("({}: the same curve)", parts.join("; ")))
                }
            };
            let notes = match note {
                Some(n) => wrap_name(&n, &note_style, room, 2)?,
                None => vec![],
            };
            for l in &name {
                name_w = name_w.max(measure(l, &style)?.0);
            }
            for l in &notes {
                name_w = name_w.max(measure(l, &note_style)?.0);
            }
            rows.push(Row {
                color: color(s.i),
                name,
                notes,
                cells,
            });
        }
        let mut right = PAD + SWATCH_W + 8 + name_w;
        let mut col_x = Vec::new();
        for w in widths {
            right += w;
            col_x.push(right);
        }
        Ok(Table { heads, col_x, rows })
    }

    fn height(&self) -> i32 {
        LEGEND_ROW + self.rows.iter().map(Row::height).sum::<i32>()
    }

    fn draw(&self, root: &Area, top: i32) -> Result<(), ChartError> {
        let y = top + LEGEND_ROW / 2;
        let head_style = anchored(text(LEGEND_PX, MUTED), HPos::Right, VPos::Center);
        for (head, x) in self.heads.iter().zip(&self.col_x) {
            root.draw_text(head, &head_style, (*x, y))?;
        }
        let style = text(LEGEND_PX, INK);
        let value_style = anchored(style.clone(), HPos::Right, VPos::Center);
        let name_style = anchored(style, HPos::Left, VPos::Center);
        let note_style = anchored(text(NOTE_PX, MUTED), HPos::Left, VPos::Center);
        let mut y = top + LEGEND_ROW;
        for row in &self.rows {
            let first = y + LEGEND_ROW / 2;
            draw_swatch(root, Swatch::Line(row.color), (PAD, first))?;
            let lines = row
                .name
                .iter()
                .map(|l| (l, &name_style))
                .chain(row.notes.iter().map(|l| (l, &note_style)));
            for (k, (line, style)) in lines.enumerate() {
                root.draw_text(line, style, (PAD + SWATCH_W + 8, first + k as i32 * LINE))?;
            }
            for (cell, x) in row.cells.iter().zip(&self.col_x) {
                root.draw_text(cell, &value_style, (*x, first))?;
            }
            y += row.height();
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_panel(
    root: &Area,
    area: &Area,
    shown: &[Shown],
    panel: &Panel,
    axis: &XAxis,
    under: &[Option<usize>],
    y_area: i32,
    strip_h: i32,
) -> Result<(), ChartError> {
    let (a, b) = (axis.a, axis.b);
    let x_coord = || Axis {
        inner: LogCoord::from((a..b).log_scale()),
        ticks: axis.ticks.clone(),
    };
    let w = area.dim_in_pixel().0;
    let upper = area.clone().shrink((0, 0), (w, CDF_H as u32));
    let lower = area
        .clone()
        .shrink((0, CDF_H), (w, (strip_h + X_AREA) as u32));
    upper.draw_text(
        panel.title,
        &anchored(bold(AXIS_PX, INK), HPos::Left, VPos::Top),
        (PAD, 0),
    )?;

    // The curves: a log x axis without labels (the strip below carries them).
    let yt = Ticks::new(0.0, 1.0, 5);
    let mut chart = ChartBuilder::on(&upper)
        .margin_top(28)
        .margin_left(MARGIN_L)
        .margin_right(MARGIN_R)
        .x_label_area_size(0)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x_coord(), yt.axis())?;
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .axis_style(AXIS)
        .label_style(text(TICK_PX, MUTED))
        .axis_desc_style(text(AXIS_PX, INK))
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&|v| pct_tick(*v, 0))
        .y_desc("Requests at or below (%)")
        .draw()?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();

    // Guides at the marked percentiles, named in the right margin.
    for (q, label, _) in MARKS {
        let (_, y) = chart.backend_coord(&(a, q));
        root.draw(&DashedPathElement::new(
            vec![(xr.start, y), (xr.end, y)],
            3,
            4,
            AXIS.stroke_width(1),
        ))?;
        root.draw_text(
            label,
            &anchored(text(NOTE_PX, MUTED), HPos::Left, VPos::Center),
            (xr.end + 5, y),
        )?;
    }

    // A curve that covers another is dashed, so that the one beneath shows.
    let covers = |k: usize| under.contains(&Some(k));
    for (k, s) in shown.iter().enumerate() {
        let pts: Vec<(f64, f64)> = (panel.curve)(s)
            .iter()
            .zip(&s.cdf.quantiles)
            .map(|(x, q)| (x.clamp(a, b), *q))
            .collect();
        let c = color(s.i);
        if covers(k) {
            let px: Vec<(i32, i32)> = pts.iter().map(|p| chart.backend_coord(p)).collect();
            root.draw(&DashedPathElement::new(px, 7, 7, c.stroke_width(2)))?;
        } else {
            chart.draw_series(LineSeries::new(pts, c.stroke_width(2)))?;
        }
    }

    // The strip: each policy's p50, p95 and p99 on a row of its own.
    let n = shown.len();
    let mut strip = ChartBuilder::on(&lower)
        .margin_top(8)
        .margin_left(MARGIN_L)
        .margin_right(MARGIN_R)
        .x_label_area_size(X_AREA)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x_coord(), linear(0.0, n as f64, vec![]))?;
    strip
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(GRID)
        .axis_style(AXIS)
        .label_style(text(TICK_PX, MUTED))
        .axis_desc_style(text(AXIS_PX, INK))
        .x_label_formatter(&|v| number(*v, 0))
        .x_desc(panel.x_desc)
        .draw()?;
    for (k, s) in shown.iter().enumerate() {
        let y = (n - 1 - k) as f64 + 0.5;
        let c = color(s.i);
        let xs = (panel.marks)(s);
        let at: Vec<(i32, i32)> = xs
            .iter()
            .map(|x| strip.backend_coord(&(x.clamp(a, b), y)))
            .collect();
        root.draw(&PathElement::new(
            vec![at[0], at[2]],
            c.mix(0.6).stroke_width(2),
        ))?;
        for (p, (_, _, shape)) in at.iter().zip(MARKS) {
            draw_marker(root, *p, shape, 4, c, true)?;
        }
    }
    let (_, sr) = strip.plotting_area().get_pixel_range();

    // The target: a line through the curves and the strip.
    if let Some(t) = panel.target {
        let (x, _) = chart.backend_coord(&(t.clamp(a, b), 0.0));
        root.draw(&DashedPathElement::new(
            vec![(x, yr.start), (x, sr.end)],
            9,
            6,
            TARGET.stroke_width(2),
        ))?;
        let label = format!("p95 target {}", ms(t));
        let style = text(NOTE_PX, TARGET);
        let w = measure(&label, &style)?.0;
        let (lx, h_pos) = if x + 6 + w <= xr.end {
            (x + 6, HPos::Left)
        } else {
            (x - 6, HPos::Right)
        };
        root.draw_text(
            &label,
            &anchored(style, h_pos, VPos::Bottom),
            (lx, yr.end - 6),
        )?;
    }
    Ok(())
}
