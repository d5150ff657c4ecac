//! Measured inputs: the logs and the eval set a scenario names, read once and
//! kept in the compact form the engine needs.
//!
//! - A log's records are grouped by traffic class. For bootstrap replay each keeps
//!   only its four token counts (16 bytes); exact replay keeps nothing and streams
//!   the file again when it runs, so memory does not grow with the log. An
//!   aggregated traffic file keeps one entry per cell (its mean counts) and the
//!   cells' cumulative records, drawn by weight; it cannot be replayed exactly.
//! - The log's own models and token counts give the "as logged" cost: what the
//!   traffic cost as it ran, priced by the table. Cost is linear in tokens, so
//!   per-model token sums (u128) price it exactly.
//! - An eval set's rows are checked against the scenario's models and classes,
//!   then grouped by example, each example's outcomes across models kept together
//!   (so a cascade sees how often both tiers are right on the same request).
//!
//! Reading happens here, before validation, so that validation stays pure and a
//! sweep's variants reuse what was read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::format::{Replay, ScenarioFile};
use crate::engine::histogram::LatencyHistogram;
use crate::eval::{EvalFile, EvalFormat, EvalOptions, Examples, read_eval};
use crate::input::{InputError, Invalid, KeyPath, did_you_mean};
use crate::logs::{BadKind, LogOptions, LogSummary, Record, Reject, fold_log};
use crate::pricing::PriceTable;

/// Command-line options that change how measured inputs are read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// `--traffic-log`: the whole mix comes from this log.
    pub traffic_log: Option<PathBuf>,
    /// `--class-field`: the field of `--traffic-log` that holds the class.
    pub class_field: Option<String>,
    /// `--skip-bad-lines`: skip and count bad records instead of stopping.
    pub skip_bad_lines: bool,
    /// `--replay`: overrides `scenario.replay`.
    pub replay: Option<Replay>,
    /// `validate`: read every log to check it, but keep no record in memory
    /// (the scenario is not simulated).
    pub check_only: bool,
}

/// One logged request's token counts, packed (16 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Logged {
    pub input: u32,
    pub output: u32,
    pub cache_read: u32,
    pub cache_write: u32,
}

/// The records of one class of a log.
#[derive(Debug, Clone, Default)]
pub struct ClassRecords {
    /// Records used.
    pub count: u64,
    /// Their token counts (bootstrap replay only; empty for exact replay). For
    /// an aggregated traffic file, one per cell: the cell's mean counts, each
    /// rounded to a whole token.
    pub records: Arc<[Logged]>,
    /// Empty for a raw log (every record is drawn with the same probability).
    /// For an aggregate, the cumulative records of the cells in `records`
    /// (`cumulative[i]` = records of cells `0..=i`): a cell is drawn with
    /// probability records / total.
    pub cumulative: Arc<[u64]>,
}

impl ClassRecords {
    /// No record to draw from (exact replay, or a scenario only checked).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Draws one record (a raw log's: uniformly) or cell (an aggregate's: with
    /// probability records / total, by one `random_range(0..total)` and a
    /// binary search in the cumulative records).
    #[inline]
    pub fn draw<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Logged {
        match self.cumulative.last() {
            None => self.records[rng.random_range(0..self.records.len())],
            Some(&total) => {
                let u = rng.random_range(0..total);
                self.records[self.cumulative.partition_point(|&c| c <= u)]
            }
        }
    }
}

/// Token sums of the records one model served.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelTokens {
    pub requests: u64,
    pub input: u128,
    pub output: u128,
    pub cache_read: u128,
    pub cache_write: u128,
    /// Their cost at the table's on-demand prices, femto-dollars.
    pub cost: u128,
}

impl ModelTokens {
    /// Adds `requests` records holding `tokens` (input, output, cache read,
    /// cache write) in all.
    fn add(&mut self, requests: u64, tokens: [u128; 4]) {
        self.requests += requests;
        self.input += tokens[0];
        self.output += tokens[1];
        self.cache_read += tokens[2];
        self.cache_write += tokens[3];
    }

