//! Access control: `AUTH`, the `ACL` family, and the check every request
//! passes before it runs (`refused`, called from `refused_in_state`).
//!
//! The user model is in `state::acl`; this file numbers the commands for
//! it (each table row, then each subcommand of [`SUBCOMMANDS`]) and knows
//! which words of a request are keys and channels.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use kvstore_protocol::Value;

use super::table::acl::CONNECTION;
use super::table::flags::*;
use super::table::NONE;
use super::{is_word, Command, Ctx};
use crate::state::acl::{self as model, Catalog, Denied, LogEntry, RuleError, User};

pub static COMMANDS: &[Command] = &[
    Command::new(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        CONNECTION,
        NONE,
        auth,
    )
    .doc(
        "connection",
        "Authenticates the connection.",
        "[username] password",
    ),
    // As in Redis, the container is only @slow: each subcommand has its
    // own categories (see SUBCOMMANDS).
    Command::new("acl", -2, NOSCRIPT | LOADING | STALE, 0, NONE, acl).doc(
        "server",
        "Manages users and their permissions.",
        "",
    ),
];

/// Redis 7's subcommands of the containers kvstore has, with their ACL
/// categories (`COMMAND INFO` of redis-server 7.0.15). A subcommand not
/// listed is checked as its container.
static SUBCOMMANDS: &[(&str, &str)] = &[
    ("object|help", "@keyspace @slow"),
    ("object|freq", "@keyspace @read @slow"),
    ("object|encoding", "@keyspace @read @slow"),
    ("object|idletime", "@keyspace @read @slow"),
    ("object|refcount", "@keyspace @read @slow"),
    ("config|help", "@slow"),
    ("config|set", "@admin @slow @dangerous"),
    ("config|rewrite", "@admin @slow @dangerous"),
    ("config|get", "@admin @slow @dangerous"),
    ("config|resetstat", "@admin @slow @dangerous"),
    ("client|tracking", "@slow @connection"),
    ("client|unpause", "@admin @slow @dangerous @connection"),
    ("client|kill", "@admin @slow @dangerous @connection"),
    ("client|unblock", "@admin @slow @dangerous @connection"),
    ("client|getname", "@slow @connection"),
    ("client|setname", "@slow @connection"),
    ("client|help", "@slow @connection"),
    ("client|getredir", "@slow @connection"),
    ("client|info", "@slow @connection"),
    ("client|list", "@admin @slow @dangerous @connection"),
    ("client|id", "@slow @connection"),
    ("client|reply", "@slow @connection"),
    ("client|pause", "@admin @slow @dangerous @connection"),
    ("client|caching", "@slow @connection"),
    ("client|trackinginfo", "@slow @connection"),
    ("client|no-evict", "@admin @slow @dangerous @connection"),
    ("client|no-touch", "@slow @connection"),
    ("client|setinfo", "@slow @connection"),
    ("command|help", "@slow @connection"),
    ("command|getkeysandflags", "@slow @connection"),
    ("command|info", "@slow @connection"),
    ("command|list", "@slow @connection"),
    ("command|count", "@slow @connection"),
    ("command|docs", "@slow @connection"),
    ("command|getkeys", "@slow @connection"),
    ("script|debug", "@slow @scripting"),
    ("script|flush", "@slow @scripting"),
    ("script|exists", "@slow @scripting"),
    ("script|help", "@slow @scripting"),
    ("script|kill", "@slow @scripting"),
    ("script|load", "@slow @scripting"),
    ("pubsub|numsub", "@pubsub @slow"),
    ("pubsub|numpat", "@pubsub @slow"),
    ("pubsub|channels", "@pubsub @slow"),
    ("pubsub|help", "@slow"),
    ("pubsub|shardchannels", "@pubsub @slow"),
    ("pubsub|shardnumsub", "@pubsub @slow"),
    ("function|help", "@slow @scripting"),
    ("function|delete", "@write @slow @scripting"),
    ("function|flush", "@write @slow @scripting"),
    ("function|list", "@slow @scripting"),
    ("function|kill", "@slow @scripting"),
    ("function|restore", "@write @slow @scripting"),
    ("function|dump", "@slow @scripting"),
    ("function|load", "@write @slow @scripting"),
    ("function|stats", "@slow @scripting"),
    ("slowlog|help", "@slow"),
    ("slowlog|len", "@admin @slow @dangerous"),
    ("slowlog|get", "@admin @slow @dangerous"),
    ("slowlog|reset", "@admin @slow @dangerous"),
    ("latency|help", "@slow"),
    ("latency|doctor", "@admin @slow @dangerous"),
    ("latency|reset", "@admin @slow @dangerous"),
    ("latency|history", "@admin @slow @dangerous"),
    ("latency|graph", "@admin @slow @dangerous"),
    ("latency|histogram", "@admin @slow @dangerous"),
    ("latency|latest", "@admin @slow @dangerous"),
    ("memory|doctor", "@slow"),
    ("memory|purge", "@slow"),
    ("memory|help", "@slow"),
    ("memory|stats", "@slow"),
    ("memory|usage", "@read @slow"),
    ("memory|malloc-stats", "@slow"),
    ("acl|setuser", "@admin @slow @dangerous"),
    ("acl|save", "@admin @slow @dangerous"),
    ("acl|getuser", "@admin @slow @dangerous"),
    ("acl|load", "@admin @slow @dangerous"),
    ("acl|deluser", "@admin @slow @dangerous"),
    ("acl|cat", "@slow"),
    ("acl|dryrun", "@admin @slow @dangerous"),
    ("acl|help", "@slow"),
    ("acl|log", "@admin @slow @dangerous"),
    ("acl|list", "@admin @slow @dangerous"),
    ("acl|users", "@admin @slow @dangerous"),
    ("acl|genpass", "@slow"),
    ("acl|whoami", "@slow"),
];

