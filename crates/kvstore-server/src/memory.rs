//! The allocator, and what it reports for `INFO memory`.
//!
//! mimalloc is the global allocator for every program that links the server
//! (the binary and the tests alike), so the figures below describe the real
//! heap. See BENCHMARKS.md for why mimalloc.
//!
//! `used_memory` is what live allocations take, counted as they are made
//! and freed (the allocator's usable size of each block, as Redis counts
//! its own), plus the pages of memory-mapped strings. `maxmemory` decides
//! on it, so it must fall the moment a key is freed: the allocator's
//! committed figure lags, since mimalloc keeps freed pages for reuse.
//!
//! Each thread keeps its running difference in a thread-local cell and
//! adds it to the shared total only once it passes [`FLUSH_AT`] either way,
//! so the count costs one shared atomic operation per 64 KiB allocated,
//! not one per allocation; the total is off by at most that per thread.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// mimalloc, with each block's size counted.
struct Counting;

/// Bytes in live blocks, less what threads have not flushed yet.
static TOTAL: AtomicIsize = AtomicIsize::new(0);
/// The highest [`TOTAL`] has been (`used_memory_peak`).
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// A thread flushes its difference once it is this large either way.
const FLUSH_AT: isize = 64 * 1024;

thread_local! {
    // No destructor and a constant start: a plain thread-local slot, which
    // the allocator may use without allocating.
    static LOCAL: Cell<isize> = const { Cell::new(0) };
}

#[inline]
fn count(delta: isize) {
    let flushed = LOCAL.try_with(|c| {
        let d = c.get() + delta;
        if d.abs() < FLUSH_AT {
            c.set(d);
            None
        } else {
            c.set(0);
            Some(d)
        }
    });
    let to_total = match flushed {
        Ok(None) => return,
        Ok(Some(d)) => d,
        // The thread is going away: straight to the total.
        Err(_) => delta,
    };
    let now = TOTAL.fetch_add(to_total, Ordering::Relaxed) + to_total;
    if to_total > 0 {
        PEAK.fetch_max(now.max(0) as usize, Ordering::Relaxed);
    }
}

#[inline]
fn usable(ptr: *mut u8) -> isize {
    // SAFETY: `ptr` is a live block mimalloc handed out (or null, which
    // mi_usable_size accepts and answers 0 for).
    unsafe { libmimalloc_sys::mi_usable_size(ptr as *const _) as isize }
}

// SAFETY: every call goes to mimalloc's own GlobalAlloc unchanged; the
// counting only reads the blocks' sizes.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { mimalloc::MiMalloc.alloc(layout) };
        count(usable(p));
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) };
        count(usable(p));
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-usable(ptr));
        // SAFETY: the caller's contract, passed on.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let before = usable(ptr);
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(usable(p) - before);
        }
        p
    }
}

/// Bytes that live data and buffers take now (`used_memory`): blocks in
/// use, this thread's unflushed difference included, and mapped strings.
pub fn used() -> usize {
    let local = LOCAL.try_with(Cell::get).unwrap_or(0);
    let heap = (TOTAL.load(Ordering::Relaxed) + local).max(0) as usize;
    heap + crate::keyspace::strbuf::mapped()
}

/// Memory figures in bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryInfo {
    /// See [`used`]: what `INFO` calls `used_memory`.
    pub used: usize,
    pub peak_used: usize,
    /// Resident set size of the whole process.
    pub rss: usize,
    pub peak_rss: usize,
    /// What the allocator has committed from the system for its heap.
    pub committed: usize,
    /// CPU time the process has used, in milliseconds.
    pub user_ms: usize,
    pub system_ms: usize,
}

pub fn info() -> MemoryInfo {
    let (mut elapsed, mut user, mut system) = (0usize, 0usize, 0usize);
    let (mut rss, mut peak_rss, mut commit, mut peak_commit, mut faults) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    // SAFETY: every pointer is to a live, writable local usize, which is
    // all mi_process_info writes through.
    unsafe {
        libmimalloc_sys::mi_process_info(
            &mut elapsed,
            &mut user,
            &mut system,
            &mut rss,
            &mut peak_rss,
            &mut commit,
            &mut peak_commit,
            &mut faults,
        );
    }
    let _ = peak_commit;
    let used = used();
    MemoryInfo {
        used,
        peak_used: PEAK.load(Ordering::Relaxed).max(used),
        rss,
        peak_rss,
        committed: commit,
        user_ms: user,
        system_ms: system,
    }
}

/// Asks the allocator to give memory freed by this thread back to the
/// system now, rather than when it next gets round to it: called after
/// freeing many values at once (an expiry pass, a flush), so that resident
/// memory follows the data.
pub fn release() {
    // SAFETY: mi_collect only walks the calling thread's heap; it has no
    // preconditions.
    unsafe { libmimalloc_sys::mi_collect(false) };
}

#[cfg(test)]
mod tests {
    #[test]
    fn reports_growth() {
        let before = super::info();
        let block = vec![1u8; 64 << 20];
        let after = super::info();
        assert!(
            after.used >= before.used + (32 << 20),
            "{before:?} -> {after:?}"
        );
        assert!(after.rss > 0);
        drop(block);
    }
}
