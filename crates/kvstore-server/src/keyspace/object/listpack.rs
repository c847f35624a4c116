//! The compact encoding shared by small lists, hashes and sorted sets, and
//! by the nodes of a long list.
//!
//! An entry is `[length: varint][bytes][back: reversed varint]`, where
//! `back` is the size of the two parts before it written so that it reads
//! from its last byte backwards: a walk can start at either end, which a
//! pop from the tail needs. A string of up to 127 bytes costs two bytes
//! more than itself, as in Redis's listpack.

use super::super::varint::{put_varint, read_varint, varint_len};

/// The bytes one entry holding `len` bytes takes.
pub(super) fn entry_size(len: usize) -> usize {
    let front = varint_len(len) + len;
    front + varint_len(front)
}

/// Appends the entry for `item` to `out`.
pub(super) fn put_entry(out: &mut Vec<u8>, item: &[u8]) {
    put_varint(out, item.len());
    out.extend_from_slice(item);
    let front = varint_len(item.len()) + item.len();
    let at = out.len();
    put_varint(out, front);
    out[at..].reverse();
}

/// The entry starting at `at`: its bytes and where the next one starts.
pub(super) fn entry_at(buf: &[u8], at: usize) -> (&[u8], usize) {
    let (len, n) = read_varint(&buf[at..]);
    let start = at + n;
    let end = (start + len).min(buf.len());
    let back = varint_len(n + len);
    (&buf[start..end], (end + back).min(buf.len()))
}

/// The entry ending at `end`: its bytes and where it starts.
pub(super) fn entry_before(buf: &[u8], end: usize) -> (&[u8], usize) {
    let (mut front, mut i, mut shift) = (0usize, end, 0);
    while i > 0 {
        i -= 1;
        let b = buf[i];
        front |= usize::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            break;
        }
    }
    let at = i.saturating_sub(front);
    let (item, _) = entry_at(buf, at);
    (item, at)
}

/// Entries laid end to end in one exactly sized block, after a two-byte
/// count: one allocation for the whole value, as Redis's listpack, and
/// none while it is empty. A count that does not fit the header reads
/// as `u16::MAX` there and is counted by a walk, as Redis's does.
/// Everything here is linear in the size, which the thresholds keep small.
#[derive(Clone, Default, PartialEq)]
pub struct Listpack {
    buf: Box<[u8]>,
}

const HEADER: usize = 2;

impl Listpack {
    /// The heap bytes of its one buffer.
    pub fn memory(&self) -> usize {
        super::alloc_size(self.buf.len())
    }

    /// A listpack of `items`, allocated once.
    pub fn from_items<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Listpack {
        let mut buf = vec![0; HEADER];
        let mut count = 0;
        for item in items {
            put_entry(&mut buf, item);
            count += 1;
        }
        Listpack::from_parts(buf, count)
    }

    /// Wraps entries already encoded (see [`put_entry`]), `count` of them.
    pub(super) fn from_entries(entries: &[u8], count: usize) -> Listpack {
        let mut buf = Vec::with_capacity(HEADER + entries.len());
        buf.extend_from_slice(&[0; HEADER]);
        buf.extend_from_slice(entries);
        Listpack::from_parts(buf, count)
    }

    fn from_parts(mut buf: Vec<u8>, count: usize) -> Listpack {
        if count == 0 {
            return Listpack::default();
        }
        let stored = u16::try_from(count).unwrap_or(u16::MAX);
        buf[..HEADER].copy_from_slice(&stored.to_le_bytes());
        Listpack {
            buf: buf.into_boxed_slice(),
        }
    }

