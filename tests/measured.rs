//! Measured inputs end to end: logged traffic (exact replay and bootstrap), eval
//! sets driving quality, and the eval bootstrap's intervals, each checked against
//! figures computed by hand or in closed form.

mod common;

use assert_cmd::Command;
use common::*;
use serde_json::Value;

fn simroute() -> Command {
    Command::cargo_bin("simroute").unwrap()
}

/// Logged requests: (class, input, output, cache read, cache write, model).
const RECORDS: [(&str, u64, u64, u64, u64, &str); 7] = [
    ("chat", 1200, 300, 0, 2000, "large"),
    ("chat", 800, 150, 2000, 0, "large"),
    ("chat", 50, 40, 2000, 0, "small"),
    ("faq", 10, 5, 0, 0, "small"),
    ("faq", 0, 1, 500, 0, "small"),
    ("chat", 3000, 900, 0, 0, "large"),
    ("faq", 25, 12, 0, 500, "us.small"),
];

/// The records as the plain CSV log format.
fn log_csv() -> String {
    let mut s = String::from(
        "class,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,timestamp,model\n",
    );
    for (i, (c, a, b, r, w, m)) in RECORDS.iter().enumerate() {
        s.push_str(&format!(
            "{c},{a},{b},{r},{w},2026-11-01T00:00:{:02}Z,{m}\n",
            i * 5
        ));
    }
    s
}

/// USD of one call at per-1M prices (input, output, cache read, cache write).
fn by_hand(rec: &(&str, u64, u64, u64, u64, &str), p: [f64; 4]) -> f64 {
    (rec.1 as f64 * p[0] + rec.2 as f64 * p[1] + rec.3 as f64 * p[2] + rec.4 as f64 * p[3]) / 1e6
}

/// The fixture table's prices (tests/common): small and large.
const SMALL: [f64; 4] = [1.0, 2.0, 0.1, 1.25];
const LARGE: [f64; 4] = [10.0, 20.0, 1.0, 12.5];

const MODELS: &str = r#"
[models.s]
price = "small"
skill = 0.5
confidence_auc = 0.8

[models.l]
price = "large"
skill = 0.9
"#;

