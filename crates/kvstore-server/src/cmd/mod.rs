//! The command table and request dispatch.
//!
//! Every command is one row of [`COMMANDS`]: its name, its arity in Redis's
//! convention (positive: exactly that many words including the name;
//! negative: at least that many), whether it writes, and a handler. A
//! handler gets the whole request (name first) and returns the reply; it
//! never fails in any other way, so every request gets exactly one reply.

pub mod acl;
mod args;
pub mod blocking;
pub mod client;
mod command;
mod config;
pub mod container;
mod debug;
mod dump;
pub mod float;
mod functions;
mod hashes;
pub mod info;
pub mod inline;
pub mod introspection;
mod keys;
pub mod keyspec;
mod lists;
mod lua_bit;
mod lua_call;
mod lua_cjson;
mod lua_libs;
mod lua_msgpack;
mod lua_struct;
pub mod maxmemory;
mod memory;
mod modules;
mod notify;
mod persistence;
pub mod pubsub;
mod rng;
mod scripting;
mod server;
mod sets;
mod sort;
pub mod stats;
mod strings;
pub mod table;
pub mod tracking;
pub mod transactions;
mod zsets;

use std::sync::LazyLock;

use kvstore_protocol::Value;

pub use args::*;
pub use table::{Command, KeySpec};

use crate::keyspace::Db;
use crate::state::{Log, Refusal, Session, Shared, LOADING_ERROR};

/// What a handler may touch: the shared server state and its own connection.
pub struct Ctx<'a> {
    pub shared: &'a Shared,
    pub session: &'a mut Session,
    /// What a write asks to have logged instead of its request as it came
    /// (see [`Log`]); empty for most.
    pub log: Log,
}

impl<'a> Ctx<'a> {
    pub fn new(shared: &'a Shared, session: &'a mut Session) -> Ctx<'a> {
        Ctx {
            shared,
            session,
            log: Log::default(),
        }
    }

    /// The database this connection has selected.
    pub fn db(&self) -> &'a Db {
        self.shared.keyspace.db(self.session.db)
    }

    /// Announces a keyspace event on `key` of this connection's database
    /// if `notify-keyspace-events` has `class` (Redis's class bits, in
    /// `config::notify`); one atomic load when it is off.
    #[inline]
    pub fn notify(&self, class: u32, event: &str, key: &[u8]) {
        let flags = self.shared.pubsub.notify_flags();
        if flags & class != 0 {
            self.shared
                .pubsub
                .notify(flags, self.session.db, event, key);
        }
    }

    /// Has `words` logged (in this connection's database) in place of the
    /// request, for a write whose replay must not depend on when it runs.
    ///
    /// `words` is called only when persistence logs writes at all, so a
    /// server without it pays nothing for building the record.
    pub fn propagate(&mut self, words: impl FnOnce() -> Vec<Value>) {
        if self.shared.persist.tracks_writes() {
            self.log.push(self.session.db, words());
        }
    }
}

pub type Handler = fn(&mut Ctx<'_>, &[Value]) -> Value;

/// Every command family's table. A family lives in its own file and
/// exports `COMMANDS`; adding a family means adding it here.
static FAMILIES: &[&[Command]] = &[
    strings::COMMANDS,
    keys::COMMANDS,
    lists::COMMANDS,
    hashes::COMMANDS,
    sets::COMMANDS,
    zsets::COMMANDS,
    sort::COMMANDS,
    dump::COMMANDS,
    server::COMMANDS,
    info::COMMANDS,
    config::COMMANDS,
    client::COMMANDS,
    command::COMMANDS,
    persistence::COMMANDS,
    debug::COMMANDS,
    modules::COMMANDS,
    transactions::COMMANDS,
    scripting::COMMANDS,
    pubsub::COMMANDS,
    functions::COMMANDS,
    introspection::COMMANDS,
    memory::COMMANDS,
    acl::COMMANDS,
];

/// Every command the server knows, in table order.
pub fn all() -> impl Iterator<Item = &'static Command> {
    FAMILIES.iter().flat_map(|f| f.iter())
}

