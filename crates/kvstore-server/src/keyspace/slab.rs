//! Small record blocks, sized to the byte.
//!
//! mimalloc rounds a block of up to 128 bytes up to a multiple of 16, so
//! the record of a 16-byte key holding a 16-byte string, 35 bytes, took
//! 48: for small keys, the rounding was a fifth of the store. Blocks of
//! [`MIN`] to [`MAX`] bytes are therefore carved from 4 KiB slabs, each
//! holding blocks of one length only, packed end to end (a record is read
//! byte by byte, so it needs no alignment). Shorter blocks fit mimalloc's
//! 8-byte class exactly; longer ones waste a smaller share in its classes.
//!
//! A slab is one allocation from the global allocator (so `used_memory`
//! counts it whole, and its pages go back to the system the way all others
//! do), aligned to its size, so that the slab of a block is its address
//! with the low bits cleared. Its header keeps a list of its free blocks
//! (each free block holds the offset of the next) and how many are in use.
//! A slab belongs to one pool, for its block length and one of
//! [`STRIPES`] stripes: a thread allocates from its own stripe's pool, so
//! threads rarely meet on a lock, and frees into the pool the block came
//! from. A pool lists its slabs that have a free block; a slab whose last
//! block is freed goes back to the allocator at once.
//!
//! Every header field is read and written under its pool's lock, but for
//! `pool`, which is set before the slab is first listed and never changes.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ptr::{self, null_mut};

use parking_lot::{const_mutex, Mutex};

/// A slab's size and alignment.
const SLAB: usize = 4096;
/// The shortest block kept in slabs.
pub const MIN: usize = 9;
/// The longest block kept in slabs.
pub const MAX: usize = 128;
const LENGTHS: usize = MAX - MIN + 1;
/// Pools per block length.
const STRIPES: usize = 8;

/// The start of each slab.
#[repr(C)]
struct Header {
    /// The neighbours in the pool's list of slabs with a free block.
    prev: *mut Header,
    next: *mut Header,
    /// The owning pool's index in [`POOLS`].
    pool: u16,
    /// The blocks' length.
    size: u16,
    /// Blocks handed out.
    used: u16,
    /// Offset of the first free block; 0 (the header's place) for none.
    free: u16,
    /// Offset of the first block never handed out.
    fresh: u16,
    /// Whether the slab is in its pool's list.
    listed: bool,
}

/// Where the first block of a slab begins.
const FIRST: usize = std::mem::size_of::<Header>();

/// Slabs of one block length, for one stripe of threads.
struct Pool {
    /// Slabs with at least one free block.
    head: *mut Header,
}

// SAFETY: the slabs a pool points to are reached only under its lock.
unsafe impl Send for Pool {}

/// A pool on a cache line of its own, so that two threads working in
/// neighbouring pools do not contend for the line.
#[repr(align(64))]
struct Padded(Mutex<Pool>);

static POOLS: [Padded; LENGTHS * STRIPES] =
    [const { Padded(const_mutex(Pool { head: null_mut() })) }; LENGTHS * STRIPES];

thread_local! {
    /// This thread's stripe, assigned round robin.
    static STRIPE: usize = {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES
    };
}

/// A slab's layout (checked when the program is built).
const LAYOUT: Layout = match Layout::from_size_align(SLAB, SLAB) {
    Ok(layout) => layout,
    Err(_) => panic!("a slab's size must be a power of two"),
};

/// True if a block of `len` bytes lives in a slab.
#[inline]
pub fn fits(len: usize) -> bool {
    (MIN..=MAX).contains(&len)
}

/// Blocks of `len` bytes in one slab.
const fn per_slab(len: usize) -> usize {
    (SLAB - FIRST) / len
}

/// What a block of `len` bytes costs in its slab, the slab's header and
/// unused tail included, for `MEMORY USAGE`.
pub fn footprint(len: usize) -> usize {
    SLAB.div_ceil(per_slab(len))
}

/// A new block holding a copy of `bytes` (whose length [`fits`]).
pub fn alloc_copy(bytes: &[u8]) -> *mut u8 {
    let size = bytes.len();
    debug_assert!(fits(size));
    let stripe = STRIPE.try_with(|s| *s).unwrap_or(0);
    let index = (size - MIN) * STRIPES + stripe;
    let block = {
        let mut pool = POOLS[index].0.lock();
        if pool.head.is_null() {
            let slab = new_slab(size, index);
            // SAFETY: a new slab, not yet in any list.
            unsafe { push(&mut pool, slab) };
        }
        let slab = pool.head;
        // SAFETY: a listed slab is live and has a free block; its fields
        // are this pool's, whose lock is held.
        unsafe {
            let offset = if (*slab).free != 0 {
                let at = usize::from((*slab).free);
                (*slab).free = ptr::read_unaligned(slab.cast::<u8>().add(at).cast::<u16>());
                at
            } else {
                let at = usize::from((*slab).fresh);
                (*slab).fresh += size as u16;
                at
            };
            (*slab).used += 1;
            if (*slab).free == 0 && usize::from((*slab).fresh) + size > SLAB {
                unlink(&mut pool, slab);
            }
            slab.cast::<u8>().add(offset)
        }
    };
    // SAFETY: the block is `size` bytes inside the slab, handed to the
    // caller alone.
    unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), block, size) };
    block
}

