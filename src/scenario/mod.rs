//! Scenarios: what traffic, which models, which routing policies.
//!
//! [`format`] is the file as written; [`validate`] turns it, with its pricing
//! table, into a [`Scenario`]: plain typed data, every name resolved to an index,
//! every number checked. The engine sees only this.

pub mod billing;
pub mod capacity;
pub mod format;
pub mod load;
pub mod measured;
pub mod validate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use format::Replay;
pub use measured::{LoadOptions, Measured};

use crate::input::{InputError, TomlFile};
use crate::pricing::{ModelPrice, PriceTable};
use crate::spec::Spread;
use crate::units::{Tokens, Usd};

/// Index into [`Scenario::models`].
pub type ModelId = usize;

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    /// The scenario file.
    pub path: PathBuf,
    /// The pricing file, resolved against the scenario's folder.
    pub pricing_path: PathBuf,
    pub pricing: crate::pricing::Meta,
    /// Simulated requests per replication.
    pub requests: u64,
    /// Independent replications (≥ 2).
    pub replications: u32,
    pub seed: u64,
    /// Requests per month, to scale per-request cost to a monthly bill.
    pub monthly_requests: f64,
    /// Steepness of the logistic quality curve.
    pub sharpness: f64,
    /// Index of the baseline policy.
    pub baseline: usize,
    pub models: Vec<Model>,
    pub classes: Vec<TrafficClass>,
    pub policies: Vec<Policy>,
    pub targets: Targets,
    /// How logged traffic is replayed.
    pub replay: Replay,
    /// The logs and eval set read for this scenario (shared by a sweep's variants).
    pub measured: Arc<Measured>,
    /// The eval set's outcomes by class, where the scenario has one.
    pub eval: Option<EvalSet>,
    /// The inputs given as ranges, drawn once per replication (second-order
    /// Monte Carlo, [`crate::uncertain`]); `None` where every input is a number.
    pub uncertainty: Option<Arc<crate::uncertain::Uncertainty>>,
    /// Traffic over time (`[load]`); `None`: every request stands alone.
    pub load: Option<load::Load>,
}

/// An eval set arranged for the engine.
#[derive(Debug, Clone)]
pub struct EvalSet {
    /// By traffic class index; a class without examples has none.
    pub classes: Vec<EvalClass>,
}

/// One class's eval examples.
#[derive(Debug, Clone, Default)]
pub struct EvalClass {
    /// Example ids, in file order.
    pub ids: Vec<String>,
    /// `outcomes[example][model]`: the model's result on the example, where it has
    /// a row.
    pub outcomes: Vec<Vec<Option<EvalOutcome>>>,
}

/// One model's measured result on one example.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalOutcome {
    pub pass: bool,
    /// Its confidence in [0, 1], where it gave one.
    pub confidence: Option<f64>,
}

/// `[targets]`, validated; `None` where not set.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Targets {
    /// Minimum delivered quality, a fraction.
    pub quality: Option<f64>,
    /// Maximum p95 of interactive end-to-end latency, ms.
    pub p95_latency_ms: Option<f64>,
    /// `[targets.CLASS]`: classes with targets of their own, in `[[traffic]]`
    /// order.
    pub classes: Vec<ClassTargets>,
}

/// One class's own targets (`[targets.CLASS]`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClassTargets {
    /// The class's name.
    pub class: String,
    /// Index into [`Scenario::classes`].
    #[serde(skip)]
    pub index: usize,
    /// Minimum quality of the class's requests, a fraction.
    pub quality: Option<f64>,
    /// Maximum p95 of the class's end-to-end latency, ms.
    pub p95_latency_ms: Option<f64>,
}

impl Targets {
    /// No target at all, scenario-wide or per class.
    pub fn is_empty(&self) -> bool {
        self.quality.is_none() && self.p95_latency_ms.is_none() && self.classes.is_empty()
    }

    /// The targets in words, for headers: `quality >= 96.0%, interactive p95
    /// <= 7,000 ms; chat: p95 <= 6,000 ms`.
    pub fn describe(&self) -> String {
        let q = |v: f64| format!("quality >= {:.1}%", v * 100.0);
        let l = |v: f64, what: &str| format!("{what}p95 <= {} ms", crate::numfmt::count(v));
        let mut parts: Vec<String> = Vec::new();
        let mut wide = Vec::new();
        wide.extend(self.quality.map(q));
        wide.extend(self.p95_latency_ms.map(|v| l(v, "interactive ")));
        if !wide.is_empty() {
            parts.push(wide.join(", "));
        }
        for c in &self.classes {
            let mut own = Vec::new();
            own.extend(c.quality.map(q));
            own.extend(c.p95_latency_ms.map(|v| l(v, "")));
            parts.push(format!("{}: {}", c.class, own.join(", ")));
        }
        parts.join("; ")
    }
}

