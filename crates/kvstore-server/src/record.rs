//! One key and its value in a single heap block behind a thin pointer.
//!
//! This is the store's memory layout, and most of kvstore's memory for small
//! keys. A hash-table slot holds only this 8-byte pointer, and the block
//! holds everything else with a few bytes of header:
//!
//! ```text
//! [tag: u8][key length: varint][key][payload]
//!   tag STR:   payload = [length: varint][bytes]
//!   tag INT:   payload = [i64, little-endian]
//!   tag OTHER: payload = [length: varint][the value in the seed encoding]
//! ```
//!
//! A 16-byte key with a 16-byte string takes 35 bytes, one allocation, where
//! an entry of owned `Box<[u8]>` + `Value` took 56 bytes in the table plus
//! two allocations. Tables are at most 7/8 full and double when they grow,
//! so the slot size counts up to twice over; keeping it at 8 bytes matters.
//!
//! The block is a `Box<[u8]>` whose length is not stored: it is read back
//! from the header, which is all the unsafe code here relies on.

use std::ptr::NonNull;

use bytes::{Bytes, BytesMut};
use kvstore_protocol::{encode, Decoder, Limits, Value};

const STR: u8 = 0;
const INT: u8 = 1;
const OTHER: u8 = 2;

pub struct Record(NonNull<u8>);

// SAFETY: a Record owns its block outright (like a Box<[u8]>) and has no
// interior mutability, so moving or sharing it across threads is as safe as
// doing so with the Box.
unsafe impl Send for Record {}
unsafe impl Sync for Record {}

/// A value as it sits in a record, without copying it out.
pub enum ValueRef<'a> {
    Str(&'a [u8]),
    Int(i64),
    /// Any other type, in the seed encoding.
    Other(&'a [u8]),
}

impl ValueRef<'_> {
    /// The name Redis's `TYPE` gives this value: arrays are lists,
    /// dictionaries hashes, sets sets, and every scalar a string.
    pub fn redis_type(&self) -> &'static str {
        match self {
            ValueRef::Other(enc) => match enc.first() {
                Some(b'*') => "list",
                Some(b'%') => "hash",
                Some(b'~') => "set",
                _ => "string",
            },
            _ => "string",
        }
    }
}

impl Record {
    pub fn new(key: &[u8], value: &Value) -> Record {
        match value {
            Value::Bulk(b) | Value::Simple(b) => Self::build(key, STR, Payload::Bytes(b)),
            Value::Integer(n) => Self::build(key, INT, Payload::Int(*n)),
            other => {
                let mut enc = BytesMut::new();
                encode(other, &mut enc);
                Self::build(key, OTHER, Payload::Encoded(enc.freeze()))
            }
        }
    }

    /// A record holding the string `value`, without a `Value` around it.
    pub fn new_str(key: &[u8], value: &[u8]) -> Record {
        Self::build(key, STR, Payload::Bytes(value))
    }

    fn build(key: &[u8], tag: u8, payload: Payload<'_>) -> Record {
        let payload_len = match &payload {
            Payload::Bytes(b) => varint_len(b.len()) + b.len(),
            Payload::Encoded(b) => varint_len(b.len()) + b.len(),
            Payload::Int(_) => 8,
        };
        // Exactly sized: shrinking a larger buffer later would leave the
        // block in the allocator's bigger size class.
        let mut block = Vec::with_capacity(1 + varint_len(key.len()) + key.len() + payload_len);
        block.push(tag);
        put_varint(&mut block, key.len());
        block.extend_from_slice(key);
        match payload {
            Payload::Bytes(b) => {
                put_varint(&mut block, b.len());
                block.extend_from_slice(b);
            }
            Payload::Encoded(b) => {
                put_varint(&mut block, b.len());
                block.extend_from_slice(&b);
            }
            Payload::Int(n) => block.extend_from_slice(&n.to_le_bytes()),
        }
        debug_assert_eq!(block.len(), block.capacity());
        let boxed: Box<[u8]> = block.into_boxed_slice();
        let raw = Box::into_raw(boxed) as *mut u8;
        // SAFETY: Box::into_raw never returns null.
        Record(unsafe { NonNull::new_unchecked(raw) })
    }

    /// The whole block. Its length is recomputed from the header.
    fn block(&self) -> &[u8] {
        let base = self.0.as_ptr();
        // SAFETY: the block was built by `build` in exactly this layout, so
        // each read below stays inside it: the tag, a complete key-length
        // varint, the key, then a complete payload. The lengths read are
        // the ones written, so `len` is the block's true length.
        unsafe {
            let tag = *base;
            let (klen, n) = read_varint_raw(base.add(1));
            let payload = base.add(1 + n + klen);
            let len = match tag {
                INT => 1 + n + klen + 8,
                _ => {
                    let (vlen, m) = read_varint_raw(payload);
                    1 + n + klen + m + vlen
                }
            };
            std::slice::from_raw_parts(base, len)
        }
    }

    fn split(&self) -> (u8, &[u8], &[u8]) {
        let block = self.block();
        let (klen, n) = read_varint(&block[1..]);
        let key_start = 1 + n;
        let key = &block[key_start..key_start + klen];
        (block[0], key, &block[key_start + klen..])
    }

