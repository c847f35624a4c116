//! What commands need to know of the listeners, which live in the network
//! layer above: whether plain TCP is on, the TLS listener's address, and a
//! way to apply new TLS settings (`CONFIG SET tls-cert-file ...`) without
//! reaching up into `net/`.

use std::net::SocketAddr;

use crate::config::Config;

/// Applies the TLS settings of a configuration to new connections, or says
/// why it cannot (a missing file, a key that does not match). Implemented by
/// the network layer; connections already open keep the settings they
/// were made with.
pub trait TlsReload: Send + Sync {
    fn reload(&self, config: &Config) -> Result<(), String>;
}

/// Set once by the listener before the state is shared.
pub struct Listening {
    /// False when only TLS is listened on (`--port 0` beside a TLS port).
    pub plain: bool,
    /// The TLS listener's address, if there is one.
    pub tls_addr: Option<SocketAddr>,
    /// `None` without TLS.
    pub tls_reload: Option<Box<dyn TlsReload>>,
}

impl Default for Listening {
    fn default() -> Self {
        Listening {
            plain: true,
            tls_addr: None,
            tls_reload: None,
        }
    }
}
