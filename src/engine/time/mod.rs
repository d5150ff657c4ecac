//! Traffic over time (`[load]`): the same engine, with an arrival clock and the
//! state that calls read and write.
//!
//! Each request is drawn exactly as in a static run ([`Engine::draw`], request
//! `i` of a replication from the random stream of chunk `i / CHUNK`), and each
//! policy routes it by the same rules ([`plan`] follows [`super::policy::route`]
//! decision for decision). Time adds three things, per policy (each policy is
//! its own world, with its own cache and quotas, fed the same arrivals):
//!
//! - when each call starts: at the request's arrival, or when the call before
//!   it in the cascade ends, or after a throttled attempt's backoff;
//! - whether its prefix is a cache hit: the same prefix read or written on the
//!   same model within the policy's TTL ([`state::Entry`]);
//! - whether the model's quotas let it start ([`state::Bucket`]).
//!
//! Within a replication, time runs in order on one thread: a queue of pending
//! call starts and ends ([`queue::EventQueue`], a radix heap), ties taken in
//! the order they were scheduled, so the output does not depend on the number
//! of threads. Replications run in parallel. Memory: the calls in flight (a
//! slot each, and its steps in one arena, reused as calls finish), one cache
//! entry per prefix, model and policy, and one bucket per quota and policy;
//! not the requests.

pub mod capacity;
pub mod figures;
mod queue;
pub mod results;
pub mod state;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus as Rng64;
use rayon::prelude::*;

use super::accounting::{CACHE_READ, CACHE_WRITE, EXTRA, INPUT, OUTPUT, PolicyAcc, RepFigures};
use super::policy::{EnginePolicy, Request, route};
use super::summary::Summary;
use super::{CHUNK, Engine, mix, stream_seed};
use super::{Pooled, Raw};
use crate::input::InputError;
use crate::scenario::Scenario;
use crate::scenario::load::{CacheTtl, Load};
use crate::scenario::measured::{Digest, Logged, class_of, pack};
use crate::units::{Femto, cost_of};
use capacity::{CapAcc, CapBuckets};
use figures::{MinuteSeries, TimeAcc};
use queue::EventQueue;
use state::{Arrivals, Bucket, Entry, Picker, Secs, backoff};

/// What the time engine needs beyond the static engine, compiled.
#[derive(Debug, Clone)]
pub struct TimeEngine {
    load: Load,
    /// Per model: the index of its quota, if any.
    quota_of: Vec<Option<usize>>,
    /// Per quota: its buckets' (quota, window) pairs.
    buckets: Vec<Vec<(f64, Secs, Kind)>>,
    /// Per model: the index of the commitment on its pricing key, if any.
    cap_of: Vec<Option<usize>>,
    /// Per policy: USD per request of the commitments it pays for (those on
    /// a pricing key it calls on demand): their fixed bill a month ÷ the
    /// month's requests.
    fixed_per_request: Vec<f64>,
    /// Per policy and commitment: whether the policy pays for it.
    charged: Vec<Vec<bool>>,
    /// Per model: quota tokens per output token.
    burndown: Vec<f64>,
    /// Per model: the output tokens reserved where a class sets no max_tokens.
    max_output: Vec<u64>,
    /// Per model: fewest prefix tokens cached.
    min_cache: Vec<u64>,
    /// Per model: prompt tokens per second saved on a hit (ms per token).
    prefill_ms_per_token: Vec<f64>,
    /// Per class: how a request picks its prefix, and the prefixes' offset in
    /// a model's block of cache entries.
    pickers: Vec<Picker>,
    class_base: Vec<usize>,
    prefixes_total: usize,
    /// Per class: max_tokens.
    max_tokens: Vec<Option<u64>>,
    /// Per policy and model: the cache's TTL (s): the policy's, or 5 minutes
    /// on a model without a 1-hour cache; and per policy the block of each model that it
    /// caches on.
    ttl: Vec<Vec<Secs>>,
    cache_block: Vec<Vec<Option<usize>>>,
    /// Step slots per flight: the longest route, plus one for a fallback.
    stride: usize,
}

/// What a bucket counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Requests,
    Tokens,
}

impl TimeEngine {
    /// The index in a world's cache of the entry of `prefix` of `class` on
    /// model `m` under policy `pi` (whose model caches).
    #[inline]
    fn cache_slot(&self, pi: usize, m: usize, class: usize, prefix: u32) -> usize {
        let b = self.cache_block[pi][m].unwrap_or(0);
        b * self.prefixes_total + self.class_base[class] + prefix as usize
    }