    /// Prices the sums by `p`'s on-demand prices, as Bedrock bills each call:
    /// cache reads at `cache_read` and writes at `cache_write` (at `input` where
    /// the table has none), everything at `input` for a model without caching.
    fn price(&mut self, p: &crate::pricing::ModelPrice) {
        use crate::units::{femto_per_call, femto_per_token};
        let f = |v: f64| u128::from(femto_per_token(v));
        let input = f(p.input);
        let (read, write) = match p.cache_read {
            Some(r) => (f(r), p.cache_write.map(f).unwrap_or(input)),
            None => (input, input),
        };
        self.cost = self.input * input
            + self.output * p.output.map(f).unwrap_or(0)
            + self.cache_read * read
            + self.cache_write * write
            + self.requests as u128 * p.per_request.map(femto_per_call).unwrap_or(0);
    }
}

/// What a log's records say about the models that served them: token sums by
/// pricing key, and the records of models the table lacks or of none.
#[derive(Debug, Default)]
struct Models {
    by_model: BTreeMap<String, ModelTokens>,
    unpriced: BTreeMap<String, u64>,
    no_model: u64,
}

impl Models {
    /// Adds `requests` records of `model` holding `tokens` (input, output,
    /// cache read, cache write) in all.
    fn add(&mut self, table: &PriceTable, model: Option<&str>, requests: u64, tokens: [u128; 4]) {
        let Some(id) = model else {
            self.no_model += requests;
            return;
        };
        let Some(k) = price_key(table, id) else {
            *self.unpriced.entry(id.to_string()).or_default() += requests;
            return;
        };
        match self.by_model.get_mut(k) {
            Some(t) => t.add(requests, tokens),
            None => self
                .by_model
                .entry(k.to_string())
                .or_default()
                .add(requests, tokens),
        }
    }

    /// Adds another piece's.
    fn merge(&mut self, o: Models) {
        for (k, t) in o.by_model {
            let sums = [t.input, t.output, t.cache_read, t.cache_write];
            self.by_model.entry(k).or_default().add(t.requests, sums);
        }
        for (k, n) in o.unpriced {
            *self.unpriced.entry(k).or_default() += n;
        }
        self.no_model += o.no_model;
    }

    /// The sums priced: `(by_model, unpriced, no_model)` for a [`LogData`].
    fn priced(
        mut self,
        table: &PriceTable,
    ) -> (BTreeMap<String, ModelTokens>, BTreeMap<String, u64>, u64) {
        for (k, t) in &mut self.by_model {
            t.price(table.get(k).expect("price_key returns keys of the table"));
        }
        (self.by_model, self.unpriced, self.no_model)
    }
}

/// A log's classes by name, those without a usable record left out (validation
/// names them): `(count, records, cumulative)` by the index of `names`.
fn class_records(
    names: &[String],
    classes: Vec<(u64, Vec<Logged>, Vec<u64>)>,
) -> BTreeMap<String, ClassRecords> {
    names
        .iter()
        .zip(classes)
        .filter(|(_, (count, _, _))| *count > 0)
        .map(|(name, (count, records, cumulative))| {
            let records = ClassRecords {
                count,
                records: records.into(),
                cumulative: cumulative.into(),
            };
            (name.clone(), records)
        })
        .collect()
}

/// A log as read.
#[derive(Debug, Clone)]
pub struct LogData {
    /// The file, resolved against the scenario's folder.
    pub path: PathBuf,
    /// The field holding the class, if any.
    pub class_field: Option<String>,
    pub summary: LogSummary,
    /// Records by traffic class name.
    pub classes: BTreeMap<String, ClassRecords>,
    /// Token sums by the pricing key of the model that served them.
    pub by_model: BTreeMap<String, ModelTokens>,
    /// Records that name a model the pricing table lacks, by model id.
    pub unpriced: BTreeMap<String, u64>,
    /// Records that name no model.
    pub no_model: u64,
    /// Logged latency of the records that have one, ms.
    pub latency: LatencyHistogram,
    /// The digest of the used records, in order: an exact replay reads the log
    /// again and stops if it no longer matches.
    pub digest: Digest,
    /// Used records by UTC hour of day, of those whose timestamp parses: the
    /// daily profile of traffic over time (`[load]`).
    pub hours: [u64; 24],
}

/// An eval set as read, rows checked against the scenario.
#[derive(Debug, Clone)]
pub struct EvalData {
    pub path: PathBuf,
    pub format: EvalFormat,
    /// Rows read, and skipped by kind (the reader's kinds and ours).
    pub read: u64,
    pub skipped: BTreeMap<String, u64>,
    /// Examples with their outcomes, by the eval's model order.
    pub examples: Examples,
}

