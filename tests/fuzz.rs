//! The fuzz targets of `fuzz/` on the stable toolchain: each target's checks
//! (fuzz/targets.rs, the same code libFuzzer runs) on its seeds, the inputs kept
//! in fuzz/regressions/TARGET/, and a bounded number of inputs made from them by
//! a deterministic mutator (byte and line edits, tokens that matter to the
//! formats, splices between seeds).
//!
//! SIMROUTE_FUZZ_ITERS=N runs N mutated inputs per target instead of the
//! default; SIMROUTE_FUZZ_SEED=S changes the mutator's seed. A failing input is
//! printed and saved under target/tmp/fuzz-failures/; copy it into
//! fuzz/regressions/TARGET/ to keep it, or run it with
//! `cargo fuzz run TARGET FILE`.

#[path = "../fuzz/targets.rs"]
mod targets;

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::Instant;

/// Mutated inputs per target by default: the whole file takes about 15 s of
/// one core in the dev profile.
const DEFAULT_ITERS: u64 = 150;

/// splitmix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Values and punctuation that matter to TOML, JSON, CSV and the readers'
/// range checks.
const TOKENS: &[&str] = &[
    "-1",
    "0",
    "1",
    "0.0",
    "-0.0",
    "1.5",
    "1e308",
    "-1e308",
    "1e-320",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "NaN",
    "Infinity",
    "18446744073709551616",
    "18446744073709551615",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967296",
    "10000000",
    "10000001",
    "99999999999999999999999999",
    "1e21",
    "0x10",
    "1_000",
    "\"\"",
    "\"x\"",
    "''",
    "\u{feff}",
    "é",
    "\u{0}",
    "[",
    "]",
    "{",
    "}",
    "[[",
    "=",
    ":",
    ",",
    ".",
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "#",
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "null",
    "true",
    "false",
    "[]",
    "{}",
    "2026-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
];

fn lines(b: &[u8]) -> Vec<&[u8]> {
    b.split_inclusive(|c| *c == b'\n').collect()
}

/// Positions just after a byte that starts a value or a field.
fn boundaries(b: &[u8]) -> Vec<usize> {
    b.iter()
        .enumerate()
        .filter(|(_, c)| matches!(c, b'=' | b',' | b':' | b'\n' | b'[' | b'{' | b' '))
        .map(|(i, _)| i + 1)
        .collect()
}

/// (start, end) of the runs of number-like bytes.
fn numbers(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b"._+-".contains(&b[j])) {
                j += 1;
            }
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            out.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// (start, end) of the contents of double-quoted strings (no escapes followed).
fn strings(b: &[u8]) -> Vec<(usize, usize)> {
    let quotes: Vec<usize> = b
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == b'"')
        .map(|(i, _)| i)
        .collect();
    quotes
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (c[0] + 1, c[1]))
        .collect()
}

