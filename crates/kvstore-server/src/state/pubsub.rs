//! Pub/sub: who listens to what, and each subscriber's outbox.
//!
//! A subscriber's connection task may be idle in a read, or stuck writing
//! to a client that does not read, when another client publishes. So a
//! publisher never writes to a socket: it appends the encoded message to
//! the subscriber's [`Outbox`] (a queue of shared frames, counted in bytes)
//! and wakes the subscriber's task, which sends it. A publisher never waits
//! on a subscriber: an outbox past its output-buffer limit is closed and
//! emptied, and its connection hangs up, as Redis disconnects such a client.
//!
//! Each message is encoded at most once per shape (array for RESP2 and the
//! seed dialect, push for RESP3), lazily, and the same `Bytes` is queued to
//! every subscriber that reads that shape.
//!
//! The registry is one lock: subscribing and publishing are rare next to
//! reads and writes of keys, and one lock keeps a subscription's
//! confirmation and the messages after it in the order Redis gives them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use hashbrown::HashMap;
use indexmap::{IndexMap, IndexSet};
use kvstore_protocol::{encode_as, Dialect, Value};
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

pub use crate::config::BufferLimit;
use crate::config::{notify, Config};
use crate::keyspace::glob;

/// The three subscription kinds. Shard channels are a namespace of their
/// own (SPUBLISH reaches only SSUBSCRIBErs), as in Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    /// The word of a confirmation frame, subscribing or not.
    pub fn word(self, subscribe: bool) -> &'static str {
        match (self, subscribe) {
            (Kind::Channel, true) => "subscribe",
            (Kind::Channel, false) => "unsubscribe",
            (Kind::Pattern, true) => "psubscribe",
            (Kind::Pattern, false) => "punsubscribe",
            (Kind::Shard, true) => "ssubscribe",
            (Kind::Shard, false) => "sunsubscribe",
        }
    }
}

/// Where a connection's outbox is, once it has one: what a tracking
/// client that redirects its invalidations holds of its target.
pub type OutboxSlot = Arc<Mutex<std::sync::Weak<Outbox>>>;

/// Frames waiting to go to one subscriber.
#[derive(Debug)]
pub struct Outbox {
    id: u64,
    resp3: AtomicBool,
    queue: Mutex<Queue>,
    wake: Notify,
}

#[derive(Debug, Default)]
struct Queue {
    frames: VecDeque<Bytes>,
    /// Queued bytes plus those taken but not yet written to the socket:
    /// what Redis counts as the client's output buffer.
    bytes: u64,
    over_soft_since: Option<Instant>,
    closed: bool,
}

impl Outbox {
    pub fn new(id: u64, resp3: bool) -> Outbox {
        Outbox {
            id,
            resp3: AtomicBool::new(resp3),
            queue: Mutex::new(Queue::default()),
            wake: Notify::new(),
        }
    }

    /// Follows the connection's protocol (HELLO 3 after subscribing).
    pub fn set_resp3(&self, resp3: bool) {
        self.resp3.store(resp3, Ordering::Relaxed);
    }

    pub fn resp3(&self) -> bool {
        self.resp3.load(Ordering::Relaxed)
    }

    /// Queues a frame unless the outbox was closed, closing it (and
    /// dropping what it holds) if that takes it past `limit`.
    pub fn push(&self, frame: Bytes, limit: BufferLimit) {
        let mut q = self.queue.lock();
        if q.closed {
            return;
        }
        q.bytes += frame.len() as u64;
        q.frames.push_back(frame);
        if over_limit(&mut q, limit) {
            q.closed = true;
            q.frames = VecDeque::new();
        }
        drop(q);
        self.wake.notify_one();
    }

    /// Moves every queued frame into `out`. Returns how many bytes that
    /// was (still counted until [`Outbox::sent`]), or `None` once closed.
    pub fn drain_into(&self, out: &mut BytesMut) -> Option<u64> {
        let mut q = self.queue.lock();
        if q.closed {
            return None;
        }
        let mut n = 0;
        while let Some(f) = q.frames.pop_front() {
            n += f.len() as u64;
            out.extend_from_slice(&f);
        }
        Some(n)
    }

