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
    let svg = charts::frontier(&r, &Targets::default()).unwrap();
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
    assert_eq!(
        charts::frontier(&r, &Targets::default()).unwrap(),
        svg,
        "not deterministic"
    );
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
    let svg = charts::latency(&r, &Targets::default()).unwrap();
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
    assert_eq!(
        charts::latency(&r, &Targets::default()).unwrap(),
        svg,
        "not deterministic"
    );
}

#[test]
fn latency_without_interactive_traffic_says_so() {
    let mut r = run();
    for p in &mut r.policies {
        p.latency_cdf = None;
    }
    let t = texts(&charts::latency(&r, &Targets::default()).unwrap());
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
        has(
            &t,
            "Cost, quality, escalation and p95 latency vs threshold: t"
        ),
        "{t:?}"
    );
    assert!(has(&t, "Cost per request (USD)"));
    assert!(has(&t, "Monthly cost (USD, 1,000,000 req/month)"));
    assert!(has(&t, "Quality (% correct)"));
    assert!(has(&t, "Escalation rate (%)"));
    assert!(has(&t, "e2e p95 latency (ms)"));
    assert!(has(&t, "policy.cascade.threshold"));
    assert!(has(&t, "quality target ≥ 50.0%"));
    let label = format!("recommended: {}", s.points[point].label);
    assert!(has(&t, &label), "no marker label {label}: {t:?}");
    assert!(has(&t, "recommended setting"));
    assert!(
        t.iter().any(|x| x.contains("p95 latency ≤ 60,000 ms: met")),
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
    let paths = charts::write_run_charts(&r, &Targets::default(), &out, "run").unwrap();
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
        charts::frontier(&r, &Targets::default()).unwrap()
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
        let err = charts::write_run_charts(&r, &Targets::default(), &target, "run").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&target.display().to_string()), "{msg}");
        assert_eq!(entries(dir.path()), before, "something was written");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    }
}

// ---------------------------------------------------------------------------
// Charts that say what they show (issue 10 §5).

/// The red of targets.
const TARGET_RED: &str = "#C81E2D";
/// The grey of axis lines.
const AXIS_GREY: &str = "#787C82";

/// Six policies: two the same (one curve hides the other), two with names of
/// 44 characters that differ only in their last letter.
const SIX: &str = "[[policy]]\nname = \"all-large\"\nroute = [\"l\"]\nprompt_caching = false\n\n\
    [[policy]]\nname = \"small-only\"\nroute = [\"s\"]\n\n\
    [[policy]]\nname = \"cascade\"\nroute = [\"s\", \"l\"]\nthreshold = 0.4\n\n\
    [[policy]]\nname = \"cascade-copy\"\nroute = [\"s\", \"l\"]\nthreshold = 0.4\n\n\
    [[policy]]\nname = \"cascade-with-a-rather-long-name-for-review-a\"\nroute = [\"s\", \"l\"]\nthreshold = 0.2\n\n\
    [[policy]]\nname = \"cascade-with-a-rather-long-name-for-review-b\"\nroute = [\"s\", \"l\"]\nthreshold = 0.7\n";

const LONG_A: &str = "cascade-with-a-rather-long-name-for-review-a";
const LONG_B: &str = "cascade-with-a-rather-long-name-for-review-b";

fn six() -> RunResults {
    simulate(&scenario(SIX))
}

fn p95_target(ms: f64) -> Targets {
    Targets {
        quality: None,
        p95_latency_ms: Some(ms),
        ..Targets::default()
    }
}

fn num(n: roxmltree::Node, attr: &str) -> f64 {
    n.attribute(attr)
        .unwrap_or_else(|| panic!("no {attr} in {n:?}"))
        .parse()
        .unwrap()
}

