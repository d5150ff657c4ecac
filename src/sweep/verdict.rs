//! Targets and the recommendation: which swept value is the cheapest that clears
//! the scenario's `[targets]`, judged on confidence intervals.
//!
//! A target is *cleared* when the whole 95% interval is on the right side of it
//! (quality: `ci_low ≥ target`; p95 latency: `ci_high ≤ target`), *missed* when the
//! whole interval is on the wrong side, and *straddled* otherwise: the simulation
//! cannot tell, and says so rather than round the mean.

use serde::Serialize;

use crate::engine::results::PolicyResult;
use crate::scenario::Targets;
use crate::stats::Estimate;

/// How a figure stands against a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The whole CI is on the right side.
    Clears,
    /// The CI contains the target.
    Straddles,
    /// The whole CI is on the wrong side.
    Misses,
    /// The figure does not exist (no interactive traffic for a latency target).
    Unknown,
}

/// A point's standing against each target; `None` where no such target is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub quality: Option<Check>,
    pub p95_latency: Option<Check>,
}

impl Verdict {
    /// Checks a policy's figures against `targets`.
    pub fn of(p: &PolicyResult, targets: &Targets) -> Verdict {
        Verdict {
            quality: targets.quality.map(|t| at_least(&p.quality, t)),
            p95_latency: targets.p95_latency_ms.map(|t| {
                p.e2e_latency_ms
                    .as_ref()
                    .map_or(Check::Unknown, |l| at_most(&l.p95, t))
            }),
        }
    }

    fn checks(&self) -> impl Iterator<Item = (&'static str, Check)> {
        [
            ("quality", self.quality),
            ("p95_latency_ms", self.p95_latency),
        ]
        .into_iter()
        .filter_map(|(k, c)| c.map(|c| (k, c)))
    }

    /// Every target cleared with its CI.
    pub fn clears(&self) -> bool {
        self.checks().all(|(_, c)| c == Check::Clears)
    }

    /// Every target met by the mean but some only straddled.
    pub fn straddles(&self) -> bool {
        !self.clears()
            && self
                .checks()
                .all(|(_, c)| matches!(c, Check::Clears | Check::Straddles))
    }

    /// The targets not cleared.
    pub fn not_cleared(&self) -> Vec<&'static str> {
        self.checks()
            .filter(|(_, c)| *c != Check::Clears)
            .map(|(k, _)| k)
            .collect()
    }
}

fn at_least(e: &Estimate, t: f64) -> Check {
    if e.ci_low >= t {
        Check::Clears
    } else if e.ci_high < t {
        Check::Misses
    } else {
        Check::Straddles
    }
}

fn at_most(e: &Estimate, t: f64) -> Check {
    if e.ci_high <= t {
        Check::Clears
    } else if e.ci_low > t {
        Check::Misses
    } else {
        Check::Straddles
    }
}

/// The outcome of a sweep against its targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// Index of the recommended point: the cheapest (mean cost per request) whose
    /// CI clears every target. `None` when no point does or no target is set.
    pub point: Option<usize>,
    /// Cheaper points that meet the targets only within their CI.
    pub straddling: Vec<usize>,
    /// The targets that stop any point from being recommended, when none is.
    pub binding: Vec<&'static str>,
    /// One or two sentences for people.
    pub message: String,
}

