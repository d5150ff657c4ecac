//! Commitments over time (`[capacity]`): the buckets that serve a model's
//! calls from a reservation, what they served, and the reservation that would
//! have cost least for the traffic simulated.
//!
//! A commitment is a bucket like a quota's ([`Bucket`]): it holds one minute
//! of the reservation and refills continuously at reservation ÷ 60 s. A call
//! of the commitment's pricing key is served by it if, when the call starts,
//! its tokens fit: under the Reserved tier, input + cache write tokens in the
//! input bucket and output tokens in the output bucket; under Provisioned
//! Throughput, all three in the units' bucket. Calls are served whole: one
//! that does not fit overflows (on demand) or is throttled.
//!
//! Each replication also keeps, per commitment, the demand of every minute
//! (the tokens of the calls of its key that started in it, served or not),
//! from which [`optimum`] finds the cheapest commitment for that traffic in
//! closed form (the newsvendor rule).

use super::state::{Bucket, Secs};
use crate::scenario::capacity::{
    Capacity, CapacityKind, MONTH_MINUTES, Overflow, RESERVED_MIN_OUTPUT_TPM, RESERVED_MIN_TPM,
};
use crate::stats::{Moments, push_opt};
use crate::units::{Femto, usd};

/// A commitment's buckets in one policy's world.
#[derive(Debug, Clone)]
pub enum CapBuckets {
    /// Input (+ cache write) tokens, and output tokens.
    Reserved(Bucket, Bucket),
    /// All tokens.
    Provisioned(Bucket),
}

impl CapBuckets {
    pub fn new(c: &Capacity) -> Self {
        match c.kind {
            CapacityKind::Reserved {
                input_tpm,
                output_tpm,
                ..
            } => CapBuckets::Reserved(Bucket::new(input_tpm, 60.0), Bucket::new(output_tpm, 60.0)),
            CapacityKind::Provisioned {
                units, unit_tpm, ..
            } => CapBuckets::Provisioned(Bucket::new(units * unit_tpm, 60.0)),
        }
    }

    /// Takes a call's tokens (`input`: input + cache write; `output`) at `t`
    /// if they fit; returns whether they did.
    #[inline]
    pub fn serve(&mut self, t: Secs, input: u64, output: u64) -> bool {
        let (i, o) = (input as f64, output as f64);
        match self {
            CapBuckets::Reserved(bi, bo) => {
                let fits = bi.holds(t, i) && bo.holds(t, o);
                if fits {
                    bi.take(i);
                    bo.take(o);
                }
                fits
            }
            CapBuckets::Provisioned(b) => {
                let fits = b.holds(t, i + o);
                if fits {
                    b.take(i + o);
                }
                fits
            }
        }
    }
}

/// One commitment's counters in one policy's world, one replication.
#[derive(Debug, Clone, Default)]
pub struct CapAcc {
    /// Attempts at calls of the key, and those the commitment refused
    /// (`overflow = "throttle"`), in measured requests.
    pub attempts: u64,
    pub refused: u64,
    /// Calls started in the measured period, and those the commitment served.
    pub calls: u64,
    pub covered_calls: u64,
    /// Tokens of the calls started in the measured period (input side: input
    /// + cache write; output), and those the commitment served.
    pub demand_in: u64,
    pub demand_out: u64,
    pub covered_in: u64,
    pub covered_out: u64,
    /// On-demand femto-dollars of the calls started in the measured period:
    /// input side (input, cache write and cache read) and output side.
    pub value_in: Femto,
    pub value_out: Femto,
    /// Femto-dollars of measured requests: what the served calls would have
    /// cost on demand, and what the others were billed on demand.
    pub covered_cost: Femto,
    pub overflow_cost: Femto,
    /// Input-side and output tokens started in each minute of the measured
    /// period.
    pub minute_in: Vec<f64>,
    pub minute_out: Vec<f64>,
}

impl CapAcc {
    pub fn new(minutes: usize) -> Self {
        CapAcc {
            minute_in: vec![0.0; minutes],
            minute_out: vec![0.0; minutes],
            ..CapAcc::default()
        }
    }

