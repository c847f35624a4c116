//! Connection settings shared by both clients.

use std::time::Duration;

use kvstore_protocol::Limits;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    limits: Limits,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Some(Duration::from_secs(5)),
            read_timeout: None,
            write_timeout: None,
            limits: Limits::default(),
        }
    }
}

impl ClientOptions {
    /// The defaults: 5 s connect timeout, no read or write timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Longest wait for the TCP connection; `None` waits for the OS.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest wait for each reply; `None` waits forever.
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Longest wait for a request to be written; `None` waits forever.
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Bounds on the replies the client accepts, guarding its memory
    /// against a misbehaving server.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
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
