//! simroute's eval CSV: a row per (example, model).
//!
//! ```text
//! example_id,class,model,pass,score,confidence,input_tokens,output_tokens,latency_ms
//! q1,billing,haiku,1,,0.82,812,143,1240
//! q1,billing,sonnet,,0.9,,805,201,2810
//! ```
//!
//! The format is the smallest a team can write from any eval harness, by hand or
//! with a few lines of script, and read back in a spreadsheet: one row per model's
//! answer to one example, so that adding a model adds rows and never columns.
//!
//! Columns may come in any order; `example_id`, `model` and one of `pass` or
//! `score` are required, the others optional, and an unknown column is an error
//! (a misspelled `confidance` must not read as "no confidence"). Fields are trimmed;
//! an empty field is "not given". Per row:
//!
//! | Column | Value |
//! |---|---|
//! | `example_id`, `model` | non-empty text |
//! | `class` | text; empty = the example has no class |
//! | `pass` | `0`/`1` or `true`/`false`; empty = decided by `score` |
//! | `score` | in [0, 1]; where `pass` is empty, pass = score ≥ the pass mark (`[eval] pass_mark`); where both are given, `pass` wins |
//! | `confidence` | in [0, 1], the model's own confidence |
//! | `input_tokens`, `output_tokens` | whole numbers ≥ 0 |
//! | `latency_ms` | ≥ 0 |
//!
//! Parsed with the `csv` crate, one reused [`ByteRecord`] for all rows; a row's
//! line is the 1-based line where its record starts, counted by [`Lines`] from
//! csv's byte position (csv's own line numbers miscount CRLF files and blank
//! lines).

use std::path::Path;

use csv::{ByteRecord, ReaderBuilder, Trim};

use super::{Bad, EvalOptions, EvalRow, MALFORMED, MISSING, OUT_OF_RANGE, RowError, Rows};
use crate::input::{InputError, did_you_mean};

/// The columns, in the order the documentation lists them.
pub const COLUMNS: [&str; 9] = [
    "example_id",
    "class",
    "model",
    "pass",
    "score",
    "confidence",
    "input_tokens",
    "output_tokens",
    "latency_ms",
];

/// Where each column is in a row (index into the record), `None` if absent.
#[derive(Debug, Default)]
struct Layout {
    at: [Option<usize>; 9],
}

const EXAMPLE_ID: usize = 0;
const CLASS: usize = 1;
const MODEL: usize = 2;
const PASS: usize = 3;
const SCORE: usize = 4;
const CONFIDENCE: usize = 5;
const INPUT_TOKENS: usize = 6;
const OUTPUT_TOKENS: usize = 7;
const LATENCY_MS: usize = 8;

/// Reads the CSV in `bytes` (the content of `path`) into `rows`.
pub(crate) fn read(
    path: &Path,
    bytes: &[u8],
    opts: &EvalOptions,
    rows: &mut Rows<'_>,
) -> Result<(), InputError> {
    let mut rdr = ReaderBuilder::new()
        .has_headers(true)
        .trim(Trim::All)
        .flexible(false)
        .from_reader(bytes);
    let mut lines = Lines::new(bytes);
    let header = rdr
        .byte_headers()
        .map_err(|e| csv_error(path, &e, &mut lines))?
        .clone();
    let header_line = header.position().map_or(1, |p| lines.line_of(p.byte()));
    if header.is_empty() || header.iter().all(<[u8]>::is_empty) {
        return Err(InputError::file(
            path,
            format!(
                "the file is empty; an eval CSV starts with a header such as `{}`",
                COLUMNS.join(",")
            ),
        ));
    }
    let looks_like_json = matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | Some(b'[')
    );
    let layout = layout(&header).map_err(|message| {
        let hint = if looks_like_json {
            " (this file looks like JSON: for promptfoo results set the eval format to `promptfoo`)"
        } else {
            ""
        };
        InputError::line(path, header_line, format!("{message}{hint}"))
    })?;

    let mut record = ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| lines.line_of(p.byte()));
                let outcome = parse_row(path, &layout, &record, line, opts);
                rows.push(Some(line), outcome)?;
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    pos,
                    expected_len,
                    len,
                } => {
                    let line = pos.as_ref().map_or(0, |p| lines.line_of(p.byte()));
                    let bad = Bad::new(
                        MALFORMED,
                        "",
                        format!(
                            "this row has {len} field{} but the header has {expected_len}",
                            if *len == 1 { "" } else { "s" }
                        ),
                    );
                    rows.push(Some(line), Err(bad.into()))?;
                }
                _ => return Err(csv_error(path, &e, &mut lines)),
            },
        }
    }
    Ok(())
}

