//! What a run was fed, as it reports it: the logs (records read, used, skipped
//! by kind), the eval set (its size per class and each model's pass rate), the
//! "as logged" cost of the logged traffic, and the warnings a reader must see
//! (a target whose verdict flips inside the interval).
//!
//! How many examples would settle a straddled target: the interval's half-width
//! `h` shrinks as `1/√n` with the eval's size `n` (binomial standard error), so
//! it clears the target, at distance `g` from the estimate, once
//! `n' ≈ n · (h / g)²`. That assumes the estimate stays where it is; it is a
//! rough guide, said as such.

use std::collections::BTreeMap;

use serde::Serialize;

use super::accounting::PERCENTILES;
use crate::scenario::{ClassTokens, Scenario};
use crate::stats::{Estimate, Interval};
use crate::units::usd;

/// The measured inputs of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inputs {
    /// How replications become intervals: `replications` (Monte Carlo error) or
    /// `bootstrap` (the eval set's sampling error, see scenarios/README.md).
    pub interval: Interval,
    /// "bootstrap" or "exact", where traffic comes from a log.
    pub replay: Option<&'static str>,
    pub logs: Vec<LogInfo>,
    pub eval: Option<EvalInfo>,
    /// The inputs given as ranges, drawn once per replication; `[]` without.
    pub uncertain: Vec<UncertainInfo>,
}

/// An input given as a range (scenarios/README.md §1).
#[derive(Debug, Clone, Serialize)]
pub struct UncertainInfo {
    /// Its dotted key, as `sweep --param` names keys.
    pub key: String,
    pub low: f64,
    pub high: f64,
}

/// One log as read.
#[derive(Debug, Clone, Serialize)]
pub struct LogInfo {
    pub file: String,
    pub format: String,
    pub class_field: Option<String>,
    pub records_read: u64,
    pub records_used: u64,
    pub records_skipped: u64,
    /// Skipped records by kind.
    pub skipped: BTreeMap<String, u64>,
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
}

/// The eval set as read.
#[derive(Debug, Clone, Serialize)]
pub struct EvalInfo {
    pub file: String,
    pub format: String,
    pub rows_read: u64,
    pub rows_skipped: u64,
    /// Skipped rows by kind.
    pub skipped: BTreeMap<String, u64>,
    pub classes: Vec<EvalClassInfo>,
}

/// One class's eval examples.
#[derive(Debug, Clone, Serialize)]
pub struct EvalClassInfo {
    pub class: String,
    pub examples: usize,
    /// Share of the class's examples each model passed, by scenario model name
    /// (models with a row on every example).
    pub pass_rate: BTreeMap<String, f64>,
}

/// What the logged traffic cost as it ran: each record priced by the table at
/// the model that served it (on demand, with its own cache reads and writes).
#[derive(Debug, Clone, Serialize)]
pub struct AsLogged {
    pub requests: u64,
    /// USD per request.
    pub cost_per_request: f64,
    /// USD per 1,000 requests.
    pub cost_per_1k: f64,
    /// USD per month at `monthly_requests`.
    pub cost_per_month: f64,
    pub by_model: Vec<AsLoggedModel>,
    /// p50, p95 and p99 of the logged latency, ms, where records have one.
    pub latency_ms: Option<[f64; 3]>,
    /// Records with a logged latency.
    pub latency_records: u64,
}

/// One model's part of the as-logged cost.
#[derive(Debug, Clone, Serialize)]
pub struct AsLoggedModel {
    pub price_key: String,
    pub requests: u64,
    /// USD per request of the whole log.
    pub cost_per_request: f64,
}

impl Inputs {
    /// The inputs of scenario `s`.
    pub fn new(s: &Scenario) -> Inputs {
        let logs = s
            .measured
            .logs
            .iter()
            .map(|l| LogInfo {
                file: l.path.display().to_string(),
                format: l.summary.format.to_string(),
                class_field: l.class_field.clone(),
                records_read: l.summary.read,
                records_used: l.summary.used,
                records_skipped: l.summary.skipped_total(),
                skipped: l
                    .summary
                    .skipped
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect(),
                first_timestamp: l.summary.first_timestamp.clone(),
                last_timestamp: l.summary.last_timestamp.clone(),
            })
            .collect::<Vec<_>>();
        let eval = s.measured.eval.as_ref().zip(s.eval.as_ref()).map(|(d, e)| {
            let classes = s
                .classes
                .iter()
                .zip(&e.classes)
                .filter(|(_, ec)| !ec.ids.is_empty())
                .map(|(c, ec)| EvalClassInfo {
                    class: c.name.clone(),
                    examples: ec.ids.len(),
                    pass_rate: s
                        .models
                        .iter()
                        .enumerate()
                        .filter_map(|(m, model)| {
                            let passes = ec
                                .outcomes
                                .iter()
                                .map(|row| row[m].map(|o| o.pass as u32))
                                .collect::<Option<Vec<u32>>>()?;
                            let n = passes.len() as f64;
                            Some((model.name.clone(), passes.iter().sum::<u32>() as f64 / n))
                        })
                        .collect(),
                })
                .collect();
            EvalInfo {
                file: d.path.display().to_string(),
                format: d.format.to_string(),
                rows_read: d.read,
                rows_skipped: d.skipped.values().sum(),
                skipped: d.skipped.clone(),
                classes,
            }
        });
        let logged = s
            .classes
            .iter()
            .any(|c| matches!(c.tokens, ClassTokens::Logged { .. }));
        Inputs {
            interval: s.interval(),
            replay: logged.then_some(match s.replay {
                crate::scenario::Replay::Bootstrap => "bootstrap",
                crate::scenario::Replay::Exact => "exact",
            }),
            logs,
            eval,
            uncertain: s
                .uncertainty
                .iter()
                .flat_map(|u| &u.inputs)
                .map(|i| UncertainInfo {
                    key: i.key.clone(),
                    low: i.low,
                    high: i.high,
                })
                .collect(),
        }
    }

