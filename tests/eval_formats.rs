//! Eval results, read through the library: simroute's CSV and promptfoo's JSON read
//! field by field from the fixtures in `tests/fixtures/eval/`, format detection,
//! every kind of bad row (stopping with its line or key and a mention of
//! `--skip-bad-lines`, or counted when skipping), and the grouping by example.

use std::path::{Path, PathBuf};

use simroute::eval::{
    DUPLICATE, EvalFile, EvalFormat, EvalOptions, EvalRow, MALFORMED, MISSING, OUT_OF_RANGE, group,
    read_eval,
};
use simroute::input::InputError;
use tempfile::TempDir;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/eval")
        .join(name)
}

fn opts(pass_mark: Option<f64>) -> EvalOptions {
    EvalOptions {
        format: None,
        pass_mark,
        skip_bad_lines: false,
    }
}

fn skipping() -> EvalOptions {
    EvalOptions {
        format: None,
        pass_mark: Some(0.5),
        skip_bad_lines: true,
    }
}

/// Writes `content` to `name` in a fresh folder; returns the folder (keep it alive).
fn write(name: &str, content: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    (dir, path)
}

fn read_text(name: &str, content: &str, o: &EvalOptions) -> Result<EvalFile, InputError> {
    let (_dir, path) = write(name, content);
    read_eval(&path, o)
}

fn row<'a>(f: &'a EvalFile, example: &str, model: &str) -> &'a EvalRow {
    f.rows
        .iter()
        .find(|r| r.example_id == example && r.model == model)
        .unwrap_or_else(|| panic!("no row for {example} × {model}"))
}

// ---------------------------------------------------------------- CSV

#[test]
fn csv_is_read_field_by_field() {
    let f = read_eval(&fixture("basic.csv"), &opts(Some(0.7))).unwrap();
    assert_eq!(f.format, EvalFormat::Csv);
    assert_eq!(f.path, fixture("basic.csv"));
    assert_eq!((f.rows.len(), f.read), (7, 7));
    assert!(f.skipped.is_empty());

    let r = &f.rows[0];
    assert_eq!(
        r,
        &EvalRow {
            line: Some(2),
            key: String::new(),
            example_id: "q1".into(),
            class: Some("billing".into()),
            model: "haiku".into(),
            pass: true,
            score: None,
            confidence: Some(0.91),
            input_tokens: Some(812),
            output_tokens: Some(143),
            latency_ms: Some(1240.0),
        }
    );
    // Both pass and score: pass wins, score is kept.
    let r = row(&f, "q1", "sonnet");
    assert!(r.pass);
    assert_eq!(r.score, Some(0.95));
    assert_eq!(r.latency_ms, Some(2810.5));
    // A quoted field with a comma; pass 0 with a score above nothing.
    let r = row(&f, "q2", "haiku");
    assert_eq!(r.class.as_deref(), Some("billing, refunds"));
    assert!(!r.pass);
    assert_eq!(r.score, Some(0.4));
    // Score only: pass = score ≥ pass mark; an empty confidence is None.
    let r = row(&f, "q2", "sonnet");
    assert_eq!(r.line, Some(5));
    assert!(r.pass);
    assert_eq!(r.score, Some(0.72));
    assert_eq!(r.confidence, None);
    // Spaces are trimmed; true/FALSE are read; empty fields are not measured.
    let r = row(&f, "q3", "haiku");
    assert!(r.pass);
    assert_eq!(r.class, None);
    assert_eq!(
        (r.confidence, r.input_tokens, r.output_tokens, r.latency_ms),
        (None, None, None, None)
    );
    assert!(!row(&f, "q3", "sonnet").pass);
    assert_eq!(row(&f, "q3", "nova").line, Some(8));

    // With a higher pass mark the score-only row fails.
    let f = read_eval(&fixture("basic.csv"), &opts(Some(0.8))).unwrap();
    assert!(!row(&f, "q2", "sonnet").pass);
}

