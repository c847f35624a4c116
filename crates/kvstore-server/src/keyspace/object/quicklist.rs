//! A long list: a deque of nodes, each a run of listpack entries bounded by
//! `list-max-listpack-size`, as Redis's quicklist.
//!
//! An element costs its bytes and two more, not an allocation and a
//! pointer of its own. Pushes and pops touch only the end node, so they
//! stay O(1) amortised; a node keeps the entries popped from its front as
//! a gap until they are half of it, so a pop from the head does not move
//! the rest of the node each time. Positions are found by walking nodes by
//! their counts, and an edit in the middle rewrites one node, splitting it
//! if it grows past the limit and merging small neighbours back together.

use std::collections::VecDeque;

use std::sync::atomic::Ordering;

use super::listpack::{entry_at, entry_before, entry_size, put_entry, ListpackIter};
use super::{fill_fits, list_fits, Listpack, Member, LIMITS};

/// Redis keeps a node under this many bytes even when the limit is a count
/// of entries; a single larger element still gets a node of its own.
const SIZE_SAFETY_LIMIT: usize = 8192;

/// The `list-max-listpack-size` nodes follow; a test can set its own for
/// its thread, since the real one is process-wide.
fn fill() -> i64 {
    #[cfg(test)]
    if let Some(f) = tests::FILL.with(std::cell::Cell::get) {
        return f;
    }
    LIMITS.list_max_listpack_size.load(Ordering::Relaxed)
}

/// True if a node of `count` entries taking `bytes` is within the limit.
fn node_fits(count: usize, bytes: usize) -> bool {
    let fill = fill();
    count <= 1 || (fill_fits(fill, count, bytes) && (fill <= 0 || bytes <= SIZE_SAFETY_LIMIT))
}

#[derive(Clone)]
struct Node {
    /// Entries live in `buf[head..]`; bytes before `head` were popped.
    buf: Vec<u8>,
    head: usize,
    count: usize,
}

impl Node {
    fn of(items: &[&[u8]]) -> Node {
        let size = items.iter().map(|i| entry_size(i.len())).sum();
        let mut buf = Vec::with_capacity(size);
        for i in items {
            put_entry(&mut buf, i);
        }
        Node {
            buf,
            head: 0,
            count: items.len(),
        }
    }

    fn bytes(&self) -> usize {
        self.buf.len() - self.head
    }

    fn live(&self) -> &[u8] {
        &self.buf[self.head..]
    }

    fn iter(&self) -> ListpackIter<'_> {
        ListpackIter::over(&self.buf, self.head, self.buf.len())
    }

    fn items(&self) -> Vec<&[u8]> {
        self.iter().collect()
    }

    fn fits_one_more(&self, item: &[u8]) -> bool {
        node_fits(self.count + 1, self.bytes() + entry_size(item.len()))
    }

    fn push_back(&mut self, item: &[u8]) {
        // Exactly what is needed: the allocator grows the block in place
        // while it stays in its size class, and no node carries slack.
        self.buf.reserve_exact(entry_size(item.len()));
        put_entry(&mut self.buf, item);
        self.count += 1;
    }

    fn push_front(&mut self, item: &[u8]) {
        let size = entry_size(item.len());
        if self.head >= size {
            let mut entry = Vec::with_capacity(size);
            put_entry(&mut entry, item);
            self.head -= size;
            self.buf[self.head..self.head + size].copy_from_slice(&entry);
        } else {
            let mut buf = Vec::with_capacity(size + self.bytes());
            put_entry(&mut buf, item);
            buf.extend_from_slice(self.live());
            self.buf = buf;
            self.head = 0;
        }
        self.count += 1;
    }

    fn pop_front(&mut self) -> Member {
        let (item, next) = entry_at(&self.buf, self.head);
        let item = Member::from(item);
        self.head = next;
        self.count -= 1;
        if self.head * 2 >= self.buf.len() {
            self.compact();
        }
        item
    }

    fn pop_back(&mut self) -> Member {
        let (item, start) = entry_before(&self.buf, self.buf.len());
        let item = Member::from(item);
        self.buf.truncate(start.max(self.head));
        self.count -= 1;
        if self.buf.capacity() > 2 * self.buf.len() + 64 {
            self.compact();
        }
        item
    }

    /// Where entry `at` (below `count`) starts in `buf`, walking from the
    /// nearer end.
    fn offset(&self, at: usize) -> usize {
        let mut p;
        if at <= self.count / 2 {
            p = self.head;
            for _ in 0..at {
                p = entry_at(&self.buf, p).1;
            }
        } else {
            p = self.buf.len();
            for _ in at..self.count {
                p = entry_before(&self.buf, p).1;
            }
        }
        p
    }

    /// Replaces `buf[start..end]` with the entry for `item`.
    fn splice(&mut self, start: usize, end: usize, item: &[u8]) {
        let mut entry = Vec::with_capacity(entry_size(item.len()));
        put_entry(&mut entry, item);
        self.buf
            .reserve_exact(entry.len().saturating_sub(end - start));
        self.buf.splice(start..end, entry);
    }

    /// Drops the popped gap and any spare capacity.
    fn compact(&mut self) {
        self.buf.drain(..self.head);
        self.head = 0;
        self.buf.shrink_to_fit();
    }

    /// Drops the first `n` entries (fewer than `count`).
    fn drop_front(&mut self, n: usize) {
        for _ in 0..n {
            self.head = entry_at(&self.buf, self.head).1;
        }
        self.count -= n;
        self.compact();
    }

    /// Drops the last `n` entries (fewer than `count`).
    fn drop_back(&mut self, n: usize) {
        let mut end = self.buf.len();
        for _ in 0..n {
            end = entry_before(&self.buf, end).1;
        }
        self.buf.truncate(end);
        self.count -= n;
        self.compact();
    }
}

