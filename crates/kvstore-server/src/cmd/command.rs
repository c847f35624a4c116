//! `COMMAND`, `COMMAND COUNT|LIST|INFO|DOCS`: the command table as Redis
//! tools read it. redis-cli asks for `COMMAND DOCS` when it starts and
//! builds its `help` text, tab completion and inline hints from the reply,
//! so it shows exactly the commands kvstore has.
//!
//! Every command in [`super::all`] is listed. The documentation of each is
//! one row of [`DOCS`], whose syntax line is written the way Redis's manual
//! writes it and turned into Redis's argument tree by [`parse_syntax`].

use kvstore_protocol::Value;

use super::server::reply_map;
use super::{is_word, Command, Ctx};
use crate::command;
use crate::state::Session;

pub static COMMANDS: &[Command] = &[command!("command", -1, false, command)];

/// Documentation of one command or subcommand (`"client|id"`).
pub struct Doc {
    pub name: &'static str,
    pub group: &'static str,
    pub summary: &'static str,
    /// Arguments after the name: `key [key ...]` is `key ...`, an optional
    /// part is `[...]`, a required group `(...)`, alternatives `A|B`;
    /// upper-case words are literal tokens.
    pub syntax: &'static str,
    /// First key, last key (-1: to the end) and step, as in `COMMAND INFO`;
    /// (0, 0, 0) for no keys.
    pub keys: (i64, i64, i64),
}

const fn doc(
    name: &'static str,
    group: &'static str,
    summary: &'static str,
    syntax: &'static str,
    keys: (i64, i64, i64),
) -> Doc {
    Doc {
        name,
        group,
        summary,
        syntax,
        keys,
    }
}

const ONE: (i64, i64, i64) = (1, 1, 1);
const ALL: (i64, i64, i64) = (1, -1, 1);
const NONE: (i64, i64, i64) = (0, 0, 0);

