//! Bad input, end to end: every mistake the spec lists in a scenario, a pricing
//! table or the command line must end with exit code 2, no panic, and one message
//! on stderr of the form `error: PATH:LINE:COL: KEY: message` that names the file,
//! the position (where TOML gives one), the key as a dotted path, and what is wrong.
//!
//! Each test writes a small scenario to a temporary folder: [`BASE`] (a valid
//! scenario) with a few text replacements applied. Positions are not hard-coded: the
//! expected line and column are those of a unique piece of text in the written
//! file, so the tests pin where the message points without pinning the layout of
//! [`BASE`].
//!
//! Tests marked `#[ignore = "BUG: ..."]` show a mistake of the product; run them
//! with `cargo test --test bad_input -- --ignored`.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use tempfile::TempDir;

/// The small pricing table of these tests.
const PRICING: &str = include_str!("fixtures/pricing.toml");

/// A valid scenario. `@PRICING@` is replaced by the pricing table's path.
///
/// Models: micro and sonnet (batch prices), large (no batch prices), embed (no
/// output price), rerank (per request). Policies: a single model, a cascade on
/// confidence, and a cascade on a classifier.
const BASE: &str = r#"[scenario]
name = "fixture"
pricing = '@PRICING@'
requests = 1000
replications = 2
seed = 7
monthly_requests = 100000

[models.micro]
price = "amazon.nova-micro-v1:0"
skill = 0.55
confidence_auc = 0.85

[models.sonnet]
price = "anthropic.claude-sonnet-4-5-20250929-v1:0"
skill = 0.85
confidence_auc = 0.9

[models.large]
price = "mistral.mistral-large-2402-v1:0"
skill = 0.8

[models.embed]
price = "amazon.titan-embed-text-v2:0"

[models.rerank]
price = "cohere.rerank-v3-5:0"

[[traffic]]
name = "classify"
share = 0.4
input_tokens = { median = 450, p95 = 1200 }
output_tokens = 6
difficulty = { alpha = 1.5, beta = 10 }

[[traffic]]
name = "chat"
share = 0.6
input_tokens = { median = 1800, p95 = 4500 }
output_tokens = { median = 220, p95 = 600 }
cached_prefix_tokens = 2000
cache_hit_rate = 0.9
difficulty = { alpha = 2, beta = 6 }
extra_calls = [{ model = "embed", input_tokens = 40 }, { model = "rerank" }]

[[policy]]
name = "all-sonnet"
route = ["sonnet"]

[[policy]]
name = "cascade"
route = ["micro", "sonnet"]
by_class = { classify = "micro" }
threshold = 0.3

[[policy]]
name = "routed"
route = ["micro", "sonnet"]
classifier = { model = "micro", auc = 0.8, threshold = 0.5, input_tokens = 200, output_tokens = 1 }
"#;

/// Model keys of the fixture pricing table.
const MICRO: &str = "amazon.nova-micro-v1:0";
const LARGE: &str = "mistral.mistral-large-2402-v1:0";
const EMBED: &str = "amazon.titan-embed-text-v2:0";
const RERANK: &str = "cohere.rerank-v3-5:0";

fn fixture_pricing() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pricing.toml")
}

/// `text` with every `(from, to)` replacement applied; each `from` must occur
/// exactly once, so that a test never edits something other than it means to.
fn edit(text: &str, edits: &[(&str, &str)]) -> String {
    let mut text = text.to_string();
    for (from, to) in edits {
        let n = text.matches(from).count();
        assert_eq!(n, 1, "{from:?} occurs {n} times in the text to edit");
        text = text.replacen(from, to, 1);
    }
    text
}

