//! The Monte Carlo engine.
//!
//! A replication draws `requests` requests. Each request draws, once, everything
//! any policy could need: its class, token counts, cache hit, difficulty, and for
//! every routed model whether it answers correctly, its confidence score, a
//! validator draw and its latency. Every policy then routes the same request
//! ([`policy::route`]), so policy differences carry no sampling noise (common random
//! numbers).
//!
//! Determinism and cores: a replication is cut into chunks of [`CHUNK`] requests,
//! each with its own random stream seeded from (seed, replication, chunk). Chunks
//! are spread over the threads, and their accumulators merge by integer addition
//! (see [`accounting`]), so the output is the same byte for byte whatever the
//! number of threads. Memory is a few accumulators per thread, whatever the number
//! of requests.

pub mod accounting;
pub mod histogram;
pub mod policy;
pub mod results;
pub mod sampling;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as Rng64;
use rayon::prelude::*;

use crate::scenario::{Scenario, Trigger};
use crate::stats::{binormal_mu, normal_quantile};
use crate::units::{femto_per_call, femto_per_token};
use accounting::{PolicyAcc, RepFigures};
use histogram::LatencyHistogram;
use policy::{EngineModel, EnginePolicy, EngineTrigger, ModelDraw, Prices, Request};
use sampling::{DifficultySampler, LogNormal, TokenSampler, normal, p_correct};

/// Requests per random stream. Fixed, so that the streams do not depend on the
/// number of threads.
pub const CHUNK: u64 = 4096;

/// A traffic class as the engine uses it.
#[derive(Debug, Clone)]
struct EngineClass {
    input: TokenSampler,
    output: TokenSampler,
    prefix: u64,
    hit_rate: f64,
    difficulty: DifficultySampler,
    extra: Vec<(usize, TokenSampler, TokenSampler)>,
}

/// A scenario compiled for the hot loop.
#[derive(Debug, Clone)]
pub struct Engine {
    sharpness: f64,
    /// Cumulative shares, for drawing a class.
    cdf: Vec<f64>,
    classes: Vec<EngineClass>,
    models: Vec<EngineModel>,
    policies: Vec<EnginePolicy>,
    validator: bool,
    classifier: bool,
}

fn prices(p: &crate::pricing::ModelPrice) -> Prices {
    let f = |v: Option<f64>| v.map(femto_per_token).unwrap_or(0);
    let input = femto_per_token(p.input);
    Prices {
        input,
        output: f(p.output),
        cache_read: f(p.cache_read),
        cache_write: p.cache_write.map(femto_per_token).unwrap_or(input),
        batch_input: f(p.batch_input),
        batch_output: f(p.batch_output),
        per_request: p.per_request.map(femto_per_call).unwrap_or(0),
        caches: p.caches(),
    }
}

fn lognormal(s: Option<crate::spec::Spread>) -> LogNormal {
    s.map(LogNormal::from_spread).unwrap_or(LogNormal {
        mu: 0.0,
        sigma: 0.0,
    })
}

