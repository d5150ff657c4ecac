//! The tornado chart of a sensitivity analysis: for each headline figure, one
//! bar per uncertain input, from the figure with the input at its low end to the
//! figure at its high end (the other inputs at their midpoints), drawn about the
//! all-midpoints value and ranked by the swing of the figure the analysis ranks
//! by, the widest on top (Eschenbach, *Interfaces* 22(6), 1992). Every panel keeps
//! the same order of inputs, so that one row reads across the figures.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::*;
use crate::uncertain::sensitivity::{FIGURES, Figure, SensitivityResults};

const WIDTH: u32 = 1000;
/// One input's row, pixels.
const SLOT: i32 = 34;
/// A panel's height beyond its rows: its title and x axis.
const PANEL_EXTRA: i32 = 34 + 52;
/// The widest input label drawn in full, pixels.
const MAX_NAME_W: i32 = 300;
/// The colours of the low and the high end.
const LOW: RGBColor = PALETTE[0];
const HIGH: RGBColor = PALETTE[1];

/// The file of the tornado chart, named after `stem`.
pub fn tornado_chart_name(stem: &str) -> String {
    format!("{stem}-tornado.svg")
}

fn tick_label(f: Figure, v: f64, t: &Ticks) -> String {
    match f {
        Figure::Cost => usd_tick(v, t.decimals()),
        Figure::Quality | Figure::Saving => pct_tick(v, pct_dec(t)),
        Figure::P95 => number(v, t.decimals()),
    }
}

fn axis_title(f: Figure) -> &'static str {
    match f {
        Figure::Cost => "Cost per request (USD)",
        Figure::Quality => "Delivered quality",
        Figure::P95 => "Interactive end-to-end p95 latency (ms)",
        Figure::Saving => "Saving against the baseline",
    }
}

/// The tornado chart: a panel per headline figure the policy has.
pub fn tornado(r: &SensitivityResults) -> Result<String, ChartError> {
    let s = &r.scenario;
    let figures: Vec<Figure> = FIGURES
        .iter()
        .copied()
        .filter(|f| r.at_mid[f.index()].is_some())
        .filter(|f| !(*f == Figure::Saving && r.policy == s.baseline))
        .collect();
    let header = Header::new(
        WIDTH,
        format!("Which guess matters: {} ({})", r.policy, s.name),
        &[
            r.advice.clone(),
            format!(
                "Each bar: the figure with one input at its low end (blue) and at its high end (orange), the other inputs at their midpoints; the line is every input at its midpoint. Ranked by the swing of the {}. {} replications of {} requests, the same requests at every setting; the swings' Monte Carlo noise is in the table.",
                r.ranked_by.name(),
                s.replications,
                crate::numfmt::count(s.requests as f64),
            ),
        ],
    )?;
    let legend = Legend {
        items: vec![
            (Swatch::Block(LOW), "input at its low end".to_string()),
            (Swatch::Block(HIGH), "input at its high end".to_string()),
            (Swatch::Line(INK), "every input at its midpoint".to_string()),
        ],
    };
    let legend_h = legend.height(WIDTH as i32 - 2 * PAD)?;
    let n = r.inputs.len().max(1) as i32;
    let panel_h = PANEL_EXTRA + n * SLOT;
    let height = header.height() + legend_h + 8 + figures.len() as i32 * (panel_h + 12) + 16;
    render((WIDTH, height as u32), |root| {
        header.draw(root)?;
        legend.draw(root, (PAD, header.height()), WIDTH as i32 - 2 * PAD)?;
        let mut top = header.height() + legend_h + 8;
        for f in &figures {
            let area = root.clone().shrink((0, top), (WIDTH, panel_h as u32));
            panel(root, &area, r, *f)?;
            top += panel_h + 12;
        }
        Ok(())
    })
}

