//! One request through one policy: which calls are made, what they cost, whether
//! the delivered answer is right, and how long the user waits.
//!
//! Every policy reads the same per-request draws ([`Request`]), so the differences
//! between policies are not sampling noise (common random numbers).

use super::accounting::{CACHE_READ, CACHE_WRITE, EXTRA, INPUT, OUTPUT, PolicyAcc};
use super::sampling::{LogNormal, TokenSampler};
use crate::pricing::ServiceTier;
use crate::units::{Femto, FemtoPerToken, cost_of};

/// A model's prices in femto-dollars per token (per call for `per_request`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Prices {
    pub input: FemtoPerToken,
    pub output: FemtoPerToken,
    /// 0 and unused where the model has no prompt caching.
    pub cache_read: FemtoPerToken,
    /// Cache writes: `cache_write`, or `input` where the table has none.
    pub cache_write: FemtoPerToken,
    /// 1-hour cache writes; a model without a 1-hour cache keeps the
    /// 5-minute one: `cache_write` (a warning says so).
    pub cache_write_1h: FemtoPerToken,
    pub batch_input: FemtoPerToken,
    pub batch_output: FemtoPerToken,
    pub per_request: Femto,
    /// Whether the model supports prompt caching.
    pub caches: bool,
}

/// A model's prices in one service tier: a prompt of more than `above` tokens
/// bills at `long`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TierPrices {
    pub short: Prices,
    pub long: Prices,
    /// The long-prompt threshold, tokens (`u64::MAX`: none).
    pub above: u64,
    /// Whether the table prices long prompts in this tier (on demand; batch
    /// never has long-prompt prices).
    pub long_priced: bool,
}

/// Index of the Standard tier in [`EngineModel::tiers`] (tiers are indexed
/// by [`ServiceTier::index`]).
pub const STANDARD: usize = ServiceTier::Standard.index();

/// A model as the engine uses it.
#[derive(Debug, Clone)]
pub struct EngineModel {
    /// The Standard tier's prices for a short prompt.
    pub prices: Prices,
    /// By service tier (priority, standard, flex; a tier the table lacks is
    /// never used: validation refuses it).
    pub tiers: Box<[TierPrices; 3]>,
    /// The context window, tokens (`u64::MAX`: not stated).
    pub context: u64,
    /// The longest prompt that needs neither a long-prompt price nor a
    /// context-window count: `min(context, every tier's threshold)`, so that
    /// the usual call takes one comparison.
    pub plain_up_to: u64,
    /// By service tier: how the tier's latency differs from the model's
    /// (`None`: it does not).
    pub timing: [Option<Timing>; 3],
    /// Whether per-request correctness and latency are drawn.
    pub routed: bool,
    /// Whether a confidence score is drawn (a non-last tier of a confidence route).
    pub scored: bool,
    pub skill: f64,
    /// Half the binormal separation, `mu/2`; 0 where no confidence is used.
    pub half_mu: f64,
    pub ttft: LogNormal,
    pub tps: LogNormal,
    /// Output tokens are capped here.
    pub max_output: u64,
}

/// A service tier's latency profile against the model's: a draw of the
/// model's is moved to the same standard normal deviate of the tier's
/// lognormal (`exp(mu' + sigma'·z)` for `z = (ln x − mu) / sigma`), so that a
/// tier's latency is the same draw as the model's, at the tier's spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub ttft: (LogNormal, LogNormal),
    pub tps: (LogNormal, LogNormal),
}

/// `x` drawn from `from`, moved to `to`.
#[inline]
fn moved(x: f64, from: &LogNormal, to: &LogNormal) -> f64 {
    let z = if from.sigma > 0.0 {
        (x.ln() - from.mu) / from.sigma
    } else {
        0.0
    };
    to.at(z)
}

impl Timing {
    /// (time to first token, full latency), ms, of a call drawn as `d`.
    #[inline]
    pub fn apply(&self, d: &ModelDraw) -> (f64, f64) {
        let ttft = moved(d.ttft, &self.ttft.0, &self.ttft.1);
        let generating = d.latency - d.ttft;
        if d.output == 0 || generating <= 0.0 {
            return (ttft, ttft);
        }
        let tps = 1000.0 * d.output as f64 / generating;
        let tps = moved(tps, &self.tps.0, &self.tps.1);
        (ttft, ttft + 1000.0 * d.output as f64 / tps)
    }
}

impl EngineModel {
    /// The prices of a call in `tier` with a prompt of `prompt` tokens: the
    /// tier's, or its long-prompt prices above its threshold. Counts in `acc`
    /// a prompt past the context window, and a long prompt the table has no
    /// price for (in batch, or in a tier without long-prompt prices), which
    /// bills at the short prices. `acc` is `None` where nothing is measured
    /// (the time engine's warm-up).
    #[inline(always)]
    pub fn priced(
        &self,
        tier: usize,
        prompt: u64,
        batch: bool,
        acc: Option<&mut PolicyAcc>,
    ) -> &Prices {
        // The usual call: one comparison.
        if tier == STANDARD && prompt <= self.plain_up_to {
            return &self.prices;
        }
        self.priced_slow(tier, prompt, batch, acc)
    }

