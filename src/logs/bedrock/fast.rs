//! The fast path for Bedrock records: a hand-written scanner that fills the same
//! [`Raw`] as the serde visitors of [`super`], for the records that look as
//! Bedrock writes them.
//!
//! Why: reading a record with serde_json's visitors cost about 2 µs for a
//! 1 KB record, twice what serde_json takes merely to skip the same line, and
//! the issue asks for 1M records per second. The scanner skips strings with
//! `memchr2` and matches keys as bytes.
//!
//! It never decides anything on its own: wherever a record departs from the
//! plain shape — a key or a wanted string with an escape, a count that is not a
//! plain whole number, a value of an unexpected type, anything invalid, nesting
//! deeper than 100 — it gives up (`None`) and the line is parsed again by the
//! serde path, which says what is wrong. On the lines it accepts it checks what
//! serde_json checks (structure, numbers, literals, escapes and control
//! characters in strings, UTF-8 of the strings it returns), so the two paths
//! accept the same lines and produce the same [`Raw`]; a test compares them.
//!
//! Why not a SIMD JSON crate (issue 13 asked to prefer one): measured on the
//! same 50,000 lines of a `generate-log` Bedrock log (about 950 bytes a record),
//! one core, criterion, records per second, two runs (the second with
//! `-C target-cpu=native`, which sonic-rs recommends): this scanner through
//! `parse_line` 1.54 M / 1.51 M; sonic-rs 0.5.10 deserializing a borrowed typed
//! struct of the same fields 0.85 M / 0.78 M; sonic-rs `get_many` (lazy, nine
//! JSON pointers) 0.31 M / 0.26 M; serde_json into the same struct 0.74 M /
//! 0.79 M. The crate would halve the parse rate, so the scanner stays. The
//! bench was benches/json_crates.rs, committed and removed again on branch
//! `par` (see its history) so that sonic-rs is not built with every test.

use std::borrow::Cow;

use memchr::memchr2;

use super::{Body, Raw, Usage};
use crate::logs::de::{Count, Found, Millis};

/// Nesting beyond this is left to serde_json (whose limit is 128).
const MAX_DEPTH: u32 = 100;

/// Parses a whole line, or gives up.
pub(super) fn record<'a>(json: &'a [u8], class: Option<&[String]>) -> Option<Raw<'a>> {
    let mut p = P {
        b: json,
        i: 0,
        depth: 0,
    };
    p.ws();
    if p.peek()? != b'{' {
        return None;
    }
    let mut r = Raw::default();
    p.object(|p, key| {
        match key {
            b"schemaType" => r.schema_type = p.opt_str()?,
            b"timestamp" => r.timestamp = p.opt_str()?,
            b"modelId" => r.model = p.opt_str()?,
            b"input" => p.input(&mut r)?,
            b"output" => p.output(&mut r)?,
            k => match class {
                Some([first, rest @ ..]) if k == first.as_bytes() => r.class = p.path(rest)?,
                _ => p.skip_value()?,
            },
        }
        Some(())
    })?;
    p.ws();
    (p.i == json.len()).then_some(r)
}

/// Bytes that end the plain run of a string: `"`, `\\` and control characters.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// In a string's rest, the index of the first `"` or `\\`; `None` where a
/// control character comes first or neither is found.
///
/// The first 32 bytes (all of a key, most values) are tested 8 at a time with
/// the "has zero byte" trick, as serde_json does: a byte loop mispredicts a
/// branch at every string's end, and a `memchr2` call costs more than a short
/// string. Past them, `memchr2` (AVX2 where the CPU has it) for long strings
/// such as prompts.
#[inline]
fn str_end(rest: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const SWAR_BYTES: usize = 32;
    let mut i = 0;
    while i + 8 <= rest.len().min(SWAR_BYTES) {
        let w = u64::from_le_bytes(rest[i..i + 8].try_into().expect("8 bytes"));
        let q = w ^ (ONES * b'"' as u64);
        let bs = w ^ (ONES * b'\\' as u64);
        // A byte of `x` is flagged where it is zero (`q`, `bs`) or below 0x20
        // (`w`); borrows can flag bytes above a flagged one, never below.
        let m = (q.wrapping_sub(ONES) & !q)
            | (bs.wrapping_sub(ONES) & !bs)
            | (w.wrapping_sub(ONES * 0x20) & !w);
        let m = m & HIGH;
        if m != 0 {
            let j = i + (m.trailing_zeros() / 8) as usize;
            return (rest[j] >= 0x20).then_some(j);
        }
        i += 8;
    }
    if i < SWAR_BYTES {
        // Fewer than 8 bytes left before the end of the line.
        for (j, &c) in rest[i..].iter().enumerate() {
            if SPECIAL[c as usize] {
                return (c >= 0x20).then_some(i + j);
            }
        }
        return None;
    }
    let j = i + memchr2(b'"', b'\\', &rest[i..])?;
    if rest[i..j].iter().any(|&c| c < 0x20) {
        return None;
    }
    Some(j)
}

