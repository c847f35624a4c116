//! Sorted sets: a listpack of member, score pairs in order while small,
//! then an ordered set with a hash index (Redis's skiplist and dict).
//!
//! The order is a treap whose nodes count their subtrees, so a rank, the
//! entry at a rank and where a score range starts are O(log n), as with
//! Redis's skiplist and its spans. Each member is stored once, in its tree
//! node; the hash index holds only node numbers and hashes the member it
//! finds there, as Redis's dict and skiplist share one string.

use std::cmp::Ordering;

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::{limit, Listpack, Member, LIMITS};

#[derive(Clone, PartialEq)]
pub enum ZSet {
    /// Member, score (as text), in score order.
    Listpack(Listpack),
    /// Boxed so that a small sorted set's value stays small.
    Skiplist(Box<SortedSet>),
}

/// A score with a total order (NaN is refused before it gets here). As in
/// Redis, -0 and 0 compare equal, and equal scores order by member.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score(pub f64);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .partial_cmp(&other.0)
            .unwrap_or_else(|| self.0.total_cmp(&other.0))
    }
}

#[derive(Clone, Default)]
pub struct SortedSet {
    /// The node of every member, found by the member's hash.
    index: HashTable<usize>,
    order: OrderTree,
}

impl PartialEq for SortedSet {
    /// The scores decide the order, so they are the whole value.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .order
                .iter_at(0, false)
                .all(|(sc, m)| other.score(m) == Some(sc.0))
    }
}

/// A member with its score, as queries hand them out.
pub type Entry = (Vec<u8>, f64);

type Walk<'a> = Box<dyn Iterator<Item = Entry> + 'a>;

impl ZSet {
    /// See [`super::Object::memory`].
    pub fn memory(&self, samples: usize) -> usize {
        match self {
            ZSet::Listpack(l) => l.memory(),
            ZSet::Skiplist(s) => {
                super::alloc_size(std::mem::size_of::<SortedSet>()) + s.memory(samples)
            }
        }
    }

