//! Inline commands: a bare line of words such as `PING\r\n`, as typed into
//! telnet or netcat and as sent by redis-benchmark's `PING_INLINE` test.
//!
//! The framed protocol never starts a frame with a letter (every frame
//! starts with a type byte such as `*` or `$`), so a line that does start
//! with one can only be an inline command: accepting it changes nothing for
//! a well-formed framed stream, it only turns what would have been a
//! protocol error into a command.

use bytes::{Buf, BytesMut};
use kvstore_protocol::{Decoder, ProtocolError, Value};

/// [`Decoder::decode`], plus inline commands: what the connection loop
/// calls for its next request. A connection speaking Redis (`redis`) also
/// passes over what Redis passes over between requests: empty lines, and
/// arrays of no or a negative count (`*0`, `*-1`).
pub fn decode(
    decoder: &mut Decoder,
    buf: &mut BytesMut,
    redis: bool,
) -> Result<Option<Value>, ProtocolError> {
    // An inline command can only start where no framed one is under way.
    if decoder.pending() == 0 {
        if redis {
            skip_empty(buf);
        }
        let max_line = decoder.limits().max_line;
        match take(buf, max_line) {
            Inline::No => {}
            Inline::Incomplete => return Ok(None),
            Inline::Command(v) => return Ok(Some(v)),
            Inline::TooLong => return Err(ProtocolError::LineTooLong(max_line)),
            Inline::Unbalanced => return Err(ProtocolError::UnbalancedQuotes),
        }
        if redis {
            first_element_is_bulk(buf)?;
        }
    }
    let frame = decoder.decode(buf)?;
    if redis {
        // Redis's requests are arrays of bulk strings; the seed's typed
        // elements are for seed clients.
        if let Some(Value::Array(items)) = &frame {
            if let Some(other) = items.iter().find(|v| !matches!(v, Value::Bulk(_))) {
                return Err(ProtocolError::ExpectedBulk(type_byte(other)));
            }
        }
    }
    Ok(frame)
}

/// Refuses, as soon as its first byte is here, a request whose first
/// element is not a bulk string (Redis answers before the rest arrives).
fn first_element_is_bulk(buf: &[u8]) -> Result<(), ProtocolError> {
    let Some((_, end)) = array_header(buf) else {
        return Ok(());
    };
    match buf.get(end) {
        Some(&b) if b != b'$' => Err(ProtocolError::ExpectedBulk(char::from(b))),
        _ => Ok(()),
    }
}

/// A request's `*<count>\r\n` at the front of `buf`: the count, and
/// where the line ends. One pass over the digits, as this runs for every
/// request.
fn array_header(buf: &[u8]) -> Option<(u64, usize)> {
    if buf.first() != Some(&b'*') {
        return None;
    }
    let mut i = 1;
    let mut count: u64 = 0;
    while let Some(d) = buf.get(i).filter(|b| b.is_ascii_digit()) {
        count = count.saturating_mul(10).saturating_add(u64::from(d - b'0'));
        i += 1;
    }
    (i > 1 && buf.get(i..i + 2) == Some(b"\r\n")).then_some((count, i + 2))
}

/// The RESP type byte a decoded element came as.
fn type_byte(v: &Value) -> char {
    match v {
        Value::Simple(_) => '+',
        Value::Error(_) => '-',
        Value::Integer(_) => ':',
        Value::Bulk(_) => '$',
        Value::Null | Value::NullArray => '_',
        Value::Array(_) => '*',
        Value::Map(_) => '%',
        Value::Boolean(_) => '#',
        Value::Double(_) => ',',
        Value::Set(_) => '~',
        Value::Push(_) => '>',
    }
}