    /// A call of the key started at `minute` of the measured period, served
    /// by the commitment or not; `value_in`/`value_out`: its on-demand cost
    /// by side.
    #[inline]
    pub fn started(
        &mut self,
        minute: usize,
        (input, output): (u64, u64),
        covered: bool,
        (value_in, value_out): (Femto, Femto),
    ) {
        self.calls += 1;
        self.demand_in += input;
        self.demand_out += output;
        if covered {
            self.covered_calls += 1;
            self.covered_in += input;
            self.covered_out += output;
        }
        self.value_in += value_in;
        self.value_out += value_out;
        if let Some(v) = self.minute_in.get_mut(minute) {
            *v += input as f64;
        }
        if let Some(v) = self.minute_out.get_mut(minute) {
            *v += output as f64;
        }
    }

    /// This replication's figures: `requests` measured, over `minutes`.
    pub fn figures(&self, c: &Capacity, requests: u64) -> CapFigures {
        let minutes = self.minute_in.len().max(1) as f64;
        let n = requests.max(1) as f64;
        let share = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        let (utilisation, utilisation_output) = match c.kind {
            CapacityKind::Reserved {
                input_tpm,
                output_tpm,
                ..
            } => (
                self.covered_in as f64 / (input_tpm * minutes),
                Some(self.covered_out as f64 / (output_tpm * minutes)),
            ),
            CapacityKind::Provisioned {
                units, unit_tpm, ..
            } => (
                (self.covered_in + self.covered_out) as f64 / (units * unit_tpm * minutes),
                None,
            ),
        };
        CapFigures {
            covered_share: share(
                self.covered_in + self.covered_out,
                self.demand_in + self.demand_out,
            ),
            covered_calls: share(self.covered_calls, self.calls),
            utilisation,
            utilisation_output,
            overflow_tpm_in: (self.demand_in - self.covered_in) as f64 / minutes,
            overflow_tpm_out: (self.demand_out - self.covered_out) as f64 / minutes,
            refused: (c.overflow == Overflow::Throttle)
                .then(|| share(self.refused, self.attempts))
                .flatten(),
            overflow_cost: usd(self.overflow_cost) / n,
            covered_cost: usd(self.covered_cost) / n,
            optimum: (c.overflow == Overflow::OnDemand).then(|| optimum(c, self)),
        }
    }
}

/// One commitment's figures under one policy in one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct CapFigures {
    /// Share of the key's tokens (input, cache write, output) served by the
    /// commitment; `None`: no call.
    pub covered_share: Option<f64>,
    /// Share of the key's calls served by it.
    pub covered_calls: Option<f64>,
    /// Tokens served ÷ tokens the commitment could serve over the measured
    /// period: reserved, the input side; provisioned, all tokens.
    pub utilisation: f64,
    /// Reserved: the output side's.
    pub utilisation_output: Option<f64>,
    /// Tokens per minute not served by the commitment: input side, output.
    pub overflow_tpm_in: f64,
    pub overflow_tpm_out: f64,
    /// `overflow = "throttle"`: share of attempts at the key's calls it refused.
    pub refused: Option<f64>,
    /// USD per request: billed on demand for the key's calls it did not
    /// serve, and what those it served would have been billed.
    pub overflow_cost: f64,
    pub covered_cost: f64,
    /// `overflow = "on_demand"`: the cheapest commitment for this
    /// replication's traffic.
    pub optimum: Option<Optimum>,
}

/// The commitment that costs least for the traffic of one replication, by
/// the newsvendor rule (see [`optimum`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Optimum {
    /// Reserved: input tokens per minute; provisioned: model units.
    pub level: f64,
    /// Reserved: output tokens per minute; provisioned: `None`.
    pub level_output: Option<f64>,
    /// USD a month of the key's traffic with that commitment (fixed +
    /// overflow on demand).
    pub cost_per_month: f64,
    /// USD a month of the key's traffic all on demand.
    pub on_demand_per_month: f64,
}