    pub fn new() -> ZSet {
        ZSet::Listpack(Listpack::default())
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(l) => l.len() / 2,
            ZSet::Skiplist(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_listpack(&self) -> bool {
        matches!(self, ZSet::Listpack(_))
    }

    /// Calls `f` on each member and its score, lowest score first, with
    /// the member borrowed: [`ZSet::entries`] without a copy of each.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            ZSet::Listpack(l) => {
                let mut it = l.iter();
                while let (Some(m), Some(s)) = (it.next(), it.next()) {
                    f(m, parse_stored(s).unwrap_or(0.0));
                }
            }
            ZSet::Skiplist(s) => s.order.iter_at(0, false).for_each(|(sc, m)| f(m, sc.0)),
        }
    }

    /// Members with their scores, lowest score first (ties by member).
    pub fn entries(&self) -> Walk<'_> {
        self.walk(false)
    }

    /// Every entry in order, or in reverse order if `rev`.
    pub fn walk(&self, rev: bool) -> Walk<'_> {
        match self {
            ZSet::Listpack(l) => {
                let mut all = listpack_entries(l);
                if rev {
                    all.reverse();
                }
                Box::new(all.into_iter())
            }
            ZSet::Skiplist(s) => s.walk_at(0, rev),
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(l) => {
                let mut it = l.iter();
                while let (Some(m), Some(s)) = (it.next(), it.next()) {
                    if m == member {
                        return parse_stored(s);
                    }
                }
                None
            }
            ZSet::Skiplist(s) => s.score(member),
        }
    }

    /// Sets `member`'s score; true if it is new. `score` must not be NaN.
    pub fn insert(&mut self, member: &[u8], score: f64) -> bool {
        match self {
            ZSet::Skiplist(s) => s.insert(member, score),
            ZSet::Listpack(l) => {
                let mut all = listpack_entries(l);
                let pos = all.iter().position(|(m, _)| m == member);
                let new = pos.is_none();
                match pos {
                    Some(p) => all[p].1 = score,
                    None => all.push((member.to_vec(), score)),
                }
                let small = all.len() <= limit(&LIMITS.zset_max_listpack_entries)
                    && member.len() <= limit(&LIMITS.zset_max_listpack_value);
                if small {
                    all.sort_by(|a, b| Score(a.1).cmp(&Score(b.1)).then_with(|| a.0.cmp(&b.0)));
                    *l = encode_listpack(&all);
                } else {
                    let mut sorted = SortedSet::default();
                    for (m, s) in all {
                        sorted.insert(&m, s);
                    }
                    *self = ZSet::Skiplist(Box::new(sorted));
                }
                new
            }
        }
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::Skiplist(s) => s.remove(member),
            ZSet::Listpack(l) => {
                let mut all = listpack_entries(l);
                let before = all.len();
                all.retain(|(m, _)| m != member);
                if all.len() == before {
                    return false;
                }
                *l = encode_listpack(&all);
                true
            }
        }
    }

    /// Removes every member of `doomed` (a set of members it holds or
    /// not); how many were there. One re-encoding for the small encoding.
    pub fn remove_all(&mut self, doomed: &hashbrown::HashSet<&[u8]>) -> usize {
        match self {
            ZSet::Skiplist(s) => doomed.iter().filter(|m| s.remove(m)).count(),
            ZSet::Listpack(l) => {
                let mut all = listpack_entries(l);
                let before = all.len();
                all.retain(|(m, _)| !doomed.contains(&m[..]));
                if all.len() != before {
                    *l = encode_listpack(&all);
                }
                before - all.len()
            }
        }
    }

    /// The 0-based rank of `member`, from the top if `rev`.
    pub fn rank(&self, member: &[u8], rev: bool) -> Option<usize> {
        match self {
            ZSet::Listpack(_) => self.walk(rev).position(|(m, _)| m == member),
            ZSet::Skiplist(s) => {
                let score = s.score(member)?;
                let below = s.order.rank(Score(score), member);
                Some(if rev { s.len() - 1 - below } else { below })
            }
        }
    }

    /// How many entries, from the lowest, satisfy `pred`, which must hold
    /// for a prefix of the order: a tree descent in the large encoding.
    pub fn prefix_len(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match self {
            ZSet::Skiplist(s) => s.order.prefix_len(|sc, m| pred(sc.0, m)),
            ZSet::Listpack(_) => self.walk(false).take_while(|(m, s)| pred(*s, m)).count(),
        }
    }

    /// Entries from rank `start` (counted from the top if `rev`) onwards.
    pub fn walk_from_rank(&self, start: usize, rev: bool) -> Walk<'_> {
        match self {
            ZSet::Skiplist(s) => s.walk_at(start, rev),
            ZSet::Listpack(_) => Box::new(self.walk(rev).skip(start)),
        }
    }

    /// The entry at rank `i`, if there is one.
    pub fn nth(&self, i: usize) -> Option<Entry> {
        match self {
            ZSet::Skiplist(s) => s.order.get(i).map(|(sc, m)| (m.to_vec(), sc.0)),
            ZSet::Listpack(_) => self.walk(false).nth(i),
        }
    }

    /// Entries `start..=stop` (already in range) in order, or reversed.
    pub fn by_index(&self, start: usize, stop: usize, rev: bool) -> Vec<Entry> {
        let walk = match self {
            ZSet::Skiplist(s) => s.walk_at(start, rev),
            ZSet::Listpack(_) => Box::new(self.walk(rev).skip(start)),
        };
        walk.take(stop - start + 1).collect()
    }

    /// Entries in order from the first with a score at or above `score`
    /// (if `rev`, in reverse order from the last at or below it): where a
    /// score range starts, found by a tree search in the large encoding.
    pub fn walk_from(&self, score: f64, rev: bool) -> Walk<'_> {
        match self {
            ZSet::Skiplist(s) => s.seek_score(score, rev),
            ZSet::Listpack(_) if rev => Box::new(self.walk(rev).skip_while(move |e| e.1 > score)),
            ZSet::Listpack(_) => Box::new(self.walk(rev).skip_while(move |e| e.1 < score)),
        }
    }
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::new()
    }
}

impl SortedSet {
    fn memory(&self, samples: usize) -> usize {
        let t = &self.order;
        super::table_bytes(self.index.capacity(), std::mem::size_of::<usize>())
            + super::alloc_size(t.nodes.capacity() * std::mem::size_of::<Node>())
            + super::alloc_size(t.free.capacity() * std::mem::size_of::<usize>())
            + super::sampled(
                self.len(),
                samples,
                t.nodes
                    .iter()
                    .filter(|n| !n.member.is_empty())
                    .map(|n| super::alloc_size(n.member.len())),
            )
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn find(&self, member: &[u8]) -> Option<usize> {
        let nodes = &self.order.nodes;
        let hash = self.order.hasher.hash_one(member);
        self.index
            .find(hash, |&i| *nodes[i].member == *member)
            .copied()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|i| self.order.nodes[i].score.0)
    }