impl Engine {
    /// Compiles a validated scenario.
    pub fn new(s: &Scenario) -> Engine {
        let mut routed = vec![false; s.models.len()];
        let mut scored = vec![false; s.models.len()];
        for p in &s.policies {
            for r in &p.routes {
                for &m in r {
                    routed[m] = true;
                }
                if matches!(p.trigger, Trigger::Confidence { .. }) {
                    for &m in &r[..r.len() - 1] {
                        scored[m] = true;
                    }
                }
            }
        }
        let models = s
            .models
            .iter()
            .enumerate()
            .map(|(i, m)| EngineModel {
                prices: prices(&m.price),
                routed: routed[i],
                scored: scored[i],
                skill: m.skill.unwrap_or(0.0),
                half_mu: m.confidence_auc.map(binormal_mu).unwrap_or(0.0) / 2.0,
                ttft: lognormal(m.ttft_ms),
                tps: lognormal(m.output_tokens_per_s),
                max_output: m.price.max_output_tokens.unwrap_or(u64::MAX),
            })
            .collect();
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = s
            .classes
            .iter()
            .map(|c| {
                acc += c.share;
                acc
            })
            .collect();
        // Shares sum to 1 within the validation tolerance; make the last bound
        // exact so that every uniform draw lands in a class.
        if let Some(last) = cdf.last_mut() {
            *last = f64::INFINITY;
        }
        let classes = s
            .classes
            .iter()
            .map(|c| EngineClass {
                input: TokenSampler::new(c.input_tokens),
                output: TokenSampler::new(c.output_tokens),
                prefix: c.cached_prefix_tokens,
                hit_rate: c.cache_hit_rate,
                difficulty: DifficultySampler::new(c.difficulty),
                extra: c
                    .extra_calls
                    .iter()
                    .map(|e| {
                        (
                            e.model,
                            TokenSampler::new(e.input_tokens),
                            TokenSampler::new(e.output_tokens),
                        )
                    })
                    .collect(),
            })
            .collect();
        let policies = s
            .policies
            .iter()
            .map(|p| EnginePolicy {
                routes: p.routes.clone(),
                batch: p.batch.clone(),
                caching: p.prompt_caching,
                trigger: match &p.trigger {
                    Trigger::None => EngineTrigger::None,
                    Trigger::Confidence { thresholds } => EngineTrigger::Confidence(
                        thresholds.iter().map(|&t| normal_quantile(t)).collect(),
                    ),
                    Trigger::Validator {
                        catches,
                        false_alarm,
                    } => EngineTrigger::Validator {
                        catches: *catches,
                        false_alarm: *false_alarm,
                    },
                    Trigger::Classifier(c) => EngineTrigger::Classifier {
                        model: c.model,
                        half_mu: binormal_mu(c.auc) / 2.0,
                        z_threshold: normal_quantile(c.threshold),
                        input: TokenSampler::new(c.input_tokens),
                        output: TokenSampler::new(c.output_tokens),
                    },
                },
            })
            .collect();
        Engine {
            sharpness: s.sharpness,
            cdf,
            classes,
            models,
            policies,
            validator: s.uses_validator(),
            classifier: s
                .policies
                .iter()
                .any(|p| matches!(p.trigger, Trigger::Classifier(_))),
        }
    }

    /// Draws one request into `req` (whose buffers are reused).
    #[inline]
    fn draw<R: Rng>(&self, rng: &mut R, req: &mut Request) {
        let u: f64 = rng.random();
        let c = self.cdf.iter().position(|&b| u < b).unwrap_or(0);
        let class = &self.classes[c];
        req.class = c;
        req.input = class.input.sample(rng, 0);
        let output = class.output.sample(rng, 1);
        req.prefix = class.prefix;
        req.hit = class.prefix > 0 && rng.random::<f64>() < class.hit_rate;
        let d = class.difficulty.sample(rng);
        req.extra.clear();
        for (m, input, out) in &class.extra {
            let t = crate::pricing::CallTokens {
                input: input.sample(rng, 0),
                output: out.sample(rng, 0),
                ..Default::default()
            };
            let p = &self.models[*m].prices;
            let f = if p.per_request > 0 {
                p.per_request
            } else {
                t.input * p.input + t.output * p.output
            };
            req.extra.push((*m, f));
        }
        for (model, draw) in self.models.iter().zip(req.models.iter_mut()) {
            if !model.routed {
                continue;
            }
            let correct = rng.random::<f64>() < p_correct(self.sharpness, model.skill, d);
            let z = normal(rng)
                + if correct {
                    model.half_mu
                } else {
                    -model.half_mu
                };
            let v = if self.validator { rng.random() } else { 0.0 };
            let out = output.min(model.max_output);
            let ttft = model.ttft.at(normal(rng));
            let latency = ttft + 1000.0 * out as f64 / model.tps.at(normal(rng));
            *draw = ModelDraw {
                correct,
                z,
                v,
                ttft,
                latency,
                output: out,
            };
        }
        if self.classifier {
            req.cls_noise = normal(rng);
            req.cls_z = [normal(rng), normal(rng), normal(rng), normal(rng)];
        }
    }

    fn new_accs(&self) -> Vec<PolicyAcc> {
        self.policies
            .iter()
            .map(|_| PolicyAcc::new(self.models.len(), self.classes.len()))
            .collect()
    }

