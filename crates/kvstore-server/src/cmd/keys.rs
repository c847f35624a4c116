//! The generic key family: commands that work on a key whatever its type.
//! The seed's DELETE and FLUSH; Redis's DEL, UNLINK, EXISTS, TOUCH, TYPE,
//! RENAME(NX), COPY, MOVE, SWAPDB, RANDOMKEY, KEYS, SCAN, OBJECT, the
//! FLUSH and DBSIZE commands, and every expiry command.
//!
//! Commands on several keys lock all of them first (see
//! `Keyspace::lock`): no client ever sees a RENAME, COPY or MOVE half done.

use super::table::acl::*;
use super::table::flags::*;
use super::table::{ALL, NONE, ONE};
use bytes::Bytes;
use kvstore_protocol::Value;

use super::args::{db_index, deadline_arg, int32, Unit};
use super::{integer, is_word, key, syntax_error, Command, Ctx};
use crate::keyspace::clock::unix_ms;
use crate::keyspace::glob;
use crate::keyspace::{Record, SHARDS};
use crate::tri;

pub static COMMANDS: &[Command] = &[
    Command::new("delete", 2, WRITE, KEYSPACE, ONE, delete).doc(
        "generic",
        "kvstore: deletes a key; replies 1 if it existed, else 0.",
        "key",
    ),
    Command::new("flush", 1, WRITE, KEYSPACE | DANGEROUS, NONE, flush).doc(
        "generic",
        "kvstore: deletes every key of the database; replies how many there were.",
        "",
    ),
    Command::new("del", -2, WRITE, KEYSPACE, ALL, del).doc(
        "generic",
        "Deletes keys; replies how many existed.",
        "key ...",
    ),
    Command::new("unlink", -2, WRITE | FAST, KEYSPACE, ALL, unlink).doc(
        "generic",
        "Deletes keys; replies how many existed.",
        "key ...",
    ),
    Command::new("exists", -2, READONLY | FAST, KEYSPACE, ALL, exists).doc(
        "generic",
        "Counts how many of the keys exist.",
        "key ...",
    ),
    Command::new("touch", -2, READONLY | FAST, KEYSPACE, ALL, exists).doc(
        "generic",
        "Counts how many of the keys exist.",
        "key ...",
    ),
    Command::new("flushdb", -1, WRITE, KEYSPACE | DANGEROUS, NONE, flushdb).doc(
        "server",
        "Deletes every key of the database.",
        "[ASYNC|SYNC]",
    ),
    Command::new("flushall", -1, WRITE, KEYSPACE | DANGEROUS, NONE, flushall).doc(
        "server",
        "Deletes every key of every database.",
        "[ASYNC|SYNC]",
    ),
    Command::new("dbsize", 1, READONLY | FAST, KEYSPACE, NONE, dbsize).doc(
        "server",
        "Returns the number of keys in the database.",
        "",
    ),
    Command::new("type", 2, READONLY | FAST, KEYSPACE, ONE, type_).doc(
        "generic",
        "Returns the type of a key's value.",
        "key",
    ),
    Command::new("rename", 3, WRITE, KEYSPACE, (1, 2, 1), rename).doc(
        "generic",
        "Renames a key, overwriting the target.",
        "key newkey",
    ),
    Command::new("renamenx", 3, WRITE | FAST, KEYSPACE, (1, 2, 1), renamenx).doc(
        "generic",
        "Renames a key only if the target does not exist.",
        "key newkey",
    ),
    Command::new("copy", -3, WRITE | DENYOOM, KEYSPACE, (1, 2, 1), copy).doc(
        "generic",
        "Copies a key's value, to another database if asked.",
        "source destination [DB destination-db] [REPLACE]",
    ),
    Command::new("move", 3, WRITE | FAST, KEYSPACE, ONE, move_).doc(
        "generic",
        "Moves a key to another database.",
        "key db",
    ),
    Command::new(
        "swapdb",
        3,
        WRITE | FAST,
        KEYSPACE | DANGEROUS,
        NONE,
        swapdb,
    )
    .doc("server", "Swaps two databases.", "index1 index2"),
    Command::new("randomkey", 1, READONLY, KEYSPACE, NONE, randomkey).doc(
        "generic",
        "Returns a random key.",
        "",
    ),
    Command::new("keys", 2, READONLY, KEYSPACE | DANGEROUS, NONE, keys).doc(
        "generic",
        "Returns every key matching a glob pattern.",
        "pattern",
    ),
    Command::new("scan", -2, READONLY, KEYSPACE, NONE, scan).doc(
        "generic",
        "Iterates over the keys, a few at a time.",
        "cursor [MATCH pattern] [COUNT count] [TYPE type]",
    ),
    Command::new("object", -2, READONLY, KEYSPACE, (2, 2, 1), object).doc(
        "generic",
        "Inspects how a key's value is stored.",
        "subcommand [key]",
    ),
    Command::new("expire", -3, WRITE | FAST, KEYSPACE, ONE, expire).doc(
        "generic",
        "Sets a key's deadline in seconds from now.",
        "key seconds [NX|XX|GT|LT]",
    ),
    Command::new("pexpire", -3, WRITE | FAST, KEYSPACE, ONE, pexpire).doc(
        "generic",
        "Sets a key's deadline in milliseconds from now.",
        "key milliseconds [NX|XX|GT|LT]",
    ),
    Command::new("expireat", -3, WRITE | FAST, KEYSPACE, ONE, expireat).doc(
        "generic",
        "Sets a key's deadline as a Unix time in seconds.",
        "key unix-time-seconds [NX|XX|GT|LT]",
    ),
    Command::new("pexpireat", -3, WRITE | FAST, KEYSPACE, ONE, pexpireat).doc(
        "generic",
        "Sets a key's deadline as a Unix time in milliseconds.",
        "key unix-time-milliseconds [NX|XX|GT|LT]",
    ),
    Command::new("persist", 2, WRITE | FAST, KEYSPACE, ONE, persist).doc(
        "generic",
        "Removes a key's deadline.",
        "key",
    ),
    Command::new("ttl", 2, READONLY | FAST, KEYSPACE, ONE, ttl).doc(
        "generic",
        "Returns a key's time to live in seconds.",
        "key",
    ),
    Command::new("pttl", 2, READONLY | FAST, KEYSPACE, ONE, pttl).doc(
        "generic",
        "Returns a key's time to live in milliseconds.",
        "key",
    ),
    Command::new("expiretime", 2, READONLY | FAST, KEYSPACE, ONE, expiretime).doc(
        "generic",
        "Returns a key's deadline as a Unix time in seconds.",
        "key",
    ),
    Command::new(
        "pexpiretime",
        2,
        READONLY | FAST,
        KEYSPACE,
        ONE,
        pexpiretime,
    )
    .doc(
        "generic",
        "Returns a key's deadline as a Unix time in milliseconds.",
        "key",
    ),
];

