//! Sets: a sorted array of integers (an [`Intset`]) while every member is
//! a canonical integer and there are few, then a hash set.
//!
//! The hash set is an `IndexSet`: its members sit in a dense array, so a
//! random member is one index away (SPOP, SRANDMEMBER), and SSCAN can use
//! positions as its cursor (see [`Set::scan_window`]). Members only ever
//! leave by `swap_remove`, which moves the last member into the hole.

use hashbrown::DefaultHashBuilder;
use indexmap::IndexSet;

use super::{canonical_int, limit, Intset, Member, LIMITS};

pub type Table = IndexSet<Member, DefaultHashBuilder>;

#[derive(Clone, PartialEq)]
pub enum Set {
    Intset(Intset),
    /// Boxed so that a small set's value stays small.
    Table(Box<Table>),
}

impl Set {
    /// See [`super::Object::memory`].
    pub fn memory(&self, samples: usize) -> usize {
        match self {
            Set::Intset(i) => i.memory(),
            Set::Table(t) => {
                let entry = std::mem::size_of::<(usize, Member)>();
                super::alloc_size(std::mem::size_of::<Table>())
                    + super::alloc_size(t.capacity() * entry)
                    + super::table_bytes(t.capacity(), std::mem::size_of::<usize>())
                    + super::sampled(
                        t.len(),
                        samples,
                        t.iter().map(|m| super::alloc_size(m.len())),
                    )
            }
        }
    }

    pub fn new() -> Set {
        Set::Intset(Intset::default())
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Intset(v) => v.len(),
            Set::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Members as bytes (integers as their decimal text).
    pub fn members(&self) -> Box<dyn Iterator<Item = Vec<u8>> + '_> {
        match self {
            Set::Intset(v) => Box::new(v.iter().map(|n| n.to_string().into_bytes())),
            Set::Table(t) => Box::new(t.iter().map(|m| m.to_vec())),
        }
    }

    /// The member at `index` in [`Set::members`] order.
    pub fn get_index(&self, index: usize) -> Option<Vec<u8>> {
        match self {
            Set::Intset(v) => v.get(index).map(|n| n.to_string().into_bytes()),
            Set::Table(t) => t.get_index(index).map(|m| m.to_vec()),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            // A member that is not a canonical integer cannot be in an intset.
            Set::Intset(v) => canonical_int(member).is_some_and(|n| v.contains(n)),
            Set::Table(t) => t.contains(member),
        }
    }

    /// Adds `member`; true if it is new.
    pub fn insert(&mut self, member: &[u8]) -> bool {
        if let Set::Intset(v) = self {
            if let Some(n) = canonical_int(member) {
                match v.search(n) {
                    Ok(_) => return false,
                    Err(_) if v.len() < limit(&LIMITS.set_max_intset_entries) => {
                        return v.insert(n);
                    }
                    Err(_) => {}
                }
            }
            let table: Table = v
                .iter()
                .map(|n| Member::from(n.to_string().as_bytes()))
                .collect();
            *self = Set::Table(Box::new(table));
        }
        match self {
            Set::Table(t) => t.insert(member.into()),
            Set::Intset(_) => false,
        }
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Set::Intset(v) => canonical_int(member).is_some_and(|n| v.remove(n)),
            Set::Table(t) => t.swap_remove(member),
        }
    }

    /// Takes out the member at `index` (see [`Set::get_index`]).
    pub fn take_index(&mut self, index: usize) -> Option<Vec<u8>> {
        match self {
            Set::Intset(v) => v.remove_at(index).map(|n| n.to_string().into_bytes()),
            Set::Table(t) => t.swap_remove_index(index).map(Vec::from),
        }
    }

    /// Keeps the members whose index `keep` says true for, in one pass;
    /// returns the others. `keep` has one entry per member.
    pub fn split_off_where(&mut self, keep: &[bool]) -> Vec<Vec<u8>> {
        let mut taken = Vec::new();
        let mut flags = keep.iter();
        match self {
            Set::Intset(v) => v.retain(|n| {
                let stay = flags.next().copied().unwrap_or(true);
                if !stay {
                    taken.push(n.to_string().into_bytes());
                }
                stay
            }),
            Set::Table(t) => t.retain(|m| {
                let stay = flags.next().copied().unwrap_or(true);
                if !stay {
                    taken.push(m.to_vec());
                }
                stay
            }),
        }
        taken
    }

    /// One step of SSCAN over the hash table: the members at positions
    /// `[start, end)` where `end` is `cursor` capped at the length (0 means
    /// the length: a new scan) and `start` is `count` below it. Returns
    /// them and the next cursor, `start`, which is 0 when the scan is done.
    ///
    /// Positions are walked downwards, which makes the guarantee hold: a
    /// member present for the whole scan is returned at least once. New
    /// members go to the end, already passed; a removal moves the last
    /// member into the hole, so a member below the cursor only ever moves
    /// further down, never into the part already walked.
    pub fn scan_window(&self, cursor: u64, count: usize) -> (Vec<Vec<u8>>, u64) {
        let len = self.len();
        let end = match cursor {
            0 => len,
            c => usize::try_from(c).unwrap_or(usize::MAX).min(len),
        };
        let start = end.saturating_sub(count);
        let found = (start..end)
            .rev()
            .filter_map(|i| self.get_index(i))
            .collect();
        (found, start as u64)
    }
}

impl Default for Set {
    fn default() -> Self {
        Set::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_is_an_intset_until_a_non_integer() {
        let mut s = Set::new();
        assert!(s.insert(b"3"));
        assert!(s.insert(b"-1"));
        assert!(!s.insert(b"3"));
        assert!(matches!(s, Set::Intset(_)));
        assert!(!s.contains(b"03"));
        assert!(s.insert(b"007"), "not canonical: a string member");
        assert!(matches!(s, Set::Table(_)));
        let mut m: Vec<Vec<u8>> = s.members().collect();
        m.sort();
        assert_eq!(m, [b"-1".to_vec(), b"007".to_vec(), b"3".to_vec()]);
        assert!(s.remove(b"3"));
        assert!(!s.remove(b"3"));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn split_off_where_takes_the_unkept() {
        let mut s = Set::new();
        for m in ["1", "2", "3"] {
            s.insert(m.as_bytes());
        }
        assert_eq!(s.split_off_where(&[true, false, true]), [b"2".to_vec()]);
        assert_eq!(
            s.members().collect::<Vec<_>>(),
            [b"1".to_vec(), b"3".to_vec()]
        );
    }

    /// Removals and additions between steps never hide a member that
    /// stays for the whole scan.
    #[test]
    fn scan_window_survives_changes() {
        let mut s = Set::new();
        for i in 0..100 {
            s.insert(format!("m{i}").as_bytes());
        }
        let mut seen = std::collections::HashSet::new();
        let (mut cursor, mut step) = (0, 0);
        loop {
            let (found, next) = s.scan_window(cursor, 7);
            seen.extend(found);
            // Remove members on both sides of the cursor; add new ones.
            for gone in [step, 99 - step] {
                s.remove(format!("m{gone}").as_bytes());
            }
            s.insert(format!("new{step}").as_bytes());
            step += 1;
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        for i in step..(100 - step) {
            assert!(seen.contains(format!("m{i}").as_bytes()), "m{i} missed");
        }
    }
}
