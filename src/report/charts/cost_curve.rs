//! A sweep's cost curve, with quality and escalation beneath it.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::*;
use crate::report::format::count;
use crate::stats::Estimate;
use crate::sweep::{Check, SweepPoint};

const WIDTH: u32 = 1000;
const UPPER_H: i32 = 330;
const LOWER_H: i32 = 270;
const X_AREA: i32 = 54;

/// A swept value as people write it: `0.35`, not `0.35000000000000003`.
fn value(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (6 - v.abs().log10().ceil() as i32).clamp(0, 12) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// One line of the chart: the points sharing the values of every parameter but
/// the first, in order of the first.
struct Series<'a> {
    label: Option<String>,
    points: Vec<(usize, &'a SweepPoint)>,
}

fn series<'a>(s: &'a SweepResults) -> Vec<Series<'a>> {
    let mut out: Vec<(Vec<u64>, Series)> = Vec::new();
    for (i, p) in s.points.iter().enumerate() {
        let key: Vec<u64> = p.values.iter().skip(1).map(|v| v.to_bits()).collect();
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, series)) => series.points.push((i, p)),
            None => {
                let label = (p.values.len() > 1).then(|| {
                    s.params
                        .iter()
                        .zip(&p.values)
                        .skip(1)
                        .map(|(name, v)| format!("{name} = {}", value(*v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                });
                out.push((
                    key,
                    Series {
                        label,
                        points: vec![(i, p)],
                    },
                ));
            }
        }
    }
    let mut out: Vec<Series> = out.into_iter().map(|(_, s)| s).collect();
    for s in &mut out {
        s.points
            .sort_by(|a, b| x_of(a.1).total_cmp(&x_of(b.1)).then(a.0.cmp(&b.0)));
    }
    out
}

fn x_of(p: &SweepPoint) -> f64 {
    p.values.first().copied().unwrap_or(0.0)
}

/// How the recommendation's p95 latency stands against its (upper) target.
fn latency_words(c: Check) -> &'static str {
    match c {
        Check::Clears => "met (95% CI entirely below)",
        Check::Straddles => "not proven (95% CI straddles it)",
        Check::Misses => "missed (95% CI entirely above)",
        Check::Unknown => "unknown (no interactive traffic)",
    }
}

/// What the subtitle says about the targets and the recommendation.
fn subtitles(s: &SweepResults) -> Vec<String> {
    let sc = &s.scenario;
    let mut out = vec![format!(
        "Policy {} at {} setting{} of {}; each is the mean of {} replications × {} requests, {} shaded. Right axis: the monthly bill at {} requests/month.",
        s.policy,
        s.points.len(),
        if s.points.len() == 1 { "" } else { "s" },
        s.params.join(" × "),
        sc.replications,
        count(sc.requests as f64),
        s.inputs.interval_name(),
        count(sc.monthly_requests)
    )];
    let rec = s.recommendation.point.and_then(|i| s.points.get(i));
    let mut targets = Vec::new();
    if let Some(q) = s.targets.quality {
        targets.push(format!("quality ≥ {} (red dashed line)", pct_tick(q, 1)));
    }
    if let Some(t) = s.targets.p95_latency_ms {
        let status = match rec {
            Some(p) => match (p.verdict.p95_latency, &p.result.e2e_latency_ms) {
                (Some(c), Some(l)) => format!(
                    "{} at the recommendation (p95 {} ± {} ms)",
                    latency_words(c),
                    number(l.p95.mean, 0),
                    number(l.p95.half_width(), 0)
                ),
                (Some(c), None) => format!("{} at the recommendation", latency_words(c)),
                (None, _) => "not checked".into(),
            },
            None => {
                let met = s
                    .points
                    .iter()
                    .filter(|p| p.verdict.p95_latency == Some(Check::Clears))
                    .count();
                format!("met by {met} of {} settings", s.points.len())
            }
        };
        targets.push(format!("p95 latency ≤ {} (not drawn): {status}", ms(t)));
    }
    // A class's own targets ([targets.CLASS]) are judged but not drawn.
    for c in &s.targets.classes {
        let mut own = Vec::new();
        if let Some(q) = c.quality {
            own.push(format!("quality ≥ {}", pct_tick(q, 1)));
        }
        if let Some(t) = c.p95_latency_ms {
            own.push(format!("p95 latency ≤ {}", ms(t)));
        }
        targets.push(format!("class {}: {} (not drawn)", c.class, own.join(", ")));
    }
    out.push(if targets.is_empty() {
        "No [targets] set, so no setting is recommended.".into()
    } else {
        format!("Targets: {}.", targets.join("; "))
    });
    match rec {
        Some(p) => {
            let r = &p.result;
            out.push(format!(
                "Recommended (starred): {}, the cheapest setting meeting every target: {} per request ({}/month), quality {}, escalation {}.",
                p.label,
                usd(r.cost_per_request.mean),
                usd(r.cost_per_month.mean),
                pct_est(&r.quality),
                pct_est(&r.escalation_rate)
            ));
        }
        None if !targets.is_empty() => {
            let why = s
                .recommendation
                .message
                .trim_start_matches("no setting meets the targets: ");
            let end = if why.ends_with('.') { "" } else { "." };
            out.push(format!("No recommendation: {why}{end}"));
        }
        None => {}
    }
    out
}