    #[inline(never)]
    fn priced_slow(
        &self,
        tier: usize,
        prompt: u64,
        batch: bool,
        acc: Option<&mut PolicyAcc>,
    ) -> &Prices {
        let t = &self.tiers[tier];
        let long = prompt > t.above;
        let unpriced = long && (batch || !t.long_priced);
        if let Some(a) = acc {
            a.unpriced += u64::from(unpriced);
            a.beyond_context += u64::from(prompt > self.context);
        }
        if long && !unpriced { &t.long } else { &t.short }
    }

    /// (time to first token, full latency), ms, of a call drawn as `d` in
    /// service tier `tier`.
    #[inline(always)]
    pub fn timed(&self, tier: usize, d: &ModelDraw) -> (f64, f64) {
        match &self.timing[tier] {
            None => (d.ttft, d.latency),
            Some(t) => t.apply(d),
        }
    }

    /// The prices of a call in `tier` with a prompt of `prompt` tokens, and
    /// whether the table lacks a price for it (a long prompt in batch, or in a
    /// tier without long-prompt prices: billed at the short prices, counted).
    #[inline(always)]
    pub fn rates(&self, tier: usize, prompt: u64, batch: bool) -> (&Prices, bool) {
        let t = &self.tiers[tier];
        if prompt > t.above {
            if batch || !t.long_priced {
                (&t.short, true)
            } else {
                (&t.long, false)
            }
        } else {
            (&t.short, false)
        }
    }
}

/// The escalation trigger, with thresholds moved to the normal scale.
#[derive(Debug, Clone)]
pub enum EngineTrigger {
    None,
    /// `Φ⁻¹(threshold)` per tier boundary.
    Confidence(Vec<f64>),
    Validator {
        catches: f64,
        false_alarm: f64,
    },
    Classifier {
        model: usize,
        half_mu: f64,
        /// `Φ⁻¹(threshold)`.
        z_threshold: f64,
        input: TokenSampler,
        output: TokenSampler,
    },
}

/// How a policy routes one traffic class.
#[derive(Debug, Clone)]
pub struct ClassRouting {
    pub route: Vec<usize>,
    /// `None` for a one-tier route: a `Classifier` is always a two-tier route's.
    pub trigger: EngineTrigger,
    pub batch: bool,
    /// Index into [`EngineModel::tiers`] (Standard for batch).
    pub tier: usize,
}

/// A policy as the engine uses it.
#[derive(Debug, Clone)]
pub struct EnginePolicy {
    /// By class index: one lookup per request gives the route, trigger and mode.
    pub classes: Vec<ClassRouting>,
    pub caching: bool,
    /// Whether cache writes are 1-hour writes.
    pub one_hour: bool,
    /// Under `[load]`: the model a call throttled on every attempt falls back to.
    pub fallback: Option<usize>,
}

/// What one model would do on the current request.
#[derive(Debug, Clone, Copy, Default)]
pub struct ModelDraw {
    pub correct: bool,
    /// Binormal confidence score on the normal scale.
    pub z: f64,
    /// Uniform draw for the validator.
    pub v: f64,
    /// Time to first token, ms.
    pub ttft: f64,
    /// Full latency of the call, ms.
    pub latency: f64,
    /// Output tokens of the call (capped at the model's maximum).
    pub output: u64,
    /// The uniform that decided `correct` against the model's P(correct | d);
    /// NaN where an eval example decided it. Kept so that another skill can be
    /// applied to the same draw (sensitivity, [`crate::uncertain`]).
    pub u: f64,
    /// The standard normal of the confidence, before the ±mu/2 shift.
    pub zn: f64,
}

/// The draws of the current request, shared by every policy.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub class: usize,
    /// Uncached input tokens.
    pub input: u64,
    /// Prefix tokens read from the prompt cache (a hit).
    pub cache_read: u64,
    /// Prefix tokens written to the prompt cache (a miss).
    pub cache_write: u64,
    /// Per model (index = model id); only routed models are filled.
    pub models: Vec<ModelDraw>,
    /// Cost of the class's extra calls: (model, femto-dollars).
    pub extra: Vec<(usize, Femto)>,
    /// Classifier draws: score noise and standard normals for its tokens and latency.
    pub cls_noise: f64,
    pub cls_z: [f64; 4],
    /// The request's difficulty (0 where an eval example gives quality).
    pub d: f64,
    /// The uniform that decided the cache hit; NaN where none was drawn.
    pub u_hit: f64,
    /// Token counts (input, output) of each extra call, as `extra`.
    pub extra_tokens: Vec<(u64, u64)>,
}

/// A pre-routing classifier's call on one request: what it costs, how long
/// it takes, and which tier of the route it picks.
#[derive(Debug, Clone, Copy)]
pub struct ClassifierCall {
    pub model: usize,
    pub input: u64,
    pub output: u64,
    /// Its latency, ms: the route starts after it.
    pub latency: f64,
    /// The route tier it sends the request to: the first or the last.
    pub tier: usize,
}

