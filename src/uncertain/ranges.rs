//! Ranges in the user's TOML files: `skill = { low = 0.70, high = 0.85 }` where
//! a number is expected.
//!
//! A range is recognised on the document before it is deserialised: every table
//! that has a key `low` or `high` is one, and must be exactly `{ low = A, high =
//! B }` with A and B finite numbers, A ≤ B. It is recorded (its path, its ends)
//! and replaced by its midpoint, so that the midpoint scenario is read and
//! validated as a file is today, its mistakes still reported at their line and
//! column: the replacement keeps the span of the range it replaces.

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};
use toml::{Spanned, Table, Value};

use crate::input::{Invalid, KeyPath, Seg, TomlKind};

/// A range found in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Where it is.
    pub segs: Vec<Seg>,
    pub low: f64,
    pub high: f64,
    /// Whether the key takes only whole numbers (a token count): draws are rounded.
    pub whole: bool,
}

impl Found {
    /// The midpoint, rounded for a whole-number key.
    pub fn mid(&self) -> f64 {
        let m = self.low + (self.high - self.low) / 2.0;
        if self.whole { m.round() } else { m }
    }
}

/// Keys that take a whole number of tokens: a range on one draws whole numbers.
const WHOLE: [&str; 5] = [
    "input_tokens",
    "output_tokens",
    "cached_prefix_tokens",
    "max_output_tokens",
    "context_window",
];

/// Whether `segs` (the path of a range) may hold one, and if not why.
fn place(kind: TomlKind, segs: &[Seg]) -> Result<(), String> {
    let first = match segs.first() {
        Some(Seg::Key(k)) => k.as_str(),
        _ => "",
    };
    let second = match segs.get(1) {
        Some(Seg::Key(k)) => k.as_str(),
        _ => "",
    };
    let ok = match kind {
        TomlKind::Scenario => match first {
            "models" | "traffic" | "policy" => true,
            "scenario" => matches!(second, "sharpness" | "monthly_requests") && segs.len() == 2,
            _ => false,
        },
        TomlKind::Pricing => first == "models",
    };
    if ok {
        Ok(())
    } else {
        Err(match (kind, first) {
            (TomlKind::Scenario, "scenario") => "a range is not allowed here: of [scenario], only sharpness and monthly_requests may be uncertain (the run's size and seed are yours to choose)".to_string(),
            (TomlKind::Scenario, "targets") => "a range is not allowed here: a target is a bar you set, not a guess; give one number".to_string(),
            _ => "a range is not allowed here: ranges go where a model, traffic, policy or price number is expected".to_string(),
        })
    }
}

fn number(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|v| v as f64),
        DeValue::Float(f) => f.as_str().parse().ok(),
        _ => None,
    }
}

/// A table with `low` or `high`: a range, checked.
fn range(t: &DeTable<'_>, segs: &[Seg], kind: TomlKind) -> Result<Option<Found>, Invalid> {
    let has = |k: &str| t.get(k).is_some();
    if !has("low") && !has("high") {
        return Ok(None);
    }
    let path = KeyPath(segs.to_vec());
    let form = "a range is written { low = A, high = B }: two numbers, A at most B (scenarios/README.md §1)";
    let bad = |m: String| Err(Invalid::new(path.clone(), m));
    if let Some(other) = t
        .iter()
        .map(|(k, _)| k.get_ref().as_ref())
        .find(|k| *k != "low" && *k != "high")
    {
        return bad(format!("unknown key `{other}` in a range: {form}"));
    }
    let end = |k: &str| -> Result<f64, Invalid> {
        match t.get(k) {
            None => Err(Invalid::new(
                path.clone(),
                format!("the range has no `{k}`: {form}"),
            )),
            Some(v) => match number(v.get_ref()) {
                Some(x) if x.is_finite() => Ok(x),
                _ => Err(Invalid::new(
                    path.clone(),
                    format!("`{k}` of a range must be a finite number: {form}"),
                )),
            },
        }
    };
    let (low, high) = (end("low")?, end("high")?);
    if low > high {
        return bad(format!(
            "the range's low end {low} is above its high end {high}: {form}"
        ));
    }
    place(kind, segs).map_err(|m| Invalid::new(path.clone(), m))?;
    let whole = segs
        .iter()
        .rev()
        .find_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .is_some_and(|k| WHOLE.contains(&k))
        // `input_tokens = { median = { low, high }, ... }` is a lognormal's
        // median: any positive number.
        && !matches!(segs.last(), Some(Seg::Key(k)) if k == "median" || k == "p95");
    Ok(Some(Found {
        segs: segs.to_vec(),
        low,
        high,
        whole,
    }))
}

