//! The engine's figures against values computed by hand or in closed form.

mod common;

use common::*;
use statrs::distribution::{ContinuousCDF, Normal};

fn phi(x: f64) -> f64 {
    Normal::standard().cdf(x)
}
fn phi_inv(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}
fn logistic(sharpness: f64, skill: f64, d: f64) -> f64 {
    1.0 / (1.0 + (-sharpness * (skill - d)).exp())
}

/// small + large models with fixed tokens: input 1000, output 100, difficulty 0.5.
/// small costs 1000×$1/M + 100×$2/M = $0.0012; large 1000×$10/M + 100×$20/M = $0.012.
const SMALL: f64 = 0.0012;
const LARGE: f64 = 0.012;

fn two_tier(requests: u64, auc: f64, policies: &str) -> String {
    format!(
        "{}[models.s]\nprice = \"small\"\nskill = 0.5\nconfidence_auc = {auc}\n\n\
         [models.l]\nprice = \"large\"\nskill = 0.8\nconfidence_auc = 0.9\n\n\
         [models.cls]\nprice = \"small\"\n\n\
         [[traffic]]\nname = \"all\"\nshare = 1\ninput_tokens = 1000\noutput_tokens = 100\ndifficulty = 0.5\n\n{policies}",
        header(requests, 20)
    )
}

fn cascade(t: f64) -> String {
    format!("[[policy]]\nname = \"c{t}\"\nroute = [\"s\", \"l\"]\nthreshold = {t}\n\n")
}

#[test]
fn uninformative_confidence_escalates_at_the_threshold_rate() {
    // AUC 0.5: confidence is uniform on [0, 1] and independent of correctness, so
    // P(escalate) = P(U < t) = t and mean cost = small + t × large.
    let ts = [0.2, 0.5, 0.8];
    let r = simulate(&two_tier(20_000, 0.5, &ts.map(cascade).concat()));
    for t in ts {
        let p = policy(&r, &format!("c{t}"));
        assert_in_ci(&format!("escalation at t={t}"), &p.escalation_rate, t);
        assert_in_ci(
            &format!("cost at t={t}"),
            &p.cost_per_request,
            SMALL + t * LARGE,
        );
    }
}

#[test]
fn threshold_zero_never_escalates_and_one_always_does() {
    let r = simulate(&two_tier(5_000, 0.8, &(cascade(0.0) + &cascade(1.0))));
    let never = policy(&r, "c0");
    assert_eq!(never.escalation_rate.mean, 0.0);
    assert_eq!(never.escalation_rate.ci_high, 0.0);
    assert_close("cost, never", never.cost_per_request.mean, SMALL, 1e-12);
    let always = policy(&r, "c1");
    assert_eq!(always.escalation_rate.mean, 1.0);
    assert_eq!(always.escalation_rate.ci_low, 1.0);
    assert_close(
        "cost, always",
        always.cost_per_request.mean,
        SMALL + LARGE,
        1e-12,
    );
    // Every call is paid: one call to each model per request.
    for m in &always.cost_by_model {
        assert_eq!(m.calls_per_request, 1.0, "{}", m.model);
    }
}

#[test]
fn informative_confidence_matches_the_binormal_closed_form() {
    // Fixed difficulty 0.5: small is right with p_s = logistic(10·(0.5−0.5)) = 0.5,
    // large with p_l = logistic(10·0.3). z ~ N(±h, 1), h = √2·Φ⁻¹(auc)/2; escalate
    // when z < Φ⁻¹(t).
    let (auc, t) = (0.85, 0.6);
    let r = simulate(&two_tier(20_000, auc, &cascade(t)));
    let p = policy(&r, &format!("c{t}"));
    let h = std::f64::consts::SQRT_2 * phi_inv(auc) / 2.0;
    let zt = phi_inv(t);
    let (ps, pl) = (logistic(10.0, 0.5, 0.5), logistic(10.0, 0.8, 0.5));
    let esc_right = phi(zt - h); // P(escalate | small right)
    let esc_wrong = phi(zt + h); // P(escalate | small wrong)
    let escalation = ps * esc_right + (1.0 - ps) * esc_wrong;
    let quality = ps * (1.0 - esc_right) + escalation * pl;
    assert_in_ci("escalation", &p.escalation_rate, escalation);
    assert_in_ci("quality", &p.quality, quality);
    assert_in_ci("cost", &p.cost_per_request, SMALL + escalation * LARGE);
    // Among escalated requests the answer is the large model's: quality p_l.
    assert_in_ci(
        "escalated quality",
        p.escalated_quality.as_ref().unwrap(),
        pl,
    );
}

#[test]
fn validator_escalates_wrong_answers_at_catches_and_right_ones_at_false_alarm() {
    let body = two_tier(
        20_000,
        0.7,
        "[[policy]]\nname = \"v\"\nroute = [\"s\", \"l\"]\nvalidator = { catches = 0.8, false_alarm = 0.1 }\n",
    );
    let r = simulate(&body);
    let p = policy(&r, "v");
    let ps = 0.5;
    let escalation = (1.0 - ps) * 0.8 + ps * 0.1;
    assert_in_ci("escalation", &p.escalation_rate, escalation);
    let pl = logistic(10.0, 0.8, 0.5);
    assert_in_ci("quality", &p.quality, ps * 0.9 + escalation * pl);
}

