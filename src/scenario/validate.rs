//! Turns a parsed scenario file and its pricing table into a [`Scenario`].
//!
//! Every check names the key it is about; [`crate::input`] adds the file, line and
//! column. Nothing is defaulted silently: the few optional keys have documented
//! defaults (scenarios/README.md), everything else missing is an error.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::format::{self, Mode, OneOrMany, Replay, RouteEntry, ScenarioFile};
use super::measured::{Measured, resolve};
use super::{
    ClassTargets, ClassTokens, Classifier, Difficulty, EvalClass, EvalOutcome, EvalSet, ExtraCall,
    Model, ModelId, Policy, Scenario, SyntheticTokens, Targets, TokenDist, TrafficClass, Trigger,
};
use crate::input::{Invalid, KeyPath, did_you_mean};
use crate::pricing::{LatencyKind, PriceTable, latency_spread};
use crate::spec::{
    MedianP95, NumOr, Spread, check_at_least, check_range, check_token_tail, check_tokens,
};
use crate::units::{MAX_CALL_TOKENS, MAX_REQUESTS};

/// How far the traffic shares may be from summing to 1.
const SHARE_TOLERANCE: f64 = 1e-6;
/// The most requests a month a scenario may name: 1e13 is about 3.9 million
/// requests a second, and keeps every monthly figure finite.
pub const MAX_MONTHLY_REQUESTS: f64 = 1e13;

/// The message for a number of requests per replication above [`MAX_REQUESTS`].
pub struct TooManyRequests(pub u64);

impl std::fmt::Display for TooManyRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests per replication is more than simroute runs (at most {}, about two days of one core's work); more replications narrow the interval as well",
            crate::numfmt::count(self.0 as f64),
            crate::numfmt::count(MAX_REQUESTS as f64)
        )
    }
}

/// Default steepness of the quality curve.
pub const DEFAULT_SHARPNESS: f64 = 10.0;

fn root() -> KeyPath {
    KeyPath::root()
}

/// Validates `raw` (read from `path`) against `table` (read from `pricing_path`).
pub fn validate(
    raw: &ScenarioFile,
    table: &PriceTable,
    path: &Path,
    pricing_path: &Path,
    measured: Arc<Measured>,
) -> Result<Scenario, Invalid> {
    let h = &raw.scenario;
    let replay = measured
        .options
        .replay
        .or(h.replay)
        .unwrap_or(Replay::Bootstrap);
    let hp = root().key("scenario");
    let requests = match (h.requests, raw.load.is_some()) {
        (Some(_), true) => {
            return Err(Invalid::new(
                hp.key("requests"),
                "under [load] the requests of a replication follow from the arrival rate and load.duration: remove scenario.requests",
            ));
        }
        (None, true) => 0,
        (None, false) => {
            // A commitment needs [load], which also gives the requests: say so
            // there, rather than ask for `requests`.
            if let Some(key) = raw.capacity.as_ref().and_then(|c| c.keys().next()) {
                return Err(super::capacity::needs_load(key));
            }
            return Err(Invalid::new(
                hp.key("requests"),
                "missing: the number of simulated requests per replication (or a [load] table, to simulate traffic over time)",
            ));
        }
        (Some(0), false) => {
            return Err(Invalid::new(hp.key("requests"), "must be at least 1"));
        }
        (Some(n), false) if n > MAX_REQUESTS => {
            return Err(Invalid::new(
                hp.key("requests"),
                format!("{}", TooManyRequests(n)),
            ));
        }
        (Some(n), false) => n,
    };
    if h.replications < 2 {
        return Err(Invalid::new(
            hp.key("replications"),
            format!(
                "{} is too few: a confidence interval needs at least 2 replications",
                h.replications
            ),
        ));
    }
    check_at_least(h.monthly_requests, 0.0, &hp.key("monthly_requests"))?;
    if h.monthly_requests > MAX_MONTHLY_REQUESTS {
        return Err(Invalid::new(
            hp.key("monthly_requests"),
            format!(
                "{} is more requests a month than any workload sends (at most {MAX_MONTHLY_REQUESTS:e} are accepted, about 3.9 million a second)",
                crate::numfmt::show(h.monthly_requests)
            ),
        ));
    }
    let sharpness = match h.sharpness {
        Some(s) => {
            check_at_least(s, 0.0, &hp.key("sharpness"))?;
            if s == 0.0 {
                return Err(Invalid::new(hp.key("sharpness"), "must be greater than 0"));
            }
            s
        }
        None => DEFAULT_SHARPNESS,
    };

    let (models, model_ids) = models(raw, table)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let classes = traffic(raw, &models, &model_ids, dir, &measured)?;
    let eval = eval_set(&classes, &model_ids, &measured);
    let mut requests = requests;
    let mut exact_log = None;
    if replay == Replay::Exact {
        requests = exact_replay(raw, &classes, &measured)?;
        if let Some(ClassTokens::Logged { log }) = classes.first().map(|c| &c.tokens) {
            exact_log = Some(measured.logs[*log].as_ref());
        }
    }
    let load = super::load::load(
        raw,
        h.monthly_requests,
        table,
        &models,
        &measured,
        exact_log,
    )?;
    if let (Some(l), Replay::Bootstrap) = (&load, replay) {
        requests = l.expected_requests().round() as u64;
    }
    check_shares(&classes)?;
    if raw.policy.is_empty() {
        return Err(Invalid::new(
            root().key("policy"),
            "no [[policy]]: a scenario needs at least one policy",
        ));
    }
    let mut policies = Vec::with_capacity(raw.policy.len());
    for (i, p) in raw.policy.iter().enumerate() {
        let pp = root().key("policy").index(i);
        if p.name.trim().is_empty() {
            return Err(Invalid::new(
                pp.key("name"),
                "empty: a policy needs a name, by which reports and scenario.baseline call it",
            ));
        }
        if let Some(j) = raw.policy[..i].iter().position(|q| q.name == p.name) {
            return Err(Invalid::new(
                pp.key("name"),
                format!("policy \"{}\" is already defined (policy[{j}])", p.name),
            ));
        }
        policies.push(policy(
            p,
            &pp,
            &classes,
            &models,
            &model_ids,
            eval.as_ref(),
            raw.load.is_some(),
        )?);
    }
    let baseline = match &h.baseline {
        None => 0,
        Some(b) => raw
            .policy
            .iter()
            .position(|p| &p.name == b)
            .ok_or_else(|| {
                Invalid::new(
                    hp.key("baseline"),
                    format!(
                        "no policy is named \"{b}\"{}",
                        did_you_mean(b, raw.policy.iter().map(|p| p.name.as_str()))
                    ),
                )
            })?,
    };
    let targets = match &raw.targets {
        None => Targets::default(),
        Some(t) => targets(t, &classes, &policies)?,
    };
    let scenario = Scenario {
        name: h.name.clone(),
        description: h.description.clone(),
        path: path.to_path_buf(),
        pricing_path: pricing_path.to_path_buf(),
        pricing: table.meta.clone(),
        requests,
        replications: h.replications,
        seed: h.seed,
        // Under [load], the month of the traffic simulated: `scale` and
        // `requests_per_s` change it.
        monthly_requests: load
            .as_ref()
            .map_or(h.monthly_requests, |l| l.rate_per_s * super::load::MONTH_S),
        sharpness,
        baseline,
        models,
        classes,
        policies,
        targets,
        replay,
        measured,
        eval,
        uncertainty: None,
        load,
    };
    check_usage(&scenario)?;
    super::billing::check(&scenario)?;
    check_eval(&scenario)?;
    super::load::check(&scenario)?;
    super::capacity::check(&scenario)?;
    Ok(scenario)
}

