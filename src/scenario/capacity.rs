//! `[capacity."PRICING KEY"]`: throughput bought ahead for a model, validated.
//!
//! Bedrock sells two commitments besides paying per token (AWS, "Service
//! tiers for inference" and "Provisioned Throughput"):
//!
//! - the **Reserved tier**: input tokens per minute (input + cache write;
//!   cache reads do not count) and output tokens per minute, reserved apart,
//!   at a fixed price per 1,000 TPM per month, for 1 or 3 months; what exceeds
//!   the reservation overflows to the pay-as-you-go Standard tier;
//! - **Provisioned Throughput**: model units billed per unit-hour, every hour,
//!   used or not; no term (hourly), 1 month or 6 months; each unit serves a
//!   number of tokens per minute that AWS does not publish per model (the
//!   scenario gives it); traffic beyond the units is throttled.
//!
//! Neither price is a public list price (they come from the account team):
//! the scenario gives them. A commitment covers the on-demand (interactive)
//! calls of its pricing key under every policy that makes them; batch calls
//! are outside it. It needs traffic over time (`[load]`): a minute's
//! reservation is a rate, which only a time line can use up.

use std::collections::BTreeMap;

use super::Model;
use super::format::CapacityEntry;
use crate::input::{Invalid, KeyPath, did_you_mean};
use crate::numfmt::{count, readable};
use crate::pricing::PriceTable;

/// Hours in simroute's month (30 days, as `monthly_requests`).
pub const MONTH_HOURS: f64 = 720.0;
/// Minutes in simroute's month.
pub const MONTH_MINUTES: f64 = 43_200.0;
/// The Reserved tier's smallest reservation, input and output tokens per
/// minute (AWS, "Service tiers for inference"): below it the scenario is run,
/// with a warning.
pub const RESERVED_MIN_TPM: f64 = 100_000.0;
pub const RESERVED_MIN_OUTPUT_TPM: f64 = 10_000.0;
/// The largest commitment or price accepted.
const MAX_VALUE: f64 = 1e15;
/// The most model units accepted.
const MAX_UNITS: f64 = 1_000_000.0;

/// What was bought.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CapacityKind {
    /// The Reserved tier: input and output tokens per minute, apart.
    Reserved {
        /// Input tokens per minute (input + cache write).
        input_tpm: f64,
        /// Output tokens per minute.
        output_tpm: f64,
        /// USD per month per 1,000 input tokens per minute.
        price_per_1k_tpm: f64,
        /// USD per month per 1,000 output tokens per minute.
        price_per_1k_output_tpm: f64,
    },
    /// Provisioned Throughput: model units.
    Provisioned {
        /// Model units bought.
        units: f64,
        /// USD per unit per hour.
        price_per_unit_hour: f64,
        /// Tokens per minute one unit serves (input + cache write + output).
        unit_tpm: f64,
    },
}

/// The commitment's term (what its price is for; it changes nothing else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// Provisioned without commitment: billed by the hour.
    None,
    OneMonth,
    ThreeMonths,
    SixMonths,
}

impl Term {
    pub fn name(self) -> &'static str {
        match self {
            Term::None => "none",
            Term::OneMonth => "1 month",
            Term::ThreeMonths => "3 months",
            Term::SixMonths => "6 months",
        }
    }
}

/// What a call that does not fit the commitment does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Billed on demand at the model's price, under its on-demand quotas.
    OnDemand,
    /// Throttled: retried, then the policy's fallback, else failed.
    Throttle,
}

impl Overflow {
    pub fn name(self) -> &'static str {
        match self {
            Overflow::OnDemand => "on_demand",
            Overflow::Throttle => "throttle",
        }
    }
}

/// One model's commitment (`[capacity."PRICING KEY"]`), validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Capacity {
    /// The pricing key: scenario models priced alike share it.
    pub key: String,
    pub kind: CapacityKind,
    pub term: Term,
    pub overflow: Overflow,
}

