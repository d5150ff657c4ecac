//! Shared helpers: write a pricing table and a scenario to a temporary folder.
#![allow(dead_code)]

use std::path::PathBuf;

use simroute::engine::results::{PolicyResult, RunResults};
use simroute::scenario::Scenario;

/// A small pricing table with round prices, so costs are easy to compute by hand.
/// small: $1/M in, $2/M out, cache read $0.1/M, cache write $1.25/M (1-hour
/// writes $2/M), batch $0.5/$1.
/// large: $10/M in, $20/M out, cache read $1/M, cache write $12.5/M, batch $5/$10.
/// nova: $1/M in, $2/M out, cache read $0.25/M, no cache_write (writes bill at input).
/// plain: $1/M in, $2/M out, no caching, no batch.
/// ttft 500 ms fixed and 100 tok/s fixed for every generation model.
pub const PRICING: &str = r#"
[meta]
region = "test-region"
currency = "USD"
unit = "per 1M tokens"
as_of = "2026-01-01"
source = "made up for tests"

[models.small]
input = 1.0
output = 2.0
cache_read = 0.1
cache_write = 1.25
cache_write_1h = 2.0
batch_input = 0.5
batch_output = 1.0
ttft_ms = 500
output_tokens_per_s = 100

[models.large]
input = 10.0
output = 20.0
cache_read = 1.0
cache_write = 12.5
batch_input = 5.0
batch_output = 10.0
ttft_ms = 1000
output_tokens_per_s = 50

[models.nova]
input = 1.0
output = 2.0
cache_read = 0.25
ttft_ms = 500
output_tokens_per_s = 100

[models.plain]
input = 1.0
output = 2.0
ttft_ms = 500
output_tokens_per_s = 100

[models.embed]
input = 0.02

[models.rerank]
per_request = 0.002
"#;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub scenario: PathBuf,
}

/// Writes PRICING and a scenario made of `header` settings plus `body`.
pub fn fixture(body: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pricing.toml"), PRICING).unwrap();
    let scenario = dir.path().join("scenario.toml");
    std::fs::write(&scenario, body).unwrap();
    Fixture { dir, scenario }
}

/// The `[scenario]` table with the given size.
pub fn header(requests: u64, replications: u32) -> String {
    format!(
        "[scenario]\nname = \"t\"\npricing = \"pricing.toml\"\nrequests = {requests}\nreplications = {replications}\nseed = 7\nmonthly_requests = 1000000\n\n"
    )
}

/// Simulates the scenario text `body` on all cores.
pub fn simulate(body: &str) -> RunResults {
    let f = fixture(body);
    let s = Scenario::load(&f.scenario).unwrap_or_else(|e| panic!("{e}"));
    simroute::engine::simulate(&s, None).unwrap()
}

pub fn policy<'a>(r: &'a RunResults, name: &str) -> &'a PolicyResult {
    r.policies.iter().find(|p| p.name == name).unwrap()
}

/// Asserts that `e`'s 95% interval contains `want`.
pub fn assert_in_ci(what: &str, e: &simroute::stats::Estimate, want: f64) {
    assert!(
        e.contains(want),
        "{what}: expected {want} inside the 95% CI [{}, {}] (mean {})",
        e.ci_low,
        e.ci_high,
        e.mean
    );
}

/// Asserts relative closeness.
pub fn assert_close(what: &str, got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want.abs(),
        "{what}: got {got}, want {want} (±{}%)",
        rel * 100.0
    );
}

/// `simroute ARGS --format json` run in `dir`, asserted to succeed, parsed.
pub fn run_json(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = assert_cmd::cargo::cargo_bin_cmd!("simroute")
        .current_dir(dir)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
