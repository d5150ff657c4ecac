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

impl<T: DeserializeOwned> TomlFile<T> {
    /// Reads and deserializes `path`. Syntax errors, unknown keys and wrong types are
    /// reported with their line and column.
    pub fn read(path: &Path) -> Result<Self, InputError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::file(path, format!("cannot read the file: {e}")))?;
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
            Err(e) => {
                let position = e.span().map(|s| line_col(&text, s.start));
                let key = e
                    .span()
                    .and_then(|s| key_at(&text, s.start))
                    .map(|k| k.to_string())
                    .unwrap_or_default();
                Err(InputError {
                    file: path.to_path_buf(),
                    position,
                    key,
                    message: explain_serde_message(e.message()),
                })
            }
        }
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

/// Makes serde's "unknown field `x`, expected one of `a`, `b`" say which one was
/// probably meant.
fn explain_serde_message(message: &str) -> String {
    let message = message.trim_end();
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let candidates: Vec<&str> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty())
        .collect();
    match nearest(unknown, candidates.iter().copied()) {
        Some(near) => format!(
            "unknown key `{unknown}` (did you mean `{near}`?); the keys allowed here are {}",
            list(&candidates)
        ),
        None => format!(
            "unknown key `{unknown}`; the keys allowed here are {}",
            list(&candidates)
        ),
    }
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

/// " (did you mean `x`?)" when a near name exists, else "".
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(name, candidates)
        .map(|n| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default()
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
        let m = explain_serde_message("unknown field `shar`, expected one of `name`, `share`");
        assert!(m.contains("did you mean `share`?"), "{m}");
    }
}
