//! Fitting `[[traffic]]` tables to a log: what `simroute fit` prints.
//!
//! Why: the scenario's token distributions are lognormals given by a median and
//! a 95th percentile. A log gives both exactly (empirical quantiles), and says
//! how well a lognormal with them describes the rest of the distribution: the
//! comments compare the lognormal's p99 and mean with the log's. A heavy tail a
//! lognormal misses shows there first, and is flagged ("poor fit") when the p99
//! is off by more than 25%.
//!
//! Per class (records without a class form one class, "all"): the share of the
//! used records; input and output token quantiles; `cached_prefix_tokens`, the
//! median of cache read + write over the records that have any; and
//! `cache_hit_rate`, the fraction of those that read the cache. Quantiles are
//! exact: a class's counts are held as `u32` (4 bytes each, 8 MB per million
//! records) and selected with `select_nth_unstable`.
//!
//! The output is always a valid scenario's `[[traffic]]`: a count whose median
//! is 0 (more than half the records have 0), which no lognormal has, is printed
//! as its mean, rounded (at least 1 for output tokens), with a comment saying
//! so. A scenario sends the cached prefix with every request of a class: where
//! only some of the class's records have cached tokens, a comment says so (the
//! numbers stay as the log gives them).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use super::{LogOptions, LogSummary, Record, Reject, fold_log};
use crate::input::InputError;
use crate::stats::Z95;

/// Φ⁻¹(0.99): the standard normal deviate of a 99th percentile.
pub const Z99: f64 = 2.326_347_874_040_841;

/// A p99 off by more than this (relative) flags a poor lognormal fit.
pub const POOR_FIT: f64 = 0.25;

/// The class of records that have none.
pub const DEFAULT_CLASS: &str = "all";

/// Days in the month that `monthly_requests` means.
const DAYS_PER_MONTH: f64 = 30.0;

/// What a log says about one token count of one class.
#[derive(Debug, Clone, PartialEq)]
pub struct CountFit {
    /// Records.
    pub n: u64,
    /// Smallest count.
    pub min: u64,
    /// Largest count.
    pub max: u64,
    /// Median, rounded to a whole token (linear interpolation between order
    /// statistics, as numpy's default).
    pub median: u64,
    /// 95th percentile, rounded.
    pub p95: u64,
    /// 99th percentile, not rounded.
    pub p99: f64,
    /// Mean.
    pub mean: f64,
}

impl CountFit {
    /// Fits `v` (reordered in place). `None` for no values.
    pub fn new(v: &mut [u32]) -> Option<CountFit> {
        if v.is_empty() {
            return None;
        }
        let q = quantiles(v, &[0.5, 0.95, 0.99]);
        let sum: u64 = v.iter().map(|&x| x as u64).sum();
        Some(CountFit {
            n: v.len() as u64,
            min: *v.iter().min().unwrap() as u64,
            max: *v.iter().max().unwrap() as u64,
            median: q[0].round() as u64,
            p95: q[1].round() as u64,
            p99: q[2],
            mean: sum as f64 / v.len() as f64,
        })
    }

    /// Fits values with weights, `(value, weight)`, as [`CountFit::new`] fits
    /// the multiset that holds each value `weight` times (reordered in place):
    /// an aggregate's cells' mean counts weighted by their records. `None`
    /// where the weights sum to 0.
    pub fn weighted(v: &mut [(u32, u64)]) -> Option<CountFit> {
        let n: u64 = v.iter().map(|&(_, w)| w).sum();
        if n == 0 {
            return None;
        }
        v.sort_unstable();
        // The value at 0-based position k of the expanded, sorted multiset.
        let at = |k: u64| -> f64 {
            let mut seen = 0u64;
            for &(x, w) in v.iter() {
                seen += w;
                if k < seen {
                    return x as f64;
                }
            }
            v.last().map_or(0.0, |&(x, _)| x as f64)
        };
        let q = |p: f64| -> f64 {
            let pos = (n - 1) as f64 * p;
            let k = pos.floor() as u64;
            let frac = pos - k as f64;
            let a = at(k);
            if frac > 0.0 && k + 1 < n {
                a + frac * (at(k + 1) - a)
            } else {
                a
            }
        };
        let sum: u128 = v.iter().map(|&(x, w)| x as u128 * w as u128).sum();
        let present = v.iter().filter(|&&(_, w)| w > 0);
        Some(CountFit {
            n,
            min: present.clone().map(|&(x, _)| x).min().unwrap_or(0) as u64,
            max: present.map(|&(x, _)| x).max().unwrap_or(0) as u64,
            median: q(0.5).round() as u64,
            p95: q(0.95).round() as u64,
            p99: q(0.99),
            mean: sum as f64 / n as f64,
        })
    }

