//! The keyspace: the lowest layer of the server. Objects and records,
//! deadlines, and the numbered databases. Nothing here knows about
//! connections, commands or files.
//!
//! Atomicity (see ARCHITECTURE.md): a single-key operation runs under its
//! shard's lock. An operation on several keys locks all their shards first,
//! in ascending (database, shard) order, so no reader sees it half done and
//! two such operations cannot deadlock: see [`Keyspace::lock`].

pub mod access;
pub mod clock;
pub mod cut;
pub mod cuts;
pub mod db;
pub mod evict;
pub mod functions;
pub mod gate;
pub mod glob;
pub mod lazyfree;
pub mod object;
pub mod record;
mod sampled;
mod slab;
mod spread;
pub mod strbuf;
pub mod striped;
mod varint;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hashbrown::DefaultHashBuilder;

/// Values are parsed, decoded, encoded and dropped recursively, one stack
/// frame per level: the nesting limit is what keeps a hostile value from
/// overflowing a thread's stack, so it has a ceiling of its own, which
/// stored values are decoded under too.
pub const MAX_NESTING_CEILING: usize = 1024;

pub use clock::Clock;
pub use cut::{Cut, Visitor, Walk};
pub use cuts::Kind as CutKind;
pub use db::{Db, Guard, Slot, Table, SHARDS};
pub use object::Object;
pub use record::{NewValue, Record, ValueRef};

