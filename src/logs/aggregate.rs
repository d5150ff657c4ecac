//! Aggregated traffic files: a log summarized per cell, small enough to ship
//! from S3 to a laptop.
//!
//! Why: a month of Bedrock invocation logs is tens of GB; what simroute draws
//! from it is only each record's class, model, hour and four token counts. An
//! aggregate keeps, per cell (class, model, UTC hour, and the *bucket* of each
//! of the four counts), how many records fell in it and their exact token sums.
//! Athena (or DuckDB) writes it next to the logs with one `GROUP BY`; `simroute
//! aggregate` writes the same file from logs on disk. The contract, column by
//! column, is scenarios/README.md §2.8 ("Aggregated traffic files").
//!
//! **Format.** CSV (gzip allowed) or Parquet, one row per cell, columns matched
//! by name in any order: `class`, `model`, `hour` (0–23, empty without a
//! timestamp), `input_bucket`, `output_bucket`, `cache_read_bucket`,
//! `cache_write_bucket`, `records`, `input_tokens`, `output_tokens`,
//! `cache_read_tokens`, `cache_write_tokens` (sums), `first_timestamp`,
//! `last_timestamp`. Rows with the same cell are added together.
//!
//! **Buckets.** [`bucket`]`(n)` is the lower bound of n's bucket: n itself below
//! 16, else n rounded down to a multiple of 2^(⌊log2 n⌋−3): 8 buckets per power
//! of two, each at most 1/8 (12.5%) of its lower bound wide. Log-spaced so that
//! the joint distribution of the four counts (long prompts with long answers)
//! survives in a few thousand cells.
//!
//! **Statistics.** The token sums are exact, so cost as logged (linear in
//! tokens) is exact. A cell's mean counts lie in its buckets, so a bootstrap
//! that draws a cell with probability records/total and uses its means draws
//! each count within 12.5% of a real record's, with the right mean per cell;
//! quantiles (`simroute fit`) are within a bucket of the raw log's. Record order
//! is gone: exact replay needs the raw log.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, Read, Write};
use std::path::Path;
use std::sync::Arc;

use super::{MAX_TOKENS, Record, time};
use crate::input::{InputError, did_you_mean};
use crate::numfmt::count as grouped;

/// The most rows an aggregate may have: a month of real traffic has a few
/// thousand to a few hundred thousand cells.
pub const MAX_ROWS: u64 = 5_000_000;

/// The columns, in the order simroute writes them.
pub const COLUMNS: [&str; 14] = [
    "class",
    "model",
    "hour",
    "input_bucket",
    "output_bucket",
    "cache_read_bucket",
    "cache_write_bucket",
    "records",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "first_timestamp",
    "last_timestamp",
];

const CLASS: usize = 0;
const MODEL: usize = 1;
const HOUR: usize = 2;
const BUCKETS: usize = 3;
const RECORDS: usize = 7;
const TOKENS: usize = 8;
const FIRST: usize = 12;
const LAST: usize = 13;

/// The bucket of a count: its lower bound (see the module's doc).
pub fn bucket(n: u64) -> u64 {
    if n < 16 {
        n
    } else {
        let step = 1u64 << (63 - n.leading_zeros() - 3);
        n / step * step
    }
}

/// The lower bound of the bucket after bucket `b` (where `b` is one).
pub fn bucket_end(b: u64) -> u64 {
    if b < 16 {
        b + 1
    } else {
        b.saturating_add(1u64 << (63 - b.leading_zeros() - 3))
    }
}

/// One cell, as written and read: class and model (`None` for empty), the UTC
/// hour (`None` without a timestamp), and the buckets of input, output, cache
/// read and cache write tokens.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    pub class: Option<String>,
    pub model: Option<String>,
    pub hour: Option<u8>,
    pub buckets: [u64; 4],
}

/// What a cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellStats {
    /// Records in the cell.
    pub records: u64,
    /// Sums of input, output, cache read and cache write tokens.
    pub tokens: [u64; 4],
    /// Earliest and latest timestamp, ms since the epoch (cells with an hour).
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    /// The first line (CSV, a log) or row (Parquet) the cell came from, for
    /// messages.
    pub line: u64,
}

impl CellStats {
    /// Adds `o` in; `false` (and saturated sums) on overflow.
    fn absorb(&mut self, o: &CellStats) -> bool {
        let mut ok = true;
        let mut add = |a: &mut u64, b: u64| match a.checked_add(b) {
            Some(v) => *a = v,
            None => {
                *a = u64::MAX;
                ok = false;
            }
        };
        add(&mut self.records, o.records);
        for i in 0..4 {
            add(&mut self.tokens[i], o.tokens[i]);
        }
        self.first_ms = min_opt(self.first_ms, o.first_ms);
        self.last_ms = max_opt(self.last_ms, o.last_ms);
        self.line = self.line.min(o.line);
        ok
    }

    /// The mean counts, each rounded to a whole token.
    pub fn means(&self) -> [u64; 4] {
        let n = self.records.max(1) as u128;
        self.tokens
            .map(|t| ((t as u128 + n / 2) / n).min(u64::MAX as u128) as u64)
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// No hour (no timestamp).
const NO_HOUR: u8 = u8::MAX;

/// A cell with its class and model as indices into [`Aggregate::names`] (0: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    class: u32,
    model: u32,
    hour: u8,
    buckets: [u64; 4],
}

/// Records summarized by cell. Built record by record with [`Aggregate::add`]
/// (or from a file by [`read_aggregate`]); two built apart (a parallel
/// reader's parts, two months' files) combine with [`Aggregate::merge`].
#[derive(Debug, Clone)]
pub struct Aggregate {
    /// Class and model names; index 0 stands for none.
    names: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, u32>,
    cells: HashMap<Key, CellStats>,
}

impl Default for Aggregate {
    fn default() -> Self {
        Aggregate::new()
    }
}

/// One row of an aggregate, borrowing its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row<'a> {
    pub class: Option<&'a str>,
    pub model: Option<&'a str>,
    pub hour: Option<u8>,
    pub buckets: [u64; 4],
    pub stats: CellStats,
}

impl Aggregate {
    /// No records.
    pub fn new() -> Aggregate {
        Aggregate {
            names: vec![Arc::from("")],
            ids: HashMap::new(),
            cells: HashMap::new(),
        }
    }

    fn id(&mut self, name: Option<&str>) -> u32 {
        match name {
            None | Some("") => 0,
            Some(s) => match self.ids.get(s) {
                Some(&i) => i,
                None => {
                    let i = self.names.len() as u32;
                    let a: Arc<str> = Arc::from(s);
                    self.names.push(a.clone());
                    self.ids.insert(a, i);
                    i
                }
            },
        }
    }

    fn name(&self, id: u32) -> Option<&str> {
        (id != 0).then(|| &*self.names[id as usize])
    }

    /// Adds a cell's records; `false` where a sum overflows.
    fn add_cell(
        &mut self,
        class: Option<&str>,
        model: Option<&str>,
        hour: Option<u8>,
        buckets: [u64; 4],
        stats: &CellStats,
    ) -> bool {
        let key = Key {
            class: self.id(class),
            model: self.id(model),
            hour: hour.unwrap_or(NO_HOUR),
            buckets,
        };
        self.put(key, stats)
    }

