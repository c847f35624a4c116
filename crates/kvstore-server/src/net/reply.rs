//! Putting one reply in a connection's output without letting it take the
//! server down: the `normal` class of `client-output-buffer-limit`, and a
//! bounded cost for huge replies.
//!
//! A reply is checked against the limit by its encoded size before any of
//! it is encoded, so a client over its hard limit is dropped without the
//! server first building the bytes. A large array (an `MGET` of big
//! values, say) is encoded element by element, each element freed as soon
//! as it is encoded and the output written out whenever it passes
//! [`FLUSH_AT`], so that it costs about one copy of itself rather than
//! the reply and its encoding side by side; a single large element gets
//! its buffer with a fallible reservation, so that a reply too big for
//! the memory left costs the client its connection, not the server its
//! life.

use std::time::Instant;

use bytes::BytesMut;
use kvstore_protocol::{encode_as, Dialect, Value};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::config::BufferLimit;

/// The output is written out once it holds this much, mid-reply.
pub const FLUSH_AT: usize = 256 * 1024;

/// Why a reply was not put.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// It would take the output past the client's hard limit, or past its
    /// soft limit for longer than allowed.
    OverLimit,
    /// No memory for its encoding.
    NoMemory,
    /// The socket failed while part of it was being written.
    Closed,
}

/// Where a client stands against its soft limit: since when it has been
/// over it, if it is.
#[derive(Debug, Default)]
pub struct SoftState(Option<Instant>);

/// About how many bytes `v` encodes to (an upper bound for everything but
/// doubles' text, which is short anyway).
pub fn encoded_size(v: &Value) -> usize {
    const HEADER: usize = 24;
    match v {
        Value::Simple(b) | Value::Error(b) | Value::Bulk(b) => HEADER + b.len(),
        Value::Array(items) | Value::Set(items) | Value::Push(items) => items
            .iter()
            .fold(HEADER, |n, i| n.saturating_add(encoded_size(i))),
        Value::Map(pairs) => pairs.iter().fold(HEADER, |n, (k, v)| {
            n.saturating_add(encoded_size(k))
                .saturating_add(encoded_size(v))
        }),
        _ => HEADER + 16,
    }
}

/// Checks that `pending` more bytes of output are within `limit`.
fn within(limit: BufferLimit, pending: usize, soft: &mut SoftState) -> bool {
    let pending = pending as u64;
    if limit.hard != 0 && pending > limit.hard {
        return false;
    }
    if limit.soft != 0 && pending > limit.soft {
        let since = *soft.0.get_or_insert_with(Instant::now);
        return since.elapsed().as_secs() <= limit.soft_secs;
    }
    soft.0 = None;
    true
}

/// A buffer of `n` bytes' capacity, or `None` if there is no memory for it.
fn room(n: usize) -> Option<BytesMut> {
    let mut v: Vec<u8> = Vec::new();
    v.try_reserve_exact(n).ok()?;
    // Through Bytes, which takes the vector over as it is (its capacity
    // included), and back, which a sole owner does without copying.
    Some(BytesMut::from(bytes::Bytes::from(v)))
}

/// Encodes `reply` onto `out`, first checking it against `limit`; see
/// the module's notes. On `Err` the caller hangs up.
pub async fn put<W: AsyncWrite + Unpin>(
    reply: Value,
    dialect: Dialect,
    out: &mut BytesMut,
    socket: &mut W,
    limit: BufferLimit,
    soft: &mut SoftState,
) -> Result<(), Refused> {
    let size = encoded_size(&reply);
    if !within(limit, out.len().saturating_add(size), soft) {
        return Err(Refused::OverLimit);
    }
    if size < FLUSH_AT {
        encode_as(&reply, dialect, out);
        return Ok(());
    }
    match reply {
        Value::Array(items) => {
            kvstore_protocol::int_line(out, b'*', items.len() as i64);
            for item in items {
                put_large(&item, dialect, out, socket).await?;
            }
            Ok(())
        }
        other => put_large(&other, dialect, out, socket).await,
    }
}