/// Redis 7's categories, in `ACL CAT`'s order.
const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The command ids the model works with, built once from the table.
struct Ids {
    by_name: HashMap<String, usize>,
    /// Each id's name (`get`, `config|get`), for `ACL CAT` and the log.
    names: Vec<String>,
    subs: HashMap<usize, Vec<usize>>,
    categories: HashMap<&'static str, Vec<usize>>,
}

static IDS: LazyLock<Ids> = LazyLock::new(|| {
    let mut ids = Ids {
        by_name: HashMap::new(),
        names: Vec::new(),
        subs: HashMap::new(),
        categories: CATEGORIES.iter().map(|c| (*c, Vec::new())).collect(),
    };
    let rows: Vec<&Command> = super::all().collect();
    for c in &rows {
        let id = super::stats::index_of(c);
        if ids.names.len() <= id {
            ids.names.resize(id + 1, String::new());
        }
        ids.names[id] = c.name.to_string();
        ids.by_name.insert(c.name.to_string(), id);
    }
    let base = ids.names.len();
    for (i, (name, _)) in SUBCOMMANDS.iter().enumerate() {
        let Some((parent, _)) = name.split_once('|') else {
            continue;
        };
        let Some(&pid) = ids.by_name.get(parent) else {
            continue;
        };
        let id = base + i;
        ids.by_name.insert(name.to_string(), id);
        ids.subs.entry(pid).or_default().push(id);
    }
    ids.names
        .extend(SUBCOMMANDS.iter().map(|(n, _)| n.to_string()));
    for c in &rows {
        let id = super::stats::index_of(c);
        // A container is only @slow in Redis (COMMAND also @connection);
        // its subcommands carry the real categories.
        if ids.subs.contains_key(&id) {
            ids.categories.entry("slow").or_default().push(id);
            if c.name == "command" {
                ids.categories.entry("connection").or_default().push(id);
            }
            continue;
        }
        for cat in c.categories() {
            if let Some(v) = ids.categories.get_mut(&cat[1..]) {
                v.push(id);
            }
        }
    }
    for (i, (_, cats)) in SUBCOMMANDS.iter().enumerate() {
        for cat in cats.split(' ') {
            if let Some(v) = ids.categories.get_mut(&cat[1..]) {
                v.push(base + i);
            }
        }
    }
    ids
});

/// The command table as the user model sees it.
pub struct TableCatalog;

impl Catalog for TableCatalog {
    fn id(&self, name: &str) -> Option<usize> {
        IDS.by_name.get(name).copied()
    }

    fn subcommands(&self, id: usize) -> Vec<usize> {
        IDS.subs.get(&id).cloned().unwrap_or_default()
    }

    fn category(&self, name: &str) -> Option<Vec<usize>> {
        IDS.categories.get(name).cloned()
    }

    fn foreign(&self, name: &str) -> bool {
        let top = name.split_once('|').map_or(name, |(c, _)| c);
        REDIS_ONLY.contains(&top)
    }
}

/// Redis 7.0's commands that kvstore does not have (redis-server 7.0.15's
/// `COMMAND LIST`), which ACL rules may name.
static REDIS_ONLY: &[&str] = &[
    "asking",
    "bitcount",
    "bitfield",
    "bitfield_ro",
    "bitop",
    "bitpos",
    "cluster",
    "failover",
    "geoadd",
    "geodist",
    "geohash",
    "geopos",
    "georadius",
    "georadius_ro",
    "georadiusbymember",
    "georadiusbymember_ro",
    "geosearch",
    "geosearchstore",
    "getbit",
    "lolwut",
    "migrate",
    "module",
    "pfadd",
    "pfcount",
    "pfdebug",
    "pfmerge",
    "pfselftest",
    "psync",
    "readonly",
    "readwrite",
    "replconf",
    "replicaof",
    "restore-asking",
    "setbit",
    "slaveof",
    "sync",
    "wait",
    "xack",
    "xadd",
    "xautoclaim",
    "xclaim",
    "xdel",
    "xgroup",
    "xinfo",
    "xlen",
    "xpending",
    "xrange",
    "xread",
    "xreadgroup",
    "xrevrange",
    "xsetid",
    "xtrim",
];

/// The subcommands of the container `name` that kvstore checks apart, as
/// `COMMAND LIST` names them (`config|get`).
pub fn subcommand_names(name: &str) -> impl Iterator<Item = &'static str> + '_ {
    SUBCOMMANDS
        .iter()
        .map(|(n, _)| *n)
        .filter(move |n| n.split_once('|').is_some_and(|(c, _)| c == name))
}

