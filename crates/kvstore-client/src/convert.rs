//! Conversions between Rust values and protocol [`Value`]s.
//!
//! [`ToValue`] turns arguments into values and [`FromValue`] turns replies
//! back into Rust types. Both keep the protocol type: an `i64` is sent as an
//! integer, a `Vec` as an array, a map as a dictionary and `None` as null.
//!
//! Bytes are strings: `&[u8]` and `Vec<u8>` are bulk strings, not arrays of
//! integers. For that reason `u8` on its own is neither sent nor read.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use bytes::Bytes;
use kvstore_protocol::Value;

use crate::error::ConversionError;

/// A Rust value that can be sent as a protocol value.
///
/// Conversion is fallible only for integers outside the `i64` range.
///
/// ```
/// use kvstore_client::{ToValue, Value};
///
/// assert_eq!("hi".to_value().unwrap(), Value::bulk("hi"));
/// assert_eq!(42u32.to_value().unwrap(), Value::Integer(42));
/// assert_eq!(vec![1, 2].to_value().unwrap(),
///            Value::Array(vec![Value::Integer(1), Value::Integer(2)]));
/// assert_eq!(None::<i64>.to_value().unwrap(), Value::Null);
/// assert!(u64::MAX.to_value().is_err());
/// ```
pub trait ToValue {
    /// Builds the value to send.
    fn to_value(&self) -> Result<Value, ConversionError>;
}

/// A Rust type that can be read out of a reply.
///
/// Each type accepts the protocol type it corresponds to. Numbers are also
/// read from strings holding a decimal number, because Redis stores numbers
/// as strings; a string is never produced from a number.
///
/// ```
/// use kvstore_client::{FromValue, Value};
///
/// assert_eq!(i64::from_value(Value::Integer(7)).unwrap(), 7);
/// assert_eq!(i64::from_value(Value::bulk("7")).unwrap(), 7);
/// assert_eq!(Option::<String>::from_value(Value::Null).unwrap(), None);
/// assert!(String::from_value(Value::Integer(7)).is_err());
/// ```
pub trait FromValue: Sized {
    /// Converts `value`, or explains why it does not fit.
    fn from_value(value: Value) -> Result<Self, ConversionError>;
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Result<Value, ConversionError> {
        (**self).to_value()
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Result<Value, ConversionError> {
        Ok(self.clone())
    }
}

impl ToValue for str {
    fn to_value(&self) -> Result<Value, ConversionError> {
        Ok(Value::bulk(self))
    }
}

impl ToValue for String {
    fn to_value(&self) -> Result<Value, ConversionError> {
        Ok(Value::bulk(self))
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Result<Value, ConversionError> {
        Ok(Value::bulk(self))
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Result<Value, ConversionError> {
        Ok(Value::bulk(self))
    }
}

impl<const N: usize> ToValue for [u8; N] {
    fn to_value(&self) -> Result<Value, ConversionError> {
        Ok(Value::bulk(self))
    }
}

impl ToValue for Bytes {
    fn to_value(&self) -> Result<Value, ConversionError> {
        Ok(Value::Bulk(self.clone()))
    }
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Result<Value, ConversionError> {
                i64::try_from(*self)
                    .map(Value::Integer)
                    .map_err(|_| ConversionError::new("integer in the i64 range", self.to_string()))
            }
        }
    )*};
}
int_to_value!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize);

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Result<Value, ConversionError> {
        match self {
            Some(v) => v.to_value(),
            None => Ok(Value::Null),
        }
    }
}

impl<T: ToValue> ToValue for [T] {
    fn to_value(&self) -> Result<Value, ConversionError> {
        self.iter()
            .map(ToValue::to_value)
            .collect::<Result<_, _>>()
            .map(Value::Array)
    }
}

impl<T: ToValue> ToValue for Vec<T> {
    fn to_value(&self) -> Result<Value, ConversionError> {
        self.as_slice().to_value()
    }
}

impl<T: ToValue, const N: usize> ToValue for [T; N] {
    fn to_value(&self) -> Result<Value, ConversionError> {
        self.as_slice().to_value()
    }
}

fn pairs_to_value<'a, K, V>(
    pairs: impl Iterator<Item = (&'a K, &'a V)>,
) -> Result<Value, ConversionError>
where
    K: ToValue + 'a,
    V: ToValue + 'a,
{
    pairs
        .map(|(k, v)| Ok((k.to_value()?, v.to_value()?)))
        .collect::<Result<_, _>>()
        .map(Value::Map)
}

