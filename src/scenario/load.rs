//! `[load]` and `[quotas]`: traffic over time, validated.
//!
//! Under `[load]` requests arrive as a Poisson process whose rate follows a
//! daily profile, and what depended on traffic over time becomes state that
//! the engine derives instead of an input: the prompt cache (hit rate, TTL)
//! and the quota buckets (throttling, retries). This module turns the keys of
//! the file into [`Load`], and checks the keys that only mean something under
//! `[load]` (a class's prefixes and `max_tokens`, a policy's TTL and
//! `on_throttle`) where they are written.

use std::collections::BTreeMap;

use super::format::{
    CachingEntry, LoadEntry, OnThrottleEntry, PolicyEntry, PopularityEntry, QuotaEntry,
    ScenarioFile, TrafficEntry,
};
use super::{Model, ModelId};
use crate::input::{Invalid, KeyPath, did_you_mean};
use crate::numfmt::{count, readable};
use crate::pricing::PriceTable;
use crate::units::MAX_REQUESTS;

/// Seconds.
pub type Secs = f64;

/// Seconds in the 30-day month that `monthly_requests` counts.
pub const MONTH_S: Secs = 30.0 * 86_400.0;
/// Default simulated time per replication.
pub const DEFAULT_DURATION: &str = "1d";
/// Default warm-up: longer than the longest cache TTL (1 hour) and than any
/// quota's refill window (1 minute), so both start in their steady state.
pub const DEFAULT_WARMUP: &str = "1h";
/// Longest simulated period: a year.
const MAX_DURATION_S: Secs = 366.0 * 86_400.0;
/// Longest warm-up.
const MAX_WARMUP_S: Secs = 7.0 * 86_400.0;
/// The most distinct prefixes a class may have: the cache holds one entry per
/// prefix, model and policy.
pub const MAX_PREFIXES: u64 = 1_000_000;
/// The most prompt-cache entries a run holds (16 bytes each): prefixes ×
/// caching models × policies.
pub const MAX_CACHE_ENTRIES: u64 = 20_000_000;
/// The longest AWS SDK backoff between attempts (standard and legacy modes).
pub const MAX_BACKOFF_S: Secs = 20.0;

/// Traffic over time, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    /// Mean arrival rate, `scale` applied, requests per second.
    pub rate_per_s: f64,
    /// The factor `scale` applied to the base rate.
    pub scale: f64,
    /// Measured simulated time per replication, seconds.
    pub duration_s: Secs,
    /// Simulated time before the measured period, seconds.
    pub warmup_s: Secs,
    /// Relative rate by hour of day, 24 weights of mean 1.
    pub profile: [f64; 24],
    /// Where the profile comes from: "flat", "scenario" (load.profile), or
    /// "logs" (the hours of the logged records' timestamps).
    pub profile_from: &'static str,
    /// Exact replay: the log's earliest timestamp (ms since the epoch), time 0
    /// of the replay, whose arrivals are the logged ones.
    pub exact_origin_ms: Option<i64>,
    pub retry: Retry,
    /// The quotas, by pricing key.
    pub quotas: Vec<Quota>,
    /// The commitments bought (`[capacity]`), by pricing key.
    pub capacities: Vec<super::capacity::Capacity>,
}

impl Load {
    /// The quota of pricing key `key`, if the scenario sets one.
    pub fn quota(&self, key: &str) -> Option<&Quota> {
        self.quotas.iter().find(|q| q.key == key)
    }

    /// The commitment bought for pricing key `key`, if any.
    pub fn capacity(&self, key: &str) -> Option<&super::capacity::Capacity> {
        self.capacities.iter().find(|c| c.key == key)
    }

    /// Requests expected per replication, warm-up included.
    pub fn expected_requests(&self) -> f64 {
        self.rate_per_s * (self.duration_s + self.warmup_s)
    }