/// Every database, numbered from 0.
pub struct Keyspace {
    dbs: Box<[Db]>,
    /// Held shared by every command, exclusively by a transaction.
    pub gate: gate::Gate,
    /// Frees large values off the request path.
    pub lazy: lazyfree::LazyFree,
    /// The function libraries.
    pub functions: parking_lot::RwLock<functions::Libraries>,
    /// `maxmemory` and its eviction policy.
    pub eviction: evict::Eviction,
    clock: Arc<Clock>,
    /// Keys removed at their deadline, over all databases.
    expired: Arc<AtomicU64>,
    /// Reads that found their key, and that did not.
    lookups: Arc<db::Lookups>,
    /// Cleared by `DEBUG SET-ACTIVE-EXPIRE 0`: keys then go only when a
    /// command finds them past their deadline.
    pub active_expire: std::sync::atomic::AtomicBool,
    /// The cuts in progress (see [`cut`]).
    cuts: Arc<cuts::Cuts>,
}

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        // One hasher for all, so that SWAPDB can exchange tables as they are.
        let hasher = DefaultHashBuilder::default();
        let clock = Arc::new(Clock::default());
        let expired = Arc::new(AtomicU64::new(0));
        let moves = Arc::new(db::Moves::default());
        let lookups = Arc::new(db::Lookups::default());
        let cuts = Arc::new(cuts::Cuts::default());
        let dbs = (0..databases.max(1))
            .map(|i| {
                Db::new(
                    i,
                    hasher.clone(),
                    Arc::clone(&clock),
                    Arc::clone(&expired),
                    Arc::clone(&moves),
                    Arc::clone(&lookups),
                    Arc::clone(&cuts),
                )
            })
            .collect();
        Keyspace {
            dbs,
            gate: gate::Gate::default(),
            lazy: lazyfree::LazyFree::default(),
            functions: Default::default(),
            eviction: Default::default(),
            clock,
            expired,
            lookups,
            active_expire: std::sync::atomic::AtomicBool::new(true),
            cuts,
        }
    }

    pub fn databases(&self) -> usize {
        self.dbs.len()
    }

    /// Database `index`, or `None` past the last.
    pub fn get_db(&self, index: usize) -> Option<&Db> {
        self.dbs.get(index)
    }

    /// Database `index`; the last one for an index out of range (callers
    /// check indexes when a client names them, with [`Keyspace::get_db`]).
    pub fn db(&self, index: usize) -> &Db {
        self.dbs
            .get(index)
            .unwrap_or_else(|| &self.dbs[self.dbs.len() - 1])
    }

    pub fn dbs(&self) -> impl Iterator<Item = &Db> {
        self.dbs.iter()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// INFO's `expired_keys`.
    pub fn expired_keys(&self) -> u64 {
        self.expired.load(Ordering::Relaxed)
    }

    /// INFO's `keyspace_hits` and `keyspace_misses`: reads that found
    /// their key, and that did not (writes are not counted, as in Redis).
    pub fn lookups(&self) -> (u64, u64) {
        (self.lookups.sum(db::HIT), self.lookups.sum(db::MISS))
    }

    /// `CONFIG RESETSTAT`.
    pub fn reset_stats(&self) {
        self.expired.store(0, Ordering::Relaxed);
        self.lookups.reset();
        self.lazy.reset_stats();
        self.eviction.reset_stats();
    }

    /// Live keys over all databases.
    pub fn len(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Memory held by copies that snapshots in progress keep of shards
    /// written to since they began: eviction leaves it out, as Redis's
    /// does its fork's copied pages.
    pub fn kept_bytes(&self) -> usize {
        self.cuts.kept_bytes()
    }

    /// Write-locks the shards of `keys` (database, key) in ascending
    /// (database, shard) order, for an operation on all of them at once.
    pub fn lock<'a>(&'a self, keys: &[(usize, &[u8])]) -> Locked<'a> {
        let mut idx: Vec<(usize, usize)> = keys
            .iter()
            .map(|(d, k)| {
                let d = (*d).min(self.dbs.len() - 1);
                (d, Db::shard_of(self.dbs[d].hash(k)))
            })
            .collect();
        idx.sort_unstable();
        idx.dedup();
        let guards = idx
            .into_iter()
            .map(|(d, s)| ((d, s), self.dbs[d].write_shard(s)))
            .collect();
        Locked { ks: self, guards }
    }

    /// `SWAPDB a b`: exchanges two databases at one instant.
    pub fn swap(&self, a: usize, b: usize) {
        if a == b {
            return;
        }
        let (lo, hi) = (a.min(b), a.max(b));
        let (dlo, dhi) = (self.db(lo), self.db(hi));
        let mut glo = dlo.lock_all();
        let mut ghi = dhi.lock_all();
        Db::swap_locked((dlo, &mut glo), (dhi, &mut ghi));
        dlo.moves.counted();
    }

    /// `FLUSHALL`: empties every database; returns how many keys there were.
    /// With `lazy`, the old tables are freed on the background thread.
    pub fn clear(&self, lazy: bool) -> usize {
        self.dbs.iter().map(|db| self.clear_db(db, lazy)).sum()
    }

    /// `FLUSHDB` of one database; see [`Keyspace::clear`].
    pub fn clear_db(&self, db: &Db, lazy: bool) -> usize {
        let (n, tables) = db.take_all();
        if lazy {
            self.lazy.free(lazyfree::Garbage::Tables(tables));
        }
        n
    }

    /// One pass of the active expiry cycle: removes keys past their
    /// deadline, shard by shard, until none is due or `budget` is spent,
    /// calling `removed(db, key)` for each under its shard's lock. `start`
    /// is where the last pass stopped (a shard over all databases); the
    /// return is where to go on from, and how many keys went.
    pub fn expire_some(
        &self,
        start: usize,
        budget: Duration,
        mut removed: impl FnMut(usize, &[u8]),
    ) -> (usize, usize) {
        if !self.active_expire.load(Ordering::Relaxed) {
            return (start, 0);
        }
        let began = Instant::now();
        let total = self.dbs.len() * SHARDS;
        let mut count = 0;
        for step in 0..total {
            let at = (start + step) % total;
            let (d, s) = (at / SHARDS, at % SHARDS);
            let db = &self.dbs[d];
            if !db.has_volatile() {
                continue;
            }
            let n = db.expire_shard(s, |k| removed(d, k));
            count += n;
            // A shard with work takes tens of microseconds: look at the
            // clock after each; skipping idle ones is cheap, so less often.
            if (n > 0 || step % 64 == 63) && began.elapsed() >= budget {
                return ((at + 1) % total, count);
            }
        }
        (start, count)
    }

    /// Copies of every live record of every database, taken at one instant
    /// under every lock: for the debugging commands and offline uses. A
    /// save while serving takes a [`Cut`] instead.
    pub fn snapshot(&self) -> Snapshot {
        // Never in the middle of a transaction.
        let _gate = self.gate.shared();
        let now = self.clock.now();
        let guards: Vec<Vec<_>> = self
            .dbs
            .iter()
            .map(|db| db.shards.iter().map(|s| s.lock.read()).collect())
            .collect();
        let mut records = Vec::new();
        for (d, shards) in guards.iter().enumerate() {
            for g in shards {
                records.extend(
                    g.map
                        .iter()
                        .filter(|r| !r.expired(now))
                        .map(|r| (d, r.clone())),
                );
            }
        }
        let libraries = self.functions.read().sources();
        Snapshot {
            databases: self.dbs.len(),
            records,
            libraries,
        }
    }
}

/// The keyspace as of one instant; see [`Keyspace::snapshot`].
pub struct Snapshot {
    databases: usize,
    records: Vec<(usize, Record)>,
    libraries: Vec<bytes::Bytes>,
}

impl Walk for Snapshot {
    fn keys(&self) -> usize {
        self.records.len()
    }

    fn sizes(&self) -> Vec<usize> {
        let mut out = vec![0; self.databases];
        for (d, _) in &self.records {
            if let Some(n) = out.get_mut(*d) {
                *n += 1;
            }
        }
        out
    }

    fn libraries(&self) -> &[bytes::Bytes] {
        &self.libraries
    }

