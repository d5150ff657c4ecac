//! Issue 9: no silent wrong figure. Each test is a case that printed a wrong
//! figure (or a NaN) without a word before, checked against a hand computation or
//! against a clear refusal.

mod common;

use assert_cmd::Command;
use common::*;
use serde_json::Value;

fn simroute() -> Command {
    Command::cargo_bin("simroute").unwrap()
}

/// A pricing table with one very expensive model, at the largest prices the
/// format accepts, and a cheap one.
const DEAR: &str = r#"
[meta]
region = "test-region"
currency = "USD"
unit = "per 1M tokens"
as_of = "2026-01-01"
source = "made up for tests"

[models.dear]
input = 5000.0
output = 10000.0
cache_read = 500.0
cache_write = 6250.0
ttft_ms = 500
output_tokens_per_s = 100

[models.rerank]
per_request = 10000.0
"#;

fn dear_scenario(traffic: &str) -> String {
    format!(
        "{}[models.d]\nprice = \"dear\"\nskill = 0.5\n\n[models.r]\nprice = \"rerank\"\n\n{traffic}\n[[policy]]\nname = \"p\"\nroute = [\"d\"]\n",
        header(50, 2)
    )
}

fn run_json(f: &Fixture, args: &[&str]) -> Value {
    let out = simroute()
        .arg("run")
        .arg(&f.scenario)
        .args(["--format", "json", "--threads", "2"])
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

fn dear_fixture(traffic: &str) -> Fixture {
    let f = fixture(&dear_scenario(traffic));
    std::fs::write(f.dir.path().join("pricing.toml"), DEAR).unwrap();
    f
}

fn bad(f: &Fixture, args: &[&str]) -> String {
    let out = simroute()
        .arg("run")
        .arg(&f.scenario)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_call_above_18446_dollars_is_priced_exactly() {
    // 4,000,000 input tokens at $5,000/M = $20,000; 1 output token at
    // $10,000/M = $0.01. A u64 of femto-dollars wraps at $18,446.74.
    let f = dear_fixture(
        "[[traffic]]\nname = \"t\"\nshare = 1\ninput_tokens = 4000000\noutput_tokens = 1\ndifficulty = 0.5\n",
    );
    let v = run_json(&f, &[]);
    let p = &v["policies"][0];
    assert_eq!(p["cost_per_request"]["mean"].as_f64().unwrap(), 20_000.01);
    assert_eq!(p["cost_by_model"][0]["input"].as_f64().unwrap(), 20_000.0);
    assert_eq!(p["cost_per_1k"]["mean"].as_f64().unwrap(), 20_000_010.0);
}

#[test]
fn two_per_request_extra_calls_at_the_largest_price_add_up() {
    // Two $10,000 calls and the answer (1 input token at $5,000/M = $0.005,
    // 1 output token at $10,000/M = $0.01): $20,000.015, as the breakdown says.
    let f = dear_fixture(
        "[[traffic]]\nname = \"t\"\nshare = 1\ninput_tokens = 1\noutput_tokens = 1\ndifficulty = 0.5\nextra_calls = [{ model = \"r\" }, { model = \"r\" }]\n",
    );
    let v = run_json(&f, &[]);
    let p = &v["policies"][0];
    let cost = p["cost_per_request"]["mean"].as_f64().unwrap();
    assert_close("cost", cost, 20_000.015, 1e-12);
    let models = p["cost_by_model"].as_array().unwrap();
    let sum: f64 = models.iter().map(|m| m["total"].as_f64().unwrap()).sum();
    assert_close("breakdown", sum, cost, 1e-12);
}

#[test]
fn a_logged_record_at_the_token_cap_is_priced_like_the_as_logged_row() {
    // One record of 10,000,000 input tokens (the most a record may hold) on the
    // dear model: $50,000, plus one output token ($0.01), both as simulated and
    // as logged.
    let f = dear_fixture("[[traffic]]\nname = \"t\"\nlog = \"log.csv\"\ndifficulty = 0.5\n");
    std::fs::write(
        f.dir.path().join("log.csv"),
        "class,input_tokens,output_tokens,model\nt,10000000,1,dear\n",
    )
    .unwrap();
    let v = run_json(&f, &["--replay", "exact"]);
    let policy = v["policies"][0]["cost_per_request"]["mean"]
        .as_f64()
        .unwrap();
    let logged = v["as_logged"]["cost_per_request"].as_f64().unwrap();
    assert_eq!(policy, 50_000.01);
    assert_eq!(logged, 50_000.01);
}

#[test]
fn quote_has_room_for_any_token_count() {
    // 10,000,000,000 tokens at $3/M is $30,000.
    let dir = tempfile::tempdir().unwrap();
    let pricing = dir.path().join("p.toml");
    std::fs::write(&pricing, PRICING.replace("input = 10.0", "input = 3.0")).unwrap();
    let out = simroute()
        .args(["quote", "--pricing"])
        .arg(&pricing)
        .args([
            "--model",
            "large",
            "--input",
            "10000000000",
            "--output",
            "0",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total_usd"].as_f64().unwrap(), 30_000.0);
}

#[test]
fn a_lognormal_reaching_past_the_token_cap_is_refused_with_the_largest_p95() {
    // Median 1,000 and p95 1,000,000: sigma = ln(1000)/1.6449 = 4.1996, and
    // Φ(sigma − ln(10^7/1000)/sigma) = Φ(2.0065) = 97.8% of the mean lies above
    // 10M tokens. The largest p95 with at most 0.01% there: sigma solves
    // sigma² + 3.7190·sigma − 9.2103 = 0, sigma = 1.6997, p95 = 1000·e^(1.6997·1.6449)
    // = 16,375.
    let f = fixture(&format!(
        "{}[models.s]\nprice = \"small\"\nskill = 0.5\n\n[[traffic]]\nname = \"t\"\nshare = 1\ninput_tokens = {{ median = 1000, p95 = 1000000 }}\noutput_tokens = 10\ndifficulty = 0.5\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n",
        header(50, 2)
    ));
    let err = bad(&f, &[]);
    assert!(err.contains("traffic[0].input_tokens.p95"), "{err}");
    assert!(
        err.contains("98% of its mean above 10,000,000 tokens"),
        "{err}"
    );
    assert!(err.contains("at most about 16,375"), "{err}");
    // At that p95, it runs.
    std::fs::write(
        &f.scenario,
        std::fs::read_to_string(&f.scenario)
            .unwrap()
            .replace("p95 = 1000000", "p95 = 16375"),
    )
    .unwrap();
    run_json(&f, &[]);
}

#[test]
fn a_fixed_count_above_the_token_cap_is_refused() {
    let f = fixture(&format!(
        "{}[models.s]\nprice = \"small\"\nskill = 0.5\n\n[[traffic]]\nname = \"t\"\nshare = 1\ninput_tokens = 10000001\noutput_tokens = 10\ndifficulty = 0.5\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n",
        header(50, 2)
    ));
    let err = bad(&f, &[]);
    assert!(err.contains("traffic[0].input_tokens"), "{err}");
    assert!(err.contains("at most 10,000,000"), "{err}");
}

fn small_scenario(extra_header: &str) -> Fixture {
    fixture(&format!(
        "{}{extra_header}[models.s]\nprice = \"small\"\nskill = 0.5\n\n[[traffic]]\nname = \"t\"\nshare = 1\ninput_tokens = 100\noutput_tokens = 10\ndifficulty = 0.5\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n",
        header(50, 2).replace("monthly_requests = 1000000\n", "")
    ))
}

#[test]
fn absurd_monthly_requests_are_refused_not_printed_as_infinity() {
    for v in ["1e308", "1e14", "inf", "nan"] {
        let f = small_scenario(&format!("monthly_requests = {v}\n"));
        let err = bad(&f, &[]);
        assert!(err.contains("scenario.monthly_requests"), "{v}: {err}");
    }
    // The bound itself is accepted, and every figure stays a finite number.
    let f = small_scenario("monthly_requests = 1e13\n");
    let v = run_json(&f, &[]);
    let month = &v["policies"][0]["cost_per_month"];
    for k in ["mean", "ci_low", "ci_high"] {
        assert!(month[k].as_f64().unwrap().is_finite(), "{month}");
    }
}

#[test]
fn more_requests_than_the_bound_are_refused() {
    let f = small_scenario("monthly_requests = 1000\n");
    let err = bad(&f, &["--requests", "1000000000001"]);
    assert!(err.contains("--requests"), "{err}");
    assert!(err.contains("at most 1,000,000,000,000"), "{err}");
    std::fs::write(
        &f.scenario,
        std::fs::read_to_string(&f.scenario)
            .unwrap()
            .replace("requests = 50", "requests = 2000000000000"),
    )
    .unwrap();
    let err = bad(&f, &[]);
    assert!(err.contains("scenario.requests"), "{err}");
}

#[test]
fn a_latency_spread_that_would_draw_nan_is_refused() {
    // A p95 a million times the median: exp(mu + sigma·z) overflows for large z,
    // and a speed near 0 makes a NaN or infinite latency.
    for (key, value) in [
        ("ttft_ms", "{ median = 500, p95 = 5e8 }"),
        ("output_tokens_per_s", "{ median = 100, p95 = 1e8 }"),
    ] {
        let f = fixture(&format!(
            "{}[models.s]\nprice = \"small\"\nskill = 0.5\n{key} = {value}\n\n[[traffic]]\nname = \"t\"\nshare = 1\ninput_tokens = 100\noutput_tokens = 10\ndifficulty = 0.5\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n",
            header(50, 2)
        ));
        let err = bad(&f, &[]);
        assert!(err.contains(&format!("models.s.{key}.p95")), "{err}");
        assert!(err.contains("the p95 can be at most about"), "{err}");
    }
}

#[test]
fn an_exact_replay_of_a_log_that_changed_since_it_was_read_stops() {
    // Same number of records, ten times the tokens: the count alone cannot tell.
    let body = format!(
        "{}replay = \"exact\"\n[models.s]\nprice = \"small\"\nskill = 0.5\n\n[[traffic]]\nname = \"t\"\nlog = \"log.csv\"\ndifficulty = 0.5\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n",
        header(50, 2)
    );
    let f = fixture(&body);
    let log = f.dir.path().join("log.csv");
    std::fs::write(&log, "input_tokens,output_tokens\n100,10\n200,20\n").unwrap();
    let s = simroute::scenario::Scenario::load(&f.scenario).unwrap();
    std::fs::write(&log, "input_tokens,output_tokens\n1000,100\n2000,200\n").unwrap();
    let err = simroute::engine::simulate(&s, Some(1)).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("the log changed while simroute ran"), "{msg}");
    assert!(msg.contains("log.csv"), "{msg}");
    // An unchanged log replays.
    std::fs::write(&log, "input_tokens,output_tokens\n100,10\n200,20\n").unwrap();
    simroute::engine::simulate(&s, Some(1)).unwrap();
}

// ---------------------------------------------------------------------------
// Files it must never touch (issue 9 §2).

/// A small scenario in a fresh folder, with a log and an eval-free setup.
fn quick() -> Fixture {
    small_scenario("monthly_requests = 1000\n")
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn refused(f: &Fixture, args: &[&str], fragment: &str) {
    let before = entries(f.dir.path());
    let err = bad(f, args);
    assert!(err.contains(fragment), "{args:?}: {err}");
    assert_eq!(entries(f.dir.path()), before, "{args:?} created a file");
}

#[test]
fn the_report_never_replaces_an_input_a_device_a_link_or_a_read_only_file() {
    let f = quick();
    let scenario_text = std::fs::read_to_string(&f.scenario).unwrap();
    let pricing = f.dir.path().join("pricing.toml");
    // The scenario, by its own name and by another spelling; the pricing table.
    let other_spelling = f.dir.path().join(".").join("scenario.toml");
    for input in [&f.scenario, &other_spelling, &pricing] {
        refused(
            &f,
            &["--report", input.to_str().unwrap()],
            "an input of this run",
        );
    }
    assert_eq!(std::fs::read_to_string(&f.scenario).unwrap(), scenario_text);
    assert_eq!(std::fs::read_to_string(&pricing).unwrap(), PRICING);

    // A device stays a device.
    refused(&f, &["--report", "/dev/null"], "not a regular file");
    assert!(!std::fs::metadata("/dev/null").unwrap().is_file());

    // A link, and the file it points to, stay as they are.
    let target = f.dir.path().join("target.md");
    std::fs::write(&target, "keep").unwrap();
    let link = f.dir.path().join("link.md");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    refused(&f, &["--report", link.to_str().unwrap()], "symbolic link");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");

    // A read-only report is kept.
    let ro = f.dir.path().join("ro.md");
    std::fs::write(&ro, "keep").unwrap();
    let mut p = std::fs::metadata(&ro).unwrap().permissions();
    p.set_readonly(true);
    std::fs::set_permissions(&ro, p).unwrap();
    refused(&f, &["--report", ro.to_str().unwrap()], "read-only");
    assert_eq!(std::fs::read_to_string(&ro).unwrap(), "keep");

    // A regular file the user named is replaced, and nothing else is left.
    let report = f.dir.path().join("review.md");
    std::fs::write(&report, "old").unwrap();
    let before = entries(f.dir.path());
    let out = simroute()
        .arg("run")
        .arg(&f.scenario)
        .args(["--report", report.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(std::fs::read_to_string(&report).unwrap().starts_with("# "));
    assert_eq!(entries(f.dir.path()), before);
}

#[test]
fn a_log_named_as_the_report_is_refused() {
    let body = format!(
        "{}[models.s]\nprice = \"small\"\nskill = 0.5\n\n[[traffic]]\nname = \"t\"\nlog = \"log.csv\"\ndifficulty = 0.5\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n",
        header(50, 2)
    );
    let f = fixture(&body);
    let log = f.dir.path().join("log.csv");
    std::fs::write(&log, "input_tokens,output_tokens\n100,10\n").unwrap();
    refused(
        &f,
        &["--report", log.to_str().unwrap()],
        "an input of this run",
    );
}

#[test]
fn chart_names_too_long_and_clashing_outputs_are_refused_before_the_run() {
    let long = format!(
        "{}[models.s]\nprice = \"small\"\nskill = 0.5\n\n[[traffic]]\nname = \"t\"\nshare = 1\ninput_tokens = 100\noutput_tokens = 10\ndifficulty = 0.5\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n",
        header(50, 2).replace("name = \"t\"", &format!("name = \"{}\"", "n".repeat(250)))
    );
    let f = fixture(&long);
    let charts = f.dir.path().join("charts");
    refused(
        &f,
        &["--charts", charts.to_str().unwrap()],
        "more than file systems allow (255)",
    );
    assert!(!charts.exists(), "the charts folder was created");

    // The report where a chart goes.
    let f = quick();
    let charts = f.dir.path().join("charts");
    let clash = charts.join("t-latency.svg");
    refused(
        &f,
        &[
            "--charts",
            charts.to_str().unwrap(),
            "--report",
            clash.to_str().unwrap(),
        ],
        "writes the same file",
    );
}

fn generate(f: &Fixture, out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    simroute()
        .arg("generate-log")
        .arg(&f.scenario)
        .args(["--records", "10", "--out", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn generate_log_replaces_an_existing_file_only_with_force_and_never_an_input() {
    let f = quick();
    let out = f.dir.path().join("log.jsonl");
    std::fs::write(&out, "old").unwrap();
    let o = generate(&f, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("pass --force"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
    let o = generate(&f, &out, &["--force"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 10);
    // --force does not make an input fair game.
    let text = std::fs::read_to_string(&f.scenario).unwrap();
    let o = generate(&f, &f.scenario, &["--force"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("an input of this run"));
    assert_eq!(std::fs::read_to_string(&f.scenario).unwrap(), text);
}

#[test]
fn an_interrupted_generate_log_leaves_no_file() {
    let f = quick();
    let out = f.dir.path().join("big.jsonl");
    let before = entries(f.dir.path());
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("simroute"))
        .arg("generate-log")
        .arg(&f.scenario)
        .args(["--records", "50000000", "--out", out.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the temporary file exists, then interrupt.
    let start = std::time::Instant::now();
    while entries(f.dir.path()).len() == before.len() {
        assert!(start.elapsed().as_secs() < 30, "no temporary file appeared");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("interrupted"));
    assert_eq!(entries(f.dir.path()), before);
}

// ---------------------------------------------------------------------------
// Bounded resources, and an honest estimate (issue 9 §3).

#[test]
fn a_line_longer_than_the_limit_is_refused_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.csv");
    let long = format!(
        "class,input_tokens,output_tokens\nt,1,1\n{}\n",
        "x".repeat(5000)
    );
    std::fs::write(&log, long).unwrap();
    let out = simroute()
        .arg("fit")
        .arg(&log)
        .env("SIMROUTE_MAX_LINE_BYTES", "1000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("longer than 1,000 bytes"), "{err}");
    assert!(err.contains("SIMROUTE_MAX_LINE_BYTES"), "{err}");
    assert!(err.contains("log.csv"), "{err}");
}

#[test]
fn a_gzip_bomb_is_refused_naming_the_ratio() {
    // 72 MiB of one short CSV record, compressed about 1,000 times.
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bomb.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&log).unwrap(),
        flate2::Compression::best(),
    );
    gz.write_all(b"class,input_tokens,output_tokens\n").unwrap();
    let block = b"t,1,1\n".repeat(1 << 16);
    for _ in 0..(72 << 20) / block.len() {
        gz.write_all(&block).unwrap();
    }
    gz.finish().unwrap();
    let compressed = std::fs::metadata(&log).unwrap().len();
    assert!(compressed < 1 << 20, "{compressed}");
    let out = simroute().arg("fit").arg(&log).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("more than 100 times its compressed size"),
        "{err}"
    );
    assert!(err.contains("SIMROUTE_MAX_GZIP_RATIO"), "{err}");
}

#[test]
fn validate_keeps_no_logged_record() {
    let body = format!(
        "{}[models.s]\nprice = \"small\"\nskill = 0.5\n\n[[traffic]]\nname = \"t\"\nlog = \"log.csv\"\ndifficulty = 0.5\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n",
        header(50, 2)
    );
    let f = fixture(&body);
    std::fs::write(
        f.dir.path().join("log.csv"),
        "input_tokens,output_tokens\n100,10\n200,20\n300,30\n",
    )
    .unwrap();
    let load = |check_only| {
        let opts = simroute::scenario::LoadOptions {
            check_only,
            ..Default::default()
        };
        let s = simroute::scenario::Scenario::load_with(&f.scenario, &opts).unwrap();
        let class = &s.measured.logs[0].classes["t"];
        (class.count, class.records.len())
    };
    assert_eq!(load(false), (3, 3));
    assert_eq!(load(true), (3, 0));
    // validate says what a run would do.
    let out = simroute()
        .arg("validate")
        .arg(&f.scenario)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("work: 50 requests x 2 replications x 1 policies"),
        "{text}"
    );
}

#[test]
fn progress_moves_within_a_replication() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let f = quick();
    let mut s = simroute::scenario::Scenario::load(&f.scenario).unwrap();
    // Three full chunks and a bit, twice.
    s.requests = 3 * simroute::engine::CHUNK + 5;
    s.replications = 2;
    let (calls, total) = (AtomicU64::new(0), AtomicU64::new(0));
    simroute::engine::simulate_raw(&s, &|n| {
        calls.fetch_add(1, Ordering::Relaxed);
        total.fetch_add(n, Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(total.into_inner(), simroute::engine::total_requests(&s));
    assert_eq!(
        calls.into_inner(),
        8,
        "one call per chunk of each replication"
    );
}

#[test]
fn threads_beyond_the_cores_are_capped_with_a_note() {
    let f = quick();
    let out = simroute()
        .arg("run")
        .arg(&f.scenario)
        .args(["--threads", "60000", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("note: --threads 60000 is more than"), "{err}");
}

#[test]
fn a_long_run_announces_its_size_and_duration_first() {
    let f = quick();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("simroute"))
        .arg("run")
        .arg(&f.scenario)
        .args(["--requests", "1000000000000"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The note comes before any simulation: read it, then stop the run.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        line.starts_with(
            "note: run: 1,000,000,000,000 requests x 2 replications x 1 policies; about "
        ),
        "{line}"
    );
    assert!(line.contains("Ctrl-C stops it"), "{line}");
}

#[test]
fn a_prompt_of_input_and_cached_prefix_above_the_cap_is_refused() {
    // The uncached input and the cached prefix are one prompt: 9,000,000 +
    // 2,000,000 tokens is more than any model reads (generate-log wrote such
    // records as one inputTokenCount that the log reader then refused; found by
    // fuzzing).
    let body = |input: &str| {
        format!(
            "{}[models.s]\nprice = \"small\"\nskill = 0.5\n\n[[traffic]]\nname = \"t\"\nshare = 1\ninput_tokens = {input}\noutput_tokens = 10\ncached_prefix_tokens = 2000000\ncache_hit_rate = 0.5\ndifficulty = 0.5\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n",
            header(50, 2)
        )
    };
    let f = fixture(&body("9000000"));
    let err = bad(&f, &[]);
    assert!(err.contains("traffic[0].input_tokens"), "{err}");
    assert!(err.contains("a prompt of 11,000,000 tokens"), "{err}");
    // A lognormal reaching past 8,000,000 (the cap less the prefix).
    let f = fixture(&body("{ median = 1000000, p95 = 9000000 }"));
    let err = bad(&f, &[]);
    assert!(err.contains("above 8,000,000 tokens"), "{err}");
    assert!(err.contains("less the cached prefix"), "{err}");
    // At 8,000,000 it runs.
    let f = fixture(&body("8000000"));
    run_json(&f, &[]);
}

#[test]
fn generate_log_refuses_timestamps_it_cannot_write() {
    // Found by fuzzing: at monthly_requests = 0 the timestamps' arithmetic
    // overflowed (a panic in debug builds); a huge --records at a slow rate
    // runs past any date.
    let f = small_scenario("monthly_requests = 0\n");
    let out = f.dir.path().join("log.jsonl");
    let o = generate(&f, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("monthly_requests is 0"), "{err}");
    assert!(!out.exists());
    let f = small_scenario("monthly_requests = 1\n");
    let o = simroute()
        .arg("generate-log")
        .arg(&f.scenario)
        .args(["--records", "100000000000", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("past the year 9999"), "{err}");
    assert!(!out.exists());
}