/// `97.2% ± 0.1`, or `97.21% ± 0.04` where the CI is narrow, or both sides of
/// an asymmetric one: the tables' format.
fn pct_est(e: &Estimate) -> String {
    crate::report::format::pct(e)
}

/// Cost per request (mean and 95% CI band) against the first swept parameter, one
/// line per combination of the others; the monthly bill on the right axis.
/// Beneath, on the same x: quality (left axis) and escalation rate (right axis)
/// with their bands, the quality target as a dashed line. The recommended
/// setting is starred on both panels and joined by a dashed vertical line.
pub fn cost_curve(s: &SweepResults) -> Result<String, ChartError> {
    let lines = series(s);
    let rec = s
        .recommendation
        .point
        .filter(|&i| i < s.points.len())
        .map(|i| (i, &s.points[i]));
    let header = Header::new(
        WIDTH,
        format!(
            "Cost, quality and escalation vs {}: {}",
            short_param(s.params.first().map_or("setting", |p| p.as_str())),
            s.scenario.name
        ),
        &subtitles(s),
    )?;
    let single = lines.len() <= 1;
    // Colors: one per line; with a single line, quality and escalation differ.
    let (quality_color, escalation_color) = if single {
        (color(0), color(1))
    } else {
        (INK, INK)
    };
    let mut upper_items: Vec<(Swatch, String)> = if single {
        vec![(
            Swatch::Band(color(0)),
            "cost per request: mean and 95% CI".into(),
        )]
    } else {
        lines
            .iter()
            .enumerate()
            .map(|(k, l)| (Swatch::Band(color(k)), l.label.clone().unwrap_or_default()))
            .collect()
    };
    if let Some((i, _)) = rec {
        let k = lines
            .iter()
            .position(|l| l.points.iter().any(|(j, _)| *j == i))
            .unwrap_or(0);
        upper_items.push((Swatch::Star(color(k)), "recommended setting".into()));
    }
    let upper_legend = Legend { items: upper_items };
    let mut lower_items = vec![
        (
            Swatch::Band(quality_color),
            "quality, mean and 95% CI (left axis)".to_string(),
        ),
        (
            Swatch::DashedBand(escalation_color),
            "escalation rate, mean and 95% CI (right axis)".to_string(),
        ),
    ];
    if let Some(q) = s.targets.quality {
        lower_items.push((
            Swatch::Dashed(TARGET),
            format!("quality target ≥ {}", pct_tick(q, 1)),
        ));
    }
    let lower_legend = Legend { items: lower_items };
    let legend_w = WIDTH as i32 - 2 * PAD;
    let rec_strip = if rec.is_some() { 32 } else { 14 };
    let upper_top = header.height() + upper_legend.height(legend_w)? + rec_strip;
    let lower_legend_top = upper_top + UPPER_H + 22;
    let lower_top = lower_legend_top + lower_legend.height(legend_w)? + 6;
    let height = lower_top + LOWER_H + X_AREA + 14;

    render((WIDTH, height as u32), |root| {
        header.draw(root)?;
        upper_legend.draw(root, (PAD, header.height()), legend_w)?;
        lower_legend.draw(root, (PAD, lower_legend_top), legend_w)?;
        if s.points.is_empty() {
            root.draw_text(
                "The sweep has no points.",
                &anchored(text(AXIS_PX, MUTED), HPos::Left, VPos::Top),
                (PAD, upper_top + 10),
            )?;
            return Ok(());
        }
        let ctx = Ctx {
            root,
            s,
            lines: &lines,
            rec,
            quality_color,
            escalation_color,
        };
        ctx.draw(upper_top, lower_top)
    })
}

