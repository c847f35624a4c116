//! Reading a Redis RDB file (versions 1 to 11) into snapshot entries.
//!
//! The whole file is read into one buffer, and strings that are stored
//! plainly are handed on as slices of it. Every length is checked against
//! the bytes that remain before anything is taken or allocated for it, so
//! a damaged or hostile file is refused with the byte offset where it goes
//! wrong, never a panic or a huge allocation.
//!
//! The checksum covers everything before it. It is checked first, so that
//! nothing of a damaged file is handed on; when it does not match, the
//! file is walked without handing anything on to find where the damage
//! shows, and that offset is reported (else the checksum's own).

use std::fs;
use std::path::Path;

use bytes::Bytes;
use hashbrown::HashSet;
use kvstore_protocol::Value;

use super::packed::{self, Elem, Walk};
use super::{len, op, ty, CRC64, READ_VERSION};
use crate::cmd::printable;
use crate::persist::snapshot::Entry;
use crate::persist::{progress, PersistError};

/// "REDIS" and four digits of version.
const HEADER_LEN: usize = 9;

/// Most elements reserved for at once: a container's declared size is
/// only believed as far as its elements actually arrive.
const RESERVE_CAP: usize = 1 << 16;

/// True if `data` begins like an RDB file.
pub fn is_rdb(data: &[u8]) -> bool {
    data.starts_with(b"REDIS")
}

/// What a read found, for the log.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    pub version: u32,
    /// Keys handed on.
    pub keys: u64,
    /// Empty containers, which Redis also skips on loading.
    pub empty: u64,
    pub libraries: u64,
    /// The `redis-ver` field of the writer, if it gave one.
    pub redis_ver: Option<String>,
}

/// Reads the RDB file at `path`, handing each key to `f` and each
/// function library's source to `lib`. A database number of
/// `databases` or more is refused, naming it.
pub fn read(
    path: &Path,
    databases: usize,
    f: &mut dyn FnMut(Entry),
    lib: &mut dyn FnMut(Bytes),
) -> Result<Summary, PersistError> {
    let data = Bytes::from(fs::read(path).map_err(|e| PersistError::io(path, e))?);
    parse(path, &data, databases, f, lib)
}

/// Why a walk stopped early.
#[derive(Debug)]
enum Stop {
    /// The bytes are not a valid RDB file.
    Corrupt { offset: usize, reason: String },
    /// A valid file holds what kvstore cannot: a stream, module data, a
    /// database past `--databases`.
    Refused(String),
}

/// [`read`] over bytes already in memory (`path` only names them in
/// errors).
pub fn parse(
    path: &Path,
    data: &Bytes,
    databases: usize,
    f: &mut dyn FnMut(Entry),
    lib: &mut dyn FnMut(Bytes),
) -> Result<Summary, PersistError> {
    let to_err = |stop: Stop| match stop {
        Stop::Corrupt { offset, reason } => PersistError::Corrupt {
            path: path.to_path_buf(),
            offset: offset as u64,
            reason,
        },
        Stop::Refused(why) => PersistError::Config(format!("{}: {why}", path.display())),
    };
    let version = version(data).map_err(to_err)?;
    let walker = || Walker {
        data,
        at: HEADER_LEN,
        version,
        databases,
    };
    if let Some(stop) = checksum_mismatch(data, version) {
        // Find where the damage shows, handing nothing on.
        let found = walker().run(&mut |_| {}, &mut |_| {}).err();
        return Err(to_err(match found {
            Some(c @ Stop::Corrupt { .. }) => c,
            _ => stop,
        }));
    }
    walker().run(f, lib).map_err(to_err)
}

/// The version in the header, if it is one this reader takes.
fn version(data: &[u8]) -> Result<u32, Stop> {
    let corrupt = |reason: &str| Stop::Corrupt {
        offset: 0,
        reason: reason.into(),
    };
    if !is_rdb(data) {
        return Err(corrupt("not a Redis RDB file (no REDIS magic)"));
    }
    let digits = data
        .get(5..HEADER_LEN)
        .filter(|d| d.iter().all(u8::is_ascii_digit))
        .ok_or_else(|| corrupt("the RDB version is not four digits"))?;
    let version = digits
        .iter()
        .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
    if version == 0 || version > READ_VERSION {
        return Err(Stop::Refused(format!(
            "Can't handle RDB format version {version} (kvstore reads versions 1 to {READ_VERSION})"
        )));
    }
    Ok(version)
}

