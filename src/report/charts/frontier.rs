//! Cost against quality, one point per policy, with the Pareto front.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::*;
use crate::engine::results::{PolicyResult, RunResults};
use crate::report::format::count;
use crate::scenario::Targets;

const SIZE: (u32, u32) = (1000, 720);

/// Indices of the policies on the Pareto front, cheapest first: those that no
/// other policy dominates, on the means. One policy dominates another when it
/// costs no more and is no worse, and is cheaper or better (so a policy that
/// costs more for the same quality is off the front).
pub(super) fn pareto_front(policies: &[PolicyResult]) -> Vec<usize> {
    let key = |p: &PolicyResult| (p.cost_per_request.mean, p.quality.mean);
    let mut front: Vec<usize> = (0..policies.len())
        .filter(|&i| {
            let (c, q) = key(&policies[i]);
            !policies.iter().any(|o| {
                let (oc, oq) = key(o);
                oc <= c && oq >= q && (oc < c || oq > q)
            })
        })
        .collect();
    front.sort_by(|&a, &b| {
        let (ka, kb) = (key(&policies[a]), key(&policies[b]));
        ka.0.total_cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(a.cmp(&b))
    });
    front
}

/// Every policy as a point at (cost per request, quality) with 95% CI error bars
/// on both axes and its name; the Pareto front as a dashed staircase; the baseline
/// as a square. Markers are filled on the front and open off it, in the legend
/// as on the plot. The quality target, if any, is a red dashed line, or a note
/// at the axis's edge where it lies too far off the data to draw. A top axis
/// reads the cost as a monthly bill.
pub fn frontier(r: &RunResults, targets: &Targets) -> Result<String, ChartError> {
    render(SIZE, |root| draw(root, r, targets))
}

/// How far the quality axis stretches to take in the target: to at most this
/// many times the data's own span; a target farther off is noted, not drawn.
const STRETCH: f64 = 2.0;

