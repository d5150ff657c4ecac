//! Targets and verdicts: whether a policy (a `run`'s, or a sweep's setting)
//! meets the scenario's `[targets]`, judged on confidence intervals, and which
//! swept value is the cheapest that does. `run` and `sweep` share this one
//! judgement ([`Verdict::of`]).
//!
//! A target is *cleared* when the whole 95% interval is on the right side of it
//! (quality: `ci_low ≥ target`; p95 latency: `ci_high ≤ target`), *missed* when the
//! whole interval is on the wrong side, and *straddled* otherwise: the simulation
//! cannot tell, and says so rather than round the mean. Scenario-wide targets
//! are judged on the policy's figures over all its traffic (p95: all its
//! interactive requests); a `[targets.CLASS]` target on that class's own
//! figures. A policy meets the targets only where every one of them is cleared.

use serde::Serialize;

use crate::engine::results::PolicyResult;
use crate::numfmt::{count, round_sig, show};
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

/// Where a policy stands against all the targets together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every target cleared with its whole CI.
    Meets,
    /// Some target missed, or its figure does not exist.
    Misses,
    /// None missed, but some CI straddles its target: the run cannot tell.
    NotProven,
    /// The scenario sets no target.
    NoTargets,
}

/// What a target bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Minimum quality, a fraction.
    Quality,
    /// Maximum p95 of end-to-end latency, ms.
    P95LatencyMs,
}

impl TargetKind {
    /// The key of the target in `[targets]`.
    pub fn key(self) -> &'static str {
        match self {
            TargetKind::Quality => "quality",
            TargetKind::P95LatencyMs => "p95_latency_ms",
        }
    }

    /// The short word in tables.
    fn word(self) -> &'static str {
        match self {
            TargetKind::Quality => "quality",
            TargetKind::P95LatencyMs => "p95",
        }
    }
}

/// One target, checked against the figure it bounds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetCheck {
    /// Which target: `quality` or `p95_latency_ms`.
    pub target: TargetKind,
    /// The class whose own target this is (`[targets.CLASS]`); `null` for a
    /// scenario-wide target.
    pub class: Option<String>,
    /// The target's value: a fraction for quality, ms for p95 latency.
    pub limit: f64,
    /// The figure judged (mean and CI); `null` where it does not exist.
    pub figure: Option<Estimate>,
    pub check: Check,
    /// How far the figure's mean is on the wrong side of the target: for p95,
    /// `mean / limit − 1` (0.34 = 34% over); for quality, `limit − mean` (a
    /// fraction: 0.0003 = 0.03 points short). Negative where the mean is on the
    /// right side; `null` where the figure does not exist.
    pub excess: Option<f64>,
    /// Why the figure does not exist, where it does not.
    #[serde(skip)]
    why_unknown: &'static str,
}

impl TargetCheck {
    /// `quality`, `p95`, `quality (chat)`, `p95 (chat)`.
    pub fn name(&self) -> String {
        match &self.class {
            Some(c) => format!("{} ({c})", self.target.word()),
            None => self.target.word().to_string(),
        }
    }

    /// The target's key path: `quality`, `p95_latency_ms`, `chat.p95_latency_ms`.
    pub fn key(&self) -> String {
        match &self.class {
            Some(c) => format!("{c}.{}", self.target.key()),
            None => self.target.key().to_string(),
        }
    }

    fn value(&self, v: f64) -> String {
        match self.target {
            TargetKind::Quality => format!("{:.2}%", v * 100.0),
            TargetKind::P95LatencyMs => format!("{} ms", count(v)),
        }
    }

    fn limit_text(&self) -> String {
        match self.target {
            TargetKind::Quality => format!("{}%", show(round_sig(self.limit * 100.0, 12))),
            TargetKind::P95LatencyMs => format!("{} ms", count(self.limit)),
        }
    }

    /// The check in words, with the figures: `p95 (chat): 8,040 ms vs 6,000 ms
    /// target, +34%`; `quality: 96.01% [95.98%, 96.04%] straddles the 96% target`.
    pub fn describe(&self) -> String {
        let Some(e) = &self.figure else {
            return format!("{}: {}", self.name(), self.why_unknown);
        };
        match self.check {
            Check::Straddles => format!(
                "{}: {} [{}, {}] straddles the {} target",
                self.name(),
                self.value(e.mean),
                self.value(e.ci_low),
                self.value(e.ci_high),
                self.limit_text()
            ),
            _ => {
                let by = match self.target {
                    TargetKind::Quality => {
                        format!("{:+.2} pts", (e.mean - self.limit) * 100.0)
                    }
                    TargetKind::P95LatencyMs => {
                        format!("{:+.0}%", (e.mean / self.limit - 1.0) * 100.0)
                    }
                };
                format!(
                    "{}: {} vs {} target, {by}",
                    self.name(),
                    self.value(e.mean),
                    self.limit_text()
                )
            }
        }
    }
}

