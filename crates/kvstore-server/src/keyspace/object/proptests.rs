//! Each container type against a plain model, through random sequences of
//! its operations.
//!
//! Every case is a random prefix, one operation that must cross from the
//! compact encoding to the large one, and a random suffix, so both
//! encodings and the conversion itself are exercised with whatever state
//! the prefix left. The thresholds are process-wide and other tests of
//! this binary assume their defaults, so these never change them: they
//! cross them with long elements and with bulk inserts just past the
//! default counts instead. Conversion is one way, so once large a value
//! must stay large.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use proptest::prelude::*;

use super::{Hash, List, Set, ZSet};
use crate::keyspace::object::zset::Score;

/// A random prefix, the crossing operation, a random suffix.
fn case<T: std::fmt::Debug + Clone>(
    op: impl Strategy<Value = T> + Clone,
    cross: impl Strategy<Value = T>,
) -> impl Strategy<Value = (Vec<T>, T, Vec<T>)> {
    (
        prop::collection::vec(op.clone(), 0..30),
        cross,
        prop::collection::vec(op, 0..30),
    )
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------- lists

#[derive(Debug, Clone)]
enum LOp {
    Push(bool, Vec<u8>),
    Pop(bool),
    Get(usize),
    Set(usize, Vec<u8>),
    Insert(Vec<u8>, Vec<u8>, bool),
    Remove(Vec<u8>, usize, bool),
    Trim(usize, usize, bool),
    Range(usize, usize),
}

/// Mostly one-letter elements (so that pivots and removals match), now
/// and then one long enough that a few pass the 8 KiB of `-2`.
fn list_item() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop_oneof![
        12 => "[a-d]".prop_map(String::into_bytes),
        1 => (b'a'..b'e', 1000..3000usize).prop_map(|(c, n)| vec![c; n]),
    ]
}

fn list_op() -> impl Strategy<Value = LOp> + Clone {
    prop_oneof![
        6 => (any::<bool>(), list_item()).prop_map(|(f, i)| LOp::Push(f, i)),
        2 => any::<bool>().prop_map(LOp::Pop),
        1 => (0..12usize).prop_map(LOp::Get),
        1 => (0..12usize, list_item()).prop_map(|(i, v)| LOp::Set(i, v)),
        2 => (list_item(), list_item(), any::<bool>()).prop_map(|(p, v, a)| LOp::Insert(p, v, a)),
        1 => (list_item(), 0..3usize, any::<bool>()).prop_map(|(v, n, t)| LOp::Remove(v, n, t)),
        1 => (0..12usize, 0..12usize, prop::bool::weighted(0.9)).prop_map(|(s, e, k)| LOp::Trim(s, e, k)),
        2 => (0..12usize, 0..12usize).prop_map(|(s, e)| LOp::Range(s, e)),
    ]
}

fn apply_list(l: &mut List, m: &mut VecDeque<Vec<u8>>, op: LOp) -> Result<(), TestCaseError> {
    match op {
        LOp::Push(front, item) => {
            l.push(&item, front);
            if front {
                m.push_front(item);
            } else {
                m.push_back(item);
            }
        }
        LOp::Pop(front) => {
            let want = if front { m.pop_front() } else { m.pop_back() };
            prop_assert_eq!(l.pop(front).map(Vec::from), want);
        }
        LOp::Get(i) => prop_assert_eq!(l.get(i), m.get(i).map(Vec::as_slice)),
        LOp::Set(i, item) => {
            let there = i < m.len();
            prop_assert_eq!(l.set(i, &item), there);
            if there {
                m[i] = item;
            }
        }
        LOp::Insert(pivot, item, after) => {
            let at = m.iter().position(|e| *e == pivot);
            prop_assert_eq!(l.insert(&pivot, &item, after), at.is_some());
            if let Some(at) = at {
                m.insert(at + usize::from(after), item);
            }
        }
        LOp::Remove(item, limit, from_tail) => {
            let mut idx: Vec<usize> = (0..m.len()).filter(|&i| m[i] == item).collect();
            if from_tail {
                idx.reverse();
            }
            if limit > 0 {
                idx.truncate(limit);
            }
            prop_assert_eq!(l.remove(&item, limit, from_tail), idx.len());
            idx.sort_unstable();
            for i in idx.into_iter().rev() {
                m.remove(i);
            }
        }
        // The commands resolve indexes before calling these: both in
        // range, start at most end.
        LOp::Trim(start, end, keep) => {
            if m.is_empty() {
                return Ok(());
            }
            let (start, end) = sorted_in(start, end, m.len());
            l.trim(start, end, keep);
            if keep {
                *m = m.range(start..=end).cloned().collect();
            } else {
                m.clear();
            }
        }
        LOp::Range(start, end) => {
            if m.is_empty() {
                return Ok(());
            }
            let (start, end) = sorted_in(start, end, m.len());
            let got: Vec<&[u8]> = l.range(start, end).collect();
            let want: Vec<&[u8]> = m.range(start..=end).map(Vec::as_slice).collect();
            prop_assert_eq!(got, want);
        }
    }
    Ok(())
}