/// The command names, found case-insensitively with no copy: an open
/// addressed table of 4x as many slots as commands, so a probe is almost
/// always one slot. A general hash map needed a lowered copy of the name
/// and a full hasher, which showed in profiles of cheap commands.
struct Names {
    slots: Box<[Option<&'static Command>]>,
}

impl Names {
    fn build() -> Names {
        let n = all().count().max(1) * 4;
        let mut slots = vec![None; n.next_power_of_two()].into_boxed_slice();
        let mask = slots.len() - 1;
        for c in all() {
            let mut i = name_hash(c.name.as_bytes()) & mask;
            while slots[i].is_some() {
                i = (i + 1) & mask;
            }
            slots[i] = Some(c);
        }
        Names { slots }
    }

    #[inline]
    fn get(&self, name: &[u8]) -> Option<&'static Command> {
        let mask = self.slots.len() - 1;
        let mut i = name_hash(name) & mask;
        loop {
            let c = self.slots[i]?;
            if c.name.as_bytes().eq_ignore_ascii_case(name) {
                return Some(c);
            }
            i = (i + 1) & mask;
        }
    }
}

/// A hash that ignores ASCII case (`| 0x20` folds letters; what it does
/// to other bytes only adds a rare extra comparison).
#[inline]
fn name_hash(name: &[u8]) -> usize {
    let mut h = name.len() as u32;
    for &b in name {
        h = h.wrapping_mul(0x0100_0193) ^ u32::from(b | 0x20);
    }
    (h ^ (h >> 15)) as usize
}

static TABLE: LazyLock<Names> = LazyLock::new(Names::build);

/// Finds a command by name, ignoring ASCII case.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    TABLE.get(name)
}

/// Runs one request frame and returns its reply.
pub fn execute(ctx: &mut Ctx<'_>, frame: Value) -> Value {
    // `CLIENT CACHING` lasts for the one command after it (or the
    // transaction it starts), as in Redis.
    let caching =
        ctx.session.tracking.as_ref().is_some_and(|t| t.caching) && !tracking::names_client(&frame);
    let reply = dispatch(ctx, frame);
    if caching && ctx.session.multi.is_none() {
        if let Some(t) = ctx.session.tracking.as_deref_mut() {
            t.caching = false;
        }
    }
    reply
}

fn dispatch(ctx: &mut Ctx<'_>, frame: Value) -> Value {
    ctx.session.refresh_acl(&ctx.shared.acl);
    let args = match request_words(frame) {
        Ok(args) => args,
        Err(reply) => {
            stats::rejected(ctx, None, &reply);
            return reply;
        }
    };
    let cmd = match checked(&args) {
        Ok(cmd) => cmd,
        Err(reply) => {
            // A command refused while queueing dooms the transaction.
            if ctx.session.multi.is_some() {
                ctx.session.multi_failed = true;
            }
            let known = args.first().and_then(Value::as_bytes).and_then(lookup);
            stats::rejected(ctx, known, &reply);
            return reply;
        }
    };
    if let Some(reply) = refused_in_state(ctx, cmd, &args) {
        // As any command refused while queueing, it dooms the transaction.
        if ctx.session.multi.is_some() {
            ctx.session.multi_failed = true;
        }
        stats::rejected(ctx, Some(cmd), &reply);
        return reply;
    }
    // While a script has run too long, only a few commands are served,
    // outside the gate; the rest are answered -BUSY. When none does, this
    // is one atomic load.
    let script = &ctx.shared.script;
    let mut busy_ok = false;
    if script.busy() {
        busy_ok = allowed_while_busy(cmd, &args);
        if !busy_ok {
            if ctx.session.multi.is_some() {
                ctx.session.multi_failed = true;
            }
            return script.busy_reply();
        }
    }
    if ctx.session.multi.is_some() && !transactions::runs_in_multi(cmd) {
        return transactions::queue(ctx, cmd, args);
    }
    // Every command holds the gate shared while it runs, so that a
    // transaction, which holds it exclusively, runs alone. A client that
    // waits for it behind a script stops waiting once the script is busy.
    let _gate = if cmd.flags & table::flags::OWN_GATE != 0 || busy_ok {
        None
    } else {
        match ctx.shared.keyspace.gate.shared_unless(&|| script.busy()) {
            Some(g) => Some(g),
            None if allowed_while_busy(cmd, &args) => {
                busy_ok = true;
                None
            }
            None => return script.busy_reply(),
        }
    };
    // What runs beside a busy script must not wait for the log either
    // (the script holds it): none of it is logged.
    if busy_ok {
        return run(ctx, cmd, &args);
    }
    // Writes go through the persistence layer when it is on (one branch,
    // nothing more, when it is off).
    if cmd.is_write() && ctx.shared.persist.tracks_writes() {
        let shared = ctx.shared;
        let (reply, wait) = shared.persist.write(&mut |log: &mut Log| {
            let reply = run(ctx, cmd, &args);
            std::mem::swap(log, &mut ctx.log);
            reply
        });
        if wait != 0 {
            ctx.session.aof_wait = wait;
        }
        return reply;
    }
    run(ctx, cmd, &args)
}

