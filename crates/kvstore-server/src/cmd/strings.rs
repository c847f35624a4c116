//! The string family: the seed's GET and SET, and Redis's string commands
//! (SET's options, SETEX, GETEX, GETDEL, APPEND, INCR..., GETRANGE,
//! SETRANGE, MSETNX...).
//!
//! Values keep their type in the store. A Redis client, though, knows only
//! strings: in Redis mode the reads here show an integer or double as its
//! decimal text, the way Redis itself would, and any other type is the
//! wrong kind (see docs/redis-compat.md). A seed client reads every value
//! as it is stored, containers included.

use super::table::acl::*;
use super::table::flags::*;
use super::table::{ALL, ONE};
use std::borrow::Cow;

use bytes::Bytes;
use kvstore_protocol::{parse_i64, Value};

use super::args::{deadline_arg, Unit};
use super::{
    integer, invalid_expire, is_word, key, storable, syntax_error, wrong_args, Command, Ctx,
};
use crate::config::ReplyMode;
use crate::keyspace::clock::unix_ms;
use crate::keyspace::{NewValue, Record, ValueRef};
use crate::state::Session;
use crate::tri;

pub static COMMANDS: &[Command] = &[
    Command::new("get", 2, READONLY | FAST, STRING, ONE, get)
        .doc("string", "Returns the value of a key.", "key"),
    Command::new("set", -3, WRITE | DENYOOM, STRING, ONE, set)
        .doc("string", "Sets the value of a key, with an optional deadline; NX/XX make it conditional, GET returns the old value.", "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"),
    Command::new("mget", -2, READONLY | FAST, STRING, ALL, mget)
        .doc("string", "Returns the values of several keys.", "key ..."),
    Command::new("mset", -3, WRITE | DENYOOM, STRING, (1, -1, 2), mset)
        .doc("string", "Sets several keys at once, atomically.", "(key value) ..."),
    Command::new("msetnx", -3, WRITE | DENYOOM, STRING, (1, -1, 2), msetnx)
        .doc("string", "Sets several keys at once, only if none of them exists.", "(key value) ..."),
    Command::new("setnx", 3, WRITE | DENYOOM | FAST, STRING, ONE, setnx)
        .doc("string", "Sets a key only if it does not exist.", "key value"),
    Command::new("setex", 4, WRITE | DENYOOM, STRING, ONE, setex)
        .doc("string", "Sets a key with a deadline in seconds.", "key seconds value"),
    Command::new("psetex", 4, WRITE | DENYOOM, STRING, ONE, psetex)
        .doc("string", "Sets a key with a deadline in milliseconds.", "key milliseconds value"),
    Command::new("getset", 3, WRITE | DENYOOM | FAST, STRING, ONE, getset)
        .doc("string", "Sets a key and returns its old value.", "key value"),
    Command::new("getex", -2, WRITE | FAST, STRING, ONE, getex)
        .doc("string", "Returns a string value and sets or clears its deadline.", "key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]"),
    Command::new("getdel", 2, WRITE | FAST, STRING, ONE, getdel)
        .doc("string", "Returns a string value and deletes the key.", "key"),
    Command::new("strlen", 2, READONLY | FAST, STRING, ONE, strlen)
        .doc("string", "Returns the length of a string value.", "key"),
    Command::new("append", 3, WRITE | DENYOOM | FAST, STRING, ONE, append)
        .doc("string", "Appends to a string value; returns the new length.", "key value"),
    Command::new("getrange", 4, READONLY, STRING, ONE, getrange)
        .doc("string", "Returns part of a string value.", "key start end"),
    Command::new("substr", 4, READONLY, STRING, ONE, getrange)
        .doc("string", "Returns part of a string value (old name of GETRANGE).", "key start end"),
    Command::new("setrange", 4, WRITE | DENYOOM, STRING, ONE, setrange)
        .doc("string", "Overwrites part of a string value.", "key offset value"),
    Command::new("incr", 2, WRITE | DENYOOM | FAST, STRING, ONE, incr)
        .doc("string", "Adds 1 to an integer value.", "key"),
    Command::new("decr", 2, WRITE | DENYOOM | FAST, STRING, ONE, decr)
        .doc("string", "Subtracts 1 from an integer value.", "key"),
    Command::new("incrby", 3, WRITE | DENYOOM | FAST, STRING, ONE, incrby)
        .doc("string", "Adds an amount to an integer value.", "key increment"),
    Command::new("decrby", 3, WRITE | DENYOOM | FAST, STRING, ONE, decrby)
        .doc("string", "Subtracts an amount from an integer value.", "key decrement"),
    Command::new("incrbyfloat", 3, WRITE | DENYOOM | FAST, STRING, ONE, incrbyfloat)
        .doc("string", "Adds a floating-point amount to a number.", "key increment"),
    Command::new("lcs", -3, READONLY, STRING, (1, 2, 1), lcs)
        .doc("string", "Returns the longest common subsequence of two strings.", "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]"),
];

