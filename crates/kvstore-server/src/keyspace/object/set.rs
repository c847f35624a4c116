//! Sets: a sorted array of integers (intset) while every member is a
//! canonical integer and there are few, then a hash set.

use hashbrown::HashSet;

use super::{canonical_int, limit, Member, LIMITS};

#[derive(Clone, PartialEq)]
pub enum Set {
    /// Sorted, distinct.
    Intset(Vec<i64>),
    Table(HashSet<Member>),
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
        assert!(s.insert(b"007"), "not canonical: a string member");
        assert!(matches!(s, Set::Table(_)));
        let mut m: Vec<Vec<u8>> = s.members().collect();
        m.sort();
        assert_eq!(m, [b"-1".to_vec(), b"007".to_vec(), b"3".to_vec()]);
    }
}
