//! `CLIENT ID|SETNAME|GETNAME|LIST|SETINFO|INFO`, and the registry of live
//! connections that `CLIENT LIST` reads.

use super::table::acl::*;
use super::table::flags::*;
use super::table::NONE;
use std::fmt::Write as _;
use std::sync::Arc;

use bytes::Bytes;
use kvstore_protocol::Value;

use super::{is_word, wrong_args, Command, Ctx};
use crate::config::ReplyMode;
use crate::state::blocking::Unblock;
use crate::state::session::{ClientInfo, Session};

pub static COMMANDS: &[Command] = &[Command::new(
    "client",
    -2,
    NOSCRIPT | LOADING | STALE,
    CONNECTION,
    NONE,
    client,
)
.doc("connection", "Inspects or names connections.", "")];

pub fn client(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let sub = &args[1];
    let rest = &args[2..];
    if is_word(sub, "ID") && rest.is_empty() {
        Value::Integer(ctx.session.id as i64)
    } else if is_word(sub, "GETNAME") && rest.is_empty() {
        ctx.session.name.clone().map_or(Value::Null, Value::Bulk)
    } else if is_word(sub, "SETNAME") && rest.len() == 1 {
        let Some(name) = valid_name(&rest[0]) else {
            return bad_name("Client names");
        };
        // Redis: an empty name removes it.
        ctx.session
            .set_name((!name.is_empty()).then(|| Bytes::copy_from_slice(name)));
        Value::ok()
    } else if is_word(sub, "SETINFO") && rest.len() == 2 {
        setinfo(ctx.session, &rest[0], &rest[1])
    } else if is_word(sub, "LIST") {
        if !rest.is_empty() {
            // TYPE/ID filters are not supported; refuse rather than ignore.
            return Value::error("ERR CLIENT LIST takes no filters in kvstore");
        }
        let mut out = String::new();
        for c in ctx.shared.clients.live() {
            describe(ctx, &c, &mut out);
        }
        Value::Bulk(Bytes::from(out))
    } else if is_word(sub, "INFO") && rest.is_empty() {
        let mut out = String::new();
        let me = Arc::clone(&ctx.session.info);
        describe(ctx, &me, &mut out);
        Value::Bulk(Bytes::from(out))
    } else if is_word(sub, "UNBLOCK") && (rest.len() == 1 || rest.len() == 2) {
        unblock(ctx, rest)
    } else if is_word(sub, "HELP") {
        Value::Array(
            [
                "CLIENT <subcommand> [<arg> ...]. Subcommands are:",
                "ID -- Return the ID of the current connection.",
                "GETNAME -- Return the name of the current connection.",
                "SETNAME <name> -- Assign a name to the current connection.",
                "SETINFO <LIB-NAME|LIB-VER> <value> -- Record the client library.",
                "LIST -- Return information about every connection.",
                "INFO -- Return information about the current connection.",
                "UNBLOCK <clientid> [TIMEOUT|ERROR] -- Unblock the specified blocked client.",
            ]
            .into_iter()
            .map(Value::from)
            .collect(),
        )
    } else if ["ID", "GETNAME", "SETNAME", "SETINFO", "INFO", "UNBLOCK"]
        .iter()
        .any(|w| is_word(sub, w))
    {
        wrong_args(&format!(
            "client|{}",
            String::from_utf8_lossy(sub.as_bytes().unwrap_or_default()).to_lowercase()
        ))
    } else {
        Value::error(format!(
            "ERR unknown subcommand '{}'. Try CLIENT HELP.",
            super::printable(sub.as_bytes().unwrap_or(b"?"), 64)
        ))
    }
}

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`: ends another client's blocking
/// command as if its timeout had passed, or with `-UNBLOCKED`. 1 if that
/// client was blocked, else 0.
fn unblock(ctx: &mut Ctx<'_>, rest: &[Value]) -> Value {
    let id = match super::args::integer(&rest[0]) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let how = match rest.get(1) {
        None => Unblock::Timeout,
        Some(w) if is_word(w, "TIMEOUT") => Unblock::Timeout,
        Some(w) if is_word(w, "ERROR") => Unblock::Error,
        Some(_) => return Value::error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
    };
    let target = ctx
        .shared
        .clients
        .live()
        .into_iter()
        .find(|c| i64::try_from(c.id).is_ok_and(|cid| cid == id));
    let waiter = target.and_then(|c| c.waiting.lock().clone());
    match waiter {
        Some(w) => {
            w.unblock(how);
            Value::Integer(1)
        }
        None => Value::Integer(0),
    }
}

/// `CLIENT SETINFO LIB-NAME|LIB-VER value`. Only Redis client libraries
/// send this (redis-py and redis-rs on every connect), so it also switches
/// the connection to Redis replies.
fn setinfo(session: &mut Session, attr: &Value, value: &Value) -> Value {
    let Some(v) = valid_name(value) else {
        return bad_name("lib-name and lib-ver");
    };
    let v = Some(Bytes::copy_from_slice(v));
    if is_word(attr, "LIB-NAME") {
        session.set_lib(v, None);
    } else if is_word(attr, "LIB-VER") {
        session.set_lib(None, v);
    } else {
        return Value::error(format!(
            "ERR Unrecognized option '{}'",
            super::printable(attr.as_bytes().unwrap_or(b"?"), 64)
        ));
    }
    session.become_redis(None);
    Value::ok()
}

/// A name as Redis allows it: printable ASCII without spaces.
fn valid_name(v: &Value) -> Option<&[u8]> {
    v.as_bytes()
        .filter(|b| b.iter().all(|c| c.is_ascii_graphic()))
}

fn bad_name(what: &str) -> Value {
    Value::error(format!(
        "ERR {what} cannot contain spaces, newlines or special characters."
    ))
}

/// One `CLIENT LIST` line, Redis's `field=value` format. Fields kvstore does
/// not track (idle, last command, buffers) are left out rather than faked;
/// `reply-mode` is kvstore's own.
fn describe(ctx: &Ctx<'_>, c: &ClientInfo, out: &mut String) {
    let shown = c.shown.lock().clone();
    let text = |b: &Option<Bytes>| {
        b.as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let _ = writeln!(
        out,
        "id={} addr={} laddr={} name={} age={} db=0 sub={} psub={} ssub={} resp={} lib-name={} lib-ver={} reply-mode={}",
        c.id,
        c.peer,
        ctx.shared.local_addr,
        text(&shown.name),
        c.since.elapsed().as_secs(),
        shown.subs.0,
        shown.subs.1,
        shown.subs.2,
        if shown.resp3 { 3 } else { 2 },
        text(&shown.lib_name),
        text(&shown.lib_ver),
        match shown.mode {
            ReplyMode::Seed => "seed",
            ReplyMode::Redis => "redis",
        }
    );
}