/// A model as the scenario uses it.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub price: ModelPrice,
    /// Ability on the difficulty scale; `None` for models outside routes.
    pub skill: Option<f64>,
    /// ROC AUC of its confidence; `None` where no confidence is needed.
    pub confidence_auc: Option<f64>,
    /// Time to first token, ms (scenario override, else the pricing table's).
    pub ttft_ms: Option<Spread>,
    /// Output speed, tokens/s.
    pub output_tokens_per_s: Option<Spread>,
    /// Time to first token and output speed in a service tier where they
    /// differ from the model's (the scenario's `tiers`, else the table's).
    pub tier_latency: std::collections::BTreeMap<crate::pricing::ServiceTier, TierLatency>,
}

/// A model's latency in one service tier; `None`: the model's own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TierLatency {
    pub ttft_ms: Option<Spread>,
    pub output_tokens_per_s: Option<Spread>,
}

/// A token count: fixed, or lognormal from its median and p95.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TokenDist {
    Fixed(Tokens),
    LogNormal(Spread),
}

/// Difficulty on [0, 1]: fixed, or Beta(alpha, beta).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Difficulty {
    Fixed(f64),
    Beta { alpha: f64, beta: f64 },
}

/// Where a class's token counts come from.
#[derive(Debug, Clone, PartialEq)]
pub enum ClassTokens {
    /// Drawn from distributions.
    Synthetic(SyntheticTokens),
    /// Drawn from (or replayed from) a log's records: `Measured::logs[log]`,
    /// the records of this class.
    Logged { log: usize },
}

/// Token counts of a class, from distributions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticTokens {
    /// Uncached input tokens of a call.
    pub input_tokens: TokenDist,
    /// Output tokens of a call.
    pub output_tokens: TokenDist,
    /// Shared prefix tokens, cacheable.
    pub cached_prefix_tokens: Tokens,
    /// Probability that the prefix is a cache hit.
    pub cache_hit_rate: f64,
}

/// One class of requests.
#[derive(Debug, Clone)]
pub struct TrafficClass {
    pub name: String,
    /// Share of all requests.
    pub share: f64,
    pub tokens: ClassTokens,
    /// Difficulty; `None` where the eval set's examples give quality.
    pub difficulty: Option<Difficulty>,
    /// Whether the class runs on batch inference for every policy.
    pub batch: bool,
    pub extra_calls: Vec<ExtraCall>,
    /// Under `[load]`: the class's distinct cacheable prefixes and how a
    /// request picks one.
    pub prefixes: load::Prefixes,
    /// The `max_tokens` of the class's calls; `None`: the model's maximum
    /// output (what Bedrock assumes).
    pub max_tokens: Option<Tokens>,
}

/// An extra call (embedding, rerank) made for every request of a class.
#[derive(Debug, Clone)]
pub struct ExtraCall {
    pub model: ModelId,
    pub input_tokens: TokenDist,
    pub output_tokens: TokenDist,
}

/// What makes a cascade move to the next tier.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// Single-tier routes only: nothing escalates.
    None,
    /// Escalate from tier i when its confidence < `thresholds[i]`.
    Confidence { thresholds: Vec<f64> },
    /// Escalate a wrong answer with probability `catches`, a right one with
    /// probability `false_alarm`.
    Validator { catches: f64, false_alarm: f64 },
    /// One paid call decides: first tier if score ≥ threshold, else the last.
    Classifier(Classifier),
}

/// A pre-routing classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    pub model: ModelId,
    pub auc: f64,
    pub threshold: f64,
    pub input_tokens: TokenDist,
    pub output_tokens: TokenDist,
}

/// A routing policy, resolved per traffic class.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    /// The route (models in order) of each traffic class, by class index.
    pub routes: Vec<Vec<ModelId>>,
    /// What makes each class's cascade escalate, by class index: the class's own
    /// trigger (`by_class`), else the policy's; `None` for a one-tier route.
    pub triggers: Vec<Trigger>,
    /// Whether each class runs on batch inference under this policy.
    pub batch: Vec<bool>,
    /// Whether prompt caching is used.
    pub prompt_caching: bool,
    /// The cache's TTL where `prompt_caching`: 5 minutes, or 1 hour (writes
    /// bill at `cache_write_1h`).
    pub cache_ttl: load::CacheTtl,
    /// Under `[load]`: the model that answers a call throttled on every
    /// attempt; `None`: the request fails.
    pub fallback: Option<ModelId>,
    /// The service tier of each class's on-demand calls, by class index
    /// (batch calls have none).
    pub tiers: Vec<crate::pricing::ServiceTier>,
}

