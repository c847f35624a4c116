//! The keyspace: a fixed set of independently locked hash tables.
//!
//! Sharding keeps critical sections short and lets both cores work at once.
//! Each key is hashed once; the hash picks the shard (from middle bits) and
//! is reused for the probe inside it (hashbrown takes the low bits for the
//! bucket and the top seven for its tag, so the shard bits must be neither).
//!
//! `SCAN` walks one whole shard per step under that shard's lock, so a key
//! that exists for the whole scan is always returned, whatever resizes
//! happen in between, and no step holds a lock for long.

use std::hash::BuildHasher;

use hashbrown::hash_table::Entry as TableEntry;
use hashbrown::{DefaultHashBuilder, HashTable};
use kvstore_protocol::Value;
use parking_lot::{RwLock, RwLockWriteGuard};

use crate::record::Record;
pub use crate::record::ValueRef;

/// Number of shards; a power of two.
pub const SHARDS: usize = 1024;
const SHARD_SHIFT: u32 = 32;

type Shard = RwLock<HashTable<Record>>;

pub struct Store {
    shards: Box<[Shard]>,
    hasher: DefaultHashBuilder,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    pub fn new() -> Self {
        Store {
            shards: (0..SHARDS).map(|_| RwLock::new(HashTable::new())).collect(),
            hasher: DefaultHashBuilder::default(),
        }
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn shard_of(hash: u64) -> usize {
        (hash >> SHARD_SHIFT) as usize & (SHARDS - 1)
    }

    fn shard(&self, hash: u64) -> &Shard {
        &self.shards[Self::shard_of(hash)]
    }

    /// A copy of the value at `key`.
    pub fn get(&self, key: &[u8]) -> Option<Value> {
        let h = self.hash(key);
        let shard = self.shard(h).read();
        shard.find(h, |r| r.key() == key).map(Record::value)
    }

    /// Starts loading the records that may hold `key` into the cache,
    /// without reading them: a pipelined batch does this for all its keys
    /// first, so that their cache misses overlap instead of queueing.
    pub fn prefetch(&self, key: &[u8]) {
        let h = self.hash(key);
        let shard = self.shard(h).read();
        for r in shard.iter_hash(h) {
            r.prefetch();
        }
    }

    /// Runs `f` on the value at `key` as stored, without copying it out.
    pub fn with_ref<R>(&self, key: &[u8], f: impl FnOnce(Option<ValueRef<'_>>) -> R) -> R {
        let h = self.hash(key);
        let shard = self.shard(h).read();
        f(shard.find(h, |r| r.key() == key).map(Record::view))
    }

    /// Runs `f` on (a copy of) the value at `key`, under the shard's lock.
    pub fn with<R>(&self, key: &[u8], f: impl FnOnce(Option<&Value>) -> R) -> R {
        let h = self.hash(key);
        let shard = self.shard(h).read();
        let value = shard.find(h, |r| r.key() == key).map(Record::value);
        f(value.as_ref())
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.with_ref(key, |v| v.is_some())
    }

    /// Stores `value` at `key`; true if the key already existed.
    pub fn set(&self, key: &[u8], value: Value) -> bool {
        let h = self.hash(key);
        // Built before locking, to keep the critical section short.
        let record = Record::new(key, &value);
        let mut shard = self.shard(h).write();
        self.put(&mut shard, h, record)
    }

    /// [`Store::set`] for a string value given as bytes.
    pub fn set_str(&self, key: &[u8], value: &[u8]) -> bool {
        let h = self.hash(key);
        let record = Record::new_str(key, value);
        let mut shard = self.shard(h).write();
        self.put(&mut shard, h, record)
    }

    fn put(&self, shard: &mut HashTable<Record>, h: u64, record: Record) -> bool {
        let key = record.key();
        match shard.entry(h, |r| r.key() == key, |r| self.hash(r.key())) {
            TableEntry::Occupied(mut e) => {
                *e.get_mut() = record;
                true
            }
            TableEntry::Vacant(e) => {
                e.insert(record);
                false
            }
        }
    }

    /// Changes the value at `key` in place, under the shard lock, so that a
    /// read-modify-write (INCR, APPEND) is atomic. `f` gets the current
    /// value (or `None`) and returns the new one (or `None` to leave the key
    /// as it was) with a result.
    pub fn update<R>(&self, key: &[u8], f: impl FnOnce(Option<&Value>) -> (Option<Value>, R)) -> R {
        let h = self.hash(key);
        let mut shard = self.shard(h).write();
        match shard.entry(h, |r| r.key() == key, |r| self.hash(r.key())) {
            TableEntry::Occupied(mut e) => {
                let old = e.get().value();
                let (new, r) = f(Some(&old));
                if let Some(v) = new {
                    *e.get_mut() = Record::new(key, &v);
                }
                r
            }
            TableEntry::Vacant(e) => {
                let (new, r) = f(None);
                if let Some(v) = new {
                    e.insert(Record::new(key, &v));
                }
                r
            }
        }
    }

    /// Removes `key`; true if it existed.
    pub fn delete(&self, key: &[u8]) -> bool {
        let h = self.hash(key);
        let mut shard = self.shard(h).write();
        shard
            .find_entry(h, |r| r.key() == key)
            .map(|e| e.remove())
            .is_ok()
    }

    /// Removes every key at once (no reader sees some gone and not others);
    /// returns how many existed, each counted once.
    pub fn delete_many(&self, keys: &[&[u8]]) -> usize {
        let hashes: Vec<u64> = keys.iter().map(|k| self.hash(k)).collect();
        let mut guards = self.lock_shards(hashes.iter().copied());
        let mut removed = 0;
        for (key, &h) in keys.iter().zip(&hashes) {
            // The guards are sorted by shard: a DEL of many keys stays linear.
            let found = guards.binary_search_by_key(&Self::shard_of(h), |(i, _)| *i);
            if let Some((_, g)) = found.ok().and_then(|at| guards.get_mut(at)) {
                if let Ok(e) = g.find_entry(h, |r| r.key() == *key) {
                    e.remove();
                    removed += 1;
                }
            }
        }
        removed
    }

    /// Sets every pair at once: no reader sees some of them and not others.
    /// A key given twice ends with its last value, as if set in order.
    pub fn set_many<'a>(&self, pairs: impl IntoIterator<Item = (&'a [u8], &'a Value)>) {
        let mut items: Vec<(usize, u64, Record)> = pairs
            .into_iter()
            .map(|(k, v)| {
                let h = self.hash(k);
                (Self::shard_of(h), h, Record::new(k, v))
            })
            .collect();
        // Ascending shard order, so that two multi-key writers can never
        // deadlock; a stable sort keeps a repeated key's pairs in order.
        items.sort_by_key(|(shard, _, _)| *shard);
        let mut guards: Vec<(usize, RwLockWriteGuard<'_, HashTable<Record>>)> = Vec::new();
        for (shard, _, _) in &items {
            if guards.last().map(|(s, _)| s) != Some(shard) {
                guards.push((*shard, self.shards[*shard].write()));
            }
        }
        let mut g = 0;
        for (shard, h, record) in items {
            while guards[g].0 != shard {
                g += 1;
            }
            self.put(&mut guards[g].1, h, record);
        }
    }

    /// Copies of the values at `keys`, read at one instant: the shards
    /// involved are read-locked together (in ascending order, like every
    /// multi-shard lock here), so an MSET is seen whole or not at all.
    pub fn get_many(&self, keys: &[&[u8]]) -> Vec<Option<Value>> {
        let hashes: Vec<u64> = keys.iter().map(|k| self.hash(k)).collect();
        let mut idx: Vec<usize> = hashes.iter().map(|h| Self::shard_of(*h)).collect();
        idx.sort_unstable();
        idx.dedup();
        let guards: Vec<_> = idx.iter().map(|&i| self.shards[i].read()).collect();
        keys.iter()
            .zip(&hashes)
            .map(|(key, &h)| {
                let g = idx.binary_search(&Self::shard_of(h)).ok()?;
                guards[g].find(h, |r| r.key() == *key).map(Record::value)
            })
            .collect()
    }

    /// Stores `value` only if `key` is absent; true if it did.
    pub fn insert_if_absent(&self, key: &[u8], value: &Value) -> bool {
        let h = self.hash(key);
        let record = Record::new(key, value);
        let mut shard = self.shard(h).write();
        match shard.entry(h, |r| r.key() == key, |r| self.hash(r.key())) {
            TableEntry::Occupied(_) => false,
            TableEntry::Vacant(e) => {
                e.insert(record);
                true
            }
        }
    }

    /// Moves the value at `from` to `to`, atomically. False if `from` is missing.
    pub fn rename(&self, from: &[u8], to: &[u8]) -> bool {
        let (hf, ht) = (self.hash(from), self.hash(to));
        let mut guards = self.lock_shards([hf, ht].into_iter());
        let (sf, st) = (Self::shard_of(hf), Self::shard_of(ht));
        let Some(pos) = guards.iter().position(|(i, _)| *i == sf) else {
            return false;
        };
        let value = match guards[pos].1.find_entry(hf, |r| r.key() == from) {
            Ok(e) => e.remove().0.value(),
            Err(_) => return false,
        };
        if let Some((_, g)) = guards.iter_mut().find(|(i, _)| *i == st) {
            self.put(g, ht, Record::new(to, &value));
        }
        true
    }

    /// Write-locks the shards of `hashes` in ascending order, so that two
    /// multi-key writers can never deadlock.
    fn lock_shards(
        &self,
        hashes: impl Iterator<Item = u64>,
    ) -> Vec<(usize, RwLockWriteGuard<'_, HashTable<Record>>)> {
        let mut idx: Vec<usize> = hashes.map(Self::shard_of).collect();
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter()
            .map(|i| (i, self.shards[i].write()))
            .collect()
    }

    /// Removes every key; returns how many there were.
    pub fn clear(&self) -> usize {
        // Lock all first so that the count and the emptiness are one instant.
        // The old tables are swapped out under the locks (which also gives
        // their memory back) and freed only after the locks are released:
        // freeing millions of records should not stall every other client.
        let old: Vec<HashTable<Record>> = {
            let mut guards: Vec<_> = self.shards.iter().map(|s| s.write()).collect();
            guards
                .iter_mut()
                .map(|g| std::mem::replace(&mut **g, HashTable::new()))
                .collect()
        };
        old.iter().map(HashTable::len).sum()
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` on every key of shard `index`; the scan cursor is a shard
    /// index. Returns the next cursor, or 0 after the last shard.
    pub fn scan_shard(&self, index: usize, mut f: impl FnMut(&[u8], ValueRef<'_>)) -> usize {
        if let Some(shard) = self.shards.get(index) {
            for r in shard.read().iter() {
                f(r.key(), r.view());
            }
        }
        if index + 1 >= SHARDS {
            0
        } else {
            index + 1
        }
    }

    /// Copies of every record, taken at one instant (all shards read-locked
    /// together). Copying a record is one allocation and a memcpy; turning
    /// it back into a `Value` is left to [`Snapshot::entries`], so that a
    /// caller can do that part off the hot path.
    pub fn snapshot_records(&self) -> Snapshot {
        let guards: Vec<_> = self.shards.iter().map(|s| s.read()).collect();
        let mut copies = Vec::with_capacity(guards.iter().map(|g| g.len()).sum());
        for g in &guards {
            copies.extend(g.iter().cloned());
        }
        Snapshot(copies)
    }

    /// A copy of every entry, taken at one instant.
    pub fn snapshot(&self) -> Vec<(Box<[u8]>, Value)> {
        self.snapshot_records()
            .entries()
            .map(|(k, v)| (k.into(), v))
            .collect()
    }
}

/// The keyspace as of one instant; see [`Store::snapshot_records`].
pub struct Snapshot(Vec<Record>);

impl Snapshot {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every key with its value, decoded as it is reached.
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], Value)> + '_ {
        self.0.iter().map(|r| (r.key(), r.value()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_remove() {
        let s = Store::new();
        assert!(!s.set(b"a", Value::Integer(1)));
        assert!(s.set(b"a", Value::Integer(2)));
        assert_eq!(s.get(b"a"), Some(Value::Integer(2)));
        assert_eq!(s.len(), 1);
        assert!(s.delete(b"a"));
        assert!(!s.delete(b"a"));
        assert!(s.is_empty());
    }

    #[test]
    fn many_keys_spread_and_clear() {
        let s = Store::new();
        for i in 0..10_000 {
            s.set(format!("k{i}").as_bytes(), Value::Integer(i));
        }
        assert_eq!(s.len(), 10_000);
        let used = s.shards.iter().filter(|sh| !sh.read().is_empty()).count();
        assert!(used > SHARDS / 2, "keys land in few shards: {used}");
        assert_eq!(s.get(b"k1234"), Some(Value::Integer(1234)));
        assert_eq!(s.clear(), 10_000);
        assert_eq!(s.get(b"k1234"), None);
    }

    #[test]
    fn scan_visits_every_key_once() {
        let s = Store::new();
        for i in 0..5000 {
            s.set(format!("k{i}").as_bytes(), Value::Integer(i));
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = s.scan_shard(cursor, |k, _| {
                assert!(seen.insert(k.to_vec()));
            });
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 5000);
    }

    #[test]
    fn rename_and_set_many() {
        let s = Store::new();
        let (one, two, three) = (Value::Integer(1), Value::Integer(2), Value::Integer(3));
        s.set_many([(b"a".as_slice(), &one), (b"b", &two), (b"a", &three)]);
        assert_eq!(s.get(b"a"), Some(Value::Integer(3)), "the last pair wins");
        s.set_many([(b"a".as_slice(), &one)]);
        assert!(s.rename(b"a", b"c"));
        assert!(!s.rename(b"missing", b"d"));
        assert_eq!(s.get(b"a"), None);
        assert_eq!(s.get(b"c"), Some(Value::Integer(1)));
        assert!(s.rename(b"b", b"b"));
        assert_eq!(s.get(b"b"), Some(Value::Integer(2)));
    }

    #[test]
    fn delete_many_counts_each_key_once() {
        let s = Store::new();
        for k in ["a", "b", "c"] {
            s.set(k.as_bytes(), Value::Integer(1));
        }
        assert_eq!(s.delete_many(&[b"a", b"a", b"missing", b"c"]), 2);
        assert_eq!(s.get(b"b"), Some(Value::Integer(1)));
        assert!(!s.contains(b"a") && !s.contains(b"c"));
        assert!(s.delete(b"b"));
        assert!(!s.delete(b"b"));
    }

    #[test]
    fn update_is_read_modify_write() {
        let s = Store::new();
        let r = s.update(b"n", |v| {
            assert!(v.is_none());
            (Some(Value::Integer(5)), 5)
        });
        assert_eq!(r, 5);
        let r = s.update(b"n", |v| match v {
            Some(Value::Integer(n)) => (Some(Value::Integer(n + 1)), n + 1),
            _ => (None, -1),
        });
        assert_eq!(r, 6);
        assert_eq!(s.get(b"n"), Some(Value::Integer(6)));
    }
}
