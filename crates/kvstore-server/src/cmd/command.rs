//! `COMMAND`, `COMMAND COUNT|LIST|INFO|DOCS`: the command table as Redis
//! tools read it. redis-cli asks for `COMMAND DOCS` when it starts and
//! builds its `help` text, tab completion and inline hints from the reply,
//! so it shows exactly the commands kvstore has.
//!
//! Every command in [`super::all`] is listed, from its own row (see
//! [`super::table`]); subcommands are documented in [`SUBCOMMANDS`]. Syntax
//! lines are written the way Redis's manual writes them and turned into
//! Redis's argument tree by [`parse_syntax`].

use kvstore_protocol::Value;

use super::reply_map;
use super::table::acl::*;
use super::table::flags::*;
use super::table::NONE;
use super::{is_word, Command, Ctx};
use crate::state::Session;

pub static COMMANDS: &[Command] =
    &[
        Command::new("command", -1, LOADING | STALE, CONNECTION, NONE, command).doc(
            "server",
            "Returns information about the commands.",
            "",
        ),
    ];

/// Documentation of one subcommand (`"client|id"`): its summary and its
/// arguments after the subcommand's name (see [`parse_syntax`]).
pub struct Sub {
    pub name: &'static str,
    pub summary: &'static str,
    pub syntax: &'static str,
}

const fn sub(name: &'static str, summary: &'static str, syntax: &'static str) -> Sub {
    Sub {
        name,
        summary,
        syntax,
    }
}

pub static SUBCOMMANDS: &[Sub] = &[
    sub(
        "pubsub|channels",
        "Returns the active channels.",
        "[pattern]",
    ),
    sub(
        "pubsub|numsub",
        "Returns a count of subscribers to channels.",
        "[channel ...]",
    ),
    sub(
        "pubsub|numpat",
        "Returns a count of unique pattern subscriptions.",
        "",
    ),
    sub(
        "pubsub|shardchannels",
        "Returns the active shard channels.",
        "[pattern]",
    ),
    sub(
        "pubsub|shardnumsub",
        "Returns the count of subscribers of shard channels.",
        "[shardchannel ...]",
    ),
    sub(
        "pubsub|help",
        "Returns helpful text about the different subcommands.",
        "",
    ),
    sub(
        "config|get",
        "Returns the settings whose names match the patterns.",
        "parameter ...",
    ),
    sub(
        "config|set",
        "Changes settings that can change while running.",
        "(parameter value) ...",
    ),
    sub(
        "config|resetstat",
        "Resets the statistics INFO reports.",
        "",
    ),
    sub("command|count", "Returns the number of commands.", ""),
    sub("command|list", "Returns the names of the commands.", ""),
    sub(
        "command|info",
        "Returns information about commands.",
        "[command-name ...]",
    ),
    sub(
        "command|docs",
        "Returns documentation about commands.",
        "[command-name ...]",
    ),
    sub("client|id", "Returns the connection's id.", ""),
    sub("client|getname", "Returns the connection's name.", ""),
    sub("client|setname", "Names the connection.", "connection-name"),
    sub(
        "client|setinfo",
        "Records the client library's name or version.",
        "LIB-NAME|LIB-VER value",
    ),
    sub("client|list", "Lists the open connections.", ""),
    sub("client|info", "Describes this connection.", ""),
    sub(
        "object|encoding",
        "Returns the internal encoding of a value.",
        "key",
    ),
    sub(
        "object|freq",
        "Returns the access frequency of a key.",
        "key",
    ),
    sub(
        "object|idletime",
        "Returns the time since a key was last accessed.",
        "key",
    ),
    sub(
        "object|refcount",
        "Returns the reference count of a value.",
        "key",
    ),
    sub(
        "object|help",
        "Returns helpful text about the subcommands.",
        "",
    ),
];

pub fn command(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let Some(sub) = args.get(1) else {
        return Value::Array(super::all().map(info_of).collect());
    };
    let names = &args[2..];
    if is_word(sub, "COUNT") && names.is_empty() {
        Value::Integer(super::all().count() as i64)
    } else if is_word(sub, "LIST") && names.is_empty() {
        Value::Array(listed().map(Value::from).collect())
    } else if is_word(sub, "LIST") {
        list_filtered(names)
    } else if is_word(sub, "GETKEYS") || is_word(sub, "GETKEYSANDFLAGS") {
        if names.len() < 2 {
            let which = if is_word(sub, "GETKEYS") {
                "getkeys"
            } else {
                "getkeysandflags"
            };
            return super::wrong_args(&format!("command|{which}"));
        }
        let Some(c) = find(&names[0]) else {
            return Value::error("ERR Invalid command specified");
        };
        let n = names.len() as i32;
        if (c.arity > 0 && n != c.arity) || (c.arity < 0 && n < -c.arity) {
            return Value::error("ERR Invalid number of arguments specified for command");
        }
        // Shard channels are keys only for cluster routing: not listed.
        let specs = super::keyspec::spec_flags(c);
        if !specs.is_empty()
            && specs
                .iter()
                .all(|f| f & super::keyspec::key_flags::NOT_KEY != 0)
        {
            return Value::error("ERR The command has no key arguments");
        }
        let positions = match super::keyspec::key_positions(c, names) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if !is_word(sub, "GETKEYSANDFLAGS") {
            return Value::Array(positions.into_iter().map(|i| names[i].clone()).collect());
        }
        let flags = super::keyspec::flags_of_keys(c, names, &positions);
        Value::Array(
            positions
                .into_iter()
                .zip(flags)
                .map(|(i, f)| {
                    Value::Array(vec![
                        names[i].clone(),
                        Value::Array(super::keyspec::flag_names(f)),
                    ])
                })
                .collect(),
        )
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
            .map(|c| (Value::from(c.name), docs_of(ctx.session, c)))
            .collect();
        reply_map(ctx.session, pairs)
    } else {
        Value::error(format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            super::printable(sub.as_bytes().unwrap_or(b"?"), 64)
        ))
    }
}

