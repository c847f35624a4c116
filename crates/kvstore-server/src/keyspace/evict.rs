//! `maxmemory` eviction: which key goes when the data outgrows its cap.
//!
//! As in Redis, nothing is ranked exactly: each eviction samples a few keys
//! at random (`maxmemory-samples` per database), keeps the best candidates
//! seen so far in a small pool across evictions, and removes the best of
//! the pool. The ranking reads the 16-bit access field every record
//! carries in its table slot at no cost in memory (see `record.rs`;
//! Redis keeps 24 bits in its object header):
//!
//! - LRU policies: a clock of quarter seconds (Redis's ticks are seconds,
//!   but a cache that turns over within a second or two must still tell
//!   its keys apart), stamped on every access; the oldest stamp goes
//!   first. It wraps after 4.5 hours, so a key untouched for longer ranks
//!   as if idle for that much less.
//! - LFU policies: 8 bits of minutes (when the count last decayed,
//!   wrapping after 256) and an 8-bit logarithmic access counter, Redis's
//!   scheme: a new key starts at 5, an access adds one with a probability
//!   that falls as the counter grows (`lfu-log-factor`), and it loses one
//!   per `lfu-decay-time` minutes without access. The lowest count goes
//!   first.
//! - `volatile-ttl`: the nearest deadline among the samples goes first.
//! - random policies: a random key (with a deadline, for `volatile-random`).
//!
//! Volatile policies only ever consider keys with a deadline.
//!
//! The access field is only touched while an LRU or LFU policy is
//! chosen, so a server under the default `noeviction` pays one relaxed
//! load per lookup for all this. The keyspace imports
//! nothing above it: [`Keyspace::evict`] hands the evicted keys back, and
//! the caller announces them.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

pub use super::access::{fresh_access, tick};
use super::access::{
    minutes, CLOCK, FIELD_MASK, LFU_DECAY_MINUTES, LFU_INIT, LFU_LOG_FACTOR, MODE, MODE_LFU,
    MODE_LRU, MODE_OFF,
};
use super::record::Record;
use super::sampled::Sampled;
use super::Keyspace;

/// Redis's eviction policies, under their config names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    NoEviction,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

const POLICIES: [(Policy, &str); 8] = [
    (Policy::VolatileLru, "volatile-lru"),
    (Policy::VolatileLfu, "volatile-lfu"),
    (Policy::VolatileRandom, "volatile-random"),
    (Policy::VolatileTtl, "volatile-ttl"),
    (Policy::AllKeysLru, "allkeys-lru"),
    (Policy::AllKeysLfu, "allkeys-lfu"),
    (Policy::AllKeysRandom, "allkeys-random"),
    (Policy::NoEviction, "noeviction"),
];

impl Policy {
    /// The policy a config name (any case) stands for.
    pub fn parse(s: &str) -> Option<Policy> {
        POLICIES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
            .map(|(p, _)| *p)
    }

    pub fn name(self) -> &'static str {
        POLICIES
            .iter()
            .find(|(p, _)| *p == self)
            .map_or("noeviction", |(_, n)| n)
    }

    /// Only keys with a deadline may go.
    pub fn volatile(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }

    fn mode(self) -> u8 {
        match self {
            Policy::AllKeysLru | Policy::VolatileLru => MODE_LRU,
            Policy::AllKeysLfu | Policy::VolatileLfu => MODE_LFU,
            _ => MODE_OFF,
        }
    }

    fn index(self) -> u8 {
        POLICIES.iter().position(|(p, _)| *p == self).unwrap_or(7) as u8
    }
}

/// Candidates kept between evictions (Redis's `EVPOOL_SIZE`).
const POOL_SIZE: usize = 16;

/// Notes an access to `r` (a read or a write) for the ranking policy in
/// force; nothing without one.
#[inline]
pub fn touch(r: &Record) {
    match MODE.load(Ordering::Relaxed) {
        MODE_OFF => {}
        MODE_LRU => {
            let now = CLOCK.load(Ordering::Relaxed);
            // Read before writing, so that a key read many times within a
            // tick dirties its cache line once.
            if r.access() != now {
                r.set_access(now);
            }
        }
        _ => lfu_touch(r),
    }
}

fn lfu_touch(r: &Record) {
    let now = minutes();
    let mut count = lfu_decayed(r.access(), now);
    if count < 255 {
        let base = count.saturating_sub(LFU_INIT) as f64;
        let factor = f64::from(LFU_LOG_FACTOR.load(Ordering::Relaxed));
        if random_unit() < 1.0 / (base * factor + 1.0) {
            count += 1;
        }
    }
    r.set_access((now << 8) | count);
}