#[test]
fn csv_columns_may_come_in_any_order_and_optional_ones_may_be_left_out() {
    let f = read_text(
        "e.csv",
        "model,pass,example_id\nhaiku,1,a\nsonnet,0,a\n",
        &opts(None),
    )
    .unwrap();
    assert_eq!(f.rows.len(), 2);
    assert_eq!(row(&f, "a", "sonnet").line, Some(3));
    assert!(!row(&f, "a", "sonnet").pass);
    assert_eq!(row(&f, "a", "haiku").class, None);
}

#[test]
fn a_score_without_pass_needs_a_pass_mark_even_when_skipping() {
    for o in [
        opts(None),
        EvalOptions {
            skip_bad_lines: true,
            ..opts(None)
        },
    ] {
        let e = read_eval(&fixture("basic.csv"), &o).unwrap_err();
        assert_eq!(e.position, Some((5, 0)), "{e}");
        assert_eq!(e.key, "score");
        assert!(e.message.contains("`[eval] pass_mark`"), "{e}");
    }
    // A row with pass and score needs no pass mark.
    let f = read_text(
        "e.csv",
        "example_id,model,pass,score\na,m,1,0.2\n",
        &opts(None),
    )
    .unwrap();
    assert!(f.rows[0].pass);
}

#[test]
fn csv_header_mistakes_stop_the_read() {
    let e = read_text(
        "e.csv",
        "example_id,model,pass,confidance\na,m,1,0.5\n",
        &skipping(),
    )
    .unwrap_err();
    assert_eq!(e.position, Some((1, 0)));
    assert!(
        e.message
            .contains("unknown column `confidance` (did you mean `confidence`?)"),
        "{e}"
    );
    assert!(e.message.contains("`example_id`, `class`, `model`"), "{e}");

    let e = read_text("e.csv", "example_id,pass\na,1\n", &opts(None)).unwrap_err();
    assert!(e.message.contains("missing column `model`"), "{e}");
    let e = read_text("e.csv", "example_id,model,class\na,m,x\n", &opts(None)).unwrap_err();
    assert!(e.message.contains("`pass` or `score`"), "{e}");

    let e = read_text("e.csv", "", &opts(None)).unwrap_err();
    assert!(e.message.contains("empty"), "{e}");
    let e = read_text("e.csv", "example_id,model,pass\n", &opts(None)).unwrap_err();
    assert_eq!(e.position, None);
    assert!(e.message.contains("no rows"), "{e}");
}

/// One bad CSV row: the text after the header, its expected key and kind, and a
/// piece of the expected message.
struct BadCsv {
    row: &'static str,
    key: &'static str,
    kind: &'static str,
    says: &'static str,
}

const CSV_HEADER: &str =
    "example_id,class,model,pass,score,confidence,input_tokens,output_tokens,latency_ms";

const BAD_CSV: &[BadCsv] = &[
    BadCsv {
        row: "b,x,m,1,,0.5,10,10",
        key: "",
        kind: MALFORMED,
        says: "8 fields but the header has 9",
    },
    BadCsv {
        row: ",x,m,1,,,,,",
        key: "example_id",
        kind: MISSING,
        says: "empty",
    },
    BadCsv {
        row: "b,x, ,1,,,,,",
        key: "model",
        kind: MISSING,
        says: "empty",
    },
    BadCsv {
        row: "b,x,m,,,,,,",
        key: "pass",
        kind: MISSING,
        says: "and so is score",
    },
    BadCsv {
        row: "b,x,m,yes,,,,,",
        key: "pass",
        kind: MALFORMED,
        says: "`yes` is not 0, 1, true or false",
    },
    BadCsv {
        row: "b,x,m,,high,,,,",
        key: "score",
        kind: MALFORMED,
        says: "`high` is not a number",
    },
    BadCsv {
        row: "b,x,m,,1.5,,,,",
        key: "score",
        kind: OUT_OF_RANGE,
        says: "1.5 is not in [0, 1]",
    },
    BadCsv {
        row: "b,x,m,1,,1.3,,,",
        key: "confidence",
        kind: OUT_OF_RANGE,
        says: "1.3 is not in [0, 1]",
    },
    BadCsv {
        row: "b,x,m,1,,,-3,,",
        key: "input_tokens",
        kind: OUT_OF_RANGE,
        says: "-3 is negative",
    },
    BadCsv {
        row: "b,x,m,1,,,,12.5,",
        key: "output_tokens",
        kind: MALFORMED,
        says: "`12.5` is not a whole number",
    },
    BadCsv {
        row: "b,x,m,1,,,,,-1",
        key: "latency_ms",
        kind: OUT_OF_RANGE,
        says: "-1 is negative",
    },
    BadCsv {
        row: "a,x,m,0,,,,,",
        key: "",
        kind: DUPLICATE,
        says: "example `a` with model `m` is given twice: it was already at line 2",
    },
];

