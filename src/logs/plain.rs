//! The plain formats, for traffic logged by anything other than Bedrock: a CSV
//! file with a header, or JSON Lines, with the same fields:
//!
//! | column / key | required | meaning |
//! |---|---|---|
//! | `class` | no | traffic class (`class_field = "NAME"` in a scenario, or `--class-field NAME`, reads column/key NAME instead) |
//! | `input_tokens` | yes | uncached input tokens |
//! | `output_tokens` | yes | output tokens |
//! | `cache_read_tokens` | no | input tokens read from the prompt cache (0 if absent) |
//! | `cache_write_tokens` | no | input tokens written to the prompt cache (0 if absent) |
//! | `timestamp` | no | ISO-8601 UTC, e.g. `2026-01-15T12:00:00Z` |
//! | `model` | no | Bedrock model id |
//! | `latency_ms` | no | end-to-end latency of the call, ms |
//!
//! An unknown column or key is a mistake (a misspelt `cache_read_token` would
//! otherwise silently read as 0). An empty CSV cell, or a JSON `null`, is absent.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::bedrock::{ClassPath, malformed_json};
use super::de::{Count, Found, Key, Millis, OptStr, PathSeed, class_reject};
use super::{BadKind, Record, Reject};
use crate::input::{InputError, did_you_mean};

/// The columns (CSV) and keys (JSONL) other than the class.
pub const FIELDS: [&str; 7] = [
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "timestamp",
    "model",
    "latency_ms",
];

/// The name of the class column or key, and whether it was asked for.
fn class_key(class_field: Option<&ClassPath>) -> (&str, bool) {
    match class_field {
        Some(c) => (c.segments[0].as_str(), true),
        None => ("class", false),
    }
}

fn known_list(class: &str) -> String {
    std::iter::once(class)
        .chain(FIELDS)
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the parsed counts and builds the record.
#[allow(clippy::too_many_arguments)]
fn build<'a, R>(
    number: u64,
    class: Option<&'a str>,
    model: Option<&'a str>,
    timestamp: Option<&'a str>,
    input: Count,
    output: Count,
    cache_read: Count,
    cache_write: Count,
    latency: Millis,
    f: impl FnOnce(&Record) -> Result<R, Reject>,
) -> Result<R, Reject> {
    let input = input.check("input_tokens")?;
    let output = output.check("output_tokens")?;
    let (input, output) = match (input, output) {
        (Some(i), Some(o)) => (i, o),
        (None, None) => {
            return Err(Reject::new(
                BadKind::NoTokenCounts,
                "the record has neither input_tokens nor output_tokens",
            ));
        }
        (None, Some(_)) => {
            return Err(Reject::new(
                BadKind::MissingField,
                "input_tokens is missing or empty",
            ));
        }
        (Some(_), None) => {
            return Err(Reject::new(
                BadKind::MissingField,
                "output_tokens is missing or empty",
            ));
        }
    };
    let cache_read = cache_read.check("cache_read_tokens")?.unwrap_or(0);
    let cache_write = cache_write.check("cache_write_tokens")?.unwrap_or(0);
    let latency_ms = latency.check("latency_ms")?;
    f(&Record {
        file: 0,
        line: number,
        class,
        model,
        timestamp,
        input,
        output,
        cache_read,
        cache_write,
        latency_ms,
    })
}

/// The class of a record from what was found, `Err` where the class field was
/// asked for and is missing.
fn class_of<'a>(
    found: &'a Found,
    class_field: Option<&ClassPath>,
) -> Result<Option<&'a str>, Reject> {
    match (found, class_field) {
        (Found::Value(v), _) => Ok(Some(v)),
        (Found::NotScalar(what), None) => Err(Reject::new(
            BadKind::Malformed,
            format!("class is {what}, not a class name"),
        )),
        (Found::NotScalar(_), Some(c)) => Err(class_reject(found, &c.field)),
        (Found::Missing, None) => Ok(None),
        (Found::Missing, Some(c)) if c.optional => Ok(None),
        (Found::Missing, Some(c)) => Err(class_reject(found, &c.field)),
    }
}

// ---------------------------------------------------------------- JSONL

#[derive(Default)]
struct JsonRaw<'a> {
    class: Found<'a>,
    model: Option<Cow<'a, str>>,
    timestamp: Option<Cow<'a, str>>,
    input: Count,
    output: Count,
    cache_read: Count,
    cache_write: Count,
    latency: Millis,
    unknown: Option<String>,
}

struct JsonSeed<'p> {
    class_key: &'p str,
    class_rest: &'p [String],
}

