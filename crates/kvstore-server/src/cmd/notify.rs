//! Keyspace notifications for the commands of every family, told from the
//! outside of each command: which keys existed before it ran, and what it
//! answered. `cmd::run` calls this only while `notify-keyspace-events` is
//! on, so with it off a write pays one atomic load.
//!
//! Event names and their order are Redis 7's (checked side by side with
//! Redis 7.0.15 and a `PSUBSCRIBE __key*__:*` client): a command's own
//! events first, then `del` for each key it left empty. Expiry (`expired`)
//! is announced by the keyspace itself, through the hook `state` sets.

use kvstore_protocol::Value;

use super::{is_word, key, Command, Ctx};
use crate::config::notify::*;

/// What to look at again after the command: its keys as they were.
pub struct Before {
    keys: Vec<(Vec<u8>, bool)>,
    /// SORT … STORE: whether its destination existed.
    store_existed: bool,
}

/// The command's keys by its key spec, as `touch_watched` reads them.
fn spec_keys(cmd: &Command, args: &[Value]) -> Vec<Vec<u8>> {
    let (first, last, step) = cmd.keys;
    if first <= 0 || step <= 0 {
        return Vec::new();
    }
    let last = if last < 0 {
        args.len() as i64 + last
    } else {
        last
    };
    let mut out = Vec::new();
    let mut i = first;
    while i <= last {
        if let Some(k) = args.get(i as usize).and_then(|a| key(a).ok()) {
            out.push(k.into_owned());
        }
        i += step;
    }
    out
}

/// Notes which of the command's keys exist, before it runs.
pub fn before(ctx: &Ctx<'_>, cmd: &Command, args: &[Value]) -> Before {
    let db = ctx.db();
    Before {
        keys: spec_keys(cmd, args)
            .into_iter()
            .map(|k| {
                let there = db.contains(&k);
                (k, there)
            })
            .collect(),
        store_existed: cmd.name == "sort"
            && args
                .iter()
                .position(|a| is_word(a, "STORE"))
                .and_then(|i| args.get(i + 1))
                .and_then(Value::as_bytes)
                .is_some_and(|d| db.contains(d)),
    }
}

fn arg(args: &[Value], i: usize) -> &[u8] {
    args.get(i).and_then(Value::as_bytes).unwrap_or_default()
}

fn has_word(args: &[Value], word: &str) -> bool {
    args.iter().skip(1).any(|a| is_word(a, word))
}

fn int(reply: &Value) -> i64 {
    match reply {
        Value::Integer(n) => *n,
        _ => 0,
    }
}

fn is_null(reply: &Value) -> bool {
    matches!(reply, Value::Null | Value::NullArray)
        || matches!(reply, Value::Array(a) | Value::Set(a) if a.is_empty())
}

/// The key a pop named in its reply (`[key, ...]`).
fn reply_key(reply: &Value) -> Option<Vec<u8>> {
    match reply {
        Value::Array(items) => items.first().and_then(Value::as_bytes).map(<[u8]>::to_vec),
        _ => None,
    }
}

/// `keymiss` (class `m`) for each key of a read that is not there, before
/// the command runs, as Redis announces it from its lookup. GETDEL and
/// GETEX read their key too; OBJECT and MEMORY look without announcing.
pub fn keymiss(ctx: &Ctx<'_>, cmd: &Command, args: &[Value]) {
    let reads =
        cmd.flags & super::table::flags::READONLY != 0 || matches!(cmd.name, "getdel" | "getex");
    if !reads || matches!(cmd.name, "object" | "memory") {
        return;
    }
    let db = ctx.db();
    for k in spec_keys(cmd, args) {
        if !db.contains(&k) {
            ctx.notify(KEY_MISS, "keymiss", &k);
        }
    }
}