/// The id a request is checked under: its subcommand's, for a container.
/// A subcommand not in [`SUBCOMMANDS`] is checked as the container, so
/// that one added later is never left open: a user with `+@all` (or
/// `+config`) reaches the handler, which answers an unknown one as Redis.
fn id_of(cmd: &Command, args: &[Value]) -> usize {
    let id = super::stats::index_of(cmd);
    if IDS.subs.contains_key(&id) {
        if let Some(sub) = args.get(1).and_then(Value::as_bytes) {
            let full = format!(
                "{}|{}",
                cmd.name,
                String::from_utf8_lossy(sub).to_ascii_lowercase()
            );
            if let Some(&sid) = IDS.by_name.get(&full) {
                return sid;
            }
        }
    }
    id
}

/// The name Redis gives a request in errors and the log: `get`, or
/// `config|get` for a known subcommand.
fn full_name(cmd: &Command, args: &[Value]) -> String {
    let id = id_of(cmd, args);
    IDS.names
        .get(id)
        .cloned()
        .unwrap_or_else(|| cmd.name.to_string())
}

/// What each command does with its keys, one word per key spec of
/// redis-server 7.0.15 (`COMMAND INFO`): `r` reads what the client gets
/// back (Redis's `access` flag), `w` changes the key (`insert`, `delete`,
/// `update`), `-` neither (`EXISTS`, `TYPE`: any pattern matching the key
/// grants it). The nth key of a request takes the nth spec, the last one
/// for the rest.
static KEY_ACCESS: &[(&str, &str)] = &[
    ("get", "r"),
    ("set", "rw"),
    ("mget", "r"),
    ("mset", "w"),
    ("msetnx", "w"),
    ("setnx", "w"),
    ("setex", "w"),
    ("psetex", "w"),
    ("getset", "rw"),
    ("getex", "rw"),
    ("getdel", "rw"),
    ("strlen", "-"),
    ("append", "w"),
    ("getrange", "r"),
    ("substr", "r"),
    ("setrange", "w"),
    ("incr", "rw"),
    ("decr", "rw"),
    ("incrby", "rw"),
    ("decrby", "rw"),
    ("incrbyfloat", "rw"),
    ("lcs", "r"),
    ("del", "w"),
    ("unlink", "w"),
    ("exists", "-"),
    ("touch", "-"),
    ("type", "-"),
    ("rename", "rw w"),
    ("renamenx", "rw w"),
    ("copy", "r w"),
    ("move", "rw"),
    ("object|freq", "-"),
    ("object|encoding", "-"),
    ("object|idletime", "-"),
    ("object|refcount", "-"),
    ("expire", "w"),
    ("pexpire", "w"),
    ("expireat", "w"),
    ("pexpireat", "w"),
    ("persist", "w"),
    ("ttl", "r"),
    ("pttl", "r"),
    ("expiretime", "r"),
    ("pexpiretime", "r"),
    ("lpush", "w"),
    ("rpush", "w"),
    ("lpushx", "w"),
    ("rpushx", "w"),
    ("lpop", "rw"),
    ("rpop", "rw"),
    ("llen", "-"),
    ("lrange", "r"),
    ("lindex", "r"),
    ("lset", "w"),
    ("linsert", "w"),
    ("lrem", "w"),
    ("ltrim", "w"),
    ("lpos", "r"),
    ("lmove", "rw w"),
    ("rpoplpush", "rw w"),
    ("lmpop", "rw"),
    ("blpop", "rw"),
    ("brpop", "rw"),
    ("blmove", "rw w"),
    ("brpoplpush", "rw w"),
    ("blmpop", "rw"),
    ("hset", "w"),
    ("hsetnx", "w"),
    ("hmset", "w"),
    ("hget", "r"),
    ("hmget", "r"),
    ("hdel", "w"),
    ("hlen", "-"),
    ("hstrlen", "-"),
    ("hexists", "-"),
    ("hkeys", "r"),
    ("hvals", "r"),
    ("hgetall", "r"),
    ("hincrby", "rw"),
    ("hincrbyfloat", "rw"),
    ("hrandfield", "r"),
    ("hscan", "r"),
    ("sadd", "w"),
    ("srem", "w"),
    ("sismember", "-"),
    ("smismember", "r"),
    ("smembers", "r"),
    ("scard", "-"),
    ("spop", "rw"),
    ("srandmember", "r"),
    ("smove", "rw w"),
    ("sinter", "r"),
    ("sintercard", "r"),
    ("sinterstore", "w r"),
    ("sunion", "r"),
    ("sunionstore", "w r"),
    ("sdiff", "r"),
    ("sdiffstore", "w r"),
    ("sscan", "r"),
    ("zadd", "w"),
    ("zincrby", "rw"),
    ("zrem", "w"),
    ("zcard", "-"),
    ("zscore", "r"),
    ("zmscore", "r"),
    ("zrank", "r"),
    ("zrevrank", "r"),
    ("zcount", "r"),
    ("zrange", "r"),
    ("zrevrange", "r"),
    ("zrangebyscore", "r"),
    ("zrevrangebyscore", "r"),
    ("zrangebylex", "r"),
    ("zrevrangebylex", "r"),
    ("zlexcount", "r"),
    ("zrangestore", "w r"),
    ("zpopmin", "rw"),
    ("zpopmax", "rw"),
    ("zremrangebyrank", "w"),
    ("zremrangebyscore", "w"),
    ("zremrangebylex", "w"),
    ("zrandmember", "r"),
    ("zmpop", "rw"),
    ("bzpopmin", "rw"),
    ("bzpopmax", "rw"),
    ("bzmpop", "rw"),
    ("zscan", "r"),
    ("zunion", "r"),
    ("zinter", "r"),
    ("zdiff", "r"),
    ("zunionstore", "w r"),
    ("zinterstore", "w r"),
    ("zdiffstore", "w r"),
    ("zintercard", "r"),
    ("sort", "r r w"),
    ("sort_ro", "r r"),
    ("dump", "r"),
    ("restore", "w"),
    ("watch", "-"),
    ("eval", "rw"),
    ("evalsha", "rw"),
    ("eval_ro", "r"),
    ("evalsha_ro", "r"),
    ("ssubscribe", "-"),
    ("sunsubscribe", "-"),
    ("spublish", "-"),
    ("fcall", "rw"),
    ("fcall_ro", "r"),
    ("memory|usage", "-"),
];