fn sorted_in(a: usize, b: usize, len: usize) -> (usize, usize) {
    let (a, b) = (a.min(len - 1), b.min(len - 1));
    (a.min(b), a.max(b))
}

fn check_list(l: &List, m: &VecDeque<Vec<u8>>) -> Result<(), TestCaseError> {
    prop_assert_eq!(l.len(), m.len());
    prop_assert!(l.iter().eq(m.iter().map(Vec::as_slice)));
    prop_assert!(l.iter_rev().eq(m.iter().rev().map(Vec::as_slice)));
    Ok(())
}

fn list_is_large(l: &List) -> bool {
    matches!(l, List::Quicklist(_))
}

proptest! {
    #![proptest_config(config())]

    /// A list against a `VecDeque`.
    #[test]
    fn list_matches_a_deque(
        (prefix, cross, suffix) in case(list_op(), Just(LOp::Push(false, vec![b'z'; 9000])))
    ) {
        let (mut l, mut m) = (List::new(), VecDeque::new());
        for op in prefix {
            apply_list(&mut l, &mut m, op)?;
            check_list(&l, &m)?;
        }
        apply_list(&mut l, &mut m, cross)?;
        prop_assert!(list_is_large(&l), "9000 bytes fit no listpack of -2");
        // An emptied list may start afresh (its key is deleted then), so
        // only a list that has stayed non-empty since must stay large.
        let mut emptied = false;
        for op in suffix {
            apply_list(&mut l, &mut m, op)?;
            check_list(&l, &m)?;
            emptied |= l.is_empty();
            prop_assert!(emptied || list_is_large(&l), "a list never converts back");
        }
    }
}

// ---------------------------------------------------------------- hashes

#[derive(Debug, Clone)]
enum HOp {
    Insert(Vec<u8>, Vec<u8>),
    Remove(Vec<u8>),
    Get(Vec<u8>),
    /// Adds fields `fill0`.. up to this many fields in all.
    Fill(usize),
}

/// A few short fields; now and then a field or value past the 64 bytes of
/// `hash-max-listpack-value`.
fn hash_field() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop_oneof![
        15 => "[a-h]".prop_map(String::into_bytes),
        1 => (65..80usize).prop_map(|n| vec![b'F'; n]),
    ]
}

fn hash_value() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop_oneof![
        15 => "[0-9]{0,3}".prop_map(String::into_bytes),
        1 => (60..70usize).prop_map(|n| vec![b'v'; n]),
    ]
}

fn hash_op() -> impl Strategy<Value = HOp> + Clone {
    prop_oneof![
        6 => (hash_field(), hash_value()).prop_map(|(f, v)| HOp::Insert(f, v)),
        3 => hash_field().prop_map(HOp::Remove),
        2 => hash_field().prop_map(HOp::Get),
        // Around the 512 of hash-max-listpack-entries.
        1 => (505..520usize).prop_map(HOp::Fill),
    ]
}

/// The model: values by field, and the field order the hash documents:
/// insertion order, kept on overwrite and, in a listpack, on removal; a
/// table moves its last field into the hole.
#[derive(Default)]
struct HashModel {
    values: HashMap<Vec<u8>, Vec<u8>>,
    order: Vec<Vec<u8>>,
}

fn apply_hash(h: &mut Hash, m: &mut HashModel, op: HOp) -> Result<(), TestCaseError> {
    match op {
        HOp::Insert(f, v) => {
            let new = !m.values.contains_key(&f);
            prop_assert_eq!(h.insert(&f, &v), new);
            if new {
                m.order.push(f.clone());
            }
            m.values.insert(f, v);
        }
        HOp::Remove(f) => {
            let there = m.values.remove(&f).is_some();
            prop_assert_eq!(h.remove(&f), there);
            if let Some(at) = m.order.iter().position(|x| *x == f) {
                if matches!(h, Hash::Table(_)) {
                    m.order.swap_remove(at);
                } else {
                    m.order.remove(at);
                }
            }
        }
        HOp::Get(f) => prop_assert_eq!(h.get(&f), m.values.get(&f).map(Vec::as_slice)),
        HOp::Fill(n) => {
            let mut i = 0;
            while m.values.len() < n {
                let f = format!("fill{i}").into_bytes();
                i += 1;
                if m.values.contains_key(&f) {
                    continue;
                }
                prop_assert!(h.insert(&f, b"x"));
                m.values.insert(f.clone(), b"x".to_vec());
                m.order.push(f);
            }
        }
    }
    Ok(())
}

