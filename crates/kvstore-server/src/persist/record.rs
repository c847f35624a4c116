//! The record framing shared by the append-only file and snapshots.
//!
//! A record is a 16-byte header followed by a payload:
//!
//! ```text
//! len: u64 LE | crc32(len bytes): u32 LE | crc32(payload): u32 LE | payload
//! ```
//!
//! The payload is always one protocol frame (RESP3 dialect, which keeps
//! every typed value exactly). Plain RESP, as Redis writes its AOF, cannot
//! tell a flipped byte inside a string from good data; the payload checksum
//! can. The header has its own checksum so that a damaged length is reported
//! as corruption instead of looking like a record cut short by a crash, which
//! would silently drop everything after it.

use bytes::{BufMut, BytesMut};
use kvstore_protocol::{encode_as, Decoder, Dialect, Limits, Value};

use crc32fast::hash as crc32;

pub const HEADER_LEN: usize = 16;

/// Appends one record whose payload is `value` encoded; returns its length.
pub fn push(out: &mut BytesMut, value: &Value) -> usize {
    push_with(out, |buf| encode_as(value, Dialect::Resp3, buf))
}

/// Appends one record whose payload is whatever `write` appends.
pub fn push_with(out: &mut BytesMut, write: impl FnOnce(&mut BytesMut)) -> usize {
    let start = out.len();
    out.put_bytes(0, HEADER_LEN);
    write(out);
    let payload_len = out.len() - start - HEADER_LEN;
    let len_bytes = (payload_len as u64).to_le_bytes();
    let hcrc = crc32(&len_bytes);
    let pcrc = crc32(&out[start + HEADER_LEN..]);
    let header = &mut out[start..start + HEADER_LEN];
    header[..8].copy_from_slice(&len_bytes);
    header[8..12].copy_from_slice(&hcrc.to_le_bytes());
    header[12..].copy_from_slice(&pcrc.to_le_bytes());
    HEADER_LEN + payload_len
}

/// What follows a given offset of a buffer of records.
#[derive(Debug, PartialEq)]
pub enum Next<'a> {
    /// A whole, intact record ending at `end`.
    Record { payload: &'a [u8], end: usize },
    /// Nothing: the buffer ends exactly here.
    End,
    /// The rest is an incomplete record, as a crash in the middle of a write
    /// leaves it.
    Torn(String),
    /// The bytes here are damaged.
    Corrupt(String),
}

/// Reads the record starting at `at`.
pub fn next(buf: &[u8], at: usize) -> Next<'_> {
    let Some(rest) = buf.get(at..) else {
        return Next::Corrupt("offset past the end".into());
    };
    if rest.is_empty() {
        return Next::End;
    }
    // A crash can leave a file extended but never written: zeros. An
    // all-zero header never checks out (crc32 of eight zeros is not zero).
    if rest.iter().all(|&b| b == 0) {
        return Next::Torn(format!("{} zero bytes at the end", rest.len()));
    }
    if rest.len() < HEADER_LEN {
        return Next::Torn(format!(
            "record header cut short ({} of {HEADER_LEN} bytes)",
            rest.len()
        ));
    }
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(&rest[..8]);
    let hcrc = u32::from_le_bytes([rest[8], rest[9], rest[10], rest[11]]);
    let pcrc = u32::from_le_bytes([rest[12], rest[13], rest[14], rest[15]]);
    if crc32(&len_bytes) != hcrc {
        return Next::Corrupt("record header checksum mismatch".into());
    }
    let len = u64::from_le_bytes(len_bytes);
    let available = (rest.len() - HEADER_LEN) as u64;
    if len > available {
        return Next::Torn(format!(
            "record cut short ({available} of {len} payload bytes)"
        ));
    }
    let payload = &rest[HEADER_LEN..HEADER_LEN + len as usize];
    if crc32(payload) != pcrc {
        return Next::Corrupt("record checksum mismatch".into());
    }
    Next::Record {
        payload,
        end: at + HEADER_LEN + len as usize,
    }
}

/// Large enough never to bind, small enough that the decoder's arithmetic
/// on it cannot overflow.
const NO_LIMIT: usize = usize::MAX >> 4;

/// Decodes a payload into the one frame it must hold.
pub fn decode_payload(payload: &[u8]) -> Result<Value, String> {
    decode_owned(BytesMut::from(payload))
}

/// [`decode_payload`] of a payload the caller gives up: its strings become
/// parts of it, without a copy.
pub fn decode_owned(mut buf: BytesMut) -> Result<Value, String> {
    // The record was checksummed by this program, so the live limits (which
    // the user may have lowered since) must not reject it.
    // Depth stays bounded even so: values are built recursively, and a
    // request or snapshot pair wraps a value in one more array.
    let mut decoder = Decoder::new(Limits {
        max_bulk_len: NO_LIMIT,
        max_elements: NO_LIMIT,
        max_depth: crate::config::MAX_NESTING_CEILING + 2,
        max_line: NO_LIMIT,
        max_frame_len: NO_LIMIT,
    });
    match decoder.decode(&mut buf) {
        Ok(Some(v)) if buf.is_empty() => Ok(v),
        Ok(Some(_)) => Err("trailing bytes after the frame".into()),
        Ok(None) => Err("incomplete frame".into()),
        Err(e) => Err(format!("bad frame: {e}")),
    }
}

#[cfg(test)]
mod tests {
    /// The on-disk format is CRC-32 (IEEE, as zlib): pin it, whatever the
    /// crate does internally.
    #[test]
    fn checksum_is_crc32_ieee() {
        assert_eq!(super::crc32(b""), 0);
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
    }

    use super::*;

    fn two_records() -> BytesMut {
        let mut out = BytesMut::new();
        push(
            &mut out,
            &Value::Array(vec![Value::from("SET"), Value::from("k")]),
        );
        push(&mut out, &Value::Double(1.5));
        out
    }

    #[test]
    fn round_trip() {
        let buf = two_records();
        let Next::Record { payload, end } = next(&buf, 0) else {
            panic!("first record")
        };
        assert_eq!(
            decode_payload(payload),
            Ok(Value::Array(vec![Value::from("SET"), Value::from("k")]))
        );
        let Next::Record { payload, end } = next(&buf, end) else {
            panic!("second record")
        };
        assert_eq!(decode_payload(payload), Ok(Value::Double(1.5)));
        assert_eq!(next(&buf, end), Next::End);
    }

    #[test]
    fn every_cut_is_torn_and_every_flip_is_corrupt() {
        let buf = two_records();
        let Next::Record { end: first, .. } = next(&buf, 0) else {
            panic!()
        };
        for cut in first + 1..buf.len() {
            assert!(
                matches!(next(&buf[..cut], first), Next::Torn(_)),
                "cut {cut}"
            );
        }
        for i in first..buf.len() {
            let mut bad = buf.to_vec();
            bad[i] ^= 0x10;
            assert!(matches!(next(&bad, first), Next::Corrupt(_)), "flip {i}");
        }
    }

    #[test]
    fn zero_tail_is_torn() {
        let mut buf = two_records().to_vec();
        let len = buf.len();
        buf.resize(len + 100, 0);
        let Next::Record { end, .. } = next(&buf, 0) else {
            panic!()
        };
        let Next::Record { end, .. } = next(&buf, end) else {
            panic!()
        };
        assert!(matches!(next(&buf, end), Next::Torn(_)));
    }
}
