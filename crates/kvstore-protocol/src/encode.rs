//! Encoding values into a byte buffer.

use bytes::{BufMut, BytesMut};

use crate::Value;

/// Which flavour of the protocol the peer expects.
///
/// The three differ only in how they spell null, dictionaries and the RESP3
/// scalar types; strings, integers, errors and arrays look the same in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// The kvstore seed protocol: null is `$-1`, dictionaries are `%`.
    /// RESP3 types that a peer sent (sets, booleans, doubles) go back as
    /// they came, so that this dialect is lossless for every [`Value`].
    #[default]
    Seed,
    /// Redis RESP2: dictionaries are flattened into arrays, as Redis does.
    Resp2,
    /// Redis RESP3 (after `HELLO 3`): null is `_`, dictionaries are `%`.
    Resp3,
}

/// Appends the encoding of `value` to `out`.
pub fn encode(value: &Value, out: &mut BytesMut) {
    encode_as(value, Dialect::Seed, out)
}

/// Appends the encoding of `value` in the given dialect to `out`.
pub fn encode_as(value: &Value, dialect: Dialect, out: &mut BytesMut) {
    match value {
        Value::Simple(s) => line(out, b'+', s),
        Value::Error(s) => line(out, b'-', s),
        Value::Integer(n) => int_line(out, b':', *n),
        Value::Bulk(b) => bulk(out, b),
        Value::Null => match dialect {
            Dialect::Resp3 => out.put_slice(b"_\r\n"),
            _ => out.put_slice(b"$-1\r\n"),
        },
        Value::NullArray => match dialect {
            Dialect::Resp3 => out.put_slice(b"_\r\n"),
            _ => out.put_slice(b"*-1\r\n"),
        },
        Value::Array(items) => {
            int_line(out, b'*', items.len() as i64);
            for item in items {
                encode_as(item, dialect, out);
            }
        }
        Value::Set(items) => {
            let tag = if dialect == Dialect::Resp2 {
                b'*'
            } else {
                b'~'
            };
            int_line(out, tag, items.len() as i64);
            for item in items {
                encode_as(item, dialect, out);
            }
        }
        Value::Push(items) => {
            let tag = if dialect == Dialect::Resp3 {
                b'>'
            } else {
                b'*'
            };
            int_line(out, tag, items.len() as i64);
            for item in items {
                encode_as(item, dialect, out);
            }
        }
        Value::Map(pairs) => {
            if dialect == Dialect::Resp2 {
                int_line(out, b'*', 2 * pairs.len() as i64);
            } else {
                int_line(out, b'%', pairs.len() as i64);
            }
            for (k, v) in pairs {
                encode_as(k, dialect, out);
                encode_as(v, dialect, out);
            }
        }
        Value::Boolean(b) => match dialect {
            Dialect::Resp2 => int_line(out, b':', i64::from(*b)),
            _ => out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        },
        Value::Double(d) => {
            let text = format_double(*d);
            if dialect != Dialect::Resp2 {
                line(out, b',', text.as_bytes());
            } else {
                bulk(out, text.as_bytes());
            }
        }
    }
}

/// Encodes a request: an array of bulk strings, the way clients send commands.
pub fn encode_command<I, A>(args: I, out: &mut BytesMut)
where
    I: IntoIterator<Item = A>,
    I::IntoIter: ExactSizeIterator,
    A: AsRef<[u8]>,
{
    let args = args.into_iter();
    int_line(out, b'*', args.len() as i64);
    for arg in args {
        bulk(out, arg.as_ref());
    }
}

/// Appends `$len\r\ndata\r\n`.
pub fn bulk(out: &mut BytesMut, data: &[u8]) {
    int_line(out, b'$', data.len() as i64);
    out.reserve(data.len() + 2);
    out.put_slice(data);
    out.put_slice(b"\r\n");
}

/// Appends `<tag><n>\r\n`.
pub fn int_line(out: &mut BytesMut, tag: u8, n: i64) {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n).as_bytes();
    out.reserve(digits.len() + 3);
    out.put_u8(tag);
    out.put_slice(digits);
    out.put_slice(b"\r\n");
}

fn line(out: &mut BytesMut, tag: u8, text: &[u8]) {
    out.reserve(text.len() + 3);
    out.put_u8(tag);
    // A CR or LF inside a line would split the frame; the encoder is the last
    // place that can keep a bad string from corrupting the stream.
    if memchr::memchr2(b'\r', b'\n', text).is_none() {
        out.put_slice(text);
    } else {
        for &b in text {
            out.put_u8(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
    }
    out.put_slice(b"\r\n");
}

fn format_double(d: f64) -> String {
    if d.is_nan() {
        "nan".to_string()
    } else if d.is_infinite() {
        if d > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{d}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn enc(v: &Value, d: Dialect) -> Vec<u8> {
        let mut out = BytesMut::new();
        encode_as(v, d, &mut out);
        out.to_vec()
    }

    #[test]
    fn scalars() {
        assert_eq!(enc(&Value::ok(), Dialect::Seed), b"+OK\r\n");
        assert_eq!(enc(&Value::error("ERR x"), Dialect::Seed), b"-ERR x\r\n");
        assert_eq!(enc(&Value::Integer(-42), Dialect::Seed), b":-42\r\n");
        assert_eq!(enc(&Value::bulk("ab"), Dialect::Seed), b"$2\r\nab\r\n");
        assert_eq!(enc(&Value::Null, Dialect::Seed), b"$-1\r\n");
        assert_eq!(enc(&Value::Null, Dialect::Resp3), b"_\r\n");
        assert_eq!(enc(&Value::NullArray, Dialect::Resp2), b"*-1\r\n");
        assert_eq!(enc(&Value::NullArray, Dialect::Seed), b"*-1\r\n");
        assert_eq!(enc(&Value::NullArray, Dialect::Resp3), b"_\r\n");
    }

    #[test]
    fn push_is_an_array_outside_resp3() {
        let p = Value::Push(vec![Value::bulk("message"), Value::Integer(1)]);
        assert_eq!(enc(&p, Dialect::Resp3), b">2\r\n$7\r\nmessage\r\n:1\r\n");
        assert_eq!(enc(&p, Dialect::Resp2), b"*2\r\n$7\r\nmessage\r\n:1\r\n");
        assert_eq!(enc(&p, Dialect::Seed), b"*2\r\n$7\r\nmessage\r\n:1\r\n");
    }

    #[test]
    fn maps_per_dialect() {
        let m = Value::Map(vec![(Value::bulk("a"), Value::Integer(1))]);
        assert_eq!(enc(&m, Dialect::Seed), b"%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&m, Dialect::Resp3), b"%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&m, Dialect::Resp2), b"*2\r\n$1\r\na\r\n:1\r\n");
    }

    #[test]
    fn line_never_carries_crlf() {
        let v = Value::Error(Bytes::from_static(b"ERR a\r\nb"));
        assert_eq!(enc(&v, Dialect::Seed), b"-ERR a  b\r\n");
    }

    #[test]
    fn command() {
        let mut out = BytesMut::new();
        encode_command(["GET", "k"], &mut out);
        assert_eq!(&out[..], b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    }
}
