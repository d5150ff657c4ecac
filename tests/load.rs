//! Traffic over time (`[load]`, issue 11) against closed forms: the prompt
//! cache's hit rate under Poisson arrivals, the throughput a quota allows, the
//! burndown rate, a cascade's strong tier, and the static engine reproduced
//! when nothing throttles.
//!
//! Tolerances: each figure is the mean of independent replications; the
//! closed form must lie within 1.5 of the 95% half-widths of it (about 3
//! standard errors), so a failure is a wrong model, not noise. Fixed seeds.

mod common;

use common::{fixture, policy, simulate};
use simroute::engine::results::RunResults;
use simroute::stats::Estimate;

/// `[scenario]` without `requests` (under `[load]` it follows from the rate).
fn header(replications: u32) -> String {
    format!(
        "[scenario]\nname = \"t\"\npricing = \"pricing.toml\"\nreplications = {replications}\nseed = 11\nmonthly_requests = 1000000\n\n"
    )
}

fn near(what: &str, e: &Estimate, want: f64) {
    let half = (e.ci_high - e.ci_low) / 2.0;
    assert!(
        (e.mean - want).abs() <= 1.5 * half.max(1e-4),
        "{what}: mean {} ± {half}, closed form {want}",
        e.mean
    );
}

fn hit_rate(r: &RunResults, policy_name: &str, model: &str) -> Estimate {
    policy(r, policy_name)
        .traffic
        .as_ref()
        .expect("traffic figures")
        .models
        .iter()
        .find(|m| m.model == model)
        .unwrap_or_else(|| panic!("no traffic row for {model}"))
        .cache_hit_rate
        .expect("a hit rate")
}

/// One class with a 2,000-token cacheable prefix on `small`, arriving at
/// `rate` a second, cached with `ttl`.
fn one_prefix(rate: f64, ttl: &str, duration: &str) -> String {
    format!(
        "{}[models.s]\nprice = \"small\"\nskill = 0.9\n\n[[traffic]]\nname = \"chat\"\nshare = 1\ninput_tokens = 100\noutput_tokens = 10\ncached_prefix_tokens = 2000\ndifficulty = 0.2\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\nprompt_caching = \"{ttl}\"\n\n[load]\nrequests_per_s = {rate}\nduration = \"{duration}\"\nwarmup = \"1h\"\n",
        header(20)
    )
}

#[test]
fn one_prefix_hits_with_probability_one_minus_exp_of_minus_rate_times_ttl() {
    // A call hits if the previous call (which read or wrote the prefix) came
    // within the TTL: P(Exp(λ) ≤ T) = 1 − e^(−λT).
    for (rate, ttl, secs, duration) in [(0.005, "5m", 300.0, "30d"), (0.0004, "1h", 3600.0, "60d")]
    {
        let r = simulate(&one_prefix(rate, ttl, duration));
        let want = 1.0 - f64::exp(-rate * secs);
        near(&format!("hit rate, {ttl}"), &hit_rate(&r, "p", "s"), want);
    }
}

#[test]
fn one_hour_writes_bill_at_their_own_price_and_misses_at_the_write_price() {
    // Per request: 100 input × $1/M + 10 output × $2/M, and the prefix:
    // hits read 2,000 × $0.1/M, misses write 2,000 × $2/M (1-hour price).
    let r = simulate(&one_prefix(0.0004, "1h", "60d"));
    let p = policy(&r, "p");
    let hit = hit_rate(&r, "p", "s").mean;
    let want = 100e-6 + 20e-6 + hit * 2000.0 * 0.1e-6 + (1.0 - hit) * 2000.0 * 2.0e-6;
    // The cost follows the hit rate of each replication exactly; the mean
    // of the product is within the CI of the product of the means.
    near("cost with 1-hour writes", &p.cost_per_request, want);
}

/// One class of fixed tokens (1,000 in, 100 out, max_tokens 100) on `small`
/// arriving at `rate` a second, with `quota` under `[quotas.small]` and no
/// retries.
fn quota_scenario(rate: f64, quota: &str) -> String {
    format!(
        "{}[models.s]\nprice = \"small\"\nskill = 0.9\n\n[[traffic]]\nname = \"t\"\nshare = 1\ninput_tokens = 1000\noutput_tokens = 100\nmax_tokens = 100\ndifficulty = 0.2\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n\n[load]\nrequests_per_s = {rate}\nduration = \"2h\"\nwarmup = \"10m\"\nretry = \"off\"\n\n[quotas.small]\n{quota}\n",
        header(10)
    )
}

