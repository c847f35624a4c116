//! `instantaneous_ops_per_sec` and the `instantaneous_*_kbps` rates,
//! sampled as Redis does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::Shared;

/// How often the sampler reads the command counter, and how many readings
/// the rate is averaged over: Redis's own choice (every 100 ms, 16 samples),
/// so the figure moves as users of Redis expect.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(100);
const SAMPLES: usize = 16;

/// Commands per second over the last 1.6 s.
#[derive(Debug, Default)]
pub struct OpsMeter {
    per_sec: AtomicU64,
    ring: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    last: Option<(Instant, u64)>,
    samples: [u64; SAMPLES],
    next: usize,
    filled: usize,
}

impl OpsMeter {
    /// Records that `count` commands had been processed by `now`.
    pub fn sample(&self, count: u64, now: Instant) {
        let mut ring = self.ring.lock();
        if let Some((at, before)) = ring.last {
            let ms = now.saturating_duration_since(at).as_millis() as u64;
            // The counter only goes down through CONFIG RESETSTAT: count that
            // interval as idle rather than as a huge negative rate.
            let done = count.saturating_sub(before);
            let rate = done.saturating_mul(1000).checked_div(ms).unwrap_or(0);
            let i = ring.next;
            ring.samples[i] = rate;
            ring.next = (i + 1) % SAMPLES;
            ring.filled = (ring.filled + 1).min(SAMPLES);
            let avg = ring.samples.iter().sum::<u64>() / ring.filled as u64;
            self.per_sec.store(avg, Ordering::Relaxed);
        }
        ring.last = Some((now, count));
    }

    pub fn per_sec(&self) -> u64 {
        self.per_sec.load(Ordering::Relaxed)
    }

    /// Samples `shared`'s command and byte counters forever, and ages the
    /// recent buffer peaks; spawn it next to the
    /// listener and abort it when the server stops.
    pub async fn run(shared: Arc<Shared>) {
        const TICKS_PER_SECOND: u64 = 1000 / SAMPLE_EVERY.as_millis() as u64;
        let mut ticks = 0u64;
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let stats = &shared.stats;
            let now = Instant::now();
            stats
                .ops
                .sample(stats.commands_processed.load(Ordering::Relaxed), now);
            stats.input_rate.sample(stats.net.input_bytes(), now);
            stats.output_rate.sample(stats.net.output_bytes(), now);
            ticks += 1;
            if ticks.is_multiple_of(TICKS_PER_SECOND) {
                stats.net.input_peak.rotate();
                stats.net.output_peak.rotate();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_averages_recent_rates() {
        let m = OpsMeter::default();
        let t0 = Instant::now();
        m.sample(0, t0);
        assert_eq!(m.per_sec(), 0);
        m.sample(100, t0 + Duration::from_millis(100));
        assert_eq!(m.per_sec(), 1000);
        m.sample(100, t0 + Duration::from_millis(200));
        assert_eq!(m.per_sec(), 500);
        // A reset counter is an idle interval, not a negative rate.
        m.sample(0, t0 + Duration::from_millis(300));
        assert_eq!(m.per_sec(), 333);
        for i in 4..40 {
            m.sample(0, t0 + Duration::from_millis(100 * i));
        }
        assert_eq!(m.per_sec(), 0, "old samples age out");
    }
}