    /// Every record has the same count.
    pub fn constant(&self) -> bool {
        self.min == self.max
    }

    /// The lognormal with the printed median and p95: `(mu, sigma)`; `None`
    /// where the median is 0.
    pub fn lognormal(&self) -> Option<(f64, f64)> {
        if self.median == 0 {
            return None;
        }
        let mu = (self.median as f64).ln();
        Some((mu, (self.p95 as f64 / self.median as f64).ln() / Z95))
    }

    /// The lognormal's p99, `exp(mu + 2.3263·sigma)`.
    pub fn lognormal_p99(&self) -> Option<f64> {
        self.lognormal().map(|(mu, s)| (mu + Z99 * s).exp())
    }

    /// The lognormal's mean, `exp(mu + sigma²/2)`.
    pub fn lognormal_mean(&self) -> Option<f64> {
        self.lognormal().map(|(mu, s)| (mu + s * s / 2.0).exp())
    }

    /// (lognormal p99 − observed p99) / observed p99.
    pub fn p99_error(&self) -> Option<f64> {
        let fitted = self.lognormal_p99()?;
        (self.p99 > 0.0).then(|| (fitted - self.p99) / self.p99)
    }

    /// Whether the lognormal's p99 is off by more than [`POOR_FIT`].
    pub fn poor_fit(&self) -> bool {
        self.p99_error().is_some_and(|e| e.abs() > POOR_FIT)
    }
}

/// Type-7 (linear interpolation) quantiles of `v` at ascending `qs`, exact, in
/// O(n) per quantile: each selection works on the part of `v` above the last.
pub fn quantiles(v: &mut [u32], qs: &[f64]) -> Vec<f64> {
    let n = v.len();
    let mut lo = 0; // v[..lo] is settled: every element there is ≤ v[lo..]
    let mut out = Vec::with_capacity(qs.len());
    for &q in qs {
        let pos = (n - 1) as f64 * q.clamp(0.0, 1.0);
        let k = pos.floor() as usize;
        let frac = pos - k as f64;
        if k >= lo {
            v[lo..].select_nth_unstable(k - lo);
            lo = k;
        }
        let a = v[k] as f64;
        let b = if frac > 0.0 && k + 1 < n {
            *v[k + 1..].iter().min().unwrap() as f64
        } else {
            a
        };
        out.push(a + frac * (b - a));
    }
    out
}

/// What a log says about one class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassFit {
    /// The class name ([`DEFAULT_CLASS`] for records without one).
    pub name: String,
    /// Used records of the class.
    pub records: u64,
    /// records / used records of the log.
    pub share: f64,
    /// The share as printed, in ten-thousandths: rounded, the largest class
    /// adjusted so that the printed shares sum to exactly 1.
    pub share_e4: u64,
    /// Uncached input tokens.
    pub input_tokens: CountFit,
    /// Output tokens.
    pub output_tokens: CountFit,
    /// cache read + cache write, over the records that have any.
    pub cached: Option<CountFit>,
    /// Records with cache_read > 0.
    pub cache_reads: u64,
    /// Models of the class's records, most used first.
    pub models: Vec<(String, u64)>,
}

impl ClassFit {
    /// The median cached prefix, where any record has cached tokens.
    pub fn cached_prefix_tokens(&self) -> Option<u64> {
        self.cached.as_ref().map(|c| c.median)
    }

    /// Records reading the cache / records with cached tokens.
    pub fn cache_hit_rate(&self) -> Option<f64> {
        self.cached
            .as_ref()
            .map(|c| self.cache_reads as f64 / c.n as f64)
    }
}

