//! Replications summarised as they finish: running moments for every figure
//! that gets an interval, running sums for those reported as means, so that a
//! run's memory does not grow with its number of replications (issue 9: 1e9
//! replications held 1.7 KB each, 4.3 GB).
//!
//! Every figure the results report is a mean across replications with a
//! Student-t or bootstrap interval ([`crate::stats`]), which needs only the
//! count, the sum and the sum of squared deviations: no replication is kept.

use super::accounting::{KINDS, RepFigures};
use super::time::figures::TimeFigures;
use crate::stats::{Moments, push_opt};

/// p50, p95 and p99 of a latency, as moments.
pub type PercentileMoments = [Moments; 3];

/// A class's cost, quality, escalation and latency percentiles, as moments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassMoments {
    pub cost: Moments,
    pub quality: Moments,
    pub escalation: Moments,
    /// `None` once a replication had no such latency (the class is batch, or
    /// interactive, under the policy).
    pub e2e: Option<PercentileMoments>,
    pub ttft: Option<PercentileMoments>,
    pub batch: Option<PercentileMoments>,
}

impl Default for ClassMoments {
    fn default() -> Self {
        ClassMoments {
            cost: Moments::default(),
            quality: Moments::default(),
            escalation: Moments::default(),
            e2e: Some(Default::default()),
            ttft: Some(Default::default()),
            batch: Some(Default::default()),
        }
    }
}

/// One policy's figures across the replications so far.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySummary {
    /// USD per request.
    pub cost: Moments,
    /// 1 − cost / baseline cost; `None` once a replication's baseline cost nothing.
    pub saving: Option<Moments>,
    /// Sums of USD per request, by model and kind.
    pub breakdown: Vec<[f64; KINDS]>,
    /// Sums of calls per request, by model.
    pub calls: Vec<f64>,
    /// Whether some replication called the model.
    pub called: Vec<bool>,
    pub escalation: Moments,
    pub quality: Moments,
    /// `None` once a replication escalated nothing.
    pub escalated_quality: Option<Moments>,
    /// `None` once a replication had no such latency.
    pub e2e: Option<PercentileMoments>,
    pub ttft: Option<PercentileMoments>,
    pub batch: Option<PercentileMoments>,
    /// By class; `None` once a replication drew no request of the class.
    pub classes: Vec<Option<ClassMoments>>,
    /// Under `[load]`: the time figures' moments.
    pub time: Option<TimeMoments>,
    /// Calls past their model's context window, over every replication.
    pub beyond_context: u64,
    /// Calls with a long prompt the table has no price for, over every
    /// replication.
    pub unpriced: u64,
}

/// One policy's time figures (`[load]`) across the replications so far.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeMoments {
    pub retries_per_request: Moments,
    pub failed: Moments,
    pub fell_back: Moments,
    pub models: Vec<ModelTimeMoments>,
    /// By commitment (`[capacity]`).
    pub capacity: Vec<super::time::capacity::CapMoments>,
    /// With commitments: the traffic all on demand, and what they saved,
    /// USD per request.
    pub all_on_demand: Moments,
    pub capacity_saving: Moments,
}

/// One model's time figures across the replications so far; an optional
/// figure is `None` once a replication lacked it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelTimeMoments {
    pub hit_rate: Option<Moments>,
    pub class_hit_rate: Vec<Option<Moments>>,
    pub throttled: Option<Moments>,
    pub mean_rpm: Moments,
    pub peak_rpm: Moments,
    pub mean_tpm: Moments,
    pub peak_tpm: Moments,
    pub prompt_per_call: Option<Moments>,
    pub output_per_call: Option<Moments>,
    pub wasted_writes: Moments,
}

impl TimeMoments {
    fn new(t: &TimeFigures) -> Self {
        TimeMoments {
            retries_per_request: Moments::default(),
            failed: Moments::default(),
            fell_back: Moments::default(),
            models: t
                .models
                .iter()
                .map(|m| ModelTimeMoments {
                    hit_rate: Some(Moments::default()),
                    class_hit_rate: vec![Some(Moments::default()); m.class_hit_rate.len()],
                    throttled: Some(Moments::default()),
                    mean_rpm: Moments::default(),
                    peak_rpm: Moments::default(),
                    mean_tpm: Moments::default(),
                    peak_tpm: Moments::default(),
                    prompt_per_call: Some(Moments::default()),
                    output_per_call: Some(Moments::default()),
                    wasted_writes: Moments::default(),
                })
                .collect(),
            capacity: t
                .capacity
                .iter()
                .map(|_| super::time::capacity::CapMoments::new())
                .collect(),
            all_on_demand: Moments::default(),
            capacity_saving: Moments::default(),
        }
    }

    fn push(&mut self, t: &TimeFigures) {
        self.retries_per_request.push(t.retries_per_request);
        self.failed.push(t.failed);
        self.fell_back.push(t.fell_back);
        for (m, f) in self.models.iter_mut().zip(&t.models) {
            push_opt(&mut m.hit_rate, f.hit_rate);
            for (c, v) in m.class_hit_rate.iter_mut().zip(&f.class_hit_rate) {
                push_opt(c, *v);
            }
            push_opt(&mut m.throttled, f.throttled);
            m.mean_rpm.push(f.mean_rpm);
            m.peak_rpm.push(f.peak_rpm);
            m.mean_tpm.push(f.mean_tpm);
            m.peak_tpm.push(f.peak_tpm);
            push_opt(&mut m.prompt_per_call, f.prompt_per_call);
            push_opt(&mut m.output_per_call, f.output_per_call);
            m.wasted_writes.push(f.wasted_writes);
        }
        for (c, f) in self.capacity.iter_mut().zip(&t.capacity) {
            c.push(f);
        }
        self.all_on_demand.push(t.all_on_demand);
        self.capacity_saving.push(t.capacity_saving);
    }
}

