//! Persistence commands: SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE, and
//! DURABILITY (kvstore's own: the state of the AOF and of snapshots).

use super::table::acl::*;
use super::table::flags::*;
use super::table::NONE;
use kvstore_protocol::{Dialect, Value};

use super::{is_word, syntax_error, Command, Ctx};

/// What the SAVE handler returns while the file is written. The connection
/// replaces it with the outcome; should it ever be sent, it must not claim
/// success.
pub const SAVE_PENDING: &str = "ERR SAVE result not awaited";

pub static COMMANDS: &[Command] = &[
    Command::new("save", 1, ADMIN | NOSCRIPT | NO_MULTI, 0, NONE, save).doc(
        "server",
        "Writes a snapshot and waits for it to be durable.",
        "",
    ),
    Command::new("bgsave", -1, ADMIN | NOSCRIPT, 0, NONE, bgsave).doc(
        "server",
        "Writes a snapshot in the background.",
        "[SCHEDULE]",
    ),
    Command::new("bgrewriteaof", 1, ADMIN | NOSCRIPT, 0, NONE, bgrewriteaof).doc(
        "server",
        "Compacts the append-only file in the background.",
        "",
    ),
    Command::new(
        "lastsave",
        1,
        LOADING | STALE | FAST,
        DANGEROUS | ADMIN_CAT,
        NONE,
        lastsave,
    )
    .doc(
        "server",
        "Returns the Unix time of the last successful snapshot.",
        "",
    ),
    Command::new(
        "durability",
        1,
        LOADING | STALE,
        DANGEROUS,
        NONE,
        durability,
    )
    .doc(
        "server",
        "kvstore: the state of the append-only file and of snapshots.",
        "",
    ),
];

/// `SAVE`: copies the keyspace at this instant; the file is written and
/// fsynced on another thread, so the worker keeps serving other
/// connections. This connection's reply (`+OK` once the file is durable)
/// waits for it: the connection takes `pending_save` and replaces this
/// handler's placeholder with the outcome.
pub fn save(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    match ctx.shared.persist.save() {
        Ok(done) => {
            ctx.session.pending_save = Some(done);
            Value::error(SAVE_PENDING)
        }
        Err(e) => Value::error(e),
    }
}

/// `BGSAVE [SCHEDULE]`: copies the keyspace at this instant and writes the
/// copy on another thread.
pub fn bgsave(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    match &args[1..] {
        [] => {}
        [opt] if is_word(opt, "SCHEDULE") => {}
        _ => return syntax_error(),
    }
    match ctx.shared.persist.bgsave() {
        Ok(()) => Value::simple("Background saving started"),
        Err(e) => Value::error(e),
    }
}

pub fn bgrewriteaof(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    match ctx.shared.persist.bgrewriteaof() {
        Ok(()) => Value::simple("Background append only file rewriting started"),
        Err(e) => Value::error(e),
    }
}

/// `LASTSAVE`: unix time of the last successful snapshot.
pub fn lastsave(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    Value::Integer(ctx.shared.persist.lastsave())
}

/// `DURABILITY`: a dictionary of counters (offsets of the log appended,
/// written and fsynced; rewrite and snapshot state).
pub fn durability(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    let pairs: Vec<(Value, Value)> = ctx
        .shared
        .persist
        .info()
        .into_iter()
        .map(|(k, v)| (Value::simple(k), v))
        .collect();
    // A dictionary where the dialect has one; flattened for RESP2, as Redis
    // does.
    if ctx.session.dialect() == Dialect::Resp2 {
        Value::Array(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect())
    } else {
        Value::Map(pairs)
    }
}
