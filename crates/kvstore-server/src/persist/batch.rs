//! Batches of keys, as snapshot files (version 4) hold them: many keys to
//! a checksummed record, in a compact binary form, compressed with LZ4
//! when that pays.
//!
//! ```text
//! payload  'B' codec:u8 raw_len:varint count:varint db:varint body
//!          codec 0: body is the entries; 1: body is an LZ4 block of them
//! entry    tag:u8 [deadline:varint] key value
//!          tag: bits 0-1 STR 0, INT 1, OTHER 2; bit 2: has a deadline;
//!          bits 3-7: the key's length plus one if it is under 31, else 0
//! key      [len:varint, if not in the tag] bytes
//! value    STR: len:varint bytes | INT: zigzag varint
//!          OTHER: type name (len:varint bytes), then one RESP3 frame
//!          (len:varint bytes): containers and seed values
//! ```
//!
//! Strings and integers, nearly every key of most datasets, are written
//! straight from the record and read straight into a new one, with no
//! protocol value in between.

use bytes::{Bytes, BytesMut};
use kvstore_protocol::{encode_as, Dialect, Value};

use super::entry::Entry;
use super::record;
use crate::keyspace::{NewValue, Record, ValueRef};

/// The first byte of a batch's payload (a protocol frame never starts so).
pub const TAG: u8 = b'B';

/// A batch is sealed once its entries take this much.
const TARGET: usize = 64 * 1024;
/// Larger batches (a single huge value) are stored as they are: compressing
/// them would hold a second copy in memory for little gain in speed.
const COMPRESS_MAX: usize = 8 << 20;

const STR: u8 = 0;
const INT: u8 = 1;
const OTHER: u8 = 2;
const KIND: u8 = 0x03;
const HAS_DEADLINE: u8 = 0x04;
const KEY_SHIFT: u32 = 3;
/// Keys shorter than this have their length in the tag.
const SHORT_KEY: usize = 31;

const RAW: u8 = 0;
const LZ4: u8 = 1;

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Gathers entries and seals them into framed batch records.
#[derive(Default)]
pub struct Writer {
    raw: Vec<u8>,
    count: u64,
    /// The database of every key in the batch (one database per batch).
    db: usize,
    packed: Vec<u8>,
    frame: BytesMut,
}

impl Writer {
    /// Adds the record at `db` to the batch; seals the batch into `out`
    /// (as one record) once it is full. Returns the bytes added to `out`.
    pub fn push(&mut self, db: usize, rec: &Record, out: &mut BytesMut) -> usize {
        let mut added = 0;
        if db != self.db {
            added = self.seal(out);
            self.db = db;
        }
        let deadline = rec.deadline();
        let key = rec.key();
        let mut tag = if deadline.is_some() { HAS_DEADLINE } else { 0 };
        if key.len() < SHORT_KEY {
            tag |= ((key.len() + 1) as u8) << KEY_SHIFT;
        }
        let tag_at = self.raw.len();
        self.raw.push(0);
        if let Some(d) = deadline {
            put_varint(&mut self.raw, d);
        }
        if key.len() < SHORT_KEY {
            self.raw.extend_from_slice(key);
        } else {
            put_bytes(&mut self.raw, key);
        }
        let kind = match rec.view() {
            ValueRef::Str(s) => {
                put_bytes(&mut self.raw, s);
                STR
            }
            ValueRef::Int(n) => {
                put_varint(&mut self.raw, ((n << 1) ^ (n >> 63)) as u64);
                INT
            }
            _ => {
                let (kind, value) = rec.to_parts();
                put_bytes(&mut self.raw, kind.as_bytes());
                self.frame.clear();
                encode_as(&value, Dialect::Resp3, &mut self.frame);
                put_bytes(&mut self.raw, &self.frame);
                OTHER
            }
        };
        self.raw[tag_at] = tag | kind;
        self.count += 1;
        if self.raw.len() >= TARGET {
            added += self.seal(out);
        }
        added
    }

    /// Seals what the batch holds into `out`; returns the bytes added.
    pub fn seal(&mut self, out: &mut BytesMut) -> usize {
        if self.count == 0 {
            return 0;
        }
        let mut head = vec![TAG, RAW];
        put_varint(&mut head, self.raw.len() as u64);
        put_varint(&mut head, self.count);
        put_varint(&mut head, self.db as u64);
        let mut body: &[u8] = &self.raw;
        if self.raw.len() <= COMPRESS_MAX {
            self.packed
                .resize(lz4_flex::block::get_maximum_output_size(self.raw.len()), 0);
            if let Ok(n) = lz4_flex::block::compress_into(&self.raw, &mut self.packed) {
                // Only where it pays: an eighth smaller at least.
                if n < self.raw.len() - self.raw.len() / 8 {
                    head[1] = LZ4;
                    body = &self.packed[..n];
                }
            }
        }
        let added = record::push_with(out, |buf| {
            buf.extend_from_slice(&head);
            buf.extend_from_slice(body);
        });
        self.raw.clear();
        self.count = 0;
        added
    }
}

