//! What the server tells about itself: per-command and per-error counts
//! (`INFO commandstats|errorstats`), the slow log, latency events, the
//! connections in MONITOR mode, and `CLIENT PAUSE`.
//!
//! Everything a command touches on every run is an atomic: the counters
//! of its slot (indexed by its position in the command table, which the
//! command layer computes), and the thresholds copied here from the
//! configuration. Locks are taken only by what is rare: an error reply,
//! a slow command, a monitor feed, a pause.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::pubsub::{BufferLimit, Outbox};
use crate::config::Config;

/// More slots than the table has commands (the command layer checks).
pub const MAX_COMMANDS: usize = 512;
/// Redis stops tracking error codes past this many distinct ones.
const MAX_ERROR_CODES: usize = 128;
/// Samples kept per latency event, as Redis.
const LATENCY_SAMPLES: usize = 160;

/// One command's counters. Each on its own cache line: two threads
/// running different commands never share one.
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct CmdSlot {
    pub calls: AtomicU64,
    pub usec: AtomicU64,
    pub rejected: AtomicU64,
    pub failed: AtomicU64,
    /// `LATENCY HISTOGRAM`'s, allocated at the first call.
    pub latency: super::histogram::Histogram,
}

impl CmdSlot {
    fn reset(&self) {
        for c in [&self.calls, &self.usec, &self.rejected, &self.failed] {
            c.store(0, Ordering::Relaxed);
        }
        self.latency.reset();
    }
}

/// One slow-log entry, its arguments already cut as Redis cuts them.
#[derive(Debug, Clone)]
pub struct SlowEntry {
    pub id: u64,
    pub time: i64,
    pub usec: u64,
    pub args: Vec<Bytes>,
    pub addr: String,
    pub name: Bytes,
}

#[derive(Debug, Default)]
struct SlowLog {
    next_id: u64,
    /// Newest first.
    entries: VecDeque<SlowEntry>,
}

/// One latency event's samples: (unix seconds, ms), oldest first, and its
/// all-time maximum.
#[derive(Debug, Default, Clone)]
pub struct LatencySeries {
    pub samples: VecDeque<(i64, u64)>,
    pub max: u64,
}

/// `CLIENT PAUSE`'s kinds, as stored in [`Intro::pause_kind`].
pub const PAUSE_NONE: u8 = 0;
pub const PAUSE_WRITE: u8 = 1;
pub const PAUSE_ALL: u8 = 2;

#[derive(Debug)]
pub struct Intro {
    commands: Box<[CmdSlot]>,
    errors: Mutex<ErrorStats>,
    pub total_errors: AtomicU64,
    slow_threshold: AtomicI64,
    slow_max: AtomicUsize,
    slowlog: Mutex<SlowLog>,
    latency_threshold: AtomicU64,
    latency_tracking: std::sync::atomic::AtomicBool,
    latency: Mutex<BTreeMap<&'static str, LatencySeries>>,
    monitor_count: AtomicUsize,
    monitors: Mutex<Vec<(u64, Arc<Outbox>)>>,
    pause_kind: AtomicU8,
    pause_until: Mutex<Option<Instant>>,
    unpaused: Notify,
    /// Non-zero while the GET/SET shortcut must not be taken: someone
    /// monitors, every command is slow-logged, or clients are paused.
    detour: AtomicU8,
}

const DETOUR_MONITOR: u8 = 1;
const DETOUR_SLOWLOG: u8 = 2;
const DETOUR_PAUSE: u8 = 4;

#[derive(Debug, Default)]
struct ErrorStats {
    codes: BTreeMap<String, u64>,
    disabled: bool,
}

impl Default for Intro {
    fn default() -> Intro {
        Intro {
            commands: (0..MAX_COMMANDS).map(|_| CmdSlot::default()).collect(),
            errors: Mutex::default(),
            total_errors: AtomicU64::new(0),
            slow_threshold: AtomicI64::new(10_000),
            slow_max: AtomicUsize::new(128),
            slowlog: Mutex::default(),
            latency_threshold: AtomicU64::new(0),
            latency_tracking: std::sync::atomic::AtomicBool::new(true),
            latency: Mutex::default(),
            monitor_count: AtomicUsize::new(0),
            monitors: Mutex::default(),
            pause_kind: AtomicU8::new(PAUSE_NONE),
            pause_until: Mutex::new(None),
            unpaused: Notify::new(),
            detour: AtomicU8::new(0),
        }
    }
}

impl Intro {
    /// Takes the settings commands read on every run.
    pub fn configure(&self, config: &Config) {
        self.slow_threshold
            .store(config.slowlog_log_slower_than, Ordering::Relaxed);
        self.slow_max
            .store(config.slowlog_max_len, Ordering::Relaxed);
        self.latency_threshold
            .store(config.latency_monitor_threshold, Ordering::Relaxed);
        self.latency_tracking
            .store(config.latency_tracking, Ordering::Relaxed);
        self.set_detour(DETOUR_SLOWLOG, config.slowlog_log_slower_than == 0);
        let mut log = self.slowlog.lock();
        let max = config.slowlog_max_len;
        log.entries.truncate(max);
    }

