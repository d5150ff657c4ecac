//! Writing a pricing table as TOML text: sorted, deterministic, every number
//! without float noise, keys in the order scenarios/README.md §3.2 lists
//! them, and keys that came from an overlay marked with a comment.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use toml::{Table, Value};

use super::overlay::LeafPath;

/// The order keys are written in; keys not listed follow, alphabetically.
const ORDER: [&str; 21] = [
    "above",
    "median",
    "p95",
    "input",
    "output",
    "cache_read",
    "cache_write",
    "cache_write_1h",
    "cache_min_tokens",
    "output_burndown",
    "batch_input",
    "batch_output",
    "per_request",
    "context_window",
    "max_output_tokens",
    "ttft_ms",
    "output_tokens_per_s",
    "prefill_tokens_per_s",
    "long_prompt",
    "deprecation_date",
    "source",
];

/// The order of `[meta]`'s keys.
const META_ORDER: [&str; 7] = [
    "region",
    "currency",
    "unit",
    "as_of",
    "source",
    "litellm_version",
    "litellm_sha256",
];

/// Tables written as `[headers]` of their own; every other table is inline.
const SECTIONS: [&str; 2] = ["tiers", "profiles"];

/// The table as text: `header` (each line already a comment), `[meta]`, and a
/// `[models."key"]` per model. Keys in `marked` get `# <mark>` after them.
pub fn render(
    header: &str,
    meta: &Table,
    models: &BTreeMap<String, Table>,
    marked: &BTreeSet<LeafPath>,
    mark: &str,
) -> String {
    let mut out = String::new();
    out.push_str(header);
    out.push_str("\n[meta]\n");
    let mut meta: Vec<_> = meta.iter().collect();
    meta.sort_by_key(|(k, _)| {
        (
            META_ORDER
                .iter()
                .position(|o| o == k)
                .unwrap_or(META_ORDER.len()),
            k.to_string(),
        )
    });
    for (k, v) in meta {
        let _ = writeln!(out, "{} = {}", bare_or_quoted(k), value(v));
    }
    for (key, m) in models {
        let head = format!("models.{}", quote(key));
        section(&mut out, &head, m, &mut vec![key.clone()], marked, mark);
    }
    out
}

fn section(
    out: &mut String,
    head: &str,
    t: &Table,
    at: &mut LeafPath,
    marked: &BTreeSet<LeafPath>,
    mark: &str,
) {
    let _ = writeln!(out, "\n[{head}]");
    for (k, v) in ordered(t) {
        if SECTIONS.contains(&k.as_str()) && v.is_table() {
            continue;
        }
        at.push(k.clone());
        let from_overlay = marked.iter().any(|m| m.starts_with(at));
        at.pop();
        let _ = write!(out, "{} = {}", bare_or_quoted(k), value(v));
        if from_overlay {
            let _ = write!(out, "  # {mark}");
        }
        out.push('\n');
    }
    for s in SECTIONS {
        let Some(Value::Table(children)) = t.get(s) else {
            continue;
        };
        for (name, child) in children {
            let Value::Table(child) = child else { continue };
            at.push(s.to_string());
            at.push(name.clone());
            let h = format!("{head}.{s}.{}", bare_or_quoted(name));
            section(out, &h, child, at, marked, mark);
            at.pop();
            at.pop();
        }
    }
}

/// The keys of `t` in [`ORDER`], then the rest alphabetically.
fn ordered(t: &Table) -> Vec<(&String, &Value)> {
    let mut v: Vec<_> = t.iter().collect();
    v.sort_by_key(|(k, _)| {
        (
            ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()),
            k.to_string(),
        )
    });
    v
}

