//! Aggregated traffic files, end to end through the binary: `simroute
//! aggregate` writes them, and `run`, `fit` and `generate-log` read them where
//! they read a log (scenarios/README.md §2.8). The fixture is checked cell by
//! cell against values worked out by hand; the support log's aggregate is
//! checked against the raw log: the same records per class, the same cost as
//! logged (exact sums), policies' costs within each other's CIs, fit's medians
//! within a bucket. Bad files end with exit code 2 and a message naming the
//! file, the line (CSV) or row (Parquet), the column and what is wrong.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;
use tempfile::TempDir;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SUPPORT_LOG: &str = "scenarios/logs/support-invocations.jsonl.gz";
const HEADER: &str = "class,model,hour,input_bucket,output_bucket,cache_read_bucket,cache_write_bucket,records,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,first_timestamp,last_timestamp";

fn simroute(args: &[&str]) -> Output {
    cargo_bin_cmd!("simroute")
        .current_dir(ROOT)
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn aggregate(dir: &TempDir, name: &str, args: &[&str]) -> PathBuf {
    let p = dir.path().join(name);
    let mut a: Vec<&str> = vec!["aggregate"];
    a.extend(args);
    a.extend(["--out", p.to_str().unwrap()]);
    ok(simroute(&a));
    p
}

#[test]
fn the_fixture_aggregates_cell_by_cell() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("a.csv");
    let o = ok(simroute(&[
        "aggregate",
        "tests/fixtures/logs/bedrock.jsonl",
        "--out",
        out.to_str().unwrap(),
    ]));
    // By hand: 1800 = 14.06 × 128 → 1792; 220 = 13.75 × 16 → 208;
    // 2000 = 15.6 × 128 → 1920; 3100 = 12.1 × 256 → 3072; 250 = 15.6 × 16 →
    // 240; 1200 = 9.4 × 128 → 1152; 450 = 14.06 × 32 → 448; 12, 6 and 3 are
    // below 16, their own buckets. No class field: the class is empty.
    let want = format!(
        "{HEADER}
,amazon.nova-micro-v1:0,12,12,3,0,0,1,12,3,0,0,2026-01-15T12:01:00Z,2026-01-15T12:01:00Z
,amazon.nova-micro-v1:0,12,1792,208,1920,0,1,1800,220,2000,0,2026-01-15T12:00:00Z,2026-01-15T12:00:00Z
,anthropic.claude-sonnet-4-5-20250929-v1:0,12,3072,240,0,1152,1,3100,250,0,1200,2026-01-15T12:00:05.250Z,2026-01-15T12:00:05.250Z
,arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0,12,448,6,0,0,1,450,6,0,0,2026-01-15T12:00:07Z,2026-01-15T12:00:07Z
"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), want);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("4 records read, 4 used, 0 skipped; 4 cells, 2026-01-15T12:00:00Z to 2026-01-15T12:01:00Z"),
        "{err}"
    );
    // The gzip and Parquet forms hold the same cells: re-aggregated to CSV,
    // the same bytes.
    for name in ["a.csv.gz", "a.parquet"] {
        let p = aggregate(&dir, name, &["tests/fixtures/logs/bedrock.jsonl"]);
        let back = aggregate(&dir, &format!("{name}.csv"), &[p.to_str().unwrap()]);
        assert_eq!(std::fs::read_to_string(back).unwrap(), want, "{name}");
    }
}

/// Records per class of an aggregate CSV.
fn records_by_class(path: &Path) -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let mut m = BTreeMap::new();
    for row in r.records() {
        let row = row.unwrap();
        *m.entry(row[0].to_string()).or_default() += row[7].parse::<u64>().unwrap();
    }
    m
}

/// `# NAME: N records` lines of fit's output.
fn fit_counts(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|l| {
            let (name, rest) = l.strip_prefix("# ")?.split_once(": ")?;
            let n = rest.strip_suffix(")").unwrap_or(rest);
            let (n, _) = n.split_once(" records (")?;
            Some((name.to_string(), n.replace(',', "").parse().ok()?))
        })
        .collect()
}