/// One key of a batch, borrowed from it.
pub struct Packed<'a> {
    pub db: usize,
    pub key: &'a [u8],
    pub deadline: Option<u64>,
    value: Stored<'a>,
}

enum Stored<'a> {
    Str(&'a [u8]),
    Int(i64),
    Other { kind: &'a str, value: Value },
}

impl Packed<'_> {
    /// The record this key is stored as.
    pub fn record(&self) -> Result<Record, String> {
        Ok(match &self.value {
            Stored::Str(s) => Record::new(self.key, NewValue::Str(s), self.deadline),
            Stored::Int(n) => Record::new(self.key, NewValue::Int(*n), self.deadline),
            Stored::Other { kind, value } => {
                Record::from_parts(self.key, kind, value, self.deadline)?
            }
        })
    }

    /// The key as a snapshot entry.
    pub fn into_entry(self) -> Entry {
        let (kind, value) = match self.value {
            Stored::Str(s) => ("v".to_string(), Value::Bulk(Bytes::copy_from_slice(s))),
            Stored::Int(n) => ("v".to_string(), Value::Integer(n)),
            Stored::Other { kind, value } => (kind.to_string(), value),
        };
        Entry {
            db: self.db,
            key: Bytes::copy_from_slice(self.key),
            value,
            deadline: self.deadline,
            kind,
        }
    }
}

/// Reads through a batch's bytes, refusing anything that runs past them.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.data.get(self.at).ok_or("batch entry cut short")?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err("batch varint overflows".into());
            }
            n |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("batch varint too long".into())
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = usize::try_from(self.varint()?).map_err(|_| "batch length too large")?;
        self.take(len)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(len)
            .filter(|&e| e <= self.data.len())
            .ok_or("batch entry runs past its batch")?;
        let b = &self.data[self.at..end];
        self.at = end;
        Ok(b)
    }
}

