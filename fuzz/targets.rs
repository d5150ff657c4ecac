//! Fuzz targets for every reader of simroute, shared by the cargo-fuzz project
//! (`fuzz/fuzz_targets/*.rs`, libFuzzer) and the stable mutation fuzzer that
//! runs inside `cargo test` (`tests/fuzz.rs`). Both include this file with
//! `#[path]`, so a target is the same code under both.
//!
//! A target takes raw bytes, writes them to a temporary file (the readers take
//! paths), calls the library's reader and checks invariants beyond "no panic":
//!
//! - on rejection, the error is an [`InputError`] naming the file given (or,
//!   for a scenario, a file it names), with a line where the mistake is on one
//!   (or a key path, or a message about the file as a whole), a line that lies
//!   in the file, exit code 2, and a message that names no Rust type
//!   ([`CHECK_NO_RUST_TYPE_NAMES`]);
//! - on acceptance, what was read is in range, and a small simulation of it
//!   (at most [`MAX_SIM_WORK`] request-policies) has no NaN or infinite figure,
//!   per-model costs that sum to the total, and the same JSON with 1 and 3
//!   threads.
//!
//! A check that fails panics with what was expected. Issues known and being
//! fixed elsewhere (issue 9 §1, §4) are recognized precisely by [`Known`] and
//! only counted while their `tolerated` flag is on: set it to false when the fix
//! lands, and the case becomes a failure again.
#![allow(dead_code)]

use simroute::pricing::write::quote as toml_str;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::io::{Read, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once, OnceLock};

use simroute::engine::results::RunResults;
use simroute::eval::{EvalFile, EvalFormat, EvalOptions};
use simroute::input::InputError;
use simroute::logs::{LogOptions, LogSummary, MAX_TOKENS, Record};
use simroute::pricing::{CallTokens, PriceTable};
use simroute::scenario::{LoadOptions, Replay, Scenario};

// ---------------------------------------------------------------------------
// Switches
// ---------------------------------------------------------------------------

/// Rejection messages must not name Rust types (`u64`, `Option`, serde's
/// `invalid type: ...`). On: a message that does is a failure, unless it is the
/// known case [`Known::RustTypeNames`] while that is tolerated.
pub const CHECK_NO_RUST_TYPE_NAMES: bool = true;

/// The most requests × replications × policies a target simulates; a larger
/// accepted scenario is clamped (requests to [`MAX_SIM_REQUESTS`], replications
/// to 3) and, if still larger (exact replay of a long log), not simulated.
pub const MAX_SIM_WORK: u64 = 20_000;
/// Requests per replication of a simulated fuzz input.
pub const MAX_SIM_REQUESTS: u64 = 200;
/// Policies, classes and models above which an accepted scenario is not simulated.
pub const MAX_SIM_POLICIES: usize = 12;
/// Under libFuzzer (`cfg(fuzzing)`) only one accepted input in this many (by
/// hash, so the choice is reproducible) is simulated: a simulation costs as much
/// as hundreds of reads once instrumented for coverage. On stable, every one.
#[allow(unexpected_cfgs)] // cargo-fuzz sets cfg(fuzzing); cargo test does not know it
pub const SIMULATE_ONE_IN: u64 = if cfg!(fuzzing) { 16 } else { 1 };

/// Issues known and being fixed elsewhere. A failure that matches one exactly is
/// counted in [`known_counts`] instead of failing, while its flag is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Known {
    /// Issue 9 §4: serde's messages name Rust types (`invalid type: string
    /// "x", expected u64`). Recognized: the message holds a Rust type name that
    /// the input does not.
    RustTypeNames,
    /// Issue 9 §1: huge prices × token counts overflow the u64 femto-dollar
    /// arithmetic. Recognized: an arithmetic-overflow panic in the cost code
    /// (src/pricing, src/engine, src/scenario/measured.rs, src/units.rs).
    CostOverflow,
    /// Issue 9 §1: no bound on `monthly_requests` (1e308 gives an infinite or
    /// NaN monthly cost). Recognized: a non-finite `cost_per_month` whose
    /// per-request cost is finite, or a non-finite `scenario.monthly_requests`.
    MonthlyRequests,
    /// Issue 9 §1: NaN or infinite latency from absurd spreads (a median or p95
    /// so large, or so far apart, that a lognormal draw overflows). Recognized:
    /// a non-finite figure under a latency field.
    AbsurdLatencySpread,
    /// Found by this fuzzing (issue 9 §5, reported, not fixed here): a scenario
    /// may draw more than `MAX_TOKENS` tokens for a call (`input_tokens =
    /// 10000001`, `cached_prefix_tokens = 10000000`), `generate-log` writes such
    /// a record, and the log reader rejects it as an absurd count. Recognized:
    /// reading back a generated log fails with "absurd count".
    GeneratedCountAboveReaderCap,
}

impl Known {
    /// Whether the case is counted (true) or fails (false). Turn each off when
    /// its fix lands.
    pub fn tolerated(self) -> bool {
        match self {
            Known::RustTypeNames => false,
            Known::CostOverflow => false,
            Known::MonthlyRequests => false,
            Known::AbsurdLatencySpread => false,
            Known::GeneratedCountAboveReaderCap => false,
        }
    }
}

type Seen = BTreeMap<(String, Known), (u64, String)>;
static KNOWN_SEEN: Mutex<Seen> = Mutex::new(BTreeMap::new());