/// Everything a scenario's measured inputs hold.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub options: LoadOptions,
    /// Logs by (resolved path, class field).
    pub logs: Vec<Arc<LogData>>,
    pub eval: Option<Arc<EvalData>>,
}

impl Measured {
    /// The log read for `path` with `class_field`.
    pub fn log(&self, path: &Path, class_field: Option<&str>) -> Option<(usize, &Arc<LogData>)> {
        self.logs
            .iter()
            .enumerate()
            .find(|(_, l)| l.path == path && l.class_field.as_deref() == class_field)
    }
}

/// Applies the command line's `--traffic-log` to the file as parsed: every
/// traffic class comes from that log, with the log's mix.
pub fn apply_overrides(raw: &mut ScenarioFile, o: &LoadOptions) {
    if let Some(log) = &o.traffic_log {
        // The flag's path is relative to the working directory, not the scenario;
        // make it absolute so that joining it to `dir` keeps it.
        let abs = std::path::absolute(log).unwrap_or_else(|_| log.clone());
        for t in &mut raw.traffic {
            t.log = Some(abs.display().to_string());
            t.share = None;
            t.input_tokens = None;
            t.output_tokens = None;
            t.cached_prefix_tokens = None;
            t.cache_hit_rate = None;
            if o.class_field.is_some() {
                t.class_field = o.class_field.clone();
            }
        }
    }
}

/// Resolves a file named in the scenario against the scenario's folder.
pub fn resolve(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// The pricing key of a logged model id: the id itself, the id after an ARN's
/// last `/`, or without a cross-Region inference profile's geography prefix
/// (`us.`, `eu.`, `apac.`, `global.`, ...).
pub fn price_key<'a>(table: &'a PriceTable, model_id: &str) -> Option<&'a str> {
    let id = model_id.rsplit('/').next().unwrap_or(model_id);
    // The model itself, or the inference profile the id names where the
    // table prices it (`us.` Claude bills 10% above the base).
    if let Some(m) = table.get(id) {
        return Some(&m.key);
    }
    let (geo, rest) = id.split_once('.')?;
    if ["us", "eu", "apac", "global", "us-gov", "ca", "jp", "au"].contains(&geo) {
        table.models.get_key_value(rest).map(|(k, _)| k.as_str())
    } else {
        None
    }
}

/// Why the log at `path` cannot be read, as [`crate::infile::check`] says it
/// for a file: a log is also a folder or a glob pattern (see
/// [`crate::logs::log_files`]), whose files are then checked as they are read.
fn check_log(path: &Path) -> Result<(), String> {
    match crate::logs::log_files(path) {
        Err(e) => Err(e.message),
        Ok(f) => match &f.files[..] {
            [one] => crate::infile::check(one),
            _ => Ok(()),
        },
    }
}

/// Reads the logs and the eval set `raw` names.
pub fn load(
    raw: &ScenarioFile,
    dir: &Path,
    table: &PriceTable,
    options: &LoadOptions,
) -> Result<Measured, LoadError> {
    let replay = options
        .replay
        .or(raw.scenario.replay)
        .unwrap_or(Replay::Bootstrap);
    let mut m = Measured {
        options: options.clone(),
        ..Measured::default()
    };
    // The classes each (log, class field) feeds.
    let mut uses: Vec<(PathBuf, Option<String>, Vec<String>, KeyPath)> = Vec::new();
    for (i, t) in raw.traffic.iter().enumerate() {
        let Some(log) = &t.log else { continue };
        let path = resolve(dir, log);
        let key = KeyPath::root().key("traffic").index(i).key("log");
        match uses
            .iter_mut()
            .find(|(p, f, _, _)| *p == path && *f == t.class_field)
        {
            Some((_, _, names, _)) => names.push(t.name.clone()),
            None => uses.push((path, t.class_field.clone(), vec![t.name.clone()], key)),
        }
    }
    // Every file named must exist before any is read: a missing one is the
    // scenario's mistake, reported before a bad line of another file.
    let mut named: Vec<(PathBuf, KeyPath, bool)> = uses
        .iter()
        .map(|(p, _, _, k)| (p.clone(), k.clone(), true))
        .collect();
    if let Some(e) = &raw.eval {
        named.push((
            resolve(dir, &e.file),
            KeyPath::root().key("eval").key("file"),
            false,
        ));
    }
    for (path, key, is_log) in named {
        let checked = if is_log {
            check_log(&path)
        } else {
            crate::infile::check(&path)
        };
        if let Err(why) = checked {
            return Err(LoadError::Scenario(Invalid::new(
                key,
                format!("cannot read {}: {why}", path.display()),
            )));
        }
    }
    for (path, class_field, names, _) in uses {
        let keep = replay == Replay::Bootstrap && !options.check_only;
        let data = match crate::logs::aggregate::sniff(&path)? {
            Some(_) if replay == Replay::Exact => {
                return Err(LoadError::Data(InputError::file(&path, EXACT_AGGREGATE)));
            }
            Some(_) => read_aggregate_log(
                &path,
                class_field,
                &names,
                table,
                options.skip_bad_lines,
                keep,
            )?,
            None => read_one_log(
                &path,
                class_field,
                &names,
                table,
                options.skip_bad_lines,
                keep,
            )?,
        };
        m.logs.push(Arc::new(data));
    }
    if let Some(e) = &raw.eval {
        m.eval = Some(Arc::new(read_eval_set(raw, e, dir, options)?));
    }
    Ok(m)
}