/// Commands Redis serves while a script is busy (`allow-busy`): the kill
/// subcommands, `FUNCTION STATS`, and connection housekeeping.
fn allowed_while_busy(cmd: &Command, args: &[Value]) -> bool {
    if cmd.flags & table::flags::ALLOW_BUSY != 0 {
        return true;
    }
    let sub = |w: &str| args.get(1).is_some_and(|a| is_word(a, w));
    match cmd.name {
        "script" => sub("KILL"),
        "function" => sub("KILL") || sub("STATS"),
        _ => false,
    }
}

/// A command the connection's state does not allow: a RESP2 subscriber's
/// replies could not be told from its messages, a monitor, like
/// Redis's, may not touch the keyspace, the ACL has its say, and the data
/// must be loaded and writable.
fn refused_in_state(ctx: &mut Ctx<'_>, cmd: &Command, args: &[Value]) -> Option<Value> {
    if ctx.session.pubsub.is_some()
        && ctx.session.subscribed_mode()
        && !pubsub::allowed_while_subscribed(cmd)
    {
        return Some(pubsub::refused_while_subscribed(cmd, args));
    }
    if ctx.session.monitor && introspection::refused_while_monitoring(cmd) {
        return Some(Value::error("ERR Replica can't interact with the keyspace"));
    }
    if let Some(refusal) = acl::refused(ctx, cmd, args) {
        return Some(refusal);
    }
    if let Some(reply) = maxmemory::refused(ctx, cmd) {
        return Some(reply);
    }
    refused_by_persistence(ctx, cmd)
}

/// `-LOADING` while the data loads (for all but the commands flagged
/// `loading`), and `-MISCONF` for writes (and PING, as Redis) while the
/// data cannot be persisted. A refused command dooms a transaction being
/// queued; a refused EXEC discards it, as Redis's does.
fn refused_by_persistence(ctx: &mut Ctx<'_>, cmd: &Command) -> Option<Value> {
    let refusal = ctx.shared.persist.refusal()?;
    let exec = cmd.name == "exec";
    let queued = |pick: &dyn Fn(&Command) -> bool| {
        exec && ctx.session.multi.as_ref().is_some_and(|q| {
            q.iter().any(|(_, words)| {
                words
                    .first()
                    .and_then(Value::as_bytes)
                    .and_then(lookup)
                    .is_some_and(pick)
            })
        })
    };
    let text = match refusal {
        Refusal::Loading => {
            let loads = |c: &Command| c.flags & table::flags::LOADING != 0;
            if loads(cmd) && !queued(&|c| !loads(c)) {
                return None;
            }
            LOADING_ERROR.to_string()
        }
        Refusal::DiskError(text) => {
            if !(cmd.is_write() || cmd.name == "ping" || queued(&|c| c.is_write())) {
                return None;
            }
            text
        }
    };
    if exec && ctx.session.multi.is_some() {
        ctx.session.multi = None;
        ctx.session.multi_failed = false;
        transactions::forget_watches(ctx);
        return Some(Value::error(format!(
            "EXECABORT Transaction discarded because of: {text}"
        )));
    }
    if ctx.session.multi.is_some() && cmd.name != "discard" {
        ctx.session.multi_failed = true;
    }
    Some(Value::error(text))
}