impl Capacity {
    /// "reserved" or "provisioned".
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            CapacityKind::Reserved { .. } => "reserved",
            CapacityKind::Provisioned { .. } => "provisioned",
        }
    }

    /// Whether policy `p` of `s` pays for this commitment: it calls a model
    /// of its pricing key on demand (in a route or as its fallback). A policy
    /// that never does would not buy it.
    pub fn paid_by(&self, s: &super::Scenario, p: &super::Policy) -> bool {
        (0..s.models.len()).any(|m| s.models[m].price.key == self.key && p.calls_on_demand(m))
    }

    /// The fixed bill, USD a month (30 days): reserved, TPM / 1,000 × price
    /// per side; provisioned, units × price per unit-hour × 720 h.
    pub fn fixed_per_month(&self) -> f64 {
        match self.kind {
            CapacityKind::Reserved {
                input_tpm,
                output_tpm,
                price_per_1k_tpm,
                price_per_1k_output_tpm,
            } => {
                input_tpm / 1000.0 * price_per_1k_tpm
                    + output_tpm / 1000.0 * price_per_1k_output_tpm
            }
            CapacityKind::Provisioned {
                units,
                price_per_unit_hour,
                ..
            } => units * price_per_unit_hour * MONTH_HOURS,
        }
    }
}

fn root() -> KeyPath {
    KeyPath::root()
}

/// The keys of each kind, for "a key of the other kind" errors.
const RESERVED_KEYS: [&str; 4] = [
    "reserved_tpm",
    "reserved_output_tpm",
    "price_per_1k_tpm",
    "price_per_1k_output_tpm",
];
const PROVISIONED_KEYS: [&str; 3] = ["model_units", "price_per_unit_hour", "unit_tpm"];

/// `[capacity]`, validated: one [`Capacity`] per table, in key order.
/// `has_load`: whether the scenario has `[load]` (a commitment needs it).
pub fn capacities(
    raw: Option<&BTreeMap<String, CapacityEntry>>,
    has_load: bool,
    table: &PriceTable,
    models: &[Model],
) -> Result<Vec<Capacity>, Invalid> {
    let mut out = Vec::new();
    for (key, c) in raw.into_iter().flatten() {
        let cp = root().key("capacity").key(key);
        if !has_load {
            return Err(needs_load(key));
        }
        let price = super::billing::used_key(
            table,
            models,
            key,
            &cp,
            "a commitment is per model",
            "the commitment would serve no call",
        )?;
        if price.output.is_none() || price.per_request.is_some() {
            return Err(Invalid::new(
                cp,
                format!(
                    "\"{key}\" generates no text (it has no output price): Reserved tier and Provisioned Throughput are bought for text models"
                ),
            ));
        }
        out.push(one(key, c, &cp)?);
    }
    Ok(out)
}

/// The error of a commitment on `key` in a scenario without `[load]`.
pub fn needs_load(key: &str) -> Invalid {
    Invalid::new(
        root().key("capacity").key(key),
        "a commitment is tokens per minute, so it needs traffic over time: add a [load] table (the line `[load]` alone will do: arrivals at monthly_requests over a 30-day month, one simulated day)",
    )
}

/// A commitment's figure: above 0, finite, at most [`MAX_VALUE`].
fn positive(v: f64, path: &KeyPath, what: &str) -> Result<f64, Invalid> {
    if v.is_finite() && v > 0.0 && v <= MAX_VALUE {
        Ok(v)
    } else {
        Err(Invalid::new(
            path.clone(),
            format!(
                "{} is not {what}: it must be above 0 and at most {} (to compare with no commitment, remove the [capacity] table, or sweep it with the value 0)",
                readable(v),
                count(MAX_VALUE)
            ),
        ))
    }
}

