//! Latency per class, targets per class, and verdicts wherever targets exist
//! (issue 10 §1 and §3), checked against values computed by hand.
//!
//! The closed-form scenario: one model `s` (the test table's `small`: ttft
//! 500 ms, 100 tokens/s, both fixed) and two classes of fixed token counts:
//! `a` (share 0.8, 100 output tokens: 500 + 1000·100/100 = 1,500 ms end to end)
//! and `b` (share 0.2, 300 output tokens: 500 + 3,000 = 3,500 ms). Felt TTFT is
//! 500 ms for both. Policy `inter` runs both interactively; `batch-b` sends `b`
//! to batch. Under `inter`, ~80% of requests take 1,500 ms: p50 is 1,500 and
//! p95 and p99 are 3,500 (ranks ⌈0.95 n⌉ and ⌈0.99 n⌉ fall among b's ~20%);
//! under `batch-b` the pooled interactive latency is a's alone, 1,500 ms at every
//! percentile. Latencies are read from a histogram whose bucket midpoint is
//! within 0.05% of the value.

mod common;

use assert_cmd::Command;
use common::*;
use serde_json::Value;

fn simroute() -> Command {
    Command::cargo_bin("simroute").unwrap()
}

/// The closed-form scenario, with `targets` appended.
fn scenario(targets: &str) -> String {
    format!(
        "{}[models.s]\nprice = \"small\"\nskill = 0.5\n\n\
         [[traffic]]\nname = \"a\"\nshare = 0.8\ninput_tokens = 1000\noutput_tokens = 100\ndifficulty = 0.1\n\n\
         [[traffic]]\nname = \"b\"\nshare = 0.2\ninput_tokens = 1000\noutput_tokens = 300\ndifficulty = 0.5\n\n\
         [[policy]]\nname = \"inter\"\nroute = [\"s\"]\n\n\
         [[policy]]\nname = \"batch-b\"\nroute = [\"s\"]\nbatch_classes = [\"b\"]\n\n{targets}",
        header(4000, 3)
    )
}