    /// Sets `member`'s score; true if it is new. A new score moves the
    /// member's node in the tree; its bytes stay where they are.
    pub fn insert(&mut self, member: &[u8], score: f64) -> bool {
        if let Some(i) = self.find(member) {
            if self.order.nodes[i].score != Score(score) {
                self.order.detach(i);
                self.order.nodes[i].score = Score(score);
                self.order.attach(i);
            } else {
                // Equal but maybe not the same (0 and -0): keep the new one.
                self.order.nodes[i].score = Score(score);
            }
            return false;
        }
        let i = self.order.insert(Score(score), member.into());
        let (nodes, hasher) = (&self.order.nodes, &self.order.hasher);
        let hash = hasher.hash_one(member);
        self.index
            .insert_unique(hash, i, |&j| hasher.hash_one(&*nodes[j].member));
        true
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        let nodes = &self.order.nodes;
        let hash = self.order.hasher.hash_one(member);
        let Ok(entry) = self
            .index
            .find_entry(hash, |&i| *nodes[i].member == *member)
        else {
            return false;
        };
        let (i, _) = entry.remove();
        self.order.remove(i);
        if self.index.is_empty() {
            // Empty: give the tables back rather than keep their peak size.
            *self = SortedSet {
                index: HashTable::new(),
                order: OrderTree {
                    hasher: self.order.hasher.clone(),
                    ..OrderTree::default()
                },
            };
        }
        true
    }

    /// Entries from rank `start` (counted from the top if `rev`) onwards.
    fn walk_at(&self, start: usize, rev: bool) -> Walk<'_> {
        Box::new(
            self.order
                .iter_at(start, rev)
                .map(|(sc, m)| (m.to_vec(), sc.0)),
        )
    }

    /// Entries from the first that could be in a range starting at
    /// `score`: a tree search, not a walk.
    fn seek_score(&self, score: f64, rev: bool) -> Walk<'_> {
        if !rev {
            return self.walk_at(self.order.rank(Score(score), b""), false);
        }
        let above = if score == f64::INFINITY {
            0
        } else {
            self.order.len() - self.order.rank(Score(score.next_up()), b"")
        };
        self.walk_at(above, true)
    }
}

/// No node.
const NIL: usize = usize::MAX;

/// Where a subtree hangs: the root, or a side of a node.
#[derive(Clone, Copy)]
enum Link {
    Root,
    Left(usize),
    Right(usize),
}

#[derive(Clone)]
struct Node {
    score: Score,
    member: Member,
    left: usize,
    right: usize,
    /// Nodes in this subtree, itself included.
    size: usize,
}

/// A treap of (score, member) in an arena, each node knowing its subtree's
/// size. A node's priority is a keyed hash of its place in the arena, with
/// a key of the process's own choosing, never stored: clients can neither
/// pick nor predict it, so the expected depth is O(log n) whatever they
/// insert.
#[derive(Clone)]
struct OrderTree {
    nodes: Vec<Node>,
    free: Vec<usize>,
    root: usize,
    hasher: DefaultHashBuilder,
}

impl Default for OrderTree {
    fn default() -> Self {
        OrderTree {
            nodes: Vec::new(),
            free: Vec::new(),
            root: NIL,
            hasher: DefaultHashBuilder::default(),
        }
    }
}

impl OrderTree {
    fn len(&self) -> usize {
        self.size(self.root)
    }

    fn size(&self, t: usize) -> usize {
        if t == NIL {
            0
        } else {
            self.nodes[t].size
        }
    }

    fn prio(&self, t: usize) -> u64 {
        self.hasher.hash_one(t)
    }
    fn fix(&mut self, t: usize) {
        let n = &self.nodes[t];
        let size = 1 + self.size(n.left) + self.size(n.right);
        self.nodes[t].size = size;
    }

    /// Node `t`'s key against (score, member), which is node `me`'s key
    /// (NIL if no node's): `me`'s member may be out of it while it is used.
    fn cmp(&self, t: usize, score: Score, member: &[u8], me: usize) -> Ordering {
        if t == me {
            return Ordering::Equal;
        }
        let n = &self.nodes[t];
        n.score.cmp(&score).then_with(|| n.member[..].cmp(member))
    }

