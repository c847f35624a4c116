//! Cuts: the keyspace as of one instant, read shard by shard while it goes
//! on changing, without copying it first.
//!
//! A cut begins at one instant (every shard read-locked for a moment) and
//! then walks the shards one at a time, holding each shard's read lock only
//! while it reads that shard. A write that reaches a shard the walk has not
//! read yet first keeps a copy of that shard's records as they were, for
//! the walk to read instead; the shard then counts as read, so later writes
//! to it cost nothing more. Each shard is thus read exactly once, as of the
//! cut's instant, and what is copied is only what was written meanwhile,
//! one shard (about a thousandth of a database) at a time.
//!
//! Which shards a cut has read is an epoch per shard and per kind of cut,
//! so that a snapshot and an append-only-file rewrite can each have one in
//! progress at the same time. Writers check one shared byte (which kinds
//! have a cut in progress) under the shard lock they already hold: when no
//! cut runs, that is all they pay.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use super::cuts::{Kind, Slot};
use super::db::Table;
use super::record::Record;
use super::{Keyspace, SHARDS};

/// Visits a cut (or any other copy of the keyspace at one instant).
pub trait Visitor {
    type Error;
    /// One record of database `db`. May be called under a shard's read
    /// lock, which writers to that shard wait on: gather, do no I/O.
    fn record(&mut self, db: usize, record: &Record);
    /// Called with no lock held, after each shard: the time to write out
    /// what [`Visitor::record`] gathered.
    fn unlocked(&mut self) -> Result<(), Self::Error>;
}

/// A copy of the keyspace as of one instant, to be visited record by
/// record: a [`Cut`], or a [`super::Snapshot`] taken whole.
pub trait Walk {
    /// About how many records [`Walk::walk`] visits.
    fn keys(&self) -> usize {
        self.sizes().iter().sum()
    }
    /// About how many records [`Walk::walk`] visits in each database.
    fn sizes(&self) -> Vec<usize>;
    /// The function libraries' sources at the instant.
    fn libraries(&self) -> &[Bytes];
    /// Visits every live record, once each. Stops at the first error `v`
    /// returns.
    fn walk<V: Visitor>(&self, v: &mut V) -> Result<(), V::Error>;
}

/// The keyspace as of one instant, read by [`Walk::walk`]; the cut ends
/// when this is dropped.
pub struct Cut {
    ks: Arc<Keyspace>,
    kind: Kind,
    epoch: u32,
    now: u64,
    /// Keys in each database at the cut.
    sizes: Vec<usize>,
    libraries: Vec<Bytes>,
}

impl Keyspace {
    /// Begins a cut of `kind`: the keyspace as of now, to be read by
    /// [`Walk::walk`]. `None` if one of that kind is already in progress.
    pub fn cut(self: &Arc<Self>, kind: Kind) -> Option<Cut> {
        let cuts = &self.cuts;
        let bit = 1u8 << kind as usize;
        // Never in the middle of a transaction.
        let _gate = self.gate.shared();
        let guards = self.read_all();
        if cuts.active.load(Ordering::Relaxed) & bit != 0 {
            return None;
        }
        let slot = &cuts.slots[kind as usize];
        let epoch = match cuts
            .next_epoch
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1)
        {
            0 => cuts
                .next_epoch
                .fetch_add(1, Ordering::Relaxed)
                .wrapping_add(1),
            e => e,
        };
        let now = self.clock().now();
        slot.epoch.store(epoch, Ordering::Relaxed);
        slot.now.store(now, Ordering::Relaxed);
        let stale = std::mem::take(&mut *slot.kept.lock());
        cuts.forget(&stale);
        // Every writer takes a shard lock held here before it looks at
        // this, so each sees the cut whole or not at all.
        cuts.active.fetch_or(bit, Ordering::Relaxed);
        let sizes = guards
            .chunks(SHARDS)
            .map(|db| db.iter().map(|g| g.map.len()).sum())
            .collect();
        drop(guards);
        drop(stale);
        let libraries = self.functions.read().sources();
        Some(Cut {
            ks: Arc::clone(self),
            kind,
            epoch,
            now,
            sizes,
            libraries,
        })
    }

    /// Read guards of every shard of every database, in lock order.
    fn read_all(&self) -> Vec<parking_lot::RwLockReadGuard<'_, Table>> {
        self.dbs
            .iter()
            .flat_map(|db| db.shards.iter().map(|s| s.lock.read()))
            .collect()
    }
}

impl Walk for Cut {
    /// Keys in each database at the cut, those past their deadline
    /// included.
    fn sizes(&self) -> Vec<usize> {
        self.sizes.clone()
    }

