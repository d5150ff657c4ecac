//! The distribution of interactive latency per policy: end to end and felt TTFT.

use plotters::coord::combinators::{IntoLogRange, LogCoord};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::*;
use crate::engine::results::{LatencyCdf, RunResults};
use crate::report::format::count;

const WIDTH: u32 = 1000;
/// The height of the two panels with their axes.
const PANELS_H: i32 = 440;

/// The percentiles marked on each curve, with their markers.
const MARKS: [(f64, &str, Shape); 3] = [
    (0.50, "p50", Shape::Circle),
    (0.95, "p95", Shape::Triangle),
    (0.99, "p99", Shape::Square),
];

/// The cumulative distribution of end-to-end latency (left) and of the time to
/// first token the user feels (right), one curve per policy with interactive
/// traffic, x on a log scale; p50, p95 and p99 marked on each curve and listed
/// in a table above the panels.
pub fn latency(r: &RunResults) -> Result<String, ChartError> {
    let s = &r.scenario;
    let shown = r
        .policies
        .iter()
        .filter(|p| p.latency_cdf.is_some())
        .count();
    let skipped: Vec<&str> = r
        .policies
        .iter()
        .filter(|p| p.latency_cdf.is_none())
        .map(|p| p.name.as_str())
        .collect();
    let mut subtitles = vec![format!(
        "Share of interactive requests answered within a given time, over all {} replications of {} requests pooled (batch requests are not included). Markers: p50, p95 and p99 of each policy.",
        s.replications,
        count(s.requests as f64)
    )];
    if !skipped.is_empty() && shown > 0 {
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
    let marks = Legend {
        items: MARKS
            .iter()
            .map(|&(q, label, shape)| {
                (
                    Swatch::Marker(shape, MUTED, true),
                    format!("{label}: {}% of requests at or below", q * 100.0),
                )
            })
            .collect(),
    };
    let height = if shown == 0 {
        header.height() + 60
    } else {
        header.height()
            + (shown as i32 + 1) * LEGEND_ROW
            + 8
            + marks.height(WIDTH as i32 - 2 * PAD)?
            + 14
            + PANELS_H
            + 20
    };
    render((WIDTH, height as u32), |root| {
        draw(root, r, &header, &marks)
    })
}

/// `v` at the quantile nearest `q`.
fn at(cdf: &LatencyCdf, values: &[f64], q: f64) -> f64 {
    let i = (0..cdf.quantiles.len())
        .min_by(|&a, &b| {
            (cdf.quantiles[a] - q)
                .abs()
                .total_cmp(&(cdf.quantiles[b] - q).abs())
        })
        .unwrap_or(0);
    values.get(i).copied().unwrap_or(f64::NAN)
}

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

fn draw(root: &Area, r: &RunResults, header: &Header, marks: &Legend) -> Result<(), ChartError> {
    let shown: Vec<(usize, &LatencyCdf)> = r
        .policies
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.latency_cdf.as_ref().map(|c| (i, c)))
        .collect();
    header.draw(root)?;
    let mut top = header.height();
    if shown.is_empty() {
        root.draw_text(
            "No policy has interactive traffic, so there is no latency to show.",
            &anchored(text(AXIS_PX, MUTED), HPos::Left, VPos::Top),
            (PAD, top + 10),
        )?;
        return Ok(());
    }

    // The percentile table: one row per policy, one column per percentile.
    let style = text(LEGEND_PX, INK);
    let heads: Vec<String> = ["end to end", "felt TTFT"]
        .iter()
        .flat_map(|what| MARKS.iter().map(move |(_, p, _)| format!("{what} {p}")))
        .collect();
    let rows: Vec<(usize, Vec<String>)> = shown
        .iter()
        .map(|&(i, c)| {
            let cells = [&c.e2e_ms, &c.ttft_ms]
                .iter()
                .flat_map(|v| MARKS.iter().map(|(q, _, _)| ms(at(c, v, *q))))
                .collect();
            (i, cells)
        })
        .collect();
    // The value columns, right-aligned, after the names; long names are cut
    // so that the table fits.
    let mut widths = Vec::new();
    for (k, head) in heads.iter().enumerate() {
        let mut w = measure(head, &style)?.0;
        for (_, cells) in &rows {
            w = w.max(measure(&cells[k], &style)?.0);
        }
        widths.push(if k == MARKS.len() { 44 } else { 22 } + w);
    }
    let columns_w: i32 = widths.iter().sum();
    let room = WIDTH as i32 - 2 * PAD - SWATCH_W - 8 - columns_w;
    let mut names = Vec::new();
    let mut name_w = 0;
    for &(i, _) in &shown {
        let name = ellipsize(&r.policies[i].name, &style, room.max(80))?;
        name_w = name_w.max(measure(&name, &style)?.0);
        names.push(name);
    }
    let mut right = PAD + SWATCH_W + 8 + name_w;
    let mut col_x = Vec::new();
    for w in widths {
        right += w;
        col_x.push(right);
    }
    let y = top + LEGEND_ROW / 2;
    let head_style = anchored(text(LEGEND_PX, MUTED), HPos::Right, VPos::Center);
    for (head, x) in heads.iter().zip(&col_x) {
        root.draw_text(head, &head_style, (*x, y))?;
    }
    let value_style = anchored(style.clone(), HPos::Right, VPos::Center);
    let name_style = anchored(style, HPos::Left, VPos::Center);
    for (k, ((i, cells), name)) in rows.iter().zip(&names).enumerate() {
        let y = top + (k as i32 + 1) * LEGEND_ROW + LEGEND_ROW / 2;
        draw_swatch(root, Swatch::Line(color(*i)), (PAD, y))?;
        root.draw_text(name, &name_style, (PAD + SWATCH_W + 8, y))?;
        for (cell, x) in cells.iter().zip(&col_x) {
            root.draw_text(cell, &value_style, (*x, y))?;
        }
    }
    top += (rows.len() as i32 + 1) * LEGEND_ROW + 8;
    marks.draw(root, (PAD, top), WIDTH as i32 - 2 * PAD)?;
    top += marks.height(WIDTH as i32 - 2 * PAD)? + 14;

    let area = root.margin(top, 0, 0, 0);
    let area = area.shrink((0, 0), (WIDTH, PANELS_H as u32));
    let (left, right) = area.split_horizontally(WIDTH / 2);
    panel(
        root,
        &left,
        &shown,
        |c| &c.e2e_ms,
        "End-to-end latency",
        "End-to-end latency (ms, log scale)",
    )?;
    panel(
        root,
        &right,
        &shown,
        |c| &c.ttft_ms,
        "Felt time to first token",
        "Time to first token (ms, log scale)",
    )?;
    Ok(())
}