fn points(n: roxmltree::Node) -> Vec<(f64, f64)> {
    n.attribute("points")
        .unwrap_or("")
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// The segments of the polylines stroked in `color`.
fn segments(doc: &roxmltree::Document, color: &str) -> Vec<((f64, f64), (f64, f64))> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(color))
        .flat_map(|n| {
            let p = points(n);
            p.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>()
        })
        .collect()
}

/// Horizontal lines in `color` drawn across a plot (longer than the legend's
/// swatches): their height and their left and right ends.
fn horizontal_lines(doc: &roxmltree::Document, color: &str) -> Vec<(f64, f64, f64)> {
    let mut dashes: Vec<(f64, f64, f64)> = segments(doc, color)
        .into_iter()
        .filter(|(a, b)| a.1 == b.1)
        .map(|(a, b)| (a.1, a.0.min(b.0), a.0.max(b.0)))
        .collect();
    dashes.sort_by(|a, b| a.partial_cmp(b).unwrap());
    // Dashes of one line follow each other closely.
    let mut lines: Vec<(f64, f64, f64)> = Vec::new();
    for d in dashes {
        match lines.last_mut() {
            Some(l) if l.0 == d.0 && d.1 - l.2 <= 10.0 => l.2 = l.2.max(d.2),
            _ => lines.push(d),
        }
    }
    lines.retain(|l| l.2 - l.1 > 200.0);
    lines
}

/// Filled markers in a policy's color (not the legend's grey, not white): their
/// fill and bounding box.
fn markers(doc: &roxmltree::Document) -> Vec<(String, (f64, f64, f64, f64))> {
    let skip = ["none", "#FFFFFF", "#555A60"];
    let mut out = Vec::new();
    for n in doc.descendants() {
        let Some(fill) = n.attribute("fill") else {
            continue;
        };
        if skip.contains(&fill) || n.attribute("opacity").is_some_and(|o| o != "1") {
            continue;
        }
        if n.has_tag_name("circle") && num(n, "r") <= 6.0 {
            let (x, y, r) = (num(n, "cx"), num(n, "cy"), num(n, "r"));
            out.push((fill.to_string(), (x - r, y - r, x + r, y + r)));
        } else if n.has_tag_name("polygon") {
            let p = points(n);
            let xs = p.iter().map(|p| p.0);
            let ys = p.iter().map(|p| p.1);
            let b = (
                xs.clone().fold(f64::INFINITY, f64::min),
                ys.clone().fold(f64::INFINITY, f64::min),
                xs.fold(f64::NEG_INFINITY, f64::max),
                ys.fold(f64::NEG_INFINITY, f64::max),
            );
            if (3..=4).contains(&p.len()) && b.2 - b.0 <= 14.0 && b.3 - b.1 <= 14.0 {
                out.push((fill.to_string(), b));
            }
        }
    }
    out
}

#[test]
fn latency_names_a_policy_whose_curve_lies_under_another() {
    let r = six();
    let t = texts(&charts::latency(&r, &Targets::default()).unwrap());
    // cascade and cascade-copy route every request alike: cascade-copy, drawn
    // later, covers cascade's curves on both panels. The note, under the
    // name, may take two lines.
    let joined = t.join(" ");
    assert_eq!(joined.matches("(under ").count(), 1, "{t:?}");
    let at = t.iter().position(|x| x == "cascade").unwrap();
    assert!(
        t[at + 1..]
            .join(" ")
            .starts_with("(under cascade-copy: the same curves)"),
        "{t:?}"
    );
}

#[test]
fn long_policy_names_stay_whole_or_distinguishable() {
    let r = six();
    // The latency table breaks a long name over two lines, whole.
    let t = texts(&charts::latency(&r, &Targets::default()).unwrap());
    let joined = t.concat();
    for name in [LONG_A, LONG_B] {
        assert!(joined.contains(name), "{name} is cut: {t:?}");
    }
    // The frontier's labels and the breakdown's axis cut the middle, keeping
    // the ends that tell the two apart.
    let frontier = texts(&charts::frontier(&r, &Targets::default()).unwrap());
    let breakdown = texts(&charts::breakdown(&r).unwrap());
    for (chart, t) in [("frontier", frontier), ("breakdown", breakdown)] {
        for end in ["review-a", "review-b"] {
            let labels = t
                .iter()
                .filter(|x| x.starts_with("cascade-with") && x.ends_with(end))
                .count();
            assert!(labels >= 1, "{chart}: no label ending in {end}: {t:?}");
        }
    }
}

