//! Logs of real LLM traffic: streaming readers, a fitter, and a generator of
//! synthetic logs.
//!
//! Why: a scenario's traffic classes are assumptions until they are checked
//! against what the product actually sends. Bedrock's model invocation logs
//! carry every call's token counts; [`read_log`] streams them (or a plain CSV or
//! JSONL export from another gateway) record by record, in constant memory, so a
//! month of traffic can be replayed or summarized; [`fit`] turns a log into
//! `[[traffic]]` tables; [`generate`] writes synthetic logs from a scenario, for
//! tests, benchmarks and examples.
//!
//! Formats ([`LogFormat`]) are detected from the content, after decompressing
//! gzip (detected by its magic bytes, not by the file name): a JSON line with
//! `schemaType`/`modelId` is a Bedrock invocation log (also in CloudWatch's
//! export form, a timestamp before each record), another JSON line is plain
//! JSONL, anything else is CSV with a header. See [`bedrock`] and [`plain`] for
//! the fields read. An aggregated traffic file (records summarized by cell, CSV
//! or Parquet, see [`aggregate`]) is detected too ([`LogFormat::Aggregate`]),
//! and read by its own reader, not record by record.
//!
//! A record that cannot be used is a [`BadKind`]. By default the first one stops
//! the read with an [`InputError`] naming the file and line; with
//! `skip_bad_lines` it is counted in the [`LogSummary`] instead.

pub mod aggregate;
pub mod bedrock;
mod de;
pub mod fit;
pub mod generate;
pub mod limits;
pub mod par;
pub mod plain;
pub mod time;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use flate2::bufread::MultiGzDecoder;

use crate::input::InputError;

/// The most tokens one field of one record may hold: no Bedrock model reads or
/// writes more in one call (the largest context windows are about 1M tokens), so
/// a larger count is a corrupt record.
pub use crate::units::MAX_CALL_TOKENS as MAX_TOKENS;

/// Size of the read buffers: large enough that a read is a few syscalls per MB.
const BUF_BYTES: usize = 1 << 17;

/// The first bytes of a log (decompressed) that tell a binary file from text.
const HEAD_BYTES: usize = 8192;

/// The format of a log file, as detected from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// Amazon Bedrock model invocation log records, one JSON object per line
    /// (also with CloudWatch's export prefix).
    Bedrock,
    /// Plain CSV with a header (see [`plain`]).
    Csv,
    /// Plain JSON Lines (see [`plain`]).
    Jsonl,
    /// An aggregated traffic file: records summarized by cell, CSV or Parquet
    /// (see [`aggregate`]). Read by [`aggregate::read_aggregate`], not record
    /// by record.
    Aggregate,
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogFormat::Bedrock => "Bedrock invocation log",
            LogFormat::Csv => "CSV",
            LogFormat::Jsonl => "JSONL",
            LogFormat::Aggregate => "aggregated traffic file",
        })
    }
}

/// One logged call, borrowing from the line it was read from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record<'a> {
    /// The file's place in the log, from 0: a log read from a folder or a glob
    /// pattern is several files, in path order (see [`par::log_files`]).
    pub file: u32,
    /// 1-based line in the (decompressed) file.
    pub line: u64,
    /// The traffic class: the class field (`LogOptions::class_field`) or the
    /// `class` column; `None` where the format has none and none was asked for.
    pub class: Option<&'a str>,
    /// Bedrock's `modelId`, or the optional `model` column of CSV/JSONL.
    pub model: Option<&'a str>,
    /// The record's timestamp, as written.
    pub timestamp: Option<&'a str>,
    /// Uncached input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write: u64,
    /// The call's latency, ms, where logged.
    pub latency_ms: Option<f64>,
}

/// How to read a log.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogOptions<'a> {
    /// Where the class is: a dotted path into a JSON record (e.g.
    /// `requestMetadata.feature`) or a CSV column name. When set, a record
    /// without it is bad ([`BadKind::MissingField`]).
    pub class_field: Option<&'a str>,
    /// Count bad records by kind and go on, instead of stopping at the first.
    pub skip_bad_lines: bool,
    /// A record without the class field has no class (`Record::class` is
    /// `None`) instead of being bad: `simroute aggregate` keeps every record,
    /// and the empty class is refused, or not, where the file is used.
    pub class_optional: bool,
}

