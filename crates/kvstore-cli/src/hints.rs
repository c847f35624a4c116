//! Argument hints and command-name completion at the prompt, from the
//! server's own `COMMAND DOCS`, the way redis-cli shows them: after `set `
//! the rest of the syntax, `key value [NX|XX] ...`, appears in grey, and
//! Tab completes a command name in upper case.
//!
//! The docs are asked for once per session. A server that does not answer
//! `COMMAND DOCS` (an old one, or another implementation) leaves the table
//! empty, and the prompt works as before without hints.

use std::borrow::Cow;

use kvstore_client::{Client, Error, Value};
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter};
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

/// One command (or `CONTAINER SUBCOMMAND`) as the prompt knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Upper case, a subcommand after a space: `CONFIG GET`.
    pub name: String,
    /// The arguments as redis-cli writes them: `key value [NX|XX]`.
    pub params: String,
    pub summary: String,
    pub group: String,
}

/// Every command the server documented, sorted by name.
#[derive(Debug, Default)]
pub struct Docs {
    entries: Vec<Entry>,
}

impl Docs {
    /// Asks the server. A connection failure is returned (the session then
    /// reconnects); an error reply or a reply of another shape means "no
    /// docs".
    pub fn fetch(client: &mut Client) -> Result<Docs, Error> {
        match client.execute(&[Value::bulk("COMMAND"), Value::bulk("DOCS")]) {
            Ok(reply) => Ok(Docs::parse(&reply)),
            Err(e) if e.is_connection_error() => Err(e),
            Err(_) => Ok(Docs::default()),
        }
    }

    /// Reads a `COMMAND DOCS` reply: a map (or, in RESP2, a flat array of
    /// pairs) of command name to its docs, where subcommands sit under
    /// `subcommands` named `container|sub`. Entries it cannot read are
    /// skipped.
    pub fn parse(reply: &Value) -> Docs {
        let mut entries = Vec::new();
        collect(reply, &mut entries);
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        entries.dedup_by(|a, b| a.name == b.name);
        Docs { entries }
    }

    /// The entry for the command at the start of `words`, preferring a
    /// subcommand (`config get`) over its container, with how many words
    /// its name took.
    fn lookup(&self, words: &[&str]) -> Option<(&Entry, usize)> {
        let find = |name: String| {
            self.entries
                .binary_search_by(|e| e.name.as_str().cmp(&name))
                .ok()
                .and_then(|i| self.entries.get(i))
        };
        let first = words.first()?.to_ascii_uppercase();
        if let Some(second) = words.get(1) {
            let sub = format!("{first} {}", second.to_ascii_uppercase());
            if let Some(e) = find(sub) {
                return Some((e, 2));
            }
        }
        find(first).map(|e| (e, 1))
    }

    /// What to show in grey after `line` (the cursor at its end): the
    /// arguments not typed yet. As in redis-cli, each typed argument uses
    /// up one word of the hint until the optional part (`[...]`) starts.
    pub fn hint(&self, line: &str) -> Option<String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (entry, name_words) = self.lookup(&words)?;
        let mut params = entry.params.as_str();
        for _ in name_words..words.len() {
            if params.starts_with('[') {
                break;
            }
            params = params.split_once(' ').map_or("", |(_, rest)| rest);
        }
        if params.is_empty() {
            return None;
        }
        let space = if line.ends_with(char::is_whitespace) {
            ""
        } else {
            " "
        };
        Some(format!("{space}{params}"))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `help set` at the prompt, as redis-cli prints it: the syntax, the
    /// summary and the group.
    pub fn describe(&self, topic: &str) -> Option<String> {
        let words: Vec<&str> = topic.split_whitespace().collect();
        let (entry, _) = self.lookup(&words)?;
        Some(format!(
            "\n  {} {}\n  summary: {}\n  group: {}\n",
            entry.name, entry.params, entry.summary, entry.group
        ))
    }

    /// Command names that complete `line` (the text before the cursor),
    /// in upper case, each replacing the whole line typed so far (or what
    /// follows `help `).
    pub fn complete(&self, line: &str) -> (usize, Vec<String>) {
        let mut start = line.len() - line.trim_start().len();
        if let Some(topic) = help_topic(&line[start..]) {
            start = line.len() - topic.len();
        }
        let typed = line[start..].to_ascii_uppercase();
        if typed.is_empty() {
            return (start, Vec::new());
        }
        let names = self
            .entries
            .iter()
            .filter(|e| e.name.starts_with(&typed))
            .map(|e| e.name.clone())
            .collect();
        (start, names)
    }
}

