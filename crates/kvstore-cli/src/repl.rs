//! The interactive prompt.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Result;
use kvstore_client::{Client, Error, Value};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::Editor;

use crate::args::Args;
use crate::exec::{self, Outcome};
use crate::hints::{self, CliHelper, Docs};
use crate::{split, typed};

const HELP: &str = "\
kvstore-cli: type a command and its arguments, e.g.

  SET key value       store a value; answers (integer) 1
  GET key             the value, or (nil)
  DELETE key          (integer) 1 if the key existed, else 0
  MSET k1 v1 k2 v2    store several values; answers how many
  MGET k1 k2          the values, (nil) for missing keys
  FLUSH               remove every key; answers how many

Any other command is sent as typed. Quote arguments with spaces:
  set greeting \"hello world\"   (\\n, \\t, \\xHH escapes work in double quotes)
  set path 'C:\\dir'              (single quotes are literal)

Start with --typed to write arguments as JSON literals (strings quoted):
  set \"n\" 42    set \"list\" [1, \"two\", null]    set \"d\" {\"a\": 1}    get \"n\"

help      this text
help CMD  the syntax and summary of CMD, from the server
quit      leave (also exit, Ctrl-D or Ctrl-C)";

/// One connection that is re-established on the next command after it
/// fails, like redis-cli.
struct Session<'a> {
    args: &'a Args,
    client: Option<Client>,
}

impl Session<'_> {
    fn connect(&mut self) -> Result<&mut Client, Error> {
        if self.client.is_none() {
            self.client = Some(Client::connect_with(
                self.args.addr(),
                &self.args.client_options(crate::env_password()),
            )?);
        }
        // Just filled above when it was empty.
        self.client.as_mut().ok_or(Error::Broken)
    }

    fn prompt(&self) -> String {
        match self.client {
            Some(_) => format!("{}> ", self.args.addr()),
            None => "not connected> ".to_string(),
        }
    }
}

pub fn run(args: &Args) -> Result<()> {
    let mut editor: Editor<CliHelper, DefaultHistory> = Editor::new()?;
    let interactive = io::stdin().is_terminal();
    editor.set_helper(Some(CliHelper {
        docs: Docs::default(),
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }));
    // Hints are for someone typing; a script is not sent a command it did
    // not write.
    let mut docs_wanted = interactive;
    // Piped input is a script, not something typed: recording it would
    // fill (or create) the user's history with lines nobody typed.
    let history = if interactive { history_file() } else { None };
    if let Some(path) = &history {
        // A missing history file is normal on first use.
        let _ = editor.load_history(path);
    }
    let mut session = Session { args, client: None };
    if let Err(e) = session.connect() {
        // Messages to the user are best effort: a closed stderr must not
        // stop (or panic) the prompt.
        let _ = writeln!(io::stderr(), "Could not connect to {}: {e}", args.addr());
    }
    loop {
        if docs_wanted {
            if let Some(client) = session.client.as_mut() {
                match Docs::fetch(client) {
                    Ok(docs) => {
                        docs_wanted = false;
                        if let Some(helper) = editor.helper_mut() {
                            helper.docs = docs;
                        }
                    }
                    // Asked again after the next command reconnects.
                    Err(_) => session.client = None,
                }
            }
        }
        let line = match editor.readline(&session.prompt()) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(line);
        if let Some(path) = &history {
            // Saved line by line so that no way out (an error, a closed
            // terminal, a kill) loses what was typed. History is a
            // convenience: failing to write it is not worth stopping for.
            let _ = editor.append_history(path);
        }
        match line.to_ascii_lowercase().as_str() {
            "quit" | "exit" => break,
            "help" | "?" => {
                // A closed stdout ends the session, like a failed reply.
                writeln!(io::stdout(), "{HELP}")?;
                continue;
            }
            _ => {}
        }
        if let Some(topic) = hints::help_topic(line) {
            describe(&mut editor, &mut session, topic)?;
            continue;
        }
        let command = match parse(line, args.typed) {
            Ok(command) => command,
            Err(msg) => {
                let _ = writeln!(io::stderr(), "{msg}");
                continue;
            }
        };
        run_one(&mut session, &command)?;
    }
    Ok(())
}

/// `help COMMAND`: its syntax and summary from the server's docs, which
/// piped input has not fetched yet.
fn describe(
    editor: &mut Editor<CliHelper, DefaultHistory>,
    session: &mut Session,
    topic: &str,
) -> io::Result<()> {
    let Some(helper) = editor.helper_mut() else {
        return Ok(());
    };
    if helper.docs.is_empty() {
        if let Ok(client) = session.connect() {
            match Docs::fetch(client) {
                Ok(docs) => helper.docs = docs,
                Err(_) => session.client = None,
            }
        }
    }
    match helper.docs.describe(topic) {
        Some(text) => writeln!(io::stdout(), "{text}"),
        None => {
            let _ = writeln!(
                io::stderr(),
                "No help for {:?}: the server did not document it (type help for the basics)",
                topic
            );
            Ok(())
        }
    }
}

fn run_one(session: &mut Session, command: &[Value]) -> io::Result<()> {
    let result = match session.connect() {
        Ok(client) => client.execute(command),
        Err(e) => {
            let _ = writeln!(
                io::stderr(),
                "Could not connect to {}: {e}",
                session.args.addr()
            );
            return Ok(());
        }
    };
    let (mut out, mut err) = (io::stdout().lock(), io::stderr().lock());
    if exec::print_result(result, session.args.raw, &mut out, &mut err)? == Outcome::ConnectionLost
    {
        session.client = None;
    }
    out.flush()
}

/// The request typed on one line.
fn parse(line: &str, typed_args: bool) -> Result<Vec<Value>, String> {
    if typed_args {
        let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let mut command = vec![Value::bulk(name)];
        command.extend(typed::parse_line(rest).map_err(|e| e.to_string())?);
        Ok(command)
    } else {
        let words = split::split(line).ok_or("Invalid argument(s): unbalanced quotes")?;
        Ok(words.into_iter().map(Value::from).collect())
    }
}

/// `$KVSTORE_CLI_HISTFILE`, or `~/.kvstore_cli_history`; an empty value or
/// `/dev/null` turns history saving off.
fn history_file() -> Option<PathBuf> {
    match std::env::var_os("KVSTORE_CLI_HISTFILE") {
        Some(p) if p.is_empty() || p == "/dev/null" => None,
        Some(p) => Some(PathBuf::from(p)),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kvstore_cli_history")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_are_split_into_bulk_strings() {
        let cmd = parse(r#"set k "hello world""#, false).unwrap();
        assert_eq!(
            cmd,
            [
                Value::bulk("set"),
                Value::bulk("k"),
                Value::bulk("hello world")
            ]
        );
        assert!(parse(r#"set k "oops"#, false).is_err());
    }

    #[test]
    fn typed_lines_are_json_after_the_name() {
        let cmd = parse(r#"set "k" {"a": [1, null]}"#, true).unwrap();
        assert_eq!(cmd[0], Value::bulk("set"));
        assert_eq!(
            cmd[2],
            Value::Map(vec![(
                Value::bulk("a"),
                Value::Array(vec![Value::Integer(1), Value::Null])
            )])
        );
        assert_eq!(parse("flush", true).unwrap(), [Value::bulk("flush")]);
        assert!(parse("get k", true).is_err());
    }
}
