//! `DUMP` and `RESTORE`: a key's value as an opaque, self-checking string.
//!
//! The format is kvstore's own (Redis's RDB encoding is not readable here,
//! and ours is not readable by Redis):
//!
//! ```text
//! "KVD" version:u8 | body | crc32(everything before): u32 LE
//! body = [kind, value] as one RESP3 frame (see `Record::to_parts`)
//! ```
//!
//! A payload with another version or a bad checksum is refused with
//! Redis's error, never half-read.

use super::table::acl::*;
use super::table::flags::*;
use super::table::ONE;
use bytes::{Bytes, BytesMut};
use kvstore_protocol::{encode_as, Decoder, Dialect, Limits, Value};

use super::args::{deadline_arg, Unit};
use super::{integer, is_word, key, syntax_error, Command, Ctx};
use crate::keyspace::clock::unix_ms;
use crate::keyspace::object::Piece;
use crate::keyspace::{Record, ValueRef};
use crate::tri;

pub static COMMANDS: &[Command] = &[
    Command::new("dump", 2, READONLY, KEYSPACE, ONE, dump).doc(
        "generic",
        "Returns a key's value serialized (kvstore's own format).",
        "key",
    ),
    Command::new(
        "restore",
        -4,
        WRITE | DENYOOM,
        KEYSPACE | DANGEROUS,
        ONE,
        restore,
    )
    .doc(
        "generic",
        "Creates a key from a DUMP payload.",
        "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]",
    ),
];

const MAGIC: &[u8; 3] = b"KVD";
const VERSION: u8 = 1;

/// Serializes a record's value (not its key or deadline).
pub fn serialize(r: &Record) -> Bytes {
    let (kind, value) = r.to_parts();
    let mut out = BytesMut::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[VERSION]);
    encode_as(
        &Value::Array(vec![Value::simple(kind), value]),
        Dialect::Resp3,
        &mut out,
    );
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out.freeze()
}

/// The length of [`serialize`]'s payload for `r`, computed from the value
/// where it sits rather than from a copy of it (`DEBUG OBJECT`'s
/// `serializedlength`). Only a seed value that is not a plain string or
/// integer is copied out and encoded, as it keeps no Redis type.
pub fn serialized_len(r: &Record) -> usize {
    let (kind, value) = match r.view() {
        ValueRef::Obj(o) => {
            let mut len = 0;
            o.walk_view(&mut |p| len += piece_len(p));
            (o.type_name(), len)
        }
        ValueRef::Str(b) => ("v", piece_len(Piece::Bytes(b))),
        ValueRef::Int(n) => ("v", header_len(text_len(n))),
        seed @ ValueRef::Seed(_) => {
            let mut out = BytesMut::new();
            encode_as(&seed.to_value(), Dialect::Resp3, &mut out);
            ("v", out.len())
        }
    };
    const CRC: usize = 4;
    MAGIC.len() + 1 + header_len(1) + header_len(kind.len()) + value + CRC
}

/// A line of `text` bytes after a one-byte type: `*2\r\n`, `:5\r\n`.
fn header_len(text: usize) -> usize {
    1 + text + 2
}

/// What a piece of a container's view takes in RESP3.
fn piece_len(p: Piece<'_>) -> usize {
    let bulk = |n: usize| header_len(text_len(n)) + n + 2;
    match p {
        Piece::Array(n) | Piece::Map(n) | Piece::Set(n) => header_len(text_len(n)),
        Piece::Bytes(b) => bulk(b.len()),
        Piece::Decimal(n) => bulk(text_len(n)),
        // As the encoder writes a double: `,` and Rust's shortest
        // round-trip text, or `inf`, `-inf`, `nan`.
        Piece::Double(d) if d.is_nan() => header_len(3),
        Piece::Double(d) if d.is_infinite() => header_len(if d > 0.0 { 3 } else { 4 }),
        Piece::Double(d) => header_len(text_len(d)),
    }
}

