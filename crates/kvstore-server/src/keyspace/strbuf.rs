//! The bytes of a string too long to sit in its record.
//!
//! Up to [`MAPPED_FROM`] they are a plain heap buffer, which grows by
//! doubling. Past it they live in an anonymous memory map with twice their
//! length reserved: reserved pages cost address space, not memory, until
//! written, and growing past the reservation is an `mremap`, which moves
//! page tables rather than bytes. So APPEND to a string of hundreds of
//! megabytes costs what it appends, even the first time, where a heap
//! buffer would copy the whole string on its first growth.

use std::sync::atomic::{AtomicUsize, Ordering};

use memmap2::{MmapMut, RemapOptions};

/// Bytes held in mapped strings, which the allocator never sees: part of
/// `used_memory`.
static MAPPED: AtomicUsize = AtomicUsize::new(0);

/// See [`MAPPED`].
pub fn mapped() -> usize {
    MAPPED.load(Ordering::Relaxed)
}

fn mapped_grew(from: usize, to: usize) {
    if to > from {
        MAPPED.fetch_add(to - from, Ordering::Relaxed);
    }
}

/// Strings at least this long are memory-mapped. High enough that the
/// process's map count stays far below the kernel's limit (65,530 by
/// default) however memory is filled.
pub const MAPPED_FROM: usize = 4 << 20;

pub enum StrBuf {
    Heap(Vec<u8>),
    /// `len` bytes in use at the start of `map`.
    Mapped {
        map: MmapMut,
        len: usize,
    },
}

/// Out of memory (or address space) for a string's growth.
#[derive(Debug)]
pub struct NoRoom;

impl StrBuf {
    /// A buffer holding `bytes`.
    pub fn from_slice(bytes: &[u8]) -> StrBuf {
        if bytes.len() >= MAPPED_FROM {
            if let Some(mut b) = Self::mapped(bytes.len().saturating_mul(2)) {
                if let StrBuf::Mapped { map, len } = &mut b {
                    map[..bytes.len()].copy_from_slice(bytes);
                    *len = bytes.len();
                    mapped_grew(0, bytes.len());
                }
                return b;
            }
        }
        StrBuf::Heap(bytes.to_vec())
    }

    /// A buffer taking over `v` (mapped instead, if it is that long).
    pub fn from_vec(v: Vec<u8>) -> StrBuf {
        if v.len() >= MAPPED_FROM {
            Self::from_slice(&v)
        } else {
            StrBuf::Heap(v)
        }
    }

    fn mapped(capacity: usize) -> Option<StrBuf> {
        let map = MmapMut::map_anon(capacity).ok()?;
        Some(StrBuf::Mapped { map, len: 0 })
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            StrBuf::Heap(v) => v,
            StrBuf::Mapped { map, len } => &map[..*len],
        }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        match self {
            StrBuf::Heap(v) => v,
            StrBuf::Mapped { map, len } => &mut map[..*len],
        }
    }

    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes it takes: a heap buffer's allocation, or the pages of a
    /// mapping that hold data (its reserve is address space, not memory).
    pub fn memory(&self) -> usize {
        match self {
            StrBuf::Heap(v) => super::object::alloc_size(v.capacity()),
            StrBuf::Mapped { len, .. } => len.div_ceil(4096) * 4096,
        }
    }

    /// Makes room for `additional` more bytes.
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), NoRoom> {
        let needed = self.len().checked_add(additional).ok_or(NoRoom)?;
        match self {
            StrBuf::Heap(v) if needed < MAPPED_FROM => {
                v.try_reserve(additional).map_err(|_| NoRoom)
            }
            StrBuf::Heap(v) => {
                // Crossing into the mapped range: one copy, as any growth
                // of a heap buffer would make.
                let mut b = Self::mapped(needed.saturating_mul(2)).ok_or(NoRoom)?;
                if let StrBuf::Mapped { map, len } = &mut b {
                    map[..v.len()].copy_from_slice(v);
                    *len = v.len();
                    mapped_grew(0, v.len());
                }
                *self = b;
                Ok(())
            }
            StrBuf::Mapped { map, .. } if needed <= map.len() => Ok(()),
            StrBuf::Mapped { map, .. } => {
                // SAFETY: the map is anonymous, so every byte of the new
                // length is backed (zero pages); the slices handed out are
                // rebuilt from the map after this, never kept across it.
                unsafe { map.remap(needed.saturating_mul(2), RemapOptions::new().may_move(true)) }
                    .map_err(|_| NoRoom)
            }
        }
    }

    /// Appends `bytes`; room must have been made with [`StrBuf::try_reserve`].
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        match self {
            StrBuf::Heap(v) => v.extend_from_slice(bytes),
            StrBuf::Mapped { map, len } => {
                let end = (*len + bytes.len()).min(map.len());
                let n = end - *len;
                map[*len..end].copy_from_slice(&bytes[..n]);
                mapped_grew(*len, end);
                *len = end;
            }
        }
    }

    /// Grows to `new_len` with zero bytes (room made first).
    pub fn grow_zeroed(&mut self, new_len: usize) {
        match self {
            StrBuf::Heap(v) => v.resize(new_len.max(v.len()), 0),
            StrBuf::Mapped { map, len } => {
                let end = new_len.min(map.len()).max(*len);
                map[*len..end].fill(0);
                mapped_grew(*len, end);
                *len = end;
            }
        }
    }
}

impl Drop for StrBuf {
    fn drop(&mut self) {
        if let StrBuf::Mapped { len, .. } = self {
            MAPPED.fetch_sub(*len, Ordering::Relaxed);
        }
    }
}

impl Clone for StrBuf {
    fn clone(&self) -> StrBuf {
        StrBuf::from_slice(self.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_across_the_mapped_threshold_and_keeps_bytes() {
        let mut b = StrBuf::from_slice(&[1u8; 100]);
        assert!(matches!(b, StrBuf::Heap(_)));
        let chunk = vec![2u8; MAPPED_FROM];
        b.try_reserve(chunk.len()).unwrap();
        b.extend_from_slice(&chunk);
        assert!(matches!(b, StrBuf::Mapped { .. }));
        assert_eq!(b.len(), 100 + MAPPED_FROM);
        // Past the reservation: a remap.
        let more = vec![3u8; 2 * MAPPED_FROM + 7];
        b.try_reserve(more.len()).unwrap();
        b.extend_from_slice(&more);
        let s = b.as_slice();
        assert_eq!(s.len(), 100 + 3 * MAPPED_FROM + 7);
        assert_eq!(
            (s[0], s[100], s[100 + MAPPED_FROM], s[s.len() - 1]),
            (1, 2, 3, 3)
        );
        b.grow_zeroed(s.len() + 10);
        assert_eq!(b.as_slice()[b.len() - 1], 0);
        let c = b.clone();
        assert_eq!(c.as_slice(), b.as_slice());
    }
}