fn one(key: &str, c: &CapacityEntry, cp: &KeyPath) -> Result<Capacity, Invalid> {
    let kind = match c.kind.as_deref() {
        Some(k @ ("reserved" | "provisioned")) => k,
        Some(other) => {
            return Err(Invalid::new(
                cp.key("kind"),
                format!(
                    "\"{other}\" is not a kind of commitment: \"reserved\" (Reserved tier: input and output tokens per minute) or \"provisioned\" (Provisioned Throughput: model units){}",
                    did_you_mean(other, ["reserved", "provisioned"])
                ),
            ));
        }
        None => {
            return Err(Invalid::new(
                cp.key("kind"),
                "missing: the kind of commitment, \"reserved\" (Reserved tier) or \"provisioned\" (Provisioned Throughput)",
            ));
        }
    };
    let reserved = kind == "reserved";
    let (own, other, other_kind): (&[&str], &[&str], _) = if reserved {
        (&RESERVED_KEYS, &PROVISIONED_KEYS, "provisioned")
    } else {
        (&PROVISIONED_KEYS, &RESERVED_KEYS, "reserved")
    };
    let value = |k: &str| -> Option<f64> {
        match k {
            "reserved_tpm" => c.reserved_tpm,
            "reserved_output_tpm" => c.reserved_output_tpm,
            "price_per_1k_tpm" => c.price_per_1k_tpm,
            "price_per_1k_output_tpm" => c.price_per_1k_output_tpm,
            "model_units" => c.model_units,
            "price_per_unit_hour" => c.price_per_unit_hour,
            "unit_tpm" => c.unit_tpm,
            _ => None,
        }
    };
    for k in other {
        if value(k).is_some() {
            return Err(Invalid::new(
                cp.key(k),
                format!(
                    "{k} is a key of kind = \"{other_kind}\", and this commitment is kind = \"{kind}\" (its keys: {}): remove {k}",
                    own.join(", ")
                ),
            ));
        }
    }
    for k in own {
        if value(k).is_none() {
            return Err(Invalid::new(
                cp.key(k),
                format!(
                    "missing: kind = \"{kind}\" needs {} ({k}: {})",
                    own.join(", "),
                    describe(k)
                ),
            ));
        }
    }
    let get = |k: &str| -> Result<f64, Invalid> {
        positive(value(k).unwrap_or(0.0), &cp.key(k), describe(k))
    };
    let kind_v = if reserved {
        CapacityKind::Reserved {
            input_tpm: get("reserved_tpm")?,
            output_tpm: get("reserved_output_tpm")?,
            price_per_1k_tpm: get("price_per_1k_tpm")?,
            price_per_1k_output_tpm: get("price_per_1k_output_tpm")?,
        }
    } else {
        let units = get("model_units")?;
        if units.fract() != 0.0 || units > MAX_UNITS {
            return Err(Invalid::new(
                cp.key("model_units"),
                format!(
                    "{} is not a number of model units: a whole number from 1 to {}",
                    readable(units),
                    count(MAX_UNITS)
                ),
            ));
        }
        CapacityKind::Provisioned {
            units,
            price_per_unit_hour: get("price_per_unit_hour")?,
            unit_tpm: get("unit_tpm")?,
        }
    };
    let terms: &[(&str, Term)] = if reserved {
        &[("1 month", Term::OneMonth), ("3 months", Term::ThreeMonths)]
    } else {
        &[
            ("none", Term::None),
            ("1 month", Term::OneMonth),
            ("6 months", Term::SixMonths),
        ]
    };
    let names: Vec<String> = terms.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    let term = match c.term.as_deref() {
        None => {
            return Err(Invalid::new(
                cp.key("term"),
                format!(
                    "missing: the term the price is for, {} for kind = \"{kind}\"",
                    names.join(" or ")
                ),
            ));
        }
        Some(t) => match terms.iter().find(|(n, _)| *n == t.trim()) {
            Some(&(_, term)) => term,
            None => {
                return Err(Invalid::new(
                    cp.key("term"),
                    format!(
                        "\"{t}\" is not a term AWS sells for kind = \"{kind}\": {}{}",
                        names.join(", "),
                        did_you_mean(t, terms.iter().map(|(n, _)| *n))
                    ),
                ));
            }
        },
    };
    let overflow = match c.overflow.as_deref() {
        None if reserved => Overflow::OnDemand,
        None => Overflow::Throttle,
        Some("on_demand") => Overflow::OnDemand,
        Some("throttle") => Overflow::Throttle,
        Some(other) => {
            return Err(Invalid::new(
                cp.key("overflow"),
                format!(
                    "\"{other}\" is not an overflow: \"on_demand\" (billed at the model's on-demand price, under its quotas) or \"throttle\"{}",
                    did_you_mean(other, ["on_demand", "throttle"])
                ),
            ));
        }
    };
    Ok(Capacity {
        key: key.to_string(),
        kind: kind_v,
        term,
        overflow,
    })
}

