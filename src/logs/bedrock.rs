//! Amazon Bedrock model invocation log records, one JSON object per line, as
//! Bedrock writes them to CloudWatch Logs and (gzip, one record per line) to S3:
//!
//! ```json
//! {"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-01-15T12:00:00Z",
//!  "accountId":"123456789012","identity":{"arn":"..."},"region":"us-east-1","requestId":"...",
//!  "operation":"Converse","modelId":"anthropic.claude-...",
//!  "input":{"inputContentType":"application/json","inputBodyJson":{...},"inputTokenCount":1800,
//!           "cacheReadInputTokenCount":2000,"cacheWriteInputTokenCount":0},
//!  "output":{"outputContentType":"application/json","outputBodyJson":{...},"outputTokenCount":220},
//!  "requestMetadata":{"feature":"chat"}}
//! ```
//!
//! Token counts come from the top-level `input.inputTokenCount` and
//! `output.outputTokenCount` (and `input.cache{Read,Write}InputTokenCount`) where
//! present, else from the response body: `amazon-bedrock-invocationMetrics`
//! (streamed InvokeModel), then a `usage` block — Converse's `inputTokens`,
//! `outputTokens`, `cacheReadInputTokens`, `cacheWriteInputTokens`, or Anthropic's
//! `input_tokens`, `output_tokens`, `cache_read_input_tokens`,
//! `cache_creation_input_tokens`. A streamed body (an array of events) is searched
//! event by event, the last value of a field winning (Anthropic's
//! `message_delta` carries the final output count). The latency is Converse's
//! `metrics.latencyMs`, else `invocationLatency`.
//!
//! The line is parsed once, by hand-written visitors into borrowed fields: the
//! request and response bodies, most of a record's bytes, are skipped with
//! [`IgnoredAny`] and never built into values.
//!
//! CloudWatch's "export to Amazon S3" writes each event as its ingestion time, a
//! space, then the message: `2026-01-15T12:00:00.000Z {"schemaType":...}`. Such a
//! prefix is stripped (and used as the timestamp if the record has none).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::de::{Count, Found, Key, Millis, OptStr, PathSeed, class_reject};
use super::{BadKind, Record, Reject};

mod fast;

/// The record's schema type.
pub const SCHEMA_TYPE: &str = "ModelInvocationLog";

/// How the class is found in a Bedrock record.
#[derive(Debug, Clone)]
pub struct ClassPath {
    /// The path as given, for messages.
    pub field: String,
    /// Its segments.
    pub segments: Vec<String>,
    /// The path starts at a field this reader also parses for token counts
    /// (`input`, `output`, `modelId`, ...): found by a second parse of the line
    /// into a `serde_json::Value`, slower but rare.
    pub slow: bool,
    /// A record without the field has no class instead of being bad
    /// ([`super::LogOptions::class_optional`]).
    pub optional: bool,
}

impl ClassPath {
    /// Splits a dotted path.
    pub fn new(field: &str, optional: bool) -> ClassPath {
        let segments: Vec<String> = field.split('.').map(str::to_string).collect();
        let slow = matches!(
            segments[0].as_str(),
            "input" | "output" | "modelId" | "timestamp" | "schemaType"
        );
        ClassPath {
            field: field.to_string(),
            segments,
            slow,
            optional,
        }
    }
}

/// Counts found in a response body.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Usage {
    input: Count,
    output: Count,
    cache_read: Count,
    cache_write: Count,
    latency: Millis,
}

impl Usage {
    /// Takes every field `other` has.
    fn merge(&mut self, other: Usage) {
        fn take<T: Copy>(a: &mut T, b: T, present: bool) {
            if present {
                *a = b;
            }
        }
        take(&mut self.input, other.input, other.input.is_present());
        take(&mut self.output, other.output, other.output.is_present());
        take(
            &mut self.cache_read,
            other.cache_read,
            other.cache_read.is_present(),
        );
        take(
            &mut self.cache_write,
            other.cache_write,
            other.cache_write.is_present(),
        );
        take(
            &mut self.latency,
            other.latency,
            other.latency != Millis::Absent,
        );
    }
}

/// What the body search found: the `usage` block and the invocation metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Body {
    usage: Usage,
    metrics: Usage,
}

impl Body {
    fn merge(&mut self, other: Body) {
        self.usage.merge(other.usage);
        self.metrics.merge(other.metrics);
    }
}

