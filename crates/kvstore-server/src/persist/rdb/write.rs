//! Writing an RDB file of version 10 that Redis 7 loads.
//!
//! The layout is the one Redis 7.0 writes: the auxiliary fields, the
//! function libraries (`FUNCTION2`), then for each database that has keys
//! `SELECTDB` and `RESIZEDB` before its keys, each key preceded by its
//! `EXPIRETIME_MS`; `EOF` and the CRC-64 last. Values use the simplest
//! encodings Redis still loads, and it re-encodes them compactly as it
//! loads them by its own thresholds:
//!
//! - a string: type 0, integer-encoded where Redis would (up to 11
//!   characters spelling an integer that fits 32 bits), else plain;
//! - a list: type 1 (`LIST`), its elements in order;
//! - a set: type 2 (`SET`); a hash: type 4 (`HASH`);
//! - a sorted set: type 5 (`ZSET_2`), binary doubles.
//!
//! Strings are not LZF-compressed: Redis reads them either way.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use bytes::Bytes;

use super::{len, op, ty, CRC64, WRITE_VERSION};
use crate::cmd::printable;
use crate::keyspace::object::{canonical_int, Piece};
use crate::keyspace::{Record, ValueRef};
use crate::persist::fsutil::{commit_temp, create_temp, discard_temp, temp_path};
use crate::persist::PersistError;

/// The Redis version the file says wrote it: the one whose format it is.
pub const REDIS_VER: &str = "7.0.15";

/// What [`write`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub keys: u64,
    pub bytes: u64,
}

