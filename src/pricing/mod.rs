//! Per-token price tables: reading, validating, and the cost of one call.
//!
//! A table is a TOML file (see `pricing/bedrock-us-east-1.toml` and
//! scenarios/README.md). It is validated once into [`PriceTable`]; the engine sees
//! only [`ModelPrice`], whose prices are integer femto-dollars per token so that
//! every call's cost is exact (see [`crate::units`]).

pub mod diff;
pub mod format;
pub mod list;
pub mod litellm;
pub mod overlay;
pub mod write;

use std::collections::BTreeMap;
use std::path::Path;

use crate::input::{InputError, Invalid, KeyPath, TomlFile};
use crate::numfmt::readable;
use crate::spec::{Spread, check_at_least};
use crate::units::{
    Femto, MAX_LATENCY_MS, MIN_LATENCY_MS, Tokens, Usd, UsdPerMTok, cost_of, femto_per_call,
    femto_per_token, usd,
};

pub use format::Meta;

/// A validated pricing table.
#[derive(Debug, Clone)]
pub struct PriceTable {
    pub meta: Meta,
    pub models: BTreeMap<String, ModelPrice>,
}

/// One model's validated prices. Optional prices are `None` where the model does
/// not offer the feature.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelPrice {
    /// The table's key, e.g. "amazon.nova-micro-v1:0".
    pub key: String,
    /// USD per 1M uncached input tokens (0 for per-request models).
    pub input: UsdPerMTok,
    /// USD per 1M output tokens; `None` for models that produce none (embeddings).
    pub output: Option<UsdPerMTok>,
    /// USD per 1M tokens read from the prompt cache; `None`: no prompt caching.
    pub cache_read: Option<UsdPerMTok>,
    /// USD per 1M tokens written to the cache; `None`: writes bill at `input`.
    pub cache_write: Option<UsdPerMTok>,
    /// USD per 1M tokens written to the cache with a 1-hour TTL; `None`: the
    /// model offers no 1-hour cache.
    pub cache_write_1h: Option<UsdPerMTok>,
    /// Fewest prefix tokens the model caches (0: no minimum stated).
    pub cache_min_tokens: Tokens,
    /// Quota tokens per output token (1 unless the table says otherwise).
    pub output_burndown: f64,
    /// Prompt tokens processed per second before the first token (an
    /// estimate); `None`: a cache hit does not shorten the time to first token.
    pub prefill_tokens_per_s: Option<f64>,
    /// USD per 1M input tokens on batch inference; `None`: no batch inference.
    pub batch_input: Option<UsdPerMTok>,
    /// USD per 1M output tokens on batch inference.
    pub batch_output: Option<UsdPerMTok>,
    /// USD per call, for models priced per query.
    pub per_request: Option<Usd>,
    /// Context window, tokens.
    pub context_window: Option<Tokens>,
    /// Most output tokens of one call.
    pub max_output_tokens: Option<Tokens>,
    /// Default time to first token, ms.
    pub ttft_ms: Option<Spread>,
    /// Default output speed, tokens per second.
    pub output_tokens_per_s: Option<Spread>,
    /// Provenance of the prices.
    pub source: Option<String>,
    /// Long-prompt prices: a request whose prompt passes the threshold bills
    /// all its tokens at these rates.
    pub long_prompt: Option<LongPrompt>,
    /// The Priority and Flex tiers' prices where the table has them (the
    /// model's own prices are the Standard tier's).
    pub tiers: BTreeMap<ServiceTier, TierPrice>,
    /// The model through each cross-Region inference profile, by prefix
    /// ("us", "global", …); empty for a profile's own price.
    pub profiles: BTreeMap<String, ModelPrice>,
    /// The inference profile these prices are for; `None`: in-Region.
    pub profile: Option<String>,
    /// The date AWS retires the model, where known (YYYY-MM-DD).
    pub deprecation_date: Option<String>,
}

/// An on-demand service tier. The Standard tier is the model's own prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ServiceTier {
    Priority,
    #[default]
    Standard,
    Flex,
}

impl ServiceTier {
    /// Every tier, in the order simroute lists them.
    pub const ALL: [ServiceTier; 3] = [
        ServiceTier::Priority,
        ServiceTier::Standard,
        ServiceTier::Flex,
    ];

    /// The tier's place in [`ServiceTier::ALL`], for tables indexed by tier.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The tier's name as Bedrock's `service_tier` parameter writes it
    /// ("default" is accepted for Standard).
    pub fn name(self) -> &'static str {
        match self {
            ServiceTier::Priority => "priority",
            ServiceTier::Standard => "standard",
            ServiceTier::Flex => "flex",
        }
    }

    /// The tier a key of a `tiers` table names: "priority" or "flex".
    /// `standard` is refused with `own` (what stands for it instead).
    pub fn other_than_standard(name: &str, at: &KeyPath, own: &str) -> Result<Self, Invalid> {
        match ServiceTier::parse(name) {
            Some(ServiceTier::Standard) => Err(Invalid::new(
                at.clone(),
                format!("{own}: list only \"priority\" and \"flex\" under `tiers`"),
            )),
            Some(t) => Ok(t),
            None => Err(Invalid::new(
                at.clone(),
                format!(
                    "\"{name}\" is not a Bedrock service tier: the tiers with prices of their own are \"priority\" and \"flex\""
                ),
            )),
        }
    }

    /// The tier a name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "priority" => Some(ServiceTier::Priority),
            "standard" | "default" => Some(ServiceTier::Standard),
            "flex" => Some(ServiceTier::Flex),
            _ => None,
        }
    }
}

/// Per-token prices of one price set (the Standard tier, a service tier, or
/// a long-prompt tier), USD per 1M tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    pub input: UsdPerMTok,
    /// `None`: the model produces no output (embeddings).
    pub output: Option<UsdPerMTok>,
    /// `None`: no prompt caching at these rates.
    pub cache_read: Option<UsdPerMTok>,
    /// `None`: cache writes bill at `input`.
    pub cache_write: Option<UsdPerMTok>,
    /// `None`: no 1-hour cache (writes keep the 5-minute price).
    pub cache_write_1h: Option<UsdPerMTok>,
}

