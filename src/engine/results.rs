//! A run's figures: each one the mean across replications with its Student-t 95%
//! interval, or with an eval set the bootstrap's, Wilson's for rates
//! ([`crate::stats`]). This is the JSON that `--format json` prints;
//! every field is documented in scenarios/README.md. Optional figures are `null`
//! where they do not exist (no interactive traffic, nothing escalated, ...).

use serde::Serialize;

use super::accounting::{KIND_NAMES, KINDS};
use super::histogram::LatencyHistogram;
use super::inputs::{AsLogged, Inputs, eval_warnings, straddle_warnings};
use super::summary::PercentileMoments;
use crate::scenario::{Scenario, Targets};
use crate::stats::{Estimate, Interval};
use crate::sweep::verdict::Verdict;

/// Everything a run reports.
#[derive(Debug, Clone, Serialize)]
pub struct RunResults {
    pub scenario: ScenarioInfo,
    /// The logs and eval set the run was fed, and how intervals were formed.
    pub inputs: Inputs,
    /// What the logged traffic cost as it ran; `null` unless all traffic comes
    /// from logs whose records name priced models.
    pub as_logged: Option<AsLogged>,
    /// Why there is no as-logged figure although traffic comes from logs.
    pub as_logged_note: Option<String>,
    pub policies: Vec<PolicyResult>,
    /// Things the reader must know (a target that the interval cannot decide).
    pub warnings: Vec<String>,
    /// The scenario's `[targets]`, which each policy's `verdict` judges; `null`
    /// without targets.
    pub targets: Option<Targets>,
    /// Under `[load]`: replication 1's per-minute traffic, for the load chart
    /// (not in the JSON).
    #[serde(skip)]
    pub load_lines: Vec<super::time::results::LoadLine>,
}

/// What was simulated.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioInfo {
    pub name: String,
    /// The scenario file, as given on the command line.
    pub path: String,
    pub description: Option<String>,
    pub pricing: String,
    pub pricing_region: String,
    pub pricing_as_of: String,
    pub requests: u64,
    pub replications: u32,
    pub seed: u64,
    pub monthly_requests: f64,
    pub baseline: String,
    pub classes: Vec<ClassInfo>,
    /// Traffic over time (`[load]`); absent without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<super::time::results::LoadInfo>,
    /// The inference profile of each model called through one (model name →
    /// profile prefix, e.g. "us"); absent where every model is in-Region.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub profiles: std::collections::BTreeMap<String, String>,
}

/// A traffic class, as configured.
#[derive(Debug, Clone, Serialize)]
pub struct ClassInfo {
    pub name: String,
    pub share: f64,
    pub mode: &'static str,
}

/// p50, p95 and p99 of a latency, ms.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Percentiles {
    pub p50: Estimate,
    pub p95: Estimate,
    pub p99: Estimate,
}

/// One model's share of a policy's cost, USD per request (means across
/// replications).
#[derive(Debug, Clone, Serialize)]
pub struct ModelCost {
    pub model: String,
    pub price_key: String,
    /// Calls to this model per request.
    pub calls_per_request: f64,
    pub input: f64,
    pub output: f64,
    pub cache_read: f64,
    pub cache_write: f64,
    pub extra_calls: f64,
    pub total: f64,
}

/// One traffic class under one policy.
///
/// Figures are `null` where some replication drew no request of the class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassResult {
    pub class: String,
    /// How the class runs under this policy: `interactive` or `batch` (its own
    /// `mode`, or the policy's `batch_classes`).
    pub mode: &'static str,
    /// USD per request of the class.
    pub cost_per_request: Option<Estimate>,
    pub quality: Option<Estimate>,
    pub escalation_rate: Option<Estimate>,
    /// End-to-end latency of the class's requests, ms; `null` where it runs on
    /// batch. The class's own: the same whatever other classes do.
    pub e2e_latency_ms: Option<Percentiles>,
    /// Felt time to first token of the class's requests, ms; `null` where batch.
    pub ttft_ms: Option<Percentiles>,
    /// End-to-end latency of the class's batch requests, ms; `null` where
    /// interactive.
    pub batch_latency_ms: Option<Percentiles>,
}

