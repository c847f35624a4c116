//! Reading command arguments.

use std::borrow::Cow;

use kvstore_protocol::{parse_i64, Value};

use super::Ctx;

/// A key: a string as it is, or an integer as its decimal text.
pub fn key(v: &Value) -> Result<Cow<'_, [u8]>, Value> {
    match v {
        Value::Bulk(b) | Value::Simple(b) => Ok(Cow::Borrowed(b)),
        Value::Integer(n) => Ok(Cow::Owned(n.to_string().into_bytes())),
        other => Err(Value::error(format!(
            "ERR invalid key: expected a string or an integer, got {}",
            other.type_name()
        ))),
    }
}

/// An integer argument read as Redis's `string2ll` reads one: canonical
/// decimal only, so "01", "+1" and "-0" are refused. ([`integer`] is the
/// lenient reading the string and key commands use.)
pub fn strict_integer(v: &Value) -> Result<i64, Value> {
    match v {
        Value::Integer(n) => Ok(*n),
        Value::Bulk(b) | Value::Simple(b) => {
            crate::keyspace::object::canonical_int(b).ok_or_else(not_an_integer)
        }
        _ => Err(not_an_integer()),
    }
}

/// The value to store for `v`, or the error reply that refuses it.
///
/// Text is kept as a bulk string (simple strings go back as bulk). Strings
/// still point into the read buffer: the store copies them into its own
/// record, so a copy here would only be garbage. Error values are refused:
/// stored, they would come back as if the read itself had failed.
pub fn storable(v: &Value) -> Result<Value, Value> {
    Ok(match v {
        Value::Simple(b) | Value::Bulk(b) => Value::Bulk(b.clone()),
        Value::Error(_) => return Err(Value::error("ERR error values cannot be stored")),
        Value::Integer(n) => Value::Integer(*n),
        Value::Null | Value::NullArray => Value::Null,
        Value::Boolean(b) => Value::Boolean(*b),
        Value::Double(d) => Value::Double(*d),
        Value::Array(items) | Value::Push(items) => {
            Value::Array(items.iter().map(storable).collect::<Result<_, _>>()?)
        }
        Value::Set(items) => Value::Set(items.iter().map(storable).collect::<Result<_, _>>()?),
        Value::Map(pairs) => Value::Map(
            pairs
                .iter()
                .map(|(k, v)| Ok((storable(k)?, storable(v)?)))
                .collect::<Result<_, Value>>()?,
        ),
    })
}

/// An integer argument: an integer value, or a string holding one.
pub fn integer(v: &Value) -> Result<i64, Value> {
    match v {
        Value::Integer(n) => Ok(*n),
        Value::Bulk(b) | Value::Simple(b) => parse_i64(b).map_err(|_| not_an_integer()),
        _ => Err(not_an_integer()),
    }
}

pub fn not_an_integer() -> Value {
    Value::error("ERR value is not an integer or out of range")
}

pub fn syntax_error() -> Value {
    Value::error("ERR syntax error")
}

/// True if `v` is a string equal to `word`, ignoring ASCII case.
pub fn is_word(v: &Value, word: &str) -> bool {
    v.as_bytes()
        .is_some_and(|b| b.eq_ignore_ascii_case(word.as_bytes()))
}

/// Unwraps a `Result<T, Value>` or returns the error reply from the handler.
#[macro_export]
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(reply) => return reply,
        }
    };
}

/// The unit of a time argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Millis,
}

/// The deadline (Unix ms) that `n` names: `n` from `base` if `relative`,
/// else `n` itself, in `unit`. `None` where Redis answers "invalid expire
/// time": the value overflows in milliseconds. A result at or before now
/// (even negative) is a deadline already passed.
pub fn deadline_arg(n: i64, unit: Unit, relative: bool, base: u64) -> Option<i64> {
    let ms = match unit {
        Unit::Seconds => n.checked_mul(1000)?,
        Unit::Millis => n,
    };
    if relative {
        ms.checked_add(i64::try_from(base).ok()?)
    } else {
        Some(ms)
    }
}

/// A SCAN-family cursor as Redis reads one (C's `strtoul`): an optional
/// sign (a minus wraps around), decimal digits, nothing else; the empty
/// string is 0; past 2^64 - 1 is refused.
pub fn scan_cursor(b: &[u8]) -> Option<u64> {
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    if digits.is_empty() {
        return b.is_empty().then_some(0);
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { n.wrapping_neg() } else { n })
}

/// A database number argument, read as Redis reads one (a C `int`) and
/// checked against `--databases`.
pub fn db_index(ctx: &Ctx<'_>, v: &Value) -> Result<usize, Value> {
    let n = int32(v)?;
    usize::try_from(n)
        .ok()
        .filter(|&i| i < ctx.shared.keyspace.databases())
        .ok_or_else(|| Value::error("ERR DB index is out of range"))
}

/// An integer argument that must fit a C `int`, with Redis's errors.
pub fn int32(v: &Value) -> Result<i32, Value> {
    let n = integer(v)?;
    i32::try_from(n).map_err(|_| {
        Value::error("ERR value is out of range, value must between -2147483648 and 2147483647")
    })
}