/// Prices of a prompt longer than `above` tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LongPrompt {
    /// A prompt (input + cache read + cache write) of more tokens than this
    /// bills every token of the request at `rates`.
    pub above: Tokens,
    pub rates: Rates,
}

/// One service tier's prices and latency.
#[derive(Debug, Clone, PartialEq)]
pub struct TierPrice {
    pub rates: Rates,
    pub long_prompt: Option<LongPrompt>,
    /// Time to first token in this tier, ms; `None`: the model's.
    pub ttft_ms: Option<Spread>,
    /// Output speed in this tier, tokens/s; `None`: the model's.
    pub output_tokens_per_s: Option<Spread>,
    pub source: Option<String>,
}

/// Token counts of one call, in Bedrock's usage terms: `input` is the uncached
/// input; cache reads and writes are counted apart from it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CallTokens {
    pub input: Tokens,
    pub output: Tokens,
    pub cache_read: Tokens,
    pub cache_write: Tokens,
}

/// The cost of one call, split by kind, in femto-dollars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCost {
    pub input: Femto,
    pub output: Femto,
    pub cache_read: Femto,
    pub cache_write: Femto,
    /// Flat per-call price (per-request models).
    pub per_request: Femto,
}

impl CallCost {
    pub fn total(&self) -> Femto {
        self.input + self.output + self.cache_read + self.cache_write + self.per_request
    }
    pub fn total_usd(&self) -> Usd {
        usd(self.total())
    }
}

/// Why a call cannot be priced by a model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriceError {
    #[error("`{0}` has no `output` price, so it cannot bill output tokens")]
    NoOutput(String),
    #[error(
        "`{0}` has no `batch_input`/`batch_output` price: batch inference is not offered for it"
    )]
    NoBatch(String),
    #[error(
        "batch inference has no prompt caching: cache read/write tokens cannot be billed in batch mode"
    )]
    BatchCache,
    #[error("`{0}` has no {1} tier in the pricing table{2}")]
    NoTier(String, &'static str, String),
    #[error(
        "a prompt of {1} tokens is above {0}'s long-prompt threshold of {2} tokens, and the table has no long-prompt prices for {3}"
    )]
    NoLongPrompt(String, String, String, String),
}

impl ModelPrice {
    /// The cost of a call with these token counts, interactive (on demand) or batch.
    ///
    /// Interactive: `input × input + cache_read × cache_read + cache_write ×
    /// (cache_write, or input where the table has none) + output × output`. Cache
    /// tokens on a model without `cache_read` bill at `input`. Batch: all input at
    /// `batch_input`, output at `batch_output`; no cache.
    pub fn cost(&self, t: &CallTokens, batch: bool) -> Result<CallCost, PriceError> {
        self.cost_in(t, batch, ServiceTier::Standard)
    }

    /// The rates a call in `tier` with a prompt of `prompt` tokens bills at:
    /// the tier's (Standard: the model's own), or its long-prompt rates where
    /// the prompt passes their threshold.
    pub fn rates(&self, tier: ServiceTier, prompt: Tokens) -> Result<Rates, PriceError> {
        let (base, long, what) = match tier {
            ServiceTier::Standard => (self.standard_rates(), self.long_prompt, "the Standard tier"),
            t => {
                let tp = self.tiers.get(&t).ok_or_else(|| {
                    PriceError::NoTier(self.key.clone(), t.name(), self.tiers_hint())
                })?;
                (tp.rates, tp.long_prompt, t.name())
            }
        };
        match (long, self.long_threshold()) {
            (Some(l), _) if prompt > l.above => Ok(l.rates),
            (None, Some(above)) if prompt > above => Err(PriceError::NoLongPrompt(
                self.key.clone(),
                crate::numfmt::count(prompt as f64),
                crate::numfmt::count(above as f64),
                what.to_string(),
            )),
            _ => Ok(base),
        }
    }

    /// The model's own (Standard-tier) rates.
    pub fn standard_rates(&self) -> Rates {
        Rates {
            input: self.input,
            output: self.output,
            cache_read: self.cache_read,
            cache_write: self.cache_write,
            cache_write_1h: self.cache_write_1h,
        }
    }

    /// The lowest long-prompt threshold of any of the model's tiers: a prompt
    /// above it has a price only where that tier lists long-prompt rates.
    pub fn long_threshold(&self) -> Option<Tokens> {
        self.long_prompt
            .iter()
            .chain(self.tiers.values().filter_map(|t| t.long_prompt.as_ref()))
            .map(|l| l.above)
            .min()
    }

    /// ": it has priority, flex" or ": it has none", for messages.
    pub fn tiers_hint(&self) -> String {
        if self.tiers.is_empty() {
            " (it lists no Priority or Flex prices)".to_string()
        } else {
            let names: Vec<_> = self.tiers.keys().map(|t| t.name()).collect();
            format!(" (it has: standard, {})", names.join(", "))
        }
    }