    pub fn new(s: &Scenario, load: &Load) -> TimeEngine {
        let quota_of = s
            .models
            .iter()
            .map(|m| load.quotas.iter().position(|q| q.key == m.price.key))
            .collect();
        let buckets = load
            .quotas
            .iter()
            .map(|q| {
                let mut b = Vec::new();
                b.extend(q.rpm.map(|v| (v, 60.0, Kind::Requests)));
                b.extend(q.tpm.map(|v| (v, 60.0, Kind::Tokens)));
                b.extend(q.tpd.map(|v| (v, 86_400.0, Kind::Tokens)));
                b
            })
            .collect();
        let burndown = s
            .models
            .iter()
            .map(|m| {
                load.quota(&m.price.key)
                    .map_or(m.price.output_burndown, |q| q.burndown)
            })
            .collect();
        let mut class_base = Vec::new();
        let mut total = 0usize;
        for c in &s.classes {
            class_base.push(total);
            total += c.prefixes.count as usize;
        }
        let cache_block = s
            .policies
            .iter()
            .map(|p| {
                let mut next = 0;
                (0..s.models.len())
                    .map(|m| {
                        let caches = p.prompt_caching && s.models[m].price.caches();
                        (caches && p.calls_on_demand(m)).then(|| {
                            next += 1;
                            next - 1
                        })
                    })
                    .collect()
            })
            .collect();
        let cap_of = s
            .models
            .iter()
            .map(|m| load.capacities.iter().position(|c| c.key == m.price.key))
            .collect();
        let charged: Vec<Vec<bool>> = s
            .policies
            .iter()
            .map(|p| load.capacities.iter().map(|c| c.paid_by(s, p)).collect())
            .collect();
        let fixed_per_request = charged
            .iter()
            .map(|charged| {
                let month: f64 = load
                    .capacities
                    .iter()
                    .zip(charged)
                    .filter(|(_, c)| **c)
                    .map(|(c, _)| c.fixed_per_month())
                    .sum();
                if month > 0.0 {
                    month / s.monthly_requests.max(f64::MIN_POSITIVE)
                } else {
                    0.0
                }
            })
            .collect();
        TimeEngine {
            load: load.clone(),
            quota_of,
            buckets,
            cap_of,
            fixed_per_request,
            charged,
            burndown,
            max_output: s
                .models
                .iter()
                .map(|m| m.price.max_output_tokens.unwrap_or(0))
                .collect(),
            min_cache: s.models.iter().map(|m| m.price.cache_min_tokens).collect(),
            prefill_ms_per_token: s
                .models
                .iter()
                .map(|m| m.price.prefill_tokens_per_s.map_or(0.0, |r| 1000.0 / r))
                .collect(),
            pickers: s.classes.iter().map(|c| Picker::new(&c.prefixes)).collect(),
            class_base,
            prefixes_total: total,
            max_tokens: s.classes.iter().map(|c| c.max_tokens).collect(),
            ttl: s
                .policies
                .iter()
                .map(|p| {
                    s.models
                        .iter()
                        .map(|m| {
                            if m.price.cache_write_1h.is_some() {
                                p.cache_ttl.seconds()
                            } else {
                                CacheTtl::FiveMinutes.seconds()
                            }
                        })
                        .collect()
                })
                .collect(),
            cache_block,
            stride: s
                .policies
                .iter()
                .flat_map(|p| p.routes.iter())
                .map(|r| r.len())
                .max()
                .unwrap_or(1)
                .max(1)
                + 1,
        }
    }
}

/// One call of a request's plan.
#[derive(Debug, Clone, Copy, Default)]
struct Step {
    input: u64,
    output: u64,
    ttft: f64,
    latency: f64,
    model: u32,
    correct: bool,
}

/// A request in flight under one policy. Its steps live apart, in the
/// replication's step arena at `[f * stride, (f + 1) * stride)`: the calls the
/// policy's routing makes, in order (the last one answers), then the
/// fallback's call where the policy has one. The fields an event reads first
/// come first (one cache line).
#[derive(Debug, Clone, Default)]
struct Flight {
    policy: u32,
    class: u32,
    /// The step being made (`n`: the fallback), the steps of the route.
    k: u32,
    n: u32,
    /// Attempts made at the current call.
    attempts: u32,
    /// The picked prefix.
    prefix: u32,
    /// Whether the current event is the current call's end (else its start).
    ending: bool,
    /// Whether the current call is served by a commitment (it took no quota).
    covered: bool,
    measured: bool,
    /// Whether the answering call is past the first tier (an escalation).
    escalated: bool,
    /// Whether the policy has a fallback (in slot `n`).
    has_fallback: bool,
    /// The current call's reservation (quota tokens) and what it settles to.
    reserved: f64,
    settled: f64,
    /// Cacheable prefix tokens (every call of the request sends them).
    prefix_tokens: u64,
    arrival: Secs,
    /// The current call's start.
    started: Secs,
    /// Time to first token the current call saves on a cache hit, ms.
    saved_ms: f64,
    /// Femto-dollars billed so far.
    cost: Femto,
}

