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

/// A TOML basic string.
fn quote(s: &str) -> String {
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
