//! Reading the user's TOML files and reporting mistakes in them.
//!
//! Every mistake in a scenario or pricing table ends as one [`InputError`]: the
//! file, the line and column, the key (as a dotted path such as
//! `traffic[1].input_tokens.p95`) and what is wrong. Parsing is done twice over the
//! same text: once by serde into the format structs (which deny unknown keys), and
//! once into `toml`'s spanned document, which is only used to turn a key path into a
//! line and column when validation finds something wrong.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};

/// One step of a path to a key: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A dotted path to a key in a TOML document, e.g. `traffic[1].share`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }
    /// This path extended by a table key.
    pub fn key(&self, k: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Key(k.to_string()));
        KeyPath(v)
    }
    /// This path extended by an array index.
    pub fn index(&self, i: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Index(i));
        KeyPath(v)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) => {
                    let bare = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    match (i, bare) {
                        (0, true) => write!(f, "{k}")?,
                        (0, false) => write!(f, "\"{k}\"")?,
                        (_, true) => write!(f, ".{k}")?,
                        (_, false) => write!(f, ".\"{k}\"")?,
                    }
                }
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// The value at `segs` in `doc`, which must exist (a sweep's parameter or an
/// uncertain input, both found in the document first).
pub fn value_at_mut<'a>(doc: &'a mut toml::Table, segs: &[Seg]) -> &'a mut toml::Value {
    let (first, rest) = segs.split_first().expect("a key has a path");
    let Seg::Key(k) = first else {
        unreachable!("documents are tables")
    };
    let mut node = doc.get_mut(k).expect("the key exists");
    for seg in rest {
        node = match seg {
            Seg::Key(k) => node.get_mut(k.as_str()).expect("the key exists"),
            Seg::Index(i) => node.get_mut(*i).expect("the key exists"),
        };
    }
    node
}

/// A validation finding before it is tied to a file: the key and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub path: KeyPath,
    pub message: String,
}

impl Invalid {
    pub fn new(path: KeyPath, message: impl Into<String>) -> Self {
        Invalid {
            path,
            message: message.into(),
        }
    }
}

/// A mistake in one of the user's input files. The CLI exits with code 2 on it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct InputError {
    /// The file that holds the mistake.
    pub file: PathBuf,
    /// 1-based line and column, where they are known; column 0 where only the
    /// line is (a line of a log or CSV file).
    pub position: Option<(usize, usize)>,
    /// The key, as a dotted path; empty where the mistake is not tied to one key.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match self.position {
            Some((line, 0)) => write!(f, ":{line}")?,
            Some((line, col)) => write!(f, ":{line}:{col}")?,
            None => {}
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl InputError {
    /// A mistake on one line of a data file (log, eval), 1-based.
    pub fn line(file: &Path, line: u64, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_path_buf(),
            position: Some((line as usize, 0)),
            key: String::new(),
            message: message.into(),
        }
    }

    /// A mistake about the file as a whole (unreadable, empty, ...).
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_path_buf(),
            position: None,
            key: String::new(),
            message: message.into(),
        }
    }
}

/// A mistake in the command line that clap cannot see (a `--param` key that does
/// not exist, a `--model` not in the table, ...). The CLI exits with code 2 on it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A TOML file read and deserialized, kept with its text so that later findings can
/// be located.
pub struct TomlFile<T> {
    pub path: PathBuf,
    pub text: String,
    pub value: T,
}

/// Which of the two TOML formats a file is read as, for what is said about a file
/// of another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TomlKind {
    Scenario,
    Pricing,
}

impl TomlKind {
    fn noun(self) -> &'static str {
        match self {
            TomlKind::Scenario => "scenario",
            TomlKind::Pricing => "pricing table",
        }
    }

    /// What the file should have been, and where to read about it.
    fn hint(self) -> &'static str {
        match self {
            TomlKind::Scenario => {
                "a scenario is a TOML text file, see scenarios/README.md; a log is named by a \
                 class's `log = ...`, or given to --traffic-log or `simroute fit`"
            }
            TomlKind::Pricing => {
                "a pricing table is a TOML text file such as pricing/bedrock-us-east-1.toml, \
                 see scenarios/README.md §3"
            }
        }
    }
}

/// A format read by [`TomlFile::read`]: which kind of file it is.
pub trait TomlFormat: DeserializeOwned {
    const KIND: TomlKind;
}

