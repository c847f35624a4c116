//! The kvstore wire protocol: the [`Value`] type, a streaming [`Decoder`]
//! and an encoder. No I/O happens here; the caller owns the sockets and the
//! buffers.
//!
//! ```
//! use bytes::BytesMut;
//! use kvstore_protocol::{encode, Decoder, Value};
//!
//! let mut buf = BytesMut::new();
//! encode(&Value::Array(vec![Value::from("GET"), Value::from("k")]), &mut buf);
//! let mut decoder = Decoder::default();
//! let frame = decoder.decode(&mut buf).unwrap();
//! assert_eq!(frame, Some(Value::Array(vec![Value::from("GET"), Value::from("k")])));
//! ```

mod decode;
mod encode;
mod split;
mod value;

pub use decode::{parse_i64, Decoder, Limits, ProtocolError};
pub use encode::{bulk, encode, encode_as, encode_command, int_line, Dialect};
pub use split::split_args;
pub use value::Value;
