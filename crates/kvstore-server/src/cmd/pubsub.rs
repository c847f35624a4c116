//! Pub/sub: `SUBSCRIBE`, `UNSUBSCRIBE`, `PSUBSCRIBE`, `PUNSUBSCRIBE`,
//! `PUBLISH`, the sharded `SSUBSCRIBE`, `SUNSUBSCRIBE`, `SPUBLISH`, and
//! `PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP`.
//!
//! The registry and the subscribers' outboxes are in `state::pubsub`. A
//! (un)subscription's confirmations go through the connection's outbox,
//! under the registry's lock, so they keep their place among the messages;
//! only inside EXEC, whose reply is one array, are they returned instead.

use super::table::acl::*;
use super::table::flags::*;
use super::table::{KeySpec, ALL, NONE};

use bytes::Bytes;
use kvstore_protocol::Value;

use super::{is_word, key, wrong_args, Command, Ctx};
use crate::state::pubsub::Kind;

const SHARD_KEY: KeySpec = (1, 1, 1);

pub static COMMANDS: &[Command] = &[
    Command::new(
        "subscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        PUBSUB_CAT,
        NONE,
        subscribe,
    )
    .doc(
        "pubsub",
        "Listens for messages published to channels.",
        "channel [channel ...]",
    ),
    Command::new(
        "unsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        PUBSUB_CAT,
        NONE,
        unsubscribe,
    )
    .doc(
        "pubsub",
        "Stops listening to messages posted to channels.",
        "[channel [channel ...]]",
    ),
    Command::new(
        "psubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        PUBSUB_CAT,
        NONE,
        psubscribe,
    )
    .doc(
        "pubsub",
        "Listens for messages published to channels that match one or more patterns.",
        "pattern [pattern ...]",
    ),
    Command::new(
        "punsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        PUBSUB_CAT,
        NONE,
        punsubscribe,
    )
    .doc(
        "pubsub",
        "Stops listening to messages published to channels that match one or more patterns.",
        "[pattern [pattern ...]]",
    ),
    Command::new(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST,
        PUBSUB_CAT,
        NONE,
        publish,
    )
    .doc("pubsub", "Posts a message to a channel.", "channel message"),
    Command::new(
        "ssubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        PUBSUB_CAT,
        ALL,
        ssubscribe,
    )
    .doc(
        "pubsub",
        "Listens for messages published to shard channels.",
        "shardchannel [shardchannel ...]",
    ),
    Command::new(
        "sunsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        PUBSUB_CAT,
        ALL,
        sunsubscribe,
    )
    .doc(
        "pubsub",
        "Stops listening to messages posted to shard channels.",
        "[shardchannel [shardchannel ...]]",
    ),
    Command::new(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST,
        PUBSUB_CAT,
        SHARD_KEY,
        spublish,
    )
    .doc(
        "pubsub",
        "Post a message to a shard channel",
        "shardchannel message",
    ),
    Command::new("pubsub", -2, 0, 0, NONE, pubsub).doc(
        "pubsub",
        "A container for Pub/Sub commands.",
        "",
    ),
];

/// The commands a RESP2 client may run while subscribed.
pub fn allowed_while_subscribed(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "subscribe"
            | "ssubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "unsubscribe"
            | "punsubscribe"
            | "ping"
            | "quit"
            | "reset"
    )
}

/// Redis's refusal of any other command in that state. A command with
/// subcommands is named with its subcommand (`pubsub|numsub`).
pub fn refused_while_subscribed(cmd: &Command, args: &[Value]) -> Value {
    let mut name = cmd.name.to_string();
    let container = matches!(
        cmd.name,
        "pubsub" | "config" | "client" | "command" | "script" | "object" | "memory"
    );
    if let Some(sub) = args.get(1).and_then(Value::as_bytes).filter(|_| container) {
        name.push('|');
        name.push_str(&String::from_utf8_lossy(sub).to_lowercase());
    }
    Value::error(format!(
        "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
        super::printable(name.as_bytes(), 128)
    ))
}

fn subscribe(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    change(ctx, &args[1..], Kind::Channel, true)
}

fn unsubscribe(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    change(ctx, &args[1..], Kind::Channel, false)
}

fn psubscribe(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    change(ctx, &args[1..], Kind::Pattern, true)
}

fn punsubscribe(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    change(ctx, &args[1..], Kind::Pattern, false)
}

fn ssubscribe(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    change(ctx, &args[1..], Kind::Shard, true)
}

fn sunsubscribe(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    change(ctx, &args[1..], Kind::Shard, false)
}

