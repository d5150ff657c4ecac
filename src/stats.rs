//! Confidence intervals across replications.
//!
//! Each replication is an independent simulation (its own random streams), so a
//! figure's per-replication values are i.i.d. The 95% interval is Student's t:
//! `mean ± t(0.975, n−1) · s / √n`, with `s` the sample standard deviation
//! (Bessel-corrected). Latency percentiles are computed within each replication
//! and then treated the same way, as the issue specifies.
//!
//! With an eval set, each replication also resamples the eval's examples
//! (bootstrap), so the spread of the replications is the eval's own sampling
//! error, which does not shrink with more replications. The interval is then the
//! normal-approximation bootstrap interval `mean ± t(0.975, n−1) · s` (Efron &
//! Tibshirani, *An Introduction to the Bootstrap*, 1993, §13.3): the bootstrap
//! standard error is `s` itself, not `s / √n`. For a pass rate p on n examples it
//! is as wide as the binomial (Wald) interval `p ± 1.96 · √(p(1−p)/n)`.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// A figure's mean across replications and its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Estimate {
    pub mean: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

impl Estimate {
    /// Half the width of the interval.
    pub fn half_width(&self) -> f64 {
        (self.ci_high - self.ci_low) / 2.0
    }

    /// Scales every field by `k` (for unit changes: per 1K, per month, percent).
    pub fn scale(&self, k: f64) -> Estimate {
        let (a, b) = (self.ci_low * k, self.ci_high * k);
        Estimate {
            mean: self.mean * k,
            ci_low: a.min(b),
            ci_high: a.max(b),
        }
    }

    /// Whether `v` lies within the interval.
    pub fn contains(&self, v: f64) -> bool {
        self.ci_low <= v && v <= self.ci_high
    }
}

/// The two-sided 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t_975(df: u32) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .expect("degrees of freedom are positive")
        .inverse_cdf(0.975)
}

/// How replications become an interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// Monte Carlo error only: `mean ± t · s / √n`.
    #[default]
    Replications,
    /// The eval set's sampling error (bootstrap): `mean ± t · s`.
    Bootstrap,
}

impl Interval {
    /// The estimate of `values` under this kind of interval.
    pub fn estimate(self, values: &[f64]) -> Estimate {
        let mut m = Moments::default();
        values.iter().for_each(|&v| m.push(v));
        self.of(&m)
    }

    /// The estimate of a figure from its running moments across replications
    /// (at least two of them).
    pub fn of(self, m: &Moments) -> Estimate {
        assert!(m.n >= 2, "an interval needs at least two replications");
        let mean = m.mean();
        // Student t: the standard error of the mean is s/√n; the bootstrap's
        // standard error is s itself.
        let se = match self {
            Interval::Replications => (m.variance() / m.n as f64).sqrt(),
            Interval::Bootstrap => m.variance().sqrt(),
        };
        let half = t_975((m.n - 1) as u32) * se;
        Estimate {
            mean,
            ci_low: mean - half,
            ci_high: mean + half,
        }
    }
}

/// A figure's running moments across replications, pushed as each replication
/// finishes, so that a run holds a few numbers per figure whatever the number
/// of replications.
///
/// The mean is the plain sum over the count, summed in replication order (the
/// same bits as summing a stored column); the variance is Welford's (1962)
/// update of the sum of squared deviations, `M2 += (x − mean_old)(x − mean_new)`,
/// which is stable where the naive `Σx² − n·mean²` cancels.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    n: u64,
    sum: f64,
    running_mean: f64,
    m2: f64,
}

impl Moments {
    /// Adds one replication's value.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        let d = x - self.running_mean;
        self.running_mean += d / self.n as f64;
        self.m2 += d * (x - self.running_mean);
    }

    /// Values pushed.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The mean of the values (0 for none).
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum / self.n as f64
        }
    }

    /// The sample variance (Bessel-corrected); 0 for fewer than two values.
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / (self.n - 1) as f64).max(0.0)
        }
    }
}

/// Pushes `x` into `m`, or drops `m` for good once a replication lacks the
/// figure (it is then reported as `null`).
pub fn push_opt(m: &mut Option<Moments>, x: Option<f64>) {
    match x {
        Some(x) => {
            if let Some(m) = m {
                m.push(x);
            }
        }
        None => *m = None,
    }
}

