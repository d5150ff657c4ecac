//! A bounded sample of the replications' figures, for percentile intervals.
//!
//! With uncertain inputs an interval says where the figure could be, so it is
//! the 2.5% and 97.5% quantiles of the replications' values (a percentile
//! interval: Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993, §13.3,
//! read here over the inputs' draws rather than over resamples), which running
//! moments cannot give. Every replication's figures are kept up to [`CAP`]
//! replications; beyond, a uniform sample of [`CAP`] of them (reservoir sampling,
//! Vitter's algorithm R, *ACM TOMS* 11, 1985), drawn from a stream of the seed, so
//! that memory stays bounded in replications and the output stays the same for
//! the same seed. Quantiles are Hyndman & Fan's type 7 (linear between order
//! statistics, R's and NumPy's default). The quantile of a sample of n has a
//! standard error of about `√(p(1−p)/n) / f(q)`: at p = 2.5% and the cap, 0.16%
//! of the input's range for a uniform input, far below what the ends are used
//! for.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as Rng64;

use crate::engine::accounting::RepFigures;
use crate::engine::results::{Percentiles, PolicyResult};
use crate::stats::Estimate;

/// Replications kept for the quantiles; beyond, a uniform sample of this many.
pub const CAP: usize = 10_000;

/// Figures per policy before the per-class ones.
const FIXED: usize = 14;
/// Figures per class: cost, quality, escalation, then e2e, TTFT and batch
/// p50/p95/p99.
const PER_CLASS: usize = 12;

/// Each kept replication's figures, flat: per policy, cost, saving, escalation,
/// quality, escalated quality, e2e p50/p95/p99, TTFT p50/p95/p99, batch
/// p50/p95/p99, then per class cost, quality, escalation and its own e2e, TTFT
/// and batch p50/p95/p99 (NaN where missing).
#[derive(Debug, Clone)]
pub struct Samples {
    rows: Vec<Vec<f64>>,
    seen: u64,
    rng: Rng64,
    baseline: usize,
}

fn flat(figures: &[RepFigures], baseline: usize) -> Vec<f64> {
    let base = figures[baseline].cost;
    let mut out = Vec::new();
    let opt = |v: Option<f64>| v.unwrap_or(f64::NAN);
    for r in figures {
        out.push(r.cost);
        out.push(if base > 0.0 {
            1.0 - r.cost / base
        } else {
            f64::NAN
        });
        out.push(r.escalation);
        out.push(r.quality);
        out.push(opt(r.escalated_quality));
        for p in [r.e2e, r.ttft, r.batch] {
            out.extend(p.map_or([f64::NAN; 3], |p| p));
        }
        for c in &r.classes {
            match c {
                Some(c) => {
                    out.extend([c.cost, c.quality, c.escalation]);
                    for p in [c.e2e, c.ttft, c.batch] {
                        out.extend(p.map_or([f64::NAN; 3], |p| p));
                    }
                }
                None => out.extend([f64::NAN; PER_CLASS]),
            }
        }
    }
    out
}

