//! The byte stream a connection serves: a TCP socket, or TLS over one.

use std::os::fd::{AsRawFd, RawFd};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::TcpStream;

use super::turn::READ_CHUNK;

/// A client's byte stream: a TCP socket, or TLS over one.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send {
    /// The socket's descriptor, for `CLIENT LIST`.
    fn raw_fd(&self) -> RawFd;
    /// Appends what has already arrived to `buf`, without waiting for more.
    fn read_arrived(&mut self, buf: &mut BytesMut);
    /// Writes as much of `parts` as the stream takes now, without waiting:
    /// the bytes written, 0 when it would wait or failed (the next write
    /// that waits reports the failure).
    fn write_now(&mut self, parts: &[std::io::IoSlice<'_>]) -> usize;
}

impl Transport for TcpStream {
    fn raw_fd(&self) -> RawFd {
        self.as_raw_fd()
    }

    fn read_arrived(&mut self, buf: &mut BytesMut) {
        loop {
            buf.reserve(READ_CHUNK);
            match self.try_read_buf(buf) {
                Ok(n) if n > 0 => {}
                _ => break,
            }
        }
    }

    fn write_now(&mut self, parts: &[std::io::IoSlice<'_>]) -> usize {
        self.try_write_vectored(parts).unwrap_or(0)
    }
}

/// [`Transport::read_arrived`] for a stream with no `try_read`: each read
/// is polled once, and a read that would wait ends it.
pub fn read_without_waiting<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut BytesMut) {
    use std::future::Future;
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        buf.reserve(READ_CHUNK);
        let read = stream.read_buf(buf);
        tokio::pin!(read);
        match read.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(Ok(n)) if n > 0 => {}
            _ => break,
        }
    }
}