impl<'de> DeserializeSeed<'de> for JsonSeed<'_> {
    type Value = JsonRaw<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<JsonRaw<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for JsonSeed<'_> {
    type Value = JsonRaw<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonRaw<'de>, A::Error> {
        let mut r = JsonRaw::default();
        while let Some(key) = map.next_key::<Key>()? {
            let k = &*key.0;
            if k == self.class_key.as_bytes() {
                r.class = map.next_value_seed(PathSeed {
                    rest: self.class_rest,
                })?;
                continue;
            }
            match k {
                b"input_tokens" => r.input = map.next_value()?,
                b"output_tokens" => r.output = map.next_value()?,
                b"cache_read_tokens" => r.cache_read = map.next_value()?,
                b"cache_write_tokens" => r.cache_write = map.next_value()?,
                b"timestamp" => r.timestamp = map.next_value::<OptStr>()?.0,
                b"model" => r.model = map.next_value::<OptStr>()?.0,
                b"latency_ms" => r.latency = map.next_value()?,
                other => {
                    if r.unknown.is_none() {
                        r.unknown = Some(String::from_utf8_lossy(other).into_owned());
                    }
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(r)
    }
}

/// Reads one JSONL line and hands the record to `f`.
pub fn parse_json_line<R>(
    line: &[u8],
    number: u64,
    class_field: Option<&ClassPath>,
    f: impl FnOnce(&Record) -> Result<R, Reject>,
) -> Result<R, Reject> {
    let (key, _) = class_key(class_field);
    let rest = class_field.map_or(&[][..], |c| &c.segments[1..]);
    // A class key that is also a data key ("model") is read by a second pass.
    let collides = FIELDS.contains(&key);
    let mut de = serde_json::Deserializer::from_slice(line);
    let mut raw = JsonSeed {
        class_key: if collides { "" } else { key },
        class_rest: rest,
    }
    .deserialize(&mut de)
    .and_then(|r| de.end().map(|()| r))
    .map_err(|e| malformed_json(&e, line))?;
    if let Some(u) = &raw.unknown {
        return Err(Reject::new(
            BadKind::Malformed,
            format!(
                "unknown key `{u}`{}; the keys known are {}",
                did_you_mean(u, std::iter::once(key).chain(FIELDS)),
                known_list(key)
            ),
        ));
    }
    if collides {
        let v = serde_json::from_slice::<serde_json::Value>(line).ok();
        let segs = class_field.map_or(&[][..], |c| &c.segments[..]);
        raw.class = match super::bedrock::find_in_value(v.as_ref(), segs) {
            Found::Value(s) => Found::Value(Cow::Owned(s.into_owned())),
            Found::NotScalar(w) => Found::NotScalar(w),
            Found::Missing => Found::Missing,
        };
    }
    let class = class_of(&raw.class, class_field)?;
    build(
        number,
        class,
        raw.model.as_deref(),
        raw.timestamp.as_deref(),
        raw.input,
        raw.output,
        raw.cache_read,
        raw.cache_write,
        raw.latency,
        f,
    )
}

// ---------------------------------------------------------------- CSV

/// Column indices of a CSV file's header.
#[derive(Debug, Default)]
pub struct Columns {
    class: Option<usize>,
    input: usize,
    output: usize,
    cache_read: Option<usize>,
    cache_write: Option<usize>,
    timestamp: Option<usize>,
    model: Option<usize>,
    latency: Option<usize>,
    len: usize,
    /// An empty class cell is no class rather than a bad record
    /// ([`super::LogOptions::class_optional`]).
    pub class_optional: bool,
}

impl Columns {
    /// Reads the header; mistakes in it are mistakes of the file.
    pub fn new(
        header: &csv::ByteRecord,
        class_field: Option<&str>,
        path: &Path,
        line: u64,
    ) -> Result<Columns, InputError> {
        let class_name = class_field.unwrap_or("class");
        let err = |m: String| InputError::line(path, line, m);
        let mut cols = Columns {
            len: header.len(),
            ..Default::default()
        };
        let (mut input, mut output) = (None, None);
        for (i, raw) in header.iter().enumerate() {
            let name = std::str::from_utf8(raw)
                .map_err(|_| err("the header is not UTF-8 text".into()))?
                .trim()
                .trim_start_matches('\u{feff}');
            let slot = if name == class_name {
                &mut cols.class
            } else {
                match name {
                    "input_tokens" => &mut input,
                    "output_tokens" => &mut output,
                    "cache_read_tokens" => &mut cols.cache_read,
                    "cache_write_tokens" => &mut cols.cache_write,
                    "timestamp" => &mut cols.timestamp,
                    "model" => &mut cols.model,
                    "latency_ms" => &mut cols.latency,
                    _ => {
                        return Err(err(format!(
                            "unknown column `{name}`{}; the columns known are {} (only input_tokens and output_tokens are required{})",
                            did_you_mean(name, std::iter::once(class_name).chain(FIELDS)),
                            known_list(class_name),
                            if class_field.is_some() {
                                ""
                            } else {
                                "; class_field / --class-field NAME reads the class from column NAME"
                            }
                        )));
                    }
                }
            };
            if slot.is_some() {
                return Err(err(format!("column `{name}` appears twice in the header")));
            }
            *slot = Some(i);
        }
        let missing = |what: &str| {
            err(format!(
                "the header has no `{what}` column: a CSV log needs input_tokens and output_tokens (the known columns are {})",
                known_list(class_name)
            ))
        };
        cols.input = input.ok_or_else(|| missing("input_tokens"))?;
        cols.output = output.ok_or_else(|| missing("output_tokens"))?;
        if let (Some(c), None) = (class_field, cols.class) {
            return Err(err(format!(
                "the header has no column `{c}` (named by class_field / --class-field)"
            )));
        }
        Ok(cols)
    }
}

/// Reads one CSV record and hands it to `f`.
pub fn parse_csv_record<R>(
    rec: &csv::ByteRecord,
    number: u64,
    cols: &Columns,
    class_field: Option<&str>,
    f: impl FnOnce(&Record) -> Result<R, Reject>,
) -> Result<R, Reject> {
    if rec.len() != cols.len {
        return Err(Reject::new(
            BadKind::Malformed,
            format!(
                "the line has {} field{}, the header {}",
                rec.len(),
                if rec.len() == 1 { "" } else { "s" },
                cols.len
            ),
        ));
    }
    let cell = |i: Option<usize>, name: &str| -> Result<Option<&str>, Reject> {
        match i {
            None => Ok(None),
            Some(i) => match std::str::from_utf8(&rec[i]) {
                Ok(s) if s.trim().is_empty() => Ok(None),
                Ok(s) => Ok(Some(s.trim())),
                Err(_) => Err(Reject::new(
                    BadKind::Malformed,
                    format!("the {name} cell is not UTF-8 text"),
                )),
            },
        }
    };
    let count = |i: Option<usize>, name: &str| -> Result<Count, Reject> {
        Ok(cell(i, name)?.map_or(Count::Absent, Count::parse))
    };
    let class_name = class_field.unwrap_or("class");
    let class = cell(cols.class, class_name)?;
    if class.is_none() && class_field.is_some() && !cols.class_optional {
        return Err(Reject::new(
            BadKind::MissingField,
            format!("the {class_name} cell (named by class_field / --class-field) is empty"),
        ));
    }
    let latency = cell(cols.latency, "latency_ms")?.map_or(Millis::Absent, Millis::parse);
    build(
        number,
        class,
        cell(cols.model, "model")?,
        cell(cols.timestamp, "timestamp")?,
        count(Some(cols.input), "input_tokens")?,
        count(Some(cols.output), "output_tokens")?,
        count(cols.cache_read, "cache_read_tokens")?,
        count(cols.cache_write, "cache_write_tokens")?,
        latency,
        f,
    )
}

/// A CSV reader over `r`, as the logs are read.
pub fn csv_reader<R: Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(r)
}