    /// Splits `t` into the keys below (score, member), or at or below it if
    /// `incl`, and the rest.
    fn split(&mut self, t: usize, key: (Score, &[u8], usize), incl: bool) -> (usize, usize) {
        if t == NIL {
            return (NIL, NIL);
        }
        let c = self.cmp(t, key.0, key.1, key.2);
        if c == Ordering::Less || (incl && c == Ordering::Equal) {
            let (l, r) = self.split(self.nodes[t].right, key, incl);
            self.nodes[t].right = l;
            self.fix(t);
            (t, r)
        } else {
            let (l, r) = self.split(self.nodes[t].left, key, incl);
            self.nodes[t].left = r;
            self.fix(t);
            (l, t)
        }
    }

    /// Joins two treaps, every key of `a` below every key of `b`.
    fn merge(&mut self, a: usize, b: usize) -> usize {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.prio(a) > self.prio(b) {
            let r = self.merge(self.nodes[a].right, b);
            self.nodes[a].right = r;
            self.fix(a);
            a
        } else {
            let l = self.merge(a, self.nodes[b].left);
            self.nodes[b].left = l;
            self.fix(b);
            b
        }
    }

    /// Adds (score, member), which must not be there yet; its node.
    fn insert(&mut self, score: Score, member: Member) -> usize {
        let node = Node {
            score,
            member,
            left: NIL,
            right: NIL,
            size: 1,
        };
        let n = match self.free.pop() {
            Some(i) => {
                self.nodes[i] = node;
                i
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        };
        self.attach(n);
        n
    }

    /// Puts node `n`, not in the tree, in its place by its key: down the
    /// search path while the nodes outrank it, then the rest of the path
    /// split around it. One pass down, where split-then-merge took three.
    fn attach(&mut self, n: usize) {
        let node = &mut self.nodes[n];
        (node.left, node.right, node.size) = (NIL, NIL, 1);
        let score = node.score;
        let member = std::mem::take(&mut node.member);
        let p = self.prio(n);
        let mut link = Link::Root;
        let mut t = self.root;
        while t != NIL && self.prio(t) > p {
            self.nodes[t].size += 1;
            if self.cmp(t, score, &member, NIL) == Ordering::Greater {
                link = Link::Left(t);
                t = self.nodes[t].left;
            } else {
                link = Link::Right(t);
                t = self.nodes[t].right;
            }
        }
        let (l, r) = self.split(t, (score, &member, NIL), false);
        let node = &mut self.nodes[n];
        (node.left, node.right, node.member) = (l, r, member);
        self.fix(n);
        self.set(link, n);
    }

    /// Takes node `n` out of the tree, keeping it in the arena: down the
    /// search path to it, then its two subtrees merged in its place.
    fn detach(&mut self, n: usize) {
        let score = self.nodes[n].score;
        let member = std::mem::take(&mut self.nodes[n].member);
        let mut link = Link::Root;
        let mut t = self.root;
        while t != n && t != NIL {
            self.nodes[t].size -= 1;
            if self.cmp(t, score, &member, n) == Ordering::Greater {
                link = Link::Left(t);
                t = self.nodes[t].left;
            } else {
                link = Link::Right(t);
                t = self.nodes[t].right;
            }
        }
        self.nodes[n].member = member;
        if t == n {
            let merged = self.merge(self.nodes[n].left, self.nodes[n].right);
            self.set(link, merged);
        }
    }

    /// Points `link` at `t`.
    fn set(&mut self, link: Link, t: usize) {
        match link {
            Link::Root => self.root = t,
            Link::Left(p) => self.nodes[p].left = t,
            Link::Right(p) => self.nodes[p].right = t,
        }
    }

    /// Takes node `n` out of the tree and frees it.
    fn remove(&mut self, n: usize) {
        self.detach(n);
        self.nodes[n].member = Member::default();
        self.free.push(n);
    }

    /// How many keys are below (score, member).
    fn rank(&self, score: Score, member: &[u8]) -> usize {
        self.prefix_len(|s, m| s.cmp(&score).then_with(|| m.cmp(member)) == Ordering::Less)
    }

    /// How many keys, from the lowest, satisfy `pred` (true on a prefix).
    fn prefix_len(&self, pred: impl Fn(Score, &[u8]) -> bool) -> usize {
        let (mut t, mut below) = (self.root, 0);
        while t != NIL {
            let n = &self.nodes[t];
            if pred(n.score, &n.member) {
                below += self.size(self.nodes[t].left) + 1;
                t = self.nodes[t].right;
            } else {
                t = self.nodes[t].left;
            }
        }
        below
    }

    /// In-order keys from rank `start` (from the top if `rev`): a descent
    /// to the start, then O(1) amortized per key.
    fn iter_at(&self, start: usize, rev: bool) -> InOrder<'_> {
        let mut it = InOrder {
            tree: self,
            stack: Vec::new(),
            rev,
        };
        let (mut t, mut k) = (self.root, start);
        while t != NIL {
            let n = &self.nodes[t];
            let (near, far) = if rev {
                (n.right, n.left)
            } else {
                (n.left, n.right)
            };
            let before = self.size(near);
            match k.cmp(&before) {
                Ordering::Less => {
                    it.stack.push(t);
                    t = near;
                }
                Ordering::Equal => {
                    it.stack.push(t);
                    break;
                }
                Ordering::Greater => {
                    k -= before + 1;
                    t = far;
                }
            }
        }
        it
    }

