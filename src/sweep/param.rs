//! `--param KEY=VALUES`: which scenario or pricing key to vary, and its values.
//!
//! A key is a dotted path in the user's terms: `threshold` (a key of the swept
//! policy, as are `threshold.0` and `by_class.chat.threshold`),
//! `policy.cascade.threshold`, `policy.cascade.by_class.chat.threshold`, `models.micro.skill`,
//! `models.sonnet.price.input` (the pricing-table entry the model points at),
//! `traffic.faq.cache_hit_rate`, `traffic.chat.input_tokens.median`,
//! `scenario.sharpness`. Traffic classes and policies are named by their `name`.
//! Any key that holds a number in the files can be swept; the new value is then
//! checked by the same validation as the file itself.

use toml::{Table, Value};

use crate::input::{Seg, UsageError, did_you_mean};

/// A parsed `--param`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// The key as written.
    pub key: String,
    pub values: Vec<f64>,
}

/// The most values one `--param` may take.
pub const MAX_VALUES: usize = 10_000;

fn usage(m: impl Into<String>) -> UsageError {
    UsageError(m.into())
}

/// Rounds away the binary noise of `a + i·step` (0.30000000000000004 → 0.3).
fn tidy(v: f64) -> f64 {
    format!("{v:.12}").parse().unwrap_or(v)
}

fn number(s: &str, what: &str, arg: &str) -> Result<f64, UsageError> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| usage(format!("--param {arg}: {what} \"{s}\" is not a number")))?;
    if !v.is_finite() {
        return Err(usage(format!(
            "--param {arg}: {what} {v} is not a finite number"
        )));
    }
    Ok(v)
}

/// A policy's cache TTL, swept as its minutes: "5m" → 5, "1h" → 60, "off"
/// (or "false") → 0.
fn ttl_minutes(v: &str, arg: &str) -> Result<f64, UsageError> {
    match v.trim() {
        "5m" | "true" => Ok(5.0),
        "1h" => Ok(60.0),
        "off" | "false" => Ok(0.0),
        other => Err(usage(format!(
            "--param {arg}: \"{other}\" is not a cache TTL Bedrock offers: the values of prompt_caching are 5m, 1h or off, e.g. prompt_caching=5m,1h"
        ))),
    }
}

/// A swept value as the user wrote it: a TTL of prompt_caching as `5m`,
/// `1h` or `off`, a number as itself.
pub fn show_value(key: &str, v: f64) -> String {
    if key == "prompt_caching" || key.ends_with(".prompt_caching") {
        match v {
            0.0 => "off".into(),
            60.0 => "1h".into(),
            _ => "5m".into(),
        }
    } else {
        v.to_string()
    }
}

/// The value a swept prompt_caching takes for `minutes` ([`ttl_minutes`]).
fn ttl_value(minutes: f64) -> Value {
    if minutes == 0.0 {
        Value::Boolean(false)
    } else if minutes == 60.0 {
        Value::String("1h".into())
    } else {
        Value::String("5m".into())
    }
}

