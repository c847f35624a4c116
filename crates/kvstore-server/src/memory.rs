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
//!
//! Freed memory goes back to the system only when mimalloc purges the
//! pages it freed, and it does that lazily, from inside a later call into
//! it, a second or more after the free: an idle server would keep the
//! memory of data it no longer holds until traffic came. So a reclaimer
//! thread ([`start_reclaimer`]) watches the live-byte count and, once it
//! has fallen well below its recent high, has the allocator purge at
//! once; it is one thread for the process, like the allocator itself. A
//! page is freed only by the thread that allocates from it, so each
//! runtime thread also tidies its own pages as it goes idle ([`on_park`]),
//! and purges them after a purge was asked for.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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
        // mimalloc's own figure on Linux is what it has committed, which
        // counts pages never touched and misses everything it did not
        // allocate (thread stacks, the binary): the kernel's is the real one.
        rss: resident().unwrap_or(rss),
        peak_rss,
        committed: commit,
        user_ms: user,
        system_ms: system,
    }
}

/// The process's resident set as the kernel counts it (`VmRSS`), from
/// `/proc/self/statm`: a read of a few dozen bytes that the kernel answers
/// from memory, as Redis reads it for `used_memory_rss`.
fn resident() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(page).ok().map(|p| pages.saturating_mul(p))
}

/// Lets the allocator tidy what this thread freed (cheap: it looks only
/// at this thread's own pages): called after freeing many values at once
/// (an expiry pass). Handing the pages back to the system is left to the
/// reclaimer, so a steady trickle of frees is not purged on every call.
pub fn release() {
    // SAFETY: mi_collect only walks the calling thread's heap; it has no
    // preconditions.
    unsafe { libmimalloc_sys::mi_collect(false) };
}

/// Hands every page the allocator holds free back to the system now:
/// `MEMORY PURGE`, and after a flush. Forced, the collection frees this
/// thread's empty pages and purges the free pages of every arena, whichever
/// thread freed them. A page that another thread still owns (one it was
/// allocating from) is that thread's to free, even once every block in
/// it has been freed elsewhere: so each runtime thread is asked to do the
/// same when it next goes idle (see [`on_park`]).
pub fn purge() {
    collect_forced();
    PURGES.fetch_add(1, Ordering::Relaxed);
}

fn collect_forced() {
    // SAFETY: as in `release`; forcing only changes how much it frees.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// Purges asked for so far: a runtime thread that has not seen the
/// latest collects on its way to idling.
static PURGES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The purge this thread last answered, and when it last tidied.
    static PARKED: Cell<(u64, Option<Instant>)> = const { Cell::new((0, None)) };
}

/// A runtime thread tidies its pages at most this often when idling: a
/// tidy takes microseconds, and a busy worker idles many thousand times a
/// second.
const TIDY_EVERY: Duration = Duration::from_millis(10);

/// For the runtime's park hook, just before a worker thread idles. If a
/// purge was asked for since it last answered one, it frees and purges
/// its own pages; otherwise, at most every [`TIDY_EVERY`], it tidies them
/// ([`release`]), which frees pages whose blocks other threads freed (a
/// table that grew on another worker, a key deleted there).
///
/// The runtime may leave a worker asleep for as long as others keep up
/// with the work (its timers wake only one), so a purge asked for later
/// may never reach it: what it tidied on its way to sleep is what stays
/// out of the purge's reach, and that is the little it freed within its
/// last few milliseconds of work.
pub fn on_park() {
    let asked = PURGES.load(Ordering::Relaxed);
    let due = PARKED.try_with(|parked| {
        let (answered, tidied) = parked.get();
        let now = Instant::now();
        if answered != asked {
            parked.set((asked, Some(now)));
            Some(true)
        } else if tidied.is_none_or(|t| now.duration_since(t) >= TIDY_EVERY) {
            parked.set((asked, Some(now)));
            Some(false)
        } else {
            None
        }
    });
    match due {
        Ok(Some(true)) => collect_forced(),
        Ok(Some(false)) => release(),
        _ => {}
    }
}

/// How often the reclaimer looks at the live-byte count.
const RECLAIM_EVERY: Duration = Duration::from_millis(200);
/// It purges once the live bytes are this far below their high since the
/// last purge, or a sixteenth of that high if more: far enough that a
/// workload which frees and allocates in step (expiry beside new writes)
/// never sets it off, while deleting a large share of the data does.
const RECLAIM_AT: usize = 4 << 20;

/// Starts the reclaimer thread (once per process; later calls do nothing).
/// It sleeps between looks and costs one atomic load per look.
pub fn start_reclaimer() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("mem-reclaim".into())
            .spawn(|| {
                let mut reclaim = Reclaim::new(used());
                loop {
                    std::thread::sleep(RECLAIM_EVERY);
                    if reclaim.look(used()) {
                        purge();
                    } else {
                        // This thread holds no pages: collecting only
                        // purges what has waited out mimalloc's delay,
                        // which otherwise waits for some thread to call in.
                        release();
                    }
                }
            });
        if let Err(e) = spawned {
            // Memory still goes back, only later: as traffic comes.
            tracing::warn!("cannot start the memory reclaimer: {e}");
        }
    });
}

/// The reclaimer's decision, apart from the thread and the allocator.
#[derive(Debug)]
struct Reclaim {
    /// The highest live-byte count seen since the last purge.
    high: usize,
}

impl Reclaim {
    fn new(now: usize) -> Reclaim {
        Reclaim { high: now }
    }

    /// Takes the live-byte count `now`; true if it is time to purge.
    fn look(&mut self, now: usize) -> bool {
        if now >= self.high {
            self.high = now;
            return false;
        }
        if self.high - now < RECLAIM_AT.max(self.high / 16) {
            return false;
        }
        self.high = now;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::{Reclaim, RECLAIM_AT};

    #[test]
    fn the_reclaimer_purges_after_a_large_fall_only() {
        const MIB: usize = 1 << 20;
        let mut r = Reclaim::new(10 * MIB);
        assert!(!r.look(200 * MIB), "growth");
        assert!(
            !r.look(200 * MIB - RECLAIM_AT),
            "a sixteenth of 200 MiB is more"
        );
        assert!(r.look(150 * MIB), "a quarter gone");
        assert!(!r.look(149 * MIB), "the high restarts from the purge");
        assert!(!r.look(151 * MIB));
        assert!(!r.look(142 * MIB), "9 MiB is under a sixteenth of 151");
        assert!(r.look(141 * MIB));
        let mut small = Reclaim::new(40 * MIB);
        assert!(small.look(40 * MIB - RECLAIM_AT), "4 MiB of 40");
        let mut tiny = Reclaim::new(MIB);
        assert!(!tiny.look(0), "a small heap emptied: not worth a purge");
    }

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
