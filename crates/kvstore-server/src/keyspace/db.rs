//! One database: a fixed set of independently locked hash tables, with the
//! deadlines of its keys.
//!
//! Sharding keeps critical sections short and lets both cores work at once.
//! Each key is hashed once; the hash picks the shard (from middle bits) and
//! is reused for the probe inside it (hashbrown takes the low bits for the
//! bucket and the top seven for its tag, so the shard bits must be neither).
//! The shards are of eight sizes, so that they do not all double at once
//! (see `spread.rs`).
//!
//! Expiry: a deadline lives in the key's record. Each shard counts its keys
//! with a deadline and keeps a lower bound of the earliest one
//! (`next_expiry`), outside its lock, so the active expiry cycle skips, in
//! one atomic load, every shard with nothing due, and a database with no
//! deadlines at all. Reads treat a key past its deadline as absent; writes
//! remove it (see [`Db::entry`]); the cycle removes the rest.
//!
//! `SCAN` walks one whole shard per step under that shard's lock, so a key
//! that exists for the whole scan is always returned, whatever resizes
//! happen in between, and no step holds a lock for long.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use hashbrown::hash_table::{Entry as TableEntry, OccupiedEntry, VacantEntry};
use hashbrown::{DefaultHashBuilder, HashTable};
use kvstore_protocol::Value;
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::clock::Clock;
use super::cuts::{Cuts, Marks};
use super::record::{NewValue, Record, ValueRef};
use super::sampled::Sampled;

/// Number of shards per database; a power of two.
pub const SHARDS: usize = 1024;
const NO_EXPIRY: u64 = u64::MAX;

/// The table of one shard.
#[derive(Default)]
pub struct Table {
    pub(super) map: HashTable<Record>,
    /// Keys here with a deadline.
    volatile: usize,
}

pub(super) struct Shard {
    pub(super) lock: RwLock<Table>,
    /// No key here expires before this (Unix ms); `u64::MAX` if none has a
    /// deadline. Lowered under the write lock whenever a deadline is set,
    /// raised only by the expiry cycle, which recomputes it exactly.
    next_expiry: AtomicU64,
    /// Which cuts have read this shard (see [`Cuts`]).
    pub(super) marks: Marks,
}

pub struct Db {
    /// This database's number, as `SELECT` names it.
    index: usize,
    pub(super) shards: Box<[Shard]>,
    hasher: DefaultHashBuilder,
    pub(super) clock: Arc<Clock>,
    /// Keys with a deadline, over all shards.
    volatile: AtomicUsize,
    /// Keys removed because their deadline passed (INFO's `expired_keys`).
    pub(super) expired: Arc<AtomicU64>,
    /// Reads that found their key and reads that did not (INFO's
    /// `keyspace_hits`, `keyspace_misses`), over all databases.
    pub(super) lookups: Arc<Lookups>,
    /// Writes that changed more than one shard at one instant, over all
    /// databases: see [`Moves`].
    pub(super) moves: Arc<Moves>,
    /// Every write lock goes through [`Db::write_shard`], which lets a
    /// cut in progress keep the shard as it was first.
    cuts: Arc<Cuts>,
}

/// Counts the writes that change several shards at one instant (`RENAME`,
/// `MSET`, `SMOVE`, a flush…), each counted while it still holds every
/// shard it locked. A walk that takes the shards one at a time and finds
/// the count unchanged from before its first shard to after its last saw
/// no such write half done: any whose change it saw in one shard counted
/// itself before unlocking that shard, so before the walk's last look.
#[derive(Debug, Default)]
pub struct Moves(AtomicU64);

impl Moves {
    pub(super) fn counted(&self) {
        self.0.fetch_add(1, Ordering::Release);
    }