/// Nodes of `items`, each within the limit: halves until they fit, so an
/// overfull node splits into balanced parts with room for more.
fn pack(items: &[&[u8]], out: &mut Vec<Node>) {
    if items.is_empty() {
        return;
    }
    let bytes = items.iter().map(|i| entry_size(i.len())).sum();
    if node_fits(items.len(), bytes) {
        out.push(Node::of(items));
        return;
    }
    let (left, right) = items.split_at(items.len() / 2);
    pack(left, out);
    pack(right, out);
}

#[derive(Clone, Default)]
pub struct Quicklist {
    nodes: VecDeque<Node>,
    len: usize,
}

impl PartialEq for Quicklist {
    /// Equal elements make equal lists, however they are split into nodes.
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Quicklist {
    /// The heap bytes of its nodes and their buffers (every node: a
    /// quicklist has few, each up to a few kilobytes).
    pub fn memory(&self) -> usize {
        super::alloc_size(self.nodes.capacity() * std::mem::size_of::<Node>())
            + self
                .nodes
                .iter()
                .map(|n| super::alloc_size(n.buf.capacity()))
                .sum::<usize>()
    }

    /// One node holding a listpack's entries as they are.
    pub fn from_listpack(l: &Listpack) -> Quicklist {
        let mut q = Quicklist::default();
        if !l.is_empty() {
            q.nodes.push_back(Node {
                buf: l.entries().to_vec(),
                head: 0,
                count: l.len(),
            });
            q.len = l.len();
        }
        q
    }

    /// The elements as one listpack if they fit one (see [`list_fits`]).
    pub fn to_listpack(&self) -> Option<Listpack> {
        let bytes: usize = self.nodes.iter().map(Node::bytes).sum();
        if !list_fits(self.len, bytes) {
            return None;
        }
        let mut entries = Vec::with_capacity(bytes);
        for n in &self.nodes {
            entries.extend_from_slice(n.live());
        }
        Some(Listpack::from_entries(&entries, self.len))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, item: &[u8], front: bool) {
        let end = if front {
            self.nodes.front_mut()
        } else {
            self.nodes.back_mut()
        };
        match end {
            Some(n) if n.fits_one_more(item) => {
                if front {
                    n.push_front(item);
                } else {
                    n.push_back(item);
                }
            }
            _ => {
                let n = Node::of(&[item]);
                if front {
                    self.nodes.push_front(n);
                } else {
                    self.nodes.push_back(n);
                }
            }
        }
        self.len += 1;
    }

    pub fn pop(&mut self, front: bool) -> Option<Member> {
        let n = if front {
            self.nodes.front_mut()?
        } else {
            self.nodes.back_mut()?
        };
        let item = if front { n.pop_front() } else { n.pop_back() };
        if n.count == 0 {
            if front {
                self.nodes.pop_front();
            } else {
                self.nodes.pop_back();
            }
        }
        self.len -= 1;
        Some(item)
    }

    /// The elements, forwards; `.rev()` walks them backwards.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        self.nodes.iter().flat_map(Node::iter)
    }