pub fn wrongtype() -> Value {
    Value::error("WRONGTYPE Operation against a key holding the wrong kind of value")
}

/// A stored value as this connection should see it: as stored in seed mode;
/// in Redis mode, numbers as their decimal text and other types refused.
fn present(session: &Session, v: ValueRef<'_>) -> Value {
    if session.mode == ReplyMode::Seed {
        return v.to_value();
    }
    match v.as_str() {
        Some(s) => Value::Bulk(Bytes::copy_from_slice(&s)),
        None => wrongtype(),
    }
}

/// [`present`] for a value already copied out.
fn present_owned(session: &Session, v: Option<(Value, bool)>) -> Value {
    match v {
        None => Value::Null,
        Some((v, _)) if session.mode == ReplyMode::Seed => v,
        Some((_, false)) => wrongtype(),
        Some((Value::Integer(n), true)) => Value::Bulk(Bytes::from(n.to_string())),
        Some((Value::Double(d), true)) => Value::Bulk(Bytes::from(d.to_string())),
        Some((v, true)) => v,
    }
}

/// A copy of the record's value and whether Redis would call it a string.
fn copy_out(r: &Record) -> (Value, bool) {
    let v = r.view();
    (v.to_value(), v.is_string())
}

/// The reply to a successful SET or MSET, the one point where the two
/// reply modes differ (see README.md, "Two reply modes").
fn stored(session: &Session, seed_reply: i64) -> Value {
    match session.mode {
        ReplyMode::Seed => Value::Integer(seed_reply),
        ReplyMode::Redis => Value::ok(),
    }
}

pub fn get(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let session = &*ctx.session;
    ctx.db()
        .with_ref(&k, |v| v.map_or(Value::Null, |v| present(session, v)))
}

/// What SET's or GETEX's options asked for.
#[derive(Default)]
struct Options<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    /// The last expiry option: its unit, whether it is relative, and its
    /// argument, checked only once every option is read (as Redis does).
    expire: Option<(Unit, bool, &'a Value)>,
}