/// Why a record was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BadKind {
    /// Not valid JSON or CSV, not a model invocation record, a count that is not
    /// a whole number, an unknown key.
    Malformed,
    /// A required field is missing: one of the two token counts, or the class
    /// field.
    MissingField,
    /// Neither input nor output token counts.
    NoTokenCounts,
    /// A negative token count.
    NegativeCount,
    /// A token count above [`MAX_TOKENS`].
    AbsurdCount,
    /// The record's class is not one of the scenario's (rejected by the caller).
    UnknownClass,
    /// The record's model is not in the pricing table (rejected by the caller).
    UnpricedModel,
}

impl fmt::Display for BadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BadKind::Malformed => "malformed line",
            BadKind::MissingField => "missing field",
            BadKind::NoTokenCounts => "no token counts",
            BadKind::NegativeCount => "negative count",
            BadKind::AbsurdCount => "absurd count",
            BadKind::UnknownClass => "class not in the scenario",
            BadKind::UnpricedModel => "model not in the pricing table",
        })
    }
}

/// A record that cannot be used: its kind and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    /// The kind, counted in [`LogSummary::skipped`].
    pub kind: BadKind,
    /// What is wrong, without the file and line.
    pub message: String,
}

impl Reject {
    /// A reject of `kind`.
    pub fn new(kind: BadKind, message: impl Into<String>) -> Reject {
        Reject {
            kind,
            message: message.into(),
        }
    }
}

/// What a read saw.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSummary {
    /// The log read, as given: a file, a folder or a glob pattern.
    pub path: PathBuf,
    /// The files it is made of (1 for a file).
    pub files: usize,
    /// Its format.
    pub format: LogFormat,
    /// Whether it was gzip-compressed.
    pub gzip: bool,
    /// Records read (blank lines and a CSV header are not records).
    pub read: u64,
    /// Records used: read minus skipped.
    pub used: u64,
    /// Records skipped, by kind (only with `skip_bad_lines`).
    pub skipped: BTreeMap<BadKind, u64>,
    /// The earliest timestamp of a used record, among those that parse as
    /// ISO-8601 UTC (see [`time::parse_ms`]).
    pub first_timestamp: Option<String>,
    /// The latest such timestamp.
    pub last_timestamp: Option<String>,
}

impl LogSummary {
    /// Records skipped, all kinds.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// One line: "logs/x.jsonl: 5000 records read, 4990 used, 10 skipped (7
    /// malformed line, 3 no token counts)".
    pub fn describe(&self) -> String {
        let files = if self.files > 1 {
            format!(" ({} files)", fit::group(self.files as u64))
        } else {
            String::new()
        };
        let mut s = format!(
            "{}{files}: {} read, {} used, {} skipped",
            self.path.display(),
            fit::counted(self.read, "record"),
            self.used,
            self.skipped_total()
        );
        if !self.skipped.is_empty() {
            let parts: Vec<String> = self
                .skipped
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            s.push_str(&format!(" ({})", parts.join(", ")));
        }
        s
    }

    /// Seconds between the first and the last timestamp, where both are known.
    pub fn span_s(&self) -> Option<f64> {
        let a = time::parse_ms(self.first_timestamp.as_deref()?)?;
        let b = time::parse_ms(self.last_timestamp.as_deref()?)?;
        Some((b - a) as f64 / 1000.0)
    }
}

/// Counts and timestamps as records go by, and the decision on bad ones: one
/// per piece of a log read in parallel, merged in log order ([`Tally::merge`]).
#[derive(Debug, Default)]
struct Tally {
    read: u64,
    used: u64,
    skipped: BTreeMap<BadKind, u64>,
    first: Option<i64>,
    last: Option<i64>,
    first_text: String,
    last_text: String,
}