    /// Adds `stats` to the cell `key`; `false` where a sum overflows.
    fn put(&mut self, key: Key, stats: &CellStats) -> bool {
        match self.cells.get_mut(&key) {
            Some(s) => s.absorb(stats),
            None => {
                self.cells.insert(key, *stats);
                true
            }
        }
    }

    /// Adds one record: its class, model, the UTC hour of its timestamp (none
    /// where it has none or it does not parse as ISO-8601 UTC) and the buckets of
    /// its four counts. An empty class or model counts as none.
    pub fn add(&mut self, r: &Record) {
        let ms = r.timestamp.and_then(time::parse_ms);
        let stats = CellStats {
            records: 1,
            tokens: [r.input, r.output, r.cache_read, r.cache_write],
            first_ms: ms,
            last_ms: ms,
            line: r.line,
        };
        let buckets = stats.tokens.map(bucket);
        // Sums of counts capped at MAX_TOKENS do not overflow in any log.
        self.add_cell(r.class, r.model, ms.map(hour_of), buckets, &stats);
    }

    /// Adds every cell of `other` (built apart, e.g. by another thread);
    /// `false` where a cell's sums overflow (saturated: two hostile files).
    #[must_use = "an overflow saturates a cell's sums"]
    pub fn merge(&mut self, other: Aggregate) -> bool {
        let ids: Vec<u32> = other
            .names
            .iter()
            .enumerate()
            .map(|(i, n)| if i == 0 { 0 } else { self.id(Some(n)) })
            .collect();
        let mut ok = true;
        for (k, s) in other.cells {
            let key = Key {
                class: ids[k.class as usize],
                model: ids[k.model as usize],
                ..k
            };
            ok &= self.put(key, &s);
        }
        ok
    }

    /// Cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// No cell.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Records, all cells.
    pub fn records(&self) -> u64 {
        self.cells
            .values()
            .fold(0u64, |a, s| a.saturating_add(s.records))
    }

    /// The earliest timestamp, ms.
    pub fn first_ms(&self) -> Option<i64> {
        self.cells.values().filter_map(|s| s.first_ms).min()
    }

    /// The latest timestamp, ms.
    pub fn last_ms(&self) -> Option<i64> {
        self.cells.values().filter_map(|s| s.last_ms).max()
    }

    /// The cells sorted by class, model, hour (none first) and buckets: the
    /// order simroute writes them in.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let mut rows: Vec<Row> = self
            .cells
            .iter()
            .map(|(k, s)| Row {
                class: self.name(k.class),
                model: self.name(k.model),
                hour: (k.hour != NO_HOUR).then_some(k.hour),
                buckets: k.buckets,
                stats: *s,
            })
            .collect();
        rows.sort_unstable_by(|a, b| {
            (a.class, a.model, a.hour, a.buckets).cmp(&(b.class, b.model, b.hour, b.buckets))
        });
        rows
    }

    /// The cells as owned keys, sorted.
    pub fn cells(&self) -> BTreeMap<Cell, CellStats> {
        self.rows()
            .into_iter()
            .map(|r| {
                (
                    Cell {
                        class: r.class.map(str::to_string),
                        model: r.model.map(str::to_string),
                        hour: r.hour,
                        buckets: r.buckets,
                    },
                    r.stats,
                )
            })
            .collect()
    }

    /// Writes the aggregate as CSV (header, then rows sorted by cell).
    pub fn write_csv<W: Write>(&self, w: W) -> io::Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(COLUMNS)?;
        for r in self.rows() {
            let s = &r.stats;
            let num = |v: u64| v.to_string();
            let mut fields: Vec<String> = vec![
                r.class.unwrap_or("").to_string(),
                r.model.unwrap_or("").to_string(),
                r.hour.map(|h| h.to_string()).unwrap_or_default(),
            ];
            fields.extend(r.buckets.map(num));
            fields.push(num(s.records));
            fields.extend(s.tokens.map(num));
            for t in [s.first_ms, s.last_ms] {
                fields.push(match (r.hour, t) {
                    (Some(_), Some(ms)) => time::format_ms(ms),
                    _ => String::new(),
                });
            }
            out.write_record(&fields)?;
        }
        out.flush()?;
        Ok(())
    }

    /// Writes the aggregate as Parquet (SNAPPY; one row group; the same columns
    /// as CSV: strings, INT32 hour, INT64 counts, timestamps as ISO-8601 text).
    pub fn write_parquet<W: Write + Send>(&self, w: W) -> io::Result<()> {
        self.parquet(w).map_err(io::Error::other)
    }

    fn parquet<W: Write + Send>(&self, w: W) -> parquet::errors::Result<()> {
        use parquet::basic::Compression;
        use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
        use parquet::file::properties::WriterProperties;
        use parquet::file::writer::SerializedFileWriter;
        let mut schema = String::from("message aggregate {\n");
        for (i, c) in COLUMNS.iter().enumerate() {
            let line = match i {
                CLASS | MODEL | FIRST | LAST => format!("OPTIONAL BYTE_ARRAY {c} (UTF8);"),
                HOUR => format!("OPTIONAL INT32 {c};"),
                _ => format!("REQUIRED INT64 {c};"),
            };
            schema.push_str(&line);
            schema.push('\n');
        }
        schema.push('}');
        let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema)?);
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by(format!("simroute {}", env!("CARGO_PKG_VERSION")))
                .build(),
        );
        let rows = self.rows();
        let mut writer = SerializedFileWriter::new(w, schema, props)?;
        let mut group = writer.next_row_group()?;
        let mut i = 0;
        while let Some(mut col) = group.next_column()? {
            match i {
                CLASS | MODEL | FIRST | LAST => {
                    let mut values = Vec::new();
                    let mut defs = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let v = match i {
                            CLASS => r.class.map(ByteArray::from),
                            MODEL => r.model.map(ByteArray::from),
                            _ => r
                                .hour
                                .and(if i == FIRST {
                                    r.stats.first_ms
                                } else {
                                    r.stats.last_ms
                                })
                                .map(|ms| ByteArray::from(time::format_ms(ms).as_str())),
                        };
                        defs.push(v.is_some() as i16);
                        values.extend(v);
                    }
                    col.typed::<ByteArrayType>()
                        .write_batch(&values, Some(&defs), None)?;
                }
                HOUR => {
                    let values: Vec<i32> =
                        rows.iter().filter_map(|r| r.hour).map(i32::from).collect();
                    let defs: Vec<i16> = rows.iter().map(|r| r.hour.is_some() as i16).collect();
                    col.typed::<Int32Type>()
                        .write_batch(&values, Some(&defs), None)?;
                }
                _ => {
                    let values: Vec<i64> = rows
                        .iter()
                        .map(|r| {
                            let v = match i {
                                RECORDS => r.stats.records,
                                i if i < RECORDS => r.buckets[i - BUCKETS],
                                i => r.stats.tokens[i - TOKENS],
                            };
                            i64::try_from(v).unwrap_or(i64::MAX)
                        })
                        .collect();
                    col.typed::<Int64Type>().write_batch(&values, None, None)?;
                }
            }
            col.close()?;
            i += 1;
        }
        group.close()?;
        writer.close()?;
        Ok(())
    }
}

