//! The state that calls read and write over time: arrivals, quota buckets,
//! prompt-cache entries and the SDK's backoff.
//!
//! - Arrivals are a Poisson process whose rate is constant within each hour
//!   of the day (the scenario's profile): the next arrival is where the
//!   integrated rate has grown by an Exp(1) draw (inversion of the cumulative
//!   intensity; Lewis & Shedler, "Simulation of nonhomogeneous Poisson
//!   processes by thinning", *Naval Research Logistics Quarterly* 26, 1979,
//!   §2), exact for a piecewise-constant rate.
//! - A quota is a bucket that holds one window's quota (a minute's for RPM
//!   and TPM, a day's for TPD) and refills continuously at quota / window: a
//!   call starts only if it can take its reservation (Bedrock's token
//!   reservation: input + cache write + cache read + max_tokens), and gives
//!   back at its end what it reserved beyond what it used (input + cache
//!   write + output × burndown), or takes the excess.
//! - A cache entry is the time of its prefix's last read or write on one
//!   model: a call within the TTL of it is a hit, and a hit refreshes it.

use rand::Rng;

/// Seconds.
pub type Secs = f64;

/// Arrival times of a Poisson process with a piecewise-constant rate by hour
/// of day, starting at time 0 = midnight minus `offset` seconds.
#[derive(Debug, Clone)]
pub struct Arrivals {
    /// Requests per second in each hour of the day.
    rates: [f64; 24],
    /// The hour of day at time 0 is that of `-offset` (the warm-up starts
    /// before midnight, so that the measured period starts at it).
    offset: Secs,
    /// The current time.
    t: Secs,
}

impl Arrivals {
    pub fn new(rate: f64, profile: &[f64; 24], warmup: Secs) -> Self {
        Arrivals {
            rates: profile.map(|w| rate * w),
            offset: warmup,
            t: 0.0,
        }
    }

    /// The next arrival after the last one.
    pub fn next<R: Rng>(&mut self, rng: &mut R) -> Secs {
        // Exp(1) by inversion; 1 − u is in (0, 1].
        let mut e = -(1.0 - rng.random::<f64>()).ln();
        loop {
            let day_s = (self.t - self.offset).rem_euclid(86_400.0);
            let hour = ((day_s / 3600.0) as usize).min(23);
            let hour_end = self.t + (3600.0 * (hour + 1) as f64 - day_s).max(1e-9);
            let r = self.rates[hour];
            if r > 0.0 {
                let dt = e / r;
                if self.t + dt < hour_end {
                    self.t += dt;
                    return self.t;
                }
                e -= (hour_end - self.t) * r;
            }
            self.t = hour_end;
        }
    }
}

/// A quota bucket: holds `cap` (one window's quota), refilled at `rate` per
/// second; may go below 0 when a call settles above its reservation.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    cap: f64,
    rate: f64,
    level: f64,
    last: Secs,
}

impl Bucket {
    /// A full bucket of `quota` per `window` seconds.
    pub fn new(quota: f64, window: Secs) -> Self {
        Bucket {
            cap: quota,
            rate: quota / window,
            level: quota,
            last: 0.0,
        }
    }

    fn refill(&mut self, t: Secs) {
        if t > self.last {
            self.level = (self.level + (t - self.last) * self.rate).min(self.cap);
            self.last = t;
        }
    }

    /// Whether `amount` can be taken at `t`.
    #[inline]
    pub fn holds(&mut self, t: Secs, amount: f64) -> bool {
        self.refill(t);
        self.level >= amount
    }

    /// Takes `amount` (after [`Bucket::holds`] at the same time).
    #[inline]
    pub fn take(&mut self, amount: f64) {
        self.level -= amount;
    }

    /// Gives back `amount` at `t` (negative: takes more), at most to `cap`.
    #[inline]
    pub fn give(&mut self, t: Secs, amount: f64) {
        self.refill(t);
        self.level = (self.level + amount).min(self.cap);
    }
}

/// One prompt-cache entry: a prefix on one model.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// Its last read or write; −∞: never.
    pub last: Secs,
    /// Tokens of the write not yet read (0: read since, or a write of the
    /// warm-up, which is not counted).
    pub unread: u64,
}

impl Default for Entry {
    fn default() -> Self {
        Entry {
            last: f64::NEG_INFINITY,
            unread: 0,
        }
    }
}