    /// `n` bytes taken by [`Outbox::drain_into`] reached the socket.
    pub fn sent(&self, n: u64) {
        let mut q = self.queue.lock();
        q.bytes = q.bytes.saturating_sub(n);
    }

    pub fn is_closed(&self) -> bool {
        self.queue.lock().closed
    }

    /// Resolves when something was queued or the outbox was closed since
    /// the last wake-up (a wake-up while nobody waits is kept).
    pub async fn woken(&self) {
        self.wake.notified().await
    }
}

/// Redis's rule: past the hard limit at once; past the soft limit when it
/// has stayed past it for longer than the soft seconds.
fn over_limit(q: &mut Queue, limit: BufferLimit) -> bool {
    if limit.hard > 0 && q.bytes > limit.hard {
        return true;
    }
    if limit.soft > 0 && q.bytes > limit.soft {
        return match q.over_soft_since {
            None => {
                q.over_soft_since = Some(Instant::now());
                false
            }
            Some(since) => since.elapsed() > Duration::from_secs(limit.soft_secs),
        };
    }
    q.over_soft_since = None;
    false
}

/// One connection's subscriptions, kept in its session. It stays after the
/// last unsubscription so that messages queued before it are still sent.
#[derive(Debug)]
pub struct Subscriptions {
    pub outbox: Arc<Outbox>,
    pub channels: IndexSet<Bytes>,
    pub patterns: IndexSet<Bytes>,
    pub shard: IndexSet<Bytes>,
    /// Set by a command whose reply frames went into the outbox, in order
    /// with the messages around them: the connection encodes no reply.
    pub replied: bool,
}

impl Subscriptions {
    pub fn new(outbox: Arc<Outbox>) -> Subscriptions {
        Subscriptions {
            outbox,
            channels: IndexSet::new(),
            patterns: IndexSet::new(),
            shard: IndexSet::new(),
            replied: false,
        }
    }

    /// True while subscribed to anything: a RESP2 client is then limited
    /// to the pub/sub commands.
    pub fn active(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty())
    }

    fn set(&mut self, kind: Kind) -> &mut IndexSet<Bytes> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// The count a confirmation carries: channels and patterns together,
    /// shard channels on their own, as Redis counts.
    pub fn count(&self, kind: Kind) -> i64 {
        match kind {
            Kind::Shard => self.shard.len() as i64,
            _ => (self.channels.len() + self.patterns.len()) as i64,
        }
    }
}

type Subscribers = IndexMap<u64, Arc<Outbox>>;

#[derive(Debug, Default)]
struct Inner {
    channels: HashMap<Bytes, Subscribers>,
    patterns: HashMap<Bytes, Subscribers>,
    shard: HashMap<Bytes, Subscribers>,
}

impl Inner {
    fn map(&mut self, kind: Kind) -> &mut HashMap<Bytes, Subscribers> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }
}

/// Every subscription of every connection, and the settings publishing
/// follows (copied from the config whenever it changes, so that neither a
/// publish nor a command's keyspace notification reads the config's lock).
#[derive(Debug, Default)]
pub struct PubSub {
    inner: RwLock<Inner>,
    /// `notify-keyspace-events`; 0 (off) costs a command one load.
    notify: AtomicU32,
    hard: AtomicU64,
    soft: AtomicU64,
    soft_secs: AtomicU64,
}

/// A confirmation frame: `[word, name or null, count]`, as a push.
fn confirmation(word: &'static str, name: Option<&Bytes>, count: i64) -> Value {
    Value::Push(vec![
        Value::from(word),
        name.map_or(Value::Null, |n| Value::Bulk(n.clone())),
        Value::Integer(count),
    ])
}

/// Confirmations are never what pushes a client past its limit: they
/// answer its own request, as a reply would.
fn confirm(subs: &Subscriptions, frame: Value, into: Option<&mut Vec<Value>>) {
    match into {
        Some(v) => v.push(frame),
        None => subs
            .outbox
            .push(encoded(&frame, subs.outbox.resp3()), BufferLimit::default()),
    }
}