/// Reads SET's options (`for_set`) or GETEX's as Redis does: an option
/// may repeat (the last expiry wins), but not meet one it excludes.
fn parse_options(opts: &[Value], for_set: bool) -> Result<Options<'_>, Value> {
    let mut o = Options::default();
    let mut i = 0;
    while i < opts.len() {
        let opt = &opts[i];
        let expiry = [
            ("EX", Unit::Seconds, true),
            ("PX", Unit::Millis, true),
            ("EXAT", Unit::Seconds, false),
            ("PXAT", Unit::Millis, false),
        ]
        .into_iter()
        .find(|(w, _, _)| is_word(opt, w));
        if for_set && is_word(opt, "NX") && !o.xx {
            o.nx = true;
        } else if for_set && is_word(opt, "XX") && !o.nx {
            o.xx = true;
        } else if for_set && is_word(opt, "GET") {
            o.get = true;
        } else if for_set && is_word(opt, "KEEPTTL") && o.expire.is_none() {
            o.keepttl = true;
        } else if !for_set && is_word(opt, "PERSIST") && o.expire.is_none() {
            o.persist = true;
        } else if let (Some((_, unit, relative)), Some(arg)) = (expiry, opts.get(i + 1)) {
            let other_kind = o.expire.is_some_and(|(u, r, _)| (u, r) != (unit, relative));
            if o.keepttl || o.persist || other_kind {
                return Err(syntax_error());
            }
            o.expire = Some((unit, relative, arg));
            i += 1;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    Ok(o)
}

/// The deadline an expiry option names, checked as Redis checks it.
fn expire_deadline(expire: Option<(Unit, bool, &Value)>, name: &str) -> Result<Option<u64>, Value> {
    let Some((unit, relative, arg)) = expire else {
        return Ok(None);
    };
    let n = integer(arg)?;
    if n <= 0 {
        return Err(invalid_expire(name));
    }
    match deadline_arg(n, unit, relative, unix_ms()) {
        Some(d) if d > 0 => Ok(Some(d as u64)),
        _ => Err(invalid_expire(name)),
    }
}

/// The request to log for a write that stored `value` at `key` with
/// `deadline`: the deadline is absolute, so a replay at any later time
/// gives the same key (or none, once it has passed).
fn log_set(ctx: &mut Ctx<'_>, key: &Value, value: &Value, deadline: Option<u64>, keepttl: bool) {
    ctx.propagate(|| {
        let mut words = vec![Value::bulk("SET"), key.clone(), value.clone()];
        if let Some(d) = deadline {
            words.push(Value::bulk("PXAT"));
            words.push(Value::Integer(d as i64));
        } else if keepttl {
            words.push(Value::bulk("KEEPTTL"));
        }
        words
    });
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]`.
pub fn set(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let v = tri!(storable(&args[2]));
    if args.len() == 3 {
        // The common case needs no look at the old value.
        ctx.db().set(&k, NewValue::Value(&v), None);
        return stored(ctx.session, 1);
    }
    let o = tri!(parse_options(&args[3..], true));
    let deadline = tri!(expire_deadline(o.expire, "set"));
    // One read-modify-write under the shard lock: the condition and the
    // write see the same value.
    let outcome = ctx.db().entry(&k, |slot| {
        let old = slot.get();
        if o.get && old.is_some_and(|r| !r.view().is_string()) {
            return Err(wrongtype());
        }
        let old_copy = if o.get { old.map(copy_out) } else { None };
        if (o.nx && old.is_some()) || (o.xx && old.is_none()) {
            return Ok((false, old_copy));
        }
        let kept = if o.keepttl {
            old.and_then(Record::deadline)
        } else {
            deadline
        };
        slot.replace(Record::new(&k, NewValue::Value(&v), kept));
        Ok((true, old_copy))
    });
    let (written, old) = tri!(outcome);
    if written {
        log_set(ctx, &args[1], &v, deadline, o.keepttl);
    }
    if o.get {
        present_owned(ctx.session, old)
    } else if written {
        stored(ctx.session, 1)
    } else {
        Value::Null
    }
}

/// `SETEX key seconds value` and `PSETEX key ms value`.
fn set_expiring(ctx: &mut Ctx<'_>, args: &[Value], unit: Unit, name: &str) -> Value {
    let k = tri!(key(&args[1]));
    let n = tri!(integer(&args[2]));
    let v = tri!(storable(&args[3]));
    if n <= 0 {
        return invalid_expire(name);
    }
    let Some(deadline) = deadline_arg(n, unit, true, unix_ms()) else {
        return invalid_expire(name);
    };
    let deadline = deadline.max(0) as u64;
    ctx.db().set(&k, NewValue::Value(&v), Some(deadline));
    log_set(ctx, &args[1], &v, Some(deadline), false);
    Value::ok()
}

pub fn setex(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    set_expiring(ctx, args, Unit::Seconds, "setex")
}

pub fn psetex(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    set_expiring(ctx, args, Unit::Millis, "psetex")
}

pub fn mget(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let keys = tri!(args[1..].iter().map(key).collect::<Result<Vec<_>, _>>());
    let refs: Vec<&[u8]> = keys.iter().map(|k| &**k).collect();
    let seed = ctx.session.mode == ReplyMode::Seed;
    Value::Array(ctx.db().get_many(&refs, |v| {
        match v {
            None => Value::Null,
            Some(v) if seed => v.to_value(),
            // Redis's MGET answers nil for a key of another type.
            Some(v) => v
                .as_str()
                .map_or(Value::Null, |s| Value::Bulk(Bytes::copy_from_slice(&s))),
        }
    }))
}

/// Checks MSET-style arguments: all pairs, every key and value acceptable.
/// Key, value pairs of MSET-like arguments.
type Pairs<'a> = Vec<(Cow<'a, [u8]>, Value)>;

fn pairs<'a>(args: &'a [Value], name: &str) -> Result<Pairs<'a>, Value> {
    if args.len().is_multiple_of(2) {
        return Err(wrong_args(name));
    }
    args[1..]
        .chunks_exact(2)
        .map(|kv| Ok((key(&kv[0])?, storable(&kv[1])?)))
        .collect()
}

/// Stores every pair under locks already held; the records are built
/// before and the replaced ones freed after, to keep the locks short.
fn store_all(ctx: &Ctx<'_>, pairs: &[(Cow<'_, [u8]>, Value)], only_if_none: bool) -> bool {
    let db = ctx.session.db;
    let records: Vec<Record> = pairs
        .iter()
        .map(|(k, v)| Record::new(k, NewValue::Value(v), None))
        .collect();
    let keys: Vec<(usize, &[u8])> = pairs.iter().map(|(k, _)| (db, &k[..])).collect();
    let mut replaced = Vec::with_capacity(records.len());
    {
        let mut locked = ctx.shared.keyspace.lock(&keys);
        if only_if_none
            && keys
                .iter()
                .any(|(_, k)| locked.with(db, k, |r| r.is_some()).unwrap_or(false))
        {
            return false;
        }
        for ((_, k), r) in keys.iter().zip(records) {
            replaced.push(locked.entry(db, k, |slot| slot.replace(r)));
        }
    }
    drop(replaced);
    true
}

/// `MSET key value [key value ...]`: every pair at one instant.
pub fn mset(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let pairs = tri!(pairs(args, "mset"));
    store_all(ctx, &pairs, false);
    stored(ctx.session, pairs.len() as i64)
}

/// `MSETNX key value [key value ...]`: all, only if none of the keys exists.
pub fn msetnx(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let pairs = tri!(pairs(args, "msetnx"));
    Value::Integer(i64::from(store_all(ctx, &pairs, true)))
}

/// `SETNX key value`: `:1` if it was set, `:0` if the key existed.
pub fn setnx(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let v = tri!(storable(&args[2]));
    let set = ctx.db().entry(&k, |slot| {
        if slot.exists() {
            return false;
        }
        slot.replace(Record::new(&k, NewValue::Value(&v), None));
        true
    });
    Value::Integer(i64::from(set))
}

/// `GETSET key value`: sets (clearing any deadline) and returns the old value.
pub fn getset(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let v = tri!(storable(&args[2]));
    let old = ctx.db().entry(&k, |slot| {
        let old = slot.get();
        if old.is_some_and(|r| !r.view().is_string()) {
            return Err(wrongtype());
        }
        let copy = old.map(copy_out);
        slot.replace(Record::new(&k, NewValue::Value(&v), None));
        Ok(copy)
    });
    present_owned(ctx.session, tri!(old))
}

/// `GETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST]`.
pub fn getex(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let o = tri!(parse_options(&args[2..], false));
    let now = ctx.db().now();
    // As in Redis: a missing key is nil and another type WRONGTYPE before
    // the expiry's value is checked.
    let outcome = ctx.db().entry(&k, |slot| {
        let Some(r) = slot.get_mut() else {
            return Ok(None);
        };
        if !r.view().is_string() {
            return Err(wrongtype());
        }
        let deadline = expire_deadline(o.expire, "getex")?;
        let copy = copy_out(r);
        let words = match deadline {
            Some(d) if now != 0 && d <= now => {
                slot.remove();
                Some(vec![Value::bulk("DEL"), args[1].clone()])
            }
            Some(d) => {
                r.set_deadline(Some(d));
                Some(vec![
                    Value::bulk("PEXPIREAT"),
                    args[1].clone(),
                    Value::Integer(d as i64),
                ])
            }
            None if o.persist => {
                r.set_deadline(None);
                Some(vec![Value::bulk("PERSIST"), args[1].clone()])
            }
            None => None,
        };
        Ok(Some((copy, words)))
    });
    let found = tri!(outcome);
    if let Some((_, Some(words))) = &found {
        ctx.propagate(|| words.clone());
    }
    present_owned(ctx.session, found.map(|(c, _)| c))
}

/// `GETDEL key`.
pub fn getdel(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let outcome = ctx.db().entry(&k, |slot| {
        let Some(r) = slot.get() else {
            return Ok(None);
        };
        if !r.view().is_string() {
            return Err(wrongtype());
        }
        let copy = copy_out(r);
        slot.remove();
        Ok(Some(copy))
    });
    present_owned(ctx.session, tri!(outcome))
}

pub fn strlen(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    ctx.db().with_ref(&k, |v| match v {
        None => Value::Integer(0),
        Some(ValueRef::Str(s)) => Value::Integer(s.len() as i64),
        Some(v) => match v.as_str() {
            Some(t) => Value::Integer(t.len() as i64),
            None => wrongtype(),
        },
    })
}

/// The bytes of a string argument (an integer as its decimal text).
fn text_arg(v: &Value) -> Option<Bytes> {
    match v {
        Value::Bulk(b) | Value::Simple(b) => Some(b.clone()),
        Value::Integer(n) => Some(Bytes::from(n.to_string())),
        _ => None,
    }
}

/// The largest string APPEND and SETRANGE may make: Redis's
/// `proto-max-bulk-len` default.
const MAX_STRING: usize = 512 * 1024 * 1024;

/// `APPEND key value`: the new length. The string grows in place with
/// spare capacity, so each append costs what it adds.
pub fn append(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let Some(tail) = text_arg(&args[2]) else {
        return Value::error("ERR APPEND takes a string or an integer");
    };
    ctx.db().entry(&k, |slot| {
        let Some(r) = slot.get_mut() else {
            slot.replace(Record::new(&k, NewValue::Str(&tail), None));
            return Value::Integer(tail.len() as i64);
        };
        let Some(buf) = r.string_mut() else {
            return wrongtype();
        };
        if buf.len() + tail.len() > MAX_STRING {
            return Value::error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        }
        if buf.try_reserve(tail.len()).is_err() {
            return Value::error("ERR out of memory");
        }
        buf.extend_from_slice(&tail);
        Value::Integer(buf.len() as i64)
    })
}

/// Redis's GETRANGE index rules: negative counts from the end, both ends
/// clamped, an empty range when start passes end.
fn range(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    if len == 0 || (start < 0 && end < 0 && start > end) {
        return None;
    }
    let s = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let e = if end < 0 {
        (len + end).max(0)
    } else {
        end.min(len - 1)
    };
    if s > e || s >= len {
        return None;
    }
    Some((s as usize, e as usize))
}

/// `GETRANGE key start end` (and its old name SUBSTR).
pub fn getrange(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let start = tri!(integer(&args[2]));
    let end = tri!(integer(&args[3]));
    ctx.db().with_ref(&k, |v| {
        let Some(v) = v else {
            return Value::bulk("");
        };
        let Some(s) = v.as_str() else {
            return wrongtype();
        };
        match range(s.len(), start, end) {
            Some((a, b)) => Value::Bulk(Bytes::copy_from_slice(&s[a..=b])),
            None => Value::bulk(""),
        }
    })
}

/// `SETRANGE key offset value`: the new length.
pub fn setrange(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let offset = tri!(integer(&args[2]));
    let Some(patch) = text_arg(&args[3]) else {
        return Value::error("ERR SETRANGE takes a string or an integer");
    };
    let Ok(offset) = usize::try_from(offset) else {
        return Value::error("ERR offset is out of range");
    };
    if offset.saturating_add(patch.len()) > MAX_STRING {
        return Value::error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    }
    ctx.db().entry(&k, |slot| {
        if slot.get().is_none() {
            if patch.is_empty() {
                return Value::Integer(0);
            }
            slot.replace(Record::new(&k, NewValue::Owned(Vec::new()), None));
        }
        let Some(buf) = slot.get_mut().and_then(Record::string_mut) else {
            return wrongtype();
        };
        if patch.is_empty() {
            return Value::Integer(buf.len() as i64);
        }
        let end = offset + patch.len();
        if end > buf.len() {
            if buf.try_reserve(end - buf.len()).is_err() {
                return Value::error("ERR out of memory");
            }
            buf.grow_zeroed(end);
        }
        buf.as_mut_slice()[offset..end].copy_from_slice(&patch);
        Value::Integer(buf.len() as i64)
    })
}

pub fn incr(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    add(ctx, &args[1], 1)
}

pub fn decr(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    add(ctx, &args[1], -1)
}

pub fn incrby(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let by = tri!(integer(&args[2]));
    add(ctx, &args[1], by)
}

pub fn decrby(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let by = tri!(integer(&args[2]));
    match by.checked_neg() {
        Some(neg) => add(ctx, &args[1], neg),
        None => Value::error("ERR decrement would overflow"),
    }
}

/// Adds `delta` to the integer at `k`, keeping its type and its deadline:
/// an integer stays an integer (changed in place), a string holding a
/// number stays a string, a missing key starts at 0 and becomes an integer.
fn add(ctx: &mut Ctx<'_>, k: &Value, delta: i64) -> Value {
    let k = tri!(key(k));
    ctx.db().entry(&k, |slot| {
        let (current, as_text) = match slot.get().map(Record::view) {
            None => (0, false),
            Some(ValueRef::Int(n)) => (n, false),
            Some(ValueRef::Str(b)) => match strict_i64(b) {
                Some(n) => (n, true),
                None => return super::not_an_integer(),
            },
            Some(v) if v.is_string() => return super::not_an_integer(),
            Some(_) => return wrongtype(),
        };
        let Some(sum) = current.checked_add(delta) else {
            return Value::error("ERR increment or decrement would overflow");
        };
        match slot.get_mut() {
            Some(r) if !as_text => {
                r.set_int(sum);
            }
            Some(r) => {
                let deadline = r.deadline();
                let text = sum.to_string();
                *r = Record::new(&k, NewValue::Str(text.as_bytes()), deadline);
            }
            None => {
                slot.replace(Record::new(&k, NewValue::Int(sum), None));
            }
        }
        Value::Integer(sum)
    })
}

/// `INCRBYFLOAT key increment`: the new value, as text, computed and
/// written exactly as Redis does (see [`super::float`]). Logged as a SET of
/// the result (keeping the deadline), as Redis does, so that replay gives
/// the same digits.
pub fn incrbyfloat(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let Some(by) = text_arg(&args[2]) else {
        return Value::error("ERR value is not a valid float");
    };
    let outcome = ctx.db().entry(&k, |slot| {
        let current = match slot.get().map(Record::view) {
            None => None,
            Some(v) => match v.as_str() {
                Some(s) => Some(s.into_owned()),
                None => return Err(wrongtype()),
            },
        };
        let text = match super::float::incr(current.as_deref(), &by) {
            Ok(t) => t,
            Err(super::float::FloatError::NotAFloat) => {
                return Err(Value::error("ERR value is not a valid float"))
            }
            Err(super::float::FloatError::NotFinite) => {
                return Err(Value::error("ERR increment would produce NaN or Infinity"))
            }
        };
        let deadline = slot.get().and_then(Record::deadline);
        slot.replace(Record::new(&k, NewValue::Text(text.as_bytes()), deadline));
        Ok((text, deadline))
    });
    let (text, deadline) = tri!(outcome);
    let value = Value::Bulk(Bytes::from(text));
    log_set(ctx, &args[1], &value, deadline, false);
    value
}

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]`: the longest
/// common subsequence of two strings, its length, or the matching ranges.
/// The values are copied out and compared off the shards' locks.
pub fn lcs(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let a_key = tri!(key(&args[1]));
    let b_key = tri!(key(&args[2]));
    let (mut len_only, mut idx, mut with_len, mut min_len) = (false, false, false, 0i64);
    let mut i = 3;
    while i < args.len() {
        let opt = &args[i];
        if is_word(opt, "LEN") {
            len_only = true;
        } else if is_word(opt, "IDX") {
            idx = true;
        } else if is_word(opt, "WITHMATCHLEN") {
            with_len = true;
        } else if is_word(opt, "MINMATCHLEN") && i + 1 < args.len() {
            min_len = tri!(integer(&args[i + 1])).max(0);
            i += 1;
        } else {
            return syntax_error();
        }
        i += 1;
    }
    if len_only && idx {
        return Value::error("ERR If you want both the length and indexes, please just use IDX.");
    }
    let values = ctx.db().get_many(&[&a_key, &b_key], |v| match v {
        None => Ok(Vec::new()),
        Some(v) => v.as_str().map(|s| s.into_owned()).ok_or_else(wrongtype),
    });
    let mut it = values.into_iter();
    let (Some(a), Some(b)) = (it.next(), it.next()) else {
        return Value::error("ERR internal error");
    };
    let (a, b) = (tri!(a), tri!(b));
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen + 1).checked_mul(blen + 1);
    let mut table: Vec<u32> = Vec::new();
    let fits = cells.is_some_and(|c| c.saturating_mul(4) <= MAX_STRING);
    if !fits || table.try_reserve_exact(cells.unwrap_or(0)).is_err() {
        return Value::error(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        );
    }
    table.resize(cells.unwrap_or(0), 0);
    let at = |i: usize, j: usize| i * (blen + 1) + j;
    for i in 1..=alen {
        for j in 1..=blen {
            table[at(i, j)] = if a[i - 1] == b[j - 1] {
                table[at(i - 1, j - 1)] + 1
            } else {
                table[at(i - 1, j)].max(table[at(i, j - 1)])
            };
        }
    }
    let total = table[at(alen, blen)] as usize;
    if len_only {
        return Value::Integer(total as i64);
    }
    // Walk back from the end, as Redis does, collecting the subsequence
    // and the ranges of contiguous matches (last ones first).
    let mut out = vec![0u8; total];
    let mut left = total;
    let mut ranges = Vec::new();
    let mut range: Option<(usize, usize, usize, usize)> = None;
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            out[left - 1] = a[i - 1];
            range = match range {
                None => Some((i - 1, i - 1, j - 1, j - 1)),
                Some((a0, a1, b0, b1)) if a0 == i && b0 == j => Some((a0 - 1, a1, b0 - 1, b1)),
                Some(r) => {
                    emit = true;
                    Some(r)
                }
            };
            if range.is_some_and(|(a0, _, b0, _)| a0 == 0 || b0 == 0) {
                emit = true;
            }
            left -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[at(i - 1, j)] > table[at(i, j - 1)] {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = range.is_some();
        }
        if emit {
            if let Some((a0, a1, b0, b1)) = range.take() {
                let n = (a1 - a0 + 1) as i64;
                if n >= min_len {
                    let pos = |x: usize, y: usize| {
                        Value::Array(vec![Value::Integer(x as i64), Value::Integer(y as i64)])
                    };
                    let mut m = vec![pos(a0, a1), pos(b0, b1)];
                    if with_len {
                        m.push(Value::Integer(n));
                    }
                    ranges.push(Value::Array(m));
                }
            }
        }
    }
    if !idx {
        return Value::Bulk(Bytes::from(out));
    }
    super::reply_map(
        ctx.session,
        vec![
            (Value::bulk("matches"), Value::Array(ranges)),
            (Value::bulk("len"), Value::Integer(total as i64)),
        ],
    )
}