#[test]
fn every_bad_csv_row_stops_at_its_line_and_mentions_skip_bad_lines() {
    for bad in BAD_CSV {
        let text = format!("{CSV_HEADER}\na,x,m,1,,,,,\n{}\nc,x,m,1,,,,,\n", bad.row);
        let e = read_text("evals.csv", &text, &opts(Some(0.5))).unwrap_err();
        assert_eq!(e.position, Some((3, 0)), "{}: {e}", bad.row);
        assert_eq!(e.key, bad.key, "{}: {e}", bad.row);
        assert!(e.message.contains(bad.says), "{}: {e}", bad.row);
        assert!(e.message.contains("--skip-bad-lines"), "{}: {e}", bad.row);
    }
}

#[test]
fn bad_rows_of_a_crlf_file_are_reported_at_their_line() {
    for bad in BAD_CSV {
        let text = format!(
            "{CSV_HEADER}\r\na,x,m,1,,,,,\r\n{}\r\nc,x,m,1,,,,,\r\n",
            bad.row
        );
        let e = read_text("evals.csv", &text, &opts(Some(0.5))).unwrap_err();
        assert_eq!(e.position, Some((3, 0)), "{}: {e}", bad.row);
        assert_eq!(e.key, bad.key, "{}: {e}", bad.row);
        assert!(e.message.contains(bad.says), "{}: {e}", bad.row);
    }
    // Skipping, the good rows keep their lines, a row spanning lines included.
    let text = format!(
        "{CSV_HEADER}\r\na,x,m,1,,,,,\r\n\"b\r\nc\",x,m,1,,,,,\r\nb,x,m,1,,1.3,,,\r\nd,x,m,1,,,,,"
    );
    let f = read_text("evals.csv", &text, &skipping()).unwrap();
    let lines: Vec<Option<u64>> = f.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [Some(2), Some(3), Some(6)]);
}

#[test]
fn bad_rows_after_blank_lines_are_reported_at_their_line() {
    // Blank lines before the header, between rows and at the end; LF and CRLF.
    let text = format!("\n\n{CSV_HEADER}\na,x,m,1,,,,,\n\n\nb,x,m,1,,,,,\n\nc,x,m,1,,1.3,,,\n\n");
    for text in [text.clone(), text.replace('\n', "\r\n")] {
        let e = read_text("evals.csv", &text, &opts(None)).unwrap_err();
        assert_eq!(e.position, Some((9, 0)), "{text:?}: {e}");
        assert_eq!(e.key, "confidence", "{e}");
        let f = read_text("evals.csv", &text, &skipping()).unwrap();
        let lines: Vec<Option<u64>> = f.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [Some(4), Some(7)], "{text:?}");
        // A header mistake after blank lines is at the header's line.
        let bad_header = text.replace("latency_ms", "latency");
        let e = read_text("evals.csv", &bad_header, &opts(None)).unwrap_err();
        assert_eq!(e.position, Some((3, 0)), "{text:?}: {e}");
    }
    // A line of spaces is a row of one (empty) field, at its own line.
    let text = format!("{CSV_HEADER}\r\na,x,m,1,,,,,\r\n\r\n   \r\nc,x,m,1,,,,,\r\n");
    let e = read_text("evals.csv", &text, &opts(None)).unwrap_err();
    assert_eq!(e.position, Some((4, 0)), "{e}");
    assert!(
        e.message
            .contains("this row has 1 field but the header has 9"),
        "{e}"
    );
}

