//! Charts of a run or a sweep, as SVG: what a person pastes into a design review.
//!
//! One function per chart, each returning the SVG document as a `String`:
//! [`cost_curve`] (a sweep), [`frontier`], [`latency`] and [`breakdown`] (a run),
//! [`tornado`] (a sensitivity analysis) and [`load`] (traffic over time against
//! the quotas).
//! [`write_run_charts`] and [`write_sweep_charts`] write them to files, all or
//! nothing, through [`crate::outfile`], which also checks the destinations
//! before a long run.
//!
//! Text is laid out with the metrics of DejaVu Sans, which ships inside the
//! `dejavu` crate and is registered with plotters at first use, so the layout is
//! the same on every machine whatever fonts it has installed. The SVG names
//! `DejaVu Sans` first in its `font-family` and falls back to the viewer's
//! sans-serif; DejaVu Sans is among the widest common sans-serif faces, so text
//! drawn in another one is narrower than the room left for it, never wider.
//! The output is byte-for-byte the same for the same input.

mod breakdown;
mod cost_curve;
mod frontier;
mod latency;
mod load;
mod tornado;

pub use breakdown::breakdown;
pub use cost_curve::cost_curve;
pub use frontier::frontier;
pub use latency::latency;
pub use load::{LoadSeries, load, load_chart_name};
pub use tornado::{tornado, tornado_chart_name};

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontFamily, FontStyle, register_font};

use crate::engine::results::RunResults;
use crate::scenario::Targets;
use crate::sweep::SweepResults;

/// Why a chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Plotters failed while drawing.
    #[error("could not draw the chart: {0}")]
    Draw(String),
    /// The embedded font could not be registered.
    #[error("could not load the chart font: {0}")]
    Font(String),
    /// A chart file could not be written.
    #[error("cannot write chart {}: {reason}", path.display())]
    Write { path: PathBuf, reason: io::Error },
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError::Draw(e.to_string())
    }
}

/// The files of a run's charts, named after `stem`: frontier, latency, breakdown.
pub fn run_chart_names(stem: &str) -> [String; 3] {
    [
        format!("{stem}-frontier.svg"),
        format!("{stem}-latency.svg"),
        format!("{stem}-breakdown.svg"),
    ]
}

/// The file of a sweep's chart, named after `stem`: the cost curve.
pub fn sweep_chart_names(stem: &str) -> [String; 1] {
    [format!("{stem}-cost-curve.svg")]
}

/// Writes a run's charts ([`run_chart_names`]) into `dir` (created if missing)
/// and returns their paths. Every chart is drawn before any file is written; on
/// error no chart file is left behind ([`crate::outfile::write_all`]).
/// `targets` are the scenario's, drawn on the frontier (quality) and the
/// latency chart (p95).
pub fn write_run_charts(
    r: &RunResults,
    targets: &Targets,
    dir: &Path,
    stem: &str,
) -> Result<Vec<PathBuf>, ChartError> {
    let [a, b, c] = run_chart_names(stem);
    let mut files = vec![
        (a, frontier(r, targets)?),
        (b, latency(r, targets)?),
        (c, breakdown(r)?),
    ];
    if r.scenario.load.is_some() {
        files.push((load_chart_name(stem), load_of_run(r)?));
    }
    write_all(dir, files)
}

/// The load chart of a run with `[load]`.
pub fn load_of_run(r: &RunResults) -> Result<String, ChartError> {
    let series: Vec<LoadSeries> = r
        .load_lines
        .iter()
        .map(|l| LoadSeries {
            label: &l.label,
            rpm: &l.rpm,
            tpm: &l.tpm,
            quota_rpm: l.quota_rpm,
            quota_tpm: l.quota_tpm,
        })
        .collect();
    load(
        &format!(
            "{}: per-minute traffic against quotas (replication 1)",
            r.scenario.name
        ),
        &series,
    )
}