/// Parses `KEY=FROM..TO:STEP`, `KEY=V1,V2,...` or `KEY=V`; a policy's
/// `prompt_caching` takes TTLs (`5m,1h,off`), kept as minutes.
pub fn parse(arg: &str) -> Result<ParamSpec, UsageError> {
    let (key, spec) = arg.split_once('=').ok_or_else(|| {
        usage(format!(
            "--param {arg}: expected KEY=VALUES, e.g. threshold=0.3..0.9:0.05 or threshold=0.5,0.6,0.8"
        ))
    })?;
    let key = key.trim();
    if key.is_empty() {
        return Err(usage(format!("--param {arg}: the key is empty")));
    }
    let values = if let Some((range, step)) = spec.split_once(':') {
        let (from, to) = range.split_once("..").ok_or_else(|| {
            usage(format!(
                "--param {arg}: a range is FROM..TO:STEP, e.g. 0.3..0.9:0.05"
            ))
        })?;
        let (from, to) = (number(from, "start", arg)?, number(to, "end", arg)?);
        let step = number(step, "step", arg)?;
        if step <= 0.0 {
            return Err(usage(format!(
                "--param {arg}: the step must be greater than 0 (got {step})"
            )));
        }
        if to < from {
            return Err(usage(format!(
                "--param {arg}: the range is empty: the end {to} is below the start {from}"
            )));
        }
        let n = ((to - from) / step + 1e-9).floor() + 1.0;
        if n > MAX_VALUES as f64 {
            return Err(usage(format!(
                "--param {arg}: {n} values is more than {MAX_VALUES}; use a larger step"
            )));
        }
        (0..n as usize)
            .map(|i| tidy(from + i as f64 * step))
            .collect()
    } else if spec.contains("..") {
        return Err(usage(format!(
            "--param {arg}: a range needs a step: FROM..TO:STEP, e.g. 0.3..0.9:0.05"
        )));
    } else if key == "prompt_caching" || key.ends_with(".prompt_caching") {
        spec.split(',')
            .map(|v| ttl_minutes(v, arg))
            .collect::<Result<Vec<f64>, _>>()?
    } else {
        spec.split(',')
            .map(|v| number(v, "value", arg))
            .collect::<Result<Vec<f64>, _>>()?
    };
    Ok(ParamSpec {
        key: key.to_string(),
        values,
    })
}

/// Which file a key lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    Scenario,
    Pricing,
}

/// A numeric key of the scenario or its pricing table.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// The user's dotted path.
    pub path: String,
    pub doc: Doc,
    /// Where it is in the document.
    pub segs: Vec<Seg>,
}

impl Leaf {
    /// A key of a `[[policy]]` table: changing it leaves the draws alone.
    pub fn is_policy(&self) -> bool {
        self.doc == Doc::Scenario && self.segs.first() == Some(&Seg::Key("policy".into()))
    }
}

fn walk(v: &Value, path: &str, doc: Doc, segs: &mut Vec<Seg>, out: &mut Vec<Leaf>) {
    let ttl = segs.last() == Some(&Seg::Key("prompt_caching".into()));
    match v {
        Value::String(_) | Value::Boolean(_) if ttl => out.push(Leaf {
            path: path.to_string(),
            doc,
            segs: segs.clone(),
        }),
        Value::Integer(_) | Value::Float(_) => out.push(Leaf {
            path: path.to_string(),
            doc,
            segs: segs.clone(),
        }),
        Value::Table(t) => {
            for (k, v) in t {
                segs.push(Seg::Key(k.clone()));
                walk(v, &format!("{path}.{k}"), doc, segs, out);
                segs.pop();
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                segs.push(Seg::Index(i));
                walk(v, &format!("{path}.{i}"), doc, segs, out);
                segs.pop();
            }
        }
        _ => {}
    }
}

/// Every numeric key of a scenario and of the pricing entries its models use.
pub fn leaves(scenario: &Table, pricing: &Table) -> Vec<Leaf> {
    let mut out = Vec::new();
    for (k, v) in scenario {
        match (k.as_str(), v) {
            ("traffic" | "policy", Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let name = item.get("name").and_then(Value::as_str).unwrap_or("");
                    let mut segs = vec![Seg::Key(k.clone()), Seg::Index(i)];
                    walk(
                        item,
                        &format!("{k}.{name}"),
                        Doc::Scenario,
                        &mut segs,
                        &mut out,
                    );
                }
            }
            ("models", Value::Table(models)) => {
                for (name, m) in models {
                    let mut segs = vec![Seg::Key(k.clone()), Seg::Key(name.clone())];
                    walk(
                        m,
                        &format!("models.{name}"),
                        Doc::Scenario,
                        &mut segs,
                        &mut out,
                    );
                    let price = m.get("price").and_then(Value::as_str);
                    let entry = price.and_then(|p| pricing.get("models")?.get(p));
                    if let (Some(p), Some(entry)) = (price, entry) {
                        let mut segs = vec![Seg::Key("models".into()), Seg::Key(p.to_string())];
                        walk(
                            entry,
                            &format!("models.{name}.price"),
                            Doc::Pricing,
                            &mut segs,
                            &mut out,
                        );
                    }
                }
            }
            _ => walk(
                v,
                k,
                Doc::Scenario,
                &mut vec![Seg::Key(k.clone())],
                &mut out,
            ),
        }
    }
    out
}