/// From version 5 the file ends with a CRC-64 of everything before it
/// (zero when the writer computed none). `Some` if it does not match.
fn checksum_mismatch(data: &[u8], version: u32) -> Option<Stop> {
    if version < 5 {
        return None;
    }
    let split = data.len().checked_sub(8).filter(|&s| s > HEADER_LEN)?;
    let mut stored = [0u8; 8];
    stored.copy_from_slice(&data[split..]);
    let stored = u64::from_le_bytes(stored);
    if stored == 0 {
        return None;
    }
    let computed = CRC64.checksum(&data[..split]);
    (computed != stored).then(|| Stop::Corrupt {
        offset: split,
        reason: format!(
            "wrong checksum (the file says {stored:#018x}, its bytes give {computed:#018x}): the file is damaged"
        ),
    })
}

/// A key's value as a snapshot entry holds it: the kind and the value, or
/// `None` for an empty container.
type Parts = Option<(&'static str, Value)>;

struct Walker<'a> {
    data: &'a Bytes,
    at: usize,
    version: u32,
    databases: usize,
}

impl<'a> Walker<'a> {
    fn corrupt(&self, offset: usize, reason: impl Into<String>) -> Stop {
        Stop::Corrupt {
            offset,
            reason: reason.into(),
        }
    }

    fn left(&self) -> usize {
        self.data.len() - self.at
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], Stop> {
        let data: &'a [u8] = self.data;
        match usize::try_from(n) {
            Ok(n) if n <= self.left() => {
                let out = &data[self.at..self.at + n];
                self.at += n;
                Ok(out)
            }
            _ => Err(self.corrupt(
                self.at,
                format!(
                    "{n} bytes wanted, {} left: the file is cut short or damaged",
                    self.left()
                ),
            )),
        }
    }

