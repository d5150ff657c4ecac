//! The time figures of a run (`[load]`) as results: each a mean across
//! replications with its 95% interval (rates with the rate interval), in the
//! JSON's `traffic` object of a policy. Every field is documented in
//! scenarios/README.md.

use serde::Serialize;

use crate::engine::summary::TimeMoments;
use crate::scenario::Scenario;
use crate::scenario::capacity::CapacityKind;
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

/// A policy's commitments (`[capacity]`) and its monthly bill with them
/// (`policies[].capacity` in the JSON); absent where the policy pays for
/// none. Monthly figures are USD per request × the month's requests
/// (`scenario.monthly_requests`, the simulated rate over 30 days).
#[derive(Debug, Clone, Serialize)]
pub struct CapacityBill {
    /// USD a month: the fixed bill of the commitments the policy pays for.
    pub fixed_per_month: f64,
    /// The same, USD per request: fixed per month ÷ monthly_requests; it is
    /// part of the policy's `cost_per_request`.
    pub fixed_per_request: f64,
    /// USD a month: the policy's bill (fixed + on demand), its
    /// `cost_per_month`.
    pub total_per_month: Estimate,
    /// USD a month: the same traffic with no commitment, all on demand (what
    /// the calls the commitments served would have been billed, added).
    pub all_on_demand_per_month: Estimate,
    /// USD a month: all on demand − total (negative: the commitments cost more
    /// than they save).
    pub savings_per_month: Estimate,
    pub commitments: Vec<CommitmentResult>,
}

/// One commitment under one policy.
#[derive(Debug, Clone, Serialize)]
pub struct CommitmentResult {
    pub price_key: String,
    /// The scenario's models priced as `price_key`.
    pub models: Vec<String>,
    /// "reserved" or "provisioned".
    pub kind: &'static str,
    pub term: &'static str,
    /// "on_demand" or "throttle".
    pub overflow: &'static str,
    /// Reserved: input (+ cache write) and output tokens per minute reserved.
    pub reserved_tpm: Option<f64>,
    pub reserved_output_tpm: Option<f64>,
    /// Provisioned: model units and the tokens per minute each serves.
    pub model_units: Option<f64>,
    pub unit_tpm: Option<f64>,
    /// USD a month: the commitment's fixed bill.
    pub fixed_per_month: f64,
    /// USD a month billed on demand for the key's calls the commitment did not
    /// serve.
    pub overflow_cost_per_month: Estimate,
    /// USD a month: fixed + overflow.
    pub total_per_month: Estimate,
    /// USD a month: the key's calls all on demand.
    pub on_demand_per_month: Estimate,
    /// USD a month: on demand − total.
    pub savings_per_month: Estimate,
    /// Share of the key's tokens (input, cache write, output) the commitment
    /// served; `null` where the key had no call.
    pub covered_share: Option<Estimate>,
    /// Share of the key's calls it served.
    pub covered_calls_share: Option<Estimate>,
    /// Tokens served ÷ tokens it could serve over the measured period:
    /// reserved, the input side; provisioned, all tokens.
    pub utilisation: Estimate,
    /// Reserved: the output side's utilisation.
    pub utilisation_output: Option<Estimate>,
    /// Tokens per minute it did not serve (overflowed or throttled): input
    /// side (input + cache write) and output.
    pub overflow_input_tpm: Estimate,
    pub overflow_output_tpm: Estimate,
    /// `overflow = "throttle"`: share of attempts at the key's calls it
    /// refused.
    pub refused_rate: Option<Estimate>,
    /// `overflow = "on_demand"`: the cheapest commitment of this kind for the
    /// simulated traffic (the newsvendor rule, §4.19); `null` under throttle.
    pub optimum: Option<OptimumResult>,
}

/// The cheapest commitment for the simulated traffic, each figure a mean over
/// replications (each replication's own optimum) with its interval.
#[derive(Debug, Clone, Serialize)]
pub struct OptimumResult {
    /// Reserved: input tokens per minute (0: reserving does not pay);
    /// provisioned: model units.
    pub reserved_tpm: Option<Estimate>,
    pub reserved_output_tpm: Option<Estimate>,
    pub model_units: Option<Estimate>,
    /// USD a month of the key's traffic with it (fixed + overflow, tokens
    /// served as a fluid), and all on demand; the difference.
    pub cost_per_month: Estimate,
    pub on_demand_per_month: Estimate,
    pub savings_per_month: Estimate,
    /// The `load.scale` the traffic was simulated at.
    pub load_scale: f64,
}