#[test]
fn latency_markers_of_different_policies_do_not_pile_up() {
    let r = six();
    let svg = charts::latency(&r, &Targets::default()).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let m = markers(&doc);
    // p50, p95 and p99 of six policies on two panels.
    assert_eq!(m.len(), 6 * 3 * 2, "{m:?}");
    for (i, (ca, a)) in m.iter().enumerate() {
        for (cb, b) in &m[i + 1..] {
            if ca == cb {
                continue;
            }
            let w = (a.2.min(b.2) - a.0.max(b.0)).max(0.0);
            let h = (a.3.min(b.3) - a.1.max(b.1)).max(0.0);
            assert!(
                w * h <= 4.0,
                "markers of {ca} at {a:?} and {cb} at {b:?} overlap"
            );
        }
    }
}

#[test]
fn latency_draws_the_p95_target() {
    let r = six();
    let svg = charts::latency(&r, &p95_target(3000.0)).unwrap();
    let t = texts(&svg);
    assert!(has(&t, "p95 target ≤ 3,000 ms (end to end)"), "{t:?}");
    assert!(has(&t, "p95 target 3,000 ms"), "{t:?}");
    // A vertical red dashed line, on the end-to-end (left) panel only.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let red = segments(&doc, TARGET_RED);
    let vertical: Vec<_> = red
        .iter()
        .filter(|(a, b)| a.0 == b.0 && a.1 != b.1)
        .collect();
    assert!(vertical.len() > 10, "{red:?}");
    assert!(vertical.iter().all(|(a, _)| a.0 < 500.0), "{vertical:?}");
    // Without a target, none.
    let svg = charts::latency(&r, &Targets::default()).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert!(segments(&doc, TARGET_RED).is_empty());
}

#[test]
fn latency_quotes_the_results_tables_percentiles_and_says_so() {
    let r = six();
    let t = texts(&charts::latency(&r, &Targets::default()).unwrap());
    for p in &r.policies {
        let (e2e, ttft) = (p.e2e_latency_ms.unwrap(), p.ttft_ms.unwrap());
        for e in [e2e.p50, e2e.p95, e2e.p99, ttft.p50, ttft.p95, ttft.p99] {
            let cell = simroute::report::format::ms(&e);
            assert!(has(&t, &cell), "{}: no cell {cell}: {t:?}", p.name);
        }
    }
    let header = t.join(" ");
    assert!(
        header.contains("the mean over the replications of each one's percentile"),
        "{t:?}"
    );
    assert!(
        header.contains("each curve pools all 4 replications"),
        "{t:?}"
    );
}

#[test]
fn frontier_legend_draws_the_baseline_as_the_plot_does() {
    // batch-all costs less than all-large for the same answers: the baseline
    // is dominated, so the plot draws its square open.
    let r = run();
    let svg = charts::frontier(&r, &Targets::default()).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let squares = |side: f64| -> Vec<String> {
        doc.descendants()
            .filter(|n| n.has_tag_name("polygon"))
            .filter(|n| {
                let p = points(*n);
                p.len() == 4 && p[1].0 - p[0].0 == side && p[2].1 - p[1].1 == side
            })
            .map(|n| n.attribute("fill").unwrap().to_string())
            .collect()
    };
    // The plot's baseline (8 px marker), the legend's (6 px swatch).
    assert_eq!(squares(14.0), ["#FFFFFF"], "the plot's baseline is open");
    assert_eq!(squares(10.0), ["#FFFFFF"], "the legend's baseline is open");
    let t = texts(&svg);
    assert!(has(&t, "baseline (all-large), dominated"), "{t:?}");
}