#[test]
fn csv_messages_name_the_file_line_column_and_value() {
    let (dir, path) = write(
        "x.csv",
        &format!("{CSV_HEADER}\na,x,m,1,,,,,\nb,x,m,1,,1.3,,,\n"),
    );
    let e = read_eval(&path, &opts(None)).unwrap_err();
    let shown = e.to_string();
    let expected = format!("{}:3: confidence: 1.3 is not in [0, 1]", path.display());
    assert!(shown.starts_with(&expected), "{shown}");
    drop(dir);
}

#[test]
fn a_row_spanning_lines_is_reported_at_its_first_line() {
    let text = format!("{CSV_HEADER}\n\"a\nb\",x,m,1,,,,,\nc,x,m,1,,2,,,\n");
    let e = read_text("e.csv", &text, &opts(None)).unwrap_err();
    assert_eq!(e.position, Some((4, 0)), "{e}");
    assert_eq!(e.key, "confidence");
}

#[test]
fn skipping_counts_bad_csv_rows_by_kind() {
    let mut text = format!("{CSV_HEADER}\na,x,m,1,,,,,\n");
    for bad in BAD_CSV {
        text.push_str(bad.row);
        text.push('\n');
    }
    text.push_str("c,x,m,1,,,,,\n");
    let f = read_text("e.csv", &text, &skipping()).unwrap();
    assert_eq!(f.rows.len(), 2);
    assert_eq!(f.read, 2 + BAD_CSV.len() as u64);
    for kind in [MALFORMED, MISSING, OUT_OF_RANGE, DUPLICATE] {
        let expected = BAD_CSV.iter().filter(|b| b.kind == kind).count() as u64;
        assert_eq!(f.skipped[kind], expected, "{kind}");
    }
    assert_eq!(f.skipped[MALFORMED], 4);
    assert_eq!(f.skipped.values().sum::<u64>(), BAD_CSV.len() as u64);
    // The good rows keep their lines.
    assert_eq!(f.rows[1].line, Some(3 + BAD_CSV.len() as u64));

    // A file of bad rows only is still an error.
    let e = read_text(
        "e.csv",
        &format!("{CSV_HEADER}\nb,x,m,1,,1.3,,,\n"),
        &skipping(),
    )
    .unwrap_err();
    assert!(e.message.contains("the only row is bad"), "{e}");
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let f = read_text(
        "e.csv",
        "\u{feff}example_id,model,pass\na,m,1\n",
        &opts(None),
    )
    .unwrap();
    assert_eq!(f.rows[0].example_id, "a");
}

// ---------------------------------------------------------------- promptfoo

#[test]
fn promptfoo_results_are_read_field_by_field() {
    let f = read_eval(&fixture("promptfoo-results.json"), &opts(None)).unwrap();
    assert_eq!(f.format, EvalFormat::Promptfoo);
    assert_eq!((f.rows.len(), f.read), (6, 6));
    let nova = "bedrock:us.amazon.nova-lite-v1:0";

    // Passed, graded by two assertions, with a confidence metric.
    assert_eq!(
        f.rows[0],
        EvalRow {
            line: None,
            key: "results.results[0]".into(),
            example_id: "0".into(),
            class: Some("billing".into()),
            model: "haiku".into(),
            pass: true,
            score: Some(0.94),
            confidence: Some(0.88),
            input_tokens: Some(812),
            output_tokens: Some(143),
            latency_ms: Some(1240.0),
        }
    );
    // No label: the provider id. An assertion failure is a failed answer with its
    // measurements.
    let r = row(&f, "0", nova);
    assert_eq!(r.key, "results.results[1]");
    assert!(!r.pass);
    assert_eq!(r.score, Some(0.0));
    assert_eq!(r.confidence, None);
    assert_eq!((r.input_tokens, r.output_tokens), (Some(805), Some(74)));
    assert_eq!(r.latency_ms, Some(640.0));
    // The class from the test's vars; a cached response has no latency or tokens.
    let r = row(&f, "1", "haiku");
    assert!(r.pass);
    assert_eq!(r.class.as_deref(), Some("tech"));
    assert_eq!(r.confidence, Some(0.82));
    assert_eq!(
        (r.input_tokens, r.output_tokens, r.latency_ms),
        (None, None, None)
    );
    // A provider error (failureReason 2) is a failed answer, not measured.
    let r = row(&f, "1", nova);
    assert!(!r.pass);
    assert_eq!(r.score, Some(0.0));
    assert_eq!(
        (r.input_tokens, r.output_tokens, r.latency_ms),
        (None, None, None)
    );
    // No class anywhere.
    let r = row(&f, "2", nova);
    assert!(r.pass);
    assert_eq!(r.class, None);
    assert_eq!(r.score, Some(1.0));
    assert_eq!((r.input_tokens, r.output_tokens), (Some(628), Some(238)));
    assert_eq!(row(&f, "2", "haiku").score, Some(0.8));
}