    /// The key at rank `i`.
    fn get(&self, mut i: usize) -> Option<(Score, &[u8])> {
        let mut t = self.root;
        while t != NIL {
            let left = self.size(self.nodes[t].left);
            match i.cmp(&left) {
                Ordering::Less => t = self.nodes[t].left,
                Ordering::Equal => return Some((self.nodes[t].score, &self.nodes[t].member)),
                Ordering::Greater => {
                    i -= left + 1;
                    t = self.nodes[t].right;
                }
            }
        }
        None
    }
}

/// The walk [`OrderTree::iter_at`] starts: the stack holds the nodes still
/// to visit whose far subtrees are not yet entered.
struct InOrder<'a> {
    tree: &'a OrderTree,
    stack: Vec<usize>,
    rev: bool,
}

impl<'a> Iterator for InOrder<'a> {
    type Item = (Score, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let nodes = &self.tree.nodes;
        let t = self.stack.pop()?;
        let n = &nodes[t];
        let mut c = if self.rev { n.left } else { n.right };
        while c != NIL {
            self.stack.push(c);
            c = if self.rev {
                nodes[c].right
            } else {
                nodes[c].left
            };
        }
        Some((n.score, &n.member[..]))
    }
}

fn listpack_entries(l: &Listpack) -> Vec<Entry> {
    let mut out = Vec::with_capacity(l.len() / 2);
    let mut it = l.iter();
    while let (Some(m), Some(s)) = (it.next(), it.next()) {
        out.push((m.to_vec(), parse_stored(s).unwrap_or(0.0)));
    }
    out
}

fn encode_listpack(all: &[Entry]) -> Listpack {
    // Redis's listpack keeps "-0" as the integer 0: the sign is lost.
    let scores: Vec<String> = all
        .iter()
        .map(|(_, s)| format_score(if *s == 0.0 { 0.0 } else { *s }))
        .collect();
    Listpack::from_items(
        all.iter()
            .zip(&scores)
            .flat_map(|((m, _), s)| [&m[..], s.as_bytes()]),
    )
}

