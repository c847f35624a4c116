//! The list family, without the blocking commands: pushes and pops at
//! either end, indexes and ranges, LINSERT, LREM, LTRIM, LPOS, and the
//! moves between lists (LMOVE, RPOPLPUSH, LMPOP).
//!
//! Arguments are checked in Redis's order, which decides which of two
//! errors a request gets: some parse their numbers before looking at the
//! key (LRANGE, LTRIM, LREM), others look at the key first (LINDEX, LSET).
//!
//! A command on several keys locks all their shards first
//! ([`crate::keyspace::Keyspace::lock`]), so a move is never seen half
//! done, by readers or by another move.

use std::borrow::Cow;

use bytes::Bytes;
use kvstore_protocol::Value;

use super::container::{self, Kind};
use super::strings::wrongtype;
use super::table::acl::*;
use super::table::flags::*;
use super::table::{NONE, ONE};
use super::{integer, is_word, key, syntax_error, wrong_args, Command, Ctx};
use crate::keyspace::object::{List, Member};
use crate::keyspace::{NewValue, Object, Record, Slot, ValueRef};
use crate::tri;

pub static COMMANDS: &[Command] = &[
    Command::new("lpush", -3, WRITE | DENYOOM | FAST, LIST, ONE, lpush)
        .doc("list", "Prepends one or more elements to a list, creating it if needed.", "key element [element ...]"),
    Command::new("rpush", -3, WRITE | DENYOOM | FAST, LIST, ONE, rpush)
        .doc("list", "Appends one or more elements to a list, creating it if needed.", "key element [element ...]"),
    Command::new("lpushx", -3, WRITE | DENYOOM | FAST, LIST, ONE, lpushx)
        .doc("list", "Prepends one or more elements to a list, only if the list exists.", "key element [element ...]"),
    Command::new("rpushx", -3, WRITE | DENYOOM | FAST, LIST, ONE, rpushx)
        .doc("list", "Appends one or more elements to a list, only if the list exists.", "key element [element ...]"),
    Command::new("lpop", -2, WRITE | FAST, LIST, ONE, lpop)
        .doc("list", "Returns and removes the first elements of a list; deletes the list when it is emptied.", "key [count]"),
    Command::new("rpop", -2, WRITE | FAST, LIST, ONE, rpop)
        .doc("list", "Returns and removes the last elements of a list; deletes the list when it is emptied.", "key [count]"),
    Command::new("llen", 2, READONLY | FAST, LIST, ONE, llen)
        .doc("list", "Returns the length of a list.", "key"),
    Command::new("lrange", 4, READONLY, LIST, ONE, lrange)
        .doc("list", "Returns a range of elements from a list.", "key start stop"),
    Command::new("lindex", 3, READONLY, LIST, ONE, lindex)
        .doc("list", "Returns an element from a list by its index.", "key index"),
    Command::new("lset", 4, WRITE | DENYOOM, LIST, ONE, lset)
        .doc("list", "Sets the value of an element in a list by its index.", "key index element"),
    Command::new("linsert", 5, WRITE | DENYOOM, LIST, ONE, linsert)
        .doc("list", "Inserts an element before or after another element in a list.", "key BEFORE|AFTER pivot element"),
    Command::new("lrem", 4, WRITE, LIST, ONE, lrem)
        .doc("list", "Removes elements from a list; deletes the list when it is emptied.", "key count element"),
    Command::new("ltrim", 4, WRITE, LIST, ONE, ltrim)
        .doc("list", "Removes elements from both ends of a list; deletes the list when it is emptied.", "key start stop"),
    Command::new("lpos", -3, READONLY, LIST, ONE, lpos)
        .doc("list", "Returns the index of matching elements in a list.", "key element [RANK rank] [COUNT num-matches] [MAXLEN len]"),
    Command::new("lmove", 5, WRITE | DENYOOM, LIST, (1, 2, 1), lmove)
        .doc("list", "Returns an element after popping it from one list and pushing it to another; deletes the source list when it is emptied.", "source destination LEFT|RIGHT LEFT|RIGHT"),
    Command::new("rpoplpush", 3, WRITE | DENYOOM, LIST, (1, 2, 1), rpoplpush)
        .doc("list", "Returns the last element of a list after removing it and pushing it to the head of another list; deletes the source list when it is emptied.", "source destination"),
    // Redis reports no key positions for LMPOP (its keys are counted by an
    // argument), and neither does this row; so its syntax names them
    // `list-key`, which the table check does not count as a key.
    Command::new("lmpop", -4, WRITE, LIST, NONE, lmpop)
        .doc("list", "Returns and removes one or more elements from the first non-empty list of several; deletes the list when it is emptied.", "numkeys list-key ... LEFT|RIGHT [COUNT count]"),
    Command::new("blpop", -3, WRITE | BLOCKING, LIST, (1, -2, 1), blpop)
        .doc("list", "Removes and returns the first element of the first non-empty list, waiting for one.", "key [key ...] timeout"),
    Command::new("brpop", -3, WRITE | BLOCKING, LIST, (1, -2, 1), brpop)
        .doc("list", "Removes and returns the last element of the first non-empty list, waiting for one.", "key [key ...] timeout"),
    Command::new("blmove", 6, WRITE | DENYOOM | BLOCKING, LIST, (1, 2, 1), blmove)
        .doc("list", "Moves an element from one list to another, waiting for one.", "source destination LEFT|RIGHT LEFT|RIGHT timeout"),
    Command::new("brpoplpush", 4, WRITE | DENYOOM | BLOCKING, LIST, (1, 2, 1), brpoplpush)
        .doc("list", "Moves the last element of a list to the head of another, waiting for one.", "source destination timeout"),
    Command::new("blmpop", -5, WRITE | BLOCKING, LIST, NONE, blmpop)
        .doc("list", "Removes and returns elements from the first non-empty list of several, waiting for one.", "timeout numkeys list-key ... LEFT|RIGHT [COUNT count]"),
];