    /// What a ± or a shaded band is, for captions: "95% CI", or the eval
    /// bootstrap's interval.
    pub fn interval_name(&self) -> String {
        if self.interval == Interval::Percentile {
            format!(
                "95% interval over the {} uncertain input{} (percentiles of the replications)",
                self.uncertain.len(),
                if self.uncertain.len() == 1 { "" } else { "s" }
            )
        } else if self.interval == Interval::Bootstrap {
            format!(
                "95% bootstrap interval of the eval set ({} examples)",
                self.eval_examples()
            )
        } else {
            "95% CI".to_string()
        }
    }

    /// Examples in the eval set, all classes together.
    pub fn eval_examples(&self) -> usize {
        self.eval
            .as_ref()
            .map(|e| e.classes.iter().map(|c| c.examples).sum())
            .unwrap_or(0)
    }
}

impl AsLogged {
    /// The as-logged cost, where every class of `s` comes from a log and every
    /// record names a model of the pricing table; otherwise `Err` says why not.
    pub fn new(s: &Scenario) -> Result<Option<AsLogged>, String> {
        let mut logs: Vec<usize> = Vec::new();
        let mut synthetic = None;
        for c in &s.classes {
            match &c.tokens {
                ClassTokens::Logged { log, .. } if !logs.contains(log) => logs.push(*log),
                ClassTokens::Logged { .. } => {}
                ClassTokens::Synthetic(_) => synthetic = synthetic.or(Some(&c.name)),
            }
        }
        match (logs.is_empty(), synthetic) {
            (true, _) => return Ok(None),
            (false, Some(name)) => {
                return Err(format!(
                    "class \"{name}\" does not come from a log, so the logs are not the whole traffic"
                ));
            }
            (false, None) => {}
        }
        let mut requests = 0;
        let mut cost: u128 = 0;
        let mut by_model: BTreeMap<String, (u64, u128)> = BTreeMap::new();
        let mut latency = super::histogram::LatencyHistogram::new();
        for &l in &logs {
            let d = &s.measured.logs[l];
            if d.no_model > 0 {
                return Err(format!(
                    "{} of the records of {} name no model",
                    d.no_model,
                    d.path.display()
                ));
            }
            if !d.unpriced.is_empty() {
                let n: u64 = d.unpriced.values().sum();
                let ids: Vec<&str> = d.unpriced.keys().map(String::as_str).collect();
                return Err(format!(
                    "{n} records of {} name models the pricing table lacks ({})",
                    d.path.display(),
                    ids.join(", ")
                ));
            }
            requests += d.summary.used;
            for (k, t) in &d.by_model {
                cost += t.cost;
                let e = by_model.entry(k.clone()).or_default();
                e.0 += t.requests;
                e.1 += t.cost;
            }
            latency.merge(&d.latency);
        }
        if requests == 0 {
            return Ok(None);
        }
        let per = usd(cost) / requests as f64;
        let q = PERCENTILES.map(|q| latency.quantile(q));
        Ok(Some(AsLogged {
            requests,
            cost_per_request: per,
            cost_per_1k: per * 1000.0,
            cost_per_month: per * s.monthly_requests,
            by_model: by_model
                .into_iter()
                .map(|(k, (n, c))| AsLoggedModel {
                    price_key: k,
                    requests: n,
                    cost_per_request: usd(c) / requests as f64,
                })
                .collect(),
            latency_ms: match q {
                [Some(a), Some(b), Some(c)] => Some([a, b, c]),
                _ => None,
            },
            latency_records: latency.len(),
        }))
    }
}

