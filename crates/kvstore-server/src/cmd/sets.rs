//! The set family: SADD, SREM, SISMEMBER, SMISMEMBER, SMEMBERS, SCARD,
//! SPOP, SRANDMEMBER, SMOVE, SINTER, SINTERCARD, SUNION, SDIFF and their
//! STORE forms, and SSCAN.
//!
//! Commands on several keys lock all their shards first (see
//! `Keyspace::lock`), reads included, so that none sees another half done.
//! Results follow Redis 7.0: a STORE builds its set member by member, so it
//! is an intset when Redis's would be, and a reply built from such a set
//! lists its integers in order, as Redis's does.

use std::borrow::Cow;

use bytes::Bytes;
use kvstore_protocol::Value;

use super::container::{self, Kind};
use super::rng::Rng;
use super::strings::wrongtype;
use super::table::acl::*;
use super::table::flags::*;
use super::table::{ALL, ONE};
use super::{is_word, key, strict_integer, syntax_error, Command, Ctx};
use crate::keyspace::glob;
use crate::keyspace::object::Set;
use crate::keyspace::{Locked, NewValue, Object, Record, ValueRef};
use crate::tri;

pub static COMMANDS: &[Command] = &[
    Command::new("sadd", -3, WRITE | DENYOOM | FAST, SET, ONE, sadd).doc(
        "set",
        "Adds members to a set; replies how many were new.",
        "key member ...",
    ),
    Command::new("srem", -3, WRITE | FAST, SET, ONE, srem).doc(
        "set",
        "Removes members from a set; replies how many were there.",
        "key member ...",
    ),
    Command::new("sismember", 3, READONLY | FAST, SET, ONE, sismember).doc(
        "set",
        "Determines whether a member belongs to a set.",
        "key member",
    ),
    Command::new("smismember", -3, READONLY | FAST, SET, ONE, smismember).doc(
        "set",
        "Determines whether each of several members belongs to a set.",
        "key member ...",
    ),
    Command::new("smembers", 2, READONLY, SET, ONE, smembers).doc(
        "set",
        "Returns every member of a set.",
        "key",
    ),
    Command::new("scard", 2, READONLY | FAST, SET, ONE, scard).doc(
        "set",
        "Returns the number of members of a set.",
        "key",
    ),
    Command::new("spop", -2, WRITE | FAST, SET, ONE, spop).doc(
        "set",
        "Removes and returns one or more random members of a set.",
        "key [count]",
    ),
    Command::new("srandmember", -2, READONLY, SET, ONE, srandmember).doc(
        "set",
        "Returns random members of a set; a negative count may repeat them.",
        "key [count]",
    ),
    Command::new("smove", 4, WRITE | FAST, SET, (1, 2, 1), smove).doc(
        "set",
        "Moves a member from one set to another.",
        "source destination member",
    ),
    Command::new("sinter", -2, READONLY, SET, ALL, sinter).doc(
        "set",
        "Returns the intersection of sets.",
        "key ...",
    ),
    // Redis reports this row's keys as movable (0, 0, 0); the row names
    // its first key so that the table still knows it has keys.
    Command::new("sintercard", -3, READONLY, SET, (2, 2, 1), sintercard).doc(
        "set",
        "Returns the size of the intersection of sets, counting up to a limit.",
        "numkeys key ... [LIMIT limit]",
    ),
    Command::new("sinterstore", -3, WRITE | DENYOOM, SET, ALL, sinterstore).doc(
        "set",
        "Stores the intersection of sets in a key; replies its size.",
        "destination key ...",
    ),
    Command::new("sunion", -2, READONLY, SET, ALL, sunion).doc(
        "set",
        "Returns the union of sets.",
        "key ...",
    ),
    Command::new("sunionstore", -3, WRITE | DENYOOM, SET, ALL, sunionstore).doc(
        "set",
        "Stores the union of sets in a key; replies its size.",
        "destination key ...",
    ),
    Command::new("sdiff", -2, READONLY, SET, ALL, sdiff).doc(
        "set",
        "Returns the members of the first set that are in none of the others.",
        "key ...",
    ),
    Command::new("sdiffstore", -3, WRITE | DENYOOM, SET, ALL, sdiffstore).doc(
        "set",
        "Stores the difference of sets in a key; replies its size.",
        "destination key ...",
    ),
    Command::new("sscan", -3, READONLY, SET, ONE, sscan).doc(
        "set",
        "Iterates over the members of a set.",
        "key cursor [MATCH pattern] [COUNT count]",
    ),
];

