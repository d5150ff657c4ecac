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
pub mod inputs;
pub mod policy;
pub mod results;
pub mod sampling;
pub mod summary;
pub mod time;

use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as Rng64;
use rayon::prelude::*;

use crate::input::InputError;
use crate::scenario::measured::{ClassRecords, Digest, LogData, Logged, class_of, pack};
use crate::scenario::{ClassTokens, Scenario, Trigger};
use crate::stats::{binormal_mu, normal_quantile};
use crate::units::{cost_of, femto_per_call, femto_per_token};
use accounting::{PolicyAcc, RepFigures};
use histogram::LatencyHistogram;
use policy::{
    ClassRouting, EngineModel, EnginePolicy, EngineTrigger, ModelDraw, Prices, Request, STANDARD,
    TierPrices,
};
use sampling::{DifficultySampler, LogNormal, TokenSampler, normal, p_correct};
use summary::Summary;

/// Requests per random stream. Fixed, so that the streams do not depend on the
/// number of threads.
pub const CHUNK: u64 = 4096;

/// Where a class's token counts come from.
#[derive(Debug, Clone)]
enum Tokens {
    Synthetic {
        input: TokenSampler,
        output: TokenSampler,
        prefix: u64,
        hit_rate: f64,
    },
    /// A log's records, drawn uniformly with replacement (bootstrap), or an
    /// aggregate's cells, drawn by their records.
    Logged(ClassRecords),
    /// Exact replay: the records come from the log stream.
    Replayed,
}

/// A class's eval examples: `(pass, Φ⁻¹(confidence))` by example and model
/// (`examples × models`, row-major); models without a row or a confidence hold
/// `(false, 0)` and are never read for this class (validation).
#[derive(Debug, Clone)]
struct EvalTable {
    examples: usize,
    outcomes: Vec<(bool, f64)>,
}

/// A traffic class as the engine uses it.
#[derive(Debug, Clone)]
struct EngineClass {
    tokens: Tokens,
    /// `None` where the eval set gives quality.
    difficulty: Option<DifficultySampler>,
    eval: Option<EvalTable>,
    extra: Vec<(usize, TokenSampler, TokenSampler)>,
}

/// The log an exact replay streams.
#[derive(Debug, Clone)]
struct ExactLog {
    data: Arc<LogData>,
    /// Class names that take their traffic from it, by engine class index.
    names: Vec<String>,
    skip_bad_lines: bool,
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
    exact: Option<ExactLog>,
    /// The policy savings are measured against.
    baseline: usize,
}

fn prices(p: &crate::pricing::ModelPrice) -> Prices {
    rated(p, &p.standard_rates())
}

/// The model's prices at `r`'s per-token rates (batch and per-request
/// prices are the model's).
fn rated(p: &crate::pricing::ModelPrice, r: &crate::pricing::Rates) -> Prices {
    let f = |v: Option<f64>| v.map(femto_per_token).unwrap_or(0);
    let input = femto_per_token(r.input);
    Prices {
        input,
        output: f(r.output),
        cache_read: f(r.cache_read),
        cache_write: r.cache_write.map(femto_per_token).unwrap_or(input),
        // A model without a 1-hour cache keeps the 5-minute one (and its price).
        cache_write_1h: r
            .cache_write_1h
            .or(r.cache_write)
            .map(femto_per_token)
            .unwrap_or(input),
        batch_input: f(p.batch_input),
        batch_output: f(p.batch_output),
        per_request: p.per_request.map(femto_per_call).unwrap_or(0),
        caches: p.caches(),
    }
}

/// The model's prices by service tier (priority, standard, flex), short and
/// long prompts. A tier the table lacks takes the Standard prices: validation
/// keeps every policy off it.
fn tier_prices(p: &crate::pricing::ModelPrice) -> Box<[TierPrices; 3]> {
    use crate::pricing::ServiceTier;
    let above = p.long_threshold().unwrap_or(u64::MAX);
    let make = |rates: &crate::pricing::Rates, long: Option<crate::pricing::LongPrompt>| {
        let short = rated(p, rates);
        match long {
            Some(l) => TierPrices {
                short,
                long: rated(p, &l.rates),
                above: l.above,
                long_priced: true,
            },
            None => TierPrices {
                short,
                long: short,
                above,
                long_priced: false,
            },
        }
    };
    let standard = make(&p.standard_rates(), p.long_prompt);
    Box::new(ServiceTier::ALL.map(|t| match p.tiers.get(&t) {
        Some(tp) => make(&tp.rates, tp.long_prompt),
        None => standard,
    }))
}

