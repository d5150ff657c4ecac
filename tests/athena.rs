//! The Athena query `sql/athena/aggregate.sql` against `simroute aggregate`:
//! both must write the same aggregated traffic file (aggregate-spec, issue 13
//! section 2) from the same Bedrock invocation log.
//!
//! Athena cannot run here, so `tests/athena/run_duckdb.py` transpiles the query
//! from Athena (Trino) SQL to DuckDB's with sqlglot and runs it with DuckDB over
//! a view mirroring `sql/athena/bedrock_invocation_logs.sql`. The two results
//! are compared cell for cell: the same cells, the same records and token sums
//! in each, first and last timestamps equal as instants.
//!
//! Python: the test makes its own venv, `<target>/tmp/athena-venv`, with the
//! pinned sqlglot and duckdb below (pip from PyPI, once; reused while the
//! versions match), from `python3` on the PATH (or the interpreter named by
//! `PYTHON3`). `SIMROUTE_PYTHON=/path/to/python` uses that interpreter instead
//! of a venv (it must have the pinned versions). Without python3 the test
//! fails, saying so: it never skips.
//!
//! Until `simroute aggregate` exists, the two comparisons fail at that command.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use assert_cmd::cargo::cargo_bin_cmd;

/// The pinned versions: wheels for CPython 3.11 on Linux x86_64.
const SQLGLOT: &str = "30.30.0";
const DUCKDB: &str = "2.0.1";

const SAMPLE: &str = "scenarios/logs/support-invocations.jsonl.gz";
const CLASS_FIELD: &str = "requestMetadata.feature";

/// The contract's columns, as simroute writes them.
use simroute::logs::aggregate::COLUMNS;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------
// The Python environment

/// The interpreter that runs `run_duckdb.py`, set up once per test binary.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| match std::env::var_os("SIMROUTE_PYTHON") {
        Some(p) => {
            let p = PathBuf::from(p);
            if let Err(e) = check_versions(&p) {
                panic!("SIMROUTE_PYTHON={}: {e}", p.display());
            }
            p
        }
        None => venv(),
    })
}

fn venv_python(dir: &Path) -> PathBuf {
    if cfg!(windows) {
        dir.join("Scripts").join("python.exe")
    } else {
        dir.join("bin").join("python")
    }
}

/// `<target>/tmp/athena-venv`, made if missing or if its versions differ. It is
/// built beside and renamed into place, so that two test processes at once
/// (nextest) never see a half-made one.
fn venv() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("athena-venv");
    let python = venv_python(&dir);
    if python.exists() && check_versions(&python).is_ok() {
        return python;
    }
    let base = std::env::var_os("PYTHON3").unwrap_or_else(|| "python3".into());
    match Command::new(&base).arg("--version").output() {
        Ok(o) if o.status.success() => {}
        other => panic!(
            "tests/athena.rs needs python3 (CPython 3 with venv and pip, and access to PyPI) to \
             install sqlglot=={SQLGLOT} and duckdb=={DUCKDB} into {}; `{}` could not be run \
             ({other:?}). Install python3, or set SIMROUTE_PYTHON to a python that has those \
             versions.",
            dir.display(),
            base.to_string_lossy(),
        ),
    }
    let building = dir.with_file_name(format!("athena-venv.building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    run_setup(
        Command::new(&base).arg("-m").arg("venv").arg(&building),
        "python3 -m venv",
    );
    run_setup(
        Command::new(venv_python(&building))
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--quiet",
                "--only-binary=:all:",
            ])
            .arg(format!("sqlglot=={SQLGLOT}"))
            .arg(format!("duckdb=={DUCKDB}"))
            .env("PIP_NO_INPUT", "1"),
        "pip install",
    );
    if let Err(e) = check_versions(&venv_python(&building)) {
        panic!("the new venv {}: {e}", building.display());
    }
    // Replace a stale venv; if another process put a good one in place
    // meanwhile, use that and drop ours.
    if python.exists() && check_versions(&python).is_ok() {
        let _ = std::fs::remove_dir_all(&building);
        return python;
    }
    let _ = std::fs::remove_dir_all(&dir);
    if std::fs::rename(&building, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&building);
    }
    if let Err(e) = check_versions(&python) {
        panic!("{}: {e}", dir.display());
    }
    python
}

fn run_setup(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: could not run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}): {cmd:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Ok when `python` has exactly the pinned sqlglot and duckdb.
fn check_versions(python: &Path) -> Result<(), String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('sqlglot'), m.version('duckdb'))",
        ])
        .output()
        .map_err(|e| format!("could not be run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "has no sqlglot or duckdb: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let got = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let want = format!("{SQLGLOT} {DUCKDB}");
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "has sqlglot and duckdb {got}; this test pins sqlglot=={SQLGLOT} duckdb=={DUCKDB}"
        ))
    }
}

