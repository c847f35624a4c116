//! Freeing large values off the request path (`UNLINK`, `FLUSHDB ASYNC`).
//!
//! Dropping a container with a million elements takes milliseconds; the
//! client that asked for `UNLINK` should not wait for it, nor anyone whose
//! request queues behind it. Such values are handed to one background
//! thread per keyspace, started on first use; small ones are cheaper to
//! free on the spot than to hand over, as in Redis (`LAZYFREE_THRESHOLD`).

use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;

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

#[derive(Default)]
pub struct LazyFree {
    tx: OnceLock<Option<Mutex<Sender<Garbage>>>>,
}

impl LazyFree {
    fn sender(&self) -> Option<&Mutex<Sender<Garbage>>> {
        self.tx
            .get_or_init(|| {
                let (tx, rx) = channel::<Garbage>();
                // The thread ends when the keyspace (the sender) is dropped.
                let spawned = std::thread::Builder::new()
                    .name("lazy-free".into())
                    .spawn(move || rx.into_iter().for_each(drop));
                spawned.ok().map(|_| Mutex::new(tx))
            })
            .as_ref()
    }

    /// Frees `g` on the background thread, or here if it cannot be handed
    /// over (the thread could not start).
    pub fn free(&self, g: Garbage) {
        match self.sender() {
            Some(tx) => {
                if let Err(returned) = tx.lock().send(g) {
                    drop(returned.0);
                }
            }
            None => drop(g),
        }
    }

    /// Frees `records` in the background if they are worth it.
    pub fn free_records(&self, records: Vec<Record>) {
        let weight: usize = records.iter().map(Record::weight).sum();
        if weight >= THRESHOLD {
            self.free(Garbage::Records(records));
        }
    }
}