/// A minimal promptfoo output file around `results` (a JSON array's items).
fn promptfoo(results: &str) -> String {
    format!(
        r#"{{"evalId": "e1", "results": {{"version": 3, "timestamp": "t", "prompts": [],
            "results": [{results}], "stats": {{}}}}, "config": {{}}, "shareableUrl": null}}"#
    )
}

const GOOD: &str =
    r#"{"testIdx": 0, "promptIdx": 0, "provider": {"id": "a"}, "success": true, "score": 1}"#;

/// A bad promptfoo result, its expected key (after `results.results[1]`) and kind.
const BAD_PROMPTFOO: &[(&str, &str, &str, &str)] = &[
    (
        "17",
        "",
        MALFORMED,
        "a result must be an object, not a number",
    ),
    (
        r#"{"provider": {"id": "a"}, "success": true}"#,
        ".testIdx",
        MISSING,
        "missing",
    ),
    (
        r#"{"testIdx": "one", "provider": {"id": "a"}, "success": true}"#,
        ".testIdx",
        MALFORMED,
        "expected a number, found a string",
    ),
    (
        r#"{"testIdx": 1, "provider": {"label": ""}, "success": true}"#,
        ".provider.id",
        MISSING,
        "missing",
    ),
    (
        r#"{"testIdx": 1, "provider": {"id": "a"}}"#,
        ".success",
        MISSING,
        "no gradingResult.pass",
    ),
    (
        r#"{"testIdx": 1, "provider": {"id": "a"}, "success": true, "gradingResult": {"pass": true, "score": "high"}}"#,
        ".gradingResult.score",
        MALFORMED,
        "expected a number, found a string",
    ),
    (
        r#"{"testIdx": 1, "provider": {"id": "a"}, "success": true, "namedScores": {"confidence": 1.3}}"#,
        ".namedScores.confidence",
        OUT_OF_RANGE,
        "1.3 is not in [0, 1]",
    ),
    (
        r#"{"testIdx": 1, "provider": {"id": "a"}, "success": true, "response": {"tokenUsage": {"prompt": -5, "completion": 3}}}"#,
        ".response.tokenUsage.prompt",
        OUT_OF_RANGE,
        "-5 is negative",
    ),
    (
        r#"{"testIdx": 1, "provider": {"id": "a"}, "success": true, "latencyMs": -2}"#,
        ".latencyMs",
        OUT_OF_RANGE,
        "-2 is negative",
    ),
    (
        r#"{"testIdx": 1, "provider": {"id": "a"}, "success": true, "testCase": {"metadata": {"class": ["x"]}}}"#,
        ".testCase.metadata.class",
        MALFORMED,
        "expected text, found an array",
    ),
    (
        r#"{"testIdx": 0, "provider": {"id": "a"}, "success": false}"#,
        "",
        DUPLICATE,
        "example `0` with model `a` is given twice: it was already at results.results[0]",
    ),
];

#[test]
fn every_bad_promptfoo_result_stops_at_its_key_and_mentions_skip_bad_lines() {
    for (result, key, _, says) in BAD_PROMPTFOO {
        let text = promptfoo(&format!("{GOOD}, {result}"));
        let e = read_text("results.json", &text, &opts(None)).unwrap_err();
        assert_eq!(e.position, None, "{result}: {e}");
        assert_eq!(e.key, format!("results.results[1]{key}"), "{result}: {e}");
        assert!(e.message.contains(says), "{result}: {e}");
        assert!(e.message.contains("--skip-bad-lines"), "{result}: {e}");
    }
}

