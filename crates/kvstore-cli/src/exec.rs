//! Turning words into a request and a reply into output; shared by the
//! one-shot mode and the prompt.

use std::io::{self, Write};

use kvstore_client::{Error, Value};

use crate::{format, typed};

/// Builds a request from command-line words: all bulk strings, or with
/// `typed`, the command name as a string and the rest as JSON literals.
pub fn request(words: &[String], typed_args: bool) -> Result<Vec<Value>, typed::TypedError> {
    let Some((name, rest)) = words.split_first() else {
        return Ok(Vec::new());
    };
    let mut cmd = vec![Value::bulk(name)];
    for word in rest {
        cmd.push(if typed_args {
            typed::parse_arg(word)?
        } else {
            Value::bulk(word)
        });
    }
    Ok(cmd)
}

/// What became of a command, for the exit status.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Reply,
    ErrorReply,
    /// The connection failed and must be re-established.
    ConnectionLost,
    /// The reply could not be used but the connection is fine.
    OtherError,
}

/// Prints the result of a command. Replies and error replies go to `out`
/// (as redis-cli does), except that `--raw` sends error replies to `err`
/// so a script's captured output holds values only.
pub fn print_result(
    result: Result<Value, Error>,
    raw: bool,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<Outcome> {
    match result {
        Ok(value) => {
            if raw {
                out.write_all(&format::raw(&value))?;
            } else {
                writeln!(out, "{}", format::human(&value))?;
            }
            Ok(Outcome::Reply)
        }
        Err(Error::Server(msg)) => {
            if raw {
                writeln!(err, "{msg}")?;
            } else {
                writeln!(out, "(error) {}", format::escaped(&msg))?;
            }
            Ok(Outcome::ErrorReply)
        }
        Err(e) if e.is_connection_error() => {
            writeln!(err, "Error: {e}")?;
            Ok(Outcome::ConnectionLost)
        }
        Err(e) => {
            writeln!(err, "Error: {e}")?;
            Ok(Outcome::OtherError)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plain_words_are_bulk_strings() {
        let cmd = request(&words(&["set", "a", "1"]), false).unwrap();
        assert_eq!(
            cmd,
            [Value::bulk("set"), Value::bulk("a"), Value::bulk("1")]
        );
    }

    #[test]
    fn typed_words_except_the_name_are_json() {
        let cmd = request(&words(&["set", "\"a\"", "1"]), true).unwrap();
        assert_eq!(
            cmd,
            [Value::bulk("set"), Value::bulk("a"), Value::Integer(1)]
        );
        assert!(request(&words(&["set", "a", "1"]), true).is_err());
        assert!(request(&[], true).unwrap().is_empty());
    }

    fn printed(result: Result<Value, Error>, raw: bool) -> (Outcome, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let outcome = print_result(result, raw, &mut out, &mut err).unwrap();
        (
            outcome,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn replies_and_errors_are_printed_where_they_belong() {
        let (o, out, _) = printed(Ok(Value::Integer(1)), false);
        assert_eq!((o, out.as_str()), (Outcome::Reply, "(integer) 1\n"));
        let (o, out, _) = printed(Err(Error::Server("ERR no".into())), false);
        assert_eq!((o, out.as_str()), (Outcome::ErrorReply, "(error) ERR no\n"));
        let (o, out, err) = printed(Err(Error::Server("ERR no".into())), true);
        assert_eq!(
            (o, out.as_str(), err.as_str()),
            (Outcome::ErrorReply, "", "ERR no\n")
        );
        let (_, out, _) = printed(Err(Error::Server("ERR \x1b[31mred\n".into())), false);
        assert_eq!(out, "(error) ERR \\x1b[31mred\\n\n");
        let (o, _, err) = printed(Err(Error::Closed), false);
        assert_eq!(o, Outcome::ConnectionLost);
        assert!(err.contains("closed"));
    }
}
