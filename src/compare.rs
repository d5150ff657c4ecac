//! `simroute compare A.toml B.toml`: the same policies under two scenarios (two
//! pricing tables, a model swap), and what changed.
//!
//! Replication i of A and replication i of B use the same random streams (same
//! seed), so the difference is computed per replication and its interval is the
//! paired Student-t interval of those differences: much narrower than comparing two
//! independent intervals when the scenarios share their structure. Both run in
//! lockstep, and each pair goes into running moments ([`crate::stats::Moments`])
//! at once.

use serde::Serialize;

use crate::engine::Engine;
use crate::engine::accounting::RepFigures;
use crate::engine::results::ScenarioInfo;
use crate::input::UsageError;
use crate::scenario::Scenario;
use crate::stats::{Estimate, Interval, Moments, push_opt};

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

/// A metric's moments in A, in B and of B − A, paired by replication; `None`
/// once a replication lacks the figure on either side.
#[derive(Debug, Clone, Copy)]
struct Paired {
    a: Option<Moments>,
    b: Option<Moments>,
    diff: Option<Moments>,
}

impl Paired {
    fn push(&mut self, xa: Option<f64>, xb: Option<f64>) {
        push_opt(&mut self.a, xa);
        push_opt(&mut self.b, xb);
        push_opt(&mut self.diff, xa.zip(xb).map(|(x, y)| y - x));
    }
}

/// Runs both scenarios (on the current thread pool) and compares their common
/// policies. `progress` is called with the number of requests simulated as
/// they are, on either side.
///
/// The two run in lockstep, a group of replications at a time, and each pair of
/// replications goes into running moments at once: memory does not grow with
/// the number of replications.
pub fn compare(
    a: &Scenario,
    b: &Scenario,
    progress: &(dyn Fn(u64) + Sync),
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
    // With an eval set the replications resample it, and their spread is the
    // eval's sampling error (crate::stats): the bootstrap interval applies.
    let k = if a.eval.is_some() || b.eval.is_some() {
        Interval::Bootstrap
    } else {
        Interval::Replications
    };
    let pairs: Vec<(usize, usize)> = a
        .policies
        .iter()
        .enumerate()
        .filter_map(|(pa, p)| {
            let pb = b.policies.iter().position(|q| q.name == p.name)?;
            Some((pa, pb))
        })
        .collect();
    let empty = Paired {
        a: Some(Moments::default()),
        b: Some(Moments::default()),
        diff: Some(Moments::default()),
    };
    let mut moments = vec![[empty; METRICS.len()]; pairs.len()];
    let (ea, eb) = (Engine::new(a), Engine::new(b));
    let group = ea.group_len().max(eb.group_len());
    let mut first = 0;
    while first < a.replications {
        let last = a.replications.min(first.saturating_add(group));
        // Traffic over time ([load]) runs its own engine, a replication at a
        // time; a static side runs its group as before.
        let figures = |s: &Scenario, e: &Engine| -> anyhow::Result<Vec<Vec<RepFigures>>> {
            if s.load.is_some() {
                (first..last)
                    .map(|rep| Ok(crate::engine::time::replication_figures(s, e, rep, progress)?.1))
                    .collect()
            } else {
                Ok(e.figures(s.seed, first..last, s.requests, progress)?)
            }
        };
        let fa = figures(a, &ea)?;
        let fb = figures(b, &eb)?;
        for (ra, rb) in fa.iter().zip(&fb) {
            for (&(pa, pb), m) in pairs.iter().zip(&mut moments) {
                for ((_, f), m) in METRICS.iter().zip(m.iter_mut()) {
                    m.push(
                        f(&ra[pa], a.monthly_requests),
                        f(&rb[pb], b.monthly_requests),
                    );
                }
            }
        }
        first = last;
    }
    let policies = pairs
        .iter()
        .zip(&moments)
        .map(|(&(pa, _), m)| PolicyComparison {
            name: a.policies[pa].name.clone(),
            deltas: METRICS
                .iter()
                .zip(m)
                .filter_map(|(&(metric, _), m)| {
                    // A rate's own interval is Wilson's under the bootstrap
                    // (crate::stats); its change is a difference, not a rate.
                    let how = match metric {
                        "escalation_rate" | "quality" => Interval::rate_of,
                        _ => Interval::of,
                    };
                    let (ea, eb) = (how(k, &m.a?), how(k, &m.b?));
                    Some(Delta {
                        metric,
                        a: ea,
                        b: eb,
                        change: k.of(&m.diff?),
                        relative: (ea.mean != 0.0).then(|| (eb.mean - ea.mean) / ea.mean),
                    })
                })
                .collect(),
        })
        .collect();
    let names = |s: &Scenario, other: &Scenario| {
        s.policies
            .iter()
            .filter(|p| !other.policies.iter().any(|q| q.name == p.name))
            .map(|p| p.name.clone())
            .collect()
    };
    Ok(CompareResults {
        a: ScenarioInfo::new(a),
        b: ScenarioInfo::new(b),
        interval: k,
        policies,
        only_in_a: names(a, b),
        only_in_b: names(b, a),
    })
}
