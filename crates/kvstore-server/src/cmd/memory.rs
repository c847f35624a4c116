//! `MEMORY USAGE|STATS|DOCTOR|MALLOC-STATS|PURGE|HELP`.

use super::table::NONE;

use kvstore_protocol::Value;

use super::{is_word, key, reply_map, syntax_error, wrong_args, Command, Ctx};
use crate::tri;

pub static COMMANDS: &[Command] = &[Command::new("memory", -2, 0, 0, NONE, memory).doc(
    "server",
    "Reports how the server uses memory.",
    "subcommand [argument ...]",
)];

/// What `MEMORY USAGE` samples of a large container by default, as Redis.
const DEFAULT_SAMPLES: usize = 5;

const HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
];

pub fn memory(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let sub = &args[1];
    let rest = &args[2..];
    if is_word(sub, "USAGE") && !rest.is_empty() {
        usage(ctx, rest)
    } else if is_word(sub, "STATS") && rest.is_empty() {
        stats(ctx)
    } else if is_word(sub, "DOCTOR") && rest.is_empty() {
        Value::Bulk(doctor(ctx).into())
    } else if is_word(sub, "MALLOC-STATS") && rest.is_empty() {
        Value::Bulk("Stats not supported for the current allocator".into())
    } else if is_word(sub, "PURGE") && rest.is_empty() {
        crate::memory::purge();
        Value::ok()
    } else if is_word(sub, "HELP") && rest.is_empty() {
        Value::Array(HELP.iter().map(|l| Value::simple(l)).collect())
    } else if ["USAGE", "STATS", "DOCTOR", "MALLOC-STATS", "PURGE", "HELP"]
        .iter()
        .any(|w| is_word(sub, w))
    {
        let name = String::from_utf8_lossy(sub.as_bytes().unwrap_or_default()).to_lowercase();
        wrong_args(&format!("memory|{name}"))
    } else {
        Value::error(format!(
            "ERR unknown subcommand '{}'. Try MEMORY HELP.",
            super::printable(sub.as_bytes().unwrap_or(b"?"), 64)
        ))
    }
}

/// `MEMORY USAGE key [SAMPLES count]`: the bytes the key and its value
/// take (see `Db::memory_usage`), or null if there is no such key.
fn usage(ctx: &mut Ctx<'_>, rest: &[Value]) -> Value {
    let samples = match &rest[1..] {
        [] => DEFAULT_SAMPLES,
        [word, n] if is_word(word, "SAMPLES") => {
            match super::args::integer(n)
                .ok()
                .and_then(|n| usize::try_from(n).ok())
            {
                Some(n) => n,
                None => return syntax_error(),
            }
        }
        _ => return syntax_error(),
    };
    let k = tri!(key(&rest[0]));
    ctx.db()
        .memory_usage(&k, samples)
        .map_or(Value::Null, |n| Value::Integer(n as i64))
}

/// `MEMORY STATS`: the figures kvstore has, under Redis's names.
fn stats(ctx: &mut Ctx<'_>) -> Value {
    let m = crate::memory::info();
    let keyspace = &ctx.shared.keyspace;
    let keys: usize = (0..keyspace.databases())
        .map(|i| keyspace.db(i).len())
        .sum();
    let int = |n: usize| Value::Integer(n as i64);
    let mut pairs = vec![
        (Value::from("peak.allocated"), int(m.peak_used)),
        (Value::from("total.allocated"), int(m.used)),
        (
            Value::from("clients.normal"),
            int(ctx
                .shared
                .stats
                .connected_clients
                .load(std::sync::atomic::Ordering::Relaxed)),
        ),
    ];
    for i in 0..keyspace.databases() {
        let n = keyspace.db(i).len();
        if n > 0 {
            let db = vec![
                (Value::from("keys"), int(n)),
                (Value::from("expires"), int(keyspace.db(i).volatile())),
            ];
            pairs.push((Value::from(format!("db.{i}")), reply_map(ctx.session, db)));
        }
    }
    pairs.push((Value::from("keys.count"), int(keys)));
    pairs.push((Value::from("allocator.resident"), int(m.rss)));
    pairs.push((Value::from("rss.bytes"), int(m.rss)));
    pairs.push((Value::from("peak.rss"), int(m.peak_rss)));
    reply_map(ctx.session, pairs)
}

/// `MEMORY DOCTOR`: kvstore has no detector of its own; Redis's answer for
/// an instance with little data, and a plain report otherwise.
fn doctor(ctx: &mut Ctx<'_>) -> String {
    let m = crate::memory::info();
    if m.used < 5 << 20 {
        return "Hi Sam, this instance is empty or is using very little memory, my issues \
                detector can't be used in these conditions. Please, leave for your mission on \
                Earth and fill it with some data. The new Sam and I will be back to our \
                programming as soon as I finished rebooting."
            .to_string();
    }
    let _ = ctx;
    format!(
        "Sam, I have no memory problems to report: {} bytes allocated, {} resident, \
         peak {} allocated.",
        m.used, m.rss, m.peak_used
    )
}
