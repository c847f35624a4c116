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
use crate::state::intro::{PAUSE_ALL, PAUSE_WRITE};
use crate::state::session::{
    ClientInfo, ReplyControl, Session, FLAG_MONITOR, FLAG_NO_EVICT, FLAG_NO_TOUCH, FLAG_TRACKING,
};
use crate::state::Shared;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

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
        list(ctx, rest)
    } else if is_word(sub, "KILL") && !rest.is_empty() {
        kill(ctx, rest)
    } else if is_word(sub, "PAUSE") && (rest.len() == 1 || rest.len() == 2) {
        pause(ctx, rest)
    } else if is_word(sub, "UNPAUSE") && rest.is_empty() {
        ctx.shared.intro.unpause();
        Value::ok()
    } else if is_word(sub, "REPLY") && rest.len() == 1 {
        reply(ctx, &rest[0])
    } else if is_word(sub, "NO-EVICT") && rest.len() == 1 {
        on_off(ctx, &rest[0], FLAG_NO_EVICT)
    } else if is_word(sub, "NO-TOUCH") && rest.len() == 1 {
        on_off(ctx, &rest[0], FLAG_NO_TOUCH)
    } else if is_word(sub, "INFO") && rest.is_empty() {
        let mut out = String::new();
        let me = Arc::clone(&ctx.session.info);
        describe(ctx, &me, "client|info", &mut out);
        Value::Bulk(Bytes::from(out))
    } else if is_word(sub, "UNBLOCK") && (rest.len() == 1 || rest.len() == 2) {
        unblock(ctx, rest)
    } else if is_word(sub, "TRACKING") && !rest.is_empty() {
        super::tracking::tracking(ctx, rest)
    } else if is_word(sub, "CACHING") && rest.len() == 1 {
        super::tracking::caching(ctx, &rest[0])
    } else if is_word(sub, "GETREDIR") && rest.is_empty() {
        super::tracking::getredir(ctx)
    } else if is_word(sub, "TRACKINGINFO") && rest.is_empty() {
        super::tracking::info(ctx)
    } else if is_word(sub, "HELP") {
        Value::Array(
            [
                "CLIENT <subcommand> [<arg> ...]. Subcommands are:",
                "ID -- Return the ID of the current connection.",
                "GETNAME -- Return the name of the current connection.",
                "SETNAME <name> -- Assign a name to the current connection.",
                "SETINFO <LIB-NAME|LIB-VER> <value> -- Record the client library.",
                "LIST [TYPE <type>] [ID <id> ...] -- Return information about client connections.",
                "INFO -- Return information about the current connection.",
                "KILL <ip:port> -- Kill connection made from <ip:port>.",
                "KILL <option> <value> [<option> <value> [...]] -- Kill connections by ID, ADDR, LADDR, USER, TYPE (NORMAL|MASTER|REPLICA|PUBSUB), SKIPME (YES|NO).",
                "PAUSE <timeout> [WRITE|ALL] -- Suspend all, or just write, clients for <timeout> milliseconds.",
                "UNPAUSE -- Stop the current client pause, resuming traffic.",
                "REPLY (ON|OFF|SKIP) -- Control the replies sent to the current connection.",
                "NO-EVICT (ON|OFF) -- Protect current client connection from eviction.",
                "NO-TOUCH (ON|OFF) -- Commands of this connection do not change keys' access times.",
                "UNBLOCK <clientid> [TIMEOUT|ERROR] -- Unblock the specified blocked client.",
                "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] [OPTOUT] [NOLOOP] -- Control server assisted client side caching.",
                "CACHING (YES|NO) -- Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
                "GETREDIR -- Return the client ID we are redirecting to when tracking is enabled.",
                "TRACKINGINFO -- Return information about current client's tracking status.",
            ]
            .into_iter()
            .map(Value::from)
            .collect(),
        )
    } else if [
        "ID",
        "GETNAME",
        "SETNAME",
        "SETINFO",
        "INFO",
        "UNBLOCK",
        "KILL",
        "PAUSE",
        "UNPAUSE",
        "REPLY",
        "NO-EVICT",
        "NO-TOUCH",
        "TRACKING",
        "CACHING",
        "GETREDIR",
        "TRACKINGINFO",
    ]
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