fn collect(
    v: &DeValue<'_>,
    segs: &mut Vec<Seg>,
    kind: TomlKind,
    out: &mut Vec<Found>,
) -> Result<(), Invalid> {
    match v {
        DeValue::Table(t) => {
            if let Some(f) = range(t, segs, kind)? {
                out.push(f);
                return Ok(());
            }
            for (k, v) in t.iter() {
                segs.push(Seg::Key(k.get_ref().to_string()));
                collect(v.get_ref(), segs, kind, out)?;
                segs.pop();
            }
        }
        DeValue::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                segs.push(Seg::Index(i));
                collect(v.get_ref(), segs, kind, out)?;
                segs.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

/// The ranges of a spanned document, checked.
fn find(doc: &DeTable<'_>, kind: TomlKind) -> Result<Vec<Found>, Invalid> {
    let mut out = Vec::new();
    for (k, v) in doc.iter() {
        collect(
            v.get_ref(),
            &mut vec![Seg::Key(k.get_ref().to_string())],
            kind,
            &mut out,
        )?;
    }
    Ok(out)
}

/// A number as TOML writes it, so that an integer key stays an integer.
fn literal(v: f64, whole: bool) -> String {
    if whole && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:?}")
    }
}

fn slot<'a, 'i>(doc: &'a mut DeTable<'i>, segs: &[Seg]) -> &'a mut Spanned<DeValue<'i>> {
    let (Seg::Key(first), rest) = segs.split_first().expect("a range has a path") else {
        unreachable!("a document is a table")
    };
    let mut node = doc.get_mut(first.as_str()).expect("found there");
    for s in rest {
        node = match (s, node.get_mut()) {
            (Seg::Key(k), DeValue::Table(t)) => t.get_mut(k.as_str()).expect("found there"),
            (Seg::Index(i), DeValue::Array(a)) => a.get_mut(*i).expect("found there"),
            _ => unreachable!("the path was walked"),
        };
    }
    node
}

/// What reading a document with ranges gives.
pub enum Parsed<T> {
    /// The document has no range (or does not parse): read it as before.
    Plain,
    /// The document at the ranges' midpoints, and the ranges.
    Ranged(T, Vec<Found>),
    /// A range that is malformed or where none may be.
    Bad(Invalid),
    /// The midpoint document does not deserialise: serde's error, located.
    Serde(toml::de::Error),
}

/// Reads `text` as `T` with every range replaced by its midpoint.
pub fn parse<T: DeserializeOwned>(text: &str, kind: TomlKind) -> Parsed<T> {
    let found = match DeTable::parse(text) {
        Ok(doc) => match find(doc.get_ref(), kind) {
            Ok(f) => f,
            Err(e) => return Parsed::Bad(e),
        },
        Err(_) => return Parsed::Plain,
    };
    if found.is_empty() {
        return Parsed::Plain;
    }
    let mids: Vec<String> = found.iter().map(|f| literal(f.mid(), f.whole)).collect();
    let Ok(mut doc) = DeTable::parse(text) else {
        return Parsed::Plain;
    };
    for (f, m) in found.iter().zip(&mids) {
        let v = DeValue::parse(m).expect("a number literal parses");
        let s = slot(doc.get_mut(), &f.segs);
        *s = Spanned::new(s.span(), v.into_inner());
    }
    match T::deserialize(toml::de::Deserializer::from(doc)) {
        Ok(v) => Parsed::Ranged(v, found),
        Err(e) => Parsed::Serde(e),
    }
}

