//! The scenario file format, as written by users. These key names are a contract:
//! keys are added, never renamed. Every key is documented in scenarios/README.md;
//! unknown keys are errors, so a misspelling is never silently ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::spec::{AlphaBeta, MedianP95, NumOr};

/// A whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub scenario: Header,
    pub models: BTreeMap<String, ModelEntry>,
    pub traffic: Vec<TrafficEntry>,
    pub policy: Vec<PolicyEntry>,
    /// What a policy must achieve to be recommended (used by `sweep`).
    pub targets: Option<TargetsEntry>,
    /// A measured eval set that gives quality and confidence instead of skills.
    pub eval: Option<EvalEntry>,
    /// Traffic over time: arrivals, a prompt cache with a TTL, quotas.
    pub load: Option<LoadEntry>,
    /// `[quotas."PRICING KEY"]`: a model's per-minute (and per-day) quotas.
    pub quotas: Option<BTreeMap<String, QuotaEntry>>,
    /// `[capacity."PRICING KEY"]`: throughput bought ahead (Reserved tier or
    /// Provisioned Throughput) for a model's on-demand calls.
    pub capacity: Option<BTreeMap<String, CapacityEntry>>,
}

/// `[load]`: requests arrive over time (a Poisson process) instead of standing
/// alone; the prompt cache and quotas become state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadEntry {
    /// Mean arrival rate, requests per second (default: `monthly_requests`
    /// over a 30-day month).
    pub requests_per_s: Option<f64>,
    /// Multiplies the arrival rate ("what if traffic triples?"); default 1.
    pub scale: Option<f64>,
    /// Simulated time per replication, e.g. "1d", "7d", "6h" (default "1d").
    pub duration: Option<String>,
    /// Simulated time before the measured period, not counted, so that caches
    /// and quota buckets start in their steady state (default "1h").
    pub warmup: Option<String>,
    /// Relative arrival rate by hour of day: 24 weights, mean-normalised
    /// (default flat).
    pub profile: Option<Vec<f64>>,
    /// How a throttled call is retried: "standard" (default), "legacy" or "off".
    pub retry: Option<String>,
    /// Attempts per call, the first included (default: 3 standard, 5 legacy).
    pub max_attempts: Option<u32>,
}

/// `[quotas."PRICING KEY"]`: one model's quotas.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaEntry {
    /// Requests per minute.
    pub rpm: Option<f64>,
    /// Quota tokens per minute (input + cache write + output × burndown).
    pub tpm: Option<f64>,
    /// Quota tokens per day.
    pub tpd: Option<f64>,
    /// Overrides the pricing table's `output_burndown`.
    pub output_burndown: Option<f64>,
}

/// `[capacity."PRICING KEY"]`: a commitment bought for one model. Which keys
/// apply depends on `kind`; the prices are the user's (neither is a public list
/// price).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityEntry {
    /// "reserved" (Reserved tier) or "provisioned" (Provisioned Throughput).
    pub kind: Option<String>,
    /// Reserved: input tokens per minute reserved (input + cache write tokens).
    pub reserved_tpm: Option<f64>,
    /// Reserved: output tokens per minute reserved.
    pub reserved_output_tpm: Option<f64>,
    /// Reserved: USD per month per 1,000 input tokens per minute.
    pub price_per_1k_tpm: Option<f64>,
    /// Reserved: USD per month per 1,000 output tokens per minute.
    pub price_per_1k_output_tpm: Option<f64>,
    /// Provisioned: model units bought (a whole number).
    pub model_units: Option<f64>,
    /// Provisioned: USD per model unit per hour, billed every hour of the month.
    pub price_per_unit_hour: Option<f64>,
    /// Provisioned: tokens per minute one unit serves (input + cache write +
    /// output).
    pub unit_tpm: Option<f64>,
    /// The commitment's term: "1 month" or "3 months" (reserved); "none",
    /// "1 month" or "6 months" (provisioned).
    pub term: Option<String>,
    /// What a call beyond the commitment does: "on_demand" (billed at the
    /// model's price, under its quotas) or "throttle".
    pub overflow: Option<String>,
}

/// `prompt_caching`: on or off (`true` is the 5-minute cache), or a TTL.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "a cache setting: true, false, \"5m\" or \"1h\"")]
pub enum CachingEntry {
    On(bool),
    Ttl(String),
}

/// `on_throttle`: what a call does once its attempts are spent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    untagged,
    expecting = "an action: \"fail\" or { fallback = \"MODEL\" }"
)]
pub enum OnThrottleEntry {
    Fail(String),
    Fallback(FallbackEntry),
}

