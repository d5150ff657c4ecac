//! Per-token price tables: reading, validating, and the cost of one call.
//!
//! A table is a TOML file (see `pricing/bedrock-us-east-1.toml` and
//! scenarios/README.md). It is validated once into [`PriceTable`]; the engine sees
//! only [`ModelPrice`], whose prices are integer femto-dollars per token so that
//! every call's cost is exact (see [`crate::units`]).

pub mod format;

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
}

impl ModelPrice {
    /// The cost of a call with these token counts, interactive (on demand) or batch.
    ///
    /// Interactive: `input × input + cache_read × cache_read + cache_write ×
    /// (cache_write, or input where the table has none) + output × output`. Cache
    /// tokens on a model without `cache_read` bill at `input`. Batch: all input at
    /// `batch_input`, output at `batch_output`; no cache.
    pub fn cost(&self, t: &CallTokens, batch: bool) -> Result<CallCost, PriceError> {
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
        let output = if t.output > 0 {
            let o = self
                .output
                .ok_or_else(|| PriceError::NoOutput(self.key.clone()))?;
            rate(o, t.output)
        } else {
            0
        };
        let (read, write) = match self.cache_read {
            Some(r) => (r, self.cache_write.unwrap_or(self.input)),
            None => (self.input, self.input),
        };
        Ok(CallCost {
            input: rate(self.input, t.input),
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
    if cache_write.is_some() && cache_read.is_none() {
        return Err(Invalid::new(
            path.key("cache_write"),
            "`cache_write` is set without `cache_read`: a model with prompt caching bills cache reads",
        ));
    }
    if cache_write_1h.is_some() && cache_read.is_none() {
        return Err(Invalid::new(
            path.key("cache_write_1h"),
            "`cache_write_1h` is set without `cache_read`: a 1-hour cache write price needs prompt caching, and a model with prompt caching has a `cache_read` price",
        ));
    }
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
    if batch_output.is_some() && batch_input.is_none() {
        return Err(Invalid::new(
            path.key("batch_input"),
            "missing: `batch_output` is set, so batch inference needs `batch_input` too",
        ));
    }
    if batch_input.is_some() && output.is_some() && batch_output.is_none() {
        return Err(Invalid::new(
            path.key("batch_output"),
            "missing: `batch_input` is set for a model with an `output` price, so batch inference needs `batch_output` too",
        ));
    }
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
    Ok(ModelPrice {
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
    })
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
        for (key, m) in &table.models {
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
}