/// 1-based line and column of the first occurrence of `needle` in `text`.
fn line_col_of_first(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not in the text:\n{text}"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |nl| nl + 1)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

/// 1-based line and column of `needle`, which must occur exactly once in `text`.
fn line_col(text: &str, needle: &str) -> (usize, usize) {
    let n = text.matches(needle).count();
    assert_eq!(n, 1, "{needle:?} occurs {n} times in:\n{text}");
    line_col_of_first(text, needle)
}

/// A scenario (and maybe a pricing table) written to a temporary folder.
struct Case {
    _dir: TempDir,
    dir: PathBuf,
    scenario: PathBuf,
    text: String,
    pricing: PathBuf,
    pricing_text: String,
}

impl Case {
    /// [`BASE`] with `edits`, pointing at the fixture pricing table (absolute path).
    fn scenario(edits: &[(&str, &str)]) -> Case {
        let pricing = fixture_pricing();
        let base = BASE.replace("@PRICING@", &pricing.display().to_string());
        Case::write(edit(&base, edits), pricing, PRICING.to_string())
    }

    /// [`BASE`] pointing at `pricing.toml` next to it (a relative path): the
    /// fixture pricing table with `edits`.
    fn pricing(edits: &[(&str, &str)]) -> Case {
        let dir = TempDir::new().expect("temporary folder");
        let pricing = dir.path().join("pricing.toml");
        let pricing_text = edit(PRICING, edits);
        std::fs::write(&pricing, &pricing_text).expect("write the pricing table");
        Case::write_in(
            dir,
            BASE.replace("@PRICING@", "pricing.toml"),
            pricing,
            pricing_text,
        )
    }

    fn write(text: String, pricing: PathBuf, pricing_text: String) -> Case {
        Case::write_in(
            TempDir::new().expect("temporary folder"),
            text,
            pricing,
            pricing_text,
        )
    }

    fn write_in(dir: TempDir, text: String, pricing: PathBuf, pricing_text: String) -> Case {
        let scenario = dir.path().join("scenario.toml");
        std::fs::write(&scenario, &text).expect("write the scenario");
        Case {
            dir: dir.path().to_path_buf(),
            _dir: dir,
            scenario,
            text,
            pricing,
            pricing_text,
        }
    }

    /// `SCENARIO:LINE:COL` of `needle` (unique) in the scenario.
    fn at(&self, needle: &str) -> String {
        let (l, c) = line_col(&self.text, needle);
        format!("{}:{l}:{c}", self.scenario.display())
    }

    /// `SCENARIO:LINE:COL` of the first `needle` in the scenario.
    fn at_first(&self, needle: &str) -> String {
        let (l, c) = line_col_of_first(&self.text, needle);
        format!("{}:{l}:{c}", self.scenario.display())
    }

    /// `PRICING:LINE:COL` of `needle` (unique) in the pricing table.
    fn pricing_at(&self, needle: &str) -> String {
        let (l, c) = line_col(&self.pricing_text, needle);
        format!("{}:{l}:{c}", self.pricing.display())
    }

    fn validate(&self) -> Output {
        simroute(&["validate", path_str(&self.scenario)])
    }

    /// `run`, kept fast.
    fn run(&self) -> Output {
        simroute(&[
            "run",
            path_str(&self.scenario),
            "--requests",
            "1000",
            "--replications",
            "2",
        ])
    }

    /// `quote --pricing` on this case's pricing table.
    fn quote(&self, args: &[&str]) -> Output {
        quote(&self.pricing, args)
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// Runs the binary; never panics itself, whatever the exit code.
fn simroute(args: &[&str]) -> Output {
    cargo_bin_cmd!("simroute")
        .args(args)
        .assert()
        .stderr(predicate::str::contains("panicked").not())
        .get_output()
        .clone()
}

fn quote(pricing: &Path, args: &[&str]) -> Output {
    let mut all = vec!["quote", "--pricing", path_str(pricing)];
    all.extend_from_slice(args);
    simroute(&all)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Exit code 2, no panic, nothing on stdout, stderr starting with `error: PREFIX`
/// and holding every fragment.
fn assert_bad(out: &Output, prefix: &str, fragments: &[&str]) {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code should be 2 for bad input\nstderr:\n{err}"
    );
    assert!(!err.contains("panicked"), "panic:\n{err}");
    assert!(
        out.stdout.is_empty(),
        "nothing should be printed on stdout:\n{}",
        stdout(out)
    );
    let want = format!("error: {prefix}");
    assert!(
        err.starts_with(&want),
        "stderr should start with\n  {want}\nbut is\n  {err}"
    );
    for f in fragments {
        assert!(err.contains(f), "stderr should contain {f:?}:\n  {err}");
    }
}

/// [`assert_bad`] for a finding on `key` located at `at` (`FILE:LINE:COL`).
fn assert_key(out: &Output, at: &str, key: &str, fragments: &[&str]) {
    assert_bad(out, &format!("{at}: {key}: "), fragments);
}

// ---------------------------------------------------------------------------
// The good path: the base files are valid, so every failure below is the edit's.
// ---------------------------------------------------------------------------

#[test]
fn validate_accepts_the_base_scenario() {
    let c = Case::scenario(&[]);
    let out = c.validate();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(
        s.starts_with(&format!(
            "{}: ok: scenario \"fixture\"",
            c.scenario.display()
        )),
        "{s}"
    );
    assert!(s.contains("5 models, 2 traffic classes, 3 policies"), "{s}");
    assert!(s.contains("baseline \"all-sonnet\""), "{s}");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn validate_accepts_a_relative_pricing_path() {
    let c = Case::pricing(&[]);
    let out = c.validate();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(": ok: "), "{}", stdout(&out));
}

#[test]
fn run_simulates_the_base_scenario() {
    let c = Case::scenario(&[]);
    let out = c.run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(s.contains("1,000 requests x 2 replications"), "{s}");
    assert!(s.contains("all-sonnet (baseline)"), "{s}");
    for policy in ["cascade", "routed"] {
        assert!(s.contains(policy), "{s}");
    }
}

#[test]
fn quote_prices_one_call() {
    let out = quote(
        &fixture_pricing(),
        &["--model", MICRO, "--input", "100", "--output", "10"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(s.contains(MICRO) && s.contains("on-demand"), "{s}");
    // 100 × $0.035/M + 10 × $0.14/M.
    let total = s.lines().find(|l| l.trim_start().starts_with("total"));
    assert!(
        total.is_some_and(|l| l.contains("$0.00000490")),
        "no total line of $0.00000490:\n{s}"
    );
}

#[test]
fn quote_prices_one_batch_call() {
    let out = quote(
        &fixture_pricing(),
        &[
            "--model", MICRO, "--input", "1000000", "--output", "1000000", "--batch",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(s.contains("batch"), "{s}");
    // 1M × $0.0175/M + 1M × $0.07/M.
    assert!(s.contains("$0.08750000"), "{s}");
}

// ---------------------------------------------------------------------------
// Unknown model names: the nearest one is suggested.
// ---------------------------------------------------------------------------

#[test]
fn unknown_model_in_a_route() {
    let c = Case::scenario(&[(
        "route = [\"micro\", \"sonnet\"]\nby_class",
        "route = [\"micro\", \"sonet\"]\nby_class",
    )]);
    assert_key(
        &c.validate(),
        &c.at("\"sonet\""),
        "policy[1].route[1]",
        &["\"sonet\"", "did you mean `sonnet`?"],
    );
}

#[test]
fn unknown_model_in_a_route_through_run() {
    let c = Case::scenario(&[("route = [\"sonnet\"]", "route = [\"sonnnet\"]")]);
    assert_key(
        &c.run(),
        &c.at("\"sonnnet\""),
        "policy[0].route[0]",
        &["\"sonnnet\"", "did you mean `sonnet`?"],
    );
}

#[test]
fn unknown_model_in_a_by_class_list() {
    let c = Case::scenario(&[(
        "by_class = { classify = \"micro\" }",
        "by_class = { classify = [\"micro\", \"sonnett\"] }",
    )]);
    assert_key(
        &c.validate(),
        &c.at("\"sonnett\""),
        "policy[1].by_class.classify[1]",
        &["\"sonnett\"", "did you mean `sonnet`?"],
    );
}

#[test]
fn unknown_model_in_a_by_class_string() {
    let c = Case::scenario(&[(
        "by_class = { classify = \"micro\" }",
        "by_class = { classify = \"mikro\" }",
    )]);
    let out = c.validate();
    assert_bad(
        &out,
        &format!("{}: policy[1].by_class.classify", c.at("classify = ")),
        &["\"mikro\"", "did you mean `micro`?"],
    );
}

#[test]
fn unknown_model_in_a_by_class_string_is_named_without_an_index() {
    let c = Case::scenario(&[(
        "by_class = { classify = \"micro\" }",
        "by_class = { classify = \"mikro\" }",
    )]);
    assert_key(
        &c.validate(),
        &c.at("classify = "),
        "policy[1].by_class.classify",
        &["\"mikro\"", "did you mean `micro`?"],
    );
}

#[test]
fn unknown_model_in_extra_calls() {
    let c = Case::scenario(&[("{ model = \"embed\"", "{ model = \"embedd\"")]);
    assert_key(
        &c.validate(),
        &c.at("model = \"embedd\""),
        "traffic[1].extra_calls[0].model",
        &["\"embedd\"", "did you mean `embed`?"],
    );
}

#[test]
fn unknown_model_in_a_classifier() {
    let c = Case::scenario(&[(
        "classifier = { model = \"micro\"",
        "classifier = { model = \"micr\"",
    )]);
    assert_key(
        &c.validate(),
        &c.at("model = \"micr\""),
        "policy[2].classifier.model",
        &["\"micr\"", "did you mean `micro`?"],
    );
}

#[test]
fn unknown_price_key_of_a_model() {
    let c = Case::scenario(&[(
        "price = \"amazon.nova-micro-v1:0\"",
        "price = \"amazon.nova-micro-v1\"",
    )]);
    assert_key(
        &c.validate(),
        &c.at("price = \"amazon.nova-micro-v1\""),
        "models.micro.price",
        &[
            "\"amazon.nova-micro-v1\"",
            "pricing table",
            "did you mean `amazon.nova-micro-v1:0`?",
        ],
    );
}

#[test]
fn unknown_price_key_through_run() {
    let c = Case::scenario(&[(
        "price = \"mistral.mistral-large-2402-v1:0\"",
        "price = \"mistral.mistral-large-2402\"",
    )]);
    assert_key(
        &c.run(),
        &c.at("price = \"mistral.mistral-large-2402\""),
        "models.large.price",
        &[&format!("did you mean `{LARGE}`?")],
    );
}

#[test]
fn unknown_traffic_class_in_by_class_and_batch_classes() {
    let c = Case::scenario(&[(
        "by_class = { classify = \"micro\" }",
        "by_class = { clasify = \"micro\" }",
    )]);
    assert_key(
        &c.validate(),
        &c.at("clasify"),
        "policy[1].by_class.clasify",
        &[
            "\"clasify\"",
            "not a traffic class",
            "did you mean `classify`?",
        ],
    );
    let c = Case::scenario(&[(
        "route = [\"sonnet\"]",
        "route = [\"sonnet\"]\nbatch_classes = [\"chat\", \"sumarize\"]",
    )]);
    assert_key(
        &c.validate(),
        &c.at("\"sumarize\""),
        "policy[0].batch_classes[1]",
        &["\"sumarize\"", "not a traffic class"],
    );
}

// ---------------------------------------------------------------------------
// Traffic shares.
// ---------------------------------------------------------------------------

#[test]
fn shares_not_summing_to_one() {
    let c = Case::scenario(&[("share = 0.6", "share = 0.5")]);
    assert_key(
        &c.validate(),
        &c.at_first("traffic]]"),
        "traffic",
        &["shares sum to 0.9", "not 1", "classify = 0.4", "chat = 0.5"],
    );
}

#[test]
fn shares_above_one_through_run() {
    let c = Case::scenario(&[("share = 0.6", "share = 0.7")]);
    assert_key(
        &c.run(),
        &c.at_first("traffic]]"),
        "traffic",
        &["shares sum to", "not 1", "chat = 0.7"],
    );
}

// ---------------------------------------------------------------------------
// Negative, missing and non-finite numbers.
// ---------------------------------------------------------------------------

#[test]
fn negative_monthly_requests() {
    let c = Case::scenario(&[("monthly_requests = 100000", "monthly_requests = -5")]);
    assert_key(
        &c.validate(),
        &c.at("monthly_requests"),
        "scenario.monthly_requests",
        &["-5", "must not be negative"],
    );
}

#[test]
fn negative_token_count() {
    let c = Case::scenario(&[("output_tokens = 6", "output_tokens = -6")]);
    assert_key(
        &c.validate(),
        &c.at("output_tokens = -6"),
        "traffic[0].output_tokens",
        &["-6", "must not be negative"],
    );
}

#[test]
fn negative_share() {
    let c = Case::scenario(&[("share = 0.6", "share = -0.6")]);
    assert_key(
        &c.validate(),
        &c.at("share = -0.6"),
        "traffic[1].share",
        &["-0.6", "between 0 and 1"],
    );
}

#[test]
fn negative_median_of_a_token_spread() {
    let c = Case::scenario(&[(
        "input_tokens = { median = 450, p95 = 1200 }",
        "input_tokens = { median = -450, p95 = 1200 }",
    )]);
    assert_key(
        &c.validate(),
        &c.at("median = -450"),
        "traffic[0].input_tokens.median",
        &["-450", "must not be negative"],
    );
}

#[test]
fn missing_share_in_the_first_traffic_class() {
    let c = Case::scenario(&[("share = 0.4\n", "")]);
    // Serde reports the missing key on the class's header; the key must name the
    // class, and the message the missing key.
    assert_bad(
        &c.validate(),
        &format!("{}: traffic[0]", c.at("[[traffic]]\nname = \"classify\"")),
        &["missing", "share of all requests"],
    );
}

#[test]
fn missing_share_in_the_second_traffic_class_names_the_file_and_line() {
    let c = Case::scenario(&[("share = 0.6\n", "")]);
    assert_bad(
        &c.validate(),
        &format!("{}: ", c.at("[[traffic]]\nname = \"chat\"")),
        &["missing", "share of all requests"],
    );
}

#[test]
fn missing_share_in_the_second_traffic_class_names_the_class() {
    let c = Case::scenario(&[("share = 0.6\n", "")]);
    assert_bad(
        &c.validate(),
        &format!("{}: traffic[1]", c.at("[[traffic]]\nname = \"chat\"")),
        &["missing", "share of all requests"],
    );
}

#[test]
fn missing_share_through_run() {
    let c = Case::scenario(&[("share = 0.4\n", "")]);
    assert_bad(
        &c.run(),
        &format!("{}: traffic[0]", c.at("[[traffic]]\nname = \"classify\"")),
        &["missing", "share of all requests"],
    );
}

#[test]
fn missing_seed_in_the_header() {
    let c = Case::scenario(&[("seed = 7\n", "")]);
    assert_bad(
        &c.validate(),
        &format!("{}: scenario", c.at("[scenario]")),
        &["missing", "`seed`"],
    );
}

#[test]
fn missing_price_of_a_model_names_the_model() {
    let c = Case::scenario(&[("price = \"mistral.mistral-large-2402-v1:0\"\n", "")]);
    assert_bad(
        &c.validate(),
        &format!("{}: models.large", c.at("[models.large]")),
        &["missing", "`price`"],
    );
}

#[test]
fn missing_cache_hit_rate_with_a_cached_prefix() {
    let c = Case::scenario(&[("cache_hit_rate = 0.9\n", "")]);
    assert_key(
        &c.validate(),
        &c.at("[[traffic]]\nname = \"chat\""),
        "traffic[1].cache_hit_rate",
        &["missing", "cached_prefix_tokens"],
    );
}

#[test]
fn nan_share() {
    let c = Case::scenario(&[("share = 0.6", "share = nan")]);
    assert_key(
        &c.validate(),
        &c.at("share = nan"),
        "traffic[1].share",
        &["NaN", "not a finite number"],
    );
}

#[test]
fn infinite_skill() {
    let c = Case::scenario(&[("skill = 0.8\n", "skill = inf\n")]);
    assert_key(
        &c.validate(),
        &c.at("skill = inf"),
        "models.large.skill",
        &["inf", "not a finite number"],
    );
}

#[test]
fn negative_infinite_monthly_requests() {
    let c = Case::scenario(&[("monthly_requests = 100000", "monthly_requests = -inf")]);
    assert_key(
        &c.validate(),
        &c.at("monthly_requests"),
        "scenario.monthly_requests",
        &["-inf", "not a finite number"],
    );
}

#[test]
fn nan_p95_in_an_inline_table() {
    let c = Case::scenario(&[(
        "input_tokens = { median = 450, p95 = 1200 }",
        "input_tokens = { median = 450, p95 = nan }",
    )]);
    assert_key(
        &c.validate(),
        &c.at("p95 = nan"),
        "traffic[0].input_tokens.p95",
        &["NaN", "not a finite number"],
    );
}

#[test]
fn nan_threshold_through_run() {
    let c = Case::scenario(&[("threshold = 0.3", "threshold = nan")]);
    assert_key(
        &c.run(),
        &c.at("threshold = nan"),
        "policy[1].threshold",
        &["NaN", "not a finite number"],
    );
}

// ---------------------------------------------------------------------------
// Ranges: thresholds, AUCs, p95 against the median.
// ---------------------------------------------------------------------------

#[test]
fn threshold_above_one() {
    let c = Case::scenario(&[("threshold = 0.3", "threshold = 1.3")]);
    assert_key(
        &c.validate(),
        &c.at("threshold = 1.3"),
        "policy[1].threshold",
        &["1.3", "between 0 and 1"],
    );
}

#[test]
fn threshold_below_zero_in_a_list() {
    let c = Case::scenario(&[("threshold = 0.3", "threshold = [-0.1]")]);
    assert_key(
        &c.validate(),
        &c.at("-0.1"),
        "policy[1].threshold[0]",
        &["-0.1", "between 0 and 1"],
    );
}

#[test]
fn classifier_threshold_out_of_range() {
    let c = Case::scenario(&[("threshold = 0.5,", "threshold = 1.5,")]);
    assert_key(
        &c.validate(),
        &c.at("threshold = 1.5"),
        "policy[2].classifier.threshold",
        &["1.5", "between 0 and 1"],
    );
}

#[test]
fn confidence_auc_above_one() {
    let c = Case::scenario(&[("confidence_auc = 0.9\n", "confidence_auc = 1.2\n")]);
    assert_key(
        &c.validate(),
        &c.at("confidence_auc = 1.2"),
        "models.sonnet.confidence_auc",
        &["1.2", "out of range"],
    );
}

#[test]
fn confidence_auc_of_one() {
    let c = Case::scenario(&[("confidence_auc = 0.9\n", "confidence_auc = 1.0\n")]);
    assert_key(
        &c.validate(),
        &c.at("confidence_auc = 1.0"),
        "models.sonnet.confidence_auc",
        &["out of range", "below 1"],
    );
}

#[test]
fn classifier_auc_below_one_half() {
    let c = Case::scenario(&[("auc = 0.8,", "auc = 0.3,")]);
    assert_key(
        &c.validate(),
        &c.at("auc = 0.3"),
        "policy[2].classifier.auc",
        &["0.3", "out of range", "0.5"],
    );
}

#[test]
fn classifier_auc_through_run() {
    let c = Case::scenario(&[("auc = 0.8,", "auc = 0.3,")]);
    assert_key(
        &c.run(),
        &c.at("auc = 0.3"),
        "policy[2].classifier.auc",
        &["0.3", "out of range"],
    );
}

#[test]
fn input_tokens_p95_below_median() {
    let c = Case::scenario(&[(
        "input_tokens = { median = 450, p95 = 1200 }",
        "input_tokens = { median = 450, p95 = 100 }",
    )]);
    assert_key(
        &c.validate(),
        &c.at("p95 = 100 "),
        "traffic[0].input_tokens.p95",
        &["p95 (100)", "below the median (450)"],
    );
}

#[test]
fn ttft_p95_below_median_in_a_scenario_model() {
    let c = Case::scenario(&[(
        "skill = 0.8\n",
        "skill = 0.8\nttft_ms = { median = 800, p95 = 500 }\n",
    )]);
    assert_key(
        &c.validate(),
        &c.at("p95 = 500"),
        "models.large.ttft_ms.p95",
        &["p95 (500)", "below the median (800)"],
    );
}

// ---------------------------------------------------------------------------
// Unknown keys (misspellings): named, with the key that was probably meant.
// ---------------------------------------------------------------------------

/// The part of an unknown-key message that works: file, line and column of the
/// misspelt key, the misspelling, and the suggestion.
fn assert_unknown_key(out: &Output, at: &str, unknown: &str, meant: &str) {
    assert_bad(
        out,
        &format!("{at}: "),
        &[
            &format!("unknown key `{unknown}`"),
            &format!("did you mean `{meant}`?"),
        ],
    );
}

#[test]
fn misspelt_share_in_traffic() {
    let c = Case::scenario(&[("share = 0.6", "shar = 0.6")]);
    assert_unknown_key(&c.validate(), &c.at("shar = 0.6"), "shar", "share");
}

#[test]
fn misspelt_threshold_in_policy() {
    let c = Case::scenario(&[("threshold = 0.3", "tresholds = 0.3")]);
    assert_unknown_key(&c.validate(), &c.at("tresholds"), "tresholds", "threshold");
}

#[test]
fn misspelt_threshold_through_run() {
    let c = Case::scenario(&[("threshold = 0.3", "tresholds = 0.3")]);
    assert_unknown_key(&c.run(), &c.at("tresholds"), "tresholds", "threshold");
}

#[test]
fn misspelt_key_in_the_scenario_header() {
    let c = Case::scenario(&[("\nrequests = 1000", "\nrequsts = 1000")]);
    assert_unknown_key(&c.validate(), &c.at("requsts"), "requsts", "requests");
}

#[test]
fn misspelt_key_in_a_scenario_model() {
    let c = Case::scenario(&[("skill = 0.8\n", "skil = 0.8\n")]);
    assert_unknown_key(&c.validate(), &c.at("skil ="), "skil", "skill");
}

#[test]
fn misspelt_key_in_an_inline_table() {
    let c = Case::scenario(&[("auc = 0.8,", "aucc = 0.8,")]);
    assert_unknown_key(&c.validate(), &c.at("aucc"), "aucc", "auc");
    let c = Case::scenario(&[(
        "input_tokens = { median = 450, p95 = 1200 }",
        "input_tokens = { median = 450, p59 = 1200 }",
    )]);
    assert_unknown_key(&c.validate(), &c.at("p59"), "p59", "p95");
}

// Serde finds unknown keys, missing keys and wrong types; its messages are
// located, but carry no dotted key path, so a user must find the table by line.

/// Asserts that the message's key is `table` or `table.key`.
fn assert_names_table(out: &Output, at: &str, table: &str, key: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let short = format!("error: {at}: {table}: ");
    let long = format!("error: {at}: {table}.{key}: ");
    assert!(
        err.starts_with(&short) || err.starts_with(&long),
        "stderr should start with\n  {short}\nor\n  {long}\nbut is\n  {err}"
    );
}

#[test]
fn misspelt_share_names_the_traffic_class() {
    let c = Case::scenario(&[("share = 0.6", "shar = 0.6")]);
    assert_names_table(&c.validate(), &c.at("shar = 0.6"), "traffic[1]", "shar");
}

#[test]
fn misspelt_threshold_names_the_policy() {
    let c = Case::scenario(&[("threshold = 0.3", "tresholds = 0.3")]);
    assert_names_table(&c.validate(), &c.at("tresholds"), "policy[1]", "tresholds");
}

#[test]
fn misspelt_header_key_names_the_header() {
    let c = Case::scenario(&[("\nrequests = 1000", "\nrequsts = 1000")]);
    assert_names_table(&c.validate(), &c.at("requsts"), "scenario", "requsts");
}

#[test]
fn misspelt_inline_key_names_the_inline_table() {
    let c = Case::scenario(&[("auc = 0.8,", "aucc = 0.8,")]);
    assert_names_table(&c.validate(), &c.at("aucc"), "policy[2].classifier", "aucc");
}

#[test]
fn misspelt_price_key_names_the_pricing_model() {
    let c = Case::pricing(&[("input = 4.0", "inputt = 4.0")]);
    assert_names_table(
        &c.validate(),
        &c.pricing_at("inputt"),
        &format!("models.\"{LARGE}\""),
        "inputt",
    );
}

#[test]
fn wrong_type_is_located() {
    let c = Case::scenario(&[("seed = 7", "seed = \"seven\"")]);
    assert_bad(
        &c.validate(),
        &format!("{}: ", c.at("\"seven\"")),
        &["\"seven\""],
    );
}

#[test]
fn wrong_type_names_the_key() {
    let c = Case::scenario(&[("seed = 7", "seed = \"seven\"")]);
    assert_key(
        &c.validate(),
        &c.at("\"seven\""),
        "scenario.seed",
        &["\"seven\""],
    );
}

// ---------------------------------------------------------------------------
// Routes, replications, requests, baseline, triggers, batch.
// ---------------------------------------------------------------------------

#[test]
fn empty_route() {
    let c = Case::scenario(&[("route = [\"sonnet\"]", "route = []")]);
    assert_key(
        &c.validate(),
        &c.at("route = []"),
        "policy[0].route",
        &["empty"],
    );
}

#[test]
fn empty_route_through_run() {
    let c = Case::scenario(&[("route = [\"sonnet\"]", "route = []")]);
    assert_key(&c.run(), &c.at("route = []"), "policy[0].route", &["empty"]);
}

#[test]
fn one_replication() {
    let c = Case::scenario(&[("replications = 2", "replications = 1")]);
    assert_key(
        &c.validate(),
        &c.at("replications = 1"),
        "scenario.replications",
        &["1", "at least 2"],
    );
}

#[test]
fn zero_requests() {
    let c = Case::scenario(&[("\nrequests = 1000", "\nrequests = 0")]);
    assert_key(
        &c.validate(),
        &c.at("requests = 0\n"),
        "scenario.requests",
        &["at least 1"],
    );
}

#[test]
fn run_flags_below_their_minimum_are_usage_errors() {
    let c = Case::scenario(&[]);
    for (flag, value) in [("--requests", "0"), ("--replications", "1")] {
        let out = simroute(&["run", path_str(&c.scenario), flag, value]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(err.contains(flag), "{flag} {value}: {err}");
    }
}

#[test]
fn baseline_naming_no_policy() {
    let c = Case::scenario(&[("seed = 7", "seed = 7\nbaseline = \"cascad\"")]);
    assert_key(
        &c.validate(),
        &c.at("baseline"),
        "scenario.baseline",
        &["\"cascad\"", "did you mean `cascade`?"],
    );
}

#[test]
fn two_tier_route_without_a_trigger() {
    let c = Case::scenario(&[("threshold = 0.3\n", "")]);
    assert_key(
        &c.validate(),
        &c.at("route = [\"micro\", \"sonnet\"]\nby_class"),
        "policy[1].route",
        &["trigger", "threshold", "validator", "classifier"],
    );
}

#[test]
fn two_triggers_at_once() {
    let c = Case::scenario(&[(
        "threshold = 0.3",
        "threshold = 0.3\nvalidator = { catches = 0.9, false_alarm = 0.1 }",
    )]);
    assert_key(
        &c.validate(),
        &c.at("validator ="),
        "policy[1].validator",
        &["`threshold`", "`validator`", "both set"],
    );
}

#[test]
fn trigger_on_a_single_tier_route() {
    let c = Case::scenario(&[(
        "route = [\"sonnet\"]",
        "route = [\"sonnet\"]\nthreshold = 0.5",
    )]);
    assert_key(
        &c.validate(),
        &c.at("threshold = 0.5\n"),
        "policy[0].threshold",
        &["second tier"],
    );
}

#[test]
fn batch_class_routed_to_a_model_without_batch_prices() {
    let c = Case::scenario(&[(
        "route = [\"sonnet\"]",
        "route = [\"large\"]\nbatch_classes = [\"classify\"]",
    )]);
    assert_key(
        &c.validate(),
        &c.at_first("[[policy]]"),
        "policy[0]",
        &["\"classify\"", "\"large\"", LARGE, "batch"],
    );
}

#[test]
fn batch_mode_traffic_routed_to_a_model_without_batch_prices() {
    let c = Case::scenario(&[
        ("route = [\"sonnet\"]", "route = [\"large\"]"),
        (
            "difficulty = { alpha = 1.5, beta = 10 }",
            "difficulty = { alpha = 1.5, beta = 10 }\nmode = \"batch\"",
        ),
    ]);
    assert_key(
        &c.run(),
        &c.at_first("[[policy]]"),
        "policy[0]",
        &["\"classify\"", "\"large\"", LARGE, "batch"],
    );
}

#[test]
fn embeddings_model_in_a_route() {
    let c = Case::scenario(&[("route = [\"sonnet\"]", "route = [\"embed\"]")]);
    assert_key(
        &c.validate(),
        &c.at_first("[[policy]]"),
        "policy[0]",
        &["\"embed\"", EMBED, "no output price"],
    );
}

#[test]
fn rerank_model_in_a_route() {
    let c = Case::scenario(&[("route = [\"sonnet\"]", "route = [\"rerank\"]")]);
    assert_key(
        &c.validate(),
        &c.at_first("[[policy]]"),
        "policy[0]",
        &["\"rerank\"", RERANK, "per request"],
    );
}

// ---------------------------------------------------------------------------
// Missing files and TOML syntax.
// ---------------------------------------------------------------------------

#[test]
fn pricing_file_missing() {
    let c = Case::scenario(&[(
        &format!("pricing = '{}'", fixture_pricing().display()),
        "pricing = \"nowhere/pricing.toml\"",
    )]);
    let missing = c.dir.join("nowhere/pricing.toml");
    for out in [c.validate(), c.run()] {
        assert_bad(
            &out,
            &format!("{}: ", missing.display()),
            &["cannot read", "scenario.pricing"],
        );
    }
}

#[test]
fn scenario_file_missing() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("no-such-scenario.toml");
    for cmd in ["validate", "run"] {
        let out = simroute(&[cmd, path_str(&missing)]);
        assert_bad(&out, &format!("{}: ", missing.display()), &["cannot read"]);
    }
}

#[test]
fn toml_syntax_error() {
    let c = Case::scenario(&[("seed = 7", "seed = = 7")]);
    // The second `=` is the mistake.
    assert_bad(&c.validate(), &format!("{}: ", c.at("= 7")), &[]);
}

#[test]
fn toml_syntax_error_through_run() {
    let c = Case::scenario(&[("skill = 0.8\n", "skill = 0.8 0.9\n")]);
    // toml reads `0.8 0.9` as an unquoted string, and points at its start.
    assert_bad(&c.run(), &format!("{}: ", c.at("0.8 0.9")), &[]);
}

#[test]
fn empty_scenario_file() {
    let c = Case::write(String::new(), fixture_pricing(), PRICING.to_string());
    assert_bad(
        &c.validate(),
        &format!("{}:1:1: ", c.scenario.display()),
        &["`scenario`"],
    );
}

// ---------------------------------------------------------------------------
// Bad pricing tables, through a scenario and through `quote`.
// ---------------------------------------------------------------------------

/// The quote arguments of a valid call on the (intact) micro model.
const QUOTE_MICRO: &[&str] = &["--model", MICRO, "--input", "100", "--output", "10"];

/// Checks the same finding through `validate`, `run` and `quote`.
fn assert_pricing_key(c: &Case, at: &str, key: &str, fragments: &[&str]) {
    assert_key(&c.validate(), at, key, fragments);
    assert_key(&c.run(), at, key, fragments);
    assert_key(&c.quote(QUOTE_MICRO), at, key, fragments);
}

fn large(key: &str) -> String {
    format!("models.\"{LARGE}\".{key}")
}

#[test]
fn pricing_misspelt_key() {
    let c = Case::pricing(&[("input = 4.0", "inputt = 4.0")]);
    let at = c.pricing_at("inputt");
    for out in [c.validate(), c.quote(QUOTE_MICRO)] {
        assert_unknown_key(&out, &at, "inputt", "input");
    }
}

#[test]
fn pricing_misspelt_meta_key() {
    let c = Case::pricing(&[("as_of =", "asof =")]);
    let at = c.pricing_at("asof");
    for out in [c.validate(), c.quote(QUOTE_MICRO)] {
        assert_unknown_key(&out, &at, "asof", "as_of");
    }
}

#[test]
fn pricing_negative_price() {
    let c = Case::pricing(&[("input = 4.0", "input = -4.0")]);
    assert_pricing_key(
        &c,
        &c.pricing_at("input = -4.0"),
        &large("input"),
        &["-4", "must not be negative"],
    );
}

#[test]
fn pricing_missing_input_price() {
    let c = Case::pricing(&[("input = 4.0\n", "")]);
    // A missing key points at its table's header.
    assert_pricing_key(
        &c,
        &c.pricing_at(&format!("\"{LARGE}\"]")),
        &large("input"),
        &["missing", "`input`"],
    );
}

#[test]
fn pricing_nan_price() {
    let c = Case::pricing(&[("output = 12.0", "output = nan")]);
    assert_pricing_key(
        &c,
        &c.pricing_at("output = nan"),
        &large("output"),
        &["NaN", "not a finite number"],
    );
}

#[test]
fn pricing_infinite_price() {
    let c = Case::pricing(&[("output = 12.0", "output = inf")]);
    assert_pricing_key(
        &c,
        &c.pricing_at("output = inf"),
        &large("output"),
        &["inf", "not a finite number"],
    );
}

#[test]
fn pricing_ttft_p95_below_median() {
    let c = Case::pricing(&[(
        "ttft_ms = { median = 800, p95 = 1800 }",
        "ttft_ms = { median = 800, p95 = 100 }",
    )]);
    assert_pricing_key(
        &c,
        &c.pricing_at("p95 = 100 "),
        &large("ttft_ms.p95"),
        &["p95 (100)", "below the median (800)"],
    );
}

#[test]
fn pricing_output_burndown_zero() {
    let c = Case::pricing(&[("input = 4.0\n", "input = 4.0\noutput_burndown = 0\n")]);
    // The message names the file, the position of the key and the key, and says
    // what the key means, without a Rust type in sight.
    assert_pricing_key(
        &c,
        &c.pricing_at("output_burndown = 0"),
        &large("output_burndown"),
        &[
            "0 is not a burndown rate",
            "`output_burndown`",
            "from 1 to 100",
        ],
    );
}

#[test]
fn pricing_syntax_error() {
    let c = Case::pricing(&[("output = 12.0", "output = 12.0.0")]);
    let (line, col) = line_col(&c.pricing_text, "output = 12.0.0");
    // The second `.` is the mistake.
    let at = format!("{}:{line}:{}: ", c.pricing.display(), col + 13);
    assert_bad(&c.validate(), &at, &[]);
    assert_bad(&c.quote(QUOTE_MICRO), &at, &[]);
}

#[test]
fn quote_pricing_file_missing() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("no-such-pricing.toml");
    assert_bad(
        &quote(&missing, QUOTE_MICRO),
        &format!("{}: ", missing.display()),
        &["cannot read"],
    );
}

// ---------------------------------------------------------------------------
// `quote`'s own mistakes.
// ---------------------------------------------------------------------------

#[test]
fn quote_unknown_model() {
    let pricing = fixture_pricing();
    let out = quote(
        &pricing,
        &[
            "--model",
            "amazon.nova-micro",
            "--input",
            "1",
            "--output",
            "1",
        ],
    );
    assert_bad(
        &out,
        "--model",
        &[
            "\"amazon.nova-micro\"",
            &pricing.display().to_string(),
            &format!("did you mean `{MICRO}`?"),
        ],
    );
}

#[test]
fn quote_batch_with_cache_tokens() {
    for flag in ["--cache-read", "--cache-write"] {
        let out = quote(
            &fixture_pricing(),
            &[
                "--model", MICRO, "--input", "100", "--output", "10", "--batch", flag, "50",
            ],
        );
        assert_bad(&out, "--batch", &[flag, "prompt caching"]);
    }
}

#[test]
fn quote_batch_on_a_model_without_batch_prices() {
    let out = quote(
        &fixture_pricing(),
        &[
            "--model", LARGE, "--input", "100", "--output", "10", "--batch",
        ],
    );
    assert_bad(
        &out,
        &format!("--model {LARGE}: "),
        &["batch_input", "batch"],
    );
}

#[test]
fn quote_output_tokens_on_an_embeddings_model() {
    let out = quote(
        &fixture_pricing(),
        &["--model", EMBED, "--input", "100", "--output", "10"],
    );
    assert_bad(&out, &format!("--model {EMBED}: "), &["no `output` price"]);
}

#[test]
fn quote_batch_on_a_per_request_model() {
    let out = quote(
        &fixture_pricing(),
        &[
            "--model", RERANK, "--input", "100", "--output", "0", "--batch",
        ],
    );
    assert_bad(&out, &format!("--model {RERANK}: "), &["batch"]);
}

#[test]
fn quote_batch_with_cache_tokens_on_a_per_request_model() {
    let out = quote(
        &fixture_pricing(),
        &[
            "--model",
            RERANK,
            "--input",
            "100",
            "--output",
            "0",
            "--batch",
            "--cache-read",
            "50",
        ],
    );
    assert_bad(&out, "--batch", &["--cache-read", "prompt caching"]);
}

// ---------------------------------------------------------------------------
// Messages in the user's words (issue 9 §4): what was expected, as a person
// says it, and what was found, as written.
// ---------------------------------------------------------------------------

/// Words of Rust and serde that a message to a user must not hold.
const RUST_WORDS: &[&str] = &[
    "u8",
    "u16",
    "u32",
    "u64",
    "usize",
    "i64",
    "f64",
    "f32",
    "struct ",
    "sequence",
    "invalid type",
    "invalid value",
    "variant",
    "missing field",
];

fn assert_no_rust_words(out: &Output) {
    let err = stderr(out);
    let words: Vec<&str> = err.split(|c: char| !c.is_alphanumeric()).collect();
    for w in RUST_WORDS {
        let found = if w.contains(' ') {
            err.contains(w)
        } else {
            words.contains(w)
        };
        assert!(!found, "{w:?} in a message to a user:\n  {err}");
    }
}

#[test]
fn a_float_for_a_whole_number_says_how_to_write_it() {
    let c = Case::scenario(&[("\nrequests = 1000", "\nrequests = 1e5")]);
    let out = c.validate();
    assert_key(
        &out,
        &c.at("1e5"),
        "scenario.requests",
        &["expected a whole number (at least 0), found 1e5 — write 100000"],
    );
    assert_no_rust_words(&out);
}

#[test]
fn a_negative_seed_says_at_least_zero() {
    let c = Case::scenario(&[("seed = 7", "seed = -1")]);
    let out = c.validate();
    assert_key(
        &out,
        &c.at("-1"),
        "scenario.seed",
        &["expected a whole number (at least 0), found -1"],
    );
    assert_no_rust_words(&out);
}

#[test]
fn a_number_written_as_text_says_how_to_write_it() {
    let c = Case::scenario(&[("monthly_requests = 100000", "monthly_requests = \"3M\"")]);
    let out = c.validate();
    assert_key(
        &out,
        &c.at("\"3M\""),
        "scenario.monthly_requests",
        &["expected a number, found the text \"3M\" — write 3000000"],
    );
    assert_no_rust_words(&out);
}

#[test]
fn type_mistakes_are_said_in_words_for_every_key() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "replications = 2",
            "replications = 99999999999",
            "a whole number from 0 to 4294967295",
        ),
        (
            "share = 0.4",
            "share = \"40%\"",
            "found the text \"40%\" — write 0.4",
        ),
        (
            "threshold = 0.3",
            "threshold = \"0.3\"",
            "expected a number or a list of numbers, found the text \"0.3\" — write 0.3 without the quotes",
        ),
        (
            "route = [\"sonnet\"]",
            "route = \"sonnet\"",
            "expected a list in brackets `[...]`, found the text \"sonnet\" — write [\"sonnet\"]",
        ),
        (
            "name = \"fixture\"",
            "name = 5",
            "expected text in quotes, found 5 — write \"5\"",
        ),
        (
            "cached_prefix_tokens = 2000",
            "cached_prefix_tokens = \"2k\"",
            "write 2000",
        ),
        (
            "output_tokens = 6",
            "output_tokens = true",
            "expected a number or a table, found true",
        ),
        (
            "cache_hit_rate = 0.9",
            "cache_hit_rate = [0.9]",
            "expected a number, found a list",
        ),
        (
            "seed = 7",
            "seed = 7\nreplay = \"Exact\"",
            "\"Exact\" is not allowed here (did you mean \"exact\"?); write one of \"bootstrap\", \"exact\"",
        ),
        (
            "seed = 7",
            "seed = 7\nreplay = 1",
            "expected a name in quotes, found 1",
        ),
        ("seed = 7\n", "", "scenario: missing key `seed`"),
    ];
    for (from, to, want) in cases {
        let c = Case::scenario(&[(from, to)]);
        let out = c.validate();
        assert_bad(&out, &format!("{}:", c.scenario.display()), &[want]);
        assert_no_rust_words(&out);
    }
    let c = Case::scenario(&[(
        "route = [\"sonnet\"]",
        "route = [\"sonnet\"]\nprompt_caching = \"no\"",
    )]);
    let out = c.validate();
    assert_key(
        &out,
        &c.at("prompt_caching = \"no\""),
        "policy[0].prompt_caching",
        &[
            "expected true or false (or a TTL, \"5m\" or \"1h\"), found the text \"no\" — write false, without quotes",
        ],
    );
    assert_no_rust_words(&out);
}

#[test]
fn type_mistakes_in_a_pricing_table_are_said_in_words() {
    let c = Case::pricing(&[("input = 4.0", "input = 4.0\ncontext_window = 2e5")]);
    for out in [c.validate(), c.quote(QUOTE_MICRO)] {
        assert_key(
            &out,
            &c.pricing_at("2e5"),
            &large("context_window"),
            &["expected a whole number (at least 0), found 2e5 — write 200000"],
        );
        assert_no_rust_words(&out);
    }
}

#[test]
fn a_percentage_for_a_fraction_asks_if_the_fraction_was_meant() {
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        ("share = 0.4", "share = 40", "40", "traffic[0].share", "0.4"),
        (
            "cache_hit_rate = 0.9",
            "cache_hit_rate = 90",
            "90",
            "traffic[1].cache_hit_rate",
            "0.9",
        ),
        (
            "threshold = 0.3",
            "threshold = 30",
            "30",
            "policy[1].threshold",
            "0.3",
        ),
        (
            "skill = 0.85",
            "skill = 85",
            "85",
            "models.sonnet.skill",
            "0.85",
        ),
        (
            "auc = 0.8,",
            "auc = 80,",
            "80",
            "policy[2].classifier.auc",
            "0.8",
        ),
    ];
    for (from, to, at, key, meant) in cases {
        let c = Case::scenario(&[(from, to)]);
        let out = c.validate();
        assert_key(
            &out,
            &c.at(to),
            key,
            &[&format!(
                "{at} is out of range: it must be a number between {} and 1 — did you mean {meant}?",
                if key.ends_with("auc") { "0.5" } else { "0" }
            )],
        );
    }
    // Not a percentage: no guess.
    let c = Case::scenario(&[("share = 0.4", "share = 400")]);
    let out = c.validate();
    assert_key(
        &out,
        &c.at("share = 400"),
        "traffic[0].share",
        &["it must be a number between 0 and 1"],
    );
    assert!(!stderr(&out).contains("did you mean"), "{}", stderr(&out));
}

#[test]
fn a_sum_of_shares_prints_without_float_noise() {
    // 0.7 + 0.1 is 0.7999999999999999 in binary floating point.
    let c = Case::scenario(&[
        ("share = 0.4", "share = 0.7"),
        ("share = 0.6", "share = 0.1"),
    ]);
    assert_key(
        &c.validate(),
        &c.at_first("traffic]]"),
        "traffic",
        &["the shares sum to 0.8, not 1 (classify = 0.7, chat = 0.1)"],
    );
}

/// Exit code 2 and clap's `error: invalid value 'VALUE' for '--FLAG <...>': WANT`.
fn assert_flag_says(out: &Output, flag: &str, value: &str, want: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
    let head = format!("error: invalid value '{value}' for '{flag} <");
    assert!(err.starts_with(&head), "{flag} {value}: {err}");
    assert!(
        err.contains(&format!(">': {want}\n")),
        "{flag} {value}: want {want:?} in\n{err}"
    );
    assert!(
        !err.contains("-- -"),
        "{flag} {value}: a tip that fails:\n{err}"
    );
    let words: Vec<&str> = err.split(|c: char| !c.is_alphanumeric()).collect();
    for w in ["u64", "u32", "u16"] {
        assert!(!words.contains(&w), "{flag} {value}: {w:?} in\n{err}");
    }
    for w in ["invalid digit", "..="] {
        assert!(!err.contains(w), "{flag} {value}: {w:?} in\n{err}");
    }
}

#[test]
fn numeric_flags_say_what_they_take() {
    let c = Case::scenario(&[]);
    let cases: &[(&str, &str, &str)] = &[
        (
            "--seed",
            "-1",
            "expected a whole number from 0 to 18446744073709551615",
        ),
        (
            "--seed",
            "1.5",
            "expected a whole number from 0 to 18446744073709551615",
        ),
        (
            "--seed",
            "18446744073709551616",
            "expected a whole number from 0 to 18446744073709551615",
        ),
        ("--requests", "-5", "expected a whole number, at least 1"),
        ("--requests", "0", "expected a whole number, at least 1"),
        (
            "--requests",
            "1e5",
            "expected a whole number, at least 1 — write 100000",
        ),
        (
            "--replications",
            "1",
            "expected a whole number from 2 to 4294967295",
        ),
        (
            "--replications",
            "2.5",
            "expected a whole number from 2 to 4294967295",
        ),
        (
            "--threads",
            "70000",
            "expected a whole number from 1 to 65535",
        ),
        ("--threads", "-2", "expected a whole number from 1 to 65535"),
    ];
    for cmd in ["run", "sweep", "compare"] {
        for (flag, value, want) in cases {
            let mut args = vec![cmd, path_str(&c.scenario)];
            match cmd {
                "sweep" => args.extend(["--policy", "cascade", "--param", "threshold=0.3"]),
                "compare" => args.push(path_str(&c.scenario)),
                _ => {}
            }
            args.extend([*flag, *value]);
            assert_flag_says(&simroute(&args), flag, value, want);
        }
    }
    let out_file = c.dir.join("log.jsonl");
    for (flag, value, want) in [
        (
            "--seed",
            "-1",
            "expected a whole number from 0 to 18446744073709551615",
        ),
        ("--records", "-3", "expected a whole number, at least 1"),
        (
            "--records",
            "2k",
            "expected a whole number, at least 1 — write 2000",
        ),
    ] {
        let mut args = vec![
            "generate-log",
            path_str(&c.scenario),
            "--out",
            path_str(&out_file),
        ];
        if flag != "--records" {
            args.extend(["--records", "10"]);
        }
        args.extend([flag, value]);
        assert_flag_says(&simroute(&args), flag, value, want);
    }
    for flag in ["--input", "--output", "--cache-read", "--cache-write"] {
        let mut args = vec!["--model", MICRO];
        for f in ["--input", "--output"] {
            if f != flag {
                args.extend([f, "1"]);
            }
        }
        args.extend([flag, "-1"]);
        assert_flag_says(
            &quote(&fixture_pricing(), &args),
            flag,
            "-1",
            "expected a whole number of tokens (0 or more)",
        );
    }
}

#[test]
fn a_model_named_by_part_of_its_key_suggests_the_keys_that_contain_it() {
    let out = quote(
        &fixture_pricing(),
        &["--model", "sonnet", "--input", "1", "--output", "1"],
    );
    assert_bad(
        &out,
        "--model",
        &[
            "\"sonnet\" is not a model of",
            "(did you mean `anthropic.claude-sonnet-4-5-20250929-v1:0`?)",
        ],
    );
    let out = quote(
        &fixture_pricing(),
        &["--model", "amazon", "--input", "1", "--output", "1"],
    );
    assert_bad(
        &out,
        "--model",
        &["(did you mean one of `amazon.nova-micro-v1:0`, `amazon.titan-embed-text-v2:0`?)"],
    );
    // The same in a scenario's `price = "..."`.
    let c = Case::scenario(&[(
        "price = \"anthropic.claude-sonnet-4-5-20250929-v1:0\"",
        "price = \"sonnet\"",
    )]);
    assert_key(
        &c.validate(),
        &c.at("price = \"sonnet\""),
        "models.sonnet.price",
        &["(did you mean `anthropic.claude-sonnet-4-5-20250929-v1:0`?)"],
    );
}

// ---------------------------------------------------------------------------
// Input files: the kind of file given, folders, pipes and devices, sizes.
// ---------------------------------------------------------------------------

/// Runs the binary with the environment variable `var` set to `value`.
fn simroute_with(var: &str, value: &str, args: &[&str]) -> Output {
    cargo_bin_cmd!("simroute")
        .env(var, value)
        .args(args)
        .assert()
        .stderr(predicate::str::contains("panicked").not())
        .get_output()
        .clone()
}

/// A file named `name` in the case's folder holding `bytes`.
fn write_file(c: &Case, name: &str, bytes: &[u8]) -> PathBuf {
    let p = c.dir.join(name);
    std::fs::write(&p, bytes).expect("write the file");
    p
}

/// A small gzip file (the header of an empty gzip stream is enough to tell it).
const GZIP: &[u8] =
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00";

#[test]
fn a_scenario_that_is_another_kind_of_file_is_named() {
    let c = Case::scenario(&[]);
    let gz = write_file(&c, "invocations.jsonl.gz", GZIP);
    let json = write_file(&c, "scenario.json", b"{\"scenario\": {\"name\": \"x\"}}\n");
    let jsonl = write_file(
        &c,
        "log.jsonl",
        b"{\"input_tokens\": 1, \"output_tokens\": 2}\n{\"input_tokens\": 3, \"output_tokens\": 4}\n",
    );
    let csv = write_file(&c, "log.csv", b"class,input_tokens,output_tokens\na,1,2\n");
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            gz,
            "this is a gzip-compressed file, not a TOML scenario: a scenario is a TOML text file, see scenarios/README.md",
        ),
        (
            json,
            "this looks like JSON; a scenario is a TOML file, see scenarios/README.md",
        ),
        (
            jsonl,
            "this looks like JSON Lines (a log?), not a TOML scenario",
        ),
        (
            csv,
            "this looks like CSV (a log or an eval set?), not a TOML scenario",
        ),
        (
            fixture_pricing(),
            "this is a pricing table, not a scenario: name it in a scenario's `pricing = ...`",
        ),
    ];
    for (path, want) in cases {
        for cmd in ["validate", "run"] {
            let out = simroute(&[cmd, path_str(&path)]);
            assert_bad(&out, &format!("{}: {want}", path.display()), &[]);
        }
    }
}