    /// Simulates requests `[from, to)` of replication `rep`, chunk by chunk, into `accs`.
    fn run_chunks(
        &self,
        seed: u64,
        rep: u32,
        requests: u64,
        chunks: std::ops::Range<u64>,
        accs: &mut [PolicyAcc],
    ) {
        let mut req = Request {
            models: vec![ModelDraw::default(); self.models.len()],
            ..Request::default()
        };
        for chunk in chunks {
            let mut rng = Rng64::seed_from_u64(stream_seed(seed, rep, chunk));
            let n = CHUNK.min(requests - chunk * CHUNK);
            for _ in 0..n {
                self.draw(&mut rng, &mut req);
                for (p, acc) in self.policies.iter().zip(accs.iter_mut()) {
                    policy::route(&req, p, &self.models, acc);
                }
            }
        }
    }

    /// Simulates one replication of `requests` requests on the current rayon pool and
    /// returns each policy's accumulator.
    pub fn replication(&self, seed: u64, rep: u32, requests: u64) -> Vec<PolicyAcc> {
        let chunks = requests.div_ceil(CHUNK);
        let tasks = (rayon::current_num_threads() as u64 * 2).clamp(1, chunks.max(1));
        (0..tasks)
            .into_par_iter()
            .map(|t| {
                let mut accs = self.new_accs();
                let range = (chunks * t / tasks)..(chunks * (t + 1) / tasks);
                self.run_chunks(seed, rep, requests, range, &mut accs);
                accs
            })
            .reduce_with(|mut a, b| {
                for (x, y) in a.iter_mut().zip(&b) {
                    x.merge(y);
                }
                a
            })
            .unwrap_or_else(|| self.new_accs())
    }

    /// Runs every replication; `progress` is called after each one.
    pub fn run(
        &self,
        seed: u64,
        replications: u32,
        requests: u64,
        progress: &(dyn Fn() + Sync),
    ) -> Raw {
        let mut pooled: Vec<Pooled> = self.policies.iter().map(|_| Pooled::default()).collect();
        let reps = (0..replications)
            .map(|rep| {
                let accs = self.replication(seed, rep, requests);
                for (p, acc) in pooled.iter_mut().zip(&accs) {
                    p.e2e.merge(&acc.e2e);
                    p.ttft.merge(&acc.ttft);
                }
                progress();
                accs.iter().map(PolicyAcc::figures).collect()
            })
            .collect();
        Raw { reps, pooled }
    }
}

/// A run before it is summarized.
#[derive(Debug, Clone)]
pub struct Raw {
    /// Figures by replication, then policy.
    pub reps: Vec<Vec<RepFigures>>,
    /// Interactive latencies of all replications together, by policy (for CDFs).
    pub pooled: Vec<Pooled>,
}

/// One policy's interactive latencies over all replications.
#[derive(Debug, Clone, Default)]
pub struct Pooled {
    pub e2e: LatencyHistogram,
    pub ttft: LatencyHistogram,
}

/// SplitMix64's finalizer: a bijective mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seed of the random stream of `chunk` in replication `rep`.
fn stream_seed(seed: u64, rep: u32, chunk: u64) -> u64 {
    mix(mix(mix(seed) ^ rep as u64) ^ chunk)
}

/// Runs `f` on a pool of `threads` threads (the global pool, all cores, when `None`).
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> anyhow::Result<T> {
    Ok(match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| anyhow::anyhow!("cannot start {n} threads: {e}"))?
            .install(f),
        None => f(),
    })
}

/// Simulates a scenario on the current thread pool, calling `progress` after each
/// replication.
pub fn simulate_raw(s: &Scenario, progress: &(dyn Fn() + Sync)) -> Raw {
    Engine::new(s).run(s.seed, s.replications, s.requests, progress)
}

/// Simulates a scenario on `threads` threads (all cores when `None`).
pub fn simulate(s: &Scenario, threads: Option<usize>) -> anyhow::Result<results::RunResults> {
    let raw = with_threads(threads, || simulate_raw(s, &|| ()))?;
    Ok(results::RunResults::new(s, &raw))
}
