//! The compact encoding shared by small lists, hashes and sorted sets.

/// Entries laid end to end in one buffer, each as `[length: varint][bytes]`:
/// one allocation for the whole value, as Redis's listpack. Everything here
/// is linear in the size, which the thresholds keep small.
#[derive(Clone, Default, PartialEq)]
pub struct Listpack {
    buf: Vec<u8>,
    count: usize,
}

impl Listpack {
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    pub fn push_back(&mut self, item: &[u8]) {
        super::super::varint::put_varint(&mut self.buf, item.len());
        self.buf.extend_from_slice(item);
        self.count += 1;
    }

    pub fn push_front(&mut self, item: &[u8]) {
        let mut head = Vec::with_capacity(item.len() + 10 + self.buf.len());
        super::super::varint::put_varint(&mut head, item.len());
        head.extend_from_slice(item);
        head.extend_from_slice(&self.buf);
        self.buf = head;
        self.count += 1;
    }

    pub fn iter(&self) -> ListpackIter<'_> {
        ListpackIter { rest: &self.buf }
    }

    /// Removes the entry at `index` (in entries); false if out of range.
    pub fn remove(&mut self, index: usize) -> bool {
        let mut at = 0;
        for i in 0..self.count {
            let (len, n) = super::super::varint::read_varint(&self.buf[at..]);
            if i == index {
                self.buf.drain(at..at + n + len);
                self.count -= 1;
                return true;
            }
            at += n + len;
        }
        false
    }
}

pub struct ListpackIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for ListpackIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (len, n) = super::super::varint::read_varint(self.rest);
        let item = self.rest.get(n..n + len)?;
        self.rest = &self.rest[n + len..];
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
        assert!(l.remove(1));
        assert!(!l.remove(5));
        assert_eq!(l.iter().next(), Some(&b"a"[..]));
        assert_eq!(l.len(), 2);
    }
}
