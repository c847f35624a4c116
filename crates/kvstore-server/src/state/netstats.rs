//! The traffic figures of `INFO stats` and `INFO clients`: bytes and
//! socket calls in each direction, the largest recent buffers, and the
//! active expiry cycle's effort. Connections bump them once per read or
//! write (striped counters, see [`crate::keyspace::striped`]); the peaks
//! cost a relaxed load unless a buffer is the largest yet this second.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::keyspace::striped::Striped;

const NET_IN: usize = 0;
const NET_OUT: usize = 1;
const READS: usize = 2;
const WRITES: usize = 3;

#[derive(Debug, Default)]
pub struct NetStats {
    counters: Striped<4>,
    /// Largest query buffer after a read, and largest reply batch written.
    pub input_peak: RecentPeak,
    pub output_peak: RecentPeak,
}

impl NetStats {
    /// A read of `n` bytes that left `buffered` unparsed in the query buffer.
    #[inline]
    pub fn read(&self, n: usize, buffered: usize) {
        self.counters.add(NET_IN, n as u64);
        self.counters.add(READS, 1);
        self.input_peak.note(buffered);
    }

    /// A write of `n` bytes of replies.
    #[inline]
    pub fn wrote(&self, n: usize) {
        self.counters.add(NET_OUT, n as u64);
        self.counters.add(WRITES, 1);
        self.output_peak.note(n);
    }

    pub fn input_bytes(&self) -> u64 {
        self.counters.sum(NET_IN)
    }

    pub fn output_bytes(&self) -> u64 {
        self.counters.sum(NET_OUT)
    }

    pub fn reads(&self) -> u64 {
        self.counters.sum(READS)
    }

    pub fn writes(&self) -> u64 {
        self.counters.sum(WRITES)
    }

    pub fn reset(&self) {
        self.counters.reset();
    }
}

/// Seconds a peak is remembered: Redis's `client_recent_max_*` cover
/// about the last 8 seconds too.
const PEAK_SECONDS: usize = 8;

/// The largest figure noted over the last [`PEAK_SECONDS`] seconds: the
/// current second's maximum, kept by the connections, and one per past
/// second, rotated by the sampler.
#[derive(Debug, Default)]
pub struct RecentPeak {
    current: AtomicUsize,
    past: Mutex<([usize; PEAK_SECONDS], usize)>,
}

impl RecentPeak {
    #[inline]
    pub fn note(&self, n: usize) {
        if n > self.current.load(Ordering::Relaxed) {
            self.current.fetch_max(n, Ordering::Relaxed);
        }
    }

    /// Ends the current second (called once a second by the sampler).
    pub fn rotate(&self) {
        let done = self.current.swap(0, Ordering::Relaxed);
        let mut past = self.past.lock();
        let i = past.1;
        past.0[i] = done;
        past.1 = (i + 1) % PEAK_SECONDS;
    }

    pub fn get(&self) -> usize {
        let past = self.past.lock().0.iter().copied().max().unwrap_or(0);
        past.max(self.current.load(Ordering::Relaxed))
    }
}

/// The active expiry cycle's `INFO stats` figures.
#[derive(Debug, Default)]
pub struct ExpireStats {
    /// Time spent in the cycle, in microseconds.
    pub cycle_us: AtomicU64,
    /// Cycles that stopped at their time budget with keys still due.
    pub time_cap_reached: AtomicU64,
    /// Estimated share of keys with a deadline that are past it but not yet
    /// removed, in hundredths of a percent, smoothed over cycles.
    stale_perc_x100: AtomicU64,
}

impl ExpireStats {
    /// One cycle that found `due` keys past their deadline among `volatile`
    /// keys with one. Redis smooths its estimate the same way (5% new).
    pub fn cycle(&self, due: usize, volatile: usize) {
        let now = if volatile == 0 {
            0.0
        } else {
            due as f64 * 10_000.0 / volatile as f64
        };
        let before = self.stale_perc_x100.load(Ordering::Relaxed) as f64;
        let smoothed = now * 0.05 + before * 0.95;
        self.stale_perc_x100
            .store(smoothed.min(10_000.0) as u64, Ordering::Relaxed);
    }

    /// `expired_stale_perc`, as a percentage.
    pub fn stale_perc(&self) -> f64 {
        self.stale_perc_x100.load(Ordering::Relaxed) as f64 / 100.0
    }

    pub fn reset(&self) {
        self.cycle_us.store(0, Ordering::Relaxed);
        self.time_cap_reached.store(0, Ordering::Relaxed);
        self.stale_perc_x100.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_lasts_its_seconds() {
        let p = RecentPeak::default();
        p.note(10);
        p.note(5);
        assert_eq!(p.get(), 10);
        p.rotate();
        p.note(3);
        assert_eq!(p.get(), 10);
        for _ in 0..=PEAK_SECONDS {
            p.rotate();
        }
        assert_eq!(p.get(), 0);
    }

    #[test]
    fn counts_traffic() {
        let n = NetStats::default();
        n.read(100, 40);
        n.wrote(7);
        assert_eq!((n.input_bytes(), n.output_bytes()), (100, 7));
        assert_eq!((n.reads(), n.writes()), (1, 1));
        assert_eq!(n.input_peak.get(), 40);
    }
}
