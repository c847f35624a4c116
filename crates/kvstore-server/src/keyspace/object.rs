//! Container values: lists, hashes, sets and sorted sets.
//!
//! Each type has a compact encoding for small values and a large one, as
//! Redis has (listpack/intset, then quicklist/hashtable/skiplist). A value
//! starts compact and converts once it passes the thresholds in
//! [`EncodingLimits`], which `CONFIG SET` changes under Redis's names.
//! Conversion goes one way only, as in Redis.
//!
//! The containers are changed in place through [`crate::keyspace::RecordMut`]:
//! a push on a million-element list is a push, never a re-encode.

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use bytes::Bytes;
use hashbrown::{DefaultHashBuilder, HashMap, HashSet};
use indexmap::IndexMap;
use kvstore_protocol::Value;

/// Conversion thresholds, read on every insert that could cross one. They
/// are process-wide, as Redis's are, and set from the config.
pub struct EncodingLimits {
    pub hash_max_listpack_entries: AtomicUsize,
    pub hash_max_listpack_value: AtomicUsize,
    /// Redis's `list-max-listpack-size`: positive is a count of entries,
    /// -1 to -5 a byte size of 4, 8, 16, 32 or 64 KiB.
    pub list_max_listpack_size: AtomicI64,
    pub set_max_intset_entries: AtomicUsize,
    pub zset_max_listpack_entries: AtomicUsize,
    pub zset_max_listpack_value: AtomicUsize,
}

pub static LIMITS: EncodingLimits = EncodingLimits {
    hash_max_listpack_entries: AtomicUsize::new(128),
    hash_max_listpack_value: AtomicUsize::new(64),
    list_max_listpack_size: AtomicI64::new(-2),
    set_max_intset_entries: AtomicUsize::new(512),
    zset_max_listpack_entries: AtomicUsize::new(128),
    zset_max_listpack_value: AtomicUsize::new(64),
};

fn limit(a: &AtomicUsize) -> usize {
    a.load(Ordering::Relaxed)
}

/// True if a list of `count` entries taking `bytes` fits one listpack node.
fn list_fits(count: usize, bytes: usize) -> bool {
    match LIMITS.list_max_listpack_size.load(Ordering::Relaxed) {
        n if n > 0 => count <= n as usize,
        n => {
            let shift = (-n).clamp(1, 5) as u32 - 1;
            bytes <= (4096usize << shift)
        }
    }
}

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
        super::varint::put_varint(&mut self.buf, item.len());
        self.buf.extend_from_slice(item);
        self.count += 1;
    }

    pub fn push_front(&mut self, item: &[u8]) {
        let mut head = Vec::with_capacity(item.len() + 10 + self.buf.len());
        super::varint::put_varint(&mut head, item.len());
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
            let (len, n) = super::varint::read_varint(&self.buf[at..]);
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
        let (len, n) = super::varint::read_varint(self.rest);
        let item = self.rest.get(n..n + len)?;
        self.rest = &self.rest[n + len..];
        Some(item)
    }
}

pub type Member = Box<[u8]>;

#[derive(Clone, PartialEq)]
pub enum List {
    Listpack(Listpack),
    Quicklist(VecDeque<Member>),
}

/// A hash keeps its fields in insertion order in both encodings, so that a
/// dictionary a seed client stores comes back exactly as it was sent.
#[derive(Clone, PartialEq)]
pub enum Hash {
    /// Field, value, field, value...
    Listpack(Listpack),
    Table(IndexMap<Member, Member, DefaultHashBuilder>),
}

#[derive(Clone, PartialEq)]
pub enum Set {
    /// Sorted, distinct.
    Intset(Vec<i64>),
    Table(HashSet<Member>),
}

#[derive(Clone, PartialEq)]
pub enum ZSet {
    /// Member, score (as text), in score order.
    Listpack(Listpack),
    Skiplist(SortedSet),
}

/// A score with a total order (NaN is refused before it gets here).
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
        self.0.total_cmp(&other.0)
    }
}

