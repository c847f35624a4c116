//! The time deadlines are compared with, and the record of keys that
//! writes found expired.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

/// Keys (database, key) found past their deadline by a write.
type FoundExpired = Vec<(usize, Box<[u8]>)>;

/// One per keyspace, shared by its databases.
#[derive(Default)]
pub struct Clock {
    /// Set while loading: replayed writes must see the keys as they were
    /// when first applied, so nothing expires until loading is over (as
    /// in Redis). The keys past their deadline are removed after.
    frozen: AtomicBool,
    /// Keys (database, key) that a write removed because their deadline
    /// had passed, kept only while `Some`: with the append-only file on,
    /// each must be logged as a deletion before the write that found it.
    found_expired: Mutex<Option<FoundExpired>>,
    /// Told of every key removed for its deadline, by a command or by the
    /// active cycle (keyspace notifications, set by the layer above).
    on_expired: OnceLock<ExpiredHook>,
}

/// See [`Clock::on_expired`]: (database, key).
pub type ExpiredHook = Box<dyn Fn(usize, &[u8]) + Send + Sync>;

/// Unix time in milliseconds.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Clock {
    /// Now in Unix ms, or 0 (before every deadline) while frozen.
    #[inline]
    pub fn now(&self) -> u64 {
        if self.frozen.load(Ordering::Relaxed) {
            0
        } else {
            unix_ms()
        }
    }

    pub fn freeze(&self, frozen: bool) {
        self.frozen.store(frozen, Ordering::Relaxed);
    }

    /// Starts (or stops) keeping the keys that writes find expired.
    pub fn keep_found_expired(&self, on: bool) {
        *self.found_expired.lock() = on.then(Vec::new);
    }

    /// Sets what is told of every key that expires (once; later calls are
    /// ignored).
    pub fn on_expired(&self, hook: ExpiredHook) {
        let _ = self.on_expired.set(hook);
    }

    pub(super) fn tell_expired(&self, db: usize, key: &[u8]) {
        if let Some(hook) = self.on_expired.get() {
            hook(db, key);
        }
    }

    pub(super) fn note_expired(&self, db: usize, key: &[u8]) {
        self.tell_expired(db, key);
        if let Some(list) = self.found_expired.lock().as_mut() {
            list.push((db, key.into()));
        }
    }

    /// The keys found expired since the last call.
    pub fn take_found_expired(&self) -> Vec<(usize, Box<[u8]>)> {
        self.found_expired
            .lock()
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }
}
