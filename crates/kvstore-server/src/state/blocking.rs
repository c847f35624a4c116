//! Clients blocked on keys (BLPOP, BZPOPMIN...): who waits for which key,
//! in arrival order, and waking them.
//!
//! A blocked client holds no worker and no lock: its connection task waits
//! on its [`Waiter`]. A write to a key wakes the first waiter of that key
//! that is not awake already; it retries its command, which either takes
//! an element (at one instant, under the shard locks, so each element goes
//! to exactly one client) or finds none and waits again, keeping its place.
//! A waiter that got its element wakes the next one before it leaves, in
//! case more is there. With nobody blocked a write pays one atomic load.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

use hashbrown::HashMap;
use parking_lot::Mutex;
use tokio::sync::Notify;

/// One blocked client.
#[derive(Debug, Default)]
pub struct Waiter {
    pub notify: Notify,
    /// Set when woken, cleared when it retries: a second write does not
    /// wake it again but the one behind it.
    awake: AtomicBool,
    /// Set by `CLIENT UNBLOCK`: the client stops waiting at its next look.
    unblocked: AtomicU8,
}

/// Why `CLIENT UNBLOCK` ended a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unblock {
    /// Answer as if the timeout had passed.
    Timeout,
    /// Answer `-UNBLOCKED`.
    Error,
}

impl Waiter {
    /// About to retry: later writes may wake it again.
    pub fn retrying(&self) {
        self.awake.store(false, Ordering::Release);
    }

    /// Ends the wait from another connection (`CLIENT UNBLOCK`).
    pub fn unblock(&self, how: Unblock) {
        let code = match how {
            Unblock::Timeout => 1,
            Unblock::Error => 2,
        };
        self.unblocked.store(code, Ordering::Release);
        self.notify.notify_one();
    }

    /// Whether `CLIENT UNBLOCK` ended the wait, and how.
    pub fn unblocked(&self) -> Option<Unblock> {
        match self.unblocked.load(Ordering::Acquire) {
            1 => Some(Unblock::Timeout),
            2 => Some(Unblock::Error),
            _ => None,
        }
    }

    /// True if a write woke it since it last retried: a waiter leaving in
    /// that state must pass the wake-up on, or the element that write
    /// brought would wait for the next write.
    pub fn woken(&self) -> bool {
        self.awake.load(Ordering::Acquire)
    }
}

type Queue = VecDeque<Arc<Waiter>>;

#[derive(Default)]
pub struct Blocked {
    queues: Mutex<HashMap<(usize, Vec<u8>), Queue>>,
    count: AtomicUsize,
}

impl Blocked {
    /// True if any client is blocked.
    #[inline]
    pub fn active(&self) -> bool {
        self.count.load(Ordering::Acquire) > 0
    }

    /// How many clients are blocked (INFO's `blocked_clients`).
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Queues `w` behind the clients already waiting on each key.
    pub fn register(&self, keys: &[(usize, Vec<u8>)], w: &Arc<Waiter>) {
        let mut queues = self.queues.lock();
        for k in keys {
            queues
                .entry(k.clone())
                .or_default()
                .push_back(Arc::clone(w));
        }
        self.count.fetch_add(1, Ordering::AcqRel);
    }

    pub fn unregister(&self, keys: &[(usize, Vec<u8>)], w: &Arc<Waiter>) {
        let mut queues = self.queues.lock();
        for k in keys {
            if let Some(q) = queues.get_mut(k) {
                q.retain(|x| !Arc::ptr_eq(x, w));
                if q.is_empty() {
                    queues.remove(k);
                }
            }
        }
        self.count.fetch_sub(1, Ordering::AcqRel);
    }

    /// A write changed `key` in database `db` (`None`: any database):
    /// wakes the first of its waiters not already awake.
    pub fn signal(&self, db: Option<usize>, key: &[u8]) {
        if !self.active() {
            return;
        }
        let queues = self.queues.lock();
        let wake = |q: &Queue| {
            if let Some(w) = q.iter().find(|w| !w.awake.swap(true, Ordering::AcqRel)) {
                w.notify.notify_one();
            }
        };
        match db {
            Some(db) => {
                if let Some(q) = queues.get(&(db, key.to_vec())) {
                    wake(q);
                }
            }
            None => queues
                .iter()
                .filter(|((_, k), _)| k.as_slice() == key)
                .for_each(|(_, q)| wake(q)),
        }
    }
}

/// What a blocking command left for its connection to wait on.
#[derive(Debug, Clone)]
pub struct BlockRequest {
    /// The command, run again on each wake-up.
    pub args: Vec<kvstore_protocol::Value>,
    pub keys: Vec<(usize, Vec<u8>)>,
    /// `None`: forever.
    pub timeout: Option<std::time::Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_waiters_first_in_first_out() {
        let b = Blocked::default();
        let (x, y) = (Arc::new(Waiter::default()), Arc::new(Waiter::default()));
        let k = vec![(0, b"q".to_vec())];
        b.register(&k, &x);
        b.register(&k, &y);
        b.signal(Some(0), b"q");
        assert!(x.awake.load(Ordering::Acquire) && !y.awake.load(Ordering::Acquire));
        b.signal(Some(0), b"q");
        assert!(
            y.awake.load(Ordering::Acquire),
            "the second write wakes the next"
        );
        b.unregister(&k, &x);
        b.unregister(&k, &y);
        assert!(!b.active());
    }
}
