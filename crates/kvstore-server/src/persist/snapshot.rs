//! Snapshot files: the whole keyspace at one instant.
//!
//! ```text
//! "KVSNAP" version:u16 LE
//! record*           one per key: [key (bulk), value, db, deadline, kind]
//!                   (deadline: Unix ms, or null; kind: `v` for a string or
//!                   seed value, else the container's TYPE name; files
//!                   written before databases and deadlines hold pairs
//!                   [key, value], read as db 0, no deadline, kind `v`)
//! record*           version 2: one per function library: [+FUNCTION, source]
//! record            [+END, count]   (count: key records)
//! ```
//!
//! Version 1 files (written before function libraries) are read as they
//! are; version 2 added the library records, so a version-1 reader would
//! refuse a newer file rather than drop its libraries unseen.
//!
//! Records use the framing of [`super::record`], so every entry carries its
//! own checksum and damage is reported with its byte offset. A snapshot
//! that lacks the END record, or has anything after it, was not completely
//! written and is refused. The same format serves as the base file of the
//! append-only file.

use std::fs::{self, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kvstore_protocol::Value;

use super::fsutil::{commit_temp, discard_temp, temp_path};
use super::record::{self, Next};
use super::{failpoint, PersistError};
use crate::keyspace::{Record, Visitor, Walk};

pub const MAGIC: &[u8; 8] = b"KVSNAP\x02\x00";
/// The magic of version 1, which had no library records.
const MAGIC_V1: &[u8; 8] = b"KVSNAP\x01\x00";

/// True if `data` begins like a snapshot file of any version.
pub fn is_snapshot(data: &[u8]) -> bool {
    data.starts_with(MAGIC) || data.starts_with(MAGIC_V1)
}

/// One key as a snapshot holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub db: usize,
    pub key: Bytes,
    pub value: Value,
    pub deadline: Option<u64>,
    pub kind: String,
}

impl Entry {
    /// The record this entry describes.
    pub fn record(&self) -> Result<Record, String> {
        Record::from_parts(&self.key, &self.kind, &self.value, self.deadline)
    }
}

/// Writes what `source` holds to `path` atomically (temporary file, fsync,
/// rename, directory fsync). Returns the file size. `why` (`save`,
/// `rewrite`, `init`) names the failpoints on the way.
///
/// The source is visited shard by shard (see [`crate::keyspace::cut`]):
/// records are encoded under a shard's read lock and written out after it
/// is released, so no write waits on the disk.
pub fn write(path: &Path, source: &impl Walk, why: &str) -> Result<u64, PersistError> {
    let tmp = temp_path(path);
    let result = write_temp(&tmp, source, why);
    match result {
        Ok(size) => {
            failpoint(&format!("{why}-before-rename"));
            commit_temp(&tmp, path).inspect_err(|_| discard_temp(&tmp))?;
            Ok(size)
        }
        Err(e) => {
            discard_temp(&tmp);
            Err(e)
        }
    }
}

/// Encodes records as a snapshot's entries; see [`write`].
struct Encoder<'a> {
    out: BufWriter<fs::File>,
    tmp: &'a Path,
    buf: BytesMut,
    size: u64,
    written: u64,
    /// The failpoint `{why}-half-written` fires after this many records.
    half: u64,
    why: &'a str,
    /// Test hook: a pause after each shard written (see [`save_delay`]).
    delay: Option<Duration>,
}

impl Visitor for Encoder<'_> {
    type Error = PersistError;

    fn record(&mut self, db: usize, rec: &Record) {
        let (kind, value) = rec.to_parts();
        let entry = Value::Array(vec![
            Value::Bulk(Bytes::copy_from_slice(rec.key())),
            value,
            Value::Integer(db as i64),
            rec.deadline()
                .map_or(Value::Null, |d| Value::Integer(d as i64)),
            Value::simple(kind),
        ]);
        if self.written == self.half {
            failpoint(&format!("{}-half-written", self.why));
        }
        self.size += record::push(&mut self.buf, &entry) as u64;
        self.written += 1;
    }

    fn unlocked(&mut self) -> Result<(), PersistError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.out
            .write_all(&self.buf)
            .map_err(|e| PersistError::io(self.tmp, e))?;
        self.buf.clear();
        if let Some(d) = self.delay {
            std::thread::sleep(d);
        }
        Ok(())
    }
}

/// `KVSTORE_DEBUG_SAVE_DELAY_US=N`: a snapshot or rewrite pauses N µs after
/// each shard it writes, so that a test can write while one is in progress.
/// A test hook, not a setting.
fn save_delay() -> Option<Duration> {
    static DELAY: OnceLock<Option<Duration>> = OnceLock::new();
    *DELAY.get_or_init(|| {
        std::env::var("KVSTORE_DEBUG_SAVE_DELAY_US")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_micros)
    })
}

