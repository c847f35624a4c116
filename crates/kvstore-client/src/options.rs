//! Connection settings shared by both clients.

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
            // The protocol's own default leaves the whole frame unbounded
            // (only each part is), which a server could use to make the
            // client buffer without end.
            limits: Limits {
                max_frame_len: DEFAULT_MAX_FRAME_LEN,
                ..Limits::default()
            },
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
