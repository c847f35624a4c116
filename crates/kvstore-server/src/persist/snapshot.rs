//! Snapshot files: the whole keyspace at one instant.
//!
//! ```text
//! "KVSNAP" version:u16 LE
//! record            version 3: [+SIZES, [keys in db 0, db 1, ...]] (a hint
//!                   for loading: tables are sized once, not grown)
//! record*           version 4: batches of keys (see [`super::batch`]);
//!                   before it, one record per key:
//!                   [key (bulk), value, db, deadline, kind]
//!                   (deadline: Unix ms, or null; kind: `v` for a string or
//!                   seed value, else the container's TYPE name; files
//!                   written before databases and deadlines hold pairs
//!                   [key, value], read as db 0, no deadline, kind `v`)
//! record*           version 2: one per function library: [+FUNCTION, source]
//! record            [+END, count]   (count: key records)
//! ```
//!
//! Older versions are read as they are: version 1 was written before
//! function libraries, version 2 before the sizes record, version 3 before
//! batches. Each change
//! bumps the version so that an older reader refuses a newer file rather
//! than drop what it does not know unseen.
//!
//! Records use the framing of [`super::record`], so every entry carries its
//! own checksum and damage is reported with its byte offset. A snapshot
//! that lacks the END record, or has anything after it, was not completely
//! written and is refused. The same format serves as the base file of the
//! append-only file.

use std::fs;
use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kvstore_protocol::Value;

use super::batch::{self, Packed};
use super::fsutil::{commit_temp, create_temp, discard_temp, temp_path};
use super::record::{self, Next};
use super::{failpoint, PersistError};
use crate::keyspace::{Record, Visitor, Walk};

pub const MAGIC: &[u8; 8] = b"KVSNAP\x04\x00";
/// The magic of version 3, which had one record per key.
const MAGIC_V3: &[u8; 8] = b"KVSNAP\x03\x00";
/// The magic of version 2, which had no sizes record.
const MAGIC_V2: &[u8; 8] = b"KVSNAP\x02\x00";
/// The magic of version 1, which had no library records either.
const MAGIC_V1: &[u8; 8] = b"KVSNAP\x01\x00";

/// True if `data` begins like a snapshot file of any version.
pub fn is_snapshot(data: &[u8]) -> bool {
    [MAGIC, MAGIC_V3, MAGIC_V2, MAGIC_V1]
        .iter()
        .any(|m| data.starts_with(&m[..]))
}

pub use super::entry::Entry;

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
    /// `written` at the last pause, so that only shards with keys pause.
    paused_at: u64,
    batch: batch::Writer,
}

impl Visitor for Encoder<'_> {
    type Error = PersistError;

    fn record(&mut self, db: usize, rec: &Record) {
        if self.written == self.half {
            failpoint(&format!("{}-half-written", self.why));
        }
        self.size += self.batch.push(db, rec, &mut self.buf) as u64;
        self.written += 1;
    }

    fn unlocked(&mut self) -> Result<(), PersistError> {
        if !self.buf.is_empty() {
            self.out
                .write_all(&self.buf)
                .map_err(|e| PersistError::io(self.tmp, e))?;
            self.buf.clear();
        }
        if let Some(d) = self.delay {
            if self.written > self.paused_at {
                self.paused_at = self.written;
                std::thread::sleep(d);
            }
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
    let file = create_temp(tmp).map_err(io)?;
    let mut enc = Encoder {
        out: BufWriter::with_capacity(1 << 20, file),
        tmp,
        buf: BytesMut::with_capacity(64 * 1024),
        size: MAGIC.len() as u64,
        written: 0,
        half: source.keys() as u64 / 2,
        why,
        delay: save_delay(),
        paused_at: 0,
        batch: batch::Writer::default(),
    };
    enc.out.write_all(MAGIC).map_err(io)?;
    let sizes = Value::Array(vec![
        Value::simple("SIZES"),
        Value::Array(
            source
                .sizes()
                .into_iter()
                .map(|n| Value::Integer(n as i64))
                .collect(),
        ),
    ]);
    enc.size += record::push(&mut enc.buf, &sizes) as u64;
    source.walk(&mut enc)?;
    let Encoder {
        out,
        mut buf,
        mut size,
        written,
        mut batch,
        ..
    } = enc;
    size += batch.seal(&mut buf) as u64;
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
    parse(
        path,
        &mut |k| {
            k.record()?;
            f(k.into_entry());
            Ok(())
        },
        lib,
        &mut |_| {},
    )
}

/// Reads the snapshot at `path` as records ready to insert, each built
/// once, with its database. Libraries go to `lib`; `sizes` gets how many
/// keys each database had when the file was written, before any of them,
/// if the file says. Returns the number of records.
pub fn read_records(
    path: &Path,
    f: &mut dyn FnMut(usize, Record),
    lib: &mut dyn FnMut(Bytes),
    sizes: &mut dyn FnMut(&[usize]),
) -> Result<u64, PersistError> {
    parse(
        path,
        &mut |k| {
            f(k.db(), k.record()?);
            Ok(())
        },
        lib,
        sizes,
    )
}

/// One key as read from a snapshot: from a batch, or a record of its own
/// (files before version 4).
enum Loaded<'a> {
    Packed(Packed<'a>),
    Entry(Entry),
}

impl Loaded<'_> {
    fn db(&self) -> usize {
        match self {
            Loaded::Packed(p) => p.db,
            Loaded::Entry(e) => e.db,
        }
    }

    fn record(&self) -> Result<Record, String> {
        match self {
            Loaded::Packed(p) => p.record(),
            Loaded::Entry(e) => e.record(),
        }
    }

    fn into_entry(self) -> Entry {
        match self {
            Loaded::Packed(p) => p.into_entry(),
            Loaded::Entry(e) => e,
        }
    }
}