thread_local! {
    /// What this thread is fuzzing, for [`known_counts`].
    static LABEL: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    /// A hash of the input being checked (see [`SIMULATE_ONE_IN`]).
    static INPUT_HASH: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// Whether this thread is inside [`guard`].
    static IN_GUARD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Names what this thread fuzzes, for [`known_counts`].
pub fn set_label(label: &str) {
    LABEL.with(|l| *l.borrow_mut() = label.to_string());
}

/// Counts a known case while it is tolerated; fails if it is not.
fn known(k: Known, detail: impl fmt::Display) {
    if !k.tolerated() {
        panic!("invariant violated ({k:?}, no longer tolerated): {detail}");
    }
    let label = LABEL.with(|l| l.borrow().clone());
    let mut seen = KNOWN_SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let e = seen.entry((label, k)).or_insert_with(|| {
        // Once per process and issue, so that libFuzzer's log shows them too.
        eprintln!("known issue {k:?} (tolerated): {detail}");
        (0, detail.to_string())
    });
    e.0 += 1;
    drop(seen);
    log_shape(k, &detail.to_string());
}

/// With SIMROUTE_FUZZ_KNOWN_LOG=FILE, appends each new shape of a known case
/// (its description without paths and with digits as #) to FILE: the list of
/// cases to hand to whoever fixes them.
fn log_shape(k: Known, detail: &str) {
    static SHAPES: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let Some(file) = std::env::var_os("SIMROUTE_FUZZ_KNOWN_LOG") else {
        return;
    };
    let shape: String = detail
        .split(' ')
        .map(|w| if w.contains('/') { "PATH" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect();
    let shape = format!("{k:?}\t{shape}");
    if SHAPES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(shape.clone())
        && let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
    {
        let _ = writeln!(f, "{shape}\t{detail}");
    }
}

/// Known cases this thread's label met so far: (issue, count, the first one's
/// description).
pub fn known_counts() -> Vec<(Known, u64, String)> {
    let label = LABEL.with(|l| l.borrow().clone());
    let seen = KNOWN_SEEN.lock().unwrap_or_else(|e| e.into_inner());
    seen.iter()
        .filter(|((l, _), _)| *l == label)
        .map(|((_, k), (n, d))| (*k, *n, d.clone()))
        .collect()
}

static STATS: Mutex<BTreeMap<(String, &'static str), u64>> = Mutex::new(BTreeMap::new());

/// Counts an outcome (`rejected`, `accepted`, `simulated`, ...) for [`stats`].
fn stat(what: &'static str) {
    let label = LABEL.with(|l| l.borrow().clone());
    let mut s = STATS.lock().unwrap_or_else(|e| e.into_inner());
    *s.entry((label, what)).or_insert(0) += 1;
}

/// Outcomes counted so far under this thread's label.
pub fn stats() -> Vec<(&'static str, u64)> {
    let label = LABEL.with(|l| l.borrow().clone());
    let s = STATS.lock().unwrap_or_else(|e| e.into_inner());
    s.iter()
        .filter(|((l, _), _)| *l == label)
        .map(|((_, k), n)| (*k, *n))
        .collect()
}

/// What every target does first: note the input's hash.
fn begin(data: &[u8]) {
    INPUT_HASH.with(|h| h.set(fnv(data, 0x5151)));
}

fn violation(what: impl fmt::Display) -> ! {
    panic!("invariant violated: {what}")
}

// ---------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------

/// A fuzz target: its name (the cargo-fuzz binary and corpus folder) and check.
pub struct Target {
    pub name: &'static str,
    pub check: fn(&[u8]),
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "scenario",
        check: check_scenario,
    },
    Target {
        name: "pricing",
        check: check_pricing,
    },
    Target {
        name: "bedrock_log",
        check: check_bedrock_log,
    },
    Target {
        name: "bedrock_log_gzip",
        check: check_bedrock_log_gzip,
    },
    Target {
        name: "csv_log",
        check: check_csv_log,
    },
    Target {
        name: "jsonl_log",
        check: check_jsonl_log,
    },
    Target {
        name: "eval_csv",
        check: check_eval_csv,
    },
    Target {
        name: "promptfoo",
        check: check_promptfoo,
    },
];

// ---------------------------------------------------------------------------
// Fixtures: the repo's examples, embedded, and a folder laid out like the repo
// ---------------------------------------------------------------------------

const REPO_PRICING: &str = include_str!("../pricing/bedrock-us-east-1.toml");
const TEST_PRICING: &str = include_str!("../tests/fixtures/pricing.toml");
const SUPPORT: &str = include_str!("../scenarios/support.toml");
const SUPPORT_MEASURED: &str = include_str!("../scenarios/support-measured.toml");
const SUPPORT_LOAD: &str = include_str!("../scenarios/support-load.toml");
const SUPPORT_CAPACITY: &str = include_str!("../scenarios/support-capacity.toml");
const SUPPORT_LOG_GZ: &[u8] = include_bytes!("../scenarios/logs/support-invocations.jsonl.gz");
const SUPPORT_EVAL: &str = include_str!("../scenarios/evals/support.csv");
const LOG_BEDROCK: &str = include_str!("../tests/fixtures/logs/bedrock.jsonl");
const LOG_BEDROCK_GZ: &[u8] = include_bytes!("../tests/fixtures/logs/bedrock.jsonl.gz");
const LOG_CLOUDWATCH: &str = include_str!("../tests/fixtures/logs/cloudwatch-export.txt");
const LOG_CSV: &str = include_str!("../tests/fixtures/logs/plain.csv");
const LOG_JSONL: &str = include_str!("../tests/fixtures/logs/plain.jsonl");
const EVAL_CSV: &str = include_str!("../tests/fixtures/eval/basic.csv");
const EVAL_PROMPTFOO: &str = include_str!("../tests/fixtures/eval/promptfoo-results.json");

/// Records of the support log kept in the fixture folder (all three classes
/// appear in them): exact replay of a scenario reads them all.
const SUPPORT_LOG_RECORDS: usize = 60;

const PRICE_MICRO: &str = "amazon.nova-micro-v1:0";
const PRICE_HAIKU: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";
const PRICE_SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

/// The scratch folder: the repo's pricing table, a shortened support log, the
/// eval set and the test fixtures, laid out as in the repo so that the
/// scenarios' relative paths resolve; fuzzed files are written next to them.
pub struct Env {
    /// `<root>/scenarios`: fuzzed scenarios go here.
    pub scenarios: PathBuf,
    /// `<root>/pricing/bedrock-us-east-1.toml`.
    pub pricing: PathBuf,
    /// The first [`SUPPORT_LOG_RECORDS`] lines of the support log, decompressed.
    pub support_log: Vec<u8>,
}

fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("writes to memory");
    e.finish().expect("writes to memory")
}

fn fnv(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// The scratch folder, made once per process and shared by the processes that
/// run the same fixtures (its name is their hash), written by rename so that
/// concurrent processes never see half a file.
pub fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let all = gunzip(SUPPORT_LOG_GZ).expect("the support log is gzip");
        let support_log: Vec<u8> = all
            .split_inclusive(|b| *b == b'\n')
            .take(SUPPORT_LOG_RECORDS)
            .flatten()
            .copied()
            .collect();
        let files: Vec<(&str, Vec<u8>)> = vec![
            ("pricing/bedrock-us-east-1.toml", REPO_PRICING.into()),
            ("scenarios/pricing.toml", TEST_PRICING.into()),
            ("scenarios/support.toml", SUPPORT.into()),
            ("scenarios/support-measured.toml", SUPPORT_MEASURED.into()),
            (
                "scenarios/logs/support-invocations.jsonl.gz",
                gzip(&support_log),
            ),
            ("scenarios/evals/support.csv", SUPPORT_EVAL.into()),
            ("scenarios/logs/bedrock.jsonl", LOG_BEDROCK.into()),
            ("scenarios/logs/bedrock.jsonl.gz", LOG_BEDROCK_GZ.into()),
            (
                "scenarios/logs/cloudwatch-export.txt",
                LOG_CLOUDWATCH.into(),
            ),
            ("scenarios/logs/plain.csv", LOG_CSV.into()),
            ("scenarios/logs/plain.jsonl", LOG_JSONL.into()),
            ("scenarios/evals/basic.csv", EVAL_CSV.into()),
            (
                "scenarios/evals/promptfoo-results.json",
                EVAL_PROMPTFOO.into(),
            ),
        ];
        let mut h = 0xcbf2_9ce4_8422_2325;
        for (name, bytes) in &files {
            h = fnv(name.as_bytes(), h);
            h = fnv(bytes, h);
        }
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let root = base.join(format!("simroute-fuzz-{h:016x}"));
        for (name, bytes) in &files {
            let path = root.join(name);
            if std::fs::read(&path).is_ok_and(|b| &b == bytes) {
                continue;
            }
            let dir = path.parent().expect("a file has a folder");
            std::fs::create_dir_all(dir).expect("the scratch folder can be made");
            let mut tmp = tempfile::NamedTempFile::new_in(dir).expect("a temporary file");
            tmp.write_all(bytes).expect("the fixture can be written");
            tmp.persist(&path).expect("the fixture can be renamed");
        }
        Env {
            scenarios: root.join("scenarios"),
            pricing: root.join("pricing/bedrock-us-east-1.toml"),
            support_log,
        }
    })
}

/// Writes `bytes` to a fresh file in `dir` (deleted on drop).
fn temp_file(dir: &Path, suffix: &str, bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .prefix("fuzz-")
        .suffix(suffix)
        .tempfile_in(dir)
        .expect("a temporary file");
    f.write_all(bytes).expect("the input can be written");
    f.flush().expect("the input can be written");
    f
}

// ---------------------------------------------------------------------------
// Panics: known ones are told apart by their message and location
// ---------------------------------------------------------------------------

struct PanicSeen {
    message: String,
    location: String,
}

static PANICS: Mutex<VecDeque<PanicSeen>> = Mutex::new(VecDeque::new());

fn payload_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}

/// Records every panic's message and location (panics of rayon's workers reach
/// the caller without their location). Inside [`guard`] and on rayon's worker
/// threads (whose panics reach a guard) nothing is printed; elsewhere the
/// previous hook (libFuzzer's abort, the test harness's print) runs as before.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let seen = PanicSeen {
                message: payload_message(info.payload()),
                location: info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default(),
            };
            {
                let mut q = PANICS.lock().unwrap_or_else(|e| e.into_inner());
                if q.len() >= 16 {
                    q.pop_front();
                }
                q.push_back(seen);
            }
            let quiet = IN_GUARD.with(|g| g.get()) || rayon::current_thread_index().is_some();
            if !quiet {
                previous(info);
            }
        }));
    });
}

/// Runs library code; a panic that is a known issue is counted and turns into
/// `None`, any other is re-raised (after printing it: the hook was quiet).
fn guard<T>(what: &str, f: impl FnOnce() -> T) -> Option<T> {
    install_hook();
    let outer = IN_GUARD.with(|g| g.replace(true));
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    IN_GUARD.with(|g| g.set(outer));
    match r {
        Ok(v) => Some(v),
        Err(payload) => {
            let message = payload_message(&*payload);
            let location = {
                let q = PANICS.lock().unwrap_or_else(|e| e.into_inner());
                q.iter()
                    .rev()
                    .find(|p| p.message == message)
                    .map(|p| p.location.clone())
                    .unwrap_or_default()
            };
            let overflow = message.starts_with("attempt to ") && message.ends_with("with overflow");
            let cost_code = [
                "src/pricing/",
                "src/engine/",
                "src/scenario/measured.rs",
                "src/units.rs",
            ]
            .iter()
            .any(|p| location.contains(p));
            if overflow && cost_code {
                known(
                    Known::CostOverflow,
                    format!("{what}: panicked at {location}: {message}"),
                );
                return None;
            }
            eprintln!("{what}: panicked at {location}: {message}");
            panic::resume_unwind(payload)
        }
    }
}

// ---------------------------------------------------------------------------
// Rejections
// ---------------------------------------------------------------------------

/// Words that name Rust types or are serde's phrasing; a message holding one
/// that the input does not hold is talking about the program, not the file.
const RUST_TYPE_WORDS: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64", "Option", "Vec", "BTreeMap", "HashMap", "PathBuf", "Box",
];
const SERDE_PHRASES: &[&str] = &[
    "invalid type:",
    "invalid value:",
    "invalid length",
    "expected struct",
    "expected enum",
    "expected unit",
    "variant identifier",
    "field identifier",
    "tuple struct",
    "newtype struct",
    "expected a borrowed",
];

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

/// The Rust type name or serde phrase in `message` that `input` does not hold.
fn rust_type_name(message: &str, input: &[u8]) -> Option<String> {
    let input = String::from_utf8_lossy(input);
    let in_input: BTreeSet<&str> = words(&input).collect();
    for w in words(message) {
        if RUST_TYPE_WORDS.contains(&w) && !in_input.contains(w) {
            return Some(w.to_string());
        }
    }
    SERDE_PHRASES
        .iter()
        .find(|p| message.contains(*p) && !input.contains(*p))
        .map(|p| p.to_string())
}

/// Messages about a file as a whole, which carry neither a line nor a key.
const WHOLE_FILE: &[&str] = &[
    "cannot read the file",
    "the log is empty",
    "the file looks like pretty-printed JSON",
    "not a gzip file or corrupt",
    "no usable record",
    "no usable rows",
    "no rows: an eval needs at least one result",
    "the class field is empty",
    "the log has no records",
    "the file is empty",
    "cannot read the CSV",
    "this is not a promptfoo results file",
    "the top level is an array",
    "this file holds the results of",
    // A file handed to the wrong reader, named by its kind (issue 9 §4).
    ", not a log",
    ", not a TOML",
    ", not a scenario",
    ", not a pricing table",
    ", not an eval",
    "this looks like",
    "are blank lines: not a log",
    // The gate every input passes (src/infile.rs).
    "it is a folder",
    "it is not a regular file",
    "is it the right file?",
];

/// What a rejection is checked against.
struct Rejection<'a> {
    /// The bytes the target was given.
    input: &'a [u8],
    /// The file the reader was given.
    file: &'a Path,
    /// Its text as lines are counted (decompressed), where known.
    text: Option<&'a [u8]>,
    /// Whether the error may name another file the given one names (a
    /// scenario's pricing table, logs and eval set).
    names_files: bool,
}