/// The UTC hour of day of a timestamp.
pub fn hour_of(ms: i64) -> u8 {
    (ms.rem_euclid(86_400_000) / 3_600_000) as u8
}

/// The kind of an aggregate file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Parquet,
}

/// Whether the header fields name an aggregate's columns: `records` and
/// `input_bucket` among them.
pub fn is_header(fields: &[&[u8]]) -> bool {
    let has = |name: &[u8]| fields.iter().any(|f| f.trim_ascii() == name);
    has(b"records") && has(b"input_bucket")
}

/// The fields of a CSV line (the first of a file), unquoted.
pub(crate) fn header_fields(line: &[u8]) -> Vec<Vec<u8>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line);
    let mut rec = csv::ByteRecord::new();
    match r.read_byte_record(&mut rec) {
        Ok(true) => rec.iter().map(<[u8]>::to_vec).collect(),
        _ => Vec::new(),
    }
}

/// Whether `path` is an aggregate, and which kind: Parquet by its magic `PAR1`,
/// CSV (gzip or not) by a header with `records` and `input_bucket`. `None` for
/// anything else (a log, or not a log: its reader says so).
pub fn sniff(path: &Path) -> Result<Option<Kind>, InputError> {
    // A folder or a glob pattern is a raw log of several files (an aggregate is
    // one file); the log reader says what is wrong with a path that is neither.
    if !path.is_file() {
        return Ok(None);
    }
    let mut f = crate::infile::open(path)?;
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match f.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(InputError::file(path, format!("cannot read the file: {e}")));
            }
        }
    }
    if got == 4 && &magic == b"PAR1" {
        return Ok(Some(Kind::Parquet));
    }
    if got == 0 {
        return Ok(None);
    }
    let (mut reader, _) = super::open_text(path)?;
    let mut line = Vec::new();
    for _ in 0..1000 {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(None),
            Ok(_) if line.trim_ascii().is_empty() => continue,
            Ok(_) => {
                let fields = header_fields(&line);
                let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
                return Ok(is_header(&refs).then_some(Kind::Csv));
            }
            // The log reader reports it, in its words.
            Err(_) => return Ok(None),
        }
    }
    Ok(None)
}

/// An aggregate as read from a file.
#[derive(Debug, Clone)]
pub struct AggregateFile {
    pub kind: Kind,
    pub gzip: bool,
    /// Rows read (cells repeated across rows are added together).
    pub rows: u64,
    pub data: Aggregate,
}

impl AggregateFile {
    /// The error for the cell or row that came from `line` (CSV line or
    /// Parquet row, as [`CellStats::line`]).
    pub fn error_at(&self, path: &Path, line: u64, msg: impl Into<String>) -> InputError {
        at(path, self.kind, line, msg.into())
    }
}

fn at(path: &Path, kind: Kind, n: u64, msg: String) -> InputError {
    match kind {
        Kind::Csv => InputError::line(path, n, msg),
        Kind::Parquet => InputError::file(path, format!("row {n}: {msg}")),
    }
}

/// Reads the aggregate at `path` (CSV, gzip or not, or Parquet), checking every
/// row (scenarios/README.md §2.8).
pub fn read_aggregate(path: &Path) -> Result<AggregateFile, InputError> {
    read_limited(path, MAX_ROWS)
}

fn read_limited(path: &Path, max_rows: u64) -> Result<AggregateFile, InputError> {
    match sniff(path)? {
        Some(Kind::Parquet) => read_parquet(path, max_rows, MAX_PAGE_BYTES),
        _ => read_csv(path, max_rows),
    }
}

/// A value of one column of one row, as the file holds it.
#[derive(Debug, Clone, PartialEq)]
enum Value<'a> {
    Null,
    Text(&'a str),
    Int(i128),
    Float(f64),
    TimeMs(i64),
    /// A Parquet value of another type: what it is, in words.
    Other(&'static str),
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("empty"),
            Value::Text(s) => write!(f, "\"{s}\""),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::TimeMs(ms) => f.write_str(&time::format_ms(*ms)),
            Value::Other(what) => f.write_str(what),
        }
    }
}

/// A row checked.
struct Checked {
    class: Option<String>,
    model: Option<String>,
    hour: Option<u8>,
    buckets: [u64; 4],
    stats: CellStats,
}

/// A whole number ≥ 0, or `None` for empty.
fn whole(v: &Value) -> Result<Option<u64>, String> {
    let bad = || format!("{v} is not a whole number");
    match v {
        Value::Null => Ok(None),
        Value::Text(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            if let Ok(n) = t.parse::<u64>() {
                return Ok(Some(n));
            }
            if t.starts_with('-') && t[1..].bytes().all(|b| b.is_ascii_digit()) && t.len() > 1 {
                return Err(format!("{v} is negative: it must be 0 or more"));
            }
            if t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{v} is too large"));
            }
            match t.parse::<f64>() {
                Ok(x) => float(x, v),
                Err(_) => Err(bad()),
            }
        }
        Value::Int(i) if *i < 0 => Err(format!("{v} is negative: it must be 0 or more")),
        Value::Int(i) => u64::try_from(*i)
            .map(Some)
            .map_err(|_| format!("{v} is too large")),
        Value::Float(x) => float(*x, v),
        Value::TimeMs(_) | Value::Other(_) => Err(bad()),
    }
}

fn float(x: f64, v: &Value) -> Result<Option<u64>, String> {
    if x.fract() != 0.0 || !x.is_finite() {
        Err(format!("{v} is not a whole number"))
    } else if x < 0.0 {
        Err(format!("{v} is negative: it must be 0 or more"))
    } else if x >= 9.0e15 {
        Err(format!("{v} is too large"))
    } else {
        Ok(Some(x as u64))
    }
}

fn text(v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Text("") => Ok(None),
        Value::Text(s) => Ok(Some(s.to_string())),
        Value::Int(i) => Ok(Some(i.to_string())),
        other => Err(format!("{other} is not text")),
    }
}

fn timestamp(v: &Value) -> Result<Option<i64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Text(s) if s.trim().is_empty() => Ok(None),
        Value::Text(s) => time::parse_ms(s.trim()).map(Some).ok_or_else(|| {
            format!("{v} is not an ISO-8601 UTC timestamp such as 2026-01-01T00:00:03.703Z")
        }),
        Value::TimeMs(ms) => Ok(Some(*ms)),
        other => Err(format!(
            "{other} is not an ISO-8601 UTC timestamp such as 2026-01-01T00:00:03.703Z"
        )),
    }
}

/// The range a bucket holds, in words.
fn holds(b: u64) -> String {
    if b < 16 {
        format!("holds exactly {b}")
    } else {
        format!(
            "holds {} up to (not including) {}",
            grouped(b as f64),
            grouped(bucket_end(b) as f64)
        )
    }
}