/// Writes the records `records()` gives (each with its database, in
/// database order; called twice, to count them first) and the
/// function `libraries` to `path` as an RDB file, atomically: a temporary
/// file, fsynced, renamed over `path`. A value with no RDB form (a seed
/// value that is not a string) is refused, naming its key, and nothing is
/// written.
pub fn write<'a, I>(
    path: &Path,
    records: impl Fn() -> I,
    libraries: &[Bytes],
) -> Result<Written, PersistError>
where
    I: Iterator<Item = (usize, &'a Record)>,
{
    let tmp = temp_path(path);
    match write_temp(&tmp, records, libraries) {
        Ok(w) => {
            commit_temp(&tmp, path).inspect_err(|_| discard_temp(&tmp))?;
            Ok(w)
        }
        Err(e) => {
            discard_temp(&tmp);
            Err(e)
        }
    }
}

fn write_temp<'a, I>(
    tmp: &Path,
    records: impl Fn() -> I,
    libraries: &[Bytes],
) -> Result<Written, PersistError>
where
    I: Iterator<Item = (usize, &'a Record)>,
{
    // RESIZEDB comes before a database's keys: count them first, and
    // refuse what cannot be written before creating anything.
    let mut sizes: Vec<(u64, u64)> = Vec::new();
    for (db, rec) in records() {
        check(db, rec)?;
        if sizes.len() <= db {
            sizes.resize(db + 1, (0, 0));
        }
        sizes[db].0 += 1;
        sizes[db].1 += u64::from(rec.deadline().is_some());
    }
    let io = |e| PersistError::io(tmp, e);
    let file = create_temp(tmp).map_err(io)?;
    let mut out = Out::new(BufWriter::with_capacity(1 << 20, file));
    out.put(format!("REDIS{WRITE_VERSION:04}").as_bytes());
    let ctime = crate::keyspace::clock::unix_ms() / 1000;
    let used = crate::memory::used() as u64;
    for (key, value) in [
        ("redis-ver", REDIS_VER.to_string()),
        ("redis-bits", "64".to_string()),
        ("ctime", ctime.to_string()),
        ("used-mem", used.to_string()),
        ("aof-base", "0".to_string()),
    ] {
        out.put(&[op::AUX]);
        out.string(key.as_bytes());
        out.string(value.as_bytes());
    }
    for code in libraries {
        out.put(&[op::FUNCTION2]);
        out.string(code);
    }
    let mut current = None;
    let mut keys = 0u64;
    for (db, rec) in records() {
        if current != Some(db) {
            current = Some(db);
            let (n, expires) = sizes.get(db).copied().unwrap_or_default();
            out.put(&[op::SELECTDB]);
            out.len(db as u64);
            out.put(&[op::RESIZEDB]);
            out.len(n);
            out.len(expires);
        }
        out.record(rec);
        out.failed().map_err(io)?;
        keys += 1;
    }
    out.put(&[op::EOF]);
    let crc = out.digest.clone().finalize();
    out.put(&crc.to_le_bytes());
    out.failed().map_err(io)?;
    let bytes = out.size;
    let file = out.w.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(Written { keys, bytes })
}

/// Refuses a record whose value Redis has no type for.
fn check(db: usize, rec: &Record) -> Result<(), PersistError> {
    match rec.view() {
        ValueRef::Obj(_) => Ok(()),
        v if v.as_str().is_some() => Ok(()),
        v => Err(PersistError::Config(format!(
            "key '{}' in database {db} holds a {} value, which Redis has no type for: convert or delete it before exporting",
            printable(rec.key(), 64),
            v.to_value().type_name()
        ))),
    }
}

/// A writer that keeps the running checksum and the size, and holds the
/// first write error until asked (so that a walk over a container's
/// elements need not stop for it).
struct Out<W: Write> {
    w: W,
    digest: crc::Digest<'static, u64, crc::Table<16>>,
    size: u64,
    error: Option<io::Error>,
}

impl<W: Write> Out<W> {
    fn new(w: W) -> Self {
        Out {
            w,
            digest: CRC64.digest(),
            size: 0,
            error: None,
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        self.digest.update(bytes);
        self.size += bytes.len() as u64;
        if let Err(e) = self.w.write_all(bytes) {
            self.error = Some(e);
        }
    }

    fn failed(&mut self) -> io::Result<()> {
        self.error.take().map_or(Ok(()), Err)
    }

    /// Redis's variable-length encoding of a length.
    fn len(&mut self, n: u64) {
        if n < 1 << 6 {
            self.put(&[n as u8]);
        } else if n < 1 << 14 {
            self.put(&[(len::BITS14 << 6) | (n >> 8) as u8, n as u8]);
        } else if let Ok(n) = u32::try_from(n) {
            self.put(&[len::BITS32]);
            self.put(&n.to_be_bytes());
        } else {
            self.put(&[len::BITS64]);
            self.put(&n.to_be_bytes());
        }
    }

    /// A string, as an integer where Redis would store it as one.
    fn string(&mut self, s: &[u8]) {
        if s.len() <= 11 {
            if let Some(n) = canonical_int(s) {
                if self.int(n) {
                    return;
                }
            }
        }
        self.len(s.len() as u64);
        self.put(s);
    }

    /// An integer in the smallest of Redis's three integer encodings;
    /// false (nothing written) if it does not fit 32 bits.
    fn int(&mut self, n: i64) -> bool {
        let enc = len::ENCODED << 6;
        if let Ok(n) = i8::try_from(n) {
            self.put(&[enc | len::INT8]);
            self.put(&n.to_le_bytes());
        } else if let Ok(n) = i16::try_from(n) {
            self.put(&[enc | len::INT16]);
            self.put(&n.to_le_bytes());
        } else if let Ok(n) = i32::try_from(n) {
            self.put(&[enc | len::INT32]);
            self.put(&n.to_le_bytes());
        } else {
            return false;
        }
        true
    }

    /// An integer member (of an intset): as a string spelling it.
    fn decimal(&mut self, n: i64) {
        if !self.int(n) {
            self.string(n.to_string().as_bytes());
        }
    }

    /// One key: its deadline, type, name and value.
    fn record(&mut self, rec: &Record) {
        if let Some(ms) = rec.deadline() {
            self.put(&[op::EXPIRETIME_MS]);
            self.put(&(ms as i64).to_le_bytes());
        }
        match rec.view() {
            ValueRef::Obj(o) => {
                let kind = match o.type_name() {
                    "list" => ty::LIST,
                    "set" => ty::SET,
                    "hash" => ty::HASH,
                    _ => ty::ZSET_2,
                };
                self.put(&[kind]);
                self.string(rec.key());
                o.walk_view(&mut |piece| match piece {
                    Piece::Array(n) if kind == ty::ZSET_2 => self.len(n as u64 / 2),
                    Piece::Array(n) | Piece::Map(n) | Piece::Set(n) => self.len(n as u64),
                    Piece::Bytes(b) => self.string(b),
                    Piece::Decimal(n) => self.decimal(n),
                    Piece::Double(d) => self.put(&d.to_le_bytes()),
                });
            }
            v => {
                self.put(&[ty::STRING]);
                self.string(rec.key());
                // `check` let only strings through.
                self.string(&v.as_str().unwrap_or_default());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of(f: impl FnOnce(&mut Out<Vec<u8>>)) -> Vec<u8> {
        let mut out = Out::new(Vec::new());
        f(&mut out);
        out.w
    }

    #[test]
    fn lengths_take_redis_encodings() {
        assert_eq!(bytes_of(|o| o.len(63)), [63]);
        assert_eq!(bytes_of(|o| o.len(64)), [0x40, 64]);
        assert_eq!(bytes_of(|o| o.len(16383)), [0x7F, 0xFF]);
        assert_eq!(bytes_of(|o| o.len(16384)), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(bytes_of(|o| o.len(1 << 32)), [0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn strings_that_spell_small_integers_are_integers() {
        assert_eq!(bytes_of(|o| o.string(b"7")), [0xC0, 7]);
        assert_eq!(bytes_of(|o| o.string(b"-200")), [0xC1, 0x38, 0xFF]);
        assert_eq!(
            bytes_of(|o| o.string(b"2147483647")),
            [0xC2, 0xFF, 0xFF, 0xFF, 0x7F]
        );
        // Too wide, not canonical, or not a number: plain.
        assert_eq!(bytes_of(|o| o.string(b"2147483648"))[0], 10);
        assert_eq!(bytes_of(|o| o.string(b"007")), [3, b'0', b'0', b'7']);
        assert_eq!(bytes_of(|o| o.string(b"")), [0]);
        assert_eq!(bytes_of(|o| o.decimal(1 << 40))[0], 13);
    }
}
