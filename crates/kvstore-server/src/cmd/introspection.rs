//! `SLOWLOG`, `LATENCY` and `MONITOR`: what the server saw of the
//! commands it ran (the records themselves are kept in `state::intro`,
//! filled by `cmd::stats`).

use std::sync::Arc;

use bytes::Bytes;
use kvstore_protocol::Value;

use super::table::acl::*;
use super::table::flags::*;
use super::table::NONE;
use super::{is_word, wrong_args, Command, Ctx};

pub static COMMANDS: &[Command] = &[
    Command::new("slowlog", -2, ADMIN | LOADING | STALE, 0, NONE, slowlog).doc(
        "server",
        "Reads or resets the slow log.",
        "",
    ),
    Command::new(
        "latency",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        0,
        NONE,
        latency,
    )
    .doc("server", "Reads or resets the latency samples.", ""),
    Command::new(
        "monitor",
        1,
        ADMIN | NOSCRIPT | LOADING | STALE,
        0,
        NONE,
        monitor,
    )
    .doc(
        "server",
        "Listens for all requests received by the server in real-time.",
        "",
    ),
];

fn help(lines: &[&str]) -> Value {
    Value::Array(lines.iter().map(|l| Value::from(*l)).collect())
}

fn unknown_sub(sub: &Value, family: &str) -> Value {
    Value::error(format!(
        "ERR unknown subcommand '{}'. Try {family} HELP.",
        super::printable(sub.as_bytes().unwrap_or(b"?"), 128)
    ))
}

fn sub_args(family: &str, sub: &Value) -> Value {
    wrong_args(&format!(
        "{family}|{}",
        String::from_utf8_lossy(sub.as_bytes().unwrap_or_default()).to_lowercase()
    ))
}

/// `SLOWLOG GET [count]|LEN|RESET|HELP`.
pub fn slowlog(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let sub = &args[1];
    let rest = &args[2..];
    let intro = &ctx.shared.intro;
    if is_word(sub, "HELP") && rest.is_empty() {
        help(&[
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
            "HELP",
            "    Prints this help.",
        ])
    } else if is_word(sub, "GET") && rest.len() <= 1 {
        let count = match rest.first() {
            None => Some(10),
            Some(v) => match super::args::integer(v) {
                Ok(-1) => None,
                Ok(n) if n >= 0 => Some(n as usize),
                _ => return Value::error("ERR count should be greater than or equal to -1"),
            },
        };
        let entries = intro.slowlog_get(count);
        Value::Array(
            entries
                .into_iter()
                .map(|e| {
                    Value::Array(vec![
                        Value::Integer(e.id as i64),
                        Value::Integer(e.time),
                        Value::Integer(e.usec as i64),
                        Value::Array(e.args.into_iter().map(Value::Bulk).collect()),
                        Value::Bulk(Bytes::from(e.addr)),
                        Value::Bulk(e.name),
                    ])
                })
                .collect(),
        )
    } else if is_word(sub, "LEN") && rest.is_empty() {
        Value::Integer(intro.slowlog_len() as i64)
    } else if is_word(sub, "RESET") && rest.is_empty() {
        intro.slowlog_reset();
        Value::ok()
    } else if ["GET", "LEN", "RESET", "HELP"]
        .iter()
        .any(|w| is_word(sub, w))
    {
        sub_args("slowlog", sub)
    } else {
        unknown_sub(sub, "SLOWLOG")
    }
}

const DOCTOR_OFF: &str = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
const DOCTOR_QUIET: &str = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";

/// `LATENCY LATEST|HISTORY event|RESET [event ...]|DOCTOR|GRAPH event|HELP`.
pub fn latency(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let sub = &args[1];
    let rest = &args[2..];
    let intro = &ctx.shared.intro;
    if is_word(sub, "HELP") && rest.is_empty() {
        help(&[
            "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HELP",
            "    Prints this help.",
        ])
    } else if is_word(sub, "LATEST") && rest.is_empty() {
        Value::Array(
            intro
                .latency_events()
                .into_iter()
                .filter_map(|(name, s)| {
                    let (time, ms) = *s.samples.back()?;
                    Some(Value::Array(vec![
                        Value::from(name),
                        Value::Integer(time),
                        Value::Integer(ms as i64),
                        Value::Integer(s.max as i64),
                    ]))
                })
                .collect(),
        )
    } else if is_word(sub, "HISTORY") && rest.len() == 1 {
        let wanted = rest[0].as_bytes().unwrap_or_default();
        let series = intro
            .latency_events()
            .into_iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(wanted));
        Value::Array(series.map_or_else(Vec::new, |(_, s)| {
            s.samples
                .iter()
                .map(|(t, ms)| Value::Array(vec![Value::Integer(*t), Value::Integer(*ms as i64)]))
                .collect()
        }))
    } else if is_word(sub, "RESET") {
        let names: Vec<&[u8]> = rest.iter().filter_map(Value::as_bytes).collect();
        Value::Integer(intro.latency_reset(&names) as i64)
    } else if is_word(sub, "DOCTOR") && rest.is_empty() {
        Value::Bulk(Bytes::from(doctor(ctx)))
    } else if is_word(sub, "GRAPH") && rest.len() == 1 {
        graph(ctx, &rest[0])
    } else if is_word(sub, "HISTOGRAM") {
        histogram(ctx, rest)
    } else if ["LATEST", "HISTORY", "DOCTOR", "GRAPH", "HELP"]
        .iter()
        .any(|w| is_word(sub, w))
    {
        sub_args("latency", sub)
    } else {
        unknown_sub(sub, "LATENCY")
    }
}