    /// The cost of a call in a service tier; see [`ModelPrice::cost`]. A
    /// prompt (input + cache read + cache write) above the long-prompt
    /// threshold bills every token at the long-prompt rates.
    pub fn cost_in(
        &self,
        t: &CallTokens,
        batch: bool,
        tier: ServiceTier,
    ) -> Result<CallCost, PriceError> {
        if batch && (t.cache_read > 0 || t.cache_write > 0) {
            return Err(PriceError::BatchCache);
        }
        if let Some(p) = self.per_request {
            if batch {
                return Err(PriceError::NoBatch(self.key.clone()));
            }
            return Ok(CallCost {
                per_request: femto_per_call(p),
                ..CallCost::default()
            });
        }
        let rate = |p: UsdPerMTok, n: Tokens| cost_of(n, femto_per_token(p));
        if batch {
            let prompt = t.input + t.cache_read + t.cache_write;
            if let Some(above) = self.long_threshold()
                && prompt > above
            {
                return Err(PriceError::NoLongPrompt(
                    self.key.clone(),
                    crate::numfmt::count(prompt as f64),
                    crate::numfmt::count(above as f64),
                    "batch inference".to_string(),
                ));
            }
            let bi = self
                .batch_input
                .ok_or_else(|| PriceError::NoBatch(self.key.clone()))?;
            let output = if t.output > 0 {
                let bo = self
                    .batch_output
                    .ok_or_else(|| PriceError::NoBatch(self.key.clone()))?;
                rate(bo, t.output)
            } else {
                0
            };
            return Ok(CallCost {
                input: rate(bi, t.input),
                output,
                ..CallCost::default()
            });
        }
        let r = self.rates(tier, t.input + t.cache_read + t.cache_write)?;
        let output = if t.output > 0 {
            let o = r
                .output
                .ok_or_else(|| PriceError::NoOutput(self.key.clone()))?;
            rate(o, t.output)
        } else {
            0
        };
        let (read, write) = match r.cache_read {
            Some(c) => (c, r.cache_write.unwrap_or(r.input)),
            None => (r.input, r.input),
        };
        Ok(CallCost {
            input: rate(r.input, t.input),
            output,
            cache_read: rate(read, t.cache_read),
            cache_write: rate(write, t.cache_write),
            per_request: 0,
        })
    }

    /// Whether the model bills prompt-cache reads (supports prompt caching).
    pub fn caches(&self) -> bool {
        self.cache_read.is_some()
    }
}

impl PriceTable {
    /// A model by its key, or through an inference profile by the profile's
    /// id (`us.anthropic.claude-…` is the `us` profile of `anthropic.claude-…`).
    pub fn get(&self, key: &str) -> Option<&ModelPrice> {
        if let Some(m) = self.models.get(key) {
            return Some(m);
        }
        let (prefix, rest) = key.split_once('.')?;
        self.models.get(rest)?.profiles.get(prefix)
    }

    /// Every key [`PriceTable::get`] answers: the models' and their profiles'.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.models.values().flat_map(|m| {
            std::iter::once(m.key.as_str()).chain(m.profiles.values().map(|p| p.key.as_str()))
        })
    }

    /// Reads and validates a pricing table.
    pub fn load(path: &Path) -> Result<Self, InputError> {
        let file = TomlFile::<format::PricingFile>::read(path)?;
        Self::validate(&file.value).map_err(|e| file.error(e))
    }

    /// Validates a parsed pricing file.
    pub fn validate(raw: &format::PricingFile) -> Result<Self, Invalid> {
        let meta_path = KeyPath::root().key("meta");
        if raw.meta.currency != "USD" {
            return Err(Invalid::new(
                meta_path.key("currency"),
                format!(
                    "\"{}\" is not supported: prices must be in \"USD\"",
                    raw.meta.currency
                ),
            ));
        }
        if raw.meta.unit != "per 1M tokens" {
            return Err(Invalid::new(
                meta_path.key("unit"),
                format!(
                    "\"{}\" is not supported: prices must be \"per 1M tokens\"",
                    raw.meta.unit
                ),
            ));
        }
        if raw.models.is_empty() {
            return Err(Invalid::new(
                KeyPath::root().key("models"),
                "the table lists no models",
            ));
        }
        let mut models = BTreeMap::new();
        for (key, entry) in &raw.models {
            let path = KeyPath::root().key("models").key(key);
            models.insert(key.clone(), validate_model(key, entry, &path)?);
        }
        Ok(PriceTable {
            meta: raw.meta.clone(),
            models,
        })
    }
}

/// The largest price accepted, USD per 1M tokens or per call: anything above is a
/// typo (prices in USD per token, or in cents).
const MAX_PRICE: f64 = 10_000.0;

fn price(v: Option<f64>, path: &KeyPath) -> Result<Option<f64>, Invalid> {
    let Some(v) = v else { return Ok(None) };
    check_at_least(v, 0.0, path)?;
    if v > MAX_PRICE {
        return Err(Invalid::new(
            path.clone(),
            format!(
                "{v} is not a plausible price (above {MAX_PRICE} USD): token prices are in USD per 1M tokens, per_request in USD per call"
            ),
        ));
    }
    Ok(Some(v))
}

