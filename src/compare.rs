//! `simroute compare A.toml B.toml`: the same policies under two scenarios (two
//! pricing tables, a model swap), and what changed.
//!
//! Replication i of A and replication i of B use the same random streams (same
//! seed), so the difference is computed per replication and its interval is the
//! paired Student-t interval of those differences: much narrower than comparing two
//! independent intervals when the scenarios share their structure.

use serde::Serialize;

use crate::engine::accounting::RepFigures;
use crate::engine::results::{RunResults, ScenarioInfo};
use crate::engine::{Raw, simulate_raw};
use crate::input::UsageError;
use crate::scenario::Scenario;
use crate::stats::{Estimate, Interval};

/// One figure in A and in B, and B − A.
#[derive(Debug, Clone, Serialize)]
pub struct Delta {
    /// `cost_per_request_usd`, `cost_per_month_usd`, `escalation_rate`, `quality`,
    /// `e2e_latency_ms_p95`, `ttft_ms_p95`.
    pub metric: &'static str,
    pub a: Estimate,
    pub b: Estimate,
    /// B − A, paired per replication.
    pub change: Estimate,
    /// (B − A) / A of the means; `null` where A is 0.
    pub relative: Option<f64>,
}

/// A policy of both scenarios.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyComparison {
    pub name: String,
    pub deltas: Vec<Delta>,
}

/// Everything `compare` reports.
#[derive(Debug, Clone, Serialize)]
pub struct CompareResults {
    pub a: ScenarioInfo,
    pub b: ScenarioInfo,
    /// How the intervals were formed: `bootstrap` where either scenario has an
    /// eval set (crate::stats), else `replications`.
    pub interval: Interval,
    pub policies: Vec<PolicyComparison>,
    /// Policies of A that B does not have, and of B that A does not.
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
}

type Metric = (&'static str, fn(&RepFigures, f64) -> Option<f64>);

const METRICS: [Metric; 6] = [
    ("cost_per_request_usd", |r, _| Some(r.cost)),
    ("cost_per_month_usd", |r, monthly| Some(r.cost * monthly)),
    ("escalation_rate", |r, _| Some(r.escalation)),
    ("quality", |r, _| Some(r.quality)),
    ("e2e_latency_ms_p95", |r, _| r.e2e.map(|p| p[1])),
    ("ttft_ms_p95", |r, _| r.ttft.map(|p| p[1])),
];

fn column(
    raw: &Raw,
    p: usize,
    f: fn(&RepFigures, f64) -> Option<f64>,
    monthly: f64,
) -> Option<Vec<f64>> {
    raw.reps.iter().map(|r| f(&r[p], monthly)).collect()
}

/// Runs both scenarios (on the current thread pool) and compares their common
/// policies. `progress` is called after each replication.
pub fn compare(
    a: &Scenario,
    b: &Scenario,
    progress: &(dyn Fn() + Sync),
) -> anyhow::Result<CompareResults> {
    if a.replications != b.replications {
        return Err(anyhow::Error::new(UsageError(format!(
            "{} has {} replications and {} has {}: a paired comparison needs the same number; pass --replications N",
            a.path.display(),
            a.replications,
            b.path.display(),
            b.replications
        ))));
    }
    let (ra, rb) = (simulate_raw(a, progress)?, simulate_raw(b, progress)?);
    // With an eval set the replications resample it, and their spread is the
    // eval's sampling error (crate::stats): the bootstrap interval applies.
    let k = if a.eval.is_some() || b.eval.is_some() {
        Interval::Bootstrap
    } else {
        Interval::Replications
    };
    let mut policies = Vec::new();
    for (pa, policy) in a.policies.iter().enumerate() {
        let Some(pb) = b.policies.iter().position(|q| q.name == policy.name) else {
            continue;
        };
        let deltas = METRICS
            .iter()
            .filter_map(|&(metric, f)| {
                let xa = column(&ra, pa, f, a.monthly_requests)?;
                let xb = column(&rb, pb, f, b.monthly_requests)?;
                let diff: Vec<f64> = xa.iter().zip(&xb).map(|(x, y)| y - x).collect();
                // A rate's own interval is Wilson's under the bootstrap
                // (crate::stats); its change is a difference, not a rate.
                let how = match metric {
                    "escalation_rate" | "quality" => Interval::estimate_rate,
                    _ => Interval::estimate,
                };
                let (ea, eb) = (how(k, &xa), how(k, &xb));
                Some(Delta {
                    metric,
                    a: ea,
                    b: eb,
                    change: k.estimate(&diff),
                    relative: (ea.mean != 0.0).then(|| (eb.mean - ea.mean) / ea.mean),
                })
            })
            .collect();
        policies.push(PolicyComparison {
            name: policy.name.clone(),
            deltas,
        });
    }
    let names = |s: &Scenario, other: &Scenario| {
        s.policies
            .iter()
            .filter(|p| !other.policies.iter().any(|q| q.name == p.name))
            .map(|p| p.name.clone())
            .collect()
    };
    Ok(CompareResults {
        a: RunResults::new(a, &ra).scenario,
        b: RunResults::new(b, &rb).scenario,
        interval: k,
        policies,
        only_in_a: names(a, b),
        only_in_b: names(b, a),
    })
}