    fn byte(&mut self) -> Result<u8, Stop> {
        Ok(self.take(1)?[0])
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], Stop> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N as u64)?);
        Ok(out)
    }

    /// A length, or (`true`) the number of a special string encoding.
    fn length_or_encoding(&mut self) -> Result<(u64, bool), Stop> {
        let at = self.at;
        let first = self.byte()?;
        Ok(match first >> 6 {
            len::BITS6 => (u64::from(first & 0x3f), false),
            len::BITS14 => (
                u64::from(first & 0x3f) << 8 | u64::from(self.byte()?),
                false,
            ),
            len::ENCODED => (u64::from(first & 0x3f), true),
            _ => match first {
                len::BITS32 => (u64::from(u32::from_be_bytes(self.fixed()?)), false),
                len::BITS64 => (u64::from_be_bytes(self.fixed()?), false),
                _ => return Err(self.corrupt(at, format!("unknown length encoding {first:#04x}"))),
            },
        })
    }

    fn length(&mut self) -> Result<u64, Stop> {
        let at = self.at;
        match self.length_or_encoding()? {
            (n, false) => Ok(n),
            (_, true) => Err(self.corrupt(at, "a string encoding where a length belongs")),
        }
    }

    /// A count of things that each take at least `min_bytes`: more than
    /// the bytes left could hold is damage.
    fn count(&mut self, min_bytes: u64) -> Result<usize, Stop> {
        let at = self.at;
        let n = self.length()?;
        match n.checked_mul(min_bytes) {
            Some(need) if need <= self.left() as u64 => Ok(n as usize),
            _ => Err(self.corrupt(
                at,
                format!("{n} elements declared, only {} bytes left", self.left()),
            )),
        }
    }

    /// A string: plain (a slice of the file), an integer, or LZF.
    fn string(&mut self) -> Result<Bytes, Stop> {
        let at = self.at;
        let (n, encoded) = self.length_or_encoding()?;
        if !encoded {
            let s = self.take(n)?;
            return Ok(self.data.slice_ref(s));
        }
        let int = match n as u8 {
            len::INT8 => i64::from(i8::from_le_bytes(self.fixed()?)),
            len::INT16 => i64::from(i16::from_le_bytes(self.fixed()?)),
            len::INT32 => i64::from(i32::from_le_bytes(self.fixed()?)),
            len::LZF => {
                let clen = self.length()?;
                let ulen = self.length()?;
                let packed = self.take(clen)?;
                let ulen = usize::try_from(ulen).unwrap_or(usize::MAX);
                return super::lzf::decompress(packed, ulen)
                    .map(Bytes::from)
                    .map_err(|why| self.corrupt(at, why));
            }
            other => {
                return Err(self.corrupt(at, format!("unknown string encoding {other}")));
            }
        };
        Ok(Bytes::from(int.to_string()))
    }

    /// A score of the old sorted set type: its length byte says infinity
    /// or NaN, or gives the length of its text.
    fn text_double(&mut self) -> Result<f64, Stop> {
        let at = self.at;
        match self.byte()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let text = self.take(u64::from(n))?;
                parse_score(text).ok_or_else(|| self.corrupt(at, "a score is not a number"))
            }
        }
    }

    /// Walks the file from after the header.
    fn run(
        mut self,
        f: &mut dyn FnMut(Entry),
        lib: &mut dyn FnMut(Bytes),
    ) -> Result<Summary, Stop> {
        let mut summary = Summary {
            version: self.version,
            ..Summary::default()
        };
        let mut db = 0usize;
        let mut expire: Option<i64> = None;
        loop {
            let at = self.at;
            let kind = self.byte()?;
            match kind {
                op::AUX => {
                    let key = self.string()?;
                    let value = self.string()?;
                    if &key[..] == b"redis-ver" {
                        summary.redis_ver = Some(printable(&value, 64));
                    }
                }
                op::RESIZEDB => {
                    self.length()?;
                    self.length()?;
                }
                op::EXPIRETIME_MS => expire = Some(i64::from_le_bytes(self.fixed()?)),
                op::EXPIRETIME => {
                    expire = Some(i64::from(i32::from_le_bytes(self.fixed()?)) * 1000);
                }
                op::SELECTDB => {
                    let n = self.length()?;
                    db = match usize::try_from(n) {
                        Ok(n) if n < self.databases => n,
                        _ => {
                            return Err(Stop::Refused(format!(
                                "the file holds database {n} (byte offset {at}), past the {} databases configured: start with --databases {} or more",
                                self.databases,
                                n.saturating_add(1)
                            )))
                        }
                    };
                }
                // The access statistics for eviction: not carried over.
                op::FREQ => {
                    self.byte()?;
                }
                op::IDLE => {
                    self.length()?;
                }
                op::MODULE_AUX => {
                    let id = self.length()?;
                    return Err(Stop::Refused(format!(
                        "the file holds data of module '{}' (byte offset {at}); kvstore loads no modules",
                        module_name(id)
                    )));
                }
                op::FUNCTION_PRE_GA => {
                    return Err(Stop::Refused(format!(
                        "the file holds functions in the format of Redis 7.0's release candidates (byte offset {at}), which Redis 7 refuses too"
                    )));
                }
                op::FUNCTION2 => {
                    let code = self.string()?;
                    // Copied: the file's buffer must not outlive the load.
                    lib(Bytes::copy_from_slice(&code));
                    summary.libraries += 1;
                }
                op::EOF => {
                    if self.version >= 5 {
                        self.take(8)?;
                    }
                    if self.at != self.data.len() {
                        return Err(self.corrupt(
                            self.at,
                            format!("{} bytes after the end of the file", self.left()),
                        ));
                    }
                    return Ok(summary);
                }
                _ => {
                    let key = self.string()?;
                    let deadline = expire.take().map(|ms| ms.max(0) as u64);
                    match self.value(kind, &key, at)? {
                        Some((kind, value)) => {
                            f(Entry {
                                db,
                                key,
                                value,
                                deadline,
                                kind: kind.into(),
                            });
                            summary.keys += 1;
                            progress::advance(self.at as u64);
                        }
                        None => summary.empty += 1,
                    }
                }
            }
        }
    }

    /// The value of a key of type `kind`, which began at `at`.
    fn value(&mut self, kind: u8, key: &[u8], at: usize) -> Result<Parts, Stop> {
        let named = |what: &str| format!("key '{}' (byte offset {at}) {what}", printable(key, 64));
        match kind {
            ty::STRING => Ok(Some(("v", Value::Bulk(self.string()?)))),
            ty::LIST => {
                let n = self.count(1)?;
                let mut items = Vec::with_capacity(n.min(RESERVE_CAP));
                for _ in 0..n {
                    items.push(Value::Bulk(self.string()?));
                }
                Ok(list(items))
            }
            ty::SET => {
                let n = self.count(1)?;
                let mut items = Vec::with_capacity(n.min(RESERVE_CAP));
                for _ in 0..n {
                    items.push(self.string()?);
                }
                self.set(items, at)
            }
            ty::ZSET | ty::ZSET_2 => {
                let n = self.count(2)?;
                let mut pairs = Vec::with_capacity(n.min(RESERVE_CAP));
                for _ in 0..n {
                    let member = self.string()?;
                    let score = match kind {
                        ty::ZSET => self.text_double()?,
                        _ => f64::from_le_bytes(self.fixed()?),
                    };
                    pairs.push((member, score));
                }
                self.zset(pairs, at)
            }
            ty::HASH => {
                let n = self.count(2)?;
                let mut pairs = Vec::with_capacity(n.min(RESERVE_CAP));
                for _ in 0..n {
                    pairs.push((self.string()?, self.string()?));
                }
                self.hash(pairs, at)
            }
            ty::HASH_ZIPMAP => {
                let (blob, blob_at) = self.blob()?;
                let mut pairs = Vec::new();
                packed::zipmap(&blob, &mut |k, v| {
                    pairs.push((blob.slice_ref(k), blob.slice_ref(v)))
                })
                .map_err(|why| self.in_blob(blob_at, "zipmap", why))?;
                self.hash(pairs, at)
            }
            ty::LIST_ZIPLIST => {
                let (blob, blob_at) = self.blob()?;
                let mut items = Vec::new();
                packed::ziplist(&blob, &mut |e| {
                    items.push(Value::Bulk(elem_bytes(&blob, e)));
                    Ok(())
                })
                .map_err(|why| self.in_blob(blob_at, "ziplist", why))?;
                Ok(list(items))
            }
            ty::SET_INTSET => {
                let (blob, blob_at) = self.blob()?;
                let mut items = Vec::new();
                packed::intset(&blob, &mut |n| items.push(Bytes::from(n.to_string())))
                    .map_err(|why| self.in_blob(blob_at, "intset", why))?;
                self.set(items, at)
            }
            ty::SET_LISTPACK => {
                let (blob, blob_at) = self.blob()?;
                let mut items = Vec::new();
                packed::listpack(&blob, &mut |e| {
                    items.push(elem_bytes(&blob, e));
                    Ok(())
                })
                .map_err(|why| self.in_blob(blob_at, "listpack", why))?;
                self.set(items, at)
            }
            ty::ZSET_ZIPLIST | ty::ZSET_LISTPACK => {
                let (blob, blob_at) = self.blob()?;
                let (name, walk) = packing(kind == ty::ZSET_ZIPLIST);
                let mut pairs = Vec::new();
                let mut member = None;
                walk(&blob, &mut |e| {
                    match member.take() {
                        None => member = Some(elem_bytes(&blob, e)),
                        Some(m) => pairs.push((m, elem_score(e)?)),
                    }
                    Ok(())
                })
                .map_err(|why| self.in_blob(blob_at, name, why))?;
                if member.is_some() {
                    return Err(self.corrupt(blob_at, named("has a member without a score")));
                }
                self.zset(pairs, at)
            }
            ty::HASH_ZIPLIST | ty::HASH_LISTPACK => {
                let (blob, blob_at) = self.blob()?;
                let (name, walk) = packing(kind == ty::HASH_ZIPLIST);
                let mut pairs = Vec::new();
                let mut field = None;
                walk(&blob, &mut |e| {
                    let b = elem_bytes(&blob, e);
                    match field.take() {
                        None => field = Some(b),
                        Some(f) => pairs.push((f, b)),
                    }
                    Ok(())
                })
                .map_err(|why| self.in_blob(blob_at, name, why))?;
                if field.is_some() {
                    return Err(self.corrupt(blob_at, named("has a field without a value")));
                }
                self.hash(pairs, at)
            }
            ty::LIST_QUICKLIST | ty::LIST_QUICKLIST_2 => {
                let nodes = self.count(1)?;
                let mut items = Vec::new();
                for _ in 0..nodes {
                    let container = match kind {
                        ty::LIST_QUICKLIST_2 => self.length()?,
                        _ => QUICKLIST_PACKED,
                    };
                    let (blob, blob_at) = self.blob()?;
                    match container {
                        // A large element stored alone.
                        QUICKLIST_PLAIN => items.push(Value::Bulk(blob)),
                        QUICKLIST_PACKED => {
                            let (name, walk) = packing(kind == ty::LIST_QUICKLIST);
                            walk(&blob, &mut |e| {
                                items.push(Value::Bulk(elem_bytes(&blob, e)));
                                Ok(())
                            })
                            .map_err(|why| self.in_blob(blob_at, name, why))?;
                        }
                        other => {
                            return Err(self.corrupt(
                                blob_at,
                                named(&format!(
                                    "has a quicklist node of unknown container {other}"
                                )),
                            ))
                        }
                    }
                }
                Ok(list(items))
            }
            ty::MODULE_PRE_GA | ty::MODULE_2 => {
                let id = self.length()?;
                Err(Stop::Refused(named(&format!(
                    "holds a value of module '{}', which kvstore cannot hold",
                    module_name(id)
                ))))
            }
            ty::STREAM_LISTPACKS | ty::STREAM_LISTPACKS_2 | ty::STREAM_LISTPACKS_3 => Err(
                Stop::Refused(named("is a stream, which kvstore cannot hold")),
            ),
            other => Err(self.corrupt(at, format!("unknown value type {other}"))),
        }
    }

    /// A string holding a packed encoding, with the offset it began at.
    fn blob(&mut self) -> Result<(Bytes, usize), Stop> {
        let at = self.at;
        Ok((self.string()?, at))
    }

    fn in_blob(&self, at: usize, what: &str, why: String) -> Stop {
        self.corrupt(at, format!("in the {what} stored here: {why}"))
    }

    fn set(&self, items: Vec<Bytes>, at: usize) -> Result<Parts, Stop> {
        if let Some(d) = duplicate(items.iter().map(|b| &b[..])) {
            return Err(self.corrupt(at, format!("a set holds '{}' twice", printable(d, 64))));
        }
        Ok((!items.is_empty()).then(|| {
            (
                "set",
                Value::Set(items.into_iter().map(Value::Bulk).collect()),
            )
        }))
    }

    fn hash(&self, pairs: Vec<(Bytes, Bytes)>, at: usize) -> Result<Parts, Stop> {
        if let Some(d) = duplicate(pairs.iter().map(|(f, _)| &f[..])) {
            return Err(self.corrupt(
                at,
                format!("a hash holds field '{}' twice", printable(d, 64)),
            ));
        }
        Ok((!pairs.is_empty()).then(|| {
            let map = pairs
                .into_iter()
                .map(|(f, v)| (Value::Bulk(f), Value::Bulk(v)))
                .collect();
            ("hash", Value::Map(map))
        }))
    }

    fn zset(&self, pairs: Vec<(Bytes, f64)>, at: usize) -> Result<Parts, Stop> {
        if let Some(d) = duplicate(pairs.iter().map(|(m, _)| &m[..])) {
            return Err(self.corrupt(
                at,
                format!("a sorted set holds '{}' twice", printable(d, 64)),
            ));
        }
        if pairs.iter().any(|(_, s)| s.is_nan()) {
            return Err(self.corrupt(at, "a sorted set has a NaN score"));
        }
        Ok((!pairs.is_empty()).then(|| {
            let items = pairs
                .into_iter()
                .flat_map(|(m, s)| [Value::Bulk(m), Value::Double(s)])
                .collect();
            ("zset", Value::Array(items))
        }))
    }
}