    /// Requests expected in the measured period of a replication.
    pub fn measured_requests(&self) -> f64 {
        self.rate_per_s * self.duration_s
    }
}

/// How throttled calls are retried: the AWS SDKs' retry modes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    pub mode: RetryMode,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
}

/// The AWS SDK retry modes (AWS SDKs and Tools reference guide, "Retry
/// behavior"; botocore's `retries/standard.py` and `retryhandler.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    /// Wait `rand() × 2^(n−1)` s before attempt n + 1, at most 20 s; 3 attempts.
    Standard,
    /// Wait `rand() × 2^(n−1)` s (botocore's legacy `delay_exponential` with a
    /// random base), at most 20 s; 5 attempts.
    Legacy,
    /// No retries: a throttled call is spent at once.
    Off,
}

impl RetryMode {
    pub fn name(self) -> &'static str {
        match self {
            RetryMode::Standard => "standard",
            RetryMode::Legacy => "legacy",
            RetryMode::Off => "off",
        }
    }
}

/// One model's quotas (`[quotas."PRICING KEY"]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    /// The pricing key: scenario models priced alike share the quota.
    pub key: String,
    /// Requests per minute.
    pub rpm: Option<f64>,
    /// Quota tokens per minute.
    pub tpm: Option<f64>,
    /// Quota tokens per day.
    pub tpd: Option<f64>,
    /// Quota tokens per output token.
    pub burndown: f64,
}

impl Quota {
    /// Whether it counts tokens (`tpm` or `tpd`): calls then reserve their
    /// `max_tokens` against it.
    pub fn counts_tokens(&self) -> bool {
        self.tpm.is_some() || self.tpd.is_some()
    }
}

/// A class's cacheable prefixes under `[load]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prefixes {
    /// How many distinct prefixes (≥ 1).
    pub count: u64,
    pub popularity: Popularity,
}

impl Default for Prefixes {
    fn default() -> Self {
        Prefixes {
            count: 1,
            popularity: Popularity::Uniform,
        }
    }
}

/// How a request picks one of its class's prefixes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Popularity {
    Uniform,
    /// Prefix k (from 1) with probability ∝ k^−s.
    Zipf(f64),
}

/// The prompt cache's time to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheTtl {
    #[default]
    FiveMinutes,
    OneHour,
}

impl CacheTtl {
    pub fn seconds(self) -> Secs {
        match self {
            CacheTtl::FiveMinutes => 300.0,
            CacheTtl::OneHour => 3600.0,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            CacheTtl::FiveMinutes => "5m",
            CacheTtl::OneHour => "1h",
        }
    }
}

fn root() -> KeyPath {
    KeyPath::root()
}

/// Parses a duration such as "90s", "30m", "6h", "1d", "7d" into seconds.
pub fn parse_duration(text: &str) -> Option<Secs> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = t.split_at(split);
    let v: f64 = num.trim().parse().ok()?;
    let unit_s = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return None,
    };
    (v.is_finite() && v >= 0.0).then_some(v * unit_s)
}

/// A duration key: `text` in seconds, within `[min, max]`.
fn duration(text: &str, path: &KeyPath, min: Secs, max: Secs) -> Result<Secs, Invalid> {
    let s = parse_duration(text).ok_or_else(|| {
        Invalid::new(
            path.clone(),
            format!(
                "\"{text}\" is not a duration: write a number and a unit, s, m, h or d (\"30m\", \"1d\", \"7d\")"
            ),
        )
    })?;
    if s < min || s > max {
        return Err(Invalid::new(
            path.clone(),
            format!(
                "\"{text}\" is out of range: it must be {} to {}",
                show_secs(min),
                show_secs(max)
            ),
        ));
    }
    Ok(s)
}

/// A duration in words: "1 s", "1 h", "366 d".
pub fn show_secs(s: Secs) -> String {
    if s >= 86_400.0 && s % 86_400.0 == 0.0 {
        format!("{} d", s / 86_400.0)
    } else if s >= 3600.0 && s % 3600.0 == 0.0 {
        format!("{} h", s / 3600.0)
    } else if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{} min", s / 60.0)
    } else {
        format!("{} s", readable(s))
    }
}