fn run(body: &str, format: &str) -> String {
    let f = fixture(body);
    let out = simroute()
        .args(["run", f.scenario.to_str().unwrap(), "--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(body: &str) -> Value {
    serde_json::from_str(&run(body, "json")).unwrap()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn near(what: &str, got: &Value, want: f64) {
    assert_close(what, num(got), want, 5e-4);
}

fn class<'a>(p: &'a Value, name: &str) -> &'a Value {
    p["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == name)
        .unwrap_or_else(|| panic!("no class {name}"))
}

#[test]
fn per_class_latency_in_json_field_by_field() {
    let v = json(&scenario(""));
    let (inter, batch) = (&v["policies"][0], &v["policies"][1]);
    // Pooled: inter mixes a and b; batch-b pools a alone.
    near("inter p50", &inter["e2e_latency_ms"]["p50"]["mean"], 1500.0);
    near("inter p95", &inter["e2e_latency_ms"]["p95"]["mean"], 3500.0);
    near("inter p99", &inter["e2e_latency_ms"]["p99"]["mean"], 3500.0);
    for q in ["p50", "p95", "p99"] {
        near(
            "batch-b pooled",
            &batch["e2e_latency_ms"][q]["mean"],
            1500.0,
        );
        near("batch-b ttft", &batch["ttft_ms"][q]["mean"], 500.0);
    }
    // Each class's own figures.
    for p in [inter, batch] {
        let a = class(p, "a");
        assert_eq!(a["mode"], "interactive");
        for q in ["p50", "p95", "p99"] {
            near("a e2e", &a["e2e_latency_ms"][q]["mean"], 1500.0);
            near("a ttft", &a["ttft_ms"][q]["mean"], 500.0);
            // Fixed latencies: a zero-width interval.
            assert_eq!(
                a["e2e_latency_ms"][q]["ci_low"],
                a["e2e_latency_ms"][q]["ci_high"]
            );
        }
        assert!(a["batch_latency_ms"].is_null());
    }
    let b_inter = class(inter, "b");
    assert_eq!(b_inter["mode"], "interactive");
    near("b p50", &b_inter["e2e_latency_ms"]["p50"]["mean"], 3500.0);
    near("b ttft", &b_inter["ttft_ms"]["p99"]["mean"], 500.0);
    assert!(b_inter["batch_latency_ms"].is_null());
    let b_batch = class(batch, "b");
    assert_eq!(b_batch["mode"], "batch");
    assert!(b_batch["e2e_latency_ms"].is_null());
    assert!(b_batch["ttft_ms"].is_null());
    near(
        "b batch",
        &b_batch["batch_latency_ms"]["p95"]["mean"],
        3500.0,
    );
    // The class treated alike has the same figures, to the bit.
    assert_eq!(
        class(inter, "a")["e2e_latency_ms"],
        class(batch, "a")["e2e_latency_ms"]
    );
    assert_eq!(class(inter, "a")["ttft_ms"], class(batch, "a")["ttft_ms"]);
    // The pooled rows pool different classes, and the one that differs says so.
    assert_eq!(inter["interactive_classes"], serde_json::json!(["a", "b"]));
    assert_eq!(batch["interactive_classes"], serde_json::json!(["a"]));
    assert!(inter["latency_note"].is_null());
    let note = batch["latency_note"].as_str().unwrap();
    assert!(
        note.starts_with(
            "pools a; the baseline inter pools b too, which runs on batch under this policy"
        ),
        "{note}"
    );
    // No targets: no verdict.
    assert!(inter["verdict"].is_null());
    assert!(v["targets"].is_null());
}

#[test]
fn per_class_latency_in_csv_table_and_markdown() {
    let text = run(&scenario(""), "csv");
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 7), "ragged CSV");
    let find = |policy: &str, class: &str, metric: &str| {
        rows.iter()
            .find(|r| r[0] == policy && r[1] == class && r[2].is_empty() && r[3] == metric)
            .map(|r| r[4].parse::<f64>().unwrap())
    };
    let got = find("inter", "b", "e2e_latency_ms_p95").expect("b's p95");
    assert_close("b p95", got, 3500.0, 5e-4);
    let got = find("batch-b", "a", "ttft_ms_p99").expect("a's TTFT p99");
    assert_close("a ttft", got, 500.0, 5e-4);
    let got = find("batch-b", "b", "batch_latency_ms_p50").expect("b's batch p50");
    assert_close("b batch", got, 3500.0, 5e-4);
    assert_eq!(find("batch-b", "b", "e2e_latency_ms_p50"), None);
    assert_eq!(find("inter", "b", "batch_latency_ms_p50"), None);

    let table = run(&scenario(""), "table");
    assert!(table.contains("Latency of interactive requests by class (ms)"));
    assert!(table.contains("│ batch-b * "), "{table}");
    assert!(
        table.contains("\n* batch-b pools a; the baseline inter pools b too"),
        "{table}"
    );
    let md = run(&scenario(""), "markdown");
    assert!(md.contains("### Latency of interactive requests by class (ms)"));
    assert!(
        md.contains("\n- \\* batch-b pools a; the baseline inter pools b too"),
        "{md}"
    );
}

/// The case study: a cached-Sonnet policy that sends summaries to batch routes
/// chat and classify exactly as all-Sonnet does, so their latency is the same
/// to the bit; only the pooled row moves (the summaries left it), and it says so.
#[test]
fn a_class_treated_alike_keeps_the_baselines_latency_whatever_the_other_classes() {
    let support = format!("{}/scenarios/support.toml", env!("CARGO_MANIFEST_DIR"));
    let out = simroute()
        .args([
            "run",
            &support,
            "--requests",
            "20000",
            "--replications",
            "3",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (base, cached) = (&v["policies"][0], &v["policies"][1]);
    assert_eq!(base["name"], "all-sonnet");
    assert_eq!(cached["name"], "sonnet-cache-batch");
    for c in ["chat", "classify"] {
        for k in ["e2e_latency_ms", "ttft_ms"] {
            let (x, y) = (
                class(base, c)[k].to_string(),
                class(cached, c)[k].to_string(),
            );
            assert_eq!(x, y, "{c} {k}");
        }
    }
    assert_ne!(base["e2e_latency_ms"], cached["e2e_latency_ms"]);
    assert!(base["latency_note"].is_null());
    let note = cached["latency_note"].as_str().unwrap();
    assert!(
        note.starts_with(
            "pools classify, chat; the baseline all-sonnet pools summarize too, which runs on batch under this policy"
        ),
        "{note}"
    );
    assert_eq!(class(cached, "summarize")["mode"], "batch");
    assert!(class(cached, "summarize")["e2e_latency_ms"].is_null());
    assert!(!class(base, "summarize")["e2e_latency_ms"].is_null());
}

/// The verdict of one policy in the JSON.
fn verdict<'a>(v: &'a Value, policy: &str) -> &'a Value {
    &v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == policy)
        .unwrap()["verdict"]
}

/// The latency a verdict quotes for class b: `misses p95 (b): 3,499 ms vs ...`.
fn p95_in(summary: &str) -> f64 {
    let (_, rest) = summary.split_once("p95 (b): ").unwrap();
    let (n, _) = rest.split_once(" ms").unwrap();
    n.replace(',', "").parse().unwrap()
}