/// Replaces the ranges of a plain document (read for building variants) by their
/// midpoints; the ranges were checked by [`parse`].
pub fn midpoints(doc: &mut Table, found: &[Found]) {
    for f in found {
        set(doc, &f.segs, f.mid(), f.whole);
    }
}

/// Sets the number at `segs` (a number or a range there) to `v`; a whole-number
/// key gets an integer.
pub fn set(doc: &mut Table, segs: &[Seg], v: f64, whole: bool) {
    let node = crate::input::value_at_mut(doc, segs);
    *node = if whole && v.abs() < 9.0e15 {
        Value::Integer(v.round() as i64)
    } else {
        Value::Float(v)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Doc {
        models: std::collections::BTreeMap<String, M>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct M {
        skill: f64,
        input_tokens: Option<u64>,
    }

    #[test]
    fn a_range_becomes_its_midpoint_and_is_recorded() {
        let text = "[models.a]\nskill = { low = 0.7, high = 0.8 }\ninput_tokens = { low = 100, high = 201 }\n";
        let Parsed::Ranged(d, found) = parse::<Doc>(text, TomlKind::Scenario) else {
            panic!("not ranged")
        };
        assert!((d.models["a"].skill - 0.75).abs() < 1e-15);
        // Whole-number keys round their midpoint (150.5 → 151, half away from 0).
        assert_eq!(d.models["a"].input_tokens, Some(151));
        assert_eq!(found.len(), 2);
        assert!(found.iter().any(|f| f.whole && f.low == 100.0));
        assert!(found.iter().any(|f| !f.whole && f.high == 0.8));
    }

    #[test]
    fn serde_errors_keep_their_place() {
        let text = "[models.a]\nskill = { low = 0.7, high = 0.8 }\nskil = 3\n";
        let Parsed::Serde(e) = parse::<Doc>(text, TomlKind::Scenario) else {
            panic!("no error")
        };
        let span = e.span().expect("located");
        assert_eq!(&text[span.start..span.start + 4], "skil");
    }

    #[test]
    fn malformed_or_misplaced_ranges_say_so() {
        for (text, want) in [
            (
                "[models.a]\nskill = { low = 0.9, high = 0.8 }\n",
                "above its high end",
            ),
            ("[models.a]\nskill = { low = 0.7 }\n", "has no `high`"),
            (
                "[models.a]\nskill = { low = 0.7, hi = 0.8 }\n",
                "unknown key `hi`",
            ),
            (
                "[models.a]\nskill = { low = \"a\", high = 0.8 }\n",
                "finite number",
            ),
            (
                "[models.a]\nskill = { low = nan, high = 0.8 }\n",
                "finite number",
            ),
            (
                "[scenario]\nrequests = { low = 1, high = 2 }\n",
                "only sharpness and monthly_requests",
            ),
            (
                "[targets]\nquality = { low = 0.9, high = 0.95 }\n",
                "a bar you set",
            ),
        ] {
            match parse::<toml::Table>(text, TomlKind::Scenario) {
                Parsed::Bad(e) => assert!(e.message.contains(want), "{text}: {}", e.message),
                _ => panic!("{text}: accepted"),
            }
        }
        // The pricing table: only model entries.
        match parse::<toml::Table>("[meta]\nx = { low = 1, high = 2 }\n", TomlKind::Pricing) {
            Parsed::Bad(e) => assert_eq!(e.path.to_string(), "meta.x"),
            _ => panic!("accepted"),
        }
    }

    #[test]
    fn a_plain_document_is_plain() {
        assert!(matches!(
            parse::<toml::Table>("[models.a]\nskill = 0.5\n", TomlKind::Scenario),
            Parsed::Plain
        ));
    }
}
