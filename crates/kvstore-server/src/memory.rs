//! The allocator, and what it reports for `INFO memory`.
//!
//! mimalloc is the global allocator for every program that links the server
//! (the binary and the tests alike), so the figures below describe the real
//! heap. See BENCHMARKS.md for why mimalloc.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Memory figures in bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryInfo {
    /// Memory the allocator has committed: what `INFO` calls `used_memory`.
    pub used: usize,
    pub peak_used: usize,
    /// Resident set size of the whole process.
    pub rss: usize,
    pub peak_rss: usize,
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
    MemoryInfo {
        used: commit,
        peak_used: peak_commit,
        rss,
        peak_rss,
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
