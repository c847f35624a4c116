//! Container values: lists, hashes, sets and sorted sets, one file each.
//!
//! Each type has a compact encoding for small values and a large one, as
//! Redis has (listpack/intset, then quicklist/hashtable/skiplist). A value
//! starts compact and converts once it passes the thresholds in
//! [`EncodingLimits`], which `CONFIG SET` changes under Redis's names.
//! Conversion goes one way only, as in Redis.
//!
//! The containers are changed in place through the record that holds them:
//! a push on a million-element list is a push, never a re-encode.

mod hash;
mod intset;
mod list;
mod listpack;
#[cfg(test)]
mod proptests;
mod quicklist;
mod set;
mod zset;

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use bytes::Bytes;
use kvstore_protocol::Value;

pub use hash::Hash;
pub use intset::Intset;
pub use list::List;
pub use listpack::{Listpack, ListpackIter};
pub use quicklist::Quicklist;
pub use set::Set;
pub use zset::{format_score, Score, SortedSet, ZSet};

pub type Member = Box<[u8]>;

/// The bytes an allocation of `n` bytes takes: mimalloc's size classes,
/// 8 bytes, then 16-byte steps up to 64 bytes, then four classes per
/// doubling up to 512 KiB; past that, a block of its own from the system,
/// rounded up to a unit that grows with the size (the test below checks
/// all this against the allocator). Used by the memory estimates
/// (`MEMORY USAGE`).
pub fn alloc_size(n: usize) -> usize {
    const KIB: usize = 1 << 10;
    const MIB: usize = 1 << 20;
    let huge = |unit: usize| n.div_ceil(unit) * unit;
    match n {
        0 => 0,
        1..=8 => 8,
        9..=64 => n.div_ceil(16) * 16,
        _ if n > 32 * MIB => huge(4 * MIB),
        _ if n > 8 * MIB => huge(MIB),
        _ if n > 2 * MIB => huge(256 * KIB),
        _ if n > 512 * KIB => huge(64 * KIB),
        _ => {
            let step = (1usize << (usize::BITS - 1 - (n - 1).leading_zeros())) / 4;
            n.div_ceil(step) * step
        }
    }
}

/// What a hash table of `capacity` slots of `slot` bytes takes, with its
/// control bytes (hashbrown: buckets a power of two, 7/8 full at most).
fn table_bytes(capacity: usize, slot: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = (capacity * 8 / 7).next_power_of_two();
    alloc_size(buckets * (slot + 1) + 16)
}

/// The mean allocation of the members `sizes` yields, from at most
/// `samples` of them (0: all), times `count`: Redis's sampled estimate.
fn sampled(count: usize, samples: usize, sizes: impl Iterator<Item = usize>) -> usize {
    let take = if samples == 0 { usize::MAX } else { samples };
    let (mut seen, mut sum) = (0usize, 0usize);
    for size in sizes.take(take) {
        seen += 1;
        sum += size;
    }
    match (sum.checked_div(seen), sum.checked_rem(seen)) {
        (Some(mean), Some(rest)) => mean * count + rest * count / seen,
        _ => 0,
    }
}

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
    hash_max_listpack_entries: AtomicUsize::new(512),
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
    fill_fits(
        LIMITS.list_max_listpack_size.load(Ordering::Relaxed),
        count,
        bytes,
    )
}

/// [`list_fits`] for a given `list-max-listpack-size`.
fn fill_fits(fill: i64, count: usize, bytes: usize) -> bool {
    match fill {
        n if n > 0 => count <= n as usize,
        n => {
            let shift = (-n).clamp(1, 5) as u32 - 1;
            bytes <= (4096usize << shift)
        }
    }
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
    /// Bytes this value takes on the heap, its own block included, as
    /// `MEMORY USAGE` reports it: exact for the compact encodings, the
    /// members of a large one sampled (`samples`, 0 for all).
    pub fn memory(&self, samples: usize) -> usize {
        alloc_size(std::mem::size_of::<Object>())
            + match self {
                Object::List(l) => l.memory(samples),
                Object::Hash(h) => h.memory(samples),
                Object::Set(s) => s.memory(samples),
                Object::ZSet(z) => z.memory(samples),
            }
    }

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
            Object::ZSet(ZSet::Skiplist(s)) => s.len(),
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
            Object::List(l) => Value::Array(l.iter().map(bulk).collect()),
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

/// One piece of a container's seed view ([`Object::to_value`]), borrowed
/// from the container rather than copied out of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Piece<'a> {
    /// An array of this many elements follows.
    Array(usize),
    /// A dictionary of this many pairs (twice as many pieces) follows.
    Map(usize),
    /// A set of this many members follows.
    Set(usize),
    /// A bulk string.
    Bytes(&'a [u8]),
    /// A bulk string spelling this integer in decimal (an intset member).
    Decimal(i64),
    /// A double (a sorted set's score).
    Double(f64),
}

impl Object {
    /// Calls `f` on each piece of the value [`Object::to_value`] builds, in
    /// the same order, without building it: how `DEBUG OBJECT` measures
    /// what a value serializes to without serializing it.
    pub fn walk_view(&self, f: &mut dyn FnMut(Piece<'_>)) {
        match self {
            Object::List(l) => {
                f(Piece::Array(l.len()));
                l.iter().for_each(|m| f(Piece::Bytes(m)));
            }
            Object::Hash(h) => {
                f(Piece::Map(h.len()));
                h.pairs().for_each(|(k, v)| {
                    f(Piece::Bytes(k));
                    f(Piece::Bytes(v));
                });
            }
            Object::Set(Set::Intset(i)) => {
                f(Piece::Set(i.len()));
                i.iter().for_each(|n| f(Piece::Decimal(n)));
            }
            Object::Set(Set::Table(t)) => {
                f(Piece::Set(t.len()));
                t.iter().for_each(|m| f(Piece::Bytes(&m[..])));
            }
            Object::ZSet(z) => {
                f(Piece::Array(2 * z.len()));
                z.for_each(|m, score| {
                    f(Piece::Bytes(m));
                    f(Piece::Double(score));
                });
            }
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
    use std::mem::size_of;

    /// Every container's value is one small block plus its compact bytes:
    /// the large encodings sit behind a pointer.
    #[test]
    fn a_small_container_is_small() {
        assert_eq!(size_of::<Listpack>(), 16);
        assert_eq!(size_of::<Intset>(), 16);
        for size in [
            size_of::<List>(),
            size_of::<Hash>(),
            size_of::<Set>(),
            size_of::<ZSet>(),
        ] {
            assert!(size <= 16, "{size}");
        }
        assert_eq!(size_of::<Object>(), 24);
    }
}

#[cfg(test)]
mod alloc_size_tests {
    #[test]
    fn alloc_size_is_the_allocators() {
        let mut wrong = Vec::new();
        let edges = [512usize << 10, 2 << 20, 8 << 20, 32 << 20]
            .into_iter()
            .flat_map(|b| [b - 1, b, b + 1]);
        let sizes = (1..70_000usize)
            .chain((70_000..80 << 20).step_by(9_973))
            .chain(edges);
        for n in sizes {
            let v: Vec<u8> = Vec::with_capacity(n);
            // SAFETY: a live block from the global allocator.
            let real = unsafe { libmimalloc_sys::mi_usable_size(v.as_ptr() as *const _) };
            if real != super::alloc_size(n) {
                wrong.push((n, real, super::alloc_size(n)));
            }
        }
        assert!(wrong.is_empty(), "{:?}", &wrong[..wrong.len().min(40)]);
    }
}
