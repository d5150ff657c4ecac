//! Traffic over time: each model's tokens and requests per minute under each
//! policy over the simulated period, against the model's quotas.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::*;
use crate::numfmt::{group, round_sig};

const WIDTH: u32 = 1000;
/// The height of a panel's plotting area, pixels.
const PLOT_H: i32 = 260;
/// The room for the x axis under the lower panel, pixels.
const X_AREA: i32 = 50;
/// The gap between the two panels, pixels.
const GAP: i32 = 20;
/// A line of a note above a panel, pixels.
const NOTE_LINE: i32 = 18;
const MARGIN_L: i32 = PAD - 12;
const MARGIN_R: i32 = PAD;
/// The widest series label drawn in full in the legend, pixels.
const MAX_LABEL_W: i32 = 420;
/// How far a panel's y axis stretches to take in a quota: up to this many
/// times the panel's peak traffic, so that the reader sees the headroom while
/// the traffic still fills at least a quarter of the panel. A quota farther
/// above is named in a note over the panel, not drawn. With no traffic at all,
/// every quota is drawn: there is nothing to squash.
const HEADROOM: f64 = 4.0;

/// One model's per-minute traffic under one policy, for the load chart.
#[derive(Debug, Clone, Copy)]
pub struct LoadSeries<'a> {
    /// Legend label, e.g. "cascade · sonnet".
    pub label: &'a str,
    /// Requests started per minute (calls that passed the quota), minute by
    /// minute from the start of the measured period.
    pub rpm: &'a [f64],
    /// Quota tokens per minute (input + cache write + output × burndown), same
    /// minutes.
    pub tpm: &'a [f64],
    /// The model's quotas, drawn as dashed horizontal lines in the series'
    /// colour; None: no line.
    pub quota_rpm: Option<f64>,
    pub quota_tpm: Option<f64>,
}

/// The file of the load chart, named after `stem`.
pub fn load_chart_name(stem: &str) -> String {
    format!("{stem}-load.svg")
}

/// One of the two panels: what it plots.
struct Panel {
    desc: &'static str,
    /// The quota's unit in its label: "TPM", "RPM".
    unit: &'static str,
    values: for<'a> fn(&LoadSeries<'a>) -> &'a [f64],
    quota: fn(&LoadSeries) -> Option<f64>,
}

const PANELS: [Panel; 2] = [
    Panel {
        desc: "Tokens per minute (quota tokens)",
        unit: "TPM",
        values: |s| s.tpm,
        quota: |s| s.quota_tpm,
    },
    Panel {
        desc: "Requests per minute",
        unit: "RPM",
        values: |s| s.rpm,
        quota: |s| s.quota_rpm,
    },
];

/// A quota line: a value and the series whose model has it (several series
/// with the same quota share one line).
struct Quota {
    value: f64,
    series: Vec<usize>,
}

impl Quota {
    /// The series' colour, or a neutral one for a line several series share.
    fn color(&self) -> RGBColor {
        match self.series[..] {
            [i] => color(i),
            _ => MUTED,
        }
    }

    fn label(&self, unit: &str) -> String {
        format!("quota {} {unit}", compact(self.value))
    }
}

/// A panel's y scale: its ticks, the quotas drawn on it and those above it.
struct Scale {
    ticks: Ticks,
    /// Whether any minute has traffic.
    traffic: bool,
    drawn: Vec<Quota>,
    above: Vec<Quota>,
}