/// The tables a dotted path may start from; any other first segment is a key
/// of the swept policy.
const ROOTS: [&str; 9] = [
    "scenario", "models", "traffic", "policy", "targets", "eval", "load", "quotas", "capacity",
];

/// Finds `key` among `leaves`; a key that does not start at one of the
/// document's tables (`threshold`, `threshold.0`, `by_class.chat.threshold`)
/// is a key of `policy`.
pub fn resolve<'a>(key: &str, policy: &str, leaves: &'a [Leaf]) -> Result<&'a Leaf, UsageError> {
    let first = key.split('.').next().unwrap_or(key);
    let full = if ROOTS.contains(&first) {
        key.to_string()
    } else {
        format!("policy.{policy}.{key}")
    };
    if let Some(leaf) = leaves.iter().find(|l| l.path == full) {
        if leaf.is_policy() && !full.starts_with(&format!("policy.{policy}.")) {
            return Err(usage(format!(
                "--param {key}: this is a key of another policy; a sweep varies the keys of --policy {policy}, and of the traffic, models, prices and scenario"
            )));
        }
        return Ok(leaf);
    }
    let parts: Vec<&str> = full.split('.').collect();
    let near = match parts[..] {
        // A key of one class's by_class table: the near miss is a key of the
        // same class, or the same key of a class named nearly so (never
        // another class's key: that would sweep the wrong class).
        ["policy", p, "by_class", class, ..] => {
            let prefix = format!("policy.{p}.by_class.{class}.");
            let tail = &full[prefix.len().min(full.len())..];
            let same_class: Vec<&str> = leaves
                .iter()
                .map(|l| l.path.as_str())
                .filter(|l| l.starts_with(&prefix))
                .collect();
            if same_class.is_empty() {
                let classes: Vec<&str> = leaves
                    .iter()
                    .filter_map(|l| {
                        l.path
                            .strip_prefix(&format!("policy.{p}.by_class."))?
                            .strip_suffix(&format!(".{tail}"))
                    })
                    .collect();
                crate::input::nearest(class, classes)
                    .map(|c| format!(" (did you mean `policy.{p}.by_class.{c}.{tail}`?)"))
                    .unwrap_or_default()
            } else {
                did_you_mean(&full, same_class)
            }
        }
        _ => did_you_mean(&full, leaves.iter().map(|l| l.path.as_str())),
    };
    // A class that takes the policy's trigger has no key of its own to sweep.
    let class_hint = match parts[..] {
        ["policy", p, "by_class", class, k, ..] if near.is_empty() => format!(
            ". Class \"{class}\" sets no `{k}` of its own in policy \"{p}\"'s by_class (a class without one takes the policy's); to sweep it apart from the other classes, give it one in by_class: {class} = {{ {k} = ... }} (and its `route`, where it is not the policy's)"
        ),
        _ => String::new(),
    };
    Err(usage(format!(
        "--param {key}: `{full}` is not a numeric key of the scenario or its pricing table{near}{class_hint}. Keys are dotted paths such as threshold, by_class.CLASS.threshold, models.NAME.skill, models.NAME.price.input, traffic.NAME.cache_hit_rate, load.scale, quotas.KEY.tpm, capacity.KEY.reserved_tpm, prompt_caching (5m,1h,off); a key must be set in the file to be swept"
    )))
}

/// The keys of a `[capacity."KEY"]` table whose value 0 in a sweep means no
/// commitment at all: the point is the traffic all on demand.
pub const CAPACITY_ZERO_KEYS: [&str; 3] = ["reserved_tpm", "reserved_output_tpm", "model_units"];