/// `COMMAND LIST FILTERBY MODULE name | ACLCAT category | PATTERN glob`.
fn list_filtered(args: &[Value]) -> Value {
    let [filterby, kind, arg] = args else {
        return Value::error("ERR syntax error");
    };
    if !is_word(filterby, "FILTERBY") {
        return Value::error("ERR syntax error");
    }
    let arg = arg.as_bytes().unwrap_or_default();
    let keep: Box<dyn Fn(&Command) -> bool> = if is_word(kind, "MODULE") {
        // kvstore loads no modules.
        Box::new(|_| false)
    } else if is_word(kind, "ACLCAT") {
        // As Redis: the commands and subcommands of the category, as
        // `ACL CAT` lists them.
        let want = String::from_utf8_lossy(arg).to_ascii_lowercase();
        return Value::Array(
            super::acl::category_members(&want)
                .unwrap_or_default()
                .into_iter()
                .map(Value::bulk)
                .collect(),
        );
    } else if is_word(kind, "PATTERN") {
        return Value::Array(
            listed()
                .filter(|n| crate::keyspace::glob::matches(arg, n.as_bytes()))
                .map(Value::from)
                .collect(),
        );
    } else {
        return Value::error("ERR syntax error");
    };
    Value::Array(
        super::all()
            .filter(|c| keep(c))
            .map(|c| Value::from(c.name))
            .collect(),
    )
}

/// Every command name, each container followed by its subcommands
/// (`config|get`), as Redis 7's `COMMAND LIST` gives them.
fn listed() -> impl Iterator<Item = &'static str> {
    super::all().flat_map(|c| std::iter::once(c.name).chain(super::acl::subcommand_names(c.name)))
}

fn find(name: &Value) -> Option<&'static Command> {
    name.as_bytes().and_then(super::lookup)
}

/// One `COMMAND INFO` entry: name, arity, flags, first key, last key, step,
/// ACL categories, tips, key specs, subcommands.
fn info_of(c: &Command) -> Value {
    let mut flags = c.flag_names();
    if super::keyspec::movable(c) {
        flags.push(Value::simple("movablekeys"));
    }
    Value::Array(vec![
        Value::from(c.name),
        Value::Integer(i64::from(c.arity)),
        Value::Array(flags),
        Value::Integer(c.keys.0),
        Value::Integer(c.keys.1),
        Value::Integer(c.keys.2),
        Value::Array(
            super::acl::categories_of(c)
                .into_iter()
                .map(Value::simple)
                .collect(),
        ),
        Value::Array(vec![]),
        Value::Array(
            super::keyspec::key_specs(c)
                .iter()
                .map(key_spec_value)
                .collect(),
        ),
        Value::Array(vec![]),
    ])
}

/// One key spec as Redis 7 prints it in `COMMAND INFO`: a flat list of
/// names and values, its search and find steps each a type and a spec.
fn key_spec_value(spec: &super::keyspec::KeySpec) -> Value {
    use super::keyspec::{BeginSearch, FindKeys};
    let int = |n: i64| Value::Integer(n);
    let (begin_type, begin) = match spec.begin {
        BeginSearch::Index(i) => ("index", vec![Value::from("index"), int(i)]),
        BeginSearch::Keyword(word) => (
            "keyword",
            vec![
                Value::from("keyword"),
                Value::from(word),
                Value::from("startfrom"),
                int(1),
            ],
        ),
        BeginSearch::Unknown => ("unknown", vec![]),
    };
    let (find_type, find) = match spec.find {
        FindKeys::Range { lastkey, step } => (
            "range",
            vec![
                Value::from("lastkey"),
                int(lastkey),
                Value::from("keystep"),
                int(step),
                Value::from("limit"),
                int(0),
            ],
        ),
        FindKeys::Keynum => (
            "keynum",
            vec![
                Value::from("keynumidx"),
                int(0),
                Value::from("firstkey"),
                int(1),
                Value::from("keystep"),
                int(1),
            ],
        ),
        FindKeys::Unknown => ("unknown", vec![]),
    };
    Value::Array(vec![
        Value::from("flags"),
        Value::Array(super::keyspec::flag_names(spec.flags)),
        Value::from("begin_search"),
        Value::Array(vec![
            Value::from("type"),
            Value::from(begin_type),
            Value::from("spec"),
            Value::Array(begin),
        ]),
        Value::from("find_keys"),
        Value::Array(vec![
            Value::from("type"),
            Value::from(find_type),
            Value::from("spec"),
            Value::Array(find),
        ]),
    ])
}