impl Scale {
    fn new(series: &[LoadSeries], panel: &Panel) -> Scale {
        let peak = series
            .iter()
            .flat_map(|s| (panel.values)(s))
            .filter(|v| v.is_finite())
            .fold(0.0f64, |a, v| a.max(*v));
        let low = series
            .iter()
            .flat_map(|s| (panel.values)(s))
            .filter(|v| v.is_finite())
            .fold(0.0f64, |a, v| a.min(*v));
        let mut quotas: Vec<Quota> = Vec::new();
        for (i, s) in series.iter().enumerate() {
            let Some(q) = (panel.quota)(s).filter(|q| q.is_finite() && *q >= 0.0) else {
                continue;
            };
            match quotas.iter_mut().find(|g| g.value == q) {
                Some(g) => g.series.push(i),
                None => quotas.push(Quota {
                    value: q,
                    series: vec![i],
                }),
            }
        }
        let (drawn, above): (Vec<Quota>, Vec<Quota>) = quotas
            .into_iter()
            .partition(|q| peak <= 0.0 || q.value <= HEADROOM * peak);
        let top = drawn.iter().fold(peak, |a, q| a.max(q.value));
        // A little room over the highest line, so that it does not run along
        // the frame; an empty panel still gets an axis.
        let top = if top > 0.0 { top * 1.03 } else { 1.0 };
        Scale {
            ticks: Ticks::new(low, top, 5),
            traffic: series
                .iter()
                .flat_map(|s| (panel.values)(s))
                .any(|v| v.is_finite() && *v != 0.0),
            drawn,
            above,
        }
    }

    /// The tick labels, in one unit for the whole axis: 0, 200K, 400K.
    fn label(&self, v: f64) -> String {
        let t = &self.ticks;
        let (u, suffix) = unit(t.hi.abs().max(t.lo.abs()));
        let decimals = (-(t.step / u).log10().floor()).max(0.0) as usize;
        if v.abs() < t.step * 1e-6 {
            "0".into()
        } else {
            format!("{}{suffix}", number(v / u, decimals))
        }
    }

    fn labels(&self) -> Vec<String> {
        self.ticks.values.iter().map(|v| self.label(*v)).collect()
    }

    /// The notes over the panel for the quotas above its axis.
    fn notes(&self, unit: &str) -> Vec<(String, RGBColor)> {
        self.above
            .iter()
            .map(|q| {
                (
                    format!(
                        "▲ {}: above this axis, which ends at {}",
                        q.label(unit),
                        self.label(self.ticks.hi)
                    ),
                    q.color(),
                )
            })
            .collect()
    }
}

/// Thousands from 10K, millions from 1M: the unit of a number as big as `v`.
fn unit(v: f64) -> (f64, &'static str) {
    if v >= 1e6 {
        (1e6, "M")
    } else if v >= 1e4 {
        (1e3, "K")
    } else {
        (1.0, "")
    }
}

/// A quota to three significant digits: `400K`, `1.25M`, `2,000`.
fn compact(v: f64) -> String {
    let (u, suffix) = unit(v.abs());
    format!("{}{suffix}", group(&round_sig(v / u, 3).to_string()))
}

/// The x axis: hours from the start, ticks at a round number of hours.
struct Hours {
    end: f64,
    ticks: Vec<f64>,
    decimals: usize,
}

impl Hours {
    /// The axis of `minutes` minutes: the shortest step, from a quarter hour to
    /// a year, that keeps to 12 steps (every 2 h for a day, every day for a
    /// week).
    fn new(minutes: usize) -> Hours {
        const STEPS: [f64; 15] = [
            0.25, 0.5, 1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0, 168.0, 336.0, 720.0, 1440.0, 2160.0,
            4380.0,
        ];
        let end = minutes as f64 / 60.0;
        let step = STEPS
            .iter()
            .copied()
            .find(|s| end / s <= 12.0 + 1e-9)
            .unwrap_or_else(|| (end / 12.0 / 8760.0).ceil() * 8760.0);
        let n = (end / step + 1e-9).floor() as usize;
        Hours {
            end,
            ticks: (0..=n).map(|k| k as f64 * step).collect(),
            decimals: match step {
                0.25 => 2,
                0.5 => 1,
                _ => 0,
            },
        }
    }
}