/// The command `args` names, if it exists and `args` has its arity.
fn checked(args: &[Value]) -> Result<&'static Command, Value> {
    let name = match args.first().and_then(Value::as_bytes) {
        Some(name) => name,
        None => {
            let got = args.first().map_or("nothing", Value::type_name);
            return Err(Value::error(format!(
                "ERR invalid command name: expected a string, got {got}"
            )));
        }
    };
    let Some(cmd) = lookup(name) else {
        return Err(Value::error(format!(
            "ERR unknown command '{}'",
            printable(name, 128)
        )));
    };
    let n = args.len() as i32;
    if (cmd.arity > 0 && n != cmd.arity) || (cmd.arity < 0 && n < -cmd.arity) {
        return Err(wrong_args(cmd.name));
    }
    Ok(cmd)
}

/// Runs a checked command and leaves in `ctx.log` what it asks to have
/// logged: its own records, or, for a write that succeeded and said
/// nothing, its request as it came.
pub fn run(ctx: &mut Ctx<'_>, cmd: &Command, args: &[Value]) -> Value {
    ctx.log.records.clear();
    ctx.log.skip = false;
    // Keyspace notifications: one load per write while they are off.
    let notify_flags = ctx.shared.pubsub.notify_flags();
    let before = (cmd.is_write() && notify_flags != 0).then(|| notify::before(ctx, cmd, args));
    if notify_flags & crate::config::notify::KEY_MISS != 0 {
        notify::keymiss(ctx, cmd, args);
    }
    stats::before_run(ctx, cmd, args);
    let reply = (cmd.handler)(ctx, args);
    stats::after_run(ctx, cmd, args, &reply);
    if ctx.session.tracking.is_some() && cmd.flags & table::flags::READONLY != 0 {
        tracking::remember(ctx, cmd, args);
    }
    if cmd.is_write() && !reply.is_error() && !ctx.log.skip {
        if ctx.log.records.is_empty() && ctx.shared.persist.tracks_writes() {
            ctx.log.push(ctx.session.db, args.to_vec());
        }
        touch_watched(ctx, cmd, args);
        if let Some(before) = before {
            notify::after(ctx, cmd, args, &reply, before);
        }
    }
    reply
}

/// Tells WATCHers that a write changed its keys (those its key spec names).
/// MOVE and COPY may write in another database: their keys are touched in
/// every one. Commands that change whole databases touch them themselves.
fn touch_watched(ctx: &Ctx<'_>, cmd: &Command, args: &[Value]) {
    let watches = &ctx.shared.watches;
    let blocked = &ctx.shared.blocked;
    let tracking = &ctx.shared.tracking;
    if !(watches.active() || blocked.active() || tracking.active()) || cmd.keys.0 <= 0 {
        return;
    }
    let (first, last, step) = cmd.keys;
    let last = if last < 0 {
        args.len() as i64 + last
    } else {
        last
    };
    let db = (!matches!(cmd.name, "move" | "copy")).then_some(ctx.session.db);
    let mut changed = Vec::new();
    let mut i = first;
    while i <= last && step > 0 {
        if let Some(k) = args.get(i as usize).and_then(|a| key(a).ok()) {
            watches.touch(db, &k);
            blocked.signal(db, &k);
            changed.push(k);
        }
        i += step;
    }
    if tracking.active() {
        let changed: Vec<&[u8]> = changed.iter().map(|k| k.as_ref()).collect();
        tracking.invalidate(&changed, Some(ctx.session.id));
    }
}