/// `[load]` and `[quotas]`, validated; `None` without `[load]` (and then
/// `[quotas]` is an error: quotas need traffic over time).
pub fn load(
    raw: &ScenarioFile,
    monthly_requests: f64,
    table: &PriceTable,
    models: &[Model],
    measured: &super::Measured,
    exact: Option<&super::measured::LogData>,
) -> Result<Option<Load>, Invalid> {
    let Some(l) = &raw.load else {
        if let Some(q) = raw.quotas.as_ref().and_then(|q| q.keys().next()) {
            return Err(Invalid::new(
                root().key("quotas").key(q),
                "quotas need traffic over time: add a [load] table (its arrival rate is what the quotas throttle)",
            ));
        }
        super::capacity::capacities(raw.capacity.as_ref(), false, table, models)?;
        return Ok(None);
    };
    let lp = root().key("load");
    if let Some(log) = exact {
        return exact_load(raw, l, &lp, log, table, models).map(Some);
    }
    let scale = match l.scale {
        None => 1.0,
        Some(v) if v.is_finite() && v > 0.0 && v <= 1000.0 => v,
        Some(v) => {
            return Err(Invalid::new(
                lp.key("scale"),
                format!(
                    "{} is not a scale: it multiplies the arrival rate, a number above 0 and at most 1,000 (3 = traffic triples)",
                    readable(v)
                ),
            ));
        }
    };
    let base = match l.requests_per_s {
        Some(v) if v.is_finite() && v > 0.0 && v <= 4e6 => v,
        Some(v) => {
            return Err(Invalid::new(
                lp.key("requests_per_s"),
                format!(
                    "{} is not an arrival rate: it must be above 0 and at most 4,000,000 requests a second",
                    readable(v)
                ),
            ));
        }
        None if monthly_requests > 0.0 => monthly_requests / MONTH_S,
        None => {
            return Err(Invalid::new(
                root().key("scenario").key("monthly_requests"),
                "is 0, so [load] has no arrival rate: set monthly_requests, or load.requests_per_s",
            ));
        }
    };
    let duration_s = duration(
        l.duration.as_deref().unwrap_or(DEFAULT_DURATION),
        &lp.key("duration"),
        1.0,
        MAX_DURATION_S,
    )?;
    let warmup_s = duration(
        l.warmup.as_deref().unwrap_or(DEFAULT_WARMUP),
        &lp.key("warmup"),
        0.0,
        MAX_WARMUP_S,
    )?;
    let (profile, profile_from) = match &l.profile {
        Some(_) => (profile(l, &lp)?, "scenario"),
        None => {
            // Logged traffic brings its own day: the hours of its timestamps.
            let mut hours = [0u64; 24];
            for log in &measured.logs {
                for (h, n) in hours.iter_mut().zip(log.hours) {
                    *h += n;
                }
            }
            let total: u64 = hours.iter().sum();
            if total > 0 {
                (hours.map(|n| n as f64 * 24.0 / total as f64), "logs")
            } else {
                ([1.0; 24], "flat")
            }
        }
    };
    let retry = retry(l, &lp)?;
    let quotas = quotas(raw.quotas.as_ref(), table, models)?;
    let capacities = super::capacity::capacities(raw.capacity.as_ref(), true, table, models)?;
    let load = Load {
        rate_per_s: base * scale,
        scale,
        duration_s,
        warmup_s,
        profile,
        profile_from,
        exact_origin_ms: None,
        retry,
        quotas,
        capacities,
    };
    let n = load.expected_requests();
    if n > MAX_REQUESTS as f64 {
        return Err(Invalid::new(
            lp.key("duration"),
            format!(
                "{} requests a replication ({} a second for {} plus the warm-up) is more than simroute runs (at most {}): shorten the duration",
                count(n),
                readable(load.rate_per_s),
                show_secs(duration_s),
                count(MAX_REQUESTS as f64)
            ),
        ));
    }
    Ok(Some(load))
}