impl TomlFormat for crate::scenario::format::ScenarioFile {
    const KIND: TomlKind = TomlKind::Scenario;
}

impl TomlFormat for crate::pricing::format::PricingFile {
    const KIND: TomlKind = TomlKind::Pricing;
}

/// The text of the TOML file at `path`, read as `kind`: through the input gate
/// ([`crate::infile`]: a folder, a pipe, a file too large are refused), and
/// refused where it is not text (a gzip log, a spreadsheet) or not UTF-8. A
/// leading byte order mark is dropped.
pub fn read_toml_text(path: &Path, kind: TomlKind) -> Result<String, InputError> {
    let bytes = crate::infile::read_whole(path, crate::infile::Whole::Toml)?;
    if let Some(what) = crate::infile::binary_kind(&bytes) {
        return Err(InputError::file(
            path,
            format!(
                "this is {what}, not a TOML {}: {}",
                kind.noun(),
                kind.hint()
            ),
        ));
    }
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let valid = std::str::from_utf8(valid).unwrap_or_default();
        InputError {
            file: path.to_path_buf(),
            position: Some(line_col(valid, valid.len())),
            key: String::new(),
            message: "this byte is not UTF-8 text: save the file as UTF-8".to_string(),
        }
    })
}

/// What the file is, where a TOML file that `kind`'s format rejected is plainly
/// something else: the other TOML format, JSON, JSON Lines, CSV.
fn wrong_kind(text: &str, kind: TomlKind) -> Option<String> {
    use serde::de::IgnoredAny;
    match DeTable::parse(text) {
        Ok(doc) => {
            let has = |k: &str| doc.get_ref().iter().any(|(key, _)| key.get_ref() == k);
            match kind {
                TomlKind::Scenario if has("meta") && has("models") && !has("scenario") => Some(
                    "this is a pricing table, not a scenario: name it in a scenario's \
                     `pricing = ...` (see scenarios/README.md)"
                        .to_string(),
                ),
                TomlKind::Pricing if has("scenario") => Some(format!(
                    "this is a scenario, not a pricing table: {}",
                    kind.hint()
                )),
                _ => None,
            }
        }
        Err(_) => {
            let t = text.trim_start();
            if (t.starts_with('{') || t.starts_with('['))
                && serde_json::from_str::<IgnoredAny>(text).is_ok()
            {
                return Some(format!(
                    "this looks like JSON; a {} is a TOML file, see scenarios/README.md",
                    kind.noun()
                ));
            }
            let first = crate::infile::first_line(text.as_bytes());
            if first.trim_ascii_start().starts_with(b"{")
                && serde_json::from_slice::<IgnoredAny>(first).is_ok()
            {
                return Some(format!(
                    "this looks like JSON Lines (a log?), not a TOML {}: {}",
                    kind.noun(),
                    kind.hint()
                ));
            }
            if first.contains(&b',') && !first.contains(&b'=') && !first.starts_with(b"[") {
                return Some(format!(
                    "this looks like CSV (a log or an eval set?), not a TOML {}: {}",
                    kind.noun(),
                    kind.hint()
                ));
            }
            None
        }
    }
}

impl<T: TomlFormat> TomlFile<T> {
    /// Reads and deserializes `path`. Syntax errors, unknown keys and wrong types are
    /// reported with their line and column.
    pub fn read(path: &Path) -> Result<Self, InputError> {
        let text = read_toml_text(path, T::KIND)?;
        Self::parse(path, text)
    }

    /// Deserializes `text`, which was read from `path`.
    pub fn parse(path: &Path, text: String) -> Result<Self, InputError> {
        match toml::from_str::<T>(&text) {
            Ok(value) => Ok(TomlFile {
                path: path.to_path_buf(),
                text,
                value,
            }),
            Err(e) => Err(serde_error::<T>(path, &text, &e)),
        }
    }

