//! `simroute sensitivity`: swings and ranks against closed forms, common random
//! numbers, variance shares, determinism, and the tornado chart.

mod common;

use assert_cmd::Command;
use common::*;
use simroute::scenario::Scenario;
use simroute::uncertain::sensitivity::{self, Figure, SensitivityResults, Spec};

/// A pricing table whose `u` model's input price is uncertain: $0.5–1.5 per 1M
/// input tokens, $2 per 1M output; `v` is `u` at $10/$20.
const PRICING: &str = r#"
[meta]
region = "test-region"
currency = "USD"
unit = "per 1M tokens"
as_of = "2026-01-01"
source = "made up for tests"

[models.u]
input = { low = 0.5, high = 1.5 }
output = 2.0
ttft_ms = 500
output_tokens_per_s = 100

[models.v]
input = 10.0
output = 20.0
ttft_ms = 1000
output_tokens_per_s = 50
"#;

/// One model `a` (priced `u`) answers everything: input tokens fixed in
/// [900, 1100], 100 output tokens, skill in [0.4, 0.6] at fixed difficulty 0.5.
///
/// Closed forms, the others at their midpoints (1000 tokens, $1/M, skill 0.5):
/// - cost = I · p_in + 100 · $2/M ($0.0012 at the midpoints): the price moves
///   it from $0.0007 to $0.0017, by 1000 · $1/M = $0.001,
///   the input tokens by 200 · $1/M = $0.0002, the skill not at all;
/// - quality = L(10 (s − 0.5)): the skill moves it by L(1) − L(−1) = 0.46212,
///   the price and the tokens not at all.
fn body(requests: u64, replications: u32) -> String {
    format!(
        "{}[models.a]\nprice = \"u\"\nskill = {{ low = 0.4, high = 0.6 }}\n\n\
         [models.b]\nprice = \"v\"\nskill = 0.9\n\n\
         [[traffic]]\nname = \"x\"\nshare = 1\ninput_tokens = {{ low = 900, high = 1100 }}\noutput_tokens = 100\ndifficulty = 0.5\n\n\
         [[policy]]\nname = \"big\"\nroute = [\"b\"]\n\n\
         [[policy]]\nname = \"small\"\nroute = [\"a\"]\n",
        header(requests, replications)
    )
}

fn fixture(body: &str) -> Fixture {
    let f = common::fixture(body);
    std::fs::write(f.dir.path().join("pricing.toml"), PRICING).unwrap();
    f
}

fn analyse(f: &Fixture, by: Option<Figure>) -> SensitivityResults {
    let s = Scenario::load(&f.scenario).unwrap_or_else(|e| panic!("{e}"));
    sensitivity::run(
        &s,
        &Spec {
            policy: Some("small".into()),
            by,
            shared: true,
        },
        &|_| (),
    )
    .unwrap()
}

fn swing<'a>(r: &'a SensitivityResults, key: &str) -> &'a sensitivity::Swing {
    r.inputs.iter().find(|w| w.key == key).unwrap()
}

