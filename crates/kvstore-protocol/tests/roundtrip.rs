//! Property tests: whatever is encoded decodes back equal, however the bytes
//! are split on the way; and no input makes the decoder panic.

use bytes::{Bytes, BytesMut};
use kvstore_protocol::{encode, Decoder, Value};
use proptest::prelude::*;

fn line_text() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(
        any::<u8>().prop_filter("no CR/LF", |b| *b != b'\r' && *b != b'\n'),
        0..20,
    )
    .prop_map(Bytes::from)
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        line_text().prop_map(Value::Simple),
        line_text().prop_map(Value::Error),
        any::<i64>().prop_map(Value::Integer),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| Value::Bulk(Bytes::from(b))),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Boolean),
        (-1e12f64..1e12).prop_map(Value::Double),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Set),
            proptest::collection::vec((inner.clone(), inner), 0..4).prop_map(Value::Map),
        ]
    })
}

fn encoded(v: &Value) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(v, &mut out);
    out.to_vec()
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(v in value()) {
        let mut buf = BytesMut::from(&encoded(&v)[..]);
        let got = Decoder::default().decode(&mut buf).unwrap();
        prop_assert_eq!(got, Some(v));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn any_split_point_gives_the_same_value(v in value()) {
        let bytes = encoded(&v);
        for cut in 0..bytes.len() {
            let mut d = Decoder::default();
            let mut buf = BytesMut::from(&bytes[..cut]);
            prop_assert_eq!(d.decode(&mut buf).unwrap(), None, "complete at {}", cut);
            prop_assert_eq!(buf.len(), cut, "consumed a partial frame");
            buf.extend_from_slice(&bytes[cut..]);
            prop_assert_eq!(d.decode(&mut buf).unwrap(), Some(v.clone()));
            prop_assert!(buf.is_empty());
        }
    }

    #[test]
    fn pipelined_values_in_random_chunks(
        vs in proptest::collection::vec(value(), 1..8),
        chunk in 1usize..40,
    ) {
        let stream: Vec<u8> = vs.iter().flat_map(encoded).collect();
        let mut d = Decoder::default();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for piece in stream.chunks(chunk) {
            buf.extend_from_slice(piece);
            while let Some(v) = d.decode(&mut buf).unwrap() {
                got.push(v);
            }
        }
        prop_assert_eq!(got, vs);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_chunking_does_not_change_the_outcome(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
        chunk in 1usize..16,
    ) {
        let whole = {
            let mut d = Decoder::default();
            let mut buf = BytesMut::from(&bytes[..]);
            let mut out = Vec::new();
            let end = loop {
                match d.decode(&mut buf) {
                    Ok(Some(v)) => out.push(v),
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            (out, end)
        };
        let mut d = Decoder::default();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut end = Ok(());
        'feed: for piece in bytes.chunks(chunk) {
            buf.extend_from_slice(piece);
            loop {
                match d.decode(&mut buf) {
                    Ok(Some(v)) => out.push(v),
                    Ok(None) => break,
                    Err(e) => { end = Err(e); break 'feed; }
                }
            }
        }
        prop_assert_eq!((out, end), whole);
    }
}