    /// Reads `path` with its ranges (`{ low = A, high = B }` where a number is
    /// expected, [`crate::uncertain::ranges`]): the document at the ranges'
    /// midpoints, and the ranges. Mistakes are located as [`TomlFile::read`]
    /// locates them.
    pub fn read_ranged(
        path: &Path,
    ) -> Result<(Self, Vec<crate::uncertain::ranges::Found>), InputError> {
        use crate::uncertain::ranges::{Parsed, parse};
        let text = read_toml_text(path, T::KIND)?;
        match parse::<T>(&text, T::KIND) {
            Parsed::Plain => Ok((Self::parse(path, text)?, Vec::new())),
            Parsed::Ranged(value, found) => Ok((
                TomlFile {
                    path: path.to_path_buf(),
                    text,
                    value,
                },
                found,
            )),
            Parsed::Bad(invalid) => Err(TomlFile {
                path: path.to_path_buf(),
                text,
                value: (),
            }
            .error(invalid)),
            Parsed::Serde(e) => Err(serde_error::<T>(path, &text, &e)),
        }
    }
}

/// serde's error on `text` (read from `path`), located and in the user's words.
fn serde_error<T: TomlFormat>(path: &Path, text: &str, e: &toml::de::Error) -> InputError {
    if let Some(m) = wrong_kind(text, T::KIND) {
        return InputError::file(path, m);
    }
    let position = e.span().map(|s| line_col(text, s.start));
    let key = e
        .span()
        .and_then(|s| key_at(text, s.start))
        .map(|k| k.to_string())
        .unwrap_or_default();
    InputError {
        file: path.to_path_buf(),
        position,
        key,
        message: explain_serde(e.message(), e.span().and_then(|s| text.get(s))),
    }
}

impl<T> TomlFile<T> {
    /// Ties a validation finding to this file, with the line and column of its key
    /// (or of the nearest enclosing key that exists, for a missing one).
    pub fn error(&self, invalid: Invalid) -> InputError {
        InputError {
            file: self.path.clone(),
            position: locate(&self.text, &invalid.path).map(|o| line_col(&self.text, o)),
            key: invalid.path.to_string(),
            message: invalid.message,
        }
    }
}

/// The 1-based line and column of byte offset `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.chars().count(), |nl| {
        before[nl + 1..].chars().count()
    }) + 1;
    (line, col)
}

/// The byte offset of the key at `path`, or of its nearest existing ancestor.
pub fn locate(text: &str, path: &KeyPath) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let mut best = None;
    let mut here: Option<&DeValue<'_>> = None;
    for seg in &path.0 {
        let found = match seg {
            Seg::Key(k) => {
                let table = match here {
                    None => Some(doc.get_ref()),
                    Some(v) => v.as_table(),
                };
                table
                    .and_then(|t| t.iter().find(|(key, _)| key.get_ref() == k))
                    .map(|(key, v)| (key.span().start, v.get_ref()))
            }
            Seg::Index(i) => here
                .and_then(|v| v.as_array())
                .and_then(|a| a.get(*i))
                .map(|item| (item.span().start, item.get_ref())),
        };
        match found {
            Some((offset, v)) => {
                best = Some(offset);
                here = Some(v);
            }
            None => break,
        }
    }
    best
}

/// The key that serde's error at `offset` is about, as a dotted path.
///
/// The spanned document gives every key, array element and table header its start
/// offset; the error belongs to the last of them that starts at or before `offset`
/// (the deepest, where several start at the same place). Containment would not do:
/// a `[table]`'s span covers only its header line, not its body.
fn key_at(text: &str, offset: usize) -> Option<KeyPath> {
    fn walk(v: &DeValue<'_>, path: &KeyPath, out: &mut Vec<(usize, usize, KeyPath)>) {
        if let Some(t) = v.as_table() {
            for (k, val) in t.iter() {
                let p = path.key(k.get_ref());
                out.push((k.span().start, p.0.len(), p.clone()));
                out.push((val.span().start, p.0.len(), p.clone()));
                walk(val.get_ref(), &p, out);
            }
        } else if let Some(a) = v.as_array() {
            for (i, val) in a.iter().enumerate() {
                let p = path.index(i);
                out.push((val.span().start, p.0.len(), p.clone()));
                walk(val.get_ref(), &p, out);
            }
        }
    }
    let doc = DeTable::parse(text).ok()?;
    let mut entries = Vec::new();
    for (k, val) in doc.get_ref().iter() {
        let p = KeyPath::root().key(k.get_ref());
        entries.push((k.span().start, 1, p.clone()));
        entries.push((val.span().start, 1, p.clone()));
        walk(val.get_ref(), &p, &mut entries);
    }
    entries
        .into_iter()
        .filter(|(start, _, _)| *start <= offset)
        .max_by_key(|(start, depth, _)| (*start, *depth))
        .map(|(_, _, p)| p)
}