// ---------------------------------------------------------------------------
// The two aggregates

/// The query's result on `log`, by DuckDB: a CSV file in `dir`.
fn duckdb_aggregate(log: &Path, dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(format!("{name}.duckdb.csv"));
    let script = repo().join("tests/athena/run_duckdb.py");
    let res = Command::new(python())
        .arg(&script)
        .arg(log)
        .arg(&out)
        .output()
        .expect("run tests/athena/run_duckdb.py");
    assert!(
        res.status.success(),
        "tests/athena/run_duckdb.py {} failed ({}):\n{}{}",
        log.display(),
        res.status,
        String::from_utf8_lossy(&res.stdout),
        String::from_utf8_lossy(&res.stderr)
    );
    out
}

/// `simroute aggregate LOG --class-field requestMetadata.feature --out X.csv`.
fn simroute_aggregate(log: &Path, dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(format!("{name}.simroute.csv"));
    cargo_bin_cmd!("simroute")
        .current_dir(repo())
        .arg("aggregate")
        .arg(log)
        .args(["--class-field", CLASS_FIELD, "--out"])
        .arg(&out)
        .assert()
        .success();
    out
}

/// A cell: class, model, hour, the four buckets (empty class/model as "",
/// empty hour as None).
type Key = (String, String, Option<u8>, [u64; 4]);

/// What a cell holds: records, the four sums, first and last timestamps (ms
/// since the epoch).
#[derive(Debug, Clone, PartialEq)]
struct Cell {
    records: u64,
    sums: [u64; 4],
    first: Option<i64>,
    last: Option<i64>,
}

/// An aggregated CSV file, by cell. Panics (naming the file and line) on a
/// column set other than the contract's, a value that does not parse, or a cell
/// written twice.
fn read_aggregate(path: &Path) -> BTreeMap<Key, Cell> {
    let what = path.display();
    let mut rdr = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{what}: {e}"));
    let header: Vec<String> = rdr
        .headers()
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .iter()
        .map(str::to_string)
        .collect();
    let mut sorted = header.clone();
    sorted.sort();
    let mut want: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    want.sort();
    assert_eq!(sorted, want, "{what}: the columns are {header:?}");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut cells = BTreeMap::new();
    for (i, row) in rdr.records().enumerate() {
        let line = i + 2;
        let row = row.unwrap_or_else(|e| panic!("{what}: {e}"));
        let text = |name: &str| row.get(col(name)).unwrap().to_string();
        let int = |name: &str| -> u64 {
            let s = text(name);
            s.parse()
                .unwrap_or_else(|_| panic!("{what} line {line}: {name} is {s:?}, not a count"))
        };
        let time = |name: &str| -> Option<i64> {
            let s = text(name);
            (!s.is_empty()).then(|| {
                simroute::logs::time::parse_ms(&s).unwrap_or_else(|| {
                    panic!("{what} line {line}: {name} is {s:?}, not an ISO-8601 UTC time")
                })
            })
        };
        let hour = text("hour");
        let hour = (!hour.is_empty()).then(|| {
            hour.parse::<u8>()
                .unwrap_or_else(|_| panic!("{what} line {line}: hour is {hour:?}"))
        });
        let key = (
            text("class"),
            text("model"),
            hour,
            [
                int("input_bucket"),
                int("output_bucket"),
                int("cache_read_bucket"),
                int("cache_write_bucket"),
            ],
        );
        let cell = Cell {
            records: int("records"),
            sums: [
                int("input_tokens"),
                int("output_tokens"),
                int("cache_read_tokens"),
                int("cache_write_tokens"),
            ],
            first: time("first_timestamp"),
            last: time("last_timestamp"),
        };
        if let Some(old) = cells.insert(key.clone(), cell) {
            panic!("{what} line {line}: the cell {key:?} again (first {old:?})");
        }
    }
    cells
}