fn keys_of(args: &[Value]) -> Result<Vec<std::borrow::Cow<'_, [u8]>>, Value> {
    args.iter().map(key).collect()
}

pub fn delete(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    Value::Integer(i64::from(ctx.db().delete(&k)))
}

/// The seed's FLUSH: empties the selected database; replies how many keys
/// there were.
pub fn flush(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    ctx.shared.watches.touch_db(Some(ctx.session.db));
    ctx.shared.tracking.flush(false);
    Value::Integer(ctx.db().clear() as i64)
}

/// Removes the keys at one instant; returns their records, to be freed
/// after the locks are released.
fn remove_all(ctx: &Ctx<'_>, args: &[Value]) -> Result<Vec<Record>, Value> {
    let keys = keys_of(&args[1..])?;
    let db = ctx.session.db;
    if let [one] = &keys[..] {
        return Ok(ctx.db().remove(one).into_iter().collect());
    }
    let refs: Vec<(usize, &[u8])> = keys.iter().map(|k| (db, &**k)).collect();
    let mut locked = ctx.shared.keyspace.lock(&refs);
    Ok(refs
        .iter()
        .filter_map(|(_, k)| locked.entry(db, k, |slot| slot.remove()).flatten())
        .collect())
}

/// `DEL key [key ...]`: how many of the keys existed (each counted once).
/// With `lazyfree-lazy-user-del` on it is UNLINK, as in Redis.
pub fn del(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let gone = tri!(remove_all(ctx, args));
    let n = gone.len();
    if ctx.shared.config.read().lazyfree_lazy_user_del {
        ctx.shared.keyspace.lazy.free_records(gone);
    } else {
        free_off_worker(gone);
    }
    Value::Integer(n as i64)
}

