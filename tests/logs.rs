//! Logs end to end: each format read field by field from a fixture
//! (tests/fixtures/logs/), every kind of bad record through the binary and with
//! `--skip-bad-lines`, a corrupt gzip, `fit` recovering a generated log's
//! distributions, and `generate-log`'s determinism.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;
use simroute::logs::{BadKind, LogFormat, LogOptions, LogSummary, Reject, read_log};
use tempfile::TempDir;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/logs")
        .join(name)
}

/// A record as owned values, for comparison.
#[derive(Debug, Clone, PartialEq)]
struct Rec {
    line: u64,
    class: Option<String>,
    model: Option<String>,
    timestamp: Option<String>,
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
    latency_ms: Option<f64>,
}

#[allow(clippy::too_many_arguments)]
fn rec(
    line: u64,
    class: Option<&str>,
    model: Option<&str>,
    timestamp: Option<&str>,
    tokens: [u64; 4],
    latency_ms: Option<f64>,
) -> Rec {
    Rec {
        line,
        class: class.map(str::to_string),
        model: model.map(str::to_string),
        timestamp: timestamp.map(str::to_string),
        input: tokens[0],
        output: tokens[1],
        cache_read: tokens[2],
        cache_write: tokens[3],
        latency_ms,
    }
}

fn read_all(path: &Path, class_field: Option<&str>) -> (Vec<Rec>, LogSummary) {
    let opts = LogOptions {
        class_field,
        skip_bad_lines: false,
        class_optional: false,
    };
    let mut v = Vec::new();
    let summary = read_log(path, &opts, |r| {
        v.push(Rec {
            line: r.line,
            class: r.class.map(str::to_string),
            model: r.model.map(str::to_string),
            timestamp: r.timestamp.map(str::to_string),
            input: r.input,
            output: r.output,
            cache_read: r.cache_read,
            cache_write: r.cache_write,
            latency_ms: r.latency_ms,
        });
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    (v, summary)
}

const NOVA: &str = "amazon.nova-micro-v1:0";
const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const PROFILE: &str = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0";

/// The records of tests/fixtures/logs/bedrock.jsonl, by line (line 3 is blank):
/// Converse with top-level counts; Anthropic InvokeModel with only a usage
/// block; a streamed InvokeModel (array body, invocation metrics) under an
/// inference-profile ARN with an escaped class; a ConverseStream whose output
/// count is only in the body's metadata event.
fn bedrock_expected() -> Vec<Rec> {
    vec![
        rec(
            1,
            Some("chat"),
            Some(NOVA),
            Some("2026-01-15T12:00:00Z"),
            [1800, 220, 2000, 0],
            Some(812.0),
        ),
        rec(
            2,
            Some("summarize"),
            Some(SONNET),
            Some("2026-01-15T12:00:05.250Z"),
            [3100, 250, 0, 1200],
            None,
        ),
        rec(
            4,
            Some("résumé"),
            Some(PROFILE),
            Some("2026-01-15T12:00:07Z"),
            [450, 6, 0, 0],
            Some(640.0),
        ),
        rec(
            5,
            Some("chat"),
            Some(NOVA),
            Some("2026-01-15T12:01:00Z"),
            [12, 3, 0, 0],
            Some(95.0),
        ),
    ]
}

#[test]
fn bedrock_jsonl_is_read_field_by_field() {
    let (got, s) = read_all(&fixture("bedrock.jsonl"), Some("requestMetadata.feature"));
    assert_eq!(got, bedrock_expected());
    assert_eq!(
        (s.format, s.gzip, s.read, s.used),
        (LogFormat::Bedrock, false, 4, 4)
    );
    assert_eq!(s.first_timestamp.as_deref(), Some("2026-01-15T12:00:00Z"));
    assert_eq!(s.last_timestamp.as_deref(), Some("2026-01-15T12:01:00Z"));
    assert_eq!(s.span_s(), Some(60.0));
}

#[test]
fn bedrock_without_a_class_field_has_no_class() {
    let (got, _) = read_all(&fixture("bedrock.jsonl"), None);
    let want: Vec<Rec> = bedrock_expected()
        .into_iter()
        .map(|r| Rec { class: None, ..r })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn bedrock_class_field_may_point_anywhere_in_the_record() {
    // A path into a field that is also parsed for counts takes the slow path.
    let (got, _) = read_all(&fixture("bedrock.jsonl"), Some("modelId"));
    let classes: Vec<_> = got.iter().map(|r| r.class.clone().unwrap()).collect();
    assert_eq!(classes, [NOVA, SONNET, PROFILE, NOVA]);
    let (got, _) = read_all(&fixture("bedrock.jsonl"), Some("operation"));
    let classes: Vec<_> = got.iter().map(|r| r.class.clone().unwrap()).collect();
    assert_eq!(
        classes,
        [
            "Converse",
            "InvokeModel",
            "InvokeModelWithResponseStream",
            "ConverseStream"
        ]
    );
}

#[test]
fn bedrock_gzip_in_two_members_reads_like_the_plain_file() {
    // The fixture is two gzip members back to back (as concatenated S3 objects).
    let (got, s) = read_all(
        &fixture("bedrock.jsonl.gz"),
        Some("requestMetadata.feature"),
    );
    assert_eq!(got, bedrock_expected());
    assert_eq!((s.format, s.gzip), (LogFormat::Bedrock, true));
}

#[test]
fn cloudwatch_export_lines_are_read_after_their_timestamp() {
    let (got, s) = read_all(
        &fixture("cloudwatch-export.txt"),
        Some("requestMetadata.feature"),
    );
    let lite = "amazon.nova-lite-v1:0";
    assert_eq!(
        got,
        [
            rec(
                1,
                Some("chat"),
                Some(lite),
                Some("2026-01-15T12:00:00Z"),
                [700, 90, 0, 0],
                None
            ),
            // No timestamp in the record: the export's is used.
            rec(
                2,
                Some("classify"),
                Some(lite),
                Some("2026-01-15T12:00:09.500Z"),
                [40, 5, 0, 1024],
                None
            ),
        ]
    );
    assert_eq!(s.format, LogFormat::Bedrock);
}

#[test]
fn plain_csv_is_read_field_by_field() {
    // Columns in another order, CRLF line ends, a quoted class with a comma,
    // empty optional cells, a blank line.
    let (got, s) = read_all(&fixture("plain.csv"), None);
    assert_eq!(
        got,
        [
            rec(
                2,
                Some("chat"),
                Some(NOVA),
                Some("2026-01-15T12:00:00Z"),
                [1800, 220, 2000, 0],
                Some(812.5)
            ),
            rec(
                3,
                Some("intent, short"),
                None,
                Some("2026-01-15T13:00:00Z"),
                [450, 6, 0, 0],
                None
            ),
            rec(
                5,
                Some("summarize"),
                Some(SONNET),
                None,
                [3000, 250, 0, 1200],
                Some(4100.0)
            ),
        ]
    );
    assert_eq!((s.format, s.read, s.used), (LogFormat::Csv, 3, 3));
    assert_eq!(s.span_s(), Some(3600.0));
}

#[test]
fn plain_jsonl_is_read_field_by_field() {
    let (got, s) = read_all(&fixture("plain.jsonl"), None);
    assert_eq!(
        got,
        [
            rec(
                1,
                Some("chat"),
                Some(NOVA),
                Some("2026-01-15T12:00:00Z"),
                [1800, 220, 2000, 0],
                Some(812.5)
            ),
            rec(2, Some("intent"), None, None, [450, 6, 0, 0], None),
            // A count written as a string is read; null is absent.
            rec(
                4,
                None,
                None,
                Some("2026-01-16T12:00:00Z"),
                [3000, 250, 0, 1200],
                None
            ),
        ]
    );
    assert_eq!((s.format, s.read), (LogFormat::Jsonl, 3));
}

// ------------------------------------------------------------ bad records

/// A Bedrock record with these top-level `input` and `output` counts.
fn bedrock_line(input: &str, output: &str, feature: &str) -> String {
    format!(
        r#"{{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-01-15T12:00:00Z","operation":"Converse","modelId":"{NOVA}","input":{{"inputTokenCount":{input}}},"output":{{"outputTokenCount":{output}}},"requestMetadata":{{"feature":"{feature}"}}}}"#
    )
}

/// A bad line of each kind the reader finds, with the kind.
fn bad_lines() -> Vec<(BadKind, String)> {
    vec![
        (BadKind::Malformed, r#"{"schemaType":"ModelInvocationLog","input":"#.into()),
        (
            BadKind::Malformed,
            r#"{"schemaType":"AuditLog","input":{"inputTokenCount":1},"output":{"outputTokenCount":1}}"#
                .into(),
        ),
        (BadKind::Malformed, bedrock_line("12.5", "3", "chat")),
        (
            BadKind::MissingField,
            bedrock_line("12", "3", "chat").replace(r#""requestMetadata":{"feature":"chat"}"#, r#""requestMetadata":{}"#),
        ),
        (
            BadKind::MissingField,
            bedrock_line("12", "null", "chat"),
        ),
        (
            BadKind::NoTokenCounts,
            bedrock_line("null", "null", "chat"),
        ),
        (BadKind::NegativeCount, bedrock_line("-5", "3", "chat")),
        (BadKind::AbsurdCount, bedrock_line("12", "20000000", "chat")),
    ]
}

/// A log of 10 good records with `bad` at line 4 (and a blank line 2).
fn log_with(dir: &Path, bad: &str) -> PathBuf {
    let mut lines: Vec<String> = (0..10)
        .map(|i| bedrock_line(&format!("{}", 100 + i), "7", "chat"))
        .collect();
    lines.insert(1, String::new());
    lines.insert(3, bad.to_string());
    let path = dir.join("log.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn simroute(args: &[&str]) -> Output {
    cargo_bin_cmd!("simroute").args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_bad_record_stops_fit_with_its_file_line_and_kind() {
    let dir = TempDir::new().unwrap();
    for (kind, bad) in bad_lines() {
        let log = log_with(dir.path(), &bad);
        let p = log.to_str().unwrap();
        let o = simroute(&["fit", p, "--class-field", "requestMetadata.feature"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{kind}: {err}");
        assert!(
            err.contains(&format!("{p}:4: {kind}: ")),
            "{kind}: expected `{p}:4: {kind}: ` in:\n{err}"
        );
        assert!(err.contains("--skip-bad-lines"), "{err}");
        assert_eq!(err.lines().count(), 1, "one message: {err}");
    }
}

#[test]
fn skipped_records_are_counted_by_kind() {
    let dir = TempDir::new().unwrap();
    for (kind, bad) in bad_lines() {
        let log = log_with(dir.path(), &bad);
        let opts = LogOptions {
            class_field: Some("requestMetadata.feature"),
            skip_bad_lines: true,
            class_optional: false,
        };
        let mut lines = Vec::new();
        let s = read_log(&log, &opts, |r| {
            lines.push(r.line);
            Ok(())
        })
        .unwrap();
        assert_eq!((s.read, s.used), (11, 10), "{kind}");
        assert_eq!(s.skipped, BTreeMap::from([(kind, 1)]), "{kind}");
        assert_eq!(s.read, s.used + s.skipped_total());
        assert_eq!(lines, [1, 3, 5, 6, 7, 8, 9, 10, 11, 12]);
        assert!(
            s.describe()
                .ends_with(&format!("11 records read, 10 used, 1 skipped (1 {kind})")),
            "{}",
            s.describe()
        );
        // And through the binary: the header comment counts them.
        let o = simroute(&[
            "fit",
            log.to_str().unwrap(),
            "--class-field",
            "requestMetadata.feature",
            "--skip-bad-lines",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stdout(&o).contains(&format!(
                "# 11 records read, 10 used, 1 skipped (1 {kind})."
            )),
            "{}",
            stdout(&o)
        );
    }
}

#[test]
fn the_caller_rejects_classes_and_models_with_their_own_kinds() {
    let dir = TempDir::new().unwrap();
    let mut lines: Vec<String> = (0..6)
        .map(|i| bedrock_line("10", "2", ["chat", "other"][i % 2]))
        .collect();
    lines[4] = lines[4].replace(NOVA, "acme.unknown-model-v1:0");
    let log = dir.path().join("log.jsonl");
    std::fs::write(&log, lines.join("\n")).unwrap();
    let check = |r: &simroute::logs::Record| {
        if r.class != Some("chat") {
            return Err(Reject::new(
                BadKind::UnknownClass,
                "class `other` is not a [[traffic]] name",
            ));
        }
        if r.model != Some(NOVA) {
            return Err(Reject::new(BadKind::UnpricedModel, "not priced"));
        }
        Ok(())
    };
    let mut opts = LogOptions {
        class_field: Some("requestMetadata.feature"),
        skip_bad_lines: true,
        class_optional: false,
    };
    let s = read_log(&log, &opts, check).unwrap();
    assert_eq!((s.read, s.used), (6, 2));
    assert_eq!(
        s.skipped,
        BTreeMap::from([(BadKind::UnknownClass, 3), (BadKind::UnpricedModel, 1)])
    );
    assert!(
        s.describe()
            .ends_with("(3 class not in the scenario, 1 model not in the pricing table)"),
        "{}",
        s.describe()
    );
    opts.skip_bad_lines = false;
    let e = read_log(&log, &opts, check).unwrap_err().to_string();
    assert!(
        e.ends_with("log.jsonl:2: class not in the scenario: class `other` is not a [[traffic]] name (or pass --skip-bad-lines to skip such records)"),
        "{e}"
    );
}

#[test]
fn csv_and_jsonl_bad_records() {
    let dir = TempDir::new().unwrap();
    let csv = "class,input_tokens,output_tokens\nchat,10,2\nchat,-1,2\nchat,x,2\nchat,,\nchat,5\nchat,1,99999999\n";
    let path = dir.path().join("log.csv");
    std::fs::write(&path, csv).unwrap();
    let opts = LogOptions {
        class_field: None,
        skip_bad_lines: true,
        class_optional: false,
    };
    let s = read_log(&path, &opts, |_| Ok(())).unwrap();
    assert_eq!((s.read, s.used), (6, 1));
    assert_eq!(
        s.skipped,
        BTreeMap::from([
            (BadKind::Malformed, 2),
            (BadKind::NoTokenCounts, 1),
            (BadKind::NegativeCount, 1),
            (BadKind::AbsurdCount, 1),
        ])
    );
    let o = simroute(&["fit", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("log.csv:3: negative count: input_tokens is -1"),
        "{}",
        stderr(&o)
    );

    let jsonl = "{\"class\":\"a\",\"input_tokens\":1,\"output_tokens\":2}\n{\"class\":\"a\",\"input_tokens\":1,\"output_token\":2}\n";
    let path = dir.path().join("log.jsonl");
    std::fs::write(&path, jsonl).unwrap();
    let o = simroute(&["fit", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("log.jsonl:2: malformed line: unknown key `output_token` (did you mean `output_tokens`?)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_value_of_the_wrong_type_is_said_in_words() {
    let dir = TempDir::new().unwrap();
    let cases = [
        (
            "plain.jsonl",
            "{\"input_tokens\":1,\"output_tokens\":2,\"timestamp\":5}\n",
            "plain.jsonl:1: malformed line: a value has the wrong type at column 49: expected text in quotes, found 5 (or pass",
        ),
        (
            "bedrock.jsonl",
            "{\"schemaType\":\"ModelInvocationLog\",\"modelId\":5,\"input\":{\"inputTokenCount\":2},\"output\":{\"outputTokenCount\":3}}\n",
            "bedrock.jsonl:1: malformed line: a value has the wrong type at column 46: expected text in quotes, found 5 (or pass",
        ),
    ];
    for (name, text, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let o = simroute(&["fit", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        assert!(err.contains(want), "{err}");
        assert!(!err.contains("not valid JSON"), "{err}");
    }
}

#[test]
fn a_log_that_starts_with_a_byte_order_mark_is_read_in_its_format() {
    let dir = TempDir::new().unwrap();
    let bom = b"\xEF\xBB\xBF";
    let jsonl = b"{\"class\":\"a\",\"input_tokens\":10,\"output_tokens\":2}\n{\"class\":\"a\",\"input_tokens\":30,\"output_tokens\":4}\n";
    let csv = b"class,input_tokens,output_tokens\na,10,2\na,30,4\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bom).unwrap();
    gz.write_all(jsonl).unwrap();
    let gz = gz.finish().unwrap();
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("bom.jsonl", [&bom[..], jsonl].concat(), "(JSONL)"),
        ("bom.csv", [&bom[..], csv].concat(), "(CSV)"),
        ("bom.jsonl.gz", gz, "(JSONL, gzip)"),
    ];
    for (name, bytes, format) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let o = simroute(&["fit", path.to_str().unwrap()]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        assert!(out.contains(format), "{name}: {out}");
        assert!(out.contains("name = \"a\""), "{name}: {out}");
    }
}

#[test]
fn mistakes_in_the_file_as_a_whole() {
    let dir = TempDir::new().unwrap();
    let write = |name: &str, text: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases: Vec<(PathBuf, &str)> = vec![
        (write("empty.jsonl", b"\n\n"), "the log is empty"),
        (
            write("header.csv", b"class,input_tokens,output_tokenz\n"),
            "header.csv:1: unknown column `output_tokenz` (did you mean `output_tokens`?)",
        ),
        (
            write("noout.csv", b"class,input_tokens\nchat,1\n"),
            "the header has no `output_tokens` column",
        ),
        (
            write("header-only.csv", b"class,input_tokens,output_tokens\n"),
            "the log has no records",
        ),
        (
            write(
                "pretty.json",
                b"{\n  \"schemaType\": \"ModelInvocationLog\"\n}\n",
            ),
            "pretty-printed JSON",
        ),
        (dir.path().join("missing.jsonl"), "cannot read the file"),
    ];
    for (path, want) in cases {
        let o = simroute(&["fit", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains(want),
            "expected {want:?} in {}",
            stderr(&o)
        );
    }
}

#[test]
fn a_corrupt_gzip_is_a_clear_error() {
    let dir = TempDir::new().unwrap();
    // Gzip magic, then garbage.
    let bad = dir.path().join("bad.jsonl.gz");
    std::fs::write(&bad, b"\x1f\x8b\x08\x00garbage garbage garbage").unwrap();
    let o = simroute(&["fit", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad.jsonl.gz: not a gzip file or corrupt"),
        "{err}"
    );

    // A good gzip cut short, mid-stream: the error names the line.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..20_000 {
        writeln!(enc, "{}", bedrock_line(&i.to_string(), "5", "chat")).unwrap();
    }
    let full = enc.finish().unwrap();
    let cut = dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    let o = simroute(&["fit", cut.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("cut.jsonl.gz:"), "{err}");
    assert!(err.contains("not a gzip file or corrupt"), "{err}");
}

// ------------------------------------------------------------ fit and generate

/// A scenario whose chat class has a known lognormal input (median 900, p95
/// 2500), a cached prefix with hit rate 0.8, and a classify class of fixed
/// input.
fn scenario(dir: &Path) -> PathBuf {
    let pricing = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pricing.toml");
    let text = format!(
        r#"[scenario]
name = "fit-test"
pricing = '{}'
requests = 1000
replications = 2
seed = 7
monthly_requests = 500000

[models.micro]
price = "amazon.nova-micro-v1:0"
skill = 0.6

[[traffic]]
name = "chat"
share = 0.7
input_tokens = {{ median = 900, p95 = 2500 }}
output_tokens = {{ median = 200, p95 = 600 }}
cached_prefix_tokens = 1500
cache_hit_rate = 0.8
difficulty = {{ alpha = 2, beta = 6 }}

[[traffic]]
name = "classify"
share = 0.3
input_tokens = 300
output_tokens = {{ median = 6, p95 = 15 }}
difficulty = 0.2

[[policy]]
name = "micro"
route = ["micro"]
"#,
        pricing.display()
    );
    let path = dir.join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[derive(serde::Deserialize)]
struct Fitted {
    traffic: Vec<simroute::scenario::format::TrafficEntry>,
}

fn num(v: &Option<simroute::spec::NumOr<simroute::spec::MedianP95>>) -> (f64, f64) {
    match v.as_ref().expect("token counts are printed") {
        simroute::spec::NumOr::Num(n) => (*n, *n),
        simroute::spec::NumOr::Table(t) => (t.median, t.p95),
    }
}

/// The standard normal density, for the order-statistic error below.
fn phi(z: f64) -> f64 {
    (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

#[test]
fn fit_recovers_a_generated_logs_distributions() {
    let dir = TempDir::new().unwrap();
    let scen = scenario(dir.path());
    let log = dir.path().join("log.jsonl.gz");
    const N: f64 = 200_000.0;
    let o = simroute(&[
        "generate-log",
        scen.to_str().unwrap(),
        "--records",
        "200000",
        "--seed",
        "11",
        "--gzip",
        "--out",
        log.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = simroute(&[
        "fit",
        log.to_str().unwrap(),
        "--class-field",
        "requestMetadata.feature",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let fitted: Fitted = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(fitted.traffic.len(), 2, "{text}");
    let chat = fitted.traffic.iter().find(|t| t.name == "chat").unwrap();
    let classify = fitted
        .traffic
        .iter()
        .find(|t| t.name == "classify")
        .unwrap();

    // Shares: binomial, sd = sqrt(p(1-p)/N); printed to 4 decimals (±0.00005,
    // and the largest class absorbs the rounding of the others: ±0.0001 more).
    let (s_chat, s_cls) = (chat.share.unwrap(), classify.share.unwrap());
    assert_eq!(((s_chat + s_cls) * 1e4).round(), 1e4, "shares sum to 1");
    let sd = (0.7f64 * 0.3 / N).sqrt();
    assert!(
        (s_chat - 0.7).abs() < 4.0 * sd + 1.5e-4,
        "chat share {s_chat}\n{text}"
    );

    // Quantiles of a lognormal(mu, sigma) sample of n: the sample p-quantile has
    // standard error sqrt(p(1-p)/n) / f(x_p), f the density at x_p; for a
    // lognormal f(x_p) = phi(z_p) / (x_p sigma), so the relative error is
    // sqrt(p(1-p)/n) * sigma / phi(z_p). Allow 4 of them, plus 1 token for the
    // rounding of draws and of the printed value.
    let n = s_chat * N;
    let tol = |x: f64, p: f64, z: f64, sigma: f64| {
        4.0 * (p * (1.0 - p) / n).sqrt() * sigma / phi(z) * x + 1.0
    };
    let sigma_in = (2500.0f64 / 900.0).ln() / 1.6448536;
    let (m, q) = num(&chat.input_tokens);
    assert!(
        (m - 900.0).abs() < tol(900.0, 0.5, 0.0, sigma_in),
        "median {m}\n{text}"
    );
    assert!(
        (q - 2500.0).abs() < tol(2500.0, 0.95, 1.6448536, sigma_in),
        "p95 {q}\n{text}"
    );
    let sigma_out = (600.0f64 / 200.0).ln() / 1.6448536;
    let (m, q) = num(&chat.output_tokens);
    assert!(
        (m - 200.0).abs() < tol(200.0, 0.5, 0.0, sigma_out),
        "median {m}\n{text}"
    );
    assert!(
        (q - 600.0).abs() < tol(600.0, 0.95, 1.6448536, sigma_out),
        "p95 {q}\n{text}"
    );

    // The prefix is exact; the hit rate is binomial over the chat records.
    assert_eq!(chat.cached_prefix_tokens, Some(1500.0));
    let h = chat.cache_hit_rate.unwrap();
    assert!(
        (h - 0.8).abs() < 4.0 * (0.8f64 * 0.2 / n).sqrt() + 5e-5,
        "hit rate {h}"
    );
    // A constant count prints as a number; no cached tokens, no cache keys.
    assert_eq!(num(&classify.input_tokens), (300.0, 300.0));
    assert!(classify.cached_prefix_tokens.is_none() && classify.cache_hit_rate.is_none());

    // The timestamps run at the scenario's 500,000 requests a month.
    let monthly: f64 = text
        .split("monthly_requests = ")
        .nth(1)
        .and_then(|r| r.split('`').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!((monthly / 500_000.0 - 1.0).abs() < 1e-3, "{monthly}");
    assert!(text.contains("placeholder: a log cannot tell difficulty"));
    assert!(!text.contains("poor fit"), "{text}");

    // The fitted tables make a valid scenario.
    let mut scenario_text = std::fs::read_to_string(&scen).unwrap();
    scenario_text.truncate(scenario_text.find("[[traffic]]").unwrap());
    scenario_text.push_str(&text);
    scenario_text.push_str("\n[[policy]]\nname = \"micro\"\nroute = [\"micro\"]\n");
    let refit = dir.path().join("refit.toml");
    std::fs::write(&refit, scenario_text).unwrap();
    let o = simroute(&["validate", refit.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));

    // So do those of a log that no lognormal describes: counts mostly 0, a
    // prompt cache used by some records only, a class of one record.
    let mut csv = String::from("class,input_tokens,output_tokens,cache_read_tokens\n");
    for i in 0..100u64 {
        // tools: 60 records of input 0, 40 of 100..139 (mean 47.8).
        let input = if i < 60 { 0 } else { 40 + i };
        csv.push_str(&format!("tools,{input},{},\n", 50 + i % 7));
        // embed: output 0 on 70 records, 1 on 30 (mean 0.3, raised to 1).
        csv.push_str(&format!("embed,{},{},\n", 200 + i, (i >= 70) as u64));
        // chat: 40 of the 100 records read a 1,000-token prefix.
        let cached = if i % 5 < 2 { "1000" } else { "" };
        csv.push_str(&format!("chat,{},{},{cached}\n", 300 + i, 20 + i % 11));
    }
    csv.push_str("rare,5,5,\n");
    let zeros = dir.path().join("zeros.csv");
    std::fs::write(&zeros, csv).unwrap();
    let o = simroute(&["fit", zeros.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(!text.contains("median = 0"), "{text}");
    let fitted: Fitted = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let class = |name: &str| fitted.traffic.iter().find(|t| t.name == name).unwrap();
    assert_eq!(num(&class("tools").input_tokens), (48.0, 48.0), "{text}");
    assert_eq!(num(&class("embed").output_tokens), (1.0, 1.0), "{text}");
    let comment = |key: &str, class: &str| -> String {
        let head = text.find(&format!("# {class}: ")).unwrap();
        text[head..]
            .lines()
            .find(|l| l.starts_with(&format!("# {key}:")))
            .unwrap_or_else(|| panic!("no {key} comment for {class}\n{text}"))
            .to_string()
    };
    for (key, class) in [("input_tokens", "tools"), ("output_tokens", "embed")] {
        let c = comment(key, class);
        assert!(c.contains("more than half the records have 0"), "{c}");
        assert!(c.contains("a lognormal cannot describe"), "{c}");
    }
    assert!(comment("input_tokens", "tools").contains("fixed at 48, the mean (47.8) rounded"));
    assert_eq!(class("chat").cached_prefix_tokens, Some(1000.0));
    assert_eq!(class("chat").cache_hit_rate, Some(1.0));
    assert!(
        comment("cached_prefix_tokens", "chat").contains(
            "only 40.0% of the records (40 of 100) use the prompt cache; the scenario sends the prefix with every request: split the class if that matters"
        ),
        "{text}"
    );
    assert!(
        text.contains("# rare: 1 record (0.3% of those used)"),
        "{text}"
    );
    assert!(
        text.contains("# 301 records read, 301 used, 0 skipped."),
        "{text}"
    );
    let mut scenario_text = std::fs::read_to_string(&scen).unwrap();
    scenario_text.truncate(scenario_text.find("[[traffic]]").unwrap());
    scenario_text.push_str(&text);
    scenario_text.push_str("\n[[policy]]\nname = \"micro\"\nroute = [\"micro\"]\n");
    std::fs::write(&refit, scenario_text).unwrap();
    let o = simroute(&["validate", refit.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{text}", stderr(&o));
}

#[test]
fn fit_counts_one_record_in_the_singular() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("one.csv");
    std::fs::write(&path, "input_tokens,output_tokens\n12,3\n").unwrap();
    let o = simroute(&["fit", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("# 1 record read, 1 used, 0 skipped.\n"),
        "{text}"
    );
    assert!(
        text.contains("# all: 1 record (100.0% of those used)\n"),
        "{text}"
    );
    assert!(!text.contains(" 1 records"), "{text}");

    // And a short line of a CSV log says "1 field".
    std::fs::write(&path, "input_tokens,output_tokens\n12,3\n7\n").unwrap();
    let o = simroute(&["fit", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("one.csv:3: malformed line: the line has 1 field, the header 2"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn fit_output_is_toml_whatever_the_class_names_and_model_ids_hold() {
    // Found by fuzzing: a class name or model id with a control character (a
    // newline inside a quoted CSV field, a \u000F in a JSON string) was echoed
    // raw into a `#` comment, which ended the comment or made the output
    // invalid TOML.
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("names.csv");
    std::fs::write(
        &path,
        "class,model,input_tokens,output_tokens\n\"two\nlines\",\"m\r1\",12,3\n\"bell\u{7}\",\"m\u{f}\",5,1\nplain,m,7,2\n",
    )
    .unwrap();
    let fit = simroute::logs::fit::fit_log(&path, &LogOptions::default()).unwrap();
    let text = simroute::logs::fit::render(&fit);
    let doc: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("fit's output is not TOML: {e}\n{text}"));
    let names: Vec<&str> = doc["traffic"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["two\nlines", "bell\u{7}", "plain"], "{text}");
    assert!(text.contains("# two\\u{a}lines: 1 record"), "{text}");
    assert!(text.contains("models: m\\u{d}1 100.0%"), "{text}");
}

#[test]
fn fit_flags_a_tail_a_lognormal_misses() {
    // 90% of records at 100 tokens, 10% at 10,000: p95 is 10,000 and the
    // lognormal through (100, 10,000) puts p99 far above the observed 10,000.
    let dir = TempDir::new().unwrap();
    let mut csv = String::from("input_tokens,output_tokens\n");
    for i in 0..1000 {
        let input = if i % 10 == 0 { 10_000 } else { 100 + i % 7 };
        csv.push_str(&format!("{input},{}\n", 50 + i % 3));
    }
    let path = dir.path().join("log.csv");
    std::fs::write(&path, csv).unwrap();
    let o = simroute(&["fit", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let input_comment = text
        .lines()
        .find(|l| l.starts_with("# input_tokens"))
        .unwrap();
    assert!(input_comment.contains("poor fit"), "{text}");
    assert!(text.contains("name = \"all\"\nshare = 1.0000\n"), "{text}");
    assert!(text.contains("No ISO-8601 UTC timestamps"), "{text}");
}

#[test]
fn generate_log_is_deterministic_for_a_seed() {
    let dir = TempDir::new().unwrap();
    let scen = scenario(dir.path());
    let generate = |name: &str, seed: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec![
            "generate-log",
            scen.to_str().unwrap(),
            "--records",
            "3000",
            "--seed",
            seed,
            "--out",
            out.to_str().unwrap(),
            // The same names are written more than once.
            "--force",
        ];
        args.extend_from_slice(extra);
        let o = simroute(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(out).unwrap()
    };
    assert_eq!(generate("a.jsonl", "3", &[]), generate("b.jsonl", "3", &[]));
    assert_ne!(generate("a.jsonl", "3", &[]), generate("c.jsonl", "4", &[]));
    assert_eq!(
        generate("a.gz", "3", &["--gzip"]),
        generate("b.gz", "3", &["--gzip"])
    );
    assert_eq!(
        generate("a.csv", "3", &["--format", "csv"]),
        generate("b.csv", "3", &["--format", "csv"])
    );

    // Both formats of one seed hold the same calls.
    let (bedrock, _) = read_all(&dir.path().join("a.gz"), Some("requestMetadata.feature"));
    let (csv, s) = read_all(&dir.path().join("a.csv"), None);
    assert_eq!(s.format, LogFormat::Csv);
    assert_eq!(bedrock.len(), 3000);
    let strip = |v: Vec<Rec>| -> Vec<Rec> { v.into_iter().map(|r| Rec { line: 0, ..r }).collect() };
    assert_eq!(strip(bedrock), strip(csv));
}

#[test]
fn generate_log_refuses_counts_no_record_may_hold() {
    // Found by fuzzing: a scenario could draw counts near u64::MAX (validation
    // took any whole number), and the Bedrock record's totalTokens was their
    // u64 sum: an overflow panic in debug builds, a wrapped total in release.
    // Counts above what a record may hold are now refused when the scenario is
    // read (issue 9 §1), and the sum is taken in u128 all the same.
    let dir = TempDir::new().unwrap();
    let scen = scenario(dir.path());
    let text = std::fs::read_to_string(&scen).unwrap().replace(
        "output_tokens = { median = 200, p95 = 600 }",
        "output_tokens = 18446744073709551615",
    );
    std::fs::write(&scen, text).unwrap();
    let err = simroute::scenario::Scenario::load(&scen).unwrap_err();
    assert!(err.to_string().contains("at most 10,000,000"), "{err}");
}

#[test]
fn generate_log_names_an_unknown_policy() {
    let dir = TempDir::new().unwrap();
    let scen = scenario(dir.path());
    let out = dir.path().join("x.jsonl");
    let o = simroute(&[
        "generate-log",
        scen.to_str().unwrap(),
        "--records",
        "10",
        "--policy",
        "mikro",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--policy mikro: no such policy"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("did you mean `micro`?"),
        "{}",
        stderr(&o)
    );
}

/// A scenario in `dir` whose one class, `chat`, takes its traffic from `log`,
/// with `extra` lines added to [scenario] and to the class.
fn logged_scenario(dir: &Path, log: &str, scenario_extra: &str, class_extra: &str) -> PathBuf {
    let pricing = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pricing.toml");
    let text = format!(
        r#"[scenario]
name = "logged"
pricing = '{}'
requests = 100
replications = 2
seed = 7
monthly_requests = 1000
{scenario_extra}

[models.micro]
price = "amazon.nova-micro-v1:0"
skill = 0.6

[[traffic]]
name = "chat"
log = "{log}"
difficulty = 0.3
{class_extra}

[[policy]]
name = "micro"
route = ["micro"]
"#,
        pricing.display()
    );
    let path = dir.join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_csv_class_column_named_by_the_scenario_is_called_so() {
    let dir = TempDir::new().unwrap();
    let scen = logged_scenario(dir.path(), "log.csv", "", "class_field = \"feature\"");
    // The column is missing; then a cell of it is empty.
    for (csv, want) in [
        (
            "input_tokens,output_tokens\n10,2\n",
            "log.csv:1: the header has no column `feature` (named by class_field / --class-field)",
        ),
        (
            "feature,input_tokens,output_tokens\nchat,10,2\n ,12,3\n",
            "log.csv:3: missing field: the feature cell (named by class_field / --class-field) is empty",
        ),
    ] {
        std::fs::write(dir.path().join("log.csv"), csv).unwrap();
        let o = simroute(&["validate", scen.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains(want),
            "expected {want:?} in {}",
            stderr(&o)
        );
    }
}

/// The names of the files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn generate_log_leaves_no_file_when_it_fails() {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("log.csv"),
        "class,input_tokens,output_tokens\nchat,10,2\nchat,12,3\n",
    )
    .unwrap();
    let scen = logged_scenario(dir.path(), "log.csv", "replay = \"exact\"", "");
    let before = listing(dir.path());
    for gzip in [false, true] {
        let out = dir.path().join("out.jsonl");
        let mut args = vec![
            "generate-log",
            scen.to_str().unwrap(),
            "--records",
            "5",
            "--out",
            out.to_str().unwrap(),
        ];
        if gzip {
            args.push("--gzip");
        }
        let o = simroute(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("replays its log exactly"),
            "{}",
            stderr(&o)
        );
        assert!(!out.exists(), "{} was left behind", out.display());
        assert_eq!(listing(dir.path()), before);
    }
    // A folder that does not exist: an error before anything is drawn.
    let out = dir.path().join("no/such/folder/out.jsonl");
    let scen = scenario(dir.path());
    let o = simroute(&[
        "generate-log",
        scen.to_str().unwrap(),
        "--records",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));

    // A success replaces an older file (with --force) and leaves no temporary
    // file.
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "old").unwrap();
    let o = simroute(&[
        "generate-log",
        scen.to_str().unwrap(),
        "--records",
        "1",
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(" 1 CSV record drawn from "),
        "{}",
        stdout(&o)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    let mut want = before.clone();
    want.push("out.csv".into());
    want.sort();
    assert_eq!(listing(dir.path()), want);
}