fn validate_model(
    key: &str,
    e: &format::ModelEntry,
    path: &KeyPath,
) -> Result<ModelPrice, Invalid> {
    let per_request = price(e.per_request, &path.key("per_request"))?;
    let input = price(e.input, &path.key("input"))?;
    let output = price(e.output, &path.key("output"))?;
    let cache_read = price(e.cache_read, &path.key("cache_read"))?;
    let cache_write = price(e.cache_write, &path.key("cache_write"))?;
    let cache_write_1h = price(e.cache_write_1h, &path.key("cache_write_1h"))?;
    let batch_input = price(e.batch_input, &path.key("batch_input"))?;
    let batch_output = price(e.batch_output, &path.key("batch_output"))?;
    let input = if per_request.is_some() {
        if input.is_some() || output.is_some() {
            return Err(Invalid::new(
                path.key("per_request"),
                "a model priced per request takes no token prices (`input`, `output`)",
            ));
        }
        0.0
    } else {
        input.ok_or_else(|| {
            Invalid::new(
                path.key("input"),
                "missing: every token-priced model needs an `input` price (or `per_request` for per-call pricing)",
            )
        })?
    };
    check_caching(
        &Rates {
            input,
            output,
            cache_read,
            cache_write,
            cache_write_1h,
        },
        path,
    )?;
    if let Some(m) = e.cache_min_tokens
        && m > crate::units::MAX_CALL_TOKENS
    {
        return Err(Invalid::new(
            path.key("cache_min_tokens"),
            format!(
                "{} tokens is more than any prompt simroute simulates ({} tokens): `cache_min_tokens` is the fewest prefix tokens the model caches, e.g. 1,024",
                crate::numfmt::count(m as f64),
                crate::numfmt::count(crate::units::MAX_CALL_TOKENS as f64)
            ),
        ));
    }
    let output_burndown = match e.output_burndown {
        None => 1.0,
        Some(b) => burndown(b, &path.key("output_burndown"))?,
    };
    if let Some(r) = e.prefill_tokens_per_s
        && !(r.is_finite() && (1.0..=1e9).contains(&r))
    {
        return Err(Invalid::new(
            path.key("prefill_tokens_per_s"),
            format!(
                "{} tokens/s is not a plausible prefill rate: `prefill_tokens_per_s` is how many prompt tokens the model reads per second before its first output token, a number from 1 to 1,000,000,000 (leave it out if unknown)",
                readable(r)
            ),
        ));
    }
    batch_pair(batch_input, batch_output, output.is_some(), path)?;
    if let (Some(0), _) | (_, Some(0)) = (e.context_window, e.max_output_tokens) {
        let k = if e.context_window == Some(0) {
            "context_window"
        } else {
            "max_output_tokens"
        };
        return Err(Invalid::new(path.key(k), "must be at least 1 token"));
    }
    let ttft_ms = e
        .ttft_ms
        .as_ref()
        .map(|s| latency_spread(s, &path.key("ttft_ms"), LatencyKind::Ttft))
        .transpose()?;
    let output_tokens_per_s = e
        .output_tokens_per_s
        .as_ref()
        .map(|s| latency_spread(s, &path.key("output_tokens_per_s"), LatencyKind::Speed))
        .transpose()?;
    let long_prompt = e
        .long_prompt
        .as_ref()
        .map(|l| long_prompt(l, &path.key("long_prompt"), per_request.is_some()))
        .transpose()?;
    let tiers = tiers(e.tiers.as_ref(), &path.key("tiers"), per_request.is_some())?;
    if let Some(d) = &e.deprecation_date {
        check_date(d, &path.key("deprecation_date"))?;
    }
    let mut model = ModelPrice {
        key: key.to_string(),
        input,
        output,
        cache_read,
        cache_write,
        cache_write_1h,
        cache_min_tokens: e.cache_min_tokens.unwrap_or(0),
        output_burndown,
        prefill_tokens_per_s: e.prefill_tokens_per_s,
        batch_input,
        batch_output,
        per_request,
        context_window: e.context_window,
        max_output_tokens: e.max_output_tokens,
        ttft_ms,
        output_tokens_per_s,
        source: e.source.clone(),
        long_prompt,
        tiers,
        profiles: BTreeMap::new(),
        profile: None,
        deprecation_date: e.deprecation_date.clone(),
    };
    if let Some(profiles) = &e.profiles {
        let mut out = BTreeMap::new();
        for (name, p) in profiles {
            let at = path.key("profiles").key(name);
            out.insert(name.clone(), profile(&model, name, p, &at)?);
        }
        model.profiles = out;
    }
    Ok(model)
}

/// Batch prices come in pairs: `batch_output` needs `batch_input`, and
/// `batch_input` needs `batch_output` on a model that bills output.
fn batch_pair(
    batch_input: Option<f64>,
    batch_output: Option<f64>,
    bills_output: bool,
    path: &KeyPath,
) -> Result<(), Invalid> {
    if batch_output.is_some() && batch_input.is_none() {
        return Err(Invalid::new(
            path.key("batch_input"),
            "missing: `batch_output` is set, so batch inference needs `batch_input` too",
        ));
    }
    if batch_input.is_some() && bills_output && batch_output.is_none() {
        return Err(Invalid::new(
            path.key("batch_output"),
            "missing: `batch_input` is set for a model with an `output` price, so batch inference needs `batch_output` too",
        ));
    }
    Ok(())
}

/// A rate set's optional prices, checked; `input` is required.
fn rates(
    input: Option<f64>,
    output: Option<f64>,
    cache: [Option<f64>; 3],
    path: &KeyPath,
) -> Result<Rates, Invalid> {
    let input = price(input, &path.key("input"))?
        .ok_or_else(|| Invalid::new(path.key("input"), "missing: an `input` price is required"))?;
    let r = Rates {
        input,
        output: price(output, &path.key("output"))?,
        cache_read: price(cache[0], &path.key("cache_read"))?,
        cache_write: price(cache[1], &path.key("cache_write"))?,
        cache_write_1h: price(cache[2], &path.key("cache_write_1h"))?,
    };
    check_caching(&r, path)?;
    Ok(r)
}

/// Cache-write prices need a cache-read price (a model with prompt caching
/// bills cache reads).
fn check_caching(r: &Rates, path: &KeyPath) -> Result<(), Invalid> {
    if r.cache_write.is_some() && r.cache_read.is_none() {
        return Err(Invalid::new(
            path.key("cache_write"),
            "`cache_write` is set without `cache_read`: a model with prompt caching bills cache reads",
        ));
    }
    if r.cache_write_1h.is_some() && r.cache_read.is_none() {
        return Err(Invalid::new(
            path.key("cache_write_1h"),
            "`cache_write_1h` is set without `cache_read`: a 1-hour cache write price needs prompt caching, and a model with prompt caching has a `cache_read` price",
        ));
    }
    Ok(())
}

fn no_per_request(per_request: bool, path: &KeyPath, what: &str) -> Result<(), Invalid> {
    if per_request {
        return Err(Invalid::new(
            path.clone(),
            format!(
                "a model priced per request has no {what}: its calls cost `per_request` whatever their tokens"
            ),
        ));
    }
    Ok(())
}

fn long_prompt(
    l: &format::LongPromptEntry,
    path: &KeyPath,
    per_request: bool,
) -> Result<LongPrompt, Invalid> {
    no_per_request(per_request, path, "long-prompt prices")?;
    let above = l.above.ok_or_else(|| {
        Invalid::new(
            path.key("above"),
            "missing: `above` is the prompt length, in tokens, beyond which the long-prompt prices apply (e.g. 200000)",
        )
    })?;
    if above == 0 || above > crate::units::MAX_CALL_TOKENS {
        return Err(Invalid::new(
            path.key("above"),
            format!(
                "{} tokens is not a prompt-length threshold: it must be from 1 to {} tokens",
                crate::numfmt::count(above as f64),
                crate::numfmt::count(crate::units::MAX_CALL_TOKENS as f64)
            ),
        ));
    }
    let rates = rates(
        l.input,
        l.output,
        [l.cache_read, l.cache_write, l.cache_write_1h],
        path,
    )?;
    Ok(LongPrompt { above, rates })
}