fn check_hash(h: &Hash, m: &HashModel) -> Result<(), TestCaseError> {
    prop_assert_eq!(h.len(), m.values.len());
    let fields: Vec<&[u8]> = h.pairs().map(|(f, _)| f).collect();
    let want: Vec<&[u8]> = m.order.iter().map(Vec::as_slice).collect();
    prop_assert_eq!(fields, want);
    for (f, v) in h.pairs() {
        prop_assert_eq!(Some(v), m.values.get(f).map(Vec::as_slice));
    }
    let indexed = h.indexed();
    prop_assert_eq!(indexed.len(), m.values.len());
    for i in [
        0,
        m.values.len() / 2,
        m.values.len().saturating_sub(1),
        m.values.len(),
    ] {
        prop_assert_eq!(indexed.get(i), h.at(i));
        prop_assert_eq!(h.at(i), h.pairs().nth(i));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// A hash against a `HashMap`, its field order included.
    #[test]
    fn hash_matches_a_map(
        (prefix, cross, suffix) in case(hash_op(), prop_oneof![
            Just(HOp::Fill(513)),
            (hash_field(), Just(vec![b'L'; 65])).prop_map(|(f, v)| HOp::Insert(f, v)),
        ])
    ) {
        let (mut h, mut m) = (Hash::new(), HashModel::default());
        for op in prefix {
            apply_hash(&mut h, &mut m, op)?;
            check_hash(&h, &m)?;
        }
        apply_hash(&mut h, &mut m, cross)?;
        check_hash(&h, &m)?;
        prop_assert!(matches!(h, Hash::Table(_)), "past a threshold");
        for op in suffix {
            apply_hash(&mut h, &mut m, op)?;
            check_hash(&h, &m)?;
            prop_assert!(matches!(h, Hash::Table(_)), "a hash never converts back");
        }
    }
}

// ---------------------------------------------------------------- sets

#[derive(Debug, Clone)]
enum SOp {
    Insert(Vec<u8>),
    Remove(Vec<u8>),
    Contains(Vec<u8>),
    /// SPOP's way: take the member at an index.
    Take(usize),
    /// Adds integers from 10000 up to this many members in all.
    Fill(usize),
}

/// Canonical integers mostly (the intset's members), and texts that look
/// like integers but are not canonical, which must not be confused with
/// them.
fn set_member() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop_oneof![
        12 => (-20i64..20).prop_map(|n| n.to_string().into_bytes()),
        1 => prop::sample::select(vec!["007", "-0", "+1", "1.0", " 1", "x", "", "9223372036854775808"])
            .prop_map(|s| s.as_bytes().to_vec()),
        1 => Just(i64::MIN.to_string().into_bytes()),
    ]
}

fn set_op() -> impl Strategy<Value = SOp> + Clone {
    prop_oneof![
        6 => set_member().prop_map(SOp::Insert),
        3 => set_member().prop_map(SOp::Remove),
        2 => set_member().prop_map(SOp::Contains),
        2 => (0..40usize).prop_map(SOp::Take),
        // Around the 512 of set-max-intset-entries.
        1 => (505..520usize).prop_map(SOp::Fill),
    ]
}

fn apply_set(s: &mut Set, m: &mut HashSet<Vec<u8>>, op: SOp) -> Result<(), TestCaseError> {
    match op {
        SOp::Insert(x) => prop_assert_eq!(s.insert(&x), m.insert(x)),
        SOp::Remove(x) => prop_assert_eq!(s.remove(&x), m.remove(&x)),
        SOp::Contains(x) => prop_assert_eq!(s.contains(&x), m.contains(&x)),
        SOp::Take(i) => {
            if m.is_empty() {
                prop_assert_eq!(s.take_index(0), None);
                return Ok(());
            }
            let i = i % m.len();
            let at = s.get_index(i);
            let taken = s.take_index(i);
            prop_assert_eq!(&taken, &at);
            let Some(taken) = taken else {
                return Err(TestCaseError::fail("no member at an index in range"));
            };
            prop_assert!(m.remove(&taken), "took a non-member");
        }
        SOp::Fill(n) => {
            let mut i = 10_000;
            while m.len() < n {
                let x = i.to_string().into_bytes();
                i += 1;
                if m.insert(x.clone()) {
                    prop_assert!(s.insert(&x));
                }
            }
        }
    }
    Ok(())
}