/// A decimal integer in the canonical form Redis accepts for INCR: no sign
/// other than a leading `-`, no leading zeros, no spaces, fits in an i64.
fn strict_i64(b: &[u8]) -> Option<i64> {
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    let canonical = match digits {
        [b'0'] => b.len() == 1, // "0" yes, "-0" no
        [b'0', ..] => false,
        _ => true,
    };
    if !canonical {
        return None;
    }
    parse_i64(b).ok()
}

#[cfg(test)]
mod tests {
    use super::{range, strict_i64};

    #[test]
    fn canonical_integers_only() {
        assert_eq!(strict_i64(b"0"), Some(0));
        assert_eq!(strict_i64(b"-12"), Some(-12));
        assert_eq!(strict_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(strict_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b"01"[..],
            b"-0",
            b"+1",
            b" 1",
            b"1 ",
            b"",
            b"-",
            b"1.5",
            b"9223372036854775808",
        ] {
            assert_eq!(strict_i64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ranges_follow_redis() {
        assert_eq!(range(5, 0, -1), Some((0, 4)));
        assert_eq!(range(5, -3, -1), Some((2, 4)));
        assert_eq!(range(5, 3, 100), Some((3, 4)));
        assert_eq!(range(5, 4, 2), None);
        assert_eq!(range(5, -1, -3), None);
        assert_eq!(range(0, 0, -1), None);
        assert_eq!(range(5, 10, 20), None);
    }
}