/// Puts serde's messages in the user's words: an unknown key with the one
/// probably meant, a missing key, and a value of the wrong type said as what was
/// expected ("a whole number (at least 0)", not `u64`) and what was found, as
/// written (`found`: the value's text in the file, where known), with how to write
/// it where that can be told ("found the text \"3M\" — write 3000000").
pub fn explain_serde(message: &str, found: Option<&str>) -> String {
    let message = message.trim_end();
    if let Some(m) = message
        .strip_prefix("unknown field `")
        .and_then(unknown_field)
    {
        return m;
    }
    if let Some(m) = message
        .strip_prefix("unknown variant `")
        .and_then(unknown_variant)
    {
        return m;
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        return format!("missing key `{rest}");
    }
    let found = found.map(str::trim).filter(|f| !f.is_empty());
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((got, want)) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.rsplit_once(", expected "))
        {
            return wrong_type(Found::from_serde(got, found), want);
        }
    }
    // Untagged enums give only their `expecting` text ("a number or a list of
    // numbers"); toml says "wanted string or table" for an enum given a number.
    let bare_expecting = message.starts_with("a ") || message.starts_with("an ");
    let wanted = message == "wanted string or table";
    if let (true, Some(src)) = (bare_expecting || wanted, found) {
        let want = if wanted { "a name in quotes" } else { message };
        return wrong_type(Found::from_source(src), want);
    }
    message.to_string()
}

/// "unknown field `x`, expected one of `a`, `b`" (after its first backtick).
fn unknown_field(rest: &str) -> Option<String> {
    let (unknown, expected) = rest.split_once('`')?;
    let candidates = backticked(expected);
    Some(match nearest(unknown, candidates.iter().copied()) {
        Some(near) => format!(
            "unknown key `{unknown}` (did you mean `{near}`?); the keys allowed here are {}",
            list(&candidates)
        ),
        None => format!(
            "unknown key `{unknown}`; the keys allowed here are {}",
            list(&candidates)
        ),
    })
}

/// "unknown variant `x`, expected `a` or `b`" (after its first backtick).
fn unknown_variant(rest: &str) -> Option<String> {
    let (unknown, expected) = rest.split_once('`')?;
    let candidates = backticked(expected);
    let quoted = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let near = nearest(unknown, candidates.iter().copied())
        .map(|n| format!(" (did you mean \"{n}\"?)"))
        .unwrap_or_default();
    Some(format!(
        "\"{unknown}\" is not allowed here{near}; write one of {}",
        quoted(&candidates)
    ))
}

/// The names in backticks in `text`.
fn backticked(text: &str) -> Vec<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty())
        .collect()
}

/// A value serde did not expect, as the user wrote it.
enum Found {
    Bool(String),
    /// An integer; `big` when beyond what TOML's integers hold.
    Int {
        text: String,
        big: bool,
    },
    Float {
        text: String,
        value: f64,
    },
    Text(String),
    List,
    Table,
    /// Anything else (a date), as written.
    Other(String),
}

impl Found {
    /// From serde's `Unexpected` ("integer `5`", "string \"x\"", "map") and the
    /// value's text in the file, which is preferred where there is one: it is
    /// what the user wrote (`1e5`, not `100000.0`).
    fn from_serde(got: &str, src: Option<&str>) -> Found {
        let ticked = |prefix: &str| {
            got.strip_prefix(prefix)
                .and_then(|r| r.split('`').next())
                .map(str::to_string)
        };
        if let Some(v) = ticked("boolean `") {
            return Found::Bool(v);
        }
        if let Some(v) = ticked("integer `") {
            return Found::Int {
                text: src.unwrap_or(&v).to_string(),
                big: got.contains(" as i128") || got.contains(" as u128"),
            };
        }
        if let Some(v) = ticked("floating point `") {
            return Found::Float {
                text: src.unwrap_or(&v).to_string(),
                value: v.parse().unwrap_or(f64::NAN),
            };
        }
        if let Some(s) = got
            .strip_prefix("string \"")
            .and_then(|r| r.strip_suffix('"'))
        {
            return Found::Text(s.to_string());
        }
        match (got, src) {
            ("sequence", _) => Found::List,
            ("map", Some(s)) if s.starts_with(|c: char| c.is_ascii_digit()) => {
                Found::Other(s.to_string())
            }
            ("map", _) => Found::Table,
            (_, Some(s)) => Found::from_source(s),
            (other, None) => Found::Other(other.to_string()),
        }
    }

