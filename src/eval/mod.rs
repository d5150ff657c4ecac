//! Eval results: how each candidate model did on a team's own examples.
//!
//! A scenario's `skill` and `confidence_auc` are guesses until a team has run its
//! candidate models on 20–50 real examples. This module reads the outcome of such a
//! run, one row per (example, model), so that quality and confidence come from
//! measured outcomes. Two formats are read:
//!
//! - [`EvalFormat::Csv`], simroute's own CSV (see [`csv_file`]): written by hand or
//!   by a team's script;
//! - [`EvalFormat::Promptfoo`], the JSON that `promptfoo eval -o results.json`
//!   writes (see [`promptfoo`]): most teams that run evals already have one.
//!
//! Both end as the same [`EvalRow`]s. A bad row (malformed, a value missing or out
//! of range, an (example, model) pair given twice) stops the read with an
//! [`InputError`] at the row, whose message mentions `--skip-bad-lines`; with
//! [`EvalOptions::skip_bad_lines`] bad rows are left out and counted by kind
//! ([`MALFORMED`], [`MISSING`], [`OUT_OF_RANGE`], [`DUPLICATE`]). Mistakes that no
//! skipping can cure (an unreadable file, a wrong header, a score with no pass
//! mark, several prompts in one promptfoo file) always stop the read.
//!
//! [`group`] then arranges the rows by example, each example's outcome for every
//! model kept together, which is what the simulation draws from.

pub mod csv_file;
pub mod promptfoo;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::input::InputError;

/// Kind of a bad row: a value that does not parse, a row with the wrong number of
/// fields, a JSON value of the wrong type.
pub const MALFORMED: &str = "malformed";
/// Kind of a bad row: a required value is empty or absent.
pub const MISSING: &str = "missing value";
/// Kind of a bad row: a number outside its allowed range.
pub const OUT_OF_RANGE: &str = "out of range";
/// Kind of a bad row: a second row for the same (example, model) pair.
pub const DUPLICATE: &str = "duplicate";

/// The format of an eval file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EvalFormat {
    /// simroute's eval CSV: a row per (example, model).
    Csv,
    /// The JSON file of `promptfoo eval -o results.json`.
    Promptfoo,
}

impl fmt::Display for EvalFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EvalFormat::Csv => "csv",
            EvalFormat::Promptfoo => "promptfoo",
        })
    }
}

/// One model's outcome on one example, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRow {
    /// 1-based line of the row (CSV); `None` in a promptfoo file.
    pub line: Option<u64>,
    /// Key path of the result (promptfoo), e.g. `results.results[12]`; "" in a CSV.
    pub key: String,
    /// The example's id (promptfoo: its `testIdx`).
    pub example_id: String,
    /// The example's traffic class, where the file gives one; the caller decides
    /// what an example without a class means.
    pub class: Option<String>,
    /// The model, by the name the eval gives it.
    pub model: String,
    /// Whether the answer was right.
    pub pass: bool,
    /// The grade in [0, 1], where the file gives one.
    pub score: Option<f64>,
    /// The model's own confidence in [0, 1], where it gave one.
    pub confidence: Option<f64>,
    /// Input tokens of the call, where measured.
    pub input_tokens: Option<u64>,
    /// Output tokens of the call, where measured.
    pub output_tokens: Option<u64>,
    /// End-to-end latency of the call, ms, where measured.
    pub latency_ms: Option<f64>,
}

impl EvalRow {
    /// An [`InputError`] at this row of `file`, for the caller's own checks
    /// (a model the scenario does not know, ...).
    pub fn error(&self, file: &Path, message: impl Into<String>) -> InputError {
        InputError {
            file: file.to_path_buf(),
            position: self.line.map(|l| (l as usize, 0)),
            key: self.key.clone(),
            message: message.into(),
        }
    }

    /// Where the row is, for a message about another row: "line 5" or the key path.
    fn place(&self) -> String {
        match self.line {
            Some(l) => format!("line {l}"),
            None => self.key.clone(),
        }
    }
}

/// How to read an eval file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvalOptions {
    /// The format; `None` detects it from the content (see [`detect`]).
    pub format: Option<EvalFormat>,
    /// The score at or above which an answer passes, for CSV rows that give a
    /// `score` but no `pass` (`[eval] pass_mark`). In [0, 1]; checked by the caller.
    pub pass_mark: Option<f64>,
    /// Leave bad rows out (counted in [`EvalFile::skipped`]) instead of stopping.
    pub skip_bad_lines: bool,
}

