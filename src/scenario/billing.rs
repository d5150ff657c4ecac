//! What Bedrock bills a scenario's calls at: the inference profile a model is
//! called through, the service tier of each policy's calls, and the limits a
//! prompt's length runs into (long-prompt prices, the context window).
//!
//! A token distribution is a lognormal, so any prompt length has some chance;
//! a scenario is refused where more than [`TAIL`] of a class's prompts would
//! pass a model's context window, or a long-prompt threshold the table has no
//! price for in the call's mode. The engines count the rarer draws beyond
//! either (and every logged one) instead of pricing them silently.

use std::collections::BTreeMap;

use super::format::{PolicyEntry, RouteEntry};
use super::{ClassTokens, Model, Scenario, TierLatency, TokenDist, TrafficClass, Trigger};
use crate::input::{Invalid, KeyPath, did_you_mean};
use crate::numfmt::count;
use crate::pricing::{ModelPrice, PriceTable, ServiceTier};
use crate::stats::{Z95, normal_cdf};
use crate::units::Tokens;

/// The largest share of a class's prompts allowed past a model's context
/// window (or an unpriced long-prompt threshold): one in a million.
pub const TAIL: f64 = 1e-6;

/// The price of `[models.NAME]`: the pricing key's, through `profile` where
/// one is named. A key written as a profile id (`us.anthropic…`) is that
/// profile.
pub fn model_price(
    table: &PriceTable,
    key: &str,
    profile: Option<&str>,
    at: &KeyPath,
) -> Result<ModelPrice, Invalid> {
    let price = table.get(key).ok_or_else(|| {
        Invalid::new(
            at.key("price"),
            format!(
                "\"{key}\" is not a model of the pricing table{}",
                did_you_mean(key, table.keys())
            ),
        )
    })?;
    let Some(p) = profile else {
        return Ok(price.clone());
    };
    if let Some(own) = &price.profile {
        if own == p {
            return Ok(price.clone());
        }
        return Err(Invalid::new(
            at.key("profile"),
            format!(
                "\"{key}\" is already the \"{own}\" inference profile's id: write the model's own key with profile = \"{p}\", or the \"{p}.\" id without `profile`"
            ),
        ));
    }
    price.profiles.get(p).cloned().ok_or_else(|| {
        let has = if price.profiles.is_empty() {
            "it lists none, so the model is priced in-Region only".to_string()
        } else {
            let names: Vec<_> = price.profiles.keys().map(|n| format!("\"{n}\"")).collect();
            format!("it has {}", names.join(", "))
        };
        Invalid::new(
            at.key("profile"),
            format!(
                "the pricing table has no \"{p}\" inference profile for \"{key}\" ({has}); leave `profile` out to call the model in-Region"
            ),
        )
    })
}

/// The price of a pricing key that a per-model table (`[quotas."KEY"]`,
/// `[capacity."KEY"]`) names: a key of the table (a profile id for a model
/// called through a profile) that some scenario model is priced as. `what`
/// says what the table holds ("quotas are per model"), `idle` what an unused
/// key would do ("its quota would change nothing").
pub fn used_key<'t>(
    table: &'t PriceTable,
    models: &[Model],
    key: &str,
    at: &KeyPath,
    what: &str,
    idle: &str,
) -> Result<&'t ModelPrice, Invalid> {
    let Some(price) = table.get(key) else {
        return Err(Invalid::new(
            at.clone(),
            format!(
                "\"{key}\" is not a key of the pricing table{}: {what}, named by the pricing key the scenario's models use (the profile id, `us.…`, for a model called through an inference profile)",
                did_you_mean(key, table.keys())
            ),
        ));
    };
    if !models.iter().any(|m| m.price.key == key) {
        return Err(Invalid::new(
            at.clone(),
            format!(
                "no model of this scenario is priced as \"{key}\", so {idle}{}",
                did_you_mean(key, models.iter().map(|m| m.price.key.as_str()))
            ),
        ));
    }
    Ok(price)
}

fn tier(name: &str, at: &KeyPath) -> Result<ServiceTier, Invalid> {
    ServiceTier::parse(name).ok_or_else(|| {
        Invalid::new(
            at.clone(),
            format!(
                "\"{name}\" is not a Bedrock service tier: write \"priority\", \"standard\" or \"flex\" (the Reserved tier is bought as [capacity])"
            ),
        )
    })
}