    /// From the value's text alone.
    fn from_source(src: &str) -> Found {
        let src = src.trim();
        if src == "true" || src == "false" {
            return Found::Bool(src.to_string());
        }
        for q in ['"', '\''] {
            if let Some(s) = src.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
                return Found::Text(s.to_string());
            }
        }
        if src.starts_with('[') {
            return Found::List;
        }
        if src.starts_with('{') {
            return Found::Table;
        }
        let plain = src.replace('_', "");
        if plain.parse::<i128>().is_ok() {
            return Found::Int {
                text: src.to_string(),
                big: plain.parse::<i64>().is_err(),
            };
        }
        match plain.parse::<f64>() {
            Ok(value) => Found::Float {
                text: src.to_string(),
                value,
            },
            Err(_) => Found::Other(src.to_string()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Found::Bool(t) | Found::Int { text: t, .. } | Found::Float { text: t, .. } => {
                shorten(t)
            }
            Found::Text(s) => format!("the text \"{}\"", shorten(s)),
            Found::List => "a list".to_string(),
            Found::Table => "a table".to_string(),
            Found::Other(t) => shorten(t),
        }
    }
}

/// At most 40 characters of `s`, with "…" where cut.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// "expected WANT, found FOUND[ — how to write it]".
fn wrong_type(found: Found, want: &str) -> String {
    /// The largest integer a TOML file can hold.
    const TOML_MAX: u128 = i64::MAX as u128;
    let unsigned_max: Option<u128> = match want {
        "u8" => Some(u8::MAX.into()),
        "u16" => Some(u16::MAX.into()),
        "u32" => Some(u32::MAX.into()),
        "u64" | "usize" | "u128" => Some(TOML_MAX),
        _ => None,
    };
    let whole = unsigned_max.is_some() || matches!(want, "i8" | "i16" | "i32" | "i64" | "isize");
    let number = whole || matches!(want, "f32" | "f64");
    let words = match (want, unsigned_max, &found) {
        (_, Some(max), Found::Int { text, big }) if !text.starts_with('-') => {
            let too_big = *big || text.replace('_', "").parse::<u128>().is_ok_and(|v| v > max);
            if too_big {
                format!("a whole number from 0 to {max}")
            } else {
                "a whole number (at least 0)".to_string()
            }
        }
        (_, Some(_), _) => "a whole number (at least 0)".to_string(),
        _ if whole => "a whole number".to_string(),
        _ if number => "a number".to_string(),
        ("a boolean", _, _) => "true or false".to_string(),
        ("a string" | "a borrowed string", _, _) => "text in quotes".to_string(),
        ("a sequence", _, _) => "a list in brackets `[...]`".to_string(),
        ("a map", _, _) => "a table".to_string(),
        (w, _, _) if w.starts_with("struct ") => "a table".to_string(),
        (w, _, _) => w.to_string(),
    };
    let hint = match &found {
        Found::Float { value, .. } if whole && value.is_finite() && value.fract() == 0.0 => {
            Some(format!("write {}", num(*value)))
        }
        Found::Text(s) if number || want.starts_with("a number") => match loose_number(s) {
            Some(v) if !whole || v.fract() == 0.0 => {
                let v = num(v);
                Some(if v == s.trim() {
                    format!("write {v} without the quotes")
                } else {
                    format!("write {v}")
                })
            }
            _ => None,
        },
        Found::Text(s) if want == "a boolean" => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Some("write true, without quotes".to_string()),
            "false" | "no" | "off" | "0" => Some("write false, without quotes".to_string()),
            _ => None,
        },
        Found::Text(s) if want == "a sequence" => Some(format!("write [\"{s}\"]")),
        Found::Bool(t) | Found::Int { text: t, .. } | Found::Float { text: t, .. }
            if words == "text in quotes" =>
        {
            Some(format!("write \"{t}\""))
        }
        _ => None,
    };
    let found = found.describe();
    match hint {
        Some(h) => format!("expected {words}, found {found} — {h}"),
        None => format!("expected {words}, found {found}"),
    }
}

