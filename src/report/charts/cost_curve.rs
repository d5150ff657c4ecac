//! A sweep's cost curve, with quality and escalation beneath it.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::*;
use crate::report::format::count;
use crate::stats::Estimate;
use crate::sweep::{Check, SweepPoint};

const WIDTH: u32 = 1000;
/// Plot heights, pixels: cost, quality, escalation, p95 latency.
const COST_H: i32 = 300;
const QUALITY_H: i32 = 200;
const ESCALATION_H: i32 = 150;
const LATENCY_H: i32 = 170;
/// The room between two panels, pixels.
const GAP: i32 = 26;
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
        "Policy {} at {} setting{} of {}; each is the mean of {} replications × {} requests, {} shaded. Right axis of the cost panel: the monthly bill at {} requests/month.",
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
        targets.push(format!("quality ≥ {}", pct_tick(q, 1)));
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
        targets.push(format!("p95 latency ≤ {}: {status}", ms(t)));
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
        format!(
            "Targets (red dashed lines on their panels): {}.",
            targets.join("; ")
        )
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

/// The figures drawn, a panel each, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Figure {
    Cost,
    Quality,
    Escalation,
    P95,
}

impl Figure {
    fn of(self, p: &SweepPoint) -> Option<Estimate> {
        let r = &p.result;
        match self {
            Figure::Cost => Some(r.cost_per_request),
            Figure::Quality => Some(r.quality),
            Figure::Escalation => Some(r.escalation_rate),
            Figure::P95 => r.e2e_latency_ms.as_ref().map(|l| l.p95),
        }
    }

    fn height(self) -> i32 {
        match self {
            Figure::Cost => COST_H,
            Figure::Quality => QUALITY_H,
            Figure::Escalation => ESCALATION_H,
            Figure::P95 => LATENCY_H,
        }
    }

    fn desc(self) -> &'static str {
        match self {
            Figure::Cost => "Cost per request (USD)",
            Figure::Quality => "Quality (% correct)",
            Figure::Escalation => "Escalation rate (%)",
            Figure::P95 => "e2e p95 latency (ms)",
        }
    }

    fn label(self, v: f64, decimals: usize) -> String {
        match self {
            Figure::Cost => usd_tick(v, decimals),
            Figure::Quality | Figure::Escalation => pct_tick(v, decimals),
            Figure::P95 => number(v, decimals),
        }
    }
}

/// Cost per request (mean and 95% CI band) against the first swept parameter, one
/// line per combination of the others, the monthly bill on the right axis.
/// Beneath, on the same x and each on an axis of its own: quality with its
/// target, the escalation rate, and, when the scenario sets a p95 latency
/// target, the interactive p95 latency with that target. A target is a red
/// dashed line on its own figure's panel, so that it meets nothing drawn on
/// another scale. The recommended setting is starred on every panel and joined
/// by a dashed vertical line.
pub fn cost_curve(s: &SweepResults) -> Result<String, ChartError> {
    let lines = series(s);
    let rec = s
        .recommendation
        .point
        .filter(|&i| i < s.points.len())
        .map(|i| (i, &s.points[i]));
    let mut figures = vec![Figure::Cost, Figure::Quality, Figure::Escalation];
    if s.targets.p95_latency_ms.is_some() {
        figures.push(Figure::P95);
    }
    let header = Header::new(
        WIDTH,
        format!(
            "{} vs {}: {}",
            if figures.contains(&Figure::P95) {
                "Cost, quality, escalation and p95 latency"
            } else {
                "Cost, quality and escalation"
            },
            short_param(s.params.first().map_or("setting", |p| p.as_str())),
            s.scenario.name
        ),
        &subtitles(s),
    )?;
    let mut items: Vec<(Swatch, String)> = if lines.len() <= 1 {
        vec![(Swatch::Band(color(0)), "mean and 95% CI".into())]
    } else {
        lines
            .iter()
            .enumerate()
            .map(|(k, l)| (Swatch::Band(color(k)), l.label.clone().unwrap_or_default()))
            .collect()
    };
    if let Some((i, _)) = rec {
        items.push((
            Swatch::Star(color(line_of(&lines, i))),
            "recommended setting".into(),
        ));
    }
    if let Some(q) = s.targets.quality {
        items.push((
            Swatch::Dashed(TARGET),
            format!("quality target ≥ {}", pct_tick(q, 1)),
        ));
    }
    if let Some(t) = s.targets.p95_latency_ms {
        items.push((
            Swatch::Dashed(TARGET),
            format!("p95 latency target ≤ {}", ms(t)),
        ));
    }
    let legend = Legend { items };
    let legend_w = WIDTH as i32 - 2 * PAD;
    let rec_strip = if rec.is_some() { 32 } else { 14 };
    let first_top = header.height() + legend.height(legend_w)? + rec_strip;
    let plots: i32 = figures.iter().map(|f| f.height() + GAP).sum();
    let height = first_top + plots + X_AREA + 14;

    render((WIDTH, height as u32), |root| {
        header.draw(root)?;
        legend.draw(root, (PAD, header.height()), legend_w)?;
        if s.points.is_empty() {
            root.draw_text(
                "The sweep has no points.",
                &anchored(text(AXIS_PX, MUTED), HPos::Left, VPos::Top),
                (PAD, first_top + 10),
            )?;
            return Ok(());
        }
        let ctx = Ctx {
            root,
            s,
            lines: &lines,
            rec,
        };
        ctx.draw(first_top, &figures)
    })
}

