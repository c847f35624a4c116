//! `--typed` arguments: each argument after the command name is a JSON
//! literal, so integers, arrays, dictionaries and null can be sent.
//!
//! JSON number → integer (fractions and numbers outside i64 are refused:
//! the protocol has no floating-point type), string → bulk string, array →
//! array, object → dictionary in the written order, null → null, and
//! `true`/`false` → integer 1/0, the way the protocol spells booleans.
//!
//! Numbers are checked in the text as written, before JSON parsing: the
//! parser reads integers beyond 64 bits as floating point, and a message
//! quoting `1e20` for the `100000000000000000000` the user typed would be
//! wrong twice over.

use kvstore_protocol::Value;
use serde_json::Value as Json;

/// Why an argument is not a JSON literal we can send.
#[derive(Debug, PartialEq, Eq)]
pub struct TypedError(pub String);

impl std::fmt::Display for TypedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TypedError {}

/// One command-line argument as one JSON literal.
pub fn parse_arg(arg: &str) -> Result<Value, TypedError> {
    check_numbers(arg)?;
    let json: Json = serde_json::from_str(arg).map_err(|e| {
        TypedError(format!(
            "argument {arg:?} is not a JSON literal ({e}); in --typed mode write strings in double quotes, e.g. '\"{arg}\"'"
        ))
    })?;
    to_value(&json)
}

/// The rest of a prompt line after the command name: JSON literals
/// separated by whitespace, e.g. `"k" {"a": [1, 2]} null`.
/// A bare word gets the same quoting explanation as on the command line.
pub fn parse_line(rest: &str) -> Result<Vec<Value>, TypedError> {
    check_numbers(rest)?;
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Json>();
    let mut values = Vec::new();
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => return Ok(values),
            Some(Ok(json)) => values.push(to_value(&json)?),
            Some(Err(e)) => {
                let word = rest
                    .get(start..)
                    .and_then(|r| r.split_whitespace().next())
                    .unwrap_or_default();
                let looks_like_json =
                    word.starts_with(|c: char| c.is_ascii_digit() || "[{\"-".contains(c));
                return Err(TypedError(if looks_like_json {
                    format!("invalid JSON argument: {e}")
                } else {
                    format!(
                        "argument {word:?} is not a JSON literal ({e}); in --typed mode write strings in double quotes, e.g. \"{word}\""
                    )
                }));
            }
        }
    }
}

/// Converts parsed JSON to the protocol value it stands for.
pub fn to_value(json: &Json) -> Result<Value, TypedError> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Integer(i64::from(*b)),
        // check_numbers has already refused, quoting the user's text,
        // every number that is not an i64.
        Json::Number(n) => Value::Integer(n.as_i64().ok_or_else(|| {
            TypedError("a number is not an integer in the i64 range".to_string())
        })?),
        Json::String(s) => Value::bulk(s),
        Json::Array(items) => Value::Array(items.iter().map(to_value).collect::<Result<_, _>>()?),
        Json::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| Ok((Value::bulk(k), to_value(v)?)))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// Refuses the first number in JSON `text` that is not an integer in the
/// i64 range, quoting it exactly as written. Other mistakes are left to
/// the JSON parser, which explains them better.
fn check_numbers(text: &str) -> Result<(), TypedError> {
    let mut in_string = false;
    let mut escaped = false;
    let mut word_start = None;
    // A trailing space ends the last word without a special case.
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        let separator = c.is_whitespace() || "[]{},:\"".contains(c);
        match (separator, word_start) {
            (false, None) => word_start = Some(i),
            (true, Some(start)) => {
                word_start = None;
                check_number(text.get(start..i).unwrap_or_default())?;
            }
            _ => {}
        }
        in_string = c == '"';
    }
    Ok(())
}