/// The text of a protocol error for a client of `redis`'s dialect: Redis's
/// own words where Redis has them (its clients and tests match on them),
/// kvstore's otherwise. `buf` is the unread input, starting at the request
/// that failed.
pub fn error_text(e: &ProtocolError, buf: &[u8], redis: bool) -> String {
    if !redis {
        return e.to_string();
    }
    // Whether the request's first line (its element count) is sound: if
    // so, the fault is in an element's header.
    let header_ok = || array_header(buf).is_some_and(|(n, _)| n <= i32::MAX as u64);
    match e {
        ProtocolError::InvalidLength | ProtocolError::InvalidInteger => if header_ok() {
            "invalid bulk length"
        } else {
            "invalid multibulk length"
        }
        .to_string(),
        ProtocolError::BulkTooLong { .. } => "invalid bulk length".to_string(),
        // Redis's own bound; kvstore's lower `max-elements` keeps its text.
        ProtocolError::TooManyElements { count, .. } if *count > i32::MAX as u64 => {
            "invalid multibulk length".to_string()
        }
        ProtocolError::LineTooLong(_) if buf.first() == Some(&b'*') => if header_ok() {
            "too big bulk count string"
        } else {
            "too big mbulk count string"
        }
        .to_string(),
        ProtocolError::LineTooLong(_) => "too big inline request".to_string(),
        ProtocolError::InvalidTypeByte(c) if buf.first() == Some(&b'*') => {
            format!("expected '$', got '{c}'")
        }
        other => other.to_string(),
    }
}

/// Drops empty lines and empty or null arrays from the front of `buf`.
fn skip_empty(buf: &mut BytesMut) {
    loop {
        let skip = match buf.first() {
            Some(b'\n') => 1,
            Some(b'\r') if buf.get(1) == Some(&b'\n') => 2,
            Some(b'*') => match buf.get(1) {
                Some(b'0') if buf.get(2..4) == Some(b"\r\n") => 4,
                Some(b'-') => {
                    let digits = buf[2..].iter().take_while(|b| b.is_ascii_digit()).count();
                    let end = 2 + digits;
                    if digits > 0 && buf.get(end..end + 2) == Some(b"\r\n") {
                        end + 2
                    } else {
                        return;
                    }
                }
                _ => return,
            },
            _ => return,
        };
        buf.advance(skip);
    }
}

pub enum Inline {
    /// The buffer does not start with an inline command.
    No,
    /// It does, but its line has not all arrived.
    Incomplete,
    /// A whole inline command, taken off the buffer, as an array of words.
    Command(Value),
    /// The line is longer than the limit; the stream is not usable.
    TooLong,
    /// Its quotes do not close; the stream is not usable.
    Unbalanced,
}

/// Takes an inline command off the front of `buf`, if one is there.
/// Words are split as Redis splits them: on spaces and tabs, with `"…"`
/// (and its escapes) and `'…'` quoting.
pub fn take(buf: &mut BytesMut, max_line: usize) -> Inline {
    if !buf.first().is_some_and(u8::is_ascii_alphabetic) {
        return Inline::No;
    }
    let Some(lf) = memchr::memchr(b'\n', buf) else {
        return if buf.len() > max_line {
            Inline::TooLong
        } else {
            Inline::Incomplete
        };
    };
    if lf > max_line {
        return Inline::TooLong;
    }
    let line = buf.split_to(lf).freeze();
    buf.advance(1);
    let line = line
        .strip_suffix(b"\r")
        .map_or(line.clone(), |l| line.slice_ref(l));
    let Some(words) = kvstore_protocol::split_args(&line) else {
        return Inline::Unbalanced;
    };
    Inline::Command(Value::Array(
        words.into_iter().map(|w| Value::Bulk(w.into())).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(v: Value) -> Vec<String> {
        match v {
            Value::Array(items) => items
                .iter()
                .map(|w| String::from_utf8_lossy(w.as_bytes().unwrap_or_default()).into_owned())
                .collect(),
            other => panic!("not an array: {other:?}"),
        }
    }

    #[test]
    fn takes_lines_one_at_a_time() {
        let mut buf = BytesMut::from(&b"PING\r\nset  a\tb\nGET"[..]);
        let Inline::Command(v) = take(&mut buf, 1024) else {
            panic!("first line")
        };
        assert_eq!(words(v), ["PING"]);
        let Inline::Command(v) = take(&mut buf, 1024) else {
            panic!("second line")
        };
        assert_eq!(words(v), ["set", "a", "b"]);
        assert!(matches!(take(&mut buf, 1024), Inline::Incomplete));
        assert_eq!(&buf[..], b"GET");
    }

    #[test]
    fn framed_input_is_left_alone() {
        let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\n"[..]);
        assert!(matches!(take(&mut buf, 1024), Inline::No));
        assert_eq!(buf.len(), 14);
    }

    #[test]
    fn long_lines_are_refused() {
        let mut buf = BytesMut::from(&b"PINGPINGPING"[..]);
        assert!(matches!(take(&mut buf, 8), Inline::TooLong));
    }
}