/// The model's latency by service tier, where a tier's differs from its own.
fn timing(m: &crate::scenario::Model) -> [Option<policy::Timing>; 3] {
    let (ttft, tps) = (lognormal(m.ttft_ms), lognormal(m.output_tokens_per_s));
    crate::pricing::ServiceTier::ALL.map(|t| {
        let l = m.tier_latency.get(&t)?;
        Some(policy::Timing {
            ttft: (ttft, l.ttft_ms.map_or(ttft, LogNormal::from_spread)),
            tps: (
                tps,
                l.output_tokens_per_s.map_or(tps, LogNormal::from_spread),
            ),
        })
    })
}

fn lognormal(s: Option<crate::spec::Spread>) -> LogNormal {
    s.map(LogNormal::from_spread).unwrap_or(LogNormal {
        mu: 0.0,
        sigma: 0.0,
    })
}

/// A class's trigger, with thresholds moved to the normal scale.
fn engine_trigger(t: &Trigger) -> EngineTrigger {
    match t {
        Trigger::None => EngineTrigger::None,
        Trigger::Confidence { thresholds } => {
            EngineTrigger::Confidence(thresholds.iter().map(|&t| normal_quantile(t)).collect())
        }
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
    }
}

impl Engine {
    /// Compiles a validated scenario.
    pub fn new(s: &Scenario) -> Engine {
        let mut routed = vec![false; s.models.len()];
        let mut scored = vec![false; s.models.len()];
        for p in &s.policies {
            if let Some(f) = p.fallback {
                routed[f] = true;
            }
            for (r, t) in p.routes.iter().zip(&p.triggers) {
                for &m in r {
                    routed[m] = true;
                }
                if matches!(t, Trigger::Confidence { .. }) {
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
                tiers: tier_prices(&m.price),
                context: m.price.context_window.unwrap_or(u64::MAX),
                plain_up_to: m
                    .price
                    .context_window
                    .unwrap_or(u64::MAX)
                    .min(m.price.long_threshold().unwrap_or(u64::MAX)),
                timing: timing(m),
                routed: routed[i],
                scored: scored[i],
                skill: m.skill.unwrap_or(0.0),
                half_mu: m.confidence_auc.map(binormal_mu).unwrap_or(0.0) / 2.0,
                ttft: lognormal(m.ttft_ms),
                tps: lognormal(m.output_tokens_per_s),
                max_output: m.price.max_output_tokens.unwrap_or(u64::MAX),
            })
            .collect();
        let cdf = class_cdf(s);
        let exact = s.replay == crate::scenario::Replay::Exact;
        let classes = s
            .classes
            .iter()
            .enumerate()
            .map(|(ci, c)| EngineClass {
                tokens: match &c.tokens {
                    ClassTokens::Synthetic(t) => Tokens::Synthetic {
                        input: TokenSampler::capped(
                            t.input_tokens,
                            crate::units::MAX_CALL_TOKENS - t.cached_prefix_tokens,
                        ),
                        output: TokenSampler::new(t.output_tokens),
                        prefix: t.cached_prefix_tokens,
                        hit_rate: t.cache_hit_rate,
                    },
                    ClassTokens::Logged { .. } if exact => Tokens::Replayed,
                    ClassTokens::Logged { log } => {
                        Tokens::Logged(s.measured.logs[*log].classes[&c.name].clone())
                    }
                },
                difficulty: c.difficulty.map(DifficultySampler::new),
                eval: s
                    .eval
                    .as_ref()
                    .map(|e| &e.classes[ci])
                    .filter(|e| !e.ids.is_empty())
                    .map(|e| EvalTable {
                        examples: e.ids.len(),
                        outcomes: e
                            .outcomes
                            .iter()
                            .flat_map(|row| {
                                row.iter().map(|o| match o {
                                    Some(o) => {
                                        (o.pass, o.confidence.map(normal_quantile).unwrap_or(0.0))
                                    }
                                    None => (false, 0.0),
                                })
                            })
                            .collect(),
                    }),
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
                classes: (0..s.classes.len())
                    .map(|c| ClassRouting {
                        route: p.routes[c].clone(),
                        trigger: engine_trigger(&p.triggers[c]),
                        batch: p.batch[c],
                        tier: if p.batch[c] {
                            STANDARD
                        } else {
                            p.tiers[c].index()
                        },
                    })
                    .collect(),
                caching: p.prompt_caching,
                one_hour: p.cache_ttl == crate::scenario::load::CacheTtl::OneHour,
                fallback: p.fallback,
            })
            .collect();
        Engine {
            baseline: s.baseline,
            sharpness: s.sharpness,
            cdf,
            classes,
            models,
            policies,
            validator: s.uses_validator(),
            classifier: s.uses_classifier(),
            exact: match s.classes.first().map(|c| &c.tokens) {
                Some(ClassTokens::Logged { log, .. }) if exact => Some(ExactLog {
                    data: s.measured.logs[*log].clone(),
                    names: s.classes.iter().map(|c| c.name.clone()).collect(),
                    skip_bad_lines: s.measured.options.skip_bad_lines,
                }),
                _ => None,
            },
        }
    }

    /// Draws one request into `req` (whose buffers are reused): its class and
    /// token counts, then everything else.
    #[inline]
    fn draw<R: Rng>(&self, rng: &mut R, boot: &[Vec<u32>], req: &mut Request) {
        let u: f64 = rng.random();
        let c = self.cdf.iter().position(|&b| u < b).unwrap_or(0);
        req.class = c;
        let output = match &self.classes[c].tokens {
            Tokens::Synthetic {
                input,
                output,
                prefix,
                hit_rate,
            } => {
                req.input = input.sample(rng, 0);
                let output = output.sample(rng, 1);
                req.u_hit = if *prefix > 0 {
                    rng.random::<f64>()
                } else {
                    f64::NAN
                };
                let hit = *prefix > 0 && req.u_hit < *hit_rate;
                (req.cache_read, req.cache_write) = if hit { (*prefix, 0) } else { (0, *prefix) };
                output
            }
            Tokens::Logged(records) => {
                req.u_hit = f64::NAN;
                let r = records.draw(rng);
                self.set_tokens(req, &r)
            }
            Tokens::Replayed => unreachable!("exact replay gives the tokens"),
        };
        self.draw_outcomes(rng, boot, output, req);
    }

    /// Sets a request's token counts from a logged record; returns its output.
    #[inline]
    fn set_tokens(&self, req: &mut Request, r: &Logged) -> u64 {
        req.input = r.input as u64;
        req.cache_read = r.cache_read as u64;
        req.cache_write = r.cache_write as u64;
        r.output as u64
    }

    /// Draws what every model would do on the request whose class and tokens are
    /// set: correctness and confidence (from difficulty and skill, or from a
    /// resampled eval example), latency, extra calls, classifier draws.
    #[inline(always)]
    fn draw_outcomes<R: Rng>(
        &self,
        rng: &mut R,
        boot: &[Vec<u32>],
        output: u64,
        req: &mut Request,
    ) {
        let class = &self.classes[req.class];
        // The eval example this request is, from this replication's resample.
        let example = class.eval.as_ref().map(|e| {
            let b = &boot[req.class];
            let j = b[rng.random_range(0..b.len())] as usize;
            &e.outcomes[j * self.models.len()..(j + 1) * self.models.len()]
        });
        let d = match &class.difficulty {
            Some(d) if example.is_none() => d.sample(rng),
            _ => 0.0,
        };
        req.d = d;
        req.extra.clear();
        req.extra_tokens.clear();
        for (m, input, out) in &class.extra {
            let t = crate::pricing::CallTokens {
                input: input.sample(rng, 0),
                output: out.sample(rng, 0),
                ..Default::default()
            };
            req.extra.push((*m, self.extra_cost(*m, t.input, t.output)));
            req.extra_tokens.push((t.input, t.output));
        }
        for (i, (model, draw)) in self.models.iter().zip(req.models.iter_mut()).enumerate() {
            if !model.routed {
                continue;
            }
            let (correct, z, u, zn) = match example {
                Some(ex) => (ex[i].0, ex[i].1, f64::NAN, 0.0),
                None => {
                    let u = rng.random::<f64>();
                    let correct = u < p_correct(self.sharpness, model.skill, d);
                    let zn = normal(rng);
                    let z = zn
                        + if correct {
                            model.half_mu
                        } else {
                            -model.half_mu
                        };
                    (correct, z, u, zn)
                }
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
                u,
                zn,
            };
        }
        if self.classifier {
            req.cls_noise = normal(rng);
            req.cls_z = [normal(rng), normal(rng), normal(rng), normal(rng)];
        }
    }

    /// Keeps only the policies `keep` (indices, in that order), the first of
    /// which becomes the baseline. The draws stay those of the whole scenario
    /// (which models are routed was settled by [`Engine::new`]): the kept
    /// policies' figures are what they are in a run of every policy.
    pub fn keep_policies(&mut self, keep: &[usize]) {
        self.policies = keep.iter().map(|&i| self.policies[i].clone()).collect();
        self.baseline = 0;
    }

    /// The cost of an extra call on model `m`, femto-dollars.
    #[inline]
    fn extra_cost(&self, m: usize, input: u64, output: u64) -> crate::units::Femto {
        let p = &self.models[m].prices;
        if p.per_request > 0 {
            p.per_request
        } else {
            cost_of(input, p.input) + cost_of(output, p.output)
        }
    }

    /// Whether this engine can route the requests `base` draws, re-derived by
    /// [`Engine::patch`]: the two differ at most in models' skills, confidence
    /// AUCs and prices and in classes' cache hit rates, so that they make the
    /// same random draws, and only how some draws map to outcomes and costs
    /// differs. Logged traffic never rides (its records would be compared).
    pub fn rides_on(&self, base: &Engine) -> bool {
        if self.exact.is_some()
            || self.models.len() != base.models.len()
            || self.classes.len() != base.classes.len()
            || self
                .classes
                .iter()
                .any(|c| !matches!(c.tokens, Tokens::Synthetic { .. }))
        {
            return false;
        }
        let mut me = self.clone();
        for (m, b) in me.models.iter_mut().zip(&base.models) {
            m.skill = b.skill;
            m.half_mu = b.half_mu;
            m.prices = b.prices;
            m.tiers = b.tiers.clone();
        }
        for (c, b) in me.classes.iter_mut().zip(&base.classes) {
            if let (Tokens::Synthetic { hit_rate, .. }, Tokens::Synthetic { hit_rate: h, .. }) =
                (&mut c.tokens, &b.tokens)
            {
                *hit_rate = *h;
            }
        }
        me.policies = base.policies.clone();
        format!("{me:?}") == format!("{base:?}") && self.policies.len() == base.policies.len()
    }

    /// `base` (a request drawn by an engine this one rides on) re-derived for
    /// this engine's skills, confidence AUCs, cache hit rates and prices, from
    /// the same draws: what this engine would have drawn on the same stream.
    #[inline]
    fn patch(&self, base: &Request, out: &mut Request) {
        // Field by field, into `out`'s buffers: no allocation per request.
        out.class = base.class;
        out.input = base.input;
        (out.cache_read, out.cache_write) = (base.cache_read, base.cache_write);
        out.models.copy_from_slice(&base.models);
        out.extra.clear();
        out.extra.extend_from_slice(&base.extra);
        (out.cls_noise, out.cls_z) = (base.cls_noise, base.cls_z);
        (out.d, out.u_hit) = (base.d, base.u_hit);
        if let Tokens::Synthetic {
            prefix, hit_rate, ..
        } = &self.classes[out.class].tokens
            && *prefix > 0
        {
            let hit = base.u_hit < *hit_rate;
            (out.cache_read, out.cache_write) = if hit { (*prefix, 0) } else { (0, *prefix) };
        }
        for ((m, f), &(i, o)) in out.extra.iter_mut().zip(&base.extra_tokens) {
            *f = self.extra_cost(*m, i, o);
        }
        for (model, draw) in self.models.iter().zip(out.models.iter_mut()) {
            if !model.routed || draw.u.is_nan() {
                continue;
            }
            draw.correct = draw.u < p_correct(self.sharpness, model.skill, base.d);
            draw.z = draw.zn
                + if draw.correct {
                    model.half_mu
                } else {
                    -model.half_mu
                };
        }
    }

    /// One replication of this engine and of `riders` (each of which
    /// [`Engine::rides_on`] this one) on one set of draws: each request is drawn
    /// once, routed through this engine's policies, then re-derived
    /// ([`Engine::patch`]) and routed through each rider's. Every rider's figures
    /// are those it would give alone on the same streams. Returns the
    /// accumulators of this engine, then of each rider.
    pub fn replication_with_riders(
        &self,
        riders: &[&Engine],
        seed: u64,
        rep: u32,
        requests: u64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Vec<Vec<PolicyAcc>> {
        let boot = self.resample_eval(seed, rep);
        let chunks = requests.div_ceil(CHUNK);
        let tasks = (rayon::current_num_threads() as u64 * 2).clamp(1, chunks.max(1));
        let new_all = || -> Vec<Vec<PolicyAcc>> {
            std::iter::once(self.new_accs())
                .chain(riders.iter().map(|r| r.new_accs()))
                .collect()
        };
        (0..tasks)
            .into_par_iter()
            .map(|t| {
                let mut all = new_all();
                let mut req = self.new_request();
                let mut scratch = self.new_request();
                for chunk in (chunks * t / tasks)..(chunks * (t + 1) / tasks) {
                    let mut rng = Rng64::seed_from_u64(stream_seed(seed, rep, chunk));
                    let n = CHUNK.min(requests - chunk * CHUNK);
                    for _ in 0..n {
                        self.draw(&mut rng, &boot, &mut req);
                        for (p, acc) in self.policies.iter().zip(all[0].iter_mut()) {
                            policy::route(&req, p, &self.models, acc);
                        }
                        for (r, accs) in riders.iter().zip(all[1..].iter_mut()) {
                            r.patch(&req, &mut scratch);
                            for (p, acc) in r.policies.iter().zip(accs.iter_mut()) {
                                policy::route(&scratch, p, &r.models, acc);
                            }
                        }
                    }
                    progress(n * (1 + riders.len() as u64));
                }
                all
            })
            .reduce_with(|mut a, b| {
                for (x, y) in a.iter_mut().zip(&b) {
                    for (p, q) in x.iter_mut().zip(y) {
                        p.merge(q);
                    }
                }
                a
            })
            .unwrap_or_else(new_all)
    }

    /// This replication's resample of each class's eval examples (bootstrap):
    /// as many draws with replacement as the class has examples, so that the
    /// spread across replications is the eval's own sampling error.
    fn resample_eval(&self, seed: u64, rep: u32) -> Vec<Vec<u32>> {
        let mut rng = Rng64::seed_from_u64(mix(stream_seed(seed, rep, u64::MAX)));
        self.classes
            .iter()
            .map(|c| match &c.eval {
                Some(e) => (0..e.examples)
                    .map(|_| rng.random_range(0..e.examples) as u32)
                    .collect(),
                None => Vec::new(),
            })
            .collect()
    }

    fn new_request(&self) -> Request {
        Request {
            models: vec![ModelDraw::default(); self.models.len()],
            ..Request::default()
        }
    }

    fn new_accs(&self) -> Vec<PolicyAcc> {
        self.policies
            .iter()
            .map(|_| PolicyAcc::new(self.models.len(), self.classes.len()))
            .collect()
    }

    /// Simulates chunks `chunks` of replication `rep` into `accs`, calling
    /// `progress` after each chunk with its number of requests.
    #[allow(clippy::too_many_arguments)]
    fn run_chunks(
        &self,
        seed: u64,
        rep: u32,
        requests: u64,
        chunks: std::ops::Range<u64>,
        boot: &[Vec<u32>],
        accs: &mut [PolicyAcc],
        progress: &(dyn Fn(u64) + Sync),
    ) {
        let mut req = self.new_request();
        for chunk in chunks {
            let mut rng = Rng64::seed_from_u64(stream_seed(seed, rep, chunk));
            let n = CHUNK.min(requests - chunk * CHUNK);
            for _ in 0..n {
                self.draw(&mut rng, boot, &mut req);
                for (p, acc) in self.policies.iter().zip(accs.iter_mut()) {
                    policy::route(&req, p, &self.models, acc);
                }
            }
            progress(n);
        }
    }

    /// Simulates one replication of `requests` requests on the current rayon pool and
    /// returns each policy's accumulator.
    pub fn replication(
        &self,
        seed: u64,
        rep: u32,
        requests: u64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Vec<PolicyAcc> {
        let boot = self.resample_eval(seed, rep);
        let chunks = requests.div_ceil(CHUNK);
        let tasks = (rayon::current_num_threads() as u64 * 2).clamp(1, chunks.max(1));
        (0..tasks)
            .into_par_iter()
            .map(|t| {
                let mut accs = self.new_accs();
                let range = (chunks * t / tasks)..(chunks * (t + 1) / tasks);
                self.run_chunks(seed, rep, requests, range, &boot, &mut accs, progress);
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

    /// Replications simulated together: [`REPLAY_GROUP`] for an exact replay
    /// (one pass over the log serves the group), one otherwise.
    pub fn group_len(&self) -> u32 {
        if self.exact.is_some() {
            REPLAY_GROUP
        } else {
            1
        }
    }

    /// Simulates replications `reps` (at most [`Engine::group_len`] of them)
    /// and returns each one's accumulators, in order. `progress` is called with
    /// the number of requests simulated as they are, from any worker. Fails
    /// only where an exact replay's log cannot be read again.
    pub fn group(
        &self,
        seed: u64,
        reps: std::ops::Range<u32>,
        requests: u64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<Vec<PolicyAcc>>, InputError> {
        match &self.exact {
            Some(log) => self.replay(log, seed, reps, progress),
            None => Ok(reps
                .map(|rep| self.replication(seed, rep, requests, progress))
                .collect()),
        }
    }

    /// Each replication's figures, by policy, for replications `reps` (at most
    /// one group): a synthetic replication's accumulators become figures as soon
    /// as it is done.
    pub fn figures(
        &self,
        seed: u64,
        reps: std::ops::Range<u32>,
        requests: u64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<Vec<RepFigures>>, InputError> {
        let figures = |accs: Vec<PolicyAcc>| accs.iter().map(PolicyAcc::figures).collect();
        match &self.exact {
            Some(log) => Ok(self
                .replay(log, seed, reps, progress)?
                .into_iter()
                .map(figures)
                .collect()),
            None => Ok(reps
                .map(|rep| figures(self.replication(seed, rep, requests, progress)))
                .collect()),
        }
    }

    /// Runs every replication. `progress` is called with the number of
    /// requests simulated as they are (so that it moves within a replication).
    ///
    /// Each replication's figures go into running moments ([`Summary`]) as soon
    /// as it is done, so memory holds one replication's accumulators per worker
    /// (exact replay: one group of [`REPLAY_GROUP`] replications per worker) and
    /// a few numbers per figure, whatever the number of replications.
    pub fn run(
        &self,
        seed: u64,
        replications: u32,
        requests: u64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Raw, InputError> {
        let mut pooled: Vec<Pooled> = self.policies.iter().map(|_| Pooled::default()).collect();
        let mut summary = Summary::new(
            self.policies.len(),
            self.models.len(),
            self.classes.len(),
            self.baseline,
        );
        let mut first = 0;
        while first < replications {
            let last = replications.min(first.saturating_add(self.group_len()));
            for accs in self.group(seed, first..last, requests, progress)? {
                for (p, acc) in pooled.iter_mut().zip(&accs) {
                    for c in &acc.classes {
                        p.e2e.merge(&c.e2e);
                        p.ttft.merge(&c.ttft);
                    }
                }
                let figures: Vec<RepFigures> = accs.iter().map(PolicyAcc::figures).collect();
                summary.push(&figures);
            }
            first = last;
        }
        Ok(Raw {
            summary,
            pooled,
            outer: None,
            series: None,
        })
    }

    /// Exact replay of replications `reps`: streams the log once, in chunks of
    /// [`CHUNK`] records; chunk `k` of replication `r` draws from stream
    /// (seed, r, k), as a synthetic run does, so the output does not depend on the
    /// number of threads. Memory: a few chunks in flight, and one set of
    /// accumulators per replication of the group and worker.
    fn replay(
        &self,
        log: &ExactLog,
        seed: u64,
        reps: std::ops::Range<u32>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<Vec<PolicyAcc>>, InputError> {
        let boots: Vec<Vec<Vec<u32>>> = reps
            .clone()
            .map(|rep| self.resample_eval(seed, rep))
            .collect();
        let workers = rayon::current_num_threads().max(1);
        let opts = crate::logs::LogOptions {
            class_field: log.data.class_field.as_deref(),
            skip_bad_lines: log.skip_bad_lines,
            class_optional: false,
        };
        let names = &log.names;
        let new_group =
            || -> Vec<Vec<PolicyAcc>> { reps.clone().map(|_| self.new_accs()).collect() };
        // One set of accumulators per chunk simulated at once: taken by a task,
        // given back when it is done.
        let groups: std::sync::Mutex<Vec<Vec<Vec<PolicyAcc>>>> = Default::default();
        let simulate = |k: u64, records: &[(usize, Logged)]| {
            let mut accs = groups
                .lock()
                .ok()
                .and_then(|mut g| g.pop())
                .unwrap_or_else(new_group);
            let mut req = self.new_request();
            for ((rep, acc), boot) in reps.clone().zip(accs.iter_mut()).zip(&boots) {
                let mut rng = Rng64::seed_from_u64(stream_seed(seed, rep, k));
                for (c, r) in records {
                    req.class = *c;
                    let output = self.set_tokens(&mut req, r);
                    self.draw_outcomes(&mut rng, boot, output, &mut req);
                    for (p, a) in self.policies.iter().zip(acc.iter_mut()) {
                        policy::route(&req, p, &self.models, a);
                    }
                }
                progress(records.len() as u64);
            }
            if let Ok(mut g) = groups.lock() {
                g.push(accs);
            }
        };
        // The log is read in parallel pieces, which come back in log order and
        // are cut into chunks of CHUNK records; each chunk is simulated by a
        // task of its own while the read goes on, a few per worker at most.
        let in_flight = std::sync::atomic::AtomicUsize::new(0);
        let mut chunk: Vec<(usize, Logged)> = Vec::with_capacity(CHUNK as usize);
        let mut k = 0;
        let mut digest = Digest::default();
        let summary = rayon::scope(|s| {
            let (simulate, in_flight) = (&simulate, &in_flight);
            let send = |k: u64, records: Vec<(usize, Logged)>| {
                in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                s.spawn(move |_| {
                    simulate(k, &records);
                    in_flight.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                });
                while in_flight.load(std::sync::atomic::Ordering::SeqCst) > 2 * workers {
                    if !matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
                        std::thread::sleep(std::time::Duration::from_micros(100));
                    }
                }
            };
            let summary = crate::logs::fold_log(
                &log.data.path,
                &opts,
                || (Vec::new(), Digest::default()),
                |(records, d): &mut (Vec<(usize, Logged)>, Digest), r| {
                    // `names` are the engine's classes, in order: the index is the class.
                    records.push((class_of(r, names, opts.class_field)?, pack(r)));
                    d.add(r);
                    Ok(())
                },
                |(records, d)| {
                    digest.merge(d);
                    for item in records {
                        chunk.push(item);
                        if chunk.len() == CHUNK as usize {
                            let full =
                                std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK as usize));
                            send(k, full);
                            k += 1;
                        }
                    }
                    Ok(())
                },
            );
            if summary.is_ok() && !chunk.is_empty() {
                send(k, std::mem::take(&mut chunk));
            }
            summary
        })?;
        if summary.used != log.data.summary.used {
            return Err(InputError::file(
                &log.data.path,
                format!(
                    "the log changed while simroute ran: {} records were used when it was read, {} now",
                    log.data.summary.used, summary.used
                ),
            ));
        }
        if digest != log.data.digest {
            return Err(InputError::file(
                &log.data.path,
                format!(
                    "the log changed while simroute ran: it still has {} used records, but their classes or token counts differ from the first read; replay a log that is not being written to",
                    summary.used
                ),
            ));
        }
        // Integer sums: the order of the workers' merge does not matter.
        let mut out = new_group();
        for group in groups.into_inner().unwrap_or_default() {
            for (x, y) in out.iter_mut().zip(&group) {
                for (p, q) in x.iter_mut().zip(y) {
                    p.merge(q);
                }
            }
        }
        Ok(out)
    }
}

/// Replications simulated per pass of an exact replay over its log: bounds the
/// accumulators held at once (a pass reads the log once).
pub const REPLAY_GROUP: u32 = 32;

/// Cumulative class shares, for drawing a class with one uniform `u`: the class
/// is the first whose bound exceeds `u`. Shares sum to 1 within the validation
/// tolerance; the last bound is made infinite so that every draw lands in a class.
pub fn class_cdf(s: &Scenario) -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = s
        .classes
        .iter()
        .map(|c| {
            acc += c.share;
            acc
        })
        .collect();
    if let Some(last) = cdf.last_mut() {
        *last = f64::INFINITY;
    }
    cdf
}

/// A run before it is turned into results.
#[derive(Debug, Clone)]
pub struct Raw {
    /// Every policy's figures across the replications.
    pub summary: Summary,
    /// Interactive latencies of all replications together, by policy (for CDFs).
    pub pooled: Vec<Pooled>,
    /// With uncertain inputs: the sample of replications the percentile
    /// intervals come from, and the regression on the inputs drawn.
    pub outer: Option<Box<crate::uncertain::run::Outer>>,
    /// Under `[load]`: replication 1's per-minute traffic, by policy and
    /// model, for the load chart.
    pub series: Option<Vec<time::figures::MinuteSeries>>,
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
pub(crate) fn stream_seed(seed: u64, rep: u32, chunk: u64) -> u64 {
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

/// Simulates a scenario on the current thread pool, calling `progress` with the
/// number of requests simulated as they are.
pub fn simulate_raw(s: &Scenario, progress: &(dyn Fn(u64) + Sync)) -> Result<Raw, InputError> {
    if let Some(u) = &s.uncertainty {
        return crate::uncertain::run::simulate(s, u, progress);
    }
    if let Some(load) = &s.load {
        return time::simulate(s, load, progress);
    }
    Engine::new(s).run(s.seed, s.replications, s.requests, progress)
}

/// Requests a simulation of `s` runs in all, across its replications: the
/// units of [`simulate_raw`]'s progress.
pub fn total_requests(s: &Scenario) -> u64 {
    s.requests.saturating_mul(s.replications as u64)
}

/// Requests simulated per second on the current thread pool, measured by
/// timing a short replication of the scenario (at most [`CALIBRATION`]
/// requests, a few milliseconds of work); `None` for an exact replay, whose
/// pace is the log's reading, and for a scenario loaded only to be checked.
pub fn measured_rate(s: &Scenario) -> Option<f64> {
    if s.replay == crate::scenario::Replay::Exact {
        return None;
    }
    let engine = Engine::new(s);
    // A scenario loaded only to be checked keeps no logged record to draw.
    if engine
        .classes
        .iter()
        .any(|c| matches!(&c.tokens, Tokens::Logged(r) if r.is_empty()))
    {
        return None;
    }
    if let Some(load) = &s.load {
        // Traffic over time: a short stretch of the same traffic, timed.
        if load.exact_origin_ms.is_some() {
            return None;
        }
        let mut short = load.clone();
        short.warmup_s = 0.0;
        short.duration_s = (CALIBRATION as f64 / short.rate_per_s).clamp(1.0, load.duration_s);
        let t = time::TimeEngine::new(s, &short);
        engine
            .time_replication(&t, s.seed, 0, false, &|_| ())
            .ok()?;
        let start = std::time::Instant::now();
        let r = engine
            .time_replication(&t, s.seed, 0, false, &|_| ())
            .ok()?;
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        let n = r.time.first().map_or(0, |t| t.requests);
        // A replication runs on one thread: the pace of all threads is
        // this times the threads that replications can keep busy.
        let threads = rayon::current_num_threads()
            .min(s.replications as usize)
            .max(1);
        return (n > 0).then(|| n as f64 / secs * threads as f64);
    }
    let n = s.requests.min(CALIBRATION);
    // Once to warm the caches and allocate the histograms, once timed.
    engine.replication(s.seed, 0, n, &|_| ());
    let start = std::time::Instant::now();
    engine.replication(s.seed, 0, n, &|_| ());
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    Some(n as f64 / secs)
}

/// Requests of the timed replication of [`measured_rate`].
pub const CALIBRATION: u64 = 8 * CHUNK;

/// Simulates a scenario on `threads` threads (all cores when `None`).
pub fn simulate(s: &Scenario, threads: Option<usize>) -> anyhow::Result<results::RunResults> {
    let raw = with_threads(threads, || simulate_raw(s, &|_| ()))??;
    Ok(results::RunResults::new(s, &raw))
}