/// A number written as people write it in text: `3M`, `1.5k`, `2B`, `85%`,
/// `1,000,000`, `0,3` (a decimal comma), `$12`, `2e5`. `None` if it is not one.
pub fn loose_number(text: &str) -> Option<f64> {
    let mut s: String = text
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != '_' && !c.is_whitespace())
        .collect();
    let mut scale = 1.0;
    for (suffix, f) in [
        ("%", 0.01),
        ("k", 1e3),
        ("K", 1e3),
        ("M", 1e6),
        ("m", 1e6),
        ("bn", 1e9),
        ("B", 1e9),
        ("b", 1e9),
    ] {
        if let Some(r) = s.strip_suffix(suffix) {
            s = r.to_string();
            scale = f;
            break;
        }
    }
    if s.contains(',') {
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        let groups: Vec<&str> = int.trim_start_matches('-').split(',').collect();
        let thousands = groups.len() > 1
            && (1..=3).contains(&groups[0].len())
            && !groups[0].starts_with('0')
            && groups[1..].iter().all(|g| g.len() == 3);
        s = if thousands {
            format!("{}.{frac}", int.replace(',', ""))
        } else if groups.len() == 2 && !s.contains('.') {
            s.replace(',', ".")
        } else {
            return None;
        };
    }
    let v: f64 = s.trim_end_matches('.').parse().ok()?;
    v.is_finite().then_some(v * scale)
}

/// A number as a person would write it: float noise removed (0.1 + 0.2 prints as
/// 0.3, not 0.30000000000000004) while keeping every digit anyone writes (12
/// significant digits), shown as [`crate::numfmt::show`] does. Messages that
/// print a number that was computed (a sum of shares, a value ÷ 100) use it.
pub fn num(v: f64) -> String {
    let r = crate::numfmt::round_sig(v, 12);
    crate::numfmt::show(if r == 0.0 { 0.0 } else { r })
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The candidate nearest to `name` by edit distance, if any is plausibly a misspelling.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(name, c), c))
        .filter(|(score, _)| *score >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// " (did you mean `x`?)" when a near name exists; else, where some candidates
/// contain the name (`sonnet` in `anthropic.claude-sonnet-4-5-20250929-v1:0`),
/// " (did you mean one of `a`, `b`?)"; else "".
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(n) = nearest(name, candidates.iter().copied()) {
        return format!(" (did you mean `{n}`?)");
    }
    let containing = containing(name, &candidates);
    /// The most names listed.
    const MAX: usize = 5;
    match containing.len() {
        0 => String::new(),
        1 => format!(" (did you mean `{}`?)", containing[0]),
        n => {
            let more = if n > MAX {
                format!(", or {} more", n - MAX)
            } else {
                String::new()
            };
            format!(
                " (did you mean one of {}{more}?)",
                list(&containing[..n.min(MAX)])
            )
        }
    }
}