    pub(super) fn now(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// [`Db::lookups`]: hits at [`HIT`], misses at [`MISS`].
pub type Lookups = super::striped::Striped<2>;
pub const HIT: usize = 0;
pub const MISS: usize = 1;

/// What a write found at its key, before it changed anything.
pub type Guard<'a> = RwLockWriteGuard<'a, Table>;

impl Db {
    pub(super) fn new(
        index: usize,
        hasher: DefaultHashBuilder,
        clock: Arc<Clock>,
        expired: Arc<AtomicU64>,
        moves: Arc<Moves>,
        lookups: Arc<Lookups>,
        cuts: Arc<Cuts>,
    ) -> Db {
        Db {
            index,
            shards: (0..SHARDS)
                .map(|_| Shard {
                    lock: RwLock::new(Table::default()),
                    next_expiry: AtomicU64::new(NO_EXPIRY),
                    marks: Marks::default(),
                })
                .collect(),
            hasher,
            clock,
            volatile: AtomicUsize::new(0),
            expired,
            moves,
            lookups,
            cuts,
        }
    }

    /// Write-locks shard `index`: the only way to, so that a cut in
    /// progress that has not read the shard keeps it first.
    #[inline]
    pub(super) fn write_shard(&self, index: usize) -> Guard<'_> {
        let shard = &self.shards[index];
        let table = shard.lock.write();
        self.cuts.before_write(self.index, &shard.marks, &table.map);
        table
    }

    pub(super) fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    #[inline]
    pub(super) fn shard_of(hash: u64) -> usize {
        super::spread::shard_of(hash)
    }

    fn shard(&self, hash: u64) -> &Shard {
        &self.shards[Self::shard_of(hash)]
    }

    /// The time deadlines are compared with (Unix ms); 0 while loading.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    fn read(&self, h: u64) -> RwLockReadGuard<'_, Table> {
        self.shard(h).lock.read()
    }

    /// Runs `f` on the live record at `key`, under the shard's read lock.
    /// A key found past its deadline is removed at once (and counted), as
    /// Redis does on access.
    #[inline]
    pub fn with_record<R>(&self, key: &[u8], f: impl FnOnce(Option<&Record>) -> R) -> R {
        let h = self.hash(key);
        let table = self.read(h);
        let found = table.map.find(h, |r| r.key() == key);
        if !found.is_some_and(|r| is_expired(r, &self.clock)) {
            if let Some(r) = found {
                super::evict::touch(r);
            }
            self.lookups
                .add(if found.is_some() { HIT } else { MISS }, 1);
            return f(found);
        }
        drop(table);
        self.lookups.add(MISS, 1);
        // The write path removes it (and notes it for the log).
        self.entry(key, |_| ());
        f(None)
    }

    /// What the live key at `key` costs, for `MEMORY USAGE`: its record
    /// (see [`Record::memory`]; `samples` of a large container's members,
    /// 0 for all) and its share of its shard's table, the table's block
    /// divided among the keys in it. Not an access: the key's LRU/LFU field
    /// is left alone, as Redis leaves it.
    pub fn memory_usage(&self, key: &[u8], samples: usize) -> Option<usize> {
        let h = self.hash(key);
        let table = self.read(h);
        let r = table
            .map
            .find(h, |r| r.key() == key)
            .filter(|r| !is_expired(r, &self.clock))?;
        let share = super::object::alloc_size(table.map.allocation_size()) / table.map.len();
        Some(r.memory(samples) + share)
    }

