//! Synthetic logs drawn from a scenario's traffic: what `simroute generate-log`
//! writes.
//!
//! Why: tests and benchmarks of the log readers need logs of known content and
//! any size, and a team can see what `fit` and log replay do before its own
//! logs are at hand. Records are drawn as the engine draws requests (see
//! [`crate::engine`]): the class by share; uncached input and output tokens from
//! the class's distributions ([`TokenSampler`], input at least 0, output at least
//! 1, capped at the model's `max_output_tokens`); the cached prefix as a cache
//! read with probability `cache_hit_rate`, else a cache write, where the prefix
//! is > 0, the policy uses prompt caching, the class is not batch under it and
//! the model has prompt caching — otherwise the prefix is part of the input
//! count; the latency as `ttft + 1000 × output / output_tokens_per_s` from the
//! model's lognormal profiles. The model is the first of the policy's route for
//! the class.
//!
//! Bedrock records look like the Converse records Bedrock logs, with short
//! placeholder bodies; timestamps advance at the scenario's `monthly_requests`
//! rate (30-day months) from 2026-01-01T00:00:00Z. Output is deterministic for a
//! seed: Xoshiro256++ like the engine, one stream.

use std::io::{BufWriter, Write};

use rand::{Rng, RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as Rng64;

use crate::engine::sampling::{LogNormal, TokenSampler, normal};
use crate::input::{UsageError, did_you_mean};
use crate::scenario::measured::ClassRecords;
use crate::scenario::{ClassTokens, Scenario};

use super::time;

/// The first timestamp: 2026-01-01T00:00:00Z, ms since the epoch.
pub const START_MS: i64 = 1_767_225_600_000;
/// 9999-12-31T23:59:59.999Z: the last timestamp an ISO-8601 date can hold.
const LAST_MS: i64 = 253_402_300_799_999;

/// Milliseconds between records at the scenario's monthly rate (a 30-day
/// month); `monthly_requests` > 0 ([`Generator::new`] checks it).
fn step_ms(s: &Scenario) -> f64 {
    30.0 * 86_400_000.0 / s.monthly_requests
}

/// The account id written in Bedrock records (AWS's documentation example).
pub const ACCOUNT_ID: &str = "123456789012";

/// The `requestMetadata` key that holds the class: read it back with
/// `--class-field requestMetadata.feature`.
pub const CLASS_KEY: &str = "feature";

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GenFormat {
    /// Bedrock model invocation log records (JSON Lines).
    Bedrock,
    /// Plain CSV: class, model, token counts, latency_ms, timestamp.
    Csv,
}

/// How to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenerateOptions {
    /// Records to write.
    pub records: u64,
    /// Seed of the random stream.
    pub seed: u64,
    /// Index of the policy whose routes pick each class's model.
    pub policy: usize,
    /// Output format.
    pub format: GenFormat,
}

/// The index of the policy named `name`, or the scenario's baseline.
pub fn policy_index(s: &Scenario, name: Option<&str>) -> Result<usize, UsageError> {
    let Some(name) = name else {
        return Ok(s.baseline);
    };
    s.policies
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = s.policies.iter().map(|p| p.name.as_str()).collect();
            UsageError(format!(
                "--policy {name}: no such policy in {}{}; its policies are {}",
                s.path.display(),
                did_you_mean(name, names.iter().copied()),
                names.join(", ")
            ))
        })
}

/// Where a class's token counts come from.
enum Tokens {
    /// Distributions, drawn as the engine draws them.
    Drawn {
        input: TokenSampler,
        output: TokenSampler,
        prefix: u64,
        hit_rate: f64,
    },
    /// A log's records (or an aggregate's cells), drawn with replacement
    /// (bootstrap) as the engine draws them.
    Logged(ClassRecords),
}

struct Class {
    name: String,
    tokens: Tokens,
    /// Whether cached tokens are billed through the prompt cache (else they
    /// are part of the input count).
    cached: bool,
    model: usize,
}

struct Model {
    key: String,
    ttft: Option<LogNormal>,
    tps: Option<LogNormal>,
    max_output: u64,
}

/// One drawn call.
struct Call {
    class: usize,
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
    latency_ms: Option<u64>,
}

struct Drawer {
    cdf: Vec<f64>,
    classes: Vec<Class>,
    models: Vec<Model>,
}