/// Picks the cheapest point that clears every target. `costs` and `verdicts` are
/// per point; `labels` name the points in the message.
pub fn recommend(
    targets: &Targets,
    costs: &[f64],
    verdicts: &[Verdict],
    labels: &[String],
    eval_examples: usize,
) -> Recommendation {
    if targets.is_empty() {
        return Recommendation {
            point: None,
            straddling: vec![],
            binding: vec![],
            message: "no [targets] in the scenario: set targets.quality and/or targets.p95_latency_ms to get a recommendation".into(),
        };
    }
    let by_cost = |a: &usize, b: &usize| costs[*a].total_cmp(&costs[*b]).then(a.cmp(b));
    let point = (0..costs.len())
        .filter(|&i| verdicts[i].clears())
        .min_by(by_cost);
    let limit = point.map_or(f64::INFINITY, |p| costs[p]);
    let mut straddling: Vec<usize> = (0..costs.len())
        .filter(|&i| verdicts[i].straddles() && costs[i] < limit)
        .collect();
    straddling.sort_by(by_cost);
    let describe = |i: usize| {
        format!(
            "{} (CI straddles {})",
            labels[i],
            verdicts[i].not_cleared().join(" and ")
        )
    };
    let straddle_note = if straddling.is_empty() {
        String::new()
    } else {
        format!(
            "; cheaper but not proven: {} — {} would settle {}",
            straddling
                .iter()
                .map(|&i| describe(i))
                .collect::<Vec<_>>()
                .join(", "),
            if eval_examples > 0 {
                format!("more eval examples than the {eval_examples} the intervals rest on")
            } else {
                "more replications or requests".to_string()
            },
            if straddling.len() == 1 { "it" } else { "them" }
        )
    };
    match point {
        Some(p) => Recommendation {
            point: Some(p),
            straddling,
            binding: vec![],
            message: format!(
                "recommended: {}, the cheapest setting whose 95% CI clears every target{straddle_note}",
                labels[p]
            ),
        },
        None => {
            // A target binds when no point clears it on its own.
            let mut binding: Vec<&'static str> = Vec::new();
            for name in ["quality", "p95_latency_ms"] {
                let set = verdicts
                    .first()
                    .is_some_and(|v| v.checks().any(|(k, _)| k == name));
                let someone_clears = verdicts
                    .iter()
                    .any(|v| v.checks().any(|(k, c)| k == name && c == Check::Clears));
                if set && !someone_clears {
                    binding.push(name);
                }
            }
            let why = if binding.is_empty() {
                "each target is cleared by some setting, but never both by the same one".to_string()
            } else {
                format!("no setting clears {}", binding.join(" or "))
            };
            Recommendation {
                point: None,
                straddling,
                binding,
                message: format!("no setting meets the targets: {why}{straddle_note}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(quality: Check) -> Verdict {
        Verdict {
            quality: Some(quality),
            p95_latency: None,
        }
    }

    #[test]
    fn checks_use_the_whole_interval() {
        let e = Estimate {
            mean: 0.93,
            ci_low: 0.91,
            ci_high: 0.95,
        };
        assert_eq!(at_least(&e, 0.90), Check::Clears);
        assert_eq!(at_least(&e, 0.92), Check::Straddles);
        assert_eq!(at_least(&e, 0.96), Check::Misses);
        assert_eq!(at_most(&e, 0.96), Check::Clears);
        assert_eq!(at_most(&e, 0.92), Check::Straddles);
        assert_eq!(at_most(&e, 0.90), Check::Misses);
    }

    #[test]
    fn the_cheapest_clearing_point_is_recommended_and_cheaper_straddlers_named() {
        let t = Targets {
            quality: Some(0.9),
            p95_latency_ms: None,
        };
        let labels: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let costs = [1.0, 2.0, 3.0, 4.0];
        let verdicts = [
            v(Check::Misses),
            v(Check::Straddles),
            v(Check::Clears),
            v(Check::Clears),
        ];
        let r = recommend(&t, &costs, &verdicts, &labels, 0);
        assert_eq!(r.point, Some(2));
        assert_eq!(r.straddling, vec![1]);
        assert!(r.message.contains("recommended: c"), "{}", r.message);
        assert!(
            r.message.contains("b (CI straddles quality)"),
            "{}",
            r.message
        );
    }

    #[test]
    fn without_a_clearing_point_the_binding_target_is_named() {
        let t = Targets {
            quality: Some(0.9),
            p95_latency_ms: Some(1000.0),
        };
        let labels: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let verdicts = [
            Verdict {
                quality: Some(Check::Misses),
                p95_latency: Some(Check::Clears),
            },
            Verdict {
                quality: Some(Check::Straddles),
                p95_latency: Some(Check::Clears),
            },
        ];
        let r = recommend(&t, &[1.0, 2.0], &verdicts, &labels, 0);
        assert_eq!(r.point, None);
        assert_eq!(r.binding, vec!["quality"]);
        assert_eq!(r.straddling, vec![1]);
        assert!(
            r.message
                .starts_with("no setting meets the targets: no setting clears quality")
        );
        // Each target cleared somewhere, but not together.
        let verdicts = [
            Verdict {
                quality: Some(Check::Misses),
                p95_latency: Some(Check::Clears),
            },
            Verdict {
                quality: Some(Check::Clears),
                p95_latency: Some(Check::Misses),
            },
        ];
        let r = recommend(&t, &[1.0, 2.0], &verdicts, &labels, 0);
        assert_eq!(r.binding, Vec::<&str>::new());
        assert!(r.message.contains("never both"), "{}", r.message);
    }
}