/// A fitted log.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// What the read saw.
    pub summary: LogSummary,
    /// Classes in order of first appearance.
    pub classes: Vec<ClassFit>,
}

impl Fit {
    /// Used records per month at the log's rate (used / span × 30 days), where
    /// the span is known and not zero.
    pub fn monthly_requests(&self) -> Option<f64> {
        let span = self.summary.span_s().filter(|&s| s > 0.0)?;
        Some(self.summary.used as f64 / span * DAYS_PER_MONTH * 86_400.0)
    }
}

#[derive(Default)]
struct ClassAcc {
    input: Vec<u32>,
    output: Vec<u32>,
    cached: Vec<u32>,
    cache_reads: u64,
    models: HashMap<String, u64>,
}

/// Classes in order of first appearance, and what each has seen: one per piece
/// of a log read in parallel, merged in log order.
#[derive(Default)]
struct FitAcc {
    index: HashMap<String, usize>,
    names: Vec<String>,
    accs: Vec<ClassAcc>,
    /// Consecutive records often share a class: the last one's.
    last: Option<usize>,
}

impl FitAcc {
    fn class(&mut self, name: &str) -> usize {
        match self.index.get(name) {
            Some(&i) => i,
            None => {
                self.index.insert(name.to_string(), self.names.len());
                self.names.push(name.to_string());
                self.accs.push(ClassAcc::default());
                self.names.len() - 1
            }
        }
    }

    fn add(&mut self, r: &Record) -> Result<(), Reject> {
        let name = r.class.unwrap_or(DEFAULT_CLASS);
        let i = match self.last {
            Some(i) if self.names[i] == name => i,
            _ => self.class(name),
        };
        self.last = Some(i);
        let a = &mut self.accs[i];
        // Counts are at most MAX_TOKENS (checked by the reader): they fit a u32.
        a.input.push(r.input as u32);
        a.output.push(r.output as u32);
        let cached = r.cache_read + r.cache_write;
        if cached > 0 {
            a.cached.push(cached.min(u32::MAX as u64) as u32);
            a.cache_reads += (r.cache_read > 0) as u64;
        }
        if let Some(m) = r.model {
            match a.models.get_mut(m) {
                Some(n) => *n += 1,
                None => {
                    a.models.insert(m.to_string(), 1);
                }
            }
        }
        Ok(())
    }

    /// Adds the piece that follows this one in the log.
    fn merge(&mut self, o: FitAcc) {
        for (name, b) in o.names.into_iter().zip(o.accs) {
            let i = self.class(&name);
            let a = &mut self.accs[i];
            a.input.extend(b.input);
            a.output.extend(b.output);
            a.cached.extend(b.cached);
            a.cache_reads += b.cache_reads;
            for (m, n) in b.models {
                *a.models.entry(m).or_insert(0) += n;
            }
        }
    }
}

/// Reads the log at `path` (a file, a folder or a glob pattern) and fits every
/// class.
pub fn fit_log(path: &Path, opts: &LogOptions) -> Result<Fit, InputError> {
    if super::aggregate::sniff(path)?.is_some() {
        return fit_aggregate(path);
    }
    let mut total = FitAcc::default();
    let summary = fold_log(path, opts, FitAcc::default, FitAcc::add, |a| {
        total.merge(a);
        Ok(())
    })?;
    let FitAcc { names, accs, .. } = total;
    let used = summary.used;
    let mut classes: Vec<ClassFit> = names
        .into_iter()
        .zip(accs)
        .map(|(name, mut a)| {
            let records = a.input.len() as u64;
            let mut models: Vec<(String, u64)> = a.models.into_iter().collect();
            models.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            ClassFit {
                name,
                records,
                share: records as f64 / used as f64,
                share_e4: 0,
                input_tokens: CountFit::new(&mut a.input).expect("a class has records"),
                output_tokens: CountFit::new(&mut a.output).expect("a class has records"),
                cached: CountFit::new(&mut a.cached),
                cache_reads: a.cache_reads,
                models,
            }
        })
        .collect();
    // Shares in ten-thousandths summing to exactly 10,000: round each, then give
    // the difference to the largest class (the smallest relative change).
    let mut total = 0i64;
    for c in &mut classes {
        c.share_e4 = (c.share * 10_000.0).round() as u64;
        total += c.share_e4 as i64;
    }
    if let Some(big) = classes.iter_mut().max_by_key(|c| c.records) {
        big.share_e4 = (big.share_e4 as i64 + 10_000 - total).max(0) as u64;
    }
    Ok(Fit { summary, classes })
}