/// `[load]` under exact replay: the log's timestamps are the arrivals, so its
/// span and rate are the log's; only the warm-up, retries and quotas are the
/// scenario's.
fn exact_load(
    raw: &ScenarioFile,
    l: &LoadEntry,
    lp: &KeyPath,
    log: &super::measured::LogData,
    table: &PriceTable,
    models: &[Model],
) -> Result<Load, Invalid> {
    for (key, set, what) in [
        ("scale", l.scale.is_some(), "its arrival rate"),
        (
            "requests_per_s",
            l.requests_per_s.is_some(),
            "its arrival rate",
        ),
        (
            "duration",
            l.duration.is_some(),
            "its duration (first to last timestamp)",
        ),
        ("profile", l.profile.is_some(), "its daily profile"),
    ] {
        if set {
            return Err(Invalid::new(
                lp.key(key),
                format!(
                    "replay = \"exact\" keeps the logged arrival times, so the log gives {what}: remove load.{key}, or replay = \"bootstrap\" to draw arrivals at a rate of your own"
                ),
            ));
        }
    }
    let used = log.summary.used;
    let timed: u64 = log.hours.iter().sum();
    if timed < used {
        return Err(Invalid::new(
            lp.clone(),
            format!(
                "replay = \"exact\" under [load] keeps the logged arrival times, but {} of the log's {} used records have no timestamp simroute can read ({})",
                count((used - timed) as f64),
                count(used as f64),
                log.path.display()
            ),
        ));
    }
    let origin = log
        .summary
        .first_timestamp
        .as_deref()
        .and_then(crate::logs::time::parse_ms);
    let span = log.summary.span_s().unwrap_or(0.0);
    let warmup_s = duration(
        l.warmup.as_deref().unwrap_or(DEFAULT_WARMUP),
        &lp.key("warmup"),
        0.0,
        MAX_WARMUP_S,
    )?;
    // The last record arrives at `span`: the measured period ends just after.
    let duration_s = span + 0.001 - warmup_s;
    if duration_s <= 0.0 {
        return Err(Invalid::new(
            lp.key("warmup"),
            format!(
                "the log spans {} from its first to its last timestamp, and a warm-up of {} would leave nothing to measure: set load.warmup shorter (\"0s\" starts with cold caches)",
                show_secs(span.round()),
                show_secs(warmup_s)
            ),
        ));
    }
    let total: u64 = log.hours.iter().sum();
    Ok(Load {
        rate_per_s: used as f64 / span.max(0.001),
        scale: 1.0,
        duration_s,
        warmup_s,
        profile: log.hours.map(|n| n as f64 * 24.0 / total.max(1) as f64),
        profile_from: "logs",
        exact_origin_ms: origin,
        retry: retry(l, lp)?,
        quotas: quotas(raw.quotas.as_ref(), table, models)?,
        capacities: super::capacity::capacities(raw.capacity.as_ref(), true, table, models)?,
    })
}

fn profile(l: &LoadEntry, lp: &KeyPath) -> Result<[f64; 24], Invalid> {
    let Some(w) = &l.profile else {
        return Ok([1.0; 24]);
    };
    let pp = lp.key("profile");
    if w.len() != 24 {
        return Err(Invalid::new(
            pp,
            format!(
                "has {} weights: a daily profile is 24 weights, one per hour from midnight (UTC)",
                w.len()
            ),
        ));
    }
    for (i, &v) in w.iter().enumerate() {
        if !v.is_finite() || v < 0.0 {
            return Err(Invalid::new(
                pp.index(i),
                format!(
                    "{} is not a weight: the weights are relative arrival rates, 0 or more",
                    readable(v)
                ),
            ));
        }
    }
    let sum: f64 = w.iter().sum();
    if sum <= 0.0 {
        return Err(Invalid::new(
            pp,
            "every weight is 0: no request would arrive; give at least one hour a weight above 0",
        ));
    }
    let mut out = [0.0; 24];
    for (o, v) in out.iter_mut().zip(w) {
        *o = v * 24.0 / sum;
    }
    Ok(out)
}