fn check_number(word: &str) -> Result<(), TypedError> {
    let number_like = word.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        && word.contains(|c: char| c.is_ascii_digit())
        && word
            .chars()
            .all(|c| c.is_ascii_digit() || "+-.eE".contains(c));
    if !number_like || word.parse::<i64>().is_ok() {
        return Ok(());
    }
    let what = if word.contains(['.', 'e', 'E']) {
        "is not an integer; the protocol has no floating-point type"
    } else {
        "is beyond the 64-bit integer range (-9223372036854775808 to 9223372036854775807); the protocol has no bigger integer"
    };
    Err(TypedError(format!(
        "{word} {what}, send it as a string: \"{word}\""
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars() {
        assert_eq!(parse_arg("42").unwrap(), Value::Integer(42));
        assert_eq!(
            parse_arg("-9223372036854775808").unwrap(),
            Value::Integer(i64::MIN)
        );
        assert_eq!(parse_arg("\"42\"").unwrap(), Value::bulk("42"));
        assert_eq!(parse_arg("null").unwrap(), Value::Null);
        assert_eq!(parse_arg("true").unwrap(), Value::Integer(1));
        assert_eq!(parse_arg("false").unwrap(), Value::Integer(0));
    }

    #[test]
    fn aggregates_keep_order() {
        let v = parse_arg(r#"{"z": 1, "a": [null, "x", {}]}"#).unwrap();
        assert_eq!(
            v,
            Value::Map(vec![
                (Value::bulk("z"), Value::Integer(1)),
                (
                    Value::bulk("a"),
                    Value::Array(vec![Value::Null, Value::bulk("x"), Value::Map(vec![])])
                ),
            ])
        );
    }

    #[test]
    fn refusals_explain_themselves() {
        let err = parse_arg("1.5").unwrap_err();
        assert!(err.0.contains("no floating-point type"), "{err}");
        assert!(parse_arg("18446744073709551615").is_err());
        assert!(parse_arg("9223372036854775808").is_err());
        assert!(parse_arg("1e2").is_err());
    }

    #[test]
    fn big_integers_are_quoted_as_written_never_as_floats() {
        let err = parse_arg("100000000000000000000").unwrap_err();
        assert_eq!(
            err.0,
            "100000000000000000000 is beyond the 64-bit integer range \
             (-9223372036854775808 to 9223372036854775807); the protocol has no \
             bigger integer, send it as a string: \"100000000000000000000\""
        );
        let err = parse_arg(r#"{"a": [1, -100000000000000000000]}"#).unwrap_err();
        assert!(
            err.0.starts_with("-100000000000000000000 is beyond"),
            "{err}"
        );
        let err = parse_line(r#""k" 7 100000000000000000000"#).unwrap_err();
        assert!(
            err.0.starts_with("100000000000000000000 is beyond"),
            "{err}"
        );
        let err = parse_arg("2.5e10").unwrap_err();
        assert!(err.0.starts_with("2.5e10 is not an integer"), "{err}");
        assert_eq!(
            parse_arg(&i64::MIN.to_string()).unwrap(),
            Value::Integer(i64::MIN)
        );
        assert_eq!(
            parse_arg(&i64::MAX.to_string()).unwrap(),
            Value::Integer(i64::MAX)
        );
        // Digits inside strings, escaped quotes included, are not numbers.
        assert_eq!(
            parse_arg(r#""a\" 100000000000000000000""#).unwrap(),
            Value::bulk("a\" 100000000000000000000")
        );
        assert_eq!(
            parse_arg(r#"{"100000000000000000000": 1}"#).unwrap(),
            Value::Map(vec![(
                Value::bulk("100000000000000000000"),
                Value::Integer(1)
            )])
        );
        let err = parse_arg("hello").unwrap_err();
        assert!(err.0.contains("double quotes"), "{err}");
    }

    #[test]
    fn prompt_lines_hold_several_literals() {
        let vals = parse_line(r#" "k"  [1, 2] {"a":null} 7 "#).unwrap();
        assert_eq!(vals.len(), 4);
        assert_eq!(vals[3], Value::Integer(7));
        assert!(parse_line("").unwrap().is_empty());
        assert!(parse_line("\"k\" [1,").is_err());
        let err = parse_line(r#""k" [1] hello 2"#).unwrap_err();
        assert!(
            err.0
                .starts_with("argument \"hello\" is not a JSON literal")
                && err
                    .0
                    .ends_with("write strings in double quotes, e.g. \"hello\""),
            "{err}"
        );
        let err = parse_line("\"k\" [1,").unwrap_err();
        assert!(err.0.starts_with("invalid JSON argument"), "{err}");
    }
}