/// The length of `x`'s `Display` text, without writing it anywhere.
fn text_len(x: impl std::fmt::Display) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = std::fmt::write(&mut c, format_args!("{x}"));
    c.0
}

/// The kind and value a payload holds, if it is intact.
pub fn deserialize(payload: &[u8]) -> Option<(String, Value)> {
    let (body, crc) = payload.split_at_checked(payload.len().checked_sub(4)?)?;
    let crc = u32::from_le_bytes(crc.try_into().ok()?);
    if crc32fast::hash(body) != crc || body.get(..3)? != MAGIC || *body.get(3)? != VERSION {
        return None;
    }
    let limits = Limits {
        max_bulk_len: usize::MAX >> 1,
        max_elements: usize::MAX >> 1,
        max_depth: crate::config::MAX_NESTING_CEILING + 1,
        max_line: usize::MAX >> 1,
        max_frame_len: usize::MAX >> 1,
    };
    let mut buf = BytesMut::from(&body[4..]);
    let frame = Decoder::new(limits).decode(&mut buf).ok()??;
    if !buf.is_empty() {
        return None;
    }
    match frame {
        Value::Array(mut items) if items.len() == 2 => {
            let value = items.pop()?;
            let kind = String::from_utf8(items.pop()?.as_bytes()?.to_vec()).ok()?;
            Some((kind, value))
        }
        _ => None,
    }
}

/// `DUMP key`: the serialized value, or nil.
pub fn dump(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    ctx.db()
        .with_record(&k, |r| r.map_or(Value::Null, |r| Value::Bulk(serialize(r))))
}

fn bad_payload() -> Value {
    Value::error("ERR DUMP payload version or checksum are wrong")
}

