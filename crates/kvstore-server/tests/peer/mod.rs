//! A raw-socket peer for integration tests: it sends exact bytes and decodes
//! replies with the protocol crate, so the tests see what goes on the wire.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use bytes::BytesMut;
use kvstore_protocol::{encode, Decoder, Limits, Value};

pub struct Peer {
    stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
}

impl Peer {
    pub fn connect(addr: SocketAddr) -> Peer {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        stream.set_nodelay(true).expect("nodelay");
        let limits = Limits {
            max_depth: 1 << 20,
            ..Limits::default()
        };
        Peer {
            stream,
            buf: BytesMut::new(),
            decoder: Decoder::new(limits),
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    pub fn send(&mut self, request: &Value) {
        let mut out = BytesMut::new();
        encode(request, &mut out);
        self.send_raw(&out);
    }

    /// The next reply, or `None` if the server closed the connection.
    pub fn try_read(&mut self) -> Option<Value> {
        loop {
            if let Some(v) = self
                .decoder
                .decode(&mut self.buf)
                .expect("server sent bad frame")
            {
                return Some(v);
            }
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    pub fn read(&mut self) -> Value {
        self.try_read().expect("connection closed before a reply")
    }

    /// Sends a command whose words are all bulk strings, returns the reply.
    pub fn cmd(&mut self, words: &[&str]) -> Value {
        self.call(words.iter().map(|w| Value::from(*w)).collect())
    }

    /// Sends a command made of arbitrary values, returns the reply.
    pub fn call(&mut self, words: Vec<Value>) -> Value {
        self.send(&Value::Array(words));
        self.read()
    }

    /// True once the server has closed the connection.
    pub fn is_closed(&mut self) -> bool {
        self.try_read().is_none()
    }
}

pub fn bulk(s: &str) -> Value {
    Value::from(s)
}

pub fn err(v: &Value) -> String {
    match v {
        Value::Error(e) => String::from_utf8_lossy(e).into_owned(),
        other => panic!("expected an error reply, got {other:?}"),
    }
}