/// A quality target: a fraction in [0, 1].
fn quality_target(v: Option<f64>, path: &KeyPath) -> Result<Option<f64>, Invalid> {
    v.map(|q| check_range(q, 0.0, 1.0, path)).transpose()
}

/// A p95 latency target: more than 0 ms.
fn latency_target(v: Option<f64>, path: &KeyPath) -> Result<Option<f64>, Invalid> {
    let v = v.map(|v| check_at_least(v, 0.0, path)).transpose()?;
    if v == Some(0.0) {
        return Err(Invalid::new(path.clone(), "must be greater than 0"));
    }
    Ok(v)
}

/// `[targets]`: the scenario-wide keys, and each `[targets.CLASS]` table, which
/// must name a class that can be judged on them.
fn targets(
    t: &format::TargetsEntry,
    classes: &[TrafficClass],
    policies: &[Policy],
) -> Result<Targets, Invalid> {
    let tp = root().key("targets");
    let mut out = Targets {
        quality: quality_target(t.quality, &tp.key("quality"))?,
        p95_latency_ms: latency_target(t.p95_latency_ms, &tp.key("p95_latency_ms"))?,
        classes: Vec::new(),
    };
    for (name, c) in &t.classes {
        let cp = tp.key(name);
        let Some(index) = classes.iter().position(|k| &k.name == name) else {
            return Err(Invalid::new(
                cp,
                format!(
                    "\"{name}\" is not a traffic class of this scenario{}; [targets] takes `quality`, `p95_latency_ms`, and a table [targets.CLASS] per class with targets of its own",
                    did_you_mean(name, classes.iter().map(|k| k.name.as_str()))
                ),
            ));
        };
        let class = &classes[index];
        if c.quality.is_none() && c.p95_latency_ms.is_none() {
            return Err(Invalid::new(
                cp,
                format!(
                    "[targets.{name}] sets no target: give it `quality` and/or `p95_latency_ms`, or remove it"
                ),
            ));
        }
        if class.share == 0.0 {
            return Err(Invalid::new(
                cp,
                format!(
                    "class \"{name}\" has share 0, so no request of it is simulated and its targets cannot be judged"
                ),
            ));
        }
        let p95 = latency_target(c.p95_latency_ms, &cp.key("p95_latency_ms"))?;
        if p95.is_some() && policies.iter().all(|p| p.batch[index]) {
            let why = if class.batch {
                "its mode is \"batch\"".to_string()
            } else {
                "every policy lists it in batch_classes".to_string()
            };
            return Err(Invalid::new(
                cp.key("p95_latency_ms"),
                format!(
                    "class \"{name}\" runs on batch inference under every policy ({why}), so it has no interactive latency to hold to a p95 target; remove the key, or set a quality target only"
                ),
            ));
        }
        out.classes.push(ClassTargets {
            class: name.clone(),
            index,
            quality: quality_target(c.quality, &cp.key("quality"))?,
            p95_latency_ms: p95,
        });
    }
    out.classes.sort_by_key(|c| c.index);
    Ok(out)
}