/// One side of a commitment: the per-minute demand, sorted ascending, with
/// the sums of its tail.
struct Side {
    sorted: Vec<f64>,
    /// `tail[i]`: the sum of `sorted[i..]`.
    tail: Vec<f64>,
}

impl Side {
    fn new(minutes: &[f64]) -> Self {
        let mut sorted = minutes.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mut tail = vec![0.0; sorted.len() + 1];
        for i in (0..sorted.len()).rev() {
            tail[i] = tail[i + 1] + sorted[i];
        }
        Side { sorted, tail }
    }

    /// Σ over minutes of the demand above `r`: the tokens a reservation of
    /// `r` a minute leaves to overflow (served as a fluid).
    fn overflow(&self, r: f64) -> f64 {
        let i = self.sorted.partition_point(|&d| d <= r);
        self.tail[i] - r * (self.sorted.len() - i) as f64
    }

    /// The reservation, 0 or at least `min`, that minimises `c·r + v·k·
    /// overflow(r)` (`c`: USD a month per token a minute; `v`: USD per token
    /// on demand; `k`: months per simulated minute inverted, 43,200 ÷
    /// minutes). The cost is convex and piecewise linear with its kinks at
    /// the minutes' demands, so its minimum is at 0, at `min` or at one of
    /// them: the demand exceeded in a fraction c ÷ (v × 43,200) of minutes.
    fn best(&self, c: f64, v: f64, k: f64, min: f64) -> (f64, f64) {
        let cost = |r: f64| c * r + v * k * self.overflow(r);
        let mut best = (0.0, cost(0.0));
        let candidates = std::iter::once(min).chain(self.sorted.iter().copied());
        for r in candidates.filter(|&r| r >= min && r > 0.0) {
            let x = cost(r);
            if x < best.1 {
                best = (r, x);
            }
        }
        best
    }
}

/// The cheapest commitment of `c`'s kind for the traffic of `acc`, by the
/// newsvendor rule: one more token a minute reserved costs `c` USD a month
/// and saves its on-demand price `v` in every minute whose demand exceeds the
/// reservation, so the optimum is the demand exceeded in a fraction
/// `c ÷ (v × 43,200)` of minutes. The traffic is the simulated one (its
/// calls' tokens served as a fluid: a call may be split); `v` is the key's
/// on-demand cost per token of that side (cache reads count with the input
/// side: a served call does not pay them). Reserved: each side apart, each 0
/// or at least the tier's minimum. Provisioned: whole units.
pub fn optimum(c: &Capacity, acc: &CapAcc) -> Optimum {
    let minutes = acc.minute_in.len().max(1) as f64;
    let k = MONTH_MINUTES / minutes;
    let per_token = |value: Femto, tokens: u64| {
        if tokens > 0 {
            usd(value) / tokens as f64
        } else {
            0.0
        }
    };
    match c.kind {
        CapacityKind::Reserved {
            price_per_1k_tpm,
            price_per_1k_output_tpm,
            ..
        } => {
            let v_in = per_token(acc.value_in, acc.demand_in);
            let v_out = per_token(acc.value_out, acc.demand_out);
            let (side_in, side_out) = (Side::new(&acc.minute_in), Side::new(&acc.minute_out));
            let (r_in, cost_in) =
                side_in.best(price_per_1k_tpm / 1000.0, v_in, k, RESERVED_MIN_TPM);
            let (r_out, cost_out) = side_out.best(
                price_per_1k_output_tpm / 1000.0,
                v_out,
                k,
                RESERVED_MIN_OUTPUT_TPM,
            );
            // All on demand: the cost of a reservation of 0.
            let on_demand = v_in * k * side_in.overflow(0.0) + v_out * k * side_out.overflow(0.0);
            Optimum {
                level: r_in,
                level_output: Some(r_out),
                cost_per_month: cost_in + cost_out,
                on_demand_per_month: on_demand,
            }
        }
        CapacityKind::Provisioned {
            price_per_unit_hour,
            unit_tpm,
            ..
        } => {
            let both: Vec<f64> = acc
                .minute_in
                .iter()
                .zip(&acc.minute_out)
                .map(|(a, b)| a + b)
                .collect();
            let side = Side::new(&both);
            let v = per_token(acc.value_in + acc.value_out, acc.demand_in + acc.demand_out);
            let unit_month = price_per_unit_hour * crate::scenario::capacity::MONTH_HOURS;
            let top = side.sorted.last().copied().unwrap_or(0.0);
            let most = (top / unit_tpm).ceil().min(1e6) as u64;
            let on_demand = v * k * side.overflow(0.0);
            let mut best = (0.0, on_demand);
            for u in 1..=most {
                let cost = u as f64 * unit_month + v * k * side.overflow(u as f64 * unit_tpm);
                if cost < best.1 {
                    best = (u as f64, cost);
                }
            }
            Optimum {
                level: best.0,
                level_output: None,
                cost_per_month: best.1,
                on_demand_per_month: on_demand,
            }
        }
    }
}