pub static DOCS: &[Doc] = &[
    doc("get", "string", "Returns the value of a key.", "key", ONE),
    doc("set", "string", "Sets the value of a key, with an optional deadline; NX/XX make it conditional, GET returns the old value.", "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]", ONE),
    doc("setex", "string", "Sets a key with a deadline in seconds.", "key seconds value", ONE),
    doc("psetex", "string", "Sets a key with a deadline in milliseconds.", "key milliseconds value", ONE),
    doc("getex", "string", "Returns a string value and sets or clears its deadline.", "key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]", ONE),
    doc("getdel", "string", "Returns a string value and deletes the key.", "key", ONE),
    doc("msetnx", "string", "Sets several keys at once, only if none of them exists.", "(key value) ...", (1, -1, 2)),
    doc("getrange", "string", "Returns part of a string value.", "key start end", ONE),
    doc("substr", "string", "Returns part of a string value (old name of GETRANGE).", "key start end", ONE),
    doc("setrange", "string", "Overwrites part of a string value.", "key offset value", ONE),
    doc("lcs", "string", "Returns the longest common subsequence of two strings.", "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]", (1, 2, 1)),
    doc("dump", "generic", "Returns a key's value serialized (kvstore's own format).", "key", ONE),
    doc("restore", "generic", "Creates a key from a DUMP payload.", "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]", ONE),
    doc("incrbyfloat", "string", "Adds a floating-point amount to a number.", "key increment", ONE),
    doc("mget", "string", "Returns the values of several keys.", "key ...", ALL),
    doc("mset", "string", "Sets several keys at once, atomically.", "(key value) ...", (1, -1, 2)),
    doc("setnx", "string", "Sets a key only if it does not exist.", "key value", ONE),
    doc("getset", "string", "Sets a key and returns its old value.", "key value", ONE),
    doc("strlen", "string", "Returns the length of a string value.", "key", ONE),
    doc("append", "string", "Appends to a string value; returns the new length.", "key value", ONE),
    doc("incr", "string", "Adds 1 to an integer value.", "key", ONE),
    doc("decr", "string", "Subtracts 1 from an integer value.", "key", ONE),
    doc("incrby", "string", "Adds an amount to an integer value.", "key increment", ONE),
    doc("decrby", "string", "Subtracts an amount from an integer value.", "key decrement", ONE),
    doc("delete", "generic", "kvstore: deletes a key; replies 1 if it existed, else 0.", "key", ONE),
    doc("flush", "generic", "kvstore: deletes every key of the database; replies how many there were.", "", NONE),
    doc("unlink", "generic", "Deletes keys; replies how many existed.", "key ...", ALL),
    doc("touch", "generic", "Counts how many of the keys exist.", "key ...", ALL),
    doc("renamenx", "generic", "Renames a key only if the target does not exist.", "key newkey", (1, 2, 1)),
    doc("copy", "generic", "Copies a key's value, to another database if asked.", "source destination [DB destination-db] [REPLACE]", (1, 2, 1)),
    doc("move", "generic", "Moves a key to another database.", "key db", ONE),
    doc("swapdb", "server", "Swaps two databases.", "index1 index2", NONE),
    doc("randomkey", "generic", "Returns a random key.", "", NONE),
    doc("object", "generic", "Inspects how a key's value is stored.", "subcommand [key]", (2, 2, 1)),
    doc("expire", "generic", "Sets a key's deadline in seconds from now.", "key seconds [NX|XX|GT|LT]", ONE),
    doc("pexpire", "generic", "Sets a key's deadline in milliseconds from now.", "key milliseconds [NX|XX|GT|LT]", ONE),
    doc("expireat", "generic", "Sets a key's deadline as a Unix time in seconds.", "key unix-time-seconds [NX|XX|GT|LT]", ONE),
    doc("pexpireat", "generic", "Sets a key's deadline as a Unix time in milliseconds.", "key unix-time-milliseconds [NX|XX|GT|LT]", ONE),
    doc("persist", "generic", "Removes a key's deadline.", "key", ONE),
    doc("ttl", "generic", "Returns a key's time to live in seconds.", "key", ONE),
    doc("pttl", "generic", "Returns a key's time to live in milliseconds.", "key", ONE),
    doc("expiretime", "generic", "Returns a key's deadline as a Unix time in seconds.", "key", ONE),
    doc("pexpiretime", "generic", "Returns a key's deadline as a Unix time in milliseconds.", "key", ONE),
    doc("del", "generic", "Deletes keys; replies how many existed.", "key ...", ALL),
    doc("exists", "generic", "Counts how many of the keys exist.", "key ...", ALL),
    doc("type", "generic", "Returns the type of a key's value.", "key", ONE),
    doc("rename", "generic", "Renames a key, overwriting the target.", "key newkey", (1, 2, 1)),
    doc("keys", "generic", "Returns every key matching a glob pattern.", "pattern", NONE),
    doc("scan", "generic", "Iterates over the keys, a few at a time.", "cursor [MATCH pattern] [COUNT count] [TYPE type]", NONE),
    doc("flushdb", "server", "Deletes every key of the database.", "[ASYNC|SYNC]", NONE),
    doc("flushall", "server", "Deletes every key of every database.", "[ASYNC|SYNC]", NONE),
    doc("dbsize", "server", "Returns the number of keys in the database.", "", NONE),
    doc("info", "server", "Returns information and statistics about the server.", "[section ...]", NONE),
    doc("config", "server", "Reads or changes the server's settings.", "", NONE),
    doc("config|get", "server", "Returns the settings whose names match the patterns.", "parameter ...", NONE),
    doc("config|set", "server", "Changes settings that can change while running.", "(parameter value) ...", NONE),
    doc("config|resetstat", "server", "Resets the statistics INFO reports.", "", NONE),
    doc("command", "server", "Returns information about the commands.", "", NONE),
    doc("command|count", "server", "Returns the number of commands.", "", NONE),
    doc("command|list", "server", "Returns the names of the commands.", "", NONE),
    doc("command|info", "server", "Returns information about commands.", "[command-name ...]", NONE),
    doc("command|docs", "server", "Returns documentation about commands.", "[command-name ...]", NONE),
    doc("ping", "connection", "Returns PONG, or the message.", "[message]", NONE),
    doc("echo", "connection", "Returns the message.", "message", NONE),
    doc("quit", "connection", "Closes the connection.", "", NONE),
    doc("select", "connection", "Selects the database this connection works in.", "index", NONE),
    doc("hello", "connection", "Handshake: switches to Redis replies, RESP2 or RESP3.", "[protover [AUTH username password] [SETNAME clientname]]", NONE),
    doc("client", "connection", "Inspects or names connections.", "", NONE),
    doc("client|id", "connection", "Returns the connection's id.", "", NONE),
    doc("client|getname", "connection", "Returns the connection's name.", "", NONE),
    doc("client|setname", "connection", "Names the connection.", "connection-name", NONE),
    doc("client|setinfo", "connection", "Records the client library's name or version.", "LIB-NAME|LIB-VER value", NONE),
    doc("client|list", "connection", "Lists the open connections.", "", NONE),
    doc("client|info", "connection", "Describes this connection.", "", NONE),
];