/// Fits an aggregated traffic file: per class (cells without one form the class
/// "all"; classes in the file's sorted order), quantiles of the cells' mean
/// counts weighted by their records. Within a bucket (12.5%) of the raw log's:
/// every record of a cell lies in the cell's buckets, and so does their mean.
/// Records with cached tokens and cache reads are counted exactly (a bucket 0
/// holds only 0).
pub fn fit_aggregate(path: &Path) -> Result<Fit, InputError> {
    let file = super::aggregate::read_aggregate(path)?;
    struct Acc {
        input: Vec<(u32, u64)>,
        output: Vec<(u32, u64)>,
        cached: Vec<(u32, u64)>,
        cache_reads: u64,
        models: HashMap<String, u64>,
    }
    let mut accs: Vec<(String, Acc)> = Vec::new();
    let rows = file.data.rows();
    let mut used = 0u64;
    for row in &rows {
        let name = row.class.unwrap_or(DEFAULT_CLASS);
        if accs.last().is_none_or(|(n, _)| n != name) {
            match accs.iter().position(|(n, _)| n == name) {
                // Rows are sorted by class; only "all" can come back.
                Some(i) => {
                    let a = accs.remove(i);
                    accs.push(a);
                }
                None => accs.push((
                    name.to_string(),
                    Acc {
                        input: Vec::new(),
                        output: Vec::new(),
                        cached: Vec::new(),
                        cache_reads: 0,
                        models: HashMap::new(),
                    },
                )),
            }
        }
        let a = &mut accs.last_mut().expect("pushed").1;
        let s = &row.stats;
        used += s.records;
        let m = s.means().map(|v| v.min(u32::MAX as u64) as u32);
        a.input.push((m[0], s.records));
        a.output.push((m[1], s.records));
        if row.buckets[2] + row.buckets[3] > 0 {
            a.cached.push((m[2].saturating_add(m[3]), s.records));
            if row.buckets[2] > 0 {
                a.cache_reads += s.records;
            }
        }
        if let Some(model) = row.model {
            *a.models.entry(model.to_string()).or_default() += s.records;
        }
    }
    let summary = LogSummary {
        path: path.to_path_buf(),
        files: 1,
        format: super::LogFormat::Aggregate,
        gzip: file.gzip,
        read: used,
        used,
        skipped: Default::default(),
        first_timestamp: file.data.first_ms().map(super::time::format_ms),
        last_timestamp: file.data.last_ms().map(super::time::format_ms),
    };
    let mut classes: Vec<ClassFit> = accs
        .into_iter()
        .map(|(name, mut a)| {
            let records: u64 = a.input.iter().map(|&(_, w)| w).sum();
            let mut models: Vec<(String, u64)> = a.models.into_iter().collect();
            models.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            ClassFit {
                name,
                records,
                share: records as f64 / used as f64,
                share_e4: 0,
                input_tokens: CountFit::weighted(&mut a.input).expect("a class has records"),
                output_tokens: CountFit::weighted(&mut a.output).expect("a class has records"),
                cached: CountFit::weighted(&mut a.cached),
                cache_reads: a.cache_reads,
                models,
            }
        })
        .collect();
    share_e4(&mut classes);
    Ok(Fit { summary, classes })
}

/// Shares in ten-thousandths summing to exactly 10,000: round each, then give
/// the difference to the largest class (the smallest relative change).
fn share_e4(classes: &mut [ClassFit]) {
    let mut total = 0i64;
    for c in classes.iter_mut() {
        c.share_e4 = (c.share * 10_000.0).round() as u64;
        total += c.share_e4 as i64;
    }
    if let Some(big) = classes.iter_mut().max_by_key(|c| c.records) {
        big.share_e4 = (big.share_e4 as i64 + 10_000 - total).max(0) as u64;
    }
}

