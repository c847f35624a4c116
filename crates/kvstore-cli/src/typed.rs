//! `--typed` arguments: each argument after the command name is a JSON
//! literal, so integers, arrays, dictionaries and null can be sent.
//!
//! JSON number → integer (fractions and numbers outside i64 are refused:
//! the protocol has no floating-point type), string → bulk string, array →
//! array, object → dictionary in the written order, null → null, and
//! `true`/`false` → integer 1/0, the way the protocol spells booleans.

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
        Json::Number(n) => Value::Integer(n.as_i64().ok_or_else(|| {
            TypedError(format!(
                "{n} is not an integer in the i64 range; the protocol has no floating-point type, send it as a string"
            ))
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