impl Drawer {
    fn new(s: &Scenario, policy: usize) -> Result<Drawer, UsageError> {
        let p = &s.policies[policy];
        let cdf = crate::engine::class_cdf(s);
        let models = s
            .models
            .iter()
            .map(|m| Model {
                key: m.price.key.clone(),
                ttft: m.ttft_ms.map(LogNormal::from_spread),
                tps: m.output_tokens_per_s.map(LogNormal::from_spread),
                max_output: m.price.max_output_tokens.unwrap_or(u64::MAX),
            })
            .collect();
        let mut classes = Vec::with_capacity(s.classes.len());
        for (i, c) in s.classes.iter().enumerate() {
            let model = p.routes[i][0];
            let caching = p.prompt_caching && !p.batch[i] && s.models[model].price.caches();
            let (tokens, cached) = match &c.tokens {
                ClassTokens::Synthetic(t) => (
                    Tokens::Drawn {
                        input: TokenSampler::capped(
                            t.input_tokens,
                            crate::units::MAX_CALL_TOKENS - t.cached_prefix_tokens,
                        ),
                        output: TokenSampler::new(t.output_tokens),
                        prefix: t.cached_prefix_tokens,
                        hit_rate: t.cache_hit_rate,
                    },
                    caching && t.cached_prefix_tokens > 0,
                ),
                ClassTokens::Logged { log } => {
                    let records = s.measured.logs[*log]
                        .classes
                        .get(&c.name)
                        .cloned()
                        .unwrap_or_default();
                    if records.is_empty() {
                        return Err(UsageError(format!(
                            "traffic class `{}` replays its log exactly (replay = \"exact\"), which keeps no records in memory: generate-log needs replay = \"bootstrap\" to draw from it",
                            c.name
                        )));
                    }
                    (Tokens::Logged(records), caching)
                }
            };
            classes.push(Class {
                name: c.name.clone(),
                tokens,
                cached,
                model,
            });
        }
        Ok(Drawer {
            cdf,
            classes,
            models,
        })
    }

    fn draw(&self, rng: &mut Rng64) -> Call {
        let u: f64 = rng.random();
        let ci = self.cdf.iter().position(|&b| u < b).unwrap_or(0);
        let c = &self.classes[ci];
        let m = &self.models[c.model];
        let (input, output, cache_read, cache_write) = match &c.tokens {
            Tokens::Drawn {
                input,
                output,
                prefix,
                hit_rate,
            } => {
                let input = input.sample(rng, 0);
                let output = output.sample(rng, 1);
                let hit = *prefix > 0 && rng.random::<f64>() < *hit_rate;
                match hit {
                    true => (input, output, *prefix, 0),
                    false => (input, output, 0, *prefix),
                }
            }
            Tokens::Logged(records) => {
                let r = records.draw(rng);
                (
                    r.input as u64,
                    r.output as u64,
                    r.cache_read as u64,
                    r.cache_write as u64,
                )
            }
        };
        let output = output.min(m.max_output);
        let (input, cache_read, cache_write) = if c.cached {
            (input, cache_read, cache_write)
        } else {
            (input + cache_read + cache_write, 0, 0)
        };
        let latency_ms = match (m.ttft, m.tps) {
            (Some(ttft), Some(tps)) => {
                let t = ttft.at(normal(rng)) + 1000.0 * output as f64 / tps.at(normal(rng));
                Some(t.round() as u64)
            }
            _ => None,
        };
        Call {
            class: ci,
            input,
            output,
            cache_read,
            cache_write,
            latency_ms,
        }
    }
}