/// `RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]`.
///
/// kvstore keeps no per-key access clock or frequency, so IDLETIME and
/// FREQ are checked as Redis checks them and then have no effect. Logged
/// with an absolute deadline.
pub fn restore(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let ttl = tri!(integer(&args[2]));
    let (mut replace, mut absttl, mut idle, mut freq) = (false, false, false, false);
    let mut i = 4;
    while i < args.len() {
        let opt = &args[i];
        if is_word(opt, "REPLACE") {
            replace = true;
        } else if is_word(opt, "ABSTTL") {
            absttl = true;
        } else if is_word(opt, "IDLETIME") && i + 1 < args.len() && !freq {
            let n = tri!(integer(&args[i + 1]));
            if n < 0 {
                return Value::error("ERR Invalid IDLETIME value, must be >= 0");
            }
            idle = true;
            i += 1;
        } else if is_word(opt, "FREQ") && i + 1 < args.len() && !idle {
            let n = tri!(integer(&args[i + 1]));
            if !(0..=255).contains(&n) {
                return Value::error("ERR Invalid FREQ value, must be >= 0 and <= 255");
            }
            freq = true;
            i += 1;
        } else {
            return syntax_error();
        }
        i += 1;
    }
    if ttl < 0 {
        return Value::error("ERR Invalid TTL value, must be >= 0");
    }
    let Some(payload) = args[3].as_bytes() else {
        return bad_payload();
    };
    let Some((kind, value)) = deserialize(payload) else {
        return bad_payload();
    };
    let deadline = match ttl {
        0 => None,
        n => match deadline_arg(n, Unit::Millis, !absttl, unix_ms()) {
            Some(d) => Some(d.max(0) as u64),
            None => return Value::error("ERR Invalid TTL value, must be >= 0"),
        },
    };
    let record = match Record::from_parts(&k, &kind, &value, deadline) {
        Ok(r) => r,
        Err(_) => return Value::error("ERR Bad data format"),
    };
    let now = ctx.db().now();
    let already_past = now != 0 && deadline.is_some_and(|d| d <= now);
    let outcome = ctx.db().entry(&k, |slot| {
        if slot.exists() && !replace {
            return Err(Value::error("BUSYKEY Target key name already exists."));
        }
        if already_past {
            // Redis restores nothing for a deadline already passed, but a
            // REPLACE still removes the key that was there.
            slot.remove();
            return Ok(());
        }
        slot.replace(record);
        Ok(())
    });
    tri!(outcome);
    if already_past {
        // Nothing was stored; a DEL replays the one effect there may have
        // been (and is harmless where there was none).
        ctx.propagate(|| vec![Value::bulk("DEL"), args[1].clone()]);
    } else {
        ctx.propagate(|| {
            let mut words = vec![
                Value::bulk("RESTORE"),
                args[1].clone(),
                Value::Integer(deadline.map_or(0, |d| d as i64)),
                args[3].clone(),
                Value::bulk("REPLACE"),
            ];
            if deadline.is_some() {
                words.push(Value::bulk("ABSTTL"));
            }
            words
        });
    }
    Value::ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::NewValue;

    #[test]
    fn payloads_round_trip_and_damage_is_refused() {
        let r = Record::new(
            b"k",
            NewValue::Value(&Value::Array(vec![Value::Integer(1)])),
            None,
        );
        let p = serialize(&r);
        let (kind, value) = deserialize(&p).unwrap();
        assert_eq!(
            (kind.as_str(), value),
            ("v", Value::Array(vec![Value::Integer(1)]))
        );
        for i in 0..p.len() {
            let mut bad = p.to_vec();
            bad[i] ^= 0x20;
            assert!(deserialize(&bad).is_none(), "flip at {i} accepted");
        }
        assert!(deserialize(&p[..p.len() - 1]).is_none());
        assert!(deserialize(b"").is_none());
    }

    /// `serialized_len` agrees with the payload for every kind of value,
    /// each encoding of each type, and awkward scores.
    #[test]
    fn serialized_len_is_the_payloads_length() {
        use crate::keyspace::object::{Hash, List, Object, Set, ZSet};
        let obj = |o: Object| Record::new(b"key", NewValue::Obj(Box::new(o)), None);
        let mut records = vec![
            Record::new(b"k", NewValue::Str(b""), None),
            Record::new(b"k", NewValue::Str(&[b'x'; 300]), Some(5)),
            Record::new(b"k", NewValue::Int(-1234567890123), None),
            Record::new(b"k", NewValue::Int(i64::MIN), None),
            Record::new(b"k", NewValue::Text(b"12"), None),
            Record::new(
                b"k",
                NewValue::Value(&Value::Array(vec![Value::Integer(1), Value::Null])),
                None,
            ),
            Record::new(b"k", NewValue::Value(&Value::Double(0.5)), None),
        ];
        for n in [1usize, 10, 600] {
            let item = |i: usize| format!("member-{i}").repeat(1 + i % 30);
            let (mut l, mut h, mut s, mut ints, mut z) = (
                List::new(),
                Hash::new(),
                Set::new(),
                Set::new(),
                ZSet::new(),
            );
            for i in 0..n {
                l.push(item(i).as_bytes(), i % 2 == 0);
                let value = item(i + 1);
                h.insert(
                    item(i).as_bytes(),
                    &value.as_bytes()[..value.len().min(i % 70)],
                );
                s.insert(item(i).as_bytes());
                ints.insert((i as i64 * 7919 - 40_000).to_string().as_bytes());
                let scores = [
                    -0.0,
                    0.1 + 0.2,
                    -1e300,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    3.0,
                ];
                z.insert(item(i).as_bytes(), scores[i % scores.len()] * i as f64);
            }
            records.extend([
                obj(Object::List(l)),
                obj(Object::Hash(h)),
                obj(Object::Set(s)),
                obj(Object::Set(ints)),
                obj(Object::ZSet(z)),
            ]);
        }
        let mut encodings = std::collections::BTreeSet::new();
        for r in &records {
            encodings.insert(r.encoding());
            assert_eq!(serialized_len(r), serialize(r).len(), "{}", r.encoding());
        }
        for e in ["quicklist", "hashtable", "intset", "skiplist", "listpack"] {
            assert!(encodings.contains(e), "{e} not covered: {encodings:?}");
        }
    }
}