struct P<'a> {
    b: &'a [u8],
    i: usize,
    depth: u32,
}

impl<'a> P<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    #[inline]
    fn lit(&mut self, word: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + word.len())? == word {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    /// After an opening quote: the string's bytes, where it has no escape and
    /// no control character.
    #[inline]
    fn plain_str(&mut self) -> Option<&'a [u8]> {
        let rest = &self.b[self.i..];
        let j = str_end(rest)?;
        if rest[j] != b'"' {
            return None;
        }
        self.i += j + 1;
        Some(&rest[..j])
    }

    /// After an opening quote: skips the string, checking its escapes and that
    /// it has no control character, as serde_json does.
    fn skip_str(&mut self) -> Option<()> {
        loop {
            let rest = &self.b[self.i..];
            let j = str_end(rest)?;
            self.i += j + 1;
            if rest[j] == b'"' {
                return Some(());
            }
            match self.peek()? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                b'u' => {
                    let hex = self.b.get(self.i + 1..self.i + 5)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    self.i += 5;
                }
                _ => return None,
            }
        }
    }

    #[inline]
    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    /// A JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn skip_number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => {
                self.i += 1;
                self.skip_str()
            }
            b'{' => self.skip_object(),
            b'[' => self.array(|p| p.skip_value()),
            b't' => self.lit(b"true"),
            b'f' => self.lit(b"false"),
            b'n' => self.lit(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    #[inline]
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// At `{`: calls `f` with each key, positioned at its value. Gives up on a
    /// key with an escape (serde would match its unescaped form).
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.enter()?;
        self.i += 1;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            self.depth -= 1;
            return Some(());
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            self.i += 1;
            let key = self.plain_str()?;
            self.ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            f(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b'}' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// At `{`: skips the object (keys may have escapes).
    fn skip_object(&mut self) -> Option<()> {
        self.enter()?;
        self.i += 1;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            self.depth -= 1;
            return Some(());
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            self.i += 1;
            self.skip_str()?;
            self.ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.skip_value()?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b'}' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// At `[`: calls `f` positioned at each element.
    fn array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.enter()?;
        self.i += 1;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            self.depth -= 1;
            return Some(());
        }
        loop {
            f(self)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string or null, as `OptStr`.
    fn opt_str(&mut self) -> Option<Option<Cow<'a, str>>> {
        self.ws();
        match self.peek()? {
            b'"' => {
                self.i += 1;
                let s = self.plain_str()?;
                Some(Some(Cow::Borrowed(std::str::from_utf8(s).ok()?)))
            }
            b'n' => self.lit(b"null").map(|()| None),
            _ => None,
        }
    }

    /// A count: a plain whole number (no sign, fraction or exponent, no
    /// overflow) or null.
    fn count(&mut self) -> Option<Count> {
        self.ws();
        match self.peek()? {
            b'n' => return self.lit(b"null").map(|()| Count::Absent),
            b'0'..=b'9' => {}
            _ => return None,
        }
        let start = self.i;
        let mut v: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
            self.i += 1;
        }
        if (self.b[start] == b'0' && self.i - start > 1)
            || matches!(self.peek(), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        Some(Count::Ok(v))
    }

    fn millis(&mut self) -> Option<Millis> {
        Some(match self.count()? {
            Count::Ok(n) => Millis::Ok(n as f64),
            _ => Millis::Absent,
        })
    }

    /// `input`: an object or null.
    fn input(&mut self, r: &mut Raw<'a>) -> Option<()> {
        self.ws();
        let (mut tokens, mut read, mut write) = (Count::Absent, Count::Absent, Count::Absent);
        match self.peek()? {
            b'n' => self.lit(b"null")?,
            b'{' => self.object(|p, key| {
                match key {
                    b"inputTokenCount" => tokens = p.count()?,
                    b"cacheReadInputTokenCount" => read = p.count()?,
                    b"cacheWriteInputTokenCount" => write = p.count()?,
                    _ => p.skip_value()?,
                }
                Some(())
            })?,
            _ => return None,
        }
        (r.input, r.cache_read, r.cache_write) = (tokens, read, write);
        Some(())
    }

    /// `output`: an object or null.
    fn output(&mut self, r: &mut Raw<'a>) -> Option<()> {
        self.ws();
        let (mut tokens, mut body) = (Count::Absent, Body::default());
        match self.peek()? {
            b'n' => self.lit(b"null")?,
            b'{' => self.object(|p, key| {
                match key {
                    b"outputTokenCount" => tokens = p.count()?,
                    b"outputBodyJson" => body = p.body()?,
                    _ => p.skip_value()?,
                }
                Some(())
            })?,
            _ => return None,
        }
        (r.output, r.body) = (tokens, body);
        Some(())
    }

    /// A response body, or one event of a streamed one, as `BodyDe`.
    fn body(&mut self) -> Option<Body> {
        self.ws();
        let mut b = Body::default();
        match self.peek()? {
            b'{' => self.object(|p, key| {
                match key {
                    b"usage" | b"metrics" => b.usage.merge(p.usage()?),
                    b"amazon-bedrock-invocationMetrics" => b.metrics.merge(p.usage()?),
                    b"metadata" | b"message" => b.merge(p.body()?),
                    _ => p.skip_value()?,
                }
                Some(())
            })?,
            b'[' => self.array(|p| {
                b.merge(p.body()?);
                Some(())
            })?,
            _ => self.skip_value()?,
        }
        Some(b)
    }

    /// A usage or metrics object, or null, as `UsageDe`.
    fn usage(&mut self) -> Option<Usage> {
        self.ws();
        let mut u = Usage::default();
        match self.peek()? {
            b'n' => self.lit(b"null")?,
            b'{' => self.object(|p, key| {
                match key {
                    b"inputTokens" | b"input_tokens" | b"inputTokenCount" => u.input = p.count()?,
                    b"outputTokens" | b"output_tokens" | b"outputTokenCount" => {
                        u.output = p.count()?
                    }
                    b"cacheReadInputTokens"
                    | b"cache_read_input_tokens"
                    | b"cacheReadInputTokenCount" => u.cache_read = p.count()?,
                    b"cacheWriteInputTokens"
                    | b"cache_creation_input_tokens"
                    | b"cacheWriteInputTokenCount" => u.cache_write = p.count()?,
                    b"latencyMs" | b"invocationLatency" => u.latency = p.millis()?,
                    _ => p.skip_value()?,
                }
                Some(())
            })?,
            _ => return None,
        }
        Some(u)
    }

    /// The rest of the class path, as `PathSeed`; gives up where serde would
    /// build a string (a number, an escaped string) or find a non-scalar.
    fn path(&mut self, rest: &[String]) -> Option<Found<'a>> {
        self.ws();
        match (self.peek()?, rest) {
            (b'"', []) => {
                self.i += 1;
                let s = self.plain_str()?;
                Some(Found::Value(Cow::Borrowed(std::str::from_utf8(s).ok()?)))
            }
            (b'n', _) => self.lit(b"null").map(|()| Found::Missing),
            (b'{', [first, more @ ..]) => {
                let mut found = Found::Missing;
                self.object(|p, key| {
                    if key == first.as_bytes() {
                        found = p.path(more)?;
                    } else {
                        p.skip_value()?;
                    }
                    Some(())
                })?;
                Some(found)
            }
            (_, [_, ..]) => self.skip_value().map(|()| Found::Missing),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::serde_record;
    use super::*;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/logs/bedrock.jsonl");

    fn class_paths() -> Vec<Option<Vec<String>>> {
        [
            None,
            Some("requestMetadata.feature"),
            Some("requestMetadata"),
            Some("identity.arn"),
            Some("operation"),
            Some("requestMetadata.feature.deeper"),
        ]
        .into_iter()
        .map(|p| p.map(|p| p.split('.').map(str::to_string).collect()))
        .collect()
    }

    /// The property the fast path must keep: where it reads a line, serde reads
    /// the same thing.
    fn agree(line: &[u8]) -> bool {
        let mut fast_read = false;
        for class in class_paths() {
            let class = class.as_deref();
            if let Some(fast) = record(line, class) {
                fast_read = true;
                match serde_record(line, class) {
                    Ok(slow) => assert_eq!(
                        fast,
                        slow,
                        "paths differ on {:?} (class {class:?})",
                        String::from_utf8_lossy(line)
                    ),
                    Err(e) => panic!(
                        "fast path read a line serde rejects ({}): {:?}",
                        e.message,
                        String::from_utf8_lossy(line)
                    ),
                }
            }
        }
        fast_read
    }

    fn lines() -> Vec<&'static str> {
        FIXTURE.lines().filter(|l| !l.trim().is_empty()).collect()
    }

    #[test]
    fn the_fixture_takes_the_fast_path_and_agrees() {
        for line in lines() {
            assert!(agree(line.as_bytes()), "not read by the fast path: {line}");
        }
    }

    #[test]
    fn variants_agree_or_fall_back() {
        let base = lines()[0];
        let edits: &[(&str, &str)] = &[
            ("1800", "-1"),
            ("1800", "1.5"),
            ("1800", "\"1800\""),
            ("1800", "null"),
            ("1800", "1e3"),
            ("1800", "01800"),
            ("1800", "18446744073709551616"),
            ("1800", "true"),
            ("1800", "{}"),
            ("\"inputTokenCount\"", "\"input\\u0054okenCount\""),
            ("\"feature\":\"chat\"", "\"feature\":\"c\\u0068at\""),
            ("\"feature\":\"chat\"", "\"feature\":7"),
            ("\"feature\":\"chat\"", "\"feature\":null"),
            ("\"feature\":\"chat\"", "\"feature\":{\"x\":1}"),
            (
                "\"feature\":\"chat\"",
                "\"feature\":\"chat\",\"feature\":\"other\"",
            ),
            ("Where is my", "Where\tis my"),
            ("Where is my", "Where \\x is my"),
            ("Where is my", "Where \\u12G4 is my"),
            ("Where is my", "Where \\ud83d\\ude00 is my"),
            ("\"tenant\":\"acme\"}", "\"tenant\":\"acme\",}"),
            (",\"region\"", " , \"region\""),
            ("{\"schemaType\"", " { \"schemaType\" "),
            ("\"ModelInvocationLog\"", "\"AuditLog\""),
            ("\"ModelInvocationLog\"", "null"),
            ("\"ModelInvocationLog\"", "42"),
            ("\"input\":{", "\"input\":null,\"x\":{"),
            (
                "\"outputBodyJson\":{",
                "\"outputBodyJson\":\"text\",\"y\":{",
            ),
            ("\"usage\":{", "\"usage\":null,\"z\":{"),
            ("\"usage\":{", "\"usage\":[],\"z\":{"),
            ("\"latencyMs\":812", "\"latencyMs\":812.5"),
            ("\"latencyMs\":812", "\"latencyMs\":-1"),
            (
                "\"identity\":{",
                "\"identity\":[1,2.5e-3,true,false,null,{\"a\":[]}],\"i\":{",
            ),
            ("}}", "}} "),
            ("}}", "}}x"),
        ];
        for (from, to) in edits {
            assert!(base.contains(from), "{from}");
            agree(base.replacen(from, to, 1).as_bytes());
        }
        // Deep nesting: past the fast path's limit, serde decides.
        let deep = base.replacen(
            "\"tenant\":\"acme\"",
            &format!("\"tenant\":{}1{}", "[".repeat(120), "]".repeat(120)),
            1,
        );
        assert!(!agree(deep.as_bytes()) || record(deep.as_bytes(), None).is_some());
    }

    #[test]
    fn truncations_and_mutations_agree_or_fall_back() {
        // Every prefix of every fixture line, and deterministic random one-byte
        // mutations with the bytes that matter to JSON.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        const BYTES: &[u8] = b"{}[]\",:\\ 0123456789-.eEtfnul\t\x7f\xc3";
        for line in lines() {
            let b = line.as_bytes();
            for k in 0..b.len() {
                agree(&b[..k]);
            }
            for _ in 0..3000 {
                let mut m = b.to_vec();
                let at = (next() % m.len() as u64) as usize;
                let c = BYTES[(next() % BYTES.len() as u64) as usize];
                match next() % 3 {
                    0 => m[at] = c,
                    1 => m.insert(at, c),
                    _ => {
                        m.remove(at);
                    }
                }
                agree(&m);
            }
        }
    }
}
