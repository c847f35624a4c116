//! Per-connection limits that `CONFIG SET` changes while connections run,
//! kept as atomics so that a connection reads them with a relaxed load per
//! request batch rather than taking the config lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::config::{BufferLimit, Config};

#[derive(Debug, Default)]
pub struct ConnLimits {
    /// `timeout`: seconds a client may sit idle; 0 for ever.
    idle_secs: AtomicU64,
    /// `client-output-buffer-limit normal`: hard, soft, soft seconds.
    normal: [AtomicU64; 3],
}

impl ConnLimits {
    pub fn configure(&self, c: &Config) {
        self.idle_secs
            .store(c.timeout.max(0) as u64, Ordering::Relaxed);
        let n = c.client_output_buffer_limit.normal;
        for (slot, v) in self.normal.iter().zip([n.hard, n.soft, n.soft_secs]) {
            slot.store(v, Ordering::Relaxed);
        }
    }

    /// How long a client may sit idle before it is closed, if at all.
    #[inline]
    pub fn idle_timeout(&self) -> Option<Duration> {
        match self.idle_secs.load(Ordering::Relaxed) {
            0 => None,
            s => Some(Duration::from_secs(s)),
        }
    }

    /// The output-buffer limit of ordinary clients.
    #[inline]
    pub fn normal_output(&self) -> BufferLimit {
        BufferLimit {
            hard: self.normal[0].load(Ordering::Relaxed),
            soft: self.normal[1].load(Ordering::Relaxed),
            soft_secs: self.normal[2].load(Ordering::Relaxed),
        }
    }
}
