//! Counters bumped on the request path (keyspace hits and misses, bytes
//! read and written), split into one cache line per thread slot so that
//! the worker threads never write the same line: a bump is an uncontended
//! relaxed add, and `INFO` sums the slots.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Slots per counter; threads past this many share slots (still exact,
/// just occasionally contended).
const SLOTS: usize = 16;

/// Each thread's slot, handed out in turn at its first bump.
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

#[inline]
fn slot() -> usize {
    SLOT.try_with(|s| {
        let mut i = s.get();
        if i == usize::MAX {
            i = NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % SLOTS;
            s.set(i);
        }
        i
    })
    .unwrap_or(0)
}

/// `N` counters that go together (bumped by the same code), sharing each
/// thread's line.
#[repr(align(64))]
struct Line<const N: usize>([AtomicU64; N]);

impl<const N: usize> Default for Line<N> {
    fn default() -> Self {
        Line(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

pub struct Striped<const N: usize> {
    lines: Box<[Line<N>]>,
}

impl<const N: usize> Default for Striped<N> {
    fn default() -> Self {
        Striped {
            lines: (0..SLOTS).map(|_| Line::default()).collect(),
        }
    }
}

impl<const N: usize> std::fmt::Debug for Striped<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries((0..N).map(|i| self.sum(i))).finish()
    }
}

impl<const N: usize> Striped<N> {
    /// Adds `n` to counter `which`.
    #[inline]
    pub fn add(&self, which: usize, n: u64) {
        if let Some(c) = self.lines[slot()].0.get(which) {
            c.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Counter `which`, over all threads.
    pub fn sum(&self, which: usize) -> u64 {
        self.lines
            .iter()
            .filter_map(|l| l.0.get(which))
            .map(|c| c.load(Ordering::Relaxed))
            .fold(0u64, u64::wrapping_add)
    }

    /// `CONFIG RESETSTAT`.
    pub fn reset(&self) {
        for l in self.lines.iter() {
            for c in &l.0 {
                c.store(0, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_over_threads() {
        let s: std::sync::Arc<Striped<2>> = Default::default();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let s = std::sync::Arc::clone(&s);
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        s.add(0, 1);
                        s.add(1, 2);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!((s.sum(0), s.sum(1)), (4000, 8000));
        s.reset();
        assert_eq!(s.sum(0), 0);
    }
}
