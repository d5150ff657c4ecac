//! The binary end to end: determinism, the JSON contract, and the output formats.

mod common;

use assert_cmd::Command;
use common::*;
use serde_json::Value;

fn simroute() -> Command {
    Command::cargo_bin("simroute").unwrap()
}

fn support() -> String {
    format!("{}/scenarios/support.toml", env!("CARGO_MANIFEST_DIR"))
}

fn run_json(args: &[&str]) -> Vec<u8> {
    let out = simroute().arg("run").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn same_seed_same_bytes_whatever_the_thread_count() {
    let s = support();
    let args = |t: &'static str| {
        vec![
            s.clone(),
            "--format".into(),
            "json".into(),
            "--requests".into(),
            "30000".into(),
            "--replications".into(),
            "3".into(),
            "--threads".into(),
            t.into(),
        ]
    };
    let one = run_json(&args("1").iter().map(String::as_str).collect::<Vec<_>>());
    for t in ["2", "3", "5"] {
        let other = run_json(&args(t).iter().map(String::as_str).collect::<Vec<_>>());
        assert!(one == other, "--threads {t} changed the output");
    }
    // And a different seed does change it.
    let mut seeded = args("2");
    seeded.extend(["--seed".to_string(), "43".to_string()]);
    let other = run_json(&seeded.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(one != other, "--seed had no effect");
}

/// Fixed tokens and profiles: every cost and latency figure has a closed form.
/// `big` = large only: 1000 × $10/M + 100 × $20/M = $0.012 per request;
/// `cheap` = small only: $0.0012; `both` = small then large always: $0.0132.
fn fixed_scenario() -> String {
    format!(
        "{}[models.s]\nprice = \"small\"\nskill = 0.9\nconfidence_auc = 0.7\n\n\
         [models.l]\nprice = \"large\"\nskill = 0.9\n\n\
         [[traffic]]\nname = \"a\"\nshare = 0.5\ninput_tokens = 1000\noutput_tokens = 100\ndifficulty = 0.1\n\n\
         [[traffic]]\nname = \"b\"\nshare = 0.5\ninput_tokens = 1000\noutput_tokens = 100\ndifficulty = 0.2\n\n\
         [[policy]]\nname = \"big\"\nroute = [\"l\"]\n\n\
         [[policy]]\nname = \"cheap\"\nroute = [\"s\"]\n\n\
         [[policy]]\nname = \"both\"\nroute = [\"s\", \"l\"]\nthreshold = 1\n",
        header(4000, 3)
    )
}

fn field<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| match k.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[k],
    })
}

fn num(v: &Value, path: &str) -> f64 {
    field(v, path)
        .as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number: {}", field(v, path)))
}