/// What follows `help ` (any case) on a line, if it starts so.
pub fn help_topic(line: &str) -> Option<&str> {
    let (word, rest) = line.trim_start().split_once(char::is_whitespace)?;
    word.eq_ignore_ascii_case("help").then(|| rest.trim_start())
}

fn collect(reply: &Value, out: &mut Vec<Entry>) {
    for (name, docs) in pairs(reply) {
        let Some(name) = text(name) else { continue };
        let (mut params, mut summary, mut group) = (String::new(), String::new(), String::new());
        for (field, value) in pairs(docs) {
            match text(field).as_deref() {
                Some("arguments") => params = args_text(value, " "),
                Some("summary") => summary = text(value).unwrap_or_default(),
                Some("group") => group = text(value).unwrap_or_default(),
                Some("subcommands") => collect(value, out),
                _ => {}
            }
        }
        out.push(Entry {
            name: name.replace('|', " ").to_ascii_uppercase(),
            params,
            summary,
            group,
        });
    }
}

/// The arguments in `value` (an array of argument maps), joined by `sep`.
fn args_text(value: &Value, sep: &str) -> String {
    let Value::Array(args) = value else {
        return String::new();
    };
    args.iter()
        .map(arg_text)
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(sep)
}

/// One argument as redis-cli writes it: `key`, `[NX|XX]`, `EX seconds`,
/// `key [key ...]`.
fn arg_text(arg: &Value) -> String {
    let (mut name, mut kind, mut token) = (String::new(), String::new(), None);
    let (mut optional, mut multiple, mut multiple_token) = (false, false, false);
    let mut children = None;
    for (field, value) in pairs(arg) {
        match text(field).as_deref() {
            Some("name") => name = text(value).unwrap_or_default(),
            Some("type") => kind = text(value).unwrap_or_default(),
            Some("token") => token = text(value),
            Some("flags") => {
                if let Value::Array(flags) = value {
                    for flag in flags.iter().filter_map(text) {
                        optional |= flag == "optional";
                        multiple |= flag == "multiple";
                        multiple_token |= flag == "multiple_token";
                    }
                }
            }
            Some("arguments") => children = Some(value),
            _ => {}
        }
    }
    // Read after the loop: the separator depends on "type", which may come
    // after "arguments".
    let children = children.map_or(String::new(), |c| {
        args_text(c, if kind == "oneof" { "|" } else { " " })
    });
    let core = match kind.as_str() {
        "pure-token" => token.clone().unwrap_or(name),
        "oneof" | "block" => children,
        _ => name,
    };
    let with_token = match (&token, kind.as_str()) {
        (Some(t), k) if k != "pure-token" => format!("{t} {core}"),
        _ => core.clone(),
    };
    let mut body = with_token.clone();
    if multiple {
        let again = if multiple_token { &with_token } else { &core };
        body = format!("{body} [{again} ...]");
    }
    if optional {
        body = format!("[{body}]");
    }
    body
}

