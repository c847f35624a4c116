//! Whole-key operations: the seed's DELETE and FLUSH, and Redis's DEL,
//! EXISTS, FLUSHDB, FLUSHALL, DBSIZE, TYPE, RENAME, KEYS and SCAN.

use bytes::Bytes;
use kvstore_protocol::Value;

use super::glob;
use super::{integer, is_word, key, syntax_error, Command, Ctx};
use crate::store::SHARDS;
use crate::{command, tri};

pub static COMMANDS: &[Command] = &[
    command!("delete", 2, true, delete),
    command!("flush", 1, true, flush),
    command!("del", -2, true, del),
    command!("exists", -2, false, exists),
    command!("flushdb", -1, true, flushdb),
    command!("flushall", -1, true, flushdb),
    command!("dbsize", 1, false, dbsize),
    command!("type", 2, false, type_),
    command!("rename", 3, true, rename),
    command!("keys", 2, false, keys),
    command!("scan", -2, false, scan),
];

pub fn delete(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    Value::Integer(i64::from(ctx.shared.store.delete(&k)))
}

pub fn flush(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    Value::Integer(ctx.shared.store.clear() as i64)
}

/// `DEL key [key ...]`: how many of the keys existed (each counted once).
pub fn del(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let keys = tri!(args[1..].iter().map(key).collect::<Result<Vec<_>, _>>());
    let refs: Vec<&[u8]> = keys.iter().map(|k| &**k).collect();
    Value::Integer(ctx.shared.store.delete_many(&refs) as i64)
}

/// `EXISTS key [key ...]`: how many of the arguments name a key; a key
/// given twice counts twice, as in Redis.
pub fn exists(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let keys = tri!(args[1..].iter().map(key).collect::<Result<Vec<_>, _>>());
    let n = keys.iter().filter(|k| ctx.shared.store.contains(k)).count();
    Value::Integer(n as i64)
}

/// `FLUSHDB [ASYNC|SYNC]` and `FLUSHALL [ASYNC|SYNC]` (one database, so the
/// same). Both are done synchronously: `clear` frees in one step anyway.
pub fn flushdb(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    match &args[1..] {
        [] => {}
        [mode] if is_word(mode, "ASYNC") || is_word(mode, "SYNC") => {}
        _ => return syntax_error(),
    }
    ctx.shared.store.clear();
    Value::ok()
}

pub fn dbsize(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    Value::Integer(ctx.shared.store.len() as i64)
}

pub fn type_(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let name = ctx
        .shared
        .store
        .with_ref(&k, |v| v.map_or("none", |v| v.redis_type()));
    Value::simple(name)
}

/// `RENAME key newkey`: atomic; an existing `newkey` is overwritten.
pub fn rename(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let from = tri!(key(&args[1]));
    let to = tri!(key(&args[2]));
    if ctx.shared.store.rename(&from, &to) {
        Value::ok()
    } else {
        Value::error("ERR no such key")
    }
}

/// `KEYS pattern`. Walks the store one shard at a time, so no lock is held
/// for more than one shard's worth of keys, even on a large keyspace.
pub fn keys(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let Some(pattern) = args[1].as_bytes() else {
        return Value::error("ERR KEYS takes a string pattern");
    };
    let all = pattern == b"*";
    let mut out = Vec::new();
    let mut cursor = 0;
    loop {
        cursor = ctx.shared.store.scan_shard(cursor, |k, _| {
            if all || glob::matches(pattern, k) {
                out.push(Value::Bulk(Bytes::copy_from_slice(k)));
            }
        });
        if cursor == 0 {
            break;
        }
    }
    Value::Array(out)
}

/// Default and ceiling of `SCAN ... COUNT`.
const SCAN_DEFAULT_COUNT: usize = 10;
const SCAN_MAX_COUNT: usize = 100_000;

/// `SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]`.
///
/// The cursor is the index of the next shard to visit (0 starts and ends a
/// scan). One call visits whole shards until it has examined about
/// 10 × COUNT keys or returned COUNT of them, so it is short however big
/// the keyspace is, and empty shards cost next to nothing, so scanning a
/// small keyspace takes few calls. A key present for the whole scan is
/// returned exactly once.
pub fn scan(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let Some(start) = args[1].as_bytes().and_then(|b| std::str::from_utf8(b).ok()) else {
        return Value::error("ERR invalid cursor");
    };
    let Ok(start) = start.parse::<u64>() else {
        return Value::error("ERR invalid cursor");
    };
    let (mut pattern, mut count, mut want_type) = (None, SCAN_DEFAULT_COUNT, None);
    let mut opts = args[2..].iter();
    while let Some(opt) = opts.next() {
        let Some(arg) = opts.next() else {
            return syntax_error();
        };
        if is_word(opt, "MATCH") {
            // A pattern that is not a string would otherwise be ignored,
            // and the scan would quietly match every key.
            let Some(p) = arg.as_bytes() else {
                return syntax_error();
            };
            pattern = Some(p).filter(|p| *p != b"*");
        } else if is_word(opt, "COUNT") {
            match tri!(integer(arg)) {
                n if n < 1 => return syntax_error(),
                n => count = (n as usize).min(SCAN_MAX_COUNT),
            }
        } else if is_word(opt, "TYPE") {
            let Some(t) = arg.as_bytes() else {
                return syntax_error();
            };
            want_type = Some(t);
        } else {
            return syntax_error();
        }
    }
    let mut found = Vec::new();
    let mut examined = 0usize;
    let mut cursor = usize::try_from(start).unwrap_or(SHARDS);
    if cursor >= SHARDS {
        // Past the last shard: nothing left, as Redis does for a cursor it
        // never handed out.
        cursor = 0;
    } else {
        loop {
            cursor = ctx.shared.store.scan_shard(cursor, |k, v| {
                examined += 1;
                let type_ok =
                    want_type.is_none_or(|t| t.eq_ignore_ascii_case(v.redis_type().as_bytes()));
                if type_ok && pattern.is_none_or(|p| glob::matches(p, k)) {
                    found.push(Value::Bulk(Bytes::copy_from_slice(k)));
                }
            });
            if cursor == 0 || found.len() >= count || examined >= count * 10 {
                break;
            }
        }
    }
    Value::Array(vec![
        Value::Bulk(Bytes::from(cursor.to_string())),
        Value::Array(found),
    ])
}