/// Client types, as `CLIENT LIST TYPE` and `CLIENT KILL TYPE` name them.
/// kvstore has no replicas or masters: those match nobody.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    Master,
    Replica,
    PubSub,
}

fn kind(v: &Value) -> Result<Kind, Value> {
    let w = v.as_bytes().unwrap_or_default();
    let k = match w.to_ascii_lowercase().as_slice() {
        b"normal" => Kind::Normal,
        b"master" => Kind::Master,
        b"replica" | b"slave" => Kind::Replica,
        b"pubsub" => Kind::PubSub,
        _ => {
            return Err(Value::error(format!(
                "ERR Unknown client type '{}'",
                super::printable(w, 128)
            )))
        }
    };
    Ok(k)
}

fn kind_of(c: &ClientInfo) -> Kind {
    let subs = c.shown.lock().subs;
    if subs != (0, 0, 0) {
        Kind::PubSub
    } else {
        Kind::Normal
    }
}

/// `CLIENT LIST [TYPE type] [ID id ...]`.
fn list(ctx: &Ctx<'_>, rest: &[Value]) -> Value {
    let mut want_kind = None;
    let mut ids: Option<Vec<u64>> = None;
    if let Some(first) = rest.first() {
        if is_word(first, "TYPE") && rest.len() == 2 {
            want_kind = match kind(&rest[1]) {
                Ok(k) => Some(k),
                Err(e) => return e,
            };
        } else if is_word(first, "ID") && rest.len() >= 2 {
            let mut v = Vec::with_capacity(rest.len() - 1);
            for a in &rest[1..] {
                match super::args::integer(a) {
                    Ok(n) if n > 0 => v.push(n as u64),
                    _ => return Value::error("ERR Invalid client ID"),
                }
            }
            ids = Some(v);
        } else {
            return super::syntax_error();
        }
    }
    let mut out = String::new();
    for c in ctx.shared.clients.live() {
        if want_kind.is_some_and(|k| k != kind_of(&c)) {
            continue;
        }
        if ids.as_ref().is_some_and(|ids| !ids.contains(&c.id)) {
            continue;
        }
        describe(ctx, &c, "client|list", &mut out);
    }
    Value::Bulk(Bytes::from(out))
}

