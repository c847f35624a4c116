//! Lists: a listpack while small, then a deque of members (Redis's
//! quicklist).
//!
//! The deque makes a push or pop at either end O(1) however long the list.
//! The listpack is small by construction (the thresholds bound it), so the
//! operations that rewrite it whole stay cheap; a listpack that an edit
//! makes too large turns into a deque, and never back, as in Redis.

use std::collections::VecDeque;

use super::{list_fits, Listpack, Member};

#[derive(Clone, PartialEq)]
pub enum List {
    Listpack(Listpack),
    Quicklist(VecDeque<Member>),
}

impl List {
    pub fn new() -> List {
        List::Listpack(Listpack::default())
    }

    pub fn len(&self) -> usize {
        match self {
            List::Listpack(l) => l.len(),
            List::Quicklist(q) => q.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, item: &[u8], front: bool) {
        if let List::Listpack(l) = self {
            if list_fits(l.len() + 1, l.bytes() + item.len() + 10) {
                if front {
                    l.push_front(item);
                } else {
                    l.push_back(item);
                }
                return;
            }
            *self = List::Quicklist(l.iter().map(Member::from).collect());
        }
        if let List::Quicklist(q) = self {
            if front {
                q.push_front(item.into());
            } else {
                q.push_back(item.into());
            }
        }
    }

    /// Takes the element at the head (`front`) or the tail.
    pub fn pop(&mut self, front: bool) -> Option<Member> {
        match self {
            List::Listpack(l) => {
                let at = if front { 0 } else { l.len().checked_sub(1)? };
                let item = Member::from(l.iter().nth(at)?);
                l.remove(at);
                Some(item)
            }
            List::Quicklist(q) if front => q.pop_front(),
            List::Quicklist(q) => q.pop_back(),
        }
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match self {
            List::Listpack(l) => Box::new(l.iter()),
            List::Quicklist(q) => Box::new(q.iter().map(|m| &**m)),
        }
    }

    /// The elements from the tail to the head.
    pub fn iter_rev(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match self {
            // A listpack is only walked forwards; it is small.
            List::Listpack(l) => Box::new(l.iter().collect::<Vec<_>>().into_iter().rev()),
            List::Quicklist(q) => Box::new(q.iter().rev().map(|m| &**m)),
        }
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        match self {
            List::Listpack(l) => l.iter().nth(index),
            List::Quicklist(q) => q.get(index).map(|m| &**m),
        }
    }

    /// The elements from `start` to `end` inclusive, both in range.
    pub fn range(&self, start: usize, end: usize) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        let take = end.saturating_sub(start) + 1;
        match self {
            List::Listpack(l) => Box::new(l.iter().skip(start).take(take)),
            // `range` finds the start in O(1), where skipping would walk.
            List::Quicklist(q) => Box::new(q.range(start..=end).map(|m| &**m)),
        }
    }

    /// Replaces the element at `index`; false if there is none.
    pub fn set(&mut self, index: usize, item: &[u8]) -> bool {
        self.edit(|q| match q.get_mut(index) {
            Some(slot) => {
                *slot = item.into();
                true
            }
            None => false,
        })
    }

    /// Inserts `item` before or after the first `pivot` from the head;
    /// false if there is no such pivot.
    pub fn insert(&mut self, pivot: &[u8], item: &[u8], after: bool) -> bool {
        let Some(at) = self.iter().position(|e| e == pivot) else {
            return false;
        };
        let at = if after { at + 1 } else { at };
        self.edit(|q| q.insert(at, item.into()));
        true
    }

    /// Removes up to `limit` elements equal to `item` (all if `limit` is
    /// 0), from the head or, if `from_tail`, from the tail; how many went.
    pub fn remove(&mut self, item: &[u8], limit: usize, from_tail: bool) -> usize {
        let len = self.len();
        let mut matching: Vec<usize> = if from_tail {
            self.iter_rev()
                .enumerate()
                .filter(|(_, e)| *e == item)
                .map(|(i, _)| len - 1 - i)
                .collect()
        } else {
            self.iter()
                .enumerate()
                .filter(|(_, e)| *e == item)
                .map(|(i, _)| i)
                .collect()
        };
        if limit > 0 {
            matching.truncate(limit);
        }
        if matching.is_empty() {
            return 0;
        }
        matching.sort_unstable();
        let mut index = 0;
        let mut next = matching.iter().peekable();
        self.edit(|q| {
            q.retain(|_| {
                let drop = next.next_if_eq(&&index).is_some();
                index += 1;
                !drop
            })
        });
        matching.len()
    }

