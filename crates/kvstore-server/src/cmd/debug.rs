//! `DEBUG`: the subset that Redis's tools and test suites use, refused
//! unless `enable-debug-command` allows it (Redis 7's default refuses).
//!
//! - `SLEEP seconds`: this connection's reply waits; kvstore never stalls
//!   other clients for one, so unlike Redis the server keeps serving.
//! - `OBJECT key`: Redis's line, with kvstore's encoding and size.
//! - `RELOAD`: every key is serialized and loaded back (DUMP's format),
//!   with no other client running meanwhile; the dataset must come back
//!   the same, which `DIGEST` shows.
//! - `DIGEST`, `DIGEST-VALUE key...`: SHA-1 over the dataset (or each
//!   value), independent of order; all zeros for nothing. The digests are
//!   kvstore's own, comparable between two kvstore datasets, not with
//!   Redis's.
//! - `SET-ACTIVE-EXPIRE 0|1`, `CHANGE-REPL-ID` (nothing to change),
//!   `QUICKLIST-PACKED-THRESHOLD size` (accepted and checked).

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use kvstore_protocol::Value;
use sha1::{Digest, Sha1};

use super::table::acl::*;
use super::table::flags::*;
use super::table::NONE;
use super::{is_word, Command, Ctx};
use crate::keyspace::Record;

pub static COMMANDS: &[Command] = &[Command::new(
    "debug",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE | OWN_GATE,
    DANGEROUS,
    NONE,
    debug,
)
.doc("server", "A container for debugging commands.", "")];

const HELP: &[&str] = &[
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance (kvstore has none: nothing to do).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "OBJECT <key>",
    "    Show low level info about the key and associated value.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Accepted for compatibility.",
    "RELOAD",
    "    Serialize every key and load it back.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "SLEEP <seconds>",
    "    Delay this connection's reply by <seconds> (fractions allowed).",
    "HELP",
    "    Print this help.",
];

pub fn debug(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    if !allowed(ctx) {
        return Value::error(
            "ERR DEBUG command not allowed. If the enable-debug-command option is set to \
             \"local\", you can run it from a local connection, otherwise you need to set this \
             option in the configuration file, and then restart the server.",
        );
    }
    let sub = &args[1];
    let rest = &args[2..];
    // Everything but RELOAD runs beside other commands, as they do.
    let _gate = (!is_word(sub, "RELOAD")).then(|| ctx.shared.keyspace.gate.shared());
    if is_word(sub, "HELP") && rest.is_empty() {
        Value::Array(HELP.iter().map(|l| Value::simple(l)).collect())
    } else if is_word(sub, "SLEEP") && rest.len() == 1 {
        sleep(ctx, &rest[0])
    } else if is_word(sub, "OBJECT") && rest.len() == 1 {
        object(ctx, &rest[0])
    } else if is_word(sub, "RELOAD") {
        reload(ctx)
    } else if is_word(sub, "DIGEST") && rest.is_empty() {
        digest(ctx)
    } else if is_word(sub, "DIGEST-VALUE") {
        let db = ctx.db();
        Value::Array(
            rest.iter()
                .map(|k| {
                    let k = k.as_bytes().unwrap_or_default();
                    let d = db.with_record(k, |r| r.map(value_digest));
                    hex(&d.unwrap_or([0; 20]))
                })
                .collect(),
        )
    } else if is_word(sub, "SET-ACTIVE-EXPIRE") && rest.len() == 1 {
        // Redis reads the flag with atoi: anything but a non-zero number is 0.
        let on = rest[0]
            .as_bytes()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(0)
            != 0;
        ctx.shared
            .keyspace
            .active_expire
            .store(on, Ordering::Relaxed);
        Value::ok()
    } else if is_word(sub, "CHANGE-REPL-ID") && rest.is_empty() {
        Value::ok()
    } else if is_word(sub, "QUICKLIST-PACKED-THRESHOLD") && rest.len() == 1 {
        match rest[0]
            .as_bytes()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(crate::config::memory_amount)
        {
            Some(n) if n > 1 && n < (4 << 30) => Value::ok(),
            _ => Value::error(
                "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
            ),
        }
    } else {
        Value::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            super::printable(sub.as_bytes().unwrap_or(b"?"), 128)
        ))
    }
}