impl Tally {
    /// Notes a used record's timestamp.
    #[inline]
    fn timestamp(&mut self, ts: Option<&str>) {
        let Some(ts) = ts else { return };
        let Some(ms) = time::parse_ms(ts) else { return };
        if self.first.is_none_or(|f| ms < f) {
            self.first = Some(ms);
            self.first_text.clear();
            self.first_text.push_str(ts);
        }
        if self.last.is_none_or(|l| ms > l) {
            self.last = Some(ms);
            self.last_text.clear();
            self.last_text.push_str(ts);
        }
    }

    /// Counts a record of `path`; a bad one is an error unless `skip`.
    #[inline]
    fn outcome(
        &mut self,
        path: &Path,
        skip: bool,
        line: u64,
        r: Result<(), Reject>,
    ) -> Result<(), InputError> {
        self.read += 1;
        match r {
            Ok(()) => {
                self.used += 1;
                Ok(())
            }
            Err(rej) if skip => {
                *self.skipped.entry(rej.kind).or_insert(0) += 1;
                Ok(())
            }
            Err(rej) => Err(InputError::line(
                path,
                line,
                format!(
                    "{}: {} (or pass --skip-bad-lines to skip such records)",
                    rej.kind, rej.message
                ),
            )),
        }
    }

    /// Adds the tally of the piece that follows this one in the log: the same
    /// counts and timestamps as one tally over both (an earlier timestamp wins
    /// a tie, as it does record by record).
    fn merge(&mut self, o: Tally) {
        self.read += o.read;
        self.used += o.used;
        for (k, n) in o.skipped {
            *self.skipped.entry(k).or_insert(0) += n;
        }
        if let Some(f) = o.first
            && self.first.is_none_or(|s| f < s)
        {
            self.first = Some(f);
            self.first_text = o.first_text;
        }
        if let Some(l) = o.last
            && self.last.is_none_or(|s| l > s)
        {
            self.last = Some(l);
            self.last_text = o.last_text;
        }
    }

    fn summary(
        self,
        path: &Path,
        files: usize,
        format: LogFormat,
        gzip: bool,
    ) -> Result<LogSummary, InputError> {
        if self.read == 0 {
            return Err(InputError::file(
                path,
                format!("the log has no records (read as {format})"),
            ));
        }
        let s = LogSummary {
            path: path.to_path_buf(),
            files,
            format,
            gzip,
            read: self.read,
            used: self.used,
            skipped: self.skipped,
            first_timestamp: self.first.map(|_| self.first_text),
            last_timestamp: self.last.map(|_| self.last_text),
        };
        if s.used == 0 {
            return Err(InputError::file(
                path,
                format!("no usable record: {}", s.describe()),
            ));
        }
        Ok(s)
    }
}

/// A log file opened for reading, decompressed if it is gzip.
struct Source<'p> {
    path: &'p Path,
    gzip: bool,
    reader: Box<dyn BufRead + Send + 'p>,
}