/// The body of [`write`]: everything up to the fsync of the temporary file.
fn write_temp(tmp: &Path, source: &impl Walk, why: &str) -> Result<u64, PersistError> {
    let io = |e| PersistError::io(tmp, e);
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .map_err(io)?;
    let mut enc = Encoder {
        out: BufWriter::with_capacity(1 << 20, file),
        tmp,
        buf: BytesMut::with_capacity(64 * 1024),
        size: MAGIC.len() as u64,
        written: 0,
        half: source.keys() as u64 / 2,
        why,
        delay: save_delay(),
    };
    enc.out.write_all(MAGIC).map_err(io)?;
    source.walk(&mut enc)?;
    let Encoder {
        out,
        mut buf,
        mut size,
        written,
        ..
    } = enc;
    for code in source.libraries() {
        let lib = Value::Array(vec![Value::simple("FUNCTION"), Value::Bulk(code.clone())]);
        size += record::push(&mut buf, &lib) as u64;
    }
    // The END record counts what was written, so it always matches.
    let end = Value::Array(vec![Value::simple("END"), Value::Integer(written as i64)]);
    size += record::push(&mut buf, &end) as u64;
    let mut out = out;
    out.write_all(&buf).map_err(io)?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(size)
}

/// Reads the snapshot at `path`, handing every entry to `f`. Returns the
/// number of entries.
pub fn read(path: &Path, mut f: impl FnMut(Entry)) -> Result<u64, PersistError> {
    read_all(path, &mut f, &mut |_| {})
}

/// [`read`], also handing every function library's source to `lib`.
pub fn read_all(
    path: &Path,
    f: &mut dyn FnMut(Entry),
    lib: &mut dyn FnMut(Bytes),
) -> Result<u64, PersistError> {
    let data = fs::read(path).map_err(|e| PersistError::io(path, e))?;
    parse(path, &data, f, lib)
}

/// Checks the snapshot at `path` without keeping anything.
pub fn verify(path: &Path) -> Result<u64, PersistError> {
    read(path, |_| {})
}