fn retry(l: &LoadEntry, lp: &KeyPath) -> Result<Retry, Invalid> {
    let mode = match l.retry.as_deref() {
        None | Some("standard") => RetryMode::Standard,
        Some("legacy") => RetryMode::Legacy,
        Some("off") => RetryMode::Off,
        Some(other) => {
            return Err(Invalid::new(
                lp.key("retry"),
                format!(
                    "\"{other}\" is not a retry mode: \"standard\" (the AWS SDKs' default: 3 attempts), \"legacy\" (5 attempts) or \"off\"{}",
                    did_you_mean(other, ["standard", "legacy", "off"])
                ),
            ));
        }
    };
    let default = match mode {
        RetryMode::Standard => 3,
        RetryMode::Legacy => 5,
        RetryMode::Off => 1,
    };
    let max_attempts = match l.max_attempts {
        None => default,
        Some(_) if mode == RetryMode::Off => {
            return Err(Invalid::new(
                lp.key("max_attempts"),
                "retry = \"off\" makes one attempt: remove max_attempts, or choose a retry mode",
            ));
        }
        Some(n @ 1..=20) => n,
        Some(n) => {
            return Err(Invalid::new(
                lp.key("max_attempts"),
                format!("{n} attempts: it must be 1 to 20, the first attempt included"),
            ));
        }
    };
    Ok(Retry { mode, max_attempts })
}

fn quotas(
    raw: Option<&BTreeMap<String, QuotaEntry>>,
    table: &PriceTable,
    models: &[Model],
) -> Result<Vec<Quota>, Invalid> {
    let mut out = Vec::new();
    for (key, q) in raw.into_iter().flatten() {
        let qp = root().key("quotas").key(key);
        let price = super::billing::used_key(
            table,
            models,
            key,
            &qp,
            "quotas are per model",
            "its quota would change nothing",
        )?;
        let positive = |v: Option<f64>, k: &str, what: &str| -> Result<Option<f64>, Invalid> {
            match v {
                None => Ok(None),
                Some(v) if v.is_finite() && v > 0.0 && v <= 1e15 => Ok(Some(v)),
                Some(v) => Err(Invalid::new(
                    qp.key(k),
                    format!(
                        "{} is not a quota: {what} must be above 0 and at most {} (a quota of 0 would refuse every call; leave the key out for no quota)",
                        readable(v),
                        count(1e15)
                    ),
                )),
            }
        };
        let rpm = positive(q.rpm, "rpm", "requests per minute")?;
        let tpm = positive(q.tpm, "tpm", "tokens per minute")?;
        let tpd = positive(q.tpd, "tpd", "tokens per day")?;
        if rpm.is_none() && tpm.is_none() && tpd.is_none() {
            return Err(Invalid::new(
                qp,
                "sets no quota: give rpm, tpm or tpd (requests or tokens per minute, tokens per day)",
            ));
        }
        let burndown = match q.output_burndown {
            None => price.output_burndown,
            Some(b) => crate::pricing::burndown(b, &qp.key("output_burndown"))?,
        };
        out.push(Quota {
            key: key.clone(),
            rpm,
            tpm,
            tpd,
            burndown,
        });
    }
    Ok(out)
}

