//! The compact encoding of a set of integers, as Redis's intset.

/// Sorted, distinct integers in one exactly sized block: a width byte,
/// then every member little-endian in that many bytes. The width is the
/// narrowest of 2, 4 and 8 that holds every member; a member that needs
/// more widens them all, and the set never narrows again, as in Redis.
/// Ten small members take 21 bytes.
#[derive(Clone, Default, PartialEq)]
pub struct Intset {
    buf: Box<[u8]>,
}

/// The narrowest width that holds `n`.
fn width_of(n: i64) -> usize {
    if i16::try_from(n).is_ok() {
        2
    } else if i32::try_from(n).is_ok() {
        4
    } else {
        8
    }
}

fn put(out: &mut Vec<u8>, n: i64, width: usize) {
    out.extend_from_slice(&n.to_le_bytes()[..width]);
}

impl Intset {
    /// The heap bytes of its one buffer.
    pub fn memory(&self) -> usize {
        super::alloc_size(self.buf.len())
    }

    fn width(&self) -> usize {
        self.buf.first().map_or(2, |&w| usize::from(w))
    }

    pub fn len(&self) -> usize {
        self.buf.len().saturating_sub(1) / self.width()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The member at `index` in ascending order.
    pub fn get(&self, index: usize) -> Option<i64> {
        let w = self.width();
        let at = 1 + index.checked_mul(w)?;
        let b = self.buf.get(at..at + w)?;
        // Sign-extend from the stored width.
        let fill = if b[w - 1] & 0x80 != 0 { 0xff } else { 0 };
        let mut all = [fill; 8];
        all[..w].copy_from_slice(b);
        Some(i64::from_le_bytes(all))
    }

    /// Where `n` is, or where it would go.
    pub fn search(&self, n: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).map(|m| m.cmp(&n)) {
                Some(std::cmp::Ordering::Less) => lo = mid + 1,
                Some(std::cmp::Ordering::Greater) | None => hi = mid,
                Some(std::cmp::Ordering::Equal) => return Ok(mid),
            }
        }
        Err(lo)
    }

    pub fn contains(&self, n: i64) -> bool {
        self.search(n).is_ok()
    }

    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Adds `n`; true if it is new.
    pub fn insert(&mut self, n: i64) -> bool {
        let Err(at) = self.search(n) else {
            return false;
        };
        let w = self.width();
        let wn = width_of(n);
        if self.is_empty() || wn > w {
            let w = wn.max(w);
            let mut buf = Vec::with_capacity(1 + (self.len() + 1) * w);
            buf.push(w as u8);
            for (i, m) in self.iter().enumerate() {
                if i == at {
                    put(&mut buf, n, w);
                }
                put(&mut buf, m, w);
            }
            if at == self.len() {
                put(&mut buf, n, w);
            }
            self.buf = buf.into_boxed_slice();
            return true;
        }
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        buf.reserve_exact(w);
        let mut bytes = Vec::with_capacity(w);
        put(&mut bytes, n, w);
        buf.splice(1 + at * w..1 + at * w, bytes);
        self.buf = buf.into_boxed_slice();
        true
    }

    /// Takes out the member at `index`.
    pub fn remove_at(&mut self, index: usize) -> Option<i64> {
        let n = self.get(index)?;
        let w = self.width();
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        buf.drain(1 + index * w..1 + (index + 1) * w);
        if buf.len() > 1 {
            self.buf = buf.into_boxed_slice();
        }
        Some(n)
    }

    /// Removes `n`; true if it was there.
    pub fn remove(&mut self, n: i64) -> bool {
        match self.search(n) {
            Ok(at) => self.remove_at(at).is_some(),
            Err(_) => false,
        }
    }

    /// Keeps the members `keep` says true for, in one pass.
    pub fn retain(&mut self, mut keep: impl FnMut(i64) -> bool) {
        let w = self.width();
        let mut buf = Vec::with_capacity(self.buf.len());
        buf.push(w as u8);
        for m in self.iter() {
            if keep(m) {
                put(&mut buf, m, w);
            }
        }
        self.buf = if buf.len() > 1 {
            buf.into_boxed_slice()
        } else {
            Box::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn widens_for_large_members_and_keeps_order() {
        let mut s = Intset::default();
        for n in [5, -3, 300, 0] {
            assert!(s.insert(n));
        }
        assert!(!s.insert(5));
        assert_eq!(s.width(), 2);
        assert_eq!(s.buf.len(), 1 + 4 * 2);
        assert!(s.insert(-70_000));
        assert_eq!(s.width(), 4);
        assert!(s.insert(i64::MAX));
        assert_eq!(s.width(), 8);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [-70_000, -3, 0, 5, 300, i64::MAX]
        );
        assert!(s.remove(i64::MAX));
        assert_eq!(s.width(), 8, "never narrows");
        assert!(s.contains(-70_000));
        assert!(!s.contains(6));
    }

    proptest! {
        #[test]
        fn matches_a_btreeset(ops in prop::collection::vec(
            (0u8..3, prop_oneof![-40i64..40, any::<i16>().prop_map(i64::from),
                                 any::<i32>().prop_map(i64::from), any::<i64>()]),
            1..100,
        )) {
            let mut s = Intset::default();
            let mut m = BTreeSet::new();
            for (op, n) in ops {
                match op {
                    0 => prop_assert_eq!(s.insert(n), m.insert(n)),
                    1 => prop_assert_eq!(s.remove(n), m.remove(&n)),
                    _ => {
                        s.retain(|x| x % 3 != 0);
                        m.retain(|x| x % 3 != 0);
                    }
                }
                prop_assert_eq!(s.iter().collect::<Vec<_>>(), m.iter().copied().collect::<Vec<_>>());
                prop_assert_eq!(s.len(), m.len());
                for x in &m {
                    prop_assert!(s.contains(*x));
                }
            }
        }
    }
}
