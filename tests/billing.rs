//! What Bedrock bills (issue 12): inference profiles, service tiers, long
//! prompts and context windows, priced by hand.
//!
//! Token counts are fixed, so every request costs the same and a policy's
//! cost per request is exact: integer femto-dollars per token, summed.

mod common;

use simroute::engine::results::RunResults;
use simroute::scenario::Scenario;

/// Claude Sonnet 4.5 as LiteLLM 1.110.2 prices it (USD per 1M tokens), with
/// its `us` profile (1.1×), a long-prompt tier above 200K tokens, and a
/// made-up Flex tier; a context window of 1M so that long prompts fit.
const PRICING: &str = r#"
[meta]
region = "us-east-1"
currency = "USD"
unit = "per 1M tokens"
as_of = "2026-11-27"
source = "tests"

[models.sonnet]
input = 3.0
output = 15.0
cache_read = 0.3
cache_write = 3.75
cache_write_1h = 6.0
batch_input = 1.5
batch_output = 7.5
context_window = 1000000
ttft_ms = 800
output_tokens_per_s = 60
long_prompt = { above = 200000, input = 6.0, output = 22.5, cache_read = 0.6, cache_write = 7.5, cache_write_1h = 12.0 }

[models.sonnet.tiers.flex]
ttft_ms = 2000
output_tokens_per_s = 30
input = 1.5
output = 7.5
cache_read = 0.15
cache_write = 1.875
long_prompt = { above = 200000, input = 3.0, output = 11.25, cache_read = 0.3, cache_write = 3.75 }

[models.sonnet.profiles.us]
input = 3.3
output = 16.5
cache_read = 0.33
cache_write = 4.125
cache_write_1h = 6.6
batch_input = 1.65
batch_output = 8.25
long_prompt = { above = 200000, input = 6.6, output = 24.75, cache_read = 0.66, cache_write = 8.25, cache_write_1h = 13.2 }

[models.micro]
input = 0.035
output = 0.14
context_window = 128000
ttft_ms = 300
output_tokens_per_s = 200
"#;

struct Files {
    dir: tempfile::TempDir,
    scenario: std::path::PathBuf,
}

fn files(body: &str) -> Files {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pricing.toml"), PRICING).unwrap();
    let scenario = dir.path().join("scenario.toml");
    std::fs::write(
        &scenario,
        format!(
            "[scenario]\nname = \"t\"\npricing = \"pricing.toml\"\n{}replications = 3\nseed = 5\nmonthly_requests = 1000000\n\n{body}",
            // Under [load] the rate sets the requests.
            if body.contains("[load]") { "" } else { "requests = 2000\n" }
        ),
    )
    .unwrap();
    Files { dir, scenario }
}

fn simulate(body: &str) -> RunResults {
    let f = files(body);
    let s = Scenario::load(&f.scenario).unwrap_or_else(|e| panic!("{e}"));
    simroute::engine::simulate(&s, None).unwrap()
}

fn cost(r: &RunResults, policy: &str) -> f64 {
    let p = common::policy(r, policy);
    // Every request costs the same: the interval is a point.
    assert!(
        (p.cost_per_request.ci_high - p.cost_per_request.ci_low).abs() < 1e-15,
        "{policy}: {:?}",
        p.cost_per_request
    );
    p.cost_per_request.mean
}

/// A class of fixed token counts routed to one model per policy.
fn one_class(input: u64, output: u64, prefix: u64, extra: &str) -> String {
    format!(
        "[[traffic]]\nname = \"chat\"\nshare = 1\ninput_tokens = {input}\noutput_tokens = {output}\ncached_prefix_tokens = {prefix}\ncache_hit_rate = 0.5\ndifficulty = 0.3\n{extra}\n"
    )
}