/// `v` in RESP3 or in the RESP2 shape (which the seed dialect shares for
/// these frames).
pub(super) fn encoded(v: &Value, resp3: bool) -> Bytes {
    let mut out = BytesMut::new();
    let dialect = if resp3 {
        Dialect::Resp3
    } else {
        Dialect::Resp2
    };
    encode_as(v, dialect, &mut out);
    out.freeze()
}

/// A frame encoded on first use in each of its two shapes.
struct Lazy<'a> {
    value: &'a dyn Fn() -> Value,
    shapes: [Option<Bytes>; 2],
}

impl Lazy<'_> {
    fn get(&mut self, resp3: bool) -> Bytes {
        let slot = &mut self.shapes[usize::from(resp3)];
        slot.get_or_insert_with(|| encoded(&(self.value)(), resp3))
            .clone()
    }
}

/// Queues the message `build` makes for every subscriber in `subs`,
/// encoded at most once per shape; how many there were.
fn fan_out(subs: &Subscribers, limit: BufferLimit, build: &dyn Fn() -> Value) -> usize {
    let mut frame = Lazy {
        value: build,
        shapes: [None, None],
    };
    for outbox in subs.values() {
        outbox.push(frame.get(outbox.resp3()), limit);
    }
    subs.len()
}

impl PubSub {
    /// Takes the settings of `config` that publishing follows.
    pub fn configure(&self, config: &Config) {
        let l = config.client_output_buffer_limit.pubsub;
        self.hard.store(l.hard, Ordering::Relaxed);
        self.soft.store(l.soft, Ordering::Relaxed);
        self.soft_secs.store(l.soft_secs, Ordering::Relaxed);
        self.notify
            .store(config.notify_keyspace_events.0, Ordering::Relaxed);
    }

    fn limit(&self) -> BufferLimit {
        BufferLimit {
            hard: self.hard.load(Ordering::Relaxed),
            soft: self.soft.load(Ordering::Relaxed),
            soft_secs: self.soft_secs.load(Ordering::Relaxed),
        }
    }

    /// The keyspace-notification flags in force.
    #[inline]
    pub fn notify_flags(&self) -> u32 {
        self.notify.load(Ordering::Relaxed)
    }

    /// Publishes a keyspace notification: `event` on
    /// `__keyspace@<db>__:<key>` and `key` on `__keyevent@<db>__:<event>`,
    /// as the flags ask (the caller checked the event's class).
    pub fn notify(&self, flags: u32, db: usize, event: &str, key: &[u8]) {
        {
            let inner = self.inner.read();
            if inner.channels.is_empty() && inner.patterns.is_empty() {
                return;
            }
        }
        let limit = self.limit();
        if flags & notify::KEYSPACE != 0 {
            let mut channel = format!("__keyspace@{db}__:").into_bytes();
            channel.extend_from_slice(key);
            self.publish(
                false,
                &Bytes::from(channel),
                &Bytes::copy_from_slice(event.as_bytes()),
                limit,
            );
        }
        if flags & notify::KEYEVENT != 0 {
            let channel = format!("__keyevent@{db}__:{event}");
            self.publish(
                false,
                &Bytes::from(channel),
                &Bytes::copy_from_slice(key),
                limit,
            );
        }
    }

    /// Delivers `message` as [`PubSub::publish`] does, under the
    /// configured output-buffer limit.
    pub fn publish_now(&self, shard: bool, channel: &Bytes, message: &Bytes) -> usize {
        self.publish(shard, channel, message, self.limit())
    }

    /// Subscribes `subs` to each of `names`, with one confirmation per
    /// name (a name already subscribed is confirmed again, unchanged).
    /// Confirmations go to `into` if given, else to the outbox, where they
    /// keep their place among the messages.
    pub fn subscribe(
        &self,
        subs: &mut Subscriptions,
        kind: Kind,
        names: &[Bytes],
        mut into: Option<&mut Vec<Value>>,
    ) {
        let mut inner = self.inner.write();
        for name in names {
            if subs.set(kind).insert(name.clone()) {
                inner
                    .map(kind)
                    .entry(name.clone())
                    .or_default()
                    .insert(subs.outbox.id, Arc::clone(&subs.outbox));
            }
            let frame = confirmation(kind.word(true), Some(name), subs.count(kind));
            confirm(subs, frame, into.as_deref_mut());
        }
    }