/// The LFU counter in `field`, less one per decay period gone by since.
fn lfu_decayed(field: u32, now: u32) -> u32 {
    let count = field & 0xff;
    let decay = LFU_DECAY_MINUTES.load(Ordering::Relaxed);
    if decay == 0 {
        return count;
    }
    let then = (field >> 8) & 0xff;
    let elapsed = now.wrapping_sub(then) & 0xff;
    count.saturating_sub(elapsed / decay)
}

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// A random 64-bit number: xorshift, seeded per thread from the clock and
/// the thread's stack address. Plenty for picking keys.
fn random() -> u64 {
    RNG.with(|c| {
        let mut x = c.get();
        if x == 0 {
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            x = (seed ^ (c as *const _ as u64).rotate_left(32)) | 1;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c.set(x);
        x
    })
}

fn random_unit() -> f64 {
    (random() >> 11) as f64 / (1u64 << 53) as f64
}

/// The eviction settings and state of one keyspace.
pub struct Eviction {
    /// `maxmemory` in bytes; 0: no cap.
    maxmemory: AtomicU64,
    policy: AtomicU8,
    samples: AtomicUsize,
    tenacity: AtomicU32,
    /// INFO's `evicted_keys`.
    evicted: AtomicU64,
    pool: Mutex<Pool>,
}

/// What eviction keeps between runs.
#[derive(Default)]
struct Pool {
    candidates: Vec<Candidate>,
    /// Per database, the LRU tick at which sampling last found it empty:
    /// it is skipped for the rest of that tick, since finding a database
    /// empty means looking at every shard.
    empty_at: Vec<u32>,
    /// The database and shard the next sampling starts at, drawn (and
    /// prefetched) at the end of the last eviction.
    next: Option<(usize, usize)>,
}

impl Pool {
    fn known_empty(&mut self, db: usize, volatile: bool, d: &super::Db) -> bool {
        if volatile {
            return d.volatile() == 0;
        }
        if self.empty_at.len() <= db {
            self.empty_at.resize(db + 1, u32::MAX);
        }
        self.empty_at[db] == CLOCK.load(Ordering::Relaxed)
    }

    fn found_empty(&mut self, db: usize) {
        if let Some(e) = self.empty_at.get_mut(db) {
            *e = CLOCK.load(Ordering::Relaxed);
        }
    }
}

impl Default for Eviction {
    fn default() -> Eviction {
        Eviction {
            maxmemory: AtomicU64::new(0),
            policy: AtomicU8::new(Policy::NoEviction.index()),
            samples: AtomicUsize::new(5),
            tenacity: AtomicU32::new(10),
            evicted: AtomicU64::new(0),
            pool: Mutex::new(Pool::default()),
        }
    }
}

/// The eviction settings, as `CONFIG SET` gives them.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub maxmemory: u64,
    pub policy: Policy,
    pub samples: usize,
    pub tenacity: u32,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
}

/// A key the pool holds: the higher the score, the sooner it goes.
struct Candidate {
    score: u64,
    db: usize,
    at: Sampled,
}

/// How an eviction run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Under the cap (or no cap).
    Done,
    /// Out of time for this run (`maxmemory-eviction-tenacity`) while
    /// still over: the command goes ahead, the next one evicts more.
    Running,
    /// Over the cap with nothing the policy may evict.
    Failed,
}

impl Eviction {
    pub fn configure(&self, s: &Settings) {
        self.maxmemory.store(s.maxmemory, Ordering::Relaxed);
        self.policy.store(s.policy.index(), Ordering::Relaxed);
        self.samples.store(s.samples.max(1), Ordering::Relaxed);
        self.tenacity.store(s.tenacity, Ordering::Relaxed);
        LFU_LOG_FACTOR.store(s.lfu_log_factor, Ordering::Relaxed);
        LFU_DECAY_MINUTES.store(s.lfu_decay_time, Ordering::Relaxed);
        // Kept up under a ranking policy even before a cap is set, so that
        // the ranking means something the moment one is.
        let mode = s.policy.mode();
        if MODE.swap(mode, Ordering::Relaxed) != mode {
            // Scores of the old kind mean nothing under the new one.
            self.pool.lock().candidates.clear();
        }
        tick();
    }

    /// `maxmemory`; 0 for none. One relaxed load: the hot paths' check.
    #[inline]
    pub fn maxmemory(&self) -> u64 {
        self.maxmemory.load(Ordering::Relaxed)
    }

    pub fn policy(&self) -> Policy {
        POLICIES[usize::from(self.policy.load(Ordering::Relaxed)).min(7)].0
    }