struct Ctx<'a, 'b> {
    root: &'a Area<'b>,
    s: &'a SweepResults,
    lines: &'a [Series<'a>],
    rec: Option<(usize, &'a SweepPoint)>,
    quality_color: RGBColor,
    escalation_color: RGBColor,
}

/// The data range of some estimates, CIs included.
fn extent<'a>(es: impl Iterator<Item = &'a Estimate>) -> (f64, f64) {
    es.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), e| {
        (lo.min(e.ci_low), hi.max(e.ci_high))
    })
}

/// A y axis and its secondary, on the same pixels.
struct Scales {
    left: Ticks,
    right: Ticks,
    /// The secondary range, which may be narrower than its ticks'.
    right_range: (f64, f64),
}

impl Scales {
    /// The left-axis value drawn where `v` is on the right axis.
    fn to_left(&self, v: f64) -> f64 {
        let (a, b) = self.right_range;
        self.left.lo + (v - a) / (b - a) * (self.left.hi - self.left.lo)
    }
}

impl Ctx<'_, '_> {
    fn points(&self) -> impl Iterator<Item = &SweepPoint> {
        self.s.points.iter()
    }

    fn draw(&self, upper_top: i32, lower_top: i32) -> Result<(), ChartError> {
        let s = self.s;
        let root = self.root;
        let monthly = s.scenario.monthly_requests;

        // x: the first parameter.
        let (xlo, xhi) = self
            .points()
            .map(x_of)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            });
        // The data's range, a little wider, with round ticks inside it.
        let xpad = if xhi > xlo {
            (xhi - xlo) * 0.03
        } else {
            xlo.abs().max(1.0) * 0.1
        };
        let (xlo, xhi) = (xlo - xpad, xhi + xpad);
        let xt = clamp_ticks(Ticks::new(xlo, xhi, 8), xlo, xhi);
        let xd = xt.decimals();

        // Upper: cost, left per request, right per month.
        let (lo, hi) = extent(self.points().map(|p| &p.result.cost_per_request));
        let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.01);
        let lo = if lo >= 0.0 && lo < 0.45 * hi {
            0.0
        } else {
            lo - pad
        };
        let cost = Ticks::new(lo, hi + pad, 6);
        let m_range = (cost.lo * monthly, cost.hi * monthly);
        let mut month = Ticks::new(m_range.0, m_range.1, 6);
        month
            .values
            .retain(|v| *v >= m_range.0 - 1e-9 && *v <= m_range.1 + 1e-9);
        let cost = Scales {
            left: cost,
            right: month,
            right_range: m_range,
        };

        // Lower: quality left, escalation right.
        let (qlo, qhi) = extent(self.points().map(|p| &p.result.quality));
        let (qlo, qhi) = match s.targets.quality {
            Some(t) => (qlo.min(t), qhi.max(t)),
            None => (qlo, qhi),
        };
        let qpad = ((qhi - qlo) * 0.1).max(0.002);
        let quality = clamp_ticks(Ticks::new(qlo - qpad, qhi + qpad, 5), 0.0, 1.0);
        let (_, ehi) = extent(self.points().map(|p| &p.result.escalation_rate));
        let esc = clamp_ticks(Ticks::new(0.0, (ehi * 1.08).max(0.01), 5), 0.0, 1.0);
        let esc_range = (esc.lo, esc.hi);
        let quality = Scales {
            left: quality,
            right: esc,
            right_range: esc_range,
        };

        // Both panels have the same label areas, so their x axes line up.
        let cd = cost.left.decimals();
        let md = cost.right.decimals();
        let qd = pct_dec(&quality.left);
        let ed = pct_dec(&quality.right);
        let fmt_left: Vec<String> = cost
            .left
            .values
            .iter()
            .map(|v| usd_tick(*v, cd))
            .chain(quality.left.values.iter().map(|v| pct_tick(*v, qd)))
            .collect();
        let fmt_right: Vec<String> = cost
            .right
            .values
            .iter()
            .map(|v| usd_tick(*v, md))
            .chain(quality.right.values.iter().map(|v| pct_tick(*v, ed)))
            .collect();
        let (left_w, right_w) = (y_label_width(&fmt_left)?, y_label_width(&fmt_right)?);

        let x_desc = s.params.first().cloned().unwrap_or_default();
        let panels = [
            (
                upper_top,
                UPPER_H + 10,
                &cost,
                "Cost per request (USD)".to_string(),
                format!("Monthly cost (USD, {} req/month)", count(monthly)),
                true,
            ),
            (
                lower_top,
                LOWER_H + X_AREA,
                &quality,
                "Quality (answers correct, %)".to_string(),
                "Escalation rate (%)".to_string(),
                false,
            ),
        ];
        for (top, h, scales, left_desc, right_desc, upper) in panels {
            let area = root.clone().shrink((0, top), (WIDTH, h as u32));
            let mut chart = ChartBuilder::on(&area)
                .margin_left(PAD - 12)
                .margin_right(PAD - 12)
                .x_label_area_size(if upper { 10 } else { X_AREA })
                .y_label_area_size(left_w)
                .right_y_label_area_size(right_w)
                .build_cartesian_2d(xt.axis(), scales.left.axis())?
                .set_secondary_coord(
                    linear(xt.lo, xt.hi, vec![]),
                    linear(
                        scales.right_range.0,
                        scales.right_range.1,
                        scales.right.values.clone(),
                    ),
                );
            let (ld, rd) = if upper { (cd, md) } else { (qd, ed) };
            let left_fmt = |v: &f64| {
                if upper {
                    usd_tick(*v, ld)
                } else {
                    pct_tick(*v, ld)
                }
            };
            let right_fmt = |v: &f64| {
                if upper {
                    usd_tick(*v, rd)
                } else {
                    pct_tick(*v, rd)
                }
            };
            let x_fmt = |v: &f64| {
                if upper { String::new() } else { number(*v, xd) }
            };
            let mut mesh = chart.configure_mesh();
            mesh.bold_line_style(GRID)
                .axis_style(AXIS)
                .label_style(text(TICK_PX, MUTED))
                .axis_desc_style(text(AXIS_PX, INK))
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&left_fmt)
                .y_desc(left_desc);
            if !upper {
                mesh.x_desc(x_desc.clone());
            }
            mesh.draw()?;
            chart
                .configure_secondary_axes()
                .axis_style(AXIS)
                .label_style(text(TICK_PX, MUTED))
                .axis_desc_style(text(AXIS_PX, INK))
                .y_label_formatter(&right_fmt)
                .y_desc(right_desc)
                .draw()?;

            let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            if upper {
                for (k, line) in self.lines.iter().enumerate() {
                    self.band(
                        &line.points,
                        |p| p.result.cost_per_request,
                        &|x, v| px(x, v),
                        color(k),
                        false,
                    )?;
                }
            } else {
                if let Some(t) = s.targets.quality {
                    let (_, y) = px(xt.lo, t);
                    root.draw(&DashedPathElement::new(
                        vec![(xr.start, y), (xr.end, y)],
                        9,
                        6,
                        TARGET.stroke_width(2),
                    ))?;
                }
                let single = self.lines.len() <= 1;
                for (k, line) in self.lines.iter().enumerate() {
                    let (qc, ec) = if single {
                        (self.quality_color, self.escalation_color)
                    } else {
                        (color(k), color(k))
                    };
                    self.band(
                        &line.points,
                        |p| p.result.escalation_rate,
                        &|x, v| px(x, scales.to_left(v)),
                        ec,
                        true,
                    )?;
                    self.band(
                        &line.points,
                        |p| p.result.quality,
                        &|x, v| px(x, v),
                        qc,
                        false,
                    )?;
                }
            }
            if let Some((i, p)) = self.rec {
                let k = self
                    .lines
                    .iter()
                    .position(|l| l.points.iter().any(|(j, _)| *j == i))
                    .unwrap_or(0);
                let y = if upper {
                    p.result.cost_per_request.mean
                } else {
                    p.result.quality.mean
                };
                let at = px(x_of(p), y);
                root.draw(&DashedPathElement::new(
                    vec![(at.0, yr.start), (at.0, yr.end)],
                    4,
                    4,
                    INK.stroke_width(1),
                ))?;
                draw_star(root, at, 11.0, color(k))?;
                if upper {
                    // Named above the plot, where it covers nothing.
                    let label = format!("recommended: {}", p.label);
                    let style = bold(LEGEND_PX, INK);
                    let w = measure(&label, &style)?.0 + 22;
                    let x = (at.0 - w / 2).clamp(PAD, WIDTH as i32 - PAD - w);
                    let y = yr.start - 18;
                    draw_star(root, (x + 8, y), 8.0, color(k))?;
                    root.draw_text(
                        &label,
                        &anchored(style, HPos::Left, VPos::Center),
                        (x + 22, y),
                    )?;
                }
            }
        }
        Ok(())
    }

    /// A line through `f` of each point with its CI as a shaded band; dashed
    /// when `dashed`. `px` maps (x, value) to pixels.
    fn band(
        &self,
        points: &[(usize, &SweepPoint)],
        f: impl Fn(&SweepPoint) -> Estimate,
        px: &dyn Fn(f64, f64) -> (i32, i32),
        c: RGBColor,
        dashed: bool,
    ) -> Result<(), ChartError> {
        let root = self.root;
        let upper: Vec<(i32, i32)> = points
            .iter()
            .map(|(_, p)| px(x_of(p), f(p).ci_high))
            .collect();
        let lower: Vec<(i32, i32)> = points
            .iter()
            .rev()
            .map(|(_, p)| px(x_of(p), f(p).ci_low))
            .collect();
        let outline: Vec<(i32, i32)> = upper.into_iter().chain(lower).collect();
        root.draw(&Polygon::new(
            outline,
            c.mix(if dashed { 0.12 } else { 0.2 }).filled(),
        ))?;
        let mean: Vec<(i32, i32)> = points.iter().map(|(_, p)| px(x_of(p), f(p).mean)).collect();
        if dashed {
            if let [at] = mean[..] {
                root.draw(&Circle::new(at, 3, c.filled()))?;
            }
            root.draw(&DashedPathElement::new(mean, 8, 5, c.stroke_width(2)))?;
        } else {
            root.draw(&PathElement::new(mean.clone(), c.stroke_width(2)))?;
            for at in mean {
                root.draw(&Circle::new(at, 3, c.filled()))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::value;

    #[test]
    fn swept_values_print_as_written() {
        assert_eq!(value(0.35000000000000003), "0.35");
        assert_eq!(value(0.1), "0.1");
        assert_eq!(value(1200.0), "1200");
        assert_eq!(value(0.0), "0");
    }
}