/// Writes a sweep's chart ([`sweep_chart_names`]) into `dir` (created if
/// missing) and returns its path; nothing is written if it cannot be drawn.
pub fn write_sweep_charts(
    s: &SweepResults,
    dir: &Path,
    stem: &str,
) -> Result<Vec<PathBuf>, ChartError> {
    let [a] = sweep_chart_names(stem);
    write_all(dir, vec![(a, cost_curve(s)?)])
}

/// Writes every file through an exclusive temporary file, then renames them all
/// into place; on a failure nothing is renamed and no temporary file is left.
fn write_all(dir: &Path, files: Vec<(String, String)>) -> Result<Vec<PathBuf>, ChartError> {
    let files: Vec<(PathBuf, &[u8])> = files
        .iter()
        .map(|(name, svg)| (dir.join(name), svg.as_bytes()))
        .collect();
    crate::outfile::write_all(&files).map_err(|(path, reason)| ChartError::Write { path, reason })
}

// ---------------------------------------------------------------------------
// Drawing helpers shared by the charts.

/// A drawing area in pixels.
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// The font family written into the SVG; registered with plotters under this name
/// (and as "sans-serif", which plotters uses for its own defaults).
const FAMILY: &str = "DejaVu Sans, Arial, Helvetica, sans-serif";

fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            for name in [FAMILY, "sans-serif"] {
                register_font(name, FontStyle::Normal, dejavu::sans::regular())
                    .map_err(|_| "DejaVu Sans from the dejavu crate is not a valid font")?;
            }
            Ok(())
        })
        .clone()
        .map_err(ChartError::Font)
}

/// Renders a chart of `size` pixels into an SVG string.
fn render(
    size: (u32, u32),
    draw: impl FnOnce(&Area) -> Result<(), ChartError>,
) -> Result<String, ChartError> {
    ensure_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(svg)
}

/// Plotters sizes fonts so that the SVG font-size is size / 1.24; this is the
/// size that draws text `px` pixels high.
fn font(px: f64) -> FontDesc<'static> {
    // A font description looks its font up when made: register first. A failure
    // shows when the text is measured or drawn.
    let _ = ensure_font();
    FontDesc::new(FontFamily::Name(FAMILY), px * 1.24, FontStyle::Normal)
}

fn text(px: f64, color: RGBColor) -> TextStyle<'static> {
    TextStyle {
        color: color.to_backend_color(),
        ..TextStyle::from(font(px))
    }
}

fn bold(px: f64, color: RGBColor) -> TextStyle<'static> {
    TextStyle {
        color: color.to_backend_color(),
        ..TextStyle::from(font(px).style(FontStyle::Bold))
    }
}

fn anchored(style: TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

/// Text sizes, pixels.
const TITLE_PX: f64 = 22.0;
const SUBTITLE_PX: f64 = 14.0;
const AXIS_PX: f64 = 15.0;
const TICK_PX: f64 = 13.0;
const LEGEND_PX: f64 = 13.0;
const NOTE_PX: f64 = 12.0;

const INK: RGBColor = RGBColor(33, 37, 41);
const MUTED: RGBColor = RGBColor(85, 90, 96);
const GRID: RGBColor = RGBColor(228, 230, 233);
const AXIS: RGBColor = RGBColor(120, 124, 130);
const TARGET: RGBColor = RGBColor(200, 30, 45);

/// Tableau 10: distinct, readable on white, kind to most color vision.
const PALETTE: [RGBColor; 10] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(89, 161, 79),
    RGBColor(225, 87, 89),
    RGBColor(176, 122, 161),
    RGBColor(118, 183, 178),
    RGBColor(156, 117, 95),
    RGBColor(237, 201, 72),
    RGBColor(255, 157, 167),
    RGBColor(186, 176, 172),
];

/// The color of the `i`th series; policies keep their color across charts.
fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Width and height of `s` in `style`, pixels, from the embedded font's metrics:
/// what plotters itself uses to lay out axes and labels.
fn measure(s: &str, style: &TextStyle) -> Result<(i32, i32), ChartError> {
    let (w, h) = style
        .font
        .box_size(s)
        .map_err(|e| ChartError::Font(e.to_string()))?;
    Ok((w as i32, h as i32))
}