/// Checks the snapshot at `path` without keeping anything.
pub fn verify(path: &Path) -> Result<u64, PersistError> {
    read(path, |_| {})
}

/// How much of a file [`Records`] reads at a time.
const CHUNK: usize = 4 << 20;

/// The records of a file, read a few MiB at a time, so that loading never
/// holds the whole file in memory. Payloads are handed out as parts of the
/// read buffer, without a copy.
struct Records<'p> {
    path: &'p Path,
    file: fs::File,
    buf: BytesMut,
    /// The file offset of `buf[0]`.
    base: u64,
    eof: bool,
}

impl<'p> Records<'p> {
    fn open(path: &'p Path) -> Result<Records<'p>, PersistError> {
        let file = fs::File::open(path).map_err(|e| PersistError::io(path, e))?;
        Ok(Records {
            path,
            file,
            buf: BytesMut::new(),
            base: 0,
            eof: false,
        })
    }

    fn corrupt(&self, offset: u64, reason: String) -> PersistError {
        PersistError::Corrupt {
            path: self.path.to_path_buf(),
            offset,
            reason,
        }
    }

    /// The first `n` bytes of the file, or fewer if it is shorter.
    fn head(&mut self, n: usize) -> Result<BytesMut, PersistError> {
        while self.buf.len() < n && !self.eof {
            self.fill(n)?;
        }
        let n = n.min(self.buf.len());
        self.base += n as u64;
        Ok(self.buf.split_to(n))
    }

    /// The next record's payload and its offset; `None` where the file
    /// ends exactly.
    fn next(&mut self) -> Result<Option<(BytesMut, u64)>, PersistError> {
        loop {
            let (at, end) = match record::next(&self.buf, 0) {
                Next::Record { payload, end } => (end - payload.len(), end),
                Next::End if self.eof => return Ok(None),
                Next::Torn(why) | Next::Corrupt(why) if self.eof => {
                    return Err(self.corrupt(self.base, why))
                }
                Next::Corrupt(why) => return Err(self.corrupt(self.base, why)),
                Next::End | Next::Torn(_) => {
                    // A record that straddles the buffer's end: room for
                    // all of it (its length is checked against the file
                    // when the header's own checksum is).
                    let need = match self.buf.get(..8) {
                        Some(len) => {
                            let mut b = [0u8; 8];
                            b.copy_from_slice(len);
                            usize::try_from(u64::from_le_bytes(b))
                                .unwrap_or(usize::MAX)
                                .saturating_add(record::HEADER_LEN)
                        }
                        None => record::HEADER_LEN,
                    };
                    self.fill(need)?;
                    continue;
                }
            };
            let offset = self.base;
            let mut payload = self.buf.split_to(end);
            let _ = payload.split_to(at);
            self.base += end as u64;
            return Ok(Some((payload, offset)));
        }
    }

    /// Reads until the buffer holds `need` bytes (at least a chunk's
    /// worth), or the file ends. A `need` past the end of the file is
    /// not allocated for: the record is then torn, or its header damaged.
    fn fill(&mut self, need: usize) -> Result<(), PersistError> {
        let io = |e| PersistError::io(self.path, e);
        let size = self.file.metadata().map_err(io)?.len();
        let left = size.saturating_sub(self.base) as usize;
        let want = need.max(CHUNK).min(left.max(self.buf.len()));
        let have = self.buf.len();
        if want <= have {
            self.eof = true;
            return Ok(());
        }
        self.buf.resize(want, 0);
        let mut filled = have;
        while filled < want {
            match self.file.read(&mut self.buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(filled);
                    return Err(io(e));
                }
            }
        }
        self.buf.truncate(filled);
        if filled == have {
            self.eof = true;
        }
        Ok(())
    }
}