#[test]
fn a_pricing_table_that_is_a_scenario_is_named() {
    let c = Case::scenario(&[]);
    let want = "this is a scenario, not a pricing table: a pricing table is a TOML text file such as pricing/bedrock-us-east-1.toml";
    assert_bad(
        &quote(&c.scenario, QUOTE_MICRO),
        &format!("{}: {want}", c.scenario.display()),
        &[],
    );
    // A scenario naming itself (or another scenario) as its pricing table.
    let c = Case::scenario(&[(
        &format!("pricing = '{}'", fixture_pricing().display()),
        "pricing = \"scenario.toml\"",
    )]);
    assert_bad(
        &c.validate(),
        &format!("{}: {want}", c.scenario.display()),
        &["(the pricing table named by scenario.pricing in"],
    );
    let gz = write_file(&c, "prices.gz", GZIP);
    assert_bad(
        &quote(&gz, QUOTE_MICRO),
        &format!(
            "{}: this is a gzip-compressed file, not a TOML pricing table",
            gz.display()
        ),
        &[],
    );
}

#[test]
fn a_toml_file_given_as_a_log_is_named() {
    let c = Case::scenario(&[]);
    let want = "this looks like a TOML file (a scenario or pricing table?), not a log: a log is a Bedrock model invocation log, or a CSV or JSON Lines file, gzip or not";
    for path in [c.scenario.clone(), fixture_pricing()] {
        let at = format!("{}: {want}", path.display());
        assert_bad(&simroute(&["fit", path_str(&path)]), &at, &[]);
        assert_bad(
            &simroute(&[
                "run",
                path_str(&c.scenario),
                "--traffic-log",
                path_str(&path),
            ]),
            &at,
            &[],
        );
    }
    // In a class's `log = ...`.
    let c = Case::scenario(&[
        ("cached_prefix_tokens = 2000\ncache_hit_rate = 0.9\n", ""),
        (
            "input_tokens = { median = 1800, p95 = 4500 }\noutput_tokens = { median = 220, p95 = 600 }\n",
            "log = \"scenario.toml\"\n",
        ),
    ]);
    assert_bad(
        &c.validate(),
        &format!("{}: {want}", c.scenario.display()),
        &[],
    );
    // A zip archive is not a log either.
    let zip = write_file(&c, "logs.zip", b"PK\x03\x04\x14\x00\x00\x00");
    assert_bad(
        &simroute(&["fit", path_str(&zip)]),
        &format!(
            "{}: this is a zip archive (or an Office document such as .xlsx), not a log",
            zip.display()
        ),
        &[],
    );
}