/// One policy's figures.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyResult {
    pub name: String,
    pub baseline: bool,
    /// USD per request.
    pub cost_per_request: Estimate,
    /// USD per 1,000 requests.
    pub cost_per_1k: Estimate,
    /// USD per month at `monthly_requests`.
    pub cost_per_month: Estimate,
    /// 1 − cost / baseline cost, per replication (a fraction; 0.7 = 70% cheaper);
    /// `null` where the baseline cost nothing.
    pub saving_vs_baseline: Option<Estimate>,
    /// Share of requests that reached a tier beyond the first.
    pub escalation_rate: Estimate,
    /// Share of requests whose delivered answer is correct.
    pub quality: Estimate,
    /// Quality among escalated requests; `null` where a replication escalated none.
    pub escalated_quality: Option<Estimate>,
    /// End-to-end latency of interactive requests, ms; `null` without interactive
    /// traffic.
    pub e2e_latency_ms: Option<Percentiles>,
    /// Time to first token the user feels on interactive requests, ms.
    pub ttft_ms: Option<Percentiles>,
    /// End-to-end latency of batch requests, ms; `null` without batch traffic.
    pub batch_latency_ms: Option<Percentiles>,
    /// The classes `e2e_latency_ms` and `ttft_ms` pool: those interactive under
    /// this policy (share > 0), in `[[traffic]]` order.
    pub interactive_classes: Vec<String>,
    /// Where `interactive_classes` differ from the baseline's: which classes
    /// the pooled latency leaves out or adds, so that the difference is not read
    /// as a change of speed. `null` where they are the same.
    pub latency_note: Option<String>,
    /// Whether the policy meets the scenario's `[targets]`; `null` without
    /// targets.
    pub verdict: Option<Verdict>,
    pub cost_by_model: Vec<ModelCost>,
    pub classes: Vec<ClassResult>,
    /// The distribution of interactive latency over all replications together;
    /// `null` without interactive traffic.
    pub latency_cdf: Option<LatencyCdf>,
    /// Under `[load]`: cache, throttling and quota figures; absent without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic: Option<super::time::results::TrafficResult>,
    /// Calls whose prompt passed their model's context window, over every
    /// replication: Bedrock refuses them; they are billed as if served.
    /// Absent when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub calls_beyond_context_window: u64,
    /// Calls with a prompt above a long-prompt threshold that the pricing
    /// table gives no price for in their mode (batch) or service tier, over
    /// every replication: billed at the short-prompt prices. Absent when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub calls_without_long_prompt_price: u64,
    /// Under `[capacity]`: the commitments this policy pays for and its bill
    /// with them; absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<super::time::results::CapacityBill>,
}

/// What the engines counted instead of pricing silently: calls past a
/// context window, long prompts without a price.
fn limit_warnings(policies: &[PolicyResult]) -> Vec<String> {
    let mut out = Vec::new();
    for p in policies {
        if p.calls_beyond_context_window > 0 {
            out.push(format!(
                "policy {}: {} call{} had a prompt longer than its model's context window: Bedrock would refuse {}; they are billed here as if served",
                p.name,
                crate::numfmt::count(p.calls_beyond_context_window as f64),
                if p.calls_beyond_context_window == 1 { "" } else { "s" },
                if p.calls_beyond_context_window == 1 { "it" } else { "them" },
            ));
        }
        if p.calls_without_long_prompt_price > 0 {
            out.push(format!(
                "policy {}: {} call{} had a prompt above a long-prompt threshold that the pricing table gives no price for in their mode (batch) or service tier; billed at the short-prompt prices",
                p.name,
                crate::numfmt::count(p.calls_without_long_prompt_price as f64),
                if p.calls_without_long_prompt_price == 1 { "" } else { "s" },
            ));
        }
    }
    out
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Quantiles of interactive latency, pooled over replications: `e2e_ms[i]` and
/// `ttft_ms[i]` are the `quantiles[i]`-quantiles, ms.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyCdf {
    pub quantiles: Vec<f64>,
    pub e2e_ms: Vec<f64>,
    pub ttft_ms: Vec<f64>,
}

/// The quantiles a [`LatencyCdf`] gives: 0.005, 0.01 to 0.99 by 0.01, 0.995, 0.999.
pub fn cdf_quantiles() -> Vec<f64> {
    let mut q = vec![0.005];
    q.extend((1..100).map(|i| i as f64 / 100.0));
    q.extend([0.995, 0.999]);
    q
}

