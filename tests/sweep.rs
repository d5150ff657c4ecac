//! `simroute sweep` end to end: a recommendation computed by hand, the link to
//! `run`, and bad input.

mod common;

use assert_cmd::Command;
use common::*;
use serde_json::Value;

fn simroute() -> Command {
    Command::cargo_bin("simroute").unwrap()
}

/// AUC 0.5 (confidence says nothing), fixed difficulty 0.5, fixed tokens: at
/// threshold t the cascade escalates a share t, so
///   quality(t) = (1 − t)·p_s + t·p_l,  p_s = 1/(1+e⁰) = 0.5, p_l = 1/(1+e⁻⁴) = 0.98201
///   cost(t)    = $0.0012 + t·$0.012.
/// With a quality target of 0.80, t* = (0.80 − 0.5)/(0.98201 − 0.5) = 0.6224: on the
/// grid 0.1..0.9:0.1 the cheapest setting that clears it is 0.7 (quality 0.8374),
/// while 0.6 misses (0.7892). The CIs (±0.002 here) are far from both margins.
fn scenario(target: &str) -> String {
    format!(
        "{}[models.s]\nprice = \"small\"\nskill = 0.5\nconfidence_auc = 0.5\n\n\
         [models.l]\nprice = \"large\"\nskill = 0.9\n\n\
         [[traffic]]\nname = \"all\"\nshare = 1\ninput_tokens = 1000\noutput_tokens = 100\ndifficulty = 0.5\n\n\
         [[policy]]\nname = \"big\"\nroute = [\"l\"]\n\n\
         [[policy]]\nname = \"cascade\"\nroute = [\"s\", \"l\"]\nthreshold = 0.5\n\n\
         [targets]\n{target}\n",
        header(10_000, 20)
    )
}

fn sweep_json(f: &Fixture, args: &[&str]) -> Value {
    let mut all = vec!["sweep", f.scenario.to_str().unwrap()];
    all.extend_from_slice(args);
    run_json(f.dir.path(), &all)
}

