//! The hash family: HSET, HSETNX, HMSET, HGET, HMGET, HDEL, HLEN, HSTRLEN,
//! HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD and
//! HSCAN, with Redis 7.0's replies and error texts.
//!
//! Integer arguments are read as Redis reads them (`string2ll`): canonical
//! decimal only, so `007` or `+1` are refused where the string family's
//! more lenient reader would take them.

use std::borrow::Cow;

use bytes::Bytes;
use hashbrown::HashSet;
use kvstore_protocol::{Dialect, Value};

use super::container::{self, Kind};
use super::float::{self, FloatError};
use super::rng::Rng;
use super::table::acl::*;
use super::table::flags::*;
use super::table::ONE;
use super::{is_word, key, not_an_integer, strict_integer, syntax_error, wrong_args, Command, Ctx};
use crate::keyspace::glob;
use crate::keyspace::object::{canonical_int, Hash};
use crate::keyspace::Object;
use crate::tri;

pub static COMMANDS: &[Command] = &[
    Command::new("hset", -4, WRITE | DENYOOM | FAST, HASH, ONE, hset)
        .doc("hash", "Creates or modifies the value of a field in a hash.", "key (field value) ..."),
    Command::new("hsetnx", 4, WRITE | DENYOOM | FAST, HASH, ONE, hsetnx)
        .doc("hash", "Sets the value of a field in a hash only when the field doesn't exist.", "key field value"),
    Command::new("hmset", -4, WRITE | DENYOOM | FAST, HASH, ONE, hmset)
        .doc("hash", "Sets the values of multiple fields.", "key (field value) ..."),
    Command::new("hget", 3, READONLY | FAST, HASH, ONE, hget)
        .doc("hash", "Returns the value of a field in a hash.", "key field"),
    Command::new("hmget", -3, READONLY | FAST, HASH, ONE, hmget)
        .doc("hash", "Returns the values of all fields in a hash.", "key field ..."),
    Command::new("hdel", -3, WRITE | FAST, HASH, ONE, hdel)
        .doc("hash", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", "key field ..."),
    Command::new("hlen", 2, READONLY | FAST, HASH, ONE, hlen)
        .doc("hash", "Returns the number of fields in a hash.", "key"),
    Command::new("hstrlen", 3, READONLY | FAST, HASH, ONE, hstrlen)
        .doc("hash", "Returns the length of the value of a field.", "key field"),
    Command::new("hexists", 3, READONLY | FAST, HASH, ONE, hexists)
        .doc("hash", "Determines whether a field exists in a hash.", "key field"),
    Command::new("hkeys", 2, READONLY, HASH, ONE, hkeys)
        .doc("hash", "Returns all fields in a hash.", "key"),
    Command::new("hvals", 2, READONLY, HASH, ONE, hvals)
        .doc("hash", "Returns all values in a hash.", "key"),
    Command::new("hgetall", 2, READONLY, HASH, ONE, hgetall)
        .doc("hash", "Returns all fields and values in a hash.", "key"),
    Command::new("hincrby", 4, WRITE | DENYOOM | FAST, HASH, ONE, hincrby)
        .doc("hash", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", "key field increment"),
    Command::new("hincrbyfloat", 4, WRITE | DENYOOM | FAST, HASH, ONE, hincrbyfloat)
        .doc("hash", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", "key field increment"),
    Command::new("hrandfield", -2, READONLY, HASH, ONE, hrandfield)
        .doc("hash", "Returns one or more random fields from a hash.", "key [count [WITHVALUES]]"),
    Command::new("hscan", -3, READONLY, HASH, ONE, hscan)
        .doc("hash", "Iterates over fields and values of a hash.", "key cursor [MATCH pattern] [COUNT count]"),
];

fn bulk(b: &[u8]) -> Value {
    Value::Bulk(Bytes::copy_from_slice(b))
}

/// A field or value argument: a string as it is, an integer (from a seed
/// client) as its decimal text.
fn text(v: &Value) -> Result<Cow<'_, [u8]>, Value> {
    match v {
        Value::Bulk(b) | Value::Simple(b) => Ok(Cow::Borrowed(b)),
        Value::Integer(n) => Ok(Cow::Owned(n.to_string().into_bytes())),
        other => Err(Value::error(format!(
            "ERR invalid argument: expected a string or an integer, got {}",
            other.type_name()
        ))),
    }
}

/// Runs `f` on the hash at `key` (`None` if missing), `WRONGTYPE` for a key
/// of another type.
fn read<R>(ctx: &Ctx<'_>, key: &[u8], f: impl FnOnce(Option<&Hash>) -> R) -> Result<R, Value> {
    container::read(ctx.db(), key, Kind::Hash, |o| {
        f(match o {
            Some(Object::Hash(h)) => Some(h),
            _ => None,
        })
    })
}

/// Runs `f` on the hash at `key`, created empty if missing and `create`
/// (else `Ok(None)`); removed if `f` leaves it empty.
fn write<R>(
    ctx: &Ctx<'_>,
    key: &[u8],
    create: bool,
    f: impl FnOnce(&mut Hash) -> R,
) -> Result<Option<R>, Value> {
    let out = container::write(ctx.db(), key, Kind::Hash, create, |o| match o {
        Object::Hash(h) => Some(f(h)),
        _ => None,
    });
    out.map(Option::flatten)
}

/// Sets every field, value pair of `HSET`/`HMSET` (`args[2..]`); the number
/// of new fields.
fn set_pairs(ctx: &Ctx<'_>, args: &[Value], name: &str) -> Result<i64, Value> {
    if !args.len().is_multiple_of(2) {
        return Err(wrong_args(name));
    }
    let k = key(&args[1])?;
    let pairs = args[2..]
        .chunks_exact(2)
        .map(|p| Ok((text(&p[0])?, text(&p[1])?)))
        .collect::<Result<Vec<_>, Value>>()?;
    let added = write(ctx, &k, true, |h| {
        pairs.iter().filter(|(f, v)| h.insert(f, v)).count()
    })?;
    Ok(added.unwrap_or(0) as i64)
}

/// `HSET key field value [field value ...]`: the number of new fields.
pub fn hset(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    Value::Integer(tri!(set_pairs(ctx, args, "hset")))
}

/// `HMSET key field value [field value ...]`: HSET answering OK.
pub fn hmset(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    tri!(set_pairs(ctx, args, "hmset"));
    Value::ok()
}

/// `HSETNX key field value`: 1 if set, 0 if the field was there.
pub fn hsetnx(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let field = tri!(text(&args[2]));
    let value = tri!(text(&args[3]));
    let set = tri!(write(ctx, &k, true, |h| {
        h.get(&field).is_none() && h.insert(&field, &value)
    }));
    Value::Integer(i64::from(set == Some(true)))
}

/// `HGET key field`: the value or nil.
pub fn hget(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let field = tri!(text(&args[2]));
    tri!(read(ctx, &k, |h| {
        h.and_then(|h| h.get(&field)).map_or(Value::Null, bulk)
    }))
}

/// `HMGET key field [field ...]`: a value or nil for each field.
pub fn hmget(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let fields = tri!(args[2..].iter().map(text).collect::<Result<Vec<_>, _>>());
    tri!(read(ctx, &k, |h| {
        let value = |f: &[u8]| h.and_then(|h| h.get(f)).map_or(Value::Null, bulk);
        Value::Array(fields.iter().map(|f| value(f)).collect())
    }))
}

/// `HDEL key field [field ...]`: how many were there.
pub fn hdel(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let fields = tri!(args[2..].iter().map(text).collect::<Result<Vec<_>, _>>());
    let removed = tri!(write(ctx, &k, false, |h| {
        fields.iter().filter(|f| h.remove(f)).count()
    }));
    Value::Integer(removed.unwrap_or(0) as i64)
}

/// `HLEN key`.
pub fn hlen(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let n = tri!(read(ctx, &k, |h| h.map_or(0, Hash::len)));
    Value::Integer(n as i64)
}

/// `HSTRLEN key field`: the value's length, 0 if there is none.
pub fn hstrlen(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let field = tri!(text(&args[2]));
    let n = tri!(read(ctx, &k, |h| h
        .and_then(|h| h.get(&field))
        .map_or(0, <[u8]>::len)));
    Value::Integer(n as i64)
}

/// `HEXISTS key field`: 1 or 0.
pub fn hexists(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let field = tri!(text(&args[2]));
    let found = tri!(read(ctx, &k, |h| h.and_then(|h| h.get(&field)).is_some()));
    Value::Integer(i64::from(found))
}

/// The pairs of the hash at `key`, each as `f` makes it, in order.
fn collect(ctx: &Ctx<'_>, args: &[Value], f: fn(&[u8], &[u8]) -> Value) -> Value {
    let k = tri!(key(&args[1]));
    tri!(read(ctx, &k, |h| {
        let items = h.map(|h| h.pairs().map(|(k, v)| f(k, v)).collect());
        Value::Array(items.unwrap_or_default())
    }))
}

/// `HKEYS key`.
pub fn hkeys(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    collect(ctx, args, |f, _| bulk(f))
}

/// `HVALS key`.
pub fn hvals(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    collect(ctx, args, |_, v| bulk(v))
}

/// `HGETALL key`: a map (RESP2 flattens it into field, value, ...).
pub fn hgetall(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    tri!(read(ctx, &k, |h| {
        let pairs = h.map(|h| h.pairs().map(|(f, v)| (bulk(f), bulk(v))).collect());
        Value::Map(pairs.unwrap_or_default())
    }))
}

/// `HINCRBY key field increment`: the new value. The increment is checked
/// before the key's type, as Redis does.
pub fn hincrby(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let field = tri!(text(&args[2]));
    let by = tri!(strict_integer(&args[3]));
    let outcome = write(ctx, &k, true, |h| {
        let current = match h.get(&field) {
            None => 0,
            Some(v) => {
                canonical_int(v).ok_or_else(|| Value::error("ERR hash value is not an integer"))?
            }
        };
        let sum = current
            .checked_add(by)
            .ok_or_else(|| Value::error("ERR increment or decrement would overflow"))?;
        h.insert(&field, sum.to_string().as_bytes());
        Ok(sum)
    });
    match tri!(outcome) {
        Some(Ok(sum)) => Value::Integer(sum),
        Some(Err(e)) => e,
        None => not_an_integer(),
    }
}

fn not_a_float() -> Value {
    Value::error("ERR value is not a valid float")
}

/// `HINCRBYFLOAT key field increment`: the new value, computed and printed
/// in long double as Redis does (see [`super::float`]). Logged as an HSET
/// of the result, as Redis does, so that a replay gives the same digits
/// whatever the platform's floats.
pub fn hincrbyfloat(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let field = tri!(text(&args[2]));
    let Ok(by) = text(&args[3]) else {
        return not_a_float();
    };
    // The increment alone, as Redis checks it before it looks at the key.
    match float::incr(None, &by) {
        Ok(_) => {}
        Err(FloatError::NotAFloat) => return not_a_float(),
        Err(FloatError::NotFinite) => return Value::error("ERR value is NaN or Infinity"),
    }
    let outcome = write(ctx, &k, true, |h| {
        let sum = float::incr(h.get(&field), &by).map_err(|e| match e {
            // The increment passed above, so the stored value failed.
            FloatError::NotAFloat => Value::error("ERR hash value is not a float"),
            FloatError::NotFinite => Value::error("ERR increment would produce NaN or Infinity"),
        })?;
        h.insert(&field, sum.as_bytes());
        Ok(sum)
    });
    let sum = match tri!(outcome) {
        Some(Ok(sum)) => Bytes::from(sum),
        Some(Err(e)) => return e,
        None => return not_a_float(),
    };
    let logged = sum.clone();
    ctx.propagate(|| {
        vec![
            Value::bulk("HSET"),
            args[1].clone(),
            args[2].clone(),
            Value::Bulk(logged),
        ]
    });
    Value::Bulk(sum)
}

/// `HRANDFIELD key [count [WITHVALUES]]`: one random field (nil for a
/// missing key); or `count` distinct ones (all of them if `count` is at
/// least the size), or with a negative count that many with repeats.
pub fn hrandfield(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let Some(count_arg) = args.get(2) else {
        return tri!(read(ctx, &k, |h| {
            let h = h.filter(|h| !h.is_empty());
            h.and_then(|h| h.at(Rng::new().below(h.len())))
                .map_or(Value::Null, |(f, _)| bulk(f))
        }));
    };
    let count = tri!(strict_integer(count_arg));
    if count == i64::MIN {
        return Value::error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        );
    }
    let withvalues = match &args[3..] {
        [] => false,
        [w] if is_word(w, "WITHVALUES") => true,
        _ => return syntax_error(),
    };
    // Redis keeps count * 2 (the RESP2 reply's length) from overflowing.
    if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Value::error("ERR value is out of range");
    }
    let nested = ctx.session.dialect() == Dialect::Resp3;
    let shape = Shape { withvalues, nested };
    tri!(read(ctx, &k, |h| match h {
        None => Value::Array(Vec::new()),
        Some(h) => sample(h, count, shape).unwrap_or_else(|e| e),
    }))
}

