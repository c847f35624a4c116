//! Connection settings shared by both clients.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kvstore_protocol::Limits;

/// The default for [`ClientOptions::max_frame_len`]: as large as the
/// biggest single string a server may hold, so any sane reply fits.
pub const DEFAULT_MAX_FRAME_LEN: usize = 512 * 1024 * 1024;

/// The address both clients use when none is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:31337";

/// Timeouts and limits for a connection.
///
/// By default connecting gives up after 5 seconds and reads and writes wait
/// as long as the server takes, like redis-cli. A read timeout is reported
/// as [`Error::Timeout`](crate::Error::Timeout) and leaves the connection
/// unusable, because the late reply would otherwise be taken for the answer
/// to the next command.
///
/// ```
/// use std::time::Duration;
/// use kvstore_client::ClientOptions;
///
/// let options = ClientOptions::new()
///     .connect_timeout(Some(Duration::from_millis(500)))
///     .read_timeout(Some(Duration::from_secs(2)));
/// assert_eq!(options.get_read_timeout(), Some(Duration::from_secs(2)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    limits: Limits,
    tls: Option<TlsOptions>,
    auth: Option<Auth>,
}

/// TLS settings for [`ClientOptions::tls`], redis-cli's `--cacert`,
/// `--cacertdir`, `--cert`, `--key` and `--sni`. Without a CA the
/// system's bundle is trusted.
///
/// ```
/// use kvstore_client::{ClientOptions, TlsOptions};
///
/// let tls = TlsOptions::new()
///     .ca_cert("ca.crt")
///     .client_cert("client.crt", "client.key")
///     .server_name("db.example.com");
/// let options = ClientOptions::new().tls(tls);
/// assert!(options.get_tls().is_some());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    ca_cert: Option<PathBuf>,
    ca_cert_dir: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    server_name: Option<String>,
}

impl TlsOptions {
    pub fn new() -> Self {
        Self::default()
    }

    /// A PEM file of CA certificates the server's must chain to.
    pub fn ca_cert(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_cert = Some(path.into());
        self
    }

    /// A directory of PEM files of CA certificates.
    pub fn ca_cert_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_cert_dir = Some(path.into());
        self
    }

    /// A client certificate (PEM, leaf first) and its private key, for a
    /// server with `tls-auth-clients yes`.
    pub fn client_cert(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.cert = Some(cert.into());
        self.key = Some(key.into());
        self
    }

    /// The name the server's certificate must carry; by default the
    /// address connected to (an IP address).
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    pub fn get_ca_cert(&self) -> Option<&Path> {
        self.ca_cert.as_deref()
    }

    pub fn get_ca_cert_dir(&self) -> Option<&Path> {
        self.ca_cert_dir.as_deref()
    }

    pub fn get_cert(&self) -> Option<&Path> {
        self.cert.as_deref()
    }

    pub fn get_key(&self) -> Option<&Path> {
        self.key.as_deref()
    }

    pub fn get_server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }
}

/// Credentials sent with `AUTH` right after connecting.
#[derive(Clone, PartialEq, Eq)]
pub struct Auth {
    /// `None`: `AUTH password`, the default user.
    pub user: Option<String>,
    pub password: String,
}

impl std::fmt::Debug for Auth {
    // The password stays out of logs and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("user", &self.user)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Some(Duration::from_secs(5)),
            read_timeout: None,
            write_timeout: None,
            // The protocol's own default leaves the whole frame unbounded
            // (only each part is), which a server could use to make the
            // client buffer without end.
            limits: Limits {
                max_frame_len: DEFAULT_MAX_FRAME_LEN,
                ..Limits::default()
            },
            tls: None,
            auth: None,
        }
    }
}

impl ClientOptions {
    /// The defaults: 5 s connect timeout, no read or write timeout, replies
    /// of at most [`DEFAULT_MAX_FRAME_LEN`] bytes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Longest wait for the TCP connection; `None` waits for the OS.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest wait for the whole reply to a call, from the moment the
    /// client starts reading it (for a pipeline, for all its replies);
    /// `None` waits forever.
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Longest wait for a request to be written; `None` waits forever.
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Bounds on the replies the client accepts; a reply that breaks one is
    /// an [`Error::Protocol`](crate::Error::Protocol). Only
    /// `max_frame_len` bounds the memory one reply can take (the other
    /// limits bound its parts, not their sum), so keep it finite when the
    /// server is not trusted.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Largest reply, in bytes, the client buffers; a larger one fails with
    /// [`Error::Protocol`](crate::Error::Protocol) once that many bytes
    /// have arrived (plus at most one read), and breaks the connection.
    ///
    /// ```
    /// use kvstore_client::ClientOptions;
    ///
    /// let options = ClientOptions::new().max_frame_len(1 << 20);
    /// assert_eq!(options.get_limits().max_frame_len, 1 << 20);
    /// ```
    pub fn max_frame_len(mut self, bytes: usize) -> Self {
        self.limits.max_frame_len = bytes;
        self
    }

    /// Connect over TLS with these settings.
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Authenticate on connecting: `AUTH password`, or `AUTH user password`
    /// with a user. A refusal fails the connect with the server's error.
    ///
    /// ```
    /// use kvstore_client::ClientOptions;
    ///
    /// let options = ClientOptions::new().auth(Some("app"), "secret");
    /// assert_eq!(options.get_auth().map(|a| a.user.as_deref()), Some(Some("app")));
    /// assert!(!format!("{options:?}").contains("secret"));
    /// ```
    pub fn auth(mut self, user: Option<&str>, password: &str) -> Self {
        self.auth = Some(Auth {
            user: user.map(str::to_string),
            password: password.to_string(),
        });
        self
    }

    /// The TLS settings, if TLS is on.
    pub fn get_tls(&self) -> Option<&TlsOptions> {
        self.tls.as_ref()
    }

    /// The credentials sent on connecting, if any.
    pub fn get_auth(&self) -> Option<&Auth> {
        self.auth.as_ref()
    }

    /// The configured connect timeout.
    pub fn get_connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }

    /// The configured read timeout.
    pub fn get_read_timeout(&self) -> Option<Duration> {
        self.read_timeout
    }

    /// The configured write timeout.
    pub fn get_write_timeout(&self) -> Option<Duration> {
        self.write_timeout
    }

    /// The configured reply limits.
    pub fn get_limits(&self) -> Limits {
        self.limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_bounds_the_whole_reply() {
        let limits = ClientOptions::default().get_limits();
        assert_eq!(limits.max_frame_len, DEFAULT_MAX_FRAME_LEN);
        assert!(limits.max_frame_len < Limits::default().max_frame_len);
        let limits = ClientOptions::new().max_frame_len(10).get_limits();
        assert_eq!(limits.max_frame_len, 10);
        assert_eq!(limits.max_bulk_len, Limits::default().max_bulk_len);
    }
}