/// A csv error that stops the read (I/O, or a header that does not parse).
fn csv_error(path: &Path, e: &csv::Error, lines: &mut Lines) -> InputError {
    match e.position() {
        Some(p) => InputError::line(
            path,
            lines.line_of(p.byte()),
            format!("cannot read the CSV: {e}"),
        ),
        None => InputError::file(path, format!("cannot read the CSV: {e}")),
    }
}

/// The 1-based lines of records, from the byte positions the csv crate gives.
///
/// The csv crate's own line numbers count a CRLF as two lines and skip blank
/// lines, and its byte position of a record is not where the record starts but
/// somewhere in the run of line terminators before it (0 for the first record,
/// even after blank lines). So: skip the terminators from that position on; the
/// record starts there, after as many lines as there are `\n` before it.
/// Positions come in increasing order: each call counts only the bytes since
/// the last.
struct Lines<'b> {
    bytes: &'b [u8],
    /// Bytes counted so far.
    at: usize,
    /// `\n`s in `bytes[..at]`.
    newlines: u64,
}

impl<'b> Lines<'b> {
    fn new(bytes: &'b [u8]) -> Self {
        Lines {
            bytes,
            at: 0,
            newlines: 0,
        }
    }

    /// The line of the record whose csv position is `byte`.
    fn line_of(&mut self, byte: u64) -> u64 {
        let b = self.bytes;
        let mut start = usize::try_from(byte).map_or(b.len(), |x| x.min(b.len()));
        while start < b.len() && (b[start] == b'\n' || b[start] == b'\r') {
            start += 1;
        }
        if start < self.at {
            // Not expected (positions increase); count again from the start.
            self.at = 0;
            self.newlines = 0;
        }
        self.newlines += memchr::memchr_iter(b'\n', &b[self.at..start]).count() as u64;
        self.at = start;
        self.newlines + 1
    }
}

/// Maps the header's columns, or says what is wrong with it.
fn layout(header: &ByteRecord) -> Result<Layout, String> {
    let mut layout = Layout::default();
    for (i, raw) in header.iter().enumerate() {
        let name = std::str::from_utf8(raw)
            .map_err(|_| format!("column {} of the header is not valid UTF-8", i + 1))?;
        let Some(c) = COLUMNS.iter().position(|&k| k == name) else {
            let known = COLUMNS
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(if name.is_empty() {
                format!(
                    "column {} of the header has no name (a trailing comma?); the columns are {known}",
                    i + 1
                )
            } else {
                format!(
                    "unknown column `{name}`{}; the columns are {known}",
                    did_you_mean(name, COLUMNS)
                )
            });
        };
        if layout.at[c].is_some() {
            return Err(format!("column `{name}` appears twice in the header"));
        }
        layout.at[c] = Some(i);
    }
    for required in [EXAMPLE_ID, MODEL] {
        if layout.at[required].is_none() {
            return Err(format!(
                "missing column `{}`; the header needs `example_id`, `model`, and `pass` or `score`",
                COLUMNS[required]
            ));
        }
    }
    if layout.at[PASS].is_none() && layout.at[SCORE].is_none() {
        return Err(
            "missing column `pass`: the header needs `pass` or `score` (or both)".to_string(),
        );
    }
    Ok(layout)
}

/// One field: `None` where the column is absent or the field empty.
fn field<'r>(layout: &Layout, record: &'r ByteRecord, c: usize) -> Result<Option<&'r str>, Bad> {
    let Some(raw) = layout.at[c].and_then(|i| record.get(i)) else {
        return Ok(None);
    };
    let text = std::str::from_utf8(raw)
        .map_err(|_| Bad::new(MALFORMED, COLUMNS[c], "the value is not valid UTF-8"))?;
    Ok(if text.is_empty() { None } else { Some(text) })
}

