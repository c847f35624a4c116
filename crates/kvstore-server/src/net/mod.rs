//! The network layer: the listener, one task per connection, and the
//! GET/SET shortcut served straight from the read buffer, over plain TCP
//! or TLS.

mod background;
mod bufpool;
pub mod connection;
pub mod fastpath;
pub mod listener;
mod ratelog;
pub mod reply;
pub mod sockopt;
pub mod tls;
pub mod transport;
mod turn;

pub use background::BackgroundServer;
pub use listener::Server;