/// `CLIENT KILL ip:port` (+OK or an error) or `CLIENT KILL <filter> <value>
/// ...` (how many were killed). A connection killed is woken and closes
/// at once; this one closes after its reply.
fn kill(ctx: &mut Ctx<'_>, rest: &[Value]) -> Value {
    let live = ctx.shared.clients.live();
    let me = ctx.session.id;
    if rest.len() == 1 {
        let addr = rest[0].as_bytes().unwrap_or_default();
        // A connection already killed is as good as gone (it may not
        // have finished closing).
        let found = live
            .iter()
            .find(|c| !c.kill.is_killed() && c.peer.to_string().as_bytes() == addr);
        let Some(c) = found else {
            return Value::error("ERR No such client");
        };
        kill_one(ctx, c);
        return Value::ok();
    }
    if !rest.len().is_multiple_of(2) {
        return super::syntax_error();
    }
    let mut id = None;
    let mut addr: Option<&[u8]> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut want_kind = None;
    let mut skipme = true;
    let mut user: Option<String> = None;
    for pair in rest.chunks_exact(2) {
        let (opt, v) = (&pair[0], &pair[1]);
        if is_word(opt, "ID") {
            match super::args::integer(v) {
                Ok(n) if n > 0 => id = Some(n as u64),
                _ => return Value::error("ERR client-id should be greater than 0"),
            }
        } else if is_word(opt, "ADDR") {
            addr = v.as_bytes();
        } else if is_word(opt, "LADDR") {
            laddr = v.as_bytes();
        } else if is_word(opt, "TYPE") {
            want_kind = match kind(v) {
                Ok(k) => Some(k),
                Err(e) => return e,
            };
        } else if is_word(opt, "USER") {
            let name = String::from_utf8_lossy(v.as_bytes().unwrap_or_default()).into_owned();
            if ctx.shared.acl.get(&name).is_none() {
                return Value::error(format!(
                    "ERR No such user '{}'",
                    super::printable(name.as_bytes(), 128)
                ));
            }
            user = Some(name);
        } else if is_word(opt, "SKIPME") {
            if is_word(v, "yes") {
                skipme = true;
            } else if is_word(v, "no") {
                skipme = false;
            } else {
                return super::syntax_error();
            }
        } else {
            return super::syntax_error();
        }
    }
    let local = ctx.shared.local_addr.to_string();
    let mut killed = 0;
    for c in &live {
        let hit = id.is_none_or(|id| c.id == id)
            && addr.is_none_or(|a| c.peer.to_string().as_bytes() == a)
            && laddr.is_none_or(|a| local.as_bytes() == a)
            && want_kind.is_none_or(|k| k == kind_of(c))
            && user
                .as_deref()
                .is_none_or(|u| c.shown.lock().user.as_deref().unwrap_or("default") == u)
            && !(skipme && c.id == me)
            && !c.kill.is_killed();
        if hit {
            kill_one(ctx, c);
            killed += 1;
        }
    }
    Value::Integer(killed)
}

fn kill_one(ctx: &mut Ctx<'_>, c: &ClientInfo) {
    if c.id == ctx.session.id {
        ctx.session.quit = true;
    } else {
        c.kill.kill();
    }
}

/// `CLIENT PAUSE timeout [WRITE|ALL]`.
fn pause(ctx: &mut Ctx<'_>, rest: &[Value]) -> Value {
    let ms = match super::args::integer(&rest[0]) {
        Ok(ms) if ms < 0 => return Value::error("ERR timeout is negative"),
        Ok(ms) => ms as u64,
        Err(_) => return Value::error("ERR timeout is not an integer or out of range"),
    };
    let kind = match rest.get(1) {
        None => PAUSE_ALL,
        Some(w) if is_word(w, "ALL") => PAUSE_ALL,
        Some(w) if is_word(w, "WRITE") => PAUSE_WRITE,
        Some(_) => return Value::error("ERR CLIENT PAUSE mode must be WRITE or ALL"),
    };
    let until = Instant::now() + Duration::from_millis(ms.min(u64::MAX / 4));
    ctx.shared.intro.pause(kind, until);
    Value::ok()
}

/// True if `frame` must wait for the pause in force: every request under
/// `ALL`; under `WRITE`, those that may write (writes, scripts, PUBLISH,
/// and EXEC of a transaction holding one), as Redis decides.
pub fn held_by_pause(shared: &Shared, session: &Session, frame: &Value) -> bool {
    let kind = shared.intro.paused();
    if kind == PAUSE_ALL {
        return true;
    }
    if kind != PAUSE_WRITE {
        return false;
    }
    let name = match frame {
        Value::Array(words) => words.first().and_then(Value::as_bytes),
        Value::Simple(line) => line
            .split(|b| b.is_ascii_whitespace())
            .find(|w| !w.is_empty()),
        _ => None,
    };
    let Some(cmd) = name.and_then(super::lookup) else {
        return false;
    };
    if let Some(queued) = &session.multi {
        if cmd.name != "exec" {
            return false;
        }
        return queued
            .iter()
            .any(|(index, _)| super::stats::by_index(*index).is_some_and(may_write));
    }
    may_write(cmd)
}

fn may_write(cmd: &Command) -> bool {
    cmd.is_write()
        || matches!(
            cmd.name,
            "eval" | "evalsha" | "fcall" | "publish" | "spublish" | "pfcount"
        )
}

