//! Per-connection state that commands can see and change.

use std::net::SocketAddr;

use bytes::Bytes;
use kvstore_protocol::Dialect;

use crate::config::ReplyMode;

#[derive(Debug)]
pub struct Session {
    pub id: u64,
    pub peer: SocketAddr,
    pub mode: ReplyMode,
    /// Set by `HELLO 3`.
    pub resp3: bool,
    pub name: Option<Bytes>,
    /// Set by `QUIT`: close after this reply.
    pub quit: bool,
}

impl Session {
    pub fn new(id: u64, peer: SocketAddr, mode: ReplyMode) -> Self {
        Session {
            id,
            peer,
            mode,
            resp3: false,
            name: None,
            quit: false,
        }
    }

    /// How replies to this connection are encoded.
    pub fn dialect(&self) -> Dialect {
        match (self.mode, self.resp3) {
            (_, true) => Dialect::Resp3,
            (ReplyMode::Seed, false) => Dialect::Seed,
            (ReplyMode::Redis, false) => Dialect::Resp2,
        }
    }
}