/// Per-minute tokens (top) and requests (bottom) of each series over the
/// measured period, x in hours from its start, and each model's quotas as
/// dashed lines in its series' colour (in grey where several series share the
/// same value) on a pale halo, each labelled where its label covers the least
/// traffic, at the right end if it can. A quota more than [`HEADROOM`] times a
/// panel's peak is named over the panel instead. Every line is drawn through,
/// for each pixel column, the first, lowest, highest and last minute in it,
/// which draws the same pixels as every minute would, give or take
/// anti-aliasing (M4: Jugel et al., "M4: A Visualization-Oriented Time Series
/// Data Aggregation", VLDB 2014), so that a week of minutes stays a small file
/// and no peak is lost; dense lines (more minutes than pixels) are 1 pixel
/// wide. A non-finite minute breaks its line. A panel without traffic says so,
/// and so does a chart without any minute of data (an empty `series` is not an
/// error).
pub fn load(title: &str, series: &[LoadSeries]) -> Result<String, ChartError> {
    let minutes = series
        .iter()
        .map(|s| s.rpm.len().max(s.tpm.len()))
        .max()
        .unwrap_or(0);
    let mut subtitles = vec![
        "Each line: one model's traffic under one policy, minute by minute from the start of the measured period. Tokens count as the quota does (input + cache write + output × the output burndown); requests are the calls that passed the quota. Dashed lines: the models' quotas.".to_string(),
    ];
    let header_of = |subtitles: &[String]| Header::new(WIDTH, title.to_string(), subtitles);
    if minutes == 0 {
        let header = header_of(&subtitles)?;
        return render((WIDTH, (header.height() + 60) as u32), |root| {
            header.draw(root)?;
            root.draw_text(
                "No per-minute traffic to show: there is no series with a minute of data.",
                &anchored(text(AXIS_PX, MUTED), HPos::Left, VPos::Top),
                (PAD, header.height() + 10),
            )?;
            Ok(())
        });
    }
    let scales: Vec<Scale> = PANELS.iter().map(|p| Scale::new(series, p)).collect();
    if scales.iter().any(|s| !s.above.is_empty()) {
        subtitles.push(format!(
            "A quota more than {HEADROOM}× its panel's peak is named over the panel rather than drawn, so that the traffic stays readable."
        ));
    }
    let header = header_of(&subtitles)?;
    let style = text(LEGEND_PX, INK);
    let labels: Vec<&str> = series.iter().map(|s| s.label).collect();
    let mut items: Vec<(Swatch, String)> = fit_names(&labels, &style, MAX_LABEL_W)?
        .into_iter()
        .enumerate()
        .map(|(i, l)| (Swatch::Line(color(i)), l))
        .collect();
    if scales
        .iter()
        .any(|s| !s.drawn.is_empty() || !s.above.is_empty())
    {
        items.push((
            Swatch::Dashed(MUTED),
            "quota (in its series' colour; grey if shared)".to_string(),
        ));
    }
    let legend = Legend { items };
    let legend_w = WIDTH as i32 - 2 * PAD;
    let legend_h = legend.height(legend_w)?;

    // Both panels have the same label areas, so their x axes line up.
    let all_labels: Vec<String> = scales.iter().flat_map(Scale::labels).collect();
    let y_area = y_label_width(&all_labels)?;
    let hours = Hours::new(minutes);
    let notes: Vec<Vec<(String, RGBColor)>> = scales
        .iter()
        .zip(&PANELS)
        .map(|(s, p)| s.notes(p.unit))
        .collect();
    let heights: Vec<i32> = notes
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let x = if k + 1 == PANELS.len() { X_AREA } else { 0 };
            margin_top(n) + PLOT_H + x
        })
        .collect();
    let height = header.height() + legend_h + 8 + heights.iter().sum::<i32>() + GAP + 16;
    render((WIDTH, height as u32), |root| {
        header.draw(root)?;
        let mut top = header.height();
        legend.draw(root, (PAD, top), legend_w)?;
        top += legend_h + 8;
        for (k, panel) in PANELS.iter().enumerate() {
            let area = root.clone().shrink((0, top), (WIDTH, heights[k] as u32));
            draw_panel(
                root,
                &area,
                series,
                panel,
                &scales[k],
                &notes[k],
                &hours,
                y_area,
                k + 1 == PANELS.len(),
            )?;
            top += heights[k] + GAP;
        }
        Ok(())
    })
}

