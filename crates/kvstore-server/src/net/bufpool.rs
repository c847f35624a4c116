//! One read buffer and one write buffer per worker thread, lent to the
//! connection that is running and given back when it waits for its client.
//!
//! A connection between requests holds no buffer at all: ten thousand idle
//! clients cost their sockets and sessions, not ten thousand buffers (Redis
//! frees an idle client's query buffer for the same reason). A busy thread
//! runs one connection at a time, so one buffer of each kind serves all of
//! them with no allocation per request.

use std::cell::Cell;

use bytes::BytesMut;

/// Buffers that grew past this for one large request or reply are freed
/// rather than kept for the next connection.
pub const KEEP_CAPACITY: usize = 1024 * 1024;

thread_local! {
    static READ: Cell<Option<BytesMut>> = const { Cell::new(None) };
    static WRITE: Cell<Option<BytesMut>> = const { Cell::new(None) };
}

/// This thread's spare read buffer, with room for at least `room` bytes.
pub fn take_read(room: usize) -> BytesMut {
    let mut buf = READ.with(Cell::take).unwrap_or_default();
    buf.reserve(room);
    buf
}

/// This thread's spare write buffer (empty, perhaps with no capacity yet).
pub fn take_write() -> BytesMut {
    WRITE.with(Cell::take).unwrap_or_default()
}

/// Gives an empty read buffer back to this thread. One holding bytes is
/// kept by its connection, and one that grew large is freed.
#[inline]
pub fn give_read(buf: &mut BytesMut) {
    give(&READ, buf);
}

/// Gives an empty write buffer back to this thread, as [`give_read`].
#[inline]
pub fn give_write(buf: &mut BytesMut) {
    give(&WRITE, buf);
}

#[inline]
fn give(slot: &'static std::thread::LocalKey<Cell<Option<BytesMut>>>, buf: &mut BytesMut) {
    if !buf.is_empty() || buf.capacity() == 0 {
        return;
    }
    let buf = std::mem::take(buf);
    // The slot may hold another connection's buffer already (one that
    // waited in the middle of its batch): the one given back replaces it.
    if buf.capacity() <= KEEP_CAPACITY {
        slot.with(|s| s.set(Some(buf)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_lent_again() {
        let mut buf = take_read(100);
        let at = buf.as_ptr();
        buf.extend_from_slice(b"PING");
        // Holding a partial request: it stays with its connection.
        give_read(&mut buf);
        assert_eq!(&buf[..], b"PING");
        buf.clear();
        give_read(&mut buf);
        assert_eq!(buf.capacity(), 0, "the connection holds nothing");
        let again = take_read(10);
        assert_eq!(again.as_ptr(), at, "the same allocation, lent again");
        assert_eq!(take_read(0).capacity(), 0, "lent once only");
    }

    #[test]
    fn a_grown_buffer_is_not_kept() {
        let mut big = BytesMut::with_capacity(KEEP_CAPACITY + 1);
        give_write(&mut big);
        assert_eq!(take_write().capacity(), 0);
    }
}