impl<'p> Source<'p> {
    fn open(path: &'p Path) -> Result<Self, InputError> {
        let limits = limits::Limits::from_env().map_err(|e| InputError::file(path, e))?;
        let file = crate::infile::open(path)?;
        let count = Arc::new(AtomicU64::new(0));
        let mut raw = BufReader::with_capacity(
            BUF_BYTES,
            limits::Counting {
                inner: file,
                count: count.clone(),
            },
        );
        let head = raw
            .fill_buf()
            .map_err(|e| InputError::file(path, format!("cannot read the file: {e}")))?;
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        // Every byte, decompressed or not, passes the line-length guard; gzip
        // output also the ratio guard (see [`limits`]).
        let reader: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(
                BUF_BYTES,
                limits::Guard::new(MultiGzDecoder::new(raw), limits, Some(count)),
            ))
        } else {
            Box::new(BufReader::with_capacity(
                BUF_BYTES,
                limits::Guard::new(raw, limits, None),
            ))
        };
        let mut src = Source { path, gzip, reader };
        // What the log holds, decompressed: the same first bytes whether the file
        // is gzip or not (a gzip of a binary file is no more a log than the
        // binary file is, and says so in the same words). Read apart and put
        // back in front of the rest.
        let mut head = Vec::with_capacity(HEAD_BYTES);
        let read = (&mut src.reader)
            .take(HEAD_BYTES as u64)
            .read_to_end(&mut head);
        read.map_err(|e| src.io_error(&e, 1))?;
        if let Some(what) = crate::infile::binary_kind(&head) {
            return Err(InputError::file(
                path,
                format!("this is {what}, not a log: {LOG_FORMATS}"),
            ));
        }
        let rest = std::mem::replace(&mut src.reader, Box::new(io::empty()));
        src.reader = Box::new(io::Cursor::new(head).chain(rest));
        src.skip_bom()?;
        Ok(src)
    }

    /// Drops a UTF-8 byte order mark at the start (Excel and some exporters
    /// write one), which would otherwise hide the first line's format.
    fn skip_bom(&mut self) -> Result<(), InputError> {
        let bom = match self.reader.fill_buf() {
            Ok(head) => Ok(head.starts_with(b"\xEF\xBB\xBF")),
            Err(e) => Err(e),
        };
        if bom.map_err(|e| self.io_error(&e, 1))? {
            self.reader.consume(3);
        }
        Ok(())
    }

    /// The error for a failed read while reading line `line`.
    fn io_error(&self, e: &io::Error, line: u64) -> InputError {
        let msg = if let Some(limit) = limits::limit_message(e) {
            limit
        } else if self.gzip {
            format!("not a gzip file or corrupt: {e}")
        } else {
            format!("cannot read the file: {e}")
        };
        if line <= 1 {
            InputError::file(self.path, msg)
        } else {
            InputError::line(self.path, line, msg)
        }
    }

    /// Reads the next line (with its `\n`) into `buf`; 0 at the end.
    #[inline]
    fn read_line(&mut self, buf: &mut Vec<u8>, line: u64) -> Result<usize, InputError> {
        self.reader
            .read_until(b'\n', buf)
            .map_err(|e| self.io_error(&e, line))
    }
}

/// The file at `path` as text, decompressed if it is gzip, through the same
/// guards as a log (line length, gzip ratio, binary files refused); and
/// whether it was gzip.
pub(crate) fn open_text(path: &Path) -> Result<(Box<dyn BufRead + '_>, bool), InputError> {
    let src = Source::open(path)?;
    Ok((src.reader, src.gzip))
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// The line without its trailing `\r\n` / `\n`.
#[inline]
fn trim_end(line: &[u8]) -> &[u8] {
    let mut n = line.len();
    while n > 0 && (line[n - 1] == b'\n' || line[n - 1] == b'\r') {
        n -= 1;
    }
    &line[..n]
}

/// What a log is, for a message about a file that is not one.
const LOG_FORMATS: &str = "a log is a Bedrock model invocation log, or a CSV or JSON Lines \
     file, gzip or not (see scenarios/README.md §2.8)";

/// The format of a file whose first non-blank line is `first`.
fn detect_line(path: &Path, first: &[u8]) -> Result<LogFormat, InputError> {
    if crate::infile::looks_like_toml(trim_end(first)) {
        return Err(InputError::file(
            path,
            format!(
                "this looks like a TOML file (a scenario or pricing table?), not a log: {LOG_FORMATS}"
            ),
        ));
    }
    let (_, json) = bedrock::split_prefix(first);
    let t = trim_end(json);
    if t.first() == Some(&b'{') || t.first() == Some(&b'[') {
        let trimmed: Vec<u8> = t
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if trimmed == b"{" || trimmed.first() == Some(&b'[') {
            return Err(InputError::file(
                path,
                "the file looks like pretty-printed JSON or a JSON array; simroute reads one JSON record per line (JSON Lines): convert it with `jq -c '.[]'` (an array) or `jq -c .` (pretty-printed records)",
            ));
        }
        return Ok(if bedrock::looks_like_bedrock(t) {
            LogFormat::Bedrock
        } else {
            LogFormat::Jsonl
        });
    }
    let fields = aggregate::header_fields(first);
    let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
    if aggregate::is_header(&refs) {
        return Ok(LogFormat::Aggregate);
    }
    Ok(LogFormat::Csv)
}

/// The format of a log file, detected from its content (after gzip).
pub fn detect(path: &Path) -> Result<LogFormat, InputError> {
    if aggregate::sniff(path)? == Some(aggregate::Kind::Parquet) {
        return Ok(LogFormat::Aggregate);
    }
    let mut src = Source::open(path)?;
    let mut buf = Vec::new();
    let mut line = 0;
    loop {
        buf.clear();
        if src.read_line(&mut buf, line + 1)? == 0 {
            return Err(InputError::file(path, "the log is empty: nothing to read"));
        }
        line += 1;
        if !is_blank(&buf) {
            return detect_line(path, &buf);
        }
    }
}

pub use par::{LogFiles, fold_log, log_files, read_log};

/// What a failed read of a CSV file (a log or an aggregate) says: a limit
/// of [`limits`], a broken gzip stream, another I/O error, or bad CSV.
pub(crate) fn csv_error(e: &csv::Error, gzip: bool) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => match limits::limit_message(io) {
            Some(limit) => limit,
            None if gzip => format!("not a gzip file or corrupt: {io}"),
            None => format!("cannot read the file: {io}"),
        },
        _ => format!("not valid CSV: {e}"),
    }
}