/// A member argument: a string, or an integer as its decimal text.
fn member(v: &Value) -> Result<Cow<'_, [u8]>, Value> {
    match v {
        Value::Bulk(b) | Value::Simple(b) => Ok(Cow::Borrowed(b)),
        Value::Integer(n) => Ok(Cow::Owned(n.to_string().into_bytes())),
        other => Err(Value::error(format!(
            "ERR invalid member: expected a string or an integer, got {}",
            other.type_name()
        ))),
    }
}

fn members_of(args: &[Value]) -> Result<Vec<Cow<'_, [u8]>>, Value> {
    args.iter().map(member).collect()
}

fn keys_of(args: &[Value]) -> Result<Vec<Cow<'_, [u8]>>, Value> {
    args.iter().map(key).collect()
}

fn bulk(m: Vec<u8>) -> Value {
    Value::Bulk(Bytes::from(m))
}

fn as_set(o: &Object) -> Option<&Set> {
    match o {
        Object::Set(s) => Some(s),
        _ => None,
    }
}

fn as_set_mut(o: &mut Object) -> Option<&mut Set> {
    match o {
        Object::Set(s) => Some(s),
        _ => None,
    }
}

/// Runs `f` on the set at `key` (`None` if missing); `WRONGTYPE` otherwise.
fn read<R>(ctx: &Ctx<'_>, key: &[u8], f: impl FnOnce(Option<&Set>) -> R) -> Result<R, Value> {
    container::read(ctx.db(), key, Kind::Set, |o| f(o.and_then(as_set)))
}

/// Runs `f` on the set at `key`, created if `create`; see `container::write`.
fn write<R>(
    ctx: &Ctx<'_>,
    key: &[u8],
    create: bool,
    f: impl FnOnce(&mut Set) -> R,
) -> Result<Option<R>, Value> {
    container::write(ctx.db(), key, Kind::Set, create, |o| as_set_mut(o).map(f))
        .map(Option::flatten)
}

/// The set a record holds: `Ok(None)` for no record, `WRONGTYPE` for a
/// value of another type.
fn set_of(r: Option<&Record>) -> Result<Option<&Set>, Value> {
    match r.map(Record::view) {
        None => Ok(None),
        Some(ValueRef::Obj(Object::Set(s))) => Ok(Some(s)),
        Some(_) => Err(wrongtype()),
    }
}

/// [`read`] for a key locked with others.
fn read_locked<R>(
    locked: &mut Locked<'_>,
    db: usize,
    key: &[u8],
    f: impl FnOnce(Option<&Set>) -> R,
) -> Result<R, Value> {
    // `f` runs once, inside `with` or, for a key whose shard is not locked
    // (every command here locks all its keys, so never), as a missing key.
    let mut f = Some(f);
    let got = locked.with(db, key, |r| set_of(r).map(|s| f.take().map(|f| f(s))));
    match (got, f) {
        (Some(Err(e)), _) => Err(e),
        (Some(Ok(Some(out))), _) => Ok(out),
        (_, Some(f)) => Ok(f(None)),
        (_, None) => Err(wrongtype()),
    }
}

