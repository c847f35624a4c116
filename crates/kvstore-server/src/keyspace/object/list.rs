//! Lists: a listpack while small, then a quicklist: a deque of listpack
//! nodes (see [`Quicklist`]).
//!
//! A push or pop at either end is O(1) however long the list. The listpack
//! is small by construction (the thresholds bound it), so the operations
//! that rewrite it whole stay cheap; a listpack that an edit makes too
//! large turns into a quicklist, and never back, as in Redis.

use super::listpack::entry_size;
use super::{list_fits, Listpack, Member, Quicklist};

#[derive(Clone, PartialEq)]
pub enum List {
    Listpack(Listpack),
    /// Boxed so that a small list's value stays small.
    Quicklist(Box<Quicklist>),
}

impl List {
    /// See [`super::Object::memory`].
    pub fn memory(&self, _samples: usize) -> usize {
        match self {
            List::Listpack(l) => l.memory(),
            List::Quicklist(q) => super::alloc_size(std::mem::size_of::<Quicklist>()) + q.memory(),
        }
    }

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
            if list_fits(l.len() + 1, l.bytes() + entry_size(item.len())) {
                if front {
                    l.push_front(item);
                } else {
                    l.push_back(item);
                }
                return;
            }
            *self = List::Quicklist(Box::new(Quicklist::from_listpack(l)));
        }
        if let List::Quicklist(q) = self {
            q.push(item, front);
        }
    }

    /// Takes the element at the head (`front`) or the tail.
    pub fn pop(&mut self, front: bool) -> Option<Member> {
        match self {
            List::Listpack(l) => l.pop(front),
            List::Quicklist(q) => q.pop(front),
        }
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match self {
            List::Listpack(l) => Box::new(l.iter()),
            List::Quicklist(q) => Box::new(q.iter()),
        }
    }

    /// The elements from the tail to the head.
    pub fn iter_rev(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match self {
            List::Listpack(l) => Box::new(l.iter().rev()),
            List::Quicklist(q) => Box::new(q.iter().rev()),
        }
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        match self {
            List::Listpack(l) => l.get(index),
            List::Quicklist(q) => q.get(index),
        }
    }

    /// The elements from `start` to `end` inclusive, both in range.
    pub fn range(&self, start: usize, end: usize) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        let take = end.saturating_sub(start) + 1;
        match self {
            List::Listpack(l) => Box::new(l.iter().skip(start).take(take)),
            // The quicklist skips whole nodes by their counts.
            List::Quicklist(q) => Box::new(q.range(start, end)),
        }
    }

    /// Replaces the element at `index`; false if there is none.
    pub fn set(&mut self, index: usize, item: &[u8]) -> bool {
        self.edit(|q| q.set(index, item))
    }

    /// Inserts `item` before or after the first `pivot` from the head;
    /// false if there is no such pivot.
    pub fn insert(&mut self, pivot: &[u8], item: &[u8], after: bool) -> bool {
        let Some(at) = self.iter().position(|e| e == pivot) else {
            return false;
        };
        let at = if after { at + 1 } else { at };
        self.edit(|q| q.insert(at, item));
        true
    }

    /// Removes up to `limit` elements equal to `item` (all if `limit` is
    /// 0), from the head or, if `from_tail`, from the tail; how many went.
    pub fn remove(&mut self, item: &[u8], limit: usize, from_tail: bool) -> usize {
        if !self.iter().any(|e| e == item) {
            return 0;
        }
        self.edit(|q| q.remove(item, limit, from_tail))
    }

    /// Keeps only the elements from `start` to `end` inclusive (both in
    /// range), or none if `keep` is false.
    pub fn trim(&mut self, start: usize, end: usize, keep: bool) {
        if !keep {
            *self = List::new();
            return;
        }
        self.edit(|q| q.trim(start, end));
    }

    /// Runs `f` on the elements as a quicklist. A listpack becomes one
    /// (a copy of its bytes), and goes back to a listpack if it still fits
    /// one, else stays a quicklist.
    fn edit<R>(&mut self, f: impl FnOnce(&mut Quicklist) -> R) -> R {
        let l = match self {
            List::Quicklist(q) => return f(q),
            List::Listpack(l) => l,
        };
        let mut q = Quicklist::from_listpack(l);
        let out = f(&mut q);
        *self = match q.to_listpack() {
            Some(l) => List::Listpack(l),
            None => List::Quicklist(Box::new(q)),
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
        let mut big = Quicklist::default();
        for w in words {
            big.push(w.as_bytes(), false);
        }
        let big = List::Quicklist(Box::new(big));
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