#[test]
fn a_folder_given_as_any_input_is_named() {
    let c = Case::scenario(&[]);
    let dir = c.dir.join("inputs");
    std::fs::create_dir(&dir).unwrap();
    let d = path_str(&dir);
    let want = format!("{d}: cannot read the file: it is a folder, not a file");
    assert_bad(&simroute(&["validate", d]), &want, &[]);
    // A log may be a folder (its files are one log): an empty one is named.
    let empty = format!("{d}: the folder holds no file to read");
    assert_bad(&simroute(&["fit", d]), &empty, &[]);
    assert_bad(
        &simroute(&["run", path_str(&c.scenario), "--traffic-log", d]),
        &format!("{}:", c.scenario.display()),
        &[&format!(
            "traffic[0].log: cannot read {d}: the folder holds no file to read"
        )],
    );
    assert_bad(&quote(&dir, QUOTE_MICRO), &want, &[]);
    // Named in a scenario: the key says which.
    let c = Case::scenario(&[(
        &format!("pricing = '{}'", fixture_pricing().display()),
        "pricing = \".\"",
    )]);
    assert_bad(
        &c.validate(),
        &format!(
            "{}: cannot read the file: it is a folder",
            c.dir.join(".").display()
        ),
        &[],
    );
    let c = Case::scenario(&[(
        "input_tokens = { median = 1800, p95 = 4500 }\noutput_tokens = { median = 220, p95 = 600 }\ncached_prefix_tokens = 2000\ncache_hit_rate = 0.9\n",
        "log = \"logs\"\n",
    )]);
    std::fs::create_dir(c.dir.join("logs")).unwrap();
    assert_key(
        &c.validate(),
        &c.at("log = \"logs\""),
        "traffic[1].log",
        &[&format!(
            "cannot read {}: the folder holds no file to read",
            c.dir.join("logs").display()
        )],
    );
    let c = Case::scenario(&[(
        "output_tokens = 1 }\n",
        "output_tokens = 1 }\n\n[eval]\nfile = \"evals\"\n",
    )]);
    std::fs::create_dir(c.dir.join("evals")).unwrap();
    assert_key(
        &c.validate(),
        &c.at("file = \"evals\""),
        "eval.file",
        &["it is a folder, not a file"],
    );
}