/// What a key holds, in words (for messages).
fn describe(k: &str) -> &'static str {
    match k {
        "reserved_tpm" => "a reservation of input tokens per minute",
        "reserved_output_tpm" => "a reservation of output tokens per minute",
        "price_per_1k_tpm" => "a price in USD a month per 1,000 input tokens per minute",
        "price_per_1k_output_tpm" => "a price in USD a month per 1,000 output tokens per minute",
        "model_units" => "a number of model units",
        "price_per_unit_hour" => "a price in USD per model unit per hour",
        "unit_tpm" => "the tokens per minute one model unit serves",
        _ => "a number",
    }
}

/// Checks that need the whole scenario: a commitment on a model that no
/// policy calls on demand would serve nothing.
pub fn check(s: &super::Scenario) -> Result<(), Invalid> {
    let Some(load) = &s.load else {
        return Ok(());
    };
    for c in &load.capacities {
        if !s.policies.iter().any(|p| c.paid_by(s, p)) {
            return Err(Invalid::new(
                root().key("capacity").key(&c.key),
                format!(
                    "no policy calls \"{}\" on demand, in a route or as its on_throttle fallback, and a commitment serves only those calls (batch classes, extra calls and classifier calls are outside it): remove it",
                    c.key
                ),
            ));
        }
    }
    Ok(())
}

/// What the reader must know: a reservation below the Reserved tier's
/// minimum (AWS would not sell it; the run goes on).
pub fn warnings(s: &super::Scenario) -> Vec<String> {
    let mut out = Vec::new();
    for c in s.load.iter().flat_map(|l| &l.capacities) {
        if let CapacityKind::Reserved {
            input_tpm,
            output_tpm,
            ..
        } = c.kind
        {
            if input_tpm < RESERVED_MIN_TPM {
                out.push(format!(
                    "capacity {}: reserved_tpm = {} is below the Reserved tier's minimum of {} input tokens per minute; AWS does not sell it (simulated as given)",
                    c.key,
                    count(input_tpm),
                    count(RESERVED_MIN_TPM)
                ));
            }
            if output_tpm < RESERVED_MIN_OUTPUT_TPM {
                out.push(format!(
                    "capacity {}: reserved_output_tpm = {} is below the Reserved tier's minimum of {} output tokens per minute; AWS does not sell it (simulated as given)",
                    c.key,
                    count(output_tpm),
                    count(RESERVED_MIN_OUTPUT_TPM)
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_bill_is_the_reservation_times_its_price_or_units_times_720_hours() {
        let r = Capacity {
            key: "k".into(),
            kind: CapacityKind::Reserved {
                input_tpm: 200_000.0,
                output_tpm: 20_000.0,
                price_per_1k_tpm: 60.0,
                price_per_1k_output_tpm: 300.0,
            },
            term: Term::OneMonth,
            overflow: Overflow::OnDemand,
        };
        // 200 × $60 + 20 × $300.
        assert_eq!(r.fixed_per_month(), 18_000.0);
        let p = Capacity {
            kind: CapacityKind::Provisioned {
                units: 2.0,
                price_per_unit_hour: 40.0,
                unit_tpm: 50_000.0,
            },
            term: Term::None,
            overflow: Overflow::Throttle,
            ..r
        };
        // 2 × $40 × 720 h.
        assert_eq!(p.fixed_per_month(), 57_600.0);
        assert_eq!(MONTH_MINUTES, MONTH_HOURS * 60.0);
        assert_eq!(
            MONTH_HOURS * 3600.0,
            crate::scenario::load::MONTH_S,
            "simroute's month is 30 days"
        );
    }
}