/// `{ fallback = "MODEL" }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FallbackEntry {
    /// The scenario model that answers instead.
    pub fallback: String,
}

/// `prefix_popularity`: how requests pick one of a class's prefixes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    untagged,
    expecting = "a popularity law: \"uniform\" or { zipf = EXPONENT }"
)]
pub enum PopularityEntry {
    Named(String),
    Zipf(ZipfEntry),
}

/// `{ zipf = s }`: prefix k (from 1) is picked with probability ∝ 1/k^s.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZipfEntry {
    pub zipf: f64,
}

/// `[eval]`: the team's own eval results, a row per (example, model).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalEntry {
    /// The results file, relative to the scenario file: simroute's eval CSV or
    /// promptfoo's JSON output.
    pub file: String,
    /// "csv" or "promptfoo" (default: detected from the file).
    pub format: Option<String>,
    /// Score at or above which a row without `pass` counts as a pass, in [0, 1].
    pub pass_mark: Option<f64>,
}

/// How a logged traffic mix is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Replay {
    /// Draw `requests` records with replacement per replication.
    Bootstrap,
    /// Every logged request once, in log order, in every replication.
    Exact,
}

/// `[targets]`: the bar a policy must clear, with its CI: scenario-wide keys,
/// and a `[targets.CLASS]` table per traffic class with targets of its own.
///
/// Deserialized by hand: serde's `flatten` cannot deny unknown keys, and a
/// misspelled scenario-wide key (`qualty = 0.9`) must be an error that says so,
/// not a class table of the wrong type.
#[derive(Debug, Clone, Default)]
pub struct TargetsEntry {
    /// Minimum delivered quality, a fraction in [0, 1].
    pub quality: Option<f64>,
    /// Maximum p95 of interactive end-to-end latency, ms.
    pub p95_latency_ms: Option<f64>,
    /// `[targets.CLASS]`: one class's own targets, by class name, in file order.
    pub classes: Vec<(String, ClassTargetsEntry)>,
}

/// `[targets.CLASS]`: what one traffic class must achieve on its own.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassTargetsEntry {
    /// Minimum quality of the class's requests, a fraction in [0, 1].
    pub quality: Option<f64>,
    /// Maximum p95 of the class's end-to-end latency, ms (interactive only).
    pub p95_latency_ms: Option<f64>,
}

/// The keys of `[targets]` besides class tables.
const TARGET_KEYS: [&str; 2] = ["quality", "p95_latency_ms"];

impl<'de> Deserialize<'de> for TargetsEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = TargetsEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of targets")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<TargetsEntry, A::Error> {
                let mut t = TargetsEntry::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "quality" => t.quality = Some(map.next_value()?),
                        "p95_latency_ms" => t.p95_latency_ms = Some(map.next_value()?),
                        _ => {
                            let c = map.next_value_seed(ClassSeed(&key))?;
                            t.classes.push((key, c));
                        }
                    }
                }
                Ok(t)
            }
        }
        d.deserialize_map(V)
    }
}

/// A `[targets.CLASS]` table; any other value under an unknown key is a
/// misspelled scenario-wide key.
struct ClassSeed<'a>(&'a str);

impl<'de> serde::de::DeserializeSeed<'de> for ClassSeed<'_> {
    type Value = ClassTargetsEntry;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct V<'a>(&'a str);
        impl V<'_> {
            fn not_a_table<E: serde::de::Error>(&self) -> E {
                let near = crate::input::nearest(self.0, TARGET_KEYS);
                E::custom(format!(
                    "unknown key `{}`{}; the keys allowed here are `quality`, `p95_latency_ms`, and a traffic class's name as a table of its own targets ([targets.CLASS])",
                    self.0,
                    near.map_or(String::new(), |n| format!(" (did you mean `{n}`?)"))
                ))
            }
        }
        impl<'de> serde::de::Visitor<'de> for V<'_> {
            type Value = ClassTargetsEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "a table of the targets of class \"{}\"", self.0)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<ClassTargetsEntry, A::Error> {
                ClassTargetsEntry::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Err(self.not_a_table())
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Err(self.not_a_table())
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Err(self.not_a_table())
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Err(self.not_a_table())
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Err(self.not_a_table())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                _: A,
            ) -> Result<Self::Value, A::Error> {
                Err(self.not_a_table())
            }
        }
        d.deserialize_any(V(self.0))
    }
}