/// [`KEY_ACCESS`] by command id: (read, write) per key spec.
static KEY_ACCESS_BY_ID: LazyLock<HashMap<usize, Vec<(bool, bool)>>> = LazyLock::new(|| {
    KEY_ACCESS
        .iter()
        .filter_map(|(name, specs)| {
            let specs = specs
                .split(' ')
                .map(|w| (w.contains('r'), w.contains('w')))
                .collect();
            Some((IDS.by_name.get(*name).copied()?, specs))
        })
        .collect()
});

/// The read and write permission a request (checked as command `id`)
/// needs on its `nth` key.
fn access(cmd: &Command, args: &[Value], id: usize, nth: usize) -> (bool, bool) {
    // SET reads its key only when GET asks for the old value.
    if cmd.name == "set" {
        return (args.iter().skip(3).any(|a| is_word(a, "GET")), true);
    }
    let Some(specs) = KEY_ACCESS_BY_ID.get(&id) else {
        // kvstore's own commands: reads read, writes write.
        return (!cmd.is_write(), cmd.is_write());
    };
    // SORT's middle spec is BY and GET patterns, which are not keys here:
    // its keys are the sorted one and the STORE destination.
    let spec = if cmd.name == "sort" && nth > 0 {
        specs.last()
    } else {
        specs.get(nth).or(specs.last())
    };
    spec.copied().unwrap_or((true, true))
}

/// The channels a request names, and whether they are patterns.
fn channels(cmd: &Command, args: &[Value]) -> Option<(std::ops::Range<usize>, bool)> {
    match cmd.name {
        "subscribe" | "ssubscribe" => Some((1..args.len(), false)),
        "psubscribe" => Some((1..args.len(), true)),
        "publish" | "spublish" => Some((1..2.min(args.len()), false)),
        _ => None,
    }
}

/// Whether `user` may run this request: the command, then its keys, then
/// its channels, as Redis checks them.
pub fn check(user: &User, cmd: &Command, args: &[Value]) -> Result<(), Denied> {
    if cmd.flags & NO_AUTH != 0 {
        return Ok(());
    }
    let first = args.get(1).and_then(Value::as_bytes);
    let id = id_of(cmd, args);
    if !user.may_run(id, first) {
        return Err(Denied::Command);
    }
    // key_positions answers an error at once for a command without keys.
    if !user.allkeys {
        if let Ok(positions) = super::keyspec::key_positions(cmd, args) {
            for (nth, i) in positions.into_iter().enumerate() {
                let (read, write) = access(cmd, args, id, nth);
                let key = args.get(i).and_then(Value::as_bytes).unwrap_or_default();
                if !user.may_access(key, read, write) {
                    return Err(Denied::Key(i));
                }
            }
        }
    }
    if !user.allchannels {
        if let Some((range, literal)) = channels(cmd, args) {
            for i in range {
                let ch = args[i].as_bytes().unwrap_or_default();
                if !user.may_use_channel(ch, literal) {
                    return Err(Denied::Channel(i));
                }
            }
        }
    }
    Ok(())
}

/// The admission check: `-NOAUTH` before logging in, `-NOPERM` for what
/// the user may not do (logged in `ACL LOG`). Nothing at all for a
/// connection whose user may do everything.
pub fn refused(ctx: &Ctx<'_>, cmd: &Command, args: &[Value]) -> Option<Value> {
    let s = &*ctx.session;
    if s.acl_fast || s.acl_exempt {
        return None;
    }
    if !s.authenticated && !ctx.shared.acl.default_open() && cmd.flags & NO_AUTH == 0 {
        return Some(Value::error("NOAUTH Authentication required."));
    }
    let denied = check(&s.user, cmd, args).err()?;
    let context = if s.multi.is_some() {
        "multi"
    } else {
        "toplevel"
    };
    log_denial(ctx, cmd, args, denied, context);
    Some(noperm(cmd, args, denied))
}

