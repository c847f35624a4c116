//! What the databases share about the cuts in progress (see [`super::cut`]):
//! which kinds are running, which shards each has read, and the copies that
//! writers keep for them. Writers reach it from `Db::write_shard`; it knows
//! nothing of tables beyond their records.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};

use hashbrown::HashTable;
use parking_lot::Mutex;

use super::record::Record;

/// The kinds of cut that may be in progress at once, one of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `SAVE`, `BGSAVE`, the save schedule and the final snapshot.
    Snapshot = 0,
    /// The base file of an append-only-file rewrite.
    Rewrite = 1,
}

const KINDS: usize = 2;

/// Per shard: the epoch of the last cut of each kind that read it.
#[derive(Default)]
pub(super) struct Marks([AtomicU32; KINDS]);

impl Marks {
    /// Marks the shard read by the cut of kind `k` numbered `epoch`;
    /// returns the epoch it was marked with before.
    pub(super) fn mark(&self, k: usize, epoch: u32) -> u32 {
        self.0[k].swap(epoch, Ordering::Relaxed)
    }
}

/// What every database shares about the cuts in progress.
#[derive(Default)]
pub struct Cuts {
    /// Bit `k` is set while a cut of kind `k` is in progress.
    pub(super) active: AtomicU8,
    /// Numbers cuts; never 0, so a fresh shard counts as unread.
    pub(super) next_epoch: AtomicU32,
    pub(super) slots: [Slot; KINDS],
    /// About what the kept copies take: left out of the memory that
    /// eviction weighs, as Redis leaves its fork's copied pages out.
    kept_bytes: AtomicUsize,
}

#[derive(Default)]
pub(super) struct Slot {
    pub(super) epoch: AtomicU32,
    /// The clock at the cut: records past their deadline then are left out.
    pub(super) now: AtomicU64,
    /// Shards copied by writers before the walk reached them.
    pub(super) kept: Mutex<Vec<Kept>>,
}

/// A shard's live records as of the cut, in database `db`.
pub(super) struct Kept {
    pub(super) db: usize,
    pub(super) records: Vec<Record>,
    /// About what `records` take, counted in [`Cuts::kept_bytes`].
    bytes: usize,
}

impl Kept {
    fn new(db: usize, records: Vec<Record>) -> Kept {
        // Sampled, so that a large container costs little to weigh.
        let bytes = records.iter().map(|r| r.memory(8)).sum::<usize>()
            + records.capacity() * std::mem::size_of::<Record>();
        Kept { db, records, bytes }
    }
}

impl Cuts {
    /// Called by a writer that has just write-locked a shard (of database
    /// `db`, marked by `marks`, holding `map`), before it changes anything:
    /// keeps the shard's records for every cut in progress that has not
    /// read it yet.
    #[inline]
    pub(super) fn before_write(&self, db: usize, marks: &Marks, map: &HashTable<Record>) {
        let active = self.active.load(Ordering::Relaxed);
        if active != 0 {
            self.keep(db, marks, map, active);
        }
    }

    /// About how much memory copies kept for cuts hold now.
    pub fn kept_bytes(&self) -> usize {
        self.kept_bytes.load(Ordering::Relaxed)
    }

    pub(super) fn push(&self, k: usize, kept: Kept) {
        self.kept_bytes.fetch_add(kept.bytes, Ordering::Relaxed);
        self.slots[k].kept.lock().push(kept);
    }

    pub(super) fn forget(&self, kept: &[Kept]) {
        let bytes: usize = kept.iter().map(|k| k.bytes).sum();
        self.kept_bytes.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// True while some cut is in progress.
    pub(super) fn any(&self) -> bool {
        self.active.load(Ordering::Relaxed) != 0
    }

    #[cold]
    fn keep(&self, db: usize, marks: &Marks, map: &HashTable<Record>, active: u8) {
        for (k, slot) in self.slots.iter().enumerate() {
            if let Some(now) = self.claim(k, slot, marks, active) {
                let records = live(map, now);
                if !records.is_empty() {
                    self.push(k, Kept::new(db, records));
                }
            }
        }
    }

    /// Like [`Cuts::before_write`] for a writer that is about to empty the
    /// shard (a flush): hands over `map` itself instead of a copy to the
    /// one cut that needs it, if there is only one. Returns the map if no
    /// cut took it, for the caller to free.
    pub(super) fn before_take(
        &self,
        db: usize,
        marks: &Marks,
        map: HashTable<Record>,
    ) -> Option<HashTable<Record>> {
        let active = self.active.load(Ordering::Relaxed);
        if active == 0 {
            return Some(map);
        }
        let wanting: Vec<(usize, u64)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(k, slot)| Some((k, self.claim(k, slot, marks, active)?)))
            .collect();
        match wanting.as_slice() {
            [] => Some(map),
            [(k, now)] => {
                let records: Vec<Record> = map.into_iter().filter(|r| !r.expired(*now)).collect();
                if !records.is_empty() {
                    self.push(*k, Kept::new(db, records));
                }
                None
            }
            _ => {
                for &(k, now) in &wanting {
                    let records = live(&map, now);
                    if !records.is_empty() {
                        self.push(k, Kept::new(db, records));
                    }
                }
                Some(map)
            }
        }
    }

    /// Marks `shard` read for the cut of kind `k` if it is in progress and
    /// has not read it; then the cut's instant, to filter by.
    fn claim(&self, k: usize, slot: &Slot, marks: &Marks, active: u8) -> Option<u64> {
        if active & (1 << k) == 0 {
            return None;
        }
        let epoch = slot.epoch.load(Ordering::Relaxed);
        if marks.mark(k, epoch) == epoch {
            return None;
        }
        Some(slot.now.load(Ordering::Relaxed))
    }
}

fn live(map: &HashTable<Record>, now: u64) -> Vec<Record> {
    map.iter().filter(|r| !r.expired(now)).cloned().collect()
}