/// Frees what DEL removed before it answers, as Redis does, but a large
/// value off the worker, so that the other connections it serves are not
/// held up meanwhile.
fn free_off_worker(gone: Vec<Record>) {
    let weight: usize = gone.iter().map(Record::weight).sum();
    if weight >= crate::keyspace::lazyfree::THRESHOLD {
        super::off_worker(|| drop(gone));
    }
}

/// `UNLINK key [key ...]`: DEL, with large values freed on a background
/// thread instead of by this request.
pub fn unlink(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let gone = tri!(remove_all(ctx, args));
    let n = gone.len();
    ctx.shared.keyspace.lazy.free_records(gone);
    Value::Integer(n as i64)
}

/// `EXISTS key [key ...]` and `TOUCH`: how many of the arguments name a
/// key; a key given twice counts twice, as in Redis.
pub fn exists(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let keys = tri!(keys_of(&args[1..]));
    let refs: Vec<&[u8]> = keys.iter().map(|k| &**k).collect();
    // Read at one instant, so that a RENAME is never seen half done.
    let found = ctx.db().get_many(&refs, |v| v.is_some());
    Value::Integer(found.into_iter().filter(|f| *f).count() as i64)
}

/// True for `ASYNC`, false for `SYNC`; with neither, what
/// `lazyfree-lazy-user-flush` says, as in Redis.
fn flush_mode(ctx: &Ctx<'_>, args: &[Value]) -> Result<bool, Value> {
    match &args[1..] {
        [] => Ok(ctx.shared.config.read().lazyfree_lazy_user_flush),
        [mode] if is_word(mode, "ASYNC") => Ok(true),
        [mode] if is_word(mode, "SYNC") => Ok(false),
        _ => Err(syntax_error()),
    }
}

/// `FLUSHDB [ASYNC|SYNC]`: empties the selected database at one instant.
/// The old tables are freed after the locks are released; with `ASYNC`,
/// on the background thread.
pub fn flushdb(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let lazy = tri!(flush_mode(ctx, args));
    ctx.shared.watches.touch_db(Some(ctx.session.db));
    ctx.shared.tracking.flush(false);
    // A synchronous flush frees off the worker: see `free_off_worker`.
    super::off_worker(|| {
        ctx.shared.keyspace.clear_db(ctx.db(), lazy);
        purge_unless(lazy);
    });
    Value::ok()
}

/// `FLUSHALL [ASYNC|SYNC]`: empties every database.
pub fn flushall(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let lazy = tri!(flush_mode(ctx, args));
    ctx.shared.watches.touch_db(None);
    ctx.shared.tracking.flush(true);
    super::off_worker(|| {
        ctx.shared.keyspace.clear(lazy);
        purge_unless(lazy);
    });
    Value::ok()
}

/// After a synchronous flush, hands the memory it freed back to the system
/// at once, as Redis's flush does. A lazy flush frees on the background
/// thread, after the reply; the reclaimer (see `memory.rs`) purges then.
fn purge_unless(lazy: bool) {
    if !lazy {
        crate::memory::purge();
    }
}

pub fn dbsize(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    Value::Integer(ctx.db().len() as i64)
}

pub fn type_(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let name = ctx
        .db()
        .with_ref(&k, |v| v.map_or("none", |v| v.redis_type()));
    Value::simple(name)
}