/// [`write`] for a key locked with others: the set is created if missing
/// and `create`, removed if `f` empties it.
fn write_locked<R>(
    locked: &mut Locked<'_>,
    db: usize,
    key: &[u8],
    create: bool,
    f: impl FnOnce(&mut Set) -> R,
) -> Result<Option<R>, Value> {
    let run = |slot: &mut crate::keyspace::Slot<'_>| {
        match slot.get().map(Record::view) {
            None if !create => return Ok(None),
            None => {
                let empty = Box::new(Object::Set(Set::new()));
                slot.replace(Record::new(key, NewValue::Obj(empty), None));
            }
            Some(ValueRef::Obj(Object::Set(_))) => {}
            Some(_) => return Err(wrongtype()),
        }
        let Some(set) = slot
            .get_mut()
            .and_then(Record::object_mut)
            .and_then(as_set_mut)
        else {
            return Ok(None);
        };
        let out = f(set);
        if set.is_empty() {
            slot.remove();
        }
        Ok(Some(out))
    };
    locked.entry(db, key, run).unwrap_or(Ok(None))
}

/// `SADD key member [member ...]`: how many members were new.
fn sadd(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let ms = tri!(members_of(&args[2..]));
    let added = tri!(write(ctx, &k, true, |s| {
        ms.iter().filter(|m| s.insert(m)).count()
    }));
    Value::Integer(added.unwrap_or(0) as i64)
}

/// `SREM key member [member ...]`: how many members were there.
fn srem(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let ms = tri!(members_of(&args[2..]));
    let removed = tri!(write(ctx, &k, false, |s| {
        ms.iter().filter(|m| s.remove(m)).count()
    }));
    Value::Integer(removed.unwrap_or(0) as i64)
}

fn sismember(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let m = tri!(member(&args[2]));
    let found = tri!(read(ctx, &k, |s| s.is_some_and(|s| s.contains(&m))));
    Value::Integer(i64::from(found))
}

fn smismember(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let ms = tri!(members_of(&args[2..]));
    let found = tri!(read(ctx, &k, |s| {
        ms.iter()
            .map(|m| Value::Integer(i64::from(s.is_some_and(|s| s.contains(m)))))
            .collect()
    }));
    Value::Array(found)
}

fn all_members(s: Option<&Set>) -> Vec<Value> {
    s.map_or_else(Vec::new, |s| s.members().map(bulk).collect())
}

fn smembers(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    Value::Set(tri!(read(ctx, &k, all_members)))
}

fn scard(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let n = tri!(read(ctx, &k, |s| s.map_or(0, Set::len)));
    Value::Integer(n as i64)
}

/// Which of `n` positions to pick so that `k` (< `n`) distinct ones are
/// chosen uniformly: a partial Fisher-Yates shuffle of all positions.
fn pick_distinct(n: usize, k: usize, rng: &mut Rng) -> Vec<bool> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut chosen = vec![false; n];
    for i in 0..k {
        let j = i + rng.below(n - i);
        order.swap(i, j);
        chosen[order[i]] = true;
    }
    chosen
}

/// `SPOP key [count]`. Random, so it is logged as what it did: an SREM of
/// the members taken, or a DEL when it took them all (as Redis does).
fn spop(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    match args.len() {
        2 => spop_one(ctx, args),
        3 => spop_count(ctx, args),
        _ => syntax_error(),
    }
}

fn spop_one(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let mut rng = Rng::new();
    let popped = tri!(write(ctx, &k, false, |s| {
        let at = rng.below(s.len());
        s.take_index(at)
    }));
    let Some(m) = popped.flatten() else {
        return Value::Null;
    };
    let m = Bytes::from(m);
    ctx.propagate(|| {
        vec![
            Value::bulk("SREM"),
            Value::Bulk(Bytes::copy_from_slice(&k)),
            Value::Bulk(m.clone()),
        ]
    });
    Value::Bulk(m)
}

/// Members per SREM record that SPOP logs.
const SREM_BATCH: usize = 1024;

