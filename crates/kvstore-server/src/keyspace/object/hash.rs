//! Hashes: a listpack of field, value pairs while small, then an
//! insertion-ordered hash table.

use hashbrown::DefaultHashBuilder;
use indexmap::IndexMap;

use super::{limit, Listpack, Member, LIMITS};

pub type HashTable = IndexMap<Member, Member, DefaultHashBuilder>;

/// A hash keeps its fields in insertion order in both encodings, so that a
/// dictionary a seed client stores comes back exactly as it was sent.
/// Overwriting a field keeps its place, as Redis's listpack does.
#[derive(Clone, PartialEq)]
pub enum Hash {
    /// Field, value, field, value...
    Listpack(Listpack),
    /// Boxed so that a small hash's value stays small.
    Table(Box<HashTable>),
}

impl Hash {
    /// See [`super::Object::memory`].
    pub fn memory(&self, samples: usize) -> usize {
        match self {
            Hash::Listpack(l) => l.memory(),
            Hash::Table(t) => {
                let entry = std::mem::size_of::<(usize, Member, Member)>();
                super::alloc_size(std::mem::size_of::<HashTable>())
                    + super::alloc_size(t.capacity() * entry)
                    + super::table_bytes(t.capacity(), std::mem::size_of::<usize>())
                    + super::sampled(
                        t.len(),
                        samples,
                        t.iter()
                            .map(|(f, v)| super::alloc_size(f.len()) + super::alloc_size(v.len())),
                    )
            }
        }
    }

    pub fn new() -> Hash {
        Hash::Listpack(Listpack::default())
    }

    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(l) => l.len() / 2,
            Hash::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    /// Sets `field`; true if it is new. Converts to a table first when the
    /// listpack would pass `hash-max-listpack-entries` or a string would be
    /// longer than `hash-max-listpack-value`.
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Hash::Listpack(l) = self {
            let max_value = limit(&LIMITS.hash_max_listpack_value);
            let small = field.len() <= max_value && value.len() <= max_value;
            let pos = l.iter().step_by(2).position(|f| f == field);
            let count = l.len() / 2 + usize::from(pos.is_none());
            if small && count <= limit(&LIMITS.hash_max_listpack_entries) {
                match pos {
                    Some(p) => {
                        l.replace(2 * p + 1, value);
                    }
                    None => {
                        l.extend(&[field, value]);
                    }
                }
                return pos.is_none();
            }
            *self = Hash::Table(Box::new(self.to_table()));
        }
        match self {
            Hash::Table(t) => t.insert(field.into(), value.into()).is_none(),
            Hash::Listpack(_) => false,
        }
    }

    /// Deletes `field`; true if it was there. A table moves its last field
    /// into the hole (O(1)), so its order changes; a listpack keeps order.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(l) => {
                let Some(p) = l.iter().step_by(2).position(|f| f == field) else {
                    return false;
                };
                l.remove(2 * p);
                l.remove(2 * p);
                true
            }
            Hash::Table(t) => t.swap_remove(field).is_some(),
        }
    }

    /// The pair at position `i` in iteration order: O(1) on a table,
    /// linear on a listpack (see [`Hash::indexed`] for many lookups).
    pub fn at(&self, i: usize) -> Option<(&[u8], &[u8])> {
        match self {
            Hash::Listpack(_) => self.pairs().nth(i),
            Hash::Table(t) => t.get_index(i).map(|(f, v)| (&**f, &**v)),
        }
    }

    /// A view with O(1) access by position, for random sampling: a table
    /// is one already; a listpack's pairs are listed once.
    pub fn indexed(&self) -> Indexed<'_> {
        match self {
            Hash::Listpack(_) => Indexed::Pairs(self.pairs().collect()),
            Hash::Table(t) => Indexed::Table(t),
        }
    }

    fn to_table(&self) -> HashTable {
        self.pairs()
            .map(|(f, v)| (Member::from(f), Member::from(v)))
            .collect()
    }
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

/// See [`Hash::indexed`].
pub enum Indexed<'a> {
    Pairs(Vec<(&'a [u8], &'a [u8])>),
    Table(&'a HashTable),
}

impl<'a> Indexed<'a> {
    pub fn len(&self) -> usize {
        match self {
            Indexed::Pairs(p) => p.len(),
            Indexed::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<(&'a [u8], &'a [u8])> {
        match self {
            Indexed::Pairs(p) => p.get(i).copied(),
            Indexed::Table(t) => t.get_index(i).map(|(f, v)| (&**f, &**v)),
        }
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

    #[test]
    fn overwriting_keeps_the_field_in_place() {
        let mut h = Hash::new();
        for f in [&b"a"[..], b"b", b"c"] {
            h.insert(f, b"0");
        }
        assert!(!h.insert(b"a", b"new"));
        let fields: Vec<&[u8]> = h.pairs().map(|(f, _)| f).collect();
        assert_eq!(fields, [&b"a"[..], b"b", b"c"]);
        assert_eq!(h.at(0), Some((&b"a"[..], &b"new"[..])));
    }

    #[test]
    fn remove_in_both_encodings() {
        let mut h = Hash::new();
        h.insert(b"a", b"1");
        h.insert(b"b", b"2");
        assert!(h.remove(b"a"));
        assert!(!h.remove(b"a"));
        assert_eq!(h.at(0), Some((&b"b"[..], &b"2"[..])));
        h.insert(b"long", &[b'y'; 100]);
        assert!(matches!(h, Hash::Table(_)));
        assert!(h.remove(b"b"));
        assert_eq!(h.len(), 1);
        assert_eq!(h.indexed().get(0).map(|(f, _)| f), Some(&b"long"[..]));
    }
}
