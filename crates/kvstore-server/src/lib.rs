//! The kvstore server, in layers that only point down:
//!
//! - [`keyspace`]: objects, records, deadlines and the databases;
//! - [`state`]: what every connection shares, and the handle commands use
//!   to reach persistence;
//! - [`cmd`]: the command table, one file per family;
//! - [`persist`]: the append-only file and snapshots (replayed through the
//!   command table);
//! - [`net`]: the listener, connections and the GET/SET fast path.
//!
//! The binary in `main.rs` is a thin wrapper around [`Server`];
//! [`BackgroundServer`] runs one in a thread, for tests and embedding.

pub mod cmd;
pub mod conffile;
pub mod config;
pub mod keyspace;
pub mod memory;
pub mod net;
pub mod persist;
pub mod state;

pub use config::{Config, ReplyMode, WORKER_STACK_SIZE};
pub use net::{BackgroundServer, Server};
pub use state::Shared;