/// What `SPOP key count` took: everything, or some members.
enum Popped {
    All(Vec<Vec<u8>>),
    Some(Vec<Vec<u8>>),
}

fn spop_count(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let Some(count) = strict_integer(&args[2]).ok().filter(|n| *n >= 0) else {
        return Value::error("ERR value is out of range, must be positive");
    };
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let k = tri!(key(&args[1]));
    let mut rng = Rng::new();
    let popped = tri!(write(ctx, &k, false, |s| {
        if count == 0 {
            Popped::Some(Vec::new())
        } else if count >= s.len() {
            let all = s.members().collect();
            *s = Set::new();
            Popped::All(all)
        } else {
            Popped::Some(pop_some(s, count, &mut rng))
        }
    }));
    let key_word = || Value::Bulk(Bytes::copy_from_slice(&k));
    let taken = match popped {
        None => return Value::Set(Vec::new()),
        Some(Popped::All(all)) => {
            ctx.propagate(|| vec![Value::bulk("DEL"), key_word()]);
            all
        }
        Some(Popped::Some(some)) if some.is_empty() => return Value::Set(Vec::new()),
        Some(Popped::Some(some)) => {
            // In batches, as Redis does, so that no record of the log grows
            // past what a reader takes in one frame.
            for batch in some.chunks(SREM_BATCH) {
                ctx.propagate(|| {
                    let mut words = vec![Value::bulk("SREM"), key_word()];
                    words.extend(batch.iter().map(|m| Value::Bulk(Bytes::copy_from_slice(m))));
                    words
                });
            }
            some
        }
    };
    Value::Set(taken.into_iter().map(bulk).collect())
}

/// Takes `count` (< length) random members out of `s`.
fn pop_some(s: &mut Set, count: usize, rng: &mut Rng) -> Vec<Vec<u8>> {
    match s {
        // One pass over the array beats `count` removals from its middle.
        Set::Intset(_) => {
            let chosen = pick_distinct(s.len(), count, rng);
            let keep: Vec<bool> = chosen.iter().map(|c| !c).collect();
            s.split_off_where(&keep)
        }
        Set::Table(_) => (0..count)
            .filter_map(|_| {
                let at = rng.below(s.len());
                s.take_index(at)
            })
            .collect(),
    }
}

/// `SRANDMEMBER key [count]`: a random member; with a count, that many
/// distinct ones (all, if there are fewer), or for a negative count its
/// magnitude of members that may repeat.
fn srandmember(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    match args.len() {
        2 => srandmember_one(ctx, args),
        3 => srandmember_count(ctx, args),
        _ => syntax_error(),
    }
}

fn srandmember_one(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let mut rng = Rng::new();
    let found = tri!(read(ctx, &k, |s| {
        s.and_then(|s| s.get_index(rng.below(s.len())))
    }));
    found.map_or(Value::Null, bulk)
}

fn srandmember_count(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let count = match strict_integer(&args[2]).ok() {
        None => return super::not_an_integer(),
        Some(i64::MIN) => {
            return Value::error(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            )
        }
        Some(n) => n,
    };
    let k = tri!(key(&args[1]));
    let mut rng = Rng::new();
    let picked = tri!(read(ctx, &k, |s| match s {
        None => Ok(Vec::new()),
        Some(_) if count == 0 => Ok(Vec::new()),
        Some(s) if count < 0 => with_repeats(s, count.unsigned_abs(), &mut rng),
        Some(s) => Ok(distinct(s, count.unsigned_abs(), &mut rng)),
    }));
    Value::Array(tri!(picked))
}

/// `n` members drawn with replacement; refused if the reply cannot be held.
fn with_repeats(s: &Set, n: u64, rng: &mut Rng) -> Result<Vec<Value>, Value> {
    let n = usize::try_from(n).map_err(|_| too_many())?;
    let mut out = Vec::new();
    out.try_reserve_exact(n).map_err(|_| too_many())?;
    for _ in 0..n {
        if let Some(m) = s.get_index(rng.below(s.len())) {
            out.push(bulk(m));
        }
    }
    Ok(out)
}