/// Why measured inputs could not be read: a key of the scenario, or a line of
/// the data file.
#[derive(Debug)]
pub enum LoadError {
    Scenario(Invalid),
    Data(InputError),
}

impl From<InputError> for LoadError {
    fn from(e: InputError) -> Self {
        LoadError::Data(e)
    }
}

fn read_one_log(
    path: &Path,
    class_field: Option<String>,
    names: &[String],
    table: &PriceTable,
    skip_bad_lines: bool,
    keep: bool,
) -> Result<LogData, InputError> {
    let opts = LogOptions {
        class_field: class_field.as_deref(),
        skip_bad_lines,
        class_optional: false,
    };
    // Pieces of the log are read in parallel and merged in log order.
    let mut total = LogAcc::new(names.len());
    let summary = fold_log(
        path,
        &opts,
        || LogAcc::new(names.len()),
        |a, r| a.add(r, names, class_field.as_deref(), table, keep),
        |a| {
            total.merge(a);
            Ok(())
        },
    )?;
    let LogAcc {
        classes,
        models,
        latency,
        digest,
        hours,
    } = total;
    let (by_model, unpriced, no_model) = models.priced(table);
    let classes = classes.into_iter().map(|(n, r)| (n, r, Vec::new()));
    Ok(LogData {
        path: path.to_path_buf(),
        class_field,
        summary,
        classes: class_records(names, classes.collect()),
        by_model,
        unpriced,
        no_model,
        latency,
        digest,
        hours,
    })
}

/// Why an aggregate cannot be replayed exactly.
pub const EXACT_AGGREGATE: &str = "this is an aggregated traffic file, which keeps no record order: replay = \"exact\" (--replay exact, or [load]'s replay of logged arrival times) needs the raw log; use replay = \"bootstrap\" (--replay bootstrap) with the aggregate";

