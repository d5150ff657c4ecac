//! `simroute pricing list`: a pricing table's models, one line each (and a
//! second, indented, for profiles, tiers, long-prompt prices and
//! deprecation), readable in 100 columns.

use std::fmt::Write;

use super::{ModelPrice, PriceTable};

/// A price as it reads: `3`, `0.00875`, `-` where absent.
fn p(v: Option<f64>) -> String {
    v.map_or("-".to_string(), crate::numfmt::show)
}

/// A pair `a/b`, or `-` where both are absent.
fn pair(a: Option<f64>, b: Option<f64>) -> String {
    if a.is_none() && b.is_none() {
        "-".to_string()
    } else {
        format!("{}/{}", p(a), p(b))
    }
}

/// Tokens, short: `200K`, `1M`, `8,192`.
fn tokens(n: Option<u64>) -> String {
    match n {
        None => "-".to_string(),
        Some(n) if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        Some(n) if n >= 10_000 && n % 1_000 == 0 => format!("{}K", n / 1_000),
        Some(n) => crate::numfmt::count(n as f64),
    }
}

/// What a model is for, by its prices.
pub fn kind(m: &ModelPrice) -> &'static str {
    if m.per_request.is_some() {
        "rerank"
    } else if m.output.is_none() {
        "embed"
    } else {
        "chat"
    }
}

/// The models of `table` whose key contains `filter` (case-insensitive), as
/// text.
pub fn list(table: &PriceTable, filter: Option<&str>) -> String {
    let f = filter.map(str::to_lowercase);
    let models: Vec<&ModelPrice> = table
        .models
        .values()
        .filter(|m| f.as_ref().is_none_or(|f| m.key.to_lowercase().contains(f)))
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} model{}, {}, {} per 1M tokens (rerank: per request), as of {}{}",
        models.len(),
        if models.len() == 1 { "" } else { "s" },
        table.meta.region,
        table.meta.currency,
        table.meta.as_of,
        table
            .meta
            .litellm_version
            .as_ref()
            .map_or(String::new(), |v| format!(", LiteLLM {v}"))
    );
    if models.is_empty() {
        return out;
    }
    let w = models.iter().map(|m| m.key.len()).max().unwrap_or(5).max(5);
    let row = |c: [&str; 7]| {
        format!(
            "{:<w$}  {:<6} {:>7} {:>7} {:>12} {:>13} {:>5}",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6]
        )
        .trim_end()
        .to_string()
    };
    let _ = writeln!(
        out,
        "{}",
        row([
            "model",
            "kind",
            "input",
            "output",
            "cache rd/wr",
            "batch in/out",
            "ctx"
        ])
    );
    for m in models {
        let input = match m.per_request {
            Some(r) => format!("{}/req", crate::numfmt::show(r)),
            None => p(Some(m.input)),
        };
        let _ = writeln!(
            out,
            "{}",
            row([
                &m.key,
                kind(m),
                &input,
                &p(m.output),
                &pair(m.cache_read, m.cache_write),
                &pair(m.batch_input, m.batch_output),
                &tokens(m.context_window),
            ])
        );
        let extras = extras(m);
        if !extras.is_empty() {
            let _ = writeln!(out, "    {}", extras.join("; "));
        }
    }
    out
}

/// Profiles (with their input price against the model's), tiers, the
/// long-prompt threshold and the deprecation date.
fn extras(m: &ModelPrice) -> Vec<String> {
    let mut v = Vec::new();
    if !m.profiles.is_empty() {
        let ps: Vec<String> = m
            .profiles
            .iter()
            .map(|(name, pm)| match relative(pm.input, m.input) {
                Some(r) if r.abs() >= 0.0005 => format!("{name} {:+.0}%", r * 100.0),
                _ => name.clone(),
            })
            .collect();
        v.push(format!("profiles {}", ps.join(", ")));
    }
    if !m.tiers.is_empty() {
        let ts: Vec<String> = m
            .tiers
            .iter()
            .map(|(t, tp)| match relative(tp.rates.input, m.input) {
                Some(r) => format!("{} {:+.0}%", t.name(), r * 100.0),
                None => t.name().to_string(),
            })
            .collect();
        v.push(format!("tiers {}", ts.join(", ")));
    }
    if let Some(l) = &m.long_prompt {
        v.push(format!(
            "long prompt > {} tokens: {}/{}",
            tokens(Some(l.above)),
            p(Some(l.rates.input)),
            p(l.rates.output)
        ));
    }
    if let Some(d) = &m.deprecation_date {
        v.push(format!("deprecated {d}"));
    }
    v
}

/// `(b − a) / a`, `None` where `a` is 0.
pub fn relative(b: f64, a: f64) -> Option<f64> {
    (a != 0.0).then(|| (b - a) / a)
}