/// One commitment's figures under one policy across the replications so
/// far; an optional figure is `None` once a replication lacked it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CapMoments {
    pub covered_share: Option<Moments>,
    pub covered_calls: Option<Moments>,
    pub utilisation: Moments,
    pub utilisation_output: Option<Moments>,
    pub overflow_tpm_in: Moments,
    pub overflow_tpm_out: Moments,
    pub refused: Option<Moments>,
    pub overflow_cost: Moments,
    pub covered_cost: Moments,
    /// Overflow + covered: the key's traffic all on demand, USD per request.
    pub on_demand: Moments,
    pub optimum_level: Option<Moments>,
    pub optimum_level_output: Option<Moments>,
    pub optimum_cost: Option<Moments>,
    pub optimum_on_demand: Option<Moments>,
    pub optimum_saving: Option<Moments>,
}

impl CapMoments {
    pub fn new() -> Self {
        let some = Some(Moments::default());
        CapMoments {
            covered_share: some,
            covered_calls: some,
            utilisation_output: some,
            refused: some,
            optimum_level: some,
            optimum_level_output: some,
            optimum_cost: some,
            optimum_on_demand: some,
            optimum_saving: some,
            ..CapMoments::default()
        }
    }

    pub fn push(&mut self, f: &CapFigures) {
        push_opt(&mut self.covered_share, f.covered_share);
        push_opt(&mut self.covered_calls, f.covered_calls);
        self.utilisation.push(f.utilisation);
        push_opt(&mut self.utilisation_output, f.utilisation_output);
        self.overflow_tpm_in.push(f.overflow_tpm_in);
        self.overflow_tpm_out.push(f.overflow_tpm_out);
        push_opt(&mut self.refused, f.refused);
        self.overflow_cost.push(f.overflow_cost);
        self.covered_cost.push(f.covered_cost);
        self.on_demand.push(f.overflow_cost + f.covered_cost);
        let o = f.optimum.as_ref();
        push_opt(&mut self.optimum_level, o.map(|o| o.level));
        push_opt(
            &mut self.optimum_level_output,
            o.and_then(|o| o.level_output),
        );
        push_opt(&mut self.optimum_cost, o.map(|o| o.cost_per_month));
        push_opt(
            &mut self.optimum_on_demand,
            o.map(|o| o.on_demand_per_month),
        );
        push_opt(
            &mut self.optimum_saving,
            o.map(|o| o.on_demand_per_month - o.cost_per_month),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::capacity::Term;

    fn reserved(price_in: f64, price_out: f64) -> Capacity {
        Capacity {
            key: "k".into(),
            kind: CapacityKind::Reserved {
                input_tpm: 200_000.0,
                output_tpm: 20_000.0,
                price_per_1k_tpm: price_in,
                price_per_1k_output_tpm: price_out,
            },
            term: Term::OneMonth,
            overflow: Overflow::OnDemand,
        }
    }

    /// Ten minutes of demand: 100,000 input tokens in 8 of them, 300,000 in 2;
    /// output a tenth; $3/M input, $15/M output.
    fn acc() -> CapAcc {
        let mut a = CapAcc::new(10);
        for m in 0..10 {
            let d = if m < 2 { 300_000 } else { 100_000 };
            let (vi, vo) = (d as u128 * 3_000_000_000, d as u128 / 10 * 15_000_000_000);
            a.started(m, (d, d / 10), false, (vi, vo));
        }
        a
    }

    #[test]
    fn the_newsvendor_reserves_the_demand_exceeded_in_the_critical_fraction_of_minutes() {
        // Input: a TPM-month costs c = p/1000; it saves $3/M in every minute
        // above it, × 4,320 months⁻¹ per simulated minute (43,200 / 10).
        // Critical fraction c / (3e-6 × 43,200) = c / 0.1296.
        // p = $60: c = 0.06, fraction 0.46: the level exceeded in 46% of
        // minutes is 100,000 (exceeded in 20%): reserve 100,000.
        let o = optimum(&reserved(60.0, 300.0), &acc());
        assert_eq!(o.level, 100_000.0);
        // Output: c = 0.3 against $15/M × 43,200 = 0.648: fraction 0.46, the
        // level 10,000 (the tier's minimum, too).
        assert_eq!(o.level_output, Some(10_000.0));
        // Cost: 100 × $60 + 10 × $300 fixed, and the overflow: 2 minutes of
        // 200,000 input and 20,000 output, × 4,320.
        let overflow = 2.0 * (200_000.0 * 3e-6 + 20_000.0 * 15e-6) * 4320.0;
        assert!((o.cost_per_month - (6000.0 + 3000.0 + overflow)).abs() < 1e-6);
        // All on demand: 1.4 M input and 140,000 output tokens in 10 minutes.
        let od = (1.4e6 * 3e-6 + 1.4e5 * 15e-6) * 4320.0;
        assert!(
            (o.on_demand_per_month - od).abs() < 1e-6,
            "{}",
            o.on_demand_per_month
        );
        // p = $110: fraction 0.85, still below the 100% of minutes above
        // any level under 100,000: 100,000 ($11,000 + $5,184 of overflow,
        // against $18,144 on demand).
        let o = optimum(&reserved(110.0, 300.0), &acc());
        assert_eq!(o.level, 100_000.0);
        // p = $140: fraction 1.08: no reservation pays ($14,000 + $5,184 >
        // $18,144).
        let o = optimum(&reserved(140.0, 300.0), &acc());
        assert_eq!(o.level, 0.0);
        // p = $20: fraction 0.154 < 0.2: reserve up to the busy minutes.
        let o = optimum(&reserved(20.0, 300.0), &acc());
        assert_eq!(o.level, 300_000.0);
    }

    #[test]
    fn provisioned_buys_whole_units() {
        // Units of 55,000 tokens a minute at $1 an hour ($720 a month, $0.0131
        // per TPM-month) against $4.09/M (1.54 M tokens for $6.30 in 10
        // minutes): the critical fraction 0.0131 / (4.09e-6 × 43,200) = 0.074
        // is below the 20% of minutes at 330,000: 6 units (330,000).
        let c = Capacity {
            kind: CapacityKind::Provisioned {
                units: 1.0,
                price_per_unit_hour: 1.0,
                unit_tpm: 55_000.0,
            },
            ..reserved(1.0, 1.0)
        };
        let o = optimum(&c, &acc());
        assert_eq!(o.level, 6.0);
        assert_eq!(o.level_output, None);
    }

    #[test]
    fn a_reservation_serves_a_call_only_whole() {
        let c = reserved(1.0, 1.0);
        let mut b = CapBuckets::new(&c);
        assert!(b.serve(0.0, 150_000, 15_000));
        // 50,000 input left, 5,000 output: the output side refuses.
        assert!(!b.serve(0.0, 10_000, 6_000));
        // Nothing was taken: the input side still holds 50,000.
        assert!(b.serve(0.0, 50_000, 5_000));
        // A second later, 1/60 of a minute is back: 3,333 input tokens.
        assert!(!b.serve(1.0, 3_400, 0));
        assert!(b.serve(1.0, 3_300, 0));
    }
}
