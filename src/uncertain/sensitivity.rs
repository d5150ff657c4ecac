//! `simroute sensitivity`: which uncertain input to measure first.
//!
//! **Swings (one at a time).** For k uncertain inputs, 2k + 1 settings: every
//! input at its midpoint, and each input at its low and at its high end with the
//! others at their midpoints. Every setting is simulated on the same request
//! streams (seed, r, chunk) as the others, replication by replication in
//! lockstep, so a swing, the figure at the high end minus the figure at the low
//! end, is paired: the requests' noise is common to both ends and cancels
//! (common random numbers; its 95% CI is Student t over the replications'
//! paired differences). Inputs are ranked by the swing of one headline figure
//! (the saving against the baseline unless told otherwise): the tornado
//! diagram of decision analysis (Howard, *Management Science* 34, 1988;
//! Eschenbach, "Spiderplots versus tornado diagrams for sensitivity analysis",
//! *Interfaces* 22(6), 1992). A swing is local to the other inputs' midpoints:
//! it misses interactions, which the variance shares below bound.
//!
//! **Sharing draws.** A setting whose engine makes the same random draws as the
//! all-midpoints one (it differs in skills, confidence AUCs, cache hit rates,
//! prices or policy keys: [`crate::engine::Engine::rides_on`]) rides on that
//! pass: each request is drawn once and re-derived for the setting from the
//! same uniforms and normals, which gives the figures of a pass of its own to
//! the byte. Other settings (token counts, latency profiles, difficulty,
//! shares) get their own pass on the same streams. Only the reported policy and
//! the baseline are routed.
//!
//! **Variance shares (all at once).** A second-order run (every input drawn in
//! every replication, [`super::run`]) regresses each headline figure on the
//! inputs drawn; the share of the figure's variance that input i explains is
//! its squared standardised regression coefficient, `SRC_i² = (b_i · s_xi /
//! s_y)²` (Saltelli et al., *Global Sensitivity Analysis: The Primer*, Wiley,
//! 2008, §1.2.5). The inputs are drawn independently, so the SRC² sum to the
//! regression's R², and each is a first-order (Sobol) index where the figure is
//! near-linear in the inputs. R² is reported beside them: where it is well
//! below 1, the figure is not linear in the inputs, they interact, or the
//! simulation's own noise is a large part of the spread, and the shares
//! explain only R² of the variance. The regression is accumulated in running
//! co-moments (Welford's update generalised to cross-products: Pébay, "Formulas
//! for robust, one-pass parallel computation of covariances and arbitrary-order
//! statistical moments", Sandia SAND2008-6212), so memory is constant in
//! replications.

use serde::Serialize;

use super::Uncertainty;
use crate::engine::Engine;
use crate::engine::accounting::{PolicyAcc, RepFigures};
use crate::engine::results::ScenarioInfo;
use crate::input::UsageError;
use crate::scenario::Scenario;
use crate::stats::{Estimate, Interval, Moments};

/// The headline figures, in the order of every array below.
pub const FIGURES: [Figure; 4] = [Figure::Cost, Figure::Quality, Figure::P95, Figure::Saving];

/// A headline figure of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Cost per request, USD.
    Cost,
    /// Delivered quality, a fraction.
    Quality,
    /// Interactive end-to-end p95 latency, ms.
    P95,
    /// Saving against the baseline, a fraction.
    Saving,
}

impl Figure {
    /// Its index in [`FIGURES`].
    pub fn index(self) -> usize {
        FIGURES.iter().position(|f| *f == self).expect("listed")
    }