/// `enable-debug-command`: `local` means a client on this machine, as
/// Redis counts it (the protected-configs rule).
fn allowed(ctx: &Ctx<'_>) -> bool {
    match ctx.shared.config.read().enable_debug_command.as_str() {
        "yes" => true,
        "local" => super::acl::is_local(ctx.session.peer),
        _ => false,
    }
}

/// `DEBUG SLEEP`: the reply waits on another thread's timer, as SAVE's
/// waits for its file, so no worker thread sleeps. Inside a transaction,
/// where nothing may wait, it returns at once.
fn sleep(ctx: &mut Ctx<'_>, secs: &Value) -> Value {
    // Redis reads the time with strtod: what does not parse is 0.
    let secs = secs
        .as_bytes()
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(0.0)
        .min(86_400.0);
    if secs == 0.0 || ctx.session.no_block {
        return Value::ok();
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("debug-sleep".into())
        .spawn(move || {
            std::thread::sleep(Duration::from_secs_f64(secs));
            let _ = tx.send(Ok(()));
        });
    match spawned {
        Ok(_) => {
            ctx.session.pending_save = Some(rx);
            Value::error(super::persistence::SAVE_PENDING)
        }
        Err(e) => Value::error(format!("ERR DEBUG SLEEP could not start its timer: {e}")),
    }
}

/// `DEBUG OBJECT key`: Redis's fields. kvstore keeps no access clock, so
/// `lru` and `lru_seconds_idle` are 0; `serializedlength` is the length
/// of the key's DUMP payload, computed without making it.
fn object(ctx: &mut Ctx<'_>, key: &Value) -> Value {
    let key = key.as_bytes().unwrap_or_default();
    let line = ctx.db().with_record(key, |r| {
        r.map(|r| {
            format!(
                "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:0 lru_seconds_idle:0",
                r as *const Record,
                r.refcount(),
                r.encoding(),
                super::dump::serialized_len(r)
            )
        })
    });
    match line {
        Some(l) => Value::Simple(Bytes::from(l)),
        None => Value::error("ERR no such key"),
    }
}

/// `DEBUG RELOAD`: every live key goes through DUMP's serializer and back,
/// alone (no other command runs meanwhile), so a value the format cannot
/// carry shows up as a change. Options (`NOSAVE`, `NOFLUSH`, `MERGE`) are
/// accepted: nothing is saved to disk either way.
fn reload(ctx: &mut Ctx<'_>) -> Value {
    let ks = &ctx.shared.keyspace;
    let _alone = ks.gate.exclusive();
    let snapshot = ks.snapshot();
    let mut restored = Vec::new();
    if restored.try_reserve(snapshot.len()).is_err() {
        return Value::error("ERR DEBUG RELOAD: not enough memory for a copy of the keyspace");
    }
    for (db, r) in snapshot.records() {
        let payload = super::dump::serialize(r);
        let Some((kind, value)) = super::dump::deserialize(&payload) else {
            return Value::error("ERR Error trying to load the RDB dump");
        };
        match Record::from_parts(r.key(), &kind, &value, r.deadline()) {
            Ok(back) => restored.push((db, back)),
            Err(_) => return Value::error("ERR Error trying to load the RDB dump"),
        }
    }
    ks.clear(false);
    for (db, r) in restored {
        if let Some(d) = ks.get_db(db) {
            d.insert_record(r);
        }
    }
    Value::ok()
}

/// `DEBUG DIGEST`: the XOR of every key's digest (database, key, deadline
/// and value), so the order keys are visited in does not matter.
fn digest(ctx: &mut Ctx<'_>) -> Value {
    let snapshot = ctx.shared.keyspace.snapshot();
    let mut all = [0u8; 20];
    for (db, r) in snapshot.records() {
        let mut h = Sha1::new();
        h.update((db as u64).to_le_bytes());
        h.update((r.key().len() as u64).to_le_bytes());
        h.update(r.key());
        h.update(r.deadline().unwrap_or(0).to_le_bytes());
        h.update(value_digest(r));
        let d: [u8; 20] = h.finalize().into();
        all.iter_mut().zip(d).for_each(|(a, b)| *a ^= b);
    }
    hex(&all)
}

/// A value's digest: its type and contents as DUMP writes them.
fn value_digest(r: &Record) -> [u8; 20] {
    Sha1::digest(super::dump::serialize(r)).into()
}

fn hex(d: &[u8; 20]) -> Value {
    let mut s = String::with_capacity(40);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    Value::Simple(Bytes::from(s))
}
