//! Opening the user's input files: one gate for every reader.
//!
//! Every file simroute reads — scenario, pricing table, log, eval set — is opened
//! here, so that each says the same thing, in the user's words, when the path is
//! not a file it can use: a folder; a pipe or a device (`/dev/stdin`), which
//! cannot be read twice, and simroute reads its inputs more than once (a sweep
//! rereads its scenario, exact replay rereads its log), so it is refused before it
//! is opened (opening a pipe would block); a file too large to be what it claims.
//!
//! Files read whole (TOML, eval sets) are read through `Read::take(limit + 1)`, so
//! a file that grows while it is read, or one whose size the system does not know
//! (`/proc` files say 0), is bounded all the same. The limits are generous for
//! what the files hold and can be raised with [`LIMIT_VAR`]. Logs are streamed:
//! their bounds are the log reader's (line length, gzip ratio).
//!
//! It also names the kind of a file handed to the wrong reader, where that can be
//! told from its first bytes: [`binary_kind`] (gzip, zip, ...) and
//! [`looks_like_toml`] (a scenario or pricing table passed as a log).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::input::InputError;

/// The environment variable that replaces the size limit of files read whole.
pub const LIMIT_VAR: &str = "SIMROUTE_MAX_INPUT_BYTES";

/// The largest scenario or pricing table read, by default: 16 MiB, some thousand
/// times the largest real one.
pub const MAX_TOML_BYTES: u64 = 16 << 20;

/// The largest eval set (CSV, or promptfoo's JSON results, which hold every
/// prompt and output) read, by default: 256 MiB.
pub const MAX_EVAL_BYTES: u64 = 256 << 20;

/// The largest LiteLLM price list (`pricing import`) read, by default: 64 MiB,
/// some twenty times LiteLLM's whole file of 2026 (3.4 MB).
pub const MAX_PRICE_LIST_BYTES: u64 = 64 << 20;

/// What a file read whole holds, for its size limit and its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whole {
    /// A scenario or a pricing table.
    Toml,
    /// An eval set.
    Eval,
    /// LiteLLM's price list (JSON).
    PriceList,
}

impl Whole {
    fn default_limit(self) -> u64 {
        match self {
            Whole::Toml => MAX_TOML_BYTES,
            Whole::Eval => MAX_EVAL_BYTES,
            Whole::PriceList => MAX_PRICE_LIST_BYTES,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Whole::Toml => "a scenario or pricing table",
            Whole::Eval => "an eval set",
            Whole::PriceList => "a LiteLLM price list",
        }
    }
}

/// Why `path` cannot be read as an input file, in words ("no such file", "it is
/// a folder, not a file", ...), or `Ok` if it is a regular file.
pub fn check(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Err(e) => Err(io_reason(&e)),
        Ok(m) if m.is_dir() => Err("it is a folder, not a file".to_string()),
        Ok(m) if !m.is_file() => Err(
            "it is not a regular file (a device or pipe): simroute reads its inputs more \
             than once; save it to a file first"
                .to_string(),
        ),
        Ok(_) => Ok(()),
    }
}

/// An I/O error in words: "no such file", "permission denied", else the system's
/// message without its "(os error N)".
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// Opens the input file at `path` for reading, after [`check`].
pub fn open(path: &Path) -> Result<File, InputError> {
    let cannot = |m: String| InputError::file(path, format!("cannot read the file: {m}"));
    check(path).map_err(cannot)?;
    File::open(path).map_err(|e| cannot(io_reason(&e)))
}

/// The whole content of the input file at `path`, refused if it holds more than
/// the limit for `kind` (or [`LIMIT_VAR`]'s).
pub fn read_whole(path: &Path, kind: Whole) -> Result<Vec<u8>, InputError> {
    let limit = limit(path, kind)?;
    let file = open(path)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > limit {
        return Err(too_large(path, kind, limit, Some(len)));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::file(path, format!("cannot read the file: {}", io_reason(&e))))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, kind, limit, None));
    }
    Ok(bytes)
}

/// The size limit for `kind`: [`LIMIT_VAR`] where set.
fn limit(path: &Path, kind: Whole) -> Result<u64, InputError> {
    match std::env::var(LIMIT_VAR) {
        Err(std::env::VarError::NotPresent) => Ok(kind.default_limit()),
        Ok(v) if v.trim().parse::<u64>().is_ok_and(|n| n > 0) => {
            Ok(v.trim().parse().unwrap_or(kind.default_limit()))
        }
        Ok(v) => Err(InputError::file(
            path,
            format!(
                "cannot read the file: {LIMIT_VAR} is \"{v}\", not a whole number of bytes (at least 1)"
            ),
        )),
        Err(_) => Err(InputError::file(
            path,
            format!("cannot read the file: {LIMIT_VAR} is not a whole number of bytes"),
        )),
    }
}