/// The AWS SDKs' backoff before attempt `attempts + 1`, seconds: truncated
/// binary exponential backoff with full jitter, `rand() × 2^(attempts − 1)`
/// capped at 20 s (botocore `retries/standard.py` `ExponentialBackoff`, base
/// 2, max_backoff 20; its legacy `delay_exponential` with a random base is the
/// same law).
#[inline]
pub fn backoff<R: Rng>(rng: &mut R, attempts: u32) -> Secs {
    let growth = 2f64.powi(attempts.saturating_sub(1).min(60) as i32);
    (rng.random::<f64>() * growth).min(crate::scenario::load::MAX_BACKOFF_S)
}

/// Picks one of `n` prefixes: uniformly, or by Zipf's law (cumulative table,
/// binary search; at most [`crate::scenario::load::MAX_PREFIXES`] entries).
#[derive(Debug, Clone)]
pub enum Picker {
    One,
    Uniform(u64),
    Zipf(Vec<f64>),
}

impl Picker {
    pub fn new(p: &crate::scenario::load::Prefixes) -> Self {
        use crate::scenario::load::Popularity;
        match (p.count, p.popularity) {
            (1, _) => Picker::One,
            (n, Popularity::Uniform) => Picker::Uniform(n),
            (n, Popularity::Zipf(s)) => {
                let mut acc = 0.0;
                let mut cdf: Vec<f64> = (1..=n)
                    .map(|k| {
                        acc += (k as f64).powf(-s);
                        acc
                    })
                    .collect();
                for v in &mut cdf {
                    *v /= acc;
                }
                if let Some(l) = cdf.last_mut() {
                    *l = f64::INFINITY;
                }
                Picker::Zipf(cdf)
            }
        }
    }

    #[inline]
    pub fn pick<R: Rng>(&self, rng: &mut R) -> u64 {
        match self {
            Picker::One => 0,
            Picker::Uniform(n) => rng.random_range(0..*n),
            Picker::Zipf(cdf) => {
                let u: f64 = rng.random();
                cdf.partition_point(|&b| b <= u) as u64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus as Rng64;

    #[test]
    fn a_flat_profile_gives_the_rate() {
        let mut a = Arrivals::new(2.0, &[1.0; 24], 3600.0);
        let mut rng = Rng64::seed_from_u64(1);
        let mut n = 0u64;
        while a.next(&mut rng) < 50_000.0 {
            n += 1;
        }
        // Poisson(100,000): sd 316.
        assert!((n as f64 - 100_000.0).abs() < 1500.0, "{n}");
    }

    #[test]
    fn a_profile_puts_the_arrivals_in_its_hours() {
        // All traffic between 09:00 and 10:00, the warm-up an hour long: the
        // measured day starts at t = 3600.
        let mut w = [0.0; 24];
        w[9] = 24.0;
        let mut a = Arrivals::new(1.0, &w, 3600.0);
        let mut rng = Rng64::seed_from_u64(2);
        for _ in 0..10_000 {
            let t = a.next(&mut rng);
            let h = ((t - 3600.0).rem_euclid(86_400.0) / 3600.0) as usize;
            assert_eq!(h, 9, "{t}");
        }
    }

    #[test]
    fn a_bucket_refills_at_its_rate_up_to_its_cap() {
        let mut b = Bucket::new(60.0, 60.0);
        assert!(b.holds(0.0, 60.0));
        b.take(60.0);
        assert!(!b.holds(0.5, 1.0));
        assert!(b.holds(1.0, 1.0));
        assert!(b.holds(1000.0, 60.0) && !b.holds(1000.0, 60.5));
        b.give(1000.0, 10.0);
        assert!(!b.holds(1000.0, 60.5));
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let mut rng = Rng64::seed_from_u64(3);
        for attempts in 1..10 {
            let top = 2f64.powi(attempts as i32 - 1).min(20.0);
            for _ in 0..1000 {
                let b = backoff(&mut rng, attempts);
                assert!((0.0..=top).contains(&b), "{attempts}: {b}");
            }
        }
    }

    #[test]
    fn zipf_prefers_the_first_prefixes() {
        use crate::scenario::load::{Popularity, Prefixes};
        let p = Picker::new(&Prefixes {
            count: 3,
            popularity: Popularity::Zipf(1.0),
        });
        let mut rng = Rng64::seed_from_u64(4);
        let mut n = [0u32; 3];
        for _ in 0..110_000 {
            n[p.pick(&mut rng) as usize] += 1;
        }
        // 1 : 1/2 : 1/3 of 11/6 → 60,000, 30,000, 20,000.
        for (got, want) in n.iter().zip([60_000.0, 30_000.0, 20_000.0]) {
            assert!((*got as f64 - want).abs() < 800.0, "{n:?}");
        }
    }
}