#[test]
fn the_input_a_closed_form_says_moves_a_figure_most_ranks_first() {
    let f = fixture(&body(20_000, 400));
    let cost = |r: &SensitivityResults, k: &str| swing(r, k).swing[Figure::Cost.index()].unwrap();
    let quality =
        |r: &SensitivityResults, k: &str| swing(r, k).swing[Figure::Quality.index()].unwrap();

    let r = analyse(&f, Some(Figure::Cost));
    let keys: Vec<&str> = r.inputs.iter().map(|w| w.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "models.a.price.input",
            "traffic.x.input_tokens",
            "models.a.skill"
        ]
    );
    // Fixed tokens: the cost swings are exact.
    assert!((cost(&r, "models.a.price.input").mean - 0.001).abs() < 1e-12);
    assert!((cost(&r, "traffic.x.input_tokens").mean - 0.0002).abs() < 1e-12);
    assert_eq!(cost(&r, "models.a.skill").mean, 0.0);
    assert!(r.advice.starts_with("measure a's input price first: it moves the cost per request of policy \"small\" from $0.0007000 to $0.001700"), "{}", r.advice);

    let r = analyse(&f, Some(Figure::Quality));
    assert_eq!(r.inputs[0].key, "models.a.skill");
    let q = quality(&r, "models.a.skill");
    let want = 1.0 / (1.0 + (-1.0f64).exp()) - 1.0 / (1.0 + 1.0f64.exp());
    assert_in_ci("quality swing of the skill", &q, want);
    // Common random numbers: the price and the token count change no draw that
    // quality depends on, so their quality swings are exactly 0, not noise.
    assert_eq!(quality(&r, "models.a.price.input").mean, 0.0);
    assert_eq!(quality(&r, "traffic.x.input_tokens").mean, 0.0);
    // And the paired swing of the skill is tighter than unpaired ends would
    // give: per request, a paired difference is 1 only where the request's
    // uniform falls between the two ends' probabilities, variance d(1 − d) =
    // 0.2486 for d = 0.462, against p(1 − p) twice over, 2 · 0.197 = 0.393, for
    // independent ends: a ratio of half-widths of √(0.2486/0.393) = 0.80.
    let w = swing(&r, "models.a.skill");
    let (lo, hi) = (
        w.at_low[Figure::Quality.index()].unwrap(),
        w.at_high[Figure::Quality.index()].unwrap(),
    );
    let unpaired = lo.half_width().hypot(hi.half_width());
    assert!(q.half_width() < 0.87 * unpaired, "{q:?} vs {unpaired}");

    // Saving against "big" ($0.012 a request, fixed): 1 − cost / 0.012 moves
    // with cost alone, so the price ranks first by default.
    let r = analyse(&f, None);
    assert_eq!(r.ranked_by, Figure::Saving);
    assert_eq!(r.inputs[0].key, "models.a.price.input");
    let s = swing(&r, "models.a.price.input").swing[Figure::Saving.index()].unwrap();
    assert!((s.mean + 0.001 / 0.012).abs() < 1e-9, "{s:?}");
}

#[test]
fn variance_shares_are_the_squared_standardised_regression_coefficients() {
    // Cost = I · p + 100 · $2/M with I ~ U(900, 1100) (rounded) and p ~ U(0.5,
    // 1.5) $/M, independent. Var(I·p) = p̄²·Var I + Ī²·Var p + Var I·Var p
    // = 3.33e-9 + 8.33e-8 + 2.8e-10 (in $², with Var I = 200²/12 + 1/12 for
    // the rounded draws, and $/token): the price explains 95.8%, the tokens
    // 3.8%, and the interaction, 0.3%, is what R² misses. 2,000 replications: the estimated
    // shares' sampling error is about a percent.
    let f = fixture(&body(1_000, 2_000));
    let r = analyse(&f, Some(Figure::Cost));
    let c = Figure::Cost.index();
    let price = swing(&r, "models.a.price.input").variance_share[c].unwrap();
    let tokens = swing(&r, "traffic.x.input_tokens").variance_share[c].unwrap();
    let skill = swing(&r, "models.a.skill").variance_share[c].unwrap();
    let (vi, vp) = (3333.4, (1e-6f64).powi(2) / 12.0);
    let total = 1e-12 * vi + 1e6 * vp + vi * vp;
    assert!((price - 1e6 * vp / total).abs() < 0.015, "price {price}");
    assert!(
        (tokens - 1e-12 * vi / total).abs() < 0.01,
        "tokens {tokens}"
    );
    assert!(skill < 0.005, "skill {skill}");
    let r2 = r.r_squared[c].unwrap();
    assert!(r2 > 0.99 && r2 <= 1.0, "R² {r2}");
    // Quality is the skill's alone, but a replication of 1,000 requests carries
    // noise of √(q(1−q)/1000) ≈ 0.016 against the skill's spread of ≈ 0.13: R²
    // ≈ 0.13²/(0.13² + 0.016²) ≈ 0.98, and the skill takes nearly all of it.
    let q = Figure::Quality.index();
    let skill_q = swing(&r, "models.a.skill").variance_share[q].unwrap();
    assert!(skill_q > 0.93, "skill's share of quality {skill_q}");
}

fn simroute() -> Command {
    Command::cargo_bin("simroute").unwrap()
}

#[test]
fn same_seed_same_bytes_whatever_the_thread_count_and_a_chart() {
    let f = fixture(&body(5_000, 4));
    let dir = f.dir.path().join("charts");
    let run = |t: &str| {
        let out = simroute()
            .args([
                "sensitivity",
                "--policy",
                "small",
                "--format",
                "json",
                "--threads",
                t,
            ])
            .arg(&f.scenario)
            .arg("--charts")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            out.stdout,
            std::fs::read(dir.join("t-tornado.svg")).unwrap(),
        )
    };
    let one = run("1");
    assert!(one == run("2"), "--threads changed the output");
    let json: serde_json::Value = serde_json::from_slice(&one.0).unwrap();
    assert_eq!(json["policy"], "small");
    assert_eq!(json["inputs"].as_array().unwrap().len(), 3);
    assert_eq!(json["settings"], 7);
    for out in ["table", "markdown", "csv"] {
        let o = simroute()
            .args(["sensitivity", "--policy", "small", "--format", out])
            .arg(&f.scenario)
            .output()
            .unwrap();
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains("models.a.price.input"), "{out}: {text}");
    }
}