#[derive(Clone, Default, PartialEq)]
pub struct SortedSet {
    pub scores: HashMap<Member, f64>,
    pub order: BTreeSet<(Score, Member)>,
}

/// A container value.
#[derive(Clone, PartialEq)]
pub enum Object {
    List(List),
    Hash(Hash),
    Set(Set),
    ZSet(ZSet),
}

impl Object {
    /// The name `TYPE` gives it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::List(_) => "list",
            Object::Hash(_) => "hash",
            Object::Set(_) => "set",
            Object::ZSet(_) => "zset",
        }
    }

    /// The name `OBJECT ENCODING` gives the equivalent Redis state.
    pub fn encoding(&self) -> &'static str {
        match self {
            Object::List(List::Listpack(_)) => "listpack",
            Object::List(List::Quicklist(_)) => "quicklist",
            Object::Hash(Hash::Listpack(_)) => "listpack",
            Object::Hash(Hash::Table(_)) => "hashtable",
            Object::Set(Set::Intset(_)) => "intset",
            Object::Set(Set::Table(_)) => "hashtable",
            Object::ZSet(ZSet::Listpack(_)) => "listpack",
            Object::ZSet(ZSet::Skiplist(_)) => "skiplist",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Object::List(List::Listpack(l)) => l.len(),
            Object::List(List::Quicklist(q)) => q.len(),
            Object::Hash(Hash::Listpack(l)) => l.len() / 2,
            Object::Hash(Hash::Table(t)) => t.len(),
            Object::Set(Set::Intset(v)) => v.len(),
            Object::Set(Set::Table(t)) => t.len(),
            Object::ZSet(ZSet::Listpack(l)) => l.len() / 2,
            Object::ZSet(ZSet::Skiplist(s)) => s.scores.len(),
        }
    }

    /// Redis deletes a container when its last element goes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value as the seed protocol shows it: a list as an array, a hash
    /// as a dictionary, a set as a set, a sorted set as an array of
    /// member, score pairs in order.
    pub fn to_value(&self) -> Value {
        let bulk = |b: &[u8]| Value::Bulk(Bytes::copy_from_slice(b));
        match self {
            Object::List(List::Listpack(l)) => Value::Array(l.iter().map(bulk).collect()),
            Object::List(List::Quicklist(q)) => Value::Array(q.iter().map(|m| bulk(m)).collect()),
            Object::Hash(h) => Value::Map(h.pairs().map(|(f, v)| (bulk(f), bulk(v))).collect()),
            Object::Set(s) => Value::Set(s.members().map(|m| Value::Bulk(m.into())).collect()),
            Object::ZSet(z) => Value::Array(
                z.entries()
                    .flat_map(|(m, s)| [bulk(&m), Value::Double(s)])
                    .collect(),
            ),
        }
    }
}

impl Object {
    /// The native container for a seed value, where one holds it exactly:
    /// a non-empty array of strings is a list; a non-empty dictionary of
    /// strings to strings, with no field twice, is a hash. Anything else
    /// (empty, typed or nested elements) stays a seed value, because a
    /// Redis container would lose what makes it different.
    pub fn from_seed(v: &Value) -> Option<Object> {
        let text = |v: &Value| match v {
            Value::Bulk(b) => Some(b.clone()),
            _ => None,
        };
        match v {
            Value::Array(items) if !items.is_empty() => {
                let mut l = List::new();
                for i in items {
                    l.push(&text(i)?, false);
                }
                Some(Object::List(l))
            }
            Value::Map(pairs) if !pairs.is_empty() => {
                let mut h = Hash::new();
                for (f, v) in pairs {
                    if !h.insert(&text(f)?, &text(v)?) {
                        return None;
                    }
                }
                Some(Object::Hash(h))
            }
            _ => None,
        }
    }

