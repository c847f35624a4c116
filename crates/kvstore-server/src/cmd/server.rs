//! Connection-level Redis commands: PING, ECHO, QUIT, RESET, SELECT and
//! HELLO.

use super::table::acl::*;
use super::table::flags::*;
use super::table::NONE;
use kvstore_protocol::Value;

use super::reply_map;
use super::{integer, is_word, Command, Ctx};
use crate::tri;

pub static COMMANDS: &[Command] = &[
    Command::new("ping", -1, FAST, CONNECTION, NONE, ping).doc(
        "connection",
        "Returns PONG, or the message.",
        "[message]",
    ),
    Command::new("time", 1, LOADING | STALE | FAST, 0, NONE, time).doc(
        "server",
        "Returns the server's time: Unix seconds and microseconds.",
        "",
    ),
    Command::new(
        "role",
        1,
        NOSCRIPT | LOADING | STALE | FAST,
        ADMIN_CAT | DANGEROUS,
        NONE,
        role,
    )
    .doc("server", "Returns the replication role.", ""),
    Command::new("echo", 2, FAST, CONNECTION, NONE, echo).doc(
        "connection",
        "Returns the message.",
        "message",
    ),
    Command::new(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        CONNECTION,
        NONE,
        quit,
    )
    .doc("connection", "Closes the connection.", ""),
    Command::new(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        CONNECTION,
        NONE,
        reset,
    )
    .doc("connection", "Resets the connection.", ""),
    Command::new(
        "select",
        2,
        LOADING | STALE | FAST,
        CONNECTION,
        NONE,
        select,
    )
    .doc(
        "connection",
        "Selects the database this connection works in.",
        "index",
    ),
    Command::new(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        CONNECTION,
        NONE,
        hello,
    )
    .doc(
        "connection",
        "Handshake: switches to Redis replies, RESP2 or RESP3.",
        "[protover [AUTH username password] [SETNAME clientname]]",
    ),
    Command::new(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        0,
        NONE,
        shutdown,
    )
    .doc(
        "server",
        "Stops the server, flushing the append-only file and saving as configured.",
        "[NOSAVE|SAVE] [NOW] [FORCE] [ABORT]",
    ),
];

/// The Redis version whose commands and replies kvstore follows. Tools read
/// `redis_version` (INFO) and `version` (HELLO) to decide what they may
/// send; kvstore's own version is reported beside it.
pub const REDIS_COMPAT_VERSION: &str = "7.0.15";

/// `ROLE`: kvstore has no replication, so it is a primary with no
/// replicas at offset 0, as Redis answers alone.
pub fn role(_ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    Value::Array(vec![
        Value::bulk("master"),
        Value::Integer(0),
        Value::Array(Vec::new()),
    ])
}

pub fn ping(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    // A RESP2 subscriber gets its PONG in the shape of a message.
    if ctx.session.subscribed_mode() && args.len() <= 2 {
        let msg = args.get(1).cloned().unwrap_or(Value::bulk(""));
        return Value::Array(vec![Value::bulk("pong"), msg]);
    }
    match args {
        [_] => Value::simple("PONG"),
        [_, msg] => msg.clone(),
        _ => super::wrong_args("ping"),
    }
}

/// `TIME`: seconds and microseconds since the Unix epoch, as two strings.
pub fn time(_ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Value::Array(vec![
        Value::bulk(now.as_secs().to_string()),
        Value::bulk(now.subsec_micros().to_string()),
    ])
}

pub fn echo(_ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    args[1].clone()
}

/// `QUIT`: `+OK`, then the connection closes once the reply is written.
pub fn quit(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    ctx.session.quit = true;
    Value::ok()
}

/// `RESET`: the connection as it was when it connected, but for its reply
/// mode: no transaction, watches or subscriptions, RESP2, database 0, no
/// name.
pub fn reset(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    ctx.session.multi = None;
    ctx.session.multi_failed = false;
    super::transactions::forget_watches(ctx);
    if let Some(ps) = ctx.session.pubsub.as_deref_mut() {
        ctx.shared.pubsub.leave_all(ps);
    }
    ctx.session.show_subscriptions();
    super::introspection::leave_monitor(ctx);
    super::tracking::stop(ctx);
    ctx.session.reply = crate::state::session::ReplyControl::On;
    ctx.session
        .set_flag(crate::state::session::FLAG_NO_EVICT, false);
    ctx.session
        .set_flag(crate::state::session::FLAG_NO_TOUCH, false);
    ctx.session.leave_resp3();
    ctx.session.db = 0;
    ctx.session.set_name(None);
    // Back to the default user, logged in only if it needs no password.
    ctx.session.info.shown.lock().user = None;
    ctx.session.start_acl(&ctx.shared.acl);
    Value::simple("RESET")
}