    /// The figure's name in a sentence.
    pub fn name(self) -> &'static str {
        match self {
            Figure::Cost => "cost per request",
            Figure::Quality => "quality",
            Figure::P95 => "p95 latency",
            Figure::Saving => "saving",
        }
    }

    /// The JSON and CSV name.
    pub fn key(self) -> &'static str {
        match self {
            Figure::Cost => "cost_per_request",
            Figure::Quality => "quality",
            Figure::P95 => "e2e_latency_ms_p95",
            Figure::Saving => "saving_vs_baseline",
        }
    }

    /// A value of the figure, for people.
    pub fn show(self, v: f64) -> String {
        match self {
            Figure::Cost => crate::report::format::usd_value(v),
            Figure::Quality | Figure::Saving => {
                let d = if (v * 100.0).abs() < 10.0 { 2 } else { 1 };
                format!("{:.*}%", d, v * 100.0)
            }
            Figure::P95 => format!("{} ms", crate::numfmt::count(v.round())),
        }
    }

    /// A swing and its CI's half-width, for people: `-$0.000426 ± 0.000004`,
    /// `+3.30 pts ± 0.03`, `-1,494 ms ± 24`; a cost to the decimals of `level`
    /// (the figure's own size).
    pub fn show_swing(self, d: f64, half: f64, level: f64) -> String {
        let sign = if d < 0.0 { "-" } else { "+" };
        match self {
            Figure::Cost => {
                let places = if level == 0.0 || !level.is_finite() {
                    2
                } else {
                    (3 - level.abs().log10().floor() as i64).clamp(2, 9) as usize
                };
                format!("{sign}${:.places$} \u{b1} {half:.places$}", d.abs())
            }
            Figure::Quality | Figure::Saving => {
                format!(
                    "{sign}{:.2} pts \u{b1} {:.2}",
                    d.abs() * 100.0,
                    half * 100.0
                )
            }
            Figure::P95 => format!(
                "{sign}{} ms \u{b1} {}",
                crate::numfmt::count(d.abs().round()),
                crate::numfmt::count(half.round())
            ),
        }
    }
}

/// The headline figures of policy `p` in one replication; `None` where one does
/// not exist (no interactive traffic; a baseline that cost nothing).
fn headline(figures: &[RepFigures], p: usize, baseline: usize) -> [Option<f64>; 4] {
    let r = &figures[p];
    let base = figures[baseline].cost;
    [
        Some(r.cost),
        Some(r.quality),
        r.e2e.map(|e| e[1]),
        (base > 0.0).then(|| 1.0 - r.cost / base),
    ]
}

/// Running co-moments of the inputs drawn and the headline figures of every
/// policy, for the regression of each figure on the inputs.
#[derive(Debug, Clone)]
pub struct Regression {
    k: usize,
    /// Figures: 4 per policy.
    f: usize,
    n: u64,
    mean_x: Vec<f64>,
    mean_y: Vec<f64>,
    /// Co-moments Σ(x_i − x̄_i)(x_j − x̄_j), k × k.
    cxx: Vec<f64>,
    /// Σ(x_i − x̄_i)(y_f − ȳ_f), k × f.
    cxy: Vec<f64>,
    /// Σ(y_f − ȳ_f)².
    cyy: Vec<f64>,
    /// Whether every replication had the figure.
    valid: Vec<bool>,
}

/// One figure's regression on the inputs.
#[derive(Debug, Clone, Serialize)]
pub struct Shares {
    /// SRC² of each input, in the order of the inputs: its share of the
    /// figure's variance (first order, where the figure is near-linear).
    pub shares: Vec<f64>,
    /// The regression's R²: the share of the variance the inputs explain
    /// linearly (the sum of the shares).
    pub r_squared: f64,
}

impl Regression {
    pub fn new(inputs: usize, policies: usize) -> Regression {
        let f = 4 * policies;
        Regression {
            k: inputs,
            f,
            n: 0,
            mean_x: vec![0.0; inputs],
            mean_y: vec![0.0; f],
            cxx: vec![0.0; inputs * inputs],
            cxy: vec![0.0; inputs * f],
            cyy: vec![0.0; f],
            valid: vec![true; f],
        }
    }

    /// Adds one replication: the inputs drawn and every policy's figures.
    #[allow(clippy::needless_range_loop)]
    pub fn push(&mut self, x: &[f64], figures: &[RepFigures], baseline: usize) {
        let y: Vec<f64> = (0..figures.len())
            .flat_map(|p| headline(figures, p, baseline))
            .enumerate()
            .map(|(i, v)| {
                if v.is_none() {
                    self.valid[i] = false;
                }
                v.unwrap_or(0.0)
            })
            .collect();
        self.n += 1;
        let n = self.n as f64;
        let dx: Vec<f64> = x.iter().zip(&self.mean_x).map(|(a, m)| a - m).collect();
        let dy: Vec<f64> = y.iter().zip(&self.mean_y).map(|(a, m)| a - m).collect();
        for (m, d) in self.mean_x.iter_mut().zip(&dx) {
            *m += d / n;
        }
        for (m, d) in self.mean_y.iter_mut().zip(&dy) {
            *m += d / n;
        }
        for i in 0..self.k {
            for j in 0..self.k {
                self.cxx[i * self.k + j] += dx[i] * (x[j] - self.mean_x[j]);
            }
            for g in 0..self.f {
                self.cxy[i * self.f + g] += dx[i] * (y[g] - self.mean_y[g]);
            }
        }
        for g in 0..self.f {
            self.cyy[g] += dy[g] * (y[g] - self.mean_y[g]);
        }
    }