/// Under exact replay every class comes from one log, in the log's own mix; the
/// number of requests is the number of records used.
fn exact_replay(
    raw: &ScenarioFile,
    classes: &[TrafficClass],
    measured: &Measured,
) -> Result<u64, Invalid> {
    let why = "replay = \"exact\" replays every logged request once, so the whole mix must come from one log";
    let mut log = None;
    for (i, (c, t)) in classes.iter().zip(&raw.traffic).enumerate() {
        let tp = root().key("traffic").index(i);
        match &c.tokens {
            ClassTokens::Synthetic(_) => {
                return Err(Invalid::new(
                    tp.key("log"),
                    format!("missing: {why}, and class \"{}\" has none", c.name),
                ));
            }
            ClassTokens::Logged { log: l, .. } => {
                if log.is_some_and(|x| x != *l) {
                    return Err(Invalid::new(
                        tp.key("log"),
                        format!(
                            "{why}; class \"{}\" names another log (or class_field)",
                            c.name
                        ),
                    ));
                }
                log = Some(*l);
            }
        }
        if t.share.is_some() {
            return Err(Invalid::new(
                tp.key("share"),
                format!(
                    "{why}, in the log's own shares: remove share, or use replay = \"bootstrap\""
                ),
            ));
        }
    }
    Ok(log.map(|l| measured.logs[l].summary.used).unwrap_or(0))
}

/// The eval set's outcomes by class and scenario model.
fn eval_set(
    classes: &[TrafficClass],
    ids: &BTreeMap<String, ModelId>,
    measured: &Measured,
) -> Option<EvalSet> {
    let data = measured.eval.as_ref()?;
    let ex = &data.examples;
    let model_of: Vec<Option<ModelId>> = ex.models.iter().map(|n| ids.get(n).copied()).collect();
    let mut out = vec![EvalClass::default(); classes.len()];
    for e in &ex.examples {
        // Rows were checked on reading: a class is the scenario's, and an example
        // without one belongs to the scenario's only class.
        let c = match &e.class {
            Some(name) => classes.iter().position(|c| &c.name == name)?,
            None => 0,
        };
        let mut row = vec![None; ids.len()];
        for (i, o) in e.outcomes.iter().enumerate() {
            if let (Some(o), Some(m)) = (o, model_of[i]) {
                row[m] = Some(EvalOutcome {
                    pass: o.pass,
                    confidence: o.confidence,
                });
            }
        }
        out[c].ids.push(e.id.clone());
        out[c].outcomes.push(row);
    }
    Some(EvalSet { classes: out })
}

/// Whether class `c`'s quality comes from the eval set.
fn from_eval(eval: Option<&EvalSet>, c: usize) -> bool {
    eval.is_some_and(|e| !e.classes[c].ids.is_empty())
}

/// Every example of a class must have a row for every model a policy routes the
/// class to, with a confidence where a cascade escalates on it.
fn check_eval(s: &Scenario) -> Result<(), Invalid> {
    let Some(eval) = &s.eval else { return Ok(()) };
    let file = s
        .measured
        .eval
        .as_ref()
        .map(|d| d.path.display().to_string())
        .unwrap_or_default();
    let ep = root().key("eval").key("file");
    for p in &s.policies {
        for (c, route) in p.routes.iter().enumerate() {
            let ec = &eval.classes[c];
            for (tier, &m) in route.iter().enumerate() {
                let scored =
                    matches!(p.triggers[c], Trigger::Confidence { .. }) && tier + 1 < route.len();
                for (id, row) in ec.ids.iter().zip(&ec.outcomes) {
                    let who = format!(
                        "policy \"{}\" routes class \"{}\" to \"{}\"",
                        p.name, s.classes[c].name, s.models[m].name
                    );
                    match row[m] {
                        None => {
                            return Err(Invalid::new(
                                ep.clone(),
                                format!(
                                    "{file}: example \"{id}\" has no row for model \"{}\", and {who}: every example needs a row for every model its class is routed to",
                                    s.models[m].name
                                ),
                            ));
                        }
                        Some(o) if scored && o.confidence.is_none() => {
                            return Err(Invalid::new(
                                ep.clone(),
                                format!(
                                    "{file}: example \"{id}\" has no confidence for model \"{}\", and {who} escalating on its confidence",
                                    s.models[m].name
                                ),
                            ));
                        }
                        Some(_) => {}
                    }
                }
            }
        }
    }
    Ok(())
}

fn models(
    raw: &ScenarioFile,
    table: &PriceTable,
) -> Result<(Vec<Model>, BTreeMap<String, ModelId>), Invalid> {
    if raw.models.is_empty() {
        return Err(Invalid::new(root().key("models"), "no [models.NAME] table"));
    }
    let mut models = Vec::new();
    let mut ids = BTreeMap::new();
    for (name, m) in &raw.models {
        let mp = root().key("models").key(name);
        let price = &super::billing::model_price(table, &m.price, m.profile.as_deref(), &mp)?;
        let skill = m
            .skill
            .map(|s| check_range(s, 0.0, 1.0, &mp.key("skill")))
            .transpose()?;
        let confidence_auc = m
            .confidence_auc
            .map(|a| auc(a, &mp.key("confidence_auc")))
            .transpose()?;
        let ttft_ms = match &m.ttft_ms {
            Some(s) => Some(latency_spread(s, &mp.key("ttft_ms"), LatencyKind::Ttft)?),
            None => price.ttft_ms,
        };
        let output_tokens_per_s = match &m.output_tokens_per_s {
            Some(s) => Some(latency_spread(
                s,
                &mp.key("output_tokens_per_s"),
                LatencyKind::Speed,
            )?),
            None => price.output_tokens_per_s,
        };
        let tier_latency = super::billing::tier_latency(m, price, &mp)?;
        ids.insert(name.clone(), models.len());
        models.push(Model {
            tier_latency,
            name: name.clone(),
            price: price.clone(),
            skill,
            confidence_auc,
            ttft_ms,
            output_tokens_per_s,
        });
    }
    Ok((models, ids))
}

/// An AUC must lie in [0.5, 1): below 0.5 the score is worse than a coin flip
/// (invert it), and at 1 the binormal separation is infinite.
fn auc(a: f64, path: &KeyPath) -> Result<f64, Invalid> {
    check_range(a, 0.5, 1.0, path)?;
    if a >= 1.0 {
        return Err(Invalid::new(
            path.clone(),
            "1 is out of range: an AUC must be at least 0.5 and below 1 (a perfect predictor is not a binormal score)",
        ));
    }
    Ok(a)
}

