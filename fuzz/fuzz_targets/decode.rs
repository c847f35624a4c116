//! Feeds arbitrary bytes to the decoder, whole and in pieces, with tight
//! limits so that the limit paths are reached too. It checks that decoding
//! never panics, that chunking never changes the outcome, and that every
//! decoded value re-encodes to something that decodes back equal.
#![no_main]

use bytes::BytesMut;
use kvstore_protocol::{encode, Decoder, Limits, ProtocolError, Value};
use libfuzzer_sys::fuzz_target;

fn run(data: &[u8], chunk: usize, limits: Limits) -> (Vec<Value>, Option<ProtocolError>) {
    let mut d = Decoder::new(limits);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in data.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match d.decode(&mut buf) {
                Ok(Some(v)) => out.push(v),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

fuzz_target!(|input: &[u8]| {
    let Some((&selector, data)) = input.split_first() else {
        return;
    };
    let limits = Limits {
        max_bulk_len: 1 << 12,
        max_elements: 64,
        max_depth: 8,
        max_line: 256,
        // Unlimited: the frame limit is the one check whose error may
        // depend on how bytes were split (see its documentation).
        max_frame_len: usize::MAX >> 1,
    };
    let whole = run(data, data.len(), limits);
    let chunked = run(data, usize::from(selector % 17) + 1, limits);
    assert_eq!(whole, chunked, "chunking changed the outcome");
    for v in whole.0 {
        let mut enc = BytesMut::new();
        encode(&v, &mut enc);
        let mut d = Decoder::new(Limits::default());
        match d.decode(&mut enc) {
            // NaN is the one value not equal to itself.
            Ok(Some(back)) => assert!(back == v || format!("{v:?}").contains("NaN")),
            other => panic!("re-encoded {v:?} did not decode: {other:?}"),
        }
    }
});
