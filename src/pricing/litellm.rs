//! `simroute pricing import`: a pricing table from LiteLLM's price list
//! (`model_prices_and_context_window_backup.json`).
//!
//! The mapping, documented in scenarios/README.md §3.4:
//!
//! - **Which entries.** Those whose `litellm_provider` is `bedrock`,
//!   `bedrock_converse` or `bedrock_mantle` and whose `mode` is `chat`,
//!   `embedding` or `rerank`. A model is keyed by its Bedrock model id; for one
//!   id, the entry `bedrock/<region>/<id>` wins over the plain `<id>`, which wins
//!   over `bedrock/<id>` (the regional entry is the price in that region; the
//!   plain id is LiteLLM's default, US, price). Skipped: `bedrock_mantle/…`,
//!   `bedrock/claude_platform/…`, `bedrock/invoke/…`, the provisioned-throughput
//!   commitments (`bedrock/<region>/N-month-commitment/…`), other regions'
//!   entries, keys without a `vendor.` part (LiteLLM's aliases), and models
//!   priced neither per token nor (rerank) per query.
//! - **Profiles.** `<prefix>.<id>` is the cross-Region inference profile of
//!   `<id>`, imported as `profiles.<prefix>` for the prefixes that apply to the
//!   region ([`profile_prefixes`]). A profile whose model has no in-Region entry
//!   is imported as a model of its own, keyed by the profile id.
//! - **Prices** are LiteLLM's USD per token × 1e6, rounded to 8 decimals.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use toml::Table;

/// LiteLLM's providers for the Bedrock runtime.
pub const PROVIDERS: [&str; 3] = ["bedrock", "bedrock_converse", "bedrock_mantle"];

/// The modes imported: text generation, embeddings and rerank.
pub const MODES: [&str; 3] = ["chat", "embedding", "rerank"];

/// Every inference-profile prefix LiteLLM's keys use.
const PROFILE_PREFIXES: [&str; 9] = [
    "us", "us-gov", "eu", "apac", "au", "jp", "ca", "in", "global",
];

/// The AWS Regions `--region` takes.
pub const REGIONS: [&str; 35] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "ca-central-1",
    "ca-west-1",
    "mx-central-1",
    "sa-east-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "me-central-1",
    "me-south-1",
    "il-central-1",
    "af-south-1",
];

/// The inference-profile prefixes whose prices apply to calls from `region`:
/// `us-gov` for the GovCloud Regions, `us` and `global` for the other US
/// Regions, `eu` and `global` for Europe, `apac`, `jp`, `au` and `global` for
/// Asia Pacific, `global` elsewhere.
pub fn profile_prefixes(region: &str) -> &'static [&'static str] {
    if region.starts_with("us-gov-") {
        &["us-gov"]
    } else if region.starts_with("us-") {
        &["us", "global"]
    } else if region.starts_with("eu-") {
        &["eu", "global"]
    } else if region.starts_with("ap-") {
        &["apac", "jp", "au", "global"]
    } else {
        &["global"]
    }
}

/// A mistake in LiteLLM's file: the entry (JSON key) it is in, the line where
/// known, and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ImportError {
    /// 1-based line of the entry, where known.
    pub line: Option<usize>,
    /// The entry's JSON key and field, e.g. `"amazon.nova-micro-v1:0".input_cost_per_token`.
    pub key: String,
    pub message: String,
}

impl ImportError {
    fn file(message: impl Into<String>) -> Self {
        ImportError {
            line: None,
            key: String::new(),
            message: message.into(),
        }
    }

    /// The error tied to the file it was found in.
    pub fn into_input(self, path: &std::path::Path) -> crate::input::InputError {
        crate::input::InputError {
            file: path.to_path_buf(),
            position: self.line.map(|l| (l, 0)),
            key: self.key,
            message: self.message,
        }
    }
}

/// What an import found: the models (pricing-table entries, keyed by model id)
/// and what it left out, counted by reason.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub models: BTreeMap<String, Table>,
    pub skipped: BTreeMap<String, usize>,
}