fn check_set(s: &Set, m: &HashSet<Vec<u8>>) -> Result<(), TestCaseError> {
    prop_assert_eq!(s.len(), m.len());
    let members: Vec<Vec<u8>> = s.members().collect();
    let unique: HashSet<Vec<u8>> = members.iter().cloned().collect();
    prop_assert_eq!(unique.len(), members.len(), "a member twice");
    prop_assert_eq!(&unique, m);
    if let Set::Intset(v) = s {
        let v: Vec<i64> = v.iter().collect();
        prop_assert!(v.windows(2).all(|w| w[0] < w[1]), "intset not sorted");
    }
    for i in 0..m.len() {
        prop_assert_eq!(s.get_index(i), members.get(i).cloned());
    }
    prop_assert_eq!(s.get_index(m.len()), None);
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// A set against a `HashSet`.
    #[test]
    fn set_matches_a_hash_set(
        (prefix, cross, suffix) in case(set_op(), prop_oneof![
            Just(SOp::Fill(513)),
            Just(SOp::Insert(b"member".to_vec())),
            Just(SOp::Insert(b"01".to_vec())),
        ])
    ) {
        let (mut s, mut m) = (Set::new(), HashSet::new());
        for op in prefix {
            apply_set(&mut s, &mut m, op)?;
            check_set(&s, &m)?;
        }
        apply_set(&mut s, &mut m, cross)?;
        check_set(&s, &m)?;
        prop_assert!(matches!(s, Set::Table(_)), "past a threshold");
        for op in suffix {
            apply_set(&mut s, &mut m, op)?;
            check_set(&s, &m)?;
            prop_assert!(matches!(s, Set::Table(_)), "a set never converts back");
        }
    }
}

// ---------------------------------------------------------------- sorted sets

#[derive(Debug, Clone)]
enum ZOp {
    Insert(Vec<u8>, f64),
    Remove(Vec<u8>),
    RemoveAll(Vec<Vec<u8>>),
    Rank(Vec<u8>, bool),
    Score(Vec<u8>),
    Nth(usize),
    ByIndex(usize, usize, bool),
    WalkFrom(f64, bool),
    /// Entries with a score below this.
    Below(f64),
    /// ZPOPMIN's (or ZPOPMAX's) way: the first entry, then its removal.
    Pop(bool),
    /// Adds members `fill0`.. up to this many members in all.
    Fill(usize),
}

/// Few members, so that updates happen; now and then one past the 64
/// bytes of `zset-max-listpack-value`.
fn zset_member() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop_oneof![
        15 => "[a-f]".prop_map(String::into_bytes),
        1 => (65..70usize).prop_map(|n| vec![b'M'; n]),
    ]
}

/// Few scores, so that ties (ordered by member) are common; the
/// infinities and a negative zero.
fn score() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        8 => (-4i32..4).prop_map(|n| f64::from(n) / 2.0),
        1 => prop::sample::select(vec![f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.1, 1e300]),
    ]
}

fn zset_op() -> impl Strategy<Value = ZOp> + Clone {
    prop_oneof![
        6 => (zset_member(), score()).prop_map(|(m, s)| ZOp::Insert(m, s)),
        2 => zset_member().prop_map(ZOp::Remove),
        1 => prop::collection::vec(zset_member(), 0..4).prop_map(ZOp::RemoveAll),
        2 => (zset_member(), any::<bool>()).prop_map(|(m, r)| ZOp::Rank(m, r)),
        1 => zset_member().prop_map(ZOp::Score),
        1 => (0..10usize).prop_map(ZOp::Nth),
        2 => (0..10usize, 0..10usize, any::<bool>()).prop_map(|(a, b, r)| ZOp::ByIndex(a, b, r)),
        2 => (score(), any::<bool>()).prop_map(|(s, r)| ZOp::WalkFrom(s, r)),
        1 => score().prop_map(ZOp::Below),
        2 => any::<bool>().prop_map(ZOp::Pop),
        // Around the 128 of zset-max-listpack-entries.
        1 => (120..135usize).prop_map(ZOp::Fill),
    ]
}

/// The model: scores by member, and the order as a sorted set of
/// (score, member).
#[derive(Default)]
struct ZModel {
    scores: HashMap<Vec<u8>, f64>,
    order: BTreeSet<(Score, Vec<u8>)>,
}

impl ZModel {
    fn insert(&mut self, m: Vec<u8>, s: f64) -> bool {
        let old = self.scores.insert(m.clone(), s);
        if let Some(old) = old {
            self.order.remove(&(Score(old), m.clone()));
        }
        self.order.insert((Score(s), m));
        old.is_none()
    }