/// Frees a block of `len` bytes.
///
/// # Safety
/// `block` must have come from [`alloc_copy`] of `len` bytes, and must not
/// be used after this.
pub unsafe fn free(block: *mut u8, len: usize) {
    debug_assert!(fits(len));
    let slab = block.map_addr(|a| a & !(SLAB - 1)).cast::<Header>();
    // SAFETY: the slab is live while one of its blocks is; `pool` never
    // changes once the slab was first handed out from.
    let index = usize::from(unsafe { (*slab).pool });
    let emptied = {
        let mut pool = POOLS[index].0.lock();
        // SAFETY: the fields are this pool's, whose lock is held; the
        // block is `len` >= 2 bytes, free from here on.
        unsafe {
            let offset = block.offset_from(slab.cast::<u8>()) as u16;
            ptr::write_unaligned(block.cast::<u16>(), (*slab).free);
            (*slab).free = offset;
            (*slab).used -= 1;
            if (*slab).used == 0 {
                if (*slab).listed {
                    unlink(&mut pool, slab);
                }
                true
            } else {
                if !(*slab).listed {
                    push(&mut pool, slab);
                }
                false
            }
        }
    };
    if emptied {
        // SAFETY: no block of the slab is in use and no list holds it.
        unsafe { dealloc(slab.cast::<u8>(), LAYOUT) };
    }
}

fn new_slab(size: usize, pool: usize) -> *mut Header {
    // SAFETY: the layout's size is not zero.
    let slab = unsafe { alloc(LAYOUT) }.cast::<Header>();
    if slab.is_null() {
        handle_alloc_error(LAYOUT);
    }
    // SAFETY: a fresh allocation of SLAB bytes, aligned for a Header.
    unsafe {
        slab.write(Header {
            prev: null_mut(),
            next: null_mut(),
            pool: pool as u16,
            size: size as u16,
            used: 0,
            free: 0,
            fresh: FIRST as u16,
            listed: false,
        });
    }
    slab
}

/// Puts `slab` at the head of the pool's list.
///
/// # Safety
/// The slab is the pool's, live, and not listed; the pool's lock is held.
unsafe fn push(pool: &mut Pool, slab: *mut Header) {
    // SAFETY: as the caller promises; the old head is the pool's too.
    unsafe {
        (*slab).prev = null_mut();
        (*slab).next = pool.head;
        if !pool.head.is_null() {
            (*pool.head).prev = slab;
        }
        (*slab).listed = true;
    }
    pool.head = slab;
}

/// Takes `slab` out of the pool's list.
///
/// # Safety
/// The slab is the pool's, live, and listed; the pool's lock is held.
unsafe fn unlink(pool: &mut Pool, slab: *mut Header) {
    // SAFETY: as the caller promises; its neighbours are the pool's too.
    unsafe {
        let (prev, next) = ((*slab).prev, (*slab).next);
        if prev.is_null() {
            pool.head = next;
        } else {
            (*prev).next = next;
        }
        if !next.is_null() {
            (*next).prev = prev;
        }
        (*slab).prev = null_mut();
        (*slab).next = null_mut();
        (*slab).listed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of every length, freed in an order that empties slabs in the
    /// middle of lists and refills ones that were full: every block keeps
    /// its bytes, no two overlap, and each slab's count comes back to zero
    /// (its memory then goes back to the allocator).
    #[test]
    fn blocks_keep_their_bytes_and_slabs_empty_out() {
        let before = crate::memory::used();
        let mut live: Vec<(usize, Vec<u8>, *mut u8)> = Vec::new();
        for round in 0..3 {
            for len in MIN..=MAX {
                for i in 0..(2 * per_slab(len) + 3) {
                    let bytes: Vec<u8> = (0..len).map(|j| (i * 31 + j + round) as u8).collect();
                    live.push((len, bytes.clone(), alloc_copy(&bytes)));
                }
            }
            // Free every third block, then check the others are intact.
            let mut kept = Vec::new();
            for (n, entry) in live.drain(..).enumerate() {
                if n % 3 == round % 3 {
                    // SAFETY: allocated above with this length, freed once.
                    unsafe { free(entry.2, entry.0) };
                } else {
                    kept.push(entry);
                }
            }
            live = kept;
            for (len, bytes, block) in &live {
                // SAFETY: a live block of `len` bytes.
                let now = unsafe { std::slice::from_raw_parts(*block, *len) };
                assert_eq!(now, &bytes[..]);
            }
        }
        let mut addrs: Vec<(usize, usize)> =
            live.iter().map(|(len, _, b)| (*b as usize, *len)).collect();
        addrs.sort_unstable();
        assert!(addrs.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0));
        for (len, _, block) in live.drain(..) {
            // SAFETY: as above.
            unsafe { free(block, len) };
        }
        // The test's own allocations are gone too; other tests running at
        // the same time may hold some, so only a loose bound.
        let after = crate::memory::used();
        assert!(after < before + (4 << 20), "{before} -> {after}");
    }

    #[test]
    fn a_block_costs_its_length_and_its_share_of_the_slab() {
        assert_eq!(footprint(35), 36);
        assert!(footprint(MIN) <= MIN + 1);
        assert!(footprint(MAX) <= MAX + MAX / 16);
    }
}