    fn set_detour(&self, bit: u8, on: bool) {
        if on {
            self.detour.fetch_or(bit, Ordering::Relaxed);
        } else {
            self.detour.fetch_and(!bit, Ordering::Relaxed);
        }
    }

    /// True if the GET/SET shortcut may serve requests: one load.
    #[inline]
    pub fn shortcut_ok(&self) -> bool {
        self.detour.load(Ordering::Relaxed) == 0
    }

    /// The counters of the command at `index` in the table.
    #[inline]
    pub fn command(&self, index: usize) -> Option<&CmdSlot> {
        self.commands.get(index)
    }

    /// `CONFIG RESETSTAT`.
    pub fn reset_stats(&self) {
        for c in self.commands.iter() {
            c.reset();
        }
        *self.errors.lock() = ErrorStats::default();
        self.total_errors.store(0, Ordering::Relaxed);
    }

    /// Statistics, slow log and latency samples all emptied (after the
    /// data was loaded: replayed writes were no client's commands).
    pub fn forget_all(&self) {
        self.reset_stats();
        self.slowlog_reset();
        self.latency_reset(&[]);
    }

    /// Counts an error reply under its code: its first word if that ends
    /// within 32 bytes, else `ERR`, as Redis reads it.
    pub fn error_reply(&self, text: &[u8]) {
        self.total_errors.fetch_add(1, Ordering::Relaxed);
        let head = &text[..text.len().min(31)];
        let code = match head.iter().position(|&b| b == b' ') {
            Some(n) if n > 0 => &text[..n],
            _ => b"ERR",
        };
        let code = String::from_utf8_lossy(code);
        let mut e = self.errors.lock();
        if e.disabled {
            return;
        }
        if let Some(n) = e.codes.get_mut(code.as_ref()) {
            *n += 1;
            return;
        }
        if e.codes.len() >= MAX_ERROR_CODES {
            // Too many kinds to be errors worth counting one by one
            // (a client making up codes): stop, saying so.
            e.codes.clear();
            e.codes.insert("ERRORSTATS_DISABLED".to_string(), 1);
            e.disabled = true;
            return;
        }
        e.codes.insert(code.into_owned(), 1);
    }

