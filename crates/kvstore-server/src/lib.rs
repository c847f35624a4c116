//! The kvstore server: network loop, per-connection handling, the command
//! table and the store. The binary in `main.rs` is a thin wrapper around
//! [`Server`]; [`BackgroundServer`] runs one in a thread, for tests and
//! embedding.

pub mod cmd;
pub mod config;
pub mod connection;
pub mod fastpath;
pub mod memory;
pub mod persist;
pub mod record;
pub mod server;
pub mod session;
pub mod store;

mod background;

pub use background::BackgroundServer;
pub use config::{Config, ReplyMode};
pub use server::{Server, Shared};