    /// Asks the CPU to start loading this record's block, so that a lookup
    /// made shortly after does not stall on it.
    #[inline]
    pub fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is only a hint: it never faults and never
        // changes memory, whatever the address.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(self.0.as_ptr() as *const i8);
        }
    }

    /// The key. This is what every hash probe compares, so it reads only
    /// the key's length rather than walking the whole header.
    pub fn key(&self) -> &[u8] {
        let base = self.0.as_ptr();
        // SAFETY: `build` wrote the tag, then a complete varint, then that
        // many key bytes, all inside the block.
        unsafe {
            let (klen, n) = read_varint_raw(base.add(1));
            std::slice::from_raw_parts(base.add(1 + n), klen)
        }
    }

    pub fn view(&self) -> ValueRef<'_> {
        let (tag, _, payload) = self.split();
        match tag {
            INT => {
                let mut le = [0u8; 8];
                le.copy_from_slice(&payload[..8]);
                ValueRef::Int(i64::from_le_bytes(le))
            }
            STR => {
                let (len, n) = read_varint(payload);
                ValueRef::Str(&payload[n..n + len])
            }
            _ => {
                let (len, n) = read_varint(payload);
                ValueRef::Other(&payload[n..n + len])
            }
        }
    }

    /// The value, copied out.
    pub fn value(&self) -> Value {
        match self.view() {
            ValueRef::Str(b) => Value::Bulk(Bytes::copy_from_slice(b)),
            ValueRef::Int(n) => Value::Integer(n),
            ValueRef::Other(enc) => decode_stored(enc),
        }
    }
}

enum Payload<'a> {
    Bytes(&'a [u8]),
    Int(i64),
    Encoded(Bytes),
}

/// Decodes a value that `Record::new` encoded. It was accepted under the
/// server's limits when it arrived, so none are applied again here.
fn decode_stored(enc: &[u8]) -> Value {
    let limits = Limits {
        max_bulk_len: usize::MAX >> 1,
        max_elements: usize::MAX >> 1,
        max_depth: crate::config::MAX_NESTING_CEILING + 1,
        max_line: usize::MAX >> 1,
        max_frame_len: usize::MAX >> 1,
    };
    let mut buf = BytesMut::from(enc);
    // Only bytes our own encoder wrote are ever stored, so this cannot
    // fail; null is the least harmful answer if it somehow did.
    Decoder::new(limits)
        .decode(&mut buf)
        .ok()
        .flatten()
        .unwrap_or(Value::Null)
}

impl Drop for Record {
    fn drop(&mut self) {
        let len = self.block().len();
        let slice = std::ptr::slice_from_raw_parts_mut(self.0.as_ptr(), len);
        // SAFETY: the pointer and length are those of the Box<[u8]> that
        // `build` leaked, and nothing else frees it.
        drop(unsafe { Box::from_raw(slice) });
    }
}

impl Clone for Record {
    fn clone(&self) -> Record {
        let copy: Box<[u8]> = self.block().into();
        // SAFETY: Box::into_raw never returns null.
        Record(unsafe { NonNull::new_unchecked(Box::into_raw(copy) as *mut u8) })
    }
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Record")
            .field(&String::from_utf8_lossy(self.key()))
            .field(&self.value())
            .finish()
    }
}

fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn read_varint(bytes: &[u8]) -> (usize, usize) {
    let mut n = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        n |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return (n, i + 1);
        }
    }
    (n, bytes.len())
}

/// # Safety
/// `p` must point at a complete varint written by `put_varint`.
#[inline]
unsafe fn read_varint_raw(p: *const u8) -> (usize, usize) {
    // SAFETY: a varint has at least one byte.
    let first = unsafe { *p };
    if first < 0x80 {
        return (usize::from(first), 1);
    }
    let mut n = 0usize;
    let mut i = 0;
    loop {
        // SAFETY: the caller promises a complete varint, so every byte up
        // to and including the one without the high bit is readable.
        let b = unsafe { *p.add(i) };
        n |= usize::from(b & 0x7f) << (7 * i);
        i += 1;
        if b & 0x80 == 0 {
            return (n, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(key: &[u8], v: Value) {
        let r = Record::new(key, &v);
        assert_eq!(r.key(), key);
        assert_eq!(r.value(), v);
        let c = r.clone();
        drop(r);
        assert_eq!(c.key(), key);
        assert_eq!(c.value(), v);
    }

    #[test]
    fn every_kind_of_value() {
        round_trip(b"k", Value::bulk("v"));
        round_trip(b"", Value::bulk(""));
        round_trip(b"n", Value::Integer(i64::MIN));
        round_trip(b"n", Value::Integer(-1));
        round_trip(b"null", Value::Null);
        round_trip(
            b"nested",
            Value::Array(vec![
                Value::Integer(1),
                Value::Map(vec![(Value::bulk("a"), Value::Null)]),
            ]),
        );
        round_trip(b"b", Value::Boolean(true));
        round_trip(b"d", Value::Double(2.5));
    }

    #[test]
    fn long_keys_and_values_need_multi_byte_lengths() {
        let key = vec![7u8; 300];
        let val = Value::Bulk(Bytes::from(vec![9u8; 70_000]));
        round_trip(&key, val);
    }

    #[test]
    fn small_entries_fit_forty_bytes() {
        let r = Record::new(b"key:000000000001", &Value::bulk("0123456789abcdef"));
        assert_eq!(r.block().len(), 35);
        assert_eq!(std::mem::size_of::<Record>(), 8);
        assert_eq!(std::mem::size_of::<Option<Record>>(), 8);
    }
}
