//! A log-linear histogram of latencies with bounded relative error, in constant
//! memory.
//!
//! A positive `f64` is `2^e × (1 + m)`; the bucket of a value is its exponent and
//! the top [`MANTISSA_BITS`] bits of its mantissa, read straight off the IEEE-754
//! bits with one shift. Each power of two is thus cut into 1,024 buckets of equal
//! width, so a bucket spans at most 2⁻¹⁰ ≈ 0.098% of its lower edge and its
//! midpoint, which is what a quantile reports, is within 0.049% of any value in
//! it: better than the 0.1% the engine promises. This is the layout of
//! HdrHistogram with 3 significant digits, without its bookkeeping: recording
//! is a shift, a subtraction and an increment, which matters when the engine
//! records several latencies per simulated request.
//!
//! Quantiles use the nearest-rank definition: the q-quantile of n values is the
//! smallest recorded value whose rank is at least ⌈q·n⌉.

/// Mantissa bits kept: 1,024 buckets per power of two.
pub const MANTISSA_BITS: u32 = 10;
const SHIFT: u32 = 52 - MANTISSA_BITS;
/// Smallest value kept apart, ms (1 µs); smaller values count in the first bucket.
pub const MIN_MS: f64 = crate::units::MIN_LATENCY_MS;
/// Largest value kept apart, ms (about 28 hours); larger values count in the last.
/// Validation keeps latency profiles well inside (see
/// [`crate::pricing::latency_spread`]).
pub const MAX_MS: f64 = crate::units::MAX_LATENCY_MS;

const fn bucket_of(ms: f64) -> usize {
    (ms.to_bits() >> SHIFT) as usize
}
/// Buckets per block: a quarter of a power of two (2 KB). Each traffic class
/// keeps its own histograms (crate::engine::accounting), each spanning a few
/// octaves with a partly used block at either end: quarter-octave blocks waste
/// less at the ends than whole octaves (a 64-variant sweep of support.toml took
/// 10% less memory), for 148 block pointers per histogram instead of 37.
const BLOCK: usize = 1 << (MANTISSA_BITS - 2);
/// The first bucket kept, rounded down so that blocks are quarter octaves.
const FIRST: usize = bucket_of(MIN_MS) & !(BLOCK - 1);
const LAST: usize = bucket_of(MAX_MS);
const BLOCKS: usize = (LAST - FIRST) / BLOCK + 1;