/// One usable entry: its JSON key and its fields.
#[derive(Clone, Copy)]
struct Entry<'a> {
    key: &'a str,
    fields: &'a Map<String, Value>,
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The 1-based line of the entry `key` in `text`, where it can be found.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let quoted = serde_json::to_string(key).ok()?;
    let mut from = 0;
    while let Some(i) = text[from..].find(&quoted) {
        let at = from + i;
        let after = text[at + quoted.len()..].trim_start();
        if after.starts_with(':') {
            return Some(text[..at].bytes().filter(|b| *b == b'\n').count() + 1);
        }
        from = at + quoted.len();
    }
    None
}

/// Imports the Bedrock models of `region` from LiteLLM's price list `text`,
/// keeping those whose id contains one of `filters` (case-insensitive; all
/// where empty).
pub fn import(text: &str, region: &str, filters: &[String]) -> Result<Imported, ImportError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| ImportError {
        line: Some(e.line()).filter(|l| *l > 0),
        key: String::new(),
        message: format!(
            "this is not JSON ({}): LiteLLM's price list is a JSON file, model_prices_and_context_window_backup.json",
            strip_serde_position(&e.to_string())
        ),
    })?;
    let Value::Object(all) = doc else {
        return Err(ImportError::file(format!(
            "this JSON is {}, not LiteLLM's price list: that is a JSON object of model entries, each an object with `litellm_provider`, `mode` and prices",
            kind(&doc)
        )));
    };
    let mut ids: BTreeMap<String, Vec<(u8, Entry)>> = BTreeMap::new();
    let mut imported = Imported::default();
    let mut bedrock = 0usize;
    for (key, v) in &all {
        let Value::Object(fields) = v else {
            return Err(ImportError {
                line: line_of(text, key),
                key: json_key(key),
                message: format!(
                    "the entry is {}, not an object: LiteLLM's price list is a JSON object whose entries are objects",
                    kind(v)
                ),
            });
        };
        let provider = fields.get("litellm_provider").and_then(Value::as_str);
        if !provider.is_some_and(|p| PROVIDERS.contains(&p)) {
            continue;
        }
        bedrock += 1;
        let mode = fields.get("mode").and_then(Value::as_str).unwrap_or("");
        if !MODES.contains(&mode) {
            *imported
                .skipped
                .entry(format!("mode \"{mode}\" (not chat, embedding or rerank)"))
                .or_default() += 1;
            continue;
        }
        let Some((rank, id)) = model_id(key, region) else {
            *imported
                .skipped
                .entry("not a Bedrock runtime id of this Region (other Regions, commitments, mantle, claude_platform, invoke, aliases)".into())
                .or_default() += 1;
            continue;
        };
        ids.entry(id)
            .or_default()
            .push((rank, Entry { key, fields }));
    }
    if bedrock == 0 {
        return Err(ImportError::file(
            "no Bedrock entries (litellm_provider \"bedrock\", \"bedrock_converse\" or \"bedrock_mantle\"): is this LiteLLM's price list, model_prices_and_context_window_backup.json?",
        ));
    }
    // The entry of each id with the highest precedence.
    let best: BTreeMap<String, Entry> = ids
        .into_iter()
        .map(|(id, mut v)| {
            v.sort_by_key(|(rank, _)| *rank);
            (id, v[0].1)
        })
        .collect();
    let prefixes = profile_prefixes(region);
    let wanted = |id: &str| {
        filters.is_empty()
            || filters
                .iter()
                .any(|f| id.to_lowercase().contains(&f.to_lowercase()))
    };
    for (id, e) in &best {
        let as_model = match profile_of(id) {
            None => true,
            // A profile of this Region whose model has no in-Region entry.
            Some((p, base)) => prefixes.contains(&p) && !best.contains_key(base),
        };
        if let Some((p, _)) = profile_of(id)
            && !prefixes.contains(&p)
        {
            *imported
                .skipped
                .entry("inference profiles of other Regions".into())
                .or_default() += 1;
        }
        if !as_model || !wanted(id) {
            continue;
        }
        let mode = e.fields["mode"].as_str().unwrap_or("chat");
        let Some(mut model) = model_table(text, *e, mode, &mut imported.skipped)? else {
            *imported
                .skipped
                .entry("priced neither per token nor per query (images, video, audio)".into())
                .or_default() += 1;
            continue;
        };
        if profile_of(id).is_none() {
            let mut profiles = Table::new();
            for p in prefixes {
                let Some(pe) = best.get(&format!("{p}.{id}")) else {
                    continue;
                };
                if pe.fields.get("mode").and_then(Value::as_str) != Some(mode) {
                    continue;
                }
                if let Some(t) = profile_table(text, *pe, mode, &mut imported.skipped)? {
                    profiles.insert((*p).to_string(), t.into());
                }
            }
            if !profiles.is_empty() {
                model.insert("profiles".into(), profiles.into());
            }
        }
        imported.models.insert(id.clone(), model);
    }
    if imported.models.is_empty() {
        return Err(ImportError::file(if filters.is_empty() {
            format!(
                "no Bedrock chat, embedding or rerank model for {region} in this file ({bedrock} Bedrock entries, none usable)"
            )
        } else {
            format!(
                "no Bedrock chat, embedding or rerank model for {region} matches --models {}",
                filters.join(" ")
            )
        }));
    }
    Ok(imported)
}