    /// Replications pushed.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The regression of figure `fig` of policy `p` on the inputs; `None` where
    /// the figure is missing or has no spread, or with too few replications
    /// (at least k + 2).
    pub fn shares(&self, p: usize, fig: Figure) -> Option<Shares> {
        let g = 4 * p + fig.index();
        let syy = self.cyy[g];
        if !self.valid[g] || self.n < self.k as u64 + 2 || syy <= 0.0 {
            return None;
        }
        // Inputs with no spread (a range of one value) stay out of the solve.
        let live: Vec<usize> = (0..self.k)
            .filter(|&i| self.cxx[i * self.k + i] > 0.0)
            .collect();
        let m = live.len();
        let mut a: Vec<Vec<f64>> = live
            .iter()
            .map(|&i| {
                let mut row: Vec<f64> = live.iter().map(|&j| self.cxx[i * self.k + j]).collect();
                row.push(self.cxy[i * self.f + g]);
                row
            })
            .collect();
        let b = solve(&mut a, m)?;
        let mut shares = vec![0.0; self.k];
        let mut r2 = 0.0;
        for (t, &i) in live.iter().enumerate() {
            let src = b[t] * (self.cxx[i * self.k + i] / syy).sqrt();
            shares[i] = src * src;
            r2 += b[t] * self.cxy[i * self.f + g] / syy;
        }
        Some(Shares {
            shares,
            r_squared: r2.clamp(0.0, 1.0),
        })
    }
}

/// Solves the augmented m × (m + 1) system by Gaussian elimination with partial
/// pivoting; `None` where it is singular.
#[allow(clippy::needless_range_loop)]
fn solve(a: &mut [Vec<f64>], m: usize) -> Option<Vec<f64>> {
    for c in 0..m {
        let p = (c..m).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-300 {
            return None;
        }
        a.swap(c, p);
        for r in 0..m {
            if r != c {
                let f = a[r][c] / a[c][c];
                for k in c..=m {
                    a[r][k] -= f * a[c][k];
                }
            }
        }
    }
    Some((0..m).map(|i| a[i][m] / a[i][i]).collect())
}

/// One uncertain input's swing.
#[derive(Debug, Clone, Serialize)]
pub struct Swing {
    /// 1 for the input that moves the ranked figure most.
    pub rank: usize,
    /// The dotted key.
    pub key: String,
    /// The key in words.
    pub input: String,
    pub low: f64,
    pub high: f64,
    /// The figures with the input at its low end, the others at their midpoints
    /// (means over the replications, with their 95% CI of Monte Carlo noise);
    /// `null` where the figure does not exist. In the order of `figures`.
    pub at_low: Vec<Option<Estimate>>,
    /// The same with the input at its high end.
    pub at_high: Vec<Option<Estimate>>,
    /// At high minus at low, paired per replication: its 95% CI is Student t of
    /// the paired differences (common random numbers).
    pub swing: Vec<Option<Estimate>>,
    /// The input's share of each figure's variance (SRC²) in the second-order
    /// run; `null` where it cannot be estimated.
    pub variance_share: Vec<Option<f64>>,
}

/// Everything `simroute sensitivity` reports.
#[derive(Debug, Clone, Serialize)]
pub struct SensitivityResults {
    pub scenario: ScenarioInfo,
    /// The policy whose figures are reported.
    pub policy: String,
    /// The figures, in the order of every array: `cost_per_request`, `quality`,
    /// `e2e_latency_ms_p95`, `saving_vs_baseline`.
    pub figures: Vec<Figure>,
    /// The figure the inputs are ranked by.
    pub ranked_by: Figure,
    /// The figures with every input at its midpoint.
    pub at_mid: Vec<Option<Estimate>>,
    /// One entry per uncertain input, ranked.
    pub inputs: Vec<Swing>,
    /// R² of each figure's regression on the inputs (second-order run);
    /// `null` where it cannot be estimated.
    pub r_squared: Vec<Option<f64>>,
    /// The figures over the second-order run (every input drawn in every
    /// replication): mean and 95% percentile interval.
    pub overall: Vec<Option<Estimate>>,
    /// The sentence that says what to measure first.
    pub advice: String,
    /// Engine passes of each replication: settings routed together on one set
    /// of draws count once (`settings` when every setting is its own pass).
    pub passes: usize,
    /// Settings simulated: 2k + 1 for k inputs.
    pub settings: usize,
}

