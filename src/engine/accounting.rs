//! Streaming accumulators: everything a replication needs, in memory that does not
//! grow with the number of requests.
//!
//! Money is summed as integer femto-dollars (`u128`), counts as integers, and
//! latencies go into log-linear histograms ([`LatencyHistogram`]: a quantile is
//! within 0.05% of the true sample quantile). All three merge by addition, which
//! is associative and commutative, so the result does not depend on how the
//! requests were split across threads.

use super::histogram::LatencyHistogram;
use crate::units::usd;

/// Cost kinds, the columns of the breakdown.
pub const KINDS: usize = 5;
pub const INPUT: usize = 0;
pub const OUTPUT: usize = 1;
pub const CACHE_READ: usize = 2;
pub const CACHE_WRITE: usize = 3;
pub const EXTRA: usize = 4;
/// Names of the kinds, in column order.
pub const KIND_NAMES: [&str; KINDS] = [
    "input",
    "output",
    "cache_read",
    "cache_write",
    "extra_calls",
];

/// Counts and latencies for one traffic class under one policy.
///
/// Latencies are kept per class, so that a class's percentiles do not depend
/// on which other classes are interactive; a policy's pooled percentiles are
/// read from its classes' histograms together ([`LatencyHistogram::quantiles_of`]),
/// which gives the same figures as one histogram of every request.
#[derive(Debug, Clone, Default)]
pub struct ClassAcc {
    pub requests: u64,
    /// Femto-dollars.
    pub cost: u128,
    pub correct: u64,
    pub escalated: u64,
    pub escalated_correct: u64,
    /// End-to-end latency of the class's requests where it is interactive, ms.
    pub e2e: LatencyHistogram,
    /// Felt time to first token of the class's interactive requests, ms.
    pub ttft: LatencyHistogram,
    /// End-to-end latency of the class's requests where it runs on batch, ms.
    pub batch: LatencyHistogram,
}

/// Everything one policy accumulates in one replication.
#[derive(Debug, Clone)]
pub struct PolicyAcc {
    /// Femto-dollars by model and kind.
    pub cost: Vec<[u128; KINDS]>,
    /// Calls made, by model (extra calls included).
    pub calls: Vec<u64>,
    /// By traffic class, latencies included.
    pub classes: Vec<ClassAcc>,
    /// Calls whose prompt passed the model's context window (Bedrock refuses
    /// them; simroute bills them as if served, and counts them).
    pub beyond_context: u64,
    /// Calls with a long prompt the table has no price for in their mode or
    /// tier (billed at the short-prompt prices, and counted).
    pub unpriced: u64,
}

impl PolicyAcc {
    pub fn new(models: usize, classes: usize) -> Self {
        PolicyAcc {
            cost: vec![[0; KINDS]; models],
            calls: vec![0; models],
            classes: vec![ClassAcc::default(); classes],
            beyond_context: 0,
            unpriced: 0,
        }
    }

    pub fn merge(&mut self, o: &PolicyAcc) {
        for (a, b) in self.cost.iter_mut().zip(&o.cost) {
            for k in 0..KINDS {
                a[k] += b[k];
            }
        }
        for (a, b) in self.calls.iter_mut().zip(&o.calls) {
            *a += b;
        }
        self.beyond_context += o.beyond_context;
        self.unpriced += o.unpriced;
        for (a, b) in self.classes.iter_mut().zip(&o.classes) {
            a.requests += b.requests;
            a.cost += b.cost;
            a.correct += b.correct;
            a.escalated += b.escalated;
            a.escalated_correct += b.escalated_correct;
            a.e2e.merge(&b.e2e);
            a.ttft.merge(&b.ttft);
            a.batch.merge(&b.batch);
        }
    }

    /// The classes' histograms of one latency, for pooled percentiles.
    pub fn pooled(&self, which: fn(&ClassAcc) -> &LatencyHistogram) -> Vec<&LatencyHistogram> {
        self.classes.iter().map(which).collect()
    }