impl Flight {
    #[inline]
    fn on_fallback(&self) -> bool {
        self.k == self.n
    }
}

/// One policy's world in one replication.
struct World {
    cache: Vec<Entry>,
    /// Per quota: its buckets.
    buckets: Vec<Vec<Bucket>>,
    /// Per commitment: its buckets and counters.
    caps: Vec<CapBuckets>,
    cap_acc: Vec<CapAcc>,
    rng: Rng64,
    acc: PolicyAcc,
    time: TimeAcc,
}

/// One replication of the time engine: its accumulators by policy, and the
/// per-minute series of the measured period where `series` is asked for.
pub struct TimeRep {
    pub accs: Vec<PolicyAcc>,
    pub time: Vec<TimeAcc>,
    /// By policy, per commitment.
    pub caps: Vec<Vec<CapAcc>>,
    pub series: Option<Vec<MinuteSeries>>,
}

impl Engine {
    /// Runs replications `reps` of traffic over time, in parallel, and returns
    /// them in order; replication 0 keeps its per-minute series.
    pub fn time_group(
        &self,
        t: &TimeEngine,
        seed: u64,
        reps: std::ops::Range<u32>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<TimeRep>, InputError> {
        reps.into_par_iter()
            .map(|rep| self.time_replication(t, seed, rep, rep == 0, progress))
            .collect()
    }

    /// One replication of traffic over time.
    pub fn time_replication(
        &self,
        t: &TimeEngine,
        seed: u64,
        rep: u32,
        series: bool,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<TimeRep, InputError> {
        let load = &t.load;
        let boot = self.resample_eval(seed, rep);
        let end = load.warmup_s + load.duration_s;
        let minutes = (load.duration_s / 60.0).ceil() as usize;
        let mut worlds: Vec<World> = self
            .policies
            .iter()
            .enumerate()
            .map(|(pi, _)| World {
                cache: vec![
                    Entry::default();
                    t.cache_block[pi].iter().flatten().count() * t.prefixes_total
                ],
                buckets: t
                    .buckets
                    .iter()
                    .map(|b| b.iter().map(|&(q, w, _)| Bucket::new(q, w)).collect())
                    .collect(),
                caps: load.capacities.iter().map(CapBuckets::new).collect(),
                cap_acc: load
                    .capacities
                    .iter()
                    .map(|_| CapAcc::new(minutes))
                    .collect(),
                rng: Rng64::seed_from_u64(mix(stream_seed(seed, rep, u64::MAX - 2 - pi as u64))),
                acc: PolicyAcc::new(self.models.len(), self.classes.len()),
                time: TimeAcc::new(self.models.len(), self.classes.len(), minutes, series),
            })
            .collect();
        let mut clock = Rng64::seed_from_u64(mix(stream_seed(seed, rep, u64::MAX - 1)));
        let mut arrivals = Arrivals::new(load.rate_per_s, &load.profile, load.warmup_s);
        // Exact replay: the arrivals are the log's records, in time order,
        // read by a thread of their own.
        let exact = load.exact_origin_ms.zip(self.exact.as_ref());
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(Secs, usize, Logged)>>(4);
        let mut batch: std::vec::IntoIter<(Secs, usize, Logged)> = Vec::new().into_iter();
        let mut logged: Option<(usize, Logged)> = None;
        let reader = exact.map(|(origin, log)| {
            let log = log.clone();
            std::thread::spawn(move || read_in_order(&log, origin, tx))
        });
        let mut next_arrival = |clock: &mut Rng64, logged: &mut Option<(usize, Logged)>| -> Secs {
            if exact.is_none() {
                return arrivals.next(clock);
            }
            loop {
                if let Some((at, c, r)) = batch.next() {
                    *logged = Some((c, r));
                    return at;
                }
                match recv_helping(&rx) {
                    Some(b) => batch = b.into_iter(),
                    None => return f64::INFINITY,
                }
            }
        };
        let mut heap = EventQueue::default();
        let mut flights: Vec<Flight> = Vec::new();
        let mut steps: Vec<Step> = Vec::new();
        let stride = t.stride;
        let mut free: Vec<u32> = Vec::new();
        let mut req = self.new_request();
        let mut rng = Rng64::seed_from_u64(0);
        let mut i = 0u64;
        let mut reported = 0u64;
        // The time of the last event: when the run ended.
        let mut last_at: Secs = end;
        let mut next = next_arrival(&mut clock, &mut logged);
        loop {
            // Every event up to the next arrival (or all, after the last).
            while let Some((bits, _)) = heap.peek() {
                let at = f64::from_bits(bits);
                if next < end && at > next {
                    break;
                }
                let Some((_, f)) = heap.pop() else { break };
                last_at = at;
                let f = f as usize;
                // The next event's flight is, most often, the queue's next:
                // fetch its lines while this one is handled (the flights and
                // their steps are megabytes, touched in no order).
                if let Some((_, g)) = heap.peek() {
                    let g = g as usize;
                    prefetch(&flights[g]);
                    prefetch(&steps[g * stride..(g + 1) * stride]);
                }
                let fl = &mut flights[f];
                let st = &steps[f * stride..(f + 1) * stride];
                match self.event(t, &mut worlds, fl, st, at) {
                    Some(when) => heap.push(when.to_bits(), f as u32),
                    None => free.push(f as u32),
                }
            }
            if next >= end {
                break;
            }
            if i.is_multiple_of(CHUNK) {
                rng = Rng64::seed_from_u64(stream_seed(seed, rep, i / CHUNK));
                if i > 0 {
                    progress(CHUNK);
                    reported += CHUNK;
                }
            }
            match logged.take() {
                Some((c, r)) => {
                    req.class = c;
                    let output = self.set_tokens(&mut req, &r);
                    self.draw_outcomes(&mut rng, &boot, output, &mut req);
                }
                None => self.draw(&mut rng, &boot, &mut req),
            }
            let prefix = t.pickers[req.class].pick(&mut clock);
            let measured = next >= load.warmup_s;
            for (pi, p) in self.policies.iter().enumerate() {
                let w = &mut worlds[pi];
                if p.classes[req.class].batch {
                    // Batch has its own quotas and no cache: as in a static run.
                    if measured {
                        route(&req, p, &self.models, &mut w.acc);
                        w.time.requests += 1;
                    }
                    continue;
                }
                let f = match free.pop() {
                    Some(f) => f as usize,
                    None => {
                        flights.push(Flight::default());
                        steps.resize(steps.len() + stride, Step::default());
                        flights.len() - 1
                    }
                };
                let fl = &mut flights[f];
                let st = &mut steps[f * stride..(f + 1) * stride];
                let before = self.plan(t, &req, p, pi, fl, st, measured.then_some(&mut w.acc));
                fl.arrival = next;
                fl.measured = measured;
                fl.prefix = prefix as u32;
                let start = next + before / 1000.0;
                let when = if before > 0.0 {
                    Some(start)
                } else {
                    self.event(t, &mut worlds, fl, st, start)
                };
                match when {
                    Some(when) => heap.push(when.to_bits(), f as u32),
                    None => free.push(f as u32),
                }
            }
            i += 1;
            next = next_arrival(&mut clock, &mut logged);
        }
        progress(i - reported);
        // A reader still sending finds the channel closed and ends.
        drop(rx);
        if let Some(reader) = reader {
            match reader.join() {
                Ok(r) => r?,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        let drained = last_at.max(end);
        let mut accs = Vec::with_capacity(worlds.len());
        let mut time = Vec::with_capacity(worlds.len());
        let mut caps = Vec::with_capacity(worlds.len());
        let mut all_series = series.then(Vec::new);
        for (pi, mut w) in worlds.into_iter().enumerate() {
            // Writes still unread whose entry expired before the run ended
            // were wasted; those still alive are not counted either way.
            for (m, block) in t.cache_block[pi].iter().enumerate() {
                if let Some(b) = block {
                    let entries = &w.cache[b * t.prefixes_total..(b + 1) * t.prefixes_total];
                    for e in entries {
                        if e.unread > 0 && e.last + t.ttl[pi][m] < drained {
                            w.time.wasted_tokens[m] += e.unread;
                        }
                    }
                }
            }
            w.time.finish();
            if let Some(s) = all_series.as_mut() {
                s.push(w.time.take_series());
            }
            accs.push(w.acc);
            time.push(w.time);
            caps.push(w.cap_acc);
        }
        Ok(TimeRep {
            accs,
            time,
            caps,
            series: all_series,
        })
    }

    /// Fills `fl` and its step slots `st` with policy `p`'s plan for `req`:
    /// the calls of its route that its trigger makes, as [`route`] decides
    /// them, then the fallback's. Bills the extra calls and a classifier's
    /// call (into `acc`, where the request is measured) and returns the
    /// classifier's latency, ms (the route starts after it).
    #[allow(clippy::too_many_arguments)]
    fn plan(
        &self,
        t: &TimeEngine,
        req: &Request,
        p: &EnginePolicy,
        pi: usize,
        fl: &mut Flight,
        st: &mut [Step],
        mut acc: Option<&mut PolicyAcc>,
    ) -> f64 {
        let c = req.class;
        let routing = &p.classes[c];
        let route = &routing.route;
        fl.policy = pi as u32;
        fl.class = c as u32;
        fl.k = 0;
        fl.attempts = 0;
        fl.ending = false;
        fl.cost = 0;
        fl.prefix_tokens = req.cache_read + req.cache_write;
        for &(m, f) in &req.extra {
            if let Some(a) = acc.as_deref_mut() {
                a.cost[m][EXTRA] += f;
                a.calls[m] += 1;
            }
            fl.cost += f;
        }
        let step = |m: usize| -> Step {
            let d = &req.models[m];
            let (ttft, latency) = self.models[m].timed(routing.tier, d);
            let mut s = Step {
                model: m as u32,
                input: req.input,
                output: d.output,
                ttft,
                latency,
                correct: d.correct,
            };
            if let Some(max) = t.max_tokens[c]
                && s.output > max
            {
                // Bedrock stops at max_tokens: fewer tokens generated.
                let generating = s.latency - s.ttft;
                s.latency = s.ttft + generating * max as f64 / s.output as f64;
                s.output = max;
            }
            s
        };
        let mut before = 0.0;
        let (first, last) = match routing.trigger.classify(req, route, &self.models) {
            Some(k) => {
                let cm =
                    self.models[k.model].priced(routing.tier, k.input, false, acc.as_deref_mut());
                let (ic, oc) = (cost_of(k.input, cm.input), cost_of(k.output, cm.output));
                if let Some(a) = acc {
                    a.cost[k.model][INPUT] += ic;
                    a.cost[k.model][OUTPUT] += oc;
                    a.calls[k.model] += 1;
                }
                fl.cost += ic + oc;
                before = k.latency;
                (k.tier, k.tier)
            }
            None => (0, route.len() - 1),
        };
        let mut answered = last;
        let mut n = 0;
        for (i, &m) in route.iter().enumerate().take(last + 1).skip(first) {
            st[n] = step(m);
            n += 1;
            if i == last {
                break;
            }
            if routing.trigger.stops(i, &req.models[m]) {
                answered = i;
                break;
            }
        }
        fl.n = n as u32;
        fl.escalated = answered > 0;
        fl.has_fallback = p.fallback.is_some();
        if let Some(m) = p.fallback {
            st[n] = step(m);
        }
        before
    }

    /// Handles the pending event of flight `fl` (steps `st`) at time `at`: a
    /// call's start (an attempt) or its end. Returns the time of the flight's
    /// next event, or `None` when the request is finished (its slot free).
    fn event(
        &self,
        t: &TimeEngine,
        worlds: &mut [World],
        fl: &mut Flight,
        st: &[Step],
        at: Secs,
    ) -> Option<Secs> {
        let pi = fl.policy as usize;
        let class = fl.class as usize;
        let w = &mut worlds[pi];
        if fl.ending {
            let m = st[fl.k as usize].model as usize;
            if let Some(q) = t.quota_of[m].filter(|_| !fl.covered) {
                for (b, &(_, _, kind)) in w.buckets[q].iter_mut().zip(&t.buckets[q]) {
                    if kind == Kind::Tokens {
                        b.give(at, fl.reserved - fl.settled);
                    }
                }
            }
            fl.ending = false;
            if fl.on_fallback() || fl.k + 1 == fl.n {
                self.finish(fl, st, w, at, true);
                return None;
            }
            fl.k += 1;
            fl.attempts = 0;
        }
        // A start: an attempt at the current call (again on the fallback's,
        // where this one is throttled on every attempt).
        loop {
            let step = st[fl.k as usize];
            let m = step.model as usize;
            let prefix = fl.prefix_tokens;
            let caches = t.cache_block[pi][m].is_some() && prefix > 0 && prefix >= t.min_cache[m];
            fl.attempts += 1;
            if fl.measured {
                w.time.attempts[m] += 1;
            }
            // A commitment on the model's pricing key serves the call if its
            // tokens fit (input + cache write, output): then it takes no
            // quota; else it overflows to on demand, or is throttled.
            fl.covered = false;
            let mut refused = false;
            if let Some(ci) = t.cap_of[m] {
                let hit = caches && {
                    let e = &w.cache[t.cache_slot(pi, m, class, fl.prefix)];
                    at - e.last <= t.ttl[pi][m]
                };
                let input = if caches && hit {
                    step.input
                } else {
                    step.input + prefix
                };
                fl.covered = w.caps[ci].serve(at, input, step.output);
                refused = !fl.covered
                    && t.load.capacities[ci].overflow
                        == crate::scenario::capacity::Overflow::Throttle;
                if fl.measured {
                    w.cap_acc[ci].attempts += 1;
                    w.cap_acc[ci].refused += refused as u64;
                }
            }
            let quota = if fl.covered || refused {
                None
            } else {
                t.quota_of[m]
            };
            let mut reserve = 0.0;
            let mut ok = !refused;
            if let Some(q) = quota {
                let out_reserved = t.max_tokens[class].unwrap_or(t.max_output[m]);
                // Reserved: the whole prompt, cache reads included, and max_tokens.
                reserve = (step.input + prefix + out_reserved) as f64;
                ok = w.buckets[q].iter_mut().zip(&t.buckets[q]).all(
                    |(b, &(_, _, kind))| match kind {
                        Kind::Requests => b.holds(at, 1.0),
                        Kind::Tokens => b.holds(at, reserve),
                    },
                );
            }
            if !ok {
                if fl.measured {
                    w.time.throttled[m] += 1;
                }
                if fl.attempts < t.load.retry.max_attempts {
                    if fl.measured {
                        w.time.retries += 1;
                    }
                    return Some(at + backoff(&mut w.rng, fl.attempts));
                }
                if !fl.on_fallback() && fl.has_fallback && st[fl.n as usize].model as usize != m {
                    fl.k = fl.n;
                    fl.attempts = 0;
                    if fl.measured {
                        w.time.fell_back += 1;
                    }
                    continue;
                }
                self.finish(fl, st, w, at, false);
                return None;
            }
            if let Some(q) = quota {
                for (b, &(_, _, kind)) in w.buckets[q].iter_mut().zip(&t.buckets[q]) {
                    b.take(if kind == Kind::Requests { 1.0 } else { reserve });
                }
                fl.reserved = reserve;
            }
            // The prompt cache: a hit if the prefix was read or written on this
            // model within the TTL.
            let mut hit = false;
            if caches {
                let e = &mut w.cache[t.cache_slot(pi, m, class, fl.prefix)];
                hit = at - e.last <= t.ttl[pi][m];
                if hit {
                    e.unread = 0;
                } else {
                    if e.unread > 0 {
                        w.time.wasted_tokens[m] += e.unread;
                    }
                    e.unread = if fl.measured { prefix } else { 0 };
                }
                e.last = at;
                if fl.measured {
                    w.time.lookup(m, class, hit);
                }
            }
            let (cache_read, cache_write) = match (caches, hit) {
                (false, _) => (0, 0),
                (true, true) => (prefix, 0),
                (true, false) => (0, prefix),
            };
            // Billing, as a static run bills a call.
            let model = &self.models[m];
            let p = &self.policies[pi];
            let prompt = step.input + prefix;
            let pr = model.priced(
                p.classes[class].tier,
                prompt,
                false,
                fl.measured.then_some(&mut w.acc),
            );
            let write_price = if p.one_hour {
                pr.cache_write_1h
            } else {
                pr.cache_write
            };
            let input_cost = if caches {
                cost_of(step.input, pr.input)
            } else {
                cost_of(step.input + prefix, pr.input)
            };
            let read_cost = cost_of(cache_read, pr.cache_read);
            let write_cost = cost_of(cache_write, write_price);
            let output_cost = cost_of(step.output, pr.output);
            let call_cost = input_cost + read_cost + write_cost + output_cost;
            let cap = t.cap_of[m];
            if let (Some(ci), true) = (cap, fl.measured) {
                if fl.covered {
                    w.cap_acc[ci].covered_cost += call_cost;
                } else {
                    w.cap_acc[ci].overflow_cost += call_cost;
                }
            }
            if fl.covered {
                // Served by the commitment: nothing billed on demand.
                if fl.measured {
                    w.acc.calls[m] += 1;
                }
            } else if fl.measured {
                let row = &mut w.acc.cost[m];
                row[INPUT] += input_cost;
                row[OUTPUT] += output_cost;
                if read_cost + write_cost > 0 {
                    row[CACHE_READ] += read_cost;
                    row[CACHE_WRITE] += write_cost;
                }
                w.acc.calls[m] += 1;
            }
            if !fl.covered {
                fl.cost += call_cost;
            }
            // The quota tokens the call settles to: cache reads do not count.
            let uncached = if caches {
                step.input
            } else {
                step.input + prefix
            };
            fl.settled = (uncached + cache_write) as f64 + step.output as f64 * t.burndown[m];
            if at >= t.load.warmup_s && at < t.load.warmup_s + t.load.duration_s {
                let minute = ((at - t.load.warmup_s) / 60.0) as usize;
                if let Some(ci) = cap {
                    w.cap_acc[ci].started(
                        minute,
                        (uncached + cache_write, step.output),
                        fl.covered,
                        (input_cost + read_cost + write_cost, output_cost),
                    );
                }
                w.time.started(
                    m,
                    minute,
                    fl.settled,
                    uncached + cache_read + cache_write,
                    step.output,
                );
            }
            // A hit skips the prefix's prefill: the first token comes sooner.
            let saved = if hit {
                (cache_read as f64 * t.prefill_ms_per_token[m]).min(step.ttft * 0.999)
            } else {
                0.0
            };
            fl.started = at;
            fl.saved_ms = saved;
            fl.ending = true;
            return Some(at + (step.latency - saved) / 1000.0);
        }
    }

    /// Records a finished request: answered (`ok`) or failed.
    fn finish(&self, fl: &Flight, st: &[Step], w: &mut World, at: Secs, ok: bool) {
        if !fl.measured {
            return;
        }
        let class = &mut w.acc.classes[fl.class as usize];
        class.requests += 1;
        class.cost += fl.cost;
        w.time.requests += 1;
        if !ok {
            w.time.failed += 1;
            return;
        }
        let step = &st[fl.k as usize];
        class.correct += step.correct as u64;
        if fl.escalated && !fl.on_fallback() {
            class.escalated += 1;
            class.escalated_correct += step.correct as u64;
        }
        class.e2e.record((at - fl.arrival) * 1000.0);
        class
            .ttft
            .record((fl.started - fl.arrival) * 1000.0 + step.ttft - fl.saved_ms);
    }
}

/// Asks the CPU to bring the cache lines of `v` in, without waiting for them.
#[inline(always)]
fn prefetch<T: ?Sized>(v: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = v as *const T as *const i8;
        let len = std::mem::size_of_val(v);
        let mut off = 0;
        while off < len {
            // SAFETY: a prefetch is a hint: it reads nothing into the program
            // and never faults, and `p + off` is within `v`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.add(off)) };
            off += 64;
        }
        // SAFETY: as above; the last byte of `v` (its last line).
        if len > 0 {
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.add(len - 1)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

impl TimeRep {
    /// This replication's figures by policy, time figures included; a
    /// policy's cost includes its commitments' fixed bill.
    pub fn figures(&self, e: &Engine, t: &TimeEngine) -> Vec<RepFigures> {
        self.accs
            .iter()
            .zip(&self.time)
            .zip(&e.policies)
            .enumerate()
            .map(|(pi, ((acc, time), p))| {
                let write: Vec<_> = e
                    .models
                    .iter()
                    .map(|m| {
                        if p.one_hour {
                            m.prices.cache_write_1h
                        } else {
                            m.prices.cache_write
                        }
                    })
                    .collect();
                let mut f = acc.figures();
                let mut tf = time.figures(&write);
                tf.capacity = self.caps[pi]
                    .iter()
                    .zip(&t.load.capacities)
                    .map(|(c, cap)| c.figures(cap, time.requests))
                    .collect();
                let fixed = t.fixed_per_request[pi];
                if fixed > 0.0 {
                    let covered: f64 = tf
                        .capacity
                        .iter()
                        .zip(&t.charged[pi])
                        .filter(|(_, charged)| **charged)
                        .map(|(c, _)| c.covered_cost)
                        .sum();
                    tf.all_on_demand = f.cost + covered;
                    tf.capacity_saving = covered - fixed;
                    f.cost += fixed;
                }
                f.time = Some(tf);
                f
            })
            .collect()
    }
}

/// Simulates a scenario with `[load]`: replications in parallel, a group of
/// as many as there are threads at a time, summarised in order.
pub fn simulate(
    s: &Scenario,
    load: &Load,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Raw, InputError> {
    let engine = Engine::new(s);
    let t = TimeEngine::new(s, load);
    let mut summary = Summary::new(
        engine.policies.len(),
        engine.models.len(),
        engine.classes.len(),
        engine.baseline,
    );
    let mut pooled: Vec<Pooled> = engine.policies.iter().map(|_| Pooled::default()).collect();
    let mut series = None;
    let group = rayon::current_num_threads().max(1) as u32;
    let mut first = 0;
    while first < s.replications {
        let last = s.replications.min(first.saturating_add(group));
        for mut rep in engine.time_group(&t, s.seed, first..last, progress)? {
            for (p, acc) in pooled.iter_mut().zip(&rep.accs) {
                for c in &acc.classes {
                    p.e2e.merge(&c.e2e);
                    p.ttft.merge(&c.ttft);
                }
            }
            summary.push(&rep.figures(&engine, &t));
            if let Some(s) = rep.series.take() {
                series = Some(s);
            }
        }
        first = last;
    }
    Ok(Raw {
        summary,
        pooled,
        outer: None,
        series,
    })
}

/// One replication of `s` (with or without `[load]`) on `engine`: its
/// accumulators and figures by policy.
pub fn replication_figures(
    s: &Scenario,
    engine: &Engine,
    rep: u32,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Vec<PolicyAcc>, Vec<RepFigures>), InputError> {
    match &s.load {
        Some(load) => {
            let t = TimeEngine::new(s, load);
            let r = engine.time_replication(&t, s.seed, rep, false, progress)?;
            let figures = r.figures(engine, &t);
            Ok((r.accs, figures))
        }
        None => {
            let accs = engine
                .group(s.seed, rep..rep + 1, s.requests, progress)?
                .pop()
                .unwrap_or_default();
            let figures = accs.iter().map(PolicyAcc::figures).collect();
            Ok((accs, figures))
        }
    }
}

/// A piece of a log read for a replay over time: each used record's time (ms,
/// where it has one), class and tokens, and their digest.
type TimedPiece = (Vec<(Option<i64>, usize, Logged)>, Digest);

/// The next batch from the log's reader, `None` once it is done. The reader
/// parses the log on the rayon pool, whose threads may all be replications
/// waiting here: a waiting thread runs the pool's pending work meanwhile, so
/// that the reader's pieces get parsed.
fn recv_helping<T>(rx: &std::sync::mpsc::Receiver<T>) -> Option<T> {
    use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
    loop {
        match rx.try_recv() {
            Ok(b) => return Some(b),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        if !matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
            match rx.recv_timeout(std::time::Duration::from_micros(200)) {
                Ok(b) => return Some(b),
                Err(RecvTimeoutError::Disconnected) => return None,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

/// Records a log's records may be out of time order by: an exact replay sorts
/// them in a window this long (Bedrock writes a file's records nearly in
/// order; a log concatenated from files out of order is refused).
pub const REORDER: usize = 1 << 16;

/// Reads the log of an exact replay and sends its used records in time order,
/// in batches: (seconds since `origin_ms`, class, tokens). Checks that the log
/// is what validation read.
fn read_in_order(
    log: &super::ExactLog,
    origin_ms: i64,
    tx: std::sync::mpsc::SyncSender<Vec<(Secs, usize, Logged)>>,
) -> Result<(), InputError> {
    let opts = crate::logs::LogOptions {
        class_field: log.data.class_field.as_deref(),
        skip_bad_lines: log.skip_bad_lines,
        class_optional: false,
    };
    let mut window: BinaryHeap<Reverse<(i64, u64, usize, Logged)>> = BinaryHeap::new();
    let mut out: Vec<(Secs, usize, Logged)> = Vec::with_capacity(CHUNK as usize);
    let mut last = i64::MIN;
    let mut seq = 0u64;
    let mut late: Option<(i64, i64)> = None;
    let mut untimed = 0u64;
    let mut digest = Digest::default();
    let emit = |item: Reverse<(i64, u64, usize, Logged)>,
                out: &mut Vec<(Secs, usize, Logged)>,
                last: &mut i64,
                late: &mut Option<(i64, i64)>| {
        let Reverse((ms, _, c, r)) = item;
        if late.is_some() {
            // The replay stops at the first record out of order: nothing
            // after it is sent (time never runs backwards), and the run
            // ends with the error below.
            return;
        }
        if ms < *last {
            *late = Some((ms, *last));
            return;
        }
        *last = ms;
        out.push(((ms - origin_ms) as f64 / 1000.0, c, r));
        if out.len() == CHUNK as usize {
            // A closed channel: the simulation stopped; the read ends.
            let _ = tx.send(std::mem::replace(out, Vec::with_capacity(CHUNK as usize)));
        }
    };
    // Pieces of the log are parsed in parallel and come back in log order: the
    // window sees the records one by one, as in a sequential read.
    let summary = crate::logs::fold_log(
        &log.data.path,
        &opts,
        || (Vec::new(), Digest::default()),
        |(records, d): &mut TimedPiece, r| {
            let c = class_of(r, &log.names, opts.class_field)?;
            d.add(r);
            let ms = r.timestamp.and_then(crate::logs::time::parse_ms);
            records.push((ms, c, pack(r)));
            Ok(())
        },
        |(records, d)| {
            digest.merge(d);
            for (ms, c, r) in records {
                let Some(ms) = ms else {
                    untimed += 1;
                    continue;
                };
                seq += 1;
                window.push(Reverse((ms, seq, c, r)));
                if window.len() > REORDER
                    && let Some(item) = window.pop()
                {
                    emit(item, &mut out, &mut last, &mut late);
                }
            }
            Ok(())
        },
    )?;
    while let Some(item) = window.pop() {
        emit(item, &mut out, &mut last, &mut late);
    }
    if !out.is_empty() {
        let _ = tx.send(out);
    }
    let path = &log.data.path;
    if summary.used != log.data.summary.used || digest != log.data.digest || untimed > 0 {
        return Err(InputError::file(
            path,
            "the log changed while simroute ran: its used records differ from the first read; replay a log that is not being written to",
        ));
    }
    if let Some((ms, after)) = late {
        return Err(InputError::file(
            path,
            format!(
                "the log is not in time order: a record at {} comes more than {} records after one at {}; sort the log by timestamp to replay it over time",
                crate::logs::time::format_ms(ms),
                crate::numfmt::count(REORDER as f64),
                crate::logs::time::format_ms(after)
            ),
        ));
    }
    Ok(())
}
