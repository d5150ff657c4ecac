//! The JSON file of `promptfoo eval -o results.json`.
//!
//! Most teams that run evals run them with promptfoo; reading its output directly
//! spares them an export step. The schema is promptfoo's `OutputFile` and
//! `EvaluateResult` (promptfoo/promptfoo, `src/types/index.ts`; written by
//! `writeJsonOutputSafely` in `src/util/output.ts`, the results by
//! `EvalResult.toEvaluateResult` in `src/models/evalResult.ts`):
//!
//! ```text
//! { "evalId", "results": { "version": 3, "timestamp", "prompts", "results": [EvaluateResult], "stats" },
//!   "config", "shareableUrl", "metadata" }
//! EvaluateResult: { "provider": {"id", "label"}, "promptIdx", "testIdx", "testCase": {"vars", "metadata", ...},
//!   "prompt": {"raw", "label"}, "promptId", "success", "score", "namedScores", "failureReason",
//!   "gradingResult": {"pass", "score", "reason", "componentResults", ...} | null,
//!   "response": {"output", "tokenUsage": {"total", "prompt", "completion", "cached"}, "cached", ...},
//!   "latencyMs", "error", "cost", ... }
//! ```
//!
//! Only the fields below are read; everything else is ignored. One row per result:
//!
//! | Row field | From |
//! |---|---|
//! | `example_id` | `testIdx`, as text |
//! | `model` | `provider.label`, else `provider.id` |
//! | `pass` | `gradingResult.pass`, else `success`; always false for an error (below) |
//! | `score` | `gradingResult.score`, else `score`; `None` outside [0, 1] (promptfoo's scores are not bounded: a `javascript` assertion may return any number, and `pass` already says how it graded) |
//! | `confidence` | `namedScores.confidence` (else `gradingResult.namedScores.confidence`): an assertion tagged `metric: confidence` whose score is the model's confidence; must be in [0, 1] |
//! | `class` | `testCase.metadata.class`, else `testCase.vars.class` |
//! | `input_tokens`, `output_tokens` | `response.tokenUsage.prompt`, `.completion` |
//! | `latency_ms` | `latencyMs` |
//!
//! Choices:
//!
//! - **Errors.** promptfoo marks a result whose provider call failed (or whose
//!   grading threw, or that timed out) with `failureReason` 2 (`ResultFailureReason.ERROR`),
//!   `success: false` and no `gradingResult`; it counts them apart from failures
//!   (`stats.errors`). simroute counts such a result as a **failed** answer: in
//!   production a throttled or failed call does not answer either. Its latency and
//!   tokens are those of a call that did not answer, so they are read as not
//!   measured. (`error` alone is no sign of this: promptfoo also puts a failed
//!   assertion's reason there, with `failureReason` 1.)
//! - **Cached responses.** A response served from promptfoo's own cache
//!   (`response.cached: true`) has the latency of a cache lookup, so its latency is
//!   read as not measured; its token usage then has no `prompt`/`completion`, so
//!   its tokens are not measured either. A token usage of 0 in and 0 out (what
//!   providers that report nothing leave) is also read as not measured.
//! - **One prompt per file.** `promptIdx` numbers the (provider, prompt) columns of
//!   promptfoo's table, so it differs between models even with a single prompt; the
//!   prompts are told apart by `prompt.label` (else `promptId`). A file with results
//!   of more than one prompt is an error listing them: each prompt is a different
//!   product, and mixing them would average unlike things.
//! - **Versions.** Files whose `results` is the summary (version 2 or 3), or older
//!   ones whose top level is the summary itself, are read alike; a file whose
//!   results have no `testIdx` (early promptfoo versions) is an error naming its
//!   version. `--repeat N` gives each repetition its own `testIdx`, so repetitions
//!   read as separate examples.
//!
//! Errors name the key path, e.g. `results.results[12].gradingResult.score`; a file
//! that is not JSON is reported at serde_json's line and column.

use std::path::Path;

use serde_json::{Map, Value};