/// Asserts that the two files hold the same cells with the same contents, and
/// returns the cells.
fn assert_same(sql: &Path, simroute: &Path) -> BTreeMap<Key, Cell> {
    let a = read_aggregate(sql);
    let b = read_aggregate(simroute);
    let only_sql: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let only_simroute: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    let differ: Vec<_> = a
        .iter()
        .filter_map(|(k, v)| b.get(k).filter(|w| *w != v).map(|w| (k, v, w)))
        .collect();
    assert!(
        only_sql.is_empty() && only_simroute.is_empty() && differ.is_empty(),
        "the query's aggregate ({}, {} cells) and simroute's ({}, {} cells) differ:\n\
         cells only in the query's ({}): {:?}\n\
         cells only in simroute's ({}): {:?}\n\
         cells that differ (key, query, simroute) ({}): {:?}",
        sql.display(),
        a.len(),
        simroute.display(),
        b.len(),
        only_sql.len(),
        only_sql.iter().take(10).collect::<Vec<_>>(),
        only_simroute.len(),
        only_simroute.iter().take(10).collect::<Vec<_>>(),
        differ.len(),
        differ.iter().take(10).collect::<Vec<_>>(),
    );
    a
}

// ---------------------------------------------------------------------------
// Hand-built records

const MODEL: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

/// One Bedrock record. `None` leaves a field out; `meta` None leaves out
/// requestMetadata, Some(None) writes it without the class key.
fn record(
    ts: Option<&str>,
    meta: Option<Option<&str>>,
    model: Option<&str>,
    counts: [Option<i64>; 4],
) -> String {
    let mut r = serde_json::json!({ "schemaType": "ModelInvocationLog" });
    if let Some(ts) = ts {
        r["timestamp"] = ts.into();
    }
    if let Some(m) = model {
        r["modelId"] = m.into();
    }
    let mut input = serde_json::json!({
        "inputContentType": "application/json",
        "inputBodyJson": { "messages": [{ "role": "user", "content": [{ "text": "x" }] }] },
    });
    let mut output = serde_json::json!({
        "outputContentType": "application/json",
        "outputBodyJson": { "stopReason": "end_turn" },
    });
    let [i, o, cr, cw] = counts;
    if let Some(i) = i {
        input["inputTokenCount"] = i.into();
    }
    if let Some(cr) = cr {
        input["cacheReadInputTokenCount"] = cr.into();
    }
    if let Some(cw) = cw {
        input["cacheWriteInputTokenCount"] = cw.into();
    }
    if let Some(o) = o {
        output["outputTokenCount"] = o.into();
    }
    r["input"] = input;
    r["output"] = output;
    if let Some(class) = meta {
        r["requestMetadata"] = match class {
            Some(c) => serde_json::json!({ "feature": c, "tenant": "t1" }),
            None => serde_json::json!({ "tenant": "t1" }),
        };
    }
    r.to_string()
}

fn all(n: i64) -> [Option<i64>; 4] {
    [Some(n); 4]
}

/// Records at the bucket edges and the other corners of the contract, all of
/// them records simroute's reader takes.
fn edge_records() -> Vec<String> {
    let mut lines = Vec::new();
    let mut t = 0;
    let mut ts = || {
        t += 1;
        format!(
            "2026-03-01T{:02}:{:02}:{:02}Z",
            t / 3600 % 24,
            t / 60 % 60,
            t % 60
        )
    };
    // The exact range, its edge, and every power of two below 10,000,000 with
    // its neighbours (where floor(log2(n)) changes), and 10,000,000 itself.
    let mut counts = vec![
        0, 1, 15, 16, 17, 18, 30, 31, 32, 33, 35, 36, 1_000_000, 10_000_000,
    ];
    for e in 5..24 {
        let p = 1i64 << e;
        counts.extend([p - 1, p, p + 1, p + (p >> 3) - 1, p + (p >> 3)]);
    }
    for &n in &counts {
        lines.push(record(Some(&ts()), Some(Some("edge")), Some(MODEL), all(n)));
        // The same count in each field alone.
        lines.push(record(
            Some(&ts()),
            Some(Some("one")),
            Some(MODEL),
            [Some(n), Some(1), None, None],
        ));
        lines.push(record(
            Some(&ts()),
            Some(Some("one")),
            Some(MODEL),
            [Some(1), Some(n), Some(n), Some(0)],
        ));
    }
    // Two records in one cell: sums, first and last.
    lines.push(record(
        Some("2026-03-02T10:00:01Z"),
        Some(Some("pair")),
        Some(MODEL),
        [Some(17), Some(17), None, None],
    ));
    lines.push(record(
        Some("2026-03-02T10:59:59.5Z"),
        Some(Some("pair")),
        Some(MODEL),
        [Some(16), Some(16), Some(0), Some(0)],
    ));
    // The last millisecond of a day, and the first of the next.
    lines.push(record(
        Some("2026-03-02T23:59:59.999Z"),
        Some(Some("late")),
        Some(MODEL),
        [Some(100), Some(200), Some(300), Some(400)],
    ));
    lines.push(record(
        Some("2026-03-03T00:00:00.000Z"),
        Some(Some("late")),
        Some(MODEL),
        [Some(100), Some(200), Some(300), Some(400)],
    ));
    // No class: no requestMetadata, or one without the class key.
    lines.push(record(
        Some("2026-03-02T12:00:00Z"),
        None,
        Some(MODEL),
        [Some(40), Some(50), None, None],
    ));
    lines.push(record(
        Some("2026-03-02T12:30:00Z"),
        Some(None),
        Some(MODEL),
        [Some(41), Some(51), None, None],
    ));
    // No timestamp, and one that is not ISO-8601: empty hour.
    lines.push(record(
        None,
        Some(Some("notime")),
        Some(MODEL),
        [Some(5), Some(6), None, None],
    ));
    lines.push(record(
        Some("yesterday"),
        Some(Some("notime")),
        Some(MODEL),
        [Some(5), Some(6), None, None],
    ));
    // No modelId.
    lines.push(record(
        Some("2026-03-02T05:00:00Z"),
        Some(Some("nomodel")),
        None,
        [Some(7), Some(8), None, None],
    ));
    lines
}