/// Breaks `s` into lines no wider than `width` pixels, at spaces.
fn wrap(s: &str, style: &TextStyle, width: i32) -> Result<Vec<String>, ChartError> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split(' ') {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && measure(&candidate, style)?.0 > width {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// `s` cut to `width` pixels by an ellipsis in the middle, keeping `head` of
/// every two characters kept at the start (at least one) and the rest at the
/// end: policy names often differ only in their ends (`…-a`, `…-b`), so both
/// ends stay readable.
fn cut_middle(s: &str, style: &TextStyle, width: i32, head: f64) -> Result<String, ChartError> {
    if measure(s, style)?.0 <= width {
        return Ok(s.to_string());
    }
    let chars: Vec<char> = s.chars().collect();
    let cut = |keep: usize| -> String {
        let h = ((keep as f64 * head).round() as usize).clamp(1, keep - 1);
        chars[..h].iter().collect::<String>()
            + "…"
            + &chars[chars.len() - (keep - h)..].iter().collect::<String>()
    };
    // Each step of `keep` adds a character, so the width grows with it: the
    // most characters that fit, by bisection.
    let (mut lo, mut hi) = (1, chars.len());
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if measure(&cut(mid), style)?.0 <= width {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(if lo >= 2 { cut(lo) } else { "…".into() })
}

/// `names` cut to `width` pixels each by [`cut_middle`], where they must be,
/// and told apart: names that the cut would make equal keep more of their ends.
fn fit_names(names: &[&str], style: &TextStyle, width: i32) -> Result<Vec<String>, ChartError> {
    let plain = names
        .iter()
        .map(|n| cut_middle(n, style, width, 0.5))
        .collect::<Result<Vec<String>, ChartError>>()?;
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let mut cut = plain[i].clone();
        let mut head = 0.5;
        // A clash with another name's cut (distinct names only).
        let clash =
            |cut: &str| (0..names.len()).any(|j| j != i && names[j] != *name && plain[j] == cut);
        while head > 0.05 && clash(&cut) {
            head -= 0.1;
            cut = cut_middle(name, style, width, head)?;
        }
        out.push(cut);
    }
    Ok(out)
}

/// A policy name on at most `max_lines` lines of `width` pixels: broken after a
/// `-`, `_`, `.`, `/`, `:` or space where one fits, inside a word where none
/// does; a name still too long loses its middle on the last line ([`cut_middle`]),
/// so that its start and its end show.
fn wrap_name(
    name: &str,
    style: &TextStyle,
    width: i32,
    max_lines: usize,
) -> Result<Vec<String>, ChartError> {
    let mut lines = Vec::new();
    let mut rest: Vec<char> = name.chars().collect();
    while !rest.is_empty() {
        let all: String = rest.iter().collect();
        if lines.len() + 1 >= max_lines.max(1) || measure(&all, style)?.0 <= width {
            lines.push(cut_middle(&all, style, width, 0.5)?);
            break;
        }
        // The longest prefix that fits, preferring one ending at a break.
        let mut fits = 1;
        let mut at_break = None;
        for k in 1..=rest.len() {
            let prefix: String = rest[..k].iter().collect();
            if measure(&prefix, style)?.0 > width {
                break;
            }
            fits = k;
            if matches!(rest[k - 1], '-' | '_' | '.' | '/' | ':' | ' ') {
                at_break = Some(k);
            }
        }
        let k = at_break.unwrap_or(fits);
        lines.push(rest[..k].iter().collect::<String>().trim_end().to_string());
        rest.drain(..k);
        while rest.first() == Some(&' ') {
            rest.remove(0);
        }
    }
    Ok(lines)
}

/// Left margin of the title block and of legends, pixels.
const PAD: i32 = 24;

/// A chart's heading: a bold title and wrapped subtitle lines.
struct Header {
    title: String,
    lines: Vec<String>,
}

impl Header {
    /// A header for a chart `width` pixels wide.
    fn new(width: u32, title: String, subtitles: &[String]) -> Result<Header, ChartError> {
        let width = width as i32 - 2 * PAD;
        let style = text(SUBTITLE_PX, MUTED);
        let mut lines = Vec::new();
        for s in subtitles {
            lines.extend(wrap(s, &style, width)?);
        }
        Ok(Header { title, lines })
    }

    fn height(&self) -> i32 {
        18 + TITLE_PX as i32 + 10 + self.lines.len() as i32 * (SUBTITLE_PX as i32 + 6) + 6
    }

    fn draw(&self, area: &Area) -> Result<(), ChartError> {
        area.draw_text(
            &self.title,
            &anchored(bold(TITLE_PX, INK), HPos::Left, VPos::Top),
            (PAD, 18),
        )?;
        let style = anchored(text(SUBTITLE_PX, MUTED), HPos::Left, VPos::Top);
        for (i, line) in self.lines.iter().enumerate() {
            let y = 18 + TITLE_PX as i32 + 10 + i as i32 * (SUBTITLE_PX as i32 + 6);
            area.draw_text(line, &style, (PAD, y))?;
        }
        Ok(())
    }
}

/// What a legend entry shows beside its label.
#[derive(Debug, Clone, Copy)]
enum Swatch {
    Line(RGBColor),
    Dashed(RGBColor),
    /// A line over its shaded CI band.
    Band(RGBColor),
    /// The recommended point's star.
    Star(RGBColor),
    Block(RGBColor),
    Marker(Shape, RGBColor, bool),
}

/// Marker shapes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Circle,
    Square,
    Triangle,
}

const SWATCH_W: i32 = 28;
const LEGEND_ROW: i32 = 22;

/// A legend laid out in rows that wrap at the area's width, drawn outside the
/// plotting areas so that it never covers data.
struct Legend {
    items: Vec<(Swatch, String)>,
}

impl Legend {
    /// Each item's position (x, row) for a legend `width` pixels wide.
    fn layout(&self, width: i32) -> Result<Vec<(i32, i32)>, ChartError> {
        let style = text(LEGEND_PX, INK);
        let (mut x, mut row) = (0, 0);
        let mut out = Vec::new();
        for (_, label) in &self.items {
            let w = SWATCH_W + 8 + measure(label, &style)?.0;
            if x > 0 && x + w > width {
                x = 0;
                row += 1;
            }
            out.push((x, row));
            x += w + 26;
        }
        Ok(out)
    }

    fn height(&self, width: i32) -> Result<i32, ChartError> {
        let rows = self.layout(width)?.last().map_or(0, |&(_, row)| row + 1);
        Ok(rows * LEGEND_ROW)
    }

    /// Draws the legend with its top left corner at `origin` (root pixels).
    fn draw(&self, root: &Area, origin: (i32, i32), width: i32) -> Result<(), ChartError> {
        let style = anchored(text(LEGEND_PX, INK), HPos::Left, VPos::Center);
        for ((swatch, label), (x, row)) in self.items.iter().zip(self.layout(width)?) {
            let (x, y) = (origin.0 + x, origin.1 + row * LEGEND_ROW + LEGEND_ROW / 2);
            draw_swatch(root, *swatch, (x, y))?;
            root.draw_text(label, &style, (x + SWATCH_W + 8, y))?;
        }
        Ok(())
    }
}

fn draw_swatch(root: &Area, swatch: Swatch, (x, y): (i32, i32)) -> Result<(), ChartError> {
    let line = |c: RGBColor| PathElement::new(vec![(x, y), (x + SWATCH_W, y)], c.stroke_width(2));
    match swatch {
        Swatch::Line(c) => root.draw(&line(c))?,
        Swatch::Dashed(c) => root.draw(&DashedPathElement::new(
            vec![(x, y), (x + SWATCH_W, y)],
            6,
            4,
            c.stroke_width(2),
        ))?,
        Swatch::Band(c) => {
            root.draw(&Rectangle::new(
                [(x, y - 6), (x + SWATCH_W, y + 6)],
                c.mix(0.18).filled(),
            ))?;
            root.draw(&line(c))?;
        }
        Swatch::Star(c) => draw_star(root, (x + SWATCH_W / 2, y), 9.0, c)?,
        Swatch::Block(c) => root.draw(&Rectangle::new(
            [(x + 4, y - 7), (x + SWATCH_W - 4, y + 7)],
            c.filled(),
        ))?,
        Swatch::Marker(shape, c, filled) => {
            draw_marker(root, (x + SWATCH_W / 2, y), shape, 6, c, filled)?
        }
    }
    Ok(())
}

/// Draws a marker centred on `(x, y)` (root pixels), `r` pixels in radius.
fn draw_marker(
    root: &Area,
    (x, y): (i32, i32),
    shape: Shape,
    r: i32,
    c: RGBColor,
    filled: bool,
) -> Result<(), ChartError> {
    let fill = if filled { c.filled() } else { WHITE.filled() };
    let edge = c.stroke_width(2);
    let poly = |pts: Vec<(i32, i32)>| -> Result<(), ChartError> {
        root.draw(&Polygon::new(pts.clone(), fill))?;
        let mut closed = pts.clone();
        closed.push(pts[0]);
        root.draw(&PathElement::new(closed, edge))?;
        Ok(())
    };
    match shape {
        Shape::Circle => {
            root.draw(&Circle::new((x, y), r, fill))?;
            root.draw(&Circle::new((x, y), r, edge))?;
        }
        Shape::Square => {
            let r = r - 1;
            poly(vec![
                (x - r, y - r),
                (x + r, y - r),
                (x + r, y + r),
                (x - r, y + r),
            ])?
        }
        Shape::Triangle => {
            let r = r + 1;
            poly(vec![
                (x, y - r),
                (x + r, y + r * 2 / 3),
                (x - r, y + r * 2 / 3),
            ])?
        }
    }
    Ok(())
}

/// A star marker for the recommended point.
fn draw_star(root: &Area, (x, y): (i32, i32), r: f64, c: RGBColor) -> Result<(), ChartError> {
    let pts: Vec<(i32, i32)> = (0..10)
        .map(|i| {
            let a = std::f64::consts::PI * (i as f64 / 5.0 - 0.5);
            let rr = if i % 2 == 0 { r } else { r * 0.45 };
            (
                x + (rr * a.cos()).round() as i32,
                y + (rr * a.sin()).round() as i32,
            )
        })
        .collect();
    root.draw(&Polygon::new(pts.clone(), c.filled()))?;
    let mut closed = pts.clone();
    closed.push(pts[0]);
    root.draw(&PathElement::new(closed, INK.stroke_width(1)))?;
    Ok(())
}

/// Axis ticks at round values.
#[derive(Debug, Clone, PartialEq)]
struct Ticks {
    /// The axis range: the data's, widened to whole steps.
    lo: f64,
    hi: f64,
    step: f64,
    values: Vec<f64>,
}

impl Ticks {
    /// About `target` ticks (at most twice that) at multiples of 1, 2 or 5 × 10ⁿ
    /// covering `[lo, hi]`.
    fn new(lo: f64, hi: f64, target: usize) -> Ticks {
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else {
            let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            (lo - d, hi + d)
        };
        let raw = (hi - lo) / target.max(1) as f64;
        let mag = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|s| *s >= raw * 0.999)
            .unwrap_or(10.0 * mag);
        // The tolerance keeps a bound that is a multiple of the step, give or
        // take rounding, from gaining a whole step.
        let (a, b) = (
            (lo / step + 1e-9).floor() as i64,
            (hi / step - 1e-9).ceil() as i64,
        );
        Ticks {
            lo: a as f64 * step,
            hi: b as f64 * step,
            step,
            values: (a..=b).map(|k| k as f64 * step).collect(),
        }
    }

    /// Decimals that tell the ticks apart.
    fn decimals(&self) -> usize {
        (-self.step.log10().floor()).max(0.0) as usize
    }
}