/// An eval file, read.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalFile {
    /// The file.
    pub path: PathBuf,
    /// Its format, as given or detected.
    pub format: EvalFormat,
    /// The good rows, in file order.
    pub rows: Vec<EvalRow>,
    /// Rows read: `rows.len()` plus the skipped ones.
    pub read: u64,
    /// Rows left out, by kind ([`MALFORMED`], [`MISSING`], [`OUT_OF_RANGE`],
    /// [`DUPLICATE`]); empty unless [`EvalOptions::skip_bad_lines`].
    pub skipped: BTreeMap<&'static str, u64>,
}

/// What an eval file is, for a message about a file that is not one.
const EVAL_FILES: &str = "an eval set: simroute reads an eval CSV (a row per example and model) \
     or promptfoo's JSON results, uncompressed (see scenarios/README.md §2.7)";

/// Reads the eval results at `path`.
pub fn read_eval(path: &Path, opts: &EvalOptions) -> Result<EvalFile, InputError> {
    let bytes = crate::infile::read_whole(path, crate::infile::Whole::Eval)?;
    if let Some(what) = crate::infile::binary_kind(&bytes) {
        return Err(InputError::file(
            path,
            format!("this is {what}, not {EVAL_FILES}"),
        ));
    }
    // A UTF-8 byte order mark (Excel writes one) is not part of the content.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if crate::infile::looks_like_toml(crate::infile::first_line(bytes)) {
        return Err(InputError::file(
            path,
            format!("this looks like a TOML file (a scenario or pricing table?), not {EVAL_FILES}"),
        ));
    }
    let format = opts.format.unwrap_or_else(|| detect(bytes));
    let mut rows = Rows::new(path, opts.skip_bad_lines);
    match format {
        EvalFormat::Csv => csv_file::read(path, bytes, opts, &mut rows)?,
        EvalFormat::Promptfoo => promptfoo::read(path, bytes, &mut rows)?,
    }
    rows.finish(format)
}

/// The format of an eval file's content: promptfoo's JSON if the first
/// non-whitespace byte opens a JSON object or array, else CSV (whose header starts
/// with a column name).
pub fn detect(bytes: &[u8]) -> EvalFormat {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => EvalFormat::Promptfoo,
        _ => EvalFormat::Csv,
    }
}

/// What is wrong with one row, before it is tied to a position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bad {
    /// [`MALFORMED`], [`MISSING`], [`OUT_OF_RANGE`] or [`DUPLICATE`].
    pub kind: &'static str,
    /// The column (CSV) or key path (promptfoo) at fault; "" for the whole row.
    pub key: String,
    /// What is wrong, naming the value.
    pub message: String,
}

impl Bad {
    pub fn new(kind: &'static str, key: impl Into<String>, message: impl Into<String>) -> Self {
        Bad {
            kind,
            key: key.into(),
            message: message.into(),
        }
    }
}

/// The outcome of reading one row: a row, a bad row (skippable), or a mistake no
/// skipping cures.
pub(crate) enum RowError {
    Bad(Bad),
    Fatal(InputError),
}

impl From<Bad> for RowError {
    fn from(b: Bad) -> Self {
        RowError::Bad(b)
    }
}

/// Collects rows, ties bad ones to their position, skips or stops, and rejects a
/// second row for the same (example, model) pair.
pub(crate) struct Rows<'a> {
    path: &'a Path,
    skip: bool,
    rows: Vec<EvalRow>,
    skipped: BTreeMap<&'static str, u64>,
    /// (example_id, model) → index into `rows`.
    seen: HashMap<(String, String), usize>,
}

impl<'a> Rows<'a> {
    fn new(path: &'a Path, skip: bool) -> Self {
        Rows {
            path,
            skip,
            rows: Vec::new(),
            skipped: BTreeMap::new(),
            seen: HashMap::new(),
        }
    }