/// A class's `prefixes`, `prefix_popularity` and `max_tokens`: all three only
/// under `[load]`.
pub fn class_keys(
    t: &TrafficEntry,
    tp: &KeyPath,
    has_load: bool,
) -> Result<(Prefixes, Option<u64>), Invalid> {
    if !has_load {
        for (key, set) in [
            ("prefixes", t.prefixes.is_some()),
            ("prefix_popularity", t.prefix_popularity.is_some()),
            ("max_tokens", t.max_tokens.is_some()),
        ] {
            if set {
                return Err(Invalid::new(
                    tp.key(key),
                    format!(
                        "{key} matters only for traffic over time: add a [load] table, or remove {key}"
                    ),
                ));
            }
        }
        return Ok((Prefixes::default(), None));
    }
    let n_prefixes = match t.prefixes {
        None => 1,
        Some(n @ 1..=MAX_PREFIXES) => n,
        Some(n) => {
            return Err(Invalid::new(
                tp.key("prefixes"),
                format!(
                    "{} prefixes: a class has 1 to {} distinct cacheable prefixes",
                    count(n as f64),
                    count(MAX_PREFIXES as f64)
                ),
            ));
        }
    };
    let popularity = match &t.prefix_popularity {
        None => Popularity::Uniform,
        Some(PopularityEntry::Named(n)) if n == "uniform" => Popularity::Uniform,
        Some(PopularityEntry::Named(n)) => {
            return Err(Invalid::new(
                tp.key("prefix_popularity"),
                format!("\"{n}\" is not a popularity law: \"uniform\" or {{ zipf = 1.1 }}"),
            ));
        }
        Some(PopularityEntry::Zipf(z)) if z.zipf.is_finite() && z.zipf > 0.0 && z.zipf <= 10.0 => {
            Popularity::Zipf(z.zipf)
        }
        Some(PopularityEntry::Zipf(z)) => {
            return Err(Invalid::new(
                tp.key("prefix_popularity").key("zipf"),
                format!(
                    "{} is not a Zipf exponent: it must be above 0 and at most 10 (1 is the classic law)",
                    readable(z.zipf)
                ),
            ));
        }
    };
    let max_tokens = match t.max_tokens {
        None => None,
        Some(n @ 1..=crate::units::MAX_CALL_TOKENS) => Some(n),
        Some(n) => {
            return Err(Invalid::new(
                tp.key("max_tokens"),
                format!(
                    "{} is not a max_tokens: it must be 1 to {}",
                    count(n as f64),
                    count(crate::units::MAX_CALL_TOKENS as f64)
                ),
            ));
        }
    };
    Ok((
        Prefixes {
            count: n_prefixes,
            popularity,
        },
        max_tokens,
    ))
}

/// A policy's `prompt_caching`: whether it caches, and the TTL.
pub fn caching(p: &PolicyEntry, pp: &KeyPath) -> Result<(bool, CacheTtl), Invalid> {
    Ok(match &p.prompt_caching {
        None | Some(CachingEntry::On(true)) => (true, CacheTtl::FiveMinutes),
        Some(CachingEntry::On(false)) => (false, CacheTtl::FiveMinutes),
        Some(CachingEntry::Ttl(t)) if t == "5m" => (true, CacheTtl::FiveMinutes),
        Some(CachingEntry::Ttl(t)) if t == "1h" => (true, CacheTtl::OneHour),
        Some(CachingEntry::Ttl(t)) => {
            let word = match t.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" => Some("true"),
                "false" | "no" | "off" => Some("false"),
                _ => None,
            };
            if let Some(w) = word {
                return Err(Invalid::new(
                    pp.key("prompt_caching"),
                    format!(
                        "expected true or false (or a TTL, \"5m\" or \"1h\"), found the text \"{t}\" — write {w}, without quotes"
                    ),
                ));
            }
            return Err(Invalid::new(
                pp.key("prompt_caching"),
                format!(
                    "\"{t}\" is not a cache TTL Bedrock offers: \"5m\" (the default, as true) or \"1h\"; false turns caching off"
                ),
            ));
        }
    })
}