/// The service tier of each class's calls under policy `p`: its `by_class`
/// table's `service_tier`, else the policy's, else Standard.
pub fn service_tiers(
    p: &PolicyEntry,
    pp: &KeyPath,
    classes: &[TrafficClass],
) -> Result<Vec<ServiceTier>, Invalid> {
    let default = p
        .service_tier
        .as_deref()
        .map(|n| tier(n, &pp.key("service_tier")))
        .transpose()?
        .unwrap_or_default();
    let mut out = vec![default; classes.len()];
    for (class, r) in p.by_class.iter().flatten() {
        if let RouteEntry::Table(t) = r
            && let Some(n) = &t.service_tier
            && let Some(c) = classes.iter().position(|k| &k.name == class)
        {
            out[c] = tier(n, &pp.key("by_class").key(class).key("service_tier"))?;
        }
    }
    Ok(out)
}

/// Share of a token distribution's draws above `limit` tokens.
fn share_above(d: &TokenDist, limit: Tokens) -> f64 {
    match *d {
        TokenDist::Fixed(n) => f64::from(u8::from(n > limit)),
        TokenDist::LogNormal(s) => {
            if limit == 0 {
                return 1.0;
            }
            let sigma = (s.p95 / s.median).ln() / Z95;
            let z = ((limit as f64).ln() - s.median.ln()) / sigma;
            if sigma > 0.0 {
                1.0 - normal_cdf(z)
            } else {
                f64::from(u8::from(s.median > limit as f64))
            }
        }
    }
}

/// One kind of call a policy makes, for the checks below.
struct Call<'a> {
    model: &'a Model,
    /// The prompt's uncached input, and the prefix added to it.
    input: TokenDist,
    prefix: Tokens,
    batch: bool,
    tier: ServiceTier,
    caching: bool,
    /// Whether the prompt's length is drawn from `input` (not a log's records,
    /// whose lengths the engines count as they replay them).
    tails: bool,
    /// "class \"chat\" under policy \"cascade\"", for messages.
    who: String,
    /// The key a prompt too long is reported at: what draws its length.
    at: KeyPath,
}

/// Share of the call's prompts above `limit`.
fn prompts_above(c: &Call, limit: Tokens) -> f64 {
    if c.prefix >= limit {
        return 1.0;
    }
    share_above(&c.input, limit - c.prefix)
}

fn pct(share: f64) -> String {
    if share >= 0.001 {
        format!("{:.1}%", share * 100.0)
    } else {
        format!("{share:.1e} of them")
    }
}

/// Checks every call of every policy against its model's tiers, long-prompt
/// prices and context window.
pub fn check(s: &Scenario) -> Result<(), Invalid> {
    for (pi, p) in s.policies.iter().enumerate() {
        let pp = KeyPath::root().key("policy").index(pi);
        for (c, class) in s.classes.iter().enumerate() {
            let synthetic = match &class.tokens {
                ClassTokens::Synthetic(t) => Some(t),
                ClassTokens::Logged { .. } => None,
            };
            let who = format!("class \"{}\" under policy \"{}\"", class.name, p.name);
            let mut calls = Vec::new();
            for &m in &p.routes[c] {
                calls.push(Call {
                    model: &s.models[m],
                    input: synthetic.map_or(TokenDist::Fixed(0), |t| t.input_tokens),
                    prefix: synthetic.map_or(0, |t| t.cached_prefix_tokens),
                    batch: p.batch[c],
                    tier: p.tiers[c],
                    caching: p.prompt_caching,
                    tails: synthetic.is_some(),
                    who: who.clone(),
                    at: KeyPath::root().key("traffic").index(c).key("input_tokens"),
                });
            }
            if let Trigger::Classifier(cl) = &p.triggers[c] {
                calls.push(Call {
                    model: &s.models[cl.model],
                    input: cl.input_tokens,
                    prefix: 0,
                    batch: false,
                    tier: p.tiers[c],
                    caching: false,
                    tails: true,
                    who: format!("the classifier of {who}"),
                    at: pp.key("classifier"),
                });
            }
            for x in &class.extra_calls {
                calls.push(Call {
                    model: &s.models[x.model],
                    input: x.input_tokens,
                    prefix: 0,
                    batch: false,
                    tier: ServiceTier::Standard,
                    caching: false,
                    tails: true,
                    who: format!("the extra calls of class \"{}\"", class.name),
                    at: KeyPath::root().key("traffic").index(c).key("extra_calls"),
                });
            }
            for call in &calls {
                check_call(call, &pp)?;
            }
        }
    }
    Ok(())
}