#[test]
fn the_support_log_keeps_its_records_per_class() {
    let dir = TempDir::new().unwrap();
    let p = aggregate(
        &dir,
        "s.csv",
        &[SUPPORT_LOG, "--class-field", "requestMetadata.feature"],
    );
    let agg = records_by_class(&p);
    assert_eq!(agg.values().sum::<u64>(), 3000);
    let fit = ok(simroute(&[
        "fit",
        SUPPORT_LOG,
        "--class-field",
        "requestMetadata.feature",
    ]));
    let raw = fit_counts(&String::from_utf8_lossy(&fit.stdout));
    assert_eq!(raw.len(), 3, "{raw:?}");
    assert_eq!(agg, raw);
    // And fit reads the aggregate to the same counts.
    let fit = ok(simroute(&["fit", p.to_str().unwrap()]));
    assert_eq!(fit_counts(&String::from_utf8_lossy(&fit.stdout)), raw);
}

/// `{ median = M, p95 = Q }` of `key` in each [[traffic]] table, by name.
fn medians(text: &str) -> BTreeMap<(String, String), (f64, f64)> {
    let doc: toml::Table = toml::from_str(text).unwrap();
    let mut m = BTreeMap::new();
    for t in doc["traffic"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap().to_string();
        for key in ["input_tokens", "output_tokens"] {
            if let Some(v) = t[key].as_table() {
                let f = |k: &str| v[k].as_integer().unwrap() as f64;
                m.insert((name.clone(), key.to_string()), (f("median"), f("p95")));
            }
        }
    }
    m
}

#[test]
fn fit_of_the_aggregate_is_within_a_bucket_of_the_raw_log() {
    let dir = TempDir::new().unwrap();
    let p = aggregate(
        &dir,
        "s.parquet",
        &[SUPPORT_LOG, "--class-field", "requestMetadata.feature"],
    );
    let raw = ok(simroute(&[
        "fit",
        SUPPORT_LOG,
        "--class-field",
        "requestMetadata.feature",
    ]));
    let agg = ok(simroute(&["fit", p.to_str().unwrap()]));
    let agg_text = String::from_utf8_lossy(&agg.stdout).to_string();
    assert!(agg_text.contains("within a bucket (at most 12.5%) of the raw log's"));
    let (a, r) = (
        medians(&agg_text),
        medians(&String::from_utf8_lossy(&raw.stdout)),
    );
    assert!(!r.is_empty());
    assert_eq!(a.keys().collect::<Vec<_>>(), r.keys().collect::<Vec<_>>());
    for (k, (rm, rp)) in &r {
        let (am, ap) = a[k];
        assert!(
            (am - rm).abs() <= 0.125 * rm + 1.0,
            "{k:?}: median {am} vs {rm}"
        );
        assert!(
            (ap - rp).abs() <= 0.125 * rp + 1.0,
            "{k:?}: p95 {ap} vs {rp}"
        );
    }
}