use super::{Bad, EvalRow, MALFORMED, MISSING, OUT_OF_RANGE, RowError, Rows};
use crate::input::InputError;

/// promptfoo's `ResultFailureReason.ERROR`.
const FAILURE_REASON_ERROR: u64 = 2;

/// Reads the promptfoo results in `bytes` (the content of `path`) into `rows`.
pub(crate) fn read(path: &Path, bytes: &[u8], rows: &mut Rows<'_>) -> Result<(), InputError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| json_error(path, bytes, &e))?;
    let (results, base, version) = locate_results(path, &doc)?;

    if !results.is_empty() && !results.iter().any(|r| r.get("testIdx").is_some()) {
        let version = version.map_or_else(
            || "an early version".to_string(),
            |v| format!("version {v}"),
        );
        return Err(InputError {
            file: path.to_path_buf(),
            position: None,
            key: format!("{base}[0].testIdx"),
            message: format!(
                "these promptfoo results ({version}) have no `testIdx`, which simroute needs \
                 to tell the examples apart; run the eval again with a current promptfoo \
                 (`promptfoo eval -o results.json`)"
            ),
        });
    }
    check_one_prompt(path, results)?;

    for (i, result) in results.iter().enumerate() {
        let key = format!("{base}[{i}]");
        rows.push(None, parse_result(result, &key).map_err(RowError::from))?;
    }
    Ok(())
}

/// A serde_json syntax error, at its line and column.
fn json_error(path: &Path, bytes: &[u8], e: &serde_json::Error) -> InputError {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    InputError {
        file: path.to_path_buf(),
        position: (e.line() > 0).then(|| (e.line(), char_column(bytes, e.line(), e.column()))),
        key: String::new(),
        message: format!("not valid JSON: {message}"),
    }
}

/// serde_json's column counts bytes; an editor (and every other error of
/// simroute) counts characters. The 1-based character column of byte column
/// `column` of line `line`: the characters that start at or before it.
fn char_column(bytes: &[u8], line: usize, column: usize) -> usize {
    let Some(text) = bytes.split(|b| *b == b'\n').nth(line.saturating_sub(1)) else {
        return column;
    };
    let end = column.min(text.len());
    let starts = text[..end].iter().filter(|b| (**b & 0xC0) != 0x80).count();
    starts + (column - end)
}

/// The array of results, its key path, and the summary's `version`.
fn locate_results<'v>(
    path: &Path,
    doc: &'v Value,
) -> Result<(&'v [Value], &'static str, Option<String>), InputError> {
    let not_promptfoo = |what: &str| {
        InputError::file(
            path,
            format!(
                "{what}: this is not a promptfoo results file (the JSON that \
                 `promptfoo eval -o results.json` writes)"
            ),
        )
    };
    let top = match doc {
        Value::Object(top) => top,
        Value::Array(_) => {
            return Err(InputError::file(
                path,
                "the top level is an array: this is the output of an early promptfoo \
                 version, whose results have no `testIdx`; run the eval again with a \
                 current promptfoo (`promptfoo eval -o results.json`)",
            ));
        }
        _ => return Err(not_promptfoo("the top level is not an object")),
    };
    let (summary, base) = match top.get("results") {
        Some(Value::Object(summary)) => (summary, "results.results"),
        // Versions before `evalId` wrote the summary itself at the top level.
        Some(Value::Array(_)) => (top, "results"),
        Some(_) => return Err(not_promptfoo("`results` is neither an object nor an array")),
        None => return Err(not_promptfoo("there is no `results` key")),
    };
    let version = summary.get("version").map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    match summary.get("results") {
        Some(Value::Array(results)) => Ok((results, base, version)),
        Some(_) => Err(InputError {
            file: path.to_path_buf(),
            position: None,
            key: base.to_string(),
            message: "not an array of results".to_string(),
        }),
        None => Err(not_promptfoo("there is no `results.results` key")),
    }
}

/// The prompt a result belongs to: its label, else its prompt id.
fn prompt_of(result: &Value) -> Option<&str> {
    let label = result
        .get("prompt")
        .and_then(|p| p.get("label"))
        .and_then(Value::as_str);
    let id = result.get("promptId").and_then(Value::as_str);
    label.or(id).filter(|s| !s.is_empty())
}