fn doc_of(name: &str) -> Option<&'static Doc> {
    DOCS.iter().find(|d| d.name == name)
}

pub fn command(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let Some(sub) = args.get(1) else {
        return Value::Array(super::all().map(info_of).collect());
    };
    let names = &args[2..];
    if is_word(sub, "COUNT") && names.is_empty() {
        Value::Integer(super::all().count() as i64)
    } else if is_word(sub, "LIST") && names.is_empty() {
        Value::Array(super::all().map(|c| Value::from(c.name)).collect())
    } else if is_word(sub, "INFO") {
        if names.is_empty() {
            return Value::Array(super::all().map(info_of).collect());
        }
        Value::Array(
            names
                .iter()
                .map(|n| find(n).map_or(Value::Null, info_of))
                .collect(),
        )
    } else if is_word(sub, "DOCS") {
        let chosen: Vec<&Command> = if names.is_empty() {
            super::all().collect()
        } else {
            names.iter().filter_map(find).collect()
        };
        let pairs = chosen
            .into_iter()
            .map(|c| (Value::from(c.name), docs_of(ctx.session, c.name)))
            .collect();
        reply_map(ctx.session, pairs)
    } else {
        Value::error(format!(
            "ERR unknown subcommand '{}'. Try COMMAND COUNT, LIST, INFO or DOCS.",
            super::printable(sub.as_bytes().unwrap_or(b"?"), 64)
        ))
    }
}

fn find(name: &Value) -> Option<&'static Command> {
    name.as_bytes().and_then(super::lookup)
}

/// One `COMMAND INFO` entry: name, arity, flags, first key, last key, step,
/// ACL categories, tips, key specs, subcommands.
fn info_of(c: &Command) -> Value {
    let keys = doc_of(c.name).map_or(NONE, |d| d.keys);
    let mut flags = Vec::new();
    if c.write {
        flags.push(Value::simple("write"));
    } else if keys.0 > 0 {
        flags.push(Value::simple("readonly"));
    }
    Value::Array(vec![
        Value::from(c.name),
        Value::Integer(i64::from(c.arity)),
        Value::Array(flags),
        Value::Integer(keys.0),
        Value::Integer(keys.1),
        Value::Integer(keys.2),
        Value::Array(vec![]),
        Value::Array(vec![]),
        Value::Array(vec![]),
        Value::Array(vec![]),
    ])
}

/// The `COMMAND DOCS` entry of `name`, with its subcommands.
fn docs_of(session: &Session, name: &str) -> Value {
    let d = doc_of(name);
    let mut pairs = vec![
        (
            Value::from("summary"),
            // redis-cli prints the summary without checking it is there.
            Value::from(d.map_or("kvstore command.", |d| d.summary)),
        ),
        (Value::from("since"), Value::from("0.1.0")),
        (
            Value::from("group"),
            Value::from(d.map_or("server", |d| d.group)),
        ),
        (
            Value::from("arguments"),
            Value::Array(
                parse_syntax(d.map_or("", |d| d.syntax))
                    .iter()
                    .map(|a| a.to_value(session))
                    .collect(),
            ),
        ),
    ];
    let prefix = format!("{name}|");
    let subs: Vec<(Value, Value)> = DOCS
        .iter()
        .filter(|s| s.name.starts_with(&prefix))
        .map(|s| (Value::from(s.name), docs_of(session, s.name)))
        .collect();
    if !subs.is_empty() {
        pairs.push((Value::from("subcommands"), reply_map(session, subs)));
    }
    reply_map(session, pairs)
}

/// One argument of Redis's argument tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: String,
    /// key, string, integer, pattern, pure-token, oneof or block.
    pub kind: &'static str,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub children: Vec<Arg>,
}

impl Arg {
    fn leaf(word: &str) -> Arg {
        let upper = word.chars().any(|c| c.is_ascii_uppercase())
            && !word.chars().any(|c| c.is_ascii_lowercase());
        let (kind, token) = if upper {
            ("pure-token", Some(word.to_string()))
        } else {
            let kind = match word {
                "key" | "newkey" => "key",
                "pattern" => "pattern",
                "cursor" | "count" | "increment" | "decrement" | "index" | "protover" => "integer",
                _ => "string",
            };
            (kind, None)
        };
        Arg {
            name: word.to_ascii_lowercase(),
            kind,
            token,
            optional: false,
            multiple: false,
            children: Vec::new(),
        }
    }

    fn group(kind: &'static str, children: Vec<Arg>) -> Arg {
        Arg {
            name: children
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join("-"),
            kind,
            token: None,
            optional: false,
            multiple: false,
            children,
        }
    }