    /// The node holding element `index` and the element's place in it,
    /// walking from the nearer end.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.len {
            return None;
        }
        if index < self.len / 2 {
            let mut rest = index;
            for (i, n) in self.nodes.iter().enumerate() {
                if rest < n.count {
                    return Some((i, rest));
                }
                rest -= n.count;
            }
        } else {
            let mut after = self.len - 1 - index;
            for (i, n) in self.nodes.iter().enumerate().rev() {
                if after < n.count {
                    return Some((i, n.count - 1 - after));
                }
                after -= n.count;
            }
        }
        None
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        let (i, at) = self.locate(index)?;
        let n = &self.nodes[i];
        if at < n.count / 2 {
            n.iter().nth(at)
        } else {
            n.iter().nth_back(n.count - 1 - at)
        }
    }

    /// The elements from `start` to `end` inclusive, both in range.
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let take = end.saturating_sub(start) + 1;
        let (first, at) = self.locate(start).unwrap_or((self.nodes.len(), 0));
        let head = self
            .nodes
            .get(first)
            .into_iter()
            .flat_map(move |n| n.iter().skip(at));
        let rest = self
            .nodes
            .range((first + 1).min(self.nodes.len())..)
            .flat_map(Node::iter);
        head.chain(rest).take(take)
    }

    /// Replaces node `i` with nodes of `items` (none if it is empty), then
    /// merges what fits around them.
    fn rewrite(&mut self, i: usize, items: &[&[u8]]) {
        let mut fresh = Vec::new();
        pack(items, &mut fresh);
        let added = fresh.len();
        self.nodes.remove(i);
        for (k, n) in fresh.into_iter().enumerate() {
            self.nodes.insert(i + k, n);
        }
        self.merge_around(i.saturating_sub(1), i + added);
    }

    /// Merges neighbours among nodes `lo..=hi` whose union fits one node.
    fn merge_around(&mut self, lo: usize, hi: usize) {
        let mut i = lo;
        let mut hi = hi.min(self.nodes.len().saturating_sub(1));
        while i < hi {
            let (a, b) = (&self.nodes[i], &self.nodes[i + 1]);
            if node_fits(a.count + b.count, a.bytes() + b.bytes()) {
                let b = self.nodes.remove(i + 1).unwrap_or_else(|| Node::of(&[]));
                let a = &mut self.nodes[i];
                a.compact();
                a.buf.reserve_exact(b.bytes());
                a.buf.extend_from_slice(b.live());
                a.count += b.count;
                hi -= 1;
            } else {
                i += 1;
            }
        }
    }

    /// Replaces the element at `index`; false if there is none.
    pub fn set(&mut self, index: usize, item: &[u8]) -> bool {
        let Some((i, at)) = self.locate(index) else {
            return false;
        };
        let n = &mut self.nodes[i];
        let start = n.offset(at);
        let end = entry_at(&n.buf, start).1;
        if node_fits(n.count, n.bytes() - (end - start) + entry_size(item.len())) {
            n.splice(start, end, item);
            return true;
        }
        let owned: Vec<Vec<u8>> = n.iter().map(<[u8]>::to_vec).collect();
        let mut items: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        items[at] = item;
        self.rewrite(i, &items);
        true
    }

    /// Puts `item` before the element at `index`, or last if `index` is
    /// the length.
    pub fn insert(&mut self, index: usize, item: &[u8]) {
        if index >= self.len {
            return self.push(item, false);
        }
        if index == 0 {
            return self.push(item, true);
        }
        let Some((i, at)) = self.locate(index) else {
            return;
        };
        self.len += 1;
        let n = &mut self.nodes[i];
        if n.fits_one_more(item) {
            let start = n.offset(at);
            n.splice(start, start, item);
            n.count += 1;
            return;
        }
        let owned: Vec<Vec<u8>> = n.iter().map(<[u8]>::to_vec).collect();
        let mut items: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        items.insert(at, item);
        self.rewrite(i, &items);
    }

    /// Removes up to `limit` elements equal to `item` (all if `limit` is
    /// 0), from the head or, if `from_tail`, from the tail; how many went.
    pub fn remove(&mut self, item: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut left = if limit == 0 { usize::MAX } else { limit };
        let mut removed = 0;
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        if from_tail {
            order.reverse();
        }
        let (mut lo, mut hi) = (usize::MAX, 0usize);
        for i in order {
            if left == 0 {
                break;
            }
            let n = &self.nodes[i];
            if !n.iter().any(|e| e == item) {
                continue;
            }
            let mut keep = n.items();
            let mut gone = 0;
            let mut drop_one = |e: &&[u8]| {
                let drop = left > 0 && *e == item;
                if drop {
                    left -= 1;
                    gone += 1;
                }
                !drop
            };
            if from_tail {
                keep.reverse();
                keep.retain(&mut drop_one);
                keep.reverse();
            } else {
                keep.retain(&mut drop_one);
            }
            let fresh = Node::of(&keep);
            self.nodes[i] = fresh;
            removed += gone;
            lo = lo.min(i);
            hi = hi.max(i);
        }
        if removed == 0 {
            return 0;
        }
        self.len -= removed;
        // Drop the emptied nodes, then merge the thinned ones.
        let (mut i, mut end) = (lo, hi + 1);
        while i < end {
            if self.nodes[i].count == 0 {
                self.nodes.remove(i);
                end -= 1;
            } else {
                i += 1;
            }
        }
        // `end` is now the first node after the changed ones.
        self.merge_around(lo.saturating_sub(1), end);
        removed
    }

    /// Keeps only the elements from `start` to `end` inclusive (both in
    /// range).
    pub fn trim(&mut self, start: usize, end: usize) {
        let mut back = self.len.saturating_sub(end + 1);
        let mut front = start.min(self.len - back);
        self.len -= back + front;
        while back > 0 {
            let Some(n) = self.nodes.back_mut() else {
                break;
            };
            if n.count <= back {
                back -= n.count;
                self.nodes.pop_back();
            } else {
                n.drop_back(back);
                back = 0;
            }
        }
        while front > 0 {
            let Some(n) = self.nodes.front_mut() else {
                break;
            };
            if n.count <= front {
                front -= n.count;
                self.nodes.pop_front();
            } else {
                n.drop_front(front);
                front = 0;
            }
        }
    }

    /// How many nodes hold the elements (for tests of the layout).
    #[cfg(test)]
    fn node_counts(&self) -> Vec<usize> {
        self.nodes.iter().map(|n| n.count).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Push(Vec<u8>, bool),
        Pop(bool),
        Set(usize, Vec<u8>),
        Insert(usize, Vec<u8>),
        Remove(Vec<u8>, usize, bool),
        Trim(usize, usize),
        Get(usize),
        Range(usize, usize),
    }

    fn word() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            8 => prop::sample::select(vec![&b"a"[..], b"b", b"cc", b""]).prop_map(<[u8]>::to_vec),
            1 => (0usize..300).prop_map(|n| vec![b'z'; n]),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (word(), any::<bool>()).prop_map(|(w, f)| Op::Push(w, f)),
            3 => any::<bool>().prop_map(Op::Pop),
            1 => (0usize..64, word()).prop_map(|(i, w)| Op::Set(i, w)),
            2 => (0usize..64, word()).prop_map(|(i, w)| Op::Insert(i, w)),
            1 => (word(), 0usize..3, any::<bool>()).prop_map(|(w, l, t)| Op::Remove(w, l, t)),
            1 => (0usize..64, 0usize..64).prop_map(|(a, b)| Op::Trim(a, b)),
            1 => (0usize..64).prop_map(Op::Get),
            1 => (0usize..64, 0usize..64).prop_map(|(a, b)| Op::Range(a, b)),
        ]
    }

    /// Runs `ops` on a quicklist and on a deque side by side, checking
    /// every answer, the elements both ways, and that nodes stay within
    /// the limit (a lone oversized element excepted) and never empty.
    fn check(ops: &[Op]) -> Result<(), TestCaseError> {
        let mut q = Quicklist::default();
        let mut m: VecDeque<Vec<u8>> = VecDeque::new();
        for op in ops {
            match op.clone() {
                Op::Push(w, f) => {
                    q.push(&w, f);
                    if f {
                        m.push_front(w)
                    } else {
                        m.push_back(w)
                    }
                }
                Op::Pop(f) => {
                    let want = if f { m.pop_front() } else { m.pop_back() };
                    prop_assert_eq!(q.pop(f).map(Vec::from), want);
                }
                Op::Set(i, w) => {
                    let had = i < m.len();
                    prop_assert_eq!(q.set(i, &w), had);
                    if had {
                        m[i] = w;
                    }
                }
                Op::Insert(i, w) => {
                    let i = i.min(m.len());
                    q.insert(i, &w);
                    m.insert(i, w);
                }
                Op::Remove(w, limit, tail) => {
                    let mut left = if limit == 0 { usize::MAX } else { limit };
                    let mut keep: Vec<Vec<u8>> = m.iter().cloned().collect();
                    if tail {
                        keep.reverse();
                    }
                    let before = keep.len();
                    keep.retain(|e| {
                        let drop = left > 0 && *e == w;
                        left -= usize::from(drop);
                        !drop
                    });
                    if tail {
                        keep.reverse();
                    }
                    prop_assert_eq!(q.remove(&w, limit, tail), before - keep.len());
                    m = keep.into();
                }
                Op::Trim(a, b) => {
                    if m.is_empty() {
                        continue;
                    }
                    let (a, b) = (a.min(m.len() - 1), b.min(m.len() - 1));
                    if a > b {
                        continue;
                    }
                    q.trim(a, b);
                    m.truncate(b + 1);
                    m.drain(..a);
                }
                Op::Get(i) => prop_assert_eq!(q.get(i), m.get(i).map(Vec::as_slice)),
                Op::Range(a, b) => {
                    if a < m.len() && b < m.len() && a <= b {
                        let got: Vec<&[u8]> = q.range(a, b).collect();
                        let want: Vec<&[u8]> = m.range(a..=b).map(Vec::as_slice).collect();
                        prop_assert_eq!(got, want);
                    }
                }
            }
            prop_assert_eq!(q.len(), m.len());
            let fwd: Vec<&[u8]> = q.iter().collect();
            let want: Vec<&[u8]> = m.iter().map(Vec::as_slice).collect();
            prop_assert_eq!(&fwd, &want);
            let back: Vec<&[u8]> = q.iter().rev().collect();
            let want_back: Vec<&[u8]> = m.iter().rev().map(Vec::as_slice).collect();
            prop_assert_eq!(back, want_back);
            for n in &q.nodes {
                prop_assert!(n.count > 0, "an empty node");
                prop_assert!(node_fits(n.count, n.bytes()), "an overfull node");
                prop_assert_eq!(n.iter().count(), n.count);
            }
            prop_assert_eq!(q.node_counts().iter().sum::<usize>(), q.len());
        }
        Ok(())
    }

    thread_local! {
        pub(super) static FILL: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
    }

    fn with_limit<R>(limit: i64, f: impl FnOnce() -> R) -> R {
        FILL.with(|c| c.set(Some(limit)));
        let out = f();
        FILL.with(|c| c.set(None));
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Tiny nodes (three entries) make every split and merge happen.
        #[test]
        fn matches_a_deque_with_tiny_nodes(ops in prop::collection::vec(op(), 1..120)) {
            with_limit(3, || check(&ops))?;
        }

        /// Byte-bounded nodes, with elements that fill them quickly.
        #[test]
        fn matches_a_deque_with_byte_bounded_nodes(ops in prop::collection::vec(op(), 1..200)) {
            with_limit(-1, || check(&ops))?;
        }
    }

    #[test]
    fn a_long_list_fills_nodes_to_the_limit() {
        with_limit(-2, || {
            let mut q = Quicklist::default();
            for i in 0..10_000 {
                q.push(format!("element:{i:08}").as_bytes(), false);
            }
            let counts = q.node_counts();
            // 18 bytes an entry, 8 KiB a node.
            assert_eq!(counts[0], 8192 / 18);
            assert_eq!(q.get(9_999), Some(&b"element:00009999"[..]));
            for i in 0..5_000 {
                let want = format!("element:{i:08}");
                assert_eq!(q.pop(true).as_deref(), Some(want.as_bytes()));
            }
            assert_eq!(q.len(), 5_000);
            assert_eq!(q.get(0), Some(&b"element:00005000"[..]));
        });
    }

    /// Inserting again and again at one place splits the node there
    /// without leaving a trail of one-element nodes.
    #[test]
    fn repeated_inserts_in_the_middle_stay_packed() {
        with_limit(8, || {
            let mut q = Quicklist::default();
            for i in 0..64 {
                q.push(format!("{i}").as_bytes(), false);
            }
            for _ in 0..200 {
                q.insert(30, b"x");
            }
            assert_eq!(q.len(), 264);
            let nodes = q.node_counts().len();
            assert!(nodes <= 264 / 4 + 1, "{nodes} nodes");
        });
    }
}