/// Adds `d` to an estimate (a fixed amount: the interval keeps its width).
pub fn shift(e: Estimate, d: f64) -> Estimate {
    Estimate {
        mean: e.mean + d,
        ci_low: e.ci_low + d,
        ci_high: e.ci_high + d,
    }
}

impl CapacityBill {
    /// Policy `p`'s bill, where it pays for a commitment.
    pub fn new(
        s: &Scenario,
        load: &Load,
        p: usize,
        t: &TimeMoments,
        cost_per_month: Estimate,
        k: Interval,
    ) -> Option<Self> {
        let month = s.monthly_requests;
        let policy = &s.policies[p];
        let charged: Vec<_> = load
            .capacities
            .iter()
            .zip(&t.capacity)
            .filter(|(c, _)| c.paid_by(s, policy))
            .collect();
        if charged.is_empty() {
            return None;
        }
        let fixed: f64 = charged.iter().map(|(c, _)| c.fixed_per_month()).sum();
        let commitments = charged
            .iter()
            .map(|(c, m)| {
                let fixed = c.fixed_per_month();
                let overflow = k.of(&m.overflow_cost).scale(month);
                let (reserved_tpm, reserved_output_tpm, model_units, unit_tpm) = match c.kind {
                    CapacityKind::Reserved {
                        input_tpm,
                        output_tpm,
                        ..
                    } => (Some(input_tpm), Some(output_tpm), None, None),
                    CapacityKind::Provisioned {
                        units, unit_tpm, ..
                    } => (None, None, Some(units), Some(unit_tpm)),
                };
                let reserved = reserved_tpm.is_some();
                let optimum = match (&m.optimum_level, &m.optimum_cost) {
                    (Some(level), Some(cost)) => Some(OptimumResult {
                        reserved_tpm: reserved.then(|| k.of(level)),
                        reserved_output_tpm: m.optimum_level_output.map(|v| k.of(&v)),
                        model_units: (!reserved).then(|| k.of(level)),
                        cost_per_month: k.of(cost),
                        on_demand_per_month: m.optimum_on_demand.map_or(k.of(cost), |v| k.of(&v)),
                        savings_per_month: m.optimum_saving.map_or(k.of(cost), |v| k.of(&v)),
                        load_scale: load.scale,
                    }),
                    _ => None,
                };
                CommitmentResult {
                    price_key: c.key.clone(),
                    models: s
                        .models
                        .iter()
                        .filter(|m| m.price.key == c.key)
                        .map(|m| m.name.clone())
                        .collect(),
                    kind: c.kind_name(),
                    term: c.term.name(),
                    overflow: c.overflow.name(),
                    reserved_tpm,
                    reserved_output_tpm,
                    model_units,
                    unit_tpm,
                    fixed_per_month: fixed,
                    overflow_cost_per_month: overflow,
                    total_per_month: shift(overflow, fixed),
                    on_demand_per_month: k.of(&m.on_demand).scale(month),
                    savings_per_month: shift(k.of(&m.covered_cost).scale(month), -fixed),
                    covered_share: m.covered_share.map(|v| k.rate_of(&v)),
                    covered_calls_share: m.covered_calls.map(|v| k.rate_of(&v)),
                    utilisation: k.of(&m.utilisation),
                    utilisation_output: m.utilisation_output.map(|v| k.of(&v)),
                    overflow_input_tpm: k.of(&m.overflow_tpm_in),
                    overflow_output_tpm: k.of(&m.overflow_tpm_out),
                    refused_rate: m.refused.map(|v| k.rate_of(&v)),
                    optimum,
                }
            })
            .collect();
        Some(CapacityBill {
            fixed_per_month: fixed,
            fixed_per_request: fixed / month,
            total_per_month: cost_per_month,
            all_on_demand_per_month: k.of(&t.all_on_demand).scale(month),
            savings_per_month: k.of(&t.capacity_saving).scale(month),
            commitments,
        })
    }
}
