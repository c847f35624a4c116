//! Hashes: a listpack of field, value pairs while small, then an
//! insertion-ordered hash table.

use hashbrown::DefaultHashBuilder;
use indexmap::IndexMap;

use super::{limit, Listpack, Member, LIMITS};

/// A hash keeps its fields in insertion order in both encodings, so that a
/// dictionary a seed client stores comes back exactly as it was sent.
#[derive(Clone, PartialEq)]
pub enum Hash {
    /// Field, value, field, value...
    Listpack(Listpack),
    Table(IndexMap<Member, Member, DefaultHashBuilder>),
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

#[cfg(test)]
mod tests {
    use super::super::Object;
    use super::*;

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
}
