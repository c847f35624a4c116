//! WATCH: optimistic locking for transactions.
//!
//! A connection that WATCHes keys registers a flag under each of them. A
//! write to a watched key (by any client, or by a flush or SWAPDB of its
//! database) sets the flags registered under it, and EXEC then runs
//! nothing and answers null. The registry is consulted only while some key
//! is watched: with nothing watched a write pays one atomic load.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use hashbrown::HashMap;
use parking_lot::Mutex;

/// One connection's watch: set when a key it watches changes.
#[derive(Debug, Default)]
pub struct Dirty(AtomicBool);

impl Dirty {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Release);
    }
}

type Watchers = Vec<Arc<Dirty>>;

#[derive(Default)]
pub struct Watches {
    /// Keys (database, key) watched by at least one connection.
    keys: Mutex<HashMap<(usize, Vec<u8>), Watchers>>,
    /// How many (key, connection) pairs are registered: zero means no
    /// write needs to look at the registry.
    count: AtomicUsize,
}

impl Watches {
    /// True if any key is watched.
    #[inline]
    pub fn active(&self) -> bool {
        self.count.load(Ordering::Acquire) > 0
    }

    pub fn watch(&self, db: usize, key: &[u8], who: &Arc<Dirty>) {
        let mut keys = self.keys.lock();
        let list = keys.entry((db, key.to_vec())).or_default();
        if !list.iter().any(|w| Arc::ptr_eq(w, who)) {
            list.push(Arc::clone(who));
            self.count.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Removes `who` from every key it watches (`watched`).
    pub fn unwatch(&self, watched: &[(usize, Vec<u8>)], who: &Arc<Dirty>) {
        if watched.is_empty() {
            return;
        }
        let mut keys = self.keys.lock();
        for k in watched {
            if let Some(list) = keys.get_mut(k) {
                let before = list.len();
                list.retain(|w| !Arc::ptr_eq(w, who));
                self.count.fetch_sub(before - list.len(), Ordering::AcqRel);
                if list.is_empty() {
                    keys.remove(k);
                }
            }
        }
    }

    /// A write changed `key` in database `db` (`None`: in any database).
    pub fn touch(&self, db: Option<usize>, key: &[u8]) {
        if !self.active() {
            return;
        }
        let keys = self.keys.lock();
        match db {
            Some(db) => {
                if let Some(list) = keys.get(&(db, key.to_vec())) {
                    list.iter().for_each(|w| w.set());
                }
            }
            None => keys
                .iter()
                .filter(|((_, k), _)| k.as_slice() == key)
                .for_each(|(_, list)| list.iter().for_each(|w| w.set())),
        }
    }

    /// Every key of database `db` changed (FLUSHDB, SWAPDB); `None`: of
    /// every database (FLUSHALL).
    pub fn touch_db(&self, db: Option<usize>) {
        if !self.active() {
            return;
        }
        let keys = self.keys.lock();
        keys.iter()
            .filter(|((d, _), _)| db.is_none_or(|db| *d == db))
            .for_each(|(_, list)| list.iter().for_each(|w| w.set()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touches_reach_only_the_watchers_of_the_key() {
        let w = Watches::default();
        let (a, b) = (Arc::new(Dirty::default()), Arc::new(Dirty::default()));
        assert!(!w.active());
        w.watch(0, b"k", &a);
        w.watch(0, b"k", &a);
        w.watch(1, b"k", &b);
        w.touch(Some(0), b"other");
        w.touch(Some(2), b"k");
        assert!(!a.is_set() && !b.is_set());
        w.touch(Some(0), b"k");
        assert!(a.is_set() && !b.is_set());
        w.touch_db(Some(1));
        assert!(b.is_set());
        w.unwatch(&[(0, b"k".to_vec())], &a);
        w.unwatch(&[(1, b"k".to_vec())], &b);
        assert!(!w.active());
    }
}