/// A policy's `on_throttle`: the fallback model, if any (only under `[load]`).
pub fn on_throttle(
    p: &PolicyEntry,
    pp: &KeyPath,
    ids: &BTreeMap<String, ModelId>,
    has_load: bool,
) -> Result<Option<ModelId>, Invalid> {
    let Some(o) = &p.on_throttle else {
        return Ok(None);
    };
    let op = pp.key("on_throttle");
    if !has_load {
        return Err(Invalid::new(
            op,
            "on_throttle matters only for traffic over time, where quotas throttle: add a [load] table, or remove on_throttle",
        ));
    }
    match o {
        OnThrottleEntry::Fail(f) if f == "fail" => Ok(None),
        OnThrottleEntry::Fail(f) => Err(Invalid::new(
            op,
            format!(
                "\"{f}\" is not an action: \"fail\" (the default) or {{ fallback = \"MODEL\" }}"
            ),
        )),
        OnThrottleEntry::Fallback(f) => match ids.get(&f.fallback) {
            Some(&m) => Ok(Some(m)),
            None => Err(Invalid::new(
                op.key("fallback"),
                format!(
                    "\"{}\" is not a model of this scenario{}; models are defined as [models.NAME]",
                    f.fallback,
                    did_you_mean(&f.fallback, ids.keys().map(String::as_str))
                ),
            )),
        },
    }
}

/// Checks of `[load]` that need the whole scenario: quotas on models whose
/// calls are throttled, a reservation
/// for every quota'd call, a fallback that can answer.
pub fn check(s: &super::Scenario) -> Result<(), Invalid> {
    let Some(load) = &s.load else {
        return Ok(());
    };
    for (pi, p) in s.policies.iter().enumerate() {
        let pp = root().key("policy").index(pi);
        if let Some(f) = p.fallback {
            let model = &s.models[f];
            if model.price.output.is_none() || model.price.per_request.is_some() {
                return Err(Invalid::new(
                    pp.key("on_throttle").key("fallback"),
                    format!(
                        "model \"{}\" ({}) generates no text, so it cannot answer in place of a throttled call",
                        model.name, model.price.key
                    ),
                ));
            }
            if model.skill.is_none() && s.eval.is_none() {
                return Err(Invalid::new(
                    root().key("models").key(&model.name).key("skill"),
                    format!(
                        "missing: policy \"{}\" falls back to \"{}\" when throttled, so its quality (skill) must be given",
                        p.name, model.name
                    ),
                ));
            }
        }
        // Every quota'd call reserves its max_tokens.
        for (c, r) in p.routes.iter().enumerate() {
            if p.batch[c] || s.classes[c].max_tokens.is_some() {
                continue;
            }
            for &m in r.iter().chain(p.fallback.iter()) {
                let price = &s.models[m].price;
                if load.quota(&price.key).is_some_and(Quota::counts_tokens)
                    && price.max_output_tokens.is_none()
                {
                    return Err(Invalid::new(
                        root().key("traffic").index(c).key("max_tokens"),
                        format!(
                            "missing: class \"{}\" calls \"{}\", whose token quota reserves each call's max_tokens, and the pricing table gives no max_output_tokens for {} to default to",
                            s.classes[c].name, s.models[m].name, price.key
                        ),
                    ));
                }
            }
        }
    }
    // The cache holds an entry per prefix, caching model and policy.
    let prefixes: u64 = s.classes.iter().map(|c| c.prefixes.count).sum();
    let caching: u64 = s
        .policies
        .iter()
        .filter(|p| p.prompt_caching)
        .map(|p| {
            (0..s.models.len())
                .filter(|&m| s.models[m].price.caches() && p.calls_on_demand(m))
                .count() as u64
        })
        .sum();
    if prefixes.saturating_mul(caching) > MAX_CACHE_ENTRIES {
        let c = s
            .classes
            .iter()
            .enumerate()
            .max_by_key(|(_, c)| c.prefixes.count)
            .map_or(0, |(i, _)| i);
        return Err(Invalid::new(
            root().key("traffic").index(c).key("prefixes"),
            format!(
                "{} prefixes in all, cached on {} (model, policy) pairs, make {} cache entries, more than simroute holds ({}, about {} MB): fewer prefixes (a popularity law keeps the few that matter), or fewer policies per run",
                count(prefixes as f64),
                count(caching as f64),
                count(prefixes.saturating_mul(caching) as f64),
                count(MAX_CACHE_ENTRIES as f64),
                MAX_CACHE_ENTRIES * 16 / 1_000_000
            ),
        ));
    }
    for q in &load.quotas {
        let throttled = s.policies.iter().any(|p| {
            (0..s.models.len()).any(|m| s.models[m].price.key == q.key && p.calls_on_demand(m))
        });
        if !throttled {
            return Err(Invalid::new(
                root().key("quotas").key(&q.key),
                format!(
                    "no policy calls \"{}\" on demand, in a route or as its on_throttle fallback, and only those calls are throttled (extra calls, classifier calls and batch classes are not): the quota would change nothing; remove it",
                    q.key
                ),
            ));
        }
    }
    Ok(())
}

