//! Snapshot files: the whole keyspace at one instant.
//!
//! ```text
//! "KVSNAP" version:u16 LE
//! record*           one per key: [key (bulk), value]
//! record            [+END, count]
//! ```
//!
//! Records use the framing of [`super::record`], so every entry carries its
//! own checksum and damage is reported with its byte offset. A snapshot
//! that lacks the END record, or has anything after it, was not completely
//! written and is refused. The same format serves as the base file of the
//! append-only file.

use std::fs::{self, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;

use bytes::{Bytes, BytesMut};
use kvstore_protocol::Value;

use super::fsutil::{commit_temp, discard_temp, temp_path};
use super::record::{self, Next};
use super::{failpoint, PersistError};

pub const MAGIC: &[u8; 8] = b"KVSNAP\x01\x00";

pub type Entry = (Box<[u8]>, Value);

/// Writes `entries` (`count` of them) to `path` atomically (temporary
/// file, fsync, rename, directory fsync). Returns the file size. `why`
/// (`save`, `rewrite`, `init`) names the failpoints on the way.
///
/// Takes an iterator so that callers can hand over a
/// [`crate::store::Snapshot`] whose values are decoded here, one at a time,
/// on the thread doing the I/O.
pub fn write<'a>(
    path: &Path,
    count: usize,
    entries: impl Iterator<Item = (&'a [u8], Value)>,
    why: &str,
) -> Result<u64, PersistError> {
    let tmp = temp_path(path);
    let result = write_temp(&tmp, count, entries, why);
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

/// The body of [`write`]: everything up to the fsync of the temporary file.
fn write_temp<'a>(
    tmp: &Path,
    count: usize,
    entries: impl Iterator<Item = (&'a [u8], Value)>,
    why: &str,
) -> Result<u64, PersistError> {
    let io = |e| PersistError::io(tmp, e);
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .map_err(io)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.write_all(MAGIC).map_err(io)?;
    let mut size = MAGIC.len() as u64;
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut written = 0u64;
    for (i, (key, value)) in entries.enumerate() {
        let pair = Value::Array(vec![Value::Bulk(Bytes::copy_from_slice(key)), value]);
        size += record::push(&mut buf, &pair) as u64;
        written += 1;
        if buf.len() >= 32 * 1024 {
            out.write_all(&buf).map_err(io)?;
            buf.clear();
        }
        if i == count / 2 {
            failpoint(&format!("{why}-half-written"));
        }
    }
    // The END record counts what was written, so it always matches.
    let end = Value::Array(vec![Value::simple("END"), Value::Integer(written as i64)]);
    size += record::push(&mut buf, &end) as u64;
    out.write_all(&buf).map_err(io)?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(size)
}

/// Reads the snapshot at `path`, handing every entry to `f`. Returns the
/// number of entries.
pub fn read(path: &Path, mut f: impl FnMut(Bytes, Value)) -> Result<u64, PersistError> {
    let data = fs::read(path).map_err(|e| PersistError::io(path, e))?;
    parse(path, &data, &mut f)
}

/// Checks the snapshot at `path` without keeping anything.
pub fn verify(path: &Path) -> Result<u64, PersistError> {
    read(path, |_, _| {})
}

fn parse(path: &Path, data: &[u8], f: &mut dyn FnMut(Bytes, Value)) -> Result<u64, PersistError> {
    let corrupt = |offset: usize, reason: String| PersistError::Corrupt {
        path: path.to_path_buf(),
        offset: offset as u64,
        reason,
    };
    if data.len() < MAGIC.len() || &data[..MAGIC.len()] != MAGIC {
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
        let Value::Array(mut items) = value else {
            return Err(corrupt(at, "entry is not an array".into()));
        };
        if items.len() != 2 {
            return Err(corrupt(at, "entry is not a pair".into()));
        }
        let value = items.pop().unwrap_or(Value::Null);
        match items.pop() {
            Some(Value::Bulk(key)) => {
                f(key, value);
                count += 1;
            }
            Some(Value::Simple(tag)) if &tag[..] == b"END" => {
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

    fn sample() -> Vec<Entry> {
        vec![
            (b"s".to_vec().into(), Value::bulk("x\r\ny")),
            (b"i".to_vec().into(), Value::Integer(-7)),
            (b"n".to_vec().into(), Value::Null),
            (b"d".to_vec().into(), Value::Double(0.1)),
            (b"b".to_vec().into(), Value::Boolean(true)),
            (
                b"m".to_vec().into(),
                Value::Map(vec![(
                    Value::bulk("k"),
                    Value::Set(vec![Value::Integer(1)]),
                )]),
            ),
        ]
    }

    fn write_sample(path: &Path) {
        let entries = sample();
        let iter = entries.iter().map(|(k, v)| (&k[..], v.clone()));
        write(path, entries.len(), iter, "test").unwrap();
    }

    #[test]
    fn round_trip_keeps_types() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.kvs");
        write_sample(&path);
        let mut got = Vec::new();
        let n = read(&path, |k, v| got.push((k.to_vec().into_boxed_slice(), v))).unwrap();
        assert_eq!(n, 6);
        assert_eq!(got, sample());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["dump.kvs"], "no temporary file is left");
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