/// The profile prefix and model id of a profile id (`us.x.y` → `us`, `x.y`).
fn profile_of(id: &str) -> Option<(&'static str, &str)> {
    let (p, rest) = id.split_once('.')?;
    let p = PROFILE_PREFIXES.iter().find(|q| **q == p)?;
    Some((p, rest))
}

/// serde_json's message without its " at line L column C" (the error says the line).
fn strip_serde_position(m: &str) -> String {
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m.to_string(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a true/false value",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn json_key(key: &str) -> String {
    serde_json::to_string(key).unwrap_or_else(|_| key.to_string())
}

/// The model (or profile) id a LiteLLM key stands for in `region`, and its
/// precedence (0 first): `bedrock/<region>/<id>` 0, `<id>` 1, `bedrock/<id>` 2.
fn model_id(key: &str, region: &str) -> Option<(u8, String)> {
    let (rank, id) = if let Some(rest) = key.strip_prefix("bedrock/") {
        match rest.split_once('/') {
            None => (2, rest),
            Some((r, id)) if r == region && !id.contains('/') => (0, id),
            Some(_) => return None,
        }
    } else {
        (1, key)
    };
    // A Bedrock id is `vendor.model` (or `prefix.vendor.model`).
    let (vendor, _) = id.split_once('.')?;
    let plausible = !vendor.is_empty()
        && !id.contains('/')
        && vendor
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    plausible.then(|| (rank, id.to_string()))
}

/// A price field of an entry, USD per 1M tokens (× 1e6, rounded to 8
/// decimals), or `None` where absent. A non-number or a negative number is an
/// error named by the entry and field.
fn per_m(text: &str, e: Entry, field: &str) -> Result<Option<f64>, ImportError> {
    number(text, e, field).map(|v| v.map(|v| round8(v * 1e6)))
}

/// A field read as a number; an error where it is not one, or is negative.
fn number(text: &str, e: Entry, field: &str) -> Result<Option<f64>, ImportError> {
    let Some(v) = e.fields.get(field) else {
        return Ok(None);
    };
    let bad = |what: String| ImportError {
        line: line_of(text, e.key),
        key: format!("{}.{field}", json_key(e.key)),
        message: what,
    };
    match v.as_f64() {
        Some(x) if x < 0.0 => Err(bad(format!(
            "{x} is negative: a price is 0 or more (USD per token)"
        ))),
        Some(x) => Ok(Some(x)),
        None => Err(bad(format!(
            "{} is {}, not a number: LiteLLM's prices are numbers (USD per token)",
            v,
            kind(v)
        ))),
    }
}

/// A count field (tokens): a whole number, or an error.
fn count(text: &str, e: Entry, field: &str) -> Result<Option<i64>, ImportError> {
    let Some(v) = number(text, e, field)? else {
        return Ok(None);
    };
    if v.fract() != 0.0 || v > 1e15 {
        return Err(ImportError {
            line: line_of(text, e.key),
            key: format!("{}.{field}", json_key(e.key)),
            message: format!("{v} is not a whole number of tokens"),
        });
    }
    Ok(Some(v as i64))
}

/// `v` rounded to 8 decimals, without float noise (3.0000000000000004 → 3).
pub fn round8(v: f64) -> f64 {
    (v * 1e8).round() / 1e8
}

/// The token prices of one rate set, from the fields named with `suffix`
/// (`""`, `"_priority"`, `"_above_200k_tokens"`, …), into `t`.
fn rates_into(
    text: &str,
    e: Entry,
    suffix: &str,
    with_output: bool,
    t: &mut Table,
) -> Result<(), ImportError> {
    let fields = [
        ("input", format!("input_cost_per_token{suffix}")),
        ("output", format!("output_cost_per_token{suffix}")),
        ("cache_read", format!("cache_read_input_token_cost{suffix}")),
        (
            "cache_write",
            format!("cache_creation_input_token_cost{suffix}"),
        ),
        (
            "cache_write_1h",
            format!("cache_creation_input_token_cost_above_1hr{suffix}"),
        ),
    ];
    for (name, field) in fields {
        if name == "output" && !with_output {
            continue;
        }
        if let Some(v) = per_m(text, e, &field)? {
            t.insert(name.into(), v.into());
        }
    }
    Ok(())
}

/// The long-prompt threshold an entry's fields name (`_above_200k_tokens` →
/// 200,000), for the fields ending in `tier` (`""`, `"_priority"`, `"_flex"`).
fn long_threshold(e: Entry, tier: &str) -> Option<(String, u64)> {
    e.fields.keys().find_map(|f| {
        let rest = f.strip_suffix(tier)?;
        let i = rest.rfind("_above_")?;
        let n = rest[i + 7..].strip_suffix("k_tokens")?;
        let k: u64 = n.parse().ok()?;
        Some((format!("_above_{n}k_tokens"), k * 1000))
    })
}

/// The long-prompt table of the fields ending in `tier`, if any.
fn long_prompt(
    text: &str,
    e: Entry,
    tier: &str,
    with_output: bool,
) -> Result<Option<Table>, ImportError> {
    let Some((suffix, above)) = long_threshold(e, tier) else {
        return Ok(None);
    };
    let mut t = Table::new();
    t.insert("above".into(), (above as i64).into());
    rates_into(text, e, &format!("{suffix}{tier}"), with_output, &mut t)?;
    // The 1-hour write above the threshold is `..._above_1hr_above_200k_tokens`.
    Ok(t.contains_key("input").then_some(t))
}

/// The Priority and Flex tiers an entry lists.
fn tiers(text: &str, e: Entry, with_output: bool) -> Result<Table, ImportError> {
    let mut out = Table::new();
    for tier in ["flex", "priority"] {
        let suffix = format!("_{tier}");
        let mut t = Table::new();
        rates_into(text, e, &suffix, with_output, &mut t)?;
        if !t.contains_key("input") {
            continue;
        }
        if let Some(l) = long_prompt(text, e, &suffix, with_output)? {
            t.insert("long_prompt".into(), l.into());
        }
        t.insert("source".into(), format!("litellm:{}", e.key).into());
        out.insert(tier.into(), t.into());
    }
    Ok(out)
}

/// Notes fields the schema has no key for.
fn note_unused(e: Entry, skipped: &mut BTreeMap<String, usize>) {
    for f in e.fields.keys() {
        let why = if f.ends_with("_ultrafast") {
            "fields *_ultrafast (no such tier in the schema)"
        } else if f.ends_with("_batches")
            && f != "input_cost_per_token_batches"
            && f != "output_cost_per_token_batches"
        {
            "fields of batch cache or batch long-prompt prices (batch inference has neither in the schema)"
        } else {
            continue;
        };
        *skipped.entry(why.into()).or_default() += 1;
    }
}

/// A model's pricing-table entry: a profile's ([`profile_table`]) and the
/// model's own keys (cache minimum, context, output cap, deprecation); `None`
/// where it has no price simroute takes.
fn model_table(
    text: &str,
    e: Entry,
    mode: &str,
    skipped: &mut BTreeMap<String, usize>,
) -> Result<Option<Table>, ImportError> {
    let Some(mut t) = profile_table(text, e, mode, skipped)? else {
        return Ok(None);
    };
    let chat = mode == "chat";
    if let Some(n) = count(text, e, "prompt_cache_min_tokens")?
        && t.contains_key("cache_read")
    {
        t.insert("cache_min_tokens".into(), n.into());
    }
    if let Some(n) = count(text, e, "max_input_tokens")? {
        t.insert("context_window".into(), n.into());
    }
    if chat && let Some(n) = count(text, e, "max_output_tokens")? {
        t.insert("max_output_tokens".into(), n.into());
    }
    if let Some(d) = e.fields.get("deprecation_date").and_then(Value::as_str) {
        t.insert("deprecation_date".into(), d.into());
    }
    Ok(Some(t))
}

/// The prices of an entry into `t`: per query (rerank) or per token, with
/// batch, long-prompt and tier prices. `false` where it has none.
fn prices_into(text: &str, e: Entry, mode: &str, t: &mut Table) -> Result<bool, ImportError> {
    let chat = mode == "chat";
    if mode == "rerank"
        && let Some(q) = number(text, e, "input_cost_per_query")?
    {
        for f in ["input_cost_per_token", "output_cost_per_token"] {
            if number(text, e, f)?.is_some_and(|v| v > 0.0) {
                return Err(ImportError {
                    line: line_of(text, e.key),
                    key: format!("{}.{f}", json_key(e.key)),
                    message: "a rerank model priced both per query and per token: simroute takes one (per_request)".into(),
                });
            }
        }
        t.insert("per_request".into(), round8(q).into());
        return Ok(true);
    }
    rates_into(text, e, "", chat, t)?;
    if !t.contains_key("input") {
        return Ok(false);
    }
    if let Some(v) = per_m(text, e, "input_cost_per_token_batches")? {
        t.insert("batch_input".into(), v.into());
        if chat && let Some(v) = per_m(text, e, "output_cost_per_token_batches")? {
            t.insert("batch_output".into(), v.into());
        }
    }
    if let Some(l) = long_prompt(text, e, "", chat)? {
        t.insert("long_prompt".into(), l.into());
    }
    let tiers = tiers(text, e, chat)?;
    if !tiers.is_empty() {
        t.insert("tiers".into(), tiers.into());
    }
    Ok(true)
}

/// A profile's entry: its prices and source; `None` where it has no price
/// simroute takes.
fn profile_table(
    text: &str,
    e: Entry,
    mode: &str,
    skipped: &mut BTreeMap<String, usize>,
) -> Result<Option<Table>, ImportError> {
    let mut t = Table::new();
    if !prices_into(text, e, mode, &mut t)? {
        return Ok(None);
    }
    note_unused(e, skipped);
    t.insert("source".into(), format!("litellm:{}", e.key).into());
    Ok(Some(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_their_precedence() {
        let r = "us-east-1";
        assert_eq!(
            model_id("amazon.nova-micro-v1:0", r),
            Some((1, "amazon.nova-micro-v1:0".into()))
        );
        assert_eq!(
            model_id("bedrock/us-east-1/x.y", r),
            Some((0, "x.y".into()))
        );
        assert_eq!(model_id("bedrock/x.y", r), Some((2, "x.y".into())));
        assert_eq!(model_id("bedrock/eu-west-1/x.y", r), None);
        assert_eq!(
            model_id("bedrock/us-east-1/1-month-commitment/x.y", r),
            None
        );
        assert_eq!(model_id("bedrock_mantle/x.y", r), None);
        assert_eq!(model_id("claude-sonnet-4-5", r), None);
        assert_eq!(model_id("1024-x-1024/50-steps/x.y", r), None);
    }

    #[test]
    fn prices_lose_their_float_noise() {
        assert_eq!(round8(3e-06 * 1e6), 3.0);
        assert_eq!(round8(8.75e-09 * 1e6), 0.00875);
        assert_eq!(round8(1.09375e-06 * 1e6), 1.09375);
        assert_eq!(format!("{}", round8(2.475e-05 * 1e6)), "24.75");
    }

    #[test]
    fn thresholds_come_from_the_field_names() {
        let v: Value = serde_json::json!({"input_cost_per_token_above_272k_tokens_priority": 1e-6});
        let e = Entry {
            key: "k",
            fields: v.as_object().unwrap(),
        };
        assert_eq!(
            long_threshold(e, "_priority"),
            Some(("_above_272k_tokens".into(), 272_000))
        );
        assert_eq!(long_threshold(e, ""), None);
    }
}