impl Policy {
    /// Whether the policy calls model `m` on demand: in the route of a class
    /// it does not send to batch, or as its `on_throttle` fallback. Those are
    /// the calls traffic over time throttles and caches.
    pub fn calls_on_demand(&self, m: ModelId) -> bool {
        self.fallback == Some(m)
            || self
                .routes
                .iter()
                .zip(&self.batch)
                .any(|(r, &b)| !b && r.contains(&m))
    }
}

impl Scenario {
    /// Reads a scenario and its pricing table, and validates both.
    pub fn load(path: &Path) -> Result<Scenario, InputError> {
        Self::load_with(path, &LoadOptions::default())
    }

    /// Reads a scenario, its pricing table and the logs and eval set it names,
    /// and validates them.
    pub fn load_with(path: &Path, options: &LoadOptions) -> Result<Scenario, InputError> {
        crate::uncertain::load(path, options)
    }

    /// Builds a scenario from documents already in memory (a sweep's variants of
    /// the files): the same checks as [`Scenario::load`], with findings named by
    /// key, without a line.
    pub fn from_tables(
        path: &Path,
        scenario: toml::Table,
        pricing_path: &Path,
        pricing: toml::Table,
        measured: Arc<Measured>,
    ) -> Result<Scenario, String> {
        let pricing: crate::pricing::format::PricingFile =
            pricing.try_into().map_err(|e: toml::de::Error| {
                format!(
                    "{}: {}",
                    pricing_path.display(),
                    crate::input::explain_serde(e.message(), None)
                )
            })?;
        let table = PriceTable::validate(&pricing)
            .map_err(|e| format!("{}: {}: {}", pricing_path.display(), e.path, e.message))?;
        let mut raw: format::ScenarioFile = scenario
            .try_into()
            .map_err(|e: toml::de::Error| crate::input::explain_serde(e.message(), None))?;
        measured::apply_overrides(&mut raw, &measured.options);
        validate::validate(&raw, &table, path, pricing_path, measured)
            .map_err(|e| format!("{}: {}", e.path, e.message))
    }

    /// The files this scenario was read from: itself, its pricing table, its logs
    /// and eval set. Outputs must never overwrite one of them.
    pub fn input_files(&self) -> Vec<PathBuf> {
        let mut v = vec![self.path.clone(), self.pricing_path.clone()];
        v.extend(self.measured.logs.iter().map(|l| l.path.clone()));
        v.extend(self.measured.eval.iter().map(|e| e.path.clone()));
        v
    }

    /// Monthly cost for a per-request cost.
    pub fn monthly(&self, per_request: Usd) -> Usd {
        per_request * self.monthly_requests
    }

    /// How this scenario's replications become intervals: the eval bootstrap's
    /// where an eval set is resampled in each replication (crate::stats).
    pub fn interval(&self) -> crate::stats::Interval {
        if self.uncertainty.is_some() {
            crate::stats::Interval::Percentile
        } else if self.eval.is_some() {
            crate::stats::Interval::Bootstrap
        } else {
            crate::stats::Interval::Replications
        }
    }

    /// Whether any policy uses the validator trigger, for any class.
    pub fn uses_validator(&self) -> bool {
        self.policies
            .iter()
            .flat_map(|p| &p.triggers)
            .any(|t| matches!(t, Trigger::Validator { .. }))
    }

    /// Whether any policy uses a classifier, for any class.
    pub fn uses_classifier(&self) -> bool {
        self.policies
            .iter()
            .flat_map(|p| &p.triggers)
            .any(|t| matches!(t, Trigger::Classifier(_)))
    }
}

/// Validates a scenario file already read (its ranges, if any, at their
/// midpoints) against its pricing table, reading the logs and eval set it names.
pub(crate) fn load_parsed(
    mut file: TomlFile<format::ScenarioFile>,
    path: &Path,
    pricing_path: &Path,
    table: PriceTable,
    options: &LoadOptions,
) -> Result<Scenario, InputError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    measured::apply_overrides(&mut file.value, options);
    validate::before_reading(&file.value).map_err(|e| file.error(e))?;
    let data = match measured::load(&file.value, dir, &table, options) {
        Ok(m) => Arc::new(m),
        Err(measured::LoadError::Scenario(e)) => return Err(file.error(e)),
        Err(measured::LoadError::Data(e)) => return Err(e),
    };
    validate::validate(&file.value, &table, path, pricing_path, data).map_err(|e| file.error(e))
}