impl<K: ToValue, V: ToValue, S> ToValue for HashMap<K, V, S> {
    fn to_value(&self) -> Result<Value, ConversionError> {
        pairs_to_value(self.iter())
    }
}

impl<K: ToValue, V: ToValue> ToValue for BTreeMap<K, V> {
    fn to_value(&self) -> Result<Value, ConversionError> {
        pairs_to_value(self.iter())
    }
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self, ConversionError> {
        Ok(value)
    }
}

impl FromValue for Bytes {
    fn from_value(value: Value) -> Result<Self, ConversionError> {
        match value {
            Value::Bulk(b) | Value::Simple(b) => Ok(b),
            other => Err(ConversionError::unexpected("bytes", &other)),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Self, ConversionError> {
        match value {
            Value::Bulk(b) | Value::Simple(b) => Ok(b.to_vec()),
            other => Err(ConversionError::unexpected("Vec<u8>", &other)),
        }
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, ConversionError> {
        match value {
            Value::Bulk(b) | Value::Simple(b) => String::from_utf8(b.to_vec())
                .map_err(|_| ConversionError::new("String", "string that is not valid UTF-8")),
            other => Err(ConversionError::unexpected("String", &other)),
        }
    }
}

/// The integer in `value`, from an integer reply or a decimal string.
fn integer_of(value: &Value) -> Option<i128> {
    match value {
        Value::Integer(n) => Some(i128::from(*n)),
        Value::Bulk(b) | Value::Simple(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<Self, ConversionError> {
                integer_of(&value)
                    .and_then(|n| <$t>::try_from(n).ok())
                    .ok_or_else(|| ConversionError::unexpected(stringify!($t), &value))
            }
        }
    )*};
}
int_from_value!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize);

impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self, ConversionError> {
        match value {
            Value::Boolean(b) => Ok(b),
            Value::Integer(0) => Ok(false),
            Value::Integer(1) => Ok(true),
            other => Err(ConversionError::unexpected("bool", &other)),
        }
    }
}

impl FromValue for f64 {
    fn from_value(value: Value) -> Result<Self, ConversionError> {
        match &value {
            Value::Double(d) => Ok(*d),
            Value::Integer(n) => Ok(*n as f64),
            Value::Bulk(b) | Value::Simple(b) => std::str::from_utf8(b)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| ConversionError::unexpected("f64", &value)),
            _ => Err(ConversionError::unexpected("f64", &value)),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, ConversionError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: Value) -> Result<Self, ConversionError> {
        match value {
            Value::Array(items) | Value::Set(items) => {
                items.into_iter().map(T::from_value).collect()
            }
            other => Err(ConversionError::unexpected("array", &other)),
        }
    }
}

/// The pairs of a dictionary. A flat array of even length is accepted too,
/// since that is how a RESP2 server (Redis) sends a dictionary.
fn pairs_of(value: Value) -> Result<Vec<(Value, Value)>, ConversionError> {
    match value {
        Value::Map(pairs) => Ok(pairs),
        Value::Array(items) if items.len() % 2 == 0 => {
            let mut pairs = Vec::with_capacity(items.len() / 2);
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                pairs.push((k, v));
            }
            Ok(pairs)
        }
        other => Err(ConversionError::unexpected("dictionary", &other)),
    }
}

impl<K, V, S> FromValue for HashMap<K, V, S>
where
    K: FromValue + Eq + Hash,
    V: FromValue,
    S: BuildHasher + Default,
{
    fn from_value(value: Value) -> Result<Self, ConversionError> {
        pairs_of(value)?
            .into_iter()
            .map(|(k, v)| Ok((K::from_value(k)?, V::from_value(v)?)))
            .collect()
    }
}

