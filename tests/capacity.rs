//! Commitments (`[capacity]`, issue 12 part 3) against closed forms: a flat
//! load of known tokens per minute against a reservation below it, above it,
//! throttled, and provisioned units; the slope of the bill in the reservation
//! (the break-even rule); determinism across thread counts.
//!
//! The load: one class of exactly 1,000 input and 100 output tokens
//! (`max_tokens = 100`, no cached prefix) on `small` ($1/M input, $2/M
//! output), arriving flat at 5 a second: T = 300,000 input tokens (and 30,000
//! output) a minute. `monthly_requests` under `[load]` is the simulated rate ×
//! 30 days: 5 × 2,592,000 = 12,960,000, and a month has 43,200 minutes.
//!
//! Tolerances as in tests/load.rs: the closed form within 1.5 half-widths of
//! the 95% interval, fixed seeds.

mod common;

use common::{fixture, policy, run_json, simulate};
use simroute::engine::results::RunResults;
use simroute::engine::time::results::{CapacityBill, CommitmentResult};
use simroute::stats::Estimate;

/// Input tokens a minute of the load, and its monthly requests.
const T: f64 = 300_000.0;
const MONTHLY: f64 = 5.0 * 2_592_000.0;
/// On-demand USD a month of one input token a minute, with its tenth of an
/// output token: (1 × $1/M + 0.1 × $2/M) × 43,200.
const PER_TPM_MONTH: f64 = 1.2e-6 * 43_200.0;

fn near(what: &str, e: &Estimate, want: f64) {
    let half = (e.ci_high - e.ci_low) / 2.0;
    assert!(
        (e.mean - want).abs() <= 1.5 * half.max(1e-6 * want.abs().max(1.0)),
        "{what}: mean {} ± {half}, closed form {want}",
        e.mean
    );
}

/// The flat load with `capacity` (the body of `[capacity.small]`) and `tail`
/// appended (more tables).
fn scenario(capacity: &str, tail: &str) -> String {
    format!(
        "[scenario]\nname = \"t\"\npricing = \"pricing.toml\"\nreplications = 10\nseed = 5\nmonthly_requests = 1000000\n\n[models.s]\nprice = \"small\"\nskill = 0.9\n\n[[traffic]]\nname = \"t\"\nshare = 1\ninput_tokens = 1000\noutput_tokens = 100\nmax_tokens = 100\ndifficulty = 0.2\n\n[[policy]]\nname = \"p\"\nroute = [\"s\"]\n\n[load]\nrequests_per_s = 5\nduration = \"2h\"\nwarmup = \"10m\"\nretry = \"off\"\n\n[capacity.small]\n{capacity}\n{tail}"
    )
}

/// A Reserved-tier commitment of `r` input TPM (and a non-binding 60,000
/// output TPM) at $20 / $40 per 1K TPM a month.
fn reserved(r: f64, extra: &str) -> String {
    format!(
        "kind = \"reserved\"\nreserved_tpm = {r}\nreserved_output_tpm = 60000\nprice_per_1k_tpm = 20.0\nprice_per_1k_output_tpm = 40.0\nterm = \"1 month\"\n{extra}"
    )
}

fn bill(r: &RunResults) -> (&CapacityBill, &CommitmentResult) {
    let b = policy(r, "p").capacity.as_ref().expect("a capacity bill");
    (b, &b.commitments[0])
}

#[test]
fn a_reservation_below_a_flat_load_serves_its_tpm_and_the_rest_overflows_on_demand() {
    let r = simulate(&scenario(&reserved(200_000.0, ""), ""));
    let (b, c) = bill(&r);
    // Fixed: 200 × $20 + 60 × $40.
    let fixed = 200.0 * 20.0 + 60.0 * 40.0;
    assert_eq!(c.fixed_per_month, fixed);
    assert_eq!(b.fixed_per_request, fixed / MONTHLY);
    // The bucket is drained every minute: it serves 200,000 input tokens a
    // minute (utilisation 1, but for the refill it loses while full).
    assert!(
        (c.utilisation.mean - 1.0).abs() < 0.002,
        "utilisation {:?}",
        c.utilisation
    );
    near("overflow input TPM", &c.overflow_input_tpm, T - 200_000.0);
    near(
        "tokens served",
        c.covered_share.as_ref().unwrap(),
        2.0 / 3.0,
    );
    // Overflow: (T − R) input tokens a minute, and a tenth as many output,
    // billed on demand for a month.
    let overflow = (T - 200_000.0) * PER_TPM_MONTH;
    near("overflow cost", &c.overflow_cost_per_month, overflow);
    near("total", &c.total_per_month, fixed + overflow);
    // The policy's bill is the commitment's: the model is its only cost.
    near(
        "policy cost a month",
        &policy(&r, "p").cost_per_month,
        fixed + overflow,
    );
    near(
        "all on demand",
        &b.all_on_demand_per_month,
        T * PER_TPM_MONTH,
    );
    near(
        "savings",
        &b.savings_per_month,
        T * PER_TPM_MONTH - fixed - overflow,
    );
    // The newsvendor: a flat load's minutes all demand about T, and an input
    // TPM costs $0.02 a month against $0.0432 on demand, an output TPM $0.04
    // against $0.0864: reserving the whole load pays (to its busiest minute
    // exceeded in 46% of minutes, within a Poisson minute's spread of T).
    let o = c.optimum.as_ref().expect("an optimum");
    let level = o.reserved_tpm.unwrap().mean;
    assert!((level / T - 1.0).abs() < 0.02, "optimum {level}");
}