/// Reads a snapshot record by record, handing each key's entry to `entry`
/// (whose error is reported as damage at that record's offset).
fn parse(
    path: &Path,
    entry: &mut dyn FnMut(Loaded<'_>) -> Result<(), String>,
    lib: &mut dyn FnMut(Bytes),
    sizes: &mut dyn FnMut(&[usize]),
) -> Result<u64, PersistError> {
    let mut records = Records::open(path)?;
    let head = records.head(MAGIC.len())?;
    let v1 = head[..] == MAGIC_V1[..];
    let v4 = head[..] == MAGIC[..];
    let v3 = v4 || head[..] == MAGIC_V3[..];
    if !v1 && !v3 && head[..] != MAGIC_V2[..] {
        return Err(records.corrupt(0, "not a kvstore snapshot (bad magic)".into()));
    }
    let mut count = 0u64;
    let mut scratch = Vec::new();
    loop {
        let Some((payload, at)) = records.next()? else {
            return Err(
                records.corrupt(records.base, "snapshot ends without its END record".into())
            );
        };
        let corrupt = |why: String| PersistError::Corrupt {
            path: path.to_path_buf(),
            offset: at,
            reason: why,
        };
        let end = records.base;
        if v4 && payload.first() == Some(&batch::TAG) {
            count += batch::read(&payload, &mut scratch, &mut |p| entry(Loaded::Packed(p)))
                .map_err(corrupt)?;
            super::progress::advance(end);
            continue;
        }
        let value = record::decode_owned(payload).map_err(corrupt)?;
        let Value::Array(items) = value else {
            return Err(corrupt("entry is not an array".into()));
        };
        let mut items = items.into_iter();
        let (first, value) = match (items.next(), items.next()) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(corrupt("entry is too short".into())),
        };
        let rest: Vec<Value> = items.collect();
        match first {
            Value::Bulk(key) => {
                let e = match &rest[..] {
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
                            _ => return Err(corrupt("bad deadline".into())),
                        },
                        kind: String::from_utf8_lossy(kind).into_owned(),
                    },
                    _ => return Err(corrupt("entry has the wrong shape".into())),
                };
                entry(Loaded::Entry(e)).map_err(corrupt)?;
                super::progress::advance(end);
                count += 1;
            }
            Value::Simple(tag) if &tag[..] == b"SIZES" && v3 && count == 0 && rest.is_empty() => {
                let Value::Array(counts) = value else {
                    return Err(corrupt("sizes record is not an array".into()));
                };
                let counts: Vec<usize> = counts
                    .iter()
                    .map(|n| match n {
                        Value::Integer(n) => usize::try_from(*n).ok(),
                        _ => None,
                    })
                    .collect::<Option<_>>()
                    .ok_or_else(|| corrupt("sizes record holds a bad count".into()))?;
                sizes(&counts);
            }
            Value::Simple(tag) if &tag[..] == b"FUNCTION" && !v1 && rest.is_empty() => {
                let Value::Bulk(code) = value else {
                    return Err(corrupt("function library is not a string".into()));
                };
                lib(code);
            }
            Value::Simple(tag) if &tag[..] == b"END" && rest.is_empty() => {
                if value != Value::Integer(count as i64) {
                    return Err(corrupt(format!(
                        "END record says {value:?} entries, found {count}"
                    )));
                }
                records.fill(1)?;
                if !records.buf.is_empty() {
                    return Err(records.corrupt(end, "bytes after the END record".into()));
                }
                return Ok(count);
            }
            _ => return Err(corrupt("entry key is not a string".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::entry::test_entry as entry;

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

        fn sizes(&self) -> Vec<usize> {
            let mut out = Vec::new();
            for (d, _) in &self.0 {
                if out.len() <= *d {
                    out.resize(d + 1, 0);
                }
                out[*d] += 1;
            }
            out
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

    /// Values that straddle the reader's chunks, and one larger than a
    /// chunk, come back whole; the sizes record reports each database.
    #[test]
    fn records_across_and_beyond_a_chunk_come_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.kvs");
        let mut entries = Vec::new();
        for (i, len) in [CHUNK - 100, 300, CHUNK + CHUNK / 2, 5, CHUNK / 3]
            .into_iter()
            .enumerate()
        {
            // Incompressible, so that the file is as large as its values.
            let mut x = i as u64 + 1;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (x >> 56) as u8
                })
                .collect();
            let value = Value::Bulk(Bytes::from(bytes));
            entries.push(entry(i % 2, &format!("k{i}"), value, None, "v"));
        }
        let records = entries
            .iter()
            .map(|e| (e.db, e.record().unwrap()))
            .collect();
        write(&path, &Records(records, vec![]), "test").unwrap();
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        let n = read_records(
            &path,
            &mut |db, r| got.push((db, r.key().to_vec(), r.view().to_value())),
            &mut |_| {},
            &mut |s| sizes = s.to_vec(),
        )
        .unwrap();
        assert_eq!(n, 5);
        assert_eq!(sizes, [3, 2]);
        let want: Vec<_> = entries
            .iter()
            .map(|e| (e.db, e.key.to_vec(), e.value.clone()))
            .collect();
        assert_eq!(got, want);
        // Cut anywhere, even past the first chunk, it is refused.
        let data = fs::read(&path).unwrap();
        for cut in [CHUNK + 7, 2 * CHUNK + 1, data.len() - 1] {
            fs::write(&path, &data[..cut]).unwrap();
            assert!(verify(&path).is_err(), "cut at {cut}");
        }
        let mut longer = data.clone();
        longer.push(0);
        fs::write(&path, &longer).unwrap();
        let err = verify(&path).unwrap_err().to_string();
        assert!(err.contains("bytes after the END record"), "{err}");
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