#[test]
fn the_same_traffic_through_the_us_profile_costs_1_1_times_the_base_for_claude() {
    let r = simulate(
        &("[models.base]\nprice = \"sonnet\"\nskill = 0.9\n\n[models.us]\nprice = \"sonnet\"\nskill = 0.9\nprofile = \"us\"\n\n"
            .to_string()
            + &one_class(3000, 400, 2000, "")
            + "[[policy]]\nname = \"in-region\"\nroute = [\"base\"]\n\n[[policy]]\nname = \"us\"\nroute = [\"us\"]\n"),
    );
    // The prefix hits half the time, so the cost varies by request; both
    // policies see the same requests (common random numbers).
    let base = common::policy(&r, "in-region").cost_per_request.mean;
    let us = common::policy(&r, "us").cost_per_request.mean;
    // By hand, per request: 3,000 input + 400 output; the 2,000-token prefix
    // is read (hit) or written (miss). Base: $0.009 + $0.006 + a hit's $0.0006
    // or a miss's $0.0075; the us profile is every price × 1.1.
    assert!((us / base - 1.1).abs() < 1e-12, "{us} / {base}");
    assert!(base > 0.009 + 0.006 + 0.0006 - 1e-12 && base < 0.009 + 0.006 + 0.0075 + 1e-12);
    // The summary says which profile.
    assert_eq!(
        r.scenario.profiles.get("us").map(String::as_str),
        Some("us")
    );
    assert!(
        simroute::report::summary_line(&r).contains("us through the us inference profile"),
        "{}",
        simroute::report::summary_line(&r)
    );
}

#[test]
fn a_long_prompt_bills_every_token_at_the_long_prompt_rates() {
    // 250,000 input tokens > 200,000: $6/M in, $22.5/M out:
    // 250,000 × 6 / 1e6 = $1.50; 1,000 × 22.5 / 1e6 = $0.0225.
    let r = simulate(
        &("[models.s]\nprice = \"sonnet\"\nskill = 0.9\n\n".to_string()
            + &one_class(250_000, 1_000, 0, "")
            + "[[policy]]\nname = \"p\"\nroute = [\"s\"]\n"),
    );
    assert!((cost(&r, "p") - 1.5225).abs() < 1e-12, "{}", cost(&r, "p"));
    // At 150,000 tokens the short rates: $0.45 + $0.015.
    let r = simulate(
        &("[models.s]\nprice = \"sonnet\"\nskill = 0.9\n\n".to_string()
            + &one_class(150_000, 1_000, 0, "")
            + "[[policy]]\nname = \"p\"\nroute = [\"s\"]\n"),
    );
    assert!((cost(&r, "p") - 0.465).abs() < 1e-12, "{}", cost(&r, "p"));
}

#[test]
fn a_flex_policy_bills_at_the_flex_rates_and_a_class_can_override_it() {
    let r = simulate(
        &("[models.s]\nprice = \"sonnet\"\nskill = 0.9\n\n".to_string()
            + &one_class(10_000, 1_000, 0, "")
            + "[[policy]]\nname = \"standard\"\nroute = [\"s\"]\n\n\
               [[policy]]\nname = \"flex\"\nroute = [\"s\"]\nservice_tier = \"flex\"\n\n\
               [[policy]]\nname = \"flex-long\"\nroute = [\"s\"]\nservice_tier = \"standard\"\nby_class.chat = { service_tier = \"flex\" }\n"),
    );
    // Standard: 10,000 × $3/M + 1,000 × $15/M = $0.045; Flex: half of it.
    assert!((cost(&r, "standard") - 0.045).abs() < 1e-12);
    assert!((cost(&r, "flex") - 0.0225).abs() < 1e-12);
    assert!((cost(&r, "flex-long") - 0.0225).abs() < 1e-12);
    // A long prompt in Flex: the Flex tier's long rates, 250,000 × $3/M +
    // 1,000 × $11.25/M = $0.76125.
    let r = simulate(
        &("[models.s]\nprice = \"sonnet\"\nskill = 0.9\n\n".to_string()
            + &one_class(250_000, 1_000, 0, "")
            + "[[policy]]\nname = \"flex\"\nroute = [\"s\"]\nservice_tier = \"flex\"\n"),
    );
    assert!(
        (cost(&r, "flex") - 0.76125).abs() < 1e-12,
        "{}",
        cost(&r, "flex")
    );
}

