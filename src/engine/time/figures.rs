//! What traffic over time adds to a replication's figures: the cache hit rate
//! that emerged, throttling, retries, failures and fallbacks, and the quota
//! figures that Bedrock's quota-increase request asks for (mean and
//! peak-minute RPM and TPM, burndown applied; tokens per call).
//!
//! Counted over the measured period only (the warm-up is not): a request by
//! its arrival, a call's minute by its start.

use crate::units::{FemtoPerToken, cost_of, usd};

/// One model's per-minute traffic in one replication's measured period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelMinutes {
    /// Calls started per minute.
    pub rpm: Vec<f64>,
    /// Quota tokens per minute (input + cache write + output × burndown).
    pub tpm: Vec<f64>,
}

/// One policy's per-minute traffic, by model.
pub type MinuteSeries = Vec<ModelMinutes>;

/// One policy's time counters in one replication.
#[derive(Debug, Clone)]
pub struct TimeAcc {
    classes: usize,
    /// Requests that arrived in the measured period (batch included).
    pub requests: u64,
    /// Retries (attempts after a throttled one).
    pub retries: u64,
    /// Requests failed: throttled on every attempt, with no fallback left.
    pub failed: u64,
    /// Requests whose call went to the fallback model.
    pub fell_back: u64,
    /// By model: attempts, and those throttled.
    pub attempts: Vec<u64>,
    pub throttled: Vec<u64>,
    /// By model and class (`m * classes + c`): cache lookups and hits.
    lookups: Vec<u64>,
    hits: Vec<u64>,
    /// By model: prefix tokens written and never read before they expired.
    pub wasted_tokens: Vec<u64>,
    /// By model: calls started, quota tokens settled, prompt and output
    /// tokens of those calls.
    calls: Vec<u64>,
    quota_tokens: Vec<f64>,
    prompt_tokens: Vec<u64>,
    output_tokens: Vec<u64>,
    /// The minute being counted, and its counts by model.
    minute: usize,
    cur_rpm: Vec<f64>,
    cur_tpm: Vec<f64>,
    peak_rpm: Vec<f64>,
    peak_tpm: Vec<f64>,
    /// Minutes in the measured period.
    minutes: usize,
    /// Every minute's counts, where asked for (one replication's, for the chart).
    series: Option<MinuteSeries>,
}

impl TimeAcc {
    pub fn new(models: usize, classes: usize, minutes: usize, series: bool) -> Self {
        TimeAcc {
            classes,
            requests: 0,
            retries: 0,
            failed: 0,
            fell_back: 0,
            attempts: vec![0; models],
            throttled: vec![0; models],
            lookups: vec![0; models * classes],
            hits: vec![0; models * classes],
            wasted_tokens: vec![0; models],
            calls: vec![0; models],
            quota_tokens: vec![0.0; models],
            prompt_tokens: vec![0; models],
            output_tokens: vec![0; models],
            minute: 0,
            cur_rpm: vec![0.0; models],
            cur_tpm: vec![0.0; models],
            peak_rpm: vec![0.0; models],
            peak_tpm: vec![0.0; models],
            minutes: minutes.max(1),
            series: series.then(|| {
                vec![
                    ModelMinutes {
                        rpm: Vec::with_capacity(minutes),
                        tpm: Vec::with_capacity(minutes),
                    };
                    models
                ]
            }),
        }
    }

    /// A cache lookup of model `m` for class `c`.
    #[inline]
    pub fn lookup(&mut self, m: usize, c: usize, hit: bool) {
        self.lookups[m * self.classes + c] += 1;
        self.hits[m * self.classes + c] += hit as u64;
    }

    /// A call of model `m` started in `minute` of the measured period (minutes
    /// come in order): `quota` tokens settled, `prompt` and `output` tokens.
    #[inline]
    pub fn started(&mut self, m: usize, minute: usize, quota: f64, prompt: u64, output: u64) {
        while minute > self.minute {
            self.flush();
        }
        self.calls[m] += 1;
        self.quota_tokens[m] += quota;
        self.prompt_tokens[m] += prompt;
        self.output_tokens[m] += output;
        self.cur_rpm[m] += 1.0;
        self.cur_tpm[m] += quota;
    }