fn too_many() -> Value {
    Value::error("ERR count is too large for a reply")
}

/// `n` distinct members, or all of them in order if there are no more.
fn distinct(s: &Set, n: u64, rng: &mut Rng) -> Vec<Value> {
    let len = s.len();
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n >= len {
        return s.members().map(bulk).collect();
    }
    if n.saturating_mul(3) > len {
        let chosen = pick_distinct(len, n, rng);
        return (0..len)
            .filter(|i| chosen[*i])
            .filter_map(|i| s.get_index(i))
            .map(bulk)
            .collect();
    }
    // Few out of many: draw positions until `n` distinct ones came up.
    let mut seen = hashbrown::HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let at = rng.below(len);
        if seen.insert(at) {
            out.extend(s.get_index(at).map(bulk));
        }
    }
    out
}

/// `SMOVE source destination member`: 1 if moved. As in Redis, a missing
/// source answers 0 before the destination's type is looked at.
fn smove(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let src = tri!(key(&args[1]));
    let dst = tri!(key(&args[2]));
    let m = tri!(member(&args[3]));
    let db = ctx.session.db;
    let mut locked = ctx.shared.keyspace.lock(&[(db, &src), (db, &dst)]);
    let in_src = tri!(read_locked(&mut locked, db, &src, |s| {
        s.map(|s| s.contains(&m))
    }));
    let Some(in_src) = in_src else {
        return Value::Integer(0);
    };
    tri!(read_locked(&mut locked, db, &dst, |_| ()));
    if src == dst || !in_src {
        return Value::Integer(i64::from(in_src));
    }
    tri!(write_locked(&mut locked, db, &src, false, |s| s.remove(&m)));
    tri!(write_locked(&mut locked, db, &dst, true, |s| s.insert(&m)));
    Value::Integer(1)
}

/// Locks `keys` (and `dest`, if any) of the connection's database.
fn lock_all<'a>(ctx: &Ctx<'a>, keys: &[Cow<'_, [u8]>], dest: Option<&[u8]>) -> Locked<'a> {
    let db = ctx.session.db;
    let mut refs: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, &**k)).collect();
    refs.extend(dest.map(|d| (db, d)));
    ctx.shared.keyspace.lock(&refs)
}

/// The sizes of the sets at `keys` (0 for a missing one), every key's type
/// checked first, as Redis checks them all before it computes anything.
fn sizes(locked: &mut Locked<'_>, db: usize, keys: &[Cow<'_, [u8]>]) -> Result<Vec<usize>, Value> {
    keys.iter()
        .map(|k| read_locked(locked, db, k, |s| s.map_or(0, Set::len)))
        .collect()
}

/// The intersection of the sets at `keys`, in the order of the smallest,
/// stopping at `limit` members (0: no limit).
fn intersect(
    locked: &mut Locked<'_>,
    db: usize,
    keys: &[Cow<'_, [u8]>],
    limit: usize,
) -> Result<Vec<Vec<u8>>, Value> {
    let sizes = sizes(locked, db, keys)?;
    let Some(smallest) = (0..keys.len()).min_by_key(|i| sizes[*i]) else {
        return Ok(Vec::new());
    };
    if sizes[smallest] == 0 {
        return Ok(Vec::new());
    }
    let mut found: Vec<Vec<u8>> = read_locked(locked, db, &keys[smallest], |s| {
        s.map_or_else(Vec::new, |s| s.members().collect())
    })?;
    for (i, k) in keys.iter().enumerate() {
        if i != smallest && !found.is_empty() {
            read_locked(locked, db, k, |s| {
                found.retain(|m| s.is_some_and(|s| s.contains(m)))
            })?;
        }
    }
    if limit > 0 {
        found.truncate(limit);
    }
    Ok(found)
}

/// The union of the sets at `keys`, built as Redis builds it.
fn union(locked: &mut Locked<'_>, db: usize, keys: &[Cow<'_, [u8]>]) -> Result<Set, Value> {
    sizes(locked, db, keys)?;
    let mut out = Set::new();
    for k in keys {
        read_locked(locked, db, k, |s| {
            for m in s.iter().flat_map(|s| s.members()) {
                out.insert(&m);
            }
        })?;
    }
    Ok(out)
}