/// Runs `simroute run` on the scenario and returns its exit code and stderr.
fn refused(body: &str) -> (i32, String) {
    let f = files(body);
    let out = assert_cmd::cargo::cargo_bin_cmd!("simroute")
        .current_dir(f.dir.path())
        .args(["run", f.scenario.to_str().unwrap()])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_refused(body: &str, fragments: &[&str]) {
    let (code, err) = refused(body);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("scenario.toml"), "{err}");
    for f in fragments {
        assert!(err.contains(f), "{err:?} lacks {f:?}");
    }
    for rust in ["ServiceTier", "Option", "None", "Some(", "u64"] {
        assert!(!err.contains(rust), "{err}");
    }
}

#[test]
fn bad_profiles_tiers_and_prompts_are_refused_naming_the_key() {
    let class = one_class(1000, 100, 0, "");
    // A profile the table lacks for the model.
    assert_refused(
        &format!(
            "[models.s]\nprice = \"sonnet\"\nskill = 0.9\nprofile = \"eu\"\n\n{class}[[policy]]\nname = \"p\"\nroute = [\"s\"]\n"
        ),
        &["models.s.profile", "\"eu\"", "it has \"us\""],
    );
    assert_refused(
        &format!(
            "[models.m]\nprice = \"micro\"\nskill = 0.9\nprofile = \"us\"\n\n{class}[[policy]]\nname = \"p\"\nroute = [\"m\"]\n"
        ),
        &["models.m.profile", "in-Region only"],
    );
    // A tier that is not one, and a tier the model lacks.
    assert_refused(
        &format!(
            "[models.s]\nprice = \"sonnet\"\nskill = 0.9\n\n{class}[[policy]]\nname = \"p\"\nroute = [\"s\"]\nservice_tier = \"turbo\"\n"
        ),
        &[
            "service_tier",
            "\"turbo\"",
            "\"priority\", \"standard\" or \"flex\"",
        ],
    );
    assert_refused(
        &format!(
            "[models.s]\nprice = \"sonnet\"\nskill = 0.9\n\n{class}[[policy]]\nname = \"p\"\nroute = [\"s\"]\nservice_tier = \"priority\"\n"
        ),
        &[
            "service_tier",
            "no priority prices",
            "it has: standard, flex",
        ],
    );
    // Prompts past the context window.
    assert_refused(
        &format!(
            "[models.m]\nprice = \"micro\"\nskill = 0.9\n\n{}[[policy]]\nname = \"p\"\nroute = [\"m\"]\n",
            one_class(130_000, 100, 0, "")
        ),
        &[
            "traffic[0].input_tokens",
            "context window of 128,000 tokens",
            "class \"chat\"",
        ],
    );
    // A lognormal whose tail passes the window more than once in a million.
    assert_refused(
        "[models.m]\nprice = \"micro\"\nskill = 0.9\n\n[[traffic]]\nname = \"chat\"\nshare = 1\ninput_tokens = { median = 20000, p95 = 80000 }\noutput_tokens = 100\ndifficulty = 0.3\n\n[[policy]]\nname = \"p\"\nroute = [\"m\"]\n",
        &["context window of 128,000 tokens", "%"],
    );
    // Long prompts on batch: the table has no long-prompt batch prices.
    assert_refused(
        &format!(
            "[models.s]\nprice = \"sonnet\"\nskill = 0.9\n\n{}[[policy]]\nname = \"p\"\nroute = [\"s\"]\nbatch_classes = [\"chat\"]\n",
            one_class(250_000, 100, 0, "")
        ),
        &[
            "above 200,000 tokens",
            "batch inference",
            "cannot be priced",
        ],
    );
}

