//! `simroute compare`: paired changes against hand computation.

mod common;

use assert_cmd::Command;
use common::*;
use serde_json::Value;

/// Fixed tokens (1000 in, 100 out), AUC 0.7 cascade small -> large at threshold 0.5.
fn scenario(pricing: &str) -> String {
    header(5_000, 5).replace("pricing.toml", pricing)
        + "[models.s]\nprice = \"small\"\nskill = 0.5\nconfidence_auc = 0.7\n\n\
           [models.l]\nprice = \"large\"\nskill = 0.9\n\n\
           [[traffic]]\nname = \"all\"\nshare = 1\ninput_tokens = 1000\noutput_tokens = 100\ndifficulty = 0.5\n\n\
           [[policy]]\nname = \"big\"\nroute = [\"l\"]\n\n\
           [[policy]]\nname = \"cascade\"\nroute = [\"s\", \"l\"]\nthreshold = 0.5\n"
}

fn compare(b_pricing: &str, b_extra: &str) -> Value {
    let f = fixture(&scenario("pricing.toml"));
    std::fs::write(f.dir.path().join("b-pricing.toml"), b_pricing).unwrap();
    let b = f.dir.path().join("b.toml");
    std::fs::write(&b, scenario("b-pricing.toml") + b_extra).unwrap();
    let out = Command::cargo_bin("simroute")
        .unwrap()
        .args([
            "compare",
            f.scenario.to_str().unwrap(),
            b.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn delta<'a>(v: &'a Value, policy: &str, metric: &str) -> &'a Value {
    v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == policy)
        .unwrap()["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["metric"] == metric)
        .unwrap()
}

fn num(v: &Value, path: &[&str]) -> f64 {
    path.iter().fold(v, |v, k| &v[*k]).as_f64().unwrap()
}

#[test]
fn a_price_change_is_exact_and_paired() {
    // B doubles large's input price: +1000 × $10/M = +$0.01 on every call to large.
    let doubled = PRICING.replacen("input = 10.0", "input = 20.0", 1);
    let v = compare(&doubled, "[[policy]]\nname = \"only-b\"\nroute = [\"s\"]\n");
    let big = delta(&v, "big", "cost_per_request_usd");
    // No eval set: the intervals are Monte Carlo CIs across replications.
    assert_eq!(v["interval"], "replications");
    assert_close("big A", num(big, &["a", "mean"]), 0.012, 1e-12);
    assert_close("big B", num(big, &["b", "mean"]), 0.022, 1e-12);
    assert_close("big change", num(big, &["change", "mean"]), 0.01, 1e-9);
    assert!(num(big, &["change", "ci_high"]) - num(big, &["change", "ci_low"]) < 1e-12);
    assert_close("relative", num(big, &["relative"]), 0.01 / 0.012, 1e-9);
    // The cascade calls large on escalated requests only; the same draws on both
    // sides make the escalation identical and the change exactly escalation × $0.01.
    let esc = delta(&v, "cascade", "escalation_rate");
    assert_eq!(num(esc, &["change", "mean"]), 0.0);
    let e = num(esc, &["a", "mean"]);
    assert!(e > 0.1 && e < 0.9);
    let cost = delta(&v, "cascade", "cost_per_request_usd");
    assert_close(
        "cascade change",
        num(cost, &["change", "mean"]),
        e * 0.01,
        1e-9,
    );
    // Quality and latency do not depend on prices.
    let q = delta(&v, "cascade", "quality");
    assert_eq!(num(q, &["change", "mean"]), 0.0);
    assert_eq!(v["only_in_b"], serde_json::json!(["only-b"]));
    assert_eq!(v["only_in_a"], serde_json::json!([]));
}

#[test]
fn different_replication_counts_are_a_usage_error() {
    let f = fixture(&scenario("pricing.toml"));
    let b = f.dir.path().join("b.toml");
    std::fs::write(
        &b,
        scenario("pricing.toml").replace("replications = 5", "replications = 3"),
    )
    .unwrap();
    let out = Command::cargo_bin("simroute")
        .unwrap()
        .args(["compare", f.scenario.to_str().unwrap(), b.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("has 5 replications and"), "{stderr}");
    assert!(stderr.contains("pass --replications N"), "{stderr}");
}