    /// INFO's `evicted_keys`.
    pub fn evicted_keys(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    pub fn reset_stats(&self) {
        self.evicted.store(0, Ordering::Relaxed);
    }

    /// How long one run may go on evicting (Redis's curve: 50 µs per
    /// point of tenacity up to 10, then 15% more per point; 100 is no
    /// limit).
    fn time_limit(&self) -> Option<Duration> {
        let t = self.tenacity.load(Ordering::Relaxed);
        if t >= 100 {
            return None;
        }
        let us = if t <= 10 {
            50.0 * f64::from(t)
        } else {
            500.0 * 1.15f64.powi(t as i32 - 10)
        };
        Some(Duration::from_micros(us as u64))
    }
}

impl Keyspace {
    /// Evicts keys by the policy in force until `over` says the data fits,
    /// appending each evicted (database, key) to `evicted`. Every record
    /// is freed here, before `over` is asked again.
    pub fn evict(
        &self,
        over: &mut dyn FnMut() -> bool,
        evicted: &mut Vec<(usize, Box<[u8]>)>,
    ) -> Outcome {
        let ev = &self.eviction;
        if ev.maxmemory() == 0 || !over() {
            return Outcome::Done;
        }
        let policy = ev.policy();
        if policy == Policy::NoEviction {
            return Outcome::Failed;
        }
        // The LRU clock is kept by the expiry cycle's tick; the time limit
        // is read only once a run goes past one key (most evict one).
        let mut began = None;
        let limit = ev.time_limit();
        let mut done = 0usize;
        loop {
            let victim = match policy {
                Policy::AllKeysRandom | Policy::VolatileRandom => self.random_victim(policy),
                _ => self.pooled_victim(policy),
            };
            let Some((db, key)) = victim else {
                return Outcome::Failed;
            };
            ev.evicted.fetch_add(1, Ordering::Relaxed);
            evicted.push((db, key));
            done += 1;
            if !over() {
                return Outcome::Done;
            }
            let began = *began.get_or_insert_with(Instant::now);
            // The clock is read every 16 keys, as Redis does.
            if done.is_multiple_of(16) && limit.is_some_and(|l| began.elapsed() > l) {
                return Outcome::Running;
            }
        }
    }

    /// Removes `key` from database `db` if it is still there (and still
    /// has a deadline, for a volatile policy); the record is dropped here.
    fn remove_for_eviction(&self, db: usize, key: &[u8], volatile: bool) -> bool {
        let Some(d) = self.get_db(db) else {
            return false;
        };
        let removed = d.entry(key, |slot| {
            if slot
                .get()
                .is_some_and(|r| !volatile || r.deadline().is_some())
            {
                slot.remove()
            } else {
                None
            }
        });
        removed.is_some()
    }

    fn random_victim(&self, policy: Policy) -> Option<(usize, Box<[u8]>)> {
        let volatile = policy.volatile();
        let mut pool = self.eviction.pool.lock();
        // A few tries: the key picked may go between the pick and the
        // removal, and a database may turn out empty.
        for _ in 0..32 {
            let candidates: Vec<usize> = self
                .dbs()
                .enumerate()
                .filter(|(i, d)| !pool.known_empty(*i, volatile, d))
                .map(|(i, _)| i)
                .collect();
            if candidates.is_empty() {
                return None;
            }
            let db = candidates[random() as usize % candidates.len()];
            let mut picked: Option<Box<[u8]>> = None;
            let d = self.db(db);
            let now = d.now();
            let found = d.sample(1, volatile, random() as usize, &mut random, |_, r| {
                if !r.expired(now) {
                    picked = Some(r.key().into());
                }
            });
            if found == 0 {
                pool.found_empty(db);
            }
            if let Some(key) = picked {
                if self.remove_for_eviction(db, &key, volatile) {
                    return Some((db, key));
                }
            }
        }
        None
    }

