//! Where each policy's money goes: stacked bars by kind of charge and by model.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::*;
use crate::engine::results::{ModelCost, PolicyResult, RunResults};
use crate::report::format::count;

const WIDTH: u32 = 1000;
/// The height of one policy's bar slot, pixels.
const SLOT: i32 = 46;
/// A panel's height beyond its bars: title, x axis.
const PANEL_EXTRA: i32 = 34 + 58;
/// The widest policy name drawn in full, pixels; a longer one loses its middle.
const MAX_NAME_W: i32 = 260;

/// The kinds of charge, in stacking order, with their colors.
const KINDS: [(&str, RGBColor); 5] = [
    ("input", PALETTE[0]),
    ("output", PALETTE[1]),
    ("cache read", PALETTE[5]),
    ("cache write", PALETTE[7]),
    ("extra calls", PALETTE[9]),
];

fn kind_values(m: &ModelCost) -> [f64; 5] {
    [
        m.input,
        m.output,
        m.cache_read,
        m.cache_write,
        m.extra_calls,
    ]
}

/// Models take the colors the kinds of charge leave free first, so that the
/// two panels do not seem to share a key.
fn model_color(i: usize) -> RGBColor {
    const ORDER: [usize; 10] = [2, 3, 4, 6, 8, 0, 1, 5, 7, 9];
    PALETTE[ORDER[i % ORDER.len()]]
}

/// One bar's segments, USD per 1,000 requests, in the order of the legend.
struct Bars {
    legend: Vec<(String, RGBColor)>,
    /// Per policy, one value per legend entry.
    values: Vec<Vec<f64>>,
}

fn by_kind(ps: &[PolicyResult]) -> Bars {
    Bars {
        legend: KINDS.iter().map(|(k, c)| (k.to_string(), *c)).collect(),
        values: ps
            .iter()
            .map(|p| {
                (0..KINDS.len())
                    .map(|k| {
                        p.cost_by_model
                            .iter()
                            .map(|m| kind_values(m)[k] * 1000.0)
                            .sum()
                    })
                    .collect()
            })
            .collect(),
    }
}

fn by_model(ps: &[PolicyResult]) -> Bars {
    let mut models: Vec<&str> = Vec::new();
    for m in ps.iter().flat_map(|p| &p.cost_by_model) {
        if !models.contains(&m.model.as_str()) {
            models.push(&m.model);
        }
    }
    Bars {
        legend: models
            .iter()
            .enumerate()
            .map(|(i, m)| (m.to_string(), model_color(i)))
            .collect(),
        values: ps
            .iter()
            .map(|p| {
                models
                    .iter()
                    .map(|name| {
                        p.cost_by_model
                            .iter()
                            .filter(|m| m.model == *name)
                            .map(|m| m.total * 1000.0)
                            .sum()
                    })
                    .collect()
            })
            .collect(),
    }
}

/// One stacked bar per policy of the mean cost per 1,000 requests: by kind of
/// charge (input, output, cache read, cache write, extra calls) in the upper
/// panel and by model in the lower one, legends beside the bars. Each bar ends
/// in its total with the 95% CI and the monthly bill.
pub fn breakdown(r: &RunResults) -> Result<String, ChartError> {
    let s = &r.scenario;
    let header = Header::new(
        WIDTH,
        format!("Where the money goes: {}", s.name),
        &[format!(
            "Mean cost per 1,000 requests over {} replications of {} requests, split by kind of charge and by model; at each bar's end the total with its {} (whisker) and the bill at {} requests a month. Pricing {} as of {}.",
            s.replications,
            count(s.requests as f64),
            r.inputs.interval_name(),
            count(s.monthly_requests),
            s.pricing_region,
            s.pricing_as_of
        )],
    )?;
    let (mut kinds, mut models) = (by_kind(&r.policies), by_model(&r.policies));
    // Commitments ([capacity]) bill a fixed part that no model's calls carry:
    // a segment of its own, in both panels, so each bar ends at its total.
    if r.policies.iter().any(|p| p.capacity.is_some()) {
        for bars in [&mut kinds, &mut models] {
            bars.legend
                .push(("commitments (fixed)".to_string(), RGBColor(140, 140, 140)));
            for (values, p) in bars.values.iter_mut().zip(&r.policies) {
                values.push(
                    p.capacity
                        .as_ref()
                        .map_or(0.0, |c| c.fixed_per_request * 1000.0),
                );
            }
        }
    }
    let n = r.policies.len().max(1) as i32;
    // Tall enough for the bars and for the legend beside them.
    let panel_h = |b: &Bars| PANEL_EXTRA + (n * SLOT).max(b.legend.len() as i32 * LEGEND_ROW + 8);
    let (upper_h, lower_h) = (panel_h(&kinds), panel_h(&models));
    let height = header.height() + 8 + upper_h + 16 + lower_h + 24;
    render((WIDTH, height as u32), |root| {
        header.draw(root)?;
        let top = header.height() + 8;
        let upper = root.clone().shrink((0, top), (WIDTH, upper_h as u32));
        let lower = root
            .clone()
            .shrink((0, top + upper_h + 16), (WIDTH, lower_h as u32));
        // Both panels share one scale, so their bars compare.
        let max_total = r
            .policies
            .iter()
            .map(|p| p.cost_per_1k.ci_high)
            .fold(0.0, f64::max);
        let legend_w = [&kinds, &models]
            .iter()
            .flat_map(|b| &b.legend)
            .map(|(l, _)| measure(l, &text(LEGEND_PX, INK)).map(|(w, _)| w))
            .try_fold(0, |a, w| w.map(|w| a.max(w)))?
            + SWATCH_W
            + 8
            + 2 * PAD;
        for (area, bars, title) in [
            (&upper, &kinds, "By kind of charge"),
            (&lower, &models, "By model"),
        ] {
            panel(root, area, r, bars, title, max_total, legend_w)?;
        }
        Ok(())
    })
}