/// The members of the first set at `keys` in none of the others.
fn difference(locked: &mut Locked<'_>, db: usize, keys: &[Cow<'_, [u8]>]) -> Result<Set, Value> {
    sizes(locked, db, keys)?;
    let mut left: Vec<Vec<u8>> = read_locked(locked, db, &keys[0], |s| {
        s.map_or_else(Vec::new, |s| s.members().collect())
    })?;
    for k in &keys[1..] {
        if left.is_empty() {
            break;
        }
        read_locked(locked, db, k, |s| {
            if let Some(s) = s {
                left.retain(|m| !s.contains(m));
            }
        })?;
    }
    let mut out = Set::new();
    for m in &left {
        out.insert(m);
    }
    Ok(out)
}

#[derive(Clone, Copy)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// The result of `op` over `keys`, under `locked`, as a set.
fn compute(
    locked: &mut Locked<'_>,
    db: usize,
    keys: &[Cow<'_, [u8]>],
    op: Op,
) -> Result<Set, Value> {
    match op {
        Op::Inter => {
            let mut out = Set::new();
            for m in intersect(locked, db, keys, 0)? {
                out.insert(&m);
            }
            Ok(out)
        }
        Op::Union => union(locked, db, keys),
        Op::Diff => difference(locked, db, keys),
    }
}

/// SINTER, SUNION and SDIFF: the result as a set reply.
fn read_op(ctx: &mut Ctx<'_>, args: &[Value], op: Op) -> Value {
    let keys = tri!(keys_of(&args[1..]));
    let db = ctx.session.db;
    let mut locked = lock_all(ctx, &keys, None);
    let members: Vec<Vec<u8>> = match op {
        // Redis answers SINTER in the order of its smallest set.
        Op::Inter => tri!(intersect(&mut locked, db, &keys, 0)),
        _ => tri!(compute(&mut locked, db, &keys, op))
            .members()
            .collect(),
    };
    drop(locked);
    Value::Set(members.into_iter().map(bulk).collect())
}

/// SINTERSTORE, SUNIONSTORE and SDIFFSTORE: the destination is replaced
/// by the result (whatever it held, its deadline gone), or deleted if the
/// result is empty. Replies the result's size.
fn store_op(ctx: &mut Ctx<'_>, args: &[Value], op: Op) -> Value {
    let dest = tri!(key(&args[1]));
    let keys = tri!(keys_of(&args[2..]));
    let db = ctx.session.db;
    let mut locked = lock_all(ctx, &keys, Some(&dest));
    let result = tri!(compute(&mut locked, db, &keys, op));
    let n = result.len();
    let old = locked.entry(db, &dest, |slot| {
        if n == 0 {
            slot.remove()
        } else {
            let value = NewValue::Obj(Box::new(Object::Set(result)));
            slot.replace(Record::new(&dest, value, None))
        }
    });
    // The old value, maybe large, is freed once the shards are unlocked.
    drop(locked);
    drop(old);
    Value::Integer(n as i64)
}

fn sinter(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    read_op(ctx, args, Op::Inter)
}

fn sunion(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    read_op(ctx, args, Op::Union)
}

fn sdiff(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    read_op(ctx, args, Op::Diff)
}

fn sinterstore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    store_op(ctx, args, Op::Inter)
}

fn sunionstore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    store_op(ctx, args, Op::Union)
}

fn sdiffstore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    store_op(ctx, args, Op::Diff)
}