/// `n` and `noun`, plural unless `n` is 1, digits grouped: "1 record",
/// "1,200 records".
pub fn counted(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", group(n), if n == 1 { "" } else { "s" })
}

/// Groups digits by thousands: 1234567 → "1,234,567".
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A percentage of a fraction below 1, never printed as "100.0%".
fn pct_below_1(x: f64) -> String {
    if (0.9995..1.0).contains(&x) {
        "99.9%".to_string()
    } else {
        pct(x)
    }
}

fn signed_pct(x: f64) -> String {
    format!("{:+.1}%", x * 100.0)
}

/// A TOML value for a token count: the number where it is constant or where
/// its median is 0 (no lognormal has median 0: then the mean, rounded), else
/// `{ median = M, p95 = Q }`. `min` is the smallest value the scenario accepts
/// for a fixed count.
fn count_value(c: &CountFit, min: u64) -> String {
    if c.constant() {
        c.median.max(min).to_string()
    } else if c.median == 0 {
        (c.mean.round() as u64).max(min).to_string()
    } else {
        format!("{{ median = {}, p95 = {} }}", c.median, c.p95)
    }
}

/// The `#` lines on how well a lognormal fits a count (`min` as for
/// [`count_value`]).
fn fit_comment(out: &mut String, key: &str, c: &CountFit, min: u64) {
    if c.constant() {
        let _ = writeln!(out, "# {key}: {} on every record", group(c.median));
        return;
    }
    let (Some(p99), Some(mean)) = (c.lognormal_p99(), c.lognormal_mean()) else {
        // A rounded type-7 median of whole numbers is 0 only where more than
        // half of them are 0.
        let fixed = (c.mean.round() as u64).max(min);
        let _ = writeln!(
            out,
            "# {key}: more than half the records have 0 (the median is 0), which a lognormal cannot describe (its median must be greater than 0): fixed at {}, the mean{}; observed p95 {}, p99 {}, max {}",
            group(fixed),
            if fixed == c.mean.round() as u64 {
                format!(" ({:.1}) rounded", c.mean)
            } else {
                format!(" ({:.1}) raised to the least the scenario accepts", c.mean)
            },
            group(c.p95),
            group(c.p99.round() as u64),
            group(c.max)
        );
        return;
    };
    let err = c.p99_error().map_or("n/a".to_string(), signed_pct);
    let mean_err = if c.mean > 0.0 {
        signed_pct((mean - c.mean) / c.mean)
    } else {
        "n/a".into()
    };
    let _ = write!(
        out,
        "# {key}: p99 lognormal {} vs observed {} ({err}), mean lognormal {} vs observed {} ({mean_err})",
        group(p99.round() as u64),
        group(c.p99.round() as u64),
        group(mean.round() as u64),
        group(c.mean.round() as u64),
    );
    if c.poor_fit() {
        let heavier = c.p99 > p99;
        let _ = write!(
            out,
            "; poor fit: the log's tail is {} than the lognormal's",
            if heavier { "heavier" } else { "lighter" }
        );
    }
    out.push('\n');
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `s` as it can stand in a TOML comment: control characters (a newline, a
/// carriage return, a NUL in a class name or model id) would end the comment or
/// make the output invalid TOML, so they are written escaped, `\u{d}`.
fn comment(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\t') {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The fit as `[[traffic]]` tables with `#` comments, ready to paste into a
/// scenario.
pub fn render(fit: &Fit) -> String {
    let s = &fit.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Traffic fitted by `simroute fit` from {} ({}{}).",
        comment(&s.path.display().to_string()),
        s.format,
        if s.gzip { ", gzip" } else { "" }
    );
    let mut counts = format!(
        "# {} read, {} used, {} skipped",
        counted(s.read, "record"),
        group(s.used),
        group(s.skipped_total())
    );
    if !s.skipped.is_empty() {
        let parts: Vec<String> = s
            .skipped
            .iter()
            .map(|(k, n)| format!("{} {k}", group(*n)))
            .collect();
        let _ = write!(counts, " ({})", parts.join(", "));
    }
    let _ = writeln!(out, "{counts}.");
    if s.format == super::LogFormat::Aggregate {
        let _ = writeln!(
            out,
            "# From an aggregated traffic file: quantiles of the cells' mean counts weighted by their records, each within a bucket (at most 12.5%) of the raw log's."
        );
    }
    match (&s.first_timestamp, &s.last_timestamp, s.span_s()) {
        (Some(a), Some(b), Some(span)) if span > 0.0 => {
            let monthly = fit.monthly_requests().unwrap_or(0.0);
            let _ = writeln!(
                out,
                "# Timestamps {} to {} ({:.2} days): about {} per 30 days;",
                comment(a),
                comment(b),
                span / 86_400.0,
                counted(monthly.round() as u64, "request")
            );
            let _ = writeln!(
                out,
                "# set `monthly_requests = {}` in [scenario]{}.",
                monthly.round() as u64,
                if span < 86_400.0 {
                    " (the log covers less than a day: a daily cycle can bias this)"
                } else {
                    ""
                }
            );
        }
        (Some(a), Some(_), _) => {
            let _ = writeln!(
                out,
                "# Every timestamp is {}: the log gives no rate, so no monthly_requests.",
                comment(a)
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "# No ISO-8601 UTC timestamps: the log gives no rate, so no monthly_requests."
            );
        }
    }
    let _ = writeln!(
        out,
        "# A lognormal {{ median, p95 }} is what the simulation draws; each class's comments compare its p99 and mean with the log's."
    );
    for c in &fit.classes {
        out.push('\n');
        let mut head = format!(
            "# {}: {} ({} of those used)",
            comment(&c.name),
            counted(c.records, "record"),
            pct(c.share)
        );
        if !c.models.is_empty() {
            let models: Vec<String> = c
                .models
                .iter()
                .take(3)
                .map(|(m, n)| format!("{} {}", comment(m), pct(*n as f64 / c.records as f64)))
                .collect();
            let more = if c.models.len() > 3 {
                format!(" and {} more", c.models.len() - 3)
            } else {
                String::new()
            };
            let _ = write!(head, "; models: {}{more}", models.join(", "));
        }
        let _ = writeln!(out, "{head}");
        fit_comment(&mut out, "input_tokens", &c.input_tokens, 0);
        fit_comment(&mut out, "output_tokens", &c.output_tokens, 1);
        if c.output_tokens.constant() && c.output_tokens.median == 0 {
            let _ = writeln!(
                out,
                "# output_tokens: 0 on every record; a scenario needs at least 1, so 1 below"
            );
        }
        if let Some(cached) = &c.cached
            && cached.n < c.records
        {
            let _ = writeln!(
                out,
                "# cached_prefix_tokens: only {} of the records ({} of {}) use the prompt cache; the scenario sends the prefix with every request: split the class if that matters",
                pct_below_1(cached.n as f64 / c.records as f64),
                group(cached.n),
                group(c.records)
            );
        }
        let _ = writeln!(out, "[[traffic]]");
        let _ = writeln!(out, "name = {}", toml_string(&c.name));
        let _ = writeln!(
            out,
            "share = {}.{:04}",
            c.share_e4 / 10_000,
            c.share_e4 % 10_000
        );
        let _ = writeln!(out, "input_tokens = {}", count_value(&c.input_tokens, 0));
        let _ = writeln!(out, "output_tokens = {}", count_value(&c.output_tokens, 1));
        if let (Some(prefix), Some(rate), Some(cached)) =
            (c.cached_prefix_tokens(), c.cache_hit_rate(), &c.cached)
        {
            let _ = writeln!(
                out,
                "cached_prefix_tokens = {prefix}  # median of cache read + write, over the {} of records with cached tokens{}",
                pct(cached.n as f64 / c.records as f64),
                if cached.constant() {
                    String::new()
                } else {
                    format!(
                        " (they range from {} to {})",
                        group(cached.min),
                        group(cached.max)
                    )
                }
            );
            let _ = writeln!(
                out,
                "cache_hit_rate = {rate:.4}  # records reading the cache / records with cached tokens"
            );
        }
        let _ = writeln!(
            out,
            "difficulty = {{ alpha = 2, beta = 5 }}  # placeholder: a log cannot tell difficulty; use an eval set ([eval]) or set it by hand"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_fits_equal_fits_of_the_expanded_values() {
        let cases: Vec<Vec<(u32, u64)>> = vec![
            vec![(5, 1)],
            vec![(3, 2), (1, 1), (10, 4)],
            vec![(0, 3), (7, 0), (100, 1), (2, 9), (50, 5)],
            (0..40).map(|i| (i * i % 97, (i % 5) as u64)).collect(),
        ];
        for mut w in cases {
            let mut expanded: Vec<u32> = w
                .iter()
                .flat_map(|&(x, n)| std::iter::repeat_n(x, n as usize))
                .collect();
            let a = CountFit::weighted(&mut w).unwrap();
            let b = CountFit::new(&mut expanded).unwrap();
            assert_eq!(
                (a.n, a.min, a.max, a.median, a.p95),
                (b.n, b.min, b.max, b.median, b.p95)
            );
            assert!((a.p99 - b.p99).abs() < 1e-9 && (a.mean - b.mean).abs() < 1e-9);
        }
        assert_eq!(CountFit::weighted(&mut [(3, 0)]), None);
    }

    fn naive(v: &[u32], q: f64) -> f64 {
        let mut s = v.to_vec();
        s.sort_unstable();
        let pos = (s.len() - 1) as f64 * q;
        let k = pos.floor() as usize;
        let b = s.get(k + 1).copied().unwrap_or(s[k]);
        s[k] as f64 + (pos - k as f64) * (b as f64 - s[k] as f64)
    }

    #[test]
    fn quantiles_match_a_full_sort() {
        let mut x = 12345u64;
        for n in [1usize, 2, 3, 10, 101, 1000] {
            let v: Vec<u32> = (0..n)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((x >> 33) % 500) as u32
                })
                .collect();
            let qs = [0.0, 0.5, 0.5, 0.95, 0.99, 1.0];
            let got = quantiles(&mut v.clone(), &qs);
            for (q, g) in qs.iter().zip(got) {
                assert!((g - naive(&v, *q)).abs() < 1e-9, "n={n} q={q}");
            }
        }
    }

    #[test]
    fn lognormal_fit_figures() {
        // median 900, p95 2500: sigma = ln(2500/900)/1.6449 = 0.621120;
        // p99 = 900·exp(2.3263·0.621120) = 3817.44; mean = 900·exp(0.621120²/2) = 1091.48.
        let c = CountFit {
            n: 10,
            min: 1,
            max: 9000,
            median: 900,
            p95: 2500,
            p99: 3817.44,
            mean: 1091.48,
        };
        assert!((c.lognormal_p99().unwrap() - 3817.44).abs() < 0.01);
        assert!((c.lognormal_mean().unwrap() - 1091.48).abs() < 0.01);
        assert!(c.p99_error().unwrap().abs() < 1e-5);
        assert!(!c.poor_fit());
        let heavy = CountFit { p99: 6000.0, ..c };
        assert!(heavy.poor_fit());
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(1234), "1,234");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(counted(1, "record"), "1 record");
        assert_eq!(counted(0, "record"), "0 records");
        assert_eq!(counted(1234, "record"), "1,234 records");
    }

    #[test]
    fn a_median_of_0_prints_the_mean() {
        // 3 zeros of 5: median 0, mean 2.6.
        let c = CountFit::new(&mut [0, 0, 0, 5, 8]).unwrap();
        assert_eq!(c.median, 0);
        assert_eq!(count_value(&c, 0), "3");
        let c = CountFit::new(&mut [0, 0, 0, 1]).unwrap();
        assert_eq!(count_value(&c, 1), "1");
        let c = CountFit::new(&mut [0, 0, 3, 5]).unwrap();
        assert_eq!(count_value(&c, 0), "{ median = 2, p95 = 5 }");
    }
}