#[test]
fn json_fields_carry_the_documented_figures() {
    let f = fixture(&fixed_scenario());
    let out = run_json(&[f.scenario.to_str().unwrap(), "--format", "json"]);
    let v: Value = serde_json::from_slice(&out).unwrap();

    assert_eq!(field(&v, "scenario.name"), "t");
    assert_eq!(field(&v, "scenario.pricing_region"), "test-region");
    assert_eq!(field(&v, "scenario.pricing_as_of"), "2026-01-01");
    assert_eq!(num(&v, "scenario.requests"), 4000.0);
    assert_eq!(num(&v, "scenario.replications"), 3.0);
    assert_eq!(num(&v, "scenario.seed"), 7.0);
    assert_eq!(field(&v, "scenario.baseline"), "big");
    assert_eq!(field(&v, "scenario.classes.1.name"), "b");
    assert_eq!(field(&v, "scenario.classes.1.mode"), "interactive");

    let names: Vec<&str> = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["big", "cheap", "both"]);
    for (i, cost) in [(0, 0.012), (1, 0.0012), (2, 0.0132)] {
        let p = &v["policies"][i];
        let at = |k: &str| num(p, k);
        assert_close("cost", at("cost_per_request.mean"), cost, 1e-12);
        // A constant has a zero-width interval.
        assert_close("ci_low", at("cost_per_request.ci_low"), cost, 1e-12);
        assert_close("ci_high", at("cost_per_request.ci_high"), cost, 1e-12);
        assert_close("per 1K", at("cost_per_1k.mean"), cost * 1000.0, 1e-12);
        assert_close("per month", at("cost_per_month.mean"), cost * 1e6, 1e-12);
        assert_close(
            "saving",
            at("saving_vs_baseline.mean"),
            1.0 - cost / 0.012,
            1e-9,
        );
        assert_eq!(p["baseline"], i == 0);
        let q = at("quality.mean");
        assert!((0.0..=1.0).contains(&q));
        assert!(at("quality.ci_low") <= q && q <= at("quality.ci_high"));
        assert!(p["batch_latency_ms"].is_null());
        assert_eq!(p["classes"].as_array().unwrap().len(), 2);
        assert_close(
            "class cost",
            at("classes.0.cost_per_request.mean"),
            cost,
            1e-12,
        );
    }
    // Latency: large 1000 + 1000·100/50 = 3000 ms; small 500 + 1000·100/100 = 1500 ms.
    let lat = |i: usize, k: &str| num(&v["policies"][i], k);
    assert_close("big p50", lat(0, "e2e_latency_ms.p50.mean"), 3000.0, 5e-4);
    assert_close("cheap p99", lat(1, "e2e_latency_ms.p99.mean"), 1500.0, 5e-4);
    assert_close("both p95", lat(2, "e2e_latency_ms.p95.mean"), 4500.0, 5e-4);
    assert_close("both ttft", lat(2, "ttft_ms.p50.mean"), 2500.0, 5e-4);
    // The cascade always escalates, and its escalated answers are large's.
    let both = &v["policies"][2];
    assert_eq!(num(both, "escalation_rate.mean"), 1.0);
    assert_eq!(
        num(both, "escalated_quality.mean"),
        num(both, "quality.mean")
    );
    assert!(v["policies"][0]["escalated_quality"].is_null());
    // Cost by model and kind.
    let by: Vec<&Value> = both["cost_by_model"].as_array().unwrap().iter().collect();
    assert_eq!(by.len(), 2);
    let l = by.iter().find(|m| m["model"] == "l").unwrap();
    assert_eq!(l["price_key"], "large");
    assert_eq!(num(l, "calls_per_request"), 1.0);
    assert_close("large input", num(l, "input"), 0.01, 1e-12);
    assert_close("large output", num(l, "output"), 0.002, 1e-12);
    assert_eq!(num(l, "cache_read"), 0.0);
    assert_eq!(num(l, "extra_calls"), 0.0);
    assert_close("large total", num(l, "total"), 0.012, 1e-12);
}

#[test]
fn csv_has_one_figure_per_row() {
    let f = fixture(&fixed_scenario());
    let out = run_json(&[f.scenario.to_str().unwrap(), "--format", "csv"]);
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("policy,class,model,metric,mean,ci_low,ci_high")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 7), "ragged CSV");
    let find = |policy: &str, class: &str, model: &str, metric: &str| {
        rows.iter()
            .find(|r| r[0] == policy && r[1] == class && r[2] == model && r[3] == metric)
            .unwrap_or_else(|| panic!("no row {policy},{class},{model},{metric}"))
    };
    let cost: f64 = find("cheap", "", "", "cost_per_request_usd")[4]
        .parse()
        .unwrap();
    assert_close("cheap cost", cost, 0.0012, 1e-12);
    let total: f64 = find("both", "", "l", "total_usd_per_request")[4]
        .parse()
        .unwrap();
    assert_close("large total", total, 0.012, 1e-12);
    let class: f64 = find("big", "b", "", "cost_per_request_usd")[4]
        .parse()
        .unwrap();
    assert_close("class cost", class, 0.012, 1e-12);
    find("both", "", "", "ttft_ms_p95");
}

#[test]
fn table_and_markdown_snapshots() {
    let f = fixture(&fixed_scenario());
    let path = f.scenario.to_str().unwrap();
    for format in ["table", "markdown"] {
        let out = run_json(&[path, "--format", format]);
        let text = String::from_utf8(out).unwrap();
        insta::assert_snapshot!(format!("run_{format}"), text);
    }
}