/// The line (series) a point belongs to.
fn line_of(lines: &[Series], i: usize) -> usize {
    lines
        .iter()
        .position(|l| l.points.iter().any(|(j, _)| *j == i))
        .unwrap_or(0)
}

struct Ctx<'a, 'b> {
    root: &'a Area<'b>,
    s: &'a SweepResults,
    lines: &'a [Series<'a>],
    rec: Option<(usize, &'a SweepPoint)>,
}

/// The data range of some estimates, CIs included.
fn extent(es: impl Iterator<Item = Estimate>) -> (f64, f64) {
    es.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), e| {
        (lo.min(e.ci_low), hi.max(e.ci_high))
    })
}

/// A panel's y scale: its ticks and the decimals of their labels.
struct Scale {
    ticks: Ticks,
    decimals: usize,
}

impl Ctx<'_, '_> {
    fn points(&self) -> impl Iterator<Item = &SweepPoint> {
        self.s.points.iter()
    }

    /// The y scale of `f`'s panel: the data and the figure's target.
    fn scale(&self, f: Figure) -> Scale {
        let (lo, hi) = extent(self.points().filter_map(|p| f.of(p)));
        let target = match f {
            Figure::Quality => self.s.targets.quality,
            Figure::P95 => self.s.targets.p95_latency_ms,
            _ => None,
        };
        let (lo, hi) = match (target, lo <= hi) {
            (Some(t), true) => (lo.min(t), hi.max(t)),
            (Some(t), false) => (t, t),
            (None, true) => (lo, hi),
            (None, false) => (0.0, 1.0),
        };
        let ticks = match f {
            Figure::Cost | Figure::P95 => {
                let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.01);
                let lo = if lo >= 0.0 && lo < 0.45 * hi {
                    0.0
                } else {
                    lo - pad
                };
                Ticks::new(lo, hi + pad, if f == Figure::Cost { 6 } else { 4 })
            }
            Figure::Quality => {
                let pad = ((hi - lo) * 0.1).max(0.002);
                clamp_ticks(Ticks::new(lo - pad, hi + pad, 5), 0.0, 1.0)
            }
            Figure::Escalation => clamp_ticks(Ticks::new(0.0, (hi * 1.08).max(0.01), 4), 0.0, 1.0),
        };
        let decimals = match f {
            Figure::Quality | Figure::Escalation => pct_dec(&ticks),
            _ => ticks.decimals(),
        };
        Scale { ticks, decimals }
    }

    fn draw(&self, first_top: i32, figures: &[Figure]) -> Result<(), ChartError> {
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

        let scales: Vec<Scale> = figures.iter().map(|f| self.scale(*f)).collect();
        // The cost panel's right axis: the monthly bill.
        let cost = &scales[0].ticks;
        let m_range = (cost.lo * monthly, cost.hi * monthly);
        let mut month = Ticks::new(m_range.0, m_range.1, 6);
        month
            .values
            .retain(|v| *v >= m_range.0 - 1e-9 && *v <= m_range.1 + 1e-9);
        let md = month.decimals();

        // Every panel has the same label areas, so their x axes line up.
        let left_labels: Vec<String> = figures
            .iter()
            .zip(&scales)
            .flat_map(|(f, sc)| sc.ticks.values.iter().map(|v| f.label(*v, sc.decimals)))
            .collect();
        let right_labels: Vec<String> = month.values.iter().map(|v| usd_tick(*v, md)).collect();
        let (left_w, right_w) = (y_label_width(&left_labels)?, y_label_width(&right_labels)?);

        let x_desc = s.params.first().cloned().unwrap_or_default();
        let mut top = first_top;
        for (n, (&f, sc)) in figures.iter().zip(&scales).enumerate() {
            let last = n + 1 == figures.len();
            let h = f.height() + if last { X_AREA } else { 10 };
            let area = root.clone().shrink((0, top), (WIDTH, h as u32));
            top += f.height() + GAP;
            let mut chart = ChartBuilder::on(&area)
                .margin_left(PAD - 12)
                .margin_right(PAD - 12)
                .x_label_area_size(if last { X_AREA } else { 10 })
                .y_label_area_size(left_w)
                .right_y_label_area_size(right_w)
                .build_cartesian_2d(xt.axis(), sc.ticks.axis())?
                .set_secondary_coord(
                    linear(xt.lo, xt.hi, vec![]),
                    linear(m_range.0, m_range.1, month.values.clone()),
                );
            let y_fmt = |v: &f64| f.label(*v, sc.decimals);
            let x_fmt = |v: &f64| {
                if last { number(*v, xd) } else { String::new() }
            };
            let mut mesh = chart.configure_mesh();
            mesh.bold_line_style(GRID)
                .axis_style(AXIS)
                .label_style(text(TICK_PX, MUTED))
                .axis_desc_style(text(AXIS_PX, INK))
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .y_desc(f.desc());
            if last {
                mesh.x_desc(x_desc.clone());
            }
            mesh.draw()?;
            // Only cost has a second axis: the same figure, by the month.
            if f == Figure::Cost {
                chart
                    .configure_secondary_axes()
                    .axis_style(AXIS)
                    .label_style(text(TICK_PX, MUTED))
                    .axis_desc_style(text(AXIS_PX, INK))
                    .y_label_formatter(&|v| usd_tick(*v, md))
                    .y_desc(format!("Monthly cost (USD, {} req/month)", count(monthly)))
                    .draw()?;
            }

            let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            let target = match f {
                Figure::Quality => s
                    .targets
                    .quality
                    .map(|t| (t, format!("target ≥ {}", pct_tick(t, 1)))),
                Figure::P95 => s
                    .targets
                    .p95_latency_ms
                    .map(|t| (t, format!("target ≤ {}", ms(t)))),
                _ => None,
            };
            if let Some((t, _)) = &target {
                let (_, y) = px(xt.lo, *t);
                root.draw(&DashedPathElement::new(
                    vec![(xr.start, y), (xr.end, y)],
                    9,
                    6,
                    TARGET.stroke_width(2),
                ))?;
            }
            let mut drawn = 0;
            for (k, line) in self.lines.iter().enumerate() {
                let points: Vec<(usize, &SweepPoint)> = line
                    .points
                    .iter()
                    .copied()
                    .filter(|(_, p)| f.of(p).is_some())
                    .collect();
                drawn += points.len();
                self.band(&points, f, &|x, v| px(x, v), color(k))?;
            }
            if let Some((t, label)) = &target {
                self.target_label(label, px(xt.lo, *t).1, (xr.start, xr.end), f, &px)?;
            }
            if drawn == 0 && f == Figure::P95 {
                root.draw_text(
                    "No interactive traffic: no p95 latency to show.",
                    &anchored(text(AXIS_PX, MUTED), HPos::Center, VPos::Top),
                    ((xr.start + xr.end) / 2, yr.start + 10),
                )?;
            }
            if let Some((i, p)) = self.rec {
                let k = line_of(self.lines, i);
                let (x, _) = px(x_of(p), sc.ticks.lo);
                root.draw(&DashedPathElement::new(
                    vec![(x, yr.start), (x, yr.end)],
                    4,
                    4,
                    INK.stroke_width(1),
                ))?;
                if let Some(e) = f.of(p) {
                    draw_star(root, px(x_of(p), e.mean), 11.0, color(k))?;
                }
                if f == Figure::Cost {
                    // Named above the plot, where it covers nothing.
                    let label = format!("recommended: {}", p.label);
                    let style = bold(LEGEND_PX, INK);
                    let w = measure(&label, &style)?.0 + 22;
                    let x = (x - w / 2).clamp(PAD, WIDTH as i32 - PAD - w);
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

    /// Names a target's line at `y`, at whichever end of the plot, above or
    /// below the line, covers the fewest of `f`'s points and bands.
    fn target_label(
        &self,
        label: &str,
        y: i32,
        (x0, x1): (i32, i32),
        f: Figure,
        px: &dyn Fn(f64, f64) -> (i32, i32),
    ) -> Result<(), ChartError> {
        let style = text(NOTE_PX, TARGET);
        let (w, h) = measure(label, &style)?;
        let mut avoid: Vec<PxBox> = Vec::new();
        for p in self.points() {
            if let Some(e) = f.of(p) {
                let (x, top) = px(x_of(p), e.ci_high);
                let (_, bottom) = px(x_of(p), e.ci_low);
                avoid.push((x - 5, top.min(bottom) - 3, x + 5, top.max(bottom) + 3));
            }
        }
        let spots = [
            (x1 - 6 - w, y - 4 - h),
            (x0 + 6, y - 4 - h),
            (x1 - 6 - w, y + 4),
            (x0 + 6, y + 4),
        ];
        let best = spots
            .iter()
            .enumerate()
            .min_by_key(|&(k, &(x, y))| {
                let r = (x, y, x + w, y + h);
                (avoid.iter().map(|a| overlap(r, *a)).sum::<i64>(), k)
            })
            .map_or(spots[0], |(_, s)| *s);
        self.root
            .draw_text(label, &anchored(style, HPos::Left, VPos::Top), best)?;
        Ok(())
    }

    /// A line through `f` of each point with its CI as a shaded band. `px` maps
    /// (x, value) to pixels.
    fn band(
        &self,
        points: &[(usize, &SweepPoint)],
        f: Figure,
        px: &dyn Fn(f64, f64) -> (i32, i32),
        c: RGBColor,
    ) -> Result<(), ChartError> {
        if points.is_empty() {
            return Ok(());
        }
        let root = self.root;
        let est: Vec<(f64, Estimate)> = points
            .iter()
            .filter_map(|(_, p)| f.of(p).map(|e| (x_of(p), e)))
            .collect();
        let upper: Vec<(i32, i32)> = est.iter().map(|(x, e)| px(*x, e.ci_high)).collect();
        let lower: Vec<(i32, i32)> = est.iter().rev().map(|(x, e)| px(*x, e.ci_low)).collect();
        let outline: Vec<(i32, i32)> = upper.into_iter().chain(lower).collect();
        root.draw(&Polygon::new(outline, c.mix(0.2).filled()))?;
        let mean: Vec<(i32, i32)> = est.iter().map(|(x, e)| px(*x, e.mean)).collect();
        root.draw(&PathElement::new(mean.clone(), c.stroke_width(2)))?;
        for at in mean {
            root.draw(&Circle::new(at, 3, c.filled()))?;
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
