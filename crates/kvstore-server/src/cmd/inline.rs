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
/// calls for its next request.
pub fn decode(decoder: &mut Decoder, buf: &mut BytesMut) -> Result<Option<Value>, ProtocolError> {
    // An inline command can only start where no framed one is under way.
    if decoder.pending() == 0 {
        let max_line = decoder.limits().max_line;
        match take(buf, max_line) {
            Inline::No => {}
            Inline::Incomplete => return Ok(None),
            Inline::Command(v) => return Ok(Some(v)),
            Inline::TooLong => return Err(ProtocolError::LineTooLong(max_line)),
        }
    }
    decoder.decode(buf)
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
}

/// Takes an inline command off the front of `buf`, if one is there.
/// Words are split on spaces and tabs; quoting is not interpreted.
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
    let words = line
        .split(|b| *b == b' ' || *b == b'\t')
        .filter(|w| !w.is_empty())
        .map(|w| Value::Bulk(line.slice_ref(w)))
        .collect();
    Inline::Command(Value::Array(words))
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