#[test]
fn verdicts_met_missed_and_straddled_computed_by_hand() {
    // Met: the pooled p95 (3,500 and 1,500 ms) is under 4,000 ms, a's own
    // (1,500 ms) under 2,000 ms; zero-width intervals clear them.
    let met = "[targets]\np95_latency_ms = 4000\n\n[targets.a]\np95_latency_ms = 2000\n";
    let v = json(&scenario(met));
    for p in ["inter", "batch-b"] {
        let d = verdict(&v, p);
        assert_eq!(d["status"], "meets", "{p}");
        assert_eq!(d["summary"], "meets targets");
        assert_eq!(d["p95_latency"], "clears");
        assert!(d["quality"].is_null());
        let checks = d["checks"].as_array().unwrap();
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[0]["target"], "p95_latency_ms");
        assert!(checks[0]["class"].is_null());
        assert_eq!(num(&checks[0]["limit"]), 4000.0);
        assert_eq!(checks[1]["class"], "a");
        assert_eq!(num(&checks[1]["limit"]), 2000.0);
        assert_eq!(checks[1]["check"], "clears");
        // 1,500 / 2,000 − 1 = −25%: on the right side.
        assert_close("a excess", num(&checks[1]["excess"]), -0.25, 1e-3);
    }
    assert_eq!(v["targets"]["p95_latency_ms"], 4000.0);
    assert_eq!(v["targets"]["classes"][0]["class"], "a");

    // Missed: b's own p95 is 3,500 ms against 3,000: 3,500 / 3,000 − 1 = +17%,
    // although the scenario-wide p95 target is met. Under batch-b, b has no
    // interactive latency at all: not met either.
    let missed = format!("{met}\n[targets.b]\np95_latency_ms = 3000\n");
    let v = json(&scenario(&missed));
    let d = verdict(&v, "inter");
    assert_eq!(d["status"], "misses");
    assert_eq!(d["p95_latency"], "clears");
    let b = &d["checks"][2];
    assert_eq!((&b["class"], &b["check"]), (&"b".into(), &"misses".into()));
    // p95 within 0.05% of 3,500 ms: the excess within 3,500 · 0.0005 / 3,000.
    let excess = num(&b["excess"]);
    assert!((excess - (3500.0 / 3000.0 - 1.0)).abs() < 6e-4, "{excess}");
    let summary = d["summary"].as_str().unwrap();
    assert_close("b p95 in words", p95_in(summary), 3500.0, 5e-4);
    assert!(summary.starts_with("misses p95 (b): 3,"), "{summary}");
    assert!(
        summary.ends_with(" ms vs 3,000 ms target, +17%"),
        "{summary}"
    );
    let d = verdict(&v, "batch-b");
    assert_eq!(d["status"], "misses");
    assert_eq!(d["checks"][2]["check"], "unknown");
    assert!(d["checks"][2]["figure"].is_null());
    assert_eq!(
        d["summary"],
        "misses p95 (b): no interactive latency: the class runs on batch under this policy"
    );

    // Straddled: b's quality is 0.5 exactly (skill = difficulty), so its
    // interval, from 3 replications of ~800 requests, holds 0.5 for this seed.
    let straddled = "[targets.b]\nquality = 0.5\n";
    let v = json(&scenario(straddled));
    let d = verdict(&v, "inter");
    let q = &d["checks"][0]["figure"];
    let (lo, hi) = (num(&q["ci_low"]), num(&q["ci_high"]));
    assert!(lo < 0.5 && 0.5 < hi, "[{lo}, {hi}] should straddle 0.5");
    assert_eq!(d["checks"][0]["check"], "straddles");
    assert_eq!(d["status"], "not_proven");
    let summary = d["summary"].as_str().unwrap();
    let want = format!(
        "not proven: quality (b): {:.2}% [{:.2}%, {:.2}%] straddles the 50% target",
        num(&q["mean"]) * 100.0,
        lo * 100.0,
        hi * 100.0
    );
    assert_eq!(summary, want);
}