/// `[scenario]`: what to simulate and how much.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Name shown in reports.
    pub name: String,
    /// Free text shown in reports.
    pub description: Option<String>,
    /// Pricing table, relative to the scenario file.
    pub pricing: String,
    /// Simulated requests per replication; not with `[load]`, where the count
    /// follows from the arrival rate and the duration.
    pub requests: Option<u64>,
    /// Independent replications (at least 2), for confidence intervals.
    pub replications: u32,
    /// Seed of the random streams.
    pub seed: u64,
    /// Requests per month: scales per-request figures to a monthly bill.
    pub monthly_requests: f64,
    /// Policy that savings are measured against (default: the first policy).
    pub baseline: Option<String>,
    /// Steepness of the logistic quality curve (default 10).
    pub sharpness: Option<f64>,
    /// How logged traffic is replayed: "bootstrap" (default) or "exact".
    pub replay: Option<Replay>,
}

/// `[models.NAME]`: a model as this scenario uses it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// A key of the pricing table.
    pub price: String,
    /// Ability on the difficulty scale [0, 1]: a request of difficulty d is answered
    /// correctly with probability 1 / (1 + exp(-sharpness × (skill − d))).
    pub skill: Option<f64>,
    /// ROC AUC of the model's confidence as a predictor of its own correctness.
    pub confidence_auc: Option<f64>,
    /// Overrides the pricing table's time to first token, ms.
    pub ttft_ms: Option<NumOr<MedianP95>>,
    /// Overrides the pricing table's output speed, tokens/s.
    pub output_tokens_per_s: Option<NumOr<MedianP95>>,
    /// The cross-Region inference profile the model is called through ("us",
    /// "eu", "apac", "global", …; none: in-Region): priced at the profile's
    /// rates, with quotas of its own.
    pub profile: Option<String>,
    /// Latency in the Priority or Flex tier, overriding the pricing table's
    /// tier latency: `tiers.flex = { ttft_ms = …, output_tokens_per_s = … }`.
    pub tiers: Option<BTreeMap<String, TierLatencyEntry>>,
}

/// `[models.NAME.tiers.TIER]`: the model's latency in a service tier.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierLatencyEntry {
    /// Time to first token in the tier, ms: a number or `{ median, p95 }`.
    pub ttft_ms: Option<NumOr<MedianP95>>,
    /// Output speed in the tier, tokens/s: a number or `{ median, p95 }`.
    pub output_tokens_per_s: Option<NumOr<MedianP95>>,
}

/// Interactive (on-demand) or batch inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Interactive,
    Batch,
}

/// `[[traffic]]`: one class of requests.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficEntry {
    pub name: String,
    /// Share of all requests; shares sum to 1. With `log`, defaults to the
    /// class's share of the log's records.
    pub share: Option<f64>,
    /// Uncached input tokens per request: a number or `{ median, p95 }` (lognormal).
    /// Not with `log`.
    pub input_tokens: Option<NumOr<MedianP95>>,
    /// Output tokens per call: a number or `{ median, p95 }` (lognormal). Not with
    /// `log`.
    pub output_tokens: Option<NumOr<MedianP95>>,
    /// A log of real requests (Bedrock invocation log, CSV or JSONL; gzip or not),
    /// relative to the scenario file, whose token counts replace the
    /// distributions.
    pub log: Option<String>,
    /// Dotted path of the record field (or CSV column) holding the class, e.g.
    /// "requestMetadata.feature".
    pub class_field: Option<String>,
    /// Shared prompt prefix (system prompt, tools), tokens; default 0.
    pub cached_prefix_tokens: Option<f64>,
    /// Probability that the prefix is read from the prompt cache.
    pub cache_hit_rate: Option<f64>,
    /// Difficulty on [0, 1]: a number or `{ alpha, beta }` (Beta distribution).
    /// Not needed where the eval set has examples of the class.
    pub difficulty: Option<NumOr<AlphaBeta>>,
    /// "interactive" (default) or "batch".
    pub mode: Option<Mode>,
    /// Calls made for every request of the class whatever the policy (RAG).
    pub extra_calls: Option<Vec<ExtraCallEntry>>,
    /// Under `[load]`: distinct cacheable prefixes (a system prompt per
    /// tenant, say); default 1.
    pub prefixes: Option<u64>,
    /// Under `[load]`: how a request picks its prefix: "uniform" (default) or
    /// `{ zipf = s }`.
    pub prefix_popularity: Option<PopularityEntry>,
    /// The `max_tokens` a call sends: what Bedrock reserves against the
    /// token quota while it runs (default: the model's maximum output).
    pub max_tokens: Option<u64>,
}

