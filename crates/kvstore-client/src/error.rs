//! The error type shared by the blocking client, the async client and the
//! pipeline.

use std::io;

use kvstore_protocol::{ProtocolError, Value};
use thiserror::Error;

/// Everything a client call can fail with.
///
/// The variants are kept apart so callers can tell a refusal by the server
/// ([`Error::Server`]) from a broken transport ([`Error::Io`],
/// [`Error::Timeout`], [`Error::Closed`]), a peer that does not speak the
/// protocol ([`Error::Protocol`]) and a reply of an unexpected type
/// ([`Error::Conversion`]).
///
/// ```
/// use kvstore_client::Error;
///
/// let err = Error::Server("ERR unknown command".into());
/// assert_eq!(err.server_message(), Some("ERR unknown command"));
/// assert!(!err.is_connection_error());
/// ```
#[derive(Debug, Error)]
pub enum Error {
    /// The server answered with an error reply (`-ERR ...`); holds its text.
    #[error("server error: {0}")]
    Server(String),
    /// The socket failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// Connecting, reading or writing took longer than the configured limit.
    #[error("timed out while {0}")]
    Timeout(&'static str),
    /// The server closed the connection before the reply was complete.
    #[error("connection closed by the server")]
    Closed,
    /// An earlier failure left the connection in an unknown state (a reply
    /// may still be in flight), so it refuses further commands. Reconnect.
    #[error("connection unusable after an earlier error; reconnect")]
    Broken,
    /// The peer sent bytes that are not a valid frame.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The server sent more than the replies asked for (for example a
    /// frame nobody requested). The stream is out of step, so the
    /// connection is unusable from then on, as after [`Error::Protocol`].
    #[error("protocol error: {0} bytes received beyond the expected replies")]
    Unsolicited(usize),
    /// A command with no words was refused before sending: a server never
    /// answers an empty request, so the client would wait forever.
    #[error("empty command")]
    EmptyCommand,
    /// TLS could not be set up: a certificate file, a refused handshake,
    /// or TLS asked of a client that does not do it.
    #[error("TLS: {0}")]
    Tls(String),
    /// A value could not be converted to or from the requested Rust type.
    #[error(transparent)]
    Conversion(#[from] ConversionError),
}

impl Error {
    /// The server's message if this is an error reply.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            Error::Server(msg) => Some(msg),
            _ => None,
        }
    }

    /// True when the connection can no longer be used and the caller should
    /// reconnect: transport failures, timeouts and protocol violations.
    pub fn is_connection_error(&self) -> bool {
        matches!(
            self,
            Error::Io(_)
                | Error::Timeout(_)
                | Error::Closed
                | Error::Broken
                | Error::Protocol(_)
                | Error::Unsolicited(_)
                | Error::Tls(_)
        )
    }

    /// Refuses a request holding an empty command, before anything is sent.
    pub(crate) fn check_commands<C: AsRef<[Value]>>(commands: &[C]) -> Result<(), Error> {
        if commands.iter().any(|c| c.as_ref().is_empty()) {
            return Err(Error::EmptyCommand);
        }
        Ok(())
    }

    /// Fails if bytes are left over once every expected reply was read.
    pub(crate) fn check_leftover(leftover: usize) -> Result<(), Error> {
        match leftover {
            0 => Ok(()),
            n => Err(Error::Unsolicited(n)),
        }
    }

    /// Turns an error reply into [`Error::Server`], passing other values on.
    pub(crate) fn check_reply(value: Value) -> Result<Value, Error> {
        match value {
            Value::Error(msg) => Err(Error::Server(String::from_utf8_lossy(&msg).into_owned())),
            other => Ok(other),
        }
    }
}

/// A value did not have the shape the caller asked for.
///
/// ```
/// use kvstore_client::{FromValue, Value};
///
/// let err = i64::from_value(Value::Null).unwrap_err();
/// assert_eq!(err.to_string(), "cannot convert null to i64");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot convert {found} to {expected}")]
pub struct ConversionError {
    /// The Rust type (or protocol type) that was wanted.
    pub expected: &'static str,
    /// What was there instead, e.g. `bulk string "abc"` or `null`.
    pub found: String,
}

impl ConversionError {
    pub(crate) fn new(expected: &'static str, found: impl Into<String>) -> Self {
        ConversionError {
            expected,
            found: found.into(),
        }
    }

    /// Describes `value` for the message: its type, plus a short preview of
    /// scalar contents so the user can see what arrived.
    pub(crate) fn unexpected(expected: &'static str, value: &Value) -> Self {
        let found = match value {
            Value::Integer(n) => format!("integer {n}"),
            Value::Bulk(b) | Value::Simple(b) => {
                let text = String::from_utf8_lossy(b);
                let preview: String = text.chars().take(32).collect();
                let more = if preview.len() < text.len() {
                    "..."
                } else {
                    ""
                };
                format!("{} {preview:?}{more}", value.type_name())
            }
            other => other.type_name().to_string(),
        };
        ConversionError::new(expected, found)
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