#[test]
fn an_rpm_quota_below_the_arrival_rate_serves_quota_over_rate() {
    // 2 requests a second = 120 a minute against 60 RPM: in the long run the
    // bucket lets 60 a minute through, half the arrivals; without retries the
    // rest fail.
    let r = simulate(&quota_scenario(2.0, "rpm = 60"));
    let t = policy(&r, "p").traffic.as_ref().unwrap();
    near("failed share", &t.failed_rate, 0.5);
    let m = &t.models[0];
    near("RPM served", &m.rpm_mean, 60.0);
    near("throttled share", m.throttled_rate.as_ref().unwrap(), 0.5);
}

#[test]
fn the_burndown_rate_lowers_the_served_rate_as_the_settled_tokens_say() {
    // A TPM quota of 110,000 at 200 arrivals a minute: each served call settles
    // 1,000 + 100 × b quota tokens, so 110,000 / (1,000 + 100b) are served a
    // minute: 100 at b = 1, 73.3 at b = 5.
    for (b, served) in [(1.0, 100.0), (5.0, 110_000.0 / 1_500.0)] {
        let r = simulate(&quota_scenario(
            200.0 / 60.0,
            &format!("tpm = 110000\noutput_burndown = {b}"),
        ));
        let t = policy(&r, "p").traffic.as_ref().unwrap();
        near(
            &format!("RPM at burndown {b}"),
            &t.models[0].rpm_mean,
            served,
        );
        near(
            &format!("TPM at burndown {b}"),
            &t.models[0].tpm_mean,
            110_000.0,
        );
        near(
            &format!("failed at burndown {b}"),
            &t.failed_rate,
            1.0 - served / 200.0,
        );
    }
}

#[test]
fn a_cascades_strong_tier_sees_the_hit_rate_of_its_escalated_traffic() {
    // At AUC 0.5 the confidence says nothing: a request escalates with
    // probability = threshold, independently of everything, so the strong
    // tier's arrivals are Poisson at λ·threshold (delayed by the first tier's
    // latency, which keeps them Poisson), and its hit rate is
    // 1 − e^(−λ·threshold·T).
    let body = format!(
        "{}[models.a]\nprice = \"small\"\nskill = 0.5\nconfidence_auc = 0.5\n\n[models.b]\nprice = \"large\"\nskill = 0.9\n\n[[traffic]]\nname = \"chat\"\nshare = 1\ninput_tokens = 100\noutput_tokens = 10\ncached_prefix_tokens = 2000\ndifficulty = 0.4\n\n[[policy]]\nname = \"cascade\"\nroute = [\"a\", \"b\"]\nthreshold = 0.3\n\n[load]\nrequests_per_s = 0.01\nduration = \"20d\"\n",
        header(20)
    );
    let r = simulate(&body);
    near("escalation", &policy(&r, "cascade").escalation_rate, 0.3);
    near(
        "first tier",
        &hit_rate(&r, "cascade", "a"),
        1.0 - f64::exp(-0.01 * 300.0),
    );
    near(
        "strong tier",
        &hit_rate(&r, "cascade", "b"),
        1.0 - f64::exp(-0.01 * 0.3 * 300.0),
    );
}

