//! The transaction family: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! After MULTI a connection's commands are checked (name, arity, whether
//! they may run in a transaction) and queued; one that fails the check is
//! refused and dooms the transaction. EXEC runs the queue with the gate
//! held exclusively (see `keyspace::gate`), so no other client's command
//! runs between the first and the last, and no reader or snapshot sees
//! part of it. With the append-only file on, the queue's records are
//! logged in one piece between MULTI and EXEC records, under one hold of
//! the log's lock; at start-up a transaction the file ends in the middle
//! of is cut off, so a crash never replays half of one.

use kvstore_protocol::Value;

use super::table::acl::TRANSACTION;
use super::table::flags::*;
use super::table::{ALL, NONE};
use super::{Command, Ctx};
use crate::state::Log;

pub static COMMANDS: &[Command] = &[
    Command::new("multi", 1, CONTROL, TRANSACTION, NONE, multi).doc(
        "transactions",
        "Starts a transaction.",
        "",
    ),
    Command::new(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG | OWN_GATE,
        TRANSACTION,
        NONE,
        exec,
    )
    .doc(
        "transactions",
        "Runs the commands queued since MULTI, alone and at once.",
        "",
    ),
    Command::new("discard", 1, CONTROL, TRANSACTION, NONE, discard).doc(
        "transactions",
        "Drops the commands queued since MULTI.",
        "",
    ),
    Command::new("watch", -2, CONTROL, TRANSACTION, ALL, watch).doc(
        "transactions",
        "Makes the next EXEC run nothing if any of these keys changes first.",
        "key ...",
    ),
    Command::new("unwatch", 1, CONTROL, TRANSACTION, NONE, unwatch).doc(
        "transactions",
        "Forgets every key WATCHed.",
        "",
    ),
];

/// Redis's flags for the commands that steer a transaction.
const CONTROL: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;

/// True for the commands that run at once even inside MULTI.
pub fn runs_in_multi(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "multi" | "exec" | "discard" | "quit" | "watch" | "reset"
    )
}

/// Queues a checked command inside MULTI.
pub fn queue(ctx: &mut Ctx<'_>, cmd: &Command, args: Vec<Value>) -> Value {
    if cmd.flags & NO_MULTI != 0 {
        ctx.session.multi_failed = true;
        return Value::error("ERR Command not allowed inside a transaction");
    }
    match ctx.session.multi.as_mut() {
        Some(q) => {
            q.push((super::stats::index_of(cmd), args));
            Value::simple("QUEUED")
        }
        None => Value::error("ERR EXEC without MULTI"),
    }
}

pub fn multi(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    if ctx.session.multi.is_some() {
        return Value::error("ERR MULTI calls can not be nested");
    }
    ctx.session.multi = Some(Vec::new());
    ctx.session.multi_failed = false;
    Value::ok()
}

pub fn discard(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    if ctx.session.multi.take().is_none() {
        return Value::error("ERR DISCARD without MULTI");
    }
    ctx.session.multi_failed = false;
    forget_watches(ctx);
    Value::ok()
}

/// `WATCH key [key ...]`.
pub fn watch(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    if ctx.session.multi.is_some() {
        return Value::error("ERR WATCH inside MULTI is not allowed");
    }
    let keys = match args[1..]
        .iter()
        .map(super::key)
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(k) => k,
        Err(e) => return e,
    };
    let db = ctx.session.db;
    for k in keys {
        if ctx
            .session
            .watching
            .iter()
            .any(|(d, w, _)| *d == db && w[..] == k[..])
        {
            continue;
        }
        let exists = ctx.db().contains(&k);
        ctx.shared.watches.watch(db, &k, &ctx.session.dirty);
        ctx.session.watching.push((db, k.into_owned(), exists));
    }
    Value::ok()
}

/// `UNWATCH`.
pub fn unwatch(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    forget_watches(ctx);
    Value::ok()
}

/// Drops this connection's watches (after EXEC, DISCARD, UNWATCH, or when
/// it closes) and starts a clean flag for the next ones.
pub fn forget_watches(ctx: &mut Ctx<'_>) {
    let watched: Vec<(usize, Vec<u8>)> = ctx
        .session
        .watching
        .drain(..)
        .map(|(d, k, _)| (d, k))
        .collect();
    ctx.shared.watches.unwatch(&watched, &ctx.session.dirty);
    ctx.session.dirty = Default::default();
}

/// True if a key WATCHed has changed, or was there and has expired since.
fn watch_broken(ctx: &Ctx<'_>) -> bool {
    ctx.session.dirty.is_set()
        || ctx
            .session
            .watching
            .iter()
            .any(|(d, k, existed)| *existed && !ctx.shared.keyspace.db(*d).contains(k))
}

pub fn exec(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    let Some(queued) = ctx.session.multi.take() else {
        return Value::error("ERR EXEC without MULTI");
    };
    if std::mem::take(&mut ctx.session.multi_failed) {
        forget_watches(ctx);
        return Value::error("EXECABORT Transaction discarded because of previous errors.");
    }
    let shared = ctx.shared;
    let _alone = shared.keyspace.gate.exclusive();
    // Checked alone: no write can slip in between the check and the run.
    let broken = watch_broken(ctx);
    forget_watches(ctx);
    if broken {
        // A null array: `*-1` in RESP2, `_` in RESP3, as Redis answers.
        return Value::NullArray;
    }
    let commands: Vec<(&'static Command, Vec<Value>)> = queued
        .into_iter()
        .filter_map(|(index, args)| Some((super::stats::by_index(index)?, args)))
        .collect();
    // Nothing blocks inside a transaction: blocking commands answer at once.
    ctx.session.no_block = true;
    let reply = exec_queued(ctx, &commands);
    ctx.session.no_block = false;
    reply
}

/// One queued command, checked again against the ACL: its user may have
/// lost the right since it was queued.
fn run_checked(ctx: &mut Ctx<'_>, cmd: &Command, args: &[Value]) -> Value {
    match super::acl::exec_refusal(ctx, cmd, args) {
        Some(refused) => refused,
        None => super::run(ctx, cmd, args),
    }
}

/// EXEC's run of the queue, alone, logged as one piece.
fn exec_queued(ctx: &mut Ctx<'_>, commands: &[(&'static Command, Vec<Value>)]) -> Value {
    let shared = ctx.shared;
    let writes = commands.iter().any(|(c, _)| c.is_write());
    if !(writes && shared.persist.tracks_writes()) {
        let replies = commands
            .iter()
            .map(|(cmd, args)| run_checked(ctx, cmd, args))
            .collect();
        ctx.log.records.clear();
        return Value::Array(replies);
    }
    let (reply, wait) = shared.persist.write(&mut |log: &mut Log| {
        log.push(ctx.session.db, vec![Value::bulk("MULTI")]);
        let mut replies = Vec::with_capacity(commands.len());
        for (cmd, args) in commands {
            let reply = run_checked(ctx, cmd, args);
            // A command that failed changed nothing: nothing to log.
            if !reply.is_error() {
                log.records.append(&mut ctx.log.records);
            }
            replies.push(reply);
        }
        log.push(ctx.session.db, vec![Value::bulk("EXEC")]);
        ctx.log.records.clear();
        Value::Array(replies)
    });
    if wait != 0 {
        ctx.session.aof_wait = wait;
    }
    reply
}