/// The invariants of a rejection: exit code 2, the file, a line (or a key, or a
/// message about the whole file) that lies in the file, no Rust type names.
fn check_rejection(e: &InputError, r: &Rejection) {
    stat("rejections checked");
    let err = anyhow::Error::new(e.clone());
    if simroute::cmd::exit_code(&err) != 2 {
        violation(format!(
            "exit code {} for bad input: {e}",
            simroute::cmd::exit_code(&err)
        ));
    }
    let same_file = e.file == r.file;
    if !same_file {
        let dir = r.file.parent().expect("a file has a folder");
        let named = r.names_files
            && (e.file.starts_with(dir)
                || String::from_utf8_lossy(r.input).contains(&*e.file.to_string_lossy()));
        if !named {
            violation(format!(
                "the error names {}, not the file given ({}): {e}",
                e.file.display(),
                r.file.display()
            ));
        }
    }
    if e.message.trim().is_empty() {
        violation(format!("an empty message: {e:?}"));
    }
    match e.position {
        Some((line, col)) => {
            if line == 0 {
                violation(format!("line 0: {e}"));
            }
            if let (true, Some(text)) = (same_file, r.text) {
                let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
                if line > lines.len() {
                    violation(format!(
                        "line {line} of a file of {} lines: {e}",
                        lines.len()
                    ));
                }
                let chars = String::from_utf8_lossy(lines[line - 1]).chars().count();
                if col > chars + 1 {
                    violation(format!("column {col} of a line of {chars} characters: {e}"));
                }
            }
        }
        None => {
            let whole = WHOLE_FILE.iter().any(|w| e.message.contains(w));
            if e.key.is_empty() && !whole {
                violation(format!("a rejection with neither a line nor a key: {e}"));
            }
        }
    }
    if CHECK_NO_RUST_TYPE_NAMES && let Some(w) = rust_type_name(&e.message, r.input) {
        known(Known::RustTypeNames, format!("`{w}` in the message: {e}"));
    }
}

// ---------------------------------------------------------------------------
// Acceptance: simulate small, check the figures
// ---------------------------------------------------------------------------

fn pool(n: usize) -> &'static rayon::ThreadPool {
    static POOLS: OnceLock<[rayon::ThreadPool; 2]> = OnceLock::new();
    let pools = POOLS.get_or_init(|| {
        let make = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .expect("threads can be started")
        };
        [make(1), make(3)]
    });
    &pools[usize::from(n != 1)]
}

/// Clamps an accepted scenario to a small run; `None` if it is still too large
/// to simulate here.
fn clamp(s: &mut Scenario) -> Option<()> {
    if s.policies.len() > MAX_SIM_POLICIES || s.classes.len() > 4 * MAX_SIM_POLICIES {
        return None;
    }
    if s.replay != Replay::Exact {
        s.requests = s.requests.min(MAX_SIM_REQUESTS);
    }
    // Traffic over time: its work is the arrivals, rate x (warm-up + duration).
    if let Some(l) = s.load.as_mut()
        && l.exact_origin_ms.is_none()
    {
        let cap = MAX_SIM_REQUESTS as f64 / l.rate_per_s.max(1e-12);
        l.warmup_s = l.warmup_s.min(cap / 2.0);
        l.duration_s = l
            .duration_s
            .min(cap - l.warmup_s)
            .clamp(1.0, 7.0 * 86_400.0);
        s.requests = l.expected_requests().ceil() as u64;
    }
    s.replications = s.replications.min(3);
    let work = s.requests * u64::from(s.replications) * s.policies.len() as u64;
    (work <= MAX_SIM_WORK).then_some(())
}

/// Simulates `s` on `threads` threads, as `simroute::engine::simulate` does but
/// on a pool kept for the process.
fn simulate(s: &Scenario, threads: usize) -> Option<RunResults> {
    let raw = guard("simulate", || {
        pool(threads).install(|| simroute::engine::simulate_raw(s, &|_| ()))
    })?;
    match raw {
        Ok(raw) => guard("results", || RunResults::new(s, &raw)),
        Err(e) => violation(format!("an accepted scenario fails to simulate: {e}")),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) + 1e-15
}

/// Simulates an accepted scenario (clamped) with 1 and 3 threads and checks the
/// figures; renders every output format.
fn check_simulation(mut s: Scenario, what: &str) {
    if !INPUT_HASH.with(|h| h.get()).is_multiple_of(SIMULATE_ONE_IN) {
        return;
    }
    if clamp(&mut s).is_none() {
        stat("accepted, too large to simulate");
        return;
    }
    stat("simulations checked");
    let Some(one) = simulate(&s, 1) else { return };
    let Some(three) = simulate(&s, 3) else { return };
    let json = |r: &RunResults| serde_json::to_string_pretty(r).expect("results serialize");
    let (a, b) = (json(&one), json(&three));
    if a != b {
        let at = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        violation(format!(
            "{what}: 1 and 3 threads differ at JSON line {}: {:?} vs {:?}",
            at + 1,
            a.lines().nth(at),
            b.lines().nth(at)
        ));
    }
    // No NaN or infinity anywhere (serde_json would print them as null).
    let bad = non_finite(&one);
    let bad_paths: BTreeSet<&str> = bad.iter().map(|(p, _)| p.as_str()).collect();
    for (path, v) in &bad {
        let monthly_only = path.contains("cost_per_month")
            && !bad_paths.contains(path.replace("cost_per_month", "cost_per_request").as_str());
        if path == "scenario.monthly_requests" || monthly_only {
            known(
                Known::MonthlyRequests,
                format!(
                    "{what}: {path} = {v} (monthly_requests {})",
                    s.monthly_requests
                ),
            );
        } else if [
            "e2e_latency_ms",
            "ttft_ms",
            "batch_latency_ms",
            "latency_cdf",
        ]
        .iter()
        .any(|f| path.contains(f))
        {
            known(Known::AbsurdLatencySpread, format!("{what}: {path} = {v}"));
        } else {
            violation(format!("{what}: {path} is {v}"));
        }
    }
    for p in &one.policies {
        // A commitment's fixed bill is in the cost per request, not in any
        // model's on-demand cost.
        let fixed = p.capacity.as_ref().map_or(0.0, |c| c.fixed_per_request);
        let sum: f64 = p.cost_by_model.iter().map(|m| m.total).sum::<f64>() + fixed;
        if !close(sum, p.cost_per_request.mean) {
            violation(format!(
                "{what}: policy {:?}: cost_by_model totals sum to {sum}, cost_per_request.mean is {}",
                p.name, p.cost_per_request.mean
            ));
        }
        for m in &p.cost_by_model {
            let parts = m.input + m.output + m.cache_read + m.cache_write + m.extra_calls;
            if !close(parts, m.total) {
                violation(format!(
                    "{what}: policy {:?}, model {:?}: parts sum to {parts}, total is {}",
                    p.name, m.model, m.total
                ));
            }
        }
        for (name, e) in [
            ("quality", &p.quality),
            ("escalation_rate", &p.escalation_rate),
        ] {
            if !(0.0..=1.0).contains(&e.mean) {
                violation(format!(
                    "{what}: policy {:?}: {name} mean {}",
                    p.name, e.mean
                ));
            }
        }
        if p.cost_per_request.mean < 0.0 {
            violation(format!("{what}: policy {:?}: negative cost", p.name));
        }
    }
    if let Some(l) = &one.as_logged {
        let sum: f64 = l.by_model.iter().map(|m| m.cost_per_request).sum();
        if !close(sum, l.cost_per_request) {
            violation(format!(
                "{what}: as_logged.by_model sums to {sum}, cost_per_request is {}",
                l.cost_per_request
            ));
        }
    }
    for f in [
        simroute::report::Format::Table,
        simroute::report::Format::Csv,
        simroute::report::Format::Markdown,
    ] {
        let mut out = Vec::new();
        if let Some(r) = guard("report", || f.report().write(&one, &mut out)) {
            r.expect("writes to memory");
        }
    }
}

/// Every non-finite number in `r`, by dotted path.
fn non_finite(r: &RunResults) -> Vec<(String, f64)> {
    let mut c = finite::Checker::default();
    serde::Serialize::serialize(r, &mut c).expect("the checker never fails");
    c.bad
}

/// A serde serializer that only looks at numbers: what serde_json would write as
/// `null` for a NaN or infinite float is found here with its path.
mod finite {
    use serde::ser::{self, Serialize};
    use std::fmt;

    #[derive(Default)]
    pub struct Checker {
        path: Vec<String>,
        index: Vec<usize>,
        pub bad: Vec<(String, f64)>,
    }

    #[derive(Debug)]
    pub struct Never(String);
    impl fmt::Display for Never {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }
    impl std::error::Error for Never {}
    impl ser::Error for Never {
        fn custom<T: fmt::Display>(m: T) -> Self {
            Never(m.to_string())
        }
    }

    impl Checker {
        fn here(&self) -> String {
            let mut s = String::new();
            for p in &self.path {
                if !s.is_empty() && !p.starts_with('[') {
                    s.push('.');
                }
                s.push_str(p);
            }
            s
        }
        fn float(&mut self, v: f64) {
            if !v.is_finite() {
                let h = self.here();
                self.bad.push((h, v));
            }
        }
        fn element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Never> {
            let i = self.index.last_mut().expect("inside a sequence");
            self.path.push(format!("[{i}]"));
            *i += 1;
            v.serialize(&mut *self)?;
            self.path.pop();
            Ok(())
        }
        fn field<T: ?Sized + Serialize>(&mut self, k: &str, v: &T) -> Result<(), Never> {
            self.path.push(k.to_string());
            v.serialize(&mut *self)?;
            self.path.pop();
            Ok(())
        }
    }

    type R = Result<(), Never>;