fn model_ref(
    name: &str,
    path: &KeyPath,
    ids: &BTreeMap<String, ModelId>,
) -> Result<ModelId, Invalid> {
    ids.get(name).copied().ok_or_else(|| {
        Invalid::new(
            path.clone(),
            format!(
                "\"{name}\" is not a model of this scenario{}; models are defined as [models.NAME]",
                did_you_mean(name, ids.keys().map(String::as_str))
            ),
        )
    })
}

fn tokens(raw: &NumOr<MedianP95>, path: &KeyPath) -> Result<TokenDist, Invalid> {
    tokens_capped(raw, path, MAX_CALL_TOKENS)
}

/// A token distribution whose draws are capped at `cap` (see
/// [`check_token_tail`]); a fixed count above it is an error.
fn tokens_capped(raw: &NumOr<MedianP95>, path: &KeyPath, cap: u64) -> Result<TokenDist, Invalid> {
    Ok(match raw {
        NumOr::Num(v) => {
            let n = check_tokens(*v, path)?;
            if n > cap {
                return Err(Invalid::new(
                    path.clone(),
                    format!(
                        "{n} tokens and the cached prefix of {} make a prompt of {} tokens, more than any Bedrock model reads in one call (at most {})",
                        crate::numfmt::count((MAX_CALL_TOKENS - cap) as f64),
                        crate::numfmt::count((n + MAX_CALL_TOKENS - cap) as f64),
                        crate::numfmt::count(MAX_CALL_TOKENS as f64)
                    ),
                ));
            }
            TokenDist::Fixed(n)
        }
        NumOr::Table(_) => {
            let s = Spread::from_raw(raw, path, 0.0)?;
            if s.median <= 0.0 {
                return Err(Invalid::new(
                    path.key("median"),
                    "must be greater than 0 for a lognormal",
                ));
            }
            check_token_tail(s, path, cap)?;
            if s.median == s.p95 {
                TokenDist::Fixed(s.median.round() as u64)
            } else {
                TokenDist::LogNormal(s)
            }
        }
    })
}

fn traffic(
    raw: &ScenarioFile,
    models: &[Model],
    ids: &BTreeMap<String, ModelId>,
    dir: &Path,
    measured: &Measured,
) -> Result<Vec<TrafficClass>, Invalid> {
    if raw.traffic.is_empty() {
        return Err(Invalid::new(
            root().key("traffic"),
            "no [[traffic]]: a scenario needs at least one traffic class",
        ));
    }
    // Classes with eval examples need no difficulty.
    let in_eval = |name: &str| {
        measured.eval.as_ref().is_some_and(|e| {
            e.examples.examples.iter().any(|x| match &x.class {
                Some(c) => c == name,
                None => raw.traffic.len() == 1,
            })
        })
    };
    let mut classes: Vec<TrafficClass> = Vec::new();
    for (i, t) in raw.traffic.iter().enumerate() {
        let tp = root().key("traffic").index(i);
        if t.name.trim().is_empty() {
            return Err(Invalid::new(
                tp.key("name"),
                "empty: a traffic class needs a name, by which reports, by_class, [targets] and logs' class fields call it",
            ));
        }
        if let Some(j) = classes.iter().position(|c| c.name == t.name) {
            return Err(Invalid::new(
                tp.key("name"),
                format!(
                    "traffic class \"{}\" is already defined (traffic[{j}])",
                    t.name
                ),
            ));
        }
        let (class_tokens, logged_share) = match &t.log {
            Some(log) => logged(t, &tp, resolve(dir, log), measured)?,
            None => (
                ClassTokens::Synthetic(synthetic(t, &tp, raw.load.is_some())?),
                None,
            ),
        };
        let share = match (t.share, logged_share) {
            (Some(v), _) => check_range(v, 0.0, 1.0, &tp.key("share"))?,
            (None, Some(v)) => v,
            (None, None) => {
                return Err(Invalid::new(
                    tp.key("share"),
                    "missing: the class's share of all requests (it may be left out only when the class comes from a log)",
                ));
            }
        };
        let difficulty = match &t.difficulty {
            Some(NumOr::Num(d)) => Some(Difficulty::Fixed(check_range(
                *d,
                0.0,
                1.0,
                &tp.key("difficulty"),
            )?)),
            Some(NumOr::Table(ab)) => {
                for (k, v) in [("alpha", ab.alpha), ("beta", ab.beta)] {
                    check_at_least(v, 0.0, &tp.key("difficulty").key(k))?;
                    if v == 0.0 {
                        return Err(Invalid::new(
                            tp.key("difficulty").key(k),
                            "must be greater than 0",
                        ));
                    }
                }
                Some(Difficulty::Beta {
                    alpha: ab.alpha,
                    beta: ab.beta,
                })
            }
            None if in_eval(&t.name) => None,
            None => {
                return Err(Invalid::new(
                    tp.key("difficulty"),
                    "missing: a number or { alpha, beta }; it may be left out only when the [eval] set has examples of the class",
                ));
            }
        };
        let mut extra_calls = Vec::new();
        for (k, e) in t.extra_calls.iter().flatten().enumerate() {
            let ep = tp.key("extra_calls").index(k);
            let model = model_ref(&e.model, &ep.key("model"), ids)?;
            let price = &models[model].price;
            let input_tokens = match &e.input_tokens {
                Some(r) => tokens(r, &ep.key("input_tokens"))?,
                None if price.per_request.is_some() => TokenDist::Fixed(0),
                None => {
                    return Err(Invalid::new(
                        ep.key("input_tokens"),
                        format!(
                            "missing: model \"{}\" is priced per token, so the call's input tokens must be given",
                            e.model
                        ),
                    ));
                }
            };
            let output_tokens = match &e.output_tokens {
                Some(r) => tokens(r, &ep.key("output_tokens"))?,
                None => TokenDist::Fixed(0),
            };
            if output_tokens != TokenDist::Fixed(0)
                && price.output.is_none()
                && price.per_request.is_none()
            {
                return Err(Invalid::new(
                    ep.key("output_tokens"),
                    format!(
                        "model \"{}\" ({}) has no output price: it produces no output tokens",
                        e.model, price.key
                    ),
                ));
            }
            extra_calls.push(ExtraCall {
                model,
                input_tokens,
                output_tokens,
            });
        }
        let (prefixes, max_tokens) = super::load::class_keys(t, &tp, raw.load.is_some())?;
        classes.push(TrafficClass {
            prefixes,
            max_tokens,
            name: t.name.clone(),
            share,
            tokens: class_tokens,
            difficulty,
            batch: t.mode == Some(Mode::Batch),
            extra_calls,
        });
    }
    Ok(classes)
}