#[test]
fn the_bill_falls_with_the_reservation_at_its_price_less_the_on_demand_value() {
    // Below the load, each reserved TPM costs p/1000 = $0.02 a month and saves
    // its tokens' on-demand value, $0.05184 a month: the bill falls by
    // $0.03184 a TPM. The sweep's point 0 is no commitment at all.
    let f = fixture(&scenario(&reserved(100_000.0, ""), ""));
    let v = run_json(
        f.dir.path(),
        &[
            "sweep",
            "scenario.toml",
            "--policy",
            "p",
            "--param",
            "capacity.small.reserved_tpm=0,100000,200000",
        ],
    );
    let month = |i: usize| {
        v["points"][i]["result"]["cost_per_month"]["mean"]
            .as_f64()
            .unwrap()
    };
    assert!(v["points"][0]["result"]["capacity"].is_null());
    let on_demand = T * PER_TPM_MONTH;
    assert!((month(0) / on_demand - 1.0).abs() < 0.01, "{}", month(0));
    let slope = (month(2) - month(1)) / 100_000.0;
    let want = 20.0 / 1000.0 - PER_TPM_MONTH;
    assert!(
        (slope / want - 1.0).abs() < 0.02,
        "slope {slope} a TPM, closed form {want}"
    );
    // So reserving pays iff p/1000 < the on-demand value of a TPM a month.
    assert!(want < 0.0);
}

#[test]
fn a_reservation_far_above_the_load_serves_every_call_and_costs_its_fixed_bill() {
    // A quota of 1 request a minute would throttle nearly every call on
    // demand: none reaches it.
    let r = simulate(&scenario(
        &reserved(1_000_000.0, "").replace("60000", "200000"),
        "\n[quotas.small]\nrpm = 1\n",
    ));
    let (_, c) = bill(&r);
    let fixed = 1000.0 * 20.0 + 200.0 * 40.0;
    assert_eq!(c.overflow_cost_per_month.mean, 0.0);
    assert_eq!(c.total_per_month.mean, fixed);
    assert_eq!(c.covered_share.unwrap().mean, 1.0);
    let p = policy(&r, "p");
    assert!((p.cost_per_month.mean / fixed - 1.0).abs() < 1e-9);
    let t = p.traffic.as_ref().unwrap();
    assert_eq!(t.failed_rate.mean, 0.0);
    assert_eq!(t.models[0].throttled_rate.unwrap().mean, 0.0);
    near("utilisation", &c.utilisation, T / 1_000_000.0);
}

#[test]
fn a_throttling_reservation_below_the_load_refuses_one_minus_r_over_t() {
    let r = simulate(&scenario(
        &reserved(150_000.0, "overflow = \"throttle\"\n"),
        "",
    ));
    let (_, c) = bill(&r);
    let want = 1.0 - 150_000.0 / T;
    near("refused", c.refused_rate.as_ref().unwrap(), want);
    // Without retries a refused call fails its request.
    let t = policy(&r, "p").traffic.as_ref().unwrap();
    near("failed", &t.failed_rate, want);
    assert_eq!(c.overflow_cost_per_month.mean, 0.0);
    assert!(c.optimum.is_none());
}

#[test]
fn provisioned_units_serve_units_times_their_tpm_at_units_times_720_hours() {
    // 2 units of 110,000 tokens a minute: 200 of the 300 calls a minute (1,100
    // tokens each); the rest is throttled (the default for provisioned).
    let r = simulate(&scenario(
        "kind = \"provisioned\"\nmodel_units = 2\nprice_per_unit_hour = 40.0\nunit_tpm = 110000\nterm = \"none\"\n",
        "",
    ));
    let (_, c) = bill(&r);
    let fixed = 2.0 * 40.0 * 720.0;
    assert_eq!(c.fixed_per_month, fixed);
    assert_eq!(c.overflow, "throttle");
    near("refused", c.refused_rate.as_ref().unwrap(), 1.0 / 3.0);
    // Every call that started was served by the units (the others were
    // refused, and never started).
    assert_eq!(c.covered_calls_share.unwrap().mean, 1.0);
    assert!(
        (c.utilisation.mean - 1.0).abs() < 0.002,
        "{:?}",
        c.utilisation
    );
    // Served calls bill nothing on demand, refused ones nothing at all.
    assert!((policy(&r, "p").cost_per_month.mean / fixed - 1.0).abs() < 1e-9);
}

#[test]
fn one_and_four_threads_give_the_same_json() {
    let f = fixture(&scenario(&reserved(200_000.0, ""), ""));
    let run = |threads: &str| {
        let out = assert_cmd::cargo::cargo_bin_cmd!("simroute")
            .current_dir(f.dir.path())
            .args([
                "run",
                "scenario.toml",
                "--format",
                "json",
                "--threads",
                threads,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let one = run("1");
    assert!(String::from_utf8_lossy(&one).contains("\"capacity\""));
    assert_eq!(one, run("4"));
}
