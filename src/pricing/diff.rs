//! `simroute pricing diff OLD NEW`: the models added and removed, and every
//! price (profiles, tiers and long-prompt prices included) and limit that
//! changed, key by key.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::{ModelPrice, PriceTable, Rates};

/// A key's value: a number, or text (a date).
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Num(f64),
    Text(String),
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Num(v) => write!(f, "{}", crate::numfmt::readable(*v)),
            Val::Text(s) => write!(f, "{s}"),
        }
    }
}

/// One key of one model that differs: its old and new value (`None`: absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub key: String,
    pub old: Option<Val>,
    pub new: Option<Val>,
}

/// What differs between two tables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// By model, its changed keys.
    pub changed: BTreeMap<String, Vec<Change>>,
}

impl TableDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

fn rates_into(out: &mut BTreeMap<String, Val>, at: &str, r: &Rates) {
    let mut put = |k: &str, v: Option<f64>| {
        if let Some(v) = v {
            out.insert(format!("{at}{k}"), Val::Num(v));
        }
    };
    put("input", Some(r.input));
    put("output", r.output);
    put("cache_read", r.cache_read);
    put("cache_write", r.cache_write);
    put("cache_write_1h", r.cache_write_1h);
}

/// Every price and limit of a model, by dotted key (`input`,
/// `long_prompt.above`, `tiers.priority.output`, `profiles.us.cache_read`).
pub fn flatten(m: &ModelPrice) -> BTreeMap<String, Val> {
    let mut out = BTreeMap::new();
    flatten_into(&mut out, "", m);
    let mut put = |k: &str, v: Option<f64>| {
        if let Some(v) = v {
            out.insert(k.to_string(), Val::Num(v));
        }
    };
    put(
        "cache_min_tokens",
        (m.cache_min_tokens > 0).then_some(m.cache_min_tokens as f64),
    );
    put(
        "output_burndown",
        (m.output_burndown != 1.0).then_some(m.output_burndown),
    );
    put("context_window", m.context_window.map(|v| v as f64));
    put("max_output_tokens", m.max_output_tokens.map(|v| v as f64));
    if let Some(d) = &m.deprecation_date {
        out.insert("deprecation_date".into(), Val::Text(d.clone()));
    }
    for (name, p) in &m.profiles {
        flatten_into(&mut out, &format!("profiles.{name}."), p);
    }
    out
}

/// The prices of `m` (a model or a profile) under `at`.
fn flatten_into(out: &mut BTreeMap<String, Val>, at: &str, m: &ModelPrice) {
    match m.per_request {
        Some(r) => {
            out.insert(format!("{at}per_request"), Val::Num(r));
        }
        None => rates_into(out, at, &m.standard_rates()),
    }
    for (k, v) in [
        ("batch_input", m.batch_input),
        ("batch_output", m.batch_output),
    ] {
        if let Some(v) = v {
            out.insert(format!("{at}{k}"), Val::Num(v));
        }
    }
    if let Some(l) = &m.long_prompt {
        out.insert(format!("{at}long_prompt.above"), Val::Num(l.above as f64));
        rates_into(out, &format!("{at}long_prompt."), &l.rates);
    }
    for (t, tp) in &m.tiers {
        let tat = format!("{at}tiers.{}.", t.name());
        rates_into(out, &tat, &tp.rates);
        if let Some(l) = &tp.long_prompt {
            out.insert(format!("{tat}long_prompt.above"), Val::Num(l.above as f64));
            rates_into(out, &format!("{tat}long_prompt."), &l.rates);
        }
    }
}

/// What differs from `old` to `new`.
pub fn diff(old: &PriceTable, new: &PriceTable) -> TableDiff {
    let mut d = TableDiff::default();
    for k in new.models.keys() {
        if !old.models.contains_key(k) {
            d.added.push(k.clone());
        }
    }
    for (k, o) in &old.models {
        let Some(n) = new.models.get(k) else {
            d.removed.push(k.clone());
            continue;
        };
        let (fo, fn_) = (flatten(o), flatten(n));
        let keys: BTreeSet<&String> = fo.keys().chain(fn_.keys()).collect();
        let changes: Vec<Change> = keys
            .into_iter()
            .filter(|key| fo.get(*key) != fn_.get(*key))
            .map(|key| Change {
                key: key.clone(),
                old: fo.get(key).cloned(),
                new: fn_.get(key).cloned(),
            })
            .collect();
        if !changes.is_empty() {
            d.changed.insert(k.clone(), changes);
        }
    }
    d
}

/// The change as text: `3 → 3.3  +10.0%`, `- → 5.25  (added)`.
fn change_text(c: &Change) -> String {
    let show = |v: &Option<Val>| v.as_ref().map_or("-".to_string(), Val::to_string);
    let tail = match (&c.old, &c.new) {
        (Some(Val::Num(a)), Some(Val::Num(b))) => match super::list::relative(*b, *a) {
            Some(r) => format!("{:+.1}%", r * 100.0),
            None => String::new(),
        },
        (None, Some(_)) => "(added)".into(),
        (Some(_), None) => "(removed)".into(),
        _ => String::new(),
    };
    format!("{} → {}  {tail}", show(&c.old), show(&c.new))
        .trim_end()
        .to_string()
}

/// A table in one line: `us-east-1, as of 2026-11-25, LiteLLM 1.110.2, 143 models`.
pub fn describe(t: &PriceTable) -> String {
    format!(
        "{}, as of {}{}, {} model{}",
        t.meta.region,
        t.meta.as_of,
        t.meta
            .litellm_version
            .as_ref()
            .map_or(String::new(), |v| format!(", LiteLLM {v}")),
        t.models.len(),
        if t.models.len() == 1 { "" } else { "s" }
    )
}

/// The diff as text.
pub fn render(d: &TableDiff, old: &str, new: &str) -> String {
    let mut out = String::new();
    if d.is_empty() {
        let _ = writeln!(
            out,
            "{old} and {new} list the same models at the same prices"
        );
        return out;
    }
    let _ = writeln!(
        out,
        "{} added, {} removed, {} changed ({old} → {new})",
        d.added.len(),
        d.removed.len(),
        d.changed.len()
    );
    if !d.added.is_empty() {
        let _ = writeln!(out, "\nadded:");
        for k in &d.added {
            let _ = writeln!(out, "  + {k}");
        }
    }
    if !d.removed.is_empty() {
        let _ = writeln!(out, "\nremoved:");
        for k in &d.removed {
            let _ = writeln!(out, "  - {k}");
        }
    }
    if !d.changed.is_empty() {
        let _ = writeln!(out, "\nchanged:");
        for (model, changes) in &d.changed {
            let _ = writeln!(out, "  {model}");
            let w = changes.iter().map(|c| c.key.len()).max().unwrap_or(0);
            for c in changes {
                let _ = writeln!(out, "    {:<w$}  {}", c.key, change_text(c));
            }
        }
    }
    out
}