#[test]
fn skipping_counts_bad_promptfoo_results_by_kind() {
    let bad: Vec<&str> = BAD_PROMPTFOO.iter().map(|b| b.0).collect();
    let text = promptfoo(&format!("{GOOD}, {}", bad.join(", ")));
    let f = read_text("results.json", &text, &skipping()).unwrap();
    assert_eq!(f.rows.len(), 1);
    assert_eq!(f.read, 1 + BAD_PROMPTFOO.len() as u64);
    for kind in [MALFORMED, MISSING, OUT_OF_RANGE, DUPLICATE] {
        let expected = BAD_PROMPTFOO.iter().filter(|b| b.2 == kind).count() as u64;
        assert_eq!(f.skipped[kind], expected, "{kind}");
    }
}

#[test]
fn invalid_json_is_reported_at_its_line_and_column() {
    let e = read_text(
        "results.json",
        "{\n  \"results\": {\n    \"results\": [,]\n  }\n}\n",
        &opts(None),
    )
    .unwrap_err();
    assert_eq!(e.position, Some((3, 17)), "{e}");
    assert!(e.message.starts_with("not valid JSON: "), "{e}");
    assert!(!e.message.contains("at line"), "{e}");
}

#[test]
fn invalid_json_columns_count_characters_not_bytes() {
    // Found by fuzzing: serde_json counts bytes, so a line with accented
    // characters before the mistake put the column past it (and past the end
    // of the line, in a short one).
    let e = read_text("results.json", "{\n  \"résumé\": [,]\n}\n", &opts(None)).unwrap_err();
    assert_eq!(e.position, Some((2, 14)), "{e}");
}

#[test]
fn several_prompts_in_one_file_are_an_error_listing_them() {
    let result = |test: u32, prompt_idx: u32, label: &str| {
        format!(
            r#"{{"testIdx": {test}, "promptIdx": {prompt_idx}, "provider": {{"id": "a"}},
                "prompt": {{"raw": "r", "label": "{label}"}}, "success": true, "score": 1}}"#
        )
    };
    let text = promptfoo(
        &[
            result(0, 0, "short prompt"),
            result(0, 1, "long prompt"),
            result(1, 0, "short prompt"),
        ]
        .join(","),
    );
    let e = read_text("results.json", &text, &skipping()).unwrap_err();
    assert!(
        e.message
            .contains("2 prompts (`short prompt`, `long prompt`)"),
        "{e}"
    );
    assert!(e.message.contains("one prompt's results per file"), "{e}");
}

