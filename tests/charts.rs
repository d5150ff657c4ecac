//! The SVG charts: each one parses, carries its title, axis titles with units and
//! one entry per series, renders the same bytes twice, and is written all or
//! nothing.

mod common;

use std::path::Path;

use common::*;
use simroute::engine::results::RunResults;
use simroute::report::charts;
use simroute::scenario::Targets;
use simroute::sweep::{SweepPoint, SweepResults, Verdict, verdict::recommend};

/// Two classes (interactive chat with caching and an embedding call, batch
/// bulk work) and four policies; "cascade" sends bulk through batch.
fn scenario(policies: &str) -> String {
    format!(
        "{}[models.s]\nprice = \"small\"\nskill = 0.5\nconfidence_auc = 0.8\n\n\
         [models.l]\nprice = \"large\"\nskill = 0.8\nconfidence_auc = 0.9\n\n\
         [models.e]\nprice = \"embed\"\n\n\
         [[traffic]]\nname = \"chat\"\nshare = 0.7\ninput_tokens = {{ median = 800, p95 = 2000 }}\n\
         output_tokens = {{ median = 150, p95 = 400 }}\ncached_prefix_tokens = 500\ncache_hit_rate = 0.8\n\
         difficulty = {{ alpha = 2, beta = 5 }}\nextra_calls = [{{ model = \"e\", input_tokens = 50 }}]\n\n\
         [[traffic]]\nname = \"bulk\"\nshare = 0.3\ninput_tokens = 2000\noutput_tokens = 200\ndifficulty = 0.4\n\n\
         {policies}",
        header(4_000, 4)
    )
}

const POLICIES: &str = "[[policy]]\nname = \"all-large\"\nroute = [\"l\"]\nprompt_caching = false\n\n\
    [[policy]]\nname = \"small-only\"\nroute = [\"s\"]\n\n\
    [[policy]]\nname = \"cascade\"\nroute = [\"s\", \"l\"]\nthreshold = 0.4\nbatch_classes = [\"bulk\"]\n\n\
    [[policy]]\nname = \"batch-all\"\nroute = [\"l\"]\nbatch_classes = [\"chat\", \"bulk\"]\n";

fn run() -> RunResults {
    simulate(&scenario(POLICIES))
}

/// A sweep of the cascade's threshold, by hand: one policy per value (or per
/// (threshold, second) pair for a grid, the second value scaling nothing but
/// naming the series), judged against `targets`.
fn sweep(thresholds: &[f64], seconds: &[f64], targets: Targets) -> SweepResults {
    let policies: String = thresholds
        .iter()
        .map(|t| {
            format!("[[policy]]\nname = \"t{t}\"\nroute = [\"s\", \"l\"]\nthreshold = {t}\n\n")
        })
        .collect();
    let r = simulate(&scenario(&policies));
    let mut points = Vec::new();
    for (k, t) in thresholds.iter().enumerate() {
        for (j, second) in seconds.iter().enumerate() {
            let mut result = r.policies[k].clone();
            // Shift the second series so that the lines differ.
            result.cost_per_request = result.cost_per_request.scale(1.0 + 0.2 * j as f64);
            let (values, label) = if seconds.len() > 1 {
                (
                    vec![*t, *second],
                    format!("threshold={t}, models.s.skill={second}"),
                )
            } else {
                (vec![*t], format!("threshold={t}"))
            };
            let verdict = Verdict::of(&result, &targets);
            points.push(SweepPoint {
                values,
                label,
                result,
                verdict,
            });
        }
    }
    let costs: Vec<f64> = points
        .iter()
        .map(|p| p.result.cost_per_request.mean)
        .collect();
    let verdicts: Vec<Verdict> = points.iter().map(|p| p.verdict.clone()).collect();
    let labels: Vec<String> = points.iter().map(|p| p.label.clone()).collect();
    let mut params = vec!["policy.cascade.threshold".to_string()];
    if seconds.len() > 1 {
        params.push("models.s.skill".into());
    }
    SweepResults {
        scenario: r.scenario.clone(),
        inputs: r.inputs.clone(),
        policy: "cascade".into(),
        params,
        recommendation: recommend(&targets, &costs, &verdicts, &labels, 0),
        points,
        targets,
        run: None,
    }
}

const THRESHOLDS: [f64; 5] = [0.1, 0.3, 0.5, 0.7, 0.9];