/// Moves the record at (`from_db`, `from`) to (`to_db`, `to`) at one
/// instant, keeping its deadline. `replace` says whether an existing
/// target is overwritten; `copy` keeps the source. Returns whether the
/// source existed and whether the target was written.
fn transfer(
    ctx: &Ctx<'_>,
    (from_db, from): (usize, &[u8]),
    (to_db, to): (usize, &[u8]),
    replace: bool,
    copy: bool,
) -> (bool, bool) {
    let mut locked = ctx.shared.keyspace.lock(&[(from_db, from), (to_db, to)]);
    let exists = locked.with(from_db, from, |r| r.is_some()).unwrap_or(false);
    if !exists {
        return (false, false);
    }
    if from_db == to_db && from == to {
        return (true, true);
    }
    let target = locked.with(to_db, to, |r| r.is_some()).unwrap_or(false);
    if target && !replace {
        return (true, false);
    }
    let moved = locked
        .entry(from_db, from, |slot| {
            let deadline = slot.get().and_then(Record::deadline);
            if copy {
                slot.get().map(|r| {
                    let mut c = r.clone();
                    c.rekeyed(to, deadline)
                })
            } else {
                slot.remove().map(|mut r| r.rekeyed(to, deadline))
            }
        })
        .flatten();
    let Some(record) = moved else {
        return (false, false);
    };
    // The replaced value, if any, is freed after the locks are released.
    let _old = locked.entry(to_db, to, |slot| slot.replace(record));
    drop(locked);
    (true, true)
}

/// `RENAME key newkey`: atomic and O(1) (containers and long strings move
/// by pointer); an existing `newkey` is overwritten.
pub fn rename(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let from = tri!(key(&args[1]));
    let to = tri!(key(&args[2]));
    let db = ctx.session.db;
    match transfer(ctx, (db, &from), (db, &to), true, false) {
        (false, _) => Value::error("ERR no such key"),
        _ => Value::ok(),
    }
}

/// `RENAMENX key newkey`: 1 if renamed, 0 if `newkey` exists.
pub fn renamenx(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let from = tri!(key(&args[1]));
    let to = tri!(key(&args[2]));
    let db = ctx.session.db;
    if from == to {
        // Redis: renaming a key to itself with NX answers 0 if it exists.
        return match ctx.db().contains(&from) {
            true => Value::Integer(0),
            false => Value::error("ERR no such key"),
        };
    }
    match transfer(ctx, (db, &from), (db, &to), false, false) {
        (false, _) => Value::error("ERR no such key"),
        (true, written) => Value::Integer(i64::from(written)),
    }
}

/// `COPY source destination [DB index] [REPLACE]`: 1 if copied.
pub fn copy(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let from = tri!(key(&args[1]));
    let to = tri!(key(&args[2]));
    let mut to_db = ctx.session.db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if is_word(&args[i], "REPLACE") {
            replace = true;
        } else if is_word(&args[i], "DB") && i + 1 < args.len() {
            to_db = tri!(db_index(ctx, &args[i + 1]));
            i += 1;
        } else {
            return syntax_error();
        }
        i += 1;
    }
    if to_db == ctx.session.db && from == to {
        return Value::error("ERR source and destination objects are the same");
    }
    let (_, written) = transfer(ctx, (ctx.session.db, &from), (to_db, &to), replace, true);
    Value::Integer(i64::from(written))
}

/// `MOVE key db`: 1 if moved, 0 if the key is missing here or exists there.
pub fn move_(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let to_db = tri!(db_index(ctx, &args[2]));
    if to_db == ctx.session.db {
        return Value::error("ERR source and destination objects are the same");
    }
    let (_, written) = transfer(ctx, (ctx.session.db, &k), (to_db, &k), false, false);
    Value::Integer(i64::from(written))
}

/// `SWAPDB a b`: every client of one database sees the other's keys.
pub fn swapdb(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    // Redis reads both indexes before it checks either's range.
    let read = |v: &Value, which: &str| {
        int32(v).map_err(|_| Value::error(format!("ERR invalid {which} DB index")))
    };
    let a = tri!(read(&args[1], "first"));
    let b = tri!(read(&args[2], "second"));
    let check = |n: i32| {
        usize::try_from(n)
            .ok()
            .filter(|&i| i < ctx.shared.keyspace.databases())
            .ok_or_else(|| Value::error("ERR DB index is out of range"))
    };
    let (a, b) = (tri!(check(a)), tri!(check(b)));
    ctx.shared.keyspace.swap(a, b);
    ctx.shared.watches.touch_db(Some(a));
    ctx.shared.watches.touch_db(Some(b));
    Value::ok()
}