#[test]
fn old_promptfoo_shapes() {
    // The summary at the top level (no evalId) is read; its keys have no prefix.
    let f = read_text(
        "results.json",
        &format!(r#"{{"version": 2, "results": [{GOOD}], "table": {{}}, "stats": {{}}}}"#),
        &opts(None),
    )
    .unwrap();
    assert_eq!(f.rows[0].key, "results[0]");
    // Results without testIdx: an error naming the version.
    let e = read_text(
        "results.json",
        r#"{"version": 1, "results": [{"provider": "a", "success": true}]}"#,
        &skipping(),
    )
    .unwrap_err();
    assert!(e.message.contains("(version 1) have no `testIdx`"), "{e}");
    // An array at the top level: the earliest output.
    let e = read_text(
        "results.json",
        r#"[{"provider": "a", "success": true}]"#,
        &opts(None),
    )
    .unwrap_err();
    assert!(e.message.contains("early promptfoo version"), "{e}");
    // Not promptfoo at all.
    let e = read_text("results.json", r#"{"rows": []}"#, &opts(None)).unwrap_err();
    assert!(e.message.contains("not a promptfoo results file"), "{e}");
    // No results.
    let e = read_text("results.json", &promptfoo(""), &opts(None)).unwrap_err();
    assert!(e.message.contains("no rows"), "{e}");
}

// ---------------------------------------------------------------- detection

#[test]
fn the_format_is_detected_from_the_content_unless_given() {
    // The extension plays no part.
    let json = std::fs::read_to_string(fixture("promptfoo-results.json")).unwrap();
    let f = read_text("results.csv", &format!("\n  {json}"), &opts(None)).unwrap();
    assert_eq!(f.format, EvalFormat::Promptfoo);
    let csv = std::fs::read_to_string(fixture("basic.csv")).unwrap();
    let f = read_text("evals.json", &csv, &opts(Some(0.5))).unwrap();
    assert_eq!(f.format, EvalFormat::Csv);

    // A format given overrides detection.
    let e = read_text(
        "results.json",
        &json,
        &EvalOptions {
            format: Some(EvalFormat::Csv),
            ..opts(None)
        },
    )
    .unwrap_err();
    assert!(e.message.contains("looks like JSON"), "{e}");
    let e = read_text(
        "evals.csv",
        &csv,
        &EvalOptions {
            format: Some(EvalFormat::Promptfoo),
            ..opts(None)
        },
    )
    .unwrap_err();
    assert_eq!(e.position, Some((1, 1)), "{e}");
    assert!(e.message.starts_with("not valid JSON"), "{e}");
}

#[test]
fn a_missing_file_is_an_error() {
    let e = read_eval(Path::new("/no/such/evals.csv"), &opts(None)).unwrap_err();
    assert!(e.message.contains("cannot read the file"), "{e}");
}

// ---------------------------------------------------------------- grouping

#[test]
fn grouping_keeps_each_examples_outcomes_together() {
    let f = read_eval(&fixture("basic.csv"), &opts(Some(0.7))).unwrap();
    let g = group(&f).unwrap();
    assert_eq!(g.models, ["haiku", "sonnet", "nova"]);
    let ids: Vec<&str> = g.examples.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["q1", "q2", "q3"]);

    let q1 = &g.examples[0];
    assert_eq!(q1.class.as_deref(), Some("billing"));
    let haiku = q1.outcomes[0].as_ref().unwrap();
    assert!(haiku.pass);
    assert_eq!(haiku.confidence, Some(0.91));
    assert_eq!(
        (haiku.input_tokens, haiku.output_tokens),
        (Some(812), Some(143))
    );
    assert_eq!(haiku.latency_ms, Some(1240.0));
    assert_eq!(q1.outcomes[1].as_ref().unwrap().latency_ms, Some(2810.5));
    assert_eq!(q1.outcomes[2], None);

    let q2 = &g.examples[1];
    assert_eq!(q2.class.as_deref(), Some("billing, refunds"));
    assert!(!q2.outcomes[0].as_ref().unwrap().pass);
    assert!(q2.outcomes[1].as_ref().unwrap().pass);

    // Rows that leave the class empty agree with the one row that gives it.
    let q3 = &g.examples[2];
    assert_eq!(q3.class.as_deref(), Some("tech"));
    assert!(q3.outcomes.iter().all(Option::is_some));

    let f = read_eval(&fixture("promptfoo-results.json"), &opts(None)).unwrap();
    let g = group(&f).unwrap();
    assert_eq!(g.models, ["haiku", "bedrock:us.amazon.nova-lite-v1:0"]);
    let classes: Vec<Option<&str>> = g.examples.iter().map(|e| e.class.as_deref()).collect();
    assert_eq!(classes, [Some("billing"), Some("tech"), None]);
}

#[test]
fn grouping_rejects_rows_of_one_example_in_different_classes() {
    let (_dir, path) = write(
        "e.csv",
        "example_id,class,model,pass\na,billing,m1,1\nb,tech,m1,1\na,tech,m2,0\n",
    );
    let f = read_eval(&path, &opts(None)).unwrap();
    let e = group(&f).unwrap_err();
    assert_eq!(e.file, path);
    assert_eq!(e.position, Some((4, 0)));
    assert!(
        e.message
            .contains("example `a` is in class `tech` here but in class `billing` at line 2"),
        "{e}"
    );
}

#[test]
fn row_errors_point_at_the_row() {
    let f = read_eval(&fixture("basic.csv"), &opts(Some(0.7))).unwrap();
    let e = row(&f, "q3", "nova").error(&f.path, "unknown model `nova`");
    assert_eq!(
        e.to_string(),
        format!("{}:8: unknown model `nova`", f.path.display())
    );
    let f = read_eval(&fixture("promptfoo-results.json"), &opts(None)).unwrap();
    let e = f.rows[3].error(&f.path, "unknown model");
    assert_eq!(e.position, None);
    assert_eq!(e.key, "results.results[3]");
}