/// What to compute.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The policy; `None`: the file's last policy.
    pub policy: Option<String>,
    /// The figure to rank by; `None`: the saving (the cost, for the baseline).
    pub by: Option<Figure>,
    /// Whether settings that make the same draws ride on one engine pass
    /// (the default); `false` runs every setting as its own pass, on the same
    /// streams, with the same figures: for the benchmark.
    pub shared: bool,
}

/// The settings: all at midpoints, then each input low and high.
fn settings(u: &Uncertainty) -> Vec<Vec<f64>> {
    let mut out = vec![u.mids()];
    for (i, input) in u.inputs.iter().enumerate() {
        out.push(u.one_at(i, input.low));
        out.push(u.one_at(i, input.high));
    }
    out
}

/// The policy reported: `--policy`, else the file's last.
pub fn policy_index(s: &Scenario, spec: &Spec) -> Result<usize, UsageError> {
    match &spec.policy {
        None => Ok(s.policies.len() - 1),
        Some(name) => s
            .policies
            .iter()
            .position(|p| &p.name == name)
            .ok_or_else(|| {
                UsageError(format!(
                    "--policy: no policy is named \"{name}\" in {}{}",
                    s.path.display(),
                    crate::input::did_you_mean(name, s.policies.iter().map(|p| p.name.as_str()))
                ))
            }),
    }
}

