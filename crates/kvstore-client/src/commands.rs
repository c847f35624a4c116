//! Requests and reply checks for the seed commands, shared by the blocking
//! client, the async client and the pipeline so all three send the same
//! bytes and read replies the same way.

use kvstore_protocol::Value;

use crate::convert::{FromValue, ToValue};
use crate::error::{ConversionError, Result};

/// Building a request can only fail on an argument's conversion.
type Built<T> = std::result::Result<T, ConversionError>;

fn name(cmd: &'static str) -> Value {
    Value::Bulk(bytes::Bytes::from_static(cmd.as_bytes()))
}

pub(crate) fn get(key: &impl ToValue) -> Built<Vec<Value>> {
    Ok(vec![name("GET"), key.to_value()?])
}

pub(crate) fn set(key: &impl ToValue, value: &impl ToValue) -> Built<Vec<Value>> {
    Ok(vec![name("SET"), key.to_value()?, value.to_value()?])
}

pub(crate) fn delete(key: &impl ToValue) -> Built<Vec<Value>> {
    Ok(vec![name("DELETE"), key.to_value()?])
}

pub(crate) fn flush() -> Vec<Value> {
    vec![name("FLUSH")]
}

pub(crate) fn mget<I>(keys: I) -> Built<Vec<Value>>
where
    I: IntoIterator,
    I::Item: ToValue,
{
    let mut cmd = vec![name("MGET")];
    for key in keys {
        cmd.push(key.to_value()?);
    }
    Ok(cmd)
}

/// The request and the number of pairs in it.
pub(crate) fn mset<I, K, V>(pairs: I) -> Built<(Vec<Value>, i64)>
where
    I: IntoIterator<Item = (K, V)>,
    K: ToValue,
    V: ToValue,
{
    let mut cmd = vec![name("MSET")];
    for (k, v) in pairs {
        cmd.push(k.to_value()?);
        cmd.push(v.to_value()?);
    }
    let count = (cmd.len() as i64 - 1) / 2;
    Ok((cmd, count))
}

/// A count reply. Redis answers `SET` and `MSET` with `+OK` instead of a
/// count; that is read as `if_ok` so the client also works against it.
pub(crate) fn count(reply: Value, if_ok: i64) -> Result<i64> {
    match reply {
        Value::Integer(n) => Ok(n),
        Value::Simple(ref s) if s.as_ref() == b"OK" => Ok(if_ok),
        other => Err(ConversionError::unexpected("integer", &other).into()),
    }
}

/// Converts an `MGET` reply element-wise, keeping nulls as `None`.
pub(crate) fn mget_reply<V: FromValue>(reply: Value) -> Result<Vec<Option<V>>> {
    Ok(Vec::<Option<V>>::from_value(reply)?)
}

/// `AUTH [user] password`, as the options give it.
pub(crate) fn auth(auth: &crate::options::Auth) -> Vec<Value> {
    let mut cmd = vec![Value::from("AUTH")];
    if let Some(user) = &auth.user {
        cmd.push(Value::from(user.as_str()));
    }
    cmd.push(Value::from(auth.password.as_str()));
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_keep_argument_types() {
        assert_eq!(
            set(&"k", &vec![1, 2]).unwrap(),
            vec![
                Value::bulk("SET"),
                Value::bulk("k"),
                Value::Array(vec![Value::Integer(1), Value::Integer(2)])
            ]
        );
        let (cmd, n) = mset([("a", 1), ("b", 2)]).unwrap();
        assert_eq!(n, 2);
        assert_eq!(cmd.len(), 5);
        assert_eq!(mget(["a", "b"]).unwrap()[2], Value::bulk("b"));
        assert!(get(&u64::MAX).is_err());
    }

    #[test]
    fn count_accepts_integers_and_redis_ok() {
        assert_eq!(count(Value::Integer(3), 9).unwrap(), 3);
        assert_eq!(count(Value::ok(), 9).unwrap(), 9);
        assert!(count(Value::bulk("1"), 9).is_err());
    }
}