/// Announces the events of a write that succeeded.
pub fn after(ctx: &Ctx<'_>, cmd: &Command, args: &[Value], reply: &Value, before: Before) {
    // `new` (class `n`) for each key the write created, before its own
    // events, as Redis announces it from the insertion.
    if ctx.shared.pubsub.notify_flags() & NEW != 0 {
        let db = ctx.db();
        for (k, existed) in &before.keys {
            if !existed && db.contains(k) {
                ctx.notify(NEW, "new", k);
            }
        }
    }
    let k1 = arg(args, 1);
    let k2 = arg(args, 2);
    let n = int(reply);
    let ok = !is_null(reply);
    let mut popped_from: Option<Vec<u8>> = None;
    match cmd.name {
        "set" => {
            let refused = if has_word(args, "GET") {
                (has_word(args, "NX") && ok) || (has_word(args, "XX") && !ok)
            } else {
                !ok
            };
            if !refused {
                ctx.notify(STRING, "set", k1);
                if ["EX", "PX", "EXAT", "PXAT"]
                    .iter()
                    .any(|w| has_word(args, w))
                {
                    ctx.notify(GENERIC, "expire", k1);
                }
            }
        }
        "setex" | "psetex" => {
            ctx.notify(STRING, "set", k1);
            ctx.notify(GENERIC, "expire", k1);
        }
        "setnx" | "msetnx" if n == 0 => {}
        "setnx" | "getset" => ctx.notify(STRING, "set", k1),
        "mset" | "msetnx" => {
            for pair in args[1..].chunks(2) {
                ctx.notify(STRING, "set", arg(pair, 0));
            }
        }
        "incr" | "decr" | "incrby" | "decrby" => ctx.notify(STRING, "incrby", k1),
        "incrbyfloat" => ctx.notify(STRING, "incrbyfloat", k1),
        "append" => ctx.notify(STRING, "append", k1),
        // An empty value changes nothing: no event, as in Redis.
        "setrange" if !arg(args, 3).is_empty() => ctx.notify(STRING, "setrange", k1),
        "getex" if ok => {
            if has_word(args, "PERSIST") {
                ctx.notify(GENERIC, "persist", k1);
            } else if args.len() > 2 && ctx.db().contains(k1) {
                ctx.notify(GENERIC, "expire", k1);
            }
        }
        "expire" | "pexpire" | "expireat" | "pexpireat" if n == 1 && ctx.db().contains(k1) => {
            ctx.notify(GENERIC, "expire", k1)
        }
        "persist" if n == 1 => ctx.notify(GENERIC, "persist", k1),
        "rename" | "renamenx" if ok && !matches!(reply, Value::Integer(0)) => {
            ctx.notify(GENERIC, "rename_from", k1);
            ctx.notify(GENERIC, "rename_to", k2);
            return;
        }
        "rename" | "renamenx" => return,
        "copy" if n == 1 => {
            let db = db_option(args).unwrap_or(ctx.session.db);
            notify_in(ctx, db, GENERIC, "copy_to", k2);
        }
        "move" => {
            if n == 1 {
                ctx.notify(GENERIC, "move_from", k1);
                if let Some(db) = std::str::from_utf8(k2).ok().and_then(|s| s.parse().ok()) {
                    notify_in(ctx, db, GENERIC, "move_to", k1);
                }
            }
            return;
        }
        "lpush" | "rpush" => ctx.notify(LIST, cmd.name, k1),
        "lpushx" if n > 0 => ctx.notify(LIST, "lpush", k1),
        "rpushx" if n > 0 => ctx.notify(LIST, "rpush", k1),
        "lpop" | "rpop" if ok => ctx.notify(LIST, cmd.name, k1),
        "blpop" | "brpop" if ok => {
            if let Some(k) = reply_key(reply) {
                ctx.notify(LIST, &cmd.name[1..], &k);
                popped_from = Some(k);
            }
        }
        "lmpop" | "blmpop" if ok => {
            if let Some(k) = reply_key(reply) {
                let left = args.iter().any(|a| is_word(a, "LEFT"));
                ctx.notify(LIST, if left { "lpop" } else { "rpop" }, &k);
                popped_from = Some(k);
            }
        }
        "rpoplpush" | "brpoplpush" if ok => {
            ctx.notify(LIST, "lpush", k2);
            ctx.notify(LIST, "rpop", k1);
        }
        "lmove" | "blmove" if ok => {
            let to_left = args.get(4).is_some_and(|a| is_word(a, "LEFT"));
            let from_left = args.get(3).is_some_and(|a| is_word(a, "LEFT"));
            ctx.notify(LIST, if to_left { "lpush" } else { "rpush" }, k2);
            ctx.notify(LIST, if from_left { "lpop" } else { "rpop" }, k1);
        }
        "lset" => ctx.notify(LIST, "lset", k1),
        "lrem" if n > 0 => ctx.notify(LIST, "lrem", k1),
        "linsert" if n > 0 => ctx.notify(LIST, "linsert", k1),
        "ltrim" => ctx.notify(LIST, "ltrim", k1),
        "hset" | "hmset" => ctx.notify(HASH, "hset", k1),
        "hsetnx" if n == 1 => ctx.notify(HASH, "hset", k1),
        "hdel" if n > 0 => ctx.notify(HASH, "hdel", k1),
        "hincrby" | "hincrbyfloat" => ctx.notify(HASH, cmd.name, k1),
        "sadd" if n > 0 => ctx.notify(SET, "sadd", k1),
        "srem" if n > 0 => ctx.notify(SET, "srem", k1),
        "spop" if ok => ctx.notify(SET, "spop", k1),
        "smove" if n == 1 => {
            ctx.notify(SET, "srem", k1);
            if !ctx.db().contains(k1) {
                ctx.notify(GENERIC, "del", k1);
            }
            ctx.notify(SET, "sadd", k2);
            return;
        }
        "sinterstore" | "sunionstore" | "sdiffstore" | "zunionstore" | "zinterstore"
        | "zdiffstore" | "zrangestore"
            if n > 0 =>
        {
            let class = if cmd.name.starts_with('s') { SET } else { ZSET };
            ctx.notify(class, cmd.name, k1);
        }
        "zadd" if ok => {
            let incr = has_word(args, "INCR");
            let nothing = n == 0 && has_word(args, "NX");
            if !nothing {
                ctx.notify(ZSET, if incr { "zincr" } else { "zadd" }, k1);
            }
        }
        "zincrby" => ctx.notify(ZSET, "zincr", k1),
        "restore" => ctx.notify(GENERIC, "restore", k1),
        "sort" => {
            // SORT … STORE dest: its destination is not in the key spec.
            let at = args.iter().position(|a| is_word(a, "STORE"));
            if let Some(dest) = at.and_then(|i| args.get(i + 1)).and_then(Value::as_bytes) {
                if n > 0 {
                    ctx.notify(LIST, "sortstore", dest);
                } else if before.store_existed {
                    ctx.notify(GENERIC, "del", dest);
                }
            }
        }
        "zrem" if n > 0 => ctx.notify(ZSET, "zrem", k1),
        "zremrangebyscore" | "zremrangebyrank" | "zremrangebylex" if n > 0 => {
            ctx.notify(ZSET, cmd.name, k1)
        }
        "zpopmin" | "zpopmax" if ok => ctx.notify(ZSET, cmd.name, k1),
        "bzpopmin" | "bzpopmax" if ok => {
            if let Some(k) = reply_key(reply) {
                ctx.notify(ZSET, &cmd.name[1..], &k);
                popped_from = Some(k);
            }
        }
        "zmpop" | "bzmpop" if ok => {
            if let Some(k) = reply_key(reply) {
                let min = args.iter().any(|a| is_word(a, "MIN"));
                ctx.notify(ZSET, if min { "zpopmin" } else { "zpopmax" }, &k);
                popped_from = Some(k);
            }
        }
        _ => {}
    }
    // Keys the command left empty (or deleted) are announced last.
    let db = ctx.db();
    for (k, was) in &before.keys {
        if *was && !db.contains(k) {
            ctx.notify(GENERIC, "del", k);
        }
    }
    if let Some(k) = popped_from {
        if !before.keys.iter().any(|(b, _)| *b == k) && !db.contains(&k) {
            ctx.notify(GENERIC, "del", &k);
        }
    }
}

/// `COPY`'s `DB n`.
fn db_option(args: &[Value]) -> Option<usize> {
    let at = args.iter().position(|a| is_word(a, "DB"))?;
    std::str::from_utf8(args.get(at + 1)?.as_bytes()?)
        .ok()?
        .parse()
        .ok()
}

/// An event in database `db` rather than the connection's.
fn notify_in(ctx: &Ctx<'_>, db: usize, class: u32, event: &str, key: &[u8]) {
    let flags = ctx.shared.pubsub.notify_flags();
    if flags & class != 0 {
        ctx.shared.pubsub.notify(flags, db, event, key);
    }
}