    pub fn len(&self) -> usize {
        match self.buf.get(..HEADER) {
            None => 0,
            Some(h) => match u16::from_le_bytes([h[0], h[1]]) {
                u16::MAX => self.iter().count(),
                n => usize::from(n),
            },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The size of the entries, as the list thresholds count it.
    pub fn bytes(&self) -> usize {
        self.entries().len()
    }

    /// The encoded entries, without the header.
    pub(super) fn entries(&self) -> &[u8] {
        self.buf.get(HEADER..).unwrap_or_default()
    }

    /// Rebuilds the block around `edit`, which changes the encoded entries
    /// and returns the change in their count. The block is resized to fit
    /// exactly: the allocator grows a block in place while it stays in its
    /// size class, so this is rarely a copy.
    fn edit(&mut self, edit: impl FnOnce(&mut Vec<u8>) -> isize) {
        let count = self.len();
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        if buf.is_empty() {
            buf.extend_from_slice(&[0; HEADER]);
        }
        let delta = edit(&mut buf);
        let count = count.saturating_add_signed(delta);
        *self = Listpack::from_parts(buf, count);
    }

    pub fn push_back(&mut self, item: &[u8]) {
        self.extend(&[item]);
    }

    /// Appends `items` with one resize of the block.
    pub fn extend(&mut self, items: &[&[u8]]) {
        self.edit(|buf| {
            buf.reserve_exact(items.iter().map(|i| entry_size(i.len())).sum());
            for i in items {
                put_entry(buf, i);
            }
            items.len() as isize
        });
    }

    pub fn push_front(&mut self, item: &[u8]) {
        self.insert(0, item);
    }

    /// Puts `item` before the entry at `index` (at the end if there are
    /// only `index` entries).
    pub fn insert(&mut self, index: usize, item: &[u8]) {
        let at = self.offset(index);
        self.edit(|buf| {
            let mut entry = Vec::with_capacity(entry_size(item.len()));
            put_entry(&mut entry, item);
            buf.splice(HEADER + at..HEADER + at, entry);
            1
        });
    }

    /// Replaces the entry at `index`; false if out of range.
    pub fn replace(&mut self, index: usize, item: &[u8]) -> bool {
        let at = self.offset(index);
        if at >= self.bytes() {
            return false;
        }
        let (_, end) = entry_at(self.entries(), at);
        self.edit(|buf| {
            let mut entry = Vec::with_capacity(entry_size(item.len()));
            put_entry(&mut entry, item);
            buf.splice(HEADER + at..HEADER + end, entry);
            0
        });
        true
    }

    /// Where the entry at `index` starts in [`Listpack::entries`].
    fn offset(&self, index: usize) -> usize {
        let entries = self.entries();
        let mut at = 0;
        for _ in 0..index {
            if at >= entries.len() {
                break;
            }
            at = entry_at(entries, at).1;
        }
        at
    }

    pub fn iter(&self) -> ListpackIter<'_> {
        ListpackIter {
            buf: self.entries(),
            front: 0,
            back: self.bytes(),
        }
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.iter().nth(index)
    }

    /// Removes the entry at `index` (in entries); false if out of range.
    pub fn remove(&mut self, index: usize) -> bool {
        let at = self.offset(index);
        if at >= self.bytes() {
            return false;
        }
        let (_, end) = entry_at(self.entries(), at);
        self.edit(|buf| {
            buf.drain(HEADER + at..HEADER + end);
            -1
        });
        true
    }

    /// Takes the first entry (`front`) or the last.
    pub fn pop(&mut self, front: bool) -> Option<Box<[u8]>> {
        let entries = self.entries();
        if entries.is_empty() {
            return None;
        }
        let (item, start, end) = if front {
            let (item, end) = entry_at(entries, 0);
            (item, 0, end)
        } else {
            let (item, start) = entry_before(entries, entries.len());
            (item, start, entries.len())
        };
        let item = Box::from(item);
        self.edit(|buf| {
            buf.drain(HEADER + start..HEADER + end);
            -1
        });
        Some(item)
    }
}

/// Walks a run of entries from either end.
pub struct ListpackIter<'a> {
    buf: &'a [u8],
    front: usize,
    back: usize,
}

impl<'a> ListpackIter<'a> {
    /// The entries of `buf[front..back]`, which must start and end on
    /// entry boundaries.
    pub(super) fn over(buf: &'a [u8], front: usize, back: usize) -> Self {
        ListpackIter { buf, front, back }
    }
}

impl<'a> Iterator for ListpackIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.front >= self.back {
            return None;
        }
        let (item, next) = entry_at(self.buf, self.front);
        self.front = next;
        Some(item)
    }
}

impl DoubleEndedIterator for ListpackIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        let (item, start) = entry_before(self.buf, self.back);
        self.back = start;
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_keeps_order_and_removes() {
        let mut l = Listpack::default();
        l.push_back(b"b");
        l.push_front(b"a");
        l.push_back(&[7u8; 300]);
        assert_eq!(l.len(), 3);
        let items: Vec<&[u8]> = l.iter().collect();
        assert_eq!(items[0], b"a");
        assert_eq!(items[2].len(), 300);
        let back: Vec<&[u8]> = l.iter().rev().collect();
        assert_eq!(back[0].len(), 300);
        assert_eq!(back[2], b"a");
        assert!(l.remove(1));
        assert!(!l.remove(5));
        assert_eq!(l.iter().next(), Some(&b"a"[..]));
        assert_eq!(l.len(), 2);
        assert!(l.replace(1, b"z"));
        assert_eq!(l.pop(false).as_deref(), Some(&b"z"[..]));
        assert_eq!(l.pop(true).as_deref(), Some(&b"a"[..]));
        assert!(l.is_empty());
        assert_eq!(l.pop(true), None);
    }

    /// Entries of every length class walk the same both ways, and the
    /// count past the header's range is still right.
    #[test]
    fn long_entries_and_large_counts() {
        let lens = [
            0usize, 1, 125, 126, 127, 128, 16_381, 16_382, 16_383, 16_384, 70_000,
        ];
        let items: Vec<Vec<u8>> = lens.iter().map(|&n| vec![b'q'; n]).collect();
        let l = Listpack::from_items(items.iter().map(|i| &i[..]));
        assert_eq!(l.iter().collect::<Vec<_>>(), items);
        let mut rev: Vec<&[u8]> = l.iter().rev().collect();
        rev.reverse();
        assert_eq!(rev, items);
        assert_eq!(entry_size(126), 128);
        assert_eq!(entry_size(127), 130);

        let many = Listpack::from_items(std::iter::repeat_n(&b"x"[..], 70_000));
        assert_eq!(many.len(), 70_000);
        let mut many = many;
        many.pop(true);
        assert_eq!(many.len(), 69_999);
    }
}