/// The type-7 quantile `p` of sorted `v` (not empty).
pub fn quantile(v: &[f64], p: f64) -> f64 {
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

impl Samples {
    pub fn new(seed: u64, baseline: usize) -> Samples {
        Samples {
            rows: Vec::new(),
            seen: 0,
            rng: Rng64::seed_from_u64(crate::engine::stream_seed(seed, u32::MAX, u64::MAX - 2)),
            baseline,
        }
    }

    /// Adds one replication's figures, by policy.
    pub fn push(&mut self, figures: &[RepFigures]) {
        let row = flat(figures, self.baseline);
        if self.rows.len() < CAP {
            self.rows.push(row);
        } else {
            let j = self.rng.random_range(0..=self.seen);
            if (j as usize) < CAP {
                self.rows[j as usize] = row;
            }
        }
        self.seen += 1;
    }

    /// Replications kept.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The 2.5% and 97.5% quantiles of figure `i` of the kept replications;
    /// `None` where some replication lacks it.
    fn ends(&self, i: usize) -> Option<(f64, f64)> {
        let mut v: Vec<f64> = self.rows.iter().map(|r| r[i]).collect();
        if v.is_empty() || v.iter().any(|x| x.is_nan()) {
            return None;
        }
        v.sort_by(f64::total_cmp);
        Some((quantile(&v, 0.025), quantile(&v, 0.975)))
    }

    /// Replaces every interval of `policies` by the percentile interval of the
    /// kept replications (the means stay the means of all replications).
    pub fn apply(&self, policies: &mut [PolicyResult], monthly_requests: f64) {
        let width = |p: &PolicyResult| FIXED + PER_CLASS * p.classes.len();
        let mut at = 0;
        for p in policies.iter_mut() {
            let set = |e: &mut Estimate, i: usize| {
                if let Some((lo, hi)) = self.ends(at + i) {
                    // The quantiles bracket the mean but for a skewed few.
                    e.ci_low = lo.min(e.mean);
                    e.ci_high = hi.max(e.mean);
                }
            };
            set(&mut p.cost_per_request, 0);
            p.cost_per_1k = p.cost_per_request.scale(1000.0);
            p.cost_per_month = p.cost_per_request.scale(monthly_requests);
            if let Some(e) = p.saving_vs_baseline.as_mut() {
                set(e, 1);
            }
            set(&mut p.escalation_rate, 2);
            set(&mut p.quality, 3);
            if let Some(e) = p.escalated_quality.as_mut() {
                set(e, 4);
            }
            let pct = |l: &mut Option<Percentiles>, i: usize| {
                if let Some(l) = l.as_mut() {
                    set(&mut l.p50, i);
                    set(&mut l.p95, i + 1);
                    set(&mut l.p99, i + 2);
                }
            };
            pct(&mut p.e2e_latency_ms, 5);
            pct(&mut p.ttft_ms, 8);
            pct(&mut p.batch_latency_ms, 11);
            for (c, class) in p.classes.iter_mut().enumerate() {
                let i = FIXED + PER_CLASS * c;
                if let Some(e) = class.cost_per_request.as_mut() {
                    set(e, i);
                }
                if let Some(e) = class.quality.as_mut() {
                    set(e, i + 1);
                }
                if let Some(e) = class.escalation_rate.as_mut() {
                    set(e, i + 2);
                }
                pct(&mut class.e2e_latency_ms, i + 3);
                pct(&mut class.ttft_ms, i + 6);
                pct(&mut class.batch_latency_ms, i + 9);
            }
            at += width(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_7_quantiles() {
        // 1..=5: the 2.5% quantile is 1 + 0.1·(2 − 1) = 1.1; the 97.5%, 4.9.
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert!((quantile(&v, 0.025) - 1.1).abs() < 1e-12);
        assert!((quantile(&v, 0.975) - 4.9).abs() < 1e-12);
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&[7.0], 0.975), 7.0);
    }

    #[test]
    fn the_reservoir_stays_bounded_and_uniform() {
        let mut s = Samples::new(1, 0);
        let rep = |x: f64| RepFigures {
            cost: x,
            breakdown: vec![],
            calls: vec![],
            beyond_context: 0,
            unpriced: 0,
            escalation: 0.0,
            quality: 0.0,
            escalated_quality: None,
            e2e: None,
            ttft: None,
            batch: None,
            classes: vec![],
            time: None,
        };
        let n = 3 * CAP;
        for i in 0..n {
            s.push(&[rep(i as f64)]);
        }
        assert_eq!(s.len(), CAP);
        // A uniform sample of 0..n: its 2.5% and 97.5% quantiles are near
        // 0.025n and 0.975n (standard error √(p(1−p)/CAP)·n ≈ 0.0016n).
        let (lo, hi) = s.ends(0).unwrap();
        assert!((lo / n as f64 - 0.025).abs() < 0.006, "{lo}");
        assert!((hi / n as f64 - 0.975).abs() < 0.006, "{hi}");
    }
}
