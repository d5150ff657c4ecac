//! The time figures of a run (`[load]`) as results: each a mean across
//! replications with its 95% interval (rates with the rate interval), in the
//! JSON's `traffic` object of a policy. Every field is documented in
//! scenarios/README.md.

use serde::Serialize;

use crate::engine::summary::TimeMoments;
use crate::scenario::Scenario;
use crate::scenario::load::Load;
use crate::stats::{Estimate, Interval};

/// The traffic a run simulated over time (`scenario.load` in the JSON).
#[derive(Debug, Clone, Serialize)]
pub struct LoadInfo {
    /// Mean arrival rate, `scale` applied, requests per second.
    pub requests_per_s: f64,
    pub scale: f64,
    /// Measured simulated time per replication, and the warm-up before it, s.
    pub duration_s: f64,
    pub warmup_s: f64,
    /// Relative arrival rate by hour of day (mean 1).
    pub profile: Vec<f64>,
    /// Where it comes from: "flat", "scenario" or "logs".
    pub profile_from: &'static str,
    /// The AWS SDK retry mode and attempts per call.
    pub retry: &'static str,
    pub max_attempts: u32,
}

impl LoadInfo {
    pub fn new(l: &Load) -> Self {
        LoadInfo {
            requests_per_s: l.rate_per_s,
            scale: l.scale,
            duration_s: l.duration_s,
            warmup_s: l.warmup_s,
            profile: l.profile.to_vec(),
            profile_from: l.profile_from,
            retry: l.retry.mode.name(),
            max_attempts: l.retry.max_attempts,
        }
    }
}

/// One policy's traffic over time.
#[derive(Debug, Clone, Serialize)]
pub struct TrafficResult {
    /// Retries (attempts after a throttled one) per request.
    pub retries_per_request: Estimate,
    /// Share of requests that failed: a call throttled on every attempt, with
    /// no fallback left.
    pub failed_rate: Estimate,
    /// Share of requests whose call fell back to the policy's `on_throttle`
    /// model.
    pub fallback_rate: Estimate,
    /// By model the policy called on demand.
    pub models: Vec<ModelTraffic>,
}

/// One model's traffic under one policy.
#[derive(Debug, Clone, Serialize)]
pub struct ModelTraffic {
    pub model: String,
    pub price_key: String,
    /// Share of the calls with a cacheable prefix that found it cached; `null`
    /// where the model's calls have none (no caching, or a prefix below the
    /// model's `cache_min_tokens`).
    pub cache_hit_rate: Option<Estimate>,
    /// The same by traffic class (classes with cacheable calls on it).
    pub cache_hit_rate_by_class: Vec<ClassHitRate>,
    /// USD per request of cache writes that expired before any read.
    pub unread_cache_writes: Estimate,
    /// Share of attempts throttled.
    pub throttled_rate: Option<Estimate>,
    /// Calls started per minute: the mean over the measured period and the
    /// busiest minute of each replication.
    pub rpm_mean: Estimate,
    pub rpm_peak: Estimate,
    /// Quota tokens per minute (input + cache write + output × burndown).
    pub tpm_mean: Estimate,
    pub tpm_peak: Estimate,
    /// Prompt tokens (uncached input, cache reads and writes) per call.
    pub input_tokens_per_call: Option<Estimate>,
    pub output_tokens_per_call: Option<Estimate>,
    /// The quota the scenario sets for the model, if any.
    pub quota: Option<QuotaInfo>,
}

/// A class's cache hit rate on one model.
#[derive(Debug, Clone, Serialize)]
pub struct ClassHitRate {
    pub class: String,
    pub cache_hit_rate: Estimate,
}

/// A model's quotas as the scenario sets them.
#[derive(Debug, Clone, Serialize)]
pub struct QuotaInfo {
    pub rpm: Option<f64>,
    pub tpm: Option<f64>,
    pub tpd: Option<f64>,
    pub output_burndown: f64,
}

impl TrafficResult {
    pub fn new(s: &Scenario, load: &Load, t: &TimeMoments, k: Interval) -> Self {
        TrafficResult {
            retries_per_request: k.of(&t.retries_per_request),
            failed_rate: k.rate_of(&t.failed),
            fallback_rate: k.rate_of(&t.fell_back),
            models: t
                .models
                .iter()
                .enumerate()
                .filter(|(_, m)| m.mean_rpm.mean() > 0.0 || m.throttled.is_some())
                .map(|(i, m)| {
                    let model = &s.models[i];
                    ModelTraffic {
                        model: model.name.clone(),
                        price_key: model.price.key.clone(),
                        cache_hit_rate: m.hit_rate.map(|v| k.rate_of(&v)),
                        cache_hit_rate_by_class: s
                            .classes
                            .iter()
                            .zip(&m.class_hit_rate)
                            .filter_map(|(c, v)| {
                                v.map(|v| ClassHitRate {
                                    class: c.name.clone(),
                                    cache_hit_rate: k.rate_of(&v),
                                })
                            })
                            .collect(),
                        unread_cache_writes: k.of(&m.wasted_writes),
                        throttled_rate: m.throttled.map(|v| k.rate_of(&v)),
                        rpm_mean: k.of(&m.mean_rpm),
                        rpm_peak: k.of(&m.peak_rpm),
                        tpm_mean: k.of(&m.mean_tpm),
                        tpm_peak: k.of(&m.peak_tpm),
                        input_tokens_per_call: m.prompt_per_call.map(|v| k.of(&v)),
                        output_tokens_per_call: m.output_per_call.map(|v| k.of(&v)),
                        quota: load.quota(&model.price.key).map(|q| QuotaInfo {
                            rpm: q.rpm,
                            tpm: q.tpm,
                            tpd: q.tpd,
                            output_burndown: q.burndown,
                        }),
                    }
                })
                .collect(),
        }
    }
}

/// One line of the load chart: a model's per-minute traffic under a policy
/// in replication 1, and its quotas.
#[derive(Debug, Clone)]
pub struct LoadLine {
    /// "POLICY · MODEL".
    pub label: String,
    pub rpm: Vec<f64>,
    pub tpm: Vec<f64>,
    pub quota_rpm: Option<f64>,
    pub quota_tpm: Option<f64>,
}

/// The load chart's lines: every (policy, model) with calls on demand, in
/// policy and model order.
pub fn load_lines(s: &Scenario, series: &[super::figures::MinuteSeries]) -> Vec<LoadLine> {
    let Some(load) = &s.load else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (p, by_model) in s.policies.iter().zip(series) {
        for (m, minutes) in s.models.iter().zip(by_model) {
            if minutes.rpm.iter().all(|&v| v == 0.0) {
                continue;
            }
            let quota = load.quota(&m.price.key);
            out.push(LoadLine {
                label: format!("{} \u{b7} {}", p.name, m.name),
                rpm: minutes.rpm.clone(),
                tpm: minutes.tpm.clone(),
                quota_rpm: quota.and_then(|q| q.rpm),
                quota_tpm: quota.and_then(|q| q.tpm),
            });
        }
    }
    out
}