/// A score as the listpack keeps it (always text [`format_score`] wrote).
fn parse_stored(s: &[u8]) -> Option<f64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// A score as Redis 7.0 writes it: C's `"%.17g"` ("inf" and "-inf" for
/// the infinities), which reads back exactly.
pub fn format_score(s: f64) -> String {
    if s.is_infinite() {
        return if s > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if s == 0.0 {
        return if s.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // 17 significant digits, correctly rounded, as glibc prints them.
    let sci = format!("{s:.16e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if s < 0.0 { "-" } else { "" };
    let all: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = all.trim_end_matches('0');
    if !(-4..17).contains(&exp) {
        let (head, tail) = digits.split_at(1);
        let dot = if tail.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{head}{dot}{tail}e{esign}{:02}", exp.abs());
    }
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        let zeros = "0".repeat(int_len - digits.len());
        format!("{sign}{digits}{zeros}")
    } else {
        let (int, frac) = digits.split_at(int_len);
        format!("{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zset_orders_by_score_then_member_in_both_encodings() {
        let mut z = ZSet::new();
        z.insert(b"b", 1.0);
        z.insert(b"a", 1.0);
        z.insert(b"c", -2.5);
        let order = |z: &ZSet| z.entries().map(|(m, _)| m).collect::<Vec<_>>();
        assert_eq!(order(&z), [b"c".to_vec(), b"a".to_vec(), b"b".to_vec()]);
        let before = order(&z);
        z.insert(&[b'm'; 65], 10.0);
        assert!(matches!(z, ZSet::Skiplist(_)));
        assert_eq!(order(&z)[..3], before[..]);
        assert!(!z.insert(b"a", 20.0));
        assert_eq!(order(&z).last(), Some(&b"a".to_vec()));
        assert_eq!(z.rank(b"a", false), Some(3));
        assert_eq!(z.rank(b"a", true), Some(0));
        assert!(z.remove(b"a"));
        assert_eq!(z.len(), 3);
    }

    #[test]
    fn scores_print_as_percent_17g() {
        let cases = [
            (1.5, "1.5"),
            (0.1, "0.10000000000000001"),
            (1e20, "1e+20"),
            (1.0, "1"),
            (-3.0, "-3"),
            (100.0, "100"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (1.2345e-7, "1.2345000000000001e-07"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (-0.0, "-0"),
            (123456.789, "123456.789"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ];
        for (x, want) in cases {
            assert_eq!(format_score(x), want, "{x}");
        }
    }

    /// The tree against a sorted vector: ranks, entries at ranks, and
    /// where score ranges start, through inserts, updates and removals.
    #[test]
    fn the_large_encoding_matches_a_sorted_model() {
        let mut z = SortedSet::default();
        let mut model: Vec<(Score, Vec<u8>)> = Vec::new();
        let mut x: u64 = 7;
        for step in 0..3000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let member = format!("m{}", (x >> 33) % 300).into_bytes();
            let score = ((x >> 20) % 50) as f64 / 2.0;
            if (x >> 11).is_multiple_of(4) {
                let had = model.iter().any(|(_, m)| *m == member);
                assert_eq!(z.remove(&member), had);
                model.retain(|(_, m)| *m != member);
            } else {
                let new = !model.iter().any(|(_, m)| *m == member);
                assert_eq!(z.insert(&member, score), new);
                model.retain(|(_, m)| *m != member);
                model.push((Score(score), member));
                model.sort();
            }
            if !step.is_multiple_of(97) {
                continue;
            }
            let zs = ZSet::Skiplist(Box::new(z.clone()));
            let all: Vec<Entry> = model.iter().map(|(s, m)| (m.clone(), s.0)).collect();
            assert_eq!(zs.walk(false).collect::<Vec<_>>(), all);
            let mut rev = all.clone();
            rev.reverse();
            assert_eq!(zs.walk(true).collect::<Vec<_>>(), rev);
            for (i, (m, _)) in all.iter().enumerate() {
                assert_eq!(zs.rank(m, false), Some(i));
                assert_eq!(zs.rank(m, true), Some(all.len() - 1 - i));
            }
            for probe in [-1.0, 0.0, 3.5, 3.7, 24.5, 30.0] {
                let up: Vec<_> = all.iter().filter(|e| e.1 >= probe).cloned().collect();
                assert_eq!(zs.walk_from(probe, false).collect::<Vec<_>>(), up);
                let down: Vec<_> = rev.iter().filter(|e| e.1 <= probe).cloned().collect();
                assert_eq!(zs.walk_from(probe, true).collect::<Vec<_>>(), down);
            }
            if all.len() > 3 {
                assert_eq!(zs.by_index(1, 3, false), all[1..=3].to_vec());
                assert_eq!(zs.by_index(1, 3, true), rev[1..=3].to_vec());
            }
        }
    }

    #[test]
    fn walks_from_a_score_in_both_encodings() {
        let mut small = ZSet::new();
        let mut large = ZSet::Skiplist(Box::default());
        for z in [&mut small, &mut large] {
            for (i, m) in ["a", "b", "c", "d"].iter().enumerate() {
                z.insert(m.as_bytes(), i as f64);
            }
        }
        for z in [&small, &large] {
            let names = |w: Walk<'_>| w.map(|(m, _)| m).collect::<Vec<_>>();
            assert_eq!(names(z.walk_from(1.5, false)), [b"c", b"d"]);
            assert_eq!(names(z.walk_from(1.5, true)), [b"b", b"a"]);
            assert_eq!(names(z.walk_from(-0.0, false)).len(), 4);
        }
    }
}