/// A channel or pattern name, copied out of the request so that the
/// registry does not keep the whole read buffer alive.
fn names(args: &[Value]) -> Result<Vec<Bytes>, Value> {
    let mut out = Vec::new();
    out.try_reserve(args.len())
        .map_err(|_| Value::error("ERR out of memory"))?;
    for a in args {
        out.push(Bytes::copy_from_slice(&key(a)?));
    }
    Ok(out)
}

/// Subscribes or unsubscribes, one confirmation per name.
fn change(ctx: &mut Ctx<'_>, args: &[Value], kind: Kind, on: bool) -> Value {
    let names = crate::tri!(names(args));
    if !on && ctx.session.pubsub.is_none() {
        // Never subscribed: the one null confirmation per name (or one
        // for none), with nothing to change.
        let word = kind.word(false);
        let frame = |n: Option<&Bytes>| {
            Value::Push(vec![
                Value::from(word),
                n.map_or(Value::Null, |n| Value::Bulk(n.clone())),
                Value::Integer(0),
            ])
        };
        if names.is_empty() {
            return frame(None);
        }
        if names.len() == 1 {
            return frame(names.first());
        }
    }
    let session = &mut *ctx.session;
    let in_exec = session.no_block;
    let subs = session.subscriptions();
    // Inside EXEC, whose reply is one array, the confirmations are
    // returned as the command's reply instead.
    let mut frames = Vec::new();
    let into = in_exec.then_some(&mut frames);
    if on {
        ctx.shared.pubsub.subscribe(subs, kind, &names, into);
    } else {
        ctx.shared.pubsub.unsubscribe(subs, kind, &names, into);
    }
    session.show_subscriptions();
    if in_exec {
        return match frames.len() {
            1 => frames.pop().unwrap_or(Value::Null),
            _ => Value::Array(frames),
        };
    }
    if let Some(subs) = session.pubsub.as_deref_mut() {
        subs.replied = true;
    }
    Value::Null
}

fn publish(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    deliver(ctx, args, false)
}

fn spublish(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    deliver(ctx, args, true)
}

/// `PUBLISH`/`SPUBLISH channel message`: the number of clients reached.
fn deliver(ctx: &mut Ctx<'_>, args: &[Value], shard: bool) -> Value {
    let channel = Bytes::copy_from_slice(&crate::tri!(key(&args[1])));
    let message = match &args[2] {
        Value::Bulk(b) | Value::Simple(b) => b.clone(),
        other => Bytes::from(crate::tri!(key(other)).into_owned()),
    };
    let n = ctx.shared.pubsub.publish_now(shard, &channel, &message);
    Value::Integer(n as i64)
}

const HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

fn pubsub(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let sub = &args[1];
    let rest = &args[2..];
    let registry = &ctx.shared.pubsub;
    let channels = |shard: bool| {
        let pattern = match rest.first() {
            Some(p) => match key(p) {
                Ok(p) => Some(p.into_owned()),
                Err(e) => return e,
            },
            None => None,
        };
        Value::Array(
            registry
                .channels(shard, pattern.as_deref())
                .into_iter()
                .map(Value::Bulk)
                .collect(),
        )
    };
    let numsub = |shard: bool| {
        let mut out = Vec::new();
        for c in rest {
            let name = match key(c) {
                Ok(n) => n,
                Err(e) => return e,
            };
            let n = registry.numsub(shard, &name);
            out.push(Value::Bulk(Bytes::copy_from_slice(&name)));
            out.push(Value::Integer(n as i64));
        }
        Value::Array(out)
    };
    if is_word(sub, "HELP") && rest.is_empty() {
        Value::Array(HELP.iter().map(|l| Value::simple(l)).collect())
    } else if is_word(sub, "CHANNELS") && rest.len() <= 1 {
        channels(false)
    } else if is_word(sub, "SHARDCHANNELS") && rest.len() <= 1 {
        channels(true)
    } else if is_word(sub, "NUMSUB") {
        numsub(false)
    } else if is_word(sub, "SHARDNUMSUB") {
        numsub(true)
    } else if is_word(sub, "NUMPAT") && rest.is_empty() {
        Value::Integer(registry.counts().1 as i64)
    } else if is_word(sub, "NUMPAT") || is_word(sub, "HELP") {
        wrong_args(&format!(
            "pubsub|{}",
            String::from_utf8_lossy(sub.as_bytes().unwrap_or_default()).to_lowercase()
        ))
    } else if ["CHANNELS", "SHARDCHANNELS"]
        .iter()
        .any(|w| is_word(sub, w))
    {
        Value::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            super::printable(sub.as_bytes().unwrap_or(b"?"), 64)
        ))
    } else {
        Value::error(format!(
            "ERR unknown subcommand '{}'. Try PUBSUB HELP.",
            super::printable(sub.as_bytes().unwrap_or(b"?"), 64)
        ))
    }
}