fn logged_scenario(replay: &str) -> String {
    format!(
        "{}replay = \"{replay}\"\n{MODELS}
[[traffic]]
name = \"chat\"
log = \"log.csv\"
difficulty = 0.5

[[traffic]]
name = \"faq\"
log = \"log.csv\"
difficulty = 0.5

[[policy]]
name = \"all-large\"
route = [\"l\"]

[[policy]]
name = \"all-small\"
route = [\"s\"]
",
        header(1000, 3).replace("monthly_requests = 1000000\n", "monthly_requests = 1000000")
    )
}

fn json_run(dir: &std::path::Path, scenario: &str, args: &[&str]) -> Value {
    let out = simroute()
        .arg("run")
        .arg(dir.join(scenario))
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn policy_json<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()
}

#[test]
fn exact_replay_prices_the_log_as_adding_it_up_by_hand() {
    let f = fixture(&logged_scenario("exact"));
    std::fs::write(f.dir.path().join("log.csv"), log_csv()).unwrap();
    let v = json_run(f.dir.path(), "scenario.toml", &[]);
    let n = RECORDS.len() as f64;
    assert_eq!(v["scenario"]["requests"], RECORDS.len());

    // Every record on the large model (caching on: reads and writes at the cache
    // prices), and on the small one.
    let large: f64 = RECORDS.iter().map(|r| by_hand(r, LARGE)).sum();
    let small: f64 = RECORDS.iter().map(|r| by_hand(r, SMALL)).sum();
    for (name, total) in [("all-large", large), ("all-small", small)] {
        let cost = &policy_json(&v, name)["cost_per_request"];
        assert_close(name, cost["mean"].as_f64().unwrap() * n, total, 1e-12);
        // The same records in every replication: no spread at all.
        assert_eq!(cost["ci_low"], cost["mean"], "{name}");
        assert_eq!(cost["ci_high"], cost["mean"], "{name}");
    }

    // As logged: each record at the model that served it (`us.small` is the US
    // cross-Region profile of `small`).
    let logged: f64 = RECORDS
        .iter()
        .map(|r| by_hand(r, if r.5 == "large" { LARGE } else { SMALL }))
        .sum();
    let a = &v["as_logged"];
    assert_eq!(a["requests"], RECORDS.len());
    assert_close(
        "as logged",
        a["cost_per_request"].as_f64().unwrap() * n,
        logged,
        1e-12,
    );
    let by_model = a["by_model"].as_array().unwrap();
    assert_eq!(by_model.len(), 2);
    assert_eq!(by_model[0]["price_key"], "large");
    assert_eq!(by_model[0]["requests"], 3);
    assert_eq!(by_model[1]["requests"], 4);

    // Shares are the log's: 4 chat, 3 faq.
    let classes = v["scenario"]["classes"].as_array().unwrap();
    assert_close(
        "chat share",
        classes[0]["share"].as_f64().unwrap(),
        4.0 / 7.0,
        1e-12,
    );
    let log = &v["inputs"]["logs"][0];
    assert_eq!(log["records_read"], 7);
    assert_eq!(log["records_used"], 7);
    assert_eq!(log["records_skipped"], 0);
    assert_eq!(v["inputs"]["replay"], "exact");
}

#[test]
fn exact_replay_is_the_same_whatever_the_thread_count() {
    // More records than one chunk, so that several chunks run in parallel.
    let mut csv = String::from("class,input_tokens,output_tokens\n");
    for i in 0..20_000u64 {
        csv.push_str(&format!(
            "{},{},{}\n",
            if i % 3 == 0 { "faq" } else { "chat" },
            100 + i % 977,
            1 + i % 313
        ));
    }
    let f = fixture(&logged_scenario("exact"));
    std::fs::write(f.dir.path().join("log.csv"), csv).unwrap();
    let run = |t: &str| {
        simroute()
            .arg("run")
            .arg(&f.scenario)
            // 35 replications: two passes over the log (groups of 32).
            .args(["--format", "json", "--replications", "35", "--threads", t])
            .output()
            .unwrap()
    };
    let one = run("1");
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(one.stdout, run("3").stdout);
    let v: Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(v["scenario"]["replications"], 35);
    assert_eq!(v["scenario"]["requests"], 20_000);
}

#[test]
fn bootstrap_replay_draws_the_logged_mix() {
    // Expected cost of a request drawn uniformly from the log, all on small: the
    // mean of the per-record costs.
    let f = fixture(&logged_scenario("bootstrap").replace("requests = 1000", "requests = 50000"));
    std::fs::write(f.dir.path().join("log.csv"), log_csv()).unwrap();
    let v = json_run(f.dir.path(), "scenario.toml", &["--replications", "10"]);
    let mean: f64 = RECORDS.iter().map(|r| by_hand(r, SMALL)).sum::<f64>() / RECORDS.len() as f64;
    let cost: simroute::stats::Estimate =
        serde_json::from_value(policy_json(&v, "all-small")["cost_per_request"].clone()).unwrap();
    // Within two half-widths of the 95% interval: about four standard errors.
    assert!(
        (cost.mean - mean).abs() < 2.0 * cost.half_width(),
        "bootstrap cost {cost:?} vs {mean} by hand"
    );
    assert_eq!(v["scenario"]["requests"], 50000);
    assert_eq!(v["inputs"]["replay"], "bootstrap");
}

/// An eval CSV: `(example, class, model, pass, confidence)`.
fn eval_csv(rows: &[(String, &str, &str, bool, Option<f64>)]) -> String {
    let mut s = String::from(
        "example_id,class,model,pass,score,confidence,input_tokens,output_tokens,latency_ms\n",
    );
    for (id, class, model, pass, conf) in rows {
        s.push_str(&format!(
            "{id},{class},{model},{},,{},,,\n",
            *pass as u8,
            conf.map(|c| c.to_string()).unwrap_or_default()
        ));
    }
    s
}

fn eval_scenario(requests: u64, replications: u32, policies: &str, extra: &str) -> String {
    format!(
        "{}{MODELS}
[eval]
file = \"eval.csv\"

[[traffic]]
name = \"chat\"
share = 1.0
input_tokens = 1000
output_tokens = 100
{policies}{extra}",
        header(requests, replications)
    )
}

#[test]
fn a_40_example_eval_gives_the_binomial_interval() {
    // 34 of 40 pass: p = 0.85. The bootstrap interval of the quality is the
    // binomial one, whatever the number of replications: it is what 40 examples
    // can tell. A rate's is Wilson's (crate::stats): for 34/40 at
    // z = t(0.975, 199) = 1.972, [0.7083, 0.9297], about as wide as the Wald
    // interval 1.96·√(p(1−p)/40) = 0.1107 but shifted towards 1/2.
    let rows: Vec<_> = (0..40)
        .map(|i| (format!("e{i}"), "chat", "s", i >= 6, None))
        .collect();
    let f = fixture(&eval_scenario(
        5000,
        200,
        "[[policy]]\nname = \"small\"\nroute = [\"s\"]\n",
        "",
    ));
    std::fs::write(f.dir.path().join("eval.csv"), eval_csv(&rows)).unwrap();
    let v = json_run(f.dir.path(), "scenario.toml", &[]);
    let q: simroute::stats::Estimate =
        serde_json::from_value(policy_json(&v, "small")["quality"].clone()).unwrap();
    let binomial = 1.96 * (0.85f64 * 0.15 / 40.0).sqrt();
    // The bootstrap's standard deviation from 200 replications has a relative
    // standard error of 1/√(2·199) = 5%; 15% is three of them.
    assert_close("half-width", q.half_width(), binomial, 0.15);
    // Those three standard errors put the effective examples p(1−p)/s² anywhere
    // in 28..52, and Wilson's bounds within 0.033 and 0.010 of 40's.
    assert!((q.ci_low - 0.7083).abs() < 0.04, "{q:?}");
    assert!((q.ci_high - 0.9297).abs() < 0.015, "{q:?}");
    // Its mean has standard error 0.0565/√200 = 0.004.
    assert!((q.mean - 0.85).abs() < 0.016, "mean {}", q.mean);
    assert_eq!(v["inputs"]["interval"], "bootstrap");
    let e = &v["inputs"]["eval"];
    assert_eq!(e["rows_read"], 40);
    assert_eq!(e["classes"][0]["examples"], 40);
    assert_close(
        "pass rate",
        e["classes"][0]["pass_rate"]["s"].as_f64().unwrap(),
        0.85,
        1e-12,
    );
}

#[test]
fn a_cascade_on_the_eval_escalates_and_answers_as_its_examples_say() {
    // 20 examples with both models' outcomes and the small model's confidence.
    let ex: Vec<(bool, f64, bool)> = (0..20)
        .map(|i| {
            let small = i % 4 != 0;
            let conf = if small {
                0.45 + 0.05 * (i % 6) as f64
            } else {
                0.2 + 0.1 * (i % 5) as f64
            };
            (small, conf, i % 5 != 0)
        })
        .collect();
    let t = 0.5;
    // By hand: escalate when confidence < t; deliver the large model's answer then.
    let n = ex.len() as f64;
    let escalation = ex.iter().filter(|e| e.1 < t).count() as f64 / n;
    let quality = ex
        .iter()
        .filter(|e| if e.1 < t { e.2 } else { e.0 })
        .count() as f64
        / n;
    let mut rows = Vec::new();
    for (i, e) in ex.iter().enumerate() {
        rows.push((format!("x{i}"), "chat", "s", e.0, Some(e.1)));
        rows.push((format!("x{i}"), "chat", "l", e.2, None));
    }
    let replications = 100;
    let f = fixture(&eval_scenario(
        4000,
        replications,
        &format!("[[policy]]\nname = \"cascade\"\nroute = [\"s\", \"l\"]\nthreshold = {t}\n"),
        "",
    ));
    std::fs::write(f.dir.path().join("eval.csv"), eval_csv(&rows)).unwrap();
    let v = json_run(f.dir.path(), "scenario.toml", &[]);
    let p = policy_json(&v, "cascade");
    for (what, want) in [("escalation_rate", escalation), ("quality", quality)] {
        let e: simroute::stats::Estimate = serde_json::from_value(p[what].clone()).unwrap();
        // The bootstrap mean's standard error is s/√R, s ≈ half-width / 1.98.
        let se = e.half_width() / 1.98 / (replications as f64).sqrt();
        assert!(
            (e.mean - want).abs() < 4.0 * se + 1e-9,
            "{what}: mean {} vs {want} by hand (se {se})",
            e.mean
        );
    }
}

#[test]
fn a_target_inside_the_eval_interval_asks_for_more_examples() {
    let rows: Vec<_> = (0..40)
        .map(|i| (format!("e{i}"), "chat", "s", i >= 6, None))
        .collect();
    let f = fixture(&eval_scenario(
        2000,
        50,
        "[[policy]]\nname = \"small\"\nroute = [\"s\"]\n",
        "\n[targets]\nquality = 0.8\n",
    ));
    std::fs::write(f.dir.path().join("eval.csv"), eval_csv(&rows)).unwrap();
    let v = json_run(f.dir.path(), "scenario.toml", &[]);
    let w = v["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    let w = w[0].as_str().unwrap();
    assert!(w.contains("straddles the target 80.0%"), "{w}");
    assert!(w.contains("40 examples"), "{w}");
    assert!(w.contains("collect more examples"), "{w}");
    // The interval's side towards the target (the lower: the Wilson interval
    // of a rate is asymmetric) shrinks as 1/√n: n' = 40 · (side / gap)².
    let q: simroute::stats::Estimate =
        serde_json::from_value(policy_json(&v, "small")["quality"].clone()).unwrap();
    let side = q.mean - q.ci_low;
    let want = (40.0 * (side / (q.mean - 0.8)).powi(2)).ceil() as usize;
    let need: usize = w
        .split("about ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no count in {w}"));
    assert!(need.abs_diff(want) <= 1, "{need} vs {want} in {w}");
    assert!(need > 40, "{w}");
    // The table prints it too.
    let out = simroute().arg("run").arg(&f.scenario).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: policy \"small\": quality"),
        "{text}"
    );
    assert!(text.contains("Eval set"), "{text}");
}