/// Mean and normal-approximation bootstrap 95% interval of `values`, each the
/// figure of one bootstrap replication (at least two of them).
pub fn bootstrap_estimate(values: &[f64]) -> Estimate {
    Interval::Bootstrap.estimate(values)
}

/// Mean and Student-t 95% interval of `values` (at least two of them).
pub fn estimate(values: &[f64]) -> Estimate {
    Interval::Replications.estimate(values)
}

/// Φ⁻¹(0.95): a lognormal's 95th percentile is `exp(mu + Z95·sigma)`.
pub const Z95: f64 = 1.644_853_626_951_472_2;

/// Φ(x), the standard normal distribution function.
pub fn normal_cdf(x: f64) -> f64 {
    Normal::standard().cdf(x)
}

/// Φ⁻¹(p), the standard normal quantile; ±∞ at 0 and 1.
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        f64::NEG_INFINITY
    } else if p >= 1.0 {
        f64::INFINITY
    } else {
        Normal::standard().inverse_cdf(p)
    }
}

/// The binormal separation for a given ROC AUC: `mu = √2 · Φ⁻¹(auc)`.
///
/// With scores `N(+mu/2, 1)` for positives and `N(−mu/2, 1)` for negatives, the AUC
/// is `P(X₊ > X₋) = Φ(mu / √2)`, which this inverts.
pub fn binormal_mu(auc: f64) -> f64 {
    std::f64::consts::SQRT_2 * normal_quantile(auc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Standard tables: t(0.975, 1) = 12.706, t(0.975, 19) = 2.093, t(0.975, 9) = 2.262.
        assert!((t_975(1) - 12.7062).abs() < 1e-3);
        assert!((t_975(19) - 2.0930).abs() < 1e-3);
        assert!((t_975(9) - 2.2622).abs() < 1e-3);
    }

    #[test]
    fn estimate_matches_hand_computation() {
        // mean 2, s = 1, n = 3: half-width = t(0.975, 2) · 1/√3 = 4.3027 / 1.7321 = 2.4841.
        let e = estimate(&[1.0, 2.0, 3.0]);
        assert_eq!(e.mean, 2.0);
        assert!((e.half_width() - 2.48414).abs() < 1e-4, "{e:?}");
    }

    #[test]
    fn running_moments_match_the_two_pass_formulas() {
        // A large offset, where Σx² − n·mean² would lose every digit.
        let v: Vec<f64> = (0..1000).map(|i| 1e9 + (i % 7) as f64).collect();
        let mut m = Moments::default();
        v.iter().for_each(|&x| m.push(x));
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert_eq!(m.mean(), mean);
        // The variance is the offset-free one of i % 7, exact in small integers.
        let small: Vec<f64> = (0..1000).map(|i| (i % 7) as f64).collect();
        let sm = small.iter().sum::<f64>() / 1000.0;
        let var = small.iter().map(|x| (x - sm).powi(2)).sum::<f64>() / 999.0;
        assert!(
            (m.variance() / var - 1.0).abs() < 1e-6,
            "{} {var}",
            m.variance()
        );
        let naive = (v.iter().map(|x| x * x).sum::<f64>() - 1000.0 * mean * mean) / 999.0;
        assert!(
            (naive / var - 1.0).abs() > 1e-3,
            "the naive formula held: {naive}"
        );
        // A missing figure drops the moments for good.
        let mut o = Some(Moments::default());
        push_opt(&mut o, Some(1.0));
        push_opt(&mut o, None);
        push_opt(&mut o, Some(2.0));
        assert_eq!(o, None);
    }

    #[test]
    fn the_bootstrap_interval_is_sqrt_n_times_wider() {
        let v = [1.0, 2.0, 3.0, 4.0];
        let r = estimate(&v);
        let b = bootstrap_estimate(&v);
        assert_eq!(r.mean, b.mean);
        assert!((b.half_width() / r.half_width() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn binormal_mu_inverts_auc() {
        assert_eq!(binormal_mu(0.5), 0.0);
        // AUC = Φ(mu/√2).
        let mu = binormal_mu(0.85);
        let back = Normal::standard().cdf(mu / std::f64::consts::SQRT_2);
        assert!((back - 0.85).abs() < 1e-9, "{back}");
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
    }
}