/// Checks one row (values in [`COLUMNS`] order); on error, the column's index
/// and what is wrong.
fn check(v: &[Value; 14], line: u64) -> Result<Checked, (usize, String)> {
    let class = text(&v[CLASS]).map_err(|e| (CLASS, e))?;
    let model = text(&v[MODEL]).map_err(|e| (MODEL, e))?;
    let hour = match whole(&v[HOUR]).map_err(|e| (HOUR, e))? {
        None => None,
        Some(h) if h < 24 => Some(h as u8),
        Some(h) => return Err((HOUR, format!("{h} is not an hour of the day (0 to 23)"))),
    };
    let required = |i: usize| -> Result<u64, (usize, String)> {
        whole(&v[i]).map_err(|e| (i, e))?.ok_or_else(|| {
            (
                i,
                "is empty: every row needs a whole number here".to_string(),
            )
        })
    };
    let mut buckets = [0u64; 4];
    let mut tokens = [0u64; 4];
    for k in 0..4 {
        buckets[k] = required(BUCKETS + k)?;
        tokens[k] = required(TOKENS + k)?;
    }
    let records = required(RECORDS)?;
    if records == 0 {
        return Err((
            RECORDS,
            "0: a row is a cell of at least 1 record (leave out empty cells)".into(),
        ));
    }
    for k in 0..4 {
        let b = buckets[k];
        if b > MAX_TOKENS {
            return Err((
                BUCKETS + k,
                format!(
                    "{} is above {} tokens, more than any call reads or writes",
                    grouped(b as f64),
                    grouped(MAX_TOKENS as f64)
                ),
            ));
        }
        if bucket(b) != b {
            let below = bucket(b);
            return Err((
                BUCKETS + k,
                format!(
                    "{} is not a bucket: a bucket is the lower bound of its range ({} and {} are the buckets around it; scenarios/README.md §2.8)",
                    grouped(b as f64),
                    grouped(below as f64),
                    grouped(bucket_end(below) as f64)
                ),
            ));
        }
        let (t, n) = (tokens[k] as u128, records as u128);
        let mean = tokens[k] as f64 / records as f64;
        if t > MAX_TOKENS as u128 * n {
            return Err((
                TOKENS + k,
                format!(
                    "the mean ({} / records = {}) is above {} tokens, more than any call reads or writes",
                    COLUMNS[TOKENS + k],
                    grouped(mean),
                    grouped(MAX_TOKENS as f64)
                ),
            ));
        }
        // Below 16 a bucket is one count: every record has it, so the mean is it.
        let outside = if b < 16 {
            t != b as u128 * n
        } else {
            t < b as u128 * n || t >= bucket_end(b) as u128 * n
        };
        if outside {
            return Err((
                TOKENS + k,
                format!(
                    "the mean ({} / records = {} / {} = {}) is not in its bucket: {} {} {}",
                    COLUMNS[TOKENS + k],
                    tokens[k],
                    records,
                    crate::input::num(mean),
                    COLUMNS[BUCKETS + k],
                    grouped(b as f64),
                    holds(b)
                ),
            ));
        }
    }
    let first = timestamp(&v[FIRST]).map_err(|e| (FIRST, e))?;
    let last = timestamp(&v[LAST]).map_err(|e| (LAST, e))?;
    match (hour, first, last) {
        (None, None, None) => {}
        (None, _, _) => {
            let col = if first.is_some() { FIRST } else { LAST };
            return Err((
                col,
                "is set but hour is empty: the timestamps are empty exactly when the hour is"
                    .into(),
            ));
        }
        (Some(_), None, _) => {
            return Err((
                FIRST,
                "is empty but hour is set: a cell with an hour has its first and last timestamps"
                    .into(),
            ));
        }
        (Some(_), _, None) => {
            return Err((
                LAST,
                "is empty but hour is set: a cell with an hour has its first and last timestamps"
                    .into(),
            ));
        }
        (Some(h), Some(a), Some(b)) => {
            for (col, ms) in [(FIRST, a), (LAST, b)] {
                if hour_of(ms) != h {
                    return Err((
                        col,
                        format!("{} is not in the row's hour ({h})", time::format_ms(ms)),
                    ));
                }
            }
            if a > b {
                return Err((
                    FIRST,
                    format!(
                        "{} is after last_timestamp {}",
                        time::format_ms(a),
                        time::format_ms(b)
                    ),
                ));
            }
        }
    }
    Ok(Checked {
        class,
        model,
        hour,
        buckets,
        stats: CellStats {
            records,
            tokens,
            first_ms: first,
            last_ms: last,
            line,
        },
    })
}

/// Maps the file's columns to [`COLUMNS`]: `map[i]` is the file's column of
/// `COLUMNS[i]`, `None` for an optional column left out.
fn columns(
    names: &[String],
    fail: impl Fn(String) -> InputError,
) -> Result<[Option<usize>; 14], InputError> {
    let mut map = [None; 14];
    for (j, n) in names.iter().enumerate() {
        let name = n.trim();
        match COLUMNS.iter().position(|c| *c == name) {
            Some(i) if map[i].is_some() => {
                return Err(fail(format!("the column {name} appears twice")));
            }
            Some(i) => map[i] = Some(j),
            None => {
                return Err(fail(format!(
                    "unknown column \"{name}\"{}: an aggregated traffic file has the columns {} (scenarios/README.md §2.8)",
                    did_you_mean(name, COLUMNS),
                    COLUMNS.join(", ")
                )));
            }
        }
    }
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(&map)
        .filter(|(_, m)| m.is_none())
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        return Err(fail(format!(
            "missing column{} {}: an aggregated traffic file has the columns {} (scenarios/README.md §2.8)",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            COLUMNS.join(", ")
        )));
    }
    Ok(map)
}

/// Folds checked rows into an aggregate, counting them against the limit.
struct Fold {
    kind: Kind,
    max_rows: u64,
    rows: u64,
    /// Records of the rows so far: they must add up within 2^64, so that a
    /// class's records and their cumulative counts do.
    records: u64,
    data: Aggregate,
}

impl Fold {
    fn row(&mut self, path: &Path, n: u64, values: &[Value; 14]) -> Result<(), InputError> {
        self.rows += 1;
        if self.rows > self.max_rows {
            return Err(InputError::file(
                path,
                format!(
                    "more than {} rows: an aggregated traffic file has at most {} (one per cell); aggregate coarser, or split the file",
                    grouped(self.max_rows as f64),
                    grouped(self.max_rows as f64)
                ),
            ));
        }
        let c = check(values, n).map_err(|(col, msg)| {
            at(
                path,
                self.kind,
                n,
                format!("column {}: {msg}", COLUMNS[col]),
            )
        })?;
        let Some(records) = self.records.checked_add(c.stats.records) else {
            return Err(at(
                path,
                self.kind,
                n,
                "the records of the rows so far overflow: they add up to more than 2^64, not a real aggregate"
                    .into(),
            ));
        };
        self.records = records;
        if !self.data.add_cell(
            c.class.as_deref(),
            c.model.as_deref(),
            c.hour,
            c.buckets,
            &c.stats,
        ) {
            return Err(at(
                path,
                self.kind,
                n,
                "the sums of this cell's rows overflow (more than 2^64): not a real aggregate"
                    .into(),
            ));
        }
        Ok(())
    }