    /// Unsubscribes `subs` from `names`, or from everything of `kind` if
    /// `names` is empty, confirming as [`PubSub::subscribe`] does; with
    /// nothing to leave, one confirmation with a null name, as Redis does.
    pub fn unsubscribe(
        &self,
        subs: &mut Subscriptions,
        kind: Kind,
        names: &[Bytes],
        mut into: Option<&mut Vec<Value>>,
    ) {
        let mut inner = self.inner.write();
        let names: Vec<Bytes> = if names.is_empty() {
            subs.set(kind).iter().cloned().collect()
        } else {
            names.to_vec()
        };
        let word = kind.word(false);
        if names.is_empty() {
            let frame = confirmation(word, None, subs.count(kind));
            confirm(subs, frame, into.as_deref_mut());
        }
        for name in &names {
            if subs.set(kind).shift_remove(name) {
                leave(inner.map(kind), name, subs.outbox.id);
            }
            let frame = confirmation(word, Some(name), subs.count(kind));
            confirm(subs, frame, into.as_deref_mut());
        }
    }

    /// Leaves every subscription without confirming any (`RESET`); what
    /// is already queued is still sent.
    pub fn leave_all(&self, subs: &mut Subscriptions) {
        self.forget(subs);
        subs.channels.clear();
        subs.patterns.clear();
        subs.shard.clear();
    }

    /// Removes every subscription of a connection that is going away.
    pub fn forget(&self, subs: &Subscriptions) {
        let mut inner = self.inner.write();
        let id = subs.outbox.id;
        for (kind, set) in [
            (Kind::Channel, &subs.channels),
            (Kind::Pattern, &subs.patterns),
            (Kind::Shard, &subs.shard),
        ] {
            for name in set {
                leave(inner.map(kind), name, id);
            }
        }
    }

    /// Delivers `message` to the subscribers of `channel` (and, for a plain
    /// channel, of every pattern that matches it). Returns how many
    /// received it. Never waits on a subscriber.
    fn publish(&self, shard: bool, channel: &Bytes, message: &Bytes, limit: BufferLimit) -> usize {
        let inner = self.inner.read();
        let mut receivers = 0;
        let (map, word) = if shard {
            (&inner.shard, "smessage")
        } else {
            (&inner.channels, "message")
        };
        if let Some(subs) = map.get(channel) {
            receivers += fan_out(subs, limit, &|| {
                Value::Push(vec![
                    Value::from(word),
                    Value::Bulk(channel.clone()),
                    Value::Bulk(message.clone()),
                ])
            });
        }
        if shard {
            return receivers;
        }
        for (pattern, subs) in &inner.patterns {
            if !glob::matches(pattern, channel) {
                continue;
            }
            receivers += fan_out(subs, limit, &|| {
                Value::Push(vec![
                    Value::from("pmessage"),
                    Value::Bulk(pattern.clone()),
                    Value::Bulk(channel.clone()),
                    Value::Bulk(message.clone()),
                ])
            });
        }
        receivers
    }

    /// Channels (or shard channels) with at least one subscriber, those
    /// matching `pattern` if given.
    pub fn channels(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let inner = self.inner.read();
        let map = if shard { &inner.shard } else { &inner.channels };
        map.keys()
            .filter(|c| pattern.is_none_or(|p| glob::matches(p, c)))
            .cloned()
            .collect()
    }

    /// How many subscribe to `channel` (a shard channel if `shard`).
    pub fn numsub(&self, shard: bool, channel: &[u8]) -> usize {
        let inner = self.inner.read();
        let map = if shard { &inner.shard } else { &inner.channels };
        map.get(channel).map_or(0, IndexMap::len)
    }