/// What the reader must know of `[load]`: a 1-hour policy on models without
/// a 1-hour cache (they keep 5 minutes), a class without `max_tokens` whose
/// calls reserve a model's whole maximum output against a token quota.
pub fn warnings(s: &super::Scenario) -> Vec<String> {
    let mut out = Vec::new();
    for p in &s.policies {
        if !(p.prompt_caching && p.cache_ttl == CacheTtl::OneHour) {
            continue;
        }
        let short: Vec<String> = (0..s.models.len())
            .filter(|&m| {
                let price = &s.models[m].price;
                price.caches() && price.cache_write_1h.is_none() && p.calls_on_demand(m)
            })
            .map(|m| format!("{} ({})", s.models[m].name, s.models[m].price.key))
            .collect();
        if !short.is_empty() {
            out.push(format!(
                "policy {} caches for 1 hour, but {} {} no 1-hour cache in the pricing table (no cache_write_1h): {} prefixes are cached for 5 minutes, at the 5-minute write price",
                p.name,
                short.join(", "),
                if short.len() == 1 { "has" } else { "have" },
                if short.len() == 1 { "its" } else { "their" }
            ));
        }
    }
    let Some(load) = &s.load else {
        return out;
    };
    for (c, class) in s.classes.iter().enumerate() {
        if class.max_tokens.is_some() {
            continue;
        }
        let mut seen: Vec<ModelId> = Vec::new();
        for p in &s.policies {
            if p.batch[c] {
                continue;
            }
            for &m in p.routes[c].iter().chain(p.fallback.iter()) {
                let price = &s.models[m].price;
                let token_quota = load.quota(&price.key).is_some_and(Quota::counts_tokens);
                if token_quota && !seen.contains(&m) {
                    seen.push(m);
                    out.push(format!(
                        "class {} sets no max_tokens, so each of its calls to {} reserves the model's maximum output, {} tokens, against its token quota until it ends (Bedrock's default); set traffic.max_tokens to what the class needs",
                        class.name,
                        s.models[m].name,
                        count(price.max_output_tokens.unwrap_or(0) as f64)
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_every_unit() {
        assert_eq!(parse_duration("90s"), Some(90.0));
        assert_eq!(parse_duration("30m"), Some(1800.0));
        assert_eq!(parse_duration("6h"), Some(21_600.0));
        assert_eq!(parse_duration("7d"), Some(604_800.0));
        assert_eq!(parse_duration("0.5d"), Some(43_200.0));
        assert_eq!(parse_duration("1w"), None);
        assert_eq!(parse_duration("d"), None);
        assert_eq!(parse_duration("-1h"), None);
        assert_eq!(show_secs(86_400.0), "1 d");
        assert_eq!(show_secs(3600.0), "1 h");
        assert_eq!(show_secs(90.0), "90 s");
    }
}