#[test]
fn rare_draws_past_the_window_are_counted_not_hidden() {
    // Median 20,000, p95 40,000: sigma = ln 2 / 1.645 = 0.4214, and
    // P(prompt > 128,000) = 1 − Φ(ln 6.4 / 0.4214) = 1 − Φ(4.405) = 5.3e-6,
    // above the one-in-a-million refusal; with p95 30,000 (sigma 0.2465) it
    // is 1 − Φ(7.53) ≈ 2.5e-14 and the scenario runs, with no call counted.
    let r = simulate(
        "[models.m]\nprice = \"micro\"\nskill = 0.9\n\n[[traffic]]\nname = \"chat\"\nshare = 1\ninput_tokens = { median = 20000, p95 = 30000 }\noutput_tokens = 100\ndifficulty = 0.3\n\n[[policy]]\nname = \"p\"\nroute = [\"m\"]\n",
    );
    let p = common::policy(&r, "p");
    assert_eq!(p.calls_beyond_context_window, 0);
    let json = serde_json::to_value(p).unwrap();
    assert!(json.get("calls_beyond_context_window").is_none());
    let (code, err) = refused(
        "[models.m]\nprice = \"micro\"\nskill = 0.9\n\n[[traffic]]\nname = \"chat\"\nshare = 1\ninput_tokens = { median = 20000, p95 = 40000 }\noutput_tokens = 100\ndifficulty = 0.3\n\n[[policy]]\nname = \"p\"\nroute = [\"m\"]\n",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("5.3e-6 of them"), "{err}");
}