impl LatencyCdf {
    fn new(p: &crate::engine::Pooled) -> Option<LatencyCdf> {
        let quantiles = cdf_quantiles();
        // All quantiles in one pass over each histogram.
        let read = |h: &LatencyHistogram| {
            let mut v = vec![0.0; quantiles.len()];
            LatencyHistogram::quantiles_into(&[h], &quantiles, &mut v).then_some(v)
        };
        let e2e_ms = read(&p.e2e)?;
        let ttft_ms = read(&p.ttft)?;
        Some(LatencyCdf {
            quantiles,
            e2e_ms,
            ttft_ms,
        })
    }
}

fn pct(k: Interval, m: &Option<PercentileMoments>) -> Option<Percentiles> {
    m.as_ref().map(|[p50, p95, p99]| Percentiles {
        p50: k.of(p50),
        p95: k.of(p95),
        p99: k.of(p99),
    })
}

/// The classes policy `p` runs interactively and that are drawn (share > 0),
/// by index.
fn interactive(s: &Scenario, p: usize) -> Vec<usize> {
    (0..s.classes.len())
        .filter(|&c| !s.policies[p].batch[c] && s.classes[c].share > 0.0)
        .collect()
}

fn interactive_classes(s: &Scenario, p: usize) -> Vec<String> {
    interactive(s, p)
        .into_iter()
        .map(|c| s.classes[c].name.clone())
        .collect()
}