/// The candidates that contain `name` (3 characters or more, ignoring case), in
/// their order.
fn containing<'a>(name: &str, candidates: &[&'a str]) -> Vec<&'a str> {
    let name = name.trim().to_lowercase();
    if name.chars().count() < 3 {
        return Vec::new();
    }
    candidates
        .iter()
        .copied()
        .filter(|c| c.to_lowercase().contains(&name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "[scenario]\nname = \"x\"\n\n[[traffic]]\nname = \"a\"\nshare = 0.5\n\n[[traffic]]\nname = \"b\"\nshare = 0.7\n\n[models.\"amazon.nova\"]\ninput = { median = 1, p95 = 2 }\n";

    #[test]
    fn paths_display_as_dotted_keys() {
        let p = KeyPath::root().key("traffic").index(1).key("share");
        assert_eq!(p.to_string(), "traffic[1].share");
        let p = KeyPath::root()
            .key("models")
            .key("amazon.nova")
            .key("input");
        assert_eq!(p.to_string(), "models.\"amazon.nova\".input");
    }

    #[test]
    fn locate_finds_keys_in_arrays_of_tables_and_inline_tables() {
        let at = |p: KeyPath| locate(DOC, &p).map(|o| line_col(DOC, o));
        assert_eq!(
            at(KeyPath::root().key("traffic").index(1).key("share")),
            Some((10, 1))
        );
        assert_eq!(
            at(KeyPath::root()
                .key("models")
                .key("amazon.nova")
                .key("input")
                .key("p95")),
            Some((13, 23))
        );
        // A missing key points at its nearest existing ancestor: here the
        // `[[traffic]]` header of the first class.
        assert_eq!(
            at(KeyPath::root().key("traffic").index(0).key("nope")),
            Some((4, 1))
        );
    }

    #[test]
    fn unknown_field_messages_suggest_the_nearest_key() {
        let m = explain_serde(
            "unknown field `shar`, expected one of `name`, `share`",
            None,
        );
        assert!(m.contains("did you mean `share`?"), "{m}");
    }

    #[test]
    fn type_errors_say_what_was_expected_in_words() {
        let m = explain_serde(
            "invalid type: floating point `100000.0`, expected u64",
            Some("1e5"),
        );
        assert_eq!(
            m,
            "expected a whole number (at least 0), found 1e5 — write 100000"
        );
        let m = explain_serde("invalid type: string \"3M\", expected f64", Some("\"3M\""));
        assert_eq!(
            m,
            "expected a number, found the text \"3M\" — write 3000000"
        );
        let m = explain_serde("invalid value: integer `-1`, expected u64", Some("-1"));
        assert_eq!(m, "expected a whole number (at least 0), found -1");
        let m = explain_serde("invalid value: integer `5000000000`, expected u32", None);
        assert_eq!(
            m,
            "expected a whole number from 0 to 4294967295, found 5000000000"
        );
        let m = explain_serde("invalid type: string \"yes\", expected a boolean", None);
        assert_eq!(
            m,
            "expected true or false, found the text \"yes\" — write true, without quotes"
        );
        let m = explain_serde("invalid type: integer `5`, expected a string", Some("5"));
        assert_eq!(m, "expected text in quotes, found 5 — write \"5\"");
        let m = explain_serde("a number or a list of numbers", Some("\"0.3\""));
        assert_eq!(
            m,
            "expected a number or a list of numbers, found the text \"0.3\" — write 0.3 without the quotes"
        );
        let m = explain_serde(
            "invalid type: integer `1`, expected struct ModelEntry",
            Some("1"),
        );
        assert_eq!(m, "expected a table, found 1");
        for bad in [
            "u64", "u32", "f64", "i64", "usize", "struct", "sequence", "map",
        ] {
            for m in [
                explain_serde("invalid type: map, expected u64", Some("{ a = 1 }")),
                explain_serde("invalid type: sequence, expected f64", Some("[1]")),
                explain_serde("invalid type: boolean `true`, expected i64", Some("true")),
            ] {
                assert!(!m.contains(bad), "{m}");
            }
        }
    }

    #[test]
    fn names_that_contain_the_given_one_are_suggested() {
        let keys = [
            "anthropic.claude-sonnet-4-5",
            "anthropic.claude-haiku-4-5",
            "amazon.nova-micro-v1:0",
        ];
        assert_eq!(
            did_you_mean("sonnet", keys),
            " (did you mean `anthropic.claude-sonnet-4-5`?)"
        );
        assert_eq!(
            did_you_mean("Claude", keys),
            " (did you mean one of `anthropic.claude-sonnet-4-5`, `anthropic.claude-haiku-4-5`?)"
        );
        assert_eq!(did_you_mean("gpt", keys), "");
        assert_eq!(did_you_mean("4", keys), "");
    }

    #[test]
    fn loose_numbers_read_as_people_write_them() {
        for (text, want) in [
            ("3M", 3e6),
            ("1.5k", 1500.0),
            ("2B", 2e9),
            ("85%", 0.85),
            ("1,000,000", 1e6),
            ("0,3", 0.3),
            ("$12", 12.0),
            ("2e5", 2e5),
            ("100_000", 1e5),
        ] {
            let v = loose_number(text).unwrap_or(f64::NAN);
            assert_eq!(num(v), num(want), "{text}");
        }
        for text in ["abc", "1,2,3", "inf", ""] {
            assert_eq!(loose_number(text), None, "{text}");
        }
    }

    #[test]
    fn numbers_print_without_float_noise() {
        assert_eq!(num(0.7 + 0.1 + 0.1), "0.9");
        assert_eq!(num(0.1 + 0.2), "0.3");
        assert_eq!(num(1e5), "100000");
        assert_eq!(num(0.1234567), "0.1234567");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(85.0 / 100.0), "0.85");
    }
}