#[test]
fn classifier_never_pays_both_tiers() {
    // Classifier call: 300 in, 5 out on `small` = 300×$1/M + 5×$2/M = $0.00031.
    let body = two_tier(
        20_000,
        0.7,
        "[[policy]]\nname = \"k\"\nroute = [\"s\", \"l\"]\n\
         classifier = { model = \"cls\", auc = 0.8, threshold = 0.5, input_tokens = 300, output_tokens = 5 }\n",
    );
    let r = simulate(&body);
    let p = policy(&r, "k");
    let calls = |name: &str| {
        p.cost_by_model
            .iter()
            .find(|m| m.model == name)
            .map_or(0.0, |m| m.calls_per_request)
    };
    // Exactly one answering call per request, and one classifier call.
    assert_eq!(calls("s") + calls("l"), 1.0);
    assert_eq!(calls("cls"), 1.0);
    // Escalated requests go straight to the last tier: cost is linear in the rate.
    let e = p.escalation_rate.mean;
    assert_close(
        "cost",
        p.cost_per_request.mean,
        0.00031 + (1.0 - e) * SMALL + e * LARGE,
        1e-9,
    );
    // Score ~ N(±h, 1) by the first tier's correctness (p_s = 0.5); send to the
    // first tier when score ≥ Φ⁻¹(0.5) = 0.
    let h = std::f64::consts::SQRT_2 * phi_inv(0.8) / 2.0;
    let escalation = 0.5 * phi(-h) + 0.5 * phi(h);
    assert_in_ci("escalation", &p.escalation_rate, escalation);
}

fn cached(hit: f64, model: &str, extra: &str) -> String {
    format!(
        "{}[models.m]\nprice = \"{model}\"\nskill = 0.5\n\n\
         [[traffic]]\nname = \"all\"\nshare = 1\ninput_tokens = 1000\noutput_tokens = 100\n\
         cached_prefix_tokens = 2000\ncache_hit_rate = {hit}\ndifficulty = 0.5\n{extra}\n\
         [[policy]]\nname = \"p\"\nroute = [\"m\"]\n",
        header(20_000, 20)
    )
}

#[test]
fn prompt_cache_hits_bill_reads_and_misses_bill_writes() {
    // 1000 × $1/M + 100 × $2/M = $0.0012, plus the 2000-token prefix:
    // hit: 2000 × $0.10/M = $0.0002; miss: 2000 × $1.25/M = $0.0025.
    let cost =
        |hit: f64, model: &str| policy(&simulate(&cached(hit, model, "")), "p").cost_per_request;
    assert_close("all hits", cost(1.0, "small").mean, 0.0012 + 0.0002, 1e-12);
    assert_close(
        "all misses",
        cost(0.0, "small").mean,
        0.0012 + 0.0025,
        1e-12,
    );
    // Mixed: p × read + (1 − p) × write, in expectation.
    assert_in_ci(
        "70% hits",
        &cost(0.7, "small"),
        0.0012 + 0.7 * 0.0002 + 0.3 * 0.0025,
    );
    // Nova: reads at $0.25/M, writes at the input price (no cache_write).
    assert_close("nova hit", cost(1.0, "nova").mean, 0.0012 + 0.0005, 1e-12);
    assert_close("nova miss", cost(0.0, "nova").mean, 0.0012 + 0.002, 1e-12);
    // No caching: the prefix bills at input whatever the hit rate.
    assert_close("no cache", cost(1.0, "plain").mean, 0.0012 + 0.002, 1e-12);
}

#[test]
fn cost_breakdown_puts_each_kind_in_its_column() {
    let r = simulate(&cached(0.0, "small", ""));
    let m = &policy(&r, "p").cost_by_model[0];
    assert_close("input", m.input, 0.001, 1e-12);
    assert_close("output", m.output, 0.0002, 1e-12);
    assert_eq!(m.cache_read, 0.0);
    assert_close("cache write", m.cache_write, 0.0025, 1e-12);
    assert_close("total", m.total, 0.0037, 1e-12);
}

#[test]
fn batch_bills_the_whole_input_at_batch_prices_without_cache() {
    // (1000 + 2000) × $0.5/M + 100 × $1/M = $0.0016.
    let r = simulate(&cached(0.9, "small", "mode = \"batch\""));
    let p = policy(&r, "p");
    assert_close("batch", p.cost_per_request.mean, 0.0016, 1e-12);
    assert!(
        p.e2e_latency_ms.is_none(),
        "batch stays out of interactive latency"
    );
    // Fixed profile: 500 ms + 1000 × 100 / 100 tok/s = 1500 ms.
    let b = p.batch_latency_ms.as_ref().unwrap();
    assert_close("batch latency", b.p50.mean, 1500.0, 0.001);
}