    fn to_value(&self, session: &Session) -> Value {
        let mut pairs = vec![
            (Value::from("name"), Value::from(self.name.as_str())),
            (Value::from("type"), Value::from(self.kind)),
        ];
        if let Some(t) = &self.token {
            pairs.push((Value::from("token"), Value::from(t.as_str())));
        }
        let mut flags = Vec::new();
        if self.optional {
            flags.push(Value::simple("optional"));
        }
        if self.multiple {
            flags.push(Value::simple("multiple"));
        }
        if !flags.is_empty() {
            pairs.push((Value::from("flags"), Value::Array(flags)));
        }
        if !self.children.is_empty() {
            pairs.push((
                Value::from("arguments"),
                Value::Array(self.children.iter().map(|c| c.to_value(session)).collect()),
            ));
        }
        reply_map(session, pairs)
    }
}

/// Turns a syntax line such as `cursor [MATCH pattern] [COUNT count]` into
/// Redis's argument tree. The lines are ours (in [`DOCS`]), so an unclosed
/// bracket simply ends the group.
pub fn parse_syntax(syntax: &str) -> Vec<Arg> {
    let spaced = syntax
        .replace('[', " [ ")
        .replace(']', " ] ")
        .replace('(', " ( ")
        .replace(')', " ) ");
    let mut words = spaced.split_whitespace().peekable();
    parse_seq(&mut words)
}

fn parse_seq<'a>(words: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>) -> Vec<Arg> {
    let mut out: Vec<Arg> = Vec::new();
    while let Some(w) = words.next() {
        let arg = match w {
            "]" | ")" => break,
            "..." => {
                if let Some(last) = out.last_mut() {
                    last.multiple = true;
                }
                continue;
            }
            "[" | "(" => {
                let mut inner = parse_seq(words);
                let mut arg = if inner.len() == 1 {
                    inner.remove(0)
                } else {
                    Arg::group("block", inner)
                };
                arg.optional |= w == "[";
                arg
            }
            w if w.contains('|') => Arg::group("oneof", w.split('|').map(Arg::leaf).collect()),
            w => Arg::leaf(w),
        };
        out.push(arg);
    }
    out
}

/// Text of an argument tree as redis-cli shows it in its hints.
#[cfg(test)]
fn render(args: &[Arg]) -> String {
    args.iter().map(render_one).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
fn render_one(a: &Arg) -> String {
    let body = match a.kind {
        "oneof" => a
            .children
            .iter()
            .map(render_one)
            .collect::<Vec<_>>()
            .join("|"),
        "block" => render(&a.children),
        "pure-token" => a.token.clone().unwrap_or_default(),
        _ => a.name.clone(),
    };
    let body = if a.multiple {
        format!("{body} [{body} ...]")
    } else {
        body
    };
    if a.optional {
        format!("[{body}]")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_round_trips_to_redis_cli_hints() {
        for (syntax, shown) in [
            ("key", "key"),
            ("key ...", "key [key ...]"),
            ("(key value) ...", "key value [key value ...]"),
            ("key value [NX|XX] [GET]", "key value [NX|XX] [GET]"),
            (
                "cursor [MATCH pattern] [COUNT count]",
                "cursor [MATCH pattern] [COUNT count]",
            ),
            (
                "[protover [AUTH username password] [SETNAME clientname]]",
                "[protover [AUTH username password] [SETNAME clientname]]",
            ),
            ("[section ...]", "[section [section ...]]"),
            ("", ""),
        ] {
            assert_eq!(render(&parse_syntax(syntax)), shown, "{syntax}");
        }
    }

    #[test]
    fn argument_types() {
        let args = parse_syntax("key increment [NX|XX]");
        assert_eq!(args[0].kind, "key");
        assert_eq!(args[1].kind, "integer");
        assert_eq!(args[2].kind, "oneof");
        assert!(args[2].optional);
        assert_eq!(args[2].children[0].kind, "pure-token");
        assert_eq!(args[2].children[0].token.as_deref(), Some("NX"));
    }

    #[test]
    fn every_command_is_documented() {
        // Other families may lack rows (they get a generic entry); the
        // Redis-compatibility families must all have one.
        use crate::cmd::{client, config, info, keys, server, strings};
        for family in [
            strings::COMMANDS,
            keys::COMMANDS,
            server::COMMANDS,
            info::COMMANDS,
            config::COMMANDS,
            client::COMMANDS,
            COMMANDS,
        ] {
            for c in family {
                assert!(doc_of(c.name).is_some(), "{} has no DOCS row", c.name);
            }
        }
    }
}
