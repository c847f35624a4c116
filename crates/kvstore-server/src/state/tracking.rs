//! Client-side caching (`CLIENT TRACKING`): which clients may hold which
//! keys, and the invalidation messages that tell them to drop them.
//!
//! In the default mode the server remembers, for each key a tracking
//! client read, that client's id. The key's next change tells each of them
//! once and forgets them all: a client hears again only after reading the
//! key again. In broadcast mode (`BCAST`) nothing is remembered per key: a
//! client names key prefixes and hears of every change under them. As in
//! Redis, keys are remembered by name alone, whatever their database.
//!
//! A message goes to the connection's outbox, as a pub/sub message does
//! (see `state::pubsub`), so a writer never waits on a tracking client. It
//! is a RESP3 `invalidate` push, or, for a RESP2 client that redirects its
//! messages to a subscribed connection, a `message` on
//! `__redis__:invalidate` there.
//!
//! While no client tracks, every hook is one atomic load.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use bytes::Bytes;
use hashbrown::{HashMap, HashSet};
use kvstore_protocol::Value;
use parking_lot::Mutex;

use super::pubsub::{encoded, BufferLimit, Outbox};

/// What an [`super::pubsub::OutboxSlot`] holds.
type OutboxSlotInner = Mutex<Weak<Outbox>>;

/// The channel RESP2 redirect targets hear invalidations on.
pub const CHANNEL: &str = "__redis__:invalidate";

/// How one connection tracks, as its session keeps it.
#[derive(Debug, Clone, Default)]
pub struct Mode {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// The connection that hears this one's invalidations (0: itself).
    pub redirect: u64,
    pub prefixes: Vec<Bytes>,
    /// `CLIENT CACHING YES|NO`, which lasts for the next command.
    pub caching: bool,
    /// Set when the redirect target went away (`TRACKINGINFO`).
    pub broken: Arc<AtomicBool>,
}

impl Mode {
    /// Whether the keys of the command now running are to be remembered.
    pub fn remembers(&self) -> bool {
        // OPTIN remembers only after CACHING YES; OPTOUT always but after
        // CACHING NO (both set `caching`).
        let opted_out = if self.optin {
            !self.caching
        } else {
            self.optout && self.caching
        };
        !self.bcast && !opted_out
    }
}

/// A tracking connection, as writers see it.
struct Client {
    outbox: Arc<Outbox>,
    /// The redirect target's id and where its outbox is; a target that
    /// disconnected no longer upgrades.
    redirect: Option<(u64, Weak<OutboxSlotInner>)>,
    noloop: bool,
    prefixes: Vec<Bytes>,
    broken: Arc<AtomicBool>,
}

#[derive(Default)]
struct Inner {
    /// Default mode: key -> ids of the clients that read it.
    keys: HashMap<Bytes, HashSet<u64>>,
    /// (key, client) pairs in `keys`.
    items: usize,
    /// Broadcast mode: prefix -> ids of the clients that asked for it.
    prefixes: BTreeMap<Bytes, Vec<u64>>,
    clients: HashMap<u64, Client>,
}

/// The tracking table; one per server.
#[derive(Default)]
pub struct Tracking {
    /// Tracking clients: zero means no hook has anything to do.
    tracking: AtomicUsize,
    /// `tracking-table-max-keys` (0: no bound).
    max_keys: AtomicUsize,
    inner: Mutex<Inner>,
}

/// What `INFO` shows of the table.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub clients: usize,
    pub keys: usize,
    pub items: usize,
    pub prefixes: usize,
}

impl Tracking {
    #[inline]
    pub fn active(&self) -> bool {
        self.tracking.load(Ordering::Acquire) > 0
    }

    pub fn set_max_keys(&self, n: usize) {
        self.max_keys.store(n, Ordering::Relaxed);
        if n > 0 && self.active() {
            let mut inner = self.inner.lock();
            inner.bound(n);
        }
    }