    fn walk<V: Visitor>(&self, v: &mut V) -> Result<(), V::Error> {
        for chunk in self.records.chunks(256) {
            for (d, r) in chunk {
                v.record(*d, r);
            }
            v.unlocked()?;
        }
        Ok(())
    }
}

impl Snapshot {
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The function libraries' sources.
    pub fn libraries(&self) -> &[bytes::Bytes] {
        &self.libraries
    }

    /// Every record with its database, in database order.
    pub fn records(&self) -> impl Iterator<Item = (usize, &Record)> + '_ {
        self.records.iter().map(|(d, r)| (*d, r))
    }
}

/// Shards locked together by [`Keyspace::lock`]. Operations on a key whose
/// shard is not among them do nothing and return `None`: the keys an
/// operation touches are the keys it declared.
pub struct Locked<'a> {
    ks: &'a Keyspace,
    guards: Vec<((usize, usize), Guard<'a>)>,
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // Still holding every shard (the guards go after this).
        if self.guards.len() > 1 {
            self.ks.dbs[0].moves.counted();
        }
    }
}

impl Locked<'_> {
    fn find(&mut self, db: usize, key: &[u8]) -> Option<(&Db, u64, &mut Table)> {
        let d = self.ks.get_db(db)?;
        let h = d.hash(key);
        let at = self
            .guards
            .binary_search_by_key(&(db, Db::shard_of(h)), |(i, _)| *i)
            .ok()?;
        Some((d, h, &mut *self.guards[at].1))
    }

    /// [`Db::entry`] for a locked key.
    pub fn entry<R>(
        &mut self,
        db: usize,
        key: &[u8],
        f: impl FnOnce(&mut Slot<'_>) -> R,
    ) -> Option<R> {
        let (d, h, table) = self.find(db, key)?;
        Some(d.entry_in(table, h, key, f))
    }

    /// Runs `f` on the live record at a locked key.
    pub fn with<R>(
        &mut self,
        db: usize,
        key: &[u8],
        f: impl FnOnce(Option<&Record>) -> R,
    ) -> Option<R> {
        let (d, h, table) = self.find(db, key)?;
        Some(f(db::find_live(table, h, key, &d.clock)))
    }
}

#[cfg(test)]
mod tests {
    use kvstore_protocol::Value;

    use super::*;

    #[test]
    fn locked_keys_across_databases() {
        let ks = Keyspace::new(16);
        ks.db(0).set(b"a", NewValue::Int(1), None);
        let mut l = ks.lock(&[(0, b"a"), (3, b"a")]);
        let moved = l.entry(0, b"a", |s| s.remove()).flatten().unwrap();
        let mut rec = moved;
        let rec = rec.rekeyed(b"a", None);
        l.entry(3, b"a", |s| s.replace(rec));
        assert!(l.entry(1, b"a", |_| ()).is_none(), "not locked: refused");
        drop(l);
        assert!(!ks.db(0).contains(b"a"));
        assert_eq!(ks.db(3).get(b"a"), Some(Value::Integer(1)));
    }

    #[test]
    fn swap_exchanges_contents_and_deadlines() {
        let ks = Keyspace::new(4);
        ks.db(1).set(b"x", NewValue::Int(1), Some(u64::MAX - 1));
        ks.swap(1, 2);
        assert!(!ks.db(1).contains(b"x"));
        assert!(ks.db(2).contains(b"x"));
        assert_eq!((ks.db(1).volatile(), ks.db(2).volatile()), (0, 1));
    }

    #[test]
    fn expiry_cycle_removes_due_keys_in_every_database() {
        let ks = Keyspace::new(3);
        let now = ks.clock().now();
        for d in 0..3 {
            for i in 0..100 {
                let k = format!("k{i}");
                ks.db(d).set(k.as_bytes(), NewValue::Int(i), Some(now - 1));
            }
            ks.db(d).set(b"stay", NewValue::Int(0), Some(now + 60_000));
        }
        let mut seen = Vec::new();
        let (_, n) = ks.expire_some(0, Duration::from_secs(5), |d, k| seen.push((d, k.to_vec())));
        assert_eq!(n, 300);
        assert_eq!(seen.len(), 300);
        assert_eq!(ks.len(), 3);
        assert_eq!(ks.expired_keys(), 300);
    }

    mod model {
        use std::collections::HashMap;

        use kvstore_protocol::Value;

        use proptest::prelude::*;

        use super::super::*;

        #[derive(Debug, Clone)]
        enum Op {
            /// Set key (0..8) in db (0..2); deadline: none, past or future.
            Set(usize, u8, Option<bool>),
            /// Change the deadline of a key if it exists.
            Expire(usize, u8, Option<bool>),
            Delete(usize, u8),
            /// Run the expiry cycle over everything.
            Sweep,
            Swap,
            Flush(usize),
            /// Read a key: one past its deadline goes, as on any access.
            Read(usize, u8),
        }