    /// What connection `id` subscribes to: each channel or shard channel
    /// (`false`) and pattern (`true`). A walk of every subscription, for
    /// the rare ACL change that must check them.
    pub fn subscriptions_of(&self, id: u64) -> Vec<(bool, Bytes)> {
        let inner = self.inner.read();
        let mut out = Vec::new();
        for (map, pattern) in [
            (&inner.channels, false),
            (&inner.shard, false),
            (&inner.patterns, true),
        ] {
            out.extend(
                map.iter()
                    .filter(|(_, subs)| subs.contains_key(&id))
                    .map(|(name, _)| (pattern, name.clone())),
            );
        }
        out
    }

    /// (channels, patterns, shard channels) with a subscriber, for `INFO`.
    pub fn counts(&self) -> (usize, usize, usize) {
        let inner = self.inner.read();
        (
            inner.channels.len(),
            inner.patterns.len(),
            inner.shard.len(),
        )
    }
}

fn leave(map: &mut HashMap<Bytes, Subscribers>, name: &Bytes, id: u64) {
    if let Some(subs) = map.get_mut(name) {
        subs.shift_remove(&id);
        if subs.is_empty() {
            map.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drained(o: &Outbox) -> Vec<u8> {
        let mut out = BytesMut::new();
        o.drain_into(&mut out).expect("open");
        out.to_vec()
    }

    #[test]
    fn confirmations_count_and_messages_follow() {
        let ps = PubSub::default();
        let mut subs = Subscriptions::new(Arc::new(Outbox::new(1, false)));
        ps.subscribe(&mut subs, Kind::Channel, &[Bytes::from("a")], None);
        ps.subscribe(&mut subs, Kind::Pattern, &[Bytes::from("a*")], None);
        let n = ps.publish(
            false,
            &Bytes::from("ab"),
            &Bytes::from("hi"),
            BufferLimit::default(),
        );
        assert_eq!(n, 1);
        let out = drained(&subs.outbox);
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"));
        assert!(text.contains("$10\r\npsubscribe\r\n$2\r\na*\r\n:2\r\n"));
        assert!(text.ends_with("*4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$2\r\nab\r\n$2\r\nhi\r\n"));
        ps.forget(&subs);
        assert_eq!(ps.counts(), (0, 0, 0));
    }

    #[test]
    fn hard_limit_closes_and_empties() {
        let o = Outbox::new(1, false);
        let limit = BufferLimit {
            hard: 10,
            soft: 0,
            soft_secs: 0,
        };
        o.push(Bytes::from_static(b"12345"), limit);
        o.push(Bytes::from_static(b"12345"), limit);
        assert!(!o.is_closed(), "at the limit is not past it");
        o.push(Bytes::from_static(b"1"), limit);
        assert!(o.is_closed());
        assert!(o.drain_into(&mut BytesMut::new()).is_none());
    }

    #[test]
    fn soft_limit_allows_a_stay_of_its_seconds() {
        let o = Outbox::new(1, false);
        let limit = BufferLimit {
            hard: 0,
            soft: 4,
            soft_secs: 0,
        };
        o.push(Bytes::from_static(b"12345"), limit);
        assert!(!o.is_closed(), "just over: the clock starts");
        for _ in 0..1000 {
            o.push(Bytes::from_static(b"1"), limit);
        }
        assert!(o.is_closed(), "still over after its 0 seconds");
        let o = Outbox::new(1, false);
        let patient = BufferLimit {
            soft_secs: 60,
            ..limit
        };
        for _ in 0..1000 {
            o.push(Bytes::from_static(b"12345"), patient);
        }
        assert!(!o.is_closed());
    }

    #[test]
    fn sent_bytes_stop_counting() {
        let o = Outbox::new(1, true);
        let limit = BufferLimit {
            hard: 8,
            soft: 0,
            soft_secs: 0,
        };
        o.push(Bytes::from_static(b"12345"), limit);
        let n = o.drain_into(&mut BytesMut::new()).expect("open");
        o.push(Bytes::from_static(b"123"), limit);
        o.sent(n);
        o.push(Bytes::from_static(b"12345"), limit);
        assert!(!o.is_closed());
    }
}