/// How HRANDFIELD lays out what it picks: fields only; or with values,
/// flat in RESP2, as [field, value] pairs in RESP3.
#[derive(Clone, Copy)]
struct Shape {
    withvalues: bool,
    nested: bool,
}

impl Shape {
    fn items_per_pick(self) -> usize {
        if self.withvalues && !self.nested {
            2
        } else {
            1
        }
    }

    /// The reply strings for one pair (the value left empty if unasked).
    fn copy(self, field: &[u8], value: &[u8]) -> (Bytes, Bytes) {
        let value = if self.withvalues {
            Bytes::copy_from_slice(value)
        } else {
            Bytes::new()
        };
        (Bytes::copy_from_slice(field), value)
    }

    fn push(self, out: &mut Vec<Value>, (field, value): (Bytes, Bytes)) {
        match (self.withvalues, self.nested) {
            (false, _) => out.push(Value::Bulk(field)),
            (true, false) => out.extend([Value::Bulk(field), Value::Bulk(value)]),
            (true, true) => out.push(Value::Array(vec![Value::Bulk(field), Value::Bulk(value)])),
        }
    }
}

/// HRANDFIELD with a count, on a non-empty hash.
fn sample(h: &Hash, count: i64, shape: Shape) -> Result<Value, Value> {
    let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let view = h.indexed();
    let size = view.len();
    if n == 0 || size == 0 {
        return Ok(Value::Array(Vec::new()));
    }
    let picks: Box<dyn Iterator<Item = usize>> = if count < 0 || n == 1 {
        let mut rng = Rng::new();
        Box::new((0..n).map(move |_| rng.below(size)))
    } else if n >= size {
        Box::new(0..size)
    } else {
        Box::new(distinct(n, size).into_iter())
    };
    let reply_len = n.min(if count < 0 { n } else { size });
    let mut out = Vec::new();
    reply_len
        .checked_mul(shape.items_per_pick())
        .and_then(|len| out.try_reserve_exact(len).ok())
        .ok_or_else(|| Value::error("ERR value is out of range"))?;
    // More draws than fields: copy each pair once and share it, so that a
    // huge negative count costs a reply slot per draw and no more.
    let mut shared: Vec<Option<(Bytes, Bytes)>> = Vec::new();
    if count < 0 && n > size {
        shared.resize(size, None);
    }
    for i in picks {
        let Some((f, v)) = view.get(i) else {
            continue;
        };
        let pair = match shared.get_mut(i) {
            Some(slot) => slot.get_or_insert_with(|| shape.copy(f, v)).clone(),
            None => shape.copy(f, v),
        };
        shape.push(&mut out, pair);
    }
    Ok(Value::Array(out))
}