/// `-NOPERM`, Redis's words for each kind of refusal.
fn noperm(cmd: &Command, args: &[Value], denied: Denied) -> Value {
    match denied {
        Denied::Command => Value::error(format!(
            "NOPERM this user has no permissions to run the '{}' command",
            full_name(cmd, args)
        )),
        Denied::Key(_) => Value::error(
            "NOPERM this user has no permissions to access one of the keys used as arguments",
        ),
        Denied::Channel(_) => Value::error(
            "NOPERM this user has no permissions to access one of the channels used as arguments",
        ),
    }
}

/// `redis.call` of something the script's user may not run: Redis's
/// script wording, and the same `ACL LOG` entry with context `lua`.
pub fn script_refusal(ctx: &Ctx<'_>, cmd: &Command, args: &[Value]) -> Option<Value> {
    if ctx.session.acl_fast || ctx.session.acl_exempt {
        return None;
    }
    let denied = check(&ctx.session.user, cmd, args).err()?;
    log_denial(ctx, cmd, args, denied, "lua");
    Some(Value::error(match denied {
        Denied::Command => "ERR The user executing the script can't run this command or subcommand",
        Denied::Key(_) => "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments",
        Denied::Channel(_) => "ERR The user executing the script can't publish to the channel mentioned in the command",
    }))
}

/// A queued command EXEC may no longer run, with Redis's words.
pub fn exec_refusal(ctx: &Ctx<'_>, cmd: &Command, args: &[Value]) -> Option<Value> {
    if ctx.session.acl_fast || ctx.session.acl_exempt {
        return None;
    }
    let denied = check(&ctx.session.user, cmd, args).err()?;
    log_denial(ctx, cmd, args, denied, "multi");
    let why = match denied {
        Denied::Command => "no permission to execute the command or subcommand",
        Denied::Key(_) => "no permission to touch the specified keys",
        Denied::Channel(_) => "no permission to access one of the channels used as arguments",
    };
    Some(Value::error(format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the \
         EXEC call. This command is no longer allowed for the following reason: {why}"
    )))
}

/// `redis.acl_check_cmd`: whether this connection's user may run `words`.
pub fn may_run(ctx: &Ctx<'_>, cmd: &Command, words: &[Value]) -> bool {
    ctx.session.acl_fast || ctx.session.acl_exempt || check(&ctx.session.user, cmd, words).is_ok()
}

fn log_denial(ctx: &Ctx<'_>, cmd: &Command, args: &[Value], denied: Denied, context: &'static str) {
    let word = |i: usize| {
        String::from_utf8_lossy(args.get(i).and_then(Value::as_bytes).unwrap_or_default())
            .into_owned()
    };
    let (reason, object) = match denied {
        Denied::Command => ("command", full_name(cmd, args)),
        Denied::Key(i) => ("key", word(i)),
        Denied::Channel(i) => ("channel", word(i)),
    };
    let entry = LogEntry {
        count: 1,
        reason,
        context,
        object,
        username: ctx.session.user.name.clone(),
        created: Instant::now(),
        client_info: client_info(ctx, cmd.name),
    };
    ctx.shared.acl.log_denial(entry);
}