/// Encodes one part of a large reply, writing out what is pending first
/// when it is large itself, into a buffer reserved fallibly.
async fn put_large<W: AsyncWrite + Unpin>(
    v: &Value,
    dialect: Dialect,
    out: &mut BytesMut,
    socket: &mut W,
) -> Result<(), Refused> {
    let size = encoded_size(v);
    if size >= FLUSH_AT || out.len() >= FLUSH_AT {
        flush(out, socket).await?;
    }
    if size >= FLUSH_AT {
        *out = room(size).ok_or(Refused::NoMemory)?;
    }
    encode_as(v, dialect, out);
    if out.len() >= FLUSH_AT {
        flush(out, socket).await?;
    }
    Ok(())
}

async fn flush<W: AsyncWrite + Unpin>(out: &mut BytesMut, socket: &mut W) -> Result<(), Refused> {
    if !out.is_empty() {
        socket.write_all(out).await.map_err(|_| Refused::Closed)?;
        out.clear();
        // A socket that keeps taking never makes the task wait: without
        // this, the other connections of its worker would wait for the
        // whole reply (a KEYS of a million keys), not for one piece.
        tokio::task::yield_now().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn limit(hard: u64, soft: u64, soft_secs: u64) -> BufferLimit {
        BufferLimit {
            hard,
            soft,
            soft_secs,
        }
    }

    #[tokio::test]
    async fn a_large_array_is_written_as_it_is_encoded_and_reads_back_whole() {
        let big = Value::Bulk(Bytes::from(vec![b'x'; 300_000]));
        let reply = Value::Array(vec![big.clone(), Value::Integer(7), big]);
        let mut expected = BytesMut::new();
        encode_as(&reply, Dialect::Resp2, &mut expected);
        let mut out = BytesMut::new();
        let mut sink: Vec<u8> = Vec::new();
        let mut soft = SoftState::default();
        put(
            reply,
            Dialect::Resp2,
            &mut out,
            &mut sink,
            limit(0, 0, 0),
            &mut soft,
        )
        .await
        .expect("put");
        assert!(!sink.is_empty(), "written out along the way");
        sink.extend_from_slice(&out);
        assert_eq!(sink, expected.to_vec());
    }

    #[tokio::test]
    async fn past_the_hard_limit_nothing_is_encoded() {
        let reply = Value::Array(vec![Value::Bulk(Bytes::from(vec![0u8; 2000]))]);
        let mut out = BytesMut::new();
        let mut sink: Vec<u8> = Vec::new();
        let mut soft = SoftState::default();
        let r = put(
            reply,
            Dialect::Resp2,
            &mut out,
            &mut sink,
            limit(1000, 0, 0),
            &mut soft,
        )
        .await;
        assert_eq!(r, Err(Refused::OverLimit));
        assert!(out.is_empty() && sink.is_empty());
    }

    #[test]
    fn the_soft_limit_allows_its_seconds() {
        let mut soft = SoftState::default();
        assert!(within(limit(0, 100, 60), 150, &mut soft), "just over");
        assert!(soft.0.is_some());
        assert!(within(limit(0, 100, 60), 50, &mut soft));
        assert!(soft.0.is_none(), "back under: the clock resets");
        soft.0 = Instant::now().checked_sub(std::time::Duration::from_secs(61));
        assert!(
            !within(limit(0, 100, 60), 150, &mut soft),
            "over for too long"
        );
    }

    #[test]
    fn room_is_reserved_up_front() {
        let b = room(1 << 20).expect("a megabyte");
        assert!(b.capacity() >= 1 << 20 && b.is_empty());
        assert!(room(usize::MAX / 2).is_none(), "refused, not aborted");
    }

    #[test]
    fn sizes_bound_the_encoding() {
        let v = Value::Array(vec![
            Value::bulk("abc"),
            Value::Integer(-12345),
            Value::Map(vec![(Value::bulk("k"), Value::Double(1.5))]),
        ]);
        let mut enc = BytesMut::new();
        encode_as(&v, Dialect::Resp3, &mut enc);
        assert!(encoded_size(&v) >= enc.len());
    }
}