/// A value as TOML: floats with a `.0` where whole and never in exponent form
/// (prices rounded to 8 decimals print as written), tables inline.
pub fn value(v: &Value) -> String {
    match v {
        Value::Float(f) => float(*f),
        Value::Integer(i) => i.to_string(),
        Value::String(s) => quote(s),
        Value::Boolean(b) => b.to_string(),
        Value::Table(t) => {
            let parts: Vec<String> = ordered(t)
                .into_iter()
                .map(|(k, v)| format!("{} = {}", bare_or_quoted(k), value(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(value).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Datetime(d) => d.to_string(),
    }
}

/// A float as TOML: `3.0`, `0.00875`.
pub fn float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        // Display never uses an exponent, and prints the shortest decimal
        // that reads back as the same number.
        format!("{f}")
    }
}

/// A key as TOML: bare where it may be, else quoted.
fn bare_or_quoted(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { k.to_string() } else { quote(k) }
}

/// A TOML basic string holding `s` (usable as a key too).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where an imported table came from, for its header.
pub struct Provenance<'a> {
    /// The command that makes the table again.
    pub command: &'a str,
    /// The LiteLLM file read, its version where given, and its SHA-256.
    pub file: &'a std::path::Path,
    pub region: &'a str,
    pub version: Option<&'a str>,
    pub sha: &'a str,
    /// The SHA-256 of LiteLLM's whole file, where `file` is a filtered copy.
    pub upstream: Option<&'a str>,
    pub overlay: Option<&'a std::path::Path>,
    /// What the import left out, counted by reason.
    pub skipped: &'a BTreeMap<String, usize>,
}

/// The generated table's header: how it was made and where every price came
/// from, each line a comment.
pub fn import_header(p: &Provenance) -> String {
    let version = p.version.unwrap_or("(version not given)");
    let mut h = String::new();
    h.push_str(&format!(
        "# Amazon Bedrock price list for simroute: {}, on-demand, USD.\n",
        p.region
    ));
    h.push_str("#\n# GENERATED: do not edit by hand. Edit the overlay, or take a newer LiteLLM file,\n# and run again:\n");
    h.push_str(&format!("#   {}\n", p.command));
    h.push_str(
        "# (README.md, \"Refreshing the price table\"; every key: scenarios/README.md §3.)\n#\n",
    );
    h.push_str("# Where the prices come from\n");
    h.push_str(&format!(
        "#   LiteLLM {version}, {}\n#   (sha256 {}",
        p.file.display(),
        p.sha
    ));
    match p.upstream {
        Some(u) => h.push_str(&format!(
            "),\n#   the Bedrock entries of LiteLLM's model_prices_and_context_window_backup.json\n#   (sha256 {u}),\n#   filtered as pricing/litellm/README.md says.\n"
        )),
        None => h.push_str(").\n"),
    }
    h.push_str(
        "#   Every model, profile and tier names its LiteLLM entry: source = \"litellm:<json key>\".\n\
         #   Token prices are LiteLLM's USD per token x 1e6, rounded to 8 decimals; per_request\n\
         #   is input_cost_per_query (USD per call). The mapping:\n\
         #     input_cost_per_token -> input, output_cost_per_token -> output,\n\
         #     cache_read_input_token_cost -> cache_read, cache_creation_input_token_cost ->\n\
         #     cache_write (5-minute TTL), cache_creation_input_token_cost_above_1hr ->\n\
         #     cache_write_1h, input/output_cost_per_token_batches -> batch_input/batch_output,\n\
         #     *_above_<N>k_tokens -> long_prompt (above = N x 1,000 prompt tokens),\n\
         #     *_priority / *_flex -> tiers.priority / tiers.flex, <prefix>.<id> -> profiles.<prefix>,\n\
         #     prompt_cache_min_tokens -> cache_min_tokens, max_input_tokens -> context_window\n\
         #     (the prompt limit), max_output_tokens -> max_output_tokens, deprecation_date.\n\
         #   For one id, bedrock/<region>/<id> wins over <id>, which wins over bedrock/<id>.\n\
         #   Embeddings and rerank take no output price or max_output_tokens.\n",
    );
    if let Some(o) = p.overlay {
        h.push_str(&format!(
            "#\n# Keys marked \"# {}\" are not LiteLLM's: they come from the overlay\n\
             #   {}, whose comments say where each came from\n\
             #   (AWS documentation for output_burndown and Nova's cache_min_tokens;\n\
             #   ttft_ms, output_tokens_per_s\n\
             #   and prefill_tokens_per_s are ESTIMATES, not published figures: replace them\n\
             #   with your measurements before drawing latency conclusions).\n",
            o.file_name()
                .map_or("overlay".into(), |n| n.to_string_lossy()),
            o.display()
        ));
    }
    if !p.skipped.is_empty() {
        h.push_str("#\n# Not imported (entries, or fields, counted):\n");
        for (why, n) in p.skipped {
            h.push_str(&format!("#   {n}: {why}\n"));
        }
    }
    h.push_str(
        "#\n# Caveats\n\
         #   * LiteLLM does not say which models a Region offers: every plain id is imported,\n\
         #     at LiteLLM's price for it. A model reached only through an inference profile\n\
         #     (no in-Region entry) is imported under the profile id itself.\n\
         #   * A model's own keys are its in-Region prices; profiles.<prefix> holds the prices\n\
         #     of calls through the inference profile <prefix>.<id> (e.g. us.<id> is 10%\n\
         #     above the base price for recent Claude models).\n\
         #   * Spot-check what matters against https://aws.amazon.com/bedrock/pricing/ .\n",
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_written() {
        assert_eq!(float(3.0), "3.0");
        assert_eq!(float(0.00875), "0.00875");
        assert_eq!(float(0.00000001), "0.00000001");
        assert_eq!(float(24.75), "24.75");
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
    }

    #[test]
    fn a_table_renders_sorted_with_sections_and_marks() {
        let m: Table = r#"
source = "litellm:x.y"
output = 2.0
input = 1.0
ttft_ms = { p95 = 900, median = 400 }
[tiers.priority]
input = 1.75
[profiles.us]
input = 1.1
"#
        .parse()
        .unwrap();
        let meta: Table = "region = \"r\"\nas_of = \"d\"".parse().unwrap();
        let models = BTreeMap::from([("x.y".to_string(), m)]);
        let marked = BTreeSet::from([vec!["x.y".to_string(), "ttft_ms".to_string()]]);
        let text = render("# h\n", &meta, &models, &marked, "overlay");
        assert_eq!(
            text,
            "# h\n\n[meta]\nregion = \"r\"\nas_of = \"d\"\n\n[models.\"x.y\"]\ninput = 1.0\noutput = 2.0\nttft_ms = { median = 400, p95 = 900 }  # overlay\nsource = \"litellm:x.y\"\n\n[models.\"x.y\".tiers.priority]\ninput = 1.75\n\n[models.\"x.y\".profiles.us]\ninput = 1.1\n"
        );
    }
}