/// An element argument: a string as it is, an integer as its decimal text.
fn element(v: &Value) -> Result<Cow<'_, [u8]>, Value> {
    match v {
        Value::Integer(_) | Value::Bulk(_) | Value::Simple(_) => key(v),
        other => Err(Value::error(format!(
            "ERR invalid element: expected a string or an integer, got {}",
            other.type_name()
        ))),
    }
}

fn elements(args: &[Value]) -> Result<Vec<Cow<'_, [u8]>>, Value> {
    args.iter().map(element).collect()
}

fn bulk(b: &[u8]) -> Value {
    Value::Bulk(Bytes::copy_from_slice(b))
}

fn as_list(o: &mut Object) -> Option<&mut List> {
    match o {
        Object::List(l) => Some(l),
        _ => None,
    }
}

/// Runs `f` on the list at `key` under its shard's write lock; `Ok(None)`
/// for a missing key unless `create`. An emptied list is removed.
fn write_list<R>(
    ctx: &Ctx<'_>,
    key: &[u8],
    create: bool,
    f: impl FnOnce(&mut List) -> R,
) -> Result<Option<R>, Value> {
    container::write(ctx.db(), key, Kind::List, create, |o| as_list(o).map(f)).map(Option::flatten)
}

/// Runs `f` on the list at `key` (`None` if missing) under a read lock.
fn read_list<R>(ctx: &Ctx<'_>, key: &[u8], f: impl FnOnce(Option<&List>) -> R) -> Result<R, Value> {
    container::read(ctx.db(), key, Kind::List, |o| {
        f(match o {
            Some(Object::List(l)) => Some(l),
            _ => None,
        })
    })
}

/// The list in a slot of locked shards; `WRONGTYPE` for another type.
fn list_in<'s>(slot: &'s mut Slot<'_>) -> Result<Option<&'s mut List>, Value> {
    match slot.get_mut() {
        None => Ok(None),
        Some(r) => match r.object_mut() {
            Some(Object::List(l)) => Ok(Some(l)),
            _ => Err(wrongtype()),
        },
    }
}

/// A record holding a new list of one element.
fn new_list(key: &[u8], item: &[u8]) -> Record {
    let mut l = List::new();
    l.push(item, true);
    Record::new(key, NewValue::Obj(Box::new(Object::List(l))), None)
}

