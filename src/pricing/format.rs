//! The pricing table's file format, as written by users. Every key is documented
//! in scenarios/README.md; unknown keys are errors.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::spec::{MedianP95, NumOr};

/// A whole pricing file: `[meta]` and one `[models."<key>"]` table per model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingFile {
    pub meta: Meta,
    pub models: BTreeMap<String, ModelEntry>,
}

/// Where and when the prices hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// AWS region the prices are for, e.g. "us-east-1".
    pub region: String,
    /// Must be "USD".
    pub currency: String,
    /// Must be "per 1M tokens".
    pub unit: String,
    /// Date the prices were taken, e.g. "2026-11-01".
    pub as_of: String,
    /// Where the prices came from.
    pub source: String,
    /// The LiteLLM version the table was imported from (`pricing import`).
    pub litellm_version: Option<String>,
    /// SHA-256 of the LiteLLM price file the table was imported from.
    pub litellm_sha256: Option<String>,
}

/// One model's prices and defaults, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// USD per 1M uncached input tokens.
    pub input: Option<f64>,
    /// USD per 1M output tokens (absent for embeddings).
    pub output: Option<f64>,
    /// USD per 1M input tokens read from the prompt cache.
    pub cache_read: Option<f64>,
    /// USD per 1M input tokens written to the prompt cache.
    pub cache_write: Option<f64>,
    /// USD per 1M input tokens written to the prompt cache with a 1-hour TTL
    /// (`cache_write` is the 5-minute write).
    pub cache_write_1h: Option<f64>,
    /// Fewest prefix tokens the model caches: a shorter prefix is never cached.
    pub cache_min_tokens: Option<u64>,
    /// Quota tokens one output token takes (5 for recent Claude models, 1 by
    /// default): a quota figure, not a price.
    pub output_burndown: Option<f64>,
    /// Prompt tokens processed per second before the first output token (an
    /// estimate, like the latency figures): a cache hit saves its prefix's share.
    pub prefill_tokens_per_s: Option<f64>,
    /// USD per 1M input tokens through batch inference.
    pub batch_input: Option<f64>,
    /// USD per 1M output tokens through batch inference.
    pub batch_output: Option<f64>,
    /// Tokens the model can read at once (LiteLLM's `max_input_tokens`, the
    /// prompt limit, in an imported table). Informational: not checked.
    pub context_window: Option<u64>,
    /// Most output tokens of one call.
    pub max_output_tokens: Option<u64>,
    /// Time to first token, ms: a number or `{ median, p95 }`.
    pub ttft_ms: Option<NumOr<MedianP95>>,
    /// Output speed, tokens per second: a number or `{ median, p95 }`.
    pub output_tokens_per_s: Option<NumOr<MedianP95>>,
    /// USD per call, for models priced per query (rerank).
    pub per_request: Option<f64>,
    /// Where this model's prices came from.
    pub source: Option<String>,
    /// Prices of a prompt longer than a threshold: every token of such a
    /// request bills at these rates (e.g. Claude Sonnet 4.5 above 200K tokens).
    pub long_prompt: Option<LongPromptEntry>,
    /// Prices of the on-demand service tiers other than Standard, by name
    /// ("priority", "flex"); the model's own prices are the Standard tier's.
    pub tiers: Option<BTreeMap<String, TierEntry>>,
    /// Prices through a cross-Region inference profile, by the profile's
    /// prefix ("us", "eu", "apac", "global", …): the profile id is
    /// `<prefix>.<model key>`. Non-price keys (context window, latency,
    /// cache minimum, burndown) are the model's.
    pub profiles: Option<BTreeMap<String, ProfileEntry>>,
    /// The date AWS retires the model (YYYY-MM-DD), where known.
    pub deprecation_date: Option<String>,
}

/// Prices of a prompt above `above` tokens (input + cache read + cache write).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongPromptEntry {
    /// The threshold, tokens: a prompt of more tokens than this reprices the
    /// whole request.
    pub above: Option<u64>,
    /// USD per 1M uncached input tokens.
    pub input: Option<f64>,
    /// USD per 1M output tokens.
    pub output: Option<f64>,
    /// USD per 1M cache-read tokens.
    pub cache_read: Option<f64>,
    /// USD per 1M cache-write tokens (5-minute TTL).
    pub cache_write: Option<f64>,
    /// USD per 1M cache-write tokens with a 1-hour TTL.
    pub cache_write_1h: Option<f64>,
}

/// A service tier's prices (and, optionally, its latency profile).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierEntry {
    /// USD per 1M uncached input tokens.
    pub input: Option<f64>,
    /// USD per 1M output tokens.
    pub output: Option<f64>,
    /// USD per 1M cache-read tokens.
    pub cache_read: Option<f64>,
    /// USD per 1M cache-write tokens (5-minute TTL).
    pub cache_write: Option<f64>,
    /// USD per 1M cache-write tokens with a 1-hour TTL.
    pub cache_write_1h: Option<f64>,
    /// Long-prompt prices in this tier.
    pub long_prompt: Option<LongPromptEntry>,
    /// Time to first token in this tier, ms: a number or `{ median, p95 }`.
    pub ttft_ms: Option<NumOr<MedianP95>>,
    /// Output speed in this tier, tokens per second.
    pub output_tokens_per_s: Option<NumOr<MedianP95>>,
    /// Where the tier's prices came from.
    pub source: Option<String>,
}

/// Prices through one inference profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileEntry {
    /// USD per 1M uncached input tokens.
    pub input: Option<f64>,
    /// USD per 1M output tokens.
    pub output: Option<f64>,
    /// USD per 1M cache-read tokens.
    pub cache_read: Option<f64>,
    /// USD per 1M cache-write tokens (5-minute TTL).
    pub cache_write: Option<f64>,
    /// USD per 1M cache-write tokens with a 1-hour TTL.
    pub cache_write_1h: Option<f64>,
    /// USD per 1M input tokens through batch inference.
    pub batch_input: Option<f64>,
    /// USD per 1M output tokens through batch inference.
    pub batch_output: Option<f64>,
    /// USD per call, for models priced per query.
    pub per_request: Option<f64>,
    /// Long-prompt prices through this profile.
    pub long_prompt: Option<LongPromptEntry>,
    /// Service-tier prices through this profile.
    pub tiers: Option<BTreeMap<String, TierEntry>>,
    /// Where the profile's prices came from.
    pub source: Option<String>,
}