#[test]
fn a_scenario_without_ranges_has_nothing_to_rank() {
    let f = fixture(
        &body(1000, 2)
            .replace("{ low = 0.4, high = 0.6 }", "0.5")
            .replace("{ low = 900, high = 1100 }", "1000"),
    );
    std::fs::write(
        f.dir.path().join("pricing.toml"),
        PRICING.replace("{ low = 0.5, high = 1.5 }", "1.0"),
    )
    .unwrap();
    let out = simroute()
        .arg("sensitivity")
        .arg(&f.scenario)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8(out.stderr).unwrap();
    assert!(e.contains("no input is given as a range"), "{e}");
}

#[test]
fn the_tornado_chart_draws_a_bar_per_end_ranked_and_says_what_to_measure() {
    let f = fixture(&body(5_000, 4));
    let r = analyse(&f, Some(Figure::Cost));
    let svg = simroute::report::charts::tornado(&r).unwrap();
    assert_eq!(svg, simroute::report::charts::tornado(&r).unwrap());
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Which guess matters: small"))
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("measure a's input price first"))
    );
    for title in [
        "Cost per request (USD) (ranked by this)",
        "Delivered quality",
        "Interactive end-to-end p95 latency (ms)",
        "Saving against the baseline",
    ] {
        assert!(
            texts.iter().any(|t| t == title),
            "no panel {title}: {texts:?}"
        );
    }
    // In every panel the inputs are listed in rank order, top to bottom.
    let labels: Vec<(f64, &str)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| {
            let t = n.text()?.trim();
            ["a's input price", "x's input tokens", "a's skill"]
                .contains(&t)
                .then(|| (n.attribute("y").unwrap().parse().unwrap(), t))
        })
        .collect();
    assert_eq!(labels.len(), 12);
    let mut labels = labels;
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    for panel in labels.chunks(3) {
        let names: Vec<&str> = panel.iter().map(|(_, t)| *t).collect();
        assert_eq!(names, ["a's input price", "x's input tokens", "a's skill"]);
        assert!(panel[0].0 < panel[1].0 && panel[1].0 < panel[2].0);
    }
    // A figure an input does not move gets no bar but a note: the skill moves
    // neither cost nor saving, the price and the tokens not quality, nothing
    // the fixed latencies; and the tokens not the saving, since "big" is priced
    // at 10× "u" at its midpoint for input and output alike, so that its cost
    // scales with the token count as "small"'s does.
    let notes = texts.iter().filter(|t| *t == "no effect").count();
    assert_eq!(notes, 1 + 2 + 3 + 2, "{texts:?}");
    // The p95 axis, where nothing moves, still has distinct ticks.
    let ticks: Vec<&String> = texts
        .iter()
        .filter(|t| t.starts_with("1,49") || t.starts_with("1,50"))
        .collect();
    let mut unique = ticks.clone();
    unique.dedup();
    assert_eq!(ticks, unique, "{ticks:?}");
}

#[test]
fn settings_that_share_draws_ride_one_pass_and_give_the_same_figures() {
    // The price and the skill change no draw: their four settings ride on the
    // all-midpoints pass. The input token count changes a fixed count, which
    // draws nothing either, but any token range gets its own pass (a lognormal's
    // median would change the draws' values).
    let f = fixture(&body(9_000, 3));
    let s = Scenario::load(&f.scenario).unwrap();
    let run = |shared| {
        let spec = Spec {
            policy: Some("small".into()),
            by: None,
            shared,
        };
        sensitivity::run(&s, &spec, &|_| ()).unwrap()
    };
    let (a, b) = (run(true), run(false));
    assert_eq!((a.settings, a.passes, b.passes), (7, 3, 7));
    let json = |r: &SensitivityResults| {
        let mut v = serde_json::to_value(r).unwrap();
        v["passes"] = serde_json::Value::Null;
        v.to_string()
    };
    assert_eq!(json(&a), json(&b));
}