/// The scenarios of every setting, validated.
pub fn prepare(
    s: &Scenario,
) -> Result<(std::sync::Arc<Uncertainty>, Vec<Scenario>), anyhow::Error> {
    let u = s.uncertainty.clone().ok_or_else(|| {
        UsageError(format!(
            "{}: no input is given as a range, so there is nothing to rank. Write a guessed number as a range, e.g. skill = {{ low = 0.70, high = 0.85 }} (scenarios/README.md §1)",
            s.path.display()
        ))
    })?;
    let variants = settings(&u)
        .iter()
        .map(|v| {
            u.variant(s, v)
                .map_err(|e| UsageError(format!("{}: {e}", u.say(v))))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((u, variants))
}

/// Runs the sensitivity analysis on the current thread pool: the 2k + 1
/// settings in lockstep, then the second-order run for the variance shares.
/// `progress` is called with requests simulated.
pub fn run(
    s: &Scenario,
    spec: &Spec,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SensitivityResults, anyhow::Error> {
    let p = policy_index(s, spec)?;
    let (u, variants) = prepare(s)?;
    // Only the policy and the baseline are routed: the others' figures are not
    // reported (the draws are still the whole scenario's).
    let keep: Vec<usize> = if p == s.baseline {
        vec![p]
    } else {
        vec![s.baseline, p]
    };
    let (kp, kb) = (keep.len() - 1, 0);
    let engines: Vec<Engine> = variants
        .iter()
        .map(|v| {
            let mut e = Engine::new(v);
            e.keep_policies(&keep);
            e
        })
        .collect();
    let k = u.inputs.len();
    // Per setting, per figure: moments; per input, per figure: paired swings.
    let mut at: Vec<[Option<Moments>; 4]> = vec![[Some(Moments::default()); 4]; engines.len()];
    let mut swings: Vec<[Option<Moments>; 4]> = vec![[Some(Moments::default()); 4]; k];
    // Settings whose draws are those of the all-midpoints setting (they differ
    // in skills, confidence AUCs, cache hit rates, prices or policy keys) ride
    // on its pass; the others (token counts, latency profiles, difficulty,
    // shares change which draws are made) get a pass of their own.
    let rides: Vec<bool> = engines
        .iter()
        .enumerate()
        .map(|(i, e)| i > 0 && spec.shared && e.rides_on(&engines[0]))
        .collect();
    let riders: Vec<&Engine> = engines
        .iter()
        .zip(&rides)
        .filter(|(_, r)| **r)
        .map(|(e, _)| e)
        .collect();
    let passes = engines.len() - riders.len();
    for rep in 0..s.replications {
        let mut heads = vec![[None; 4]; engines.len()];
        let head = |accs: &[PolicyAcc]| {
            let figures: Vec<RepFigures> = accs.iter().map(PolicyAcc::figures).collect();
            headline(&figures, kp, kb)
        };
        let mut shared = if riders.is_empty() {
            engines[0]
                .group(s.seed, rep..rep + 1, s.requests, progress)?
                .into_iter()
        } else {
            engines[0]
                .replication_with_riders(&riders, s.seed, rep, s.requests, progress)
                .into_iter()
        };
        heads[0] = head(&shared.next().expect("the base"));
        for (i, e) in engines.iter().enumerate().skip(1) {
            heads[i] = if rides[i] {
                head(&shared.next().expect("a rider"))
            } else {
                head(
                    &e.group(s.seed, rep..rep + 1, s.requests, progress)?
                        .pop()
                        .expect("one replication"),
                )
            };
        }
        for (m, h) in at.iter_mut().zip(&heads) {
            for (m, v) in m.iter_mut().zip(h) {
                crate::stats::push_opt(m, *v);
            }
        }
        for (i, sw) in swings.iter_mut().enumerate() {
            let (lo, hi) = (&heads[1 + 2 * i], &heads[2 + 2 * i]);
            for f in 0..4 {
                crate::stats::push_opt(&mut sw[f], hi[f].zip(lo[f]).map(|(h, l)| h - l));
            }
        }
    }
    let est = |m: &[Option<Moments>; 4]| -> Vec<Option<Estimate>> {
        m.iter()
            .map(|m| m.map(|m| Interval::Replications.of(&m)))
            .collect()
    };
    // The second-order run: every input drawn in every replication.
    let raw = super::run::simulate(s, &u, progress)?;
    let outer = raw.outer.as_ref().expect("a second-order run");
    let results = crate::engine::results::RunResults::new(s, &raw);
    let pr = &results.policies[p];
    let overall = vec![
        Some(pr.cost_per_request),
        Some(pr.quality),
        pr.e2e_latency_ms.map(|l| l.p95),
        pr.saving_vs_baseline,
    ];
    let shares: Vec<Option<Shares>> = FIGURES
        .iter()
        .map(|f| outer.regression.shares(p, *f))
        .collect();
    let is_baseline = p == s.baseline;
    let by = spec.by.unwrap_or(if is_baseline {
        Figure::Cost
    } else {
        Figure::Saving
    });
    let mut inputs: Vec<Swing> = u
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| Swing {
            rank: 0,
            key: input.key.clone(),
            input: input.words(),
            low: input.low,
            high: input.high,
            at_low: est(&at[1 + 2 * i]),
            at_high: est(&at[2 + 2 * i]),
            swing: est(&swings[i]),
            variance_share: shares
                .iter()
                .map(|s| s.as_ref().map(|s| s.shares[i]))
                .collect(),
        })
        .collect();
    let size = |w: &Swing| w.swing[by.index()].map_or(-1.0, |e| e.mean.abs());
    // Ranked by the size of the swing; ties (and missing figures) in file order.
    inputs.sort_by(|a, b| size(b).total_cmp(&size(a)));
    for (r, w) in inputs.iter_mut().enumerate() {
        w.rank = r + 1;
    }
    let advice = advice(&inputs, by, &s.policies[p].name);
    Ok(SensitivityResults {
        scenario: ScenarioInfo::new(s),
        policy: s.policies[p].name.clone(),
        figures: FIGURES.to_vec(),
        ranked_by: by,
        at_mid: est(&at[0]),
        inputs,
        r_squared: shares
            .iter()
            .map(|s| s.as_ref().map(|s| s.r_squared))
            .collect(),
        overall,
        advice,
        passes,
        settings: engines.len(),
    })
}

/// "measure micro's skill first: it moves the saving from 61.0% to 78.0%".
fn advice(inputs: &[Swing], by: Figure, policy: &str) -> String {
    let f = by.index();
    let Some(top) = inputs.first() else {
        return "no uncertain input".to_string();
    };
    let (Some(lo), Some(hi), Some(sw)) = (top.at_low[f], top.at_high[f], top.swing[f]) else {
        return format!(
            "policy \"{policy}\" has no {} to rank the inputs by",
            by.name()
        );
    };
    if sw.contains(0.0) {
        return format!(
            "no uncertain input moves the {} of policy \"{policy}\" beyond the simulation's noise: measure for other reasons, or run more requests",
            by.name()
        );
    }
    let next = inputs
        .get(1)
        .and_then(|n| n.swing[f].map(|s| (n, s)))
        .map(|(n, s)| {
            format!(
                "; next, {} ({} to {})",
                n.input,
                by.show(n.at_low[f].map_or(0.0, |e| e.mean)),
                by.show(n.at_low[f].map_or(0.0, |e| e.mean) + s.mean)
            )
        })
        .unwrap_or_default();
    format!(
        "measure {} first: it moves the {} of policy \"{policy}\" from {} to {} over its range {}..{}{next}",
        top.input,
        by.name(),
        by.show(lo.mean),
        by.show(hi.mean),
        crate::input::num(top.low),
        crate::input::num(top.high),
    )
}