#[test]
fn a_quota_far_above_the_load_throttles_nothing_and_reproduces_the_static_engine() {
    use simroute::engine::Engine;
    use simroute::engine::time::TimeEngine;
    use simroute::scenario::Scenario;
    // A cascade without a cacheable prefix (the static engine draws hits from
    // a rate; over time they are state), quotas a million times the load.
    let body = format!(
        "{}[models.a]\nprice = \"small\"\nskill = 0.6\nconfidence_auc = 0.8\n\n[models.b]\nprice = \"large\"\nskill = 0.9\n\n[[traffic]]\nname = \"chat\"\nshare = 0.7\ninput_tokens = {{ median = 800, p95 = 3000 }}\noutput_tokens = {{ median = 200, p95 = 600 }}\nmax_tokens = 4000\ndifficulty = {{ alpha = 2, beta = 5 }}\n\n[[traffic]]\nname = \"bulk\"\nshare = 0.3\ninput_tokens = 2000\noutput_tokens = 300\ndifficulty = 0.3\nmode = \"batch\"\n\n[[policy]]\nname = \"cascade\"\nroute = [\"a\", \"b\"]\nthreshold = 0.5\n\n[[policy]]\nname = \"strong\"\nroute = [\"b\"]\n\n[load]\nrequests_per_s = 5\nduration = \"1h\"\nwarmup = \"0s\"\n\n[quotas.small]\nrpm = 1e9\ntpm = 1e12\n\n[quotas.large]\nrpm = 1e9\ntpm = 1e12\n",
        header(2)
    );
    let f = fixture(&body);
    let s = Scenario::load(&f.scenario).unwrap();
    let engine = Engine::new(&s);
    let t = TimeEngine::new(&s, s.load.as_ref().unwrap());
    let over_time = engine
        .time_replication(&t, s.seed, 0, false, &|_| ())
        .unwrap();
    let n = over_time.time[0].requests;
    assert!(n > 17_000, "{n} arrivals");
    // The static engine on the same number of requests draws the same ones.
    let fixed = engine.replication(s.seed, 0, n, &|_| ());
    for (p, (a, b)) in over_time.accs.iter().zip(&fixed).enumerate() {
        assert_eq!(over_time.time[p].throttled, vec![0, 0]);
        assert_eq!(a.cost, b.cost, "policy {p}: cost by model and kind");
        assert_eq!(a.calls, b.calls);
        for (x, y) in a.classes.iter().zip(&b.classes) {
            assert_eq!(
                (x.requests, x.cost, x.correct, x.escalated),
                (y.requests, y.cost, y.correct, y.escalated)
            );
            // Latencies: the same calls, timed as clock differences (float
            // rounding may move a value across a 0.05% histogram bucket).
            for (hx, hy) in [(&x.e2e, &y.e2e), (&x.batch, &y.batch)] {
                assert_eq!(hx.len(), hy.len());
                let qs = [0.5, 0.95, 0.99];
                let (mut vx, mut vy) = (vec![0.0; 3], vec![0.0; 3]);
                if !hx.is_empty() {
                    simroute::engine::histogram::LatencyHistogram::quantiles_into(
                        &[hx],
                        &qs,
                        &mut vx,
                    );
                    simroute::engine::histogram::LatencyHistogram::quantiles_into(
                        &[hy],
                        &qs,
                        &mut vy,
                    );
                    for (u, v) in vx.iter().zip(&vy) {
                        assert!((u / v - 1.0).abs() < 1e-3, "{vx:?} vs {vy:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_figures_on_any_number_of_threads() {
    let body = quota_scenario(2.0, "rpm = 90");
    let f = fixture(&body);
    let s = simroute::scenario::Scenario::load(&f.scenario).unwrap();
    let one = simroute::engine::simulate(&s, Some(1)).unwrap();
    let four = simroute::engine::simulate(&s, Some(4)).unwrap();
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&four).unwrap()
    );
}

/// A scenario on the repo's sample invocation log (3,000 records, one every
/// 3.7 s from 2026-01-01T00:00:00Z), replayed `replay`, with `load`.
fn on_the_log(replay: &str, load: &str) -> String {
    let log = format!(
        "{}/scenarios/logs/support-invocations.jsonl.gz",
        env!("CARGO_MANIFEST_DIR")
    );
    format!(
        "{}replay = \"{replay}\"\n\n[models.s]\nprice = \"small\"\nskill = 0.9\n\n[[traffic]]\nname = \"classify\"\nlog = \"{log}\"\nclass_field = \"requestMetadata.feature\"\ndifficulty = 0.2\n\n[[traffic]]\nname = \"chat\"\nlog = \"{log}\"\nclass_field = \"requestMetadata.feature\"\ndifficulty = 0.2\n\n[[traffic]]\nname = \"summarize\"\nlog = \"{log}\"\nclass_field = \"requestMetadata.feature\"\ndifficulty = 0.2\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n\n[load]\n{load}\n",
        header(3)
    )
}

#[test]
fn exact_replay_keeps_the_logged_arrival_times() {
    // No warm-up: every logged record arrives in the measured period, once
    // per replication; the span is the log's (3 h 5 min: 186 minutes).
    let r = simulate(&on_the_log("exact", "warmup = \"0s\""));
    let load = r.scenario.load.as_ref().unwrap();
    assert_eq!(load.profile_from, "logs");
    assert!(
        (load.duration_s - 11_104.87).abs() < 0.01,
        "{}",
        load.duration_s
    );
    let p = policy(&r, "p");
    let requests: f64 = 3000.0;
    let t = p.traffic.as_ref().unwrap();
    // 3,000 calls over 186 minutes (the last one partial), exactly in every
    // replication.
    let minutes = (11_104.87f64 / 60.0).ceil();
    assert!((t.models[0].rpm_mean.mean - requests / minutes).abs() < 1e-9);
    assert_eq!(t.models[0].rpm_mean.ci_low, t.models[0].rpm_mean.ci_high);
    // A 30-minute warm-up leaves the records after it: record i arrives at
    // i x 2,592,000 s / 700,000 (generate-log's spacing), so those from
    // i = 487 (1,803.3 s) to 2,999: 2,513.
    let r = simulate(&on_the_log("exact", "warmup = \"30m\""));
    let t = policy(&r, "p").traffic.as_ref().unwrap();
    let spacing = 2_592_000.0 / 700_000.0;
    let first = (1800.0_f64 / spacing).ceil();
    let want = 3000.0 - first;
    assert_eq!(want, 2513.0);
    let minutes = ((11_104.87f64 - 1800.0) / 60.0).ceil();
    let measured = t.models[0].rpm_mean.mean * minutes;
    assert!((measured - want).abs() < 1e-6, "{measured} vs {want}");
}

#[test]
fn bootstrap_replay_takes_its_daily_profile_from_the_log() {
    // The log's records all fall between 00:00 and 03:05 UTC: the profile
    // has weight only in hours 0 to 3, in proportion to their records
    // (973, 973, 973, 81 of 3,000 at one every 3.7 s), mean 1.
    let r = simulate(&on_the_log(
        "bootstrap",
        "requests_per_s = 0.1\nduration = \"1d\"",
    ));
    let load = r.scenario.load.as_ref().unwrap();
    assert_eq!(load.profile_from, "logs");
    assert!(load.profile[4..].iter().all(|&w| w == 0.0));
    let sum: f64 = load.profile.iter().sum();
    assert!((sum - 24.0).abs() < 1e-9);
    assert!((load.profile[0] - 24.0 * 973.0 / 3000.0).abs() < 24.0 * 2.0 / 3000.0);
    // And the traffic follows it: no call starts after 04:00.
    let series = &r.load_lines[0];
    assert!(series.rpm[4 * 60..].iter().all(|&v| v == 0.0));
    assert!(series.rpm[..4 * 60].iter().sum::<f64>() > 6000.0);
}

#[test]
fn requests_on_the_command_line_is_refused_under_load() {
    let f = fixture(&quota_scenario(2.0, "rpm = 90"));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_simroute"))
        .arg("run")
        .arg(&f.scenario)
        .args(["--requests", "1000"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--requests 1000: under [load] the requests follow from the arrival rate and load.duration"),
        "{err}"
    );
}

#[test]
fn generate_log_refuses_a_scenario_over_time() {
    let f = fixture(&one_prefix(0.01, "5m", "1h"));
    let out = f.dir.path().join("log.jsonl");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_simroute"))
        .arg("generate-log")
        .arg(&f.scenario)
        .args(["--records", "10", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("under [load] the hit rate is an output"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn compare_runs_traffic_over_time_on_both_sides() {
    // The same scenario at twice the rate: the monthly bill doubles, cost per
    // request and quality stay (nothing is throttled, one prefix: hits ~1).
    let a = fixture(&one_prefix(0.5, "5m", "2h"));
    let b = fixture(&one_prefix(1.0, "5m", "2h"));
    let sa = simroute::scenario::Scenario::load(&a.scenario).unwrap();
    let sb = simroute::scenario::Scenario::load(&b.scenario).unwrap();
    let r = simroute::compare::compare(&sa, &sb, &|_| ()).unwrap();
    let month = r.policies[0]
        .deltas
        .iter()
        .find(|d| d.metric == "cost_per_month_usd")
        .unwrap();
    assert!(
        (month.b.mean / month.a.mean - 2.0).abs() < 0.01,
        "{month:?}"
    );
}

#[test]
fn a_cache_too_large_to_hold_is_refused_naming_the_prefixes() {
    let body = one_prefix(0.01, "5m", "1h").replace(
        "cached_prefix_tokens = 2000\n",
        "cached_prefix_tokens = 2000\nprefixes = 1000000\n",
    );
    // One class, one caching model, one policy: 1,000,000 entries, accepted.
    let f = fixture(&body);
    assert!(simroute::scenario::Scenario::load(&f.scenario).is_ok());
    // 21 policies caching it: 21,000,000 entries.
    let policies: String = (0..20)
        .map(|i| format!("\n[[policy]]\nname = \"p{i}\"\nroute = [\"s\"]\n"))
        .collect();
    let f = fixture(&body.replace("[load]", &format!("{policies}\n[load]")));
    let e = simroute::scenario::Scenario::load(&f.scenario)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("traffic[0].prefixes") && e.contains("21,000,000 cache entries"),
        "{e}"
    );
}

#[test]
fn the_csv_carries_the_traffic_figures_of_the_json() {
    let f = fixture(&quota_scenario(2.0, "rpm = 60"));
    let run = |format: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_simroute"))
            .arg("run")
            .arg(&f.scenario)
            .args(["--format", format])
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
        String::from_utf8(o.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let csv = run("csv");
    let row = |prefix: &str| -> Vec<f64> {
        let line = csv
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no row {prefix} in\n{csv}"));
        line.split(',')
            .skip(4)
            .map(|v| v.parse().unwrap_or(f64::NAN))
            .collect()
    };
    let t = &json["policies"][0]["traffic"];
    assert_eq!(
        row("p,,,failed_rate,")[0],
        t["failed_rate"]["mean"].as_f64().unwrap()
    );
    let m = &t["models"][0];
    assert_eq!(
        row("p,,s,rpm_mean,")[0],
        m["rpm_mean"]["mean"].as_f64().unwrap()
    );
    assert_eq!(
        row("p,,s,throttled_rate,")[1],
        m["throttled_rate"]["ci_low"].as_f64().unwrap()
    );
    assert_eq!(row("p,,s,quota_rpm,")[0], 60.0);
}

#[test]
fn exact_replay_refuses_a_log_out_of_time_order_beyond_its_window() {
    // 70,000 records a second apart, then one stamped before all of them:
    // more than 65,536 records come before it in the file that it precedes
    // in time.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.csv");
    let mut text = String::from("class,input_tokens,output_tokens,timestamp\n");
    let at = |s: u64| {
        format!(
            "2026-01-{:02}T{:02}:{:02}:{:02}Z",
            1 + s / 86_400,
            s % 86_400 / 3600,
            s % 3600 / 60,
            s % 60
        )
    };
    for s in 1..=70_000u64 {
        text.push_str(&format!("t,100,10,{}\n", at(s)));
    }
    text.push_str(&format!("t,100,10,{}\n", at(0)));
    std::fs::write(&log, text).unwrap();
    let body = format!(
        "{}replay = \"exact\"\n\n[models.s]\nprice = \"small\"\nskill = 0.9\n\n[[traffic]]\nname = \"t\"\nlog = \"{}\"\ndifficulty = 0.2\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n\n[load]\nwarmup = \"0s\"\n",
        header(2),
        log.display()
    );
    let f = fixture(&body);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_simroute"))
        .arg("run")
        .arg(&f.scenario)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("log.csv")
            && err.contains("the log is not in time order: a record at 2026-01-01T00:00:00"),
        "{err}"
    );
    // Within the window, records out of order replay in time order: the
    // same early record after 1,000 others.
    let mut text = String::from("class,input_tokens,output_tokens,timestamp\n");
    for s in 1..1_000u64 {
        text.push_str(&format!("t,100,10,{}\n", at(s)));
    }
    text.push_str(&format!("t,100,10,{}\n", at(0)));
    std::fs::write(&log, text).unwrap();
    let r = simulate(&body);
    assert_eq!(r.scenario.requests, 1000);
}