fn panel(
    root: &Area,
    area: &Area,
    shown: &[(usize, &LatencyCdf)],
    values: fn(&LatencyCdf) -> &Vec<f64>,
    title: &str,
    x_desc: &str,
) -> Result<(), ChartError> {
    let lo = shown
        .iter()
        .flat_map(|(_, c)| values(c).first().copied())
        .fold(f64::INFINITY, f64::min);
    let hi = shown
        .iter()
        .flat_map(|(_, c)| values(c).last().copied())
        .fold(f64::NEG_INFINITY, f64::max);
    let yt = Ticks::new(0.0, 1.0, 5);
    let y_labels: Vec<String> = yt.values.iter().map(|v| pct_tick(*v, 0)).collect();
    let y_area = y_label_width(&y_labels)?;
    let (margin_left, margin_right) = (PAD - 12, 38);
    let plot_w = area.dim_in_pixel().0 as i32 - margin_left - margin_right - y_area;
    let (a, b, ticks) = log_ticks(lo, hi, plot_w)?;

    area.draw_text(
        title,
        &anchored(bold(AXIS_PX, INK), HPos::Left, VPos::Top),
        (PAD, 0),
    )?;
    let mut chart = ChartBuilder::on(area)
        .margin_top(28)
        .margin_left(margin_left)
        .margin_right(margin_right)
        .x_label_area_size(50)
        .y_label_area_size(y_area)
        .build_cartesian_2d(
            Axis {
                inner: LogCoord::from((a..b).log_scale()),
                ticks,
            },
            yt.axis(),
        )?;
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .axis_style(AXIS)
        .label_style(text(TICK_PX, MUTED))
        .axis_desc_style(text(AXIS_PX, INK))
        .x_label_formatter(&|v| number(*v, 0))
        .y_label_formatter(&|v| pct_tick(*v, 0))
        .x_desc(x_desc)
        .y_desc("Requests at or below (%)")
        .draw()?;

    // Guides at the marked percentiles, named in the right margin.
    let (xr, _) = chart.plotting_area().get_pixel_range();
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

    for &(i, c) in shown {
        let v = values(c);
        let pts: Vec<(f64, f64)> = v
            .iter()
            .zip(&c.quantiles)
            .map(|(x, q)| (x.clamp(a, b), *q))
            .collect();
        chart.draw_series(LineSeries::new(pts, color(i).stroke_width(2)))?;
    }
    for &(i, c) in shown {
        let v = values(c);
        for (q, _, shape) in MARKS {
            let at = chart.backend_coord(&(at(c, v, q).clamp(a, b), q));
            draw_marker(root, at, shape, 5, color(i), true)?;
        }
    }
    Ok(())
}