/// One parsed line, borrowing from it.
#[derive(Debug, Default, PartialEq)]
struct Raw<'a> {
    schema_type: Option<Cow<'a, str>>,
    timestamp: Option<Cow<'a, str>>,
    model: Option<Cow<'a, str>>,
    class: Found<'a>,
    input: Count,
    output: Count,
    cache_read: Count,
    cache_write: Count,
    body: Body,
}

struct RecordSeed<'p> {
    /// The class path, when it is followed in this pass.
    class: Option<&'p [String]>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Raw<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Raw<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = Raw<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object (a model invocation log record)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw<'de>, A::Error> {
        let mut r = Raw::default();
        while let Some(key) = map.next_key::<Key>()? {
            match &*key.0 {
                b"schemaType" => r.schema_type = map.next_value::<OptStr>()?.0,
                b"timestamp" => r.timestamp = map.next_value::<OptStr>()?.0,
                b"modelId" => r.model = map.next_value::<OptStr>()?.0,
                b"input" => {
                    let i = map.next_value::<Input>()?;
                    (r.input, r.cache_read, r.cache_write) =
                        (i.tokens, i.cache_read, i.cache_write);
                }
                b"output" => {
                    let o = map.next_value::<Output>()?;
                    (r.output, r.body) = (o.tokens, o.body);
                }
                k => match self.class {
                    Some([first, rest @ ..]) if k == first.as_bytes() => {
                        r.class = map.next_value_seed(PathSeed { rest })?;
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
            }
        }
        Ok(r)
    }
}

/// `input`: the counts; the body is skipped.
#[derive(Default)]
struct Input {
    tokens: Count,
    cache_read: Count,
    cache_write: Count,
}

impl<'de> de::Deserialize<'de> for Input {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Input;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the `input` object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Input, E> {
                Ok(Input::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Input, A::Error> {
                let mut i = Input::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match &*key.0 {
                        b"inputTokenCount" => i.tokens = map.next_value()?,
                        b"cacheReadInputTokenCount" => i.cache_read = map.next_value()?,
                        b"cacheWriteInputTokenCount" => i.cache_write = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(i)
            }
        }
        d.deserialize_any(V)
    }
}

/// `output`: the count and what the body tells.
#[derive(Default)]
struct Output {
    tokens: Count,
    body: Body,
}

impl<'de> de::Deserialize<'de> for Output {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Output;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the `output` object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Output, E> {
                Ok(Output::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Output, A::Error> {
                let mut o = Output::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match &*key.0 {
                        b"outputTokenCount" => o.tokens = map.next_value()?,
                        b"outputBodyJson" => o.body = map.next_value::<BodyDe>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(o)
            }
        }
        d.deserialize_any(V)
    }
}

/// A response body (or one event of a streamed one): only `usage`, `metrics`,
/// `amazon-bedrock-invocationMetrics`, and the `metadata` and `message` objects
/// that hold them in streamed events, are looked into.
struct BodyDe(Body);

impl<'de> de::Deserialize<'de> for BodyDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BodyDe;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a response body")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<BodyDe, A::Error> {
                let mut b = Body::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match &*key.0 {
                        b"usage" => b.usage.merge(map.next_value::<UsageDe>()?.0),
                        b"metrics" => b.usage.merge(map.next_value::<UsageDe>()?.0),
                        b"amazon-bedrock-invocationMetrics" => {
                            b.metrics.merge(map.next_value::<UsageDe>()?.0)
                        }
                        b"metadata" | b"message" => b.merge(map.next_value::<BodyDe>()?.0),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(BodyDe(b))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<BodyDe, A::Error> {
                let mut b = Body::default();
                while let Some(e) = seq.next_element::<BodyDe>()? {
                    b.merge(e.0);
                }
                Ok(BodyDe(b))
            }
            // A body that is a string, a number or null tells nothing.
            fn visit_str<E: de::Error>(self, _: &str) -> Result<BodyDe, E> {
                Ok(BodyDe(Body::default()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<BodyDe, E> {
                Ok(BodyDe(Body::default()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<BodyDe, E> {
                Ok(BodyDe(Body::default()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<BodyDe, E> {
                Ok(BodyDe(Body::default()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<BodyDe, E> {
                Ok(BodyDe(Body::default()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<BodyDe, E> {
                Ok(BodyDe(Body::default()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A `usage`, `metrics` or invocation-metrics object, under any of the names
/// Bedrock's APIs and Anthropic's use.
struct UsageDe(Usage);

impl<'de> de::Deserialize<'de> for UsageDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UsageDe;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a usage object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<UsageDe, E> {
                Ok(UsageDe(Usage::default()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UsageDe, A::Error> {
                let mut u = Usage::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match &*key.0 {
                        b"inputTokens" | b"input_tokens" | b"inputTokenCount" => {
                            u.input = map.next_value()?
                        }
                        b"outputTokens" | b"output_tokens" | b"outputTokenCount" => {
                            u.output = map.next_value()?
                        }
                        b"cacheReadInputTokens"
                        | b"cache_read_input_tokens"
                        | b"cacheReadInputTokenCount" => u.cache_read = map.next_value()?,
                        b"cacheWriteInputTokens"
                        | b"cache_creation_input_tokens"
                        | b"cacheWriteInputTokenCount" => u.cache_write = map.next_value()?,
                        b"latencyMs" | b"invocationLatency" => u.latency = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(UsageDe(u))
            }
        }
        d.deserialize_any(V)
    }
}

/// The JSON part of a line: the whole line, or what follows a CloudWatch export's
/// timestamp prefix (returned too).
pub fn split_prefix(line: &[u8]) -> (Option<&str>, &[u8]) {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let line = &line[start..];
    if line.first() == Some(&b'{') {
        return (None, line);
    }
    match line.iter().position(|&b| b == b' ') {
        Some(sp) if line[sp + 1..].first() == Some(&b'{') => {
            (std::str::from_utf8(&line[..sp]).ok(), &line[sp + 1..])
        }
        _ => (None, line),
    }
}

/// Whether a first line (JSON) looks like a Bedrock record rather than a plain
/// JSONL record.
pub fn looks_like_bedrock(json: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(m)) => {
            m.contains_key("schemaType")
                || m.contains_key("modelId")
                || (m.get("input").is_some_and(|v| v.is_object())
                    && m.get("output").is_some_and(|v| v.is_object()))
        }
        _ => contains(json, b"\"schemaType\"") || contains(json, b"\"modelId\""),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Reads one Bedrock line and hands the record to `f`.
pub fn parse_line<R>(
    line: &[u8],
    number: u64,
    class: Option<&ClassPath>,
    f: impl FnOnce(&Record) -> Result<R, Reject>,
) -> Result<R, Reject> {
    let (prefix, json) = split_prefix(line);
    let fast_class = class.filter(|c| !c.slow).map(|c| c.segments.as_slice());
    let mut raw = match fast::record(json, fast_class) {
        Some(raw) => raw,
        None => serde_record(json, fast_class)?,
    };
    if let Some(t) = raw.schema_type.as_deref()
        && t != SCHEMA_TYPE
    {
        return Err(Reject::new(
            BadKind::Malformed,
            format!(
                "schemaType is \"{t}\", not \"{SCHEMA_TYPE}\": this line is not a Bedrock model invocation log record"
            ),
        ));
    }
    // The slow path for a class inside a field parsed above.
    let slow_value;
    let mut class_found = std::mem::take(&mut raw.class);
    if let Some(c) = class.filter(|c| c.slow) {
        slow_value = serde_json::from_slice::<serde_json::Value>(json).ok();
        class_found = find_in_value(slow_value.as_ref(), &c.segments);
    }
    let class_name = match (class, &class_found) {
        (None, _) => None,
        (Some(_), Found::Value(v)) => Some(&**v),
        (Some(c), Found::Missing) if c.optional => None,
        (Some(c), other) => {
            return Err(class_reject(other, &c.field));
        }
    };

    let b = &raw.body;
    // Top level first, then the invocation metrics, then the usage block.
    let pick = |top: Count, metrics: Count, usage: Count| -> Count {
        if top.is_present() {
            top
        } else if metrics.is_present() {
            metrics
        } else {
            usage
        }
    };
    let input = pick(raw.input, b.metrics.input, b.usage.input);
    let output = pick(raw.output, b.metrics.output, b.usage.output);
    let (input_field, output_field) = (
        field_name(
            raw.input,
            b.metrics.input,
            "input.inputTokenCount",
            "the usage block's input tokens",
        ),
        field_name(
            raw.output,
            b.metrics.output,
            "output.outputTokenCount",
            "the usage block's output tokens",
        ),
    );
    let input = input.check(input_field)?;
    let output = output.check(output_field)?;
    let (input, output) = match (input, output) {
        (Some(i), Some(o)) => (i, o),
        (None, None) => {
            return Err(Reject::new(
                BadKind::NoTokenCounts,
                "the record has neither input.inputTokenCount nor a usage block in output.outputBodyJson",
            ));
        }
        (None, Some(_)) => {
            return Err(Reject::new(
                BadKind::MissingField,
                "the record has output tokens but no input.inputTokenCount, nor input tokens in a usage block",
            ));
        }
        (Some(_), None) => {
            return Err(Reject::new(
                BadKind::MissingField,
                "the record has input tokens but no output.outputTokenCount, nor output tokens in a usage block",
            ));
        }
    };
    let cache_read = pick(raw.cache_read, b.metrics.cache_read, b.usage.cache_read)
        .check("the cache read count")?
        .unwrap_or(0);
    let cache_write = pick(raw.cache_write, b.metrics.cache_write, b.usage.cache_write)
        .check("the cache write count")?
        .unwrap_or(0);
    let latency = if b.usage.latency != Millis::Absent {
        b.usage.latency
    } else {
        b.metrics.latency
    };
    let latency_ms = latency.check("the latency (metrics.latencyMs)")?;
    f(&Record {
        file: 0,
        line: number,
        class: class_name,
        model: raw.model.as_deref(),
        timestamp: raw.timestamp.as_deref().or(prefix),
        input,
        output,
        cache_read,
        cache_write,
        latency_ms,
    })
}

/// The serde path: slower than [`fast::record`], and the one that says what is
/// wrong with a line.
fn serde_record<'a>(json: &'a [u8], class: Option<&[String]>) -> Result<Raw<'a>, Reject> {
    let mut de = serde_json::Deserializer::from_slice(json);
    RecordSeed { class }
        .deserialize(&mut de)
        .and_then(|r| de.end().map(|()| r))
        .map_err(|e| malformed_json(&e, json))
}

/// The name of the field a count was taken from, for messages.
fn field_name(
    top: Count,
    metrics: Count,
    top_name: &'static str,
    usage_name: &'static str,
) -> &'static str {
    if top.is_present() {
        top_name
    } else if metrics.is_present() {
        "the invocation metrics' token count"
    } else {
        usage_name
    }
}

pub(super) fn find_in_value<'a>(v: Option<&'a serde_json::Value>, path: &[String]) -> Found<'a> {
    let mut v = match v {
        Some(v) => v,
        None => return Found::Missing,
    };
    for seg in path {
        match v.get(seg) {
            Some(next) => v = next,
            None => return Found::Missing,
        }
    }
    match v {
        serde_json::Value::Null => Found::Missing,
        serde_json::Value::String(s) => Found::Value(Cow::Borrowed(s)),
        serde_json::Value::Object(_) => Found::NotScalar("an object"),
        serde_json::Value::Array(_) => Found::NotScalar("an array"),
        other => Found::Value(Cow::Owned(other.to_string())),
    }
}

/// The `Reject` for a line that is not valid JSON (or not an object). serde's
/// "at line 1 column N" is within the record: only the column is kept.
pub fn malformed_json(e: &serde_json::Error, json: &[u8]) -> Reject {
    let what = e
        .to_string()
        .replace(&format!(" at line {} column ", e.line()), " at column ");
    if e.classify() == serde_json::error::Category::Data {
        // Valid JSON, a value of the wrong type: said in words, not serde's.
        let suffix = format!(" at column {}", e.column());
        let message = what.strip_suffix(&suffix).unwrap_or(&what);
        return Reject::new(
            BadKind::Malformed,
            format!(
                "a value has the wrong type at column {}: {}",
                e.column(),
                // Without the "— write ..." hint: a log is written by a program.
                crate::input::explain_serde(message, None)
                    .split(" — ")
                    .next()
                    .unwrap_or_default()
            ),
        );
    }
    let what = if json.first() == Some(&b'{') {
        format!("not valid JSON ({what})")
    } else {
        format!("not a JSON object ({what})")
    };
    Reject::new(BadKind::Malformed, what)
}