fn mutate_once(rng: &mut Rng, seeds: &[Vec<u8>], v: &mut Vec<u8>) {
    let token = |rng: &mut Rng| rng.pick(TOKENS).as_bytes().to_vec();
    match rng.below(14) {
        0 if !v.is_empty() => {
            let i = rng.below(v.len());
            v[i] ^= 1 << rng.below(8);
        }
        1 if !v.is_empty() => {
            let i = rng.below(v.len());
            v[i] = rng.next() as u8;
        }
        2 => {
            let i = rng.below(v.len() + 1);
            let t = token(rng);
            v.splice(i..i, t);
        }
        3 => {
            let b = boundaries(v);
            if !b.is_empty() {
                let i = *rng.pick(&b);
                let t = token(rng);
                v.splice(i..i, t);
            }
        }
        4 | 5 => {
            let n = numbers(v);
            if !n.is_empty() {
                let (a, b) = *rng.pick(&n);
                let t = token(rng);
                v.splice(a..b, t);
            }
        }
        6 => {
            let s = strings(v);
            if !s.is_empty() {
                let (a, b) = *rng.pick(&s);
                let t = if rng.below(2) == 0 {
                    Vec::new()
                } else {
                    token(rng)
                };
                v.splice(a..b, t);
            }
        }
        7 if !v.is_empty() => {
            let a = rng.below(v.len());
            let b = (a + 1 + rng.below(32)).min(v.len());
            v.drain(a..b);
        }
        8 => {
            // Delete, duplicate or move a line.
            let mut ls: Vec<Vec<u8>> = lines(v).into_iter().map(<[u8]>::to_vec).collect();
            if !ls.is_empty() {
                let i = rng.below(ls.len());
                match rng.below(3) {
                    0 => {
                        ls.remove(i);
                    }
                    1 => {
                        let l = ls[i].clone();
                        ls.insert(i, l);
                    }
                    _ => {
                        let j = rng.below(ls.len());
                        ls.swap(i, j);
                    }
                }
                *v = ls.concat();
            }
        }
        9 => {
            // A line of another seed, inserted at a line start.
            let other = rng.pick(seeds);
            let ol = lines(other);
            if !ol.is_empty() {
                let l = rng.pick(&ol).to_vec();
                let starts: Vec<usize> = std::iter::once(0)
                    .chain(
                        v.iter()
                            .enumerate()
                            .filter(|(_, c)| **c == b'\n')
                            .map(|(i, _)| i + 1),
                    )
                    .collect();
                let i = *rng.pick(&starts);
                v.splice(i..i, l);
            }
        }
        10 => {
            // Splice: this input's start, another seed's end.
            let other = rng.pick(seeds);
            let a = rng.below(v.len() + 1);
            let b = rng.below(other.len() + 1);
            v.truncate(a);
            v.extend_from_slice(&other[b..]);
        }
        11 => {
            let a = rng.below(v.len() + 1);
            v.truncate(a);
        }
        12 if !v.is_empty() => {
            // Repeat a slice many times: long lines, deep nesting, many records.
            let a = rng.below(v.len());
            let b = (a + 1 + rng.below(64)).min(v.len());
            let piece = v[a..b].to_vec();
            let times = 1 + rng.below(200);
            let rep: Vec<u8> = piece
                .iter()
                .copied()
                .cycle()
                .take(piece.len() * times)
                .collect();
            v.splice(b..b, rep);
        }
        _ => {
            // Change a line ending style or add a byte order mark.
            match rng.below(3) {
                0 => {
                    let mut out = Vec::with_capacity(v.len() + 16);
                    for &c in v.iter() {
                        if c == b'\n' {
                            out.push(b'\r');
                        }
                        out.push(c);
                    }
                    *v = out;
                }
                1 => v.splice(0..0, "\u{feff}".bytes()).for_each(drop),
                _ => v.retain(|c| *c != b'\r'),
            }
        }
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = rng.pick(seeds).clone();
    for _ in 0..1 + rng.below(4) {
        mutate_once(rng, seeds, &mut v);
    }
    // libFuzzer's default limit for such corpora, and it keeps a run quick.
    v.truncate(64 * 1024);
    v
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Saved inputs of a target: fuzz/regressions/TARGET/*.
fn regressions(name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(name);
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            if let Ok(b) = std::fs::read(e.path()) {
                out.push((e.file_name().to_string_lossy().into_owned(), b));
            }
        }
    }
    out.sort();
    out
}

fn run(name: &str) {
    let target = targets::TARGETS
        .iter()
        .find(|t| t.name == name)
        .expect("a target of that name");
    targets::set_label(name);
    let iters = env_u64("SIMROUTE_FUZZ_ITERS").unwrap_or(DEFAULT_ITERS);
    let mut rng = Rng(env_u64("SIMROUTE_FUZZ_SEED").unwrap_or(0x5eed) ^ targets::fnv_name(name));
    let seeds = targets::seeds(name);
    let seed_bytes: Vec<Vec<u8>> = seeds.iter().map(|(_, b)| b.clone()).collect();
    let fixed: Vec<(String, Vec<u8>)> = seeds
        .into_iter()
        .map(|(n, b)| (format!("seed {n}"), b))
        .chain(
            regressions(name)
                .into_iter()
                .map(|(n, b)| (format!("fuzz/regressions/{name}/{n}"), b)),
        )
        .collect();
    let start = Instant::now();
    let mut failures = Vec::new();
    let total = fixed.len() as u64 + iters;
    for i in 0..total {
        let (label, input) = match fixed.get(i as usize) {
            Some((l, b)) => (l.clone(), b.clone()),
            None => (format!("mutation {i}"), mutate(&mut rng, &seed_bytes)),
        };
        let r = panic::catch_unwind(AssertUnwindSafe(|| (target.check)(&input)));
        if let Err(p) = r {
            let message = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join(format!("{name}-{i}.bin"));
            std::fs::write(&file, &input).unwrap();
            let shown = String::from_utf8_lossy(&input[..input.len().min(3000)]).into_owned();
            failures.push(format!(
                "{name}, {label}: {message}\n  input saved to {}\n  input ({} bytes): {shown:?}",
                file.display(),
                input.len()
            ));
            if failures.len() >= 3 {
                break;
            }
        }
    }
    let elapsed = start.elapsed();
    eprintln!(
        "fuzz {name}: {total} executions ({} seeds and saved inputs, {iters} mutated) in {:.1} s",
        fixed.len(),
        elapsed.as_secs_f64()
    );
    let outcomes: Vec<String> = targets::stats()
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    eprintln!("  {}", outcomes.join(", "));
    for (k, n, first) in targets::known_counts() {
        eprintln!("  known issue {k:?} (tolerated): {n} inputs, e.g. {first}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn scenario() {
    run("scenario");
}

#[test]
fn pricing() {
    run("pricing");
}

#[test]
fn bedrock_log() {
    run("bedrock_log");
}

#[test]
fn bedrock_log_gzip() {
    run("bedrock_log_gzip");
}

#[test]
fn csv_log() {
    run("csv_log");
}

#[test]
fn jsonl_log() {
    run("jsonl_log");
}

#[test]
fn eval_csv() {
    run("eval_csv");
}

#[test]
fn promptfoo() {
    run("promptfoo");
}

/// With SIMROUTE_FUZZ_CORPUS=DIR, writes every target's seeds to DIR/TARGET/,
/// the corpus cargo-fuzz starts from (`SIMROUTE_FUZZ_CORPUS=fuzz/corpus cargo
/// test --test fuzz seed_corpus`); without it, does nothing.
#[test]
fn seed_corpus() {
    let Some(dir) = std::env::var_os("SIMROUTE_FUZZ_CORPUS") else {
        return;
    };
    for t in targets::TARGETS {
        let d = PathBuf::from(&dir).join(t.name);
        std::fs::create_dir_all(&d).unwrap();
        for (name, bytes) in targets::seeds(t.name) {
            std::fs::write(d.join(format!("seed-{name}")), bytes).unwrap();
        }
    }
}