fn tiers(
    raw: Option<&BTreeMap<String, format::TierEntry>>,
    path: &KeyPath,
    per_request: bool,
) -> Result<BTreeMap<ServiceTier, TierPrice>, Invalid> {
    let mut out = BTreeMap::new();
    let Some(raw) = raw else { return Ok(out) };
    for (name, t) in raw {
        let at = path.key(name);
        no_per_request(per_request, &at, "service-tier prices")?;
        let tier = ServiceTier::other_than_standard(
            name,
            &at,
            "the Standard tier's prices are the model's own (`input`, `output`, …)",
        )?;
        let rates = rates(
            t.input,
            t.output,
            [t.cache_read, t.cache_write, t.cache_write_1h],
            &at,
        )?;
        let long_prompt = t
            .long_prompt
            .as_ref()
            .map(|l| long_prompt(l, &at.key("long_prompt"), false))
            .transpose()?;
        let ttft_ms = t
            .ttft_ms
            .as_ref()
            .map(|s| latency_spread(s, &at.key("ttft_ms"), LatencyKind::Ttft))
            .transpose()?;
        let output_tokens_per_s = t
            .output_tokens_per_s
            .as_ref()
            .map(|s| latency_spread(s, &at.key("output_tokens_per_s"), LatencyKind::Speed))
            .transpose()?;
        out.insert(
            tier,
            TierPrice {
                rates,
                long_prompt,
                ttft_ms,
                output_tokens_per_s,
                source: t.source.clone(),
            },
        );
    }
    Ok(out)
}

/// A profile's prefix: lowercase letters, digits and hyphens ("us", "global",
/// "us-gov").
fn profile_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 16
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The model through one inference profile: the profile's prices, the
/// model's other keys. Its key is the profile id, `<prefix>.<model key>`.
fn profile(
    base: &ModelPrice,
    name: &str,
    p: &format::ProfileEntry,
    path: &KeyPath,
) -> Result<ModelPrice, Invalid> {
    if !profile_name_ok(name) {
        return Err(Invalid::new(
            path.clone(),
            format!(
                "\"{name}\" is not an inference-profile prefix: write the prefix of the profile id, e.g. \"us\", \"eu\", \"apac\" or \"global\""
            ),
        ));
    }
    let per_request = price(p.per_request, &path.key("per_request"))?;
    if per_request.is_some() != base.per_request.is_some() {
        return Err(Invalid::new(
            path.key(if base.per_request.is_some() {
                "per_request"
            } else {
                "input"
            }),
            if base.per_request.is_some() {
                "missing: the model is priced per request, so its profile needs a `per_request` price"
            } else {
                "the model is priced per token, so its profile takes token prices, not `per_request`"
            },
        ));
    }
    let r = if per_request.is_some() {
        if p.input.is_some() || p.output.is_some() {
            return Err(Invalid::new(
                path.key("per_request"),
                "a model priced per request takes no token prices (`input`, `output`)",
            ));
        }
        Rates {
            input: 0.0,
            output: None,
            cache_read: None,
            cache_write: None,
            cache_write_1h: None,
        }
    } else {
        let r = rates(
            p.input,
            p.output,
            [p.cache_read, p.cache_write, p.cache_write_1h],
            path,
        )?;
        if base.output.is_some() && r.output.is_none() {
            return Err(Invalid::new(
                path.key("output"),
                "missing: the model has an `output` price, so its profile needs one too",
            ));
        }
        r
    };
    let batch_input = price(p.batch_input, &path.key("batch_input"))?;
    let batch_output = price(p.batch_output, &path.key("batch_output"))?;
    batch_pair(batch_input, batch_output, r.output.is_some(), path)?;
    let long = p
        .long_prompt
        .as_ref()
        .map(|l| long_prompt(l, &path.key("long_prompt"), per_request.is_some()))
        .transpose()?;
    Ok(ModelPrice {
        key: format!("{name}.{}", base.key),
        input: r.input,
        output: r.output,
        cache_read: r.cache_read,
        cache_write: r.cache_write,
        cache_write_1h: r.cache_write_1h,
        batch_input,
        batch_output,
        per_request,
        long_prompt: long,
        tiers: tiers(p.tiers.as_ref(), &path.key("tiers"), per_request.is_some())?,
        profiles: BTreeMap::new(),
        profile: Some(name.to_string()),
        source: p.source.clone().or_else(|| base.source.clone()),
        ..base.clone()
    })
}

/// Whether `d` is a date written YYYY-MM-DD (digits in place; the calendar is
/// not checked).
pub fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A date written YYYY-MM-DD.
fn check_date(d: &str, path: &KeyPath) -> Result<(), Invalid> {
    if is_date(d) {
        Ok(())
    } else {
        Err(Invalid::new(
            path.clone(),
            format!("\"{d}\" is not a date: write it YYYY-MM-DD, e.g. \"2027-04-08\""),
        ))
    }
}

/// An `output_burndown` (the pricing table's, or a `[quotas]` override): the
/// quota tokens one output token uses up, from 1 to 100.
pub fn burndown(b: f64, path: &KeyPath) -> Result<f64, Invalid> {
    if b.is_finite() && (1.0..=100.0).contains(&b) {
        return Ok(b);
    }
    Err(Invalid::new(
        path.clone(),
        format!(
            "{} is not a burndown rate: `output_burndown` is how many quota tokens one output token uses up, a number from 1 to 100 (1 for most models, 5 for recent Claude models)",
            readable(b)
        ),
    ))
}

/// What a latency spread measures, and the range its draws must stay in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyKind {
    /// Time to first token, ms.
    Ttft,
    /// Output speed, tokens per second.
    Speed,
}

