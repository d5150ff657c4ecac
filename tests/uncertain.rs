//! Uncertain inputs (ranges): second-order Monte Carlo against closed forms,
//! determinism, and bad ranges.

mod common;

use assert_cmd::Command;
use common::*;
use simroute::scenario::Scenario;

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// One cheap model `a` of uncertain skill U(0.4, 0.7) and AUC 0.5 in front of a
/// sure model `b` (skill 0.9), fixed difficulty 0.5, threshold 0.3. At AUC 0.5
/// the confidence says nothing, so 30% of requests escalate whatever `a`
/// answered, and the cascade's quality is, for a skill s,
/// `Q(s) = 0.7 · L(10 (s − 0.5)) + 0.3 · L(10 · 0.4)`, L the logistic: increasing
/// in s, so its quantiles are Q at the skill's quantiles.
fn one_uncertain_skill(requests: u64, replications: u32) -> String {
    format!(
        "{}[models.a]\nprice = \"small\"\nskill = {{ low = 0.4, high = 0.7 }}\nconfidence_auc = 0.5\n\n\
         [models.b]\nprice = \"large\"\nskill = 0.9\n\n\
         [[traffic]]\nname = \"x\"\nshare = 1\ninput_tokens = 100\noutput_tokens = 100\ndifficulty = 0.5\n\n\
         [[policy]]\nname = \"big\"\nroute = [\"b\"]\n\n\
         [[policy]]\nname = \"cascade\"\nroute = [\"a\", \"b\"]\nthreshold = 0.3\n",
        header(requests, replications)
    )
}

fn q(s: f64) -> f64 {
    0.7 * logistic(10.0 * (s - 0.5)) + 0.3 * logistic(4.0)
}