fn too_large(path: &Path, kind: Whole, limit: u64, len: Option<u64>) -> InputError {
    let size = match len {
        Some(n) => format!("the file is {}, more than", bytes(n)),
        None => "the file holds more than".to_string(),
    };
    InputError::file(
        path,
        format!(
            "{size} the {} {} may be: is it the right file? If it is, raise the limit with \
             the environment variable {LIMIT_VAR} (a number of bytes)",
            bytes(limit),
            kind.what()
        ),
    )
}

/// A size for people: "16 MiB", "300 bytes", "20.5 MiB (21495808 bytes)".
fn bytes(n: u64) -> String {
    const MIB: u64 = 1 << 20;
    if n < MIB {
        return format!("{n} bytes");
    }
    let mib = n as f64 / MIB as f64;
    if n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{mib:.1} MiB ({n} bytes)")
    }
}

/// What kind of file `head` (its first bytes) starts, where it is plainly not
/// text: "a gzip-compressed file", "a zip archive ...", "a binary file".
pub fn binary_kind(head: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x1f\x8b", "a gzip-compressed file"),
        (
            b"PK\x03\x04",
            "a zip archive (or an Office document such as .xlsx)",
        ),
        (b"%PDF", "a PDF document"),
        (b"\x28\xb5\x2f\xfd", "a zstd-compressed file"),
        (b"BZh", "a bzip2-compressed file"),
        (b"\xfd7zXZ\x00", "an xz-compressed file"),
        (b"SQLite format 3\x00", "an SQLite database"),
        (b"PAR1", "a Parquet file"),
    ];
    if let Some((_, what)) = MAGIC.iter().find(|(m, _)| head.starts_with(m)) {
        return Some(what);
    }
    let start = &head[..head.len().min(8192)];
    if start.starts_with(b"\xff\xfe") || start.starts_with(b"\xfe\xff") {
        return Some("UTF-16 text (save it as UTF-8)");
    }
    start.contains(&0).then_some("a binary file")
}

/// Whether `line`, the first non-blank line of a file, reads as TOML: a comment,
/// a `[table]` or `[[array]]` header, or `key = value`. (A CSV header has no `=`;
/// a JSON line starts with `{` or `[` and a quote, a digit or a bracket.)
pub fn looks_like_toml(line: &[u8]) -> bool {
    let Ok(line) = std::str::from_utf8(line) else {
        return false;
    };
    let t = line.trim();
    if t.starts_with('#') {
        return true;
    }
    let bare = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.\" ".contains(c))
    };
    if let Some(rest) = t.strip_prefix('[') {
        // `[name]` or `[[name]]`, then nothing or a comment; a name starts with a
        // letter or a quote and has no comma (`["a", "b"]` is JSON).
        let (rest, close) = match rest.strip_prefix('[') {
            Some(r) => (r, "]]"),
            None => (rest, "]"),
        };
        let Some((name, after)) = rest.split_once(close) else {
            return false;
        };
        let after = after.trim();
        return (after.is_empty() || after.starts_with('#'))
            && !name.contains(',')
            && name
                .trim()
                .starts_with(|c: char| c.is_ascii_alphabetic() || c == '"');
    }
    match t.split_once('=') {
        Some((key, _)) => bare(key.trim()) && !key.contains(','),
        None => false,
    }
}

/// The first non-blank line of `bytes`.
pub fn first_line(bytes: &[u8]) -> &[u8] {
    bytes
        .split(|b| *b == b'\n')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_lines_are_told_from_csv_and_json() {
        for toml in [
            "# a comment",
            "[scenario]",
            "[[traffic]]",
            "[models.\"amazon.nova-micro-v1:0\"]",
            "name = \"x\"",
        ] {
            assert!(looks_like_toml(toml.as_bytes()), "{toml}");
        }
        for other in [
            "class,input_tokens,output_tokens",
            "{\"input_tokens\": 1}",
            "[{\"a\": 1}]",
            "[1, 2]",
            "[\"a\", \"b\"]",
            "input_tokens",
        ] {
            assert!(!looks_like_toml(other.as_bytes()), "{other}");
        }
    }

    #[test]
    fn binary_files_are_named() {
        assert_eq!(
            binary_kind(b"\x1f\x8b\x08\x00"),
            Some("a gzip-compressed file")
        );
        assert_eq!(binary_kind(b"abc\x00def"), Some("a binary file"));
        assert_eq!(binary_kind(b"[scenario]\nname = 1\n"), None);
    }

    #[test]
    fn sizes_are_said_in_mib() {
        assert_eq!(bytes(16 << 20), "16 MiB");
        assert_eq!(bytes(300), "300 bytes");
        assert_eq!(bytes((16 << 20) + (1 << 19)), "16.5 MiB (17301504 bytes)");
    }
}