    /// Takes the outcome of one row at `line` (CSV) or none (promptfoo, where a
    /// bad row's key path says where it is).
    pub fn push(
        &mut self,
        line: Option<u64>,
        outcome: Result<EvalRow, RowError>,
    ) -> Result<(), InputError> {
        let bad = match outcome {
            Ok(row) => {
                let pair = (row.example_id.clone(), row.model.clone());
                match self.seen.get(&pair) {
                    None => {
                        self.seen.insert(pair, self.rows.len());
                        self.rows.push(row);
                        return Ok(());
                    }
                    Some(&first) => Bad::new(
                        DUPLICATE,
                        row.key.clone(),
                        format!(
                            "example `{}` with model `{}` is given twice: it was already at {}",
                            row.example_id,
                            row.model,
                            self.rows[first].place()
                        ),
                    ),
                }
            }
            Err(RowError::Bad(bad)) => bad,
            Err(RowError::Fatal(e)) => return Err(e),
        };
        if self.skip {
            *self.skipped.entry(bad.kind).or_insert(0) += 1;
            return Ok(());
        }
        Err(InputError {
            file: self.path.to_path_buf(),
            position: line.map(|l| (l as usize, 0)),
            key: bad.key,
            message: format!(
                "{}; fix the row, or pass --skip-bad-lines to leave bad rows out",
                bad.message
            ),
        })
    }

    fn finish(self, format: EvalFormat) -> Result<EvalFile, InputError> {
        let skipped_total: u64 = self.skipped.values().sum();
        if self.rows.is_empty() {
            let message = if skipped_total > 0 {
                format!(
                    "no usable rows: {} bad and skipped",
                    if skipped_total == 1 {
                        "the only row is".to_string()
                    } else {
                        format!("all {skipped_total} rows are")
                    }
                )
            } else {
                "no rows: an eval needs at least one result".to_string()
            };
            return Err(InputError::file(self.path, message));
        }
        Ok(EvalFile {
            path: self.path.to_path_buf(),
            format,
            read: self.rows.len() as u64 + skipped_total,
            rows: self.rows,
            skipped: self.skipped,
        })
    }
}

/// The eval set arranged by example: each example's outcome for each model kept
/// together, so that a simulated request can draw one example and see how every
/// model did on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Examples {
    /// Model names, in first-seen order.
    pub models: Vec<String>,
    /// Examples, in first-seen order.
    pub examples: Vec<Example>,
}

/// One example and how each model did on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// The example's id.
    pub id: String,
    /// Its class: the one its rows give (rows that leave it empty agree with any).
    pub class: Option<String>,
    /// Outcome by index into [`Examples::models`]; `None` where the model has no row
    /// for this example.
    pub outcomes: Vec<Option<Outcome>>,
}

/// One model's outcome on one example.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Whether the answer was right.
    pub pass: bool,
    /// The model's confidence in [0, 1], where it gave one.
    pub confidence: Option<f64>,
    /// Input tokens, where measured.
    pub input_tokens: Option<u64>,
    /// Output tokens, where measured.
    pub output_tokens: Option<u64>,
    /// Latency, ms, where measured.
    pub latency_ms: Option<f64>,
}

