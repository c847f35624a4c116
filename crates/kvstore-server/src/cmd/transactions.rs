//! The transaction family: MULTI, EXEC, DISCARD.
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

use super::table::flags::*;
use super::table::NONE;
use super::{Command, Ctx};
use crate::state::Log;

pub static COMMANDS: &[Command] = &[
    Command::new(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_MULTI,
        0,
        NONE,
        multi,
    )
    .doc("transactions", "Starts a transaction.", ""),
    Command::new(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | OWN_GATE,
        0,
        NONE,
        exec,
    )
    .doc(
        "transactions",
        "Runs the commands queued since MULTI, alone and at once.",
        "",
    ),
    Command::new(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST,
        0,
        NONE,
        discard,
    )
    .doc("transactions", "Drops the commands queued since MULTI.", ""),
];

/// True for the commands that run at once even inside MULTI.
pub fn runs_in_multi(cmd: &Command) -> bool {
    matches!(cmd.name, "multi" | "exec" | "discard" | "quit")
}

/// Queues a checked command inside MULTI.
pub fn queue(ctx: &mut Ctx<'_>, cmd: &Command, args: Vec<Value>) -> Value {
    if cmd.flags & NO_MULTI != 0 {
        ctx.session.multi_failed = true;
        return Value::error("ERR Command not allowed inside a transaction");
    }
    match ctx.session.multi.as_mut() {
        Some(q) => {
            q.push(args);
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
    Value::ok()
}

pub fn exec(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    let Some(queued) = ctx.session.multi.take() else {
        return Value::error("ERR EXEC without MULTI");
    };
    if std::mem::take(&mut ctx.session.multi_failed) {
        return Value::error("EXECABORT Transaction discarded because of previous errors.");
    }
    let shared = ctx.shared;
    let _alone = shared.keyspace.gate.exclusive();
    let commands: Vec<(&'static Command, Vec<Value>)> = queued
        .into_iter()
        .filter_map(|args| {
            let cmd = args
                .first()
                .and_then(Value::as_bytes)
                .and_then(super::lookup)?;
            Some((cmd, args))
        })
        .collect();
    let writes = commands.iter().any(|(c, _)| c.is_write());
    if !(writes && shared.persist.tracks_writes()) {
        let replies = commands
            .iter()
            .map(|(cmd, args)| super::run(ctx, cmd, args))
            .collect();
        ctx.log.records.clear();
        return Value::Array(replies);
    }
    let (reply, wait) = shared.persist.write(&mut |log: &mut Log| {
        log.push(ctx.session.db, vec![Value::bulk("MULTI")]);
        let mut replies = Vec::with_capacity(commands.len());
        for (cmd, args) in &commands {
            let reply = super::run(ctx, cmd, args);
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