/// Decodes the batch `payload` (which begins with [`TAG`]), handing each
/// key to `f`; `scratch` holds the decompressed entries. Returns how many
/// keys it held.
pub fn read(
    payload: &[u8],
    scratch: &mut Vec<u8>,
    f: &mut dyn FnMut(Packed<'_>) -> Result<(), String>,
) -> Result<u64, String> {
    let mut head = Cursor {
        data: payload,
        at: 1,
    };
    let codec = head.byte()?;
    let raw_len = usize::try_from(head.varint()?).map_err(|_| "batch too large")?;
    let count = head.varint()?;
    let db = usize::try_from(head.varint()?).map_err(|_| "bad database")?;
    let body = &payload[head.at..];
    let entries: &[u8] = match codec {
        RAW if raw_len == body.len() => body,
        RAW => return Err("batch length does not match".into()),
        LZ4 => {
            // LZ4 cannot expand by more than 255 to 1: a larger claim is
            // damage, and is refused before anything is allocated for it.
            if raw_len > body.len().saturating_mul(255) {
                return Err("batch claims more than its data can expand to".into());
            }
            scratch.clear();
            scratch
                .try_reserve(raw_len)
                .map_err(|_| "no memory for a batch")?;
            scratch.resize(raw_len, 0);
            match lz4_flex::block::decompress_into(body, scratch) {
                Ok(n) if n == raw_len => &scratch[..],
                _ => return Err("batch does not decompress".into()),
            }
        }
        other => return Err(format!("unknown batch codec {other}")),
    };
    let mut c = Cursor {
        data: entries,
        at: 0,
    };
    let mut seen = 0u64;
    while c.at < entries.len() {
        let tag = c.byte()?;
        let deadline = if tag & HAS_DEADLINE != 0 {
            Some(c.varint()?)
        } else {
            None
        };
        let key = match usize::from(tag >> KEY_SHIFT) {
            0 => c.bytes()?,
            n => c.take(n - 1)?,
        };
        let value = match tag & KIND {
            STR => Stored::Str(c.bytes()?),
            INT => {
                let z = c.varint()?;
                Stored::Int(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            OTHER => {
                let kind = std::str::from_utf8(c.bytes()?).map_err(|_| "bad type name")?;
                let frame = c.bytes()?;
                let value = record::decode_payload(frame)?;
                Stored::Other { kind, value }
            }
            _ => return Err(format!("bad batch entry tag {tag}")),
        };
        f(Packed {
            db,
            key,
            deadline,
            value,
        })?;
        seen += 1;
    }
    if seen != count {
        return Err(format!("batch says {count} keys, holds {seen}"));
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::entry::test_entry as entry;

    fn sample() -> Vec<Entry> {
        vec![
            entry(0, "s", Value::bulk("x\r\ny"), None, "v"),
            entry(0, "long", Value::bulk("a".repeat(100_000)), None, "v"),
            entry(0, "empty", Value::bulk(""), Some(1), "v"),
            entry(1, "i", Value::Integer(-7), Some(1_900_000_000_000), "v"),
            entry(2, "max", Value::Integer(i64::MAX), None, "v"),
            entry(2, "min", Value::Integer(i64::MIN), Some(u64::MAX >> 1), "v"),
            entry(3, "d", Value::Double(0.1), None, "v"),
            entry(
                4,
                "h",
                Value::Map(vec![(Value::bulk("f"), Value::bulk("v"))]),
                None,
                "hash",
            ),
            entry(
                15,
                "z",
                Value::Array(vec![Value::bulk("m"), Value::Double(1.5)]),
                Some(9),
                "zset",
            ),
        ]
    }

    /// Seals `entries` into framed records; returns the payloads.
    fn sealed(entries: &[Entry]) -> Vec<Vec<u8>> {
        let mut w = Writer::default();
        let mut out = BytesMut::new();
        for e in entries {
            w.push(e.db, &e.record().unwrap(), &mut out);
        }
        w.seal(&mut out);
        let mut payloads = Vec::new();
        let mut at = 0;
        while let Next::Record { payload, end } = record::next(&out, at) {
            payloads.push(payload.to_vec());
            at = end;
        }
        assert_eq!(at, out.len());
        payloads
    }

    use super::record::Next;

    fn read_all(payloads: &[Vec<u8>]) -> Result<Vec<Entry>, String> {
        let mut got = Vec::new();
        let mut scratch = Vec::new();
        for p in payloads {
            read(p, &mut scratch, &mut |k| {
                k.record()?;
                got.push(k.into_entry());
                Ok(())
            })?;
        }
        Ok(got)
    }

    #[test]
    fn every_kind_comes_back_as_it_went() {
        let want = sample();
        let payloads = sealed(&want);
        // The long value seals the first batch; then one per database.
        assert_eq!(payloads.len(), 7);
        let got = read_all(&payloads).unwrap();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert!(g == w, "{:?} came back as {:?}", w.key, g.key);
        }
    }

    #[test]
    fn compressible_batches_are_compressed_and_others_not() {
        let same: Vec<Entry> = (0..500)
            .map(|i| {
                entry(
                    0,
                    &format!("key:{i:08}"),
                    Value::bulk("v".repeat(200)),
                    None,
                    "v",
                )
            })
            .collect();
        let p = sealed(&same);
        assert_eq!(p[0][1], LZ4);
        assert!(p.iter().map(Vec::len).sum::<usize>() < 500 * 200 / 4);
        let mut x = 1u64;
        let noise: Vec<Entry> = (0..50)
            .map(|i| {
                let v: String = (0..200)
                    .map(|_| {
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                        char::from(b'!' + (x >> 58) as u8)
                    })
                    .collect();
                entry(0, &format!("n{i}"), Value::bulk(&v), None, "v")
            })
            .collect();
        let p = sealed(&noise);
        assert_eq!(p[0][1], RAW);
        assert_eq!(read_all(&p).unwrap(), noise);
    }

    #[test]
    fn damaged_batches_are_refused_never_panic() {
        for payload in sealed(&sample()) {
            for i in 0..payload.len().min(400) {
                for flip in [0x01u8, 0x80, 0xff] {
                    let mut bad = payload.clone();
                    bad[i] ^= flip;
                    let _ = read_all(&[bad]);
                }
            }
            for cut in 1..payload.len().min(300) {
                let r = read_all(&[payload[..cut].to_vec()]);
                assert!(r.is_err(), "cut at {cut} accepted");
            }
        }
        // A claim of more than LZ4 can expand to is refused up front.
        let mut huge = vec![TAG, LZ4];
        put_varint(&mut huge, 1 << 40);
        put_varint(&mut huge, 1);
        huge.extend_from_slice(&[0; 16]);
        assert!(read_all(&[huge]).unwrap_err().contains("expand"));
    }
}