#[test]
fn a_tier_has_its_latency_from_the_table_or_the_scenario() {
    // Fixed latencies: standard 800 ms + 100 tokens at 60/s = 2,466.7 ms;
    // Flex (the table) 2,000 ms + 100 at 30/s = 5,333.3 ms; Flex with the
    // scenario's own ttft of 3,000 ms: 6,333.3 ms.
    let body = |tiers: &str| {
        format!("[models.s]\nprice = \"sonnet\"\nskill = 0.9\n{tiers}\n")
            + &one_class(1_000, 100, 0, "")
            + "[[policy]]\nname = \"standard\"\nroute = [\"s\"]\n\n[[policy]]\nname = \"flex\"\nroute = [\"s\"]\nservice_tier = \"flex\"\n"
    };
    let p50 = |r: &RunResults, p: &str| {
        common::policy(r, p)
            .e2e_latency_ms
            .as_ref()
            .expect("interactive latency")
            .p50
            .mean
    };
    let r = simulate(&body(""));
    common::assert_close(
        "standard",
        p50(&r, "standard"),
        800.0 + 100_000.0 / 60.0,
        1e-3,
    );
    common::assert_close("flex", p50(&r, "flex"), 2000.0 + 100_000.0 / 30.0, 1e-3);
    let r = simulate(&body("tiers.flex = { ttft_ms = 3000 }"));
    common::assert_close(
        "flex, scenario",
        p50(&r, "flex"),
        3000.0 + 100_000.0 / 30.0,
        1e-3,
    );
    let (code, err) = refused(&body("tiers.priority = { ttft_ms = 300 }"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("models.s.tiers.priority"), "{err}");
    assert!(err.contains("no priority prices"), "{err}");
}

#[test]
fn a_profile_is_a_quota_pool_of_its_own() {
    // 2 requests a second on each of two policies, one calling Sonnet
    // in-Region, one through the us profile; a 60 RPM quota on the in-Region
    // key throttles half of the first policy's calls (as in tests/load.rs) and
    // none of the profile's.
    let r = simulate(
        &("[models.base]\nprice = \"sonnet\"\nskill = 0.9\n\n[models.us]\nprice = \"sonnet\"\nprofile = \"us\"\nskill = 0.9\n\n".to_string()
            + "[[traffic]]\nname = \"t\"\nshare = 1\ninput_tokens = 1000\noutput_tokens = 100\nmax_tokens = 100\ndifficulty = 0.2\n\n"
            + "[[policy]]\nname = \"in-region\"\nroute = [\"base\"]\n\n[[policy]]\nname = \"us\"\nroute = [\"us\"]\n\n"
            + "[load]\nrequests_per_s = 2\nduration = \"2h\"\nwarmup = \"10m\"\nretry = \"off\"\n\n[quotas.sonnet]\nrpm = 60\n")
    );
    let failed = |p: &str| common::policy(&r, p).traffic.as_ref().unwrap().failed_rate;
    let base = failed("in-region");
    assert!((base.mean - 0.5).abs() < 0.02, "{base:?}");
    assert_eq!(failed("us").mean, 0.0);
}

#[test]
fn logged_prompts_past_the_window_are_counted_and_warned() {
    // Exact replay of a 4-record log: one prompt of 130,000 tokens on Micro
    // (context window 128,000), three short ones. Every replication replays
    // the log once: 1 call per replication beyond the window.
    let f = files(
        "[models.m]\nprice = \"micro\"\nskill = 0.9\n\n[[traffic]]\nname = \"chat\"\nlog = \"log.csv\"\ndifficulty = 0.3\n\n[[policy]]\nname = \"p\"\nroute = [\"m\"]\n",
    );
    std::fs::write(
        f.dir.path().join("log.csv"),
        "input_tokens,output_tokens\n1000,10\n130000,10\n2000,10\n3000,10\n",
    )
    .unwrap();
    let json = common::run_json(
        f.dir.path(),
        &["run", f.scenario.to_str().unwrap(), "--replay", "exact"],
    );
    let p = &json["policies"][0];
    assert_eq!(p["calls_beyond_context_window"], 3, "{p}");
    let warnings = json["warnings"].to_string();
    assert!(
        warnings.contains("3 calls had a prompt longer than its model's context window"),
        "{warnings}"
    );
}

#[test]
fn the_shipped_tables_us_claude_profiles_cost_1_1_times_the_base() {
    // Bedrock bills Claude 4.5 and later through the us geo profile at 1.1×
    // the in-Region (and global) rate; older Claude models' profiles cost the
    // base. Every price of those models' us profiles in the shipped table,
    // checked against the base.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pricing/bedrock-us-east-1.toml");
    let t = simroute::pricing::PriceTable::load(&path).unwrap();
    let premium = [
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "anthropic.claude-opus-4-5-20251101-v1:0",
        "anthropic.claude-sonnet-5",
        "anthropic.claude-opus-5",
        "anthropic.claude-haiku-5-5",
        "anthropic.claude-sonnet-5-5",
        "anthropic.claude-opus-5-5",
    ];
    for key in premium {
        let m = &t.models[key];
        let us = &m.profiles["us"];
        assert_eq!(us.key, format!("us.{key}"));
        let pairs = [
            (Some(m.input), Some(us.input)),
            (m.output, us.output),
            (m.cache_read, us.cache_read),
            (m.cache_write, us.cache_write),
            (m.cache_write_1h, us.cache_write_1h),
            (
                m.long_prompt.map(|l| l.rates.input),
                us.long_prompt.map(|l| l.rates.input),
            ),
        ];
        for (base, prof) in pairs {
            assert_eq!(base.is_some(), prof.is_some(), "{key}");
            if let (Some(b), Some(p)) = (base, prof) {
                assert!((p / b - 1.1).abs() < 1e-9, "{key}: {p} vs {b}");
            }
        }
    }
    // Claude 3.7 Sonnet's us profile costs the base.
    let old = &t.models["anthropic.claude-3-7-sonnet-20250219-v1:0"];
    assert_eq!(old.profiles["us"].input, old.input);
}
