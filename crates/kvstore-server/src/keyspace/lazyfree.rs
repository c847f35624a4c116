//! Freeing large values off the request path (`UNLINK`, `FLUSHDB ASYNC`).
//!
//! Dropping a container with a million elements takes milliseconds; the
//! client that asked for `UNLINK` should not wait for it, nor anyone whose
//! request queues behind it. Such values are handed to one background
//! thread per keyspace, started on first use; small ones are cheaper to
//! free on the spot than to hand over, as in Redis (`LAZYFREE_THRESHOLD`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use super::db::Table;
use super::record::Record;

/// Values costing less than this (see [`Record::weight`]) are freed at once.
pub const THRESHOLD: usize = 64 * 1024;

/// What the background thread frees.
pub enum Garbage {
    Records(Vec<Record>),
    Tables(Vec<Table>),
}

impl Garbage {
    /// Objects in it, as Redis counts lazily freed ones (keys, for tables).
    fn objects(&self) -> u64 {
        match self {
            Garbage::Records(r) => r.len() as u64,
            Garbage::Tables(t) => t.iter().map(|t| t.map.len() as u64).sum(),
        }
    }
}

/// Garbage and the objects it counts for.
type Parcel = (u64, Garbage);

#[derive(Default)]
pub struct LazyFree {
    tx: OnceLock<Option<Mutex<Sender<Parcel>>>>,
    counts: Arc<Counts>,
}

/// INFO's `lazyfree_pending_objects` and `lazyfreed_objects`.
#[derive(Default)]
struct Counts {
    pending: AtomicU64,
    freed: AtomicU64,
}

impl LazyFree {
    fn sender(&self) -> Option<&Mutex<Sender<Parcel>>> {
        self.tx
            .get_or_init(|| {
                let (tx, rx) = channel::<Parcel>();
                let counts = Arc::clone(&self.counts);
                // The thread ends when the keyspace (the sender) is dropped.
                let spawned =
                    std::thread::Builder::new()
                        .name("lazy-free".into())
                        .spawn(move || {
                            for (n, g) in rx {
                                drop(g);
                                counts.pending.fetch_sub(n, Ordering::Relaxed);
                                counts.freed.fetch_add(n, Ordering::Relaxed);
                            }
                        });
                spawned.ok().map(|_| Mutex::new(tx))
            })
            .as_ref()
    }

    /// Frees `g` on the background thread, or here if it cannot be handed
    /// over (the thread could not start).
    pub fn free(&self, g: Garbage) {
        match self.sender() {
            Some(tx) => {
                let n = g.objects();
                self.counts.pending.fetch_add(n, Ordering::Relaxed);
                if let Err(returned) = tx.lock().send((n, g)) {
                    self.counts.pending.fetch_sub(n, Ordering::Relaxed);
                    drop(returned.0);
                }
            }
            None => drop(g),
        }
    }

    /// Objects handed over and not freed yet, and freed so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.pending.load(Ordering::Relaxed),
            self.counts.freed.load(Ordering::Relaxed),
        )
    }

    /// `CONFIG RESETSTAT`.
    pub fn reset_stats(&self) {
        self.counts.freed.store(0, Ordering::Relaxed);
    }

    /// Frees `records` in the background if they are worth it.
    pub fn free_records(&self, records: Vec<Record>) {
        let weight: usize = records.iter().map(Record::weight).sum();
        if weight >= THRESHOLD {
            self.free(Garbage::Records(records));
        }
    }
}