fn run_json(args: &[&str]) -> serde_json::Value {
    let mut a = vec![
        "run",
        "scenarios/support-measured.toml",
        "--replay",
        "bootstrap",
        "--format",
        "json",
        "--replications",
        "30",
    ];
    a.extend(args);
    let out = ok(simroute(&a));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_run_on_the_aggregate_costs_what_it_costs_on_the_raw_log() {
    let dir = TempDir::new().unwrap();
    let p = aggregate(
        &dir,
        "s.csv.gz",
        &[SUPPORT_LOG, "--class-field", "requestMetadata.feature"],
    );
    let agg = run_json(&["--traffic-log", p.to_str().unwrap()]);
    let raw = run_json(&[]);
    // As logged: the same sums priced the same way, to the last digit.
    let (a, r) = (&agg["as_logged"], &raw["as_logged"]);
    for key in [
        "requests",
        "cost_per_request",
        "cost_per_1k",
        "cost_per_month",
        "by_model",
    ] {
        assert_eq!(a[key], r[key], "as_logged.{key}");
    }
    // Each policy's blended cost: the aggregate's cells have the raw log's means,
    // so each estimate lies within the other's 95% CI.
    let (ap, rp) = (
        agg["policies"].as_array().unwrap(),
        raw["policies"].as_array().unwrap(),
    );
    assert_eq!(ap.len(), rp.len());
    for (x, y) in ap.iter().zip(rp) {
        assert_eq!(x["name"], y["name"]);
        for key in ["cost_per_request", "cost_per_1k", "cost_per_month"] {
            let (xe, ye) = (&x[key], &y[key]);
            let f = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap();
            assert!(
                f(xe, "mean") >= f(ye, "ci_low") && f(xe, "mean") <= f(ye, "ci_high"),
                "{} {key}: aggregate {xe} outside the raw log's CI {ye}",
                x["name"]
            );
            assert!(
                f(ye, "mean") >= f(xe, "ci_low") && f(ye, "mean") <= f(xe, "ci_high"),
                "{} {key}: raw log {ye} outside the aggregate's CI {xe}",
                x["name"]
            );
        }
    }
    // Exact replay needs the raw log.
    let out = simroute(&[
        "run",
        "scenarios/support-measured.toml",
        "--traffic-log",
        p.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(p.to_str().unwrap())
            && err.contains("needs the raw log")
            && err.contains("bootstrap"),
        "{err}"
    );
}

#[test]
fn generate_log_draws_from_an_aggregate() {
    let dir = TempDir::new().unwrap();
    let p = aggregate(
        &dir,
        "s.parquet",
        &[SUPPORT_LOG, "--class-field", "requestMetadata.feature"],
    );
    let text = std::fs::read_to_string(Path::new(ROOT).join("scenarios/support-measured.toml"))
        .unwrap()
        .replace("\"../pricing/", &format!("\"{ROOT}/pricing/"))
        .replace("\"evals/", &format!("\"{ROOT}/scenarios/evals/"))
        .replace(
            "\"logs/support-invocations.jsonl.gz\"",
            &format!("\"{}\"", p.display()),
        )
        .replace("replay = \"exact\"", "replay = \"bootstrap\"");
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("g.csv");
    ok(simroute(&[
        "generate-log",
        scenario.to_str().unwrap(),
        "--records",
        "2000",
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 2001);
    // Every drawn input count is a cell's mean: in the aggregate's buckets.
    ok(simroute(&["validate", scenario.to_str().unwrap()]));
}

// ---- bad input ----

/// Writes `text` as an aggregate CSV and reads it with `fit`: exit 2, one
/// message naming the file and `want`.
fn refused(name: &str, text: &str, want: &[&str]) {
    let dir = TempDir::new().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    refused_file(&p, want);
}

fn refused_file(p: &Path, want: &[&str]) {
    let out = simroute(&["fit", p.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(p.to_str().unwrap()), "{err}");
    for w in want {
        assert!(err.contains(w), "{w:?} not in {err}");
    }
}

const GOOD: &str =
    "c,m,3,1792,208,0,0,2,3600,430,0,0,2026-01-01T03:00:00Z,2026-01-01T03:59:59.999Z";

fn with_row(row: &str) -> String {
    format!("{HEADER}\n{GOOD}\n{row}\n")
}

#[test]
fn missing_and_unknown_columns_are_named() {
    refused(
        "a.csv",
        &format!("{}\n1\n", HEADER.replace(",output_bucket", "")),
        &[":1:", "missing column output_bucket"],
    );
    refused(
        "a.csv",
        &format!("{HEADER},region\n"),
        &[":1:", "unknown column \"region\""],
    );
    refused(
        "a.csv",
        &format!("{},recrods\n", HEADER.replace(",records", ""))
            .replace("input_bucket", "input_bucket,records"),
        &["unknown column \"recrods\""],
    );
    refused("a.csv", &format!("{HEADER}\n"), &["header but no rows"]);
}

#[test]
fn bad_values_name_line_and_column() {
    let cases: &[(&str, &[&str])] = &[
        (
            "c,m,3,17,3,0,0,1,17,3,0,0,2026-01-01T03:00:00Z,2026-01-01T03:00:00Z",
            &[
                ":3:",
                "column input_bucket",
                "17 is not a bucket",
                "16 and 18",
            ],
        ),
        (
            "c,m,3,16,3,0,0,1,18,3,0,0,2026-01-01T03:00:00Z,2026-01-01T03:00:00Z",
            &[
                ":3:",
                "column input_tokens",
                "not in its bucket",
                "16 up to (not including) 18",
            ],
        ),
        (
            "c,m,3,12,3,0,0,2,25,6,0,0,2026-01-01T03:00:00Z,2026-01-01T03:00:00Z",
            &[":3:", "column input_tokens", "holds exactly 12"],
        ),
        (
            "c,m,3,12,3,0,0,0,0,0,0,0,2026-01-01T03:00:00Z,2026-01-01T03:00:00Z",
            &[":3:", "column records", "at least 1 record"],
        ),
        (
            "c,m,24,12,3,0,0,1,12,3,0,0,2026-01-01T03:00:00Z,2026-01-01T03:00:00Z",
            &[":3:", "column hour", "24 is not an hour of the day"],
        ),
        (
            "c,m,,12,3,0,0,1,12,3,0,0,2026-01-01T03:00:00Z,2026-01-01T03:00:00Z",
            &[":3:", "column first_timestamp", "hour is empty"],
        ),
        (
            "c,m,3,12,3,0,0,1,12,3,0,0,2026-01-01T03:30:00Z,2026-01-01T03:00:00Z",
            &[":3:", "column first_timestamp", "is after last_timestamp"],
        ),
        (
            "c,m,3,12,3,0,0,1,12,3,0,0,2026-01-01T04:00:00Z,2026-01-01T04:00:00Z",
            &[":3:", "column first_timestamp", "not in the row's hour (3)"],
        ),
        (
            "c,m,3,12,three,0,0,1,12,3,0,0,2026-01-01T03:00:00Z,2026-01-01T03:00:00Z",
            &[
                ":3:",
                "column output_bucket",
                "\"three\" is not a whole number",
            ],
        ),
        (
            "c,m,3,12,3,0,0,1,12,-3,0,0,2026-01-01T03:00:00Z,2026-01-01T03:00:00Z",
            &[":3:", "column output_tokens", "negative"],
        ),
        (
            "c,m,3,12,3,0,0,1,12,3,0,0,yesterday,2026-01-01T03:00:00Z",
            &[
                ":3:",
                "column first_timestamp",
                "not an ISO-8601 UTC timestamp",
            ],
        ),
        (
            "c,m,3,10485760,3,0,0,1,10485760,3,0,0,2026-01-01T03:00:00Z,2026-01-01T03:00:00Z",
            &[":3:", "column input_bucket", "above 10,000,000 tokens"],
        ),
        (
            "c,m,3,9437184,3,0,0,1,10000001,3,0,0,2026-01-01T03:00:00Z,2026-01-01T03:00:00Z",
            &[":3:", "column input_tokens", "above 10,000,000 tokens"],
        ),
        (
            "c,m,3,12,3,0,0,1,,3,0,0,2026-01-01T03:00:00Z,2026-01-01T03:00:00Z",
            &[":3:", "column input_tokens", "is empty"],
        ),
    ];
    for (row, want) in cases {
        eprintln!("{row}");
        refused("a.csv", &with_row(row), want);
    }
    // gzip: the same checks, the same line.
    let dir = TempDir::new().unwrap();
    let p = dir.path().join("a.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&p).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut gz, with_row(cases[0].0).as_bytes()).unwrap();
    gz.finish().unwrap();
    refused_file(&p, cases[0].1);
}

#[test]
fn bad_parquet_files_are_refused() {
    let dir = TempDir::new().unwrap();
    // Garbage after the magic.
    let p = dir.path().join("g.parquet");
    std::fs::write(&p, b"PAR1 this is not parquet at all PAR1").unwrap();
    refused_file(&p, &["Parquet"]);
    // A real file, truncated.
    let good = aggregate(
        &dir,
        "s.parquet",
        &[SUPPORT_LOG, "--class-field", "requestMetadata.feature"],
    );
    let bytes = std::fs::read(&good).unwrap();
    let t = dir.path().join("t.parquet");
    std::fs::write(&t, &bytes[..bytes.len() / 2]).unwrap();
    refused_file(&t, &["Parquet"]);
    // Only the magic.
    std::fs::write(&t, b"PAR1").unwrap();
    refused_file(&t, &["Parquet"]);
    // An empty file.
    let e = dir.path().join("empty.csv");
    std::fs::write(&e, b"").unwrap();
    refused_file(&e, &["empty"]);
}

#[test]
fn a_bad_row_of_a_parquet_file_is_named_by_its_row() {
    // A CSV with a bad row cannot be aggregated into Parquet (aggregate checks
    // it); a cell outside the scenario's classes is named by its row instead.
    let dir = TempDir::new().unwrap();
    let p = aggregate(
        &dir,
        "s.parquet",
        &[SUPPORT_LOG, "--class-field", "requestMetadata.feature"],
    );
    let text = std::fs::read_to_string(Path::new(ROOT).join("scenarios/support-measured.toml"))
        .unwrap()
        .replace("\"../pricing/", &format!("\"{ROOT}/pricing/"))
        .replace("\"evals/", &format!("\"{ROOT}/scenarios/evals/"))
        .replace(
            "\"logs/support-invocations.jsonl.gz\"",
            &format!("\"{}\"", p.display()),
        )
        .replace("replay = \"exact\"", "replay = \"bootstrap\"");
    // Without the class "chat": the file's chat cells are not the scenario's.
    let start = text.find("[[traffic]]\nname = \"chat\"").unwrap();
    let end = start + 1 + text[start + 1..].find("[[traffic]]").unwrap();
    // (and the cascades' thresholds, which only chat escalated on).
    let text = format!("{}{}", &text[..start], &text[end..])
        .replace("threshold = 0.3\n", "")
        .replace("threshold = 0.5\n", "");
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = simroute(&["validate", scenario.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(p.to_str().unwrap())
            && err.contains(": row 1: class not in the scenario: class \"chat\""),
        "{err}"
    );
    // Skipped, the cells' records are counted: chat's records are the ones
    // neither classify nor summarize has.
    let out = ok(simroute(&[
        "run",
        scenario.to_str().unwrap(),
        "--skip-bad-lines",
        "--format",
        "json",
        "--requests",
        "100",
        "--replications",
        "2",
    ]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let log = &v["inputs"]["logs"][0];
    assert_eq!(log["records_read"], 3000, "{log}");
    let used = log["records_used"].as_u64().unwrap();
    let skipped = log["records_skipped"].as_u64().unwrap();
    assert_eq!(used + skipped, 3000);
    assert!(skipped > 0 && used > 0, "{log}");
}

#[test]
fn the_output_is_checked_before_reading() {
    let dir = TempDir::new().unwrap();
    let out = simroute(&[
        "aggregate",
        SUPPORT_LOG,
        "--out",
        dir.path().join("a.txt").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".csv, .csv.gz or .parquet"));
    // An existing file only with --force; never an input.
    let p = aggregate(&dir, "a.csv", &["tests/fixtures/logs/bedrock.jsonl"]);
    let again = simroute(&[
        "aggregate",
        "tests/fixtures/logs/bedrock.jsonl",
        "--out",
        p.to_str().unwrap(),
    ]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    ok(simroute(&[
        "aggregate",
        "tests/fixtures/logs/bedrock.jsonl",
        "--out",
        p.to_str().unwrap(),
        "--force",
    ]));
    let input = simroute(&[
        "aggregate",
        p.to_str().unwrap(),
        "--out",
        p.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(
        input.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&input.stderr)
    );
}

#[test]
fn the_file_does_not_depend_on_threads_or_on_how_the_log_is_split() {
    // The support log aggregated on 1 and 2 threads, and split into three gzip
    // files given as a folder: the same bytes.
    let dir = TempDir::new().unwrap();
    let field = ["--class-field", "requestMetadata.feature"];
    let one = aggregate(
        &dir,
        "one.csv",
        &[SUPPORT_LOG, field[0], field[1], "--threads", "1"],
    );
    let two = aggregate(
        &dir,
        "two.csv",
        &[SUPPORT_LOG, field[0], field[1], "--threads", "2"],
    );
    let text = {
        use std::io::Read;
        let mut s = String::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(Path::new(ROOT).join(SUPPORT_LOG)).unwrap(),
        )
        .read_to_string(&mut s)
        .unwrap();
        s
    };
    let lines: Vec<&str> = text.lines().collect();
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    for (i, chunk) in lines.chunks(1000).enumerate() {
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(parts.join(format!("part-{i}.json.gz"))).unwrap(),
            flate2::Compression::fast(),
        );
        std::io::Write::write_all(&mut gz, (chunk.join("\n") + "\n").as_bytes()).unwrap();
        gz.finish().unwrap();
    }
    let split = aggregate(
        &dir,
        "split.csv",
        &[parts.to_str().unwrap(), field[0], field[1]],
    );
    let a = std::fs::read(one).unwrap();
    assert_eq!(a, std::fs::read(two).unwrap());
    assert_eq!(a, std::fs::read(split).unwrap());
}

#[test]
fn a_record_without_the_class_field_is_kept_with_no_class() {
    // simroute aggregate keeps every record (as the Athena query does); the
    // empty class is refused, or not, where the file is used.
    let dir = TempDir::new().unwrap();
    let log = dir.path().join("log.jsonl");
    std::fs::write(
        &log,
        concat!(
            r#"{"schemaType":"ModelInvocationLog","timestamp":"2026-01-01T10:00:00Z","modelId":"m","input":{"inputTokenCount":100},"output":{"outputTokenCount":20},"requestMetadata":{"feature":"chat"}}"#,
            "\n",
            r#"{"schemaType":"ModelInvocationLog","timestamp":"2026-01-01T11:00:00Z","modelId":"m","input":{"inputTokenCount":100},"output":{"outputTokenCount":20}}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = aggregate(
        &dir,
        "a.csv",
        &[
            log.to_str().unwrap(),
            "--class-field",
            "requestMetadata.feature",
        ],
    );
    let text = std::fs::read_to_string(out).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(
        rows,
        [
            ",m,11,96,20,0,0,1,100,20,0,0,2026-01-01T11:00:00Z,2026-01-01T11:00:00Z",
            "chat,m,10,96,20,0,0,1,100,20,0,0,2026-01-01T10:00:00Z,2026-01-01T10:00:00Z",
        ]
    );
}

#[test]
fn records_that_add_up_past_2_to_the_64_are_refused() {
    // 2^63 records in a cell is one file's business; two such cells, or the
    // same file merged twice, add up past 2^64: refused, no panic.
    let half = "0,0,0,0,9223372036854775808,0,0,0,0,,";
    let one = format!("{HEADER}\nchat,m,,{half}\n");
    refused(
        "two.csv",
        &format!("{one}other,m,,{half}\n"),
        &[":3: ", "more than 2^64"],
    );
    let dir = TempDir::new().unwrap();
    let p = dir.path().join("one.csv");
    std::fs::write(&p, one).unwrap();
    let out_file = dir.path().join("out.csv");
    let (p, o) = (p.to_str().unwrap(), out_file.to_str().unwrap());
    let out = simroute(&["aggregate", p, p, "--out", o]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(p) && err.contains("overflows"), "{err}");
    assert!(!out_file.exists());
}