    /// Starts (or, when the client already tracks, changes) tracking for
    /// client `id`. Broadcast prefixes add to those it has.
    pub fn enable(
        &self,
        id: u64,
        outbox: Arc<Outbox>,
        mode: &Mode,
        redirect: Option<Weak<OutboxSlotInner>>,
    ) {
        let mut inner = self.inner.lock();
        let mut prefixes = mode.prefixes.clone();
        if mode.bcast && prefixes.is_empty() {
            // No prefix: every key.
            prefixes.push(Bytes::new());
        }
        let old = inner.clients.remove(&id);
        let mut mine = old.map(|c| c.prefixes).unwrap_or_default();
        for p in prefixes {
            if !mine.contains(&p) {
                let ids = inner.prefixes.entry(p.clone()).or_default();
                ids.push(id);
                mine.push(p);
            }
        }
        let client = Client {
            outbox,
            redirect: redirect.map(|w| (mode.redirect, w)),
            noloop: mode.noloop,
            prefixes: mine,
            broken: Arc::clone(&mode.broken),
        };
        if inner.clients.insert(id, client).is_none() {
            self.tracking.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Stops tracking for client `id` (`CLIENT TRACKING OFF`, `RESET`, a
    /// closed connection). The keys it read are forgotten lazily: a change
    /// finds no tracking client under that id and sends nothing.
    pub fn disable(&self, id: u64) {
        let mut inner = self.inner.lock();
        let Some(c) = inner.clients.remove(&id) else {
            return;
        };
        self.tracking.fetch_sub(1, Ordering::AcqRel);
        for p in &c.prefixes {
            if let Some(ids) = inner.prefixes.get_mut(p) {
                ids.retain(|&i| i != id);
                if ids.is_empty() {
                    inner.prefixes.remove(p);
                }
            }
        }
        if self.tracking.load(Ordering::Acquire) == 0 {
            inner.keys = HashMap::new();
            inner.items = 0;
        }
    }

    /// Client `id` read `keys`: tell it of their next change.
    pub fn remember<'k>(&self, id: u64, keys: impl Iterator<Item = &'k [u8]>) {
        let mut inner = self.inner.lock();
        for k in keys {
            let added = match inner.keys.get_mut(k) {
                Some(ids) => ids.insert(id),
                None => {
                    let mut ids = HashSet::new();
                    ids.insert(id);
                    inner.keys.insert(Bytes::copy_from_slice(k), ids);
                    true
                }
            };
            if added {
                inner.items += 1;
            }
        }
        let max = self.max_keys.load(Ordering::Relaxed);
        if max > 0 {
            inner.bound(max);
        }
    }

    /// `keys` changed, by a command of client `by` (`None`: by the server,
    /// as when a key expires).
    pub fn invalidate(&self, keys: &[&[u8]], by: Option<u64>) {
        if !self.active() || keys.is_empty() {
            return;
        }
        let mut inner = self.inner.lock();
        for &k in keys {
            if let Some(ids) = inner.keys.remove(k) {
                inner.items -= ids.len();
                let key = Bytes::copy_from_slice(k);
                for id in ids {
                    inner.send(id, by, Some(std::slice::from_ref(&key)));
                }
            }
        }
        if inner.prefixes.is_empty() {
            return;
        }
        // One message per prefix, naming every key of this change under it.
        let mut sends: Vec<(u64, Vec<Bytes>)> = Vec::new();
        for (prefix, ids) in &inner.prefixes {
            let under: Vec<Bytes> = keys
                .iter()
                .filter(|k| k.starts_with(prefix))
                .map(|k| Bytes::copy_from_slice(k))
                .collect();
            if !under.is_empty() {
                sends.extend(ids.iter().map(|&id| (id, under.clone())));
            }
        }
        for (id, under) in sends {
            inner.send(id, by, Some(&under));
        }
    }

    /// A flush: every tracking client is told to drop everything (a null
    /// invalidation). `all` (FLUSHALL) also empties the table.
    pub fn flush(&self, all: bool) {
        if !self.active() {
            return;
        }
        let mut inner = self.inner.lock();
        if all {
            inner.keys = HashMap::new();
            inner.items = 0;
        }
        let ids: Vec<u64> = inner.clients.keys().copied().collect();
        for id in ids {
            inner.send(id, None, None);
        }
    }

    pub fn counts(&self) -> Counts {
        if !self.active() {
            return Counts::default();
        }
        let inner = self.inner.lock();
        Counts {
            clients: inner.clients.len(),
            keys: inner.keys.len(),
            items: inner.items,
            prefixes: inner.prefixes.len(),
        }
    }
}

impl Inner {
    /// Tells client `id` that `keys` (`None`: everything) changed, unless
    /// it made the change itself and asked not to hear of its own.
    fn send(&self, id: u64, by: Option<u64>, keys: Option<&[Bytes]>) {
        let Some(c) = self.clients.get(&id) else {
            return;
        };
        if c.noloop && by == Some(id) {
            return;
        }
        let (outbox, redirected) = match &c.redirect {
            None => (Arc::clone(&c.outbox), false),
            Some((target, slot)) => match slot.upgrade().and_then(|s| s.lock().upgrade()) {
                Some(o) => (o, true),
                None => {
                    c.broken.store(true, Ordering::Relaxed);
                    if c.outbox.resp3() {
                        let frame = Value::Push(vec![
                            Value::from("tracking-redir-broken"),
                            Value::Integer(*target as i64),
                        ]);
                        c.outbox.push(encoded(&frame, true), BufferLimit::default());
                    }
                    return;
                }
            },
        };
        let payload = keys.map_or(Value::Null, |ks| {
            Value::Array(ks.iter().cloned().map(Value::Bulk).collect())
        });
        let resp3 = outbox.resp3();
        let frame = if resp3 {
            Value::Push(vec![Value::from("invalidate"), payload])
        } else if redirected {
            Value::Array(vec![Value::from("message"), Value::from(CHANNEL), payload])
        } else {
            // A RESP2 connection cannot be sent what it did not ask for.
            return;
        };
        outbox.push(encoded(&frame, resp3), BufferLimit::default());
    }

    /// Drops keys past `max`, telling their readers, as Redis does when
    /// the table outgrows `tracking-table-max-keys`.
    fn bound(&mut self, max: usize) {
        while self.keys.len() > max {
            let Some(key) = self.keys.keys().next().cloned() else {
                return;
            };
            if let Some(ids) = self.keys.remove(&key) {
                self.items -= ids.len();
                for id in ids {
                    self.send(id, None, Some(std::slice::from_ref(&key)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    fn drained(o: &Outbox) -> Vec<u8> {
        let mut out = BytesMut::new();
        o.drain_into(&mut out);
        out.to_vec()
    }

    fn tracker(t: &Tracking, id: u64, mode: Mode) -> Arc<Outbox> {
        let o = Arc::new(Outbox::new(id, true));
        t.enable(id, Arc::clone(&o), &mode, None);
        o
    }

    #[test]
    fn a_read_key_is_invalidated_once() {
        let t = Tracking::default();
        assert!(!t.active());
        let o = tracker(&t, 1, Mode::default());
        t.remember(1, [&b"k"[..]].into_iter());
        assert_eq!(t.counts().keys, 1);
        t.invalidate(&[b"k"], Some(2));
        assert_eq!(drained(&o), b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
        t.invalidate(&[b"k"], Some(2));
        assert!(drained(&o).is_empty());
        assert_eq!(t.counts().items, 0);
    }

    #[test]
    fn noloop_skips_own_changes_and_bcast_groups_by_prefix() {
        let t = Tracking::default();
        let mode = Mode {
            bcast: true,
            noloop: true,
            prefixes: vec![Bytes::from_static(b"p:"), Bytes::from_static(b"q:")],
            ..Mode::default()
        };
        let o = tracker(&t, 1, mode);
        t.invalidate(&[b"p:1", b"z", b"p:2"], Some(1));
        assert!(drained(&o).is_empty());
        t.invalidate(&[b"p:1", b"z", b"p:2"], Some(2));
        assert_eq!(
            drained(&o),
            b">2\r\n$10\r\ninvalidate\r\n*2\r\n$3\r\np:1\r\n$3\r\np:2\r\n"
        );
        assert_eq!(t.counts().prefixes, 2);
        t.disable(1);
        assert!(!t.active());
        assert_eq!(t.counts().prefixes, 0);
    }

    #[test]
    fn the_table_is_bounded() {
        let t = Tracking::default();
        t.set_max_keys(2);
        let o = tracker(&t, 1, Mode::default());
        t.remember(1, [&b"a"[..], b"b", b"c"].into_iter());
        assert_eq!(t.counts().keys, 2);
        assert!(drained(&o).starts_with(b">2\r\n$10\r\ninvalidate\r\n*1\r\n"));
    }

    #[test]
    fn flush_sends_null() {
        let t = Tracking::default();
        let o = tracker(&t, 1, Mode::default());
        t.remember(1, [&b"a"[..]].into_iter());
        t.flush(true);
        assert_eq!(drained(&o), b">2\r\n$10\r\ninvalidate\r\n_\r\n");
        assert_eq!(t.counts().keys, 0);
    }
}