#[test]
fn the_recommendation_is_the_hand_computed_threshold() {
    let f = fixture(&scenario("quality = 0.80"));
    let v = sweep_json(
        &f,
        &["--policy", "cascade", "--param", "threshold=0.1..0.9:0.1"],
    );
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 9);
    let i = v["recommendation"]["point"].as_u64().unwrap() as usize;
    assert_eq!(points[i]["values"][0], 0.7);
    assert_eq!(points[i]["label"], "threshold=0.7");
    assert!(
        v["recommendation"]["straddling"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Every point against the closed forms.
    let (ps, pl) = (0.5, 1.0 / (1.0 + (-4f64).exp()));
    for p in points {
        let t = p["values"][0].as_f64().unwrap();
        let r = &p["result"];
        let q = r["quality"]["mean"].as_f64().unwrap();
        assert!(
            (q - ((1.0 - t) * ps + t * pl)).abs() < 0.01,
            "t={t}: quality {q}"
        );
        let e = r["escalation_rate"]["mean"].as_f64().unwrap();
        assert!((e - t).abs() < 0.01, "t={t}: escalation {e}");
        let c = r["cost_per_request"]["mean"].as_f64().unwrap();
        assert_close("cost", c, 0.0012 + e * 0.012, 1e-9);
        let want = if t < 0.65 { "misses" } else { "clears" };
        assert_eq!(p["verdict"]["quality"], want, "t={t}");
    }
}

#[test]
fn no_setting_meets_an_unreachable_target_and_the_binding_one_is_named() {
    // Quality can never exceed p_l = 0.982.
    let f = fixture(&scenario("quality = 0.99"));
    let v = sweep_json(
        &f,
        &["--policy", "cascade", "--param", "threshold=0.2,0.5,0.8"],
    );
    assert!(v["recommendation"]["point"].is_null());
    assert_eq!(
        v["recommendation"]["binding"],
        serde_json::json!(["quality"])
    );
    let text = simroute()
        .args(["sweep", f.scenario.to_str().unwrap(), "--policy", "cascade"])
        .args(["--param", "threshold=0.2,0.5,0.8"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(
        stdout.contains("no setting meets the targets: no setting clears quality"),
        "{stdout}"
    );
}

#[test]
fn a_sweep_point_at_the_file_value_reproduces_run() {
    // Same seed, same draws: the sweep's threshold=0.5 is the run's cascade.
    let f = fixture(&scenario("quality = 0.8"));
    let v = sweep_json(&f, &["--policy", "cascade", "--param", "threshold=0.3,0.5"]);
    let out = simroute()
        .args(["run", f.scenario.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut from_run = run["policies"][1].clone();
    let mut from_sweep = v["points"][1]["result"].clone();
    assert_eq!(from_run["name"], "cascade");
    // The pooled CDF is per pass; every figure with an interval must agree.
    from_run["latency_cdf"] = Value::Null;
    from_sweep["latency_cdf"] = Value::Null;
    assert_eq!(from_run, from_sweep);
}

#[test]
fn points_past_the_first_pass_of_a_long_sweep_reproduce_run_too() {
    // 70 points: the engine routes them in passes of 64 on the same draws; the
    // point at the file's value (0.5, the 70th) is in the second pass.
    let f = fixture(&scenario("quality = 0.8"));
    let values: Vec<String> = (0..69)
        .map(|i| format!("{}", 0.01 * (i + 1) as f64))
        .chain(["0.5".to_string()])
        .collect();
    let arg = format!("threshold={}", values.join(","));
    let v = sweep_json(
        &f,
        &["--policy", "cascade", "--param", &arg, "--requests", "4000"],
    );
    let out = simroute()
        .args(["run", f.scenario.to_str().unwrap(), "--format", "json"])
        .args(["--requests", "4000"])
        .output()
        .unwrap();
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut from_run = run["policies"][1].clone();
    let mut from_sweep = v["points"][69]["result"].clone();
    from_run["latency_cdf"] = Value::Null;
    from_sweep["latency_cdf"] = Value::Null;
    assert_eq!(from_run, from_sweep);
    // And the first pass's 0.5 agrees with it.
    let mut first = v["points"][49]["result"].clone();
    assert_eq!(v["points"][49]["label"], "threshold=0.5");
    first["latency_cdf"] = Value::Null;
    assert_eq!(first, from_sweep);
}

#[test]
fn a_grid_of_more_than_10000_points_is_refused() {
    sweep_fails(
        &[
            "--policy",
            "cascade",
            "--param",
            "threshold=0..1:0.01",
            "--param",
            "models.s.skill=0..1:0.01",
        ],
        "a grid of 10201 points (101 values of threshold × 101 values of models.s.skill) is more than 10000",
    );
}

#[test]
fn a_grid_of_two_parameters_varies_the_last_fastest() {
    let f = fixture(&scenario("quality = 0.8"));
    let v = sweep_json(
        &f,
        &[
            "--policy",
            "cascade",
            "--param",
            "threshold=0.2,0.8",
            "--param",
            "models.l.price.input=10,5",
            "--requests",
            "2000",
            "--replications",
            "3",
        ],
    );
    let labels: Vec<&str> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "threshold=0.2, models.l.price.input=10",
            "threshold=0.2, models.l.price.input=5",
            "threshold=0.8, models.l.price.input=10",
            "threshold=0.8, models.l.price.input=5",
        ]
    );
    assert_eq!(
        v["params"],
        serde_json::json!(["policy.cascade.threshold", "models.l.price.input"])
    );
    // Halving large's input price takes 1000 × $5/M = $0.005 off each escalated call.
    let cost = |i: usize| {
        v["points"][i]["result"]["cost_per_request"]["mean"]
            .as_f64()
            .unwrap()
    };
    let esc = |i: usize| {
        v["points"][i]["result"]["escalation_rate"]["mean"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(
        esc(0),
        esc(1),
        "common random numbers across the price values"
    );
    assert_close("price cut", cost(0) - cost(1), esc(0) * 0.005, 1e-9);
}

fn sweep_fails(args: &[&str], want: &str) {
    let f = fixture(&scenario("quality = 0.8"));
    let out = simroute()
        .args(["sweep", f.scenario.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(want),
        "{args:?}: expected {want:?} in {stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing printed on failure");
}

#[test]
fn bad_sweeps_are_usage_errors() {
    sweep_fails(
        &["--policy", "cascade", "--param", "models.s.skil=0.5"],
        "`models.s.skil` is not a numeric key of the scenario or its pricing table (did you mean `models.s.skill`?)",
    );
    sweep_fails(
        &["--policy", "cascade", "--param", "treshold=0.5"],
        "(did you mean `policy.cascade.threshold`?)",
    );
    sweep_fails(
        &["--policy", "cascade", "--param", "threshold=0.1..0.9:0"],
        "the step must be greater than 0",
    );
    sweep_fails(
        &["--policy", "cascade", "--param", "threshold=0.1..0.9:-0.1"],
        "the step must be greater than 0",
    );
    sweep_fails(
        &["--policy", "cascade", "--param", "threshold=0.5,1.5"],
        "--param threshold=1.5: the scenario is not valid with these values: policy[1].threshold: 1.5 is out of range",
    );
    sweep_fails(
        &["--policy", "cascade", "--param", "models.s.skill=-1"],
        "models.s.skill: -1 is out of range",
    );
    sweep_fails(
        &["--policy", "cascadee", "--param", "threshold=0.5"],
        "--policy: no policy is named \"cascadee\"",
    );
    sweep_fails(
        &["--policy", "cascade", "--param", "policy.big.threshold=0.5"],
        "is not a numeric key",
    );
    // A whole-number key given a fraction: said in words, not serde's type names.
    sweep_fails(
        &[
            "--policy",
            "cascade",
            "--param",
            "scenario.replications=2.5",
        ],
        "--param scenario.replications=2.5: the scenario is not valid with these values: expected a whole number (at least 0), found 2.5",
    );
}

#[test]
fn unwritable_outputs_fail_before_the_run_and_write_nothing() {
    let f = fixture(&scenario("quality = 0.8"));
    // A file where the charts folder should be.
    let blocker = f.dir.path().join("blocker");
    std::fs::write(&blocker, "not a folder").unwrap();
    let charts = blocker.join("charts");
    let before = std::fs::read_dir(f.dir.path()).unwrap().count();
    sweep_fails(
        &[
            "--policy",
            "cascade",
            "--param",
            "threshold=0.5",
            "--charts",
            charts.to_str().unwrap(),
        ],
        "is not a folder",
    );
    let report = f.dir.path().join("missing").join("review.md");
    sweep_fails(
        &[
            "--policy",
            "cascade",
            "--param",
            "threshold=0.5",
            "--report",
            report.to_str().unwrap(),
        ],
        "does not exist",
    );
    // Nothing was created next to the scenario.
    assert_eq!(std::fs::read_dir(f.dir.path()).unwrap().count(), before);
}

#[test]
fn charts_and_report_are_written_and_linked() {
    let f = fixture(&scenario("quality = 0.8"));
    let dir = f.dir.path().join("out");
    let report = f.dir.path().join("review.md");
    let out = simroute()
        .args(["sweep", f.scenario.to_str().unwrap(), "--policy", "cascade"])
        .args([
            "--param",
            "threshold=0.3,0.7",
            "--requests",
            "2000",
            "--replications",
            "3",
        ])
        .args([
            "--charts",
            dir.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No progress bar or other noise when stderr is not a terminal.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "t-breakdown.svg",
            "t-cost-curve.svg",
            "t-frontier.svg",
            "t-latency.svg"
        ]
    );
    let text = std::fs::read_to_string(&report).unwrap();
    for want in [
        "# t: sweep of `cascade` over policy.cascade.threshold",
        "## Recommendation",
        "| 0.7 | $",
        "| all | 100.0% | interactive | 1,000 | 100 |",
        "![t-cost-curve](out/t-cost-curve.svg)",
        "## Reproduce",
        "simroute sweep ",
    ] {
        assert!(text.contains(want), "report lacks {want:?}:\n{text}");
    }
}
