//! The exclusive mode: one client runs alone (a transaction's `EXEC`).
//!
//! Every command holds the gate shared while it runs; `EXEC` holds it
//! exclusively, so no other command runs between the transaction's first
//! and last, and no reader sees part of it. The gate is split into a few
//! slots, each thread taking the one its thread-local index picks, so that
//! taking it shared rarely touches a cache line another core writes: a
//! single shared lock would bounce between the cores on every command.
//! Exclusive takes every slot, in order.
//!
//! A thread that already holds the gate (shared or exclusive) passes through
//! it again for free, so a command that reaches code which takes it too (a
//! snapshot taken by SAVE, a command run by EXEC) cannot deadlock on itself.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

const SLOTS: usize = 4;

/// How often a waiter that may give up looks again.
const POLL: std::time::Duration = std::time::Duration::from_millis(10);

/// One slot on a cache line of its own.
#[repr(align(128))]
#[derive(Default)]
struct Slot(RwLock<()>);

#[derive(Default)]
pub struct Gate {
    slots: [Slot; SLOTS],
}

thread_local! {
    /// This thread's slot.
    static SLOT: usize = {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed) % SLOTS
    };
    /// How deep this thread is inside the gate (shared or exclusive).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// The gate held shared (or passed through); released on drop.
pub struct Shared<'a> {
    _guard: Option<RwLockReadGuard<'a, ()>>,
}

/// The gate held exclusively (every slot; none when passed through);
/// released on drop. A fixed array: a script takes this for every call.
pub struct Exclusive<'a> {
    _guards: [Option<RwLockWriteGuard<'a, ()>>; SLOTS],
}

fn enter() -> bool {
    DEPTH.with(|d| {
        let outer = d.get() == 0;
        d.set(d.get() + 1);
        outer
    })
}

fn leave() {
    DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
}

impl Gate {
    /// Holds the gate shared for as long as the result lives.
    pub fn shared(&self) -> Shared<'_> {
        let outer = enter();
        let guard = outer.then(|| self.slots[SLOT.with(|s| *s)].0.read());
        Shared { _guard: guard }
    }

    /// Like [`Gate::shared`], but gives up (`None`) when `give_up` says so
    /// while it waits: a client waiting behind a script that runs too long
    /// is answered `-BUSY` rather than kept waiting. Uncontended, this is
    /// the same single lock operation as `shared`.
    pub fn shared_unless(&self, give_up: &dyn Fn() -> bool) -> Option<Shared<'_>> {
        if DEPTH.with(|d| d.get()) > 0 {
            return Some(self.shared());
        }
        let slot = &self.slots[SLOT.with(|s| *s)].0;
        let guard = match slot.try_read() {
            Some(g) => g,
            None => loop {
                if give_up() {
                    return None;
                }
                if let Some(g) = slot.try_read_for(POLL) {
                    break g;
                }
            },
        };
        enter();
        Some(Shared {
            _guard: Some(guard),
        })
    }

    /// Like [`Gate::exclusive`], giving up as [`Gate::shared_unless`] does.
    pub fn exclusive_unless(&self, give_up: &dyn Fn() -> bool) -> Option<Exclusive<'_>> {
        if DEPTH.with(|d| d.get()) > 0 {
            return Some(self.exclusive());
        }
        let mut guards: [Option<RwLockWriteGuard<'_, ()>>; SLOTS] = Default::default();
        for (s, held) in self.slots.iter().zip(guards.iter_mut()) {
            let g = loop {
                if let Some(g) = s.0.try_write_for(POLL) {
                    break g;
                }
                if give_up() {
                    return None;
                }
            };
            *held = Some(g);
        }
        enter();
        Some(Exclusive { _guards: guards })
    }

    /// Holds the gate exclusively: waits for every command in progress to
    /// finish and keeps new ones out until the result is dropped.
    pub fn exclusive(&self) -> Exclusive<'_> {
        // Called by a command, which holds its own slot shared: that slot's
        // read guard must go first, or the write below would wait on it.
        // The caller's guard is simply not re-entered here: the command
        // dispatcher releases it before calling (see `cmd::execute`).
        let outer = enter();
        let mut guards: [Option<RwLockWriteGuard<'_, ()>>; SLOTS] = Default::default();
        if outer {
            for (s, held) in self.slots.iter().zip(guards.iter_mut()) {
                *held = Some(s.0.write());
            }
        }
        Exclusive { _guards: guards }
    }
}

impl Drop for Shared<'_> {
    fn drop(&mut self) {
        leave();
    }
}

impl Drop for Exclusive<'_> {
    fn drop(&mut self) {
        leave();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn exclusive_waits_for_shared_and_shared_passes_through_itself() {
        let gate = Arc::new(Gate::default());
        let held = gate.shared();
        let again = gate.shared(); // re-entry: no deadlock
        let g = Arc::clone(&gate);
        let (tx, rx) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            let _x = g.exclusive();
            tx.send(()).ok();
        });
        assert!(
            rx.recv_timeout(Duration::from_millis(100)).is_err(),
            "exclusive got in"
        );
        drop(again);
        drop(held);
        assert!(rx.recv_timeout(Duration::from_secs(5)).is_ok());
        t.join().ok();
        let x = gate.exclusive();
        let inner = gate.shared(); // inside exclusive: passes through
        drop(inner);
        drop(x);
    }
}