/// `LATENCY HISTOGRAM [command ...]`: for each command that ran (all, or
/// those named; unknown names are skipped), its calls and its cumulative
/// latency distribution in microseconds, as Redis 7 gives them.
fn histogram(ctx: &Ctx<'_>, names: &[Value]) -> Value {
    let wanted: Vec<&'static super::Command> = names
        .iter()
        .filter_map(|n| n.as_bytes().and_then(super::lookup))
        .collect();
    let mut out = Vec::new();
    for (i, c) in super::stats::indexed() {
        if !names.is_empty() && !wanted.iter().any(|w| std::ptr::eq(*w, c)) {
            continue;
        }
        let Some(counts) = ctx.shared.intro.command(i).and_then(|s| s.latency.read()) else {
            continue;
        };
        let buckets = counts
            .cumulative()
            .into_iter()
            .map(|(usec, n)| (Value::Integer(usec as i64), Value::Integer(n as i64)))
            .collect();
        let calls = ctx
            .shared
            .intro
            .command(i)
            .map_or(0, |s| s.calls.load(std::sync::atomic::Ordering::Relaxed));
        let entry = super::reply_map(
            ctx.session,
            vec![
                (Value::from("calls"), Value::Integer(calls as i64)),
                (
                    Value::from("histogram_usec"),
                    super::reply_map(ctx.session, buckets),
                ),
            ],
        );
        out.push((Value::from(c.name), entry));
    }
    super::reply_map(ctx.session, out)
}

/// `LATENCY DOCTOR`: Redis's texts when there is nothing to say; with
/// samples, a plain summary per event (Redis's own advice is not copied).
fn doctor(ctx: &Ctx<'_>) -> String {
    let intro = &ctx.shared.intro;
    if !intro.latency_on() {
        return DOCTOR_OFF.to_string();
    }
    let events = intro.latency_events();
    if events.is_empty() {
        return DOCTOR_QUIET.to_string();
    }
    let mut out = String::from("Dave, I have observed latency spikes in this Redis instance.\n\n");
    for (i, (name, s)) in events.iter().enumerate() {
        let n = s.samples.len().max(1) as u64;
        let avg = s.samples.iter().map(|(_, ms)| ms).sum::<u64>() / n;
        out.push_str(&format!(
            "{}. {name}: {} latency spikes (average {avg}ms). Worst all time event {}ms.\n",
            i + 1,
            s.samples.len(),
            s.max
        ));
    }
    out
}

/// `LATENCY GRAPH event`: the samples, one line each (Redis draws them
/// as an ASCII chart; kvstore lists them).
fn graph(ctx: &Ctx<'_>, event: &Value) -> Value {
    let wanted = event.as_bytes().unwrap_or_default();
    let series = ctx
        .shared
        .intro
        .latency_events()
        .into_iter()
        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(wanted));
    let Some((name, s)) = series.filter(|(_, s)| !s.samples.is_empty()) else {
        return Value::error(format!(
            "ERR No samples available for event '{}'",
            super::printable(wanted, 128)
        ));
    };
    let mut out = format!("{name} - high {} ms\n", s.max);
    for (t, ms) in &s.samples {
        out.push_str(&format!("{t} {ms}\n"));
    }
    Value::Bulk(Bytes::from(out))
}

/// `MONITOR`: from now on this connection receives a line for every
/// command the server runs, through the outbox its task already selects
/// on for pub/sub messages.
pub fn monitor(ctx: &mut Ctx<'_>, _args: &[Value]) -> Value {
    if ctx.session.multi.is_some() {
        return Value::error("ERR MONITOR isn't allowed inside a transaction");
    }
    let session = &mut *ctx.session;
    if session.monitor {
        // Redis answers nothing to a second MONITOR.
        session.reply = crate::state::session::ReplyControl::SkipThis;
        return Value::ok();
    }
    let id = session.id;
    let outbox = Arc::clone(&session.subscriptions().outbox);
    ctx.shared.intro.add_monitor(id, outbox);
    session.monitor = true;
    session.show_activity();
    Value::ok()
}

/// Ends MONITOR mode (RESET, or the connection closing).
pub fn leave_monitor(ctx: &mut Ctx<'_>) {
    if ctx.session.monitor {
        ctx.session.monitor = false;
        ctx.shared.intro.remove_monitor(ctx.session.id);
    }
}

/// A monitor, like a replica in Redis, may not touch the keyspace.
pub fn refused_while_monitoring(cmd: &Command) -> bool {
    cmd.flags & (WRITE | READONLY) != 0
        || cmd.acl & SCRIPTING != 0 && cmd.name != "script"
        || matches!(cmd.name, "publish" | "spublish")
}