fn fails(dir: &std::path::Path, args: &[&str]) -> String {
    let out = simroute()
        .arg("run")
        .arg(dir.join("scenario.toml"))
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn an_eval_model_the_scenario_does_not_name_stops_at_its_line() {
    let rows = vec![
        ("a".to_string(), "chat", "s", true, None),
        ("a".to_string(), "chat", "haiku", true, None),
    ];
    let f = fixture(&eval_scenario(
        100,
        2,
        "[[policy]]\nname = \"small\"\nroute = [\"s\"]\n",
        "",
    ));
    std::fs::write(f.dir.path().join("eval.csv"), eval_csv(&rows)).unwrap();
    let err = fails(f.dir.path(), &[]);
    assert!(err.contains("eval.csv:3:"), "{err}");
    assert!(
        err.contains("\"haiku\" is not a model of the scenario"),
        "{err}"
    );
    assert!(err.contains("--skip-bad-lines"), "{err}");
    // Skipped and counted on request.
    let v = json_run(f.dir.path(), "scenario.toml", &["--skip-bad-lines"]);
    assert_eq!(v["inputs"]["eval"]["rows_read"], 2);
    assert_eq!(v["inputs"]["eval"]["rows_skipped"], 1);
    assert_eq!(
        v["inputs"]["eval"]["skipped"]["model not in the scenario"],
        1
    );
}

#[test]
fn an_eval_confidence_written_as_a_percentage_asks_if_the_fraction_was_meant() {
    let rows = vec![("a".to_string(), "chat", "s", true, Some(85.0))];
    let f = fixture(&eval_scenario(
        100,
        2,
        "[[policy]]\nname = \"small\"\nroute = [\"s\"]\n",
        "",
    ));
    std::fs::write(f.dir.path().join("eval.csv"), eval_csv(&rows)).unwrap();
    let err = fails(f.dir.path(), &[]);
    assert!(
        err.contains("eval.csv:2: confidence: 85 is not in [0, 1] — did you mean 0.85?"),
        "{err}"
    );
}

#[test]
fn an_eval_csv_that_starts_with_a_byte_order_mark_is_read() {
    let rows = vec![
        ("a".to_string(), "chat", "s", true, None),
        ("b".to_string(), "chat", "s", false, None),
    ];
    let f = fixture(&eval_scenario(
        100,
        2,
        "[[policy]]\nname = \"small\"\nroute = [\"s\"]\n",
        "",
    ));
    let csv = format!("\u{feff}{}", eval_csv(&rows));
    std::fs::write(f.dir.path().join("eval.csv"), csv).unwrap();
    let v = json_run(f.dir.path(), "scenario.toml", &[]);
    assert_eq!(v["inputs"]["eval"]["rows_read"], 2);
    assert_eq!(v["inputs"]["eval"]["format"], "csv");
}

#[test]
fn an_eval_example_missing_a_routed_model_is_named() {
    let rows = vec![
        ("a".to_string(), "chat", "s", true, Some(0.9)),
        ("a".to_string(), "chat", "l", true, None),
        ("b".to_string(), "chat", "s", false, Some(0.2)),
    ];
    let f = fixture(&eval_scenario(
        100,
        2,
        "[[policy]]\nname = \"cascade\"\nroute = [\"s\", \"l\"]\nthreshold = 0.5\n",
        "",
    ));
    std::fs::write(f.dir.path().join("eval.csv"), eval_csv(&rows)).unwrap();
    let err = fails(f.dir.path(), &[]);
    assert!(err.contains("eval.file"), "{err}");
    assert!(
        err.contains("example \"b\" has no row for model \"l\""),
        "{err}"
    );
}

#[test]
fn a_bad_log_line_stops_the_run_or_is_skipped_and_counted() {
    let f = fixture(&logged_scenario("exact"));
    let mut csv = log_csv();
    csv.push_str("chat,12,-3,0,0,2026-11-01T00:01:00Z,small\n");
    std::fs::write(f.dir.path().join("log.csv"), &csv).unwrap();
    let err = fails(f.dir.path(), &[]);
    assert!(err.contains("log.csv:9:"), "{err}");
    let v = json_run(f.dir.path(), "scenario.toml", &["--skip-bad-lines"]);
    let log = &v["inputs"]["logs"][0];
    assert_eq!(log["records_read"], 8);
    assert_eq!(log["records_used"], 7);
    assert_eq!(log["records_skipped"], 1);
    assert_eq!(v["scenario"]["requests"], 7);
}

#[test]
fn a_logged_class_the_scenario_lacks_is_not_dropped_silently() {
    let f = fixture(&logged_scenario("exact"));
    let mut csv = log_csv();
    csv.push_str("billing,12,3,0,0,2026-11-01T00:01:00Z,small\n");
    std::fs::write(f.dir.path().join("log.csv"), &csv).unwrap();
    let err = fails(f.dir.path(), &[]);
    assert!(err.contains("log.csv:9:"), "{err}");
    assert!(err.contains("class \"billing\""), "{err}");
}

#[test]
fn exact_replay_refuses_requests_and_synthetic_classes() {
    let f = fixture(&logged_scenario("exact"));
    std::fs::write(f.dir.path().join("log.csv"), log_csv()).unwrap();
    let err = fails(f.dir.path(), &["--requests", "10"]);
    assert!(err.contains("--requests 10: exact replay"), "{err}");

    let f = fixture(&logged_scenario("exact").replace(
        "name = \"faq\"\nlog = \"log.csv\"",
        "name = \"faq\"\nshare = 0.5\ninput_tokens = 10\noutput_tokens = 5",
    ));
    std::fs::write(f.dir.path().join("log.csv"), log_csv()).unwrap();
    // (The log's faq records are skipped: faq no longer takes its traffic from it.)
    let err = fails(f.dir.path(), &["--skip-bad-lines"]);
    assert!(err.contains("traffic[1].log: missing"), "{err}");
}

#[test]
fn a_logged_class_takes_no_token_keys() {
    let f = fixture(&logged_scenario("bootstrap").replace(
        "name = \"chat\"\nlog = \"log.csv\"",
        "name = \"chat\"\nlog = \"log.csv\"\ninput_tokens = 100",
    ));
    // The log has a bad line too: the scenario's mistake is still the one named,
    // because the file's own checks come before the log is read.
    std::fs::write(
        f.dir.path().join("log.csv"),
        log_csv() + "chat,oops,1,0,0,2026-11-01T00:02:00Z,small\n",
    )
    .unwrap();
    let err = fails(f.dir.path(), &[]);
    assert!(err.contains("traffic[0].input_tokens"), "{err}");
    assert!(err.contains("from its `log`"), "{err}");
}

#[test]
fn traffic_log_on_the_command_line_replaces_the_mix() {
    // A synthetic scenario, run on the log instead.
    let body = format!(
        "{}{MODELS}
[[traffic]]
name = \"chat\"
share = 0.5
input_tokens = 100000
output_tokens = 100
difficulty = 0.5

[[traffic]]
name = \"faq\"
share = 0.5
input_tokens = 100000
output_tokens = 100
difficulty = 0.5

[[policy]]
name = \"all-small\"
route = [\"s\"]
",
        header(1000, 2)
    );
    let f = fixture(&body);
    let log = f.dir.path().join("log.csv");
    std::fs::write(&log, log_csv()).unwrap();
    let v = json_run(
        f.dir.path(),
        "scenario.toml",
        &["--traffic-log", log.to_str().unwrap(), "--replay", "exact"],
    );
    let small: f64 = RECORDS.iter().map(|r| by_hand(r, SMALL)).sum();
    assert_close(
        "cost",
        policy_json(&v, "all-small")["cost_per_request"]["mean"]
            .as_f64()
            .unwrap()
            * RECORDS.len() as f64,
        small,
        1e-12,
    );
}

#[test]
fn an_eval_without_a_single_failure_says_what_it_cannot_tell() {
    // 10 of 10 pass: every resample passes, the interval has no width, and the
    // rule of three bounds the failure rate at 3/10.
    let rows: Vec<_> = (0..10)
        .map(|i| (format!("e{i}"), "chat", "s", true, None))
        .collect();
    let f = fixture(&eval_scenario(
        500,
        20,
        "[[policy]]\nname = \"small\"\nroute = [\"s\"]\n",
        "",
    ));
    std::fs::write(f.dir.path().join("eval.csv"), eval_csv(&rows)).unwrap();
    let v = json_run(f.dir.path(), "scenario.toml", &[]);
    let q = &policy_json(&v, "small")["quality"];
    assert_eq!(q["mean"], 1.0);
    assert_eq!(q["ci_low"], 1.0);
    let w = v["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    let w = w[0].as_str().unwrap();
    assert!(
        w.contains("\"s\" passed all 10 examples of class \"chat\""),
        "{w}"
    );
    assert!(w.contains("up to 30%"), "{w}");
}

#[test]
fn promptfoo_results_drive_quality_by_provider_label_or_id() {
    // tests/fixtures/eval/promptfoo-results.json: two providers, one labelled
    // "haiku", one known by its id; tests 0 and 1 carry a class, test 2 none.
    let body = format!(
        "{}[models.haiku]
price = \"small\"

[models.\"bedrock:us.amazon.nova-lite-v1:0\"]
price = \"large\"

[eval]
file = \"results.json\"

[[traffic]]
name = \"billing\"
share = 0.5
input_tokens = 100
output_tokens = 10

[[traffic]]
name = \"tech\"
share = 0.5
input_tokens = 100
output_tokens = 10

[[policy]]
name = \"haiku\"
route = [\"haiku\"]

[[policy]]
name = \"lite\"
route = [\"bedrock:us.amazon.nova-lite-v1:0\"]
",
        header(200, 2)
    );
    let f = fixture(&body);
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/eval/promptfoo-results.json"
        ),
        f.dir.path().join("results.json"),
    )
    .unwrap();
    // Test 2 has no class and the scenario has two: it stops the run...
    let err = fails(f.dir.path(), &[]);
    assert!(err.contains("results.json"), "{err}");
    assert!(err.contains("has no class"), "{err}");
    // ...or is skipped and counted.
    let v = json_run(f.dir.path(), "scenario.toml", &["--skip-bad-lines"]);
    let e = &v["inputs"]["eval"];
    assert_eq!(e["format"], "promptfoo");
    assert_eq!(e["rows_read"], 6);
    assert_eq!(e["rows_skipped"], 2);
    assert_eq!(e["skipped"]["no class"], 2);
    let classes = e["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 2);
    for c in classes {
        assert_eq!(c["examples"], 1);
        assert_eq!(c["pass_rate"]["haiku"], 1.0);
    }
    // The unlabelled provider failed the billing example (and errored on tech).
    assert_eq!(
        classes[0]["pass_rate"]["bedrock:us.amazon.nova-lite-v1:0"],
        0.0
    );
    assert_eq!(policy_json(&v, "haiku")["quality"]["mean"], 1.0);
    assert_eq!(policy_json(&v, "lite")["quality"]["mean"], 0.0);
}

#[test]
fn a_class_without_eval_examples_keeps_the_monte_carlo_interval() {
    // Two classes; only "chat" has examples. "faq" is quality from difficulty and
    // skill, so its own figures vary by Monte Carlo error only: their interval
    // must be the replications' CI (s/√n), far narrower than the bootstrap's.
    let rows: Vec<_> = (0..20)
        .map(|i| (format!("e{i}"), "chat", "s", i % 4 != 0, None))
        .collect();
    let body = eval_scenario(
        4000,
        100,
        "[[policy]]\nname = \"small\"\nroute = [\"s\"]\n",
        "",
    )
    .replace("share = 1.0", "share = 0.5")
    .replace(
        "[[policy]]",
        "[[traffic]]\nname = \"faq\"\nshare = 0.5\ninput_tokens = 100\noutput_tokens = 10\ndifficulty = 0.5\n\n[[policy]]",
    );
    let f = fixture(&body);
    std::fs::write(f.dir.path().join("eval.csv"), eval_csv(&rows)).unwrap();
    let v = json_run(f.dir.path(), "scenario.toml", &[]);
    let classes = policy_json(&v, "small")["classes"].as_array().unwrap();
    let half = |c: &Value| {
        let q: simroute::stats::Estimate = serde_json::from_value(c["quality"].clone()).unwrap();
        q.half_width()
    };
    // chat: the eval's 20 examples, p = 0.75: 1.96·√(.75·.25/20) ≈ 0.19.
    assert!(half(&classes[0]) > 0.12, "{}", half(&classes[0]));
    // faq: skill 0.5 at difficulty 0.5, p = 0.5 on ~2,000 requests a replication;
    // the mean of 100 has a CI of about 1.98·√(.25/2000)/10 ≈ 0.0022.
    assert!(half(&classes[1]) < 0.005, "{}", half(&classes[1]));
}