/// `SELECT index`: this connection's commands (the seed's included) work
/// in database `index` from now on.
pub fn select(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    ctx.session.db = tri!(super::args::db_index(ctx, &args[1]));
    Value::ok()
}

/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`.
///
/// Any HELLO switches the connection to Redis replies (only Redis clients
/// send it); `HELLO 3` also switches the encoding to RESP3, `HELLO 2` back
/// to RESP2, and a bare `HELLO` keeps the protocol version.
pub fn hello(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let mut resp3 = None;
    let mut rest = &args[1..];
    if let Some((ver, more)) = rest.split_first() {
        resp3 = match integer(ver) {
            Ok(2) => Some(false),
            Ok(3) => Some(true),
            Ok(_) => return Value::error("NOPROTO unsupported protocol version"),
            Err(_) => {
                return Value::error("ERR Protocol version is not an integer or out of range")
            }
        };
        rest = more;
    }
    let mut name = None;
    let mut login = None;
    while let Some((opt, more)) = rest.split_first() {
        if is_word(opt, "AUTH") && more.len() >= 2 {
            login = Some((&more[0], &more[1]));
            rest = &more[2..];
        } else if is_word(opt, "SETNAME") && !more.is_empty() {
            match more[0].as_bytes() {
                Some(n) if n.iter().all(u8::is_ascii_graphic) => {
                    name = Some(bytes::Bytes::copy_from_slice(n))
                }
                _ => {
                    return Value::error(
                        "ERR Client names cannot contain spaces, newlines or special characters.",
                    )
                }
            }
            rest = &more[1..];
        } else {
            return Value::error(format!(
                "ERR Syntax error in HELLO option '{}'",
                super::printable(opt.as_bytes().unwrap_or(b"?"), 64)
            ));
        }
    }
    if let Some((user, pass)) = login {
        let word = |v: &Value| v.as_bytes().unwrap_or_default().to_vec();
        if let Err(e) = super::acl::authenticate(ctx, &word(user), &word(pass)) {
            return e;
        }
    }
    if !ctx.session.authenticated && !ctx.shared.acl.default_open() {
        return Value::error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time",
        );
    }
    if name.is_some() {
        ctx.session.set_name(name);
    }
    ctx.session.become_redis(resp3);
    let proto = if ctx.session.resp3 { 3 } else { 2 };
    reply_map(
        ctx.session,
        vec![
            (Value::from("server"), Value::from("kvstore")),
            (Value::from("version"), Value::from(REDIS_COMPAT_VERSION)),
            (
                Value::from("kvstore_version"),
                Value::from(env!("CARGO_PKG_VERSION")),
            ),
            (Value::from("proto"), Value::Integer(proto)),
            (Value::from("id"), Value::Integer(ctx.session.id as i64)),
            (Value::from("mode"), Value::from("standalone")),
            (Value::from("role"), Value::from("master")),
            (Value::from("modules"), Value::Array(vec![])),
        ],
    )
}

/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`: stops the server the
/// way SIGTERM does (the append-only file is flushed and a snapshot taken
/// if one is configured, then connections finish what they hold). If the
/// data cannot be made durable, the server keeps serving and this gets
/// Redis's `-ERR Errors trying to SHUTDOWN. Check logs.`, unless `FORCE`.
/// While a script is busy, only `NOSAVE` is accepted, and the process
/// ends at once: the script holds the keyspace and the log, so nothing
/// could be flushed after it.
pub fn shutdown(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let mut save = None;
    let mut force = false;
    for a in &args[1..] {
        if is_word(a, "NOSAVE") && save.is_none() {
            save = Some(false);
        } else if is_word(a, "SAVE") && save.is_none() {
            save = Some(true);
        } else if is_word(a, "NOW") {
            // Nothing waits for replicas here.
        } else if is_word(a, "FORCE") {
            force = true;
        } else if is_word(a, "ABORT") {
            return Value::error("ERR No shutdown in progress.");
        } else {
            return Value::error("ERR syntax error");
        }
    }
    let script = &ctx.shared.script;
    if script.busy() {
        if save != Some(false) {
            return script.busy_reply();
        }
        tracing::warn!("SHUTDOWN NOSAVE while a script is busy: exiting now");
        std::process::exit(0);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    ctx.shared.shutdown.request(crate::state::ShutdownRequest {
        save,
        force,
        outcome: Some(tx),
    });
    // The connection waits for the outcome, as for SAVE.
    ctx.session.pending_save = Some(rx);
    ctx.session.pending_shutdown = true;
    Value::error(super::persistence::SAVE_PENDING)
}