    /// Keeps only the elements from `start` to `end` inclusive (both in
    /// range), or none if `keep` is false.
    pub fn trim(&mut self, start: usize, end: usize, keep: bool) {
        self.edit(|q| {
            if !keep {
                q.clear();
                return;
            }
            q.truncate(end + 1);
            q.drain(..start.min(q.len()));
        });
    }

    /// Runs `f` on the elements as a deque. A listpack is decoded, changed,
    /// and encoded again if it still fits one, else it stays a deque.
    fn edit<R>(&mut self, f: impl FnOnce(&mut VecDeque<Member>) -> R) -> R {
        let l = match self {
            List::Quicklist(q) => return f(q),
            List::Listpack(l) => l,
        };
        let mut q: VecDeque<Member> = l.iter().map(Member::from).collect();
        let out = f(&mut q);
        let mut packed = Listpack::default();
        for item in &q {
            packed.push_back(item);
        }
        *self = if list_fits(packed.len(), packed.bytes()) {
            List::Listpack(packed)
        } else {
            List::Quicklist(q)
        };
        out
    }
}

impl Default for List {
    fn default() -> Self {
        List::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(l: &List) -> Vec<String> {
        l.iter()
            .map(|e| String::from_utf8_lossy(e).into_owned())
            .collect()
    }

    fn both(words: &[&str]) -> [List; 2] {
        let mut small = List::new();
        for w in words {
            small.push(w.as_bytes(), false);
        }
        let big = List::Quicklist(small.iter().map(Member::from).collect());
        [small, big]
    }

    #[test]
    fn list_converts_past_its_threshold() {
        let mut l = List::new();
        for i in 0..200 {
            l.push(format!("item-{i:040}").as_bytes(), false);
        }
        assert!(
            matches!(l, List::Quicklist(_)),
            "8 KiB of entries is past -2"
        );
        assert_eq!(l.len(), 200);
        assert_eq!(l.iter().next(), Some(format!("item-{:040}", 0).as_bytes()));
    }

    #[test]
    fn both_encodings_edit_alike() {
        for mut l in both(&["a", "b", "a", "c", "a"]) {
            assert_eq!(l.pop(true).as_deref(), Some(&b"a"[..]));
            assert_eq!(l.pop(false).as_deref(), Some(&b"a"[..]));
            assert_eq!(items(&l), ["b", "a", "c"]);
            assert!(l.insert(b"a", b"x", true));
            assert!(l.insert(b"b", b"y", false));
            assert!(!l.insert(b"zz", b"y", false));
            assert_eq!(items(&l), ["y", "b", "a", "x", "c"]);
            assert!(l.set(4, b"z"));
            assert!(!l.set(5, b"z"));
            assert_eq!(l.get(4), Some(&b"z"[..]));
            let r: Vec<&[u8]> = l.range(1, 2).collect();
            assert_eq!(r, [&b"b"[..], &b"a"[..]]);
            l.trim(1, 3, true);
            assert_eq!(items(&l), ["b", "a", "x"]);
            l.trim(0, 0, false);
            assert!(l.is_empty());
        }
    }

    #[test]
    fn remove_counts_from_either_end() {
        for mut l in both(&["a", "b", "a", "c", "a"]) {
            assert_eq!(l.remove(b"a", 1, true), 1);
            assert_eq!(items(&l), ["a", "b", "a", "c"]);
            assert_eq!(l.remove(b"a", 1, false), 1);
            assert_eq!(items(&l), ["b", "a", "c"]);
            assert_eq!(l.remove(b"a", 0, false), 1);
            assert_eq!(l.remove(b"q", 0, false), 0);
            assert_eq!(items(&l), ["b", "c"]);
        }
    }

    #[test]
    fn an_edit_that_overflows_a_listpack_converts_it() {
        let mut l = List::new();
        l.push(b"a", false);
        assert!(l.set(0, &[b'x'; 9000]));
        assert!(matches!(l, List::Quicklist(_)));
        assert_eq!(l.len(), 1);
    }
}