/// A class's token distributions, as written.
fn synthetic(
    t: &format::TrafficEntry,
    tp: &KeyPath,
    has_load: bool,
) -> Result<SyntheticTokens, Invalid> {
    if t.class_field.is_some() {
        return Err(Invalid::new(
            tp.key("class_field"),
            "class_field names the field of a log that holds the class, but this class has no `log`",
        ));
    }
    let required = |v: Option<&NumOr<MedianP95>>, key: &str| match v {
        Some(v) => tokens(v, &tp.key(key)),
        None => Err(Invalid::new(
            tp.key(key),
            "missing: a number or { median, p95 }, or a `log` to take token counts from",
        )),
    };
    let prefix = match t.cached_prefix_tokens {
        Some(v) => check_tokens(v, &tp.key("cached_prefix_tokens"))?,
        None => 0,
    };
    // The uncached input and the cached prefix make one prompt, which no model
    // reads beyond MAX_CALL_TOKENS: the input's draws are capped at the rest.
    let input_tokens = match t.input_tokens.as_ref() {
        Some(v) => tokens_capped(v, &tp.key("input_tokens"), MAX_CALL_TOKENS - prefix)?,
        None => required(None, "input_tokens")?,
    };
    let output_tokens = required(t.output_tokens.as_ref(), "output_tokens")?;
    if output_tokens == TokenDist::Fixed(0) {
        return Err(Invalid::new(
            tp.key("output_tokens"),
            "must be at least 1: every answer has an output token",
        ));
    }
    let cache_hit_rate = match (prefix, t.cache_hit_rate) {
        (_, Some(_)) if has_load => {
            return Err(Invalid::new(
                tp.key("cache_hit_rate"),
                "under [load] the cache hit rate is an output: it follows from how often each prefix is sent within the cache's TTL; remove cache_hit_rate",
            ));
        }
        (_, None) if has_load => 0.0,
        (_, Some(r)) => check_range(r, 0.0, 1.0, &tp.key("cache_hit_rate"))?,
        (0, None) => 0.0,
        (_, None) => {
            return Err(Invalid::new(
                tp.key("cache_hit_rate"),
                "missing: cached_prefix_tokens is set, so the share of cache hits must be given",
            ));
        }
    };
    Ok(SyntheticTokens {
        input_tokens,
        output_tokens,
        cached_prefix_tokens: prefix,
        cache_hit_rate,
    })
}

/// A class with a `log` takes no token keys: the log gives them.
fn logged_keys(t: &format::TrafficEntry, tp: &KeyPath) -> Result<(), Invalid> {
    for (key, set) in [
        ("input_tokens", t.input_tokens.is_some()),
        ("output_tokens", t.output_tokens.is_some()),
        ("cached_prefix_tokens", t.cached_prefix_tokens.is_some()),
        ("cache_hit_rate", t.cache_hit_rate.is_some()),
    ] {
        if set {
            return Err(Invalid::new(
                tp.key(key),
                "the class takes its token counts (cache reads and writes included) from its `log`: remove this key, or the log",
            ));
        }
    }
    Ok(())
}

/// The checks on the file alone that concern its logs, made before the logs are
/// read, so that a mistake in the scenario is not hidden behind one in a log.
pub fn before_reading(raw: &ScenarioFile) -> Result<(), Invalid> {
    for (i, t) in raw.traffic.iter().enumerate() {
        if t.log.is_some() {
            logged_keys(t, &root().key("traffic").index(i))?;
        }
    }
    Ok(())
}

/// A class whose token counts come from a log, and its share of the log.
fn logged(
    t: &format::TrafficEntry,
    tp: &KeyPath,
    path: std::path::PathBuf,
    measured: &Measured,
) -> Result<(ClassTokens, Option<f64>), Invalid> {
    logged_keys(t, tp)?;
    let (index, data) = measured
        .log(&path, t.class_field.as_deref())
        .ok_or_else(|| Invalid::new(tp.key("log"), "the log was not read (internal error)"))?;
    let Some(records) = data.classes.get(&t.name) else {
        return Err(Invalid::new(
            tp.key("log"),
            format!(
                "{} has no usable record of class \"{}\"",
                path.display(),
                t.name
            ),
        ));
    };
    let share = records.count as f64 / data.summary.used as f64;
    Ok((ClassTokens::Logged { log: index }, Some(share)))
}