fn client_info(ctx: &Ctx<'_>, current: &'static str) -> String {
    let mut out = String::new();
    super::client::describe(ctx, &ctx.session.info, current, &mut out);
    out.trim_end().to_string()
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Logs the connection in as `user` with `password`, or answers
/// `-WRONGPASS` (and logs the failure).
pub fn authenticate(ctx: &mut Ctx<'_>, user: &[u8], password: &[u8]) -> Result<(), Value> {
    let name = String::from_utf8_lossy(user).into_owned();
    let acl = &ctx.shared.acl;
    match acl.get(&name) {
        Some(u) if u.accepts(password) => {
            ctx.session.log_in(u, acl);
            Ok(())
        }
        _ => {
            acl.log_denial(LogEntry {
                count: 1,
                reason: "auth",
                context: if ctx.session.multi.is_some() {
                    "multi"
                } else {
                    "toplevel"
                },
                object: "AUTH".to_string(),
                username: name,
                created: Instant::now(),
                client_info: client_info(ctx, "auth"),
            });
            Err(Value::error(WRONGPASS))
        }
    }
}

/// `AUTH [username] password`.
pub fn auth(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let word = |i: usize| args[i].as_bytes().unwrap_or_default();
    let (user, pass): (&[u8], &[u8]) = match args.len() {
        2 => {
            // Redis looks only at `nopass` here, on or off.
            if ctx.shared.acl.default_user().nopass {
                return Value::error(
                    "ERR AUTH <password> called without any password configured for the \
                     default user. Are you sure your configuration is correct?",
                );
            }
            (b"default", word(1))
        }
        3 => (word(1), word(2)),
        _ => return super::syntax_error(),
    };
    match authenticate(ctx, user, pass) {
        Ok(()) => Value::ok(),
        Err(e) => e,
    }
}

/// `ACL <subcommand> ...`.
pub fn acl(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let sub = String::from_utf8_lossy(args[1].as_bytes().unwrap_or_default()).to_ascii_uppercase();
    let rest = &args[2..];
    let text = |v: &Value| String::from_utf8_lossy(v.as_bytes().unwrap_or_default()).into_owned();
    let arity_ok = match sub.as_str() {
        "SETUSER" => !rest.is_empty(),
        "GETUSER" => rest.len() == 1,
        "DELUSER" => !rest.is_empty(),
        "LIST" | "USERS" | "WHOAMI" | "SAVE" | "LOAD" | "HELP" => rest.is_empty(),
        "CAT" | "GENPASS" | "LOG" => rest.len() <= 1,
        "DRYRUN" => rest.len() >= 2,
        _ => {
            return Value::error(format!(
                "ERR unknown subcommand '{}'. Try ACL HELP.",
                super::printable(args[1].as_bytes().unwrap_or_default(), 128)
            ))
        }
    };
    if !arity_ok {
        // These three take any number of words by Redis's table, and
        // their handler refuses the rest in its own words.
        if matches!(sub.as_str(), "CAT" | "GENPASS" | "LOG") {
            return Value::error(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
                super::printable(args[1].as_bytes().unwrap_or_default(), 128)
            ));
        }
        return super::wrong_args(&format!("acl|{}", sub.to_ascii_lowercase()));
    }
    let acl = &ctx.shared.acl;
    match sub.as_str() {
        "SETUSER" => {
            let name = text(&rest[0]);
            // Rules go as bytes: passwords and patterns need not be text.
            let rules: Vec<&[u8]> = rest[1..]
                .iter()
                .map(|r| r.as_bytes().unwrap_or_default())
                .collect();
            match acl.set_user(&name, &rules, &TableCatalog) {
                Ok(()) => {
                    drop_lost_subscribers(ctx, &name);
                    Value::ok()
                }
                Err((i, e)) => setuser_error(&text(&rest[1 + i]), &e),
            }
        }
        "GETUSER" => match acl.get(&text(&rest[0])) {
            None => Value::Null,
            Some(u) => getuser(ctx, &u),
        },
        "DELUSER" => {
            let names: Vec<String> = rest.iter().map(text).collect();
            if names.iter().any(|n| n == "default") {
                return Value::error("ERR The 'default' user cannot be removed");
            }
            let n = acl.delete(&names);
            disconnect_users(ctx, &names);
            Value::Integer(n as i64)
        }
        "LIST" => Value::Array(
            acl.all()
                .iter()
                .map(|u| Value::bulk(format!("user {} {}", u.name, u.describe())))
                .collect(),
        ),
        "USERS" => Value::Array(acl.names().into_iter().map(Value::bulk).collect()),
        "WHOAMI" => Value::bulk(ctx.session.user.name.clone()),
        "CAT" => cat(rest.first().map(text)),
        "GENPASS" => genpass(rest.first()),
        "LOG" => log(ctx, rest.first()),
        "DRYRUN" => dryrun(ctx, rest),
        "SAVE" => save(ctx),
        "LOAD" => load(ctx),
        _ => Value::Array(HELP.iter().map(|l| Value::simple(l)).collect()),
    }
}

fn setuser_error(rule: &str, e: &RuleError) -> Value {
    Value::error(format!(
        "ERR Error in ACL SETUSER modifier '{}': {e}",
        super::printable(rule.as_bytes(), 128)
    ))
}

fn getuser(ctx: &Ctx<'_>, u: &User) -> Value {
    let mut flags = vec![Value::bulk(if u.enabled { "on" } else { "off" })];
    if u.nopass {
        flags.push(Value::bulk("nopass"));
    }
    match u.sanitize {
        Some(true) => flags.push(Value::bulk("sanitize-payload")),
        Some(false) => flags.push(Value::bulk("skip-sanitize-payload")),
        None => {}
    }
    super::reply_map(
        ctx.session,
        vec![
            (Value::bulk("flags"), Value::Array(flags)),
            (
                Value::bulk("passwords"),
                Value::Array(u.password_hashes().into_iter().map(Value::bulk).collect()),
            ),
            (Value::bulk("commands"), Value::bulk(u.commands_text())),
            (Value::bulk("keys"), Value::bulk(u.keys_text())),
            (Value::bulk("channels"), Value::bulk(u.channels_text())),
            (Value::bulk("selectors"), Value::Array(Vec::new())),
        ],
    )
}

/// Closes the connections logged in as any of `names`, as Redis does
/// when their user is deleted (the current one after its reply).
fn disconnect_users(ctx: &mut Ctx<'_>, names: &[String]) {
    for c in ctx.shared.clients.live() {
        let user = c.shown.lock().user.clone();
        let Some(user) = user else { continue };
        if names.iter().any(|n| **n == *user) {
            if c.id == ctx.session.id {
                ctx.session.quit = true;
            } else {
                c.kill.kill();
            }
        }
    }
}

/// The names in a category (`read`), commands and subcommands, in the
/// order `ACL CAT` lists them; `None` for no such category.
pub fn category_members(name: &str) -> Option<Vec<String>> {
    let ids = IDS.categories.get(name)?;
    Some(
        ids.iter()
            .filter_map(|&id| IDS.names.get(id).cloned())
            .collect(),
    )
}

