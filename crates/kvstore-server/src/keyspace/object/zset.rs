//! Sorted sets: a listpack of member, score pairs in order while small,
//! then a hash map of scores beside an ordered set (Redis's skiplist).

use std::collections::BTreeSet;

use hashbrown::HashMap;

use super::{limit, Listpack, Member, LIMITS};

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
    }
}