    /// Rebuilds a container from its seed view ([`Object::to_value`]) and
    /// its `TYPE` name: how snapshots and `RESTORE` bring one back.
    pub fn from_value(kind: &str, value: &Value) -> Result<Object, String> {
        let text = |v: &Value| -> Result<Vec<u8>, String> {
            match v {
                Value::Bulk(b) | Value::Simple(b) => Ok(b.to_vec()),
                Value::Integer(n) => Ok(n.to_string().into_bytes()),
                other => Err(format!("a {kind} element is a {}", other.type_name())),
            }
        };
        match (kind, value) {
            ("list", Value::Array(items)) => {
                let mut l = List::new();
                for i in items {
                    l.push(&text(i)?, false);
                }
                Ok(Object::List(l))
            }
            ("hash", Value::Map(pairs)) => {
                let mut h = Hash::new();
                for (f, v) in pairs {
                    h.insert(&text(f)?, &text(v)?);
                }
                Ok(Object::Hash(h))
            }
            ("set", Value::Set(items)) => {
                let mut s = Set::new();
                for i in items {
                    s.insert(&text(i)?);
                }
                Ok(Object::Set(s))
            }
            ("zset", Value::Array(items)) if items.len() % 2 == 0 => {
                let mut z = ZSet::new();
                for pair in items.chunks_exact(2) {
                    let score = match &pair[1] {
                        Value::Double(d) if !d.is_nan() => *d,
                        Value::Integer(n) => *n as f64,
                        _ => return Err("a zset score is not a number".into()),
                    };
                    z.insert(&text(&pair[0])?, score);
                }
                Ok(Object::ZSet(z))
            }
            _ => Err(format!("not a {kind}: {}", value.type_name())),
        }
    }
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

    pub fn iter(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match self {
            List::Listpack(l) => Box::new(l.iter()),
            List::Quicklist(q) => Box::new(q.iter().map(|m| &**m)),
        }
    }
}

impl Default for List {
    fn default() -> Self {
        List::new()
    }
}

impl Hash {
    pub fn new() -> Hash {
        Hash::Listpack(Listpack::default())
    }

    pub fn pairs(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            Hash::Listpack(l) => {
                let mut it = l.iter();
                Box::new(std::iter::from_fn(move || Some((it.next()?, it.next()?))))
            }
            Hash::Table(t) => Box::new(t.iter().map(|(f, v)| (&**f, &**v))),
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(_) => self.pairs().find(|(f, _)| *f == field).map(|(_, v)| v),
            Hash::Table(t) => t.get(field).map(|v| &**v),
        }
    }

    /// Sets `field`; true if it is new.
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Hash::Listpack(l) = self {
            let max_value = limit(&LIMITS.hash_max_listpack_value);
            let small = field.len() <= max_value && value.len() <= max_value;
            let pos = l.iter().step_by(2).position(|f| f == field);
            let count = l.len() / 2 + usize::from(pos.is_none());
            if small && count <= limit(&LIMITS.hash_max_listpack_entries) {
                if let Some(p) = pos {
                    l.remove(2 * p);
                    l.remove(2 * p);
                }
                l.push_back(field);
                l.push_back(value);
                return pos.is_none();
            }
            let table: IndexMap<Member, Member, DefaultHashBuilder> = self
                .pairs()
                .map(|(f, v)| (Member::from(f), Member::from(v)))
                .collect();
            *self = Hash::Table(table);
        }
        match self {
            Hash::Table(t) => t.insert(field.into(), value.into()).is_none(),
            Hash::Listpack(_) => false,
        }
    }
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl Set {
    pub fn new() -> Set {
        Set::Intset(Vec::new())
    }

    /// Members as bytes (integers as their decimal text).
    pub fn members(&self) -> Box<dyn Iterator<Item = Vec<u8>> + '_> {
        match self {
            Set::Intset(v) => Box::new(v.iter().map(|n| n.to_string().into_bytes())),
            Set::Table(t) => Box::new(t.iter().map(|m| m.to_vec())),
        }
    }

    /// Adds `member`; true if it is new.
    pub fn insert(&mut self, member: &[u8]) -> bool {
        if let Set::Intset(v) = self {
            if let Some(n) = canonical_int(member) {
                match v.binary_search(&n) {
                    Ok(_) => return false,
                    Err(at) if v.len() < limit(&LIMITS.set_max_intset_entries) => {
                        v.insert(at, n);
                        return true;
                    }
                    Err(_) => {}
                }
            }
            let table: HashSet<Member> = v
                .iter()
                .map(|n| Member::from(n.to_string().as_bytes()))
                .collect();
            *self = Set::Table(table);
        }
        match self {
            Set::Table(t) => t.insert(member.into()),
            Set::Intset(_) => false,
        }
    }
}