/// A policy's standing against the targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The scenario-wide quality target's check; `null` where none is set.
    pub quality: Option<Check>,
    /// The scenario-wide p95 target's check; `null` where none is set.
    pub p95_latency: Option<Check>,
    /// All the targets together.
    pub status: Status,
    /// The verdict in words: `meets targets`, `misses p95 (chat): 8,040 ms vs
    /// 6,000 ms target, +34%`, `not proven: quality: ... straddles ...`.
    pub summary: String,
    /// Every target, scenario-wide first, then by class in `[[traffic]]` order.
    pub checks: Vec<TargetCheck>,
}

impl Verdict {
    /// Checks a policy's figures against `targets`: the scenario-wide ones on
    /// its pooled figures, each class's own on the class's figures.
    pub fn of(p: &PolicyResult, targets: &Targets) -> Verdict {
        let quality = |class: Option<String>, limit: f64, figure: Option<Estimate>| {
            let check = figure.map_or(Check::Unknown, |e| at_least(&e, limit));
            TargetCheck {
                target: TargetKind::Quality,
                class,
                limit,
                figure,
                check,
                excess: figure.map(|e| limit - e.mean),
                why_unknown: "not measured: some replication drew no request of the class",
            }
        };
        let latency = |class: Option<String>,
                       limit: f64,
                       figure: Option<Estimate>,
                       why_unknown: &'static str| {
            let check = figure.map_or(Check::Unknown, |e| at_most(&e, limit));
            TargetCheck {
                target: TargetKind::P95LatencyMs,
                class,
                limit,
                figure,
                check,
                excess: figure.map(|e| e.mean / limit - 1.0),
                why_unknown,
            }
        };
        let mut checks = Vec::new();
        if let Some(t) = targets.quality {
            checks.push(quality(None, t, Some(p.quality)));
        }
        if let Some(t) = targets.p95_latency_ms {
            checks.push(latency(
                None,
                t,
                p.e2e_latency_ms.map(|l| l.p95),
                "no interactive request under this policy",
            ));
        }
        for ct in &targets.classes {
            let c = &p.classes[ct.index];
            if let Some(t) = ct.quality {
                checks.push(quality(Some(ct.class.clone()), t, c.quality));
            }
            if let Some(t) = ct.p95_latency_ms {
                let why = if c.mode == "batch" {
                    "no interactive latency: the class runs on batch under this policy"
                } else {
                    "not measured: some replication drew no request of the class"
                };
                checks.push(latency(
                    Some(ct.class.clone()),
                    t,
                    c.e2e_latency_ms.map(|l| l.p95),
                    why,
                ));
            }
        }
        Verdict::from_checks(checks)
    }

    /// The verdict of these checks together.
    fn from_checks(checks: Vec<TargetCheck>) -> Verdict {
        let wide = |k: TargetKind| {
            checks
                .iter()
                .find(|c| c.class.is_none() && c.target == k)
                .map(|c| c.check)
        };
        let (q, l) = (wide(TargetKind::Quality), wide(TargetKind::P95LatencyMs));
        let failing: Vec<&TargetCheck> = checks
            .iter()
            .filter(|c| matches!(c.check, Check::Misses | Check::Unknown))
            .collect();
        let straddling: Vec<&TargetCheck> = checks
            .iter()
            .filter(|c| c.check == Check::Straddles)
            .collect();
        let list = |v: &[&TargetCheck]| {
            v.iter()
                .map(|c| c.describe())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let (status, summary) = if checks.is_empty() {
            (Status::NoTargets, "no targets".to_string())
        } else if !failing.is_empty() {
            let mut s = format!("misses {}", list(&failing));
            if !straddling.is_empty() {
                s.push_str(&format!("; not proven: {}", list(&straddling)));
            }
            (Status::Misses, s)
        } else if !straddling.is_empty() {
            (
                Status::NotProven,
                format!("not proven: {}", list(&straddling)),
            )
        } else {
            (Status::Meets, "meets targets".to_string())
        };
        Verdict {
            quality: q,
            p95_latency: l,
            status,
            summary,
            checks,
        }
    }

    /// Every target cleared with its CI.
    pub fn clears(&self) -> bool {
        self.checks.iter().all(|c| c.check == Check::Clears)
    }

    /// Every target met by the mean but some only straddled.
    pub fn straddles(&self) -> bool {
        !self.clears()
            && self
                .checks
                .iter()
                .all(|c| matches!(c.check, Check::Clears | Check::Straddles))
    }

    /// The keys of the targets not cleared (`quality`, `chat.p95_latency_ms`).
    pub fn not_cleared(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c.check != Check::Clears)
            .map(TargetCheck::key)
            .collect()
    }

    /// The names of the targets whose check is `want`.
    pub fn named(&self, want: Check) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c.check == want)
            .map(TargetCheck::name)
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
    /// The targets that stop any point from being recommended, when none is:
    /// `quality`, `p95_latency_ms`, `CLASS.quality`, `CLASS.p95_latency_ms`.
    pub binding: Vec<String>,
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
            message: "no [targets] in the scenario: set targets.quality and/or targets.p95_latency_ms (or a class's, [targets.CLASS]) to get a recommendation".into(),
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
            let mut binding: Vec<String> = Vec::new();
            for (i, check) in verdicts
                .first()
                .map_or(&[][..], |v| &v.checks)
                .iter()
                .enumerate()
            {
                let someone_clears = verdicts
                    .iter()
                    .any(|v| v.checks.get(i).is_some_and(|c| c.check == Check::Clears));
                if !someone_clears {
                    binding.push(check.key());
                }
            }
            let why = if binding.is_empty() {
                let n = verdicts.first().map_or(0, |v| v.checks.len());
                format!(
                    "each target is cleared by some setting, but never {} by the same one",
                    if n == 2 { "both" } else { "all" }
                )
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

    fn e(mean: f64, half: f64) -> Estimate {
        Estimate {
            mean,
            ci_low: mean - half,
            ci_high: mean + half,
        }
    }

    /// A check of `target` (of `class`) at `limit` against `figure`.
    fn check(
        target: TargetKind,
        class: Option<&str>,
        limit: f64,
        figure: Option<Estimate>,
    ) -> TargetCheck {
        let c = figure.map_or(Check::Unknown, |f| match target {
            TargetKind::Quality => at_least(&f, limit),
            TargetKind::P95LatencyMs => at_most(&f, limit),
        });
        TargetCheck {
            target,
            class: class.map(String::from),
            limit,
            figure,
            check: c,
            excess: None,
            why_unknown: "not measured",
        }
    }

    /// A verdict on the scenario-wide quality target alone.
    fn v(c: Check) -> Verdict {
        let figure = match c {
            Check::Clears => e(0.95, 0.01),
            Check::Straddles => e(0.90, 0.01),
            Check::Misses => e(0.85, 0.01),
            Check::Unknown => unreachable!(),
        };
        Verdict::from_checks(vec![check(TargetKind::Quality, None, 0.9, Some(figure))])
    }

    fn both(q: Check, l: Check) -> Verdict {
        let mut out = v(q);
        let figure = match l {
            Check::Clears => e(900.0, 10.0),
            Check::Straddles => e(1000.0, 10.0),
            Check::Misses => e(1100.0, 10.0),
            Check::Unknown => unreachable!(),
        };
        out.checks
            .push(check(TargetKind::P95LatencyMs, None, 1000.0, Some(figure)));
        Verdict::from_checks(out.checks)
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
    fn a_verdict_says_what_is_missed_and_by_how_much() {
        // p95 of chat 8,040 ± 40 ms against 6,000 ms: 8,040 / 6,000 − 1 = +34%.
        let miss = check(
            TargetKind::P95LatencyMs,
            Some("chat"),
            6000.0,
            Some(e(8040.0, 40.0)),
        );
        assert_eq!(miss.check, Check::Misses);
        assert_eq!(
            miss.describe(),
            "p95 (chat): 8,040 ms vs 6,000 ms target, +34%"
        );
        // Quality 95.97% ± 0.01 against 96%: 0.03 points short.
        let short = check(TargetKind::Quality, None, 0.96, Some(e(0.9597, 0.0001)));
        assert_eq!(short.describe(), "quality: 95.97% vs 96% target, -0.03 pts");
        // 96.01% ± 0.03 straddles 96%.
        let straddle = check(TargetKind::Quality, None, 0.96, Some(e(0.9601, 0.0003)));
        assert_eq!(straddle.check, Check::Straddles);
        assert_eq!(
            straddle.describe(),
            "quality: 96.01% [95.98%, 96.04%] straddles the 96% target"
        );
        let met = check(
            TargetKind::P95LatencyMs,
            None,
            7000.0,
            Some(e(5000.0, 10.0)),
        );
        assert_eq!(met.describe(), "p95: 5,000 ms vs 7,000 ms target, -29%");
        let v = Verdict::from_checks(vec![met.clone()]);
        assert_eq!(
            (v.status, v.summary.as_str()),
            (Status::Meets, "meets targets")
        );
        let v = Verdict::from_checks(vec![met.clone(), straddle.clone()]);
        assert_eq!(v.status, Status::NotProven);
        assert_eq!(
            v.summary,
            "not proven: quality: 96.01% [95.98%, 96.04%] straddles the 96% target"
        );
        // A miss of a class's own target fails the policy even where the
        // scenario-wide targets are met.
        let v = Verdict::from_checks(vec![met, straddle, miss]);
        assert_eq!(v.status, Status::Misses);
        assert_eq!(v.quality, Some(Check::Straddles));
        assert_eq!(v.p95_latency, Some(Check::Clears));
        assert_eq!(
            v.summary,
            "misses p95 (chat): 8,040 ms vs 6,000 ms target, +34%; not proven: quality: 96.01% [95.98%, 96.04%] straddles the 96% target"
        );
        assert_eq!(v.not_cleared(), vec!["quality", "chat.p95_latency_ms"]);
        // A figure that does not exist is not a pass.
        let none = check(TargetKind::P95LatencyMs, Some("summarize"), 9000.0, None);
        let v = Verdict::from_checks(vec![none]);
        assert_eq!(v.status, Status::Misses);
        assert_eq!(v.summary, "misses p95 (summarize): not measured");
        assert_eq!(Verdict::from_checks(vec![]).status, Status::NoTargets);
    }

    #[test]
    fn the_cheapest_clearing_point_is_recommended_and_cheaper_straddlers_named() {
        let t = Targets {
            quality: Some(0.9),
            ..Targets::default()
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
    fn a_class_target_missed_stops_the_recommendation() {
        let t = Targets {
            quality: Some(0.9),
            ..Targets::default()
        };
        let labels: Vec<String> = ["cheap", "dear"].map(String::from).to_vec();
        // Both clear the scenario-wide quality; the cheaper misses chat's p95.
        let with_chat = |p95: f64| {
            let mut out = v(Check::Clears);
            out.checks.push(check(
                TargetKind::P95LatencyMs,
                Some("chat"),
                6000.0,
                Some(e(p95, 10.0)),
            ));
            Verdict::from_checks(out.checks)
        };
        let verdicts = [with_chat(8040.0), with_chat(5000.0)];
        let r = recommend(&t, &[1.0, 2.0], &verdicts, &labels, 0);
        assert_eq!(r.point, Some(1));
        let verdicts = [with_chat(8040.0), with_chat(7000.0)];
        let r = recommend(&t, &[1.0, 2.0], &verdicts, &labels, 0);
        assert_eq!(r.point, None);
        assert_eq!(r.binding, vec!["chat.p95_latency_ms"]);
        assert!(
            r.message
                .starts_with("no setting meets the targets: no setting clears chat.p95_latency_ms"),
            "{}",
            r.message
        );
    }

    #[test]
    fn without_a_clearing_point_the_binding_target_is_named() {
        let t = Targets {
            quality: Some(0.9),
            p95_latency_ms: Some(1000.0),
            ..Targets::default()
        };
        let labels: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let verdicts = [
            both(Check::Misses, Check::Clears),
            both(Check::Straddles, Check::Clears),
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
            both(Check::Misses, Check::Clears),
            both(Check::Clears, Check::Misses),
        ];
        let r = recommend(&t, &[1.0, 2.0], &verdicts, &labels, 0);
        assert_eq!(r.binding, Vec::<String>::new());
        assert!(r.message.contains("never both"), "{}", r.message);
    }
}