#[test]
fn the_quality_interval_is_the_closed_forms_quantiles_over_the_range() {
    // 1,000 replications of 20,000 requests. The interval's ends are the 2.5%
    // and 97.5% quantiles of the replications' qualities. Their error has two
    // parts: the sample quantile of 1,000 skills is off by √(p(1−p)/n) = 0.0049
    // of the range in probability, 0.0015 in skill, which Q' ≤ 1.75 turns into
    // at most 0.0026; and each replication's quality carries Monte Carlo noise of
    // √(q(1−q)/20,000) ≤ 0.0035. Four standard errors of both: 0.018.
    let r = simulate(&one_uncertain_skill(20_000, 1_000));
    let c = policy(&r, "cascade");
    let (lo, hi) = (q(0.4 + 0.025 * 0.3), q(0.4 + 0.975 * 0.3));
    let tol = 4.0 * (0.0026f64.powi(2) + 0.0035f64.powi(2)).sqrt();
    assert!(
        (c.quality.ci_low - lo).abs() < tol && (c.quality.ci_high - hi).abs() < tol,
        "quality interval [{}, {}], closed form [{lo}, {hi}] ± {tol}",
        c.quality.ci_low,
        c.quality.ci_high
    );
    // The mean is E[Q(s)], s ~ U(0.4, 0.7), by Simpson's rule on 1,000 panels;
    // its standard error over 1,000 replications is at most 0.12/√1000 = 0.004.
    let n = 1000;
    let h = 0.3 / n as f64;
    let integral: f64 = (0..=n)
        .map(|i| {
            let w = if i == 0 || i == n {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            w * q(0.4 + i as f64 * h)
        })
        .sum::<f64>()
        * h
        / 3.0;
    let mean = integral / 0.3;
    assert!(
        (c.quality.mean - mean).abs() < 0.012,
        "mean quality {} against {mean}",
        c.quality.mean
    );
    // Escalation does not depend on the skill at AUC 0.5: the threshold, up to
    // the requests' noise (√(0.21/20,000) = 0.0032 a replication).
    assert!((c.escalation_rate.mean - 0.3).abs() < 0.002);
    assert!(c.escalation_rate.ci_low > 0.3 - 0.01 && c.escalation_rate.ci_high < 0.3 + 0.01);
    // The sure model's quality does not move with a's skill.
    let big = policy(&r, "big");
    assert!(big.quality.ci_high - big.quality.ci_low < 0.01);
    assert_eq!(r.inputs.interval, simroute::stats::Interval::Percentile);
    assert_eq!(r.inputs.uncertain.len(), 1);
    assert_eq!(r.inputs.uncertain[0].key, "models.a.skill");
}

#[test]
fn more_replications_pin_the_ends_down_but_do_not_narrow_the_interval() {
    let width = |reps: u32| {
        let r = simulate(&one_uncertain_skill(5_000, reps));
        let c = policy(&r, "cascade").quality;
        c.ci_high - c.ci_low
    };
    // The closed form's 95% range: Q(0.6925) − Q(0.4075) = 0.41.
    let want = q(0.6925) - q(0.4075);
    for reps in [100, 400] {
        let w = width(reps);
        assert!(
            (w - want).abs() < 0.06,
            "{reps} replications: width {w}, want {want}"
        );
    }
}

fn simroute() -> Command {
    Command::cargo_bin("simroute").unwrap()
}

#[test]
fn same_seed_same_bytes_whatever_the_thread_count() {
    let f = fixture(&one_uncertain_skill(9_000, 5));
    let run = |t: &str| {
        let out = simroute()
            .args(["run", "--format", "json", "--threads", t])
            .arg(&f.scenario)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let one = run("1");
    assert!(one == run("2"), "--threads changed the output");
    let text = String::from_utf8(one).unwrap();
    assert!(text.contains("\"interval\": \"percentile\""), "{text}");
}

#[test]
fn the_midpoint_run_is_the_plain_run_at_the_midpoints() {
    // Every replication of a range of one value draws that value: the figures are
    // those of the plain file, replication for replication (same streams).
    let plain = one_uncertain_skill(9_000, 3).replace("{ low = 0.4, high = 0.7 }", "0.55");
    let degenerate =
        one_uncertain_skill(9_000, 3).replace("low = 0.4, high = 0.7", "low = 0.55, high = 0.55");
    let a = simulate(&plain);
    let b = simulate(&degenerate);
    for (x, y) in a.policies.iter().zip(&b.policies) {
        assert_eq!(x.cost_per_request.mean, y.cost_per_request.mean);
        assert_eq!(x.quality.mean, y.quality.mean);
    }
}

#[test]
fn an_uncertain_share_is_renormalised_in_every_draw() {
    // Shares a ∈ [0.2, 0.6] (midpoint 0.4) and b = 0.6: at a = 0.6 the shares are
    // scaled to 0.6/1.2 and 0.6/1.2.
    let body = format!(
        "{}[models.a]\nprice = \"small\"\nskill = 0.5\n\n\
         [[traffic]]\nname = \"a\"\nshare = {{ low = 0.2, high = 0.6 }}\ninput_tokens = 100\noutput_tokens = 100\ndifficulty = 0.5\n\n\
         [[traffic]]\nname = \"b\"\nshare = 0.6\ninput_tokens = 1000\noutput_tokens = 100\ndifficulty = 0.5\n\n\
         [[policy]]\nname = \"p\"\nroute = [\"a\"]\n",
        header(20_000, 400)
    );
    let f = fixture(&body);
    let s = Scenario::load(&f.scenario).unwrap();
    assert_eq!(s.classes[0].share, 0.4);
    let u = s.uncertainty.clone().unwrap();
    assert_eq!(u.inputs[0].key, "traffic.a.share");
    let v = u.variant(&s, &[0.6]).unwrap();
    assert_eq!((v.classes[0].share, v.classes[1].share), (0.5, 0.5));
    let v = u.variant(&s, &[0.2]).unwrap();
    assert!((v.classes[0].share - 0.25).abs() < 1e-12);
    // Cost per request is (share_a · 300 + share_b · 1200) tokens at $1/M in,
    // $2/M out: from 0.25 → $0.000975 to 0.5 → $0.00075, decreasing in a's
    // draw, a/(a + 0.6) with a ~ U(0.2, 0.6). Its ends: a at 2.5% and 97.5%.
    let cost = |a: f64| {
        let w = a / (a + 0.6);
        (w * 300.0 + (1.0 - w) * 1200.0) * 1e-6
    };
    let r = simulate(&body);
    let c = policy(&r, "p").cost_per_request;
    let (hi, lo) = (cost(0.2 + 0.025 * 0.4), cost(0.2 + 0.975 * 0.4));
    // Tolerance: the quantiles of 400 draws (0.008 of the range in probability,
    // $0.0000045 here) and 20,000 requests' class noise ($0.0000032): 4 SE.
    let tol = 4.0 * (4.5e-6f64.powi(2) + 3.2e-6f64.powi(2)).sqrt();
    assert!(
        (c.ci_low - lo).abs() < tol && (c.ci_high - hi).abs() < tol,
        "[{}, {}] against [{lo}, {hi}]",
        c.ci_low,
        c.ci_high
    );
}

fn bad(body: &str) -> (String, String) {
    let f = fixture(body);
    let out = simroute()
        .arg("validate")
        .arg(&f.scenario)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    (
        String::from_utf8(out.stderr).unwrap(),
        f.scenario.display().to_string(),
    )
}

#[test]
fn bad_ranges_name_the_file_line_key_and_what_is_wrong() {
    let base = one_uncertain_skill(1000, 2);
    // Reversed ends, at the key's line and column.
    let (e, file) = bad(&base.replace("low = 0.4, high = 0.7", "low = 0.7, high = 0.4"));
    assert!(
        e.contains(&format!("{file}:"))
            && e.contains(": models.a.skill: the range's low end 0.7 is above its high end 0.4"),
        "{e}"
    );
    let line = base
        .lines()
        .position(|l| l.starts_with("skill = {"))
        .unwrap()
        + 1;
    assert!(e.contains(&format!(":{line}:")), "{e}");
    // An end where the scenario is not valid: named, with the end.
    let (e, _) = bad(&base.replace("low = 0.4, high = 0.7", "low = 0.4, high = 1.2"));
    assert!(
        e.contains("models.a.skill: the scenario is not valid at this range's high end (1.2)"),
        "{e}"
    );
    assert!(e.contains("out of range"), "{e}");
    // Where no range may be.
    let (e, _) = bad(&base.replace("seed = 7", "seed = { low = 1, high = 2 }"));
    assert!(
        e.contains("scenario.seed: a range is not allowed here"),
        "{e}"
    );
    // A key that is not a range's.
    let (e, _) = bad(&base.replace("low = 0.4, high = 0.7", "low = 0.4, hihg = 0.7"));
    assert!(e.contains("unknown key `hihg` in a range"), "{e}");
    // A midpoint that breaks the scenario is reported as for a number.
    let (e, _) = bad(&base.replace(
        "confidence_auc = 0.5",
        "confidence_auc = { low = 1.1, high = 1.3 }",
    ));
    assert!(e.contains("models.a.confidence_auc"), "{e}");
}

#[test]
fn sweep_and_compare_refuse_uncertain_inputs() {
    let f = fixture(&one_uncertain_skill(1000, 2));
    let out = simroute()
        .args([
            "sweep",
            "--policy",
            "cascade",
            "--param",
            "threshold=0.1,0.2",
        ])
        .arg(&f.scenario)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8(out.stderr).unwrap();
    assert!(
        e.contains("sweep does not take uncertain inputs") && e.contains("models.a.skill"),
        "{e}"
    );
}

#[test]
fn a_class_latency_gets_the_percentile_interval_too() {
    // One interactive class: its own latency is the pooled latency, figure for
    // figure, so under uncertain inputs both get the same percentile interval
    // (the per-class one used to keep mean ± t·s).
    let body = format!(
        "{}[models.a]\nprice = \"small\"\nskill = 0.5\nttft_ms = {{ low = 300, high = 900 }}\n\n\
         [[traffic]]\nname = \"x\"\nshare = 1\ninput_tokens = 100\noutput_tokens = 100\ndifficulty = 0.5\n\n\
         [[policy]]\nname = \"one\"\nroute = [\"a\"]\n",
        header(500, 40)
    );
    let f = fixture(&body);
    let s = Scenario::load(&f.scenario).unwrap();
    let r = simroute::engine::simulate(&s, Some(1)).unwrap();
    let p = &r.policies[0];
    let class = &p.classes[0];
    let pooled = serde_json::to_value(p.e2e_latency_ms.unwrap()).unwrap();
    let own = serde_json::to_value(class.e2e_latency_ms.unwrap()).unwrap();
    assert_eq!(pooled, own);
    let pooled = serde_json::to_value(p.ttft_ms.unwrap()).unwrap();
    let own = serde_json::to_value(class.ttft_ms.unwrap()).unwrap();
    assert_eq!(pooled, own);
}