    /// Runs `f` on the value at `key` as stored, without copying it out.
    pub fn with_ref<R>(&self, key: &[u8], f: impl FnOnce(Option<ValueRef<'_>>) -> R) -> R {
        self.with_record(key, |r| f(r.map(Record::view)))
    }

    /// A copy of the value at `key`.
    pub fn get(&self, key: &[u8]) -> Option<Value> {
        self.with_record(key, |r| r.map(Record::value))
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.with_record(key, |r| r.is_some())
    }

    /// Runs `f` on each key's value, read at one instant: the shards
    /// involved are read-locked together (in ascending order, like every
    /// multi-shard lock), so an MSET is seen whole or not at all.
    pub fn get_many<R>(
        &self,
        keys: &[&[u8]],
        mut f: impl FnMut(Option<ValueRef<'_>>) -> R,
    ) -> Vec<R> {
        let hashes: Vec<u64> = keys.iter().map(|k| self.hash(k)).collect();
        let mut idx: Vec<usize> = hashes.iter().map(|h| Self::shard_of(*h)).collect();
        idx.sort_unstable();
        idx.dedup();
        let mut expired = Vec::new();
        let out = {
            let guards: Vec<_> = idx.iter().map(|&i| self.shards[i].lock.read()).collect();
            keys.iter()
                .zip(&hashes)
                .map(|(key, &h)| {
                    let g = idx.binary_search(&Self::shard_of(h)).ok();
                    let found = g.and_then(|g| guards[g].map.find(h, |r| r.key() == *key));
                    let live = found.filter(|r| !is_expired(r, &self.clock));
                    self.lookups.add(if live.is_some() { HIT } else { MISS }, 1);
                    match found {
                        Some(r) if is_expired(r, &self.clock) => {
                            expired.push(*key);
                            f(None)
                        }
                        found => f(found.map(|r| {
                            super::evict::touch(r);
                            r.view()
                        })),
                    }
                })
                .collect()
        };
        // Keys found past their deadline go now, as on any access.
        for key in expired {
            self.entry(key, |_| ());
        }
        out
    }

    /// Starts loading the records that may hold `key` into the cache,
    /// without reading them: a pipelined batch does this for all its keys
    /// first, so that their cache misses overlap instead of queueing.
    pub fn prefetch(&self, key: &[u8]) {
        let h = self.hash(key);
        let table = self.read(h);
        for r in table.map.iter_hash(h) {
            r.prefetch();
        }
    }

    /// Stores a string at `key` with no deadline; true if the key existed.
    /// The plain `SET`: no look at the old value beyond replacing it.
    pub fn set_str(&self, key: &[u8], value: &[u8]) -> bool {
        self.set(key, NewValue::Str(value), None)
    }

    /// Stores `value` at `key` with `deadline`, replacing whatever was
    /// there and its deadline; true if a live key existed.
    pub fn set(&self, key: &[u8], value: NewValue<'_>, deadline: Option<u64>) -> bool {
        let h = self.hash(key);
        // Built before locking, to keep the critical section short.
        let record = Record::new(key, value, deadline);
        let mut table = self.write_shard(Self::shard_of(h));
        self.entry_in(&mut table, h, key, |slot| slot.replace(record).is_some())
    }

    /// Stores a record built elsewhere (loading, RESTORE), replacing the key.
    pub fn insert_record(&self, record: Record) -> bool {
        // The key must outlive the record's move into the table: a copy,
        // on the stack for the usual short key (loading makes millions).
        let mut short = [0u8; 64];
        let long;
        let key = match record.key() {
            k if k.len() <= short.len() => {
                short[..k.len()].copy_from_slice(k);
                &short[..k.len()]
            }
            k => {
                long = k.to_vec();
                &long[..]
            }
        };
        let h = self.hash(key);
        let mut table = self.write_shard(Self::shard_of(h));
        self.entry_in(&mut table, h, key, |slot| slot.replace(record).is_some())
    }

    /// Makes room for about `keys` more keys spread over the shards, so
    /// that loading them does not grow each table step by step.
    pub fn reserve(&self, keys: usize) {
        for i in 0..SHARDS {
            let expected = super::spread::expected(keys, i);
            let per_shard = expected + expected / 8 + 1;
            let mut table = self.write_shard(i);
            let hasher = &self.hasher;
            // Best effort: a table that cannot grow now grows as keys come.
            let _ = table
                .map
                .try_reserve(per_shard, |r| hasher.hash_one(r.key()));
        }
    }

    /// A read-modify-write of `key` under its shard's write lock: `f` sees
    /// the live record (an expired one is removed first, and counted) and
    /// may change it in place, replace it or remove it.
    pub fn entry<R>(&self, key: &[u8], f: impl FnOnce(&mut Slot<'_>) -> R) -> R {
        let h = self.hash(key);
        let mut table = self.write_shard(Self::shard_of(h));
        self.entry_in(&mut table, h, key, f)
    }

    /// [`Db::entry`] in a table already locked by the caller.
    pub(super) fn entry_in<R>(
        &self,
        table: &mut Table,
        h: u64,
        key: &[u8],
        f: impl FnOnce(&mut Slot<'_>) -> R,
    ) -> R {
        let Table { map, volatile } = table;
        let entry = match map.entry(h, |r| r.key() == key, |r| self.hasher.hash_one(r.key())) {
            TableEntry::Occupied(e) if is_expired(e.get(), &self.clock) => {
                let (old, vacant) = e.remove();
                *volatile -= 1;
                self.volatile.fetch_sub(1, Ordering::Relaxed);
                self.expired.fetch_add(1, Ordering::Relaxed);
                self.clock.note_expired(self.index, key);
                drop(old);
                SlotEntry::Vacant(vacant)
            }
            TableEntry::Occupied(e) => SlotEntry::Occupied(e),
            TableEntry::Vacant(e) => SlotEntry::Vacant(e),
        };
        let before = match &entry {
            SlotEntry::Occupied(e) => e.get().deadline(),
            _ => None,
        };
        let mut slot = Slot { entry };
        let result = f(&mut slot);
        let (vacant, after) = match &slot.entry {
            SlotEntry::Occupied(e) => {
                super::evict::touch(e.get());
                (false, e.get().deadline())
            }
            _ => (true, None),
        };
        // A key that went (now, or as expired on the way in) may leave
        // the table mostly empty.
        if vacant {
            shrink_if_sparse(map, &self.hasher);
        }
        self.account(volatile, h, before, after);
        result
    }

    /// Keeps the volatile counts and the shard's expiry bound in step with
    /// one key's deadline going from `before` to `after`.
    fn account(&self, volatile: &mut usize, h: u64, before: Option<u64>, after: Option<u64>) {
        match (before.is_some(), after.is_some()) {
            (false, true) => {
                *volatile += 1;
                self.volatile.fetch_add(1, Ordering::Relaxed);
            }
            (true, false) => {
                *volatile -= 1;
                self.volatile.fetch_sub(1, Ordering::Relaxed);
            }
            _ => {}
        }
        if let Some(d) = after {
            self.shard(h).next_expiry.fetch_min(d, Ordering::Relaxed);
        }
    }

    /// Removes `key`; true if a live key existed. The value is freed after
    /// the shard's lock is released.
    pub fn delete(&self, key: &[u8]) -> bool {
        self.remove(key).is_some()
    }

    /// Removes `key` and hands its record back (to free off the request
    /// path, or to move elsewhere).
    pub fn remove(&self, key: &[u8]) -> Option<Record> {
        self.entry(key, |slot| slot.remove())
    }

    /// Number of live keys, at one instant (every shard read-locked
    /// together, so a key moving between shards is counted once). Exact:
    /// shards with a key past its deadline that the expiry cycle has not
    /// reached yet are counted one by one.
    pub fn len(&self) -> usize {
        let now = self.now();
        let guards: Vec<_> = self.shards.iter().map(|s| s.lock.read()).collect();
        self.shards
            .iter()
            .zip(&guards)
            .map(|(s, t)| {
                if s.next_expiry.load(Ordering::Relaxed) > now {
                    t.map.len()
                } else {
                    t.map.iter().filter(|r| !r.expired(now)).count()
                }
            })
            .sum()
    }

    /// Calls `f` on every live key, one shard read-locked at a time, so a
    /// walk of millions of keys holds no writer for more than one shard's
    /// worth; true if what it saw was one instant's keys, as
    /// [`Db::for_each_key`] sees them. If not, `f` has seen keys of
    /// several instants (perhaps both names of a `RENAME`).
    pub fn for_each_key_by_shard(&self, mut f: impl FnMut(&[u8])) -> bool {
        let before = self.moves.now();
        let now = self.now();
        for shard in self.shards.iter() {
            let table = shard.lock.read();
            for r in table.map.iter().filter(|r| !r.expired(now)) {
                f(r.key());
            }
        }
        self.moves.now() == before
    }

    /// Calls `f` on every live key, all shards read-locked together: the
    /// keys of one instant.
    pub fn for_each_key(&self, mut f: impl FnMut(&[u8])) {
        let now = self.now();
        let guards: Vec<_> = self.shards.iter().map(|s| s.lock.read()).collect();
        for g in &guards {
            for r in g.map.iter().filter(|r| !r.expired(now)) {
                f(r.key());
            }
        }
    }

    /// Bytes the database's own structure takes beside its records: the
    /// shards and their hash tables' slots (INFO's `used_memory_overhead`).
    pub fn table_bytes(&self) -> usize {
        let slot = std::mem::size_of::<Record>() + 1;
        let tables: usize = self
            .shards
            .iter()
            .map(|s| s.lock.read().map.capacity() * slot)
            .sum();
        tables + self.shards.len() * std::mem::size_of::<Shard>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys with a deadline (INFO keyspace's `expires`), expired ones not
    /// yet removed included.
    pub fn volatile(&self) -> usize {
        self.volatile.load(Ordering::Relaxed)
    }

    /// Average time to live of the keys with a deadline, in ms (INFO
    /// keyspace's `avg_ttl`), from a sample of at most `max` of them.
    pub fn avg_ttl(&self, max: usize) -> u64 {
        if self.volatile() == 0 {
            return 0;
        }
        let now = self.now();
        let (mut sum, mut n) = (0u128, 0u128);
        for s in self.shards.iter() {
            if s.next_expiry.load(Ordering::Relaxed) == NO_EXPIRY {
                continue;
            }
            for r in s.lock.read().map.iter() {
                if let Some(d) = r.deadline() {
                    sum += u128::from(d.saturating_sub(now));
                    n += 1;
                }
            }
            if n as usize >= max {
                break;
            }
        }
        (sum / n.max(1)) as u64
    }

    /// Calls `f` on every live key of shard `index`; the scan cursor is a
    /// shard index. Returns the next cursor, or 0 after the last shard.
    pub fn scan_shard(&self, index: usize, mut f: impl FnMut(&[u8], ValueRef<'_>)) -> usize {
        let now = self.now();
        if let Some(shard) = self.shards.get(index) {
            for r in shard.lock.read().map.iter() {
                if !r.expired(now) {
                    f(r.key(), r.view());
                }
            }
        }
        if index + 1 >= SHARDS {
            0
        } else {
            index + 1
        }
    }

    /// A live key chosen at random, or `None` if there is none: a random
    /// shard, then a random key in it, as Redis samples random buckets. A
    /// sparse database, where random shards keep coming up empty, falls
    /// back to a uniform pick over all its keys.
    pub fn random_key(&self, seed: u64) -> Option<Vec<u8>> {
        let now = self.now();
        let mut x = seed | 1;
        let mut next = move || {
            // xorshift64: plenty for picking keys.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..64 {
            let table = self.shards[next() as usize & (SHARDS - 1)].lock.read();
            let live = table.map.iter().filter(|r| !r.expired(now)).count();
            if live > 0 {
                let pick = next() as usize % live;
                let found = table.map.iter().filter(|r| !r.expired(now)).nth(pick);
                return found.map(|r| r.key().to_vec());
            }
        }
        let mut keys = Vec::new();
        self.for_each_key(|k| keys.push(k.to_vec()));
        if keys.is_empty() {
            return None;
        }
        let pick = next() as usize % keys.len();
        Some(keys.swap_remove(pick))
    }

    /// Calls `f` with up to `n` records picked at random (only ones with a
    /// deadline if `volatile`), for eviction. As Redis's sampling walks
    /// consecutive buckets, this walks consecutive shards from a random
    /// one, taking a run of records from a random bucket in each, until it
    /// has `n` or has seen every shard: so a database smaller than `n` is
    /// seen whole. Returns how many it found: 0 means none. Expired
    /// records are passed too: the caller looks at a record's expiry (and
    /// so at its memory) only once its access field has made it a
    /// candidate, since each look is a cache miss.
    pub fn sample(
        &self,
        n: usize,
        volatile: bool,
        start: usize,
        random: &mut dyn FnMut() -> u64,
        mut f: impl FnMut(Sampled, &Record),
    ) -> usize {
        let mut found = 0;
        for step in 0..SHARDS {
            if found >= n {
                break;
            }
            let shard = (start + step) & (SHARDS - 1);
            let table = self.shards[shard].lock.read();
            let count = if volatile {
                table.volatile
            } else {
                table.map.len()
            };
            if count == 0 {
                continue;
            }
            let take = (n - found).min(count);
            // A run of occupied buckets from a random one: as cheap as the
            // run, where counting records from the start would walk half
            // the shard on every sample.
            // (A power of two; were it not, indices past the end find
            // nothing.)
            let mask = table.map.num_buckets().next_power_of_two() - 1;
            let from = random() as usize;
            let mut taken = 0;
            for i in 0..=mask {
                let bucket = from.wrapping_add(i) & mask;
                let Some(r) = table.map.get_bucket(bucket) else {
                    continue;
                };
                if volatile && r.deadline().is_none() {
                    continue;
                }
                let at = Sampled {
                    shard,
                    bucket,
                    addr: r.addr(),
                };
                f(at, r);
                found += 1;
                taken += 1;
                if taken == take {
                    break;
                }
            }
        }
        found
    }

    /// Starts loading what the next [`Db::sample`] from shard `start`, or
    /// the removal of a record found at `at`, reads first, so that the
    /// work between two evictions hides those cache misses.
    pub(super) fn prefetch_eviction(&self, start: usize, at: Option<Sampled>) {
        let shard = &self.shards[start & (SHARDS - 1)];
        super::record::prefetch_at(shard);
        if let Some(at) = at {
            if let Some(shard) = self.shards.get(at.shard) {
                super::record::prefetch_at(shard);
            }
            super::record::prefetch_at(at.addr as *const u8);
        }
    }

    /// Removes the record [`Db::sample`] found at `at` if it is still there
    /// (a table that grew since has moved it, and its bucket may hold
    /// another record now: then nothing, unless the other has the same
    /// address, a rare miss of an approximate policy), and for `volatile`
    /// only if it still has a deadline. One past its deadline goes as expired, not evicted.
    /// Finding it this way reads no key, where a lookup by name would hash
    /// and compare one.
    pub(super) fn remove_sampled(&self, at: Sampled, volatile_only: bool) -> Option<Record> {
        if at.shard >= self.shards.len() {
            return None;
        }
        let mut table = self.write_shard(at.shard);
        let Table { map, volatile } = &mut *table;
        let e = map.get_bucket_entry(at.bucket).ok()?;
        let r = e.get();
        if r.addr() != at.addr || (volatile_only && r.deadline().is_none()) {
            return None;
        }
        let expired = is_expired(r, &self.clock);
        let (old, _) = e.remove();
        shrink_if_sparse(map, &self.hasher);
        if old.deadline().is_some() {
            *volatile -= 1;
            self.volatile.fetch_sub(1, Ordering::Relaxed);
        }
        if expired {
            self.expired.fetch_add(1, Ordering::Relaxed);
            self.clock.note_expired(self.index, old.key());
            drop(table);
            drop(old);
            return None;
        }
        Some(old)
    }

    /// Removes the expired keys of shard `index` if any may be due,
    /// calling `removed` with each one's key (under the shard lock: the
    /// caller logs the deletions in the same order as the writes). Returns
    /// how many were removed. Frees the records after unlocking, and gives
    /// back table memory once a shard is mostly empty.
    pub(super) fn expire_shard(&self, index: usize, mut removed: impl FnMut(&[u8])) -> usize {
        let now = self.now();
        let shard = &self.shards[index];
        if shard.next_expiry.load(Ordering::Relaxed) > now {
            return 0;
        }
        let mut dead = Vec::new();
        {
            let mut table = self.write_shard(index);
            let Table { map, volatile } = &mut *table;
            let mut next = NO_EXPIRY;
            for r in map.extract_if(|r| match r.deadline() {
                Some(d) if d <= now => true,
                Some(d) => {
                    next = next.min(d);
                    false
                }
                None => false,
            }) {
                removed(r.key());
                dead.push(r);
            }
            *volatile -= dead.len();
            self.volatile.fetch_sub(dead.len(), Ordering::Relaxed);
            shard.next_expiry.store(next, Ordering::Relaxed);
            shrink_if_sparse(map, &self.hasher);
        }
        self.expired.fetch_add(dead.len() as u64, Ordering::Relaxed);
        for r in &dead {
            self.clock.tell_expired(self.index, r.key());
        }
        dead.len()
    }

    /// True if some shard may hold a key past its deadline.
    pub(super) fn has_volatile(&self) -> bool {
        self.volatile() > 0
    }

    /// Removes every key; returns how many there were. Lock all first so
    /// that the count and the emptiness are one instant; the old tables
    /// are freed after the locks are released.
    pub fn clear(&self) -> usize {
        self.take_all().0
    }

    /// Empties the database at one instant; returns how many live keys
    /// there were and the old tables, for the caller to free.
    pub fn take_all(&self) -> (usize, Vec<Table>) {
        let now = self.now();
        let live = |t: &Table| t.map.iter().filter(|r| !r.expired(now)).count();
        // Tables a cut in progress takes over are counted before they go.
        let mut handed = 0;
        let old: Vec<Table> = {
            let mut guards: Vec<_> = self.shards.iter().map(|s| s.lock.write()).collect();
            let mut tables = Vec::with_capacity(SHARDS);
            for (shard, g) in self.shards.iter().zip(guards.iter_mut()) {
                let table = std::mem::take(&mut **g);
                let n = if self.cuts.any() { live(&table) } else { 0 };
                let Table { map, volatile } = table;
                match self.cuts.before_take(self.index, &shard.marks, map) {
                    Some(map) => tables.push(Table { map, volatile }),
                    None => handed += n,
                }
            }
            for s in self.shards.iter() {
                s.next_expiry.store(NO_EXPIRY, Ordering::Relaxed);
            }
            self.volatile.store(0, Ordering::Relaxed);
            self.moves.counted();
            tables
        };
        let n = handed + old.iter().map(live).sum::<usize>();
        (n, old)
    }

    /// Write-locks every shard, in index order.
    pub(super) fn lock_all(&self) -> Vec<Guard<'_>> {
        (0..SHARDS).map(|i| self.write_shard(i)).collect()
    }

    /// Exchanges the contents of two databases whose shards are all locked
    /// (SWAPDB): both sets of guards are held by the caller.
    pub(super) fn swap_locked(a: (&Db, &mut [Guard<'_>]), b: (&Db, &mut [Guard<'_>])) {
        for (ga, gb) in a.1.iter_mut().zip(b.1.iter_mut()) {
            std::mem::swap(&mut **ga, &mut **gb);
        }
        for (sa, sb) in a.0.shards.iter().zip(b.0.shards.iter()) {
            let x = sa.next_expiry.load(Ordering::Relaxed);
            sa.next_expiry
                .store(sb.next_expiry.load(Ordering::Relaxed), Ordering::Relaxed);
            sb.next_expiry.store(x, Ordering::Relaxed);
        }
        let va = a.0.volatile.load(Ordering::Relaxed);
        a.0.volatile
            .store(b.0.volatile.load(Ordering::Relaxed), Ordering::Relaxed);
        b.0.volatile.store(va, Ordering::Relaxed);
    }
}

/// Gives a table that keys have left most of its memory back: one under
/// a quarter full is rebuilt at twice its length (an empty one frees its
/// block). The gap between a quarter and the next growth at seven eighths
/// means a table that shrank must lose or gain about as many keys again
/// before it is rebuilt again, so deleting and adding keys one at a time
/// costs O(1) per key over time, as growing alone does.
#[inline]
fn shrink_if_sparse(map: &mut HashTable<Record>, hasher: &DefaultHashBuilder) {
    let (len, capacity) = (map.len(), map.capacity());
    if capacity > 0 && len <= capacity / 4 {
        map.shrink_to(len * 2, |r| hasher.hash_one(r.key()));
    }
}

/// The live record at `key` in a locked table.
#[inline]
pub(super) fn find_live<'t>(
    table: &'t Table,
    h: u64,
    key: &[u8],
    clock: &Clock,
) -> Option<&'t Record> {
    table
        .map
        .find(h, |r| r.key() == key)
        .filter(|r| !is_expired(r, clock))
}

/// True if `r` is past its deadline. The clock is read only for a record
/// that has one: a key without a deadline costs no system call.
#[inline]
fn is_expired(r: &Record, clock: &Clock) -> bool {
    r.deadline().is_some_and(|d| d <= clock.now())
}

enum SlotEntry<'a> {
    Occupied(OccupiedEntry<'a, Record>),
    Vacant(VacantEntry<'a, Record>),
    /// Only while changing from one to the other.
    Moving,
}

/// One key's place in a locked table; see [`Db::entry`].
pub struct Slot<'a> {
    entry: SlotEntry<'a>,
}

impl Slot<'_> {
    pub fn get(&self) -> Option<&Record> {
        match &self.entry {
            SlotEntry::Occupied(e) => Some(e.get()),
            _ => None,
        }
    }

    pub fn get_mut(&mut self) -> Option<&mut Record> {
        match &mut self.entry {
            SlotEntry::Occupied(e) => Some(e.get_mut()),
            _ => None,
        }
    }

    pub fn exists(&self) -> bool {
        self.get().is_some()
    }

    /// Puts `record` here; returns the record it replaced.
    pub fn replace(&mut self, record: Record) -> Option<Record> {
        match std::mem::replace(&mut self.entry, SlotEntry::Moving) {
            SlotEntry::Occupied(mut e) => {
                let old = std::mem::replace(e.get_mut(), record);
                self.entry = SlotEntry::Occupied(e);
                Some(old)
            }
            SlotEntry::Vacant(v) => {
                self.entry = SlotEntry::Occupied(v.insert(record));
                None
            }
            SlotEntry::Moving => None,
        }
    }

    /// Takes the record out, leaving the key absent.
    pub fn remove(&mut self) -> Option<Record> {
        match std::mem::replace(&mut self.entry, SlotEntry::Moving) {
            SlotEntry::Occupied(e) => {
                let (old, v) = e.remove();
                self.entry = SlotEntry::Vacant(v);
                Some(old)
            }
            other => {
                self.entry = other;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Db {
        Db::new(
            0,
            DefaultHashBuilder::default(),
            Arc::new(Clock::default()),
            Arc::default(),
            Arc::default(),
            Arc::default(),
            Arc::default(),
        )
    }

    fn put(db: &Db, k: &str, v: i64) {
        db.set(k.as_bytes(), NewValue::Int(v), None);
    }

    #[test]
    fn set_get_remove() {
        let s = db();
        assert!(!s.set(b"a", NewValue::Int(1), None));
        assert!(s.set(b"a", NewValue::Int(2), None));
        assert_eq!(s.get(b"a"), Some(Value::Integer(2)));
        assert_eq!(s.len(), 1);
        assert!(s.delete(b"a"));
        assert!(!s.delete(b"a"));
        assert!(s.is_empty());
    }

    #[test]
    fn many_keys_spread_and_clear() {
        let s = db();
        for i in 0..10_000 {
            put(&s, &format!("k{i}"), i);
        }
        assert_eq!(s.len(), 10_000);
        let used = s
            .shards
            .iter()
            .filter(|sh| !sh.lock.read().map.is_empty())
            .count();
        assert!(used > SHARDS / 2, "keys land in few shards: {used}");
        assert_eq!(s.get(b"k1234"), Some(Value::Integer(1234)));
        assert_eq!(s.clear(), 10_000);
        assert_eq!(s.get(b"k1234"), None);
    }

    fn capacity(db: &Db) -> usize {
        db.shards.iter().map(|s| s.lock.read().map.capacity()).sum()
    }

    #[test]
    fn tables_shrink_as_keys_leave() {
        let s = db();
        for i in 0..20_000 {
            put(&s, &format!("k{i}"), i);
        }
        let full = capacity(&s);
        assert!(full >= 20_000);
        for i in 0..19_000 {
            assert!(s.delete(format!("k{i}").as_bytes()));
        }
        let sparse = capacity(&s);
        assert!(
            sparse * 4 < full,
            "{full} slots, then {sparse} for 1000 keys"
        );
        assert_eq!(s.get(b"k19999"), Some(Value::Integer(19_999)));
        assert_eq!(s.len(), 1000);
        // Keys found past their deadline go by the same path.
        let past = s.now() - 1;
        for i in 19_000..19_500 {
            s.set(format!("k{i}").as_bytes(), NewValue::Int(1), Some(past));
        }
        for i in 19_000..20_000 {
            s.entry(format!("k{i}").as_bytes(), |slot| slot.remove());
        }
        assert_eq!(capacity(&s), 0, "an empty table holds no block");
    }

    #[test]
    fn scan_visits_every_key_once() {
        let s = db();
        for i in 0..5000 {
            put(&s, &format!("k{i}"), i);
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
    fn expired_keys_are_invisible_then_swept() {
        let s = db();
        let now = s.now();
        s.set(b"gone", NewValue::Str(b"x"), Some(now - 1));
        s.set(b"later", NewValue::Str(b"y"), Some(now + 60_000));
        put(&s, "plain", 1);
        assert_eq!(s.len(), 2, "DBSIZE never counts an expired key");
        assert_eq!(s.volatile(), 2, "nothing removed yet");
        let mut removed = Vec::new();
        let n: usize = (0..SHARDS)
            .map(|i| s.expire_shard(i, |k| removed.push(k.to_vec())))
            .sum();
        assert_eq!((n, removed), (1, vec![b"gone".to_vec()]));
        assert_eq!(s.volatile(), 1);
        assert_eq!(s.expired.load(Ordering::Relaxed), 1);
        assert!(s.contains(b"later"));
        assert_eq!(s.get(b"gone"), None);
    }

    #[test]
    fn reading_an_expired_key_removes_it() {
        let s = db();
        let now = s.now();
        s.set(b"a", NewValue::Str(b"x"), Some(now - 1));
        s.set(b"b", NewValue::Str(b"x"), Some(now - 1));
        assert_eq!(s.get(b"a"), None);
        assert_eq!((s.volatile(), s.expired.load(Ordering::Relaxed)), (1, 1));
        assert_eq!(s.get_many(&[b"b", b"b"], |v| v.is_none()), [true, true]);
        assert_eq!((s.volatile(), s.expired.load(Ordering::Relaxed)), (0, 2));
    }

    #[test]
    fn a_write_removes_the_expired_key_it_finds() {
        let s = db();
        let now = s.now();
        s.set(b"k", NewValue::Int(5), Some(now - 1));
        let seen = s.entry(b"k", |slot| slot.exists());
        assert!(!seen, "the write sees no key");
        assert_eq!(s.volatile(), 0);
        assert_eq!(s.expired.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn slot_counts_deadlines_added_and_removed() {
        let s = db();
        put(&s, "k", 1);
        s.entry(b"k", |slot| {
            slot.get_mut().unwrap().set_deadline(Some(u64::MAX - 1))
        });
        assert_eq!(s.volatile(), 1);
        s.entry(b"k", |slot| slot.get_mut().unwrap().set_deadline(None));
        assert_eq!(s.volatile(), 0);
        s.set(b"k", NewValue::Int(1), Some(u64::MAX - 1));
        assert_eq!(s.volatile(), 1);
        assert!(s.delete(b"k"));
        assert_eq!(s.volatile(), 0);
    }

    #[test]
    fn a_walk_by_shard_knows_when_a_write_spanning_shards_came_meanwhile() {
        let d = db();
        for i in 0..100 {
            put(&d, &format!("k{i}"), i);
        }
        let mut seen = 0;
        assert!(d.for_each_key_by_shard(|_| seen += 1), "nothing moved");
        assert_eq!(seen, 100);
        let mut first = true;
        let whole = d.for_each_key_by_shard(|_| {
            if std::mem::take(&mut first) {
                d.moves.counted();
            }
        });
        assert!(!whole, "a RENAME landed during the walk");
    }

    #[test]
    fn loading_freezes_the_clock() {
        let clock = Arc::new(Clock::default());
        let s = Db::new(
            0,
            DefaultHashBuilder::default(),
            Arc::clone(&clock),
            Arc::default(),
            Arc::default(),
            Arc::default(),
            Arc::default(),
        );
        clock.freeze(true);
        s.set(b"k", NewValue::Int(1), Some(1));
        assert!(s.contains(b"k"), "nothing expires while loading");
        clock.freeze(false);
        assert!(!s.contains(b"k"));
    }
}