/// The shares must sum to 1.
fn check_shares(classes: &[TrafficClass]) -> Result<(), Invalid> {
    let total: f64 = classes.iter().map(|c| c.share).sum();
    if (total - 1.0).abs() > SHARE_TOLERANCE {
        let list = classes
            .iter()
            .map(|c| format!("{} = {}", c.name, crate::input::num(c.share)))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Invalid::new(
            root().key("traffic"),
            format!(
                "the shares sum to {}, not 1 ({list})",
                crate::input::num(total)
            ),
        ));
    }
    Ok(())
}

fn route(
    names: &[String],
    path: &KeyPath,
    ids: &BTreeMap<String, ModelId>,
) -> Result<Vec<ModelId>, Invalid> {
    if names.is_empty() {
        return Err(Invalid::new(
            path.clone(),
            "the route is empty: name at least one model",
        ));
    }
    let mut out = Vec::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        let id = model_ref(n, &path.index(i), ids)?;
        if out.contains(&id) {
            return Err(Invalid::new(
                path.index(i),
                format!("\"{n}\" appears twice in the route"),
            ));
        }
        out.push(id);
    }
    Ok(out)
}

/// The escalation keys of a policy, or of one class's `by_class` table.
#[derive(Clone, Copy)]
struct TriggerKeys<'a> {
    threshold: Option<&'a OneOrMany>,
    validator: Option<&'a format::ValidatorEntry>,
    classifier: Option<&'a format::ClassifierEntry>,
}