    fn libraries(&self) -> &[Bytes] {
        &self.libraries
    }

    /// Database by database, shard by shard, each under its read lock only
    /// while it is read.
    fn walk<V: Visitor>(&self, v: &mut V) -> Result<(), V::Error> {
        let k = self.kind as usize;
        let slot = &self.ks.cuts.slots[k];
        for (d, db) in self.ks.dbs.iter().enumerate() {
            for shard in db.shards.iter() {
                self.drain(slot, v)?;
                {
                    let table = shard.lock.read();
                    if shard.marks.mark(k, self.epoch) == self.epoch {
                        continue;
                    }
                    for r in table.map.iter().filter(|r| !r.expired(self.now)) {
                        v.record(d, r);
                    }
                }
                v.unlocked()?;
            }
        }
        // Shards a writer kept after the walk had passed them cannot be:
        // the walk read them first. What remains was kept before.
        self.drain(slot, v)
    }
}

impl Cut {
    fn drain<V: Visitor>(&self, slot: &Slot, v: &mut V) -> Result<(), V::Error> {
        loop {
            let Some(kept) = slot.kept.lock().pop() else {
                return Ok(());
            };
            for r in &kept.records {
                v.record(kept.db, r);
            }
            // The copies are freed here, before the next shard is read.
            self.ks.cuts.forget(std::slice::from_ref(&kept));
            drop(kept);
            v.unlocked()?;
        }
    }
}