fn check_call(c: &Call, pp: &KeyPath) -> Result<(), Invalid> {
    let m = c.model;
    let price = &m.price;
    let at = pp.key("service_tier");
    if !c.batch && c.tier != ServiceTier::Standard {
        let Some(t) = price.tiers.get(&c.tier) else {
            return Err(Invalid::new(
                at,
                format!(
                    "{} calls \"{}\" ({}) in the {} tier, and the pricing table has no {} prices for it{}",
                    c.who,
                    m.name,
                    price.key,
                    c.tier.name(),
                    c.tier.name(),
                    price.tiers_hint()
                ),
            ));
        };
        if c.caching && price.caches() && t.rates.cache_read.is_none() {
            return Err(Invalid::new(
                at,
                format!(
                    "{} caches prompts on \"{}\" in the {} tier, and the pricing table has no {} cache-read price for {}: turn prompt caching off for this policy or use the standard tier",
                    c.who,
                    m.name,
                    c.tier.name(),
                    c.tier.name(),
                    price.key
                ),
            ));
        }
    }
    if !c.tails {
        return Ok(());
    }
    if let Some(window) = price.context_window {
        let share = prompts_above(c, window);
        if share > TAIL {
            return Err(Invalid::new(
                c.at.clone(),
                format!(
                    "{} sends \"{}\" prompts longer than its context window of {} tokens ({}): Bedrock refuses them; shorten the class's input_tokens or route it to a model with a longer context",
                    c.who,
                    m.name,
                    count(window as f64),
                    pct(share)
                ),
            ));
        }
    }
    // A long prompt needs long-prompt prices in the call's mode and tier.
    if let Some(above) = price.long_threshold() {
        let priced = if c.batch {
            None
        } else if c.tier == ServiceTier::Standard {
            price.long_prompt
        } else {
            price.tiers.get(&c.tier).and_then(|t| t.long_prompt)
        };
        let share = if priced.is_some() {
            0.0
        } else {
            prompts_above(c, above)
        };
        if share > TAIL {
            let mode = if c.batch {
                "batch inference".to_string()
            } else {
                format!("the {} tier", c.tier.name())
            };
            return Err(Invalid::new(
                c.at.clone(),
                format!(
                    "{} sends \"{}\" prompts above {} tokens ({}), and the pricing table has no long-prompt prices for {} of {}: those calls cannot be priced",
                    c.who,
                    m.name,
                    count(above as f64),
                    pct(share),
                    mode,
                    price.key
                ),
            ));
        }
    }
    Ok(())
}

/// A model's latency by service tier: the scenario's `tiers.TIER`, else
/// the pricing table's tier latency; tiers where neither says are left out
/// (the model's own latency).
pub fn tier_latency(
    m: &super::format::ModelEntry,
    price: &ModelPrice,
    mp: &KeyPath,
) -> Result<BTreeMap<ServiceTier, TierLatency>, Invalid> {
    use crate::pricing::{LatencyKind, latency_spread};
    let mut out = BTreeMap::new();
    for (t, tp) in &price.tiers {
        if tp.ttft_ms.is_some() || tp.output_tokens_per_s.is_some() {
            out.insert(
                *t,
                TierLatency {
                    ttft_ms: tp.ttft_ms,
                    output_tokens_per_s: tp.output_tokens_per_s,
                },
            );
        }
    }
    for (name, e) in m.tiers.iter().flatten() {
        let at = mp.key("tiers").key(name);
        let t = ServiceTier::other_than_standard(
            name,
            &at,
            "the Standard tier's latency is the model's own `ttft_ms` and `output_tokens_per_s`",
        )?;
        if !price.tiers.contains_key(&t) {
            return Err(Invalid::new(
                at,
                format!(
                    "the pricing table has no {} prices for \"{}\"{}, so no call can run in that tier",
                    t.name(),
                    price.key,
                    price.tiers_hint()
                ),
            ));
        }
        let slot = out.entry(t).or_insert(TierLatency {
            ttft_ms: None,
            output_tokens_per_s: None,
        });
        if let Some(v) = &e.ttft_ms {
            slot.ttft_ms = Some(latency_spread(v, &at.key("ttft_ms"), LatencyKind::Ttft)?);
        }
        if let Some(v) = &e.output_tokens_per_s {
            slot.output_tokens_per_s = Some(latency_spread(
                v,
                &at.key("output_tokens_per_s"),
                LatencyKind::Speed,
            )?);
        }
    }
    Ok(out)
}

/// The profiles a scenario's models are called through, for the summary
/// line: `sonnet via us`; empty where every model is in-Region.
pub fn profiles_used(models: &[Model]) -> BTreeMap<String, String> {
    models
        .iter()
        .filter_map(|m| m.price.profile.clone().map(|p| (m.name.clone(), p)))
        .collect()
}