/// A numeric axis with the tick marks we choose (plotters' own pick is not
/// always round, and its `WithKeyPoints` cannot take a label formatter).
#[derive(Clone)]
struct Axis<R: Ranged<ValueType = f64>> {
    inner: R,
    ticks: Vec<f64>,
}

impl<R: Ranged<ValueType = f64>> Ranged for Axis<R> {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            vec![]
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// A linear axis over `[lo, hi]` with ticks at `ticks`.
fn linear(lo: f64, hi: f64, ticks: Vec<f64>) -> Axis<RangedCoordf64> {
    Axis {
        inner: (lo..hi).into(),
        ticks,
    }
}

impl Ticks {
    /// A linear axis over the ticks' range.
    fn axis(&self) -> Axis<RangedCoordf64> {
        linear(self.lo, self.hi, self.values.clone())
    }
}

/// `t` cut to `[lo, hi]` (quality cannot pass 100%).
fn clamp_ticks(mut t: Ticks, lo: f64, hi: f64) -> Ticks {
    t.lo = t.lo.max(lo);
    t.hi = t.hi.min(hi);
    let (a, b) = (t.lo - 1e-12, t.hi + 1e-12);
    t.values.retain(|v| *v >= a && *v <= b);
    t
}

/// Decimals that tell percent ticks apart (the ticks are fractions).
fn pct_dec(t: &Ticks) -> usize {
    (-(t.step * 100.0).log10().floor()).max(0.0) as usize
}

/// Groups the integer part by thousands: 1234567.5 → 1,234,567.5.
fn group(s: &str) -> String {
    let (sign, s) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    let mut out = String::from(sign);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// `v` with `decimals` decimals and thousands separators, never "-0".
fn number(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let zero = s
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.');
    group(if zero { s.trim_start_matches('-') } else { &s })
}

/// A dollar tick label: `$0.004`, `$2,500`.
fn usd_tick(v: f64, decimals: usize) -> String {
    let s = number(v, decimals);
    match s.strip_prefix('-') {
        Some(rest) => format!("-${rest}"),
        None => format!("${s}"),
    }
}

/// A dollar amount with about four significant digits: `$0.004123`, `$2,871`.
fn usd(v: f64) -> String {
    let d = if v == 0.0 || !v.is_finite() {
        2
    } else {
        (3 - v.abs().log10().floor() as i64).clamp(0, 9) as usize
    };
    usd_tick(v, d.max(if v.abs() >= 1000.0 { 0 } else { 2 }))
}

/// A fraction as a percent tick: 0.955 → `95.5%` (decimals for the step in %).
fn pct_tick(v: f64, decimals: usize) -> String {
    format!("{}%", number(v * 100.0, decimals))
}

/// Milliseconds: `3,913 ms`.
fn ms(v: f64) -> String {
    format!("{} ms", number(v, 0))
}

/// The short name of a dotted parameter path: its last segment.
fn short_param(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// The width of a y label area holding tick labels and a rotated axis title.
fn y_label_width(labels: &[String]) -> Result<i32, ChartError> {
    let style = text(TICK_PX, MUTED);
    let mut widest = 0;
    for l in labels {
        widest = widest.max(measure(l, &style)?.0);
    }
    Ok(widest + 10 + 10 + AXIS_PX as i32 + 8)
}

/// A box in root pixels: left, top, right, bottom.
type PxBox = (i32, i32, i32, i32);

/// A label to place: the point it names and its width and height, pixels.
type Wanted = ((i32, i32), (i32, i32));

fn overlap(a: PxBox, b: PxBox) -> i64 {
    let w = (a.2.min(b.2) - a.0.max(b.0)).max(0) as i64;
    let h = (a.3.min(b.3) - a.1.max(b.1)).max(0) as i64;
    w * h
}

/// Places labels of size `(w, h)` beside points, each at the candidate spot that
/// overlaps least with the `avoid` boxes, the labels already placed and the area
/// outside `bounds`. Returns each label's top left corner.
fn place_labels(
    points: &[Wanted],
    mut avoid: Vec<PxBox>,
    bounds: PxBox,
    gap: i32,
) -> Vec<(i32, i32)> {
    let mut out = Vec::new();
    for &((x, y), (w, h)) in points {
        let spots = [
            (x + gap, y - h / 2),
            (x - gap - w, y - h / 2),
            (x - w / 2, y - gap - h),
            (x - w / 2, y + gap),
            (x + gap - 4, y - gap - h + 4),
            (x + gap - 4, y + gap - 4),
            (x - gap - w + 4, y - gap - h + 4),
            (x - gap - w + 4, y + gap - 4),
        ];
        let cost = |&(lx, ly): &(i32, i32)| {
            let r = (lx, ly, lx + w, ly + h);
            let hidden: i64 = avoid.iter().map(|a| overlap(r, *a)).sum();
            let inside = overlap(r, bounds);
            hidden + 10 * ((w * h) as i64 - inside)
        };
        let best = spots
            .iter()
            .enumerate()
            .min_by_key(|(i, s)| (cost(s), *i))
            .map(|(_, s)| *s)
            .unwrap_or((x, y));
        avoid.push((best.0, best.1, best.0 + w, best.1 + h));
        out.push(best);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        let t = Ticks::new(0.0039, 0.0129, 6);
        assert_eq!(t.step, 0.002);
        assert!(t.lo <= 0.0039 && t.hi >= 0.0129);
        assert_eq!(t.decimals(), 3);
        assert_eq!(usd_tick(t.values[2], t.decimals()), "$0.006");
        let t = Ticks::new(0.0, 9000.0, 5);
        assert_eq!(t.step, 2000.0);
        assert_eq!(usd_tick(8000.0, t.decimals()), "$8,000");
        let t = Ticks::new(0.5, 0.5, 5);
        assert!(t.lo < 0.5 && t.hi > 0.5);
        // A bound on a step stays put, whatever the rounding.
        let t = Ticks::new(0.0, 0.3, 3);
        assert_eq!((t.lo, t.values.len()), (0.0, 4));
        assert!((t.hi - 0.3).abs() < 1e-12);
    }

    #[test]
    fn long_names_keep_both_ends_and_stay_apart() {
        let style = text(LEGEND_PX, INK);
        let a = "micro-first-cascade-with-a-very-long-name-for-review-a";
        let b = "micro-first-cascade-with-a-very-long-name-for-review-b";
        assert_eq!(cut_middle("short", &style, 200, 0.5).unwrap(), "short");
        let cut = fit_names(&[a, b, "x"], &style, 200).unwrap();
        assert!(
            cut[0].contains('…') && cut[0].ends_with("review-a"),
            "{cut:?}"
        );
        assert!(cut[1].ends_with("review-b") && cut[0] != cut[1], "{cut:?}");
        assert_eq!(cut[2], "x");
        for c in &cut {
            assert!(measure(c, &style).unwrap().0 <= 200, "{c}");
        }
        // Wrapped at a hyphen, whole on two lines; cut in the middle beyond.
        let lines = wrap_name(a, &style, 220, 2).unwrap();
        assert_eq!(lines.concat(), a, "{lines:?}");
        assert!(lines[0].ends_with('-'), "{lines:?}");
        let lines = wrap_name(&a.repeat(3), &style, 220, 2).unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines[1].contains('…') && lines[1].ends_with("review-a"));
        // A name without breaks is cut inside a word.
        let lines = wrap_name(&"x".repeat(30), &style, 100, 3).unwrap();
        assert_eq!(
            (lines.len(), lines.concat()),
            (3, "x".repeat(30)),
            "{lines:?}"
        );
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(-0.0001, 2), "0.00");
        assert_eq!(usd_tick(-2.5, 1), "-$2.5");
        assert_eq!(usd(0.0041234), "$0.004123");
        assert_eq!(usd(2871.4), "$2,871");
        assert_eq!(usd(12.869), "$12.87");
        assert_eq!(pct_tick(0.955, 1), "95.5%");
        assert_eq!(ms(10504.8), "10,505 ms");
        assert_eq!(short_param("policy.cascade.threshold"), "threshold");
    }
}
