//! Sorted sets: a listpack of member, score pairs in order while small,
//! then a hash map of scores beside an ordered set (Redis's skiplist).
//!
//! The ordered set has no rank, so rank and index queries on the large
//! encoding walk from the nearer end: O(rank), where Redis's skiplist is
//! O(log n). Score ranges start with a tree search.

use std::collections::BTreeSet;
use std::ops::Bound;

use hashbrown::HashMap;

use super::{limit, Listpack, Member, LIMITS};

#[derive(Clone, PartialEq)]
pub enum ZSet {
    /// Member, score (as text), in score order.
    Listpack(Listpack),
    Skiplist(SortedSet),
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

#[derive(Clone, Default, PartialEq)]
pub struct SortedSet {
    pub scores: HashMap<Member, f64>,
    pub order: BTreeSet<(Score, Member)>,
}

/// A member with its score, as queries hand them out.
pub type Entry = (Vec<u8>, f64);

type Walk<'a> = Box<dyn Iterator<Item = Entry> + 'a>;

impl ZSet {
    pub fn new() -> ZSet {
        ZSet::Listpack(Listpack::default())
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(l) => l.len() / 2,
            ZSet::Skiplist(s) => s.scores.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_listpack(&self) -> bool {
        matches!(self, ZSet::Listpack(_))
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
            ZSet::Skiplist(s) if rev => {
                Box::new(s.order.iter().rev().map(|(sc, m)| (m.to_vec(), sc.0)))
            }
            ZSet::Skiplist(s) => Box::new(s.order.iter().map(|(sc, m)| (m.to_vec(), sc.0))),
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
            ZSet::Skiplist(s) => s.scores.get(member).copied(),
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
                    *self = ZSet::Skiplist(sorted);
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

    /// The 0-based rank of `member`, from the top if `rev`.
    pub fn rank(&self, member: &[u8], rev: bool) -> Option<usize> {
        match self {
            ZSet::Listpack(_) => self.walk(rev).position(|(m, _)| m == member),
            ZSet::Skiplist(s) => {
                let score = *s.scores.get(member)?;
                let key = (Score(score), Member::from(member));
                Some(if rev {
                    s.order
                        .range((Bound::Excluded(key), Bound::Unbounded))
                        .count()
                } else {
                    s.order.range(..key).count()
                })
            }
        }
    }

    /// Entries `start..=stop` (already in range) in order, or reversed.
    pub fn by_index(&self, start: usize, stop: usize, rev: bool) -> Vec<Entry> {
        self.walk(rev).skip(start).take(stop - start + 1).collect()
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
    pub fn insert(&mut self, member: &[u8], score: f64) -> bool {
        let old = self.scores.insert(member.into(), score);
        if let Some(old) = old {
            self.order.remove(&(Score(old), Member::from(member)));
        }
        self.order.insert((Score(score), member.into()));
        old.is_none()
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove(member) {
            Some(old) => self.order.remove(&(Score(old), Member::from(member))),
            None => false,
        }
    }

    /// Entries from the first one that could be in `r` onwards: a tree
    /// search, not a walk.
    fn seek_score(&self, score: f64, rev: bool) -> Walk<'_> {
        let lowest = Member::default();
        if rev {
            let upper = if score == f64::INFINITY {
                Bound::Unbounded
            } else {
                Bound::Excluded((Score(score.next_up()), lowest))
            };
            Box::new(
                self.order
                    .range((Bound::Unbounded, upper))
                    .rev()
                    .map(|(sc, m)| (m.to_vec(), sc.0)),
            )
        } else {
            Box::new(
                self.order
                    .range((Bound::Included((Score(score), lowest)), Bound::Unbounded))
                    .map(|(sc, m)| (m.to_vec(), sc.0)),
            )
        }
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
    let mut lp = Listpack::default();
    for (m, s) in all {
        // Redis's listpack keeps "-0" as the integer 0: the sign is lost.
        let s = if *s == 0.0 { 0.0 } else { *s };
        lp.push_back(m);
        lp.push_back(format_score(s).as_bytes());
    }
    lp
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

    #[test]
    fn walks_from_a_score_in_both_encodings() {
        let mut small = ZSet::new();
        let mut large = ZSet::Skiplist(SortedSet::default());
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