#[cfg(unix)]
#[test]
fn a_pipe_or_a_device_given_as_an_input_is_refused_without_blocking() {
    let want = "cannot read the file: it is not a regular file (a device or pipe): simroute reads its inputs more than once; save it to a file first";
    let c = Case::scenario(&[]);
    let fifo = c.dir.join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let mut paths = vec![PathBuf::from("/dev/null")];
    if made.is_ok_and(|s| s.success()) {
        // Opening a pipe with no writer would block: it must be refused before.
        paths.push(fifo);
    }
    for p in &paths {
        let at = format!("{}: {want}", p.display());
        assert_bad(&simroute(&["validate", path_str(p)]), &at, &[]);
        assert_bad(&simroute(&["fit", path_str(p)]), &at, &[]);
        assert_bad(&quote(p, QUOTE_MICRO), &at, &[]);
        assert_bad(
            &simroute(&["run", path_str(&c.scenario), "--traffic-log", path_str(p)]),
            &format!("{}:", c.scenario.display()),
            &[&format!(
                "traffic[0].log: cannot read {}: it is not a regular file",
                p.display()
            )],
        );
    }
    let c = Case::scenario(&[(
        "input_tokens = { median = 1800, p95 = 4500 }\noutput_tokens = { median = 220, p95 = 600 }\ncached_prefix_tokens = 2000\ncache_hit_rate = 0.9\n",
        "log = \"/dev/stdin\"\n",
    )]);
    // Under the test harness stdin is not a regular file (a pipe or /dev/null).
    assert_key(
        &c.validate(),
        &c.at("log = \"/dev/stdin\""),
        "traffic[1].log",
        &["cannot read /dev/stdin: it is not a regular file (a device or pipe)"],
    );
}