/// Runs of line terminators (`\r`, `\n`) seen by a [`LineCounter`]: where each
/// starts and how many `\n` it holds.
#[derive(Debug, Default)]
pub struct Runs {
    done: VecDeque<(u64, u64)>,
    /// Bytes seen so far.
    offset: u64,
    /// The run at the end of what was seen, if any: its start and newlines.
    open: Option<(u64, u64)>,
    /// Newlines of the runs popped so far.
    lines_before: u64,
}

impl Runs {
    /// The 1-based line of a record whose position the csv crate gives as
    /// `byte`.
    ///
    /// The csv crate's own line numbers miscount CRLF files and blank lines, and
    /// its byte position of a record is the start of the line terminators before
    /// it, not of the record. Every newline of a terminator run that starts at or
    /// before that position is before the record.
    pub fn line_of(&mut self, byte: u64) -> u64 {
        while let Some(&(start, n)) = self.done.front() {
            if start > byte {
                break;
            }
            self.lines_before += n;
            self.done.pop_front();
        }
        self.lines_before + 1
    }
}

/// A reader that notes the runs of line terminators in what passes through it,
/// so that CSV records can be given their line numbers. The runs not yet asked
/// about are at most the csv reader's read-ahead.
pub struct LineCounter<R> {
    /// The reader counted.
    pub inner: R,
    /// The runs seen, shared with whoever asks for line numbers.
    pub runs: Rc<RefCell<Runs>>,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut runs = self.runs.borrow_mut();
        let base = runs.offset;
        let data = &buf[..n];
        let mut i = 0;
        while i < n {
            if let Some((start, mut count)) = runs.open {
                // Extend the open run.
                while i < n && (data[i] == b'\n' || data[i] == b'\r') {
                    count += (data[i] == b'\n') as u64;
                    i += 1;
                }
                if i < n {
                    runs.done.push_back((start, count));
                    runs.open = None;
                } else {
                    runs.open = Some((start, count));
                    break;
                }
            }
            match data[i..].iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(j) => {
                    i += j;
                    runs.open = Some((base + i as u64, 0));
                }
                None => break,
            }
        }
        if n == 0
            && let Some(run) = runs.open.take()
        {
            runs.done.push_back(run);
        }
        runs.offset += n as u64;
        Ok(n)
    }
}