/// One extra call of a traffic class (embedding, rerank).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraCallEntry {
    /// A scenario model name.
    pub model: String,
    /// Input tokens of the call: a number or `{ median, p95 }`.
    pub input_tokens: Option<NumOr<MedianP95>>,
    /// Output tokens of the call (0 for embeddings and rerank).
    pub output_tokens: Option<NumOr<MedianP95>>,
}

/// A number, or a list of numbers.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, expecting = "a number or a list of numbers")]
pub enum OneOrMany {
    One(f64),
    Many(Vec<f64>),
}

/// A class's entry of `by_class`: a model name, a list of them (a route), or a
/// table with the class's own route and escalation trigger.
#[derive(Debug, Clone)]
pub enum RouteEntry {
    One(String),
    Many(Vec<String>),
    Table(ClassEntry),
}

/// `by_class.CLASS = { route, threshold | validator | classifier }`: a class
/// routed its own way. A key left out is the policy's: `route` its default
/// route, the trigger its trigger.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassEntry {
    /// Models tried in order for this class.
    pub route: Option<Vec<String>>,
    /// Escalate when confidence < threshold: one for all tiers or one per tier.
    pub threshold: Option<OneOrMany>,
    /// Escalate on a validator's verdict.
    pub validator: Option<ValidatorEntry>,
    /// A pre-routing classifier.
    pub classifier: Option<ClassifierEntry>,
    /// The class's on-demand service tier under this policy: "priority",
    /// "standard" or "flex" (default: the policy's).
    pub service_tier: Option<String>,
}

/// What a `by_class` value may be, said to the user when it is none of them.
const ROUTE_ENTRY: &str = "a model name, a list of model names, or a table such as { route = [\"small\", \"large\"], threshold = 0.5 }";

impl<'de> Deserialize<'de> for RouteEntry {
    /// By the value's type, so that a mistake inside a list or a table is
    /// reported as itself (an untagged enum would only say that nothing matched).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RouteEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(ROUTE_ENTRY)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RouteEntry, E> {
                Ok(RouteEntry::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, a: A) -> Result<RouteEntry, A::Error> {
                Vec::deserialize(SeqAccessDeserializer::new(a)).map(RouteEntry::Many)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, a: A) -> Result<RouteEntry, A::Error> {
                ClassEntry::deserialize(MapAccessDeserializer::new(a)).map(RouteEntry::Table)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `validator = { catches, false_alarm }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorEntry {
    /// Probability that a wrong answer is caught and escalated.
    pub catches: f64,
    /// Probability that a right answer is escalated anyway.
    pub false_alarm: f64,
}

/// `classifier = { model, auc, threshold, input_tokens, output_tokens }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifierEntry {
    /// The scenario model that runs the classifier.
    pub model: String,
    /// ROC AUC of its score as a predictor of the first tier's correctness.
    pub auc: f64,
    /// Score at or above which a request goes to the first tier.
    pub threshold: f64,
    /// Input tokens of the classifier call.
    pub input_tokens: NumOr<MedianP95>,
    /// Output tokens of the classifier call.
    pub output_tokens: NumOr<MedianP95>,
}

/// `[[policy]]`: how requests are routed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyEntry {
    pub name: String,
    /// Models tried in order; the default route for classes not in `by_class`.
    pub route: Option<Vec<String>>,
    /// Escalate when confidence < threshold: one for all tiers or one per tier.
    pub threshold: Option<OneOrMany>,
    /// Escalate on a validator's verdict instead of confidence.
    pub validator: Option<ValidatorEntry>,
    /// A pre-routing classifier instead of confidence.
    pub classifier: Option<ClassifierEntry>,
    /// A route per traffic class: a model, a list, or a table with the class's
    /// own route and trigger.
    pub by_class: Option<BTreeMap<String, RouteEntry>>,
    /// Traffic classes this policy sends through batch inference.
    pub batch_classes: Option<Vec<String>>,
    /// Prompt caching: `true` (default; the 5-minute cache), `false`, or a
    /// TTL, "5m" or "1h".
    pub prompt_caching: Option<CachingEntry>,
    /// Under `[load]`: what a call throttled on every attempt does: "fail"
    /// (default) or `{ fallback = "MODEL" }`.
    pub on_throttle: Option<OnThrottleEntry>,
    /// The on-demand service tier of the policy's calls: "priority",
    /// "standard" (default) or "flex".
    pub service_tier: Option<String>,
}
