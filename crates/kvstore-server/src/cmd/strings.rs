//! Reading and writing whole values: GET, SET, MGET, MSET from the seed,
//! and Redis's string commands (SETNX, GETSET, STRLEN, APPEND, INCR...).
//!
//! Values keep their type in the store. A Redis client, though, knows only
//! strings: in Redis mode the reads here show an integer or double as its
//! decimal text, the way Redis itself would (see docs/redis-compat.md).

use bytes::{Bytes, BytesMut};
use kvstore_protocol::{parse_i64, Value};

use super::{integer, is_word, key, storable, syntax_error, wrong_args, Command, Ctx};
use crate::config::ReplyMode;
use crate::session::Session;
use crate::{command, tri};

pub static COMMANDS: &[Command] = &[
    command!("get", 2, false, get),
    command!("set", -3, true, set),
    command!("mget", -2, false, mget),
    command!("mset", -3, true, mset),
    command!("setnx", 3, true, setnx),
    command!("getset", 3, true, getset),
    command!("strlen", 2, false, strlen),
    command!("append", 3, true, append),
    command!("incr", 2, true, incr),
    command!("decr", 2, true, decr),
    command!("incrby", 3, true, incrby),
    command!("decrby", 3, true, decrby),
];

pub fn wrongtype() -> Value {
    Value::error("WRONGTYPE Operation against a key holding the wrong kind of value")
}

/// True for the values Redis would call strings.
fn is_stringish(v: &Value) -> bool {
    matches!(
        v,
        Value::Bulk(_) | Value::Simple(_) | Value::Integer(_) | Value::Double(_)
    )
}

/// A stored value as this connection should see it: as stored in seed mode;
/// with numbers as their decimal text in Redis mode.
pub fn present(session: &Session, v: Value) -> Value {
    if session.mode == ReplyMode::Seed {
        return v;
    }
    match v {
        Value::Integer(n) => Value::Bulk(Bytes::from(n.to_string())),
        Value::Double(d) => Value::Bulk(Bytes::from(d.to_string())),
        other => other,
    }
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
    let v = ctx.shared.store.get(&k).unwrap_or(Value::Null);
    present(ctx.session, v)
}

/// `SET key value [NX|XX] [GET] [KEEPTTL]`. Expiry options are refused, not
/// ignored: a client that asked for a TTL must not believe it has one.
pub fn set(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let v = tri!(storable(&args[2]));
    if args.len() == 3 {
        // The common case needs no look at the old value, which would cost
        // a copy of it on every overwrite.
        ctx.shared.store.set(&k, v);
        return stored(ctx.session, 1);
    }
    let (mut nx, mut xx, mut want_old) = (false, false, false);
    for opt in &args[3..] {
        if is_word(opt, "NX") && !xx {
            nx = true;
        } else if is_word(opt, "XX") && !nx {
            xx = true;
        } else if is_word(opt, "GET") {
            want_old = true;
        } else if is_word(opt, "KEEPTTL") {
            // No key has a TTL yet, so keeping it is what happens anyway.
        } else if ["EX", "PX", "EXAT", "PXAT"].iter().any(|w| is_word(opt, w)) {
            return Value::error(
                "ERR key expiry (EX, PX, EXAT, PXAT) is not supported by kvstore yet",
            );
        } else {
            return syntax_error();
        }
    }
    // One read-modify-write under the shard lock: the condition and the
    // write see the same value.
    let outcome = ctx.shared.store.update(&k, |old| {
        if want_old && old.is_some_and(|o| !is_stringish(o) && *o != Value::Null) {
            return (None, Err(wrongtype()));
        }
        let old_copy = if want_old { old.cloned() } else { None };
        if (nx && old.is_some()) || (xx && old.is_none()) {
            return (None, Ok((false, old_copy)));
        }
        (Some(v), Ok((true, old_copy)))
    });
    let (written, old) = tri!(outcome);
    if want_old {
        present(ctx.session, old.unwrap_or(Value::Null))
    } else if written {
        stored(ctx.session, 1)
    } else {
        Value::Null
    }
}