#[test]
fn extra_calls_are_paid_for_every_request_whatever_the_policy() {
    // embed: 40 × $0.02/M = $0.0000008; rerank $0.002 per call.
    let extra = "extra_calls = [{ model = \"e\", input_tokens = 40 }, { model = \"r\" }]";
    let body = cached(1.0, "small", extra)
        + "[models.e]\nprice = \"embed\"\n[models.r]\nprice = \"rerank\"\n";
    let r = simulate(&body);
    let p = policy(&r, "p");
    assert_close(
        "cost",
        p.cost_per_request.mean,
        0.0014 + 0.0000008 + 0.002,
        1e-12,
    );
    let extra: f64 = p.cost_by_model.iter().map(|m| m.extra_calls).sum();
    assert_close("extra column", extra, 0.0020008, 1e-12);
}

#[test]
fn lognormal_tokens_have_the_lognormal_mean() {
    // E[X] = exp(mu + sigma²/2) with mu = ln 1000, sigma = ln(3)/1.6449; rounding to
    // whole tokens is unbiased to well under a token. Cost = $1/M per input token.
    let body = format!(
        "{}[models.m]\nprice = \"small\"\nskill = 0.5\n\n\
         [[traffic]]\nname = \"all\"\nshare = 1\ninput_tokens = {{ median = 1000, p95 = 3000 }}\noutput_tokens = 1\ndifficulty = 0.5\n\n\
         [[policy]]\nname = \"p\"\nroute = [\"m\"]\n",
        header(50_000, 20)
    );
    let r = simulate(&body);
    let sigma = 3f64.ln() / 1.644_853_626_951_472_2;
    let mean_tokens = (1000f64.ln() + sigma * sigma / 2.0).exp();
    let want = mean_tokens * 1e-6 + 2e-6;
    assert_in_ci("cost", &policy(&r, "p").cost_per_request, want);
}

#[test]
fn quality_follows_the_logistic_curve_and_shares_split_traffic() {
    // Two classes at fixed difficulty: quality = 0.3·logistic(10·(0.6−0.2)) + 0.7·logistic(10·(0.6−0.7)).
    let body = format!(
        "{}[models.m]\nprice = \"small\"\nskill = 0.6\n\n\
         [[traffic]]\nname = \"easy\"\nshare = 0.3\ninput_tokens = 1000\noutput_tokens = 100\ndifficulty = 0.2\n\n\
         [[traffic]]\nname = \"hard\"\nshare = 0.7\ninput_tokens = 1000\noutput_tokens = 100\ndifficulty = 0.7\n\n\
         [[policy]]\nname = \"p\"\nroute = [\"m\"]\n",
        header(20_000, 20)
    );
    let r = simulate(&body);
    let p = policy(&r, "p");
    let want = 0.3 * logistic(10.0, 0.6, 0.2) + 0.7 * logistic(10.0, 0.6, 0.7);
    assert_in_ci("quality", &p.quality, want);
    assert_in_ci(
        "easy quality",
        p.classes[0].quality.as_ref().unwrap(),
        logistic(10.0, 0.6, 0.2),
    );
    assert_close("cost", p.cost_per_request.mean, SMALL, 1e-12);
}

#[test]
fn cascade_latency_sums_calls_and_felt_ttft_waits_for_earlier_calls() {
    // threshold 1 always escalates. small: 500 + 1000·100/100 = 1500 ms;
    // large: 1000 + 1000·100/50 = 3000 ms. End to end 4500 ms; felt TTFT is the
    // small call's full 1500 ms plus large's 1000 ms TTFT = 2500 ms.
    let r = simulate(&two_tier(2_000, 0.7, &cascade(1.0)));
    let p = policy(&r, "c1");
    let e2e = p.e2e_latency_ms.as_ref().unwrap();
    let ttft = p.ttft_ms.as_ref().unwrap();
    for (what, got, want) in [
        ("e2e p50", e2e.p50.mean, 4500.0),
        ("e2e p99", e2e.p99.mean, 4500.0),
        ("ttft p50", ttft.p50.mean, 2500.0),
        ("ttft p95", ttft.p95.mean, 2500.0),
    ] {
        // HDR histogram: within 0.1%.
        assert_close(what, got, want, 0.001);
    }
}

#[test]
fn saving_is_measured_against_the_baseline() {
    let body = two_tier(
        2_000,
        0.7,
        "[[policy]]\nname = \"big\"\nroute = [\"l\"]\n\n[[policy]]\nname = \"small\"\nroute = [\"s\"]\n",
    );
    let r = simulate(&body);
    // Default baseline: the first policy. small saves 1 − 0.0012/0.012 = 90%.
    assert!(policy(&r, "big").baseline);
    assert_close(
        "saving",
        policy(&r, "small").saving_vs_baseline.unwrap().mean,
        0.9,
        1e-9,
    );
    assert_eq!(policy(&r, "big").saving_vs_baseline.unwrap().mean, 0.0);
    // Monthly = per request × monthly_requests (1M).
    assert_close(
        "monthly",
        policy(&r, "small").cost_per_month.mean,
        1200.0,
        1e-9,
    );
}