impl Drop for Cut {
    fn drop(&mut self) {
        let cuts = &self.ks.cuts;
        // Under every lock, so that no writer is between looking at the
        // bit and keeping its shard: nothing is kept after this.
        let guards = self.ks.read_all();
        cuts.active
            .fetch_and(!(1u8 << self.kind as usize), Ordering::Relaxed);
        let kept = std::mem::take(&mut *cuts.slots[self.kind as usize].kept.lock());
        cuts.forget(&kept);
        drop(guards);
        drop(kept);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::convert::Infallible;

    use super::*;
    use crate::keyspace::NewValue;

    /// Gathers what a walk visits: (db, key) to value, counting repeats.
    #[derive(Default)]
    struct Seen {
        got: BTreeMap<(usize, Vec<u8>), Vec<u8>>,
        repeats: usize,
    }

    impl Visitor for Seen {
        type Error = Infallible;
        fn record(&mut self, db: usize, r: &Record) {
            let v = r
                .view()
                .as_str()
                .map(|v| v.into_owned())
                .unwrap_or_default();
            if self.got.insert((db, r.key().to_vec()), v).is_some() {
                self.repeats += 1;
            }
        }
        fn unlocked(&mut self) -> Result<(), Infallible> {
            Ok(())
        }
    }

    fn filled(n: usize) -> Arc<Keyspace> {
        let ks = Arc::new(Keyspace::new(2));
        for i in 0..n {
            ks.db(i % 2).set_str(format!("k{i}").as_bytes(), b"old");
        }
        ks
    }

    fn state(ks: &Keyspace) -> BTreeMap<(usize, Vec<u8>), Vec<u8>> {
        let snap = ks.snapshot();
        let mut seen = Seen::default();
        let Ok(()) = snap.walk(&mut seen);
        seen.got
    }

    /// The keyspace as now, but with `key` (in db 1) at `value`.
    fn state_with(ks: &Keyspace, key: &[u8], value: &[u8]) -> BTreeMap<(usize, Vec<u8>), Vec<u8>> {
        let mut s = state(ks);
        s.insert((1, key.to_vec()), value.to_vec());
        s
    }

    fn walk(cut: &Cut) -> Seen {
        let mut seen = Seen::default();
        let Ok(()) = cut.walk(&mut seen);
        seen
    }

    #[test]
    fn a_cut_sees_its_instant_whatever_is_written_after() {
        let ks = filled(5000);
        let before = state(&ks);
        let cut = ks.cut(Kind::Snapshot).unwrap();
        for i in 0..5000 {
            let key = format!("k{i}");
            match i % 4 {
                0 => {
                    ks.db(i % 2).set_str(key.as_bytes(), b"new");
                }
                1 => {
                    ks.db(i % 2).delete(key.as_bytes());
                }
                _ => {}
            }
            ks.db(0).set_str(format!("added{i}").as_bytes(), b"x");
        }
        ks.swap(0, 1);
        let seen = walk(&cut);
        assert_eq!(seen.repeats, 0);
        assert_eq!(seen.got, before);
        assert_ne!(state(&ks), before, "the writes did happen");
    }

    #[test]
    fn a_flush_during_a_cut_hands_its_tables_over() {
        let ks = filled(3000);
        let before = state(&ks);
        let cut = ks.cut(Kind::Rewrite).unwrap();
        assert_eq!(ks.clear(false), 3000);
        assert!(ks.is_empty());
        ks.db(1).set_str(b"after", b"y");
        assert_eq!(walk(&cut).got, before);
    }

    #[test]
    fn two_kinds_of_cut_at_once_each_see_their_own_instant() {
        let ks = filled(2000);
        let first = state(&ks);
        let save = ks.cut(Kind::Snapshot).unwrap();
        assert!(ks.cut(Kind::Snapshot).is_none(), "one of a kind at a time");
        for i in 0..1000 {
            ks.db(0).set_str(format!("k{}", i * 2).as_bytes(), b"mid");
        }
        let second = state(&ks);
        let rewrite = ks.cut(Kind::Rewrite).unwrap();
        ks.clear(false);
        ks.db(0).set_str(b"k0", b"late");
        assert_eq!(walk(&rewrite).got, second);
        assert_eq!(walk(&save).got, first);
    }

    #[test]
    fn keys_past_their_deadline_at_the_cut_are_left_out() {
        let ks = Arc::new(Keyspace::new(1));
        let now = ks.clock().now();
        ks.db(0)
            .set(b"gone", NewValue::Str(b"v"), Some(now.saturating_sub(1)));
        ks.db(0)
            .set(b"later", NewValue::Str(b"v"), Some(now + 60_000));
        let cut = ks.cut(Kind::Snapshot).unwrap();
        let seen = walk(&cut);
        assert_eq!(seen.got.len(), 1);
        assert!(seen.got.contains_key(&(0, b"later".to_vec())));
    }

    #[test]
    fn after_a_cut_ends_writers_keep_nothing() {
        let ks = filled(100);
        let cut = ks.cut(Kind::Snapshot).unwrap();
        drop(cut);
        ks.db(0).set_str(b"k0", b"new");
        assert_eq!(ks.cuts.active.load(Ordering::Relaxed), 0);
        assert!(ks.cuts.slots[0].kept.lock().is_empty());
        // A cut abandoned midway leaves nothing behind for the next one.
        let cut = ks.cut(Kind::Snapshot).unwrap();
        ks.db(1).set_str(b"k1", b"new");
        assert!(!ks.cuts.slots[0].kept.lock().is_empty());
        assert!(ks.kept_bytes() > 0, "the copy is weighed");
        drop(cut);
        assert!(ks.cuts.slots[0].kept.lock().is_empty());
        assert_eq!(ks.kept_bytes(), 0);
        let cut = ks.cut(Kind::Snapshot).unwrap();
        ks.db(1).set_str(b"k1", b"newer");
        assert_eq!(walk(&cut).got, state_with(&ks, b"k1", b"new"));
        assert_eq!(ks.kept_bytes(), 0, "a walk frees what it took");
    }

    #[test]
    fn concurrent_writers_never_show_a_cut_half_of_a_multi_key_write() {
        // Pairs (a{i}, b{i}) are always written together, so any instant
        // has them equal.
        let ks = Arc::new(Keyspace::new(1));
        for i in 0..500 {
            ks.db(0).set_str(format!("a{i}").as_bytes(), b"0");
            ks.db(0).set_str(format!("b{i}").as_bytes(), b"0");
        }
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (ks, stop) = (Arc::clone(&ks), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut round = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    round += 1;
                    let v = round.to_string();
                    for i in 0..500 {
                        let (a, b) = (format!("a{i}"), format!("b{i}"));
                        let mut locked = ks.lock(&[(0, a.as_bytes()), (0, b.as_bytes())]);
                        for k in [&a, &b] {
                            locked.entry(0, k.as_bytes(), |s| {
                                s.replace(Record::new(
                                    k.as_bytes(),
                                    NewValue::Str(v.as_bytes()),
                                    None,
                                ))
                            });
                        }
                    }
                }
            })
        };
        for _ in 0..20 {
            let cut = ks.cut(Kind::Snapshot).unwrap();
            let seen = walk(&cut);
            assert_eq!(seen.repeats, 0);
            assert_eq!(seen.got.len(), 1000);
            for i in 0..500 {
                assert_eq!(
                    seen.got[&(0, format!("a{i}").into_bytes())],
                    seen.got[&(0, format!("b{i}").into_bytes())],
                    "pair {i}"
                );
            }
        }
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
    }
}