    fn finish(self, path: &Path, gzip: bool) -> Result<AggregateFile, InputError> {
        if self.rows == 0 {
            return Err(InputError::file(
                path,
                "the aggregated traffic file has a header but no rows: no records",
            ));
        }
        Ok(AggregateFile {
            kind: self.kind,
            gzip,
            rows: self.rows,
            data: self.data,
        })
    }
}

fn read_csv(path: &Path, max_rows: u64) -> Result<AggregateFile, InputError> {
    use std::cell::RefCell;
    use std::rc::Rc;
    let (reader, gzip) = super::open_text(path)?;
    let runs = Rc::new(RefCell::new(super::plain::Runs::default()));
    let mut csv = super::plain::csv_reader(super::plain::LineCounter {
        inner: reader,
        runs: runs.clone(),
    });
    let mut rec = csv::ByteRecord::new();
    let mut map: Option<[Option<usize>; 14]> = None;
    let mut fold = Fold {
        kind: Kind::Csv,
        max_rows,
        rows: 0,
        records: 0,
        data: Aggregate::new(),
    };
    let mut line = 0u64;
    loop {
        match csv.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(InputError::line(path, line + 1, super::csv_error(&e, gzip)));
            }
        }
        line = runs
            .borrow_mut()
            .line_of(rec.position().map_or(0, |p| p.byte()));
        if rec.len() == 1 && rec[0].trim_ascii().is_empty() {
            continue;
        }
        let Some(m) = &map else {
            let names: Vec<String> = rec
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            map = Some(columns(&names, |msg| InputError::line(path, line, msg))?);
            continue;
        };
        if rec.len() != m.iter().flatten().count() {
            return Err(InputError::line(
                path,
                line,
                format!(
                    "{} fields, but the header has {} columns",
                    rec.len(),
                    m.iter().flatten().count()
                ),
            ));
        }
        let mut values: [Value; 14] = std::array::from_fn(|_| Value::Null);
        for (i, j) in m.iter().enumerate() {
            let Some(j) = j else { continue };
            let f = &rec[*j];
            values[i] = match std::str::from_utf8(f) {
                Ok("") => Value::Null,
                Ok(s) => Value::Text(s),
                Err(_) => {
                    return Err(InputError::line(
                        path,
                        line,
                        format!("column {}: not UTF-8 text", COLUMNS[i]),
                    ));
                }
            };
        }
        fold.row(path, line, &values)?;
    }
    if map.is_none() {
        return Err(InputError::file(
            path,
            "the file is empty: no header, no rows",
        ));
    }
    fold.finish(path, gzip)
}

fn parquet_error(path: &Path, e: parquet::errors::ParquetError) -> InputError {
    InputError::file(
        path,
        format!("not a readable Parquet file (truncated or corrupt?): {e}"),
    )
}

/// The largest page, decompressed, a Parquet aggregate may have. Writers cut
/// pages at about 1 MiB (parquet-mr, arrow-rs, DuckDB); the cap bounds what a
/// page header's claimed size makes the Parquet reader allocate.
pub const MAX_PAGE_BYTES: i64 = 128 << 20;

/// Walks every column chunk's page headers (Thrift compact protocol) before any
/// page is read: each page must lie inside its chunk, and claim at most
/// [`MAX_PAGE_BYTES`] decompressed. The Parquet reader trusts a header's
/// decompressed size (it allocates it before decompressing), so a hostile
/// header of a few bytes could otherwise cost gigabytes.
fn check_pages(
    path: &Path,
    meta: &parquet::file::metadata::ParquetMetaData,
    max_page: i64,
) -> Result<(), InputError> {
    use std::io::{BufReader, Seek, SeekFrom};
    let file = crate::infile::open(path)?;
    let mut r = BufReader::with_capacity(1 << 16, file);
    for (g, group) in meta.row_groups().iter().enumerate() {
        for (c, chunk) in group.columns().iter().enumerate() {
            let (start, size) = chunk.byte_range();
            let end = start + size;
            let mut pos = start;
            while pos < end {
                let fail = |what: String| {
                    InputError::file(
                        path,
                        format!(
                            "row group {} column {} ({}): {what}: a corrupt or hostile Parquet file",
                            g + 1,
                            c + 1,
                            chunk.column_path().string()
                        ),
                    )
                };
                r.seek(SeekFrom::Start(pos))
                    .map_err(|e| fail(format!("cannot read a page header: {e}")))?;
                let mut t = Thrift {
                    r: &mut r,
                    read: 0,
                    limit: end - pos,
                };
                let h = t.page_header().map_err(|e| {
                    fail(format!("the page header at byte {pos} is unreadable ({e})"))
                })?;
                let (uncompressed, compressed) = h;
                if compressed < 0 || uncompressed < 0 {
                    return Err(fail(format!("the page at byte {pos} has a negative size")));
                }
                if uncompressed > max_page {
                    return Err(fail(format!(
                        "the page at byte {pos} claims {} bytes decompressed, more than the {} a page may hold",
                        grouped(uncompressed as f64),
                        grouped(max_page as f64)
                    )));
                }
                let next = pos + t.read + compressed as u64;
                if next > end {
                    return Err(fail(format!(
                        "the page at byte {pos} runs past the end of its column chunk"
                    )));
                }
                pos = next;
            }
        }
    }
    Ok(())
}

/// Just enough of Thrift's compact protocol to read a page header's sizes and
/// skip the rest.
struct Thrift<'a, R> {
    r: &'a mut R,
    /// Bytes read so far, and the most that may be.
    read: u64,
    limit: u64,
}