#[test]
fn frontier_draws_the_quality_target_or_says_where_it_is() {
    let r = run();
    // Far below every policy: a note at the axis's foot.
    let targets = Targets {
        quality: Some(0.01),
        p95_latency_ms: None,
        ..Targets::default()
    };
    let t = texts(&charts::frontier(&r, &targets).unwrap());
    assert!(
        t.iter()
            .any(|x| x.starts_with("▼ quality target ≥ 1.0%: below this axis")),
        "{t:?}"
    );
    // Among the policies: a red line, named.
    let mid = (r.policies[0].quality.mean + r.policies[1].quality.mean) / 2.0;
    let targets = Targets {
        quality: Some(mid),
        p95_latency_ms: None,
        ..Targets::default()
    };
    let svg = charts::frontier(&r, &targets).unwrap();
    let t = texts(&svg);
    let label = format!("quality target ≥ {:.1}%", mid * 100.0);
    assert_eq!(t.iter().filter(|x| **x == label).count(), 2, "{t:?}");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(horizontal_lines(&doc, TARGET_RED).len(), 1);
}

#[test]
fn cost_curve_draws_the_binding_p95_target() {
    // No setting's p95 latency is within 1 s: the p95 target binds.
    let s = sweep(
        &THRESHOLDS,
        &[0.0],
        Targets {
            quality: Some(0.3),
            p95_latency_ms: Some(1000.0),
            ..Targets::default()
        },
    );
    assert_eq!(s.recommendation.binding, ["p95_latency_ms"]);
    let svg = charts::cost_curve(&s).unwrap();
    let t = texts(&svg);
    assert!(!t.iter().any(|x| x.contains("not drawn")), "{t:?}");
    assert!(has(&t, "e2e p95 latency (ms)"), "{t:?}");
    assert!(has(&t, "p95 latency target ≤ 1,000 ms"), "{t:?}");
    assert!(has(&t, "target ≤ 1,000 ms"), "{t:?}");
    // Two red dashed lines: quality's and p95's.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let lines = horizontal_lines(&doc, TARGET_RED);
    assert_eq!(lines.len(), 2, "{lines:?}");
}

#[test]
fn cost_curve_quality_target_cannot_be_read_against_escalation() {
    let targets = Targets {
        quality: Some(0.5),
        p95_latency_ms: None,
        ..Targets::default()
    };
    let s = sweep(&THRESHOLDS, &[0.0], targets);
    let svg = charts::cost_curve(&s).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let red = horizontal_lines(&doc, TARGET_RED);
    assert_eq!(red.len(), 1, "{red:?}");
    let (y, left, right) = red[0];
    // The vertical axis lines that span the target's height: the quality
    // axis on its left, and no second axis on its right.
    let axes: Vec<(f64, f64, f64)> = segments(&doc, AXIS_GREY)
        .into_iter()
        .filter(|(a, b)| a.0 == b.0 && a.1.min(b.1) < y && a.1.max(b.1) > y)
        .map(|(a, b)| (a.0, a.1.min(b.1), a.1.max(b.1)))
        .collect();
    assert!(axes.iter().any(|a| a.0 < left), "{axes:?}");
    assert!(
        !axes.iter().any(|a| a.0 >= right),
        "a right axis beside the quality target: {axes:?}"
    );
    // The escalation rate is on another panel.
    let (_, top, bottom) = axes.iter().find(|a| a.0 < left).copied().unwrap();
    let escalation = doc
        .descendants()
        .find(|n| n.has_tag_name("text") && n.text().unwrap_or("").trim() == "Escalation rate (%)")
        .unwrap();
    let ey = num(escalation, "y");
    assert!(
        ey < top || ey > bottom,
        "escalation's axis at {ey} in the quality panel {top}..{bottom}"
    );
}