/// The key/value pairs of a map, or of a RESP2 flat array.
fn pairs(value: &Value) -> Vec<(&Value, &Value)> {
    match value {
        Value::Map(pairs) => pairs.iter().map(|(k, v)| (k, v)).collect(),
        Value::Array(items) => items
            .chunks_exact(2)
            .filter_map(|c| Some((c.first()?, c.get(1)?)))
            .collect(),
        _ => Vec::new(),
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::Bulk(b) | Value::Simple(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

/// The prompt's rustyline helper.
#[derive(Default)]
pub struct CliHelper {
    pub docs: Docs,
    /// Grey hints, unless `NO_COLOR` asks for none.
    pub color: bool,
}

/// A hint is only shown: accepting it would type placeholders such as
/// `key` into the line.
pub struct ArgHint(String);

impl Hint for ArgHint {
    fn display(&self) -> &str {
        &self.0
    }

    fn completion(&self) -> Option<&str> {
        None
    }
}

impl Hinter for CliHelper {
    type Hint = ArgHint;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<ArgHint> {
        // Only at the end of the line, where the hint has room.
        if pos < line.len() {
            return None;
        }
        self.docs.hint(line).map(ArgHint)
    }
}

impl Completer for CliHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, names) = self.docs.complete(line.get(..pos).unwrap_or(line));
        let pairs = names
            .into_iter()
            .map(|n| Pair {
                display: n.clone(),
                replacement: n,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Highlighter for CliHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            // Bright black, the grey redis-cli uses.
            Cow::Owned(format!("\x1b[90m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        false
    }
}

impl Validator for CliHelper {}

impl Helper for CliHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::bulk(s)
    }

    fn arg(fields: &[(&str, Value)]) -> Value {
        Value::Array(
            fields
                .iter()
                .flat_map(|(k, v)| [bulk(k), v.clone()])
                .collect(),
        )
    }

    fn flags(names: &[&'static str]) -> Value {
        Value::Array(names.iter().map(|n| Value::simple(n)).collect())
    }

    fn token(t: &str) -> Value {
        arg(&[
            ("name", bulk(&t.to_ascii_lowercase())),
            ("type", bulk("pure-token")),
            ("token", bulk(t)),
        ])
    }

    /// A RESP2 reply as kvstore sends it, cut down to SET, DEL and CONFIG.
    fn canned() -> Value {
        let set_args = Value::Array(vec![
            arg(&[("name", bulk("key")), ("type", bulk("key"))]),
            arg(&[("name", bulk("value")), ("type", bulk("string"))]),
            arg(&[
                ("name", bulk("condition")),
                ("type", bulk("oneof")),
                ("flags", flags(&["optional"])),
                ("arguments", Value::Array(vec![token("NX"), token("XX")])),
            ]),
            arg(&[
                ("name", bulk("seconds")),
                ("type", bulk("integer")),
                ("token", bulk("EX")),
                ("flags", flags(&["optional"])),
            ]),
        ]);
        let del_args = Value::Array(vec![arg(&[
            ("name", bulk("key")),
            ("type", bulk("key")),
            ("flags", flags(&["multiple"])),
        ])]);
        let get_args = Value::Array(vec![arg(&[
            ("name", bulk("parameter")),
            ("type", bulk("string")),
            ("flags", flags(&["multiple"])),
        ])]);
        let config_subs = Value::Array(vec![
            bulk("config|get"),
            arg(&[
                ("summary", bulk("Reads settings.")),
                ("arguments", get_args),
            ]),
        ]);
        Value::Array(vec![
            bulk("set"),
            arg(&[("summary", bulk("Sets.")), ("arguments", set_args)]),
            bulk("del"),
            arg(&[("group", bulk("generic")), ("arguments", del_args)]),
            bulk("config"),
            arg(&[
                ("arguments", Value::Array(vec![])),
                ("subcommands", config_subs),
            ]),
        ])
    }

    #[test]
    fn canned_reply_is_read_into_redis_cli_style_params() {
        let docs = Docs::parse(&canned());
        let table: Vec<(&str, &str)> = docs
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.params.as_str()))
            .collect();
        assert_eq!(
            table,
            [
                ("CONFIG", ""),
                ("CONFIG GET", "parameter [parameter ...]"),
                ("DEL", "key [key ...]"),
                ("SET", "key value [NX|XX] [EX seconds]"),
            ]
        );
    }

    #[test]
    fn resp3_maps_read_the_same() {
        fn to_map(v: &Value) -> Value {
            match v {
                Value::Array(items) if items.len() % 2 == 0 && !items.is_empty() => {
                    let is_map = matches!(items.first(), Some(Value::Bulk(_)));
                    if is_map {
                        Value::Map(
                            items
                                .chunks_exact(2)
                                .map(|c| (c[0].clone(), to_map(&c[1])))
                                .collect(),
                        )
                    } else {
                        Value::Array(items.iter().map(to_map).collect())
                    }
                }
                Value::Array(items) => Value::Array(items.iter().map(to_map).collect()),
                other => other.clone(),
            }
        }
        let docs = Docs::parse(&to_map(&canned()));
        assert_eq!(docs.hint("del "), Some("key [key ...]".to_string()));
    }

    #[test]
    fn hints_drop_typed_arguments_until_the_optional_part() {
        let docs = Docs::parse(&canned());
        let hint = |l: &str| docs.hint(l);
        assert_eq!(
            hint("set").as_deref(),
            Some(" key value [NX|XX] [EX seconds]")
        );
        assert_eq!(
            hint("SeT ").as_deref(),
            Some("key value [NX|XX] [EX seconds]")
        );
        assert_eq!(
            hint("set k").as_deref(),
            Some(" value [NX|XX] [EX seconds]")
        );
        assert_eq!(hint("set k v ").as_deref(), Some("[NX|XX] [EX seconds]"));
        assert_eq!(hint("set k v nx ").as_deref(), Some("[NX|XX] [EX seconds]"));
        assert_eq!(
            hint("config get").as_deref(),
            Some(" parameter [parameter ...]")
        );
        assert_eq!(hint("config"), None);
        assert_eq!(hint("sett"), None);
        assert_eq!(hint(""), None);
        assert!(Docs::default().hint("set ").is_none());
    }

    #[test]
    fn completion_is_case_insensitive_and_upper_case() {
        let docs = Docs::parse(&canned());
        assert_eq!(docs.complete("s"), (0, vec!["SET".to_string()]));
        assert_eq!(
            docs.complete("  conf"),
            (2, vec!["CONFIG".to_string(), "CONFIG GET".to_string()])
        );
        assert_eq!(
            docs.complete("config g"),
            (0, vec!["CONFIG GET".to_string()])
        );
        assert_eq!(docs.complete("HELP  de"), (6, vec!["DEL".to_string()]));
        assert!(docs.complete("set k").1.is_empty());
        assert!(docs.complete("").1.is_empty());
    }

    #[test]
    fn help_describes_a_command() {
        let docs = Docs::parse(&canned());
        assert_eq!(
            docs.describe("set").as_deref(),
            Some("\n  SET key value [NX|XX] [EX seconds]\n  summary: Sets.\n  group: \n")
        );
        let config_get = docs.describe("Config GET").unwrap();
        assert!(
            config_get.contains("summary: Reads settings."),
            "{config_get}"
        );
        assert_eq!(docs.describe("nope"), None);
        assert_eq!(help_topic("help  config get"), Some("config get"));
        assert_eq!(help_topic("HELP x"), Some("x"));
        assert_eq!(help_topic("help"), None);
        assert_eq!(help_topic("helpx y"), None);
    }

    #[test]
    fn anything_else_is_no_docs() {
        assert!(Docs::parse(&Value::error("ERR unknown command"))
            .entries
            .is_empty());
        assert!(Docs::parse(&Value::Integer(3)).entries.is_empty());
        // A name that is not a string is skipped, the rest kept.
        let reply = Value::Array(vec![
            Value::Integer(1),
            Value::Array(vec![]),
            bulk("ping"),
            Value::Array(vec![]),
        ]);
        let docs = Docs::parse(&reply);
        assert_eq!(docs.complete("p").1, ["PING"]);
    }

    #[test]
    fn the_real_server_documents_its_commands() {
        let server = kvstore_server::BackgroundServer::start();
        let mut client = Client::connect(server.addr()).unwrap();
        let docs = Docs::fetch(&mut client).unwrap();
        let hint = docs.hint("set ").unwrap();
        assert!(hint.starts_with("key value [NX|XX]"), "{hint}");
        assert_eq!(docs.hint("get ").as_deref(), Some("key"));
        assert!(docs
            .complete("config ")
            .1
            .contains(&"CONFIG GET".to_string()));
        // The connection is still usable afterwards.
        assert_eq!(
            client.execute(&[bulk("PING")]).unwrap(),
            Value::simple("PONG")
        );
    }

    #[test]
    fn a_server_without_command_docs_gives_no_hints() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // An old server: any command is unknown.
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 256];
            let n = conn.read(&mut buf).unwrap();
            assert!(buf[..n].starts_with(b"*2\r\n$7\r\nCOMMAND\r\n"));
            conn.write_all(b"-ERR unknown command 'COMMAND'\r\n")
                .unwrap();
        });
        let mut client = Client::connect(addr).unwrap();
        let docs = Docs::fetch(&mut client).unwrap();
        assert!(docs.entries.is_empty());
        assert_eq!(docs.hint("set "), None);
        server.join().unwrap();
    }
}