    fn flush(&mut self) {
        for m in 0..self.cur_rpm.len() {
            self.peak_rpm[m] = self.peak_rpm[m].max(self.cur_rpm[m]);
            self.peak_tpm[m] = self.peak_tpm[m].max(self.cur_tpm[m]);
            if let Some(s) = self.series.as_mut() {
                s[m].rpm.push(self.cur_rpm[m]);
                s[m].tpm.push(self.cur_tpm[m]);
            }
        }
        self.cur_rpm.iter_mut().for_each(|v| *v = 0.0);
        self.cur_tpm.iter_mut().for_each(|v| *v = 0.0);
        self.minute += 1;
    }

    /// Closes the measured period's minutes.
    pub fn finish(&mut self) {
        while self.minute < self.minutes {
            self.flush();
        }
    }

    /// The per-minute series, where kept.
    pub fn take_series(&mut self) -> MinuteSeries {
        self.series.take().unwrap_or_default()
    }

    /// This replication's figures; `write_price` by model is the price of the
    /// cache writes (the policy's TTL's).
    pub fn figures(&self, write_price: &[FemtoPerToken]) -> TimeFigures {
        let n = self.requests.max(1) as f64;
        let minutes = self.minutes as f64;
        let rate = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        TimeFigures {
            retries_per_request: self.retries as f64 / n,
            failed: self.failed as f64 / n,
            fell_back: self.fell_back as f64 / n,
            models: (0..self.attempts.len())
                .map(|m| {
                    let row = m * self.classes..(m + 1) * self.classes;
                    ModelTime {
                        hit_rate: rate(
                            self.hits[row.clone()].iter().sum(),
                            self.lookups[row.clone()].iter().sum(),
                        ),
                        class_hit_rate: row
                            .clone()
                            .map(|i| rate(self.hits[i], self.lookups[i]))
                            .collect(),
                        throttled: rate(self.throttled[m], self.attempts[m]),
                        mean_rpm: self.calls[m] as f64 / minutes,
                        peak_rpm: self.peak_rpm[m],
                        mean_tpm: self.quota_tokens[m] / minutes,
                        peak_tpm: self.peak_tpm[m],
                        prompt_per_call: rate(self.prompt_tokens[m], self.calls[m]),
                        output_per_call: rate(self.output_tokens[m], self.calls[m]),
                        wasted_writes: usd(cost_of(self.wasted_tokens[m], write_price[m])) / n,
                    }
                })
                .collect(),
            capacity: Vec::new(),
            all_on_demand: 0.0,
            capacity_saving: 0.0,
        }
    }
}

/// One policy's time figures in one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeFigures {
    /// Retries per request.
    pub retries_per_request: f64,
    /// Share of requests failed.
    pub failed: f64,
    /// Share of requests that fell back to another model.
    pub fell_back: f64,
    /// By model.
    pub models: Vec<ModelTime>,
    /// By commitment (`[capacity]`), in the scenario's order.
    pub capacity: Vec<super::capacity::CapFigures>,
    /// With commitments: USD per request of the same traffic all on demand
    /// (the on-demand bill plus what the served calls would have cost), and
    /// what the commitments saved (that value less their fixed bill).
    pub all_on_demand: f64,
    pub capacity_saving: f64,
}

/// One model's time figures under one policy in one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelTime {
    /// Share of cache lookups that hit; `None`: no lookup.
    pub hit_rate: Option<f64>,
    /// The same by class.
    pub class_hit_rate: Vec<Option<f64>>,
    /// Share of attempts throttled; `None`: no attempt.
    pub throttled: Option<f64>,
    /// Calls started per minute: the mean over the measured period, and the
    /// busiest minute.
    pub mean_rpm: f64,
    pub peak_rpm: f64,
    /// Quota tokens per minute (burndown applied): mean and busiest minute.
    pub mean_tpm: f64,
    pub peak_tpm: f64,
    /// Prompt tokens (uncached input, cache reads and writes) and output
    /// tokens per call; `None`: no call.
    pub prompt_per_call: Option<f64>,
    pub output_per_call: Option<f64>,
    /// USD per request of cache writes never read before they expired.
    pub wasted_writes: f64,
}
