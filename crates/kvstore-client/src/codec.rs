//! Framing shared by the blocking and the async client. No I/O happens here:
//! the clients move bytes between their socket and these buffers.

use bytes::BytesMut;
use kvstore_protocol::{encode, int_line, Decoder, Limits, Value};

use crate::error::Result;

/// Outgoing and incoming buffers of one connection plus its decoder.
#[derive(Debug)]
pub(crate) struct Codec {
    /// Bytes received but not yet decoded into a reply.
    pub(crate) read: BytesMut,
    /// Encoded requests not yet written.
    pub(crate) write: BytesMut,
    decoder: Decoder,
}

impl Codec {
    pub(crate) fn new(limits: Limits) -> Self {
        Codec {
            read: BytesMut::with_capacity(8 * 1024),
            write: BytesMut::with_capacity(1024),
            decoder: Decoder::new(limits),
        }
    }

    /// Appends one request: an array whose elements are `command`, each
    /// encoded with its own type.
    pub(crate) fn queue(&mut self, command: &[Value]) {
        // Writing the array header by hand avoids cloning the arguments
        // into a temporary `Value::Array`.
        int_line(&mut self.write, b'*', command.len() as i64);
        for arg in command {
            encode(arg, &mut self.write);
        }
    }

    /// The next complete reply in the read buffer, if one has arrived.
    pub(crate) fn next_reply(&mut self) -> Result<Option<Value>> {
        Ok(self.decoder.decode(&mut self.read)?)
    }

    /// Drops any partial state, e.g. after a failed exchange.
    pub(crate) fn clear(&mut self) {
        self.read.clear();
        self.write.clear();
        self.decoder.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_encodes_typed_arguments() {
        let mut codec = Codec::new(Limits::default());
        codec.queue(&[Value::bulk("SET"), Value::bulk("k"), Value::Integer(42)]);
        codec.queue(&[Value::bulk("GET"), Value::Null]);
        assert_eq!(
            &codec.write[..],
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n:42\r\n*2\r\n$3\r\nGET\r\n$-1\r\n"
        );
    }

    #[test]
    fn next_reply_waits_for_a_whole_frame() {
        let mut codec = Codec::new(Limits::default());
        codec.read.extend_from_slice(b"*2\r\n:1\r\n");
        assert_eq!(codec.next_reply().unwrap(), None);
        codec.read.extend_from_slice(b"$-1\r\n+OK\r\n");
        assert_eq!(
            codec.next_reply().unwrap(),
            Some(Value::Array(vec![Value::Integer(1), Value::Null]))
        );
        assert_eq!(codec.next_reply().unwrap(), Some(Value::ok()));
        assert_eq!(codec.next_reply().unwrap(), None);
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        let mut codec = Codec::new(Limits::default());
        codec.read.extend_from_slice(b"HTTP/1.1 400\r\n");
        assert!(matches!(codec.next_reply(), Err(crate::Error::Protocol(_))));
    }
}