fn parse_row(
    path: &Path,
    layout: &Layout,
    record: &ByteRecord,
    line: u64,
    opts: &EvalOptions,
) -> Result<EvalRow, RowError> {
    let get = |c| field(layout, record, c);
    let required = |c| -> Result<String, Bad> {
        get(c)?
            .map(str::to_string)
            .ok_or_else(|| Bad::new(MISSING, COLUMNS[c], "empty; every row needs one"))
    };
    let example_id = required(EXAMPLE_ID)?;
    let model = required(MODEL)?;
    let class = get(CLASS)?.map(str::to_string);
    let score = get(SCORE)?
        .map(|t| fraction(COLUMNS[SCORE], t))
        .transpose()?;
    let pass = match (get(PASS)?, score) {
        (Some(t), _) => parse_pass(t)?,
        (None, Some(s)) => match opts.pass_mark {
            Some(mark) => s >= mark,
            None => {
                return Err(RowError::Fatal(InputError {
                    file: path.to_path_buf(),
                    position: Some((line as usize, 0)),
                    key: "score".to_string(),
                    message: "this row gives a score but no pass, and no pass mark is set: \
                              set `[eval] pass_mark` (the score at or above which an answer \
                              passes), or fill in `pass`"
                        .to_string(),
                }));
            }
        },
        (None, None) => {
            return Err(Bad::new(
                MISSING,
                "pass",
                "empty, and so is score; every row needs a pass (0 or 1) or a score",
            )
            .into());
        }
    };
    let confidence = get(CONFIDENCE)?
        .map(|t| fraction(COLUMNS[CONFIDENCE], t))
        .transpose()?;
    let input_tokens = get(INPUT_TOKENS)?
        .map(|t| count(COLUMNS[INPUT_TOKENS], t))
        .transpose()?;
    let output_tokens = get(OUTPUT_TOKENS)?
        .map(|t| count(COLUMNS[OUTPUT_TOKENS], t))
        .transpose()?;
    let latency_ms = get(LATENCY_MS)?
        .map(|t| non_negative(COLUMNS[LATENCY_MS], t))
        .transpose()?;
    Ok(EvalRow {
        line: Some(line),
        key: String::new(),
        example_id,
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

fn parse_pass(text: &str) -> Result<bool, Bad> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(Bad::new(
            MALFORMED,
            "pass",
            format!("`{text}` is not 0, 1, true or false"),
        )),
    }
}

/// A finite number.
fn number(column: &str, text: &str) -> Result<f64, Bad> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(Bad::new(
            MALFORMED,
            column,
            format!("`{text}` is not a number"),
        )),
    }
}

/// A number in [0, 1].
fn fraction(column: &str, text: &str) -> Result<f64, Bad> {
    let x = number(column, text)?;
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(Bad::new(
            OUT_OF_RANGE,
            column,
            format!(
                "{text} is not in [0, 1]{}",
                crate::spec::percent_hint(x, 0.0, 1.0)
            ),
        ))
    }
}

/// A number ≥ 0.
fn non_negative(column: &str, text: &str) -> Result<f64, Bad> {
    let x = number(column, text)?;
    if x >= 0.0 {
        Ok(x)
    } else {
        Err(Bad::new(
            OUT_OF_RANGE,
            column,
            format!("{text} is negative"),
        ))
    }
}

/// A whole number ≥ 0.
fn count(column: &str, text: &str) -> Result<u64, Bad> {
    if let Ok(n) = text.parse::<u64>() {
        return Ok(n);
    }
    if text.parse::<i64>().is_ok_and(|n| n < 0) {
        return Err(Bad::new(
            OUT_OF_RANGE,
            column,
            format!("{text} is negative"),
        ));
    }
    Err(Bad::new(
        MALFORMED,
        column,
        format!("`{text}` is not a whole number"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_numbers() {
        assert_eq!(count("input_tokens", "812").unwrap(), 812);
        assert_eq!(count("input_tokens", "-3").unwrap_err().kind, OUT_OF_RANGE);
        assert_eq!(count("input_tokens", "1.5").unwrap_err().kind, MALFORMED);
        assert_eq!(fraction("score", "1").unwrap(), 1.0);
        assert_eq!(fraction("score", "1.3").unwrap_err().kind, OUT_OF_RANGE);
        assert_eq!(fraction("score", "NaN").unwrap_err().kind, MALFORMED);
        assert_eq!(
            non_negative("latency_ms", "-1").unwrap_err().kind,
            OUT_OF_RANGE
        );
        assert!(parse_pass("TRUE").unwrap());
        assert!(!parse_pass("0").unwrap());
        assert_eq!(parse_pass("yes").unwrap_err().kind, MALFORMED);
    }

    #[test]
    fn header_errors_name_the_column() {
        let h = |s: &str| ByteRecord::from(s.split(',').collect::<Vec<_>>());
        let e = layout(&h("example_id,model,pass,confidance")).unwrap_err();
        assert!(
            e.contains("`confidance` (did you mean `confidence`?)"),
            "{e}"
        );
        assert!(e.contains("`latency_ms`"), "{e}");
        let e = layout(&h("example_id,pass")).unwrap_err();
        assert!(e.contains("missing column `model`"), "{e}");
        let e = layout(&h("example_id,model")).unwrap_err();
        assert!(e.contains("`pass` or `score`"), "{e}");
        let e = layout(&h("example_id,model,pass,pass")).unwrap_err();
        assert!(e.contains("twice"), "{e}");
        assert!(layout(&h("model,score,example_id")).is_ok());
    }
}