/// The `COMMAND DOCS` entry of `c`, with its subcommands.
fn docs_of(session: &Session, c: &Command) -> Value {
    let prefix = format!("{}|", c.name);
    let subs: Vec<(Value, Value)> = SUBCOMMANDS
        .iter()
        .filter(|s| s.name.starts_with(&prefix))
        .map(|s| {
            (
                Value::from(s.name),
                doc_map(session, s.summary, c.group, s.syntax, None),
            )
        })
        .collect();
    doc_map(
        session,
        c.summary,
        c.group,
        c.syntax,
        Some(subs).filter(|s| !s.is_empty()),
    )
}

fn doc_map(
    session: &Session,
    summary: &'static str,
    group: &'static str,
    syntax: &'static str,
    subs: Option<Vec<(Value, Value)>>,
) -> Value {
    let mut pairs = vec![
        // redis-cli prints the summary without checking it is there.
        (Value::from("summary"), Value::from(summary)),
        (Value::from("since"), Value::from("0.1.0")),
        (Value::from("group"), Value::from(group)),
        (
            Value::from("arguments"),
            Value::Array(
                parse_syntax(syntax)
                    .iter()
                    .map(|a| a.to_value(session))
                    .collect(),
            ),
        ),
    ];
    if let Some(subs) = subs {
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
                "key" | "newkey" | "key1" | "key2" | "source" | "destination" => "key",
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
/// Redis's argument tree. The lines are ours (in the table), so an unclosed
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
                // The manual's `a b [a b ...]`: the words before the bracket,
                // repeated. One argument that may repeat, not an optional
                // copy of it.
                let n = inner.len();
                let repeats = w == "["
                    && n > 0
                    && inner[n - 1].multiple
                    && out.len() >= n
                    && out[out.len() - n..]
                        .iter()
                        .zip(&inner)
                        .all(|(a, b)| a.name == b.name && a.kind == b.kind);
                if repeats {
                    let mut repeated: Vec<Arg> = out.split_off(out.len() - n);
                    let mut arg = if n == 1 {
                        repeated.remove(0)
                    } else {
                        Arg::group("block", repeated)
                    };
                    arg.multiple = true;
                    out.push(arg);
                    continue;
                }
                let mut arg = if n == 1 {
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
            ("key [key ...]", "key [key ...]"),
            (
                "key [NX|XX] score member [score member ...]",
                "key [NX|XX] score member [score member ...]",
            ),
            ("pattern [pattern ...]", "pattern [pattern ...]"),
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
    fn every_command_is_documented_and_classified() {
        for c in crate::cmd::all() {
            assert!(!c.summary.is_empty(), "{} has no summary", c.name);
            assert!(!c.group.is_empty(), "{} has no group", c.name);
            // A syntax line must parse, and name as many keys as the row.
            let args = parse_syntax(c.syntax);
            let has_key = args
                .iter()
                .any(|a| a.kind == "key" || a.children.iter().any(|k| k.kind == "key"));
            // Shard channels are keys to Redis (flagged not_key, for
            // cluster routing) though the syntax names them channels.
            let shard_channels = c.flags & PUBSUB != 0 && c.keys.0 > 0;
            assert_eq!(
                has_key || shard_channels,
                c.keys.0 > 0,
                "{}: keys vs syntax",
                c.name
            );
            // Never both write and readonly; one of them for a command with
            // keys, but for WATCH, which only names them.
            assert!(
                !(c.is_write() && c.flags & READONLY != 0),
                "{}: both",
                c.name
            );
            if c.keys.0 > 0 && c.name != "watch" && !shard_channels {
                assert!(
                    c.is_write() || c.flags & READONLY != 0,
                    "{}: neither",
                    c.name
                );
            }
            let cats = c.categories();
            assert_eq!(
                cats.iter()
                    .filter(|x| **x == "@fast" || **x == "@slow")
                    .count(),
                1,
                "{}: {cats:?}",
                c.name
            );
        }
        for s in SUBCOMMANDS {
            let parent = s.name.split('|').next().unwrap_or_default();
            assert!(
                crate::cmd::lookup(parent.as_bytes()).is_some(),
                "{}",
                s.name
            );
        }
    }
}