/// A row's categories as `COMMAND INFO` shows them: a container's are
/// Redis's for the container (its subcommands carry the real ones).
pub fn categories_of(cmd: &Command) -> Vec<&'static str> {
    if IDS.subs.contains_key(&super::stats::index_of(cmd)) {
        if cmd.name == "command" {
            return vec!["@slow", "@connection"];
        }
        return vec!["@slow"];
    }
    cmd.categories()
}

/// Closes the connections of `name` subscribed to a channel or pattern
/// the user may no longer use, as Redis does after `ACL SETUSER`.
fn drop_lost_subscribers(ctx: &mut Ctx<'_>, name: &str) {
    let Some(user) = ctx.shared.acl.get(name) else {
        return;
    };
    if user.allchannels {
        return;
    }
    for c in ctx.shared.clients.live() {
        let (mine, subs) = {
            let shown = c.shown.lock();
            (
                shown.user.as_deref().unwrap_or("default") == name,
                shown.subs,
            )
        };
        if !mine || subs == (0, 0, 0) {
            continue;
        }
        let lost = ctx
            .shared
            .pubsub
            .subscriptions_of(c.id)
            .iter()
            .any(|(pattern, ch)| !user.may_use_channel(ch, *pattern));
        if lost {
            if c.id == ctx.session.id {
                ctx.session.quit = true;
            } else {
                c.kill.kill();
            }
        }
    }
}

fn cat(which: Option<String>) -> Value {
    let Some(name) = which else {
        return Value::Array(CATEGORIES.iter().map(|c| Value::bulk(*c)).collect());
    };
    let lower = name.to_ascii_lowercase();
    let Some(names) = category_members(&lower) else {
        return Value::error(format!(
            "ERR Unknown category '{}'",
            super::printable(name.as_bytes(), 128)
        ));
    };
    Value::Array(names.into_iter().map(Value::bulk).collect())
}

/// `ACL GENPASS [bits]`: random hex from the system's generator, 256
/// bits by default.
fn genpass(bits: Option<&Value>) -> Value {
    let bits = match bits {
        None => 256,
        Some(v) => match super::integer(v) {
            Ok(n) if (1..=4096).contains(&n) => n as usize,
            _ => {
                return Value::error(
                    "ERR ACL GENPASS argument must be the number of bits for the output \
                     password, a positive number up to 4096",
                )
            }
        },
    };
    let chars = bits.div_ceil(4);
    let mut raw = vec![0u8; chars.div_ceil(2)];
    if getrandom::getrandom(&mut raw).is_err() {
        return Value::error("ERR Unable to generate random password");
    }
    let mut hex = String::with_capacity(raw.len() * 2);
    for b in &raw {
        hex.push_str(&format!("{b:02x}"));
    }
    hex.truncate(chars);
    Value::bulk(hex)
}

/// `ACL LOG [count | RESET]`.
fn log(ctx: &mut Ctx<'_>, arg: Option<&Value>) -> Value {
    let acl = &ctx.shared.acl;
    let count = match arg {
        None => 10,
        Some(v) if is_word(v, "RESET") => {
            acl.log_reset();
            return Value::ok();
        }
        // A negative count lists nothing, as in Redis.
        Some(v) => match super::integer(v) {
            Ok(n) => n.max(0) as usize,
            Err(_) => return Value::error("ERR value is not an integer or out of range"),
        },
    };
    let now = Instant::now();
    let entries = acl
        .log_entries(count)
        .into_iter()
        .map(|e| {
            let age = now.saturating_duration_since(e.created).as_secs_f64();
            super::reply_map(
                ctx.session,
                vec![
                    (Value::bulk("count"), Value::Integer(e.count as i64)),
                    (Value::bulk("reason"), Value::bulk(e.reason)),
                    (Value::bulk("context"), Value::bulk(e.context)),
                    (Value::bulk("object"), Value::bulk(e.object)),
                    (Value::bulk("username"), Value::bulk(e.username)),
                    (Value::bulk("age-seconds"), Value::Double(age)),
                    (Value::bulk("client-info"), Value::bulk(e.client_info)),
                ],
            )
        })
        .collect();
    Value::Array(entries)
}

/// `ACL DRYRUN user command [arg ...]`: whether the user could run it.
fn dryrun(ctx: &mut Ctx<'_>, rest: &[Value]) -> Value {
    let name = String::from_utf8_lossy(rest[0].as_bytes().unwrap_or_default()).into_owned();
    let Some(user) = ctx.shared.acl.get(&name) else {
        return Value::error(format!(
            "ERR User '{}' not found",
            super::printable(name.as_bytes(), 128)
        ));
    };
    let words = &rest[1..];
    let cname = words[0].as_bytes().unwrap_or_default();
    let Some(cmd) = super::lookup(cname) else {
        return Value::error(format!(
            "ERR Command '{}' not found",
            super::printable(cname, 128)
        ));
    };
    let n = words.len() as i32;
    if (cmd.arity > 0 && n != cmd.arity) || (cmd.arity < 0 && n < -cmd.arity) {
        return super::wrong_args(cmd.name);
    }
    match check(&user, cmd, words) {
        Ok(()) => Value::ok(),
        Err(Denied::Command) => Value::bulk(format!(
            "This user has no permissions to run the '{}' command",
            full_name(cmd, words)
        )),
        Err(Denied::Key(i)) => Value::bulk(format!(
            "This user has no permissions to access the '{}' key",
            String::from_utf8_lossy(words[i].as_bytes().unwrap_or_default())
        )),
        Err(Denied::Channel(i)) => Value::bulk(format!(
            "This user has no permissions to access the '{}' channel",
            String::from_utf8_lossy(words[i].as_bytes().unwrap_or_default())
        )),
    }
}