impl<R: BufRead> Thrift<'_, R> {
    fn byte(&mut self) -> Result<u8, String> {
        if self.read >= self.limit {
            return Err("it runs past its column chunk".into());
        }
        let mut b = [0u8; 1];
        self.r.read_exact(&mut b).map_err(|e| e.to_string())?;
        self.read += 1;
        Ok(b[0])
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err("a number is too long".into());
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a number is too long".into())
    }

    fn zigzag(&mut self) -> Result<i64, String> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn skip_bytes(&mut self, n: u64) -> Result<(), String> {
        if n > self.limit - self.read {
            return Err("it runs past its column chunk".into());
        }
        for _ in 0..n {
            self.byte()?;
        }
        Ok(())
    }

    /// Skips a value of compact type `t`, `depth` levels down.
    fn skip(&mut self, t: u8, depth: u32) -> Result<(), String> {
        if depth > 32 {
            return Err("nested too deeply".into());
        }
        match t {
            1 | 2 => Ok(()),
            3 => self.byte().map(drop),
            4..=6 => self.varint().map(drop),
            7 => self.skip_bytes(8),
            8 => {
                let n = self.varint()?;
                self.skip_bytes(n)
            }
            9 | 10 => {
                let h = self.byte()?;
                let n = match h >> 4 {
                    15 => self.varint()?,
                    n => n as u64,
                };
                let et = h & 0x0f;
                for _ in 0..n {
                    // A list's booleans take a byte each.
                    if et == 1 || et == 2 {
                        self.byte()?;
                    } else {
                        self.skip(et, depth + 1)?;
                    }
                }
                Ok(())
            }
            11 => {
                let n = self.varint()?;
                if n > 0 {
                    let kv = self.byte()?;
                    for _ in 0..n {
                        self.skip(kv >> 4, depth + 1)?;
                        self.skip(kv & 0x0f, depth + 1)?;
                    }
                }
                Ok(())
            }
            12 => self.fields(depth + 1, |_, _, _| Ok(false)),
            _ => Err(format!("unknown type {t}")),
        }
    }

    /// Reads a struct's fields; `f(self, id, type)` reads a field it wants
    /// (returning true), the others are skipped.
    fn fields(
        &mut self,
        depth: u32,
        mut f: impl FnMut(&mut Self, i64, u8) -> Result<bool, String>,
    ) -> Result<(), String> {
        let mut id = 0i64;
        loop {
            let b = self.byte()?;
            if b == 0 {
                return Ok(());
            }
            let t = b & 0x0f;
            id = match b >> 4 {
                0 => self.zigzag()?,
                d => id + d as i64,
            };
            if !f(self, id, t)? {
                self.skip(t, depth)?;
            }
        }
    }

    /// A PageHeader's uncompressed_page_size (field 2) and
    /// compressed_page_size (field 3).
    fn page_header(&mut self) -> Result<(i64, i64), String> {
        let (mut u, mut c) = (None, None);
        self.fields(0, |t, id, ty| match (id, ty) {
            (2, 5) => {
                u = Some(t.zigzag()?);
                Ok(true)
            }
            (3, 5) => {
                c = Some(t.zigzag()?);
                Ok(true)
            }
            _ => Ok(false),
        })?;
        match (u, c) {
            (Some(u), Some(c)) => Ok((u, c)),
            _ => Err("it has no page sizes".into()),
        }
    }
}