fn draw(root: &Area, r: &RunResults, targets: &Targets) -> Result<(), ChartError> {
    let s = &r.scenario;
    let ps = &r.policies;
    let front = pareto_front(ps);
    let mut subtitles = vec![
        format!(
            "Each point is a policy's mean over {} replications × {} requests; whiskers show the {} on both axes (often inside the marker).",
            s.replications,
            count(s.requests as f64),
            r.inputs.interval_name()
        ),
        format!(
            "Dashed: the Pareto front, the policies no other matches or beats on both cost and quality. Pricing: {}, {}.",
            s.pricing_region, s.pricing_as_of
        ),
    ];
    if let Some(t) = targets.p95_latency_ms {
        subtitles.push(format!(
            "The p95 latency target (≤ {}) is drawn on the latency chart.",
            ms(t)
        ));
    }
    let header = Header::new(
        SIZE.0,
        format!("Cost vs quality by policy: {}", s.name),
        &subtitles,
    )?;
    header.draw(root)?;
    // The baseline's swatch as the plot draws it: filled only on the front.
    let baseline_on_front = ps
        .iter()
        .enumerate()
        .any(|(i, p)| p.baseline && front.contains(&i));
    let mut items = vec![
        (
            Swatch::Marker(Shape::Circle, MUTED, true),
            "policy on the Pareto front".into(),
        ),
        (
            Swatch::Marker(Shape::Circle, MUTED, false),
            "dominated policy".into(),
        ),
        (
            Swatch::Marker(Shape::Square, MUTED, baseline_on_front),
            format!(
                "baseline ({}), {}",
                s.baseline,
                if baseline_on_front {
                    "on the front"
                } else {
                    "dominated"
                }
            ),
        ),
        (Swatch::Dashed(INK), "Pareto front".into()),
    ];
    if ps.is_empty() {
        Legend { items }.draw(root, (PAD, header.height()), SIZE.0 as i32 - 2 * PAD)?;
        root.draw_text(
            "No policies to show.",
            &anchored(text(AXIS_PX, MUTED), HPos::Center, VPos::Center),
            (SIZE.0 as i32 / 2, SIZE.1 as i32 / 2),
        )?;
        return Ok(());
    }

    // Axes: the data with room for labels; cost from $0 unless that squashes it.
    let lo = ps
        .iter()
        .map(|p| p.cost_per_request.ci_low)
        .fold(f64::INFINITY, f64::min);
    let hi = ps
        .iter()
        .map(|p| p.cost_per_request.ci_high)
        .fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.12).max(hi.abs() * 0.02);
    let lo = if lo >= 0.0 && lo < 0.45 * hi {
        0.0
    } else {
        lo - pad
    };
    let xt = Ticks::new(lo, hi + pad, 7);
    let qlo = ps
        .iter()
        .map(|p| p.quality.ci_low)
        .fold(f64::INFINITY, f64::min);
    let qhi = ps
        .iter()
        .map(|p| p.quality.ci_high)
        .fold(f64::NEG_INFINITY, f64::max);
    // The quality target joins the axis when that does not squash the data.
    let span = qhi - qlo;
    let target = targets.quality;
    let (qlo, qhi) = match target {
        Some(t) if (qhi.max(t) - qlo.min(t)) <= STRETCH * span.max(0.01) => {
            (qlo.min(t), qhi.max(t))
        }
        _ => (qlo, qhi),
    };
    let qpad = ((qhi - qlo) * 0.15).max(0.005);
    let yt = clamp_ticks(Ticks::new(qlo - qpad, qhi + qpad, 6), 0.0, 1.0);
    let target_drawn = target.filter(|t| *t >= yt.lo && *t <= yt.hi);
    if let Some(t) = target_drawn {
        items.push((
            Swatch::Dashed(TARGET),
            format!("quality target ≥ {}", pct_tick(t, 1)),
        ));
    }
    let legend = Legend { items };
    let width = SIZE.0 as i32 - 2 * PAD;
    let top = header.height();
    legend.draw(root, (PAD, top), width)?;
    let top = top + legend.height(width)? + 14;
    let y_labels: Vec<String> = yt
        .values
        .iter()
        .map(|v| pct_tick(*v, pct_dec(&yt)))
        .collect();
    let monthly = s.monthly_requests;
    let mt = Ticks::new(xt.lo * monthly, xt.hi * monthly, 7);
    let m_points: Vec<f64> = mt
        .values
        .iter()
        .copied()
        .filter(|v| *v >= xt.lo * monthly - 1e-9 && *v <= xt.hi * monthly + 1e-9)
        .collect();

    let area = root.margin(top, 0, 12, 36);
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(54)
        .top_x_label_area_size(54)
        .y_label_area_size(y_label_width(&y_labels)?)
        .build_cartesian_2d(xt.axis(), yt.axis())?
        .set_secondary_coord(
            linear(xt.lo * monthly, xt.hi * monthly, m_points),
            linear(yt.lo, yt.hi, vec![]),
        );
    let xd = xt.decimals();
    let yd = pct_dec(&yt);
    let md = mt.decimals();
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .axis_style(AXIS)
        .label_style(text(TICK_PX, MUTED))
        .axis_desc_style(text(AXIS_PX, INK))
        .x_label_formatter(&|v| usd_tick(*v, xd))
        .y_label_formatter(&|v| pct_tick(*v, yd))
        .x_desc("Cost per request (USD)")
        .y_desc("Quality (answers correct, %)")
        .draw()?;
    chart
        .configure_secondary_axes()
        .axis_style(AXIS)
        .label_style(text(TICK_PX, MUTED))
        .axis_desc_style(text(AXIS_PX, INK))
        .x_label_formatter(&|v| usd_tick(*v, md))
        .x_desc(format!(
            "Monthly cost (USD, at {} requests a month)",
            count(monthly)
        ))
        .draw()?;

    let px = |c: f64, q: f64| chart.backend_coord(&(c, q));
    let mut avoid: Vec<PxBox> = Vec::new();
    let (xr, yr) = chart.plotting_area().get_pixel_range();

    // The quality target: a line, or where it lies off the axis, a note there.
    if let Some(t) = target {
        let style = text(NOTE_PX, TARGET);
        if target_drawn.is_some() {
            let (_, y) = px(xt.lo, t);
            root.draw(&DashedPathElement::new(
                vec![(xr.start, y), (xr.end, y)],
                9,
                6,
                TARGET.stroke_width(2),
            ))?;
            avoid.push((xr.start, y - 2, xr.end, y + 2));
            let label = format!("quality target ≥ {}", pct_tick(t, 1));
            let (w, h) = measure(&label, &style)?;
            // Above the line, or below it where the line runs along the top.
            let ly = if y - h - 4 > yr.start {
                y - h - 3
            } else {
                y + 3
            };
            root.draw_text(
                &label,
                &anchored(style, HPos::Right, VPos::Top),
                (xr.end - 6, ly),
            )?;
            avoid.push((xr.end - 6 - w, ly, xr.end - 6, ly + h));
        } else {
            let below = t < yt.lo;
            let note = if below {
                format!(
                    "▼ quality target ≥ {}: below this axis, which starts at {}",
                    pct_tick(t, 1),
                    pct_tick(yt.lo, pct_dec(&yt))
                )
            } else {
                format!(
                    "▲ quality target ≥ {}: above this axis, which ends at {}",
                    pct_tick(t, 1),
                    pct_tick(yt.hi, pct_dec(&yt))
                )
            };
            let (w, h) = measure(&note, &style)?;
            // Bottom right (expensive and poor is rarely where policies are),
            // or top left for a target above.
            let (x, y, h_pos) = if below {
                (xr.end - 6, yr.end - 6 - h, HPos::Right)
            } else {
                (xr.start + 6, yr.start + 6, HPos::Left)
            };
            root.draw_text(&note, &anchored(style, h_pos, VPos::Top), (x, y))?;
            let x0 = if below { x - w } else { x };
            avoid.push((x0, y, x0 + w, y + h));
        }
    }

    // The Pareto front: a staircase through its policies, cheapest first.
    let mut stair = Vec::new();
    for (k, &i) in front.iter().enumerate() {
        let p = &ps[i];
        if k > 0 {
            let prev = &ps[front[k - 1]];
            stair.push(px(p.cost_per_request.mean, prev.quality.mean));
        }
        stair.push(px(p.cost_per_request.mean, p.quality.mean));
    }
    for w in stair.windows(2) {
        avoid.push((
            w[0].0.min(w[1].0) - 2,
            w[0].1.min(w[1].1) - 2,
            w[0].0.max(w[1].0) + 2,
            w[0].1.max(w[1].1) + 2,
        ));
    }
    if stair.len() > 1 {
        root.draw(&DashedPathElement::new(stair, 8, 5, INK.stroke_width(2)))?;
    }

    // Error bars, then markers on top.
    for (i, p) in ps.iter().enumerate() {
        let (c, q) = (&p.cost_per_request, &p.quality);
        let style = color(i).stroke_width(2);
        // An interval that leaves the plot (a bootstrap quality interval can pass
        // 100%) is cut at its edge, without the end cap there.
        let (clo, chi) = (c.ci_low.max(xt.lo), c.ci_high.min(xt.hi));
        let (qlo, qhi) = (q.ci_low.max(yt.lo), q.ci_high.min(yt.hi));
        let (x0, y) = px(clo, q.mean);
        let (x1, _) = px(chi, q.mean);
        let (x, y0) = px(c.mean, qlo);
        let (_, y1) = px(c.mean, qhi);
        let lines = [
            (true, (x0, y), (x1, y)),
            (clo == c.ci_low, (x0, y - 5), (x0, y + 5)),
            (chi == c.ci_high, (x1, y - 5), (x1, y + 5)),
            (true, (x, y0), (x, y1)),
            (qlo == q.ci_low, (x - 5, y0), (x + 5, y0)),
            (qhi == q.ci_high, (x - 5, y1), (x + 5, y1)),
        ];
        for (_, a, b) in lines.into_iter().filter(|l| l.0) {
            root.draw(&PathElement::new(vec![a, b], style))?;
        }
        avoid.push((x0 - 1, y - 5, x1 + 1, y + 5));
        avoid.push((x - 5, y1 - 1, x + 5, y0 + 1));
    }
    for (i, p) in ps.iter().enumerate() {
        let at = px(p.cost_per_request.mean, p.quality.mean);
        let shape = if p.baseline {
            Shape::Square
        } else {
            Shape::Circle
        };
        draw_marker(root, at, shape, 8, color(i), front.contains(&i))?;
        avoid.push((at.0 - 9, at.1 - 9, at.0 + 9, at.1 + 9));
    }

    // Names beside the points, where they cover the least.
    let label_style = text(LEGEND_PX, INK);
    let all: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
    let names: Vec<String> = fit_names(&all, &label_style, 300)?
        .into_iter()
        .zip(ps)
        .map(|(name, p)| {
            if p.baseline {
                format!("{name} (baseline)")
            } else {
                name
            }
        })
        .collect();
    let mut wanted = Vec::new();
    for (p, name) in ps.iter().zip(&names) {
        let (w, h) = measure(name, &label_style)?;
        wanted.push((px(p.cost_per_request.mean, p.quality.mean), (w, h + 2)));
    }
    let bounds = (xr.start, yr.start, xr.end, yr.end);
    let spots = place_labels(&wanted, avoid, bounds, 12);
    let style = anchored(label_style, HPos::Left, VPos::Top);
    for (name, (x, y)) in names.iter().zip(spots) {
        root.draw_text(name, &style, (x, y + 1))?;
    }
    Ok(())
}