    fn remove(&mut self, m: &[u8]) -> bool {
        match self.scores.remove(m) {
            Some(old) => self.order.remove(&(Score(old), m.to_vec())),
            None => false,
        }
    }

    fn entries(&self, rev: bool) -> Vec<(Vec<u8>, f64)> {
        let mut all: Vec<_> = self.order.iter().map(|(s, m)| (m.clone(), s.0)).collect();
        if rev {
            all.reverse();
        }
        all
    }
}

fn apply_zset(z: &mut ZSet, m: &mut ZModel, op: ZOp) -> Result<(), TestCaseError> {
    match op {
        ZOp::Insert(member, s) => prop_assert_eq!(z.insert(&member, s), m.insert(member, s)),
        ZOp::Remove(member) => prop_assert_eq!(z.remove(&member), m.remove(&member)),
        ZOp::RemoveAll(members) => {
            let doomed: hashbrown::HashSet<&[u8]> = members.iter().map(Vec::as_slice).collect();
            let want = doomed.iter().filter(|x| m.remove(x)).count();
            prop_assert_eq!(z.remove_all(&doomed), want);
        }
        ZOp::Rank(member, rev) => {
            let want = m.entries(rev).iter().position(|(x, _)| *x == member);
            prop_assert_eq!(z.rank(&member, rev), want);
        }
        ZOp::Score(member) => prop_assert_eq!(z.score(&member), m.scores.get(&member).copied()),
        ZOp::Nth(i) => prop_assert_eq!(z.nth(i), m.entries(false).get(i).cloned()),
        ZOp::ByIndex(a, b, rev) => {
            if m.scores.is_empty() {
                return Ok(());
            }
            let (a, b) = sorted_in(a, b, m.scores.len());
            prop_assert_eq!(z.by_index(a, b, rev), m.entries(rev)[a..=b].to_vec());
            let from: Vec<_> = z.walk_from_rank(a, rev).collect();
            prop_assert_eq!(from, m.entries(rev)[a..].to_vec());
        }
        ZOp::WalkFrom(s, rev) => {
            let got: Vec<_> = z.walk_from(s, rev).collect();
            let want: Vec<_> = m
                .entries(rev)
                .into_iter()
                .filter(|e| if rev { e.1 <= s } else { e.1 >= s })
                .collect();
            prop_assert_eq!(got, want);
        }
        ZOp::Below(s) => {
            let want = m.order.iter().filter(|(x, _)| x.0 < s).count();
            prop_assert_eq!(z.prefix_len(|x, _| x < s), want);
        }
        ZOp::Pop(rev) => {
            let first = z.walk(rev).next();
            prop_assert_eq!(&first, &m.entries(rev).first().cloned());
            if let Some((member, _)) = first {
                prop_assert!(z.remove(&member));
                prop_assert!(m.remove(&member));
            }
        }
        ZOp::Fill(n) => {
            let mut i = 0;
            while m.scores.len() < n {
                let member = format!("fill{i}").into_bytes();
                let s = f64::from(i % 7);
                i += 1;
                if !m.scores.contains_key(&member) {
                    prop_assert!(z.insert(&member, s));
                    m.insert(member, s);
                }
            }
        }
    }
    Ok(())
}

fn check_zset(z: &ZSet, m: &ZModel) -> Result<(), TestCaseError> {
    prop_assert_eq!(z.len(), m.scores.len());
    prop_assert_eq!(z.entries().collect::<Vec<_>>(), m.entries(false));
    prop_assert_eq!(z.walk(true).collect::<Vec<_>>(), m.entries(true));
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// A sorted set against a sorted set of (score, member) and a map of
    /// scores.
    #[test]
    fn zset_matches_a_sorted_model(
        (prefix, cross, suffix) in case(zset_op(), prop_oneof![
            Just(ZOp::Fill(129)),
            (Just(vec![b'M'; 65]), score()).prop_map(|(m, s)| ZOp::Insert(m, s)),
        ])
    ) {
        let (mut z, mut m) = (ZSet::new(), ZModel::default());
        for op in prefix {
            apply_zset(&mut z, &mut m, op)?;
            check_zset(&z, &m)?;
        }
        apply_zset(&mut z, &mut m, cross)?;
        check_zset(&z, &m)?;
        prop_assert!(!z.is_listpack(), "past a threshold");
        for op in suffix {
            apply_zset(&mut z, &mut m, op)?;
            check_zset(&z, &m)?;
            prop_assert!(!z.is_listpack(), "a sorted set never converts back");
        }
    }
}