/// `RANDOMKEY`: a random live key, or nil.
pub fn randomkey(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    let seed = super::rng::Rng::new().next_u64();
    match ctx.db().random_key(seed) {
        Some(k) => Value::Bulk(Bytes::from(k)),
        None => Value::Null,
    }
}

/// `KEYS pattern`. Like Redis's, it sees the database at one instant: it
/// read-locks every shard for the walk, so writers wait for it (readers do
/// not); prefer SCAN on a large keyspace.
pub fn keys(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let Some(pattern) = args[1].as_bytes() else {
        return Value::error("ERR KEYS takes a string pattern");
    };
    let all = pattern == b"*";
    let mut out = Vec::new();
    let take = |out: &mut Vec<Value>, k: &[u8]| {
        if all || glob::matches(pattern, k) {
            out.push(Value::Bulk(Bytes::copy_from_slice(k)));
        }
    };
    // The keys of one instant, as Redis's KEYS sees one keyspace. The walk
    // takes one shard at a time, so writers wait for a shard's worth, not
    // for the whole walk; should a write that spans shards (a RENAME, a
    // flush…) land meanwhile, it walks again, and after a few tries holds
    // every shard. Off the worker, so that the other connections it serves
    // are not held up either.
    let db = ctx.db();
    super::off_worker(|| {
        for _ in 0..KEYS_TRIES {
            if db.for_each_key_by_shard(|k| take(&mut out, k)) {
                return;
            }
            out.clear();
        }
        db.for_each_key(|k| take(&mut out, k));
    });
    Value::Array(out)
}