    impl ser::Serializer for &mut Checker {
        type Ok = ();
        type Error = Never;
        type SerializeSeq = Self;
        type SerializeTuple = Self;
        type SerializeTupleStruct = Self;
        type SerializeTupleVariant = Self;
        type SerializeMap = Self;
        type SerializeStruct = Self;
        type SerializeStructVariant = Self;
        fn serialize_bool(self, _: bool) -> R {
            Ok(())
        }
        fn serialize_i8(self, _: i8) -> R {
            Ok(())
        }
        fn serialize_i16(self, _: i16) -> R {
            Ok(())
        }
        fn serialize_i32(self, _: i32) -> R {
            Ok(())
        }
        fn serialize_i64(self, _: i64) -> R {
            Ok(())
        }
        fn serialize_u8(self, _: u8) -> R {
            Ok(())
        }
        fn serialize_u16(self, _: u16) -> R {
            Ok(())
        }
        fn serialize_u32(self, _: u32) -> R {
            Ok(())
        }
        fn serialize_u64(self, _: u64) -> R {
            Ok(())
        }
        fn serialize_f32(self, v: f32) -> R {
            self.float(v as f64);
            Ok(())
        }
        fn serialize_f64(self, v: f64) -> R {
            self.float(v);
            Ok(())
        }
        fn serialize_char(self, _: char) -> R {
            Ok(())
        }
        fn serialize_str(self, _: &str) -> R {
            Ok(())
        }
        fn serialize_bytes(self, _: &[u8]) -> R {
            Ok(())
        }
        fn serialize_none(self) -> R {
            Ok(())
        }
        fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> R {
            v.serialize(self)
        }
        fn serialize_unit(self) -> R {
            Ok(())
        }
        fn serialize_unit_struct(self, _: &'static str) -> R {
            Ok(())
        }
        fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> R {
            Ok(())
        }
        fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> R {
            v.serialize(self)
        }
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            v: &T,
        ) -> R {
            v.serialize(self)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self, Never> {
            self.index.push(0);
            Ok(self)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self, Never> {
            self.index.push(0);
            Ok(self)
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
            self.index.push(0);
            Ok(self)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self, Never> {
            self.index.push(0);
            Ok(self)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self, Never> {
            Ok(self)
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
            Ok(self)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self, Never> {
            Ok(self)
        }
    }

    impl ser::SerializeSeq for &mut Checker {
        type Ok = ();
        type Error = Never;
        fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> R {
            self.element(v)
        }
        fn end(self) -> R {
            self.index.pop();
            Ok(())
        }
    }
    impl ser::SerializeTuple for &mut Checker {
        type Ok = ();
        type Error = Never;
        fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> R {
            self.element(v)
        }
        fn end(self) -> R {
            self.index.pop();
            Ok(())
        }
    }
    impl ser::SerializeTupleStruct for &mut Checker {
        type Ok = ();
        type Error = Never;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> R {
            self.element(v)
        }
        fn end(self) -> R {
            self.index.pop();
            Ok(())
        }
    }
    impl ser::SerializeTupleVariant for &mut Checker {
        type Ok = ();
        type Error = Never;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> R {
            self.element(v)
        }
        fn end(self) -> R {
            self.index.pop();
            Ok(())
        }
    }
    impl ser::SerializeMap for &mut Checker {
        type Ok = ();
        type Error = Never;
        fn serialize_key<T: ?Sized + Serialize>(&mut self, _: &T) -> R {
            Ok(())
        }
        fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> R {
            self.field("{value}", v)
        }
        fn end(self) -> R {
            Ok(())
        }
    }
    impl ser::SerializeStruct for &mut Checker {
        type Ok = ();
        type Error = Never;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, k: &'static str, v: &T) -> R {
            self.field(k, v)
        }
        fn end(self) -> R {
            Ok(())
        }
    }
    impl ser::SerializeStructVariant for &mut Checker {
        type Ok = ();
        type Error = Never;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, k: &'static str, v: &T) -> R {
            self.field(k, v)
        }
        fn end(self) -> R {
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------
// scenario
// ---------------------------------------------------------------------------

/// Paths a fuzzed scenario must not name: reading a device or a kernel file
/// could block or never end.
fn names_a_device(data: &[u8]) -> bool {
    let t = String::from_utf8_lossy(data);
    ["/dev", "/proc", "/sys", "/run", "\\\\"]
        .iter()
        .any(|p| t.contains(p))
}

/// A scenario TOML, in the fixture folder beside the repo's examples: it may
/// name `../pricing/bedrock-us-east-1.toml`, `pricing.toml` (the tests'
/// table), `logs/*` and `evals/*`.
pub fn check_scenario(data: &[u8]) {
    begin(data);
    if names_a_device(data) {
        return;
    }
    let env = env();
    let file = temp_file(&env.scenarios, ".toml", data);
    let path = file.path();
    let skip = data.len() % 2 == 1;
    let options = LoadOptions {
        skip_bad_lines: skip,
        ..LoadOptions::default()
    };
    let Some(loaded) = guard("Scenario::load_with", || {
        Scenario::load_with(path, &options)
    }) else {
        return;
    };
    check_validate_command(path, skip, &loaded);
    match loaded {
        Err(e) => check_rejection(
            &e,
            &Rejection {
                input: data,
                file: path,
                text: Some(data),
                names_files: true,
            },
        ),
        Ok(s) => {
            stat("scenarios accepted");
            check_generated_log(&s);
            check_simulation(s, "scenario");
        }
    }
}

/// `simroute validate` says what loading said: ok, or the same error with
/// exit code 2.
fn check_validate_command(path: &Path, skip: bool, loaded: &Result<Scenario, InputError>) {
    use simroute::cmd::{Cli, Command, LoadArgs};
    let cli = Cli {
        command: Command::Validate {
            scenario: path.to_path_buf(),
            load: LoadArgs {
                traffic_log: None,
                class_field: None,
                skip_bad_lines: skip,
                replay: None,
            },
        },
    };
    let mut out = Vec::new();
    let Some(r) = guard("simroute validate", || simroute::cmd::run(cli, &mut out)) else {
        return;
    };
    match (r, loaded) {
        (Ok(()), Ok(_)) => {
            let text = String::from_utf8_lossy(&out);
            if !text.starts_with(&format!("{}: ok: ", path.display())) {
                violation(format!("validate printed {text:?}"));
            }
        }
        (Err(e), Err(want)) => {
            if simroute::cmd::exit_code(&e) != 2 || e.to_string() != want.to_string() {
                violation(format!(
                    "validate failed with exit code {} and {e}, loading with {want}",
                    simroute::cmd::exit_code(&e)
                ));
            }
        }
        (Ok(()), Err(want)) => violation(format!("validate passed, loading failed: {want}")),
        (Err(e), Ok(_)) => violation(format!("validate failed, loading passed: {e}")),
    }
}

/// A log `generate-log` writes from an accepted scenario reads back, record for
/// record, with its classes.
fn check_generated_log(s: &Scenario) {
    use simroute::logs::generate::{GenFormat, GenerateOptions, Generator};
    const N: u64 = 5;
    for format in [GenFormat::Bedrock, GenFormat::Csv] {
        let opts = GenerateOptions {
            records: N,
            seed: 3,
            policy: s.baseline,
            format,
        };
        let Some(Ok(generator)) = guard("Generator::new", || Generator::new(s, &opts)) else {
            continue;
        };
        let mut out = Vec::new();
        if guard("generate", || generator.write(&mut out)).is_none() {
            continue;
        }
        let file = temp_file(&env().scenarios, ".log", &out);
        let class_field = match format {
            GenFormat::Bedrock => Some("requestMetadata.feature"),
            GenFormat::Csv => None,
        };
        let mut classes = Vec::new();
        let read = simroute::logs::read_log(
            file.path(),
            &LogOptions {
                class_field,
                skip_bad_lines: false,
                class_optional: false,
            },
            |r| {
                classes.push(r.class.map(str::to_string));
                Ok(())
            },
        );
        match read {
            Ok(summary) if summary.used == N => {
                for c in classes.iter() {
                    let known_class = c
                        .as_deref()
                        .is_some_and(|c| s.classes.iter().any(|k| k.name == c));
                    if !known_class {
                        violation(format!(
                            "generate-log ({format:?}) wrote a record of class {c:?}, not a class of the scenario:\n{}",
                            String::from_utf8_lossy(&out)
                        ));
                    }
                }
            }
            Ok(summary) => violation(format!(
                "generate-log ({format:?}) wrote {N} records, {} read back:\n{}",
                summary.used,
                String::from_utf8_lossy(&out)
            )),
            Err(e) if e.message.starts_with("absurd count:") => known(
                Known::GeneratedCountAboveReaderCap,
                format!("generate-log ({format:?}) wrote a record the reader rejects: {e}"),
            ),
            Err(e) => violation(format!(
                "generate-log ({format:?}) wrote a log that does not read back: {e}\n{}",
                String::from_utf8_lossy(&out)
            )),
        }
    }
}

// ---------------------------------------------------------------------------
// pricing
// ---------------------------------------------------------------------------

/// A pricing table; on acceptance, every price in range, the cost of a call for
/// each model, and the support scenario run on the table.
pub fn check_pricing(data: &[u8]) {
    begin(data);
    let env = env();
    let dir = env
        .scenarios
        .parent()
        .expect("the scratch root")
        .join("pricing");
    let file = temp_file(&dir, ".toml", data);
    let path = file.path();
    let Some(loaded) = guard("PriceTable::load", || PriceTable::load(path)) else {
        return;
    };
    let table = match loaded {
        Err(e) => {
            return check_rejection(
                &e,
                &Rejection {
                    input: data,
                    file: path,
                    text: Some(data),
                    names_files: false,
                },
            );
        }
        Ok(t) => t,
    };
    stat("tables accepted");
    for (key, m) in &table.models {
        let prices = [
            Some(m.input),
            m.output,
            m.cache_read,
            m.cache_write,
            m.batch_input,
            m.batch_output,
            m.per_request,
        ];
        for p in prices.into_iter().flatten() {
            if !p.is_finite() || p < 0.0 {
                violation(format!("model {key:?} accepted with a price of {p}"));
            }
        }
        for spread in [m.ttft_ms, m.output_tokens_per_s].into_iter().flatten() {
            let text = format!("{spread:?}");
            if text.contains("NaN") || text.contains("inf") {
                violation(format!("model {key:?} accepted with a spread {text}"));
            }
        }
        for batch in [false, true] {
            let t = CallTokens {
                input: 1_000,
                output: if m.output.is_some() { 500 } else { 0 },
                cache_read: if batch { 0 } else { 200 },
                cache_write: if batch { 0 } else { 100 },
            };
            if let Some(Ok(cost)) = guard("ModelPrice::cost", || m.cost(&t, batch)) {
                let Some(total) = guard("CallCost::total", || cost.total_usd()) else {
                    continue;
                };
                if !total.is_finite() || total < 0.0 {
                    violation(format!("model {key:?}: a call costs {total}"));
                }
            }
        }
    }
    // The support case study on this table.
    let scenario = SUPPORT.replace(
        "pricing = \"../pricing/bedrock-us-east-1.toml\"",
        &format!("pricing = {}", toml_str(&path.to_string_lossy())),
    );
    let sfile = temp_file(&env.scenarios, ".toml", scenario.as_bytes());
    let Some(loaded) = guard("Scenario::load (support on the table)", || {
        Scenario::load(sfile.path())
    }) else {
        return;
    };
    match loaded {
        Err(e) => check_rejection(
            &e,
            &Rejection {
                input: scenario.as_bytes(),
                file: sfile.path(),
                text: None,
                names_files: true,
            },
        ),
        Ok(s) => check_simulation(s, "support.toml on the fuzzed pricing table"),
    }
}

// ---------------------------------------------------------------------------
// logs
// ---------------------------------------------------------------------------

/// One record as read, owned.
#[derive(Debug, Clone, PartialEq)]
struct Rec {
    line: u64,
    class: Option<String>,
    model: Option<String>,
    tokens: [u64; 4],
    latency_ms: Option<f64>,
}

fn read_all(
    path: &Path,
    class_field: Option<&str>,
    skip: bool,
) -> Option<Result<(Vec<Rec>, LogSummary), InputError>> {
    let mut recs = Vec::new();
    guard("read_log", || {
        simroute::logs::read_log(
            path,
            &LogOptions {
                class_field,
                skip_bad_lines: skip,
                class_optional: false,
            },
            |r: &Record| {
                recs.push(Rec {
                    line: r.line,
                    class: r.class.map(str::to_string),
                    model: r.model.map(str::to_string),
                    tokens: [r.input, r.output, r.cache_read, r.cache_write],
                    latency_ms: r.latency_ms,
                });
                Ok(())
            },
        )
    })
    .map(|r| r.map(|s| (recs, s)))
}

/// A log: read with and without skipping bad lines, with and without a class
/// field; fitted; and, where it reads, replayed by a scenario made for it.
/// `file_bytes` is what is written; `text` the same decompressed, where known;
/// `twin`, another file that must read exactly as `file_bytes` does (the plain
/// text of a gzip log, a log with CRLF line ends), and what it is.
fn check_log(
    data: &[u8],
    file_bytes: &[u8],
    text: Option<&[u8]>,
    class_fields: &[Option<&str>],
    twin: Option<(&[u8], &str)>,
) {
    let env = env();
    let file = temp_file(&env.scenarios.join("logs"), ".log", file_bytes);
    let path = file.path();
    let twin_file = twin.map(|(b, what)| (temp_file(&env.scenarios.join("logs"), ".log", b), what));
    let lines = text.map(|t| t.split(|b| *b == b'\n').count() as u64);
    let rejection = |e: &InputError| {
        check_rejection(
            e,
            &Rejection {
                input: data,
                file: path,
                text,
                names_files: false,
            },
        )
    };
    for &class_field in class_fields {
        let Some(strict) = read_all(path, class_field, false) else {
            return;
        };
        let Some(skipping) = read_all(path, class_field, true) else {
            return;
        };
        for r in [&strict, &skipping] {
            match r {
                Err(e) => rejection(e),
                Ok((recs, summary)) => {
                    stat("log reads accepted");
                    check_records(recs, summary, lines, class_field);
                }
            }
        }
        if let Some((twin, what)) = &twin_file {
            let Some(other) = read_all(twin.path(), class_field, false) else {
                return;
            };
            let same = match (&strict, &other) {
                (Ok((a, _)), Ok((b, _))) => a == b,
                (Err(a), Err(b)) => {
                    let here = path.to_string_lossy();
                    let there = twin.path().to_string_lossy();
                    a.position == b.position && a.message == b.message.replace(&*there, &here)
                }
                _ => false,
            };
            if !same {
                let show = |r: &Option<Result<(Vec<Rec>, LogSummary), InputError>>| match r {
                    Some(Ok((recs, _))) => format!("{} records: {recs:?}", recs.len()),
                    Some(Err(e)) => format!("{e}"),
                    None => String::new(),
                };
                violation(format!(
                    "the log and {what} read differently (class field {class_field:?}):\n  the log: {}\n  {what}: {}",
                    show(&Some(strict.clone())),
                    show(&Some(other))
                ));
            }
        }
        match (&strict, &skipping) {
            (Ok((a, _)), Ok((b, sb))) => {
                if a != b || sb.skipped_total() != 0 {
                    violation(format!(
                        "a log read without skipping reads differently with --skip-bad-lines ({} vs {} records, {} skipped)",
                        a.len(),
                        b.len(),
                        sb.skipped_total()
                    ));
                }
            }
            (Ok(_), Err(e)) => violation(format!(
                "a log read without skipping fails with --skip-bad-lines: {e}"
            )),
            (Err(e), Ok((_, sb))) => {
                if e.position.is_some() && sb.skipped_total() == 0 {
                    violation(format!(
                        "a record rejected at a line ({e}) is neither skipped nor rejected with --skip-bad-lines"
                    ));
                }
            }
            (Err(_), Err(e)) => {
                let whole_file = WHOLE_FILE.iter().any(|w| e.message.contains(w))
                    || e.message.contains("header")
                    || e.message.contains("column");
                if e.position.is_some() && !whole_file {
                    violation(format!("--skip-bad-lines stops at a line: {e}"));
                }
            }
        }
        let Some(fit) = guard("fit_log", || {
            simroute::logs::fit::fit_log(
                path,
                &LogOptions {
                    class_field,
                    skip_bad_lines: true,
                    class_optional: false,
                },
            )
        }) else {
            return;
        };
        match fit {
            Err(e) => rejection(&e),
            Ok(fit) => check_fit(&fit),
        }
        if let Ok((recs, _)) = &skipping {
            check_log_scenario(data, path, class_field, recs);
        }
    }
}

fn check_records(
    recs: &[Rec],
    summary: &LogSummary,
    lines: Option<u64>,
    class_field: Option<&str>,
) {
    if summary.read != summary.used + summary.skipped_total() {
        violation(format!(
            "read {} ≠ used + skipped: {summary:?}",
            summary.read
        ));
    }
    if summary.used != recs.len() as u64 || recs.is_empty() {
        violation(format!(
            "{} records handed over, {} used: {summary:?}",
            recs.len(),
            summary.used
        ));
    }
    let mut last = 0;
    for r in recs {
        // Non-decreasing, not increasing: a bare CR ends a CSV record, so two
        // records may share a line (lines are counted by LF).
        if r.line < last.max(1) || lines.is_some_and(|n| r.line > n) {
            violation(format!(
                "record at line {} after line {last} (the file has {lines:?} lines)",
                r.line
            ));
        }
        last = r.line;
        if r.tokens.iter().any(|t| *t > MAX_TOKENS) {
            violation(format!("a count above MAX_TOKENS accepted: {r:?}"));
        }
        if r.latency_ms.is_some_and(|l| !l.is_finite() || l < 0.0) {
            violation(format!("a latency out of range accepted: {r:?}"));
        }
        if class_field.is_some() && r.class.is_none() {
            violation(format!("a record without its class field accepted: {r:?}"));
        }
    }
    let _ = summary.describe();
    if let Some(span) = summary.span_s()
        && !span.is_finite()
    {
        violation(format!("the log's span is {span}"));
    }
}

/// `fit`'s output is TOML a user can paste, and its figures are finite.
fn check_fit(fit: &simroute::logs::fit::Fit) {
    let Some(text) = guard("fit::render", || simroute::logs::fit::render(fit)) else {
        return;
    };
    match text.parse::<toml::Table>() {
        Err(e) => violation(format!("fit's output is not TOML ({e}):\n{text}")),
        Ok(t) => {
            fn floats(v: &toml::Value, out: &mut Vec<f64>) {
                match v {
                    toml::Value::Float(f) => out.push(*f),
                    toml::Value::Array(a) => a.iter().for_each(|v| floats(v, out)),
                    toml::Value::Table(t) => t.values().for_each(|v| floats(v, out)),
                    _ => {}
                }
            }
            let mut fs = Vec::new();
            t.values().for_each(|v| floats(v, &mut fs));
            if fs.iter().any(|f| !f.is_finite()) {
                violation(format!(
                    "fit's output holds a number that is not finite:\n{text}"
                ));
            }
            let n = t
                .get("traffic")
                .and_then(|v| v.as_array())
                .map_or(0, Vec::len);
            if n != fit.classes.len() {
                violation(format!(
                    "fit's output has {n} [[traffic]] tables for {} classes:\n{text}",
                    fit.classes.len()
                ));
            }
        }
    }
    if let Some(m) = fit.monthly_requests()
        && !m.is_finite()
    {
        violation(format!("fit: monthly_requests {m}"));
    }
    let e4: u64 = fit.classes.iter().map(|c| c.share_e4).sum();
    if !fit.classes.is_empty() && e4 != 10_000 {
        violation(format!("fit: printed shares sum to {e4}/10000"));
    }
    for c in &fit.classes {
        let figures = [
            Some(c.share),
            c.cache_hit_rate(),
            c.input_tokens.lognormal().map(|(m, _)| m),
            c.input_tokens.lognormal().map(|(_, s)| s),
            c.output_tokens.lognormal().map(|(m, _)| m),
            c.output_tokens.lognormal().map(|(_, s)| s),
            c.input_tokens.lognormal_p99(),
            c.output_tokens.lognormal_p99(),
        ];
        if figures.iter().flatten().any(|v| !v.is_finite()) {
            violation(format!(
                "fit: a figure of class {:?} is not finite: {figures:?}",
                c.name
            ));
        }
    }
}

/// A scenario whose traffic comes from the log `path` (its classes, at most
/// eight), simulated with bootstrap or exact replay.
fn check_log_scenario(data: &[u8], path: &Path, class_field: Option<&str>, recs: &[Rec]) {
    let classes: BTreeSet<Option<&str>> = recs.iter().map(|r| r.class.as_deref()).collect();
    let names: Vec<&str> = classes.iter().map(|c| c.unwrap_or("all")).collect();
    if names.len() > 8 || (classes.len() > 1 && classes.contains(&None)) {
        return;
    }
    let exact = fnv(data, 0).is_multiple_of(2);
    let mut t = format!(
        "[scenario]\nname = \"fuzz-log\"\npricing = {}\nrequests = 150\nreplications = 2\nseed = 5\nmonthly_requests = 100000\nreplay = \"{}\"\n\n",
        toml_str(&env().pricing.to_string_lossy()),
        if exact { "exact" } else { "bootstrap" }
    );
    t.push_str(&format!(
        "[models.micro]\nprice = \"{PRICE_MICRO}\"\nskill = 0.6\nconfidence_auc = 0.8\n\n[models.sonnet]\nprice = \"{PRICE_SONNET}\"\nskill = 0.9\n\n[models.embed]\nprice = \"amazon.titan-embed-text-v2:0\"\n\n"
    ));
    for (i, n) in names.iter().enumerate() {
        t.push_str(&format!(
            "[[traffic]]\nname = {}\nlog = {}\ndifficulty = {{ alpha = 2, beta = 5 }}\n",
            toml_str(n),
            toml_str(&path.to_string_lossy())
        ));
        if let Some(f) = class_field {
            t.push_str(&format!("class_field = {}\n", toml_str(f)));
        }
        if i == 0 {
            t.push_str("extra_calls = [{ model = \"embed\", input_tokens = { median = 40, p95 = 120 } }]\n");
        }
        t.push('\n');
    }
    t.push_str("[[policy]]\nname = \"all-sonnet\"\nroute = [\"sonnet\"]\n\n[[policy]]\nname = \"cascade\"\nroute = [\"micro\", \"sonnet\"]\nthreshold = 0.5\n\n");
    t.push_str(&format!(
        "[[policy]]\nname = \"batch\"\nroute = [\"micro\"]\nbatch_classes = [{}]\nprompt_caching = false\n",
        names.iter().map(|n| toml_str(n)).collect::<Vec<_>>().join(", ")
    ));
    load_and_simulate(&t, "a scenario on the fuzzed log", data);
}

/// Loads a generated scenario (skipping bad lines) and simulates it; a
/// rejection is checked like any other.
fn load_and_simulate(scenario: &str, what: &str, data: &[u8]) {
    let file = temp_file(&env().scenarios, ".toml", scenario.as_bytes());
    let options = LoadOptions {
        skip_bad_lines: true,
        ..LoadOptions::default()
    };
    let Some(loaded) = guard("Scenario::load_with", || {
        Scenario::load_with(file.path(), &options)
    }) else {
        return;
    };
    match loaded {
        Err(e) => {
            // The fuzzed file's mistakes are the input's; the scenario's own are
            // this harness's and would be a bug here.
            if e.file == file.path() && e.position.is_some() && e.key.is_empty() {
                violation(format!(
                    "{what}: the generated scenario does not parse: {e}\n{scenario}"
                ));
            }
            let mut input = data.to_vec();
            input.extend_from_slice(scenario.as_bytes());
            check_rejection(
                &e,
                &Rejection {
                    input: &input,
                    file: file.path(),
                    text: None,
                    names_files: true,
                },
            );
        }
        Ok(s) => check_simulation(s, what),
    }
}

/// A Bedrock invocation log, as written (JSON Lines, CloudWatch export).
pub fn check_bedrock_log(data: &[u8]) {
    begin(data);
    if data.starts_with(&[0x1f, 0x8b]) {
        return; // gzip: the gzip target's
    }
    let twin = crlf(data);
    let twin = twin.as_deref().map(|t| (t, "its CRLF copy"));
    check_log(
        data,
        data,
        Some(data),
        &[None, Some("requestMetadata.feature")],
        twin,
    );
}

/// A Bedrock invocation log, gzipped by the target in two members (S3 delivers
/// several concatenated); input that is already gzip is written as it is.
pub fn check_bedrock_log_gzip(data: &[u8]) {
    begin(data);
    if data.starts_with(&[0x1f, 0x8b]) {
        let text = gunzip(data).ok();
        check_log(
            data,
            data,
            text.as_deref(),
            &[Some("requestMetadata.feature")],
            None,
        );
        return;
    }
    let cut = data
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .nth(1)
        .unwrap_or(data.len());
    let mut z = gzip(&data[..cut]);
    z.extend_from_slice(&gzip(&data[cut..]));
    check_log(
        data,
        &z,
        Some(data),
        &[Some("requestMetadata.feature")],
        Some((data, "its plain text")),
    );
}

/// `data` with CRLF line ends, where that changes nothing else: no CR in it,
/// and, unless it reads as JSON Lines, no quote (a quoted CSV field may hold a
/// line end; a JSON string cannot).
fn crlf(data: &[u8]) -> Option<Vec<u8>> {
    // As the reader decides: the first non-blank line, after a CloudWatch
    // export's prefix, opens a JSON object.
    let json = data
        .split(|b| *b == b'\n')
        .find(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
        .is_some_and(|l| simroute::logs::bedrock::split_prefix(l).1.first() == Some(&b'{'));
    if data.contains(&b'\r') || (!json && data.contains(&b'"')) || !data.contains(&b'\n') {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    Some(out)
}

/// A plain CSV log; the same with CRLF line ends reads the same.
pub fn check_csv_log(data: &[u8]) {
    begin(data);
    if data.starts_with(&[0x1f, 0x8b]) {
        return;
    }
    let twin = crlf(data);
    let twin = twin.as_deref().map(|t| (t, "its CRLF copy"));
    check_log(data, data, Some(data), &[None, Some("class")], twin);
}

/// A plain JSONL log; the same with CRLF line ends reads the same.
pub fn check_jsonl_log(data: &[u8]) {
    begin(data);
    if data.starts_with(&[0x1f, 0x8b]) {
        return;
    }
    let twin = crlf(data);
    let twin = twin.as_deref().map(|t| (t, "its CRLF copy"));
    check_log(data, data, Some(data), &[None, Some("class")], twin);
}

// ---------------------------------------------------------------------------
// eval sets
// ---------------------------------------------------------------------------

fn check_eval(data: &[u8], format: EvalFormat) {
    let env = env();
    let suffix = match format {
        EvalFormat::Csv => ".csv",
        EvalFormat::Promptfoo => ".json",
    };
    let file = temp_file(&env.scenarios.join("evals"), suffix, data);
    let path = file.path();
    let lines = data.split(|b| *b == b'\n').count() as u64;
    let rejection = |e: &InputError| {
        check_rejection(
            e,
            &Rejection {
                input: data,
                file: path,
                text: Some(data),
                names_files: false,
            },
        )
    };
    let mut kept = None;
    for (pass_mark, skip) in [(None, false), (Some(0.5), true)] {
        let opts = EvalOptions {
            format: Some(format),
            pass_mark,
            skip_bad_lines: skip,
        };
        let Some(read) = guard("read_eval", || simroute::eval::read_eval(path, &opts)) else {
            return;
        };
        match read {
            Err(e) => rejection(&e),
            Ok(f) => {
                stat("eval reads accepted");
                check_rows(&f, lines);
                match guard("eval::group", || simroute::eval::group(&f)) {
                    None => return,
                    Some(Err(e)) => rejection(&e),
                    Some(Ok(_)) => {
                        if skip {
                            kept = Some(f);
                        }
                    }
                }
            }
        }
    }
    // A byte order mark, and CRLF line ends, change nothing.
    let mut twins = Vec::new();
    if !data.starts_with(b"\xEF\xBB\xBF") {
        twins.push((
            [b"\xEF\xBB\xBF".as_slice(), data].concat(),
            "with a byte order mark",
        ));
    }
    if let Some(t) = crlf(data) {
        twins.push((t, "with CRLF line ends"));
    }
    if !twins.is_empty() {
        let opts = EvalOptions {
            format: Some(format),
            pass_mark: None,
            skip_bad_lines: false,
        };
        let Some(read) = guard("read_eval", || simroute::eval::read_eval(path, &opts)) else {
            return;
        };
        for (bytes, what) in twins {
            let twin = temp_file(&env.scenarios.join("evals"), suffix, &bytes);
            let Some(other) = guard("read_eval", || {
                simroute::eval::read_eval(twin.path(), &opts)
            }) else {
                return;
            };
            let same = match (&read, &other) {
                (Ok(a), Ok(b)) => a.rows == b.rows && a.read == b.read,
                // Invalid JSON with a raw line end in a string is reported at
                // the line end's first byte: CR or LF, another place.
                (Err(_), Err(_)) if format == EvalFormat::Promptfoo => true,
                (Err(a), Err(b)) => {
                    let here = path.to_string_lossy();
                    let there = twin.path().to_string_lossy();
                    a.position == b.position
                        && a.key == b.key
                        && a.message == b.message.replace(&*there, &here)
                }
                _ => false,
            };
            if !same {
                let show = |r: &Result<EvalFile, InputError>| match r {
                    Ok(f) => format!("{} rows: {:?}", f.rows.len(), f.rows),
                    Err(e) => e.to_string(),
                };
                violation(format!(
                    "the eval file and the same {what} read differently:\n  as given: {}\n  {what}: {}",
                    show(&read),
                    show(&other)
                ));
            }
        }
    }
    if let Some(f) = kept {
        check_eval_scenario(data, path, &f, format);
    }
}

fn check_rows(f: &EvalFile, lines: u64) {
    if f.rows.is_empty() || f.read != f.rows.len() as u64 + f.skipped.values().sum::<u64>() {
        violation(format!(
            "{} rows, {} read, skipped {:?}",
            f.rows.len(),
            f.read,
            f.skipped
        ));
    }
    let unit = |v: Option<f64>| v.is_none_or(|v| (0.0..=1.0).contains(&v));
    for r in &f.rows {
        if r.example_id.is_empty() || r.model.is_empty() {
            violation(format!("a row without an example or a model: {r:?}"));
        }
        if !unit(r.score) || !unit(r.confidence) {
            violation(format!("a score or confidence outside [0, 1]: {r:?}"));
        }
        if r.latency_ms.is_some_and(|l| !l.is_finite() || l < 0.0) {
            violation(format!("a latency out of range: {r:?}"));
        }
        if r.line.is_some_and(|l| l == 0 || l > lines) {
            violation(format!("a row at line {:?} of {lines}: {r:?}", r.line));
        }
    }
}

/// A scenario whose models and classes are the eval's (at most six of each),
/// routing only to models with a row on every example.
fn check_eval_scenario(data: &[u8], path: &Path, f: &EvalFile, format: EvalFormat) {
    let mut models: Vec<&str> = Vec::new();
    let mut classes: Vec<&str> = Vec::new();
    for r in &f.rows {
        if !models.contains(&r.model.as_str()) {
            models.push(&r.model);
        }
        if let Some(c) = &r.class
            && !classes.contains(&c.as_str())
        {
            classes.push(c);
        }
    }
    if models.len() > 6 || classes.len() > 6 {
        return;
    }
    // Rows without a class belong to the only class.
    if classes.is_empty() {
        classes.push("all");
    }
    let examples: BTreeSet<&str> = f.rows.iter().map(|r| r.example_id.as_str()).collect();
    let has = |m: &str, e: &str| f.rows.iter().any(|r| r.model == m && r.example_id == e);
    let covering: Vec<&str> = models
        .iter()
        .copied()
        .filter(|m| examples.iter().all(|e| has(m, e)))
        .collect();
    if covering.is_empty() {
        return;
    }
    let confident = |m: &str| {
        f.rows
            .iter()
            .filter(|r| r.model == m)
            .all(|r| r.confidence.is_some())
    };
    let prices = [PRICE_MICRO, PRICE_HAIKU, PRICE_SONNET];
    let mut t = format!(
        "[scenario]\nname = \"fuzz-eval\"\npricing = {}\nrequests = 150\nreplications = 3\nseed = 9\nmonthly_requests = 100000\n\n",
        toml_str(&env().pricing.to_string_lossy()),
    );
    for (i, m) in models.iter().enumerate() {
        t.push_str(&format!(
            "[models.{}]\nprice = \"{}\"\nskill = 0.7\nconfidence_auc = 0.8\n\n",
            toml_str(m),
            prices[i % prices.len()]
        ));
    }
    let n = classes.len();
    for (i, c) in classes.iter().enumerate() {
        let share = if i + 1 == n {
            1.0 - (n - 1) as f64 * (1.0 / n as f64)
        } else {
            1.0 / n as f64
        };
        t.push_str(&format!(
            "[[traffic]]\nname = {}\nshare = {share:?}\ninput_tokens = {{ median = 300, p95 = 900 }}\noutput_tokens = 80\ndifficulty = 0.3\n\n",
            toml_str(c)
        ));
    }
    for (i, m) in covering.iter().enumerate() {
        t.push_str(&format!(
            "[[policy]]\nname = \"only-{i}\"\nroute = [{}]\n\n",
            toml_str(m)
        ));
    }
    if let [a, b, ..] = covering[..] {
        t.push_str(&format!(
            "[[policy]]\nname = \"validator\"\nroute = [{}, {}]\nvalidator = {{ catches = 0.8, false_alarm = 0.1 }}\n\n",
            toml_str(a),
            toml_str(b)
        ));
        if confident(a) {
            t.push_str(&format!(
                "[[policy]]\nname = \"threshold\"\nroute = [{}, {}]\nthreshold = 0.6\n\n",
                toml_str(a),
                toml_str(b)
            ));
        }
    }
    t.push_str(&format!(
        "[eval]\nfile = {}\nformat = \"{}\"\n{}",
        toml_str(&path.to_string_lossy()),
        format,
        if format == EvalFormat::Csv {
            "pass_mark = 0.5\n"
        } else {
            ""
        }
    ));
    load_and_simulate(&t, "a scenario on the fuzzed eval", data);
}

/// simroute's eval CSV.
pub fn check_eval_csv(data: &[u8]) {
    begin(data);
    check_eval(data, EvalFormat::Csv);
}

/// promptfoo's results JSON.
pub fn check_promptfoo(data: &[u8]) {
    begin(data);
    check_eval(data, EvalFormat::Promptfoo);
}

// ---------------------------------------------------------------------------
// Seeds
// ---------------------------------------------------------------------------

/// Small scenarios that reach the triggers, batch, extra calls, logs and eval
/// sets (the repo's two examples are seeds too).
const SEED_SCENARIOS: &[(&str, &str)] = &[
    (
        "validator-classifier",
        r#"[scenario]
name = "triggers"
pricing = "pricing.toml"
requests = 500
replications = 2
seed = 7
monthly_requests = 1000000
sharpness = 8

[models.micro]
price = "amazon.nova-micro-v1:0"
skill = 0.55
ttft_ms = { median = 300, p95 = 900 }

[models.sonnet]
price = "anthropic.claude-sonnet-4-5-20250929-v1:0"
skill = 0.9
output_tokens_per_s = 60

[[traffic]]
name = "chat"
share = 0.7
input_tokens = { median = 800, p95 = 2500 }
output_tokens = 200
cached_prefix_tokens = 1500
cache_hit_rate = 0.8
difficulty = { alpha = 2, beta = 6 }

[[traffic]]
name = "bulk"
share = 0.3
input_tokens = 3000
output_tokens = { median = 150, p95 = 400 }
difficulty = 0.2
mode = "batch"

[[policy]]
name = "validated"
route = ["micro", "sonnet"]
validator = { catches = 0.7, false_alarm = 0.05 }

[[policy]]
name = "classified"
route = ["micro", "sonnet"]
by_class = { bulk = "micro" }
classifier = { model = "micro", auc = 0.8, threshold = 0.4, input_tokens = 200, output_tokens = 1 }
prompt_caching = false

[targets]
quality = 0.9
p95_latency_ms = 5000
"#,
    ),
    (
        "exact-replay-csv",
        r#"[scenario]
name = "replay"
pricing = "../pricing/bedrock-us-east-1.toml"
requests = 1
replications = 3
seed = 1
monthly_requests = 5000
replay = "exact"

[models.micro]
price = "amazon.nova-micro-v1:0"
skill = 0.6
confidence_auc = 0.75

[models.sonnet]
price = "anthropic.claude-sonnet-4-5-20250929-v1:0"
skill = 0.95

[[traffic]]
name = "chat"
log = "logs/plain.csv"
difficulty = 0.4

[[traffic]]
name = "intent, short"
log = "logs/plain.csv"
difficulty = 0.1

[[traffic]]
name = "summarize"
log = "logs/plain.csv"
difficulty = { alpha = 1, beta = 3 }

[[policy]]
name = "cascade"
route = ["micro", "sonnet"]
threshold = [0.45]
batch_classes = ["summarize"]
"#,
    ),
    (
        "bootstrap-bedrock-jsonl",
        r#"[scenario]
name = "bootstrap"
pricing = "../pricing/bedrock-us-east-1.toml"
requests = 300
replications = 2
seed = 11
monthly_requests = 20000
baseline = "sonnet"

[models.nova]
price = "amazon.nova-lite-v1:0"
skill = 0.7

[models.sonnet]
price = "anthropic.claude-sonnet-4-5-20250929-v1:0"
skill = 0.9

[[traffic]]
name = "chat"
log = "logs/bedrock.jsonl"
class_field = "requestMetadata.feature"
share = 0.5
difficulty = 0.3

[[traffic]]
name = "résumé"
log = "logs/bedrock.jsonl"
class_field = "requestMetadata.feature"
share = 0.2
difficulty = 0.3

[[traffic]]
name = "summarize"
log = "logs/bedrock.jsonl"
class_field = "requestMetadata.feature"
share = 0.2
difficulty = 0.3
mode = "batch"

[[traffic]]
name = "intent"
share = 0.1
input_tokens = 40
output_tokens = 2
difficulty = 0.1

[[policy]]
name = "nova"
route = ["nova"]

[[policy]]
name = "sonnet"
route = ["sonnet"]
"#,
    ),
    (
        "eval-csv",
        r#"[scenario]
name = "eval"
pricing = "../pricing/bedrock-us-east-1.toml"
requests = 200
replications = 4
seed = 3
monthly_requests = 1000

[models.micro]
price = "amazon.nova-micro-v1:0"

[models.haiku]
price = "anthropic.claude-haiku-4-5-20251001-v1:0"
ttft_ms = { median = 400, p95 = 1200 }

[models.sonnet]
price = "anthropic.claude-sonnet-4-5-20250929-v1:0"

[[traffic]]
name = "classify"
share = 0.5
input_tokens = 500
output_tokens = 5

[[traffic]]
name = "chat"
share = 0.3
input_tokens = { median = 900, p95 = 4000 }
output_tokens = 300
cached_prefix_tokens = 2000
cache_hit_rate = 0.9

[[traffic]]
name = "summarize"
share = 0.2
input_tokens = 3000
output_tokens = 250

[[policy]]
name = "threshold"
route = ["micro", "haiku", "sonnet"]
threshold = [0.5, 0.7]

[[policy]]
name = "validator"
route = ["haiku", "sonnet"]
validator = { catches = 0.9, false_alarm = 0.2 }
batch_classes = ["summarize"]

[[policy]]
name = "classifier"
route = ["micro", "sonnet"]
classifier = { model = "haiku", auc = 0.7, threshold = 0.5, input_tokens = 100, output_tokens = 0 }

[eval]
file = "evals/support.csv"
format = "csv"
"#,
    ),
    (
        "eval-promptfoo",
        r#"[scenario]
name = "promptfoo"
pricing = "../pricing/bedrock-us-east-1.toml"
requests = 200
replications = 2
seed = 3
monthly_requests = 1000

[models.haiku]
price = "anthropic.claude-haiku-4-5-20251001-v1:0"

[models."bedrock:us.amazon.nova-lite-v1:0"]
price = "amazon.nova-lite-v1:0"

[[traffic]]
name = "billing"
share = 0.6
input_tokens = 500
output_tokens = 100

[[traffic]]
name = "tech"
share = 0.4
input_tokens = 500
output_tokens = 100

[[policy]]
name = "haiku"
route = ["haiku"]

[[policy]]
name = "validated"
route = ["bedrock:us.amazon.nova-lite-v1:0", "haiku"]
validator = { catches = 0.5, false_alarm = 0.0 }

[eval]
file = "evals/promptfoo-results.json"
"#,
    ),
];

const SEED_PRICING: &str = r#"[meta]
region = "test-region"
currency = "USD"
unit = "per 1M tokens"
as_of = "2026-01-01"
source = "made up for tests"

[models.small]
input = 1.0
output = 2.0
cache_read = 0.1
cache_write = 1.25
batch_input = 0.5
batch_output = 1.0
ttft_ms = 500
output_tokens_per_s = 100

[models."amazon.nova-micro-v1:0"]
input = 0.035
output = 0.14
cache_read = 0.00875
ttft_ms = { median = 300, p95 = 700 }
output_tokens_per_s = { median = 250, p95 = 350 }
context_window = 128000
max_output_tokens = 10000

[models.rerank]
per_request = 0.002
"#;

const SEED_CSV_LOGS: &[&str] = &[
    "input_tokens,output_tokens\n100,20\n2500,300\n",
    "\u{feff}class,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,latency_ms,timestamp\r\nchat,100,20,0,0,1.5,2026-01-01T00:00:00Z\r\nchat,1,1,10,0,,2026-01-02 00:00:00.5+00:00\r\n",
    "model,input_tokens,output_tokens,class\n\"arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0\",12.0,3,\"a \"\"quoted\"\", class\"\n",
];

const SEED_JSONL_LOGS: &[&str] = &[
    "{\"input_tokens\":1,\"output_tokens\":2}\n{\"input_tokens\":\"3\",\"output_tokens\":4.0,\"class\":\"x\"}\n",
    "{\"class\":\"chat\",\"input_tokens\":10,\"output_tokens\":20,\"cache_read_tokens\":5,\"cache_write_tokens\":null,\"model\":\"us.anthropic.claude-sonnet-4-5-20250929-v1:0\",\"latency_ms\":12.5,\"timestamp\":\"2026-03-01T10:00:00Z\"}\n\n{\"class\":\"chat\",\"input_tokens\":0,\"output_tokens\":1,\"timestamp\":\"2026-03-02T10:00:00+00:00\"}\r\n",
];

const SEED_EVAL_CSVS: &[&str] = &[
    "example_id,class,model,pass,score,confidence,input_tokens,output_tokens,latency_ms\nq1,billing,micro,1,,0.82,812,143,1240\nq1,billing,sonnet,,0.9,,805,201,2810\n",
    "model,example_id,pass\r\na,1,true\r\nb,1,FALSE\r\na,2,0\r\nb,2,1\r\n",
];

const SEED_PROMPTFOO: &[&str] = &[
    r#"{"evalId": "e1", "results": {"version": 3, "timestamp": "t", "prompts": [], "results": [
{"testIdx": 0, "promptIdx": 0, "provider": {"id": "a", "label": "micro"}, "success": true, "score": 1, "namedScores": {"confidence": 0.9}, "latencyMs": 120, "response": {"tokenUsage": {"prompt": 10, "completion": 3}}, "testCase": {"metadata": {"class": "chat"}}},
{"testIdx": 0, "promptIdx": 0, "provider": {"id": "b", "label": "sonnet"}, "success": false, "score": 0.2, "gradingResult": {"pass": false, "score": 0.2, "namedScores": {"confidence": 0.4}}, "failureReason": 1, "testCase": {"vars": {"class": "chat"}}},
{"testIdx": 1, "promptIdx": 0, "provider": {"id": "a", "label": "micro"}, "success": false, "error": "timeout", "failureReason": 2},
{"testIdx": 1, "promptIdx": 0, "provider": "b", "success": true, "response": {"cached": true}}
]}}"#,
    r#"{"version": 2, "results": [{"testIdx": 0, "provider": "a", "success": true, "score": 1}], "table": {}, "stats": {}}"#,
];

/// The seed inputs of a target: the repo's examples and test fixtures, and a
/// few small inputs written for the shapes they miss.
pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let env = env();
    let own = |name: &str, s: &str| (name.to_string(), s.as_bytes().to_vec());
    let mut v: Vec<(String, Vec<u8>)> = Vec::new();
    let bedrock_head: Vec<u8> = env
        .support_log
        .split_inclusive(|b| *b == b'\n')
        .take(5)
        .flatten()
        .copied()
        .collect();
    match target {
        "scenario" => {
            v.push(own("support.toml", SUPPORT));
            v.push(own("support-measured.toml", SUPPORT_MEASURED));
            v.push(own("support-load.toml", SUPPORT_LOAD));
            v.push(own("support-capacity.toml", SUPPORT_CAPACITY));
            // Sonnet through the us profile, the cascade on the Flex tier of
            // a model that has one.
            let sonnet = "price = \"anthropic.claude-sonnet-4-5-20250929-v1:0\"\n";
            v.push(own(
                "support-profile.toml",
                &SUPPORT
                    .replacen(sonnet, &format!("{sonnet}profile = \"us\"\n"), 1)
                    .replacen(
                        "name = \"cascade\"\n",
                        "name = \"cascade\"\nservice_tier = \"standard\"\n",
                        1,
                    ),
            ));
            for (name, s) in SEED_SCENARIOS {
                v.push(own(&format!("{name}.toml"), s));
            }
        }
        "pricing" => {
            v.push(own("bedrock-us-east-1.toml", REPO_PRICING));
            v.push(own("tests-fixtures-pricing.toml", TEST_PRICING));
            v.push(own("small.toml", SEED_PRICING));
        }
        "bedrock_log" | "bedrock_log_gzip" => {
            v.push(own("bedrock.jsonl", LOG_BEDROCK));
            v.push(own("cloudwatch-export.txt", LOG_CLOUDWATCH));
            v.push(("support-invocations-head.jsonl".into(), bedrock_head));
            if target == "bedrock_log_gzip" {
                v.push(("bedrock.jsonl.gz".into(), LOG_BEDROCK_GZ.to_vec()));
            }
        }
        "csv_log" => {
            v.push(own("plain.csv", LOG_CSV));
            for (i, s) in SEED_CSV_LOGS.iter().enumerate() {
                v.push(own(&format!("seed-{i}.csv"), s));
            }
            v.push(("generated.csv".into(), generated_csv_log()));
        }
        "jsonl_log" => {
            v.push(own("plain.jsonl", LOG_JSONL));
            for (i, s) in SEED_JSONL_LOGS.iter().enumerate() {
                v.push(own(&format!("seed-{i}.jsonl"), s));
            }
        }
        "eval_csv" => {
            v.push(own("support.csv", SUPPORT_EVAL));
            v.push(own("basic.csv", EVAL_CSV));
            for (i, s) in SEED_EVAL_CSVS.iter().enumerate() {
                v.push(own(&format!("seed-{i}.csv"), s));
            }
        }
        "promptfoo" => {
            v.push(own("promptfoo-results.json", EVAL_PROMPTFOO));
            for (i, s) in SEED_PROMPTFOO.iter().enumerate() {
                v.push(own(&format!("seed-{i}.json"), s));
            }
        }
        other => panic!("no target {other}"),
    }
    v
}

/// 20 records of `generate-log --format csv` from the support scenario.
fn generated_csv_log() -> Vec<u8> {
    use simroute::logs::generate::{GenFormat, GenerateOptions, generate};
    let s = Scenario::load(&env().scenarios.join("support.toml")).expect("support.toml loads");
    let mut out = Vec::new();
    generate(
        &s,
        &GenerateOptions {
            records: 20,
            seed: 7,
            policy: s.baseline,
            format: GenFormat::Csv,
        },
        &mut out,
    )
    .expect("writes to memory");
    out
}

/// A hash of a target's name, to give each target its own mutation stream.
pub fn fnv_name(name: &str) -> u64 {
    fnv(name.as_bytes(), 0xcbf2_9ce4_8422_2325)
}