/// Counts of latencies (ms) by bucket, in blocks of a quarter octave allocated
/// when first used: a histogram of latencies between 100 ms and 30 s holds
/// about 33 blocks (66 KB), not the 148 of the whole range, and merging skips
/// the empty ones.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyHistogram {
    blocks: Vec<Option<Box<[u64; BLOCK]>>>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    pub fn new() -> Self {
        LatencyHistogram {
            blocks: vec![None; BLOCKS],
        }
    }

    /// Records one latency in ms. Values outside [1 µs, 1e8 ms] (NaN included)
    /// count in the nearest end bucket.
    #[inline]
    pub fn record(&mut self, ms: f64) {
        // Written so that NaN fails the comparison and lands in the first bucket.
        let ms = if ms >= MIN_MS { ms.min(MAX_MS) } else { MIN_MS };
        let b = bucket_of(ms) - FIRST;
        self.blocks[b / BLOCK].get_or_insert_with(|| Box::new([0; BLOCK]))[b % BLOCK] += 1;
    }

    /// Values recorded.
    pub fn len(&self) -> u64 {
        self.blocks
            .iter()
            .flatten()
            .map(|b| b.iter().sum::<u64>())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.iter().all(Option::is_none)
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        for (mine, theirs) in self.blocks.iter_mut().zip(&other.blocks) {
            if let Some(theirs) = theirs {
                let mine = mine.get_or_insert_with(|| Box::new([0; BLOCK]));
                for (a, b) in mine.iter_mut().zip(theirs.iter()) {
                    *a += b;
                }
            }
        }
    }

    /// The midpoint of bucket `i`, ms.
    fn midpoint(i: usize) -> f64 {
        let lo = f64::from_bits(((i + FIRST) as u64) << SHIFT);
        let hi = f64::from_bits(((i + FIRST + 1) as u64) << SHIFT);
        (lo + hi) / 2.0
    }

    /// The nearest-rank `q`-quantile, ms; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        Self::quantiles_of(&[self], [q]).map(|[v]| v)
    }

    /// The nearest-rank `qs`-quantiles (in increasing order) of the values of
    /// all of `hs` together, ms, in one pass and without merging them: the
    /// same values as [`LatencyHistogram::quantile`] of their merge. `None`
    /// when they hold no value.
    pub fn quantiles_of<const N: usize>(
        hs: &[&LatencyHistogram],
        qs: [f64; N],
    ) -> Option<[f64; N]> {
        let mut out = [0.0; N];
        Self::quantiles_into(hs, &qs, &mut out).then_some(out)
    }

    /// [`LatencyHistogram::quantiles_of`] for any number of quantiles, written
    /// into `out` (as long as `qs`); false, and `out` untouched, when `hs` hold
    /// no value.
    pub fn quantiles_into(hs: &[&LatencyHistogram], qs: &[f64], out: &mut [f64]) -> bool {
        debug_assert!(qs.windows(2).all(|w| w[0] <= w[1]));
        debug_assert_eq!(qs.len(), out.len());
        // Counts by block first: a block whose values all rank below the next
        // quantile's is skipped whole, so only the blocks holding a quantile
        // are read bucket by bucket.
        let mut per_block = [0u64; BLOCKS];
        for h in hs {
            for (sum, b) in per_block.iter_mut().zip(&h.blocks) {
                if let Some(b) = b {
                    *sum += b.iter().sum::<u64>();
                }
            }
        }
        let total: u64 = per_block.iter().sum();
        if total == 0 {
            return false;
        }
        let ranks: Vec<u64> = qs
            .iter()
            .map(|q| ((q * total as f64).ceil() as u64).clamp(1, total))
            .collect();
        let mut next = 0;
        let mut seen = 0;
        for (k, &in_block) in per_block.iter().enumerate() {
            if seen + in_block < ranks[next] {
                seen += in_block;
                continue;
            }
            let blocks: Vec<&[u64; BLOCK]> =
                hs.iter().filter_map(|h| h.blocks[k].as_deref()).collect();
            for j in 0..BLOCK {
                seen += blocks.iter().map(|b| b[j]).sum::<u64>();
                while next < ranks.len() && seen >= ranks[next] {
                    out[next] = Self::midpoint(k * BLOCK + j);
                    next += 1;
                }
                if next == ranks.len() {
                    return true;
                }
            }
        }
        unreachable!("every rank ≤ total")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_within_half_a_bucket_of_its_midpoint() {
        // Sweep values across many octaves, including exact powers of two and
        // bucket edges; the reported quantile of a single value is its midpoint.
        let mut v = 0.0013;
        while v < 5e7 {
            let mut h = LatencyHistogram::new();
            h.record(v);
            let got = h.quantile(0.5).unwrap();
            assert!((got / v - 1.0).abs() <= 0.000_49, "{v}: {got}");
            v *= 1.0137;
        }
    }

    #[test]
    fn nearest_rank_quantiles() {
        let mut h = LatencyHistogram::new();
        for ms in 1..=1000 {
            h.record(ms as f64);
        }
        // Ranks ⌈0.5·1000⌉ = 500, ⌈0.95·1000⌉ = 950, ⌈0.99·1000⌉ = 990.
        for (q, want) in [(0.5, 500.0), (0.95, 950.0), (0.99, 990.0), (1.0, 1000.0)] {
            let got = h.quantile(q).unwrap();
            assert!((got / want - 1.0).abs() < 0.0005, "q={q}: {got}");
        }
        assert_eq!(LatencyHistogram::new().quantile(0.5), None);
    }

    #[test]
    fn out_of_range_values_are_counted_not_dropped() {
        let mut h = LatencyHistogram::new();
        h.record(0.0);
        h.record(f64::NAN);
        h.record(1e12);
        assert_eq!(h.len(), 3);
        assert!(h.quantile(0.1).unwrap() <= MIN_MS * 1.001);
        assert!(h.quantile(1.0).unwrap() >= MAX_MS * 0.999);
    }

    #[test]
    fn quantiles_of_several_are_those_of_their_merge() {
        let (mut a, mut b) = (LatencyHistogram::new(), LatencyHistogram::new());
        // a: 1..=100 ms, b: 1,000..=1,900 ms by 100: 110 values in all.
        for ms in 1..=100 {
            a.record(ms as f64);
        }
        for ms in (1000..=1900).step_by(100) {
            b.record(ms as f64);
        }
        let mut m = a.clone();
        m.merge(&b);
        let qs = [0.5, 0.9, 0.95, 0.99];
        let got = LatencyHistogram::quantiles_of(&[&a, &b], qs).unwrap();
        assert_eq!(got, qs.map(|q| m.quantile(q).unwrap()));
        // Nearest rank of 110: ⌈55⌉ = 55 ms, ⌈99⌉ = 99 ms, ⌈104.5⌉ = 105th = 1,400 ms,
        // ⌈108.9⌉ = 109th = 1,800 ms.
        for (g, want) in got.iter().zip([55.0, 99.0, 1400.0, 1800.0]) {
            assert!((g / want - 1.0).abs() < 0.0005, "{g} vs {want}");
        }
        let empty = LatencyHistogram::new();
        assert_eq!(LatencyHistogram::quantiles_of(&[&empty], [0.5]), None);
    }

    #[test]
    fn merge_adds_counts() {
        let (mut a, mut b) = (LatencyHistogram::new(), LatencyHistogram::new());
        a.record(10.0);
        b.record(20.0);
        b.record(30.0);
        a.merge(&b);
        assert_eq!(a.len(), 3);
        assert!((a.quantile(0.5).unwrap() / 20.0 - 1.0).abs() < 0.0005);
    }
}