impl EngineTrigger {
    /// The classifier's call on `req` for `route`, where this trigger is a
    /// classifier. One rule for the static and the time engine.
    #[inline(always)]
    pub fn classify(
        &self,
        req: &Request,
        route: &[usize],
        models: &[EngineModel],
    ) -> Option<ClassifierCall> {
        let EngineTrigger::Classifier {
            model,
            half_mu,
            z_threshold,
            input,
            output,
        } = self
        else {
            return None;
        };
        let cm = &models[*model];
        let (ti, to) = (input.at(req.cls_z[0], 0), output.at(req.cls_z[1], 0));
        let first_right = req.models[route[0]].correct;
        let score = req.cls_noise + if first_right { *half_mu } else { -*half_mu };
        Some(ClassifierCall {
            model: *model,
            input: ti,
            output: to,
            latency: cm.ttft.at(req.cls_z[2]) + 1000.0 * to as f64 / cm.tps.at(req.cls_z[3]),
            tier: if score >= *z_threshold {
                0
            } else {
                route.len() - 1
            },
        })
    }

    /// Whether tier `i`'s answer `d` stops the cascade (is delivered) rather
    /// than escalating. One rule for the static and the time engine.
    #[inline(always)]
    pub fn stops(&self, i: usize, d: &ModelDraw) -> bool {
        match self {
            EngineTrigger::Confidence(z) => d.z >= z[i],
            EngineTrigger::Validator {
                catches,
                false_alarm,
            } => d.v >= if d.correct { *false_alarm } else { *catches },
            _ => true,
        }
    }
}

/// Runs `req` through `policy`, adding to `acc`. Inlined into both callers (the
/// synthetic and the replay loop): it runs once per request and policy.
#[inline(always)]
pub fn route(req: &Request, policy: &EnginePolicy, models: &[EngineModel], acc: &mut PolicyAcc) {
    let c = req.class;
    let routing = &policy.classes[c];
    let (route, batch, trigger) = (&routing.route, routing.batch, &routing.trigger);
    let tier = routing.tier;
    let mut cost: Femto = 0;
    for &(m, f) in &req.extra {
        acc.cost[m][EXTRA] += f;
        acc.calls[m] += 1;
        cost += f;
    }
    // Latency of the calls before the one being made, ms.
    let mut before = 0.0;
    let (first, last) = match trigger.classify(req, route, models) {
        Some(k) => {
            let cm = &models[k.model];
            let cp = cm.priced(tier, k.input, batch, Some(acc));
            let (ci, co) = if batch {
                (cp.batch_input, cp.batch_output)
            } else {
                (cp.input, cp.output)
            };
            let (input_cost, output_cost) = (cost_of(k.input, ci), cost_of(k.output, co));
            acc.cost[k.model][INPUT] += input_cost;
            acc.cost[k.model][OUTPUT] += output_cost;
            acc.calls[k.model] += 1;
            cost += input_cost + output_cost;
            before = k.latency;
            (k.tier, k.tier)
        }
        None => (0, route.len() - 1),
    };
    let mut answered = last;
    for (i, &m) in route.iter().enumerate().take(last + 1).skip(first) {
        let model = &models[m];
        let d = &req.models[m];
        // The uncached input's cost, and the prefix's: billed as cache reads and
        // writes where the policy and the model cache it, else as input.
        let prefix = req.cache_read + req.cache_write;
        let prompt = req.input + prefix;
        let p = model.priced(tier, prompt, batch, Some(acc));
        let (input_cost, read_cost, write_cost) = if batch {
            (cost_of(req.input + prefix, p.batch_input), 0, 0)
        } else if policy.caching && p.caches && prefix > 0 {
            (
                cost_of(req.input, p.input),
                cost_of(req.cache_read, p.cache_read),
                cost_of(
                    req.cache_write,
                    if policy.one_hour {
                        p.cache_write_1h
                    } else {
                        p.cache_write
                    },
                ),
            )
        } else {
            (cost_of(req.input + prefix, p.input), 0, 0)
        };
        let output_cost = cost_of(d.output, if batch { p.batch_output } else { p.output });
        let row = &mut acc.cost[m];
        row[INPUT] += input_cost;
        row[OUTPUT] += output_cost;
        let cached_cost = read_cost + write_cost;
        if cached_cost > 0 {
            row[CACHE_READ] += read_cost;
            row[CACHE_WRITE] += write_cost;
        }
        acc.calls[m] += 1;
        cost += input_cost + cached_cost + output_cost;
        if i == last {
            break;
        }
        if trigger.stops(i, d) {
            answered = i;
            break;
        }
        before += model.timed(tier, d).1;
    }
    let delivered = &req.models[route[answered]];
    let (delivered_ttft, delivered_latency) = models[route[answered]].timed(tier, delivered);
    let class = &mut acc.classes[c];
    class.requests += 1;
    class.cost += cost;
    class.correct += delivered.correct as u64;
    if answered > 0 {
        class.escalated += 1;
        class.escalated_correct += delivered.correct as u64;
    }
    if batch {
        class.batch.record(before + delivered_latency);
    } else {
        class.e2e.record(before + delivered_latency);
        class.ttft.record(before + delivered_ttft);
    }
}