/// A uuid-shaped (version 4) request id from the stream.
fn request_id(rng: &mut Rng64) -> String {
    let (a, b) = (rng.next_u64(), rng.next_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

fn json(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// A checked generation: everything that can be wrong with the scenario for
/// `generate-log` is found by [`Generator::new`], before anything is written.
pub struct Generator<'s> {
    s: &'s Scenario,
    opts: GenerateOptions,
    drawer: Drawer,
}

impl<'s> Generator<'s> {
    /// Checks that records can be drawn from `s` under `opts`: fails with a
    /// [`UsageError`] for a class replayed exactly from a log (no records in
    /// memory to draw from).
    pub fn new(s: &'s Scenario, opts: &GenerateOptions) -> Result<Generator<'s>, UsageError> {
        // Under [load] a class's cache hits come from traffic over time; a
        // record drawn on its own has no hit rate to draw them from.
        if s.load.is_some() {
            return Err(UsageError(format!(
                "{}: generate-log draws each record on its own, with the cache hit rate its class gives, and under [load] the hit rate is an output of traffic over time: generate from the scenario without its [load] table (and with cache_hit_rate)",
                s.path.display()
            )));
        }
        // Timestamps advance at the monthly rate: the last must be a date
        // (found by fuzzing: at monthly_requests = 0 the arithmetic overflowed).
        if s.monthly_requests <= 0.0 {
            return Err(UsageError(format!(
                "{}: monthly_requests is 0, so the records have no rate to space their timestamps by; set scenario.monthly_requests to the traffic's rate",
                s.path.display()
            )));
        }
        let last_ms = START_MS as f64 + opts.records as f64 * step_ms(s);
        if last_ms > LAST_MS as f64 {
            return Err(UsageError(format!(
                "--records {}: at {} requests a month the records would run past the year 9999; write fewer records or raise scenario.monthly_requests",
                crate::numfmt::count(opts.records as f64),
                crate::numfmt::readable(s.monthly_requests)
            )));
        }
        Ok(Generator {
            s,
            opts: *opts,
            drawer: Drawer::new(s, opts.policy)?,
        })
    }

    /// Writes the records to `out`; fails only on a write error.
    pub fn write(&self, out: impl Write) -> anyhow::Result<()> {
        write_records(self.s, &self.opts, &self.drawer, out)
    }
}

/// Writes `opts.records` synthetic records drawn from `s` to `out`.
///
/// Fails on a write error, or with a [`UsageError`] for a class replayed
/// exactly from a log (no records in memory to draw from), then before writing
/// anything.
pub fn generate(s: &Scenario, opts: &GenerateOptions, out: impl Write) -> anyhow::Result<()> {
    Generator::new(s, opts)?.write(out)
}

fn write_records(
    s: &Scenario,
    opts: &GenerateOptions,
    drawer: &Drawer,
    out: impl Write,
) -> anyhow::Result<()> {
    let mut rng = Rng64::seed_from_u64(opts.seed);
    let mut w = BufWriter::with_capacity(1 << 16, out);
    let step_ms = step_ms(s);
    match opts.format {
        GenFormat::Bedrock => {
            let classes: Vec<String> = drawer.classes.iter().map(|c| json(&c.name)).collect();
            let models: Vec<String> = drawer.models.iter().map(|m| json(&m.key)).collect();
            let region = json(&s.pricing.region);
            for i in 0..opts.records {
                let call = drawer.draw(&mut rng);
                let id = request_id(&mut rng);
                let ts = time::format_ms(START_MS + (i as f64 * step_ms).round() as i64);
                let cached = call.cache_read > 0 || call.cache_write > 0;
                let class = &drawer.classes[call.class];
                write!(
                    w,
                    r#"{{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"{ts}","accountId":"{ACCOUNT_ID}","identity":{{"arn":"arn:aws:sts::{ACCOUNT_ID}:assumed-role/simroute-generate/session"}},"region":{region},"requestId":"{id}","operation":"Converse","modelId":{},"input":{{"inputContentType":"application/json","inputBodyJson":{{"#,
                    models[class.model]
                )?;
                if cached {
                    w.write_all(br#""system":[{"text":"(synthetic system prompt)"},{"cachePoint":{"type":"default"}}],"#)?;
                }
                write!(
                    w,
                    r#""messages":[{{"role":"user","content":[{{"text":"(synthetic request {i})"}}]}}]}},"inputTokenCount":{}"#,
                    call.input
                )?;
                if cached {
                    write!(
                        w,
                        r#","cacheReadInputTokenCount":{},"cacheWriteInputTokenCount":{}"#,
                        call.cache_read, call.cache_write
                    )?;
                }
                write!(
                    w,
                    r#"}},"output":{{"outputContentType":"application/json","outputBodyJson":{{"output":{{"message":{{"role":"assistant","content":[{{"text":"(synthetic answer)"}}]}}}},"stopReason":"end_turn","usage":{{"inputTokens":{},"outputTokens":{},"totalTokens":{}"#,
                    call.input,
                    call.output,
                    // In u128: a scenario may draw counts near u64::MAX.
                    call.input as u128
                        + call.output as u128
                        + call.cache_read as u128
                        + call.cache_write as u128
                )?;
                if cached {
                    write!(
                        w,
                        r#","cacheReadInputTokens":{},"cacheWriteInputTokens":{}"#,
                        call.cache_read, call.cache_write
                    )?;
                }
                w.write_all(b"}")?;
                if let Some(l) = call.latency_ms {
                    write!(w, r#","metrics":{{"latencyMs":{l}}}"#)?;
                }
                writeln!(
                    w,
                    r#"}},"outputTokenCount":{}}},"requestMetadata":{{"{CLASS_KEY}":{}}}}}"#,
                    call.output, classes[call.class]
                )?;
            }
        }
        GenFormat::Csv => {
            let mut csv = csv::Writer::from_writer(&mut w);
            csv.write_record([
                "class",
                "model",
                "input_tokens",
                "output_tokens",
                "cache_read_tokens",
                "cache_write_tokens",
                "latency_ms",
                "timestamp",
            ])?;
            for i in 0..opts.records {
                let call = drawer.draw(&mut rng);
                // The same draws as the Bedrock form, request id included, so
                // that both formats of one seed hold the same calls.
                let _ = request_id(&mut rng);
                let class = &drawer.classes[call.class];
                let ts = time::format_ms(START_MS + (i as f64 * step_ms).round() as i64);
                csv.write_record([
                    class.name.as_str(),
                    drawer.models[class.model].key.as_str(),
                    &call.input.to_string(),
                    &call.output.to_string(),
                    &call.cache_read.to_string(),
                    &call.cache_write.to_string(),
                    &call.latency_ms.map(|l| l.to_string()).unwrap_or_default(),
                    &ts,
                ])?;
            }
            csv.flush()?;
        }
    }
    w.flush()?;
    Ok(())
}