/// Records simroute refuses (as bad records) and the query drops.
fn bad_records() -> Vec<String> {
    let ts = Some("2026-03-04T01:00:00Z");
    let c = Some(Some("bad"));
    let m = Some(MODEL);
    let mut lines = vec![
        record(ts, c, m, [Some(10_000_001), Some(1), None, None]),
        record(ts, c, m, [Some(1), Some(10_000_001), None, None]),
        record(ts, c, m, [Some(1), Some(1), Some(10_000_001), None]),
        record(ts, c, m, [Some(1), Some(1), None, Some(10_000_001)]),
        record(ts, c, m, [Some(-1), Some(1), None, None]),
        record(ts, c, m, [Some(1), Some(1), Some(-1), None]),
        record(ts, c, m, [None, Some(1), None, None]),
        record(ts, c, m, [Some(1), None, None, None]),
        record(ts, c, m, [None, None, None, None]),
        r#"{"schemaType":"ModelInvocationLog", "timestamp": not json"#.to_string(),
    ];
    let mut other = serde_json::from_str::<serde_json::Value>(&record(
        ts,
        c,
        m,
        [Some(1), Some(1), None, None],
    ))
    .unwrap();
    other["schemaType"] = "SomethingElse".into();
    lines.push(other.to_string());
    lines
}

fn write_log(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn sample_log_query_matches_simroute_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let log = repo().join(SAMPLE);
    let sql = duckdb_aggregate(&log, dir.path(), "sample");
    let simroute = simroute_aggregate(&log, dir.path(), "sample");
    let cells = assert_same(&sql, &simroute);
    // All 3,000 records, in more than one class, model and hour.
    assert_eq!(cells.values().map(|c| c.records).sum::<u64>(), 3000);
    let distinct = |f: fn(&Key) -> String| {
        cells
            .keys()
            .map(f)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    assert!(distinct(|k| k.0.clone()) > 1);
    assert!(distinct(|k| format!("{:?}", k.2)) > 1);
}

#[test]
fn edge_records_query_matches_simroute_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let lines = edge_records();
    let log = write_log(dir.path(), "edges.jsonl", &lines);
    let sql = duckdb_aggregate(&log, dir.path(), "edges");
    let simroute = simroute_aggregate(&log, dir.path(), "edges");
    let cells = assert_same(&sql, &simroute);
    assert_eq!(
        cells.values().map(|c| c.records).sum::<u64>(),
        lines.len() as u64
    );
    // The corners are there: an empty class, an empty hour (no times), hour 23.
    assert!(cells.keys().any(|k| k.0.is_empty()));
    assert!(
        cells
            .iter()
            .any(|(k, c)| k.2.is_none() && c.first.is_none() && c.last.is_none())
    );
    assert!(cells.keys().any(|k| k.2 == Some(23)));
}

#[test]
fn query_drops_the_records_simroute_refuses() {
    // simroute stops at (or with --skip-bad-lines skips) these records; the
    // query must leave them out of every cell, as if they were not in the log.
    let dir = tempfile::tempdir().unwrap();
    let good = edge_records();
    let mut mixed = good.clone();
    for (i, bad) in bad_records().into_iter().enumerate() {
        mixed.insert(i * 7 % mixed.len(), bad);
    }
    let clean = duckdb_aggregate(
        &write_log(dir.path(), "good.jsonl", &good),
        dir.path(),
        "good",
    );
    let with_bad = duckdb_aggregate(
        &write_log(dir.path(), "mixed.jsonl", &mixed),
        dir.path(),
        "mixed",
    );
    assert_eq!(read_aggregate(&with_bad), read_aggregate(&clean));
}