    /// This replication's figures.
    pub fn figures(&self) -> RepFigures {
        let requests: u64 = self.classes.iter().map(|c| c.requests).sum();
        let n = requests as f64;
        let total: u128 = self.classes.iter().map(|c| c.cost).sum();
        let correct: u64 = self.classes.iter().map(|c| c.correct).sum();
        let escalated: u64 = self.classes.iter().map(|c| c.escalated).sum();
        let escalated_correct: u64 = self.classes.iter().map(|c| c.escalated_correct).sum();
        RepFigures {
            cost: usd(total) / n,
            breakdown: self
                .cost
                .iter()
                .map(|row| row.map(|v| usd(v) / n))
                .collect(),
            calls: self.calls.iter().map(|&c| c as f64 / n).collect(),
            beyond_context: self.beyond_context,
            unpriced: self.unpriced,
            escalation: escalated as f64 / n,
            quality: correct as f64 / n,
            escalated_quality: (escalated > 0).then(|| escalated_correct as f64 / escalated as f64),
            e2e: percentiles(&self.pooled(|c| &c.e2e)),
            ttft: percentiles(&self.pooled(|c| &c.ttft)),
            batch: percentiles(&self.pooled(|c| &c.batch)),
            classes: self
                .classes
                .iter()
                .map(|c| {
                    let k = c.requests as f64;
                    (c.requests > 0).then(|| ClassFigures {
                        cost: usd(c.cost) / k,
                        quality: c.correct as f64 / k,
                        escalation: c.escalated as f64 / k,
                        e2e: percentiles(&[&c.e2e]),
                        ttft: percentiles(&[&c.ttft]),
                        batch: percentiles(&[&c.batch]),
                    })
                })
                .collect(),
            time: None,
        }
    }
}

/// The percentiles reported for latency.
pub const PERCENTILES: [f64; 3] = [0.50, 0.95, 0.99];

/// p50, p95 and p99 in ms of the values of `hs` together, or `None` where
/// they are empty.
fn percentiles(hs: &[&LatencyHistogram]) -> Option<[f64; 3]> {
    LatencyHistogram::quantiles_of(hs, PERCENTILES)
}

/// One policy's figures in one replication (USD per request, shares, ms).
#[derive(Debug, Clone, PartialEq)]
pub struct RepFigures {
    pub cost: f64,
    /// USD per request by model and kind.
    pub breakdown: Vec<[f64; KINDS]>,
    /// Calls per request by model.
    pub calls: Vec<f64>,
    /// Calls past their model's context window, a count.
    pub beyond_context: u64,
    /// Calls with a long prompt the table has no price for, a count.
    pub unpriced: u64,
    pub escalation: f64,
    pub quality: f64,
    /// Quality among escalated requests; `None` if none escalated.
    pub escalated_quality: Option<f64>,
    pub e2e: Option<[f64; 3]>,
    pub ttft: Option<[f64; 3]>,
    pub batch: Option<[f64; 3]>,
    /// Per class; `None` for a class that drew no request.
    pub classes: Vec<Option<ClassFigures>>,
    /// Under `[load]`: cache, throttling and quota figures.
    pub time: Option<super::time::figures::TimeFigures>,
}

/// One class's figures in one replication (USD per request, shares, ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassFigures {
    pub cost: f64,
    pub quality: f64,
    pub escalation: f64,
    /// p50/p95/p99 of end-to-end latency, ms; `None` where the class runs on batch.
    pub e2e: Option<[f64; 3]>,
    /// p50/p95/p99 of felt time to first token, ms; `None` where batch.
    pub ttft: Option<[f64; 3]>,
    /// p50/p95/p99 of batch latency, ms; `None` where interactive.
    pub batch: Option<[f64; 3]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_within_a_tenth_of_a_percent() {
        let mut h = LatencyHistogram::new();
        // 1..=100000 ms uniformly: p50 = 50000 ms, p95 = 95000, p99 = 99000.
        for ms in 1..=100_000u64 {
            h.record(ms as f64);
        }
        let p = percentiles(&[&h]).unwrap();
        for (got, want) in p.iter().zip([50_000.0, 95_000.0, 99_000.0]) {
            assert!((got / want - 1.0).abs() < 0.001, "{got} vs {want}");
        }
    }

    #[test]
    fn merging_is_order_independent() {
        let mut a = PolicyAcc::new(2, 1);
        let mut b = PolicyAcc::new(2, 1);
        a.cost[0][INPUT] = 5;
        a.classes[0].requests = 2;
        a.classes[0].cost = 5;
        a.classes[0].e2e.record(12.5);
        b.cost[1][OUTPUT] = 7;
        b.classes[0].requests = 1;
        b.classes[0].cost = 7;
        b.classes[0].e2e.record(800.0);
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab.figures(), ba.figures());
        assert_eq!(ab.classes[0].cost, 12);
        assert_eq!(ab.classes[0].e2e.len(), 2);
    }
}