/// An aggregated traffic file as a [`LogData`] (see
/// [`crate::logs::aggregate`]): per class, the cells' mean counts with their
/// records as weights; by model, the exact token sums; the hours and first and
/// last timestamps of the cells. Classes are checked as a raw log's records
/// are, cell by cell (a skipped cell counts its records). No latency, no digest
/// (exact replay is refused).
fn read_aggregate_log(
    path: &Path,
    class_field: Option<String>,
    names: &[String],
    table: &PriceTable,
    skip_bad_lines: bool,
    keep: bool,
) -> Result<LogData, InputError> {
    let file = crate::logs::aggregate::read_aggregate(path)?;
    let mut classes: Vec<(u64, Vec<Logged>, Vec<u64>)> =
        vec![(0, Vec::new(), Vec::new()); names.len()];
    let mut models = Models::default();
    let mut hours = [0u64; 24];
    let (mut read, mut used) = (0u64, 0u64);
    let mut skipped: BTreeMap<BadKind, u64> = BTreeMap::new();
    let (mut first, mut last): (Option<i64>, Option<i64>) = (None, None);
    for row in file.data.rows() {
        let s = &row.stats;
        read += s.records;
        let r = Record {
            file: 0,
            line: s.line,
            class: row.class,
            model: row.model,
            timestamp: None,
            input: 0,
            output: 0,
            cache_read: 0,
            cache_write: 0,
            latency_ms: None,
        };
        let c = match class_of(&r, names, class_field.as_deref()) {
            Ok(c) => c,
            Err(rej) if skip_bad_lines => {
                *skipped.entry(rej.kind).or_default() += s.records;
                continue;
            }
            Err(rej) => {
                return Err(file.error_at(
                    path,
                    s.line,
                    format!(
                        "{}: {} (or pass --skip-bad-lines to skip such cells)",
                        rej.kind, rej.message
                    ),
                ));
            }
        };
        used += s.records;
        if let Some(h) = row.hour {
            hours[h as usize] += s.records;
            first = match (first, s.first_ms) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            last = last.max(s.last_ms);
        }
        let entry = &mut classes[c];
        entry.0 += s.records;
        if keep {
            let m = s.means().map(|v| u32::try_from(v).unwrap_or(u32::MAX));
            entry.1.push(Logged {
                input: m[0],
                output: m[1],
                cache_read: m[2],
                cache_write: m[3],
            });
            entry.2.push(entry.0);
        }
        models.add(table, row.model, s.records, s.tokens.map(u128::from));
    }
    let (by_model, unpriced, no_model) = models.priced(table);
    let summary = LogSummary {
        path: path.to_path_buf(),
        files: 1,
        format: crate::logs::LogFormat::Aggregate,
        gzip: file.gzip,
        read,
        used,
        skipped,
        first_timestamp: first.map(crate::logs::time::format_ms),
        last_timestamp: last.map(crate::logs::time::format_ms),
    };
    if used == 0 {
        return Err(InputError::file(
            path,
            format!("no usable record: {}", summary.describe()),
        ));
    }
    Ok(LogData {
        path: path.to_path_buf(),
        class_field,
        summary,
        classes: class_records(names, classes),
        by_model,
        unpriced,
        no_model,
        latency: LatencyHistogram::new(),
        digest: Digest::default(),
        hours,
    })
}

/// What a piece of a log adds up to, for [`LogData`]; pieces merge in log
/// order, so that each class's records stay in the log's order.
struct LogAcc {
    classes: Vec<(u64, Vec<Logged>)>,
    models: Models,
    latency: LatencyHistogram,
    digest: Digest,
    hours: [u64; 24],
}

impl LogAcc {
    fn new(classes: usize) -> Self {
        LogAcc {
            classes: vec![(0, Vec::new()); classes],
            models: Models::default(),
            latency: LatencyHistogram::new(),
            digest: Digest::default(),
            hours: [0; 24],
        }
    }

    fn add(
        &mut self,
        r: &Record,
        names: &[String],
        class_field: Option<&str>,
        table: &PriceTable,
        keep: bool,
    ) -> Result<(), Reject> {
        let entry = &mut self.classes[class_of(r, names, class_field)?];
        self.digest.add(r);
        if let Some(ms) = r.timestamp.and_then(crate::logs::time::parse_ms) {
            self.hours[crate::logs::aggregate::hour_of(ms) as usize] += 1;
        }
        entry.0 += 1;
        if keep {
            entry.1.push(pack(r));
        }
        let tokens = [r.input, r.output, r.cache_read, r.cache_write];
        self.models.add(table, r.model, 1, tokens.map(u128::from));
        if let Some(ms) = r.latency_ms {
            self.latency.record(ms);
        }
        Ok(())
    }

    /// Adds the piece that follows this one in the log.
    fn merge(&mut self, o: LogAcc) {
        for ((n, records), (m, more)) in self.classes.iter_mut().zip(o.classes) {
            *n += m;
            records.extend(more);
        }
        self.models.merge(o.models);
        self.latency.merge(&o.latency);
        self.digest.merge(o.digest);
        for (h, n) in self.hours.iter_mut().zip(o.hours) {
            *h += n;
        }
    }
}

/// A digest of a log's used records: each one's place (file and line), class
/// and token counts. Not cryptographic; it tells a log that changed between two
/// reads (a record's tokens edited, records swapped) from the same log, which a
/// count cannot. A sum of one mix per record, so that pieces of a log read in
/// parallel are digested apart and added ([`Digest::merge`]); the place in the
/// mix makes it order-sensitive all the same.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Digest(u64);