/// Arranges `file`'s rows by example. Two rows of one example that give different
/// classes are an error at the later row; so is a second row for an (example,
/// model) pair (which [`read_eval`] never returns).
pub fn group(file: &EvalFile) -> Result<Examples, InputError> {
    let mut models: Vec<String> = Vec::new();
    let mut model_index: HashMap<&str, usize> = HashMap::new();
    for row in &file.rows {
        if !model_index.contains_key(row.model.as_str()) {
            model_index.insert(&row.model, models.len());
            models.push(row.model.clone());
        }
    }
    let mut examples: Vec<Example> = Vec::new();
    // Example id → (index into `examples`, the row that set its class).
    let mut example_index: HashMap<&str, (usize, Option<&EvalRow>)> = HashMap::new();
    for row in &file.rows {
        let m = model_index[row.model.as_str()];
        let (e, class_row) = example_index
            .entry(row.example_id.as_str())
            .or_insert_with(|| {
                examples.push(Example {
                    id: row.example_id.clone(),
                    class: None,
                    outcomes: vec![None; models.len()],
                });
                (examples.len() - 1, None)
            });
        let example = &mut examples[*e];
        if let Some(class) = &row.class {
            match (&example.class, *class_row) {
                (Some(have), Some(first)) if have != class => {
                    return Err(row.error(
                        &file.path,
                        format!(
                            "class: example `{}` is in class `{class}` here but in class `{have}` at {}",
                            row.example_id,
                            first.place()
                        ),
                    ));
                }
                (None, _) => {
                    example.class = Some(class.clone());
                    *class_row = Some(row);
                }
                _ => {}
            }
        }
        if example.outcomes[m].is_some() {
            return Err(row.error(
                &file.path,
                format!(
                    "example `{}` with model `{}` is given twice",
                    row.example_id, row.model
                ),
            ));
        }
        example.outcomes[m] = Some(Outcome {
            pass: row.pass,
            confidence: row.confidence,
            input_tokens: row.input_tokens,
            output_tokens: row.output_tokens,
            latency_ms: row.latency_ms,
        });
    }
    Ok(Examples { models, examples })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, example: &str, class: Option<&str>, model: &str, pass: bool) -> EvalRow {
        EvalRow {
            line: Some(line),
            key: String::new(),
            example_id: example.into(),
            class: class.map(Into::into),
            model: model.into(),
            pass,
            score: None,
            confidence: None,
            input_tokens: None,
            output_tokens: None,
            latency_ms: None,
        }
    }

    fn file(rows: Vec<EvalRow>) -> EvalFile {
        EvalFile {
            path: PathBuf::from("evals/x.csv"),
            format: EvalFormat::Csv,
            read: rows.len() as u64,
            rows,
            skipped: BTreeMap::new(),
        }
    }

    #[test]
    fn detects_json_by_its_first_byte() {
        assert_eq!(detect(b"  \n{\"evalId\": 1}"), EvalFormat::Promptfoo);
        assert_eq!(detect(b"[]"), EvalFormat::Promptfoo);
        assert_eq!(detect(b"example_id,model,pass\n"), EvalFormat::Csv);
        assert_eq!(detect(b""), EvalFormat::Csv);
    }

    #[test]
    fn formats_display_and_deserialize_in_lowercase() {
        assert_eq!(EvalFormat::Promptfoo.to_string(), "promptfoo");
        #[derive(serde::Deserialize)]
        struct T {
            f: EvalFormat,
        }
        let t: T = toml::from_str("f = \"csv\"").unwrap();
        assert_eq!(t.f, EvalFormat::Csv);
        assert!(toml::from_str::<T>("f = \"CSV\"").is_err());
    }

    #[test]
    fn grouping_keeps_first_seen_order_and_fills_gaps_with_none() {
        let f = file(vec![
            row(2, "b", None, "m1", true),
            row(3, "a", Some("x"), "m2", false),
            row(4, "b", Some("y"), "m2", true),
            row(5, "a", None, "m1", true),
        ]);
        let g = group(&f).unwrap();
        assert_eq!(g.models, ["m1", "m2"]);
        let ids: Vec<_> = g.examples.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        // An empty class agrees with the class the other rows give.
        assert_eq!(g.examples[0].class.as_deref(), Some("y"));
        assert_eq!(g.examples[1].class.as_deref(), Some("x"));
        assert!(g.examples[0].outcomes.iter().all(Option::is_some));
        let g = group(&file(vec![
            row(2, "a", None, "m1", true),
            row(3, "b", None, "m2", true),
        ]))
        .unwrap();
        assert_eq!(g.examples[0].outcomes[1], None);
        assert_eq!(g.examples[1].outcomes[0], None);
    }

    #[test]
    fn grouping_rejects_a_class_conflict_at_the_later_row() {
        let f = file(vec![
            row(2, "a", Some("x"), "m1", true),
            row(3, "a", None, "m2", true),
            row(4, "a", Some("z"), "m3", true),
        ]);
        let e = group(&f).unwrap_err();
        assert_eq!(e.position, Some((4, 0)));
        assert!(
            e.message.contains("`z`") && e.message.contains("line 2"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_pairs_stop_or_are_counted() {
        let path = Path::new("x.csv");
        let mut rows = Rows::new(path, false);
        rows.push(Some(2), Ok(row(2, "a", None, "m", true)))
            .unwrap();
        let e = rows
            .push(Some(3), Ok(row(3, "a", None, "m", false)))
            .unwrap_err();
        assert_eq!(e.position, Some((3, 0)));
        assert!(e.message.contains("line 2"), "{e}");
        assert!(e.message.contains("--skip-bad-lines"), "{e}");

        let mut rows = Rows::new(path, true);
        rows.push(Some(2), Ok(row(2, "a", None, "m", true)))
            .unwrap();
        rows.push(Some(3), Ok(row(3, "a", None, "m", false)))
            .unwrap();
        let f = rows.finish(EvalFormat::Csv).unwrap();
        assert_eq!((f.rows.len(), f.read), (1, 2));
        assert_eq!(f.skipped[DUPLICATE], 1);
    }
}