impl LatencyKind {
    /// The range (low, high) that draws 6 standard deviations either side of
    /// the median must stay within, and the unit.
    fn bounds(self) -> (f64, f64, &'static str) {
        match self {
            // 1 µs to about 28 hours: what the latency histogram keeps apart.
            LatencyKind::Ttft => (MIN_LATENCY_MS, MAX_LATENCY_MS, "ms"),
            // A speed near 0 makes a call last forever (and a NaN latency).
            LatencyKind::Speed => (0.1, 1e7, "tokens/s"),
        }
    }
}

/// Standard deviations either side of the median that a latency draw may reach
/// in practice: a normal deviate beyond 6 has probability 1e-9.
const LATENCY_SIGMAS: f64 = 6.0;

/// A latency spread (time to first token or output speed): the median strictly
/// positive (a speed of 0 tokens/s never ends; a lognormal needs a positive
/// median), and a spread narrow enough that its draws stay finite and plausible:
/// `exp(mu ± 6·sigma)` within the kind's range. An absurd spread (say a p95 1e6
/// times the median) otherwise draws infinite times and NaN latencies.
pub fn latency_spread(
    raw: &crate::spec::NumOr<crate::spec::MedianP95>,
    path: &KeyPath,
    kind: LatencyKind,
) -> Result<Spread, Invalid> {
    let s = Spread::from_raw(raw, path, 0.0)?;
    let (median_at, p95_at) = match raw {
        crate::spec::NumOr::Num(_) => (path.clone(), path.clone()),
        crate::spec::NumOr::Table(_) => (path.key("median"), path.key("p95")),
    };
    if s.median <= 0.0 {
        return Err(Invalid::new(median_at, "must be greater than 0"));
    }
    let (lo, hi, unit) = kind.bounds();
    if s.median < lo || s.median > hi {
        return Err(Invalid::new(
            median_at,
            format!(
                "{} {unit} is not a plausible median: it must be between {} and {} {unit}",
                readable(s.median),
                readable(lo),
                readable(hi)
            ),
        ));
    }
    let mu = s.median.ln();
    let sigma = (s.p95 / s.median).ln() / crate::stats::Z95;
    let max_sigma = ((hi.ln() - mu).min(mu - lo.ln())) / LATENCY_SIGMAS;
    if sigma > max_sigma {
        let max_p95 = s.median * (max_sigma * crate::stats::Z95).exp();
        return Err(Invalid::new(
            p95_at,
            format!(
                "a p95 of {} {unit} over a median of {} {unit} is too wide a spread: one draw in a billion would fall outside {} to {} {unit}, the range simroute can simulate; with this median the p95 can be at most about {} {unit}",
                readable(s.p95),
                readable(s.median),
                readable(lo),
                readable(hi),
                readable(crate::numfmt::round_sig(max_p95, 3))
            ),
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claude_like() -> ModelPrice {
        ModelPrice {
            key: "sonnet".into(),
            input: 3.0,
            output: Some(15.0),
            cache_read: Some(0.3),
            cache_write: Some(3.75),
            cache_write_1h: Some(6.0),
            cache_min_tokens: 1024,
            output_burndown: 5.0,
            prefill_tokens_per_s: None,
            batch_input: Some(1.5),
            batch_output: Some(7.5),
            per_request: None,
            context_window: Some(200_000),
            max_output_tokens: Some(64_000),
            ttft_ms: None,
            output_tokens_per_s: None,
            source: None,
            long_prompt: None,
            tiers: BTreeMap::new(),
            profiles: BTreeMap::new(),
            profile: None,
            deprecation_date: None,
        }
    }

    #[test]
    fn interactive_cost_matches_hand_computation() {
        // 1000 uncached input × $3/M = $0.003; 500 output × $15/M = $0.0075;
        // 2000 cache read × $0.30/M = $0.0006; 1000 cache write × $3.75/M = $0.00375.
        let t = CallTokens {
            input: 1000,
            output: 500,
            cache_read: 2000,
            cache_write: 1000,
        };
        let c = claude_like().cost(&t, false).unwrap();
        assert_eq!(usd(c.input), 0.003);
        assert_eq!(usd(c.output), 0.0075);
        assert_eq!(usd(c.cache_read), 0.0006);
        assert_eq!(usd(c.cache_write), 0.00375);
        assert!((c.total_usd() - 0.01485).abs() < 1e-15);
    }

    #[test]
    fn nova_cache_writes_bill_at_input_and_no_cache_bills_at_input() {
        let mut nova = claude_like();
        nova.input = 0.035;
        nova.cache_read = Some(0.00875);
        nova.cache_write = None;
        let t = CallTokens {
            cache_write: 1_000_000,
            cache_read: 1_000_000,
            ..Default::default()
        };
        let c = nova.cost(&t, false).unwrap();
        assert_eq!(usd(c.cache_write), 0.035);
        assert_eq!(usd(c.cache_read), 0.00875);
        nova.cache_read = None;
        let c = nova.cost(&t, false).unwrap();
        assert_eq!(usd(c.cache_write), 0.035);
        assert_eq!(usd(c.cache_read), 0.035);
    }

    #[test]
    fn batch_bills_batch_prices_and_refuses_cache_tokens() {
        let t = CallTokens {
            input: 2_000_000,
            output: 1_000_000,
            ..Default::default()
        };
        let c = claude_like().cost(&t, true).unwrap();
        assert_eq!(c.total_usd(), 2.0 * 1.5 + 7.5);
        let cached = CallTokens { cache_read: 1, ..t };
        assert_eq!(
            claude_like().cost(&cached, true),
            Err(PriceError::BatchCache)
        );
        let mut no_batch = claude_like();
        no_batch.batch_input = None;
        no_batch.batch_output = None;
        assert!(matches!(
            no_batch.cost(&t, true),
            Err(PriceError::NoBatch(_))
        ));
    }

    /// A model entry parsed from `input = 3.0`, `output = 15.0` and `extra`.
    fn entry(extra: &str) -> format::ModelEntry {
        toml::from_str(&format!("input = 3.0\noutput = 15.0\n{extra}"))
            .expect("a well-formed model entry")
    }

    /// The finding of validating `entry(extra)` as `models.m`: its key path and
    /// message.
    fn finding(extra: &str) -> (String, String) {
        let path = KeyPath::root().key("models").key("m");
        let e = validate_model("m", &entry(extra), &path).expect_err("an invalid entry");
        (e.path.to_string(), e.message)
    }

    /// Asserts that `extra` is refused on `key`, with a message that names the
    /// key, holds every fragment and names no Rust type.
    fn refused(extra: &str, key: &str, fragments: &[&str]) {
        let (at, msg) = finding(extra);
        assert_eq!(at, format!("models.m.{key}"), "{extra}: {msg}");
        assert!(msg.contains(&format!("`{key}`")), "{extra}: {msg}");
        for f in fragments {
            assert!(msg.contains(f), "{extra}: {msg:?} lacks {f:?}");
        }
        for rust in ["f64", "u64", "Option", "None", "Some("] {
            assert!(!msg.contains(rust), "{extra}: {msg}");
        }
    }

    #[test]
    fn cache_write_1h_needs_cache_read() {
        refused(
            "cache_write_1h = 6.0",
            "cache_write_1h",
            &["without `cache_read`"],
        );
        let ok = validate_model(
            "m",
            &entry("cache_read = 0.3\ncache_write_1h = 6.0"),
            &KeyPath::root(),
        )
        .unwrap();
        assert_eq!(ok.cache_write_1h, Some(6.0));
    }

    #[test]
    fn output_burndown_must_be_from_1_to_100() {
        refused(
            "output_burndown = 0.5",
            "output_burndown",
            &["0.5", "1 to 100"],
        );
        refused("output_burndown = 0", "output_burndown", &["1 to 100"]);
        refused(
            "output_burndown = nan",
            "output_burndown",
            &["NaN", "1 to 100"],
        );
        refused(
            "output_burndown = inf",
            "output_burndown",
            &["inf", "1 to 100"],
        );
        refused(
            "output_burndown = 1e9",
            "output_burndown",
            &["1,000,000,000", "1 to 100"],
        );
        let ok = |b: &str| {
            validate_model("m", &entry(b), &KeyPath::root())
                .unwrap()
                .output_burndown
        };
        assert_eq!(ok(""), 1.0);
        assert_eq!(ok("output_burndown = 5"), 5.0);
        assert_eq!(ok("output_burndown = 100"), 100.0);
    }

    #[test]
    fn prefill_rate_must_be_positive_and_finite() {
        refused(
            "prefill_tokens_per_s = 0",
            "prefill_tokens_per_s",
            &["0 tokens/s", "1 to 1,000,000,000"],
        );
        refused(
            "prefill_tokens_per_s = nan",
            "prefill_tokens_per_s",
            &["NaN"],
        );
        refused(
            "prefill_tokens_per_s = 2e9",
            "prefill_tokens_per_s",
            &["2,000,000,000"],
        );
        let ok =
            validate_model("m", &entry("prefill_tokens_per_s = 8000"), &KeyPath::root()).unwrap();
        assert_eq!(ok.prefill_tokens_per_s, Some(8000.0));
    }

    #[test]
    fn cache_min_tokens_at_most_the_largest_prompt() {
        refused(
            "cache_min_tokens = 10000001",
            "cache_min_tokens",
            &["10,000,001 tokens", "10,000,000"],
        );
        let ok = |m: &str| {
            validate_model("m", &entry(m), &KeyPath::root())
                .unwrap()
                .cache_min_tokens
        };
        assert_eq!(ok(""), 0);
        assert_eq!(ok("cache_min_tokens = 10000000"), 10_000_000);
    }

    /// The shipped table parses, and its Claude Sonnet 4.5 entry carries the
    /// values its header sources: LiteLLM's 1-hour write price (6 = 2 × input,
    /// `cache_creation_input_token_cost_above_1hr` = 6e-06) and cache minimum
    /// (1,024), and Bedrock's 5x output burndown.
    #[test]
    fn shipped_table_has_the_time_keys() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pricing/bedrock-us-east-1.toml");
        let table = PriceTable::load(&path).expect("the shipped pricing table is valid");
        let sonnet = &table.models["anthropic.claude-sonnet-4-5-20250929-v1:0"];
        assert_eq!(sonnet.output_burndown, 5.0);
        assert_eq!(sonnet.cache_write_1h, Some(2.0 * sonnet.input));
        assert_eq!(sonnet.cache_write_1h, Some(6.0));
        assert_eq!(sonnet.cache_min_tokens, 1024);
        assert!(sonnet.prefill_tokens_per_s.is_some());
        // The models the overlay curates (those with a latency profile: the
        // ones the scenarios use); the rest are LiteLLM's entries as imported.
        for (key, m) in table.models.iter().filter(|(_, m)| m.ttft_ms.is_some()) {
            // Every 1-hour write price in the table is LiteLLM's, which is 2x input.
            if let Some(w) = m.cache_write_1h {
                assert_eq!(w, 2.0 * m.input, "{key}");
            }
            let claude = key.starts_with("anthropic.claude");
            assert_eq!(m.output_burndown, if claude { 5.0 } else { 1.0 }, "{key}");
            // The cache keys are set exactly for the models with prompt caching.
            assert_eq!(m.caches(), m.cache_min_tokens > 0, "{key}");
            assert_eq!(m.caches(), m.prefill_tokens_per_s.is_some(), "{key}");
        }
        let nova = &table.models["amazon.nova-micro-v1:0"];
        assert_eq!(nova.cache_write_1h, None);
        assert_eq!(nova.cache_min_tokens, 1000);
    }

    #[test]
    fn per_request_models_ignore_tokens() {
        let mut rerank = claude_like();
        rerank.per_request = Some(0.002);
        let t = CallTokens {
            input: 12345,
            ..Default::default()
        };
        assert_eq!(rerank.cost(&t, false).unwrap().total_usd(), 0.002);
    }

    /// A table holding one model with a long-prompt tier, a Priority tier and
    /// a `us` profile, as `pricing import` writes them.
    fn sonnet_table() -> PriceTable {
        let raw: format::PricingFile = toml::from_str(
            r#"
[meta]
region = "us-east-1"
currency = "USD"
unit = "per 1M tokens"
as_of = "2026-11-27"
source = "test"
[models.s]
input = 3.0
output = 15.0
cache_read = 0.3
cache_write = 3.75
cache_write_1h = 6.0
batch_input = 1.5
batch_output = 7.5
long_prompt = { above = 200000, input = 6.0, output = 22.5, cache_read = 0.6, cache_write = 7.5, cache_write_1h = 12.0 }
[models.s.tiers.priority]
input = 5.25
output = 26.25
cache_read = 0.525
[models.s.tiers.flex]
input = 1.5
output = 7.5
cache_read = 0.15
long_prompt = { above = 200000, input = 3.0, output = 11.25, cache_read = 0.3 }
[models.s.profiles.us]
input = 3.3
output = 16.5
cache_read = 0.33
cache_write = 4.125
long_prompt = { above = 200000, input = 6.6, output = 24.75 }
"#,
        )
        .unwrap();
        PriceTable::validate(&raw).unwrap()
    }

    #[test]
    fn a_long_prompt_bills_every_token_at_the_long_rates() {
        let t = sonnet_table();
        let s = &t.models["s"];
        // 150,000 input + 60,000 cache read = 210,000 > 200,000: every token at
        // the long rates. By hand: 150,000 × $6/M = $0.90; 60,000 × $0.60/M =
        // $0.036; 1,000 output × $22.50/M = $0.0225. Total $0.9585.
        let long = CallTokens {
            input: 150_000,
            output: 1_000,
            cache_read: 60_000,
            cache_write: 0,
        };
        let c = s.cost(&long, false).unwrap();
        assert_eq!(usd(c.input), 0.9);
        assert_eq!(usd(c.cache_read), 0.036);
        assert_eq!(usd(c.output), 0.0225);
        // Exactly at the threshold: the base rates (200,000 is not above it).
        let at = CallTokens {
            input: 140_000,
            ..long
        };
        let c = s.cost(&at, false).unwrap();
        assert_eq!(usd(c.input), 140_000.0 * 3.0 / 1e6);
        assert_eq!(usd(c.output), 0.015);
        // Batch has no long-prompt prices in the table: refused, not guessed.
        let batch = CallTokens {
            input: 210_000,
            output: 10,
            ..Default::default()
        };
        assert!(matches!(
            s.cost(&batch, true),
            Err(PriceError::NoLongPrompt(..))
        ));
    }

    #[test]
    fn tiers_price_at_their_rates_and_a_missing_tier_is_named() {
        let t = sonnet_table();
        let s = &t.models["s"];
        // 100,000 tokens of each kind: a tenth of each rate per 1M.
        let call = CallTokens {
            input: 100_000,
            output: 100_000,
            cache_read: 100_000,
            cache_write: 0,
        };
        let c = s.cost_in(&call, false, ServiceTier::Priority).unwrap();
        assert!((c.total_usd() - 0.1 * (5.25 + 26.25 + 0.525)).abs() < 1e-12);
        let c = s.cost_in(&call, false, ServiceTier::Flex).unwrap();
        assert!((c.total_usd() - 0.1 * (1.5 + 7.5 + 0.15)).abs() < 1e-12);
        // Priority lists no long-prompt prices while the model has some.
        let long = CallTokens {
            input: 250_000,
            ..Default::default()
        };
        let e = s.cost_in(&long, false, ServiceTier::Priority).unwrap_err();
        assert!(e.to_string().contains("250,000"), "{e}");
        assert!(e.to_string().contains("priority"), "{e}");
        let c = s.cost_in(&long, false, ServiceTier::Flex).unwrap();
        assert_eq!(c.total_usd(), 0.25 * 3.0);
        // A profile without tiers has none.
        let us = &s.profiles["us"];
        let e = us.cost_in(&call, false, ServiceTier::Flex).unwrap_err();
        assert!(e.to_string().contains("no flex tier"), "{e}");
    }

    #[test]
    fn a_profile_is_the_model_at_the_profiles_prices() {
        let t = sonnet_table();
        let s = &t.models["s"];
        let us = &s.profiles["us"];
        assert_eq!(us.key, "us.s");
        assert_eq!(us.profile.as_deref(), Some("us"));
        // Non-price keys are the model's; batch is not offered through it here.
        assert_eq!(us.output_burndown, s.output_burndown);
        assert_eq!(us.batch_input, None);
        let call = CallTokens {
            input: 100_000,
            output: 10_000,
            cache_read: 50_000,
            cache_write: 20_000,
        };
        let base = s.cost(&call, false).unwrap().total_usd();
        let prof = us.cost(&call, false).unwrap().total_usd();
        // $0.33 + $0.165 + $0.0165 + $0.0825 = $0.594, 1.1 × the base's $0.54.
        assert!((prof - 0.594).abs() < 1e-12, "{prof}");
        assert!((prof / base - 1.1).abs() < 1e-12);
    }

    #[test]
    fn bad_tier_and_profile_entries_name_their_key() {
        let (at, msg) = finding("tiers.standard = { input = 1.0 }");
        assert_eq!(at, "models.m.tiers.standard", "{msg}");
        assert!(msg.contains("model's own"), "{msg}");
        let (at, msg) = finding("tiers.turbo = { input = 1.0 }");
        assert_eq!(at, "models.m.tiers.turbo", "{msg}");
        assert!(msg.contains("\"priority\" and \"flex\""), "{msg}");
        let (at, msg) = finding("long_prompt = { input = 6.0 }");
        assert_eq!(at, "models.m.long_prompt.above", "{msg}");
        let (at, msg) = finding("profiles.us = { output = 1.0 }");
        assert_eq!(at, "models.m.profiles.us.input", "{msg}");
        let (at, msg) = finding("profiles.US = { input = 1.0, output = 2.0 }");
        assert_eq!(at, "models.m.profiles.US", "{msg}");
        let (at, msg) = finding("profiles.us = { input = -1.0, output = 2.0 }");
        assert_eq!(at, "models.m.profiles.us.input", "{msg}");
        let (at, msg) = finding("deprecation_date = \"soon\"");
        assert_eq!(at, "models.m.deprecation_date", "{msg}");
    }
}