/// Rejects a file with the results of several prompts, listing them.
fn check_one_prompt(path: &Path, results: &[Value]) -> Result<(), InputError> {
    let mut prompts: Vec<&str> = Vec::new();
    for p in results.iter().filter_map(prompt_of) {
        if !prompts.contains(&p) {
            prompts.push(p);
        }
    }
    if prompts.len() <= 1 {
        return Ok(());
    }
    let list = prompts
        .iter()
        .map(|p| format!("`{}`", shorten(p)))
        .collect::<Vec<_>>()
        .join(", ");
    Err(InputError::file(
        path,
        format!(
            "this file holds the results of {} prompts ({list}); simroute reads one \
             prompt's results per file: write one file per prompt (e.g. `promptfoo eval \
             --filter-prompts PATTERN -o results.json`)",
            prompts.len()
        ),
    ))
}

/// A prompt label cut to one short line for a message.
fn shorten(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= 60 {
        one_line
    } else {
        format!("{}…", one_line.chars().take(59).collect::<String>())
    }
}

/// The JSON type of a value, for messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `obj[name]`, with null read as absent.
fn get<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    obj.get(name).filter(|v| !v.is_null())
}

/// `obj[name]` as an object, if present; another type is malformed.
fn object<'v>(
    obj: &'v Map<String, Value>,
    name: &str,
    key: &str,
) -> Result<Option<&'v Map<String, Value>>, Bad> {
    match get(obj, name) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(v) => Err(Bad::new(
            MALFORMED,
            format!("{key}.{name}"),
            format!("expected an object, found {}", type_name(v)),
        )),
    }
}

fn boolean(obj: &Map<String, Value>, name: &str, key: &str) -> Result<Option<bool>, Bad> {
    match get(obj, name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(Bad::new(
            MALFORMED,
            format!("{key}.{name}"),
            format!("expected true or false, found {}", type_name(v)),
        )),
    }
}

fn number(obj: &Map<String, Value>, name: &str, key: &str) -> Result<Option<f64>, Bad> {
    match get(obj, name) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(v) => Err(Bad::new(
            MALFORMED,
            format!("{key}.{name}"),
            format!("expected a number, found {}", type_name(v)),
        )),
    }
}

/// A whole number ≥ 0 (written as an integer or as a float with no fraction).
fn count(obj: &Map<String, Value>, name: &str, key: &str) -> Result<Option<u64>, Bad> {
    let Some(x) = number(obj, name, key)? else {
        return Ok(None);
    };
    if x < 0.0 {
        return Err(Bad::new(
            OUT_OF_RANGE,
            format!("{key}.{name}"),
            format!("{x} is negative"),
        ));
    }
    if x.fract() != 0.0 || x > u64::MAX as f64 {
        return Err(Bad::new(
            MALFORMED,
            format!("{key}.{name}"),
            format!("{x} is not a whole number"),
        ));
    }
    Ok(Some(x as u64))
}

/// A class: text, or a number or boolean written as text; empty = none.
fn class(obj: Option<&Map<String, Value>>, key: &str) -> Result<Option<String>, Bad> {
    let Some(obj) = obj else { return Ok(None) };
    match get(obj, "class") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(Some(v.to_string())),
        Some(v) => Err(Bad::new(
            MALFORMED,
            format!("{key}.class"),
            format!("expected text, found {}", type_name(v)),
        )),
    }
}