    fn pooled_victim(&self, policy: Policy) -> Option<(usize, Box<[u8]>)> {
        let volatile = policy.volatile();
        let samples = self.eviction.samples.load(Ordering::Relaxed);
        let clock = CLOCK.load(Ordering::Relaxed);
        // A clock reading only where the score needs one.
        let now_min = match policy {
            Policy::AllKeysLfu | Policy::VolatileLfu => minutes(),
            _ => 0,
        };
        let score = |r: &Record| -> u64 {
            match policy {
                Policy::VolatileTtl => u64::MAX - r.deadline().unwrap_or(u64::MAX),
                Policy::AllKeysLfu | Policy::VolatileLfu => {
                    255 - u64::from(lfu_decayed(r.access(), now_min))
                }
                _ => u64::from(clock.wrapping_sub(r.access()) & FIELD_MASK),
            }
        };
        let mut guard = self.eviction.pool.lock();
        let pool = &mut *guard;
        for _ in 0..4 {
            for (i, d) in self.dbs().enumerate() {
                if pool.known_empty(i, volatile, d) {
                    continue;
                }
                let candidates = &mut pool.candidates;
                // Where the last run said this one would start: its shard
                // is in the cache by now.
                let start = match pool.next {
                    Some((db, start)) if db == i => start,
                    _ => random() as usize,
                };
                let found = d.sample(samples, volatile, start, &mut random, |at, r| {
                    let score = score(r);
                    if admits(candidates, score) {
                        offer(candidates, score, i, at);
                    }
                });
                if found == 0 {
                    pool.found_empty(i);
                }
            }
            // Best last: pop until one is still there to remove.
            while let Some(c) = pool.candidates.pop() {
                let Some(d) = self.get_db(c.db) else {
                    continue;
                };
                if let Some(old) = d.remove_sampled(c.at, volatile) {
                    let key = old.key().into();
                    // The next eviction's first reads, loaded while this
                    // command finishes: where its sampling starts, and the
                    // pool's best candidate, which it is likely to remove.
                    let start = random() as usize;
                    pool.next = Some((c.db, start));
                    let best = pool.candidates.last().filter(|b| b.db == c.db);
                    d.prefetch_eviction(start, best.map(|b| b.at));
                    return Some((c.db, key));
                }
            }
        }
        None
    }
}

/// Whether a key scoring `score` may enter the pool: known from the
/// record's access field alone, before its memory is touched.
#[inline]
fn admits(pool: &[Candidate], score: u64) -> bool {
    pool.len() < POOL_SIZE || pool[0].score < score
}

/// Puts a sampled record in the pool if it ranks among the best, keeping
/// the pool sorted by score (best last) and without duplicates. The pool
/// holds where each record was found, not its key: a record is read only
/// when it is evicted.
fn offer(pool: &mut Vec<Candidate>, score: u64, db: usize, at: Sampled) {
    if let Some(found) = pool.iter().position(|c| c.db == db && c.at == at) {
        pool[found].score = score;
        pool.sort_by_key(|c| c.score);
        return;
    }
    if !admits(pool, score) {
        return;
    }
    if pool.len() >= POOL_SIZE {
        pool.remove(0);
    }
    let slot = pool.partition_point(|c| c.score < score);
    pool.insert(slot, Candidate { score, db, at });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_read_back_by_name() {
        for (p, n) in POLICIES {
            assert_eq!(Policy::parse(n), Some(p));
            assert_eq!(Policy::parse(&n.to_ascii_uppercase()), Some(p));
            assert_eq!(p.name(), n);
        }
        assert_eq!(Policy::parse("lru"), None);
    }

    #[test]
    fn the_pool_keeps_the_best_without_duplicates() {
        let at = |i: u64| Sampled {
            shard: i as usize,
            bucket: 7,
            addr: 64 * i as usize,
        };
        let mut pool = Vec::new();
        for i in 0..40u64 {
            offer(&mut pool, i % 20, 0, at(i));
        }
        assert_eq!(pool.len(), POOL_SIZE);
        assert!(pool.windows(2).all(|w| w[0].score <= w[1].score));
        assert_eq!(pool.last().map(|c| c.score), Some(19));
        // Sampled again with a better score: moved, not pooled twice.
        offer(&mut pool, 100, 0, at(19));
        assert_eq!(pool.last().map(|c| c.at), Some(at(19)));
        assert_eq!(pool.iter().filter(|c| c.score == 19).count(), 1);
        assert_eq!(pool.len(), POOL_SIZE);
        // The same place in another database is another key.
        offer(&mut pool, 101, 1, at(19));
        assert_eq!(pool.iter().filter(|c| c.at == at(19)).count(), 2);
        // Not among the best: left out.
        offer(&mut pool, 0, 0, at(0));
        assert!(pool.iter().all(|c| c.at != at(0)));
    }

    #[test]
    fn lfu_counts_decay_by_the_minute() {
        LFU_DECAY_MINUTES.store(1, Ordering::Relaxed);
        assert_eq!(lfu_decayed((100 << 8) | 20, 103), 17);
        assert_eq!(lfu_decayed((100 << 8) | 2, 110), 0);
        // Wraps like the 8-bit minute clock.
        assert_eq!(lfu_decayed((0xff << 8) | 9, 1), 7);
    }
}
