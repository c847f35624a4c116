//! The access field of each record: what it means under the eviction
//! policy in force (an LRU clock reading, or an LFU counter with the
//! minute of its last decay), and the clock itself. Process-wide, as
//! Redis's LRU clock is: records are stamped as they are built, with no
//! keyspace at hand. `evict` ranks keys by it.

use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};

use super::clock::unix_ms;

/// The access field's width: the top bits of a record's 64-bit word,
/// above its block's address.
pub const ACCESS_BITS: u32 = 16;

pub(super) const MODE_OFF: u8 = 0;
pub(super) const MODE_LRU: u8 = 1;
pub(super) const MODE_LFU: u8 = 2;

/// What the access field means now; process-wide, as Redis's LRU clock is
/// (records are stamped as they are built, with no keyspace at hand).
pub(super) static MODE: AtomicU8 = AtomicU8::new(MODE_OFF);
/// The LRU clock, in [`LRU_TICK_MS`] ticks, kept by [`tick`].
pub(super) static CLOCK: AtomicU32 = AtomicU32::new(0);
pub(super) static LFU_LOG_FACTOR: AtomicU32 = AtomicU32::new(10);
pub(super) static LFU_DECAY_MINUTES: AtomicU32 = AtomicU32::new(1);

const LRU_TICK_MS: u64 = 250;
pub(super) const FIELD_MASK: u32 = (1 << ACCESS_BITS) - 1;
/// A new key's LFU count (Redis's `LFU_INIT_VAL`), so that it is not the
/// first to go before it has had a chance to be read.
pub(super) const LFU_INIT: u32 = 5;

/// Brings the LRU clock up to date: called every 100 ms by the server, and
/// before each eviction run.
pub fn tick() {
    let now = ((unix_ms() / LRU_TICK_MS) as u32) & FIELD_MASK;
    if CLOCK.load(Ordering::Relaxed) != now {
        CLOCK.store(now, Ordering::Relaxed);
    }
}

pub(super) fn minutes() -> u32 {
    ((unix_ms() / 60_000) as u32) & 0xff
}

/// The access field a new record starts with.
#[inline]
pub fn fresh_access() -> u32 {
    match MODE.load(Ordering::Relaxed) {
        MODE_LFU => (minutes() << 8) | LFU_INIT,
        _ => CLOCK.load(Ordering::Relaxed),
    }
}