fn panel(
    root: &Area,
    area: &Area,
    r: &RunResults,
    bars: &Bars,
    title: &str,
    max_total: f64,
    legend_w: i32,
) -> Result<(), ChartError> {
    let ps = &r.policies;
    let n = ps.len();
    area.draw_text(
        title,
        &anchored(bold(AXIS_PX, INK), HPos::Left, VPos::Top),
        (PAD, 4),
    )?;
    let tick = text(TICK_PX, MUTED);
    let all: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
    let names = fit_names(&all, &tick, MAX_NAME_W)?;
    let mut name_w = 0;
    for name in &names {
        name_w = name_w.max(measure(name, &tick)?.0);
    }
    let y_area = name_w + 20 + AXIS_PX as i32 + 8;
    let (margin_left, margin_right) = (PAD - 12, legend_w);
    let plot_w = area.dim_in_pixel().0 as i32 - margin_left - margin_right - y_area;

    // Room at the bars' ends for their totals.
    let labels: Vec<String> = ps
        .iter()
        .map(|p| {
            format!(
                "{} ± {} · {}/month",
                usd(p.cost_per_1k.mean),
                number(p.cost_per_1k.half_width(), decimals_of(p.cost_per_1k.mean)),
                usd_tick(p.cost_per_month.mean, 0)
            )
        })
        .collect();
    let mut label_w = 0;
    for l in &labels {
        label_w = label_w.max(measure(l, &text(NOTE_PX, INK))?.0);
    }
    let room = (plot_w - label_w - 20).max(plot_w / 3) as f64;
    let xt = Ticks::new(0.0, max_total.max(1e-9) * plot_w as f64 / room, 6);
    let xd = xt.decimals();
    let y_axis = linear(-0.5, n as f64 - 0.5, (0..n).map(|i| i as f64).collect());
    let name_of = |v: &f64| {
        let i = v.round() as usize;
        names
            .get(n.wrapping_sub(1).wrapping_sub(i))
            .cloned()
            .unwrap_or_default()
    };
    let mut chart = ChartBuilder::on(area)
        .margin_top(34)
        .margin_left(margin_left)
        .margin_right(margin_right)
        .x_label_area_size(52)
        .y_label_area_size(y_area)
        .build_cartesian_2d(xt.axis(), y_axis)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(GRID)
        .axis_style(AXIS)
        .label_style(tick.clone())
        .axis_desc_style(text(AXIS_PX, INK))
        .x_label_formatter(&|v| usd_tick(*v, xd))
        .y_label_formatter(&name_of)
        .x_desc("Cost per 1,000 requests (USD, mean)")
        .y_desc("Policy")
        .draw()?;

    for (i, (p, values)) in ps.iter().zip(&bars.values).enumerate() {
        let y = (n - 1 - i) as f64;
        let mut x = 0.0;
        for (v, (_, c)) in values.iter().zip(&bars.legend) {
            if *v <= 0.0 {
                continue;
            }
            let a = chart.backend_coord(&(x, y + 0.32));
            let b = chart.backend_coord(&(x + v, y - 0.32));
            root.draw(&Rectangle::new([a, b], c.filled()))?;
            root.draw(&Rectangle::new([a, b], WHITE.stroke_width(1)))?;
            x += v;
        }
        // The total's CI as a whisker, then the label.
        let e = &p.cost_per_1k;
        let (x0, yc) = chart.backend_coord(&(e.ci_low, y));
        let (x1, _) = chart.backend_coord(&(e.ci_high, y));
        for (a, b) in [
            ((x0, yc), (x1, yc)),
            ((x0, yc - 6), (x0, yc + 6)),
            ((x1, yc - 6), (x1, yc + 6)),
        ] {
            root.draw(&PathElement::new(vec![a, b], INK.stroke_width(1)))?;
        }
        let (xe, _) = chart.backend_coord(&(x.max(e.ci_high), y));
        root.draw_text(
            &labels[i],
            &anchored(text(NOTE_PX, INK), HPos::Left, VPos::Center),
            (xe + 8, yc),
        )?;
    }

    // The legend beside the bars, top to bottom in stacking order.
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let style = anchored(text(LEGEND_PX, INK), HPos::Left, VPos::Center);
    for (k, (label, c)) in bars.legend.iter().enumerate() {
        let (x, y) = (
            xr.end + PAD,
            yr.start + k as i32 * LEGEND_ROW + LEGEND_ROW / 2,
        );
        draw_swatch(root, Swatch::Block(*c), (x, y))?;
        root.draw_text(label, &style, (x + SWATCH_W + 8, y))?;
    }
    Ok(())
}

/// Decimals of the dollar amount `v` shown with about four significant digits.
fn decimals_of(v: f64) -> usize {
    if v == 0.0 || !v.is_finite() {
        2
    } else {
        (3 - v.abs().log10().floor() as i64).clamp(2, 9) as usize
    }
}