fn read_parquet(path: &Path, max_rows: u64, max_page: i64) -> Result<AggregateFile, InputError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let file: File = crate::infile::open(path)?;
    let len = file
        .metadata()
        .map_err(|e| InputError::file(path, format!("cannot read the file: {e}")))?
        .len();
    let reader = SerializedFileReader::new(file).map_err(|e| parquet_error(path, e))?;
    let meta = reader.metadata();
    // The footer's counts are checked before any row is read: a hostile footer
    // cannot make simroute allocate for rows or chunks the file does not hold.
    let declared = meta.file_metadata().num_rows();
    let mut in_groups: i128 = 0;
    for g in meta.row_groups() {
        if g.num_rows() < 0 {
            return Err(InputError::file(
                path,
                "the Parquet footer gives a row group a negative row count: a corrupt file",
            ));
        }
        in_groups += g.num_rows() as i128;
        for c in g.columns() {
            let (start, size) = c.byte_range();
            if start.checked_add(size).is_none_or(|end| end > len) {
                return Err(InputError::file(
                    path,
                    format!(
                        "the Parquet footer places a column chunk at bytes {start}..+{size}, beyond the file's {len} bytes: a truncated or corrupt file"
                    ),
                ));
            }
        }
    }
    check_pages(path, meta, max_page)?;
    let most = (declared as i128).max(in_groups);
    if declared < 0 {
        return Err(InputError::file(
            path,
            "the Parquet footer gives a negative row count: a corrupt file",
        ));
    }
    if most > max_rows as i128 {
        return Err(InputError::file(
            path,
            format!(
                "{} rows (as its footer says): an aggregated traffic file has at most {} (one per cell); aggregate coarser, or split the file",
                grouped(most as f64),
                grouped(max_rows as f64)
            ),
        ));
    }
    let schema = meta.file_metadata().schema_descr();
    let mut names = Vec::new();
    for c in schema.columns() {
        if c.path().parts().len() != 1 || c.max_rep_level() > 0 {
            return Err(InputError::file(
                path,
                format!(
                    "column {} is nested or repeated: an aggregated traffic file has flat columns (scenarios/README.md §2.8)",
                    c.path().string()
                ),
            ));
        }
        names.push(c.name().to_string());
    }
    let map = columns(&names, |msg| InputError::file(path, msg))?;
    let mut fold = Fold {
        kind: Kind::Parquet,
        max_rows,
        rows: 0,
        records: 0,
        data: Aggregate::new(),
    };
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| parquet_error(path, e))?;
    let mut texts: Vec<String> = Vec::new();
    for (k, row) in rows.enumerate() {
        let n = k as u64 + 1;
        let row = row.map_err(|e| {
            InputError::file(
                path,
                format!("row {n}: cannot read it (truncated or corrupt Parquet file?): {e}"),
            )
        })?;
        let fields: Vec<&Field> = row.get_column_iter().map(|(_, f)| f).collect();
        texts.clear();
        // Byte arrays that are text, kept apart so that values can borrow them.
        let mut values: [Value; 14] = std::array::from_fn(|_| Value::Null);
        let mut text_at = [usize::MAX; 14];
        for (i, j) in map.iter().enumerate() {
            let Some(j) = j else { continue };
            if let Some(Field::Bytes(b)) = fields.get(*j) {
                match std::str::from_utf8(b.data()) {
                    Ok(s) => {
                        text_at[i] = texts.len();
                        texts.push(s.to_string());
                    }
                    Err(_) => {
                        return Err(at(
                            path,
                            Kind::Parquet,
                            n,
                            format!("column {}: binary data, not UTF-8 text", COLUMNS[i]),
                        ));
                    }
                }
            }
        }
        for (i, j) in map.iter().enumerate() {
            let Some(j) = j else { continue };
            values[i] = match fields.get(*j) {
                None | Some(Field::Null) => Value::Null,
                Some(Field::Str(s)) => Value::Text(s),
                Some(Field::Bytes(_)) => Value::Text(&texts[text_at[i]]),
                Some(Field::Byte(x)) => Value::Int(*x as i128),
                Some(Field::Short(x)) => Value::Int(*x as i128),
                Some(Field::Int(x)) => Value::Int(*x as i128),
                Some(Field::Long(x)) => Value::Int(*x as i128),
                Some(Field::UByte(x)) => Value::Int(*x as i128),
                Some(Field::UShort(x)) => Value::Int(*x as i128),
                Some(Field::UInt(x)) => Value::Int(*x as i128),
                Some(Field::ULong(x)) => Value::Int(*x as i128),
                Some(Field::Float(x)) => Value::Float(*x as f64),
                Some(Field::Double(x)) => Value::Float(*x),
                Some(Field::TimestampMillis(ms)) => Value::TimeMs(*ms),
                Some(Field::TimestampMicros(us)) => Value::TimeMs(us.div_euclid(1000)),
                Some(Field::Bool(_)) => Value::Other("a true/false value"),
                Some(Field::Decimal(_)) => Value::Other("a decimal"),
                Some(Field::Date(_)) => Value::Other("a date without a time"),
                Some(_) => Value::Other("a value of another type"),
            };
        }
        fold.row(path, n, &values)?;
    }
    if fold.rows as i128 != declared as i128 {
        return Err(InputError::file(
            path,
            format!(
                "its footer says {} rows, but {} were read: a corrupt file",
                declared, fold.rows
            ),
        ));
    }
    fold.finish(path, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec<'a>(
        line: u64,
        class: Option<&'a str>,
        model: Option<&'a str>,
        ts: Option<&'a str>,
        t: [u64; 4],
    ) -> Record<'a> {
        Record {
            file: 0,
            line,
            class,
            model,
            timestamp: ts,
            input: t[0],
            output: t[1],
            cache_read: t[2],
            cache_write: t[3],
            latency_ms: None,
        }
    }

    #[test]
    fn buckets_at_their_edges() {
        for n in 0..16 {
            assert_eq!(bucket(n), n);
            assert_eq!(bucket_end(n), n + 1);
        }
        assert_eq!(bucket(16), 16);
        assert_eq!(bucket(17), 16);
        assert_eq!(bucket(18), 18);
        assert_eq!(bucket(31), 30);
        assert_eq!(bucket(32), 32);
        assert_eq!(bucket(35), 32);
        assert_eq!(bucket(36), 36);
        assert_eq!(bucket((1 << 20) - 1), (1 << 20) - (1 << 16));
        assert_eq!(bucket(1 << 20), 1 << 20);
        assert_eq!(bucket(10_000_000), 9_437_184);
        assert_eq!(bucket_end(9_437_184), 10_485_760);
        assert_eq!(bucket(u64::MAX), 15 << 60);
        // The SQL of the spec, in doubles.
        let sql = |n: u64| -> u64 {
            if n < 16 {
                n
            } else {
                let s = 2f64.powf((n as f64).log2().floor() - 3.0);
                ((n as f64 / s).floor() * s) as u64
            }
        };
        let mut n = 0u64;
        while n < 20_000_000 {
            let b = bucket(n);
            assert_eq!(bucket(b), b, "{n}");
            assert!(b <= n && n < bucket_end(b), "{n}");
            assert!((bucket_end(b) - b) * 8 <= b.max(8), "{n}");
            assert_eq!(sql(n), b, "{n}");
            n += 1 + n / 97;
        }
    }

    fn sample() -> Vec<Record<'static>> {
        vec![
            rec(
                1,
                Some("chat"),
                Some("m1"),
                Some("2026-01-01T00:00:03.703Z"),
                [1800, 220, 2000, 0],
            ),
            rec(
                2,
                Some("chat"),
                Some("m1"),
                Some("2026-01-01T00:59:59Z"),
                [1900, 221, 2000, 0],
            ),
            rec(
                3,
                Some("chat"),
                Some("m1"),
                Some("2026-01-02T00:10:00Z"),
                [1810, 221, 2000, 0],
            ),
            rec(
                4,
                Some("sum"),
                Some("m2"),
                Some("2026-01-01T05:00:00Z"),
                [3100, 250, 0, 1200],
            ),
            rec(5, Some("sum"), Some("m2"), None, [3, 4, 0, 0]),
            rec(6, None, None, Some("not a time"), [3, 4, 0, 0]),
            rec(7, Some(""), Some(""), None, [3, 5, 0, 0]),
        ]
    }

    #[test]
    fn add_groups_records_by_cell() {
        let mut a = Aggregate::new();
        for r in sample() {
            a.add(&r);
        }
        assert_eq!(a.records(), 7);
        let cells = a.cells();
        let chat = Cell {
            class: Some("chat".into()),
            model: Some("m1".into()),
            hour: Some(0),
            buckets: [1792, 208, 1920, 0],
        };
        let s = cells[&chat];
        assert_eq!(s.records, 3);
        assert_eq!(s.tokens, [5510, 662, 6000, 0]);
        assert_eq!(s.first_ms, time::parse_ms("2026-01-01T00:00:03.703Z"));
        assert_eq!(s.last_ms, time::parse_ms("2026-01-02T00:10:00Z"));
        assert_eq!(s.line, 1);
        // No class, no model, no (parseable) timestamp: one cell; "" is none.
        let none = Cell {
            class: None,
            model: None,
            hour: None,
            buckets: [3, 4, 0, 0],
        };
        assert_eq!(cells[&none].records, 1);
        assert_eq!(cells.len(), 5);
        assert_eq!(a.first_ms(), time::parse_ms("2026-01-01T00:00:03.703Z"));
        // Sorted: no class first, then "chat", "sum"; within "sum" no hour first.
        let rows = a.rows();
        assert_eq!(rows[0].class, None);
        assert_eq!(rows[2].class, Some("chat"));
        assert_eq!((rows[3].class, rows[3].hour), (Some("sum"), None));
        assert_eq!((rows[4].class, rows[4].hour), (Some("sum"), Some(5)));
    }

    #[test]
    fn merge_equals_one_pass() {
        let recs = sample();
        let mut one = Aggregate::new();
        for r in &recs {
            one.add(r);
        }
        for split in 0..=recs.len() {
            let (mut a, mut b) = (Aggregate::new(), Aggregate::new());
            for r in &recs[..split] {
                a.add(r);
            }
            for r in &recs[split..] {
                b.add(r);
            }
            // Merged either way round.
            let mut ab = a.clone();
            assert!(ab.merge(b.clone()));
            assert!(b.merge(a));
            assert_eq!(ab.cells(), one.cells(), "{split}");
            assert_eq!(b.cells(), one.cells(), "{split}");
        }
    }

    #[test]
    fn a_merge_that_overflows_a_cell_says_so() {
        let stats = CellStats {
            records: u64::MAX / 2 + 1,
            tokens: [0; 4],
            first_ms: None,
            last_ms: None,
            line: 2,
        };
        let mut a = Aggregate::new();
        assert!(a.add_cell(Some("chat"), None, None, [0; 4], &stats));
        let mut b = Aggregate::new();
        assert!(b.add_cell(Some("other"), None, None, [0; 4], &stats));
        // Different cells: no sum grows.
        assert!(a.clone().merge(b));
        // The same cell twice: 2^64 records do not fit.
        assert!(!a.merge(a.clone()));
    }

    fn round_trip(name: &str) {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Aggregate::new();
        for r in sample() {
            a.add(&r);
        }
        // A class with a comma, a quote and a newline.
        a.add(&rec(
            8,
            Some("a,\"b\"\nc"),
            Some("m"),
            Some("2026-03-01T23:00:00Z"),
            [100_000, 9_000_000, 0, 0],
        ));
        let p = dir.path().join(name);
        let f = File::create(&p).unwrap();
        if name.ends_with(".parquet") {
            a.write_parquet(f).unwrap();
        } else {
            a.write_csv(f).unwrap();
        }
        let back = read_aggregate(&p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.rows, a.len() as u64);
        // Lines/rows differ (file positions); everything else is the same.
        let strip = |m: BTreeMap<Cell, CellStats>| -> Vec<(Cell, CellStats)> {
            m.into_iter()
                .map(|(c, mut s)| {
                    s.line = 0;
                    if c.hour.is_none() {
                        (s.first_ms, s.last_ms) = (None, None);
                    }
                    (c, s)
                })
                .collect()
        };
        assert_eq!(strip(back.data.cells()), strip(a.cells()));
        // Written again, the same bytes.
        let p2 = dir.path().join(format!("again-{name}"));
        if name.ends_with(".parquet") {
            back.data.write_parquet(File::create(&p2).unwrap()).unwrap();
        } else {
            back.data.write_csv(File::create(&p2).unwrap()).unwrap();
        }
        assert_eq!(std::fs::read(&p).unwrap(), std::fs::read(&p2).unwrap());
    }

    #[test]
    fn csv_round_trip() {
        round_trip("a.csv");
    }

    #[test]
    fn parquet_round_trip() {
        round_trip("a.parquet");
    }

    /// A Parquet file as Athena or DuckDB may write it: columns in another
    /// order, INT32 counts, timestamps as TIMESTAMP(MILLIS) columns.
    fn typed_parquet(path: &Path, hour: [i32; 2]) {
        use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
        use parquet::file::properties::WriterProperties;
        use parquet::file::writer::SerializedFileWriter;
        let schema = "message m {
            REQUIRED INT32 records;
            OPTIONAL BYTE_ARRAY class (UTF8);
            OPTIONAL BYTE_ARRAY model (UTF8);
            OPTIONAL INT32 hour;
            REQUIRED INT32 input_bucket;
            REQUIRED INT32 output_bucket;
            REQUIRED INT32 cache_read_bucket;
            REQUIRED INT32 cache_write_bucket;
            REQUIRED INT64 input_tokens;
            REQUIRED INT64 output_tokens;
            REQUIRED INT64 cache_read_tokens;
            REQUIRED INT64 cache_write_tokens;
            OPTIONAL INT64 first_timestamp (TIMESTAMP_MILLIS);
            OPTIONAL INT64 last_timestamp (TIMESTAMP_MILLIS);
        }";
        let schema = Arc::new(parquet::schema::parser::parse_message_type(schema).unwrap());
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
                .build(),
        );
        let mut w = SerializedFileWriter::new(File::create(path).unwrap(), schema, props).unwrap();
        let mut g = w.next_row_group().unwrap();
        let t0 = time::parse_ms("2026-01-01T03:00:00Z").unwrap();
        let ints32: [Vec<i32>; 8] = [
            vec![2, 1],
            vec![],
            vec![],
            hour.to_vec(),
            vec![1792, 12],
            vec![208, 3],
            vec![0, 0],
            vec![0, 0],
        ];
        let mut i = 0;
        while let Some(mut c) = g.next_column().unwrap() {
            match i {
                1 | 2 => {
                    let v = [ByteArray::from("chat"), ByteArray::from("m")];
                    c.typed::<ByteArrayType>()
                        .write_batch(&v[i - 1..i], Some(&[1, 0]), None)
                        .unwrap();
                }
                3 => {
                    c.typed::<Int32Type>()
                        .write_batch(&ints32[3], Some(&[1, 1]), None)
                        .unwrap();
                }
                0 | 4..=7 => {
                    c.typed::<Int32Type>()
                        .write_batch(&ints32[i], None, None)
                        .unwrap();
                }
                8..=11 => {
                    let v: [[i64; 2]; 4] = [[3600, 12], [430, 3], [0, 0], [0, 0]];
                    c.typed::<Int64Type>()
                        .write_batch(&v[i - 8], None, None)
                        .unwrap();
                }
                _ => {
                    let v = [t0 + 1, t0 + 3_599_999];
                    c.typed::<Int64Type>()
                        .write_batch(&v, Some(&[1, 1]), None)
                        .unwrap();
                }
            }
            c.close().unwrap();
            i += 1;
        }
        g.close().unwrap();
        w.close().unwrap();
    }

    #[test]
    fn parquet_as_other_tools_write_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("athena.parquet");
        typed_parquet(&p, [3, 3]);
        let a = read_aggregate(&p).unwrap_or_else(|e| panic!("{e}"));
        let cells = a.data.cells();
        assert_eq!(cells.len(), 2);
        let chat = Cell {
            class: Some("chat".into()),
            model: Some("m".into()),
            hour: Some(3),
            buckets: [1792, 208, 0, 0],
        };
        let s = cells[&chat];
        assert_eq!((s.records, s.tokens, s.line), (2, [3600, 430, 0, 0], 1));
        let t0 = time::parse_ms("2026-01-01T03:00:00Z").unwrap();
        assert_eq!((s.first_ms, s.last_ms), (Some(t0 + 1), Some(t0 + 1)));
        // A bad value is named by its row, 1-based.
        typed_parquet(&p, [3, 4]);
        let e = read_aggregate(&p).unwrap_err().to_string();
        assert!(
            e.contains(": row 2: column first_timestamp:")
                && e.contains("not in the row's hour (4)"),
            "{e}"
        );
    }

    const HEADER: &str = "class,model,hour,input_bucket,output_bucket,cache_read_bucket,cache_write_bucket,records,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,first_timestamp,last_timestamp\n";

    #[test]
    fn rows_beyond_the_limit_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        let row = "c,m,,1,1,0,0,1,1,1,0,0,,\n";
        std::fs::write(&p, format!("{HEADER}{}", row.repeat(4))).unwrap();
        assert_eq!(read_limited(&p, 4).unwrap().rows, 4);
        let e = read_limited(&p, 3).unwrap_err().to_string();
        assert!(e.contains("more than 3 rows"), "{e}");
        // Parquet: from the footer, before any row is read.
        let mut a = Aggregate::new();
        for r in sample() {
            a.add(&r);
        }
        let q = dir.path().join("a.parquet");
        a.write_parquet(File::create(&q).unwrap()).unwrap();
        let e = read_limited(&q, 2).unwrap_err().to_string();
        assert!(e.contains("5 rows (as its footer says)"), "{e}");
    }

    #[test]
    fn page_headers_are_walked_before_any_page_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.parquet");
        typed_parquet(&p, [3, 3]);
        let q = dir.path().join("b.parquet");
        let mut a = Aggregate::new();
        for r in sample() {
            a.add(&r);
        }
        a.write_parquet(File::create(&q).unwrap()).unwrap();
        for f in [&p, &q] {
            // Every page header of both writers' files parses: the files read.
            read_parquet(f, MAX_ROWS, MAX_PAGE_BYTES).unwrap();
            // A page claiming more than the cap is refused before it is read.
            let e = read_parquet(f, MAX_ROWS, 8).unwrap_err().to_string();
            assert!(
                e.contains("row group 1 column ")
                    && e.contains("bytes decompressed, more than the 8"),
                "{e}"
            );
        }
    }

    #[test]
    fn repeated_cells_add_up_and_overflow_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        let row = "c,m,,1,1,0,0,1,1,1,0,0,,\n";
        std::fs::write(&p, format!("{HEADER}{row}{row}")).unwrap();
        let a = read_aggregate(&p).unwrap();
        assert_eq!((a.rows, a.data.len(), a.data.records()), (2, 1, 2));
        let big = format!("c,m,,0,0,0,0,{},0,0,0,0,,\n", u64::MAX);
        std::fs::write(&p, format!("{HEADER}{big}{big}")).unwrap();
        let e = read_aggregate(&p).unwrap_err().to_string();
        assert!(e.contains(":3: ") && e.contains("overflow"), "{e}");
    }
}