pub fn mget(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let keys = tri!(args[1..].iter().map(key).collect::<Result<Vec<_>, _>>());
    let refs: Vec<&[u8]> = keys.iter().map(|k| &**k).collect();
    Value::Array(
        ctx.shared
            .store
            .get_many(&refs)
            .into_iter()
            .map(|v| present(ctx.session, v.unwrap_or(Value::Null)))
            .collect(),
    )
}

pub fn mset(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    if args.len().is_multiple_of(2) {
        return wrong_args("mset");
    }
    // Check every pair before touching the store: all or nothing.
    let mut pairs = Vec::with_capacity(args.len() / 2);
    for kv in args[1..].chunks_exact(2) {
        pairs.push((tri!(key(&kv[0])), tri!(storable(&kv[1]))));
    }
    let n = pairs.len() as i64;
    ctx.shared
        .store
        .set_many(pairs.iter().map(|(k, v)| (&**k, v)));
    stored(ctx.session, n)
}

/// `SETNX key value`: `:1` if it was set, `:0` if the key existed.
pub fn setnx(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let v = tri!(storable(&args[2]));
    Value::Integer(i64::from(ctx.shared.store.insert_if_absent(&k, &v)))
}

/// `GETSET key value`: sets and returns the old value.
pub fn getset(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let v = tri!(storable(&args[2]));
    let old = ctx.shared.store.update(&k, |old| match old {
        Some(o) if !is_stringish(o) && *o != Value::Null => (None, Err(wrongtype())),
        _ => (Some(v), Ok(old.cloned())),
    });
    present(ctx.session, tri!(old).unwrap_or(Value::Null))
}

/// The bytes Redis would hold for a string value.
fn text(v: &Value) -> Option<Bytes> {
    match v {
        Value::Bulk(b) | Value::Simple(b) => Some(b.clone()),
        Value::Integer(n) => Some(Bytes::from(n.to_string())),
        Value::Double(d) => Some(Bytes::from(d.to_string())),
        _ => None,
    }
}

pub fn strlen(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    ctx.shared.store.with(&k, |v| match v {
        None => Value::Integer(0),
        Some(v) => match text(v) {
            Some(t) => Value::Integer(t.len() as i64),
            None => wrongtype(),
        },
    })
}

/// `APPEND key value`: the new length. A number becomes its text first.
pub fn append(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let Some(tail) = text(&args[2]) else {
        return Value::error("ERR APPEND takes a string or an integer");
    };
    ctx.shared.store.update(&k, |old| {
        let head = match old {
            None => Bytes::new(),
            Some(v) => match text(v) {
                Some(t) => t,
                None => return (None, wrongtype()),
            },
        };
        let mut joined = BytesMut::with_capacity(head.len() + tail.len());
        joined.extend_from_slice(&head);
        joined.extend_from_slice(&tail);
        let len = joined.len() as i64;
        (Some(Value::Bulk(joined.freeze())), Value::Integer(len))
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

/// Adds `delta` to the integer at `k`, keeping its type: an integer stays an
/// integer, a string holding a number stays a string, a missing key starts
/// at 0 and becomes an integer.
fn add(ctx: &mut Ctx<'_>, k: &Value, delta: i64) -> Value {
    let k = tri!(key(k));
    ctx.shared.store.update(&k, |old| {
        let (current, as_text) = match old {
            None => (0, false),
            Some(Value::Integer(n)) => (*n, false),
            Some(Value::Bulk(b)) | Some(Value::Simple(b)) => match strict_i64(b) {
                Some(n) => (n, true),
                None => return (None, super::not_an_integer()),
            },
            Some(Value::Double(_)) => return (None, super::not_an_integer()),
            Some(_) => return (None, wrongtype()),
        };
        let Some(sum) = current.checked_add(delta) else {
            return (
                None,
                Value::error("ERR increment or decrement would overflow"),
            );
        };
        let new = if as_text {
            Value::Bulk(Bytes::from(sum.to_string()))
        } else {
            Value::Integer(sum)
        };
        (Some(new), Value::Integer(sum))
    })
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
    use super::strict_i64;

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
}