/// Quicklist node containers (type 18): one element, or a listpack.
const QUICKLIST_PLAIN: u64 = 1;
const QUICKLIST_PACKED: u64 = 2;

/// The ziplist decoder (older types) or the listpack one.
fn packing(ziplist: bool) -> (&'static str, Walk) {
    if ziplist {
        ("ziplist", packed::ziplist)
    } else {
        ("listpack", packed::listpack)
    }
}

fn list(items: Vec<Value>) -> Parts {
    (!items.is_empty()).then(|| ("list", Value::Array(items)))
}

/// An element as bytes: a slice of its blob, or an integer's decimal.
fn elem_bytes(blob: &Bytes, e: Elem<'_>) -> Bytes {
    match e {
        Elem::Str(s) => blob.slice_ref(s),
        Elem::Int(n) => Bytes::from(n.to_string()),
    }
}

fn elem_score(e: Elem<'_>) -> Result<f64, String> {
    match e {
        Elem::Int(n) => Ok(n as f64),
        Elem::Str(s) => parse_score(s).ok_or_else(|| "a score is not a number".to_string()),
    }
}

/// A score as Redis writes one in text (`%.17g`, `inf`, `-inf`).
fn parse_score(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.trim().parse().ok()
}

/// The first member seen twice, if any.
fn duplicate<'b>(mut items: impl ExactSizeIterator<Item = &'b [u8]>) -> Option<&'b [u8]> {
    let mut seen = HashSet::with_capacity(items.len().min(RESERVE_CAP));
    items.find(|i| !seen.insert(*i))
}

/// A module type's name, from the top 54 bits of its id (nine characters
/// of six bits each; the low ten bits are its encoding version).
fn module_name(id: u64) -> String {
    const CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..9)
        .map(|i| CHARS[((id >> (10 + 6 * (8 - i))) & 63) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests;