/// `n` distinct positions in `0..size` (`n` < `size`), in random order.
fn distinct(n: usize, size: usize) -> Vec<usize> {
    let mut rng = Rng::new();
    if n.saturating_mul(3) > size {
        // Most of the hash: a partial shuffle of every position.
        let mut all: Vec<usize> = (0..size).collect();
        for i in 0..n {
            let j = i + rng.below(size - i);
            all.swap(i, j);
        }
        all.truncate(n);
        return all;
    }
    // A few: draw until that many different ones came up.
    let mut seen = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let i = rng.below(size);
        if seen.insert(i) {
            out.push(i);
        }
    }
    out
}

/// A cursor as Redis's `strtoul` reads one: an optional sign (a minus
/// wraps around), decimal digits; the empty string is 0; past 2^64 - 1,
/// leading blanks or trailing junk are refused.
fn parse_cursor(v: &Value) -> Option<u64> {
    match v {
        Value::Integer(n) => Some(*n as u64),
        Value::Bulk(b) | Value::Simple(b) => super::scan_cursor(b),
        _ => None,
    }
}

/// HSCAN's options.
struct ScanOptions<'a> {
    pattern: Option<Cow<'a, [u8]>>,
    count: u64,
}

fn scan_options(opts: &[Value]) -> Result<ScanOptions<'_>, Value> {
    let mut o = ScanOptions {
        pattern: None,
        count: 10,
    };
    let mut rest = opts;
    while let [opt, arg, more @ ..] = rest {
        if is_word(opt, "COUNT") {
            match strict_integer(arg)? {
                n if n < 1 => return Err(syntax_error()),
                n => o.count = n as u64,
            }
        } else if is_word(opt, "MATCH") {
            let p = text(arg).map_err(|_| syntax_error())?;
            o.pattern = Some(p).filter(|p| **p != *b"*");
        } else {
            return Err(syntax_error());
        }
        rest = more;
    }
    if rest.is_empty() {
        Ok(o)
    } else {
        Err(syntax_error())
    }
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count]`: the next cursor and
/// field, value, ... .
///
/// A listpack hash comes back whole with cursor 0, as in Redis. A table is
/// walked by position from the end down: the cursor is how many positions
/// are left to visit (0 starts at the top, and ends the scan). Deletion
/// moves the last field into the hole, so a field not yet visited (below
/// the cursor) never moves above it; a field present for the whole scan is
/// returned at least once (a moved one can come twice).
pub fn hscan(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let k = tri!(key(&args[1]));
    let Some(cursor) = parse_cursor(&args[2]) else {
        return Value::error("ERR invalid cursor");
    };
    // Redis reads the options only once it has a hash to scan.
    tri!(read(ctx, &k, |h| match h {
        None => scan_reply(0, Vec::new()),
        Some(h) => match scan_options(&args[3..]) {
            Ok(o) => scan_hash(h, cursor, &o),
            Err(e) => e,
        },
    }))
}

fn scan_hash(h: &Hash, cursor: u64, o: &ScanOptions<'_>) -> Value {
    let wanted = |f: &[u8]| o.pattern.as_ref().is_none_or(|p| glob::matches(p, f));
    let mut items = Vec::new();
    let mut push = |f: &[u8], v: &[u8]| {
        if wanted(f) {
            items.extend([bulk(f), bulk(v)]);
        }
    };
    let next = match h {
        Hash::Listpack(_) => {
            h.pairs().for_each(|(f, v)| push(f, v));
            0
        }
        Hash::Table(t) => {
            let len = t.len() as u64;
            let top = if cursor == 0 || cursor > len {
                len
            } else {
                cursor
            };
            let bottom = top.saturating_sub(o.count);
            for i in bottom..top {
                if let Some((f, v)) = t.get_index(i as usize) {
                    push(f, v);
                }
            }
            bottom
        }
    };
    scan_reply(next, items)
}

fn scan_reply(cursor: u64, items: Vec<Value>) -> Value {
    Value::Array(vec![
        Value::Bulk(Bytes::from(cursor.to_string())),
        Value::Array(items),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_as_strtoul_reads_them() {
        let c = |s: &str| parse_cursor(&Value::bulk(s));
        assert_eq!(c(""), Some(0));
        assert_eq!(c("42"), Some(42));
        assert_eq!(c("+7"), Some(7));
        assert_eq!(c("-1"), Some(u64::MAX));
        assert_eq!(c("18446744073709551615"), Some(u64::MAX));
        for bad in ["18446744073709551616", " 1", "1 ", "x", "-", "1.0"] {
            assert_eq!(c(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn distinct_positions_are_distinct_and_in_range() {
        for (n, size) in [(1, 2), (5, 1000), (400, 1000), (999, 1000)] {
            let got = distinct(n, size);
            assert_eq!(got.len(), n);
            let unique: HashSet<usize> = got.iter().copied().collect();
            assert_eq!(unique.len(), n);
            assert!(got.iter().all(|&i| i < size));
        }
    }

    #[test]
    fn a_table_scan_survives_deletions() {
        let mut h = Hash::new();
        for i in 0..1000 {
            h.insert(format!("f{i}").as_bytes(), &[b'v'; 100]);
        }
        let opts = ScanOptions {
            pattern: None,
            count: 7,
        };
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            let Value::Array(reply) = scan_hash(&h, cursor, &opts) else {
                panic!("not an array");
            };
            let [Value::Bulk(next), Value::Array(items)] = &reply[..] else {
                panic!("bad reply");
            };
            seen.extend(
                items
                    .iter()
                    .step_by(2)
                    .filter_map(|f| f.as_bytes())
                    .map(<[u8]>::to_vec),
            );
            cursor = std::str::from_utf8(next)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if cursor == 0 {
                break;
            }
            // Delete a field just visited and one not yet, every step.
            h.remove(format!("f{}", 999 - step).as_bytes());
            h.remove(format!("f{step}").as_bytes());
            step += 1;
        }
        for i in step..1000 - step {
            assert!(seen.contains(format!("f{i}").as_bytes()), "f{i} missed");
        }
    }
}