        fn op() -> impl Strategy<Value = Op> {
            let deadline = prop_oneof![Just(None), Just(Some(false)), Just(Some(true))];
            prop_oneof![
                4 => (0..2usize, 0..8u8, deadline.clone()).prop_map(|(d, k, t)| Op::Set(d, k, t)),
                2 => (0..2usize, 0..8u8, deadline).prop_map(|(d, k, t)| Op::Expire(d, k, t)),
                1 => (0..2usize, 0..8u8).prop_map(|(d, k)| Op::Delete(d, k)),
                1 => Just(Op::Sweep),
                1 => Just(Op::Swap),
                1 => (0..2usize).prop_map(Op::Flush),
                2 => (0..2usize, 0..8u8).prop_map(|(d, k)| Op::Read(d, k)),
            ]
        }

        proptest! {
            /// The databases, their deadlines, their counts and the expiry
            /// cycle agree with a plain map of (value, deadline).
            #[test]
            fn keyspace_matches_a_model(ops in prop::collection::vec(op(), 1..60)) {
                let ks = Keyspace::new(2);
                let now = ks.clock().now();
                let at = |t: Option<bool>| t.map(|future| if future { now + 3_600_000 } else { now - 1 });
                let mut model: [HashMap<u8, (i64, Option<u64>)>; 2] = Default::default();
                for (i, op) in ops.into_iter().enumerate() {
                    let i = i as i64;
                    match op {
                        Op::Set(d, k, t) => {
                            ks.db(d).set(&[k], NewValue::Int(i), at(t));
                            model[d].insert(k, (i, at(t)));
                        }
                        Op::Expire(d, k, t) => {
                            let live = ks.db(d).entry(&[k], |slot| match slot.get_mut() {
                                Some(r) => { r.set_deadline(at(t)); true }
                                None => false,
                            });
                            let m = model[d].get(&k).copied();
                            let m_live = m.is_some_and(|(_, dl)| dl.is_none_or(|x| x > now));
                            prop_assert_eq!(live, m_live);
                            if m_live {
                                model[d].insert(k, (m.map_or(0, |v| v.0), at(t)));
                            } else {
                                model[d].remove(&k);
                            }
                        }
                        Op::Delete(d, k) => {
                            let gone = ks.db(d).delete(&[k]);
                            let m = model[d].remove(&k);
                            prop_assert_eq!(gone, m.is_some_and(|(_, dl)| dl.is_none_or(|x| x > now)));
                        }
                        Op::Sweep => {
                            ks.expire_some(0, std::time::Duration::from_secs(60), |_, _| {});
                            for m in model.iter_mut() {
                                m.retain(|_, (_, dl)| dl.is_none_or(|x| x > now));
                            }
                            for (d, m) in model.iter().enumerate() {
                                let with_deadline = m.values().filter(|v| v.1.is_some()).count();
                                prop_assert_eq!(ks.db(d).volatile(), with_deadline);
                            }
                        }
                        Op::Swap => {
                            ks.swap(0, 1);
                            model.swap(0, 1);
                        }
                        Op::Flush(d) => {
                            ks.db(d).clear();
                            model[d].clear();
                        }
                        Op::Read(d, k) => {
                            let got = ks.db(d).with_record(&[k], |r| r.map(|r| (r.value(), r.deadline())));
                            let m = model[d].get(&k).copied();
                            let live = m.filter(|(_, dl)| dl.is_none_or(|x| x > now));
                            if live.is_none() {
                                model[d].remove(&k);
                            }
                            prop_assert_eq!(got, live.map(|(v, dl)| (Value::Integer(v), dl)));
                        }
                    }
                    // Looked at without touching: the snapshot holds the
                    // live keys, and keys past their deadline still count
                    // as volatile until something removes them.
                    let snap = ks.snapshot();
                    for (d, m) in model.iter().enumerate() {
                        let live: HashMap<u8, (i64, Option<u64>)> = m
                            .iter()
                            .filter(|(_, (_, dl))| dl.is_none_or(|x| x > now))
                            .map(|(k, v)| (*k, *v))
                            .collect();
                        prop_assert_eq!(ks.db(d).len(), live.len());
                        let seen: HashMap<u8, (i64, Option<u64>)> = snap
                            .records()
                            .filter(|(db, _)| *db == d)
                            .map(|(_, r)| {
                                let Value::Integer(v) = r.value() else { return (0, (-1, None)) };
                                (r.key()[0], (v, r.deadline()))
                            })
                            .collect();
                        prop_assert_eq!(seen, live);
                        let total = m.values().filter(|v| v.1.is_some()).count();
                        prop_assert_eq!(ks.db(d).volatile(), total, "volatile count");
                    }
                }
            }
        }
    }
}