#[test]
fn validate_reports_what_it_checked() {
    simroute()
        .args(["validate", &support()])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "ok: scenario \"support\", 4 models, 3 traffic classes, 3 policies (baseline \"all-sonnet\")",
        ));
}

#[test]
fn quote_json_matches_hand_computation() {
    // Nova Micro: 1000 × $0.035/M + 200 × $0.14/M + 2000 × $0.00875/M = $0.0000805.
    let pricing = format!(
        "{}/pricing/bedrock-us-east-1.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = simroute()
        .args([
            "quote",
            "--pricing",
            &pricing,
            "--model",
            "amazon.nova-micro-v1:0",
            "--input",
            "1000",
            "--output",
            "200",
            "--cache-read",
            "2000",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_close("input", num(&v, "input_usd"), 0.000035, 1e-12);
    assert_close("output", num(&v, "output_usd"), 0.000028, 1e-12);
    assert_close("cache read", num(&v, "cache_read_usd"), 0.0000175, 1e-12);
    assert_close("total", num(&v, "total_usd"), 0.0000805, 1e-12);
    assert_eq!(v["batch"], false);
}

#[test]
fn quote_takes_format_like_the_other_commands_and_json_still_works() {
    let pricing = format!(
        "{}/pricing/bedrock-us-east-1.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let call = [
        "quote",
        "--pricing",
        &pricing,
        "--model",
        "amazon.nova-micro-v1:0",
        "--input",
        "1000",
        "--output",
        "200",
    ];
    let run = |extra: &[&str]| simroute().args(call).args(extra).output().unwrap();
    let json = run(&["--format", "json"]);
    assert!(json.status.success());
    assert!(
        json.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    // The former spelling prints the same JSON, and says it is deprecated.
    let old = run(&["--json"]);
    assert!(old.status.success());
    assert_eq!(old.stdout, json.stdout);
    assert!(
        String::from_utf8_lossy(&old.stderr).contains("--json is deprecated: use --format json"),
        "{}",
        String::from_utf8_lossy(&old.stderr)
    );
    let table = run(&["--format", "table"]);
    assert!(table.status.success());
    assert_eq!(table.stdout, run(&[]).stdout);
    assert!(String::from_utf8_lossy(&table.stdout).contains("total"));
    let csv = run(&["--format", "csv"]);
    assert_eq!(csv.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&csv.stderr).contains("[possible values: table, json]"),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    // --json is not advertised.
    let help = simroute().args(["quote", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--format"), "{help}");
    assert!(!help.contains("--json"), "{help}");
}

#[test]
fn shipped_pricing_table_is_valid_and_sourced() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pricing/bedrock-us-east-1.toml");
    let t = simroute::pricing::PriceTable::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.meta.currency, "USD");
    for (key, m) in &t.models {
        assert!(m.source.is_some(), "{key} has no source");
        // Claude's published cache rules: writes 1.25x input.
        if let (true, Some(w)) = (key.starts_with("anthropic."), m.cache_write) {
            assert!((w / m.input - 1.25).abs() < 1e-9, "{key}: cache_write {w}");
        }
        // Batch inference is half the on-demand price wherever it is listed,
        // to the cent: AWS's price list rounds some halves (Gemma 3 12B: 0.09
        // on demand, 0.05 batch; Ministral 3 8B: 0.15, 0.07).
        if let Some(b) = m.batch_input {
            assert!(
                (b - m.input / 2.0).abs() <= 0.005 + 1e-9,
                "{key}: batch_input {b}"
            );
        }
    }
    for family in [
        "nova-micro",
        "nova-lite",
        "nova-pro",
        "nova-premier",
        "haiku",
        "sonnet",
        "opus",
        "llama",
        "mistral",
        "titan-embed",
        "cohere.embed",
        "rerank",
    ] {
        assert!(
            t.models.keys().any(|k| k.contains(family)),
            "no {family} model"
        );
    }
}