impl PolicySummary {
    fn new(models: usize, classes: usize) -> Self {
        PolicySummary {
            cost: Moments::default(),
            saving: Some(Moments::default()),
            breakdown: vec![[0.0; KINDS]; models],
            calls: vec![0.0; models],
            called: vec![false; models],
            escalation: Moments::default(),
            quality: Moments::default(),
            escalated_quality: Some(Moments::default()),
            e2e: Some(Default::default()),
            ttft: Some(Default::default()),
            batch: Some(Default::default()),
            classes: vec![Some(ClassMoments::default()); classes],
            time: None,
            beyond_context: 0,
            unpriced: 0,
        }
    }

    fn push(&mut self, r: &RepFigures, baseline_cost: f64) {
        if let Some(t) = &r.time {
            self.time.get_or_insert_with(|| TimeMoments::new(t)).push(t);
        }
        self.cost.push(r.cost);
        push_opt(
            &mut self.saving,
            (baseline_cost > 0.0).then(|| 1.0 - r.cost / baseline_cost),
        );
        for (sum, row) in self.breakdown.iter_mut().zip(&r.breakdown) {
            for k in 0..KINDS {
                sum[k] += row[k];
            }
        }
        for ((sum, called), &c) in self.calls.iter_mut().zip(&mut self.called).zip(&r.calls) {
            *sum += c;
            *called |= c > 0.0;
        }
        self.beyond_context += r.beyond_context;
        self.unpriced += r.unpriced;
        self.escalation.push(r.escalation);
        self.quality.push(r.quality);
        push_opt(&mut self.escalated_quality, r.escalated_quality);
        push_percentiles(&mut self.e2e, r.e2e);
        push_percentiles(&mut self.ttft, r.ttft);
        push_percentiles(&mut self.batch, r.batch);
        for (slot, c) in self.classes.iter_mut().zip(&r.classes) {
            match (slot.as_mut(), c) {
                (Some(m), Some(c)) => {
                    m.cost.push(c.cost);
                    m.quality.push(c.quality);
                    m.escalation.push(c.escalation);
                    push_percentiles(&mut m.e2e, c.e2e);
                    push_percentiles(&mut m.ttft, c.ttft);
                    push_percentiles(&mut m.batch, c.batch);
                }
                _ => *slot = None,
            }
        }
    }
}

fn push_percentiles(m: &mut Option<PercentileMoments>, p: Option<[f64; 3]>) {
    match (m.as_mut(), p) {
        (Some(m), Some(p)) => {
            for (m, v) in m.iter_mut().zip(p) {
                m.push(v);
            }
        }
        _ => *m = None,
    }
}

/// Every policy's figures across the replications so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// By policy, in the scenario's order.
    pub policies: Vec<PolicySummary>,
    /// The policy savings are measured against.
    baseline: usize,
    /// Replications pushed.
    pub replications: u64,
}

impl Summary {
    pub fn new(policies: usize, models: usize, classes: usize, baseline: usize) -> Self {
        Summary {
            policies: (0..policies)
                .map(|_| PolicySummary::new(models, classes))
                .collect(),
            baseline,
            replications: 0,
        }
    }

    /// Adds one replication's figures, by policy.
    pub fn push(&mut self, figures: &[RepFigures]) {
        let base = figures[self.baseline].cost;
        for (p, r) in self.policies.iter_mut().zip(figures) {
            p.push(r, base);
        }
        self.replications += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::accounting::ClassFigures;

    fn rep(cost: f64, escalated: Option<f64>, class: Option<f64>) -> RepFigures {
        RepFigures {
            cost,
            breakdown: vec![[cost, 0.0, 0.0, 0.0, 0.0]],
            calls: vec![1.0],
            beyond_context: 0,
            unpriced: 0,
            escalation: 0.1,
            quality: 0.9,
            escalated_quality: escalated,
            e2e: Some([1.0, 2.0, 3.0]),
            ttft: None,
            batch: None,
            classes: vec![class.map(|c| ClassFigures {
                cost: c,
                quality: 1.0,
                escalation: 0.0,
                e2e: Some([c, 2.0 * c, 3.0 * c]),
                ttft: None,
                batch: None,
            })],
            time: None,
        }
    }

    #[test]
    fn a_summary_holds_the_figures_of_every_replication() {
        let mut s = Summary::new(2, 1, 1, 0);
        s.push(&[
            rep(2.0, Some(1.0), Some(2.0)),
            rep(1.0, Some(0.5), Some(1.0)),
        ]);
        s.push(&[rep(4.0, None, Some(4.0)), rep(1.0, Some(0.5), None)]);
        assert_eq!(s.replications, 2);
        let base = &s.policies[0];
        assert_eq!(base.cost.mean(), 3.0);
        assert_eq!(base.breakdown[0][0], 6.0);
        assert!(base.called[0]);
        // Replication 2 escalated nothing under the baseline: no figure.
        assert_eq!(base.escalated_quality, None);
        assert!(base.ttft.is_none() && base.e2e.is_some());
        let other = &s.policies[1];
        // Savings 1 − 1/2 and 1 − 1/4.
        assert_eq!(other.saving.unwrap().mean(), (0.5 + 0.75) / 2.0);
        assert_eq!(other.classes[0], None);
        let class = s.policies[0].classes[0].unwrap();
        assert_eq!(class.cost.mean(), 3.0);
        // The class's p95 was 4 and 8 ms: mean 6, variance 8.
        let p95 = class.e2e.unwrap()[1];
        assert_eq!((p95.mean(), p95.variance()), (6.0, 8.0));
        assert_eq!(class.ttft, None);
    }
}
