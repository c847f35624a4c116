//! Log lines that clients can cause (a connection refused at `maxclients`,
//! a protocol error, a subscriber cut off at its output limit, a failed TLS
//! handshake): at most one a second of each kind, the next one saying how
//! many were held back, so that a flood of bad clients cannot flood the log.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// One kind of client-caused log line.
pub struct RateLog {
    /// When a line of this kind was last let through (Unix ms).
    last_ms: AtomicU64,
    /// Lines held back since.
    held: AtomicU64,
}

/// The lines of one kind let through at most this often.
const EVERY_MS: u64 = 1000;

impl RateLog {
    pub const fn new() -> RateLog {
        RateLog {
            last_ms: AtomicU64::new(0),
            held: AtomicU64::new(0),
        }
    }

    /// `Some(n)` if a line may be logged now, `n` being how many were held
    /// back before it; `None` (and one more held back) otherwise.
    pub fn allow(&self) -> Option<u64> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let last = self.last_ms.load(Ordering::Relaxed);
        if now >= last.saturating_add(EVERY_MS)
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            return Some(self.held.swap(0, Ordering::Relaxed));
        }
        self.held.fetch_add(1, Ordering::Relaxed);
        None
    }
}

/// ", and N more like it since the last" when some were held back.
pub fn held_note(held: u64) -> String {
    if held == 0 {
        String::new()
    } else {
        format!(" ({held} more like it held back since the last)")
    }
}

pub static REJECTED: RateLog = RateLog::new();
pub static PROTOCOL: RateLog = RateLog::new();
pub static OUTPUT_LIMIT: RateLog = RateLog::new();
pub static TLS_HANDSHAKE: RateLog = RateLog::new();
pub static ACCEPT: RateLog = RateLog::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_a_second_then_the_count_of_the_rest() {
        let log = RateLog::new();
        assert_eq!(log.allow(), Some(0));
        for _ in 0..5 {
            assert_eq!(log.allow(), None);
        }
        // A second later the next line carries the five held back.
        log.last_ms.fetch_sub(EVERY_MS, Ordering::Relaxed);
        assert_eq!(log.allow(), Some(5));
        assert_eq!(log.allow(), None);
    }
}
