//! The typed value that every message on the wire is made of.

use bytes::Bytes;

/// One protocol value.
///
/// The seed protocol defines simple strings, errors, integers, bulk strings
/// (with null), arrays and dictionaries. Booleans, doubles and sets come from
/// RESP3: the server never needs them, but a client must be able to read them
/// from a Redis server it happens to talk to.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `+text` — a line of text without CR or LF.
    Simple(Bytes),
    /// `-message` — an error reply.
    Error(Bytes),
    /// `:n` — a signed 64-bit integer.
    Integer(i64),
    /// `$n` — a binary-safe string.
    Bulk(Bytes),
    /// `$-1`, `*-1` or RESP3 `_`.
    Null,
    /// A missing array, where Redis distinguishes one (an aborted `EXEC`,
    /// a pop of several from nothing): `*-1` in the seed and RESP2
    /// dialects, `_` in RESP3. Servers send it; decoding `*-1` gives
    /// [`Value::Null`].
    NullArray,
    /// `*n` — an ordered list of values.
    Array(Vec<Value>),
    /// `%n` — key/value pairs, kept in the order they were received.
    Map(Vec<(Value, Value)>),
    /// RESP3 `#t` / `#f`.
    Boolean(bool),
    /// RESP3 `,` double.
    Double(f64),
    /// RESP3 `~n` set, kept in the order received.
    Set(Vec<Value>),
    /// RESP3 `>n` push: data the server sends unasked (pub/sub messages).
    /// Clients that speak RESP2 get it as an array.
    Push(Vec<Value>),
}

impl Value {
    /// A simple string reply such as `+OK`.
    pub fn simple(s: &'static str) -> Value {
        Value::Simple(Bytes::from_static(s.as_bytes()))
    }

    /// An error reply; `msg` should start with an error code such as `ERR`.
    pub fn error(msg: impl Into<String>) -> Value {
        Value::Error(Bytes::from(msg.into()))
    }

    /// A bulk string copied from `data`.
    pub fn bulk(data: impl AsRef<[u8]>) -> Value {
        Value::Bulk(Bytes::copy_from_slice(data.as_ref()))
    }

    /// `+OK`, the most common Redis reply.
    pub fn ok() -> Value {
        Value::simple("OK")
    }

    /// The bytes of a simple or bulk string; `None` for every other type.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Simple(b) | Value::Bulk(b) => Some(b),
            _ => None,
        }
    }

    /// True for an error reply.
    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_))
    }

    /// A short name for the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Simple(_) => "simple string",
            Value::Error(_) => "error",
            Value::Integer(_) => "integer",
            Value::Bulk(_) => "bulk string",
            Value::Null | Value::NullArray => "null",
            Value::Array(_) => "array",
            Value::Map(_) => "dictionary",
            Value::Boolean(_) => "boolean",
            Value::Double(_) => "double",
            Value::Set(_) => "set",
            Value::Push(_) => "push",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::bulk(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Bulk(Bytes::from(s))
    }
}

impl From<&[u8]> for Value {
    fn from(b: &[u8]) -> Value {
        Value::bulk(b)
    }
}

impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Value {
        Value::Bulk(Bytes::from(b))
    }
}

impl From<Bytes> for Value {
    fn from(b: Bytes) -> Value {
        Value::Bulk(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Integer(n)
    }
}