/// Sets the number at `leaf` in `doc` to `v`, keeping integers integers; a
/// commitment swept to 0 (`capacity.KEY.reserved_tpm=0`, or its
/// `reserved_output_tpm` or `model_units`) is removed: that point buys
/// nothing.
pub fn set(doc: &mut Table, segs: &[Seg], v: f64) {
    if let [Seg::Key(root), Seg::Key(key), Seg::Key(leaf)] = segs
        && root == "capacity"
        && v == 0.0
        && CAPACITY_ZERO_KEYS.contains(&leaf.as_str())
    {
        if let Some(toml::Value::Table(t)) = doc.get_mut("capacity") {
            t.remove(key);
            if t.is_empty() {
                doc.remove("capacity");
            }
        }
        return;
    }
    // A commitment another parameter of the point removed (swept to 0):
    // nothing to set.
    if let [Seg::Key(root), Seg::Key(key), ..] = segs
        && root == "capacity"
        && doc
            .get("capacity")
            .and_then(|c| c.get(key.as_str()))
            .is_none()
    {
        return;
    }
    let ttl = segs.last() == Some(&Seg::Key("prompt_caching".into()));
    let node = crate::input::value_at_mut(doc, segs);
    *node = match node {
        _ if ttl => ttl_value(v),
        Value::Integer(_) if v.fract() == 0.0 && v.abs() < 9.0e15 => Value::Integer(v as i64),
        _ => Value::Float(v),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commitment_swept_to_zero_is_removed_and_its_other_keys_left_alone() {
        let key = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        let doc: Table = format!(
            "[capacity.\"{key}\"]\nkind = \"reserved\"\nreserved_tpm = 200000\nprice_per_1k_tpm = 60.0\n"
        )
        .parse()
        .unwrap();
        let l = leaves(&doc, &Table::new());
        let tpm = resolve(&format!("capacity.{key}.reserved_tpm"), "p", &l).unwrap();
        let price = resolve(&format!("capacity.{key}.price_per_1k_tpm"), "p", &l).unwrap();
        let mut d = doc.clone();
        set(&mut d, &tpm.segs, 100_000.0);
        assert_eq!(
            d["capacity"][key]["reserved_tpm"].as_integer(),
            Some(100_000)
        );
        // 0: no commitment; a later key of the same point finds nothing to set.
        set(&mut d, &tpm.segs, 0.0);
        assert!(d.get("capacity").is_none());
        set(&mut d, &price.segs, 50.0);
        assert!(d.get("capacity").is_none());
        // A price of 0 is not a commitment of 0: it is set (and validation
        // refuses it).
        let mut d = doc.clone();
        set(&mut d, &price.segs, 0.0);
        assert_eq!(d["capacity"][key]["price_per_1k_tpm"].as_float(), Some(0.0));
    }

    #[test]
    fn ranges_lists_and_single_values() {
        let p = parse("threshold=0.30..0.95:0.05").unwrap();
        assert_eq!(p.key, "threshold");
        assert_eq!(p.values.len(), 14);
        assert_eq!(p.values[0], 0.3);
        assert_eq!(p.values[13], 0.95);
        assert!(p.values.contains(&0.45));
        assert_eq!(parse("x=0.5,0.6,0.8").unwrap().values, vec![0.5, 0.6, 0.8]);
        assert_eq!(parse("x=3").unwrap().values, vec![3.0]);
        assert_eq!(
            parse("prompt_caching=5m,1h,off").unwrap().values,
            vec![5.0, 60.0, 0.0]
        );
        let e = parse("policy.p.prompt_caching=10m").unwrap_err();
        assert!(e.0.contains("5m, 1h or off"), "{}", e.0);
        assert_eq!(
            parse("x=1..2:0.3").unwrap().values,
            vec![1.0, 1.3, 1.6, 1.9]
        );
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        for (arg, want) in [
            ("x=0..1:0", "step must be greater than 0"),
            ("x=0..1:-0.1", "step must be greater than 0"),
            ("x=1..0:0.1", "range is empty"),
            ("x=0..1", "needs a step"),
            ("x", "expected KEY=VALUES"),
            ("x=a,b", "\"a\" is not a number"),
            ("x=nan", "not a finite number"),
            ("x=0..1000000:0.001", "more than"),
        ] {
            let e = parse(arg).unwrap_err().0;
            assert!(e.contains(want), "{arg}: {e}");
        }
    }

    #[test]
    fn keys_resolve_through_names_and_the_pricing_table() {
        let scenario: Table = r#"
            [scenario]
            sharpness = 10
            [models.micro]
            price = "nova"
            skill = 0.5
            [[traffic]]
            name = "faq"
            cache_hit_rate = 0.9
            input_tokens = { median = 10, p95 = 20 }
            [[policy]]
            name = "cascade"
            threshold = 0.6
            by_class = { chat = { threshold = 0.35 }, agent = { route = ["a", "b", "c"], threshold = [0.2, 0.4] }, faq = "micro" }
            [[policy]]
            name = "other"
            threshold = [0.5, 0.7]
        "#
        .parse()
        .unwrap();
        let pricing: Table = "[models.nova]\ninput = 0.035\n".parse().unwrap();
        let l = leaves(&scenario, &pricing);
        let r = |k: &str| resolve(k, "cascade", &l);
        assert_eq!(
            r("threshold").unwrap().segs,
            vec![
                Seg::Key("policy".into()),
                Seg::Index(0),
                Seg::Key("threshold".into())
            ]
        );
        assert!(r("threshold").unwrap().is_policy());
        assert_eq!(
            r("traffic.faq.cache_hit_rate").unwrap().segs[1],
            Seg::Index(0)
        );
        assert_eq!(r("traffic.faq.input_tokens.p95").unwrap().segs.len(), 4);
        let price = r("models.micro.price.input").unwrap();
        assert_eq!(price.doc, Doc::Pricing);
        assert!(!price.is_policy());
        assert!(r("scenario.sharpness").is_ok());
        let e = r("models.micro.skil").unwrap_err().0;
        assert!(e.contains("did you mean `models.micro.skill`"), "{e}");
        let e = r("policy.other.threshold.1").unwrap_err().0;
        assert!(e.contains("another policy"), "{e}");
        // A list element, and a class's own threshold, relative to the policy.
        assert_eq!(
            resolve("threshold.1", "other", &l).unwrap().path,
            "policy.other.threshold.1"
        );
        let class = r("by_class.chat.threshold").unwrap();
        assert_eq!(class.path, "policy.cascade.by_class.chat.threshold");
        assert_eq!(
            class.segs,
            vec![
                Seg::Key("policy".into()),
                Seg::Index(0),
                Seg::Key("by_class".into()),
                Seg::Key("chat".into()),
                Seg::Key("threshold".into())
            ]
        );
        assert!(class.is_policy());
        assert_eq!(r("policy.cascade.by_class.chat.threshold").unwrap(), class);
        assert_eq!(
            r("by_class.agent.threshold.1").unwrap().path,
            "policy.cascade.by_class.agent.threshold.1"
        );
        let e = r("by_class.chta.threshold").unwrap_err().0;
        assert!(
            e.contains("did you mean `policy.cascade.by_class.chat.threshold`"),
            "{e}"
        );
        let e = r("by_class.chat.treshold").unwrap_err().0;
        assert!(
            e.contains("did you mean `policy.cascade.by_class.chat.threshold`"),
            "{e}"
        );
        // A class that takes the policy's threshold has none of its own.
        let e = r("by_class.faq.threshold").unwrap_err().0;
        assert!(
            e.contains("Class \"faq\" sets no `threshold` of its own")
                && e.contains("faq = { threshold = ... }"),
            "{e}"
        );

        let mut doc = scenario.clone();
        set(&mut doc, &r("threshold").unwrap().segs, 0.75);
        assert_eq!(doc["policy"][0]["threshold"].as_float(), Some(0.75));
        set(&mut doc, &r("scenario.sharpness").unwrap().segs, 12.0);
        assert_eq!(doc["scenario"]["sharpness"].as_integer(), Some(12));
    }
}