/// Walks of `KEYS` one shard at a time before it holds them all.
const KEYS_TRIES: usize = 3;

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
    let Some(start) = args[1].as_bytes().and_then(super::scan_cursor) else {
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
    let db = ctx.db();
    if cursor >= SHARDS {
        // Past the last shard: nothing left, as Redis does for a cursor it
        // never handed out.
        cursor = 0;
    } else {
        loop {
            cursor = db.scan_shard(cursor, |k, v| {
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

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Print this help.",
];

/// `OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key` and `OBJECT HELP`.
///
/// kvstore keeps no access clock per key (that costs memory on every key),
/// so IDLETIME answers 0, and FREQ gives Redis's error for the policy in
/// force, since no LFU policy exists yet.
pub fn object(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let raw = args[1].as_bytes().unwrap_or_default();
    let sub = raw.to_ascii_lowercase();
    let wanted_args = match &sub[..] {
        b"help" => 2,
        b"encoding" | b"freq" | b"idletime" | b"refcount" => 3,
        _ => {
            return Value::error(format!(
                "ERR unknown subcommand '{}'. Try OBJECT HELP.",
                super::printable(raw, 64)
            ))
        }
    };
    if args.len() != wanted_args {
        return super::wrong_args(&format!("object|{}", String::from_utf8_lossy(&sub)));
    }
    if sub == b"help" {
        return Value::Array(OBJECT_HELP.iter().map(|l| Value::simple(l)).collect());
    }
    let k = tri!(key(&args[2]));
    let found = ctx
        .db()
        .with_record(&k, |r| r.map(|r| (r.encoding(), r.refcount())));
    let Some((encoding, refcount)) = found else {
        return Value::Null;
    };
    match &sub[..] {
        b"encoding" => Value::Bulk(Bytes::from_static(encoding.as_bytes())),
        b"refcount" => Value::Integer(refcount),
        b"idletime" => Value::Integer(0),
        _ => Value::error(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ),
    }
}

/// `EXPIRE`, `PEXPIRE`, `EXPIREAT`, `PEXPIREAT key n [NX|XX|GT|LT]`: 1 if
/// the deadline was set (or the key deleted, for one already past), 0 if
/// the key is missing or the condition failed. Logged as PEXPIREAT with
/// the absolute deadline, or as DEL.
fn expire_generic(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    unit: Unit,
    relative: bool,
    name: &str,
) -> Value {
    let k = tri!(key(&args[1]));
    let n = tri!(integer(&args[2]));
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &args[3..] {
        if is_word(opt, "NX") {
            nx = true;
        } else if is_word(opt, "XX") {
            xx = true;
        } else if is_word(opt, "GT") {
            gt = true;
        } else if is_word(opt, "LT") {
            lt = true;
        } else {
            return Value::error(format!(
                "ERR Unsupported option {}",
                super::printable(opt.as_bytes().unwrap_or_default(), 64)
            ));
        }
    }
    if nx && (xx || gt || lt) {
        return Value::error("ERR NX and XX, GT or LT options at the same time are not compatible");
    }
    if gt && lt {
        return Value::error("ERR GT and LT options at the same time are not compatible");
    }
    let Some(when) = deadline_arg(n, unit, relative, unix_ms()) else {
        return super::invalid_expire(name);
    };
    let now = ctx.db().now();
    // A deadline already passed deletes the key (not while loading: the
    // log is replayed as it ran).
    let past = now != 0 && when <= now as i64;
    let outcome = ctx.db().entry(&k, |slot| {
        let Some(r) = slot.get_mut() else {
            return 0;
        };
        let current = r.deadline();
        let ok = match current {
            _ if nx => current.is_none(),
            None if xx || gt => false,
            None => true,
            Some(c) => !(gt && when <= c as i64 || lt && when >= c as i64),
        };
        if !ok {
            return 0;
        }
        if past {
            slot.remove();
            2
        } else {
            r.set_deadline(Some(when.max(0) as u64));
            1
        }
    });
    match outcome {
        2 => ctx.propagate(|| vec![Value::bulk("DEL"), args[1].clone()]),
        1 => ctx.propagate(|| {
            vec![
                Value::bulk("PEXPIREAT"),
                args[1].clone(),
                Value::Integer(when),
            ]
        }),
        _ => {}
    }
    Value::Integer(i64::from(outcome != 0))
}

pub fn expire(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    expire_generic(ctx, args, Unit::Seconds, true, "expire")
}

pub fn pexpire(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    expire_generic(ctx, args, Unit::Millis, true, "pexpire")
}

pub fn expireat(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    expire_generic(ctx, args, Unit::Seconds, false, "expireat")
}

pub fn pexpireat(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    expire_generic(ctx, args, Unit::Millis, false, "pexpireat")
}

/// `PERSIST key`: 1 if a deadline was removed.
pub fn persist(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let removed = ctx.db().entry(&k, |slot| match slot.get_mut() {
        Some(r) if r.deadline().is_some() => {
            r.set_deadline(None);
            true
        }
        _ => false,
    });
    Value::Integer(i64::from(removed))
}

/// The deadline of `key`: `Err(-2)` if missing, `Err(-1)` if it has none.
fn deadline_of(ctx: &Ctx<'_>, args: &[Value]) -> Result<u64, i64> {
    let k = key(&args[1]).map_err(|_| -2)?;
    match ctx.db().with_record(&k, |r| r.map(Record::deadline)) {
        None => Err(-2),
        Some(None) => Err(-1),
        Some(Some(d)) => Ok(d),
    }
}

/// TTL and PTTL: time left, rounded to the nearest second for TTL.
fn time_left(ctx: &Ctx<'_>, args: &[Value], unit: Unit) -> Value {
    if let Err(e) = key(&args[1]) {
        return e;
    }
    match deadline_of(ctx, args) {
        Err(code) => Value::Integer(code),
        Ok(d) => {
            let left = d.saturating_sub(unix_ms()) as i64;
            Value::Integer(match unit {
                Unit::Millis => left,
                Unit::Seconds => (left + 500) / 1000,
            })
        }
    }
}

pub fn ttl(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    time_left(ctx, args, Unit::Seconds)
}

pub fn pttl(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    time_left(ctx, args, Unit::Millis)
}

fn absolute(ctx: &Ctx<'_>, args: &[Value], unit: Unit) -> Value {
    if let Err(e) = key(&args[1]) {
        return e;
    }
    match deadline_of(ctx, args) {
        Err(code) => Value::Integer(code),
        // Redis rounds to the nearest second here too.
        Ok(d) => Value::Integer(match unit {
            Unit::Millis => d as i64,
            Unit::Seconds => (d / 1000 + u64::from(d % 1000 >= 500)) as i64,
        }),
    }
}

pub fn expiretime(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    absolute(ctx, args, Unit::Seconds)
}

pub fn pexpiretime(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    absolute(ctx, args, Unit::Millis)
}