/// Why policy `p`'s pooled interactive latency is not comparable with the
/// baseline's, where the two pool different classes: `pools classify, chat;
/// the baseline all-sonnet pools summarize too, which runs on batch under this
/// policy: ...`.
fn latency_note(s: &Scenario, p: usize) -> Option<String> {
    let (mine, base) = (interactive(s, p), interactive(s, s.baseline));
    if mine == base {
        return None;
    }
    let names = |v: &[usize]| {
        v.iter()
            .map(|&c| s.classes[c].name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let left_out: Vec<usize> = base.iter().copied().filter(|c| !mine.contains(c)).collect();
    let added: Vec<usize> = mine.iter().copied().filter(|c| !base.contains(c)).collect();
    let mut parts = Vec::new();
    if !left_out.is_empty() {
        parts.push(format!(
            "pools {} too, which {} on batch under this policy",
            names(&left_out),
            if left_out.len() == 1 { "runs" } else { "run" }
        ));
    }
    if !added.is_empty() {
        parts.push(format!("runs {} on batch", names(&added)));
    }
    let mine = if mine.is_empty() {
        "no class".to_string()
    } else {
        names(&mine)
    };
    Some(format!(
        "pools {mine}; the baseline {} {}: the two rows differ in their mix of classes, not only in speed; compare the classes' own latencies",
        s.policies[s.baseline].name,
        parts.join(", and ")
    ))
}

impl ScenarioInfo {
    /// What `s` simulates, as the results name it.
    pub fn new(s: &Scenario) -> ScenarioInfo {
        ScenarioInfo {
            name: s.name.clone(),
            path: s.path.display().to_string(),
            description: s.description.clone(),
            pricing: s.pricing_path.display().to_string(),
            pricing_region: s.pricing.region.clone(),
            pricing_as_of: s.pricing.as_of.clone(),
            requests: s.requests,
            replications: s.replications,
            seed: s.seed,
            monthly_requests: s.monthly_requests,
            baseline: s.policies[s.baseline].name.clone(),
            classes: s
                .classes
                .iter()
                .map(|c| ClassInfo {
                    name: c.name.clone(),
                    share: c.share,
                    mode: if c.batch { "batch" } else { "interactive" },
                })
                .collect(),
            load: s.load.as_ref().map(super::time::results::LoadInfo::new),
            profiles: crate::scenario::billing::profiles_used(&s.models),
        }
    }
}

impl RunResults {
    /// Summarizes a run.
    pub fn new(s: &Scenario, raw: &crate::engine::Raw) -> RunResults {
        let n = raw.summary.replications as f64;
        let k = s.interval();
        let mut policies: Vec<PolicyResult> = s
            .policies
            .iter()
            .zip(&raw.summary.policies)
            .enumerate()
            .map(|(p, (policy, m))| {
                let cost = k.of(&m.cost);
                let cost_by_model = s
                    .models
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| m.called[*i])
                    .map(|(i, model)| {
                        let k: [f64; KINDS] = m.breakdown[i].map(|sum| sum / n);
                        debug_assert_eq!(KIND_NAMES.len(), KINDS);
                        ModelCost {
                            model: model.name.clone(),
                            price_key: model.price.key.clone(),
                            calls_per_request: m.calls[i] / n,
                            input: k[0],
                            output: k[1],
                            cache_read: k[2],
                            cache_write: k[3],
                            extra_calls: k[4],
                            total: k.iter().sum(),
                        }
                    })
                    .collect();
                let classes = s
                    .classes
                    .iter()
                    .zip(&m.classes)
                    .enumerate()
                    .map(|(c, (class, cm))| {
                        // A class without eval examples varies only by Monte Carlo
                        // error: its own figures keep the replications' CI.
                        let kc = match &s.eval {
                            Some(e) if e.classes[c].ids.is_empty() => Interval::Replications,
                            _ => k,
                        };
                        ClassResult {
                            class: class.name.clone(),
                            mode: if policy.batch[c] {
                                "batch"
                            } else {
                                "interactive"
                            },
                            cost_per_request: cm.map(|c| kc.of(&c.cost)),
                            quality: cm.map(|c| kc.rate_of(&c.quality)),
                            escalation_rate: cm.map(|c| kc.rate_of(&c.escalation)),
                            e2e_latency_ms: cm.and_then(|c| pct(kc, &c.e2e)),
                            ttft_ms: cm.and_then(|c| pct(kc, &c.ttft)),
                            batch_latency_ms: cm.and_then(|c| pct(kc, &c.batch)),
                        }
                    })
                    .collect();
                PolicyResult {
                    name: policy.name.clone(),
                    baseline: p == s.baseline,
                    cost_per_request: cost,
                    cost_per_1k: cost.scale(1000.0),
                    cost_per_month: cost.scale(s.monthly_requests),
                    saving_vs_baseline: m.saving.map(|v| k.of(&v)),
                    escalation_rate: k.rate_of(&m.escalation),
                    quality: k.rate_of(&m.quality),
                    escalated_quality: m.escalated_quality.map(|v| k.rate_of(&v)),
                    e2e_latency_ms: pct(k, &m.e2e),
                    ttft_ms: pct(k, &m.ttft),
                    batch_latency_ms: pct(k, &m.batch),
                    interactive_classes: interactive_classes(s, p),
                    latency_note: latency_note(s, p),
                    verdict: None,
                    cost_by_model,
                    classes,
                    latency_cdf: LatencyCdf::new(&raw.pooled[p]),
                    calls_beyond_context_window: m.beyond_context,
                    calls_without_long_prompt_price: m.unpriced,
                    traffic: s
                        .load
                        .as_ref()
                        .zip(m.time.as_ref())
                        .map(|(l, t)| super::time::results::TrafficResult::new(s, l, t, k)),
                    capacity: s.load.as_ref().zip(m.time.as_ref()).and_then(|(l, t)| {
                        super::time::results::CapacityBill::new(
                            s,
                            l,
                            p,
                            t,
                            cost.scale(s.monthly_requests),
                            k,
                        )
                    }),
                }
            })
            .map(|mut r| {
                if !s.targets.is_empty() {
                    r.verdict = Some(Verdict::of(&r, &s.targets));
                }
                r
            })
            .collect();
        if let Some(outer) = &raw.outer {
            outer.samples.apply(&mut policies, s.monthly_requests);
        }
        let inputs = Inputs::new(s);
        let (as_logged, as_logged_note) = match AsLogged::new(s) {
            Ok(a) => (a, None),
            Err(why) => (None, Some(why)),
        };
        let mut warnings = eval_warnings(s);
        warnings.extend(crate::scenario::load::warnings(s));
        warnings.extend(crate::scenario::capacity::warnings(s));
        warnings.extend(straddle_warnings(s, &policies, inputs.eval_examples()));
        warnings.extend(limit_warnings(&policies));
        RunResults {
            inputs,
            as_logged,
            as_logged_note,
            warnings,
            scenario: ScenarioInfo::new(s),
            policies,
            targets: (!s.targets.is_empty()).then(|| s.targets.clone()),
            load_lines: raw.series.as_deref().map_or_else(Vec::new, |series| {
                super::time::results::load_lines(s, series)
            }),
        }
    }
}