/// The words of a request: an array as it is, or a simple string split on
/// whitespace.
fn request_words(frame: Value) -> Result<Vec<Value>, Value> {
    let words = match frame {
        Value::Array(items) => items,
        Value::Simple(line) => line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .map(|w| Value::Bulk(line.slice_ref(w)))
            .collect(),
        other => {
            return Err(Value::error(format!(
                "ERR invalid request: expected an array or a simple string, got {}",
                other.type_name()
            )))
        }
    };
    if words.is_empty() {
        return Err(Value::error("ERR empty request"));
    }
    Ok(words)
}

/// Runs `f` with this worker's other tasks handed to another thread, so
/// that a long command (a script, a large free, a file read) cannot
/// strand them (the connections that must be told -BUSY, or send SCRIPT
/// KILL, among them). With a single worker
/// there is nowhere to hand them: they wait for the script.
pub fn off_worker<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// For a command already running that turned out to be long (a script,
/// from its instruction hook): hands this worker's other tasks to another
/// thread, as [`off_worker`] does, for the rest of the command. Returns
/// whether that is done (or there is nothing to hand over: a single
/// worker, or no runtime); false means it should be tried again later.
///
/// `block_in_place` gives the worker to a new thread only for the length
/// of its closure, and takes it back at the end unless that thread has
/// picked it up by then. So the closure waits for a probe spawned here,
/// which lands in this worker's own next-task slot, run only by the thread
/// holding the worker: once it has run, the worker is elsewhere for good
/// and this thread finishes the command on its own. The wait is short:
/// the probe may sit behind tasks blocked on the gate the script holds
/// (or this thread may hold no worker at all, so that the probe waits for
/// another), and the caller tries again later rather than stall. Scripts
/// call this rather than running every call inside `off_worker`, which
/// cost each short script a hand-over between threads.
pub fn leave_worker() -> bool {
    use tokio::runtime::{Handle, RuntimeFlavor};
    let Ok(handle) = Handle::try_current() else {
        return true;
    };
    if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
        return true;
    }
    let ran = std::sync::Arc::new((parking_lot::Mutex::new(false), parking_lot::Condvar::new()));
    let probe = std::sync::Arc::clone(&ran);
    handle.spawn(async move {
        *probe.0.lock() = true;
        probe.1.notify_one();
    });
    tokio::task::block_in_place(|| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(2);
        let mut done = ran.0.lock();
        while !*done {
            if ran.1.wait_until(&mut done, deadline).timed_out() {
                break;
            }
        }
        *done
    })
}

/// A dictionary reply to a Redis command, spelled as Redis spells it: a map
/// in RESP3, a flat array of key, value, key, value... otherwise. (Clients
/// such as redis-benchmark insist on the array in RESP2.)
pub fn reply_map(session: &Session, pairs: Vec<(Value, Value)>) -> Value {
    if session.resp3 {
        Value::Map(pairs)
    } else {
        Value::Array(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect())
    }
}

pub fn invalid_expire(name: &str) -> Value {
    Value::error(format!("ERR invalid expire time in '{name}' command"))
}

/// `-ERR wrong number of arguments for '<name>' command`
pub fn wrong_args(name: &str) -> Value {
    Value::error(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

/// Text of client-supplied bytes safe to quote in an error line, cut to `max`.
pub fn printable(bytes: &[u8], max: usize) -> String {
    let cut = &bytes[..bytes.len().min(max)];
    String::from_utf8_lossy(cut)
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_found_in_any_case_and_nothing_else() {
        for c in all() {
            let name = c.name.as_bytes();
            assert!(std::ptr::eq(lookup(name).expect("lower"), c));
            let upper = name.to_ascii_uppercase();
            assert!(std::ptr::eq(lookup(&upper).expect("upper"), c));
        }
        for missing in [&b""[..], b"gett", b"ge", b"get\0", b"g\xc3\xa9t", b"set_"] {
            assert!(lookup(missing).is_none(), "{missing:?}");
        }
        assert_eq!(lookup(b"GeT").map(|c| c.name), Some("get"));
    }
}