/// The room over a panel's plot for its notes, pixels.
fn margin_top(notes: &[(String, RGBColor)]) -> i32 {
    8 + notes.len() as i32 * NOTE_LINE
}

/// The points of one line in pixels, at most four per pixel column: the first,
/// the highest, the lowest and the last, in their order. The line through them
/// covers the same pixels as the line through all the points.
fn thin(px: &[(i32, i32)]) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::new();
    let mut k = 0;
    while k < px.len() {
        let x = px[k].0;
        let n = px[k..].iter().take_while(|p| p.0 == x).count();
        let column = &px[k..k + n];
        let (mut lo, mut hi) = (0, 0);
        for (m, p) in column.iter().enumerate() {
            if p.1 < column[lo].1 {
                lo = m;
            }
            if p.1 > column[hi].1 {
                hi = m;
            }
        }
        let mut keep = [0, lo, hi, n - 1];
        keep.sort_unstable();
        for m in keep {
            if out.last() != Some(&column[m]) {
                out.push(column[m]);
            }
        }
        k += n;
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn draw_panel(
    root: &Area,
    area: &Area,
    series: &[LoadSeries],
    panel: &Panel,
    scale: &Scale,
    notes: &[(String, RGBColor)],
    hours: &Hours,
    y_area: i32,
    last: bool,
) -> Result<(), ChartError> {
    let t = &scale.ticks;
    let mut chart = ChartBuilder::on(area)
        .margin_top(margin_top(notes))
        .margin_left(MARGIN_L)
        .margin_right(MARGIN_R)
        .x_label_area_size(if last { X_AREA } else { 0 })
        .y_label_area_size(y_area)
        .build_cartesian_2d(linear(0.0, hours.end, hours.ticks.clone()), t.axis())?;
    let x_fmt = |v: &f64| {
        if last {
            number(*v, hours.decimals)
        } else {
            String::new()
        }
    };
    let y_fmt = |v: &f64| scale.label(*v);
    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(GRID)
        .axis_style(AXIS)
        .label_style(text(TICK_PX, MUTED))
        .axis_desc_style(text(AXIS_PX, INK))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .y_desc(panel.desc);
    if last {
        mesh.x_desc("Time (hours from start)");
    }
    mesh.draw()?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let plot_w = xr.end - xr.start;

    // The notes over the plot: quotas above the axis.
    for (k, (note, c)) in notes.iter().enumerate() {
        root.draw_text(
            note,
            &anchored(text(NOTE_PX, *c), HPos::Left, VPos::Center),
            (
                xr.start + 6,
                yr.start - margin_top(notes) + 8 + k as i32 * NOTE_LINE + 6,
            ),
        )?;
    }

    // The traffic: each run of finite minutes one line.
    let mut drawn: Vec<Vec<(i32, i32)>> = Vec::new();
    for (i, s) in series.iter().enumerate() {
        let values = (panel.values)(s);
        let width = if values.len() as i32 > plot_w { 1 } else { 2 };
        let style = color(i).stroke_width(width);
        let mut run: Vec<(i32, i32)> = Vec::new();
        for (m, v) in values.iter().enumerate() {
            if v.is_finite() {
                run.push(chart.backend_coord(&(m as f64 / 60.0, *v)));
            }
            if !v.is_finite() || m + 1 == values.len() {
                let line = thin(&std::mem::take(&mut run));
                if line.len() > 1 {
                    root.draw(&PathElement::new(line.clone(), style))?;
                } else if let Some(&p) = line.first() {
                    // A lone minute between gaps: a dot.
                    root.draw(&Circle::new(p, width, color(i).filled()))?;
                }
                drawn.push(line);
            }
        }
    }

    // The quotas: dashed lines over the traffic on a pale halo, so that a line
    // stays visible through a dense band of its own colour.
    let ys: Vec<i32> = scale
        .drawn
        .iter()
        .map(|q| chart.backend_coord(&(0.0, q.value)).1)
        .collect();
    for (q, &y) in scale.drawn.iter().zip(&ys) {
        let ends = vec![(xr.start, y), (xr.end, y)];
        root.draw(&PathElement::new(
            ends.clone(),
            WHITE.mix(0.6).stroke_width(4),
        ))?;
        root.draw(&DashedPathElement::new(
            ends,
            9,
            6,
            q.color().stroke_width(2),
        ))?;
    }
    // Their labels, on a white ground, where they cover the least traffic.
    let style = text(NOTE_PX, INK);
    let mut wanted = Vec::new();
    for (q, &y) in scale.drawn.iter().zip(&ys) {
        wanted.push((y, measure(&q.label(panel.unit), &style)?));
    }
    let plot = (xr.start, yr.start, xr.end, yr.end);
    let spots = place_quota_labels(&wanted, &drawn, &ys, plot);
    for ((q, (_, (w, h))), (x, y)) in scale.drawn.iter().zip(&wanted).zip(spots) {
        root.draw(&Rectangle::new(
            [(x - 3, y - 1), (x + w + 3, y + h + 1)],
            WHITE.mix(0.85).filled(),
        ))?;
        root.draw_text(
            &q.label(panel.unit),
            &anchored(text(NOTE_PX, q.color()), HPos::Left, VPos::Top),
            (x, y),
        )?;
    }

    if !scale.traffic {
        root.draw_text(
            "No traffic in this period.",
            &anchored(text(AXIS_PX, MUTED), HPos::Center, VPos::Center),
            ((xr.start + xr.end) / 2, (yr.start + yr.end) / 2),
        )?;
    }
    Ok(())
}

/// The top left corners of the quota labels: `wanted` holds each label's line
/// (its y) and size, pixels. Each goes just above its line, or just under it,
/// at the right end of the plot, or the left, or centred on a sixteenth of the
/// way along, from the right: the first of these spots that crosses the fewest segments
/// of the traffic's `lines`, then of the other quota lines at `ys`, and
/// overlaps no label already placed and stays inside `plot`.
fn place_quota_labels(
    wanted: &[(i32, (i32, i32))],
    lines: &[Vec<(i32, i32)>],
    ys: &[i32],
    plot: PxBox,
) -> Vec<(i32, i32)> {
    let (left, _, right, _) = plot;
    let crosses = |b: PxBox, (x0, y0): (i32, i32), (x1, y1): (i32, i32)| {
        x0.min(x1) <= b.2 && x0.max(x1) >= b.0 && y0.min(y1) <= b.3 && y0.max(y1) >= b.1
    };
    let mut placed: Vec<PxBox> = Vec::new();
    let mut out = Vec::new();
    for &(y, (w, h)) in wanted {
        let along = (1..16)
            .rev()
            .map(|k| left + (right - left) * k / 16 - w / 2);
        let xs = [right - 6 - w, left + 6].into_iter().chain(along);
        let mut best = ((i64::MAX, 0), (right - 6 - w, y - 4 - h));
        for (k, spot) in xs.flat_map(|x| [(x, y - 4 - h), (x, y + 4)]).enumerate() {
            let b = (spot.0 - 3, spot.1 - 1, spot.0 + w + 3, spot.1 + h + 1);
            let traffic = lines
                .iter()
                .flat_map(|l| l.windows(2))
                .filter(|s| crosses(b, s[0], s[1]))
                .count() as i64;
            let quotas = ys
                .iter()
                .filter(|&&q| q != y && q >= b.1 && q <= b.3)
                .count() as i64;
            let labels: i64 = placed.iter().map(|p| overlap(b, *p)).sum();
            let outside = (w as i64 + 6) * (h as i64 + 2) - overlap(b, plot);
            let cost = traffic + 20 * quotas + 1000 * (labels + outside);
            if (cost, k) < best.0 {
                best = ((cost, k), spot);
            }
        }
        let (x, ly) = best.1;
        placed.push((x - 3, ly - 1, x + w + 3, ly + h + 1));
        out.push(best.1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of every `<text>` element, trimmed.
    fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).expect("the chart is well-formed XML");
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").trim().to_string())
            .collect()
    }

    fn has(t: &[String], want: &str) -> bool {
        t.iter().any(|s| s == want)
    }

    /// The point counts of the lines drawn in `c` with more than two points
    /// (the legend's swatch and the quotas' dashes have two).
    fn lines(svg: &str, c: RGBColor) -> Vec<usize> {
        let stroke = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(&stroke))
            .map(|n| {
                n.attribute("points")
                    .unwrap_or("")
                    .split_whitespace()
                    .count()
            })
            .filter(|n| *n > 2)
            .collect()
    }

    /// A daily profile: low at night, a peak in the afternoon, `days` days of
    /// minutes, scaled to `peak`, with a little minute-to-minute ripple.
    fn daily(days: usize, peak: f64) -> Vec<f64> {
        (0..days * 1440)
            .map(|m| {
                let h = m as f64 / 60.0;
                let wave = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * (h - 3.0) / 24.0).cos();
                let ripple = 1.0 + 0.05 * ((m * 7919 % 97) as f64 / 97.0 - 0.5);
                peak * (0.1 + 0.9 * wave) * ripple
            })
            .collect()
    }

    const TITLE: &str = "support: per-minute traffic against quotas (replication 1)";

    #[test]
    fn two_series_over_a_day_with_their_quotas() {
        let (tpm_a, rpm_a) = (daily(1, 300_000.0), daily(1, 120.0));
        let (tpm_b, rpm_b) = (daily(1, 90_000.0), daily(1, 400.0));
        let series = [
            LoadSeries {
                label: "cascade · sonnet",
                rpm: &rpm_a,
                tpm: &tpm_a,
                quota_rpm: Some(200.0),
                quota_tpm: Some(400_000.0),
            },
            LoadSeries {
                label: "cascade · haiku",
                rpm: &rpm_b,
                tpm: &tpm_b,
                quota_rpm: Some(1_000.0),
                quota_tpm: Some(250_000.0),
            },
        ];
        let svg = load(TITLE, &series).unwrap();
        let t = texts(&svg);
        assert!(has(&t, TITLE), "{t:?}");
        for want in [
            "Tokens per minute (quota tokens)",
            "Requests per minute",
            "Time (hours from start)",
            "cascade · sonnet",
            "cascade · haiku",
            "quota 400K TPM",
            "quota 250K TPM",
            "quota 200 RPM",
            "quota 1,000 RPM",
        ] {
            assert!(has(&t, want), "no {want:?}: {t:?}");
        }
        // Hours every 2 h to 24, tokens in K.
        for h in ["0", "2", "12", "24"] {
            assert!(has(&t, h), "no tick {h}: {t:?}");
        }
        assert!(!has(&t, "1") && !has(&t, "26"), "{t:?}");
        assert!(has(&t, "400K"), "{t:?}");
        // Every quota is in range: nothing noted above.
        assert!(!t.iter().any(|s| s.starts_with('▲')), "{t:?}");
        // Two panels of one line per series; 1,440 minutes thinned to at most
        // four points per pixel column.
        for i in 0..2 {
            let l = lines(&svg, color(i));
            assert_eq!(l.len(), 2, "{l:?}");
            assert!(l.iter().all(|n| *n > 100 && *n <= 4 * 1000), "{l:?}");
        }
        assert_eq!(load(TITLE, &series).unwrap(), svg, "not deterministic");
    }

    #[test]
    fn a_week_has_a_tick_a_day_and_stays_small() {
        let (tpm, rpm) = (daily(7, 1_500_000.0), daily(7, 900.0));
        let series = [LoadSeries {
            label: "all-large · sonnet",
            rpm: &rpm,
            tpm: &tpm,
            quota_rpm: Some(1_000.0),
            quota_tpm: Some(2_000_000.0),
        }];
        let svg = load(TITLE, &series).unwrap();
        let t = texts(&svg);
        for h in ["0", "24", "48", "168"] {
            assert!(has(&t, h), "no tick {h}: {t:?}");
        }
        assert!(!has(&t, "12"), "{t:?}");
        assert!(
            has(&t, "quota 2M TPM") && has(&t, "quota 1,000 RPM"),
            "{t:?}"
        );
        assert!(
            t.iter().any(|s| s.ends_with('M') && s.contains('.')),
            "{t:?}"
        );
        // 10,080 minutes, a few thousand points.
        let l = lines(&svg, color(0));
        assert_eq!(l.len(), 2);
        assert!(l.iter().all(|n| *n <= 4 * 1000), "{l:?}");
        assert!(svg.len() < 200_000, "{} bytes", svg.len());
    }

    #[test]
    fn a_quota_far_above_the_traffic_is_named_not_drawn() {
        let (tpm, rpm) = (daily(1, 10_000.0), daily(1, 5.0));
        let series = [LoadSeries {
            label: "small-only · haiku",
            rpm: &rpm,
            tpm: &tpm,
            // 3× the peak: drawn; 200× the peak: named.
            quota_rpm: Some(15.0),
            quota_tpm: Some(2_000_000.0),
        }];
        let t = texts(&load(TITLE, &series).unwrap());
        assert!(has(&t, "quota 15 RPM"), "{t:?}");
        assert!(!has(&t, "quota 2M TPM"), "{t:?}");
        let note = t
            .iter()
            .find(|s| s.starts_with("▲ quota 2M TPM: above this axis, which ends at "))
            .unwrap_or_else(|| panic!("no note: {t:?}"));
        assert!(note.ends_with('K'), "{note}");
        assert!(t.iter().any(|s| s.contains("is named over the panel")));
    }

    #[test]
    fn a_quota_under_the_traffic_and_a_shared_quota() {
        let tpm = daily(1, 500_000.0);
        let rpm = daily(1, 300.0);
        let series = [
            LoadSeries {
                label: "all-large · sonnet",
                rpm: &rpm,
                tpm: &tpm,
                quota_rpm: Some(200.0),
                quota_tpm: Some(400_000.0),
            },
            LoadSeries {
                label: "cascade · sonnet",
                rpm: &rpm,
                tpm: &tpm,
                quota_rpm: Some(200.0),
                quota_tpm: Some(400_000.0),
            },
        ];
        let svg = load(TITLE, &series).unwrap();
        let t = texts(&svg);
        // One label per shared line; the axis goes above the traffic.
        assert_eq!(t.iter().filter(|s| *s == "quota 400K TPM").count(), 1);
        assert_eq!(t.iter().filter(|s| *s == "quota 200 RPM").count(), 1);
        assert!(has(&t, "500K") || has(&t, "600K"), "{t:?}");
    }

    #[test]
    fn no_traffic_shows_the_quotas_and_says_so() {
        let zeros = vec![0.0; 1440];
        let series = [LoadSeries {
            label: "cascade · sonnet",
            rpm: &zeros,
            tpm: &zeros,
            quota_rpm: Some(200.0),
            quota_tpm: Some(400_000.0),
        }];
        let t = texts(&load(TITLE, &series).unwrap());
        assert_eq!(
            t.iter()
                .filter(|s| *s == "No traffic in this period.")
                .count(),
            2
        );
        assert!(
            has(&t, "quota 400K TPM") && has(&t, "quota 200 RPM"),
            "{t:?}"
        );
        // Without quotas either, the axes still stand.
        let series = [LoadSeries {
            quota_rpm: None,
            quota_tpm: None,
            ..series[0]
        }];
        let t = texts(&load(TITLE, &series).unwrap());
        assert!(has(&t, "Requests per minute") && has(&t, "0"), "{t:?}");
        assert!(!t.iter().any(|s| s.ends_with(" TPM")), "{t:?}");
    }

    #[test]
    fn no_series_says_there_is_nothing_to_show() {
        let want = "No per-minute traffic to show: there is no series with a minute of data.";
        let t = texts(&load(TITLE, &[]).unwrap());
        assert!(has(&t, TITLE) && has(&t, want), "{t:?}");
        let series = [LoadSeries {
            label: "x",
            rpm: &[],
            tpm: &[],
            quota_rpm: Some(1.0),
            quota_tpm: None,
        }];
        assert!(has(&texts(&load(TITLE, &series).unwrap()), want));
    }

    #[test]
    fn gaps_and_short_periods() {
        let rpm = [1.0, 2.0, 3.0, f64::NAN, 3.0, f64::NAN, 2.0, 1.0, 0.0];
        let series = [LoadSeries {
            label: "x",
            rpm: &rpm,
            tpm: &[],
            quota_rpm: None,
            quota_tpm: None,
        }];
        let svg = load(TITLE, &series).unwrap();
        assert_eq!(lines(&svg, color(0)), vec![3, 3]);
        assert!(svg.contains("<circle"));
        let h = Hours::new(90);
        assert_eq!(h.ticks, vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5]);
        assert_eq!(h.decimals, 2);
        assert_eq!(Hours::new(1440).ticks.len(), 13);
        assert_eq!(Hours::new(10_080).ticks.len(), 8);
    }

    #[test]
    fn thinning_keeps_each_columns_extremes_in_order() {
        let px = [(0, 5), (0, 1), (0, 9), (0, 4), (1, 3), (2, 2), (2, 2)];
        assert_eq!(
            thin(&px),
            vec![(0, 5), (0, 1), (0, 9), (0, 4), (1, 3), (2, 2)]
        );
    }

    #[test]
    fn quota_labels_keep_off_the_traffic_and_each_other() {
        let plot = (0, 0, 800, 300);
        // Nothing in the way: above the line at the right end.
        let free = place_quota_labels(&[(100, (80, 14))], &[], &[100], plot);
        assert_eq!(free, vec![(800 - 6 - 80, 100 - 4 - 14)]);
        // Traffic filling the right half around the line: to the left end.
        let busy: Vec<(i32, i32)> = (400..800).map(|x| (x, 60 + (x % 2) * 80)).collect();
        let spots = place_quota_labels(&[(100, (80, 14))], &[busy], &[100], plot);
        assert_eq!(spots, vec![(6, 100 - 4 - 14)]);
        // A line along the top: its label goes under it; two lines close
        // together: their labels do not overlap.
        let spots = place_quota_labels(&[(2, (80, 14)), (10, (80, 14))], &[], &[2, 10], plot);
        assert_eq!(spots[0], (800 - 6 - 80, 6));
        let boxes: Vec<PxBox> = spots.iter().map(|&(x, y)| (x, y, x + 80, y + 14)).collect();
        assert_eq!(overlap(boxes[0], boxes[1]), 0, "{spots:?}");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(compact(400_000.0), "400K");
        assert_eq!(compact(1_250_000.0), "1.25M");
        assert_eq!(compact(2_000.0), "2,000");
        assert_eq!(compact(12_345.0), "12.3K");
        assert_eq!(load_chart_name("support"), "support-load.svg");
    }
}