impl TriggerKeys<'_> {
    /// The names of the keys that are set.
    fn set(&self) -> Vec<&'static str> {
        [
            self.threshold.is_some().then_some("threshold"),
            self.validator.is_some().then_some("validator"),
            self.classifier.is_some().then_some("classifier"),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// A trigger as written, each number checked, before it meets a route.
#[derive(Clone)]
enum Written {
    /// One threshold for every tier boundary, or one per boundary.
    Threshold(OneOrMany),
    Validator {
        catches: f64,
        false_alarm: f64,
    },
    Classifier(Classifier),
}

/// The trigger `keys` (written at `at`) describe, its numbers checked; `None`
/// when no key is set. At most one key may be set (checked before).
fn written(
    keys: TriggerKeys,
    at: &KeyPath,
    ids: &BTreeMap<String, ModelId>,
) -> Result<Option<Written>, Invalid> {
    Ok(Some(if let Some(t) = keys.threshold {
        let tp = at.key("threshold");
        Written::Threshold(match t {
            OneOrMany::One(v) => OneOrMany::One(check_range(*v, 0.0, 1.0, &tp)?),
            OneOrMany::Many(vs) => {
                for (i, v) in vs.iter().enumerate() {
                    check_range(*v, 0.0, 1.0, &tp.index(i))?;
                }
                if vs.is_empty() {
                    return Err(Invalid::new(
                        tp,
                        "the list is empty: give one threshold per tier but the last, or a single number",
                    ));
                }
                OneOrMany::Many(vs.clone())
            }
        })
    } else if let Some(v) = keys.validator {
        let vp = at.key("validator");
        Written::Validator {
            catches: check_range(v.catches, 0.0, 1.0, &vp.key("catches"))?,
            false_alarm: check_range(v.false_alarm, 0.0, 1.0, &vp.key("false_alarm"))?,
        }
    } else if let Some(c) = keys.classifier {
        let cp = at.key("classifier");
        let model = model_ref(&c.model, &cp.key("model"), ids)?;
        Written::Classifier(Classifier {
            model,
            auc: auc(c.auc, &cp.key("auc"))?,
            threshold: check_range(c.threshold, 0.0, 1.0, &cp.key("threshold"))?,
            input_tokens: tokens(&c.input_tokens, &cp.key("input_tokens"))?,
            output_tokens: tokens(&c.output_tokens, &cp.key("output_tokens"))?,
        })
    } else {
        return Ok(None);
    }))
}

/// "1 threshold", "2 thresholds".
fn count_thresholds(n: usize) -> String {
    match n {
        1 => "1 threshold".to_string(),
        n => format!("{n} thresholds"),
    }
}

/// A route as it is written in a scenario: `["micro", "sonnet"]`.
fn route_text(r: &[ModelId], models: &[Model]) -> String {
    let names: Vec<String> = r
        .iter()
        .map(|&m| format!("\"{}\"", models[m].name))
        .collect();
    format!("[{}]", names.join(", "))
}

/// One class of a policy: its route, where the route is written, and the
/// trigger keys of its `by_class` table with where they are, if it sets any.
struct ClassRoute<'a> {
    route: Option<Vec<ModelId>>,
    at: KeyPath,
    own: Option<(TriggerKeys<'a>, KeyPath)>,
}

fn policy(
    p: &format::PolicyEntry,
    pp: &KeyPath,
    classes: &[TrafficClass],
    models: &[Model],
    ids: &BTreeMap<String, ModelId>,
    eval: Option<&EvalSet>,
    has_load: bool,
) -> Result<Policy, Invalid> {
    let default = p
        .route
        .as_ref()
        .map(|r| route(r, &pp.key("route"), ids))
        .transpose()?;
    let class_index = |name: &str, path: &KeyPath| {
        classes.iter().position(|c| c.name == name).ok_or_else(|| {
            Invalid::new(
                path.clone(),
                format!(
                    "\"{name}\" is not a traffic class of this scenario{}",
                    did_you_mean(name, classes.iter().map(|c| c.name.as_str()))
                ),
            )
        })
    };
    let policy_keys = TriggerKeys {
        threshold: p.threshold.as_ref(),
        validator: p.validator.as_ref(),
        classifier: p.classifier.as_ref(),
    };
    let set = policy_keys.set();
    if set.len() > 1 {
        return Err(Invalid::new(
            pp.key(set[1]),
            format!(
                "`{}` and `{}` are both set: a policy escalates on one trigger",
                set[0], set[1]
            ),
        ));
    }

    let mut spec: Vec<ClassRoute> = (0..classes.len())
        .map(|_| ClassRoute {
            route: default.clone(),
            at: pp.key("route"),
            own: None,
        })
        .collect();
    for (class, r) in p.by_class.iter().flatten() {
        let cp = pp.key("by_class").key(class);
        let c = class_index(class, &cp)?;
        spec[c] = match r {
            RouteEntry::One(m) => ClassRoute {
                route: Some(vec![model_ref(m, &cp, ids)?]),
                at: cp,
                own: None,
            },
            RouteEntry::Many(ms) => ClassRoute {
                route: Some(route(ms, &cp, ids)?),
                at: cp,
                own: None,
            },
            RouteEntry::Table(t) => {
                let keys = TriggerKeys {
                    threshold: t.threshold.as_ref(),
                    validator: t.validator.as_ref(),
                    classifier: t.classifier.as_ref(),
                };
                let set = keys.set();
                if set.len() > 1 {
                    return Err(Invalid::new(
                        cp.key(set[1]),
                        format!(
                            "`{}` and `{}` are both set for class \"{class}\": a class escalates on one trigger",
                            set[0], set[1]
                        ),
                    ));
                }
                let (route, at) = match &t.route {
                    Some(ms) => (route(ms, &cp.key("route"), ids)?, cp.key("route")),
                    None => match &default {
                        Some(r) => (r.clone(), pp.key("route")),
                        None => {
                            return Err(Invalid::new(
                                cp.clone(),
                                format!(
                                    "missing `route`: the by_class table of class \"{class}\" names no route, and the policy has no default `route` for it to take"
                                ),
                            ));
                        }
                    },
                };
                ClassRoute {
                    route: Some(route),
                    at,
                    own: (!set.is_empty()).then_some((keys, cp)),
                }
            }
        };
    }
    let routes: Vec<Vec<ModelId>> = spec
        .iter()
        .enumerate()
        .map(|(c, s)| {
            s.route.clone().ok_or_else(|| {
                Invalid::new(
                    pp.key("route"),
                    format!(
                        "missing: traffic class \"{}\" is not in by_class, so the policy needs a default `route`",
                        classes[c].name
                    ),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    // `class "chat" (route ["micro", "sonnet"])`, for messages.
    let who = |c: usize| {
        format!(
            "class \"{}\" (route {})",
            classes[c].name,
            route_text(&routes[c], models)
        )
    };

    // The classes that take the policy's trigger: those whose route has a
    // second tier and whose by_class table sets no trigger of its own.
    let inherit: Vec<usize> = (0..classes.len())
        .filter(|&c| routes[c].len() > 1 && spec[c].own.is_none())
        .collect();
    if let Some(k) = set.first() {
        if routes.iter().all(|r| r.len() == 1) {
            return Err(Invalid::new(
                pp.key(k),
                format!(
                    "`{k}` is set, but no route of this policy has a second tier to escalate to"
                ),
            ));
        }
        if inherit.is_empty() {
            let own: Vec<String> = (0..classes.len())
                .filter(|&c| routes[c].len() > 1 && spec[c].own.is_some())
                .map(|c| format!("\"{}\"", classes[c].name))
                .collect();
            return Err(Invalid::new(
                pp.key(k),
                format!(
                    "`{k}` is set, but every class with a second tier sets its own trigger in by_class ({}), so it applies to no route: remove it",
                    own.join(", ")
                ),
            ));
        }
    }
    if let Some(&c) = inherit.first()
        && set.is_empty()
    {
        return Err(Invalid::new(
            spec[c].at.clone(),
            format!(
                "{} has {} tiers, so it needs an escalation trigger: `threshold`, `validator` or `classifier`, for the whole policy or in the class's by_class table",
                who(c),
                routes[c].len()
            ),
        ));
    }
    let shared = written(policy_keys, pp, ids)?;
    // A list of thresholds gives one per tier boundary, so every route that
    // takes the policy's list must have as many boundaries.
    if let Some(OneOrMany::Many(vs)) = &p.threshold {
        let n = vs.len();
        if let Some(&odd) = inherit.iter().find(|&&c| routes[c].len() - 1 != n) {
            let tiers = routes[odd].len();
            let name = &classes[odd].name;
            let fits = inherit.iter().find(|&&c| routes[c].len() - 1 == n);
            let own_list = |c: usize| {
                let list = match routes[c].len() {
                    2 => "…".to_string(),
                    n => format!("[{}]", vec!["…"; n - 1].join(", ")),
                };
                match &spec[c].at {
                    at if *at == pp.key("route") => {
                        format!("{} = {{ threshold = {list} }}", classes[c].name)
                    }
                    _ => format!(
                        "{} = {{ route = {}, threshold = {list} }}",
                        classes[c].name,
                        route_text(&routes[c], models)
                    ),
                }
            };
            let message = match fits {
                // Routes of several lengths take the one list: no length fits
                // them all, so a class must have its own.
                Some(&ok) => format!(
                    "a list of {n} (one threshold per tier boundary) fits {}, of {} tiers, but not {}, of {tiers}: routes of different lengths cannot share a list; give class \"{name}\" its own {} in by_class ({}), or use a single number for every boundary",
                    who(ok),
                    routes[ok].len(),
                    who(odd),
                    if tiers == 2 {
                        "threshold".to_string()
                    } else {
                        format!("list of {}", tiers - 1)
                    },
                    own_list(odd),
                ),
                None => format!(
                    "{} for {}, of {tiers} tiers: give one per tier but the last ({}), or a single number",
                    count_thresholds(n),
                    who(odd),
                    tiers - 1
                ),
            };
            return Err(Invalid::new(pp.key("threshold"), message));
        }
    }

    let mut triggers = Vec::with_capacity(classes.len());
    for c in 0..classes.len() {
        let r = &routes[c];
        let (w, at) = match &spec[c].own {
            Some((keys, cp)) => {
                if r.len() == 1 {
                    let k = keys.set()[0];
                    return Err(Invalid::new(
                        cp.key(k),
                        format!(
                            "`{k}` is set for {}, which has one tier: there is nothing to escalate to",
                            who(c)
                        ),
                    ));
                }
                (written(*keys, cp, ids)?, cp.clone())
            }
            None if r.len() == 1 => {
                triggers.push(Trigger::None);
                continue;
            }
            None => (shared.clone(), pp.clone()),
        };
        let trigger = match w {
            None => Trigger::None,
            Some(Written::Threshold(t)) => {
                let thresholds = match t {
                    OneOrMany::One(v) => vec![v; r.len() - 1],
                    OneOrMany::Many(vs) => {
                        if vs.len() != r.len() - 1 {
                            return Err(Invalid::new(
                                at.key("threshold"),
                                format!(
                                    "{} for {}, of {} tiers: give one per tier but the last ({}), or a single number",
                                    count_thresholds(vs.len()),
                                    who(c),
                                    r.len(),
                                    r.len() - 1
                                ),
                            ));
                        }
                        vs
                    }
                };
                if !from_eval(eval, c) {
                    for &m in &r[..r.len() - 1] {
                        if models[m].confidence_auc.is_none() {
                            return Err(Invalid::new(
                                root()
                                    .key("models")
                                    .key(&models[m].name)
                                    .key("confidence_auc"),
                                format!(
                                    "missing: policy \"{}\" escalates {} on the confidence of \"{}\", so its confidence_auc must be given",
                                    p.name,
                                    who(c),
                                    models[m].name
                                ),
                            ));
                        }
                    }
                }
                Trigger::Confidence { thresholds }
            }
            Some(Written::Validator {
                catches,
                false_alarm,
            }) => Trigger::Validator {
                catches,
                false_alarm,
            },
            Some(Written::Classifier(cl)) => {
                if r.len() > 2 {
                    return Err(Invalid::new(
                        at.key("classifier"),
                        format!(
                            "a classifier chooses between the first and the last tier, but {} has {} tiers: use two",
                            who(c),
                            r.len()
                        ),
                    ));
                }
                Trigger::Classifier(cl)
            }
        };
        triggers.push(trigger);
    }

    let mut batch: Vec<bool> = classes.iter().map(|c| c.batch).collect();
    for (i, name) in p.batch_classes.iter().flatten().enumerate() {
        batch[class_index(name, &pp.key("batch_classes").index(i))?] = true;
    }
    let (prompt_caching, cache_ttl) = super::load::caching(p, pp)?;
    let tiers = super::billing::service_tiers(p, pp, classes)?;
    Ok(Policy {
        tiers,
        name: p.name.clone(),
        routes,
        triggers,
        batch,
        prompt_caching,
        cache_ttl,
        fallback: super::load::on_throttle(p, pp, ids, has_load)?,
    })
}

/// Checks that every model is used in a way its prices and profile allow.
fn check_usage(s: &Scenario) -> Result<(), Invalid> {
    let model_path = |m: ModelId| root().key("models").key(&s.models[m].name);
    for (pi, p) in s.policies.iter().enumerate() {
        let pp = root().key("policy").index(pi);
        let mut called: Vec<(ModelId, usize, bool)> = Vec::new(); // (model, class, generates)
        for (c, r) in p.routes.iter().enumerate() {
            called.extend(r.iter().map(|&m| (m, c, true)));
            if let Trigger::Classifier(cl) = &p.triggers[c] {
                called.push((cl.model, c, cl.output_tokens != TokenDist::Fixed(0)));
            }
        }
        for &(m, c, generates) in &called {
            let model = &s.models[m];
            let price = &model.price;
            let who = format!(
                "policy \"{}\" sends traffic class \"{}\" to \"{}\" ({})",
                p.name, s.classes[c].name, model.name, price.key
            );
            if price.per_request.is_some() {
                return Err(Invalid::new(
                    pp.clone(),
                    format!(
                        "{who}, which is priced per request (a rerank model) and cannot answer"
                    ),
                ));
            }
            if generates && price.output.is_none() {
                return Err(Invalid::new(
                    pp.clone(),
                    format!(
                        "{who}, which has no output price (an embeddings model) and cannot answer"
                    ),
                ));
            }
            if p.batch[c] && price.batch_input.is_none() {
                return Err(Invalid::new(
                    pp.clone(),
                    format!(
                        "{who} on batch inference, but the pricing table has no batch_input/batch_output for it"
                    ),
                ));
            }
            for (key, have) in [
                ("ttft_ms", model.ttft_ms.is_some()),
                ("output_tokens_per_s", model.output_tokens_per_s.is_some()),
            ] {
                if !have {
                    return Err(Invalid::new(
                        model_path(m).key(key),
                        format!(
                            "missing: {who}, so it needs a latency profile; set it here or in the pricing table"
                        ),
                    ));
                }
            }
        }
        for (c, r) in p.routes.iter().enumerate() {
            if from_eval(s.eval.as_ref(), c) {
                continue;
            }
            for &m in r {
                if s.models[m].skill.is_none() {
                    return Err(Invalid::new(
                        model_path(m).key("skill"),
                        format!(
                            "missing: policy \"{}\" routes requests to \"{}\", so its skill must be given",
                            p.name, s.models[m].name
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}