#[test]
fn a_toml_file_larger_than_the_limit_is_refused_before_it_is_read() {
    let c = Case::scenario(&[]);
    // A sparse file: 17 MiB long, nothing written.
    let big = c.dir.join("big.toml");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(17 << 20)
        .unwrap();
    let want = format!(
        "{}: the file is 17 MiB, more than the 16 MiB a scenario or pricing table may be: is it the right file? If it is, raise the limit with the environment variable SIMROUTE_MAX_INPUT_BYTES (a number of bytes)",
        big.display()
    );
    assert_bad(&simroute(&["validate", path_str(&big)]), &want, &[]);
    assert_bad(&quote(&big, QUOTE_MICRO), &want, &[]);
    // The limit can be lowered, or raised.
    let out = simroute_with(
        "SIMROUTE_MAX_INPUT_BYTES",
        "100",
        &["validate", path_str(&c.scenario)],
    );
    assert_bad(
        &out,
        &format!(
            "{}: the file is {} bytes, more than the 100 bytes",
            c.scenario.display(),
            c.text.len()
        ),
        &[],
    );
    let out = simroute_with(
        "SIMROUTE_MAX_INPUT_BYTES",
        "20000000",
        &["validate", path_str(&big)],
    );
    assert_bad(
        &out,
        &format!(
            "{}: this is a binary file, not a TOML scenario",
            big.display()
        ),
        &[],
    );
    let out = simroute_with(
        "SIMROUTE_MAX_INPUT_BYTES",
        "lots",
        &["validate", path_str(&c.scenario)],
    );
    assert_bad(
        &out,
        &format!(
            "{}: cannot read the file: SIMROUTE_MAX_INPUT_BYTES is \"lots\", not a whole number of bytes",
            c.scenario.display()
        ),
        &[],
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_file_whose_size_is_unknown_is_bounded_as_it_is_read() {
    // /proc files say they hold 0 bytes.
    let out = simroute_with(
        "SIMROUTE_MAX_INPUT_BYTES",
        "16",
        &["validate", "/proc/self/status"],
    );
    assert_bad(
        &out,
        "/proc/self/status: the file holds more than the 16 bytes a scenario or pricing table may be",
        &[],
    );
}

#[test]
fn an_eval_set_that_is_another_kind_of_file_or_too_large_is_named() {
    let eval = "example_id,class,model,pass\ne1,chat,sonnet,1\n";
    let c = Case::scenario(&[(
        "output_tokens = 1 }\n",
        "output_tokens = 1 }\n\n[eval]\nfile = \"eval.csv\"\n",
    )]);
    write_file(&c, "eval.csv", GZIP);
    assert_bad(
        &c.validate(),
        &format!(
            "{}: this is a gzip-compressed file, not an eval set: simroute reads an eval CSV",
            c.dir.join("eval.csv").display()
        ),
        &[],
    );
    write_file(&c, "eval.csv", c.text.as_bytes());
    assert_bad(
        &c.validate(),
        &format!(
            "{}: this looks like a TOML file (a scenario or pricing table?), not an eval set",
            c.dir.join("eval.csv").display()
        ),
        &[],
    );
    write_file(&c, "eval.csv", eval.as_bytes());
    let out = simroute_with(
        "SIMROUTE_MAX_INPUT_BYTES",
        "30",
        &["validate", path_str(&c.scenario)],
    );
    // The scenario is larger than 30 bytes too: it is refused first.
    assert_bad(
        &out,
        &format!("{}: the file is", c.scenario.display()),
        &["more than the 30 bytes a scenario or pricing table may be"],
    );
}

// ---------------------------------------------------------------------------
// [targets] and [targets.CLASS] (issue 10 §1).
// ---------------------------------------------------------------------------

/// The base scenario's last line, to append `[targets]` after.
const LAST_LINE: &str = "classifier = { model = \"micro\", auc = 0.8, threshold = 0.5, input_tokens = 200, output_tokens = 1 }";

fn with_targets(targets: &str, edits: &[(&str, &str)]) -> Case {
    let appended = format!("{LAST_LINE}\n\n{targets}");
    let mut all: Vec<(&str, &str)> = edits.to_vec();
    all.push((LAST_LINE, &appended));
    Case::scenario(&all)
}

#[test]
fn class_targets_are_accepted() {
    let c = with_targets(
        "[targets]\nquality = 0.9\n\n[targets.chat]\np95_latency_ms = 6000\nquality = 0.95\n",
        &[],
    );
    let out = c.validate();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn class_target_for_an_unknown_class() {
    let c = with_targets("[targets.chatt]\np95_latency_ms = 6000\n", &[]);
    assert_key(
        &c.validate(),
        &c.at("chatt]"),
        "targets.chatt",
        &[
            "\"chatt\" is not a traffic class of this scenario (did you mean `chat`?)",
            "[targets.CLASS]",
        ],
    );
}

#[test]
fn p95_target_for_a_batch_only_class() {
    let c = with_targets(
        "[targets.classify]\np95_latency_ms = 3000\n",
        &[(
            "output_tokens = 6\n",
            "output_tokens = 6\nmode = \"batch\"\n",
        )],
    );
    assert_key(
        &c.run(),
        &c.at("p95_latency_ms = 3000"),
        "targets.classify.p95_latency_ms",
        &[
            "class \"classify\" runs on batch inference under every policy (its mode is \"batch\")",
            "no interactive latency",
        ],
    );
}

#[test]
fn p95_target_for_a_class_every_policy_sends_to_batch() {
    // The last policy's batch_classes goes right after its last line.
    let c = with_targets(
        "batch_classes = [\"classify\"]\n\n[targets.classify]\nquality = 0.9\np95_latency_ms = 3000\n",
        &[
            (
                "route = [\"sonnet\"]\n",
                "route = [\"sonnet\"]\nbatch_classes = [\"classify\"]\n",
            ),
            (
                "by_class = { classify = \"micro\" }\n",
                "by_class = { classify = \"micro\" }\nbatch_classes = [\"classify\"]\n",
            ),
        ],
    );
    assert_key(
        &c.validate(),
        &c.at("p95_latency_ms = 3000"),
        "targets.classify.p95_latency_ms",
        &["every policy lists it in batch_classes"],
    );
}

#[test]
fn misspelled_scenario_wide_target() {
    let c = with_targets("[targets]\nqualty = 0.9\n", &[]);
    assert_bad(
        &c.validate(),
        // serde points at the value: `qualty = 0.9`, column 10.
        &format!(
            "{}: targets.qualty: ",
            c.at("qualty").strip_suffix(":1").unwrap().to_owned() + ":10"
        ),
        &[
            "unknown key `qualty` (did you mean `quality`?)",
            "[targets.CLASS]",
        ],
    );
}

#[test]
fn misspelled_class_target() {
    let c = with_targets("[targets.chat]\np95_latency = 6000\n", &[]);
    assert_bad(
        &c.validate(),
        &format!("{}: targets.chat.p95_latency: ", c.at("p95_latency =")),
        &["unknown key `p95_latency` (did you mean `p95_latency_ms`?)"],
    );
}

#[test]
fn class_target_out_of_range_or_empty() {
    let c = with_targets("[targets.chat]\nquality = 1.5\n", &[]);
    assert_key(
        &c.validate(),
        &c.at("quality = 1.5"),
        "targets.chat.quality",
        &["1.5 is out of range: it must be a number between 0 and 1"],
    );
    let c = with_targets("[targets.chat]\np95_latency_ms = 0\n", &[]);
    assert_key(
        &c.validate(),
        &c.at("p95_latency_ms = 0"),
        "targets.chat.p95_latency_ms",
        &["must be greater than 0"],
    );
    let c = with_targets("[targets.chat]\n", &[]);
    assert_key(
        &c.validate(),
        &c.at("chat]"),
        "targets.chat",
        &["[targets.chat] sets no target"],
    );
}

#[test]
fn class_target_for_a_class_never_drawn() {
    let c = with_targets(
        "[targets.classify]\nquality = 0.9\n",
        &[("share = 0.4", "share = 0"), ("share = 0.6", "share = 1")],
    );
    assert_key(
        &c.validate(),
        &c.at("classify]"),
        "targets.classify",
        &["has share 0"],
    );
}

// ---------------------------------------------------------------------------
// Traffic over time: [load], [quotas] and the keys that only mean something
// with them (or are refused with them).
// ---------------------------------------------------------------------------

/// What [`BASE`] becomes under `[load]`: no `requests` (the arrivals give
/// them), no `cache_hit_rate` (the cache gives it), and a short `[load]` table
/// at the end, to which `tail` is appended (keys of `[load]`, or tables after
/// it).
const LOAD: &str = "\n[load]\nduration = \"1h\"\nwarmup = \"10m\"\n";

/// [`BASE`] under `[load]` (see [`LOAD`]) with `tail` appended, then `edits`.
fn load_case(edits: &[(&str, &str)], tail: &str) -> Case {
    let pricing = fixture_pricing();
    let base = BASE.replace("@PRICING@", &pricing.display().to_string()) + LOAD + tail;
    let mut all: Vec<(&str, &str)> =
        vec![("\nrequests = 1000", ""), ("cache_hit_rate = 0.9\n", "")];
    all.extend_from_slice(edits);
    Case::write(edit(&base, &all), pricing, PRICING.to_string())
}

/// `validate` refuses `c` at `needle` (unique in the scenario), on `key`, with
/// every fragment, in the user's words.
fn assert_refused(c: &Case, needle: &str, key: &str, fragments: &[&str]) {
    let out = c.validate();
    assert_key(&out, &c.at(needle), key, fragments);
    assert_no_rust_words(&out);
}

/// The quota table of Nova Micro (a model the base scenario routes on demand).
const MICRO_QUOTA: &str = "\n[quotas.\"amazon.nova-micro-v1:0\"]\n";

#[test]
fn validate_accepts_the_base_scenario_under_load() {
    let c = load_case(&[], &format!("{MICRO_QUOTA}rpm = 100\n"));
    let out = c.validate();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(": ok: "), "{}", stdout(&out));
}

#[test]
fn a_quota_of_zero_or_below_is_refused_for_each_kind() {
    for (key, value, what) in [
        ("rpm", "0", "requests per minute"),
        ("rpm", "-5", "requests per minute"),
        ("tpm", "0", "tokens per minute"),
        ("tpm", "-5", "tokens per minute"),
        ("tpd", "0", "tokens per day"),
        ("tpd", "-5", "tokens per day"),
    ] {
        let line = format!("{key} = {value}");
        let c = load_case(&[], &format!("{MICRO_QUOTA}{line}\n"));
        assert_refused(
            &c,
            &line,
            &format!("quotas.\"{MICRO}\".{key}"),
            &[
                &format!("{value} is not a quota: {what} must be above 0"),
                "a quota of 0 would refuse every call",
                "leave the key out for no quota",
            ],
        );
    }
}

#[test]
fn a_quota_table_that_sets_no_quota_is_refused() {
    let c = load_case(&[], MICRO_QUOTA);
    assert_refused(
        &c,
        &format!("\"{MICRO}\"]"),
        &format!("quotas.\"{MICRO}\""),
        &["sets no quota: give rpm, tpm or tpd"],
    );
}

#[test]
fn a_quota_for_an_unknown_pricing_key_names_the_nearest() {
    let c = load_case(&[], "\n[quotas.\"amazon.nova-micro-v1\"]\nrpm = 5\n");
    assert_refused(
        &c,
        "\"amazon.nova-micro-v1\"]",
        "quotas.\"amazon.nova-micro-v1\"",
        &[
            "\"amazon.nova-micro-v1\" is not a key of the pricing table",
            &format!("(did you mean `{MICRO}`?)"),
            "quotas are per model, named by the pricing key",
        ],
    );
}

#[test]
fn a_quota_for_a_key_no_scenario_model_uses_is_refused() {
    // No scenario model is priced as Mistral Large once `large` is gone.
    let c = load_case(
        &[(
            "[models.large]\nprice = \"mistral.mistral-large-2402-v1:0\"\nskill = 0.8\n",
            "",
        )],
        &format!("\n[quotas.\"{LARGE}\"]\nrpm = 5\n"),
    );
    assert_refused(
        &c,
        &format!("\"{LARGE}\"]"),
        &format!("quotas.\"{LARGE}\""),
        &[&format!(
            "no model of this scenario is priced as \"{LARGE}\", so its quota would change nothing"
        )],
    );
}

#[test]
fn a_quota_on_a_model_no_policy_calls_on_demand_is_refused() {
    // `large` is a scenario model, but no policy routes it; `embed` serves
    // extra calls only, which are never throttled.
    for key in [LARGE, EMBED] {
        let c = load_case(&[], &format!("\n[quotas.\"{key}\"]\nrpm = 5\n"));
        assert_refused(
            &c,
            &format!("\"{key}\"]"),
            &format!("quotas.\"{key}\""),
            &[
                &format!("no policy calls \"{key}\" on demand"),
                "extra calls, classifier calls and batch classes are not",
                "remove it",
            ],
        );
    }
}

#[test]
fn a_cache_ttl_bedrock_does_not_offer_is_refused() {
    let c = load_case(
        &[(
            "route = [\"sonnet\"]",
            "route = [\"sonnet\"]\nprompt_caching = \"10m\"",
        )],
        "",
    );
    assert_refused(
        &c,
        "prompt_caching = \"10m\"",
        "policy[0].prompt_caching",
        &[
            "\"10m\" is not a cache TTL Bedrock offers: \"5m\"",
            "\"1h\"",
        ],
    );
}

#[test]
fn a_cache_setting_of_the_wrong_type_says_what_is_expected() {
    let c = load_case(
        &[(
            "route = [\"sonnet\"]",
            "route = [\"sonnet\"]\nprompt_caching = 3600",
        )],
        "",
    );
    assert_refused(
        &c,
        "3600",
        "policy[0].prompt_caching",
        &["expected a cache setting: true, false, \"5m\" or \"1h\", found 3600"],
    );
}

#[test]
fn zero_prefixes_are_refused() {
    let c = load_case(
        &[("output_tokens = 6\n", "output_tokens = 6\nprefixes = 0\n")],
        "",
    );
    assert_refused(
        &c,
        "prefixes = 0",
        "traffic[0].prefixes",
        &["0 prefixes: a class has 1 to 1,000,000 distinct cacheable prefixes"],
    );
}

#[test]
fn a_profile_must_be_24_weights_of_0_or_more_not_all_0() {
    let weights = |ws: &[&str]| format!("profile = [{}]\n", ws.join(", "));
    let c = load_case(&[], &weights(&["1"; 23]));
    assert_refused(
        &c,
        "profile = ",
        "load.profile",
        &["has 23 weights: a daily profile is 24 weights, one per hour from midnight (UTC)"],
    );
    let mut ws = vec!["1"; 24];
    ws[5] = "-2.5";
    let c = load_case(&[], &weights(&ws));
    assert_refused(
        &c,
        "-2.5",
        "load.profile[5]",
        &["-2.5 is not a weight: the weights are relative arrival rates, 0 or more"],
    );
    let c = load_case(&[], &weights(&["0"; 24]));
    assert_refused(
        &c,
        "profile = ",
        "load.profile",
        &["every weight is 0: no request would arrive"],
    );
}

#[test]
fn a_cache_hit_rate_under_load_is_refused() {
    let c = load_case(
        &[(
            "cached_prefix_tokens = 2000\n",
            "cached_prefix_tokens = 2000\ncache_hit_rate = 0.9\n",
        )],
        "",
    );
    assert_refused(
        &c,
        "cache_hit_rate = 0.9",
        "traffic[1].cache_hit_rate",
        &[
            "under [load] the cache hit rate is an output",
            "remove cache_hit_rate",
        ],
    );
}

#[test]
fn scenario_requests_under_load_is_refused() {
    let c = load_case(&[("seed = 7", "requests = 1000\nseed = 7")], "");
    let out = c.validate();
    // The first "requests = 1000": monthly_requests comes after it.
    assert_key(
        &out,
        &c.at_first("requests = 1000"),
        "scenario.requests",
        &[
            "under [load] the requests of a replication follow from the arrival rate and load.duration",
            "remove scenario.requests",
        ],
    );
    assert_no_rust_words(&out);
}

#[test]
fn scenario_requests_is_required_without_load() {
    let c = Case::scenario(&[("\nrequests = 1000", "")]);
    assert_refused(
        &c,
        "scenario]",
        "scenario.requests",
        &["missing: the number of simulated requests per replication (or a [load] table"],
    );
}

#[test]
fn a_duration_in_weeks_or_of_zero_is_refused() {
    let c = load_case(&[("duration = \"1h\"", "duration = \"1w\"")], "");
    assert_refused(
        &c,
        "duration = \"1w\"",
        "load.duration",
        &["\"1w\" is not a duration: write a number and a unit, s, m, h or d"],
    );
    let c = load_case(&[("duration = \"1h\"", "duration = \"0s\"")], "");
    assert_refused(
        &c,
        "duration = \"0s\"",
        "load.duration",
        &["\"0s\" is out of range: it must be 1 s to 366 d"],
    );
}

#[test]
fn an_unknown_retry_mode_is_refused() {
    let c = load_case(&[], "retry = \"fast\"\n");
    assert_refused(
        &c,
        "retry = \"fast\"",
        "load.retry",
        &[
            "\"fast\" is not a retry mode: \"standard\"",
            "\"legacy\"",
            "\"off\"",
        ],
    );
}

#[test]
fn max_attempts_of_zero_or_with_retries_off_is_refused() {
    let c = load_case(&[], "max_attempts = 0\n");
    assert_refused(
        &c,
        "max_attempts = 0",
        "load.max_attempts",
        &["0 attempts: it must be 1 to 20, the first attempt included"],
    );
    let c = load_case(&[], "retry = \"off\"\nmax_attempts = 2\n");
    assert_refused(
        &c,
        "max_attempts = 2",
        "load.max_attempts",
        &["retry = \"off\" makes one attempt: remove max_attempts, or choose a retry mode"],
    );
}

#[test]
fn a_scale_of_zero_is_refused() {
    let c = load_case(&[], "scale = 0\n");
    assert_refused(
        &c,
        "scale = 0",
        "load.scale",
        &["0 is not a scale: it multiplies the arrival rate, a number above 0"],
    );
}

#[test]
fn a_fallback_that_is_not_a_model_is_refused() {
    let c = load_case(
        &[(
            "route = [\"sonnet\"]",
            "route = [\"sonnet\"]\non_throttle = { fallback = \"nosuch\" }",
        )],
        "",
    );
    assert_refused(
        &c,
        "fallback = \"nosuch\"",
        "policy[0].on_throttle.fallback",
        &["\"nosuch\" is not a model of this scenario; models are defined as [models.NAME]"],
    );
    let c = load_case(
        &[(
            "route = [\"sonnet\"]",
            "route = [\"sonnet\"]\non_throttle = { fallback = \"micr\" }",
        )],
        "",
    );
    assert_refused(
        &c,
        "fallback = \"micr\"",
        "policy[0].on_throttle.fallback",
        &["(did you mean `micro`?)"],
    );
}

#[test]
fn on_throttle_without_load_is_refused() {
    let c = Case::scenario(&[(
        "route = [\"sonnet\"]",
        "route = [\"sonnet\"]\non_throttle = { fallback = \"micro\" }",
    )]);
    assert_refused(
        &c,
        "on_throttle = ",
        "policy[0].on_throttle",
        &[
            "on_throttle matters only for traffic over time",
            "add a [load] table, or remove on_throttle",
        ],
    );
}

#[test]
fn quotas_without_load_are_refused() {
    let c = Case::scenario(&[(
        "output_tokens = 1 }\n",
        &format!("output_tokens = 1 }}\n{MICRO_QUOTA}rpm = 5\n"),
    )]);
    assert_refused(
        &c,
        &format!("\"{MICRO}\"]"),
        &format!("quotas.\"{MICRO}\""),
        &["quotas need traffic over time: add a [load] table"],
    );
}

#[test]
fn class_keys_of_traffic_over_time_without_load_are_refused() {
    for key in [
        "prefixes = 3",
        "prefix_popularity = \"uniform\"",
        "max_tokens = 30",
    ] {
        let name = key.split(' ').next().unwrap();
        let c = Case::scenario(&[(
            "output_tokens = 6\n",
            &format!("output_tokens = 6\n{key}\n"),
        )]);
        assert_refused(
            &c,
            key,
            &format!("traffic[0].{name}"),
            &[&format!(
                "{name} matters only for traffic over time: add a [load] table, or remove {name}"
            )],
        );
    }
}

#[test]
fn a_one_hour_ttl_on_a_model_without_a_one_hour_cache_keeps_five_minutes_and_says_so() {
    // Sonnet's fixture entry has cache_write but no cache_write_1h: under a
    // 1-hour policy it keeps its 5-minute cache at the 5-minute write price
    // (never a write billed at $0), and the run says so.
    let run = |ttl: &str| {
        let c = Case::scenario(&[(
            "route = [\"sonnet\"]",
            &format!("route = [\"sonnet\"]\nprompt_caching = \"{ttl}\""),
        )]);
        let out = simroute(&["run", path_str(&c.scenario), "--format", "json"]);
        assert!(out.status.success(), "{out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            v["policies"][0]["cost_per_request"]["mean"]
                .as_f64()
                .unwrap(),
            v["warnings"].clone(),
        )
    };
    let (five, warnings_5m) = run("5m");
    let (hour, warnings_1h) = run("1h");
    assert_eq!(five, hour);
    let warnings_1h = warnings_1h.to_string();
    assert!(
        warnings_1h.contains("caches for 1 hour, but sonnet")
            && warnings_1h.contains("no 1-hour cache in the pricing table (no cache_write_1h)")
            && warnings_1h.contains("cached for 5 minutes, at the 5-minute write price"),
        "{warnings_1h}"
    );
    assert!(!warnings_5m.to_string().contains("1 hour"));
}

#[test]
fn exact_replay_under_load_needs_timestamps_and_takes_no_rate() {
    let exact = [
        ("seed = 7", "seed = 7\nreplay = \"exact\""),
        ("duration = \"1h\"\n", ""),
    ];
    let c = load_case(&exact, "");
    let log = c.dir.join("log.csv");
    std::fs::write(
        &log,
        "class,input_tokens,output_tokens\nclassify,450,6\nchat,1800,220\nchat,900,120\n",
    )
    .expect("write the log");
    let out = simroute(&[
        "validate",
        path_str(&c.scenario),
        "--traffic-log",
        path_str(&log),
    ]);
    assert_key(
        &out,
        &c.at("load]"),
        "load",
        &[
            "replay = \"exact\" under [load] keeps the logged arrival times, but 3 of the log's 3 used records have no timestamp",
        ],
    );
    assert_no_rust_words(&out);
    let c = load_case(
        &[("seed = 7", "seed = 7\nreplay = \"exact\"")],
        "scale = 3\n",
    );
    let out = simroute(&[
        "validate",
        path_str(&c.scenario),
        "--traffic-log",
        path_str(&log),
    ]);
    assert_key(
        &out,
        &c.at("scale = 3"),
        "load.scale",
        &[
            "replay = \"exact\" keeps the logged arrival times, so the log gives its arrival rate: remove load.scale",
        ],
    );
    assert_no_rust_words(&out);
}

// ---------------------------------------------------------------------------
// Commitments: [capacity."PRICING KEY"] (Reserved tier, Provisioned
// Throughput).
// ---------------------------------------------------------------------------

const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

/// A valid Reserved-tier commitment on Sonnet (which `all-sonnet` calls on
/// demand).
fn reserved_table() -> String {
    format!(
        "\n[capacity.\"{SONNET}\"]\nkind = \"reserved\"\nreserved_tpm = 200000\nreserved_output_tpm = 20000\nprice_per_1k_tpm = 60.0\nprice_per_1k_output_tpm = 300.0\nterm = \"1 month\"\n"
    )
}

/// A valid Provisioned Throughput commitment on Sonnet.
fn provisioned_table() -> String {
    format!(
        "\n[capacity.\"{SONNET}\"]\nkind = \"provisioned\"\nmodel_units = 2\nprice_per_unit_hour = 40.0\nunit_tpm = 50000\nterm = \"none\"\n"
    )
}

#[test]
fn validate_accepts_both_kinds_of_commitment() {
    for table in [reserved_table(), provisioned_table()] {
        let c = load_case(&[], &table);
        let out = c.validate();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

#[test]
fn a_commitment_without_load_says_to_add_it() {
    let last = "input_tokens = 200, output_tokens = 1 }\n";
    let c = Case::scenario(&[(last, &format!("{last}{}", reserved_table()))]);
    assert_refused(
        &c,
        &format!("\"{SONNET}\"]"),
        &format!("capacity.\"{SONNET}\""),
        &[
            "it needs traffic over time: add a [load] table",
            "the line `[load]` alone will do",
        ],
    );
    // Without `requests` either (a scenario whose [load] was removed): the
    // commitment's message, not a request for `requests`.
    let c = Case::scenario(&[
        (last, &format!("{last}{}", reserved_table())),
        ("\nrequests = 1000", ""),
    ]);
    assert_refused(
        &c,
        &format!("\"{SONNET}\"]"),
        &format!("capacity.\"{SONNET}\""),
        &["it needs traffic over time: add a [load] table"],
    );
}

#[test]
fn a_commitment_for_an_unknown_pricing_key_names_the_nearest() {
    let table = reserved_table().replace(SONNET, "anthropic.claude-sonnet-4-5-20250929-v1");
    let c = load_case(&[], &table);
    assert_refused(
        &c,
        "\"anthropic.claude-sonnet-4-5-20250929-v1\"]",
        "capacity.\"anthropic.claude-sonnet-4-5-20250929-v1\"",
        &[
            "is not a key of the pricing table",
            &format!("(did you mean `{SONNET}`?)"),
        ],
    );
}

#[test]
fn a_commitment_no_model_or_no_policy_uses_is_refused() {
    // No scenario model is priced as Mistral Large once `large` is gone.
    let c = load_case(
        &[(
            "[models.large]\nprice = \"mistral.mistral-large-2402-v1:0\"\nskill = 0.8\n",
            "",
        )],
        &reserved_table().replace(SONNET, LARGE),
    );
    assert_refused(
        &c,
        &format!("\"{LARGE}\"]"),
        &format!("capacity.\"{LARGE}\""),
        &[&format!(
            "no model of this scenario is priced as \"{LARGE}\", so the commitment would serve no call"
        )],
    );
    // `large` is a model, but no policy routes it.
    let c = load_case(&[], &reserved_table().replace(SONNET, LARGE));
    assert_refused(
        &c,
        &format!("\"{LARGE}\"]"),
        &format!("capacity.\"{LARGE}\""),
        &[
            &format!("no policy calls \"{LARGE}\" on demand"),
            "batch classes, extra calls and classifier calls are outside it",
        ],
    );
    // An embedding model generates no text.
    let c = load_case(&[], &reserved_table().replace(SONNET, EMBED));
    assert_refused(
        &c,
        &format!("\"{EMBED}\"]"),
        &format!("capacity.\"{EMBED}\""),
        &["generates no text"],
    );
}

#[test]
fn a_commitment_or_price_of_zero_below_or_not_finite_is_refused() {
    for (table, key, what) in [
        (
            reserved_table(),
            "reserved_tpm",
            "a reservation of input tokens per minute",
        ),
        (
            reserved_table(),
            "reserved_output_tpm",
            "a reservation of output tokens per minute",
        ),
        (
            reserved_table(),
            "price_per_1k_tpm",
            "a price in USD a month per 1,000 input tokens per minute",
        ),
        (
            reserved_table(),
            "price_per_1k_output_tpm",
            "a price in USD a month per 1,000 output tokens per minute",
        ),
        (
            provisioned_table(),
            "model_units",
            "a number of model units",
        ),
        (
            provisioned_table(),
            "price_per_unit_hour",
            "a price in USD per model unit per hour",
        ),
        (
            provisioned_table(),
            "unit_tpm",
            "the tokens per minute one model unit serves",
        ),
    ] {
        for bad in ["0", "-5", "nan", "inf"] {
            let start = table.find(&format!("\n{key} = ")).unwrap() + 1;
            let end = start + table[start..].find('\n').unwrap();
            let line = format!("{key} = {bad}");
            let t = format!("{}{line}{}", &table[..start], &table[end..]);
            let c = load_case(&[], &t);
            assert_refused(
                &c,
                &line,
                &format!("capacity.\"{SONNET}\".{key}"),
                &[&format!("is not {what}: it must be above 0")],
            );
        }
    }
}

#[test]
fn a_term_aws_does_not_sell_for_the_kind_is_refused() {
    let c = load_case(
        &[],
        &reserved_table().replace("term = \"1 month\"", "term = \"6 months\""),
    );
    assert_refused(
        &c,
        "term = \"6 months\"",
        &format!("capacity.\"{SONNET}\".term"),
        &[
            "\"6 months\" is not a term AWS sells for kind = \"reserved\"",
            "\"1 month\", \"3 months\"",
        ],
    );
    let c = load_case(
        &[],
        &provisioned_table().replace("term = \"none\"", "term = \"3 months\""),
    );
    assert_refused(
        &c,
        "term = \"3 months\"",
        &format!("capacity.\"{SONNET}\".term"),
        &[
            "\"3 months\" is not a term AWS sells for kind = \"provisioned\"",
            "\"none\", \"1 month\", \"6 months\"",
        ],
    );
}

#[test]
fn a_missing_key_of_the_kind_is_refused() {
    let c = load_case(
        &[],
        &reserved_table().replace("price_per_1k_output_tpm = 300.0\n", ""),
    );
    let out = c.validate();
    assert!(
        stderr(&out).contains(&format!(
            "capacity.\"{SONNET}\".price_per_1k_output_tpm: missing: kind = \"reserved\" needs reserved_tpm, reserved_output_tpm, price_per_1k_tpm, price_per_1k_output_tpm"
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(2));
    assert_no_rust_words(&out);
    for (table, key) in [
        (reserved_table(), "term = \"1 month\"\n"),
        (reserved_table(), "kind = \"reserved\"\n"),
    ] {
        let c = load_case(&[], &table.replace(key, ""));
        let out = c.validate();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("missing: "), "{}", stderr(&out));
        assert_no_rust_words(&out);
    }
}

#[test]
fn a_key_of_the_other_kind_is_refused() {
    let c = load_case(
        &[],
        &reserved_table().replace("term = ", "model_units = 2\nterm = "),
    );
    assert_refused(
        &c,
        "model_units = 2",
        &format!("capacity.\"{SONNET}\".model_units"),
        &[
            "model_units is a key of kind = \"provisioned\", and this commitment is kind = \"reserved\"",
            "remove model_units",
        ],
    );
    let c = load_case(
        &[],
        &provisioned_table().replace("term = ", "reserved_tpm = 100000\nterm = "),
    );
    assert_refused(
        &c,
        "reserved_tpm = 100000",
        &format!("capacity.\"{SONNET}\".reserved_tpm"),
        &["reserved_tpm is a key of kind = \"reserved\""],
    );
}

#[test]
fn a_bad_kind_overflow_or_number_of_units_is_refused() {
    let c = load_case(
        &[],
        &reserved_table().replace("kind = \"reserved\"", "kind = \"reserve\""),
    );
    assert_refused(
        &c,
        "kind = \"reserve\"",
        &format!("capacity.\"{SONNET}\".kind"),
        &[
            "\"reserve\" is not a kind of commitment",
            "(did you mean `reserved`?)",
        ],
    );
    let c = load_case(
        &[],
        &reserved_table().replace("term = ", "overflow = \"ondemand\"\nterm = "),
    );
    assert_refused(
        &c,
        "overflow = \"ondemand\"",
        &format!("capacity.\"{SONNET}\".overflow"),
        &[
            "\"ondemand\" is not an overflow",
            "(did you mean `on_demand`?)",
        ],
    );
    let c = load_case(
        &[],
        &provisioned_table().replace("model_units = 2", "model_units = 1.5"),
    );
    assert_refused(
        &c,
        "model_units = 1.5",
        &format!("capacity.\"{SONNET}\".model_units"),
        &["1.5 is not a number of model units: a whole number"],
    );
}

#[test]
fn a_reservation_below_the_tiers_minimum_is_run_with_a_warning() {
    let c = load_case(
        &[],
        &reserved_table().replace("reserved_tpm = 200000", "reserved_tpm = 50000"),
    );
    let out = simroute(&["run", path_str(&c.scenario)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        all.contains("reserved_tpm = 50,000 is below the Reserved tier's minimum of 100,000 input tokens per minute"),
        "{all}"
    );
}

/// An empty class or policy name (found by the fuzz runner: a class named ""
/// ran, and generate-log wrote records whose class read back as none).
#[test]
fn empty_class_and_policy_names_are_refused() {
    let c = Case::scenario(&[("name = \"chat\"\n", "name = \" \"\n")]);
    assert_key(
        &c.run(),
        &c.at("name = \" \""),
        "traffic[1].name",
        &["empty"],
    );
    let c = Case::scenario(&[("name = \"cascade\"\n", "name = \"\"\n")]);
    assert_key(
        &c.run(),
        &c.at("name = \"\"\n"),
        "policy[1].name",
        &["empty"],
    );
}