const NO_ACLFILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may \
    want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming \
    you have a Redis configuration file set) in order to store users in the Redis configuration.";

fn aclfile(ctx: &Ctx<'_>) -> Option<String> {
    Some(ctx.shared.config.read().aclfile.clone()).filter(|f| !f.is_empty())
}

/// `ACL SAVE`: every user into the acl file, replaced atomically.
fn save(ctx: &mut Ctx<'_>) -> Value {
    let Some(path) = aclfile(ctx) else {
        return Value::error(NO_ACLFILE);
    };
    let text = model::file_text(&ctx.shared.acl.all());
    match super::off_worker(|| write_atomically(&path, text.as_bytes())) {
        Ok(()) => Value::ok(),
        Err(e) => {
            tracing::warn!("Error saving ACLs: {e}");
            Value::error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
        }
    }
}

/// Writes `path` by way of a temporary file beside it, synced, then
/// renamed over it, so that a crash leaves the old file or the new one.
fn write_atomically(path: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let target = std::path::Path::new(path);
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, target)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Reads and checks an acl file: its users, or Redis's message naming
/// the file and the bad line.
pub fn read_file(path: &str) -> Result<std::collections::BTreeMap<String, Arc<User>>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("Error loading ACLs, opening file '{path}': {e}"))?;
    model::parse_file(&text, &TableCatalog).map_err(|(line, why)| format!("{path}:{line}: {why}"))
}

/// `ACL LOAD`: the file's users replace all of them, or nothing changes.
/// Connections logged in as any user but `default` are closed, as Redis
/// does.
fn load(ctx: &mut Ctx<'_>) -> Value {
    let Some(path) = aclfile(ctx) else {
        return Value::error(NO_ACLFILE);
    };
    let users = match super::off_worker(|| read_file(&path)) {
        Ok(u) => u,
        Err(e) => {
            return Value::error(format!(
                "ERR {e}. WARNING: ACL errors detected, no change to the previously active ACL \
                 rules was performed"
            ))
        }
    };
    // As Redis, every user but the default one is made afresh, and the
    // connections of the old ones are closed.
    let gone: Vec<String> = ctx
        .shared
        .acl
        .names()
        .into_iter()
        .filter(|n| n != "default")
        .collect();
    ctx.shared.acl.replace(users);
    disconnect_users(ctx, &gone);
    Value::ok()
}

/// At start-up: `requirepass`, then the acl file's users. A bad file
/// stops the server, with the file and line in the message.
pub fn start(shared: &crate::state::Shared) -> Result<(), String> {
    let (pass, file, logmax) = {
        let c = shared.config.read();
        (c.requirepass.clone(), c.aclfile.clone(), c.acllog_max_len)
    };
    shared.acl.log_max.store(logmax, Ordering::Relaxed);
    if !pass.is_empty() {
        shared.acl.set_requirepass(&pass, &TableCatalog);
    }
    if !file.is_empty() {
        let users = read_file(&file)?;
        shared.acl.replace(users);
    }
    Ok(())
}

/// Redis's idea of a local client: one from 127.0.0.1 or ::1 exactly
/// (not the rest of 127/8).
pub fn is_local(peer: std::net::SocketAddr) -> bool {
    match peer.ip() {
        std::net::IpAddr::V4(ip) => ip == std::net::Ipv4Addr::LOCALHOST,
        std::net::IpAddr::V6(ip) => {
            ip == std::net::Ipv6Addr::LOCALHOST
                || ip.to_ipv4_mapped() == Some(std::net::Ipv4Addr::LOCALHOST)
        }
    }
}

/// `CONFIG SET requirepass`.
pub fn requirepass_changed(shared: &crate::state::Shared, password: &str) {
    shared.acl.set_requirepass(password, &TableCatalog);
}

const HELP: &[&str] = &[
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_fits_and_every_category_is_known() {
        assert!(IDS.names.len() <= model::ID_CAPACITY);
        for (name, cats) in SUBCOMMANDS {
            assert!(name.contains('|'));
            for c in cats.split(' ') {
                assert!(CATEGORIES.contains(&&c[1..]), "{name}: {c}");
            }
        }
        assert!(TableCatalog.id("config|get").is_some());
        assert!(TableCatalog.category("read").is_some_and(|v| !v.is_empty()));
        // Every recorded key spec names a command or subcommand kvstore has.
        assert_eq!(KEY_ACCESS_BY_ID.len(), KEY_ACCESS.len());
    }
}
