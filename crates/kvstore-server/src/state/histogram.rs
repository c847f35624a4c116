//! Per-command latency histograms (`LATENCY HISTOGRAM`, `INFO
//! latencystats`), with the resolution of Redis's: two significant digits
//! over 1 ns to 1 s.
//!
//! The buckets are those of an HDR histogram with 256 sub-buckets: below
//! 256 ns one per nanosecond, then 128 per doubling, so a bucket is under
//! 1% wide and a percentile reads back as Redis's does (2 µs shows as
//! 2.007). Each bucket is a relaxed atomic counter, so recording is one
//! addition and no lock; the 24 KiB of buckets are allocated at a
//! command's first call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Redis's bounds, in nanoseconds.
const MIN: u64 = 1;
const MAX: u64 = 1_000_000_000;
/// Sub-buckets below the first doubling, and per doubling past it.
const LINEAR: u64 = 256;
const HALF: u64 = 128;
/// Buckets to cover `MAX`: 256 exact values, then 128 per doubling from
/// 256 up to 2^30.
const BUCKETS: usize = (LINEAR + HALF * 22) as usize;

#[derive(Debug, Default)]
pub struct Histogram {
    buckets: OnceLock<Box<[AtomicU64]>>,
}

/// The bucket that holds `v` (nanoseconds, already within bounds).
fn index(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    // `shift` brings v into [128, 256).
    let shift = 63 - v.leading_zeros() as u64 - 7;
    (LINEAR + (shift - 1) * HALF + ((v >> shift) - HALF)) as usize
}

/// The largest value bucket `i` holds (HDR's "highest equivalent value").
fn highest(i: usize) -> u64 {
    let i = i as u64;
    if i < LINEAR {
        return i;
    }
    let shift = (i - LINEAR) / HALF + 1;
    let top = HALF + (i - LINEAR) % HALF;
    (top << shift) + (1 << shift) - 1
}

impl Histogram {
    /// Records `n` runs that took `nanos` each.
    #[inline]
    pub fn record(&self, nanos: u64, n: u64) {
        let buckets = self
            .buckets
            .get_or_init(|| (0..BUCKETS).map(|_| AtomicU64::new(0)).collect());
        buckets[index(nanos.clamp(MIN, MAX))].fetch_add(n, Ordering::Relaxed);
    }

    pub fn reset(&self) {
        if let Some(b) = self.buckets.get() {
            b.iter().for_each(|c| c.store(0, Ordering::Relaxed));
        }
    }

    /// The counts, if the command ever ran.
    pub fn read(&self) -> Option<Counts> {
        let b = self.buckets.get()?;
        let counts: Vec<u64> = b.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let total = counts.iter().sum();
        (total > 0).then_some(Counts { counts, total })
    }
}

/// A histogram read at one moment.
pub struct Counts {
    counts: Vec<u64>,
    pub total: u64,
}

impl Counts {
    /// The value (nanoseconds) at `p` percent, as HDR computes it: the
    /// top of the bucket where the running count reaches `p`% of all.
    pub fn percentile(&self, p: f64) -> u64 {
        let p = p.clamp(0.0, 100.0);
        let wanted = ((p / 100.0 * self.total as f64) + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= wanted {
                return highest(i);
            }
        }
        highest(self.counts.len() - 1)
    }

    /// Redis's cumulative distribution: at each doubling from 1024 ns,
    /// the top of its bucket in microseconds and how many runs took at
    /// most that, listed where the count grew, up to the last run.
    pub fn cumulative(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let (mut level, mut below, mut at, mut previous) = (1024u64, 0u64, 0usize, 0u64);
        while previous < self.total && level <= MAX * 2 {
            let last = index(level.min(MAX));
            while at <= last && at < self.counts.len() {
                below += self.counts[at];
                at += 1;
            }
            if below > previous {
                out.push((highest(last) / 1000, below));
            }
            previous = below;
            level *= 2;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_hdr_s_with_two_significant_digits() {
        for v in [1u64, 255, 256, 257, 1023, 1024, 2000, 999_999, MAX] {
            let i = index(v);
            assert!(highest(i) >= v, "{v}");
            assert!(i == 0 || highest(i - 1) < v, "{v}");
            assert!(i < BUCKETS, "{v}");
        }
        // Redis shows 2 µs as 2.007, and its reporting levels as these.
        assert_eq!(highest(index(2000)), 2007);
        let levels: Vec<u64> = [32_768u64, 131_072, 4_194_304, 134_217_728]
            .iter()
            .map(|&l| highest(index(l)) / 1000)
            .collect();
        assert_eq!(levels, [33, 132, 4227, 135_266]);
    }

    #[test]
    fn percentiles_and_the_cumulative_distribution() {
        let h = Histogram::default();
        assert!(h.read().is_none());
        h.record(1_000, 1);
        h.record(2_000, 26);
        h.record(3_000, 19);
        h.record(7_000, 5);
        h.record(9_000, 1);
        let c = h.read().expect("recorded");
        assert_eq!(c.total, 52);
        assert_eq!(c.percentile(50.0), 2007);
        assert_eq!(c.percentile(99.0), 7007);
        assert_eq!(c.percentile(100.0), 9023);
        assert_eq!(
            c.cumulative(),
            vec![(1, 1), (2, 27), (4, 46), (8, 51), (16, 52)]
        );
        h.reset();
        assert!(h.read().is_none());
    }
}