    /// The error codes seen and their counts, in Redis's (sorted) order.
    pub fn error_counts(&self) -> Vec<(String, u64)> {
        let e = self.errors.lock();
        e.codes.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    /// True if a command that took `usec` goes in the slow log.
    #[inline]
    pub fn is_slow(&self, usec: u64) -> bool {
        let t = self.slow_threshold.load(Ordering::Relaxed);
        t >= 0 && usec >= t as u64
    }

    /// True when every command must be logged (the threshold is 0), which
    /// the GET/SET shortcut, timing its commands by the batch, cannot do.
    #[inline]
    pub fn logs_everything(&self) -> bool {
        self.slow_threshold.load(Ordering::Relaxed) == 0
    }

    pub fn slowlog_push(&self, mut entry: SlowEntry) {
        let max = self.slow_max.load(Ordering::Relaxed);
        let mut log = self.slowlog.lock();
        entry.id = log.next_id;
        log.next_id += 1;
        if max == 0 {
            return;
        }
        log.entries.push_front(entry);
        log.entries.truncate(max);
    }

    /// The newest `count` entries (all for `None`), newest first.
    pub fn slowlog_get(&self, count: Option<usize>) -> Vec<SlowEntry> {
        let log = self.slowlog.lock();
        let n = count.unwrap_or(usize::MAX).min(log.entries.len());
        log.entries.iter().take(n).cloned().collect()
    }

    pub fn slowlog_len(&self) -> usize {
        self.slowlog.lock().entries.len()
    }

    pub fn slowlog_reset(&self) {
        self.slowlog.lock().entries.clear();
    }

    /// Records `event` if it took at least `latency-monitor-threshold`
    /// ms (never while that is 0).
    pub fn latency_sample(&self, event: &'static str, elapsed: Duration) {
        let threshold = self.latency_threshold.load(Ordering::Relaxed);
        let ms = elapsed.as_millis() as u64;
        if threshold == 0 || ms < threshold {
            return;
        }
        let now = crate::keyspace::clock::unix_ms() as i64 / 1000;
        let mut all = self.latency.lock();
        let series = all.entry(event).or_default();
        series.max = series.max.max(ms);
        // One sample a second per event: the highest of that second.
        match series.samples.back_mut() {
            Some(last) if last.0 == now => last.1 = last.1.max(ms),
            _ => {
                if series.samples.len() == LATENCY_SAMPLES {
                    series.samples.pop_front();
                }
                series.samples.push_back((now, ms));
            }
        }
    }

    /// `latency-tracking`: per-command histograms.
    #[inline]
    pub fn tracking_latency(&self) -> bool {
        self.latency_tracking.load(Ordering::Relaxed)
    }

    /// True if commands slower than the latency threshold are recorded.
    #[inline]
    pub fn latency_on(&self) -> bool {
        self.latency_threshold.load(Ordering::Relaxed) != 0
    }

    pub fn latency_events(&self) -> Vec<(&'static str, LatencySeries)> {
        let all = self.latency.lock();
        all.iter().map(|(k, v)| (*k, v.clone())).collect()
    }

    /// Forgets the named events (every event for an empty list); how many
    /// there were.
    pub fn latency_reset(&self, events: &[&[u8]]) -> usize {
        let mut all = self.latency.lock();
        if events.is_empty() {
            let n = all.len();
            all.clear();
            return n;
        }
        let before = all.len();
        all.retain(|k, _| !events.iter().any(|e| e.eq_ignore_ascii_case(k.as_bytes())));
        before - all.len()
    }

    /// True while some connection is in MONITOR mode: one load per command
    /// otherwise.
    #[inline]
    pub fn monitoring(&self) -> bool {
        self.monitor_count.load(Ordering::Relaxed) != 0
    }

    pub fn add_monitor(&self, id: u64, outbox: Arc<Outbox>) {
        let mut m = self.monitors.lock();
        if !m.iter().any(|(i, _)| *i == id) {
            m.push((id, outbox));
        }
        self.monitor_count.store(m.len(), Ordering::Relaxed);
        self.set_detour(DETOUR_MONITOR, true);
    }

    pub fn remove_monitor(&self, id: u64) {
        let mut m = self.monitors.lock();
        m.retain(|(i, _)| *i != id);
        self.monitor_count.store(m.len(), Ordering::Relaxed);
        self.set_detour(DETOUR_MONITOR, !m.is_empty());
    }

    /// Sends one encoded MONITOR line to every monitor.
    pub fn feed_monitors(&self, line: Bytes) {
        let m = self.monitors.lock();
        for (_, outbox) in m.iter() {
            outbox.push(line.clone(), BufferLimit::default());
        }
    }

    /// The pause in force, if any ([`PAUSE_WRITE`] or [`PAUSE_ALL`]); one
    /// load while there is none. A pause past its end is lifted here.
    #[inline]
    pub fn paused(&self) -> u8 {
        if self.pause_kind.load(Ordering::Acquire) == PAUSE_NONE {
            return PAUSE_NONE;
        }
        self.pause_state().0
    }

    /// The pause's kind and end, lifting it if it has ended.
    pub fn pause_state(&self) -> (u8, Option<Instant>) {
        let mut until = self.pause_until.lock();
        match *until {
            Some(t) if t > Instant::now() => (self.pause_kind.load(Ordering::Acquire), Some(t)),
            Some(_) => {
                *until = None;
                self.pause_kind.store(PAUSE_NONE, Ordering::Release);
                self.set_detour(DETOUR_PAUSE, false);
                self.unpaused.notify_waiters();
                (PAUSE_NONE, None)
            }
            None => (PAUSE_NONE, None),
        }
    }

    /// `CLIENT PAUSE`: a pause already in force is only lengthened or
    /// made stricter, never shortened or relaxed, as Redis does.
    pub fn pause(&self, kind: u8, until: Instant) {
        let mut u = self.pause_until.lock();
        let current = match *u {
            Some(t) if t > Instant::now() => self.pause_kind.load(Ordering::Acquire),
            _ => PAUSE_NONE,
        };
        self.set_detour(DETOUR_PAUSE, true);
        if current == PAUSE_NONE {
            *u = Some(until);
            self.pause_kind.store(kind, Ordering::Release);
            return;
        }
        *u = u.map(|t| t.max(until));
        self.pause_kind.store(current.max(kind), Ordering::Release);
    }

    /// `CLIENT UNPAUSE`.
    pub fn unpause(&self) {
        let mut u = self.pause_until.lock();
        *u = None;
        self.pause_kind.store(PAUSE_NONE, Ordering::Release);
        self.set_detour(DETOUR_PAUSE, false);
        self.unpaused.notify_waiters();
    }

    /// Resolves when the pause ends (by UNPAUSE or its deadline).
    pub async fn pause_over(&self) {
        loop {
            let notified = self.unpaused.notified();
            let (kind, until) = self.pause_state();
            let Some(until) = until.filter(|_| kind != PAUSE_NONE) else {
                return;
            };
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(until.into()) => {}
            }
        }
    }
}

/// A connection's kill switch (`CLIENT KILL`): a flag and a wake-up its
/// task selects on beside the read, so an idle connection closes at once.
#[derive(Debug, Default)]
pub struct KillSwitch {
    killed: AtomicBool,
    wake: Notify,
}

impl KillSwitch {
    pub fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        // Wakes a wait already registered; the permit covers one that is
        // about to start.
        self.wake.notify_waiters();
        self.wake.notify_one();
    }

    #[inline]
    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// Resolves once killed.
    pub async fn killed(&self) {
        loop {
            let n = self.wake.notified();
            if self.is_killed() {
                return;
            }
            n.await;
        }
    }
}