fn panel(root: &Area, area: &Area, r: &SensitivityResults, f: Figure) -> Result<(), ChartError> {
    let i = f.index();
    let title = if f == r.ranked_by {
        format!("{} (ranked by this)", axis_title(f))
    } else {
        axis_title(f).to_string()
    };
    area.draw_text(
        &title,
        &anchored(bold(AXIS_PX, INK), HPos::Left, VPos::Top),
        (PAD, 4),
    )?;
    let mid = r.at_mid[i].map_or(0.0, |e| e.mean);
    let n = r.inputs.len();
    let tick = text(TICK_PX, MUTED);
    let all: Vec<&str> = r.inputs.iter().map(|w| w.input.as_str()).collect();
    let names = fit_names(&all, &tick, MAX_NAME_W)?;
    let mut name_w = 0;
    for name in &names {
        name_w = name_w.max(measure(name, &tick)?.0);
    }
    let ends: Vec<(f64, f64)> = r
        .inputs
        .iter()
        .map(|w| {
            (
                w.at_low[i].map_or(mid, |e| e.mean),
                w.at_high[i].map_or(mid, |e| e.mean),
            )
        })
        .collect();
    let (lo, hi) = ends.iter().fold((mid, mid), |(a, b), (l, h)| {
        (a.min(*l).min(*h), b.max(*l).max(*h))
    });
    // Room either side for the value labels.
    let pad = ((hi - lo) * 0.22).max(mid.abs() * 1e-3).max(1e-12);
    let mut t = Ticks::new(lo - pad, hi + pad, 6);
    if matches!(f, Figure::Quality) {
        t = clamp_ticks(t, 0.0, 1.0);
    }
    let y_axis = linear(-0.5, n as f64 - 0.5, (0..n).map(|k| k as f64).collect());
    let name_of = |v: &f64| {
        let k = v.round() as usize;
        names
            .get(n.wrapping_sub(1).wrapping_sub(k))
            .cloned()
            .unwrap_or_default()
    };
    let mut chart = ChartBuilder::on(area)
        .margin_top(30)
        .margin_left(PAD - 12)
        .margin_right(PAD + 30)
        .x_label_area_size(48)
        .y_label_area_size(name_w + 16)
        .build_cartesian_2d(t.axis(), y_axis)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(GRID)
        .axis_style(AXIS)
        .label_style(tick.clone())
        .x_label_formatter(&|v| tick_label(f, *v, &t))
        .y_label_formatter(&name_of)
        .draw()?;
    let label = text(NOTE_PX, INK);
    for (k, (l, h)) in ends.iter().enumerate() {
        let y = (n - 1 - k) as f64;
        if l == h && *l == mid {
            // No bar: the input does not move this figure at all.
            let (x, yc) = chart.backend_coord(&(mid, y));
            root.draw_text(
                "no effect",
                &anchored(text(NOTE_PX, MUTED), HPos::Left, VPos::Center),
                (x + 6, yc),
            )?;
            continue;
        }
        for (v, c) in [(*l, LOW), (*h, HIGH)] {
            if v == mid {
                continue;
            }
            let a = chart.backend_coord(&(mid, y + 0.3));
            let b = chart.backend_coord(&(v, y - 0.3));
            root.draw(&Rectangle::new([a, b], c.filled()))?;
        }
        // The values at the bar's two ends, outside it.
        let (left, right) = if l <= h { (*l, *h) } else { (*h, *l) };
        let (xl, yc) = chart.backend_coord(&(left.min(mid), y));
        let (xr, _) = chart.backend_coord(&(right.max(mid), y));
        root.draw_text(
            &f.show(left),
            &anchored(label.clone(), HPos::Right, VPos::Center),
            (xl - 5, yc),
        )?;
        root.draw_text(
            &f.show(right),
            &anchored(label.clone(), HPos::Left, VPos::Center),
            (xr + 5, yc),
        )?;
    }
    let (x, _) = chart.backend_coord(&(mid, 0.0));
    let (_, yr) = chart.plotting_area().get_pixel_range();
    root.draw(&PathElement::new(
        vec![(x, yr.start), (x, yr.end)],
        INK.stroke_width(2),
    ))?;
    Ok(())
}