fn parse(
    path: &Path,
    data: &[u8],
    f: &mut dyn FnMut(Entry),
    lib: &mut dyn FnMut(Bytes),
) -> Result<u64, PersistError> {
    let corrupt = |offset: usize, reason: String| PersistError::Corrupt {
        path: path.to_path_buf(),
        offset: offset as u64,
        reason,
    };
    let head = data.get(..MAGIC.len());
    let v1 = head == Some(&MAGIC_V1[..]);
    if !v1 && head != Some(&MAGIC[..]) {
        return Err(corrupt(0, "not a kvstore snapshot (bad magic)".into()));
    }
    let mut at = MAGIC.len();
    let mut count = 0u64;
    loop {
        let (payload, end) = match record::next(data, at) {
            Next::Record { payload, end } => (payload, end),
            Next::End => return Err(corrupt(at, "snapshot ends without its END record".into())),
            Next::Torn(why) | Next::Corrupt(why) => return Err(corrupt(at, why)),
        };
        let value = record::decode_payload(payload).map_err(|why| corrupt(at, why))?;
        let Value::Array(items) = value else {
            return Err(corrupt(at, "entry is not an array".into()));
        };
        let mut items = items.into_iter();
        let (first, value) = match (items.next(), items.next()) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(corrupt(at, "entry is too short".into())),
        };
        let rest: Vec<Value> = items.collect();
        match first {
            Value::Bulk(key) => {
                let entry = match &rest[..] {
                    [] => Entry {
                        db: 0,
                        key,
                        value,
                        deadline: None,
                        kind: "v".into(),
                    },
                    [Value::Integer(db), deadline, Value::Simple(kind)] if *db >= 0 => Entry {
                        db: *db as usize,
                        key,
                        value,
                        deadline: match deadline {
                            Value::Integer(d) if *d >= 0 => Some(*d as u64),
                            Value::Null => None,
                            _ => return Err(corrupt(at, "bad deadline".into())),
                        },
                        kind: String::from_utf8_lossy(kind).into_owned(),
                    },
                    _ => return Err(corrupt(at, "entry has the wrong shape".into())),
                };
                if let Err(why) = entry.record() {
                    return Err(corrupt(at, why));
                }
                f(entry);
                super::progress::advance(end as u64);
                count += 1;
            }
            Value::Simple(tag) if &tag[..] == b"FUNCTION" && !v1 && rest.is_empty() => {
                let Value::Bulk(code) = value else {
                    return Err(corrupt(at, "function library is not a string".into()));
                };
                lib(code);
            }
            Value::Simple(tag) if &tag[..] == b"END" && rest.is_empty() => {
                if value != Value::Integer(count as i64) {
                    return Err(corrupt(
                        at,
                        format!("END record says {value:?} entries, found {count}"),
                    ));
                }
                if end != data.len() {
                    return Err(corrupt(end, "bytes after the END record".into()));
                }
                return Ok(count);
            }
            _ => return Err(corrupt(at, "entry key is not a string".into())),
        }
        at = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(db: usize, key: &str, value: Value, deadline: Option<u64>, kind: &str) -> Entry {
        Entry {
            db,
            key: Bytes::copy_from_slice(key.as_bytes()),
            value,
            deadline,
            kind: kind.into(),
        }
    }

    fn sample() -> Vec<Entry> {
        vec![
            entry(0, "s", Value::bulk("x\r\ny"), None, "v"),
            entry(0, "i", Value::Integer(-7), Some(1_900_000_000_000), "v"),
            entry(3, "n", Value::Null, None, "v"),
            entry(0, "d", Value::Double(0.1), None, "v"),
            entry(15, "b", Value::Boolean(true), Some(5), "v"),
            entry(
                0,
                "m",
                Value::Map(vec![(
                    Value::bulk("k"),
                    Value::Set(vec![Value::Integer(1)]),
                )]),
                None,
                "v",
            ),
            entry(
                1,
                "list",
                Value::Array(vec![Value::bulk("a"), Value::bulk("b")]),
                None,
                "list",
            ),
            entry(
                1,
                "hash",
                Value::Map(vec![(Value::bulk("f"), Value::bulk("v"))]),
                None,
                "hash",
            ),
            entry(
                2,
                "zset",
                Value::Array(vec![Value::bulk("m"), Value::Double(1.5)]),
                Some(7),
                "zset",
            ),
        ]
    }

    fn write_sample(path: &Path) {
        let records: Vec<(usize, Record)> = sample()
            .iter()
            .map(|e| (e.db, e.record().unwrap()))
            .collect();
        let source = Records(records, vec![Bytes::from_static(b"#!lua name=l\n")]);
        write(path, &source, "test").unwrap();
    }

    /// Records and libraries as a [`Walk`] visits them.
    struct Records(Vec<(usize, Record)>, Vec<Bytes>);

    impl Walk for Records {
        fn keys(&self) -> usize {
            self.0.len()
        }

        fn libraries(&self) -> &[Bytes] {
            &self.1
        }

        fn walk<V: Visitor>(&self, v: &mut V) -> Result<(), V::Error> {
            for (d, r) in &self.0 {
                v.record(*d, r);
                v.unlocked()?;
            }
            Ok(())
        }
    }

    #[test]
    fn round_trip_keeps_types() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.kvs");
        write_sample(&path);
        let mut got = Vec::new();
        let mut libs = Vec::new();
        let n = read_all(&path, &mut |e| got.push(e), &mut |l| libs.push(l)).unwrap();
        assert_eq!(n, 9);
        assert_eq!(got, sample());
        assert_eq!(libs, [Bytes::from_static(b"#!lua name=l\n")]);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["dump.kvs"], "no temporary file is left");
    }

    #[test]
    fn version_1_files_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.kvs");
        let mut data = MAGIC_V1.to_vec();
        let mut buf = BytesMut::new();
        record::push(
            &mut buf,
            &Value::Array(vec![Value::bulk("k"), Value::bulk("v")]),
        );
        record::push(
            &mut buf,
            &Value::Array(vec![Value::simple("END"), Value::Integer(1)]),
        );
        data.extend_from_slice(&buf);
        fs::write(&path, &data).unwrap();
        let mut keys = Vec::new();
        assert_eq!(read(&path, |e| keys.push(e.key)).unwrap(), 1);
        assert_eq!(keys, [Bytes::from_static(b"k")]);
    }

    #[test]
    fn damage_is_refused_with_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.kvs");
        write_sample(&path);
        let good = fs::read(&path).unwrap();
        let mut bad = good.clone();
        bad[40] ^= 1;
        fs::write(&path, &bad).unwrap();
        let err = verify(&path).unwrap_err().to_string();
        assert!(err.contains("dump.kvs") && err.contains("offset"), "{err}");
        fs::write(&path, &good[..good.len() - 3]).unwrap();
        assert!(verify(&path).is_err());
    }
}