impl<K: FromValue + Ord, V: FromValue> FromValue for BTreeMap<K, V> {
    fn from_value(value: Value) -> Result<Self, ConversionError> {
        pairs_of(value)?
            .into_iter()
            .map(|(k, v)| Ok((K::from_value(k)?, V::from_value(v)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_bytes_are_bulk() {
        assert_eq!("a".to_value().unwrap(), Value::bulk("a"));
        assert_eq!(String::from("a").to_value().unwrap(), Value::bulk("a"));
        assert_eq!(b"a\0".to_value().unwrap(), Value::bulk(b"a\0"));
        assert_eq!(b"ab"[..].to_value().unwrap(), Value::bulk("ab"));
        assert_eq!(vec![0u8, 1].to_value().unwrap(), Value::bulk([0u8, 1]));
        assert_eq!(
            Bytes::from_static(b"x").to_value().unwrap(),
            Value::bulk("x")
        );
    }

    #[test]
    fn integers_keep_their_type_and_range() {
        assert_eq!((-3i8).to_value().unwrap(), Value::Integer(-3));
        assert_eq!(7usize.to_value().unwrap(), Value::Integer(7));
        assert_eq!(i64::MIN.to_value().unwrap(), Value::Integer(i64::MIN));
        let err = (i64::MAX as u64 + 1).to_value().unwrap_err();
        assert_eq!(err.found, "9223372036854775808");
        assert!(i128::MIN.to_value().is_err());
    }

    #[test]
    fn aggregates_and_options() {
        let nested = vec![vec!["a"], vec![]];
        assert_eq!(
            nested.to_value().unwrap(),
            Value::Array(vec![
                Value::Array(vec![Value::bulk("a")]),
                Value::Array(vec![])
            ])
        );
        let map = BTreeMap::from([("a", 1), ("b", 2)]);
        assert_eq!(
            map.to_value().unwrap(),
            Value::Map(vec![
                (Value::bulk("a"), Value::Integer(1)),
                (Value::bulk("b"), Value::Integer(2)),
            ])
        );
        let hm: HashMap<&str, Option<i64>> = HashMap::from([("k", None)]);
        assert_eq!(
            hm.to_value().unwrap(),
            Value::Map(vec![(Value::bulk("k"), Value::Null)])
        );
        assert_eq!(Some("x").to_value().unwrap(), Value::bulk("x"));
        assert_eq!(
            [1, 2].to_value().unwrap(),
            Value::Array(vec![1.into(), 2.into()])
        );
    }

    #[test]
    fn reading_scalars() {
        assert_eq!(String::from_value(Value::simple("OK")).unwrap(), "OK");
        assert_eq!(
            Vec::<u8>::from_value(Value::bulk([0xffu8])).unwrap(),
            vec![0xff]
        );
        assert_eq!(u16::from_value(Value::Integer(255)).unwrap(), 255);
        assert_eq!(i32::from_value(Value::bulk("-12")).unwrap(), -12);
        assert!(bool::from_value(Value::Boolean(true)).unwrap());
        assert!(!bool::from_value(Value::Integer(0)).unwrap());
        assert_eq!(f64::from_value(Value::Double(1.5)).unwrap(), 1.5);
        assert_eq!(f64::from_value(Value::bulk("2.5")).unwrap(), 2.5);
    }

    #[test]
    fn conversion_errors_say_what_arrived() {
        let err = i8::from_value(Value::Integer(256)).unwrap_err();
        assert_eq!(err.to_string(), "cannot convert integer 256 to i8");
        let err = i64::from_value(Value::bulk("abc")).unwrap_err();
        assert_eq!(err.to_string(), "cannot convert bulk string \"abc\" to i64");
        let err = String::from_value(Value::bulk([0xffu8])).unwrap_err();
        assert_eq!(err.expected, "String");
        let err = Vec::<i64>::from_value(Value::Null).unwrap_err();
        assert_eq!(err.to_string(), "cannot convert null to array");
        let long = "x".repeat(100);
        let err = i64::from_value(Value::bulk(&long)).unwrap_err();
        assert!(
            err.found.ends_with("...") && err.found.len() < 60,
            "{}",
            err.found
        );
    }

    #[test]
    fn reading_aggregates() {
        let v = Value::Array(vec![Value::Integer(1), Value::Null]);
        assert_eq!(
            Vec::<Option<i64>>::from_value(v).unwrap(),
            vec![Some(1), None]
        );
        let set = Value::Set(vec![Value::bulk("a")]);
        assert_eq!(Vec::<String>::from_value(set).unwrap(), vec!["a"]);
        let map = Value::Map(vec![(Value::bulk("a"), Value::Integer(1))]);
        let hm = HashMap::<String, i64>::from_value(map).unwrap();
        assert_eq!(hm["a"], 1);
        let flat = Value::Array(vec![Value::bulk("b"), Value::Integer(2)]);
        let bt = BTreeMap::<String, i64>::from_value(flat).unwrap();
        assert_eq!(bt["b"], 2);
        let odd = Value::Array(vec![Value::bulk("b")]);
        assert!(BTreeMap::<String, i64>::from_value(odd).is_err());
    }
}