/// Resolves Redis's `start`/`stop` (negative from the tail) against a list
/// of `len`: the inclusive range of positions, or `None` if it is empty.
fn span(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let start = if start < 0 { len + start } else { start }.max(0);
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

/// Resolves an index (negative from the tail); `None` past either end.
fn position(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let at = if index < 0 { len + index } else { index };
    (0..len).contains(&at).then_some(at as usize)
}

/// True for LEFT (the head), false for RIGHT, else a syntax error.
fn side(v: &Value) -> Result<bool, Value> {
    if is_word(v, "LEFT") {
        Ok(true)
    } else if is_word(v, "RIGHT") {
        Ok(false)
    } else {
        Err(syntax_error())
    }
}

// ---------------------------------------------------------------------------
// Pushes and pops
// ---------------------------------------------------------------------------

fn push(ctx: &Ctx<'_>, args: &[Value], front: bool, create: bool) -> Value {
    let k = tri!(key(&args[1]));
    let items = tri!(elements(&args[2..]));
    let len = tri!(write_list(ctx, &k, create, |l| {
        for item in &items {
            l.push(item, front);
        }
        l.len()
    }));
    Value::Integer(len.unwrap_or(0) as i64)
}

/// `LPUSH key element [element ...]`: the new length.
pub fn lpush(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    push(ctx, args, true, true)
}

/// `RPUSH key element [element ...]`: the new length.
pub fn rpush(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    push(ctx, args, false, true)
}

/// `LPUSHX key element [element ...]`: 0 for a missing key.
pub fn lpushx(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    push(ctx, args, true, false)
}

/// `RPUSHX key element [element ...]`: 0 for a missing key.
pub fn rpushx(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    push(ctx, args, false, false)
}

/// A count that must be at least `min`: every other argument, numbers
/// or not, gets the same error `msg`, as in Redis.
fn count_arg(v: &Value, min: i64, msg: &str) -> Result<usize, Value> {
    match integer(v) {
        Ok(n) if n >= min => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(Value::error(msg.to_string())),
    }
}

/// Takes up to `count` elements from one end; the list is never asked
/// for more room than it has elements.
fn pop_some(l: &mut List, front: bool, count: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(count.min(l.len()));
    while out.len() < count {
        match l.pop(front) {
            Some(item) => out.push(Value::Bulk(Bytes::from(Vec::from(item)))),
            None => break,
        }
    }
    out
}

fn pop(ctx: &Ctx<'_>, args: &[Value], front: bool) -> Value {
    if args.len() > 3 {
        return wrong_args(if front { "lpop" } else { "rpop" });
    }
    let count = match args.get(2) {
        Some(c) => Some(tri!(count_arg(
            c,
            0,
            "ERR value is out of range, must be positive"
        ))),
        None => None,
    };
    let k = tri!(key(&args[1]));
    let popped = tri!(write_list(ctx, &k, false, |l| {
        pop_some(l, front, count.unwrap_or(1))
    }));
    match (popped, count) {
        // Redis answers a null array when asked for a count (`*-1`).
        (None, Some(_)) => Value::NullArray,
        (None, None) => Value::Null,
        (Some(items), Some(_)) => Value::Array(items),
        (Some(items), None) => items.into_iter().next().unwrap_or(Value::Null),
    }
}

/// `LPOP key [count]`: one element, or an array of up to `count`.
pub fn lpop(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    pop(ctx, args, true)
}

/// `RPOP key [count]`: one element, or an array of up to `count`.
pub fn rpop(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    pop(ctx, args, false)
}

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

/// `LLEN key`: 0 for a missing key.
pub fn llen(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let len = tri!(read_list(ctx, &k, |l| l.map_or(0, List::len)));
    Value::Integer(len as i64)
}

/// `LRANGE key start stop`: inclusive, negative indexes from the tail.
pub fn lrange(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let start = tri!(integer(&args[2]));
    let stop = tri!(integer(&args[3]));
    tri!(read_list(ctx, &k, |l| {
        let items = l.and_then(|l| {
            let (a, b) = span(start, stop, l.len())?;
            Some(l.range(a, b).map(bulk).collect())
        });
        Value::Array(items.unwrap_or_default())
    }))
}

/// `LINDEX key index`: the element, or null past either end.
pub fn lindex(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    tri!(read_list(ctx, &k, |l| {
        let Some(l) = l else {
            return Value::Null;
        };
        let index = tri!(integer(&args[2]));
        position(index, l.len())
            .and_then(|at| l.get(at))
            .map_or(Value::Null, bulk)
    }))
}

/// LPOS's options, as given.
struct PosOpts {
    rank: i64,
    /// `None` without COUNT (one index or null); 0 for every match.
    count: Option<usize>,
    /// How many elements to look at; 0 for all.
    maxlen: usize,
}

fn pos_opts(args: &[Value]) -> Result<PosOpts, Value> {
    let mut o = PosOpts {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    let mut rest = args.iter();
    while let Some(opt) = rest.next() {
        let Some(v) = rest.as_slice().first() else {
            return Err(syntax_error());
        };
        if is_word(opt, "RANK") {
            o.rank = integer(v)?;
            if o.rank == 0 {
                return Err(Value::error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if is_word(opt, "COUNT") {
            o.count = Some(count_arg(v, 0, "ERR COUNT can't be negative")?);
        } else if is_word(opt, "MAXLEN") {
            o.maxlen = count_arg(v, 0, "ERR MAXLEN can't be negative")?;
        } else {
            return Err(syntax_error());
        }
        rest.next();
    }
    Ok(o)
}

/// The positions (from the head) of the matches LPOS asks for.
fn matches(l: &List, item: &[u8], o: &PosOpts) -> Vec<usize> {
    let from_tail = o.rank < 0;
    // Redis negates the rank with a wrapping negation: the lowest one stays
    // negative, and then every match counts, as with a rank of -1.
    let skip = usize::try_from(o.rank.checked_abs().unwrap_or(1) - 1).unwrap_or(usize::MAX);
    let want = match o.count {
        None => 1,
        Some(0) => usize::MAX,
        Some(n) => n,
    };
    let scan = if o.maxlen == 0 { l.len() } else { o.maxlen };
    let last = l.len().saturating_sub(1);
    let elements = if from_tail { l.iter_rev() } else { l.iter() };
    elements
        .take(scan)
        .enumerate()
        .filter(|(_, e)| *e == item)
        .skip(skip)
        .take(want)
        .map(|(i, _)| if from_tail { last - i } else { i })
        .collect()
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`.
pub fn lpos(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let item = tri!(element(&args[2]));
    let o = tri!(pos_opts(&args[3..]));
    let found = tri!(read_list(ctx, &k, |l| l.map(|l| matches(l, &item, &o))));
    let found = found.unwrap_or_default();
    match o.count {
        Some(_) => Value::Array(
            found
                .into_iter()
                .map(|i| Value::Integer(i as i64))
                .collect(),
        ),
        None => found
            .first()
            .map_or(Value::Null, |i| Value::Integer(*i as i64)),
    }
}

// ---------------------------------------------------------------------------
// Edits
// ---------------------------------------------------------------------------

/// `LSET key index element`: `ERR no such key` for a missing key.
pub fn lset(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let item = tri!(element(&args[3]));
    let done = tri!(write_list(ctx, &k, false, |l| {
        let index = integer(&args[2])?;
        match position(index, l.len()) {
            Some(at) if l.set(at, &item) => Ok(()),
            _ => Err(Value::error("ERR index out of range")),
        }
    }));
    match done {
        None => Value::error("ERR no such key"),
        Some(Err(e)) => e,
        Some(Ok(())) => Value::ok(),
    }
}

/// `LINSERT key BEFORE|AFTER pivot element`: the new length, -1 if the
/// pivot is not there, 0 for a missing key.
pub fn linsert(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let after = if is_word(&args[2], "AFTER") {
        true
    } else if is_word(&args[2], "BEFORE") {
        false
    } else {
        return syntax_error();
    };
    let k = tri!(key(&args[1]));
    let pivot = tri!(element(&args[3]));
    let item = tri!(element(&args[4]));
    let len = tri!(write_list(ctx, &k, false, |l| {
        if l.insert(&pivot, &item, after) {
            l.len() as i64
        } else {
            -1
        }
    }));
    Value::Integer(len.unwrap_or(0))
}

/// `LREM key count element`: removes `count` matches from the head (from
/// the tail if negative, all if 0); how many went.
pub fn lrem(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let count = tri!(integer(&args[2]));
    let item = tri!(element(&args[3]));
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let from_tail = count < 0;
    let gone = tri!(write_list(ctx, &k, false, |l| l.remove(&item, limit, from_tail)));
    Value::Integer(gone.unwrap_or(0) as i64)
}

/// `LTRIM key start stop`: keeps that range; an empty range deletes the key.
pub fn ltrim(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let start = tri!(integer(&args[2]));
    let stop = tri!(integer(&args[3]));
    tri!(write_list(ctx, &k, false, |l| {
        match span(start, stop, l.len()) {
            Some((a, b)) => l.trim(a, b, true),
            None => l.trim(0, 0, false),
        }
    }));
    Value::ok()
}

// ---------------------------------------------------------------------------
// Moves between lists
// ---------------------------------------------------------------------------

/// What a locked key holds, for the checks a move makes before it changes
/// anything.
fn holds_list(r: Option<&Record>) -> Result<bool, Value> {
    match r.map(Record::view) {
        None => Ok(false),
        Some(ValueRef::Obj(Object::List(_))) => Ok(true),
        Some(_) => Err(wrongtype()),
    }
}

/// Pops from one end of `src` and pushes onto one end of `dst`, at one
/// instant; the element, or null if `src` is missing. Neither list is
/// touched unless both are lists (or `dst` is missing).
fn move_one(ctx: &Ctx<'_>, src: &[u8], dst: &[u8], from_front: bool, to_front: bool) -> Value {
    let db = ctx.session.db;
    let mut locked = ctx.shared.keyspace.lock(&[(db, src), (db, dst)]);
    match locked.with(db, src, holds_list) {
        Some(Ok(true)) => {}
        Some(Err(e)) => return e,
        _ => return Value::Null,
    }
    if let Some(Err(e)) = locked.with(db, dst, holds_list) {
        return e;
    }
    if src == dst {
        // A rotation: the list is never empty between the pop and the push.
        let moved = locked.entry(db, src, |slot| {
            let l = list_in(slot).ok().flatten()?;
            let item = l.pop(from_front)?;
            l.push(&item, to_front);
            Some(item)
        });
        return moved.flatten().map_or(Value::Null, |item| bulk(&item));
    }
    let taken: Option<Member> = locked
        .entry(db, src, |slot| {
            let l = list_in(slot).ok().flatten()?;
            let item = l.pop(from_front);
            if l.is_empty() {
                slot.remove();
            }
            item
        })
        .flatten();
    let Some(item) = taken else {
        return Value::Null;
    };
    locked.entry(db, dst, |slot| match list_in(slot) {
        Ok(Some(l)) => l.push(&item, to_front),
        _ => {
            slot.replace(new_list(dst, &item));
        }
    });
    bulk(&item)
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`.
pub fn lmove(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let from_front = tri!(side(&args[3]));
    let to_front = tri!(side(&args[4]));
    let src = tri!(key(&args[1]));
    let dst = tri!(key(&args[2]));
    move_one(ctx, &src, &dst, from_front, to_front)
}

/// `RPOPLPUSH source destination`: LMOVE RIGHT LEFT.
pub fn rpoplpush(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let src = tri!(key(&args[1]));
    let dst = tri!(key(&args[2]));
    move_one(ctx, &src, &dst, false, true)
}

/// LMPOP's arguments: the keys, the end, the count.
fn mpop_args(args: &[Value]) -> Result<(&[Value], bool, usize), Value> {
    let numkeys = count_arg(&args[1], 1, "ERR numkeys should be greater than 0")?;
    let keys_end = numkeys.checked_add(2).ok_or_else(syntax_error)?;
    let (Some(keys), Some(end)) = (args.get(2..keys_end), args.get(keys_end)) else {
        return Err(syntax_error());
    };
    let front = side(end)?;
    let mut count = None;
    let mut rest = args[keys_end + 1..].iter();
    while let Some(opt) = rest.next() {
        match rest.next() {
            Some(n) if count.is_none() && is_word(opt, "COUNT") => {
                count = Some(count_arg(n, 1, "ERR count should be greater than 0")?);
            }
            _ => return Err(syntax_error()),
        }
    }
    Ok((keys, front, count.unwrap_or(1)))
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`: pops from the
/// first non-empty list, as `[key, [elements]]`; null if all are missing.
pub fn lmpop(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let (keys, front, count) = tri!(mpop_args(args));
    let keys: Vec<Cow<'_, [u8]>> = tri!(keys.iter().map(key).collect());
    let db = ctx.session.db;
    let refs: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, &**k)).collect();
    let mut locked = ctx.shared.keyspace.lock(&refs);
    for k in &keys {
        let popped = locked.entry(db, k, |slot| {
            let l = match list_in(slot) {
                Ok(Some(l)) => l,
                Ok(None) => return Ok(None),
                Err(e) => return Err(e),
            };
            let items = pop_some(l, front, count);
            if l.is_empty() {
                slot.remove();
            }
            Ok(Some(items))
        });
        match popped {
            Some(Ok(Some(items))) => return Value::Array(vec![bulk(k), Value::Array(items)]),
            Some(Err(e)) => return e,
            _ => {}
        }
    }
    // Redis answers a null array (`*-1` in RESP2).
    Value::NullArray
}

/// BLPOP and BRPOP: LMPOP of one element, answered as (key, element) and
/// logged as the LPOP or RPOP it was.
fn bpop(ctx: &mut Ctx<'_>, args: &[Value], front: bool) -> Value {
    let t = tri!(super::blocking::timeout(&args[args.len() - 1]));
    let keys = &args[1..args.len() - 1];
    let mut lm = vec![Value::bulk("LMPOP"), Value::Integer(keys.len() as i64)];
    lm.extend(keys.iter().cloned());
    lm.push(Value::bulk(if front { "LEFT" } else { "RIGHT" }));
    match lmpop(ctx, &lm) {
        Value::Array(mut kv) if kv.len() == 2 => {
            let element = match kv.pop() {
                Some(Value::Array(mut items)) if !items.is_empty() => items.swap_remove(0),
                _ => Value::Null,
            };
            let k = kv.swap_remove(0);
            let name = if front { "LPOP" } else { "RPOP" };
            ctx.propagate(|| vec![Value::bulk(name), k.clone()]);
            Value::Array(vec![k, element])
        }
        Value::NullArray => super::blocking::wait(ctx, args, keys, t),
        other => other,
    }
}

pub fn blpop(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    bpop(ctx, args, true)
}

pub fn brpop(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    bpop(ctx, args, false)
}

/// BLMOVE and BRPOPLPUSH: the move, or a wait on the source.
fn bmove(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    moved: Vec<Value>,
    t: Option<std::time::Duration>,
) -> Value {
    let reply = if moved.len() == 5 {
        lmove(ctx, &moved)
    } else {
        rpoplpush(ctx, &moved)
    };
    match reply {
        Value::Null => super::blocking::wait(ctx, args, &args[1..2], t),
        e if e.is_error() => e,
        element => {
            ctx.propagate(|| moved);
            element
        }
    }
}

pub fn blmove(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let t = tri!(super::blocking::timeout(&args[5]));
    let mut moved = vec![Value::bulk("LMOVE")];
    moved.extend(args[1..5].iter().cloned());
    bmove(ctx, args, moved, t)
}

pub fn brpoplpush(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let t = tri!(super::blocking::timeout(&args[3]));
    let moved = vec![Value::bulk("RPOPLPUSH"), args[1].clone(), args[2].clone()];
    bmove(ctx, args, moved, t)
}

/// `BLMPOP timeout numkeys key ... LEFT|RIGHT [COUNT count]`.
pub fn blmpop(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let t = tri!(super::blocking::timeout(&args[1]));
    let mut lm = vec![Value::bulk("LMPOP")];
    lm.extend(args[2..].iter().cloned());
    match lmpop(ctx, &lm) {
        Value::NullArray => {
            let n = integer(&args[2]).unwrap_or(0).max(0) as usize;
            let keys = args.get(3..3 + n).unwrap_or_default();
            super::blocking::wait(ctx, args, keys, t)
        }
        e if e.is_error() => e,
        popped => {
            ctx.propagate(|| lm);
            popped
        }
    }
}
