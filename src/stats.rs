//! Confidence intervals across replications.
//!
//! Each replication is an independent simulation (its own random streams), so a
//! figure's per-replication values are i.i.d. The 95% interval is Student's t:
//! `mean ± t(0.975, n−1) · s / √n`, with `s` the sample standard deviation
//! (Bessel-corrected). Latency percentiles are computed within each replication
//! and then treated the same way, as the issue specifies. That interval is for
//! the mean of the per-replication percentiles, whose estimator (nearest rank)
//! is biased by O(1/requests): `E[X₍ᵣ₎] ≈ Q(r/(n+1)) + r(n+1−r)/(2(n+1)²(n+2))·Q''`
//! (David & Nagaraja, *Order Statistics*, 3rd ed., 2003, §4.6), which more
//! replications do not shrink. At 2,000 requests × 10 replications this is a
//! third of p99's standard error and p99 covers 93% (benches/coverage.py); at
//! 20,000 requests, 94–95%.
//!
//! With an eval set, each replication also resamples the eval's examples
//! (bootstrap), so the spread of the replications is the eval's own sampling
//! error, which does not shrink with more replications. The interval is then the
//! normal-approximation bootstrap interval `mean ± t(0.975, n−1) · s` (Efron &
//! Tibshirani, *An Introduction to the Bootstrap*, 1993, §13.3): the bootstrap
//! standard error is `s` itself, not `s / √n`. For a pass rate p on n examples it
//! is as wide as the binomial (Wald) interval `p ± 1.96 · √(p(1−p)/n)`.
//!
//! That is also its flaw for a rate (quality, escalation: a share of requests,
//! in [0, 1]): the Wald interval under-covers for the eval sizes teams have,
//! erratically and worst where the rate is near 0 or 1, because its width is
//! computed at the estimate itself, which is too narrow exactly when the estimate
//! has wandered towards the nearer end (Brown, Cai & DasGupta, "Interval
//! estimation for a binomial proportion", *Statistical Science* 16(2), 2001,
//! 101–133). benches/coverage.py measured it: on 40-example evals redrawn from a
//! known population, the bootstrap intervals of quality and escalation covered
//! 88–93.5% of the population's values, not 95% (10,000 seeds); Wilson's below
//! covers 94.6–95.6%. So with an eval set a rate gets the Wilson score interval
//! instead ([`bootstrap_rate`]; Wilson, "Probable inference, the law of
//! succession, and statistical inference", *JASA* 22, 1927, 209–212), the one
//! Brown et al. recommend for small n: the set of rates p with
//! `|p̂ − p| ≤ z · √(p(1−p)/n_eff)`, its width taken at each candidate p rather
//! than at p̂. The number of examples is the *effective* one the bootstrap
//! implies, `n_eff = p̂(1−p̂) / s²` with `s²` the variance of the replications
//! (Korn & Graubard, "Confidence intervals for proportions with small expected
//! number of positive counts estimated from survey data", *Survey Methodology*
//! 24(2), 1998, 193–201): for one class's pass rate it is the eval's n, and it
//! holds for what is not a plain pass rate (several classes weighted by share,
//! a cascade's escalation, the request-level noise). `z` is the same t(0.975,
//! n−1) as the other intervals. The interval stays in [0, 1], contains p̂ and is
//! asymmetric: shifted towards 1/2. Costs, savings and latencies keep
//! `mean ± t · s`, and so the Wald skew where they follow a rate: the cost of the
//! benchmark's eval cascade, linear in its escalation, covers 93.5%. Curing that
//! takes a second-order interval (BCa: Efron, *JASA* 82, 1987, 171–185), which
//! needs the un-resampled estimate and a jackknife over the examples.

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
    /// Uncertain inputs, drawn once per replication (second-order Monte
    /// Carlo, [`crate::uncertain`]): the 2.5% and 97.5% quantiles of the
    /// replications' values, from a bounded sample of them
    /// ([`crate::uncertain::sample`]). From moments alone (a figure that keeps
    /// no sample) it is approximated by `mean ± t · s`, the spread of the
    /// replications themselves, as the bootstrap's.
    Percentile,
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
            Interval::Bootstrap | Interval::Percentile => m.variance().sqrt(),
        };
        let half = t_975((m.n - 1) as u32) * se;
        Estimate {
            mean,
            ci_low: mean - half,
            ci_high: mean + half,
        }
    }

    /// The estimate of a rate: `values` are shares in [0, 1] (quality,
    /// escalation). The eval bootstrap's is the Wilson interval of
    /// [`bootstrap_rate`]; the replications' is Student t, as for any figure.
    pub fn estimate_rate(self, values: &[f64]) -> Estimate {
        let mut m = Moments::default();
        values.iter().for_each(|&v| m.push(v));
        self.rate_of(&m)
    }

    /// [`Interval::estimate_rate`] from a rate's running moments.
    pub fn rate_of(self, m: &Moments) -> Estimate {
        match self {
            Interval::Replications | Interval::Percentile => self.of(m),
            Interval::Bootstrap => {
                assert!(m.n >= 2, "an interval needs at least two replications");
                bootstrap_rate(m.mean(), m.variance(), m.n as usize)
            }
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

/// The eval bootstrap's 95% interval of a rate (a share in [0, 1]) from its `n`
/// bootstrap replications' mean and sample variance: the Wilson score interval
/// at the effective number of examples `n_eff = mean·(1 − mean) / var`, with
/// `z = t(0.975, n − 1)`:
///
/// `(p + z²/2n_eff ± z · √(p(1−p)/n_eff + z²/4n_eff²)) / (1 + z²/n_eff)`
///
/// (module header). Without spread (`var` = 0, e.g. every example passed) the
/// interval is the mean alone, as the normal bootstrap's is.
pub fn bootstrap_rate(mean: f64, var: f64, n: usize) -> Estimate {
    let z = t_975((n - 1) as u32);
    let p = mean.clamp(0.0, 1.0);
    let pq = p * (1.0 - p);
    if var <= 0.0 || pq <= 0.0 {
        // No spread, or (impossible for shares) spread around 0 or 1: the normal
        // bootstrap interval, which is then the mean alone.
        let half = z * var.max(0.0).sqrt();
        return Estimate {
            mean,
            ci_low: mean - half,
            ci_high: mean + half,
        };
    }
    let n_eff = pq / var;
    let k = z * z / n_eff;
    let center = (p + k / 2.0) / (1.0 + k);
    let half = z / (1.0 + k) * (var + k / (4.0 * n_eff)).sqrt();
    Estimate {
        mean,
        // The interval holds p̂ in exact arithmetic; the clamps keep rounding from
        // putting the mean a hair outside it.
        ci_low: (center - half).clamp(0.0, p).min(mean),
        ci_high: (center + half).clamp(p, 1.0).max(mean),
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
    fn bootstrap_rate_is_the_wilson_interval_at_the_effective_examples() {
        // Five replications 0.8, 0.9, 0.85, 0.95, 0.75: mean 0.85, s² = 0.025/4 =
        // 0.00625, n_eff = 0.85·0.15/0.00625 = 20.4; z = t(0.975, 4) = 2.776445,
        // z²/n_eff = 0.377875. Centre (0.85 + 0.188938)/1.377875 = 0.754014; half
        // 2.776445/1.377875 · √(0.00625 + 7.708647/(4·20.4²)) = 0.210189:
        // [0.543825, 0.964203], where the normal bootstrap gives 0.85 ± 0.2195 =
        // [0.6305, 1.0695], past 100%.
        let values = [0.8, 0.9, 0.85, 0.95, 0.75];
        let e = Interval::Bootstrap.estimate_rate(&values);
        assert!((e.mean - 0.85).abs() < 1e-12, "{e:?}");
        assert!((e.ci_low - 0.543825).abs() < 1e-5, "{e:?}");
        assert!((e.ci_high - 0.964203).abs() < 1e-5, "{e:?}");
        let normal = Interval::Bootstrap.estimate(&values);
        assert!((normal.ci_high - 1.069497).abs() < 1e-5, "{normal:?}");
        // Without an eval set a rate is a figure like any other.
        assert_eq!(
            Interval::Replications.estimate_rate(&values),
            estimate(&values)
        );
    }

    #[test]
    fn bootstrap_rate_of_a_40_example_pass_rate() {
        // 34 of 40 passed, 200 replications: s² = 0.85·0.15/40, so n_eff = 40 and
        // the interval is Wilson's for 34/40 at z = t(0.975, 199) = 1.971957:
        // [0.708272, 0.929707] (Wald: 0.85 ± 0.1107).
        let e = bootstrap_rate(0.85, 0.85 * 0.15 / 40.0, 200);
        assert!((e.ci_low - 0.708272).abs() < 1e-5, "{e:?}");
        assert!((e.ci_high - 0.929707).abs() < 1e-5, "{e:?}");
    }

    #[test]
    fn bootstrap_rate_without_spread_is_the_mean() {
        // Every example passed: no spread, no interval (the rule-of-three warning
        // says what that hides).
        let e = Interval::Bootstrap.estimate_rate(&[1.0, 1.0, 1.0]);
        assert_eq!((e.mean, e.ci_low, e.ci_high), (1.0, 1.0, 1.0));
        let e = bootstrap_rate(0.0, 0.0, 10);
        assert_eq!((e.mean, e.ci_low, e.ci_high), (0.0, 0.0, 0.0));
        // A tiny spread: the interval still holds the mean and stays in [0, 1].
        let e = bootstrap_rate(0.999, 1e-8, 50);
        assert!(
            e.ci_low <= e.mean && e.mean <= e.ci_high && e.ci_high <= 1.0,
            "{e:?}"
        );
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