/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`, with Redis's checks in
/// Redis's order.
fn sintercard(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let Some(numkeys) = strict_integer(&args[1]).ok().filter(|n| *n > 0) else {
        return Value::error("ERR numkeys should be greater than 0");
    };
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > args.len() - 2 {
        return Value::error("ERR Number of keys can't be greater than number of args");
    }
    let mut limit = 0;
    let mut opts = args[2 + numkeys..].iter();
    while let Some(opt) = opts.next() {
        match opts.next() {
            Some(n) if is_word(opt, "LIMIT") => match strict_integer(n).ok().filter(|n| *n >= 0) {
                Some(n) => limit = usize::try_from(n).unwrap_or(usize::MAX),
                None => return Value::error("ERR LIMIT can't be negative"),
            },
            _ => return syntax_error(),
        }
    }
    let keys = tri!(keys_of(&args[2..2 + numkeys]));
    let db = ctx.session.db;
    let mut locked = lock_all(ctx, &keys, None);
    let found = tri!(intersect(&mut locked, db, &keys, limit));
    Value::Integer(found.len() as i64)
}

/// SSCAN's options: the pattern (`None` for all) and the count.
fn scan_options(args: &[Value]) -> Result<(Option<&[u8]>, usize), Value> {
    let (mut pattern, mut count) = (None, 10usize);
    let mut opts = args.iter();
    while let Some(opt) = opts.next() {
        let Some(arg) = opts.next() else {
            return Err(syntax_error());
        };
        if is_word(opt, "MATCH") {
            let p = arg.as_bytes().ok_or_else(syntax_error)?;
            pattern = Some(p).filter(|p| *p != b"*");
        } else if is_word(opt, "COUNT") {
            let n = strict_integer(arg)?;
            if n < 1 {
                return Err(syntax_error());
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
        } else {
            return Err(syntax_error());
        }
    }
    Ok((pattern, count))
}

/// `SSCAN key cursor [MATCH pattern] [COUNT count]`. An intset comes back
/// whole with cursor 0, as in Redis; a hash set a window of positions at a
/// time (see `Set::scan_window`). As in Redis, the cursor is checked
/// first, then the key, then the options.
fn sscan(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let Some(cursor) = args[2].as_bytes().and_then(super::scan_cursor) else {
        return Value::error("ERR invalid cursor");
    };
    let k = tri!(key(&args[1]));
    let step = tri!(read(ctx, &k, |s| {
        let Some(s) = s else {
            return Ok((Vec::new(), 0));
        };
        let (pattern, count) = scan_options(&args[3..])?;
        let (found, next) = match s {
            Set::Intset(_) => (s.members().collect(), 0),
            Set::Table(_) => s.scan_window(cursor, count),
        };
        let found: Vec<Value> = found
            .into_iter()
            .filter(|m| pattern.is_none_or(|p| glob::matches(p, m)))
            .map(bulk)
            .collect();
        Ok((found, next))
    }));
    let (found, next) = tri!(step);
    Value::Array(vec![
        Value::Bulk(Bytes::from(next.to_string())),
        Value::Array(found),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_like_strtoul() {
        assert_eq!(super::super::scan_cursor(b"00"), Some(0));
        assert_eq!(super::super::scan_cursor(b"+5"), Some(5));
        assert_eq!(super::super::scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(super::super::scan_cursor(b""), Some(0));
        assert_eq!(super::super::scan_cursor(b"x"), None);
        assert_eq!(super::super::scan_cursor(b"18446744073709551616"), None);
    }

    #[test]
    fn pick_distinct_picks_exactly_k() {
        let mut rng = Rng::new();
        for k in 0..10 {
            let c = pick_distinct(10, k, &mut rng);
            assert_eq!(c.iter().filter(|x| **x).count(), k);
        }
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Rng::new();
        assert!((0..1000).all(|_| rng.below(3) < 3));
    }
}