impl Digest {
    /// Adds one used record.
    #[inline]
    pub fn add(&mut self, r: &Record) {
        // FNV-1a over the class, then one multiply-rotate round per word and
        // SplitMix64's finalizer.
        let mut class: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in r.class.map_or(&[0xff][..], str::as_bytes) {
            class = (class ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
        let words = [
            (r.file as u64) << 40 ^ r.line,
            class,
            r.input << 32 | r.output,
            r.cache_read << 32 | r.cache_write,
        ];
        let mut h = 0u64;
        for w in words {
            h = (h ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
        }
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.0 = self.0.wrapping_add(h ^ (h >> 31));
    }

    /// Adds the digest of other records.
    #[inline]
    pub fn merge(&mut self, other: Digest) {
        self.0 = self.0.wrapping_add(other.0);
    }
}

/// Packs a record's token counts; the reader caps counts far below `u32::MAX`.
pub fn pack(r: &Record) -> Logged {
    let c = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    Logged {
        input: c(r.input),
        output: c(r.output),
        cache_read: c(r.cache_read),
        cache_write: c(r.cache_write),
    }
}

/// The traffic class a record belongs to, as an index into `names`, the classes
/// that take their traffic from this log. Records without a class belong to the
/// only class of a log that feeds one.
pub fn class_of(r: &Record, names: &[String], class_field: Option<&str>) -> Result<usize, Reject> {
    match r.class {
        Some(c) => names.iter().position(|n| n == c).ok_or_else(|| Reject {
            kind: BadKind::UnknownClass,
            message: format!(
                "class \"{c}\" is not a traffic class that takes its traffic from this log ({}){}; add a [[traffic]] named \"{c}\" with this log",
                names.join(", "),
                did_you_mean(c, names.iter().map(String::as_str))
            ),
        }),
        // A log that feeds one class: its records without a class are that class's.
        None if names.len() == 1 => Ok(0),
        None => Err(Reject {
            kind: BadKind::MissingField,
            message: format!(
                "the record has no class, but {} traffic classes take their traffic from this log ({}): {}",
                names.len(),
                names.join(", "),
                match class_field {
                    Some(f) => format!("its field {f} is missing"),
                    None => "name the field that holds the class with class_field (--class-field with --traffic-log)".to_string(),
                }
            ),
        }),
    }
}

fn read_eval_set(
    raw: &ScenarioFile,
    e: &super::format::EvalEntry,
    dir: &Path,
    options: &LoadOptions,
) -> Result<EvalData, LoadError> {
    let ep = KeyPath::root().key("eval");
    let format = match e.format.as_deref() {
        None => None,
        Some("csv") => Some(EvalFormat::Csv),
        Some("promptfoo") => Some(EvalFormat::Promptfoo),
        Some(other) => {
            return Err(LoadError::Scenario(Invalid::new(
                ep.key("format"),
                format!("\"{other}\" is not an eval format: use \"csv\" or \"promptfoo\""),
            )));
        }
    };
    if let Some(pm) = e.pass_mark {
        crate::spec::check_range(pm, 0.0, 1.0, &ep.key("pass_mark"))
            .map_err(LoadError::Scenario)?;
    }
    let path = resolve(dir, &e.file);
    if let Err(why) = crate::infile::check(&path) {
        return Err(LoadError::Scenario(Invalid::new(
            ep.key("file"),
            format!("cannot read {}: {why}", path.display()),
        )));
    }
    let file = read_eval(
        &path,
        &EvalOptions {
            format,
            pass_mark: e.pass_mark,
            skip_bad_lines: options.skip_bad_lines,
        },
    )?;
    if file.format == EvalFormat::Promptfoo && e.pass_mark.is_some() {
        return Err(LoadError::Scenario(Invalid::new(
            ep.key("pass_mark"),
            format!(
                "{} is promptfoo results, which carry their own pass/fail verdicts: pass_mark applies to the CSV format only; remove it",
                path.display()
            ),
        )));
    }
    let mut skipped: BTreeMap<String, u64> = file
        .skipped
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    let names: Vec<&str> = raw.traffic.iter().map(|t| t.name.as_str()).collect();
    let mut rows = Vec::with_capacity(file.rows.len());
    for row in &file.rows {
        let problem = if !raw.models.contains_key(&row.model) {
            Some((
                "model not in the scenario",
                format!(
                    "model \"{}\" is not a model of the scenario{}; name eval models as the scenario's [models.NAME]",
                    row.model,
                    did_you_mean(&row.model, raw.models.keys().map(String::as_str))
                ),
            ))
        } else {
            match &row.class {
                Some(c) if !names.contains(&c.as_str()) => Some((
                    "class not in the scenario",
                    format!(
                        "class \"{c}\" is not a traffic class of the scenario{}",
                        did_you_mean(c, names.iter().copied())
                    ),
                )),
                None if names.len() > 1 => Some((
                    "no class",
                    format!(
                        "example \"{}\" has no class, and the scenario has {} traffic classes: give each example its class",
                        row.example_id,
                        names.len()
                    ),
                )),
                _ => None,
            }
        };
        match problem {
            None => rows.push(row.clone()),
            Some((kind, _)) if options.skip_bad_lines => {
                *skipped.entry(kind.into()).or_default() += 1
            }
            Some((_, msg)) => {
                return Err(LoadError::Data(
                    row.error(&path, format!("{msg} (or pass --skip-bad-lines)")),
                ));
            }
        }
    }
    if rows.is_empty() {
        return Err(LoadError::Data(InputError::file(
            &path,
            "no usable rows: every row was skipped",
        )));
    }
    let kept = EvalFile {
        path: path.clone(),
        format: file.format,
        rows,
        read: file.read,
        skipped: file.skipped.clone(),
    };
    let examples = crate::eval::group(&kept)?;
    Ok(EvalData {
        path,
        format: file.format,
        read: file.read,
        skipped,
        examples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn logged(n: u32) -> Logged {
        Logged {
            input: n,
            ..Logged::default()
        }
    }

    #[test]
    fn cells_are_drawn_by_their_records() {
        let c = ClassRecords {
            count: 10,
            records: vec![logged(0), logged(1), logged(2)].into(),
            cumulative: vec![1, 3, 10].into(),
        };
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        let mut n = [0u32; 3];
        for _ in 0..100_000 {
            n[c.draw(&mut rng).input as usize] += 1;
        }
        // 10%, 20%, 70%, within a few standard errors.
        for (got, p) in n.iter().zip([0.1, 0.2, 0.7]) {
            let f = *got as f64 / 100_000.0;
            assert!((f - p).abs() < 0.005, "{n:?}");
        }
        // A raw log's records: the uniform draw, one random_range(0..len).
        let raw = ClassRecords {
            count: 3,
            records: vec![logged(0), logged(1), logged(2)].into(),
            cumulative: Arc::from(Vec::new()),
        };
        let (mut a, mut b) = (
            rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9),
            rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9),
        );
        for _ in 0..1000 {
            assert_eq!(
                raw.draw(&mut a),
                raw.records[rand::Rng::random_range(&mut b, 0..3)]
            );
        }
    }

    fn record(file: u32, line: u64, class: &str, input: u64) -> Record<'_> {
        Record {
            file,
            line,
            class: Some(class),
            model: None,
            timestamp: None,
            input,
            output: 10,
            cache_read: 0,
            cache_write: 0,
            latency_ms: None,
        }
    }

    fn digest(records: &[Record]) -> Digest {
        let mut d = Digest::default();
        for r in records {
            d.add(r);
        }
        d
    }

    #[test]
    fn the_digest_adds_up_by_pieces_and_tells_swaps_and_edits() {
        let log = [
            record(0, 1, "chat", 100),
            record(0, 2, "rag", 200),
            record(1, 1, "chat", 300),
            record(1, 2, "chat", 400),
        ];
        let whole = digest(&log);
        // Pieces digested apart and merged in any order: the same.
        let mut pieces = digest(&log[2..]);
        pieces.merge(digest(&log[..2]));
        assert_eq!(pieces, whole);
        // Two records' contents swapped: their places differ.
        let swapped = [
            record(0, 1, "rag", 200),
            record(0, 2, "chat", 100),
            log[2],
            log[3],
        ];
        assert_ne!(digest(&swapped), whole);
        // The same lines in the other file.
        let files = [
            log[0],
            log[1],
            record(1, 1, "chat", 400),
            record(1, 2, "chat", 300),
        ];
        assert_ne!(digest(&files), whole);
        // One count edited, or a class.
        let mut edited = log;
        edited[3].input = 401;
        assert_ne!(digest(&edited), whole);
        let mut edited = log;
        edited[1].class = Some("chat");
        assert_ne!(digest(&edited), whole);
    }
}
