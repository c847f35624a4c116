//! What every container family needs: the container at a key, of the right
//! type or `WRONGTYPE`, created on the first write and removed when its last
//! element goes, as Redis does.

use kvstore_protocol::Value;

use super::strings::wrongtype;
use crate::keyspace::object::{Hash, List, Set, ZSet};
use crate::keyspace::{Db, NewValue, Object, Record, ValueRef};

/// The four container types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    List,
    Hash,
    Set,
    ZSet,
}

impl Kind {
    fn matches(self, o: &Object) -> bool {
        matches!(
            (self, o),
            (Kind::List, Object::List(_))
                | (Kind::Hash, Object::Hash(_))
                | (Kind::Set, Object::Set(_))
                | (Kind::ZSet, Object::ZSet(_))
        )
    }

    fn empty(self) -> Object {
        match self {
            Kind::List => Object::List(List::new()),
            Kind::Hash => Object::Hash(Hash::new()),
            Kind::Set => Object::Set(Set::new()),
            Kind::ZSet => Object::ZSet(ZSet::new()),
        }
    }
}

/// Runs `f` on the container at `key` (`None` if the key is missing),
/// under its shard's read lock. `WRONGTYPE` for a key of another type.
pub fn read<R>(
    db: &Db,
    key: &[u8],
    kind: Kind,
    f: impl FnOnce(Option<&Object>) -> R,
) -> Result<R, Value> {
    db.with_record(key, |r| match r.map(Record::view) {
        None => Ok(f(None)),
        Some(ValueRef::Obj(o)) if kind.matches(o) => Ok(f(Some(o))),
        Some(_) => Err(wrongtype()),
    })
}

/// Runs `f` on the container at `key`, under its shard's write lock. A
/// missing key is created empty first if `create`, else `f` is not run and
/// the result is `Ok(None)`. A container `f` leaves empty is removed, with
/// its deadline. `WRONGTYPE` for a key of another type.
pub fn write<R>(
    db: &Db,
    key: &[u8],
    kind: Kind,
    create: bool,
    f: impl FnOnce(&mut Object) -> R,
) -> Result<Option<R>, Value> {
    db.entry(key, |slot| {
        match slot.get().map(Record::view) {
            None if !create => return Ok(None),
            None => {
                let empty = Box::new(kind.empty());
                slot.replace(Record::new(key, NewValue::Obj(empty), None));
            }
            Some(ValueRef::Obj(o)) if kind.matches(o) => {}
            Some(_) => return Err(wrongtype()),
        }
        let Some(obj) = slot.get_mut().and_then(Record::object_mut) else {
            return Ok(None);
        };
        let out = f(obj);
        if obj.is_empty() {
            slot.remove();
        }
        Ok(Some(out))
    })
}