/// `CLIENT REPLY ON|OFF|SKIP`: OFF and SKIP are not answered themselves.
fn reply(ctx: &mut Ctx<'_>, mode: &Value) -> Value {
    let s = &mut *ctx.session;
    if is_word(mode, "ON") {
        s.reply = ReplyControl::On;
    } else if is_word(mode, "OFF") {
        s.reply = ReplyControl::Off;
    } else if is_word(mode, "SKIP") {
        if s.reply != ReplyControl::Off {
            s.reply = ReplyControl::SkipNext;
        }
    } else {
        return super::syntax_error();
    }
    Value::ok()
}

/// `CLIENT NO-EVICT|NO-TOUCH ON|OFF`: accepted and shown in the flags
/// (kvstore neither evicts clients nor tracks keys' access times).
fn on_off(ctx: &mut Ctx<'_>, v: &Value, flag: u32) -> Value {
    let on = if is_word(v, "ON") {
        true
    } else if is_word(v, "OFF") {
        false
    } else {
        return super::syntax_error();
    };
    ctx.session.set_flag(flag, on);
    Value::ok()
}

/// One `CLIENT LIST` line: Redis 7's fields in its order, then
/// `lib-name`/`lib-ver` (Redis 7.2) and kvstore's own `reply-mode`.
/// Buffer and memory figures kvstore does not track are 0.
pub(super) fn describe(ctx: &Ctx<'_>, c: &ClientInfo, current: &'static str, out: &mut String) {
    let shown = c.shown.lock().clone();
    let text = |b: &Option<Bytes>| {
        b.as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let a = &c.activity;
    let me = c.id == ctx.session.id;
    // This connection's own line is written while its command runs: it
    // shows the command and database as they are now.
    let (db, last_cmd, multi, flags) = if me {
        let s = &*ctx.session;
        (
            s.db,
            Some(current),
            s.multi.as_ref().map_or(-1, |q| q.len() as i64),
            a.flags.load(Ordering::Relaxed),
        )
    } else {
        (
            a.db.load(Ordering::Relaxed),
            super::stats::by_index(a.last_cmd.load(Ordering::Relaxed)).map(|c| c.name),
            a.multi.load(Ordering::Relaxed),
            a.flags.load(Ordering::Relaxed),
        )
    };
    let age = c.since.elapsed();
    let idle = if me {
        0
    } else {
        age.as_millis()
            .saturating_sub(u128::from(a.last_ms.load(Ordering::Relaxed)))
            / 1000
    };
    let mut f = String::new();
    if flags & FLAG_MONITOR != 0 {
        f.push('O');
    }
    if shown.subs != (0, 0, 0) {
        f.push('P');
    }
    if multi >= 0 {
        f.push('x');
    }
    if c.waiting.lock().is_some() {
        f.push('b');
    }
    if flags & FLAG_TRACKING != 0 {
        f.push('t');
    }
    if c.kill.is_killed() {
        f.push('A');
    }
    if flags & FLAG_NO_EVICT != 0 {
        f.push('e');
    }
    if flags & FLAG_NO_TOUCH != 0 {
        f.push('T');
    }
    if f.is_empty() {
        f.push('N');
    }
    let _ = writeln!(
        out,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={f} db={db} sub={} psub={} ssub={} multi={multi} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user={} redir=-1 resp={} lib-name={} lib-ver={} reply-mode={}",
        c.id,
        c.peer,
        ctx.shared.local_addr,
        a.fd.load(Ordering::Relaxed),
        text(&shown.name),
        age.as_secs(),
        idle,
        shown.subs.0,
        shown.subs.1,
        shown.subs.2,
        last_cmd.unwrap_or("NULL"),
        shown.user.as_deref().unwrap_or("default"),
        if shown.resp3 { 3 } else { 2 },
        text(&shown.lib_name),
        text(&shown.lib_ver),
        match shown.mode {
            ReplyMode::Seed => "seed",
            ReplyMode::Redis => "redis",
        }
    );
}