#[test]
fn verdicts_in_every_format() {
    let targets = "[targets]\np95_latency_ms = 4000\n\n[targets.b]\np95_latency_ms = 3000\n";
    let table = run(&scenario(targets), "table");
    assert!(
        table.contains("Against the targets (interactive p95 <= 4,000 ms; b: p95 <= 3,000 ms)"),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.starts_with("│ inter ") && l.contains("misses"))
        .unwrap_or_else(|| panic!("no verdict row for inter:\n{table}"));
    assert_close("p95 in the table", p95_in(row), 3500.0, 5e-4);
    let md = run(&scenario(targets), "markdown");
    assert!(md.contains("### Against the targets"), "{md}");
    assert!(
        md.contains("| batch-b | misses p95 (b): no interactive latency"),
        "{md}"
    );

    let csv = run(&scenario(targets), "csv");
    let has = |row: &str| assert!(csv.lines().any(|l| l == row), "no row {row}:\n{csv}");
    has("inter,,,verdict,misses,,");
    has("inter,,,target_p95_latency_ms,4000,,");
    has("inter,,,verdict_p95_latency_ms,clears,,");
    has("inter,b,,target_p95_latency_ms,3000,,");
    has("inter,b,,verdict_p95_latency_ms,misses,,");
    has("batch-b,b,,verdict_p95_latency_ms,unknown,,");
}

#[test]
fn the_review_report_carries_the_verdicts() {
    let f = fixture(&scenario(
        "[targets]\np95_latency_ms = 4000\n\n[targets.b]\np95_latency_ms = 3000\n",
    ));
    let report = f.dir.path().join("review.md");
    simroute()
        .args(["run", f.scenario.to_str().unwrap(), "--report"])
        .arg(&report)
        .assert()
        .success();
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("### Against the targets"), "{text}");
    assert!(text.contains("| inter | misses p95 (b): 3,"), "{text}");
    assert!(text.contains("b: p95 <= 3,000 ms"), "{text}");
}

/// A sweep recommends the cheapest setting whose CI clears every target, the
/// class's own included: recomputed here from the points' figures.
#[test]
fn the_sweeps_recommendation_honours_per_class_targets() {
    let support = std::fs::read_to_string(format!(
        "{}/scenarios/support.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace(
        "\"../pricing/",
        &format!("\"{}/pricing/", env!("CARGO_MANIFEST_DIR")),
    );
    let sweep = |extra: &str| -> Value {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, format!("{support}{extra}")).unwrap();
        run_json(
            dir.path(),
            &[
                "sweep",
                "s.toml",
                "--policy",
                "cascade",
                "--param",
                "threshold=0.05..0.5:0.05",
                "--requests",
                "20000",
                "--replications",
                "4",
            ],
        )
    };
    let chat_p95 = 6000.0;
    let with = sweep(&format!("\n[targets.chat]\np95_latency_ms = {chat_p95}\n"));
    let without = sweep("");
    let by_hand = |v: &Value, chat: Option<f64>| -> Option<usize> {
        let points = v["points"].as_array().unwrap();
        (0..points.len())
            .filter(|&i| {
                let r = &points[i]["result"];
                let ok = num(&r["quality"]["ci_low"]) >= 0.96
                    && num(&r["e2e_latency_ms"]["p95"]["ci_high"]) <= 7000.0;
                let c = class(r, "chat");
                ok && chat.is_none_or(|t| num(&c["e2e_latency_ms"]["p95"]["ci_high"]) <= t)
            })
            .min_by(|&i, &j| {
                num(&points[i]["result"]["cost_per_request"]["mean"])
                    .total_cmp(&num(&points[j]["result"]["cost_per_request"]["mean"]))
            })
    };
    let rec = |v: &Value| v["recommendation"]["point"].as_u64().map(|p| p as usize);
    assert_eq!(rec(&with), by_hand(&with, Some(chat_p95)));
    assert_eq!(rec(&without), by_hand(&without, None));
    assert_ne!(rec(&with), rec(&without), "the chat target should bind");
    // Each point's verdict carries the class's check.
    let checks = with["points"][0]["verdict"]["checks"].as_array().unwrap();
    assert_eq!(checks.last().unwrap()["class"], "chat");
    assert_eq!(with["targets"]["classes"][0]["p95_latency_ms"], chat_p95);
}

#[test]
fn compare_names_both_files() {
    let a = fixture(&scenario(""));
    let b = fixture(&scenario(""));
    let (pa, pb) = (a.scenario.to_str().unwrap(), b.scenario.to_str().unwrap());
    let out = simroute().args(["compare", pa, pb]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let head: Vec<&str> = text.lines().take(2).collect();
    assert!(
        head[0].starts_with(&format!("compare A = {pa} (scenario t, pricing ")),
        "{text}"
    );
    assert!(
        head[1].starts_with(&format!("   with B = {pb} (scenario t, pricing ")),
        "{text}"
    );
    let out = simroute()
        .args(["compare", pa, pb, "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["a"]["path"], pa);
    assert_eq!(v["b"]["path"], pb);
}