/// A warning for every target whose verdict (met or not) flips inside a policy's
/// interval: the straddled checks of the policy's verdict, scenario-wide and
/// per class, with what would settle them.
pub fn straddle_warnings(
    s: &Scenario,
    policies: &[super::results::PolicyResult],
    examples: usize,
) -> Vec<String> {
    use crate::sweep::verdict::{Check, TargetKind};
    let mut out = Vec::new();
    for p in policies {
        let Some(v) = &p.verdict else { continue };
        for c in v.checks.iter().filter(|c| c.check == Check::Straddles) {
            let (Some(e), t) = (c.figure, c.limit) else {
                continue;
            };
            let (what, k, unit) = match c.target {
                TargetKind::Quality => ("quality", 100.0, "%"),
                TargetKind::P95LatencyMs => ("p95 latency", 1.0, " ms"),
            };
            let what = match &c.class {
                Some(class) => format!("{what} of class \"{class}\""),
                None => what.to_string(),
            };
            let shown = |v: f64| {
                if unit == "%" {
                    format!("{:.1}%", v * k)
                } else {
                    format!("{:.0}{unit}", v * k)
                }
            };
            let head = format!(
                "policy \"{}\": {what} {} [{}, {}] straddles the target {}: the run cannot tell whether it is met",
                p.name,
                shown(e.mean),
                shown(e.ci_low),
                shown(e.ci_high),
                shown(t)
            );
            out.push(if s.uncertainty.is_some() {
                format!("{head}. The interval is mostly what the uncertain inputs allow: measure them (`simroute sensitivity` says which first) and narrow their ranges")
            } else if examples > 0 {
                format!("{head}. The interval is the eval set's own sampling error ({examples} examples); collect more examples: {}", settle(examples, &e, t))
            } else {
                format!("{head}. Run more replications or requests to narrow it")
            });
        }
    }
    out
}

/// The eval set's warnings: a class whose `difficulty` the eval overrides, and
/// every routed model that passed (or failed) every eval example of a class: resampling those examples never shows a failure (or a pass), so
/// the bootstrap claims certainty it does not have. With n examples and none
/// failed, a 95% upper bound on the failure rate is about 3/n (the "rule of
/// three", Hanley & Lippman-Hand, JAMA 1983).
pub fn eval_warnings(s: &Scenario) -> Vec<String> {
    let Some(eval) = &s.eval else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (c, ec) in eval.classes.iter().enumerate() {
        if !ec.ids.is_empty() && s.classes[c].difficulty.is_some() {
            out.push(format!(
                "class \"{}\": its difficulty (and the models' skills) are not used: quality comes from its {} eval examples",
                s.classes[c].name,
                ec.ids.len()
            ));
        }
    }
    for (c, ec) in eval.classes.iter().enumerate() {
        let n = ec.ids.len();
        if n == 0 {
            continue;
        }
        // (models that passed every example, models that failed every example)
        let (mut all, mut none) = (Vec::new(), Vec::new());
        for (m, model) in s.models.iter().enumerate() {
            let routed = s.policies.iter().any(|p| p.routes[c].contains(&m));
            let passes: Option<usize> = ec
                .outcomes
                .iter()
                .map(|row| row[m].map(|o| o.pass as usize))
                .sum();
            match (passes, routed) {
                (Some(k), true) if k == n => all.push(format!("\"{}\"", model.name)),
                (Some(0), true) => none.push(format!("\"{}\"", model.name)),
                _ => {}
            }
        }
        let bound = (3.0 / n as f64).min(1.0) * 100.0;
        for (models, did, rate) in [(all, "passed", "failure"), (none, "failed", "pass")] {
            if models.is_empty() {
                continue;
            }
            out.push(format!(
                "eval: {} {did} all {n} examples of class \"{}\", so resampling them shows no spread; the true {rate} rate could still be up to {bound:.0}% (rule of three, 3/n)",
                models.join(", "),
                s.classes[c].name,
            ));
        }
    }
    out
}

/// "about N would settle it", from the interval's side towards the target (a
/// rate's Wilson interval is asymmetric) and the mean's distance to the target.
fn settle(n: usize, e: &Estimate, target: f64) -> String {
    let gap = (e.mean - target).abs();
    let half = if target < e.mean {
        e.mean - e.ci_low
    } else {
        e.ci_high - e.mean
    };
    if gap < half / 10.0 {
        return format!(
            "the estimate sits on the target, so more than {} (100× as many) may not settle it",
            n * 100
        );
    }
    // Rounded up, after shedding float noise (4.000000000000001 examples is 4).
    let need = (n as f64 * (half / gap).powi(2) - 1e-9).ceil() as usize;
    format!("about {need} in all would settle it if the estimate held")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_needed_scale_with_the_square_of_the_ratio() {
        // Half-width 0.10 at 0.05 from the target with 40 examples: the width must
        // halve, so 4× the examples.
        let e = Estimate {
            mean: 0.90,
            ci_low: 0.80,
            ci_high: 1.00,
        };
        assert!(settle(40, &e, 0.95).contains("about 160 in all"));
        assert!(settle(40, &e, 0.905).contains("sits on the target"));
        // An asymmetric interval: the side that reaches the target counts. 0.05
        // below the mean, the lower side 0.15 long: 9× the examples.
        let e = Estimate {
            mean: 0.90,
            ci_low: 0.75,
            ci_high: 0.95,
        };
        assert!(settle(40, &e, 0.85).contains("about 360 in all"));
    }
}