/// One `EvaluateResult` as a row; `key` is its path, e.g. `results.results[3]`.
fn parse_result(result: &Value, key: &str) -> Result<EvalRow, Bad> {
    let Value::Object(r) = result else {
        return Err(Bad::new(
            MALFORMED,
            key,
            format!("a result must be an object, not {}", type_name(result)),
        ));
    };

    let test_idx = count(r, "testIdx", key)?.ok_or_else(|| {
        Bad::new(
            MISSING,
            format!("{key}.testIdx"),
            "missing: every result needs its test's index",
        )
    })?;

    let model = match get(r, "provider") {
        Some(Value::Object(p)) => {
            let text = |name| {
                get(p, name)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            text("label").or(text("id")).map(str::to_string)
        }
        Some(Value::String(id)) => Some(id.trim().to_string()).filter(|s| !s.is_empty()),
        Some(v) => {
            return Err(Bad::new(
                MALFORMED,
                format!("{key}.provider"),
                format!("expected an object, found {}", type_name(v)),
            ));
        }
        None => None,
    }
    .ok_or_else(|| {
        Bad::new(
            MISSING,
            format!("{key}.provider.id"),
            "missing: every result needs its provider's label or id",
        )
    })?;

    let grading = object(r, "gradingResult", key)?;
    let grading_key = format!("{key}.gradingResult");
    let failure_reason = number(r, "failureReason", key)?;
    let is_error = failure_reason == Some(FAILURE_REASON_ERROR as f64);

    let graded_pass = match grading {
        Some(g) => boolean(g, "pass", &grading_key)?,
        None => None,
    };
    let pass = match graded_pass.or(boolean(r, "success", key)?) {
        Some(p) => p && !is_error,
        None if is_error => false,
        None => {
            return Err(Bad::new(
                MISSING,
                format!("{key}.success"),
                "missing, and there is no gradingResult.pass either",
            ));
        }
    };

    let graded_score = match grading {
        Some(g) => number(g, "score", &grading_key)?,
        None => None,
    };
    let score = match graded_score {
        Some(s) => Some(s),
        None => number(r, "score", key)?,
    }
    .filter(|s| (0.0..=1.0).contains(s));

    let confidence = {
        let named = object(r, "namedScores", key)?;
        let (value, at) = match named.and_then(|n| get(n, "confidence")) {
            Some(_) => (named, format!("{key}.namedScores")),
            None => (
                match grading {
                    Some(g) => object(g, "namedScores", &grading_key)?,
                    None => None,
                },
                format!("{grading_key}.namedScores"),
            ),
        };
        match value {
            Some(n) => match number(n, "confidence", &at)? {
                Some(c) if !(0.0..=1.0).contains(&c) => {
                    return Err(Bad::new(
                        OUT_OF_RANGE,
                        format!("{at}.confidence"),
                        format!(
                            "{c} is not in [0, 1]{}",
                            crate::spec::percent_hint(c, 0.0, 1.0)
                        ),
                    ));
                }
                c => c,
            },
            None => None,
        }
    };

    let test_case = object(r, "testCase", key)?;
    let test_key = format!("{key}.testCase");
    let class = match test_case {
        Some(t) => match class(
            object(t, "metadata", &test_key)?,
            &format!("{test_key}.metadata"),
        )? {
            Some(c) => Some(c),
            None => class(object(t, "vars", &test_key)?, &format!("{test_key}.vars"))?,
        },
        None => None,
    };

    let response = object(r, "response", key)?;
    let response_key = format!("{key}.response");
    let cached = match response {
        Some(resp) => boolean(resp, "cached", &response_key)?.unwrap_or(false),
        None => false,
    };
    let (mut input_tokens, mut output_tokens) = (None, None);
    if let Some(usage) = match response {
        Some(resp) => object(resp, "tokenUsage", &response_key)?,
        None => None,
    } {
        let usage_key = format!("{response_key}.tokenUsage");
        input_tokens = count(usage, "prompt", &usage_key)?;
        output_tokens = count(usage, "completion", &usage_key)?;
        if input_tokens.unwrap_or(0) == 0 && output_tokens.unwrap_or(0) == 0 {
            (input_tokens, output_tokens) = (None, None);
        }
    }
    let mut latency_ms = number(r, "latencyMs", key)?;
    if let Some(l) = latency_ms
        && l < 0.0
    {
        return Err(Bad::new(
            OUT_OF_RANGE,
            format!("{key}.latencyMs"),
            format!("{l} is negative"),
        ));
    }
    if is_error {
        (input_tokens, output_tokens, latency_ms) = (None, None, None);
    }
    if cached {
        latency_ms = None;
    }

    Ok(EvalRow {
        line: None,
        key: key.to_string(),
        example_id: test_idx.to_string(),
        class,
        model,
        pass,
        score,
        confidence,
        input_tokens,
        output_tokens,
        latency_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<EvalRow, Bad> {
        parse_result(&v, "results.results[0]")
    }

    #[test]
    fn an_error_result_is_a_failed_row_without_measurements() {
        let row = parse(json!({
            "testIdx": 4, "promptIdx": 1,
            "provider": {"id": "bedrock:x"},
            "success": false, "score": 0, "failureReason": 2,
            "error": "API error: ThrottlingException",
            "latencyMs": 30000,
            "response": {"error": "x", "tokenUsage": {"prompt": 900, "completion": 0}},
            "namedScores": {}
        }))
        .unwrap();
        assert!(!row.pass);
        assert_eq!(row.example_id, "4");
        assert_eq!(row.model, "bedrock:x");
        assert_eq!((row.input_tokens, row.latency_ms), (None, None));
    }

    #[test]
    fn an_assertion_failure_keeps_its_measurements() {
        let row = parse(json!({
            "testIdx": 0, "provider": {"id": "a", "label": "A"},
            "success": false, "score": 0.25, "failureReason": 1,
            "error": "Expected output to contain \"refund\"",
            "gradingResult": {"pass": false, "score": 0.25, "reason": "..."},
            "latencyMs": 812,
            "response": {"output": "...", "tokenUsage": {"total": 12, "prompt": 10, "completion": 2}}
        }))
        .unwrap();
        assert!(!row.pass);
        assert_eq!(row.model, "A");
        assert_eq!(row.score, Some(0.25));
        assert_eq!((row.input_tokens, row.output_tokens), (Some(10), Some(2)));
        assert_eq!(row.latency_ms, Some(812.0));
    }

    #[test]
    fn cached_responses_have_no_latency_or_tokens() {
        let row = parse(json!({
            "testIdx": 0, "provider": {"id": "a"}, "success": true, "score": 1,
            "latencyMs": 2, "response": {"cached": true, "tokenUsage": {"cached": 50, "total": 50}}
        }))
        .unwrap();
        assert!(row.pass);
        assert_eq!(
            (row.input_tokens, row.output_tokens, row.latency_ms),
            (None, None, None)
        );
    }

    #[test]
    fn scores_outside_0_1_are_dropped_but_confidence_is_checked() {
        let row = parse(json!({
            "testIdx": 0, "provider": {"id": "a"}, "success": true, "score": 7
        }))
        .unwrap();
        assert_eq!(row.score, None);
        let bad = parse(json!({
            "testIdx": 0, "provider": {"id": "a"}, "success": true, "score": 1,
            "gradingResult": {"pass": true, "score": 1, "namedScores": {"confidence": 1.3}}
        }))
        .unwrap_err();
        assert_eq!(bad.kind, OUT_OF_RANGE);
        assert_eq!(
            bad.key,
            "results.results[0].gradingResult.namedScores.confidence"
        );
    }

    #[test]
    fn wrong_types_name_their_key() {
        let bad = parse(json!({
            "testIdx": 0, "provider": {"id": "a"}, "success": true,
            "gradingResult": {"pass": true, "score": "high"}
        }))
        .unwrap_err();
        assert_eq!(
            (bad.kind, bad.key.as_str()),
            (MALFORMED, "results.results[0].gradingResult.score")
        );
        let bad = parse(json!({"provider": {"id": "a"}, "success": true})).unwrap_err();
        assert_eq!(
            (bad.kind, bad.key.as_str()),
            (MISSING, "results.results[0].testIdx")
        );
        let bad = parse(json!(17)).unwrap_err();
        assert_eq!(bad.kind, MALFORMED);
    }

    #[test]
    fn long_prompt_labels_are_shortened() {
        let s = shorten(&"word ".repeat(40));
        assert_eq!(s.chars().count(), 60);
        assert!(s.ends_with('…'));
    }
}