/// The text of every `<text>` element, trimmed.
fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("the chart is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

fn has(texts: &[String], want: &str) -> bool {
    texts.iter().any(|t| t == want)
}

fn count_starting(texts: &[String], prefix: &str) -> usize {
    texts.iter().filter(|t| t.starts_with(prefix)).count()
}

#[test]
fn frontier_names_every_policy_and_its_axes() {
    let r = run();
    let svg = charts::frontier(&r).unwrap();
    let t = texts(&svg);
    assert!(has(&t, "Cost vs quality by policy: t"), "{t:?}");
    assert!(has(&t, "Cost per request (USD)"));
    assert!(has(&t, "Quality (answers correct, %)"));
    assert!(has(&t, "Monthly cost (USD, at 1,000,000 requests a month)"));
    // One label per policy, the baseline (the first) marked as such.
    assert!(has(&t, "all-large (baseline)"), "{t:?}");
    for name in ["small-only", "cascade", "batch-all"] {
        assert!(has(&t, name), "no label for {name}: {t:?}");
    }
    assert!(has(&t, "Pareto front"));
    // Tick labels are dollars and percents.
    assert!(t.iter().any(|s| s.starts_with("$0.0")), "{t:?}");
    assert!(t.iter().any(|s| s.ends_with('%')), "{t:?}");
    assert_eq!(charts::frontier(&r).unwrap(), svg, "not deterministic");
}

#[test]
fn latency_shows_one_row_per_policy_with_interactive_traffic() {
    let r = run();
    let shown = r
        .policies
        .iter()
        .filter(|p| p.latency_cdf.is_some())
        .count();
    // batch-all sends everything through batch: no interactive latency.
    assert_eq!(shown, 3);
    let svg = charts::latency(&r).unwrap();
    let t = texts(&svg);
    assert!(has(&t, "Latency of interactive requests: t"));
    assert!(has(&t, "End-to-end latency (ms, log scale)"));
    assert!(has(&t, "Time to first token (ms, log scale)"));
    assert_eq!(count_starting(&t, "Requests at or below (%)"), 2);
    for p in &r.policies {
        let rows = t.iter().filter(|s| **s == p.name).count();
        assert_eq!(rows, usize::from(p.latency_cdf.is_some()), "{}", p.name);
    }
    assert!(
        has(&t, "Not shown (no interactive traffic): batch-all."),
        "{t:?}"
    );
    // Two panels of one curve per policy: 6 curves of 100+ points.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let curves = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter(|n| n.attribute("points").unwrap_or("").split(' ').count() > 50)
        .count();
    assert_eq!(curves, 2 * shown);
    assert_eq!(charts::latency(&r).unwrap(), svg, "not deterministic");
}

#[test]
fn latency_without_interactive_traffic_says_so() {
    let mut r = run();
    for p in &mut r.policies {
        p.latency_cdf = None;
    }
    let t = texts(&charts::latency(&r).unwrap());
    assert!(
        has(
            &t,
            "No policy has interactive traffic, so there is no latency to show."
        ),
        "{t:?}"
    );
}

#[test]
fn breakdown_stacks_by_kind_and_by_model() {
    let r = run();
    let svg = charts::breakdown(&r).unwrap();
    let t = texts(&svg);
    assert!(has(&t, "Where the money goes: t"));
    assert_eq!(count_starting(&t, "Cost per 1,000 requests (USD, mean)"), 2);
    assert_eq!(count_starting(&t, "Policy"), 2);
    assert!(has(&t, "By kind of charge") && has(&t, "By model"));
    // The legends: every kind of charge, every model used.
    for kind in [
        "input",
        "output",
        "cache read",
        "cache write",
        "extra calls",
    ] {
        assert!(has(&t, kind), "no legend entry for {kind}");
    }
    for model in ["s", "l", "e"] {
        assert_eq!(
            t.iter().filter(|x| *x == model).count(),
            1,
            "legend entry for {model}"
        );
    }
    // Each policy named on both panels' axes, with its total at the bar's end.
    for p in &r.policies {
        assert_eq!(t.iter().filter(|x| **x == p.name).count(), 2, "{}", p.name);
    }
    assert_eq!(
        t.iter().filter(|x| x.ends_with("/month")).count(),
        2 * r.policies.len()
    );
    assert_eq!(charts::breakdown(&r).unwrap(), svg, "not deterministic");
}

#[test]
fn cost_curve_marks_the_recommendation_and_the_target() {
    let targets = Targets {
        quality: Some(0.5),
        p95_latency_ms: Some(60_000.0),
        ..Targets::default()
    };
    let s = sweep(&THRESHOLDS, &[0.0], targets);
    let point = s
        .recommendation
        .point
        .expect("a setting clears the targets");
    let svg = charts::cost_curve(&s).unwrap();
    let t = texts(&svg);
    assert!(
        has(&t, "Cost, quality and escalation vs threshold: t"),
        "{t:?}"
    );
    assert!(has(&t, "Cost per request (USD)"));
    assert!(has(&t, "Monthly cost (USD, 1,000,000 req/month)"));
    assert!(has(&t, "Quality (answers correct, %)"));
    assert!(has(&t, "Escalation rate (%)"));
    assert!(has(&t, "policy.cascade.threshold"));
    assert!(has(&t, "quality target ≥ 50.0%"));
    let label = format!("recommended: {}", s.points[point].label);
    assert!(has(&t, &label), "no marker label {label}: {t:?}");
    assert!(has(&t, "recommended setting"));
    assert!(
        t.iter()
            .any(|x| x.contains("p95 latency ≤ 60,000 ms (not drawn): met")),
        "{t:?}"
    );
    assert_eq!(charts::cost_curve(&s).unwrap(), svg, "not deterministic");
}

#[test]
fn cost_curve_without_a_recommendation_has_no_marker() {
    let targets = Targets {
        quality: Some(0.999),
        p95_latency_ms: None,
        ..Targets::default()
    };
    let s = sweep(&THRESHOLDS, &[0.0], targets);
    assert_eq!(s.recommendation.point, None);
    let t = texts(&charts::cost_curve(&s).unwrap());
    assert!(!t.iter().any(|x| x.starts_with("recommended")), "{t:?}");
    assert!(
        t.iter().any(|x| x.starts_with("No recommendation:")),
        "{t:?}"
    );
    // Without targets nothing is recommended either, and the chart says why.
    let s = sweep(&THRESHOLDS, &[0.0], Targets::default());
    let t = texts(&charts::cost_curve(&s).unwrap());
    assert!(
        has(&t, "No [targets] set, so no setting is recommended."),
        "{t:?}"
    );
}

#[test]
fn a_grid_draws_one_line_per_value_of_the_second_parameter() {
    let targets = Targets {
        quality: Some(0.5),
        p95_latency_ms: None,
        ..Targets::default()
    };
    let s = sweep(&THRESHOLDS, &[0.4, 0.6, 0.8], targets);
    assert_eq!(s.points.len(), 15);
    let svg = charts::cost_curve(&s).unwrap();
    let t = texts(&svg);
    for v in ["0.4", "0.6", "0.8"] {
        assert!(has(&t, &format!("models.s.skill = {v}")), "{t:?}");
    }
    assert_eq!(count_starting(&t, "models.s.skill = "), 3);
    // Per line, a translucent CI band: cost in the upper panel, quality and
    // escalation in the lower one.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let bands = doc
        .descendants()
        .filter(|n| n.has_tag_name("polygon") && n.attribute("opacity") != Some("1"))
        .filter(|n| {
            n.attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .count()
                == 10
        })
        .count();
    assert_eq!(bands, 3 * 3, "one CI band per line and figure");
}

#[test]
fn writing_puts_every_chart_in_place_and_nothing_else() {
    let r = run();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("charts");
    let paths = charts::write_run_charts(&r, &out, "run").unwrap();
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["run-frontier.svg", "run-latency.svg", "run-breakdown.svg"]
    );
    assert_eq!(
        std::fs::read_to_string(&paths[0]).unwrap(),
        charts::frontier(&r).unwrap()
    );
    let s = sweep(&THRESHOLDS, &[0.0], Targets::default());
    let swept = charts::write_sweep_charts(&s, &out, "sweep").unwrap();
    assert_eq!(swept, vec![out.join("sweep-cost-curve.svg")]);
    let mut listed: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "run-breakdown.svg",
            "run-frontier.svg",
            "run-latency.svg",
            "sweep-cost-curve.svg"
        ]
    );
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn writing_into_an_invalid_folder_fails_and_writes_nothing() {
    let r = run();
    let dir = tempfile::tempdir().unwrap();
    // A file where the folder should be.
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let before = entries(dir.path());
    for target in [file.clone(), file.join("charts")] {
        let err = charts::write_run_charts(&r, &target, "run").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&target.display().to_string()), "{msg}");
        assert_eq!(entries(dir.path()), before, "something was written");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    }
}