fn read_csv(
    path: &Path,
    reader: impl Read,
    class: Option<&bedrock::ClassPath>,
    gzip: bool,
    skip: bool,
    tally: &mut Tally,
    f: &mut impl FnMut(&Record) -> Result<(), Reject>,
) -> Result<(), InputError> {
    let class_field = class.map(|c| c.field.as_str());
    let runs = Rc::new(RefCell::new(plain::Runs::default()));
    let mut csv = plain::csv_reader(plain::LineCounter {
        inner: reader,
        runs: runs.clone(),
    });
    let mut rec = csv::ByteRecord::new();
    let mut cols = None;
    let mut line = 0u64;
    loop {
        match csv.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // The error is in the record after the last one read.
                return Err(InputError::line(path, line + 1, csv_error(&e, gzip)));
            }
        }
        line = runs
            .borrow_mut()
            .line_of(rec.position().map_or(0, |p| p.byte()));
        // Blank lines are not records (the csv crate skips empty ones; a line of
        // spaces is one blank field).
        if rec.len() == 1 && is_blank(&rec[0]) {
            continue;
        }
        let Some(c) = &cols else {
            let mut c = plain::Columns::new(&rec, class_field, path, line)?;
            c.class_optional = class.is_some_and(|c| c.optional);
            cols = Some(c);
            continue;
        };
        let r = plain::parse_csv_record(&rec, line, c, class_field, |r| {
            f(r)?;
            tally.timestamp(r.timestamp);
            Ok(())
        });
        tally.outcome(path, skip, line, r)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn lines_of(path: &Path) -> Vec<(u64, Option<String>, u64)> {
        let mut v = Vec::new();
        read_log(path, &LogOptions::default(), |r| {
            v.push((r.line, r.class.map(str::to_string), r.input));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        v
    }

    #[test]
    fn csv_records_get_their_file_lines() {
        // A quoted class over two lines, CRLF, blank lines before the header and
        // between records, a last line without a newline.
        let dir = tempfile::tempdir().unwrap();
        let text = "\r\n\r\nclass,input_tokens,output_tokens\r\n\"two\r\nlines\",1,1\r\n\r\n\r\nb,2,1\r\n   \r\nc,3,1";
        let p = write(&dir, "a.csv", text);
        assert_eq!(
            lines_of(&p),
            [
                (4, Some("two\r\nlines".to_string()), 1),
                (8, Some("b".into()), 2),
                (10, Some("c".into()), 3)
            ]
        );
        let p = write(&dir, "b.csv", &text.replace("\r\n", "\n"));
        assert_eq!(
            lines_of(&p)[1..],
            [(8, Some("b".into()), 2), (10, Some("c".into()), 3)]
        );
    }

    #[test]
    fn csv_line_numbers_survive_the_readers_buffer() {
        // Far more than the csv reader's 64 KB read-ahead.
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("input_tokens,output_tokens\n");
        for i in 0..50_000 {
            text.push_str(&format!("{i},1\n"));
            if i % 7 == 0 {
                text.push('\n');
            }
        }
        let p = write(&dir, "big.csv", &text);
        let got = lines_of(&p);
        let mut line = 1;
        for (i, (l, _, input)) in got.iter().enumerate() {
            line += 1;
            assert_eq!((*l, *input), (line, i as u64));
            if i % 7 == 0 {
                line += 1;
            }
        }
    }

    #[test]
    fn json_line_numbers_survive_the_readers_buffer() {
        // Lines cut by the 128 KB buffer are copied; numbering is unchanged.
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::new();
        let pad = "x".repeat(3000);
        for i in 0..300 {
            text.push_str(&format!(
                "{{\"class\":\"{pad}\",\"input_tokens\":{i},\"output_tokens\":1}}\n\n"
            ));
        }
        let p = write(&dir, "a.jsonl", &text);
        let got = lines_of(&p);
        assert_eq!(got.len(), 300);
        for (i, (l, _, input)) in got.iter().enumerate() {
            assert_eq!((*l, *input), (2 * i as u64 + 1, i as u64));
        }
    }

    #[test]
    fn formats_are_detected_from_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "x.csv",
                "\n{\"schemaType\":\"ModelInvocationLog\"}\n",
                LogFormat::Bedrock,
            ),
            (
                "x.txt",
                "{\"modelId\":\"m\",\"input\":{}}\n",
                LogFormat::Bedrock,
            ),
            (
                "y.json",
                "{\"input_tokens\":1,\"output_tokens\":2}\n",
                LogFormat::Jsonl,
            ),
            (
                "z.jsonl",
                "input_tokens,output_tokens\n1,2\n",
                LogFormat::Csv,
            ),
            (
                "w.log",
                "2026-01-15T12:00:00.000Z {\"schemaType\":\"ModelInvocationLog\"}\n",
                LogFormat::Bedrock,
            ),
        ];
        for (name, text, want) in cases {
            assert_eq!(detect(&write(&dir, name, text)).unwrap(), want, "{name}");
        }
        let gz = dir.path().join("plain-name.csv");
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        std::io::Write::write_all(&mut enc, b"{\"input_tokens\":1,\"output_tokens\":2}\n").unwrap();
        enc.finish().unwrap();
        assert_eq!(detect(&gz).unwrap(), LogFormat::Jsonl);
    }

    #[test]
    fn counts_are_checked_with_the_fields_name() {
        use de::Count;
        assert_eq!(Count::parse(" 12 ").check("f"), Ok(Some(12)));
        assert_eq!(Count::parse("").check("f"), Ok(None));
        assert_eq!(Count::parse("12.0").check("f"), Ok(Some(12)));
        let kind = |c: Count| c.check("f").unwrap_err().kind;
        assert_eq!(kind(Count::parse("-3")), BadKind::NegativeCount);
        assert_eq!(kind(Count::parse("12.5")), BadKind::Malformed);
        assert_eq!(kind(Count::parse("twelve")), BadKind::Malformed);
        assert_eq!(kind(Count::parse("10000001")), BadKind::AbsurdCount);
        assert_eq!(Count::parse("10000000").check("f"), Ok(Some(MAX_TOKENS)));
        let m = Count::parse("-3")
            .check("input_tokens")
            .unwrap_err()
            .message;
        assert!(m.starts_with("input_tokens is -3"), "{m}");
    }

    #[test]
    fn summary_describes_itself_in_one_line() {
        let s = LogSummary {
            path: PathBuf::from("logs/x.jsonl"),
            files: 1,
            format: LogFormat::Jsonl,
            gzip: false,
            read: 5000,
            used: 4990,
            skipped: BTreeMap::from([(BadKind::NoTokenCounts, 3), (BadKind::Malformed, 7)]),
            first_timestamp: None,
            last_timestamp: None,
        };
        assert_eq!(
            s.describe(),
            "logs/x.jsonl: 5,000 records read, 4990 used, 10 skipped (7 malformed line, 3 no token counts)"
        );
        assert_eq!(s.skipped_total(), 10);
    }
}
