//! Rust client for kvstore and any server speaking its typed protocol.
//!
//! Two clients share one API: the blocking [`Client`] and the tokio-based
//! [`AsyncClient`]. Values keep their protocol type in both directions:
//! arguments are converted with [`ToValue`] (strings and bytes become bulk
//! strings, integers integers, `Vec`s arrays, maps dictionaries, `None`
//! null) and replies are read back with [`FromValue`].
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use kvstore_client::{Client, Error};
//!
//! # fn main() -> Result<(), Error> {
//! let mut client = Client::connect("127.0.0.1:31337")?;
//! client.set("greeting", "hello")?;
//! client.set("count", 3)?;
//! client.set("scores", BTreeMap::from([("ann", 10), ("bob", 7)]))?;
//!
//! let count: i64 = client.get("count")?;
//! let scores: BTreeMap<String, i64> = client.get("scores")?;
//! assert_eq!((count, scores["ann"]), (3, 10));
//!
//! // A type mismatch is a conversion error, not a panic.
//! let err = client.get::<i64>("greeting").unwrap_err();
//! assert!(matches!(err, Error::Conversion(_)));
//! # Ok(())
//! # }
//! ```

mod blocking;
mod codec;
mod commands;
mod convert;
mod error;
mod options;
mod pipeline;
mod tls;
mod tokio_client;

pub use blocking::Client;
pub use convert::{FromValue, ToValue};
pub use error::{ConversionError, Error, Result};
pub use kvstore_protocol::{Limits, Value};
pub use options::{Auth, ClientOptions, TlsOptions, DEFAULT_ADDR, DEFAULT_MAX_FRAME_LEN};
pub use pipeline::Pipeline;
pub use tokio_client::AsyncClient;
