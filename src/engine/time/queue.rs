//! The pending events of a replication, in the order of their times, ties in
//! the order they were scheduled: a radix heap (Ahuja, Mehlhorn, Orlin and
//! Tarjan, "Faster algorithms for the shortest path problem", *Journal of the
//! ACM* 37(2), 1990, §3), which needs no event to be scheduled before the last
//! one taken, as here (a call ends after it starts; a retry waits).
//!
//! A time is ordered by its bits (times are ≥ 0). Bucket `i > 0` holds the
//! events whose time first differs from `last` (the time of the last event
//! taken, or scanned for) in bit `i − 1` from the top; bucket 0 those at
//! `last` itself. Taking an event from an empty bucket 0 spreads the first
//! non-empty bucket over the ones below it, each event moving down. Every
//! bucket keeps its events in the order they were scheduled (appends, and
//! stable moves into buckets that were empty), so equal times come out in that
//! order, as a binary heap keyed by (time, sequence number) gives them.

/// A pending event: its time's bits and the flight it belongs to.
#[derive(Debug, Clone, Copy)]
struct Item {
    key: u64,
    flight: u32,
}

#[derive(Debug)]
pub struct EventQueue {
    buckets: Vec<Vec<Item>>,
    /// Bucket 0's first event not yet taken.
    head: usize,
    last: u64,
    len: usize,
    /// The earliest pending event (time bits, flight) outside bucket 0, where
    /// known.
    min: Option<(u64, u32)>,
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue {
            buckets: (0..65).map(|_| Vec::new()).collect(),
            head: 0,
            last: 0,
            len: 0,
            min: None,
        }
    }
}

#[inline]
fn bucket(key: u64, last: u64) -> usize {
    (64 - (key ^ last).leading_zeros()) as usize
}

impl EventQueue {
    /// Schedules `flight`'s next event at the time of bits `key`, not before
    /// the last event taken.
    #[inline]
    pub fn push(&mut self, key: u64, flight: u32) {
        debug_assert!(key >= self.last, "scheduled in the past");
        self.buckets[bucket(key, self.last)].push(Item { key, flight });
        self.len += 1;
        if let Some((m, _)) = self.min
            && key < m
        {
            self.min = Some((key, flight));
        }
    }

    /// The earliest pending event: its time (bits) and flight.
    #[inline]
    pub fn peek(&mut self) -> Option<(u64, u32)> {
        if let Some(e) = self.buckets[0].get(self.head) {
            return Some((e.key, e.flight));
        }
        if self.min.is_none() && self.len > 0 {
            // Bucket 0 is spent: the earliest is in the first non-empty one.
            let b = 1 + self.buckets[1..].iter().position(|b| !b.is_empty())?;
            // The first of the earliest: ties come out in bucket order.
            self.min = self.buckets[b].iter().fold(None, |m, e| match m {
                Some((k, _)) if k <= e.key => m,
                _ => Some((e.key, e.flight)),
            });
        }
        self.min
    }

    /// Takes the earliest pending event: its time (bits) and flight.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, u32)> {
        if self.head == self.buckets[0].len() {
            if self.len == 0 {
                return None;
            }
            self.buckets[0].clear();
            self.head = 0;
            let b = self.buckets.iter().position(|b| !b.is_empty())?;
            let spread = std::mem::take(&mut self.buckets[b]);
            let last = match self.min {
                Some((k, _)) => k,
                None => spread.iter().map(|e| e.key).min().unwrap_or(0),
            };
            self.last = last;
            for &e in &spread {
                self.buckets[bucket(e.key, last)].push(e);
            }
            // Keep the spread bucket's buffer for later.
            let mut spread = spread;
            spread.clear();
            self.buckets[b] = spread;
        }
        let e = self.buckets[0][self.head];
        self.head += 1;
        self.len -= 1;
        self.min = None;
        Some((e.key, e.flight))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus as Rng64;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    #[test]
    fn events_come_out_as_from_a_heap_of_time_and_sequence() {
        let mut rng = Rng64::seed_from_u64(7);
        let mut q = EventQueue::default();
        let mut h = BinaryHeap::new();
        let mut seq = 0u64;
        let mut now = 0.0f64;
        for step in 0..200_000u32 {
            // Pushes: some at now exactly (ties), some on a coarse grid
            // (ties between them), most anywhere ahead.
            for _ in 0..rng.random_range(0..3) {
                let t = match rng.random_range(0..4) {
                    0 => now,
                    1 => now + rng.random_range(0..4) as f64 * 0.5,
                    _ => now + rng.random::<f64>() * 30.0,
                };
                seq += 1;
                q.push(t.to_bits(), step);
                h.push(Reverse((t.to_bits(), seq, step)));
            }
            if rng.random_range(0..2) == 0 {
                let a = q.peek();
                assert_eq!(a, h.peek().map(|r| (r.0.0, r.0.2)));
                let b = q.pop();
                let r = h.pop().map(|r| (r.0.0, r.0.2));
                assert_eq!(b, r);
                if let Some((k, _)) = b {
                    now = f64::from_bits(k);
                }
            }
        }
        while let Some(r) = h.pop() {
            assert_eq!(q.peek(), Some((r.0.0, r.0.2)));
            assert_eq!(q.pop(), Some((r.0.0, r.0.2)));
        }
        assert_eq!(q.pop(), None);
        assert_eq!(q.peek(), None);
    }
}