impl Default for Set {
    fn default() -> Self {
        Set::new()
    }
}

impl ZSet {
    pub fn new() -> ZSet {
        ZSet::Listpack(Listpack::default())
    }

    /// Members with their scores, lowest score first (ties by member).
    pub fn entries(&self) -> Box<dyn Iterator<Item = (Vec<u8>, f64)> + '_> {
        match self {
            ZSet::Listpack(l) => {
                let mut it = l.iter();
                Box::new(std::iter::from_fn(move || {
                    let m = it.next()?;
                    let s = it.next()?;
                    let score = std::str::from_utf8(s).ok()?.parse().ok()?;
                    Some((m.to_vec(), score))
                }))
            }
            ZSet::Skiplist(s) => Box::new(s.order.iter().map(|(sc, m)| (m.to_vec(), sc.0))),
        }
    }

    /// Sets `member`'s score; true if it is new. `score` must not be NaN.
    pub fn insert(&mut self, member: &[u8], score: f64) -> bool {
        if let ZSet::Listpack(l) = self {
            let mut all: Vec<(Vec<u8>, f64)> = ZSet::Listpack(l.clone()).entries().collect();
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
                let mut lp = Listpack::default();
                for (m, s) in &all {
                    lp.push_back(m);
                    lp.push_back(format_score(*s).as_bytes());
                }
                *l = lp;
                return new;
            }
            let mut sorted = SortedSet::default();
            for (m, s) in all {
                sorted.insert(&m, s);
            }
            *self = ZSet::Skiplist(sorted);
            return new;
        }
        match self {
            ZSet::Skiplist(s) => s.insert(member, score),
            ZSet::Listpack(_) => false,
        }
    }
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::new()
    }
}

impl SortedSet {
    pub fn insert(&mut self, member: &[u8], score: f64) -> bool {
        let old = self.scores.insert(member.into(), score);
        if let Some(old) = old {
            self.order.remove(&(Score(old), Member::from(member)));
        }
        self.order.insert((Score(score), member.into()));
        old.is_none()
    }
}

/// A score as Redis writes it: the shortest text that reads back the same.
pub fn format_score(s: f64) -> String {
    if s.is_infinite() {
        return if s > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format!("{s}")
}

/// The integer a member spells in canonical decimal, if it does.
pub fn canonical_int(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let n: i64 = std::str::from_utf8(b).ok()?.parse().ok()?;
    (n.to_string().as_bytes() == b).then_some(n)
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
    fn hash_converts_on_count_and_on_value_size() {
        let mut h = Hash::new();
        assert!(h.insert(b"f", b"1"));
        assert!(!h.insert(b"f", b"2"));
        assert_eq!(h.get(b"f"), Some(&b"2"[..]));
        assert!(matches!(h, Hash::Listpack(_)));
        h.insert(b"big", &[b'x'; 65]);
        assert!(matches!(h, Hash::Table(_)));
        assert_eq!(h.get(b"f"), Some(&b"2"[..]));
        assert_eq!(Object::Hash(h).len(), 2);
    }

    #[test]
    fn set_is_an_intset_until_a_non_integer() {
        let mut s = Set::new();
        assert!(s.insert(b"3"));
        assert!(s.insert(b"-1"));
        assert!(!s.insert(b"3"));
        assert!(matches!(s, Set::Intset(_)));
        assert!(s.insert(b"007"), "not canonical: a string member");
        assert!(matches!(s, Set::Table(_)));
        let mut m: Vec<Vec<u8>> = s.members().collect();
        m.sort();
        assert_eq!(m, [b"-1".to_vec(), b"007".to_vec(), b"3".to_vec()]);
    }

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
    }
}
